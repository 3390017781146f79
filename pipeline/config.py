"""One typed configuration object: shipped defaults, overridden by ``config/pipeline.yaml``.

The defaults live in ``pipeline/defaults/pipeline.yaml`` (documented there, key by key). A
workspace file only needs the keys it changes. Unknown keys and bad values are errors, never
silently replaced by defaults: a mis-set pipeline produces a wrong study, not a warning.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

CONFIG_FILE = "pipeline.yaml"
LISTS_DIR = Path(__file__).parent / "defaults" / "lists"
ROLES = ("interviewer", "respondent")


class ConfigError(Exception):
    """The configuration file cannot be read or is not valid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestOptions(_Strict):
    extensions: tuple[str, ...]
    stable_seconds: float = Field(ge=0)
    max_wait_seconds: float = Field(ge=0)

    @field_validator("extensions")
    @classmethod
    def _lower(cls, value):
        return tuple(e.lower().lstrip(".") for e in value)


class ChannelMap(_Strict):
    left: str
    right: str


class VadParams(_Strict):
    min_silence_ms: int = Field(ge=0)
    speech_pad_ms: int = Field(ge=0)


class VadSettings(_Strict):
    stereo: VadParams
    mono: VadParams
    word_chunk: Literal["auto", "end", "middle"]


class TranscribeOptions(_Strict):
    model: str
    device: Literal["cpu", "cuda"]
    compute_type: str
    cpu_threads: int = Field(ge=0)
    parallel_channels: bool
    language: str | None
    beam_size: int = Field(ge=1)
    punctuation_prompt: str | None
    vad_filter: bool
    vad: VadSettings
    channels: ChannelMap | Literal["auto"]
    diarize: bool
    utterance_gap: float = Field(gt=0)


ENTITY_TYPES = (
    "PERSON", "LOCATION", "ORGANIZATION", "PHONE", "NHS_NUMBER", "EMAIL", "POSTCODE", "DATE", "AGE",
)


class DeidentifyOptions(_Strict):
    spacy_model: str
    entities: tuple[Literal[ENTITY_TYPES], ...]
    threshold: float = Field(ge=0, le=1)
    review_threshold: float = Field(ge=0, le=1)
    replacement: Literal["tag", "surrogate"]
    study_wide_tags: bool
    deny_list: str
    allow_list: str


class AudioOptions(_Strict):
    enabled: bool
    margin_ms: int = Field(ge=0)
    fill: Literal["silence", "tone"]
    verify: bool
    max_attempts: int = Field(ge=1)


class RunOptions(_Strict):
    workers: int = Field(ge=0)
    executor: Literal["local", "dask"]
    scheduler: str | None
    audio_transfer: Literal["bytes", "path"]

    @model_validator(mode="after")
    def _scheduler_needs_dask(self):
        if self.scheduler and self.executor != "dask":
            raise ValueError(f"scheduler {self.scheduler!r} is set but executor is "
                             f"{self.executor!r}: a scheduler address needs executor dask "
                             "(--executor dask)")
        return self


class Config(_Strict):
    ingest: IngestOptions
    transcribe: TranscribeOptions
    deidentify: DeidentifyOptions
    audio: AudioOptions
    run: RunOptions

    def digest(self) -> str:
        """SHA-256 of the resolved configuration: stored with every stage output."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def workers(self) -> int:
        if self.run.workers:
            return self.run.workers
        if self.transcribe.device == "cuda":
            # Each worker would hold its own CUDA context and model copies on the one GPU: one
            # per core can exhaust a laptop GPU's memory. Only one was measured (README).
            return 1
        # One per core: on several recordings, single-threaded decoders side by side beat one
        # decoder on every core (bench/bench_workers.py; README, Performance).
        return max(1, os.cpu_count() or 1)

    def cpu_threads(self, workers: int | None = None) -> int:
        """Decoder threads for each of ``workers`` (default: the configured number) workers."""
        if self.transcribe.cpu_threads:
            return self.transcribe.cpu_threads
        return max(1, (os.cpu_count() or 1) // (workers or self.workers()))

    def for_workers(self, workers: int) -> Config:
        """These settings with ``workers`` workers sharing the cores (fewer recordings than
        cores: each worker gets more threads)."""
        return self.model_copy(update={"run": self.run.model_copy(update={"workers": workers})})


def default_text() -> str:
    """The shipped, commented default configuration file."""
    return resources.files("pipeline").joinpath("defaults", CONFIG_FILE).read_text()


def _merge(base: dict, override: dict, where: str = "") -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if key not in merged:
            raise ConfigError(f"unknown setting '{where}{key}'")
        if isinstance(merged[key], dict) and isinstance(value, dict):
            merged[key] = _merge(merged[key], value, f"{where}{key}.")
        else:
            merged[key] = value
    return merged


def load(config_dir: Path | None = None, overrides: dict | None = None) -> Config:
    """Load defaults, then ``config_dir/pipeline.yaml`` if present, then ``overrides``."""
    data = yaml.safe_load(default_text())
    sources = []
    if config_dir is not None:
        path = Path(config_dir) / CONFIG_FILE
        if path.exists():
            try:
                user = yaml.safe_load(path.read_text()) or {}
            except yaml.YAMLError as e:
                raise ConfigError(f"{path} is not valid YAML: {e}") from e
            if not isinstance(user, dict):
                raise ConfigError(f"{path} must be a mapping of settings")
            sources.append((str(path), user))
    if overrides:
        sources.append(("overrides", overrides))
    for name, user in sources:
        try:
            data = _merge(data, user)
        except ConfigError as e:
            raise ConfigError(f"{name}: {e}") from None
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None


def read_list(path: Path) -> list[str]:
    """Entries of a one-per-line list file, without blank and ``#`` comment lines."""
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def load_lists(config_dir: Path, opts: DeidentifyOptions) -> tuple[dict[str, list[str]], list[str]]:
    """The study's deny list (type -> terms) and allow list from ``config/``; both optional."""
    deny: dict[str, list[str]] = {}
    path = Path(config_dir) / opts.deny_list
    if path.exists():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"{path} is not valid YAML: {e}") from e
        if not isinstance(data, dict):
            raise ConfigError(f"{path} must map entity types to lists of terms")
        for etype, terms in data.items():
            if etype not in ENTITY_TYPES:
                raise ConfigError(
                    f"{path}: unknown entity type {etype!r} (use one of {', '.join(ENTITY_TYPES)})"
                )
            if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
                raise ConfigError(f"{path}: {etype} must be a list of terms")
            deny[etype] = [t.strip() for t in terms if t.strip()]
    return deny, read_list(Path(config_dir) / opts.allow_list)
