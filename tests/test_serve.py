"""``interviews serve``: what Datasette shows analysts, and everything it must refuse."""

import asyncio
import sqlite3

import pytest

from pipeline import api, serve
from tests import planted
from tests.conftest import run_cli

ANALYST_PAGES = [
    "/", "/store", "/store.json",
    "/store/utterances", "/store/utterances.json", "/store/utterances?_search=fistula",
    "/store/utterances?_facet=topic&_facet=speaker",
    "/store/excerpts", "/store/excerpts.json?_search=fistula",
    "/store/excerpts?_facet=gender&_facet=hospital&topic=reasons",
    "/store/respondents", "/store/respondents.json", "/store/segments", "/store/chart",
    "/store/chart.csv", "/store/utterances.csv?_stream=on",
    "/store/topic_excerpts?topic=reasons", "/store/topic_excerpts.json?topic=impact",
    "/store/interview?interview_id=5e5e5e5e5e5e", "/store/chart_matrix",
    "/store/chart_matrix.json", "/store/utterances/5e5e5e5e5e5e,1",
    "/-/metadata", "/-/metadata.json", "/-/plugins.json", "/-/settings.json", "/-/actor.json",
]


def fetch(ds, paths, cookies=None):
    """GET each path from the in-process Datasette; returns path -> (status, body)."""
    async def run():
        await ds.invoke_startup()
        out = {}
        for path in paths:
            response = await ds.client.get(path, cookies=cookies)
            out[path] = (response.status_code, response.text)
        return out

    return asyncio.run(run())


def assert_no_planted(pages: dict):
    for path, (_, body) in pages.items():
        lower = body.lower()
        for secret in (*planted.PLANTED, "quennellby", "philippa", "900461"):
            assert secret.lower() not in lower, f"{secret!r} leaked in {path}"


@pytest.fixture(scope="module")
def planted_ws(tmp_path_factory):
    return planted.build(tmp_path_factory.mktemp("serve") / "ws")


@pytest.fixture(scope="module")
def ds(planted_ws):
    return api.serve_app(planted_ws[0])


def hidden_tables(ws) -> list[str]:
    conn = sqlite3.connect(ws / "store.db")
    names = [r[0] for r in conn.execute(
        "select name from sqlite_master where type in ('table', 'view')")]
    conn.close()
    return [n for n in names if n not in serve.ANALYST_TABLES]


def test_analyst_pages_load_and_carry_no_planted_identifier(ds):
    pages = fetch(ds, ANALYST_PAGES)
    assert {p: s for p, (s, _) in pages.items() if s != 200} == {}
    assert "[PERSON_1]" in pages["/store/utterances"][1]
    assert_no_planted(pages)


def test_search_facets_and_canned_queries(ds):
    pages = fetch(ds, [
        "/store/excerpts.json?_search=fistula&_shape=objects&_facet=gender",
        "/store/utterances.json?_search=dialysis&_shape=array",
        "/store/topic_excerpts.json?topic=impact&_shape=array",
        "/store/interview.json?interview_id=5e5e5e5e5e5e&_shape=array",
        "/store/chart_matrix.json?_shape=array",
        "/store/respondents.json?_shape=array",
    ])
    import json

    found = json.loads(pages["/store/excerpts.json?_search=fistula&_shape=objects&_facet=gender"][1])
    assert [r["text"] for r in found["rows"]] == [planted.DEID[2]]
    assert found["rows"][0]["hospital"] == "A"
    facet = found["facet_results"]["gender"]["results"]
    assert [(f["value"], f["count"]) for f in facet] == [("female", 1)]
    dialysis = json.loads(pages["/store/utterances.json?_search=dialysis&_shape=array"][1])
    assert {r["idx"] for r in dialysis} == {0, 4}
    impact = json.loads(pages["/store/topic_excerpts.json?topic=impact&_shape=array"][1])
    assert [r["text"] for r in impact] == [planted.DEID[4]]
    transcript = json.loads(pages["/store/interview.json?interview_id=5e5e5e5e5e5e&_shape=array"][1])
    assert [r["text"] for r in transcript] == planted.DEID
    (matrix,) = json.loads(pages["/store/chart_matrix.json?_shape=array"][1])
    assert "[PERSON_1]" in matrix["reasons"] and "fewer hours" in matrix["impact"]
    assert matrix["intro"] is None
    (respondent,) = json.loads(pages["/store/respondents.json?_shape=array"][1])
    assert (respondent["respondent_id"], respondent["gender"], respondent["age"]) == ("R07", "female", 58)
    assert "source_file" not in respondent


def test_hidden_tables_are_refused_in_any_spelling(ds, planted_ws):
    ws, _ = planted_ws
    hidden = hidden_tables(ws)
    assert {"interviews", "sources", "redaction_log", "redactions", "residual_candidates", "jobs",
            "provenance", "topic_corrections", "utterances_fts_data"} <= set(hidden)
    paths = [f"/store/{variant}{suffix}" for name in hidden
             for variant in (name, name.upper(), name.title())
             for suffix in ("", ".json", ".csv")]
    pages = fetch(ds, paths)
    assert {p: s for p, (s, _) in pages.items() if s not in (403, 404)} == {}
    assert_no_planted(pages)
    listing = fetch(ds, ["/store.json"])["/store.json"][1]
    assert '"sources"' not in listing and '"redaction_log"' not in listing


@pytest.mark.parametrize("path", [
    "/store?sql=select+source_file+from+interviews",
    "/store.json?sql=select+*+from+redaction_log",
    "/store.json?sql=select+1",
    "/store/utterances?_where=interview_id+in+(select+id+from+interviews+where+source_file+like+'q%25')",
    "/store/utterances.json?_where=1=1",
    "/store.db",
    "/vault", "/vault.db", "/vault/utterances", "/_internal", "/_internal/databases",
    "/_memory?sql=select+1",
])
def test_custom_sql_download_and_other_databases_are_refused(ds, path):
    (status, body), = fetch(ds, [path]).values()
    assert status in (403, 404), (status, body[:300])
    assert_no_planted({path: (status, body)})


def test_vault_is_never_given_to_datasette(ds, planted_ws):
    ws, _ = planted_ws
    paths = {db.path for db in ds.databases.values() if db.path}
    assert paths == {str(ws / "store.db")}
    assert all(db.is_mutable and not db.is_memory for db in ds.databases.values() if db.path)


def test_table_created_after_start_is_refused(tmp_path):
    ws, _ = planted.build(tmp_path / "ws")
    app = api.serve_app(ws)
    fetch(app, ["/"])
    conn = sqlite3.connect(ws / "store.db")
    conn.execute("create table later_notes (note text)")
    conn.execute("insert into later_notes values ('Quennellby again')")
    conn.commit()
    conn.close()
    pages = fetch(app, ["/store/later_notes", "/store/later_notes.json", "/store.json"])
    assert pages["/store/later_notes"][0] == 403
    assert_no_planted(pages)


def test_reads_a_store_the_pipeline_is_writing(tmp_path):
    """Read-only mode sees rows committed to the WAL by a writer that is still open."""
    ws, iid = planted.build(tmp_path / "ws")
    app = api.serve_app(ws)
    writer = sqlite3.connect(ws / "store.db")
    writer.execute("update utterances set text = 'a fresh de-identified line' where idx = 0")
    writer.commit()
    (status, body), = fetch(app, ["/store/utterances.json?_search=fresh&_shape=array"]).values()
    writer.close()
    assert status == 200 and "a fresh de-identified line" in body


def test_public_host_needs_a_password(planted_ws, monkeypatch):
    ws, _ = planted_ws
    monkeypatch.delenv(serve.PASSWORD_HASH_ENV, raising=False)
    result = run_cli(ws, "serve", "--host", "0.0.0.0", expect=1)
    assert "refusing to serve on 0.0.0.0" in result.output
    assert "interviews serve --hash-password" in result.output
    monkeypatch.setenv(serve.PASSWORD_HASH_ENV, "hunter2")
    result = run_cli(ws, "serve", "--host", "0.0.0.0", expect=1)
    assert f"{serve.PASSWORD_HASH_ENV} does not hold a password hash" in result.output


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.0.2", True),
    ("0.0.0.0", False), ("192.168.1.10", False), ("::", False), ("example.org", False),
])
def test_loopback_detection(host, loopback):
    assert serve.is_loopback(host) is loopback


def test_hash_password_prints_a_usable_hash(planted_ws):
    from click.testing import CliRunner
    from datasette_auth_passwords.utils import verify_password

    from pipeline.cli import cli

    result = CliRunner().invoke(cli, ["-w", str(planted_ws[0]), "serve", "--hash-password"],
                                input="s3cret pass\ns3cret pass\n")
    assert result.exit_code == 0, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith(f"export {serve.PASSWORD_HASH_ENV}='pbkdf2_sha256$")
    assert verify_password("s3cret pass", line.split("'")[1])
    assert not verify_password("wrong", line.split("'")[1])


def test_with_a_password_everything_needs_login(planted_ws, monkeypatch):
    ws, _ = planted_ws
    password_hash = serve.hash_password("s3cret pass")
    monkeypatch.setenv(serve.PASSWORD_HASH_ENV, password_hash)
    app = api.serve_app(ws, login_required=True)
    anonymous = fetch(app, ANALYST_PAGES[:-5] + ["/-/login"])
    shown = fetch(app, ["/-/metadata.json", "/-/plugins.json"])
    assert not [p for p, (_, body) in shown.items() if password_hash.split("$")[-1] in body]
    assert {p: s for p, (s, _) in anonymous.items() if s != 403} == {"/-/login": 200}
    assert_no_planted(anonymous)
    cookies = {"ds_actor": app.sign({"a": {"id": "analyst"}}, "actor")}
    logged_in = fetch(app, ["/store/utterances", "/store/chart_matrix",
                            "/store?sql=select+1", "/store/interviews"], cookies=cookies)
    assert [s for s, _ in logged_in.values()] == [200, 200, 403, 403]


def test_login_form_accepts_the_password(planted_ws, monkeypatch):
    ws, _ = planted_ws
    monkeypatch.setenv(serve.PASSWORD_HASH_ENV, serve.hash_password("s3cret pass"))
    app = api.serve_app(ws, login_required=True)

    async def login(password):
        await app.invoke_startup()
        form = await app.client.get("/-/login")
        token = form.cookies.get("ds_csrftoken")
        response = await app.client.post(
            "/-/login", data={"username": "analyst", "password": password, "csrftoken": token},
            cookies={"ds_csrftoken": token})
        return response

    good = asyncio.run(login("s3cret pass"))
    assert good.status_code == 302 and "ds_actor" in good.cookies
    bad = asyncio.run(login("nope"))
    assert bad.status_code == 200 and "Invalid username or password" in bad.text
