"""Both emulated boards on one plant and one clock, as an async context manager.

    async with BoardSet.from_scenario(scenario, seed, imu_link, thruster_link, clock) as boards:
        ...  # the flight side talks to the links; boards.plant is the truth

The links must already be open (board side). On exit both boards' tasks are cancelled and awaited.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

from hil.boards.imu import ImuBoard
from hil.boards.imu_model import ImuGrade, grade
from hil.boards.thruster import ThrusterBoard
from hil.boards.thruster_logic import ThrusterBoardConfig
from hil.clock import SimClock
from hil.links.base import Link
from hil.plant import Plant
from hil.scenario import Scenario


class BoardSet:
    def __init__(self, plant: Plant, clock: SimClock, imu: ImuBoard, thruster: ThrusterBoard) -> None:
        self.plant = plant
        self.clock = clock
        self.imu = imu
        self.thruster = thruster
        self._tg: asyncio.TaskGroup | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    def from_scenario(
        cls,
        scenario: Scenario,
        seed: int,
        imu_link: Link,
        thruster_link: Link,
        clock: SimClock | None = None,
        *,
        plant: Plant | None = None,
        imu_grade: ImuGrade | None = None,
        output_rate_hz: float = 10.0,
    ) -> BoardSet:
        plant = plant if plant is not None else Plant.from_scenario(scenario, seed)
        clock = clock if clock is not None else SimClock("lockstep", plant.t_s)
        g = imu_grade if imu_grade is not None else grade(scenario.imu.grade)
        thruster = ThrusterBoard(thruster_link, plant, clock, ThrusterBoardConfig.from_scenario(scenario))
        imu = ImuBoard(imu_link, plant, clock, g, seed=seed, sample_hz=scenario.imu.sample_hz,
                       output_rate_hz=output_rate_hz, on_advance=thruster.tick)
        return cls(plant, clock, imu, thruster)

    async def __aenter__(self) -> Self:
        tg = asyncio.TaskGroup()
        await tg.__aenter__()
        self._tg = tg
        self._tasks = [tg.create_task(self.thruster.run(), name="thruster-board"),
                       tg.create_task(self.imu.run(), name="imu-board")]
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        tg, self._tg = self._tg, None
        if tg is None:
            return
        for task in self._tasks:
            task.cancel()
        await tg.__aexit__(None, None, None)
