import wave

import numpy as np
import pytest

from pipeline import audio
from tests.conftest import encode, shared_file


@pytest.mark.parametrize(
    "suffix, codec, rate",
    [
        ("wav", "pcm_mulaw", 8000),
        ("wav", "pcm_s16le", 16000),
        ("flac", "flac", 16000),
        ("mp3", "libmp3lame", 16000),
        ("m4a", "aac", 16000),
        ("ogg", "libopus", 48000),
        ("opus", "libopus", 48000),
        ("webm", "libopus", 48000),
    ],
)
def test_decodes_every_format_without_ffmpeg(tmp_path, jfk, suffix, codec, rate):
    samples, _ = jfk
    path = encode(samples, 16000, tmp_path / f"jfk.{suffix}", codec, out_rate=rate)
    decoded = audio.decode(path)
    assert not decoded.stereo
    assert abs(decoded.duration - len(samples) / 16000) < 0.2
    assert decoded.channels[0].dtype == np.float32
    # decoding bytes gives the same result as decoding the file
    again = audio.decode(path.read_bytes())
    assert np.array_equal(again.channels[0], decoded.channels[0])


def test_stereo_stays_two_channels(tmp_path):
    path = shared_file("audio", "stereo_diarization.wav")
    decoded = audio.decode(path)
    assert decoded.stereo
    left, right = decoded.channels
    assert len(left) == len(right)
    assert not np.allclose(left, right)


def test_telephone_mulaw_sample_is_stereo_8k():
    info = audio.probe(shared_file("samples", "D01", "D01_stereo.wav"))
    assert (info.codec, info.sample_rate, info.channels) == ("pcm_mulaw", 8000, 2)


def test_empty_file(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(audio.AudioError, match="empty"):
        audio.decode(tmp_path / "empty.wav")


def test_not_audio(tmp_path):
    (tmp_path / "notes.wav").write_text("Interview notes, not a recording.\n" * 20)
    with pytest.raises(audio.AudioError, match="not a readable audio file"):
        audio.decode(tmp_path / "notes.wav")


@pytest.mark.parametrize(
    "suffix, codec, message",
    [
        ("wav", "pcm_s16le", "truncated"),
        ("wav", "pcm_mulaw", "truncated"),
        ("flac", "flac", "truncated"),
        ("mp3", "libmp3lame", "truncated"),
        ("m4a", "aac", "not a readable audio file"),
    ],
)
def test_truncated_file(tmp_path, jfk, suffix, codec, message):
    samples, _ = jfk
    full = encode(samples, 16000, tmp_path / f"full.{suffix}", codec).read_bytes()
    (tmp_path / f"half.{suffix}").write_bytes(full[: len(full) // 2])
    with pytest.raises(audio.AudioError, match=message):
        audio.decode(tmp_path / f"half.{suffix}")


def test_wav_with_no_samples(tmp_path):
    with wave.open(str(tmp_path / "none.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
    with pytest.raises(audio.AudioError, match="no audio"):
        audio.decode(tmp_path / "none.wav")
