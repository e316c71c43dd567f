"""Invocations on worker threads, each answered exactly once on the event loop: with the
handler's outcome, or the integration timeout's, or, once stopping gives up, an abandonment.

Callbacks rather than a task and `asyncio.wait` per event: a message costs the loop one hand-off
to a worker and one call back, which is most of what the gateway adds to an echo. A handler
that outlives its answer (it timed out) still holds its worker; `returned` tells the caller when
it lets go, which is what frees its connection's slot (flow.Inflow).
"""

from __future__ import annotations

import asyncio
import time
import traceback
from typing import Callable

from . import limits
from .decisions import Outcome
from .handoff import Handoff
from .invoke import UNKNOWN, EventFactory, Invoker
from .workers import WorkerPool

Answer = Callable[[Outcome], None]


def internal_error(error: BaseException) -> str:
    return "wsdeploy dev failed:\n" + "".join(traceback.format_exception(error)).strip()


class _Invocation:
    __slots__ = ("route_key", "answer", "returned", "started", "timer")

    def __init__(self, route_key: str, answer: Answer, returned: Callable[[], None] | None):
        self.route_key = route_key
        self.answer: Answer | None = answer  # None once answered
        self.returned = returned
        self.started = time.perf_counter()
        self.timer: asyncio.TimerHandle | None = None


class Invocations:
    def __init__(self, pool: WorkerPool, invoker: Invoker, timeout: float):
        self._pool = pool
        self._invoker = invoker
        self._timeout = timeout
        self._unanswered: set[_Invocation] = set()
        self._abandoned = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self.handoff: Handoff | None = None  # how workers reach the loop (one per loop)

    @property
    def unanswered(self) -> int:
        """Invocations the gateway still waits for (stopping waits for these)."""
        return len(self._unanswered)

    def start(self, route_key: str, make_event: EventFactory, answer: Answer,
              returned: Callable[[], None] | None = None) -> None:
        """Run one event on a worker (call on the loop). `answer(outcome)` follows once, on the
        loop; `returned()` once the handler has let go of its worker, or never ran."""
        loop = self._loop = self._loop or asyncio.get_running_loop()
        if self.handoff is None:
            self.handoff = Handoff(loop)
        job = _Invocation(route_key, answer, returned)
        if self._abandoned:
            self._settle(job, Outcome(route_key, abandoned=True, error="wsdeploy dev has stopped"))
            self._let_go(job)
            return
        self._unanswered.add(job)
        job.timer = loop.call_later(self._timeout, self._timed_out, job)
        try:
            self._pool.submit(self._work, self.handoff, job, make_event)
        except Exception as error:  # noqa: BLE001 - said in the event line, never lost
            self._settle(job, Outcome(route_key, error=internal_error(error)))
            self._let_go(job)

    async def run(self, route_key: str, make_event: EventFactory) -> Outcome:
        """`start`, awaited: the outcome."""
        future = asyncio.get_running_loop().create_future()
        self.start(route_key, make_event,
                   lambda outcome: future.done() or future.set_result(outcome))
        return await future

    def abandon(self) -> None:
        """Stopping gives up: answer every invocation still awaited, and every later one."""
        self._abandoned = True
        for job in list(self._unanswered):
            self._settle(job, Outcome(job.route_key, abandoned=True,
                                      error="wsdeploy dev stopped before the handler returned"))

    def _work(self, handoff: Handoff, job: _Invocation,
              make_event: EventFactory) -> None:  # on a worker
        outcome = self._invoker.invoke(make_event)
        try:
            handoff.call(self._returned, job, outcome)
        except RuntimeError:
            pass  # the loop is closed: the gateway stopped while this ran

    def _returned(self, job: _Invocation, outcome: Outcome) -> None:
        if job.timer is not None:
            job.timer.cancel()
        self._settle(job, outcome)
        self._let_go(job)

    def _timed_out(self, job: _Invocation) -> None:
        # The function runs on, as Lambda's does; the gateway answers for it.
        self._settle(job, Outcome(job.route_key, status=504, error=limits.TIMED_OUT,
                                  timed_out=True))

    def _settle(self, job: _Invocation, outcome: Outcome) -> None:
        answer, job.answer = job.answer, None
        self._unanswered.discard(job)
        if answer is None:
            return  # answered already (timed out, or abandoned)
        if outcome.route_key == UNKNOWN:
            outcome.route_key = job.route_key
        if not outcome.duration_ms:
            outcome.duration_ms = (time.perf_counter() - job.started) * 1000
        answer(outcome)

    @staticmethod
    def _let_go(job: _Invocation) -> None:
        if job.returned is not None:
            job.returned()
