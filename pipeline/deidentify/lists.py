"""Gazetteer files: one entry per line, ``#`` starts a comment line, blank lines ignored.

The shipped lists live in ``pipeline/defaults/lists/``. Every file is optional (a study may ship
only some); the directory itself must exist, since a missing directory is a mis-set path, not an
empty gazetteer. What was loaded is recorded (file name and SHA-256) for the redaction log.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .errors import DeidentifyError
from .tokens import norm

#: File name -> attribute of :class:`Lists`.
FILES = {
    "first_names.txt": "first_names",
    "name_words.txt": "name_words",
    "surnames.txt": "surnames",
    "surname_words.txt": "surname_words",
    "uk_places.txt": "places",
    "place_words.txt": "place_words",
    "uk_hospitals.txt": "hospitals",
    "keep_terms.txt": "keep_terms",
}


def default_lists_dir() -> Path:
    """``pipeline/defaults/lists/`` inside the installed package."""
    return Path(str(resources.files("pipeline").joinpath("defaults", "lists")))


def read_list(path: Path) -> tuple[str, ...]:
    """Entries of one list file, in file order, whitespace-trimmed, without comments."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise DeidentifyError(f"{path} is not UTF-8 text ({e}); save it as UTF-8") from e
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            entries.append(line)
    return tuple(entries)


@dataclass(frozen=True)
class Lists:
    """The gazetteers, as loaded. Word sets are lower case; phrase lists keep their spelling."""

    first_names: frozenset[str] = frozenset()
    """First names ("Beverley", "Kwame"); one word each, matched case-insensitively."""
    name_words: frozenset[str] = frozenset()
    """First names that are also ordinary words ("Hope", "Will"): need name context."""
    surnames: frozenset[str] = frozenset()
    """Surnames ("Adebayo", "Okafor")."""
    surname_words: frozenset[str] = frozenset()
    """Surnames that are also ordinary words ("Baker", "Wood"): only after a first name or title."""
    places: tuple[str, ...] = ()
    """UK towns, boroughs, neighbourhoods, stations (LOCATION); may be several words."""
    place_words: frozenset[str] = frozenset()
    """Place names that are also ordinary words ("Reading", "Bath"): need place context."""
    hospitals: tuple[str, ...] = ()
    """Hospitals and renal units, full and short forms (ORGANIZATION): "St Thomas'", "Guy's"."""
    keep_terms: tuple[str, ...] = ()
    """Terms never redacted by the models or gazetteers (medical terms, roles, services)."""
    sources: dict[str, str] = field(default_factory=dict)
    """File name -> SHA-256 of each file read."""

    @classmethod
    def load(cls, directory: Path) -> "Lists":
        directory = Path(directory)
        if not directory.is_dir():
            raise DeidentifyError(
                f"gazetteer directory {directory} does not exist; pass lists_dir= pointing at a "
                "folder of list files (pipeline/defaults/lists/ is the shipped one)"
            )
        values: dict[str, object] = {}
        sources = {}
        for name, attribute in FILES.items():
            path = directory / name
            if not path.is_file():
                continue
            entries = read_list(path)
            sources[name] = hashlib.sha256(path.read_bytes()).hexdigest()
            if attribute in ("places", "hospitals", "keep_terms"):
                values[attribute] = entries
            else:
                # Same key as the words of the text: "O'Connor" matches "oconnor" and "o'connor".
                values[attribute] = frozenset(norm(e) for e in entries)
        return cls(**values, sources=sources)
