"""Re-entry and debris footprint prediction from the C core (``csrc/fb_entry.h``, ``csrc/fb_batch.h``).

From a state and an optional planned burn the stack is propagated with the full force model to the entry
interface (120 km by default) and to breakup (78 km by default); there the stack becomes fragments whose
ballistic coefficients are log-spaced over a range (5 to 2,000 kg/m^2 by default), each propagated to the
ground with point-mass plus J2 gravity and drag. The footprint is the line of impact points: the heel is
the impact nearest uprange, the toe the farthest downrange (along the ground track at breakup), the
length the great-circle distance between them and the centre their great-circle midpoint. Angles are in
radians, geodetic (WGS-84) latitude and longitude; times are t_s (UTC seconds since J2000).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from firmware_bindings._arrays import F64Array, dptr, dptr_out
from firmware_bindings._core import ffi, lib
from firmware_bindings._status import ensure
from firmware_bindings.orbit import Burn, ForceModel, Tolerance, _dispersion, _state7, _states, replace

__all__ = [
    "EntryConfig",
    "Footprint",
    "FootprintBatch",
    "predict_footprint",
    "predict_footprints",
]

MAX_FRAGMENTS = 64


def _default_entry() -> Any:
    c = ffi.new("fb_entry_config *")
    ensure(lib.fb_entry_default_config(c), "fb_entry_default_config")
    return c


_DEFAULT = _default_entry()


@dataclass(frozen=True)
class EntryConfig:
    """Altitudes of interface and breakup, the fragments' ballistic coefficient range and count, the
    horizons (``max_coast_s`` from the start to the interface and on to breakup, ``max_fall_s`` for each
    fragment), the terminal-phase switch (a fragment whose remaining drift is below ``terminal_drift_m``
    falls straight down; 0 integrates to the ground) and the tolerances of the stack and the fragments."""

    h_interface_m: float = _DEFAULT.h_interface_m
    h_breakup_m: float = _DEFAULT.h_breakup_m
    beta_min_kg_m2: float = _DEFAULT.beta_min_kg_m2
    beta_max_kg_m2: float = _DEFAULT.beta_max_kg_m2
    n_fragments: int = _DEFAULT.n_fragments
    max_coast_s: float = _DEFAULT.max_coast_s
    max_fall_s: float = _DEFAULT.max_fall_s
    terminal_drift_m: float = _DEFAULT.terminal_drift_m
    tol: Tolerance = field(default_factory=lambda: Tolerance._from_c(_DEFAULT.tol))
    fragment_tol: Tolerance = field(default_factory=lambda: Tolerance._from_c(_DEFAULT.fragment_tol))

    def _c(self) -> Any:
        c = ffi.new("fb_entry_config *")
        c.h_interface_m, c.h_breakup_m = float(self.h_interface_m), float(self.h_breakup_m)
        c.beta_min_kg_m2, c.beta_max_kg_m2 = float(self.beta_min_kg_m2), float(self.beta_max_kg_m2)
        c.n_fragments = int(self.n_fragments)
        c.max_coast_s, c.max_fall_s = float(self.max_coast_s), float(self.max_fall_s)
        c.terminal_drift_m = float(self.terminal_drift_m)
        c.tol = self.tol._c()[0]
        c.fragment_tol = self.fragment_tol._c()[0]
        return c


@dataclass(frozen=True)
class Footprint:
    """A predicted re-entry: interface, breakup, and every fragment's impact (arrays in ballistic
    coefficient order). ``fpa_interface_rad`` is the inertial flight-path angle (negative descending)."""

    t_interface_s: float
    fpa_interface_rad: float
    v_interface_mps: float
    r_interface_eci_m: F64Array
    v_interface_eci_mps: F64Array
    t_breakup_s: float
    breakup_lat_rad: float
    breakup_lon_rad: float
    breakup_h_m: float
    track_bearing_rad: float
    beta_kg_m2: F64Array
    impact_t_s: F64Array
    impact_lat_rad: F64Array
    impact_lon_rad: F64Array
    impact_along_m: F64Array
    heel_index: int
    toe_index: int
    heel_lat_rad: float
    heel_lon_rad: float
    toe_lat_rad: float
    toe_lon_rad: float
    length_m: float
    centre_lat_rad: float
    centre_lon_rad: float
    centre_bearing_rad: float

    @classmethod
    def _from_c(cls, r: Any) -> Footprint:
        n = int(r.n_impacts)

        def arr(name: str) -> F64Array:
            buf = ffi.buffer(getattr(r, name))
            return np.frombuffer(buf, dtype=np.float64, count=MAX_FRAGMENTS)[:n].copy()

        yi = np.frombuffer(ffi.buffer(r.y_interface), dtype=np.float64, count=7)
        return cls(
            r.t_interface_s, r.fpa_interface_rad, r.v_interface_mps, yi[:3].copy(), yi[3:6].copy(),
            r.t_breakup_s, r.breakup_lat_rad, r.breakup_lon_rad, r.breakup_h_m, r.track_bearing_rad,
            arr("beta_kg_m2"), arr("impact_t_s"), arr("impact_lat_rad"), arr("impact_lon_rad"),
            arr("impact_along_m"), int(r.heel_index), int(r.toe_index), r.heel_lat_rad, r.heel_lon_rad,
            r.toe_lat_rad, r.toe_lon_rad, r.length_m, r.centre_lat_rad, r.centre_lon_rad,
            r.centre_bearing_rad,
        )

    def summary(self) -> dict[str, Any]:
        """The footprint in the units of the run summary (degrees, km), JSON-ready."""
        return {
            "interface_t_s": self.t_interface_s,
            "fpa_at_interface_deg": math.degrees(self.fpa_interface_rad),
            "breakup_alt_km": self.breakup_h_m / 1e3,
            "breakup": _point(self.breakup_lat_rad, self.breakup_lon_rad),
            "impacts": [
                {"beta_kg_m2": float(b), "lat_deg": math.degrees(la), "lon_deg": math.degrees(lo)}
                for b, la, lo in zip(self.beta_kg_m2, self.impact_lat_rad, self.impact_lon_rad, strict=True)
            ],
            "heel": _point(self.heel_lat_rad, self.heel_lon_rad),
            "toe": _point(self.toe_lat_rad, self.toe_lon_rad),
            "centre": _point(self.centre_lat_rad, self.centre_lon_rad),
            "length_km": self.length_m / 1e3,
        }


def _point(lat_rad: float, lon_rad: float) -> dict[str, float]:
    return {"lat_deg": math.degrees(lat_rad), "lon_deg": math.degrees(lon_rad)}


def predict_footprint(
    t_s: float,
    r_eci_m: npt.ArrayLike,
    v_eci_mps: npt.ArrayLike,
    mass_kg: float,
    burn: Burn | None = None,
    model: ForceModel | None = None,
    config: EntryConfig | None = None,
) -> Footprint:
    """Predict the re-entry and debris footprint of the stack from one state.

    ``burn`` (ignition t_s and duration) replaces the model's planned burn when given; thrust, Isp and
    attitude law come from ``model`` (default: the ISS deorbit stack). Raises ``BelowGroundError`` for a
    start below the ground, ``InvalidInputError`` for NaN or infinite input or a start at or below the
    interface, ``NoSolutionError`` when the stack does not reach the interface and breakup within
    ``config.max_coast_s`` or the burn needs more propellant than the model's ``dry_mass_kg`` allows.

    Example::

        >>> from firmware_bindings.orbit import Burn, state_from_elements
        >>> from firmware_bindings.reentry import predict_footprint
        >>> r, v = state_from_elements((6_550_637.0, 0.0042, 0.9013, 1.0, 2.0, 3.1416))  # 200 x 145 km
        >>> fp = predict_footprint(9.4e8, r, v, 450e3, burn=Burn(9.4e8 + 60.0, 1100.0))
        >>> round(fp.length_m / 1e3)  # footprint length, km  # doctest: +SKIP
        1091
    """
    m = model if model is not None else ForceModel()
    if burn is not None:
        m = replace(m, burn=burn)
    y0 = _state7(r_eci_m, v_eci_mps, mass_kg)
    out = ffi.new("fb_entry_result *")
    cfg = (config if config is not None else EntryConfig())._c()
    ensure(lib.fb_entry_predict(m._c(), cfg, float(t_s), dptr(y0), out), "fb_entry_predict")
    return Footprint._from_c(out)


@dataclass(frozen=True)
class FootprintBatch:
    """Predictions of N cases: per-case ``status`` (0 for success, otherwise the core's status code; the
    case's values are then NaN) and arrays over cases; ``impact_*`` arrays are ``(N, n_fragments)``."""

    status: npt.NDArray[np.int32]
    t_interface_s: F64Array
    fpa_interface_rad: F64Array
    v_interface_mps: F64Array
    t_breakup_s: F64Array
    breakup_lat_rad: F64Array
    breakup_lon_rad: F64Array
    heel_lat_rad: F64Array
    heel_lon_rad: F64Array
    toe_lat_rad: F64Array
    toe_lon_rad: F64Array
    length_m: F64Array
    centre_lat_rad: F64Array
    centre_lon_rad: F64Array
    centre_bearing_rad: F64Array
    impact_lat_rad: F64Array
    impact_lon_rad: F64Array
    impact_t_s: F64Array


def predict_footprints(
    t_s: npt.ArrayLike,
    states: npt.ArrayLike,
    model: ForceModel | None = None,
    config: EntryConfig | None = None,
    dispersion: Mapping[str, npt.ArrayLike] | None = None,
    workers: int = 1,
) -> FootprintBatch:
    """Predict N dispersed cases in one call of the core per worker.

    ``states`` is ``(N, 7)`` rows of (r_eci_m, v_eci_mps, mass_kg); ``t_s`` a scalar or ``(N,)``;
    ``dispersion`` maps any of ``cd, area_m2, atm_scale, thrust_n, isp_s, burn_start_s, burn_duration_s``
    to ``(N,)`` arrays that override the model per case (a burn needs ``burn_duration_s`` > 0 from the
    model's ``burn`` or the dispersion). ``workers`` > 1 splits the cases over threads: the core releases
    the interpreter lock while it runs. A failing case does not stop the others: check ``status``.
    """
    n, y0, t0 = _states(states, t_s)
    cfg_obj = config if config is not None else EntryConfig()
    nf = int(cfg_obj.n_fragments)
    if not 1 <= nf <= MAX_FRAGMENTS:
        raise ValueError(f"n_fragments must be 1 to {MAX_FRAGMENTS}, got {nf}")
    cfg = cfg_obj._c()
    base = (model if model is not None else ForceModel())._c()
    d, keep = _dispersion(n, dispersion)
    summary = np.empty((n, 14))
    impacts = np.empty((n, nf, 3))
    status = np.zeros(n, dtype=np.int32)
    workers = max(1, min(int(workers), n)) if n else 1

    def run(lo: int, hi: int) -> int:
        dd = ffi.new("fb_batch_dispersion *")
        for name in ("cd", "area_m2", "atm_scale", "thrust_n", "isp_s", "burn_start_s", "burn_duration_s"):
            p = getattr(d, name)
            setattr(dd, name, p + lo if p != ffi.NULL else ffi.NULL)
        return int(lib.fb_batch_predict(
            base, dd, cfg, hi - lo, dptr(t0[lo:hi]), dptr(y0[lo:hi]), dptr_out(summary[lo:hi]),
            dptr_out(impacts[lo:hi]), ffi.cast("int *", ffi.from_buffer(status[lo:hi]))))

    bounds = np.linspace(0, n, workers + 1).astype(int)
    if workers == 1:
        codes = [run(0, n)]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            codes = list(pool.map(run, bounds[:-1], bounds[1:]))
    del keep
    for code in codes:
        ensure(code, "fb_batch_predict")
    s = summary
    return FootprintBatch(
        status=status, t_interface_s=s[:, 0], fpa_interface_rad=s[:, 1], v_interface_mps=s[:, 12],
        t_breakup_s=s[:, 2], breakup_lat_rad=s[:, 3], breakup_lon_rad=s[:, 4], heel_lat_rad=s[:, 5],
        heel_lon_rad=s[:, 6], toe_lat_rad=s[:, 7], toe_lon_rad=s[:, 8], length_m=s[:, 9],
        centre_lat_rad=s[:, 10], centre_lon_rad=s[:, 11], centre_bearing_rad=s[:, 13],
        impact_lat_rad=impacts[:, :, 0], impact_lon_rad=impacts[:, :, 1], impact_t_s=impacts[:, :, 2],
    )
