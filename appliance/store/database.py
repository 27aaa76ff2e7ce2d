"""The DuckDB file: one writer thread owns the connection; readers use cursors of their own."""

from __future__ import annotations

import asyncio
import logging
import queue
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from appliance.errors import StoreError
from appliance.files import make_private, private_dir, private_files
from appliance.store.health import StorageHealth, storage_fault
from appliance.store.schema import migrate
from appliance.workers import ModelWorker

_LOGGER = logging.getLogger(__name__)

R = TypeVar("R")
Connection = duckdb.DuckDBPyConnection

READER_COUNT = 2


def connect(path: Path, read_only: bool = False) -> Connection:
    """Open the file, naming it (and who holds it) when that fails."""
    try:
        if not read_only:
            private_files()
            private_dir(path.parent)
        connection = duckdb.connect(str(path), read_only=read_only)
        connection.execute("SET TimeZone = 'UTC'")
        if not read_only:
            for made in (path, path.with_name(path.name + ".wal")):
                make_private(made)
        return connection
    except duckdb.IOException as err:
        if "lock" in str(err).lower():
            raise StoreError(
                "database-locked",
                f"{path} is held by another process (a running appliance?): {err}",
            ) from err
        raise StoreError("database-unavailable", f"{path}: {err}") from err
    except (duckdb.Error, OSError) as err:
        raise StoreError("database-unavailable", f"{path}: {err}") from err


def _reader_cursor(connection: Connection) -> Connection:
    cursor = connection.cursor()
    cursor.execute("SET TimeZone = 'UTC'")
    return cursor


class Store:
    """The appliance's database. Writes queue on one thread in the order they were made;
    reads run on reader threads, so neither ever blocks the event loop."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = ModelWorker("store-writer")
        self._connection: Connection | None = None
        self._readers: queue.Queue[Connection] = queue.Queue()
        self._pending: set[asyncio.Future[Any]] = set()
        #: Whether the data folder takes writes: free space and the last failed write.
        self.health = StorageHealth(path.parent)

    async def open(self, on_open: Callable[[Connection], Any] | None = None) -> None:
        """Open the file, apply migrations, then run ``on_open`` (crash recovery) on the writer."""
        self._connection = await self._writer.call(connect, self.path)
        version = await self._writer.call(migrate, self._connection)
        for _ in range(READER_COUNT):
            self._readers.put(await self._writer.call(_reader_cursor, self._connection))
        if on_open is not None:
            await self._writer.call(on_open, self._connection)
        _LOGGER.info("database %s open at schema version %d", self.path, version)

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise StoreError("database-closed", f"{self.path} is not open")
        return self._connection

    async def write(self, fn: Callable[..., R], /, *args: Any) -> R:
        """Run ``fn(connection, *args)`` on the writer thread and wait for it. A write that
        fails for want of storage (a full disk) raises StoreError and is reported to
        ``health``; any other failure is raised as it is."""
        try:
            return await self._writer.call(fn, self.connection, *args)
        except (OSError, duckdb.Error) as err:
            fault = storage_fault(err, f"writing to {self.path}")
            if fault is None:
                raise
            self.health.record(fault)
            raise fault from err

    def submit(self, fn: Callable[..., Any], /, *args: Any, what: str = "write") -> None:
        """Queue a write without waiting. It is queued before this returns, so writes keep the
        order they were made in; a failure is logged with ``what``; ``drain`` waits for all."""
        future = self._writer.enqueue(fn, self.connection, *args)
        self._pending.add(future)

        def done(finished: asyncio.Future[Any]) -> None:
            self._pending.discard(finished)
            if finished.cancelled() or (error := finished.exception()) is None:
                return
            fault = storage_fault(error, f"writing to {self.path}")
            if fault is not None:
                self.health.record(fault)
                _LOGGER.error("database %s failed: %s", what, fault.message)
            else:
                _LOGGER.error("database %s failed", what, exc_info=error)

        future.add_done_callback(done)

    async def drain(self) -> None:
        """Wait until every queued write has reached the file."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def read(self, fn: Callable[..., R], /, *args: Any) -> R:
        """Run ``fn(cursor, *args)`` on a reader thread with a cursor of its own."""

        def with_cursor() -> R:
            cursor = self._readers.get()
            try:
                return fn(cursor, *args)
            finally:
                self._readers.put(cursor)

        return await asyncio.to_thread(with_cursor)

    async def close(self) -> None:
        await self.drain()
        if self._connection is not None:
            connection, self._connection = self._connection, None

            def close_all() -> None:
                while not self._readers.empty():
                    self._readers.get().close()
                connection.execute("CHECKPOINT")
                connection.close()

            await self._writer.call(close_all)
        self._writer.shutdown()
