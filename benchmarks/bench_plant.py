"""Speed of the truth simulation: simulated seconds per wall second in coast (0.1 Hz outputs), in a burn
(10 Hz control with pulsing attitude thrusters) and when stepped at an IMU sampling rate of 100 Hz; CPU per
simulated hour of coast; the cost of one lockstep cycle of the simulation clock."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterable

import numpy as np

from benchmarks.timing import best_time_s, figure
from hil import scenario
from hil.clock import SimClock
from hil.plant import Plant
from hil.protocol.catalogue import THRUSTER_COUNT


def _coast(p: Plant, span_s: float, pulse_every: int = 0) -> None:
    """Coast at the 0.1 Hz output rate; with pulse_every > 0, a 0.1 s attitude pulse every that many
    outputs (occasional valve activity)."""
    t0 = p.t_s
    until = np.full(THRUSTER_COUNT, -math.inf)
    for k in range(1, int(span_s / 10.0) + 1):
        p.advance_to(t0 + 10.0 * k)
        p.imu_accumulators()
        if pulse_every and k % pulse_every == 0:
            until[k % 16] = p.t_s + 0.1
            p.set_valves(p.t_s, until)


def _burn(p: Plant, span_s: float, on_s: np.ndarray) -> None:
    t0 = p.t_s
    until = np.full(THRUSTER_COUNT, -math.inf)
    for k in range(int(span_s / 0.1)):
        t_k = t0 + 0.1 * k
        p.advance_to(t_k)
        p.imu_accumulators()
        until[:16] = t_k + on_s[k % len(on_s)]
        until[16:] = math.inf
        p.set_valves(t_k, until)
    p.advance_to(t0 + span_s)


def _imu_rate(p: Plant, span_s: float) -> None:
    t0 = p.t_s
    for k in range(1, int(span_s / 0.01) + 1):
        p.advance_to(t0 + 0.01 * k)
        p.imu_accumulators()


def _lockstep(n: int) -> None:
    clock = SimClock("lockstep", t0_s=0.0, stall_timeout_s=1.0)

    async def go() -> None:
        for k in range(n):
            clock.open_cycle(0.1 * k)
            clock.command_held(0.1 * k)
            await clock.wait_until(0.1 * (k + 1))

    asyncio.run(go())


def run(quick: bool) -> Iterable[dict[str, object]]:
    s = scenario.load("iss-deorbit")
    repeat = 2 if quick else 5
    coast_s = 3600.0 if quick else 86400.0
    wall = best_time_s(lambda: _coast(Plant.from_scenario(s, 1), coast_s), repeat=repeat)
    yield figure("plant.coast_sim_s_per_wall_s", coast_s / wall, "x")
    p = Plant.from_scenario(s, 1)
    c0 = time.process_time()
    _coast(p, coast_s)
    yield figure("plant.coast_cpu_s_per_sim_hour", (time.process_time() - c0) / (coast_s / 3600.0), "s")
    p = Plant.from_scenario(s, 1)
    c0 = time.process_time()
    _coast(p, coast_s, pulse_every=6)
    yield figure("plant.coast_pulse_per_minute_cpu_s_per_sim_hour",
                 (time.process_time() - c0) / (coast_s / 3600.0), "s")
    burn_s = 60.0 if quick else 600.0
    on = np.random.default_rng(2).uniform(0.0, 0.1, size=(50, 16))
    on[on < 0.02] = 0.0
    wall = best_time_s(lambda: _burn(Plant.from_scenario(s, 1), burn_s, on), repeat=repeat)
    yield figure("plant.burn_10hz_sim_s_per_wall_s", burn_s / wall, "x")
    step_s = 20.0 if quick else 200.0
    wall = best_time_s(lambda: _imu_rate(Plant.from_scenario(s, 1), step_s), repeat=repeat)
    yield figure("plant.coast_100hz_steps_sim_s_per_wall_s", step_s / wall, "x")
    n = 2000 if quick else 20000
    yield figure("clock.lockstep_cycle_us", best_time_s(lambda: _lockstep(n), repeat=repeat) / n * 1e6, "us")
