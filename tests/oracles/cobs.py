"""Pure-Python reference of the framing area (csrc/fb_cobs.h): the oracle of its vectors and properties.

These are the implementations the project ran before the framing moved into the C core, kept as they
were: COBS encoding and decoding after Cheshire and Baker (IEEE/ACM Transactions on Networking, 1999),
the bit-by-bit CRC-16/CCITT-FALSE (``hil.protocol.crc.crc16_bitwise``), the packet checks of
``hil.protocol.spacepacket.check``, and a stream decoder that splits each completed region at its
delimiters and decodes and checks the frames one at a time.
"""

from __future__ import annotations

import re
from enum import IntEnum

from hil.protocol.crc import crc16_bitwise
from hil.protocol.spacepacket import MAX_PACKET_OCTETS, MIN_PACKET_OCTETS, PRIMARY_HEADER_OCTETS, Check, check

MAX_BLOCK = 254
DELIMITER = b"\x00"
_ONES = re.compile(b"\x01+")


class ReferenceDecodeError(ValueError):
    """Not a COBS encoding (empty, a zero octet, or a block running past the end)."""


def max_encoded_length(n: int) -> int:
    return n + n // MAX_BLOCK + 1


def encode(data: bytes) -> bytes:
    """Canonical COBS: the data split at its zeros, each piece in blocks of at most 254 octets; a final
    full block is not followed by an empty one."""
    out = bytearray()
    pieces = bytes(data).split(b"\x00")
    last = len(pieces) - 1
    for i, piece in enumerate(pieces):
        start = 0
        n = len(piece)
        while n - start >= MAX_BLOCK:
            out.append(0xFF)
            out += piece[start : start + MAX_BLOCK]
            start += MAX_BLOCK
        if start < n or i != last or n == 0:
            out.append(n - start + 1)
            out += piece[start:]
    return bytes(out)


def decode(encoded: bytes) -> bytes:
    """Follow the chain of code octets: each one after the first becomes the 0x00 it stands for, or is
    removed when it follows a full block (code 0xFF); the leading code octet is dropped."""
    enc = bytes(encoded)
    n = len(enc)
    if n == 0:
        raise ReferenceDecodeError("empty COBS frame")
    if b"\x00" in enc:
        raise ReferenceDecodeError("zero octet inside a COBS frame")
    out = bytearray(enc)
    removed: list[int] = []
    i = 0
    while True:  # bounded: i strictly increases and stays below n
        code = enc[i]
        if code == 1:
            m = _ONES.match(enc, i)
            j = m.end() if m is not None else i + 1
            out[i + 1 : j + 1] = bytes(min(j, n - 1) - i)
            if j >= n:
                break
            i = j
            continue
        j = i + code
        if j >= n:
            if j > n:
                raise ReferenceDecodeError(f"COBS block at offset {i} runs {j - n} octet(s) past the end")
            break
        if code == 0xFF:
            removed.append(j)
        else:
            out[j] = 0
        i = j
    for j in reversed(removed):
        del out[j]
    del out[0]
    return bytes(out)


def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    return crc16_bitwise(data, crc)


class FrameResult(IntEnum):
    OK = 0
    CRC = 1
    FRAMING = 2
    OVERSIZE = 3
    EMPTY = 4


def check_packet(raw: bytes, max_packet_octets: int = MAX_PACKET_OCTETS) -> Check:
    """``hil.protocol.spacepacket.check`` with the packet size limit as a parameter (the checks in the
    same order, the CRC bit by bit)."""
    n = len(raw)
    if n < MIN_PACKET_OCTETS:
        return Check.SHORT
    if n > max_packet_octets:
        return Check.LONG
    if raw[0] >> 5 != 0:
        return Check.VERSION
    if not raw[0] & 0x08:
        return Check.NO_SECONDARY_HEADER
    if ((raw[4] << 8) | raw[5]) + 1 + PRIMARY_HEADER_OCTETS != n:
        return Check.LENGTH
    if crc16_bitwise(raw) != 0:
        return Check.CRC
    return Check.OK


def classify(piece: bytes, max_frame_octets: int, max_packet_octets: int = MAX_PACKET_OCTETS
             ) -> tuple[FrameResult, bytes | None]:
    """What one frame (the octets before a delimiter) is, and its packet when valid: as the stream
    decoder did frame by frame with ``spacepacket.check`` (with the project's limit, this function's
    ``check_packet`` otherwise)."""
    if not piece:
        return FrameResult.EMPTY, None
    if len(piece) > max_frame_octets:
        return FrameResult.OVERSIZE, None
    try:
        packet = decode(piece)
    except ReferenceDecodeError:
        return FrameResult.FRAMING, None
    if max_packet_octets == MAX_PACKET_OCTETS:
        result = check(packet)
    else:
        result = check_packet(packet, max_packet_octets)
    if result is Check.OK:
        return FrameResult.OK, packet
    if result is Check.CRC:
        return FrameResult.CRC, None
    return FrameResult.FRAMING, None


def decode_frames(region: bytes, max_frame_octets: int, max_packet_octets: int = MAX_PACKET_OCTETS
                  ) -> tuple[list[bytes], list[FrameResult]]:
    """Every frame of ``region`` (ending with a delimiter), one at a time: the valid packets and each
    frame's result."""
    assert region.endswith(DELIMITER)
    packets: list[bytes] = []
    results: list[FrameResult] = []
    for piece in region.split(DELIMITER)[:-1]:
        result, packet = classify(piece, max_frame_octets, max_packet_octets)
        results.append(result)
        if packet is not None:
            packets.append(packet)
    return packets, results


class ReferenceStreamDecoder:
    """The stream decoder frame by frame: the same buffering, resynchronisation and counters as
    hil.protocol.framing.StreamDecoder (whose ``stats`` fields it keeps in a dict)."""

    def __init__(self, max_packet_octets: int = MAX_PACKET_OCTETS) -> None:
        self.max_frame_octets = max_encoded_length(max_packet_octets)
        self.stats = dict.fromkeys(("bytes", "frames", "packets", "crc_errors", "framing_errors", "oversize"),
                                   0)
        self._pending = bytearray()
        self._discarding = False

    @property
    def pending_octets(self) -> int:
        return len(self._pending)

    def flush(self) -> None:
        if self._pending:
            self.stats["frames"] += 1
            self.stats["framing_errors"] += 1
        self._pending.clear()
        self._discarding = False

    def feed(self, data: bytes) -> list[bytes]:
        stats = self.stats
        stats["bytes"] += len(data)
        last = data.rfind(DELIMITER)
        out: list[bytes] = []
        if last >= 0:
            head, tail = data[: last + 1], data[last + 1 :]
            if self._discarding:
                head = head[head.find(DELIMITER) + 1 :]
                self._discarding = False
            region = bytes(self._pending) + head
            self._pending.clear()
            for piece in region.split(DELIMITER)[:-1]:
                result, packet = classify(piece, self.max_frame_octets)
                if result is FrameResult.EMPTY:
                    continue
                stats["frames"] += 1
                key = {FrameResult.OK: "packets", FrameResult.CRC: "crc_errors",
                       FrameResult.FRAMING: "framing_errors", FrameResult.OVERSIZE: "oversize"}[result]
                stats[key] += 1
                if packet is not None:
                    out.append(packet)
        else:
            tail = data
        if tail and not self._discarding:
            self._pending += tail
            if len(self._pending) > self.max_frame_octets:
                stats["frames"] += 1
                stats["oversize"] += 1
                self._pending.clear()
                self._discarding = True
        return out
