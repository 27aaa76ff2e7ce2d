"""Floods of connections against a real `appliance serve` held to 256 file descriptors: idle
signalling sockets from one guest address or from hundreds, and clients that never finish
their request. Each time a Twilio-signed webhook still gets the TwiML that connects the call,
and the log says what happened in a few lines, not one per refused connection."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from conftest import APPLIANCE, appliance_env, free_port, wait_for_health
from twilio_fakes import ACCOUNT_SID, AUTH_TOKEN, sign

#: A real `appliance serve` held to few descriptors, flooded.
pytestmark = pytest.mark.slow

#: Low enough that a few hundred sockets would exhaust it, as 1,000 did the default 1,024.
DESCRIPTORS = 256
FRONT_DESK = "+12075550111"


@dataclass
class Server:
    base: str
    log: Path
    process: subprocess.Popen[str]


def _few_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTORS, DESCRIPTORS))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("floods")
    settings = folder / "appliance.toml"
    settings.write_text(
        "[server]\nheader_timeout_s = 2.0\n"
        '[webrtc]\nhost_addresses = ["127.0.0.1"]\noffer_timeout_s = 3.0\n'
        "[twilio]\nstream_timeout_s = 1.0\n"
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = appliance_env(
        APPLIANCE_DATA_DIR=str(folder / "data"), APPLIANCE_CONFIG=str(settings),
        TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_BASE_URL=base,
        TWILIO_PHONE_NUMBER="+12075550100", FRONT_DESK_PHONE=FRONT_DESK,
        TWILIO_API_BASE_URL=f"http://127.0.0.1:{free_port()}", VOICE_RECORDING_ENABLED="true",
    )  # fmt: skip
    log = folder / "server.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(APPLIANCE), "serve", "--port", str(port)], env=env,
            stdout=subprocess.DEVNULL, stderr=out, text=True, preexec_fn=_few_descriptors,
        )  # fmt: skip
    try:
        wait_for_health(f"{base}/voice/health", process)
        yield Server(base, log, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


async def webhook(http: aiohttp.ClientSession, base: str) -> str:
    """A call coming in, as Twilio posts it; the TwiML answered (or why there was none)."""
    url = base + "/voice/twilio/inbound"
    form = {"CallSid": "CA" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID, "From": "+15551230001",
            "To": "+12075550100", "Direction": "inbound"}  # fmt: skip
    try:
        async with http.post(
            url, data=form, headers={"X-Twilio-Signature": sign(url, form)},
            timeout=aiohttp.ClientTimeout(total=20),
        ) as reply:  # fmt: skip
            return f"{reply.status} {await reply.text()}"
    except (aiohttp.ClientError, TimeoutError) as err:
        return f"no answer: {type(err).__name__} {err}"


def connects_the_call(answer: str) -> bool:
    status, _, body = answer.partition(" ")
    return status == "200" and ET.fromstring(body).find("./Connect/Stream") is not None


@dataclass
class Flood:
    sockets: list[tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]]
    refused: dict[int, int]
    failed: int

    async def close(self) -> None:
        for http, ws in self.sockets:
            await ws.close()
            await http.close()


async def idle_signalling(base: str, count: int, sources: list[str]) -> Flood:
    """``count`` signalling sockets that never send an offer, from ``sources`` in turn."""
    flood = Flood([], {}, 0)

    async def one(index: int) -> None:
        connector = aiohttp.TCPConnector(local_addr=(sources[index % len(sources)], 0), force_close=True)
        http = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=8))
        try:
            ws = await http.ws_connect(base + "/voice/webrtc", heartbeat=None)
        except aiohttp.WSServerHandshakeError as err:
            flood.refused[err.status] = flood.refused.get(err.status, 0) + 1
            await http.close()
        except (aiohttp.ClientError, TimeoutError):
            flood.failed += 1
            await http.close()
        else:
            flood.sockets.append((http, ws))

    await asyncio.gather(*(one(i) for i in range(count)))
    return flood


@contextlib.asynccontextmanager
async def phone(base: str) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


def refusal_lines(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if "browser connection" in line]


def accept_lines(log: Path) -> list[str]:
    return [
        line for line in log.read_text().splitlines() if "accept()" in line or "could not accept" in line
    ]


async def lines_free(server: Server) -> None:
    """Wait until the calls of an earlier test (whose streams never came) have been closed."""
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            async with http.get(server.base + "/voice/health") as reply:
                if (await reply.json())["active_sessions"] == 0:
                    return
            await asyncio.sleep(0.1)
    raise AssertionError("the calls of an earlier test are still open")


async def closed_by_the_server(flood: Flood, within_s: float) -> int:
    """How many of the flood's sockets the server closed within ``within_s``."""

    async def wait(ws: aiohttp.ClientWebSocketResponse) -> bool:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within_s):
                while not ws.closed:
                    await ws.receive()
        return ws.closed

    return sum(await asyncio.gather(*(wait(ws) for _, ws in flood.sockets)))


async def test_idle_sockets_from_one_address_leave_the_phone_line_up(server: Server) -> None:
    await lines_free(server)
    logged = len(refusal_lines(server.log))
    flood = await idle_signalling(server.base, 400, ["127.0.0.1"])
    try:
        async with phone(server.base) as http:
            answers = [await webhook(http, server.base) for _ in range(3)]
        assert all(connects_the_call(a) for a in answers), answers
        # One guest address holds a few; the rest are told, and their descriptors go back.
        assert len(flood.sockets) <= 4 and flood.failed == 0, (len(flood.sockets), flood.failed)
        assert flood.refused.get(429, 0) >= 396
        assert len(refusal_lines(server.log)) - logged <= 2  # said in a line, not 396
        # Sockets that never bring an offer are closed by the server.
        assert await closed_by_the_server(flood, within_s=8) == len(flood.sockets)
    finally:
        await flood.close()


async def test_idle_sockets_from_many_addresses_leave_the_phone_line_up(server: Server) -> None:
    """Every guest alone stays under the per-address cap; together they stop at what the
    descriptors leave once the phone lines and browser calls have theirs."""
    await lines_free(server)
    sources = [f"127.0.{1 + i // 250}.{1 + i % 250}" for i in range(300)]
    flood = await idle_signalling(server.base, 300, sources)
    try:
        async with phone(server.base) as http:
            answers = [await webhook(http, server.base) for _ in range(3)]
        assert all(connects_the_call(a) for a in answers), answers
        assert flood.failed == 0 and len(flood.sockets) <= DESCRIPTORS // 2, (len(flood.sockets), flood.refused)
        assert flood.refused.get(503, 0) == 300 - len(flood.sockets)
        assert await closed_by_the_server(flood, within_s=8) == len(flood.sockets)
    finally:
        await flood.close()


async def test_clients_that_never_finish_a_request_are_dropped_and_logged_once(
    server: Server,
) -> None:
    """More half-sent requests than there are descriptors: the server runs out for a moment,
    says so in a line or two, drops each after the header timeout, and the phone line's
    webhook is answered."""
    await lines_free(server)
    port = int(server.base.rsplit(":", 1)[1])
    before = len(accept_lines(server.log))
    writers: list[asyncio.StreamWriter] = []

    async def trickle(index: int) -> None:
        source = f"127.1.{1 + index // 250}.{1 + index % 250}"
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(30):
                _, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
                writer.write(b"GET /voice/webrtc HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and no more
                writers.append(writer)

    started = time.monotonic()
    flooding = asyncio.gather(*(trickle(i) for i in range(DESCRIPTORS + 150)))
    await asyncio.sleep(1.0)
    try:
        async with phone(server.base) as http:
            answer = await webhook(http, server.base)
        assert connects_the_call(answer), answer
        assert time.monotonic() - started < 15
    finally:
        await flooding
        for writer in writers:
            writer.close()
    said = accept_lines(server.log)[before:]
    assert 1 <= len(said) <= 4, said  # not one line per refused connection
    assert all("socket.accept() out of system resource" not in line for line in said)
    assert server.process.poll() is None
