"""LOCATION: streets, estates and stations named before a kind word ("Coldharbour Lane",
"the Old Kent Road", "Denmark Hill Station", "Sutton High Street").

"the main road", "the high street", "the car park" and "the station" are kept: the name needs a
capitalised word that is not generic, or a lower-case word that is a known place or no dictionary
word.
"""

from __future__ import annotations

from .. import vocab
from ._gazetteer import the_words
from ._suffixed import suffix_matches
from .base import Recognizer

_SUFFIXES = tuple(s for s in vocab.STREET_SUFFIXES if s != "st")


class StreetRecognizer(Recognizer):
    ENTITIES = ("LOCATION",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        lex = self.lexicon
        ws = the_words(text, nlp_artifacts)
        results = []
        for first, last, cap in suffix_matches(
            text, lex, ws, _SUFFIXES, vocab.GENERIC_STREET_WORDS
        ):
            results.append(
                self.result(
                    "LOCATION",
                    ws[first].start,
                    ws[last].end,
                    0.8 if cap else 0.6,
                    "street or station",
                )
            )
        # "Oxford St": St as Street only when no name follows it.
        for first, last, cap in suffix_matches(text, lex, ws, ("st",), vocab.GENERIC_STREET_WORDS):
            if (
                last + 1 < len(ws)
                and ws[last + 1].cap
                and text[ws[last].end : ws[last + 1].start] in (" ", ". ")
            ):
                continue
            if cap and ws[last].cap:
                results.append(
                    self.result("LOCATION", ws[first].start, ws[last].end, 0.7, "street (St)")
                )
        return results
