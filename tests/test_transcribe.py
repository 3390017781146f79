import pytest

from bench.metrics import wer
from pipeline import audio, config, models
from pipeline.transcribe import Word, split_words, transcribe
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
def test_mono_telephone_band_is_unknown_speaker(tmp_path, tiny, jfk):
    samples, reference = jfk
    path = encode(samples, 16000, tmp_path / "jfk.wav", "pcm_mulaw", out_rate=8000)
    result = transcribe(audio.decode(path), tiny, TINY, "tiny.en")
    assert {u.speaker for u in result.utterances} == {"unknown"}
    assert wer(reference, " ".join(u.text for u in result.utterances)) < 0.15
    assert result.options["beam_size"] == 5 and result.model == "tiny.en"
    assert 0 < result.speech_duration <= result.duration

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
