"""ORGANIZATION: workplaces ("Tesco in Sutton", "I worked at Sainsbury's", "a job with Royal Mail").

Known employers come from the built-in list (vocab.EMPLOYERS; add a study's own through its deny
list). Those that are ordinary words ("Next", "Boots", "Iceland") need a workplace cue. Any
capitalised name after a workplace cue ("I worked at Harrods") counts as well.
"""

from __future__ import annotations

from .. import vocab
from ..cues import Cues
from ._gazetteer import matches, the_words
from ._names import not_a_name
from .base import Recognizer

WORKPLACE = Cues(vocab.WORKPLACE_CUES)


class EmployerRecognizer(Recognizer):
    ENTITIES = ("ORGANIZATION",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        lex = self.lexicon
        ws = the_words(text, nlp_artifacts)
        results = []
        taken = set()
        for m in matches(text, ws, lex.employers):
            span = ws[m.first : m.last + 1]
            cue = WORKPLACE.before(text, ws, m.first, skip=frozenset(("the",)))
            if cue and cue.startswith(("go", "went")):
                cue = None  # "I went to Boots": shopping, not a workplace
            ambiguous = m.entry.lower() in vocab.AMBIGUOUS_EMPLOYERS or (
                len(span) == 1 and lex.is_dictionary_word(span[0].lower)
            )
            if ambiguous and not (cue and m.cap):
                continue
            score = 0.8 if (m.cap or cue) else 0.6
            results.append(
                self.result(
                    "ORGANIZATION", span[0].start, span[-1].end, score, f"employer '{m.entry}'"
                )
            )
            taken.update(range(m.first, m.last + 1))
        for i, w in enumerate(ws):
            if i in taken or not w.cap or not_a_name(lex, w) or w.initial:
                continue
            cue = WORKPLACE.before(text, ws, i)
            if not cue or cue.startswith(("go", "went")):
                continue
            last = i
            while (
                last + 1 < len(ws)
                and ws[last + 1].cap
                and not not_a_name(lex, ws[last + 1])
                and text[ws[last].end : ws[last + 1].start] in (" ", "-", " & ")
            ):
                last += 1
            results.append(
                self.result("ORGANIZATION", w.start, ws[last].end, 0.6, f"name after '{cue}'")
            )
        return results
