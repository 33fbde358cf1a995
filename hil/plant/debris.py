"""The truth's debris footprint: fragments from the breakup state propagated to the ground.

At breakup (the truth reaching the scenario's breakup altitude) the stack becomes ``fragment_count``
fragments that start from the stack's position and velocity, with ballistic coefficients m / (Cd A)
log-spaced over the scenario's range (light fragments make the heel of the footprint, dense ones the toe).
Each falls to the WGS-84 ellipsoid under the truth's own environment, more detailed than the flight
software's prediction: gravity with J2-J4 and drag in the truth atmosphere (Harris-Priester with the
diurnal bulge times the density scale, co-rotating with the Earth), propagated by the orbit core's adaptive
Dormand-Prince 5(4) with altitude events (``firmware_bindings.orbit.propagate_to_altitude``). Fragments get
no separation velocity and there is no wind: the spread of the footprint comes from the ballistic
coefficients alone.

The footprint follows the definitions of ``csrc/fb_entry.h`` so that truth and prediction compare: impacts
ordered by their along-track distance from the breakup point (the great-circle distance projected on the
ground-track direction at breakup), the heel the least, the toe the greatest, the length the great-circle
distance heel to toe, the centre their great-circle midpoint; "inside" means every impact lies inside the
target zone's polygon, and the centre miss is the great-circle distance from the aim point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from firmware_bindings import frames, orbit, targeting
from firmware_bindings.environment import AtmosphereModel, GravityModel

F64Array = npt.NDArray[np.float64]

#: tolerances of the fragment propagation: 1 mm and 1e-6 m/s, events to 1e-4 s (about 1 cm of altitude
#: at the end of a fall); the impact points move by far less than a metre between this and 1e-9
FRAGMENT_TOL = orbit.Tolerance(rtol=1e-8, atol_r_m=1e-3, atol_v_mps=1e-6, atol_m_kg=1e-6, h_max_s=60.0,
                               max_steps=200_000, event_tol_s=1e-4)
#: the longest fall from breakup to the ground
MAX_FALL_S = 4 * 3600.0


@dataclass(frozen=True)
class Impact:
    beta_kg_m2: float
    t_s: float
    lat_deg: float
    lon_deg: float
    along_km: float  # along-track distance from the breakup point
    inside_zone: bool


@dataclass(frozen=True)
class DebrisFootprint:
    """Where the truth's fragments fell (angles in degrees, distances in km)."""

    t_breakup_s: float
    breakup_alt_km: float
    breakup_lat_deg: float
    breakup_lon_deg: float
    track_bearing_deg: float  # ground-track direction at breakup, clockwise from north
    impacts: tuple[Impact, ...]  # in ballistic-coefficient order
    heel: Impact
    toe: Impact
    length_km: float
    center_lat_deg: float
    center_lon_deg: float
    aim_lat_deg: float
    aim_lon_deg: float
    center_miss_km: float
    inside_zone: bool  # every impact inside the zone

    def summary(self) -> dict[str, Any]:
        """The ``footprint`` block of the run summary (DESIGN.md section 9), JSON-ready."""
        def point(i: Impact) -> dict[str, float]:
            return {"lat_deg": i.lat_deg, "lon_deg": i.lon_deg}

        return {
            "impacts": [{"beta_kg_m2": i.beta_kg_m2, "lat_deg": i.lat_deg, "lon_deg": i.lon_deg}
                        for i in self.impacts],
            "heel": point(self.heel),
            "toe": point(self.toe),
            "length_km": self.length_km,
            "center": {"lat_deg": self.center_lat_deg, "lon_deg": self.center_lon_deg},
            "center_miss_km": self.center_miss_km,
            "inside_zone": self.inside_zone,
        }


def fragment_betas_kg_m2(beta_min: float, beta_max: float, count: int) -> F64Array:
    """``count`` ballistic coefficients log-spaced from beta_min to beta_max."""
    return np.geomspace(beta_min, beta_max, count)


def track_bearing_rad(t_s: float, r_eci_m: F64Array, v_eci_mps: F64Array) -> float:
    """Direction of the Earth-relative horizontal velocity, clockwise from north."""
    r_ecef, v_ecef = frames.ecef_state_from_eci(t_s, r_eci_m, v_eci_mps)
    lat, lon, _ = frames.geodetic_from_ecef(r_ecef)
    east = np.array([-math.sin(lon), math.cos(lon), 0.0])
    north = np.array([-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon), math.cos(lat)])
    return math.atan2(float(v_ecef @ east), float(v_ecef @ north)) % (2 * math.pi)


def midpoint_rad(lat1: float, lon1: float, lat2: float, lon2: float) -> tuple[float, float]:
    """Great-circle midpoint of two points (latitude and longitude treated as spherical)."""
    def unit(lat: float, lon: float) -> F64Array:
        return np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])

    m = unit(lat1, lon1) + unit(lat2, lon2)
    n = float(np.linalg.norm(m))
    if n < 1e-12:  # antipodal: no unique midpoint; take the first point's meridian
        return 0.0, lon1
    m /= n
    return math.asin(max(-1.0, min(1.0, float(m[2])))), math.atan2(float(m[1]), float(m[0]))


def footprint(t_breakup_s: float, r_eci_m: npt.ArrayLike, v_eci_mps: npt.ArrayLike,
              betas_kg_m2: npt.ArrayLike, atmosphere: AtmosphereModel, zone: targeting.Zone,
              gravity: GravityModel | None = None, omega_earth_rad_s: float = 7.292115e-5) -> DebrisFootprint:
    """Propagate one fragment per ballistic coefficient from the breakup state to the ground."""
    r0 = np.asarray(r_eci_m, dtype=np.float64)
    v0 = np.asarray(v_eci_mps, dtype=np.float64)
    betas = np.asarray(betas_kg_m2, dtype=np.float64)
    if betas.ndim != 1 or betas.size < 1 or not np.all(betas > 0.0):
        raise ValueError("betas_kg_m2 must be a non-empty 1-d array of positive ballistic coefficients")
    # the drag term is Cd A / m = 1 / beta: unit drag coefficient and area, mass beta
    model = orbit.ForceModel(gravity=gravity or GravityModel.default(), atmosphere=atmosphere,
                             omega_earth_rad_s=omega_earth_rad_s, drag=True, cd=1.0, area_m2=1.0)
    lla_b = frames.geodetic_from_ecef(frames.ecef_from_eci(t_breakup_s, r0))
    lat_b, lon_b = float(lla_b[0]), float(lla_b[1])
    bearing = track_bearing_rad(t_breakup_s, r0, v0)
    impacts: list[tuple[float, float, float, float, float]] = []
    for beta in betas:
        st = orbit.propagate_to_altitude(t_breakup_s, r0, v0, float(beta), 0.0, t_breakup_s + MAX_FALL_S,
                                         "descending", model, FRAGMENT_TOL)
        if not st.event:
            raise RuntimeError(f"a fragment of beta {beta:g} kg/m^2 did not reach the ground within "
                               f"{MAX_FALL_S:g} s of breakup")
        lla = frames.geodetic_from_ecef(frames.ecef_from_eci(st.t_s, st.r_eci_m))
        d, b = frames.great_circle(lat_b, lon_b, float(lla[0]), float(lla[1]))
        along_m = float(d) * math.cos(float(b) - bearing)
        impacts.append((float(beta), st.t_s, float(lla[0]), float(lla[1]), along_m))
    lat = np.array([i[2] for i in impacts])
    lon = np.array([i[3] for i in impacts])
    inside = np.asarray(targeting.inside_zone(lat, lon, zone), dtype=bool)
    rows = tuple(Impact(beta_kg_m2=b, t_s=t, lat_deg=math.degrees(la), lon_deg=math.degrees(lo),
                        along_km=al / 1e3, inside_zone=bool(ins))
                 for (b, t, la, lo, al), ins in zip(impacts, inside, strict=True))
    along = np.array([i[4] for i in impacts])
    heel_i, toe_i = int(np.argmin(along)), int(np.argmax(along))
    h, t = impacts[heel_i], impacts[toe_i]
    length_m, _ = frames.great_circle(h[2], h[3], t[2], t[3])
    c_lat, c_lon = midpoint_rad(h[2], h[3], t[2], t[3])
    miss_m, _ = frames.great_circle(zone.aim_lat_rad, zone.aim_lon_rad, c_lat, c_lon)
    return DebrisFootprint(
        t_breakup_s=float(t_breakup_s), breakup_alt_km=float(lla_b[2]) / 1e3,
        breakup_lat_deg=math.degrees(lat_b), breakup_lon_deg=math.degrees(lon_b),
        track_bearing_deg=math.degrees(bearing), impacts=rows, heel=rows[heel_i], toe=rows[toe_i],
        length_km=float(length_m) / 1e3, center_lat_deg=math.degrees(c_lat),
        center_lon_deg=math.degrees(c_lon), aim_lat_deg=math.degrees(zone.aim_lat_rad),
        aim_lon_deg=math.degrees(zone.aim_lon_rad), center_miss_km=float(miss_m) / 1e3,
        inside_zone=bool(inside.all()))


def zone_of(scenario: Any) -> targeting.Zone:
    """The scenario's target zone and aim point as the targeting core's Zone."""
    z = scenario.zone()
    poly = z["polygon_lat_lon_deg"]
    return targeting.Zone(str(z["name"]), tuple(math.radians(float(p[0])) for p in poly),
                          tuple(math.radians(float(p[1])) for p in poly),
                          math.radians(float(z["aim_point"]["lat_deg"])),
                          math.radians(float(z["aim_point"]["lon_deg"])))


def footprint_from_breakup(plant: Any, event: Any) -> DebrisFootprint:
    """The footprint of a plant's breakup event, with the plant's truth environment and scenario."""
    r = plant.scenario.reentry
    betas = fragment_betas_kg_m2(r.fragment_beta_min_kg_m2, r.fragment_beta_max_kg_m2, r.fragment_count)
    return footprint(event.t_s, event.r_eci_m, event.v_eci_mps, betas, plant.model.atmosphere,
                     zone_of(plant.scenario), plant.model.gravity, plant.model.omega_earth_rad_s)
