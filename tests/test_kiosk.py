"""The lobby kiosk through a real audio path: a PulseAudio server with a pipe source as the
microphone and a null sink as the speaker, reached by PortAudio through ALSA's pulse plugin,
and the real `appliance kiosk` command. The guest speaks with espeak-ng's voice."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pytest
from conftest import ADMIN_TOKEN, APPLIANCE, appliance_env, get, says_time

from appliance.audio.frames import AudioFrame
from appliance.engines import Engines

#: A real sound server and real `appliance kiosk` processes.
pytestmark = pytest.mark.slow

RATE_HZ = 16000
BLOCK_BYTES = RATE_HZ * 20 // 1000 * 2


@dataclass
class SoundServer:
    env: dict[str, str]
    fifo: Path

    def client_env(self, **settings: str) -> dict[str, str]:
        """The environment of an `appliance` process that uses this sound server."""
        return {
            **appliance_env(**settings),
            **{k: self.env[k] for k in ("XDG_RUNTIME_DIR", "PULSE_SERVER")},
        }


@pytest.fixture()
def sound_server(tmp_path: Path) -> Iterator[SoundServer]:
    runtime = tmp_path / "pulse"
    runtime.mkdir(mode=0o700)
    fifo = tmp_path / "microphone.fifo"
    socket = runtime / "native"
    env = {
        **os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(tmp_path),
        "PULSE_SERVER": f"unix:{socket}",
    }  # fmt: skip
    server = subprocess.Popen(
        [
            "pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
            f"--load=module-native-protocol-unix socket={socket} auth-anonymous=1",
            f"--load=module-null-sink sink_name=lobby_speaker rate={RATE_HZ} channels=1",
            f"--load=module-pipe-source source_name=lobby_mic file={fifo} format=s16le "
            f"rate={RATE_HZ} channels=1",
        ],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
        assert server.poll() is None, f"PulseAudio did not start: {server.stderr.read()}"  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "PulseAudio did not answer"
        time.sleep(0.1)
    for command in (["set-default-source", "lobby_mic"], ["set-default-sink", "lobby_speaker"]):
        subprocess.run(["pactl", *command], env=env, check=True)
    yield SoundServer(env, fifo)
    server.terminate()
    server.wait(timeout=10)


class Guest:
    """Writes to the microphone pipe at real time: speech when given, silence otherwise."""

    def __init__(self, fifo: Path) -> None:
        self._said: queue.Queue[bytes] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(fifo,), daemon=True)
        self._thread.start()

    def say(self, pcm: bytes) -> None:
        self._said.put(pcm)

    def _run(self, fifo: Path) -> None:
        with open(fifo, "wb", buffering=0) as pipe:
            pending = b""
            started, sent = time.monotonic(), 0
            while not self._stop.is_set():
                if not pending and not self._said.empty():
                    pending = self._said.get()
                block, pending = (pending[:BLOCK_BYTES], pending[BLOCK_BYTES:])
                pipe.write(block.ljust(BLOCK_BYTES, b"\0"))
                sent += 1
                time.sleep(max(0.0, started + sent * 0.02 - time.monotonic()))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def espeak(text: str, folder: Path) -> bytes:
    wav = folder / "said.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), text], check=True)
    raw = subprocess.run(
        ["sox", str(wav), "-t", "raw", "-e", "signed", "-b", "16", "-r", str(RATE_HZ), "-c", "1", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return raw


def lines_until(process: subprocess.Popen[str], wanted: str, timeout_s: float) -> list[str]:
    """Read the kiosk's screen until a line holding ``wanted``."""
    seen: list[str] = []
    found = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line.rstrip())
            if wanted in line:
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(timeout_s), f"the kiosk never showed {wanted!r}: {seen}"
    return seen


def test_a_guest_talks_to_the_kiosk_and_hears_the_answer_on_its_speaker(
    sound_server: SoundServer, tmp_path: Path, engines: Engines
) -> None:
    data = tmp_path / "data"
    settings = tmp_path / "appliance.toml"
    settings.write_text('[kiosk]\nmode = "always-on"\nsession_silence_s = 5.0\n')
    env = sound_server.client_env(APPLIANCE_DATA_DIR=str(data), APPLIANCE_CONFIG=str(settings))
    guest = Guest(sound_server.fifo)
    speaker_file = tmp_path / "speaker.raw"
    with open(speaker_file, "wb") as heard_out:
        recorder = subprocess.Popen(
            ["parec", "-d", "lobby_speaker.monitor", "--raw", "--format=s16le",
             f"--rate={RATE_HZ}", "--channels=1"],
            env=sound_server.env, stdout=heard_out,
        )  # fmt: skip
        kiosk = subprocess.Popen(
            [str(APPLIANCE), "kiosk", "--device", "pulse", "--output-device", "pulse", "--once"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            screen = lines_until(kiosk, "Listening for a guest", timeout_s=120)
            guest.say(espeak("Hello there.", tmp_path))
            screen += lines_until(kiosk, "(listening)", timeout_s=30)  # greeted, then listening
            asked_at = speaker_file.stat().st_size
            guest.say(espeak("What time is check-out?", tmp_path))
            out, errors = kiosk.communicate(timeout=90)
            screen += out.splitlines()
        finally:
            guest.stop()
            if kiosk.poll() is None:
                kiosk.kill()
            recorder.terminate()
            recorder.wait(timeout=10)
    assert kiosk.returncode == 0, errors
    assert "1 conversation(s)" in screen[-1], screen
    said = [line for line in screen if line.startswith("you:")]
    answers = [line for line in screen if line.startswith("agent:")]
    assert any("check" in line.lower() for line in said), screen
    assert any(says_time(line, "11") for line in answers), screen

    pcm = speaker_file.read_bytes()[asked_at - asked_at % 2 :]
    reply = AudioFrame(pcm, RATE_HZ)
    assert np.abs(reply.samples()).max() > 1000, "nothing came out of the speaker"
    heard = asyncio.run(engines.stt.run(lambda model, a: model.transcribe(a).text, reply))
    assert says_time(str(heard).lower(), "11"), heard

    with duckdb.connect(str(data / "appliance.duckdb"), read_only=True) as db:
        rows = db.execute("SELECT channel, status FROM voice_calls").fetchall()
        turns = db.execute("SELECT content FROM conversation_turns WHERE role = 'user'").fetchall()
    assert rows == [("kiosk", "completed")]
    assert any("check" in content.lower() for (content,) in turns)


def test_a_missing_device_is_named_with_the_devices_there_are(
    sound_server: SoundServer, tmp_path: Path
) -> None:
    env = sound_server.client_env(APPLIANCE_DATA_DIR=str(tmp_path / "data"))
    listed = subprocess.run(
        [str(APPLIANCE), "kiosk", "--list-devices"], env=env, capture_output=True, text=True
    )
    assert listed.returncode == 0 and "pulse" in listed.stdout
    missing = subprocess.run(
        [str(APPLIANCE), "kiosk", "--device", "usb conference mic"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert missing.returncode == 1
    assert "'usb conference mic' matches no input device" in missing.stderr
    assert "pulse" in missing.stderr


def test_a_kiosk_pc_talks_through_the_appliance_with_push_to_talk(
    sound_server: SoundServer, served: str, tmp_path: Path
) -> None:
    """No models on the kiosk PC: the conversation runs on the appliance over WebRTC."""
    settings = tmp_path / "kiosk.toml"
    settings.write_text("[kiosk]\nsession_silence_s = 8.0\n")  # push-to-talk: the default
    env = sound_server.client_env(
        APPLIANCE_DATA_DIR=str(tmp_path / "kiosk-pc"),
        APPLIANCE_MODELS_DIR=str(tmp_path / "no-models"),
        APPLIANCE_CONFIG=str(settings),
    )
    guest = Guest(sound_server.fifo)
    kiosk = subprocess.Popen(
        [str(APPLIANCE), "kiosk", "--connect", served, "--device", "pulse",
         "--output-device", "pulse", "--once"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert kiosk.stdin is not None
    try:
        screen = lines_until(kiosk, "Press Enter", timeout_s=60)
        # Before anyone presses Enter, someone near the kiosk talks: what the microphone hears
        # then must never reach the call.
        guest.say(espeak("Please cancel my reservation for tomorrow.", tmp_path))
        time.sleep(11)
        kiosk.stdin.write("\n")
        kiosk.stdin.flush()
        screen += lines_until(kiosk, "(listening)", timeout_s=30)  # after the greeting
        guest.say(espeak("What time is check-out?", tmp_path))
        time.sleep(3.5)
        kiosk.stdin.write("\n")  # done talking
        kiosk.stdin.flush()
        out, errors = kiosk.communicate(timeout=60)
        screen += out.splitlines()
    finally:
        guest.stop()
        if kiosk.poll() is None:
            kiosk.kill()
    assert kiosk.returncode == 0, errors
    assert any(line.startswith("you:") and "check" in line.lower() for line in screen), screen
    assert not any("cancel" in line.lower() for line in screen), screen
    assert any(line.startswith("agent:") and says_time(line, "11") for line in screen), screen
    for _ in range(100):  # the kiosk's hang-up reaches the server, which closes the row
        status, body = get(f"{served}/voice/calls?channel=kiosk", token=ADMIN_TOKEN)
        rows = json.loads(body)["calls"]
        if status != 200 or all(r["status"] != "active" for r in rows):
            break
        time.sleep(0.1)
    assert status == 200 and [r["status"] for r in rows] == ["completed"], rows
    _, body = get(f"{served}/voice/calls/{rows[0]['session_id']}", token=ADMIN_TOKEN)
    caller_turns = [t["content"] for t in json.loads(body)["turns"] if t["role"] == "user"]
    assert caller_turns and not any("cancel" in t.lower() for t in caller_turns), caller_turns


def test_a_box_without_sound_devices_says_so(tmp_path: Path) -> None:
    env = appliance_env(APPLIANCE_DATA_DIR=str(tmp_path / "data"))
    env.pop("PULSE_SERVER", None)
    env["XDG_RUNTIME_DIR"] = str(tmp_path)  # no sound server here
    result = subprocess.run(
        [str(APPLIANCE), "kiosk", "--connect", "http://127.0.0.1:9", "--once"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "the default input cannot be used" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
