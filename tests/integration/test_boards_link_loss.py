"""Link loss over a real mosquitto: the drivers report it (not hidden) and recover; the thruster board's
watchdog closes every valve within one watchdog period once valid commands stop arriving."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

import numpy as np

from flight.ports import THRUSTER_COUNT, ThrusterCommand
from hil.boards.imu import ImuBoard
from hil.boards.imu_model import GRADES
from hil.boards.thruster import ThrusterBoard
from hil.boards.thruster_logic import ThrusterBoardConfig
from hil.clock import SimClock
from hil.drivers.imu import ImuDriver
from hil.drivers.thruster import ThrusterDriver
from hil.links import open_link
from hil.plant import Plant
from hil.protocol.catalogue import ArmedState
from hil.scenario import load
from tests.support.aio import run
from tests.support.broker import Broker


async def eventually(condition: Callable[[], bool], timeout_s: float, poll_s: float = 0.02) -> None:
    """Return once ``condition()`` holds, polling; TimeoutError after ``timeout_s``."""
    async with asyncio.timeout(timeout_s):
        for _ in itertools.count():
            if condition():
                return
            await asyncio.sleep(poll_s)


async def imu_through_broker_restart(broker: Broker, prefix: str) -> ImuDriver:
    scenario = load("iss-deorbit")
    plant = Plant.from_scenario(scenario, 2)
    clock = SimClock("realtime", plant.t_s)
    url = broker.url(prefix)
    async with open_link(url, "imu", "board") as board_link, open_link(url, "imu", "host") as host_link:
        board = ImuBoard(board_link, plant, clock, GRADES["navigation"], output_rate_hz=20.0,
                         lockstep_gate=False)
        async with asyncio.TaskGroup() as tg:
            task = tg.create_task(board.run(), name="imu-board")
            async with ImuDriver(host_link, stale_after_s=0.3) as imu:
                stream = imu.samples()
                async with asyncio.timeout(10.0):
                    before = await anext(stream)
                broker.stop()
                await eventually(lambda: any(e.name == "imu.link_lost" for e in imu.events), 10.0)
                await eventually(lambda: imu.health().stale, 10.0)
                broker.start()
                await eventually(lambda: any(e.name == "imu.link_up" for e in imu.events), 30.0)
                async with asyncio.timeout(30.0):
                    while len(stream):
                        await anext(stream)
                    fresh = await anext(stream)
                assert fresh.t_s > before.t_s
                assert not imu.health().stale
            task.cancel()
    return imu


def test_imu_driver_reports_broker_loss_and_recovers(restartable_broker: Broker, prefix: str) -> None:
    """Broker stopped: 'imu.link_lost' and stale within bounds; restarted: 'imu.link_up' and samples again."""
    imu = run(imu_through_broker_restart(restartable_broker, prefix), timeout_s=90.0)
    names = [e.name for e in imu.events]
    assert names.index("imu.link_lost") < names.index("imu.link_up")
    assert imu.stats.link_losses >= 1 and imu.stats.stale_events >= 1


async def burn_then_lose_link(broker: Broker, prefix: str) -> tuple[ThrusterBoard, float]:
    scenario = load("iss-deorbit")
    plant = Plant.from_scenario(scenario, 3)
    clock = SimClock("realtime", plant.t_s)
    url = broker.url(prefix)
    config = ThrusterBoardConfig.from_scenario(scenario)
    async with open_link(url, "thruster", "board") as board_link, open_link(url, "thruster", "host") as host:
        board = ThrusterBoard(board_link, plant, clock, config)
        async with asyncio.TaskGroup() as tg:
            task = tg.create_task(board.run(), name="thruster-board")
            async with ThrusterDriver(host, time_source=lambda: clock.now_s) as thr:
                await thr.arm_prepare(9)
                await thr.arm_confirm(9)
                for n in range(1, 11):
                    await thr.command(ThrusterCommand(n, (0.0,) * THRUSTER_COUNT, True, n, period_s=0.1))
                    await asyncio.sleep(0.1)
                await eventually(lambda: board.core.counters.commands_executed >= 10, 5.0)
                broker.stop()
                last_valid_s = board.core.last_valid_s
                await eventually(lambda: board.core.watchdog_expired, 10.0)
            task.cancel()
    return board, last_valid_s


def test_watchdog_closes_every_valve_when_the_link_is_lost(restartable_broker: Broker, prefix: str) -> None:
    """Main burn at 10 Hz over MQTT, then the broker dies: within one watchdog period (3 cycles, 0.3 s) of
    the last valid command every valve is commanded closed and the board latches SAFED."""
    board, last_valid_s = run(burn_then_lose_link(restartable_broker, prefix), timeout_s=60.0)
    core = board.core
    deadline = last_valid_s + core.watchdog_period_s
    assert core.watchdog_period_s == 0.3
    assert np.all(core.commanded_until_s <= deadline + 1e-6)
    assert core.armed_state is ArmedState.SAFED
    assert core.counters.watchdog_expiries == 1
