"""The appliance's files hold guests' words and voices: only the user it runs as may read them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077


def private_files() -> None:
    """From now on this process creates files 0600 and folders 0700, whoever creates them
    (DuckDB makes its write-ahead log and temporary files itself)."""
    os.umask(os.umask(PRIVATE_UMASK) | PRIVATE_UMASK)


def private_dir(path: Path) -> None:
    """Create ``path`` (and its missing parents) readable by this user only. An existing
    folder is tightened when it is this user's own, not a shared one like /tmp."""
    missing = []
    for folder in (path, *path.parents):
        if folder.is_dir():
            break
        missing.append(folder)
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    info = path.stat()
    if info.st_uid == os.getuid() and not info.st_mode & stat.S_ISVTX:
        path.chmod(0o700)


def make_private(path: Path) -> None:
    """Tighten a file an earlier version may have left readable by others."""
    if path.exists():
        path.chmod(0o600)
