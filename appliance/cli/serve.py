"""`appliance serve`, `doctor` and `version`."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from appliance import __version__
from appliance.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_CONFIG,
    EXIT_DATABASE_LOCKED,
    EXIT_MODEL,
    EXIT_OK,
    EXIT_SERVER,
    ConfigOption,
    app,
    out,
    settings_from,
)
from appliance.config import load_config
from appliance.errors import ConfigError, ModelError, ServerError, StoreError
from appliance.logs import configure_logging

_LOGGER = logging.getLogger("appliance")


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

    settings = settings_from(config)
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
    except StoreError as error:
        # One line, no traceback: another process holds the file, or the disk failed it.
        _LOGGER.error("cannot open the database: %s", error.message)
        locked = error.code == "database-locked"
        raise typer.Exit(EXIT_DATABASE_LOCKED if locked else EXIT_CHECK_FAILED) from None


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
