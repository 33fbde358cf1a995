"""The executive's task structure: one command per IMU sample, bounded waits, shutdown, deadline statistics.

These tests run the executive against small in-memory test doubles of the three ports (below), so each
behaviour of the task group can be driven exactly: a sample stream that is silent, a board port that
hangs, a cancellation at a chosen moment. The doubles implement the port protocols honestly (two-step
arming, a status report per command, verified telecommands in order); the end-to-end tests in
tests/integration/test_flight_loopback.py run the same executive against the real emulated boards.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator

import numpy as np
import pytest

from firmware_bindings.orbit import state_from_elements
from flight.config import FlightConfig
from flight.control import retrograde_target
from flight.executive import DeadlineMonitor, Executive, ExecutiveConfig
from flight.navigation import Navigator
from flight.ports import (
    AckReason,
    ArmState,
    BurnRef,
    Event,
    GroundPort,
    ImuPort,
    ImuRateArgs,
    ImuSample,
    NoArgs,
    Telecommand,
    TelecommandAck,
    TelecommandKind,
    Telemetry,
    ThrusterCommand,
    ThrusterPort,
    ThrusterStatus,
)
from flight.sequencer import BurnPlan, SeqState

T0_S = 959_774_400.0  # 2030-06-01T00:00:00Z in seconds since J2000


class QueueStream:
    """An async iterator over a queue; ``None`` ends it."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[object] = asyncio.Queue()

    def __aiter__(self) -> QueueStream:
        return self

    async def __anext__(self) -> object:
        item = await self.queue.get()
        if item is None:
            raise StopAsyncIteration
        return item


class FakeImu:
    """ImuPort double: samples pushed by the test; rate commands recorded."""

    def __init__(self) -> None:
        self.stream = QueueStream()
        self.rates: list[float] = []

    def samples(self) -> AsyncIterator[ImuSample]:
        return self.stream  # type: ignore[return-value]

    async def set_output_rate(self, rate_hz: float) -> None:
        self.rates.append(rate_hz)

    def push(self, sample: ImuSample | None) -> None:
        self.stream.queue.put_nowait(sample)


class FakeThrusters:
    """ThrusterPort double: two-step arming with the right code, a status report per command."""

    def __init__(self, code: int = FlightConfig().arm_code, hang: bool = False) -> None:
        self.code = code
        self.hang = hang
        self.commands: list[ThrusterCommand] = []
        self.arm_steps: list[str] = []
        self.arm_state = ArmState.DISARMED
        self.t_s = T0_S

    async def arm_prepare(self, code: int) -> None:
        self.arm_steps.append("prepare")
        if code == self.code:
            self.arm_state = ArmState.PREPARED

    async def arm_confirm(self, code: int) -> None:
        self.arm_steps.append("confirm")
        if code == self.code and self.arm_state is ArmState.PREPARED:
            self.arm_state = ArmState.ARMED

    async def disarm(self) -> None:
        self.arm_steps.append("disarm")
        self.arm_state = ArmState.DISARMED

    async def command(self, cmd: ThrusterCommand) -> None:
        if self.hang:
            await asyncio.Event().wait()
        self.commands.append(cmd)
        if cmd.t_s is not None:
            self.t_s = cmd.t_s

    async def status(self) -> ThrusterStatus:
        n = len(self.commands)
        return ThrusterStatus(self.t_s, self.arm_state, 0, n, n, 2.0e6, 16e3)


class FakeGround:
    def __init__(self) -> None:
        self.stream = QueueStream()
        self.acks: list[TelecommandAck] = []
        self.telemetry: list[Telemetry] = []
        self.events: list[Event] = []

    def telecommands(self) -> AsyncIterator[Telecommand]:
        return self.stream  # type: ignore[return-value]

    async def acknowledge(self, ack: TelecommandAck) -> None:
        self.acks.append(ack)

    async def send_telemetry(self, tm: Telemetry) -> None:
        self.telemetry.append(tm)

    async def send_event(self, event: Event) -> None:
        self.events.append(event)


def still_sample(t_s: float, interval_s: float = 0.1) -> ImuSample:
    return ImuSample(t_s, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), interval_s)


def orbit_220km() -> tuple[np.ndarray, np.ndarray]:
    return state_from_elements((6378137.0 + 220e3, 0.0005, math.radians(51.64), 1.0, 2.0, 0.0))


def make_exec(imu: FakeImu, thr: FakeThrusters, gnd: FakeGround, *, with_orbit: bool = False,
              xc: ExecutiveConfig | None = None, config: FlightConfig | None = None) -> Executive:
    r, v = orbit_220km()
    q, _ = retrograde_target(r, v)
    nav = Navigator(q)
    if with_orbit:
        nav.apply_state_vector(T0_S, tuple(r), tuple(v), 450e3)
    return Executive(imu, thr, gnd, navigator=nav, config=config,
                     exec_config=xc or ExecutiveConfig(imu_timeout_s=0.2, port_timeout_s=0.2))


def test_ports_doubles_satisfy_the_protocols() -> None:
    assert isinstance(FakeImu(), ImuPort)
    assert isinstance(FakeThrusters(), ThrusterPort)
    assert isinstance(FakeGround(), GroundPort)


def test_every_sample_is_answered_by_exactly_one_command_tagged_with_its_time() -> None:
    """50 samples at 10 Hz give 50 commands, in order, each tagged with its sample's time and interval;
    with the board disarmed nothing fires (zero on-times, main-burn off)."""
    imu, thr, gnd = FakeImu(), FakeThrusters(), FakeGround()
    ex = make_exec(imu, thr, gnd, with_orbit=True)
    times = [T0_S + 0.1 * (k + 1) for k in range(50)]
    for t in times:
        imu.push(still_sample(t))

    report = asyncio.run(ex.run(until_s=times[-1]))
    assert report.reason == "until_s reached"
    assert [c.t_s for c in thr.commands] == times
    assert all(c.period_s == pytest.approx(0.1) for c in thr.commands)
    assert [c.cycle for c in thr.commands] == list(range(1, 51))
    assert not any(c.opens_any_valve for c in thr.commands)
    assert report.control["cycles"] == 50 and report.commands_sent == 50


def test_end_of_imu_stream_ends_the_run() -> None:
    imu, thr, gnd = FakeImu(), FakeThrusters(), FakeGround()
    ex = make_exec(imu, thr, gnd)
    imu.push(still_sample(T0_S + 0.1))
    imu.push(None)
    report = asyncio.run(asyncio.wait_for(ex.run(), 10.0))
    assert report.reason == "IMU stream ended"
    assert len(thr.commands) == 1


def test_stop_request_ends_every_task() -> None:
    """Setting ``stop`` ends the run within the health period; no task of the executive is left."""

    async def main() -> tuple[str, set[str]]:
        imu, thr, gnd = FakeImu(), FakeThrusters(), FakeGround()
        ex = make_exec(imu, thr, gnd)
        stop = asyncio.Event()
        run = asyncio.create_task(ex.run(stop))
        await asyncio.sleep(0.05)
        names = {t.get_name() for t in asyncio.all_tasks()}
        stop.set()
        report = await asyncio.wait_for(run, 5.0)
        left = {t.get_name() for t in asyncio.all_tasks() if t is not asyncio.current_task()}
        assert {"control-cycle", "ground-link", "telemetry", "health", "thruster-status"} <= names
        return report.reason, left

    reason, left = asyncio.run(main())
    assert reason == "stop requested"
    assert left == set()


def test_silent_imu_is_reported_stale_and_nothing_blocks() -> None:
    """No sample at all: every wait is bounded, FDIR hears imu.stale repeatedly, and stop still works."""

    async def main() -> Executive:
        imu, thr, gnd = FakeImu(), FakeThrusters(), FakeGround()
        ex = make_exec(imu, thr, gnd, xc=ExecutiveConfig(imu_timeout_s=0.05, port_timeout_s=0.05))
        stop = asyncio.Event()
        run = asyncio.create_task(ex.run(stop))
        await asyncio.sleep(0.4)
        stop.set()
        await asyncio.wait_for(run, 5.0)
        return ex

    ex = asyncio.run(main())
    assert ex.fdir.counts["imu.stale"] >= 3
    assert "imu.stale" in ex.fdir.active


def test_a_hanging_thruster_port_costs_a_bounded_wait_and_an_event() -> None:
    """The board port never returns: each command gives up after ``port_timeout_s`` and is reported."""
    imu, thr, gnd = FakeImu(), FakeThrusters(hang=True), FakeGround()
    ex = make_exec(imu, thr, gnd, xc=ExecutiveConfig(imu_timeout_s=0.2, port_timeout_s=0.05))
    for k in range(3):
        imu.push(still_sample(T0_S + 0.1 * (k + 1)))
    seen: list[Event] = []
    ex.on_event = seen.append
    report = asyncio.run(asyncio.wait_for(ex.run(until_s=T0_S + 0.3), 10.0))
    assert report.commands_sent == 0
    assert report.control["cycles"] == 3
    assert [e.name for e in seen].count("executive.command_failed") == 3
    assert report.control["latency_ms"]["max"] >= 50.0  # each cycle waited out the 50 ms bound


def test_ground_commands_are_acknowledged_once() -> None:
    """A NOOP is accepted; the same command id again is a duplicate; both are acknowledged."""

    async def main() -> FakeGround:
        imu, thr, gnd = FakeImu(), FakeThrusters(), FakeGround()
        ex = make_exec(imu, thr, gnd)
        gnd.stream.queue.put_nowait(Telecommand(7, TelecommandKind.NOOP, NoArgs()))
        gnd.stream.queue.put_nowait(Telecommand(7, TelecommandKind.NOOP, NoArgs()))
        stop = asyncio.Event()
        run = asyncio.create_task(ex.run(stop))
        for _ in range(100):
            if len(gnd.acks) == 2:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(run, 5.0)
        return gnd

    gnd = asyncio.run(main())
    assert [a.reason for a in gnd.acks] == [AckReason.ACCEPTED, AckReason.DUPLICATE]


def test_cancellation_propagates_after_valves_closed_and_board_disarmed() -> None:
    """Armed for a burn (plan, GO, arming), the run is cancelled: ``run`` raises CancelledError, and on
    the way out a zero command and a disarm reach the board."""

    async def main() -> FakeThrusters:
        imu, thr, gnd = FakeImu(), FakeThrusters(), FakeGround()
        ex = make_exec(imu, thr, gnd, with_orbit=True)
        cfg = ex.config
        _, v = orbit_220km()
        t_ig = T0_S + cfg.arm_lead_s + 5.0
        ex.seq.load_plan(T0_S, BurnPlan(1, "PLB-1", t_ig, 5.0, 0.027, tuple(-v / np.linalg.norm(v))))
        gnd.stream.queue.put_nowait(Telecommand(1, TelecommandKind.GO, BurnRef(1)))
        run = asyncio.create_task(ex.run())
        k = 0
        while ex.seq.state not in (SeqState.SLEW, SeqState.SETTLE) and k < 200:
            k += 1
            imu.push(still_sample(T0_S + 0.1 * k))
            await asyncio.sleep(0.01)
        assert thr.arm_state is ArmState.ARMED
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        return thr

    thr = asyncio.run(main())
    assert thr.arm_steps[:2] == ["prepare", "confirm"]
    assert thr.arm_steps[-1] == "disarm"
    assert thr.arm_state is ArmState.DISARMED
    assert not thr.commands[-1].opens_any_valve


def test_deadline_monitor_history_is_bounded_and_estimates_follow_the_histogram() -> None:
    """The ring keeps only the latest ``history`` latencies (exact percentiles over them), while the
    histogram estimate covers every cycle since the start within its 6 % bin width: 1000 cycles at 1 ms
    then 1000 at 10 ms with a history of 100 give an exact p50 of 10 ms over the window and an estimated
    p25 near 1 ms and p75 near 10 ms over the whole run."""
    mon = DeadlineMonitor(deadline_s=0.1, history=100)
    for _ in range(1000):
        mon.record(0.001)
    for _ in range(1000):
        mon.record(0.010)
    assert mon.cycles == 2000 and mon.misses == 0
    assert mon.percentile_s(50) == pytest.approx(0.010)
    assert mon.percentile_estimate_s(25) == pytest.approx(0.001, rel=0.06)
    assert mon.percentile_estimate_s(75) == pytest.approx(0.010, rel=0.06)
    assert mon.summary(exact=False)["latency_ms"]["p99"] == pytest.approx(10.0, rel=0.06)
    assert len(mon._ring) == 100


def test_deadline_monitor_statistics() -> None:
    """p50, p99 and max of known latencies (numpy's linear percentiles) and misses against the deadline."""
    mon = DeadlineMonitor(deadline_s=0.010)
    lat = [0.001 * k for k in range(1, 101)]  # 1..100 ms
    for x in lat:
        mon.record(x)
    s = mon.summary()
    assert s["cycles"] == 100
    assert s["deadline_misses"] == 90  # 11..100 ms exceed 10 ms
    assert s["latency_ms"]["max"] == pytest.approx(100.0)
    assert s["latency_ms"]["p50"] == pytest.approx(float(np.percentile(lat, 50)) * 1e3)
    assert s["latency_ms"]["p99"] == pytest.approx(float(np.percentile(lat, 99)) * 1e3)


def test_deadline_misses_counted_in_a_run() -> None:
    """With a deadline far below any achievable latency every cycle is a miss; with a generous one none."""
    for deadline, expect_all in ((1e-9, True), (10.0, False)):
        imu, thr, gnd = FakeImu(), FakeThrusters(), FakeGround()
        ex = make_exec(imu, thr, gnd, with_orbit=True,
                       xc=ExecutiveConfig(imu_timeout_s=0.2, port_timeout_s=0.2, deadline_s=deadline))
        for k in range(20):
            imu.push(still_sample(T0_S + 0.1 * (k + 1)))
        rep = asyncio.run(ex.run(until_s=T0_S + 2.0))
        assert rep.control["cycles"] == 20
        assert rep.control["deadline_misses"] == (20 if expect_all else 0)
        assert 0.0 < rep.control["latency_ms"]["p50"] <= rep.control["latency_ms"]["max"]


def test_imu_silent_during_a_burn_safes_without_waiting_for_a_sample() -> None:
    """In the burn (main valves commanded open), the IMU falls silent: after the bounded wait FDIR hears
    imu.stale, the sequencer goes to SAFE, and a closing command and a disarm reach the board although no
    sample comes to be answered."""

    async def main() -> tuple[FakeThrusters, Executive, bool]:
        imu, thr, gnd = FakeImu(), FakeThrusters(), FakeGround()
        cfg = FlightConfig(arm_lead_s=2.0, settle_time_s=1.0)
        ex = make_exec(imu, thr, gnd, with_orbit=True, config=cfg,
                       xc=ExecutiveConfig(imu_timeout_s=0.1, port_timeout_s=0.2, auto_imu_rate=False))
        r, v = orbit_220km()
        _, w = retrograde_target(r, v)
        dth = (float(w[0]) * 0.1, float(w[1]) * 0.1, float(w[2]) * 0.1)
        ex.seq.load_plan(T0_S, BurnPlan(1, "PLB-1", T0_S + 3.0, 5.0, 0.027, tuple(-v / np.linalg.norm(v))))
        ex.seq.go(T0_S, 1)
        run = asyncio.create_task(ex.run())
        k = 0
        while ex.seq.state is not SeqState.BURN and k < 300:
            k += 1
            dv = 0.0027 if ex.control.main_burn else 0.0
            imu.push(ImuSample(T0_S + 0.1 * k, dth, (dv, 0.0, 0.0), 0.1))
            await asyncio.sleep(0.005)
        was_open = thr.commands[-1].main_burn
        for _ in range(200):  # silence; bounded
            await asyncio.sleep(0.01)
            if ex.seq.state is SeqState.SAFE and "disarm" in thr.arm_steps:
                break
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run
        return thr, ex, was_open

    thr, ex, was_open = asyncio.run(main())
    assert was_open
    assert ex.fdir.counts["imu.stale"] >= 1
    assert ex.seq.state is SeqState.SAFE
    closing = [c for c in thr.commands if not c.main_burn]
    assert closing and closing[-1].cycle > max(c.cycle for c in thr.commands if c.main_burn)
    assert "disarm" in thr.arm_steps


def test_ground_imu_rate_holds_until_the_sequencer_changes_state() -> None:
    """A ground SET_IMU_RATE of 1 Hz overrides the phase's rate (coast, 0.1 Hz) while the sequencer stays
    in its state (IDLE): the IMU port is commanded 1 Hz and never taken back to the coast rate."""

    async def main() -> tuple[FakeImu, Executive]:
        imu, thr, gnd = FakeImu(), FakeThrusters(), FakeGround()
        ex = make_exec(imu, thr, gnd, with_orbit=True,
                       xc=ExecutiveConfig(imu_timeout_s=0.2, port_timeout_s=0.2, health_period_s=0.01))
        stop = asyncio.Event()
        run = asyncio.create_task(ex.run(stop))
        imu.push(still_sample(T0_S + 10.0, 10.0))
        gnd.stream.queue.put_nowait(Telecommand(9, TelecommandKind.SET_IMU_RATE, ImuRateArgs(1.0)))
        for k in range(2, 50):
            await asyncio.sleep(0.02)
            imu.push(still_sample(T0_S + 10.0 * k, 10.0))
            if imu.rates and imu.rates[-1] == 1.0:
                break
        await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(run, 5.0)
        return imu, ex

    imu, ex = asyncio.run(main())
    first = imu.rates.index(1.0)
    assert all(r == 1.0 for r in imu.rates[first:])  # the phase's coast rate did not take it back
    assert ex._rate_wanted == 1.0 and ex.seq.state is SeqState.IDLE


def test_unconfirmed_imu_rate_is_retried_until_the_board_confirms() -> None:
    """The IMU port fails the first two rate commands (as the driver does when the board does not echo
    them): FDIR reports imu.rate_unconfirmed with RETRY, the control cycle sends it again at the next
    cycle at least rate_retry_s (1 s) of spacecraft time later (here every 10 s coast sample), and once
    confirmed the fault clears and the change is logged with the time of the sample that carried it."""

    class FlakyImu(FakeImu):
        def __init__(self) -> None:
            super().__init__()
            self.fail = 2

        async def set_output_rate(self, rate_hz: float) -> None:
            await super().set_output_rate(rate_hz)
            if self.fail:
                self.fail -= 1
                raise TimeoutError("board did not confirm")

    async def main() -> tuple[FlakyImu, FakeThrusters, Executive]:
        imu, thr, gnd = FlakyImu(), FakeThrusters(), FakeGround()
        ex = make_exec(imu, thr, gnd, with_orbit=True,
                       xc=ExecutiveConfig(imu_timeout_s=0.2, port_timeout_s=0.2, health_period_s=0.01))
        stop = asyncio.Event()
        run = asyncio.create_task(ex.run(stop))
        for k in range(1, 6):
            imu.push(still_sample(T0_S + 10.0 * k, 10.0))
            for _ in range(100):
                await asyncio.sleep(0.005)
                if len(thr.commands) >= k:
                    break
        stop.set()
        await asyncio.wait_for(run, 5.0)
        return imu, thr, ex

    imu, thr, ex = asyncio.run(main())
    coast = ex.config.imu_rate_coast_hz
    assert imu.rates == [coast] * 3
    assert ex.fdir.counts["imu.rate_unconfirmed"] == 2
    assert "imu.rate_unconfirmed" not in ex.fdir.active
    assert ex.rate_log == [(T0_S + 30.0, coast)]
    assert [c.t_s for c in thr.commands] == [T0_S + 10.0 * k for k in range(1, 6)]  # every sample answered


def test_imu_rate_change_goes_out_before_the_thruster_command_of_its_cycle() -> None:
    """Determinism in lockstep: a rate change is sent by the control cycle of the sample that decided it
    (a ground SET_IMU_RATE applied at the next sample), before that cycle's thruster command, so the board,
    still held at the lockstep gate, applies it from a defined sample whatever the host's timing; the
    port call and the command are seen in that order, and the log names the sample."""
    order: list[tuple[str, float | None]] = []

    class OrderImu(FakeImu):
        async def set_output_rate(self, rate_hz: float) -> None:
            await super().set_output_rate(rate_hz)
            order.append(("rate", rate_hz))

    class OrderThrusters(FakeThrusters):
        async def command(self, cmd: ThrusterCommand) -> None:
            await super().command(cmd)
            order.append(("command", cmd.t_s))

    async def main() -> Executive:
        imu, thr, gnd = OrderImu(), OrderThrusters(), FakeGround()
        ex = make_exec(imu, thr, gnd, with_orbit=True,
                       xc=ExecutiveConfig(imu_timeout_s=0.2, port_timeout_s=0.2, health_period_s=0.01))
        stop = asyncio.Event()
        run = asyncio.create_task(ex.run(stop))
        imu.push(still_sample(T0_S + 10.0, 10.0))
        for _ in range(100):
            await asyncio.sleep(0.005)
            if thr.commands:
                break
        gnd.stream.queue.put_nowait(Telecommand(9, TelecommandKind.SET_IMU_RATE, ImuRateArgs(1.0)))
        for _ in range(100):
            await asyncio.sleep(0.005)
            if gnd.acks:
                break
        imu.push(still_sample(T0_S + 20.0, 10.0))
        for _ in range(100):
            await asyncio.sleep(0.005)
            if len(thr.commands) >= 2:
                break
        stop.set()
        await asyncio.wait_for(run, 5.0)
        return ex

    ex = asyncio.run(main())
    coast = ex.config.imu_rate_coast_hz
    assert order[:4] == [("rate", coast), ("command", T0_S + 10.0), ("rate", 1.0), ("command", T0_S + 20.0)]
    assert ex.rate_log == [(T0_S + 10.0, coast), (T0_S + 20.0, 1.0)]
