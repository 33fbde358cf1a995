"""Throughput of the emulated boards and drivers: IMU packets generated (error model and encoding) and
decoded (catalogue decode and the driver's checks) per second, and lockstep control cycles per second
over in-process loopback links (both boards, the plant, the drivers and a flight loop that answers every
sample with a thruster command)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import numpy as np

from benchmarks.timing import best_time_s, figure
from flight.ports import THRUSTER_COUNT, ThrusterCommand
from hil.boards.boardset import BoardSet
from hil.boards.imu_model import GRADES, ImuErrorModel
from hil.clock import SimClock
from hil.drivers.imu import ImuDriver
from hil.drivers.packets import PacketWriter
from hil.drivers.thruster import ThrusterDriver
from hil.links import LoopbackHub, LoopbackLink
from hil.plant import Plant
from hil.protocol.catalogue import CATALOGUE, ImuStatus
from hil.scenario import load

T0 = 959_774_400.0


def _generate(n: int) -> list[bytes]:
    model = ImuErrorModel(GRADES["navigation"], 1)
    writer = PacketWriter()
    out = []
    truth = np.array([1e-4, 0.0, 0.0])
    for k in range(n):
        theta, vel = model.measure(truth, truth, 0.1)
        out.append(writer.encode("IMU_DATA", {
            "delta_angle_x": float(theta[0]), "delta_angle_y": float(theta[1]),
            "delta_angle_z": float(theta[2]),
            "delta_velocity_x": float(vel[0]), "delta_velocity_y": float(vel[1]),
            "delta_velocity_z": float(vel[2]), "interval_s": 0.1, "sample_count": 10, "output_seq": k,
            "status": int(ImuStatus.BIT_PASS)}, T0 + 0.1 * k))
    return out


def _decode(packets: list[bytes]) -> None:
    async def go() -> None:
        hub = LoopbackHub()
        driver = ImuDriver(LoopbackLink("imu", "host", hub=hub), queue_size=len(packets) + 1)
        for p in packets:
            driver._handle(CATALOGUE.decode(p))

    asyncio.run(go())


async def _lockstep(cycles: int) -> float:
    scenario = load("iss-deorbit")
    plant = Plant.from_scenario(scenario, 1)
    clock = SimClock("lockstep", plant.t_s)
    hub = LoopbackHub()
    imu_host, imu_board = (LoopbackLink("imu", role, hub=hub) for role in ("host", "board"))
    thr_host, thr_board = (LoopbackLink("thruster", role, hub=hub) for role in ("host", "board"))
    async with imu_host, imu_board, thr_host, thr_board:
        boards = BoardSet.from_scenario(scenario, 1, imu_board, thr_board, clock, plant=plant)
        async with boards, ImuDriver(imu_host) as imu, ThrusterDriver(thr_host) as thr:
            await thr.arm_prepare(1)
            await thr.arm_confirm(1)
            stream = imu.samples()
            t0 = time.perf_counter()
            for n in range(1, cycles + 1):
                async with asyncio.timeout(10.0):
                    s = await anext(stream)
                await thr.command(ThrusterCommand(n, (0.0,) * THRUSTER_COUNT, n % 2 == 0, n, t_s=s.t_s,
                                                  period_s=s.interval_s))
            return (time.perf_counter() - t0) / cycles


def run(quick: bool) -> Iterable[dict[str, object]]:
    n = 2_000 if quick else 20_000
    repeat = 3 if quick else 5
    yield figure("boards.imu_packets_generated_per_s", n / best_time_s(lambda: _generate(n), repeat=repeat),
                 "1/s")
    packets = _generate(n)
    yield figure("boards.imu_packets_decoded_per_s", n / best_time_s(lambda: _decode(packets), repeat=repeat),
                 "1/s")
    cycles = 300 if quick else 3_000
    per_cycle = min(asyncio.run(_lockstep(cycles)) for _ in range(2 if quick else 3))
    yield figure("boards.lockstep_cycles_per_s_loopback", 1.0 / per_cycle, "1/s")
