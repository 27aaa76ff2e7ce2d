"""Purging and erasing call records, with the recording files that belong to them."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from appliance.store import calls
from appliance.store.database import Connection, Store
from appliance.store.recordings import LocalRecordings, Recordings

_LOGGER = logging.getLogger(__name__)


def remove_recordings(urls: list[str], where: list[Recordings]) -> tuple[int, list[str]]:
    """Delete each recording from the storage it belongs to. Returns how many were removed
    and the URLs no configured storage owns (left alone)."""
    removed, kept = 0, []
    for url in urls:
        if any(storage.delete(url) for storage in where):
            removed += 1
        else:
            kept.append(url)
    return removed, kept


def purge(db: Connection, older_than: datetime, where: list[Recordings]) -> dict[str, Any]:
    return _finish(calls.purge_calls(db, older_than), where)


def erase(db: Connection, caller: str, where: list[Recordings]) -> dict[str, Any]:
    return _finish(calls.erase_caller(db, caller), where)


def _finish(report: dict[str, Any], where: list[Recordings]) -> dict[str, Any]:
    removed, kept = remove_recordings(report.pop("recordings"), where)
    report["recordings"] = removed
    report["recordings_elsewhere"] = kept
    return report


def storages(recordings: Recordings | None, data_dir: Path) -> list[Recordings]:
    """Where recordings may be: the configured storage, and always the local directory (a
    hotel that switched to S3, or stopped recording, still has its older files)."""
    local = LocalRecordings(data_dir / "recordings")
    return [recordings, local] if recordings is not None else [local]


class CallRecords:
    """Purge and erase on the running server's writer thread."""

    def __init__(self, store: Store, where: list[Recordings]) -> None:
        self._store = store
        self._where = where

    async def purge(self, older_than: datetime) -> dict[str, Any]:
        report = await self._store.write(purge, older_than, self._where)
        _LOGGER.info(
            "purged calls older than %s", older_than.isoformat(), extra={"removed": report}
        )
        return report

    async def erase(self, caller: str) -> dict[str, Any]:
        report = await self._store.write(erase, caller, self._where)
        _LOGGER.info("erased the records of one caller", extra={"removed": report})
        return report
