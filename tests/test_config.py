import pytest

from pipeline import config


def test_defaults_load_and_document_every_key():
    cfg = config.load()
    assert cfg.transcribe.model == "base"
    assert cfg.transcribe.device == "cpu"
    assert cfg.transcribe.vad_filter is True
    assert cfg.transcribe.channels.left == "interviewer"
    assert cfg.transcribe.channels.right == "respondent"
    text = config.default_text()
    for section in cfg.model_dump():
        for key in cfg.model_dump()[section]:
            # every key is preceded by a comment line explaining it
            lines = text.splitlines()
            idx = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{key}:"))
            assert lines[idx - 1].strip().startswith("#") or lines[idx - 1].strip().endswith(":"), key


def test_workspace_file_overrides_only_given_keys(tmp_path):
    (tmp_path / "pipeline.yaml").write_text("transcribe:\n  model: tiny.en\n")
    cfg = config.load(tmp_path)
    assert cfg.transcribe.model == "tiny.en"
    assert cfg.transcribe.beam_size == 5


@pytest.mark.parametrize(
    "text, message",
    [
        ("transcribe:\n  modle: tiny.en\n", "unknown setting 'transcribe.modle'"),
        ("transcrbe: {}\n", "unknown setting 'transcrbe'"),
        ("transcribe:\n  beam_size: 0\n", "transcribe.beam_size"),
        ("transcribe:\n  device: tpu\n", "transcribe.device"),
        ("- just a list\n", "must be a mapping"),
        ("transcribe: [\n", "not valid YAML"),
    ],
)
def test_bad_config_is_refused_not_defaulted(tmp_path, text, message):
    (tmp_path / "pipeline.yaml").write_text(text)
    with pytest.raises(config.ConfigError, match=message.replace("[", r"\[")):
        config.load(tmp_path)


def test_digest_follows_settings():
    a = config.load()
    b = config.load(overrides={"transcribe": {"beam_size": 1}})
    assert a.digest() == config.load().digest()
    assert a.digest() != b.digest()


def test_channel_map_auto_and_workers():
    cfg = config.load(overrides={"transcribe": {"channels": "auto"}, "run": {"workers": 3}})
    assert cfg.transcribe.channels == "auto"
    assert cfg.workers() == 3
    assert cfg.cpu_threads() >= 1


def test_workers_default_to_one_per_core_sharing_cores(monkeypatch):
    monkeypatch.setattr(config.os, "cpu_count", lambda: 8)
    cfg = config.load()
    assert cfg.workers() == 8 and cfg.cpu_threads() == 1
    # two recordings: two workers, four threads each
    assert cfg.for_workers(2).cpu_threads() == 4 and cfg.cpu_threads(1) == 8
    pinned = config.load(overrides={"transcribe": {"cpu_threads": 3}})
    assert pinned.for_workers(2).cpu_threads() == 3
    # on a GPU one worker, with every core (not one CUDA context and model per core)
    gpu = config.load(overrides={"transcribe": {"device": "cuda"}})
    assert gpu.workers() == 1 and gpu.cpu_threads() == 8
    assert config.load(overrides={"transcribe": {"device": "cuda"}, "run": {"workers": 2}}
                       ).workers() == 2
