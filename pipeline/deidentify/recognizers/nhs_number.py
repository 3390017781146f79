"""NHS_NUMBER: ten digits (3-3-4 when spoken), written or spoken, checksum-valid or near an NHS cue.

A checksum alone is weak evidence (any ten digits pass one time in eleven) and speech recognition
drops or adds digits, so a run near "NHS number" is taken whatever its length and checksum.
"""

from __future__ import annotations

from .. import spoken
from .base import Recognizer, context_near
from .phone import not_a_number

NHS_CUES = ("nhs", "nhs number", "hospital number", "patient number", "chi number")


def nhs_checksum_valid(digits: str) -> bool:
    """Modulus 11 check of a 10-digit NHS number."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


class NhsNumberRecognizer(Recognizer):
    ENTITIES = ("NHS_NUMBER",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        results = []
        for run in spoken.digit_runs(text):
            d = run.digits
            n = len(d)
            if n < 6 or not_a_number(text, run):
                continue
            cue = context_near(text, run.start, run.end, NHS_CUES, before=160)
            if n == 10 and nhs_checksum_valid(d):
                score, why = (0.95 if cue else 0.85), "10 digits, valid checksum"
            elif n == 10 and not d.startswith("0"):
                score, why = (0.9 if cue else 0.75), "10 digits"
            elif cue and 8 <= n <= 12:
                score, why = 0.85, "digits near an NHS cue"
            elif cue:
                score, why = 0.6, "digit fragment near an NHS cue"
            else:
                continue
            results.append(self.result("NHS_NUMBER", run.start, run.end, score, why))
        return results
