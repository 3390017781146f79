"""Which speech region a word timed across a join belongs to: the measurement behind
``transcribe.vad.word_chunk``.

Whisper hears each channel's speech regions (Silero VAD) joined end to end, and a word at a join
can be timed across it; it must then be put back in one of the two regions. Real speech from
../shared/audio is cut at its own pauses and 1 s of silence is put into each cut, as a stereo
channel has while the other party speaks. It is transcribed with the pipeline's stereo settings,
and every word timed across a join where two pieces meet is checked against the pieces
transcribed alone: it belongs to the earlier piece if it is that piece's last word, to the later
if it is the later piece's first word (neither or both: not counted). Printed: how many belong to
each side, and how many each rule ("middle": faster-whisper's, "end") puts on the wrong side.

Usage: .venv/bin/python bench/eval_joins.py [--model base|tiny.en] [--seconds 120]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from faster_whisper.vad import (  # noqa: E402
    SpeechTimestampsMap,
    VadOptions,
    collect_chunks,
    get_speech_timestamps,
)

from pipeline import audio, config, models  # noqa: E402
from pipeline.transcribe import vad_options  # noqa: E402

RATE = audio.SAMPLE_RATE
SPEECH = ["physicsworks.wav", "jfk.flac"]


def normal(word: str) -> str:
    return re.sub(r"[^a-z0-9']", "", word.lower())


def pieces_of(samples: np.ndarray) -> list[np.ndarray]:
    """The recording cut in the middle of every pause of 300 ms or more."""
    regions = get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=300,
                                                        speech_pad_ms=0))
    cuts = [(a["end"] + b["start"]) // 2 for a, b in pairwise(regions)]
    return np.split(samples, cuts)


def measure(model_name: str, samples: np.ndarray, gap: float = 1.0) -> Counter:
    opts = config.load(overrides={"transcribe": {"model": model_name}}).transcribe
    model = models.load(model_name, "cpu", "auto", 2)
    pieces = pieces_of(samples)
    alone = []
    for piece in pieces:
        segments, _ = model.transcribe(piece, language="en", beam_size=opts.beam_size,
                                       vad_filter=False, condition_on_previous_text=False)
        alone.append([w for s in segments for w in map(normal, s.text.split()) if w])
    silence = np.zeros(int(gap * RATE), dtype=samples.dtype)
    joined = np.concatenate([p for piece in pieces for p in (piece, silence)][:-1])
    starts = np.cumsum([0.0] + [len(p) / RATE + gap for p in pieces[:-1]])
    regions = get_speech_timestamps(joined, vad_options(opts, stereo=True))
    timeline = SpeechTimestampsMap(regions, RATE)
    speech = collect_chunks(joined, regions)[0][0]
    # a fresh model: Whisper's sampling fallback must not depend on the pieces decoded above
    segments, _ = models.load(model_name, "cpu", "auto", 2).transcribe(
        speech, language="en", beam_size=opts.beam_size, word_timestamps=True, vad_filter=False)
    joins = [end / RATE for end in timeline.chunk_end_sample[:-1]]
    counts: Counter = Counter()
    for word in (w for s in segments for w in s.words):
        for k, join in enumerate(joins):
            if not word.start < join < word.end:
                continue
            before = int(np.searchsorted(starts, timeline.get_original_time(join, k),
                                         side="right")) - 1
            after = int(np.searchsorted(starts, timeline.get_original_time(join, k + 1),
                                        side="right")) - 1
            if before == after:
                continue  # a join inside one piece (a pause the cut did not use)
            last = alone[before][-1:] == [normal(word.word)]
            first = alone[after][:1] == [normal(word.word)]
            if last == first:
                counts["side unknown"] += 1
                continue
            counts["later" if first else "earlier"] += 1
            for rule, point in (("middle", (word.start + word.end) / 2), ("end", word.end - 0.02)):
                if (point >= join) != first:
                    counts[f"wrong by {rule}"] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="base", help="transcribe.model (base, tiny.en, ...)")
    parser.add_argument("--seconds", type=float, default=120.0,
                        help="use this much of each recording")
    args = parser.parse_args()
    total: Counter = Counter()
    for name in SPEECH:
        path = ROOT.parent / "shared" / "audio" / name
        if not path.exists():
            sys.exit(f"{path} is needed (../shared/audio)")
        samples = audio.decode(path).channels[0][: int(args.seconds * RATE)]
        counts = measure(args.model, samples)
        total += counts
        print(f"{name:18} {dict(sorted(counts.items()))}", flush=True)
    known = total["earlier"] + total["later"]
    print(f"{args.model}: {known} words across a join whose side is known, {total['later']} belong "
          f"to the later region; wrong by the middle {total['wrong by middle']}, by the end "
          f"{total['wrong by end']}")


if __name__ == "__main__":
    main()
