"""Browsing the analyst store in Datasette: ``interviews serve``.

Only ``store.db`` is served (the vault is never given to Datasette), read-only, and only the tables
and views in :data:`ANALYST_TABLES`: de-identified text, topics, segments, respondent attributes
and the framework matrix. Everything else in the store (file names, hashes, job state, the
redaction log and its review reasons, which are for ethics reviewers) is denied twice: by
Datasette's own ``allow`` blocks in the metadata built here, and by a small permission plugin that
refuses any table not on the list, including ones created after the server started. Custom SQL
(``?sql=``, ``_where=``) is refused for everyone, since SQL could read any table; analysts get
canned queries instead. Listening beyond loopback requires a password
(datasette-auth-passwords), and then every page requires logging in.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from .segment import Guide
from .store import RESPONDENT_ATTRIBUTES

DATABASE = "store"
PASSWORD_HASH_ENV = "INTERVIEWS_SERVE_PASSWORD_HASH"
"""Environment variable holding the password hash (from ``interviews serve --hash-password``)."""
GUARD = "interviews-guard"

ANALYST_TABLES: dict[str, str] = {
    "utterances": "De-identified utterances, in order, with their interview-guide topic. "
                  "Full-text search over the text.",
    "excerpts": "Every de-identified utterance with the respondent's attributes, for faceting "
                "by topic, speaker and attribute. Full-text search over the text.",
    "respondents": "One row per de-identified interview: the respondent's attributes (from the "
                   "sidecar), duration and the verdict on the redacted audio copy.",
    "segments": "Contiguous runs of one topic in each interview.",
    "chart": "The framework matrix in long form: a respondent's de-identified words on a topic.",
}
"""Tables and views analysts may read. Everything else in store.db is refused (see the module
docstring and docs/schema.md)."""


class ServeError(Exception):
    """The server cannot be started as asked; the message says why and what to do."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        # A host name other than localhost may resolve to anything: treat it as public.
        return False


def password_hash() -> str | None:
    """The configured password hash, checked for the form datasette-auth-passwords needs."""
    value = os.environ.get(PASSWORD_HASH_ENV, "").strip()
    if not value:
        return None
    if not value.startswith("pbkdf2_sha256$") or value.count("$") != 3:
        raise ServeError(
            f"{PASSWORD_HASH_ENV} does not hold a password hash; make one with "
            "'interviews serve --hash-password' and set the variable to what it prints"
        )
    return value


def hash_password(password: str) -> str:
    from datasette_auth_passwords.utils import hash_password as _hash

    return _hash(password)


def _chart_sql(topics: list[str]) -> str:
    def ident(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def literal(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    cells = ",\n  ".join(
        f"max(case when topic = {literal(t)} then excerpts end) as {ident(t)}" for t in topics)
    return (f"select interview_id, respondent_id, metadata,\n  {cells}\n"
            "from chart group by interview_id order by respondent_id, interview_id")


def metadata(existing_tables: list[str], guide: Guide, login_required: bool,
             user: str = "analyst") -> dict:
    """Datasette metadata: allowed tables with their facets and search, canned queries, and an
    explicit denial for every other table present."""
    allow: bool | dict = {"id": "*"} if login_required else True
    facet_attributes = ["gender", "status", "hospital"]
    search = {"fts_table": "utterances_fts", "fts_pk": "utterance_rowid"}
    tables: dict[str, dict] = {
        "utterances": {"facets": ["topic", "speaker"]},
        "excerpts": {"facets": ["topic", "speaker", *facet_attributes], **search},
        "respondents": {"facets": list(RESPONDENT_ATTRIBUTES)},
        "segments": {"facets": ["topic", "source"]},
        "chart": {"facets": ["topic"]},
    }
    for name, config in tables.items():
        config.update(description=ANALYST_TABLES[name], allow=allow)
    allowed = {t.lower() for t in ANALYST_TABLES}
    for name in existing_tables:
        if name.lower() not in allowed:
            tables[name] = {"allow": False, "hidden": True}
    topics = [t.id for t in guide.topics]
    topic_list = ", ".join(topics)
    queries = {
        "topic_excerpts": {
            "title": "Every excerpt on a topic",
            "description": f"What respondents said on one interview-guide topic ({topic_list}).",
            "sql": "select interview_id, respondent_id, idx, start, text from excerpts "
                   "where topic = :topic and speaker != 'interviewer' "
                   "order by respondent_id, interview_id, idx",
        },
        "interview": {
            "title": "One interview in order",
            "description": "The de-identified transcript of one interview, utterance by utterance.",
            "sql": "select idx, speaker, start, \"end\", topic, text from utterances "
                   "where interview_id = :interview_id order by idx",
        },
        "chart_matrix": {
            "title": "The framework matrix",
            "description": "A row per respondent, a column per interview-guide topic.",
            "sql": _chart_sql(topics),
        },
    }
    for query in queries.values():
        query["allow"] = allow
    plugins: dict = {GUARD: {"database": DATABASE, "tables": sorted(ANALYST_TABLES),
                             "login_required": login_required}}
    if login_required:
        plugins["datasette-auth-passwords"] = {
            f"{user}_password_hash": {"$env": PASSWORD_HASH_ENV}}
    return {
        "title": "Interviews: analyst store",
        "description": "De-identified transcripts. Identifiable data is not served.",
        "allow": allow,
        "plugins": plugins,
        "databases": {DATABASE: {"allow": allow, "allow_sql": False, "tables": tables,
                                 "queries": queries}},
    }


def _register_guard() -> None:
    from datasette.plugins import pm

    from . import serve_guard

    if not pm.is_registered(serve_guard):
        pm.register(serve_guard, name=GUARD)


def datasette_app(store_path: Path, guide: Guide, login_required: bool = False,
                  user: str = "analyst"):
    """A Datasette instance serving ``store_path`` read-only with the analyst permissions."""
    import sqlite3

    from datasette.app import Datasette

    store_path = Path(store_path)
    if not store_path.exists() or store_path.stem != DATABASE:
        raise ServeError(f"{store_path} is not an analyst store: run 'interviews run' first")
    # Read the table names read-only: serving must never write to the store.
    conn = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute(
            "select name from sqlite_master where type in ('table', 'view')")]
    finally:
        conn.close()
    _register_guard()
    return Datasette(
        # A mutable database is opened with mode=ro: it sees the pipeline's new rows through the
        # WAL, and Datasette refuses to offer it for download (immutable files can be).
        files=[str(store_path)],
        metadata=metadata(names, guide, login_required, user),
        settings={"default_allow_sql": False, "allow_download": False, "suggest_facets": False},
    )


def serve(store_path: Path, guide: Guide, host: str = "127.0.0.1", port: int = 8001,
          user: str = "analyst", on_ready=None) -> None:
    """Run Datasette until interrupted. Non-loopback hosts need a password hash in the
    environment (:data:`PASSWORD_HASH_ENV`)."""
    import asyncio

    import uvicorn

    login_required = password_hash() is not None
    if not is_loopback(host) and not login_required:
        raise ServeError(
            f"refusing to serve on {host}: anyone who can reach it could read the store. Serve on "
            f"127.0.0.1, or set a password first: run 'interviews serve --hash-password' and "
            f"export {PASSWORD_HASH_ENV}=<the hash it prints>"
        )
    ds = datasette_app(store_path, guide, login_required, user)
    asyncio.run(ds.invoke_startup())
    if on_ready:
        on_ready(f"http://{host}:{port}/", login_required)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
