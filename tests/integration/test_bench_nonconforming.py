"""The suite catches boards that break the ICD, and names the check: each deliberately non-conforming
emulated board (a subclass of ours with one rule broken) serves on a real pty from its own thread and
event loop, ``hil bench`` runs against it, exits 1, and reports that check failed (and no unrelated one).

- a thruster board whose watchdog never fires: ``thruster.watchdog`` (and the SAFED latch it never
  reaches) fails;
- a thruster board that arms on ARM_PREPARE alone: ``thruster.interlock_prepared`` fails;
- a thruster board that forgets which cycles it executed: ``thruster.once_only`` fails;
- a thruster board that reports a time sync's id but keeps its clock: ``time.sync`` fails;
- an IMU board that acknowledges rate commands but ignores them: each ``imu.rate_*`` check fails.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from firmware_bindings.thruster_board import BoardConfig
from hil.boards.imu import ImuBoard
from hil.boards.imu_model import grade
from hil.boards.thruster import ThrusterBoard
from hil.boards.thruster_logic import ThrusterBoardConfig, ThrusterBoardCore
from hil.cli import main
from hil.clock import SimClock
from hil.links import PtyLink
from hil.plant import Plant
from hil.protocol.catalogue import ArmAction
from hil.protocol.schema import Message
from hil.scenario import load

SCALE = 4.0
#: Passive checks on timing that a heavily loaded test machine could disturb; never the expected ones.
TIMING = {"status.rate", "housekeeping.rate", "time.clock_rate"}


class NoWatchdogCore(ThrusterBoardCore):
    """Breaks ICD 8.2: the watchdog never expires (its period is longer than any test), so a MAIN_BURN
    stays open without commands."""

    def core_config(self, config: ThrusterBoardConfig) -> BoardConfig:
        return dataclasses.replace(config.core_config(), watchdog_s=1e12, watchdog_cycles=1e12)


class SingleStepArmCore(ThrusterBoardCore):
    """Breaks ICD 8.2: ARM_PREPARE alone arms the board."""

    def arm(self, t_s: float, action: int, arm_code: int, command_id: int) -> int:
        reaction = super().arm(t_s, action, arm_code, command_id)
        if action == ArmAction.ARM_PREPARE and reaction & self.R_ACCEPTED:
            super().arm(t_s, ArmAction.ARM_CONFIRM, arm_code, command_id)
        return reaction


class ForgetfulCore(ThrusterBoardCore):
    """Breaks ICD 8.2 (once only): it forgets the last executed cycle and command id."""

    def command(self, t_s: float, cycle: int, command_id: int, mode: int, cycle_period_us: int,
                on_time_us: list[int] | tuple[int, ...] | None) -> int:
        self._b.last_cycle = 0  # the core's state, overwritten: what a firmware bug would do
        self._b.commands_executed = 0
        return super().command(t_s, cycle, command_id, mode, cycle_period_us, on_time_us)


class UnsyncedThrusterBoard(ThrusterBoard):
    """Breaks ICD 6: reports the sync_id of THRUSTER_TIME_SYNC but does not set its clock."""

    def _time_sync(self, raw: bytes) -> None:
        return None


class DeafImuBoard(ImuBoard):
    """Breaks ICD 8.1: answers IMU_CONFIG with a status carrying its command_id, keeps its old rate."""

    async def _handle(self, msg: Message) -> None:
        if msg.name == "IMU_CONFIG":
            self.last_command_id = int(msg["command_id"])
            await self.send_status()
            return
        await super()._handle(msg)


def thruster_board(core: type[ThrusterBoardCore] = ThrusterBoardCore,
                   board_class: type[ThrusterBoard] = ThrusterBoard
                   ) -> Callable[[PtyLink, Plant, SimClock], Any]:
    def make(link: PtyLink, plant: Plant, clock: SimClock) -> ThrusterBoard:
        scenario = load("iss-deorbit")
        config = ThrusterBoardConfig.from_scenario(scenario)
        board = board_class(link, plant, clock, config, standalone=True)
        board.core = core(config, plant.t_s)
        return board
    return make


def deaf_imu(link: PtyLink, plant: Plant, clock: SimClock) -> ImuBoard:
    scenario = load("iss-deorbit")
    return DeafImuBoard(link, plant, clock, grade(scenario.imu.grade), sample_hz=scenario.imu.sample_hz,
                        output_rate_hz=10.0, lockstep_gate=False)


@contextmanager
def serving(channel: str, make: Callable[[PtyLink, Plant, SimClock], Any]) -> Iterator[str]:
    """The board ``make`` builds, serving on a new pty from its own thread and event loop (as if it were
    another machine); yields the pty path."""
    paths: queue.Queue[str | BaseException] = queue.Queue()
    stop: dict[str, Any] = {}

    async def serve() -> None:
        plant = Plant.from_scenario(load("iss-deorbit"), 0)
        clock = SimClock(f"scaled:{SCALE:g}", plant.t_s)
        async with PtyLink(channel, "board") as link:
            board = make(link, plant, clock)
            task = asyncio.create_task(board.run())
            stop["cancel"] = task.cancel
            stop["loop"] = asyncio.get_running_loop()
            paths.put(link.path)
            # Serve until the test cancels the board's task (from its thread); the wait ends then.
            await asyncio.wait([task])

    def thread_main() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # reported to the test below
            paths.put(exc)

    thread = threading.Thread(target=thread_main, name=f"bad-{channel}-board", daemon=True)
    thread.start()
    try:
        path = paths.get(timeout=30)
        if isinstance(path, BaseException):
            raise path
        yield path
    finally:
        loop = stop.get("loop")
        if loop is not None:
            loop.call_soon_threadsafe(stop["cancel"])
        thread.join(timeout=15)
        assert not thread.is_alive(), "the board thread did not stop"


def run_bench(board: str, path: str, checks: list[str], report: Path,
              capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    argv = ["bench", board, "--serial", path, "--quick", "--time-scale", f"{SCALE:g}",
            "--report", str(report)]
    if board == "imu":
        argv += ["--condition", "orbit"]
    for name in checks:
        argv += ["--check", name]
    status = main(argv)
    out = capsys.readouterr().out
    return status, json.loads(report.read_text()), out


def failed(data: dict[str, Any]) -> set[str]:
    return {c["name"] for c in data["checks"] if not c["passed"]}


CASES = [
    ("thruster", thruster_board(NoWatchdogCore), ["thruster.watchdog"],
     {"thruster.watchdog", "thruster.safed_latches"}),
    ("thruster", thruster_board(SingleStepArmCore), ["thruster.interlock_prepared"],
     {"thruster.interlock_prepared"}),
    ("thruster", thruster_board(ForgetfulCore), ["thruster.once_only"], {"thruster.once_only"}),
    ("thruster", thruster_board(board_class=UnsyncedThrusterBoard), ["time.sync"], {"time.sync"}),
    ("imu", deaf_imu, ["imu.rate_2hz", "imu.rate_20hz"], {"imu.rate_2hz", "imu.rate_20hz"}),
]


@pytest.mark.parametrize(("board", "make", "checks", "expected"), CASES,
                         ids=["no-watchdog", "single-step-arm", "repeats-commands", "clock-not-set",
                              "ignores-rate"])
def test_non_conforming_board_fails_the_named_check(
    board: str, make: Callable[[PtyLink, Plant, SimClock], Any], checks: list[str], expected: set[str],
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """Exit status 1; the expected checks fail (in the JSON report and the table) and nothing unrelated
    does (timing checks a loaded machine could disturb aside)."""
    with serving(board, make) as path:
        status, data, out = run_bench(board, path, checks, tmp_path / "r.json", capsys)
    assert status == 1
    bad = failed(data)
    assert expected <= bad, data["checks"]
    assert not bad - expected - TIMING, [c for c in data["checks"] if c["name"] in bad - expected]
    for name in expected:
        row = next(ln for ln in out.splitlines() if ln.startswith(name + " "))
        assert "FAIL" in row.split()
