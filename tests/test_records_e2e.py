
"""Call records across real processes: a kill -9 mid-call loses nothing already spoken, and the
CLI reads through the running server or, when none runs, from the file itself."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    ADMIN_TOKEN,
    APPLIANCE,
    appliance_env,
    free_port,
    run_appliance,
    wait_for_health,
)

from appliance.app import build_appliance
from appliance.config import default_config
from appliance.engines import build_engines

#: Real `appliance` processes, killed mid-call among them.
pytestmark = pytest.mark.slow


def post(base: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as reply:
        return dict(json.load(reply))


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [str(APPLIANCE), "serve", "--port", str(port)], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wait_for_health(f"http://127.0.0.1:{port}/voice/health", process)
    return process


def test_kill_9_mid_call_keeps_every_spoken_turn(tmp_path: Path) -> None:
    port = free_port()
    env = appliance_env(APPLIANCE_DATA_DIR=str(tmp_path / "data"), APPLIANCE_PORT=str(port))
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port)
    try:
        session = post(base, "/voice/sessions", {"channel": "phone", "caller_id": "+15556667777"})
        spoken = [
            ("user", "Hi, I'd like to book a room for two nights."),
            ("assistant", "Of course. What date would you like to arrive?", 410),
            ("user", "December 20th. My card is 4111 1111 1111 1111."),
        ]
        for role, content, *latency in spoken:
            post(base, f"/voice/sessions/{session['session_id']}/messages",
                 {"role": role, "content": content, "latency_ms": latency[0] if latency else None})  # fmt: skip
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()

    restarted = start_server(env, port)
    try:
        shown = run_appliance("calls", "show", session["session_id"], "--json", env=env)
        assert shown.returncode == 0, shown.stderr
        assert "via the running server" in shown.stderr
        call = json.loads(shown.stdout)
        assert call["status"] == "interrupted" and call["error_code"] == "process-died"
        assert [t["content"] for t in call["turns"]][:2] == [spoken[0][1], spoken[1][1]]
        assert call["turns"][1]["latency_ms"] == 410
        assert "4111" not in call["turns"][2]["content"] and call["turns"][2]["content"].startswith(
            "December 20th."
        )
        assert call["end_time"] == call["turns"][-1]["timestamp"]
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=60) == 0


def test_the_cli_goes_through_the_server_while_it_runs_and_reads_the_file_after(
    tmp_path: Path,
) -> None:
    """`serve --port` differs from the configuration: the commands still find it (the file is
    the server's while it runs), and read the file once it has stopped."""
    port = free_port()
    env = appliance_env(APPLIANCE_DATA_DIR=str(tmp_path / "data"), APPLIANCE_PORT=str(free_port()))
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port)
    try:
        session = post(base, "/voice/sessions", {"channel": "webrtc", "caller_id": "+15551112222"})
        post(
            base,
            f"/voice/sessions/{session['session_id']}/messages",
            {"role": "user", "content": "Do you allow pets?"},
        )
        post(base, "/voice/tools/create_reservation",
             {"check_in": "2099-03-01", "nights": 2, "guest_name": "Lee Chan", "room_type": "standard queen",
              "session_id": session["session_id"]})  # fmt: skip
        post(base, f"/voice/sessions/{session['session_id']}/end", {"status": "completed"})
        through_server = run_appliance("calls", "list", "--json", env=env)
        assert f"via the running server at {base}" in through_server.stderr
        summary = run_appliance("analytics", "summary", "--format", "json", env=env)
        assert summary.returncode == 0 and json.loads(summary.stdout)["calls"] == 1, summary.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0

    listed = run_appliance("calls", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "no appliance server is running" in listed.stderr
    rows = json.loads(listed.stdout)
    assert rows == json.loads(through_server.stdout)
    assert rows[0]["tools_executed"] == ["create_reservation"] and rows[0]["reservation_id"]

    reservations = json.loads(run_appliance("reservations", "list", "--json", env=env).stdout)
    assert [(r["guest_name"], r["check_in"], r["status"]) for r in reservations] == [
        ("Lee Chan", "2099-03-01", "confirmed")
    ]

    exported = tmp_path / "calls.csv"
    result = run_appliance("calls", "export", "--format", "csv", "--output", str(exported), env=env)
    assert result.returncode == 0 and "wrote 1 call(s)" in result.stdout
    assert "user: Do you allow pets?" in exported.read_text()

    erased = run_appliance("calls", "erase", "--caller", "+15551112222", "--yes", env=env)
    assert erased.returncode == 0 and "1 calls, 1 turns, 1 tool runs" in erased.stdout
    assert json.loads(run_appliance("calls", "list", "--json", env=env).stdout) == []

    purge = run_appliance("calls", "purge", "--older-than", "ninety", env=env)
    assert purge.returncode == 2 and "not an age" in purge.stderr


def test_erase_matches_the_caller_however_the_number_is_typed(tmp_path: Path) -> None:
    config = dataclasses.replace(
        default_config(),
        paths=dataclasses.replace(default_config().paths, data_dir=tmp_path / "data"),
    )

    async def a_call_from(caller: str) -> None:
        engines = build_engines(config)
        state = await build_appliance(config, engines)
        session = await state.sessions.create_session(channel="phone", caller_id=caller)
        session.add_message("user", "Do you have parking?")
        await state.sessions.end_session(session.id)
        await state.close()
        engines.close()

    asyncio.run(a_call_from("+15554443333"))
    env = appliance_env(APPLIANCE_DATA_DIR=str(tmp_path / "data"), APPLIANCE_PORT=str(free_port()))
    erased = run_appliance("calls", "erase", "--caller", "+1 (555) 444-3333", "--yes", env=env)
    assert erased.returncode == 0, erased.stderr
    assert "erased +15554443333: 1 calls, 1 turns" in erased.stdout
    again = run_appliance("calls", "erase", "--caller", "1-555-444-3333", "--yes", env=env)
    assert again.returncode == 1
    assert "nothing is recorded under +15554443333" in again.stderr
