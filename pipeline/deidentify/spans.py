"""The result type of the stage: one identifier span in one utterance."""

from __future__ import annotations

from dataclasses import dataclass

ENTITY_TYPES = (
    "PERSON",
    "LOCATION",
    "ORGANIZATION",
    "PHONE",
    "NHS_NUMBER",
    "EMAIL",
    "POSTCODE",
    "DATE",
    "AGE",
)


@dataclass(frozen=True)
class Span:
    """An identifier (or a candidate for human review) found in an interview."""

    utterance: int
    """Index of the utterance in the list given to :meth:`Deidentifier.analyze`."""
    start: int
    """Offset of the first character in that utterance's text."""
    end: int
    """Offset just past the last character (``text == utterances[utterance][start:end]``)."""
    entity_type: str
    """One of :data:`ENTITY_TYPES`."""
    text: str
    """The original text of the span."""
    score: float
    """Confidence, 0 to 1: redacted at ``threshold`` and above, listed for review from
    ``review_threshold``."""
    recognizer: str
    """Name of the recognizer that found it (a class name, or ``InterviewPropagation``)."""
    recognizer_version: str
    """Version of that recognizer's logic, with the package or model version it depends on."""
