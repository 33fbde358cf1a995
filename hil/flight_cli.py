"""``flight run``: the flight software alone against boards on serial ports or an MQTT broker.

A composition root: it opens the IMU, thruster and ground links from their URLs, puts the IMU and thruster
drivers and a ground port (below) on them, builds the flight software (navigation, guidance, sequencer,
commander, control, FDIR, journal) and runs the executive until interrupted. Every problem a user can cause
(bad URL, missing port, unreachable broker, unreadable configuration or key file) is one line on stderr
and a non-zero exit status, never a traceback.

Ground link (channel ``ground``, the flight software on the ``host`` end): telecommands arrive as
authenticated space packets (``hil.protocol.telecommand``, keys from ``--keys`` or the environment, as
``flight.security`` describes); each is verified, decoded and handed to the commander; every one is
answered with TC_ACK (authentication failures included); telemetry goes out as FLIGHT_TM and events as
FLIGHT_EVENT.

Start-up: navigation has no orbit and no attitude reference until the ground's first state vector; the
attitude is then initialised to the local orbital frame with +x along the velocity (the station's flying
attitude, as the truth simulation starts it), and guidance plans from there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import math
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np

from firmware_bindings.attitude import quat_from_dcm
from firmware_bindings.orbit import apsis_altitudes_m
from flight.commanding import Commander
from flight.config import ConfigError, FlightConfig, load_config
from flight.executive import Executive, ExecutiveConfig
from flight.guidance import CampaignConfig, Guidance
from flight.journal import Journal, JournalError
from flight.navigation import Navigator
from flight.ports import (
    AimArgs,
    BurnRef,
    Event,
    ImuRateArgs,
    NoArgs,
    StateVectorArgs,
    Telecommand,
    TelecommandAck,
    TelecommandKind,
    Telemetry,
)
from flight.security import Authenticator, KeyRing, SecurityError
from flight.sequencer import Sequencer
from hil.drivers.ground import ACK_REASONS
from hil.drivers.imu import ImuDriver
from hil.drivers.packets import PacketWriter
from hil.drivers.thruster import ThrusterDriver
from hil.links import open_link
from hil.links.base import Link, LinkClosedError, LinkError
from hil.protocol import catalogue as cat
from hil.protocol.schema import Message
from hil.protocol.telecommand import check

#: J2000 (2000-01-01T12:00:00 UTC) in POSIX seconds; leap seconds ignored as everywhere in the project.
J2000_UNIX_S = 946_728_000.0
NO_BURN = 0xFFFF



class FlightCliError(Exception):
    """A user-facing error: one line, non-zero exit."""


def telecommand_from_message(msg: Message, key_id: int, arsn: int) -> Telecommand | None:
    """The flight port's view of one decoded ground telecommand (None for one flight does not take)."""
    cid = int(msg["command_id"])
    name = msg.name
    args: Any
    if name == "TC_CREW_CLEAR":
        kind, args = TelecommandKind.CREW_CLEAR, NoArgs()
    elif name == "TC_GO":
        kind, args = TelecommandKind.GO, BurnRef(int(msg["burn_id"]))
    elif name == "TC_NO_GO":
        kind, args = TelecommandKind.NO_GO, BurnRef(int(msg["burn_id"]))
    elif name == "TC_ABORT":
        kind, args = TelecommandKind.ABORT, NoArgs()
    elif name == "TC_SAFE":
        kind, args = TelecommandKind.SAFE, NoArgs()
    elif name == "TC_STATE_VECTOR":
        kind = TelecommandKind.STATE_VECTOR
        args = StateVectorArgs(float(msg["epoch_unix_s"]) - J2000_UNIX_S,
                               tuple(float(msg[f"r_eci_m_{a}"]) for a in "xyz"),  # type: ignore[arg-type]
                               tuple(float(msg[f"v_eci_mps_{a}"]) for a in "xyz"))  # type: ignore[arg-type]
    elif name == "TC_SET_AIM":
        kind, args = TelecommandKind.SET_AIM, AimArgs(float(msg["aim_lat_deg"]), float(msg["aim_lon_deg"]))
    elif name == "TC_SET_IMU_RATE":
        kind, args = TelecommandKind.SET_IMU_RATE, ImuRateArgs(float(msg["output_rate_hz"]))
    else:
        return None
    return Telecommand(cid, kind, args, key_id=key_id, auth_seq=arsn)


class LinkGroundPort:
    """``GroundPort`` over a link: authenticated telecommands in; TC_ACK, FLIGHT_TM, FLIGHT_EVENT out."""

    def __init__(self, link: Link, authenticator: Authenticator) -> None:
        self.link = link
        self.auth = authenticator
        self.writer = PacketWriter()
        self.executive: Executive | None = None
        self._pending: dict[int, tuple[int, int, int, int]] = {}  # command id -> apid, seq, key, arsn
        self._event_seq = itertools.count(1)
        self.rejected = 0
        self.accepted = 0

    def _t(self) -> float:
        ex = self.executive
        return ex.t_s if ex is not None and ex.t_s is not None else 0.0

    def telecommands(self) -> AsyncIterator[Telecommand]:
        """A cancellation-safe iterator (the executive bounds every wait for the next command)."""
        return self

    def __aiter__(self) -> LinkGroundPort:
        return self

    async def __anext__(self) -> Telecommand:
        while True:
            try:
                raw = await self.link.recv(timeout_s=1.0)
            except TimeoutError:
                continue
            except LinkClosedError:
                raise StopAsyncIteration from None
            checked = check(raw, self.auth)
            tc = None
            if checked.message is not None and checked.verdict is not None:
                tc = telecommand_from_message(checked.message, checked.verdict.key_id, checked.verdict.arsn)
            if tc is None:
                self.rejected += 1
                values = checked.ack_values(cat.AckStage.REJECTED)
                if checked.accepted:
                    values["reason"] = cat.AckReason.UNKNOWN_COMMAND
                await self.link.send(self.writer.encode("TC_ACK", values, self._t()))
                continue
            self.accepted += 1
            assert checked.verdict is not None
            self._pending[tc.command_id] = (checked.apid, checked.seq_count, checked.verdict.key_id,
                                            checked.verdict.arsn)
            return tc

    async def acknowledge(self, ack: TelecommandAck) -> None:
        apid, seq, key_id, arsn = self._pending.pop(ack.command_id, (0, 0, 0, 0))
        await self.link.send(self.writer.encode("TC_ACK", {
            "acked_apid": apid, "acked_seq_count": seq, "command_id": ack.command_id, "key_id": key_id,
            "arsn": arsn, "stage": cat.AckStage.ACCEPTED if ack.accepted else cat.AckStage.REJECTED,
            "reason": ACK_REASONS[ack.reason]}, self._t()))

    async def send_telemetry(self, tm: Telemetry) -> None:
        ex = self.executive
        if tm.source != "sequencer" or ex is None:
            return  # FLIGHT_TM carries the whole state once per housekeeping period
        v = tm.values
        r = np.zeros(3)
        vel = np.zeros(3)
        hp = ha = 0.0
        if ex.nav.has_orbit:
            o = ex.nav.orbit()
            r, vel = np.asarray(o.r_eci_m), np.asarray(o.v_eci_mps)
            hp, ha = apsis_altitudes_m(r, vel)
        q = ex.nav.q_body_from_eci
        flags = cat.FlightFlags(0)
        if v.get("crew_clear"):
            flags |= cat.FlightFlags.CREW_CLEAR
        if ex.nav.has_orbit:
            flags |= cat.FlightFlags.NAV_VALID
        dry_mass_kg = (ex.guidance.config if ex.guidance is not None else CampaignConfig()).dry_mass_kg
        err = ex.attitude_error_rad
        dv_target = float(v.get("dv_target_mps", math.nan))
        values = {
            "phase": cat.FlightPhase[str(v["state"])] if str(v["state"]) in cat.FlightPhase.__members__
            else cat.FlightPhase.IDLE,
            "burn_id": int(v["burn_id"]) if int(v["burn_id"]) >= 0 else NO_BURN,
            "burns_done": min(int(v["burns_done"]), 255), "flags": flags,
            **{f"r_eci_m_{a}": float(r[i]) for i, a in enumerate("xyz")},
            **{f"v_eci_mps_{a}": float(vel[i]) for i, a in enumerate("xyz")},
            **{f"q_body_from_eci_{c}": float(q[i]) for i, c in enumerate("wxyz")},
            "attitude_error_rad": err if math.isfinite(err) else 0.0,
            "dv_target_mps": dv_target if math.isfinite(dv_target) else 0.0,
            "dv_achieved_mps": float(v.get("dv_measured_mps", 0.0)),
            "propellant_kg": max(0.0, ex.nav.orbit().mass_kg - dry_mass_kg) if ex.nav.has_orbit else 0.0,
            "perigee_alt_m": hp, "apogee_alt_m": ha, "control_cycle": ex.cycle % (1 << 32),
            "tc_accepted": self.accepted % (1 << 32), "tc_rejected": self.rejected % (1 << 32),
        }
        await self.link.send(self.writer.encode("FLIGHT_TM", values, tm.t_s))

    async def send_event(self, event: Event) -> None:
        burn = event.data.get("burn_id", NO_BURN)
        await self.link.send(self.writer.encode("FLIGHT_EVENT", {
            "event_seq": next(self._event_seq) % (1 << 32), "severity": int(event.severity), "code": 0,
            "burn_id": int(burn) if isinstance(burn, int) and 0 <= burn < NO_BURN else NO_BURN,
            "value": 0.0, "text": f"{event.name}: {event.message}"[:cat.TEXT_OCTETS]}, event.t_s))


class _StartupExecutive(Executive):
    """The executive that initialises the attitude from the first state vector (see the module docstring)."""

    attitude_set = False

    async def _apply(self, intents: Any) -> None:
        from flight.commanding import ApplyStateVector

        for it in intents:
            if isinstance(it, ApplyStateVector) and not self.attitude_set:
                r = np.asarray(it.r_eci_m)
                v = np.asarray(it.v_eci_mps)
                z = -r / np.linalg.norm(r)
                h = np.cross(r, v)
                y = -h / np.linalg.norm(h)
                self.nav.set_attitude(it.epoch_s, quat_from_dcm(np.vstack([np.cross(y, z), y, z])))
                self.attitude_set = True
                if self.guidance is None:
                    self.guidance = Guidance(it.epoch_s)
        await super()._apply(intents)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="flight", description="ISS deorbit flight software.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run = sub.add_parser("run", help="run the flight software against boards on links",
                         description="Run the flight software against IMU and thruster boards and a ground "
                                     "station on serial ports or an MQTT broker.")
    run.add_argument("--imu", required=True, metavar="URL", help="IMU board link (serial://, mqtt://, loop://)")
    run.add_argument("--thrusters", required=True, metavar="URL", help="thruster board link")
    run.add_argument("--ground", required=True, metavar="URL", help="ground station link")
    run.add_argument("--config", metavar="FILE",
                     help="flight configuration (TOML; [flight] table or top level)")
    run.add_argument("--keys", metavar="FILE", help="telecommand keys (JSON); default from the environment")
    run.add_argument("--journal", metavar="FILE", default="flight.journal",
                     help="flight journal (created when missing; default %(default)s)")
    run.add_argument("--campaign-start", type=float, metavar="T_S", default=None,
                     help="campaign start, seconds since J2000 (default: the first state vector's epoch)")
    return p


def _prepare(args: argparse.Namespace) -> tuple[FlightConfig, KeyRing, dict[str, Link], Journal]:
    """Everything that reads files or parses URLs, before the event loop starts."""
    cfg = load_config(args.config) if args.config else FlightConfig()
    links = {name: open_link(url, name if name != "thrusters" else "thruster", "host")
             for name, url in (("imu", args.imu), ("thrusters", args.thrusters), ("ground", args.ground))}
    keys = KeyRing.from_file(args.keys) if args.keys else KeyRing.from_env()
    path = Path(args.journal)
    journal = Journal.open(path, create=not path.exists())
    return cfg, keys, links, journal


async def _run(args: argparse.Namespace, cfg: FlightConfig, keys: KeyRing, links: dict[str, Link],
               journal: Journal) -> int:
    try:
        async with contextlib.AsyncExitStack() as stack:
            for name, link in links.items():
                try:
                    await stack.enter_async_context(link)
                except (OSError, LinkError, TimeoutError) as exc:
                    raise FlightCliError(f"cannot open the {name} link {link.name}: {exc}") from None
            auth = Authenticator(keys)
            state = journal.auth_state
            if isinstance(state, dict):
                auth.restore_state(state)
            ground = LinkGroundPort(links["ground"], auth)
            driver_events: list[Event] = []  # before the executive exists; then forwarded to it

            def forward(event: Event) -> None:
                if ground.executive is not None:
                    ground.executive.emit_event(event)
                else:
                    driver_events.append(event)

            imu = await stack.enter_async_context(ImuDriver(links["imu"], on_event=forward))
            thr = await stack.enter_async_context(
                ThrusterDriver(links["thrusters"], period_s=cfg.control_cycle_s, on_event=forward))
            seq, startup = Sequencer.restore(cfg, journal.plan_record, journal.burns, 0.0, journal.ignitions)
            commander = Commander(seq, cfg, handled_ids=journal.handled_command_ids)
            nav = Navigator(np.array([1.0, 0.0, 0.0, 0.0]))
            guidance = Guidance(args.campaign_start) if args.campaign_start is not None else None
            ex = _StartupExecutive(imu, thr, ground, navigator=nav, sequencer=seq, commander=commander,
                                   guidance=guidance, journal=journal, config=cfg,
                                   exec_config=ExecutiveConfig(), startup_intents=list(startup))
            ground.executive = ex
            for event in driver_events:
                ex.emit_event(event)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, stop.set)
            print(f"flight: running (imu {args.imu}, thrusters {args.thrusters}, ground {args.ground})",
                  file=sys.stderr)
            report = await ex.run(stop)
            print(f"flight: stopped ({report.reason}); {report.control['cycles']} cycles, "
                  f"{report.control['deadline_misses']} deadline misses", file=sys.stderr)
            return 0
    finally:
        journal.close()


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return asyncio.run(_run(args, *_prepare(args)))
    except (FlightCliError, ConfigError, SecurityError, LinkError, JournalError) as exc:
        print(f"flight: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("flight: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"flight: {exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
