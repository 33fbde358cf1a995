"""Serial framing: each packet is COBS-encoded and followed by one 0x00 delimiter.

``StreamDecoder`` turns arbitrary chunks of a byte stream (partial reads, many frames per read,
garbage) into the CRC-valid packets it holds. It never raises on input bytes, buffers at most one
maximum-size frame, resynchronises on the next delimiter after anything bad, and counts what it saw.
Encoding and decoding run in the C core (``firmware_bindings.cobs``): every read that completes frames
is decoded and checked in one core call, whatever the number of frames.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from firmware_bindings import cobs as _core
from hil.protocol import cobs
from hil.protocol.spacepacket import (
    MAX_PACKET_OCTETS,
    MIN_PACKET_OCTETS,
    PRIMARY_HEADER_OCTETS,
    Check,
    check,
)

DELIMITER = b"\x00"
MAX_FRAME_OCTETS = cobs.max_encoded_length(MAX_PACKET_OCTETS)  # encoded, without the delimiter


def frame(packet: bytes | bytearray | memoryview) -> bytes:
    """The serial frame of one packet: its COBS encoding followed by 0x00."""
    return _core.frame(packet)


@dataclass(slots=True)
class DecoderStats:
    """What a StreamDecoder has seen. Every non-empty delimited frame ends in exactly one of
    ``packets``, ``crc_errors``, ``framing_errors`` or ``oversize``."""

    bytes: int = 0  # octets fed, delimiters and garbage included
    frames: int = 0  # non-empty frames closed by a delimiter or dropped as oversize
    packets: int = 0  # valid packets returned
    crc_errors: int = 0  # frames that decoded to a packet of the right length with a wrong CRC
    framing_errors: int = 0  # bad COBS, or a decoded frame that is not exactly one packet
    oversize: int = 0  # frames longer than the maximum, dropped up to the next delimiter

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class StreamDecoder:
    """Incremental COBS frame decoder. ``feed`` returns the valid packets completed by the new data;
    the counters are in ``stats``."""

    def __init__(self, max_packet_octets: int = MAX_PACKET_OCTETS) -> None:
        if not 1 <= max_packet_octets <= MAX_PACKET_OCTETS:
            raise ValueError(f"max_packet_octets must be in 1..{MAX_PACKET_OCTETS}")
        self.max_frame_octets = cobs.max_encoded_length(max_packet_octets)
        self.stats = DecoderStats()
        self._pending = bytearray()
        self._discarding = False
        # Decoded frames are checked against the protocol's packet limit, whatever max_packet_octets is
        # (a smaller limit only bounds the frames accepted for decoding).
        self._frames = _core.FrameDecoder(self.max_frame_octets, MAX_PACKET_OCTETS)

    @property
    def pending_octets(self) -> int:
        """Octets held for a frame whose delimiter has not arrived yet (at most one frame)."""
        return len(self._pending)

    def reset(self) -> None:
        """Forget a partial frame (for example after the port was reopened); counters are kept."""
        self._pending.clear()
        self._discarding = False

    def flush(self) -> None:
        """End of stream: a partial frame still pending is counted as a framing error and dropped."""
        if self._pending:
            self.stats.frames += 1
            self.stats.framing_errors += 1
        self.reset()

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """The valid packets whose frames ``data`` completes, in order; everything else is counted."""
        stats = self.stats
        if type(data) is not bytes:
            data = bytes(data)
        stats.bytes += len(data)
        last = data.rfind(0)
        out: list[bytes] = []
        if last >= 0:
            head, tail = data[: last + 1], data[last + 1 :]
            if self._discarding:  # the oversize frame ends at the first delimiter; it was counted already
                head = head[head.find(0) + 1 :]
                self._discarding = False
            if self._pending:
                region = bytes(self._pending) + head
                self._pending.clear()
            else:
                region = head
            if region:
                out = self._decode_region(region)
        else:
            tail = data
        if tail and not self._discarding:
            self._pending += tail
            if len(self._pending) > self.max_frame_octets:
                stats.frames += 1
                stats.oversize += 1
                self._pending.clear()
                self._discarding = True
        return out

    def _decode_region(self, region: bytes) -> list[bytes]:
        """Decode and count every frame of ``region`` (which ends with a delimiter) in one core call."""
        packets, (ok, crc, framing, oversize, _empty) = self._frames.decode(region)
        stats = self.stats
        stats.frames += ok + crc + framing + oversize
        stats.packets += ok
        if crc:
            stats.crc_errors += crc
        if framing:
            stats.framing_errors += framing
        if oversize:
            stats.oversize += oversize
        return packets


class RawStreamDecoder:
    """Packets back to back with no framing (a capture of MQTT payloads, or a file of packets).

    Packets are found by their length field and checked; after a bad one the decoder slides forward
    one octet at a time until a valid packet starts. Each run of skipped octets counts one framing error
    (or one CRC error when the run began at a well-formed header whose CRC was wrong); ``frames`` counts
    packets and such runs. It buffers at most one maximum-size packet and never raises on input.
    """

    def __init__(self) -> None:
        self.stats = DecoderStats()
        self._buf = bytearray()
        self._skipping = False

    @property
    def pending_octets(self) -> int:
        return len(self._buf)

    def _skip_one(self, crc_error: bool) -> None:
        if not self._skipping:
            self._skipping = True
            self.stats.frames += 1
            if crc_error:
                self.stats.crc_errors += 1
            else:
                self.stats.framing_errors += 1
        del self._buf[0]

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        self.stats.bytes += len(data)
        self._buf += data
        out: list[bytes] = []
        buf = self._buf
        while len(buf) >= PRIMARY_HEADER_OCTETS:
            total = ((buf[4] << 8) | buf[5]) + 1 + PRIMARY_HEADER_OCTETS
            plausible = buf[0] >> 5 == 0 and buf[0] & 0x08 and MIN_PACKET_OCTETS <= total <= MAX_PACKET_OCTETS
            if not plausible:
                self._skip_one(False)
                continue
            if len(buf) < total:
                break
            result = check(buf[:total])
            if result is Check.OK:
                out.append(bytes(buf[:total]))
                del buf[:total]
                self._skipping = False
                self.stats.frames += 1
                self.stats.packets += 1
            else:
                self._skip_one(result is Check.CRC)
        return out

    def flush(self) -> None:
        """End of stream: octets still held are counted as one framing error and dropped."""
        if self._buf and not self._skipping:
            self.stats.frames += 1
            self.stats.framing_errors += 1
        self._buf.clear()
        self._skipping = False
