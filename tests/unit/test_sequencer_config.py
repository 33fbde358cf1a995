"""The flight configuration: defaults, TOML loading, and errors that name the bad key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from flight.config import ConfigError, FlightConfig, config_from_mapping, load_config


def test_defaults_are_valid_and_consistent() -> None:
    """Defaults: 10 Hz control (0.1 s cycle), coast IMU rate below the burn rate, 0.5 % cutoff."""
    cfg = FlightConfig()
    assert cfg.control_cycle_s == pytest.approx(0.1)
    assert cfg.imu_rate_coast_hz < cfg.imu_rate_burn_hz
    assert cfg.cutoff_tolerance_fraction == 0.005
    assert cfg.cutoff_lead_s == pytest.approx(0.1)


def test_load_top_level_and_flight_table(tmp_path: Path) -> None:
    """Keys at the top level or in a [flight] table override defaults; integers become floats."""
    a = tmp_path / "a.toml"
    a.write_text("settle_time_s = 30\nimu_rate_coast_hz = 0.2\n")
    cfg = load_config(a)
    assert cfg.settle_time_s == 30.0 and isinstance(cfg.settle_time_s, float)
    assert cfg.imu_rate_coast_hz == 0.2
    b = tmp_path / "b.toml"
    b.write_text('[scenario]\nname = "iss"\n[flight]\nslew_timeout_s = 100.0\n')
    assert load_config(b).slew_timeout_s == 100.0


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("settle_tme_s = 3.0", "'settle_tme_s': unknown key"),
        ('settle_time_s = "long"', "'settle_time_s': expected a number"),
        ("settle_time_s = -1.0", "'settle_time_s': must be positive"),
        ("settle_time_s = nan", "'settle_time_s': must be finite"),
        ("settle_time_s = true", "'settle_time_s': expected a number"),
        ("safe_max_retries = 2.5", "'safe_max_retries': expected an integer"),
        ("imu_rate_coast_hz = 20.0", "'imu_rate_coast_hz'"),
        ("cutoff_tolerance_fraction = 0.5", "'cutoff_tolerance_fraction'"),
        ("flight = 3", "'flight' must be a table"),
        ("settle_time_s = ", "not valid TOML"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, match: str) -> None:
    """Every bad file gives a ConfigError whose message names the offending key (or the file)."""
    p = tmp_path / "c.toml"
    p.write_text(text + "\n")
    with pytest.raises(ConfigError, match=match):
        load_config(p)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    """A missing file: ConfigError naming it."""
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "none.toml")


def test_frozen_and_replace_checks_too() -> None:
    """The configuration cannot be changed in place; a replaced copy is checked like a loaded one."""
    cfg = FlightConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.settle_time_s = 1.0  # type: ignore[misc]
    with pytest.raises(ConfigError, match="arm_timeout_s"):
        dataclasses.replace(cfg, arm_timeout_s=0.0)
    assert config_from_mapping({"arm_code": 0}).arm_code == 0
