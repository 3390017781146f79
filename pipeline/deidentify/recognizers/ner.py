"""PERSON, LOCATION, ORGANIZATION from spaCy's named-entity recogniser, filtered.

Out of the box spaCy tags "Fistula", "Renal", "NHS", "UK" and "Peer Support Study" on this
material: an entity is dropped when, once terms to keep (keep_terms.txt), generic heads ("Study",
"Unit") and function words are taken off its ends, nothing is left; regions too large to identify
anyone ("London", "Kent") are dropped; a lone everyday word ("Hope" at a sentence start) is only
listed for review. spaCy's DATE, TIME, CARDINAL and the like are ignored (dates have their own
recognizer, durations are kept).
"""

from __future__ import annotations

from .. import vocab
from ..lexicon import Lexicon
from ..tokens import words
from ._names import not_a_name
from .base import Recognizer

LABELS = {
    "PERSON": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "ORG": "ORGANIZATION",
}
_CALENDAR = frozenset(vocab.MONTHS) | frozenset(vocab.WEEKDAYS)
_NUMBERS = (
    frozenset(vocab.DIGIT_WORDS)
    | frozenset(vocab.TEEN_WORDS)
    | frozenset(vocab.TENS_WORDS)
    | {"hundred"}
)


class SpacyNerRecognizer(Recognizer):
    ENTITIES = ("PERSON", "LOCATION", "ORGANIZATION")
    VERSION = "1"

    def __init__(self, lexicon: Lexicon | None = None, model: str = "spacy"):
        self.VERSION = f"{type(self).VERSION}+{model}"
        super().__init__(lexicon)

    def analyze(self, text, entities, nlp_artifacts=None):
        if nlp_artifacts is None or not nlp_artifacts.entities:
            return []
        lex = self.lexicon
        ws = words(text, nlp_artifacts.tokens)
        keep_cover = self._keep_cover(ws)
        results = []
        for ent in nlp_artifacts.entities:
            entity = LABELS.get(ent.label_)
            if entity is None or entity not in entities:
                continue
            inside = [w for w in ws if ent.start_char <= w.start and w.end <= ent.end_char]
            if not inside:
                continue
            # Take function words off the front ("the NHS"), numbers and possessives off the end.
            while inside and (inside[0].lower in lex.stop_words or inside[0].lower in ("the",)):
                inside = inside[1:]
            while inside and (
                inside[-1].lower in _NUMBERS
                or inside[-1].text.isdigit()
                or inside[-1].lower in lex.stop_words
            ):
                inside = inside[:-1]
            if not inside:
                continue
            core = [
                w
                for w in inside
                if w.index not in keep_cover
                and w.lower not in vocab.GENERIC_HEAD_WORDS
                and not not_a_name(lex, w)
                and w.lower not in _CALENDAR
            ]
            if not core:
                continue
            key = tuple(w.norm for w in inside)
            if key in lex.broad_places.entries or (
                key[-1:] and tuple(w.norm for w in core) in lex.broad_places.entries
            ):
                continue
            score, why = self._score(core, inside, entity)
            if score is None:
                continue
            results.append(
                self.result(
                    entity, inside[0].start, inside[-1].end, score, f"spaCy {ent.label_}: {why}"
                )
            )
        return results

    def _keep_cover(self, ws) -> set[int]:
        """Indices of words inside a term to keep."""
        keys = [w.norm for w in ws]
        covered = set()
        i = 0
        while i < len(ws):
            found = self.lexicon.keep.match(keys, i)
            if found:
                covered.update(range(i, i + found[0]))
                i += found[0]
            else:
                i += 1
        return covered

    def _score(self, core, inside, entity):
        lex = self.lexicon
        known = all(lex.is_known_name(w.text) or (w.norm,) in lex.places.entries for w in core)
        if len(core) > 1:
            if any(w.cap for w in core):
                return 0.85, "several words"
            # spaCy's lower-case entities are mostly noise ("informa tion"); known names are not.
            return (0.6, "lower case, known names") if known else (0.4, "lower case")
        w = core[0]
        everyday = (
            lex.is_dictionary_word(w.lower) or w.norm in lex.name_words or w.norm in lex.place_words
        )
        if everyday and not lex.is_known_name(w.text) and (w.norm,) not in lex.places.entries:
            if w.cap and not w.initial:
                return 0.55, "capitalised everyday word"
            return (0.3, "everyday word") if w.cap else (None, "")
        if w.norm in lex.name_words:
            # "Hope", "Grace": the name recognizers decide; spaCy's tag alone is a review hint.
            return (
                (0.55, "name word inside a sentence")
                if (w.cap and not w.initial)
                else (0.3, "name word")
            )
        if not w.cap and not w.text.isupper():
            return (0.6, "lower case, known name") if known else (0.4, "lower case")
        if w.initial and len(inside) == 1:
            return 0.7, "one word at a sentence start"
        return 0.8, "one word"
