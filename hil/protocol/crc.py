"""CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR.

This is the packet error control of CCSDS/ECSS usage; its check value over ``b"123456789"`` is 0x29B1.
``crc16`` runs in C through :func:`binascii.crc_hqx` (the same polynomial, unreflected, with the initial
value given); ``crc16_bitwise`` is a plain bit-by-bit implementation kept as a readable reference.
"""

from __future__ import annotations

import binascii

POLY = 0x1021
INIT = 0xFFFF
CHECK = 0x29B1  # crc16(b"123456789")
CRC_OCTETS = 2


def crc16(data: bytes | bytearray | memoryview, crc: int = INIT) -> int:
    """CRC-16/CCITT-FALSE of ``data``; pass a previous result as ``crc`` to continue over more data."""
    return binascii.crc_hqx(data, crc)


def crc16_bitwise(data: bytes | bytearray | memoryview, crc: int = INIT) -> int:
    """The same CRC computed one bit at a time (slow; the reference for ``crc16``)."""
    for octet in bytes(data):
        crc ^= octet << 8
        for _ in range(8):
            crc = ((crc << 1) ^ POLY) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def append_crc(data: bytes | bytearray) -> bytes:
    """``data`` followed by its CRC, most significant octet first."""
    return bytes(data) + crc16(data).to_bytes(CRC_OCTETS, "big")


def crc_is_valid(data: bytes | bytearray | memoryview) -> bool:
    """True when the last two octets of ``data`` are the CRC of the octets before them.

    Equivalently the CRC over the whole of ``data`` is zero (no final XOR, so the residue is 0).
    """
    return len(data) >= CRC_OCTETS and crc16(data) == 0
