"""Threads or workers? Throughput of ``interviews run`` on several recordings at once.

The same set of recordings (the sample interviews of ``../shared/samples``, each copied
``--copies`` times with a distinct last byte so each is a new recording) is processed by the real
CLI in a fresh workspace for each way of spending the machine's cores:

- ``1x{N}``: one worker, N decoder threads (stereo calls: the two channels at once, N/2 each);
- ``{N}x1``: N worker processes, one thread each, several recordings at once.

For each: wall seconds, audio minutes per wall minute (throughput), CPU seconds of the whole
process tree and peak RSS of the largest process. The two are run alternately ``--repeat`` times
and the minimum wall kept. The last line is the ratio of the two throughputs.

    .venv/bin/python bench/bench_workers.py [--model base] [--layout mono|stereo] [--copies 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from bench_pipeline import BIN, SAMPLES, run_measured


def recordings(layout: str, copies: int, dest: Path) -> list[Path]:
    paths = []
    for source in sorted(SAMPLES.glob(f"*/*_{layout}.wav")):
        for n in range(copies):
            data = bytearray(source.read_bytes())
            data[-1] ^= n  # a different SHA-256, the same audio (the last sample changes by 1)
            path = dest / f"{source.stem}_{n}.wav"
            path.write_bytes(bytes(data))
            paths.append(path)
    return paths


def run(paths: list[Path], model: str, workers: int, threads: int) -> dict:
    interviews = str(BIN / "interviews")
    with tempfile.TemporaryDirectory(prefix="bench-ws-") as tmp:
        ws = Path(tmp) / "ws"
        subprocess.run([interviews, "-q", "init", str(ws)], check=True, capture_output=True)
        old = time.time() - 3600
        for path in paths:
            dest = ws / "recordings" / path.name
            shutil.copyfile(path, dest)
            os.utime(dest, (old, old))
        settings = {"transcribe": {"model": model, "cpu_threads": threads},
                    "run": {"workers": workers}}
        (ws / "config" / "pipeline.yaml").write_text(yaml.safe_dump(settings))
        result = run_measured([interviews, "-q", "-w", str(ws), "run"], ws)
        with sqlite3.connect(ws / "store.db") as db:
            done = db.execute("SELECT count(*) FROM jobs WHERE status = 'done'").fetchone()[0]
            audio = db.execute(
                "SELECT sum(audio_duration) FROM provenance WHERE stage = 'transcribe'"
            ).fetchone()[0]
    if done != len(paths):
        sys.exit(f"only {done} of {len(paths)} recordings finished:\n{result['stdout']}")
    result["audio"] = audio
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="base")
    parser.add_argument("--layout", default="mono", choices=["mono", "stereo"])
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    a = parser.parse_args()
    cores = os.cpu_count() or 1
    if cores < 2:
        sys.exit("one core: there is nothing to choose between")
    scratch = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    try:
        paths = recordings(a.layout, a.copies, scratch)
        ways = {f"1x{cores}": (1, cores), f"{cores}x1": (cores, 1)}
        best: dict[str, dict] = {}
        for i in range(a.repeat):
            for name, (workers, threads) in ways.items():
                r = run(paths, a.model, workers, threads)
                print(f"  run {i + 1}: {name} {r['wall']:.1f} s", flush=True)
                if name not in best or r["wall"] < best[name]["wall"]:
                    best[name] = r
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{len(paths)} {a.layout} recordings, model {a.model}, {cores} cores")
    print(f"{'workers x threads':20}{'wall s':>9}{'audio min/min':>15}{'CPU s':>9}{'peak RSS MB':>13}")
    for name, r in best.items():
        print(f"{name:20}{r['wall']:9.1f}{r['audio'] / r['wall']:15.1f}{r['cpu']:9.1f}"
              f"{r['rss_mb']:13.0f}")
    one, many = best[f"1x{cores}"], best[f"{cores}x1"]
    print(f"throughput {cores}x1 / 1x{cores} = {one['wall'] / many['wall']:.2f}")


if __name__ == "__main__":
    main()
