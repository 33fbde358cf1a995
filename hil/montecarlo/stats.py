"""Campaign statistics: containment with its Wilson score interval, and the dispersion of the footprint
centres about the aim point.

Containment is the share of runs whose every truth fragment impact lies inside the target zone; runs that
aborted or failed count as not contained. Its confidence interval is the Wilson score interval (E. B.
Wilson, "Probable inference, the law of succession, and statistical inference", JASA 22 (1927) 209-212;
R. G. Newcombe, "Two-sided confidence intervals for the single proportion: comparison of seven methods",
Statistics in Medicine 17 (1998) 857-872, method 3), which stays inside [0, 1] and keeps its coverage when
every run, or none, is contained: the common case of a good campaign.

Footprint centres are placed on the azimuthal equidistant plane about the aim point (east and north, km,
from the great-circle distance and bearing of ``firmware_bindings.frames.great_circle``); their mean, the
principal standard deviations of their covariance and the azimuth of the major axis describe the scatter.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

F64Array = npt.NDArray[np.float64]


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval (lower, upper) for a proportion of ``successes`` in ``n`` trials."""
    if (
        isinstance(successes, bool)
        or isinstance(n, bool)
        or not isinstance(successes, int | np.integer)
        or not isinstance(n, int | np.integer)
    ):
        raise ValueError("successes and n must be integers")
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n > 0, got {successes} of {n}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    p = successes / n
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n))
    lo, hi = centre - half, centre + half
    # exact ends at 0 and n (rounding would otherwise leave 1e-17 outside)
    return (0.0 if successes == 0 else max(0.0, lo)), (1.0 if successes == n else min(1.0, hi))


def containment(records: Iterable[Mapping[str, Any]], confidence: float = 0.95) -> dict[str, Any]:
    """Share of runs with every impact inside the zone, with its Wilson interval, and the outcome counts."""
    recs = list(records)
    n = len(recs)
    inside = sum(1 for r in recs if r.get("inside") is True)
    outcomes: dict[str, int] = {}
    for r in recs:
        outcomes[str(r.get("outcome"))] = outcomes.get(str(r.get("outcome")), 0) + 1
    out: dict[str, Any] = {
        "runs": n,
        "contained": inside,
        "outcomes": dict(sorted(outcomes.items())),
        "confidence": confidence,
        "method": "Wilson score interval",
    }
    if n:
        lo, hi = wilson_interval(inside, n, confidence)
        out.update(share=inside / n, interval=[lo, hi])
    else:
        out.update(share=None, interval=None)
    return out


def east_north_km(
    lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike, aim_lat_deg: float, aim_lon_deg: float
) -> tuple[F64Array, F64Array]:
    """Points on the azimuthal equidistant plane about the aim point (km east, km north)."""
    from firmware_bindings.frames import great_circle

    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    if lat.size == 0:
        return np.zeros(0), np.zeros(0)
    d_m, b = great_circle(math.radians(aim_lat_deg), math.radians(aim_lon_deg), lat, lon)
    d = np.asarray(d_m, dtype=np.float64) / 1e3
    b = np.asarray(b, dtype=np.float64)
    return d * np.sin(b), d * np.cos(b)


def centre_dispersion(
    records: Iterable[Mapping[str, Any]],
    aim_lat_deg: float,
    aim_lon_deg: float,
    miss_goal_km: float | None = None,
) -> dict[str, Any]:
    """Scatter of the footprint centres of the runs that have one (see the module docstring)."""
    pts = [
        (r["centre"]["lat_deg"], r["centre"]["lon_deg"], r.get("miss_km")) for r in records if r.get("centre")
    ]
    out: dict[str, Any] = {"count": len(pts), "aim": {"lat_deg": aim_lat_deg, "lon_deg": aim_lon_deg}}
    if not pts:
        return out
    lat = np.array([p[0] for p in pts])
    lon = np.array([p[1] for p in pts])
    e, n = east_north_km(lat, lon, aim_lat_deg, aim_lon_deg)
    miss = np.hypot(e, n)
    out["mean_east_km"], out["mean_north_km"] = float(e.mean()), float(n.mean())
    out["mean_miss_km"] = float(np.hypot(e.mean(), n.mean()))
    if len(pts) >= 2:
        cov = np.cov(np.vstack([e, n]))
        w, v = np.linalg.eigh(cov)
        major = v[:, 1]
        out["sigma_major_km"] = float(math.sqrt(max(w[1], 0.0)))
        out["sigma_minor_km"] = float(math.sqrt(max(w[0], 0.0)))
        out["major_axis_azimuth_deg"] = float(math.degrees(math.atan2(major[0], major[1])) % 180.0)
        out["covariance_en_km2"] = [
            [float(cov[0, 0]), float(cov[0, 1])],
            [float(cov[1, 0]), float(cov[1, 1])],
        ]
    out["miss_km"] = {
        "p50": float(np.percentile(miss, 50)),
        "p90": float(np.percentile(miss, 90)),
        "p99": float(np.percentile(miss, 99)),
        "max": float(miss.max()),
    }
    if miss_goal_km is not None:
        out["miss_goal_km"] = miss_goal_km
        out["within_goal"] = int(np.count_nonzero(miss <= miss_goal_km))
    return out
