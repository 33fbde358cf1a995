"""Unit tests of the protocol's building blocks: CRC, COBS, space packet headers, framing, sequences."""

from __future__ import annotations

import pytest

from hil.protocol import cobs, crc, spacepacket
from hil.protocol.framing import MAX_FRAME_OCTETS, StreamDecoder, frame
from hil.protocol.sequence import SeqStatus, SequenceTracker
from hil.protocol.spacepacket import Check, PacketType, PrimaryHeader, SequenceFlags


def test_crc16_check_value_of_the_catalogue_of_crc_algorithms() -> None:
    """CRC-16/CCITT-FALSE check value per the CRC RevEng catalogue (and reference/hardware.md): 0x29B1."""
    assert crc.crc16(b"123456789") == 0x29B1
    assert crc.crc16_bitwise(b"123456789") == 0x29B1


def test_crc16_of_empty_input_is_the_initial_value() -> None:
    assert crc.crc16(b"") == 0xFFFF


def test_crc_continues_over_split_input() -> None:
    assert crc.crc16(b"6789", crc.crc16(b"12345")) == 0x29B1


def test_append_crc_makes_residue_zero() -> None:
    assert crc.crc_is_valid(crc.append_crc(b"deorbit"))
    assert not crc.crc_is_valid(b"deorbit\x00\x00")
    assert not crc.crc_is_valid(b"\x01")


# Examples from Cheshire and Baker (1999) as tabulated in the usual COBS references.
COBS_EXAMPLES = [
    (b"\x00", b"\x01\x01"),
    (b"\x00\x00", b"\x01\x01\x01"),
    (b"\x00\x11\x00", b"\x01\x02\x11\x01"),
    (b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33"),
    (b"\x11\x22\x33\x44", b"\x05\x11\x22\x33\x44"),
    (b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01"),
    (bytes(range(1, 255)), b"\xff" + bytes(range(1, 255))),
    (bytes(range(0, 255)), b"\x01\xff" + bytes(range(1, 255))),
    (bytes(range(1, 256)), b"\xff" + bytes(range(1, 255)) + b"\x02\xff"),
    (bytes(range(2, 256)) + b"\x00", b"\xff" + bytes(range(2, 256)) + b"\x01\x01"),
    (bytes(range(3, 256)) + b"\x00\x01", b"\xfe" + bytes(range(3, 256)) + b"\x02\x01"),
]


@pytest.mark.parametrize(("data", "encoded"), COBS_EXAMPLES)
def test_cobs_matches_published_examples(data: bytes, encoded: bytes) -> None:
    assert cobs.encode(data) == encoded
    assert cobs.decode(encoded) == data


def test_cobs_empty_input_encodes_to_one_code_octet() -> None:
    assert cobs.encode(b"") == b"\x01"
    assert cobs.decode(b"\x01") == b""


def test_cobs_decode_accepts_a_trailing_empty_block_after_a_full_block() -> None:
    assert cobs.decode(b"\xff" + bytes(range(1, 255)) + b"\x01") == bytes(range(1, 255))


@pytest.mark.parametrize("bad", [b"", b"\x03\x11", b"\x02\x00", b"\x05\x11\x22\x33"])
def test_cobs_decode_rejects_malformed_input(bad: bytes) -> None:
    with pytest.raises(cobs.CobsDecodeError):
        cobs.decode(bad)


def test_primary_header_bit_layout_per_ccsds_133_0_b_2() -> None:
    """Version 0, TC, secondary header, APID 0x123, unsegmented, count 0x2ABC, length 0x0102."""
    h = PrimaryHeader(PacketType.TC, 0x123, 0x2ABC, 0x0102, True, SequenceFlags.UNSEGMENTED)
    raw = h.pack()
    assert raw == bytes([0b0001_1001, 0x23, 0b1110_1010, 0xBC, 0x01, 0x02])
    assert PrimaryHeader.unpack(raw) == h


@pytest.mark.parametrize(
    "kwargs",
    [{"apid": 0x800}, {"apid": -1}, {"seq_count": 1 << 14}, {"data_length": 1 << 16}, {"version": 8}],
)
def test_primary_header_rejects_out_of_range_fields(kwargs: dict[str, int]) -> None:
    base: dict[str, int] = {"apid": 1, "seq_count": 0, "data_length": 0, "version": 0}
    base.update(kwargs)
    header = PrimaryHeader(PacketType.TM, base["apid"], base["seq_count"], base["data_length"],
                           version=base["version"])
    with pytest.raises(spacepacket.PacketError):
        header.pack()


def test_packet_pack_unpack_and_length_field() -> None:
    raw = spacepacket.pack(0x42, 7, b"\x01\x02\x03", time_tag_s=2_000_000_000.5)
    assert len(raw) == 6 + 6 + 3 + 2
    assert (raw[4] << 8 | raw[5]) == len(raw) - 7
    pkt = spacepacket.unpack(raw)
    assert (pkt.apid, pkt.seq_count, pkt.user_data) == (0x42, 7, b"\x01\x02\x03")
    assert (pkt.coarse_time, pkt.fine_time) == (2_000_000_000, 0x8000)
    assert pkt.time_tag_s == 2_000_000_000.5
    assert pkt.packet_type is PacketType.TM


def test_time_tag_rounds_to_nearest_fine_tick_with_carry() -> None:
    """Fine time resolution is 2^-16 s (15.3 us); a value within half a tick of the next second carries."""
    assert spacepacket.time_tag_from_seconds(1.0 - 2.0**-18) == (1, 0)
    with pytest.raises(spacepacket.PacketError):
        spacepacket.time_tag_from_seconds(-1.0)
    with pytest.raises(spacepacket.PacketError):
        spacepacket.time_tag_from_seconds(float("nan"))
    with pytest.raises(spacepacket.PacketError):
        spacepacket.time_tag_from_seconds(2.0**32)


def test_packet_checks_report_the_first_failure() -> None:
    good = spacepacket.pack(0x42, 7, b"abc")
    assert spacepacket.check(good) is Check.OK
    assert spacepacket.check(good[:-1]) is Check.LENGTH
    assert spacepacket.check(good[:5]) is Check.SHORT
    assert spacepacket.check(bytes([good[0] | 0x20]) + good[1:]) is Check.VERSION
    assert spacepacket.check(bytes([good[0] & ~0x08]) + good[1:]) is Check.NO_SECONDARY_HEADER
    assert spacepacket.check(good[:-1] + bytes([good[-1] ^ 1])) is Check.CRC
    assert spacepacket.check(b"\x08" + bytes(2000)) is Check.LONG
    assert not spacepacket.packet_is_valid(good[:-2])
    with pytest.raises(spacepacket.PacketError, match="CRC"):
        spacepacket.unpack(good[:-1] + bytes([good[-1] ^ 1]))


def test_pack_rejects_oversize_user_data() -> None:
    with pytest.raises(spacepacket.PacketError):
        spacepacket.pack(1, 0, bytes(spacepacket.MAX_USER_DATA_OCTETS + 1))
    biggest = spacepacket.pack(1, 0, bytes(spacepacket.MAX_USER_DATA_OCTETS))
    assert len(biggest) == spacepacket.MAX_PACKET_OCTETS


def _packets(n: int) -> list[bytes]:
    return [spacepacket.pack(0x10 + i % 3, i, bytes([i % 256, 0, 0, 7])) for i in range(n)]


def test_stream_decoder_one_octet_at_a_time() -> None:
    packets = _packets(5)
    stream = b"".join(frame(p) for p in packets)
    dec = StreamDecoder()
    got = [p for i in range(len(stream)) for p in dec.feed(stream[i : i + 1])]
    assert got == packets
    assert dec.stats.frames == 5 and dec.stats.packets == 5 and dec.stats.bytes == len(stream)


def test_stream_decoder_many_frames_per_read_and_garbage() -> None:
    packets = _packets(4)
    stream = b"\x13\x37garbage\x00" + frame(packets[0]) + frame(packets[1]) + b"\x00\x00" + frame(packets[2])
    stream += b"\x05\x01" + b"\x00" + frame(packets[3])
    dec = StreamDecoder()
    assert dec.feed(stream) == packets
    assert dec.stats.framing_errors == 2  # "garbage" is bad COBS/short; \x05\x01 overruns
    assert dec.stats.crc_errors == 0


def test_stream_decoder_counts_crc_errors_and_never_returns_them() -> None:
    good = spacepacket.pack(0x10, 1, b"payload")
    bad = good[:-1] + bytes([good[-1] ^ 0x40])
    dec = StreamDecoder()
    assert dec.feed(frame(bad) + frame(good)) == [good]
    assert dec.stats.crc_errors == 1


def test_stream_decoder_truncated_frame_is_dropped_and_next_frame_survives() -> None:
    good = spacepacket.pack(0x10, 1, b"payload")
    dec = StreamDecoder()
    assert dec.feed(frame(good)[:-6] + b"\x00" + frame(good)) == [good]
    assert dec.stats.framing_errors + dec.stats.crc_errors == 1


def test_stream_decoder_bounds_its_buffer_on_an_endless_frame() -> None:
    dec = StreamDecoder()
    for _ in range(20):
        assert dec.feed(b"\x11" * 500) == []
        assert dec.pending_octets <= MAX_FRAME_OCTETS
    assert dec.stats.oversize == 1
    good = spacepacket.pack(0x10, 1, b"after")
    assert dec.feed(b"\x00" + frame(good)) == [good]
    assert dec.stats.oversize == 1 and dec.stats.packets == 1


def test_stream_decoder_oversize_frame_in_one_read() -> None:
    dec = StreamDecoder()
    good = spacepacket.pack(0x10, 1, b"after")
    assert dec.feed(b"\x11" * (MAX_FRAME_OCTETS + 1) + b"\x00" + frame(good)) == [good]
    assert dec.stats.oversize == 1


def test_sequence_tracker_classifies_gaps_duplicates_resets() -> None:
    t = SequenceTracker(window=8)
    seq = [5, 6, 6, 9, 8, 10, 0, 1, 1, 16383]
    got = [t.observe(0x20, s) for s in seq]
    assert got == [
        SeqStatus.FIRST, SeqStatus.IN_ORDER, SeqStatus.DUPLICATE, SeqStatus.GAP, SeqStatus.LATE,
        SeqStatus.IN_ORDER, SeqStatus.RESET, SeqStatus.IN_ORDER, SeqStatus.DUPLICATE, SeqStatus.LATE,
    ]
    c = t.counts(0x20)
    assert (c.packets, c.gaps, c.duplicates, c.late, c.resets) == (10, 1, 2, 2, 1)
    assert c.missing == 0  # 9 skipped 7 and 8; 8 came late; the late 16383 is not a gap it filled
    assert t.counts(0x21).packets == 0
    assert t.totals().packets == 10


def test_sequence_tracker_wraps_modulo_16384() -> None:
    t = SequenceTracker()
    assert [t.observe(1, s) for s in (16382, 16383, 0, 1)] == [
        SeqStatus.FIRST, SeqStatus.IN_ORDER, SeqStatus.IN_ORDER, SeqStatus.IN_ORDER,
    ]
    assert t.observe(1, 5000) is SeqStatus.GAP
    assert t.counts(1).missing == 4998
    assert t.observe(1, 100) is SeqStatus.RESET  # behind by far more than the window


def test_mqtt_topic_layout_of_icd_section_5() -> None:
    from hil.protocol import topics

    assert topics.topic("thruster", "cmd") == "deorbit/thruster/cmd"
    assert topics.topic("ground", "state", prefix="rig7/deorbit") == "rig7/deorbit/ground/state"
    assert topics.parse("rig7/deorbit/imu/tm", prefix="rig7/deorbit") == ("imu", "tm")
    bad_args = [("gps", "tm", "deorbit"), ("imu", "data", "deorbit"), ("imu", "tm", "a/#"), ("imu", "tm", "")]
    for bad in bad_args:
        with pytest.raises(ValueError):
            topics.topic(bad[0], bad[1], bad[2])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        topics.parse("deorbit/imu/tm/extra")
    with pytest.raises(ValueError):
        topics.parse("other/imu/tm")
