"""Which decoding settings are fastest at the same accuracy?  (evidence for the defaults)

For each sample telephone interview in ``../shared/samples`` (stereo and mono 8 kHz wav) and each
variant below, transcribe with the pipeline's own VAD (per channel for stereo) and report CPU
seconds (user + system, all threads of this process: not inflated by waiting for a busy core),
wall seconds, and word error rate against the script that was spoken. One model instance per
model; Whisper's fallback sampling is seeded as in the pipeline.

Variants:

- ``beam5``: the pipeline's default decoding (``model.transcribe``, beam 5, temperature fallback);
- ``beam1``: greedy decoding, otherwise the same;
- ``batchedN``: faster-whisper's ``BatchedInferencePipeline`` (speech packed into windows of up
  to 30 s, N windows decoded at once, beam 5 or ``batchedNbB`` beam B, no temperature fallback),
  with the same VAD settings.

    .venv/bin/python bench/tune_transcribe.py [--model base] [--variants beam5,beam1,batched8]
                                             [--threads N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import ctranslate2
import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel, decode_audio
from faster_whisper.vad import get_speech_timestamps
from metrics import wer

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "samples"
sys.path.insert(0, str(ROOT))
from pipeline import config as config_mod  # noqa: E402
from pipeline import models  # noqa: E402
from pipeline import transcribe as transcribe_mod  # noqa: E402


def words_sequential(model, samples, opts, vad, beam_size):
    groups, _, _ = transcribe_mod.transcribe_channel(
        model, samples, opts.model_copy(update={"beam_size": beam_size}), vad
    )
    return [w for g in groups for w in g]


def words_batched(model, samples, opts, vad, batch_size, beam_size):
    ctranslate2.set_random_seed(transcribe_mod.SEED)
    if not get_speech_timestamps(samples, vad):
        return []
    pipe = BatchedInferencePipeline(model)
    segments, _ = pipe.transcribe(
        samples, language=opts.language, beam_size=beam_size, word_timestamps=True,
        batch_size=batch_size, vad_filter=True,
        vad_parameters={"min_silence_duration_ms": vad.min_silence_duration_ms,
                        "speech_pad_ms": vad.speech_pad_ms},
    )
    return [transcribe_mod.Word(w.start, w.end, w.word, w.probability)
            for s in segments for w in (s.words or [])]


def run_variant(name, model, samples, opts, vad):
    if name.startswith("beam"):
        return words_sequential(model, samples, opts, vad, int(name[4:]))
    if name.startswith("batched"):
        size, _, beam = name[7:].partition("b")
        return words_batched(model, samples, opts, vad, int(size), int(beam or 5))
    raise SystemExit(f"unknown variant {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="base")
    parser.add_argument("--variants", default="beam5,beam1,batched8")
    parser.add_argument("--threads", type=int, default=0, help="cpu_threads (0: every core)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--kinds", default="stereo,mono")
    a = parser.parse_args()
    cfg = config_mod.load(None, {"transcribe": {"model": a.model}})
    opts = cfg.transcribe
    threads = a.threads or cfg.cpu_threads(1)
    model = WhisperModel(str(models.resolve(a.model)), device="cpu", compute_type="int8",
                         cpu_threads=threads)
    print(f"model {a.model}, int8, cpu_threads={threads}", flush=True)
    totals: dict[str, dict[str, float]] = {}
    for folder in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
        truth = json.loads((folder / "truth.json").read_text())
        for kind in a.kinds.split(","):
            stereo = kind == "stereo"
            path = folder / truth["audio"]["files"][kind]
            channels = (list(decode_audio(str(path), split_stereo=True)) if stereo
                        else [decode_audio(str(path))])
            vad = transcribe_mod.vad_options(opts, stereo)
            speakers = ("interviewer", "respondent") if stereo else (None,)
            refs = [" ".join(t["text"] for t in truth["turns"] if sp in (None, t["speaker"]))
                    for sp in speakers]
            for name in a.variants.split(","):
                best = None
                for _ in range(a.repeat):
                    cpu0, wall0 = time.process_time(), time.perf_counter()
                    hyps = [run_variant(name, model, ch, opts, vad) for ch in channels]
                    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                    if best is None or cpu < best[0]:
                        best = (cpu, wall, hyps)
                cpu, wall, hyps = best
                merged = sorted((w for h in hyps for w in h), key=lambda w: w.start)
                errors = [wer(r, "".join(w.text for w in h)) for r, h in zip(refs, hyps,
                                                                            strict=True)]
                all_wer = wer(" ".join(t["text"] for t in truth["turns"]),
                              "".join(w.text for w in merged))
                t = totals.setdefault(name, {"cpu": 0.0, "wall": 0.0, "wer": [], "n": 0})
                t["cpu"] += cpu
                t["wall"] += wall
                t["wer"].append(all_wer)
                print(f"{path.name:16} {name:10} cpu {cpu:7.2f} s  wall {wall:7.2f} s  "
                      f"WER {all_wer:.3f}  per channel {' '.join(f'{e:.3f}' for e in errors)}",
                      flush=True)
    base = totals.get("beam5")
    print()
    for name, t in totals.items():
        line = (f"{name:10} cpu {t['cpu']:7.2f} s  wall {t['wall']:7.2f} s  "
                f"mean WER {np.mean(t['wer']):.4f}")
        if base:
            line += (f"  cpu vs beam5 {t['cpu'] / base['cpu']:.2f}  "
                     f"WER vs beam5 {100 * (np.mean(t['wer']) - np.mean(base['wer'])):+.2f} pts")
        print(line)


if __name__ == "__main__":
    main()
