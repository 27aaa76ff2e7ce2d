"""The lobby kiosk: one conversation after another through a microphone and a speaker.

The conversation runs in this process on the appliance's own models, or on the appliance
over the network (``--connect``) as a browser call, so a small kiosk PC in the lobby needs
no models. A lobby is public and noisy, so:

- push-to-talk: the microphone is heard only between two presses of Enter; or always-on: a
  conversation starts when someone speaks to the kiosk, and ends after a quiet spell;
- half-duplex: while the kiosk speaks (and a moment after) the microphone is not listened to,
  so its own voice from the speaker can never interrupt it. The screen says which it is doing.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import webrtcvad

from appliance.audio.frames import AudioFrame
from appliance.audio.resample import StreamResampler
from appliance.audio.vad import FRAME_BYTES, VAD_RATE_HZ, frame_rms
from appliance.channels.kiosk.audio import Microphone, Speaker
from appliance.config import KioskSettings
from appliance.errors import ChannelError
from appliance.sentences import Catalogue, english
from appliance.sessions.events import AgentSays, CallEnded, CallerSaid, CallEvent

_LOGGER = logging.getLogger(__name__)

#: Someone is speaking to an always-on kiosk after this much voice, louder than this (16-bit RMS).
ONSET_MS = 300
ONSET_RMS = 300.0
#: A conversation whose greeting has not started by then listens anyway.
GREETING_WAIT_S = 3.0


class KioskCall(Protocol):
    """What the kiosk needs of a conversation, local or on the appliance."""

    @property
    def done(self) -> asyncio.Event: ...

    def feed(self, frame: AudioFrame) -> None: ...

    async def close(self) -> None: ...


Opener = Callable[[Speaker, Callable[[str], None]], Awaitable[KioskCall]]


class Kiosk:
    """Runs conversations until stopped (or after one, with ``once``)."""

    def __init__(
        self,
        settings: KioskSettings,
        microphone: Microphone,
        speaker: Speaker,
        open_call: Opener,
        show: Callable[[str], None] = print,
        presses: asyncio.Queue[None] | None = None,
        lines: Catalogue | None = None,
    ) -> None:
        self._lines = lines or english()
        self._settings = settings
        self._mic = microphone
        self._speaker = speaker
        self._open_call = open_call
        self._show = show
        self._presses = presses
        self._vad = webrtcvad.Vad(2)
        self._to_vad = StreamResampler(VAD_RATE_HZ)
        self._vad_carry = b""
        self._last_voiced = False

    async def run(self, once: bool = False) -> int:
        """Conversations one after another; returns how many there were."""
        self._mic.start()
        self._speaker.start()
        held = 0
        try:
            while True:
                await self._wait_for_guest()
                try:
                    await self._converse()
                except ChannelError as err:
                    # The appliance is away (restarting, the network): this guest is told, and
                    # the kiosk waits for the next one rather than stopping.
                    _LOGGER.warning("kiosk conversation could not start: %s", err.message)
                    self._show(self._lines.say("kiosk.unreachable"))
                    if once:
                        raise
                    continue
                held += 1
                if once:
                    return held
        finally:
            self._mic.close()
            self._speaker.close()

    async def _wait_for_guest(self) -> None:
        if self._settings.mode == "push-to-talk":
            self._show(self._lines.say("kiosk.press_to_talk"))
            assert self._presses is not None
            await self._presses.get()
            return
        self._show(self._lines.say("kiosk.waiting"))
        voiced_ms = 0.0
        while voiced_ms < ONSET_MS:
            frame = await self._mic.read()
            voiced_ms = voiced_ms + frame.duration_ms if self._voiced(frame) else 0.0

    def _voiced(self, frame: AudioFrame) -> bool:
        """Whether this block of the microphone holds voice, loud enough to be meant for us.
        The VAD takes exact 20 ms frames at 16 kHz: the resampled blocks are cut to those."""
        self._vad_carry += self._to_vad(frame).pcm
        decided = None
        while len(self._vad_carry) >= FRAME_BYTES:
            piece = self._vad_carry[:FRAME_BYTES]
            self._vad_carry = self._vad_carry[FRAME_BYTES:]
            loud = frame_rms(piece) >= ONSET_RMS
            decided = bool(decided) or (loud and self._vad.is_speech(piece, VAD_RATE_HZ))
        if decided is not None:
            self._last_voiced = decided
        return self._last_voiced

    async def _converse(self) -> None:
        call = await self._open_call(self._speaker, self._show)
        self._mic.drain()
        talking = self._settings.mode == "always-on"
        if not talking:
            self._show(self._lines.say("kiosk.press_when_done"))
            talking = True
        opened = last_voice = time.monotonic()
        presses = self._presses
        was_busy = False
        # The greeting is the cue to speak: what the guest says before it (the rest of the
        # "hello" that woke the kiosk) is not a turn.
        greeted = False
        try:
            while not call.done.is_set():
                frame = await self._mic.read()
                if presses is not None and not presses.empty():
                    presses.get_nowait()
                    talking = not talking
                    self._show(self._lines.say("kiosk.listening" if talking else "kiosk.thinking"))
                busy = self._settings.half_duplex and self._speaker.busy
                if busy != was_busy:
                    self._show(self._lines.say("kiosk.speaking") if busy else self._lines.say("kiosk.listening") if talking else "")
                    was_busy = busy
                greeted = greeted or busy or time.monotonic() - opened > GREETING_WAIT_S
                heard = talking and not busy and greeted
                call.feed(
                    frame if heard else AudioFrame(bytes(len(frame.pcm)), frame.sample_rate_hz)
                )
                if busy or (heard and self._voiced(frame)):
                    last_voice = time.monotonic()
                elif time.monotonic() - last_voice > self._settings.session_silence_s:
                    self._show(self._lines.say("kiosk.quiet"))
                    break
        finally:
            await call.close()
            await asyncio.sleep(0)
        self._show(self._lines.say("kiosk.next_guest"))


def show_event(show: Callable[[str], None]) -> Callable[[CallEvent], None]:
    """The conversation on the kiosk's screen."""

    def on_event(event: CallEvent) -> None:
        if isinstance(event, CallerSaid) and event.final:
            show(f"you:   {event.text}")
        elif isinstance(event, AgentSays):
            show(f"agent: {event.text}")
        elif isinstance(event, CallEnded):
            show(f"(conversation {event.status})")

    return on_event


def read_presses(presses: asyncio.Queue[None]) -> None:
    """Each Enter on the kiosk's keyboard (standard input) is one press. The reader is a daemon
    thread: a blocked read must not keep the process from ending."""
    loop = asyncio.get_running_loop()

    def read() -> None:
        for _ in sys.stdin:
            loop.call_soon_threadsafe(presses.put_nowait, None)

    threading.Thread(target=read, name="kiosk-keys", daemon=True).start()
