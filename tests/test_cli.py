"""End-to-end: the real `interviews` command on real audio, as an interviewer would use it."""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from click.testing import CliRunner

from bench.metrics import coverage
from pipeline import api
from pipeline.cli import cli
from tests.conftest import ROOT, TEST_CONFIG, drop, encode, run_cli, shared_file

pytestmark = pytest.mark.slow


def export(ws, tmp_path, name="out"):
    out = tmp_path / name
    run_cli(ws, "export", "--format", "json", "--out", str(out), "--identifiable")
    return {p.stem: json.loads(p.read_text()) for p in sorted(out.glob("*.json"))}


def stored(ws, sql):
    with sqlite3.connect(ws / "store.db") as db:
        return db.execute(sql).fetchall()


@pytest.fixture(scope="module")
def stereo_run(tmp_path_factory):
    """The D01 telephone interview (stereo, 8 kHz mu-law) with its sidecar, processed once."""
    tmp = tmp_path_factory.mktemp("d01")
    ws = tmp / "ws"
    api.init(ws)
    (ws / "config" / "pipeline.yaml").write_text(TEST_CONFIG)
    truth = json.loads(shared_file("samples", "D01", "truth.json").read_text())
    drop(ws, shared_file("samples", "D01", "D01_stereo.wav"), "int_d01.wav",
         sidecar={"respondent_id": "D01", **truth["metadata"]})
    first = run_cli(ws, "run")
    return ws, truth, first, export(ws, tmp)


def test_stereo_interview_is_stored_with_speakers(stereo_run):
    ws, truth, first, docs = stereo_run
    assert "1 new" in first.output and "Transcribed 1 recording" in first.output
    (doc,) = docs.values()
    assert set(doc) >= {"interview_id", "source_file", "sha256", "metadata", "utterances"}
    assert doc["source_file"] == "int_d01.wav"
    assert doc["metadata"]["hospital"] == truth["metadata"]["hospital"]
    assert doc["respondent_id"] == "D01"
    utterances = doc["utterances"]
    assert {u["speaker"] for u in utterances} == {"interviewer", "respondent"}
    assert all(set(u) == {"speaker", "start", "end", "text", "topic"} for u in utterances)
    assert [u["start"] for u in utterances] == sorted(u["start"] for u in utterances)
    assert coverage(utterances, truth["turns"]) >= 0.95


def test_store_holds_provenance_not_text(stereo_run):
    ws, truth, _, docs = stereo_run
    (doc,) = docs.values()
    (row,) = stored(ws, "select model, model_sha256, config_sha256, package_version, seconds, "
                        "audio_duration, engine from provenance where stage = 'transcribe'")
    assert row[0] == "tiny.en" and len(row[1]) == 64 and len(row[2]) == 64
    assert row[3] and row[4] > 0 and abs(row[5] - truth["audio"]["duration"]) < 0.1
    assert row[6].startswith("faster-whisper")
    raw = b"".join(p.read_bytes() for p in ws.glob("store.db*"))
    spoken = " ".join(u["text"] for u in doc["utterances"])
    names = {p["text"] for t in truth["turns"] for p in t["pii"] if p["type"] == "PERSON"}
    heard = [n for n in names if n in spoken]
    assert heard, "the transcript should contain some of the planted names"
    for name in heard:
        assert name.encode() not in raw, name
    assert stored(ws, "select status from jobs") == [("done",)]
    stages = stored(ws, "select stage from provenance order by id")
    assert stages == [("transcribe",), ("deidentify",), ("segment",), ("audio",)]


def test_second_run_adds_nothing(stereo_run, tmp_path):
    ws, _, _, docs = stereo_run
    before = stored(ws, "select count(*) from provenance")
    result = run_cli(ws, "run")
    assert "0 new" in result.output and "Transcribed 0" in result.output
    assert stored(ws, "select count(*) from provenance") == before
    assert export(ws, tmp_path) == docs


def test_status_lists_recordings(stereo_run):
    ws, _, _, docs = stereo_run
    result = run_cli(ws, "status")
    assert "int_d01.wav" in result.output and "done" in result.output
    (job,) = json.loads(run_cli(ws, "status", "--json").output)
    assert job["interview_id"] in docs and job["status"] == "done"


def test_identifiable_export_is_logged(stereo_run, tmp_path):
    ws, _, _, _ = stereo_run
    with sqlite3.connect(ws / "vault" / "vault.db") as db:
        before = db.execute("select count(*) from access_log").fetchone()[0]
    export(ws, tmp_path)
    with sqlite3.connect(ws / "vault" / "vault.db") as db:
        rows = db.execute("select action, os_user, detail from access_log").fetchall()
    assert len(rows) == before + 1
    assert rows[-1][0] == "read_transcript" and rows[-1][1] and "--identifiable" in rows[-1][2]
    assert oct((tmp_path / "out").stat().st_mode & 0o777) == "0o700"


def test_formats_duplicates_and_renames(workspace, tmp_path, jfk):
    samples, _ = jfk
    stereo = np.stack([samples, np.zeros_like(samples)])
    encode(samples, 16000, workspace / "recordings" / "call.mp3", "libmp3lame")
    encode(samples, 16000, workspace / "recordings" / "call.m4a", "aac")
    encode(stereo, 16000, workspace / "recordings" / "phone.wav", "pcm_mulaw", out_rate=8000)
    shutil.copyfile(workspace / "recordings" / "call.mp3", workspace / "recordings" / "copy.mp3")
    time.sleep(0.3)
    result = run_cli(workspace, "run")
    assert "3 new, 1 duplicate" in result.output
    assert "copy.mp3: same content as interview" in result.output
    docs = export(workspace, tmp_path)
    assert len(docs) == 3
    by_file = {d["source_file"]: d for d in docs.values()}
    assert {u["speaker"] for u in by_file["phone.wav"]["utterances"]} == {"interviewer"}
    mono = by_file["call.m4a"]["utterances"]  # told apart by voice (one voice here: see README)
    assert mono[0]["speaker"] == "speaker_1" and {u["speaker"] for u in mono} <= {
        "speaker_1", "speaker_2"}
    # renaming a processed file does not process it again
    os.rename(workspace / "recordings" / "call.m4a", workspace / "recordings" / "renamed.m4a")
    result = run_cli(workspace, "run")
    assert "0 new" in result.output and "Transcribed 0" in result.output
    # originals are untouched
    assert (workspace / "recordings" / "copy.mp3").read_bytes() == (
        workspace / "recordings" / "call.mp3"
    ).read_bytes()


def test_half_copied_file_waits(workspace, jfk):
    samples, _ = jfk
    full = encode(samples, 16000, workspace / "full.wav", "pcm_s16le").read_bytes()
    (workspace / "config" / "pipeline.yaml").write_text(
        TEST_CONFIG.replace("stable_seconds: 0.2", "stable_seconds: 30")
    )
    target = workspace / "recordings" / "arriving.wav"
    target.write_bytes(full[: len(full) // 3])
    result = run_cli(workspace, "run", "--no-wait")
    assert "arriving.wav: still being copied" in result.output
    assert api.status(workspace) == []
    with open(target, "ab") as f:
        f.write(full[len(full) // 3 :])
    old = time.time() - 60
    os.utime(target, (old, old))
    result = run_cli(workspace, "run", "--no-wait")
    assert "1 new" in result.output
    (job,) = api.status(workspace)
    assert job.status == "done"


def test_bad_files_fail_alone_and_can_be_fixed(workspace, jfk):
    samples, _ = jfk
    rec = workspace / "recordings"
    encode(samples, 16000, rec / "good.wav", "pcm_s16le")
    (rec / "empty.wav").write_bytes(b"")
    (rec / "notes.mp3").write_text("not audio at all\n" * 50)
    encode(samples[: 16000 * 3], 16000, rec / "other.flac", "flac")
    (rec / "other.json").write_text('{"age": "sixty", "gender": ')
    time.sleep(0.3)
    result = run_cli(workspace, "run", expect=2)
    assert "3 failed" in result.output
    jobs = {j.source_file: j for j in api.status(workspace)}
    assert jobs["good.wav"].status == "done"
    assert jobs["empty.wav"].status == "failed" and "empty" in jobs["empty.wav"].error
    assert "not a readable audio file" in jobs["notes.mp3"].error
    assert jobs["other.flac"].error.startswith("sidecar other.json is not valid JSON")
    status = run_cli(workspace, "status").output
    assert "failed" in status and "sidecar other.json" in status
    # fixing the sidecar re-queues its recording on the next run
    (rec / "other.json").write_text('{"age": 60, "gender": "male"}')
    result = run_cli(workspace, "run")
    assert "Transcribed 1 recording" in result.output
    jobs = {j.source_file: j for j in api.status(workspace)}
    assert jobs["other.flac"].status == "done"
    assert api.export  # retry puts a failed recording back in the queue
    result = run_cli(workspace, "retry", jobs["empty.wav"].interview_id)
    assert "Re-queued 1" in result.output
    assert {j.source_file: j.status for j in api.status(workspace)}["empty.wav"] == "pending"
    run_cli(workspace, "run", expect=2)
    result = run_cli(workspace, "retry", "--all-failed")
    assert "Re-queued 2" in result.output
    assert "no interview with id nope" in run_cli(workspace, "retry", "nope", expect=1).output


def test_sidecar_edit_updates_metadata(workspace, jfk):
    samples, _ = jfk
    rec = workspace / "recordings"
    encode(samples, 16000, rec / "a.wav", "pcm_s16le")
    (rec / "a.json").write_text('{"gender": "female"}')
    time.sleep(0.3)
    run_cli(workspace, "run")
    (rec / "a.json").write_text('{"gender": "female", "age": 70, "respondent_id": "R9"}')
    run_cli(workspace, "run")
    row = stored(workspace, "select metadata, respondent_id from interviews")[0]
    assert json.loads(row[0]) == {"gender": "female", "age": 70} and row[1] == "R9"


def _cli_process(ws):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "-q", "-w", str(ws), "run"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def test_kill_during_run_then_resume_gives_same_result(tmp_path, jfk):
    """kill -9 in the middle of a run, run again: same transcripts as an uninterrupted run."""
    samples, _ = jfk
    sources = []
    for i in range(3):
        path = tmp_path / f"rec{i}.wav"
        # different content each, so each is its own recording
        encode(np.roll(samples, i * 1600), 16000, path, "pcm_s16le")
        sources.append(path)
    results = []
    for name, kill in (("clean", False), ("killed", True)):
        ws = tmp_path / name
        api.init(ws)
        (ws / "config" / "pipeline.yaml").write_text(TEST_CONFIG)
        for src in sources:
            drop(ws, src)
        time.sleep(0.3)
        if kill:
            proc = _cli_process(ws)
            deadline = time.time() + 120
            while time.time() < deadline and proc.poll() is None:
                if stored(ws, "select count(*) from jobs where status != 'pending'")[0][0] >= 1:
                    break
                time.sleep(0.05)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            assert stored(ws, "select count(*) from jobs where status = 'done'")[0][0] < 3
        run_cli(ws, "run")
        assert [j.status for j in api.status(ws)] == ["done"] * 3
        with sqlite3.connect(ws / "vault" / "vault.db") as db:
            assert db.execute("select count(*) from transcripts").fetchone()[0] == 3
        docs = export(ws, tmp_path, f"out-{name}")
        run_cli(ws, "export", "--out", str(tmp_path / f"analyst-{name}"))
        analyst = [json.loads(p.read_text()) for p in (tmp_path / f"analyst-{name}").glob("*")]
        results.append(({d["sha256"]: d["utterances"] for d in docs.values()},
                         {d["sha256"]: d["utterances"] for d in analyst}))
        assert run_cli(ws, "audit", "verify").output.startswith("OK")
    assert results[0] == results[1]


def test_watch_picks_up_new_files(workspace, jfk):
    samples, _ = jfk
    stop = threading.Event()
    summaries = []
    thread = threading.Thread(
        target=api.watch, args=(workspace,), kwargs={"stop": stop, "on_summary": summaries.append}
    )
    thread.start()
    try:
        time.sleep(0.5)
        (workspace / "recordings" / "broken.wav").write_text("garbage")
        encode(samples, 16000, workspace / "recordings" / "late.flac", "flac")
        deadline = time.time() + 60
        while time.time() < deadline:
            states = {j.source_file: j.status for j in api.status(workspace)}
            if states.get("late.flac") == "done" and "broken.wav" in states:
                break
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert states == {"late.flac": "done", "broken.wav": "failed"}
    assert not thread.is_alive()


def test_second_coordinator_is_refused(workspace):
    from pipeline.coordinator import workspace_lock
    from pipeline.workspace import open_workspace

    with workspace_lock(open_workspace(workspace)):
        result = run_cli(workspace, "run", expect=1)
    assert "already working on" in result.output


def test_shipped_sample_recordings_process(tmp_path):
    """The recordings/ that `make run` processes: every one transcribes, sidecars valid."""
    shipped = sorted(p for p in (ROOT / "recordings").iterdir() if p.suffix != ".json")
    assert shipped, "recordings/ should ship sample recordings"
    ws = tmp_path / "ws"
    api.init(ws)
    (ws / "config" / "pipeline.yaml").write_text(TEST_CONFIG)
    for path in (ROOT / "recordings").iterdir():
        shutil.copy(path, ws / "recordings")
    time.sleep(0.3)
    run_cli(ws, "run")
    docs = export(ws, tmp_path)
    assert len(docs) == len(shipped)
    for doc in docs.values():
        assert doc["metadata"] and doc["utterances"]


@pytest.mark.parametrize(
    "command",
    [[], ["init"], ["run"], ["watch"], ["status"], ["retry"], ["export"], ["config"], ["models"],
     ["models", "install"], ["models", "list"], ["review"], ["review", "list"],
     ["review", "undo"], ["review", "add"], ["review", "residual"], ["audit"],
     ["audit", "verify"], ["audit", "head"], ["chart"], ["topic"], ["topic", "set"],
     ["topic", "review"]],
)
def test_every_command_has_help_with_example(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    if command not in (["models"], ["review"], ["audit"], ["topic"]):
        assert "Example:" in result.output, command


def test_missing_workspace_is_explained(tmp_path):
    result = CliRunner().invoke(cli, ["-w", str(tmp_path / "nowhere"), "status"])
    assert result.exit_code == 1
    assert "does not exist: create it with 'interviews init" in result.output


def test_config_shows_settings_in_force(workspace):
    result = run_cli(workspace, "config")
    assert "model: tiny.en" in result.output and "# config sha256: " in result.output
    assert run_cli(workspace, "config", "--defaults").output == api.default_config()


def test_bad_config_is_explained(workspace):
    (workspace / "config" / "pipeline.yaml").write_text("transcribe:\n  modle: base\n")
    result = run_cli(workspace, "run", expect=1)
    assert "unknown setting 'transcribe.modle'" in result.output


def test_process_pool_gives_the_same_transcripts(tmp_path, jfk):
    """Two workers, each loading its model once, give what one process gives."""
    samples, _ = jfk
    results = []
    for workers in (1, 2):
        ws = tmp_path / f"w{workers}"
        api.init(ws)
        (ws / "config" / "pipeline.yaml").write_text(TEST_CONFIG + f"run:\n  workers: {workers}\n")
        for i in range(2):
            encode(np.roll(samples, i * 3200), 16000, ws / "recordings" / f"r{i}.wav", "pcm_s16le")
        time.sleep(0.3)
        run_cli(ws, "run")
        docs = export(ws, tmp_path, f"out{workers}")
        results.append({d["sha256"]: d["utterances"] for d in docs.values()})
    assert len(results[0]) == 2 and results[0] == results[1]
