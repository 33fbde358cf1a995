"""A scenario written back as TOML: how a run's dispersions reach the run.

Each run of a campaign flies its own scenario file, the campaign's scenario with that run's dispersed
values in place (``hil.montecarlo.dispersions``). Writing it out as TOML keeps the run reproducible and
inspectable on its own (``hil run runs/run-00042/scenario.toml --seed S`` flies it again) and lets it cross
to a worker on another machine as text. :func:`dumps` writes every field of a :class:`hil.scenario.Scenario`
so that ``hil.scenario.loads(dumps(s))`` gives back ``s`` (apart from ``source``); floats are written with
``repr``, which round-trips exactly.
"""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hil.scenario import SCENARIO_DIR, Scenario, ScenarioError

_TOP = ("name", "description", "start_utc", "end_limit_days")


def zone_path(scenario: Scenario) -> Path:
    """The zone file the scenario names, searched as ``Scenario.zone`` does (absolute path)."""
    p = Path(scenario.target.zone_file)
    candidates = (
        [p]
        if p.is_absolute()
        else [Path(scenario.source).parent / p, SCENARIO_DIR / p, SCENARIO_DIR / "zones" / p]
    )
    for c in candidates:
        if c.is_file():
            return c.resolve()
    raise ScenarioError(f"{scenario.source}: target.zone_file: no zone file {scenario.target.zone_file!r}")


def _value(v: Any, key: str) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{key}: cannot write a non-finite number {v!r} to a scenario")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string (JSON escapes are TOML escapes)
    if isinstance(v, datetime):
        t = v.astimezone(UTC)
        return t.isoformat().replace("+00:00", "Z")
    if isinstance(v, tuple | list):
        return "[" + ", ".join(_value(x, key) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_value(x, key)}" for k, x in v.items()) + "}"
    raise ValueError(f"{key}: cannot write {type(v).__name__} {v!r} to a scenario")


def dumps(scenario: Scenario, header: str = "") -> str:
    """The scenario as TOML text; ``header`` becomes leading comment lines. The zone file is written as an
    absolute path so the text loads from any folder on this machine."""
    lines = [f"# {h}" for h in header.splitlines()]
    lines.append("[scenario]")
    for key in _TOP:
        lines.append(f"{key} = {_value(getattr(scenario, key), key)}")
    for f in dataclasses.fields(scenario):
        if f.name in _TOP or f.name == "source":
            continue
        section = getattr(scenario, f.name)
        lines.append("")
        lines.append(f"[{f.name}]")
        items = (
            section.items()
            if isinstance(section, dict)
            else ((g.name, getattr(section, g.name)) for g in dataclasses.fields(section))
        )
        for key, value in items:
            if value is None:
                continue
            if f.name == "target" and key == "zone_file":
                value = str(zone_path(scenario))
            lines.append(
                f"{json.dumps(key) if not key.isidentifier() else key} = {_value(value, f'{f.name}.{key}')}"
            )
    return "\n".join(lines) + "\n"
