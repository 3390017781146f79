"""The de-identification engine end to end: spaCy + Presidio + our recognizers on interview text.

The model loads once per module (module-scoped fixtures). Recognizer-level tables are in
test_deidentify_recognizers.py, spoken-number reading in test_deidentify_spoken.py.
"""

import json
import os
import time
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from pipeline import config
from pipeline.deidentify import Deidentifier, DeidentifyError, Span, age_replacement
from pipeline.deidentify.lists import default_lists_dir

from .conftest import shared_file

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "deid_fixtures"
LISTS = FIXTURES / "lists"


def options(**changes):
    return config.load(overrides={"deidentify": changes} if changes else None).deidentify


@pytest.fixture(scope="module")
def deid():
    """Default options (en_core_web_md), the small fixture gazetteers."""
    return Deidentifier(options(), lists_dir=LISTS)


@pytest.fixture(scope="module")
def shipped():
    """Default options and the shipped gazetteers in pipeline/defaults/lists/."""
    if not default_lists_dir().is_dir():
        pytest.skip("pipeline/defaults/lists/ is not there")
    return Deidentifier(options())


def redacted(d, utterances):
    threshold = d.options.threshold
    return [s for s in d.analyze(utterances) if s.score >= threshold]


def covered(spans, utterances, part, only=None):
    """Every word of ``part`` (where it occurs; in utterance ``only`` if given) is in a span."""
    import re

    for i, u in enumerate(utterances):
        if only is not None and i != only:
            continue
        for m in re.finditer(re.escape(part), u):
            words = [
                (m.start() + w.start(), m.start() + w.end())
                for w in re.finditer(r"[A-Za-z0-9]+", part)
            ]
            if all(
                any(s.utterance == i and s.start <= a and b <= s.end for s in spans)
                for a, b in words
            ):
                return True
    return False


def touched(spans, utterances, part):
    import re

    return any(
        s.utterance == i and s.start < m.end() and m.start() < s.end
        for i, u in enumerate(utterances)
        for m in re.finditer(re.escape(part), u)
        for s in spans
    )


# --- the interface ----------------------------------------------------------------------------


def test_spans_are_sorted_non_overlapping_and_carry_provenance(deid):
    utterances = [
        "Hello, is that Beverley? It's Claire, from the peer support study.",
        "My mobile is oh seven seven oh oh, nine oh oh, one four eight. "
        "And letters to B R one, three P Q are fine.",
        "I was at St Thomas' and then Guy's, the fifth of May, and Sister Walsh was lovely.",
    ]
    spans = deid.analyze(utterances)
    assert spans == sorted(spans, key=lambda s: (s.utterance, s.start))
    for a, b in zip(spans, spans[1:], strict=False):
        assert a.utterance < b.utterance or a.end <= b.start
    for s in spans:
        assert isinstance(s, Span)
        assert s.text == utterances[s.utterance][s.start : s.end]
        assert s.entity_type in deid.options.entities
        assert deid.options.review_threshold <= s.score <= 1
        assert s.recognizer and s.recognizer_version
    types = {(s.text, s.entity_type) for s in spans if s.score >= deid.options.threshold}
    assert ("Beverley", "PERSON") in types
    assert ("oh seven seven oh oh, nine oh oh, one four eight", "PHONE") in types
    assert ("B R one, three P Q", "POSTCODE") in types
    assert ("the fifth of May", "DATE") in types
    assert ("Sister Walsh", "PERSON") in types
    with pytest.raises(FrozenInstanceError):
        spans[0].score = 1.0


def test_model_version_is_recorded(deid):
    spans = deid.analyze(["I spoke to Adaeze Okonkwo-Brown about it."])
    ner = [
        s
        for s in deid.analyze(["Jonathan Pemberton-Smythe said it was fine"])
        if s.recognizer == "SpacyNerRecognizer"
    ]
    assert spans
    assert all("en_core_web_md" in s.recognizer_version for s in ner)
    provenance = deid.provenance
    assert provenance["spacy_model"].startswith("en_core_web_md")
    assert provenance["presidio"]
    assert provenance["recognizers"]["PhoneRecognizer"] == "1"
    assert set(provenance["lists"]) >= {"first_names.txt", "uk_places.txt"}


def test_empty_interviews(deid):
    assert deid.analyze([]) == []
    assert deid.analyze(["", "   "]) == []


# --- identifiers across utterances -----------------------------------------------------------


def test_number_split_across_utterances_is_one_span_per_utterance(deid):
    utterances = [
        "yes my mobile is oh seven seven oh oh",
        "mm-hm",
        "nine oh oh one four eight",
        "lovely",
    ]
    spans = redacted(deid, utterances)
    phone = [(s.utterance, s.text) for s in spans if s.entity_type == "PHONE"]
    assert phone == [(0, "oh seven seven oh oh"), (1, "mm-hm"), (2, "nine oh oh one four eight")]


@pytest.mark.parametrize(
    "utterances, parts",
    [
        (
            ["he gave me his email, steve rowe fifty", "at gmail dot com"],
            ["steve rowe fifty", "at gmail dot com"],
        ),
        (["it was the fifth", "of May, a Saturday"], ["the fifth", "of May"]),
        (["her name was Faith", "Adebayo, she was lovely"], ["Faith", "Adebayo"]),
        (["I was at St", "Thomas' for the op"], ["St", "Thomas"]),
        (["my friend", "Grace was there too"], ["Grace"]),
        (["the postcode is S E five", "nine R S"], ["S E five", "nine R S"]),
    ],
)
def test_identifiers_split_across_utterances(deid, utterances, parts):
    spans = redacted(deid, utterances)
    for part in parts:
        assert covered(spans, utterances, part), (part, spans)


# --- what is caught and what is kept ------------------------------------------------------------

CASES = [
    # PERSON, names that are words
    ("my friend Grace came with me to the first appointment", ["Grace"], ["appointment"]),
    ("there was a lady called Hope who rang me every week", ["Hope"], []),
    ("Hope said it gets easier after the first month", ["Hope"], []),
    ("I hope it gets easier, I really do", [], ["hope"]),
    ("I will be honest with you, I was terrified", [], ["will"]),
    ("by the grace of God I'm still here", [], ["grace"]),
    ("I've got a lot of faith in the doctors now", [], ["faith"]),
    ("it was a real joy to meet her", [], ["joy"]),
    ("Will rang me on the Tuesday after", ["Will"], ["Tuesday"]),
    ("The nurse, Bill, he said I seemed down", ["Bill"], ["nurse"]),
    ("Sister Walsh was lovely to me on the ward", ["Sister Walsh"], []),
    ("Dr Okafor explained it all really clearly", ["Dr Okafor"], []),
    ("Nurse Patel took my bloods", ["Nurse Patel"], ["bloods"]),
    ("Mrs Khan next door drove me in", ["Mrs Khan"], []),
    ("the nurse said it would sting a bit", [], ["nurse"]),
    ("my daughter priya drove me to the renal unit", ["priya"], ["daughter", "renal unit"]),
    ("hi, is that quame? it's claire from the study", ["quame", "claire"], ["study"]),
    ("I spoke to Kwame Mensah about it", ["Kwame Mensah"], []),
    ("Mark my words, it's hard", [], ["Mark"]),
    # LOCATION and ORGANIZATION
    ("I live in Croydon now", ["Croydon"], []),
    ("we used to live near Coldharbour Lane", ["Coldharbour Lane"], []),
    ("we met at the Rose and Crown on a Sunday", ["Rose and Crown"], ["Sunday"]),
    ("round the corner from Denmark Hill station", ["Denmark Hill"], []),
    ("she came up from Reading on the train", ["Reading"], ["train"]),
    ("I was reading the leaflet in the waiting room", [], ["reading", "waiting room"]),
    ("there's a Tesco in Sutton where I used to work", ["Tesco", "Sutton"], []),
    ("my grandson goes to Harris Academy", ["Harris Academy"], ["grandson"]),
    ("I was at St Thomas' for the transplant", ["St Thomas'"], ["transplant"]),
    ("I'm under King's now, the renal unit there is good", ["King's"], ["renal unit"]),
    ("I was on haemodialysis at guys for three years", ["guys"], ["haemodialysis", "three years"]),
    ("you guys have been great", [], ["guys"]),
    ("the unit at St Helier is smaller", ["St Helier"], []),
    (
        "the hospital was fine, the renal unit was great, the NHS has been good to me",
        [],
        ["hospital", "renal unit", "NHS"],
    ),
    (
        "Fistula surgery went well. Renal nurses are brilliant. The UK has good care.",
        [],
        ["Fistula", "Renal", "UK"],
    ),
    ("Peritoneal dialysis suits me better than haemodialysis", [], ["Peritoneal", "haemodialysis"]),
    (
        "It's Claire from the Peer Support Study, and you saw a Peer Supporter",
        ["Claire"],
        ["Peer Support Study", "Peer Supporter"],
    ),
    # numbers, emails, dates, ages
    (
        "my number is oh two oh seven nine four six one two three four",
        ["oh two oh seven nine four six one two three four"],
        [],
    ),
    ("Yes, my mobile is 07, 7.0, 9.0, 1.48, and", ["07, 7.0, 9.0, 1.48"], []),
    (
        "my NHS number is nine nine nine, one two three, four five six seven",
        ["nine nine nine, one two three, four five six seven"],
        ["NHS"],
    ),
    ("letters SE5 9RS please, or s e five nine r s", ["SE5 9RS", "s e five nine r s"], []),
    (
        "email me at jane dot smith at gmail dot com or jane.smith@gmail.com",
        ["jane dot smith at gmail dot com", "jane.smith@gmail.com"],
        [],
    ),
    (
        "the fourteenth of March, 14th March 2023, March the 14th and 14/03/2023",
        ["fourteenth of March", "14th March 2023", "March the 14th", "14/03/2023"],
        [],
    ),
    (
        "I go on Monday, in March, since last year, for about two years, six years all told",
        [],
        ["Monday", "March", "last year", "about two years", "six years"],
    ),
    ("my nan, she's ninety two, was aged 93 at Christmas", ["ninety two", "93"], ["Christmas"]),
    ("I'm 61 and I'm sixty-one in my head too", [], ["61", "sixty-one"]),
]


@pytest.mark.parametrize("text, redact, keep", CASES)
def test_caught_and_kept(deid, text, redact, keep):
    spans = redacted(deid, [text])
    for part in redact:
        assert covered(spans, [text], part), (
            part,
            [(s.text, s.score, s.recognizer) for s in deid.analyze([text])],
        )
    for part in keep:
        assert not touched(spans, [text], part), (
            part,
            [(s.text, s.score, s.recognizer) for s in spans],
        )


def test_name_confirmed_once_is_caught_in_lower_case_later_but_not_as_a_word(deid):
    utterances = [
        "Her name was Faith Adebayo. She was on haemodialysis.",
        "What did you think of faith as a person?",
        "I've got a lot of faith in her.",
    ]
    spans = redacted(deid, utterances)
    assert covered(spans, utterances, "Faith Adebayo")
    assert [s.text for s in spans if s.utterance == 1] == ["faith"]
    assert [s.text for s in spans if s.utterance == 2] == []


def test_whisper_transcript_lines(deid):
    """Lines as Whisper base and tiny.en wrote the sample interviews."""
    utterances = [
        "Hello, it's Matt Beverly. It's Claire from the Peer Support Study.",
        "Hi, it's that quame. It's clear from the peer support research.",
        "The link nurse at King said, why don't you talk to someone who's further along?",
        "I was on hemodialysis with guys and I hated it.",
        "She'd worked as a midwife at Queen Elizabeth's hospital, so she knew the medical side.",
        "I had to read out my NHS number every single time I rang out 999-301-TT84.",
        "Yes, my mobile is 07. 7.0.0.0.1.4.8.",
        "And he gave me his email. Steve wrote 50 at gmail.com So I could send him questions.",
        "That's all my questions. Quame. No problem. Cheers.",
    ]
    spans = redacted(deid, utterances)
    for part in (
        "Beverly",
        "Claire",
        "quame",
        "King",
        "guys",
        "Queen Elizabeth's",
        "999-301-TT84",
        "07. 7.0.0.0.1.4.8",
        "Steve wrote 50 at gmail.com",
        "Quame",
    ):
        assert covered(spans, utterances, part), part
    for part in (
        "Peer Support Study",
        "hemodialysis",
        "peer support research",
        "link nurse",
        "NHS",
    ):
        assert not touched(spans, utterances, part), part


# --- the study's lists -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def study():
    return Deidentifier(
        options(),
        deny={"PERSON": ["Sister Walsh", "Bev"], "LOCATION": ["Hope House", "the Aylesbury"]},
        allow=["Queen Elizabeth", "Grace"],
        lists_dir=LISTS,
    )


def test_deny_list_is_always_redacted(study):
    utterances = [
        "we met at hope house with bev",
        "sister walsh and SISTER WALSH",
        "the aylesbury estate",
    ]
    spans = redacted(study, utterances)
    for part in ("hope house", "bev", "sister walsh", "SISTER WALSH", "the aylesbury"):
        assert covered(spans, utterances, part), part
    assert {s.recognizer for s in spans} == {"DenyListRecognizer"}
    assert all(s.score == 1.0 for s in spans)
    assert "presidio" in spans[0].recognizer_version


def test_allow_list_is_never_redacted(study):
    utterances = [
        "she worked at Queen Elizabeth Hospital",
        "my friend Grace came along",
        "my friend Joy came along",
    ]
    spans = redacted(study, utterances)
    assert not touched(spans, utterances, "Grace")
    assert covered(spans, utterances, "Joy")
    # "Queen Elizabeth Hospital" is not inside the allowed "Queen Elizabeth": still redacted
    assert covered(spans, utterances, "Queen Elizabeth Hospital")


def test_entities_option_limits_the_types():
    d = Deidentifier(options(entities=["PHONE", "AGE"]), lists_dir=LISTS)
    spans = d.analyze(["Beverley's mobile is 07700 900148 and her nan is ninety-three"])
    assert {(s.entity_type, s.text) for s in spans} == {
        ("PHONE", "07700 900148"),
        ("AGE", "ninety-three"),
    }
    assert age_replacement("ninety-three") == "over 89"


# --- errors ----------------------------------------------------------------------------------


def test_unknown_model_is_a_clear_error(tmp_path):
    with pytest.raises(
        DeidentifyError, match="neither en_core_web_md, en_core_web_sm nor a spaCy model directory"
    ):
        Deidentifier(options(spacy_model=str(tmp_path / "nowhere")), lists_dir=LISTS)


def test_transformer_model_is_a_clear_error(tmp_path):
    """Transformer pipelines need PyTorch, which de-identification keeps out of the process."""
    (tmp_path / "config.cfg").write_text(
        '[nlp]\npipeline = ["transformer","ner"]\n\n[components.transformer]\n'
        'factory = "curated_transformer"\n')
    with pytest.raises(DeidentifyError, match="transformer pipeline, which needs PyTorch"):
        Deidentifier(options(spacy_model=str(tmp_path)), lists_dir=LISTS)


def test_missing_lists_directory_is_an_error(tmp_path):
    with pytest.raises(DeidentifyError, match="gazetteer directory .* does not exist"):
        Deidentifier(options(), lists_dir=tmp_path / "nowhere")


@pytest.mark.parametrize(
    "deny, allow, message",
    [
        ({"NAME": ["x"]}, None, "deny list type 'NAME' is not one of"),
        ({"PERSON": "Sister Walsh"}, None, "must map to a list of terms"),
        (None, "Grace", "allow list must be a list"),
    ],
)
def test_bad_study_lists_are_refused(deny, allow, message):
    with pytest.raises(DeidentifyError, match=message):
        Deidentifier(options(), deny=deny, allow=allow, lists_dir=LISTS)


def test_review_threshold_above_threshold_is_refused():
    with pytest.raises(DeidentifyError, match="review_threshold 0.6 is above threshold 0.5"):
        Deidentifier(options(review_threshold=0.6), lists_dir=LISTS)


def test_list_files_are_optional_but_comments_and_blanks_are_skipped(tmp_path):
    from pipeline.deidentify.lists import Lists

    (tmp_path / "first_names.txt").write_text("# names\n\nBeverley\n  Kwame  \n")
    lists = Lists.load(tmp_path)
    assert lists.first_names == {"beverley", "kwame"}
    assert lists.places == () and set(lists.sources) == {"first_names.txt"}


# --- the sample interviews ----------------------------------------------------------------------


def sample_turns(name):
    return json.loads(shared_file("samples", name, "truth.json").read_text())["turns"]


@pytest.mark.parametrize("sample", ["D01", "D02"])
@pytest.mark.parametrize("which", ["fixture lists", "shipped lists"])
def test_sample_truth_texts(request, sample, which):
    d = request.getfixturevalue("deid" if which == "fixture lists" else "shipped")
    turns = sample_turns(sample)
    utterances = [t["text"] for t in turns]
    spans = redacted(d, utterances)
    for i, t in enumerate(turns):
        for p in t["pii"]:
            a = p["start_char"]
            assert any(
                s.utterance == i and s.start <= a and a + len(p["text"]) <= s.end for s in spans
            ), p
        for trap in t["traps"]:
            a = trap["start_char"]
            b = a + len(trap["text"])
            assert not any(s.utterance == i and s.start < b and a < s.end for s in spans), trap


def test_three_thousand_words_well_under_five_seconds(deid):
    turns = sample_turns("D01") + sample_turns("D02")
    utterances, words = [], 0
    while words < 3000:
        for t in turns:
            utterances.append(t["text"])
            words += len(t["text"].split())
    started = time.perf_counter()
    deid.analyze(utterances)
    assert time.perf_counter() - started < 5


# --- names that are words, across one interview ------------------------------------------------


def test_name_words_across_an_interview(deid):
    utterances = [
        "my husband Will drove me in",
        "I will be honest, it was hard",
        "you need a lot of will power",
        "and then will came in",
        "we will see",
        "Hope is my peer supporter, Hope Adams",
        "I hope so",
        "there's always hope",
        "I had hope",
        "Hope you're well",
        "Rose said hi",
        "the sun rose",
        "my friend May",
        "in May I started",
        "I may go",
        "Mark came",
        "mark my words",
    ]
    spans = redacted(deid, utterances)
    assert sorted((s.utterance, s.text) for s in spans) == [
        (0, "Will"),
        (3, "will"),
        (5, "Hope"),
        (5, "Hope Adams"),
        (10, "Rose"),
        (12, "May"),
        (15, "Mark"),
    ]


def heldout():
    data = json.loads((FIXTURES / "interviews.json").read_text())
    return sorted(data["interviews"].items())


def lower_case_asr(text):
    import re

    return re.sub(r"[,?!]", "", text.lower())


@pytest.mark.parametrize("name, turns", heldout())
@pytest.mark.parametrize("style", ["as written", "lower case"])
def test_handwritten_interviews_with_shipped_lists(shipped, name, turns, style):
    """Every identifier redacted (in lower case at most one left per interview); no trap touched."""
    import re

    change = (lambda t: t) if style == "as written" else lower_case_asr
    utterances = [change(t["text"]) for t in turns]
    spans = redacted(shipped, utterances)
    missed = [
        p
        for i, t in enumerate(turns)
        for p in map(change, t["pii"])
        if not covered(spans, utterances, p, only=i)
    ]
    wrong = [
        k
        for i, t in enumerate(turns)
        for k in map(change, t["traps"])
        if any(
            s.utterance == i and s.start < m.end() and m.start() < s.end
            for m in re.finditer(r"\b" + re.escape(k) + r"\b", utterances[i])
            for s in spans
        )
    ]
    assert wrong == []
    assert missed == [] if style == "as written" else len(missed) <= 1, missed


def test_spacy_is_imported_without_torch_or_cupy(tmp_path):
    """Where torch and CuPy are installed (GPU machines), thinc imports both with spaCy: 7 s
    of every run's de-identification on the H200 machine, and a CUDA context. Stand-ins that
    record being imported show the engine hides them, and that they can be imported afterwards."""
    import subprocess
    import sys

    for name in ("torch", "cupy"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(
            f"open({str(tmp_path / (name + '.imported'))!r}, 'w').close()\n")
    script = (
        "from pipeline import config\n"
        "from pipeline.deidentify import Deidentifier\n"
        "d = Deidentifier(config.load().deidentify)\n"
        "assert d.analyze(['My name is Beverley Okafor.'])\n"
        "import thinc.compat\n"
        "assert not thinc.compat.has_torch and thinc.compat.cupy is None\n"
        "import torch\n"  # hidden only while Presidio was imported
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=ROOT)
    assert (tmp_path / "torch.imported").exists()  # by the script's own last line
    (tmp_path / "torch.imported").unlink()
    assert not (tmp_path / "cupy.imported").exists()
    # Without the guard the stand-ins are imported by spaCy itself.
    subprocess.run([sys.executable, "-c", "import spacy"], check=True, env=env, cwd=ROOT)
    assert (tmp_path / "torch.imported").exists() and (tmp_path / "cupy.imported").exists()
