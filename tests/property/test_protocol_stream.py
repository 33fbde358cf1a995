"""Property tests of COBS and the stream decoder."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hil.protocol import cobs, crc, spacepacket
from hil.protocol.framing import MAX_FRAME_OCTETS, RawStreamDecoder, StreamDecoder, frame
from tests.oracles.cobs import ReferenceStreamDecoder

packets = st.builds(
    spacepacket.pack,
    apid=st.integers(0, spacepacket.APID_MAX),
    seq_count=st.integers(0, spacepacket.SEQ_COUNT_MODULUS - 1),
    user_data=st.binary(max_size=300),
    coarse_time=st.integers(0, spacepacket.COARSE_TIME_MAX),
    fine_time=st.integers(0, spacepacket.FINE_TIME_PER_S - 1),
)


@given(st.binary(max_size=2000))
def test_cobs_round_trip_without_zeros(data: bytes) -> None:
    """decode(encode(x)) == x, the encoding holds no 0x00, and its overhead is at most 1 + n // 254."""
    enc = cobs.encode(data)
    assert b"\x00" not in enc
    assert len(enc) <= cobs.max_encoded_length(len(data))
    assert cobs.decode(enc) == data


@given(st.binary(max_size=600))
def test_crc_fast_equals_bitwise_reference(data: bytes) -> None:
    """The C-backed CRC equals the bit-by-bit CRC-16/CCITT-FALSE on any input."""
    assert crc.crc16(data) == crc.crc16_bitwise(data)


@given(st.lists(st.binary(max_size=400), max_size=8))
def test_decoder_never_raises_and_never_yields_an_invalid_packet(chunks: list[bytes]) -> None:
    """Arbitrary bytes in arbitrary chunks: no exception, every output is a valid packet, buffer bounded."""
    dec = StreamDecoder()
    for chunk in chunks:
        for p in dec.feed(chunk):
            assert spacepacket.packet_is_valid(p)
        assert dec.pending_octets <= MAX_FRAME_OCTETS
    assert dec.stats.bytes == sum(map(len, chunks))
    s = dec.stats
    assert s.frames == s.packets + s.crc_errors + s.framing_errors + s.oversize


@given(st.lists(packets, min_size=1, max_size=10), st.data())
def test_decoder_returns_every_packet_whatever_the_read_boundaries(
    pkts: list[bytes], data: st.DataObject
) -> None:
    """A valid stream cut at arbitrary points decodes to exactly the packets sent, in order."""
    stream = b"".join(frame(p) for p in pkts)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    dec = StreamDecoder()
    got: list[bytes] = []
    start = 0
    for cut in [*cuts, len(stream)]:
        got += dec.feed(stream[start:cut])
        start = cut
    assert got == pkts
    assert dec.stats.packets == len(pkts) and dec.stats.crc_errors == dec.stats.framing_errors == 0


@given(st.lists(packets, min_size=1, max_size=8), st.data())
def test_corrupted_frames_are_dropped_and_the_rest_survive(pkts: list[bytes], data: st.DataObject) -> None:
    """Flip bits inside some frames (never a delimiter): every packet returned is one that was sent
    unmodified or, for a CRC collision, a valid packet; every untouched frame is returned."""
    frames = [bytearray(frame(p)) for p in pkts]
    corrupted = set()
    for i, f in enumerate(frames):
        if data.draw(st.booleans()):
            pos = data.draw(st.integers(0, len(f) - 2))
            mask = data.draw(st.integers(1, 255))
            if f[pos] ^ mask:  # keep the delimiter structure: a flip to 0x00 would split the frame
                f[pos] ^= mask
                corrupted.add(i)
    dec = StreamDecoder()
    got = dec.feed(b"".join(bytes(f) for f in frames))
    intact = [p for i, p in enumerate(pkts) if i not in corrupted]
    assert all(spacepacket.packet_is_valid(p) for p in got)
    assert [p for p in got if p in intact] == intact
    assert len(got) - len(intact) <= len(corrupted)
    bad = dec.stats.crc_errors + dec.stats.framing_errors
    assert bad + (len(got) - len(intact)) == len(corrupted)


@given(st.lists(st.one_of(packets, st.binary(max_size=80)), max_size=10), st.data())
def test_raw_decoder_finds_packets_among_garbage_and_never_raises(
    items: list[bytes], data: st.DataObject
) -> None:
    """Packets back to back, possibly with garbage between them, cut anywhere: the raw decoder never
    raises, returns only valid packets, holds less than one maximum packet between reads, and returns
    exactly the packets sent when there is no garbage."""
    stream = b"".join(items)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    dec = RawStreamDecoder()
    got: list[bytes] = []
    start = 0
    for cut in [*cuts, len(stream)]:
        got += dec.feed(stream[start:cut])
        start = cut
        assert dec.pending_octets < spacepacket.MAX_PACKET_OCTETS
    dec.flush()
    assert all(spacepacket.packet_is_valid(p) for p in got)
    if all(spacepacket.packet_is_valid(i) for i in items):
        assert got == items


@given(packets, st.lists(st.integers(0, 8 * 1024 - 1), min_size=1, max_size=3, unique=True))
def test_up_to_three_bit_errors_in_a_packet_are_always_caught(packet: bytes, bits: list[int]) -> None:
    """CRC-16/CCITT-FALSE has Hamming distance 4 for packets of this size (up to 32,751 bits), so any
    1, 2 or 3 flipped bits in a packet are detected: the frame is dropped, never returned."""
    corrupted = bytearray(packet)
    for b in {b % (8 * len(packet)) for b in bits}:
        corrupted[b // 8] ^= 0x80 >> (b % 8)
    if bytes(corrupted) == packet:
        return
    dec = StreamDecoder()
    assert dec.feed(frame(bytes(corrupted)) + frame(packet)) == [packet]
    assert dec.stats.crc_errors + dec.stats.framing_errors == 1


frame_items = st.one_of(
    packets.map(frame),
    st.tuples(packets, st.integers(0, 10_000), st.integers(1, 255)).map(
        lambda t: _flip(frame(t[0]), t[1], t[2])
    ),
    st.binary(max_size=60),
    st.binary(min_size=MAX_FRAME_OCTETS - 2, max_size=MAX_FRAME_OCTETS + 3).map(
        lambda b: bytes(x or 1 for x in b) + b"\x00"
    ),
    st.just(bytes(range(1, 255)) * 2 + b"\x00"),
    st.binary(min_size=254, max_size=600).map(lambda b: frame(bytes(x or 7 for x in b))),
    st.binary(min_size=254, max_size=700).map(  # valid packets with runs of 254+ non-zero octets
        lambda b: frame(spacepacket.pack(0x123, 77, bytes(x or 9 for x in b), coarse_time=0x01020304))
    ),
)


def _flip(f: bytes, pos: int, mask: int) -> bytes:
    b = bytearray(f)
    b[pos % (len(b) - 1)] ^= mask
    return bytes(b)


@given(st.lists(frame_items, max_size=30), st.data())
def test_stream_decoder_agrees_with_the_frame_by_frame_reference(
    items: list[bytes], data: st.DataObject
) -> None:
    """The stream decoder (every region in one C core call) and the pure-Python frame-by-frame reference
    (tests/oracles/cobs.py) return the same packets and the same counts for any stream (valid, corrupted,
    garbage, oversize and long zero-free frames) cut at any points, and flush alike."""
    stream = b"".join(items)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=5)))
    dec, ref = StreamDecoder(), ReferenceStreamDecoder()
    got: list[bytes] = []
    want: list[bytes] = []
    start = 0
    for cut in [*cuts, len(stream)]:
        got += dec.feed(stream[start:cut])
        want += ref.feed(stream[start:cut])
        start = cut
        assert dec.pending_octets == ref.pending_octets
    assert got == want
    assert dec.stats.as_dict() == ref.stats
    dec.flush()
    ref.flush()
    assert dec.stats.as_dict() == ref.stats
