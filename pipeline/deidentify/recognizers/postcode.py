"""POSTCODE: UK postcodes written ("SE5 9RS"), spelt out ("s e five nine r s", "B R one, three P Q")
or garbled ("be R1-3-PQ", "VR1-3PQ").

Letters and digits come from :func:`pipeline.deidentify.spoken.symbol_groups`; a postcode is any
stretch matching outward code + inward code (letter positions are not checked strictly, since
speech recognition mishears letters). "oh" may be the letter O or zero. An outward code with the
first digit of the inward code ("BR1 3...") is taken near a postcode cue.
"""

from __future__ import annotations

import re

from .. import spoken
from .base import Recognizer, context_near

L, D = "[A-ZØ]", "[0-9Ø]"
FULL = re.compile(f"{L}{{1,2}}{D}[A-Z0-9Ø]?{D}{L}{{2}}")
PARTIAL = re.compile(f"{L}{{2}}{D}[A-Z0-9Ø]?{D}")
POSTCODE_CUES = (
    "postcode",
    "post code",
    "postal code",
    "address",
    "letters",
    "letter",
    "post",
    "write to",
    "send",
    "live at",
    "lives at",
    "flat",
    "house",
)
#: A garbled part of a postcode ("be our one, three ...") is also taken next to contact details.
PARTIAL_CUES = POSTCODE_CUES + ("mobile", "phone", "number", "email", "contact", "landline")


def _real_letter(chars: str) -> bool:
    return any(c.isalpha() and c != spoken.AMBIGUOUS for c in chars)


def _plausible(code: str, full: bool) -> bool:
    if not any(c.isdigit() for c in code):
        return False
    area = re.match(r"[A-ZØ]+", code).group()
    if not _real_letter(area):
        return False
    return _real_letter(code[-2:]) if full else True


class PostcodeRecognizer(Recognizer):
    ENTITIES = ("POSTCODE",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        results = []
        for group in spoken.symbol_groups(text):
            chars = "".join(s.char for s in group)
            i = 0
            while i < len(group):
                found = None
                if group[i].first:
                    found = self._match_at(text, group, chars, i)
                if found is None:
                    i += 1
                    continue
                j, score, why = found
                results.append(
                    self.result("POSTCODE", group[i].start, group[j - 1].end, score, why)
                )
                i = j
        return results

    def _match_at(self, text, group, chars, i):
        cue = None
        for length in (7, 6, 5):
            j = i + length
            if j > len(group) or not group[j - 1].last:
                continue
            code = chars[i:j]
            if FULL.fullmatch(code) and _plausible(code, True):
                spoken_letters = any(s.spoken and s.char.isalpha() for s in group[i:j])
                cue = context_near(text, group[i].start, group[j - 1].end, POSTCODE_CUES)
                score = 0.75 if spoken_letters else 0.85
                return j, min(0.95, score + (0.15 if cue else 0)), "outward and inward code"
        for length in (5, 4):
            j = i + length
            if j > len(group) or not group[j - 1].last:
                continue
            code = chars[i:j]
            if PARTIAL.fullmatch(code) and _plausible(code, False):
                if context_near(text, group[i].start, group[j - 1].end, PARTIAL_CUES, before=120):
                    return j, 0.6, "outward code and inward digit near a postcode cue"
        return None
