"""Transcription stage: decoded audio in, speaker-attributed utterances with word timings out.

Stereo telephone recordings carry one party per channel, so each channel is transcribed on its own
and labelled with its role. Whisper's *segments* on a sparse channel can stretch across the other
party's turns, so utterances are rebuilt from *word* timestamps: a new utterance starts wherever the
speaker pauses for longer than ``utterance_gap``, and each covers only that speaker's speech.
Mono recordings are split at Whisper's segment boundaries as well, so that questions and answers
are not run together into one block; then the two voices are told apart (:mod:`.diarize`) and the
words regrouped into turns of ``speaker_1`` (who speaks first) and ``speaker_2``, split at pauses
as on a stereo channel. Where the voices cannot be told apart (or ``diarize`` is off) the
utterances stay ``unknown``. A channel Whisper wrote without punctuation (100 words or more without
a sentence end) is transcribed again with a punctuated prompt (``punctuation_prompt``).

This module touches no database: it returns a :class:`Transcript` for the coordinator to store.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import groupby
from typing import Callable, Sequence

import ctranslate2
import faster_whisper
from faster_whisper import WhisperModel
from faster_whisper.vad import (
    SpeechTimestampsMap,
    VadOptions,
    collect_chunks,
    get_speech_timestamps,
)

from . import diarize
from .audio import SAMPLE_RATE, Audio
from .config import TranscribeOptions
from .models import compute_type

UNKNOWN = "unknown"
MONO_SPEAKERS = ("speaker_1", "speaker_2")
SEED = 20261126


@dataclass
class Word:
    start: float
    end: float
    text: str
    """The word as Whisper wrote it, with its leading space."""
    probability: float


@dataclass
class Utterance:
    speaker: str
    """``interviewer``, ``respondent`` (or another configured role); for mono ``speaker_1`` and
    ``speaker_2`` told apart by voice, or ``unknown``."""
    channel: int | None
    """0 = left, 1 = right; ``None`` for mono recordings."""
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)


@dataclass
class Transcript:
    utterances: list[Utterance]
    """In the order they were spoken."""
    duration: float
    """Audio length in seconds."""
    speech_duration: float
    """Seconds of audio left after voice activity detection, summed over channels."""
    language: str
    options: dict
    """The decoding options used, echoed back for provenance."""
    model: str
    seconds: float
    """Wall-clock seconds spent in this stage."""
    engine: str = f"faster-whisper {faster_whisper.__version__}"

    def to_dict(self) -> dict:
        return asdict(self)


def channel_roles(audio: Audio, opts: TranscribeOptions) -> list[tuple[int | None, str]]:
    if not audio.stereo:
        return [(None, UNKNOWN)]
    if opts.channels == "auto":
        return [(0, "speaker_1"), (1, "speaker_2")]
    return [(0, opts.channels.left), (1, opts.channels.right)]


def vad_options(opts: TranscribeOptions, stereo: bool) -> VadOptions:
    params = opts.vad.stereo if stereo else opts.vad.mono
    return VadOptions(
        min_silence_duration_ms=params.min_silence_ms, speech_pad_ms=params.speech_pad_ms
    )


def split_words(words: list[Word], gap: float) -> list[list[Word]]:
    """Group words into runs separated by pauses longer than ``gap`` seconds."""
    runs: list[list[Word]] = []
    for word in words:
        if runs and word.start - runs[-1][-1].end <= gap:
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


def _utterance(run: list[Word], speaker: str, channel: int | None) -> Utterance:
    text = "".join(w.text for w in run).strip()
    return Utterance(speaker, channel, run[0].start, run[-1].end, text, run)


def transcribe_channel(
    model: WhisperModel,
    samples,
    opts: TranscribeOptions,
    vad: VadOptions,
    on_progress: Callable[[float], None] | None = None,
    **decoding,
) -> tuple[list[list[Word]], float, str]:
    """Words of one channel in original time, grouped by Whisper segment; the seconds of speech
    found; and the language. ``decoding`` passes further options to faster-whisper."""
    chunks = None
    if opts.vad_filter:
        # Voice activity detection is done here rather than inside faster-whisper so that the
        # speech duration is known; the calls are the ones faster-whisper makes itself.
        chunks = get_speech_timestamps(samples, vad)
        if not chunks:
            return [], 0.0, opts.language or ""
        samples = collect_chunks(samples, chunks)[0][0]
    speech = len(samples) / SAMPLE_RATE
    # Whisper falls back to sampling at higher temperatures on hard passages; a fixed seed makes
    # that reproducible, so a re-run (or a resumed run) gives the same transcript.
    ctranslate2.set_random_seed(SEED)
    segments, info = model.transcribe(
        samples,
        language=opts.language,
        beam_size=opts.beam_size,
        word_timestamps=True,
        vad_filter=False,
        **decoding,
    )
    timeline = SpeechTimestampsMap(chunks, SAMPLE_RATE) if chunks else None
    by_end = word_chunk(opts) == "end"
    grouped: list[list[Word]] = []
    for segment in segments:
        words = [_original_time(w, timeline, by_end) for w in segment.words or []]
        if words:
            grouped.append(words)
        if on_progress:
            if words:
                on_progress(words[-1].end)
            else:
                on_progress(timeline.get_original_time(segment.end, is_end=True)
                            if timeline else segment.end)
    return grouped, speech, info.language


# Where Whisper punctuates, no channel goes more than 71 words without a sentence end (120 channels
# of the held-out interviews H41-H80); where it has slipped into writing without punctuation, for
# the whole channel or from some point on, it goes 109 to 1,628.
UNPUNCTUATED_WORDS = 100
# A prompt copied into the transcript shows as this many of its words in a row.
COPIED_WORDS = 5


def longest_unpunctuated(segments: list[list[Word]]) -> int:
    """The most words in a row without a sentence end."""
    longest = run = 0
    for word in (w.text.strip() for seg in segments for w in seg):
        run += 1
        if word.endswith((".", "?", "!")):
            longest, run = max(longest, run), 0
    return max(longest, run)


def unpunctuated(segments: list[list[Word]]) -> bool:
    """Whether :data:`UNPUNCTUATED_WORDS` words or more go by without a sentence end."""
    return longest_unpunctuated(segments) >= UNPUNCTUATED_WORDS


def plain_words(text: str) -> list[str]:
    """Lower-case words without punctuation, to compare what was said whatever Whisper's style."""
    return re.findall(r"[a-z0-9']+", text.lower())


def repeats(segments: list[list[Word]], prompt: str) -> bool:
    """Whether the transcript holds :data:`COPIED_WORDS` words of ``prompt`` in a row."""
    said = " " + " ".join(plain_words("".join(w.text for seg in segments for w in seg))) + " "
    p = plain_words(prompt)
    return any(f" {' '.join(p[i:i + COPIED_WORDS])} " in said
               for i in range(max(len(p) - COPIED_WORDS + 1, 1)))


def word_chunk(opts: TranscribeOptions) -> str:
    """The rule that puts a word timed across a join of speech regions back in one of them."""
    if opts.vad.word_chunk != "auto":
        return opts.vad.word_chunk
    return "end" if opts.model == "base" else "middle"


def _original_time(word, timeline: SpeechTimestampsMap | None, by_end: bool) -> Word:
    """A word of the speech-only audio, moved back to its time in the recording.

    Whisper hears the speech regions joined end to end, and a word at a join can be timed across
    it. faster-whisper's ``restore_speech_timestamps`` puts such a word in the region its middle
    falls in. The base model times the first word after a join early, so the first word of a
    stereo speaker's next turn ended their previous utterance: of the words straddling a join in
    the 24 stereo interviews of bench/heldout* whose side the script tells, 236 of 237 belong to
    the later region and the middle put 87 in the earlier; on real speech cut at its pauses
    (bench/eval_joins.py), 23 of 23, 9 put in the earlier. tiny.en runs a region's last word on
    past the join instead (there 19 of 30 belong to the earlier region; by the end 17 go wrong,
    by the middle 1). ``by_end`` puts the word in the region its end is in, taken 20 ms (one
    Whisper time step) early so that a word ending exactly at a join stays put.
    """
    start, end = float(word.start), float(word.end)
    if timeline is not None:
        chunk = timeline.get_chunk_index(end - 0.02 if by_end else (start + end) / 2)
        start = timeline.get_original_time(start, chunk)
        end = timeline.get_original_time(end, chunk)
    return Word(start, end, word.word, float(word.probability))


def mono_utterances(samples, segments: list[list[Word]],
                    opts: TranscribeOptions) -> list[Utterance]:
    """Utterances of a mono recording. A segment boundary may be a change of speaker, so it ends
    the utterance; with ``diarize``, each word is given to one of two voices and the words are
    regrouped into that speaker's turns, which end at a change of voice or a pause."""
    runs = [run for words in segments for run in split_words(words, opts.utterance_gap)]
    voices = diarize.two_speakers(samples, [[(w.start, w.end) for w in run] for run in runs]) \
        if opts.diarize else None
    if voices is None:
        return [_utterance(run, UNKNOWN, None) for run in runs]
    voiced = [(voice, word) for run, labels in zip(runs, voices, strict=True)
              for word, voice in zip(run, labels, strict=True)]
    return [_utterance(turn, MONO_SPEAKERS[voice], None)
            for voice, group in groupby(voiced, key=lambda vw: vw[0])
            for turn in split_words([w for _, w in group], opts.utterance_gap)]


def transcribe(
    audio: Audio,
    model: WhisperModel | Sequence[WhisperModel],
    opts: TranscribeOptions,
    model_name: str,
    on_progress: Callable[[float], None] | None = None,
    parallel: bool = False,
) -> Transcript:
    """Transcribe every channel and merge the utterances in time order.

    ``model`` is one model for every channel, or one model per channel; with one per channel and
    ``parallel``, the channels of a stereo call are transcribed at the same time, each on its own
    model's threads. Each channel's words depend only on its own audio and model, so the result
    is the same either way.
    """
    started = time.perf_counter()
    roles = channel_roles(audio, opts)
    per_channel = list(model) if isinstance(model, Sequence) else [model] * len(roles)
    if len(per_channel) != len(roles):
        raise ValueError(f"{len(per_channel)} models for {len(roles)} channels")
    vad = vad_options(opts, audio.stereo)
    done = [0.0] * len(roles)
    lock = threading.Lock()

    def one(i: int):
        report = None
        if on_progress:
            # Progress in audio seconds of the whole recording, channels taking equal shares.
            def report(t: float) -> None:
                with lock:
                    done[i] = t
                    on_progress(sum(done) / len(roles))

        first = transcribe_channel(per_channel[i], audio.channels[i], opts, vad, report)
        prompt = opts.punctuation_prompt
        if not prompt or not unpunctuated(first[0]):
            return first, None
        # The same channel again with a punctuated prompt (the progress bar stays where it is).
        again = transcribe_channel(per_channel[i], audio.channels[i], opts, vad,
                                   initial_prompt=prompt)
        if (longest_unpunctuated(again[0]) >= longest_unpunctuated(first[0])
                or repeats(again[0], prompt)):
            return first, "not kept"
        return again, "kept"

    if parallel and len(roles) > 1 and len({id(m) for m in per_channel}) == len(roles):
        with ThreadPoolExecutor(len(roles), thread_name_prefix="channel") as pool:
            results = list(pool.map(one, range(len(roles))))
    else:
        results = [one(i) for i in range(len(roles))]
    punctuated_again = {speaker: outcome
                        for (_, speaker), (_, outcome) in zip(roles, results, strict=True)
                        if outcome}
    results = [result for result, _ in results]
    utterances: list[Utterance] = []
    speech_total = 0.0
    # Whisper's language for the recording: what it found on the last channel with speech.
    language = next((lang for _, _, lang in reversed(results) if lang), opts.language or "")
    diarized = False
    for (channel, speaker), (segments, speech, _) in zip(roles, results, strict=True):
        speech_total += speech
        if channel is None:
            mono = mono_utterances(audio.channels[0], segments, opts)
            diarized = mono[0].speaker != UNKNOWN if mono else False
            utterances.extend(mono)
            continue
        # One party per channel: a turn runs on across Whisper's segments until a pause.
        words = [w for seg in segments for w in seg]
        utterances.extend(
            _utterance(run, speaker, channel) for run in split_words(words, opts.utterance_gap))
    utterances.sort(key=lambda u: (u.start, u.channel or 0))
    options = {
        "language": opts.language,
        "beam_size": opts.beam_size,
        "word_timestamps": True,
        "punctuation_prompt": opts.punctuation_prompt,
        "punctuated_again": punctuated_again,
        "vad_filter": opts.vad_filter,
        "vad_min_silence_ms": vad.min_silence_duration_ms,
        "vad_speech_pad_ms": vad.speech_pad_ms,
        "vad_word_chunk": word_chunk(opts),
        "utterance_gap": opts.utterance_gap,
        "channels": [speaker for _, speaker in roles],
        "diarize": {**diarize.SETTINGS, "done": diarized} if opts.diarize and not audio.stereo
        else False,
        "device": opts.device,
        "compute_type": compute_type(opts.device, opts.compute_type),
        "seed": SEED,
    }
    return Transcript(
        utterances=utterances,
        duration=audio.duration,
        speech_duration=speech_total,
        language=language,
        options=options,
        model=model_name,
        seconds=time.perf_counter() - started,
    )
