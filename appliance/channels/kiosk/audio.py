"""The kiosk's microphone and speaker through PortAudio (sounddevice): 20 ms blocks of 16-bit
mono in, replies out. PortAudio calls back on its own thread; the blocks cross to the event
loop one at a time."""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from typing import Any

import numpy as np
import sounddevice as sd

from appliance.audio.frames import AudioFrame
from appliance.audio.resample import StreamResampler
from appliance.errors import ChannelError

BLOCK_MS = 20
#: The speaker counts as busy this long after its last sound: the room's echo dies down.
ECHO_TAIL_S = 0.3
#: A piece of audio with a sample this loud (16-bit) is sound, not silence or codec noise.
SOUND_LEVEL = 200


def list_devices() -> list[dict[str, Any]]:
    """Every PortAudio device: index, name, input and output channels, default rate."""
    try:
        devices = sd.query_devices()
    except sd.PortAudioError as err:
        raise ChannelError("audio-unavailable", f"PortAudio cannot list devices: {err}") from err
    return [
        {
            "index": index,
            "name": device["name"],
            "inputs": device["max_input_channels"],
            "outputs": device["max_output_channels"],
            "rate_hz": int(device["default_samplerate"]),
        }
        for index, device in enumerate(devices)
    ]


def describe_devices() -> str:
    rows = list_devices()
    if not rows:
        return "  (none: no sound card or sound server was found)"
    return "\n".join(
        f"  {d['index']:>3}  {d['name']}  (in {d['inputs']}, out {d['outputs']}, {d['rate_hz']} Hz)"
        for d in rows
    )


def find_device(wanted: str, kind: str) -> int | None:
    """The device ``wanted`` names (a number or part of a name) that has ``kind`` channels
    ("inputs" or "outputs"); None for the default. A miss lists what there is."""
    if not wanted:
        return None
    rows = [d for d in list_devices() if d[kind] > 0]
    if wanted.isdigit():
        matches = [d for d in rows if d["index"] == int(wanted)]
    else:
        exact = [d for d in rows if d["name"].lower() == wanted.lower()]
        matches = exact or [d for d in rows if wanted.lower() in d["name"].lower()]
    if len(matches) == 1:
        return int(matches[0]["index"])
    what = "input" if kind == "inputs" else "output"
    problem = "matches several" if matches else "matches no"
    raise ChannelError(
        "audio-device",
        f"{wanted!r} {problem} {what} device; the devices are:\n{describe_devices()}",
    )


def _rate_of(device: int | None, kind: str) -> int:
    """The device's own rate; a missing device (none at all, or no default) is named."""
    what = "input" if kind == "inputs" else "output"
    try:
        info = sd.query_devices(device, what)
    except (sd.PortAudioError, ValueError) as err:
        which = "the default " + what if device is None else f"{what} device {device}"
        raise ChannelError(
            "audio-device",
            f"{which} cannot be used ({err}); the devices are:\n{describe_devices()}",
        ) from err
    return int(info["default_samplerate"])


def _started(kind: Any, what: str, device: int | None, rate_hz: int, callback: Any) -> Any:
    """A running PortAudio stream of 20 ms blocks of 16-bit mono; a failure names the device."""
    try:
        stream = kind(
            samplerate=rate_hz, blocksize=rate_hz * BLOCK_MS // 1000, device=device,
            channels=1, dtype="int16", callback=callback,
        )  # fmt: skip
        stream.start()
    except sd.PortAudioError as err:
        raise ChannelError(
            "audio-device",
            f"the {what} cannot be opened: {err}; the devices are:\n{describe_devices()}",
        ) from err
    return stream


class Microphone:
    """Blocks of caller audio, read as they come."""

    def __init__(self, device: int | None) -> None:
        self._device = device
        self.rate_hz = _rate_of(device, "inputs")
        self._blocks: asyncio.Queue[AudioFrame] = asyncio.Queue(maxsize=500)
        self._stream: sd.RawInputStream | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()

        def callback(data: Any, frames: int, when: Any, status: sd.CallbackFlags) -> None:
            frame = AudioFrame(bytes(data), self.rate_hz)
            loop.call_soon_threadsafe(self._put, frame)

        self._stream = _started(
            sd.RawInputStream, "microphone", self._device, self.rate_hz, callback
        )

    def _put(self, frame: AudioFrame) -> None:
        if self._blocks.full():
            self._blocks.get_nowait()  # the loop fell behind: the oldest audio goes
        self._blocks.put_nowait(frame)

    async def read(self) -> AudioFrame:
        return await self._blocks.get()

    def drain(self) -> None:
        """Forget what was heard while nobody listened: a conversation starts from now."""
        while not self._blocks.empty():
            self._blocks.get_nowait()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()


class Speaker:
    """Plays frames in order, silence in between; knows when it is talking: a remote call
    sends silence between replies too, so only sound counts, not frames."""

    def __init__(self, device: int | None) -> None:
        self._device = device
        self.rate_hz = _rate_of(device, "outputs")
        self._resample = StreamResampler(self.rate_hz)
        #: What is still to play, each piece with whether it holds sound.
        self._pending: collections.deque[tuple[bytes, bool]] = collections.deque()
        self._sounds_pending = 0
        self._lock = threading.Lock()
        self._last_sound = 0.0
        self._stream: sd.RawOutputStream | None = None

    def start(self) -> None:
        def callback(out: Any, frames: int, when: Any, status: sd.CallbackFlags) -> None:
            need = frames * 2
            chunk = bytearray()
            sounded = False
            with self._lock:
                while self._pending and len(chunk) < need:
                    piece, sound = self._pending.popleft()
                    take = need - len(chunk)
                    chunk += piece[:take]
                    sounded = sounded or sound
                    if len(piece) > take:
                        self._pending.appendleft((piece[take:], sound))
                    elif sound:
                        self._sounds_pending -= 1
            if sounded:
                self._last_sound = time.monotonic()
            out[:] = bytes(chunk) + bytes(need - len(chunk))

        self._stream = _started(sd.RawOutputStream, "speaker", self._device, self.rate_hz, callback)

    def play(self, frame: AudioFrame) -> None:
        pcm = self._resample(frame).pcm
        samples = np.frombuffer(pcm, dtype="<i2")
        sound = bool(len(samples)) and int(np.abs(samples).max()) >= SOUND_LEVEL
        with self._lock:
            self._pending.append((pcm, sound))
            self._sounds_pending += sound

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
            self._sounds_pending = 0
        self._resample.reset()

    @property
    def busy(self) -> bool:
        """Talking, or just stopped: what the microphone hears now may be our own voice."""
        with self._lock:
            pending = self._sounds_pending > 0
        return pending or time.monotonic() - self._last_sound < ECHO_TAIL_S

    def close(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
