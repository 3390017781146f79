"""Measures shared by the benchmarks and the tests: word error rate, speaker coverage, whether
an identifier is still present in a text (as ASR might spell it), and a spoken script as the
utterances a stereo or mono recording of it would give; and a pipeline setting given on a bench
script's command line."""

from __future__ import annotations

import re

import jiwer
import numpy as np
import yaml
from rapidfuzz import fuzz

CLEAN = jiwer.Compose(
    [jiwer.ToLowerCase(), jiwer.RemovePunctuation(), jiwer.RemoveMultipleSpaces(), jiwer.Strip(),
     jiwer.ReduceToListOfListOfWords()]
)


def wer(ref: str, hyp: str) -> float:
    return jiwer.wer(ref, hyp, reference_transform=CLEAN, hypothesis_transform=CLEAN)


def coverage(utterances, turns, step=0.01) -> float:
    """Share of true speech time covered by utterances of the right speaker and of no other."""
    n = int(max(t["end"] for t in turns) / step) + 2
    covered = {s: np.zeros(n, bool) for s in ("interviewer", "respondent")}
    for u in utterances:
        if u["speaker"] in covered:
            covered[u["speaker"]][int(u["start"] / step) : int(u["end"] / step)] = True
    good = total = 0
    for t in turns:
        a, b = int(t["start"] / step), int(t["end"] / step)
        other = "respondent" if t["speaker"] == "interviewer" else "interviewer"
        good += np.sum(covered[t["speaker"]][a:b] & ~covered[other][a:b])
        total += b - a
    return good / total


def voice_coverage(utterances, turns) -> float:
    """:func:`coverage` of a mono recording told apart by voice: ``speaker_1`` and ``speaker_2``
    read as interviewer and respondent in whichever order covers more."""
    orders = ({"speaker_1": "interviewer", "speaker_2": "respondent"},
              {"speaker_1": "respondent", "speaker_2": "interviewer"})
    return max(coverage([{**u, "speaker": o.get(u["speaker"], u["speaker"])} for u in utterances],
                        turns) for o in orders)


def _grams(text: str, n: int) -> list[str]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


def present(term: str, text: str, kind: str = "", allowed: int = 0) -> bool:
    """Is ``term`` in ``text`` more than ``allowed`` times, exactly or as ASR might spell it (or,
    for numbers, its digits)? ``allowed`` counts uses that must stay, such as "a lot of faith"
    in an interview where Faith is also a name."""
    digits = re.sub(r"\D", "", term)
    if kind in ("PHONE", "NHS_NUMBER", "POSTCODE", "DATE") and len(digits) >= 4:
        if digits in re.sub(r"\D", "", text):
            return True
    target = " ".join(re.findall(r"[a-z0-9']+", term.lower()))
    grams = _grams(text, len(target.split()) or 1)
    return sum(fuzz.ratio(g, target) >= 85 for g in grams) > allowed


def script_utterances(turns: list[dict], layout: str) -> list[tuple[str, float, float, str]]:
    """The spoken script as utterances: per turn (stereo) or per sentence, speaker unknown (mono,
    like ASR segments), each sentence given a share of its turn's time by its length."""
    if layout == "stereo":
        return [(t["speaker"], t["start"], t["end"], t["text"]) for t in turns]
    out = []
    for t in turns:
        sentences = [s for s in re.split(r"(?<=[.?!])\s+", t["text"]) if s.strip()]
        size, a = sum(map(len, sentences)), t["start"]
        for s in sentences:
            b = a + (t["end"] - t["start"]) * len(s) / size
            out.append(("unknown", a, b, s))
            a = b
    return out


def apply_setting(settings: dict, item: str) -> None:
    """Put ``KEY=VALUE`` (a dotted key, a YAML value: ``transcribe.vad.word_chunk=middle``) into
    the nested ``settings`` of a workspace's pipeline.yaml."""
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise SystemExit(f"{item}: expected KEY=VALUE, e.g. transcribe.beam_size=1")
    *parents, leaf = key.split(".")
    node = settings
    for name in parents:
        node = node.setdefault(name, {})
    node[leaf] = yaml.safe_load(value)
