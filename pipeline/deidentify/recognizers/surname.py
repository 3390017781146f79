"""PERSON: surnames from surnames.txt standing alone ("Okafor said", "ask for patel").

Surnames that are ordinary words (surname_words.txt) are only taken after a first name or a title,
by the recognizers of those.
"""

from __future__ import annotations

from ..tokens import words
from ._names import not_a_name
from .base import Recognizer


class SurnameRecognizer(Recognizer):
    ENTITIES = ("PERSON",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        lex = self.lexicon
        results = []
        for w in words(text, getattr(nlp_artifacts, "tokens", None)):
            if (
                w.norm not in lex.surnames
                or w.norm in lex.surname_words
                or w.norm in lex.first_names
            ):
                continue
            if not_a_name(lex, w) or w.norm in lex.place_words:
                continue
            dictionary = lex.is_dictionary_word(w.lower)
            if w.cap and not w.initial:
                score = 0.7 if not dictionary else 0.5
            elif w.cap:
                score = 0.6 if not dictionary else 0.35
            elif not dictionary:
                score = 0.55
            else:
                continue
            results.append(self.result("PERSON", w.start, w.end, score, "surname"))
        return results
