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

from .deidentifier import Deidentifier  # noqa: E402
from .errors import DeidentifyError  # noqa: E402
from .recognizers.age import age_replacement  # noqa: E402
from .spans import ENTITY_TYPES, Span  # noqa: E402

__all__ = ["Deidentifier", "DeidentifyError", "ENTITY_TYPES", "Span", "age_replacement"]
