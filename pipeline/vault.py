"""The vault, ``vault/vault.db``: the only place identifiable data lives.

It holds the raw transcript (utterances with speaker, timing and text; words with timestamps and
probabilities) and the access log. The folder is kept at mode 0700 and the database at 0600 (SQLite
gives its -wal and -shm files the database's mode). Every read of identifiable text goes through
:meth:`Vault.read_transcript`, which requires a reason and writes an access-log row first.

Grep for ``vault`` to find every place in the code that can see raw text.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
import stat
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from .transcribe import Transcript, Utterance, Word

DIR_MODE = 0o700
FILE_MODE = 0o600


class VaultError(Exception):
    """The vault cannot be opened safely."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def _secure(path: Path, mode: int, is_dir: bool) -> None:
    if is_dir:
        path.mkdir(mode=mode, exist_ok=True)
    elif not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, mode))
    if stat.S_IMODE(path.stat().st_mode) != mode:
        os.chmod(path, mode)


class Vault:
    """Owns ``vault.db``; raw text never leaves it except through a logged read."""

    def __init__(self, path: Path):
        self.path = Path(path)
        _secure(self.path.parent, DIR_MODE, is_dir=True)
        _secure(self.path, FILE_MODE, is_dir=False)
        try:
            self.db = sqlite_utils.Database(self.path)
            self.db.conn.execute("PRAGMA foreign_keys=ON")
            self.db.enable_wal()
            self._create()
        except sqlite3.DatabaseError as e:
            raise VaultError(f"{self.path} is not a usable vault: {e}") from e
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists() and stat.S_IMODE(side.stat().st_mode) != FILE_MODE:
                os.chmod(side, FILE_MODE)

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _create(self) -> None:
        with self.db.atomic():
            self.db["transcripts"].create(
                {
                    "interview_id": str,
                    "sha256": str,
                    "model": str,
                    "config_sha256": str,
                    "language": str,
                    "created": str,
                },
                pk="interview_id",
                if_not_exists=True,
            )
            self.db["utterances"].create(
                {
                    "interview_id": str,
                    "idx": int,
                    "speaker": str,
                    "channel": int,
                    "start": float,
                    "end": float,
                    "text": str,
                },
                pk=("interview_id", "idx"),
                foreign_keys=[("interview_id", "transcripts", "interview_id")],
                if_not_exists=True,
            )
            self.db["words"].create(
                {
                    "interview_id": str,
                    "utterance_idx": int,
                    "idx": int,
                    "start": float,
                    "end": float,
                    "word": str,
                    "probability": float,
                },
                pk=("interview_id", "utterance_idx", "idx"),
                foreign_keys=[("interview_id", "transcripts", "interview_id")],
                if_not_exists=True,
            )
            self.db["redaction_originals"].create(
                {"log_id": int, "interview_id": str, "original": str},
                pk="log_id",
                if_not_exists=True,
            )
            self.db["pseudonyms"].create(
                {"entity_type": str, "key": str, "tag": str},
                pk=("entity_type", "key"),
                if_not_exists=True,
            )
            self.db["access_log"].create(
                {
                    "id": int,
                    "time": str,
                    "os_user": str,
                    "action": str,
                    "interview_id": str,
                    "detail": str,
                },
                pk="id",
                if_not_exists=True,
            )

    def save_transcript(
        self, interview_id: str, sha256: str, transcript: Transcript, config_sha256: str
    ) -> None:
        """Replace the interview's transcript in one transaction (a re-run never duplicates)."""
        with self.db.atomic():
            self.db.execute("delete from words where interview_id = ?", [interview_id])
            self.db.execute("delete from utterances where interview_id = ?", [interview_id])
            self.db["transcripts"].upsert(
                {
                    "interview_id": interview_id,
                    "sha256": sha256,
                    "model": transcript.model,
                    "config_sha256": config_sha256,
                    "language": transcript.language,
                    "created": _now(),
                },
                pk="interview_id",
            )
            self.db["utterances"].insert_all(
                {
                    "interview_id": interview_id,
                    "idx": i,
                    "speaker": u.speaker,
                    "channel": u.channel,
                    "start": u.start,
                    "end": u.end,
                    "text": u.text,
                }
                for i, u in enumerate(transcript.utterances)
            )
            self.db["words"].insert_all(
                {
                    "interview_id": interview_id,
                    "utterance_idx": i,
                    "idx": j,
                    "start": w.start,
                    "end": w.end,
                    "word": w.text,
                    "probability": w.probability,
                }
                for i, u in enumerate(transcript.utterances)
                for j, w in enumerate(u.words)
            )

    def has_transcript(self, interview_id: str) -> bool:
        return bool(
            self.db.execute(
                "select 1 from transcripts where interview_id = ?", [interview_id]
            ).fetchone()
        )

    def log_access(self, action: str, interview_id: str | None, detail: str) -> None:
        with self.db.atomic():
            self.db["access_log"].insert(
                {
                    "time": _now(),
                    "os_user": os_user(),
                    "action": action,
                    "interview_id": interview_id,
                    "detail": detail,
                }
            )

    def read_transcript(self, interview_id: str, reason: str) -> list[Utterance]:
        """The identifiable utterances of an interview, with words; the read is logged first."""
        self.log_access("read_transcript", interview_id, reason)
        words: dict[int, list[Word]] = {}
        for row in self.db.query(
            "select utterance_idx, start, end, word, probability from words "
            "where interview_id = ? order by utterance_idx, idx",
            [interview_id],
        ):
            words.setdefault(row["utterance_idx"], []).append(
                Word(row["start"], row["end"], row["word"], row["probability"])
            )
        return [
            Utterance(
                speaker=row["speaker"],
                channel=row["channel"],
                start=row["start"],
                end=row["end"],
                text=row["text"],
                words=words.get(row["idx"], []),
            )
            for row in self.db.query(
                "select * from utterances where interview_id = ? order by idx", [interview_id]
            )
        ]

    def save_originals(self, interview_id: str, originals: dict[int, str]) -> None:
        """The original text of each redaction log row (keyed by log id; re-runs overwrite)."""
        with self.db.atomic():
            self.db["redaction_originals"].upsert_all(
                ({"log_id": k, "interview_id": interview_id, "original": v}
                 for k, v in originals.items()),
                pk="log_id",
            )

    def read_originals(self, interview_id: str | None, reason: str) -> dict[int, str]:
        """Original text of redacted spans by log id; the read is logged first."""
        self.log_access("read_originals", interview_id, reason)
        sql, params = "select log_id, original from redaction_originals", []
        if interview_id:
            sql, params = sql + " where interview_id = ?", [interview_id]
        return {r["log_id"]: r["original"] for r in self.db.query(sql, params)}

    def pseudonyms(self) -> dict[tuple[str, str], str]:
        """Study-wide tag mapping (keys are normalised originals: identifiable)."""
        return {(r["entity_type"], r["key"]): r["tag"] for r in self.db["pseudonyms"].rows}

    def save_pseudonyms(self, mapping: dict[tuple[str, str], str]) -> None:
        with self.db.atomic():
            self.db["pseudonyms"].upsert_all(
                ({"entity_type": t, "key": k, "tag": v} for (t, k), v in mapping.items()),
                pk=("entity_type", "key"),
            )

    def access_log(self) -> list[dict]:
        return list(self.db.query("select * from access_log order by id"))
