"""Exports: one JSON file per interview, in the contract later exports and checks rely on.

``{"interview_id", "source_file", "sha256", "metadata": {...},
"utterances": [{"speaker", "start", "end", "text", "topic"}]}``

Analyst exports are built from the analyst store only, so they can only carry de-identified
text. ``identifiable`` exports read the raw transcript from the vault, and every interview read is
written to the vault's access log.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from .store import Store
from .vault import Vault
from .workspace import Workspace


class ExportError(Exception):
    """The export cannot be made; the message says why."""


def _write_atomic(path: Path, data: dict, private: bool) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    # mkstemp makes the file owner-only, right for identifiable exports; analyst files are shared.
    if not private:
        os.fchmod(fd, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def export_json(ws: Workspace, out: Path, identifiable: bool = False) -> list[Path]:
    """Write ``<interview_id>.json`` for every interview with text to export; returns the files
    written."""
    with Store(ws.store_path) as store, contextlib.ExitStack() as stack:
        vault = stack.enter_context(Vault(ws.vault_path)) if identifiable else None
        out.mkdir(parents=True, exist_ok=True)
        if identifiable:
            # Raw transcripts are identifiable: keep the folder as private as the vault.
            os.chmod(out, 0o700)
        written = []
        for interview in store.interviews():
            # Analyst files need de-identified text; identifiable ones a transcript in the vault.
            ready = vault.has_transcript(interview["id"]) if vault else interview["deid_pass"]
            if not ready:
                continue
            if vault:
                topics = {u["idx"]: u["topic"] for u in store.utterances(interview["id"])}
                utterances = [
                    {"speaker": u.speaker, "start": u.start, "end": u.end, "text": u.text,
                     "topic": topics.get(i)}
                    for i, u in enumerate(vault.read_transcript(
                        interview["id"], reason=f"export --format json --identifiable to {out}"
                    ))
                ]
            else:
                utterances = [
                    {k: u[k] for k in ("speaker", "start", "end", "text", "topic")}
                    for u in store.utterances(interview["id"])
                ]
            doc = {
                "interview_id": interview["id"],
                "source_file": interview["source_file"],
                "sha256": interview["sha256"],
                "respondent_id": interview["respondent_id"],
                "metadata": interview["metadata"],
                "utterances": utterances,
            }
            path = out / f"{interview['id']}.json"
            _write_atomic(path, doc, private=identifiable)
            written.append(path)
        return written
