"""The analyst and reviewer surfaces as a person sees them: ``interviews serve`` as a real process
and the audit report file, opened in headless Chromium, checked for content, screenshotted.

Screenshots are written to the test's tmp folder and copied to ``tests/screenshots/`` (ignored by
git) to look at. Needs Debian's ``chromium`` (``.ci/run`` installs it); skipped without it.
"""

import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pipeline import serve
from tests import planted
from tests.conftest import ROOT, run_cli

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = ROOT / "tests" / "screenshots"
WINDOW = (1280, 1000)
SECRETS = (*planted.PLANTED, "quennellby", "philippa", "900461")

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason="headless Chromium is not installed (apt-get install chromium; .ci/run does this)",
)


def browse(url: str, profile: Path, screenshot: Path | None = None) -> str:
    """The page's DOM after loading (and rendering, for the screenshot) in headless Chromium."""
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
            f"--window-size={WINDOW[0]},{WINDOW[1]}", "--dump-dom"]
    if screenshot:
        args.append(f"--screenshot={screenshot}")
    done = subprocess.run([*args, url], capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def assert_screenshot(path: Path) -> None:
    """A PNG of the window's size with something rendered in it."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert struct.unpack(">II", data[16:24]) == WINDOW
    # A blank page of this size compresses to a few kB; rendered tables and text do not.
    assert len(data) > 20_000, (path, len(data))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A processed workspace served by a real ``interviews serve`` process."""
    ws, iid = planted.build(tmp_path_factory.mktemp("browser") / "ws")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != serve.PASSWORD_HASH_ENV}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "-w", str(ws), "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            break
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"interviews serve did not start: {proc.stdout.read()}")
            time.sleep(0.2)
    yield ws, iid, url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("screenshots")
    yield folder
    SCREENSHOTS.mkdir(exist_ok=True)
    for png in folder.glob("*.png"):
        shutil.copy(png, SCREENSHOTS / png.name)


PAGES = {
    # screenshot name: (path, text that must be on the page)
    "table_excerpts": ("store/excerpts", ["My name is [PERSON_1] and I live in [LOCATION_1].",
                                          "gender", "female", "hospital"]),
    "search": ("store/utterances?_search=fistula", ["1 row where search matches",
                                                    "Call me on [PHONE_1] about the fistula"]),
    "facet": ("store/excerpts?_facet=topic&topic=impact",
              ["I work fewer hours since the dialysis", '2 rows where topic = "impact"']),
    "canned_topic": ("store/topic_excerpts?topic=reasons",
                     ["Every excerpt on a topic", "[PERSON_1]", "[PHONE_1]"]),
    "canned_interview": ("store/interview?interview_id=5e5e5e5e5e5e",
                         ["One interview in order", "Why did you choose home dialysis?"]),
    "chart_matrix": ("store/chart_matrix", ["The framework matrix", "reasons", "impact",
                                            "fewer hours"]),
    "database": ("store", ["utterances", "excerpts", "respondents", "segments", "chart"]),
}


def test_analyst_pages_in_a_browser(served, shots, tmp_path):
    ws, _, url = served
    for name, (path, expected) in PAGES.items():
        dom = browse(url + path, tmp_path / "profile", shots / f"{name}.png")
        assert_screenshot(shots / f"{name}.png")
        for text in expected:
            assert text in dom, (name, text)
        for secret in SECRETS:
            assert secret.lower() not in dom.lower(), (name, secret)
    database = browse(url + "store", tmp_path / "profile")
    for hidden in ("redaction_log", "sources", "interviews</a>", "jobs", "provenance"):
        assert hidden not in database


def test_hidden_tables_and_sql_refused_in_a_browser(served, tmp_path):
    _, _, url = served
    for path in ("store/interviews", "store/sources", "store/redaction_log",
                 "store?sql=select+source_file+from+interviews", "store.db"):
        dom = browse(url + path, tmp_path / "profile")
        assert "Forbidden" in dom or "403" in dom, path
        for secret in SECRETS:
            assert secret.lower() not in dom.lower(), (path, secret)


def test_audit_report_in_a_browser(served, shots, tmp_path):
    ws, _, _ = served
    report = tmp_path / "audit.html"
    run_cli(ws, "audit", "report", "--out", str(report))
    dom = browse(report.as_uri(), tmp_path / "profile", shots / "audit_report.png")
    assert_screenshot(shots / "audit_report.png")
    for text in ("Redaction audit report", "[PERSON_1]", "SpokenPhoneRecognizer", "OK",
                 "checked with the study team", "Residual risk (1)"):
        assert text in dom, text
    for secret in SECRETS:
        assert secret.lower() not in dom.lower(), secret
    identifiable = tmp_path / "audit-identifiable.html"
    run_cli(ws, "audit", "report", "--out", str(identifiable), "--identifiable")
    dom = browse(identifiable.as_uri(), tmp_path / "profile",
                 shots / "audit_report_identifiable.png")
    assert_screenshot(shots / "audit_report_identifiable.png")
    assert "IDENTIFIABLE" in dom and "Wexcombe Marsh" in dom
