"""Scenarios: the campaign as data (TOML), loaded into frozen dataclasses with clear errors.

A scenario file describes one campaign: the vehicle, its thrusters and IMU, the initial orbit, the
campaign's burns, the target zone, the re-entry model, the truth environment, the ground segment, the
dispersions of a Monte Carlo, and (in ``[flight]``) the flight software's own configuration, which is
passed through to ``flight.config``. Built-in scenarios live in ``scenarios/`` and are named without the
``.toml`` suffix (``iss-deorbit``); any other path to a TOML file works too.

Every value is checked: unknown keys, wrong types and values out of range raise :class:`ScenarioError`
whose message names the file, the line and the key, for example
``scenarios/x.toml:14: vehicle.drag_area_m2: must be > 0, got -2500``. Units are SI unless the key's
suffix says otherwise (``_km``, ``_deg``, ``_h``, ``_days``).
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "scenarios"


class ScenarioError(ValueError):
    """A scenario file is missing or malformed; the message names the file, line and key."""


def _spec(unit: str = "", lo: float | None = None, hi: float | None = None, lo_open: bool = False,
          choices: tuple[str, ...] = (), length: int | None = None) -> dict[str, Any]:
    return {"unit": unit, "lo": lo, "hi": hi, "lo_open": lo_open, "choices": choices, "length": length}


def _f(default: Any, **spec: Any) -> Any:
    if isinstance(default, list | dict):
        return field(default_factory=lambda: default, metadata=_spec(**spec))
    return field(default=default, metadata=_spec(**spec))


# ---- schema ----

@dataclass(frozen=True)
class Vehicle:
    """The stack (ISS plus the US Deorbit Vehicle), reference/hardware.md."""

    dry_mass_kg: float = _f(434_000.0, lo=0.0, lo_open=True)
    propellant_kg: float = _f(16_000.0, lo=0.0)
    drag_area_m2: float = _f(2_500.0, lo=0.0, lo_open=True)
    cd: float = _f(2.2, lo=0.0, lo_open=True)
    # None: firmware_bindings.attitude.default_stack_inertia_kg_m2()
    inertia_kg_m2: tuple[tuple[float, ...], ...] | None = _f(None, length=3)
    cop_offset_body_m: tuple[float, ...] = _f((0.0, 0.0, 2.0), length=3)

    @property
    def mass_kg(self) -> float:
        return self.dry_mass_kg + self.propellant_kg

    @property
    def ballistic_coefficient_kg_m2(self) -> float:
        return self.mass_kg / (self.cd * self.drag_area_m2)


@dataclass(frozen=True)
class Thrusters:
    layout: str = _f("iss-usdv", choices=("iss-usdv",))
    thrust_n: float = _f(400.0, lo=0.0, lo_open=True)
    isp_s: float = _f(300.0, lo=0.0, lo_open=True)
    thrust_sigma_fraction: float = _f(0.01, lo=0.0, hi=0.5)
    misalignment_sigma_deg: float = _f(0.1, lo=0.0, hi=10.0)
    min_on_s: float = _f(0.02, lo=0.0)
    max_on_s: float = _f(3600.0, lo=0.0, lo_open=True)
    watchdog_s: float = _f(1.0, lo=0.0, lo_open=True)
    tank_pressure_pa: float = _f(1.7e6, lo=0.0, lo_open=True)


@dataclass(frozen=True)
class Imu:
    grade: str = _f("navigation", choices=("navigation", "tactical"))
    sample_hz: float = _f(100.0, lo=0.0, lo_open=True)


@dataclass(frozen=True)
class InitialOrbit:
    """Osculating elements at the start time (altitudes above the WGS-84 equatorial radius)."""

    perigee_alt_km: float = _f(220.0, lo=80.0, hi=2000.0)
    apogee_alt_km: float = _f(220.0, lo=80.0, hi=2000.0)
    inclination_deg: float = _f(51.64, lo=0.0, hi=180.0)
    raan_deg: float = _f(0.0, lo=-360.0, hi=360.0)
    arg_perigee_deg: float = _f(0.0, lo=-360.0, hi=360.0)
    true_anomaly_deg: float = _f(0.0, lo=-360.0, hi=360.0)


@dataclass(frozen=True)
class Campaign:
    """The burns: perigee-lowering (and phasing) burns, then the final burn."""

    intermediate_perigee_km: float = _f(145.0, lo=80.0, hi=2000.0)
    intermediate_apogee_km: float = _f(200.0, lo=80.0, hi=2000.0)
    perigee_lowering_burns: int = _f(3, lo=0, hi=20)
    final_perigee_km: float = _f(50.0, lo=-100.0, hi=120.0)
    final_burn_after_days: float = _f(4.0, lo=0.0, hi=30.0)
    crew_clear_after_h: float = _f(0.0, lo=0.0)


@dataclass(frozen=True)
class Target:
    zone_file: str = _f("zone_spoua_approx.json")
    # None: the zone file's aim point
    aim_lat_deg: float | None = _f(None, lo=-90.0, hi=90.0)
    aim_lon_deg: float | None = _f(None, lo=-180.0, hi=180.0)
    center_miss_goal_km: float = _f(300.0, lo=0.0, lo_open=True)


@dataclass(frozen=True)
class Reentry:
    interface_alt_km: float = _f(120.0, lo=60.0, hi=200.0)
    breakup_alt_km: float = _f(78.0, lo=10.0, hi=120.0)
    fragment_beta_min_kg_m2: float = _f(5.0, lo=0.0, lo_open=True)
    fragment_beta_max_kg_m2: float = _f(2000.0, lo=0.0, lo_open=True)
    fragment_count: int = _f(24, lo=2, hi=256)


@dataclass(frozen=True)
class Truth:
    atmosphere: str = _f("harris-priester", choices=("harris-priester", "exponential"))
    density_scale: float = _f(1.0, lo=0.0, lo_open=True)
    hp_exponent: int = _f(3, lo=2, hi=6)
    # the true dry mass is the vehicle's times this (the flight software knows only the vehicle's)
    dry_mass_scale: float = _f(1.0, lo=0.5, hi=1.5)


@dataclass(frozen=True)
class Ground:
    tracking_sigma_m: float = _f(50.0, lo=0.0)
    tracking_sigma_mps: float = _f(0.05, lo=0.0)
    state_vector_interval_h: float = _f(24.0, lo=0.0, lo_open=True)
    key_id: int = _f(1, lo=0, hi=65535)


@dataclass(frozen=True)
class Dispersions:
    """One-sigma (or half-range, where the name says range) dispersions of a Monte Carlo campaign."""

    thrust_sigma_fraction: float = _f(0.01, lo=0.0, hi=0.5)
    misalignment_sigma_deg: float = _f(0.1, lo=0.0, hi=10.0)
    mass_sigma_fraction: float = _f(0.01, lo=0.0, hi=0.5)
    com_sigma_m: float = _f(0.5, lo=0.0)
    cd_sigma_fraction: float = _f(0.1, lo=0.0, hi=0.9)
    density_scale_range: float = _f(0.4, lo=0.0, hi=0.9)
    tracking_sigma_m: float = _f(100.0, lo=0.0)
    tracking_sigma_mps: float = _f(0.1, lo=0.0)
    breakup_alt_range_km: tuple[float, ...] = _f((75.0, 80.0), length=2)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str = ""
    start_utc: datetime = datetime(2030, 6, 1, tzinfo=UTC)
    end_limit_days: float = _f(8.0, lo=0.0, lo_open=True)
    vehicle: Vehicle = field(default_factory=Vehicle)
    thrusters: Thrusters = field(default_factory=Thrusters)
    imu: Imu = field(default_factory=Imu)
    orbit: InitialOrbit = field(default_factory=InitialOrbit)
    campaign: Campaign = field(default_factory=Campaign)
    target: Target = field(default_factory=Target)
    reentry: Reentry = field(default_factory=Reentry)
    truth: Truth = field(default_factory=Truth)
    ground: Ground = field(default_factory=Ground)
    dispersions: Dispersions = field(default_factory=Dispersions)
    flight: dict[str, Any] = field(default_factory=dict)  # passed to flight.config
    source: str = ""  # the file it came from

    def zone(self) -> dict[str, Any]:
        """The target zone: ``polygon_lat_lon_deg`` and the aim point (the scenario's, if it sets one)."""
        path = Path(self.target.zone_file)
        candidates = [path] if path.is_absolute() else [
            Path(self.source).parent / path, SCENARIO_DIR / path, SCENARIO_DIR / "zones" / path]
        for p in candidates:
            if p.is_file():
                data: dict[str, Any] = json.loads(p.read_text())
                break
        else:
            raise ScenarioError(f"{self.source}: target.zone_file: no zone file {self.target.zone_file!r}")
        aim = dict(data["aim_point"])
        if self.target.aim_lat_deg is not None:
            aim["lat_deg"] = self.target.aim_lat_deg
        if self.target.aim_lon_deg is not None:
            aim["lon_deg"] = self.target.aim_lon_deg
        return {"name": data["name"], "polygon_lat_lon_deg": data["polygon_lat_lon_deg"], "aim_point": aim}


# ---- loading ----

_TOP_KEYS = ("name", "description", "start_utc", "end_limit_days")
_SECTION_TYPES: dict[str, Any] = {
    k: v for k, v in typing.get_type_hints(Scenario).items() if k not in (*_TOP_KEYS, "source")}
_TABLES = sorted(_SECTION_TYPES)


def resolve(name_or_path: str | Path) -> Path:
    """The file of a built-in scenario name (``iss-deorbit``) or a path."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        return p
    builtin = SCENARIO_DIR / f"{name_or_path}.toml"
    if builtin.is_file():
        return builtin
    names = ", ".join(sorted(q.stem for q in SCENARIO_DIR.glob("*.toml")))
    raise ScenarioError(f"no scenario {str(name_or_path)!r}: give a TOML file or one of: {names}")


def load(name_or_path: str | Path) -> Scenario:
    """Load and check a scenario; raise ScenarioError naming the file, line and key of any problem."""
    path = resolve(name_or_path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc.strerror}") from None
    return loads(text, source=str(path))


def loads(text: str, source: str = "<scenario>") -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{source}:{m.group(1)}" if m else source
        raise ScenarioError(f"{where}: not valid TOML: {str(exc).split(' (at line')[0]}") from None
    lines = key_lines(text)

    def fail(key: str, problem: str) -> typing.NoReturn:
        line = lines.get(key) or lines.get(key.split(".")[0])
        where = f"{source}:{line}" if line else source
        raise ScenarioError(f"{where}: {key}: {problem}")

    top = data.get("scenario")
    if not isinstance(top, dict):
        fail("scenario", "the file needs a [scenario] table with at least a name")
    unknown = sorted(set(data) - set(_TABLES) - {"scenario"})
    if unknown:
        fail(unknown[0], f"unknown table; known tables: scenario, {', '.join(_TABLES)}")
    kwargs: dict[str, Any] = {}
    for key, value in top.items():
        if key not in _TOP_KEYS:
            fail(f"scenario.{key}", "unknown key; known keys: name, description, start_utc, end_limit_days")
        kwargs[key] = value
    if not isinstance(kwargs.get("name"), str) or not kwargs["name"]:
        fail("scenario.name", "must be a non-empty string")
    if "description" in kwargs and not isinstance(kwargs["description"], str):
        fail("scenario.description", "must be a string")
    if "start_utc" in kwargs:
        start = kwargs["start_utc"]
        if isinstance(start, str):
            try:
                start = datetime.fromisoformat(start.replace("Z", "+00:00"))
            except ValueError:
                fail("scenario.start_utc", f"not an ISO 8601 time: {start!r}")
        if not isinstance(start, datetime):
            fail("scenario.start_utc", "must be a date-time such as 2030-06-01T00:00:00Z")
        kwargs["start_utc"] = start if start.tzinfo else start.replace(tzinfo=UTC)
    if "end_limit_days" in kwargs:
        kwargs["end_limit_days"] = _check_number("scenario.end_limit_days", kwargs["end_limit_days"],
                                                 _field_spec(Scenario, "end_limit_days"), float, fail)
    for section, cls in _SECTION_TYPES.items():
        if section not in data:
            continue
        table = data[section]
        if not isinstance(table, dict):
            fail(section, "must be a table")
        if section == "flight":
            kwargs["flight"] = table
            continue
        kwargs[section] = _build(cls, table, section, fail)
    kwargs["source"] = source
    scenario = Scenario(**kwargs)
    _cross_checks(scenario, fail)
    return scenario


def _field_spec(cls: Any, name: str) -> dict[str, Any]:
    return dict(next(f for f in dataclasses.fields(cls) if f.name == name).metadata)


def _build(cls: Any, table: dict[str, Any], prefix: str, fail: Any) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in table.items():
        full = f"{prefix}.{key}"
        if key not in fields:
            fail(full, f"unknown key; known keys: {', '.join(fields)}")
        f = fields[key]
        kwargs[key] = _check_value(full, value, hints[key], dict(f.metadata), fail)
    return cls(**kwargs)


def _check_number(key: str, value: Any, spec: dict[str, Any], kind: type, fail: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and
                                                                         not isinstance(value, int)):
        fail(key, f"must be {'an integer' if kind is int else 'a number'}, got {value!r}")
    if value != value or value in (float("inf"), float("-inf")):
        fail(key, f"must be finite, got {value!r}")
    lo, hi, unit = spec.get("lo"), spec.get("hi"), spec.get("unit", "")
    if lo is not None and (value < lo or (spec.get("lo_open") and value == lo)):
        fail(key, f"must be {'>' if spec.get('lo_open') else '>='} {lo:g}{unit}, got {value!r}")
    if hi is not None and value > hi:
        fail(key, f"must be <= {hi:g}{unit}, got {value!r}")
    return kind(value)


def _check_value(key: str, value: Any, t: Any, spec: dict[str, Any], fail: Any) -> Any:
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin in (types.UnionType, typing.Union):  # X | None
        inner = next(a for a in args if a is not type(None))
        return _check_value(key, value, inner, spec, fail)
    if t in (float, int):
        return _check_number(key, value, spec, t, fail)
    if t is str:
        if not isinstance(value, str):
            fail(key, f"must be a string, got {value!r}")
        if spec.get("choices") and value not in spec["choices"]:
            fail(key, f"must be one of {', '.join(spec['choices'])}; got {value!r}")
        return value
    if t is bool:
        if not isinstance(value, bool):
            fail(key, f"must be true or false, got {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            fail(key, f"must be an array, got {value!r}")
        n = spec.get("length")
        if n is not None and len(value) != n:
            fail(key, f"must have {n} elements, got {len(value)}")
        elem = args[0]
        inner_spec = {**spec, "length": n if typing.get_origin(elem) is tuple else None}
        return tuple(_check_value(f"{key}[{i}]", v, elem, inner_spec, fail) for i, v in enumerate(value))
    fail(key, f"unsupported value {value!r}")


def _cross_checks(s: Scenario, fail: Any) -> None:
    if s.orbit.apogee_alt_km < s.orbit.perigee_alt_km:
        fail("orbit.apogee_alt_km", "must not be below orbit.perigee_alt_km")
    c = s.campaign
    if c.intermediate_apogee_km < c.intermediate_perigee_km:
        fail("campaign.intermediate_apogee_km", "must not be below campaign.intermediate_perigee_km")
    if s.reentry.breakup_alt_km >= s.reentry.interface_alt_km:
        fail("reentry.breakup_alt_km", "must be below reentry.interface_alt_km")
    if s.reentry.fragment_beta_max_kg_m2 <= s.reentry.fragment_beta_min_kg_m2:
        fail("reentry.fragment_beta_max_kg_m2", "must exceed reentry.fragment_beta_min_kg_m2")
    lo, hi = s.dispersions.breakup_alt_range_km
    if not lo <= hi:
        fail("dispersions.breakup_alt_range_km", "must be [low, high] with low <= high")
    inertia = s.vehicle.inertia_kg_m2
    if inertia is not None:
        if any(len(row) != 3 for row in inertia):
            fail("vehicle.inertia_kg_m2", "must be a 3 x 3 array")
        if any(abs(inertia[i][j] - inertia[j][i]) > 1e-9 * abs(inertia[i][i]) for i in range(3)
               for j in range(3)):
            fail("vehicle.inertia_kg_m2", "must be symmetric")


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-.\" ]+?)\s*=")


def key_lines(text: str) -> dict[str, int]:
    """Line number (1-based) of each table header and key in a TOML text, by dotted path.

    Good enough for error messages: bare and dotted keys, tables and arrays of tables (``burns[2].name``);
    keys inside multi-line arrays or inline tables are attributed to the line that opens them.
    """
    lines: dict[str, int] = {}
    table = ""
    counts: dict[str, int] = {}
    depth = 0  # inside a multi-line array
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0] if '"' not in raw else raw
        if depth == 0:
            m = _HEADER.match(line)
            if m:
                name = m.group(2).replace('"', "").replace(" ", "")
                if m.group(1) == "[[":
                    counts[name] = counts.get(name, -1) + 1
                    table = f"{name}[{counts[name]}]"
                    lines.setdefault(name, n)
                else:
                    table = name
                lines.setdefault(table, n)
                continue
            m = _KEY.match(line)
            if m:
                key = m.group(1).replace('"', "").replace(" ", "")
                lines.setdefault(f"{table}.{key}" if table else key, n)
        depth += line.count("[") - line.count("]") if "=" in line or depth else 0
        depth = max(depth, 0)
    return lines
