"""PHONE: UK phone numbers, written or spoken, whole or garbled by speech recognition.

Reads digit runs from :mod:`pipeline.deidentify.spoken`, so "oh seven seven oh oh, nine oh oh,
one four eight", "07700 900148" and Whisper's "07, 7.0, 9.0, 1.48" are all one number. Fragments
of five or six digits are listed for review, or redacted when a phone word is near.
"""

from __future__ import annotations

import re

from .. import spoken
from .base import Recognizer, context_near

PHONE_CUES = (
    "phone",
    "mobile",
    "number",
    "numbers",
    "ring",
    "rang",
    "call",
    "landline",
    "text",
    "contact",
    "reach",
    "extension",
    "whatsapp",
    "digits",
    "dial",
    "home phone",
    "work phone",
)
_NOT_A_NUMBER_AFTER = re.compile(
    r"\s*(?:pounds?|quid|grand|k\b|%|percent|per cent|pence|p\b|ml|mg|mls|miles|steps|calories|"
    r"kg|kilos|"
    r"grams|litres|years|months|weeks|days|hours|minutes|people|patients)",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?:19|20)\d\d")


def not_a_number(text: str, run: spoken.DigitRun) -> bool:
    """Money, measures and year ranges are not identifiers."""
    if any(c in "£$€" for c in text[max(0, run.start - 2) : run.start]):
        return True
    if _NOT_A_NUMBER_AFTER.match(text, run.end):
        return True
    groups = [d for _, _, d in run.items if d]
    return len(groups) >= 2 and all(_YEAR.fullmatch(g) for g in groups)


class PhoneRecognizer(Recognizer):
    ENTITIES = ("PHONE",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        results = []
        for run in spoken.digit_runs(text):
            d = run.digits
            n = len(d)
            if n < 5 or not_a_number(text, run):
                continue
            cue = context_near(text, run.start, run.end, PHONE_CUES, before=120)
            if d.startswith("0") or d.startswith("44"):
                if 10 <= n <= 13:
                    score, why = 0.9, "UK number, 10-13 digits"
                elif n >= 8:
                    score, why = 0.8, "number starting 0, digits missing or extra"
                elif n >= 7:
                    score, why = 0.6, "7 digits starting 0"
                else:
                    score, why = (
                        (0.55, "fragment near a phone word") if cue else (0.35, "short fragment")
                    )
            elif n >= 9:
                score, why = 0.7, "long digit run"
            elif n >= 7:
                score, why = 0.6, "7-8 digit run"
            else:
                score, why = (
                    (0.55, "fragment near a phone word") if cue else (0.3, "short fragment")
                )
            if cue and score < 0.9:
                score += 0.1
            results.append(self.result("PHONE", run.start, run.end, score, why))
        return results
