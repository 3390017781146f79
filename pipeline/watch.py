"""``interviews watch``: keep processing the drop folder as recordings arrive, until stopped.

watchdog reports file-system events; they only mark the folder as changed. The coordinator's own
stability check decides when a file is complete, so a recording being copied in over a slow
network share is picked up once it has stopped changing, and a bad file only fails itself.
"""

from __future__ import annotations

import logging
import threading

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from . import executors
from .config import Config
from .coordinator import Coordinator, RunError, RunSummary, workspace_lock
from .workspace import Workspace

log = logging.getLogger(__name__)


class _Changed(FileSystemEventHandler):
    def __init__(self, event: threading.Event):
        self.event = event

    def on_any_event(self, event) -> None:
        self.event.set()


def watch(
    ws: Workspace,
    config: Config | None = None,
    progress_factory=None,
    on_summary=None,
    stop: threading.Event | None = None,
) -> None:
    """Process what is there, then whatever arrives, until ``stop`` is set (or Ctrl-C)."""
    config = config or ws.load_config()
    stop = stop or threading.Event()
    changed = threading.Event()
    changed.set()
    # Re-check at least this often: a file that was still being copied becomes stable without
    # producing another file-system event.
    tick = max(0.5, config.ingest.stable_seconds / 2)
    observer = Observer()
    observer.schedule(_Changed(changed), str(ws.recordings), recursive=True)
    observer.start()
    # One cluster (or pool settings) for the whole watch, started when the first work arrives.
    executor = executors.Lazy(config, ws.root)
    try:
        with workspace_lock(ws):
            waiting = False
            while not stop.is_set():
                if changed.is_set() or waiting:
                    changed.clear()
                    try:
                        summary = _one_pass(ws, config, progress_factory, executor)
                    except RunError as e:
                        log.error("%s", e)
                        changed.set()
                        stop.wait(tick)
                        continue
                    waiting = bool(summary.waiting)
                    if on_summary and (summary.new or summary.processed or summary.deidentified
                                       or summary.failed):
                        on_summary(summary)
                stop.wait(tick)
    finally:
        observer.stop()
        observer.join()
        executor.close()


def _one_pass(ws: Workspace, config: Config, progress_factory, executor) -> RunSummary:
    progress = progress_factory() if progress_factory else None
    coordinator = Coordinator(ws, config, progress, executor)
    try:
        if progress:
            with progress:
                return coordinator.run(wait=False)
        return coordinator.run(wait=False)
    finally:
        coordinator.close()
