"""Writes rigid.vec: ``python -m tests.vectors.gen_rigid`` from the repository root.

Expected values come from the pure-numpy oracle tests/oracles/rigid.py, written from the equations of
csrc/fb_rigid.h (Newton and Euler's equations, the project's quaternion kinematics, classical RK4) on top of
the environment oracles (textbook zonal gravity, Vallado's exponential table, Harris-Priester as in
Montenbruck and Gill, WGS-84 geodesy by fixed-point iteration in extended precision), with the core's Sun
direction placing the Harris-Priester bulge (the environment area verifies it against Meeus). Energies
from the textbook zonal potential. Inputs from a fixed seed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from firmware_bindings.environment import sun_direction_eci
from tests.oracles import rigid as orc
from tests.vectorfile import format_line, write_vectors

HERE = Path(__file__).resolve().parent
SEED = 20261123
NAN = float("nan")
INERTIA = np.array([[1.27e8, -3.1e6, 7.2e6], [-3.1e6, 1.07e8, 1.4e6], [7.2e6, 1.4e6, 2.01e8]])
T0 = 959_774_400.0  # 2030-06-01T00:00:00Z
RE = 6378137.0


def random_quat(rng: np.random.Generator) -> np.ndarray:
    q = rng.standard_normal(4)
    return q / np.linalg.norm(q)


def orbit_state(alt_m: float, fpa_deg: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A position at geodetic altitude alt_m (at T0) in a random direction and a speed near circular with
    the given flight-path angle, in a random plane through it."""
    u = rng.standard_normal(3)
    u /= np.linalg.norm(u)
    r = (RE + alt_m) * u
    for _ in range(4):
        r = r + (alt_m - orc.altitude_m(T0, r)) * u
    t = np.cross(u, rng.standard_normal(3))
    t /= np.linalg.norm(t)
    speed = math.sqrt(3.986004418e14 / np.linalg.norm(r))
    g = math.radians(fpa_deg)
    return r, speed * (math.cos(g) * t + math.sin(g) * u)


def state(rng: np.random.Generator, alt_m: float = 220e3, fpa_deg: float = 0.0, rate: float = 0.02,
          mass: float = 450_000.0) -> np.ndarray:
    r, v = orbit_state(alt_m, fpa_deg, rng)
    y = np.zeros(20)
    y[0:3], y[3:6], y[6:10] = r, v, random_quat(rng)
    y[10:13] = rate * rng.standard_normal(3)
    y[13] = mass
    y[14:20] = rng.standard_normal(6)
    return y


def main() -> None:
    rng = np.random.default_rng(SEED)
    lines: list[str] = []
    hp = orc.Model(INERTIA, cop_body_m=np.array([0.3, -0.5, 2.0]), sun=sun_direction_eci)
    expo = orc.Model(INERTIA, atm_kind=0, atm_scale=1.3, cop_body_m=np.array([1.0, 0.0, 0.0]))
    nodrag = orc.Model(INERTIA, drag_on=False)
    bare = orc.Model(INERTIA, drag_on=False, gravity_gradient_on=False)
    burn = orc.Thrust(np.array([12_000.0, 15.0, -20.0]), np.array([300.0, -1200.0, 800.0]),
                      12_000.0 / 2941.995)
    couple = orc.Thrust(np.zeros(3), np.array([0.0, 0.0, 43_200.0]), 800.0 / 2941.995)
    coast = orc.Thrust()
    # derivatives: |outputs| range from 1e-9 (angular accelerations) to 8e3; the oracle agrees to rounding
    deriv_tol = 1e-11
    for model in (hp, expo, nodrag, bare):
        for thrust in (coast, burn, couple):
            y = state(rng, alt_m=float(rng.uniform(120e3, 400e3)))
            t = T0 + float(rng.uniform(0.0, 86400.0 * 30))
            lines.append(format_line("rb_deriv", 0, deriv_tol, [*model.flat(), *thrust.flat(), t, *y],
                                     orc.derivative(model, thrust, t, y)))
    # propagation: 12 equal steps; positions to 1 mm (rounding over the steps is far below)
    for model, thrust in ((hp, coast), (hp, burn), (expo, couple), (bare, coast)):
        y = state(rng, rate=0.005)
        t0 = T0 + float(rng.uniform(0.0, 86400.0))
        t_end, y1, stopped = orc.propagate(model, thrust, t0, y, t0 + 60.0, 5.0)
        lines.append(format_line("rb_propagate", 0, 1e-3, [*model.flat(), *thrust.flat(), t0, *y, t0 + 60.0,
                                                            5.0, -math.inf], [t_end, float(stopped), *y1]))
    # propagation with a zero-length span: the state comes back unchanged
    y = state(rng)
    lines.append(format_line("rb_propagate", 0, 0.0, [*hp.flat(), *coast.flat(), T0, *y, T0, 5.0, -math.inf],
                             [T0, 0.0, *y]))
    # the altitude stop: descending at -1.5 deg from 90 km, stop at 85 km (located to 1e-6 s; 1 mm)
    for h_stop in (85e3, 80e3):
        y = state(rng, alt_m=90e3, fpa_deg=-1.5, rate=0.001)
        t0 = T0 + float(rng.uniform(0.0, 86400.0))
        t_end, y1, stopped = orc.propagate(hp, coast, t0, y, t0 + 200.0, 5.0, h_stop)
        assert stopped
        lines.append(format_line("rb_propagate", 0, 1e-3, [*hp.flat(), *coast.flat(), t0, *y, t0 + 200.0, 5.0,
                                                            h_stop], [t_end, 1.0, *y1]))
    # valve-driven propagation: two attitude thrusters pulsing inside a 0.1 s cycle and the deorbit bank
    # (as one thruster of 12 kN) open past the end; and a bank that runs out of propellant mid-span
    att_f = np.array([[0.0, 0.0, 400.0], [0.0, 0.0, -400.0], [12_000.0, 0.0, 0.0]])
    att_t = np.array([[21_600.0, 0.0, 0.0], [21_600.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    att_m = np.array([400.0, 400.0, 12_000.0]) / 2941.995
    for dry_mass, until_rel, span in ((4.4e5, (0.037, 0.081, math.inf), 0.1),
                                      (4.5e5 - 0.5, (0.02, -math.inf, 0.3), 0.25)):
        y = state(rng, rate=0.002)
        t0 = T0 + float(rng.uniform(0.0, 86400.0))
        until = np.array([t0 + u for u in until_rel])
        t_end, y1, stopped, open_s = orc.propagate_valves(hp, att_f, att_t, att_m, until, dry_mass, t0, y,
                                                          t0 + span, 5.0)
        bank = [v for k in range(3) for v in (*att_f[k], *att_t[k], att_m[k])]
        ins = [*hp.flat(), 3.0, *bank, *until, dry_mass, t0, *y, t0 + span, 5.0, -math.inf]
        lines.append(format_line("rb_propagate_valves", 0, 1e-6, ins, [t_end, float(stopped), *y1, *open_s]))
    y = state(rng)
    tail = [T0, *y, T0 + 1.0, 5.0, -math.inf]
    for status, ins in ((3, [65.0, 0.0]),  # too many thrusters
                        (3, [1.0, 0, 0, 0, 0, 0, 0, -1.0, T0 + 1.0, 0.0]),  # negative flow
                        (2, [1.0, 0, 0, 0, 0, 0, 0, 0.1, NAN, 0.0]),  # NaN valve time
                        (3, [0.0, -1.0])):  # negative dry mass
        n_out = 22 + (1 if ins[0] == 1.0 else 0)
        ins = [*hp.flat(), *ins, *tail]
        lines.append(format_line("rb_propagate_valves", status, 0.0, ins, [NAN] * n_out))
    # energies in the zonal field
    for _ in range(4):
        r, v = orbit_state(float(rng.uniform(100e3, 2000e3)), float(rng.uniform(-5, 5)), rng)
        g = orc.env.Grav()
        lines.append(format_line("rb_orbit_energy", 0, 1e-7, [g.gm, g.re, g.j2, g.j3, g.j4, *r, *v],
                                 [orc.orbit_energy(r, v, g)]))
    # rejected input
    nan20 = [NAN] * 20
    y = state(rng)
    good = [*hp.flat(), *coast.flat(), T0, *y]

    def bad_model(**changes: object) -> list[float]:
        flat = hp.flat()
        for k, v in changes.items():
            idx = {"inertia_xy": 17, "inertia_yx": 19, "inertia_xx": 16, "cd": 11, "gm": 0, "omega": 8}[k]
            flat[idx] = float(v)  # type: ignore[arg-type]
        return flat

    lines.append(format_line("rb_deriv", 2, 0.0, [*good[:33], NAN, *y[1:]], nan20))
    lines.append(format_line("rb_deriv", 2, 0.0, [*good[:32], NAN, *y], nan20))
    lines.append(format_line("rb_deriv", 3, 0.0, [*bad_model(inertia_xy=5e6), *good[25:]], nan20))
    lines.append(format_line("rb_deriv", 3, 0.0, [*bad_model(inertia_xx=-1.27e8), *good[25:]], nan20))
    lines.append(format_line("rb_deriv", 3, 0.0, [*bad_model(cd=-1.0), *good[25:]], nan20))
    lines.append(format_line("rb_deriv", 3, 0.0, [*bad_model(gm=0.0), *good[25:]], nan20))
    lines.append(format_line("rb_deriv", 3, 0.0, [*bad_model(omega=1.0), *good[25:]], nan20))
    yq = y.copy()
    yq[6:10] = 0.0
    lines.append(format_line("rb_deriv", 3, 0.0, [*good[:33], *yq], nan20))
    ym = y.copy()
    ym[13] = 0.0
    lines.append(format_line("rb_deriv", 3, 0.0, [*good[:33], *ym], nan20))
    yr = y.copy()
    yr[0:3] = [1000.0, 0.0, 0.0]
    lines.append(format_line("rb_deriv", 3, 0.0, [*good[:33], *yr], nan20))
    lines.append(format_line("rb_deriv", 3, 0.0, [*hp.flat(), 0, 0, 0, 0, 0, 0, -1.0, T0, *y], nan20))
    nan22 = [NAN] * 22
    lines.append(format_line("rb_propagate", 3, 0.0, [*good, T0 - 1.0, 5.0, -math.inf], nan22))
    lines.append(format_line("rb_propagate", 3, 0.0, [*good, T0 + 1.0, 0.0, -math.inf], nan22))
    lines.append(format_line("rb_propagate", 3, 0.0, [*good, T0 + 1.0, -5.0, -math.inf], nan22))
    lines.append(format_line("rb_propagate", 3, 0.0, [*good, T0 + 1e9, 1e-3, -math.inf], nan22))
    lines.append(format_line("rb_propagate", 3, 0.0, [*good, T0 + 1.0, 5.0, 300e3], nan22))
    lines.append(format_line("rb_propagate", 2, 0.0, [*good, T0 + 1.0, 5.0, NAN], nan22))
    lines.append(format_line("rb_propagate", 2, 0.0, [*good, math.inf, 5.0, -math.inf], nan22))
    negative_flow = [*hp.flat(), 0, 0, 0, 0, 0, 0, -1.0, T0, *y, T0 + 1.0, 5.0, -math.inf]
    lines.append(format_line("rb_propagate", 3, 0.0, negative_flow, nan22))
    lines.append(format_line("rb_orbit_energy", 3, 0.0, [3.986004418e14, RE, 0, 0, 0, 10.0, 0, 0, 0, 0, 0],
                             [NAN]))
    lines.append(format_line("rb_orbit_energy", 2, 0.0, [3.986004418e14, RE, 0, 0, 0, NAN, 0, 0, 0, 0, 0],
                             [NAN]))
    provenance = [
        "provenance: the pure-numpy oracle tests/oracles/rigid.py (the equations of csrc/fb_rigid.h on the",
        "environment oracles: textbook zonal gravity and potential, Vallado exponential table,",
        "Harris-Priester (Montenbruck and Gill 2000) with the core's Sun, WGS-84 geodesy by",
        f"extended-precision iteration); seed {SEED}; written by tests/vectors/gen_rigid.py.",
        "model(25): gm re j2 j3 j4 atm_kind atm_scale hp_n omega_e drag_on gg_on cd area cop[3] inertia[9];",
        "thrust(7): force[3] torque[3] mdot; rb_deriv: model thrust t y[20] : dydt[20];",
        "rb_propagate: model thrust t0 y0[20] t1 h_max h_stop : t_end stopped y1[20];",
        "rb_propagate_valves: model n n*(force[3] torque[3] mdot) open_until[n] dry_mass t0 y0[20] t1 h_max",
        "h_stop : t_end stopped y1[20] open_s[n]",
    ]
    write_vectors(HERE / "rigid.vec", provenance, lines)


if __name__ == "__main__":
    main()
