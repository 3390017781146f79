"""The dask executor: same outputs as the local one, and worker deaths cost only their task."""

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import dask
import numpy as np
import pytest
from distributed import Client, LocalCluster

from pipeline import api, ingest
from pipeline.executors import WORKER_CONFIG
from tests.conftest import ROOT, TEST_CONFIG, drop, encode, run_cli, shared_file

pytestmark = pytest.mark.slow

CONFIG = TEST_CONFIG + "audio:\n  enabled: false\nrun:\n  workers: 2\n"


def make_ws(tmp_path, name, sources, extra=""):
    ws = tmp_path / name
    api.init(ws)
    (ws / "config" / "pipeline.yaml").write_text(CONFIG + extra)
    for src in sources:
        drop(ws, src)
    time.sleep(0.3)
    return ws


def outputs(ws):
    """Everything a run leaves that does not depend on timing: vault transcripts, analyst text,
    the redaction log, topics and segments (rows, not times)."""
    with sqlite3.connect(ws / "vault" / "vault.db") as db:
        vault = db.execute("select * from utterances order by 1, 2").fetchall()
        words = db.execute("select * from words order by 1, 2, 3").fetchall()
        originals = db.execute("select * from redaction_originals order by 1").fetchall()
    with sqlite3.connect(ws / "store.db") as db:
        analyst = db.execute(
            "select interview_id, idx, speaker, start, end, text, topic from utterances "
            "order by 1, 2").fetchall()
        # Not the recognizer's name: when two recognizers find the same span with the same
        # score, Presidio keeps one of them in an order that follows the process's hash seed
        # (EntityRecognizer.remove_duplicates uses a set), in local runs as on workers.
        log = db.execute(
            "select id, interview_id, pass, kind, utterance_idx, orig_start, orig_end, deid_start, "
            "deid_end, audio_start, audio_end, entity_type, score, replacement, review_status, "
            "config_sha256 from redaction_log order by id"
        ).fetchall()
        segments = db.execute(
            "select interview_id, topic, first_utterance, last_utterance, source from segments "
            "order by 1, 3").fetchall()
        jobs = db.execute("select interview_id, status from jobs order by 1").fetchall()
    return {"vault": vault, "words": words, "originals": originals, "analyst": analyst, "log": log,
            "segments": segments, "jobs": jobs}


def test_dask_gives_the_same_outputs_as_the_local_pool(tmp_path, caplog):
    """Two sample interviews on a LocalCluster of 2 workers: identical to the process pool."""
    sources = [shared_file("samples", d, f"{d}_stereo.wav") for d in ("D01", "D02")]
    local = make_ws(tmp_path, "local", sources)
    run_cli(local, "run")
    distributed = make_ws(tmp_path, "dask", sources)
    with caplog.at_level(logging.INFO, logger="pipeline.executors"):
        run_cli(distributed, "run", "--executor", "dask")
    assert "dashboard http://" in caplog.text and "2 worker(s)" in caplog.text
    expected, got = outputs(local), outputs(distributed)
    assert [s for _, s in got["jobs"]] == ["done", "done"]
    assert len(got["vault"]) > 20 and len(got["log"]) > 5 and got["segments"]
    assert got == expected


@pytest.fixture
def cluster():
    """An external two-worker cluster, as `dask scheduler` + `dask worker` would give."""
    with dask.config.set({**WORKER_CONFIG, "distributed.scheduler.allowed-failures": 1}):
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=":0") as c, Client(c) as client:
            yield c, client


def jfk_copies(tmp_path, jfk, n, repeat=1):
    samples, _ = jfk
    samples = np.tile(samples, repeat)
    paths = []
    for i in range(n):
        path = tmp_path / f"rec{i}.wav"
        encode(np.roll(samples, i * 1600), 16000, path, "pcm_s16le")
        paths.append(path)
    return paths


class Killer(threading.Thread):
    """SIGKILLs the worker process running a matching transcription task (at most ``times``)."""

    def __init__(self, client, match="transcribe-", times=1):
        super().__init__(daemon=True)
        self.client, self.match, self.times = client, match, times
        self.kills, self.stop = [], threading.Event()

    def run(self):
        seen = {}
        while not self.stop.is_set() and len(self.kills) < self.times:
            try:
                processing = self.client.processing()
            except Exception:  # the client closed under us: the test is over
                return
            for address, keys in processing.items():
                for key in keys:
                    if isinstance(key, str) and key.startswith(self.match):
                        # Let it get going first: killed mid-task, not before it starts.
                        if time.monotonic() - seen.setdefault((address, key),
                                                              time.monotonic()) > 0.5:
                            pid = self.client.run(os.getpid, workers=[address])[address]
                            os.kill(pid, signal.SIGKILL)
                            self.kills.append(key)
                            seen.clear()
            time.sleep(0.1)


def test_killed_worker_costs_only_its_task(tmp_path, jfk, cluster):
    c, client = cluster
    sources = jfk_copies(tmp_path, jfk, 3)
    local = make_ws(tmp_path, "local", sources)
    run_cli(local, "run")
    ws = make_ws(tmp_path, "killed", sources)
    killer = Killer(client)
    killer.start()
    run_cli(ws, "run", "--executor", "dask", "--scheduler", c.scheduler_address)
    killer.stop.set()
    assert len(killer.kills) == 1
    assert outputs(ws) == outputs(local)


def test_recording_that_keeps_killing_workers_fails_alone(tmp_path, jfk, cluster):
    c, client = cluster
    # Long enough (44 s of speech) that each try is still running when the killer strikes,
    # however fast the machine.
    sources = jfk_copies(tmp_path, jfk, 2, repeat=4)
    ws = make_ws(tmp_path, "ws", sources)
    doomed = ingest.interview_id(ingest.sha256_file(sources[1]))
    killer = Killer(client, match=f"transcribe-{doomed}", times=5)
    killer.start()
    result = run_cli(ws, "run", "--executor", "dask", "--scheduler", c.scheduler_address,
                     expect=2)
    killer.stop.set()
    assert len(killer.kills) == 2  # allowed-failures 1: the second death gives up
    jobs = {j.interview_id: j for j in api.status(ws)}
    assert jobs[doomed].status == "failed"
    assert "died every time it was tried" in jobs[doomed].error
    assert [j.status for i, j in jobs.items() if i != doomed] == ["done"]
    assert "failed " + doomed in result.output


def test_coordinator_killed_then_resumed_on_the_cluster(tmp_path, jfk, cluster):
    """kill -9 the coordinator mid-run; the next run finishes without duplicates."""
    c, _ = cluster
    sources = jfk_copies(tmp_path, jfk, 3)
    local = make_ws(tmp_path, "local", sources)
    run_cli(local, "run")
    ws = make_ws(tmp_path, "ws", sources)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "-q", "-w", str(ws), "run", "--executor", "dask",
         "--scheduler", c.scheduler_address],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None:
        with sqlite3.connect(ws / "store.db") as db:
            if db.execute("select count(*) from jobs where status != 'pending'").fetchone()[0]:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(ws / "store.db") as db:
        assert db.execute("select count(*) from jobs where status = 'done'").fetchone()[0] < 3
    run_cli(ws, "run", "--executor", "dask", "--scheduler", c.scheduler_address)
    assert outputs(ws) == outputs(local)
    assert run_cli(ws, "audit", "verify").output.startswith("OK")


def stages_in_order(ws):
    with sqlite3.connect(ws / "store.db") as db:
        return [r[0] for r in db.execute("select stage from provenance order by id")]


def test_recordings_go_on_to_later_stages_while_others_wait(tmp_path, jfk):
    """On Dask a recording is de-identified and segmented as soon as its transcript is in, not
    after every recording is transcribed (one worker: the order of stages is fixed)."""
    ws = make_ws(tmp_path, "ws", jfk_copies(tmp_path, jfk, 3))
    (ws / "config" / "pipeline.yaml").write_text(CONFIG.replace("workers: 2", "workers: 1"))
    run_cli(ws, "run", "--executor", "dask")
    stages = stages_in_order(ws)
    assert sorted(stages) == ["deidentify"] * 3 + ["segment"] * 3 + ["transcribe"] * 3
    last_transcript = len(stages) - 1 - stages[::-1].index("transcribe")
    assert stages.index("deidentify") < stages.index("segment") < last_transcript


def test_changed_settings_are_rederived_on_the_cluster_as_locally(tmp_path, jfk, cluster):
    """A new deny list and an edited guide after a run: the Dask flow re-derives the analyst
    text and topics exactly as the local stages do."""
    from pipeline.segment import DEFAULT_GUIDE

    c, _ = cluster
    sources = jfk_copies(tmp_path, jfk, 2)
    local, ws = make_ws(tmp_path, "local", sources), make_ws(tmp_path, "dask", sources)
    run_cli(local, "run")
    run_cli(ws, "run", "--executor", "dask", "--scheduler", c.scheduler_address)
    guide = DEFAULT_GUIDE.read_text().replace(
        "      - Is there anything else you'd like to add before we finish?",
        "      - Is there anything else you'd like to add before we finish?\n"
        "      - Is there anything else you can do for your country?", 1)
    assert guide != DEFAULT_GUIDE.read_text()
    for w in (local, ws):
        (w / "config" / "deny_list.yaml").write_text("PERSON: [Americans]\n")
        (w / "config" / "interview_guide.yaml").write_text(guide)
    run_cli(local, "run")
    before = stages_in_order(ws)
    run_cli(ws, "run", "--executor", "dask", "--scheduler", c.scheduler_address)
    assert sorted(stages_in_order(ws)[len(before):]) == ["deidentify"] * 2 + ["segment"] * 2
    assert outputs(ws) == outputs(local)
    with sqlite3.connect(ws / "store.db") as db:
        assert "americans" not in "\n".join(db.iterdump()).lower()


def test_broken_guide_on_the_cluster_keeps_transcripts_and_analyst_text(tmp_path, jfk, cluster):
    c, _ = cluster
    ws = make_ws(tmp_path, "ws", jfk_copies(tmp_path, jfk, 1))
    (ws / "config" / "interview_guide.yaml").write_text("topics: [oops\n")
    result = run_cli(ws, "run", "--executor", "dask", "--scheduler", c.scheduler_address,
                     expect=1)
    assert "the interview guide cannot be used" in result.output
    assert stages_in_order(ws) == ["transcribe", "deidentify"]
    (ws / "config" / "interview_guide.yaml").unlink()
    run_cli(ws, "run", "--executor", "dask", "--scheduler", c.scheduler_address)
    assert stages_in_order(ws) == ["transcribe", "deidentify", "segment"]


def test_scheduler_without_dask_executor_is_refused(workspace):
    result = run_cli(workspace, "run", "--scheduler", "tcp://127.0.0.1:1", expect=1)
    assert "a scheduler address needs executor dask (--executor dask)" in result.output


def test_unreachable_scheduler_is_explained(workspace, jfk, tmp_path):
    drop(workspace, jfk_copies(tmp_path, jfk, 1)[0])
    time.sleep(0.3)
    result = run_cli(workspace, "run", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9",
                     expect=1)
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.output


def test_identifiers_cross_only_to_workers_never_to_analyst_files(tmp_path, jfk, cluster):
    """A planted identifier (deny list) is redacted on the cluster path like the local one."""
    c, _ = cluster
    ws = make_ws(tmp_path, "ws", jfk_copies(tmp_path, jfk, 1))
    (ws / "config" / "deny_list.yaml").write_text("PERSON: [Americans]\n")
    run_cli(ws, "run", "--executor", "dask", "--scheduler", c.scheduler_address)
    out = tmp_path / "analyst"
    run_cli(ws, "export", "--out", str(out))
    text = "".join(p.read_text() for p in out.glob("*.json"))
    assert "[PERSON_1]" in text and "americans" not in text.lower()
    with sqlite3.connect(ws / "store.db") as db:
        dump = "\n".join(db.iterdump()).lower()
    assert "americans" not in dump
    assert json.loads(next(out.glob("*.json")).read_text())["utterances"]


def test_gpu_stage_goes_only_to_gpu_workers(tmp_path, cluster):
    """With transcribe.device cuda, transcription tasks carry resources={"GPU": 1}: only a worker
    started with --resources GPU=1 runs them (checked without a GPU: the task reports where it
    ran); without such a worker the run stops with an explanation."""
    from pipeline import config as config_mod
    from pipeline.executors import DaskExecutor, RunError, Task

    c, client = cluster
    cuda = config_mod.load(overrides={"transcribe": {"device": "cuda"}})
    with pytest.raises(RunError, match="no Dask worker has a GPU"):
        DaskExecutor(cuda, c.scheduler_address)
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__MEMORY__SPILL": "False",
           "DASK_DISTRIBUTED__WORKER__MEMORY__TARGET": "False"}
    gpu_worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", c.scheduler_address,
         "--nthreads", "1", "--resources", "GPU=1", "--name", "gpu", "--no-dashboard"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client.wait_for_workers(3, timeout=120)
        executor = DaskExecutor(cuda, c.scheduler_address)
        try:
            def where():
                from distributed import get_worker

                return get_worker().name

            tasks = [Task(f"t{i}", where, ()) for i in range(6)]
            ran = [r for _, r, _ in executor.run("transcribe", tasks, gpu=True)]
            anywhere = [r for _, r, _ in executor.run("segment", tasks, gpu=False)]
        finally:
            executor.close()
    finally:
        gpu_worker.terminate()
        gpu_worker.wait()
    assert ran == ["gpu"] * 6
    assert len(anywhere) == 6
