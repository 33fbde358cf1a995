"""Benchmarks: ``python -m benchmarks [NAME ...]`` from the repository root.

Each ``benchmarks/bench_<area>.py`` defines ``run(quick: bool) -> Iterable[dict]`` yielding figures as
``{"name": ..., "value": ..., "unit": ...}``; speed-ups against a reference are measured in the same run
and reported as ``<name>_speedup`` (a ratio, unit ``x``). Figures are printed one JSON object per line.
"""
