"""The review loop: what a person should look at, and their decisions as new log rows.

A reviewer can undo a wrong redaction or add one that was missed. Each decision is appended to the
redaction log (who, when, why) and the interview's analyst text is re-derived from the vault with
the decision applied, now and on every later pass. An analyst checking topics gets the segments
the segmenter was least sure of (and corrects them with ``interviews topic set``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .store import Store, StoreError

TAG = re.compile(r"\[[A-Z_]+_\d+\]")
CAPITALISED = re.compile(r"\b[A-Z][a-z'’]+(?:\s+[A-Z][a-z'’]+)*")
DIGITS = re.compile(r"\d[\d ,.\-/]*\d|\d")
# Capitalised words that say nothing about identity; the rest of a sentence-initial word is
# skipped anyway.
ORDINARY = {"I", "I'm", "I've", "I'd", "I'll", "Mum", "Dad", "Monday", "Tuesday", "Wednesday",
            "Thursday", "Friday", "Saturday", "Sunday", "OK", "Okay", "NHS", "UK", "God"}


class ReviewError(Exception):
    """A review decision cannot be applied; the message says why."""


@dataclass
class ResidualItem:
    interview_id: str
    utterance: int
    start: int
    end: int
    text: str
    """The words as they stand in the de-identified text (not identifiable unless missed)."""
    why: str
    context: str


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    return text[max(0, start - width) : start] + "«" + text[start:end] + "»" + text[end : end + width]


def residual(store: Store, interview_id: str) -> list[ResidualItem]:
    """Capitalised words, digit strings and low-score candidates left in the analyst text."""
    items: dict[tuple[int, int, int], ResidualItem] = {}
    utterances = store.utterances(interview_id)

    def add(idx: int, start: int, end: int, why: str) -> None:
        text = utterances[idx]["text"]
        items.setdefault((idx, start, end), ResidualItem(
            interview_id, idx, start, end, text[start:end], why, _context(text, start, end)))

    for c in store.residual_candidates(interview_id):
        add(c["utterance_idx"], c["deid_start"], c["deid_end"],
            f"low-score {c['entity_type']} candidate ({c['score']:.2f}, {c['recognizer']})")
    for u in utterances:
        text, tags = u["text"], [m.span() for m in TAG.finditer(u["text"])]
        for m in CAPITALISED.finditer(text):
            if any(a <= m.start() < b for a, b in tags) or m.group() in ORDINARY:
                continue
            before = text[: m.start()].rstrip()
            if not before or before[-1] in ".?!":
                # sentence-initial: only the words after the first are a signal
                rest = m.group().split(maxsplit=1)
                if len(rest) < 2:
                    continue
            add(u["idx"], m.start(), m.end(), "capitalised word(s)")
        for m in DIGITS.finditer(text):
            if not any(a <= m.start() < b for a, b in tags):
                add(u["idx"], m.start(), m.end(), "digits")
    return sorted(items.values(), key=lambda i: (i.utterance, i.start))


def undo_row(store: Store, log_id: int, reviewer: str, reason: str) -> dict:
    """The log row that undoes redaction ``log_id`` (of the interview's current pass)."""
    target = store.log_row(log_id)
    if target["kind"] != "redaction":
        raise ReviewError(f"log row {log_id} is a {target['kind']} decision, not a redaction")
    current = store.interview(target["interview_id"])["deid_pass"]
    if target["pass"] != current:
        raise ReviewError(
            f"log row {log_id} belongs to an earlier pass ({target['pass']}); "
            f"the interview's current redactions are pass {current} ('interviews review list')"
        )
    return {
        "interview_id": target["interview_id"], "kind": "undo", "target": log_id,
        "utterance_idx": target["utterance_idx"], "orig_start": target["orig_start"],
        "orig_end": target["orig_end"], "entity_type": target["entity_type"],
        "review_status": "undone", "reviewer": reviewer, "reason": reason,
    }


def add_row(
    store: Store, interview_id: str, utterance: int, text: str, entity_type: str,
    reviewer: str, reason: str, occurrence: int = 1,
) -> dict:
    """The log row that redacts ``text`` (as it reads in the analyst text) in one utterance."""
    utterances = store.utterances(interview_id)
    if not 0 <= utterance < len(utterances):
        raise ReviewError(f"interview {interview_id} has no utterance {utterance}")
    deid = utterances[utterance]["text"]
    starts = [m.start() for m in re.finditer(re.escape(text), deid)]
    if len(starts) < occurrence:
        raise ReviewError(f"{text!r} does not occur in utterance {utterance} of {interview_id}")
    start = starts[occurrence - 1]
    end = start + len(text)
    # Map analyst-text offsets back to the original through this utterance's replacements.
    shift, current = 0, store.interview(interview_id)["deid_pass"]
    for row in store.log_rows(interview_id):
        if row["kind"] == "redaction" and row["pass"] == current and row["utterance_idx"] == utterance:
            if row["deid_start"] < end and row["deid_end"] > start:
                raise ReviewError(f"{text!r} overlaps a redaction already made ({row['id']})")
            if row["deid_end"] <= start:
                shift += (row["orig_end"] - row["orig_start"]) - (row["deid_end"] - row["deid_start"])
    return {
        "interview_id": interview_id, "kind": "add", "utterance_idx": utterance,
        "orig_start": start + shift, "orig_end": end + shift, "entity_type": entity_type,
        "score": 1.0, "recognizer": "reviewer", "review_status": "added",
        "reviewer": reviewer, "reason": reason,
    }


def require_interview(store: Store, interview_id: str) -> None:
    try:
        store.interview(interview_id)
    except StoreError as e:
        raise ReviewError(str(e)) from None


@dataclass
class SegmentToCheck:
    interview_id: str
    first: int
    last: int
    start: float
    end: float
    topic: str
    confidence: float
    opening: str
    """The segment's first utterance, de-identified."""


def segments_to_check(store: Store, interview_id: str) -> list[SegmentToCheck]:
    """The interview's automatic topic segments (corrected ones are settled). Sorted by
    confidence, least first, they show where a wrong topic is most likely (README, "Topics and
    the framework matrix")."""
    utterances = store.utterances(interview_id)
    return [SegmentToCheck(interview_id, s["first_utterance"], s["last_utterance"], s["start"],
                           s["end"], s["topic"], s["confidence"],
                           utterances[s["first_utterance"]]["text"])
            for s in store.segments(interview_id) if s["source"] == "auto"]
