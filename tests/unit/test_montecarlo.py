"""Monte Carlo framework: seeded draws, the scenario override, statistics, records and resume, the CLI's
errors. Campaigns here run open loop (a fraction of a second per run) on a small process pool."""

from __future__ import annotations

import dataclasses
import json
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hil.cli import main
from hil.montecarlo import dispersions, records, stats
from hil.montecarlo.runner import MonteCarloError, MonteCarloOptions, executor, run_montecarlo
from hil.montecarlo.runs import RunTask, execute
from hil.montecarlo.scenario_toml import dumps
from hil.scenario import load, loads

NOMINAL = load("iss-final-burn")


def _strip(rec: dict[str, Any]) -> dict[str, Any]:
    """A record without its wall time (the one field that depends on the machine)."""
    return {k: v for k, v in rec.items() if k != "wall_time_s"}


# ------------------------------------------------------------------------------------------ draws


def test_draws_depend_only_on_master_seed_and_index() -> None:
    """Run i's draws are the same whether drawn alone, after others, or in another order."""
    forward = [dispersions.draw(NOMINAL, 7, i) for i in range(6)]
    backward = [dispersions.draw(NOMINAL, 7, i) for i in reversed(range(6))][::-1]
    assert forward == backward
    assert dispersions.draw(NOMINAL, 7, 3) == forward[3]
    assert dispersions.draw(NOMINAL, 8, 3) != forward[3]
    assert len({d.seed for d in forward}) == 6


def test_draw_statistics_follow_the_dispersions_table() -> None:
    """Over 2,000 runs the draws have the table's spread: thrust and Cd sigma within 10 %, the density
    scale uniform over +-40 % (min and max within 0.01 of the ends), breakup altitude within 75-80 km."""
    d = NOMINAL.dispersions
    draws = [dispersions.draw(NOMINAL, 1, i) for i in range(2000)]
    thrust = np.array([x.thrust_scale for x in draws])
    cd = np.array([x.cd for x in draws]) / NOMINAL.vehicle.cd
    rho = np.array([x.density_scale for x in draws])
    brk = np.array([x.breakup_alt_km for x in draws])
    com = np.array([x.com_offset_body_m for x in draws])
    assert abs(thrust.std() / d.thrust_sigma_fraction - 1.0) < 0.1
    assert abs(thrust.mean() - 1.0) < 4 * d.thrust_sigma_fraction / math.sqrt(2000)
    assert abs(cd.std() / d.cd_sigma_fraction - 1.0) < 0.1
    assert abs(com.std(axis=0) / d.com_sigma_m - 1.0).max() < 0.1
    assert 0.6 <= rho.min() < 0.61 and 1.39 < rho.max() <= 1.4
    assert brk.min() >= 75.0 and brk.max() <= 80.0 and brk.max() - brk.min() > 4.9


def test_applied_dispersions_reach_the_scenario() -> None:
    """The run's scenario carries each drawn value where the rig reads it."""
    dr = dispersions.draw(NOMINAL, 3, 5)
    s = dispersions.apply(NOMINAL, dr)
    assert s.thrusters.thrust_n == pytest.approx(NOMINAL.thrusters.thrust_n * dr.thrust_scale, rel=1e-15)
    assert s.vehicle.dry_mass_kg == NOMINAL.vehicle.dry_mass_kg  # the flight software's vehicle
    assert s.vehicle.dry_mass_kg * s.truth.dry_mass_scale == pytest.approx(dr.dry_mass_kg, rel=1e-12)
    assert s.vehicle.cd == dr.cd
    assert s.truth.density_scale == dr.density_scale
    assert s.reentry.breakup_alt_km == dr.breakup_alt_km
    assert s.ground.tracking_sigma_m == NOMINAL.dispersions.tracking_sigma_m
    assert s.thrusters.misalignment_sigma_deg == NOMINAL.dispersions.misalignment_sigma_deg
    expected_cop = np.subtract(NOMINAL.vehicle.cop_offset_body_m, dr.com_offset_body_m)
    assert np.array_equal(s.vehicle.cop_offset_body_m, expected_cop)


@given(master=st.integers(0, 2**40), index=st.integers(0, 10**6))
def test_dispersed_scenario_round_trips_through_toml(master: int, index: int) -> None:
    """Any run's scenario, written as TOML and loaded back by hil.scenario, is the same scenario (every float
    exact), so a run folder's scenario.toml flies exactly the run."""
    s = dispersions.apply(NOMINAL, dispersions.draw(NOMINAL, master, index))
    back = loads(dumps(s), source="x.toml")
    strip = dataclasses.replace
    assert strip(back, source="", target=s.target) == strip(s, source="")
    assert Path(back.target.zone_file).is_absolute() and back.zone() == s.zone()


def test_round_trip_keeps_flight_table_and_inertia() -> None:
    """A scenario with a [flight] table and an inertia tensor comes back equal from its TOML."""
    text = Path(NOMINAL.source).read_text() + "\n[flight]\ncontrol_rate_hz = 5.0\n"
    s = loads(text, source=NOMINAL.source)
    s = dataclasses.replace(
        s,
        vehicle=dataclasses.replace(
            s.vehicle, inertia_kg_m2=((1.0e8, 0.0, 0.0), (0.0, 2.0e8, 0.0), (0.0, 0.0, 3.0e8))
        ),
    )
    back = loads(dumps(s), source="y.toml")
    assert back.flight == {"control_rate_hz": 5.0}
    assert back.vehicle == s.vehicle


@pytest.mark.parametrize("bad", [-1, True, 1.5])
def test_bad_master_seed_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="seed"):
        dispersions.draw(NOMINAL, bad, 0)


# ------------------------------------------------------------------------------------------ statistics


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_interval_against_newcombe_1998_table(k: int, n: int, lo: float, hi: float) -> None:
    """Newcombe (1998), Statistics in Medicine 17:857, method 3 (Wilson score, 95 %) for his four example
    proportions; tolerance 5e-5 in probability (the table's four decimals)."""
    got = stats.wilson_interval(k, n, 0.95)
    assert got[0] == pytest.approx(lo, abs=5e-5)
    assert got[1] == pytest.approx(hi, abs=5e-5)


@given(n=st.integers(1, 5000), data=st.data(), conf=st.floats(0.5, 0.999))
def test_wilson_interval_brackets_the_share_within_0_1(n: int, data: st.DataObject, conf: float) -> None:
    """For any count the interval lies in [0, 1], contains the observed share, is exact at 0 and n, and is
    symmetric under swapping successes and failures."""
    k = data.draw(st.integers(0, n))
    lo, hi = stats.wilson_interval(k, n, conf)
    assert 0.0 <= lo <= k / n <= hi <= 1.0
    assert (lo == 0.0) == (k == 0) or k > 0
    assert (k != n) or hi == 1.0
    lo2, hi2 = stats.wilson_interval(n - k, n, conf)
    assert lo2 == pytest.approx(1.0 - hi, abs=1e-12) and hi2 == pytest.approx(1.0 - lo, abs=1e-12)


def test_wilson_interval_covers_at_its_confidence() -> None:
    """Simulated coverage of the 95 % interval for p = 0.9, n = 100 over 4,000 binomial samples lies within
    93-97 % (Wilson's coverage near p = 0.9 is close to nominal; Newcombe 1998 table I)."""
    rng = np.random.default_rng(5)
    ks = rng.binomial(100, 0.9, 4000)
    covered = sum(
        1 for k in ks if stats.wilson_interval(int(k), 100)[0] <= 0.9 <= stats.wilson_interval(int(k), 100)[1]
    )
    assert 0.93 <= covered / 4000 <= 0.97


def test_wilson_interval_refuses_impossible_counts() -> None:
    for k, n in ((1, 0), (-1, 5), (6, 5)):
        with pytest.raises(ValueError):
            stats.wilson_interval(k, n)


def test_containment_counts_only_runs_with_every_impact_inside() -> None:
    """Aborted and failed runs count as not contained."""
    recs = [{"outcome": "reentry_in_zone", "inside": True}] * 7 + [
        {"outcome": "reentry_outside_zone", "inside": False},
        {"outcome": "aborted", "inside": False},
        {"outcome": "error", "inside": False},
    ]
    c = stats.containment(recs)
    assert (c["runs"], c["contained"], c["share"]) == (10, 7, 0.7)
    assert c["interval"] == list(stats.wilson_interval(7, 10))
    assert c["outcomes"] == {"aborted": 1, "error": 1, "reentry_in_zone": 7, "reentry_outside_zone": 1}


def test_centre_dispersion_on_the_aim_plane() -> None:
    """Centres 1 deg of latitude north and south of the aim point (111.2 km on the 6,371.0088 km sphere):
    mean at the aim within 1 m, major axis north-south with sigma 111.2 km (sample of two) within 0.1 km."""
    aim = (-48.8767, -123.3933)
    recs = [{"centre": {"lat_deg": aim[0] + d, "lon_deg": aim[1]}} for d in (1.0, -1.0)]
    c = stats.centre_dispersion(recs, *aim, miss_goal_km=120.0)
    arc_km = 6371.0088 * math.radians(1.0)
    assert abs(c["mean_east_km"]) < 1e-3 and abs(c["mean_north_km"]) < 1e-3
    assert c["sigma_major_km"] == pytest.approx(arc_km * math.sqrt(2.0), abs=0.1)
    assert c["sigma_minor_km"] < 1e-3
    assert min(c["major_axis_azimuth_deg"], 180.0 - c["major_axis_azimuth_deg"]) < 1e-6
    assert c["miss_km"]["max"] == pytest.approx(arc_km, abs=0.1) and c["within_goal"] == 2


# ------------------------------------------------------------------------------------------ runs


def test_open_loop_run_is_deterministic_and_complete() -> None:
    """The same task gives the same record (bar wall time); the record holds what the brief asks for."""
    task = RunTask(
        index=2,
        master_seed=11,
        scenario_toml=dumps(NOMINAL),
        scenario_source=NOMINAL.source,
        mode="open-loop",
    )
    a, b = execute(task), execute(task)
    assert _strip(a) == _strip(b)
    for key in ("seed", "dispersions", "outcome", "centre", "miss_km", "inside", "wall_time_s"):
        assert key in a
    assert a["outcome"] in ("reentry_in_zone", "reentry_outside_zone", "aborted", "error")
    assert a["seed"] == dispersions.draw(NOMINAL, 11, 2).seed
    assert a["inside"] == (a["outcome"] == "reentry_in_zone")
    if a["outcome"].startswith("reentry"):
        assert a["impacts"] == NOMINAL.reentry.fragment_count
        assert (a["impacts_inside"] == a["impacts"]) == a["inside"]


def test_a_failing_run_is_a_record_not_an_exception() -> None:
    """An unknown mode reaches the worker as an error record naming the problem."""
    task = RunTask(
        index=0, master_seed=0, scenario_toml=dumps(NOMINAL), scenario_source=NOMINAL.source, mode="sideways"
    )
    rec = execute(task)
    assert rec["outcome"] == "error" and "sideways" in rec["error"] and rec["inside"] is False


# ------------------------------------------------------------------------------------------ campaigns


def _campaign(out: Path, n: int, workers: int, seed: int = 4) -> dict[str, Any]:
    opts = MonteCarloOptions("iss-final-burn", n=n, master_seed=seed, mode="open-loop", out=out)
    with executor(workers) as (pool, where):
        return run_montecarlo(opts, pool, where=where)


def _records(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / records.RECORDS).read_text().splitlines()]


def test_same_seed_same_records_whatever_the_worker_count(tmp_path: Path) -> None:
    """One worker, two workers, a fresh process per run, or a thread pool: the same records, in run order,
    bar wall times."""
    _campaign(tmp_path / "one", 6, 1)
    _campaign(tmp_path / "two", 6, 2)
    opts = MonteCarloOptions("iss-final-burn", n=6, master_seed=4, mode="open-loop", out=tmp_path / "threads")
    with ThreadPoolExecutor(3) as pool:
        run_montecarlo(opts, pool)
    opts = MonteCarloOptions("iss-final-burn", n=3, master_seed=4, mode="open-loop", out=tmp_path / "fresh")
    with executor(2, fresh_processes=True) as (pool, _):
        run_montecarlo(opts, pool)
    one = [_strip(r) for r in _records(tmp_path / "one")]
    assert one[:3] == [_strip(r) for r in _records(tmp_path / "fresh")]
    assert [r["index"] for r in one] == list(range(6))
    assert one == [_strip(r) for r in _records(tmp_path / "two")]
    assert one == [_strip(r) for r in _records(tmp_path / "threads")]


def test_summary_plot_and_containment_agree_with_the_records(tmp_path: Path) -> None:
    s = _campaign(tmp_path, 6, 2)
    recs = _records(tmp_path)
    inside = sum(1 for r in recs if r["inside"])
    assert s["containment"]["contained"] == inside and s["containment"]["runs"] == 6
    assert s["containment"]["interval"] == list(stats.wilson_interval(inside, 6))
    assert json.loads((tmp_path / records.SUMMARY).read_text())["containment"] == s["containment"]
    png = (tmp_path / records.PLOT).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert s["centre_dispersion"]["count"] == sum(1 for r in recs if r["centre"])


def test_resume_flies_only_the_missing_runs(tmp_path: Path) -> None:
    """A campaign cut short (records of runs 0-2 and half a line) is completed by rerunning it: the earlier
    records are kept as they were, the cut line is flown again, and the result equals an uninterrupted one."""
    _campaign(tmp_path / "full", 5, 2)
    full = _records(tmp_path / "full")
    part = tmp_path / "part"
    _campaign(part, 3, 1)
    kept = (part / records.RECORDS).read_text()
    with (part / records.RECORDS).open("a") as f:
        f.write(records.dumps(full[3])[:40])  # a kill in the middle of a line
    s = _campaign(part, 5, 2)
    assert s["flown_this_time"] == 2
    assert (part / records.RECORDS).read_text().startswith(kept)
    assert [_strip(r) for r in _records(part)] == [_strip(r) for r in full]
    again = _campaign(part, 5, 1)
    assert again["flown_this_time"] == 0 and again["containment"] == s["containment"]


def test_resume_with_retry_errors_flies_error_records_again(tmp_path: Path) -> None:
    """An error record (here planted: as a fixed bug would leave) is kept by a plain resume and flown
    again with retry_errors, which gives the run's real record."""
    _campaign(tmp_path / "ref", 2, 1)
    ref = _records(tmp_path / "ref")
    out = tmp_path / "mc"
    _campaign(out, 2, 1)
    planted = [dict(ref[0], outcome="error", error="planted", inside=False, centre=None), ref[1]]
    records.rewrite_sorted(out, planted)
    assert _campaign(out, 2, 1)["flown_this_time"] == 0 and _records(out)[0]["error"] == "planted"
    opts = MonteCarloOptions(
        "iss-final-burn", n=2, master_seed=4, mode="open-loop", out=out, retry_errors=True
    )
    with executor(1) as (pool, _):
        s = run_montecarlo(opts, pool)
    assert s["flown_this_time"] == 1
    assert [_strip(r) for r in _records(out)] == [_strip(r) for r in ref]


def test_resume_refuses_another_campaign_in_the_folder(tmp_path: Path) -> None:
    _campaign(tmp_path, 1, 1, seed=1)
    with pytest.raises(MonteCarloError, match="another campaign"):
        _campaign(tmp_path, 1, 1, seed=2)


@pytest.mark.parametrize("n", [0, -3])
def test_bad_number_of_runs_is_refused(tmp_path: Path, n: int) -> None:
    opts = MonteCarloOptions("iss-final-burn", n=n, mode="open-loop", out=tmp_path)
    with ThreadPoolExecutor(1) as pool, pytest.raises(MonteCarloError, match="number of runs"):
        run_montecarlo(opts, pool)


# ------------------------------------------------------------------------------------------ CLI


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["montecarlo", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-n", "0"], "-n must be at least 1"),
        (["-n", "ten"], "-n must be a whole number"),
        (["-n", "2", "--workers", "0"], "--workers must be at least 1"),
        (["-n", "2", "--seed", "-4"], "must not be negative"),
    ],
)
def test_cli_bad_arguments_are_usage_errors(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """argparse's usage error: exit status 2, the message, no traceback."""
    with pytest.raises(SystemExit) as exc:
        main(["montecarlo", *argv, "--open-loop"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and message in err and "Traceback" not in err


def test_cli_unknown_scenario_gets_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, "no-such-scenario", "-n", "2", "--open-loop", "--out", str(tmp_path / "o"))
    assert code == 1 and err.startswith("hil: no scenario 'no-such-scenario'") and err.count("\n") == 1


def test_cli_workers_and_scheduler_together_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, "-n", "2", "--workers", "2", "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and "not both" in err and err.count("\n") == 1


def test_cli_malformed_scenario_gets_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nname = "x"\n\n[dispersions]\ncd_sigma_fraction = -0.1\n')
    code, _, err = _cli(capsys, str(bad), "-n", "2", "--open-loop", "--out", str(tmp_path / "o"))
    assert code == 1
    assert err.count("\n") == 1 and "bad.toml:5: dispersions.cd_sigma_fraction: must be >= 0" in err


def test_cli_unreachable_scheduler_gets_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip(
        "distributed",
        reason="Dask's distributed scheduler is not installed (pip install 'dask[distributed]')",
    )
    code, _, err = _cli(
        capsys, "-n", "2", "--open-loop", "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "o")
    )
    assert code == 1
    assert err.startswith("hil: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert err.count("\n") == 1


def test_cli_runs_a_small_campaign(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mc"
    code, stdout, err = _cli(
        capsys, "-n", "3", "--workers", "1", "--open-loop", "--seed", "9", "--out", str(out)
    )
    assert code == 0
    assert "containment" in stdout and "3/3 runs" in err
    summary = json.loads((out / records.SUMMARY).read_text())
    assert summary["runs"] == 3 and summary["mode"] == "open-loop" and summary["master_seed"] == 9
