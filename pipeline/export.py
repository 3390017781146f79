"""Exports: one JSON file per interview, in the contract later exports and checks rely on.

``{"interview_id", "source_file", "sha256", "metadata": {...},
"utterances": [{"speaker", "start", "end", "text", "topic"}]}``

Analyst exports may only carry de-identified text. Until the de-identification stage exists
there is none, so an analyst export is refused rather than written without text. ``identifiable``
exports read the vault, and every interview read is written to the vault's access log.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .store import DONE, Store
from .vault import Vault
from .workspace import Workspace


class ExportError(Exception):
    """The export cannot be made; the message says why."""


def _write_atomic(path: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def export_json(ws: Workspace, out: Path, identifiable: bool = False) -> list[Path]:
    """Write ``<interview_id>.json`` for every finished interview; returns the files written."""
    if not identifiable:
        raise ExportError(
            "no de-identified text exists yet (the de-identification stage is not built), so "
            "nothing was exported; '--identifiable' exports the raw transcript and is logged"
        )
    store, vault = Store(ws.store_path), Vault(ws.vault_path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        # Raw transcripts are identifiable: keep the folder as private as the vault.
        os.chmod(out, 0o700)
        written = []
        for job in store.jobs(DONE):
            interview = store.interview(job.interview_id)
            utterances = vault.read_transcript(
                job.interview_id, reason=f"export --format json --identifiable to {out}"
            )
            doc = {
                "interview_id": interview["id"],
                "source_file": interview["source_file"],
                "sha256": interview["sha256"],
                "respondent_id": interview["respondent_id"],
                "metadata": interview["metadata"],
                "utterances": [
                    {
                        "speaker": u.speaker,
                        "start": u.start,
                        "end": u.end,
                        "text": u.text,
                        "topic": None,
                    }
                    for u in utterances
                ],
            }
            path = out / f"{interview['id']}.json"
            _write_atomic(path, doc)
            written.append(path)
        return written
    finally:
        store.close()
        vault.close()
