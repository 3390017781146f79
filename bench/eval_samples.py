"""Accuracy of the real CLI on the sample telephone interviews in ../shared/samples.

For every sample recording (stereo and mono 8 kHz mu-law wav, mp3, m4a) it runs `interviews run`
in a fresh workspace, exports the identifiable transcript, and reports against the script that was
spoken (truth.json):

- word error rate of the merged transcript, and per speaker on stereo recordings;
- the same for bare faster-whisper (same model, `model.transcribe(audio)` with its defaults, each
  channel on its own for stereo), so the difference is what the pipeline costs or gains;
- speaker coverage: the share of true speech time covered by utterances of the right speaker and
  of no other (stereo; on mono, told apart by voice, with ``speaker_1``/``speaker_2`` read as the
  two parties in the better order);
- de-identification, on the analyst export: planted identifiers still recognisable (exactly, as
  ASR misspelt them, or their digits), of those the raw transcript contains; and terms analysis
  needs ("traps") present in the raw transcript but gone from the analyst text.

Usage: .venv/bin/python bench/eval_samples.py [--model tiny.en|base] [--set key=value ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml
from metrics import apply_setting, coverage, present, voice_coverage, wer

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "samples"
def bare(path: Path, model_dir: str, stereo: bool) -> list[str]:
    """Plain faster-whisper, default options: one text per channel."""
    from faster_whisper import WhisperModel, decode_audio

    model = WhisperModel(model_dir, device="cpu", compute_type="int8")
    channels = decode_audio(str(path), split_stereo=True) if stereo else [decode_audio(str(path))]
    return [
        " ".join(s.text for s in model.transcribe(c, language="en", beam_size=5)[0])
        for c in channels
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="base")
    parser.add_argument("--set", action="append", default=[], help="transcribe.KEY=VALUE")
    parser.add_argument("--no-bare", action="store_true")
    args = parser.parse_args()
    from pipeline import models

    model_dir = str(models.resolve(args.model))
    settings = {"transcribe": {"model": args.model}, "ingest": {"stable_seconds": 0}}
    for item in args.set:
        apply_setting(settings, item if item.startswith("transcribe.") else f"transcribe.{item}")
    rows = []
    for folder in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
        truth = json.loads((folder / "truth.json").read_text())
        for kind, name in truth["audio"]["files"].items():
            with tempfile.TemporaryDirectory() as tmp:
                ws = Path(tmp)
                subprocess.run([sys.executable, "-m", "pipeline", "init", str(ws)], check=True,
                               capture_output=True)
                (ws / "config" / "pipeline.yaml").write_text(yaml.safe_dump(settings))
                shutil.copy(folder / name, ws / "recordings" / name)
                subprocess.run([sys.executable, "-m", "pipeline", "-q", "-w", str(ws), "run"],
                               check=True)
                subprocess.run([sys.executable, "-m", "pipeline", "-q", "-w", str(ws), "export",
                                "--out", str(ws / "out"), "--identifiable"], check=True,
                               capture_output=True)
                subprocess.run([sys.executable, "-m", "pipeline", "-q", "-w", str(ws), "export",
                                "--out", str(ws / "analyst")], check=True, capture_output=True)
                (doc,) = [json.loads(p.read_text()) for p in (ws / "out").glob("*.json")]
                (deid,) = [json.loads(p.read_text()) for p in (ws / "analyst").glob("*.json")]
                path = ws / "recordings" / name
                stereo = kind == "stereo"
                bare_texts = [] if args.no_bare else bare(path, model_dir, stereo)
            utts = doc["utterances"]
            ref_all = " ".join(t["text"] for t in truth["turns"])
            row = {"file": name, "wer": wer(ref_all, " ".join(u["text"] for u in utts))}
            if bare_texts:
                row["bare_wer"] = wer(ref_all, " ".join(bare_texts))
            if stereo:
                row["coverage"] = coverage(utts, truth["turns"])
                for i, sp in enumerate(("interviewer", "respondent")):
                    ref = " ".join(t["text"] for t in truth["turns"] if t["speaker"] == sp)
                    row[f"wer_{sp}"] = wer(ref, " ".join(u["text"] for u in utts
                                                         if u["speaker"] == sp))
                    if bare_texts:
                        row[f"bare_wer_{sp}"] = wer(ref, bare_texts[i])
            else:
                row["voice_coverage"] = voice_coverage(utts, truth["turns"])
            raw_text = " ".join(u["text"] for u in utts)
            deid_text = " ".join(u["text"] for u in deid["utterances"])
            pii = [p for t in truth["turns"] for p in t["pii"]]
            heard = [p for p in pii if present(p["text"], raw_text, p["type"])]
            traps = [t["text"] for turn in truth["turns"] for t in turn["traps"]
                     if present(t["text"], raw_text)]
            ordinary = [t.lower() for t in traps]
            left = [p["text"] for p in heard
                    if present(p["text"], deid_text, p["type"], ordinary.count(p["text"].lower()))]
            lost = [t for t in traps if not present(t, deid_text)]
            row.update(pii_planted=len(pii), pii_heard=len(heard), pii_left=len(left),
                       left=left, traps_heard=len(traps), traps_lost=len(lost), lost=lost)
            rows.append(row)
            print(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                              for k, v in row.items()}), flush=True)
    mean = np.mean([r["wer"] for r in rows])
    line = f"model {args.model}: mean WER {mean:.4f}"
    if not args.no_bare:
        line += f", bare {np.mean([r['bare_wer'] for r in rows]):.4f}"
    covs = [r["coverage"] for r in rows if "coverage" in r]
    voices = [r["voice_coverage"] for r in rows if "voice_coverage" in r]
    print(line + (f", stereo coverage {min(covs):.4f} (min)" if covs else "")
          + (f", mono voice coverage {min(voices):.4f} (min)" if voices else ""))
    heard, left = sum(r["pii_heard"] for r in rows), sum(r["pii_left"] for r in rows)
    traps, lost = sum(r["traps_heard"] for r in rows), sum(r["traps_lost"] for r in rows)
    print(f"de-identification: {left}/{heard} recognisable planted identifiers left "
          f"({sum(r['pii_planted'] for r in rows)} planted); {lost}/{traps} kept terms lost")


if __name__ == "__main__":
    main()
