"""The dispersions of one Monte Carlo run: drawn from the master seed and the run's index alone, and
applied to the scenario as an override, so each run is a scenario file of its own.

Run ``i`` of a campaign with master seed ``S`` draws from ``numpy.random.default_rng([S, i])``; nothing else
enters, so a run's draws do not depend on the number of runs, the workers or the order they finish in. From
the scenario's ``[dispersions]`` table (one sigma, or half-range where the name says range):

================  ==============================================================  =====================
dispersion        draw                                                            reaches the run as
================  ==============================================================  =====================
thrust            common-mode scale ``1 + thrust_sigma_fraction N(0, 1)``         ``thrusters.thrust_n``
per-thruster      thrust spread (the scenario's ``thrusters.thrust_sigma_``       the run seed, drawn by
thrust and        ``fraction``) and a tilt ``misalignment_sigma_deg N(0, 1)`` per  the plant
misalignment      axis, per thruster                                               (``hil.plant``)
mass              dry mass scale ``1 + mass_sigma_fraction N(0, 1)``              ``truth.dry_mass_scale``
centre of mass    offset ``com_sigma_m N(0, 1)`` per body axis; it moves the      ``vehicle.cop_offset_``
                  centre of pressure the other way                                ``body_m``
drag coefficient  ``cd (1 + cd_sigma_fraction N(0, 1))``                          ``vehicle.cd``
density scale     ``truth.density_scale (1 + U(-r, r))``, r =                     ``truth.density_scale``
                  ``density_scale_range`` (0.4: +-40 %)
IMU errors        turn-on bias, scale factor, misalignment, noise of the grade   the run seed, drawn by
                                                                                  the IMU board
tracking errors   ``tracking_sigma_m``, ``tracking_sigma_mps`` per axis and fix   ``ground.tracking_*``
                                                                                  and the run seed
breakup altitude  ``U(breakup_alt_range_km)`` (75-80 km)                          ``reentry.breakup_``
                                                                                  ``alt_km``
================  ==============================================================  =====================

The run seed (a 63-bit integer drawn first) seeds the plant's thrusters, the IMU board's error model and
the ground's tracker, exactly as ``hil run --seed`` does. Every dispersion is the truth's alone: the flight
software keeps the scenario's nominal vehicle (its mass, Cd and thrust), as a flight computer is loaded
with the vehicle's best estimate. Stated limits: the centre-of-mass offset moves the aerodynamic torque
arm only (the thruster layout's arms are fixed in ``firmware_bindings.attitude``); the common-mode scale
is clipped at 0.05, the mass scale to 0.5-1.5 and the Cd scale at 0.1 so that a wild sigma cannot make a
non-physical scenario.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from hil.scenario import Scenario

SEED_BITS = 63
MIN_THRUST_SCALE = 0.05
MIN_SCALE = 0.1
MIN_MASS_SCALE, MAX_MASS_SCALE = 0.5, 1.5  # the truth's dry mass scale: what a scenario file accepts


@dataclass(frozen=True)
class Draw:
    """The dispersed values of one run (SI units unless the name says otherwise)."""

    index: int
    seed: int  # the run seed: thrusters, IMU errors and tracking noise
    thrust_scale: float
    dry_mass_kg: float
    com_offset_body_m: tuple[float, float, float]
    cd: float
    density_scale: float
    breakup_alt_km: float

    def as_record(self) -> dict[str, Any]:
        """The draws as a JSON-ready mapping (the run seed is recorded beside them)."""
        d = dataclasses.asdict(self)
        d.pop("index")
        d.pop("seed")
        d["com_offset_body_m"] = list(self.com_offset_body_m)
        return d


def run_rng(master_seed: int, index: int) -> np.random.Generator:
    """The generator of run ``index``: a function of the master seed and the index only."""
    check_seed(master_seed)
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"run index must be a non-negative integer, got {index!r}")
    return np.random.default_rng([int(master_seed), int(index)])


def check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"master seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def draw(scenario: Scenario, master_seed: int, index: int) -> Draw:
    """Draw run ``index``'s dispersions from the scenario's ``[dispersions]`` table (module docstring)."""
    rng = run_rng(master_seed, index)
    d = scenario.dispersions
    v = scenario.vehicle
    seed = int(rng.integers(0, 2**SEED_BITS))
    thrust_scale = max(MIN_THRUST_SCALE, 1.0 + d.thrust_sigma_fraction * float(rng.standard_normal()))
    mass_scale = 1.0 + d.mass_sigma_fraction * float(rng.standard_normal())
    mass_scale = min(MAX_MASS_SCALE, max(MIN_MASS_SCALE, mass_scale))
    com = d.com_sigma_m * rng.standard_normal(3)
    cd_scale = max(MIN_SCALE, 1.0 + d.cd_sigma_fraction * float(rng.standard_normal()))
    density = scenario.truth.density_scale * (1.0 + d.density_scale_range * float(rng.uniform(-1.0, 1.0)))
    lo, hi = d.breakup_alt_range_km
    breakup = float(rng.uniform(lo, hi)) if hi > lo else float(lo)
    return Draw(
        index=index,
        seed=seed,
        thrust_scale=thrust_scale,
        dry_mass_kg=v.dry_mass_kg * mass_scale,
        com_offset_body_m=(float(com[0]), float(com[1]), float(com[2])),
        cd=v.cd * cd_scale,
        density_scale=density,
        breakup_alt_km=breakup,
    )


def apply(scenario: Scenario, dr: Draw) -> Scenario:
    """The scenario of the run: ``scenario`` with the draw's values in place (module docstring)."""
    s = scenario
    cop = tuple(float(c - o) for c, o in zip(s.vehicle.cop_offset_body_m, dr.com_offset_body_m, strict=True))
    vehicle = dataclasses.replace(s.vehicle, cd=dr.cd, cop_offset_body_m=cop)
    thrusters = dataclasses.replace(
        s.thrusters,
        thrust_n=s.thrusters.thrust_n * dr.thrust_scale,
        misalignment_sigma_deg=s.dispersions.misalignment_sigma_deg,
    )
    truth = dataclasses.replace(s.truth, density_scale=dr.density_scale,
                                dry_mass_scale=dr.dry_mass_kg / s.vehicle.dry_mass_kg)
    ground = dataclasses.replace(
        s.ground,
        tracking_sigma_m=s.dispersions.tracking_sigma_m,
        tracking_sigma_mps=s.dispersions.tracking_sigma_mps,
    )
    breakup = min(dr.breakup_alt_km, s.reentry.interface_alt_km - 1e-3)
    reentry = dataclasses.replace(s.reentry, breakup_alt_km=breakup)
    return dataclasses.replace(
        s, vehicle=vehicle, thrusters=thrusters, truth=truth, ground=ground, reentry=reentry
    )


def nominal_thrust_axis_body() -> tuple[float, float, float]:
    """Unit vector of the deorbit thrusters' nominal combined thrust, body axes."""
    from firmware_bindings import attitude

    layout = attitude.default_stack_layout()
    dirs = np.asarray(layout.dir_body, dtype=np.float64)[DEORBIT]
    s = dirs.sum(axis=0)
    s /= np.linalg.norm(s)
    return float(s[0]), float(s[1]), float(s[2])


#: the deorbit thrusters' indices in the ICD's order (``hil.protocol.catalogue``)
DEORBIT = slice(16, 46)


def deorbit_thrust(force_body_n: Any) -> tuple[float, float]:
    """(thrust along the nominal axis in N, angle of the combined thrust from that axis in deg) of the
    deorbit thrusters with per-thruster forces ``force_body_n`` (46, 3)."""
    f = np.asarray(force_body_n, dtype=np.float64)[DEORBIT].sum(axis=0)
    axis = np.asarray(nominal_thrust_axis_body())
    along = float(f @ axis)
    n = float(np.linalg.norm(f))
    angle = math.degrees(math.acos(max(-1.0, min(1.0, along / n)))) if n > 0.0 else 0.0
    return along, angle
