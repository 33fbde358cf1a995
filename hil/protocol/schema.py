"""The schema language of the packet catalogue: typed, scaled, ranged fields and packet layouts.

A packet's user data field is its fields one after another, big-endian, with no padding. A field has a
wire type (unsigned or signed integer of 8 to 64 bits, IEEE 754 binary32 or binary64, boolean octet,
fixed-length text or bytes), an optional array length, an engineering unit, an optional linear scaling
for integers (value = raw * scale + offset), an optional enumeration or bit-flag set, and an engineering
range. The encoder refuses values outside the range; the decoder refuses packets whose fields are outside
it. Encoding, decoding, the ICD tables (``hil.protocol.icd``) and the XTCE export (``hil.protocol.xtce``)
all read these definitions.

Each PacketSpec compiles its fields once into fast converters (see "the compiled codec" below) and
generates from them a specialised encoder and decoder as Python source ("the generated codec"); the
per-field ``Field.to_raw`` and ``Field.from_raw`` stay the reference they fall back to for anything out of
the common case, so the octets and the errors are those of the reference.
"""

from __future__ import annotations

import binascii
import functools
import math
import operator
import struct
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, IntFlag
from typing import Any

import numpy as np

from hil.protocol import spacepacket
from hil.protocol.crc import CRC_OCTETS, INIT, crc16
from hil.protocol.spacepacket import PacketType

_F32 = struct.Struct(">f")
_F32_MAX = 3.4028234663852886e38


def _to_f32(x: float) -> float:
    """``x`` rounded to the nearest binary32 (infinities kept)."""
    if math.isinf(x) or abs(x) > _F32_MAX:
        return x
    return float(_F32.unpack(_F32.pack(x))[0])


class SchemaError(ValueError):
    """A catalogue definition is inconsistent (a programming error in the catalogue)."""


class EncodeError(ValueError):
    """Values given for a packet are missing, unknown, of the wrong shape or out of range."""


class DecodeError(ValueError):
    """Bytes do not hold a valid packet of the catalogue (bad packet, unknown APID, length, range)."""


@dataclass(frozen=True, slots=True)
class WireType:
    name: str
    code: str  # struct format character
    octets: int
    integer: bool
    signed: bool
    description: str

    @property
    def raw_min(self) -> int:
        return -(1 << (8 * self.octets - 1)) if self.signed else 0

    @property
    def raw_max(self) -> int:
        return (1 << (8 * self.octets - 1)) - 1 if self.signed else (1 << (8 * self.octets)) - 1


WIRE_TYPES: dict[str, WireType] = {
    w.name: w
    for w in (
        WireType("u8", "B", 1, True, False, "unsigned integer, 8 bits"),
        WireType("u16", "H", 2, True, False, "unsigned integer, 16 bits"),
        WireType("u32", "I", 4, True, False, "unsigned integer, 32 bits"),
        WireType("u64", "Q", 8, True, False, "unsigned integer, 64 bits"),
        WireType("i8", "b", 1, True, True, "two's complement integer, 8 bits"),
        WireType("i16", "h", 2, True, True, "two's complement integer, 16 bits"),
        WireType("i32", "i", 4, True, True, "two's complement integer, 32 bits"),
        WireType("f32", "f", 4, False, True, "IEEE 754 binary32"),
        WireType("f64", "d", 8, False, True, "IEEE 754 binary64"),
        WireType("bool", "B", 1, True, False, "octet, 0 false or 1 true"),
        WireType("text", "s", 0, False, False, "ASCII text, padded with 0x00"),
        WireType("bytes", "s", 0, False, False, "opaque octets"),
    )
}


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a packet's user data. ``length`` is the octet length of text and bytes fields."""

    name: str
    kind: str
    unit: str = ""
    description: str = ""
    count: int = 1
    scale: float | None = None
    offset: float = 0.0
    minimum: float | None = None
    maximum: float | None = None
    enum: type[IntEnum] | None = None
    flags: type[IntFlag] | None = None
    length: int = 0
    _range: tuple[float, float] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        wt = WIRE_TYPES.get(self.kind)
        if wt is None:
            raise SchemaError(f"field {self.name}: unknown wire type {self.kind!r}")
        if not self.name.isidentifier():
            raise SchemaError(f"field name {self.name!r} is not an identifier")
        if self.count < 1:
            raise SchemaError(f"field {self.name}: count must be at least 1")
        if (self.kind in ("text", "bytes")) != (self.length > 0):
            raise SchemaError(f"field {self.name}: length is given for text and bytes fields, and only them")
        if self.scale is not None and (not wt.integer or self.kind == "bool" or self.scale == 0):
            raise SchemaError(f"field {self.name}: scaling applies to integer fields, with a non-zero scale")
        if (self.enum or self.flags) and (not wt.integer or self.scale is not None):
            raise SchemaError(f"field {self.name}: enumerations and flags are unscaled integers")
        if self.enum is not None:
            for member in self.enum:
                if not wt.raw_min <= member.value <= wt.raw_max:
                    raise SchemaError(f"field {self.name}: {member!r} does not fit {self.kind}")
        object.__setattr__(self, "_range", self._compute_range())

    @property
    def wire(self) -> WireType:
        return WIRE_TYPES[self.kind]

    @property
    def element_octets(self) -> int:
        return self.length if self.length else self.wire.octets

    @property
    def octets(self) -> int:
        return self.element_octets * self.count

    @property
    def struct_code(self) -> str:
        if self.length:
            return f"{self.length}s"
        return f"{self.count}{self.wire.code}" if self.count > 1 else self.wire.code

    @property
    def value_range(self) -> tuple[float, float] | None:
        """The engineering range (inclusive) this field accepts; None where only the type limits it."""
        return self._range

    def _compute_range(self) -> tuple[float, float] | None:
        wt = self.wire
        if self.enum is not None or self.flags is not None or self.kind in ("text", "bytes", "bool"):
            return None
        if wt.integer:
            s = self.scale if self.scale is not None else 1.0
            lo_raw = wt.raw_min * s + self.offset
            hi_raw = wt.raw_max * s + self.offset
            lo, hi = min(lo_raw, hi_raw), max(lo_raw, hi_raw)
        else:
            lo, hi = -math.inf, math.inf
        if self.minimum is not None:
            lo = max(lo, self.minimum)
        if self.maximum is not None:
            hi = min(hi, self.maximum)
        if self.kind == "f32":  # compare in binary32, the precision on the wire
            lo, hi = _to_f32(lo), _to_f32(hi)
        return lo, hi

    def example_value(self) -> Any:
        """A valid value of one element: zero clamped into range, the first enumeration member."""
        if self.enum is not None:
            return next(iter(self.enum))
        if self.kind == "text":
            return ""
        if self.kind == "bytes":
            return bytes(self.length)
        if self.kind == "bool":
            return False
        if self.flags is not None:
            return 0
        rng = self.value_range
        assert rng is not None
        x = min(max(0.0, rng[0]), rng[1])
        if self.wire.integer and self.scale is None:
            return math.ceil(x)
        if self.scale is not None:
            return self.from_raw(self.to_raw(x))
        return x

    # --- one element, engineering value <-> raw wire value -------------------------------------------

    def to_raw(self, value: Any) -> Any:
        t = self.kind
        if t == "text":
            if not isinstance(value, str):
                raise EncodeError(f"{self.name}: expected text, got {type(value).__name__}")
            try:
                octets = value.encode("ascii")
            except UnicodeEncodeError:
                raise EncodeError(f"{self.name}: text must be ASCII") from None
            if len(octets) > self.length or b"\x00" in octets:
                raise EncodeError(f"{self.name}: text longer than {self.length} octets or holding NUL")
            return octets
        if t == "bytes":
            if not isinstance(value, bytes | bytearray) or len(value) != self.length:
                raise EncodeError(f"{self.name}: expected exactly {self.length} octets")
            return bytes(value)
        if t == "bool":
            if not isinstance(value, bool | int) or value not in (0, 1):
                raise EncodeError(f"{self.name}: expected a boolean, got {value!r}")
            return int(value)
        if self.enum is not None:
            return self._enum_raw(value)
        if self.flags is not None:
            return self._flags_raw(value)
        wt = self.wire
        numeric = isinstance(value, int | float) or hasattr(value, "__float__")
        if isinstance(value, bool) or not numeric:
            raise EncodeError(f"{self.name}: expected a number, got {type(value).__name__}")
        x = float(value)
        if not math.isfinite(x):
            raise EncodeError(f"{self.name}: {x!r} is not finite")
        if t == "f32":
            if abs(x) > _F32_MAX:
                raise EncodeError(f"{self.name}: {x!r} overflows binary32")
            x = _to_f32(x)
        rng = self.value_range
        assert rng is not None
        if not rng[0] <= x <= rng[1]:
            raise EncodeError(f"{self.name}: {x!r} {self.unit} outside {rng[0]!r}..{rng[1]!r}")
        if not wt.integer:
            return x
        if self.scale is None:
            if isinstance(value, float) and not x.is_integer():
                raise EncodeError(f"{self.name}: {x!r} is not an integer")
            return int(value) if not isinstance(value, float) else int(x)
        raw = round((x - self.offset) / self.scale)
        return min(max(raw, wt.raw_min), wt.raw_max)

    def _enum_raw(self, value: Any) -> int:
        assert self.enum is not None
        try:
            if isinstance(value, str):
                return int(self.enum[value])
            return int(self.enum(value))
        except (KeyError, ValueError, TypeError):
            raise EncodeError(f"{self.name}: {value!r} is not one of {[m.name for m in self.enum]}") from None

    def _flags_raw(self, value: Any) -> int:
        assert self.flags is not None
        if isinstance(value, bool) or not isinstance(value, int):
            raise EncodeError(f"{self.name}: expected an integer bit set, got {type(value).__name__}")
        defined = 0
        for member in self.flags:
            defined |= int(member)
        if int(value) & ~defined:
            raise EncodeError(f"{self.name}: bits {int(value) & ~defined:#x} are not defined")
        return int(value)

    def from_raw(self, raw: Any) -> Any:
        t = self.kind
        if t == "text":
            text = bytes(raw).rstrip(b"\x00")
            if b"\x00" in text or any(c > 0x7E or c < 0x20 for c in text):
                raise DecodeError(f"{self.name}: text is not printable ASCII padded with NUL")
            return text.decode("ascii")
        if t == "bytes":
            return bytes(raw)
        if t == "bool":
            if raw not in (0, 1):
                raise DecodeError(f"{self.name}: boolean octet {raw} is neither 0 nor 1")
            return bool(raw)
        if self.enum is not None:
            try:
                return self.enum(raw)
            except ValueError:
                raise DecodeError(f"{self.name}: {raw} is not a defined {self.enum.__name__}") from None
        if self.flags is not None:
            return int(raw)
        x = raw * self.scale + self.offset if self.scale is not None else raw
        if not self.wire.integer and not math.isfinite(x):
            raise DecodeError(f"{self.name}: {x!r} is not finite")
        rng = self.value_range
        assert rng is not None
        if not rng[0] <= x <= rng[1]:
            raise DecodeError(f"{self.name}: {x!r} {self.unit} outside {rng[0]!r}..{rng[1]!r}")
        return x


# --- the compiled codec --------------------------------------------------------------------------------
#
# Each PacketSpec compiles its fields once, at construction, into per-field converters. A converter
# takes the common case (a plain int or float in range, a known enumeration value, defined flag bits) in a
# few comparisons against ranges computed once, and hands anything else to the field's own ``to_raw`` or
# ``from_raw`` (the reference), which accepts exactly what it accepted before and raises the same
# EncodeError or DecodeError naming the field. The fast path takes only values the reference accepts and
# gives the same raw value, so the octets on the wire are the same (tests/property/test_protocol_codec.py).

Converter = Callable[[Any], Any]
_isfinite = math.isfinite


def _scalar_encoder(f: Field) -> Converter:
    """Engineering value -> raw wire value of one element of ``f``."""
    slow = f.to_raw
    wt = f.wire
    if f.kind in ("text", "bytes"):
        return slow
    if f.kind == "bool":
        def enc_bool(v: Any) -> Any:
            if v is True:
                return 1
            if v is False:
                return 0
            return slow(v)
        return enc_bool
    if f.enum is not None:
        table: dict[Any, int] = {name: int(m) for name, m in f.enum.__members__.items()}
        table.update({m.value: int(m) for m in f.enum})

        def enc_enum(v: Any) -> Any:
            try:
                raw = table.get(v)
            except TypeError:  # unhashable: the reference says why
                return slow(v)
            return slow(v) if raw is None else raw
        return enc_enum
    if f.flags is not None:
        undefined = ~functools.reduce(operator.or_, (int(m) for m in f.flags), 0)

        def enc_flags(v: Any) -> Any:
            if type(v) is int and not v & undefined:
                return v
            return slow(v)
        return enc_flags
    rng = f.value_range
    assert rng is not None
    lo, hi = rng
    if not wt.integer:
        if f.kind == "f32":  # the reference refuses what overflows binary32 before rounding
            lo, hi = max(lo, -_F32_MAX), min(hi, _F32_MAX)
        if math.isfinite(lo) and math.isfinite(hi):  # the comparisons refuse NaN and infinities
            def enc_float(v: Any) -> Any:
                if type(v) is float and lo <= v <= hi:
                    return v
                return slow(v)
            return enc_float

        def enc_float_open(v: Any) -> Any:
            if type(v) is float and lo <= v <= hi and _isfinite(v):
                return v
            return slow(v)
        return enc_float_open
    if f.scale is None:
        def enc_int(v: Any) -> Any:
            if type(v) is int and lo <= v <= hi:
                return v
            return slow(v)
        return enc_int
    scale, offset, raw_min, raw_max = f.scale, f.offset, wt.raw_min, wt.raw_max

    def enc_scaled(v: Any) -> Any:
        t = type(v)
        if (t is float or t is int) and lo <= v <= hi:
            raw = round((float(v) - offset) / scale)
            return raw_min if raw < raw_min else raw_max if raw > raw_max else raw
        return slow(v)
    return enc_scaled


def _scalar_decoder(f: Field) -> Converter:
    """Raw wire value -> engineering value of one element of ``f`` (DecodeError when out of range)."""
    slow = f.from_raw
    wt = f.wire
    if f.kind in ("text", "bytes"):
        return slow
    if f.kind == "bool":
        booleans = {0: False, 1: True}

        def dec_bool(raw: Any) -> Any:
            b = booleans.get(raw)
            return slow(raw) if b is None else b
        return dec_bool
    if f.enum is not None:
        members = {m.value: m for m in f.enum}

        def dec_enum(raw: Any) -> Any:
            m = members.get(raw)
            return slow(raw) if m is None else m
        return dec_enum
    if f.flags is not None:
        return slow
    rng = f.value_range
    assert rng is not None
    lo, hi = rng
    if not wt.integer:
        if math.isfinite(lo) and math.isfinite(hi):
            def dec_float(raw: Any) -> Any:
                if lo <= raw <= hi:
                    return raw
                return slow(raw)
            return dec_float

        def dec_float_open(raw: Any) -> Any:
            if lo <= raw <= hi and _isfinite(raw):
                return raw
            return slow(raw)
        return dec_float_open
    if f.scale is None:
        def dec_int(raw: Any) -> Any:
            if lo <= raw <= hi:
                return raw
            return slow(raw)
        return dec_int
    scale, offset = f.scale, f.offset

    def dec_scaled(raw: Any) -> Any:
        x = raw * scale + offset
        if lo <= x <= hi:
            return x
        return slow(raw)
    return dec_scaled


def _plain_int(f: Field) -> bool:
    """An unscaled integer field that is not an enumeration, flag set or boolean: arrays of it are checked
    against the range in one pass."""
    return f.wire.integer and f.kind != "bool" and f.scale is None and f.enum is None and f.flags is None


def _array_encoder(f: Field, spec_name: str) -> Converter:
    """A sequence of ``f.count`` engineering values -> a list of raw values."""
    enc = _scalar_encoder(f)
    count = f.count
    plain = _plain_int(f)
    lo, hi = f.value_range if plain and f.value_range is not None else (0.0, 0.0)

    def enc_array(v: Any) -> list[Any]:
        t = type(v)
        if t is list or t is tuple:
            items = list(v)
        elif isinstance(v, np.ndarray) and v.ndim == 1:
            if plain and v.size == count and v.dtype.kind in "iu" and lo <= v.min() and v.max() <= hi:
                return list(v.tolist())
            items = list(v)
        elif isinstance(v, str | bytes) or not isinstance(v, Iterable):
            raise EncodeError(f"{spec_name}.{f.name}: expected a sequence of {count}")
        else:
            items = list(v)
        if len(items) != count:
            raise EncodeError(f"{spec_name}.{f.name}: expected {count} values, got {len(items)}")
        if plain and set(map(type, items)) == _INT_ONLY and lo <= min(items) and max(items) <= hi:
            return items
        return [enc(x) for x in items]
    return enc_array


_INT_ONLY = {int}


def _array_decoder(f: Field) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    dec = _scalar_decoder(f)
    plain = _plain_int(f)
    lo, hi = f.value_range if plain and f.value_range is not None else (0.0, 0.0)

    def dec_array(raw: tuple[Any, ...]) -> tuple[Any, ...]:
        if plain and lo <= min(raw) and max(raw) <= hi:
            return raw
        return tuple(dec(x) for x in raw)
    return dec_array


# --- the generated codec -------------------------------------------------------------------------------
#
# On top of the converters above, each PacketSpec generates, once, two specialised functions as Python
# source compiled with ``exec`` (the way ``dataclasses`` builds ``__init__``): one that encodes a values
# mapping into the whole packet (headers, user data, CRC) and one that decodes a whole packet, already
# checked for size and CRC, into a Message. Each field's common case is written out inline (a type test
# and range comparisons against constants computed once, a table lookup for enumerations, the scaling
# arithmetic) with no converter called per field. Anything else (a value of another type, out of range,
# NaN, an array given as numpy, a number or name that is no member of the enumeration, text...) abandons
# the generated path, which has no side effects, and the packet goes through the converter path above,
# which raises the same errors as the reference: so the octets, the Messages and the errors are the same
# whichever path runs (tests/property/test_codec_generated.py). ``fn.__source__`` holds the source.

_DBL_MAX = sys.float_info.max
EncodeFn = Callable[[Mapping[str, Any], int, int, int], bytes]
DecodeFn = Callable[[Any], "Message | None"]


class _Source:
    """Generated source text and the constants it names (bound as globals of the generated function)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {}

    def const(self, prefix: str, value: Any) -> str:
        name = f"{prefix}{len(self.names)}"
        self.names[name] = value
        return name

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def compile(self, fn_name: str, qualname: str) -> Any:
        text = "\n".join(self.lines) + "\n"
        namespace = dict(self.names)
        exec(compile(text, f"<generated codec {qualname}>", "exec"), namespace)
        fn = namespace[fn_name]
        fn.__qualname__ = qualname
        fn.__source__ = text
        return fn


def _float_bounds(f: Field) -> tuple[float, float]:
    """The range of a binary32 or binary64 field, finite: comparisons against it refuse NaN and infinities
    (and, for binary32, what would overflow it), so a finite check is not needed."""
    rng = f.value_range
    assert rng is not None
    big = _F32_MAX if f.kind == "f32" else _DBL_MAX
    return max(rng[0], -big), min(rng[1], big)


def _below_top_octets(src: _Source, f: Field, offset: int, packet: str) -> str | None:
    """For an unsigned integer array with an upper bound: a test on the packed octets of its elements at
    ``offset`` in ``packet`` that passes only when every element's most significant octet is below the
    bound's, so every element is within the bound (true of every element of a sensible on-time). A slice
    and ``bytes.translate``: a few C loops, where ``max`` over the elements compares them one by one. None
    when it does not apply (signed, unbounded, or a bound below 256)."""
    wt = f.wire
    rng = f.value_range
    if rng is None or wt.signed or not rng[1] < wt.raw_max or wt.octets < 2:
        return None
    top = int(rng[1]) >> (8 * (wt.octets - 1))
    if top == 0:
        return None
    end = offset + f.octets
    return f"not {packet}[{offset}:{end}:{wt.octets}].translate(None, {src.const('LOW', bytes(range(top)))})"


def _generate_encoder(spec: PacketSpec, encoders: Sequence[tuple[str, Converter, bool]],
                      reference: EncodeFn) -> EncodeFn:
    """``pack_packet`` specialised for ``spec``: its common case inline, everything else to ``reference``."""
    src = _Source()
    sp = spacepacket
    fields = spec.all_fields
    src.names.update(REFERENCE=reference, PACK=spec._packet_struct.pack, CRC=binascii.crc_hqx, INIT=INIT,
                     StructError=struct.error, EncodeError=EncodeError, int=int, float=float, list=list,
                     tuple=tuple, bytes=bytes, type=type, len=len, round=round, set=set, map=map, min=min,
                     max=max, INT_ONLY=_INT_ONLY)
    conds: list[str] = []  # checked before any conversion
    steps: list[str] = []  # conversions (statements) once the checks pass
    post: list[str] = []  # checked after the conversions
    raws: list[str] = []
    packed: list[str] = []  # checked on the packed octets
    offset = spacepacket.HEADERS_OCTETS
    for k, (f, (_name, conv, array)) in enumerate(zip(fields, encoders, strict=True)):
        v, r = f"v{k}", f"r{k}"
        wt = f.wire
        at, offset = offset, offset + f.octets
        if array and _plain_int(f):
            lo, hi = f.value_range if f.value_range is not None else (wt.raw_min, wt.raw_max)
            c = (f"(type({v}) is list or type({v}) is tuple) and len({v}) == {f.count} "
                 f"and set(map(type, {v})) == INT_ONLY")
            if lo > wt.raw_min:
                c += f" and min({v}) >= {src.const('LO', lo)}"
            quick = _below_top_octets(src, f, at, "body") if lo <= wt.raw_min else None
            if quick is not None:
                packed.append(f"({quick} or max({v}) <= {src.const('HI', hi)})")
            elif hi < wt.raw_max:
                c += f" and max({v}) <= {src.const('HI', hi)}"
            conds.append(c)  # the wire type's own limits are struct's to check (struct.error: fall back)
            raws.append(f"*{v}")
        elif array or f.kind == "text":  # the converter, which raises EncodeError on anything unusual
            steps.append(f"{r} = {src.const('CONV', conv)}({v})")
            raws.append(f"*{r}" if array else r)
        elif f.kind == "bytes":
            conds.append(f"type({v}) is bytes and len({v}) == {f.length}")
            raws.append(v)
        elif f.kind == "bool":
            conds.append(f"({v} is True or {v} is False)")
            raws.append(v)
        elif f.enum is not None:
            table: dict[Any, int] = {name: int(m) for name, m in f.enum.__members__.items()}
            table.update({m.value: int(m) for m in f.enum})
            # a member as it is (struct takes its integer value), anything else through the table of names
            # and values (TypeError when unhashable)
            steps.append(f"{r} = {v} if type({v}) is {src.const('ENUMTYPE', f.enum)} "
                         f"else {src.const('ENUM', table.get)}({v})")
            post.append(f"{r} is not None")
            raws.append(r)
        elif f.flags is not None:
            undefined = ~functools.reduce(operator.or_, (int(m) for m in f.flags), 0)
            conds.append(f"type({v}) is int and not {v} & {src.const('UNDEF', undefined)}")
            raws.append(v)
        elif not wt.integer:
            lo, hi = _float_bounds(f)
            conds.append(f"(type({v}) is float or type({v}) is int) and "
                         f"{src.const('LO', lo)} <= {v} <= {src.const('HI', hi)}")
            raws.append(v)
        else:
            rng = f.value_range
            assert rng is not None
            lo_name, hi_name = src.const("LO", rng[0]), src.const("HI", rng[1])
            if f.scale is None:
                if rng[0] <= wt.raw_min and rng[1] >= wt.raw_max:  # struct checks the wire type's limits
                    conds.append(f"type({v}) is int")
                else:
                    conds.append(f"type({v}) is int and {lo_name} <= {v} <= {hi_name}")
                raws.append(v)
            else:
                conds.append(f"(type({v}) is float or type({v}) is int) and {lo_name} <= {v} <= {hi_name}")
                lo_raw, hi_raw = src.const("RMIN", wt.raw_min), src.const("RMAX", wt.raw_max)
                off, sc = src.const("OFF", f.offset), src.const("SC", f.scale)
                steps.append(f"{r} = round(({v} - {off}) / {sc})")
                steps.append(f"{r} = {lo_raw} if {r} < {lo_raw} else {hi_raw} if {r} > {hi_raw} else {r}")
                raws.append(r)
    # The time tag's limits are struct's to check (they are those of its 'I' and 'H': struct.error here);
    # the sequence count shares its word with the sequence flags, so its range is checked.
    assert sp.COARSE_TIME_MAX == 0xFFFF_FFFF and sp.FINE_TIME_PER_S == 0x1_0000
    header_ok = (f"type(seq_count) is int and type(coarse_time) is int and type(fine_time) is int "
                 f"and 0 <= seq_count < {sp.SEQ_COUNT_MODULUS} and len(values) == {len(fields)}")
    src.emit(0, "def pack_packet(values, seq_count, coarse_time, fine_time):")
    src.emit(1, f"if {header_ok}:")
    src.emit(2, "try:")
    for k, f in enumerate(fields):
        src.emit(3, f"v{k} = values[{f.name!r}]")
    src.emit(3, f"if {' and '.join(conds) or 'True'}:")
    for s in steps:
        src.emit(4, s)
    src.emit(4, f"if {' and '.join(post) or 'True'}:")
    src.emit(5, f"body = PACK({spec._word0}, {0xC000} | seq_count, {spec._data_length}, coarse_time, "
                f"fine_time, {', '.join(raws)})")
    if packed:
        src.emit(5, f"if {' and '.join(packed)}:")
        src.emit(6, "return body + CRC(body, INIT).to_bytes(2, 'big')")
    else:
        src.emit(5, "return body + CRC(body, INIT).to_bytes(2, 'big')")
    src.emit(2, "except (KeyError, TypeError, EncodeError, StructError):")
    src.emit(3, "pass  # the reference says what is wrong, if anything")
    src.emit(1, "return REFERENCE(values, seq_count, coarse_time, fine_time)")
    fn: EncodeFn = src.compile("pack_packet", f"{spec.name}.pack_packet")
    return fn


def _generate_decoder(spec: PacketSpec, decoders: Sequence[tuple[str, Converter, int, int]],
                      reference: Callable[[tuple[Any, ...], int], dict[str, Any]]) -> DecodeFn:
    """Message of a packet of ``spec`` whose size and CRC are checked; None when its header words are not
    those of ``spec`` (the caller's reference path says why). Fields out of the common case are decoded by
    ``reference`` (raw values, index of the first field), which raises DecodeError for bad ones."""
    src = _Source()
    src.names.update(UNPACK=spec._packet_struct.unpack_from, DECODE_FLAT=reference, NAME=spec.name,
                     APID=spec.apid, PTYPE=spec.packet_type, DecodeError=DecodeError, min=min, max=max,
                     NEW=object.__new__, MESSAGE=Message)
    # A Message is built by its slots' descriptors: what the frozen dataclass's __init__ does, in a third
    # of the time.
    for name in Message.__slots__:
        src.names[f"SET_{name}"] = getattr(Message, name).__set__
    conds: list[str] = []
    items: list[str] = []
    steps: list[str] = []  # conversions that may raise DecodeError
    pre: list[str] = []  # plain statements
    offsets: dict[str, int] = {}
    offset = spacepacket.HEADERS_OCTETS
    for f in spec.all_fields:
        offsets[f.name], offset = offset, offset + f.octets
    first = 5  # the header's words come first
    for (f, i, n), (_name, conv, _i, _n) in zip(spec._slices, decoders, strict=True):
        i += first
        x = f"flat[{i}]"
        wt = f.wire
        if (n > 1 or f.count > 1) and not f.length:
            t = f"flat[{i}:{i + n}]"
            if _plain_int(f):
                lo, hi = f.value_range if f.value_range is not None else (wt.raw_min, wt.raw_max)
                if lo > wt.raw_min or hi < wt.raw_max:
                    pre.append(f"a{i} = {t}")
                    t = f"a{i}"
                if lo > wt.raw_min:
                    conds.append(f"min({t}) >= {src.const('LO', lo)}")
                quick = _below_top_octets(src, f, offsets[f.name], "raw") if lo <= wt.raw_min else None
                if quick is not None:
                    conds.append(f"({quick} or max({t}) <= {src.const('HI', hi)})")
                elif hi < wt.raw_max:
                    conds.append(f"max({t}) <= {src.const('HI', hi)}")
                items.append(t)
            else:
                steps.append(f"a{i} = {src.const('CONV', conv)}({t})")
                items.append(f"a{i}")
        elif f.kind == "text":
            steps.append(f"a{i} = {src.const('CONV', conv)}({x})")
            items.append(f"a{i}")
        elif f.kind == "bytes" or f.flags is not None:
            items.append(x)  # struct gives bytes and int: from_raw returns them as they are
        elif f.kind == "bool":
            conds.append(f"{x} <= 1")
            items.append(f"{x} == 1")
        elif f.enum is not None:
            members = {m.value: m for m in f.enum}
            if wt.octets == 1:  # a list indexed by every octet value
                lookup = src.const("MEMBERS", [members.get(raw) for raw in range(wt.raw_min, wt.raw_max + 1)])
                index = x if wt.raw_min == 0 else f"{x} + {-wt.raw_min}"
                conds.append(f"(m{i} := {lookup}[{index}]) is not None")
            else:
                conds.append(f"(m{i} := {src.const('MEMBER', members.get)}({x})) is not None")
            items.append(f"m{i}")
        elif not wt.integer:
            lo, hi = _float_bounds(f)
            conds.append(f"{src.const('LO', lo)} <= {x} <= {src.const('HI', hi)}")
            items.append(x)
        else:
            rng = f.value_range
            assert rng is not None
            lo, hi = rng
            if f.scale is None:
                if lo > wt.raw_min:
                    conds.append(f"{x} >= {src.const('LO', lo)}")
                if hi < wt.raw_max:
                    conds.append(f"{x} <= {src.const('HI', hi)}")
                items.append(x)
            else:
                conds.append(f"{src.const('LO', lo)} <= (y{i} := {x} * {src.const('SC', f.scale)} + "
                             f"{src.const('OFF', f.offset)}) <= {src.const('HI', hi)}")
                items.append(f"y{i}")
    body = ", ".join(f"{f.name!r}: {item}" for f, item in zip(spec.all_fields, items, strict=True))
    src.emit(0, "def decode_packet(raw):")
    src.emit(1, "flat = UNPACK(raw)")
    src.emit(1, f"if flat[0] != {spec._word0} or flat[2] != {spec._data_length}:")
    src.emit(2, "return None")
    for s in pre:
        src.emit(1, s)
    indent = 1
    if steps:
        src.emit(1, "try:")
        for s in steps:
            src.emit(2, s)
        src.emit(1, "except DecodeError:")
        src.emit(2, "fields = None")
        src.emit(1, "else:")
        indent = 2
    src.emit(indent, f"fields = {{{body}}} if {' and '.join(conds) or 'True'} else None")
    src.emit(1, "m = NEW(MESSAGE)")
    values = ("NAME", "APID", "PTYPE", f"flat[1] & {spacepacket.SEQ_COUNT_MODULUS - 1}", "flat[3]", "flat[4]",
              "DECODE_FLAT(flat, 5) if fields is None else fields")
    for name, value in zip(Message.__slots__, values, strict=True):
        src.emit(1, f"SET_{name}(m, {value})")
    src.emit(1, "return m")
    fn: DecodeFn = src.compile("decode_packet", f"{spec.name}.decode_packet")
    return fn


# The security header and trailer of authenticated telecommands (see flight/security.py).
KEY_ID = Field("key_id", "u16", description="security parameter index: which key signed the command",
               minimum=1)
ARSN = Field("arsn", "u32", description="anti-replay sequence number, increasing per key", minimum=1)
MAC = Field("mac", "bytes", length=16, description="HMAC-SHA256 over every preceding octet, truncated to 16")


@dataclass(frozen=True)
class PacketSpec:
    """One packet type: its APID, direction, fields, and whether it is authenticated."""

    name: str
    apid: int
    packet_type: PacketType
    board: str  # the MQTT board name of the link that carries it: imu, thruster, ground
    direction: str  # "cmd" (towards the board; for ground, ground to flight) or "tm" (from it)
    description: str
    fields: tuple[Field, ...]
    authenticated: bool = False
    test_only: bool = False
    rate: str = ""
    all_fields: tuple[Field, ...] = field(init=False)
    _struct: struct.Struct = field(init=False, repr=False)
    _slices: tuple[tuple[Field, int, int], ...] = field(init=False, repr=False)
    _names: frozenset[str] = field(init=False, repr=False)
    _encoders: tuple[tuple[str, Converter, bool], ...] = field(init=False, repr=False)
    _decoders: tuple[tuple[str, Converter, int, int], ...] = field(init=False, repr=False)
    _packet_struct: struct.Struct = field(init=False, repr=False)  # headers and user data in one
    _word0: int = field(init=False, repr=False)  # first primary header word (version, type, APID)
    _data_length: int = field(init=False, repr=False)  # the primary header's packet data length
    #: ``pack_packet(values, seq_count, coarse_time, fine_time)``: the whole packet (headers, user data,
    #: CRC) for ``values`` with raw CUC time: the same octets as ``spacepacket.pack`` of ``pack_fields``,
    #: and the same errors. Generated for this spec (see "the generated codec"), called without a method
    #: in between.
    pack_packet: EncodeFn = field(init=False, repr=False, compare=False)
    _decode_packet: DecodeFn = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.apid < spacepacket.APID_IDLE:
            raise SchemaError(f"{self.name}: APID {self.apid:#x} outside 0..0x7FE")
        if self.direction not in ("cmd", "tm"):
            raise SchemaError(f"{self.name}: direction must be cmd or tm")
        all_fields = (KEY_ID, ARSN, *self.fields, MAC) if self.authenticated else self.fields
        names = [f.name for f in all_fields]
        if len(set(names)) != len(names):
            raise SchemaError(f"{self.name}: duplicate field names")
        setattr_ = object.__setattr__
        setattr_(self, "all_fields", all_fields)
        codes = "".join(f.struct_code for f in all_fields)
        s = struct.Struct(">" + codes)
        if s.size > spacepacket.MAX_USER_DATA_OCTETS:
            raise SchemaError(f"{self.name}: {s.size} octets of user data exceed the maximum")
        setattr_(self, "_struct", s)
        slices = []
        i = 0
        for f in all_fields:
            n = 1 if f.length else f.count
            slices.append((f, i, n))
            i += n
        setattr_(self, "_slices", tuple(slices))
        # the compiled codec (see "the compiled codec" above)
        setattr_(self, "_names", frozenset(names))
        setattr_(self, "_encoders", tuple(
            (f.name, _array_encoder(f, self.name), True) if f.count > 1 and not f.length
            else (f.name, _scalar_encoder(f), False) for f in all_fields))
        setattr_(self, "_decoders", tuple(
            (f.name, _array_decoder(f), i, n) if n > 1 or (f.count > 1 and not f.length)
            else (f.name, _scalar_decoder(f), i, 0) for f, i, n in slices))
        setattr_(self, "_packet_struct", struct.Struct(spacepacket.HEADERS_FORMAT + codes))
        setattr_(self, "_word0", (int(self.packet_type) << 12) | (1 << 11) | self.apid)
        setattr_(self, "_data_length", spacepacket.SECONDARY_HEADER_OCTETS + s.size + CRC_OCTETS - 1)
        setattr_(self, "pack_packet", _generate_encoder(self, self._encoders, self._pack_packet_reference))
        setattr_(self, "_decode_packet", _generate_decoder(self, self._decoders, self._decode_flat))

    @property
    def user_data_octets(self) -> int:
        return self._struct.size

    @property
    def packet_octets(self) -> int:
        return self._struct.size + spacepacket.OVERHEAD_OCTETS

    def example_values(self, *, with_security: bool = False) -> dict[str, Any]:
        """Valid values for every field (zero or the nearest value in range; first enumeration member),
        for examples in documentation, benchmarks and tests. Security fields only when asked."""
        out: dict[str, Any] = {}
        for f in self.all_fields:
            if self.authenticated and not with_security and f.name in ("key_id", "arsn", "mac"):
                continue
            out[f.name] = f.example_value() if f.count == 1 or f.length else (f.example_value(),) * f.count
        return out

    def field_named(self, name: str) -> Field:
        for f in self.all_fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def _flat(self, values: Mapping[str, Any]) -> list[Any]:
        """The raw values of every field in wire order. EncodeError names the field; unknown fields are
        reported before anything else."""
        if len(values) != len(self._encoders):
            self._refuse_unknown(values)
        flat: list[Any] = []
        append = flat.append
        try:
            for name, enc, array in self._encoders:
                try:
                    v = values[name]
                except KeyError:
                    raise EncodeError(f"{self.name}: field {name} is missing") from None
                if array:
                    flat += enc(v)
                else:
                    append(enc(v))
        except EncodeError:
            self._refuse_unknown(values)
            raise
        return flat

    def _refuse_unknown(self, values: Mapping[str, Any]) -> None:
        unknown = set(values) - self._names
        if unknown:
            raise EncodeError(f"{self.name}: unknown field(s) {sorted(unknown)}")

    def _pack_flat(self, flat: list[Any]) -> bytes:
        try:
            return self._struct.pack(*flat)
        except struct.error as exc:
            raise EncodeError(f"{self.name}: {exc}") from None

    def pack_fields(self, values: Mapping[str, Any]) -> bytes:
        """The user data field for ``values`` (engineering units); every field must be given."""
        return self._pack_flat(self._flat(values))

    def _pack_packet_reference(
        self, values: Mapping[str, Any], seq_count: int, coarse_time: int, fine_time: int
    ) -> bytes:
        """``pack_packet`` through the per-field converters: what the generated encoder falls back to."""
        flat = self._flat(values)
        sp = spacepacket
        if (type(seq_count) is int and type(coarse_time) is int and type(fine_time) is int
                and 0 <= seq_count < sp.SEQ_COUNT_MODULUS and 0 <= coarse_time <= sp.COARSE_TIME_MAX
                and 0 <= fine_time < sp.FINE_TIME_PER_S):
            try:
                body = self._packet_struct.pack(self._word0, 0xC000 | seq_count, self._data_length,
                                                coarse_time, fine_time, *flat)
            except struct.error:
                pass  # the reference path below names the problem
            else:
                return body + crc16(body).to_bytes(CRC_OCTETS, "big")
        return spacepacket.pack(self.apid, seq_count, self._pack_flat(flat), packet_type=self.packet_type,
                                coarse_time=coarse_time, fine_time=fine_time)

    def unpack_fields(self, user_data: bytes) -> dict[str, Any]:
        if len(user_data) != self._struct.size:
            raise DecodeError(
                f"{self.name}: user data is {len(user_data)} octets, the schema says {self._struct.size}"
            )
        return self._decode_flat(self._struct.unpack(user_data), 0)

    def _decode_flat(self, flat: tuple[Any, ...], first: int) -> dict[str, Any]:
        """Fields in engineering units from raw values; the user data's start at ``flat[first]``."""
        out: dict[str, Any] = {}
        for name, dec, i, n in self._decoders:
            i += first
            out[name] = dec(flat[i : i + n]) if n else dec(flat[i])
        return out


@dataclass(frozen=True, slots=True)
class Message:
    """A decoded packet: its catalogue name, header values, time tag and fields in engineering units."""

    name: str
    apid: int
    packet_type: PacketType
    seq_count: int
    coarse_time: int
    fine_time: int
    fields: dict[str, Any]

    @property
    def time_tag_s(self) -> float:
        return spacepacket.seconds_from_time_tag(self.coarse_time, self.fine_time)

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: enumerations by name, bytes as hex, arrays as lists."""
        return {
            "apid": self.apid,
            "name": self.name,
            "type": self.packet_type.name,
            "seq_count": self.seq_count,
            "time_tag_s": self.time_tag_s,
            "fields": {k: _jsonable(v) for k, v in self.fields.items()},
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, IntEnum):
        return v.name
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    return v


class Catalogue:
    """Every packet type, looked up by name or APID."""

    def __init__(self, specs: Sequence[PacketSpec]) -> None:
        self.specs = tuple(specs)
        self._by_name: dict[str, PacketSpec] = {}
        self._by_apid: dict[int, PacketSpec] = {}
        self._decode_by_apid: dict[int, tuple[int, DecodeFn]] = {}  # packet octets and generated decoder
        for s in self.specs:
            if s.name in self._by_name:
                raise SchemaError(f"packet name {s.name} defined twice")
            if s.apid in self._by_apid:
                raise SchemaError(f"APID {s.apid:#x} used by {self._by_apid[s.apid].name} and {s.name}")
            self._by_name[s.name] = s
            self._by_apid[s.apid] = s
            self._decode_by_apid[s.apid] = (s.packet_octets, s._decode_packet)

    def __iter__(self) -> Iterator[PacketSpec]:
        return iter(self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    def by_name(self, name: str) -> PacketSpec:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no packet named {name!r} in the catalogue") from None

    def by_apid(self, apid: int) -> PacketSpec | None:
        return self._by_apid.get(apid)

    def encode(
        self,
        name: str,
        values: Mapping[str, Any],
        *,
        seq_count: int,
        time_tag_s: float | None = None,
        coarse_time: int = 0,
        fine_time: int = 0,
    ) -> bytes:
        """A complete packet of an unauthenticated type (see ``hil.protocol.telecommand`` for the others)."""
        spec = self.by_name(name)
        if spec.authenticated:
            raise EncodeError(f"{name} is authenticated: build it with hil.protocol.telecommand.sign")
        if time_tag_s is not None:
            try:
                coarse_time, fine_time = spacepacket.time_tag_from_seconds(time_tag_s)
            except (spacepacket.PacketError, TypeError, ValueError, OverflowError):
                pass  # the reference below reports field errors first, then the time tag's
            else:
                return spec.pack_packet(values, seq_count, coarse_time, fine_time)
            return spacepacket.pack(
                spec.apid, seq_count, spec.pack_fields(values), packet_type=spec.packet_type,
                time_tag_s=time_tag_s, coarse_time=coarse_time, fine_time=fine_time,
            )
        return spec.pack_packet(values, seq_count, coarse_time, fine_time)

    def decode(self, raw: bytes | bytearray | memoryview) -> Message:
        """The message in one packet; raises DecodeError for a bad packet, unknown APID or bad fields.

        Authenticated packets are decoded but not verified here: verification needs the keys and the
        anti-replay state (``flight.security.Authenticator``).
        """
        # One pass over the header: the APID names the spec, whose packet size is known; the generated
        # decoder compares the header words with the spec's; the CRC runs once. Anything else goes to the
        # reference below, which says what is wrong.
        t = type(raw)
        if t is bytes or t is bytearray:
            n = len(raw)
            if n >= spacepacket.MIN_PACKET_OCTETS:
                known = self._decode_by_apid.get(((raw[0] & 0x07) << 8) | raw[1])
                if known is not None and n == known[0] and _crc16(raw, _CRC_INIT) == 0:
                    msg = known[1](raw)
                    if msg is not None:
                        return msg
        return self._decode_reference(raw)

    def _decode_reference(self, raw: bytes | bytearray | memoryview) -> Message:
        """``decode`` step by step: every check, and the error of the first that fails."""
        result = spacepacket.check(raw)
        if result is not spacepacket.Check.OK:
            raise DecodeError(spacepacket.packet_problem(raw))
        word0 = (raw[0] << 8) | raw[1]
        apid = word0 & spacepacket.APID_MAX
        spec = self._by_apid.get(apid)
        if spec is None:
            raise DecodeError(f"APID {apid:#05x} is not in the catalogue")
        packet_type = _PACKET_TYPES[(word0 >> 12) & 1]
        if packet_type is not spec.packet_type:
            raise DecodeError(
                f"{spec.name}: packet type {packet_type.name}, expected {spec.packet_type.name}"
            )
        if len(raw) != spec.packet_octets:
            spec.unpack_fields(bytes(raw[spacepacket.HEADERS_OCTETS : len(raw) - CRC_OCTETS]))  # raises
        flat = spec._packet_struct.unpack_from(raw)
        return Message(spec.name, apid, packet_type, flat[1] & (spacepacket.SEQ_COUNT_MODULUS - 1), flat[3],
                       flat[4], spec._decode_flat(flat, 5))


_PACKET_TYPES = (PacketType.TM, PacketType.TC)
_crc16 = binascii.crc_hqx  # crc16 without the call through hil.protocol.crc
_CRC_INIT = INIT
