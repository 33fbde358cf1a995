"""Writes the environment area's vector files, tests/vectors/env_*.vec.

Run ``python -m tests.oracles.env_vectors`` from the worktree root after building the core.

Published values are typed in here with their source; every other expected value comes from the
independent oracles in tests/oracles/frames.py and tests/oracles/environment.py, never from the core.
Inputs that are only geometry (a position on the bulge apex) may come from anywhere; the expected
value is what is checked.
"""

from __future__ import annotations

import math

import numpy as np

from tests.oracles import environment as E
from tests.oracles import frames as F
from tests.vectorfile import VECTOR_DIR, format_line, write_vectors

NAN = float("nan")
OK, E_NONFINITE, E_RANGE, E_DEGENERATE = 0, 2, 3, 10
# outputs per case (a failing case's outputs are placeholders the runner does not compare)
N_OUT = {"time_jd_from_utc": 1, "time_j2000_s_from_utc": 1, "time_gmst_rad": 1, "frame_ecef_from_eci": 3,
         "frame_eci_from_ecef": 3, "frame_dcm_ecef_from_eci": 9, "frame_ecef_state_from_eci": 6,
         "frame_eci_state_from_ecef": 6,
         "frame_geodetic_from_ecef": 3, "frame_geodetic_from_ecef_m": 3, "frame_ecef_from_geodetic": 3,
         "frame_altitude_m": 1, "frame_dcm_lvlh_from_eci": 9, "frame_great_circle": 2, "grav_accel": 3,
         "atm_density": 1, "atm_sun_eci": 3}


def fail(case: str, status: int, inputs: list[float]) -> str:
    return format_line(case, status, 0.0, inputs, [NAN] * N_OUT[case])


def deg(x: float) -> float:
    return math.radians(x)


def time_lines() -> list[str]:
    jd, j2k, gm = "time_jd_from_utc", "time_j2000_s_from_utc", "time_gmst_rad"
    lines = [
        "# J2000 epoch: 2000-01-01 12:00 = JD 2451545.0 (IAU 1976 definition; Astronomical Almanac)",
        format_line(jd, OK, 0.0, [2000, 1, 1, 12, 0, 0.0], [2451545.0]),
        format_line(j2k, OK, 0.0, [2000, 1, 1, 12, 0, 0.0], [0.0]),
        format_line(j2k, OK, 0.0, [2000, 1, 1, 0, 0, 0.0], [-43200.0]),
        "# Meeus, Astronomical Algorithms (2nd ed.), example 7.a: 1957 Oct 4.81 (19:26:24) = JD 2436116.31",
        format_line(jd, OK, 1e-8, [1957, 10, 4, 19, 26, 24.0], [2436116.31]),
        "# Vallado (2013) example 3-4: 1996 Oct 26 14:20:00 = JD 2450383.09722222 (published to 1e-8 day)",
        format_line(jd, OK, 1e-8, [1996, 10, 26, 14, 20, 0.0], [2450383.09722222]),
        "# Vallado (2013) example 3-5: 1992 Aug 20 12:14 UT1 = JD 2448855.009722 (published to 1e-6 day);",
        "# t_s = (2448854.5 - 2451545) * 86400 + 44040 s exactly",
        format_line(jd, OK, 1e-6, [1992, 8, 20, 12, 14, 0.0], [2448855.009722]),
        format_line(j2k, OK, 0.0, [1992, 8, 20, 12, 14, 0.0], [-232415160.0]),
        "# Gregorian leap rules: 2000 is a leap year (Feb 29 0h = JD 2451603.5), 2100 and 2001 are not",
        format_line(jd, OK, 0.0, [2000, 2, 29, 0, 0, 0.0], [2451603.5]),
        fail(jd, E_RANGE, [2100, 2, 29, 0, 0, 0.0]),
        fail(jd, E_RANGE, [2001, 2, 29, 0, 0, 0.0]),
        "# documented range: years 1900-2199, month 1-12, hour 0-23, minute 0-59, 0 <= second < 61",
        fail(jd, E_RANGE, [1899, 12, 31, 0, 0, 0.0]),
        fail(jd, E_RANGE, [2200, 1, 1, 0, 0, 0.0]),
        fail(jd, E_RANGE, [2020, 13, 1, 0, 0, 0.0]),
        fail(jd, E_RANGE, [2020, 0, 1, 0, 0, 0.0]),
        fail(jd, E_RANGE, [2020, 1, 1, 24, 0, 0.0]),
        fail(j2k, E_RANGE, [2020, 1, 1, 0, 60, 0.0]),
        fail(j2k, E_RANGE, [2020, 1, 1, 0, 0, 61.0]),
        fail(j2k, E_RANGE, [2020, 1, 1, 0, 0, -0.5]),
        fail(j2k, E_NONFINITE, [2020, 1, 1, 0, 0, NAN]),
        "# leap second 2016-12-31 23:59:60.5 may be written (t_s counts it as the next day's 00:00:00.5)",
        format_line(j2k, OK, 0.0, [2016, 12, 31, 23, 59, 60.5],
                    [F.j2000_s_from_utc(2016, 12, 31, 23, 59, 60.5)]),
        "# GMST, IAU 1982 (tolerance 1e-6 deg = 1.75e-8 rad):",
        "# Vallado (2013) example 3-5: 1992 Aug 20 12:14 UT1, GMST = 152.578787810 deg",
        format_line(gm, OK, deg(1e-6), [-232415160.0], [deg(152.578787810)]),
        "# Meeus example 12.a: 1987 Apr 10 0h UT, GMST = 13h10m46.3668s = 197.693195 deg",
        format_line(gm, OK, deg(1e-6), [F.j2000_s_from_utc(1987, 4, 10, 0, 0, 0.0)],
                    [deg((13 + 10 / 60 + 46.3668 / 3600) * 15)]),
        "# Meeus example 12.b: 1987 Apr 10 19:21:00 UT, GMST = 8h34m57.0896s = 128.7378734 deg",
        format_line(gm, OK, deg(1e-6), [F.j2000_s_from_utc(1987, 4, 10, 19, 21, 0.0)],
                    [deg((8 + 34 / 60 + 57.0896 / 3600) * 15)]),
        "# documented range |t_s| <= 1e10 s; NaN rejected",
        fail(gm, E_RANGE, [2e10]),
        fail(gm, E_NONFINITE, [NAN]),
        "# oracle (Meeus eq. 12.4, degree form), tolerance 1e-11 rad:",
    ]
    for t in (0.0, 1.0e8, 9.7e8, -3.0e8, 1234567.891, 8.6e8 + 0.125):
        lines.append(format_line(gm, OK, 1e-11, [t], [F.gmst_rad(t)]))
    return lines


def frames_lines() -> list[str]:
    rng = np.random.default_rng(20311)
    lines = ["# ECI/ECEF against tests/oracles/frames.py (explicit R3 matrices, Meeus GMST);",
             "# tolerance 1e-4 m and 1e-4 m/s (GMST agreement about 1e-12 rad at 7,000 km)"]
    for _ in range(4):
        t = float(rng.uniform(8.0e8, 1.0e9))
        r = rng.normal(size=3) * 4.0e6
        v = rng.normal(size=3) * 4.0e3
        lines.append(format_line("frame_ecef_from_eci", OK, 1e-4, [t, *r], F.ecef_from_eci(t, r)))
        lines.append(format_line("frame_eci_from_ecef", OK, 1e-4, [t, *r], F.eci_from_ecef(t, r)))
        re_, ve = F.ecef_state_from_eci(t, r, v)
        lines.append(format_line("frame_ecef_state_from_eci", OK, 1e-4, [t, *r, *v], [*re_, *ve]))
        ri, vi = F.eci_state_from_ecef(t, r, v)
        lines.append(format_line("frame_eci_state_from_ecef", OK, 1e-4, [t, *r, *v], [*ri, *vi]))
        lines.append(format_line("frame_dcm_ecef_from_eci", OK, 1e-11, [t], F.r3(F.gmst_rad(t)).ravel()))
    lines += [
        fail("frame_ecef_from_eci", E_NONFINITE, [0.0, NAN, 0.0, 0.0]),
        fail("frame_eci_from_ecef", E_RANGE, [2e10, 7e6, 0.0, 0.0]),
        fail("frame_dcm_ecef_from_eci", E_NONFINITE, [NAN]),
        "# a position near the largest double overflows when turned: rejected, not returned as inf",
        fail("frame_ecef_from_eci", E_RANGE, [1e8, 1.7e308, 1.7e308, 0.0]),
        fail("frame_ecef_state_from_eci", E_NONFINITE, [0.0, 7e6, 0, 0, 0, math.inf, 0]),
        fail("frame_eci_state_from_ecef", E_NONFINITE, [NAN, 7e6, 0, 0, 0, 7e3, 0]),
    ]
    lines.append("# geodetic from ECEF against the oracle's 200-pass extended-precision iteration;")
    lines.append("# the _m case gives latitude and longitude as arc lengths (times a), tolerance 1e-6 m")
    b = F.A_M * (1 - F.F)
    exact = [[0.0, 0.0, b], [0.0, 0.0, -b - 400e3], [F.A_M, 0.0, 0.0], [0.0, -F.A_M - 1000.0, 0.0],
             [-(F.A_M - 1000.0), -0.0, 0.0]]
    for pt in exact:
        lines.append(format_line("frame_geodetic_from_ecef", OK, 1e-9, pt, F.geodetic_from_ecef(pt)))
    for _ in range(12):
        lla = [float(rng.uniform(-math.pi / 2, math.pi / 2)), float(rng.uniform(-math.pi, math.pi)),
               float(rng.uniform(-1000.0, 2.0e6))]
        r = F.ecef_from_geodetic(lla)
        g = F.geodetic_from_ecef(r)
        arcs = [g[0] * F.A_M, g[1] * F.A_M, g[2]]
        lines.append(format_line("frame_geodetic_from_ecef_m", OK, 1e-6, r, arcs))
        lines.append(format_line("frame_ecef_from_geodetic", OK, 1e-6, lla, r))
    lines += [
        "# documented limits: closer than 50 km or beyond 1e10 m, |lat| > pi/2, h outside -1000 km..1e10 m",
        fail("frame_geodetic_from_ecef", E_RANGE, [0.0, 0.0, 0.0]),
        fail("frame_geodetic_from_ecef", E_RANGE, [2.8e4, 2.8e4, 2.8e4]),
        fail("frame_geodetic_from_ecef", E_RANGE, [1e200, 0.0, 0.0]),
        fail("frame_ecef_from_geodetic", E_RANGE, [0.0, 0.0, 2e10]),
        fail("frame_geodetic_from_ecef_m", E_NONFINITE, [NAN, 0.0, 7e6]),
        fail("frame_ecef_from_geodetic", E_RANGE, [2.0, 0.0, 0.0]),
        fail("frame_ecef_from_geodetic", E_RANGE, [0.0, 0.0, -2e6]),
        fail("frame_ecef_from_geodetic", E_NONFINITE, [0.0, math.inf, 0.0]),
        "# altitude of an ECI point: the oracle's geodetic height (the rotation does not change it)",
    ]
    for _ in range(4):
        t = float(rng.uniform(8.0e8, 1.0e9))
        r = rng.normal(size=3)
        r = r / np.linalg.norm(r) * rng.uniform(6.3e6, 8.4e6)
        lines.append(format_line("frame_altitude_m", OK, 1e-6, [t, *r],
                                 [F.geodetic_from_ecef(F.ecef_from_eci(t, r))[2]]))
    lines += [
        fail("frame_altitude_m", E_RANGE, [0.0, 1.0, 2.0, 3.0]),
        fail("frame_altitude_m", E_RANGE, [0.0, 0.0, -1e300, 0.0]),
        fail("frame_altitude_m", E_RANGE, [-2e10, 7e6, 0.0, 0.0]),
        "# LVLH by its definition in fb_frames.h: r along x, v along y gives x_lvlh = +y, y_lvlh = -z, "
        "z_lvlh = -x (exact)",
        format_line("frame_dcm_lvlh_from_eci", OK, 0.0, [7e6, 0, 0, 0, 7.5e3, 0],
                    [0, 1, 0, 0, 0, -1, -1, 0, 0]),
    ]
    for _ in range(3):
        r = rng.normal(size=3) * 4e6
        v = rng.normal(size=3) * 4e3
        lines.append(format_line("frame_dcm_lvlh_from_eci", OK, 1e-14, [*r, *v],
                                 F.dcm_lvlh_from_eci(r, v).ravel()))
    lines += [
        fail("frame_dcm_lvlh_from_eci", E_DEGENERATE, [7e6, 0, 0, 1e3, 0, 0]),
        fail("frame_dcm_lvlh_from_eci", E_DEGENERATE, [0, 0, 0, 1e3, 0, 0]),
        fail("frame_dcm_lvlh_from_eci", E_DEGENERATE, [7e6, 0, 0, 0, 0, 0]),
        "# great circles: a quarter of the equator (bearing east) and equator to pole (bearing north), exact",
        format_line("frame_great_circle", OK, 1e-9, [0, 0, 0, math.pi / 2],
                    [F.MEAN_RADIUS_M * math.pi / 2, math.pi / 2]),
        format_line("frame_great_circle", OK, 1e-9, [0, 0, math.pi / 2, 0],
                    [F.MEAN_RADIUS_M * math.pi / 2, 0]),
        format_line("frame_great_circle", OK, 1e-9, [0.3, 1.0, 0.3, 1.0], [0.0, 0.0]),
        "# against the oracle (unit vectors), tolerance 1e-6 (m and rad)",
    ]
    for _ in range(6):
        p = [float(rng.uniform(-1.5, 1.5)), float(rng.uniform(-3, 3)), float(rng.uniform(-1.5, 1.5)),
             float(rng.uniform(-3, 3))]
        lines.append(format_line("frame_great_circle", OK, 1e-6, p, F.great_circle(*p)))
    lines += [
        fail("frame_great_circle", E_RANGE, [1.6, 0, 0, 0]),
        fail("frame_great_circle", E_NONFINITE, [0, 0, NAN, 0]),
    ]
    return lines


def gravity_lines() -> list[str]:
    g = E.Grav()
    model = [g.gm, g.re, g.j2, g.j3, g.j4]
    lines = [
        "# fb_grav_default: shared reference earth_constants.json (WGS-84 GM and a; EGM96 J2, J3, J4), exact",
        format_line("grav_default", OK, 0.0, [], model),
        "# accelerations against tests/oracles/environment.py (textbook Cartesian J2, J3, J4 terms);",
        "# tolerance 1e-12 m/s^2",
    ]
    rng = np.random.default_rng(4242)
    pts = [np.array([7e6, 0, 0]), np.array([0, 0, 6.6e6]), np.array([0, 0, -6.6e6])]
    for _ in range(8):
        r = rng.normal(size=3)
        pts.append(r / np.linalg.norm(r) * rng.uniform(6.3e6, 4.2e7))
    for r in pts:
        lines.append(format_line("grav_accel", OK, 1e-12, [*model, *r], E.accel(r, g)))
    pm = [g.gm, g.re, 0.0, 0.0, 0.0]
    lines.append("# point mass alone (J terms off): -GM r / |r|^3")
    lines.append(format_line("grav_accel", OK, 1e-15, [*pm, 7e6, 0, 0], [-g.gm / 7e6**2, 0, 0]))
    lines += [
        "# documented limits: within 1,000 km of the centre, GM or Re not positive, NaN",
        fail("grav_accel", E_RANGE, [*model, 0.0, 0.0, 0.0]),
        fail("grav_accel", E_RANGE, [-1.0, *model[1:], 7e6, 0, 0]),
        fail("grav_accel", E_RANGE, [model[0], 0.0, *model[2:], 7e6, 0, 0]),
        fail("grav_accel", E_RANGE, [*model[:2], NAN, *model[3:], 7e6, 0, 0]),
        fail("grav_accel", E_NONFINITE, [*model, 7e6, NAN, 0]),
    ]
    return lines


def atmos_lines(t: float, apex: np.ndarray, sun: np.ndarray) -> list[str]:
    """``apex`` and ``sun``: the bulge apex and Sun direction of the core at ``t`` (geometry inputs only)."""
    lines = ["# Vallado (2013) table 8-4 at every node h0: rho = rho0 (relative tolerance 1e-12)"]
    r = [7e6, 0.0, 0.0]
    for h0, rho0, _ in E.EXPONENTIAL:
        lines.append(format_line("atm_density", OK, 1e-12 * rho0, [0, 1.0, 3, 0.0, *r, h0 * 1000.0], [rho0]))
    lines.append("# inside the bands, below 0 km and above 1000 km (the end bands continue): the oracle")
    for h_km in (-0.5, 12.0, 99.999, 137.0, 420.0, 999.0, 1000.0, 1500.0):
        rho = E.exponential_density(h_km * 1000)
        lines.append(format_line("atm_density", OK, 1e-12 * rho, [0, 1.0, 3, 0.0, *r, h_km * 1000.0], [rho]))
    lines.append("# scale factor multiplies")
    rho = E.exponential_density(300e3)
    lines.append(format_line("atm_density", OK, 1e-12 * rho, [0, 1.7, 3, 0.0, *r, 300e3], [1.7 * rho]))
    lines.append("# Montenbruck and Gill (2000) table 3.8 at every node: rho_min at the antapex, rho_max")
    lines.append("# at the bulge apex (n = 3; relative tolerance 1e-12); the apex from the core's Sun at t_s")
    for h, rmin, rmax in E.HARRIS_PRIESTER:
        for sign, want in ((-1.0, rmin), (1.0, rmax)):
            pos = sign * apex * 6.8e6
            rho = 1e-12 * want
            lines.append(format_line("atm_density", OK, 1e-12 * rho, [1, 1.0, 3, t, *pos, h * 1000.0], [rho]))
    lines.append("# between nodes, above the table, hand-over below 100 km: the oracle with the core's Sun")
    rng = np.random.default_rng(77)
    for h_km in (-1.0, 50.0, 95.0, 99.9, 100.0, 115.0, 333.0, 459.0, 600.0):
        d = rng.normal(size=3)
        pos = d / np.linalg.norm(d) * (6.4e6 + h_km * 1e3)
        for n in (2, 6):
            rho = E.harris_priester_density(t, pos, h_km * 1000.0, n=n, u_sun=sun)
            lines.append(format_line("atm_density", OK, 1e-12 * rho, [1, 0.8, n, t, *pos, h_km * 1000.0],
                                     [0.8 * rho]))
    lines += [
        "# limits: unknown kind, scale <= 0, h < -100 km, hp_n outside 2..6, zero position (HP), NaN",
        fail("atm_density", E_RANGE, [2, 1.0, 3, 0.0, *r, 4e5]),
        fail("atm_density", E_RANGE, [0, 0.0, 3, 0.0, *r, 4e5]),
        fail("atm_density", E_RANGE, [0, 1.0, 3, 0.0, *r, -1.5e5]),
        fail("atm_density", E_RANGE, [1, 1.0, 3, 0.0, *r, -1e300]),
        fail("atm_density", E_RANGE, [0, 1.7e308, 3, 0.0, *r, -9e4]),
        fail("atm_density", E_RANGE, [1, 1.0, 7, 0.0, *r, 4e5]),
        fail("atm_density", E_RANGE, [1, 1.0, 1, 0.0, *r, 4e5]),
        fail("atm_density", E_DEGENERATE, [1, 1.0, 3, 0.0, 0, 0, 0, 4e5]),
        fail("atm_density", E_NONFINITE, [0, 1.0, 3, 0.0, *r, NAN]),
        fail("atm_density", E_NONFINITE, [0, NAN, 3, 0.0, *r, 4e5]),
        "# Sun direction against Meeus ch. 25 (low accuracy); tolerance 2e-4 per component (0.01 deg)",
    ]
    for ts in (0.0, 8.5e8, -2.0e8, 3.3e8, 1.0e9):
        lines.append(format_line("atm_sun_eci", OK, 2e-4, [ts], E.sun_eci(ts)))
    lines += [fail("atm_sun_eci", E_NONFINITE, [NAN]),
              fail("atm_sun_eci", E_RANGE, [-2e10])]
    return lines


def main() -> None:
    # The bulge apex of the core is only used as a position input (where rho_max must be returned).
    from firmware_bindings.environment import sun_direction_eci

    t = 8.5e8
    s = sun_direction_eci(t)
    lag = math.radians(30.0)
    apex = np.array([math.cos(lag) * s[0] - math.sin(lag) * s[1], math.sin(lag) * s[0] + math.cos(lag) * s[1],
                     s[2]])
    write_vectors(VECTOR_DIR / "env_time.vec",
                  ["provenance: published examples named on each group (Vallado 2013, Meeus 1998, IAU J2000)",
                   "and the oracle tests/oracles/frames.py; written by python -m tests.oracles.env_vectors"],
                  time_lines())
    write_vectors(VECTOR_DIR / "env_frames.vec",
                  ["provenance: the independent oracle tests/oracles/frames.py, definitions in fb_frames.h;",
                   "written by python -m tests.oracles.env_vectors"], frames_lines())
    write_vectors(VECTOR_DIR / "env_gravity.vec",
                  ["provenance: shared reference earth_constants.json and tests/oracles/environment.py;",
                   "written by python -m tests.oracles.env_vectors"], gravity_lines())
    write_vectors(VECTOR_DIR / "env_atmos.vec",
                  ["provenance: Vallado (2013) table 8-4 and Montenbruck and Gill (2000) table 3.8",
                   "(copied in tests/verification/data), Meeus ch. 25 and tests/oracles/environment.py;",
                   "written by python -m tests.oracles.env_vectors"],
                  atmos_lines(t, apex, s))


if __name__ == "__main__":
    main()
