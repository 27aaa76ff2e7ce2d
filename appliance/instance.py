"""Where the running server listens, written beside its data for the CLI: `serve --port 9000`
is found on 9000, not on the port in the configuration."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

#: In the data folder while `appliance serve` runs.
ADDRESS_FILE = "server.json"


def address_file(data_dir: Path) -> Path:
    return data_dir / ADDRESS_FILE


def write_address(data_dir: Path, url: str) -> None:
    """Say where this process serves (replaced whole, never half-written)."""
    target = address_file(data_dir)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(json.dumps({"url": url, "pid": os.getpid()}) + "\n")
    os.replace(partial, target)


def remove_address(data_dir: Path) -> None:
    """The server stops: the file goes, if it is still this process's."""
    target = address_file(data_dir)
    with contextlib.suppress(OSError, ValueError):
        if json.loads(target.read_text()).get("pid") == os.getpid():
            target.unlink()


def running_address(data_dir: Path) -> str | None:
    """The URL of the server that serves ``data_dir``, if one said so and still runs."""
    try:
        record = json.loads(address_file(data_dir).read_text())
        url, pid = record["url"], int(record["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # it died without removing the file (kill -9)
    except PermissionError:
        pass  # it runs, as another user
    return url if isinstance(url, str) else None
