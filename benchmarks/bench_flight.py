"""Flight software compute time: the control cycle in the burn phase (p50, p99, max) and in coast (LVLH
hold and OFF, with the whole cycle's mean wall time including housekeeping), its parts, and a campaign
plan.

The control cycle is measured as the executive's own deadline monitor measures it (from a sample's arrival
to its command's send) with in-memory ports, so the figure is the flight software's compute time alone:
FDIR, navigation, the sequencer, attitude control with the C allocator, and the command. The burn phase is
reached through the real sequence (plan, GO, two-step arming, settle, ignition) with the stack at its burn
attitude and 0.0267 m/s^2 of measured thrust acceleration per sample.

``flight.nav_on_imu_us_{burn,coast}``: navigation's cost per IMU sample alone, with the numpy
implementation it replaced (tests/oracles/navigation.py) measured in the same run as ``..._reference``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Generic, TypeVar

import numpy as np

from benchmarks.timing import best_time_s, figure
from firmware_bindings.orbit import state_from_elements
from flight.config import FlightConfig
from flight.control import AttitudeController, ControlMode, retrograde_target
from flight.executive import DeadlineMonitor, Executive, ExecutiveConfig
from flight.guidance import Guidance
from flight.navigation import Navigator, OrbitState
from flight.ports import (
    ArmState,
    BurnRef,
    Event,
    ImuSample,
    Telecommand,
    TelecommandAck,
    TelecommandKind,
    Telemetry,
    ThrusterCommand,
    ThrusterStatus,
)
from flight.sequencer import BurnPlan, SeqState
from tests.oracles.navigation import Navigator as ReferenceNavigator

T0_S = 959_774_400.0
T = TypeVar("T")


class _Queue(Generic[T]):
    """A cancellation-safe async iterator over a queue (an async generator would be closed by the
    executive's bounded waits)."""

    def __init__(self) -> None:
        self.q: asyncio.Queue[T] = asyncio.Queue()

    def __aiter__(self) -> _Queue[T]:
        return self

    async def __anext__(self) -> T:
        return await self.q.get()


class _Imu:
    def __init__(self) -> None:
        self.stream: _Queue[ImuSample] = _Queue()

    def samples(self) -> AsyncIterator[ImuSample]:
        return self.stream

    async def set_output_rate(self, rate_hz: float) -> None:
        return None


class _Thrusters:
    """The board answers every command and arming step with a status report; as a driver does, the port
    hands out the latest report it holds (the report is made when the answer 'arrives', outside the
    flight software's cycle: ``report`` is called by the benchmark between cycles)."""

    def __init__(self) -> None:
        self.arm = ArmState.DISARMED
        self.t_s = T0_S
        self.done: asyncio.Queue[ThrusterCommand] = asyncio.Queue()
        self.last_cycle = self.last_id = 0  # of the last command: a report answers it
        self._status = ThrusterStatus(self.t_s, self.arm, 0, 0, 0, 2e6, 16e3)

    def report(self) -> None:
        self._status = ThrusterStatus(self.t_s, self.arm, 0, self.last_cycle, self.last_id, 2e6, 16e3)

    async def arm_prepare(self, code: int) -> None:
        self.arm = ArmState.PREPARED
        self.report()

    async def arm_confirm(self, code: int) -> None:
        self.arm = ArmState.ARMED
        self.report()

    async def disarm(self) -> None:
        self.arm = ArmState.DISARMED
        self.report()

    async def command(self, cmd: ThrusterCommand) -> None:
        self.t_s = cmd.t_s if cmd.t_s is not None else self.t_s
        self.last_cycle, self.last_id = cmd.cycle, cmd.command_id
        self.done.put_nowait(cmd)

    async def status(self) -> ThrusterStatus:
        return self._status


class _Ground:
    def __init__(self) -> None:
        self.stream: _Queue[Telecommand] = _Queue()

    def telecommands(self) -> AsyncIterator[Telecommand]:
        return self.stream

    async def acknowledge(self, ack: TelecommandAck) -> None:
        return None

    async def send_telemetry(self, tm: Telemetry) -> None:
        return None

    async def send_event(self, event: Event) -> None:
        return None


async def _burn_cycles(n_burn: int) -> DeadlineMonitor:
    r, v = state_from_elements((6378137.0 + 220e3, 0.0005, math.radians(51.64), 1.0, 2.0, 0.0))
    q, w_orbit = retrograde_target(r, v)
    # the body turns with the target, at the orbit rate
    dtheta = (float(w_orbit[0]) * 0.1, float(w_orbit[1]) * 0.1, float(w_orbit[2]) * 0.1)
    nav = Navigator(q)
    nav.apply_state_vector(T0_S, tuple(r), tuple(v), 450e3)
    cfg = FlightConfig(arm_lead_s=20.0, settle_time_s=5.0)
    imu, thr, gnd = _Imu(), _Thrusters(), _Ground()
    ex = Executive(imu, thr, gnd, navigator=nav, config=cfg,
                   exec_config=ExecutiveConfig(auto_imu_rate=False, latency_history=n_burn + 10))
    dv_target = 0.0267 * (n_burn * 0.1 + 100.0)  # the burn outlasts the measurement
    retro = tuple(-v / np.linalg.norm(v))
    ex.seq.load_plan(T0_S, BurnPlan(1, "BENCH", T0_S + 30.0, dv_target, 0.0267, retro))
    gnd.stream.q.put_nowait(Telecommand(1, TelecommandKind.GO, BurnRef(1)))
    stop = asyncio.Event()
    run = asyncio.create_task(ex.run(stop))
    monitor: DeadlineMonitor | None = None
    k = 0
    while monitor is None or monitor.cycles < n_burn:
        k += 1
        if k > 10 * n_burn + 2000:
            raise RuntimeError(f"the burn phase was not reached (state {ex.seq.state.value})")
        burning = ex.seq.state in (SeqState.IGNITION, SeqState.BURN)
        dv = (0.00267 if burning else 0.0, 0.0, 0.0)
        imu.stream.q.put_nowait(ImuSample(T0_S + 0.1 * k, dtheta, dv, 0.1))
        async with asyncio.timeout(10.0):
            await thr.done.get()
        thr.report()
        if ex.seq.state is SeqState.BURN and monitor is None:
            monitor = ex.deadline = DeadlineMonitor(1.0, n_burn + 10)
    stop.set()
    await run
    return monitor


async def _coast_cycles(n: int, hold: bool) -> tuple[DeadlineMonitor, float]:
    """``n`` coast cycles at the coast rate (10 s samples, housekeeping due every cycle), the sequencer
    IDLE; ``hold``: the controller in LVLH hold (as between burns while armed: target, PD and the
    allocation run every cycle), else OFF (target and errors only). Returns the monitor and the mean wall
    time of a whole cycle (sample in to command out and the housekeeping after it)."""
    r, v = state_from_elements((6378137.0 + 220e3, 0.0005, math.radians(51.64), 1.0, 2.0, 0.0))
    q, w_orbit = retrograde_target(r, v)
    dtheta = (float(w_orbit[0]) * 10.0, float(w_orbit[1]) * 10.0, float(w_orbit[2]) * 10.0)
    nav = Navigator(q)
    nav.apply_state_vector(T0_S, tuple(r), tuple(v), 450e3)
    imu, thr, gnd = _Imu(), _Thrusters(), _Ground()
    ex = Executive(imu, thr, gnd, navigator=nav, config=FlightConfig(),
                   exec_config=ExecutiveConfig(auto_imu_rate=False, latency_history=n + 10))
    stop = asyncio.Event()
    run = asyncio.create_task(ex.run(stop))
    t0 = 0.0
    for k in range(n + 20):  # 20 cycles to settle (first housekeeping, calibration window filling)
        if k == 20:
            ex.deadline = DeadlineMonitor(1.0, n + 10)
            t0 = time.perf_counter()
        if hold:
            ex.control.mode = ControlMode.LVLH_HOLD
        imu.stream.q.put_nowait(ImuSample(T0_S + 10.0 * (k + 1), dtheta, (2e-6, 0.0, 0.0), 10.0))
        async with asyncio.timeout(10.0):
            await thr.done.get()
        thr.report()
    wall_s = (time.perf_counter() - t0) / n
    stop.set()
    await run
    return ex.deadline, wall_s


def run(quick: bool) -> Iterable[dict[str, object]]:
    n = 500 if quick else 5000
    mon = asyncio.run(_burn_cycles(n))
    yield figure("flight.control_cycle_burn_p50", mon.percentile_s(50) * 1e6, "us")
    yield figure("flight.control_cycle_burn_p99", mon.percentile_s(99) * 1e6, "us")
    yield figure("flight.control_cycle_burn_max", mon.max_s * 1e6, "us")
    for hold, label in ((True, "lvlh"), (False, "off")):
        cmon, wall_s = asyncio.run(_coast_cycles(n // 5, hold))
        yield figure(f"flight.control_cycle_coast_{label}_p50", cmon.percentile_s(50) * 1e6, "us")
        yield figure(f"flight.control_cycle_coast_{label}_p99", cmon.percentile_s(99) * 1e6, "us")
        yield figure(f"flight.cycle_coast_{label}_wall_mean", wall_s * 1e6, "us")

    r, v = state_from_elements((6378137.0 + 220e3, 0.0005, math.radians(51.64), 1.0, 2.0, 0.0))
    q, _ = retrograde_target(r, v)
    ctl = AttitudeController()
    ctl.mode, ctl.main_burn = ControlMode.BURN_ATTITUDE, True
    w = np.array([1e-4, 1.2e-3, -2e-4])
    step_s = best_time_s(lambda: ctl.step(q, w, r, v), 5, 200)
    yield figure("flight.attitude_control_step", step_s * 1e6, "us")
    nav = Navigator(q)
    nav.apply_state_vector(T0_S, tuple(r), tuple(v), 450e3)
    t = [T0_S]

    def nav_step() -> None:
        t[0] += 0.1
        nav.on_imu(ImuSample(t[0], (0.0, 1.2e-4, 0.0), (0.00267, 0.0, 0.0), 0.1), thrusting=True)

    yield figure("flight.navigation_burn_sample", best_time_s(nav_step, 5, 200) * 1e6, "us")
    yield from _nav_on_imu_figures(quick)
    yield from _plan_figures(quick)


def _nav_on_imu_figures(quick: bool) -> Iterable[dict[str, object]]:
    """``Navigator.on_imu`` per sample at 10 Hz, a burn sample and a coast sample, of flight/navigation.py
    and of the numpy implementation it replaced (tests/oracles/navigation.py) in the same run; the samples
    are made beforehand, so the figure is navigation's alone. The coast navigator first runs 1,300 samples
    (130 s) so that its 120 s calibration window is full and slides, as in a real coast; the body turns at
    the orbit rate and the burn measures 0.0267 m/s^2 of thrust."""
    r, v = state_from_elements((6378137.0 + 220e3, 0.0005, math.radians(51.64), 1.0, 2.0, 0.0))
    q, w_orbit = retrograde_target(r, v)
    dtheta = (float(w_orbit[0]) * 0.1, float(w_orbit[1]) * 0.1, float(w_orbit[2]) * 0.1)
    number = 200 if quick else 1000
    repeat = 5
    cases = (("burn", True, (0.00267, 1e-6, -2e-6)), ("coast", False, (-1e-5, 2e-6, 3e-6)))
    for label, thrusting, dv in cases:
        warm = 20 if thrusting else 1300
        samples = [ImuSample(T0_S + 0.1 * (k + 1), dtheta, dv, 0.1) for k in range(warm + repeat * number)]
        for impl, cls in (("", Navigator), ("_reference", ReferenceNavigator)):
            nav = cls(q)
            nav.apply_state_vector(T0_S, tuple(r), tuple(v), 450e3)
            feed = iter(samples)
            for _ in range(warm):
                nav.on_imu(next(feed), thrusting=thrusting)
            us = best_time_s(_feeder(nav, feed, thrusting), repeat, number) * 1e6
            yield figure(f"flight.nav_on_imu_us_{label}{impl}", us, "us")


def _feeder(nav: Navigator | ReferenceNavigator, feed: Iterator[ImuSample],
            thrusting: bool) -> Callable[[], object]:
    """A call that hands ``nav`` the next sample of ``feed``."""
    on_imu = nav.on_imu

    def sample() -> object:
        return on_imu(next(feed), thrusting=thrusting)

    return sample


def _plan_figures(quick: bool) -> Iterable[dict[str, object]]:
    """Campaign plans: the median wall time of plans from the start of the campaign for several orbits
    (phase along the orbit, node, eccentricity) and of a re-plan right after the first lowering burn."""
    from dataclasses import replace

    from firmware_bindings.orbit import propagate
    from flight.sequencer import BurnOutcome, BurnResult

    starts = [(0.0005, 1.0, 2.0, 0.0), (0.0, 0.0, 0.0, 0.0), (0.0005, 2.0, 2.0, 3.0), (0.0003, 4.0, 1.0, 1.5),
              (0.0, 5.5, 0.0, 4.5)]
    times: list[float] = []
    after: list[float] = []
    for e, raan, argp, nu in starts[:3] if quick else starts:
        r, v = state_from_elements((6378137.0 + 220e3, e, math.radians(51.64), raan, argp, nu))
        g = Guidance(T0_S)
        t0 = time.perf_counter()
        plan = g.plan(OrbitState(T0_S, tuple(r), tuple(v), 450e3))
        times.append(time.perf_counter() - t0)
        b = plan.burns[0]
        if b.final:
            continue  # drag did the lowering: no burn before the final one to re-plan after
        model = replace(g.config.model, dry_mass_kg=g.config.dry_mass_kg)
        s = propagate(T0_S, r, v, 450e3, b.t_ignition_s + b.duration_s,
                      model=model.with_burn(b.t_ignition_s, b.duration_s))
        g.record_burn(BurnResult(b.burn_id, b.name, False, b.t_ignition_s, b.duration_s, b.dv_mps, b.dv_mps,
                                 BurnOutcome.COMPLETED))
        t0 = time.perf_counter()
        g.plan(OrbitState(s.t_s, tuple(s.r_eci_m), tuple(s.v_eci_mps), s.mass_kg))
        after.append(time.perf_counter() - t0)
    yield figure("flight.campaign_plan", float(np.median(times)), "s")
    yield figure("flight.campaign_plan_max", max(times), "s")
    if after:
        yield figure("flight.campaign_replan_after_burn", float(np.median(after)), "s")
