"""PERSON (for review): words that no dictionary, gazetteer or model vocabulary knows.

Misspelt names ("Adobeo" for "Adebayo") are the commonest such words in Whisper transcripts. A
capitalised one inside a sentence is redacted at the default threshold; others are only listed for
review (misspelt medical words land here too).
"""

from __future__ import annotations

from ..tokens import words
from ._names import not_a_name
from .base import Recognizer


class UnknownWordRecognizer(Recognizer):
    ENTITIES = ("PERSON",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        lex = self.lexicon
        results = []
        for w in words(text, getattr(nlp_artifacts, "tokens", None)):
            if (
                not_a_name(lex, w)
                or not lex.is_unknown(w.text)
                or (w.text.isupper() and len(w.text) > 1)
            ):
                continue
            if w.cap and not w.initial:
                score, why = 0.5, "unknown capitalised word"
            elif w.cap:
                score, why = 0.35, "unknown word at a sentence start"
            else:
                score, why = 0.25, "unknown word"
            results.append(self.result("PERSON", w.start, w.end, score, why))
        return results
