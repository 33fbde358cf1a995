"""The framing area (firmware_bindings.cobs, csrc/fb_cobs.h) from Python.

Its vector file (tests/vectors/cobs.vec, the same lines the C runner checks in tests/unit/test_c_vectors.py)
through the binding: a status other than 0 must raise the exception of that status, a status of 0 must
reproduce the outputs exactly (octets, counts and codes; tolerance 0). Then the binding's own behaviour:
the accepted input types, its error messages, and the frame decoder's buffers growing to any region.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from firmware_bindings._core import ffi, lib

from firmware_bindings import cobs
from firmware_bindings._status import STATUS, CapacityError, CoreError, InvalidInputError, ensure
from hil.protocol import cobs as protocol_cobs
from hil.protocol import spacepacket
from tests.vectorfile import VECTOR_DIR, Vector, read_vectors

VECTORS = read_vectors(VECTOR_DIR / "cobs.vec")


def _octets(values: Sequence[float]) -> bytes:
    return bytes(int(v) for v in values)


def _string(s: bytes) -> list[int]:
    return [len(s), *s]


def _encode(v: Sequence[float]) -> list[int]:
    data = _octets(v[1:])
    enc = cobs.encode(data)
    if len(enc) > int(v[0]):  # the binding sizes its own buffer: a smaller capacity is the core's refusal
        raise CapacityError("encoding longer than the capacity")
    return _string(enc)


def _decode(v: Sequence[float]) -> list[int]:
    data = cobs.decode(_octets(v[1:]))
    if len(data) > int(v[0]):
        raise CapacityError("decoding longer than the capacity")
    return _string(data)


def _frames(v: Sequence[float]) -> list[int]:
    out_cap, frames_cap, max_frame, max_packet = (int(x) for x in v[:4])
    region = _octets(v[4:])
    got = cobs.decode_frames(region, max_frame, max_packet)
    if len(got.results) > frames_cap or sum(map(len, got.packets)) > out_cap:
        raise CapacityError("more frames or packet octets than the capacity")
    records: list[int] = []
    offset = 0
    packets = iter(got.packets)
    for r in got.results:
        n = len(next(packets)) if r is cobs.FrameResult.OK else 0
        records += [offset, n, int(r)]
        offset += n
    packed = b"".join(got.packets)
    return [len(got.results), len(packed), *got.counts, *records, *packed]


def _null(v: Sequence[float]) -> list[int]:
    """The binding never passes NULL; call the core directly as the C case does."""
    buf = ffi.new("uint8_t[8]")
    n = ffi.new("size_t *")
    calls: list[Callable[[], int]] = [
        lambda: lib.fb_cobs_encode(ffi.NULL, 1, buf, 8, n),
        lambda: lib.fb_cobs_encode(buf, 1, ffi.NULL, 8, n),
        lambda: lib.fb_cobs_decode(b"\x01\x02", 2, buf, 4, ffi.NULL),
        lambda: lib.fb_cobs_crc16(ffi.NULL, 3, 0xFFFF, ffi.new("uint16_t *")),
        lambda: lib.fb_cobs_check_packet(b"\x01\x02\x00", 3, 1024, ffi.NULL),
        lambda: lib.fb_cobs_decode_frames(b"\x01\x02\x00", 3, 10, 1024, buf, 4, ffi.NULL, 4, n, n,
                                          ffi.new("uint32_t[5]")),
        lambda: lib.fb_cobs_decode_frames(ffi.NULL, 3, 10, 1024, buf, 4, ffi.new("fb_cobs_frame[4]"), 4, n, n,
                                          ffi.new("uint32_t[5]")),
        lambda: lib.fb_cobs_max_encoded_length(3, ffi.NULL),
    ]
    ensure(calls[int(v[0])](), "null pointer case")
    return []


def _check(v: Sequence[float]) -> list[int]:
    return [int(cobs.check_packet(_octets(v[1:]), int(v[0])))]


CASES: dict[str, Callable[[Sequence[float]], list[int]]] = {
    "cobs_encode": _encode,
    "cobs_decode": _decode,
    "cobs_max_encoded_length": lambda v: [cobs.max_encoded_length(int(v[0]))],
    "cobs_crc16": lambda v: [cobs.crc16(_octets(v[1:]), int(v[0]))],
    "cobs_check_packet": _check,
    "cobs_decode_frames": _frames,
    "cobs_null_pointer": _null,
}


def test_every_case_of_the_vector_file_is_bound() -> None:
    assert {v.case for v in VECTORS} == set(CASES)


@pytest.mark.parametrize("vec", VECTORS, ids=[v.where for v in VECTORS])
def test_vector_through_the_binding(vec: Vector) -> None:
    """Published COBS examples (Wikipedia's table), the CRC RevEng check value, and reference-computed
    packet checks and regions: exact (tolerance 0)."""
    fn = CASES[vec.case]
    if vec.status != 0:
        with pytest.raises(STATUS[vec.status][1]):
            fn(vec.inputs)
        return
    assert fn(vec.inputs) == [int(x) for x in vec.outputs]


def test_decode_errors_say_what_is_wrong_and_are_value_errors() -> None:
    cases = {b"": "empty", b"\x02\x00": "zero octet at offset 1", b"\x05\x11\x22": "runs past the end"}
    for bad, words in cases.items():
        with pytest.raises(cobs.CobsDecodeError, match=words) as info:
            cobs.decode(bad)
        assert isinstance(info.value, ValueError) and isinstance(info.value, InvalidInputError)
        assert info.value.code == lib.FB_E_RANGE
    assert protocol_cobs.CobsDecodeError is cobs.CobsDecodeError


def test_bytes_like_inputs_give_the_same_results() -> None:
    data = b"\x11\x22\x00\x33" * 70
    enc = cobs.encode(data)
    for kind in (bytearray, memoryview):
        assert cobs.encode(kind(data)) == enc
        assert cobs.decode(kind(enc)) == data
        assert cobs.frame(kind(data)) == enc + b"\x00"
        assert cobs.crc16(kind(b"123456789")) == 0x29B1


def test_frame_is_the_encoding_and_one_delimiter() -> None:
    for data in (b"", b"\x00", bytes(range(1, 255)), bytes(600)):
        f = cobs.frame(data)
        assert f == cobs.encode(data) + b"\x00" and f.count(0) == 1


def test_crc_and_limits_are_checked_before_the_core() -> None:
    with pytest.raises(ValueError, match="crc"):
        cobs.crc16(b"x", 0x10000)
    with pytest.raises(ValueError, match="non-negative"):
        cobs.max_encoded_length(-1)
    with pytest.raises(ValueError, match="max_frame_octets"):
        cobs.FrameDecoder(0)
    with pytest.raises(ValueError, match="max_packet_octets"):
        cobs.FrameDecoder(10, 13)
    with pytest.raises(ValueError, match="delimiter"):
        cobs.decode_frames(b"\x01\x01", 10)
    with pytest.raises(ValueError, match="delimiter"):
        cobs.decode_frames(b"", 10)


def test_frame_decoder_grows_to_any_region_and_reuses_its_buffers() -> None:
    """More frames and octets than its first buffers hold, then a small region again: every packet, and
    the counts of the last region only."""
    packets = [spacepacket.pack(0x10 + i % 5, i, bytes([i % 256]) * (i % 200)) for i in range(500)]
    region = b"".join(cobs.frame(p) for p in packets) + b"\x00" * 3000
    dec = cobs.FrameDecoder(cobs.max_encoded_length(spacepacket.MAX_PACKET_OCTETS))
    got, counts = dec.decode(region)
    assert got == packets
    assert counts == [500, 0, 0, 0, 3000]
    assert len(dec.results()) == 3500
    got, counts = dec.decode(cobs.frame(packets[7]) + b"\x03\x11\x00")
    assert got == [packets[7]] and counts == [1, 0, 1, 0, 0]
    assert dec.results() == (cobs.FrameResult.OK, cobs.FrameResult.FRAMING)


def test_decode_frames_reports_each_result() -> None:
    good = spacepacket.pack(0x20, 3, b"attitude")
    bad = good[:-1] + bytes([good[-1] ^ 1])
    region = cobs.frame(good) + b"\x00" + cobs.frame(bad) + b"\x01" * 40 + b"\x00" + b"\x02\x00"
    got = cobs.decode_frames(region, max_frame_octets=39)
    R = cobs.FrameResult
    assert got.packets == [good]
    assert got.results == (R.OK, R.EMPTY, R.CRC, R.OVERSIZE, R.FRAMING)
    assert got.counts == cobs.FrameCounts(ok=1, crc=1, framing=1, oversize=1, empty=1)


def test_core_errors_are_core_errors() -> None:
    with pytest.raises(CoreError):
        cobs.check_packet(b"", 13)


def test_threads_encoding_and_decoding_at_once_get_their_own_results() -> None:
    """The core calls release the GIL and each thread has its own output buffer: four threads framing and
    decoding different packets at once each get exactly the reference results."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.oracles import cobs as ref

    def work(seed: int) -> bool:
        ok = True
        for i in range(300):
            data = bytes((seed * 37 + i * k) % 256 for k in range(seed * 50 + i % 97))
            f = cobs.frame(data)
            ok &= f == ref.encode(data) + b"\x00" and cobs.decode(f[:-1]) == data
        return ok

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(work, range(1, 9)))
