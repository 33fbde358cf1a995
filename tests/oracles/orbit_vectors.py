"""Writes tests/vectors/orbit.vec from its authorities: closed forms (the harmonic oscillator, Kepler's
equation), textbook element formulas and the pure-numpy oracle tests/oracles/orbit.py.

Run from the repository root: ``python -m tests.oracles.orbit_vectors``. The expected values of each line
come from the authority named in the file's provenance comments, never from the C core.
"""

from __future__ import annotations

import math

import numpy as np

from tests.oracles import orbit as P
from tests.vectorfile import VECTOR_DIR, format_line, write_vectors

GM = 3.986004418e14
T0 = 946728000.0 + 30 * 365.25 * 86400.0  # about 2030-01-01


def kepler_state(el: tuple[float, ...], dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Two-body state after dt by Kepler's equation (Newton iteration to machine precision)."""
    a, e, inc, raan, argp, nu0 = el
    n = math.sqrt(GM / a**3)
    ecc0 = 2 * math.atan(math.sqrt((1 - e) / (1 + e)) * math.tan(nu0 / 2))
    mean = ecc0 - e * math.sin(ecc0) + n * dt
    ecc = mean
    for _ in range(100):
        ecc -= (ecc - e * math.sin(ecc) - mean) / (1 - e * math.cos(ecc))
    nu = 2 * math.atan2(math.sqrt(1 + e) * math.sin(ecc / 2), math.sqrt(1 - e) * math.cos(ecc / 2))
    return P.state_from_elements(GM, (a, e, inc, raan, argp, nu))


def lines() -> list[str]:
    out: list[str] = []
    # closed-form oscillator y = sin t
    for t1, n in ((10.0, 1000), (3.0, 300), (20.0, 4000)):
        out.append(format_line("orbit_rk4_oscillator", 0, 1e-8, [t1, n], [math.sin(t1), math.cos(t1)]))
    for rtol, level in ((1e-10, 0.5), (1e-12, -0.25), (1e-9, 0.9)):
        t_ev = math.pi - math.asin(level)
        out.append(format_line("orbit_dp54_event", 0, 1e-7, [rtol, level], [t_ev, level]))
    for rtol, t1 in ((1e-10, 10.0), (1e-12, 30.0)):
        out.append(format_line("orbit_dp54_steps", 0, 1e-8, [rtol, 100000, t1], [math.sin(t1), math.cos(t1)]))
    out.append(format_line("orbit_dp54_steps", 6, 0.0, [1e-10, 5, 10.0], [0.0, 0.0]))
    out.append(format_line("orbit_dp54_steps", 3, 0.0, [0.0, 100, 10.0], [0.0, 0.0]))
    out.append(format_line("orbit_dp54_steps", 3, 0.0, [1e-10, 100, -1.0], [0.0, 0.0]))
    out.append(format_line("orbit_dp54_steps", 2, 0.0, [1e-10, 100, math.inf], [0.0, 0.0]))
    out.append(format_line("orbit_rk4_oscillator", 3, 0.0, [-1.0, 10], [0.0, 0.0]))
    out.append(format_line("orbit_rk4_oscillator", 2, 0.0, [math.nan, 10], [0.0, 0.0]))
    # Kepler's equation
    re = 6378137.0
    for el, dt in (
        ((re + 400e3, 0.001, 0.9, 1.0, 0.5, 0.1), 5400.0),
        ((re + 172.5e3, 0.0042, math.radians(51.64), 2.0, 2.0, math.pi), 86400.0),
        ((26_560e3, 0.7, 1.1, 4.0, 5.0, 3.0), 43200.0),
        ((42_164e3, 0.0002, 0.001, 0.2, 0.3, 0.4), 86400.0),
    ):
        r, v = kepler_state(el, dt)
        out.append(format_line("orbit_two_body", 0, 0.05, [*el, dt], [*r, *v]))
    # elements by the textbook formulas
    for el in (
        (re + 400e3, 0.001, 0.9, 1.0, 0.5, 0.1),
        (re + 172.5e3, 0.0042, math.radians(51.64), 2.0, 2.0, 3.0),
        (26_560e3, 0.7, 2.5, 4.0, 5.0, 3.0),
    ):
        r, v = P.state_from_elements(GM, el)
        out.append(format_line("orbit_state_from_elements", 0, 1e-6, el, [*r, *v]))
        ref = P.elements_from_state(GM, r, v)
        out.append(format_line("orbit_elements_a", 0, 1e-5, [*r, *v], [ref[0]]))
        out.append(format_line("orbit_elements_angles", 0, 1e-9, [*r, *v], ref[1:]))
        out.append(format_line("orbit_apsis", 0, 1e-5, [*r, *v], list(P.apsis_altitudes(GM, re, r, v))))
    out.append(format_line("orbit_elements_a", 3, 0.0, [7e6, 0, 0, 0, 12e3, 0], [0.0]))
    out.append(format_line("orbit_elements_a", 10, 0.0, [7e6, 0, 0, 1e3, 0, 0], [0.0]))
    out.append(format_line("orbit_state_from_elements", 3, 0.0, [7e6, 1.2, 0, 0, 0, 0], [0] * 6))
    # oracle: force model and propagation of the campaign stack (200 x 145 km, 450 t)
    r0, v0 = P.aligned_state(T0)
    y0 = np.concatenate([r0, v0, [450e3]])
    m = P.Model()
    for t, burn in ((T0, (0.0, 0.0)), (T0 + 100.0, (T0, 600.0)), (T0, (T0, 600.0))):
        mb = P.Model(burn_start_s=burn[0], burn_duration_s=burn[1])
        d = P.deriv(mb, t, y0, P.burning_at(mb, t))
        out.append(format_line("orbit_deriv", 0, 1e-12, [t, *y0, *burn], d))
    y1 = P.propagate(m, P.Tol(), T0, y0, T0 + 5400.0)
    out.append(format_line("orbit_propagate", 0, 0.05, [T0, *y0, T0 + 5400.0], y1))
    out.append(format_line("orbit_propagate", 2, 0.0, [T0, math.nan, *y0[1:], T0 + 10.0], [0.0] * 7))
    out.append(format_line("orbit_propagate", 3, 0.0, [T0, *y0, T0 - 10.0], [0.0] * 7))
    # oracle: re-entry of the stack with a final burn
    cfg = P.EntryCfg()
    for burn in ((T0 + 3600.0, 1500.0), (T0 + 3000.0, 1300.0)):
        mb = P.Model(burn_start_s=burn[0], burn_duration_s=burn[1])
        fp = P.predict(mb, cfg, T0, y0)
        args = [T0, *y0, *burn]
        out.append(format_line("entry_times", 0, 1e-2, args, [fp.t_interface_s, fp.t_breakup_s]))
        points = [fp.breakup_lat_rad, fp.breakup_lon_rad, *fp.heel, *fp.toe, *fp.centre]
        out.append(format_line("entry_points", 0, 2e-6, args, points))
        out.append(format_line("entry_length", 0, 20.0, args, [fp.length_m]))
    below = y0.copy()
    below[:3] *= 6_300_000.0 / np.linalg.norm(y0[:3])
    out.append(format_line("entry_times", 4, 0.0, [T0, *below, 0.0, 0.0], [0.0, 0.0]))
    low = y0.copy()
    low[:3] *= (6_378_137.0 + 100e3) / np.linalg.norm(y0[:3])
    out.append(format_line("entry_times", 3, 0.0, [T0, *low, 0.0, 0.0], [0.0, 0.0]))
    out.append(format_line("entry_times", 7, 0.0, [T0, *y0, T0, 4e5], [0.0, 0.0]))
    # zone test (the SPOUA approximation, shared reference zone_spoua_approx.json)
    zone = [math.radians(x) for x in (-35, -165, -35, -100, -56, -100, -56, -165)]
    for lat, lon, inside in ((-48.8767, -123.3933, 1), (-30.0, -123.0, 0), (-50.0, -170.0, 0),
                             (-55.9, -100.1, 1), (-40.0, 170.0, 0), (-40.0, -99.0, 0)):
        out.append(format_line("target_inside_zone", 0, 0.0, [*zone, math.radians(lat), math.radians(lon)],
                               [inside]))
    # oracle: perigee-lowering burns (scipy brentq on the oracle's propagation)
    r1, v1 = P.state_from_elements(GM, (re + 220e3, 0.0005, math.radians(51.64), 1.0, 0.0, 0.0))
    y1c = np.concatenate([r1, v1, [450e3]])
    for t_ig, hp in ((T0 + 100.0, 145e3), (T0 + 1000.0, 180e3)):
        dur = P.solve_perigee(m, P.Tol(), T0, y1c, t_ig, hp, 3600.0, xtol=1e-5)
        out.append(format_line("target_perigee_burn", 0, 1e-2, [T0, *y1c, t_ig, hp, 3600.0], [dur]))
    out.append(format_line("target_perigee_burn", 7, 0.0, [T0, *y1c, T0 + 100.0, 50e3, 60.0], [0.0]))
    out.append(format_line("target_perigee_burn", 7, 0.0, [T0, *y1c, T0 + 100.0, 300e3, 600.0], [0.0]))
    return out


PROVENANCE = [
    "provenance: orbit area of the core (fb_ode, fb_orbit, fb_entry, fb_target); written by",
    "python -m tests.oracles.orbit_vectors. Authorities: orbit_rk4_oscillator, orbit_dp54_*,",
    "the closed form y = sin t of y'' = -y; orbit_two_body, Kepler's equation solved by Newton iteration",
    "(two-body, J2-J4 and drag off, rtol 1e-12: 5 cm after a day); orbit_elements_*,",
    "orbit_state_from_elements and orbit_apsis, the textbook vector formulas (Vallado 2013, algorithms 9",
    "and 10) in tests/oracles/orbit.py; orbit_deriv, orbit_propagate, entry_* and target_perigee_burn,",
    "the pure-numpy oracle tests/oracles/orbit.py (scipy brentq for the burn);",
    "target_inside_zone, points chosen inside and outside the SPOUA rectangle (zone_spoua_approx.json).",
    "Tolerances: seconds for times, radians for angles (2e-6 rad is 13 m), metres and m/s for states.",
]


def main() -> None:
    write_vectors(VECTOR_DIR / "orbit.vec", PROVENANCE, lines())


if __name__ == "__main__":
    main()
