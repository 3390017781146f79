"""The Python API. The CLI, the tests and the benchmark all drive the pipeline through these.

Example::

    import pipeline
    summary = pipeline.run("my-study")
    pipeline.export("my-study", "exports", identifiable=True)
"""

from __future__ import annotations

import json
from pathlib import Path

from . import audit, coordinator, models, review
from . import export as export_mod
from . import watch as watch_mod
from . import workspace as workspace_mod
from .coordinator import RunSummary
from .store import FAILED, Job, Store
from .vault import Vault, os_user


def init(directory: str | Path) -> workspace_mod.Workspace:
    """Create (or complete) a workspace."""
    return workspace_mod.init(directory)


def run(
    workspace: str | Path = ".", overrides: dict | None = None, progress=None, wait: bool = True
) -> RunSummary:
    """Process every pending recording; ``overrides`` replace configuration keys for this run."""
    ws = workspace_mod.open_workspace(workspace)
    return coordinator.run(ws, ws.load_config(overrides), progress, wait)


def watch(workspace: str | Path = ".", overrides: dict | None = None, **kwargs) -> None:
    """Process recordings as they arrive until stopped; see :func:`pipeline.watch.watch`."""
    ws = workspace_mod.open_workspace(workspace)
    watch_mod.watch(ws, ws.load_config(overrides), **kwargs)


def _store(workspace) -> Store:
    return Store(workspace_mod.open_workspace(workspace).store_path)


def status(workspace: str | Path = ".") -> list[Job]:
    with _store(workspace) as store:
        return store.jobs()


def provenance(workspace: str | Path, interview_id: str) -> list[dict]:
    """What produced each stage's output for an interview: model, settings, versions, time."""
    with _store(workspace) as store:
        return store.provenance(interview_id)


def counts(workspace: str | Path = ".") -> dict[str, int]:
    totals: dict[str, int] = {}
    for job in status(workspace):
        totals[job.status] = totals.get(job.status, 0) + 1
    return totals


def retry(workspace: str | Path, interview_ids: list[str], all_failed: bool = False) -> list[str]:
    """Re-queue failed recordings; returns the ids queued."""
    with _store(workspace) as store:
        ids = list(interview_ids)
        if all_failed:
            ids += [j.interview_id for j in store.jobs(FAILED) if j.interview_id not in ids]
        for iid in ids:
            store.retry(iid)
        return ids


def export(
    workspace: str | Path, out: str | Path, fmt: str = "json", identifiable: bool = False
) -> list[Path]:
    """Export every interview with final text: ``json`` (one file each) or ``qdpx`` (one REFI-QDA
    project). ``identifiable`` (json only) reads the raw transcript from the vault, logged."""
    ws = workspace_mod.open_workspace(workspace)
    if fmt == "qdpx":
        return [export_qdpx(ws, Path(out), identifiable)]
    if fmt != "json":
        raise export_mod.ExportError(f"unknown export format {fmt!r}; use 'json' or 'qdpx'")
    return export_mod.export_json(ws, Path(out), identifiable=identifiable)


def export_qdpx(ws: workspace_mod.Workspace, out: Path, identifiable: bool = False) -> Path:
    from . import qdpx
    from . import segment as segment_mod

    if identifiable:
        # A QDA project is shared among analysts and coded for months: it must never hold raw text.
        raise export_mod.ExportError(
            "a REFI-QDA project holds de-identified text only; leave out --identifiable, or use "
            "'export --format json --identifiable' for the raw transcripts")
    try:
        guide = segment_mod.Guide.load(ws.guide_path)
    except segment_mod.GuideError as e:
        raise export_mod.ExportError(f"the interview guide cannot be used: {e}") from e
    with Store(ws.store_path) as store:
        return qdpx.export_qdpx(store, guide, out, ws.root.name, os_user(),
                                f"interview-pipeline {coordinator.package_version()}")


def load_config(workspace: str | Path = ".", overrides: dict | None = None):
    """The resolved configuration of a workspace."""
    return workspace_mod.open_workspace(workspace).load_config(overrides)


def default_config() -> str:
    """The shipped default configuration file, with its comments."""
    from .config import default_text

    return default_text()


def model_paths(workspace: str | Path = ".") -> dict[str, str]:
    """Where each model is found, or why it is not."""
    ws = workspace_mod.open_workspace(workspace)
    configured = ws.load_config().transcribe.model
    result = {}
    for name in dict.fromkeys(["base", "tiny.en", configured]):
        try:
            result[name] = str(models.resolve(name, ws.root))
        except models.ModelError as e:
            result[name] = f"not available ({e})"
    result["configured"] = configured
    return result


# -- review and audit ----------------------------------------------------------------------------


def redactions(workspace: str | Path, interview_id: str) -> list[dict]:
    """The interview's current redactions (log rows: tags and offsets, no original text)."""
    with _store(workspace) as store:
        review.require_interview(store, interview_id)
        return list(store.db.query(
            "select * from redactions where interview_id = ? order by id", [interview_id]))


def analyst_utterances(workspace: str | Path, interview_id: str) -> list[dict]:
    """The de-identified utterances of an interview, from the analyst store."""
    with _store(workspace) as store:
        return store.utterances(interview_id)


def originals(workspace: str | Path, interview_id: str, reason: str) -> dict[int, str]:
    """Original text of each redacted span, by log id, from the vault (the read is logged)."""
    with Vault(workspace_mod.open_workspace(workspace).vault_path) as vault:
        return vault.read_originals(interview_id, reason)


def residual(workspace: str | Path, interview_id: str | None = None) -> list[review.ResidualItem]:
    with _store(workspace) as store:
        ids = [interview_id] if interview_id else [i["id"] for i in store.interviews()]
        for iid in ids:
            review.require_interview(store, iid)
        return [item for iid in ids for item in review.residual(store, iid)]


def topic_review(workspace: str | Path,
                 interview_id: str | None = None) -> list[review.SegmentToCheck]:
    """Automatic topic segments of all interviews (or one), least confident first."""
    with _store(workspace) as store:
        ids = [interview_id] if interview_id else [i["id"] for i in store.interviews()]
        for iid in ids:
            review.require_interview(store, iid)
        items = [item for iid in ids for item in review.segments_to_check(store, iid)]
        return sorted(items, key=lambda s: s.confidence)


def _decide(workspace, build, originals: dict | None = None) -> int:
    """Append a review decision, then re-derive the interview's analyst text and redacted audio
    at once."""
    ws = workspace_mod.open_workspace(workspace)
    config = ws.load_config()
    with coordinator.workspace_lock(ws):
        c = coordinator.Coordinator(ws, config)
        try:
            row = build(c.store)
            if c.store.job(row["interview_id"]).status not in ("done", "deidentified",
                                                                "transcribed"):
                raise review.ReviewError(
                    f"interview {row['interview_id']} has not been de-identified yet")
            log_id = c.store.append_review(row)
            if originals is not None:
                c.vault.save_originals(row["interview_id"], {log_id: originals})
            summary = coordinator.RunSummary()
            c.deidentify(summary)
            try:
                # The new text needs its topics back before the transcript files are rewritten.
                c.segment(summary)
            finally:
                c.write_transcripts(summary)
            c.redact_audio(summary)
            return log_id
        finally:
            c.close()


def review_undo(workspace: str | Path, log_id: int, reason: str, reviewer: str | None = None) -> int:
    """Undo a redaction (it was wrong); returns the decision's log id."""
    return _decide(workspace, lambda store: review.undo_row(store, log_id, reviewer or os_user(),
                                                            reason))


def review_add(
    workspace: str | Path, interview_id: str, utterance: int, text: str, entity_type: str,
    reason: str, reviewer: str | None = None, occurrence: int = 1,
) -> int:
    """Redact a span the recognizers missed; returns the decision's log id."""
    return _decide(
        workspace,
        lambda store: review.add_row(store, interview_id, utterance, text, entity_type,
                                     reviewer or os_user(), reason, occurrence),
        originals=text,
    )


def audit_verify(workspace: str | Path = ".", expect: str | None = None) -> audit.Verification:
    with _store(workspace) as store:
        return audit.verify(store.log_rows(), expect)


def audio_checks(workspace: str | Path = ".") -> list[dict]:
    """The latest verification of each interview's redacted audio copy."""
    with _store(workspace) as store:
        rows = store.db.query(
            "select interview_id, review_status, reason from redaction_log where id in "
            "(select max(id) from redaction_log where kind = 'audio_check' group by interview_id) "
            "order by interview_id"
        )
        return [{"interview_id": r["interview_id"], "status": r["review_status"],
                 **json.loads(r["reason"])} for r in rows]


def audit_head(workspace: str | Path = ".") -> str:
    """Hash of the last log row, for reviewers to keep outside the system."""
    with _store(workspace) as store:
        rows = store.log_rows()
        return rows[-1]["hash"] if rows else audit.GENESIS


# -- topics and the framework matrix -----------------------------------------------------------


def chart(workspace: str | Path, out: str | Path, formats=("csv", "xlsx", "html")) -> list[Path]:
    """Write the framework matrix (respondents x guide topics) as CSV, XLSX and HTML."""
    from . import chart as chart_mod
    from . import segment as segment_mod

    ws = workspace_mod.open_workspace(workspace)
    with Store(ws.store_path) as store:
        guide = segment_mod.Guide.load(ws.guide_path)
        return chart_mod.write_chart(store, guide, Path(out), formats)


def set_topic(
    workspace: str | Path, interview_id: str, first: int, last: int, topic: str, reason: str,
    analyst: str | None = None,
) -> int:
    """Correct the topic of utterances first..last; kept with who and why, and over re-runs."""
    from . import segment as segment_mod

    ws = workspace_mod.open_workspace(workspace)
    config = ws.load_config()
    with coordinator.workspace_lock(ws):
        c = coordinator.Coordinator(ws, config)
        try:
            ids = [t.id for t in segment_mod.Guide.load(ws.guide_path).topics]
            if topic not in ids:
                raise review.ReviewError(f"unknown topic {topic!r}: use one of {', '.join(ids)}")
            count = len(c.store.utterances(interview_id))
            if not 0 <= first <= last < count:
                raise review.ReviewError(
                    f"interview {interview_id} has utterances 0 to {count - 1}")
            correction = c.store.add_topic_correction({
                "interview_id": interview_id, "first_utterance": first, "last_utterance": last,
                "topic": topic, "analyst": analyst or os_user(), "reason": reason})
            summary = coordinator.RunSummary()
            c.segment(summary)
            c.write_transcripts(summary)
            return correction
        finally:
            c.close()


# -- browsing and reporting ----------------------------------------------------------------------


def audit_report(
    workspace: str | Path, out: str | Path, identifiable: bool = False, expect: str | None = None,
):
    """Write the ethics reviewers' HTML report; ``identifiable`` adds the originals (a logged
    vault read per interview) and makes the file owner-only. Returns the report's data."""
    import contextlib

    from . import audit_report as report_mod

    ws = workspace_mod.open_workspace(workspace)
    out = Path(out)
    with Store(ws.store_path) as store, contextlib.ExitStack() as stack:
        vault = stack.enter_context(Vault(ws.vault_path)) if identifiable else None
        report = report_mod.build(store, vault, f"audit report --identifiable to {out}", expect)
        report_mod.write(out, report_mod.render(report), private=identifiable)
    return report


def serve_app(workspace: str | Path = ".", login_required: bool = False):
    """The Datasette instance ``interviews serve`` runs (for tests and notebooks)."""
    from . import serve as serve_mod

    ws = workspace_mod.open_workspace(workspace)
    with Store(ws.store_path):
        pass  # brings the schema (and its browsing views) up to date before serving read-only
    return serve_mod.datasette_app(ws.store_path, _guide(ws), login_required)


def serve(workspace: str | Path = ".", host: str = "127.0.0.1", port: int = 8001,
          user: str = "analyst", on_ready=None) -> None:
    """Serve the analyst store (only) in Datasette until interrupted; see :mod:`pipeline.serve`."""
    from . import serve as serve_mod

    ws = workspace_mod.open_workspace(workspace)
    with Store(ws.store_path):
        pass  # brings the schema (and its browsing views) up to date before serving read-only
    serve_mod.serve(ws.store_path, _guide(ws), host, port, user, on_ready)


def _guide(ws):
    from . import segment as segment_mod
    from .serve import ServeError

    try:
        return segment_mod.Guide.load(ws.guide_path)
    except segment_mod.GuideError as e:
        raise ServeError(str(e)) from None
