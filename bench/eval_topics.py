"""Held-out evaluation of topic segmentation, from audio through the real CLI.

Issue 4's target: on held-out interviews processed from audio by the real CLI, at least 90% of
respondent speech time gets the right topic on stereo recordings and at least 85% on mono, and
segmentation costs under 5% of transcription time.

The interviews are fictional scripts (every turn labelled with its speaker and topic):
bench/heldout27/ (H105-H108) by default, the held-out set, not yet scored (written by an author who
had read neither the segmenter nor the guide); ``--set heldout26`` (H101-H104), ``heldout25``
(H97-H100), ``heldout24`` (H93-H96), ``heldout23`` (H89-H92), ``heldout22`` (H85-H88), ``heldout21``
(H81-H84), ``heldout20`` (H77-H80), ``heldout19`` (H73-H76), ``heldout18`` (H69-H72), ``heldout17``
(H65-H68), ``heldout16`` (H61-H64), ``heldout15`` (H57-H60), ``heldout14`` (H53-H56), ``heldout13``
(H49-H52), ``heldout12`` (H45-H48), ``heldout11`` (H41-H44), ``heldout10`` (H37-H40), ``heldout9``
(H33-H36), ``heldout8`` (H29-H32), ``heldout7`` (H25-H28), ``heldout6`` (H21-H24), ``heldout5``
(H17-H20), ``heldout4`` (H13-H16), ``heldout3`` (H09-H12) or ``heldout2`` (H05-H08), each held out
until their errors were looked at, or ``--set heldout`` (H01-H04, the first development set). Each
is synthesized (tools/make_samples.py) into an 8 kHz mu-law telephone wav, stereo (interviewer left,
respondent right) and mono (both mixed). All recordings go into one fresh workspace, as a study's
would, and are processed by `interviews run`; topics are read from the analyst export (`interviews
export --format json`, without --identifiable) and timings from the `provenance` table of store.db.

Accuracy is time-weighted on a 10 ms grid over respondent speech: the stretches of each
respondent turn where the synthesized clip has sound (pauses between its sentences left out; see
``voiced``). A grid point scores the share of the utterances overlapping it that carry the turn's
topic, and a point no utterance covers (speech the transcript missed) scores 0. "covered" is the
share of respondent speech time under some utterance; "of covered" is the accuracy on that time;
"turns" is the accuracy over whole turns instead, pauses included (the first version of this
script's measure: utterances end at the last word of a sentence, so every pause between two
sentences counts as missed there).

To tell segmentation errors from recognition errors, two more columns: "script", the same score
with the segmenter run directly on the spoken script (one utterance per turn with its speaker for
stereo; one per sentence, speaker unknown, for mono, like ASR segments), and "WER" of the analyst
transcript against the script (de-identification tags count as errors, so it is a little high).
And, per layout, what ``interviews topic review`` puts first: the share of respondent speech, and
of the respondent speech given a wrong topic, in the least confident fifth of the automatic
segments.

Each script speaks with its own two espeak-ng voices, which recognition finds hard (WER 24-50%
with base); ``--sample-voices`` uses the voice ../shared/samples were made with instead (Festival's
cmu_us_slt_arctic_hts, the respondent's pitched down), as interviews "of the same kind".

Usage: .venv/bin/python bench/eval_topics.py [--set heldout27|heldout26|...|heldout]
                                             [--sample-voices]
                                             [--model base|tiny.en] [--keep DIR] [--json FILE]
                                             [--only H05 ...] [--rescore DIR]
                                             [--setting transcribe.vad.word_chunk=middle ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import yaml
from metrics import apply_setting, script_utterances, voice_coverage, wer

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = Path(__file__).resolve().parent / "heldout"
sys.path.insert(0, str(ROOT / "tools"))
import make_samples as ms  # noqa: E402  (tools/ is not a package)

sys.path.insert(0, str(ROOT))
from pipeline import api, segment  # noqa: E402
from pipeline.transcribe import MONO_SPEAKERS  # noqa: E402
from pipeline.workspace import Workspace  # noqa: E402

RATE = 8000
GRID = 0.01  # seconds
TARGET = {"stereo": 0.90, "mono": 0.85}


# The voices of ../shared/samples (truth.json: festival:cmu_us_slt_arctic_hts at about 190 words a
# minute, the respondent's 250 cents lower).
SAMPLE_VOICES = {
    "interviewer": {"voice": "festival:cmu_us_slt_arctic_hts", "stretch": 1.0},
    "respondent": {"voice": "festival:cmu_us_slt_arctic_hts", "stretch": 1.0, "pitch_cents": -250},
}


def render(script: dict, out_dir: Path, rng: np.random.Generator,
           sample_voices: bool = False) -> list[dict]:
    """Synthesize a script to <id>_stereo.wav and <id>_mono.wav; return the timed turns.
    ``sample_voices``: the voice ../shared/samples were made with (:data:`SAMPLE_VOICES`) instead
    of the script's own."""
    voices = SAMPLE_VOICES if sample_voices else script.get("voices", {})
    for speaker, voice in voices.items():
        ms.VOICES[speaker] = voice  # synthesize() reads the voice from this table
    # Pauses between turns vary as in conversation; back-channels come quicker.
    lines = [(t["speaker"], t["text"],
              0.0 if i == 0 else float(rng.uniform(0.25, 0.45) if len(t["text"]) < 20
                                       else rng.uniform(0.4, 0.9)))
             for i, t in enumerate(script["turns"])]
    with tempfile.TemporaryDirectory() as tmp:
        clips, timed, total = ms.layout_turns(lines, Path(tmp))
    for turn, (offset, _, clip) in zip(timed, clips, strict=True):
        turn["voiced"] = voiced(clip, offset / ms.TTS_RATE)
    tracks = np.zeros((2, total), dtype=np.float32)
    for off, speaker, clip in clips:
        tracks[0 if speaker == "interviewer" else 1, off:off + len(clip)] += clip
    band = [ms.bandlimit_resample(tracks[c], ms.TTS_RATE, RATE, 300.0, 3400.0) for c in (0, 1)]

    def line_noise():
        n = ms.noise(rng, total, ms.NOISE_DBFS + 3.0)  # +3 dB: the band filter halves the power
        return ms.bandlimit_resample(n, ms.TTS_RATE, RATE, 300.0, 3400.0)

    stereo = np.stack([band[0] + line_noise(), band[1] + line_noise()], axis=1)
    mono = (band[0] + band[1] + line_noise())[:, None]
    ms.write_audio(out_dir / f"{script['id']}_stereo.wav", ms.to_s16(stereo), RATE, "stereo",
                   "pcm_mulaw", "wav")
    ms.write_audio(out_dir / f"{script['id']}_mono.wav", ms.to_s16(mono), RATE, "mono",
                   "pcm_mulaw", "wav")
    return [dict(t, topic=s["topic"]) for t, s in zip(timed, script["turns"], strict=True)]


def voiced(clip: np.ndarray, at: float, floor_db: float = -35.0, bridge: float = 0.2) -> list:
    """The stretches of a turn's clip where there is speech, in seconds from the recording's
    start: 10 ms frames within ``floor_db`` of the clip's loudest, gaps under ``bridge`` seconds
    (stop consonants) closed. The pauses between a turn's sentences are not speech."""
    hop = int(ms.TTS_RATE * GRID)
    frames = clip[: len(clip) // hop * hop].reshape(-1, hop)
    rms = np.sqrt(np.mean(frames ** 2, axis=1))
    on = rms > rms.max() * 10 ** (floor_db / 20)
    spans, start, gap = [], None, 0
    for i, v in enumerate(on):
        if v:
            if start is None:
                start = i
            gap, end = 0, i + 1
        elif start is not None:
            gap += 1
            if gap * GRID >= bridge:
                spans.append([at + start * GRID, at + end * GRID])
                start, gap = None, 0
    if start is not None:
        spans.append([at + start * GRID, at + end * GRID])
    return spans


def score(turns: list[dict], utts: list[dict], spans: str = "voiced") -> dict:
    """Time-weighted topic accuracy over respondent speech, and the confusions (seconds).

    ``spans``: "voiced" counts the turns' speech only (see :func:`voiced`), "turn" the whole of
    each turn from its first sound to its last, pauses between sentences included."""
    n = int(max(max(t["end"] for t in turns), max((u["end"] for u in utts), default=0)) / GRID) + 2
    count = np.zeros(n)  # per grid point: utterances of any topic
    by_topic: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(n))
    for u in utts:
        a, b = int(round(u["start"] / GRID)), int(round(u["end"] / GRID))
        count[a:b] += 1
        by_topic[u["topic"]][a:b] += 1
    total = right = covered = 0.0
    confusions: dict[tuple[str, str], float] = defaultdict(float)
    for t in turns:
        if t["speaker"] != "respondent":
            continue
        parts = t["voiced"] if spans == "voiced" and "voiced" in t else [[t["start"], t["end"]]]
        for start, end in parts:
            a, b = int(round(start / GRID)), int(round(end / GRID))
            c = count[a:b]
            share = np.divide(by_topic[t["topic"]][a:b], c, out=np.zeros(b - a), where=c > 0)
            total += (b - a) * GRID
            right += share.sum() * GRID
            covered += (c > 0).sum() * GRID
            confusions[(t["topic"], "(no utterance)")] += (c == 0).sum() * GRID
            for topic, arr in by_topic.items():
                if topic != t["topic"]:
                    w = np.divide(arr[a:b], c, out=np.zeros(b - a), where=c > 0).sum() * GRID
                    if w:
                        confusions[(t["topic"], topic)] += w
    return {"speech_s": total, "right_s": right, "covered_s": covered,
            "accuracy": right / total, "covered": covered / total,
            "of_covered": right / covered if covered else 0.0,
            "confusions": {f"{k[0]} -> {k[1]}": round(v, 2)
                           for k, v in sorted(confusions.items(), key=lambda kv: -kv[1]) if v}}


def wrong_examples(turns: list[dict], utts: list[dict]) -> list[dict]:
    """Utterances whose topic differs from that of the turn they mostly overlap."""
    out = []
    for u in utts:
        best, overlap = None, 0.0
        for t in turns:
            o = min(t["end"], u["end"]) - max(t["start"], u["start"])
            if o > overlap:
                best, overlap = t, o
        if best and best["topic"] != u["topic"]:
            out.append({"start": u["start"], "turn": best["index"], "speaker": best["speaker"],
                        "true": best["topic"], "got": u["topic"],
                        "text": u["text"]})
    return out


def review_share(items, turns_of: dict, fraction: float = 0.2) -> tuple[float, float]:
    """For ``interviews topic review``: the share of respondent speech, and of respondent speech
    on a wrong topic, in the least confident ``fraction`` of the automatic segments (``items``,
    least confident first; ``turns_of``: interview id -> its scripted turns)."""
    speech, wrong = [], []
    for item in items:
        s = w = 0.0
        for t in turns_of[item.interview_id]:
            if t["speaker"] != "respondent":
                continue
            for a, b in t.get("voiced", [[t["start"], t["end"]]]):
                o = max(0.0, min(b, item.end) - max(a, item.start))
                s += o
                w += o if t["topic"] != item.topic else 0.0
        speech.append(s)
        wrong.append(w)
    k = round(len(items) * fraction)
    return (sum(speech[:k]) / (sum(speech) or 1.0), sum(wrong[:k]) / (sum(wrong) or 1.0))


def script_score(segmenter, turns: list[dict], layout: str) -> float:
    tuples = script_utterances(turns, layout)
    topics = segmenter.segment(tuples).topics
    utts = [{"start": a, "end": b, "topic": p} for (_, a, b, _), p in zip(tuples, topics,
                                                                         strict=True)]
    return score(turns, utts)["accuracy"]


def cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pipeline", *args], check=True, cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="base", help="transcribe.model (base, tiny.en, ...)")
    parser.add_argument("--keep", type=Path, help="use this folder as the workspace and keep it")
    parser.add_argument("--json", type=Path, help="also write the full results here")
    parser.add_argument("--seed", type=int, default=4, help="seed for pauses and line noise")
    parser.add_argument("--only", action="append",
                        help="evaluate only this script id (repeatable; same audio as a full run)")
    parser.add_argument("--rescore", type=Path, metavar="DIR",
                        help="score a workspace kept by an earlier run (same set, voices and seed) "
                        "again: 'interviews run' re-derives what changed since (a new segmenter, "
                        "say; nothing is transcribed again) and the analyst export is redone")
    sets = sorted((p.name for p in HELDOUT.parent.glob("heldout*") if p.is_dir()),
                  key=lambda name: int(name[7:] or 1))
    parser.add_argument("--set", default="heldout27", choices=sets,
                        help="heldout27 (H105-H108), the held-out set, not yet scored, by "
                        "default; heldout26 (H101-H104) to heldout2 (H05-H08), each held out until "
                        "their errors were looked at; or heldout (H01-H04, the first development "
                        "set)")
    parser.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                        help="a pipeline setting for the workspace, dotted key and YAML value "
                        "(repeatable), e.g. transcribe.vad.word_chunk=middle")
    parser.add_argument("--sample-voices", action="store_true",
                        help="speak every script with the voice ../shared/samples were made with "
                        "(Festival's cmu_us_slt_arctic_hts; needs festival and festvox-us-slt-hts) "
                        "instead of each script's own espeak-ng voices")
    args = parser.parse_args()
    if args.sample_voices and shutil.which("text2wave") is None:
        sys.exit("text2wave not found: apt-get update && apt-get install -y festival "
                 "festvox-us-slt-hts")
    if not args.sample_voices and shutil.which("espeak-ng") is None:
        sys.exit("espeak-ng not found: apt-get update && apt-get install -y espeak-ng")
    folder = HELDOUT.parent / args.set
    scripts = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    if not scripts or (args.only and not any(s["id"] in args.only for s in scripts)):
        sys.exit(f"no interview scripts in {folder}" + (f" among {args.only}" if args.only else ""))

    tmp = tempfile.TemporaryDirectory()
    ws = args.rescore or args.keep or Path(tmp.name) / "ws"
    if args.rescore:
        if not (ws / "store.db").is_file():
            sys.exit(f"{ws} is not a workspace: run without --rescore first (with --keep)")
    elif ws.exists() and any(ws.iterdir()):
        sys.exit(f"{ws} is not empty: give --keep a new folder")
    else:
        cli("init", str(ws))
        settings = {"transcribe": {"model": args.model}, "ingest": {"stable_seconds": 0}}
        for setting in args.setting:
            apply_setting(settings, setting)
        (ws / "config" / "pipeline.yaml").write_text(yaml.safe_dump(settings))
    rng = np.random.default_rng(args.seed)
    truth = {}
    audio_dir = Path(tmp.name) if args.rescore else ws / "recordings"
    for s in scripts:
        if args.only and s["id"] not in args.only:
            # rendered all the same, so that the pauses and line noise drawn for the others are
            # those of a full run: --only H75 scores the audio the whole set's run scored
            render(s, Path(tmp.name), rng, args.sample_voices)
            continue
        turns = render(s, audio_dir, rng, args.sample_voices)
        for layout in ("stereo", "mono"):
            truth[f"{s['id']}_{layout}.wav"] = (s["id"], layout, turns)
            if not args.rescore:
                (ws / "recordings" / f"{s['id']}_{layout}.json").write_text(
                    json.dumps(dict(s["metadata"], respondent_id=f"{s['id']}-{layout}")))
    if not args.rescore:
        audio_s = sum(t[2][-1]["end"] for t in truth.values())
        print(f"{len(truth)} recordings, {audio_s / 60:.1f} audio min; running the pipeline "
              f"(transcribe.model={args.model})...", flush=True)
    cli("-q", "-w", str(ws), "run")
    shutil.rmtree(ws / "analyst", ignore_errors=True)
    cli("-q", "-w", str(ws), "export", "--format", "json", "--out", str(ws / "analyst"))

    db = sqlite3.connect(ws / "store.db")
    seconds = defaultdict(dict)
    for iid, stage, sec in db.execute("select interview_id, stage, seconds from provenance"):
        seconds[iid][stage] = sec  # rows in id order: a stage re-run by --rescore counts last
    segmenter = segment.Segmenter(segment.Guide.load(Workspace(ws).guide_path))
    rows = []
    turns_of = {}
    for path in sorted((ws / "analyst").glob("*.json")):
        doc = json.loads(path.read_text())
        sid, layout, turns = truth[doc["source_file"]]
        turns_of[doc["interview_id"]] = (layout, turns)
        utts = doc["utterances"]
        if any(u.get("topic") is None for u in utts):
            sys.exit(f"{doc['source_file']}: utterances without a topic; did segmentation run?")
        row = {"interview": sid, "layout": layout, "utterances": len(utts),
               "transcribe_s": seconds[doc["interview_id"]].get("transcribe"),
               "segment_s": seconds[doc["interview_id"]].get("segment"),
               "wer": wer(" ".join(t["text"] for t in turns), " ".join(u["text"] for u in utts)),
               "script": script_score(segmenter, turns, layout),
               "turn_span": score(turns, utts, spans="turn")["accuracy"],
               "voices": voice_coverage(utts, turns)
               if any(u["speaker"] in MONO_SPEAKERS for u in utts) else None,
               **score(turns, utts), "wrong": wrong_examples(turns, utts)}
        rows.append(row)
    if len(rows) != len(truth):
        sys.exit(f"only {len(rows)} of {len(truth)} recordings were exported; "
                 f"see `interviews -w {ws} status`")

    print(f"\n{'interview':10} {'layout':7} {'resp s':>7} {'accuracy':>8} {'covered':>8} "
          f"{'of cov.':>8} {'turns':>7} {'script':>7} {'WER':>6} {'transcr s':>9} {'segment s':>9}")
    for r in sorted(rows, key=lambda r: (r["layout"] != "stereo", r["interview"])):
        print(f"{r['interview']:10} {r['layout']:7} {r['speech_s']:7.1f} {r['accuracy']:8.1%} "
              f"{r['covered']:8.1%} {r['of_covered']:8.1%} {r['turn_span']:7.1%} "
              f"{r['script']:7.1%} {r['wer']:6.1%} "
              f"{r['transcribe_s']:9.1f} "
              f"{r['segment_s']:9.2f}")
    print()
    for layout in ("stereo", "mono"):
        sel = [r for r in rows if r["layout"] == layout]
        acc = sum(r["right_s"] for r in sel) / sum(r["speech_s"] for r in sel)
        worst = min(sel, key=lambda r: r["accuracy"])
        cov = sum(r["covered_s"] for r in sel) / sum(r["speech_s"] for r in sel)
        verdict = "meets" if acc >= TARGET[layout] else "BELOW"
        oracle = (sum(r["script"] * r["speech_s"] for r in sel)
                  / sum(r["speech_s"] for r in sel))
        print(f"{layout:6}: {acc:.1%} of respondent speech time on the right topic "
              f"(target {TARGET[layout]:.0%}: {verdict}); lowest {worst['interview']} "
              f"{worst['accuracy']:.1%}; covered {cov:.1%}; on the script itself {oracle:.1%}")
    mono = [r for r in rows if r["layout"] == "mono" and r["voices"] is not None]
    if mono:
        print(f"mono  : voices told apart: {min(r['voices'] for r in mono):.1%} to "
              f"{max(r['voices'] for r in mono):.1%} of each interview's speech time under the "
              "right voice (speaker_1/speaker_2 read as the parties in the better order)")
    review = api.topic_review(ws)
    for layout in ("stereo", "mono"):
        items = [i for i in review if turns_of[i.interview_id][0] == layout]
        speech, wrong = review_share(items, {k: v[1] for k, v in turns_of.items()})
        print(f"{layout:6}: 'interviews topic review': its least confident fifth of the "
              f"{len(items)} segments holds {speech:.0%} of respondent speech and {wrong:.0%} of "
              "that on a wrong topic")
    tr, sg = sum(r["transcribe_s"] for r in rows), sum(r["segment_s"] for r in rows)
    print(f"segmentation {sg:.1f} s vs transcription {tr:.1f} s: {sg / tr:.1%} "
          f"(target under 5%; the first interview's segment time includes loading the model)")
    confusions = defaultdict(float)
    for r in rows:
        for k, v in r["confusions"].items():
            confusions[(r["layout"], k)] += v
    print("\nconfusions (seconds of respondent speech, true -> given):")
    for (layout, k), v in sorted(confusions.items(), key=lambda kv: -kv[1]):
        print(f"  {layout:6} {k:30} {v:6.1f}")
    print("\nutterances given the wrong topic (I/R: the turn they fall in; respondent ones count):")
    for r in rows:
        for w in r["wrong"]:
            print(f"  {r['interview']} {r['layout']:6} {w['start']:6.1f}s {w['speaker'][0].upper()}"
                  f"{w['turn']:<3} {w['true']:>11} -> {w['got']:11} {w['text'][:100]}")
    if args.json:
        args.json.write_text(json.dumps({"model": args.model, "rows": rows}, indent=2) + "\n")
    tmp.cleanup()


if __name__ == "__main__":
    main()
