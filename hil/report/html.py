"""The one-page HTML report of a run: the outcome, the figures of ``summary.json`` and the plots (embedded
as base64 PNG, so the page stands alone)."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any


def _fmt(x: Any, unit: str = "", digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}f}{unit}"
    return f"{x}{unit}"


def _table(rows: list[list[str]], head: list[str]) -> str:
    h = "".join(f"<th>{html.escape(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{h}</tr>{body}</table>"


def write_report(out: Path, s: dict[str, Any], images: list[Path]) -> Path:
    ok = s["outcome"] == "reentry_in_zone"
    fp = s.get("footprint") or {}
    re = s.get("reentry") or {}
    burns = [
        [
            b["name"],
            b.get("ignition_utc") or "-",
            _fmt(b["duration_s"], " s", 1),
            _fmt(b["dv_target_mps"], " m/s"),
            _fmt(b["dv_achieved_mps"], " m/s"),
            _fmt(b.get("propellant_kg"), " kg", 0),
            b["outcome"],
        ]
        for b in s.get("burns") or []
    ]
    links = [
        [
            n,
            str(v["frames_sent"]),
            str(v["frames_received"]),
            str(v["crc_errors"]),
            str(v["gaps"]),
            str(v["duplicates"]),
        ]
        for n, v in (s.get("links") or {}).items()
    ]
    c = s.get("control") or {}
    lat = c.get("latency_ms") or {}
    loop = c.get("loop_latency_ms") or {}
    facts = [
        ["scenario", s["scenario"]],
        ["seed", str(s["seed"])],
        ["transport", s["transport"]],
        ["time mode", s["time_mode"]],
        ["outcome", s["outcome"]],
        ["end", s.get("end_reason") or "-"],
        ["mission time", _fmt(s["sim_time_s"] / 86400.0, " days")],
        ["wall time", _fmt(s["wall_time_s"], " s", 1)],
        ["entry interface", re.get("interface_utc") or "-"],
        ["flight-path angle at interface", _fmt(re.get("fpa_at_interface_deg"), " deg")],
        ["breakup altitude", _fmt(re.get("breakup_alt_km"), " km", 1)],
        ["footprint length", _fmt(fp.get("length_km"), " km", 0)],
        ["centre miss from aim point", _fmt(fp.get("center_miss_km"), " km", 1)],
        ["every impact in zone", str(fp.get("inside_zone"))],
        ["control cycles", str(c.get("cycles"))],
        ["deadline misses", str(c.get("deadline_misses"))],
        [
            "cycle latency p50 / p99 / max",
            f"{_fmt(lat.get('p50'), '', 2)} / {_fmt(lat.get('p99'), '', 2)} / "
            f"{_fmt(lat.get('max'), ' ms', 2)}",
        ],
        [
            "IMU sample to thruster command p50 / p99 / max",
            f"{_fmt(loop.get('p50'), '', 2)} / {_fmt(loop.get('p99'), '', 2)} / "
            f"{_fmt(loop.get('max'), ' ms', 2)}",
        ],
        ["faults injected", str(len(s.get("faults_injected") or []))],
    ]
    imgs = "".join(
        f'<figure><img alt="{html.escape(p.stem)}" src="data:image/png;base64,'
        f'{base64.b64encode(p.read_bytes()).decode()}"></figure>'
        for p in images
        if p.exists()
    )
    colour = "#1b7f3b" if ok else "#b00020"
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(s["scenario"])} run report</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em auto; max-width: 1200px; color: #222; }}
h1 {{ font-size: 1.4em; }} .outcome {{ color: white; background: {colour}; padding: 0.2em 0.6em; }}
table {{ border-collapse: collapse; margin: 0.6em 0 1.2em 0; font-size: 0.9em; }}
td, th {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }}
th {{ background: #f0f0f0; }} figure {{ margin: 0.8em 0; }} img {{ max-width: 100%; }}
.cols {{ display: flex; gap: 2em; flex-wrap: wrap; }}
</style></head><body>
<h1>{html.escape(s["scenario"])}: <span class="outcome">{html.escape(s["outcome"])}</span></h1>
<div class="cols"><div>{_table(facts, ["figure", "value"])}</div>
<div><h2>Burns</h2>{
        _table(burns, ["burn", "ignition (UTC)", "duration", "target", "achieved", "propellant", "outcome"])
    }
<h2>Links</h2>{
        _table(links, ["link", "frames sent", "received", "CRC errors", "gaps", "duplicates"])
    }</div></div>
{imgs}
<p>Figures from <code>summary.json</code> in this folder; packets in <code>packets.hilrec</code>,
events in <code>events.jsonl</code>, the ground's log in <code>ground.jsonl</code>
(formats in <code>FORMAT.txt</code>).</p>
</body></html>
"""
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
