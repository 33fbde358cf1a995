"""Consistent Overhead Byte Stuffing (Cheshire and Baker, IEEE/ACM Trans. Networking, 1999).

``encode`` removes every 0x00 octet from a packet so that 0x00 can delimit frames on a serial line; the
overhead is one octet, plus one more per 254 octets. The encoding is the canonical one: a final block of
exactly 254 non-zero octets (code 0xFF) is not followed by an empty block. ``decode`` accepts that form
and also the form with a trailing 0x01 block that some encoders emit.
"""

from __future__ import annotations

import re

MAX_BLOCK = 254
_ONES = re.compile(b"\x01+")


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
    """The data whose COBS encoding is ``encoded`` (without delimiter); raises CobsDecodeError.

    Walks the code octets only: each code octet after the first becomes the 0x00 it stands for, or is
    removed when it follows a full block (code 0xFF), and the leading code octet is dropped. A run of
    0x01 codes (a run of zeros in the data) is handled in one step.
    """
    enc = bytes(encoded)
    n = len(enc)
    if n == 0:
        raise CobsDecodeError("empty COBS frame")
    if b"\x00" in enc:
        raise CobsDecodeError("zero octet inside a COBS frame")
    out = bytearray(enc)
    removed: list[int] = []
    i = 0
    match_ones = _ONES.match
    while True:  # bounded: i strictly increases and stays below n
        code = enc[i]
        if code == 1:
            m = match_ones(enc, i)
            j = m.end() if m is not None else i + 1  # the code octet after the run, or the end
            out[i + 1 : j + 1] = bytes(min(j, n - 1) - i)
            if j >= n:
                break
            i = j
            continue
        j = i + code
        if j >= n:
            if j > n:
                raise CobsDecodeError(f"COBS block at offset {i} runs {j - n} octet(s) past the end")
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
