"""De-identification: the identifiers in an interview's text, as spans.

>>> options = config.load().deidentify
>>> d = Deidentifier(options, deny={"PERSON": ["Sister Walsh"]}, allow=["Hope House"])
>>> d.analyze(["Hello, is that Beverley?", "My mobile is oh seven seven oh oh,", "nine oh oh one"])

Spans scoring at least ``threshold`` are redacted by the caller; the rest (down to
``review_threshold``) are listed for human review. Ages over 89 are AGE spans, replaced with
:func:`age_replacement` ("over 89").
"""

import os

# Presidio's email recognizer imports tldextract, which fetches the public suffix list on first use
# unless this is empty (then it uses the snapshot bundled with it). We are offline: set it before
# anything imports Presidio.
os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""

from .errors import DeidentifyError  # noqa: E402
from .spans import ENTITY_TYPES, Span  # noqa: E402

__all__ = ["Deidentifier", "DeidentifyError", "ENTITY_TYPES", "Span", "age_replacement"]


def __getattr__(name: str):
    # Presidio and spaCy take seconds to import. The coordinator of a Dask run only reads the
    # lists and unpickles spans here, while its workers transcribe on every core: it imports
    # the engine only when it builds one.
    if name == "Deidentifier":
        from .deidentifier import Deidentifier

        return Deidentifier
    if name == "age_replacement":
        from .recognizers.age import age_replacement

        return age_replacement
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
