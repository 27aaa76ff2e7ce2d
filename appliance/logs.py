"""Structured logs: one line per event, as text or JSON, tagged with the call it belongs to."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import resource
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from appliance.config import LoggingSettings
from appliance.privacy import held, redact

#: The call (session id) the current task is serving; set by channels when a call starts.
CALL_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("call_id", default=None)

# Attributes every LogRecord has; anything else was passed through ``extra=`` and is data.
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "call_id",
    "taskName",
}


class _CallIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.call_id = CALL_ID.get()
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}


def _message(record: logging.LogRecord) -> str:
    """The record's message held to the card rule. Its values are held one by one, the text
    it was written with is the appliance's own: "index of 2187 phrasings of 41 meanings in
    2.9 s" is no card read out, as a whole text judged alone would take it to be. Numbers
    given as numbers are counts and measures, not what a caller said."""
    args = record.args
    if not args:
        return redact(record.getMessage())
    held_args: Any
    if isinstance(args, Mapping):
        held_args = {key: _held_arg(value) for key, value in args.items()}
    else:
        held_args = tuple(_held_arg(value) for value in args)
    try:
        return str(record.msg) % held_args
    except (TypeError, ValueError):  # "%d" given a text: judge the message whole, as written
        return redact(record.getMessage())


def _held_arg(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


def _timestamp(record: logging.LogRecord) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{stamp}.{int(record.msecs):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, event, call_id, and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": _message(record),
        }
        if call_id := getattr(record, "call_id", None):
            line["call_id"] = call_id
        line.update(held(_extras(record)))
        if record.exc_info:
            line["traceback"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """``ts LEVEL logger [call] event key=value`` for people reading journalctl."""

    def format(self, record: logging.LogRecord) -> str:
        call_id = getattr(record, "call_id", None)
        call = f" [call {call_id}]" if call_id else ""
        extras = "".join(f" {k}={v}" for k, v in held(_extras(record)).items())
        line = (
            f"{_timestamp(record)} {record.levelname:<7} {record.name}{call} "
            f"{_message(record)}{extras}"
        )
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


def configure_logging(settings: LoggingSettings) -> None:
    """Send every log record to stderr, one line each, in the configured format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.format == "json" else TextFormatter())
    handler.addFilter(_CallIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level.upper())
    # Libraries that log every request or every tensor at INFO drown the events that matter.
    for noisy in ("aiohttp.access", "faster_whisper", "piper"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


class Throttled:
    """An event that may come thousands of times a second (a refused connection in a flood),
    said in one log line per interval: the first at once, then how many came since, with the
    latest one's detail. A line too many a second fills the disk as surely as the flood."""

    def __init__(
        self,
        say: Callable[[int, float | None, str], None],
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._say_line = say
        self.interval_s = interval_s
        self._clock = clock
        self._count = 0
        self._detail = ""
        self._last_said: float | None = None
        self._flush: asyncio.TimerHandle | None = None

    def __call__(self, detail: str = "") -> None:
        self._count += 1
        self._detail = detail
        now = self._clock()
        if self._last_said is None or now - self._last_said >= self.interval_s:
            self._say(now)
        elif self._flush is None:
            with contextlib.suppress(RuntimeError):  # no running loop: said with the next one
                self._flush = asyncio.get_running_loop().call_later(
                    self._last_said + self.interval_s - now, lambda: self._say(self._clock())
                )

    def _say(self, now: float) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        if not self._count:
            return
        since = None if self._last_said is None else now - self._last_said
        self._say_line(self._count, since, self._detail)
        self._count = 0
        self._last_said = now


def over(since_s: float | None) -> str:
    """" in the last 10 s", for a Throttled line after the first."""
    return "" if since_s is None else f" in the last {since_s:.0f} s"


#: What asyncio says when accept() fails for want of descriptors or memory.
ACCEPT_FAILED = "socket.accept() out of system resource"
_ACCEPT_LOGGER = logging.getLogger("appliance.connections")


class AcceptErrors:
    """An event loop exception handler that says "accept() failed" once per interval, with a
    count. asyncio otherwise logs each failure with its traceback, and retries each listening
    socket over a hundred times a second: a flood that exhausts the descriptors fills the disk
    with the log."""

    def __init__(self, interval_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._failed = Throttled(self._say, interval_s, clock)

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != ACCEPT_FAILED:
            loop.default_exception_handler(context)
            return
        self._failed(str(context.get("exception") or ""))

    @staticmethod
    def _say(count: int, since_s: float | None, error: str) -> None:
        _ACCEPT_LOGGER.error(
            "could not accept %d connection(s)%s: %s (this process may hold %d descriptors)",
            count, over(since_s), error, resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        )  # fmt: skip
