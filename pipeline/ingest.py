"""Ingest stage: find recordings in the drop folder, wait until they are fully copied, identify
them by content, and read their sidecars.

A recording's identity is the SHA-256 of its bytes, so a copy or a renamed file is the same
recording. Originals are only ever opened for reading. No database access here: the coordinator
records what this module finds.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

SIDECAR_SUFFIX = ".json"
# Attributes from Table 1 of the study; any other key in a sidecar is kept as well.
KNOWN_ATTRIBUTES = (
    "gender",
    "status",
    "hospital",
    "age",
    "mode",
    "venue",
    "others_present",
    "further_contact",
)


class SidecarError(Exception):
    """The metadata sidecar cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Found:
    """A candidate recording in the drop folder."""

    path: Path
    name: str
    """Path relative to the drop folder, with forward slashes."""
    size: int
    mtime_ns: int

    def stable(self, stable_seconds: float, now: float | None = None) -> bool:
        """Unchanged for ``stable_seconds``: every write moves the modification time."""
        now = time.time() if now is None else now
        return now - self.mtime_ns / 1e9 >= stable_seconds

    def unchanged(self) -> bool:
        """Still the same size and modification time as when it was found."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return False
        return st.st_size == self.size and st.st_mtime_ns == self.mtime_ns


@dataclass(frozen=True)
class Sidecar:
    metadata: dict
    respondent_id: str | None
    sha256: str | None
    """Hash of the sidecar's bytes (``None`` when there is no sidecar)."""


def scan(folder: Path, extensions: tuple[str, ...]) -> list[Found]:
    """Audio files under ``folder`` (recursively), skipping hidden and partial-download files."""
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.suffix.lower().lstrip(".") not in extensions:
            continue
        st = path.stat()
        found.append(Found(path, rel.as_posix(), st.st_size, st.st_mtime_ns))
    return found


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def interview_id(sha256: str) -> str:
    """Short, stable, non-identifying id derived from the content hash."""
    return sha256[:12]


def sidecar_path(recording: Path) -> Path:
    return recording.with_suffix(SIDECAR_SUFFIX)


def read_sidecar(recording: Path) -> Sidecar:
    """Read ``<stem>.json`` beside the recording; no sidecar means empty metadata."""
    path = sidecar_path(recording)
    if not path.exists():
        return Sidecar({}, None, None)
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SidecarError(f"sidecar {path.name} is not valid JSON ({e})") from None
    return Sidecar(*validate_metadata(data, path.name), hashlib.sha256(raw).hexdigest())


def validate_metadata(data, name: str = "sidecar") -> tuple[dict, str | None]:
    """Check a sidecar's content; returns (attributes, respondent_id)."""
    if not isinstance(data, dict):
        raise SidecarError(f"sidecar {name} must hold a JSON object of attributes")
    metadata = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key.strip():
            raise SidecarError(f"sidecar {name}: attribute names must be non-empty text")
        if isinstance(value, (dict, list)):
            raise SidecarError(
                f"sidecar {name}: attribute '{key}' must be text, a number, true/false or null"
            )
        metadata[key] = value
    respondent_id = metadata.pop("respondent_id", None)
    if respondent_id is not None:
        if isinstance(respondent_id, bool) or not isinstance(respondent_id, (str, int)):
            raise SidecarError(f"sidecar {name}: respondent_id must be text or a whole number")
        respondent_id = str(respondent_id)
    age = metadata.get("age")
    if isinstance(age, bool) or (isinstance(age, (int, float)) and not 0 <= age < 130):
        raise SidecarError(f"sidecar {name}: age {age!r} is not a plausible age in years")
    return metadata, respondent_id
