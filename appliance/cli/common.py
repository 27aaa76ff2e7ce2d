"""What every `appliance` command shares: the typer apps, consoles, exit codes and helpers.

Exit codes scripts can rely on: 0 ok, 1 a check found a problem, 2 wrong usage,
3 configuration error, 4 a model is missing, corrupt or failed to load, 5 the server
could not start (address in use), 6 the database is held by another process (systemd
does not restart the server for 3, 4 or 6: waiting would not fix them).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from appliance.config import Config, load_config
from appliance.errors import ApplianceError, ConfigError, StoreError

if TYPE_CHECKING:
    from appliance.store.access import RecordsAccess

T = TypeVar("T")

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_CONFIG = 3
EXIT_MODEL = 4
EXIT_SERVER = 5
EXIT_DATABASE_LOCKED = 6

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


def fail(error: ApplianceError, code: int) -> NoReturn:
    err.print(
        f"[bold red]error[/] ({error.code}): {escape(error.message)}",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(code)


def settings_from(path: Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as error:
        fail(error, EXIT_CONFIG)


def records_access(config: Path | None) -> RecordsAccess:
    from appliance.store.access import open_access

    return open_access(settings_from(config))


def where(access: RecordsAccess, as_json: bool) -> None:
    """Say where the records came from: stderr when stdout carries JSON."""
    (err if as_json else out).print(f"[dim]{escape(access.where)}[/]", highlight=False)


def records_call(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except StoreError as error:
        fail(error, EXIT_CHECK_FAILED)


def parse_age(text: str) -> int:
    """'90d', '90' -> 90 days; '12w' -> 84 days."""
    match = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", text)
    if not match or int(match.group(1)) < 1:
        raise typer.BadParameter(f"{text!r} is not an age: use days like 90d, or weeks like 12w")
    return int(match.group(1)) * (7 if match.group(2) == "w" else 1)


def parse_since_option(text: str | None) -> datetime | None:
    from appliance.api import parse_since

    if text is None:
        return None
    try:
        return parse_since(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


def add_row(table: Table, *cells: object) -> None:
    """Add a row of plain text: paths and messages may hold brackets rich would read as markup."""
    table.add_row(*(escape(str(c)) for c in cells))
