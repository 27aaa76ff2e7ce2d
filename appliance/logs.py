"""Structured logs: one line per event, as text or JSON, tagged with the call it belongs to."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from typing import Any

from appliance.config import LoggingSettings

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
            "event": record.getMessage(),
        }
        if call_id := getattr(record, "call_id", None):
            line["call_id"] = call_id
        line.update(_extras(record))
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """``ts LEVEL logger [call] event key=value`` for people reading journalctl."""

    def format(self, record: logging.LogRecord) -> str:
        call_id = getattr(record, "call_id", None)
        call = f" [call {call_id}]" if call_id else ""
        extras = "".join(f" {k}={v}" for k, v in _extras(record).items())
        line = (
            f"{_timestamp(record)} {record.levelname:<7} {record.name}{call} "
            f"{record.getMessage()}{extras}"
        )
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
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
