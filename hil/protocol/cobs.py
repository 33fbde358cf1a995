"""Consistent Overhead Byte Stuffing (Cheshire and Baker, IEEE/ACM Trans. Networking, 1999).

``encode`` removes every 0x00 octet from a packet so that 0x00 can delimit frames on a serial line; the
overhead is one octet, plus one more per 254 octets. The encoding is the canonical one: a final block of
exactly 254 non-zero octets (code 0xFF) is not followed by an empty block. ``decode`` accepts that form
and also the form with a trailing 0x01 block that some encoders emit.

Both run in the C core (``firmware_bindings.cobs``, ``csrc/fb_cobs.h``), as a flight computer's link layer
would; the pure-Python implementation they replaced is the reference of the tests (tests/oracles/cobs.py).
"""

from __future__ import annotations

from firmware_bindings import cobs as _core
from firmware_bindings.cobs import CobsDecodeError

__all__ = ["MAX_BLOCK", "CobsDecodeError", "decode", "encode", "max_encoded_length"]

MAX_BLOCK = _core.MAX_BLOCK


def max_encoded_length(n: int) -> int:
    """The largest COBS encoding of ``n`` octets (without the 0x00 delimiter)."""
    return n + n // MAX_BLOCK + 1


def encode(data: bytes | bytearray | memoryview) -> bytes:
    """COBS encoding of ``data``: the result holds no 0x00 octet and has no delimiter appended."""
    return _core.encode(data)


def decode(encoded: bytes | bytearray | memoryview) -> bytes:
    """The data whose COBS encoding is ``encoded`` (without delimiter); raises CobsDecodeError (a
    ValueError) for an empty input, a zero octet, or a block running past the end."""
    return _core.decode(encoded)
