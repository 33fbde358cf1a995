"""Property tests of the framing area in C (firmware_bindings.cobs) against the pure-Python reference
(tests/oracles/cobs.py: the COBS code, CRC and frame-by-frame stream decoder the project ran before)."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from firmware_bindings import cobs
from hil.protocol import spacepacket
from hil.protocol.framing import StreamDecoder
from tests.oracles import cobs as ref

MAX_FRAME = ref.max_encoded_length(spacepacket.MAX_PACKET_OCTETS)

_ZERO_FREE = bytes(range(1, 256)) * 3
nonzero_runs = st.integers(1, 600).flatmap(lambda n: st.binary(min_size=n, max_size=n)).map(
    lambda b: bytes(x or 0x5A for x in b)
)
# data with long zero-free runs (around the 254-octet block length), runs of zeros, and anything
data_strategy = st.one_of(
    st.binary(max_size=2000),
    st.lists(st.one_of(nonzero_runs, st.binary(max_size=4).map(lambda b: bytes(len(b))), st.just(b"\x00")),
             max_size=6).map(b"".join),
    st.tuples(st.sampled_from([253, 254, 255, 507, 508, 509, 762]),
              st.sampled_from([b"", b"\x00", b"\x00\x01"])).map(lambda t: _ZERO_FREE[: t[0]] + t[1]),
)

packets = st.builds(
    spacepacket.pack,
    apid=st.integers(0, spacepacket.APID_MAX),
    seq_count=st.integers(0, spacepacket.SEQ_COUNT_MODULUS - 1),
    user_data=st.one_of(st.binary(max_size=300), nonzero_runs.map(lambda b: b[:600])),
    coarse_time=st.integers(0, spacepacket.COARSE_TIME_MAX),
    fine_time=st.integers(0, spacepacket.FINE_TIME_PER_S - 1),
)


def _flip(b: bytes, pos: int, mask: int) -> bytes:
    out = bytearray(b)
    out[pos % len(out)] ^= mask
    return bytes(out)


@given(data_strategy)
@example(_ZERO_FREE[:254])
@example(_ZERO_FREE[:508] + b"\x00")
def test_encode_equals_the_reference(data: bytes) -> None:
    """The C encoding is the reference's canonical encoding octet for octet, holds no 0x00, is at most
    max_encoded_length long, and frame() is it plus one delimiter."""
    enc = cobs.encode(data)
    assert enc == ref.encode(data)
    assert 0 not in enc and len(enc) <= cobs.max_encoded_length(len(data))
    assert cobs.frame(data) == enc + b"\x00"
    assert cobs.decode(enc) == data


def _both_decode(enc: bytes) -> None:
    try:
        want: bytes | None = ref.decode(enc)
    except ref.ReferenceDecodeError:
        want = None
    if want is None:
        try:
            got = cobs.decode(enc)
        except cobs.CobsDecodeError:
            return
        raise AssertionError(f"C decoded {enc!r} to {got!r}, the reference refuses it")
    assert cobs.decode(enc) == want


@given(st.binary(max_size=600))
def test_decode_agrees_with_the_reference_on_garbage(enc: bytes) -> None:
    """Any octets: the C decoder refuses exactly what the reference refuses, and decodes the rest to the
    same data."""
    _both_decode(enc)


@given(st.binary(min_size=1, max_size=600).map(lambda b: bytes(x or 1 for x in b)))
def test_decode_agrees_with_the_reference_on_zero_free_input(enc: bytes) -> None:
    """Zero-free octets (only the block structure can be wrong): same refusals, same data."""
    _both_decode(enc)


@given(data_strategy, st.integers(0, 10_000), st.integers(1, 255), st.booleans())
def test_decode_agrees_with_the_reference_on_damaged_encodings(data: bytes, pos: int, mask: int,
                                                               trailing_block: bool) -> None:
    """A valid encoding with one octet changed (possibly a code octet, possibly to 0x00), or with an
    empty block appended: the same refusals and data as the reference."""
    enc = ref.encode(data)
    if trailing_block:
        enc += b"\x01"
    _both_decode(_flip(enc, pos, mask))
    _both_decode(enc)


@given(st.binary(max_size=1200), st.integers(0, 0xFFFF))
def test_crc_equals_the_bitwise_reference(data: bytes, init: int) -> None:
    """CRC-16/CCITT-FALSE in C (table driven) equals the bit-by-bit one from any initial register."""
    assert cobs.crc16(data, init) == ref.crc16(data, init)


@given(st.one_of(packets, packets.flatmap(lambda p: st.tuples(st.integers(0, 10_000), st.integers(1, 255))
                                          .map(lambda t: _flip(p, *t))),
                 st.binary(max_size=40), packets.map(lambda p: p[:-1])))
def test_packet_check_equals_spacepacket_check(raw: bytes) -> None:
    """Valid, damaged, truncated packets and garbage: the C check reports the first failing check exactly
    as hil.protocol.spacepacket.check does."""
    assert int(cobs.check_packet(raw)) == int(spacepacket.check(raw))


@given(st.one_of(packets, st.binary(max_size=60)), st.integers(cobs.MIN_PACKET_OCTETS, 1100))
def test_packet_check_with_another_limit_equals_the_reference(raw: bytes, limit: int) -> None:
    """With any packet size limit, the same result as the reference check with that limit."""
    assert int(cobs.check_packet(raw, limit)) == int(ref.check_packet(raw, limit))


frame_items = st.one_of(
    packets.map(ref.encode).map(lambda e: e + b"\x00"),
    st.tuples(packets, st.integers(0, 10_000), st.integers(1, 255)).map(
        lambda t: _flip(ref.encode(t[0]), t[1], t[2]) + b"\x00"
    ),
    st.binary(max_size=60),
    st.binary(min_size=MAX_FRAME - 2, max_size=MAX_FRAME + 3).map(
        lambda b: bytes(x or 1 for x in b) + b"\x00"
    ),
    st.just(b"\x00"),
    st.binary(min_size=254, max_size=600).map(lambda b: ref.encode(bytes(x or 7 for x in b)) + b"\x00"),
)


@given(st.lists(frame_items, max_size=30), st.integers(1, MAX_FRAME + 2),
       st.integers(cobs.MIN_PACKET_OCTETS, 1100))
def test_decode_frames_equals_frame_by_frame(items: list[bytes], max_frame: int, max_packet: int) -> None:
    """One C call over a region equals the reference decoding its frames one at a time: the same packets,
    the same result per frame, and counts that add up to one per delimiter."""
    region = b"".join(items) + b"\x00"
    got = cobs.decode_frames(region, max_frame, max_packet)
    packets_ref, results_ref = ref.decode_frames(region, max_frame, max_packet)
    assert got.packets == packets_ref
    assert [int(r) for r in got.results] == [int(r) for r in results_ref]
    assert sum(got.counts) == region.count(0) and got.counts.ok == len(got.packets)


@given(st.lists(frame_items, max_size=30), st.data(), st.sampled_from([14, 100, 300, 1024]))
def test_stream_decoder_equals_the_reference_at_any_read_boundaries(items: list[bytes], data: st.DataObject,
                                                                    max_packet: int) -> None:
    """A stream of valid, damaged, garbage, oversize and idle frames cut at arbitrary points: the C-backed
    StreamDecoder and the frame-by-frame reference return the same packets, hold the same pending octets
    after every read, and count the same (also after flush), for any frame limit."""
    stream = b"".join(items) + data.draw(st.binary(max_size=40))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    dec, want = StreamDecoder(max_packet), ref.ReferenceStreamDecoder(max_packet)
    got_p: list[bytes] = []
    want_p: list[bytes] = []
    start = 0
    for cut in [*cuts, len(stream)]:
        got_p += dec.feed(stream[start:cut])
        want_p += want.feed(stream[start:cut])
        start = cut
        assert dec.pending_octets == want.pending_octets
    assert got_p == want_p
    assert dec.stats.as_dict() == want.stats
    dec.flush()
    want.flush()
    assert dec.stats.as_dict() == want.stats
