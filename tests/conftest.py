"""Shared fixtures: real workspaces on disk, real audio (from ../shared and made here with PyAV)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner

from pipeline import api
from pipeline.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
# Fast, English-only model for tests; the default (base) is exercised by the benchmark.
TEST_CONFIG = "transcribe:\n  model: tiny.en\ningest:\n  stable_seconds: 0.2\n"


def shared_file(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (tests use ../shared when it is there)")
    return path


@pytest.fixture
def workspace(tmp_path) -> Path:
    """An initialised workspace using tiny.en and a short stability wait."""
    ws = tmp_path / "ws"
    api.init(ws)
    (ws / "config" / "pipeline.yaml").write_text(TEST_CONFIG)
    return ws


def run_cli(ws: Path, *args: str, expect: int | None = 0):
    result = CliRunner().invoke(cli, ["-q", "-w", str(ws), *args], catch_exceptions=False)
    if expect is not None:
        assert result.exit_code == expect, result.output
    return result


def drop(ws: Path, source: Path, name: str | None = None, sidecar: dict | None = None) -> Path:
    """Copy a recording into the drop folder (and age it past the stability wait)."""
    dest = ws / "recordings" / (name or source.name)
    shutil.copyfile(source, dest)
    if sidecar is not None:
        dest.with_suffix(".json").write_text(json.dumps(sidecar))
    return dest


def encode(samples: np.ndarray, rate: int, path: Path, codec: str, out_rate: int | None = None):
    """Write float samples (channels x n, or n) to ``path`` with PyAV."""
    samples = np.atleast_2d(samples).astype(np.float32)
    layout = "stereo" if samples.shape[0] == 2 else "mono"
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=out_rate or rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout=layout)
        frame.sample_rate = rate
        resampler = av.AudioResampler(
            format=stream.codec_context.format, layout=layout, rate=out_rate or rate
        )
        for resampled in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(resampled):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@pytest.fixture(scope="session")
def jfk() -> tuple[np.ndarray, str]:
    """11 s of real speech (JFK, public domain) at 16 kHz mono, with its true transcript."""
    from faster_whisper import decode_audio

    path = shared_file("audio", "jfk.flac")
    refs = json.loads(shared_file("audio", "references.json").read_text())
    return decode_audio(str(path)), refs["jfk"]


@pytest.fixture(scope="session")
def surfaces_run(tmp_path_factory):
    """D01 (stereo, a planted name in its file name) and D02 (mono) processed once through the
    CLI, redacted audio off: for the transcript-file and REFI-QDA tests."""
    ws = tmp_path_factory.mktemp("surfaces") / "study"
    api.init(ws)
    (ws / "config" / "pipeline.yaml").write_text(TEST_CONFIG + "audio:\n  enabled: false\n")
    truth = json.loads(shared_file("samples", "D01", "truth.json").read_text())
    drop(ws, shared_file("samples", "D01", "D01_stereo.wav"), "Beverley_Keith_d01.wav",
         sidecar={"respondent_id": "D01", **truth["metadata"]})
    drop(ws, shared_file("samples", "D02", "D02_mono.wav"), "d02_mono.wav")
    result = run_cli(ws, "run")
    return ws, result
