"""Property tests of the generated codec (hil/protocol/schema.py, "the generated codec"): for every packet
of the catalogue and any values, valid or not, the encoder and decoder that each PacketSpec generates as
source give the same octets, the same Message (types included) or the same exception (type and message) as
the converter path they fall back to and as the field-by-field reference of test_protocol_codec; and for
valid input they do not fall back at all."""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hil.protocol import spacepacket
from hil.protocol.catalogue import CATALOGUE
from hil.protocol.crc import crc16
from hil.protocol.schema import Field, PacketSpec, _generate_decoder, _generate_encoder
from tests.property.test_protocol_codec import (
    dirty_values,
    field_value,
    reference_decode,
    reference_encode,
    reference_pack_fields,
    same_outcome,
)
from tests.property.test_protocol_strategies import values

SPECS = list(CATALOGUE)
PLAIN = [s for s in SPECS if not s.authenticated]


def outcome(fn: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    """('ok', result) or (exception type name, message), whatever the exception."""
    try:
        return "ok", fn(*args)
    except Exception as exc:  # the property compares them all
        return type(exc).__name__, str(exc)


class FellBack(AssertionError):
    """The generated code handed a valid input to the path for unusual ones."""


def refuse(*_args: Any) -> NoReturn:
    raise FellBack("the generated codec fell back on valid input")


# Header arguments: valid, out of range, and of types the reference accepts or refuses in its own ways
# (struct takes a bool or a numpy integer for the time tag; a float makes it raise struct.error).
header_args = st.tuples(
    st.one_of(st.integers(0, spacepacket.SEQ_COUNT_MODULUS - 1), st.integers(-2, 20000), st.just(3.0),
              st.just(True), st.integers(0, 16383).map(np.int64)),
    st.one_of(st.integers(0, spacepacket.COARSE_TIME_MAX), st.just(-1), st.just(2**32), st.just(False),
              st.just(7.0), st.integers(0, 2**32).map(np.uint64)),
    st.one_of(st.integers(0, spacepacket.FINE_TIME_PER_S - 1), st.just(65536), st.just(-1), st.just(True),
              st.just(1.5)),
)


def edges(f: Field) -> list[Any]:
    """Values of one element of ``f`` at and just past the edges its checks draw: the ends of its range and
    of its wire type, one step beyond, as int and as float; NaN and infinities; bool, None, numpy scalars;
    for enumerations every name and value, and numbers next to them."""
    wt = f.wire
    out: list[Any] = [math.nan, math.inf, -math.inf, True, False, None, 0, 1, -1, 0.0, 0.5, "", "A", b"",
                      np.int64(1), np.float64(0.25), 2**64, -(2**63) - 1, 3.4028235e38, 3.4028236e38]
    numbers: list[float] = [wt.raw_min, wt.raw_max] if wt.integer else []
    if f.value_range is not None:
        numbers += [x for x in f.value_range if math.isfinite(x)]
    for x in numbers:
        for y in (x, math.nextafter(x, -math.inf), math.nextafter(x, math.inf), x - 1, x + 1):
            out.append(float(y))
            if math.isfinite(y) and float(y).is_integer():
                out.append(int(y))
    if f.enum is not None:
        out += [m.name for m in f.enum] + [m.value for m in f.enum] + list(f.enum)
        out += [max(m.value for m in f.enum) + 1, min(m.value for m in f.enum) - 1, "PULSE", "DISARM"]
    if f.flags is not None:
        defined = sum(int(m) for m in f.flags)
        out += [defined, defined + 1, 1 << (8 * wt.octets - 1), ~defined]
    if f.length:
        out += ["a" * f.length, "a" * (f.length + 1), "\x00", "\xe9", bytes(f.length), bytearray(f.length),
                bytes(f.length + 1)]
    return out


@st.composite
def one_field_off(draw: st.DrawFn, spec: PacketSpec) -> dict[str, Any]:
    """Valid values but for one field, which may be of a wrong type, out of range, NaN, a numpy array or
    scalar, an enumeration by name or number...: the case where one field's check alone decides. Arrays
    get one element off, in a list or tuple."""
    v = draw(values(spec, with_security=True))
    f = draw(st.sampled_from(spec.all_fields))
    if draw(st.booleans()):
        v[f.name] = draw(field_value(f))
    elif f.count > 1 and not f.length:
        items = list(v[f.name])
        items[draw(st.integers(0, f.count - 1))] = draw(st.sampled_from(edges(f)))
        v[f.name] = draw(st.sampled_from([list, tuple]))(items)
    else:
        v[f.name] = draw(st.sampled_from(edges(f)))
    return v


def any_values(spec: PacketSpec) -> st.SearchStrategy[dict[str, Any]]:
    """Valid values (arrays as tuples or lists), or values with wrong types, out of range, NaN, numpy
    arrays, enumerations by name or number, missing or unknown fields."""
    valid = values(spec, with_security=True)
    as_lists = valid.map(lambda v: {k: list(x) if isinstance(x, tuple) else x for k, x in v.items()})
    return st.one_of(valid, as_lists, one_field_off(spec), one_field_off(spec), dirty_values(spec))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@given(data=st.data(), hdr=header_args)
def test_generated_encoder_agrees_with_the_converters_and_the_reference(
        spec: PacketSpec, data: st.DataObject, hdr: tuple[Any, Any, Any]) -> None:
    """pack_packet (generated) gives the octets, or the exception and message, of the converter path it
    falls back to and of the field-by-field reference over spacepacket.pack, for any values and header."""
    v = data.draw(any_values(spec))
    got = outcome(spec.pack_packet, v, *hdr)
    assert same_outcome(got, outcome(spec._pack_packet_reference, v, *hdr))
    assert same_outcome(got, outcome(reference_encode, spec, v, *hdr))


@pytest.mark.parametrize("spec", PLAIN, ids=lambda s: s.name)
@given(data=st.data(), t_s=st.one_of(st.floats(0.0, 4.2e9), st.floats(), st.just(-1.0), st.just(5e9)),
       seq=st.integers(-1, spacepacket.SEQ_COUNT_MODULUS))
def test_encode_with_a_time_in_seconds_agrees_with_the_reference(
        spec: PacketSpec, data: st.DataObject, t_s: float, seq: int) -> None:
    """Catalogue.encode with ``time_tag_s`` (which now goes through the generated encoder) gives the octets
    or the error of spacepacket.pack with that time over the reference user data: field errors first."""
    v = data.draw(any_values(spec))
    got = outcome(lambda: CATALOGUE.encode(spec.name, v, seq_count=seq, time_tag_s=t_s))
    want = outcome(lambda: spacepacket.pack(spec.apid, seq, reference_pack_fields(spec, v),
                                            packet_type=spec.packet_type, time_tag_s=t_s))
    assert same_outcome(got, want)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@given(data=st.data(), seq=st.integers(0, spacepacket.SEQ_COUNT_MODULUS - 1),
       coarse=st.integers(0, spacepacket.COARSE_TIME_MAX),
       fine=st.integers(0, spacepacket.FINE_TIME_PER_S - 1))
def test_generated_encoder_takes_valid_values_without_falling_back(
        spec: PacketSpec, data: st.DataObject, seq: int, coarse: int, fine: int) -> None:
    """Valid values (numbers of their own type, enumeration members, flag sets, arrays as tuples or lists)
    are encoded by the generated code alone: an encoder generated with a fallback that raises gives the
    reference's octets."""
    fast = _generate_encoder(spec, spec._encoders, refuse)
    v = data.draw(any_values(spec).filter(lambda v: outcome(reference_encode, spec, v, 0, 0, 0)[0] == "ok"))
    v = {k: list(x) if isinstance(x, np.ndarray) else x for k, x in v.items()}
    if any(_unusual(spec, k, x) for k, x in v.items()):
        return  # valid, but not the common case: the fallback may take it
    assert fast(v, seq, coarse, fine) == reference_encode(spec, v, seq, coarse, fine)


def _unusual(spec: PacketSpec, name: str, x: Any) -> bool:
    """A valid value the generated code leaves to the converters: a number of another type than the
    field's (a float for an integer, a numpy scalar, a bool), an enumeration value given as a number or a
    name not in the table, text, bytes as a bytearray; for binary32, a number just outside the range that
    rounds into it."""
    f = spec.field_named(name)
    items = x if isinstance(x, list | tuple) and not f.length else [x]
    if f.enum is not None:
        return not all(isinstance(e, f.enum) for e in items)
    if f.kind == "text":
        return False
    if f.kind == "bytes":
        return type(x) is not bytes
    if f.kind == "bool":
        return not all(type(e) is bool for e in items)
    allowed: tuple[type, ...] = (int,) if f.wire.integer and f.scale is None else (int, float)
    if f.kind == "f32" and f.value_range is not None:
        lo, hi = f.value_range
        return not all(type(e) in allowed and lo <= e <= hi for e in items)
    return not all(type(e) in allowed for e in items)


# --- decoding -------------------------------------------------------------------------------------------


@st.composite
def packets(draw: st.DrawFn, spec: PacketSpec) -> bytes:
    """A valid packet of ``spec``, then perhaps damaged: octets overwritten anywhere (header included),
    the CRC recomputed or not, the length changed with or without its field, the packet type flipped."""
    v = draw(values(spec, with_security=True))
    seq = draw(st.integers(0, spacepacket.SEQ_COUNT_MODULUS - 1))
    body = bytearray(reference_encode(spec, v, seq, draw(st.integers(0, 2**32 - 1)),
                                      draw(st.integers(0, 65535)))[:-2])
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(body) - 1))
        if at < 12 and draw(st.integers(0, 3)):
            continue  # mostly the user data: most damaged packets then pass the header checks
        body[at] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, 0x01, 0x02, 0x09, 0xC0, 0x20, 0x08]))
    if draw(st.integers(0, 9)) == 0:
        extra = draw(st.integers(-min(3, len(body) - 12), 3))
        body = body[: len(body) + extra] if extra < 0 else body + bytes(extra)
        if draw(st.booleans()):
            struct.pack_into(">H", body, 4, len(body) + 2 - 7)
    if draw(st.integers(0, 19)) == 0:
        body[0] ^= 0x10  # the other packet type
    crc = crc16(body) ^ (draw(st.integers(1, 0xFFFF)) if draw(st.integers(0, 9)) == 0 else 0)
    return bytes(body) + crc.to_bytes(2, "big")


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@given(data=st.data(), container=st.sampled_from([bytes, bytearray, memoryview]))
def test_generated_decoder_agrees_with_the_step_by_step_decode_and_the_reference(
        spec: PacketSpec, data: st.DataObject, container: Callable[[bytes], Any]) -> None:
    """Catalogue.decode (one header pass, the CRC once, the generated decoder) gives the Message, types
    included, or the exception and message of the step-by-step decode and of the field-by-field reference
    over spacepacket.unpack, for valid and damaged packets in bytes, bytearray or memoryview."""
    raw = data.draw(packets(spec))
    got = outcome(CATALOGUE.decode, container(raw))
    assert same_outcome(got, outcome(CATALOGUE._decode_reference, container(raw)))
    assert same_outcome(got, outcome(reference_decode, raw))
    if got[0] == "ok":
        assert got[1] == reference_decode(raw)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@given(data=st.data(), seq=st.integers(0, spacepacket.SEQ_COUNT_MODULUS - 1))
def test_generated_decoder_takes_valid_packets_without_falling_back(
        spec: PacketSpec, data: st.DataObject, seq: int) -> None:
    """A valid packet is decoded by the generated code alone (a decoder generated with a fallback that
    raises gives the reference's Message), and a packet of another type is left to the caller (None)."""
    v: Mapping[str, Any] = data.draw(values(spec, with_security=True))
    raw = reference_encode(spec, v, seq, 12345, 678)
    fast = _generate_decoder(spec, spec._decoders, refuse)
    want = outcome(reference_decode, raw)
    assert same_outcome(("ok", fast(raw)), want)
    other = next(s for s in SPECS if s.packet_octets == spec.packet_octets and s is not spec) \
        if sum(s.packet_octets == spec.packet_octets for s in SPECS) > 1 else None
    if other is not None:
        assert fast(reference_encode(other, other.example_values(with_security=True), seq, 1, 2)) is None


ARRAYS = [(s, f) for s in SPECS for f in s.all_fields if f.count > 1 and not f.length]


def near_bound(f: Field) -> st.SearchStrategy[int]:
    """Integers around the upper end of ``f``'s range, within a few most significant octet steps of it,
    and around the octet boundaries below it."""
    assert f.value_range is not None
    hi = int(f.value_range[1])
    step = 1 << (8 * (f.wire.octets - 1))
    top = (hi // step) * step
    return st.one_of(st.integers(hi - 3 * step, hi + 3 * step), st.integers(top - 2, top + 2),
                     st.integers(hi - 2, hi + 2)).filter(lambda x: x >= 0)


@pytest.mark.parametrize(("spec", "f"), ARRAYS, ids=lambda x: x.name)
@given(data=st.data())
def test_arrays_near_their_bound_agree_with_the_reference(
        spec: PacketSpec, f: Field, data: st.DataObject) -> None:
    """An integer array with elements near its upper bound (the test on the packed octets' most
    significant octet and ``max`` share the decision there) is encoded to the reference's octets or
    refused with its error; a packet carrying such elements on the wire (CRC recomputed) decodes to the
    reference's Message or error."""
    v = data.draw(values(spec, with_security=True))
    items = data.draw(st.lists(st.integers(0, 1000), min_size=f.count, max_size=f.count))
    for _ in range(data.draw(st.integers(1, 3))):  # a few elements near the bound, the rest well within
        items[data.draw(st.integers(0, f.count - 1))] = data.draw(near_bound(f))
    v[f.name] = items
    assert same_outcome(outcome(spec.pack_packet, v, 1, 2, 3), outcome(reference_encode, spec, v, 1, 2, 3))
    v[f.name] = [0] * f.count
    body = bytearray(reference_encode(spec, v, 1, 2, 3)[:-2])
    at = 12 + sum(g.octets for g in spec.all_fields[: spec.all_fields.index(f)])
    raw_max = f.wire.raw_max
    struct.pack_into(f">{f.count}{f.wire.code}", body, at, *(min(x, raw_max) for x in items))
    raw = bytes(body) + crc16(body).to_bytes(2, "big")
    assert same_outcome(outcome(CATALOGUE.decode, raw), outcome(reference_decode, raw))
