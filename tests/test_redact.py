from pipeline import redact
from pipeline.transcribe import Utterance, Word


def _utt(text, start=0.0):
    words, t = [], start
    for w in text.split(" "):
        words.append(Word(t, t + 0.3, " " + w, 0.9))
        t += 0.4
    return Utterance("respondent", 1, words[0].start, words[-1].end, text, words)


def _d(u, start, end, etype="PERSON", score=0.9):
    return redact.Decision(u, start, end, etype, score, "TestRecognizer", "1")


def test_tags_are_consistent_within_an_interview():
    utts = [_utt("My husband Keith and Faith Adebayo came"), _utt("Keith said Faith was kind")]
    t0, t1 = utts[0].text, utts[1].text
    decisions = [
        _d(0, t0.index("Keith"), t0.index("Keith") + 5),
        _d(0, t0.index("Faith"), t0.index("Adebayo") + 7),
        _d(1, 0, 5),
        _d(1, t1.index("Faith"), t1.index("Faith") + 5),
    ]
    result = redact.apply(utts, decisions)
    assert result.texts == ["My husband [PERSON_1] and [PERSON_2] came",
                            "[PERSON_1] said [PERSON_2] was kind"]
    r = result.replacements[1]
    assert (r.original, r.replacement) == ("Faith Adebayo", "[PERSON_2]")
    assert result.texts[0][r.deid_start : r.deid_end] == "[PERSON_2]"
    # audio times come from the words the span covers
    assert (r.audio_start, r.audio_end) == (utts[0].words[4].start, utts[0].words[5].end)


def test_types_are_numbered_separately_and_ages_become_over_89():
    utts = [_utt("Croydon and Sutton and Keith aged ninety three")]
    t = utts[0].text
    decisions = [_d(0, 0, 7, "LOCATION"), _d(0, 12, 18, "LOCATION"), _d(0, 23, 28),
                 _d(0, t.index("ninety"), len(t), "AGE")]
    assert redact.apply(utts, decisions).texts == [
        "[LOCATION_1] and [LOCATION_2] and [PERSON_1] aged over 89"]


def test_overlapping_decisions_keep_the_longest():
    utts = [_utt("Faith Adebayo rang")]
    result = redact.apply(utts, [_d(0, 0, 5), _d(0, 0, 13)])
    assert result.texts == ["[PERSON_1] rang"] and len(result.replacements) == 1


def test_study_wide_tags_continue_from_known_mapping():
    known = {("PERSON", "keith"): "[PERSON_1]"}
    utts = [_utt("Beverley and Keith")]
    result = redact.apply(utts, [_d(0, 0, 8), _d(0, 13, 18)], known_tags=known)
    assert result.texts == ["[PERSON_2] and [PERSON_1]"]
    assert result.pseudonyms[("PERSON", "beverley")] == "[PERSON_2]"


def test_surrogates_are_realistic_and_deterministic():
    utts = [_utt("call 07700 900123 or Keith")]
    pools = {"PERSON": ["Alex", "Sam"]}
    decisions = [_d(0, 5, 17, "PHONE"), _d(0, 21, 26)]
    a = redact.apply(utts, decisions, mode="surrogate", pools=pools).texts[0]
    assert a == redact.apply(utts, decisions, mode="surrogate", pools=pools).texts[0]
    assert "Keith" not in a and "07700 900123" not in a
    assert a.split(" or ")[1] in pools["PERSON"] and a.startswith("call 07700 900")


def test_reviews_undo_and_add():
    decisions = [_d(0, 0, 4), _d(0, 10, 15)]
    reviews = [
        {"kind": "undo", "utterance_idx": 0, "orig_start": 0, "orig_end": 4},
        {"kind": "add", "utterance_idx": 0, "orig_start": 20, "orig_end": 27,
         "entity_type": "LOCATION"},
    ]
    result = redact.apply_reviews(decisions, reviews)
    assert [(d.start, d.end, d.source) for d in result] == [(10, 15, "auto"), (20, 27, "review")]


def test_map_offsets_of_unredacted_spans():
    utts = [_utt("Keith lives near Sutton station")]
    result = redact.apply(utts, [_d(0, 0, 5)])
    span = _d(0, 17, 23, "LOCATION", 0.3)
    start, end = redact.map_offsets(result, span)
    assert result.texts[0][start:end] == "Sutton"
    assert redact.map_offsets(result, _d(0, 2, 8, "LOCATION", 0.3)) is None
