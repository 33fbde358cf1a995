"""``flight run``: the flight software alone against boards on serial ports or an MQTT broker.

A composition root: it opens the IMU, thruster and ground links from their URLs, puts the IMU and thruster
drivers and a ground port (below) on them, builds the flight software (navigation, guidance, sequencer,
commander, control, FDIR, journal) and runs the executive until interrupted. Every problem a user can cause
(bad URL, missing port, unreachable broker, unreadable configuration or key file) is one line on stderr
and a non-zero exit status, never a traceback.

Ground link (channel ``ground``, the flight computer on the ``board`` end, as in the ICD): the ground
driver (``hil.drivers.ground``, the same one the campaign runner uses) verifies every telecommand (keys from
``--keys`` or the environment, as ``flight.security`` describes), hands the authentic ones to the
commander and answers every one with TC_ACK; telemetry goes out as FLIGHT_TM and events as FLIGHT_EVENT.

Start-up: navigation has no orbit and no attitude reference until the ground's first state vector; the
attitude is then initialised to the local orbital frame with +x along the velocity (the station's flying
attitude, as the truth simulation starts it), and guidance plans from there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

import numpy as np

from firmware_bindings.attitude import quat_from_dcm
from flight.commanding import Commander
from flight.config import ConfigError, FlightConfig, load_config
from flight.executive import Executive, ExecutiveConfig
from flight.guidance import CampaignConfig, Guidance
from flight.journal import Journal, JournalError
from flight.navigation import Navigator
from flight.ports import (
    Event,
)
from flight.security import Authenticator, KeyRing, SecurityError
from flight.sequencer import Sequencer
from hil.campaign import campaign_config, flight_config
from hil.cli import run_async
from hil.drivers.ground import GroundDriver
from hil.drivers.imu import ImuDriver
from hil.drivers.thruster import ThrusterDriver
from hil.links import open_link
from hil.links.base import Link, LinkError
from hil.scenario import Scenario, ScenarioError
from hil.scenario import load as load_scenario


class FlightCliError(Exception):
    """A user-facing error: one line, non-zero exit."""


class _StartupExecutive(Executive):
    """The executive that initialises the attitude from the first state vector (see the module docstring)."""

    attitude_set = False
    campaign: CampaignConfig = CampaignConfig()
    mass_kg: float = 450e3  # the stack's mass when navigation starts from the first state vector

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
                if not self.nav.has_orbit:
                    self.nav.apply_state_vector(it.epoch_s, it.r_eci_m, it.v_eci_mps, self.mass_kg)
                self.attitude_set = True
                if self.guidance is None:
                    self.guidance = Guidance(it.epoch_s, self.campaign)
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
    run.add_argument("--scenario", default="iss-deorbit", metavar="NAME|FILE",
                     help="the mission: vehicle mass, campaign, target zone and flight configuration "
                          "(default %(default)s)")
    run.add_argument("--config", metavar="FILE",
                     help="flight configuration (TOML; [flight] table or top level) over the scenario's")
    run.add_argument("--keys", metavar="FILE", help="telecommand keys (JSON); default from the environment")
    run.add_argument("--journal", metavar="FILE", default="flight.journal",
                     help="flight journal (created when missing; default %(default)s)")
    run.add_argument("--campaign-start", type=float, metavar="T_S", default=None,
                     help="campaign start, seconds since J2000 (default: the first state vector's epoch)")
    return p


def _prepare(args: argparse.Namespace) -> tuple[Scenario, FlightConfig, KeyRing, dict[str, Link], Journal]:
    """Everything that reads files or parses URLs, before the event loop starts."""
    scenario = load_scenario(args.scenario)
    cfg = flight_config(scenario)
    if args.config:
        cfg = load_config(args.config, cfg)
    # the flight computer is the host of its boards and the board end of the ground channel (docs/icd.md)
    links = {name: open_link(url, channel, role) for name, url, channel, role in (
        ("imu", args.imu, "imu", "host"), ("thrusters", args.thrusters, "thruster", "host"),
        ("ground", args.ground, "ground", "board"))}
    keys = KeyRing.from_file(args.keys) if args.keys else KeyRing.from_env()
    path = Path(args.journal)
    journal = Journal.open(path, create=not path.exists())
    return scenario, cfg, keys, links, journal


async def _run(args: argparse.Namespace, scenario: Scenario, cfg: FlightConfig, keys: KeyRing,
               links: dict[str, Link], journal: Journal) -> int:
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
            executive: list[Executive] = []
            driver_events: list[Event] = []  # before the executive exists; then forwarded to it

            def forward(event: Event) -> None:
                if executive:
                    executive[0].emit_event(event)
                else:
                    driver_events.append(event)

            ground = await stack.enter_async_context(GroundDriver(
                links["ground"], auth, on_event=forward,
                time_source=lambda: executive[0].t_s if executive else None))

            # the IMU is silent for up to a coast period between samples (0.1 Hz by default)
            quiet_s = 3.0 / cfg.imu_rate_coast_hz
            imu = await stack.enter_async_context(
                ImuDriver(links["imu"], on_event=forward, stale_after_s=quiet_s))
            thr = await stack.enter_async_context(
                ThrusterDriver(links["thrusters"], period_s=cfg.control_cycle_s, on_event=forward))
            seq, startup = Sequencer.restore(cfg, journal.plan_record, journal.burns, 0.0, journal.ignitions)
            commander = Commander(seq, cfg, handled_ids=journal.handled_command_ids)
            nav = Navigator(np.array([1.0, 0.0, 0.0, 0.0]))
            campaign = campaign_config(scenario)
            guidance = Guidance(args.campaign_start, campaign) if args.campaign_start is not None else None
            ex = _StartupExecutive(imu, thr, ground, navigator=nav, sequencer=seq, commander=commander,
                                   guidance=guidance, journal=journal, config=cfg,
                                   exec_config=ExecutiveConfig(),
                                   startup_intents=list(startup))
            ex.campaign = campaign
            ex.mass_kg = scenario.vehicle.mass_kg
            executive.append(ex)
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
        return run_async(_run(args, *_prepare(args)), "flight")
    except (FlightCliError, ConfigError, SecurityError, LinkError, JournalError, ScenarioError) as exc:
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
