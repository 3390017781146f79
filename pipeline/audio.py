"""Reading recordings: probe what a file holds, decode it to 16 kHz float arrays, one per channel.

PyAV (FFmpeg's libraries inside its wheel) does the work, so no system ffmpeg is needed. Anything
FFmpeg decodes is accepted: wav (including 8 kHz mu-law telephone audio), flac, mp3, m4a, ogg, opus,
webm. Problems are raised as :class:`AudioError` with a message a person can act on.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import av
import numpy as np
from faster_whisper.audio import decode_audio

SAMPLE_RATE = 16000
# Decoded audio shorter than its header promises by more than this is treated as truncated.
TRUNCATION_TOLERANCE_S = 1.0
# Containers whose header states the length; ogg and webm headers do not.
EXACT_LENGTH_CODECS = {"flac", "aac", "alac", "mp3", "mp3float"}


Source = Union[str, Path, bytes]
"""A file path, or the file's bytes (workers decode bytes they have checked against the hash)."""


def _open(source: Source):
    return io.BytesIO(source) if isinstance(source, bytes) else str(source)


class AudioError(Exception):
    """The file cannot be used as a recording; the message says why."""


@dataclass(frozen=True)
class AudioInfo:
    """What the container says about the first audio stream."""

    codec: str
    """FFmpeg codec name, e.g. ``pcm_mulaw`` or ``mp3``."""
    sample_rate: int
    channels: int
    declared_duration: float | None
    """Duration from the header, in seconds; ``None`` when the container does not say."""


@dataclass
class Audio:
    """A decoded recording."""

    info: AudioInfo
    channels: list[np.ndarray]
    """16 kHz float32 samples: two arrays (left, right) for stereo, one otherwise."""

    @property
    def duration(self) -> float:
        return len(self.channels[0]) / SAMPLE_RATE

    @property
    def stereo(self) -> bool:
        return len(self.channels) == 2


def _wav_data_seconds(head: bytes) -> float | None:
    """Length promised by a WAV file's data chunk (FFmpeg trusts the file size instead)."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, bytes_per_second = 12, None
    while pos + 8 <= len(head):
        chunk_id, size = head[pos : pos + 4], int.from_bytes(head[pos + 4 : pos + 8], "little")
        if chunk_id == b"fmt " and pos + 16 <= len(head):
            bytes_per_second = int.from_bytes(head[pos + 16 : pos + 20], "little")
        elif chunk_id == b"data":
            # 0 and 0xFFFFFFFF mean "unknown" (written by streaming recorders).
            if not bytes_per_second or size in (0, 0xFFFFFFFF):
                return None
            return size / bytes_per_second
        pos += 8 + size + (size & 1)
    return None


def probe(source: Source) -> AudioInfo:
    size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
    if size == 0:
        raise AudioError("the file is empty (0 bytes)")
    try:
        with av.open(_open(source), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioError("the file has no audio stream")
            stream = container.streams.audio[0]
            declared = None
            if stream.duration is not None and stream.time_base is not None:
                declared = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                declared = container.duration / av.time_base
            if stream.codec_context.name.startswith("pcm_"):
                if isinstance(source, bytes):
                    head = source[:65536]
                else:
                    with open(source, "rb") as f:
                        head = f.read(65536)
                declared = _wav_data_seconds(head) or declared
            return AudioInfo(
                codec=stream.codec_context.name,
                sample_rate=stream.codec_context.sample_rate or 0,
                channels=stream.codec_context.channels or 0,
                declared_duration=declared,
            )
    except av.error.FFmpegError as e:
        raise AudioError(f"not a readable audio file ({e.strerror or e})") from e


def decode(source: Source) -> Audio:
    """Decode a recording; stereo stays two channels, anything else is mixed to mono."""
    info = probe(source)
    stereo = info.channels == 2
    try:
        decoded = decode_audio(_open(source), sampling_rate=SAMPLE_RATE, split_stereo=stereo)
    except av.error.FFmpegError as e:
        raise AudioError(f"the audio could not be decoded ({e.strerror or e})") from e
    channels = list(decoded) if stereo else [decoded]
    channels = [np.ascontiguousarray(c, dtype=np.float32) for c in channels]
    audio = Audio(info=info, channels=channels)
    if audio.duration == 0:
        raise AudioError("the file contains no audio samples")
    if (
        info.declared_duration is not None
        and (info.codec.startswith("pcm_") or info.codec in EXACT_LENGTH_CODECS)
        and audio.duration
        < info.declared_duration - max(TRUNCATION_TOLERANCE_S, 0.02 * info.declared_duration)
    ):
        raise AudioError(
            f"the file is truncated: its header promises {info.declared_duration:.1f} s "
            f"but only {audio.duration:.1f} s could be decoded (was it copied completely?)"
        )
    return audio
