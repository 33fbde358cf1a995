"""The emulated boards follow the ICD where a bench checks them: IMU_STATUS at 1 Hz also below 1 Hz output,
housekeeping uptime in spacecraft seconds, IMU_TIME_SYNC (STEP) setting the board clock, and oversize
frames counted in ``rx_framing_errors`` (docs/icd.md sections 6 and 8)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from flight.ports import THRUSTER_COUNT, ImuFlags, ImuSample, ThrusterCommand
from hil.boards.boardset import BoardSet
from hil.boards.imu import ImuBoard
from hil.boards.imu_model import grade
from hil.clock import SimClock
from hil.drivers.imu import ImuDriver
from hil.drivers.packets import message_t_s
from hil.drivers.thruster import ThrusterDriver
from hil.links import LoopbackHub, LoopbackLink, PtyLink, open_link
from hil.links.base import Link
from hil.plant import Plant
from hil.protocol import framing
from hil.protocol.catalogue import CATALOGUE
from hil.protocol.schema import Message
from hil.scenario import load
from tests.support.aio import run


class KeepingImuDriver(ImuDriver):
    """The IMU driver, also keeping every message it decodes."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.messages: list[Message] = []

    def _handle(self, msg: Message) -> None:
        self.messages.append(msg)
        super()._handle(msg)


def _imu_board(link: Link, clock: SimClock, plant: Plant, rate_hz: float,
               housekeeping_period_s: float = 10.0, apply_time_sync: bool = False) -> ImuBoard:
    scenario = load("iss-deorbit")
    return ImuBoard(link, plant, clock, grade(scenario.imu.grade), seed=2, sample_hz=scenario.imu.sample_hz,
                    output_rate_hz=rate_hz, lockstep_gate=False, housekeeping_period_s=housekeeping_period_s,
                    apply_time_sync=apply_time_sync)


def test_imu_status_keeps_1_hz_when_data_is_slower() -> None:
    """At 0.1 Hz IMU_DATA (scaled time, 10x), IMU_STATUS still comes once per spacecraft second (the ICD's
    rate): about 25 in 25 s, their time tags 1 s apart within 0.3 s (host wake-up latency times 10)."""

    async def go() -> list[Message]:
        plant = Plant.from_scenario(load("iss-deorbit"), 2)
        clock = SimClock("scaled:10", plant.t_s)
        host, board_link = LoopbackLink("imu", "host", hub=(hub := LoopbackHub())), LoopbackLink(
            "imu", "board", hub=hub)
        async with host, board_link:
            board = _imu_board(board_link, clock, plant, 0.1)
            async with KeepingImuDriver(host) as driver, asyncio.TaskGroup() as tg:
                clock.start()
                task = tg.create_task(board.run())
                await asyncio.sleep(2.5)
                task.cancel()
            return driver.messages

    messages = run(go())
    status_t = [message_t_s(m) for m in messages if m.name == "IMU_STATUS"]
    data = [m for m in messages if m.name == "IMU_DATA"]
    assert len(data) in (2, 3)
    assert 22 <= len(status_t) <= 27
    assert np.all(np.abs(np.diff(status_t) - 1.0) < 0.3)


def test_housekeeping_uptime_counts_spacecraft_seconds() -> None:
    """Lockstep, 10 Hz: after 300 cycles (30 s of spacecraft time, far less wall time) both boards'
    last housekeeping reports an uptime of 20 s or more (sent every 10 s), within 1 s of the spacecraft
    time elapsed at its time tag."""

    async def go() -> tuple[list[Message], float]:
        scenario = load("iss-deorbit")
        plant = Plant.from_scenario(scenario, 3)
        t0 = plant.t_s
        clock = SimClock("lockstep", t0)
        hub = LoopbackHub()
        imu_host, imu_board = (LoopbackLink("imu", role, hub=hub) for role in ("host", "board"))
        thr_host, thr_board = (LoopbackLink("thruster", role, hub=hub) for role in ("host", "board"))
        kept: list[Message] = []
        async with imu_host, imu_board, thr_host, thr_board:
            boards = BoardSet.from_scenario(scenario, 3, imu_board, thr_board, clock, plant=plant)
            async with boards, KeepingImuDriver(imu_host) as imu, ThrusterDriver(thr_host) as thr:
                original = thr._handle

                def keep(msg: Message) -> None:
                    kept.append(msg)
                    original(msg)

                thr._handle = keep  # type: ignore[method-assign]
                stream = imu.samples()
                for n in range(1, 301):
                    async with asyncio.timeout(10.0):
                        s: ImuSample = await anext(stream)
                    await thr.command(ThrusterCommand(n, (0.0,) * THRUSTER_COUNT, False, n, t_s=s.t_s,
                                                      period_s=s.interval_s))
            return imu.messages + kept, t0

    messages, t0 = run(go())
    for name in ("IMU_HOUSEKEEPING", "THRUSTER_HOUSEKEEPING"):
        last = [m for m in messages if m.name == name][-1]
        elapsed = message_t_s(last) - t0
        assert elapsed >= 20.0
        assert abs(last["uptime_s"] - elapsed) <= 1.0, name


def test_imu_time_sync_step_sets_the_board_clock() -> None:
    """Scaled time, a board that applies time syncs: IMU_TIME_SYNC (STEP) tagged 100 s ahead of the board
    moves the following time tags
    100 s ahead (within 0.5 s of host latency), the first sample after it carries TIME_TAG_JUMP, and the
    board reports the sync id in IMU_STATUS."""

    async def go() -> list[Message]:
        plant = Plant.from_scenario(load("iss-deorbit"), 2)
        clock = SimClock("scaled:5", plant.t_s)
        hub = LoopbackHub()
        host, board_link = LoopbackLink("imu", "host", hub=hub), LoopbackLink("imu", "board", hub=hub)
        async with host, board_link:
            board = _imu_board(board_link, clock, plant, 10.0, apply_time_sync=True)
            async with KeepingImuDriver(host) as driver, asyncio.TaskGroup() as tg:
                clock.start()
                task = tg.create_task(board.run())
                await asyncio.sleep(0.3)
                assert driver.last_t_s is not None
                await driver.send_time_sync(77, driver.last_t_s + 100.0)
                await asyncio.sleep(0.5)
                task.cancel()
            return driver.messages

    messages = run(go())
    data = [m for m in messages if m.name == "IMU_DATA"]
    tags = np.array([message_t_s(m) for m in data])
    jump = int(np.argmax(np.diff(tags))) + 1
    assert np.diff(tags)[jump - 1] == pytest.approx(100.0, abs=0.5)
    assert ImuFlags.TIME_TAG_JUMP in _flags(data[jump]) and ImuFlags.TIME_TAG_JUMP not in _flags(data[-1])
    assert [m["last_sync_id"] for m in messages if m.name == "IMU_STATUS"][-1] == 77


def _flags(msg: Message) -> ImuFlags:
    from hil.drivers.imu import flags_from_status

    return flags_from_status(int(msg["status"]))


def test_oversize_frame_counts_as_a_framing_error() -> None:
    """An IMU board on a serial line: one frame longer than the largest packet's encoding, then a valid
    IMU_CONFIG: rx_framing_errors in housekeeping counts the oversize frame, and the board still takes
    the command after it."""

    async def go() -> list[Message]:
        plant = Plant.from_scenario(load("iss-deorbit"), 2)
        clock = SimClock("scaled:10", plant.t_s)
        async with PtyLink("imu", "host") as host, open_link(f"serial://{host.path}", "imu",
                                                                  "board") as board_link:
            board = _imu_board(board_link, clock, plant, 1.0, housekeeping_period_s=1.0)
            async with KeepingImuDriver(host) as driver, asyncio.TaskGroup() as tg:
                clock.start()
                task = tg.create_task(board.run())
                host.write_raw(b"\x01" * (framing.MAX_FRAME_OCTETS + 10) + b"\x00")
                await driver.set_output_rate(2.0)
                await asyncio.sleep(0.5)
                task.cancel()
            return driver.messages

    messages = run(go())
    hk = [m for m in messages if m.name == "IMU_HOUSEKEEPING"]
    assert hk[-1]["rx_framing_errors"] == 1 and hk[-1]["rx_crc_errors"] == 0
    assert [m["output_rate_hz"] for m in messages if m.name == "IMU_STATUS"][-1] == 2.0
    assert CATALOGUE.by_name("IMU_HOUSEKEEPING").field_named("rx_framing_errors").description.endswith(
        "oversize")
