"""FDIR: each fault with its defined response, reported once when it appears and once when it clears.

The last tests drive the responses through the executive (port doubles of tests/unit/test_executive.py)
and the real sequencer: SAFE closes every valve and disarms the board; HOLD fires nothing that cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import math

import numpy as np

from flight.fdir import Fdir, FdirConfig, Response
from flight.ports import ArmState, ImuFlags, ImuSample, ThrusterFaults, ThrusterStatus
from flight.sequencer import BurnPlan, SeqState
from tests.unit.test_executive import T0_S, FakeGround, FakeImu, FakeThrusters, make_exec, orbit_220km


def sample(t: float, dth: float = 0.0, dv: float = 0.0, dt: float = 0.1,
           flags: ImuFlags = ImuFlags.NONE) -> ImuSample:
    return ImuSample(t, (dth, 0.0, 0.0), (dv, 0.0, 0.0), dt, flags=flags)


def status(t: float, arm: ArmState = ArmState.ARMED, faults: ThrusterFaults = ThrusterFaults.NONE,
           prop: float = 16e3) -> ThrusterStatus:
    return ThrusterStatus(t, arm, 0, 0, 0, 2e6, prop, faults)


def test_good_samples_raise_nothing() -> None:
    f = Fdir()
    for k in range(1, 50):
        assert f.on_imu(sample(T0_S + 0.1 * k, dth=1e-4, dv=2.7e-3), 0.1, thrusting=True) == []
    assert not f.counts and not f.take_events()


def test_implausible_sample_is_held_then_safed_after_three_in_a_row() -> None:
    """A rate of 10 deg/s or a flagged sample: HOLD (do not use it); the third in a row: SAFE; one event
    on appearance and one on clearing."""
    f = Fdir()
    t = T0_S
    a1 = f.on_imu(sample(t + 0.1, dth=math.radians(1.0)), 0.1, False)
    a2 = f.on_imu(sample(t + 0.2, flags=ImuFlags.BIT_FAIL), 0.1, False)
    a3 = f.on_imu(sample(t + 0.3, dv=0.1), 0.1, False)
    assert [a[0].response for a in (a1, a2, a3)] == [Response.HOLD, Response.HOLD, Response.SAFE]
    assert f.counts["imu.implausible"] == 3
    assert f.on_imu(sample(t + 0.4), 0.1, False) == []
    names = [e.name for e in f.take_events()]
    assert names == ["fdir.imu.implausible", "fdir.imu.implausible.cleared"]


def test_entry_deceleration_is_plausible_only_in_the_atmosphere() -> None:
    """Two g of deceleration and a 5 deg/s turn: implausible in orbit (a sensor fault), plausible once
    navigation puts the stack in the atmosphere (drag and aerodynamic torque in entry); a flagged sample
    is implausible everywhere."""
    f = Fdir()
    t = T0_S
    in_orbit = f.on_imu(sample(t + 0.1, dv=2.0, dth=math.radians(0.5)), 0.1, False)
    assert [a.fault for a in in_orbit] == ["imu.implausible"]
    assert f.on_imu(sample(t + 0.2, dv=2.0, dth=math.radians(0.5)), 0.1, False, in_atmosphere=True) == []
    flagged = f.on_imu(sample(t + 0.3, flags=ImuFlags.BIT_FAIL), 0.1, False, in_atmosphere=True)
    assert [a.fault for a in flagged] == ["imu.implausible"]


def test_dropout_holds_in_coast_and_safes_a_burn_after_repeats() -> None:
    f = Fdir()
    f.on_imu(sample(T0_S + 0.1), 0.1, True)
    a = f.on_imu(sample(T0_S + 0.5), 0.1, True)  # three samples missing
    assert a[0].fault == "imu.dropout" and a[0].response is Response.HOLD
    f.on_imu(sample(T0_S + 0.9), 0.1, True)
    a = f.on_imu(sample(T0_S + 1.3), 0.1, True)
    assert a[0].response is Response.SAFE
    g = Fdir()
    g.on_imu(sample(T0_S + 0.1), 0.1, False)
    for k in range(2, 6):
        assert g.on_imu(sample(T0_S + 0.5 * k), 0.1, False)[0].response is Response.HOLD


def test_stale_imu_safes_only_while_thrusting() -> None:
    f = Fdir()
    assert f.on_imu_stale(T0_S, 5.0, thrusting=False)[0].response is Response.HOLD
    assert f.on_imu_stale(T0_S, 5.0, thrusting=True)[0].response is Response.SAFE


def test_underperformance_replans_then_aborts_when_severe() -> None:
    """Measured acceleration at 70 % of expected for 10 s: REPLAN; at 20 %: SAFE; at 95 %: nothing."""
    cfg = FdirConfig()
    f = Fdir(cfg)
    exp = 0.0267
    assert f.on_burn_accel(T0_S, 0.95 * exp, exp) == []
    assert f.on_burn_accel(T0_S + 1.0, 0.7 * exp, exp) == []  # not yet persistent
    a = f.on_burn_accel(T0_S + 1.0 + cfg.underperf_time_s, 0.7 * exp, exp)
    assert a[0].response is Response.REPLAN
    f.end_burn()
    f.on_burn_accel(T0_S + 100.0, 0.2 * exp, exp)
    a = f.on_burn_accel(T0_S + 100.0 + cfg.underperf_time_s, 0.2 * exp, exp)
    assert a[0].response is Response.SAFE
    assert f.on_burn_accel(T0_S, math.nan, exp) == []


def test_board_reset_or_unexpected_disarm_safes_and_replans() -> None:
    f = Fdir()
    reset = status(T0_S, ArmState.DISARMED, ThrusterFaults.BOARD_RESET)
    a = f.on_thruster_status(T0_S, reset, needs_armed=False)
    assert [x.response for x in a] == [Response.SAFE, Response.REPLAN]
    # the same report again is not new: no second response
    assert f.on_thruster_status(T0_S + 1, reset, False) == []
    a = f.on_thruster_status(T0_S + 2, status(T0_S + 2, ArmState.DISARMED), needs_armed=True)
    assert a[0].response is Response.SAFE
    assert f.on_thruster_status(T0_S + 3, status(T0_S + 3, ArmState.DISARMED), needs_armed=False) == []
    a = f.on_thruster_status(T0_S + 4, status(T0_S + 4, faults=ThrusterFaults.VALVE_STUCK_OPEN), True)
    assert a[0].fault == "thruster.valve_stuck" and a[0].response is Response.SAFE


def test_propellant_low_replans_then_safes() -> None:
    f = Fdir()
    assert f.on_propellant(T0_S, 10_000.0, needed_kg=6_000.0, reserve_kg=300.0) == []
    assert f.on_propellant(T0_S, 6_100.0, 6_000.0, 300.0)[0].response is Response.REPLAN
    assert f.on_propellant(T0_S, 100.0, 6_000.0, 300.0)[0].response is Response.SAFE


def test_ground_loss_holds_after_the_silence_bound_and_clears_on_contact() -> None:
    cfg = FdirConfig(ground_silence_s=3600.0)
    f = Fdir(cfg)
    assert f.check_ground(T0_S) == []
    assert f.check_ground(T0_S + 3000.0) == []
    assert f.check_ground(T0_S + 3700.0)[0].response is Response.HOLD
    f.on_ground_contact(T0_S + 3800.0)
    assert "link.ground_loss" not in f.active
    assert f.check_ground(T0_S + 3900.0) == []


def test_safe_response_through_the_executive_closes_valves_and_disarms() -> None:
    """Armed and slewing, the IMU sends three implausible samples: the sequencer goes to SAFE, the board is
    disarmed and the commands that answer those samples open no valve."""

    async def main() -> tuple[FakeThrusters, SeqState, list[bool]]:
        imu, thr, gnd = FakeImu(), FakeThrusters(), FakeGround()
        ex = make_exec(imu, thr, gnd, with_orbit=True)
        _, v = orbit_220km()
        t_ig = T0_S + ex.config.arm_lead_s + 5.0
        ex.seq.load_plan(T0_S, BurnPlan(1, "PLB-1", t_ig, 5.0, 0.027, tuple(-v / np.linalg.norm(v))))
        ex.seq.go(T0_S, 1)
        run = asyncio.create_task(ex.run())
        k = 0
        while ex.seq.state not in (SeqState.SLEW, SeqState.SETTLE) and k < 200:
            k += 1
            imu.push(sample(T0_S + 0.1 * k))
            await asyncio.sleep(0.005)
        n0 = len(thr.commands)
        for j in range(1, 4):
            imu.push(sample(T0_S + 0.1 * (k + j), dth=0.01))
        for j in range(4, 8):
            imu.push(sample(T0_S + 0.1 * (k + j)))
        for _ in range(2000):  # bounded: at most 10 s
            if len(thr.commands) >= n0 + 7:
                break
            await asyncio.sleep(0.005)
        state = ex.seq.state
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run
        return thr, state, [c.opens_any_valve for c in thr.commands[n0:n0 + 3]]

    thr, state, opened = asyncio.run(main())
    assert state is SeqState.SAFE
    assert "disarm" in thr.arm_steps
    assert opened == [False, False, False]
