"""LOCATION: UK towns, boroughs, neighbourhoods and stations from uk_places.txt.

Places that are ordinary words (place_words.txt, or any dictionary word: "Reading", "Bath",
"Forest Hill") need a capital and a preposition or a capital inside a sentence; regions too large
to identify anyone ("London", "Kent") are left to the study's deny list.
"""

from __future__ import annotations

from ._gazetteer import matches, the_words
from .base import Recognizer


class PlaceRecognizer(Recognizer):
    ENTITIES = ("LOCATION",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        lex = self.lexicon
        ws = the_words(text, nlp_artifacts)
        results = []
        for m in matches(text, ws, lex.places):
            span = ws[m.first : m.last + 1]
            key = tuple(w.norm for w in span)
            if key in lex.broad_places.entries or all(w.norm in lex.keep_words for w in span):
                continue
            if len(span) == 1 and (span[0].lower in lex.stop_words or not span[0].is_alpha):
                continue
            score = self._score(lex, span, m)
            if score is None:
                continue
            results.append(
                self.result("LOCATION", span[0].start, span[-1].end, score, f"place '{m.entry}'")
            )
        return results

    @staticmethod
    def _score(lex, span, m) -> float | None:
        # place_words.txt lists the places that are everyday words ("Reading", "Bath"); the other
        # entries are trusted as names even when a dictionary knows them ("Orpington" is a hen).
        if len(span) == 1:
            w = span[0]
            dictionary = lex.is_dictionary_word(w.lower)
            if w.norm in lex.place_words:
                if m.cap and m.preposition:
                    return 0.75
                if m.cap and not m.initial:
                    return 0.4 if dictionary else 0.6  # "Beverley", "Stanley": names, not words
                if m.cap:
                    return 0.35
                return 0.45 if m.preposition and not dictionary else None
            if m.cap:
                return 0.8
            if not dictionary:
                return 0.6
            return 0.55 if m.preposition else 0.4
        everyday = all(
            w.norm in lex.place_words
            or w.lower in lex.stop_words
            or lex.is_dictionary_word(w.lower)
            for w in span
        )
        if not everyday:
            return 0.85 if m.cap else 0.7
        if m.cap and (m.preposition or not m.initial):
            return 0.75 if m.preposition else 0.6
        if m.cap:
            return 0.35
        return 0.5 if m.preposition else None
