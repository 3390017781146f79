"""Spoken numbers and letters read back with offsets (pipeline.deidentify.spoken), and the
interview text that joins utterances. No model is loaded."""

import pytest

from pipeline.deidentify import spoken
from pipeline.deidentify.interview import InterviewText
from pipeline.deidentify.tokens import norm, words


def runs(text):
    return [(r.digits, text[r.start : r.end]) for r in spoken.digit_runs(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        # spoken, UK style
        (
            "oh seven seven oh oh, nine oh oh, one four eight",
            [("07700900148", "oh seven seven oh oh, nine oh oh, one four eight")],
        ),
        (
            "oh two oh seven nine four six one two three four",
            [("02079461234", "oh two oh seven nine four six one two three four")],
        ),
        ("double seven oh, treble nine", [("770999", "double seven oh, treble nine")]),
        ("nine hundred", [("900", "nine hundred")]),
        ("forty-five", [("45", "forty-five")]),
        ("twenty", [("20", "twenty")]),
        # written and garbled by Whisper
        ("my mobile is 07700 900148.", [("07700900148", "07700 900148")]),
        ("07, 7.0, 9.0, 1.48", [("077090148", "07, 7.0, 9.0, 1.48")]),
        ("07-7-0-090-0148, and", [("07700900148", "07-7-0-090-0148")]),
        ("is 07, 7.0io 9.0, 0.148, and", [("0770900148", "07, 7.0io 9.0, 0.148")]),
        ("out 999-301-TT84. I could", [("99930184", "999-301-TT84")]),
        # fillers and utterance breaks do not end a number
        ("nine nine nine, um, one two three", [("999123", "nine nine nine, um, one two three")]),
        ("oh seven seven\nmm-hm\nnine oh oh", [("077900", "oh seven seven\nmm-hm\nnine oh oh")]),
        # words end a number; ordinals are not digits of a number
        ("one or two", [("1", "one"), ("2", "two")]),
        ("the 5th of May 2023", [("2023", "2023")]),
        ("I was on dialysis", []),
    ],
)
def test_digit_runs(text, expected):
    assert runs(text) == expected


def groups(text):
    return ["".join(s.char for s in g) for g in spoken.symbol_groups(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("letters to B R one, three P Q are fine", ["BR13PQR"]),
        ("s e five nine r s", ["SE59RS"]),
        ("SE5 9RS", ["SE59RS"]),
        ("se59rs", ["SE59RS"]),
        ("be R1-3-PQ", ["BR13PQ"]),
        ("VR1-3PQ", ["VR13PQ"]),
        ("ess ee five nine ar ess", ["SE59RS"]),
        ("n w double one, two a b", ["NW112AB"]),
        ("oh seven seven", []),  # three symbols only
        ("the nurse said so", []),
    ],
)
def test_symbol_groups(text, expected):
    assert groups(text) == expected


def test_oh_is_ambiguous_between_letter_and_digit():
    (group,) = spoken.symbol_groups("e one oh, six q q")
    assert "".join(s.char for s in group) == "E1Ø6QQ"


@pytest.mark.parametrize(
    "phrase, value",
    [
        ("92", 92),
        ("ninety two", 92),
        ("ninety-two", 92),
        ("a hundred and one", 101),
        ("one hundred", 100),
        ("sixty-one", 61),
        ("ninety", 90),
        ("lots", None),
        ("", None),
    ],
)
def test_words_to_int(phrase, value):
    assert spoken.words_to_int(phrase) == value


def test_interview_text_maps_spans_back_to_utterances():
    utterances = ["my number is oh seven seven", "oh oh nine", "", "thanks"]
    joined = InterviewText.join(utterances)
    assert joined.text == "my number is oh seven seven\noh oh nine\n\nthanks"
    start = joined.text.index("oh seven")
    end = joined.text.index("nine") + 4
    assert joined.pieces(start, end) == [(0, 13, 27), (1, 0, 10)]
    assert joined.utterance_of(joined.text.index("thanks")) == 3
    # newlines inside an utterance keep offsets
    assert InterviewText.join(["a\nb", "c"]).text == "a b\nc"


def test_interview_text_trims_pieces_and_drops_empty_ones():
    joined = InterviewText.join(["Beverley,", "thanks"])
    assert joined.pieces(0, 10) == [(0, 0, 8)]


def test_interview_text_refuses_non_strings():
    with pytest.raises(TypeError):
        InterviewText.join(["fine", None])


@pytest.mark.parametrize(
    "word, key",
    [
        ("Guy's", "guy"),
        ("Thomas'", "thomas"),
        ("St", "st"),
        ("Saint", "st"),
        ("O'Brien", "obrien"),
        ("King’s", "king"),
        ("&", "and"),
    ],
)
def test_norm(word, key):
    assert norm(word) == key


def test_words_know_sentence_starts_and_capitals():
    ws = words("Hello, is that Hope? I hope so.\nAnd NHS")
    by_text = {w.text: w for w in ws}
    assert by_text["Hello"].initial and not by_text["that"].initial
    assert by_text["Hope"].cap and not by_text["Hope"].initial
    assert by_text["I"].initial
    assert by_text["And"].initial  # utterance start
    assert not by_text["NHS"].cap  # all capitals: an acronym, not a name's capital
