"""Guidance: plans the deorbit campaign with the C targeting core and re-plans after every burn and uplink.

The campaign (DESIGN.md section 2, scenario data in :class:`CampaignConfig`): perigee-lowering burns,
then the final burn to a perigee near 50 km whose predicted debris footprint centre lands on the aim point
along the ground track (``solve_final_burn``). Every burn is retrograde at full main thrust; its duration
is solved by the C core against the flight software's own force model (J2-J4 and the exponential
atmosphere), from the navigated orbit.

Timeline. A lowering burn is placed either at a fixed offset from the campaign start or a fixed lead
before the final burn. With the flight software's drag model (ballistic coefficient about 80 kg/m^2) a
145 km perigee decays within hours and even a 200 km perigee within about two days, so the default
campaign coasts from 220 km on drag, lowers the perigee to 190 km about two and a half days in and to
145 km one revolution before the final burn at about four days: the stack flies the intermediate 145 km
perigee only briefly. Other timelines (a lighter vehicle, another atmosphere) are configuration.

Phasing. The final burn can put the footprint centre on the aim point *along* the track; the distance
*across* the track is set by where the final revolution's ground track passes, which shifts about 23 deg
west per revolution. Guidance first picks, among the revolutions within ``final_rev_search`` of the nominal
final time, the one whose solved final burn has the smallest cross-track miss; then it tunes the timing of
the first remaining offset-placed lowering burn within ``phasing_window_s``: a one-dimensional root solve
(bracketing scan, then bisection) on the cross-track miss of the final burn solved with the C core after
propagating the whole remaining campaign with the C propagator. When no root lies within the window the
timing of smallest miss is kept and the plan says so (``phasing_converged`` False).

Everything here is pure: time and the navigated orbit are passed in; nothing reads a clock.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace

import numpy as np

from firmware_bindings import CoreError
from firmware_bindings.environment import AtmosphereModel
from firmware_bindings.orbit import G0_MPS2, ForceModel, apsis_altitudes_m, propagate
from firmware_bindings.reentry import Footprint
from firmware_bindings.targeting import SPOUA_APPROX, FinalBurn, Zone, solve_final_burn, solve_perigee_burn
from flight.config import FlightConfig
from flight.navigation import OrbitState
from flight.ports import Vec3
from flight.sequencer import BurnOutcome, BurnPlan, BurnResult

DAY_S = 86400.0
GM_M3_S2 = 3.986004418e14


class GuidanceError(RuntimeError):
    """No feasible plan: the message says which burn and why."""


@dataclass(frozen=True)
class LoweringBurnSpec:
    """A perigee-lowering burn: its target perigee altitude, placed at ``offset_s`` after the campaign start
    or ``lead_s`` before the final burn's window (exactly one of the two)."""

    name: str
    hp_target_m: float
    offset_s: float | None = None
    lead_s: float | None = None

    def __post_init__(self) -> None:
        if (self.offset_s is None) == (self.lead_s is None):
            raise ValueError(f"lowering burn {self.name}: give exactly one of offset_s and lead_s")
        if not (math.isfinite(self.hp_target_m) and self.hp_target_m > 80e3):
            raise ValueError(f"lowering burn {self.name}: hp_target_m must exceed 80 km")


def _default_model() -> ForceModel:
    return ForceModel(atmosphere=AtmosphereModel("exponential"))


@dataclass(frozen=True)
class CampaignConfig:
    """The campaign as scenario data (SI units, radians)."""

    lowering: tuple[LoweringBurnSpec, ...] = (
        LoweringBurnSpec("PLB-1", 190e3, offset_s=2.5 * DAY_S),
        LoweringBurnSpec("PLB-2", 145e3, lead_s=5300.0),
    )
    final_name: str = "FINAL"
    final_offset_s: float = 4.0 * DAY_S
    final_hp_m: float = 50e3
    final_window_s: float = 5400.0  # one revolution in which the final burn's ignition is solved
    final_rev_search: int = 6  # revolutions either side of the nominal final time considered
    phasing_window_s: float = 0.4 * DAY_S  # the phased lowering burn moves at most this far either way
    phasing_tol_m: float = 1000.0  # cross-track miss at which the phasing solve stops
    phasing_grid: int = 9
    phasing_max_iter: int = 20
    zone: Zone = SPOUA_APPROX
    aim_lat_rad: float = SPOUA_APPROX.aim_lat_rad
    aim_lon_rad: float = SPOUA_APPROX.aim_lon_rad
    model: ForceModel = field(default_factory=_default_model)
    dry_mass_kg: float = 434e3  # 450 t stack less 16 t propellant (reference/hardware.md)
    propellant_reserve_kg: float = 300.0
    min_lead_s: float = 2700.0  # earliest ignition from now: arming lead plus margin
    max_burn_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.final_rev_search < 0:
            raise ValueError("final_rev_search must be non-negative")
        names = [b.name for b in self.lowering] + [self.final_name]
        if len(set(names)) != len(names):
            raise ValueError(f"burn names must be unique, got {names}")

    @property
    def final_burn_id(self) -> int:
        return len(self.lowering) + 1


@dataclass(frozen=True)
class PlannedBurn:
    """One burn of the plan, with what the C core predicts of it."""

    burn_id: int
    name: str
    t_ignition_s: float
    duration_s: float
    dv_mps: float
    propellant_kg: float
    hp_after_m: float
    ha_after_m: float
    thrust_dir_eci: Vec3
    accel_nominal_mps2: float
    final: bool = False

    def to_burn_plan(self) -> BurnPlan:
        return BurnPlan(burn_id=self.burn_id, name=self.name, t_ignition_s=self.t_ignition_s,
                        dv_target_mps=self.dv_mps, accel_nominal_mps2=self.accel_nominal_mps2,
                        thrust_dir_eci=self.thrust_dir_eci, final=self.final)


@dataclass(frozen=True)
class CampaignPlan:
    """The remaining campaign planned at ``t_s``."""

    t_s: float
    burns: tuple[PlannedBurn, ...]
    footprint: Footprint | None
    miss_m: float
    miss_along_m: float
    miss_cross_m: float
    inside_zone: bool
    phasing_converged: bool
    propellant_needed_kg: float
    propellant_available_kg: float

    @property
    def next_burn(self) -> PlannedBurn | None:
        return self.burns[0] if self.burns else None

    @property
    def propellant_margin_kg(self) -> float:
        return self.propellant_available_kg - self.propellant_needed_kg


def _vec3(a: np.ndarray) -> Vec3:
    return (float(a[0]), float(a[1]), float(a[2]))


def _unit(a: np.ndarray) -> np.ndarray:
    return np.asarray(a / np.linalg.norm(a), dtype=np.float64)


def orbit_period_s(orbit: OrbitState) -> float:
    """Keplerian period of the osculating orbit."""
    r = float(np.linalg.norm(orbit.r_eci_m))
    v2 = float(np.dot(orbit.v_eci_mps, orbit.v_eci_mps))
    a = 1.0 / (2.0 / r - v2 / GM_M3_S2)
    return 2.0 * math.pi * math.sqrt(a ** 3 / GM_M3_S2)


@dataclass
class _Trial:
    burns: list[PlannedBurn]
    final: FinalBurn | None
    cross_m: float


class Guidance:
    """Plans and re-plans the campaign; keeps the burns done and the aim point."""

    def __init__(self, t_start_s: float, config: CampaignConfig | None = None) -> None:
        if not math.isfinite(t_start_s):
            raise ValueError("t_start_s must be finite")
        self.config = config or CampaignConfig()
        self.t_start_s = float(t_start_s)
        self.done: dict[int, BurnResult] = {}
        self.aim_lat_rad = self.config.aim_lat_rad
        self.aim_lon_rad = self.config.aim_lon_rad
        self.last_plan: CampaignPlan | None = None
        self.evaluations = 0

    # ------------------------------------------------------------------------------- inputs

    def record_burn(self, result: BurnResult) -> None:
        """A burn has ignited (whatever its outcome): it is never planned again."""
        self.done[result.burn_id] = result

    def mark_done(self, burn_id: int) -> None:
        """A burn known (from the journal) to have ignited, its result unknown."""
        self.done.setdefault(burn_id, BurnResult(burn_id, "", False, math.nan, math.nan, math.nan, math.nan,
                                                 BurnOutcome.INTERRUPTED))

    def set_aim(self, lat_deg: float, lon_deg: float) -> None:
        if not (-90.0 <= lat_deg <= 90.0 and -180.0 <= lon_deg <= 180.0):
            raise ValueError(f"aim point ({lat_deg}, {lon_deg}) deg out of range")
        self.aim_lat_rad = math.radians(lat_deg)
        self.aim_lon_rad = math.radians(lon_deg)

    # ----------------------------------------------------------------------------- planning

    def plan(self, orbit: OrbitState) -> CampaignPlan:
        """Plan every remaining burn from the navigated orbit (raises :class:`GuidanceError`)."""
        cfg = self.config
        t_now = orbit.t_s
        final_id = cfg.final_burn_id
        if final_id in self.done:
            plan = CampaignPlan(t_now, (), None, math.nan, math.nan, math.nan, False, True, 0.0,
                                max(0.0, orbit.mass_kg - cfg.dry_mass_kg))
            self.last_plan = plan
            return plan
        period = orbit_period_s(orbit)
        earliest = t_now + cfg.min_lead_s
        t_final_nominal = max(self.t_start_s + cfg.final_offset_s, earliest)
        phased = next((i for i, s in enumerate(cfg.lowering)
                       if s.offset_s is not None and (i + 1) not in self.done), None)
        # choose the final revolution
        best: tuple[float, float] | None = None
        best_trial: _Trial | None = None
        shifts = (0.0,) if phased is None else (0.0, 0.5 * cfg.phasing_window_s, -0.5 * cfg.phasing_window_s)
        for k in range(-cfg.final_rev_search, cfg.final_rev_search + 1):
            t_final = t_final_nominal + k * period
            if t_final < earliest:
                continue
            for shift in shifts:  # the unshifted timing first; the others where it is infeasible
                trial = self._trial(orbit, t_final, shift, phased)
                if trial.final is not None:
                    break
            if trial.final is not None and (best is None or abs(trial.cross_m) < best[1]):
                best, best_trial = (t_final, abs(trial.cross_m)), trial
        if best is None or best_trial is None:
            raise GuidanceError("no feasible final burn in any revolution near the nominal time")
        t_final = best[0]
        trial, converged = best_trial, abs(best_trial.cross_m) <= cfg.phasing_tol_m
        if phased is not None and not converged:
            trial, converged = self._phase(orbit, t_final, phased, trial)
        final = trial.final
        assert final is not None
        needed = sum(b.propellant_kg for b in trial.burns)
        plan = CampaignPlan(
            t_now, tuple(trial.burns), final.footprint, final.miss_m, final.miss_along_m, final.miss_cross_m,
            final.inside_zone, converged, needed, max(0.0, orbit.mass_kg - cfg.dry_mass_kg),
        )
        self.last_plan = plan
        return plan

    def _phase(self, orbit: OrbitState, t_final: float, phased: int, start: _Trial) -> tuple[_Trial, bool]:
        cfg = self.config
        w = cfg.phasing_window_s
        xs = np.linspace(-w, w, max(3, cfg.phasing_grid))
        trials = [(float(x), self._trial(orbit, t_final, float(x), phased)) for x in xs]
        valid = [(x, t) for x, t in trials if t.final is not None] + [(0.0, start)]
        best_x, best = min(valid, key=lambda p: abs(p[1].cross_m))
        # a bracket: adjacent grid points with opposite signs and no jump to another revolution
        jump_m = 2.0e6
        for (x0, t0), (x1, t1) in itertools.pairwise(trials):
            if t0.final is None or t1.final is None:
                continue
            if t0.cross_m * t1.cross_m > 0.0 or abs(t0.cross_m - t1.cross_m) > jump_m:
                continue
            lo, hi, f_lo = x0, x1, t0.cross_m
            for _ in range(cfg.phasing_max_iter):
                mid = 0.5 * (lo + hi)
                tm = self._trial(orbit, t_final, mid, phased)
                if tm.final is None:
                    break
                if abs(tm.cross_m) < abs(best.cross_m):
                    best_x, best = mid, tm
                if abs(tm.cross_m) <= cfg.phasing_tol_m:
                    return tm, True
                if (tm.cross_m > 0.0) == (f_lo > 0.0):
                    lo, f_lo = mid, tm.cross_m
                else:
                    hi = mid
        del best_x
        return best, abs(best.cross_m) <= cfg.phasing_tol_m

    def _trial(self, orbit: OrbitState, t_final: float, shift_s: float, phased: int | None) -> _Trial:
        """Propagate the remaining campaign with the C core and solve its burns."""
        cfg = self.config
        self.evaluations += 1
        model = replace(cfg.model, dry_mass_kg=cfg.dry_mass_kg, burn=None)
        earliest = orbit.t_s + cfg.min_lead_s
        t, r, v, m = orbit.t_s, np.asarray(orbit.r_eci_m), np.asarray(orbit.v_eci_mps), orbit.mass_kg
        burns: list[PlannedBurn] = []
        schedule: list[tuple[int, LoweringBurnSpec, float]] = []
        for i, spec in enumerate(cfg.lowering):
            if (i + 1) in self.done:
                continue
            if spec.offset_s is not None:
                t_ig = self.t_start_s + spec.offset_s + (shift_s if i == phased else 0.0)
            else:
                assert spec.lead_s is not None
                t_ig = t_final - spec.lead_s
            schedule.append((i, spec, max(t_ig, earliest)))
        schedule.sort(key=lambda e: e[2])
        try:
            for i, spec, t_ig in schedule:
                if t_ig < t or t_ig >= t_final:
                    continue
                s = propagate(t, r, v, m, t_ig, model=model)
                hp, _ = apsis_altitudes_m(s.r_eci_m, s.v_eci_mps)
                t, r, v, m = t_ig, s.r_eci_m, s.v_eci_mps, s.mass_kg
                if hp <= spec.hp_target_m + 1e3:
                    continue  # drag already did it
                pb = solve_perigee_burn(t_ig, r, v, m, t_ig, spec.hp_target_m, max_duration_s=cfg.max_burn_s,
                                        model=model)
                burns.append(PlannedBurn(i + 1, spec.name, t_ig, pb.duration_s, pb.dv_mps, pb.propellant_kg,
                                         pb.hp_after_m, pb.ha_after_m, _vec3(-_unit(np.asarray(v))),
                                         model.thrust_n / m))
                t, r, v, m = t_ig + pb.duration_s, pb.r_cutoff_eci_m, pb.v_cutoff_eci_mps, pb.mass_cutoff_kg
            s = propagate(t, r, v, m, t_final, model=model)
            fb = solve_final_burn(t_final, s.r_eci_m, s.v_eci_mps, s.mass_kg, t_final,
                                  t_final + cfg.final_window_s, zone=cfg.zone, aim_lat_rad=self.aim_lat_rad,
                                  aim_lon_rad=self.aim_lon_rad, hp_target_m=cfg.final_hp_m,
                                  max_duration_s=cfg.max_burn_s, model=model)
            s_ig = propagate(t_final, s.r_eci_m, s.v_eci_mps, s.mass_kg, fb.t_ignition_s, model=model)
        except CoreError:
            return _Trial(burns, None, math.inf)
        burns.append(PlannedBurn(cfg.final_burn_id, cfg.final_name, fb.t_ignition_s, fb.duration_s, fb.dv_mps,
                                 fb.propellant_kg, fb.hp_after_m, fb.ha_after_m,
                                 _vec3(-_unit(np.asarray(s_ig.v_eci_mps))), model.thrust_n / s_ig.mass_kg,
                                 final=True))
        return _Trial(burns, fb, fb.miss_cross_m)


# -------------------------------------------------------------------------------- budgets and rates


def propellant_for_dv_kg(mass_kg: float, dv_mps: float, isp_s: float) -> float:
    """Rocket equation: propellant to give ``dv_mps`` to ``mass_kg``."""
    return mass_kg * (1.0 - math.exp(-dv_mps / (isp_s * G0_MPS2)))


def imu_rate_hz(t_s: float, plan: CampaignPlan | None, config: FlightConfig, armed: bool = False,
                margin_s: float = 600.0) -> float:
    """The IMU output rate for this phase: the burn rate from ``arm_lead_s + margin`` before an ignition
    until (excluded) ``margin`` after its planned cutoff, and whenever the board is armed; the coast rate
    otherwise."""
    if armed:
        return config.imu_rate_burn_hz
    if plan is not None:
        for b in plan.burns:
            start = b.t_ignition_s - config.arm_lead_s - margin_s
            if start <= t_s < b.t_ignition_s + b.duration_s + margin_s:
                return config.imu_rate_burn_hz
    return config.imu_rate_coast_hz


def next_rate_change_s(t_s: float, plan: CampaignPlan | None, config: FlightConfig,
                       margin_s: float = 600.0) -> float:
    """The next time after ``t_s`` at which :func:`imu_rate_hz` changes (inf when it never does): the
    executive wakes no later than this (a coast sample may span at most this interval)."""
    if plan is None:
        return math.inf
    edges = []
    for b in plan.burns:
        edges += [b.t_ignition_s - config.arm_lead_s - margin_s, b.t_ignition_s + b.duration_s + margin_s]
    future = [e for e in edges if e > t_s]
    return min(future) if future else math.inf
