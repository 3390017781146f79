"""Shared name logic: what counts as a name-like word, and surnames after a first name."""

from __future__ import annotations

from .. import vocab
from ..cues import Cues
from ..lexicon import Lexicon
from ..tokens import Word, joined

STRONG_CUES = Cues(
    (
        "called",
        "named",
        "name is",
        "name was",
        "name's",
        "names",
        "known as",
        "call him",
        "call her",
        "calls himself",
        "calls herself",
        "goes by",
        "went by",
    )
)
RELATION_CUES = Cues(vocab.NAME_CUES_BEFORE)
AFTER_CUES = Cues(vocab.NAME_CUES_AFTER)
#: After a capitalised name-word only: "Pat from the unit", "Joy from church".
CAP_AFTER_CUES = Cues(
    ("from the", "from my", "from church", "from work", "from next door", "from round")
)
VOCATIVE_CUES = Cues(vocab.VOCATIVE_BEFORE)
#: Words that may stand between a greeting and a name ("thank you so much, Grace").
VOCATIVE_SKIP = frozenset(
    "again so much very a lot for everything that then now all bye you too".split()
)
#: Words that may follow a name in a greeting when Whisper left out the punctuation
#: ("is that rose it's claire from the study").
VOCATIVE_FOLLOWERS = frozenset(
    ("from", "here", "speaking", "it's", "its", "this", "hi", "hello", "thanks", "bye")
)
#: Words before a name-word that show its ordinary use (a narrower set than COMMON_USE_BEFORE:
#: "think of Faith" is a name, "a lot of faith" is not, and "of" is in both).
DETERMINERS = frozenset(
    "a an the my your his her our their its this that these those some any no much more most less "
    "lot lots full great real little every such all i you we they he she it to do don't did didn't "
    "does doesn't will would can could should might must i'd you'd we'd they'd he'd she'd i'll "
    "you'll we'll they'll he'll she'll".split()
)
_CALENDAR = frozenset(vocab.MONTHS) | frozenset(vocab.WEEKDAYS)
_ABBREVIATED_TITLES = frozenset(("dr", "mr", "mrs", "ms", "prof", "rev", "st"))


def not_a_name(lex: Lexicon, w: Word) -> bool:
    """Function words, terms to keep, months and weekdays, titles, numbers."""
    return (
        not w.is_alpha
        or (w.lower in lex.stop_words and w.norm not in lex.name_words)
        or (
            w.norm in lex.keep_words
            and w.norm not in lex.name_words
            and not (w.cap and w.norm in lex.surname_words)
        )
        or w.lower in _CALENDAR
        or w.lower in lex.titles
        or w.lower in vocab.DIGIT_WORDS
        or w.lower in vocab.TEEN_WORDS
        or w.lower in vocab.TENS_WORDS
    )


def name_like(lex: Lexicon, w: Word, strict: bool = False) -> bool:
    """Could be (part of) a name: capitalised, or a known/unknown name word in lower case.

    ``strict``: a capitalised dictionary word only counts if it is also a known name.
    """
    if not_a_name(lex, w):
        return False
    if w.cap:
        return (
            not strict
            or lex.is_known_name(w.text)
            or not lex.is_dictionary_word(w.lower)
            or lex.is_unknown(w.text)
        )
    if (
        w.norm in lex.surnames
        and w.norm not in lex.surname_words
        and not lex.is_dictionary_word(w.lower)
    ):
        return True
    if (
        w.norm in lex.first_names
        and w.norm not in lex.name_words
        and not lex.is_dictionary_word(w.lower)
    ):
        return True
    return lex.is_unknown(w.text)


def surname_end(text: str, lex: Lexicon, ws: tuple[Word, ...], i: int, most: int = 2) -> int:
    """Index of the last word of the surname(s) right after word i (i itself if none)."""
    end = i
    for _ in range(most):
        k = end + 1
        if k >= len(ws) or not joined(text, ws[end], ws[k], " -\n"):
            break
        w = ws[k]
        if not_a_name(lex, w):
            break
        if "\n" in text[ws[end].end : w.start]:
            # Across an utterance break every word is capitalised: only a known surname or a word
            # nobody knows continues the name.
            if (w.norm in lex.surnames and w.norm not in lex.surname_words) or lex.is_unknown(
                w.text
            ):
                end = k
                continue
            break
        if w.cap and (ws[i].cap or lex.is_known_name(w.text) or lex.is_unknown(w.text)):
            end = k
        elif not w.cap and (
            (
                w.norm in lex.surnames
                and w.norm not in lex.surname_words
                and not lex.is_dictionary_word(w.lower)
            )
            or lex.is_unknown(w.text)
        ):
            end = k
        else:
            break
    return end


def is_title(w: Word) -> bool:
    return w.lower.rstrip(".") in vocab.TITLES


def title_gap_ok(text: str, title: Word, nxt: Word) -> bool:
    """Only a space (or the full stop of "Dr.") between a title and the name."""
    allowed = " .\n" if title.lower.rstrip(".") in _ABBREVIATED_TITLES else " \n"
    return joined(text, title, nxt, allowed)
