"""LOCATION: pubs ("the Rose and Crown", "the Red Lion", "the King's Head", "the Nag's Head").

In lower case ("the rose and crown") they are only listed for review.
"""

from __future__ import annotations

from .. import vocab
from ._gazetteer import the_words
from .base import Recognizer

_HEADS = frozenset(("arms", "inn", "tavern", "head", "hotel"))


class PubRecognizer(Recognizer):
    ENTITIES = ("LOCATION",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        ws = the_words(text, nlp_artifacts)
        results = []

        def joined(a, b):
            return text[ws[a].end : ws[b].start] == " "

        for i, w in enumerate(ws):
            if w.lower != "the" or i + 2 >= len(ws):
                continue
            a, b = ws[i + 1], ws[i + 2]
            # "met in the red lion": a place preposition makes a lower-case pub name likely
            at = i > 0 and ws[i - 1].lower in ("at", "in", "to", "down", "outside", "from", "near")
            low = 0.5 if at else 0.4
            if (
                i + 3 < len(ws)
                and b.lower == "and"
                and a.norm in vocab.PUB_WORDS
                and ws[i + 3].norm in vocab.PUB_WORDS
                and joined(i + 1, i + 2)
                and joined(i + 2, i + 3)
            ):
                cap = a.cap and ws[i + 3].cap
                results.append(
                    self.result(
                        "LOCATION",
                        a.start,
                        ws[i + 3].end,
                        0.75 if cap else max(low, 0.45),
                        "pub name",
                    )
                )
            elif (
                joined(i + 1, i + 2)
                and b.norm in vocab.PUB_WORDS
                and (a.norm in vocab.PUB_COLOURS or b.norm in _HEADS)
                and a.is_alpha
                and a.lower not in ("same", "other")
            ):
                cap = a.cap and b.cap
                results.append(
                    self.result("LOCATION", a.start, b.end, 0.75 if cap else low, "pub name")
                )
        return results
