"""The simulation clock: one time scale (UTC seconds since J2000, ``t_s``) run three ways.

- ``lockstep``: as fast as possible and deterministic. :meth:`SimClock.wait_until` returns as soon as the
  lockstep gate allows: the plant never passes a control-cycle boundary before the thruster board holds
  the flight software's command for that cycle (DESIGN.md section 4).
- ``realtime``: simulated time follows the wall clock (real boards, real deadlines).
- ``scaled:N``: simulated time runs N times faster than the wall clock (soak tests, demos).

The lockstep gate. The IMU board calls :meth:`SimClock.open_cycle` with the time tag ``t_k`` of each sample
it emits that the flight software answers with a command; the thruster board calls
:meth:`SimClock.command_held` with the command's time tag once it holds it; a cycle that gets no command
(a phase where the flight software sends none) is closed with :meth:`SimClock.skip_cycle`.
``wait_until(t_next)`` waits until no cycle opened before ``t_next`` is still open, at most
``stall_timeout_s`` of wall time; then it records a :class:`Stall` for each cycle still open, calls
``on_stall`` for it, closes it and goes on, so a run never hangs. The gate only orders events: the plant's
results depend on the commands, never on how long they took to arrive, so a lockstep run is the same bit for
bit on every transport. In realtime and scaled modes the gate does not hold time back; a cycle still open
when time passes its successor is counted in ``late_cycles``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["SimClock", "Stall", "TimeMode", "TimeModeError"]


#: The last part of a realtime wait that is slept precisely (see ``SimClock._sleep_until_wall``).
PRECISE_WAKE_S = 0.002


def _sleep_until(deadline: float) -> None:
    """Block the calling (worker) thread until time.monotonic() reaches ``deadline`` (at most
    PRECISE_WAKE_S away)."""
    delay = deadline - time.monotonic()
    if delay > 0.0:
        time.sleep(min(delay, PRECISE_WAKE_S))


class TimeModeError(ValueError):
    """A time mode that is not lockstep, realtime or scaled:N."""


_SCALED = re.compile(r"^scaled:([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)$")


@dataclass(frozen=True)
class TimeMode:
    """How simulated time runs: ``kind`` lockstep, realtime or scaled; ``scale`` simulated seconds per wall
    second (1 in realtime, N in scaled:N, unused in lockstep)."""

    kind: str
    scale: float = 1.0
    #: True in lockstep (a field, not a property: the rig asks several times a cycle)
    lockstep: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lockstep", self.kind == self.LOCKSTEP)

    LOCKSTEP = "lockstep"
    REALTIME = "realtime"
    SCALED = "scaled"

    @classmethod
    def parse(cls, text: str) -> TimeMode:
        """``"lockstep"``, ``"realtime"`` or ``"scaled:N"`` (N a positive finite number)."""
        if not isinstance(text, str):
            raise TimeModeError(f"time mode must be a string, got {text!r}")
        s = text.strip()
        if s == cls.LOCKSTEP:
            return cls(cls.LOCKSTEP, 1.0)
        if s == cls.REALTIME:
            return cls(cls.REALTIME, 1.0)
        m = _SCALED.match(s)
        if m:
            n = float(m.group(1))
            if not (math.isfinite(n) and n > 0.0):
                raise TimeModeError(f"time mode {text!r}: the scale N of scaled:N must be > 0 and finite")
            return cls(cls.SCALED, n)
        raise TimeModeError(
            f"unknown time mode {text!r}: use lockstep, realtime or scaled:N (N > 0, for example scaled:10)")

    def __str__(self) -> str:
        return f"scaled:{self.scale:g}" if self.kind == self.SCALED else self.kind


@dataclass(frozen=True)
class Stall:
    """A lockstep cycle that got no command_held within the stall timeout."""

    t_cycle_s: float  # the cycle's time tag
    t_wait_s: float  # the time wait_until was asked for
    waited_wall_s: float  # wall time spent waiting


class _Wakeup:
    """The gate's waiters, woken together by ``notify``: an ``asyncio.Event`` that is cleared before every
    wait, without its set state, its loop check and its waiter deque (a lockstep run waits every cycle)."""

    __slots__ = ("_loop", "_waiters")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiters: list[asyncio.Future[None]] = []

    async def wait(self) -> None:
        """Until the next ``notify`` (cancellable)."""
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if not waiter.done() or waiter.cancelled():
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)

    def notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


class SimClock:
    """Simulated time for one run (see the module docstring).

    ``now_s`` is the simulated time: in lockstep the latest time a ``wait_until`` has released (``t0_s`` at
    the start); in realtime and scaled modes ``t0_s`` plus the scaled wall time since the clock started.
    """

    def __init__(self, mode: TimeMode | str, t0_s: float, stall_timeout_s: float = 5.0,
                 on_stall: Callable[[Stall], None] | None = None,
                 wall: Callable[[], float] = time.monotonic) -> None:
        self.mode = TimeMode.parse(mode) if isinstance(mode, str) else mode
        if not math.isfinite(t0_s):
            raise ValueError(f"t0_s must be finite, got {t0_s!r}")
        if not (math.isfinite(stall_timeout_s) and stall_timeout_s > 0.0):
            raise ValueError(f"stall_timeout_s must be > 0 and finite, got {stall_timeout_s!r}")
        self.t0_s = float(t0_s)
        self.stall_timeout_s = float(stall_timeout_s)
        self.on_stall = on_stall
        self._wall = wall
        self._wall0 = wall()
        self._now_s = float(t0_s)
        self._open: set[float] = set()
        self._changed: _Wakeup | None = None  # made in the running loop on first use
        self._changed_loop: asyncio.AbstractEventLoop | None = None
        self._gate_deadlines: list[float] = []  # loop-time deadlines of the waits at the gate
        self._stall_timer: asyncio.TimerHandle | None = None
        self._stall_timer_loop: asyncio.AbstractEventLoop | None = None
        self._stall_timer_at = math.inf
        self.stalls: list[Stall] = []
        self.cycles_opened = 0
        self.cycles_commanded = 0
        self.cycles_skipped = 0
        self.unmatched_commands = 0  # command_held for a cycle that was not open
        self.late_cycles = 0  # realtime/scaled: cycles still open when time passed them

    # ---- time ----

    def start(self, t0_s: float | None = None) -> None:
        """Restart the wall reference now (realtime and scaled: simulated time ``t0_s``, by default the
        current simulated time, is now). Call it when the run starts, after any slow setup."""
        t = self.now_s if t0_s is None else float(t0_s)
        if not math.isfinite(t):
            raise ValueError(f"t0_s must be finite, got {t0_s!r}")
        self.t0_s = t
        self._wall0 = self._wall()
        if self.mode.lockstep:
            self._now_s = t

    def _event(self, loop: asyncio.AbstractEventLoop | None = None) -> _Wakeup:
        loop = asyncio.get_running_loop() if loop is None else loop
        if self._changed is None or self._changed_loop is not loop:
            self._changed = _Wakeup(loop)
            self._changed_loop = loop
        return self._changed

    @property
    def now_s(self) -> float:
        if self.mode.lockstep:
            return self._now_s
        return self.t0_s + (self._wall() - self._wall0) * self.mode.scale

    def wall_deadline(self, t_s: float) -> float:
        """The wall-clock reading (of the clock's wall source) at which simulated time reaches t_s."""
        return self._wall0 + (t_s - self.t0_s) / self.mode.scale

    def gate_closed(self, t_s: float) -> bool:
        """True when, in lockstep, a cycle opened before ``t_s`` is still open: ``wait_until(t_s)`` will
        then wait (and give the other tasks a turn); an open gate returns at once, without yielding."""
        return self.mode.lockstep and bool(self._open) and min(self._open) < t_s

    async def wait_until(self, t_s: float) -> None:
        """Return when simulated time may reach ``t_s`` (see the module docstring); never blocks longer than
        ``stall_timeout_s`` of wall time in lockstep."""
        if not math.isfinite(t_s):
            raise ValueError(f"wait_until needs a finite time, got {t_s!r}")
        if self.mode.lockstep:
            await self._gate(t_s)
            if t_s > self._now_s:
                self._now_s = float(t_s)
            return
        await self._sleep_until_wall(self.wall_deadline(t_s))
        late = [t for t in self._open if t < t_s]
        for t in late:
            self._open.discard(t)
        self.late_cycles += len(late)

    async def _sleep_until_wall(self, deadline: float) -> None:
        """Sleep until the wall clock reads ``deadline``. The event loop's own timers wake up to a
        millisecond late (epoll's timeout resolution) and a sample's time tag should leave on time: on
        the monotonic clock the last ``PRECISE_WAKE_S`` is slept in a worker thread, whose sleep is
        precise to tens of microseconds."""
        delay = deadline - self._wall()
        if delay <= 0.0:
            return
        if self._wall is not time.monotonic:
            await asyncio.sleep(delay)
            return
        if delay > PRECISE_WAKE_S:
            await asyncio.sleep(delay - PRECISE_WAKE_S)
            delay = deadline - time.monotonic()
        if delay > 0.0:
            await asyncio.get_running_loop().run_in_executor(None, _sleep_until, deadline)

    async def _gate(self, t_s: float) -> None:
        if not self._open or min(self._open) >= t_s:  # open already: no wait, no timer
            return
        loop = asyncio.get_running_loop()
        start = self._wall()
        deadline = loop.time() + self.stall_timeout_s
        changed = self._event(loop)
        self._gate_deadlines.append(deadline)
        self._arm_stall_timer(loop, deadline)
        opened = self._open
        try:
            while opened and min(opened) < t_s:
                if loop.time() >= deadline:
                    self._stall(t_s, self._wall() - start)
                    return
                await changed.wait()
        finally:
            self._gate_deadlines.remove(deadline)

    def _arm_stall_timer(self, loop: asyncio.AbstractEventLoop, deadline: float) -> None:
        """Make sure a timer wakes the gate's waiters by ``deadline``. Successive waits end later than the
        ones before, so the timer armed for an earlier wait serves them: when it fires it wakes the waiters
        (each checks its own deadline) and re-arms for the earliest deadline still pending. One timer per
        stall timeout instead of one per wait (a lockstep run waits at the gate every cycle)."""
        handle = self._stall_timer
        if handle is not None and self._stall_timer_loop is loop and self._stall_timer_at <= deadline:
            return
        if handle is not None:
            handle.cancel()
        self._stall_timer = loop.call_at(deadline, self._on_stall_timer, loop)
        self._stall_timer_loop = loop
        self._stall_timer_at = deadline

    def _on_stall_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        self._stall_timer = None
        if self._changed is not None:
            self._changed.notify()
        if self._gate_deadlines:
            self._arm_stall_timer(loop, min(self._gate_deadlines))

    def _stall(self, t_s: float, waited_wall_s: float) -> None:
        """The gate waited ``stall_timeout_s`` for cycles before ``t_s``: each still open is a stall."""
        for t in sorted(x for x in self._open if x < t_s):
            self._open.discard(t)
            stall = Stall(t_cycle_s=t, t_wait_s=float(t_s), waited_wall_s=waited_wall_s)
            self.stalls.append(stall)
            if self.on_stall is not None:
                self.on_stall(stall)
        if self._changed is not None:
            self._changed.notify()  # other waiters held by the same cycles go on too

    # ---- the lockstep gate ----

    def open_cycle(self, t_k: float) -> None:
        """The IMU board emitted the sample tagged ``t_k`` that the flight software answers with a command."""
        if not math.isfinite(t_k):
            raise ValueError(f"open_cycle needs a finite time tag, got {t_k!r}")
        self._open.add(float(t_k))
        self.cycles_opened += 1

    def command_held(self, t_k: float) -> None:
        """The thruster board holds the command with time tag ``t_k`` (the sample it answers)."""
        if float(t_k) in self._open:
            self._open.discard(float(t_k))
            self.cycles_commanded += 1
            if self._changed is not None:
                self._changed.notify()
        else:
            self.unmatched_commands += 1

    def skip_cycle(self, t_k: float) -> None:
        """Close the cycle ``t_k`` without a command (the flight software sends none in this phase)."""
        if float(t_k) in self._open:
            self._open.discard(float(t_k))
            self.cycles_skipped += 1
            if self._changed is not None:
                self._changed.notify()

    @property
    def open_cycles(self) -> tuple[float, ...]:
        return tuple(sorted(self._open))

    @property
    def stall_count(self) -> int:
        return len(self.stalls)
