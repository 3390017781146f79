"""The stage: an interview's utterances in, identifier spans out (no database, no files written)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from . import engine
from .errors import DeidentifyError
from .interview import InterviewText
from .lexicon import PhraseIndex
from .lists import Lists, default_lists_dir
from .recognizers import DenyListRecognizer
from .resolve import Candidate, drop_kept, propagate, resolve
from .spans import ENTITY_TYPES, Span
from .tokens import words

if TYPE_CHECKING:
    from pipeline.config import DeidentifyOptions


class Deidentifier:
    """Finds identifiers in interviews. Loads spaCy and Presidio once (seconds); reuse it.

    :param options: the ``deidentify`` section of the configuration (model, types, thresholds).
    :param deny: the study's deny list, entity type -> terms always redacted (any case, whole
        words).
    :param allow: the study's allow list, terms never redacted.
    :param lists_dir: folder of gazetteer files; default ``pipeline/defaults/lists/``. Or the
        :class:`Lists` already loaded (a cluster worker gets them in memory, not on disk).
    """

    def __init__(
        self,
        options: "DeidentifyOptions",
        deny: dict[str, list[str]] | None = None,
        allow: list[str] | None = None,
        lists_dir: "Path | Lists | None" = None,
    ):
        self.options = options
        deny = dict(deny or {})
        for entity, terms in deny.items():
            if entity not in ENTITY_TYPES:
                raise DeidentifyError(
                    f"deny list type {entity!r} is not one of {', '.join(ENTITY_TYPES)}"
                )
            if isinstance(terms, str) or not all(isinstance(t, str) for t in terms):
                raise DeidentifyError(
                    f"deny list type {entity!r} must map to a list of terms (strings)"
                )
        if allow is not None and (
            isinstance(allow, str) or not all(isinstance(t, str) for t in allow)
        ):
            raise DeidentifyError("the allow list must be a list of terms (strings)")
        if options.review_threshold > options.threshold:
            raise DeidentifyError(
                f"review_threshold {options.review_threshold} is above threshold "
                f"{options.threshold}: candidates under threshold but over review_threshold are "
                "listed for review, so it must be lower"
            )
        directory = engine.model_directory(options.spacy_model)
        if isinstance(lists_dir, Lists):
            self.lists = lists_dir
        else:
            self.lists = Lists.load(Path(lists_dir) if lists_dir else default_lists_dir())
        self._nlp_engine = engine.nlp_engine(directory)
        self.model = engine.model_label(directory)
        self.lexicon = engine.lexicon_for(self._nlp_engine.nlp[engine.LANGUAGE], self.lists)
        self.recognizers = engine.build_recognizers(self.lexicon, deny, model=self.model)
        self.analyzer = engine.analyzer_engine(self._nlp_engine, self.recognizers)
        self.allow = PhraseIndex.build([t for t in (allow or []) if t.strip()], strip_the=False)
        self._versions = {}
        for r in self.recognizers:
            version = r.version
            if isinstance(r, DenyListRecognizer):
                version = f"{version}+presidio-{engine.PRESIDIO_VERSION}"
            self._versions[r.id] = (r.name, version)

    @property
    def provenance(self) -> dict:
        """What produced the spans: model, Presidio version, recognizer versions, list files."""
        return {
            "spacy_model": self.model,
            "presidio": engine.PRESIDIO_VERSION,
            "recognizers": dict(sorted(set(self._versions.values()))),
            "lists": dict(self.lists.sources),
        }

    def analyze(self, utterances: list[str]) -> list[Span]:
        """All candidate spans of one interview scoring at least ``review_threshold``,
        non-overlapping, sorted by (utterance, start)."""
        if not utterances:
            return []
        joined = InterviewText.join(list(utterances))
        if not joined.text.strip():
            return []
        options = self.options
        nlp_artifacts = self._nlp_engine.process_text(joined.text, engine.LANGUAGE)
        results = self.analyzer.analyze(
            text=joined.text,
            language=engine.LANGUAGE,
            entities=list(options.entities),
            score_threshold=min(options.review_threshold, options.threshold),
            nlp_artifacts=nlp_artifacts,
        )
        cands = []
        for r in results:
            meta = r.recognition_metadata or {}
            name, version = self._versions.get(
                meta.get("recognizer_identifier"), (meta.get("recognizer_name", "?"), "?")
            )
            cands.append(Candidate(r.start, r.end, r.entity_type, float(r.score), name, version))
        ws = words(joined.text, nlp_artifacts.tokens)
        cands = drop_kept(cands, ws, joined.text, self.lexicon, self.allow)
        extra = propagate(cands, ws, joined.text, self.lexicon, options.threshold)
        cands += drop_kept(extra, ws, joined.text, self.lexicon, self.allow)
        cands = [
            c for c in cands if c.entity in options.entities and c.score >= options.review_threshold
        ]
        spans = []
        for c in resolve(cands, options.threshold):
            for utterance, start, end in joined.pieces(c.start, c.end):
                spans.append(
                    Span(
                        utterance=utterance,
                        start=start,
                        end=end,
                        entity_type=c.entity,
                        text=utterances[utterance][start:end],
                        score=c.score,
                        recognizer=c.recognizer,
                        recognizer_version=c.version,
                    )
                )
        return sorted(spans, key=lambda s: (s.utterance, s.start))
