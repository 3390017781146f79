"""Numbers and letters as Whisper writes them, read back to digit and letter strings with offsets.

"oh seven seven oh oh, nine oh oh", "07700 900148", "07, 7.0, 9.0, 1.48" and "double seven" all
read as digit runs; "s e five nine r s", "be R1-3-PQ" and "SE5 9RS" as postcode letters. Every
digit or letter keeps the character offsets of the words it came from, so the spans a recognizer
reports cover the original words, not a normalised copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from . import vocab

_PIECE = re.compile(r"\d+|[A-Za-z]+(?:['’][A-Za-z]+)*")
_ORDINAL_SUFFIX = frozenset(("st", "nd", "rd", "th"))
#: At most this many filler words ("um", "yeah") inside one number.
MAX_FILLERS = 3


@dataclass(frozen=True)
class Piece:
    """A run of digits or of letters in the text (``"SE5"`` is two pieces, glued)."""

    start: int
    end: int
    text: str
    lower: str

    @property
    def is_digits(self) -> bool:
        return self.text[0].isdigit()


@lru_cache(maxsize=8)
def pieces(text: str) -> tuple[Piece, ...]:
    return tuple(
        Piece(m.start(), m.end(), m.group(), m.group().lower()) for m in _PIECE.finditer(text)
    )


def _separator_gap(text: str, start: int, end: int) -> bool:
    return all(c in vocab.NUMBER_SEPARATORS for c in text[start:end])


def _glued(ps: tuple[Piece, ...], i: int) -> bool:
    """True if piece i touches a digit piece with no space (the "TT" of "TT84", "io" of "0io")."""
    before = i > 0 and ps[i - 1].end == ps[i].start and ps[i - 1].is_digits
    after = i + 1 < len(ps) and ps[i + 1].start == ps[i].end and ps[i + 1].is_digits
    return before or after


# --- digits -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigitRun:
    """Consecutive digits, spoken or written, possibly across separators, fillers and utterances."""

    start: int
    end: int
    digits: str
    spoken: bool
    """True if any digit came from a word ("oh", "seven")."""
    items: tuple[tuple[int, int, str], ...]
    """(start, end, digits) of each piece of the run."""


def _number_at(text: str, ps: tuple[Piece, ...], i: int) -> tuple[str, int] | None:
    """Digits read from pieces[i:], and how many pieces they used; None if not a number here."""
    p = ps[i]
    nxt = ps[i + 1] if i + 1 < len(ps) else None
    close = nxt is not None and nxt.start - p.end <= 2 and _separator_gap(text, p.end, nxt.start)
    if p.is_digits:
        if nxt is not None and nxt.start == p.end and nxt.lower in _ORDINAL_SUFFIX:
            return None  # "5th": a date, not part of a number
        return p.text, 1
    word = p.lower
    if word in vocab.REPEAT_WORDS and close:
        value = _number_at(text, ps, i + 1)
        if value is not None and len(value[0]) == 1:
            return value[0] * vocab.REPEAT_WORDS[word], 1 + value[1]
        return None
    if word in vocab.DIGIT_WORDS:
        if close and nxt.lower == "hundred":
            return vocab.DIGIT_WORDS[word] + "00", 2
        return vocab.DIGIT_WORDS[word], 1
    if word in vocab.TEEN_WORDS:
        return vocab.TEEN_WORDS[word], 1
    if word in vocab.TENS_WORDS:
        if (
            close
            and nxt.lower in vocab.DIGIT_WORDS
            and nxt.lower not in ("oh", "o", "zero", "nought", "nil")
        ):
            return vocab.TENS_WORDS[word] + vocab.DIGIT_WORDS[nxt.lower], 2
        return vocab.TENS_WORDS[word] + "0", 1
    return None


@lru_cache(maxsize=8)
def digit_runs(text: str) -> tuple[DigitRun, ...]:
    """Every run of digits in ``text`` (runs of a single piece included)."""
    ps = pieces(text)
    runs: list[DigitRun] = []
    items: list[tuple[int, int, str]] = []
    spoken = False
    fillers = 0
    prev_end = 0

    def close():
        nonlocal items, spoken, fillers
        if items:
            runs.append(
                DigitRun(
                    items[0][0], items[-1][1], "".join(d for _, _, d in items), spoken, tuple(items)
                )
            )
        items, spoken, fillers = [], False, 0

    i = 0
    while i < len(ps):
        p = ps[i]
        if items and not _separator_gap(text, prev_end, p.start):
            close()
        value = _number_at(text, ps, i)
        if value is not None:
            digits, used = value
            end = ps[i + used - 1].end
            items.append((p.start, end, digits))
            spoken = spoken or not p.is_digits
            fillers = 0
            prev_end = end
            i += used
            continue
        if (
            not p.is_digits
            and _glued(ps, i)
            and len(p.text) <= 3
            and p.lower not in _ORDINAL_SUFFIX
        ):
            # Letters stuck to digits ("TT84", "0io"): ASR noise inside the number (trimmed off
            # the ends of a run below).
            items.append((p.start, p.end, ""))
        elif items and p.lower in vocab.NUMBER_FILLERS and fillers < MAX_FILLERS:
            fillers += 1
        else:
            close()
        prev_end = p.end
        i += 1
    close()
    # Drop leading/trailing letter noise and runs without digits.
    cleaned = []
    for run in runs:
        its = list(run.items)
        while its and not its[0][2]:
            its.pop(0)
        while its and not its[-1][2]:
            its.pop()
        if its:
            cleaned.append(
                DigitRun(
                    its[0][0], its[-1][1], "".join(d for _, _, d in its), run.spoken, tuple(its)
                )
            )
    return tuple(cleaned)


# --- postcode letters and digits ----------------------------------------------------------------

AMBIGUOUS = "Ø"
"""Symbol for "oh" / "O": the letter O or the digit zero."""


@dataclass(frozen=True)
class Symbol:
    char: str
    """An upper-case letter, a digit, or :data:`AMBIGUOUS`."""
    start: int
    end: int
    first: bool
    """First symbol of its piece (a match may start here)."""
    last: bool
    """Last symbol of its piece (a match may end here)."""
    spoken: bool


def _symbols_of(text: str, ps: tuple[Piece, ...], i: int) -> tuple[list[Symbol], int] | None:
    p = ps[i]
    word = p.lower
    nxt = ps[i + 1] if i + 1 < len(ps) else None
    if p.is_digits:
        n = len(p.text)
        return [
            Symbol(c, p.start + k, p.start + k + 1, k == 0, k == n - 1, False)
            for k, c in enumerate(p.text)
        ], 1
    if _glued(ps, i) and len(p.text) <= 3:
        n = len(p.text)
        return [
            Symbol(
                AMBIGUOUS if c in "oO" else c.upper(),
                p.start + k,
                p.start + k + 1,
                k == 0,
                k == n - 1,
                False,
            )
            for k, c in enumerate(p.text)
        ], 1
    if word in vocab.REPEAT_WORDS and nxt is not None and _separator_gap(text, p.end, nxt.start):
        inner = _symbols_of(text, ps, i + 1)
        if inner and len(inner[0]) == 1 and inner[1] == 1:
            c = inner[0][0].char
            times = vocab.REPEAT_WORDS[word]
            return [
                Symbol(c, p.start, nxt.end, k == 0, k == times - 1, True) for k in range(times)
            ], 2
        return None
    if word in ("oh", "o"):
        return [Symbol(AMBIGUOUS, p.start, p.end, True, True, word == "oh")], 1
    if len(p.text) == 1:
        return [Symbol(p.text.upper(), p.start, p.end, True, True, False)], 1
    if word in vocab.DIGIT_WORDS:
        return [Symbol(vocab.DIGIT_WORDS[word], p.start, p.end, True, True, True)], 1
    if word in vocab.TEEN_WORDS:
        d = vocab.TEEN_WORDS[word]
        return [
            Symbol(d[0], p.start, p.end, True, False, True),
            Symbol(d[1], p.start, p.end, False, True, True),
        ], 1
    if word in vocab.LETTER_WORDS:
        return [Symbol(vocab.LETTER_WORDS[word], p.start, p.end, True, True, True)], 1
    if len(p.text) <= 3 and (
        p.text.isupper() or (len(p.text) == 2 and word not in vocab.TWO_LETTER_WORDS)
    ):
        n = len(p.text)
        return [
            Symbol(c.upper(), p.start + k, p.start + k + 1, k == 0, k == n - 1, False)
            for k, c in enumerate(p.text)
        ], 1
    return None


@lru_cache(maxsize=8)
def symbol_groups(text: str) -> tuple[tuple[Symbol, ...], ...]:
    """Runs of letters and digits that could spell a postcode, with their offsets."""
    ps = pieces(text)
    groups: list[tuple[Symbol, ...]] = []
    current: list[Symbol] = []
    fillers = 0
    prev_end = 0
    i = 0
    while i < len(ps):
        p = ps[i]
        if current and not _separator_gap(text, prev_end, p.start):
            groups.append(tuple(current))
            current, fillers = [], 0
        got = _symbols_of(text, ps, i)
        if got is not None:
            symbols, used = got
            current.extend(symbols)
            fillers = 0
            prev_end = ps[i + used - 1].end
            i += used
            continue
        if current and p.lower in vocab.NUMBER_FILLERS and fillers < MAX_FILLERS:
            fillers += 1
        elif current:
            groups.append(tuple(current))
            current, fillers = [], 0
        prev_end = p.end
        i += 1
    if current:
        groups.append(tuple(current))
    return tuple(g for g in groups if len(g) >= 4)


# --- small numbers (ages) -----------------------------------------------------------------------

_UNITS = {k: int(v) for k, v in vocab.DIGIT_WORDS.items() if k not in ("oh", "o", "nil", "nought")}
_NUMBER_WORD = re.compile(r"[a-z]+")


def words_to_int(phrase: str) -> int | None:
    """Integer value of "92", "ninety two", "ninety-two", "a hundred and one"; None otherwise."""
    phrase = phrase.strip().lower()
    if phrase.isdigit():
        return int(phrase)
    words = [w for w in _NUMBER_WORD.findall(phrase) if w != "and"]
    if not words:
        return None
    total = 0
    current = 0
    for w in words:
        if w in ("a",) and current == 0:
            current = 1
        elif w in _UNITS:
            current += _UNITS[w]
        elif w in vocab.TEEN_WORDS:
            current += int(vocab.TEEN_WORDS[w])
        elif w in vocab.TENS_WORDS:
            current += int(vocab.TENS_WORDS[w]) * 10
        elif w == "hundred":
            current = max(current, 1) * 100
        else:
            return None
    total += current
    return total
