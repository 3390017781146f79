"""AGE: ages over 89 ("she's ninety two", "aged 93", "a hundred and one years old").

Only these are identifiers (they become "over 89", see :func:`age_replacement`); ordinary ages
("I'm 61") are kept and never reported. The span is the number alone, so "aged 93" reads
"aged over 89" once replaced.
"""

from __future__ import annotations

import re

from .. import spoken, vocab
from .base import Recognizer

_UNIT = "(?:one|two|three|four|five|six|seven|eight|nine)"
NUMBER = (
    rf"(?:(?:a|one)[\s-]+hundred(?:[\s-]+and)?(?:[\s-]+(?:(?:ten|eleven|twelve|thirteen|fourteen|fifteen|"
    rf"sixteen|seventeen|eighteen|nineteen)|(?:twenty|thirty)(?:[\s-]+{_UNIT})?|{_UNIT}))?"
    rf"|ninety(?:[\s-]+{_UNIT})?|9\d|1[01]\d)"
)
_HEDGE = r"(?:(?:about|nearly|almost|over|around|just|at least|coming up to|well)\s+)?"
_STRONG_BEFORE = ("aged", "age of", "age", "turned", "turns", "turning", "reached", "reach")
_BEFORE = "|".join(re.escape(c) for c in sorted(vocab.AGE_CUES_BEFORE, key=len, reverse=True))
CUE_BEFORE = re.compile(rf"\b(?P<cue>{_BEFORE})\s+{_HEDGE}(?P<n>{NUMBER})\b", re.IGNORECASE)
POSSESSIVE_BEFORE = re.compile(rf"\b[a-z]+'s\s+{_HEDGE}(?P<n>{NUMBER})\b", re.IGNORECASE)
CUE_AFTER = re.compile(
    rf"\b(?P<n>{NUMBER})(?:[\s-]+(?:years?|yrs?)[\s-]+old|[\s-]+years?[\s-]+of[\s-]+age|\s+next\s+birthday)",
    re.IGNORECASE,
)
#: After a weak cue ("she's", "was") the number must end the phrase, not count something.
_ENDS_PHRASE = re.compile(
    r"\s*(?:$|[.,;:!?\n]|and\b|now\b|this\b|next\b|in\b|when\b|so\b|but\b|years?\b)", re.IGNORECASE
)


def age_value(phrase: str) -> int | None:
    return spoken.words_to_int(phrase.replace("-", " "))


def age_replacement(span_text: str) -> str | None:
    """What an AGE span becomes: "over 89" for ages above 89, None for anything else."""
    value = age_value(span_text)
    if value is not None and value > vocab.AGE_LIMIT:
        return f"over {vocab.AGE_LIMIT}"
    return None


class AgeRecognizer(Recognizer):
    ENTITIES = ("AGE",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        found: dict[tuple[int, int], tuple[float, str]] = {}

        def add(m, score, why):
            value = age_value(m.group("n"))
            if value is None or not (vocab.AGE_LIMIT < value < 125):
                return
            key = (m.start("n"), m.end("n"))
            if key not in found or found[key][0] < score:
                found[key] = (score, why)

        for m in CUE_AFTER.finditer(text):
            add(m, 0.9, "age over 89, years old")
        for m in CUE_BEFORE.finditer(text):
            cue = m.group("cue").lower()
            if cue in _STRONG_BEFORE:
                add(m, 0.85, f"age over 89 after '{cue}'")
            elif _ENDS_PHRASE.match(text, m.end("n")):
                add(m, 0.7, f"age over 89 after '{cue}'")
        for m in POSSESSIVE_BEFORE.finditer(text):
            if m.group().lower().split("'")[0] in (
                "it",
                "that",
                "there",
                "what",
                "here",
                "where",
                "how",
            ):
                continue
            if _ENDS_PHRASE.match(text, m.end("n")):
                add(m, 0.6, "age over 89 after a possessive")
        return [self.result("AGE", s, e, score, why) for (s, e), (score, why) in found.items()]
