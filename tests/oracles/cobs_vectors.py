"""Writes the framing area's vector file, tests/vectors/cobs.vec.

Run ``python -m tests.oracles.cobs_vectors`` from the worktree root.

Published values are typed in here with their source: the COBS encoding examples tabulated in the
Wikipedia article "Consistent Overhead Byte Stuffing" (the algorithm of Cheshire and Baker, IEEE/ACM
Transactions on Networking 7(2), 1999) and the CRC-16/CCITT-FALSE check value of the CRC RevEng catalogue
(Greg Cook, "Catalogue of parametrised CRC algorithms", 0x29B1 over "123456789"). Every other expected
value comes from the pure-Python reference in tests/oracles/cobs.py, never from the core; the packets
are built by hil.protocol.spacepacket.pack.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from hil.protocol import spacepacket
from tests.oracles import cobs as ref
from tests.vectorfile import VECTOR_DIR, write_vectors

OK, E_NULL, E_RANGE, E_CAPACITY = 0, 1, 3, 8
MAX_PACKET = spacepacket.MAX_PACKET_OCTETS
MAX_FRAME = ref.max_encoded_length(MAX_PACKET)

# (data, encoding): the encoding examples of the Wikipedia article, numbered as there.
WIKIPEDIA_EXAMPLES: list[tuple[str, bytes, bytes]] = [
    ("1", b"\x00", b"\x01\x01"),
    ("2", b"\x00\x00", b"\x01\x01\x01"),
    ("3", b"\x00\x11\x00", b"\x01\x02\x11\x01"),
    ("4", b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33"),
    ("5", b"\x11\x22\x33\x44", b"\x05\x11\x22\x33\x44"),
    ("6", b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01"),
    ("7", bytes(range(1, 255)), b"\xff" + bytes(range(1, 255))),
    ("8", bytes(range(0, 255)), b"\x01\xff" + bytes(range(1, 255))),
    ("9", bytes(range(1, 256)), b"\xff" + bytes(range(1, 255)) + b"\x02\xff"),
    ("10", bytes(range(2, 256)) + b"\x00", b"\xff" + bytes(range(2, 256)) + b"\x01\x01"),
    ("11", bytes(range(3, 256)) + b"\x00\x01", b"\xfe" + bytes(range(3, 256)) + b"\x02\x01"),
]


def _ints(values: Iterable[int]) -> str:
    return " ".join(str(int(v)) for v in values)


def line(case: str, status: int, inputs: Iterable[int], outputs: Iterable[int]) -> str:
    """Integers are exact in decimal; the tolerance is 0 (every output is an octet, count or code)."""
    return f"{case} {status} 0.0 : {_ints(inputs)} : {_ints(outputs)}".replace("  ", " ")


def string(s: bytes) -> list[int]:
    return [len(s), *s]


def encode_line(data: bytes, cap: int | None = None, comment: str = "") -> list[str]:
    enc = ref.encode(data)
    cap = ref.max_encoded_length(len(data)) if cap is None else cap
    status = OK if cap >= len(enc) else E_CAPACITY
    out = string(enc) if status == OK else [0]
    return ([f"# {comment}"] if comment else []) + [line("cobs_encode", status, [cap, *data], out)]


def decode_line(enc: bytes, cap: int | None = None, comment: str = "") -> list[str]:
    cap = max(len(enc) - 1, 0) if cap is None else cap
    try:
        data = ref.decode(enc)
    except ref.ReferenceDecodeError:
        status, out = E_RANGE, [0]
    else:
        status, out = (OK, string(data)) if cap >= len(data) else (E_CAPACITY, [0])
    return ([f"# {comment}"] if comment else []) + [line("cobs_decode", status, [cap, *enc], out)]


def frames_line(region: bytes, max_frame: int = MAX_FRAME, max_packet: int = MAX_PACKET,
                out_cap: int | None = None, frames_cap: int | None = None, comment: str = "") -> list[str]:
    out_cap = len(region) if out_cap is None else out_cap
    frames_cap = region.count(0) if frames_cap is None else frames_cap
    packets, results = ref.decode_frames(region, max_frame, max_packet)
    counts = [sum(1 for r in results if r == k) for k in ref.FrameResult]
    records: list[int] = []
    offset = 0
    packet_iter = iter(packets)
    for r in results:
        if r == ref.FrameResult.OK:
            n = len(next(packet_iter))
            records += [offset, n, r]
            offset += n
        else:
            records += [offset, 0, r]
    packed = b"".join(packets)
    status = OK
    if frames_cap < len(results) or out_cap < len(packed):
        status = E_CAPACITY
    out = [len(results), len(packed), *counts, *records, *packed] if status == OK else [0] * 7
    head = [f"# {comment}"] if comment else []
    inputs = [out_cap, frames_cap, max_frame, max_packet, *region]
    return [*head, line("cobs_decode_frames", status, inputs, out)]


def _packet(user_data: bytes, apid: int = 0x123, seq: int = 7) -> bytes:
    return spacepacket.pack(apid, seq, user_data, coarse_time=0x01020304, fine_time=0x0506)


def build() -> list[str]:
    lines: list[str] = []
    for number, data, enc in WIKIPEDIA_EXAMPLES:
        assert ref.encode(data) == enc and ref.decode(enc) == data, number
        lines.append(f"# Wikipedia COBS encoding example {number}")
        lines.append(line("cobs_encode", OK, [ref.max_encoded_length(len(data)), *data], string(enc)))
        lines.append(line("cobs_decode", OK, [len(enc) - 1, *enc], string(data)))
    lines += encode_line(b"", comment="the empty packet is one empty block (code 0x01)")
    lines += decode_line(b"\x01")
    lines += encode_line(bytes(range(1, 255)) * 2, comment="two full blocks, the last not followed by an "
                         "empty block")
    lines += encode_line(bytes(range(1, 255)) + b"\x00", comment="a full block then a zero")
    lines += encode_line(b"\x00" * 300, comment="a run of zeros longer than a block")
    lines += encode_line(bytes(range(1, 256)) * 3 + b"\x00\x00\x07")
    lines += decode_line(b"\xff" + bytes(range(1, 255)) + b"\x01",
                         comment="decoding accepts a trailing empty block after a full block")
    lines += decode_line(b"\x01" * 5 + b"\xff" + bytes(range(1, 255)) + b"\x03\x01\x02")
    # capacity: exactly enough, and one octet short
    data = bytes(range(0, 40))
    n = len(ref.encode(data))
    lines += encode_line(data, cap=n, comment="capacity: exactly the encoded length, then one octet less")
    lines += encode_line(data, cap=n - 1)
    lines += encode_line(b"", cap=0)
    enc = ref.encode(data)
    lines += decode_line(enc, cap=len(data), comment="capacity: exactly the decoded length, then one less")
    lines += decode_line(enc, cap=len(data) - 1)
    lines += decode_line(b"\x01\x01", cap=0)
    # malformed encodings (the refusals of the reference decoder)
    lines += decode_line(b"", cap=4, comment="malformed: empty, a zero octet, blocks past the end")
    lines += decode_line(b"\x03\x11")
    lines += decode_line(b"\x02\x00")
    lines += decode_line(b"\x05\x11\x22\x33")
    lines += decode_line(b"\x02\x11\x00\x01")
    lines += decode_line(b"\x01\x01\x05")
    lines += decode_line(b"\xff" + bytes(range(1, 254)))
    # largest encodings
    lines.append("# largest encoding: n + floor(n / 254) + 1; overflow of size_t is refused")
    for n in (0, 1, 253, 254, 255, 507, 508, 1024, 2**40):
        lines.append(line("cobs_max_encoded_length", OK, [n], [ref.max_encoded_length(n)]))
    lines.append(line("cobs_max_encoded_length", E_RANGE, [2**64 - 2**11], [0]))
    # CRC
    lines.append("# CRC RevEng catalogue, CRC-16/IBM-3740 (alias CCITT-FALSE): check 0x29B1 over '123456789'")
    lines.append(line("cobs_crc16", OK, [0xFFFF, *b"123456789"], [0x29B1]))
    lines.append("# the same check value continued over a split input; the empty input leaves the register")
    lines.append(line("cobs_crc16", OK, [ref.crc16(b"12345"), *b"6789"], [0x29B1]))
    lines.append(line("cobs_crc16", OK, [0xFFFF], [0xFFFF]))
    lines.append(line("cobs_crc16", OK, [0x1D0F], [0x1D0F]))
    for data in (b"\x00", b"\xff" * 7, bytes(range(256)), _packet(b"deorbit")):
        lines.append(line("cobs_crc16", OK, [0xFFFF, *data], [ref.crc16(data)]))
    # packet checks, one per outcome (expected from the reference check)
    good = _packet(b"\x10\x20\x30")
    variants: list[tuple[str, bytes, int]] = [
        ("valid", good, MAX_PACKET),
        ("short", good[:13], MAX_PACKET),
        ("long for a 20-octet limit", _packet(bytes(10)), 20),
        ("version 1", bytes([good[0] | 0x20]) + good[1:], MAX_PACKET),
        ("no secondary header", bytes([good[0] & ~0x08]) + good[1:], MAX_PACKET),
        ("length field one too many", good[:5] + bytes([good[5] + 1]) + good[6:], MAX_PACKET),
        ("CRC off by one bit", good[:-1] + bytes([good[-1] ^ 0x01]), MAX_PACKET),
        ("empty", b"", MAX_PACKET),
    ]
    lines.append("# packet checks in the order of spacepacket.check (expected from the reference)")
    for name, pkt, limit in variants:
        lines.append(f"# {name}")
        lines.append(line("cobs_check_packet", OK, [limit, *pkt], [ref.check_packet(pkt, limit)]))
    lines.append(line("cobs_check_packet", E_RANGE, [13, *good], [0]))
    # whole regions
    p1, p2 = _packet(b"\x00\x01\x00" * 5), _packet(bytes(range(1, 255)) + b"\x00", apid=0x7FE, seq=16383)
    f1, f2 = ref.encode(p1) + b"\x00", ref.encode(p2) + b"\x00"
    bad_crc = ref.encode(p1[:-1] + bytes([p1[-1] ^ 0x40])) + b"\x00"
    lines += frames_line(f1 + f2, comment="regions: two valid packets")
    lines += frames_line(b"\x00\x00" + f1 + b"\x00" + bad_crc + b"\x03\x11\x00" + b"\x05\x01\x00" + f2,
                         comment="idle fill, a CRC error, bad COBS, a decoded frame too short, a valid one")
    lines += frames_line(b"\x01" * 40 + b"\x00" + f1, max_frame=39, comment="an oversize frame then a packet")
    lines += frames_line(ref.encode(bytes(20)) + b"\x00" + ref.encode(_packet(bytes(10))) + b"\x00" + f1,
                         max_packet=20, comment="a packet above a 20-octet limit is a framing error")
    lines += frames_line(b"\x00", comment="a lone delimiter")
    rng = random.Random(20261124)
    lines.append("# garbage regions (seeded pseudo-random octets and damaged frames, for the sanitizer run)")
    for k in range(6):
        parts: list[bytes] = []
        for _ in range(8):
            choice = rng.randrange(4)
            if choice == 0:
                parts.append(bytes(rng.choice((0, 1, 2, 0xFE, 0xFF, rng.randrange(256))) for _ in range(40)))
            elif choice in (1, 2):  # a packet's frame, intact or with one bit flipped
                damaged = bytearray(ref.encode(_packet(bytes(rng.randrange(256) for _ in range(60)), seq=k)))
                if choice == 1:
                    damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
                parts.append(bytes(damaged) + b"\x00")
            else:
                parts.append(bytes(rng.randrange(1, 256) for _ in range(rng.randrange(200, 300))) + b"\x00")
        lines += frames_line(b"".join(parts) + b"\x00", max_frame=250 if k % 2 else MAX_FRAME)
    lines += frames_line(f1 + f2, frames_cap=1, comment="capacity: one record for two frames")
    lines += frames_line(f1 + f2, out_cap=len(p1) + len(p2) - 1, comment="capacity: one octet short")
    lines.append("# refused: a region not ending in a delimiter, empty; no frame limit; packet limit < 14")
    lines.append(line("cobs_decode_frames", E_RANGE, [64, 4, MAX_FRAME, MAX_PACKET, *f1[:-1]], [0] * 7))
    lines.append(line("cobs_decode_frames", E_RANGE, [64, 4, MAX_FRAME, MAX_PACKET], [0] * 7))
    lines.append(line("cobs_decode_frames", E_RANGE, [64, 4, 0, MAX_PACKET, *f1], [0] * 7))
    lines.append(line("cobs_decode_frames", E_RANGE, [64, 4, MAX_FRAME, 13, *f1], [0] * 7))
    lines.append("# a NULL required pointer in each function")
    for k in range(8):
        lines.append(line("cobs_null_pointer", E_NULL, [k], []))
    return lines


def main() -> None:
    provenance = [
        "provenance: COBS encoding examples 1-11 of the Wikipedia article",
        "'Consistent Overhead Byte Stuffing' (the algorithm of Cheshire and Baker, IEEE/ACM Trans.",
        "Networking 7(2), 1999); the CRC-16/CCITT-FALSE check value 0x29B1 of the CRC RevEng catalogue;",
        "every other expected value from the pure-Python reference tests/oracles/cobs.py",
        "(written by tests/oracles/cobs_vectors.py, do not edit by hand).",
        "Octet strings are one number per octet; a result string is its length followed by its octets.",
    ]
    write_vectors(VECTOR_DIR / "cobs.vec", provenance, build())


if __name__ == "__main__":
    main()
