"""The flight executive: one ``asyncio.TaskGroup`` of named tasks around the pure flight logic.

Tasks (``Executive.run``):

- ``control-cycle``: the IMU intake and the control cycle in one task. It takes each IMU sample from the
  port as it comes, every wait bounded by ``imu_timeout_s`` (host time; a timeout is the FDIR ``imu.stale``
  input), and answers *every* sample with exactly one thruster command tagged with that sample's time and
  interval (zero on-times when nothing is to fire): the emulated plant runs in lockstep on it. In between:
  FDIR on the sample, navigation, the sequencer (thruster status, attitude error, measured delta-v, time),
  the plan from guidance, attitude control and allocation, and the IMU output rate when the phase (or the
  ground) changes it: sent before the cycle's thruster command, so in lockstep it takes effect at a defined
  spacecraft time (see ``_command_imu_rate``). Samples that come while a cycle runs wait in the port's
  own bounded queue. (An intake task of its own, handing samples on through a queue, added a task switch
  to every sample's latency and bought nothing on one event loop: it could run only while the cycle
  waited, and every wait of the cycle is bounded.)
- ``thruster-status``: waits (bounded) for the board's first status and then watches it in host time; the
  control cycle hands each new report to the sequencer at the spacecraft time it was seen.
- ``ground-link``: verified telecommands to the commander, acknowledgements back (bounded sends).
- ``telemetry``: pumps the bounded downlink queue (housekeeping, events) through the ground port.
- ``health``: watches ground contact (host-time period), checks the stop request.
- ``guidance``: re-plans in a worker thread when asked (after every burn, state-vector uplink, aim change
  and FDIR request), each plan bounded by ``plan_timeout_s``; the control cycle loads its next burn.

Time: rate groups (housekeeping, ground-contact checks, the plan) run on spacecraft time from the IMU time
tags; host time is used only to bound waits and to measure the cycle latency (from the cycle taking a
sample from the port to its command's send), whose statistics (p50, p99, max, deadline misses) the
deadline monitor keeps.

Shutdown: ``stop`` (an ``asyncio.Event``), ``until_s`` (spacecraft time) or the end of the IMU stream end
the task group; every valve is then commanded closed and the board disarmed (bounded waits) in ``finally``.
Cancellation of ``run`` is never swallowed: the same clean-up runs and the cancellation propagates. A
journal that cannot be written ends the run the same way (write-ahead: nothing proceeds unrecorded).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from firmware_bindings.frames import WGS84_A_M
from firmware_bindings.orbit import apsis_altitudes_m
from flight.bounded import RepeatingTimeout, bounded
from flight.commanding import ApplyAimPoint, ApplyStateVector, Commander, CommandIntent, PersistCommand
from flight.config import FlightConfig
from flight.control import AttitudeController, ControlMode
from flight.fdir import Fdir, FdirAction, Response
from flight.guidance import CampaignPlan, Guidance, GuidanceError, imu_rate_hz
from flight.journal import Journal
from flight.navigation import Navigator
from flight.ports import (
    THRUSTER_COUNT,
    Event,
    GroundPort,
    ImuPort,
    ImuRateArgs,
    ImuSample,
    Scalar,
    Severity,
    Telemetry,
    ThrusterCommand,
    ThrusterPort,
    ThrusterStatus,
)
from flight.sequencer import (
    ARMED_STATES,
    THRUSTING_STATES,
    ArmConfirm,
    ArmPrepare,
    CloseAllValves,
    Disarm,
    Emit,
    HoldAttitude,
    MainValves,
    PersistBurnResult,
    PersistIgnition,
    PersistPlan,
    PointAt,
    Rejected,
    SeqState,
    Sequencer,
    SetImuRate,
    TrimThrust,
)
from flight.telemetry import Downlink, HousekeepingSchedule


class _Stop(Exception):
    """Raised inside the task group to end it cleanly."""


@dataclass(frozen=True)
class ExecutiveConfig:
    """Host-time bounds of the executive (spacecraft-time settings live in ``FlightConfig``)."""

    imu_timeout_s: float = 5.0  # host time without a sample before FDIR hears imu.stale (a floor)
    port_timeout_s: float = 2.0  # every port call
    deadline_s: float | None = None  # cycle latency deadline; default: one control cycle
    health_period_s: float = 0.05  # host time
    rate_timeout_s: float = 0.25  # host time for the IMU board to confirm a rate change
    rate_retry_s: float = 1.0  # spacecraft time before an unconfirmed rate change is sent again
    plan_timeout_s: float = 120.0  # host time for one re-plan
    latency_history: int = 100_000
    auto_imu_rate: bool = True  # command the IMU rate by phase from the plan
    # re-plan at the end of the control cycle that first sees the request, after its command (deterministic
    # in lockstep: the plan depends only on spacecraft time) instead of in a worker thread (the loop keeps
    # answering samples)
    plan_inline: bool = False


# latency histogram of the deadline monitor: 20 logarithmic bins a decade from 1 us to 1000 s (each bin
# spans a factor 10^(1/20) = 1.122, so an estimate read at a bin's geometric middle is within 6 %)
#: The longest a cycle waits for the thruster board's answer to the last command (host seconds).
STATUS_WAIT_S = 0.01
_HIST_MIN_S = 1e-6
_HIST_PER_DECADE = 20
_HIST_BINS = 9 * _HIST_PER_DECADE + 2  # below 1 us, the 180 bins, at or above 1000 s


class DeadlineMonitor:
    """Cycle latency statistics in bounded memory with O(1) recording.

    The latest ``history`` latencies sit in a ring (exact percentiles over them at summary time:
    :meth:`percentile_s`); every latency since the start also goes into a logarithmic histogram, whose
    percentiles (:meth:`percentile_estimate_s`, within 6 %) cost a pass over 182 counters: what the
    housekeeping downlinks every period. Misses are counted against ``deadline_s``.
    """

    def __init__(self, deadline_s: float, history: int = 100_000) -> None:
        if not history >= 1:
            raise ValueError(f"history must be at least 1, got {history!r}")
        self.deadline_s = deadline_s
        self.history = int(history)
        self.cycles = 0
        self.misses = 0
        self.max_s = 0.0
        self._ring = np.zeros(self.history)
        self._next = 0
        self._hist = [0] * _HIST_BINS

    def record(self, latency_s: float) -> None:
        self.cycles += 1
        if latency_s > self.deadline_s:
            self.misses += 1
        if latency_s > self.max_s:
            self.max_s = latency_s
        self._ring[self._next] = latency_s
        self._next = (self._next + 1) % self.history
        if latency_s < _HIST_MIN_S or not math.isfinite(latency_s):
            k = 0 if not latency_s >= _HIST_MIN_S else _HIST_BINS - 1
        else:
            k = min(_HIST_BINS - 1, 1 + int(math.log10(latency_s / _HIST_MIN_S) * _HIST_PER_DECADE))
        self._hist[k] += 1

    def _window(self) -> npt.NDArray[np.float64]:
        return self._ring if self.cycles >= self.history else self._ring[: self._next]

    def percentile_s(self, q: float) -> float:
        """The exact ``q``-th percentile (numpy's linear interpolation) of the latest ``history``
        latencies."""
        if not self.cycles:
            return math.nan
        return float(np.percentile(self._window(), q))

    def percentile_estimate_s(self, q: float) -> float:
        """The ``q``-th percentile of every latency since the start, from the histogram (within 6 %; the
        bin below 1 us reads 1 us, the bin at or above 1000 s reads the maximum)."""
        if not self.cycles:
            return math.nan
        rank = max(1, math.ceil(q / 100.0 * self.cycles))
        k = bisect.bisect_left(list(itertools.accumulate(self._hist)), rank)
        if k == 0:
            return _HIST_MIN_S
        if k >= _HIST_BINS - 1:
            return self.max_s
        return min(self.max_s, _HIST_MIN_S * 10.0 ** ((k - 0.5) / _HIST_PER_DECADE))

    def summary(self, exact: bool = True) -> dict[str, Any]:
        """Cycles, misses and latency p50, p99 (exact over the window, or the histogram's estimates) and
        max in ms."""
        pct = self.percentile_s if exact else self.percentile_estimate_s
        return {"cycles": self.cycles, "deadline_misses": self.misses,
                "latency_ms": {"p50": 1e3 * pct(50), "p99": 1e3 * pct(99), "max": 1e3 * self.max_s}}


@dataclass
class ExecutiveReport:
    reason: str
    t_s: float | None
    control: dict[str, Any]
    commands_sent: int
    fdir: dict[str, int]
    sequencer_state: str
    burns: dict[int, Any]
    events: int


class Executive:
    """Wires ports to the flight logic; construct, then ``await run()``."""

    def __init__(
        self,
        imu: ImuPort,
        thrusters: ThrusterPort,
        ground: GroundPort,
        *,
        navigator: Navigator,
        sequencer: Sequencer | None = None,
        commander: Commander | None = None,
        guidance: Guidance | None = None,
        controller: AttitudeController | None = None,
        fdir: Fdir | None = None,
        journal: Journal | None = None,
        config: FlightConfig | None = None,
        exec_config: ExecutiveConfig | None = None,
        startup_intents: list[Any] | None = None,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        self.config = config or (sequencer.config if sequencer is not None else FlightConfig())
        self.xc = exec_config or ExecutiveConfig()
        self.imu = imu
        self.thrusters = thrusters
        self.ground = ground
        self.nav = navigator
        self.seq = sequencer or Sequencer(self.config)
        self.commander = commander or Commander(self.seq, self.config)
        self.guidance = guidance
        self.control = controller or AttitudeController()
        self.fdir = fdir or Fdir()
        self.journal = journal
        self.downlink = Downlink()
        self.on_event = on_event
        deadline_s = self.xc.deadline_s or self.config.control_cycle_s
        self.deadline = DeadlineMonitor(deadline_s, self.xc.latency_history)
        self.plan: CampaignPlan | None = None
        self.t_s: float | None = None
        self.cycle = 0
        self.commands_sent = 0
        self.events = 0
        self.command_log: list[ThrusterCommand] = []
        self.keep_command_log = False
        self._pending = list(startup_intents or [])
        self._hk = HousekeepingSchedule(self.config.housekeeping_period_s)
        self._status_seen_t_s: float | None = None
        self._cycle_sent: int | None = None  # the cycle of the last thruster command the port took
        self._rate_wanted: float | None = None
        # a ground SET_IMU_RATE holds until the sequencer changes state (then the phase's rate applies)
        self._rate_override: tuple[float, SeqState] | None = None
        self._rate_commanded: float | None = None
        self._rate_retry_t_s: float | None = None
        self._interval_next_s: float | None = None
        self.rate_log: list[tuple[float, float]] = []  # (sample time, rate) of every confirmed rate change
        self._replan = asyncio.Event()
        self._new_plan: CampaignPlan | None = None
        self._hold = False
        self._last_sample_host: float | None = None
        self._expected_interval_s = 1.0 / self.config.imu_rate_coast_hz
        self._stop_reason = "stopped"
        self.gaps_bridged = 0
        self.bridged_dv_mps = 0.0
        self._last_period_s = 0.0
        self._last_sample_t: float | None = None
        self._burn_accel_mps2 = 0.0
        self.plans = 0
        self.thruster_silences = 0
        self.attitude_error_rad = math.nan
        self.thrust_axis_error_rad = math.nan

    # --------------------------------------------------------------------------- run

    async def run(self, stop: asyncio.Event | None = None, until_s: float | None = None) -> ExecutiveReport:
        """Run until ``stop`` is set, spacecraft time reaches ``until_s`` or the IMU stream ends."""
        self._stop = stop or asyncio.Event()
        self._until_s = until_s
        if self.guidance is not None and self.nav.has_orbit:
            self._replan.set()
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._control_cycle(), name="control-cycle")
                tg.create_task(self._thruster_status(), name="thruster-status")
                tg.create_task(self._ground_link(), name="ground-link")
                tg.create_task(self._telemetry(), name="telemetry")
                tg.create_task(self._health(), name="health")
                tg.create_task(self._guidance(), name="guidance")
        except* _Stop:
            pass
        finally:
            await self._safe_shutdown()
        return self.report()

    def report(self) -> ExecutiveReport:
        return ExecutiveReport(self._stop_reason, self.t_s, self.deadline.summary(), self.commands_sent,
                               dict(self.fdir.counts), self.seq.state.value,
                               {k: (None if v is None else v.to_dict()) for k, v in self.seq.burns.items()},
                               self.events)

    async def _safe_shutdown(self) -> None:
        """Close every valve and disarm, each bounded; never raises (cancellation included, once)."""
        needs = self.control.main_burn or self.control.trim or self.seq.state in ARMED_STATES
        self.control.main_burn = self.control.trim = False
        self.control.mode = ControlMode.OFF
        if not needs:
            return
        cmd = ThrusterCommand(self.cycle, (0.0,) * THRUSTER_COUNT, False, self.cycle, t_s=self.t_s)
        for step in (self.thrusters.command(cmd), self.thrusters.disarm()):
            try:
                async with asyncio.timeout(self.xc.port_timeout_s):
                    await step
            except Exception:  # a port's own errors; cancellation (BaseException) passes
                pass
            except asyncio.CancelledError:
                # shutdown under cancellation: give up the rest quietly but let cancellation go on
                raise

    # ----------------------------------------------------------------------------- tasks

    async def _act_without_sample(self) -> None:
        """Carry out pending FDIR intents when no sample comes to carry them (a silent IMU): SAFE must not
        wait for the sensor that failed. If that leaves valves commanded open, a closing command goes out
        at once (tagged with the last sample's time; the board's own watchdog is the backstop)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        was_open = self.control.main_burn or self.control.trim
        await self._apply(pending)
        if was_open and not (self.control.main_burn or self.control.trim):
            self.cycle += 1
            cmd = ThrusterCommand(self.cycle, (0.0,) * THRUSTER_COUNT, False, self.cycle, t_s=self.t_s)
            try:
                async with asyncio.timeout(self.xc.port_timeout_s):
                    await self.thrusters.command(cmd)
                self.commands_sent += 1
                self._cycle_sent = cmd.cycle
            except Exception as exc:  # a port's own errors; cancellation passes
                self._emit(Event(self.t_s or 0.0, Severity.ERROR, "executive.command_failed",
                                 f"closing command not sent: {exc}"))

    async def _control_cycle(self) -> None:
        it = aiter(self.imu.samples())
        wait_bound = RepeatingTimeout()  # a wait every sample: one timer, re-armed once per bound
        while True:
            t0 = time.perf_counter()
            # silent for imu_stale_factor output intervals at the rate the board confirmed, and never less
            # than the configured bound (a coast interval is 10 s; host time runs as fast as spacecraft time
            # or faster); before any rate is confirmed, the configured bound
            bound_s = self.xc.imu_timeout_s
            if self._rate_commanded is not None:
                bound_s = max(bound_s, self.fdir.config.imu_stale_factor * self._expected_interval_s)
            try:
                async with wait_bound.within(bound_s):
                    sample = await anext(it)
            except TimeoutError:
                t = self.t_s if self.t_s is not None else 0.0
                thrusting = self.seq.state in THRUSTING_STATES
                self._fdir_actions(t, self.fdir.on_imu_stale(t, time.perf_counter() - t0, thrusting))
                await self._act_without_sample()
                continue
            except StopAsyncIteration:
                self._stop_reason = "IMU stream ended"
                raise _Stop() from None
            except Exception as exc:  # the port failed: as a silent IMU, reported
                self._emit(Event(self.t_s or 0.0, Severity.ERROR, "executive.imu_port",
                                 f"IMU port error: {exc}"))
                await asyncio.sleep(min(1.0, self.xc.imu_timeout_s))
                continue
            await self._cycle(sample, time.perf_counter())
            if self._until_s is not None and sample.t_s >= self._until_s:
                self._stop_reason = "until_s reached"
                raise _Stop()

    async def _thruster_status(self) -> None:
        """Watch the board's reports in host time: a board that stops reporting is an event (once per
        silence); the sequencer's own spacecraft-time bound then takes it to SAFE if it was armed."""
        last_t: float | None = None
        last_new = time.perf_counter()
        silent = False
        while True:
            status: ThrusterStatus | None = None
            try:
                async with asyncio.timeout(self.xc.port_timeout_s):
                    status = await self.thrusters.status()
            except Exception as exc:  # TimeoutError, or a driver's own timeout type
                if isinstance(exc, asyncio.CancelledError):
                    raise
            now = time.perf_counter()
            if status is not None and (last_t is None or status.t_s > last_t):
                last_t, last_new = status.t_s, now
                if silent:
                    silent = False
                    self._emit(Event(self.t_s or 0.0, Severity.INFO, "executive.thruster_reporting",
                                     "thruster board reports again"))
            elif not silent and now - last_new > self.xc.imu_timeout_s:
                silent = True
                self.thruster_silences += 1
                self._emit(Event(self.t_s or 0.0, Severity.WARNING, "executive.thruster_silent",
                                 f"no new thruster status for {now - last_new:.1f} s"))
            await asyncio.sleep(self.xc.health_period_s)

    async def _ground_link(self) -> None:
        it = aiter(self.ground.telecommands())
        while True:
            try:
                async with asyncio.timeout(1.0):
                    tc = await anext(it)
            except TimeoutError:
                continue
            except StopAsyncIteration:
                self._emit(Event(self.t_s or 0.0, Severity.WARNING, "executive.ground_closed",
                                 "ground link closed"))
                return
            t = self.t_s if self.t_s is not None else 0.0
            if self.t_s is not None:
                self.fdir.on_ground_contact(t)
            dispatch = self.commander.handle(t, tc)
            await self._apply(list(dispatch.intents))
            if dispatch.ack.accepted and isinstance(tc.args, ImuRateArgs):
                self._rate_override = (tc.args.rate_hz, self.seq.state)
            try:
                async with asyncio.timeout(self.xc.port_timeout_s):
                    await self.ground.acknowledge(dispatch.ack)
            except Exception:  # a port's own errors; cancellation passes
                self.downlink.send_failures += 1

    async def _telemetry(self) -> None:
        while True:
            await self.downlink.pump(self.ground, wait_s=0.5)

    async def _health(self) -> None:
        while True:
            if self._stop.is_set():
                self._stop_reason = "stop requested"
                raise _Stop()
            if self.t_s is not None:
                self._fdir_actions(self.t_s, self.fdir.check_ground(self.t_s))
            try:
                async with asyncio.timeout(self.xc.health_period_s):
                    await self._stop.wait()
            except TimeoutError:
                pass

    async def _guidance(self) -> None:
        if self.xc.plan_inline:
            return  # the control cycle plans itself
        while True:
            await self._replan.wait()
            self._replan.clear()
            guidance = self.guidance  # may be given later (a composition root's start-up)
            if guidance is None or not self.nav.has_orbit:
                continue
            orbit = self.nav.orbit()
            try:
                async with asyncio.timeout(self.xc.plan_timeout_s):
                    plan = await asyncio.to_thread(guidance.plan, orbit)
            except (GuidanceError, TimeoutError) as exc:
                self._emit(Event(orbit.t_s, Severity.ERROR, "guidance.failed", f"re-plan failed: {exc}"))
                continue
            self._accept_plan(plan)

    def _plan_now(self, guidance: Guidance) -> None:
        orbit = self.nav.orbit()
        try:
            self._accept_plan(guidance.plan(orbit))
        except GuidanceError as exc:
            self._emit(Event(orbit.t_s, Severity.ERROR, "guidance.failed", f"re-plan failed: {exc}"))

    def _accept_plan(self, plan: CampaignPlan) -> None:
        self._new_plan = plan
        self.plans += 1
        nb = plan.next_burn
        self._emit(Event(plan.t_s, Severity.INFO, "guidance.plan",
                         f"{len(plan.burns)} burn(s) planned; next {'none' if nb is None else nb.name}",
                         {"burns": len(plan.burns), "miss_cross_m": plan.miss_cross_m,
                          "propellant_margin_kg": plan.propellant_margin_kg}))

    # ------------------------------------------------------------------------- the cycle

    async def _cycle(self, sample: ImuSample, arrived: float) -> None:
        t = sample.t_s
        self.cycle += 1
        self._hold = False
        thrusting = self.seq.state in THRUSTING_STATES
        intents: list[Any] = []
        if self._pending:
            intents += self._pending
            self._pending = []
        in_atmosphere = False
        if self.nav.has_orbit:
            r = self.nav.orbit().r_eci_m
            # against the equatorial radius: the entry limits start a little early at high latitude
            in_atmosphere = math.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]) < WGS84_A_M + \
                self.fdir.config.entry_alt_m
        actions = self.fdir.on_imu(sample, self._expected_interval_s, thrusting, in_atmosphere)
        if self._interval_next_s is not None:  # a rate commanded last cycle applies from the next sample
            self._expected_interval_s, self._interval_next_s = self._interval_next_s, None
        discard = any(a.fault == "imu.implausible" for a in actions)
        nav_ok = not discard
        valves_open = self.control.main_burn or self.control.trim
        # outputs the IMU lost (a dropout) while thrusting: the valves were open only for the last command's
        # cycle (the board executes each command for its own cycle; no sample, no command), so that cycle's
        # thrust is bridged with the last measured acceleration; the rest of the gap had none
        missing_s = 0.0 if self._last_sample_t is None else (t - self._last_sample_t) - sample.interval_s
        bridge_mps = 0.0
        if nav_ok:
            try:
                upd = self.nav.on_imu(sample, thrusting=valves_open)
            except ValueError:
                nav_ok = False
        if nav_ok and valves_open and missing_s > 0.5 * sample.interval_s and self._burn_accel_mps2 > 0.0:
            thrust_s = min(missing_s, self._last_period_s)
            bridge_mps = self._burn_accel_mps2 * thrust_s
            self.nav.bridge_gap(bridge_mps, missing_s)
            self.gaps_bridged += 1
            self.bridged_dv_mps += bridge_mps
            self._emit(Event(t, Severity.WARNING, "navigation.gap_bridged",
                             f"{missing_s:.3f} s of IMU output lost in a burn; {bridge_mps:.4f} m/s assumed",
                             {"missing_s": missing_s, "dv_mps": bridge_mps}))
        elif nav_ok and valves_open and missing_s <= 0.5 * sample.interval_s:
            self._burn_accel_mps2 = upd.dv_thrust_axis_mps / sample.interval_s
        if not valves_open:
            self._burn_accel_mps2 = 0.0
        if nav_ok:
            self._last_sample_t = t
        self.t_s = t if self.t_s is None else max(self.t_s, t)
        intents += self._fdir_actions(t, actions, apply=False)
        # thruster status, new reports only
        status = await self._latest_status()
        if status is not None and (self._status_seen_t_s is None or status.t_s > self._status_seen_t_s):
            self._status_seen_t_s = status.t_s
            needs_armed = self.seq.state in ARMED_STATES - {SeqState.ARMING}  # before the report acts
            intents += self.seq.thruster_status(t, status)
            board = self.fdir.on_thruster_status(t, status, needs_armed)
            intents += self._fdir_actions(t, board, apply=False)
            needed = self.plan.propellant_needed_kg if self.plan is not None else 0.0
            reserve = self.guidance.config.propellant_reserve_kg if self.guidance is not None else 0.0
            if self.seq.state not in THRUSTING_STATES:
                intents += self._fdir_actions(
                    t, self.fdir.on_propellant(t, status.propellant_kg, needed, reserve), apply=False)
        # the plan from guidance (an inline re-plan ran at the end of an earlier cycle)
        if self._new_plan is not None:
            self.plan, self._new_plan = self._new_plan, None
            intents += self._load_plan(t)
        if nav_ok and thrusting:
            span_s = sample.interval_s + (missing_s if bridge_mps > 0.0 else 0.0)
            intents += self.seq.delta_v(t, upd.dv_thrust_axis_mps + bridge_mps, span_s)
            if self.seq.state is SeqState.BURN and self.seq.plan is not None:
                accel = upd.dv_thrust_axis_mps / sample.interval_s
                checks = self.fdir.on_burn_accel(t, accel, self.seq.plan.accel_nominal_mps2)
                intents += self._fdir_actions(t, checks, apply=False)
        intents += self.seq.tick(t)
        await self._apply(intents)
        # attitude control; its error feeds the sequencer (which may ignite now: main-burn flag below)
        self.control.set_cycle(sample.interval_s)
        on: tuple[float, ...] = (0.0,) * THRUSTER_COUNT
        if nav_ok and self.nav.has_orbit:
            o = self.nav.orbit()
            out = self.control.step(self.nav.q_body_from_eci, self.nav.omega_body_rps, o.r_eci_m, o.v_eci_mps)
            self.attitude_error_rad = out.attitude_error_rad
            self.thrust_axis_error_rad = out.thrust_axis_error_rad
            if math.isfinite(out.attitude_error_rad):
                await self._apply(list(self.seq.attitude_error(t, out.attitude_error_rad)))
            if not self._hold:
                on = out.on_time_s
        if self.xc.auto_imu_rate:
            ov = self._rate_override
            if ov is not None and ov[1] is self.seq.state:
                self._rate_wanted = ov[0]
            else:
                self._rate_override = None
                armed = self.seq.state in ARMED_STATES
                t_ig = self.seq.plan.t_ignition_s if self.seq.plan is not None else None
                self._rate_wanted = imu_rate_hz(t, self.plan, self.config, armed=armed, next_ignition_s=t_ig)
        await self._command_imu_rate(t)
        main = self.control.main_burn
        if self.seq.state not in ARMED_STATES:
            # the board is (being) disarmed: nothing may be commanded open, whatever the control mode
            on, main = (0.0,) * THRUSTER_COUNT, False
        cmd = ThrusterCommand(self.cycle, on, main, self.cycle, t_s=t, period_s=sample.interval_s)
        self._last_period_s = sample.interval_s
        try:
            await bounded(self.thrusters.command(cmd), self.xc.port_timeout_s)
            self.commands_sent += 1
            self._cycle_sent = cmd.cycle
            if self.keep_command_log:
                self.command_log.append(cmd)
        except Exception as exc:  # a port's own errors; cancellation passes
            self._emit(Event(t, Severity.ERROR, "executive.command_failed",
                             f"thruster command not sent: {exc}"))
        self.deadline.record(time.perf_counter() - arrived)
        coast = self._expected_interval_s * self.config.imu_rate_coast_hz >= 1.0 - 1e-9
        cfg = self.config
        self._hk.period_s = cfg.housekeeping_coast_period_s if coast else cfg.housekeeping_period_s
        if self._hk.due(t):
            for tm in self._housekeeping(t):
                self.downlink.telemetry(tm)
        # An inline re-plan runs after this cycle's command is out, outside its latency (in lockstep the
        # next sample waits for it at the gate); its plan is loaded by the next cycle.
        if self.xc.plan_inline and self._replan.is_set() and self.guidance is not None and self.nav.has_orbit:
            self._replan.clear()
            self._plan_now(self.guidance)

    async def _command_imu_rate(self, t: float) -> None:
        """Send the IMU output rate this cycle decided, before its thruster command: in lockstep the board
        is then still held at the gate for this sample, so the new rate applies from the interval after
        the next sample whatever the host's timing, and the command's time tag is this sample's. The wait
        for the board's confirmation is bounded by ``rate_timeout_s``; on failure FDIR's RETRY sends it again
        at the first cycle ``rate_retry_s`` of spacecraft time later."""
        want = self._rate_wanted
        if want is None or want == self._rate_commanded:
            return
        if self._rate_retry_t_s is not None and t < self._rate_retry_t_s:
            return
        try:
            async with asyncio.timeout(self.xc.rate_timeout_s):
                await self.imu.set_output_rate(want)
        except Exception:  # the port's own errors (its timeout); cancellation passes
            self._rate_retry_t_s = t + self.xc.rate_retry_s
            self._fdir_actions(t, self.fdir.on_imu_rate_unconfirmed(t, want))
            return
        self._rate_commanded = want
        self._rate_retry_t_s = None
        # the sample after this one still covers an interval at the old rate; the new one is expected next
        self._interval_next_s = 1.0 / want
        self.rate_log.append((t, want))
        self.fdir.on_imu_rate_confirmed(t)

    async def _latest_status(self) -> ThrusterStatus | None:
        """The board's latest report, once it answers the last command sent (the board answers every
        command), waiting at most STATUS_WAIT_S of host time for the first report and as long again for the
        answer; None when there is no report yet.

        The report and the IMU sample come on different links: a cycle that took whichever report had been
        read when its sample came could, in lockstep, see the previous cycle's report on one transport and
        this one's on another. Waiting for the answer to the last command (it left the board before the
        sample that starts this cycle) makes every cycle see the same report on every transport."""
        try:
            status = await bounded(self.thrusters.status(), STATUS_WAIT_S)  # waits only for the first report
        except Exception as exc:
            if isinstance(exc, asyncio.CancelledError):
                raise
            return None
        want = self._cycle_sent
        if want is None or status.last_cycle >= want:
            return status
        # The answer is still on its way: let the link read what has arrived, until this deadline (the
        # outer bound, twice as long, only guards a port that would block; the deadline ends the wait).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STATUS_WAIT_S
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0 * STATUS_WAIT_S):
                while status.last_cycle < want and loop.time() < deadline:
                    await asyncio.sleep(0)
                    status = await self.thrusters.status()
        return status

    def _load_plan(self, t: float) -> list[Any]:
        plan = self.plan
        if plan is None or plan.next_burn is None:
            return []
        nb = plan.next_burn
        if self.seq.state not in (SeqState.IDLE, SeqState.PLANNED, SeqState.GO_RECEIVED):
            return []
        if self.seq.plan is not None and self.seq.plan == nb.to_burn_plan():
            return []
        try:
            return list(self.seq.load_plan(t, nb.to_burn_plan()))
        except (Rejected, ValueError) as exc:
            return [Emit(Event(t, Severity.WARNING, "guidance.plan_rejected", f"plan not loaded: {exc}"))]

    def _fdir_actions(self, t: float, actions: list[FdirAction], apply: bool = True) -> list[Any]:
        out: list[Any] = []
        for ev in self.fdir.take_events():
            self._emit(ev)
        for a in actions:
            if a.response is Response.SAFE and self.seq.state is not SeqState.SAFE:
                out += self.seq.fault(t, a.fault.replace(".", "_"), a.message)
            elif a.response is Response.REPLAN:
                self._replan.set()
            elif a.response is Response.HOLD and a.fault.startswith("imu."):
                self._hold = True  # an untrusted sample: no attitude pulses this cycle
            # HOLD for a lost ground link changes nothing on board: the plan and attitude control go on
        if apply and out:
            self._pending += out  # carried out at the next cycle, in order
        return out

    # ------------------------------------------------------------------------ intents

    async def _apply(self, intents: Sequence[CommandIntent | Any]) -> None:
        for it in intents:
            if isinstance(it, PersistPlan | PersistIgnition | PersistBurnResult | PersistCommand):
                if self.journal is not None:
                    self.journal.apply_intent(it)
                if isinstance(it, PersistBurnResult) and self.guidance is not None:
                    self.guidance.record_burn(it.result)
                    self._replan.set()
                if isinstance(it, PersistIgnition) and self.guidance is not None:
                    self.guidance.mark_done(it.burn_id)
            elif isinstance(it, Emit):
                self._emit(it.event)
            elif isinstance(it, SetImuRate):
                self._rate_wanted = it.rate_hz
            elif isinstance(it, PointAt):
                self.control.mode = ControlMode.BURN_ATTITUDE
            elif isinstance(it, HoldAttitude):
                self.control.mode = ControlMode.LVLH_HOLD
            elif isinstance(it, MainValves):
                self.control.main_burn = it.open
                if it.open:
                    self.nav.begin_burn()
                else:
                    self.fdir.end_burn()
            elif isinstance(it, TrimThrust):
                self.control.trim = it.open
            elif isinstance(it, CloseAllValves):
                self.control.main_burn = self.control.trim = False
                self.control.mode = ControlMode.OFF
            elif isinstance(it, ArmPrepare | ArmConfirm | Disarm):
                if isinstance(it, Disarm):
                    self.control.mode = ControlMode.OFF
                await self._arm_step(it)
            elif isinstance(it, ApplyStateVector):
                try:
                    self.nav.apply_state_vector(it.epoch_s, it.r_eci_m, it.v_eci_mps)
                    self._replan.set()
                except ValueError as exc:
                    self._emit(Event(self.t_s or 0.0, Severity.WARNING, "navigation.state_vector",
                                     f"state vector not applied: {exc}"))
            elif isinstance(it, ApplyAimPoint) and self.guidance is not None:
                self.guidance.set_aim(it.lat_deg, it.lon_deg)
                self._replan.set()

    async def _arm_step(self, it: ArmPrepare | ArmConfirm | Disarm) -> None:
        try:
            async with asyncio.timeout(self.xc.port_timeout_s):
                if isinstance(it, ArmPrepare):
                    await self.thrusters.arm_prepare(it.code)
                elif isinstance(it, ArmConfirm):
                    await self.thrusters.arm_confirm(it.code)
                else:
                    await self.thrusters.disarm()
        except Exception as exc:  # a port's own errors; cancellation passes
            self._emit(Event(self.t_s or 0.0, Severity.ERROR, "executive.arm_failed",
                             f"{type(it).__name__} not sent: {exc}"))

    def emit_event(self, event: Event) -> None:
        """Report an event from outside the flight logic (a driver's link or board event)."""
        self._emit(event)

    def _emit(self, event: Event) -> None:
        self.events += 1
        self.downlink.event(event)
        if self.on_event is not None:
            self.on_event(event)

    def _housekeeping(self, t: float) -> list[Telemetry]:
        budget = self.nav.error_budget(t)
        nav: dict[str, Scalar] = {"attitude_sigma_rad": budget.attitude_rad,
                                  "position_sigma_m": budget.position_m, "samples": self.nav.samples}
        q = self.nav.q_body_from_eci
        nav.update({f"q_body_from_eci_{c}": float(q[i]) for i, c in enumerate("wxyz")})
        if self.nav.has_orbit:
            o = self.nav.orbit()
            hp_m, ha_m = apsis_altitudes_m(o.r_eci_m, o.v_eci_mps)
            nav.update({"mass_kg": o.mass_kg, "r_m": float(np.linalg.norm(o.r_eci_m)),
                        "v_mps": float(np.linalg.norm(o.v_eci_mps)), "perigee_alt_m": hp_m,
                        "apogee_alt_m": ha_m})
            nav.update({f"r_eci_m_{a}": o.r_eci_m[i] for i, a in enumerate("xyz")})
            nav.update({f"v_eci_mps_{a}": o.v_eci_mps[i] for i, a in enumerate("xyz")})
            if self.guidance is not None:
                nav["propellant_kg"] = max(0.0, o.mass_kg - self.guidance.config.dry_mass_kg)
        mon = self.deadline  # the histogram's p99 estimate: no sort of the latency history every period
        exe: dict[str, Scalar] = {"cycles": mon.cycles, "deadline_misses": mon.misses,
                                  "attitude_error_rad": self.attitude_error_rad,
                                  "latency_p99_ms": 1e3 * mon.percentile_estimate_s(99),
                                  "commands": self.commands_sent,
                                  "control_mode": self.control.mode.value, **self.downlink.stats()}
        st = self.seq.telemetry()
        return [Telemetry(t, "executive", exe), Telemetry(t, "navigation", nav),
                Telemetry(t, "sequencer", dict(st.values))]
