"""Spacecraft time on the wire: the project's ``t_s`` and the packets' CUC time tags.

The project has one time scale, ``t_s``: seconds of UTC since J2000 (2000-01-01 12:00:00 UTC), counted
uniformly (firmware_bindings.frames). The packets' secondary header carries a CCSDS CUC time code with
4 octets of seconds and 2 octets of 2^-16 s since 1958-01-01 TAI (CCSDS 301.0-B-4, level 1 epoch).

J2000 as defined above is 2000-01-01 12:00:32 TAI (TAI - UTC = 32 s from 1999-01-01, IERS Bulletin C),
that is 15,340.5 days and 32 s after the CUC epoch. The project's uniform ``t_s`` ignores the leap seconds
inserted after 2000, so the mapping is one fixed offset: ``tag_s = t_s + CUC_EPOCH_OFFSET_S``.

Time tags resolve 2^-16 s (about 15 us). A board that wants its time tags to name its sample times
exactly (the lockstep gate matches a thruster command's time tag to the IMU sample it answers) keeps its
times on that grid: :func:`on_grid` and :func:`ticks_of`.
"""

from __future__ import annotations

import math

from hil.protocol.spacepacket import COARSE_TIME_MAX, FINE_TIME_PER_S

#: Seconds from 1958-01-01T00:00:00 TAI to J2000 (2000-01-01T12:00:00 UTC = 12:00:32 TAI).
CUC_EPOCH_OFFSET_S = 15_340 * 86_400 + 43_200 + 32
TICK_S = 1.0 / FINE_TIME_PER_S
#: The earliest and latest ``t_s`` a time tag can carry.
T_MIN_S = -float(CUC_EPOCH_OFFSET_S)
T_MAX_S = float(COARSE_TIME_MAX) - CUC_EPOCH_OFFSET_S


def ticks_of(t_s: float) -> int:
    """``t_s`` in time-tag ticks (2^-16 s) since J2000, rounded to the nearest tick."""
    if not math.isfinite(t_s):
        raise ValueError(f"time {t_s!r} s is not finite")
    return round(t_s * FINE_TIME_PER_S)


def seconds_of(ticks: int) -> float:
    """The ``t_s`` of a whole number of ticks since J2000 (exact for any time a tag can hold)."""
    return ticks / FINE_TIME_PER_S


def on_grid(t_s: float) -> float:
    """``t_s`` rounded to the nearest time-tag tick."""
    return seconds_of(ticks_of(t_s))


_EPOCH_OFFSET_TICKS = CUC_EPOCH_OFFSET_S * FINE_TIME_PER_S
_FINE_BITS = FINE_TIME_PER_S.bit_length() - 1
assert 1 << _FINE_BITS == FINE_TIME_PER_S


def tag_from_t(t_s: float) -> tuple[int, int]:
    """(coarse, fine) CUC time tag of spacecraft time ``t_s`` (rounded to the nearest tick)."""
    if type(t_s) is float and T_MIN_S <= t_s <= T_MAX_S:  # the common case: ticks_of and divmod inline
        ticks = round(t_s * FINE_TIME_PER_S) + _EPOCH_OFFSET_TICKS  # not negative: t_s >= T_MIN_S
        return ticks >> _FINE_BITS, ticks & (FINE_TIME_PER_S - 1)
    if not T_MIN_S <= t_s <= T_MAX_S:
        raise ValueError(f"time {t_s!r} s is outside the range a time tag can carry")
    ticks = ticks_of(t_s) + CUC_EPOCH_OFFSET_S * FINE_TIME_PER_S
    coarse, fine = divmod(ticks, FINE_TIME_PER_S)
    return int(coarse), int(fine)


def t_from_tag(coarse: int, fine: int) -> float:
    """Spacecraft time ``t_s`` of a CUC time tag (exact: every tag is a float of 48 significant bits)."""
    return seconds_of(coarse * FINE_TIME_PER_S + fine - CUC_EPOCH_OFFSET_S * FINE_TIME_PER_S)
