"""DATE: a day with its month, written or spoken ("the fourteenth of March", "14th March 2023",
"March the 14th", "14/03/2023"). A month with a year ("March 2023") is listed for review.

Weekdays, months alone, years alone, "last year" and durations ("six years", "about two years")
are kept: this recognizer replaces Presidio's DATE_TIME and spaCy's DATE, which flag them.
"""

from __future__ import annotations

import re

from .. import vocab
from .base import Recognizer

_UNIT = "(?:one|two|three|four|five|six|seven|eight|nine)"
_TEEN = "(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)"
_TENS = "(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
_SEP = r"[\s-]+"
_ORD_UNIT = "(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
ORDINAL = (
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)|(?:twenty|thirty){_SEP}{_ORD_UNIT}|"
    + "|".join(sorted(vocab.ORDINAL_WORDS, key=len, reverse=True))
    + ")"
)
MONTH = "(?:" + "|".join(vocab.MONTHS) + "|sept)"
DAY_NUMBER = r"(?:3[01]|[12]\d|0?[1-9])"
SPOKEN_YEAR = (
    rf"(?:(?:nineteen|twenty){_SEP}(?:oh{_SEP}{_UNIT}|{_TEEN}|{_TENS}(?:{_SEP}{_UNIT})?)"
    rf"|two{_SEP}thousand(?:{_SEP}and)?(?:{_SEP}(?:{_TEEN}|{_TENS}(?:{_SEP}{_UNIT})?|{_UNIT}))?)"
)
YEAR = rf"(?:(?:19|20)\d\d|'\d\d|{SPOKEN_YEAR})"
_OPT_YEAR = rf"(?:,?\s+(?:in\s+)?{YEAR})?"

PATTERNS = (
    # (name, regex, score); checked in order, earlier wins on overlap
    ("day of month", rf"\b(?:the\s+)?{ORDINAL}\s+(?:of\s+)?{MONTH}\b{_OPT_YEAR}", 0.9),
    ("month the day", rf"\b{MONTH}\s+(?:the\s+)?{ORDINAL}\b{_OPT_YEAR}", 0.9),
    ("day month", rf"\b{DAY_NUMBER}\s+{MONTH}\b{_OPT_YEAR}", 0.85),
    ("month day year", rf"\b{MONTH}\s+{DAY_NUMBER},?\s+{YEAR}\b", 0.85),
    (
        "month day",
        rf"\b{MONTH}\s+{DAY_NUMBER}\b(?!\s*(?:%|percent|people|years|weeks|days|pounds))",
        0.55,
    ),
    ("numeric date", r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b", 0.9),
    ("iso date", r"\b(?:19|20)\d\d-\d{1,2}-\d{1,2}\b", 0.9),
    ("month year", rf"\b{MONTH}\s+(?:of\s+)?{YEAR}\b", 0.4),
)
_COMPILED = tuple((name, re.compile(rx, re.IGNORECASE), score) for name, rx, score in PATTERNS)
#: Month names that are everyday words: lower case only counts in "the fifth of may".
_WORD_MONTHS = ("may", "march")


def _numeric_ok(text: str) -> bool:
    raw = re.split(r"[/.-]", text)
    parts = [int(p) for p in raw]
    if len(raw[0]) == 4:  # ISO: year first
        return 1 <= parts[1] <= 12 and 1 <= parts[2] <= 31
    a, b = parts[0], parts[1]
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)


class DateRecognizer(Recognizer):
    ENTITIES = ("DATE",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        results = []
        taken: list[tuple[int, int]] = []
        for name, rx, score in _COMPILED:
            for m in rx.finditer(text):
                if any(m.start() < e and s < m.end() for s, e in taken):
                    continue
                found = m.group()
                if name in ("numeric date", "iso date"):
                    if not _numeric_ok(found):
                        continue
                elif name != "day of month":
                    month = re.search(MONTH, found, re.IGNORECASE).group()
                    if month.islower() and month in _WORD_MONTHS:
                        continue  # "I may 5", "we march 10"
                taken.append((m.start(), m.end()))
                results.append(self.result("DATE", m.start(), m.end(), score, name))
        return results
