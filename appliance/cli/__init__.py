"""`appliance`: the command-line tool IT staff run the box with, one module per command group.

Exit codes scripts can rely on: 0 ok, 1 a check found a problem, 2 wrong usage,
3 configuration error, 4 a model is missing, corrupt or failed to load, 5 the server
could not start (address in use), 6 the database is held by another process (systemd
does not restart the server for 3, 4 or 6: waiting would not fix them).
"""

from __future__ import annotations

import sys

from appliance.cli import analytics, kiosk, models, records, serve, settings, talk  # noqa: F401
from appliance.cli.common import app

__all__ = ["app", "main"]


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
