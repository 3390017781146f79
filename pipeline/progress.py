"""Progress display for long runs: recordings done and audio minutes transcribed, on stderr."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class RichProgress:
    """Receives the coordinator's progress calls and draws a bar (only on a terminal)."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("[bold]transcribing"),
            BarColumn(),
            TextColumn("{task.fields[recordings]}"),
            TextColumn("{task.fields[minutes]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._task = None
        self._count = 0
        self._done = 0
        self._total = 0.0

    def __enter__(self):
        self._progress.start()
        return self

    def __exit__(self, *exc):
        self._progress.stop()

    def _fields(self, seconds: float) -> dict:
        return {
            "recordings": f"{self._done}/{self._count} recordings",
            "minutes": f"{seconds / 60:.1f}/{self._total / 60:.1f} audio min",
        }

    def begin(self, total_seconds: float, count: int) -> None:
        self._count, self._total, self._done = count, total_seconds, 0
        self._task = self._progress.add_task("", total=total_seconds or None, **self._fields(0))

    def advance_to(self, seconds: float) -> None:
        self._progress.update(self._task, completed=seconds, **self._fields(seconds))

    def recording_done(self, seconds: float) -> None:
        self._done += 1
        self.advance_to(seconds)
