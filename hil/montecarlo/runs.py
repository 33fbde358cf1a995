"""One Monte Carlo run: a picklable task in, one JSON-ready record out, in any worker process.

Two kinds of run:

- **closed loop** (the default): the whole rig, as ``hil run`` flies it: the run's dispersed scenario
  (written to ``runs/run-NNNNN/scenario.toml``), the plant, the emulated boards, the flight software and the
  ground over the in-process loopback link in lockstep (``hil.campaign.run_campaign``). The run folder keeps
  ``summary.json`` and ``scenario.toml``; the rest (packets, plots, report) is kept for runs that did not
  end in the zone, or for every run with ``keep="all"``.
- **open loop** (``--open-loop``): no flight software in the loop. The flight software's guidance
  (``flight.guidance``, the C core's ``solve_final_burn``) plans the burns once, from the ground's first
  tracking fix with the nominal vehicle; the truth then flies those burns for their planned durations (no
  cutoff on measured delta-v, no re-planning) with the run's dispersed thrust, mass, Cd and density as a
  point mass in the C core (gravity J2-J4, the truth atmosphere), down to the dispersed breakup altitude,
  and the plant's debris model (``hil.plant.debris``) takes the fragments to the ground. Thrust is the
  deorbit thrusters' combined thrust along the nominal axis, from the plant's dispersed thruster set; the
  sideways part of a misalignment is not flown. It takes a fraction of a second per run.

A run that fails (no plan, a core error, an exception in the rig) gives a record with outcome ``error``
and its message, so one bad case never stops a campaign.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hil.montecarlo import dispersions
from hil.montecarlo.scenario_toml import dumps
from hil.scenario import Scenario, loads

MODES = ("closed-loop", "open-loop")
KEEP = ("failures", "all", "summary")
OUTCOMES = ("reentry_in_zone", "reentry_outside_zone", "aborted", "error")
#: what stays in a closed-loop run folder that ended in the zone (keep="failures") or always (keep="summary")
KEPT_ALWAYS = ("summary.json", "scenario.toml")
#: plots and tables per keep policy: every run, only runs that did not end in the zone (the others' go), none
_REPORT_FILES: dict[str, bool | str] = {"all": True, "failures": "failures", "summary": False}


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for run ``index``: the nominal scenario as TOML text (so the worker need not
    see the caller's files), the master seed, the mode and where the run folder goes (closed loop)."""

    index: int
    master_seed: int
    scenario_toml: str
    scenario_source: str
    mode: str = "closed-loop"
    runs_dir: str = ""
    keep: str = "failures"


def run_folder(runs_dir: str | Path, index: int) -> Path:
    return Path(runs_dir) / f"run-{index:05d}"


_IMPORT_LOCK = threading.Lock()


def _import_rig() -> None:
    """Import the rig's modules one thread at a time. A Dask worker runs tasks on several threads; two of
    them importing these (mutually importing) modules for the first time at once could see one module
    partially initialised ("cannot import name ..."). Once imported, this is a dictionary lookup."""
    with _IMPORT_LOCK:
        import hil.campaign
        import hil.ground.station
        import hil.plant  # noqa: F401


def execute(task: RunTask) -> dict[str, Any]:
    """Fly one run and return its record (see ``hil.montecarlo.records``); never raises for a failed run."""
    wall0 = time.perf_counter()
    _import_rig()
    nominal = loads(task.scenario_toml, source=task.scenario_source)
    dr = dispersions.draw(nominal, task.master_seed, task.index)
    scenario = dispersions.apply(nominal, dr)
    record: dict[str, Any] = {
        "index": task.index,
        "seed": dr.seed,
        "master_seed": task.master_seed,
        "mode": task.mode,
        "dispersions": {**dr.as_record(), **_seeded_draws(scenario, dr.seed)},
    }
    try:
        if task.mode == "open-loop":
            result = open_loop(nominal, scenario, dr.seed)
        elif task.mode == "closed-loop":
            result = closed_loop(scenario, dr, task)
        else:
            raise ValueError(f"unknown mode {task.mode!r}; use one of {', '.join(MODES)}")
    except Exception as exc:  # one failed case is a record, never the end of the campaign
        result = _error(f"{type(exc).__name__}: {exc}")
    record.update(result)
    record["wall_time_s"] = time.perf_counter() - wall0
    return record


def _error(message: str) -> dict[str, Any]:
    return {
        "outcome": "error",
        "error": message,
        "centre": None,
        "miss_km": None,
        "inside": False,
        "impacts": 0,
        "impacts_inside": 0,
        "length_km": None,
        "burns": [],
    }


def _seeded_draws(scenario: Scenario, seed: int) -> dict[str, Any]:
    """What the run seed draws inside the rig, reconstructed for the record: the deorbit thrusters' combined
    thrust and its angle from the nominal axis (plant), the IMU's turn-on biases (IMU board) and the first
    tracking fix's position and velocity errors (ground)."""
    from hil.boards.imu_model import ImuErrorModel, grade
    from hil.ground.station import Tracker
    from hil.plant import Plant

    plant = Plant.from_scenario(scenario, seed)
    thrust_n, axis_deg = dispersions.deorbit_thrust(plant.thrusters.force_body_n)
    imu = ImuErrorModel(grade(scenario.imu.grade), seed)
    truth = plant.truth()
    _, r, v = Tracker(
        plant, scenario.ground.tracking_sigma_m, scenario.ground.tracking_sigma_mps, seed
    ).state_vector()
    return {
        "deorbit_thrust_n": thrust_n,
        "thrust_axis_error_deg": axis_deg,
        "imu_gyro_bias_deg_h": [math.degrees(float(b)) * 3600.0 for b in imu.bias[:3]],
        "imu_accel_bias_ug": [float(b) / 9.80665e-6 for b in imu.bias[3:]],
        "tracking_error_m": float(np.linalg.norm(r - truth.r_eci_m)),
        "tracking_error_mps": float(np.linalg.norm(v - truth.v_eci_mps)),
    }


# --------------------------------------------------------------------------------- open loop


def open_loop(nominal: Scenario, scenario: Scenario, seed: int) -> dict[str, Any]:
    """The open-loop run of the dispersed ``scenario`` (module docstring); burns planned on ``nominal``."""
    from firmware_bindings import orbit
    from firmware_bindings.environment import AtmosphereModel, GravityModel
    from flight.guidance import Guidance
    from flight.navigation import OrbitState
    from hil.campaign import campaign_config
    from hil.ground.station import Tracker
    from hil.plant import Plant, debris

    plant = Plant.from_scenario(scenario, seed)
    t0 = plant.t_s
    epoch, r_trk, v_trk = Tracker(
        plant, scenario.ground.tracking_sigma_m, scenario.ground.tracking_sigma_mps, seed
    ).state_vector()
    guidance = Guidance(t0, campaign_config(nominal))
    plan = guidance.plan(
        OrbitState(
            epoch,
            (float(r_trk[0]), float(r_trk[1]), float(r_trk[2])),
            (float(v_trk[0]), float(v_trk[1]), float(v_trk[2])),
            nominal.vehicle.mass_kg,
        )
    )
    thrust_n, _ = dispersions.deorbit_thrust(plant.thrusters.force_body_n)
    gravity = GravityModel.default()
    atm = AtmosphereModel(
        kind="harris-priester" if scenario.truth.atmosphere == "harris-priester" else "exponential",
        scale=scenario.truth.density_scale,
        hp_n=scenario.truth.hp_exponent,
    )
    model = orbit.ForceModel(
        gravity=gravity,
        atmosphere=atm,
        cd=scenario.vehicle.cd,
        area_m2=scenario.vehicle.drag_area_m2,
        thrust_n=thrust_n,
        isp_s=scenario.thrusters.isp_s,
        dry_mass_kg=scenario.vehicle.dry_mass_kg,
    )
    truth = plant.truth()
    t, r, v, m = t0, truth.r_eci_m, truth.v_eci_mps, truth.mass_kg
    t_limit = t0 + scenario.end_limit_days * 86400.0
    breakup_m = scenario.reentry.breakup_alt_km * 1e3
    burns: list[dict[str, Any]] = []
    st = None
    # each burn flown for its planned duration; drag may bring the stack down before (or during) one
    for b in sorted(plan.burns, key=lambda b: b.t_ignition_s):
        t_cut = b.t_ignition_s + b.duration_s
        st = orbit.propagate_to_altitude(
            t, r, v, m, breakup_m, t_cut, "descending", model=model.with_burn(b.t_ignition_s, b.duration_s)
        )
        if st.t_s > b.t_ignition_s:
            burns.append(
                {
                    "name": b.name,
                    "t_ignition_s": b.t_ignition_s,
                    "duration_s": st.t_s - b.t_ignition_s,
                    "dv_target_mps": b.dv_mps,
                    "dv_achieved_mps": _dv(m, st.mass_kg, scenario.thrusters.isp_s),
                    "propellant_kg": m - st.mass_kg,
                }
            )
        t, r, v, m = st.t_s, st.r_eci_m, st.v_eci_mps, st.mass_kg
        if st.event:
            break
    if st is None or not st.event:
        st = orbit.propagate_to_altitude(t, r, v, m, breakup_m, t_limit, "descending", model=model)
    if not st.event:
        return {**_error("no re-entry before the scenario's end limit"), "outcome": "aborted", "burns": burns}
    rr = scenario.reentry
    betas = debris.fragment_betas_kg_m2(
        rr.fragment_beta_min_kg_m2, rr.fragment_beta_max_kg_m2, rr.fragment_count
    )
    fp = debris.footprint(st.t_s, st.r_eci_m, st.v_eci_mps, betas, atm, debris.zone_of(scenario), gravity)
    inside = sum(1 for i in fp.impacts if i.inside_zone)
    return {
        "outcome": "reentry_in_zone" if fp.inside_zone else "reentry_outside_zone",
        "error": None,
        "centre": {"lat_deg": fp.center_lat_deg, "lon_deg": fp.center_lon_deg},
        "miss_km": fp.center_miss_km,
        "inside": fp.inside_zone,
        "impacts": len(fp.impacts),
        "impacts_inside": inside,
        "length_km": fp.length_km,
        "heel": {"lat_deg": fp.heel.lat_deg, "lon_deg": fp.heel.lon_deg},
        "toe": {"lat_deg": fp.toe.lat_deg, "lon_deg": fp.toe.lon_deg},
        "burns": burns,
    }


def _dv(m0_kg: float, m1_kg: float, isp_s: float) -> float:
    """Rocket-equation delta-v of a burn from its masses."""
    return isp_s * 9.80665 * math.log(m0_kg / m1_kg) if m1_kg > 0.0 else math.nan


# --------------------------------------------------------------------------------- closed loop


def closed_loop(scenario: Scenario, dr: dispersions.Draw, task: RunTask) -> dict[str, Any]:
    """The closed-loop run: ``hil run`` of the dispersed scenario over loopback in lockstep."""
    from hil.campaign import RunOptions, run_campaign

    folder = run_folder(task.runs_dir, task.index)
    if folder.exists():  # a run interrupted part-way: start it again from nothing
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    path = folder / "scenario.toml"
    path.write_text(
        dumps(
            scenario,
            header=(
                f"Monte Carlo run {task.index} of master seed {task.master_seed}: "
                f"{task.scenario_source} with this run's dispersions.\n"
                f"Fly it again with: hil run {path} --transport loopback --seed {dr.seed}"
            ),
        )
    )
    result = asyncio.run(
        run_campaign(
            RunOptions(
                scenario=path,
                transport="loopback",
                time_mode="lockstep",
                seed=dr.seed,
                out=folder,
                plots=_REPORT_FILES.get(task.keep, False),
                tables=_REPORT_FILES.get(task.keep, False),  # kept with the plots, or deleted below
            )
        )
    )
    s = result.summary
    fp = s.get("footprint") or {}
    impacts = fp.get("impacts") or []
    centre = fp.get("center")
    record = {
        "outcome": s.get("outcome", "error"),
        "error": s.get("error"),
        "centre": dict(centre) if centre else None,
        "miss_km": fp.get("center_miss_km"),
        # contained: every truth impact inside, in a run that ended normally (an error voids the footprint)
        "inside": bool(fp.get("inside_zone")) and s.get("outcome") == "reentry_in_zone",
        "impacts": len(impacts),
        "impacts_inside": _count_inside(scenario, impacts),
        "length_km": fp.get("length_km"),
        "heel": fp.get("heel"),
        "toe": fp.get("toe"),
        "burns": [
            {k: b.get(k) for k in ("name", "duration_s", "dv_target_mps", "dv_achieved_mps", "propellant_kg")}
            for b in s.get("burns") or []
        ],
        "end_reason": s.get("end_reason"),
        "sim_time_s": s.get("sim_time_s"),
    }
    if task.keep == "summary" or (task.keep == "failures" and record["outcome"] == "reentry_in_zone"):
        for p in folder.iterdir():
            if p.name not in KEPT_ALWAYS:
                shutil.rmtree(p) if p.is_dir() else p.unlink()
    return record


def _count_inside(scenario: Scenario, impacts: list[dict[str, Any]]) -> int:
    if not impacts:
        return 0
    from firmware_bindings.targeting import inside_zone
    from hil.plant.debris import zone_of

    lat = np.radians([i["lat_deg"] for i in impacts])
    lon = np.radians([i["lon_deg"] for i in impacts])
    return int(np.count_nonzero(inside_zone(lat, lon, zone_of(scenario))))
