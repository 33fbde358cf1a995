"""Checks both boards must pass: packet form, sequence counts, time tags and clock, status and
housekeeping rates, time sync, bad input, link recovery (docs/icd.md sections 3 to 6 and 8.3).

Passive checks read everything the session recorded over the whole run; active ones send something and
watch what comes back. The board-specific part of the bad-input and recovery checks (a command the board
must still answer, state it must keep) is given by the board's module as a :class:`BoardProbe`.
"""

from __future__ import annotations

import itertools
import random
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hil.bench.limits import Condition, Limits
from hil.bench.report import CheckResult
from hil.bench.session import BenchSession, Received
from hil.links.mqtt_link import MqttLink
from hil.protocol.catalogue import CATALOGUE, TimeSyncMode
from hil.protocol.crc import crc16
from hil.protocol.framing import frame
from hil.protocol.spacepacket import SEQ_COUNT_MODULUS, pack

STATUS = {"imu": "IMU_STATUS", "thruster": "THRUSTER_STATUS"}
HOUSEKEEPING = {"imu": "IMU_HOUSEKEEPING", "thruster": "THRUSTER_HOUSEKEEPING"}
TIME_SYNC = {"imu": "IMU_TIME_SYNC", "thruster": "THRUSTER_TIME_SYNC"}


@dataclass
class Context:
    """What every check gets: the session, the limits, and notes the checks leave for later ones."""

    session: BenchSession
    limits: Limits
    condition: Condition | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)
    _next_id: int = 0

    def __post_init__(self) -> None:
        self._next_id = self.rng.randrange(1 << 20, 1 << 31)

    def command_id(self) -> int:
        """A fresh command id (never 0, never the previous one)."""
        self._next_id = (self._next_id + 1) % (1 << 32) or 1
        return self._next_id

    @property
    def board(self) -> str:
        return self.session.board

    def wall(self, board_s: float) -> float:
        return self.limits.wall(board_s)


def result(name: str, icd: str, passed: bool, measured: float | int | str | None, limit: str,
           unit: str = "", detail: str = "") -> CheckResult:
    return CheckResult(name, icd, bool(passed), measured, limit, unit, detail)


def decoded(session: BenchSession, name: str | None = None) -> list[Received]:
    return session.since(0, name)


# -- passive checks -------------------------------------------------------------------------------------


def check_well_formed(ctx: Context) -> CheckResult:
    """ICD 3, 9, 10: every packet has a good CRC, header, length, a catalogue APID of this board's
    telemetry and fields in range. One bad frame per connection is forgiven: a receiver that opens a
    serial line while the board is sending starts mid-frame (ICD 4: it resynchronises on the next 0x00)."""
    s = ctx.session
    bad = [r for r in s.log if r.problem is not None]
    link = [e.stats for e in s.epochs]
    dropped = 0
    where = []
    for k, st in enumerate(link):
        n = st.crc_errors + st.framing_errors + st.oversize
        dropped += max(0, n - 1)
        if n:
            where.append(f"connection {k + 1}: {st.crc_errors} CRC, {st.framing_errors} framing, "
                         f"{st.oversize} oversize")
    total = len(s.log)
    count = len(bad) + dropped
    detail = ""
    if bad:
        detail = f"first: {bad[0].problem}"
    elif dropped:
        detail = f"the link dropped {dropped} frame(s): {'; '.join(where)}"
    return result("packets.well_formed", "3, 9, 10", count == 0 and total > 0, count,
                  f"0 bad of {total + dropped}", "bad", detail)


def check_sequence(ctx: Context) -> CheckResult:
    """ICD 3.1, 6: per APID, each packet's sequence count is the previous one plus one (mod 16384);
    across the suite's own reconnects counts go on forward (packets sent meanwhile are lost, not reset)."""
    last: dict[int, tuple[int, int]] = {}
    breaks: list[str] = []
    for r in decoded(ctx.session):
        assert r.msg is not None
        apid, seq = r.msg.apid, r.msg.seq_count
        if apid in last:
            prev, epoch = last[apid]
            ahead = (seq - prev) % SEQ_COUNT_MODULUS
            same_epoch = epoch == r.epoch
            if (same_epoch and ahead != 1) or (not same_epoch and not 1 <= ahead < SEQ_COUNT_MODULUS // 2):
                breaks.append(f"{r.msg.name} count {prev} then {seq}")
        last[apid] = (seq, r.epoch)
    return result("packets.sequence", "3.1, 6", not breaks and bool(last), len(breaks), "0 breaks",
                  "breaks", "; ".join(breaks[:3]))


def check_time_monotonic(ctx: Context) -> CheckResult:
    """ICD 3.2, 6: per APID the time tags never go back (IMU_DATA: strictly increasing)."""
    last: dict[str, float] = {}
    worst = 0.0
    count = 0
    first = ""
    for r in decoded(ctx.session):
        assert r.msg is not None
        name, t = r.msg.name, r.t_s
        if name in last:
            back = last[name] - t
            strict = name == "IMU_DATA"
            if back > 0.0 or (strict and back == 0.0):
                count += 1
                worst = max(worst, back)
                first = first or f"{name} at {t:.6f} s after {last[name]:.6f} s"
        last[name] = t
    return result("time.monotonic", "3.2, 6", count == 0 and bool(last), count, "0 steps back", "steps",
                  first)


def clock_rate(ctx: Context) -> tuple[float, float]:
    """Ratio of the board's time-tag rate to ``time_scale`` x the wall clock, and the span (wall s)
    it was measured over. The upper envelope of (tag - scale x arrival) at the two ends of the run is
    used, so link latency only delays arrivals and does not bias the estimate; the steps of the suite's
    own time syncs are taken out."""
    recs = decoded(ctx.session)
    if len(recs) < 4:
        return float("nan"), 0.0
    scale = ctx.limits.time_scale
    steps: list[tuple[int, float]] = ctx.notes.get("clock_steps", [])
    w0 = recs[0].wall_s
    span = recs[-1].wall_s - w0
    third = span / 3.0
    head = [r for r in recs if r.wall_s - w0 <= third]
    tail = [r for r in recs if r.wall_s - w0 >= span - third]
    if span <= 0.0 or not head or not tail:
        return float("nan"), span

    def offset(r: Received) -> float:
        """Tag less scaled arrival time, less the clock steps the suite commanded before it."""
        return r.t_s - scale * (r.wall_s - w0) - sum(step for mark, step in steps if r.index >= mark)

    def envelope(rs: list[Received]) -> tuple[float, float]:
        best = max(rs, key=offset)
        return offset(best), best.wall_s - w0

    o0, wa = envelope(head)
    o1, wb = envelope(tail)
    if wb - wa <= 0.0:
        return float("nan"), span
    return 1.0 + (o1 - o0) / (scale * (wb - wa)), span


def check_clock_rate(ctx: Context) -> CheckResult:
    """ICD 6: the board's spacecraft time advances at the rate of the wall clock (times the emulator's
    time scale)."""
    ratio, span = clock_rate(ctx)
    tol = ctx.limits.clock_rate_rel_tol
    ok = span >= 2.0 and abs(ratio - 1.0) <= tol
    detail = "" if span >= 2.0 else f"only {span:.1f} s of traffic"
    return result("time.clock_rate", "6", ok, ratio, f"1 ± {tol:g} (x time scale {ctx.limits.time_scale:g})",
                  "", detail)


def _intervals(ctx: Context, name: str) -> list[float]:
    out: list[float] = []
    for a, b in itertools.pairwise(decoded(ctx.session, name)):
        if a.epoch == b.epoch:
            out.append(b.t_s - a.t_s)
    return out


def check_status_rate(ctx: Context) -> CheckResult:
    """ICD 8.1, 8.2: status at least at 1 Hz: no gap between consecutive status packets above the limit."""
    name = STATUS[ctx.board]
    gaps = _intervals(ctx, name)
    worst = max(gaps) if gaps else float("nan")
    ok = bool(gaps) and worst <= ctx.limits.status_gap_max_s
    return result("status.rate", "8.1" if ctx.board == "imu" else "8.2", ok, worst,
                  f"<= {ctx.limits.status_gap_max_s:g} s between {name}", "s",
                  "" if gaps else f"fewer than two {name} received")


def check_housekeeping_rate(ctx: Context) -> CheckResult:
    """ICD 8.1, 8.2, 9: housekeeping every 10 s."""
    name = HOUSEKEEPING[ctx.board]
    period, tol = ctx.limits.housekeeping_period_s, ctx.limits.housekeeping_tol_s
    ivs = _intervals(ctx, name)
    worst = max(ivs, key=lambda x: abs(x - period)) if ivs else float("nan")
    ok = bool(ivs) and abs(worst - period) <= tol
    return result("housekeeping.rate", "8.1" if ctx.board == "imu" else "8.2", ok, worst,
                  f"{period:g} ± {tol:g} s", "s", "" if ivs else f"fewer than two {name} in one connection")


def check_no_reset(ctx: Context) -> CheckResult:
    """ICD 6, 8.3: the board never restarted during the run (boot count and uptime in housekeeping; the
    thruster board's BOARD_RESET flag), whatever it was sent."""
    hks = decoded(ctx.session, HOUSEKEEPING[ctx.board])
    problems = []
    boots = {int(r.msg["boot_count"]) for r in hks if r.msg is not None}
    if len(boots) > 1:
        problems.append(f"boot count changed: {sorted(boots)}")
    for a, b in itertools.pairwise(hks):
        assert a.msg is not None and b.msg is not None
        if b.msg["uptime_s"] < a.msg["uptime_s"]:
            problems.append(f"uptime went back from {a.msg['uptime_s']} to {b.msg['uptime_s']} s")
            break
    if ctx.board == "thruster":
        from hil.protocol.catalogue import ThrusterFlags

        resets = [r for r in decoded(ctx.session, "THRUSTER_STATUS")
                  if r.msg is not None and int(r.msg["flags"]) & ThrusterFlags.BOARD_RESET]
        if resets:
            problems.append(f"BOARD_RESET flagged in {len(resets)} status packet(s)")
    return result("board.no_reset", "6, 8.3", not problems and bool(hks), len(problems), "0 resets", "",
                  "; ".join(problems) or ("" if hks else "no housekeeping received"))


def check_bad_input_counted(ctx: Context) -> CheckResult:
    """ICD 8.3: the frames the bad-input check sent are counted in housekeeping: each bad-CRC frame as a
    CRC error, the rest as framing errors."""
    mark = ctx.notes.get("garbage_mark")
    name = HOUSEKEEPING[ctx.board]
    limit = "CRC errors +{crc}, framing errors +1 or more"
    if mark is None:
        return result("housekeeping.counts_bad_input", "8.3", False, None, "bad-input check ran",
                      detail="the bad-input check did not run")
    n_crc = int(ctx.notes["garbage_crc_frames"])
    hks = decoded(ctx.session, name)
    before = [r for r in hks if r.index < mark]
    after = [r for r in hks if r.index >= mark]
    if not before or not after:
        return result("housekeeping.counts_bad_input", "8.3", False, None, limit.format(crc=n_crc),
                      detail=f"no {name} {'before' if not before else 'after'} the bad input")
    a, b = before[-1].msg, after[-1].msg
    assert a is not None and b is not None
    d_crc = int(b["rx_crc_errors"]) - int(a["rx_crc_errors"])
    d_fr = int(b["rx_framing_errors"]) - int(a["rx_framing_errors"])
    ok = d_crc >= n_crc and d_fr >= 1
    return result("housekeeping.counts_bad_input", "8.3", ok, f"+{d_crc} CRC, +{d_fr} framing",
                  limit.format(crc=n_crc))


# -- active checks --------------------------------------------------------------------------------------


async def wait_housekeeping(ctx: Context) -> Received | None:
    """The newest housekeeping packet, waiting (bounded by one period and its tolerance) for one."""
    name = HOUSEKEEPING[ctx.board]
    have = decoded(ctx.session, name)
    if have and have[-1].epoch == ctx.session.epoch:
        return have[-1]
    lim = ctx.limits
    try:
        return await ctx.session.wait_message(
            name, timeout_wall_s=lim.wall(lim.housekeeping_period_s + lim.housekeeping_tol_s)
            + lim.reply_timeout_wall_s, since=0 if not have else have[-1].index + 1)
    except TimeoutError:
        return None


def _offset(ctx: Context, recs: list[Received]) -> float:
    """Upper envelope of (tag - scale x arrival wall time): the board clock against the host's."""
    scale = ctx.limits.time_scale
    return max(r.t_s - scale * r.wall_s for r in recs)


async def _sync(ctx: Context, ahead_s: float) -> tuple[float | None, str]:
    """Send a STEP time sync tagged ``ahead_s`` after the board's current time; the step its time tags
    made (None when its sync_id was not echoed) and what was seen."""
    s, lim = ctx.session, ctx.limits
    before = [r for r in decoded(s) if r.epoch == s.epoch][-20:]
    sync_id = ctx.command_id()
    mark = s.mark()
    sent_wall = time.monotonic()
    await s.send(TIME_SYNC[ctx.board], {"sync_id": sync_id, "mode": TimeSyncMode.STEP},
                 t_s=s.board_now_s() + ahead_s)
    wait = lim.wall(lim.status_gap_max_s) + lim.reply_timeout_wall_s
    try:
        echo = await s.wait_message(STATUS[ctx.board], lambda m: int(m["last_sync_id"]) == sync_id,
                                    timeout_wall_s=wait, since=mark)
    except TimeoutError:
        return None, f"no {STATUS[ctx.board]} reported last_sync_id {sync_id} within {wait:.2g} s (wall)"
    if ahead_s:
        ctx.notes.setdefault("clock_steps", []).append((mark, ahead_s))
    await s.sleep_board(0.5)
    after = [r for r in s.since(echo.index) if r.epoch == s.epoch]
    if not before or not after:
        return None, "too few packets around the sync"
    step = _offset(ctx, after) - _offset(ctx, before)
    echoed = echo.wall_s - sent_wall
    return step, f"sync_id echoed {echoed:.3f} s (wall) after sending, tags stepped {step:+.4f} s"


async def check_time_sync(ctx: Context) -> CheckResult:
    """ICD 6: a STEP time sync to the board's own current time is applied (its sync_id is reported in
    the status) and moves the time tags by no more than the tolerance. The thruster board, whose clock
    flight software sets, is also stepped forward by ``sync_step_s``: its time tags must follow."""
    lim = ctx.limits
    tol = lim.sync_step_tol_s
    step, seen = await _sync(ctx, 0.0)
    if step is None or abs(step) > tol or ctx.board != "thruster":
        return result("time.sync", "6", step is not None and abs(step) <= tol, step,
                      f"|step| <= {tol:g} s, sync_id echoed", "s", seen)
    ahead = lim.sync_step_s
    step2, seen2 = await _sync(ctx, ahead)
    ok = step2 is not None and abs(step2 - ahead) <= tol
    return result("time.sync", "6", ok, step2, f"to own time: |step| <= {tol:g} s; {ahead:+g} s: "
                  f"{ahead:+g} ± {tol:g} s", "s", f"{seen}; then {seen2}")


@dataclass
class GarbageSent:
    crc_frames: int  # frames whose only fault is the CRC (each must count as one CRC error)
    other_frames: int  # framing, length, oversize, unknown APID, wrong type


def _with_crc(body: bytes) -> bytes:
    return body + crc16(body).to_bytes(2, "big")


async def send_garbage(ctx: Context, command: bytes) -> GarbageSent:
    """Put bad input on the board's link: line noise, ``command`` with a wrong CRC (content intact, so a
    board that skipped the CRC check would act on it), a wrong length field, a wrong version, an unknown
    APID, a packet of the other board, a telemetry packet, an oversize frame and a cut frame."""
    s = ctx.session
    bad_crc = command[:-2] + bytes([command[-2] ^ 0x5A, command[-1]])
    wrong_length = _with_crc(command[:4] + struct.pack(">H", len(command) - 7 + 3) + command[6:-2])
    wrong_version = _with_crc(bytes([command[0] | 0x20]) + command[1:-2])
    unknown_apid = pack(0x7FE, 0, b"\x01\x02\x03", time_tag_s=1.0)
    other = "thruster" if ctx.board == "imu" else "imu"
    foreign_name = "IMU_CONFIG" if other == "imu" else "THRUSTER_ARM"
    foreign_vals: dict[str, Any] = (
        {"command_id": 1, "output_rate_hz": 1.0} if other == "imu"
        else {"command_id": 1, "action": 1, "arm_code": 7})
    foreign = CATALOGUE.encode(foreign_name, foreign_vals, seq_count=0, time_tag_s=1.0)
    own_tm = CATALOGUE.encode(STATUS[ctx.board], CATALOGUE.by_name(STATUS[ctx.board]).example_values(),
                              seq_count=0, time_tag_s=1.0)
    packets = [bad_crc, wrong_length, wrong_version, unknown_apid, foreign, own_tm]
    crc_frames = 1
    serial = not isinstance(s.link, MqttLink)
    if serial:
        await s.send_raw(b"\x13\x37 line noise \xff\xfe\x01\x00")
        for p in packets:
            await s.send_raw(frame(p))
        await s.send_raw(bytes([0x55]) * 1100 + b"\x00")  # longer than the largest frame
        await s.send_raw(frame(command)[: len(command) // 2] + b"\x00")  # a frame cut short
        other_frames = 1 + len(packets) - crc_frames + 2
    else:
        for p in packets:
            await s.send_raw(p)
        await s.send_raw(b"\x13\x37")
        await s.send_raw(bytes([0x55]) * 1100)
        other_frames = len(packets) - crc_frames + 2
    ctx.notes["garbage_crc_frames"] = crc_frames
    return GarbageSent(crc_frames, other_frames)


#: A board-specific probe: sends a valid command and returns (answered correctly, what was seen).
BoardProbe = Callable[[Context], Awaitable[tuple[bool, str]]]


async def check_garbage(ctx: Context, bad_command: bytes, probe: BoardProbe) -> CheckResult:
    """ICD 4, 5, 8.3: bad frames and packets on the board's input are dropped without a reset or any
    effect; the board goes on sending and still answers a valid command (``probe``)."""
    s = ctx.session
    name = "input.garbage"
    await wait_housekeeping(ctx)  # the count before, for housekeeping.counts_bad_input
    ctx.notes["garbage_mark"] = s.mark()
    sent = await send_garbage(ctx, bad_command)
    await s.sleep_board(0.5)
    ok, seen = await probe(ctx)
    return result(name, "4, 5, 8.3", ok, f"{sent.crc_frames + sent.other_frames} bad frames sent",
                  "dropped, no effect, board still answers", "", seen)


async def check_recovery(ctx: Context, probe: BoardProbe) -> CheckResult:
    """ICD 4, 5: after the host side of the link goes away and comes back, the board is heard again
    (MQTT: its state is online) and answers a command."""
    s, lim = ctx.session, ctx.limits
    name = "link.recovery"
    reopened = await s.drop_link(lim.recovery_down_wall_s)
    mark = s.mark()
    limit = f"heard within {lim.recovery_timeout_wall_s:g} s (wall), then answers"
    try:
        first = await s.wait_for(lambda r: r.msg is not None, lim.recovery_timeout_wall_s, since=mark)
    except TimeoutError:
        return result(name, "4, 5", False, None, limit, "",
                      f"nothing from the board within {lim.recovery_timeout_wall_s:g} s of reconnecting")
    heard = first.wall_s - reopened
    if isinstance(s.link, MqttLink) and not await s.wait_peer_online(lim.reply_timeout_wall_s):
        return result(name, "4, 5", False, heard, limit, "s", "board state is not 'online' after reconnect")
    ok, seen = await probe(ctx)
    return result(name, "4, 5", ok, heard, limit, "s", seen)


async def check_mqtt_online(ctx: Context) -> CheckResult:
    """ICD 5: the board publishes its retained state 'online' on {prefix}/{board}/state."""
    s = ctx.session
    online = await s.wait_peer_online(ctx.limits.reply_timeout_wall_s)
    return result("mqtt.state_online", "5", online, "online" if online else str(s.peer_online()),
                  "retained 'online'")
