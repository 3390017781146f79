"""The Python API. The CLI, the tests and the benchmark all drive the pipeline through these.

Example::

    import pipeline
    summary = pipeline.run("my-study")
    pipeline.export("my-study", "exports", identifiable=True)
"""

from __future__ import annotations

from pathlib import Path

from . import coordinator, models
from . import export as export_mod
from . import watch as watch_mod
from . import workspace as workspace_mod
from .coordinator import RunSummary
from .store import FAILED, Job, Store


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
    store = _store(workspace)
    try:
        return store.jobs()
    finally:
        store.close()


def counts(workspace: str | Path = ".") -> dict[str, int]:
    totals: dict[str, int] = {}
    for job in status(workspace):
        totals[job.status] = totals.get(job.status, 0) + 1
    return totals


def retry(workspace: str | Path, interview_ids: list[str], all_failed: bool = False) -> list[str]:
    """Re-queue failed recordings; returns the ids queued."""
    store = _store(workspace)
    try:
        ids = list(interview_ids)
        if all_failed:
            ids += [j.interview_id for j in store.jobs(FAILED) if j.interview_id not in ids]
        for iid in ids:
            store.retry(iid)
        return ids
    finally:
        store.close()


def export(
    workspace: str | Path, out: str | Path, fmt: str = "json", identifiable: bool = False
) -> list[Path]:
    ws = workspace_mod.open_workspace(workspace)
    if fmt != "json":
        raise export_mod.ExportError(f"unknown export format {fmt!r}; use 'json'")
    return export_mod.export_json(ws, Path(out), identifiable=identifiable)


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
