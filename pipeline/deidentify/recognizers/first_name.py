"""PERSON: first names from first_names.txt (and the surnames after them).

Names that are also ordinary words (name_words.txt: "Hope", "Will", "Grace", "Faith") are only
taken with name context: a cue before ("my friend Grace", "a lady called Hope"), a speech verb
after ("Hope said"), a greeting ("thanks, Grace"), a surname after ("Faith Adebayo"), or a capital
inside a sentence that no determiner explains ("think of Faith as a person", not "by the Grace of
God"). "I hope", "I will", "faith in" are kept.
"""

from __future__ import annotations

from .. import vocab
from ..cues import ends_phrase, next_word, prev_word
from ..tokens import words
from ._names import (
    AFTER_CUES,
    CAP_AFTER_CUES,
    DETERMINERS,
    RELATION_CUES,
    STRONG_CUES,
    VOCATIVE_CUES,
    VOCATIVE_FOLLOWERS,
    VOCATIVE_SKIP,
    is_title,
    surname_end,
    title_gap_ok,
)
from .base import Recognizer


class FirstNameRecognizer(Recognizer):
    ENTITIES = ("PERSON",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        lex = self.lexicon
        ws = words(text, getattr(nlp_artifacts, "tokens", None))
        results = []
        for i, w in enumerate(ws):
            if not w.is_alpha or w.norm not in lex.first_names:
                continue
            if w.lower in lex.stop_words and w.norm not in lex.name_words:
                continue
            calendar = (
                w.norm in lex.keep_words or w.lower in vocab.MONTHS or w.lower in vocab.WEEKDAYS
            )
            if calendar and w.norm not in lex.name_words:
                continue
            found = self._score(text, ws, i, only_cues=calendar)
            if found is None:
                continue
            score, why = found
            end = surname_end(text, lex, ws, i)
            results.append(self.result("PERSON", w.start, ws[end].end, score, why))
        return results

    def _score(self, text, ws, i, only_cues=False):
        lex = self.lexicon
        w = ws[i]
        prev, nxt = prev_word(text, ws, i), next_word(text, ws, i)
        ambiguous = lex.is_ambiguous_first_name(w.text) or (
            not w.cap and lex.is_dictionary_word(w.lower)
        )
        strong = STRONG_CUES.before(text, ws, i) or (
            prev is not None and is_title(prev) and title_gap_ok(text, prev, w)
        )
        relation = RELATION_CUES.before(text, ws, i)
        after = AFTER_CUES.after(text, ws, i) or (w.cap and CAP_AFTER_CUES.after(text, ws, i))
        vocative = VOCATIVE_CUES.before(text, ws, i, VOCATIVE_SKIP) and (
            ends_phrase(text, w) or (nxt is not None and nxt.lower in VOCATIVE_FOLLOWERS)
        )
        has_surname = surname_end(text, lex, ws, i) > i
        common_after = nxt is not None and nxt.lower in vocab.COMMON_USE_AFTER
        determiner_before = prev is not None and prev.lower in DETERMINERS
        verb = w.pos in ("VERB", "AUX")
        if not ambiguous:
            evidence = strong or relation or after or vocative or has_surname
            if w.cap:
                return (
                    (0.85, "first name")
                    if (evidence or not w.initial)
                    else (0.75, "first name, sentence start")
                )
            return (
                (0.75, "first name in lower case, with context")
                if evidence
                else (0.6, "first name in lower case")
            )
        # A first name that is also an everyday word.
        if strong:
            if w.cap or not common_after:
                return 0.85, f"name word after '{strong if isinstance(strong, str) else 'title'}'"
            return None
        if has_surname and not determiner_before:
            return (0.8 if w.cap else 0.7), "name word before a surname"
        if relation and w.cap:
            return 0.8, f"name word after '{relation}'"
        if relation and not common_after and not verb:
            return 0.65, f"name word after '{relation}'"
        if after and not determiner_before:
            # "Will rang me": a modal or verb cannot stand before "rang", "said", "told".
            return (0.8 if w.cap else 0.6), f"name word before '{after}'"
        if vocative:
            return (0.75 if w.cap else 0.6), "name word in a greeting"
        if (
            w.norm not in lex.name_words
            and w.pos == "PROPN"
            and not determiner_before
            and not common_after
        ):
            # A listed first name that is also in the dictionary ("john", "mohammed"), tagged a
            # proper noun by the model.
            return 0.6, "first name in lower case, proper noun"
        if w.cap and not w.initial and not determiner_before and not common_after and not only_cues:
            # (not for months and other terms to keep: "in May" is capitalised too)
            return 0.7, "capitalised name word inside a sentence"
        return None
