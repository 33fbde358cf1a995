"""The campaign's plot: footprint centres over the target zone, with the aim point, the 2-sigma ellipse of
the centres and, lightly, every run's footprint (heel to toe), on the South Pacific with its coastlines
(``hil.report.plots``' land grid)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from hil.report.plots import COAST, DPI, LAND, SEA, land_grid

IN = "#1f6fb4"
OUT = "#d62728"
ERR = "#7f7f7f"


def _wrap(lon: Any, centre: float) -> Any:
    return (np.asarray(lon, dtype=float) - centre + 180.0) % 360.0 - 180.0 + centre


def centres_plot(
    path: Path, records: Sequence[Mapping[str, Any]], zone: Mapping[str, Any], summary: Mapping[str, Any]
) -> Path:
    """Write the PNG to ``path`` and return it."""
    poly = np.array(zone["polygon_lat_lon_deg"], dtype=float)
    aim = zone["aim_point"]
    c_lon = float(aim["lon_deg"])
    have = [r for r in records if r.get("centre")]
    lats = [float(aim["lat_deg"]), *poly[:, 0], *(r["centre"]["lat_deg"] for r in have)]
    lons = [c_lon, *_wrap(poly[:, 1], c_lon), *(_wrap(r["centre"]["lon_deg"], c_lon) for r in have)]
    for r in have:
        for end in ("heel", "toe"):
            if r.get(end):
                lats.append(r[end]["lat_deg"])
                lons.append(float(_wrap(r[end]["lon_deg"], c_lon)))
    pad = 4.0
    lat_lo, lat_hi = max(-89.0, min(lats) - pad), min(89.0, max(lats) + pad)
    lon_lo, lon_hi = min(lons) - pad, max(lons) + pad
    mid_lat = 0.5 * (lat_lo + lat_hi)
    aspect = 1.0 / max(0.2, math.cos(math.radians(mid_lat)))
    width = 10.5
    height = min(9.0, max(4.5, width * (lat_hi - lat_lo) * aspect / (lon_hi - lon_lo) + 1.2))
    fig, ax = plt.subplots(figsize=(width, height))
    step = 0.25 if (lon_hi - lon_lo) < 120 else 0.5
    glat, glon, land = land_grid(
        math.floor(lat_lo), math.ceil(lat_hi), math.floor(lon_lo), math.ceil(lon_hi), step
    )
    ax.set_facecolor(SEA)
    if land.any():
        ax.contourf(glon, glat, land.astype(float), levels=[0.5, 1.5], colors=[LAND], zorder=1)
        ax.contour(glon, glat, land.astype(float), levels=[0.5], colors=[COAST], linewidths=0.6, zorder=1)
    zl = _wrap(np.append(poly[:, 1], poly[0, 1]), c_lon)
    zb = np.append(poly[:, 0], poly[0, 0])
    ax.fill(zl, zb, facecolor="#2e8b57", alpha=0.10, zorder=2)
    ax.plot(zl, zb, color="#2e8b57", lw=1.8, zorder=3, label=f"target zone ({zone['name']})")
    # every run's footprint as a faint line, heel to toe
    first = True
    for r in have:
        if r.get("heel") and r.get("toe"):
            ax.plot(
                _wrap([r["heel"]["lon_deg"], r["toe"]["lon_deg"]], c_lon),
                [r["heel"]["lat_deg"], r["toe"]["lat_deg"]],
                color="#555555",
                lw=0.6,
                alpha=min(0.5, 8.0 / max(1, len(have)) + 0.06),
                zorder=4,
                label="footprints, heel to toe" if first else None,
            )
            first = False
    n_in = sum(1 for r in have if r.get("inside"))
    for inside, colour, label in (
        (True, IN, f"centre, every impact inside ({n_in})"),
        (False, OUT, f"centre, some impact outside ({len(have) - n_in})"),
    ):
        sel = [r for r in have if bool(r.get("inside")) == inside]
        if sel:
            ax.scatter(
                _wrap([r["centre"]["lon_deg"] for r in sel], c_lon),
                [r["centre"]["lat_deg"] for r in sel],
                s=18 if len(have) < 500 else 6,
                color=colour,
                edgecolor="k",
                linewidths=0.3,
                alpha=0.85,
                zorder=6,
                label=label,
            )
    disp = summary.get("centre_dispersion") or {}
    cov = disp.get("covariance_en_km2")
    if cov is not None:
        _ellipse(ax, disp, cov, aim, c_lon)
    ax.plot(
        [c_lon],
        [aim["lat_deg"]],
        marker="*",
        color="#ffbf00",
        ms=17,
        mec="k",
        mew=0.8,
        zorder=8,
        label=f"aim point, {aim.get('name', 'aim')} ({aim['lat_deg']:.2f}, {aim['lon_deg']:.2f})",
    )
    ax.set_xlim(lon_lo, lon_hi)
    ax.set_ylim(lat_lo, lat_hi)
    ax.set_aspect(aspect)
    ticks = [t for t in ax.get_xticks() if lon_lo <= t <= lon_hi]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{(t + 180) % 360 - 180:.0f}" for t in ticks])
    ax.set_xlabel("longitude (deg, east positive)")
    ax.set_ylabel("geodetic latitude (deg)")
    ax.grid(color="white", lw=0.6, zorder=0)
    c = summary.get("containment") or {}
    title = (
        f"{summary.get('scenario', '')} Monte Carlo, {summary.get('mode', '')}, master seed "
        f"{summary.get('master_seed', '')}"
    )
    if c.get("runs"):
        lo, hi = c["interval"]
        title += (
            f"\ncontainment {c['contained']}/{c['runs']} = {100 * c['share']:.1f} % "
            f"({100 * c['confidence']:.0f} % Wilson interval {100 * lo:.1f}-{100 * hi:.1f} %)"
        )
        miss = disp.get("miss_km") or {}
        if miss:
            title += f"; centre miss p50 {miss['p50']:.0f} km, p90 {miss['p90']:.0f} km"
    ax.set_title(title, fontsize=10)
    ax.legend(loc="best", fontsize=8, framealpha=0.92)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _ellipse(ax: Any, disp: Mapping[str, Any], cov: Any, aim: Mapping[str, Any], c_lon: float) -> None:
    """The 2-sigma ellipse of the centres (east-north km), drawn back on latitude and longitude."""
    from hil.montecarlo.stats import east_north_km  # noqa: F401 - same plane as the statistics

    w, v = np.linalg.eigh(np.asarray(cov, dtype=float))
    a = np.linspace(0.0, 2 * math.pi, 121)
    k = 2.0
    pts = v @ np.vstack(
        [k * math.sqrt(max(w[0], 0.0)) * np.cos(a), k * math.sqrt(max(w[1], 0.0)) * np.sin(a)]
    )
    e = disp["mean_east_km"] + pts[0]
    n = disp["mean_north_km"] + pts[1]
    lat, lon = _from_east_north(e, n, float(aim["lat_deg"]), float(aim["lon_deg"]))
    ax.plot(
        _wrap(lon, c_lon),
        lat,
        color="#222222",
        lw=1.2,
        ls="--",
        zorder=7,
        label="2-sigma ellipse of the centres",
    )


def _from_east_north(e_km: Any, n_km: Any, lat0_deg: float, lon0_deg: float) -> tuple[Any, Any]:
    """Inverse of the azimuthal equidistant plane about (lat0, lon0) on the mean sphere."""
    r_km = 6371.0088
    e = np.asarray(e_km, dtype=float)
    n = np.asarray(n_km, dtype=float)
    d = np.hypot(e, n) / r_km
    b = np.arctan2(e, n)
    la0, lo0 = math.radians(lat0_deg), math.radians(lon0_deg)
    lat = np.arcsin(np.sin(la0) * np.cos(d) + np.cos(la0) * np.sin(d) * np.cos(b))
    lon = lo0 + np.arctan2(np.sin(b) * np.sin(d) * np.cos(la0), np.cos(d) - np.sin(la0) * np.sin(lat))
    return np.degrees(lat), np.degrees(lon)
