"""The ground driver: ``flight.ports.GroundPort`` over the ground link (APIDs 0x300-0x37F).

The flight computer is the *board* end of the ``ground`` channel: telecommands arrive on it and telemetry
leaves it. Every telecommand is checked by ``hil.protocol.telecommand.check`` with the flight software's
``Authenticator`` (MAC before anti-replay): a forged, corrupted, replayed or malformed command never
reaches the flight software; the driver answers it with a TC_ACK (REJECTED, with the reason) and counts
it. An authentic command becomes a ``Telecommand`` on :meth:`GroundDriver.telecommands`; the flight
software's ``acknowledge`` then sends the TC_ACK for it. Telemetry goes out as FLIGHT_TM (known keys
only: the fields of the catalogue's FLIGHT_TM) and events as FLIGHT_EVENT.
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
from hil.protocol.catalogue import CATALOGUE, TEXT_OCTETS, AckStage, FlightPhase
from hil.protocol.schema import EncodeError, Message

#: POSIX time of J2000 (2000-01-01T12:00:00 UTC).
J2000_UNIX_S = 946_728_000.0
NO_BURN = 0xFFFF
U32 = 1 << 32

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


def event_code(name: str) -> int:
    """The 16-bit event code of an event name (low half of its CRC-32): stable across runs and builds."""
    return zlib.crc32(name.encode("utf-8")) & 0xFFFF


def _text(s: str) -> str:
    clean = "".join(c if 0x20 <= ord(c) <= 0x7E else "?" for c in s)
    return clean[:TEXT_OCTETS]


def telecommand_from_message(msg: Message, key_id: int, arsn: int) -> Telecommand | None:
    """The port's Telecommand for an authentic message, or None for one the port has no kind for."""
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
            epoch_s=float(f["epoch_unix_s"]) - J2000_UNIX_S,
            r_eci_m=(f["r_eci_m_x"], f["r_eci_m_y"], f["r_eci_m_z"]),
            v_eci_mps=(f["v_eci_mps_x"], f["v_eci_mps_y"], f["v_eci_mps_z"]),
        )
    elif name == "TC_SET_AIM":
        kind = TelecommandKind.SET_AIM
        args = AimArgs(float(f["aim_lat_deg"]), float(f["aim_lon_deg"]))
    elif name == "TC_SET_IMU_RATE":
        kind = TelecommandKind.SET_IMU_RATE
        args = ImuRateArgs(float(f["output_rate_hz"]))
    else:
        return None
    return Telecommand(cid, kind, args, key_id=key_id, auth_seq=arsn)


class GroundDriver(Driver):
    """``GroundPort`` over ``link`` (board side of the ``ground`` channel)."""

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
        self._commands: Stream[Telecommand] = Stream(1024)
        self._pending: dict[int, dict[str, Any]] = {}
        self.rejected = 0
        self.accepted = 0
        self.tm_keys_ignored = 0
        self._event_seq = 0

    def telecommands(self) -> Stream[Telecommand]:
        return self._commands

    def _closed(self) -> None:
        self._commands.close()

    def _now_s(self) -> float:
        if self.time_source is not None:
            t = self.time_source()
            if t is not None:
                return t
        return self.last_t_s if self.last_t_s is not None else 0.0

    async def _on_packet(self, raw: bytes) -> None:
        checked = telecommand.check(raw, self.authenticator)
        self._fresh()
        if checked.message is None:
            self.rejected += 1
            self.stats.bad_packets += 1
            self.emit(Severity.WARNING, "tc_rejected", f"telecommand rejected: {checked.reason.name} "
                      f"{checked.detail}", reason=checked.reason.name, apid=checked.apid)
            await self._send_ack(checked.ack_values(AckStage.REJECTED))
            return
        verdict = checked.verdict
        key_id = verdict.key_id if verdict is not None else 0
        arsn = verdict.arsn if verdict is not None else 0
        command = telecommand_from_message(checked.message, key_id, arsn)
        if command is None:
            self.rejected += 1
            values = checked.ack_values(AckStage.REJECTED)
            values["reason"] = cat.AckReason.UNKNOWN_COMMAND
            self.emit(Severity.WARNING, "tc_rejected",
                      f"{checked.message.name} has no flight software consumer")
            await self._send_ack(values)
            return
        self.accepted += 1
        self.stats.packets += 1
        self._pending[command.command_id] = checked.ack_values(AckStage.ACCEPTED)
        while len(self._pending) > 4096:
            self._pending.pop(next(iter(self._pending)))
        self._commands.put(command)

    def _handle(self, msg: Message) -> None:  # every packet goes through _on_packet
        self.stats.unexpected += 1

    async def _send_ack(self, values: dict[str, Any]) -> None:
        await self._send(self._writer.encode("TC_ACK", values, self._now_s()))

    async def acknowledge(self, ack: TelecommandAck) -> None:
        """TC_ACK for a command received on this link: ACCEPTED (reason OK) or REJECTED with the reason."""
        values = self._pending.get(ack.command_id)
        if values is None:
            self.emit(Severity.WARNING, "ack_unknown", f"no telecommand {ack.command_id} to acknowledge")
            return
        values = dict(values)
        values["stage"] = AckStage.ACCEPTED if ack.accepted else AckStage.REJECTED
        values["reason"] = ACK_REASONS[ack.reason]
        await self._send_ack(values)

    async def send_telemetry(self, tm: Telemetry) -> None:
        """FLIGHT_TM from the values whose keys name its fields; others are counted and ignored."""
        spec = CATALOGUE.by_name("FLIGHT_TM")
        values = spec.example_values()
        values["burn_id"] = NO_BURN
        values["q_body_from_eci_w"] = 1.0
        known = set(values)
        for key, value in tm.values.items():
            if key not in known:
                self.tm_keys_ignored += 1
                continue
            if key == "phase" and isinstance(value, str):
                value = FlightPhase[value.upper()]
            values[key] = value
        await self._encode_and_send("FLIGHT_TM", values, tm.t_s)

    async def send_event(self, event: Event) -> None:
        self._event_seq = (self._event_seq + 1) % U32
        burn = event.data.get("burn_id", NO_BURN)
        value = event.data.get("value", 0.0)
        values = {
            "event_seq": self._event_seq,
            "severity": int(event.severity),
            "code": event_code(event.name),
            "burn_id": int(burn) if isinstance(burn, int) and 0 <= burn <= NO_BURN else NO_BURN,
            "value": float(value) if isinstance(value, int | float) and math.isfinite(value) else 0.0,
            "text": _text(f"{event.name}: {event.message}"),
        }
        await self._encode_and_send("FLIGHT_EVENT", values, event.t_s)

    async def _encode_and_send(self, name: str, values: Mapping[str, Any], t_s: float) -> None:
        try:
            packet = self._writer.encode(name, values, t_s)
        except (EncodeError, ValueError, KeyError) as exc:
            self.stats.send_failures += 1
            self.emit(Severity.ERROR, "tm_unencodable", f"{name} not sent: {exc}")
            return
        await self._send(packet)

