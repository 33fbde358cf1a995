"""Serial framing: each packet is COBS-encoded and followed by one 0x00 delimiter.

``StreamDecoder`` turns arbitrary chunks of a byte stream (partial reads, many frames per read,
garbage) into the CRC-valid packets it holds. It never raises on input bytes, buffers at most one
maximum-size frame, resynchronises on the next delimiter after anything bad, and counts what it saw.
A read that completes many frames is decoded in one numpy pass; a small one frame by frame with
``cobs.decode``, which is the reference the batch path is tested against.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

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
    return cobs.encode(packet) + DELIMITER


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

    def __init__(self, max_packet_octets: int = MAX_PACKET_OCTETS, batch_min_frames: int = 12) -> None:
        """``batch_min_frames``: reads completing at least this many frames are decoded in one numpy
        pass (faster for large reads); smaller ones frame by frame. Both give the same results."""
        if not 1 <= max_packet_octets <= MAX_PACKET_OCTETS:
            raise ValueError(f"max_packet_octets must be in 1..{MAX_PACKET_OCTETS}")
        if batch_min_frames < 1:
            raise ValueError("batch_min_frames must be at least 1")
        self.batch_min_frames = batch_min_frames
        self.max_frame_octets = cobs.max_encoded_length(max_packet_octets)
        self.stats = DecoderStats()
        self._pending = bytearray()
        self._discarding = False

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
        data = bytes(data)
        stats.bytes += len(data)
        last = data.rfind(DELIMITER)
        out: list[bytes] = []
        if last >= 0:
            head, tail = data[: last + 1], data[last + 1 :]
            if self._discarding:  # the oversize frame ends at the first delimiter; it was counted already
                head = head[head.find(DELIMITER) + 1 :]
                self._discarding = False
            region = bytes(self._pending) + head
            self._pending.clear()
            if region.count(DELIMITER) >= self.batch_min_frames:
                out = self._frames_batch(region)
            else:
                out = self._frames_one_by_one(region)
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

    def _frames_one_by_one(self, region: bytes) -> list[bytes]:
        """Decode the complete frames of ``region`` (which ends with a delimiter) one at a time."""
        stats = self.stats
        limit = self.max_frame_octets
        out: list[bytes] = []
        for piece in region.split(DELIMITER)[:-1]:
            if not piece:
                continue  # idle fill or a repeated delimiter
            stats.frames += 1
            if len(piece) > limit:
                stats.oversize += 1
                continue
            packet = self._decode(piece)
            if packet is not None:
                out.append(packet)
        return out

    def _frames_batch(self, region: bytes) -> list[bytes]:
        """The same as ``_frames_one_by_one``, with the COBS code chains of every frame followed at once
        in numpy by pointer doubling: a frame is well formed when the chain from its first code octet
        lands exactly on its delimiter; the code octets on the chain become zeros (or disappear after a
        0xFF block), the first one and the delimiter are dropped."""
        stats = self.stats
        a = np.frombuffer(region, dtype=np.uint8)
        n = a.size
        ends = np.flatnonzero(a == 0)
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        lengths = ends - starts
        decodable = (lengths > 0) & (lengths <= self.max_frame_octets)
        pos = np.arange(n, dtype=np.int64)
        end_of = ends[np.cumsum(a == 0) - (a == 0)]  # the delimiter closing each position's frame
        nxt = pos + a
        nxt[nxt > end_of] = n  # a block running past its frame leads to the sink
        nxt = np.append(nxt, n)  # the sink points at itself; delimiters (code 0) point at themselves
        on_chain = np.zeros(n + 1, dtype=bool)
        on_chain[starts[decodable]] = True
        jump = nxt
        longest = int(lengths[decodable].max()) if decodable.any() else 0
        for _ in range(max(1, longest.bit_length())):  # chains are at most `longest` + 1 octets long
            on_chain[jump[on_chain]] = True
            jump = jump[jump]
        on_chain = on_chain[:n]
        is_code = on_chain & (a != 0)
        after_full = np.zeros(n + 1, dtype=bool)
        after_full[nxt[:n][is_code & (a == 0xFF)]] = True
        values = np.where(is_code, 0, a).astype(np.uint8)
        keep = ~(is_code & after_full[:n]) & (a != 0)
        keep[starts] = False
        prefix = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(keep, out=prefix[1:])
        decoded = values[keep].tobytes()
        lo, hi = prefix[starts].tolist(), prefix[ends].tolist()
        well_formed = on_chain[ends].tolist()
        out: list[bytes] = []
        for k, length in enumerate(lengths.tolist()):
            if not length:
                continue
            stats.frames += 1
            if length > self.max_frame_octets:
                stats.oversize += 1
                continue
            if not well_formed[k]:
                stats.framing_errors += 1
                continue
            packet = decoded[lo[k] : hi[k]]
            result = check(packet)
            if result is Check.OK:
                stats.packets += 1
                out.append(packet)
            elif result is Check.CRC:
                stats.crc_errors += 1
            else:
                stats.framing_errors += 1
        return out

    def _decode(self, encoded: bytes) -> bytes | None:
        stats = self.stats
        try:
            packet = cobs.decode(encoded)
        except cobs.CobsDecodeError:
            stats.framing_errors += 1
            return None
        result = check(packet)
        if result is Check.OK:
            stats.packets += 1
            return packet
        if result is Check.CRC:
            stats.crc_errors += 1
        else:
            stats.framing_errors += 1
        return None


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
