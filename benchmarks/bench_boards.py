"""Throughput of the emulated boards and drivers: IMU packets generated (error model and encoding) and
decoded (catalogue decode and the driver's checks) per second, and lockstep control cycles per second
over in-process loopback links (both boards, the plant, the drivers and a flight loop that answers every
sample with a thruster command).

Issue 4's speed goals, as wall seconds over loopback with the same trivial responder:

- ``boards.coast_day_wall_s``: one day of coast at 0.1 Hz IMU output (8,640 cycles, no valve opened);
  goal at most 2 s;
- ``boards.burn_window_wall_s``: a 30-minute burn window at 10 Hz IMU output and control (18,000 cycles,
  the deorbit thrusters open every other cycle); goal at most 3 s;

(quick mode runs a tenth of the cycles and reports the projected figure), and realtime at 100 Hz:

- ``boards.realtime_100hz_*``: the IMU board in realtime at 100 Hz output behind a pseudo-terminal and the
  IMU driver on a serial link to it, both in this process, for 10 minutes (quick: 20 s). For each sample
  the arrival time at the driver (monotonic clock, when the driver decodes it) is compared with the wall
  time its time tag stands for (the clock's ``wall_deadline``); the jitter is that latency less its
  median (a constant latency is a time-tag correlation offset, not jitter): p99 and maximum of its
  magnitude, goal p99 at most 1 ms; missed samples are outputs that never reached the driver (gaps in
  the board's output counter and samples not delivered by the end), goal none. A realtime rig runs its
  boards at a realtime scheduling priority (``chrt -f``) so that other load on the host does not delay
  their wake-ups: this part asks for SCHED_FIFO priority 10 for the benchmark process, and
  ``boards.realtime_100hz_fifo_priority`` says whether it got it (1) or ran at normal priority (0).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterable, Iterator

import numpy as np

from benchmarks.timing import best_time_s, figure
from flight.ports import THRUSTER_COUNT, ThrusterCommand
from hil.boards.boardset import BoardSet
from hil.boards.imu import ImuBoard
from hil.boards.imu_model import GRADES, ImuErrorModel, grade
from hil.clock import SimClock
from hil.drivers.imu import ImuDriver
from hil.drivers.packets import PacketWriter, message_t_s
from hil.drivers.thruster import ThrusterDriver
from hil.links import LoopbackHub, LoopbackLink, PtyLink, open_link
from hil.plant import Plant
from hil.protocol.catalogue import CATALOGUE, ImuStatus
from hil.protocol.schema import Message
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


def _imu_error_model_us(n: int, repeat: int) -> tuple[float, float, float]:
    """Microseconds per output of the IMU error model: the numpy reference (tests/oracles/imu_model.py,
    the board's model before the C core), ImuErrorModel.measure over the core, and ImuErrorModel.output
    (the board's call: differencing, model, range check, floats out). Navigation grade, 0.1 s outputs."""
    from tests.oracles.imu_model import ImuErrorModel as ReferenceModel

    g = GRADES["navigation"]
    reference, model = ReferenceModel(g, 1), ImuErrorModel(g, 1)
    step = np.array([1e-4, -2e-5, 3e-5])
    cumulative = [step * k for k in range(n)]

    def run_reference() -> None:
        for _ in range(n):
            reference.measure(step, step, 0.1, 0.0)

    def run_measure() -> None:
        for _ in range(n):
            model.measure(step, step, 0.1, 0.0)

    def run_output() -> None:
        model.start(cumulative[0], cumulative[0])
        for c in cumulative:
            model.output(c, c, 0.1, 0.0)

    us = [best_time_s(f, repeat=repeat) / n * 1e6 for f in (run_reference, run_measure, run_output)]
    return us[0], us[1], us[2]


def _decode(packets: list[bytes]) -> None:
    async def go() -> None:
        hub = LoopbackHub()
        driver = ImuDriver(LoopbackLink("imu", "host", hub=hub), queue_size=len(packets) + 1)
        for p in packets:
            driver._handle(CATALOGUE.decode(p))

    asyncio.run(go())


async def _lockstep(cycles: int, rate_hz: float = 10.0, burn: bool = True) -> float:
    """Mean wall seconds per lockstep cycle at ``rate_hz`` (IMU output and control); with ``burn`` the
    responder opens the deorbit thrusters every other cycle, else it commands every valve closed."""
    scenario = load("iss-deorbit")
    plant = Plant.from_scenario(scenario, 1)
    clock = SimClock("lockstep", plant.t_s)
    hub = LoopbackHub()
    imu_host, imu_board = (LoopbackLink("imu", role, hub=hub) for role in ("host", "board"))
    thr_host, thr_board = (LoopbackLink("thruster", role, hub=hub) for role in ("host", "board"))
    async with imu_host, imu_board, thr_host, thr_board:
        boards = BoardSet.from_scenario(scenario, 1, imu_board, thr_board, clock, plant=plant,
                                        output_rate_hz=rate_hz)
        async with boards, ImuDriver(imu_host) as imu, ThrusterDriver(thr_host) as thr:
            await thr.arm_prepare(1)
            await thr.arm_confirm(1)
            stream = imu.samples()
            t0 = time.perf_counter()
            # the responder's waits are bounded as a whole (a stalled rig ends the run within the bound)
            async with asyncio.timeout(30.0 + 0.01 * cycles):
                for n in range(1, cycles + 1):
                    s = await anext(stream)
                    await thr.command(ThrusterCommand(n, (0.0,) * THRUSTER_COUNT, burn and n % 2 == 0, n,
                                                      t_s=s.t_s, period_s=s.interval_s))
            return (time.perf_counter() - t0) / cycles


class _TimedImuDriver(ImuDriver):
    """The IMU driver, noting the monotonic time at which each IMU_DATA is decoded."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.arrivals: list[tuple[float, float]] = []  # (time tag t_s, monotonic arrival)

    def _handle(self, msg: Message) -> None:
        if msg.name == "IMU_DATA":
            self.arrivals.append((message_t_s(msg), time.monotonic()))
        super()._handle(msg)


async def _drain(driver: ImuDriver) -> None:
    """Take every sample from the driver as it comes (until cancelled or the stream ends)."""
    stream = driver.samples()
    while True:
        try:
            async with asyncio.timeout(1.0):
                await anext(stream)
        except TimeoutError:
            continue
        except StopAsyncIteration:
            return


async def _realtime(duration_s: float, rate_hz: float = 100.0) -> dict[str, float]:
    """The IMU board in realtime behind a pty, the driver on a serial link to it: arrival jitter against
    the time tags, and missed samples (see the module docstring)."""
    scenario = load("iss-deorbit")
    plant = Plant.from_scenario(scenario, 1)
    clock = SimClock("realtime", plant.t_s)
    async with PtyLink("imu", "board") as board_link, open_link(f"serial://{board_link.path}", "imu",
                                                                 "host") as host:
        board = ImuBoard(board_link, plant, clock, grade(scenario.imu.grade), seed=1,
                         sample_hz=scenario.imu.sample_hz, output_rate_hz=rate_hz, lockstep_gate=False)
        async with _TimedImuDriver(host) as driver, asyncio.TaskGroup() as tg:
            clock.start()
            task = tg.create_task(board.run(), name="imu-board")
            consumer = tg.create_task(_drain(driver), name="flight")  # takes the samples, as flight would
            await asyncio.sleep(duration_s)
            task.cancel()
            consumer.cancel()
        await asyncio.sleep(0.05)  # the last frames in flight
    arrivals = driver.arrivals[1:]  # the first sample comes before the board's clock settled
    emitted = board.output_seq - 1
    latency = np.array([wall - clock.wall_deadline(t) for t, wall in arrivals])
    jitter = np.abs(latency - np.median(latency))
    return {
        "samples": float(len(arrivals)),
        "missed": float(driver.missing_outputs + max(0, emitted - len(arrivals) - driver.missing_outputs)),
        "latency_p50_ms": float(np.percentile(latency, 50) * 1e3),
        "jitter_p99_ms": float(np.percentile(jitter, 99) * 1e3),
        "jitter_max_ms": float(jitter.max() * 1e3),
    }


def run(quick: bool) -> Iterable[dict[str, object]]:
    n = 2_000 if quick else 20_000
    repeat = 3 if quick else 5
    yield figure("boards.load_average_1min_at_start", os.getloadavg()[0], "")
    yield figure("boards.imu_packets_generated_per_s", n / best_time_s(lambda: _generate(n), repeat=repeat),
                 "1/s")
    packets = _generate(n)
    reference_us, measure_us, output_us = _imu_error_model_us(n, repeat)
    yield figure("boards.imu_error_model_us_per_output_reference", reference_us, "us")
    yield figure("boards.imu_error_model_us_per_output", measure_us, "us")
    yield figure("boards.imu_error_model_us_per_output_board", output_us, "us")
    yield figure("boards.imu_packets_decoded_per_s", n / best_time_s(lambda: _decode(packets), repeat=repeat),
                 "1/s")
    cycles = 300 if quick else 3_000
    per_cycle = min(asyncio.run(_lockstep(cycles)) for _ in range(2 if quick else 3))
    yield figure("boards.lockstep_cycles_per_s_loopback", 1.0 / per_cycle, "1/s")
    tries = 1 if quick else 3
    scale = 10 if quick else 1  # quick: a tenth of the cycles, the figure projected to the whole
    coast = min(asyncio.run(_lockstep(COAST_DAY_CYCLES // scale, 0.1, burn=False)) for _ in range(tries))
    yield figure("boards.coast_day_wall_s", coast * COAST_DAY_CYCLES, "s")
    burn = min(asyncio.run(_lockstep(BURN_WINDOW_CYCLES // scale, 10.0)) for _ in range(tries))
    yield figure("boards.burn_window_wall_s", burn * BURN_WINDOW_CYCLES, "s")
    with _realtime_priority() as fifo:
        rt = asyncio.run(_realtime(20.0 if quick else 600.0))
    yield figure("boards.realtime_100hz_fifo_priority", float(fifo), "")
    yield figure("boards.realtime_100hz_samples", rt["samples"], "")
    yield figure("boards.realtime_100hz_missed_samples", rt["missed"], "")
    yield figure("boards.realtime_100hz_latency_p50", rt["latency_p50_ms"], "ms")
    yield figure("boards.realtime_100hz_jitter_p99", rt["jitter_p99_ms"], "ms")
    yield figure("boards.realtime_100hz_jitter_max", rt["jitter_max_ms"], "ms")


@contextlib.contextmanager
def _realtime_priority() -> Iterator[bool]:
    """SCHED_FIFO priority 10 for this process while the block runs, when the host allows it (True);
    the previous policy is restored after."""
    try:
        before = os.sched_getscheduler(0), os.sched_getparam(0)
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    except (AttributeError, OSError):
        yield False
        return
    try:
        yield True
    finally:
        os.sched_setscheduler(0, before[0], before[1])


COAST_DAY_CYCLES = 8_640  # one day at 0.1 Hz
BURN_WINDOW_CYCLES = 18_000  # 30 minutes at 10 Hz
