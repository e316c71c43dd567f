"""What one client may cost, as bookkeeping without sockets: its slots on workers and its queue
(flow), the spacing of limit lines (limit_log), and worker-to-loop calls (handoff)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from wsdeploy.emulator.flow import ITEM_OVERHEAD, Inflow
from wsdeploy.emulator.handoff import Handoff
from wsdeploy.emulator.limit_log import LimitLog


def test_messages_start_in_order_while_slots_are_free():
    inflow: Inflow[str] = Inflow(max_running=2, max_queued_bytes=10_000)
    for name in "abc":
        inflow.add(name, 10)
    assert [inflow.take(), inflow.take(), inflow.take()] == ["a", "b", None]  # two slots
    assert inflow.running == 2 and inflow.waiting == 1
    inflow.finished()
    assert inflow.take() == "c" and inflow.take() is None and inflow.waiting == 0


def test_reading_pauses_when_the_queue_is_full_and_resumes_at_half():
    inflow: Inflow[int] = Inflow(max_running=1, max_queued_bytes=4 * (100 + ITEM_OVERHEAD))
    inflow.add(0, 100)
    assert inflow.take() == 0  # running: the rest waits
    for n in range(1, 4):
        inflow.add(n, 100)
        assert not inflow.should_pause()
    inflow.add(4, 100)
    assert inflow.queued_bytes == 4 * (100 + ITEM_OVERHEAD)
    assert inflow.should_pause() and inflow.paused
    assert not inflow.should_pause()  # said once
    inflow.finished()
    assert inflow.take() == 1 and not inflow.should_resume()  # 3 of 4 still wait
    inflow.finished()
    assert inflow.take() == 2 and inflow.should_resume() and not inflow.paused  # half
    assert not inflow.should_resume()


def test_tiny_messages_count_too():
    inflow: Inflow[int] = Inflow(max_running=1, max_queued_bytes=10 * ITEM_OVERHEAD)
    for n in range(10):
        inflow.add(n, 0)
    assert inflow.should_pause()


def test_a_closing_connection_drops_what_waits_but_keeps_its_running_slots():
    inflow: Inflow[int] = Inflow(max_running=1, max_queued_bytes=1000)
    inflow.add(1, 10)
    inflow.add(2, 10)
    assert inflow.take() == 1
    inflow.drop()
    assert inflow.waiting == 0 and inflow.queued_bytes == 0 and inflow.running == 1
    inflow.finished()
    assert inflow.take() is None and inflow.running == 0


def test_a_limit_is_said_at_most_once_per_interval_with_a_count_of_the_rest():
    said: list[tuple[str, str]] = []
    now = [100.0]
    log = LimitLog(lambda kind, text: said.append((kind, text)), every=1.0, clock=lambda: now[0])
    log.hit("unread", "first")
    log.hit("unread", "second")
    log.hit("unread", "third")
    log.hit("timeout", "another limit")  # spaced per limit
    now[0] += 1.0
    log.hit("unread", "fourth")
    assert said == [("limit", "first"), ("limit", "another limit"),
                    ("limit", "fourth (2 more like it since the last line)")]


def test_calls_from_threads_run_on_the_loop_in_order_and_none_is_lost():
    ran: list[tuple[int, int]] = []
    loop_thread: list[threading.Thread] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        handoff = Handoff(loop)
        done = asyncio.Event()
        per_thread, threads = 2000, 4

        def record(thread: int, n: int) -> None:
            loop_thread.append(threading.current_thread())
            ran.append((thread, n))
            if len(ran) == per_thread * threads:
                done.set()

        def send(thread: int) -> None:
            for n in range(per_thread):
                handoff.call(record, thread, n)

        workers = [threading.Thread(target=send, args=(t,)) for t in range(threads)]
        for worker in workers:
            worker.start()
        await asyncio.wait_for(done.wait(), 60)
        for worker in workers:
            worker.join()

    asyncio.run(main())
    assert set(loop_thread) == {threading.main_thread()}
    for thread in range(4):
        assert [n for t, n in ran if t == thread] == list(range(2000))


def test_a_failing_call_does_not_drop_the_ones_after_it():
    ran: list[str] = []
    errors: list[BaseException] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda loop, context: errors.append(context["exception"]))
        handoff = Handoff(loop)
        handoff.call(lambda: 1 / 0)
        handoff.call(ran.append, "after")
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    asyncio.run(main())
    assert ran == ["after"] and isinstance(errors[0], ZeroDivisionError)


def test_a_closed_loop_refuses_calls():
    loop = asyncio.new_event_loop()
    handoff = Handoff(loop)
    loop.close()
    with pytest.raises(RuntimeError):
        handoff.call(print)
