"""Orbit area benchmarks: one footprint prediction (final burn to ground, all fragments), one final-burn
solve, and 10,000 dispersed footprint predictions in a batch; each against the pure-numpy oracle
(tests/oracles/orbit.py) measured in the same run, reported as ``<name>_speedup``.

Goals (2-core machine): prediction <= 2 ms, solve <= 50 ms, batch of 10,000 <= 20 s, each >= 100 times
the pure-Python reference. Wall times are best of repeats; ``*_cpu_*`` figures give the process CPU time,
which on a machine shared with other work shows the cost without the waits for a core.
``python -m benchmarks orbit`` (``--quick``: fewer repetitions, a 1,000-case batch and a narrower solver
window for the oracle).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable

import numpy as np

from benchmarks.timing import best_time_s, figure
from firmware_bindings import orbit, reentry, targeting
from tests.oracles import orbit as P

T0 = 946728000.0 + 30 * 365.25 * 86400.0
MASS_KG = 450e3


def cpu_time_s(fn: Callable[[], object], number: int) -> float:
    """Mean process CPU time of one call: on a shared, loaded machine the wall time also counts the time
    the process waited for a core."""
    c0 = time.process_time()
    for _ in range(number):
        fn()
    return (time.process_time() - c0) / number


def run(quick: bool) -> Iterable[dict[str, object]]:
    r, v = P.aligned_state(T0)
    y0 = np.concatenate([r, v, [MASS_KG]])
    sol = targeting.solve_final_burn(T0, r, v, MASS_KG, T0 + 600.0, T0 + 6000.0)
    burn = orbit.Burn(sol.t_ignition_s, sol.duration_s)
    # the prediction starts at ignition: final burn, coast, interface, breakup, 16 fragments to the ground
    ig = orbit.propagate(T0, r, v, MASS_KG, burn.start_s)
    y_ig = np.concatenate([ig.r_eci_m, ig.v_eci_mps, [ig.mass_kg]])
    model = orbit.ForceModel(burn=burn)

    def c_predict() -> object:
        return reentry.predict_footprint(ig.t_s, ig.r_eci_m, ig.v_eci_mps, ig.mass_kg, model=model)

    pm = P.Model(burn_start_s=burn.start_s, burn_duration_s=burn.duration_s)
    t_c = best_time_s(c_predict, repeat=5 if quick else 20, number=10)
    t_py = best_time_s(lambda: P.predict(pm, P.EntryCfg(), ig.t_s, y_ig), repeat=1 if quick else 3)
    yield figure("footprint_predict_ms", t_c * 1e3, "ms")
    yield figure("footprint_predict_cpu_ms", cpu_time_s(c_predict, 50) * 1e3, "ms")
    yield figure("footprint_predict_speedup", t_py / t_c, "x")

    def c_solve() -> object:
        return targeting.solve_final_burn(T0, r, v, MASS_KG, T0 + 600.0, T0 + 6000.0)

    t_c = best_time_s(c_solve, repeat=3 if quick else 10)
    # the oracle scans its window at 300 s steps before Brent: give it the same window (quick: 600 s
    # around the solution, fewer trial predictions, which flatters the oracle)
    lo, hi = (sol.t_ignition_s - 300.0, sol.t_ignition_s + 300.0) if quick else (T0 + 600.0, T0 + 6000.0)
    aim = (targeting.POINT_NEMO_LAT_RAD, targeting.POINT_NEMO_LON_RAD)
    t0 = time.perf_counter()
    P.solve_final(P.Model(), P.EntryCfg(), T0, y0, lo, hi, aim)
    t_py = time.perf_counter() - t0
    yield figure("final_burn_solve_ms", t_c * 1e3, "ms")
    yield figure("final_burn_solve_cpu_ms", cpu_time_s(c_solve, 5) * 1e3, "ms")
    yield figure("final_burn_solve_speedup", t_py / t_c, "x")

    n = 1000 if quick else 10_000
    rng = np.random.default_rng(20300101)
    states = np.tile(y_ig, (n, 1))
    states[:, :3] += rng.normal(0.0, 100.0, (n, 3))  # 100 m and 0.1 m/s navigation dispersion per axis
    states[:, 3:6] += rng.normal(0.0, 0.1, (n, 3))
    dispersion = {
        "atm_scale": rng.uniform(0.7, 1.3, n),
        "cd": rng.uniform(2.0, 2.4, n),
        "thrust_n": 12000.0 * rng.normal(1.0, 0.02, n),
        "burn_duration_s": burn.duration_s + rng.normal(0.0, 2.0, n),
    }
    t_batch = math.inf
    for workers in (1, 2):
        t0, c0 = time.perf_counter(), time.process_time()
        b = reentry.predict_footprints(ig.t_s, states, model=model, dispersion=dispersion, workers=workers)
        t_wall, t_cpu = time.perf_counter() - t0, time.process_time() - c0
        if int(np.count_nonzero(b.status)) != 0:
            raise RuntimeError(f"{np.count_nonzero(b.status)} batch cases failed")
        t_batch = min(t_batch, t_wall)
        yield figure(f"footprint_batch_{n}_workers{workers}_s", t_wall, "s")
        yield figure(f"footprint_batch_{n}_workers{workers}_cpu_s", t_cpu, "s")
    k = 2 if quick else 5
    t0 = time.perf_counter()
    for i in range(k):
        pmi = P.Model(density_scale=float(dispersion["atm_scale"][i]), cd=float(dispersion["cd"][i]),
                      thrust_n=float(dispersion["thrust_n"][i]), burn_start_s=burn.start_s,
                      burn_duration_s=float(dispersion["burn_duration_s"][i]))
        P.predict(pmi, P.EntryCfg(), ig.t_s, states[i])
    t_py_case = (time.perf_counter() - t0) / k
    yield figure("footprint_batch_speedup", t_py_case * n / t_batch, "x")
