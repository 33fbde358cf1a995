"""The debris footprint of the truth: fragments from a breakup state to the ground."""

from __future__ import annotations

import math

import numpy as np
import pytest

from firmware_bindings import frames, targeting
from firmware_bindings.environment import AtmosphereModel
from hil import scenario
from hil.plant import DebrisFootprint
from hil.plant.debris import footprint, fragment_betas_kg_m2, midpoint_rad, zone_of

T_S = 960_125_000.0
HP = AtmosphereModel("harris-priester")


def _breakup_state(h_m: float = 78e3, fpa_deg: float = -1.2, speed_mps: float = 7600.0) -> tuple[np.ndarray,
                                                                                                   np.ndarray]:
    """A descending state at geodetic altitude h_m over 40 S, 140 W, heading roughly east-north-east."""
    lla = np.array([math.radians(-40.0), math.radians(-140.0), h_m])
    r = frames.eci_from_ecef(T_S, frames.ecef_from_geodetic(lla))
    up = r / np.linalg.norm(r)
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    north = np.cross(up, east)
    horiz = math.cos(math.radians(60.0)) * north + math.sin(math.radians(60.0)) * east
    g = math.radians(fpa_deg)
    return r, speed_mps * (math.cos(g) * horiz + math.sin(g) * up)


@pytest.fixture(scope="module")
def fp() -> DebrisFootprint:
    r, v = _breakup_state()
    return footprint(T_S, r, v, fragment_betas_kg_m2(5.0, 2000.0, 8), HP, targeting.SPOUA_APPROX)


def test_light_fragments_fall_short_and_dense_ones_long(fp: DebrisFootprint) -> None:
    """Along-track distance grows with the ballistic coefficient: the heel is the lightest fragment, the
    toe the densest; every fragment lands after breakup and downrange of it (by more than 50 km)."""
    along = [i.along_km for i in fp.impacts]
    assert along == sorted(along)
    assert fp.heel.beta_kg_m2 == 5.0 and fp.toe.beta_kg_m2 == pytest.approx(2000.0)
    assert all(i.t_s > T_S for i in fp.impacts)
    assert along[0] > 50.0
    assert fp.breakup_alt_km == pytest.approx(78.0, abs=1e-6)


def test_length_centre_and_miss_are_consistent(fp: DebrisFootprint) -> None:
    """The length is the heel-to-toe distance, the centre is equidistant from both (to 1 m), and the
    centre miss is its distance from Point Nemo (to 1 m)."""
    h, t = fp.heel, fp.toe
    d, _ = frames.great_circle(math.radians(h.lat_deg), math.radians(h.lon_deg), math.radians(t.lat_deg),
                               math.radians(t.lon_deg))
    assert fp.length_km == pytest.approx(d / 1e3, abs=1e-3)
    c = (math.radians(fp.center_lat_deg), math.radians(fp.center_lon_deg))
    dh, _ = frames.great_circle(*c, math.radians(h.lat_deg), math.radians(h.lon_deg))
    dt, _ = frames.great_circle(*c, math.radians(t.lat_deg), math.radians(t.lon_deg))
    assert abs(dh - dt) < 1.0 and dh / 1e3 == pytest.approx(fp.length_km / 2, abs=1e-3)
    dn, _ = frames.great_circle(*c, targeting.POINT_NEMO_LAT_RAD, targeting.POINT_NEMO_LON_RAD)
    assert fp.center_miss_km == pytest.approx(dn / 1e3, abs=1e-3)


def test_inside_flags_follow_the_zone(fp: DebrisFootprint) -> None:
    flags = [bool(targeting.inside_zone(math.radians(i.lat_deg), math.radians(i.lon_deg)))
             for i in fp.impacts]
    assert [i.inside_zone for i in fp.impacts] == flags
    assert fp.inside_zone == all(flags)


def test_summary_holds_the_design_fields(fp: DebrisFootprint) -> None:
    """DESIGN.md section 9: impacts as {beta_kg_m2, lat_deg, lon_deg}; heel, toe, length_km,
    center_miss_km, inside_zone."""
    s = fp.summary()
    assert {"impacts", "heel", "toe", "length_km", "center_miss_km", "inside_zone"} <= set(s)
    assert set(s["impacts"][0]) == {"beta_kg_m2", "lat_deg", "lon_deg"}
    assert len(s["impacts"]) == 8


def test_bad_betas_are_rejected() -> None:
    r, v = _breakup_state()
    with pytest.raises(ValueError, match="ballistic"):
        footprint(T_S, r, v, [5.0, -1.0], HP, targeting.SPOUA_APPROX)
    with pytest.raises(ValueError, match="ballistic"):
        footprint(T_S, r, v, [], HP, targeting.SPOUA_APPROX)


def test_midpoint_of_two_points_on_the_equator() -> None:
    lat, lon = midpoint_rad(0.0, 0.0, 0.0, math.radians(90.0))
    assert lat == pytest.approx(0.0, abs=1e-15) and lon == pytest.approx(math.radians(45.0), abs=1e-15)


def test_scenario_zone_is_the_reference_zone() -> None:
    z = zone_of(scenario.load("iss-deorbit"))
    assert z.aim_lat_rad == pytest.approx(targeting.POINT_NEMO_LAT_RAD, abs=1e-9)
    assert len(z.lat_rad) >= 3
