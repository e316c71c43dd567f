"""The threads handlers run on: as many as events under way, up to a maximum, reused when idle.

They are daemon threads, unlike concurrent.futures' workers, which the interpreter joins at exit:
a handler stuck in `while True: sleep()` must not keep `wsdeploy dev` from exiting on Ctrl-C.
A result reaches the caller's event loop if that loop still runs; a handler still running when
the gateway stopped is abandoned: its result is dropped, and the runtime's failure log lines
from its thread (its sends fail once the gateway is gone) are not printed.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from typing import Any, Callable

_RUNTIME_LOGGER = "wsdeploy"  # where the runtime logs a handler's failure, with its traceback


class _QuietWhenAbandoned(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(threading.current_thread(), "wsdeploy_abandoned", False)


_QUIET = _QuietWhenAbandoned()


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class WorkerPool:
    """`pool.submit(function, *args)` runs the call on a worker thread; `await pool.run(...)`
    from an event loop also gives its result back."""

    def __init__(self, max_workers: int, name: str = "wsdeploy-dev"):
        self._max = max_workers
        self._name = name
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._busy: set[threading.Thread] = set()
        self._closed = False

    @property
    def busy(self) -> int:
        """How many calls are running now."""
        return len(self._busy)

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        """Run `function(*args)` on a worker; what it returns or raises is dropped (a function
        that must answer does so itself). Calls wait for a worker once all are busy."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool has been shut down")
            if self._idle:
                self._idle -= 1  # an idle worker will take it
            elif len(self._threads) < self._max:
                thread = threading.Thread(target=self._work, daemon=True,
                                          name=f"{self._name}-{len(self._threads)}")
                self._threads.append(thread)
                thread.start()
        self._jobs.put((function, args))

    def run(self, function: Callable[..., Any], *args: Any) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        future = loop.create_future()

        def call() -> None:
            result, error = None, None
            try:
                result = function(*args)
            except BaseException as caught:  # noqa: BLE001 - the caller's to see
                error = caught
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:
                pass  # the loop is closed: the gateway stopped while this ran

        self.submit(call)
        return future

    def _work(self) -> None:
        me = threading.current_thread()
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if self._closed:  # queued behind busy workers when the gateway stopped: dropped
                continue
            function, args = job
            self._busy.add(me)
            try:
                function(*args)
            except BaseException:  # noqa: BLE001 - submit's contract: dropped
                pass
            finally:
                self._busy.discard(me)
            del job, function, args
            with self._lock:
                if self._closed:
                    return
                self._idle += 1

    def shutdown(self) -> None:
        """Let idle workers end; abandon busy ones (they end when their handler returns)."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        for thread in list(self._busy):
            thread.wsdeploy_abandoned = True  # type: ignore[attr-defined]
        logger = logging.getLogger(_RUNTIME_LOGGER)
        if _QUIET not in logger.filters:
            logger.addFilter(_QUIET)
        for _ in threads:
            self._jobs.put(None)
