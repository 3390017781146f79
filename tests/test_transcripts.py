"""Transcript files in transcripts/: layout, formats, rewriting, and the de-identification boundary."""

from __future__ import annotations

import re
import sqlite3
import zipfile

import docx
import pytest
import webvtt

from pipeline import coordinator, transcripts
from pipeline.store import FAILED, TRANSCRIBED, Store
from pipeline.workspace import open_workspace
from tests.seed import PLANTED, STEREO, seed_interview

LINE = re.compile(r"\[\d\d:\d\d:\d\d\] (Interviewer|Respondent|Speaker): .*")


def sync(ws):
    """What the coordinator does after de-identification and segmentation."""
    w = open_workspace(ws)
    c = coordinator.Coordinator(w, w.load_config())
    try:
        summary = coordinator.RunSummary()
        c.write_transcripts(summary)
        return summary
    finally:
        c.close()


def files_of(ws, iid):
    return {s: transcripts.path_for(ws / "transcripts", iid, s) for s in ("txt", "vtt", "docx")}


def every_byte(folder) -> bytes:
    """Every file under ``folder``, zip members (DOCX) unpacked."""
    out = b""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        out += data
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                out += b"".join(z.read(n) for n in z.namelist())
    return out


def test_text_layout_is_one_time_stamped_line_per_utterance(workspace):
    iid = seed_interview(workspace)
    summary = sync(workspace)
    assert summary.transcripts_written == 3
    lines = files_of(workspace, iid)["txt"].read_text(encoding="utf-8").splitlines()
    assert lines == [
        "[00:00:00] Interviewer: Hello, is that [PERSON_1]?",
        "[00:00:03] Respondent: Yes, speaking.",
        "[00:00:06] Interviewer: Why did you start going to the group?",
        "[00:00:10] Respondent: After dialysis at [LOCATION_1] I felt alone & <lost>.",
        "[01:01:01] Interviewer: Thank you so much.",
    ]


def test_vtt_parses_with_voices_times_and_topics(workspace):
    iid = seed_interview(workspace)
    sync(workspace)
    path = files_of(workspace, iid)["vtt"]
    cues = list(webvtt.read(str(path)))
    assert [c.voice for c in cues] == ["Interviewer", "Respondent", "Interviewer", "Respondent",
                                      "Interviewer"]
    assert [c.identifier for c in cues] == ["0", "1", "2", "3", "4"]
    assert cues[3].start == "00:00:10.000" and cues[3].end == "00:00:15.250"
    assert cues[4].start == "01:01:01.000"
    # Markup characters in the text are escaped, not taken as tags.
    assert "&amp; &lt;lost&gt;" in cues[3].raw_text
    text = path.read_text(encoding="utf-8")
    assert text.startswith("WEBVTT\n")
    assert "NOTE topic: reasons (Reasons for using peer support)" in text
    assert text.index("NOTE topic: reasons") < text.index("\n2\n")


def test_docx_opens_and_holds_the_same_lines_under_topic_headings(workspace):
    iid = seed_interview(workspace)
    sync(workspace)
    paths = files_of(workspace, iid)
    document = docx.Document(str(paths["docx"]))
    utterances = [p.text for p in document.paragraphs if LINE.fullmatch(p.text)]
    assert utterances == paths["txt"].read_text(encoding="utf-8").splitlines()
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert headings == ["Consent and introductions", "Reasons for using peer support",
                        "Closing"]
    bold = [r.text for p in document.paragraphs for r in p.runs if r.bold]
    assert bold[:2] == ["Interviewer:", "Respondent:"]


def test_mono_speaker_is_labelled_honestly(workspace):
    rows = [("unknown", *r[1:]) for r in STEREO]
    iid = seed_interview(workspace, rows, name="mono.wav")
    sync(workspace)
    lines = files_of(workspace, iid)["txt"].read_text(encoding="utf-8").splitlines()
    assert all(line.split("] ", 1)[1].startswith("Speaker: ") for line in lines)
    assert {c.voice for c in webvtt.read(str(files_of(workspace, iid)["vtt"]))} == {"Speaker"}


def test_no_planted_identifier_reaches_transcripts(workspace):
    """The raw text (vault) and the file name carry names; no transcript byte may."""
    seed_interview(workspace)
    sync(workspace)
    data = every_byte(workspace / "transcripts").lower()
    assert b"[person_1]" in data
    for planted in PLANTED:
        assert planted.lower().encode() not in data, planted


def test_unchanged_files_are_left_alone_and_recorded(workspace):
    iid = seed_interview(workspace)
    sync(workspace)
    paths = files_of(workspace, iid)
    mtimes = {s: p.stat().st_mtime_ns for s, p in paths.items()}
    first = {s: p.read_bytes() for s, p in paths.items()}
    summary = sync(workspace)
    assert summary.transcripts_written == 0 and summary.transcripts_removed == 0
    assert {s: p.stat().st_mtime_ns for s, p in paths.items()} == mtimes
    # Rendering again gives the same bytes, DOCX included: the comparison is meaningful.
    with Store(workspace / "store.db") as store:
        t = transcripts.transcript(store.interview(iid), store.utterances(iid))
    assert transcripts.render(t, {"intro": "Consent and introductions",
                                  "reasons": "Reasons for using peer support",
                                  "closing": "Closing"}) == first
    with sqlite3.connect(workspace / "store.db") as db:
        rows = db.execute("select format, path, deid_pass from transcript_files "
                          "order by format").fetchall()
    assert rows == [("docx", f"transcripts/docx/{iid}.docx", 1),
                    ("txt", f"transcripts/text/{iid}.txt", 1),
                    ("vtt", f"transcripts/vtt/{iid}.vtt", 1)]
    assert oct(paths["txt"].stat().st_mode & 0o777) == "0o644"
    assert not [p for p in (workspace / "transcripts").rglob(".*") if p.is_file()]


def test_changed_text_rewrites_and_withdrawn_text_removes(workspace):
    iid = seed_interview(workspace)
    other = seed_interview(workspace, STEREO[:2], name="other.wav")
    sync(workspace)
    with Store(workspace / "store.db") as store:
        store.db.execute("update utterances set text = 'Yes, [PERSON_2] speaking.' "
                         "where interview_id = ? and idx = 1", [iid])
        store.db.conn.commit()
    summary = sync(workspace)
    assert summary.transcripts_written == 3
    assert "[PERSON_2] speaking" in files_of(workspace, iid)["txt"].read_text()
    # Text waiting to be re-derived (a review decision, new settings) or failed: files go.
    with Store(workspace / "store.db") as store:
        store.requeue([iid], TRANSCRIBED)
        store.fail(other, "deidentify", "boom")
    summary = sync(workspace)
    assert summary.transcripts_removed == 6
    assert not any(p.exists() for p in [*files_of(workspace, iid).values(),
                                        *files_of(workspace, other).values()])
    with sqlite3.connect(workspace / "store.db") as db:
        assert db.execute("select count(*) from transcript_files").fetchone()[0] == 0


def test_failed_audio_keeps_final_text_files(workspace):
    iid = seed_interview(workspace)
    with Store(workspace / "store.db") as store:
        store.fail(iid, "audio", "recording moved")
    sync(workspace)
    assert all(p.exists() for p in files_of(workspace, iid).values())


def test_foreign_files_are_not_touched(workspace):
    keep = workspace / "transcripts" / "text" / "notes.txt"
    keep.parent.mkdir(parents=True)
    keep.write_text("mine")
    stale = workspace / "transcripts" / "vtt" / "0123456789ab.vtt"
    stale.parent.mkdir(parents=True)
    stale.write_text("WEBVTT\n")
    failed = seed_interview(workspace, status=FAILED)
    summary = sync(workspace)
    assert keep.read_text() == "mine" and not stale.exists()
    assert summary.transcripts_removed == 1 and summary.transcripts_written == 0
    assert not any(p.exists() for p in files_of(workspace, failed).values())


@pytest.mark.parametrize("seconds, stamp", [(0, "[00:00:00]"), (59.99, "[00:00:59]"),
                                            (3725.4, "[01:02:05]")])
def test_time_stamps(seconds, stamp):
    line = transcripts.Line(0, "Respondent", seconds, seconds + 1, "x", None)
    assert str(line) == f"{stamp} Respondent: x"


def test_plain_text_offsets_point_at_each_line():
    t = transcripts.transcript({"id": "abc"}, [
        {"idx": i, "speaker": "unknown", "start": i, "end": i + 1, "text": text, "topic": None}
        for i, text in enumerate(["one", "twó  words\n", None])])
    text, offsets = transcripts.plain_text(t)
    assert [text[a:b] for a, b in offsets] == [
        "[00:00:00] Speaker: one", "[00:00:01] Speaker: twó words", "[00:00:02] Speaker: "]
