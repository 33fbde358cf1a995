"""Interoperability with the `spacepackets` library (an independent CCSDS 133.0-B-2 implementation) and
its CRC (fastcrc's CRC-16/IBM-3740, the same algorithm as CRC-16/CCITT-FALSE under its catalogue name)."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from fastcrc import crc16 as fast_crc16
from hypothesis import given, settings
from hypothesis import strategies as st
from spacepackets.ccsds.spacepacket import (
    PacketId,
    PacketType,
    SequenceFlags,
    SpacePacket,
    SpacePacketHeader,
    parse_space_packets,
)

from hil.protocol import spacepacket
from hil.protocol.catalogue import CATALOGUE
from hil.protocol.schema import PacketSpec
from tests.property.test_protocol_strategies import values

PLAIN = [s for s in CATALOGUE if not s.authenticated]


def _theirs(spec: PacketSpec, v: dict[str, Any], seq: int, coarse: int, fine: int) -> bytes:
    user = spec.pack_fields(v)
    header = SpacePacketHeader(
        PacketType(int(spec.packet_type)), spec.apid, seq, data_len=0, sec_header_flag=True,
        seq_flags=SequenceFlags.UNSEGMENTED,
    )
    header.set_data_len_from_packet_len(spacepacket.OVERHEAD_OCTETS + len(user))
    body = bytes(SpacePacket(header, struct.pack(">IH", coarse, fine), user).pack())
    return body + struct.pack(">H", fast_crc16.ibm_3740(body))


@pytest.mark.parametrize("spec", PLAIN, ids=lambda s: s.name)
@settings(max_examples=10)
@given(data=st.data(), seq=st.integers(0, 16383), coarse=st.integers(0, 2**32 - 1),
       fine=st.integers(0, 65535))
def test_packets_built_by_spacepackets_decode_with_ours(spec: PacketSpec, data: st.DataObject, seq: int,
                                                        coarse: int, fine: int) -> None:
    """A packet assembled by spacepackets (header, CUC secondary header, our user data, fastcrc CRC)
    decodes with our decoder to the same values."""
    v = data.draw(values(spec))
    m = CATALOGUE.decode(_theirs(spec, v, seq, coarse, fine))
    assert (m.name, m.seq_count, m.coarse_time, m.fine_time, m.fields) == (spec.name, seq, coarse, fine, v)


@pytest.mark.parametrize("spec", PLAIN, ids=lambda s: s.name)
@settings(max_examples=10)
@given(data=st.data(), seq=st.integers(0, 16383))
def test_our_packets_parse_with_spacepackets(spec: PacketSpec, data: st.DataObject, seq: int) -> None:
    """spacepackets reads our primary header field by field, and fastcrc's CRC over our packet is 0."""
    raw = CATALOGUE.encode(spec.name, data.draw(values(spec)), seq_count=seq, time_tag_s=12.25)
    h = SpacePacketHeader.unpack(raw)
    assert (h.apid, h.seq_count, h.packet_type, h.sec_header_flag, h.seq_flags, h.ccsds_version) == (
        spec.apid, seq, PacketType(int(spec.packet_type)), True, SequenceFlags.UNSEGMENTED, 0,
    )
    assert h.packet_len == len(raw)
    assert fast_crc16.ibm_3740(raw) == 0


def test_spacepackets_stream_parser_finds_every_one_of_our_packets() -> None:
    """Concatenated packets of several APIDs are split by spacepackets exactly as we built them."""
    specs = PLAIN[:5]
    raws = [CATALOGUE.encode(s.name, s.example_values(), seq_count=i, time_tag_s=float(i))
            for i, s in enumerate(specs)]
    ids = [PacketId(PacketType(int(s.packet_type)), True, s.apid) for s in specs]
    result = parse_space_packets(b"".join(raws), ids)
    assert [bytes(p) for p in result.tm_list] == raws
