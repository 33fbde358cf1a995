"""IMU faults injected on command (the test-only IMU_FAULT_INJECT packet, sent by the driver) as the flight
software sees them, in lockstep over loopback links."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import numpy as np
import pytest

from flight.ports import THRUSTER_COUNT, ImuFlags, ImuSample, ThrusterCommand
from hil.boards.boardset import BoardSet
from hil.clock import SimClock
from hil.drivers.imu import ImuDriver
from hil.drivers.thruster import ThrusterDriver
from hil.links import LoopbackHub, LoopbackLink
from hil.plant import Plant
from hil.scenario import load
from tests.support.aio import run

Inject = Callable[[ImuDriver, int], Awaitable[None]]
FAULT_AT = 10  # the fault is injected while the gate holds sample 10


async def fly(inject: Inject, cycles: int = 30) -> tuple[list[ImuSample], ImuDriver, BoardSet]:
    scenario = load("iss-deorbit")
    plant = Plant.from_scenario(scenario, 4)
    clock = SimClock("lockstep", plant.t_s, stall_timeout_s=5.0)
    hub = LoopbackHub()
    imu_host, imu_board = (LoopbackLink("imu", role, hub=hub) for role in ("host", "board"))
    thr_host, thr_board = (LoopbackLink("thruster", role, hub=hub) for role in ("host", "board"))
    samples: list[ImuSample] = []
    async with imu_host, imu_board, thr_host, thr_board:
        boards = BoardSet.from_scenario(scenario, 4, imu_board, thr_board, clock, plant=plant)
        async with boards, ImuDriver(imu_host) as imu, ThrusterDriver(thr_host) as thr:
            stream = imu.samples()
            while len(samples) < cycles:
                async with asyncio.timeout(10.0):
                    s = await anext(stream)
                samples.append(s)
                await inject(imu, len(samples))
                await asyncio.sleep(0)  # let the board take the fault packet before the gate opens
                await thr.command(ThrusterCommand(len(samples), (0.0,) * THRUSTER_COUNT, False, len(samples),
                                                  t_s=s.t_s, period_s=s.interval_s))
    return samples, imu, boards


def at(n: int, kind: str, **kw: float | str) -> Inject:
    async def inject(imu: ImuDriver, k: int) -> None:
        if k == n:
            await imu.inject_fault(kind, **kw)  # type: ignore[arg-type]

    return inject


def test_dropout_is_a_gap_the_flight_software_sees() -> None:
    """DROPOUT for 0.45 s: the four outputs in it never arrive; the driver reports a gap of four and the
    next time tag is 0.5 s after the last one before it."""
    samples, imu, boards = run(fly(at(FAULT_AT, "DROPOUT", duration_s=0.45)))
    dt = np.diff([s.t_s for s in samples])
    assert dt.max() == pytest.approx(0.5, abs=1e-3)
    assert imu.missing_outputs == 4 and any(e.name == "imu.gap" for e in imu.events)
    assert boards.clock.stall_count == 0


def test_stuck_output_repeats_the_last_sample() -> None:
    """STUCK for 0.35 s: the next three samples repeat the deltas of the sample before the fault exactly."""
    samples, _imu, _ = run(fly(at(FAULT_AT, "STUCK", duration_s=0.35)))
    ref = samples[FAULT_AT - 1]
    stuck = samples[FAULT_AT : FAULT_AT + 3]
    assert all(s.dtheta_body_rad == ref.dtheta_body_rad and s.dv_body_mps == ref.dv_body_mps for s in stuck)
    assert samples[FAULT_AT + 4].dtheta_body_rad != ref.dtheta_body_rad


def test_bias_jump_shifts_one_axis() -> None:
    """BIAS_JUMP of 1e-3 rad/s on GYRO_Z: each 0.1 s delta-angle on z grows by 1e-4 rad (within 1e-6 rad,
    the navigation grade's noise over 0.1 s being far smaller); x is unchanged."""
    base, _imu, _ = run(fly(lambda imu, k: asyncio.sleep(0)))
    jumped, _imu, _ = run(fly(at(FAULT_AT, "BIAS_JUMP", axis="GYRO_Z", magnitude=1e-3)))
    for b, j in zip(base[FAULT_AT + 1 :], jumped[FAULT_AT + 1 :], strict=True):
        assert j.dtheta_body_rad[2] - b.dtheta_body_rad[2] == pytest.approx(1e-4, abs=1e-6)
        assert j.dtheta_body_rad[0] == pytest.approx(b.dtheta_body_rad[0], abs=1e-9)


def test_noise_burst_raises_the_noise_for_its_duration() -> None:
    """NOISE_BURST of 0.01 m/s per output on every axis for 0.95 s: the delta-velocity spread of the nine
    outputs in it is of that size (0.003..0.03 m/s), a hundred times the quiet spread, quiet again after."""
    samples, _imu, _ = run(fly(at(FAULT_AT, "NOISE_BURST", axis="ALL", magnitude=0.01, duration_s=0.95)))
    dv = np.array([s.dv_body_mps for s in samples])
    during = dv[FAULT_AT : FAULT_AT + 9].std()
    after = dv[FAULT_AT + 9 :].std()
    assert 0.003 < during < 0.03
    assert after < 1e-4


def test_time_tag_jump_is_flagged_and_steps_the_tags() -> None:
    """TIME_TAG_JUMP of 5 s: the next sample is flagged TIME_TAG_JUMP and its tag is 5.1 s on; the gate
    is not held for the stepped samples (no stall)."""
    samples, _imu, boards = run(fly(at(FAULT_AT, "TIME_TAG_JUMP", magnitude=5.0), cycles=15))
    jump = samples[FAULT_AT]
    assert jump.flags & ImuFlags.TIME_TAG_JUMP
    assert jump.t_s - samples[FAULT_AT - 1].t_s == pytest.approx(5.1, abs=1e-3)
    assert not samples[FAULT_AT + 1].flags & ImuFlags.TIME_TAG_JUMP
    assert boards.clock.stall_count == 0
