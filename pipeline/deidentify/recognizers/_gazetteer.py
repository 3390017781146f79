"""Shared gazetteer matching: longest list entry at each word, on normalised words
("St Thomas'" = "st thomas's" = "Saint Thomas", "Guy's" = "Guys")."""

from __future__ import annotations

from dataclasses import dataclass

from .. import vocab
from ..cues import next_word, prev_word
from ..lexicon import PhraseIndex
from ..tokens import Word, words

_JOIN = " -.'’\n"


@dataclass(frozen=True)
class Match:
    first: int
    last: int
    entry: str
    variant: bool
    """Matched a derived spelling ("guys" for "Guy's")."""
    cap: bool
    """The first word is capitalised (or the match is a written form with an apostrophe)."""
    initial: bool
    preposition: bool
    """A place preposition ("at", "from", "in") comes just before."""


def matches(text: str, ws: tuple[Word, ...], index: PhraseIndex):
    """Longest, non-overlapping matches of ``index`` in the words."""
    keys = [w.norm for w in ws]
    i = 0
    while i < len(ws):
        found = index.match(keys, i)
        if found is None:
            i += 1
            continue
        n, entry = found
        last = i + n - 1
        if any(
            not all(c in _JOIN for c in text[ws[k].end : ws[k + 1].start]) for k in range(i, last)
        ):
            i += 1
            continue
        key = tuple(keys[i : last + 1])
        prev = prev_word(text, ws, i)
        if prev is not None and prev.lower == "the":  # "to the Lister", "at the Royal Free"
            prev = prev_word(text, ws, i - 1)
        if prev is not None and "\n" in text[prev.end : ws[i].start]:
            prev = (
                None  # a preposition in the previous utterance says little: "came round" / "Hope"
            )
        yield Match(
            first=i,
            last=last,
            entry=entry,
            variant=key in index.variants,
            cap=ws[i].cap or ws[i].text.isupper() and len(ws[i].text) > 1,
            initial=ws[i].initial,
            preposition=prev is not None and prev.lower in vocab.PLACE_PREPOSITIONS,
        )
        i = last + 1


def followed_by(text: str, ws: tuple[Word, ...], last: int, options: frozenset[str]) -> bool:
    nxt = next_word(text, ws, last)
    return nxt is not None and nxt.lower in options


def the_words(text, nlp_artifacts):
    return words(text, getattr(nlp_artifacts, "tokens", None))
