"""A single worker thread per model: it owns the model, so calls queue instead of interleaving."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class ModelWorker:
    """Runs blocking model calls on one dedicated thread, off the event loop."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        #: Calls queued or running now, and seconds spent running them since start (/metrics).
        self.queued = 0
        self.busy_s = 0.0

    def enqueue(
        self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs
    ) -> asyncio.Future[R]:
        """Queue ``fn`` now, in call order, and return a future of its result."""
        # Carry the caller's context (its call id) into the worker so log lines keep it.
        context = contextvars.copy_context()
        bound = functools.partial(context.run, fn, *args, **kwargs)

        def timed() -> R:
            started = time.perf_counter()
            try:
                return bound()
            finally:
                self.busy_s += time.perf_counter() - started

        self.queued += 1
        future = asyncio.get_running_loop().run_in_executor(self._pool, timed)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _: asyncio.Future[Any]) -> None:
        self.queued -= 1

    async def call(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await self.enqueue(fn, *args, **kwargs)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
