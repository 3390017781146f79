"""The study's deny list: terms always redacted, whole words, any case ("St Thomas'" also matches
"st thomas's" and "Saint Thomas").

A Presidio PatternRecognizer per entity type, one pattern per term.
"""

from __future__ import annotations

import re

from .._presidio import Pattern, PatternRecognizer
from ..errors import DeidentifyError
from ..tokens import WORD

VERSION = "1"


def term_regex(term: str) -> str:
    """A regex for ``term``: flexible spaces and punctuation between words, optional apostrophes."""
    parts = []
    for m in WORD.finditer(term):
        word = m.group().replace("’", "'")
        low = word.lower()
        if low in ("st", "saint"):
            parts.append(r"(?:st|saint)\.?")
            continue
        if low == "&":
            parts.append(r"(?:&|and)")
            continue
        core = word[:-2] if low.endswith("'s") else word.rstrip("'")
        piece = r"['’]?".join(re.escape(c) for c in core.split("'"))
        parts.append(piece + r"(?:['’]s|['’]|s)?" if low.endswith(("'s", "'", "s")) else piece)
    if not parts:
        raise DeidentifyError(f"deny list term {term!r} has no words")
    return r"(?<![A-Za-z0-9])" + r"[\s,.\-]+".join(parts) + r"(?![A-Za-z0-9])"


class DenyListRecognizer(PatternRecognizer):
    """Terms of one entity type from the study's deny list, score 1.0."""

    VERSION = VERSION

    def __init__(self, entity: str, terms: list[str]):
        patterns = [
            Pattern(name=f"deny: {t}", regex=term_regex(t), score=1.0) for t in terms if t.strip()
        ]
        super().__init__(
            supported_entity=entity,
            name="DenyListRecognizer",
            patterns=patterns,
            version=VERSION,
            global_regex_flags=re.IGNORECASE | re.MULTILINE,
        )
