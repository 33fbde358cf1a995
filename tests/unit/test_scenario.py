"""Scenario files: the built-in ones load; every kind of mistake is named with its file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.scenario import SCENARIO_DIR, ScenarioError, key_lines, load, loads

GOOD = """\
[scenario]
name = "t"

[vehicle]
dry_mass_kg = 1000.0
drag_area_m2 = 10.0
"""


@pytest.mark.parametrize("path", sorted(SCENARIO_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_builtin_scenarios_load(path: Path) -> None:
    """Every shipped scenario loads by name, and its zone file is found with an aim point inside it."""
    s = load(path.stem)
    assert s.name == path.stem
    zone = s.zone()
    lats = [p[0] for p in zone["polygon_lat_lon_deg"]]
    lons = [p[1] for p in zone["polygon_lat_lon_deg"]]
    assert min(lats) <= zone["aim_point"]["lat_deg"] <= max(lats)
    assert min(lons) <= zone["aim_point"]["lon_deg"] <= max(lons)


def test_iss_deorbit_matches_reference_stack() -> None:
    """The default scenario's stack is about 450 t with a ballistic coefficient of 76-82 kg/m^2."""
    v = load("iss-deorbit").vehicle
    assert 440_000 <= v.mass_kg <= 460_000
    assert 76.0 <= v.ballistic_coefficient_kg_m2 <= 84.0


def test_defaults_fill_missing_tables() -> None:
    s = loads(GOOD)
    assert s.vehicle.dry_mass_kg == 1000.0 and s.vehicle.cd == 2.2 and s.reentry.breakup_alt_km == 78.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("drag_area_m2 = 10.0", "drag_area_m2 = -10.0"),
         "<scenario>:6: vehicle.drag_area_m2: must be > 0, got -10.0"),
        (GOOD.replace("drag_area_m2 = 10.0", "drag_area = 10.0"),
         "<scenario>:6: vehicle.drag_area: unknown key"),
        (GOOD.replace("dry_mass_kg = 1000.0", 'dry_mass_kg = "heavy"'),
         "<scenario>:5: vehicle.dry_mass_kg: must be a number"),
        (GOOD + "\n[vehicel]\ncd = 2.0\n", "<scenario>:8: vehicel: unknown table"),
        (GOOD.replace('name = "t"', "name = t"), "<scenario>:2: not valid TOML"),
        (GOOD + "\n[truth]\natmosphere = 'msis'\n", "<scenario>:9: truth.atmosphere: must be one of"),
        (GOOD + "\n[orbit]\nperigee_alt_km = 300.0\napogee_alt_km = 250.0\n",
         "<scenario>:10: orbit.apogee_alt_km: must not be below"),
        (GOOD + "\n[dispersions]\nbreakup_alt_range_km = [75.0]\n",
         "<scenario>:9: dispersions.breakup_alt_range_km: must have 2 elements"),
        ("[vehicle]\ncd = 2.0\n", "<scenario>: scenario: the file needs a [scenario] table"),
    ],
)
def test_mistakes_name_line_and_key(text: str, expected: str) -> None:
    """Each malformed file raises ScenarioError whose message starts with file:line: key: problem."""
    with pytest.raises(ScenarioError) as info:
        loads(text)
    assert str(info.value).startswith(expected), str(info.value)


def test_missing_scenario_names_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="iss-deorbit"):
        load("no-such-scenario")
    with pytest.raises(ScenarioError, match="cannot read scenario"):
        load(tmp_path / "absent.toml")


def test_key_lines_handles_arrays_of_tables_and_multiline_arrays() -> None:
    """Keys after a multi-line array and inside arrays of tables get their own line numbers."""
    text = "[a]\nm = [\n  [1, 2],\n  [3, 4],\n]\nk = 1\n[[b]]\nx = 1\n[[b]]\nx = 2\n"
    lines = key_lines(text)
    assert lines["a.m"] == 2 and lines["a.k"] == 6
    assert lines["b[0].x"] == 8 and lines["b[1].x"] == 10
