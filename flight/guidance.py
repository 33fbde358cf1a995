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
145 km one revolution before the final burn at about four days (the revolution itself is chosen within
about a day of that for phasing, below): the stack flies the intermediate 145 km perigee only briefly.
Other timelines (a lighter vehicle, another atmosphere) are configuration.

Phasing. The final burn puts the footprint centre on the aim point *along* the track; the distance
*across* the track is set by where the final revolution's ground track passes, and that is a matter of
time: the Earth turns under the orbit plane by about 23 deg a revolution, so a ground track reaching the
aim latitude dt later lies omega_E R cos(lat) dt further west (about 300 m a second at Point Nemo), and
the cross-track miss changes by the part of that across the track. Two levers move it:

- the revolution of the final burn, a coarse step of about 1,500 km across the track. Guidance predicts
  every candidate from the ground track of the coasting orbit (after the offset-placed lowering burns):
  once a revolution the sub-satellite point passes abeam the aim point (its Earth-relative velocity at
  right angles to the aim), and the aim's distance from the track there is that revolution's cross-track
  miss, plus a bias common to all revolutions of one direction (the descent's own track and the last
  lowering burn), calibrated on the first final burn solved. The passes of smallest predicted miss within
  ``final_rev_search`` revolutions (about a day) of the nominal time are then solved, each in a final
  window whose middle is the ignition that lands on that pass.
- the timing of the first remaining offset-placed lowering burn, a fine step, in two parts. Its trend:
  moving a burn that lowers the semi-major axis by da earlier by dt gains (3/2) n (da / a) dt of orbital
  phase by the final revolution (more with drag, which grows as the orbit drops), so the arrival time,
  and the cross-track miss with it, changes almost in proportion to the move; guidance runs a secant
  iteration on the miss over the timing inside ``phasing_window_s`` (a step onto another root of the
  final burn or an infeasible plan is halved). Its place in the orbit: the burn lowers the osculating
  perigee to its target, and J2's short-period terms move the osculating perigee by several km around
  the orbit, so the burn's size, and the orbit it leaves, depend on where in the orbit it fires (at some
  places drag has already done it and the burn is not needed). To the secant that is noise; guidance
  then tries ``phasing_grid`` timings over one revolution around the best so far and bisects any sign
  change of the miss between neighbours.

Both fine levers are weak in a drag-dominated campaign: the default first lowering burn is 1 to 7 m/s
(drag has done most of the lowering), so moving it across the whole window shifts the track by 20 to
40 km and its place in the orbit by about as much (from the default scenario's start; moving the last
burn's lead from one to four revolutions, about 10 km). The revolution choice does most of the work.
The plan says whether the miss came within ``phasing_tol_m`` (``phasing_converged``) and, when not, why
(``phasing_status``): no lowering burn is left to move (the final-burn window of the ``iss-final-burn``
scenario), or the miss is out of the levers' reach; ``phasing_shift_s`` is how far the phased burn moved.

Speed. A re-plan searches in a coarse pass and solves its choice once exactly. The coarse pass propagates
at looser tolerances (rtol 1e-7, 10 cm) with a two-fragment footprint (heel and toe, all the centre's
miss needs) and shares propagations between trials: the coast from the navigated state and each coast
after a solved lowering burn are propagated forward once, every time reached kept as a checkpoint, and a
coast that decays remembers where, so no trial propagates it there again. The exact pass then propagates
and solves the chosen plan at full tolerance with the full footprint. When the stack decays faster than
the timeline assumes (a circular 220 km start, for example) no revolution near the nominal time is
feasible and the search walks back towards now until one is.

Everything here is pure: time and the navigated orbit are passed in; nothing reads a clock.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass, field, replace

import numpy as np

from firmware_bindings import CoreError
from firmware_bindings.environment import AtmosphereModel
from firmware_bindings.frames import gmst_rad
from firmware_bindings.orbit import G0_MPS2, ForceModel, Tolerance, apsis_altitudes_m, propagate
from firmware_bindings.reentry import EntryConfig, Footprint
from firmware_bindings.targeting import SPOUA_APPROX, FinalBurn, Zone, solve_final_burn, solve_perigee_burn
from flight.config import FlightConfig
from flight.navigation import OrbitState
from flight.ports import Vec3
from flight.sequencer import BurnOutcome, BurnPlan, BurnResult

DAY_S = 86400.0
GM_M3_S2 = 3.986004418e14
_MAX_WALK_BACK_REVS = 200  # bound on the revolutions searched back from the nominal final time
_PHASING_CANDIDATES = 1  # final revolutions of smallest miss on which the phased burn's timing is tuned
_JUMP_M = 500e3  # a change of cross-track miss this large is a jump to another root, not a trend
_PASS_SAMPLE_S = 1200.0  # ground-track sampling step of the pass prediction
_MAX_PASS_SAMPLES = 2000
_PASS_REFINE = 3
_PASS_TRIALS = 4  # passes solved (coarse) in the final-window search
_PASS_GOOD_M = 5e3  # a pass this close needs no further search: phasing takes it from there
_RE_M = 6378137.0
_LEAD_FRACTION = 0.55  # final burn ignition to the footprint's pass, in revolutions (about)
_COAST_CHUNK_S = 86400.0  # longest single propagation of a coast
_COAST_FLOOR_M = 100e3  # a coast that drops below this radial altitude has decayed
_SPHERE_R_M = 6371008.8  # the sphere of great-circle distances (fb_frame_great_circle)


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
    final_rev_search: int = 16  # revolutions either side of the nominal final time considered (about a day)
    phasing_window_s: float = 0.4 * DAY_S  # the phased lowering burn moves at most this far either way
    phasing_tol_m: float = 1000.0  # cross-track miss at which the phasing solve stops
    phasing_grid: int = 8  # timings of the phased burn over one revolution (where in its orbit it fires)
    phasing_max_iter: int = 6  # timings of the phased burn tried (coarse) per final window
    zone: Zone = SPOUA_APPROX
    aim_lat_rad: float = SPOUA_APPROX.aim_lat_rad
    aim_lon_rad: float = SPOUA_APPROX.aim_lon_rad
    model: ForceModel = field(default_factory=_default_model)
    dry_mass_kg: float = 434e3  # 450 t stack less 16 t propellant (reference/hardware.md)
    propellant_reserve_kg: float = 300.0
    min_lead_s: float = 1500.0  # earliest ignition from now: arming lead (1,200 s), rate margin, spare
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
    final_window_start_s: float = math.nan  # the final burn's ignition was solved in [this, + final_window_s]
    phasing_status: str = ""  # "converged", "no_lowering_burn" (nothing left to move) or "out_of_reach"
    phasing_shift_s: float = 0.0  # how far the phased lowering burn was moved from its nominal time

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
    decayed_s: float = math.inf  # infeasible: the stack decays before this time, within the final window


# The coarse pass: looser propagation tolerances and a two-fragment footprint (heel and toe, which is all
# the centre's along-track and cross-track miss needs). Its cross-track miss agrees with the exact pass to
# a few hundred metres; only the chosen revolution and timing are then solved exactly.
_COARSE_TOL = Tolerance(rtol=1e-7, atol_r_m=1e-1, atol_v_mps=1e-4, atol_m_kg=1e-4, h_max_s=600.0,
                        max_steps=20_000, event_tol_s=1e-3)  # a stack that decays runs out of steps early
_COARSE_ENTRY = EntryConfig(n_fragments=2, tol=_COARSE_TOL,
                            fragment_tol=Tolerance(rtol=1e-6, atol_r_m=1e-2, atol_v_mps=1e-5, atol_m_kg=1e-4,
                                                   h_max_s=120.0, max_steps=20_000, event_tol_s=1e-3))


@dataclass(frozen=True)
class _Pass:
    """A pass of the coasting ground track abeam the aim point: its time, cross-track miss, direction."""

    t_s: float
    cross_m: float
    ascending: bool


class _Coast:
    """The coasting trajectory from one state, propagated forward once: every propagated-to time is kept
    as a checkpoint, so trials that share a prefix propagate only what is new."""

    def __init__(self, t_s: float, y: np.ndarray, model: ForceModel, tol: Tolerance) -> None:
        self.model, self.tol = model, tol
        self.t: list[float] = [t_s]
        self.y: list[np.ndarray] = [y]
        self.dead_s = math.inf  # a propagation to this time failed
        self.death: CoreError = CoreError("no failure")

    def at(self, t_s: float) -> np.ndarray:
        """The state at ``t_s`` (raises ``CoreError`` when the stack does not get there: it decays).
        Long coasts go in steps of at most a day, each a checkpoint within the step budget."""
        i = bisect.bisect_right(self.t, t_s) - 1
        if i < 0:
            raise ValueError("a coast is propagated forward only")
        while self.t[i] != t_s:
            if t_s >= self.dead_s:
                raise self.death  # known already: no need to propagate again
            t0, y0 = self.t[i], self.y[i]
            t1 = t_s if t_s - t0 <= _COAST_CHUNK_S else t0 + _COAST_CHUNK_S
            try:
                s = propagate(t0, y0[:3], y0[3:6], float(y0[6]), t1, model=self.model, tol=self.tol)
            except CoreError as exc:
                self.dead_s, self.death = t1, exc
                raise
            y = np.concatenate([s.r_eci_m, s.v_eci_mps, [s.mass_kg]])
            if float(np.linalg.norm(y[:3])) - _RE_M < _COAST_FLOOR_M:
                # below the entry interface the coast is over (the propagator itself would go on underground)
                self.dead_s, self.death = t1, CoreError(f"the stack decays before t = {t1:.0f} s")
                raise self.death
            self.t.insert(i + 1, t1)
            self.y.insert(i + 1, y)
            i += 1
        return self.y[i]


class _Search:
    """Coarse trials of one re-plan: the coast from the navigated state and, per timing of the phased
    burn, the coast after each solved lowering burn, all shared between trials."""

    def __init__(self, guidance: Guidance, orbit: OrbitState) -> None:
        self.g = guidance
        cfg = guidance.config
        self.model = replace(cfg.model, dry_mass_kg=cfg.dry_mass_kg, burn=None)
        y0 = np.concatenate([np.asarray(orbit.r_eci_m, dtype=np.float64),
                             np.asarray(orbit.v_eci_mps, dtype=np.float64), [orbit.mass_kg]])
        self.root = _Coast(orbit.t_s, y0, self.model, _COARSE_TOL)
        self.after: dict[tuple[float, int, float], _Coast | None] = {}
        self.orbit = orbit

    def coast_after_offset_burns(self, t_until: float, shift_s: float, phased: int | None) -> _Coast | None:
        """The coast after the offset-placed lowering burns before ``t_until`` (the phased one moved by
        ``shift_s``); None when one of them is infeasible."""
        g = self.g
        coast = self.root
        try:
            for i, spec, t_ig in g._schedule(self.orbit, math.inf, shift_s, phased):
                if spec.offset_s is None or t_ig < coast.t[0] or t_ig >= t_until:
                    continue
                nxt = self._after(coast, i, spec, t_ig)
                if nxt is not None:
                    coast = nxt
        except CoreError:
            return None
        return coast

    def _after(self, coast: _Coast, i: int, spec: LoweringBurnSpec, t_ig: float) -> _Coast | None:
        """The coast after lowering burn ``i`` at ``t_ig`` from ``coast`` (None when drag already did it)."""
        key = (coast.t[0], i, t_ig)
        if key not in self.after:
            y = coast.at(t_ig)
            hp, _ = apsis_altitudes_m(y[:3], y[3:6])
            if hp <= spec.hp_target_m + 1e3:
                self.after[key] = None
            else:
                pb = solve_perigee_burn(t_ig, y[:3], y[3:6], float(y[6]), t_ig, spec.hp_target_m,
                                        max_duration_s=self.g.config.max_burn_s, model=self.model,
                                        tol=_COARSE_TOL, tol_duration_s=1e-2)
                yc = np.concatenate([pb.r_cutoff_eci_m, pb.v_cutoff_eci_mps, [pb.mass_cutoff_kg]])
                self.after[key] = _Coast(t_ig + pb.duration_s, yc, self.model, _COARSE_TOL)
        return self.after[key]

    def passes(self, coast: _Coast, t_a: float, t_b: float) -> list[_Pass]:
        """Every pass of the coast's ground track abeam the aim point in [t_a, t_b] (the sub-satellite
        point's Earth-relative velocity at right angles to the aim, on the aim's side of the Earth): its
        time, direction and the cross-track distance of the aim from the track there (sign as
        ``miss_cross_m``). Sampled every 1,200 s (four times a revolution) and refined by false position."""
        lat, lon = self.g.aim_lat_rad, self.g.aim_lon_rad
        ax, ay, az = math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)
        w = self.model.omega_earth_rad_s
        theta0 = gmst_rad(t_a)  # then at the sidereal rate (the precession terms are far below a metre)

        def f(t: float) -> tuple[float, float, float]:
            y = coast.at(t)
            th = theta0 + w * (t - t_a)
            c, s_ = math.cos(th), math.sin(th)
            rx, ry, rz = c * y[0] + s_ * y[1], -s_ * y[0] + c * y[1], float(y[2])
            vx = c * y[3] + s_ * y[4] + w * ry
            vy = -s_ * y[3] + c * y[4] - w * rx
            vz = float(y[5])
            rn, vn = math.sqrt(rx * rx + ry * ry + rz * rz), math.sqrt(vx * vx + vy * vy + vz * vz)
            px, py, pz = ry * vz - rz * vy, rz * vx - rx * vz, rx * vy - ry * vx  # r x v
            pn = math.sqrt(px * px + py * py + pz * pz)
            return ((ax * vx + ay * vy + az * vz) / vn, (ax * rx + ay * ry + az * rz) / rn,
                    (ax * px + ay * py + az * pz) / pn)

        out: list[_Pass] = []
        n = max(2, math.ceil((t_b - t_a) / _PASS_SAMPLE_S) + 1)
        if n > _MAX_PASS_SAMPLES:
            return out
        ts = np.linspace(t_a, t_b, n)
        try:
            prev_t = float(ts[0])
            prev_f = f(prev_t)[0]
            for t in ts[1:]:
                tf = float(t)
                cur = f(tf)
                # the aim passes from ahead of the stack (aim . v > 0) to behind it, on the near side
                if prev_f > 0.0 >= cur[0] and cur[1] > 0.0:
                    lo, hi, flo, fhi = prev_t, tf, prev_f, cur[0]
                    tm, fm = hi, cur
                    for _ in range(_PASS_REFINE):
                        tm = lo - flo * (hi - lo) / (fhi - flo)
                        fm = f(tm)
                        if fm[0] > 0.0:
                            lo, flo = tm, fm[0]
                        else:
                            hi, fhi = tm, fm[0]
                    cross_m = _SPHERE_R_M * math.asin(max(-1.0, min(1.0, float(fm[2]))))
                    out.append(_Pass(float(tm), cross_m, bool(coast.at(tm)[5] > 0.0)))
                prev_t, prev_f = tf, cur[0]
        except CoreError:
            pass  # the coast ends (the stack decays): the passes found so far
        return out

    def trial(self, t_final: float, shift_s: float, phased: int | None) -> _Trial:
        g, cfg, model = self.g, self.g.config, self.model
        g.evaluations += 1
        coast = self.root
        t = self.orbit.t_s
        try:
            for i, spec, t_ig in g._schedule(self.orbit, t_final, shift_s, phased):
                if t_ig < t or t_ig >= t_final:
                    continue
                nxt = self._after(coast, i, spec, t_ig)
                if nxt is not None:
                    coast, t = nxt, nxt.t[0]
            y = coast.at(t_final)
            fb = solve_final_burn(t_final, y[:3], y[3:6], float(y[6]), t_final, t_final + cfg.final_window_s,
                                  zone=cfg.zone, aim_lat_rad=g.aim_lat_rad, aim_lon_rad=g.aim_lon_rad,
                                  hp_target_m=cfg.final_hp_m, max_duration_s=cfg.max_burn_s, model=model,
                                  config=_COARSE_ENTRY, tol_ignition_s=0.05, tol_duration_s=1e-2)
        except CoreError:
            try:  # infeasible: because the stack decays within the window (then every later one fails too)?
                coast.at(t_final + cfg.final_window_s)
            except CoreError:
                return _Trial([], None, math.inf, coast.dead_s)
            return _Trial([], None, math.inf)
        return _Trial([], fb, fb.miss_cross_m)


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
        search = _Search(self, orbit)
        shifts = (0.0,) if phased is None else (0.0, 0.5 * cfg.phasing_window_s, -0.5 * cfg.phasing_window_s)

        decayed: dict[float, float] = {}  # per timing of the phased burn, a time the stack does not reach

        def candidate(t_final: float) -> tuple[float, float, _Trial] | None:
            for shift in shifts:  # the unshifted timing first; the others where it is infeasible
                if t_final + cfg.final_window_s >= decayed.get(shift, math.inf):
                    continue  # the stack decays within this window
                trial = search.trial(t_final, shift, phased)
                if trial.final is not None:
                    return t_final, shift, trial
                decayed[shift] = min(decayed.get(shift, math.inf), trial.decayed_s)
            return None

        # 1. the final window (coarse pass). The revolution search: the first feasible of the revolutions
        # nearest the nominal time; when the stack decays faster than the timeline assumed, none within
        # final_rev_search is feasible and the search walks back towards now until one is.
        found: list[tuple[float, float, _Trial]] = []
        ks = sorted(range(-cfg.final_rev_search, cfg.final_rev_search + 1), key=lambda k: (abs(k), k))
        ks += list(range(-cfg.final_rev_search - 1, -_MAX_WALK_BACK_REVS, -1))
        for k in ks:
            t_final = t_final_nominal + k * period
            if t_final < earliest:
                if k < 0 and abs(k) > cfg.final_rev_search:
                    break
                continue
            if (c := candidate(t_final)) is not None:
                found.append(c)
                break
        if not found:
            raise GuidanceError("no feasible final burn in any revolution between now and the nominal time")
        # then the ground track's passes abeam the aim point around that window, ranked by their predicted
        # cross-track miss, each solved in a window centred on it
        found += self._by_passes(search, found[0], earliest, period, phased)
        found.sort(key=lambda c: abs(c[2].cross_m))
        # 2. phasing (coarse pass) on the revolutions of smallest miss
        best = found[0]
        if phased is not None and abs(best[2].cross_m) > cfg.phasing_tol_m:
            for cand in found[:_PHASING_CANDIDATES]:
                tuned = self._phase(search, cand, phased)
                if abs(tuned[2].cross_m) < abs(best[2].cross_m):
                    best = tuned
                if abs(best[2].cross_m) <= cfg.phasing_tol_m:
                    break
            if abs(best[2].cross_m) > cfg.phasing_tol_m:
                best = self._phase_in_orbit(search, best, phased, period)
        # 3. one exact pass at the chosen revolution and timing (the next candidates if it fails there)
        trial: _Trial | None = None
        for t_final, shift, _coarse in [best] + [c for c in found if c is not best]:
            trial = self._trial(orbit, t_final, shift, phased)
            if trial.final is not None:
                break
        assert trial is not None
        final = trial.final
        if final is None:
            raise GuidanceError("the final burn of the coarse search is infeasible in the exact solution")
        converged = abs(final.miss_cross_m) <= cfg.phasing_tol_m
        status = "converged" if converged else "no_lowering_burn" if phased is None else "out_of_reach"
        needed = sum(b.propellant_kg for b in trial.burns)
        plan = CampaignPlan(
            t_now, tuple(trial.burns), final.footprint, final.miss_m, final.miss_along_m, final.miss_cross_m,
            final.inside_zone, converged, needed, max(0.0, orbit.mass_kg - cfg.dry_mass_kg), t_final, status,
            shift if phased is not None else 0.0,
        )
        self.last_plan = plan
        return plan

    def _by_passes(self, search: _Search, first: tuple[float, float, _Trial], earliest: float, period: float,
                   phased: int | None) -> list[tuple[float, float, _Trial]]:
        """Final windows chosen from the ground track: every pass abeam the aim point within
        final_rev_search revolutions of the first feasible window, its cross-track miss predicted from the
        coasting orbit (after the offset-placed burns) plus a bias calibrated on solved final burns of the
        same direction (the descent's own track and the last lowering burn shift every pass alike); the
        passes of smallest predicted miss are solved (coarse), each in a window whose middle is the
        ignition that lands on that pass."""
        cfg = self.config
        t_first, shift, tr = first
        fb = tr.final
        assert fb is not None
        span_a = max(earliest, t_first - cfg.final_rev_search * period)
        span_b = t_first + (cfg.final_rev_search + 2) * period
        coast = search.coast_after_offset_burns(span_a, shift, phased)
        if coast is None:
            return []
        passes = search.passes(coast, span_a, span_b)
        ascending = math.cos(fb.footprint.centre_bearing_rad) > 0.0
        if not passes:
            return []
        match = [p for p in passes if p.ascending == ascending and 0.0 <= p.t_s - fb.t_ignition_s < period]
        bias: dict[bool, float] = {}
        tried: set[float] = set()
        if match:
            lead_s = match[0].t_s - fb.t_ignition_s
            bias[ascending] = tr.cross_m - match[0].cross_m
            tried.add(match[0].t_s)
        else:  # the first window's pass lies beyond the coast: the ignition leads the impact by about half
            lead_s = _LEAD_FRACTION * period  # a revolution (the perigee half an orbit on), no bias yet
        out: list[tuple[float, float, _Trial]] = []
        for _ in range(_PASS_TRIALS):
            def predicted(p: _Pass) -> float:
                return p.cross_m + bias.get(p.ascending, bias.get(not p.ascending, 0.0))

            todo = [p for p in passes if p.t_s not in tried
                    and p.t_s - lead_s - 0.5 * cfg.final_window_s >= earliest]
            if not todo:
                break
            p = min(todo, key=lambda q: abs(predicted(q)))
            tried.add(p.t_s)
            t_w = p.t_s - lead_s - 0.5 * cfg.final_window_s
            trial = search.trial(t_w, shift, phased)
            if trial.final is None:
                continue
            out.append((t_w, shift, trial))
            ff = trial.final
            asc = math.cos(ff.footprint.centre_bearing_rad) > 0.0
            if asc == p.ascending and abs(ff.t_ignition_s + lead_s - p.t_s) < 0.25 * period:
                bias[asc] = trial.cross_m - p.cross_m
            if abs(trial.cross_m) <= max(cfg.phasing_tol_m, _PASS_GOOD_M):
                break
        return out

    def _phase(self, search: _Search, start: tuple[float, float, _Trial],
               phased: int) -> tuple[float, float, _Trial]:
        """Tune the phased burn's timing for one final revolution: a secant iteration on the cross-track
        miss, which moves almost linearly with the timing (module docstring), kept inside the phasing
        window; a step that lands on another root of the final burn (a jump of the miss by a ground-track
        spacing) or on an infeasible plan is halved."""
        cfg = self.config
        w = cfg.phasing_window_s
        t_final, x0, t0 = start
        best = start
        x1 = x0 + (0.5 * w if x0 <= 0.0 else -0.5 * w)
        f0 = t0.cross_m
        for _ in range(cfg.phasing_max_iter):
            t1 = search.trial(t_final, x1, phased)
            if t1.final is None or abs(t1.cross_m - f0) > _JUMP_M:
                x1 = 0.5 * (x0 + x1)  # back towards the last good timing
                if abs(x1 - x0) < 1.0:
                    break
                continue
            if abs(t1.cross_m) < abs(best[2].cross_m):
                best = (t_final, x1, t1)
            if abs(t1.cross_m) <= cfg.phasing_tol_m:
                break
            slope = (t1.cross_m - f0) / (x1 - x0)
            if slope == 0.0:
                break
            x_next = min(w, max(-w, x1 - t1.cross_m / slope))
            if abs(x_next - x1) < 1.0:
                break  # pinned at the edge of the window: the miss cannot be removed with this burn
            x0, f0, x1 = x1, t1.cross_m, x_next
        return best

    def _phase_in_orbit(self, search: _Search, start: tuple[float, float, _Trial], phased: int,
                        period_s: float) -> tuple[float, float, _Trial]:
        """Tune where in its orbit the phased burn fires: ``phasing_grid`` timings evenly over one revolution
        centred on the best so far (inside the phasing window), then bisection on a sign change of the
        cross-track miss between neighbours. The burn lowers the osculating perigee to its target, so its
        size, and the orbit it leaves, depend on where in the orbit it fires (J2's short-period terms move
        the osculating perigee by several km around the orbit): a lever of some tens of km across the
        track that the secant over the timing, which sees it as noise, does not use."""
        cfg = self.config
        w = cfg.phasing_window_s
        t_final, x_best, _ = start
        best = start
        n = max(0, cfg.phasing_grid)
        if n < 2 or period_s <= 0.0:
            return best
        xs = [min(w, max(-w, x_best + period_s * (j / n - 0.5))) for j in range(n + 1)]
        samples: list[tuple[float, _Trial]] = []
        for x in xs:
            tr = start[2] if x == x_best else search.trial(t_final, x, phased)
            if tr.final is None or abs(tr.cross_m - start[2].cross_m) > _JUMP_M:
                continue
            samples.append((x, tr))
            if abs(tr.cross_m) < abs(best[2].cross_m):
                best = (t_final, x, tr)
        for (xa, ta), (xb, tb) in itertools.pairwise(samples):
            if abs(best[2].cross_m) <= cfg.phasing_tol_m:
                break
            if (ta.cross_m > 0.0) == (tb.cross_m > 0.0):
                continue
            lo, hi, f_lo = xa, xb, ta.cross_m
            for _ in range(cfg.phasing_max_iter):
                mid = 0.5 * (lo + hi)
                tm = search.trial(t_final, mid, phased)
                if tm.final is None:
                    break
                if abs(tm.cross_m) < abs(best[2].cross_m):
                    best = (t_final, mid, tm)
                if abs(tm.cross_m) <= cfg.phasing_tol_m:
                    break
                if (tm.cross_m > 0.0) == (f_lo > 0.0):
                    lo, f_lo = mid, tm.cross_m
                else:
                    hi = mid
        return best

    def _schedule(self, orbit: OrbitState, t_final: float, shift_s: float,
                  phased: int | None) -> list[tuple[int, LoweringBurnSpec, float]]:
        """The remaining lowering burns (index, spec, ignition) in time order for a final window at
        ``t_final`` with the phased burn moved by ``shift_s``."""
        cfg = self.config
        earliest = orbit.t_s + cfg.min_lead_s
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
        return schedule

    def _trial(self, orbit: OrbitState, t_final: float, shift_s: float, phased: int | None) -> _Trial:
        """The exact pass: propagate the remaining campaign with the C core and solve its burns."""
        cfg = self.config
        self.evaluations += 1
        model = replace(cfg.model, dry_mass_kg=cfg.dry_mass_kg, burn=None)
        t, r, v, m = orbit.t_s, np.asarray(orbit.r_eci_m), np.asarray(orbit.v_eci_mps), orbit.mass_kg
        burns: list[PlannedBurn] = []
        try:
            for i, spec, t_ig in self._schedule(orbit, t_final, shift_s, phased):
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
                next_ignition_s: float | None = None) -> float:
    """The IMU output and control rate for this phase (``m`` is ``config.burn_rate_margin_s``):

    - the burn rate from ``m`` before each planned ignition until ``m`` after its planned cutoff;
    - the slew rate from ``arm_lead_s + m`` before an ignition until the burn rate starts: arming, the
      slew to the burn attitude and settling (the stack turns at most 0.2 deg/s);
    - armed outside those windows: the slew rate while the sequencer's burn (``next_ignition_s``) is
      more than ``m`` away, the burn rate otherwise (a burn running long, a trim);
    - the coast rate otherwise."""
    m = config.burn_rate_margin_s
    slew = False
    if plan is not None:
        for b in plan.burns:
            if b.t_ignition_s - m <= t_s < b.t_ignition_s + b.duration_s + m:
                return config.imu_rate_burn_hz
            slew = slew or b.t_ignition_s - config.arm_lead_s - m <= t_s < b.t_ignition_s - m
    if armed:
        if next_ignition_s is not None and t_s < next_ignition_s - m:
            return config.imu_rate_slew_hz
        return config.imu_rate_burn_hz
    return config.imu_rate_slew_hz if slew else config.imu_rate_coast_hz


def next_rate_change_s(t_s: float, plan: CampaignPlan | None, config: FlightConfig) -> float:
    """The next time after ``t_s`` at which the unarmed :func:`imu_rate_hz` changes (inf when it never
    does): the executive wakes no later than this (a coast sample may span at most this interval)."""
    if plan is None:
        return math.inf
    m = config.burn_rate_margin_s
    edges = []
    for b in plan.burns:
        t_ig = b.t_ignition_s
        edges += [t_ig - config.arm_lead_s - m, t_ig - m, t_ig + b.duration_s + m]
    future = [e for e in edges if e > t_s]
    return min(future) if future else math.inf
