"""Bounded awaits that cost nothing when the awaited call does not have to wait.

A port call in the control loop (send a command, read the latest report) nearly always completes without
suspending: the link takes the packet at once, the report is already there. Wrapping each in
``asyncio.timeout`` still makes, enters and cancels a timer every time (several microseconds, several times
per control cycle). :func:`bounded` first runs the call up to its first suspension; a call that finishes
there returns at once, with no timer at all. Only a call that does suspend gets the timeout, from that
moment on (the part before it ran without yielding, so no time limit could have interrupted it anyway):
``TimeoutError`` after ``timeout_s`` seconds of event-loop time, the call cancelled, exactly as with
``asyncio.timeout``. Outer cancellation passes through unchanged.

    >>> import asyncio
    >>> async def ready() -> int:
    ...     return 7
    >>> asyncio.run(bounded(ready(), 1.0))
    7
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["bounded"]


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
