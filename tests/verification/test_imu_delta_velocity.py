"""Verification: the IMU board's delta-velocity integrates to the plant's true velocity change within the
grade's errors.

Authority: the truth simulation (hil.plant), whose cumulative non-gravitational specific-force integral in
body axes is what a perfect strapdown accelerometer triad measures. A 20 s main burn (thirty 400 N Dracos,
about 0.53 m/s) and 6 s of coast run in lockstep through the IMU board, a loopback link and the IMU driver;
the sum of the decoded delta-velocities must match the plant's integral over the same interval, per axis,
within the navigation grade's error budget at 5 sigma: turn-on bias and bias instability times the
duration, scale factor and misalignment times the velocity change, velocity random walk over the duration,
and one quantisation step. The sum of the delta-angles is checked against the plant's body-rate integral
the same way with the gyro budget.
"""

from __future__ import annotations

import asyncio
import math

import numpy as np

from flight.ports import THRUSTER_COUNT, ThrusterCommand
from hil.boards.boardset import BoardSet
from hil.boards.imu_model import GRADES
from hil.clock import SimClock
from hil.drivers.imu import ImuDriver
from hil.drivers.thruster import ThrusterDriver
from hil.links import LoopbackHub, LoopbackLink
from hil.plant import Plant
from hil.scenario import load
from tests.support.aio import run

BURN_CYCLES = 200
TOTAL_CYCLES = 260
SIGMAS = 5.0


async def burn_and_measure(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    scenario = load("iss-deorbit")
    plant = Plant.from_scenario(scenario, seed)
    clock = SimClock("lockstep", plant.t_s, stall_timeout_s=10.0)
    hub = LoopbackHub()
    imu_host, imu_board = (LoopbackLink("imu", role, hub=hub) for role in ("host", "board"))
    thr_host, thr_board = (LoopbackLink("thruster", role, hub=hub) for role in ("host", "board"))
    theta0, vel0 = plant.imu_accumulators()
    t0 = plant.t_s
    dtheta = np.zeros(3)
    dv = np.zeros(3)
    async with imu_host, imu_board, thr_host, thr_board:
        boards = BoardSet.from_scenario(scenario, seed, imu_board, thr_board, clock, plant=plant,
                                        imu_grade=GRADES["navigation"])
        async with boards, ImuDriver(imu_host) as imu, ThrusterDriver(thr_host) as thr:
            await thr.arm_prepare(11)
            await thr.arm_confirm(11)
            stream = imu.samples()
            for n in range(1, TOTAL_CYCLES + 1):
                async with asyncio.timeout(10.0):
                    sample = await anext(stream)
                dtheta += sample.dtheta_body_rad
                dv += sample.dv_body_mps
                if n == TOTAL_CYCLES:
                    assert plant.t_s == sample.t_s  # the gate holds the plant at the last sample
                    theta1, vel1 = plant.imu_accumulators()
                    duration = sample.t_s - t0
                    break
                await thr.command(ThrusterCommand(n, (0.0,) * THRUSTER_COUNT, n <= BURN_CYCLES, n,
                                                  t_s=sample.t_s, period_s=sample.interval_s))
    return dtheta, theta1 - theta0, dv, vel1 - vel0, duration


def test_imu_delta_velocity_against_plant_truth_navigation_grade() -> None:
    """Per axis: |sum(dv) - truth| within the 5-sigma navigation-grade budget (about 4.6e-2 m/s for this
    26 s run, dominated by the 25 micro-g bias), and |sum(dtheta) - truth| within the gyro budget."""
    g = GRADES["navigation"]
    dtheta, theta_true, dv, dv_true, duration = run(burn_and_measure(5))
    assert np.linalg.norm(dv_true) > 0.5  # the burn happened: about 0.53 m/s
    sqrt2 = math.sqrt(2.0)
    accel_budget = SIGMAS * (
        (g.accel_bias_mps2 + g.accel_bias_instability_mps2) * duration
        + (g.accel_scale_factor + sqrt2 * g.misalignment_rad) * float(np.max(np.abs(dv_true)))
        + g.accel_vrw_mps_per_sqrt_s * math.sqrt(duration)
    ) + g.accel_lsb_mps
    gyro_budget = SIGMAS * (
        (g.gyro_bias_rps + g.gyro_bias_instability_rps) * duration
        + (g.gyro_scale_factor + sqrt2 * g.misalignment_rad) * float(np.max(np.abs(theta_true)))
        + g.gyro_arw_rad_per_sqrt_s * math.sqrt(duration)
    ) + g.gyro_lsb_rad
    assert accel_budget < 0.05
    assert np.all(np.abs(dv - dv_true) <= accel_budget), (dv - dv_true, accel_budget)
    assert np.all(np.abs(dtheta - theta_true) <= gyro_budget), (dtheta - theta_true, gyro_budget)
