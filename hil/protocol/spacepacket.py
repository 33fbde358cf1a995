"""CCSDS Space Packets (CCSDS 133.0-B-2) as this project uses them.

Layout, every field big-endian (most significant bit first, bit 0 being the first bit transmitted in the
CCSDS numbering):

- primary header, 6 octets: packet version number (3 bits, 0), packet type (1 bit: 0 telemetry,
  1 telecommand), secondary header flag (1 bit, always 1 here), APID (11 bits), sequence flags (2 bits,
  0b11 unsegmented), packet sequence count (14 bits), packet data length (16 bits: octets in the packet
  data field minus one);
- secondary header, 6 octets: the spacecraft time tag as a CCSDS unsegmented time code (CUC,
  CCSDS 301.0-B-4) with 4 octets of coarse time (seconds) and 2 octets of fine time (units of 2^-16 s),
  P-field implicit (not transmitted), epoch 1958-01-01T00:00:00 TAI;
- user data field: the packet's fields as the catalogue defines them;
- packet error control, 2 octets: CRC-16/CCITT-FALSE over every preceding octet of the packet.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from enum import IntEnum

from hil.protocol.crc import CRC_OCTETS, crc16

PRIMARY_HEADER_OCTETS = 6
SECONDARY_HEADER_OCTETS = 6
OVERHEAD_OCTETS = PRIMARY_HEADER_OCTETS + SECONDARY_HEADER_OCTETS + CRC_OCTETS
MIN_PACKET_OCTETS = OVERHEAD_OCTETS
MAX_PACKET_OCTETS = 1024  # this project's limit (CCSDS allows 65,542)
MAX_USER_DATA_OCTETS = MAX_PACKET_OCTETS - OVERHEAD_OCTETS
APID_MAX = 0x7FF
APID_IDLE = 0x7FF
SEQ_COUNT_MODULUS = 1 << 14
FINE_TIME_PER_S = 1 << 16
COARSE_TIME_MAX = (1 << 32) - 1

HEADERS_FORMAT = ">HHHIH"  # three primary header words, then CUC coarse and fine
HEADERS_OCTETS = PRIMARY_HEADER_OCTETS + SECONDARY_HEADER_OCTETS
_HDR = struct.Struct(HEADERS_FORMAT)


class PacketType(IntEnum):
    TM = 0
    TC = 1


class SequenceFlags(IntEnum):
    CONTINUATION = 0
    FIRST = 1
    LAST = 2
    UNSEGMENTED = 3


class PacketError(ValueError):
    """A byte string is not a valid packet of this protocol (length, version or CRC)."""


@dataclass(frozen=True, slots=True)
class PrimaryHeader:
    """The six-octet CCSDS primary header."""

    packet_type: PacketType
    apid: int
    seq_count: int
    data_length: int  # octets in the packet data field minus one
    sec_header_flag: bool = True
    seq_flags: SequenceFlags = SequenceFlags.UNSEGMENTED
    version: int = 0

    def pack(self) -> bytes:
        if not 0 <= self.version <= 7:
            raise PacketError(f"packet version {self.version} outside 0..7")
        if not 0 <= self.apid <= APID_MAX:
            raise PacketError(f"APID {self.apid} outside 0..{APID_MAX}")
        if not 0 <= self.seq_count < SEQ_COUNT_MODULUS:
            raise PacketError(f"sequence count {self.seq_count} outside 0..{SEQ_COUNT_MODULUS - 1}")
        if not 0 <= self.data_length <= 0xFFFF:
            raise PacketError(f"packet data length {self.data_length} outside 0..65535")
        word0 = (self.version << 13) | (int(self.packet_type) << 12) | (int(self.sec_header_flag) << 11)
        word0 |= self.apid
        word1 = (int(self.seq_flags) << 14) | self.seq_count
        return struct.pack(">HHH", word0, word1, self.data_length)

    @classmethod
    def unpack(cls, raw: bytes | bytearray | memoryview) -> PrimaryHeader:
        if len(raw) < PRIMARY_HEADER_OCTETS:
            raise PacketError(f"{len(raw)} octet(s) is shorter than a primary header")
        word0, word1, length = struct.unpack_from(">HHH", raw)
        return cls(
            version=word0 >> 13,
            packet_type=PacketType((word0 >> 12) & 1),
            sec_header_flag=bool((word0 >> 11) & 1),
            apid=word0 & APID_MAX,
            seq_flags=SequenceFlags(word1 >> 14),
            seq_count=word1 & (SEQ_COUNT_MODULUS - 1),
            data_length=length,
        )


def time_tag_from_seconds(t_s: float) -> tuple[int, int]:
    """(coarse, fine) CUC 4+2 time of ``t_s`` seconds since the epoch, fine time rounded to nearest."""
    if not math.isfinite(t_s) or t_s < 0:
        raise PacketError(f"time tag {t_s!r} s is not a finite non-negative number")
    ticks = round(t_s * FINE_TIME_PER_S)
    coarse, fine = divmod(int(ticks), FINE_TIME_PER_S)
    if coarse > COARSE_TIME_MAX:
        raise PacketError(f"time tag {t_s!r} s exceeds the 32-bit coarse time")
    return coarse, fine


def seconds_from_time_tag(coarse: int, fine: int) -> float:
    return coarse + fine / FINE_TIME_PER_S


@dataclass(frozen=True, slots=True)
class SpacePacket:
    """A whole packet: primary header, CUC time tag, user data (CRC checked and stripped)."""

    header: PrimaryHeader
    coarse_time: int
    fine_time: int
    user_data: bytes

    @property
    def apid(self) -> int:
        return self.header.apid

    @property
    def seq_count(self) -> int:
        return self.header.seq_count

    @property
    def packet_type(self) -> PacketType:
        return self.header.packet_type

    @property
    def time_tag_s(self) -> float:
        return seconds_from_time_tag(self.coarse_time, self.fine_time)


def pack_headers(
    apid: int,
    seq_count: int,
    user_data_octets: int,
    *,
    packet_type: PacketType = PacketType.TM,
    time_tag_s: float | None = None,
    coarse_time: int = 0,
    fine_time: int = 0,
    seq_flags: SequenceFlags = SequenceFlags.UNSEGMENTED,
) -> bytes:
    """The primary and secondary headers (12 octets) of a packet with ``user_data_octets`` of user data."""
    if time_tag_s is not None:
        coarse_time, fine_time = time_tag_from_seconds(time_tag_s)
    if not 0 <= coarse_time <= COARSE_TIME_MAX or not 0 <= fine_time < FINE_TIME_PER_S:
        raise PacketError(f"CUC time ({coarse_time}, {fine_time}) out of range")
    if not 0 <= user_data_octets <= MAX_USER_DATA_OCTETS:
        raise PacketError(f"{user_data_octets} octets of user data outside 0..{MAX_USER_DATA_OCTETS}")
    data_length = SECONDARY_HEADER_OCTETS + user_data_octets + CRC_OCTETS - 1
    header = PrimaryHeader(packet_type, apid, seq_count, data_length, True, seq_flags).pack()
    return header + struct.pack(">IH", coarse_time, fine_time)


def pack(
    apid: int,
    seq_count: int,
    user_data: bytes | bytearray | memoryview,
    *,
    packet_type: PacketType = PacketType.TM,
    time_tag_s: float | None = None,
    coarse_time: int = 0,
    fine_time: int = 0,
    seq_flags: SequenceFlags = SequenceFlags.UNSEGMENTED,
) -> bytes:
    """A complete packet with time tag and CRC. Give the time either as ``time_tag_s`` or as raw CUC."""
    body = pack_headers(
        apid, seq_count, len(user_data), packet_type=packet_type, time_tag_s=time_tag_s,
        coarse_time=coarse_time, fine_time=fine_time, seq_flags=seq_flags,
    ) + bytes(user_data)
    return body + crc16(body).to_bytes(CRC_OCTETS, "big")


class Check(IntEnum):
    """The outcome of checking one candidate packet; the first failing check is reported."""

    OK = 0
    SHORT = 1  # fewer octets than the smallest packet
    LONG = 2  # more octets than the largest packet
    VERSION = 3  # packet version number is not 0
    NO_SECONDARY_HEADER = 4  # secondary header flag is 0
    LENGTH = 5  # the packet data length field disagrees with the octets present
    CRC = 6  # the packet error control field is wrong


def check(raw: bytes | bytearray | memoryview) -> Check:
    """Check ``raw`` as exactly one packet: size, version, secondary header flag, length field, CRC."""
    n = len(raw)
    if n < MIN_PACKET_OCTETS:
        return Check.SHORT
    if n > MAX_PACKET_OCTETS:
        return Check.LONG
    if raw[0] >> 5 != 0:
        return Check.VERSION
    if not raw[0] & 0x08:
        return Check.NO_SECONDARY_HEADER
    if ((raw[4] << 8) | raw[5]) + 1 + PRIMARY_HEADER_OCTETS != n:
        return Check.LENGTH
    if crc16(raw) != 0:
        return Check.CRC
    return Check.OK


def packet_problem(raw: bytes | bytearray | memoryview) -> str | None:
    """Why ``raw`` is not a valid packet, in words, or None when it is."""
    result = check(raw)
    n = len(raw)
    if result is Check.OK:
        return None
    if result is Check.SHORT:
        return f"{n} octet(s) is shorter than the minimum packet of {MIN_PACKET_OCTETS}"
    if result is Check.LONG:
        return f"{n} octets exceed the maximum packet of {MAX_PACKET_OCTETS}"
    if result is Check.VERSION:
        return f"packet version {raw[0] >> 5} is not 0"
    if result is Check.NO_SECONDARY_HEADER:
        return "secondary header flag is 0"
    if result is Check.LENGTH:
        declared = ((raw[4] << 8) | raw[5]) + 1 + PRIMARY_HEADER_OCTETS
        return f"data length field says {declared} octets, got {n}"
    return "CRC mismatch"


def packet_is_valid(raw: bytes | bytearray | memoryview) -> bool:
    """True when ``raw`` is exactly one valid packet: length fields agree and the CRC is right."""
    return check(raw) is Check.OK


def unpack(raw: bytes | bytearray | memoryview) -> SpacePacket:
    """The packet in ``raw``; raises PacketError when it is not valid."""
    problem = packet_problem(raw)
    if problem is not None:
        raise PacketError(problem)
    _w0, _w1, _len, coarse, fine = _HDR.unpack_from(raw)
    header = PrimaryHeader.unpack(raw)
    start = PRIMARY_HEADER_OCTETS + SECONDARY_HEADER_OCTETS
    return SpacePacket(header, coarse, fine, bytes(raw[start : len(raw) - CRC_OCTETS]))


def peek_apid(raw: bytes | bytearray | memoryview) -> int:
    """The APID of a packet, without validation (the packet must hold at least two octets)."""
    return ((raw[0] << 8) | raw[1]) & APID_MAX


def peek_seq_count(raw: bytes | bytearray | memoryview) -> int:
    """The sequence count of a packet, without validation (at least four octets)."""
    return ((raw[2] << 8) | raw[3]) & (SEQ_COUNT_MODULUS - 1)
