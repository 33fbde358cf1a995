"""``hil ground send COMMAND [ARG ...] --link URL [--keys FILE] [--key-id N] [--arsn N]``: send one signed
telecommand to a flight software over a link and print its acknowledgement (bench use).

Commands: ``crew-clear``, ``go BURN``, ``no-go BURN``, ``abort [BURN]``, ``safe``, ``set-aim LAT LON``,
``set-imu-rate HZ``, ``state-vector EPOCH_UTC RX RY RZ VX VY VZ`` (ECI, m and m/s; the epoch as ISO 8601).
Keys come from ``--keys FILE`` or the environment (``DEORBIT_TC_KEYS``, ``DEORBIT_TC_KEYS_FILE``), never
from code. The anti-replay sequence number must exceed every one the flight software has accepted with the
key: by default it is the current POSIX time in seconds, which grows from one invocation to the next.
The time tag is the host's UTC. Exit status 0 when the flight software acknowledges the command as
executed (COMPLETED) or accepted, 1 when it rejects it or no acknowledgement arrives within ``--timeout``.
"""

from __future__ import annotations

import argparse
import math
import time
from datetime import UTC, datetime
from typing import Any

from flight.security import SecurityError
from hil.cli import CliError, run_async
from hil.drivers.ground import UNIX_J2000_OFFSET_S
from hil.ground.keys import load_keys
from hil.ground.station import GroundStation
from hil.links import open_link
from hil.links.base import LinkError
from hil.protocol.catalogue import AckReason, AckStage

HELP = "ground tools: send one signed telecommand to a flight software (hil ground send COMMAND ...)"

COMMANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "crew-clear": ("TC_CREW_CLEAR", ()),
    "go": ("TC_GO", ("burn_id",)),
    "no-go": ("TC_NO_GO", ("burn_id",)),
    "abort": ("TC_ABORT", ("burn_id?",)),
    "safe": ("TC_SAFE", ()),
    "set-aim": ("TC_SET_AIM", ("aim_lat_deg", "aim_lon_deg")),
    "set-imu-rate": ("TC_SET_IMU_RATE", ("output_rate_hz",)),
    "state-vector": ("TC_STATE_VECTOR", ("epoch", "r_eci_m_x", "r_eci_m_y", "r_eci_m_z", "v_eci_mps_x",
                                         "v_eci_mps_y", "v_eci_mps_z")),
}


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="ground_command", metavar="ACTION", required=True)
    p = sub.add_parser("send", help="send one signed telecommand and wait for its acknowledgement")
    p.add_argument("tc", metavar="COMMAND", choices=sorted(COMMANDS), help=", ".join(sorted(COMMANDS)))
    p.add_argument("args", nargs="*", metavar="ARG", help="the command's arguments")
    p.add_argument("--link", required=True, metavar="URL",
                   help="the flight software's ground link: serial:///dev/ttyX, mqtt://host/prefix, loop://")
    p.add_argument("--keys", metavar="FILE",
                   help="key file (JSON with the keys by id; default: the environment)")
    p.add_argument("--key-id", type=int, default=1, help="key id (default 1)")
    p.add_argument("--arsn", type=int, default=None, help="anti-replay sequence number (default: POSIX time)")
    p.add_argument("--command-id", type=int, default=None, help="command id (default: POSIX time)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the acknowledgement")


def command_values(tc: str, args: list[str]) -> tuple[str, dict[str, Any]]:
    """The packet name and field values of a command line (CliError with one sentence when wrong)."""
    name, params = COMMANDS[tc]
    required = [p for p in params if not p.endswith("?")]
    if not len(required) <= len(args) <= len(params):
        want = " ".join(p.rstrip("?").upper() for p in params) or "no arguments"
        raise CliError(f"{tc} takes {want}, got {len(args)} argument(s)", status=2)
    values: dict[str, Any] = {}
    for param, text in zip(params, args, strict=False):
        key = param.rstrip("?")
        if key == "epoch":
            try:
                when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise CliError(f"{tc}: epoch {text!r} is not an ISO 8601 time", status=2) from None
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            values["epoch_unix_s"] = when.timestamp()
            continue
        try:
            number = int(text) if key == "burn_id" else float(text)
        except ValueError:
            raise CliError(f"{tc}: {key} must be a number, got {text!r}", status=2) from None
        if isinstance(number, float) and not math.isfinite(number):
            raise CliError(f"{tc}: {key} must be finite, got {text!r}", status=2)
        values[key] = number
    if name == "TC_ABORT" and "burn_id" not in values:
        values["burn_id"] = 0xFFFF
    return name, values


async def send(args: argparse.Namespace) -> int:
    name, values = command_values(args.tc, list(args.args))
    try:
        keys = load_keys(args.keys)
    except SecurityError as exc:
        raise CliError(str(exc)) from None
    stamp = int(time.time())
    arsn = args.arsn if args.arsn is not None else stamp
    cid = args.command_id if args.command_id is not None else stamp
    try:
        link = open_link(args.link, "ground", "host")
    except LinkError as exc:
        raise CliError(str(exc)) from None
    t_s = time.time() - UNIX_J2000_OFFSET_S
    try:
        async with link:
            try:
                station = GroundStation(link, keys, args.key_id, first_command_id=cid, first_arsn=arsn)
            except SecurityError as exc:
                raise CliError(str(exc)) from None
            async with station:
                try:
                    ack = await station.command(name, values, t_s, timeout_s=args.timeout)
                except ValueError as exc:  # a field out of its range
                    raise CliError(f"{args.tc}: {exc}", status=2) from None
                await link.flush(timeout_s=1.0)
    except LinkError as exc:
        raise CliError(str(exc)) from None
    if ack is None:
        print(f"{name} command {cid} (ARSN {arsn}) sent; no acknowledgement within {args.timeout:g} s")
        return 1
    stage, reason = AckStage(ack["stage"]), AckReason(ack["reason"])
    print(f"{name} command {cid} (ARSN {arsn}): {stage.name} {reason.name}")
    return 0 if stage in (AckStage.ACCEPTED, AckStage.COMPLETED) else 1


def run(args: argparse.Namespace) -> int:
    return run_async(send(args))
