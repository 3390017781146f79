"""PERSON: a title and a name ("Sister Walsh", "Dr Okafor", "Nurse Patel", "Mrs Khan").

The span includes a capitalised or abbreviated title ("Dr Okafor"); after a lower-case role word
("my sister Grace", "the nurse, Bill") only the name is taken. Titles that are everyday words
("sister", "nurse") need a name after them, not just a capital.
"""

from __future__ import annotations

from .. import vocab
from ..tokens import words
from ._names import is_title, name_like, surname_end, title_gap_ok
from .base import Recognizer

_ABBREVIATIONS = frozenset(("dr", "mr", "mrs", "ms", "prof", "rev"))


class TitleNameRecognizer(Recognizer):
    ENTITIES = ("PERSON",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        lex = self.lexicon
        ws = words(text, getattr(nlp_artifacts, "tokens", None))
        results = []
        for i, w in enumerate(ws[:-1]):
            if not is_title(w):
                continue
            nxt = ws[i + 1]
            if not title_gap_ok(text, w, nxt):
                continue
            title = w.lower.rstrip(".")
            weak = title in vocab.WEAK_TITLES
            if not name_like(lex, nxt, strict=weak):
                continue
            if not nxt.cap and title not in _ABBREVIATIONS and not w.cap:
                # "the nurse patel": only if the word is a known or unknown name, not a word
                if lex.is_dictionary_word(nxt.lower):
                    continue
            end = surname_end(text, lex, ws, i + 1)
            with_title = w.cap or title in _ABBREVIATIONS
            start = w.start if with_title else nxt.start
            known = lex.is_known_name(nxt.text) or lex.is_unknown(nxt.text)
            score = 0.85 if not weak else (0.8 if known else 0.7)
            results.append(
                self.result("PERSON", start, ws[end].end, score, f"name after title '{title}'")
            )
        return results
