"""The run's plots as PNG (matplotlib, offline; coastlines contoured from the 0.1 deg land mask that ships
with the package, ``hil.report.landmask``).

- ``ground_track.png``: the final revolutions' ground track, the truth's fragment impacts (heel to toe),
  the flight software's predicted impacts, the zone, the aim point and the coastlines over the South
  Pacific;
- ``altitude.png``: altitude, perigee and apogee over the campaign, burns marked;
- ``burns.png``: each burn's measured delta-v against its target and its thrust-axis error over time;
- ``links.png``: frames, errors and gaps per link, and the control cycle latency figures.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt

from hil.report import landmask

DPI = 110
SEA = "#dbe9f6"
LAND = "#e8e1cf"
COAST = "#7a6f55"


@lru_cache(maxsize=4)
def land_grid(
    lat_lo: float, lat_hi: float, lon_lo: float, lon_hi: float, step_deg: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """(lat, lon, is_land) on a regular grid, from the land mask that ships with the package."""
    lat = np.arange(lat_lo, lat_hi + step_deg / 2, step_deg)
    lon = np.arange(lon_lo, lon_hi + step_deg / 2, step_deg)
    glon, glat = np.meshgrid(lon, lat)
    return glat, glon, landmask.is_land(glat, glon)


def _unwrap_lon(lon: npt.NDArray[np.float64], centre: float) -> npt.NDArray[np.float64]:
    return (lon - centre + 180.0) % 360.0 - 180.0 + centre


def _split(lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]) -> list[tuple[Any, Any]]:
    """Pieces of a track that do not jump across the map edge."""
    if lon.size == 0:
        return []
    breaks = np.nonzero(np.abs(np.diff(lon)) > 180.0)[0] + 1
    return list(zip(np.split(lon, breaks), np.split(lat, breaks), strict=True))


def ground_track(
    out: Path, summary: dict[str, Any], truth: npt.NDArray[np.float64], zone: dict[str, Any]
) -> Path:
    poly = np.array(zone["polygon_lat_lon_deg"], dtype=float)
    aim = zone["aim_point"]
    centre = float(aim["lon_deg"])
    lon_lo, lon_hi = centre - 75.0, centre + 75.0
    lat_lo, lat_hi = -75.0, 15.0
    fig, ax = plt.subplots(figsize=(11, 6.6))
    glat, glon, land = land_grid(lat_lo, lat_hi, lon_lo, lon_hi, 0.25)
    ax.set_facecolor(SEA)
    ax.contourf(glon, glat, land.astype(float), levels=[0.5, 1.5], colors=[LAND])
    ax.contour(glon, glat, land.astype(float), levels=[0.5], colors=[COAST], linewidths=0.6)
    for grid_lat in range(-70, 20, 10):
        ax.axhline(grid_lat, color="white", lw=0.5, zorder=1)
    for grid_lon in range(int(lon_lo // 15 * 15), int(lon_hi) + 1, 15):
        ax.axvline(grid_lon, color="white", lw=0.5, zorder=1)
    zl = np.append(poly[:, 1], poly[0, 1])
    zb = np.append(poly[:, 0], poly[0, 0])
    ax.fill(_unwrap_lon(zl, centre), zb, facecolor="#2e8b57", alpha=0.12, zorder=2)
    ax.plot(
        _unwrap_lon(zl, centre), zb, color="#2e8b57", lw=1.6, zorder=3, label=f"target zone ({zone['name']})"
    )
    if truth.size:
        tt, lat, lon, alt = truth[:, 0], truth[:, 1], truth[:, 2], truth[:, 3]
        last = tt >= tt[-1] - 3 * 5400.0  # the last three revolutions
        shown = _unwrap_lon(lon[last], centre)
        for i, (a, b) in enumerate(_split(shown, lat[last])):
            ax.plot(
                a,
                b,
                color="#1f4e9a",
                lw=1.0,
                alpha=0.8,
                zorder=4,
                label="ground track, last 3 revolutions (truth)" if i == 0 else None,
            )
        low = alt < 120.0
        if low.any():
            ax.plot(
                _unwrap_lon(lon[low], centre),
                lat[low],
                color="#d2691e",
                lw=2.2,
                zorder=5,
                label="below 120 km (entry)",
            )
    fp = summary.get("footprint") or {}
    imp = fp.get("impacts") or []
    if imp:
        il = _unwrap_lon(np.array([i["lon_deg"] for i in imp]), centre)
        ib = np.array([i["lat_deg"] for i in imp])
        beta = np.array([i["beta_kg_m2"] for i in imp])
        sc = ax.scatter(
            il,
            ib,
            c=np.log10(beta),
            cmap="magma_r",
            s=26,
            edgecolor="k",
            lw=0.4,
            zorder=7,
            label="fragment impacts (truth)",
        )
        cb = fig.colorbar(sc, ax=ax, fraction=0.025, pad=0.01)
        cb.set_label("log10 ballistic coefficient (kg/m^2)")
        if fp.get("heel") and fp.get("toe"):
            ax.annotate(
                "heel",
                (_unwrap_lon(np.array([fp["heel"]["lon_deg"]]), centre)[0], fp["heel"]["lat_deg"]),
                xytext=(-26, 4),
                textcoords="offset points",
                fontsize=8,
            )
            ax.annotate(
                "toe",
                (_unwrap_lon(np.array([fp["toe"]["lon_deg"]]), centre)[0], fp["toe"]["lat_deg"]),
                xytext=(6, 4),
                textcoords="offset points",
                fontsize=8,
            )
    pred = (fp.get("predicted") or {}).get("impacts") or []
    if pred:
        pl = _unwrap_lon(np.array([i["lon_deg"] for i in pred]), centre)
        pb = np.array([i["lat_deg"] for i in pred])
        ax.plot(pl, pb, "x", color="#555555", ms=4, zorder=6, label="flight software's prediction")
    ax.plot(
        [centre],
        [aim["lat_deg"]],
        marker="*",
        color="#c00000",
        ms=14,
        mec="k",
        zorder=8,
        label=f"aim point ({aim['lat_deg']:.2f}, {aim['lon_deg']:.2f})",
    )
    ax.set_xlim(lon_lo, lon_hi)
    ax.set_ylim(lat_lo, lat_hi)
    ax.set_aspect(1.0 / math.cos(math.radians(35.0)))
    ticks = ax.get_xticks()
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{(x + 180) % 360 - 180:.0f}" for x in ticks])
    ax.set_xlim(lon_lo, lon_hi)
    ax.set_xlabel("longitude (deg, east positive)")
    ax.set_ylabel("geodetic latitude (deg)")
    miss = fp.get("center_miss_km")
    verdict = "every impact inside the zone" if fp.get("inside_zone") else "NOT all impacts inside the zone"
    ax.set_title(
        f"{summary['scenario']}: ground track and debris footprint - {verdict}"
        + (f", centre {miss:.0f} km from the aim point" if isinstance(miss, float) else ""),
        fontsize=10,
    )
    ax.legend(loc="upper left", fontsize=7.5, framealpha=0.9)
    path = out / "ground_track.png"
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def altitude(out: Path, summary: dict[str, Any], truth: npt.NDArray[np.float64]) -> Path:
    fig, ax = plt.subplots(figsize=(10, 4.6))
    if truth.size:
        t0 = truth[0, 0]
        days = (truth[:, 0] - t0) / 86400.0
        ax.plot(days, truth[:, 3], color="#1f4e9a", lw=0.6, label="altitude (truth, geodetic)")
        ax.plot(days, truth[:, 4], color="#c05000", lw=1.4, label="perigee (osculating, truth)")
        ax.plot(days, truth[:, 5], color="#2e8b57", lw=1.4, label="apogee (osculating, truth)")
        ax.axhline(120.0, color="#888888", lw=0.8, ls=":")
        ax.text(days[0], 121.5, "entry interface 120 km", fontsize=7, color="#555555")
        hi = float(np.nanmax(truth[:, 5])) if np.isfinite(truth[:, 5]).any() else 250.0
        lo = max(0.0, min(float(np.nanmin(truth[:, 3])), float(np.nanmin(truth[:, 4]))) - 5.0)
        ax.set_ylim(lo, min(hi, 400.0) + 25.0)
        for b in summary.get("burns") or []:
            d = (b["t_ignition_s"] - t0) / 86400.0
            ax.axvline(d, color="k", ls="--", lw=0.8)
            ax.annotate(
                f"{b['name']}\n{b['dv_achieved_mps']:.1f} m/s", (d, min(hi, 400.0) + 25.0), fontsize=7,
                xytext=(3, -22), textcoords="offset points",
            )
    ax.set_xlabel("mission time (days)")
    ax.set_ylabel("altitude (km)")
    ax.set_title(f"{summary['scenario']}: altitude, perigee and apogee over the campaign (burns dashed)",
                 fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    path = out / "altitude.png"
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def burns(out: Path, summary: dict[str, Any], rows: list[tuple[Any, ...]]) -> Path | None:
    bl = summary.get("burns") or []
    if not bl:
        return None
    n = len(bl)
    fig, axes = plt.subplots(2, n, figsize=(max(5.0, 4.2 * n), 6.0), squeeze=False)
    for k, b in enumerate(bl):
        mine = [r for r in rows if r[2] == b["burn_id"]]
        t_ig = b["t_ignition_s"]
        t = np.array([r[0] - t_ig for r in mine])
        dv = np.array([r[5] for r in mine], dtype=float)
        err = np.degrees(np.array([r[4] for r in mine], dtype=float))
        ax = axes[0, k]
        if t.size:
            ax.plot(t, dv, color="#1f4e9a", lw=1.2, label="measured delta-v")
            span = float(b["duration_s"]) if b.get("duration_s") else float(t.max())
            ax.set_xlim(-0.15 * span - 10.0, 1.15 * span + 10.0)  # the burn itself, not the slew before it
        ax.axhline(
            b["dv_target_mps"], color="#c00000", ls="--", lw=1.0, label=f"target {b['dv_target_mps']:.2f} m/s"
        )
        ax.set_title(
            f"{b['name']}: {b['dv_achieved_mps']:.3f} of {b['dv_target_mps']:.3f} m/s ({b['outcome']})",
            fontsize=9,
        )
        ax.set_xlabel("time from planned ignition (s)")
        ax.set_ylabel("delta-v (m/s)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        ax = axes[1, k]
        if t.size:
            ax.plot(t, err, color="#c05000", lw=0.8)
        ax.axhline(1.0, color="#888888", ls=":", lw=1.0)
        ax.text(t[0] if t.size else 0.0, 1.02, "1 deg bound", fontsize=7, color="#555555")
        ax.set_xlabel("time from planned ignition (s)")
        ax.set_ylabel("thrust axis from retrograde (deg)")
        ax.set_yscale("log")
        ax.grid(alpha=0.3, which="both")
    fig.suptitle(
        f"{summary['scenario']}: burn profiles (per control cycle while armed or thrusting)", fontsize=10
    )
    fig.tight_layout()
    path = out / "burns.png"
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def links(out: Path, summary: dict[str, Any]) -> Path:
    ls = summary.get("links") or {}
    names = list(ls)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [2, 1]})
    x = np.arange(len(names))
    keys = [("host_to_board", "host to board"), ("board_to_host", "board to host")]
    for i, (k, label) in enumerate(keys):
        vals = [ls[n].get(k, 0) for n in names]
        bars = a1.bar(x + (i - 0.5) * 0.35, vals, 0.35, label=label)
        a1.bar_label(bars, fontsize=7)
    a1.set_xticks(x)
    a1.set_xticklabels(names)
    a1.set_yscale("log")
    a1.set_ylabel("frames")
    errs = ", ".join(
        f"{n}: {ls[n]['crc_errors']} CRC, {ls[n]['gaps']} gaps, {ls[n]['duplicates']} dup" for n in names
    )
    a1.set_title(f"link frames ({errs})", fontsize=8)
    a1.legend(fontsize=8)
    c = summary.get("control") or {}
    lat = c.get("latency_ms") or {}
    loop = c.get("loop_latency_ms") or {}
    labels = ["p50", "p99", "max"]
    x2 = np.arange(len(labels))
    bars = a2.bar(x2 - 0.2, [lat.get(k) or 0.0 for k in labels], 0.4, color="#2e8b57",
                  label="flight software cycle")
    a2.bar_label(bars, fmt="%.2f", fontsize=7)
    bars = a2.bar(x2 + 0.2, [loop.get(k) or 0.0 for k in labels], 0.4, color="#4169e1",
                  label="IMU sample to thruster command")
    a2.bar_label(bars, fmt="%.2f", fontsize=7)
    a2.set_xticks(x2)
    a2.set_xticklabels(labels)
    a2.legend(fontsize=7)
    a2.set_ylabel("latency (ms)")
    a2.set_title(f"{c.get('cycles', 0)} cycles, {c.get('deadline_misses', 0)} deadline misses", fontsize=9)
    fig.suptitle(
        f"{summary['scenario']}: links ({summary['transport']}) and timing ({summary['time_mode']})",
        fontsize=10,
    )
    fig.tight_layout()
    path = out / "links.png"
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def make_plots(out: Path, summary: dict[str, Any], rec: Any) -> list[Path]:
    truth = np.array(rec.truth, dtype=float).reshape(-1, 7)
    zone = rec.scenario.zone()
    paths = [ground_track(out, summary, truth, zone), altitude(out, summary, truth)]
    b = burns(out, summary, rec.burn_rows)
    if b is not None:
        paths.append(b)
    paths.append(links(out, summary))
    return paths
