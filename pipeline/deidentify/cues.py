"""Cue phrases next to a word: "my friend _", "_ said", "thanks, _"."""

from __future__ import annotations

from collections.abc import Iterable

from .tokens import Word

#: Sentence ends. A line break (utterance boundary) is not one: Whisper cuts mid-sentence.
_BREAKS = ".?!"


def _phrase(p: str) -> tuple[str, ...]:
    return tuple(p.lower().replace("’", "'").split())


def same_clause(text: str, a: Word, b: Word) -> bool:
    """No sentence end between words a and b (commas and utterance breaks allowed)."""
    return not any(c in _BREAKS for c in text[a.end : b.start])


class Cues:
    """A set of phrases, matched on lower-case words."""

    def __init__(self, phrases: Iterable[str]):
        self.phrases = frozenset(_phrase(p) for p in phrases)
        self.lengths = sorted({len(p) for p in self.phrases}, reverse=True)

    def before(
        self, text: str, ws: tuple[Word, ...], i: int, skip: frozenset[str] = frozenset()
    ) -> str | None:
        """The cue phrase ending just before word i (words in ``skip`` may stand between)."""
        j = i
        while True:
            for n in self.lengths:
                if j - n < 0:
                    continue
                words = ws[j - n : j]
                if (
                    tuple(w.lower for w in words) in self.phrases
                    and same_clause(text, words[-1], ws[i])
                    and all(same_clause(text, a, b) for a, b in zip(words, words[1:], strict=False))
                ):
                    return " ".join(w.lower for w in words)
            if j > 0 and ws[j - 1].lower in skip and same_clause(text, ws[j - 1], ws[j]):
                j -= 1
            else:
                return None

    def after(self, text: str, ws: tuple[Word, ...], i: int) -> str | None:
        """The cue phrase starting just after word i."""
        for n in self.lengths:
            if i + 1 + n > len(ws):
                continue
            words = ws[i + 1 : i + 1 + n]
            if (
                tuple(w.lower for w in words) in self.phrases
                and same_clause(text, ws[i], words[0])
                and all(same_clause(text, a, b) for a, b in zip(words, words[1:], strict=False))
            ):
                return " ".join(w.lower for w in words)
        return None


def ends_phrase(text: str, w: Word) -> bool:
    """Word w is followed by punctuation, a line break or the end of the text."""
    rest = text[w.end : w.end + 3].lstrip(" ")
    return not rest or rest[0] in ".,?!;:\n"


def prev_word(text: str, ws: tuple[Word, ...], i: int) -> Word | None:
    """The word before i in the same clause, or None."""
    if i > 0 and same_clause(text, ws[i - 1], ws[i]):
        return ws[i - 1]
    return None


def next_word(text: str, ws: tuple[Word, ...], i: int) -> Word | None:
    if i + 1 < len(ws) and same_clause(text, ws[i], ws[i + 1]):
        return ws[i + 1]
    return None
