"""`device: cuda` with float16, where a CUDA device is present (skipped elsewhere)."""

import json
import time

import ctranslate2
import pytest

from pipeline import api
from tests.conftest import encode, run_cli

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(ctranslate2.get_cuda_device_count() == 0, reason="no CUDA device"),
]


def test_cuda_float16_transcribes_through_the_cli(tmp_path, jfk):
    samples, reference = jfk
    ws = tmp_path / "ws"
    api.init(ws)
    (ws / "config" / "pipeline.yaml").write_text(
        "transcribe:\n  model: base\n  device: cuda\ningest:\n  stable_seconds: 0.2\n"
    )
    encode(samples, 16000, ws / "recordings" / "jfk.wav", "pcm_s16le")
    time.sleep(0.3)
    run_cli(ws, "run")
    run_cli(ws, "export", "--out", str(tmp_path / "out"), "--identifiable")
    (doc,) = [json.loads(p.read_text()) for p in (tmp_path / "out").glob("*.json")]
    text = " ".join(u["text"] for u in doc["utterances"]).lower()
    assert "ask not what your country can do for you" in text.replace(",", "")
    (options,) = [json.loads(r["options"]) for r in api.provenance(ws, doc["interview_id"])
                  if r["stage"] == "transcribe"]
    assert options["device"] == "cuda" and options["compute_type"] == "float16"
