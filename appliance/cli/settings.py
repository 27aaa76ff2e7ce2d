"""`appliance config`: the settings in force, shown and checked."""

from __future__ import annotations

import json
import logging
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from appliance.cli.common import (
    EXIT_CONFIG,
    ConfigOption,
    config_app,
    err,
    out,
    settings_from,
)
from appliance.config import masked

_LOGGER = logging.getLogger("appliance")


@config_app.command("show")
def config_show(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """The settings in force, after the file, .env.local and the environment; secrets masked."""
    settings = settings_from(config)
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
    """Load the settings and report every problem; exit 3 if any key is wrong, or if `serve`
    would refuse them (an address other machines reach with no admin token, or a weak one)."""
    from appliance.server import exposure_problem

    settings = settings_from(config)
    for note in settings.warnings():
        out.print(f"[yellow]note[/]: {escape(note)}", highlight=False)
    if (exposed := exposure_problem(settings.server.host, settings.server.admin_token)) is not None:
        err.print(f"[bold red]error[/] (admin-token): {escape(exposed)}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_CONFIG)
    out.print(
        "configuration ok: " + (", ".join(settings.sources) or "built-in defaults"), highlight=False
    )
