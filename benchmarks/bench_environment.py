"""Throughput of the environment area's batch entry points, per point, through the numpy API."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from benchmarks.timing import best_time_s, figure
from firmware_bindings import frames as fr
from firmware_bindings.environment import AtmosphereModel, density_kg_m3, gravity_accel, sun_direction_eci


def run(quick: bool) -> Iterable[dict[str, object]]:
    n = 10_000 if quick else 200_000
    repeat = 3 if quick else 7
    rng = np.random.default_rng(1)
    lla = np.column_stack([rng.uniform(-1.5707, 1.5707, n), rng.uniform(-3.14, 3.14, n),
                           rng.uniform(-1e3, 2e6, n)])
    r_ecef = fr.ecef_from_geodetic(lla)
    t = rng.uniform(8e8, 9e8, n)
    v = rng.normal(size=(n, 3)) * 7.5e3
    h = lla[:, 2]
    hp = AtmosphereModel("harris-priester")
    cases = {
        "geodetic_from_ecef": lambda: fr.geodetic_from_ecef(r_ecef),
        "ecef_from_geodetic": lambda: fr.ecef_from_geodetic(lla),
        "ecef_state_from_eci": lambda: fr.ecef_state_from_eci(t, r_ecef, v),
        "gravity_accel_j2_j4": lambda: gravity_accel(r_ecef),
        "density_exponential": lambda: density_kg_m3(t, r_ecef, h),
        "density_harris_priester": lambda: density_kg_m3(t, r_ecef, h, hp),
        "sun_direction_eci": lambda: sun_direction_eci(t),
    }
    for name, fn in cases.items():
        yield figure(f"environment.{name}_per_point", best_time_s(fn, repeat=repeat) / n * 1e9, "ns")
