"""Analyst transcript files in ``transcripts/``: plain text, WebVTT and DOCX, one per interview.

::

    transcripts/text/<interview>.txt    [hh:mm:ss] Interviewer: text   (one utterance a line)
    transcripts/vtt/<interview>.vtt     WebVTT cues with <v Speaker> voices, topics as NOTEs
    transcripts/docx/<interview>.docx   the same lines under a heading per guide topic

The text layout is the one NVivo, MAXQDA and ATLAS.ti import as time-stamped transcripts; the
DOCX topic headings use Word's Heading 2 style, so NVivo can auto-code by topic. Mono recordings
have no speaker attribution: their lines say ``Speaker:`` rather than guess a party.

Built from the analyst store only (de-identified utterances, their topics), like the chart. The
coordinator calls :func:`sync` after every change of analyst text or topics; it writes a file only
when its bytes change (atomically) and removes the files of interviews whose text is not final
(waiting to be re-derived, or failed), so an old text never outlives its replacement.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .chart import timestamp

SPEAKERS = {"interviewer": "Interviewer", "respondent": "Respondent", "unknown": "Speaker",
            "speaker_1": "Speaker 1", "speaker_2": "Speaker 2"}
FORMATS = {"txt": "text", "vtt": "vtt", "docx": "docx"}
"""File suffix -> sub-folder of transcripts/."""
# Only files named like ours are ever removed from those folders.
FILE_NAME = re.compile(r"[0-9a-f]{12}\.(txt|vtt|docx)")
# A fixed zip entry time (the zip format's epoch) makes the DOCX bytes depend on content only.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Line:
    """One utterance as it appears in every transcript format."""

    idx: int
    """Utterance number (as in the store, the JSON export and ``topic set --utterances``)."""
    speaker: str
    """Label: Interviewer, Respondent; Speaker 1 and Speaker 2 (or Speaker) for a mono recording."""
    start: float
    end: float
    text: str
    """De-identified text, whitespace collapsed so that it stays on one line."""
    topic: str | None

    def __str__(self) -> str:
        return f"[{timestamp(self.start)}] {self.speaker}: {self.text}"


@dataclass(frozen=True)
class Transcript:
    interview_id: str
    respondent_id: str | None
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class WrittenFile:
    interview_id: str
    format: str
    path: Path
    sha256: str
    source_sha256: str
    """Digest of what the file is made from (lines, topic titles, this code), to skip rendering."""
    changed: bool
    """False when the file on disk already held these bytes (left untouched)."""


@dataclass
class SyncResult:
    files: list[WrittenFile]
    """Every current transcript file, changed or not."""
    removed: list[Path]
    """Stale files deleted (interviews whose analyst text is not final)."""

    @property
    def written(self) -> list[WrittenFile]:
        return [f for f in self.files if f.changed]


def transcript(interview: dict, utterances: list[dict]) -> Transcript:
    """The transcript of an interview from its store rows (``store.utterances``)."""
    lines = tuple(
        Line(u["idx"], SPEAKERS.get(u["speaker"], str(u["speaker"]).capitalize()),
             u["start"], u["end"], " ".join((u["text"] or "").split()), u["topic"])
        for u in utterances
    )
    return Transcript(interview["id"], interview.get("respondent_id"), lines)


def plain_text(t: Transcript) -> tuple[str, list[tuple[int, int]]]:
    """The text file's content and each line's (start, end) character offsets in it."""
    offsets, parts, pos = [], [], 0
    for line in t.lines:
        s = str(line)
        offsets.append((pos, pos + len(s)))
        parts.append(s + "\n")
        pos += len(s) + 1
    return "".join(parts), offsets


def _runs(lines) -> list[tuple[str | None, list[Line]]]:
    """Consecutive lines grouped by topic."""
    runs: list[tuple[str | None, list[Line]]] = []
    for line in lines:
        if runs and runs[-1][0] == line.topic:
            runs[-1][1].append(line)
        else:
            runs.append((line.topic, [line]))
    return runs


def _vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_vtt(t: Transcript, titles: dict[str, str]) -> str:
    out = ["WEBVTT", "", f"NOTE De-identified transcript of interview {t.interview_id}"
           + (f", respondent {_vtt_escape(t.respondent_id)}" if t.respondent_id else "") + ".", ""]
    for topic, lines in _runs(t.lines):
        if topic:
            out += [f"NOTE topic: {topic} ({_vtt_escape(titles.get(topic, topic))})", ""]
        for line in lines:
            # A cue must end after it starts; a zero-length utterance gets one millisecond.
            end = max(line.end, line.start + 0.001)
            out += [str(line.idx), f"{_vtt_time(line.start)} --> {_vtt_time(end)}",
                    f"<v {line.speaker}>{_vtt_escape(line.text)}", ""]
    return "\n".join(out)


def render_docx(t: Transcript, titles: dict[str, str]) -> bytes:
    import docx

    doc = docx.Document()
    props = doc.core_properties
    props.title = f"Interview {t.interview_id}"
    props.comments = "De-identified transcript written by interview-pipeline"
    props.last_modified_by = "interview-pipeline"
    # The template's 2013 dates are not this document's; no date keeps the bytes reproducible.
    props._element._remove_created()
    props._element._remove_modified()
    doc.add_heading(props.title, level=1)
    about = "De-identified transcript"
    if t.respondent_id:
        about += f"; respondent {t.respondent_id}"
    doc.add_paragraph(about + ". Time stamps are from the start of the recording.",
                      style="Subtitle")
    for topic, lines in _runs(t.lines):
        if topic:
            doc.add_heading(titles.get(topic, topic), level=2)
        for line in lines:
            p = doc.add_paragraph(f"[{timestamp(line.start)}] ")
            p.add_run(f"{line.speaker}:").bold = True
            p.add_run(f" {line.text}")
    buf = io.BytesIO()
    doc.save(buf)
    return _reproducible_zip(buf.getvalue())


def _reproducible_zip(data: bytes) -> bytes:
    """The same zip with fixed entry times, so unchanged content gives unchanged bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info))
    return out.getvalue()


def render(t: Transcript, titles: dict[str, str]) -> dict[str, bytes]:
    """Every format's bytes, by file suffix."""
    return {
        "txt": plain_text(t)[0].encode("utf-8"),
        "vtt": render_vtt(t, titles).encode("utf-8"),
        "docx": render_docx(t, titles),
    }


def path_for(folder: Path, interview_id: str, suffix: str) -> Path:
    return folder / FORMATS[suffix] / f"{interview_id}.{suffix}"


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless the file already holds exactly it; True if written."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        # mkstemp makes owner-only files; these are for the analysts.
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return True


def source_digest(t: Transcript, titles: dict[str, str]) -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(_version("python-docx").encode())
    used = sorted({line.topic for line in t.lines if line.topic})
    digest.update(repr((t, [(k, titles.get(k)) for k in used])).encode())
    return digest.hexdigest()


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def _unchanged(known: dict, iid: str, digest: str, folder: Path) -> list[WrittenFile] | None:
    """The interview's files as recorded, if they were made from the same input and are intact."""
    files = []
    for suffix in FORMATS:
        row, path = known.get((iid, suffix)), path_for(folder, iid, suffix)
        if not row or row.get("source_sha256") != digest or not path.exists() or (
                hashlib.sha256(path.read_bytes()).hexdigest() != row["sha256"]):
            return None
        files.append(WrittenFile(iid, suffix, path, row["sha256"], digest, False))
    return files


def sync(store, titles: dict[str, str], folder: Path) -> SyncResult:
    """Bring ``folder`` (the workspace's transcripts/) in line with the analyst store."""
    files: list[WrittenFile] = []
    keep: set[Path] = set()
    known = store.transcript_files()
    for interview in store.final_text_interviews():
        t = transcript(interview, store.utterances(interview["id"]))
        digest = source_digest(t, titles)
        current = _unchanged(known, t.interview_id, digest, folder)
        if current is None:  # render only what may have changed: DOCX takes tens of ms
            current = []
            for suffix, data in render(t, titles).items():
                path = path_for(folder, t.interview_id, suffix)
                current.append(WrittenFile(t.interview_id, suffix, path,
                                           hashlib.sha256(data).hexdigest(), digest,
                                           write_if_changed(path, data)))
        files += current
        keep.update(f.path for f in current)
    removed = []
    for sub in FORMATS.values():
        for path in sorted((folder / sub).glob("*")):
            if FILE_NAME.fullmatch(path.name) and path not in keep:
                path.unlink()
                removed.append(path)
    return SyncResult(files, removed)
