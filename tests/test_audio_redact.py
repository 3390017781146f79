import io

import av
import numpy as np
import pytest

from pipeline import audio_redact, config
from tests.conftest import encode

OPTS = config.load().audio


def _tone(tmp_path, seconds=3.0, rate=8000, channels=2, codec="pcm_mulaw"):
    t = np.arange(int(seconds * rate)) / rate
    signal = 0.5 * np.sin(2 * np.pi * 300 * t).astype(np.float32)
    samples = np.stack([signal] * channels) if channels == 2 else signal
    return encode(samples, rate, tmp_path / "call.wav", codec).read_bytes()


def test_merge_pads_clips_and_joins():
    regions = audio_redact.merge([(1.0, 1.2), (1.5, 1.7), (0.05, 0.1), (2.9, 3.5)], 0.25, 3.0)
    assert regions == [(0.0, 0.35), (0.75, 1.95), (2.65, 3.0)]


@pytest.mark.parametrize("mode", ["silence", "tone"])
def test_spans_filled_length_rate_and_channels_kept(tmp_path, mode):
    data = _tone(tmp_path)
    span = audio_redact.Span(1.0, 1.5, 1, 7, "[PERSON_1]", "Keith")
    opts = OPTS.model_copy(update={"fill": mode, "margin_ms": 100})
    result = audio_redact.redact(data, [span], opts)
    assert result.verified is None  # no model given: not checked
    samples, rate = audio_redact.decode_native(result.data)
    original, _ = audio_redact.decode_native(data)
    assert samples.shape == original.shape and rate == 8000
    assert result.duration == result.original_duration
    inside = samples[:, int(0.95 * rate) : int(1.55 * rate)]
    outside = samples[:, : int(0.8 * rate)]
    if mode == "silence":
        assert np.abs(inside).max() < 1e-3
    else:
        assert 0.01 < np.abs(inside).max() < 0.1
    assert np.abs(outside).max() > 0.3
    # it is a real FLAC file
    with av.open(io.BytesIO(result.data)) as container:
        assert container.streams.audio[0].codec_context.name == "flac"
        assert container.streams.audio[0].codec_context.channels == 2


def test_mono_stays_mono(tmp_path):
    data = _tone(tmp_path, channels=1, rate=16000, codec="pcm_s16le")
    result = audio_redact.redact(data, [], OPTS)
    assert result.channels == 1 and result.verified is True


@pytest.mark.parametrize(
    "original, transcript, heard",
    [
        ("Keith", "my husband keith was worried", True),
        ("Beverley", "thanks again beverly", True),
        ("Faith Adebayo", "her name was faith adobeo", True),
        ("Faith Adebayo", "her name was adebayo", True),
        ("Queen Elizabeth Hospital", "nicer than the hospital", False),
        ("07700 900148", "my mobile is 07700 900 148", True),
        ("Keith", "my husband was worried", False),
        ("SE5 9RS", "the post code is", False),
    ],
)
def test_heard_again(original, transcript, heard):
    assert audio_redact.heard_again(original, transcript) is heard


def test_failed_check_widens_the_padding_then_gives_up(tmp_path, monkeypatch):
    data = _tone(tmp_path)
    span = audio_redact.Span(1.0, 1.5, 0, 7, "[PERSON_1]", "Keith")
    calls = []

    def check(encoded, spans, model, opts):
        calls.append(encoded)
        return [(7, "[PERSON_1]", 1.0)] if len(calls) < 2 else []

    monkeypatch.setattr(audio_redact, "check", check)
    result = audio_redact.redact(data, [span], OPTS, model=object())
    assert (result.verified, result.attempts, result.margin_ms) == (True, 2, 2 * OPTS.margin_ms)
    monkeypatch.setattr(audio_redact, "check", lambda *a: [(7, "[PERSON_1]", 1.0)])
    result = audio_redact.redact(data, [span], OPTS, model=object())
    assert result.verified is False and result.attempts == OPTS.max_attempts
    assert result.heard == [(7, "[PERSON_1]", 1.0)]
