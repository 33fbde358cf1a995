"""Property tests of the compiled codec: every packet spec encodes and decodes exactly as the field-by-field
reference (``Field.to_raw`` and ``Field.from_raw`` over ``spacepacket.pack`` and ``unpack``) does, for
valid and invalid values alike: the same octets, or the same error with the same message."""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hil.protocol import spacepacket
from hil.protocol.catalogue import CATALOGUE, ArmAction, ImuStatus, ThrusterMode
from hil.protocol.crc import crc16
from hil.protocol.schema import DecodeError, EncodeError, Field, Message, PacketSpec
from tests.property.test_protocol_strategies import element, values

PLAIN = [s for s in CATALOGUE if not s.authenticated]


# --- the reference: one field at a time, as the schema defines it ----------------------------------------


def reference_pack_fields(spec: PacketSpec, values: Mapping[str, Any]) -> bytes:
    unknown = set(values) - {f.name for f in spec.all_fields}
    if unknown:
        raise EncodeError(f"{spec.name}: unknown field(s) {sorted(unknown)}")
    flat: list[Any] = []
    for f in spec.all_fields:
        if f.name not in values:
            raise EncodeError(f"{spec.name}: field {f.name} is missing")
        v = values[f.name]
        if f.count == 1 or f.length:
            flat.append(f.to_raw(v))
        else:
            if isinstance(v, str | bytes) or not isinstance(v, Iterable):
                raise EncodeError(f"{spec.name}.{f.name}: expected a sequence of {f.count}")
            items = list(v)
            if len(items) != f.count:
                raise EncodeError(f"{spec.name}.{f.name}: expected {f.count} values, got {len(items)}")
            flat.extend(f.to_raw(x) for x in items)
    try:
        return spec._struct.pack(*flat)
    except struct.error as exc:
        raise EncodeError(f"{spec.name}: {exc}") from None


def reference_encode(spec: PacketSpec, values: Mapping[str, Any], seq: int, coarse: int, fine: int) -> bytes:
    return spacepacket.pack(spec.apid, seq, reference_pack_fields(spec, values), packet_type=spec.packet_type,
                            coarse_time=coarse, fine_time=fine)


def reference_decode(raw: bytes) -> Message:
    try:
        pkt = spacepacket.unpack(raw)
    except spacepacket.PacketError as exc:
        raise DecodeError(str(exc)) from None
    spec = CATALOGUE.by_apid(pkt.apid)
    if spec is None:
        raise DecodeError(f"APID {pkt.apid:#05x} is not in the catalogue")
    if pkt.packet_type is not spec.packet_type:
        raise DecodeError(
            f"{spec.name}: packet type {pkt.packet_type.name}, expected {spec.packet_type.name}")
    if len(pkt.user_data) != spec._struct.size:
        raise DecodeError(
            f"{spec.name}: user data is {len(pkt.user_data)} octets, the schema says {spec._struct.size}")
    flat = spec._struct.unpack(pkt.user_data)
    fields: dict[str, Any] = {}
    for f, i, n in spec._slices:
        if n == 1 and (f.count == 1 or f.length):
            fields[f.name] = f.from_raw(flat[i])
        else:
            fields[f.name] = tuple(f.from_raw(x) for x in flat[i : i + n])
    return Message(spec.name, pkt.apid, pkt.packet_type, pkt.seq_count, pkt.coarse_time, pkt.fine_time,
                   fields)


def outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    """('ok', result) or (exception type name, message)."""
    try:
        return "ok", fn(*args)
    except (EncodeError, DecodeError, spacepacket.PacketError, TypeError) as exc:
        return type(exc).__name__, str(exc)


def same_outcome(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    """Equal outcomes; decoded values compared by type too (an IntEnum member is not a plain int)."""
    if a[0] != b[0]:
        return False
    if a[0] != "ok" or not isinstance(a[1], Message):
        return bool(a[1] == b[1])
    ma, mb = a[1], b[1]
    if (ma.name, ma.apid, ma.packet_type, ma.seq_count, ma.coarse_time, ma.fine_time) != (
            mb.name, mb.apid, mb.packet_type, mb.seq_count, mb.coarse_time, mb.fine_time):
        return False
    return list(ma.fields) == list(mb.fields) and all(
        _same_value(ma.fields[k], mb.fields[k]) for k in ma.fields)


def _same_value(x: Any, y: Any) -> bool:
    if isinstance(x, tuple):
        return isinstance(y, tuple) and len(x) == len(y) and all(map(_same_value, x, y))
    if isinstance(x, float) and math.isnan(x):
        return isinstance(y, float) and math.isnan(y)
    return type(x) is type(y) and x == y


# --- values, valid and not ----------------------------------------------------------------------------

junk: st.SearchStrategy[Any] = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(width=32),
    st.integers(-(2**70), 2**70),
    st.integers(-3, 300),
    st.booleans(),
    st.none(),
    st.text(max_size=4),
    st.sampled_from(["PULSE", "ARM_PREPARE", "STEP", "ALL", "BIT_PASS", "x" * 60]),
    st.binary(max_size=20),
    st.sampled_from([ThrusterMode.MAIN_BURN, ArmAction.DISARM, ImuStatus.BIT_PASS, ImuStatus(3)]),
    st.integers(-5, 2**33).map(np.int64),
    st.floats(allow_nan=True).map(np.float64),
    st.integers(0, 2**32 - 1).map(np.uint32),
    st.just([1, 2]),
    st.just(2.0),
    st.just(1e8 + 0.5),
    st.just(3.4028235e38),
    st.just(3.4028236e38),
)


def element_or_junk(f: Field) -> st.SearchStrategy[Any]:
    return st.one_of(element(f), element(f), junk)


def field_value(f: Field) -> st.SearchStrategy[Any]:
    if f.count == 1 or f.length:
        return element_or_junk(f)
    e = element(f)
    return st.one_of(
        st.lists(e, min_size=f.count, max_size=f.count),
        st.tuples(*[e] * f.count),
        st.lists(element_or_junk(f), min_size=f.count, max_size=f.count),
        st.lists(e, min_size=f.count, max_size=f.count).map(np.array),
        st.lists(st.integers(-2, 2**40), min_size=f.count, max_size=f.count).map(np.array),
        st.lists(st.floats(0.0, 2e8), min_size=f.count, max_size=f.count).map(np.array),
        st.lists(e, min_size=0, max_size=f.count + 2).map(tuple),
        junk,
        st.just(range(f.count)),
    )


@st.composite
def dirty_values(draw: st.DrawFn, spec: PacketSpec) -> dict[str, Any]:
    out = {f.name: draw(field_value(f)) for f in spec.all_fields}
    for name in draw(st.sets(st.sampled_from([f.name for f in spec.all_fields]), max_size=2)):
        if draw(st.integers(0, 3)) == 0:
            del out[name]
    if draw(st.integers(0, 7)) == 0:
        out["bogus"] = 1
    return out


header_args = st.tuples(
    st.one_of(st.integers(0, spacepacket.SEQ_COUNT_MODULUS - 1), st.integers(-2, 20000), st.just(3.0)),
    st.one_of(st.integers(0, spacepacket.COARSE_TIME_MAX), st.just(-1), st.just(2**32)),
    st.one_of(st.integers(0, spacepacket.FINE_TIME_PER_S - 1), st.just(65536)),
)


@pytest.mark.parametrize("spec", list(CATALOGUE), ids=lambda s: s.name)
@given(data=st.data())
def test_pack_fields_agrees_with_the_field_by_field_reference(spec: PacketSpec, data: st.DataObject) -> None:
    """For any values, valid or not, pack_fields gives the reference's octets or its error and message."""
    v = data.draw(dirty_values(spec))
    assert same_outcome(outcome(spec.pack_fields, v), outcome(reference_pack_fields, spec, v))


@pytest.mark.parametrize("spec", PLAIN, ids=lambda s: s.name)
@given(data=st.data(), hdr=header_args)
def test_encode_agrees_with_the_reference(spec: PacketSpec, data: st.DataObject,
                                          hdr: tuple[Any, int, int]) -> None:
    """Whole packets, headers included: the same octets as spacepacket.pack of the reference user data, or
    the same error (field errors before header errors)."""
    v = data.draw(st.one_of(values(spec), dirty_values(spec)))
    got = outcome(lambda: CATALOGUE.encode(spec.name, v, seq_count=hdr[0], coarse_time=hdr[1],
                                           fine_time=hdr[2]))
    want = outcome(reference_encode, spec, v, *hdr)
    assert same_outcome(got, want)


@pytest.mark.parametrize("spec", list(CATALOGUE), ids=lambda s: s.name)
@given(data=st.data(), seq=st.integers(0, spacepacket.SEQ_COUNT_MODULUS - 1))
def test_decode_agrees_with_the_reference_on_corrupted_user_data(spec: PacketSpec, data: st.DataObject,
                                                                 seq: int) -> None:
    """A valid packet with octets of its user data overwritten (CRC recomputed, so only the fields are
    wrong) or its length changed decodes to the reference's message, types included, or its error."""
    user = spec.pack_fields(spec.example_values(with_security=True))
    body = bytearray(spacepacket.pack(spec.apid, seq, user, packet_type=spec.packet_type, coarse_time=7,
                                      fine_time=9)[:-2])
    n_user = spec.user_data_octets
    for _ in range(data.draw(st.integers(0, 6))):
        if n_user:
            at = 12 + data.draw(st.integers(0, n_user - 1))
            body[at] = data.draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, 0x01, 0x02, 0x09, 0xC0]))
    if data.draw(st.integers(0, 9)) == 0:
        extra = data.draw(st.integers(-min(3, n_user), 3))
        body = body[: len(body) + extra] if extra < 0 else body + bytes(extra)
        struct.pack_into(">H", body, 4, len(body) + 2 - 7)
    if data.draw(st.integers(0, 9)) == 0:
        body[0] ^= 0x10  # the other packet type
    raw = bytes(body) + crc16(body).to_bytes(2, "big")
    assert same_outcome(outcome(CATALOGUE.decode, raw), outcome(reference_decode, raw))
    assert same_outcome(outcome(CATALOGUE.decode, bytearray(raw)), outcome(reference_decode, raw))


@given(data=st.data())
def test_arrays_refuse_nan_and_out_of_range_elements_naming_the_field(data: st.DataObject) -> None:
    """One bad element anywhere in THRUSTER_COMMAND's 46 on-times is refused, whatever the container."""
    spec = CATALOGUE.by_name("THRUSTER_COMMAND")
    v = spec.example_values()
    on: list[Any] = [0] * 46
    at = data.draw(st.integers(0, 45))
    bad = data.draw(st.sampled_from([float("nan"), -1, 100_000_001, float("inf"), 1.5, True, "1"]))
    on[at] = bad
    containers: list[Any] = [list, tuple]
    if not isinstance(bad, bool | str):  # numpy would make these a valid 1 or an array of text
        containers.append(np.array)
    for container in containers:
        v["on_time_us"] = container(on)
        with pytest.raises(EncodeError, match="on_time_us"):
            spec.pack_fields(v)
