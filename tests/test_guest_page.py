"""The guest page in a real browser against the real `appliance serve`: Debian's Chromium,
headless, its fake microphone playing a question in a voice that is not the appliance's own."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    ADMIN_TOKEN,
    get,
    says_time,
)
from playwright.async_api import Browser, Page, async_playwright

from appliance.audio.frames import AudioFrame
from appliance.config import INSTALL_ROOT
from appliance.engines import Engines

#: A real browser and a real `appliance serve`.
pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = INSTALL_ROOT / "test-artifacts"


def question_wav(folder: Path, text: str, lead_s: float) -> Path:
    """``text`` spoken by espeak-ng, after ``lead_s`` of silence (the greeting plays then)."""
    spoken, padded = folder / "spoken.wav", folder / "question.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(spoken), text], check=True)
    subprocess.run(
        ["sox", str(spoken), "-r", "48000", "-c", "1", str(padded), "pad", str(lead_s), "4"],
        check=True,
    )
    return padded


@pytest.fixture()
async def browser(tmp_path: Path) -> AsyncIterator[tuple[Browser, Path]]:
    # The fake microphone starts at getUserMedia: the lead covers connecting and the greeting
    # on a busy machine.
    wav = question_wav(tmp_path, "What time is check-out?", lead_s=9.0)
    async with async_playwright() as driver:
        launched = await driver.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}%noloop",
                "--allow-loopback-in-peer-connection",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )  # fmt: skip
        yield launched, tmp_path
        await launched.close()


RECORD_REPLY = """() => {
  // What the guest hears: the appliance's audio as the page plays it, captured at 16 kHz.
  const context = new AudioContext({ sampleRate: 16000 });
  const source = context.createMediaStreamSource(window.talk.remoteStream);
  const tap = context.createScriptProcessor(4096, 1, 1);
  window.heard = [];
  tap.onaudioprocess = (e) => window.heard.push(...e.inputBuffer.getChannelData(0));
  source.connect(tap);
  tap.connect(context.destination);
}"""

HEARD_PCM = """() => {
  const pcm = new Int16Array(window.heard.length);
  window.heard.forEach((v, i) => { pcm[i] = Math.max(-32768, Math.min(32767, v * 32768)); });
  let text = "";
  const bytes = new Uint8Array(pcm.buffer);
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return btoa(text);
}"""


# Conditions are functions: a bare expression would be eval'd in the page, which its policy forbids.


async def lines(page: Page, selector: str) -> list[str]:
    return [text.strip() for text in await page.locator(selector).all_inner_texts()]


#: Every load or script the page's Content-Security-Policy blocks, as the browser reports it.
WATCH_POLICY = """window.blocked = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.blocked.push(e.violatedDirective + ' ' + e.blockedURI));"""


async def test_a_guest_asks_in_the_browser_and_hears_the_answer(
    served: str, browser: tuple[Browser, Path], engines: Engines
) -> None:
    launched, folder = browser
    page = await launched.new_page(viewport={"width": 390, "height": 844})  # a phone's screen
    await page.add_init_script(WATCH_POLICY)
    opened = await page.goto(f"{served}/")
    assert opened is not None and "frame-ancestors 'none'" in opened.headers["content-security-policy"]
    await page.wait_for_function("() => document.getElementById('talk').disabled === false")
    hotel = json.loads(get(f"{served}/voice/webrtc/config")[1])["hotel"]
    assert await page.locator("h1").inner_text() == hotel

    await page.click("#talk")
    await page.wait_for_function("() => window.talk.state === 'live'", timeout=20_000)
    await page.evaluate(RECORD_REPLY)
    await page.wait_for_function(
        "() => [...document.querySelectorAll('#transcript .caller.final')].length > 0", timeout=40_000
    )
    await page.wait_for_function(
        "() => document.querySelectorAll('#transcript .agent').length >= 2", timeout=20_000
    )
    await page.wait_for_timeout(4_000)  # the answer plays out
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "guest-page-call.png"), full_page=True)

    said = await lines(page, "#transcript .caller.final")
    replies = await lines(page, "#transcript .agent")
    assert any("check" in text.lower() for text in said), said
    assert says_time(replies[-1], "11"), replies
    assert "Connection:" in await page.locator("#quality").inner_text()

    pcm = base64.b64decode(await page.evaluate(HEARD_PCM))
    heard = AudioFrame(pcm, 16000)
    assert np.abs(heard.samples()).max() > 1000, "the page played no reply audio"
    words = await engines.stt.run(lambda model, a: model.transcribe(a).text, heard)
    assert says_time(str(words).lower(), "11"), words

    # The keypad sends keys as a phone's would: 2 on its own is the menu's front desk, which
    # this appliance has no line for, so the agent says so.
    answered = len(replies)
    await page.click("#show-keypad")
    await page.click("#keypad button[data-key='2']")
    await page.click("#keypad button[data-key='#']")
    await page.wait_for_function(
        f"() => document.querySelectorAll('#transcript .agent').length > {answered}", timeout=20_000
    )
    replies = await lines(page, "#transcript .agent")
    assert "front desk" in replies[-1], replies

    await page.click("#talk")  # hang up
    await page.wait_for_function("() => window.talk.state === 'idle'")
    assert await page.evaluate("window.blocked") == []  # the page works under its policy
    rows: list[dict[str, object]] = []
    for _ in range(100):  # the hang-up reaches the server, which closes the row
        status, body = get(f"{served}/voice/calls?channel=webrtc", token=ADMIN_TOKEN)
        assert status == 200
        rows = json.loads(body)["calls"]
        if rows and rows[0]["status"] != "active":
            break
        await page.wait_for_timeout(100)
    assert len(rows) == 1 and rows[0]["status"] == "completed", rows
    call = json.loads(get(f"{served}/voice/calls/{rows[0]['session_id']}", token=ADMIN_TOKEN)[1])
    assert any(
        "check" in turn["content"].lower() for turn in call["turns"] if turn["role"] == "user"
    )


async def test_a_denied_microphone_is_explained(served: str, tmp_path: Path) -> None:
    async with async_playwright() as driver:
        launched = await driver.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--deny-permission-prompts",
                  "--use-fake-device-for-media-stream"],
        )  # fmt: skip
        page = await launched.new_page()
        await page.goto(f"{served}/talk")
        await page.wait_for_function("() => document.getElementById('talk').disabled === false")
        await page.click("#talk")
        status = page.locator("#status.problem")
        await status.wait_for(timeout=10_000)
        assert "microphone" in (await status.inner_text()).lower()
        assert await page.locator("#talk").inner_text() == "Talk"
        await launched.close()
