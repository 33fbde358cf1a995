"""Consistent Overhead Byte Stuffing (Cheshire and Baker, IEEE/ACM Trans. Networking, 1999).

``encode`` removes every 0x00 octet from a packet so that 0x00 can delimit frames on a serial line; the
overhead is one octet, plus one more per 254 octets. The encoding is the canonical one: a final block of
exactly 254 non-zero octets (code 0xFF) is not followed by an empty block. ``decode`` accepts that form
and also the form with a trailing 0x01 block that some encoders emit.
"""

from __future__ import annotations

MAX_BLOCK = 254


class CobsDecodeError(ValueError):
    """The input is not a valid COBS encoding (a zero octet, or a block running past the end)."""


def max_encoded_length(n: int) -> int:
    """The largest COBS encoding of ``n`` octets (without the 0x00 delimiter)."""
    return n + n // MAX_BLOCK + 1


def encode(data: bytes | bytearray | memoryview) -> bytes:
    """COBS encoding of ``data``: the result holds no 0x00 octet and has no delimiter appended."""
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


def decode(encoded: bytes | bytearray | memoryview) -> bytes:
    """The data whose COBS encoding is ``encoded`` (without delimiter); raises CobsDecodeError."""
    enc = bytes(encoded)
    n = len(enc)
    if n == 0:
        raise CobsDecodeError("empty COBS frame")
    if b"\x00" in enc:
        raise CobsDecodeError("zero octet inside a COBS frame")
    out = bytearray()
    i = 0
    while i < n:
        code = enc[i]
        end = i + code
        if end > n:
            raise CobsDecodeError(f"COBS block at offset {i} runs {end - n} octet(s) past the end")
        out += enc[i + 1 : end]
        i = end
        if code != 0xFF and i < n:
            out.append(0)
    return bytes(out)
