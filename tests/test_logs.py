"""Structured logs: one line per event, JSON when asked, carrying the call id."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from appliance.config import LoggingSettings
from appliance.logs import CALL_ID, configure_logging
from appliance.workers import ModelWorker


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


def test_json_lines_carry_the_call_id_and_extras(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(level="info", format="json"))
    token = CALL_ID.set("CA123")
    try:
        logging.getLogger("appliance.test").info("turn %d spoken", 3, extra={"latency_ms": 412})
    finally:
        CALL_ID.reset(token)
    logging.getLogger("appliance.test").debug("hidden at info level")
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert event["event"] == "turn 3 spoken"
    assert event["call_id"] == "CA123"
    assert event["latency_ms"] == 412
    assert event["level"] == "info" and event["logger"] == "appliance.test"


def test_text_lines_are_one_per_event(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(level="debug", format="text"))
    token = CALL_ID.set("CA9")
    try:
        logging.getLogger("appliance.test").warning("caller hung up", extra={"status": "abandoned"})
    finally:
        CALL_ID.reset(token)
    line = capsys.readouterr().err.strip()
    assert "WARNING" in line and "[call CA9] caller hung up status=abandoned" in line


async def test_model_workers_keep_the_call_id_of_their_caller() -> None:
    worker = ModelWorker("test")
    token = CALL_ID.set("CA77")
    try:
        seen = await worker.call(CALL_ID.get)
    finally:
        CALL_ID.reset(token)
        worker.shutdown()
    assert seen == "CA77"


def test_a_line_keeps_its_counts_and_addresses_and_loses_a_card(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(LoggingSettings(level="info", format="text"))
    log = logging.getLogger("appliance.test")
    log.info("understanding index: %d phrasings of %d meanings in %.1f s", 2187, 41, 2.9)
    log.info("listening on %s with %d file descriptors; health answers 503", "http://127.0.0.1:8080", 4096)
    log.info("caller said %r", "my card is 4111 1111 1111 1111")
    log.info("caller said 4539 1488 0343 6467 in a line written whole")
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].endswith("understanding index: 2187 phrasings of 41 meanings in 2.9 s")
    assert lines[1].endswith(
        "listening on http://127.0.0.1:8080 with 4096 file descriptors; health answers 503"
    )
    assert "1111" not in lines[2] and "[card number removed]" in lines[2]
    assert "6467" not in lines[3] and "[card number removed]" in lines[3]
