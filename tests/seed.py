"""A small analyst store without speech recognition: interviews written the way the coordinator
writes them (raw text in the vault, de-identified text and topics in the store)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.segment import segments_of
from pipeline.store import DONE, Store
from pipeline.transcribe import Transcript, Utterance
from pipeline.vault import Vault

# (speaker, start, end, raw text, de-identified text, topic)
STEREO = [
    ("interviewer", 0.5, 3.2, "Hello, is that Margaret Okafor?", "Hello, is that [PERSON_1]?",
     "intro"),
    ("respondent", 3.6, 5.0, "Yes, speaking.", "Yes, speaking.", "intro"),
    ("interviewer", 6.0, 9.5, "Why did you start going to the group?",
     "Why did you start going to the group?", "reasons"),
    ("respondent", 10.0, 15.25, "After dialysis at Coldharbour Lane I felt alone & <lost>.",
     "After dialysis at [LOCATION_1] I felt alone & <lost>.", "reasons"),
    ("interviewer", 3661.0, 3663.0, "Thank you so much.", "Thank you so much.", "closing"),
]
PLANTED = ["Margaret", "Okafor", "Coldharbour"]


def seed_interview(ws: Path, rows=STEREO, *, name: str = "okafor_margaret.wav",
                   metadata: dict | None = None, respondent_id: str | None = "R01",
                   status: str = DONE) -> str:
    """Add one finished interview; returns its id. The file name carries a planted name too."""
    sha = hashlib.sha256(name.encode() + repr(rows).encode()).hexdigest()
    iid = sha[:12]
    meta = {"gender": "female", "age": 58, "hospital": "A", "status": "patient"}
    if metadata is not None:
        meta = metadata
    with Store(ws / "store.db") as store, Vault(ws / "vault" / "vault.db") as vault:
        store.add_recording(sha256=sha, interview_id=iid, path=name, size=1, mtime_ns=1,
                            metadata=meta, respondent_id=respondent_id, sidecar_sha256=None,
                            audio={"duration": rows[-1][2]}, error=None)
        vault.save_transcript(iid, sha, Transcript(
            [Utterance(s, None, a, b, raw) for s, a, b, raw, _, _ in rows],
            rows[-1][2], rows[-1][2], "en", {}, "test", 0.0), "test")
        store.save_deidentified(
            iid, pass_no=1, config_sha256="test",
            utterances=[{"speaker": s, "start": a, "end": b, "text": deid}
                        for s, a, b, _, deid, _ in rows],
            log=[], residual=[], provenance={}, status=status)
        tuples = [(s, a, b, deid) for s, a, b, _, deid, _ in rows]
        topics = [t for *_, t in rows]
        store.save_segments(
            iid, topics=[(t, 0.9) for t in topics],
            segments=[{"topic": g.topic, "first_utterance": g.first, "last_utterance": g.last,
                       "start": g.start, "end": g.end, "confidence": g.confidence,
                       "source": "auto"}
                      for g in segments_of(tuples, topics, [0.9] * len(topics))],
            fingerprint="test", provenance={})
    return iid
