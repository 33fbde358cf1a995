"""The flight software's end of the ground link: ``flight.ports.GroundPort`` over a link (docs/icd.md).

Uplink: every telecommand packet is checked by ``hil.protocol.telecommand.check`` (CRC, APID, length,
then the ``flight.security`` authenticator: MAC before anti-replay) before anything else looks at it. A
forged, corrupted, replayed or unknown packet is counted, acknowledged REJECTED with its reason and never
reaches the flight software; an authentic one becomes a ``flight.ports.Telecommand`` (the state vector's
POSIX epoch converted to seconds since J2000) and is acknowledged by the flight software's own verdict:
COMPLETED when it acted, REJECTED with the mapped reason otherwise.

Downlink: events become FLIGHT_EVENT (code from :data:`EVENT_CODES`, text ``name: message`` cut to the
field's 48 octets); telemetry samples are merged by source and sent as one FLIGHT_TM whenever the
sequencer's sample arrives (the last of each housekeeping set). Packets are time-tagged with spacecraft
time: the sample's or event's ``t_s``, or for acknowledgements the latest spacecraft time seen.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from typing import Any

from flight.ports import (
    AimArgs,
    BurnRef,
    Event,
    ImuRateArgs,
    NoArgs,
    Scalar,
    Severity,
    StateVectorArgs,
    Telecommand,
    TelecommandAck,
    TelecommandKind,
    Telemetry,
)
from flight.security import Authenticator
from hil.drivers.base import Driver, Stream
from hil.drivers.ground import ACK_REASONS
from hil.drivers.packets import PacketWriter
from hil.links.base import Link, LinkClosedError
from hil.protocol import catalogue as cat
from hil.protocol.catalogue import AckStage, FlightFlags, FlightPhase
from hil.protocol.schema import Message
from hil.protocol.telecommand import CheckedCommand, check

#: Seconds from the POSIX epoch (1970-01-01) to J2000 (2000-01-01 12:00:00 UTC); both scales ignore leap
#: seconds, so the offset is fixed.
UNIX_J2000_OFFSET_S = 946_728_000.0
NO_BURN = 0xFFFF

#: Stable codes of the flight software's event names on the wire; other names get a code from a CRC of
#: the name in 0x8000-0xFFFE (the text always carries the name).
EVENT_CODES: dict[str, int] = {
    "sequencer.state": 1,
    "sequencer.burn_done": 2,
    "sequencer.ignition": 3,
    "sequencer.abort": 4,
    "sequencer.safe": 5,
    "command.accepted": 10,
    "command.rejected": 11,
    "guidance.plan": 20,
    "guidance.failed": 21,
    "guidance.plan_rejected": 22,
    "navigation.state_vector": 30,
    "fdir.fault": 40,
    "executive.command_failed": 50,
    "executive.arm_failed": 51,
}



def event_code(name: str) -> int:
    """The wire code of an event name (see :data:`EVENT_CODES`)."""
    code = EVENT_CODES.get(name)
    if code is not None:
        return code
    return 0x8000 + zlib.crc32(name.encode()) % 0x7FFF


def telecommand_of(msg: Message, key_id: int, arsn: int) -> Telecommand | None:
    """The flight software's telecommand of an authenticated, decoded packet (None: no such command)."""
    cid = int(msg["command_id"])
    name = msg.name
    if name == "TC_CREW_CLEAR":
        return Telecommand(cid, TelecommandKind.CREW_CLEAR, NoArgs(), key_id, arsn)
    if name == "TC_GO":
        return Telecommand(cid, TelecommandKind.GO, BurnRef(int(msg["burn_id"])), key_id, arsn)
    if name == "TC_NO_GO":
        return Telecommand(cid, TelecommandKind.NO_GO, BurnRef(int(msg["burn_id"])), key_id, arsn)
    if name == "TC_ABORT":
        return Telecommand(cid, TelecommandKind.ABORT, NoArgs(), key_id, arsn)
    if name == "TC_SAFE":
        return Telecommand(cid, TelecommandKind.SAFE, NoArgs(), key_id, arsn)
    if name == "TC_STATE_VECTOR":
        args = StateVectorArgs(
            float(msg["epoch_unix_s"]) - UNIX_J2000_OFFSET_S,
            (float(msg["r_eci_m_x"]), float(msg["r_eci_m_y"]), float(msg["r_eci_m_z"])),
            (float(msg["v_eci_mps_x"]), float(msg["v_eci_mps_y"]), float(msg["v_eci_mps_z"])))
        return Telecommand(cid, TelecommandKind.STATE_VECTOR, args, key_id, arsn)
    if name == "TC_SET_AIM":
        args_aim = AimArgs(float(msg["aim_lat_deg"]), float(msg["aim_lon_deg"]))
        return Telecommand(cid, TelecommandKind.SET_AIM, args_aim, key_id, arsn)
    if name == "TC_TIME_CORRELATION":
        # Spacecraft time is UTC already (IMU time tags): the correlation is a link check for the flight
        # software, which records the ground contact and acts on nothing.
        return Telecommand(cid, TelecommandKind.NOOP, NoArgs(), key_id, arsn)
    if name == "TC_SET_IMU_RATE":
        return Telecommand(cid, TelecommandKind.SET_IMU_RATE, ImuRateArgs(float(msg["output_rate_hz"])),
                           key_id, arsn)
    return None


def _phase(state: Scalar | None) -> FlightPhase:
    if isinstance(state, str):
        try:
            return FlightPhase[state.upper()]
        except KeyError:
            pass
    return FlightPhase.IDLE


def _f(values: dict[str, Scalar], key: str, default: float = 0.0) -> float:
    v = values.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return default
    return float(v)


class FlightGroundPort(Driver):
    """``GroundPort`` over ``link`` (the board side of the ``ground`` channel); use ``async with``."""

    board = "ground"

    def __init__(self, link: Link, authenticator: Authenticator, *,
                 time_source: Callable[[], float | None] | None = None,
                 on_event: Callable[[Event], None] | None = None, stale_after_s: float = 3600.0) -> None:
        super().__init__(link, stale_after_s=stale_after_s, on_event=on_event)
        self.authenticator = authenticator
        self.time_source = time_source
        self._tcs: Stream[Telecommand] = Stream(256)
        self._pending: dict[int, CheckedCommand] = {}
        self._writer = PacketWriter()
        self._tm: dict[str, dict[str, Scalar]] = {}
        self._event_seq = 0
        self.rejected_at_link = 0
        self.tm_sent = 0
        self.events_sent = 0

    # -- GroundPort --------------------------------------------------------------------------------
    def telecommands(self) -> Stream[Telecommand]:
        return self._tcs

    async def acknowledge(self, ack: TelecommandAck) -> None:
        checked = self._pending.pop(ack.command_id, None)
        if checked is None:
            return
        stage = AckStage.COMPLETED if ack.accepted else AckStage.REJECTED
        values = checked.ack_values(stage)
        values["reason"] = ACK_REASONS.get(ack.reason, cat.AckReason.MALFORMED)
        await self._send_tm("TC_ACK", values, self._now())

    async def send_telemetry(self, tm: Telemetry) -> None:
        self._tm[tm.source] = dict(tm.values)
        if tm.source != "sequencer":
            return
        await self._send_tm("FLIGHT_TM", self._flight_tm(), tm.t_s)
        self.tm_sent += 1

    async def send_event(self, event: Event) -> None:
        self._event_seq = (self._event_seq + 1) % (1 << 32)
        burn = event.data.get("burn_id")
        text = f"{event.name}: {event.message}".encode("ascii", "replace")[:cat.TEXT_OCTETS].decode("ascii")
        value = next((float(v) for k, v in event.data.items()
                      if k != "burn_id" and isinstance(v, int | float) and not isinstance(v, bool)
                      and math.isfinite(v)), 0.0)
        await self._send_tm("FLIGHT_EVENT", {
            "event_seq": self._event_seq, "severity": cat.Severity(int(event.severity)),
            "code": event_code(event.name),
            "burn_id": int(burn) if isinstance(burn, int) and 0 <= burn < NO_BURN else NO_BURN,
            "value": value, "text": text}, event.t_s)
        self.events_sent += 1

    # -- internals ---------------------------------------------------------------------------------
    def _now(self) -> float:
        t = self.time_source() if self.time_source is not None else None
        if t is None:
            t = self.last_t_s
        return 0.0 if t is None else t

    async def _send_tm(self, name: str, values: dict[str, Any], t_s: float) -> None:
        self.last_t_s = t_s if self.last_t_s is None else max(self.last_t_s, t_s)
        await self._send(self._writer.encode(name, values, t_s))

    def _flight_tm(self) -> dict[str, Any]:
        seq = self._tm.get("sequencer", {})
        exe = self._tm.get("executive", {})
        nav = self._tm.get("navigation", {})
        flags = FlightFlags(0)
        if seq.get("crew_clear") is True:
            flags |= FlightFlags.CREW_CLEAR
        if "r_m" in nav:
            flags |= FlightFlags.NAV_VALID
        burn = seq.get("burn_id", -1)
        values: dict[str, Any] = {
            "phase": _phase(seq.get("state")),
            "burn_id": int(burn) if isinstance(burn, int) and 0 <= burn < NO_BURN else NO_BURN,
            "burns_done": min(int(_f(seq, "burns_done")), 255),
            "flags": flags,
            "attitude_error_rad": max(0.0, _f(exe, "attitude_error_rad")),
            "dv_target_mps": max(0.0, _f(seq, "dv_target_mps")),
            "dv_achieved_mps": _f(seq, "dv_measured_mps"),
            "propellant_kg": max(0.0, _f(nav, "propellant_kg")),
            "perigee_alt_m": _f(nav, "perigee_alt_m"),
            "apogee_alt_m": _f(nav, "apogee_alt_m"),
            "control_cycle": int(_f(exe, "cycles")) % (1 << 32),
            "tc_accepted": self.authenticator.counts.get("accepted", 0) % (1 << 32),
            "tc_rejected": self.authenticator.rejected % (1 << 32),
        }
        for a in "xyz":
            values[f"r_eci_m_{a}"] = _f(nav, f"r_eci_m_{a}")
            values[f"v_eci_mps_{a}"] = _f(nav, f"v_eci_mps_{a}")
        q = [_f(nav, f"q_body_from_eci_{c}", 1.0 if c == "w" else 0.0) for c in "wxyz"]
        for c, v in zip("wxyz", q, strict=True):
            values[f"q_body_from_eci_{c}"] = min(1.0, max(-1.0, v))
        return values

    async def _receive_loop(self) -> None:
        try:
            while True:
                try:
                    raw = await self.link.recv(timeout_s=self.stale_after_s)
                except TimeoutError:
                    continue
                self._last_rx_wall = self._wall()
                checked = check(raw, self.authenticator)
                if not checked.accepted or checked.message is None or checked.verdict is None:
                    self.stats.bad_packets += 1
                    self.rejected_at_link += 1
                    self.emit(Severity.WARNING, "tc_rejected",
                              f"telecommand rejected at the link: {checked.reason.name} {checked.detail}")
                    await self._send_tm("TC_ACK", checked.ack_values(), self._now())
                    continue
                tc = telecommand_of(checked.message, checked.verdict.key_id, checked.verdict.arsn)
                if tc is None:
                    self.stats.unexpected += 1
                    values = checked.ack_values(AckStage.REJECTED)
                    values["reason"] = cat.AckReason.UNKNOWN_COMMAND
                    await self._send_tm("TC_ACK", values, self._now())
                    continue
                self.stats.packets += 1
                if len(self._pending) >= 1024:  # never acknowledged: forget the oldest
                    self._pending.pop(next(iter(self._pending)))
                self._pending[tc.command_id] = checked
                self._tcs.put(tc)
        except LinkClosedError:
            return
        finally:
            self._closed()

    def _handle(self, msg: Message) -> None:  # pragma: no cover - _receive_loop is overridden
        raise NotImplementedError

    def _closed(self) -> None:
        self._tcs.close()
