"""Spacecraft time for the ground emulator: acting at a planned time, deterministically in lockstep.

The ground runs on the simulation's time, not the host's. In realtime and scaled runs it simply waits until
the clock reaches the planned time. In lockstep a wait like that would land wherever the simulation
happened to be when the host scheduled the ground's task, so the ground takes part in the lockstep gate
instead (``hil.clock``): for an action planned at ``t_s`` it opens a hold just before ``t_s`` (a quarter
time-tag tick before it, a time no IMU sample can carry), waits until the IMU board is blocked on that
hold with every flight command in, acts (for example sends a state vector and waits, bounded, for its
acknowledgement) and releases the hold. The flight software therefore always sees the command after the
same IMU sample, on every transport. The hold is bounded like every lockstep wait: the clock's stall
timeout ends it if the ground never releases it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from array import array
from collections.abc import AsyncIterator, Callable
from typing import Any

from hil.clock import SimClock, TimeMode
from hil.drivers.timebase import on_grid

#: Offset of a hold below its planned time: a quarter of a time-tag tick (2^-16 s).
HOLD_OFFSET_S = 2.0 ** -18


#: Cycles whose loop latency is kept: more than the longest campaign has (about 10^5).
LATENCY_HISTORY = 2_000_000


class WatchedClock(SimClock):
    """A :class:`SimClock` that tells the ground where its waiters are (for holds in lockstep), and measures
    the loop latency of every cycle: host time from the IMU board emitting a sample to the thruster board
    holding the flight software's command for it, through both links and the flight software."""

    def __init__(self, mode: TimeMode | str, t0_s: float, stall_timeout_s: float = 5.0, **kw: object) -> None:
        super().__init__(mode, t0_s, stall_timeout_s, **kw)  # type: ignore[arg-type]
        self.waiting: list[float] = []
        self._progress = asyncio.Event()
        self._watches: list[float] = []  # the holds the ground waits on in progressed()
        #: called with the cycle's time each time the thruster board holds a command (for the run record)
        self.on_command_held: Callable[[float], None] | None = None
        self._opened_at: dict[float, float] = {}
        self.loop_latency_s = array("d")

    def open_cycle(self, t_k: float) -> None:
        super().open_cycle(t_k)
        if len(self._opened_at) >= 4096:  # cycles closed by a stall are forgotten here too
            self._opened_at.pop(next(iter(self._opened_at)))
        self._opened_at[float(t_k)] = time.perf_counter()

    def skip_cycle(self, t_k: float) -> None:
        super().skip_cycle(t_k)
        self._opened_at.pop(float(t_k), None)

    def loop_latency_summary(self) -> dict[str, Any]:
        """Loop latency statistics in milliseconds (p50, p99, max) and the number of cycles measured."""
        lat = self.loop_latency_s
        if not lat:
            return {"cycles": 0, "p50": None, "p99": None, "max": None}
        ordered = sorted(lat)

        def pct(q: float) -> float:  # nearest rank
            return 1e3 * ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100.0 * len(ordered)) - 1))]

        return {"cycles": len(ordered), "p50": pct(50.0), "p99": pct(99.0), "max": 1e3 * ordered[-1]}

    async def wait_until(self, t_s: float) -> None:
        self.waiting.append(float(t_s))
        self._poke()
        try:
            await super().wait_until(t_s)
        finally:
            self.waiting.remove(float(t_s))
            self._poke()

    def command_held(self, t_k: float) -> None:
        super().command_held(t_k)
        opened = self._opened_at.pop(float(t_k), None)
        if opened is not None and len(self.loop_latency_s) < LATENCY_HISTORY:
            self.loop_latency_s.append(time.perf_counter() - opened)
        if self.on_command_held is not None:
            self.on_command_held(float(t_k))
        self._poke()

    def _poke(self) -> None:
        """A waiter started or ended or a command was held: wake the ground if that may concern a hold it
        waits on (the hold is gone, or the simulation waits beyond it). Nothing happens while the
        ground waits on a hold far ahead, which is nearly always: not a wake-up every cycle."""
        watches = self._watches
        if not watches:
            return
        hold = min(watches)
        if hold in self._open and not (self.waiting and max(self.waiting) > hold):
            return
        event, self._progress = self._progress, asyncio.Event()
        event.set()

    async def progressed(self, timeout_s: float, hold_s: float = -math.inf) -> None:
        """Wait (at most ``timeout_s`` of wall time) until a waiter starts or ends or a command is held while
        the hold ``hold_s`` is gone or the simulation waits beyond it (by default: any such change)."""
        self._watches.append(hold_s)
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    await self._progress.wait()
        finally:
            self._watches.remove(hold_s)


class GroundTime:
    """When the ground acts: ``async with ground_time.at(t_s) as t_act_s`` (see the module docstring).

    ``plant_time`` gives the truth's time (what tracking measures); in lockstep the action happens at the
    time of the last IMU sample before ``t_s``.
    """

    def __init__(self, clock: SimClock, plant_time: Callable[[], float], *,
                 wall: Callable[[], float] = time.monotonic) -> None:
        if clock.mode.lockstep and not isinstance(clock, WatchedClock):
            raise TypeError("a lockstep ground needs a WatchedClock to place its holds")
        self.clock = clock
        self.plant_time = plant_time
        self._wall = wall
        self.holds: set[float] = set()
        self.late_actions = 0  # planned times the simulation had passed before the hold was placed

    @property
    def now_s(self) -> float:
        if self.clock.mode.lockstep:
            return self.plant_time()
        return max(self.clock.now_s, self.plant_time())

    @staticmethod
    def hold_key(t_s: float) -> float:
        """The time of the hold for an action at ``t_s``."""
        return on_grid(t_s) - HOLD_OFFSET_S

    def hold(self, t_s: float) -> float | None:
        """Place the lockstep hold for an action at ``t_s`` (no-op outside lockstep, or when the simulation
        is already past it); returns the hold's time, None when none was placed."""
        if not self.clock.mode.lockstep:
            return None
        t_hold = self.hold_key(t_s)
        if t_hold in self.holds:
            return t_hold
        if self.plant_time() >= t_hold:
            return None
        self.holds.add(t_hold)
        self.clock.open_cycle(t_hold)
        return t_hold

    def release(self, t_hold: float | None) -> None:
        if t_hold is not None and t_hold in self.holds:
            self.holds.discard(t_hold)
            self.clock.skip_cycle(t_hold)

    def release_all(self) -> None:
        for t in sorted(self.holds):
            self.release(t)

    def blocked_on(self, t_hold: float) -> bool:
        """Whether the simulation stands at the hold ``t_hold`` (or the hold is gone)."""
        clock = self.clock
        if t_hold not in clock.open_cycles:
            return True  # released (or ended by the stall timeout): nothing to wait for
        waiting = getattr(clock, "waiting", None)
        if not waiting or min(waiting) <= t_hold:
            return False
        return all(t >= t_hold for t in clock.open_cycles if t not in self.holds)

    async def reach(self, t_s: float, timeout_s: float | None = None) -> float:
        """Wait until the simulation reaches ``t_s`` (in lockstep: is blocked on the hold for ``t_s``,
        placed now if it is not yet); returns spacecraft time then. ``timeout_s`` bounds the wait in wall
        time (TimeoutError)."""
        async with asyncio.timeout(timeout_s):
            if self.clock.mode.lockstep:
                t_hold = self.hold(t_s)
                if t_hold is None:
                    self.late_actions += 1
                    return self.now_s
                assert isinstance(self.clock, WatchedClock)
                while not self.blocked_on(t_hold):
                    await self.clock.progressed(0.5, t_hold)
                return self.now_s
            while self.now_s < t_s:
                delay = self.clock.wall_deadline(t_s) - self._wall()
                await asyncio.sleep(min(max(delay, 0.001), 1.0))
            return self.now_s

    @contextlib.asynccontextmanager
    async def at(self, t_s: float, timeout_s: float | None = None) -> AsyncIterator[float]:
        """Act at ``t_s``: the body runs with the simulation held there (lockstep) and gets the time."""
        t_hold = self.hold_key(t_s) if self.clock.mode.lockstep else None
        try:
            yield await self.reach(t_s, timeout_s)
        finally:
            self.release(t_hold)
