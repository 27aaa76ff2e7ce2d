"""A single worker thread per model: it owns the model, so calls queue instead of interleaving.

Calls run in the order they were made, except that work marked ``when_free`` waits for
every ordinary call queued before it starts: a reply's later sentences, synthesised ahead
of the playback, must not keep another caller's first words waiting.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import itertools
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

#: Queue priorities: ordinary calls, then work that may wait, then the stop at shutdown.
_NOW, _WHEN_FREE, _STOP = 0, 1, 2


class ModelWorker:
    """Runs blocking model calls on one dedicated thread, off the event loop."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: queue.PriorityQueue[_Item] = queue.PriorityQueue()
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        #: Calls queued or running now, and seconds spent running them since start (/metrics).
        self.queued = 0
        self.busy_s = 0.0

    def enqueue(
        self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs
    ) -> asyncio.Future[R]:
        """Queue ``fn`` now, in call order, and return a future of its result."""
        return self._submit(_NOW, functools.partial(fn, *args, **kwargs))

    def enqueue_when_free(self, fn: Callable[..., R], /, *args: Any) -> asyncio.Future[R]:
        """Queue ``fn`` behind every ordinary call queued before it starts."""
        return self._submit(_WHEN_FREE, functools.partial(fn, *args))

    async def call(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await self.enqueue(fn, *args, **kwargs)

    async def call_when_free(self, fn: Callable[..., R], /, *args: Any) -> R:
        return await self.enqueue_when_free(fn, *args)

    def _submit(self, priority: int, bound: Callable[[], R]) -> asyncio.Future[R]:
        # Carry the caller's context (its call id) into the worker so log lines keep it.
        context = contextvars.copy_context()
        done: Future[R] = Future()

        def job() -> None:
            if not done.set_running_or_notify_cancel():
                return  # its caller gave up before it started
            started = time.perf_counter()
            try:
                done.set_result(context.run(bound))
            except BaseException as err:  # handed to the caller, whatever it is
                done.set_exception(err)
            finally:
                self.busy_s += time.perf_counter() - started

        with self._lock:
            if self._closed:
                raise RuntimeError(f"worker {self.name} is shut down")
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name=self.name, daemon=True)
                self._thread.start()
            self.queued += 1
            self._queue.put(_Item(priority, next(self._order), job, done))
        future = asyncio.wrap_future(done)
        future.add_done_callback(self._finished)
        return future

    def _serve(self) -> None:
        while True:
            item = self._queue.get()
            if item.job is None:
                return
            item.job()

    def _finished(self, _: asyncio.Future[Any]) -> None:
        self.queued -= 1

    def shutdown(self) -> None:
        """Cancel what has not started, let the running call finish, and stop the thread."""
        with self._lock:
            self._closed = True
            thread = self._thread
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item.done is not None:
                item.done.cancel()
        self._queue.put(_Item(_STOP, next(self._order), None, None))
        if thread is not None:
            thread.join()


@dataclass(order=True)
class _Item:
    priority: int
    order: int
    job: Callable[[], None] | None = field(compare=False)
    done: Future[Any] | None = field(compare=False)
