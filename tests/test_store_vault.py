import os
import sqlite3
import stat

import pytest

from pipeline.store import DONE, FAILED, MIGRATIONS, PENDING, Store, StoreError
from pipeline.transcribe import Transcript, Utterance, Word
from pipeline.vault import Vault


def _transcript(text="My name is Beverley Hall."):
    words = [Word(0.1 * i, 0.1 * i + 0.08, " " + w, 0.9) for i, w in enumerate(text.split())]
    utterance = Utterance("respondent", 1, words[0].start, words[-1].end, text, words)
    return Transcript([utterance], 3.0, 2.5, "en", {"beam_size": 5}, "tiny.en", 0.5)


def _register(store, sha="ab" * 32, path="a.wav", error=None):
    store.add_recording(
        sha256=sha, interview_id=sha[:12], path=path, size=10, mtime_ns=1,
        metadata={"gender": "female"}, respondent_id="R1", sidecar_sha256=None,
        audio={"duration": 3.0}, error=error,
    )
    return sha[:12]


def test_migrations_run_once(tmp_path):
    store = Store(tmp_path / "store.db")
    assert store.schema_version == len(MIGRATIONS) == 6
    store.close()
    store = Store(tmp_path / "store.db")
    assert [r["version"] for r in store.db["migrations"].rows] == [1, 2, 3, 4, 5, 6]
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_not_a_database(tmp_path):
    (tmp_path / "store.db").write_text("hello")
    with pytest.raises(StoreError, match="not a usable store"):
        Store(tmp_path / "store.db")


def test_job_lifecycle(tmp_path):
    store = Store(tmp_path / "store.db")
    iid = _register(store)
    assert store.job(iid).status == PENDING
    store.start_attempt(iid)
    store.fail(iid, "transcribe", "boom")
    job = store.job(iid)
    assert (job.status, job.error, job.attempts) == (FAILED, "boom", 1)
    store.retry(iid)
    assert (store.job(iid).status, store.job(iid).attempts) == (PENDING, 0)
    store.complete_stage(
        iid, stage="transcribe", status=DONE, audio={"channels": 2},
        provenance={"model": "tiny.en", "config_sha256": "c", "seconds": 1.0},
    )
    assert store.job(iid).status == DONE
    assert store.provenance(iid)[0]["model"] == "tiny.en"
    with pytest.raises(StoreError, match="no interview"):
        store.job("nope")


def test_foreign_keys_enforced(tmp_path):
    store = Store(tmp_path / "store.db")
    with pytest.raises(sqlite3.IntegrityError):
        store.db["jobs"].insert({"interview_id": "missing", "status": PENDING})


def test_vault_permissions(tmp_path):
    vault = Vault(tmp_path / "vault" / "vault.db")
    vault.save_transcript("i1", "ab" * 32, _transcript(), "cfg")
    assert stat.S_IMODE(os.stat(tmp_path / "vault").st_mode) == 0o700
    for name in os.listdir(tmp_path / "vault"):
        assert stat.S_IMODE(os.stat(tmp_path / "vault" / name).st_mode) == 0o600, name
    vault.close()
    os.chmod(tmp_path / "vault", 0o755)
    os.chmod(tmp_path / "vault" / "vault.db", 0o644)
    Vault(tmp_path / "vault" / "vault.db").close()
    assert stat.S_IMODE(os.stat(tmp_path / "vault").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "vault" / "vault.db").st_mode) == 0o600


def test_vault_replaces_never_duplicates_and_logs_reads(tmp_path):
    vault = Vault(tmp_path / "vault" / "vault.db")
    vault.save_transcript("i1", "ab" * 32, _transcript(), "cfg")
    vault.save_transcript("i1", "ab" * 32, _transcript("Second try."), "cfg")
    assert vault.db["utterances"].count == 1
    assert vault.db["words"].count == 2
    assert vault.access_log() == []
    utterances = vault.read_transcript("i1", reason="test")
    assert utterances[0].text == "Second try."
    assert [w.text for w in utterances[0].words] == [" Second", " try."]
    (row,) = vault.access_log()
    assert (row["action"], row["interview_id"], row["detail"]) == ("read_transcript", "i1", "test")
    assert row["os_user"]


def test_only_deidentified_utterances_hold_text_in_the_store(tmp_path):
    store = Store(tmp_path / "store.db")
    with_text = {t.name for t in store.db.tables
                 if {c.name for c in t.columns} & {"text", "word", "original", "transcript"}}
    assert {t for t in with_text if not t.startswith("utterances_fts")} == {"utterances"}
