"""The run folder: what a run leaves behind (DESIGN.md section 9).

Files (``FORMAT.txt`` in every run folder says the same):

- ``summary.json``: the run's figures (:data:`SUMMARY_KEYS` at least; see :func:`build_summary`);
- ``events.jsonl``: every flight software event, one JSON object a line (``t_s``, ``utc``, ``severity``,
  ``name``, ``message``, ``data``), plus the runner's notes (``fault.injected``...);
- ``ground.jsonl``: the ground station's log: each telecommand sent (``dir`` ``up``), each packet received
  (``dir`` ``down``: TC_ACK, FLIGHT_TM, FLIGHT_EVENT with decoded fields), the ground's notes;
- ``packets.hilrec``: every packet of every link with its time tags (format in ``hil.report.packets``);
- ``truth.csv``: truth samples (time, latitude, longitude, altitude, perigee and apogee);
- ``burns.csv``: per control cycle while armed or thrusting: attitude and thrust-axis errors, measured
  delta-v and the truth's propellant;
- ``tc_keys.json``: this run's telecommand key (owner-only permissions);
- PNG plots and ``report.html``, the one-page report that embeds them.
"""

from __future__ import annotations

import csv
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from flight.ports import Event
from hil.report.packets import PacketRecorder
from hil.scenario import Scenario

J2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)
SUMMARY_KEYS = (
    "scenario",
    "seed",
    "transport",
    "time_mode",
    "outcome",
    "wall_time_s",
    "sim_time_s",
    "burns",
    "reentry",
    "footprint",
    "links",
    "control",
    "faults_injected",
)
OUTCOMES = ("reentry_in_zone", "reentry_outside_zone", "aborted", "error")

FORMAT_TEXT = __doc__ or ""


def utc_of(t_s: float | None) -> str | None:
    """ISO 8601 UTC of spacecraft time ``t_s`` (seconds since J2000; leap seconds ignored, as everywhere)."""
    if t_s is None or not math.isfinite(t_s):
        return None
    return (J2000 + timedelta(seconds=t_s)).isoformat().replace("+00:00", "Z")


def _clean(x: Any) -> Any:
    """JSON-ready: NaN and infinities become None, numpy scalars plain numbers."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


class RunRecorder:
    """Collects a run's record as it happens and writes the run folder (see the module docstring)."""

    def __init__(
        self, out: Path, scenario: Scenario, *, seed: int, transport: str, time_mode: str, t0_s: float
    ) -> None:
        self.out = out
        self.scenario = scenario
        self.seed = seed
        self.transport = transport
        self.time_mode = time_mode
        self.t0_s = t0_s
        (out / "FORMAT.txt").write_text(FORMAT_TEXT)
        self.packets = PacketRecorder(out / "packets.hilrec", t0_s)
        # buffered; the run flushes them about once a second of wall time (flush), so a killed run loses
        # at most the last second of its logs
        self._events = (out / "events.jsonl").open("w", encoding="utf-8")
        self._ground = (out / "ground.jsonl").open("w", encoding="utf-8")
        self.truth: list[tuple[float, ...]] = []
        self.burn_rows: list[tuple[Any, ...]] = []
        self.ground_counts: dict[str, int] = {}
        self.mission: dict[str, Any] = {}
        self.notes: list[dict[str, Any]] = []
        self.event_count = 0

    # -- during the run ----------------------------------------------------------------------------
    def event(self, ev: Event) -> None:
        self.event_count += 1
        self._events.write(
            json.dumps(
                _clean(
                    {
                        "t_s": ev.t_s,
                        "utc": utc_of(ev.t_s),
                        "severity": ev.severity.name,
                        "name": ev.name,
                        "message": ev.message,
                        "data": dict(ev.data),
                    }
                )
            )
            + "\n"
        )

    def note(self, t_s: float, name: str, text: str, **data: Any) -> None:
        rec = {
            "t_s": t_s,
            "utc": utc_of(t_s),
            "severity": "INFO",
            "name": name,
            "message": text,
            "data": data,
        }
        self.notes.append(rec)
        self._events.write(json.dumps(_clean(rec)) + "\n")

    def ground(self, rec: dict[str, Any]) -> None:
        self._ground.write(json.dumps(_clean(rec)) + "\n")

    def truth_sample(self, s: Any) -> None:
        self.truth.append(
            (
                s.t_s,
                s.lat_deg,
                s.lon_deg,
                s.altitude_m / 1e3,
                s.perigee_alt_m / 1e3,
                s.apogee_alt_m / 1e3 if math.isfinite(s.apogee_alt_m) else math.nan,
                s.propellant_kg,
            )
        )

    def burn_sample(
        self,
        t_s: float,
        state: str,
        burn_id: int,
        attitude_error_rad: float,
        thrust_axis_error_rad: float,
        dv_measured_mps: float,
        propellant_kg: float,
    ) -> None:
        self.burn_rows.append(
            (t_s, state, burn_id, attitude_error_rad, thrust_axis_error_rad, dv_measured_mps, propellant_kg)
        )

    # -- at the end --------------------------------------------------------------------------------
    def flush(self) -> None:
        """Write out what the logs and the packet recording hold so far."""
        self._events.flush()
        self._ground.flush()
        self.packets.flush()

    def close(self) -> None:
        self.packets.close()
        self._events.close()
        self._ground.close()

    def write_tables(self) -> None:
        with (self.out / "truth.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["t_s", "lat_deg", "lon_deg", "alt_km", "perigee_km", "apogee_km", "propellant_kg"])
            w.writerows(self.truth)
        with (self.out / "burns.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(
                [
                    "t_s",
                    "state",
                    "burn_id",
                    "attitude_error_rad",
                    "thrust_axis_error_rad",
                    "dv_measured_mps",
                    "propellant_kg",
                ]
            )
            w.writerows(self.burn_rows)

    def finish(self, summary: dict[str, Any], *, plots: bool = True, tables: bool = True) -> dict[str, Any]:
        """Close the streams, write the tables (with ``tables``), ``summary.json``, plots and the HTML report
        (with ``plots``); return the summary."""
        self.close()
        if tables:
            self.write_tables()
        summary = _clean(summary)
        if plots:
            from hil.report import html
            from hil.report import plots as plot_mod

            try:
                images = plot_mod.make_plots(self.out, summary, self)
            except Exception as exc:  # a plot is never worth losing the run's figures
                summary.setdefault("report_errors", []).append(f"plots: {type(exc).__name__}: {exc}")
                images = []
            summary["files"] = sorted(p.name for p in self.out.iterdir() if p.is_file()) + [
                p.name for p in images if not (self.out / p.name).exists()
            ]
            (self.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
            html.write_report(self.out, summary, images)
        else:
            (self.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        return summary


def burns_summary(burns: dict[int, Any], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The ``burns`` list: the flight software's results with the truth's propellant use per burn."""
    out = []
    for bid in sorted(burns):
        res = burns[bid]
        if res is None:
            continue
        mine = [r for r in rows if r[2] == bid and r[1] in ("ignition", "burn", "cutoff", "trim")]
        propellant = (mine[0][6] - mine[-1][6]) if len(mine) >= 2 else None
        axis = [r[4] for r in mine if isinstance(r[4], float) and math.isfinite(r[4])]
        out.append(
            {
                "burn_id": bid,
                "name": res.name,
                "final": res.final,
                "ignition_utc": utc_of(res.t_ignition_s),
                "t_ignition_s": res.t_ignition_s,
                "duration_s": res.duration_s,
                "dv_target_mps": res.dv_target_mps,
                "dv_achieved_mps": res.dv_achieved_mps,
                "propellant_kg": propellant,
                "outcome": res.outcome.value,
                "max_thrust_axis_error_deg": math.degrees(max(axis)) if axis else None,
            }
        )
    return out


def predicted_footprint(fp: Any) -> dict[str, Any] | None:
    """The flight software's own footprint prediction (``firmware_bindings.reentry.Footprint``)."""
    if fp is None:
        return None
    d = math.degrees
    return {
        "impacts": [
            {"beta_kg_m2": float(b), "lat_deg": d(float(la)), "lon_deg": d(float(lo))}
            for b, la, lo in zip(fp.beta_kg_m2, fp.impact_lat_rad, fp.impact_lon_rad, strict=True)
        ],
        "heel": {"lat_deg": d(fp.heel_lat_rad), "lon_deg": d(fp.heel_lon_rad)},
        "toe": {"lat_deg": d(fp.toe_lat_rad), "lon_deg": d(fp.toe_lon_rad)},
        "length_km": fp.length_m / 1e3,
        "center": {"lat_deg": d(fp.centre_lat_rad), "lon_deg": d(fp.centre_lon_rad)},
        "interface_utc": utc_of(fp.t_interface_s),
        "fpa_at_interface_deg": d(fp.fpa_interface_rad),
    }


def link_summary(host: dict[str, int] | None, board: dict[str, int] | None) -> dict[str, int]:
    """One link's figures (DESIGN.md section 9) from the counters of its two ends. An end in another process
    (an external flight computer) is None: the end here counts what crossed in both directions."""
    zero = dict.fromkeys(("frames_tx", "frames_rx", "crc_errors", "framing_errors", "gaps", "missing",
                          "duplicates", "tx_dropped", "rx_dropped"), 0)
    h, b = host or zero, board or zero
    return {
        "frames_sent": h["frames_tx"] + b["frames_tx"],
        "frames_received": h["frames_rx"] + b["frames_rx"],
        "host_to_board": h["frames_tx"] if host is not None else b["frames_rx"],
        "board_to_host": b["frames_tx"] if board is not None else h["frames_rx"],
        "crc_errors": h["crc_errors"] + b["crc_errors"],
        "framing_errors": h["framing_errors"] + b["framing_errors"],
        "gaps": h["gaps"] + b["gaps"],
        "missing": h["missing"] + b["missing"],
        "duplicates": h["duplicates"] + b["duplicates"],
        "dropped": h["tx_dropped"] + b["tx_dropped"] + h["rx_dropped"] + b["rx_dropped"],
    }


def outcome_of(error: str, broken_up: bool, inside_zone: bool | None) -> str:
    if error:
        return "error"
    if broken_up:
        return "reentry_in_zone" if inside_zone else "reentry_outside_zone"
    return "aborted"
