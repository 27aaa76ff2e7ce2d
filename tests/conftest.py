"""Shared fixtures: the real bundled models, loaded once per test session, and helpers for
running the real `appliance` command."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web

from appliance.app import Appliance, open_appliance
from appliance.config import INSTALL_ROOT, Config, default_config
from appliance.engines import Engines, ModelHost, build_engines
from appliance.llm.openai import OpenAiChatModel
from appliance.models import FileState, check_model, load_manifest

MODELS_DIR = INSTALL_ROOT / "models"
SPEECH_DIR = INSTALL_ROOT.parent / "shared" / "fixtures" / "speech"
APPLIANCE = Path(sys.executable).parent / "appliance"
ADMIN_TOKEN = "test-admin-token-0123456789abcdef"


#: Fixtures that load the real models or start real processes, browsers or sound servers: a
#: test that uses one belongs to the slow layer.
SLOW_FIXTURES = {"engines", "live_state", "served", "sound_server", "browser", "chromium"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def bundled_models_installed() -> None:
    """The tests run on the real models: a missing one is an install failure, not a skip."""
    for model in load_manifest(MODELS_DIR):
        bad = [c for c in check_model(MODELS_DIR, model) if c.state is not FileState.OK]
        assert not bad, f"bundled model {model.name} is not installed: run ./install.sh ({bad})"


@pytest.fixture()
def config(tmp_path: Path) -> Config:
    """The default settings with a data dir of the test's own."""
    defaults = default_config()
    return replace(defaults, paths=replace(defaults.paths, data_dir=tmp_path / "data"))


@pytest.fixture(scope="session")
def engines() -> Iterator[Engines]:
    """The three real models, loaded and warmed up once for the whole session.

    Each model lives on its own worker thread, so the loaded hosts serve any event loop."""
    loaded = build_engines(default_config())
    asyncio.run(loaded.start())
    yield loaded
    loaded.close()


_HOUR_WORDS = ("twelve", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
               "ten", "eleven")  # fmt: skip


def says_time(text: str, hh_mm: str) -> bool:
    """Whether a transcript holds the time ``hh_mm`` ("11", "6:30") as whisper may write it:
    "11", "11am", "11 a.m.", "eleven", "6:30", "6.30", "six thirty"."""
    hour, _, minute = hh_mm.partition(":")
    word = _HOUR_WORDS[int(hour) % 12]
    spoken = text.lower()
    if minute and minute != "00":
        minute_words = {"30": "thirty", "15": "fifteen", "45": "forty[- ]five"}.get(minute, minute)
        return bool(
            re.search(rf"\b{int(hour)}[:.]?{minute}(?!\d)", spoken)
            or re.search(rf"\b{word}[ -]{minute_words}\b", spoken)
        )
    return bool(re.search(rf"\b{int(hour)}(?![\d:.]\d)(?=\s|[ap]\.?\s?m|\b|$)", spoken)
                or re.search(rf"\b{word}\b", spoken))  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def on_loopback(app: web.Application) -> AsyncIterator[str]:
    """``app`` served on a free loopback port; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def served_llm(engines: Engines, base_url: str, timeout_s: float) -> Engines:
    """The session's models, with the language model reached over HTTP at ``base_url``
    (the "openai" backend: vLLM or llama.cpp's server on another box)."""
    settings = replace(default_config().llm, backend="openai", base_url=base_url, timeout_s=timeout_s)
    host: ModelHost[OpenAiChatModel] = ModelHost(
        "llm", Path(base_url), lambda: OpenAiChatModel(settings), lambda model: None
    )
    return Engines(stt=engines.stt, llm=host, tts=engines.tts, nlu=engines.nlu)


def appliance_env(**overrides: str) -> dict[str, str]:
    """The environment for a real `appliance` process: the test's token, no stray settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPLIANCE_")}
    env.update(APPLIANCE_ADMIN_TOKEN=ADMIN_TOKEN, APPLIANCE_LOG_FORMAT="json", COLUMNS="200")
    env.update(overrides)
    return env


def run_appliance(
    *args: str, env: dict[str, str], timeout_s: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(APPLIANCE), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
        input=stdin,
    )


def get(url: str, token: str | None = None, timeout_s: float = 5) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_for_health(url: str, process: subprocess.Popen[str], timeout_s: float = 180) -> bytes:
    """Poll /voice/health until 200; fail with the server's output if it dies or times out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"server exited with {process.returncode}:\n{process.stderr.read() if process.stderr else ''}"
            )
        try:
            status, body = get(url, timeout_s=2)
        except OSError:
            status, body = 0, b""
        if status == 200:
            return body
        time.sleep(0.25)
    raise AssertionError(f"{url} did not answer 200 within {timeout_s} s")


def models_dir_without_files(tmp_path: Path) -> Path:
    """A models dir holding only the manifest: every bundled model is missing."""
    target = tmp_path / "models"
    target.mkdir()
    shutil.copy(MODELS_DIR / "manifest.toml", target / "manifest.toml")
    return target


def linked_models_dir(tmp_path: Path, copied: tuple[str, ...] = ()) -> Path:
    """A models dir whose files link to the installed ones, except ``copied`` (dest paths),
    which are real copies a test may damage."""
    target = models_dir_without_files(tmp_path)
    for model in load_manifest(MODELS_DIR):
        for file in model.files:
            dest = target / file.dest
            dest.parent.mkdir(parents=True, exist_ok=True)
            if file.dest in copied:
                shutil.copy(MODELS_DIR / file.dest, dest)
            else:
                dest.symlink_to(MODELS_DIR / file.dest)
    return target


@pytest.fixture()
async def state(config: Config) -> AsyncIterator[Appliance]:
    """The server's real state (DuckDB file, sessions, hotel, tools) in the test's data dir.
    The models are not loaded: nothing here needs them."""
    async with open_appliance(config) as opened:
        yield opened


@pytest.fixture()
async def live_state(engines: Engines, config: Config) -> AsyncIterator[Appliance]:
    """The server's real state with the real, loaded models (the session's)."""
    async with open_appliance(config, engines) as opened:
        opened.open_for_calls()
        yield opened


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `appliance serve` for browsers and kiosk PCs on this machine: it offers them
    loopback, the one address safe to use here. Yields its base URL."""
    folder = tmp_path_factory.mktemp("served")
    settings = folder / "appliance.toml"
    settings.write_text('[webrtc]\nhost_addresses = ["127.0.0.1"]\nstats_interval_s = 1.0\n')
    port = free_port()
    # The log goes to a file: a pipe nobody reads would fill and stall the server.
    with open(folder / "server.log", "w") as log:
        process = subprocess.Popen(
            [str(APPLIANCE), "serve", "--port", str(port)],
            env=appliance_env(APPLIANCE_DATA_DIR=str(folder / "data"), APPLIANCE_CONFIG=str(settings)),
            stdout=subprocess.DEVNULL, stderr=log, text=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(f"{base}/voice/health", process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
