"""`appliance analytics` and `appliance sync`: what the hotel learns, and what leaves the box."""

from __future__ import annotations

import json
import logging
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from appliance.cli.common import (
    EXIT_CHECK_FAILED,
    ConfigOption,
    JsonOption,
    add_row,
    analytics_app,
    err,
    fail,
    out,
    parse_since_option,
    records_call,
    settings_from,
    sync_app,
)

_LOGGER = logging.getLogger("appliance")


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
    from appliance.analytics.reports import read_summary
    from appliance.store.kpis import Period, kpi_rows

    if format not in SUMMARY_FORMATS:
        raise typer.BadParameter(
            f"{format!r} is not a format: use one of {', '.join(SUMMARY_FORMATS)}",
            param_hint="--format",
        )
    start, end = parse_since_option(since), parse_since_option(until)
    if start is not None and end is not None and start >= end:
        raise typer.BadParameter(f"--since {since} is not before --until {until}")
    settings = settings_from(config)
    data, where = records_call(lambda: read_summary(settings, Period.since(start, end)))
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
        add_row(table, name.replace("_", " "), _shown(name, value))
    out.print(table)


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "-"
    if name.endswith(("_rate", "_conversion")):
        return f"{value * 100:.1f}%"
    return str(value)


@sync_app.command("now")
def sync_now_command(
    until: Annotated[
        str | None,
        typer.Option(
            help="now: send the current hour too, up to this minute (calls still open wait) "
            "[default: the hours that have settled]"
        ),
    ] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Plan what has settled and deliver every pending batch now, backoff or not."""
    from appliance.analytics.reports import sync_now
    from appliance.errors import SyncError

    if until not in (None, "now"):
        raise typer.BadParameter(f"{until!r}: the only choice is now", param_hint="--until")
    settings = settings_from(config)
    try:
        data, where = records_call(lambda: sync_now(settings, until_now=until == "now"))
    except SyncError as error:
        fail(error, EXIT_CHECK_FAILED)
    report, status = data["report"], data["status"]
    if as_json:
        print(json.dumps(data, indent=2))
    else:
        out.print(f"[dim]{escape(where)}[/]", highlight=False)
        empty = report.get("empty", 0)
        out.print(
            f"sent {report['sent']} batch(es), {report['rows']} row(s) to {escape(status['target'])}; "
            f"{report['pending']} pending"
            + (f"; {empty} period(s) had no ended call and sent nothing" if empty else ""),
            highlight=False,
        )
    if report["error"]:
        err.print(f"[bold red]error[/] (sync-failed): {escape(report['error'])}", highlight=False)
        raise typer.Exit(EXIT_CHECK_FAILED)


@sync_app.command("status")
def sync_status_command(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """The last success, what is pending, the last error."""
    from appliance.analytics.reports import read_sync_status

    settings = settings_from(config)
    status, where = records_call(lambda: read_sync_status(settings))
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
        add_row(table, key, value)
    out.print(table)
