"""`appliance serve` and `appliance doctor` as IT staff run them: real processes, real ports."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import (
    ADMIN_TOKEN,
    APPLIANCE,
    appliance_env,
    free_port,
    get,
    models_dir_without_files,
    run_appliance,
    wait_for_health,
)

from appliance.cli.common import EXIT_DATABASE_LOCKED
from appliance.config import INSTALL_ROOT

#: Real `appliance serve` and `doctor` processes.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """One real server for the module, on a free loopback port with its own data dir."""
    port = free_port()
    data_dir = tmp_path_factory.mktemp("serve-data")
    process = subprocess.Popen(
        [str(APPLIANCE), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=appliance_env(APPLIANCE_DATA_DIR=str(data_dir)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(f"{base}/voice/health", process)
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_loads_every_real_model(server: tuple[subprocess.Popen[str], str]) -> None:
    _, base = server
    status, body = get(f"{base}/voice/health")
    assert status == 200
    health = json.loads(body)
    assert health["status"] == "ready"
    assert {role: m["loaded"] for role, m in health["models"].items()} == {
        "stt": True,
        "llm": True,
        "tts": True,
        "nlu": True,
    }
    # Where each runs: on this machine without a GPU, the CPU.
    assert {m["device"] for m in health["models"].values()} == {"cpu"}
    assert health["models"]["llm"]["path"].endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    assert all(m["warm_up_s"] is not None for m in health["models"].values())


def test_serve_enforces_the_admin_token(server: tuple[subprocess.Popen[str], str]) -> None:
    _, base = server
    assert get(f"{base}/admin/config")[0] == 401
    assert get(f"{base}/admin/config", token="not-the-token")[0] == 401
    status, body = get(f"{base}/admin/config", token=ADMIN_TOKEN)
    assert status == 200
    assert json.loads(body)["server"]["admin_token"].startswith("****")


def test_sigterm_stops_the_server_cleanly(server: tuple[subprocess.Popen[str], str]) -> None:
    process, base = server
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    events = [
        json.loads(line)["event"]
        for line in process.stderr.read().splitlines()
        if line.startswith("{")
    ]
    assert any(e.startswith("ready in") for e in events)
    assert events[-1] == "stopped cleanly"
    with pytest.raises(OSError):
        get(f"{base}/voice/health", timeout_s=2)


def test_serve_refuses_an_open_admin_api_on_the_network() -> None:
    result = run_appliance(
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        str(free_port()),
        env=appliance_env(APPLIANCE_ADMIN_TOKEN=""),
    )
    assert result.returncode == 3
    assert "refusing to listen on 0.0.0.0" in result.stderr


def test_serve_refuses_a_guessable_token_on_the_network() -> None:
    result = run_appliance(
        "serve", "--host", "0.0.0.0", "--port", str(free_port()),
        env=appliance_env(APPLIANCE_ADMIN_TOKEN="abc123"),
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "has 6 characters and could be guessed" in result.stderr
    assert "abc123" not in result.stderr


def test_serve_stops_on_a_missing_model_naming_the_path_and_the_fix(tmp_path: Path) -> None:
    models_dir = models_dir_without_files(tmp_path)
    result = run_appliance(
        "serve", "--port", str(free_port()), env=appliance_env(APPLIANCE_MODELS_DIR=str(models_dir))
    )
    assert result.returncode == 4
    assert str(models_dir / "llm" / "SmolLM2-135M-Instruct.Q4_1.gguf") in result.stderr
    assert "appliance models install" in result.stderr


def test_serve_reports_a_port_in_use() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_appliance("serve", "--port", str(port), env=appliance_env())
    assert result.returncode == 5
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_doctor_reports_a_missing_model_with_its_fix(tmp_path: Path) -> None:
    models_dir = models_dir_without_files(tmp_path)
    env = appliance_env(
        APPLIANCE_MODELS_DIR=str(models_dir), APPLIANCE_DATA_DIR=str(tmp_path / "data")
    )
    table = run_appliance("doctor", env=env)
    assert table.returncode == 1
    assert "4 check(s) failed: stt model, llm model, tts model, nlu model" in table.stdout

    checks = {c["name"]: c for c in json.loads(run_appliance("doctor", "--json", env=env).stdout)}
    llm = checks["llm model"]
    assert llm["status"] == "FAIL"
    assert "missing: llm/SmolLM2-135M-Instruct.Q4_1.gguf" in llm["detail"]
    assert llm["fix"] == "appliance models install"
    assert checks["database"]["status"] == "ok"


def test_doctor_passes_on_an_installed_machine(tmp_path: Path) -> None:
    result = run_appliance(
        "doctor",
        "--config",
        str(Path(APPLIANCE).parents[2] / "config/appliance.toml"),
        env=appliance_env(
            APPLIANCE_DATA_DIR=str(tmp_path / "data"), APPLIANCE_PORT=str(free_port())
        ),
    )
    assert result.returncode == 0, result.stdout
    assert "all checks passed" in result.stdout


def test_a_database_another_process_holds_stops_serve_in_one_line_for_good(tmp_path: Path) -> None:
    """Exit 6, one line saying who holds what, no traceback; and the unit's systemd does not
    restart it every five seconds for ever."""
    data = tmp_path / "data"
    data.mkdir()
    holder = duckdb.connect(str(data / "appliance.duckdb"))  # another process holds the file
    try:
        result = run_appliance(
            "serve", "--port", str(free_port()), env=appliance_env(APPLIANCE_DATA_DIR=str(data))
        )
    finally:
        holder.close()
    assert result.returncode == EXIT_DATABASE_LOCKED, result.stderr
    errors = [json.loads(line) for line in result.stderr.splitlines() if '"level": "error"' in line]
    assert len(errors) == 1 and "held by another process" in errors[0]["event"], result.stderr
    assert "Traceback" not in result.stderr
    unit = (INSTALL_ROOT / "systemd" / "appliance.service").read_text()
    prevented = re.search(r"^RestartPreventExitStatus=(.*)$", unit, re.MULTILINE)
    assert prevented is not None and str(EXIT_DATABASE_LOCKED) in prevented.group(1).split()
    limit = re.search(r"^LimitNOFILE=(\d+)$", unit, re.MULTILINE)
    assert limit is not None and int(limit.group(1)) >= 65536


def test_config_check_refuses_what_serve_refuses() -> None:
    for token, named in (("", "APPLIANCE_ADMIN_TOKEN"), ("abc123", "could be guessed")):
        result = run_appliance(
            "config", "check", env=appliance_env(APPLIANCE_HOST="0.0.0.0", APPLIANCE_ADMIN_TOKEN=token)
        )
        assert result.returncode == 3, result.stdout
        assert named in result.stderr and "abc123" not in result.stderr + result.stdout
    fine = run_appliance("config", "check", env=appliance_env(APPLIANCE_HOST="0.0.0.0"))
    assert fine.returncode == 0, fine.stderr
