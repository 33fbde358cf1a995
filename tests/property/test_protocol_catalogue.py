"""Property tests of the packet catalogue: every packet type encodes and decodes back exactly."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flight.security import Authenticator, KeyRing, Signer
from hil.protocol import spacepacket, telecommand
from hil.protocol.catalogue import CATALOGUE
from hil.protocol.schema import PacketSpec
from tests.property.test_protocol_strategies import values

PLAIN = [s for s in CATALOGUE if not s.authenticated]
SIGNED = [s for s in CATALOGUE if s.authenticated]
times = st.tuples(
    st.integers(0, spacepacket.COARSE_TIME_MAX), st.integers(0, spacepacket.FINE_TIME_PER_S - 1)
)
seqs = st.integers(0, spacepacket.SEQ_COUNT_MODULUS - 1)


@pytest.mark.parametrize("spec", PLAIN, ids=lambda s: s.name)
@given(data=st.data(), seq=seqs, t=times)
def test_round_trip_every_unauthenticated_packet(spec: PacketSpec, data: st.DataObject, seq: int,
                                                 t: tuple[int, int]) -> None:
    """decode(encode(v)) gives back v, the APID, the sequence count and the time tag, and the packet is
    exactly as long as the schema says."""
    v: dict[str, Any] = data.draw(values(spec))
    raw = CATALOGUE.encode(spec.name, v, seq_count=seq, coarse_time=t[0], fine_time=t[1])
    assert len(raw) == spec.packet_octets
    m = CATALOGUE.decode(raw)
    assert (m.name, m.apid, m.seq_count, m.coarse_time, m.fine_time) == (spec.name, spec.apid, seq, *t)
    assert m.fields == v


@pytest.mark.parametrize("spec", SIGNED, ids=lambda s: s.name)
@given(data=st.data(), seq=seqs, t=times, first_arsn=st.integers(1, 2**32 - 1))
def test_round_trip_every_telecommand_through_sign_and_check(
    spec: PacketSpec, data: st.DataObject, seq: int, t: tuple[int, int], first_arsn: int
) -> None:
    """A signed telecommand is accepted once with its fields intact, and rejected as a replay after."""
    keys = KeyRing({7: os.urandom(32)})
    signer = Signer(keys, 7, next_arsn=first_arsn)
    auth = Authenticator(keys)
    v: dict[str, Any] = data.draw(values(spec))
    raw = telecommand.sign(spec.name, v, signer, seq_count=seq, coarse_time=t[0], fine_time=t[1])
    assert len(raw) == spec.packet_octets and spacepacket.packet_is_valid(raw)
    first = telecommand.check(raw, auth)
    assert first.accepted and first.message is not None
    assert {k: x for k, x in first.message.fields.items() if k not in ("key_id", "arsn", "mac")} == v
    assert (first.message["key_id"], first.message["arsn"]) == (7, first_arsn)
    assert not telecommand.check(raw, auth).accepted
