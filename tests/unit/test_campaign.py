"""The composition root's configuration from scenarios, and `hil run`'s clear errors."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from flight.guidance import DAY_S
from hil.campaign import CampaignError, RunOptions, campaign_config, flight_config, run_campaign, zone_of
from hil.cli import main
from hil.run_cli import result_table
from hil.scenario import load, loads


def test_campaign_config_follows_the_scenario() -> None:
    """iss-deorbit's two lowering burns become one offset burn to 190 km at 2.5 days and one to the
    intermediate 145 km one revolution before the final burn at four days (three would step the perigee
    down at 1.25 and 2.5 days); iss-final-burn has only the final burn, to a 50 km perigee, as soon as
    guidance allows."""
    c = campaign_config(load("iss-deorbit"))
    assert [b.name for b in c.lowering] == ["PLB-1", "PLB-2"]
    assert c.lowering[0].offset_s == 2.5 * DAY_S and c.lowering[0].hp_target_m == pytest.approx(190e3)
    assert c.lowering[1].lead_s == 5300.0 and c.lowering[1].hp_target_m == 145e3
    three = campaign_config(loads('[scenario]\nname = "x"\n[campaign]\nperigee_lowering_burns = 3\n'))
    assert [b.offset_s for b in three.lowering] == [pytest.approx(1.25 * DAY_S), 2.5 * DAY_S, None]
    assert c.final_offset_s == 4.0 * DAY_S and c.final_hp_m == 50e3
    f = campaign_config(load("iss-final-burn"))
    assert f.lowering == () and f.final_offset_s == 0.0 and f.final_burn_id == 1
    assert f.dry_mass_kg == 434_000.0


def test_zone_and_aim_point_come_from_the_zone_file() -> None:
    """The target zone is the scenario's zone file (SPOUA approximation, aim at Point Nemo)."""
    z = zone_of(load("iss-deorbit"))
    assert math.degrees(z.aim_lat_rad) == pytest.approx(-48.8767, abs=1e-3)
    assert math.degrees(z.aim_lon_rad) == pytest.approx(-123.3933, abs=1e-3)
    assert len(z.lat_rad) == len(z.lon_rad) >= 4


def test_flight_section_configures_the_flight_software() -> None:
    """A scenario's [flight] table overrides the flight software's defaults; none keeps them."""
    sc = loads('[scenario]\nname = "x"\n[flight]\nsettle_time_s = 12.0\n')
    assert flight_config(sc).settle_time_s == 12.0
    assert flight_config(load("iss-final-burn")).settle_time_s == 60.0


def test_bad_options_are_campaign_errors(tmp_path: Path) -> None:
    """An unknown transport, or MQTT without a broker, is refused before anything starts."""
    import asyncio

    with pytest.raises(CampaignError, match="transport"):
        asyncio.run(run_campaign(RunOptions("iss-final-burn", transport="carrier-pigeon", out=tmp_path)))
    with pytest.raises(CampaignError, match="broker"):
        asyncio.run(run_campaign(RunOptions("iss-final-burn", transport="mqtt", out=tmp_path)))


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["run", "no-such-scenario"], "no scenario"),
        (["run", "iss-final-burn", "--time", "warp"], "unknown time mode"),
        (["run", "iss-final-burn", "--seed", "-1"], "seed"),
        (["run", "iss-final-burn", "--broker", "mqtt://localhost"], "--broker is for --transport mqtt"),
        (["run", "iss-final-burn", "--faults", "/nonexistent/faults.toml"], "cannot read"),
    ],
)
def test_hil_run_bad_arguments_are_one_line(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Bad arguments give one line on stderr starting with 'hil:' and exit status 2, never a traceback."""
    assert main([*argv, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hil: ") and words in err and err.count("\n") == 1 and "Traceback" not in err


def test_hil_run_unreachable_broker_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A broker nobody listens on: one line naming it and exit status 1, no run folder summary."""
    status = main(
        [
            "run",
            "iss-final-burn",
            "--transport",
            "mqtt",
            "--broker",
            "mqtt://127.0.0.1:9/x",
            "--quiet",
            "--out",
            str(tmp_path / "run"),
        ]
    )
    err = capsys.readouterr().err
    assert status == 1 and err.startswith("hil: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "run" / "summary.json").exists()


def test_result_table_lists_the_figures() -> None:
    """The end-of-run table names the outcome, each burn, the footprint and every link."""
    s = {
        "outcome": "reentry_in_zone",
        "end_reason": "breakup",
        "scenario": "s",
        "seed": 1,
        "transport": "serial",
        "time_mode": "lockstep",
        "sim_time_s": 86400.0,
        "wall_time_s": 3.0,
        "burns": [
            {
                "name": "FINAL",
                "ignition_utc": "t",
                "duration_s": 900.0,
                "dv_achieved_mps": 27.0,
                "dv_target_mps": 27.1,
                "outcome": "completed",
            }
        ],
        "reentry": {},
        "footprint": {"length_km": 1000.0, "center_miss_km": 12.5, "inside_zone": True},
        "control": {"cycles": 5, "deadline_misses": 0, "latency_ms": {"p50": 1.0, "p99": 2.0, "max": 3.0}},
        "links": {"imu": {"frames_sent": 9, "crc_errors": 0, "gaps": 1, "duplicates": 0}},
    }
    text = result_table(s)
    assert "reentry_in_zone" in text and "FINAL" in text and "12.5 km" in text and "link imu" in text
    assert "1.000 days" in text
