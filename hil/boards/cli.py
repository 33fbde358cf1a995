"""``hil board imu|thruster (--serial PORT|pty | --mqtt URL) [--scenario NAME] [--time MODE] [--seed N]``:
run one emulated board standalone until interrupted.

``--serial pty`` creates a pseudo-terminal and prints its path (the first line on standard output), so a
flight computer or ``flight run --imu serial:///dev/pts/N`` can open it; ``--serial PATH`` serves a real
port; ``--mqtt URL`` serves the board's topics on a broker. The board runs its own plant from the scenario,
in realtime by default. Ctrl-C (or SIGTERM) stops it cleanly with exit status 0.

A standalone IMU has no thruster board in its process, so it opens no lockstep cycles; a standalone
thruster board in lockstep follows the time tags of the commands it receives.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from hil.boards.imu import ImuBoard
from hil.boards.imu_model import grade
from hil.boards.thruster import ThrusterBoard
from hil.boards.thruster_logic import ThrusterBoardConfig
from hil.cli import CliError, run_async
from hil.clock import SimClock, TimeMode, TimeModeError
from hil.links import PtyLink, open_link
from hil.links.base import Link, LinkError
from hil.scenario import ScenarioError, load

HELP = "run an emulated IMU or thruster board on a serial port, a new pty, or an MQTT broker"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("board", choices=("imu", "thruster"), help="which board to emulate")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--serial", metavar="PORT|pty",
                       help="serial device (/dev/ttyUSB0 or serial:///dev/ttyUSB0?baud=N), or 'pty' for "
                            "a new pseudo-terminal whose path is printed")
    where.add_argument("--mqtt", metavar="URL",
                       help="broker URL, mqtt://[user:pass@]host[:port]/prefix or mqtts://...")
    parser.add_argument("--scenario", default="iss-deorbit",
                        help="scenario name or TOML file (default iss-deorbit)")
    parser.add_argument("--time", default="realtime", metavar="MODE",
                        help="lockstep, realtime (default) or scaled:N")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the plant and the IMU errors (default 0)")
    parser.add_argument("--rate", type=float, default=10.0, metavar="HZ",
                        help="IMU output rate until commanded otherwise (default 10)")


def _link(args: argparse.Namespace) -> Link:
    if args.serial == "pty":
        return PtyLink(args.board, "board")
    if args.serial is not None:
        url = args.serial if args.serial.startswith("serial:") else f"serial://{args.serial}"
        return open_link(url, args.board, "board")
    return open_link(args.mqtt, args.board, "board")


async def serve(args: argparse.Namespace) -> int:
    from hil.plant import Plant

    try:
        scenario = load(args.scenario)
        mode = TimeMode.parse(args.time)
    except (ScenarioError, TimeModeError) as exc:
        raise CliError(str(exc)) from None
    if args.seed < 0:
        raise CliError(f"--seed must be non-negative, got {args.seed}")
    if not 0.01 <= args.rate <= 400.0:
        raise CliError(f"--rate must lie in 0.01..400 Hz, got {args.rate}")
    plant = Plant.from_scenario(scenario, args.seed)
    clock = SimClock(mode, plant.t_s)
    link = _link(args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            await link.__aenter__()
        except LinkError as exc:
            raise CliError(str(exc)) from None
        try:
            board: ImuBoard | ThrusterBoard
            if args.board == "imu":
                board = ImuBoard(link, plant, clock, grade(scenario.imu.grade), seed=args.seed,
                                 sample_hz=scenario.imu.sample_hz, output_rate_hz=args.rate,
                                 lockstep_gate=False)
            else:
                board = ThrusterBoard(link, plant, clock, ThrusterBoardConfig.from_scenario(scenario),
                                      standalone=True)
            where = link.path if isinstance(link, PtyLink) else link.name
            print(where, flush=True)
            print(f"hil board: {args.board} board serving on {where} ({mode}); Ctrl-C to stop",
                  file=sys.stderr, flush=True)
            async with asyncio.TaskGroup() as tg:
                task = tg.create_task(board.run(), name=f"{args.board}-board")
                await stop.wait()
                task.cancel()
        finally:
            with contextlib.suppress(Exception):
                await link.__aexit__(None, None, None)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return 0


def run(args: argparse.Namespace) -> int:
    return run_async(serve(args))
