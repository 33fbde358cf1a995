"""The thruster board behind a link in realtime (hil.boards.thruster): time synchronisation and the
watchdog on the board's own clock."""

from __future__ import annotations

import asyncio

import pytest

from flight.ports import THRUSTER_COUNT, ArmState, ThrusterCommand, ThrusterFaults
from hil.boards.thruster import ThrusterBoard
from hil.boards.thruster_logic import ThrusterBoardConfig
from hil.clock import SimClock
from hil.drivers.thruster import ThrusterDriver
from hil.links import loopback_pair
from hil.plant import Plant
from hil.scenario import load
from tests.support.aio import run


async def synced_burn(offset_s: float) -> tuple[list[float], ThrusterBoard, Plant, float]:
    scenario = load("iss-deorbit")
    plant = Plant.from_scenario(scenario, 1)
    clock = SimClock("realtime", plant.t_s)
    host, board_link = loopback_pair("thruster")
    async with host, board_link:
        board = ThrusterBoard(board_link, plant, clock, ThrusterBoardConfig.from_scenario(scenario))
        async with asyncio.TaskGroup() as tg:
            task = tg.create_task(board.run(), name="thruster-board")
            async with ThrusterDriver(host, period_s=0.1) as thr:
                await thr.time_sync(1, plant.t_s + offset_s)
                await thr.arm_prepare(3)
                await thr.arm_confirm(3)
                t_cmd = clock.now_s + offset_s
                await thr.command(ThrusterCommand(1, (0.0,) * THRUSTER_COUNT, True, 100, t_s=t_cmd))
                times = []
                async with asyncio.timeout(5.0):
                    async for status in thr.statuses():
                        times.append(status.t_s)
                        if status.faults & ThrusterFaults.WATCHDOG:
                            assert status.arm_state is ArmState.DISARMED and status.all_valves_closed
                            break
            task.cancel()
    return times, board, plant, t_cmd


def test_time_sync_steps_the_board_clock_and_the_watchdog_runs_on_it() -> None:
    """After THRUSTER_TIME_SYNC to simulated time + 1000 s, status time tags are on the synchronised
    clock (within 0.2 s of wall latency); a main burn then ends by the watchdog 0.3 s after its command,
    and the plant's thrust lasted no longer than that (within 0.05 s)."""
    times, board, plant, t_cmd = run(synced_burn(1000.0))
    assert all(t > t_cmd - 0.2 for t in times)
    assert board.core.last_valid_s == pytest.approx(t_cmd, abs=0.2)
    assert board.core.counters.watchdog_expiries == 1
    assert board.clock_offset_s == pytest.approx(1000.0, abs=0.2)
    valve_s = plant.valve_open_s
    assert valve_s[16:].max() == pytest.approx(0.3, abs=0.05) and valve_s[:16].max() == 0.0
