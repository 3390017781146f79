"""A REFI-QDA project (``.qdpx``) for NVivo, MAXQDA, ATLAS.ti, QualCoder and other QDA software.

The project holds, all from the analyst store (so only de-identified text):

- each interview's transcript as a text source (``sources/<guid>.txt``, the same text as
  ``transcripts/text/<interview>.txt``);
- the interview guide's topics as codes, and each topic segment as a coded selection of its lines
  (character positions, end exclusive: ``text[start:end]`` is the coded passage);
- a case per respondent (``respondent_id``, else per interview) with their sidecar attributes as
  variable values, the variables declared once for the project;
- the OS user who exported it as the creating user.

GUIDs are UUID 5 of stable identifiers (interview id, topic id, variable name, segment position),
and the project carries no time stamps, so exporting twice gives the same bytes. The XML is checked
against the REFI-QDA Project schema (``schemas/Project.xsd``, QDA-XML 1.0, MIT licence) before
anything is written.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import uuid
import zipfile
from decimal import Decimal
from pathlib import Path

from . import transcripts
from .export import ExportError

NS = "urn:QDA-XML:project:1.0"
SCHEMA = Path(__file__).parent / "schemas" / "Project.xsd"
# Fixed namespace for this pipeline's GUIDs (itself uuid5 of a URN naming the pipeline).
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:interview-pipeline:refi-qda")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class QdpxError(ExportError):
    """The project could not be built or does not validate; the message says why."""


def guid(*parts: object) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join(str(p) for p in parts)))


def variable_type(values: list) -> str:
    """The REFI-QDA type that fits every value given (Text when in doubt)."""
    if values and all(isinstance(v, bool) for v in values):
        return "Boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "Integer"
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                      and math.isfinite(v) for v in values):
        return "Float"
    return "Text"


def _value_text(value, kind: str) -> str:
    if kind == "Boolean":
        return "true" if value else "false"
    if kind == "Integer":
        return str(value)
    if kind == "Float":
        # xsd:decimal has no exponent form (1e-05 is invalid).
        return format(Decimal(repr(float(value))), "f")
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def build(store, guide, project_name: str, user: str, origin: str) -> tuple[bytes, dict[str, str]]:
    """The project XML and the source texts (file name in ``sources/`` -> text)."""
    from lxml import etree

    def el(parent, tag, attrib=None, text=None):
        node = etree.SubElement(parent, f"{{{NS}}}{tag}", {k: str(v) for k, v in
                                                          (attrib or {}).items()})
        if text is not None:
            node.text = text
        return node

    user_guid = guid("user", user)
    root = etree.Element(f"{{{NS}}}Project", nsmap={None: NS})
    root.set("name", project_name)
    root.set("origin", origin)
    root.set("creatingUserGUID", user_guid)
    el(el(root, "Users"), "User", {"guid": user_guid, "name": user})

    codes = el(el(root, "CodeBook"), "Codes")
    code_guids = {}
    for topic in guide.topics:
        code_guids[topic.id] = guid("code", topic.id)
        code = el(codes, "Code", {"guid": code_guids[topic.id], "name": topic.title,
                                  "isCodable": "true"})
        el(code, "Description", text=f"Interview-guide topic '{topic.id}'. {topic.description}"
           .strip())

    interviews = store.final_text_interviews()
    cases: dict[str, dict] = {}
    for interview in interviews:
        key = interview["respondent_id"] or f"interview {interview['id']}"
        case = cases.setdefault(key, {"name": interview["respondent_id"]
                                      or f"Interview {interview['id']}",
                                      "metadata": {}, "sources": []})
        # Later interviews of the same respondent carry the newer sidecar values.
        case["metadata"].update(interview["metadata"])
        case["sources"].append(guid("source", interview["id"]))

    names = sorted({k for c in cases.values() for k in c["metadata"]})
    types = {n: variable_type([c["metadata"][n] for c in cases.values()
                               if c["metadata"].get(n) is not None]) for n in names}
    if names:
        variables = el(root, "Variables")
        for n in names:
            el(variables, "Variable", {"guid": guid("variable", n), "name": n,
                                       "typeOfVariable": types[n]})
    if cases:
        case_list = el(root, "Cases")
        for key, case in cases.items():
            node = el(case_list, "Case", {"guid": guid("case", key), "name": case["name"]})
            for n in names:
                value = case["metadata"].get(n)
                if value is None:
                    continue
                vv = el(node, "VariableValue")
                el(vv, "VariableRef", {"targetGUID": guid("variable", n)})
                el(vv, f"{types[n]}Value", text=_value_text(value, types[n]))
            for source in case["sources"]:
                el(node, "SourceRef", {"targetGUID": source})

    texts: dict[str, str] = {}
    if interviews:
        sources = el(root, "Sources")
    for interview in interviews:
        iid = interview["id"]
        utterances = store.utterances(iid)
        t = transcripts.transcript(interview, utterances)
        text, offsets = transcripts.plain_text(t)
        source_guid = guid("source", iid)
        texts[f"{source_guid}.txt"] = text
        name = f"Interview {iid}" + (f" ({t.respondent_id})" if t.respondent_id else "")
        source = el(sources, "TextSource", {"guid": source_guid, "name": name,
                                            "plainTextPath": f"internal://{source_guid}.txt",
                                            "creatingUser": user_guid})
        el(source, "Description", text=f"De-identified transcript of interview {iid}, "
           "one utterance a line: [hh:mm:ss] Speaker: text.")
        for seg in store.segments(iid):
            span = range(seg["first_utterance"], seg["last_utterance"] + 1)
            # Skip a topic no longer in the guide, or segments left from an older text.
            if seg["topic"] not in code_guids or span.stop > len(utterances) or any(
                    utterances[i]["topic"] != seg["topic"] for i in span):
                continue
            start, end = offsets[seg["first_utterance"]][0], offsets[seg["last_utterance"]][1]
            selection_guid = guid("selection", iid, seg["topic"], start, end)
            selection = el(source, "PlainTextSelection", {
                "guid": selection_guid,
                "name": f"{seg['topic']}: utterances {seg['first_utterance']}-"
                        f"{seg['last_utterance']}",
                "startPosition": start, "endPosition": end, "creatingUser": user_guid})
            el(selection, "Description",
               text=f"{seg['source']} topic segment, confidence {seg['confidence']:.2f}")
            coding = el(selection, "Coding", {"guid": guid("coding", selection_guid),
                                              "creatingUser": user_guid})
            el(coding, "CodeRef", {"targetGUID": code_guids[seg["topic"]]})
    el(root, "Description", text="Interview transcripts de-identified by interview-pipeline; "
       "codes are the interview guide's topics, coded automatically (corrections marked).")
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml, texts


def validate(xml: bytes, schema: Path = SCHEMA) -> None:
    """Raise :class:`QdpxError` naming the first problem if ``xml`` breaks the schema."""
    from lxml import etree

    checker = etree.XMLSchema(etree.parse(str(schema)))
    if not checker.validate(etree.fromstring(xml)):
        error = checker.error_log.filter_from_errors()[0]
        raise QdpxError(f"the REFI-QDA project does not validate against {schema.name} "
                        f"(line {error.line}: {error.message}); please report this as a bug")


def package(xml: bytes, texts: dict[str, str]) -> bytes:
    """The .qdpx zip: project.qde and sources/, with fixed entry times (same input, same bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        entries = [("project.qde", xml)] + [(f"sources/{name}", text.encode("utf-8"))
                                            for name, text in sorted(texts.items())]
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return out.getvalue()


def export_qdpx(store, guide, out: Path, project_name: str, user: str, origin: str) -> Path:
    """Write ``<out>/<project_name>.qdpx``; returns its path."""
    xml, texts = build(store, guide, project_name, user, origin)
    validate(xml)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{project_name}.qdpx"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=out)
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(package(xml, texts))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
