"""One recognizer per file; :func:`build_recognizers` lists the ones the engine registers."""

from __future__ import annotations

from ..lexicon import Lexicon
from .age import AgeRecognizer, age_replacement
from .date import DateRecognizer
from .deny_list import DenyListRecognizer
from .email import EmailRecognizer
from .employers import EmployerRecognizer
from .first_name import FirstNameRecognizer
from .hospitals import HospitalRecognizer
from .institutions import InstitutionRecognizer
from .name_frame import NameFrameRecognizer
from .ner import SpacyNerRecognizer
from .nhs_number import NhsNumberRecognizer
from .phone import PhoneRecognizer
from .place_frame import PlaceFrameRecognizer
from .places import PlaceRecognizer
from .postcode import PostcodeRecognizer
from .pubs import PubRecognizer
from .streets import StreetRecognizer
from .surname import SurnameRecognizer
from .title import TitleNameRecognizer
from .unknown_word import UnknownWordRecognizer

#: Recognizers that only need the lexicon, in the order they run.
LEXICON_RECOGNIZERS = (
    PhoneRecognizer,
    NhsNumberRecognizer,
    PostcodeRecognizer,
    EmailRecognizer,
    DateRecognizer,
    AgeRecognizer,
    TitleNameRecognizer,
    FirstNameRecognizer,
    SurnameRecognizer,
    NameFrameRecognizer,
    UnknownWordRecognizer,
    PlaceRecognizer,
    PlaceFrameRecognizer,
    HospitalRecognizer,
    EmployerRecognizer,
    InstitutionRecognizer,
    StreetRecognizer,
    PubRecognizer,
)

#: Which wins when two findings of equal score overlap (higher first).
PRIORITY = {
    "DenyListRecognizer": 9,
    "EmailRecognizer": 8,
    "NhsNumberRecognizer": 7,
    "PhoneRecognizer": 6,
    "PostcodeRecognizer": 6,
    "DateRecognizer": 5,
    "AgeRecognizer": 5,
    "TitleNameRecognizer": 4,
    "HospitalRecognizer": 4,
    "InstitutionRecognizer": 4,
    "StreetRecognizer": 4,
    "PubRecognizer": 4,
    "PlaceRecognizer": 4,
    "PlaceFrameRecognizer": 2,
    "FirstNameRecognizer": 3,
    "SurnameRecognizer": 3,
    "EmployerRecognizer": 3,
    "SpacyNerRecognizer": 2,
    "NameFrameRecognizer": 2,
    "InterviewPropagation": 1,
    "UnknownWordRecognizer": 0,
}

#: Findings of these recognizers are dropped inside a term to keep (keep_terms.txt) or a broad
#: region; structured identifiers (numbers, emails, dates) and the study's deny list are not.
KEEPABLE = frozenset(
    (
        "SpacyNerRecognizer",
        "FirstNameRecognizer",
        "SurnameRecognizer",
        "NameFrameRecognizer",
        "UnknownWordRecognizer",
        "PlaceRecognizer",
        "PlaceFrameRecognizer",
        "HospitalRecognizer",
        "EmployerRecognizer",
        "InstitutionRecognizer",
        "StreetRecognizer",
        "PubRecognizer",
        "InterviewPropagation",
    )
)


def build_recognizers(
    lexicon: Lexicon, deny: dict[str, list[str]] | None = None, model: str = "spacy"
):
    """All recognizers, configured with ``lexicon`` and the study's deny list (type -> terms)."""
    recognizers = [cls(lexicon) for cls in LEXICON_RECOGNIZERS]
    recognizers.append(SpacyNerRecognizer(lexicon, model=model))
    for entity, terms in sorted((deny or {}).items()):
        terms = [t for t in terms if str(t).strip()]
        if terms:
            recognizers.append(DenyListRecognizer(entity, terms))
    return recognizers


__all__ = [
    "AgeRecognizer",
    "DateRecognizer",
    "DenyListRecognizer",
    "EmailRecognizer",
    "EmployerRecognizer",
    "FirstNameRecognizer",
    "HospitalRecognizer",
    "InstitutionRecognizer",
    "NameFrameRecognizer",
    "NhsNumberRecognizer",
    "PhoneRecognizer",
    "PlaceFrameRecognizer",
    "PlaceRecognizer",
    "PostcodeRecognizer",
    "PubRecognizer",
    "SpacyNerRecognizer",
    "StreetRecognizer",
    "SurnameRecognizer",
    "TitleNameRecognizer",
    "UnknownWordRecognizer",
    "age_replacement",
    "build_recognizers",
    "LEXICON_RECOGNIZERS",
    "PRIORITY",
    "KEEPABLE",
]
