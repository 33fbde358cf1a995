"""Mission control: the ground station on the ground link, and the campaign's command plan.

:class:`GroundStation` is the ground's end of the link (the host side of the ``ground`` channel). It signs
telecommands with ``flight.security`` (keys from a key file or the environment, :mod:`hil.ground.keys`),
numbers them with unique command ids, and receives TC_ACK, FLIGHT_TM and FLIGHT_EVENT. Everything sent and
received goes to its log (``records`` and the ``on_record`` callback) as plain JSON-ready dicts with the
spacecraft time. Bad packets are counted and dropped.

:class:`MissionControl` flies the scenario's ground segment on spacecraft time (:mod:`hil.ground.timing`):

- the first state vector from tracking shortly after the start (the flight software has no orbit
  before it), then one every ``ground.state_vector_interval_h`` and one ``post_burn_delay_s`` after each
  completed burn (seen in telemetry);
- CREW_CLEAR at ``campaign.crew_clear_after_h`` after the start;
- GO for each burn the flight software reports planned (FLIGHT_TM phase PLANNED with its burn id),
  ``go_delay_s`` of spacecraft time after that telemetry (again after a re-plan withdraws it).

Tracking is the truth from the plant plus zero-mean Gaussian noise of the scenario's sigmas per axis, from a
seeded generator, so a run is repeatable.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, Self

import numpy as np
import numpy.typing as npt

from flight.security import KeyRing, Signer
from hil.drivers.ground import NO_BURN, UNIX_J2000_OFFSET_S
from hil.drivers.packets import message_t_s
from hil.drivers.timebase import tag_from_t
from hil.ground.timing import GroundTime
from hil.links.base import Link, LinkClosedError
from hil.protocol.catalogue import CATALOGUE, AckReason, AckStage, FlightPhase
from hil.protocol.schema import DecodeError, Message
from hil.protocol.spacepacket import SEQ_COUNT_MODULUS
from hil.protocol.telecommand import sign
from hil.scenario import Scenario

Record = dict[str, Any]
F64Array = npt.NDArray[np.float64]
ACK_TIMEOUT_S = 5.0


class TruthSource(Protocol):
    """What tracking measures: the plant's time and true state."""

    @property
    def t_s(self) -> float: ...

    def truth(self) -> Any: ...


@dataclass
class GroundCounts:
    sent: int = 0
    acks: int = 0
    acks_completed: int = 0
    acks_rejected: int = 0
    telemetry: int = 0
    events: int = 0
    bad_packets: int = 0
    unexpected: int = 0
    ack_timeouts: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class GroundStation:
    """The ground's end of the ground link (see the module docstring); use ``async with``."""

    def __init__(self, link: Link, keys: KeyRing, key_id: int, *, first_command_id: int = 1,
                 first_arsn: int = 1, on_record: Callable[[Record], None] | None = None,
                 history: int = 100_000) -> None:
        self.link = link
        self.signer = Signer(keys, key_id, first_arsn)
        self._ids = itertools.count(first_command_id)
        self._seq: dict[int, int] = {}
        self.on_record = on_record
        self.records: collections.deque[Record] = collections.deque(maxlen=history)
        self.counts = GroundCounts()
        self.acks: dict[int, Message] = {}
        self.latest_tm: Message | None = None
        self.tm_listeners: list[Callable[[Message], None]] = []  # each FLIGHT_TM
        self.event_listeners: list[Callable[[Message], None]] = []  # each FLIGHT_EVENT
        self._ack_waiters: dict[int, asyncio.Future[Message]] = {}
        self._by_seq: dict[tuple[int, int], int] = {}  # (APID, sequence count) -> command id
        self._tg: asyncio.TaskGroup | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        tg = asyncio.TaskGroup()
        await tg.__aenter__()
        self._tg = tg
        self._task = tg.create_task(self._receive_loop(), name="ground-receive")
        return self

    async def __aexit__(self, *exc: object) -> None:
        tg, self._tg = self._tg, None
        if self._task is not None:
            self._task.cancel()
        if tg is not None:
            await tg.__aexit__(None, None, None)
        for fut in self._ack_waiters.values():
            fut.cancel()

    def _record(self, rec: Record) -> None:
        self.records.append(rec)
        if self.on_record is not None:
            self.on_record(rec)

    def note(self, t_s: float, text: str, **data: Any) -> None:
        """Log something the ground decided (not a packet)."""
        self._record({"t_s": t_s, "dir": "note", "name": "ground.note", "text": text, **data})

    # -- uplink ------------------------------------------------------------------------------------
    async def send(self, name: str, values: Mapping[str, Any], t_s: float) -> int:
        """Sign and send telecommand ``name`` (``values`` without command_id) tagged with spacecraft time
        ``t_s``; returns its command id."""
        cid = next(self._ids)
        spec = CATALOGUE.by_name(name)
        seq = self._seq.get(spec.apid, 0)
        self._seq[spec.apid] = (seq + 1) % SEQ_COUNT_MODULUS
        coarse, fine = tag_from_t(t_s)
        arsn = self.signer.next_arsn
        packet = sign(name, {"command_id": cid, **values}, self.signer, seq_count=seq, coarse_time=coarse,
                      fine_time=fine)
        self._ack_waiters[cid] = asyncio.get_running_loop().create_future()
        self._by_seq[(spec.apid, seq)] = cid
        await self.link.send(packet)
        self.counts.sent += 1
        self._record({"t_s": t_s, "dir": "up", "name": name, "command_id": cid, "arsn": arsn,
                      "fields": _jsonable(dict(values))})
        return cid

    async def wait_ack(self, command_id: int, timeout_s: float = ACK_TIMEOUT_S) -> Message | None:
        """The acknowledgement of ``command_id`` (None after ``timeout_s`` of wall time, counted)."""
        if command_id in self.acks:
            return self.acks[command_id]
        fut = self._ack_waiters.get(command_id)
        if fut is None:
            return None
        try:
            async with asyncio.timeout(timeout_s):
                return await asyncio.shield(fut)
        except TimeoutError:
            self.counts.ack_timeouts += 1
            return None

    async def command(self, name: str, values: Mapping[str, Any], t_s: float,
                      timeout_s: float = ACK_TIMEOUT_S) -> Message | None:
        """Send and wait (bounded) for the acknowledgement."""
        cid = await self.send(name, values, t_s)
        return await self.wait_ack(cid, timeout_s)

    # -- downlink ----------------------------------------------------------------------------------
    async def _receive_loop(self) -> None:
        while True:
            try:
                raw = await self.link.recv(timeout_s=60.0)
            except TimeoutError:
                continue
            except LinkClosedError:
                return
            try:
                msg = CATALOGUE.decode(raw)
            except DecodeError as exc:
                self.counts.bad_packets += 1
                self._record({"t_s": None, "dir": "down", "name": "bad_packet", "text": str(exc)})
                continue
            self._handle(msg)

    def _handle(self, msg: Message) -> None:
        t = message_t_s(msg)
        if msg.name == "TC_ACK":
            self.counts.acks += 1
            stage = AckStage(msg["stage"])
            if stage is AckStage.REJECTED or stage is AckStage.FAILED:
                self.counts.acks_rejected += 1
            elif stage is AckStage.COMPLETED:
                self.counts.acks_completed += 1
            # A command rejected before decoding is acknowledged with command id 0: match it by APID and
            # sequence count instead.
            cid = int(msg["command_id"]) or self._by_seq.get(
                (int(msg["acked_apid"]), int(msg["acked_seq_count"])), 0)
            if cid:
                self.acks[cid] = msg
                fut = self._ack_waiters.pop(cid, None)
                if fut is not None and not fut.done():
                    fut.set_result(msg)
        elif msg.name == "FLIGHT_TM":
            self.counts.telemetry += 1
            self.latest_tm = msg
            for listener in list(self.tm_listeners):
                listener(msg)
        elif msg.name == "FLIGHT_EVENT":
            self.counts.events += 1
            for listener in list(self.event_listeners):
                listener(msg)
        else:
            self.counts.unexpected += 1
        self._record({"t_s": t, "dir": "down", "name": msg.name, "fields": _jsonable(msg.fields)})


def _jsonable(fields: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in fields.items():
        if isinstance(v, AckReason | AckStage | FlightPhase):
            out[k] = v.name
        elif isinstance(v, bytes):
            out[k] = v.hex()
        elif isinstance(v, tuple):
            out[k] = list(v)
        elif isinstance(v, int | float | str | bool) or v is None:
            out[k] = int(v) if hasattr(v, "name") and isinstance(v, int) else v
        else:
            out[k] = str(v)
    return out


class Tracker:
    """Ground tracking: the truth's state plus seeded Gaussian noise (sigma per axis)."""

    def __init__(self, truth: TruthSource, sigma_m: float, sigma_mps: float, seed: int) -> None:
        self.truth = truth
        self.sigma_m = sigma_m
        self.sigma_mps = sigma_mps
        self._rng = np.random.default_rng([int(seed), 0x6772])  # a stream of its own
        self.fixes = 0

    def state_vector(self) -> tuple[float, F64Array, F64Array]:
        """(epoch_s, r_eci_m, v_eci_mps) measured now."""
        s = self.truth.truth()
        noise = self._rng.standard_normal(6)
        self.fixes += 1
        r = np.asarray(s.r_eci_m, dtype=np.float64) + self.sigma_m * noise[:3]
        v = np.asarray(s.v_eci_mps, dtype=np.float64) + self.sigma_mps * noise[3:]
        return float(s.t_s), r, v


def state_vector_values(epoch_s: float, r_eci_m: F64Array, v_eci_mps: F64Array) -> dict[str, float]:
    """TC_STATE_VECTOR fields of a state at ``epoch_s`` (seconds since J2000)."""
    values = {"epoch_unix_s": epoch_s + UNIX_J2000_OFFSET_S}
    for i, a in enumerate("xyz"):
        values[f"r_eci_m_{a}"] = float(r_eci_m[i])
        values[f"v_eci_mps_{a}"] = float(v_eci_mps[i])
    return values


@dataclass
class GroundPlan:
    """When mission control acts, in seconds after the start of the run (spacecraft time)."""

    first_state_vector_s: float = 60.0
    state_vector_interval_s: float = 86_400.0
    crew_clear_s: float = 0.0
    post_burn_delay_s: float = 1800.0
    go_repeat_s: float = 600.0  # a burn still PLANNED this long after its GO gets another
    # the GO goes up this long after the telemetry that shows the burn PLANNED: a held action at a
    # spacecraft time (deterministic in lockstep), well after any telemetry packet has arrived
    go_delay_s: float = 300.0
    #: a link check (TC_TIME_CORRELATION) at least this often: the flight software holds when it has not
    #: heard from the ground for six hours (flight.fdir)
    contact_interval_s: float = 3.0 * 3600.0
    extra: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> GroundPlan:
        return cls(state_vector_interval_s=scenario.ground.state_vector_interval_h * 3600.0,
                   crew_clear_s=scenario.campaign.crew_clear_after_h * 3600.0)


class MissionControl:
    """Flies the ground segment of a scenario (see the module docstring). ``await run()`` until cancelled."""

    def __init__(self, station: GroundStation, time: GroundTime, tracker: Tracker, plan: GroundPlan,
                 t_start_s: float, *, end_s: float = math.inf) -> None:
        self.station = station
        self.time = time
        self.tracker = tracker
        self.plan = plan
        self.t_start_s = t_start_s
        self.end_s = end_s
        self.go_sent: set[int] = set()
        self.gos_sent = 0
        self._go_t: dict[int, float] = {}
        self.crew_clear_sent = False
        self.state_vectors_sent = 0
        self._burns_seen = 0
        self._wake = asyncio.Event()
        self._actions: list[tuple[float, str]] = []  # (t_s, what), kept sorted
        station.tm_listeners.append(self._on_tm)

    def _schedule(self, t_s: float, what: str) -> None:
        if t_s > self.end_s:
            return
        self.time.hold(t_s)
        self._actions.append((t_s, what))
        self._actions.sort()
        self._wake.set()

    def _on_tm(self, msg: Message) -> None:
        t = message_t_s(msg)
        burn = int(msg["burn_id"])
        # A burn the flight software reports PLANNED needs a GO: the first, and again after every re-plan
        # withdraws it (at most once per go_repeat_s of spacecraft time).
        if FlightPhase(msg["phase"]) is FlightPhase.PLANNED and burn != NO_BURN:
            last = self._go_t.get(burn)
            if last is None or t - last >= self.plan.go_repeat_s:
                self._go_t[burn] = t
                self._schedule(t + self.plan.go_delay_s, f"go:{burn}")
        done = int(msg["burns_done"])
        if done > self._burns_seen:
            self._burns_seen = done
            self._schedule(t + self.plan.post_burn_delay_s, "state_vector")

    async def run(self) -> None:
        p = self.plan
        t0 = self.t_start_s
        self._schedule(t0 + p.first_state_vector_s, "state_vector")
        self._schedule(t0 + max(p.crew_clear_s, p.first_state_vector_s), "crew_clear")
        t = t0 + p.first_state_vector_s + p.state_vector_interval_s
        while t <= self.end_s:
            self._schedule(t, "state_vector")
            t += p.state_vector_interval_s
        t = t0 + p.first_state_vector_s + p.contact_interval_s
        while t <= self.end_s:
            self._schedule(t, "contact")
            t += p.contact_interval_s
        try:
            while True:
                if not self._actions:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                t_act, what = self._actions[0]
                self._wake.clear()
                reach = asyncio.ensure_future(self.time.reach(t_act))
                woken = asyncio.ensure_future(self._wake.wait())
                try:
                    done, _ = await asyncio.wait({reach, woken}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for f in (reach, woken):
                        if not f.done():
                            f.cancel()
                    await asyncio.gather(reach, woken, return_exceptions=True)
                if reach not in done or reach.cancelled():
                    continue  # an earlier action was scheduled meanwhile; come back to this one
                t_now = reach.result()
                self._actions.pop(0)
                try:
                    await self._act(what, t_now)
                finally:
                    # Two actions due at the same time share one hold: it goes with the last of them (were
                    # it released after the first, the simulation could pass the second's time before it
                    # acts, wherever the host's scheduling put it: the run would differ by transport).
                    key = self.time.hold_key(t_act)
                    if not any(self.time.hold_key(t) == key for t, _ in self._actions):
                        self.time.release(key)
        finally:
            self.time.release_all()

    async def _act(self, what: str, t_s: float) -> None:
        if what.startswith("go:"):
            burn = int(what[3:])
            self.go_sent.add(burn)
            self.gos_sent += 1
            ack = await self.station.command("TC_GO", {"burn_id": burn}, t_s)
            self._note_ack(ack, f"GO for burn {burn}")
        elif what == "crew_clear":
            ack = await self.station.command("TC_CREW_CLEAR", {}, t_s)
            self.crew_clear_sent = True
            self._note_ack(ack, "CREW_CLEAR")
        elif what == "contact":
            ack = await self.station.command("TC_TIME_CORRELATION", {
                "utc_unix_s": t_s + UNIX_J2000_OFFSET_S}, t_s)
            self._note_ack(ack, "link check")
        elif what == "state_vector":
            epoch, r, v = self.tracker.state_vector()
            ack = await self.station.command("TC_STATE_VECTOR", state_vector_values(epoch, r, v), t_s)
            self.state_vectors_sent += 1
            self._note_ack(ack, "state vector")

    def _note_ack(self, ack: Message | None, what: str) -> None:
        t = self.time.now_s
        if ack is None:
            self.station.note(t, f"{what}: no acknowledgement within {ACK_TIMEOUT_S:g} s")
        elif AckStage(ack["stage"]) is not AckStage.COMPLETED:
            self.station.note(t, f"{what}: {AckStage(ack['stage']).name} ({AckReason(ack['reason']).name})")
