"""The composition root: one place that wires a whole emulated campaign together and runs it.

    result = asyncio.run(run_campaign(RunOptions("iss-final-burn", transport="serial", out=Path("runs/x"))))

Wiring (DESIGN.md section 3): the scenario's truth plant (``hil.plant``) on a simulation clock
(``hil.ground.timing.WatchedClock``, a ``hil.clock.SimClock`` that the ground can hold); the emulated IMU
and thruster boards on the board ends of two links; the flight software (``flight.executive``: navigation,
guidance, sequencer, control, FDIR) on the host ends through the drivers of ``hil.drivers``; the ground
link with the flight software's ground port (``hil.drivers.ground``) and mission control
(``hil.ground.station``). Transports: ``serial`` (every link through a pseudo-terminal pair: nothing to
set up), ``mqtt`` (a broker URL) and ``loopback`` (in process).

With ``flight="external"`` the flight software is not in this process: a flight computer (``flight run``,
or real flight hardware) takes the other ends of the IMU and thruster links and the board end of the ground
link, whose URLs ``on_flight_links`` receives once they are open. The rig (plant, boards, mission control)
runs as before, lockstep included (the gate waits for the flight computer's commands). Until the flight
computer answers its first sample, the IMU board sends that sample again every half second (a serial port
discards what arrived before it was opened; the flight side drops duplicates), for at most
``FLIGHT_COMPUTER_WAIT_S``. The burns in ``summary.json`` then come from the flight computer's telemetry.

The run folder (``hil.report``) receives the key file, every link's packets with their time tags, the
events, the ground's log, the truth samples and, at the end, ``summary.json``, plots and ``report.html``.
The run ends when the truth breaks up (re-entry), at the scenario's ``end_limit_days``, or when the flight
software stops; the outcome is ``reentry_in_zone`` only when every truth fragment impact lies inside the
zone.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from firmware_bindings.frames import WGS84_A_M
from firmware_bindings.targeting import Zone
from flight.config import FlightConfig, config_from_mapping
from flight.executive import Executive, ExecutiveConfig
from flight.guidance import DAY_S, CampaignConfig, Guidance, LoweringBurnSpec
from flight.navigation import Navigator, OrbitState
from flight.ports import Event, Severity
from flight.security import Authenticator
from flight.sequencer import ARMED_STATES, THRUSTING_STATES
from hil.boards.imu import ImuBoard
from hil.boards.imu_model import grade
from hil.boards.thruster import ThrusterBoard
from hil.boards.thruster_logic import ThrusterBoardConfig
from hil.clock import TimeMode
from hil.drivers.ground import NO_BURN, GroundDriver
from hil.drivers.imu import ImuDriver
from hil.drivers.packets import message_t_s
from hil.drivers.thruster import ThrusterDriver
from hil.ground.keys import KEY_FILE_NAME, load_keys, write_key_file
from hil.ground.station import GroundPlan, GroundStation, MissionControl, Tracker
from hil.ground.timing import GroundTime, WatchedClock
from hil.links import LoopbackHub, PtyLink, open_link
from hil.links.base import Link
from hil.plant import Plant
from hil.protocol.catalogue import FlightPhase
from hil.protocol.schema import Message
from hil.report.faults import FaultPlan, load_faults
from hil.report.record import (
    RunRecorder,
    burns_summary,
    link_summary,
    outcome_of,
    predicted_footprint,
    utc_of,
)
from hil.scenario import Scenario, load

TRANSPORTS = ("serial", "mqtt", "loopback")
CHANNELS = ("imu", "thruster", "ground")
TRUTH_SAMPLE_S = 60.0  # truth samples for the plots: every minute above the entry interface
TRUTH_SAMPLE_ENTRY_S = 2.0  # and every two seconds below it
STALL_TIMEOUT_S = 10.0
FLIGHTS = ("internal", "external")
#: External flight: how long the rig waits for the flight computer to answer its first IMU sample.
FLIGHT_COMPUTER_WAIT_S = 120.0
#: External flight: the IMU board's first sample goes out again this often until it is answered.
HELLO_PERIOD_S = 0.5


class CampaignError(Exception):
    """A run could not be set up (bad option, missing broker...); the message is one sentence."""


@dataclass
class RunOptions:
    scenario: str | Path = "iss-deorbit"
    transport: str = "serial"
    broker: str | None = None  # mqtt://host:port[/prefix]
    time_mode: str = "lockstep"
    seed: int = 0
    faults: Path | None = None
    out: Path = Path("runs/latest")
    progress: Callable[[Progress], None] | None = None
    progress_period_s: float = 0.25  # wall time between progress reports
    # PNG plots and the HTML report (every other file is always written): always, never, or "failures" (only
    # when the outcome is not reentry_in_zone, as a Monte Carlo campaign keeps them)
    plots: bool | str = True
    # truth.csv and burns.csv: the same choices (a Monte Carlo run that keeps only its summary needs none)
    tables: bool | str = True
    flight: str = "internal"  # "external": a flight computer takes the flight ends of the links
    #: external flight: called with the URL of each link the flight computer opens (imu, thrusters, ground)
    on_flight_links: Callable[[dict[str, str]], None] | None = None
    #: external flight: how long to wait for the flight computer to answer the first IMU sample
    flight_wait_s: float = FLIGHT_COMPUTER_WAIT_S


@dataclass(frozen=True)
class Progress:
    """Where the run is, for a progress display."""

    t_mission_s: float  # spacecraft time since the start
    t_limit_s: float
    altitude_km: float
    perigee_km: float
    phase: str
    burns_done: int
    wall_s: float


@dataclass
class RunResult:
    out_dir: Path
    summary: dict[str, Any]

    @property
    def outcome(self) -> str:
        return str(self.summary["outcome"])

    @property
    def success(self) -> bool:
        return self.outcome == "reentry_in_zone"


# --------------------------------------------------------------------------------- configuration


def zone_of(scenario: Scenario) -> Zone:
    z = scenario.zone()
    poly = z["polygon_lat_lon_deg"]
    return Zone(
        str(z["name"]),
        tuple(math.radians(p[0]) for p in poly),
        tuple(math.radians(p[1]) for p in poly),
        math.radians(z["aim_point"]["lat_deg"]),
        math.radians(z["aim_point"]["lon_deg"]),
    )


def campaign_config(scenario: Scenario) -> CampaignConfig:
    """Guidance's campaign from the scenario's ``[campaign]``, ``[vehicle]`` and ``[target]`` tables.

    ``perigee_lowering_burns`` = n: n - 1 burns placed in the first 2.5 days, stepping the perigee down to
    190 km, and one burn to ``intermediate_perigee_km`` one revolution before the final burn (guidance's
    timeline: a 145 km perigee decays within hours, so the stack flies it only briefly).
    """
    c = scenario.campaign
    n = c.perigee_lowering_burns
    start_hp_m = scenario.orbit.perigee_alt_km * 1e3
    lowering: list[LoweringBurnSpec] = []
    for i in range(1, n):
        frac = i / (n - 1)
        hp = start_hp_m - (start_hp_m - 190e3) * frac
        lowering.append(LoweringBurnSpec(f"PLB-{i}", max(hp, 100e3), offset_s=2.5 * DAY_S * frac))
    if n >= 1:
        lowering.append(LoweringBurnSpec(f"PLB-{n}", c.intermediate_perigee_km * 1e3, lead_s=5300.0))
    zone = zone_of(scenario)
    base = CampaignConfig()
    return replace(
        base,
        lowering=tuple(lowering),
        final_offset_s=c.final_burn_after_days * DAY_S,
        final_hp_m=c.final_perigee_km * 1e3,
        zone=zone,
        aim_lat_rad=zone.aim_lat_rad,
        aim_lon_rad=zone.aim_lon_rad,
        dry_mass_kg=scenario.vehicle.dry_mass_kg,
    )


def flight_config(scenario: Scenario) -> FlightConfig:
    """The flight software's configuration: defaults overridden by the scenario's ``[flight]`` table."""
    return config_from_mapping(scenario.flight) if scenario.flight else FlightConfig()


def initial_navigator(scenario: Scenario, plant: Plant, tracker: Tracker) -> Navigator:
    """The flight software's navigation at the start: from the last tracking solution before the run (loaded
    with the stack's mass before handover, as a flight computer is) and the attitude the stack holds."""
    tr0 = plant.truth()
    epoch0, r0, v0 = tracker.state_vector()
    nav = Navigator(
        tr0.q_body_from_eci,
        orbit=OrbitState(
            epoch0,
            (float(r0[0]), float(r0[1]), float(r0[2])),
            (float(v0[0]), float(v0[1]), float(v0[2])),
            scenario.vehicle.mass_kg,
        ),
    )
    nav.set_attitude(tr0.t_s, tr0.q_body_from_eci)
    return nav


def make_executive(
    imu: ImuDriver,
    thr: ThrusterDriver,
    ground: GroundDriver,
    scenario: Scenario,
    nav: Navigator,
    lockstep: bool,
    on_event: Callable[[Event], None],
) -> Executive:
    """The flight software of a scenario on its ports (re-planning inline in lockstep: deterministic)."""
    return Executive(
        imu,
        thr,
        ground,
        navigator=nav,
        guidance=Guidance(nav.orbit().t_s if nav.has_orbit else 0.0, campaign_config(scenario)),
        config=flight_config(scenario),
        exec_config=ExecutiveConfig(imu_timeout_s=30.0, port_timeout_s=5.0, plan_inline=lockstep),
        on_event=on_event,
    )


# --------------------------------------------------------------------------------- links


class _Links:
    """Board and host ends of the three channels for one transport (entered in the right order)."""

    def __init__(
        self,
        transport: str,
        broker: str | None,
        run_name: str,
        faults: FaultPlan | None = None,
        seed: int = 0,
        external: bool = False,
    ) -> None:
        self.external = external
        self.faults = faults or FaultPlan()
        self.seed = seed
        self.transport = transport
        self.broker = broker
        self.run_name = run_name
        self.hub = LoopbackHub()
        self.board: dict[str, Link] = {}
        self.host: dict[str, Link] = {}
        #: external flight: the URL of the flight computer's end of each channel
        self.flight_urls: dict[str, str] = {}

    def rig_ends(self) -> dict[str, tuple[Link, bool]]:
        """The rig's end of each channel that is open in this process: (link, is the board end)."""
        ends: dict[str, tuple[Link, bool]] = {}
        for ch in CHANNELS:
            ends[ch] = (self.host[ch], False) if ch in self.host else (self.board[ch], True)
        return ends

    def _open_external(self, ch: str) -> tuple[Link, str]:
        """The rig's end of channel ``ch`` with a flight computer elsewhere (the boards' ends of the IMU and
        thruster links, the ground's end of the ground link) and the URL the flight computer opens."""
        role = "host" if ch == "ground" else "board"
        if self.transport == "serial":
            pty = PtyLink(ch, role)
            return pty, ""  # the path is known once the link is open
        assert self.broker is not None
        return open_link(self.broker, ch, role), self.broker

    @contextlib.asynccontextmanager
    async def _open_for_external(self) -> AsyncIterator[_Links]:
        async with contextlib.AsyncExitStack() as stack:
            for ch in CHANNELS:
                link, url = self._open_external(ch)
                side = "host" if ch == "ground" else "board"
                wrapped = self.faults.wrap(link, ch, side, self.seed)
                (self.host if side == "host" else self.board)[ch] = wrapped
                await stack.enter_async_context(wrapped)
                self.flight_urls[ch] = f"serial://{link.path}" if isinstance(link, PtyLink) else url
            yield self

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[_Links]:
        if self.external:
            async with self._open_for_external() as links:
                yield links
            return
        async with contextlib.AsyncExitStack() as stack:
            for ch in CHANNELS:
                if self.transport == "serial":
                    self.board[ch] = PtyLink(ch, "board")
                elif self.transport == "mqtt":
                    assert self.broker is not None
                    self.board[ch] = open_link(self.broker, ch, "board")
                else:
                    self.board[ch] = open_link(f"loop://{self.run_name}", ch, "board", hub=self.hub)
                self.board[ch] = self.faults.wrap(self.board[ch], ch, "board", self.seed)
                await stack.enter_async_context(self.board[ch])
            for ch in CHANNELS:
                if self.transport == "serial":
                    pty = getattr(self.board[ch], "inner", self.board[ch])
                    assert isinstance(pty, PtyLink)
                    self.host[ch] = open_link(f"serial://{pty.path}", ch, "host")
                elif self.transport == "mqtt":
                    assert self.broker is not None
                    self.host[ch] = open_link(self.broker, ch, "host")
                else:
                    self.host[ch] = open_link(f"loop://{self.run_name}", ch, "host", hub=self.hub)
                self.host[ch] = self.faults.wrap(self.host[ch], ch, "host", self.seed)
                await stack.enter_async_context(self.host[ch])
            yield self


# --------------------------------------------------------------------------------- the run


@dataclass
class _State:
    events: list[Event] = field(default_factory=list)
    end_reason: str = ""
    error: str = ""
    predicted: Any = None
    running: bool = False


class _InProcessFlight:
    """The flight software in this process: the executive on the drivers at the host ends of the links."""

    def __init__(self, links: _Links, scenario: Scenario, plant: Plant, tracker: Tracker, keys: Any,
                 lockstep: bool, state: _State, rec: RunRecorder) -> None:
        self.links = links
        self.scenario = scenario
        self.plant = plant
        self.tracker = tracker
        self.keys = keys
        self.lockstep = lockstep
        self.state = state
        self.rec = rec
        self.ex: Executive | None = None
        self.ground_port: GroundDriver | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        links, scenario, state, rec = self.links, self.scenario, self.state, self.rec
        nav = initial_navigator(scenario, self.plant, self.tracker)

        def on_event(ev: Event) -> None:
            state.events.append(ev)
            rec.event(ev)

        self.ground_port = GroundDriver(
            links.board["ground"], Authenticator(self.keys),
            time_source=lambda: self.ex.t_s if self.ex is not None else None,
        )
        async with (
            ImuDriver(links.host["imu"]) as imu,
            ThrusterDriver(links.host["thruster"], period_s=flight_config(scenario).control_cycle_s) as thr,
            self.ground_port,
        ):
            self.ex = make_executive(imu, thr, self.ground_port, scenario, nav, self.lockstep, on_event)
            yield

    def watch(self, station: GroundStation) -> None:
        """Nothing to learn from the ground's telemetry: the flight software is in this process."""

    def on_cycle(self, t_k: float) -> None:
        ex = self.ex
        assert ex is not None
        if ex.plan is not None and ex.plan.footprint is not None:
            self.state.predicted = ex.plan.footprint  # the latest prediction the flight software made
        st = ex.seq.state
        if st in ARMED_STATES or st in THRUSTING_STATES:
            plan = ex.seq.plan
            self.rec.burn_sample(t_k, st.value, -1 if plan is None else plan.burn_id, ex.attitude_error_rad,
                                 ex.thrust_axis_error_rad, ex.seq.dv_measured_mps, self.plant.propellant_kg)

    async def fly(self, stop: asyncio.Event) -> str:
        assert self.ex is not None
        return (await self.ex.run(stop)).reason

    @property
    def phase(self) -> str:
        return self.ex.seq.state.value if self.ex is not None else "-"

    @property
    def burns_done(self) -> int:
        return len(self.ex.seq.burns) if self.ex is not None else 0

    def burns(self, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        return burns_summary(dict(self.ex.seq.burns), rows) if self.ex is not None else []

    def control(self) -> dict[str, Any]:
        return dict(self.ex.deadline.summary()) if self.ex is not None else {}

    def summary(self) -> dict[str, Any]:
        ex, port = self.ex, self.ground_port
        if ex is None or port is None:
            return {}
        return {
            "sequencer_state": ex.seq.state.value,
            "commands_sent": ex.commands_sent,
            "fdir": dict(ex.fdir.counts),
            "telecommands": dict(port.authenticator.counts),
        }


#: Flight phases in which a burn's delta-v is measured (its telemetry counts for the burn's record).
_BURN_PHASES = frozenset({FlightPhase.IGNITION, FlightPhase.BURN, FlightPhase.CUTOFF, FlightPhase.TRIM})


class _ExternalFlight:
    """A flight computer in another process or on other hardware: what the rig knows of it comes from the
    links (commands held, loop latency) and from its telemetry to the ground (phase, burns)."""

    def __init__(self, imu_board: ImuBoard, thr_board: ThrusterBoard, clock: WatchedClock, state: _State,
                 rec: RunRecorder, plant: Plant, wait_s: float = FLIGHT_COMPUTER_WAIT_S) -> None:
        self.wait_s = wait_s
        self.plant = plant
        self.imu_board = imu_board
        self.thr_board = thr_board
        self.clock = clock
        self.state = state
        self.rec = rec
        self.phase = "waiting"
        self.burns_done = 0
        self._tm: Message | None = None
        self._burns: dict[int, dict[str, Any]] = {}
        self._names: dict[int, str] = {}
        self._next_name = ""
        self._results: dict[int, tuple[str, float]] = {}  # burn id: (outcome, measured delta-v m/s)
        self.tm_count = 0
        self._answered = asyncio.Event()
        self._stall_timeout_s = clock.stall_timeout_s
        clock.stall_timeout_s = wait_s  # the first sample waits for the flight computer

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        yield

    def watch(self, station: GroundStation) -> None:
        station.tm_listeners.append(self._on_tm)
        station.event_listeners.append(self._on_event)

    def _on_tm(self, msg: Message) -> None:
        self.tm_count += 1
        t = message_t_s(msg)
        phase = FlightPhase(msg["phase"])
        self.phase = phase.name
        self.burns_done = int(msg["burns_done"])
        burn = int(msg["burn_id"])
        if burn != NO_BURN and burn not in self._names and self._next_name:
            self._names[burn] = self._next_name
        if phase in _BURN_PHASES and burn != NO_BURN:
            b = self._burns.setdefault(burn, {"t_ignition_s": t, "t_end_s": t})
            b["t_end_s"] = t
            b["dv_target_mps"] = float(msg["dv_target_mps"])
            b["dv_achieved_mps"] = float(msg["dv_achieved_mps"])
            self.rec.burn_sample(t, phase.name.lower(), burn, float(msg["attitude_error_rad"]), math.nan,
                                 float(msg["dv_achieved_mps"]), self.plant.propellant_kg)

    def _on_event(self, msg: Message) -> None:
        """A flight software event, as the ground received it: into the run's event record; a plan names the
        next burn, a burn result gives its outcome and measured delta-v."""
        text = str(msg["text"])
        name, _, message = text.partition(": ")
        t = message_t_s(msg)
        try:
            severity = Severity(int(msg["severity"]))
        except ValueError:
            severity = Severity.INFO
        ev = Event(t, severity, name, message, {"burn_id": int(msg["burn_id"]), "value": float(msg["value"])})
        self.state.events.append(ev)
        self.rec.event(ev)
        if name == "guidance.plan" and "next " in message:
            nxt = message.rsplit("next ", 1)[1].strip()
            self._next_name = "" if nxt == "none" else nxt
        elif name == "sequencer.burn_result" and int(msg["burn_id"]) != NO_BURN:
            words = message.split()  # "burn N OUTCOME: ..."
            self._results[int(msg["burn_id"])] = (words[2].rstrip(":") if len(words) > 2 else "reported",
                                                  float(msg["value"]))

    def on_cycle(self, t_k: float) -> None:
        if not self._answered.is_set():
            self._answered.set()
            self.clock.stall_timeout_s = self._stall_timeout_s
            del self.clock.loop_latency_s[:]  # the first cycle waited for the flight computer to start

    async def fly(self, stop: asyncio.Event) -> str | None:
        """Send the first IMU sample again until the flight computer answers it (bounded), then wait for the
        end of the run."""
        link = self.imu_board.link
        try:
            async with asyncio.timeout(self.wait_s):
                while not self._answered.is_set():
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(HELLO_PERIOD_S):
                            await self._answered.wait()
                    packet = self.imu_board.last_data_packet
                    if not self._answered.is_set() and packet is not None:
                        await link.send(packet)
        except TimeoutError:
            self.state.error = (f"no flight computer answered the IMU board within {self.wait_s:g} s "
                                f"(is flight run connected to the links printed at the start?)")
            stop.set()
            return "no flight computer"
        await stop.wait()
        return None

    def burns(self, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        """Each burn as the flight computer reported it: name from its plan event, times from its telemetry
        (1 Hz: to a second), outcome and measured delta-v from its burn result event (the telemetry's last
        figure when none came), with the truth's propellant use over that time."""
        out = []
        for bid in sorted(self._burns):
            b = self._burns[bid]
            mine = [r for r in rows if r[2] == bid]
            outcome, dv = self._results.get(bid, ("reported", b["dv_achieved_mps"]))
            name = self._names.get(bid, f"burn {bid}")
            out.append({
                "burn_id": bid,
                "name": name,
                "final": name == "FINAL",
                "ignition_utc": utc_of(b["t_ignition_s"]),
                "t_ignition_s": b["t_ignition_s"],
                "duration_s": b["t_end_s"] - b["t_ignition_s"],
                "dv_target_mps": b["dv_target_mps"],
                "dv_achieved_mps": dv,
                "propellant_kg": (mine[0][6] - mine[-1][6]) if len(mine) >= 2 else None,
                "outcome": outcome,
                "max_thrust_axis_error_deg": None,
            })
        return out

    def control(self) -> dict[str, Any]:
        """What the rig sees of the control loop: the commands the thruster board held."""
        return {"cycles": self.thr_board.commands_held, "deadline_misses": None}

    def summary(self) -> dict[str, Any]:
        return {"external": True, "phase": self.phase, "burns_done": self.burns_done,
                "telemetry_packets": self.tm_count}


async def run_campaign(opts: RunOptions) -> RunResult:
    """Run one campaign and write its run folder; raises CampaignError for a bad set-up."""
    if opts.transport not in TRANSPORTS:
        raise CampaignError(f"unknown transport {opts.transport!r}: use {', '.join(TRANSPORTS)}")
    if opts.transport == "mqtt" and not opts.broker:
        raise CampaignError("--transport mqtt needs a broker URL (mqtt://host:port/prefix)")
    if opts.flight not in FLIGHTS:
        raise CampaignError(f"unknown flight {opts.flight!r}: use {', '.join(FLIGHTS)}")
    if opts.flight == "external" and opts.transport == "loopback":
        raise CampaignError("an external flight computer needs --transport serial or mqtt (loopback is "
                            "in-process)")
    if opts.plots not in (True, False, "failures"):
        raise CampaignError(f"plots must be True, False or 'failures', got {opts.plots!r}")
    if opts.tables not in (True, False, "failures"):
        raise CampaignError(f"tables must be True, False or 'failures', got {opts.tables!r}")
    mode = TimeMode.parse(opts.time_mode)
    scenario = load(opts.scenario)
    faults: FaultPlan = load_faults(opts.faults) if opts.faults is not None else FaultPlan()
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before anything runs
    key_file = write_key_file(out / KEY_FILE_NAME, scenario.ground.key_id)
    keys = load_keys(key_file)

    plant = Plant.from_scenario(scenario, opts.seed)
    t0 = plant.t_s
    t_limit = t0 + scenario.end_limit_days * DAY_S
    rec = RunRecorder(out, scenario, seed=opts.seed, transport=opts.transport, time_mode=str(mode), t0_s=t0)
    clock = WatchedClock(mode, t0, stall_timeout_s=STALL_TIMEOUT_S)
    state = _State()
    fcfg = flight_config(scenario)
    wall0 = time.monotonic()

    # truth samples for the plots, taken as the plant advances (deterministic in lockstep)
    advance = plant.advance_to
    last_sample = [-math.inf]

    def advance_and_sample(t_s: float) -> None:
        advance(t_s)
        step = TRUTH_SAMPLE_ENTRY_S if plant.reentered else TRUTH_SAMPLE_S
        if plant.t_s - last_sample[0] >= step:
            last_sample[0] = plant.t_s
            rec.truth_sample(plant.truth())

    plant.advance_to = advance_and_sample  # type: ignore[method-assign]
    rec.truth_sample(plant.truth())

    external = opts.flight == "external"
    links = _Links(opts.transport, opts.broker, out.name or "run", faults, opts.seed, external=external)
    flight: _InProcessFlight | _ExternalFlight | None = None
    link_stats: dict[str, dict[str, dict[str, int] | None]] = {}
    try:
        async with links.open():
            for ch, (link, board_end) in links.rig_ends().items():
                rec.packets.attach(link, ch, lambda: plant.t_s, board_end=board_end)
            thr_board = ThrusterBoard(
                links.board["thruster"], plant, clock, ThrusterBoardConfig.from_scenario(scenario)
            )
            stop = asyncio.Event()

            async def on_advance(t_s: float) -> bool:
                # the thruster board's watchdog and reports at each sample's simulated time (deterministic)
                await thr_board.tick(t_s)
                if plant.broken_up:
                    # The truth has broken up in this advance: its sample is never emitted, so the flight
                    # software's last cycle is the sample before on every transport (emitted once the
                    # supervisor stops everything, it raced the flight software's own stop).
                    async with asyncio.timeout(STALL_TIMEOUT_S):
                        await stop.wait()
                    return False
                return True

            imu_board = ImuBoard(
                links.board["imu"],
                plant,
                clock,
                grade(scenario.imu.grade),
                seed=opts.seed,
                sample_hz=scenario.imu.sample_hz,
                output_rate_hz=fcfg.imu_rate_coast_hz,
                on_advance=on_advance,
            )
            tracker = Tracker(
                plant, scenario.ground.tracking_sigma_m, scenario.ground.tracking_sigma_mps, opts.seed
            )
            if external:
                flight = _ExternalFlight(imu_board, thr_board, clock, state, rec, plant, opts.flight_wait_s)
                if opts.on_flight_links is not None:
                    opts.on_flight_links(dict(links.flight_urls))
            else:
                flight = _InProcessFlight(links, scenario, plant, tracker, keys, mode.lockstep, state, rec)
            async with flight.running():
                clock.on_command_held = flight.on_cycle
                station = GroundStation(
                    links.host["ground"], keys, scenario.ground.key_id, on_record=rec.ground
                )
                async with station:
                    flight.watch(station)
                    mission = MissionControl(
                        station,
                        GroundTime(clock, lambda: plant.t_s),
                        tracker,
                        GroundPlan.from_scenario(scenario),
                        t0,
                        end_s=t_limit,
                    )
                    async def supervise() -> None:
                        # The end of the window and each fault act at exact times: lockstep holds them.
                        holds = GroundTime(clock, lambda: plant.t_s)
                        end_key = holds.hold(t_limit)
                        faults.place_holds(holds, t0)
                        next_report = next_flush = 0.0
                        try:
                            while True:
                                await asyncio.sleep(0.02)
                                now_wall = time.monotonic() - wall0
                                if now_wall >= next_flush:
                                    next_flush = now_wall + 1.0
                                    rec.flush()
                                if opts.progress is not None and now_wall >= next_report:
                                    next_report = now_wall + opts.progress_period_s
                                    opts.progress(_progress(plant, flight, t0, t_limit, now_wall))
                                if plant.broken_up:
                                    state.end_reason = "breakup"
                                    break
                                if holds.blocked_on(end_key) if end_key is not None else plant.t_s >= t_limit:
                                    state.end_reason = "time limit"
                                    break
                                await faults.apply_due(holds, t0, imu_board, thr_board, rec)
                        finally:
                            stop.set()
                            if opts.progress is not None:
                                opts.progress(_progress(plant, flight, t0, t_limit, time.monotonic() - wall0))

                    reason = None
                    state.running = True
                    async with asyncio.TaskGroup() as tg:
                        side = [
                            tg.create_task(imu_board.run(), name="imu-board"),
                            tg.create_task(thr_board.run(), name="thruster-board"),
                            tg.create_task(mission.run(), name="mission-control"),
                        ]
                        sup = tg.create_task(supervise(), name="supervisor")
                        # The executive runs in a task of its own: a cancellation request its task group
                        # leaves behind stays with that task and never reaches the links' clean-up here.
                        flight_task = tg.create_task(flight.fly(stop), name="flight-software")
                        try:
                            reason = await flight_task
                        finally:
                            sup.cancel()
                            for task in side:
                                task.cancel()
                    if not state.end_reason:
                        state.end_reason = reason if reason is not None else "stopped"
                    rec.ground_counts = station.counts.as_dict()
                    rec.mission = {
                        "state_vectors_sent": mission.state_vectors_sent,
                        "crew_clear_sent": mission.crew_clear_sent,
                        "go_sent": sorted(mission.go_sent),
                        "late_actions": mission.time.late_actions,
                    }
            link_stats = _link_stats(links)
    except Exception as exc:  # a run that fails part-way still leaves its record
        if not state.running or flight is None:
            rec.close()
            raise
        leaf: BaseException = exc
        while isinstance(leaf, BaseExceptionGroup) and leaf.exceptions:
            leaf = leaf.exceptions[0]
        state.error = f"{type(leaf).__name__}: {leaf}"
        state.end_reason = "error"
        if not link_stats:
            link_stats = _link_stats(links)
    summary = _summary(rec, plant, flight, clock, link_stats, faults, state, time.monotonic() - wall0, t0)
    failed = summary.get("outcome") != "reentry_in_zone"
    summary = rec.finish(summary, plots=opts.plots if isinstance(opts.plots, bool) else failed,
                         tables=opts.tables if isinstance(opts.tables, bool) else failed)
    return RunResult(out, summary)


def _link_stats(links: _Links) -> dict[str, dict[str, dict[str, int] | None]]:
    """Each channel's counters at both ends; None for an end in another process (an external flight)."""
    return {
        ch: {
            "host": links.host[ch].stats.as_dict() if ch in links.host else None,
            "board": links.board[ch].stats.as_dict() if ch in links.board else None,
        }
        for ch in CHANNELS
        if ch in links.host or ch in links.board
    }


def _summary(
    rec: RunRecorder,
    plant: Plant,
    flight: _InProcessFlight | _ExternalFlight | None,
    clock: WatchedClock,
    link_stats: dict[str, dict[str, dict[str, int] | None]],
    faults: FaultPlan,
    state: _State,
    wall_time_s: float,
    t0: float,
) -> dict[str, Any]:
    sc = plant.scenario
    footprint: dict[str, Any] | None = None
    inside: bool | None = None
    if plant.broken_up:
        try:
            fp = plant.breakup_and_impacts()
            footprint = fp.summary()
            inside = fp.inside_zone
        except Exception as exc:  # the truth's fragments could not be propagated: an error outcome
            state.error = state.error or f"debris footprint: {type(exc).__name__}: {exc}"
    footprint = dict(
        footprint
        or {
            "impacts": [],
            "heel": None,
            "toe": None,
            "length_km": None,
            "center_miss_km": None,
            "inside_zone": False,
        }
    )
    footprint["predicted"] = predicted_footprint(state.predicted)
    iface, brk = plant.interface, plant.breakup
    return {
        "scenario": sc.name,
        "scenario_file": str(Path(sc.source).resolve()) if sc.source else None,
        "seed": rec.seed,
        "transport": rec.transport,
        "time_mode": rec.time_mode,
        "outcome": outcome_of(state.error, plant.broken_up, inside),
        "end_reason": state.end_reason,
        "error": state.error or None,
        "wall_time_s": wall_time_s,
        # at breakup the truth stops; otherwise the run ended at the window's end (held there in lockstep)
        "sim_time_s": (brk.t_s if brk else plant.t_s) - t0,
        "start_utc": utc_of(t0),
        "end_utc": utc_of(plant.t_s),
        "burns": flight.burns(rec.burn_rows) if flight is not None else [],
        "reentry": {
            "interface_utc": utc_of(iface.t_s) if iface else None,
            "fpa_at_interface_deg": math.degrees(iface.fpa_rad) if iface else None,
            "breakup_utc": utc_of(brk.t_s) if brk else None,
            "breakup_alt_km": brk.altitude_m / 1e3 if brk else None,
        },
        "footprint": footprint,
        "links": {ch: link_summary(v["host"], v["board"]) for ch, v in link_stats.items()},
        "control": {**(flight.control() if flight is not None else {}),
                    # host time from the IMU board's sample to the thruster board holding its command
                    "loop_latency_ms": clock.loop_latency_summary()},
        "lockstep": {
            "stalls": clock.stall_count,
            "cycles_commanded": clock.cycles_commanded,
            "late_cycles": clock.late_cycles,
        },
        "faults_injected": faults.summary(),
        "flight": {
            **(flight.summary() if flight is not None else {}),
            "events": rec.event_count,
            "propellant_kg_truth": plant.propellant_kg,
        },
        "ground": {**rec.ground_counts, **rec.mission},
        "packets_recorded": {
            ch: {"to_board": c[0], "from_board": c[1]} for ch, c in rec.packets.counts.items()
        },
    }


def _progress(
    plant: Plant, flight: _InProcessFlight | _ExternalFlight, t0: float, t_limit: float, wall_s: float
) -> Progress:
    y = plant.state_vector
    r = float(np.linalg.norm(y[0:3]))
    return Progress(
        t_mission_s=plant.t_s - t0,
        t_limit_s=t_limit - t0,
        altitude_km=(r - WGS84_A_M) / 1e3,
        perigee_km=math.nan,
        phase=flight.phase,
        burns_done=flight.burns_done,
        wall_s=wall_s,
    )
