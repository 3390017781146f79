import json
import os
import time

import pytest

from pipeline import ingest

EXT = ("wav", "mp3", "m4a")


def test_scan_finds_audio_only_and_skips_hidden(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"x")
    (tmp_path / "B.MP3").write_bytes(b"x")
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / ".partial.wav").write_bytes(b"x")
    (tmp_path / "site1").mkdir()
    (tmp_path / "site1" / "c.m4a").write_bytes(b"x")
    names = [f.name for f in ingest.scan(tmp_path, EXT)]
    assert names == ["B.MP3", "a.wav", "site1/c.m4a"]


def test_stability_follows_modification_time(tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(b"x")
    found = ingest.scan(tmp_path, EXT)[0]
    assert not found.stable(5.0)
    assert found.stable(5.0, now=time.time() + 6)
    assert found.unchanged()
    with open(path, "ab") as f:
        f.write(b"more")
    assert not found.unchanged()


def test_identity_is_content_hash(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"same")
    (tmp_path / "b.wav").write_bytes(b"same")
    a, b = (ingest.sha256_file(tmp_path / n) for n in ("a.wav", "b.wav"))
    assert a == b
    assert ingest.interview_id(a) == a[:12]


def test_sidecar_read(tmp_path):
    rec = tmp_path / "int01.wav"
    rec.write_bytes(b"x")
    assert ingest.read_sidecar(rec) == ingest.Sidecar({}, None, None)
    data = {"respondent_id": 7, "gender": "female", "age": 61, "ethnicity": "not stated"}
    rec.with_suffix(".json").write_text(json.dumps(data))
    side = ingest.read_sidecar(rec)
    assert side.respondent_id == "7"
    assert side.metadata == {"gender": "female", "age": 61, "ethnicity": "not stated"}
    assert len(side.sha256) == 64


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"venue": {"room": 1}}', "attribute 'venue' must be text"),
        ('{"age": 400}', "not a plausible age"),
        ('{"respondent_id": [1]}', "attribute 'respondent_id' must be text"),
        ('{"respondent_id": true}', "respondent_id must be text"),
    ],
)
def test_invalid_sidecar_says_what_is_wrong(tmp_path, content, message):
    rec = tmp_path / "int01.wav"
    rec.write_bytes(b"x")
    rec.with_suffix(".json").write_text(content)
    with pytest.raises(ingest.SidecarError, match=message):
        ingest.read_sidecar(rec)


def test_sidecar_not_utf8(tmp_path):
    rec = tmp_path / "int01.wav"
    rec.write_bytes(b"x")
    rec.with_suffix(".json").write_bytes(b'{"venue": "caf\xe9"}')
    with pytest.raises(ingest.SidecarError, match="not valid JSON"):
        ingest.read_sidecar(rec)
    os.remove(rec.with_suffix(".json"))
