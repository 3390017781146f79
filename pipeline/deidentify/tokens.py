"""Words of the interview text with the features recognizers look at.

Recognizers work on these, not on spaCy's tokens: "King's", "St Thomas'" and "O'Brien" stay one
word each, and a word knows whether it is capitalised and whether it starts a sentence or an
utterance (Whisper capitalises sentence starts, so only a capital inside a sentence says "name").
Part-of-speech tags are taken from the spaCy document when there is one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z0-9]+)*(?:(?<=[sS])['’](?![A-Za-z]))?|&")
_SENTENCE_END = ".?!"
_SKIP_BACK = " \t\"'“”‘’()[]"


@dataclass(frozen=True)
class Word:
    index: int
    start: int
    end: int
    text: str
    lower: str
    """Lower case, curly apostrophes made straight."""
    norm: str
    """Matching key: lower case, possessive 's and apostrophes removed, "saint" -> "st",
    "&" -> "and"."""
    cap: bool
    """Starts with a capital and is not all capitals ("Grace", not "NHS", not "grace")."""
    initial: bool
    """First word of a sentence or of an utterance."""
    pos: str
    """spaCy coarse part of speech ("PROPN", "NOUN", ...), or "" without a model."""

    @property
    def is_alpha(self) -> bool:
        return self.text.replace("'", "").replace("’", "").isalpha()


def norm(word: str) -> str:
    w = word.lower().replace("’", "'")
    if w == "&":
        return "and"
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    if w == "saint":
        return "st"
    return w


def _initial(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in _SKIP_BACK:
        i -= 1
    return i < 0 or text[i] == "\n" or text[i] in _SENTENCE_END


@lru_cache(maxsize=8)
def _words(text: str) -> tuple[Word, ...]:
    result = []
    for index, m in enumerate(WORD.finditer(text)):
        t = m.group()
        lower = t.lower().replace("’", "'")
        cap = t[0].isupper() and not (len(t) > 1 and t.replace("'", "").replace("’", "").isupper())
        result.append(
            Word(index, m.start(), m.end(), t, lower, norm(t), cap, _initial(text, m.start()), "")
        )
    return tuple(result)


_POS_CACHE: dict[int, tuple[str, tuple[Word, ...]]] = {}


def words(text: str, doc=None) -> tuple[Word, ...]:
    """The words of ``text``; with a spaCy ``doc`` of the same text, tagged with its POS."""
    plain = _words(text)
    if doc is None or not doc.has_annotation("POS"):
        return plain
    key = id(doc)
    cached = _POS_CACHE.get(key)
    if cached is not None and cached[0] is text:
        return cached[1]
    pos_at = {t.idx: t.pos_ for t in doc}
    tagged = tuple(
        Word(
            w.index,
            w.start,
            w.end,
            w.text,
            w.lower,
            w.norm,
            w.cap,
            w.initial,
            pos_at.get(w.start, ""),
        )
        for w in plain
    )
    _POS_CACHE.clear()  # one interview at a time: keep only the latest
    _POS_CACHE[key] = (text, tagged)
    return tagged


def starting_at(ws: tuple[Word, ...]) -> dict[int, int]:
    """Map from a word's start offset to its index."""
    return {w.start: w.index for w in ws}


def gap(text: str, a: Word, b: Word) -> str:
    """The characters between two words."""
    return text[a.end : b.start]


def joined(text: str, a: Word, b: Word, allow: str = " ") -> bool:
    """True if only characters in ``allow`` stand between words a and b (no utterance break)."""
    return all(c in allow for c in text[a.end : b.start])
