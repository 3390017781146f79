"""How much does the pipeline cost on top of plain faster-whisper?  (``make bench``)

One run measures two things on the SAME recording with the SAME settings, for each model (base
and tiny.en) and each recording: by default a telephone interview of at least 10 minutes made from
``../shared/samples`` (the sample interviews end to end, 8 kHz mu-law), once in stereo with one
party per channel and once mixed down to mono (``--layouts``, ``--models``; ``--minutes`` sets the
length, ``--audio`` measures any other file):

bare
    faster-whisper as a user would call it, in a fresh Python process: ``WhisperModel(model_dir,
    device="cpu", compute_type="int8", cpu_threads=N)``, ``decode_audio`` (split per channel when
    stereo), then ``model.transcribe(channel, language=..., beam_size=..., word_timestamps=True,
    vad_filter=True, vad_parameters=...)`` on each channel, consuming every segment.
pipeline
    the real CLI, ``interviews -q -w TMP run``, in a fresh process on a new temporary workspace
    holding only that recording, with ``workers: 1`` (bare is single-process too). Its wall time
    includes start-up, hashing, probing, decoding, model loading, the model checksum recorded for
    provenance, every later stage it runs (de-identification), and the store and vault writes.

The decoding settings, model directory and thread count for bare are read from the pipeline's own
configuration (``pipeline.config.load`` with the same overrides the workspace file sets),
``pipeline.transcribe.vad_options`` (the VAD settings it picks for a stereo or mono recording),
``pipeline.audio.probe`` and ``pipeline.models.resolve``, so the two cannot drift apart.

For each: wall seconds of the whole process (start-up included), real-time factor (audio seconds
per wall second; higher is faster), CPU seconds (user + system) and peak resident memory of the
process (``ru_utime``, ``ru_stime``, ``ru_maxrss`` from ``wait4``).

Reading it on a shared machine: the transcription itself varies by 10-30% from run to run (time
spent waiting for a core, cache contention, and Whisper's temperature fallback, which samples at
random; the pipeline seeds it, bare does not), and that noise swamps the pipeline's own cost. Two lines help: the CPU-time ratio (not
inflated by waiting for a core) and "outside the stages", the seconds each process spends on
everything but its recorded stages (start-up, model load, audio decoding, and for the pipeline
hashing, probing and database writes), whose difference is the pipeline's fixed overhead. Stages
the pipeline runs after transcription (de-identification) are work bare does not do: they count
in the ratio on the last line, and a line before it gives the ratio without them. Use
``--repeat 3`` or more: runs alternate bare/pipeline and the minimum wall of each is used.

Also printed: where bare's time went (import, model load, decode, transcribe), the stage times the
pipeline recorded in ``store.db``'s ``provenance`` table, and the number of words each produced.
The word counts should be nearly equal, as both run the same VAD and decoder, but not always
exactly: windows that fail Whisper's quality checks are decoded again at a higher temperature,
which samples at random, so even two bare runs differ by a few words (and a few seconds).

A summary table lists every model and recording. The last line is ``pipeline/bare = X.XX``: the
pipeline's wall time over bare's, summed over all of them. 1.00 means the pipeline adds nothing;
1.10 means it costs 10% more than calling faster-whisper directly; under 1.00, that the pipeline
does the same work faster (stereo channels are transcribed at the same time, each on half the
threads: ``transcribe.parallel_channels``).

    .venv/bin/python bench/bench_pipeline.py [--audio PATH | --minutes M --layouts stereo,mono]
                                             [--models base,tiny.en] [--repeat N] [--json PATH]
                                             [--device cuda]
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / ".venv" / "bin"
if not (BIN / "interviews").exists():
    BIN = Path(sys.executable).parent
SAMPLES = REPO / ".." / "shared" / "samples"
FALLBACK_AUDIO = REPO / "recordings" / "sample_interview_01.wav"

sys.path.insert(0, str(REPO))
from pipeline import audio as audio_mod  # noqa: E402
from pipeline import config as config_mod  # noqa: E402
from pipeline import models  # noqa: E402
from pipeline import transcribe as transcribe_mod  # noqa: E402

# The bare run: plain faster-whisper, the way its README shows it. It takes its settings as one
# JSON argument and prints one JSON line of results. Timings inside it are only for the breakdown;
# the wall time compared is the whole process, measured by the parent.
BARE_SCRIPT = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import faster_whisper
from faster_whisper import WhisperModel
a = json.loads(sys.argv[1])
t1 = time.perf_counter()
model = WhisperModel(a["model_dir"], device=a["device"], compute_type=a["compute_type"],
                     cpu_threads=a["cpu_threads"])
t2 = time.perf_counter()
audio = faster_whisper.decode_audio(a["audio"], split_stereo=a["stereo"])
channels = list(audio) if a["stereo"] else [audio]
t3 = time.perf_counter()
words = speech = 0
for samples in channels:
    segments, info = model.transcribe(
        samples, language=a["language"], beam_size=a["beam_size"], word_timestamps=True,
        vad_filter=a["vad_filter"], vad_parameters=a["vad_parameters"])
    for segment in segments:
        words += len(segment.words or [])
    speech += info.duration_after_vad
t4 = time.perf_counter()
print(json.dumps({
    "import": t1 - t0, "load": t2 - t1, "decode": t3 - t2, "transcribe": t4 - t3,
    "duration": len(channels[0]) / 16000, "speech": speech, "channels": len(channels),
    "words": words,
    "self_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def run_measured(cmd: list[str], cwd: Path) -> dict:
    """Run ``cmd``; return wall seconds, peak RSS (MB) of the process and its output."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        sys.exit(
            f"{' '.join(cmd[:4])} ... exited with {proc.returncode}\n"
            f"--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
        )
    # Linux reports ru_maxrss in KiB.
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "stdout": stdout,
    }


def run_bare(args: dict) -> dict:
    result = run_measured([sys.executable, "-c", BARE_SCRIPT, json.dumps(args)], REPO)
    result.update(json.loads(result.pop("stdout").strip().splitlines()[-1]))
    return result


def run_pipeline(audio: Path, overrides: dict) -> dict:
    """``interviews run`` on a fresh temporary workspace holding only ``audio``."""
    interviews = str(BIN / "interviews")
    with tempfile.TemporaryDirectory(prefix="bench-ws-") as tmp:
        ws = Path(tmp) / "ws"
        subprocess.run([interviews, "-q", "init", str(ws)], check=True, capture_output=True)
        dest = ws / "recordings" / audio.name
        shutil.copyfile(audio, dest)
        # Backdate the copy so the "still being copied?" check (ingest.stable_seconds) passes at
        # once, as it would for a recording dropped in a while ago: no waiting is measured.
        old = time.time() - 3600
        os.utime(dest, (old, old))
        (ws / "config" / "pipeline.yaml").write_text(yaml.safe_dump(overrides))
        result = run_measured([interviews, "-q", "-w", str(ws), "run"], REPO)
        with sqlite3.connect(ws / "store.db") as db:
            rows = db.execute(
                "SELECT stage, seconds, audio_duration FROM provenance ORDER BY id"
            ).fetchall()
        with sqlite3.connect(ws / "vault" / "vault.db") as db:
            words = db.execute("SELECT count(*) FROM words").fetchone()[0]
    if not rows:
        sys.exit(f"the pipeline recorded no provenance; its output was:\n{result['stdout']}")
    result.pop("stdout")
    result["stages"] = {}
    for stage, seconds, _ in rows:  # summed, in case a stage ran more than once
        result["stages"][stage] = result["stages"].get(stage, 0.0) + (seconds or 0.0)
    durations = [d for stage, _, d in rows if stage == "transcribe" and d] or [rows[0][2] or 0.0]
    result["duration"] = durations[0]
    result["words"] = words
    return result


def build_audio(minutes: float, mono: bool, dest: Path) -> Path:
    """A telephone interview of at least ``minutes``: the sample stereo interviews end to end,
    as 8 kHz mu-law WAV (mixed to mono with ``mono``)."""
    import av
    import numpy as np
    from faster_whisper import decode_audio

    sources = sorted(SAMPLES.glob("*/*_stereo.wav")) or [FALLBACK_AUDIO]
    parts = [np.stack(decode_audio(str(p), sampling_rate=8000, split_stereo=True)) for p in sources]
    pieces, total = [], 0
    while total < minutes * 60 * 8000:
        piece = parts[len(pieces) % len(parts)]
        pieces.append(piece)
        total += piece.shape[1]
    samples = np.concatenate(pieces, axis=1).astype(np.float32)
    if mono:
        samples = samples.mean(axis=0, keepdims=True)
    layout = "mono" if mono else "stereo"
    with av.open(str(dest), "w") as container:
        stream = container.add_stream("pcm_mulaw", rate=8000, layout=layout)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout=layout)
        frame.sample_rate = 8000
        resampler = av.AudioResampler(format="s16", layout=layout, rate=8000)
        for resampled in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(resampled):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return dest


def measure(audio: Path, model: str, repeat: int, fail, device: str | None = None) -> dict:
    """Bare and pipeline on one recording with one model; print the breakdown, return numbers."""
    # The settings the workspace file will hold, and the configuration they resolve to.
    overrides = {"transcribe": {"model": model}, "run": {"workers": 1}}
    if device:
        overrides["transcribe"]["device"] = device
    if model not in ("base", "tiny.en"):
        overrides["transcribe"]["model"] = str(Path(model).resolve())
    try:
        cfg = config_mod.load(None, overrides)
        opts = cfg.transcribe
        model_dir = models.resolve(opts.model)  # joins the base model once, before any timing
        stereo = audio_mod.probe(audio).channels == 2  # the pipeline's own test
    except (config_mod.ConfigError, models.ModelError, audio_mod.AudioError) as e:
        fail(str(e))
    # The VAD settings the pipeline picks for this recording (they differ for stereo and mono).
    vad = transcribe_mod.vad_options(opts, stereo)
    bare_args = {
        "audio": str(audio),
        "stereo": stereo,
        "model_dir": str(model_dir),
        "device": opts.device,
        "compute_type": models.compute_type(opts.device, opts.compute_type),
        "cpu_threads": cfg.cpu_threads(),
        "language": opts.language,
        "beam_size": opts.beam_size,
        "vad_filter": opts.vad_filter,
        "vad_parameters": {
            "min_silence_duration_ms": vad.min_silence_duration_ms,
            "speech_pad_ms": vad.speech_pad_ms,
        },
    }

    print(f"audio     {audio}")
    print(
        f"model     {opts.model} ({model_dir}), {opts.device} {bare_args['compute_type']}, "
        f"cpu_threads={bare_args['cpu_threads']}, workers=1, cpus={os.cpu_count()}"
    )
    print(
        f"decoding  language={opts.language} beam_size={opts.beam_size} word_timestamps "
        f"vad_filter={opts.vad_filter} min_silence={vad.min_silence_duration_ms}ms "
        f"pad={vad.speech_pad_ms}ms ({'stereo' if stereo else 'mono'} settings)"
    )

    bare_runs, pipe_runs = [], []
    for i in range(repeat):
        bare_runs.append(run_bare(bare_args))
        pipe_runs.append(run_pipeline(audio, overrides))
        if repeat > 1:
            print(
                f"  run {i + 1}/{repeat}: bare {bare_runs[-1]['wall']:.2f} s, "
                f"pipeline {pipe_runs[-1]['wall']:.2f} s",
                flush=True,
            )
    bare = min(bare_runs, key=lambda r: r["wall"])
    pipe = min(pipe_runs, key=lambda r: r["wall"])
    duration = bare["duration"]

    # Each pipeline run hashes the weights for provenance; time it here to explain the overhead.
    started = time.perf_counter()
    digest = hashlib.sha256()
    with open(model_dir / "model.bin", "rb") as f:
        while chunk := f.read(16 << 20):
            digest.update(chunk)
    checksum_s = time.perf_counter() - started

    print(
        f"recording {duration:.1f} s, {bare['channels']} channel(s), "
        f"{bare['speech']:.1f} s of speech after VAD (summed over channels)"
    )
    if abs(pipe["duration"] - duration) > 0.05:
        print(f"  note: the pipeline recorded a duration of {pipe['duration']:.1f} s")
    print()
    print(f"{'':10}{'wall s':>9}{'RTF':>9}{'CPU s':>9}{'peak RSS MB':>13}{'words':>8}")
    for name, r in (("bare", bare), ("pipeline", pipe)):
        print(
            f"{name:10}{r['wall']:9.2f}{duration / r['wall']:8.1f}x{r['cpu']:9.2f}"
            f"{r['rss_mb']:13.0f}{r['words']:8d}"
        )
    if repeat > 1:
        print(f"(minimum wall of {repeat} alternating runs; the other columns from that run)")
    cpu_ratio = pipe["cpu"] / bare["cpu"]
    print(f"CPU time pipeline/bare = {cpu_ratio:.2f} (not inflated by waiting for a busy CPU)")
    print()
    inside = bare["import"] + bare["load"] + bare["decode"] + bare["transcribe"]
    print(
        f"bare breakdown:     import {bare['import']:.2f} s, model load {bare['load']:.2f} s, "
        f"decode {bare['decode']:.2f} s, transcribe {bare['transcribe']:.2f} s, "
        f"rest (interpreter start/exit) {bare['wall'] - inside:.2f} s"
    )
    stages = ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in pipe["stages"].items())
    recorded = sum(pipe["stages"].values())
    print(
        f"pipeline stages:    {stages} (provenance.seconds); rest of the command "
        f"{pipe['wall'] - recorded:.2f} s (start-up, ingest, decode, model load and checksum, "
        f"writes)"
    )
    print(f"model.bin sha256:   {checksum_s:.2f} s here (each pipeline run does it once)")
    bare_outside = min(r["wall"] - r["transcribe"] for r in bare_runs)
    pipe_outside = min(r["wall"] - sum(r["stages"].values()) for r in pipe_runs)
    print(
        f"outside the stages{' (minimum over runs)' if repeat > 1 else ''}: "
        f"bare {bare_outside:.2f} s, pipeline {pipe_outside:.2f} s: "
        f"the pipeline's fixed overhead is {pipe_outside - bare_outside:+.2f} s per run"
    )
    others = recorded - pipe["stages"].get("transcribe", 0.0)
    if others:
        # Stages after transcription (de-identification, ...) are work bare does not do at all.
        print(
            f"without its other stages ({others:.2f} s), pipeline/bare would be "
            f"{(pipe['wall'] - others) / bare['wall']:.2f}"
        )
    if abs(bare["words"] - pipe["words"]) > 0.05 * max(bare["words"], 1):
        # A few words either way is normal: when a window fails Whisper's quality checks it is
        # decoded again at a higher temperature, which samples at random. More than 5% is not.
        print(
            f"WARNING: word counts differ by more than 5% ({bare['words']} bare, "
            f"{pipe['words']} pipeline): are the two really doing the same work?"
        )

    return {
        "audio": str(audio),
        "model": opts.model,
        "layout": "stereo" if stereo else "mono",
        "settings": bare_args,
        "duration": duration,
        "repeat": repeat,
        "bare": bare,
        "pipeline": pipe,
        "bare_walls": [r["wall"] for r in bare_runs],
        "pipeline_walls": [r["wall"] for r in pipe_runs],
        "model_checksum_seconds": checksum_s,
        "ratio": pipe["wall"] / bare["wall"],
        "cpu_ratio": cpu_ratio,
        "fixed_overhead_seconds": pipe_outside - bare_outside,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--audio", type=Path,
        help="recording to measure (default: the sample interviews end to end, see --minutes)",
    )
    parser.add_argument("--minutes", type=float, default=10,
                        help="length of the default recording (default 10)")
    parser.add_argument("--layouts", default="stereo,mono",
                        help="default recording as stereo (one party each), mono, or both "
                        "(default stereo,mono)")
    parser.add_argument("--models", default="base,tiny.en",
                        help="comma-separated: base, tiny.en or model dirs (default both)")
    parser.add_argument("--repeat", type=int, default=1, help="alternate runs; keep the minimum")
    parser.add_argument("--device", choices=["cpu", "cuda"],
                        help="run both on this device (default: the configuration's, cpu); "
                        "cuda computes in float16")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    a = parser.parse_args()
    if a.repeat < 1:
        parser.error("--repeat must be at least 1")
    layouts = ["file"] if a.audio else a.layouts.split(",")
    if set(layouts) - {"stereo", "mono", "file"}:
        parser.error("--layouts takes stereo, mono or both")

    scratch = Path(tempfile.mkdtemp(prefix="bench-audio-"))
    atexit.register(shutil.rmtree, scratch, True)
    results = []
    for layout in layouts:
        if a.audio:
            audio = a.audio.resolve()
            if not audio.is_file():
                parser.error(f"no such recording: {audio}")
        else:
            name = f"interview_{a.minutes:g}min_{layout}.wav"
            audio = build_audio(a.minutes, layout == "mono", scratch / name).resolve()
        for model in a.models.split(","):
            print(f"=== {model}, {audio.name} ===", flush=True)
            results.append(measure(audio, model, a.repeat, parser.error, a.device))
            print(flush=True)

    print("summary (wall seconds, real-time factor, peak RSS MB; ratio = pipeline/bare wall)")
    print(f"{'model':10}{'audio':9}{'length':>8}{'bare':>10}{'':8}{'':7}"
          f"{'pipeline':>10}{'':8}{'':7}{'ratio':>7}")
    for r in results:
        b, p, d = r["bare"], r["pipeline"], r["duration"]
        print(f"{r['model']:10}{r['layout']:9}{d:7.0f}s"
              f"{b['wall']:9.1f}s{d / b['wall']:7.1f}x{b['rss_mb']:7.0f}"
              f"{p['wall']:9.1f}s{d / p['wall']:7.1f}x{p['rss_mb']:7.0f}{r['ratio']:7.2f}")
    # Overall: total pipeline time over total bare time for the same work.
    ratio = sum(r["pipeline"]["wall"] for r in results) / sum(r["bare"]["wall"] for r in results)
    if a.json:
        a.json.write_text(json.dumps({"runs": results, "ratio": ratio}, indent=2) + "\n")
    print(f"pipeline/bare = {ratio:.2f}")


if __name__ == "__main__":
    main()
