"""``hil replay RUN_DIR``: feed a run's recorded board and ground packets to a fresh flight software in
lockstep and check that it issues the same thruster commands, byte for byte.

The flight software is built exactly as the run built it (``hil.campaign``: the scenario file and seed
from ``summary.json``, the run's key file), on loopback links. The recording (``packets.hilrec``) is
played in its order: every packet the IMU board, the thruster board or the ground sent is handed to the
flight software; at every thruster-board packet the flight software sent in the run, the replay waits
(bounded) for the flight software's next one and compares the two. No plant, no boards, no clock: the
recorded board packets are the whole world. IMU configuration packets (the rate commands, sent by the
control cycle at the spacecraft time it decides them) are compared as a sequence, byte for byte too.

Exit status 0 when every recorded thruster-board packet is reproduced, 1 at the first difference (which
is reported with its spacecraft time), 2 for a run folder that cannot be replayed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flight.ports import Event
from flight.security import Authenticator
from hil.cli import CliError, run_async

HELP = "replay a run's recorded board packets to the flight software and check it issues the same commands"
WAIT_S = 10.0


@dataclass
class ReplayResult:
    fed: int = 0  # packets handed to the flight software
    compared: int = 0  # thruster-board packets compared
    identical: int = 0
    first_difference: dict[str, Any] | None = None
    imu_config_recorded: list[bytes] = field(default_factory=list)
    imu_config_replayed: list[bytes] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return self.first_difference is None and self.compared == self.identical

    @property
    def same_imu_rates(self) -> bool:
        """The replayed IMU rate commands are the recorded ones, byte for byte (time tags included), in
        the recorded order."""
        n = len(self.imu_config_replayed)
        return self.imu_config_recorded[:n] == self.imu_config_replayed


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run folder written by hil run")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="stop after comparing N thruster-board packets")


async def replay(run_dir: Path, limit: int | None = None) -> ReplayResult:
    """Replay ``run_dir`` (see the module docstring)."""
    from hil.campaign import initial_navigator, make_executive
    from hil.drivers.ground import GroundDriver
    from hil.drivers.imu import ImuDriver
    from hil.drivers.thruster import ThrusterDriver
    from hil.ground.keys import KEY_FILE_NAME, load_keys
    from hil.ground.station import Tracker
    from hil.links import LoopbackHub, open_link
    from hil.plant import Plant
    from hil.report.packets import read_packets
    from hil.scenario import load

    summary = json.loads((run_dir / "summary.json").read_text())
    scenario = load(summary.get("scenario_file") or summary["scenario"])
    seed = int(summary["seed"])
    if summary.get("time_mode") != "lockstep":
        mode = summary.get("time_mode")
        raise CliError(f"{run_dir}: only lockstep runs can be replayed (this one ran {mode})", status=2)
    keys = load_keys(run_dir / KEY_FILE_NAME)
    plant = Plant.from_scenario(scenario, seed)  # only its initial truth: tracking's first fix
    tracker = Tracker(plant, scenario.ground.tracking_sigma_m, scenario.ground.tracking_sigma_mps, seed)
    nav = initial_navigator(scenario, plant, tracker)
    hub = LoopbackHub()
    result = ReplayResult()
    records = read_packets(run_dir / "packets.hilrec")
    world = {ch: open_link("loop://replay", ch, "board" if ch != "ground" else "host", hub=hub)
             for ch in ("imu", "thruster", "ground")}
    flight = {ch: open_link("loop://replay", ch, "host" if ch != "ground" else "board", hub=hub)
              for ch in ("imu", "thruster", "ground")}
    events: list[Event] = []
    async with contextlib.AsyncExitStack() as stack:
        for link in (*world.values(), *flight.values()):
            await stack.enter_async_context(link)
        ex_holder: list[Any] = []
        ground_port = GroundDriver(flight["ground"], Authenticator(keys),
                                       time_source=lambda: ex_holder[0].t_s if ex_holder else None)
        imu = await stack.enter_async_context(ImuDriver(flight["imu"]))
        thr = await stack.enter_async_context(ThrusterDriver(flight["thruster"]))
        await stack.enter_async_context(ground_port)
        ex = make_executive(imu, thr, ground_port, scenario, nav, True, events.append)
        ex_holder.append(ex)
        stop = asyncio.Event()

        async def drain_imu_config() -> None:
            while True:
                with contextlib.suppress(TimeoutError):
                    result.imu_config_replayed.append(await world["imu"].recv(timeout_s=1.0))

        async def drain_ground() -> None:
            while True:
                with contextlib.suppress(TimeoutError):
                    await world["ground"].recv(timeout_s=1.0)

        async def feed() -> None:
            try:
                for r in records:
                    if r.direction == "from_board" and r.channel in ("imu", "thruster"):
                        await world[r.channel].send(r.packet)
                        result.fed += 1
                    elif r.direction == "to_board" and r.channel == "ground":
                        await world["ground"].send(r.packet)
                        result.fed += 1
                    elif r.direction == "to_board" and r.channel == "imu":
                        result.imu_config_recorded.append(r.packet)
                    elif r.direction == "to_board" and r.channel == "thruster":
                        try:
                            got = await world["thruster"].recv(timeout_s=WAIT_S)
                        except TimeoutError:
                            got = b""
                        result.compared += 1
                        if got == r.packet:
                            result.identical += 1
                        else:
                            result.first_difference = {"t_s": r.t_s, "index": result.compared,
                                                       "recorded": r.packet.hex(), "replayed": got.hex()}
                            return
                        if limit is not None and result.compared >= limit:
                            return
                    await asyncio.sleep(0)
            finally:
                stop.set()

        async with asyncio.TaskGroup() as tg:
            side = [tg.create_task(drain_imu_config(), name="replay-imu-config"),
                    tg.create_task(drain_ground(), name="replay-ground")]
            feeder = tg.create_task(feed(), name="replay-feed")
            flight_task = tg.create_task(ex.run(stop), name="flight-software")
            try:
                await feeder
            finally:
                stop.set()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(10.0):
                        await asyncio.wait({flight_task})
                for t in (*side, flight_task):
                    t.cancel()
    return result


def run(args: argparse.Namespace) -> int:
    from flight.security import SecurityError
    from hil.report.packets import RecordingError
    from hil.scenario import ScenarioError

    run_dir: Path = args.run_dir
    if not (run_dir / "summary.json").is_file() or not (run_dir / "packets.hilrec").is_file():
        raise CliError(f"{run_dir} is not a run folder (no summary.json and packets.hilrec)", status=2)
    try:
        res = run_async(replay(run_dir, args.limit))
    except (ScenarioError, SecurityError, RecordingError, KeyError, ValueError) as exc:
        raise CliError(f"cannot replay {run_dir}: {exc}", status=2) from None
    print(f"hil replay: fed {res.fed} recorded packets; {res.identical} of {res.compared} thruster-board "
          f"packets identical")
    same_imu = res.same_imu_rates
    print(f"hil replay: IMU rate commands: {len(res.imu_config_replayed)} replayed, "
          f"{len(res.imu_config_recorded)} recorded, {'same' if same_imu else 'DIFFERENT'} sequence")
    if res.first_difference is not None:
        d = res.first_difference
        print(f"hil replay: first difference at packet {d['index']} (t_s {d['t_s']:.3f}):\n"
              f"  recorded {d['recorded']}\n  replayed {d['replayed'] or '(nothing within {WAIT_S:g} s)'}")
    return 0 if res.same else 1
