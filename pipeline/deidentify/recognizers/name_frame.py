"""PERSON: words in a naming frame that no list knows ("is that Quame?", "thanks, Adaeze",
"my name is Tunde", "it's Claire from ...").

Speech recognition misspells names ("Kwame" -> "Quame"), so a word that no dictionary, list or
model vocabulary knows, in a place where a name is expected, is taken as one.
"""

from __future__ import annotations

from ..cues import Cues, ends_phrase, next_word
from ..tokens import words
from ._names import (
    AFTER_CUES,
    RELATION_CUES,
    STRONG_CUES,
    VOCATIVE_CUES,
    VOCATIVE_FOLLOWERS,
    VOCATIVE_SKIP,
    not_a_name,
    surname_end,
)
from .base import Recognizer

INTRO_CUES = Cues(("it's", "its", "this is", "i'm", "im", "i am", "my name is", "name's", "it is"))
_AFTER_INTRO = frozenset(("from", "here", "speaking", "calling", "again"))


class NameFrameRecognizer(Recognizer):
    ENTITIES = ("PERSON",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        lex = self.lexicon
        ws = words(text, getattr(nlp_artifacts, "tokens", None))
        results = []
        for i, w in enumerate(ws):
            if (
                w.norm in lex.first_names
                or w.norm in lex.surnames
                or not_a_name(lex, w)
                or len(w.lower) < 2
            ):
                continue
            if w.text.isupper() and len(w.text) > 1:
                continue  # "BBC", "DWP": acronyms, not names
            nxt = next_word(text, ws, i)
            strong = STRONG_CUES.before(text, ws, i)
            vocative = VOCATIVE_CUES.before(text, ws, i, VOCATIVE_SKIP) and (
                ends_phrase(text, w) or (nxt is not None and nxt.lower in VOCATIVE_FOLLOWERS)
            )
            intro = INTRO_CUES.before(text, ws, i) and nxt is not None and nxt.lower in _AFTER_INTRO
            unknown = lex.is_unknown(w.text)
            dictionary = lex.is_dictionary_word(w.lower)
            # "my husband keef", "stephe said": weaker cues, only for words no dictionary knows.
            weak = not dictionary and (
                RELATION_CUES.before(text, ws, i) or AFTER_CUES.after(text, ws, i)
            )
            if not (strong or vocative or intro or weak):
                continue
            if unknown:
                score = 0.65 if w.cap else 0.6
            elif not dictionary and w.cap:
                score = 0.7
            elif not dictionary:
                score = 0.55 if (weak or strong) else 0.5
            elif w.cap and not w.initial and strong:
                score = 0.55
            else:
                continue
            end = surname_end(text, lex, ws, i)
            results.append(
                self.result("PERSON", w.start, ws[end].end, score, "word in a naming frame")
            )
        return results
