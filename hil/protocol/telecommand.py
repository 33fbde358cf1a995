"""Authenticated ground telecommands: build (sign) and check (verify, then decode).

The security header, MAC and anti-replay window are ``flight.security``'s (CCSDS SDLS manner); this
module places them in the project's space packets: the MAC covers the primary header, the time-tag
secondary header, the security header and the command fields; the CRC follows the MAC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flight.security import MAC_OCTETS, SECURITY_HEADER_OCTETS, Authenticator, Outcome, Signer, Verdict
from hil.protocol import spacepacket
from hil.protocol.catalogue import CATALOGUE, AckReason, AckStage
from hil.protocol.crc import CRC_OCTETS, crc16
from hil.protocol.schema import Catalogue, DecodeError, EncodeError, Message

_REASONS = {
    Outcome.ACCEPTED: AckReason.OK,
    Outcome.MALFORMED: AckReason.MALFORMED,
    Outcome.UNKNOWN_KEY: AckReason.UNKNOWN_KEY,
    Outcome.BAD_MAC: AckReason.AUTH_FAILED,
    Outcome.REPLAY: AckReason.REPLAY,
    Outcome.STALE: AckReason.REPLAY,
}


def sign(
    name: str,
    values: Mapping[str, Any],
    signer: Signer,
    *,
    seq_count: int,
    time_tag_s: float | None = None,
    coarse_time: int = 0,
    fine_time: int = 0,
    catalogue: Catalogue = CATALOGUE,
) -> bytes:
    """A complete, signed telecommand packet. ``values`` holds the command fields only: the key id,
    ARSN and MAC come from ``signer`` (whose ARSN advances by one)."""
    spec = catalogue.by_name(name)
    if not spec.authenticated:
        raise EncodeError(f"{name} is not an authenticated telecommand")
    reserved = {"key_id", "arsn", "mac"} & set(values)
    if reserved:
        raise EncodeError(f"{name}: {sorted(reserved)} are set by the signer, not given")
    placeholder = {**values, "key_id": signer.key_id, "arsn": 1, "mac": bytes(MAC_OCTETS)}
    command_data = spec.pack_fields(placeholder)[SECURITY_HEADER_OCTETS:-MAC_OCTETS]
    headers = spacepacket.pack_headers(
        spec.apid, seq_count, spec.user_data_octets, packet_type=spec.packet_type,
        time_tag_s=time_tag_s, coarse_time=coarse_time, fine_time=fine_time,
    )
    unit = signer.sign(headers, command_data)
    return unit + crc16(unit).to_bytes(CRC_OCTETS, "big")


@dataclass(frozen=True, slots=True)
class CheckedCommand:
    """The outcome of checking one telecommand packet: the verdict of the authenticator (None when the
    packet never reached it), the decoded message when accepted, the acknowledgement reason, and the
    header values needed to acknowledge it."""

    reason: AckReason
    verdict: Verdict | None
    message: Message | None
    apid: int
    seq_count: int
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.message is not None

    def ack_values(self, stage: AckStage | None = None) -> dict[str, Any]:
        """Fields of the TC_ACK for this command (stage ACCEPTED or REJECTED unless given)."""
        if stage is None:
            stage = AckStage.ACCEPTED if self.accepted else AckStage.REJECTED
        return {
            "acked_apid": self.apid,
            "acked_seq_count": self.seq_count,
            "command_id": int(self.message["command_id"]) if self.message is not None else 0,
            "key_id": self.verdict.key_id if self.verdict is not None else 0,
            "arsn": self.verdict.arsn if self.verdict is not None else 0,
            "stage": stage,
            "reason": self.reason,
        }


def check(
    raw: bytes | bytearray | memoryview, authenticator: Authenticator, catalogue: Catalogue = CATALOGUE
) -> CheckedCommand:
    """Verify and decode one telecommand packet; never raises on the content of ``raw``.

    Order: packet validity (length, CRC), a known authenticated APID, then the authenticator (MAC before
    anti-replay), then the fields. Only an accepted command carries a message.
    """
    raw = bytes(raw)
    apid = spacepacket.peek_apid(raw) if len(raw) >= 2 else 0
    seq = spacepacket.peek_seq_count(raw) if len(raw) >= 4 else 0
    problem = spacepacket.packet_problem(raw)
    if problem is not None:
        return CheckedCommand(AckReason.MALFORMED, None, None, apid, seq, problem)
    spec = catalogue.by_apid(apid)
    if spec is None or not spec.authenticated:
        return CheckedCommand(AckReason.UNKNOWN_COMMAND, None, None, apid, seq,
                              f"APID {apid:#05x} is not an authenticated telecommand")
    if len(raw) != spec.packet_octets:
        return CheckedCommand(AckReason.MALFORMED, None, None, apid, seq,
                              f"{spec.name} is {spec.packet_octets} octets, got {len(raw)}")
    verdict = authenticator.verify_space_packet(raw)
    if not verdict.accepted:
        return CheckedCommand(_REASONS[verdict.outcome], verdict, None, apid, seq, verdict.outcome.value)
    try:
        message = catalogue.decode(raw)
    except DecodeError as exc:
        return CheckedCommand(AckReason.MALFORMED, verdict, None, apid, seq, str(exc))
    return CheckedCommand(AckReason.OK, verdict, message, apid, seq)
