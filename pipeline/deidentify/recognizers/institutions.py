"""ORGANIZATION: schools, surgeries, hospitals, churches and the like named before a kind word
("Harris Academy", "St Mary's Primary School", "Queen Elizabeth Hospital") or before "of"
("University of Kent").

"the hospital", "a new school", "the Renal Unit" and "Primary School" alone are kept.
"""

from __future__ import annotations

from .. import vocab
from ._gazetteer import the_words
from ._names import not_a_name
from ._suffixed import suffix_matches
from .base import Recognizer

_OF_KINDS = frozenset(
    ("university", "college", "church", "school", "academy", "hospital", "priory")
)


class InstitutionRecognizer(Recognizer):
    ENTITIES = ("ORGANIZATION",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        lex = self.lexicon
        ws = the_words(text, nlp_artifacts)
        results = []
        for first, last, cap in suffix_matches(
            text, lex, ws, vocab.INSTITUTION_SUFFIXES, vocab.GENERIC_INSTITUTION_WORDS
        ):
            results.append(
                self.result(
                    "ORGANIZATION",
                    ws[first].start,
                    ws[last].end,
                    0.8 if cap else 0.6,
                    "named institution",
                )
            )
        for i, w in enumerate(ws[:-2]):
            if not (w.cap and w.lower in _OF_KINDS and ws[i + 1].lower == "of"):
                continue
            last = i + 1
            while (
                last + 1 < len(ws)
                and ws[last + 1].cap
                and not not_a_name(lex, ws[last + 1])
                and last - i < 4
            ):
                last += 1
            if last > i + 1:
                results.append(
                    self.result(
                        "ORGANIZATION", w.start, ws[last].end, 0.75, "institution of a place"
                    )
                )
        return results
