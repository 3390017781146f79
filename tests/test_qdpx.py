"""The REFI-QDA project export: schema, content, stable GUIDs, the de-identification boundary."""

from __future__ import annotations

import zipfile

import pytest
from lxml import etree

from pipeline import api, qdpx, transcripts
from pipeline.export import ExportError
from pipeline.store import TRANSCRIBED, Store
from tests.conftest import run_cli, shared_file
from tests.seed import PLANTED, STEREO, seed_interview

NS = {"q": "urn:QDA-XML:project:1.0"}


def official_schema() -> etree.XMLSchema:
    """The published schema in ../shared/refi, not the package's copy."""
    return etree.XMLSchema(etree.parse(str(shared_file("refi", "Project.xsd"))))


def export(ws, out):
    result = run_cli(ws, "export", "--format", "qdpx", "--out", str(out))
    path = out / f"{ws.name}.qdpx"
    assert f"Wrote 1 file(s) to {out}" in result.output and path.exists()
    return path


def unpack(path):
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.fixture
def project(workspace, tmp_path):
    first = seed_interview(workspace)
    second = seed_interview(workspace, STEREO[:4], name="second.wav", respondent_id="R02",
                            metadata={"gender": "male", "age": 41.5, "consent": True,
                                      "notes": {"x": 1}})
    path = export(workspace, tmp_path / "out")
    files = unpack(path)
    return workspace, path, files, etree.fromstring(files["project.qde"]), (first, second)


def test_project_validates_against_the_official_schema(project):
    _, _, files, root, _ = project
    schema = official_schema()
    assert schema.validate(root), schema.error_log
    assert root.tag == "{urn:QDA-XML:project:1.0}Project"
    assert qdpx.SCHEMA.read_bytes() == shared_file("refi", "Project.xsd").read_bytes()


def test_sources_codes_selections(project):
    _, _, files, root, (first, _) = project
    sources = root.findall("q:Sources/q:TextSource", NS)
    assert len(sources) == 2
    source = sources[0]
    g = source.get("guid")
    assert source.get("plainTextPath") == f"internal://{g}.txt"
    text = files[f"sources/{g}.txt"].decode("utf-8")
    # The same text as transcripts/text/<interview>.txt.
    with Store(project[0] / "store.db") as store:
        t = transcripts.transcript(store.interview(first), store.utterances(first))
    assert text == transcripts.plain_text(t)[0] and len(text.splitlines()) == len(STEREO)
    codes = {c.get("guid"): c.get("name") for c in root.iterfind("q:CodeBook/q:Codes/q:Code", NS)}
    assert len(codes) == 7 and "Reasons for using peer support" in codes.values()
    coded = [(codes[s.find("q:Coding/q:CodeRef", NS).get("targetGUID")],
              text[int(s.get("startPosition")):int(s.get("endPosition"))])
             for s in source.iterfind("q:PlainTextSelection", NS)]
    assert coded == [
        ("Consent and introductions",
         "[00:00:00] Interviewer: Hello, is that [PERSON_1]?\n[00:00:03] Respondent: Yes, speaking."),
        ("Reasons for using peer support",
         "[00:00:06] Interviewer: Why did you start going to the group?\n"
         "[00:00:10] Respondent: After dialysis at [LOCATION_1] I felt alone & <lost>."),
        ("Closing", "[01:01:01] Interviewer: Thank you so much."),
    ]
    user = root.find("q:Users/q:User", NS)
    assert root.get("creatingUserGUID") == user.get("guid") and user.get("name")


def test_cases_and_variables(project):
    _, _, _, root, (first, second) = project
    variables = {v.get("guid"): (v.get("name"), v.get("typeOfVariable"))
                 for v in root.iterfind("q:Variables/q:Variable", NS)}
    assert sorted(variables.values()) == [
        ("age", "Float"), ("consent", "Boolean"), ("gender", "Text"), ("hospital", "Text"),
        ("notes", "Text"), ("status", "Text")]
    cases = {c.get("name"): c for c in root.iterfind("q:Cases/q:Case", NS)}
    assert set(cases) == {"R01", "R02"}

    def values(case):
        return {variables[v.find("q:VariableRef", NS).get("targetGUID")][0]:
                etree.QName(v[1]).localname + "=" + v[1].text
                for v in case.iterfind("q:VariableValue", NS)}

    assert values(cases["R01"]) == {"age": "FloatValue=58.0", "gender": "TextValue=female",
                                    "hospital": "TextValue=A", "status": "TextValue=patient"}
    assert values(cases["R02"]) == {"age": "FloatValue=41.5", "consent": "BooleanValue=true",
                                    "gender": "TextValue=male", "notes": 'TextValue={"x": 1}'}
    sources = {s.get("guid"): s.get("name") for s in root.iterfind("q:Sources/q:TextSource", NS)}
    assert [sources[r.get("targetGUID")] for r in cases["R02"].iterfind("q:SourceRef", NS)] == [
        f"Interview {second} (R02)"]


def test_two_exports_are_identical(project, tmp_path):
    ws, path, files, _, _ = project
    again = export(ws, tmp_path / "again")
    assert again.read_bytes() == path.read_bytes()


def test_guids_follow_stable_identifiers_not_order(project, tmp_path):
    ws, _, _, root, (first, _) = project
    before = {s.get("name"): s.get("guid") for s in root.iterfind(".//q:TextSource", NS)}
    codes = {c.get("name"): c.get("guid") for c in root.iterfind(".//q:Code", NS)}
    seed_interview(ws, STEREO[:3], name="third.wav", respondent_id=None)
    after = etree.fromstring(unpack(export(ws, tmp_path / "more"))["project.qde"])
    now = {s.get("name"): s.get("guid") for s in after.iterfind(".//q:TextSource", NS)}
    assert len(now) == 3 and all(now[name] == g for name, g in before.items())
    assert {c.get("name"): c.get("guid") for c in after.iterfind(".//q:Code", NS)} == codes
    assert official_schema().validate(after)
    assert any(c.get("name").startswith("Interview ") for c in after.iterfind(".//q:Case", NS))


def test_no_planted_identifier_in_the_project(project):
    _, path, files, _, _ = project
    data = (path.read_bytes() + b"".join(files.values())).lower()
    assert b"[person_1]" in data
    for planted in PLANTED + ["second.wav"]:
        assert planted.lower().encode() not in data, planted


def test_text_awaiting_rederivation_is_left_out(workspace, tmp_path):
    iid = seed_interview(workspace)
    with Store(workspace / "store.db") as store:
        store.requeue([iid], TRANSCRIBED)
    root = etree.fromstring(unpack(export(workspace, tmp_path))["project.qde"])
    assert root.find("q:Sources", NS) is None and official_schema().validate(root)


def test_identifiable_is_refused(workspace, tmp_path):
    seed_interview(workspace)
    result = run_cli(workspace, "export", "--format", "qdpx", "--out", str(tmp_path / "o"),
                     "--identifiable", expect=1)
    assert "a REFI-QDA project holds de-identified text only" in result.output
    assert not (tmp_path / "o").exists()


def test_invalid_project_is_not_written(workspace, tmp_path, monkeypatch):
    seed_interview(workspace)
    real = qdpx.build

    def broken(*args, **kwargs):
        xml, texts = real(*args, **kwargs)
        return xml.replace(b'isCodable="true"', b'isCodable="maybe"'), texts

    monkeypatch.setattr(qdpx, "build", broken)
    with pytest.raises(ExportError, match="does not validate against Project.xsd"):
        api.export(workspace, tmp_path / "o", fmt="qdpx")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("values, kind", [
    ([1, 2], "Integer"), ([1, 2.5], "Float"), ([True, False], "Boolean"), ([True, 1], "Text"),
    (["a", 1], "Text"), ([float("nan")], "Text"), ([], "Text")])
def test_variable_types(values, kind):
    assert qdpx.variable_type(values) == kind


def test_float_values_have_no_exponent():
    assert qdpx._value_text(1e-05, "Float") == "0.00001"


@pytest.mark.slow
def test_sample_interviews_export_validates_and_is_stable(surfaces_run, tmp_path):
    ws, _ = surfaces_run
    first = export(ws, tmp_path / "a")
    assert export(ws, tmp_path / "b").read_bytes() == first.read_bytes()
    files = unpack(first)
    root = etree.fromstring(files["project.qde"])
    schema = official_schema()
    assert schema.validate(root), schema.error_log
    sources = root.findall("q:Sources/q:TextSource", NS)
    assert len(sources) == 2 and len(files) == 3
    for source in sources:
        text = files[f"sources/{source.get('guid')}.txt"].decode("utf-8")
        selections = source.findall("q:PlainTextSelection", NS)
        assert len(selections) >= 3
        spans = [(int(s.get("startPosition")), int(s.get("endPosition"))) for s in selections]
        # Segments tile the transcript: each starts at a line and the last ends the text.
        assert spans[0][0] == 0 and spans[-1][1] == len(text) - 1
        assert all(text[a - 1] == "\n" for a, _ in spans[1:])
    cases = {c.get("name") for c in root.iterfind("q:Cases/q:Case", NS)}
    assert "D01" in cases and any(c.startswith("Interview ") for c in cases)
