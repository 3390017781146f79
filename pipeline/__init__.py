"""Offline pipeline for qualitative interview research.

Data flow, one module per stage: :mod:`~pipeline.ingest` -> :mod:`~pipeline.transcribe` ->
(de-identify -> segment, to come) -> :mod:`~pipeline.store` (analyst store) and
:mod:`~pipeline.vault` (identifiable data). :mod:`~pipeline.coordinator` runs the stages and is
the only writer of both databases.
"""

from .api import (
    counts,
    default_config,
    export,
    init,
    load_config,
    model_paths,
    retry,
    run,
    status,
    watch,
)

__all__ = [
    "counts",
    "default_config",
    "export",
    "init",
    "load_config",
    "model_paths",
    "retry",
    "run",
    "status",
    "watch",
]
