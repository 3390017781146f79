"""LOCATION: a name after a phrase that introduces a place ("I live in Thornton Heath",
"she was born in Lagos", "we moved to Penge") when no gazetteer lists it."""

from __future__ import annotations

from ..cues import Cues
from ._gazetteer import the_words
from ._names import not_a_name
from .base import Recognizer

PLACE_CUES = Cues(
    (
        "live in",
        "lives in",
        "lived in",
        "living in",
        "born in",
        "grew up in",
        "brought up in",
        "moved to",
        "moved from",
        "moved down to",
        "moved up to",
        "come from",
        "came from",
        "comes from",
        "i'm from",
        "i am from",
        "she's from",
        "he's from",
        "we're from",
        "they're from",
        "originally from",
        "based in",
        "stay in",
        "stayed in",
        "staying in",
        "went back to",
        "go back to",
        "holiday in",
        "live near",
        "lives near",
        "lived near",
        "live out in",
        "lives out in",
        "round the corner from",
        "just outside",
        "the other side of",
    )
)


class PlaceFrameRecognizer(Recognizer):
    ENTITIES = ("LOCATION",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        lex = self.lexicon
        ws = the_words(text, nlp_artifacts)
        results = []
        for i, w in enumerate(ws):
            if not_a_name(lex, w) or lex.is_known_name(w.text) and not w.cap:
                continue
            cue = PLACE_CUES.before(text, ws, i, skip=frozenset(("the",)))
            if not cue:
                continue
            dictionary = lex.is_dictionary_word(w.lower)
            if w.cap and not dictionary:
                score = 0.6
            elif w.cap and not w.initial:
                score = 0.55  # "born in Lagos": a capital inside a sentence after a place phrase
            elif w.cap:
                score = 0.4
            elif lex.is_unknown(w.text) or not dictionary:
                score = 0.5
            else:
                continue
            last = i
            while (
                last + 1 < len(ws)
                and ws[last + 1].cap
                and not not_a_name(lex, ws[last + 1])
                and text[ws[last].end : ws[last + 1].start] in (" ", "-")
                and last - i < 3
            ):
                last += 1
            results.append(
                self.result("LOCATION", w.start, ws[last].end, score, f"name after '{cue}'")
            )
        return results
