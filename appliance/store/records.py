"""Purging and erasing call records, with the recording files that belong to them."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import phonenumbers

from appliance.errors import StoreError
from appliance.store import calls
from appliance.store.database import Connection, Store
from appliance.store.recordings import LocalRecordings, Recordings

_LOGGER = logging.getLogger(__name__)


def remove_recordings(
    urls: list[str], where: list[Recordings]
) -> tuple[int, list[str], list[dict[str, str]]]:
    """Delete each recording from the storage it belongs to. Returns how many were removed,
    the URLs no configured storage owns (left alone), and those that could not be removed
    with why. Their rows are gone by now: a file that will not go is reported, never raised,
    so the caller always learns what was done."""
    removed, kept, failed = 0, [], []
    for url in urls:
        try:
            owned = any(storage.delete(url) for storage in where)
        except (OSError, StoreError) as err:
            reason = err.message if isinstance(err, StoreError) else (err.strerror or str(err))
            _LOGGER.error("could not remove the recording %s: %s", url, reason)
            failed.append({"url": url, "error": reason})
            continue
        if owned:
            removed += 1
        else:
            kept.append(url)
    return removed, kept, failed


def purge(db: Connection, older_than: datetime, where: list[Recordings]) -> dict[str, Any]:
    return _finish(calls.purge_calls(db, older_than), where)


#: Where a number written without a country code is read, unless the hotel's own number says.
DEFAULT_REGION = "US"


def region_of(hotel_number: str) -> str:
    """The country of the hotel's own number: numbers without a country code are read there."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(hotel_number, None))
    except phonenumbers.NumberParseException:
        return DEFAULT_REGION
    return region if region and region != "ZZ" else DEFAULT_REGION


def normalise_number(text: str, region: str = DEFAULT_REGION) -> str:
    """``text`` as an E.164 number (+15554443333), however it was written; StoreError if it
    is not a phone number."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as err:
        raise StoreError("bad-caller", f"{text!r} is not a phone number: {err}") from None
    if not phonenumbers.is_possible_number(number):
        raise StoreError("bad-caller", f"{text!r} is not a possible phone number")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _same_number(stored: str, target: str, region: str) -> bool:
    try:
        return normalise_number(stored, region) == target
    except StoreError:
        return stored.strip() == target


def erase(
    db: Connection, caller: str, where: list[Recordings], region: str = DEFAULT_REGION
) -> dict[str, Any]:
    """Erase one caller, their number matched however it is written here or in the file;
    ``matched`` says whether anything was found under it."""
    target = normalise_number(caller, region)
    written = [n for n in calls.caller_numbers(db) if _same_number(n, target, region)]
    report = _finish(calls.erase_caller(db, written), where)
    report["caller"] = target
    report["matched"] = bool(written)
    return report


def _finish(report: dict[str, Any], where: list[Recordings]) -> dict[str, Any]:
    removed, kept, failed = remove_recordings(report.pop("recordings"), where)
    report["recordings"] = removed
    report["recordings_elsewhere"] = kept
    report["recordings_not_removed"] = failed
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

    async def recording(self, url: str) -> bytes | None:
        """A recording's WAV from whichever store holds it (this box's files or the bucket)."""

        def fetch() -> bytes | None:
            for where in self._where:
                audio = where.read(url)
                if audio is not None:
                    return audio
            return None

        return await asyncio.to_thread(fetch)

    async def purge(self, older_than: datetime) -> dict[str, Any]:
        report = await self._store.write(purge, older_than, self._where)
        _LOGGER.info(
            "purged calls older than %s", older_than.isoformat(), extra={"removed": report}
        )
        return report

    async def erase(self, caller: str, region: str = DEFAULT_REGION) -> dict[str, Any]:
        report = await self._store.write(erase, caller, self._where, region)
        _LOGGER.info("erased the records of one caller", extra={"removed": report})
        return report
