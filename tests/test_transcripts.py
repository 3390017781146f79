"""Transcript files in transcripts/: layout, formats, rewriting, and the de-identification boundary."""

from __future__ import annotations

import json
import re
import sqlite3
import zipfile

import docx
import pytest
import webvtt

from bench.metrics import voice_coverage
from pipeline import api, coordinator, transcripts
from pipeline.store import FAILED, TRANSCRIBED, Store
from pipeline.workspace import open_workspace
from tests.conftest import run_cli, shared_file
from tests.seed import PLANTED, STEREO, seed_interview

LINE = re.compile(r"\[\d\d:\d\d:\d\d\] (Interviewer|Respondent|Speaker(?: [12])?): .*")


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
    # told apart by voice: numbered, not given roles (which voice asks is the topic stage's guess)
    rows = [("speaker_1" if r[0] == "interviewer" else "speaker_2", *r[1:]) for r in STEREO]
    iid = seed_interview(workspace, rows, name="voices.wav")
    sync(workspace)
    lines = files_of(workspace, iid)["txt"].read_text(encoding="utf-8").splitlines()
    assert [line.split("] ", 1)[1].split(":")[0] for line in lines[:2]] == ["Speaker 1", "Speaker 2"]


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


def test_rendering_is_skipped_for_unchanged_input_but_damaged_files_are_restored(
        workspace, monkeypatch):
    iid = seed_interview(workspace)
    sync(workspace)
    paths = files_of(workspace, iid)
    good = {s: p.read_bytes() for s, p in paths.items()}

    def fail(*args):
        raise AssertionError("rendered although nothing changed")

    with monkeypatch.context() as m:
        m.setattr(transcripts, "render", fail)
        assert sync(workspace).transcripts_written == 0
    paths["txt"].unlink()
    paths["docx"].write_bytes(b"edited by hand")
    assert sync(workspace).transcripts_written == 2
    assert {s: p.read_bytes() for s, p in paths.items()} == good


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


def test_broken_guide_still_lets_files_follow_the_text(workspace):
    """The segment stage reports a broken guide; the files must still follow re-derived text."""
    (workspace / "config" / "interview_guide.yaml").write_text("topics: [oops\n")
    iid = seed_interview(workspace)
    assert sync(workspace).transcripts_written == 3
    assert "NOTE topic: reasons (reasons)" in files_of(workspace, iid)["vtt"].read_text()


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


# -- end to end through the CLI, on the sample interviews --------------------------------------


def _ids(ws):
    jobs = {j.source_file: j.interview_id for j in api.status(ws)}
    return jobs["Beverley_Keith_d01.wav"], jobs["d02_mono.wav"]


@pytest.mark.slow
def test_mono_sample_voices_are_told_apart(surfaces_run):
    """D02's mono recording through the CLI: each party's speech under their own voice label."""
    ws, _ = surfaces_run
    _, mono = _ids(ws)
    turns = json.loads(shared_file("samples", "D02", "truth.json").read_text())["turns"]
    utterances = api.analyst_utterances(ws, mono)
    assert voice_coverage(utterances, turns) >= 0.9
    # one label for everything would cover only the respondent's share: the bar is above that
    assert voice_coverage([{**u, "speaker": "speaker_1"} for u in utterances], turns) < 0.85


@pytest.mark.slow
def test_run_writes_transcripts_matching_the_store(surfaces_run):
    ws, result = surfaces_run
    assert "Transcript files in transcripts/: 6 written, 0 removed" in result.output
    stereo, mono = _ids(ws)
    for iid, speakers in ((stereo, {"Interviewer", "Respondent"}),
                          (mono, {"Speaker 1", "Speaker 2"})):
        utterances = api.analyst_utterances(ws, iid)
        lines = files_of(ws, iid)["txt"].read_text(encoding="utf-8").splitlines()
        assert len(lines) == len(utterances) > 10
        assert all(LINE.fullmatch(line) for line in lines)
        assert {line.split("] ", 1)[1].split(":", 1)[0] for line in lines} == speakers
        assert [line.split(": ", 1)[1] for line in lines] == [
            " ".join(u["text"].split()) for u in utterances]
        document = docx.Document(str(files_of(ws, iid)["docx"]))
        assert [p.text for p in document.paragraphs if LINE.fullmatch(p.text)] == lines
        assert len(list(webvtt.read(str(files_of(ws, iid)["vtt"])))) == len(lines)


@pytest.mark.slow
def test_no_redacted_original_or_file_name_reaches_transcripts(surfaces_run, tmp_path):
    ws, _ = surfaces_run
    run_cli(ws, "export", "--format", "qdpx", "--out", str(tmp_path))
    analyst = " ".join(u["text"] for iid in _ids(ws) for u in api.analyst_utterances(ws, iid))
    # Every redacted original the analyst text does not hold anyway (as an ordinary word).
    planted = ["Beverley_Keith_d01.wav", "d02_mono.wav"] + [
        o for iid in _ids(ws) for o in api.originals(ws, iid, "test: planted identifiers").values()
        if not re.search(rf"\b{re.escape(o)}\b", analyst, re.IGNORECASE)]
    assert len(planted) > 10
    data = (every_byte(ws / "transcripts") + every_byte(tmp_path)).decode("utf-8", "replace")
    assert "[PERSON_" in data
    # Whole words: "King" must not be found in "checking".
    leaked = [p for p in planted if re.search(rf"\b{re.escape(p)}\b", data, re.IGNORECASE)]
    assert not leaked


@pytest.mark.slow
def test_review_and_topic_corrections_rewrite_the_files(surfaces_run):
    ws, _ = surfaces_run
    iid = _ids(ws)[0]
    paths = files_of(ws, iid)
    target = api.redactions(ws, iid)[0]
    original = api.originals(ws, iid, "test")[target["id"]]
    before = {s: p.read_bytes() for s, p in paths.items()}
    run_cli(ws, "review", "undo", str(target["id"]), "--reason", "test: not an identifier")
    assert all(paths[s].read_bytes() != before[s] for s in paths)
    line = paths["txt"].read_text(encoding="utf-8").splitlines()[target["utterance_idx"]]
    assert original in line
    # The review path re-segments too: the files keep their topics.
    assert "NOTE topic:" in paths["vtt"].read_text(encoding="utf-8")
    run_cli(ws, "review", "add", iid, "--utterance", str(target["utterance_idx"]), "--text",
            original, "--type", target["entity_type"], "--reason", "test: it is")
    for s in ("txt", "vtt"):
        assert original not in paths[s].read_text(encoding="utf-8")
    assert original not in "\n".join(p.text for p in docx.Document(str(paths["docx"])).paragraphs)
    vtt = paths["vtt"].read_text(encoding="utf-8")
    run_cli(ws, "topic", "set", iid, "--utterances", "0-1", "--topic", "impact",
            "--reason", "test")
    assert paths["vtt"].read_text(encoding="utf-8") != vtt
    assert "NOTE topic: impact" in paths["vtt"].read_text(encoding="utf-8").split("\n0\n")[0]
    headings = [p.text for p in docx.Document(str(paths["docx"])).paragraphs
                if p.style.name == "Heading 2"]
    assert headings[0] == "Assessment of the impact of peer support"
    with sqlite3.connect(ws / "store.db") as db:
        passes = db.execute("select distinct deid_pass from transcript_files "
                            "where interview_id = ?", [iid]).fetchall()
        current = db.execute("select deid_pass from interviews where id = ?", [iid]).fetchone()
    assert passes == [current]
