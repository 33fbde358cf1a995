"""Monte Carlo campaigns: the flight software in the loop over dispersed runs, on local processes or a
Dask cluster (``hil montecarlo``).

- :mod:`hil.montecarlo.dispersions`: what each run draws (from the master seed and its index only) and how
  the draws reach the run (a scenario override per run);
- :mod:`hil.montecarlo.runs`: one run, closed loop (the whole rig) or open loop (planned burns flown
  blind), as a picklable task and a JSON record;
- :mod:`hil.montecarlo.runner`: the campaign on a ``concurrent.futures.Executor``, resumable;
- :mod:`hil.montecarlo.stats`: containment with its Wilson interval, footprint-centre dispersion;
- :mod:`hil.montecarlo.plot`: the centres over the zone; :mod:`hil.montecarlo.cli`: the command.
"""

from hil.montecarlo.dispersions import Draw, apply, draw
from hil.montecarlo.runner import MonteCarloError, MonteCarloOptions, Progress, executor, run_montecarlo
from hil.montecarlo.runs import RunTask, execute
from hil.montecarlo.stats import centre_dispersion, containment, wilson_interval

__all__ = [
    "Draw",
    "MonteCarloError",
    "MonteCarloOptions",
    "Progress",
    "RunTask",
    "apply",
    "centre_dispersion",
    "containment",
    "draw",
    "execute",
    "executor",
    "run_montecarlo",
    "wilson_interval",
]
