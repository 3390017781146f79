"""What the recognizers know about words: the gazetteers, the built-in vocabulary, the model's
dictionary. Built once per :class:`Deidentifier`; tests build small ones by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import vocab
from .lists import Lists
from .tokens import WORD, norm

#: Function words, whatever the model's stop list says (tests build lexicons without a model).
_FUNCTION_WORDS = frozenset(
    "a an the i you he she it we they me him her us them my your his its our their this that these "
    "those and or but if of to in on at by for with from as is was are were be been am do did does "
    "not no so then than there here what which who whom whose when where why how i'm i've i'd i'll "
    "you're you've he's she's it's we're they're that's there's don't didn't can't won't".split()
)


@dataclass
class PhraseIndex:
    """Multi-word phrases (gazetteer entries) keyed by their normalised words."""

    entries: dict[tuple[str, ...], str] = field(default_factory=dict)
    """Key -> the list entry it came from."""
    variants: set[tuple[str, ...]] = field(default_factory=set)
    """Keys that are a derived spelling (Guy's -> guys), not the entry as written."""
    longest: int = 0

    @classmethod
    def build(cls, phrases, strip_the: bool = True) -> "PhraseIndex":
        index = cls()
        for phrase in phrases:
            raw = [m.group() for m in WORD.finditer(phrase)]
            if strip_the and len(raw) > 1 and raw[0].lower() == "the":
                raw = raw[1:]
            if not raw:
                continue
            key = tuple(norm(w) for w in raw)
            index.entries.setdefault(key, phrase)

            # "Guy's" is also said and written "Guys"; "St Thomas'" comes out as "St Thomases".
            def spelt(w: str) -> str:
                w2 = w.lower().replace("’", "'")
                return norm(w) + ("s" if w2.endswith("'s") else "es" if w2.endswith("s'") else "")

            plural = tuple(spelt(w) for w in raw)
            if plural != key and plural not in index.entries:
                index.entries[plural] = phrase
                index.variants.add(plural)
            index.longest = max(index.longest, len(key))
        return index

    def match(self, keys: list[str], i: int) -> tuple[int, str] | None:
        """Longest entry starting at keys[i]: (number of words, entry)."""
        for n in range(min(self.longest, len(keys) - i), 0, -1):
            entry = self.entries.get(tuple(keys[i : i + n]))
            if entry is not None:
                return n, entry
        return None


class Lexicon:
    """Word knowledge shared by the recognizers."""

    def __init__(
        self,
        lists: Lists | None = None,
        dictionary: frozenset[str] | set[str] = frozenset(),
        has_vector: Callable[[str], bool] | None = None,
        stop_words: frozenset[str] | set[str] = frozenset(),
    ):
        """
        :param lists: the gazetteers.
        :param dictionary: ordinary English words (lower case), e.g. the WordNet index shipped in
            the spaCy model's lemmatizer tables; used to tell names that are words ("guys") from
            names that are not ("Bromley").
        :param has_vector: whether the model knows a word (md has 685k keys). Misspelt names from
            speech recognition ("Quame", "Adobeo") are unknown to it; None without vectors.
        :param stop_words: function words.
        """
        self.lists = lists or Lists()
        self.dictionary = frozenset(dictionary)
        self.has_vector = has_vector
        self.stop_words = frozenset(stop_words) | _FUNCTION_WORDS
        lists = self.lists
        self.name_words = lists.name_words | frozenset(vocab.NAME_WORDS)
        self.first_names = lists.first_names | self.name_words
        self.surname_words = lists.surname_words
        self.surnames = lists.surnames | lists.surname_words
        self.place_words = lists.place_words
        self.places = PhraseIndex.build(tuple(lists.places) + tuple(sorted(lists.place_words)))
        self.hospitals = PhraseIndex.build(lists.hospitals)
        self.employers = PhraseIndex.build(vocab.EMPLOYERS)
        self.keep = PhraseIndex.build(
            tuple(vocab.KEEP_TERMS) + tuple(lists.keep_terms), strip_the=False
        )
        self.keep_words = frozenset(k[0] for k in self.keep.entries if len(k) == 1)
        self.broad_places = PhraseIndex.build(vocab.BROAD_PLACES, strip_the=False)
        self.titles = frozenset(vocab.TITLES)

    # --- word classes --------------------------------------------------------------------------

    def is_dictionary_word(self, word: str) -> bool:
        """An ordinary English word (or an inflection of one)."""
        w = word.lower().replace("’", "'")
        if w in self.dictionary or w in self.stop_words:
            return True
        if w.endswith("'s") or w.endswith("s'"):
            w = w[:-2] if w.endswith("'s") else w[:-1]
            if w in self.dictionary:
                return True
        for suffix, repl in (
            ("ies", "y"),
            ("es", ""),
            ("s", ""),
            ("ed", ""),
            ("ed", "e"),
            ("ing", ""),
            ("ing", "e"),
        ):
            if (
                w.endswith(suffix)
                and len(w) - len(suffix) >= 3
                and w[: len(w) - len(suffix)] + repl in self.dictionary
            ):
                return True
        return False

    def is_known_name(self, word: str) -> bool:
        w = norm(word)
        return w in self.first_names or w in self.surnames

    def is_unknown(self, word: str) -> bool:
        """Not a word the dictionary, the model or any list knows: often a misspelt name."""
        w = word.lower().replace("’", "'")
        if len(w) < 3 or not w.replace("'", "").isalpha():
            return False
        if self.is_dictionary_word(w) or w in self.keep_words or self.is_known_name(w):
            return False
        if norm(w) in self.place_words or (norm(w),) in self.places.entries:
            return False
        if self.has_vector is not None:
            return not self.has_vector(w) and not self.has_vector(norm(w))
        return True

    def is_ambiguous_first_name(self, word: str) -> bool:
        """A first name that is also an ordinary word ("Hope", "Will", "Bill")."""
        w = norm(word)
        return w in self.name_words
