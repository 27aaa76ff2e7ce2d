"""Purging and erasing call records, with the recording files that belong to them."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from appliance.store import calls
from appliance.store.database import Connection, Store

_LOGGER = logging.getLogger(__name__)


def remove_local_recordings(urls: list[str], recordings_dir: Path) -> tuple[int, list[str]]:
    """Delete the recording files under ``recordings_dir`` that ``urls`` point at. Returns how
    many were removed and the URLs left alone (not local, or outside the directory)."""
    removed, kept = 0, []
    root = recordings_dir.resolve()
    for url in urls:
        parsed = urlparse(url)
        path = Path(parsed.path) if parsed.scheme in ("", "file") else None
        if path is None or not path.resolve().is_relative_to(root):
            kept.append(url)
            continue
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed, kept


def purge(db: Connection, older_than: datetime, recordings_dir: Path) -> dict[str, Any]:
    report = calls.purge_calls(db, older_than)
    return _finish(report, recordings_dir)


def erase(db: Connection, caller: str, recordings_dir: Path) -> dict[str, Any]:
    report = calls.erase_caller(db, caller)
    return _finish(report, recordings_dir)


def _finish(report: dict[str, Any], recordings_dir: Path) -> dict[str, Any]:
    removed, kept = remove_local_recordings(report.pop("recordings"), recordings_dir)
    report["recordings"] = removed
    report["recordings_elsewhere"] = kept
    return report


class CallRecords:
    """Purge and erase on the running server's writer thread."""

    def __init__(self, store: Store, recordings_dir: Path) -> None:
        self._store = store
        self.recordings_dir = recordings_dir

    async def purge(self, older_than: datetime) -> dict[str, Any]:
        report = await self._store.write(purge, older_than, self.recordings_dir)
        _LOGGER.info(
            "purged calls older than %s", older_than.isoformat(), extra={"removed": report}
        )
        return report

    async def erase(self, caller: str) -> dict[str, Any]:
        report = await self._store.write(erase, caller, self.recordings_dir)
        _LOGGER.info("erased the records of one caller", extra={"removed": report})
        return report
