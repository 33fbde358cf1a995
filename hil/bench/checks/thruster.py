"""Thruster board checks (docs/icd.md 8.2): two-step arming and its errors and timeout, the interlock
(no valve opens unless armed), status echoing the executed command, once-only execution, the on-time
bound, fields out of range, the watchdog and SAFED latch, DISARM, bad input and recovery.

How answers are found: the board answers every command with THRUSTER_STATUS; an accepted command shows
as ``last_command_id`` equal to its id, a rejected one as ``commands_rejected`` going up. A *probe* is a
repeat of the last executed command under a new command id: the board must refuse it (stale cycle), and
its answer shows the valves as they are; if the board executed it anyway it would reopen the same valves,
so a probe can never make a board look better than it is.
"""

from __future__ import annotations

import dataclasses
import struct
from typing import Any

from hil.bench.checks.common import Context, check_garbage, check_recovery, decoded, result
from hil.bench.report import CheckResult
from hil.protocol.catalogue import (
    CATALOGUE,
    DEORBIT_THRUSTERS,
    THRUSTER_COUNT,
    ArmAction,
    ArmedState,
    ThrusterFlags,
    ThrusterMode,
)
from hil.protocol.crc import crc16
from hil.protocol.schema import Message

US = 1_000_000
DEORBIT_BITS = sum(1 << i for i in DEORBIT_THRUSTERS)
ARM_CODE = 0x5AFE_C0DE


@dataclasses.dataclass
class Answer:
    msg: Message | None  # the THRUSTER_STATUS that answered, None when none came
    accepted: bool = False
    rejected: bool = False
    t_s: float = float("nan")

    @property
    def valves(self) -> int:
        return int(self.msg["valve_states"]) if self.msg is not None else -1

    @property
    def flags(self) -> ThrusterFlags:
        return ThrusterFlags(int(self.msg["flags"])) if self.msg is not None else ThrusterFlags(0)

    @property
    def state(self) -> ArmedState | None:
        return ArmedState(self.msg["armed_state"]) if self.msg is not None else None

    @property
    def state_name(self) -> str | None:
        return self.state.name if self.state is not None else None

    def describe(self) -> str:
        if self.msg is None:
            return "no answer"
        verdict = "accepted" if self.accepted else "rejected" if self.rejected else "?"
        return (f"{verdict}: {self.state.name if self.state is not None else '?'}, valves {self.valves:#x}, "
                f"flags {self.flags!r}, last_cycle {self.msg['last_cycle']}")


async def newest_status(ctx: Context) -> Message:
    s = ctx.session
    have = decoded(s, "THRUSTER_STATUS")
    if have and have[-1].msg is not None:
        return have[-1].msg
    wait = ctx.wall(ctx.limits.status_gap_max_s) + ctx.limits.reply_timeout_wall_s
    rec = await s.wait_message("THRUSTER_STATUS", since=0, timeout_wall_s=wait)
    assert rec.msg is not None
    return rec.msg


async def request(ctx: Context, name: str, values: dict[str, Any], packet: bytes | None = None) -> Answer:
    """Send a command (``packet`` when given, else encoded from ``values``) and wait for its answer."""
    s = ctx.session
    before = await newest_status(ctx)
    rejected0 = int(before["commands_rejected"])
    cid = int(values["command_id"])
    mark = s.mark()
    await s.send_packet(packet if packet is not None else s.encode(name, values), name)

    # A repeat of the last command's id cannot be recognised by the id: its answer is a rejection, or
    # (executed again) a new last cycle.
    repeat = int(before["last_command_id"]) == cid
    cycle0 = int(before["last_cycle"])

    def executed(m: Message) -> bool:
        if repeat:
            return int(m["last_cycle"]) != cycle0
        return int(m["last_command_id"]) == cid

    def answers(m: Message) -> bool:
        return executed(m) or int(m["commands_rejected"]) > rejected0

    try:
        rec = await s.wait_message("THRUSTER_STATUS", answers, since=mark)
    except TimeoutError:
        return Answer(None)
    assert rec.msg is not None
    accepted = executed(rec.msg) and int(rec.msg["commands_rejected"]) == rejected0
    return Answer(rec.msg, accepted=accepted, rejected=not accepted, t_s=rec.t_s)


async def arm(ctx: Context, action: ArmAction, code: int = 0) -> Answer:
    return await request(ctx, "THRUSTER_ARM", {"command_id": ctx.command_id(), "action": action,
                                               "arm_code": code if action is not ArmAction.DISARM else 0})


def command_values(ctx: Context, mode: ThrusterMode, on_s: dict[int, float], period_s: float,
                   cycle: int, command_id: int | None = None) -> dict[str, Any]:
    on = [0] * THRUSTER_COUNT
    for i, t in on_s.items():
        on[i] = round(t * US)
    return {"command_id": ctx.command_id() if command_id is None else command_id, "cycle": cycle,
            "mode": mode, "cycle_period_us": round(period_s * US), "on_time_us": on}


async def next_cycle(ctx: Context) -> int:
    last = max(int((await newest_status(ctx))["last_cycle"]), int(ctx.notes.get("last_cycle", 0)))
    ctx.notes["last_cycle"] = last + 1
    return last + 1


async def execute(ctx: Context, mode: ThrusterMode, on_s: dict[int, float], period_s: float
                  ) -> tuple[Answer, dict[str, Any]]:
    values = command_values(ctx, mode, on_s, period_s, await next_cycle(ctx))
    return await request(ctx, "THRUSTER_COMMAND", values), values


async def probe(ctx: Context, executed: dict[str, Any]) -> Answer:
    """Repeat ``executed`` (same cycle) under a new command id: refused; the answer shows the valves."""
    return await request(ctx, "THRUSTER_COMMAND", {**executed, "command_id": ctx.command_id()})


async def feed(ctx: Context) -> Answer:
    """An ALL_OFF command of the next cycle (accepted in any state; feeds the watchdog)."""
    answer, _ = await execute(ctx, ThrusterMode.ALL_OFF, {}, ctx.limits.command_period_s)
    return answer


async def arm_fresh(ctx: Context) -> str | None:
    """DISARM, ARM_PREPARE, ARM_CONFIRM and a first ALL_OFF; None when armed, else what went wrong."""
    for action in (ArmAction.DISARM, ArmAction.ARM_PREPARE, ArmAction.ARM_CONFIRM):
        answer = await arm(ctx, action, ARM_CODE)
        if not answer.accepted:
            return f"{action.name}: {answer.describe()}"
    answer = await feed(ctx)
    if answer.state is not ArmedState.ARMED:
        return f"not ARMED after the two steps: {answer.describe()}"
    return None


def refused(answer: Answer, flag: ThrusterFlags) -> bool:
    return answer.rejected and bool(answer.flags & flag) and answer.valves == 0


# -- checks ---------------------------------------------------------------------------------------------


async def check_disarm_idle(ctx: Context) -> CheckResult:
    """ICD 8.2: DISARM is accepted from any state and leaves the board DISARMED with every valve closed."""
    answer = await arm(ctx, ArmAction.DISARM)
    ok = answer.accepted and answer.state is ArmedState.DISARMED and answer.valves == 0
    return result("thruster.disarm_idle", "8.2", ok, answer.state_name,
                  "DISARMED, valves 0", "", answer.describe())


async def check_interlock_disarmed(ctx: Context) -> CheckResult:
    """ICD 8.2 (interlock): while DISARMED a PULSE with on-times and a MAIN_BURN are refused with
    REJECTED_NOT_ARMED and no valve opens."""
    await arm(ctx, ArmAction.DISARM)
    period = ctx.limits.command_period_s
    seen = []
    ok = True
    for mode, on in ((ThrusterMode.PULSE, {0: 0.5 * period, 20: 0.5 * period}), (ThrusterMode.MAIN_BURN, {})):
        answer, _ = await execute(ctx, mode, on, period)
        ok = ok and refused(answer, ThrusterFlags.REJECTED_NOT_ARMED)
        seen.append(f"{mode.name} {answer.describe()}")
    return result("thruster.interlock_disarmed", "8.2", ok, "refused" if ok else "not refused",
                  "REJECTED_NOT_ARMED, valves 0", "", "; ".join(seen))


async def _pulse_refused(ctx: Context) -> Answer:
    period = ctx.limits.command_period_s
    answer, _ = await execute(ctx, ThrusterMode.PULSE, {1: 0.5 * period}, period)
    return answer


async def check_confirm_without_prepare(ctx: Context) -> CheckResult:
    """ICD 8.2 (arming): ARM_CONFIRM without ARM_PREPARE is refused (ARM_SEQUENCE_ERROR, DISARMED) and
    no valve opens afterwards."""
    await arm(ctx, ArmAction.DISARM)
    confirm = await arm(ctx, ArmAction.ARM_CONFIRM, ARM_CODE)
    pulse = await _pulse_refused(ctx)
    ok = (confirm.rejected and confirm.state is ArmedState.DISARMED
          and bool(confirm.flags & ThrusterFlags.ARM_SEQUENCE_ERROR)
          and refused(pulse, ThrusterFlags.REJECTED_NOT_ARMED))
    return result("thruster.confirm_without_prepare", "8.2", ok,
                  confirm.state_name, "refused, ARM_SEQUENCE_ERROR, DISARMED", "",
                  f"confirm {confirm.describe()}; pulse {pulse.describe()}")


async def check_prepared_and_wrong_code(ctx: Context) -> list[CheckResult]:
    """ICD 8.2: after ARM_PREPARE alone nothing fires (a PULSE is refused, REJECTED_NOT_ARMED); an
    ARM_CONFIRM with another code is refused (ARM_SEQUENCE_ERROR, DISARMED), and the right code after
    that does not arm either (the sequence must start again)."""
    await arm(ctx, ArmAction.DISARM)
    code = ARM_CODE ^ 0x00FF_00FF
    prepare = await arm(ctx, ArmAction.ARM_PREPARE, code)
    pulse = await _pulse_refused(ctx)
    ok1 = (prepare.accepted and prepare.state is ArmedState.PREPARED
           and refused(pulse, ThrusterFlags.REJECTED_NOT_ARMED))
    r1 = result("thruster.interlock_prepared", "8.2", ok1, "refused" if ok1 else "not refused",
                "PREPARED: REJECTED_NOT_ARMED, valves 0", "",
                f"prepare {prepare.describe()}; pulse {pulse.describe()}")
    wrong = await arm(ctx, ArmAction.ARM_CONFIRM, code ^ 0x1)
    right = await arm(ctx, ArmAction.ARM_CONFIRM, code)
    pulse2 = await _pulse_refused(ctx)
    ok2 = (wrong.rejected and wrong.state is ArmedState.DISARMED
           and bool(wrong.flags & ThrusterFlags.ARM_SEQUENCE_ERROR)
           and right.state is not ArmedState.ARMED and refused(pulse2, ThrusterFlags.REJECTED_NOT_ARMED))
    r2 = result("thruster.confirm_wrong_code", "8.2", ok2, wrong.state_name,
                "refused, ARM_SEQUENCE_ERROR, DISARMED; no arming after", "",
                f"wrong {wrong.describe()}; then right code {right.describe()}; pulse {pulse2.describe()}")
    return [r1, r2]


async def check_arm_timeout(ctx: Context) -> CheckResult:
    """ICD 8.2: ARM_CONFIRM later than 5 s (spacecraft time) after ARM_PREPARE is refused and the board
    is DISARMED. The full suite also confirms just inside the window, which must arm."""
    lim = ctx.limits
    limit = f"refused after {lim.arm_timeout_s + lim.arm_margin_s:g} s"
    inside = ""
    if not lim.quick:
        await arm(ctx, ArmAction.DISARM)
        p = await arm(ctx, ArmAction.ARM_PREPARE, ARM_CODE)
        await ctx.session.sleep_board(lim.arm_timeout_s - lim.arm_margin_s)
        c = await arm(ctx, ArmAction.ARM_CONFIRM, ARM_CODE)
        await feed(ctx)
        await arm(ctx, ArmAction.DISARM)
        if not (p.accepted and c.accepted and c.state is ArmedState.ARMED):
            return result("thruster.arm_timeout", "8.2", False, c.t_s - p.t_s, limit, "s",
                          f"confirm {c.t_s - p.t_s:.2f} s after prepare did not arm: {c.describe()}")
        inside = f"confirm {c.t_s - p.t_s:.2f} s after prepare armed; "
    await arm(ctx, ArmAction.DISARM)
    prepare = await arm(ctx, ArmAction.ARM_PREPARE, ARM_CODE)
    await ctx.session.sleep_board(lim.arm_timeout_s + lim.arm_margin_s)
    confirm = await arm(ctx, ArmAction.ARM_CONFIRM, ARM_CODE)
    pulse = await _pulse_refused(ctx)
    late = confirm.t_s - prepare.t_s
    ok = (prepare.accepted and confirm.state is ArmedState.DISARMED and not confirm.accepted
          and late > lim.arm_timeout_s and refused(pulse, ThrusterFlags.REJECTED_NOT_ARMED))
    return result("thruster.arm_timeout", "8.2", ok, late, limit, "s",
                  f"{inside}late confirm {confirm.describe()}; pulse {pulse.describe()}")


async def check_arm_two_step(ctx: Context) -> CheckResult:
    """ICD 8.2: ARM_PREPARE then ARM_CONFIRM with the same code arms the board (the positive case)."""
    problem = await arm_fresh(ctx)
    status = await newest_status(ctx)
    state = ArmedState(status["armed_state"])
    await arm(ctx, ArmAction.DISARM)
    return result("thruster.arm_two_step", "8.2", problem is None, state.name, "ARMED", "", problem or "")


async def check_pulse_echo(ctx: Context) -> list[CheckResult]:
    """ICD 8.2: an armed board executes a PULSE and its status echoes it (command_id, cycle, mode, the
    valve open); the same command again, the same cycle under a new id, an older cycle, or a newer cycle
    with the same command_id are all refused (REJECTED_STALE_CYCLE) and reopen nothing."""
    s = ctx.session
    problem = await arm_fresh(ctx)
    if problem is not None:
        fail = result("thruster.status_echo", "8.2", False, None, "echo", "", f"could not arm: {problem}")
        return [fail, dataclasses.replace(fail, name="thruster.once_only")]
    period = ctx.limits.command_period_s
    on_s = 0.5 * period
    values = command_values(ctx, ThrusterMode.PULSE, {3: on_s}, period, await next_cycle(ctx))
    packet = s.encode("THRUSTER_COMMAND", values)
    answer = await request(ctx, "THRUSTER_COMMAND", values, packet)
    m = answer.msg
    echo_ok = (answer.accepted and m is not None and int(m["last_cycle"]) == values["cycle"]
               and ThrusterMode(m["mode"]) is ThrusterMode.PULSE and answer.valves == 1 << 3)
    measured = (f"cycle {m['last_cycle']}, {ThrusterMode(m['mode']).name}, valves {answer.valves:#x}"
                if m is not None else None)
    r1 = result("thruster.status_echo", "8.2", echo_ok, measured,
                f"command_id, cycle {values['cycle']}, PULSE, valves 0x8", "", answer.describe())
    await s.sleep_board(on_s + 0.2 * period)
    repeats = [
        ("same command, new packet", {**values}, None),
        ("same bytes again", None, packet),
        ("same cycle, new id", {**values, "command_id": ctx.command_id()}, None),
        ("older cycle, new id",
         {**values, "command_id": ctx.command_id(), "cycle": values["cycle"] - 1}, None),
        ("newer cycle, same id", {**values, "cycle": values["cycle"] + 1}, None),
    ]
    executed = 0
    seen = []
    for what, vals, raw in repeats:
        if raw is not None:
            mark = s.mark()
            await s.send_packet(raw, "THRUSTER_COMMAND")
            await s.sleep_board(0.1 * period)
            reopened = [r for r in s.since(mark, "THRUSTER_STATUS")
                        if r.msg is not None and int(r.msg["valve_states"]) & (1 << 3)]
            executed += bool(reopened)
            seen.append(f"{what}: {'reopened' if reopened else 'ignored or refused'}")
            continue
        assert vals is not None
        a = await request(ctx, "THRUSTER_COMMAND", vals)
        bad = not refused(a, ThrusterFlags.REJECTED_STALE_CYCLE)
        executed += bad
        seen.append(f"{what}: {a.describe()}")
    ctx.notes["last_cycle"] = max(int(ctx.notes.get("last_cycle", 0)), values["cycle"] + 1)
    after = await feed(ctx)
    await arm(ctx, ArmAction.DISARM)
    ok = executed == 0 and after.accepted
    r2 = result("thruster.once_only", "5, 8.2", ok, executed, "0 of 5 repeats executed", "",
                "; ".join(seen) + f"; next cycle {after.describe()}")
    return [r1, r2]


async def check_on_time_clamp(ctx: Context) -> CheckResult:
    """ICD 8.2 (on-time bound): an on-time longer than cycle_period_us is clamped to it: flagged
    ON_TIME_CLAMPED, and the valve is closed once the cycle period has passed (before the watchdog)."""
    problem = await arm_fresh(ctx)
    name, limit = "thruster.on_time_clamp", "ON_TIME_CLAMPED; closed after one period"
    if problem is not None:
        return result(name, "8.2", False, None, limit, "", f"could not arm: {problem}")
    period = ctx.limits.command_period_s
    answer, values = await execute(ctx, ThrusterMode.PULSE, {5: 2.5 * period}, period)
    await ctx.session.sleep_board(1.3 * period)
    later = await probe(ctx, values)
    await arm(ctx, ArmAction.DISARM)
    ok = (answer.accepted and bool(answer.flags & ThrusterFlags.ON_TIME_CLAMPED) and answer.valves == 1 << 5
          and later.msg is not None and later.valves == 0)
    return result(name, "8.2", ok, f"valves {later.valves:#x} at {1.3 * period:g} s", limit, "",
                  f"command {answer.describe()}; probe {later.describe()}")


def command_with(ctx: Context, values: dict[str, Any], field: str, raw: int, index: int = 0) -> bytes:
    """A THRUSTER_COMMAND with one field (element ``index``) set to ``raw``, range or not."""
    spec = CATALOGUE.by_name("THRUSTER_COMMAND")
    packet = bytearray(ctx.session.encode("THRUSTER_COMMAND", values))
    offset = 12
    for f in spec.all_fields:
        if f.name == field:
            offset += index * f.element_octets
            code = {1: ">B", 2: ">H", 4: ">I"}[f.element_octets]
            packet[offset : offset + f.element_octets] = struct.pack(code, raw)
            break
        offset += f.octets
    packet[-2:] = crc16(bytes(packet[:-2])).to_bytes(2, "big")
    return bytes(packet)


async def check_field_range(ctx: Context) -> CheckResult:
    """ICD 1 (ranges), 8.3: an armed board answers a THRUSTER_COMMAND with an on-time above its range or
    an undefined mode by counting it rejected (commands_rejected), and executes nothing."""
    name, limit = "thruster.field_out_of_range", "rejected, counted, valves 0"
    problem = await arm_fresh(ctx)
    if problem is not None:
        return result(name, "1, 8.3", False, None, limit, "", f"could not arm: {problem}")
    period = ctx.limits.command_period_s
    seen = []
    ok = True
    for what, fld, raw, index in (("on-time 200 s", "on_time_us", 200_000_000, 7), ("mode 7", "mode", 7, 0)):
        values = command_values(ctx, ThrusterMode.PULSE, {7: 0.5 * period}, period, await next_cycle(ctx))
        answer = await request(ctx, "THRUSTER_COMMAND", values, command_with(ctx, values, fld, raw, index))
        ok = ok and answer.rejected and answer.valves == 0
        seen.append(f"{what}: {answer.describe()}")
    await arm(ctx, ArmAction.DISARM)
    return result(name, "1, 8.3", ok, "rejected" if ok else "not rejected", limit, "", "; ".join(seen))


async def check_watchdog(ctx: Context) -> list[CheckResult]:
    """ICD 8.2 (watchdog): after a MAIN_BURN command and no other, the board closes every valve within
    3 cycle periods, sets WATCHDOG_EXPIRED and goes to SAFED; SAFED then refuses commands and a new
    arming until DISARM."""
    s, lim = ctx.session, ctx.limits
    period = lim.watchdog_cycle_s
    bound = lim.watchdog_cycles * period + lim.watchdog_tol_s
    name, limit = "thruster.watchdog", f"closed within {bound:g} s, WATCHDOG_EXPIRED, SAFED"
    problem = await arm_fresh(ctx)
    if problem is not None:
        fail = result(name, "8.2", False, None, limit, "", f"could not arm: {problem}")
        return [fail, dataclasses.replace(fail, name="thruster.safed_latches")]
    mark = s.mark()
    answer, values = await execute(ctx, ThrusterMode.MAIN_BURN, {}, period)
    opened = answer.accepted and answer.valves & DEORBIT_BITS == DEORBIT_BITS
    await s.sleep_board(bound)
    later = await probe(ctx, values)
    statuses = [r for r in s.since(mark, "THRUSTER_STATUS") if r.msg is not None]
    t0 = answer.t_s
    closed = [r for r in statuses if r.t_s >= t0 and int(r.msg["valve_states"]) == 0]  # type: ignore[index]
    open_late = [r for r in statuses if r.t_s > t0 + bound and int(r.msg["valve_states"]) != 0]  # type: ignore[index]
    first_closed = closed[0].t_s - t0 if closed else float("nan")
    timely = bool(closed) and (first_closed <= bound or closed[0].msg is later.msg)
    ok = (opened and timely and not open_late and later.valves == 0
          and bool(later.flags & ThrusterFlags.WATCHDOG_EXPIRED) and later.state is ArmedState.SAFED)
    r1 = result(name, "8.2", ok, first_closed, limit, "s",
                f"MAIN_BURN {answer.describe()}; after {bound:g} s {later.describe()}")
    # SAFED latches: a command and a new two-step arming are refused until DISARM.
    pulse = await _pulse_refused(ctx)
    prep = await arm(ctx, ArmAction.ARM_PREPARE, ARM_CODE)
    conf = await arm(ctx, ArmAction.ARM_CONFIRM, ARM_CODE)
    disarm = await arm(ctx, ArmAction.DISARM)
    ok2 = (later.state is ArmedState.SAFED and refused(pulse, ThrusterFlags.REJECTED_NOT_ARMED)
           and conf.state is ArmedState.SAFED and disarm.accepted and disarm.state is ArmedState.DISARMED)
    r2 = result("thruster.safed_latches", "8.2", ok2, conf.state_name,
                "SAFED until DISARM", "",
                f"pulse {pulse.describe()}; prepare {prep.describe()}; confirm {conf.describe()}; "
                f"disarm {disarm.describe()}")
    return [r1, r2]


async def check_disarm_closes(ctx: Context) -> CheckResult:
    """ICD 8.2: DISARM during a main burn closes every valve at once and leaves the board DISARMED."""
    name, limit = "thruster.disarm_closes", "DISARMED, valves 0"
    problem = await arm_fresh(ctx)
    if problem is not None:
        return result(name, "8.2", False, None, limit, "", f"could not arm: {problem}")
    burn, values = await execute(ctx, ThrusterMode.MAIN_BURN, {}, ctx.limits.command_period_s)
    disarm = await arm(ctx, ArmAction.DISARM)
    await ctx.session.sleep_board(0.2 * ctx.limits.command_period_s)
    later = await probe(ctx, values)
    ok = (burn.accepted and burn.valves & DEORBIT_BITS == DEORBIT_BITS and disarm.accepted
          and disarm.valves == 0 and disarm.state is ArmedState.DISARMED and later.valves == 0)
    return result(name, "8.2", ok, f"valves {disarm.valves:#x}", limit, "",
                  f"burn {burn.describe()}; disarm {disarm.describe()}; probe {later.describe()}")


async def _probe_alive(ctx: Context) -> tuple[bool, str]:
    """The board kept its state (DISARMED, not PREPARED by a corrupted ARM_PREPARE; last cycle kept, not
    reset to 0) and executes the next cycle."""
    cycle = int(ctx.notes["cycle_before"])
    stale = await request(ctx, "THRUSTER_COMMAND", command_values(
        ctx, ThrusterMode.ALL_OFF, {}, ctx.limits.command_period_s, cycle))
    nxt = await feed(ctx)
    m = stale.msg
    ok = (m is not None and stale.rejected and int(m["last_cycle"]) == cycle
          and stale.state is ArmedState.DISARMED and not stale.flags & ThrusterFlags.BOARD_RESET
          and nxt.accepted)
    return ok, f"stale cycle {stale.describe()}; next cycle {nxt.describe()}"


async def _prepare_baseline(ctx: Context) -> None:
    await arm(ctx, ArmAction.DISARM)
    answer = await feed(ctx)
    ctx.notes["cycle_before"] = int(answer.msg["last_cycle"]) if answer.msg is not None else 0


async def check_thruster_garbage(ctx: Context) -> CheckResult:
    await _prepare_baseline(ctx)
    bad = ctx.session.encode("THRUSTER_ARM", {"command_id": ctx.command_id(), "action": ArmAction.ARM_PREPARE,
                                              "arm_code": ARM_CODE})
    return await check_garbage(ctx, bad, _probe_alive)


async def check_thruster_recovery(ctx: Context) -> CheckResult:
    await _prepare_baseline(ctx)
    return await check_recovery(ctx, _probe_alive)


async def safe(ctx: Context) -> None:
    """Leave the board DISARMED (run after the checks, also after an error)."""
    await arm(ctx, ArmAction.DISARM)
