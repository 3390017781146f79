"""De-identification through the real CLI on a real interview: the boundary, the log, review."""

import json
import re
import shutil
import sqlite3
import time

import pytest

from bench.metrics import present
from pipeline import api, audio
from pipeline.config import LISTS_DIR, read_list
from tests.conftest import TEST_CONFIG, drop, encode, run_cli, shared_file

pytestmark = pytest.mark.slow
NUMBER_TYPES = {"PHONE", "NHS_NUMBER", "EMAIL", "POSTCODE"}


def analyst_export(ws, out):
    run_cli(ws, "export", "--format", "json", "--out", str(out))
    return [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]


@pytest.fixture(scope="module")
def deid_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("deid")
    ws = tmp / "ws"
    api.init(ws)
    (ws / "config" / "pipeline.yaml").write_text(TEST_CONFIG)
    truth = json.loads(shared_file("samples", "D01", "truth.json").read_text())
    drop(ws, shared_file("samples", "D01", "D01_stereo.wav"), "d01.wav", sidecar=truth["metadata"])
    result = run_cli(ws, "run")
    return ws, truth, result


def test_run_reports_redactions(deid_run):
    _, _, result = deid_run
    assert "de-identified 1" in result.output
    assert int(re.search(r"\((\d+) redactions\)", result.output).group(1)) >= 5


def test_analyst_export_carries_no_planted_identifier(deid_run, tmp_path):
    ws, truth, _ = deid_run
    (doc,) = analyst_export(ws, tmp_path / "out")
    text = " ".join(u["text"] for u in doc["utterances"])
    planted = [p for t in truth["turns"] for p in t["pii"]]
    traps = [t["text"].lower() for turn in truth["turns"] for t in turn["traps"]]
    left = [p["text"] for p in planted if present(p["text"], text, p["type"], traps.count(p["text"].lower()))]
    assert len(left) <= 0.1 * len(planted), left
    assert not [p for p in planted if p["type"] in NUMBER_TYPES and present(p["text"], text, p["type"], traps.count(p["text"].lower()))]
    assert re.search(r"\[PERSON_\d+\]", text)
    assert all(u["topic"] for u in doc["utterances"])


def test_store_and_transcripts_hold_no_raw_text(deid_run, tmp_path):
    ws, truth, _ = deid_run
    raw = api.export(ws, tmp_path / "raw", identifiable=True)
    utterances = json.loads(raw[0].read_text())["utterances"]
    spoken = " ".join(u["text"] for u in utterances)
    heard = {p["text"] for t in truth["turns"] for p in t["pii"]
             if p["type"] == "PERSON" and p["text"] in spoken}
    assert heard
    analyst_bytes = b"".join(p.read_bytes() for p in ws.glob("store.db*"))
    analyst_bytes += b"".join(p.read_bytes() for p in (ws / "transcripts").rglob("*") if p.is_file())
    for name in heard:
        assert name.encode() not in analyst_bytes, name


def test_served_pages_and_audit_report_hold_no_raw_text(deid_run, tmp_path):
    """Datasette's pages and the ethics report show the tags, never a name that was spoken."""
    from tests.test_serve import ANALYST_PAGES, fetch

    ws, truth, _ = deid_run
    raw = api.export(ws, tmp_path / "raw", identifiable=True)
    doc = json.loads(raw[0].read_text())
    spoken = " ".join(u["text"] for u in doc["utterances"])
    heard = {p["text"] for t in truth["turns"] for p in t["pii"]
             if p["type"] == "PERSON" and p["text"] in spoken}
    assert heard
    iid = doc["interview_id"]
    paths = [p.replace("5e5e5e5e5e5e", iid) for p in ANALYST_PAGES]
    pages = fetch(api.serve_app(ws), paths + ["/store/excerpts?_search=dialysis"])
    assert {p: s for p, (s, _) in pages.items() if s != 200} == {}
    assert re.search(r"\[PERSON_\d+\]", pages["/store/utterances"][1])
    report = tmp_path / "audit.html"
    run_cli(ws, "audit", "report", "--out", str(report))
    page = report.read_text()
    assert "<mark>[PERSON_1]</mark>" in page
    for name in heard:
        assert name not in page, name
        for path, (_, body) in pages.items():
            assert name not in body, (name, path)


def test_redacted_audio_is_written_verified_and_logged(deid_run):
    ws, truth, result = deid_run
    assert "1 verified" in result.output
    iid = api.status(ws)[0].interview_id
    copy = ws / "transcripts" / "audio" / f"{iid}.flac"
    decoded = audio.decode(copy)
    assert decoded.stereo
    assert abs(decoded.duration - truth["audio"]["duration"]) < 0.01
    (check,) = api.audio_checks(ws)
    assert check["status"] == "verified" and check["heard_again"] == []
    assert check["spans"] >= 5 and check["margin_ms"] >= 250
    assert "audio " + iid + ": verified" in run_cli(ws, "audit", "verify").output


def test_audio_withheld_when_a_name_is_heard_again(tmp_path, monkeypatch, jfk):
    """If a redacted original can still be heard, no copy is left where analysts can play it."""
    from pipeline import audio_redact

    samples, _ = jfk
    ws = tmp_path / "ws"
    api.init(ws)
    (ws / "config" / "pipeline.yaml").write_text(TEST_CONFIG)
    (ws / "config" / "deny_list.yaml").write_text("PERSON: [Americans]\n")
    encode(samples, 16000, ws / "recordings" / "jfk.wav", "pcm_s16le")
    monkeypatch.setattr(audio_redact, "check", lambda data, spans, model, opts:
                        [(s.log_id, s.replacement, s.start) for s in spans])
    time.sleep(0.3)
    summary = api.run(ws)
    assert summary.audio == {"withheld": 1}
    assert not list((ws / "transcripts" / "audio").glob("*.flac"))
    (check,) = api.audio_checks(ws)
    assert check["status"] == "withheld" and check["attempts"] == 3
    assert check["heard_again"][0]["tag"] == "[PERSON_1]"
    assert "redacted audio withheld" in run_cli(ws, "status").output


def test_full_text_search(deid_run):
    ws, _, _ = deid_run
    with sqlite3.connect(ws / "store.db") as db:
        hits = db.execute(
            "select u.speaker from utterances u join utterances_fts f on f.rowid = u.rowid "
            "where utterances_fts match 'dialysis'"
        ).fetchall()
    assert hits and {h[0] for h in hits} <= {"interviewer", "respondent"}


def test_log_verifies_and_tampering_is_caught(deid_run, tmp_path):
    ws, _, _ = deid_run
    result = run_cli(ws, "audit", "verify")
    assert result.output.startswith("OK: ")
    head = run_cli(ws, "audit", "head").output.strip()
    assert len(head) == 64
    assert run_cli(ws, "audit", "verify", "--expect", head).output.startswith("OK")
    copy = tmp_path / "copy"
    shutil.copytree(ws, copy)
    with sqlite3.connect(copy / "store.db") as db:
        db.execute("drop trigger redaction_log_no_update")
        db.execute("update redaction_log set replacement = 'Keith' where id = 2")
    result = run_cli(copy, "audit", "verify", expect=1)
    assert "first bad row: 2" in result.output
    shutil.rmtree(copy)
    shutil.copytree(ws, copy)
    with sqlite3.connect(copy / "store.db") as db:
        db.execute("drop trigger redaction_log_no_delete")
        last = db.execute("select max(id) from redaction_log").fetchone()[0]
        db.execute("delete from redaction_log where id = ?", [last])
    assert run_cli(copy, "audit", "verify").output.startswith("OK")
    result = run_cli(copy, "audit", "verify", "--expect", head, expect=1)
    assert "expected" in result.output


def test_review_undo_and_add_are_logged_and_rederive(deid_run):
    ws, _, _ = deid_run
    rows = api.redactions(ws, api.status(ws)[0].interview_id)
    iid = rows[0]["interview_id"]
    target = rows[0]
    originals = api.originals(ws, iid, "test")
    original = originals[target["id"]]
    result = run_cli(ws, "review", "undo", str(target["id"]), "--reason", "not an identifier",
                     "--reviewer", "tester")
    assert "undone" in result.output
    text = api.analyst_utterances(ws, iid)[target["utterance_idx"]]["text"]
    assert original in text
    undo = [r for r in api.redactions(ws, iid)]
    assert all(r["orig_start"] != target["orig_start"] or r["utterance_idx"] !=
               target["utterance_idx"] for r in undo)
    # put it back as a reviewer's addition
    result = run_cli(ws, "review", "add", iid, "--utterance", str(target["utterance_idx"]),
                     "--text", original, "--type", target["entity_type"], "--reason", "yes it is")
    text = api.analyst_utterances(ws, iid)[target["utterance_idx"]]["text"]
    assert original not in text
    log = [r for r in api.redactions(ws, iid) if r["review_status"] == "added"]
    assert len(log) == 1
    decisions = [r for r in sqlite3.connect(ws / "store.db").execute(
        "select kind, reviewer, reason from redaction_log where kind in ('undo','add')")]
    assert decisions[0] == ("undo", "tester", "not an identifier") and decisions[1][0] == "add"
    assert run_cli(ws, "audit", "verify").output.startswith("OK")
    # each decision regenerated the redacted audio
    with sqlite3.connect(ws / "store.db") as db:
        kinds = [k for (k,) in db.execute("select kind from redaction_log order by id")]
    assert kinds[-1] == "audio_check" and kinds.count("audio_check") >= 3
    # decisions survive a re-run
    run_cli(ws, "run")
    assert original not in api.analyst_utterances(ws, iid)[target["utterance_idx"]]["text"]


def test_residual_lists_things_to_check(deid_run):
    ws, _, _ = deid_run
    result = run_cli(ws, "review", "residual")
    assert "item(s) to check" in result.output


def test_config_change_rederives_from_vault(deid_run):
    ws, _, _ = deid_run
    iid = api.status(ws)[0].interview_id
    before = api.analyst_utterances(ws, iid)
    keep = {t.lower() for t in read_list(LISTS_DIR / "keep_terms.txt")}
    word = next(w for u in before for w in u["text"].split()
                if w.isalpha() and len(w) > 7 and w.lower() not in keep)
    (ws / "config" / "deny_list.yaml").write_text(f"LOCATION: [{word}]\n")
    result = run_cli(ws, "run")
    assert "de-identified 1" in result.output
    after = " ".join(u["text"] for u in api.analyst_utterances(ws, iid))
    assert word not in after
    with sqlite3.connect(ws / "store.db") as db:
        hashes = db.execute("select distinct config_sha256 from provenance "
                            "where stage = 'deidentify'").fetchall()
    assert len(hashes) >= 2
    (ws / "config" / "deny_list.yaml").unlink()
    run_cli(ws, "run")


def test_bad_deny_list_is_explained(workspace):
    (workspace / "config" / "deny_list.yaml").write_text("NAMES: [Keith]\n")
    result = run_cli(workspace, "run", expect=1)
    assert "unknown entity type 'NAMES'" in result.output


def test_topics_segments_and_chart(deid_run, tmp_path):
    """Every utterance gets a guide topic; the chart holds respondents x topics."""
    import csv

    from openpyxl import load_workbook

    ws, truth, _ = deid_run
    iid = api.status(ws)[0].interview_id
    utterances = api.analyst_utterances(ws, iid)
    topics = {"intro", "reasons", "provision", "interaction", "perceptions", "impact", "closing"}
    assert all(u["topic"] in topics for u in utterances)
    assert len({u["topic"] for u in utterances}) >= 4
    (doc,) = analyst_export(ws, tmp_path / "out")
    assert all(u["topic"] in topics for u in doc["utterances"])
    with sqlite3.connect(ws / "store.db") as db:
        segments = db.execute("select topic, first_utterance, last_utterance, confidence "
                              "from segments where interview_id = ? order by idx",
                              [iid]).fetchall()
        chart_rows = db.execute("select topic, excerpts from chart").fetchall()
    assert segments[0][1] == 0 and segments[-1][2] == len(utterances) - 1
    assert chart_rows and all(r[1].startswith("[00:") for r in chart_rows)
    run_cli(ws, "chart", "--out", str(tmp_path / "chart"))
    with open(tmp_path / "chart" / "chart.csv", encoding="utf-8-sig") as f:
        header, row = list(csv.reader(f))
    assert header[:2] == ["interview", "respondent"] and header[-7:] == [
        "intro", "reasons", "provision", "interaction", "perceptions", "impact", "closing"]
    assert row[header.index("hospital")] == truth["metadata"]["hospital"]
    assert "[00:" in row[header.index("reasons")] or "[00:" in row[header.index("impact")]
    sheet = load_workbook(tmp_path / "chart" / "chart.xlsx").active
    assert [c.value for c in sheet[1]] == header
    page = (tmp_path / "chart" / "chart.html").read_text()
    assert "<table>" in page and "Framework matrix" in page


def test_topic_review_lists_the_least_confident_segments_first(deid_run):
    ws, _, _ = deid_run
    iid = api.status(ws)[0].interview_id
    with sqlite3.connect(ws / "store.db") as db:
        auto = db.execute("select confidence, first_utterance from segments "
                          "where source = 'auto'").fetchall()
        texts = dict(db.execute("select idx, text from utterances"))
    items = api.topic_review(ws)
    assert sorted((i.confidence, i.first) for i in items) == sorted(auto) and len(auto) >= 3
    assert [i.confidence for i in items] == sorted(i.confidence for i in items)
    assert all(i.opening == texts[i.first] for i in items)  # the analyst text, de-identified
    result = run_cli(ws, "topic", "review", iid, "--limit", "2")
    assert f"2 of {len(auto)} automatic segment(s) listed" in result.output
    assert f"{items[0].first}-{items[0].last}" in result.output
    assert "nope" in run_cli(ws, "topic", "review", "nope", expect=1).output


def test_topic_correction_survives_reruns(deid_run):
    ws, _, _ = deid_run
    iid = api.status(ws)[0].interview_id
    result = run_cli(ws, "topic", "set", iid, "--utterances", "2-3", "--topic", "closing",
                     "--reason", "test", "--analyst", "ann")
    assert "-> closing" in result.output
    assert [u["topic"] for u in api.analyst_utterances(ws, iid)[2:4]] == ["closing", "closing"]
    run_cli(ws, "run")
    assert [u["topic"] for u in api.analyst_utterances(ws, iid)[2:4]] == ["closing", "closing"]
    with sqlite3.connect(ws / "store.db") as db:
        assert db.execute("select analyst, reason from topic_corrections").fetchall() == [
            ("ann", "test")]
        assert db.execute("select count(*) from segments where source = 'corrected'").fetchone()[0]
    bad = run_cli(ws, "topic", "set", iid, "--utterances", "1", "--topic", "nope",
                  "--reason", "x", expect=1)
    assert "unknown topic 'nope'" in bad.output
