"""The costly, pure part of the de-identification and segmentation stages, as a worker runs it.

Each function takes plain inputs and returns a result; none opens a database or writes a file,
so it runs the same in the coordinating process, in a process pool or on a Dask worker on
another machine. The coordinator reads the inputs (the vault read is logged there), and applies
the results and writes them, in job order. Transcription's worker function is
:func:`pipeline.coordinator.transcribe_recording`.

Models are loaded once per worker process and kept, keyed by the fingerprint of everything they
depend on (settings, lists, guide): a changed setting loads a new one, an unchanged one is reused
for every interview the worker is given.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

from threadpoolctl import threadpool_limits

from .config import DeidentifyOptions


@contextmanager
def one_blas_thread():
    """Run numpy's BLAS on one thread. Its thread count changes the last digits of matrix
    products (Whisper's mel features: measured, other word probabilities and words on the sample
    interviews), and it differs between a laptop, a process pool and a Dask worker (Dask's nanny
    sets OMP_NUM_THREADS=1). One thread everywhere gives the same outputs on every executor and
    machine, and keeps parallel workers from oversubscribing the cores."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


# One cached engine per kind: a worker serves one run's settings at a time.
_cache: dict[str, tuple[str, object]] = {}
_lock = threading.Lock()


def _cached(kind: str, key: str, build):
    with _lock:
        held = _cache.get(kind)
        if held is None or held[0] != key:
            _cache[kind] = (key, build())
        return _cache[kind][1]


@dataclass(frozen=True)
class DeidSpec:
    """What a de-identification engine is built from; travels to the worker in memory."""

    key: str
    """Fingerprint of everything below plus the code (the coordinator's ``deid_fingerprint``)."""
    options: DeidentifyOptions
    """The ``deidentify`` settings, with a workspace-relative spaCy model made absolute."""
    deny: dict[str, list[str]]
    """The study's deny list (type -> terms)."""
    allow: list[str]
    """The study's allow list."""
    lists: object
    """The gazetteers as loaded by the coordinator (:class:`pipeline.deidentify.lists.Lists`)."""


def deidentifier(spec: DeidSpec):
    """The engine for ``spec``, built once per process (spaCy and Presidio load in seconds)."""
    from . import deidentify

    return _cached("deidentify", spec.key, lambda: deidentify.Deidentifier(
        spec.options, deny=spec.deny, allow=spec.allow, lists_dir=spec.lists))


@dataclass
class Analysis:
    spans: list
    """Candidate identifier spans (:class:`pipeline.deidentify.spans.Span`), as ``analyze``
    returns them."""
    seconds: float
    """Time the analysis took (engine loading included on a worker's first interview)."""


def analyze_interview(spec: DeidSpec, texts: list[str]) -> Analysis:
    """Candidate identifier spans of one interview's utterance texts (raw, from the vault)."""
    started = time.perf_counter()
    with one_blas_thread():
        spans = deidentifier(spec).analyze(texts)
    return Analysis(spans, time.perf_counter() - started)


@dataclass(frozen=True)
class SegmentSpec:
    """What a segmenter is built from: the interview guide."""

    key: str
    """SHA-256 of the guide file and the segmenter's code."""
    guide: object
    """The loaded :class:`pipeline.segment.Guide`."""


@dataclass
class Topics:
    segmentation: object
    """The :class:`pipeline.segment.Segmentation` of the interview."""
    seconds: float
    """Time it took (the segmenter's loading included on a worker's first interview)."""


def segment_interview(spec: SegmentSpec, utterances: list[tuple[str, float, float, str]]) -> Topics:
    """Guide topic of every de-identified utterance (speaker, start, end, text)."""
    from . import segment

    started = time.perf_counter()
    with one_blas_thread():
        segmenter = _cached("segment", spec.key, lambda: segment.Segmenter(spec.guide))
        topics = segmenter.segment(utterances)
    return Topics(topics, round(time.perf_counter() - started, 3))

