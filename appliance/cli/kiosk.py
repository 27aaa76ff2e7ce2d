"""`appliance kiosk`: the lobby's microphone and speaker."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from typing import Annotated, Any

import typer

from appliance.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_MODEL,
    ConfigOption,
    app,
    err,
    fail,
    out,
    settings_from,
)
from appliance.config import Config
from appliance.errors import ApplianceError, ModelError, StoreError
from appliance.logs import configure_logging

_LOGGER = logging.getLogger("appliance")


@app.command()
def kiosk(
    list_devices: Annotated[
        bool, typer.Option("--list-devices", help="List the sound devices and stop")
    ] = False,
    device: Annotated[
        str | None,
        typer.Option(help="Microphone: a number or part of a name [default: from config]"),
    ] = None,
    output_device: Annotated[
        str | None, typer.Option(help="Speaker: a number or part of a name [default: from config]")
    ] = None,
    connect: Annotated[
        str | None,
        typer.Option(
            help="Talk through the appliance at this URL (http://host:8080) instead of loading models here"
        ),
    ] = None,
    mode: Annotated[
        str | None, typer.Option(help="push-to-talk or always-on [default: from config]")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Stop after one conversation")] = False,
    config: ConfigOption = None,
) -> None:
    """The lobby kiosk: conversations through a microphone and speaker (Ctrl-C stops)."""
    from appliance.channels.kiosk.audio import describe_devices, find_device
    from appliance.errors import ChannelError

    settings = settings_from(config)
    configure_logging(dataclasses.replace(settings.logging, level="warning"))
    if list_devices:
        try:
            out.print(describe_devices(), highlight=False)
        except ChannelError as error:
            fail(error, EXIT_CHECK_FAILED)
        return
    if mode is not None and mode not in ("push-to-talk", "always-on"):
        err.print(f"[bold red]error[/]: --mode must be push-to-talk or always-on, not {mode!r}")
        raise typer.Exit(2)
    kiosk_settings = dataclasses.replace(
        settings.kiosk,
        input_device=device if device is not None else settings.kiosk.input_device,
        output_device=output_device if output_device is not None else settings.kiosk.output_device,
        mode=mode or settings.kiosk.mode,  # type: ignore[arg-type]
    )
    try:
        mic = find_device(kiosk_settings.input_device, "inputs")
        speaker = find_device(kiosk_settings.output_device, "outputs")
        held = asyncio.run(_kiosk(settings, kiosk_settings, mic, speaker, connect, once))
    except ApplianceError as error:
        fail(error, EXIT_MODEL if isinstance(error, ModelError) else EXIT_CHECK_FAILED)
    out.print(f"{held} conversation(s)", highlight=False)


async def _kiosk(
    settings: Config,
    kiosk_settings: Any,
    mic_device: int | None,
    speaker_device: int | None,
    connect: str | None,
    once: bool,
) -> int:
    from appliance.channels.kiosk.audio import Microphone, Speaker
    from appliance.channels.kiosk.kiosk import Kiosk, KioskCall, read_presses, show_event
    from appliance.channels.webrtc.client import RemoteCall

    def show(text: str) -> None:
        if text:  # flushed: the kiosk's screen may be a pipe to a display program
            print(text, flush=True)

    presses: asyncio.Queue[None] | None = None
    if kiosk_settings.mode == "push-to-talk":
        presses = asyncio.Queue()
        read_presses(presses)
    mic, speaker = Microphone(mic_device), Speaker(speaker_device)
    if connect is not None:

        async def remote(speaker: Speaker, show: Callable[[str], None]) -> KioskCall:
            def on_event(event: dict[str, Any]) -> None:
                if event.get("type") == "transcript" and event.get("final"):
                    show(f"you:   {event['text']}")
                elif event.get("type") == "reply":
                    show(f"agent: {event['text']}")

            call = RemoteCall(connect, speaker, on_event, channel="kiosk")
            await call.connect()
            return call

        return await Kiosk(kiosk_settings, mic, speaker, remote, show, presses).run(once)

    from appliance.app import open_appliance
    from appliance.service import check_models

    check_models(settings)
    async with contextlib.AsyncExitStack() as stack:
        try:
            appliance = await stack.enter_async_context(open_appliance(settings))
        except StoreError as error:
            raise StoreError(
                error.code,
                f"{error.message}. If `appliance serve` is running it holds the database: run "
                "the kiosk through it with `appliance kiosk --connect http://127.0.0.1:"
                f"{settings.server.port}`",
            ) from error
        await appliance.start()

        async def local(speaker: Speaker, show: Callable[[str], None]) -> KioskCall:
            call = await appliance.switchboard.open("kiosk", _SpeakerSink(speaker))
            call.listen(show_event(show))
            return call

        return await Kiosk(kiosk_settings, mic, speaker, local, show, presses).run(once)


class _SpeakerSink:
    """The turn loop's audio out, to the kiosk's speaker."""

    def __init__(self, speaker: Any) -> None:
        self._speaker = speaker
        self.sample_rate_hz = speaker.rate_hz

    async def play(self, frame: Any) -> None:
        self._speaker.play(frame)

    async def flush(self) -> None:
        self._speaker.clear()
