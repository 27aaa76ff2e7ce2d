"""`appliance call`, `talk` and `chat`: placing a call, and trying the agent by voice or text."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from appliance.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_MODEL,
    ConfigOption,
    JsonOption,
    app,
    err,
    fail,
    out,
    settings_from,
)
from appliance.config import Config
from appliance.errors import ApplianceError, ModelError
from appliance.logs import configure_logging

_LOGGER = logging.getLogger("appliance")


@app.command("call")
def place_call(
    number: Annotated[str, typer.Argument(help="The guest's number, E.164 (+15551234567)")],
    purpose: Annotated[str, typer.Option(help="Why the hotel calls, for the log")] = "",
    config: ConfigOption = None,
) -> None:
    """Call a guest through Twilio; when they answer, the agent takes the call."""
    import urllib.error
    import urllib.request

    from appliance.store.access import running_appliance, server_url

    settings = settings_from(config)
    base = server_url(settings)
    if running_appliance(base) is None:
        err.print(f"no appliance answers at {base}: start it with `appliance serve` first")
        raise typer.Exit(EXIT_CHECK_FAILED)
    request = urllib.request.Request(
        base + "/admin/calls/outbound",
        data=json.dumps({"to": number, "purpose": purpose}).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {settings.server.admin_token}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            body = json.load(reply)
    except urllib.error.HTTPError as error:
        try:
            message = json.load(error).get("message", "")
        except ValueError:
            message = str(error)
        err.print(f"the call was not placed ({error.code}): {escape(message)}")
        raise typer.Exit(EXIT_CHECK_FAILED) from None
    out.print(
        f"calling {body['to']} (call {body['call_sid']}) via the running server at {base}",
        highlight=False,
    )


@app.command()
def talk(
    audio_in: Annotated[
        Path,
        typer.Option(
            "--in",
            exists=True,
            dir_okay=False,
            help="The caller's question: wav, flac, mp3, ... any rate",
        ),
    ],
    audio_out: Annotated[
        Path | None, typer.Option("--out", dir_okay=False, help="Write the spoken reply here (WAV)")
    ] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """One exchange through the real loop: the question is played in at real time, so the
    endpointing and timings are those of a live call. Uses a scratch database."""
    settings = settings_from(config)
    configure_logging(dataclasses.replace(settings.logging, level="warning"))
    try:
        result, reply_audio = asyncio.run(_talk(settings, audio_in))
    except ApplianceError as error:
        fail(error, EXIT_MODEL if isinstance(error, ModelError) else EXIT_CHECK_FAILED)
    if audio_out is not None:
        _write_wav(audio_out, reply_audio)
    timings = dataclasses.asdict(result.timings) if result and result.timings else None
    body = {"transcript": result.transcript if result else "", "reply": result.reply if result else "",
            "timings": {k: round(v) for k, v in timings.items()} if timings else None}  # fmt: skip
    if as_json:
        print(json.dumps(body))
    else:
        out.print(
            f"[bold]caller[/]: {escape(str(body['transcript'] or '(nothing understood)'))}",
            highlight=False,
        )
        out.print(f"[bold]agent[/]:  {escape(str(body['reply'] or '(no reply)'))}", highlight=False)
        if timings:
            out.print(
                "timings: " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()), highlight=False
            )
    if result is None:
        raise typer.Exit(EXIT_CHECK_FAILED)


async def _talk(settings: Config, audio_in: Path) -> tuple[Any, Any]:
    from faster_whisper import decode_audio

    from appliance.app import open_appliance
    from appliance.audio.frames import AudioFrame
    from appliance.dialogue.exchange import exchange
    from appliance.service import check_models

    check_models(settings)
    samples = await asyncio.to_thread(decode_audio, str(audio_in), 16000)
    utterance = AudioFrame.from_float(samples, 16000)
    with _scratch(settings, "appliance-talk-") as scratch_settings:
        async with open_appliance(scratch_settings) as appliance:
            # Every model loaded and the agent prepared first, as `serve` does: the first
            # answer is as quick as the tenth.
            await appliance.start()
            result, sink = await exchange(appliance.switchboard, utterance)
    return result, sink.audio()


@contextlib.contextmanager
def _scratch(settings: Config, prefix: str) -> Iterator[Config]:
    """``settings`` with a data folder of its own that is gone afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield dataclasses.replace(
            settings, paths=dataclasses.replace(settings.paths, data_dir=Path(folder))
        )


def _write_wav(path: Path, audio: Any) -> None:
    import wave

    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(audio.sample_rate_hz)
        wav.writeframes(audio.pcm)


@app.command()
def chat(config: ConfigOption = None) -> None:
    """Talk to the agent in text, to try the hotel data. Uses a scratch database."""
    settings = settings_from(config)
    configure_logging(dataclasses.replace(settings.logging, level="warning"))
    asyncio.run(_chat(settings))


async def _chat(settings: Config) -> None:
    from appliance.app import open_appliance

    roles = ["nlu"]
    if settings.dialogue.small_talk_with_llm or settings.understanding.understander == "llm":
        roles.append("llm")
    with _scratch(settings, "appliance-chat-") as scratch_settings:
        async with open_appliance(scratch_settings) as appliance:
            await appliance.start(roles)
            session = await appliance.sessions.create_session(channel="cli")
            agent = appliance.agent
            out.print(
                f"agent: {escape(agent.greeting(settings.dialogue.greeting))}", highlight=False
            )
            out.print("[dim](bookings go to a scratch database; Ctrl-D ends)[/]")
            while True:
                try:
                    said = await asyncio.to_thread(input, "you: ")
                except EOFError:
                    break
                session.add_message("user", said)
                reply = await agent.respond(session, said)
                session.add_message("assistant", reply.text)
                out.print(f"agent: {escape(reply.text)}", highlight=False)
                if reply.end_call:
                    break
