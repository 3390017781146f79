"""The analyst store, ``store.db``: recordings, interviews and their metadata, job state, provenance.

It never holds identifiable transcript text (that lives in :mod:`pipeline.vault`). The schema is
created and upgraded by the numbered migrations below; ``docs/schema.md`` describes each table.
Only the coordinating process writes here, one transaction per stage result.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from . import audit

PENDING, TRANSCRIBED, DEIDENTIFIED, FAILED, DONE = (
    "pending", "transcribed", "deidentified", "failed", "done"
)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _m001_initial(db: sqlite_utils.Database) -> None:
    db["recordings"].create(
        {
            "sha256": str,
            "interview_id": str,
            "size": int,
            "codec": str,
            "channels": int,
            "sample_rate": int,
            "duration": float,
            "first_seen": str,
        },
        pk="sha256",
    )
    db["recordings"].create_index(["interview_id"], unique=True)
    db["sources"].create(
        {"path": str, "sha256": str, "size": int, "mtime_ns": int, "seen": str},
        pk="path",
        foreign_keys=[("sha256", "recordings", "sha256")],
    )
    db["interviews"].create(
        {
            "id": str,
            "sha256": str,
            "source_file": str,
            "respondent_id": str,
            "metadata": str,
            "sidecar_sha256": str,
            "created": str,
            "updated": str,
        },
        pk="id",
        foreign_keys=[("sha256", "recordings", "sha256")],
    )
    db["jobs"].create(
        {
            "interview_id": str,
            "status": str,
            "stage": str,
            "error": str,
            "attempts": int,
            "updated": str,
        },
        pk="interview_id",
        foreign_keys=[("interview_id", "interviews", "id")],
        defaults={"attempts": 0},
    )
    db["provenance"].create(
        {
            "id": int,
            "interview_id": str,
            "stage": str,
            "model": str,
            "model_sha256": str,
            "engine": str,
            "package_version": str,
            "config_sha256": str,
            "options": str,
            "seconds": float,
            "audio_duration": float,
            "created": str,
        },
        pk="id",
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["provenance"].create_index(["interview_id", "stage"])


LOG_COLUMNS = {
    "id": int,
    "interview_id": str,
    "kind": str,
    "pass": int,
    "target": int,
    "utterance_idx": int,
    "orig_start": int,
    "orig_end": int,
    "deid_start": int,
    "deid_end": int,
    "audio_start": float,
    "audio_end": float,
    "entity_type": str,
    "recognizer": str,
    "recognizer_version": str,
    "score": float,
    "replacement": str,
    "review_status": str,
    "reviewer": str,
    "reason": str,
    "config_sha256": str,
    "created": str,
    "prev_hash": str,
    "hash": str,
}


def _m002_deidentified(db: sqlite_utils.Database) -> None:
    db["utterances"].create(
        {
            "interview_id": str,
            "idx": int,
            "speaker": str,
            "start": float,
            "end": float,
            "text": str,
            "topic": str,
        },
        pk=("interview_id", "idx"),
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["utterances"].enable_fts(["text"], create_triggers=True, tokenize="porter")
    db["redaction_log"].create(LOG_COLUMNS, pk="id", not_null={"interview_id", "kind", "hash"})
    db["redaction_log"].create_index(["interview_id", "pass"])
    for action in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER redaction_log_no_{action.lower()} BEFORE {action} ON redaction_log "
            "BEGIN SELECT RAISE(ABORT, 'the redaction log is append-only'); END"
        )
    db["residual_candidates"].create(
        {
            "interview_id": str,
            "pass": int,
            "utterance_idx": int,
            "deid_start": int,
            "deid_end": int,
            "entity_type": str,
            "score": float,
            "recognizer": str,
        },
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["interviews"].add_column("deid_pass", int)
    db["interviews"].add_column("deid_config_sha256", str)
    db.create_view(
        "redactions",
        """
        select r.* from redaction_log r join interviews i on i.id = r.interview_id
        where r.kind = 'redaction' and r.pass = i.deid_pass
        """,
    )


def _m003_redacted_audio(db: sqlite_utils.Database) -> None:
    db["interviews"].add_column("audio_file", str)
    db["interviews"].add_column("audio_status", str)
    db["interviews"].add_column("audio_config_sha256", str)


def _m004_topics(db: sqlite_utils.Database) -> None:
    db["utterances"].add_column("topic_confidence", float)
    db["interviews"].add_column("segment_sha256", str)
    db["segments"].create(
        {
            "interview_id": str,
            "idx": int,
            "topic": str,
            "first_utterance": int,
            "last_utterance": int,
            "start": float,
            "end": float,
            "confidence": float,
            "source": str,
        },
        pk=("interview_id", "idx"),
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["topic_corrections"].create(
        {
            "id": int,
            "interview_id": str,
            "first_utterance": int,
            "last_utterance": int,
            "topic": str,
            "analyst": str,
            "reason": str,
            "created": str,
        },
        pk="id",
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    # The framework matrix, long form: one row per respondent and topic, the cell holding what
    # the respondent said about it (de-identified, with time stamps).
    db.create_view(
        "chart",
        """
        select i.id as interview_id, i.respondent_id, i.metadata, u.topic,
            count(*) as utterances,
            group_concat(
                printf('[%02d:%02d:%02d] ', cast(u.start / 3600 as int),
                       cast(u.start / 60 as int) % 60, cast(u.start as int) % 60) || u.text,
                char(10)
            ) as excerpts
        from interviews i join utterances u on u.interview_id = i.id
        where u.speaker != 'interviewer' and u.topic is not null
        group by i.id, u.topic
        """,
    )


# Respondent attributes of the study's Table 1, given columns in the browsing views so Datasette
# can facet on them (it cannot facet inside a JSON object); any other sidecar keys stay in
# ``metadata``.
RESPONDENT_ATTRIBUTES = ("gender", "status", "hospital", "age", "mode", "venue", "others_present",
                         "further_contact")


def _m005_browse_views(db: sqlite_utils.Database) -> None:
    attributes = ", ".join(
        f"json_extract(i.metadata, '$.{a}') as \"{a}\"" for a in RESPONDENT_ATTRIBUTES)
    # De-identified interviews with their attributes: no file names, no content hashes.
    db.create_view(
        "respondents",
        f"""
        select i.id as interview_id, i.respondent_id, {attributes}, i.metadata,
            r.duration, i.audio_status
        from interviews i join recordings r on r.sha256 = i.sha256
        where i.deid_pass is not null
        """,
    )
    columns = ", ".join(f'p."{a}"' for a in RESPONDENT_ATTRIBUTES)
    # One row per de-identified utterance with the respondent's attributes, for facets;
    # utterance_rowid lets Datasette search it through utterances_fts.
    db.create_view(
        "excerpts",
        f"""
        select u.rowid as utterance_rowid, u.interview_id, p.respondent_id, u.idx, u.speaker,
            u.start, u."end", u.topic, u.text, {columns}
        from utterances u join respondents p on p.interview_id = u.interview_id
        """,
    )


def _m006_transcript_files(db: sqlite_utils.Database) -> None:
    # What is in transcripts/ and which analyst text it was written from.
    db["transcript_files"].create(
        {"interview_id": str, "format": str, "path": str, "sha256": str, "source_sha256": str,
         "deid_pass": int, "segment_sha256": str, "written": str},
        pk=("interview_id", "format"),
        foreign_keys=[("interview_id", "interviews", "id")],
    )


MIGRATIONS = [_m001_initial, _m002_deidentified, _m003_redacted_audio, _m004_topics,
              _m005_browse_views, _m006_transcript_files]


class StoreError(Exception):
    """The store cannot be opened or a record is missing."""


@dataclass
class Job:
    interview_id: str
    sha256: str
    source_file: str
    status: str
    error: str | None
    duration: float | None
    attempts: int
    audio_status: str | None = None
    """Verdict on the redacted audio copy: verified, unchecked or withheld (flagged for review)."""


class Store:
    """Owns ``store.db``. Every other module goes through these methods."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.db = sqlite_utils.Database(self.path)
            self.db.conn.execute("PRAGMA foreign_keys=ON")
            self.db.enable_wal()
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path} is not a usable store: {e}") from e

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _migrate(self) -> None:
        if not self.db["migrations"].exists():
            self.db["migrations"].create({"version": int, "name": str, "applied": str}, pk="version")
        done = {row["version"] for row in self.db["migrations"].rows}
        for version, migration in enumerate(MIGRATIONS, start=1):
            if version in done:
                continue
            with self.db.atomic():
                migration(self.db)
                self.db["migrations"].insert(
                    {"version": version, "name": migration.__name__.lstrip("_"), "applied": now()}
                )

    @property
    def schema_version(self) -> int:
        return max((r["version"] for r in self.db["migrations"].rows), default=0)

    # -- ingest -------------------------------------------------------------------------------

    def known_source(self, path: str, size: int, mtime_ns: int) -> str | None:
        """The content hash recorded for this exact file (path, size, mtime), if any."""
        rows = list(
            self.db.query(
                "select sha256 from sources where path = ? and size = ? and mtime_ns = ?",
                [path, size, mtime_ns],
            )
        )
        return rows[0]["sha256"] if rows else None

    def has_recording(self, sha256: str) -> bool:
        return bool(self.db.execute("select 1 from recordings where sha256 = ?", [sha256]).fetchone())

    def add_recording(
        self,
        *,
        sha256: str,
        interview_id: str,
        path: str,
        size: int,
        mtime_ns: int,
        metadata: dict | None,
        respondent_id: str | None,
        sidecar_sha256: str | None,
        audio: dict,
        error: str | None,
    ) -> None:
        """Register a new recording, its interview and its job, in one transaction."""
        stamp = now()
        with self.db.atomic():
            self.db["recordings"].insert(
                {
                    "sha256": sha256,
                    "interview_id": interview_id,
                    "size": size,
                    "first_seen": stamp,
                    **audio,
                }
            )
            self._upsert_source(path, sha256, size, mtime_ns, stamp)
            self.db["interviews"].insert(
                {
                    "id": interview_id,
                    "sha256": sha256,
                    "source_file": path,
                    "respondent_id": respondent_id,
                    "metadata": json.dumps(metadata or {}, sort_keys=True),
                    "sidecar_sha256": sidecar_sha256,
                    "created": stamp,
                    "updated": stamp,
                }
            )
            self.db["jobs"].insert(
                {
                    "interview_id": interview_id,
                    "status": FAILED if error else PENDING,
                    "stage": "ingest" if error else None,
                    "error": error,
                    "attempts": 0,
                    "updated": stamp,
                }
            )

    def add_source(self, path: str, sha256: str, size: int, mtime_ns: int) -> None:
        """Another file name for content already known (a copy or a rename)."""
        with self.db.atomic():
            self._upsert_source(path, sha256, size, mtime_ns, now())

    def _upsert_source(self, path, sha256, size, mtime_ns, stamp) -> None:
        self.db["sources"].upsert(
            {"path": path, "sha256": sha256, "size": size, "mtime_ns": mtime_ns, "seen": stamp},
            pk="path",
        )

    def update_sidecar(
        self,
        interview_id: str,
        metadata: dict,
        respondent_id: str | None,
        sidecar_sha256: str | None,
    ) -> None:
        with self.db.atomic():
            self.db["interviews"].update(
                interview_id,
                {
                    "metadata": json.dumps(metadata, sort_keys=True),
                    "respondent_id": respondent_id,
                    "sidecar_sha256": sidecar_sha256,
                    "updated": now(),
                },
            )

    # -- jobs ---------------------------------------------------------------------------------

    def jobs(self, status: str | None = None) -> list[Job]:
        sql = """
            select j.interview_id, i.sha256, i.source_file, j.status, j.error, r.duration,
                j.attempts, i.audio_status
            from jobs j join interviews i on i.id = j.interview_id
            join recordings r on r.sha256 = i.sha256
        """
        params: list = []
        if status:
            sql += " where j.status = ?"
            params.append(status)
        sql += " order by i.created, i.id"
        return [Job(**row) for row in self.db.query(sql, params)]

    def job(self, interview_id: str) -> Job:
        for job in self.jobs():
            if job.interview_id == interview_id:
                return job
        raise StoreError(f"no interview with id {interview_id}")

    def interview(self, interview_id: str) -> dict:
        try:
            row = self.db["interviews"].get(interview_id)
        except sqlite_utils.db.NotFoundError:
            raise StoreError(f"no interview with id {interview_id}") from None
        row["metadata"] = json.loads(row["metadata"] or "{}")
        return row

    def interviews(self) -> list[dict]:
        rows = list(self.db.query("select id from interviews order by created, id"))
        return [self.interview(r["id"]) for r in rows]

    def fail(self, interview_id: str, stage: str, error: str) -> None:
        with self.db.atomic():
            self.db.execute(
                "update jobs set status = ?, stage = ?, error = ?, updated = ? "
                "where interview_id = ?",
                [FAILED, stage, error, now(), interview_id],
            )

    def retry(self, interview_id: str) -> None:
        """Re-queue a recording: from de-identification if only that failed, else from the start."""
        stage = self.db.execute(
            "select stage from jobs where interview_id = ?", [interview_id]
        ).fetchone()
        if stage is None:
            raise StoreError(f"no interview with id {interview_id}")
        status = TRANSCRIBED if stage[0] == "deidentify" else PENDING
        with self.db.atomic():
            self.db.execute(
                "update jobs set status = ?, error = null, attempts = 0, "
                "updated = ? where interview_id = ?",
                [status, now(), interview_id],
            )

    def _set_status(self, interview_id: str, status: str, stage: str, stamp: str) -> None:
        """A stage finished: the job's new state (inside the caller's transaction)."""
        self.db.execute(
            "update jobs set status = ?, stage = ?, error = null, updated = ? "
            "where interview_id = ?",
            [status, stage, stamp, interview_id],
        )

    def start_attempt(self, interview_id: str) -> None:
        """Count an attempt before it starts, so a recording that kills its process is noticed."""
        with self.db.atomic():
            self.db.execute(
                "update jobs set attempts = attempts + 1, updated = ? where interview_id = ?",
                [now(), interview_id],
            )

    def complete_stage(
        self,
        interview_id: str,
        *,
        stage: str,
        status: str,
        audio: dict,
        provenance: dict,
    ) -> None:
        """Record a finished stage: audio facts, provenance and the new job state, atomically."""
        stamp = now()
        with self.db.atomic():
            sha = self.interview(interview_id)["sha256"]
            self.db["recordings"].update(sha, audio)
            self.db["provenance"].insert(
                {"interview_id": interview_id, "stage": stage, "created": stamp, **provenance}
            )
            self._set_status(interview_id, status, stage, stamp)

    def provenance(self, interview_id: str) -> list[dict]:
        return list(
            self.db.query(
                "select * from provenance where interview_id = ? order by id", [interview_id]
            )
        )

    # -- de-identified text and the redaction log ----------------------------------------------

    def next_log_id(self) -> int:
        return (self.db.execute("select max(id) from redaction_log").fetchone()[0] or 0) + 1

    def _append_log(self, rows: list[dict]) -> None:
        """Append rows to the hash chain (inside the caller's transaction)."""
        last = self.db.execute("select id, hash from redaction_log order by id desc limit 1")
        last = last.fetchone()
        next_id, prev = (last[0] + 1, last[1]) if last else (1, audit.GENESIS)
        for row in rows:
            full = {column: None for column in LOG_COLUMNS}
            full.update(row, id=next_id, prev_hash=prev)
            if row.get("id") not in (None, next_id):
                raise StoreError(f"log row id {row['id']} is not the next id {next_id}")
            full["hash"] = prev = audit.chain_hash(prev, full)
            self.db["redaction_log"].insert(full)
            next_id += 1

    def append_review(self, row: dict) -> int:
        """Record a reviewer's decision as a new log row; returns its id."""
        with self.db.atomic():
            log_id = self.next_log_id()
            self._append_log([{**row, "id": log_id, "created": now()}])
            self.db.execute(
                "update jobs set status = ?, updated = ? where interview_id = ? "
                "and status in (?, ?)",
                [TRANSCRIBED, now(), row["interview_id"], DONE, DEIDENTIFIED],
            )
        return log_id

    def log_rows(self, interview_id: str | None = None) -> list[dict]:
        sql, params = "select * from redaction_log", []
        if interview_id:
            sql, params = sql + " where interview_id = ?", [interview_id]
        return list(self.db.query(sql + " order by id", params))

    def log_row(self, log_id: int) -> dict:
        rows = list(self.db.query("select * from redaction_log where id = ?", [log_id]))
        if not rows:
            raise StoreError(f"no redaction log row with id {log_id}")
        return rows[0]

    def review_decisions(self, interview_id: str) -> list[dict]:
        return list(
            self.db.query(
                "select * from redaction_log where interview_id = ? and kind in ('undo', 'add') "
                "order by id",
                [interview_id],
            )
        )

    def save_deidentified(
        self,
        interview_id: str,
        *,
        pass_no: int,
        config_sha256: str,
        utterances: list[dict],
        log: list[dict],
        residual: list[dict],
        provenance: dict,
        status: str,
    ) -> None:
        """Replace the interview's analyst text and append its redactions, atomically."""
        stamp = now()
        with self.db.atomic():
            self.db.execute("delete from utterances where interview_id = ?", [interview_id])
            self.db["utterances"].insert_all(
                {"interview_id": interview_id, "idx": i, "topic": None, **u}
                for i, u in enumerate(utterances)
            )
            self._append_log([{**row, "created": stamp} for row in log])
            self.db.execute("delete from residual_candidates where interview_id = ?",
                            [interview_id])
            self.db["residual_candidates"].insert_all(
                {"interview_id": interview_id, "pass": pass_no, **r} for r in residual
            )
            self.db["interviews"].update(
                interview_id,
                {"deid_pass": pass_no, "deid_config_sha256": config_sha256, "updated": stamp},
            )
            self.db["provenance"].insert(
                {"interview_id": interview_id, "stage": "deidentify", "created": stamp,
                 **provenance}
            )
            self._set_status(interview_id, status, "deidentify", stamp)

    def utterances(self, interview_id: str) -> list[dict]:
        return list(
            self.db.query(
                "select * from utterances where interview_id = ? order by idx", [interview_id]
            )
        )

    def residual_candidates(self, interview_id: str) -> list[dict]:
        return list(
            self.db.query(
                "select * from residual_candidates where interview_id = ? "
                "order by utterance_idx, deid_start",
                [interview_id],
            )
        )

    def current_redactions(self, interview_id: str) -> list[dict]:
        return list(self.db.query(
            "select * from redactions where interview_id = ? order by id", [interview_id]))

    def save_audio(
        self,
        interview_id: str,
        *,
        log: dict,
        audio_file: str | None,
        audio_status: str,
        config_sha256: str,
        provenance: dict,
    ) -> None:
        """Record the redacted-audio result and its verification, atomically."""
        stamp = now()
        with self.db.atomic():
            self._append_log([{**log, "interview_id": interview_id, "created": stamp}])
            self.db["interviews"].update(interview_id, {
                "audio_file": audio_file, "audio_status": audio_status,
                "audio_config_sha256": config_sha256, "updated": stamp})
            self.db["provenance"].insert(
                {"interview_id": interview_id, "stage": "audio", "created": stamp, **provenance})
            self._set_status(interview_id, DONE, "audio", stamp)

    def requeue(self, interview_ids: list[str], status: str) -> None:
        """Send finished interviews back to an earlier stage (after a change of settings)."""
        with self.db.atomic():
            for iid in interview_ids:
                self.db.execute(
                    "update jobs set status = ?, updated = ? where interview_id = ? "
                    "and status in (?, ?)",
                    [status, now(), iid, DONE, DEIDENTIFIED],
                )


    # -- topics --------------------------------------------------------------------------------

    def topic_corrections(self, interview_id: str) -> list[dict]:
        return list(self.db.query(
            "select * from topic_corrections where interview_id = ? order by id", [interview_id]))

    def segments(self, interview_id: str) -> list[dict]:
        return list(self.db.query(
            "select * from segments where interview_id = ? order by idx", [interview_id]))

    def add_topic_correction(self, row: dict) -> int:
        with self.db.atomic():
            self.db["topic_corrections"].insert({**row, "created": now()})
            # Re-segment on the next run (corrections are applied on top of the automatic topics).
            self.db["interviews"].update(row["interview_id"], {"segment_sha256": None})
        return self.db.execute("select max(id) from topic_corrections").fetchone()[0]

    def save_segments(
        self, interview_id: str, *, topics: list[tuple[str | None, float]], segments: list[dict],
        fingerprint: str, provenance: dict,
    ) -> None:
        """Topic per utterance and the segments, replacing the previous ones, atomically."""
        stamp = now()
        with self.db.atomic():
            for idx, (topic, confidence) in enumerate(topics):
                self.db.execute(
                    "update utterances set topic = ?, topic_confidence = ? "
                    "where interview_id = ? and idx = ?",
                    [topic, confidence, interview_id, idx],
                )
            self.db.execute("delete from segments where interview_id = ?", [interview_id])
            self.db["segments"].insert_all(
                {"interview_id": interview_id, "idx": i, **seg} for i, seg in enumerate(segments))
            self.db["interviews"].update(interview_id, {"segment_sha256": fingerprint})
            self.db["provenance"].insert(
                {"interview_id": interview_id, "stage": "segment", "created": stamp, **provenance})

    # -- analyst files -------------------------------------------------------------------------

    def final_text_interviews(self) -> list[dict]:
        """Interviews whose analyst text is final: de-identified and not waiting to be re-derived
        (or failed) at the de-identification stage."""
        rows = self.db.query(
            "select i.id from interviews i join jobs j on j.interview_id = i.id "
            "where i.deid_pass is not null and (j.status in (?, ?) "
            "or (j.status = ? and j.stage = 'audio')) order by i.created, i.id",
            [DEIDENTIFIED, DONE, FAILED],
        )
        return [self.interview(r["id"]) for r in rows]

    def transcript_files(self) -> dict[tuple[str, str], dict]:
        """The files recorded in transcripts/, by (interview id, format)."""
        return {(r["interview_id"], r["format"]): r for r in self.db["transcript_files"].rows}

    def save_transcript_files(self, files: list[dict]) -> None:
        """Record the files now in transcripts/ (rows for files no longer there are dropped)."""
        stamp = now()
        with self.db.atomic():
            known = self.transcript_files()
            current = {(f["interview_id"], f["format"]) for f in files}
            for key in known.keys() - current:
                self.db["transcript_files"].delete(key)
            for f in files:
                before = known.get((f["interview_id"], f["format"]))
                interview = self.interview(f["interview_id"])
                written = before["written"] if before and before["sha256"] == f["sha256"] else stamp
                self.db["transcript_files"].upsert(
                    {**f, "deid_pass": interview["deid_pass"],
                     "segment_sha256": interview["segment_sha256"], "written": written},
                    pk=("interview_id", "format"))
