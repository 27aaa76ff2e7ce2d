"""Whether the data folder can take writes: its free space, and the last write that failed for
want of storage. The phone line puts callers through to a person while it cannot, and
/voice/health says why."""

from __future__ import annotations

import errno
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from appliance.errors import StoreError

_LOGGER = logging.getLogger(__name__)

#: Below this much free space the disk counts as full: a call's raw recording alone takes
#: about 4 MB a minute, and DuckDB needs room to commit.
LOW_DISK_BYTES = 64 * 1024 * 1024
#: A failed write is reported this long after it happened (unless the disk is still full).
FAULT_MEMORY_S = 60.0
#: The codes of the storage faults below.
STORAGE_CODES = frozenset({"disk-full", "storage-failed", "too-many-files"})
_FULL = {errno.ENOSPC, errno.EDQUOT}
_EXHAUSTED = {errno.EMFILE, errno.ENFILE}


def storage_fault(err: BaseException, what: str) -> StoreError | None:
    """The StoreError a failed write of ``what`` means when it failed for want of storage (a
    full disk, a read-only or failing one, no file descriptors left); None for any other
    failure, which is a bug to be raised as it is."""
    if isinstance(err, StoreError):
        return err if err.code in STORAGE_CODES else None
    if isinstance(err, OSError):
        reason = err.strerror or str(err)
        if err.errno in _FULL:
            return StoreError("disk-full", f"{what}: the disk is full ({reason})")
        if err.errno in _EXHAUSTED:
            return StoreError("too-many-files", f"{what}: no file descriptors left ({reason})")
        return StoreError("storage-failed", f"{what}: {reason}")
    if isinstance(err, duckdb.Error):
        text = str(err)
        if "No space left" in text or "quota exceeded" in text.lower():
            return StoreError("disk-full", f"{what}: the disk is full ({text})")
        if "Too many open files" in text:
            return StoreError("too-many-files", f"{what}: no file descriptors left ({text})")
        if isinstance(err, duckdb.IOException) or "Could not write" in text:
            return StoreError("storage-failed", f"{what}: {text}")
    return None


class StorageHealth:
    """The data folder's free space, and the last storage fault anything reported."""

    def __init__(
        self,
        folder: Path,
        low_bytes: int = LOW_DISK_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder = folder
        self.low_bytes = low_bytes
        self._clock = clock
        self._fault: tuple[float, StoreError] | None = None

    def record(self, fault: StoreError) -> None:
        """A write failed for want of storage."""
        if self._fault is None or self._fault[1].message != fault.message:
            _LOGGER.error("storage: %s", fault.message)
        self._fault = (self._clock(), fault)

    def free_bytes(self) -> int | None:
        """Free space where the data lives (the nearest folder that exists); None if unknown."""
        folder = self.folder
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        try:
            return shutil.disk_usage(folder).free
        except OSError:
            return None

    def problem(self) -> StoreError | None:
        """Why the appliance cannot keep what it must right now; None when it can."""
        free = self.free_bytes()
        if free is not None and free < self.low_bytes:
            return StoreError(
                "disk-full",
                f"the disk holding {self.folder} is full: {free // (1024 * 1024)} MB free, "
                f"{self.low_bytes // (1024 * 1024)} MB needed",
            )
        if self._fault is not None:
            at, fault = self._fault
            if self._clock() - at < FAULT_MEMORY_S:
                return fault
            self._fault = None
        return None

    def to_dict(self) -> dict[str, Any]:
        """For /voice/health."""
        problem = self.problem()
        free = self.free_bytes()
        body: dict[str, Any] = {
            "ok": problem is None,
            "free_mb": None if free is None else free // (1024 * 1024),
        }
        if problem is not None:
            body["problem"] = problem.code
            body["message"] = problem.message
        return body
