"""ORGANIZATION: hospitals and renal units from uk_hospitals.txt ("St Thomas'", "King's", "Guy's",
"St Helier", "Queen Elizabeth Hospital"), however they are written ("guys", "Kings", "King").

One-word names that are ordinary words ("guys", "King") count after a place preposition
("at guys", "the link nurse at King said") or before a hospital word ("Guy's renal unit").
"""

from __future__ import annotations

from ._gazetteer import followed_by, matches, the_words
from .base import Recognizer

HOSPITAL_WORDS = frozenset(
    "hospital hospitals renal kidney dialysis unit clinic ward wards infirmary transplant a&e "
    "outpatients satellite".split()
)
_TRAILING = frozenset(("hospital", "infirmary", "college", "university", "hospitals"))


class HospitalRecognizer(Recognizer):
    ENTITIES = ("ORGANIZATION",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        lex = self.lexicon
        ws = the_words(text, nlp_artifacts)
        results = []
        for m in matches(text, ws, lex.hospitals):
            span = ws[m.first : m.last + 1]
            if all(w.norm in lex.keep_words or w.lower in lex.stop_words for w in span):
                continue
            hospital_next = followed_by(text, ws, m.last, HOSPITAL_WORDS)
            one_word = len(span) == 1
            ordinary = one_word and (
                m.variant
                or lex.is_dictionary_word(span[0].lower)
                or span[0].norm in lex.place_words
            )
            apostrophe = one_word and ("'" in span[0].text or "’" in span[0].text)
            if not one_word:
                score = 0.85 if m.cap else 0.7
            elif not ordinary:
                score = 0.8 if m.cap else 0.6
            elif m.preposition or hospital_next:
                score = 0.85 if (m.cap or apostrophe) else 0.6
            elif apostrophe and m.cap:
                score = 0.6
            elif m.cap and not m.initial:
                score = 0.4  # "the King and Queen": for review
            else:
                continue
            last = m.last
            # "Queen Elizabeth Hospital", "King's College Hospital": take the rest of the name.
            while (
                last + 1 < len(ws)
                and ws[last + 1].cap
                and ws[last + 1].lower in _TRAILING
                and text[ws[last].end : ws[last + 1].start] == " "
            ):
                last += 1
            results.append(
                self.result(
                    "ORGANIZATION", span[0].start, ws[last].end, score, f"hospital '{m.entry}'"
                )
            )
        return results
