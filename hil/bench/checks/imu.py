"""IMU board checks (docs/icd.md 8.1 and the IMU packets of section 10): built-in test, output interval
and time tags, plausible outputs for a known condition, commanded output rates, a rate outside the ICD's
range refused, bad input, recovery."""

from __future__ import annotations

import itertools
import math
import struct

import numpy as np

from hil.bench.checks.common import Context, check_garbage, check_recovery, decoded, result
from hil.bench.report import CheckResult
from hil.bench.session import Received
from hil.protocol.catalogue import CATALOGUE, ImuStatus
from hil.protocol.crc import crc16

BAD_BITS = ImuStatus.GYRO_FAULT | ImuStatus.ACCEL_FAULT | ImuStatus.FAULT_INJECTED
#: The output rate the checks start from when the board runs slower (ICD 8.1: 10 Hz around burns).
START_RATE_HZ = 10.0


def f32(x: float) -> float:
    return float(struct.unpack(">f", struct.pack(">f", x))[0])


async def current_rate(ctx: Context) -> float:
    """The output rate the board reports (from the newest IMU_STATUS, waiting for one if needed)."""
    s = ctx.session
    have = decoded(s, "IMU_STATUS")
    if have:
        rec = have[-1]
    else:
        rec = await s.wait_message("IMU_STATUS", timeout_wall_s=ctx.wall(ctx.limits.status_gap_max_s)
                                   + ctx.limits.reply_timeout_wall_s, since=0)
    assert rec.msg is not None
    return float(rec.msg["output_rate_hz"])


async def set_rate(ctx: Context, rate_hz: float) -> Received | None:
    """Command ``rate_hz``; the IMU_STATUS that echoes the command, or None when none came."""
    s = ctx.session
    cid = ctx.command_id()
    mark = s.mark()
    await s.send("IMU_CONFIG", {"command_id": cid, "output_rate_hz": rate_hz})
    try:
        return await s.wait_message("IMU_STATUS", lambda m: int(m["last_command_id"]) == cid, since=mark)
    except TimeoutError:
        return None


async def check_bit(ctx: Context) -> CheckResult:
    """ICD 8.1, 11 (ImuStatus): the board reports BIT_PASS with no gyro, accelerometer or injected
    fault, in IMU_STATUS and every IMU_DATA, and an internal rate at least its output rate."""
    s, lim = ctx.session, ctx.limits
    mark = s.mark()
    await s.sleep_board(lim.status_gap_max_s)
    statuses = s.since(0, "IMU_STATUS")
    data = s.since(mark, "IMU_DATA")
    if not statuses or not data:
        return result("imu.bit", "8.1, 11", False, None, "BIT_PASS, no fault bits",
                      detail="no IMU_STATUS or IMU_DATA received")
    bad = []
    for r in statuses + data:
        assert r.msg is not None
        st = int(r.msg["status"])
        if not st & ImuStatus.BIT_PASS or st & BAD_BITS:
            bad.append(f"{r.msg.name} status {ImuStatus(st)!r}")
    last = statuses[-1].msg
    assert last is not None
    if not 0.0 < float(last["output_rate_hz"]) <= float(last["internal_rate_hz"]):
        bad.append(f"output rate {last['output_rate_hz']} Hz above internal rate "
                   f"{last['internal_rate_hz']} Hz")
    return result("imu.bit", "8.1, 11", not bad, f"{len(statuses) + len(data) - len(bad)} ok, {len(bad)} bad",
                  "BIT_PASS, no fault bits", "", "; ".join(bad[:2]))


def check_intervals(ctx: Context) -> CheckResult:
    """ICD 8.1, 10 (IMU_DATA): over the whole run, consecutive outputs (output_seq + 1) cover back-to-back
    intervals: interval_s equals the time-tag difference, sample_count matches the internal rate; so
    nothing is lost when the rate changes. An output flagged TIME_JUMP follows a clock step (a time sync,
    the suite's own included): its tags are not compared with its interval, its sample count is."""
    data = decoded(ctx.session, "IMU_DATA")
    statuses = decoded(ctx.session, "IMU_STATUS")
    internal = float(statuses[-1].msg["internal_rate_hz"]) if statuses and statuses[-1].msg else math.nan
    tol = ctx.limits.interval_tol_s
    worst = 0.0
    problems: list[str] = []
    pairs = 0
    for a, b in itertools.pairwise(data):
        assert a.msg is not None and b.msg is not None
        if a.epoch != b.epoch:
            continue
        if (int(b.msg["output_seq"]) - int(a.msg["output_seq"])) % (1 << 32) != 1:
            problems.append(f"output_seq {a.msg['output_seq']} then {b.msg['output_seq']}")
            continue
        pairs += 1
        dt = b.t_s - a.t_s
        if not int(b.msg["status"]) & ImuStatus.TIME_JUMP:
            err = abs(float(b.msg["interval_s"]) - dt)
            worst = max(worst, err)
            if err > tol:
                problems.append(f"interval_s {b.msg['interval_s']:.6f} s but tags {dt:.6f} s apart")
        if math.isfinite(internal):
            expect = float(b.msg["interval_s"]) * internal
            if abs(int(b.msg["sample_count"]) - expect) > 1.0 + 1e-9 and expect <= 65535:
                problems.append(f"sample_count {b.msg['sample_count']} for {expect:.1f} internal samples")
    ok = pairs > 0 and not problems
    return result("imu.interval_and_tags", "8.1, 10", ok, worst, f"<= {tol:.3g} s, samples ± 1", "s",
                  "; ".join(problems[:2]) if problems else ("" if pairs else "no consecutive IMU_DATA"))


async def check_plausible(ctx: Context) -> CheckResult:
    """ICD 8.1: delta-angle and delta-velocity are plausible for the known condition: the mean specific
    force magnitude and the mean angular rate over a window of outputs."""
    s, lim = ctx.session, ctx.limits
    cond = ctx.condition
    assert cond is not None
    mark = s.mark()
    await s.sleep_board(lim.static_window_s)
    data = s.since(mark, "IMU_DATA")
    if len(data) < 2:
        return result("imu.plausible", "8.1", False, None, cond.name, detail="too few IMU_DATA")
    d_theta = np.zeros(3)
    d_vel = np.zeros(3)
    total = 0.0
    for r in data:
        m = r.msg
        assert m is not None
        d_theta += [m["delta_angle_x"], m["delta_angle_y"], m["delta_angle_z"]]
        d_vel += [m["delta_velocity_x"], m["delta_velocity_y"], m["delta_velocity_z"]]
        total += float(m["interval_s"])
    if total <= 0.0:
        return result("imu.plausible", "8.1", False, None, cond.name, detail="zero total interval")
    f = float(np.linalg.norm(d_vel)) / total
    w = float(np.linalg.norm(d_theta)) / total
    f_ok = abs(f - cond.specific_force_mps2) <= cond.specific_force_tol_mps2
    w_ok = w <= cond.max_rate_rps
    limit = (f"|f| {cond.specific_force_mps2:g} ± {cond.specific_force_tol_mps2:g} m/s^2, "
             f"|w| <= {cond.max_rate_rps:.3g} rad/s ({cond.name})")
    return result("imu.plausible", "8.1", f_ok and w_ok, f"|f| {f:.4g} m/s^2, |w| {w:.3g} rad/s", limit,
                  "", f"over {total:.2f} s of outputs")


async def check_rate(ctx: Context, rate_hz: float) -> CheckResult:
    """ICD 8.1: after IMU_CONFIG the board confirms the rate in IMU_STATUS (with the command_id) and
    its IMU_DATA come at that rate from the next interval on (time tags)."""
    s, lim = ctx.session, ctx.limits
    name = f"imu.rate_{rate_hz:g}hz"
    limit = f"{rate_hz:g} Hz ± {100 * lim.rate_rel_tol:g} %"
    echo = await set_rate(ctx, rate_hz)
    if echo is None:
        return result(name, "8.1", False, None, limit, "Hz", "no IMU_STATUS echoed the IMU_CONFIG command_id")
    assert echo.msg is not None
    reported = float(echo.msg["output_rate_hz"])
    n = lim.rate_intervals
    wall = lim.wall((n + 3) / rate_hz) + lim.reply_timeout_wall_s
    data = await s.collect("IMU_DATA", n + 2, wall, since=echo.index + 1)
    tags = [r.t_s for r in data[1:]]  # the first may still close an interval at the old rate
    if len(tags) < 2:
        return result(name, "8.1", False, None, limit, "Hz", f"only {len(data)} IMU_DATA after the change")
    ivs = np.diff(tags)
    measured = 1.0 / float(np.mean(ivs))
    worst = float(np.max(np.abs(ivs * rate_hz - 1.0)))
    ok = (abs(measured / rate_hz - 1.0) <= lim.rate_rel_tol and worst <= 5 * lim.rate_rel_tol
          and reported == f32(rate_hz))
    detail = f"status reports {reported:g} Hz; {len(ivs)} intervals, worst off by {100 * worst:.2g} %"
    return result(name, "8.1", ok, measured, limit, "Hz", detail)


def config_with_rate(ctx: Context, command_id: int, rate_hz: float) -> bytes:
    """An IMU_CONFIG carrying ``rate_hz`` even outside the catalogue's range (the encoder would refuse)."""
    spec = CATALOGUE.by_name("IMU_CONFIG")
    packet = bytearray(ctx.session.encode("IMU_CONFIG", {"command_id": command_id, "output_rate_hz": 1.0}))
    offset = 12 + sum(f.octets for f in spec.all_fields[:1])
    packet[offset : offset + 4] = struct.pack(">f", rate_hz)
    packet[-2:] = crc16(bytes(packet[:-2])).to_bytes(2, "big")
    return bytes(packet)


async def check_rate_out_of_range(ctx: Context) -> CheckResult:
    """ICD 1 (ranges), 8.1, 8.3: an IMU_CONFIG outside 0.01..400 Hz is not acted on: the reported rate
    and the output intervals stay as they were."""
    s, lim = ctx.session, ctx.limits
    before = await current_rate(ctx)
    bad_rates = (1000.0, 0.001)
    ids = []
    for rate in bad_rates:
        cid = ctx.command_id()
        ids.append(cid)
        await s.send_packet(config_with_rate(ctx, cid, rate), "IMU_CONFIG")
    mark = s.mark()
    await s.sleep_board(lim.status_gap_max_s + 0.2)
    statuses = s.since(mark, "IMU_STATUS")
    data = s.since(mark, "IMU_DATA")
    problems = []
    for r in statuses:
        assert r.msg is not None
        if int(r.msg["last_command_id"]) in ids or float(r.msg["output_rate_hz"]) != before:
            problems.append(f"status reports {r.msg['output_rate_hz']:g} Hz, "
                            f"command {r.msg['last_command_id']}")
    for a, b in itertools.pairwise(data):
        if abs((b.t_s - a.t_s) * before - 1.0) > 5 * lim.rate_rel_tol:
            problems.append(f"output interval {b.t_s - a.t_s:.4g} s at a rate of {before:g} Hz")
            break
    if not statuses:
        problems.append("no IMU_STATUS after the commands")
    after = float(statuses[-1].msg["output_rate_hz"]) if statuses and statuses[-1].msg else math.nan
    return result("imu.rate_out_of_range", "1, 8.1, 8.3", not problems, after,
                  f"stays {before:g} Hz after {', '.join(f'{r:g}' for r in bad_rates)} Hz", "Hz",
                  "; ".join(problems[:2]))


async def _probe(ctx: Context) -> tuple[bool, str]:
    """Still the rate it had (a corrupted IMU_CONFIG changed nothing), and a valid IMU_CONFIG echoed."""
    rate = ctx.notes["imu_rate_before_garbage"]
    seen = await current_rate(ctx)
    echo = await set_rate(ctx, rate)
    if echo is None:
        return False, "no IMU_STATUS echoed a valid IMU_CONFIG afterwards"
    if seen != rate:
        return False, f"rate changed to {seen:g} Hz by bad input"
    mark = ctx.session.mark()
    try:
        await ctx.session.wait_message("IMU_DATA", since=mark,
                                       timeout_wall_s=ctx.wall(2.0 / rate) + ctx.limits.reply_timeout_wall_s)
    except TimeoutError:
        return False, "IMU_DATA stopped"
    return True, f"rate kept at {rate:g} Hz; command echoed; data flowing"


async def check_imu_garbage(ctx: Context) -> CheckResult:
    rate = await current_rate(ctx)
    ctx.notes["imu_rate_before_garbage"] = rate
    other = 37.0 if rate != 37.0 else 39.0
    bad = ctx.session.encode("IMU_CONFIG", {"command_id": ctx.command_id(), "output_rate_hz": other})
    return await check_garbage(ctx, bad, _probe)


async def check_imu_recovery(ctx: Context) -> CheckResult:
    ctx.notes["imu_rate_before_garbage"] = await current_rate(ctx)
    return await check_recovery(ctx, _probe)
