"""The bench report (table, JSON, exit status) and the ``hil bench`` command line's usage and
connection errors: exit status 2 and one line on stderr, never a traceback."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from hil.bench.limits import Limits
from hil.bench.report import CheckResult, Report, redact
from hil.cli import main


def report(*passed: bool) -> Report:
    r = Report(board="thruster", link="mqtt://flight:s3cret@broker:1883/deorbit", quick=True, time_scale=1.0)
    for i, ok in enumerate(passed):
        r.checks.append(CheckResult(f"check_{i}", "8.2", ok, 0.25 * i, "<= 1 s", "s",
                                    "" if ok else f"why {i} failed"))
    return r


def test_exit_status_is_zero_only_when_every_check_passes() -> None:
    """0 when all pass, 1 when any fails, and 1 for a run with no checks at all (nothing was shown)."""
    assert report(True, True).exit_status() == 0
    assert report(True, False, True).exit_status() == 1
    assert report().exit_status() == 1


def test_table_has_a_row_per_check_the_failure_reasons_and_a_verdict() -> None:
    r = report(True, False)
    lines = r.table().splitlines()
    assert lines[0].split()[:5] == ["CHECK", "ICD", "RESULT", "MEASURED", "LIMIT"]
    rows = [ln for ln in lines if ln.startswith("check_")]
    assert [ln.split()[2] for ln in rows[:2]] == ["pass", "FAIL"]
    assert "0.25 s" in rows[1] and "<= 1 s" in rows[1]
    assert "check_1: why 1 failed" in lines
    assert lines[-1].startswith(
        "thruster board on mqtt://flight:***@broker:1883/deorbit: 1 of 2 checks passed: FAIL")
    assert "s3cret" not in r.table()


def test_json_report_is_valid_json_with_every_check_and_no_password(tmp_path: Path) -> None:
    r = report(True, False)
    r.checks.append(CheckResult("nan_check", "6", False, math.nan, "1 ± 0.02"))
    path = tmp_path / "r.json"
    r.write_json(path)
    data = json.loads(path.read_text())
    assert data["passed"] is False and data["checks_failed"] == 2 and data["checks_passed"] == 1
    assert [c["name"] for c in data["checks"]] == ["check_0", "check_1", "nan_check"]
    assert data["checks"][2]["measured"] is None
    assert data["checks"][1] == {"name": "check_1", "icd": "8.2", "passed": False, "measured": 0.25,
                                 "limit": "<= 1 s", "unit": "s", "detail": "why 1 failed"}
    assert "s3cret" not in path.read_text()


@pytest.mark.parametrize("url", ["serial:///dev/ttyUSB0", "mqtt://broker/deorbit", "mqtts://u@h:8883/x"])
def test_redact_leaves_urls_without_a_password_alone(url: str) -> None:
    assert redact(url) == url


def test_limits_quick_is_shorter_and_the_time_scale_is_checked() -> None:
    full, quick = Limits.for_run(quick=False), Limits.for_run(quick=True, time_scale=4.0)
    assert len(quick.imu_rates_hz) < len(full.imu_rates_hz)
    assert quick.rate_intervals < full.rate_intervals
    assert quick.wall(2.0) == 0.5
    # What the ICD fixes is the same in both.
    assert (quick.arm_timeout_s, quick.watchdog_cycles, quick.housekeeping_period_s) == (5.0, 3, 10.0)
    for bad in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError):
            Limits.for_run(quick=True, time_scale=bad)


@pytest.mark.parametrize("argv", [
    ["bench", "imu", "--serial", "pty"],
    ["bench", "imu", "--mqtt", "http://broker/x"],
    ["bench", "imu", "--mqtt", "mqtt://"],
    ["bench", "thruster", "--serial", "relative/path"],
    ["bench", "thruster", "--serial", "/dev/null", "--time-scale", "0"],
    ["bench", "thruster", "--serial", "/dev/null", "--check", "no.such.check"],
    ["bench", "imu", "--serial", "/dev/no-such-port"],
    ["bench", "imu", "--mqtt", "mqtt://127.0.0.1:1/deorbit"],
    ["bench", "imu", "--serial", "/dev/no-such-port", "--report", "/no/such/dir/r.json"],
])
def test_usage_and_connection_errors_exit_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad port or URL, an unreachable port or broker, an unknown check or an unwritable report: exit
    status 2 and exactly one line on stderr starting with 'hil: '."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hil: "), err
    assert "Traceback" not in err[0]


def test_a_missing_link_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["bench", "imu"])
    assert exc.value.code == 2
    assert "one of the arguments --serial --mqtt is required" in capsys.readouterr().err
