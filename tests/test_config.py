"""Configuration: the TOML file, `.env.local`, the environment, and the errors people see."""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from pathlib import Path

import pytest
from conftest import appliance_env, run_appliance

from appliance.config import (
    DEFAULT_CONFIG_PATH,
    ENV_VARS,
    Config,
    SyncSettings,
    default_config,
    load_config,
)
from appliance.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "appliance.toml"
    path.write_text(text)
    return path


def load(path: Path, **environ: str) -> Config:
    return load_config(path, environ=environ, read_env_files=False)


def test_unknown_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "[server]\nprot = 8081\n")
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert "unknown key [server] prot (did you mean 'port'?)" in caught.value.message
    assert str(path) in caught.value.message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[server]\nport = "eighty"\n[stt]\nbeam_size = 0\n[voice]\nenabled = "yes"\n[sevrer]\nx = 1\n',
    )
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = caught.value.message
    assert "[server] port: expected an integer, got 'eighty' (str)" in message
    assert "[stt] beam_size: must be at least 1, got 0" in message
    assert "[voice] enabled: expected true or false" in message
    assert "unknown section [sevrer] (did you mean 'server'?)" in message


def test_literal_settings_list_their_choices(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, '[recording]\nstorage = "ftp"\n'))
    assert "[recording] storage: expected one of 'local', 's3', got 'ftp'" in caught.value.message


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[server\nport = 1\n")
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert caught.value.code == "config-syntax"
    assert str(path) in caught.value.message


def test_a_named_config_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load(tmp_path / "nope.toml")


def test_environment_overrides_the_file_with_the_old_module_names(tmp_path: Path) -> None:
    path = write(tmp_path, "[voice]\nmax_call_duration_minutes = 20\nenabled = true\n")
    config = load(
        path,
        MAX_CALL_DURATION_MINUTES="45",
        VOICE_ENABLED="false",
        TWILIO_AUTH_TOKEN="secret-auth-token-value",
        FRONT_DESK_PHONE="+15550100",
        RECORDING_STORAGE="S3",
        S3_RECORDINGS_BUCKET="hotel-calls",
        APPLIANCE_PORT="9090",
    )
    assert config.voice.max_call_duration_minutes == 45
    assert config.voice.enabled is False
    assert config.twilio.auth_token == "secret-auth-token-value"
    assert config.departments.front_desk == "+15550100"
    assert config.recording.storage == "s3"
    assert config.recording.s3_bucket == "hotel-calls"
    assert config.server.port == 9090


def test_a_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(
            write(tmp_path, ""),
            MAX_CALL_DURATION_MINUTES="half an hour",
            VOICE_RECORDING_ENABLED="maybe",
        )
    message = caught.value.message
    assert (
        "environment MAX_CALL_DURATION_MINUTES (sets [voice] max_call_duration_minutes)" in message
    )
    assert "environment VOICE_RECORDING_ENABLED" in message


def test_env_local_is_read_and_the_real_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env.local").write_text(
        "TWILIO_PHONE_NUMBER=+15550111\nDEFAULT_LANGUAGE=en-GB\n# a comment\nHOUSEKEEPING_PHONE='+15550122'\n"
    )
    monkeypatch.chdir(tmp_path)
    config = load_config(write(tmp_path, ""), environ={"DEFAULT_LANGUAGE": "es-ES"})
    assert config.twilio.phone_number == "+15550111"
    assert config.departments.housekeeping == "+15550122"
    assert config.voice.default_language == "es-ES"
    assert str(tmp_path / ".env.local") in config.sources


def test_openai_settings_are_accepted_and_explained(tmp_path: Path) -> None:
    config = load(
        write(tmp_path, ""), OPENAI_VOICE="alloy", OPENAI_REALTIME_MODEL="gpt-4o-realtime"
    )
    notes = " ".join(config.warnings())
    assert "OPENAI_VOICE='alloy' is accepted for compatibility but unused" in notes
    assert "Piper voice" in notes
    assert "OPENAI_REALTIME_MODEL='gpt-4o-realtime'" in notes


def test_relative_paths_resolve_against_the_install_root(tmp_path: Path) -> None:
    config = load(
        write(tmp_path, '[paths]\ndata_dir = "var/data"\n'),
        APPLIANCE_LLM_MODEL="/srv/models/qwen.gguf",
    )
    assert config.paths.data_dir.is_absolute()
    assert config.paths.data_dir.parts[-2:] == ("var", "data")
    assert config.model_path("llm") == Path("/srv/models/qwen.gguf")
    assert config.model_path("stt") == config.paths.models_dir / "stt/whisper-tiny.en"


def test_the_shipped_example_documents_every_setting_and_loads_as_the_defaults() -> None:
    text = DEFAULT_CONFIG_PATH.read_text()
    documented: dict[str, set[str]] = {}
    section = ""
    for line in text.splitlines():
        if header := re.match(r"^\[(\w+)\]", line):
            section = header.group(1)
        elif key := re.match(r"^#?\s*(\w+)\s*=", line):
            documented.setdefault(section, set()).add(key.group(1))
    hints = typing.get_type_hints(Config)
    for field in dataclasses.fields(Config):
        if field.name == "sources":
            continue
        keys = {f.name for f in dataclasses.fields(hints[field.name])}
        assert keys == documented.get(field.name), f"[{field.name}] in {DEFAULT_CONFIG_PATH}"
    shipped = load(DEFAULT_CONFIG_PATH)
    assert shipped.sources == (str(DEFAULT_CONFIG_PATH),)
    assert dataclasses.replace(shipped, sources=()) == default_config()


def test_every_environment_variable_maps_to_a_real_setting() -> None:
    hints = typing.get_type_hints(Config)
    for var, (section, key) in ENV_VARS.items():
        assert key in {f.name for f in dataclasses.fields(hints[section])}, var


def test_config_check_command_names_the_bad_key_and_exits_3(tmp_path: Path) -> None:
    path = write(tmp_path, "[llm]\nthreads = 0\ncontext = 4096\n")
    result = run_appliance("config", "check", "--config", str(path), env=appliance_env())
    assert result.returncode == 3
    assert "[llm] threads: must be at least 1, got 0" in result.stderr
    assert "unknown key [llm] context" in result.stderr


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    env = appliance_env(
        TWILIO_AUTH_TOKEN="twilio-auth-token-9f8e7d6c5b4a",
        AWS_SECRET_ACCESS_KEY="aws-secret-access-key-1234567890",
    )
    result = run_appliance(
        "config", "show", "--json", "--config", str(write(tmp_path, "")), env=env
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert "twilio-auth-token" not in result.stdout
    assert "aws-secret-access-key" not in result.stdout
    assert "test-admin-token" not in result.stdout
    assert shown["twilio"]["auth_token"] == "****5b4a"
    assert shown["recording"]["aws_access_key_id"] == "(not set)"


def test_every_sync_setting_has_an_environment_name(tmp_path: Path) -> None:
    named = {key for section, key in ENV_VARS.values() if section == "sync"}
    assert named == {f.name for f in dataclasses.fields(SyncSettings)}
    config = load(
        write(tmp_path, ""), APPLIANCE_SYNC_ENABLED="true", APPLIANCE_SYNC_DESTINATION="https",
        APPLIANCE_SYNC_PROPERTY_ID="harbor-view", APPLIANCE_SYNC_HTTPS_URL="https://group.example/in",
        APPLIANCE_SYNC_SCHEDULE="15 * * * *", APPLIANCE_SYNC_SETTLE_MINUTES="30",
        APPLIANCE_SYNC_RETRY_MAX_S="600",
    )  # fmt: skip
    assert (config.sync.destination, config.sync.property_id, config.sync.https_url) == (
        "https", "harbor-view", "https://group.example/in"
    )
    assert (config.sync.schedule, config.sync.settle_minutes, config.sync.retry_max_s) == (
        "15 * * * *", 30, 600.0
    )
