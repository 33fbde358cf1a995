"""The campaign's plot, ``centres.png``: footprint centres over the target zone with the aim point.

Two panels on the South Pacific with its coastlines (``hil.report.plots``' land grid): an overview that
holds every centre and footprint of the campaign, and a zoom on the target zone. Centres are blue when every
fragment impact of the run fell inside the zone and red otherwise; each run's footprint is a faint line
from heel to toe; the dashed line is the 2-sigma ellipse of the centres on the azimuthal equidistant plane
about the aim point (drawn when the scatter is compact enough, 1-sigma under 1,500 km, for an ellipse to
mean something).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MultipleLocator

from hil.report.plots import COAST, DPI, LAND, SEA, land_grid

IN = "#1f6fb4"
OUT = "#d62728"
ZONE = "#2e8b57"
ELLIPSE_MAX_SIGMA_KM = 1500.0
MEAN_RADIUS_KM = 6371.0088


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
    # the overview's bounds: zone, aim, every centre and footprint end
    lats = [float(aim["lat_deg"]), *poly[:, 0]]
    lons = [c_lon, *_wrap(poly[:, 1], c_lon)]
    for r in have:
        lat, lon = _ends(r, c_lon)
        lats += lat
        lons += lon
    zone_box = (
        poly[:, 0].min() - 3.0,
        poly[:, 0].max() + 3.0,
        _wrap(poly[:, 1], c_lon).min() - 6.0,
        _wrap(poly[:, 1], c_lon).max() + 6.0,
    )
    over_box = (max(-89.0, min(lats) - 5.0), min(89.0, max(lats) + 5.0), min(lons) - 8.0, max(lons) + 8.0)
    over_box = (
        min(over_box[0], zone_box[0]),
        max(over_box[1], zone_box[1]),
        min(over_box[2], zone_box[2]),
        max(over_box[3], zone_box[3]),
    )
    disp = summary.get("centre_dispersion") or {}
    zoom = (over_box[1] - over_box[0]) > 1.6 * (zone_box[1] - zone_box[0]) or (
        over_box[3] - over_box[2]
    ) > 1.6 * (zone_box[3] - zone_box[2])
    near = any(
        zone_box[0] <= r["centre"]["lat_deg"] <= zone_box[1]
        and zone_box[2] <= _wrap(r["centre"]["lon_deg"], c_lon) <= zone_box[3]
        for r in have
    )
    zoom = zoom and near  # a zoom on an empty zone says nothing the overview does not
    boxes = [over_box, zone_box] if zoom else [over_box]
    width = 11.0
    heights = [min(7.5, max(2.8, _panel_height(b, width - 1.2))) for b in boxes]
    fig, axes = plt.subplots(
        len(boxes),
        1,
        figsize=(width, sum(heights) + 1.9 + 0.6 * len(boxes)),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for k, (ax, box) in enumerate(zip(axes[:, 0], boxes, strict=True)):
        _panel(ax, box, have, poly, aim, c_lon, disp, zone)
        if zoom:
            ax.set_title("every run" if k == 0 else "the target zone", fontsize=9.5)
    c = summary.get("containment") or {}
    title = (
        f"{summary.get('scenario', '')} Monte Carlo ({summary.get('mode', '')}, master seed "
        f"{summary.get('master_seed', '')}): footprint centres"
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
    fig.suptitle(title, fontsize=11)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0.0, 0.07 if len(boxes) == 1 else 0.045, 1.0, 1.0))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _panel_height(box: tuple[float, float, float, float], width_in: float) -> float:
    """Height (inches) of a panel of ``width_in`` showing ``box`` at the map's aspect."""
    lat_lo, lat_hi, lon_lo, lon_hi = box
    aspect = 1.0 / max(0.2, math.cos(math.radians(0.5 * (lat_lo + lat_hi))))
    return width_in * (lat_hi - lat_lo) * aspect / (lon_hi - lon_lo)


def _ends(r: Mapping[str, Any], c_lon: float) -> tuple[list[float], list[float]]:
    """Latitudes and (unwrapped) longitudes of a run's centre, heel and toe."""
    lat = [float(r["centre"]["lat_deg"])]
    lon = [float(_wrap(r["centre"]["lon_deg"], c_lon))]
    for end in ("heel", "toe"):
        if r.get(end):
            lat.append(float(r[end]["lat_deg"]))
            lon.append(float(_wrap(r[end]["lon_deg"], lon[0])))  # on the centre's side of the wrap
    return lat, lon


def _panel(
    ax: Any,
    box: tuple[float, float, float, float],
    have: Sequence[Mapping[str, Any]],
    poly: Any,
    aim: Mapping[str, Any],
    c_lon: float,
    disp: Mapping[str, Any],
    zone: Mapping[str, Any],
) -> None:
    lat_lo, lat_hi, lon_lo, lon_hi = box
    span = lon_hi - lon_lo
    step = 0.25 if span < 100 else 0.5
    glat, glon, land = land_grid(
        float(math.floor(lat_lo)),
        float(math.ceil(lat_hi)),
        float(math.floor(lon_lo)),
        float(math.ceil(lon_hi)),
        step,
    )
    ax.set_facecolor(SEA)
    if land.any():
        ax.contourf(glon, glat, land.astype(float), levels=[0.5, 1.5], colors=[LAND], zorder=1)
        ax.contour(glon, glat, land.astype(float), levels=[0.5], colors=[COAST], linewidths=0.6, zorder=1)
    zl = _wrap(np.append(poly[:, 1], poly[0, 1]), c_lon)
    zb = np.append(poly[:, 0], poly[0, 0])
    ax.fill(zl, zb, facecolor=ZONE, alpha=0.10, zorder=2)
    ax.plot(zl, zb, color=ZONE, lw=1.8, zorder=3, label=f"target zone: {zone['name']}")
    first = True
    alpha = min(0.6, 10.0 / max(1, len(have)) + 0.08)
    for r in have:
        lat, lon = _ends(r, c_lon)
        if len(lat) == 3:
            ax.plot(
                lon[1:],
                lat[1:],
                color="#444444",
                lw=0.7,
                alpha=alpha,
                zorder=4,
                label="footprint, heel to toe" if first else None,
            )
            first = False
    n_in = sum(1 for r in have if r.get("inside"))
    size = 22 if len(have) < 300 else 8
    for inside, colour, label in (
        (True, IN, f"centre, every impact inside ({n_in})"),
        (False, OUT, f"centre, an impact outside ({len(have) - n_in})"),
    ):
        sel = [r for r in have if bool(r.get("inside")) == inside]
        if sel:
            ax.scatter(
                _wrap([r["centre"]["lon_deg"] for r in sel], c_lon),
                [r["centre"]["lat_deg"] for r in sel],
                s=size,
                color=colour,
                edgecolor="k",
                linewidths=0.3,
                alpha=0.9,
                zorder=6,
                label=label,
            )
    cov = disp.get("covariance_en_km2")
    if cov is not None and disp.get("sigma_major_km", math.inf) <= ELLIPSE_MAX_SIGMA_KM:
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
        label=f"aim point: {aim.get('name', 'aim')} ({aim['lat_deg']:.2f}, {aim['lon_deg']:.2f})",
    )
    ax.set_xlim(lon_lo, lon_hi)
    ax.set_ylim(lat_lo, lat_hi)
    ax.set_aspect(1.0 / max(0.2, math.cos(math.radians(0.5 * (lat_lo + lat_hi)))))
    major = 5.0 if span <= 40 else 10.0 if span <= 90 else 30.0
    ax.xaxis.set_major_locator(MultipleLocator(major))
    ax.yaxis.set_major_locator(MultipleLocator(major if major < 30 else 15.0))
    ax.set_xticks([t for t in ax.get_xticks() if lon_lo <= t <= lon_hi])
    ax.set_xticklabels([f"{(t + 180) % 360 - 180:.0f}" for t in ax.get_xticks()])
    ax.set_xlim(lon_lo, lon_hi)
    ax.set_xlabel("longitude (deg, east positive)")
    ax.set_ylabel("geodetic latitude (deg)")
    ax.grid(color="white", lw=0.6, zorder=0)


def _ellipse(ax: Any, disp: Mapping[str, Any], cov: Any, aim: Mapping[str, Any], c_lon: float) -> None:
    """The 2-sigma ellipse of the centres (east-north km), drawn back on latitude and longitude."""
    w, v = np.linalg.eigh(np.asarray(cov, dtype=float))
    a = np.linspace(0.0, 2 * math.pi, 121)
    axes = np.vstack(
        [2.0 * math.sqrt(max(w[0], 0.0)) * np.cos(a), 2.0 * math.sqrt(max(w[1], 0.0)) * np.sin(a)]
    )
    pts = v @ axes
    lat, lon = from_east_north(
        disp["mean_east_km"] + pts[0],
        disp["mean_north_km"] + pts[1],
        float(aim["lat_deg"]),
        float(aim["lon_deg"]),
    )
    ax.plot(
        _wrap(lon, c_lon),
        lat,
        color="#222222",
        lw=1.2,
        ls="--",
        zorder=7,
        label="2-sigma ellipse of the centres",
    )


def from_east_north(e_km: Any, n_km: Any, lat0_deg: float, lon0_deg: float) -> tuple[Any, Any]:
    """Inverse of the azimuthal equidistant plane about (lat0, lon0) on the mean sphere (degrees)."""
    e = np.asarray(e_km, dtype=float)
    n = np.asarray(n_km, dtype=float)
    d = np.hypot(e, n) / MEAN_RADIUS_KM
    b = np.arctan2(e, n)
    la0, lo0 = math.radians(lat0_deg), math.radians(lon0_deg)
    lat = np.arcsin(np.sin(la0) * np.cos(d) + np.cos(la0) * np.sin(d) * np.cos(b))
    lon = lo0 + np.arctan2(np.sin(b) * np.sin(d) * np.cos(la0), np.cos(d) - np.sin(la0) * np.sin(lat))
    return np.degrees(lat), np.degrees(lon)
