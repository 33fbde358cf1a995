"""The ground driver: ``flight.ports.GroundPort`` over the ground link (APIDs 0x300-0x37F, docs/icd.md).

The flight computer is the *board* end of the ``ground`` channel: telecommands arrive on it and telemetry
leaves it. This is the one implementation of the flight side's ground port; the campaign runner, ``hil
replay``, Monte Carlo and ``flight run`` all use it.

Uplink: every telecommand packet is checked by ``hil.protocol.telecommand.check`` with the flight
software's ``Authenticator`` (CRC, APID, length, then MAC before anti-replay) before anything else looks
at it. A forged, corrupted, replayed, malformed or unknown command never reaches the flight software: the
driver answers it with TC_ACK (REJECTED, with the reason), counts it and reports an event. An authentic
command becomes a ``Telecommand`` on :meth:`GroundDriver.telecommands` (the state vector's POSIX epoch
converted to seconds since J2000); the flight software's :meth:`GroundDriver.acknowledge` then sends its
verdict: COMPLETED when it acted, REJECTED with the mapped reason (:data:`ACK_REASONS`) otherwise.

Downlink: telemetry samples are merged into one FLIGHT_TM. A sample's keys that name a FLIGHT_TM field are
taken as they are; a few have the flight software's names (:data:`TM_ALIASES`: ``state`` is the phase,
``dv_measured_mps`` the achieved delta-v, ``cycles`` the control cycle count); ``crew_clear`` sets the
CREW_CLEAR flag; the other keys are counted in ``tm_keys_ignored``. Values persist from one sample to the
next. The executive sends its housekeeping as a set (``executive``, ``navigation``, then ``sequencer``):
samples from the sources in :data:`HELD_SOURCES` are merged and held, and any other sample sends the
FLIGHT_TM, so one housekeeping set is one packet. Events become FLIGHT_EVENT (a stable code from
:data:`EVENT_CODES`, text ``name: message`` cut to the field's 48 printable octets). Packets carry
spacecraft time: the sample's or event's ``t_s``, or for acknowledgements the latest spacecraft time known
(``time_source``).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from flight.ports import (
    AckReason,
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
    TelecommandArgs,
    TelecommandKind,
    Telemetry,
)
from flight.security import Authenticator
from hil.drivers.base import Driver, Stream
from hil.drivers.packets import PacketWriter
from hil.links.base import Link
from hil.protocol import catalogue as cat
from hil.protocol import telecommand
from hil.protocol.catalogue import CATALOGUE, TEXT_OCTETS, AckStage, FlightFlags, FlightPhase
from hil.protocol.schema import EncodeError, Message

#: Seconds from the POSIX epoch (1970-01-01) to J2000 (2000-01-01 12:00:00 UTC); both scales ignore leap
#: seconds, so the offset is fixed.
UNIX_J2000_OFFSET_S = 946_728_000.0
#: The burn id field's "no burn".
NO_BURN = 0xFFFF
U32 = 1 << 32
PENDING_MAX = 1024  # telecommands awaiting the flight software's verdict; beyond it the oldest is forgotten

#: The flight software's acknowledgement reasons on the wire (TC_ACK reason codes).
ACK_REASONS: dict[AckReason, cat.AckReason] = {
    AckReason.ACCEPTED: cat.AckReason.OK,
    AckReason.DUPLICATE: cat.AckReason.DUPLICATE,
    AckReason.WRONG_STATE: cat.AckReason.WRONG_STATE,
    AckReason.INTERLOCK: cat.AckReason.INTERLOCK,
    AckReason.UNKNOWN_BURN: cat.AckReason.UNKNOWN_BURN,
    AckReason.BURN_DONE: cat.AckReason.WRONG_STATE,
    AckReason.OUT_OF_RANGE: cat.AckReason.MALFORMED,
    AckReason.MALFORMED: cat.AckReason.MALFORMED,
    AckReason.UNSUPPORTED: cat.AckReason.UNKNOWN_COMMAND,
}

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

#: Telemetry keys of the flight software that feed a FLIGHT_TM field of another name.
TM_ALIASES: dict[str, str] = {
    "state": "phase", "dv_measured_mps": "dv_achieved_mps", "cycles": "control_cycle"}
#: Telemetry keys that set a FLIGHT_TM flag.
FLAG_KEYS = frozenset({"crew_clear"})
#: Telemetry sources merged and held until the rest of the housekeeping set arrives.
HELD_SOURCES = frozenset({"executive", "navigation"})
#: Sequencer states with a phase of another name on the wire.
_PHASE_OF_STATE = {"ARMING": FlightPhase.ARMED}

_TM_SPEC = CATALOGUE.by_name("FLIGHT_TM")
_TM_FIELDS = frozenset(f.name for f in _TM_SPEC.all_fields)


def event_code(name: str) -> int:
    """The wire code of an event name (see :data:`EVENT_CODES`)."""
    code = EVENT_CODES.get(name)
    if code is not None:
        return code
    return 0x8000 + zlib.crc32(name.encode("utf-8")) % 0x7FFF


def _text(s: str) -> str:
    clean = "".join(c if 0x20 <= ord(c) <= 0x7E else "?" for c in s)
    return clean[:TEXT_OCTETS]


def _burn(value: object) -> int:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < NO_BURN \
        else NO_BURN


def _number(value: object, default: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return default
    return float(value)


def _phase(value: object) -> FlightPhase:
    if isinstance(value, FlightPhase):
        return value
    if isinstance(value, str):
        name = value.upper()
        if name in _PHASE_OF_STATE:
            return _PHASE_OF_STATE[name]
        if name in FlightPhase.__members__:
            return FlightPhase[name]
    return FlightPhase.IDLE


def telecommand_from_message(msg: Message, key_id: int, arsn: int) -> Telecommand | None:
    """The port's Telecommand for an authentic message, or None for one the flight software has no kind
    for."""
    f = msg.fields
    cid = int(f["command_id"])
    kind: TelecommandKind
    args: TelecommandArgs = NoArgs()
    name = msg.name
    if name == "TC_CREW_CLEAR":
        kind = TelecommandKind.CREW_CLEAR
    elif name in ("TC_GO", "TC_NO_GO"):
        kind = TelecommandKind.GO if name == "TC_GO" else TelecommandKind.NO_GO
        args = BurnRef(int(f["burn_id"]))
    elif name == "TC_ABORT":
        kind = TelecommandKind.ABORT
    elif name == "TC_SAFE":
        kind = TelecommandKind.SAFE
    elif name == "TC_STATE_VECTOR":
        kind = TelecommandKind.STATE_VECTOR
        args = StateVectorArgs(
            epoch_s=float(f["epoch_unix_s"]) - UNIX_J2000_OFFSET_S,
            r_eci_m=(float(f["r_eci_m_x"]), float(f["r_eci_m_y"]), float(f["r_eci_m_z"])),
            v_eci_mps=(float(f["v_eci_mps_x"]), float(f["v_eci_mps_y"]), float(f["v_eci_mps_z"])),
        )
    elif name == "TC_SET_AIM":
        kind = TelecommandKind.SET_AIM
        args = AimArgs(float(f["aim_lat_deg"]), float(f["aim_lon_deg"]))
    elif name == "TC_SET_IMU_RATE":
        kind = TelecommandKind.SET_IMU_RATE
        args = ImuRateArgs(float(f["output_rate_hz"]))
    elif name == "TC_TIME_CORRELATION":
        # Spacecraft time is UTC already (IMU time tags): the correlation is a link check for the flight
        # software, which records the ground contact and acts on nothing.
        kind = TelecommandKind.NOOP
    else:
        return None
    return Telecommand(cid, kind, args, key_id=key_id, auth_seq=arsn)


class GroundDriver(Driver):
    """``GroundPort`` over ``link`` (the board end of the ``ground`` channel); use ``async with``."""

    board = "ground"

    def __init__(
        self,
        link: Link,
        authenticator: Authenticator,
        *,
        time_source: Callable[[], float | None] | None = None,
        stale_after_s: float = 3600.0,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        super().__init__(link, stale_after_s=stale_after_s, on_event=on_event)
        self.authenticator = authenticator
        self.time_source = time_source
        self._writer = PacketWriter()
        self._commands: Stream[Telecommand] = Stream(PENDING_MAX)
        self._pending: dict[int, dict[str, Any]] = {}
        self._tm: dict[str, Scalar] = {}
        self._event_seq = 0
        self.rejected = 0  # at the link: never reached the flight software
        self.accepted = 0
        self.tm_keys_ignored = 0
        self.tm_sent = 0
        self.events_sent = 0

    # -- GroundPort --------------------------------------------------------------------------------
    def telecommands(self) -> Stream[Telecommand]:
        return self._commands

    async def acknowledge(self, ack: TelecommandAck) -> None:
        """TC_ACK for a command received on this link: COMPLETED (reason OK) or REJECTED with the reason."""
        values = self._pending.pop(ack.command_id, None)
        if values is None:
            self.emit(Severity.WARNING, "ack_unknown", f"no telecommand {ack.command_id} to acknowledge")
            return
        values["stage"] = AckStage.COMPLETED if ack.accepted else AckStage.REJECTED
        values["reason"] = ACK_REASONS.get(ack.reason, cat.AckReason.MALFORMED)
        await self._encode_and_send("TC_ACK", values, self._now_s())

    async def send_telemetry(self, tm: Telemetry) -> None:
        for key, value in tm.values.items():
            name = TM_ALIASES.get(key, key)
            if name not in _TM_FIELDS and name not in FLAG_KEYS:
                self.tm_keys_ignored += 1
                continue
            self._tm[name] = value
        if tm.source in HELD_SOURCES:
            return
        await self._encode_and_send("FLIGHT_TM", self._flight_tm(), tm.t_s)
        self.tm_sent += 1

    async def send_event(self, event: Event) -> None:
        self._event_seq = (self._event_seq + 1) % U32
        value = event.data.get("value")
        if value is None:  # the first finite number the event carries, other than its burn
            numbers = (_number(v, math.nan) for k, v in event.data.items() if k != "burn_id")
            value = next((x for x in numbers if math.isfinite(x)), 0.0)
        values = {
            "event_seq": self._event_seq,
            "severity": cat.Severity(int(event.severity)),
            "code": event_code(event.name),
            "burn_id": _burn(event.data.get("burn_id")),
            "value": _number(value),
            "text": _text(f"{event.name}: {event.message}"),
        }
        await self._encode_and_send("FLIGHT_EVENT", values, event.t_s)
        self.events_sent += 1

    # -- uplink ------------------------------------------------------------------------------------
    async def _on_packet(self, raw: bytes) -> None:
        checked = telecommand.check(raw, self.authenticator)
        self._fresh()
        if not checked.accepted or checked.message is None or checked.verdict is None:
            self.rejected += 1
            self.stats.bad_packets += 1
            self.emit(Severity.WARNING, "tc_rejected",
                      f"telecommand rejected at the link: {checked.reason.name} {checked.detail}",
                      reason=checked.reason.name, apid=checked.apid)
            await self._encode_and_send("TC_ACK", checked.ack_values(AckStage.REJECTED), self._now_s())
            return
        command = telecommand_from_message(checked.message, checked.verdict.key_id, checked.verdict.arsn)
        if command is None:
            self.rejected += 1
            self.stats.unexpected += 1
            values = checked.ack_values(AckStage.REJECTED)
            values["reason"] = cat.AckReason.UNKNOWN_COMMAND
            self.emit(Severity.WARNING, "tc_rejected",
                      f"{checked.message.name} has no flight software consumer")
            await self._encode_and_send("TC_ACK", values, self._now_s())
            return
        self.accepted += 1
        self.stats.packets += 1
        self._pending.pop(command.command_id, None)
        self._pending[command.command_id] = checked.ack_values(AckStage.ACCEPTED)
        while len(self._pending) > PENDING_MAX:  # never acknowledged: forget the oldest
            self._pending.pop(next(iter(self._pending)))
        self._commands.put(command)

    def _handle(self, msg: Message) -> None:  # every packet goes through _on_packet
        self.stats.unexpected += 1

    def _closed(self) -> None:
        self._commands.close()

    # -- downlink ----------------------------------------------------------------------------------
    def _now_s(self) -> float:
        if self.time_source is not None:
            t = self.time_source()
            if t is not None:
                return t
        return self.last_t_s if self.last_t_s is not None else 0.0

    def _flight_tm(self) -> dict[str, Any]:
        v = self._tm
        flags = FlightFlags(0)
        if v.get("crew_clear") is True:
            flags |= FlightFlags.CREW_CLEAR
        if "r_eci_m_x" in v:
            flags |= FlightFlags.NAV_VALID
        out: dict[str, Any] = {
            "phase": _phase(v.get("phase")),
            "burn_id": _burn(v.get("burn_id")),
            "burns_done": min(max(int(_number(v.get("burns_done"))), 0), 255),
            "flags": flags,
            "control_cycle": int(_number(v.get("control_cycle"))) % U32,
            "tc_accepted": self.authenticator.counts.get("accepted", 0) % U32,
            "tc_rejected": self.authenticator.rejected % U32,
        }
        for a in "xyz":
            out[f"r_eci_m_{a}"] = _number(v.get(f"r_eci_m_{a}"))
            out[f"v_eci_mps_{a}"] = _number(v.get(f"v_eci_mps_{a}"))
        for c in "wxyz":
            q = _number(v.get(f"q_body_from_eci_{c}"), 1.0 if c == "w" else 0.0)
            out[f"q_body_from_eci_{c}"] = min(1.0, max(-1.0, q))
        for name in ("attitude_error_rad", "dv_target_mps", "propellant_kg"):  # non-negative by schema
            out[name] = max(0.0, _number(v.get(name)))
        for name in ("dv_achieved_mps", "perigee_alt_m", "apogee_alt_m"):
            out[name] = _number(v.get(name))
        return out

    async def _encode_and_send(self, name: str, values: Mapping[str, Any], t_s: float) -> None:
        self.last_t_s = t_s if self.last_t_s is None else max(self.last_t_s, t_s)
        try:
            packet = self._writer.encode(name, values, t_s)
        except (EncodeError, ValueError, KeyError) as exc:
            self.stats.send_failures += 1
            self.emit(Severity.ERROR, "tm_unencodable", f"{name} not sent: {exc}")
            return
        await self._send(packet)
