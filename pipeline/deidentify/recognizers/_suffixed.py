"""Shared logic for names ending in a kind word: "Coldharbour Lane", "Harris Academy"."""

from __future__ import annotations

from ..lexicon import Lexicon
from ..tokens import Word
from ._names import not_a_name

MAX_NAME_WORDS = 4


def _name_word(lex: Lexicon, w: Word) -> bool:
    if not w.is_alpha or w.lower in lex.stop_words and w.lower not in ("st",):
        return False
    if w.cap or w.text.isupper() and len(w.text) > 1:
        # "Wrong clinic": a capital at a sentence start says nothing about an everyday word.
        return not (
            w.initial
            and lex.is_dictionary_word(w.lower)
            and not lex.is_known_name(w.text)
            and (w.norm,) not in lex.places.entries
        )
    if lex.is_dictionary_word(w.lower):
        return False
    return lex.is_unknown(w.text) or lex.is_known_name(w.text) or (w.norm,) in lex.places.entries


def suffix_matches(
    text: str, lex: Lexicon, ws: tuple[Word, ...], suffixes, generic: frozenset[str]
):
    """(first, last, capitalised) for each name + suffix in the words."""
    keys = [w.lower for w in ws]
    by_length = sorted({len(s.split()) for s in suffixes}, reverse=True)
    suffix_set = frozenset(tuple(s.split()) for s in suffixes)
    done = -1
    for i in range(len(ws)):
        if i <= done:
            continue
        for n in by_length:
            if i + n > len(ws) or tuple(keys[i : i + n]) not in suffix_set:
                continue
            if any(
                text[ws[k].end : ws[k + 1].start] not in (" ", "-") for k in range(i, i + n - 1)
            ):
                continue
            after = i + n
            if (
                after < len(ws)
                and text[ws[after - 1].end : ws[after].start] == " "
                and any(tuple(keys[after : after + m]) in suffix_set for m in by_length)
            ):
                continue  # "Primary School", "Hill Station": the name ends at the last kind word
            # Walk back over the name.
            first = i
            while first > 0 and i - first < MAX_NAME_WORDS:
                w = ws[first - 1]
                if text[w.end : ws[first].start] not in (" ", "-", "'", "’") or not _name_word(
                    lex, w
                ):
                    break
                first -= 1
            names = ws[first:i]
            # "the", "main", "high" before a name are not part of it; "Old Kent Road" keeps "Old".
            while names and names[0].lower in generic and not names[0].cap:
                names = names[1:]
            if not names or all(w.lower in generic or not_a_name(lex, w) for w in names):
                break
            done = i + n - 1
            yield names[0].index, done, all(w.cap or w.text.isupper() for w in names)
            break
