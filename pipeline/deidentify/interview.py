"""One interview as one text: identifiers split across utterances are seen whole.

Utterances are joined with a newline, so every recognizer sees "... oh seven seven" followed by
"oh oh nine ..." as one number, and spans found in the joined text are mapped back to
(utterance, start, end), one piece per utterance they cross.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

SEPARATOR = "\n"
#: Characters trimmed off the ends of each piece of a span.
_TRIM = " \t\n,;:!?"


@dataclass(frozen=True)
class InterviewText:
    text: str
    """The utterances joined by :data:`SEPARATOR` (newlines inside an utterance become spaces)."""
    starts: tuple[int, ...]
    """Offset of each utterance in :attr:`text`."""
    lengths: tuple[int, ...]

    @classmethod
    def join(cls, utterances: list[str]) -> "InterviewText":
        starts, lengths, parts = [], [], []
        offset = 0
        for utterance in utterances:
            if not isinstance(utterance, str):
                raise TypeError(f"utterances must be strings, got {type(utterance).__name__}")
            # Same length, so offsets in the joined text map straight back.
            parts.append(utterance.replace("\r", " ").replace("\n", " "))
            starts.append(offset)
            lengths.append(len(utterance))
            offset += len(utterance) + len(SEPARATOR)
        return cls(SEPARATOR.join(parts), tuple(starts), tuple(lengths))

    def utterance_of(self, offset: int) -> int:
        """Index of the utterance holding (or ending just before) ``offset``."""
        return max(0, bisect.bisect_right(self.starts, offset) - 1)

    def is_boundary(self, offset: int) -> bool:
        """True if ``offset`` is the start of an utterance."""
        i = bisect.bisect_left(self.starts, offset)
        return i < len(self.starts) and self.starts[i] == offset

    def pieces(self, start: int, end: int) -> list[tuple[int, int, int]]:
        """(utterance, start, end) for each utterance the joined span [start, end) touches.

        Each piece is trimmed of surrounding whitespace and punctuation; empty pieces are dropped.
        """
        result = []
        first = self.utterance_of(start)
        for i in range(first, len(self.starts)):
            u_start = self.starts[i]
            if u_start >= end:
                break
            u_end = u_start + self.lengths[i]
            s, e = max(start, u_start), min(end, u_end)
            while s < e and self.text[s] in _TRIM:
                s += 1
            while e > s and self.text[e - 1] in _TRIM:
                e -= 1
            if s < e:
                result.append((i, s - u_start, e - u_start))
        return result
