"""Serial link framing in the C core (``csrc/fb_cobs.h``): COBS encoding and decoding, CRC-16/CCITT-FALSE,
the checks of a received packet, and the decoding of every frame of a stream region in one call.

COBS is Consistent Overhead Byte Stuffing (Cheshire and Baker, IEEE/ACM Transactions on Networking, 1999):
``encode`` removes every 0x00 octet from a packet so that 0x00 can delimit frames; the encoding is the
canonical one (a final block of 254 non-zero octets is not followed by an empty block) and ``decode`` also
accepts a trailing empty block. Bytes in, bytes out; malformed input raises ``CobsDecodeError`` (an
``InvalidInputError``, so a ``ValueError``), out-of-range limits ``InvalidInputError``, and the core's other
refusals the ``CoreError`` that ``_status.ensure`` gives.

    >>> from firmware_bindings import cobs
    >>> cobs.encode(b"\\x11\\x22\\x00\\x33")
    b'\\x03\\x11"\\x023'
    >>> cobs.decode(b"\\x03\\x11\\x22\\x02\\x33")
    b'\\x11"\\x003'
"""

from __future__ import annotations

import threading
from enum import IntEnum
from typing import Any, NamedTuple

from firmware_bindings._core import ffi, lib
from firmware_bindings._status import InvalidInputError, ensure

__all__ = [
    "CRC_INIT",
    "MAX_BLOCK",
    "MAX_PACKET_OCTETS",
    "MIN_PACKET_OCTETS",
    "CobsDecodeError",
    "DecodedFrames",
    "FrameCounts",
    "FrameDecoder",
    "FrameResult",
    "PacketCheck",
    "check_packet",
    "crc16",
    "decode",
    "decode_frames",
    "encode",
    "frame",
    "max_encoded_length",
]

MAX_BLOCK: int = int(lib.FB_COBS_MAX_BLOCK)  # data octets in a full block (code 0xFF)
MIN_PACKET_OCTETS: int = int(lib.FB_COBS_MIN_PACKET_OCTETS)  # primary and secondary headers and the CRC
MAX_PACKET_OCTETS = 1024  # the project's packet limit (hil.protocol.spacepacket.MAX_PACKET_OCTETS)
CRC_INIT: int = int(lib.FB_COBS_CRC_INIT)
_FB_E_RANGE = int(lib.FB_E_RANGE)
_FB_E_CAPACITY = int(lib.FB_E_CAPACITY)
_FRAME_RECORD_WORDS = 3  # fb_cobs_frame: out_offset, out_length, result (uint32 each)

Buffer = bytes | bytearray | memoryview


class CobsDecodeError(InvalidInputError):
    """The input is not a valid COBS encoding (empty, a zero octet, or a block running past the end)."""


class PacketCheck(IntEnum):
    """The first failing check of a candidate packet (the values of hil.protocol.spacepacket.Check)."""

    OK = int(lib.FB_COBS_CHECK_OK)
    SHORT = int(lib.FB_COBS_CHECK_SHORT)
    LONG = int(lib.FB_COBS_CHECK_LONG)
    VERSION = int(lib.FB_COBS_CHECK_VERSION)
    NO_SECONDARY_HEADER = int(lib.FB_COBS_CHECK_NO_SECONDARY_HEADER)
    LENGTH = int(lib.FB_COBS_CHECK_LENGTH)
    CRC = int(lib.FB_COBS_CHECK_CRC)


class FrameResult(IntEnum):
    """What one received frame was."""

    OK = int(lib.FB_COBS_FRAME_OK)  # a valid packet
    CRC = int(lib.FB_COBS_FRAME_CRC)  # a packet with a wrong CRC
    FRAMING = int(lib.FB_COBS_FRAME_FRAMING)  # bad COBS, or not exactly one packet
    OVERSIZE = int(lib.FB_COBS_FRAME_OVERSIZE)  # longer than the maximum frame, not decoded
    EMPTY = int(lib.FB_COBS_FRAME_EMPTY)  # nothing between two delimiters (skipped)


class FrameCounts(NamedTuple):
    """How many frames of a region had each result."""

    ok: int
    crc: int
    framing: int
    oversize: int
    empty: int


class DecodedFrames(NamedTuple):
    """The valid packets of a region in order, the count of each result, and each frame's result."""

    packets: list[bytes]
    counts: FrameCounts
    results: tuple[FrameResult, ...]


def _octets(data: Buffer) -> bytes:
    return data if type(data) is bytes else bytes(data)


def _refuse(message: str) -> InvalidInputError:
    """The error the core's FB_E_RANGE gives, with the binding's own words."""
    err = InvalidInputError(message)
    err.code = _FB_E_RANGE
    return err


def max_encoded_length(n: int) -> int:
    """The largest COBS encoding of ``n`` octets (without the 0x00 delimiter): n + n // 254 + 1."""
    if n < 0:
        raise ValueError(f"length must be non-negative, got {n}")
    out = ffi.new("size_t *")
    ensure(lib.fb_cobs_max_encoded_length(n, out), "fb_cobs_max_encoded_length")
    return int(out[0])


class _Scratch(threading.local):
    """Each thread's output buffer for encode, frame and decode (a cffi allocation costs more than the
    coding of a small packet); it grows to the largest output asked for."""

    def __init__(self) -> None:
        self.n_out = ffi.new("size_t *")
        self.cap = 0
        self.out: Any = None
        self.chars: Any = None  # the same memory as char *, so that ffi.unpack gives bytes
        self.reserve(2048)

    def reserve(self, cap: int) -> Any:
        if cap > self.cap:
            self.cap = max(cap, 2 * self.cap)
            self.out = ffi.new("uint8_t[]", self.cap)
            self.chars = ffi.cast("char *", self.out)
        return self.out


_scratch = _Scratch()


def encode(data: Buffer) -> bytes:
    """The canonical COBS encoding of ``data``: holds no 0x00 octet, no delimiter appended."""
    raw = _octets(data)
    n = len(raw)
    cap = n + n // MAX_BLOCK + 1
    s = _scratch
    status = lib.fb_cobs_encode(raw, n, s.reserve(cap), cap, s.n_out)
    if status:
        ensure(status, "fb_cobs_encode")
    result: bytes = ffi.unpack(s.chars, s.n_out[0])
    return result


def frame(data: Buffer) -> bytes:
    """The serial frame of ``data``: its COBS encoding followed by the 0x00 delimiter."""
    raw = _octets(data)
    n = len(raw)
    cap = n + n // MAX_BLOCK + 1
    s = _scratch
    out = s.reserve(cap + 1)
    status = lib.fb_cobs_encode(raw, n, out, cap, s.n_out)
    if status:
        ensure(status, "fb_cobs_encode")
    k = s.n_out[0]
    out[k] = 0  # the delimiter
    result: bytes = ffi.unpack(s.chars, k + 1)
    return result


def _decode_problem(raw: bytes) -> str:
    """Why ``raw`` is not a COBS encoding, in words (only called after the core refused it)."""
    if not raw:
        return "empty COBS frame"
    zero = raw.find(0)
    if zero >= 0:
        return f"zero octet at offset {zero} inside a COBS frame"
    return "a COBS block runs past the end of the frame"


def decode(encoded: Buffer) -> bytes:
    """The data whose COBS encoding (without delimiter) is ``encoded``; raises CobsDecodeError."""
    raw = _octets(encoded)
    n = len(raw)
    cap = max(n - 1, 1)
    s = _scratch
    status = lib.fb_cobs_decode(raw, n, s.reserve(cap), cap, s.n_out)
    if status:
        if status == _FB_E_RANGE:
            err = CobsDecodeError(f"fb_cobs_decode: {_decode_problem(raw)}")
            err.code = _FB_E_RANGE
            raise err
        ensure(status, "fb_cobs_decode")
    result: bytes = ffi.unpack(s.chars, s.n_out[0])
    return result


def crc16(data: Buffer, crc: int = CRC_INIT) -> int:
    """CRC-16/CCITT-FALSE of ``data``; pass a previous result as ``crc`` to continue over more data."""
    if not 0 <= crc <= 0xFFFF:
        raise ValueError(f"crc must be in 0..0xFFFF, got {crc}")
    raw = _octets(data)
    out = ffi.new("uint16_t *")
    ensure(lib.fb_cobs_crc16(raw, len(raw), crc, out), "fb_cobs_crc16")
    return int(out[0])


def check_packet(raw: Buffer, max_packet_octets: int = MAX_PACKET_OCTETS) -> PacketCheck:
    """Check ``raw`` as exactly one packet: size, version, secondary header flag, length field, CRC."""
    octets = _octets(raw)
    out = ffi.new("int *")
    ensure(lib.fb_cobs_check_packet(octets, len(octets), max_packet_octets, out), "fb_cobs_check_packet")
    return PacketCheck(out[0])


class FrameDecoder:
    """Decodes every frame of stream regions in one core call each, reusing its buffers between calls
    (one instance per stream; not shared between threads).

    A region is a run of stream octets ending with a 0x00 delimiter; its frames are the octets before
    each delimiter. Frames longer than ``max_frame_octets`` are OVERSIZE; decoded frames are checked as
    packets of at most ``max_packet_octets``.
    """

    def __init__(self, max_frame_octets: int, max_packet_octets: int = MAX_PACKET_OCTETS) -> None:
        if max_frame_octets < 1:
            raise _refuse(f"max_frame_octets must be at least 1, got {max_frame_octets}")
        if max_packet_octets < MIN_PACKET_OCTETS:
            raise _refuse(f"max_packet_octets must be at least {MIN_PACKET_OCTETS}, got {max_packet_octets}")
        self.max_frame_octets = max_frame_octets
        self.max_packet_octets = max_packet_octets
        self._n_frames = ffi.new("size_t *")
        self._n_out = ffi.new("size_t *")
        self._counts = ffi.new("uint32_t[5]")
        self._out_cap = 0
        self._out: Any = None
        self._out_chars: Any = None  # the same memory as char *, so that ffi.unpack gives bytes
        self._grow_out(2048)
        self._frames_cap = 32
        self._frames: Any = ffi.new("fb_cobs_frame[]", self._frames_cap)

    def _grow_out(self, n: int) -> None:
        self._out_cap = max(n, 2 * self._out_cap)
        self._out = ffi.new("uint8_t[]", self._out_cap)
        self._out_chars = ffi.cast("char *", self._out)

    def _call(self, region: bytes) -> None:
        """One core call over ``region``, growing the buffers when they are too small for it."""
        n = len(region)
        if self._out_cap < n:  # n octets always hold every packet of the region
            self._grow_out(n)
        status = lib.fb_cobs_decode_frames(region, n, self.max_frame_octets, self.max_packet_octets,
                                           self._out, self._out_cap, self._frames, self._frames_cap,
                                           self._n_frames, self._n_out, self._counts)
        if status == _FB_E_CAPACITY:  # more delimiters than records: grow the records to fit, once
            self._frames_cap = max(region.count(0), 2 * self._frames_cap)
            self._frames = ffi.new("fb_cobs_frame[]", self._frames_cap)
            status = lib.fb_cobs_decode_frames(region, n, self.max_frame_octets, self.max_packet_octets,
                                               self._out, self._out_cap, self._frames, self._frames_cap,
                                               self._n_frames, self._n_out, self._counts)
        if status:
            if status == _FB_E_RANGE and (not region or region[-1] != 0):
                raise _refuse("a region must end with the 0x00 delimiter")
            ensure(status, "fb_cobs_decode_frames")

    def _records(self) -> memoryview:
        """The last call's frame records as uint32 words: out_offset, out_length, result per frame."""
        size = 4 * _FRAME_RECORD_WORDS * self._n_frames[0]
        return memoryview(ffi.buffer(self._frames, size)).cast("I")

    def decode(self, region: Buffer) -> tuple[list[bytes], list[int]]:
        """The valid packets of ``region`` in order, and the count of frames per result (indexed by
        FrameResult: ok, crc, framing, oversize, empty)."""
        raw = _octets(region)
        self._call(raw)
        counts: list[int] = ffi.unpack(self._counts, 5)
        n_ok = counts[0]
        if n_ok == 0:
            return [], counts
        packed: bytes = ffi.unpack(self._out_chars, self._n_out[0])
        if n_ok == 1:  # the packets are back to back in the output: one packet is all of it
            return [packed], counts
        words = self._records()
        offsets = words[0::_FRAME_RECORD_WORDS].tolist()
        lengths = words[1::_FRAME_RECORD_WORDS].tolist()
        return [packed[o : o + m] for o, m in zip(offsets, lengths, strict=True) if m], counts

    def results(self) -> tuple[FrameResult, ...]:
        """The result of each frame (one per delimiter) of the last region decoded."""
        return tuple(FrameResult(r) for r in self._records()[2::_FRAME_RECORD_WORDS].tolist())


def decode_frames(region: Buffer, max_frame_octets: int, max_packet_octets: int = MAX_PACKET_OCTETS
                  ) -> DecodedFrames:
    """Every frame of ``region`` (stream octets ending with a 0x00 delimiter) decoded and checked in one
    core call: the valid packets in order, the count of each result, and each frame's result."""
    dec = FrameDecoder(max_frame_octets, max_packet_octets)
    packets, counts = dec.decode(region)
    return DecodedFrames(packets, FrameCounts(*counts), dec.results())
