"""After the recognizers: drop what must be kept, carry names across the interview, resolve
overlaps."""

from __future__ import annotations

from dataclasses import dataclass, replace

from . import vocab
from .cues import next_word, prev_word
from .lexicon import Lexicon, PhraseIndex
from .recognizers import KEEPABLE, PRIORITY
from .recognizers._names import DETERMINERS, not_a_name
from .tokens import Word

#: Verbs whose object is often a person: a name-word after them can still be the name.
PERSON_VERBS = frozenset(
    "asked ask told tell called call rang ring phoned phone met meet saw see thanked thank texted "
    "emailed visited visit helped help know knew like liked love loved trust trusted".split()
)
QUANTITIES = frozenset(
    "lot lots bit sort kind full plenty loss sense glimmer ray source sign lack amount deal".split()
)
#: After a sentence-initial "Hope", "Will": the verb, not the name ("Hope you're well", "Will do").
VERB_USE_AFTER = frozenset(
    "you you're you've you'll so that to for it it's i we they he she not this everything all do "
    "be have".split()
)
PROPAGATION = "InterviewPropagation"
PROPAGATION_VERSION = "1"
NAMED = ("PERSON", "LOCATION", "ORGANIZATION")


@dataclass(frozen=True)
class Candidate:
    """A finding in the joined interview text."""

    start: int
    end: int
    entity: str
    score: float
    recognizer: str
    version: str

    def overlaps(self, other: "Candidate") -> bool:
        return self.start < other.end and other.start < self.end

    def inside(self, start: int, end: int) -> bool:
        return start <= self.start and self.end <= end


def occurrences(ws: tuple[Word, ...], text: str, index: PhraseIndex) -> list[tuple[int, int]]:
    """Character intervals where phrases of ``index`` occur (whole words, any case)."""
    if not index.entries:
        return []
    keys = [w.norm for w in ws]
    found = []
    i = 0
    while i < len(ws):
        m = index.match(keys, i)
        if m and all(
            c in " -.'’,&"
            for k in range(i, i + m[0] - 1)
            for c in text[ws[k].end : ws[k + 1].start]
        ):
            found.append((ws[i].start, ws[i + m[0] - 1].end))
            i += m[0]
        else:
            i += 1
    return found


def drop_kept(
    cands: list[Candidate], ws, text: str, lex: Lexicon, allow: PhraseIndex
) -> list[Candidate]:
    """Drop findings inside the study's allow list (any recognizer) and, for findings of models and
    gazetteers, inside terms to keep or regions too broad to identify anyone."""
    allowed = occurrences(ws, text, allow)
    kept_terms = occurrences(ws, text, lex.keep) + occurrences(ws, text, lex.broad_places)
    result = []
    for c in cands:
        if any(c.inside(s, e) for s, e in allowed):
            continue
        if c.recognizer in KEEPABLE and any(c.inside(s, e) for s, e in kept_terms):
            span_words = [w for w in ws if c.start <= w.start and w.end <= c.end]
            name_word = (
                len(span_words) == 1
                and span_words[0].norm in lex.name_words
                and c.recognizer in ("FirstNameRecognizer", "TitleNameRecognizer")
            )
            if not name_word:
                continue
        result.append(c)
    return result


def propagate(
    cands: list[Candidate], ws: tuple[Word, ...], text: str, lex: Lexicon, threshold: float
) -> list[Candidate]:
    """Other mentions of names confirmed in this interview ("Faith Adebayo" ... "what did you think
    of faith as a person"), unless the word is used in its everyday sense there ("a lot of faith
    in her")."""
    confirmed = [
        c
        for c in cands
        if c.entity in NAMED and c.score >= threshold and c.recognizer != "UnknownWordRecognizer"
    ]
    if not confirmed:
        return []
    singles: dict[str, str] = {}
    phrases: dict[tuple[str, ...], str] = {}
    for c in confirmed:
        inside = [w for w in ws if c.start <= w.start and w.end <= c.end and not not_a_name(lex, w)]
        if not inside:
            continue
        if c.entity == "PERSON":
            for w in inside:
                # Carry capitalised or known names; a lower-case word spaCy called a name may be
                # noise.
                trusted = (
                    w.cap
                    or lex.is_known_name(w.text)
                    or c.recognizer
                    in (
                        "FirstNameRecognizer",
                        "TitleNameRecognizer",
                        "NameFrameRecognizer",
                        "DenyListRecognizer",
                    )
                )
                if len(w.norm) >= 2 and w.norm not in lex.titles and trusted:
                    singles.setdefault(w.norm, "PERSON")
        elif len(inside) > 1:
            phrases.setdefault(tuple(w.norm for w in inside), c.entity)
        elif not lex.is_dictionary_word(inside[0].lower):
            singles.setdefault(inside[0].norm, c.entity)
    covered = sorted((c.start, c.end) for c in cands if c.score >= threshold)

    def is_covered(w: Word) -> bool:
        return any(s <= w.start and w.end <= e for s, e in covered)

    found: list[Candidate] = []
    longest = max((len(k) for k in phrases), default=0)
    keys = [w.norm for w in ws]
    i = 0
    while i < len(ws):
        w = ws[i]
        hit = None
        for n in range(min(longest, len(ws) - i), 1, -1):
            entity = phrases.get(tuple(keys[i : i + n]))
            if entity and not any(is_covered(x) for x in ws[i : i + n]):
                hit = (n, entity, 0.75)
                break
        if hit is None and w.norm in singles and not is_covered(w):
            entity = singles[w.norm]
            score = _single_score(text, ws, i, lex)
            if score is not None:
                hit = (1, entity, score)
        if hit:
            n, entity, score = hit
            found.append(
                Candidate(
                    w.start, ws[i + n - 1].end, entity, score, PROPAGATION, PROPAGATION_VERSION
                )
            )
            i += n
        else:
            i += 1
    return found


def _single_score(text: str, ws: tuple[Word, ...], i: int, lex: Lexicon) -> float | None:
    w = ws[i]
    everyday = (
        lex.is_dictionary_word(w.lower)
        or w.norm in lex.name_words
        or w.norm in lex.place_words
        or w.norm in lex.surname_words
    )
    if not everyday:
        return 0.75 if w.cap else 0.65
    prev, nxt = prev_word(text, ws, i), next_word(text, ws, i)
    determiner = prev is not None and prev.lower in DETERMINERS
    common_after = nxt is not None and nxt.lower in vocab.COMMON_USE_AFTER
    if w.cap and not w.initial and not determiner:
        return 0.7
    if w.cap and w.initial:
        # "Grace. Grace Mensah.", "Hope is my peer supporter": once the name is known, a capital
        # at a sentence start is taken, unless the verb's use shows ("Hope you're well", "Hope so").
        return None if nxt is not None and nxt.lower in VERB_USE_AFTER else 0.5
    if w.pos in ("VERB", "AUX") or determiner or common_after:
        return None
    if nxt is not None and nxt.pos == "NOUN":
        return None  # "will power", "faith healer"
    if prev is not None and prev.pos in ("ADV", "ADJ"):
        return None  # "always hope", "false hope"
    if prev is not None and prev.lower == "of" and i >= 2 and ws[i - 2].lower in QUANTITIES:
        return None  # "a lot of faith"; but "think of faith as a person"
    if prev is not None and prev.pos == "VERB" and prev.lower not in PERSON_VERBS:
        return None  # "lost hope", "keep faith"; but "asked grace", "met joy"
    return 0.55


def resolve(cands: list[Candidate], threshold: float) -> list[Candidate]:
    """Non-overlapping findings: the best (score, then recognizer priority, then length) wins; a
    redactable finding overlapping a better one widens it, so no part of an identifier is left."""
    order = sorted(
        cands, key=lambda c: (-c.score, -PRIORITY.get(c.recognizer, 0), -(c.end - c.start), c.start)
    )
    kept: list[Candidate] = []
    for c in order:
        hits = [k for k in kept if k.overlaps(c)]
        if not hits:
            kept.append(c)
            continue
        if c.score < threshold:
            continue
        winner = max(hits, key=lambda k: (k.score, PRIORITY.get(k.recognizer, 0)))
        start = min([c.start] + [h.start for h in hits])
        end = max([c.end] + [h.end for h in hits])
        for h in hits:
            kept.remove(h)
        merged = replace(winner, start=start, end=end)
        # Widening may reach further findings: absorb them too.
        again = [k for k in kept if k.overlaps(merged)]
        while again:
            for k in again:
                kept.remove(k)
            merged = replace(
                merged,
                start=min([merged.start] + [k.start for k in again]),
                end=max([merged.end] + [k.end for k in again]),
            )
            again = [k for k in kept if k.overlaps(merged)]
        kept.append(merged)
    return sorted(kept, key=lambda c: c.start)
