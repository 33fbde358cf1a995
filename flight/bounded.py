"""Bounded awaits that cost nothing when the awaited call does not have to wait.

A port call in the control loop (send a command, read the latest report) nearly always completes without
suspending: the link takes the packet at once, the report is already there. Wrapping each in
``asyncio.timeout`` still makes, enters and cancels a timer every time (several microseconds, several times
per control cycle). :func:`bounded` first runs the call up to its first suspension; a call that finishes
there returns at once, with no timer at all. Only a call that does suspend gets the timeout, from that
moment on (the part before it ran without yielding, so no time limit could have interrupted it anyway):
``TimeoutError`` after ``timeout_s`` seconds of event-loop time, the call cancelled, exactly as with
``asyncio.timeout``. Outer cancellation passes through unchanged.

A task that waits again and again for the next input (a sample, a report) does suspend every time, so
:func:`bounded` cannot spare the timer there. :class:`RepeatingTimeout` bounds each of those waits like
``asyncio.timeout`` but keeps one timer for the task instead of one per wait: a wait that ends early leaves
the timer armed, and the next wait, whose deadline is later, lets it fire, finds its own deadline not yet
reached and re-arms it once for that deadline. A task waiting every 0.2 ms with a 5 s bound makes a timer
every 5 s instead of 25,000.

    >>> import asyncio
    >>> async def ready() -> int:
    ...     return 7
    >>> asyncio.run(bounded(ready(), 1.0))
    7
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Coroutine, Generator
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["RepeatingTimeout", "bounded"]


async def bounded(call: Coroutine[Any, Any, T], timeout_s: float | None) -> T:
    """Await the coroutine ``call`` for at most ``timeout_s`` seconds once it suspends (None: no bound)."""
    try:
        first = call.send(None)
    except StopIteration as done:  # finished without suspending
        return done.value
    async with asyncio.timeout(timeout_s):
        return await _Resumed(call, first)


class _Resumed:
    """The rest of a coroutine that has already run up to its first suspension, which yielded ``first``:
    awaiting this hands ``first`` to the running task and goes on driving the coroutine, passing results
    and exceptions (cancellation included) through as ``await`` would."""

    __slots__ = ("_call", "_first")

    def __init__(self, call: Coroutine[Any, Any, Any], first: Any) -> None:
        self._call = call
        self._first = first

    def __await__(self) -> Generator[Any, Any, Any]:
        call, pending = self._call, self._first
        self._first = None
        while True:
            try:
                sent = yield pending
            except GeneratorExit:
                call.close()
                raise
            except BaseException as exc:  # thrown in by the task: cancellation, the timeout's included
                try:
                    pending = call.throw(exc)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    pending = call.send(sent)
                except StopIteration as done:
                    return done.value


class RepeatingTimeout:
    """``asyncio.timeout`` for one task's successive waits with one timer, reused (see the module docstring).

    ``async with watch.within(timeout_s): await something()`` raises ``TimeoutError`` when the wait lasts
    ``timeout_s`` seconds of event-loop time, with the awaited call cancelled, exactly as ``asyncio.timeout``
    does; outer cancellation passes through as ``CancelledError``. One wait at a time per object (a task's
    own); entering it again while a wait is under way raises ``RuntimeError``. The timer may stay armed
    after the last wait: when it fires with no wait under way it does nothing.
    """

    __slots__ = ("_cancelling", "_deadline", "_expired", "_handle", "_loop", "_task", "_timeout_s",
                 "timers_made")

    def __init__(self) -> None:
        self._timeout_s: float | None = None
        self._deadline: float | None = None  # of the wait under way, loop time
        self._task: asyncio.Task[Any] | None = None
        self._cancelling = 0
        self._expired = False
        self._handle: asyncio.TimerHandle | None = None  # armed for handle.when()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.timers_made = 0  # how many timers were scheduled (for tests and benchmarks)

    def within(self, timeout_s: float | None) -> RepeatingTimeout:
        """The bound of the next wait (seconds; None: unbounded)."""
        if self._deadline is not None:
            raise RuntimeError("RepeatingTimeout: a wait is already under way")
        self._timeout_s = timeout_s
        return self

    async def __aenter__(self) -> RepeatingTimeout:
        if self._deadline is not None:
            raise RuntimeError("RepeatingTimeout: a wait is already under way")
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("RepeatingTimeout must be used inside a task")
        loop = task.get_loop()
        timeout_s = self._timeout_s
        self._task = task
        self._cancelling = task.cancelling()
        self._expired = False
        if timeout_s is None:
            self._deadline = math.inf
            return self
        deadline = loop.time() + timeout_s
        self._deadline = deadline
        handle = self._handle
        if handle is None or self._loop is not loop or handle.when() > deadline:
            self._arm(loop, deadline)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._deadline = None
        if self._expired:
            self._expired = False
            task = self._task
            assert task is not None
            if task.uncancel() <= self._cancelling and exc_type is asyncio.CancelledError:
                raise TimeoutError from exc

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = loop.call_at(when, self._on_timer, when)
        self._loop = loop
        self.timers_made += 1

    def _on_timer(self, armed_at: float) -> None:
        self._handle = None
        deadline = self._deadline
        if deadline is None or math.isinf(deadline) or self._expired:
            return
        if armed_at < deadline:  # armed for an earlier wait: this one has time left
            assert self._loop is not None
            self._arm(self._loop, deadline)
            return
        self._expired = True
        assert self._task is not None
        self._task.cancel()
