"""Telling two voices apart on a mono recording (pipeline/diarize.py), on real speech."""

import numpy as np
import pytest
from faster_whisper import decode_audio

from pipeline import diarize
from tests.conftest import shared_file

SR = 16000


def _words(start: float, end: float) -> list[tuple[float, float]]:
    """Word-like spans of 0.4 s (what Whisper's word timestamps give) covering start..end."""
    return [(float(s), float(min(s + 0.4, end))) for s in np.arange(start, end - 0.05, 0.4)]


@pytest.fixture(scope="module")
def conversation():
    """Two real speakers taking turns: JFK (a 1961 speech) and a physics lecturer (a recorded
    lecture), half a second apart; returns the audio and (speaker, start, end) of each turn."""
    jfk = decode_audio(str(shared_file("audio", "jfk.flac")))
    lecture = decode_audio(str(shared_file("audio", "physicsworks.wav")))
    turns = [("jfk", jfk[0:3 * SR]), ("lecture", lecture[2 * SR:8 * SR]),
             ("jfk", jfk[3 * SR:7 * SR]), ("lecture", lecture[8 * SR:14 * SR]),
             ("jfk", jfk[7 * SR:11 * SR]), ("lecture", lecture[14 * SR:22 * SR])]
    pause = np.zeros(SR // 2, np.float32)
    audio, spans, t = [], [], 0.0
    for who, x in turns:
        audio += [x, pause]
        spans.append((who, t, t + len(x) / SR))
        t += (len(x) + len(pause)) / SR
    return np.concatenate(audio), spans


def test_turns_go_to_their_speaker(conversation):
    audio, spans = conversation
    labels = diarize.two_speakers(audio, [_words(a, b) for _, a, b in spans])
    assert [set(seg) for seg in labels] == [{0}, {1}, {0}, {1}, {0}, {1}]  # JFK spoke first: 0


def test_a_segment_spanning_both_speakers_is_split_where_the_voice_changes(conversation):
    """Whisper's segments on a mono call can run on across a change of speaker."""
    audio, spans = conversation
    (_, a4, b4), (_, a5, b5) = spans[4], spans[5]
    segments = [_words(a, b) for _, a, b in spans[:4]] + [_words(a4, b4) + _words(a5, b5)]
    labels = diarize.two_speakers(audio, segments)
    assert labels[4] == [0] * len(_words(a4, b4)) + [1] * len(_words(a5, b5))
    assert diarize.two_speakers(audio, segments) == labels  # no randomness


def test_a_short_disagreeing_run_keeps_its_segment_voice():
    words = [(0.0, 0.4), (0.4, 0.8), (0.8, 1.2), (1.2, 1.6), (1.6, 4.0), (4.0, 4.4)]
    assert diarize._keep_short_runs(words, [0, 1, 1, 0, 1, 1], own=0) == [0, 0, 0, 0, 1, 1]
    assert diarize._keep_short_runs(words, [1, 1, 1, 1, 1, 1], own=0) == [1] * 6


def test_too_little_speech_to_tell_voices_apart(conversation):
    audio, spans = conversation
    _, a, b = spans[0]
    assert diarize.two_speakers(audio, [_words(a, b)]) is None  # one segment
    assert diarize.two_speakers(audio, [[(a, a + 0.3)], [(b - 0.3, b)]]) is None  # too short
    with pytest.raises(ValueError, match="at least one word"):
        diarize.two_speakers(audio, [_words(a, b), []])


def test_long_recordings_are_read_in_chunks_on_the_same_clock(conversation, monkeypatch):
    """Features are computed ten minutes at a time (an hour at once would take gigabytes)."""
    audio, spans = conversation
    whole = diarize.cepstra(audio)
    monkeypatch.setattr(diarize, "CHUNK_FRAMES", 700)  # 7 s chunks
    assert diarize.cepstra(audio).shape == whole.shape
    labels = diarize.two_speakers(audio, [_words(a, b) for _, a, b in spans])
    assert [set(seg) for seg in labels] == [{0}, {1}, {0}, {1}, {0}, {1}]


def test_a_wrong_merge_is_undone_by_reassigning_segments(conversation, monkeypatch):
    """Greedy merging cannot take back an early merge: on a real interview (H56) it ended with
    the interviewer and most of the respondent in one cluster. Each segment goes back to the
    voice it fits better, and the two voices are re-estimated, until nothing moves."""
    audio, spans = conversation
    segments = [_words(t, min(t + 1.0, b)) for _, a, b in spans for t in np.arange(a, b - 0.9, 1.0)]
    lecture = [i for i, seg in enumerate(segments)
               if any(who == "lecture" and a <= seg[0][0] < b for who, a, b in spans)]
    jfk = [i for i in range(len(segments)) if i not in lecture]
    c = diarize.cepstra(audio)
    feats = [c[diarize._frames(seg[0][0], seg[-1][1], len(c))] for seg in segments]
    for wrong in ([jfk + lecture[::2], lecture[1::2]], [jfk[:3], jfk[3:] + lecture]):
        assert sorted(diarize._reassign(feats, wrong)) == sorted([jfk, lecture])

    # through two_speakers: merging made the first wrong partition
    monkeypatch.setattr(diarize, "_two_clusters", lambda feats: [jfk + lecture[::2], lecture[1::2]])
    labels = diarize.two_speakers(audio, segments)
    assert [seg[0] for seg in labels] == [0 if i in jfk else 1 for i in range(len(segments))]
