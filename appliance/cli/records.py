"""`appliance calls` and `appliance reservations`: the records on this box."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from appliance.cli.common import (
    EXIT_CHECK_FAILED,
    ConfigOption,
    JsonOption,
    add_row,
    calls_app,
    err,
    out,
    parse_age,
    parse_since_option,
    records_access,
    records_call,
    reservations_app,
    where,
)

_LOGGER = logging.getLogger("appliance")


@calls_app.command("list")
def calls_list(
    since: Annotated[
        str | None, typer.Option(help="Only calls since: 7d, 12h, 30m or an ISO date")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(help="completed, failed, transferred, abandoned, interrupted, active"),
    ] = None,
    channel: Annotated[str | None, typer.Option(help="phone, webrtc, kiosk, sip")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first")] = 50,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """The newest calls, with their status, length and turns."""
    access = records_access(config)
    rows = records_call(
        lambda: access.list_calls(parse_since_option(since), status, channel, limit)
    )
    where(access, as_json)
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(rows)} call(s)")
    for column in (
        "started",
        "session",
        "channel",
        "caller",
        "status",
        "seconds",
        "turns",
        "tools",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        seconds = row.get("duration_seconds")
        add_row(
            table, str(row["start_time"])[:19], row["session_id"], row["channel"], row.get("caller_id") or "-",
            row["status"], f"{seconds:.0f}" if seconds is not None else "-", row.get("turns", 0),
            ", ".join(row.get("tools_executed") or []),
        )  # fmt: skip
    out.print(table)


@calls_app.command("show")
def calls_show(session_id: str, as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """One call: its turns with timings, the tools it ran, its metrics."""
    access = records_access(config)
    call = records_call(lambda: access.get_call(session_id))
    where(access, as_json)
    if call is None:
        err.print(f"no call {escape(session_id)!r} in the records")
        raise typer.Exit(EXIT_CHECK_FAILED)
    if as_json:
        print(json.dumps(call, indent=2))
        return
    summary = ", ".join(
        f"{k}: {call.get(k)}" for k in ("channel", "caller_id", "direction", "status", "start_time", "duration_seconds",
                                        "reservation_id", "recording_url", "error_code") if call.get(k) is not None
    )  # fmt: skip
    out.print(f"[bold]{escape(call['session_id'])}[/] {escape(summary)}", highlight=False)
    turns = Table(title="turns")
    for column in ("#", "role", "content", "latency ms"):
        turns.add_column(column, overflow="fold")
    for turn in call["turns"]:
        latency = turn.get("latency_ms")
        add_row(
            turns,
            turn["turn_number"],
            turn["role"],
            turn["content"],
            f"{latency:.0f}" if latency is not None else "",
        )
    out.print(turns)
    if call["tools"]:
        tools = Table(title="tools")
        for column in ("tool", "ok", "ms", "arguments", "said"):
            tools.add_column(column, overflow="fold")
        for run in call["tools"]:
            add_row(tools, run["tool"], "yes" if run["ok"] else "no", f"{run['duration_ms']:.0f}",
                     json.dumps(run["arguments"]), run["result"].get("say", ""))  # fmt: skip
        out.print(tools)
    if call["metrics"]:
        out.print(
            "metrics: "
            + ", ".join(f"{m['metric_name']}={m['metric_value']:.3g}" for m in call["metrics"])
        )


@calls_app.command("export")
def calls_export(
    format: Annotated[
        str, typer.Option("--format", "-f", help="csv, json (one object per line) or parquet")
    ] = "csv",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write [default: calls-<date>.<format>]"),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only calls since: 7d, 12h or an ISO date")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Write the calls, with their transcripts, to a file."""
    from appliance.store.calls import EXPORT_FORMATS

    if format not in EXPORT_FORMATS:
        raise typer.BadParameter(f"use one of {', '.join(EXPORT_FORMATS)}", param_hint="--format")
    target = (output or Path(f"calls-{datetime.now():%Y%m%d}.{format}")).resolve()
    access = records_access(config)
    count = records_call(lambda: access.export(format, target, parse_since_option(since)))
    where(access, False)
    out.print(f"wrote {count} call(s) to {target}", highlight=False)


@calls_app.command("purge")
def calls_purge(
    older_than: Annotated[
        str, typer.Option("--older-than", help="Age of the calls to remove: 90d, 12w")
    ],
    config: ConfigOption = None,
) -> None:
    """Remove ended calls older than an age, with their turns, metrics and recordings."""
    days = parse_age(older_than)
    access = records_access(config)
    report = records_call(lambda: access.purge(days))
    where(access, False)
    out.print(f"purged calls older than {days} days: {_removed(report)}", highlight=False)
    _not_removed(report)


@calls_app.command("erase")
def calls_erase(
    caller: Annotated[
        str,
        typer.Option("--caller", help="The caller's phone number, written any way (+1 555 ...)"),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
    config: ConfigOption = None,
) -> None:
    """Remove everything recorded about one caller: calls, turns, recordings, notes, callbacks."""
    if not yes and not typer.confirm(f"Erase every call, recording and note of {caller}?"):
        raise typer.Exit(EXIT_CHECK_FAILED)
    access = records_access(config)
    report = records_call(lambda: access.erase(caller))
    where(access, False)
    if not report.get("matched"):
        err.print(
            f"nothing is recorded under {report.get('caller', caller)} (given as {caller!r}): "
            "nothing was erased",
            highlight=False,
        )
        raise typer.Exit(EXIT_CHECK_FAILED)
    out.print(f"erased {report['caller']}: {_removed(report)}", highlight=False)
    _not_removed(report)


def _not_removed(report: dict[str, Any]) -> None:
    """Recordings whose rows are gone but whose files would not go: named, and exit 1."""
    failed = report.get("recordings_not_removed") or []
    for item in failed:
        err.print(
            f"[bold red]error[/] (recording-not-removed): {escape(item['url'])}: {escape(item['error'])}",
            highlight=False, soft_wrap=True,
        )  # fmt: skip
    if failed:
        err.print(f"{len(failed)} recording(s) are still on disk: remove them by hand", highlight=False)
        raise typer.Exit(EXIT_CHECK_FAILED)


def _removed(report: dict[str, Any]) -> str:
    parts = [
        f"{report[k]} {k.replace('_', ' ')}"
        for k in ("calls", "turns", "tool_runs", "metrics", "notes", "callbacks", "recordings")
    ]
    text = ", ".join(parts) + " removed"
    if report.get("recordings_elsewhere"):
        text += f"; {len(report['recordings_elsewhere'])} recording(s) stored elsewhere were not touched"
    return text


@reservations_app.command("list")
def reservations_list(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """Every reservation, by arrival date."""
    access = records_access(config)
    rows = records_call(access.reservations)
    where(access, as_json)
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(rows)} reservation(s)")
    for column in (
        "code",
        "room",
        "check in",
        "check out",
        "guests",
        "name",
        "phone",
        "total",
        "status",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        add_row(table, row["code"], row.get("room_name", row["room_type"]), row["check_in"], row["check_out"],
                 row["guests"], row["guest_name"], row.get("phone") or "-", row["total"], row["status"])  # fmt: skip
    out.print(table)
