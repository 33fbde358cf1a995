"""Shared test configuration: hypothesis settings profiles.

- ``dev`` (the default, what ``python -m pytest`` and CI run): quick and derandomised, so the suite gives
  the same verdict on every run and every machine.
- ``ci``: thorough (five times the examples), still derandomised.
- ``hunt``: many random examples, for bug hunting; a failure prints the blob that reproduces it.

Choose with ``HYPOTHESIS_PROFILE=ci`` (or ``hunt``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=60, deadline=None, derandomize=True)
settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "hunt",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
