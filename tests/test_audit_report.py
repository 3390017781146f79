"""``interviews audit report``: the ethics reviewers' HTML, with and without the originals."""

import re
import sqlite3
import stat

import pytest

from pipeline import api
from pipeline.vault import Vault
from tests import planted
from tests.conftest import run_cli


@pytest.fixture
def planted_ws(tmp_path):
    return planted.build(tmp_path / "ws")


def access_log(ws) -> list[dict]:
    with Vault(ws / "vault" / "vault.db") as vault:
        return vault.access_log()


def test_report_shows_tags_counts_decisions_and_chain_without_originals(planted_ws, tmp_path):
    ws, iid = planted_ws
    before = len(access_log(ws))
    out = tmp_path / "reports" / "audit.html"
    result = run_cli(ws, "audit", "report", "--out", str(out))
    head = api.audit_head(ws)
    assert f"Wrote {out}: 1 interview(s), 3 redaction(s) in force." in result.output
    assert f"Log verified; head {head}" in result.output
    page = out.read_text()
    lower = page.lower()
    for secret in (*planted.PLANTED, "quennellby", "philippa", "900461"):
        assert secret.lower() not in lower, secret
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert len(access_log(ws)) == before  # no vault read without --identifiable
    # each redaction in its de-identified context, with score and recognizer
    assert "My name is <mark>[PERSON_1]</mark> and I live in [LOCATION_1]." in page
    assert "Call me on <mark>[PHONE_1]</mark> about the fistula clinic." in page
    assert re.search(r"<td class=\"num\">0\.95</td><td>SpokenPhoneRecognizer", page)
    # counts by type, the review decision, the residual list, the audio verdict, the chain
    assert re.search(r"<td><a href=\"#i-5e5e5e5e5e5e\">5e5e5e5e5e5e</a></td>"
                     r"(<td class=\"num\">1</td>){3}<td class=\"num\">3</td>", page)
    assert "checked with the study team" in page and "ethics1" in page
    assert "low-score DATE candidate (0.30, DateRecognizer)" in page
    assert "<strong>verified</strong> (3 span(s), padding 400 ms" in page
    assert f'<td class="hash" id="head-hash">{head}</td>' in page
    assert '<span class="ok">OK</span>: 5 log row(s) verified' in page
    assert "<script" not in page and "http://" not in page and "https://" not in page


def test_identifiable_report_adds_originals_logs_the_read_and_is_private(planted_ws, tmp_path):
    ws, iid = planted_ws
    out = tmp_path / "audit-identifiable.html"
    result = run_cli(ws, "audit", "report", "--out", str(out), "--identifiable")
    assert "owner-only" in result.output
    page = out.read_text()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert 'id="identifiable-warning"' in page
    for secret in planted.PLANTED:
        assert secret in page
    # the undo decision shows the original of the redaction it reversed
    assert re.search(r"<td>checked with the study team</td><td>[^<]+</td>"
                     r"<td class=\"original\">Wexcombe Marsh</td>", page)
    (entry,) = [e for e in access_log(ws) if e["action"] == "read_originals"]
    assert entry["interview_id"] == iid
    assert entry["detail"] == f"audit report --identifiable to {out}"


def test_tampered_log_is_reported_and_fails(planted_ws, tmp_path):
    ws, _ = planted_ws
    conn = sqlite3.connect(ws / "store.db")
    conn.execute("drop trigger redaction_log_no_update")
    conn.execute("update redaction_log set replacement = '[PERSON_9]' where id = 2")
    conn.commit()
    conn.close()
    out = tmp_path / "audit.html"
    result = run_cli(ws, "audit", "report", "--out", str(out), expect=1)
    assert "Log FAILED: row 2 was changed after it was written" in result.output
    page = out.read_text()
    assert '<span class="bad">FAILED</span>: row 2 was changed after it was written' in page
    assert "(first bad row 2)" in page


def test_kept_head_that_no_longer_matches_fails(planted_ws, tmp_path):
    ws, _ = planted_ws
    out = tmp_path / "audit.html"
    kept = "0" * 63 + "1"
    result = run_cli(ws, "audit", "report", "--out", str(out), "--expect", kept, expect=1)
    assert "rows were removed from or added to the end" in result.output
    assert f'<td class="hash">{kept}</td>' in out.read_text()


def test_empty_workspace_gives_an_empty_report(workspace, tmp_path):
    out = tmp_path / "audit.html"
    result = run_cli(workspace, "audit", "report", "--out", str(out))
    assert "0 interview(s), 0 redaction(s) in force" in result.output
    assert "0 de-identified interview(s)" in out.read_text()
