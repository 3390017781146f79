"""Applying redaction decisions: original utterances + spans in, de-identified utterances out.

Pure functions, no database. Each span is replaced by a consistent tag (``[PERSON_1]``: the same
person is the same tag throughout an interview, or the whole study) or by a realistic surrogate.
Every replacement is reported with its offsets in both texts and its audio times from the word
timestamps, which is what the redaction log records.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from .transcribe import Utterance

AGE_OVER_89 = "over 89"


@dataclass(frozen=True)
class Decision:
    """A span to redact, in original-text coordinates."""

    utterance: int
    start: int
    end: int
    entity_type: str
    score: float
    recognizer: str
    recognizer_version: str
    source: str = "auto"
    """``auto`` (a recognizer), ``review`` (added by a reviewer), ``deny_list``."""


@dataclass(frozen=True)
class Replacement:
    decision: Decision
    original: str
    replacement: str
    deid_start: int
    deid_end: int
    audio_start: float | None
    audio_end: float | None


@dataclass
class Redacted:
    texts: list[str]
    replacements: list[Replacement]
    pseudonyms: dict[tuple[str, str], str] = field(default_factory=dict)
    """(entity type, normalised original) -> tag: the mapping used, for the next interview."""


def normalise(text: str) -> str:
    text = re.sub(r"['’]s?\b", "", text.lower())
    return " ".join(re.findall(r"[a-z0-9@.]+", text))


def _word_offsets(utterance: Utterance) -> list[tuple[int, int, float, float]]:
    """Character range of each word inside the utterance text, with its audio times."""
    joined = "".join(w.text for w in utterance.words)
    lead = len(joined) - len(joined.lstrip())
    result, pos = [], -lead
    for w in utterance.words:
        result.append((pos, pos + len(w.text), w.start, w.end))
        pos += len(w.text)
    return result


def audio_times(utterance: Utterance, start: int, end: int) -> tuple[float | None, float | None]:
    """Audio start and end of the words overlapping characters [start, end)."""
    hits = [(s, e) for a, b, s, e in _word_offsets(utterance) if a < end and b > start]
    if not hits:
        return None, None
    return min(s for s, _ in hits), max(e for _, e in hits)


class _Tagger:
    """Hands out tags, reusing one for the same normalised text (and for a first name or surname
    that is part of a full name already tagged)."""

    def __init__(self, known: dict[tuple[str, str], str] | None):
        self.mapping = dict(known or {})

    def tag(self, entity_type: str, original: str) -> str:
        key = (entity_type, normalise(original))
        if key in self.mapping:
            return self.mapping[key]
        if entity_type == "PERSON":
            tokens = set(key[1].split())
            for (etype, known), tag in self.mapping.items():
                if etype == "PERSON" and tokens and (tokens <= set(known.split())
                                                     or set(known.split()) <= tokens):
                    self.mapping[key] = tag
                    return tag
        used = [int(t.rsplit("_", 1)[1].rstrip("]")) for (e, _), t in self.mapping.items()
                if e == entity_type]
        tag = f"[{entity_type}_{max(used, default=0) + 1}]"
        self.mapping[key] = tag
        return tag


def surrogate(entity_type: str, original: str, pools: dict[str, list[str]]) -> str:
    """A realistic stand-in, chosen deterministically from the original (same in, same out)."""
    digest = int(hashlib.sha256(f"{entity_type}:{normalise(original)}".encode()).hexdigest(), 16)
    fixed = {
        # Ofcom reserves 07700 900000-900999 for drama: never a real number.
        "PHONE": f"07700 900{digest % 1000:03d}",
        "NHS_NUMBER": f"999 {digest % 1000:03d} {digest % 10000:04d}",
        "POSTCODE": "ZZ99 3ZZ",
        "EMAIL": f"person{digest % 1000}@example.org",
        "DATE": "the first of January",
    }
    if entity_type in fixed:
        return fixed[entity_type]
    pool = pools.get(entity_type)
    if not pool:
        return f"[{entity_type}]"
    return pool[digest % len(pool)]


def apply(
    utterances: list[Utterance],
    decisions: list[Decision],
    mode: str = "tag",
    known_tags: dict[tuple[str, str], str] | None = None,
    pools: dict[str, list[str]] | None = None,
) -> Redacted:
    """Replace every decided span; overlapping decisions keep the first (longest) one."""
    tagger = _Tagger(known_tags)
    by_utterance: dict[int, list[Decision]] = {}
    for d in sorted(decisions, key=lambda d: (d.utterance, d.start, -(d.end - d.start))):
        kept = by_utterance.setdefault(d.utterance, [])
        if kept and d.start < kept[-1].end:
            continue
        kept.append(d)
    texts, replacements = [], []
    for i, utterance in enumerate(utterances):
        text, out, pos = utterance.text, [], 0
        for d in by_utterance.get(i, []):
            original = text[d.start : d.end]
            if d.entity_type == "AGE":
                new = AGE_OVER_89
            elif mode == "surrogate":
                new = surrogate(d.entity_type, original, pools or {})
            else:
                new = tagger.tag(d.entity_type, original)
            out.append(text[pos : d.start])
            deid_start = sum(len(s) for s in out)
            out.append(new)
            pos = d.end
            replacements.append(
                Replacement(d, original, new, deid_start, deid_start + len(new),
                            *audio_times(utterance, d.start, d.end))
            )
        out.append(text[pos:])
        texts.append("".join(out))
    return Redacted(texts, replacements, tagger.mapping)


def _overlaps(d: Decision, row: dict) -> bool:
    return (d.utterance == row["utterance_idx"] and d.start < row["orig_end"]
            and d.end > row["orig_start"])


def apply_reviews(decisions: list[Decision], reviews: list[dict]) -> list[Decision]:
    """Reviewers' decisions (redaction-log rows, oldest first) override the recognizers':
    ``undo`` removes what it covers, ``add`` redacts a span they missed."""
    result = list(decisions)
    for row in reviews:
        if row["kind"] == "undo":
            result = [d for d in result if not _overlaps(d, row)]
        elif row["kind"] == "add":
            result = [d for d in result if not _overlaps(d, row)]
            result.append(Decision(row["utterance_idx"], row["orig_start"], row["orig_end"],
                                   row["entity_type"], 1.0, "reviewer", "1", source="review"))
    return result


def map_offsets(result: Redacted, span) -> tuple[int, int] | None:
    """Where an unredacted span of the original text sits in the de-identified text
    (``None`` if a redaction covers part of it)."""
    shift = 0
    for r in result.replacements:
        d = r.decision
        if d.utterance != span.utterance or d.start >= span.end:
            continue
        if d.end > span.start:
            return None
        shift += len(r.replacement) - (d.end - d.start)
    return span.start + shift, span.end + shift


def split_by_score(spans, threshold: float) -> tuple[list[Decision], list[Decision]]:
    """Recognizer spans as decisions: those to redact, and low-score candidates for review."""
    redact_, review = [], []
    for span in spans:
        decision = Decision(span.utterance, span.start, span.end, span.entity_type, span.score,
                            span.recognizer, span.recognizer_version)
        (redact_ if span.score >= threshold else review).append(decision)
    return redact_, review


def log_rows(result: Redacted) -> list[dict]:
    """One redaction-log row per replacement (without the original text, which goes to the
    vault, and without the interview, pass and id the coordinator adds)."""
    return [
        {
            "kind": "redaction",
            "utterance_idx": r.decision.utterance,
            "orig_start": r.decision.start,
            "orig_end": r.decision.end,
            "deid_start": r.deid_start,
            "deid_end": r.deid_end,
            "audio_start": r.audio_start,
            "audio_end": r.audio_end,
            "entity_type": r.decision.entity_type,
            "recognizer": r.decision.recognizer,
            "recognizer_version": r.decision.recognizer_version,
            "score": round(r.decision.score, 4),
            "replacement": r.replacement,
            "review_status": "added" if r.decision.source == "review" else "auto",
        }
        for r in result.replacements
    ]


def residual_rows(result: Redacted, candidates: list[Decision]) -> list[dict]:
    """Low-score candidates left in the text, located in the de-identified text."""
    rows = []
    for c in candidates:
        mapped = map_offsets(result, c)
        if mapped is not None:
            rows.append({"utterance_idx": c.utterance, "deid_start": mapped[0],
                         "deid_end": mapped[1], "entity_type": c.entity_type,
                         "score": round(c.score, 4), "recognizer": c.recognizer})
    return rows
