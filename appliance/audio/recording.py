"""Call recordings: both directions written to disk as they happen, mixed into one WAV at the end.

While the call runs, the caller and the agent go to the two channels of a raw 16-bit stereo
file, each sample at the position of the moment it was heard or played, so the two sides
stay time-aligned whatever the channels' frame timing. A span can be blanked afterwards
(the utterance in which a card number was given).

The caller's audio is unchecked until its turn's words have been looked at: the recorder
keeps how far the caller's side has been checked, in a small file beside the raw one, and
finishing a recording (at the end of the call, or at the next start after a crash) silences
whatever lies beyond it. A caller who hangs up in the middle of reading a card, or whose
words never come back from speech-to-text, is not heard in the recording.
When the call ends, the two sides are mixed into a mono WAV.

No file is touched on the event loop: the call's task hands frames to the recorder, and one
writer thread (shared by every call's recorder) resamples and writes them in order.
"""

from __future__ import annotations

import asyncio
import logging
import os
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from appliance.audio.frames import AudioFrame
from appliance.files import private_dir
from appliance.workers import ModelWorker

_LOGGER = logging.getLogger(__name__)

RECORDING_RATE_HZ = 16000
_CHANNELS = 2
_FRAME_BYTES = 2 * _CHANNELS
CALLER, AGENT = 0, 1
RAW_SUFFIX = ".raw"
CHECKED_SUFFIX = ".checked"
_CHECKED_WIDTH = 24  # the checked position, as text, padded: one write replaces it whole


def checked_path(raw_path: Path) -> Path:
    """The file that says how far the caller's side of ``raw_path`` has been checked."""
    return raw_path.with_suffix(CHECKED_SUFFIX)


class CallRecorder:
    """Records one call. The call's task feeds it and never waits: where each frame goes is
    worked out here, and the file work (resampling, reading and writing the raw file) queues
    in order on the recordings' writer thread."""

    def __init__(
        self, raw_path: Path, writer: ModelWorker | None = None, rate_hz: int = RECORDING_RATE_HZ
    ) -> None:
        self.raw_path = raw_path
        self.rate_hz = rate_hz
        self._writer = writer or ModelWorker("recording")
        self._file = _RawFile(raw_path, rate_hz)
        self._next_ms = [0.0, 0.0]
        self._checked_ms = 0.0
        self._closed = False

    async def open(self) -> None:
        """Make the raw file (on the writer thread); an OSError says the disk cannot."""
        await self._writer.call(self._file.open)

    def _queue(self, job: Callable[..., None], *args: Any) -> None:
        future = self._writer.enqueue(job, *args)
        future.add_done_callback(self._failed)

    def _failed(self, done: asyncio.Future[None]) -> None:
        if not done.cancelled() and (err := done.exception()) is not None:
            _LOGGER.error("recording %s: a write failed", self.raw_path.name, exc_info=err)

    def add(self, side: int, frame: AudioFrame, at_ms: float | None = None) -> None:
        """Write ``frame`` on ``side`` (CALLER or AGENT) starting ``at_ms`` into the call; by
        default right after that side's previous frame."""
        if self._closed:
            return
        start_ms = self._next_ms[side] if at_ms is None else at_ms
        self._next_ms[side] = start_ms + frame.duration_ms
        self._queue(self._file.add, side, frame, at_ms)

    def position_ms(self, side: int) -> float:
        """Where the next frame of ``side`` goes by default: the end of what it has so far."""
        return self._next_ms[side]

    @property
    def checked_ms(self) -> float:
        """How far the caller's side has been checked; what lies beyond is silenced at the end."""
        return self._checked_ms

    def checked(self, until_ms: float) -> None:
        """The caller's audio up to ``until_ms`` has been checked (and blanked where needed)."""
        if until_ms > self._checked_ms and not self._closed:
            self._checked_ms = until_ms
            self._queue(self._file.write_checked, until_ms)

    def blank(self, side: int, start_ms: float, end_ms: float) -> None:
        """Silence ``side`` between two moments (already written audio included)."""
        if not self._closed:
            self._queue(self._file.blank, side, start_ms, end_ms)

    async def flush(self) -> None:
        """Wait until every frame given so far is in the file."""
        await self._writer.call(lambda: None)

    async def close(self) -> None:
        """Stop writing; the raw file stays until it is mixed and stored."""
        if not self._closed:
            self._closed = True
            await self._writer.call(self._file.close)

    def finish_writing(self) -> None:
        """Close the raw file (blocking; for a thread, after ``flush``)."""
        self._closed = True
        self._file.close()

    def finish(self, wav_path: Path) -> Path:
        """Mix both sides into a mono WAV at ``wav_path`` and remove the raw file (blocking;
        for a thread, after ``flush``)."""
        self.finish_writing()
        return finish_raw(self.raw_path, wav_path, self.rate_hz)


class _RawFile:
    """The raw stereo file of one call; used on the writer thread only."""

    def __init__(self, raw_path: Path, rate_hz: int) -> None:
        self.raw_path = raw_path
        self.rate_hz = rate_hz
        self._fd = -1
        self._checked_fd = -1
        self._resamplers: dict[int, tuple[int, soxr.ResampleStream]] = {}
        #: Where each side's resampled audio has reached (samples).
        self._next = [0, 0]
        #: Spans silenced on each side (samples): audio the resampler still held when a span
        #: was silenced lands in it later, and is silenced as it is written.
        self._silenced: list[list[tuple[int, int]]] = [[], []]

    def open(self) -> None:
        private_dir(self.raw_path.parent)
        try:
            self._fd = os.open(self.raw_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            self._checked_fd = os.open(
                checked_path(self.raw_path), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600
            )
            self.write_checked(0.0)
        except OSError:
            self.close()  # a full disk: no descriptor is kept for a file that cannot be written
            raise

    def write_checked(self, checked_ms: float) -> None:
        if self._checked_fd >= 0:
            os.pwrite(self._checked_fd, f"{checked_ms:<{_CHECKED_WIDTH}.1f}".encode(), 0)

    def add(self, side: int, frame: AudioFrame, at_ms: float | None) -> None:
        """A frame at ``at_ms``, or right after the side's audio so far (the resampler's
        output follows on without a gap, its filter delay and all)."""
        if self._fd < 0:
            return
        samples = self._resample(side, frame)
        first = self._next[side] if at_ms is None else round(at_ms * self.rate_hz / 1000)
        self._write(side, first, samples)
        self._next[side] = first + len(samples)

    def _resample(self, side: int, frame: AudioFrame) -> np.ndarray:
        if frame.sample_rate_hz == self.rate_hz:
            return frame.samples()
        # One stream per side: resampling frame by frame without state clicks.
        current = self._resamplers.get(side)
        if current is None or current[0] != frame.sample_rate_hz:
            self._flush(side)
            stream = soxr.ResampleStream(frame.sample_rate_hz, self.rate_hz, 1, dtype="int16")
            current = self._resamplers[side] = (frame.sample_rate_hz, stream)
        return np.asarray(current[1].resample_chunk(frame.samples()), dtype="<i2")

    def _flush(self, side: int) -> None:
        """Write what a side's resampler still holds (its filter delay)."""
        current = self._resamplers.pop(side, None)
        if current is not None:
            tail = current[1].resample_chunk(np.zeros(0, dtype="<i2"), last=True)
            tail = np.asarray(tail, dtype="<i2")
            self._write(side, self._next[side], tail)
            self._next[side] += len(tail)

    def _write(self, side: int, first_sample: int, samples: np.ndarray) -> None:
        if not len(samples):
            return
        offset = first_sample * _FRAME_BYTES
        existing = os.pread(self._fd, len(samples) * _FRAME_BYTES, offset)
        block = np.zeros((len(samples), _CHANNELS), dtype="<i2")
        have = len(existing) // _FRAME_BYTES
        if have:
            block[:have] = np.frombuffer(existing[: have * _FRAME_BYTES], dtype="<i2").reshape(
                -1, _CHANNELS
            )
        block[:, side] = samples
        end = first_sample + len(samples)
        for start, stop in self._silenced[side]:
            if start < end and stop > first_sample:
                block[max(0, start - first_sample) : min(len(samples), stop - first_sample), side] = 0
        os.pwrite(self._fd, block.tobytes(), offset)

    def blank(self, side: int, start_ms: float, end_ms: float) -> None:
        if self._fd < 0:
            return
        first = max(0, round(start_ms * self.rate_hz / 1000))
        last = round(end_ms * self.rate_hz / 1000)
        if last <= first:
            return
        self._silenced[side].append((first, last))
        length = os.fstat(self._fd).st_size // _FRAME_BYTES
        if min(last, length) > first:
            self._write(side, first, np.zeros(min(last, length) - first, dtype="<i2"))

    def close(self) -> None:
        if self._fd >= 0:
            for side in list(self._resamplers):
                self._flush(side)
            os.close(self._fd)
            self._fd = -1
        if self._checked_fd >= 0:
            os.close(self._checked_fd)
            self._checked_fd = -1


def _read_checked_ms(raw_path: Path) -> float:
    """How far the caller's side of a raw file was checked; nothing (0) if no file says."""
    try:
        return max(0.0, float(checked_path(raw_path).read_text().strip() or 0))
    except (OSError, ValueError):
        return 0.0


def remove_raw(raw_path: Path) -> None:
    raw_path.unlink(missing_ok=True)
    checked_path(raw_path).unlink(missing_ok=True)


def finish_raw(
    raw_path: Path, wav_path: Path, rate_hz: int = RECORDING_RATE_HZ, remove: bool = True
) -> Path:
    """Mix a raw file into a WAV, the caller's unchecked audio silenced first."""
    stereo = np.fromfile(raw_path, dtype="<i2")
    stereo = stereo[: len(stereo) - len(stereo) % _CHANNELS].reshape(-1, _CHANNELS).astype(np.int32)
    unchecked_from = round(_read_checked_ms(raw_path) * rate_hz / 1000)
    if unchecked_from < len(stereo):
        stereo[unchecked_from:, CALLER] = 0
        _LOGGER.info(
            "%s: %.1f s of the caller's audio was never checked for card numbers; silenced",
            raw_path.name, (len(stereo) - unchecked_from) / rate_hz,
        )  # fmt: skip
    mixed = np.clip(stereo.sum(axis=1), -32768, 32767).astype("<i2")
    private_dir(wav_path.parent)
    partial = wav_path.with_name(wav_path.name + ".partial")
    with (
        os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file,
        wave.open(file, "wb") as out,
    ):
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes(mixed.tobytes())
    os.replace(partial, wav_path)
    if remove:
        remove_raw(raw_path)
    return wav_path
