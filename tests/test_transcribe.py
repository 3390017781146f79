from dataclasses import replace

import numpy as np
import pytest

from bench.metrics import wer
from pipeline import audio, config, models
from pipeline import transcribe as transcribe_mod
from pipeline.transcribe import (
    Word,
    _original_time,
    longest_unpunctuated,
    repeats,
    split_words,
    transcribe,
    unpunctuated,
    word_chunk,
)
from tests.conftest import encode, shared_file

TINY = config.load(overrides={"transcribe": {"model": "tiny.en"}}).transcribe

@pytest.fixture(scope="module")
def tiny():
    return models.load("tiny.en", "cpu", "auto", 2)

def test_split_words_on_pauses():
    words = [Word(0.0, 0.4, " a", 1), Word(0.5, 0.9, " b", 1), Word(2.5, 3.0, " c", 1)]
    runs = split_words(words, gap=1.0)
    assert [[w.text for w in run] for run in runs] == [[" a", " b"], [" c"]]
    assert split_words([], 1.0) == []


def test_word_goes_back_to_the_speech_chunk_it_ends_in():
    """With base, a region's first word, timed across the join with the region before, is not put
    there (the first word of a speaker's next turn used to end their previous utterance)."""
    from types import SimpleNamespace

    from faster_whisper.vad import SpeechTimestampsMap

    # speech at 0-1 s and 3-4 s of the recording: 0-1 s and 1-2 s of the speech-only audio
    timeline = SpeechTimestampsMap([{"start": 0, "end": 16000}, {"start": 48000, "end": 64000}],
                                   16000)
    def placed(start, end, by_end=True):
        w = _original_time(SimpleNamespace(start=start, end=end, word=" w", probability=0.9),
                           timeline, by_end)
        return w.start, w.end

    assert placed(0.9, 1.06) == (2.9, 3.06)  # its middle, 0.98, is before the join
    assert placed(0.9, 1.06, by_end=False) == (0.9, 1.06)  # faster-whisper's rule
    assert placed(0.8, 1.0) == (0.8, 1.0)  # ends at the join: the first region's
    assert placed(1.5, 1.7) == (3.5, 3.7)
    assert _original_time(SimpleNamespace(start=0.5, end=0.7, word=" w", probability=0.9),
                          None, True) == Word(0.5, 0.7, " w", 0.9)


def test_word_chunk_rule_follows_the_model_unless_set():
    def rule(model, setting="auto"):
        return word_chunk(config.load(overrides={"transcribe": {
            "model": model, "vad": {"word_chunk": setting}}}).transcribe)

    assert rule("base") == "end"
    assert rule("tiny.en") == "middle"
    assert rule("/models/whisper-small") == "middle"
    assert rule("tiny.en", "end") == "end"
    assert rule("base", "middle") == "middle"
    with pytest.raises(config.ConfigError):
        rule("base", "start")


@pytest.mark.slow
def test_stereo_channels_transcribed_separately(tiny):
    refs = __import__("json").loads(shared_file("audio", "references.json").read_text())
    decoded = audio.decode(shared_file("audio", "stereo_diarization.wav"))
    result = transcribe(decoded, tiny, TINY, "tiny.en")
    left = " ".join(u.text for u in result.utterances if u.speaker == "interviewer")
    right = " ".join(u.text for u in result.utterances if u.speaker == "respondent")
    assert wer(refs["stereo_left"], left) < 0.1
    assert wer(refs["stereo_right"], right) < 0.1
    assert all(u.channel == (0 if u.speaker == "interviewer" else 1) for u in result.utterances)
    starts = [u.start for u in result.utterances]
    assert starts == sorted(starts)
    for u in result.utterances:
        assert u.words and u.start == u.words[0].start and u.end == u.words[-1].end

@pytest.mark.slow
def test_mono_telephone_band(tmp_path, tiny, jfk):
    samples, reference = jfk
    path = encode(samples, 16000, tmp_path / "jfk.wav", "pcm_mulaw", out_rate=8000)
    off = TINY.model_copy(update={"diarize": False})
    result = transcribe(audio.decode(path), tiny, off, "tiny.en")
    assert {u.speaker for u in result.utterances} == {"unknown"}
    assert result.options["diarize"] is False
    assert wer(reference, " ".join(u.text for u in result.utterances)) < 0.15
    assert result.options["beam_size"] == 5 and result.model == "tiny.en"
    assert 0 < result.speech_duration <= result.duration
    # told apart by voice (the default): the same words, numbered speakers, the method recorded.
    # Twice, after a pause: voices are told apart from two runs of speech or more, and how many
    # segments Whisper makes of the one sentence differs between machines (one on some).
    twice = encode(np.concatenate([samples, np.zeros(3 * 16000, "f4"), samples]), 16000,
                   tmp_path / "jfk2.wav", "pcm_mulaw", out_rate=8000)
    # each on a fresh replica, as each recording in a run: Whisper's fallback to sampling draws
    # from a generator that lives as long as the replica
    plain = transcribe(audio.decode(twice), models.load("tiny.en", "cpu", "auto", 2), off,
                       "tiny.en")
    voiced = transcribe(audio.decode(twice), models.load("tiny.en", "cpu", "auto", 2), TINY,
                        "tiny.en")
    assert voiced.utterances[0].speaker == "speaker_1"
    assert {u.speaker for u in voiced.utterances} <= {"speaker_1", "speaker_2"}
    assert [w.text for u in voiced.utterances for w in u.words] == [
        w.text for u in plain.utterances for w in u.words]
    assert voiced.options["diarize"]["method"] == "bic-reassign-viterbi"
    assert voiced.options["diarize"]["done"]
    # one run of speech: nothing to tell apart, the speaker stays unknown and that is recorded
    once = transcribe(audio.decode(path), tiny, TINY, "tiny.en")
    if len(once.utterances) == 1:
        assert once.utterances[0].speaker == "unknown" and not once.options["diarize"]["done"]


@pytest.mark.slow
def test_silence_gives_no_utterances(tiny):
    import numpy as np

    silent = audio.Audio(audio.AudioInfo("pcm_s16le", 16000, 1, 5.0), [np.zeros(80000, "f4")])
    assert transcribe(silent, tiny, TINY, "tiny.en").utterances == []

def test_configured_model_directory_must_exist(tmp_path):
    with pytest.raises(models.ModelError, match="model.bin missing"):
        models.resolve(str(tmp_path))
    with pytest.raises(models.ModelError, match="model.bin missing"):
        models.resolve("relative/dir", root=tmp_path)

def test_base_model_joined_once(tmp_path):
    dest = models.install_base(tmp_path / "base")
    first = (dest / "model.bin").stat().st_mtime_ns
    assert (dest / "model.bin").stat().st_size == models.BASE_SIZE
    assert models.install_base(tmp_path / "base") == dest
    assert (dest / "model.bin").stat().st_mtime_ns == first
    assert {p.name for p in dest.iterdir()} == {"model.bin", *models.BASE_FILES}


@pytest.mark.slow
def test_same_audio_same_transcript_whatever_came_before():
    """Whisper's temperature fallback samples at random; transcripts must still be reproducible,
    also when the worker transcribed other recordings first (a resumed run)."""
    decoded = audio.decode(shared_file("samples", "D01", "D01_stereo.wav"))
    # the spoken phone number at the end makes Whisper fall back to sampling
    decoded.channels = [c[155 * 16000 :] for c in decoded.channels]
    texts = []
    for _ in range(2):
        model = models.load("tiny.en", "cpu", "auto", 2)
        texts.append([u.text for u in transcribe(decoded, model, TINY, "tiny.en").utterances])
    assert texts[0] == texts[1]


@pytest.mark.slow
def test_parallel_channels_give_the_same_transcript():
    """The two parties of a stereo call transcribed at once, one thread each, give what one after
    the other on two threads gives (the clip makes Whisper fall back to sampling)."""
    decoded = audio.decode(shared_file("samples", "D01", "D01_stereo.wav"))
    decoded.channels = [c[140 * 16000 :] for c in decoded.channels]
    progress = []
    one_by_one = transcribe(
        decoded, [models.load("tiny.en", "cpu", "auto", 2) for _ in range(2)],
        TINY, "tiny.en",
    )
    at_once = transcribe(
        decoded, [models.load("tiny.en", "cpu", "auto", 1) for _ in range(2)],
        TINY, "tiny.en", progress.append, parallel=True,
    )
    assert [(u.speaker, u.start, u.text) for u in at_once.utterances] == [
        (u.speaker, u.start, u.text) for u in one_by_one.utterances
    ]
    assert {u.speaker for u in at_once.utterances} == {"interviewer", "respondent"}
    assert progress and progress == sorted(progress) and progress[-1] <= decoded.duration


@pytest.mark.slow
def test_stereo_turns_keep_their_first_word_through_the_cli(tmp_path, jfk):
    """Real speech cut at its pauses onto the interviewer's channel of a stereo call, with 2.5 s of
    silence between the pieces where the respondent would speak: with base (the default model),
    each piece is one utterance in its own time, first word included. By faster-whisper's rule
    (word_chunk: middle), "what" ends the turn before."""
    import json
    from itertools import pairwise

    import numpy as np

    from pipeline import api
    from tests.conftest import drop, run_cli

    samples, _ = jfk
    rate, gap = 16000, 2.5
    cuts = [2.784, 3.888, 4.896, 7.92]  # the middles of the pauses Silero finds in jfk.flac
    bounds = [0, *(int(c * rate) for c in cuts), len(samples)]
    silence = np.zeros(int(gap * rate), dtype=np.float32)
    left = np.concatenate([p for a, b in pairwise(bounds)
                           for p in (samples[a:b], silence)][:-1])
    spans = [(a / rate + k * gap, b / rate + k * gap)
             for k, (a, b) in enumerate(pairwise(bounds))]
    path = encode(np.stack([left, np.zeros_like(left)]), rate, tmp_path / "call.wav", "pcm_s16le")
    ws = tmp_path / "ws"
    api.init(ws)
    (ws / "config" / "pipeline.yaml").write_text("ingest:\n  stable_seconds: 0.2\n")
    drop(ws, path)
    run_cli(ws, "run")
    out = tmp_path / "out"
    run_cli(ws, "export", "--format", "json", "--out", str(out))
    (doc,) = [json.loads(p.read_text()) for p in out.glob("*.json")]

    def words(text):
        return [w.strip(",.?!").lower() for w in text.split()]

    def piece(start, end):
        return next((k for k, (a, b) in enumerate(spans) if a - 0.3 <= start and end <= b + 0.3),
                    None)

    utterances = doc["utterances"]
    assert [piece(u["start"], u["end"]) for u in utterances] == [0, 1, 2, 3, 4]
    assert words(utterances[3]["text"]) == ["what", "your", "country", "can", "do", "for", "you"]
    middle = config.load(overrides={"transcribe": {"vad": {"word_chunk": "middle"}}}).transcribe
    by_middle = transcribe(audio.decode(path),
                           [models.load("base", "cpu", "auto", 2) for _ in range(2)],
                           middle, "base")
    assert [words(u.text)[-1] for u in by_middle.utterances if piece(u.start, u.end) == 2] == [
        "what"]


def _words(text: str) -> list[list[Word]]:
    return [[Word(i, i + 0.5, " " + w, 0.9) for i, w in enumerate(text.split())]]


def test_unpunctuated_and_repeated_prompt():
    sentence = "The nurse said it was fine and I went in."  # 10 words
    flowing = " ".join(["the nurse said it was fine and i went in"] * 10)  # 100 words, no end
    assert longest_unpunctuated(_words(" ".join([sentence] * 3))) == 10
    assert unpunctuated(_words(flowing))
    assert unpunctuated(_words(f"{sentence} {sentence} {flowing} {sentence}"))  # from some point on
    assert not unpunctuated(_words(" ".join(flowing.split()[:98] + ["in."])))  # a 99-word sentence
    assert unpunctuated(_words(" ".join(flowing.split()[:99] + ["in."])))  # a 100-word sentence
    assert not unpunctuated(_words(" ".join([sentence] * 30)))
    prompt = "Okay. So, where were we? Yes, that's right. Go on."
    assert repeats(_words("Hello. So where were we? Yes, that's it."), prompt)
    assert not repeats(_words("So, where were we going? Yes."), prompt)


@pytest.mark.slow
def test_a_channel_written_without_punctuation_is_transcribed_again(tiny, monkeypatch):
    """Whisper sometimes writes a whole channel in lower case without punctuation, and the segmenter
    needs question marks: such a channel is transcribed again with the punctuated prompt. Here the
    first pass is pushed into that style by a prompt written in it."""
    lecture = audio.decode(shared_file("audio", "physicsworks.wav"))
    minute = replace(lecture, channels=[lecture.channels[0][:60 * audio.SAMPLE_RATE]])
    real = transcribe_mod.transcribe_channel

    def drifting(model, samples, opts, vad, on_progress=None, **decoding):
        decoding.setdefault("initial_prompt", "so yeah we went in and um the nurse was there and "
                            "she said it would be fine and i was like ok then")
        return real(model, samples, opts, vad, on_progress, **decoding)

    monkeypatch.setattr(transcribe_mod, "transcribe_channel", drifting)
    opts = TINY.model_copy(update={"diarize": False})
    again = transcribe(minute, tiny, opts, "tiny.en")
    assert again.options["punctuated_again"] == {"unknown": "kept"}
    assert again.options["punctuation_prompt"] == opts.punctuation_prompt
    text = " ".join(u.text for u in again.utterances)
    assert text.startswith("Now I want") and text.count(".") >= 5
    assert "where were we" not in text.lower()
    once = transcribe(minute, tiny, opts.model_copy(update={"punctuation_prompt": None}),
                      "tiny.en")
    assert once.options["punctuated_again"] == {}
    plain = " ".join(u.text for u in once.utterances)
    assert plain.startswith("now i want") and "." not in plain
    assert wer(plain, text) < 0.1  # the same words
