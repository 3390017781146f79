#!/usr/bin/env python3
"""Generate the synthetic sample interview recordings shipped in ``recordings/``.

Everything these recordings contain is fictional. The interviews are made up,
the voices are synthetic (espeak-ng), and the names, hospitals and towns the
"respondents" mention (Margaret, St Helier, Sutton, Peter, Kingston, Croydon)
are there only so that the de-identification stage has something to remove.

Requirements
------------
* The ``espeak-ng`` command-line program must be on PATH. On Debian/Ubuntu
  install it with:  ``apt-get update && apt-get install -y espeak-ng``
* Python 3.11+ with ``numpy`` and PyAV (``av``). Both come with the
  project's dependencies (faster-whisper pulls in av), so the project
  virtualenv is enough.

Usage
-----
From the repository root::

    python3 tools/make_samples.py                # writes recordings/ + tools/sample_truth/
    python3 tools/make_samples.py --root /tmp/x  # write under another root instead

Outputs (paths relative to --root, default: the repository root):

* ``recordings/sample_interview_01.wav``: stereo, 8 kHz, 8-bit mu-law WAV.
  Telephone band (300-3400 Hz). Interviewer on the LEFT channel, respondent
  on the RIGHT. Each channel carries only light noise (about -45 dBFS) while
  the other party speaks.
* ``recordings/sample_interview_01.json``: respondent attributes (sidecar).
* ``recordings/sample_interview_02.mp3``: mono, 16 kHz, 32 kbit/s MP3 (a
  call recorded as one mixed channel over a wideband "HD voice" line, about
  100-7000 Hz). Both voices share the one channel, with light noise.
* ``recordings/sample_interview_02.json``: respondent attributes (sidecar).
* ``tools/sample_truth/sample_interview_0{1,2}.json``: ground truth: the
  turns in order with speaker, text, start/end seconds (and, for 01, the
  channel).

The output is deterministic for a given espeak-ng version. The noise uses a
fixed seed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import av
import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------
# Voices
# --------------------------------------------------------------------------
# espeak-ng voice spec, speed (words per minute), pitch (0-99), word gap (10 ms units)
VOICES = {
    "interviewer": {"voice": "en-us+m3", "speed": 150, "pitch": 75, "gap": 1},
    "respondent": {"voice": "en-us+f5", "speed": 145, "pitch": 60, "gap": 1},
}

TTS_RATE = 22050  # espeak-ng native output rate
SPEECH_RMS_DBFS = -20.0
NOISE_DBFS = -45.0
LEAD_IN_S = 0.6
TAIL_S = 0.8

# --------------------------------------------------------------------------
# Scripts (fictional)
# --------------------------------------------------------------------------
# (speaker, text, gap in seconds *before* this turn)
SCRIPT_01 = [
    ("interviewer", "Hello, and thank you for taking part today. Are you happy for me to record this call?", 0.0),
    ("respondent", "Yes, that's fine. My name is Margaret, and I have been on dialysis at St Helier Hospital for three years.", 0.5),
    ("interviewer", "What made you want to use the peer support service?", 0.5),
    ("respondent", "Before my fistula operation I was really scared, and I wanted to talk to someone who had been through it.", 0.55),
    ("interviewer", "How did the support work, and where did it happen?", 0.45),
    ("respondent", "Mostly by telephone. Once we met at the clinic in Sutton, and we talked about the transplant list.", 0.5),
    ("interviewer", "What did you think of your supporter, and did it make a difference?", 0.5),
    ("respondent", "She was kind and very patient, and she had a transplant herself. I felt much less alone.", 0.5),
    ("interviewer", "That's really helpful. Thank you very much for your time today.", 0.5),
]

SCRIPT_02 = [
    ("interviewer", "Thanks for speaking with me. Is it okay if I record our conversation?", 0.0),
    ("respondent", "Of course. I'm Peter, and I look after my wife, who has dialysis at Kingston Hospital.", 0.5),
    ("interviewer", "Why did you contact the peer support service?", 0.5),
    ("respondent", "After her transplant failed, we were both exhausted, and I needed advice from another carer.", 0.5),
    ("interviewer", "And what impact did the support have on you?", 0.5),
    ("respondent", "A big one. My supporter lives in Croydon, and he helped us plan for home dialysis. I would recommend it.", 0.5),
    ("interviewer", "Thank you, that's all of my questions.", 0.5),
]

SIDECAR_01 = {
    "respondent_id": "R01",
    "gender": "female",
    "status": "patient",
    "hospital": "A",
    "age": 58,
    "mode": "telephone",
    "venue": "home",
    "others_present": "none",
    "further_contact": "yes",
}

SIDECAR_02 = {
    "respondent_id": "R02",
    "gender": "male",
    "status": "carer",
    "hospital": "B",
    "age": 67,
    "mode": "telephone",
    "venue": "work",
    "others_present": "wife",
    "further_contact": "no",
}


# --------------------------------------------------------------------------
# DSP helpers (numpy only)
# --------------------------------------------------------------------------
def synthesize(text: str, speaker: str, workdir: Path) -> np.ndarray:
    """Run espeak-ng and return float32 mono samples at TTS_RATE, silence trimmed."""
    v = VOICES[speaker]
    out = workdir / "tts.wav"
    if v["voice"].startswith("festival:"):
        x = _festival(text, v, out)
        return _trim_and_level(x)
    cmd = [
        "espeak-ng",
        "-v", v["voice"],
        "-s", str(v["speed"]),
        "-p", str(v["pitch"]),
        "-g", str(v["gap"]),
        "-w", str(out),
        text,
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    with wave.open(str(out), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise RuntimeError("unexpected espeak-ng output format")
        if w.getframerate() != TTS_RATE:
            raise RuntimeError(f"unexpected espeak-ng sample rate {w.getframerate()}")
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    return _trim_and_level(x)


def _festival(text: str, v: dict, out: Path) -> np.ndarray:
    """Festival (as ../shared/samples were made: ``festival:cmu_us_slt_arctic_hts``), at TTS_RATE.
    ``pitch_cents`` lowers or raises the voice at the same tempo (synthesized faster, then
    resampled); ``stretch`` is Festival's Duration_Stretch (below 1: faster)."""
    factor = 2.0 ** (v.get("pitch_cents", 0) / 1200.0)
    voice = v["voice"].split(":", 1)[1]
    script = out.with_suffix(".txt")
    script.write_text(text)
    subprocess.run(
        ["text2wave", "-F", str(TTS_RATE), "-o", str(out), "-eval", f"(voice_{voice})",
         "-eval", f"(Parameter.set 'Duration_Stretch {v.get('stretch', 1.0) * factor:.4f})",
         str(script)], check=True, capture_output=True)
    with wave.open(str(out), "rb") as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
        rate = w.getframerate()
    if rate != TTS_RATE:
        raise RuntimeError(f"unexpected text2wave sample rate {rate}")
    if factor != 1.0:  # play the faster take slower: lower pitch, the intended tempo
        x = np.interp(np.arange(0, len(x) - 1, factor), np.arange(len(x)), x).astype(np.float32)
    return x


def _trim_and_level(x: np.ndarray) -> np.ndarray:
    # Trim leading/trailing silence so that the ground-truth times are tight.
    thr = 0.02 * float(np.max(np.abs(x)))
    idx = np.flatnonzero(np.abs(x) > thr)
    pad = int(0.02 * TTS_RATE)
    x = x[max(idx[0] - pad, 0): idx[-1] + pad]
    # Normalise loudness, guard the peak.
    rms = float(np.sqrt(np.mean(x ** 2)))
    x = x * (10 ** (SPEECH_RMS_DBFS / 20) / rms)
    peak = float(np.max(np.abs(x)))
    if peak > 0.9:
        x = x * (0.9 / peak)
    return x


def _band_mask(freqs: np.ndarray, lo: float | None, hi: float | None, width: float = 100.0) -> np.ndarray:
    """Band-pass gain per FFT bin with raised-cosine edges of ``width`` Hz."""
    g = np.ones_like(freqs)
    if lo is not None:
        t = np.clip((freqs - (lo - width / 2)) / width, 0.0, 1.0)
        g *= 0.5 - 0.5 * np.cos(np.pi * t)
    if hi is not None:
        t = np.clip(((hi + width / 2) - freqs) / width, 0.0, 1.0)
        g *= 0.5 - 0.5 * np.cos(np.pi * t)
    return g


def bandlimit_resample(x: np.ndarray, sr_in: int, sr_out: int,
                       lo: float | None, hi: float | None) -> np.ndarray:
    """Band-limit (FFT mask) and resample (FFT) a 1-D signal in one step."""
    n_in = len(x)
    n_out = int(round(n_in * sr_out / sr_in))
    spec = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(n_in, 1.0 / sr_in)
    nyq_out = sr_out / 2
    hi_eff = min(hi, nyq_out - 150) if hi is not None else nyq_out - 150
    spec *= _band_mask(freqs, lo, hi_eff)
    keep = n_out // 2 + 1
    spec = spec[:keep]
    if len(spec) < keep:
        spec = np.pad(spec, (0, keep - len(spec)))
    y = np.fft.irfft(spec, n_out) * (n_out / n_in)
    return y.astype(np.float32)


def to_s16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)


def noise(rng: np.random.Generator, shape, dbfs: float) -> np.ndarray:
    return (rng.standard_normal(shape) * 10 ** (dbfs / 20)).astype(np.float32)


# --------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------
def layout_turns(script, workdir: Path):
    """Synthesize each turn and place it on a timeline at TTS_RATE."""
    clips, turns = [], []
    t = LEAD_IN_S
    for i, (speaker, text, gap) in enumerate(script):
        t += gap
        clip = synthesize(text, speaker, workdir)
        start = t
        end = t + len(clip) / TTS_RATE
        clips.append((int(round(start * TTS_RATE)), speaker, clip))
        turns.append({"index": i, "speaker": speaker, "start": start, "end": end, "text": text})
        t = end
    total = int(round((t + TAIL_S) * TTS_RATE))
    return clips, turns, total


def write_audio(path: Path, samples_s16: np.ndarray, rate: int, layout: str,
                codec: str, fmt: str, bit_rate: int | None = None) -> None:
    """Encode interleaved int16 samples (shape (n, ch)) with PyAV."""
    n_ch = samples_s16.shape[1]
    # bitexact: no encoder/version tags, so reruns give byte-identical files.
    with av.open(str(path), "w", format=fmt, container_options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream(codec, rate=rate, layout=layout, options={"flags": "+bitexact"})
        if bit_rate:
            stream.bit_rate = bit_rate
        hop = 1024
        pts = 0
        for s in range(0, len(samples_s16), hop):
            chunk = np.ascontiguousarray(samples_s16[s:s + hop]).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout=layout)
            frame.sample_rate = rate
            frame.pts = pts
            pts += chunk.shape[1] // n_ch
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def make_01(root: Path, workdir: Path, rng: np.random.Generator) -> dict:
    sr_out = 8000
    clips, turns, total = layout_turns(SCRIPT_01, workdir)
    chan_of = {"interviewer": 0, "respondent": 1}
    tracks = np.zeros((2, total), dtype=np.float32)
    for off, speaker, clip in clips:
        tracks[chan_of[speaker], off:off + len(clip)] += clip
    out = np.stack([bandlimit_resample(tracks[c], TTS_RATE, sr_out, 300.0, 3400.0) for c in range(2)], axis=1)
    # Light line noise, itself telephone-band, independent on each channel.
    for c in range(2):
        n = noise(rng, total, NOISE_DBFS + 3.0)  # +3 dB before the band filter removes ~half the power
        out[:, c] += bandlimit_resample(n, TTS_RATE, sr_out, 300.0, 3400.0)[: len(out)]
    path = root / "recordings" / "sample_interview_01.wav"
    write_audio(path, to_s16(out), sr_out, "stereo", "pcm_mulaw", "wav")
    names = {0: "left", 1: "right"}
    for t in turns:
        t["channel"] = names[chan_of[t["speaker"]]]
        t["channel_index"] = chan_of[t["speaker"]]
    return {
        "recording": "recordings/sample_interview_01.wav",
        "sample_rate": sr_out,
        "channels": 2,
        "encoding": "pcm_mulaw",
        "duration": round(len(out) / sr_out, 3),
        "channel_map": {"left": "interviewer", "right": "respondent"},
        "voices": VOICES,
        "turns": turns,
    }


def make_02(root: Path, workdir: Path, rng: np.random.Generator) -> dict:
    sr_out = 16000
    clips, turns, total = layout_turns(SCRIPT_02, workdir)
    near = np.zeros(total, dtype=np.float32)  # interviewer, local microphone
    far = np.zeros(total, dtype=np.float32)   # respondent, wideband (HD voice) line
    for off, speaker, clip in clips:
        (near if speaker == "interviewer" else far)[off:off + len(clip)] += clip
    mix = bandlimit_resample(near, TTS_RATE, sr_out, 80.0, 7000.0)
    mix += 0.9 * bandlimit_resample(far, TTS_RATE, sr_out, 100.0, 7000.0)
    mix += noise(rng, len(mix), NOISE_DBFS)
    path = root / "recordings" / "sample_interview_02.mp3"
    write_audio(path, to_s16(mix[:, None]), sr_out, "mono", "libmp3lame", "mp3", bit_rate=32000)
    return {
        "recording": "recordings/sample_interview_02.mp3",
        "sample_rate": sr_out,
        "channels": 1,
        "encoding": "mp3",
        "duration": round(len(mix) / sr_out, 3),
        "voices": VOICES,
        "turns": turns,
    }


def round_times(truth: dict) -> dict:
    for t in truth["turns"]:
        t["start"] = round(t["start"], 3)
        t["end"] = round(t["end"], 3)
    return truth


def check_decodes(path: Path) -> str:
    """Make sure the file decodes (with faster-whisper if installed, else PyAV)."""
    try:
        from faster_whisper import decode_audio  # type: ignore
    except ImportError:
        with av.open(str(path)) as c:
            s = c.streams.audio[0]
            n = sum(f.samples for f in c.decode(s))
            return f"av: {n / s.rate:.2f} s, {s.channels} ch, {s.rate} Hz, {s.codec_context.name}"
    audio = decode_audio(str(path))
    return f"faster_whisper.decode_audio: {len(audio) / 16000:.2f} s at 16 kHz"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=REPO_ROOT,
                    help="directory under which recordings/ and tools/sample_truth/ are written")
    args = ap.parse_args(argv)
    if shutil.which("espeak-ng") is None:
        sys.exit("espeak-ng not found: apt-get update && apt-get install -y espeak-ng")

    root: Path = args.root
    (root / "recordings").mkdir(parents=True, exist_ok=True)
    (root / "tools" / "sample_truth").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20240601)

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for name, maker, sidecar in (
            ("sample_interview_01", make_01, SIDECAR_01),
            ("sample_interview_02", make_02, SIDECAR_02),
        ):
            truth = round_times(maker(root, workdir, rng))
            (root / "recordings" / f"{name}.json").write_text(json.dumps(sidecar, indent=2) + "\n")
            (root / "tools" / "sample_truth" / f"{name}.json").write_text(
                json.dumps(truth, indent=2, ensure_ascii=False) + "\n")
            audio_path = root / truth["recording"]
            print(f"{audio_path}: {truth['duration']:.1f} s, {audio_path.stat().st_size / 1024:.0f} KiB, "
                  f"{len(truth['turns'])} turns; {check_decodes(audio_path)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
