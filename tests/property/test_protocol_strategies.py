"""Hypothesis strategies that draw valid engineering values for any packet of the catalogue (no tests here:
the property tests import them)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from hil.protocol.schema import Field, PacketSpec

SECURITY_FIELDS = {"key_id", "arsn", "mac"}


def element(f: Field) -> st.SearchStrategy[Any]:
    """Values of one element of ``f`` that encode exactly (decode gives the same value back)."""
    if f.enum is not None:
        return st.sampled_from(list(f.enum))
    if f.flags is not None:
        return st.sets(st.sampled_from([int(m) for m in f.flags])).map(sum)
    if f.kind == "bool":
        return st.booleans()
    if f.kind == "text":
        return st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=f.length)
    if f.kind == "bytes":
        return st.binary(min_size=f.length, max_size=f.length)
    rng = f.value_range
    assert rng is not None
    lo, hi = rng
    wt = f.wire
    if not wt.integer:
        return st.floats(
            min_value=lo if lo > -float("inf") else None, max_value=hi if hi < float("inf") else None,
            allow_nan=False, allow_infinity=False, width=32 if f.kind == "f32" else 64,
        )
    if f.scale is None:
        return st.integers(int(lo), int(hi))
    scale, offset = f.scale, f.offset
    raw = st.integers(wt.raw_min, wt.raw_max)
    return raw.map(lambda r: r * scale + offset).filter(lambda v: lo <= v <= hi)


def values(spec: PacketSpec, *, with_security: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """A dict of valid values for every field of ``spec`` (without key id, ARSN and MAC unless asked)."""
    skip = SECURITY_FIELDS if spec.authenticated and not with_security else set()
    fields = [f for f in spec.all_fields if f.name not in skip]
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for f in fields:
        e = element(f)
        parts[f.name] = st.tuples(*[e] * f.count) if f.count > 1 else e
    return st.fixed_dictionaries(parts)
