"""The thruster board's firmware in the C core against its pure-Python reference
(tests/oracles/thruster_board.py).

Property: fed the same packets at the same board times (valid commands of every kind, stale and repeated
ones, commands while not armed, injected faults and board resets, packets from other boards, corrupted and
truncated bytes), the board over the C core and the reference react the same way to every packet (kind,
status answer, schedule change, held time tag, acceptance), hold the same arming state, mode, counters and
valve schedules (commanded and actual, exactly), and report the same status; propellant and tank pressure
agree within 1e-9 kg and 1e-3 Pa (the core sums the valves' open times in another order).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from hil.boards.thruster_logic import ThrusterBoardConfig, ThrusterBoardCore
from hil.drivers.packets import PacketWriter
from hil.protocol.catalogue import MAX_CYCLE_PERIOD_US, THRUSTER_COUNT
from tests.oracles.thruster_board import ThrusterBoardCore as Reference

T0_S = 959_774_400.0
PROPELLANT_TOL_KG = 1e-9
PRESSURE_TOL_PA = 1e-3

ON_US = st.sampled_from([0, 1_000, 19_999, 20_000, 50_000, 100_000, 1_000_000, MAX_CYCLE_PERIOD_US])
PERIOD_US = st.sampled_from([1_000, 100_000, 1_000_000, 10_000_000])
#: a command's cycle as a step from the last one sent (mostly the next cycle, sometimes stale or skipping)
CYCLE_STEP = st.sampled_from([1, 1, 1, 1, 2, 0, -1])
#: a command id: a fresh one (None), or the last one again
ID = st.sampled_from([None, None, None, None, "repeat"])
DT_S = st.sampled_from([0.0, 0.001, 0.05, 0.1, 0.3, 1.0, 2.9, 3.1, 6.0, 40.0])


@st.composite
def _step(draw: st.DrawFn) -> tuple[float, str, dict[str, object], str]:
    """(time step, packet name, fields, damage): one packet as a sender might make it."""
    dt = draw(DT_S)
    kind = draw(st.sampled_from(["command", "command", "command", "arm", "arm", "fault", "sync", "other"]))
    damage = draw(st.sampled_from(["none"] * 8 + ["flip", "truncate"]))
    if kind == "command":
        on = draw(st.one_of(
            st.just([0] * THRUSTER_COUNT),
            st.lists(ON_US, min_size=THRUSTER_COUNT, max_size=THRUSTER_COUNT),
            ON_US.map(lambda v: [v] * THRUSTER_COUNT),
            st.tuples(st.integers(0, THRUSTER_COUNT - 1), ON_US).map(
                lambda iv: [iv[1] if i == iv[0] else 0 for i in range(THRUSTER_COUNT)])))
        return dt, "THRUSTER_COMMAND", {
            "cycle": draw(CYCLE_STEP), "command_id": draw(ID),
            "mode": draw(st.sampled_from([0, 1, 1, 2, 2])), "cycle_period_us": draw(PERIOD_US),
            "on_time_us": on}, damage
    if kind == "arm":
        return dt, "THRUSTER_ARM", {
            "action": draw(st.integers(1, 3)), "arm_code": draw(st.sampled_from([7, 7, 0, 0x5AFE])),
            "command_id": draw(ID)}, damage
    if kind == "fault":
        return dt, "THRUSTER_FAULT_INJECT", {
            "kind": draw(st.integers(0, 4)), "thruster": draw(st.integers(0, THRUSTER_COUNT - 1)),
            "factor": draw(st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0])),
            "command_id": draw(ID)}, damage
    if kind == "sync":
        return dt, "THRUSTER_TIME_SYNC", {"sync_id": draw(st.integers(0, 9)), "mode": 0}, damage
    return dt, "IMU_CONFIG", {"output_rate_hz": 10.0, "command_id": draw(st.integers(0, 9))}, damage


def _damaged(packet: bytes, damage: str) -> bytes:
    if damage == "flip":
        return packet[:8] + bytes([packet[8] ^ 0x40]) + packet[9:]
    if damage == "truncate":
        return packet[:-3]
    return packet


def _same(a: float, b: float, tol: float) -> bool:
    return a == b or (math.isfinite(a) and math.isfinite(b) and abs(a - b) <= tol)


def _assert_agree(board: ThrusterBoardCore, ref: Reference) -> None:
    assert board.t_s == ref.t_s
    assert board.armed_state is ref.armed_state
    assert board.mode is ref.mode
    assert (board.last_cycle, board.last_command_id) == (ref.last_cycle, ref.last_command_id)
    assert board.watchdog_expired == ref.watchdog_expired
    assert board.watchdog_period_s == ref.watchdog_period_s
    np.testing.assert_array_equal(board.commanded_until_s, ref.commanded_until_s)
    np.testing.assert_array_equal(board.actual_until_s, ref.actual_until_s)
    np.testing.assert_array_equal(board.thrust_factor, ref.faults.factor)
    assert board.faults.stuck_open == ref.faults.stuck_open
    assert board.faults.stuck_closed == ref.faults.stuck_closed
    c, r = board.counters, ref.counters
    for name in ("rx_packets", "rx_crc_errors", "rx_framing_errors", "rx_unexpected", "duplicates",
                 "commands_rejected", "commands_executed", "watchdog_expiries", "boot_count"):
        assert getattr(c, name) == getattr(r, name), name
    assert _same(board.propellant_kg, ref.propellant_kg, PROPELLANT_TOL_KG)
    assert _same(board.tank_pressure_pa, ref.tank_pressure_pa, PRESSURE_TOL_PA)


@given(steps=st.lists(_step(), min_size=1, max_size=60), arm_first=st.booleans())
@example(  # an on-time equal to the cycle period is not clamped
    steps=[(0.1, "THRUSTER_COMMAND", {"cycle": 1, "command_id": None, "mode": 1, "cycle_period_us": 100_000,
                                      "on_time_us": [100_000] * THRUSTER_COUNT}, "none")],
    arm_first=True)
def test_c_board_agrees_with_reference(steps: list[tuple[float, str, dict[str, object], str]],
                                       arm_first: bool) -> None:
    """See the module docstring."""
    config = ThrusterBoardConfig(watchdog_s=1.0, max_on_s=60.0, min_on_s=0.02, propellant_kg=50.0)
    board, ref = ThrusterBoardCore(config, T0_S), Reference(config, T0_S)
    writer = PacketWriter()
    t = T0_S
    script = list(steps)
    if arm_first:  # most interesting sequences start armed
        script[:0] = [(0.0, "THRUSTER_ARM", {"action": 1, "arm_code": 7, "command_id": 101}, "none"),
                      (0.0, "THRUSTER_ARM", {"action": 2, "arm_code": 7, "command_id": 102}, "none")]
    cycle = command_id = 0
    for dt, name, values, damage in script:
        t += dt
        if "cycle" in values:
            cycle = max(0, cycle + int(values["cycle"]))  # type: ignore[call-overload]
            values = {**values, "cycle": cycle}
        if values.get("command_id", 1) is None:
            command_id += 1
            values = {**values, "command_id": command_id}
        elif values.get("command_id") == "repeat":
            values = {**values, "command_id": command_id}
        packet = _damaged(writer.encode(name, values, t), damage)
        got, want = board.receive(t, packet), ref.receive(t, packet)
        assert (got.kind, got.send_status, got.valves_changed, got.held_t_s, got.accepted) == (
            want.kind, want.send_status, want.valves_changed, want.held_t_s, want.accepted)
        _assert_agree(board, ref)
        if got.send_status:
            s, w = board.status_values(), ref.status_values()
            assert _same(s.pop("propellant_kg"), w.pop("propellant_kg"), PROPELLANT_TOL_KG)
            assert _same(s.pop("tank_pressure_pa"), w.pop("tank_pressure_pa"), PRESSURE_TOL_PA)
            assert s == {k: int(v) for k, v in w.items()}
    t += 10.0
    assert board.advance(t) == ref.advance(t)
    _assert_agree(board, ref)
