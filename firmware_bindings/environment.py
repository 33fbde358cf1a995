"""The Earth's environment from the C core: gravity (J2-J4), atmospheric density and the Sun's direction.

Thin checked binding plus numpy API over ``csrc/fb_gravity.h`` and ``csrc/fb_atmos.h``. Positions are
``(..., 3)`` arrays in metres (ECI for density and the Sun, either ECI or ECEF for gravity, whose zonal
field is symmetric about the shared z axis); every array function calls one batch entry point of the core.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from firmware_bindings._arrays import F64Array, as_f64
from firmware_bindings._core import ffi, lib
from firmware_bindings._status import ensure
from firmware_bindings.frames import _broadcast_points, _call_n, _f64, _timed_vectors, geodetic_altitude_m

__all__ = [
    "AtmosphereModel",
    "GravityModel",
    "density_kg_m3",
    "gravity_accel",
    "sun_direction_eci",
]

AtmosphereKind = Literal["exponential", "harris-priester"]
_KINDS: dict[str, int] = {"exponential": 0, "harris-priester": 1}


@dataclass(frozen=True)
class GravityModel:
    """Point mass plus unnormalised zonal harmonics; set a J to zero to switch that term off."""

    gm_m3_s2: float
    re_m: float
    j2: float
    j3: float
    j4: float

    @classmethod
    def default(cls) -> GravityModel:
        """WGS-84 GM and equatorial radius with EGM96 J2, J3, J4 (shared reference earth_constants.json)."""
        m = ffi.new("fb_grav_model *")
        ensure(lib.fb_grav_default(m), "GravityModel.default")
        return cls(m.gm_m3_s2, m.re_m, m.j2, m.j3, m.j4)

    def _c(self) -> Any:
        m = ffi.new("fb_grav_model *")
        m.gm_m3_s2, m.re_m = float(self.gm_m3_s2), float(self.re_m)
        m.j2, m.j3, m.j4 = float(self.j2), float(self.j3), float(self.j4)
        return m


@dataclass(frozen=True)
class AtmosphereModel:
    """A density model: ``kind`` "exponential" (Vallado 2013, table 8-4) or "harris-priester"
    (Montenbruck and Gill 2000, table 3.8, with the diurnal bulge and cosine exponent ``hp_n``, 2 to 6),
    each times ``scale``."""

    kind: AtmosphereKind = "exponential"
    scale: float = 1.0
    hp_n: int = 3

    def _c(self) -> Any:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown atmosphere kind {self.kind!r}; choose from {sorted(_KINDS)}")
        m = ffi.new("fb_atm_model *")
        m.kind = _KINDS[self.kind]
        m.scale = float(self.scale)
        m.hp_n = int(self.hp_n)
        return m


@functools.cache
def _default_gravity() -> GravityModel:
    return GravityModel.default()


def gravity_accel(r_m: npt.ArrayLike, model: GravityModel | None = None) -> F64Array:
    """Gravitational acceleration (m/s^2) at positions ``(..., 3)``; ``model`` defaults to
    ``GravityModel.default()``. Positions within 1,000 km of the centre raise ``InvalidInputError``."""
    r = as_f64(r_m, (3,), "r_m")
    m = (model or _default_gravity())._c()
    out = np.empty_like(r)
    _call_n("gravity_accel", lib.fb_grav_accel_n, r.shape[:-1], [(r, 3)], [(out, 3)], prefix=(m,))
    return out


def sun_direction_eci(t_s: npt.ArrayLike) -> F64Array:
    """Unit vectors ``(..., 3)`` toward the Sun in ECI (low precision, about 0.01 deg) at times ``t_s``."""
    t = _f64(t_s, "t_s")
    out = np.empty((*t.shape, 3), dtype=np.float64)
    _call_n("sun_direction_eci", lib.fb_atm_sun_eci_n, t.shape, [(t, 1)], [(out, 3)])
    return out


def density_kg_m3(
    t_s: npt.ArrayLike,
    r_eci_m: npt.ArrayLike,
    h_m: npt.ArrayLike | None = None,
    model: AtmosphereModel | None = None,
) -> Any:
    """Atmospheric density (kg/m^3) at ECI positions ``(..., 3)`` and times ``t_s``.

    ``h_m`` is the geodetic altitude of each position; when omitted it is computed from ``r_eci_m``.
    ``model`` defaults to ``AtmosphereModel()`` (the exponential table, scale 1). A float for a single
    position.
    """
    if h_m is None:
        t, (r,) = _timed_vectors(t_s, [(r_eci_m, "r_eci_m")])
        h = np.asarray(geodetic_altitude_m(t, r), dtype=np.float64).reshape(t.shape)
    else:
        (t, h), (r,) = _broadcast_points([(t_s, "t_s"), (h_m, "h_m")], [(r_eci_m, "r_eci_m")])
    lead = t.shape
    m = (model or AtmosphereModel())._c()
    out = np.empty_like(t)
    _call_n("density_kg_m3", lib.fb_atm_density_n, lead, [(t, 1), (r, 3), (h, 1)], [(out, 1)], prefix=(m,))
    return float(out) if out.ndim == 0 else out
