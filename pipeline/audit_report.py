"""The ethics reviewers' report: ``interviews audit report --out FILE``.

One standalone HTML file (inline CSS, no scripts, no external assets) built from the analyst
store: per interview, redaction counts by type, each redaction in its de-identified context (the
tag, never the original), its score and recognizer, the review decisions, the residual-risk list
and the redacted-audio verdict; then the log's head hash and the hash-chain verification. Only
with ``identifiable`` are the originals added, read from the vault (each interview's read is
logged) and the file made owner-only.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import jinja2

from . import audit, review
from .store import Store
from .vault import Vault

TEMPLATE = "audit_report.html"
CONTEXT_CHARS = 40


@dataclass
class RedactionRow:
    id: int
    utterance: int
    entity_type: str
    replacement: str
    score: float | None
    recognizer: str
    recognizer_version: str | None
    before: str
    """De-identified text just before the tag."""
    after: str
    original: str | None = None
    """Only in an identifiable report."""


@dataclass
class InterviewReport:
    interview_id: str
    respondent_id: str | None
    status: str
    deid_pass: int | None
    counts: dict[str, int]
    redactions: list[RedactionRow]
    decisions: list[dict]
    residual: list[review.ResidualItem]
    audio: dict | None
    """The latest audio_check row's details, with its verdict under ``status``."""


@dataclass
class Report:
    generated: str
    head: str
    verification: audit.Verification
    expected_head: str | None
    identifiable: bool
    interviews: list[InterviewReport] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        total: Counter = Counter()
        for i in self.interviews:
            total.update(i.counts)
        return dict(sorted(total.items()))


def _latest_audio_check(store: Store, interview_id: str) -> dict | None:
    rows = list(store.db.query(
        "select review_status, reason from redaction_log where interview_id = ? "
        "and kind = 'audio_check' order by id desc limit 1", [interview_id]))
    if not rows:
        return None
    return {"status": rows[0]["review_status"], **json.loads(rows[0]["reason"] or "{}")}


def _interview(store: Store, interview: dict, originals: dict[int, str] | None) -> InterviewReport:
    iid = interview["id"]
    texts = {u["idx"]: u["text"] for u in store.utterances(iid)}
    redactions = []
    for r in store.current_redactions(iid):
        text = texts.get(r["utterance_idx"], "")
        start, end = r["deid_start"], r["deid_end"]
        redactions.append(RedactionRow(
            id=r["id"], utterance=r["utterance_idx"], entity_type=r["entity_type"],
            replacement=r["replacement"], score=r["score"], recognizer=r["recognizer"],
            recognizer_version=r["recognizer_version"],
            before=("…" if start > CONTEXT_CHARS else "") + text[max(0, start - CONTEXT_CHARS):start],
            after=text[end:end + CONTEXT_CHARS] + ("…" if len(text) > end + CONTEXT_CHARS else ""),
            original=originals.get(r["id"]) if originals is not None else None,
        ))
    decisions = []
    for d in store.review_decisions(iid):
        row = {k: d[k] for k in ("id", "kind", "target", "utterance_idx", "entity_type",
                                 "reviewer", "reason", "created")}
        if originals is not None:
            # An undo's original is its target's; an added span's is stored under its own id.
            row["original"] = originals.get(d["target"] if d["kind"] == "undo" else d["id"])
        decisions.append(row)
    return InterviewReport(
        interview_id=iid, respondent_id=interview["respondent_id"],
        status=store.job(iid).status, deid_pass=interview["deid_pass"],
        counts=dict(sorted(Counter(r.entity_type for r in redactions).items())),
        redactions=redactions, decisions=decisions,
        residual=review.residual(store, iid) if interview["deid_pass"] else [],
        audio=_latest_audio_check(store, iid),
    )


def build(store: Store, vault: Vault | None = None, reason: str = "",
          expect: str | None = None) -> Report:
    """Gather the report; with a vault, each interview's originals are read (and logged)."""
    rows = store.log_rows()
    report = Report(
        generated=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        head=rows[-1]["hash"] if rows else audit.GENESIS,
        verification=audit.verify(rows, expect), expected_head=expect,
        identifiable=vault is not None)
    for interview in store.interviews():
        if not interview["deid_pass"]:
            continue
        originals = vault.read_originals(interview["id"], reason) if vault else None
        report.interviews.append(_interview(store, interview, originals))
    return report


def render(report: Report) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template(TEMPLATE).render(report=report)


def write(path: Path, page: str, private: bool) -> None:
    """Write atomically; an identifiable report is owner-only from the moment it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    if not private:
        os.fchmod(fd, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, path)
