"""Unit tests of the thruster board's firmware logic (hil.boards.thruster_logic)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hil.boards.thruster_logic import G0_MPS2, ThrusterBoardConfig, ThrusterBoardCore
from hil.drivers.packets import PacketWriter
from hil.protocol import spacepacket
from hil.protocol.catalogue import (
    ARM_CONFIRM_TIMEOUT_S,
    ATTITUDE_THRUSTERS,
    CATALOGUE,
    DEORBIT_THRUSTERS,
    THRUSTER_COUNT,
    WATCHDOG_CYCLES,
    ArmedState,
    ThrusterFlags,
)

T0 = 959_774_400.0


class Rig:
    def __init__(self, **config: float) -> None:
        self.config = ThrusterBoardConfig(**config)
        self.board = ThrusterBoardCore(self.config, T0)
        self.writer = PacketWriter()
        self.t = T0
        self.ids = 0
        self.cycle = 0

    def send(self, name: str, values: dict[str, object], dt: float = 0.0) -> None:
        self.t += dt
        self.ids += 1
        self.board.receive(self.t, self.writer.encode(name, {"command_id": self.ids, **values}, self.t))

    def arm(self, code: int = 0x5AFE) -> None:
        self.send("THRUSTER_ARM", {"action": "ARM_PREPARE", "arm_code": code})
        self.send("THRUSTER_ARM", {"action": "ARM_CONFIRM", "arm_code": code}, 0.5)

    def command(self, on_s: list[float] | float = 0.0, mode: str = "PULSE", period_s: float = 0.1,
                dt: float = 0.0) -> None:
        self.cycle += 1
        on = on_s if isinstance(on_s, list) else [on_s] * THRUSTER_COUNT
        self.send("THRUSTER_COMMAND", {"cycle": self.cycle, "mode": mode,
                                       "cycle_period_us": round(period_s * 1e6),
                                       "on_time_us": [round(x * 1e6) for x in on]}, dt)


def test_two_step_arming_opens_valves_only_when_armed() -> None:
    """PULSE before arming is rejected; after PREPARE and CONFIRM with the same code it opens valves."""
    r = Rig()
    r.command(0.05)
    assert not r.board.commanded_open().any()
    assert r.board.status_values()["flags"] & ThrusterFlags.REJECTED_NOT_ARMED
    r.arm()
    assert r.board.armed_state is ArmedState.ARMED
    r.command(0.05, dt=0.1)
    assert r.board.commanded_open().all()
    assert np.allclose(r.board.commanded_until_s, r.t + 0.05)


@pytest.mark.parametrize("case", ["wrong_code", "late", "no_prepare"])
def test_arm_confirm_errors_leave_the_board_disarmed(case: str) -> None:
    """ARM_CONFIRM with a wrong code, after the confirm timeout, or without PREPARE is an arming error."""
    r = Rig()
    if case != "no_prepare":
        r.send("THRUSTER_ARM", {"action": "ARM_PREPARE", "arm_code": 7})
    dt = ARM_CONFIRM_TIMEOUT_S + 0.5 if case == "late" else 0.1
    r.send("THRUSTER_ARM", {"action": "ARM_CONFIRM", "arm_code": 8 if case == "wrong_code" else 7}, dt)
    assert r.board.armed_state is ArmedState.DISARMED
    assert r.board.status_values()["flags"] & ThrusterFlags.ARM_SEQUENCE_ERROR


def test_on_times_are_clamped_to_the_cycle_and_short_pulses_dropped() -> None:
    """On-times above the cycle period are clamped (flagged); below min_on_s (0.02 s) not fired."""
    r = Rig()
    r.arm()
    on = [0.5] * THRUSTER_COUNT
    on[0] = 0.01
    r.command(on, period_s=0.1, dt=0.1)
    until = r.board.commanded_until_s - r.t
    assert until[0] == 0.0
    assert np.allclose(until[1:], 0.1)
    assert r.board.status_values()["flags"] & ThrusterFlags.ON_TIME_CLAMPED


def test_main_burn_holds_the_deorbit_valves_open_until_the_next_command() -> None:
    """MAIN_BURN: the 30 deorbit Dracos (16-45) stay open until the next command (at the latest the
    watchdog, 3 cycles); attitude thrusters pulse as commanded; a PULSE command closes the mains."""
    r = Rig()
    r.arm()
    on = [0.05] * ATTITUDE_THRUSTERS.stop + [0.0] * len(DEORBIT_THRUSTERS)
    r.command(on, mode="MAIN_BURN", period_s=0.1, dt=0.1)
    until = r.board.commanded_until_s - r.t
    assert np.allclose(until[DEORBIT_THRUSTERS.start:], WATCHDOG_CYCLES * 0.1)
    assert np.allclose(until[: ATTITUDE_THRUSTERS.stop], 0.05)
    r.command(0.0, mode="PULSE", period_s=0.1, dt=0.1)
    assert not r.board.commanded_open().any()


def test_watchdog_expires_three_cycles_after_the_last_command_and_latches_safe() -> None:
    """Watchdog period is 3 cycle periods of the last command (0.3 s at 10 Hz, ICD 8.2); on expiry every
    valve is closed and the board is SAFED until DISARM; commands are then rejected."""
    r = Rig(watchdog_s=1.0)
    r.arm()
    r.command(0.0, mode="MAIN_BURN", period_s=0.1, dt=0.1)
    t_cmd = r.t
    assert r.board.watchdog_period_s == pytest.approx(WATCHDOG_CYCLES * 0.1)
    r.board.advance(t_cmd + 0.299)
    assert r.board.armed_state is ArmedState.ARMED and r.board.commanded_open().any()
    r.board.advance(t_cmd + 0.3)
    assert r.board.armed_state is ArmedState.SAFED
    assert not r.board.commanded_open().any()
    assert r.board.status_values()["flags"] & ThrusterFlags.WATCHDOG_EXPIRED
    r.t = t_cmd + 1.5
    r.command(0.05)
    assert not r.board.commanded_open().any()
    r.send("THRUSTER_ARM", {"action": "DISARM", "arm_code": 0})
    assert r.board.armed_state is ArmedState.DISARMED


def test_watchdog_is_long_enough_for_the_coast_command_rate() -> None:
    """At 0.1 Hz (10 s cycles) the watchdog waits three cycles (30 s); after arming and before any command
    it waits watchdog_s."""
    r = Rig(watchdog_s=1.0)
    r.arm()
    assert r.board.watchdog_period_s == 1.0
    r.command(0.0, period_s=10.0, dt=0.1)
    r.board.advance(r.t + 29.9)
    assert not r.board.watchdog_expired
    r.board.advance(r.t + 30.0)
    assert r.board.watchdog_expired


def test_stale_and_repeated_commands_never_act_twice() -> None:
    """A command whose cycle is not newer, or whose command_id is the last one's, is rejected and counted
    (REJECTED_STALE_CYCLE); cycle 0 is never executed (the last cycle starts at 0)."""
    r = Rig()
    r.arm()
    r.command(0.05, dt=0.1)
    values = {"command_id": 999, "cycle": r.cycle, "mode": "PULSE", "cycle_period_us": 100_000,
              "on_time_us": [50_000] * 46}
    packet = r.writer.encode("THRUSTER_COMMAND", values, r.t)
    before = r.board.counters.commands_executed
    r.board.receive(r.t + 0.01, packet)
    assert r.board.counters.commands_executed == before
    assert r.board.status_values()["flags"] & ThrusterFlags.REJECTED_STALE_CYCLE
    rejected = r.board.counters.commands_rejected
    values["cycle"] = r.cycle + 1
    values["command_id"] = r.ids  # the last executed command's id, under a new cycle
    r.board.receive(r.t + 0.02, r.writer.encode("THRUSTER_COMMAND", values, r.t + 0.02))
    assert r.board.counters.commands_rejected == rejected + 1
    cycle_zero = {**values, "cycle": 0, "command_id": 5000}
    r.board.receive(r.t + 0.03, r.writer.encode("THRUSTER_COMMAND", cycle_zero, r.t + 0.03))
    assert r.board.counters.commands_rejected == rejected + 2
    assert r.board.counters.commands_executed == before


def test_propellant_follows_valve_time_and_pressure_blows_down() -> None:
    """Propellant used = open time x thrust / (Isp g0) per valve (within 10 mg); the tank blows down."""
    r = Rig()
    r.arm()
    for _ in range(10):
        r.command(0.0, mode="MAIN_BURN", period_s=0.1, dt=0.1)
    r.command(0.0, mode="ALL_OFF", period_s=0.1, dt=0.1)
    r.board.advance(r.t + 1.0)
    used = 16_000.0 - r.board.propellant_kg
    expected = 30 * 10 * 0.1 * 400.0 / (300.0 * G0_MPS2)
    assert used == pytest.approx(expected, abs=1e-5)  # 10 mg: times near 1e9 s resolve 0.1 us
    assert r.board.tank_pressure_pa < r.config.tank_pressure_pa


def test_valve_faults_act_on_the_actual_schedule() -> None:
    """Stuck closed never opens; stuck open stays open after DISARM; degraded 0.5 keeps the valve timing
    (1 us) and halves the thrust factor given to the plant."""
    r = Rig()
    r.arm()
    r.send("THRUSTER_FAULT_INJECT", {"kind": "VALVE_STUCK_CLOSED", "thruster": 3, "factor": 1.0})
    r.send("THRUSTER_FAULT_INJECT", {"kind": "DEGRADED_THRUST", "thruster": 4, "factor": 0.5})
    r.command(0.08, dt=0.1)
    actual = r.board.actual_until_s - r.t
    assert actual[3] == 0.0
    assert actual[4] == pytest.approx(0.08, abs=1e-6)
    assert r.board.thrust_factor[4] == 0.5 and r.board.thrust_factor[5] == 1.0
    assert actual[5] == pytest.approx(0.08, abs=1e-6)
    r.send("THRUSTER_FAULT_INJECT", {"kind": "VALVE_STUCK_OPEN", "thruster": 7, "factor": 1.0})
    r.send("THRUSTER_ARM", {"action": "DISARM", "arm_code": 0}, 0.5)
    assert r.board.actual_open().tolist() == [i == 7 for i in range(THRUSTER_COUNT)]
    flags = r.board.status_values()["flags"]
    assert flags & ThrusterFlags.VALVE_STUCK_OPEN and flags & ThrusterFlags.VALVE_FAULT


def test_board_reset_disarms_and_is_reported_once() -> None:
    """BOARD_RESET: disarmed, valves closed, cycle history forgotten; the flag appears in one status only."""
    r = Rig()
    r.arm()
    r.command(0.05, dt=0.1)
    r.send("THRUSTER_FAULT_INJECT", {"kind": "BOARD_RESET", "thruster": 0, "factor": 1.0})
    assert r.board.armed_state is ArmedState.DISARMED
    assert not r.board.commanded_open().any()
    assert r.board.last_cycle == 0
    assert r.board.status_values()["flags"] & ThrusterFlags.BOARD_RESET
    assert not r.board.status_values()["flags"] & ThrusterFlags.BOARD_RESET


def test_garbage_is_counted_not_raised() -> None:
    """Short, corrupted and foreign packets are counted by kind and change nothing."""
    r = Rig()
    r.board.receive(T0, b"\x00\x01garbage")
    good = r.writer.encode("THRUSTER_ARM", {"command_id": 1, "action": "ARM_PREPARE", "arm_code": 5}, T0)
    bad = bytearray(good)
    bad[-1] ^= 0xFF
    r.board.receive(T0, bytes(bad))
    r.board.receive(T0, r.writer.encode("IMU_CONFIG", {"command_id": 1, "output_rate_hz": 1.0}, T0))
    c = r.board.counters
    assert (c.rx_framing_errors, c.rx_crc_errors, c.rx_unexpected) == (1, 1, 1)
    assert r.board.armed_state is ArmedState.DISARMED


def test_out_of_range_command_is_rejected_and_answered() -> None:
    """A THRUSTER_COMMAND with a valid CRC but a field out of range (cycle period 0) is counted in
    commands_rejected and answered with a status (ICD 8.3); nothing opens."""
    r = Rig()
    r.arm()
    spec = CATALOGUE.by_name("THRUSTER_COMMAND")
    values = {"command_id": 50, "cycle": 1, "mode": "PULSE", "cycle_period_us": 1000,
              "on_time_us": [500] * 46}
    user_data = bytearray(spec.pack_fields(values))
    user_data[9:13] = (0).to_bytes(4, "big")  # cycle_period_us = 0, below its minimum of 1000
    packet = spacepacket.pack(spec.apid, 0, bytes(user_data), packet_type=spec.packet_type, time_tag_s=1e9)
    reaction = r.board.receive(r.t, packet)
    assert reaction.send_status and r.board.counters.commands_rejected == 1
    assert not r.board.commanded_open().any()


def test_config_rejects_nonsense() -> None:
    """Negative or non-finite parameters are refused with a message naming them."""
    with pytest.raises(ValueError, match="watchdog_s"):
        ThrusterBoardConfig(watchdog_s=-1.0)
    with pytest.raises(ValueError, match="thrust_n"):
        ThrusterBoardConfig(thrust_n=math.nan)


def test_a_wrong_confirm_while_armed_disarms_and_closes_every_valve() -> None:
    """ICD 8.2: a confirm without prepare returns the board to DISARMED, also from ARMED mid-burn."""
    r = Rig()
    r.arm()
    r.command(0.0, mode="MAIN_BURN", period_s=0.1, dt=0.1)
    assert r.board.commanded_open().any()
    r.send("THRUSTER_ARM", {"action": "ARM_CONFIRM", "arm_code": 0x5AFE}, 0.05)
    assert r.board.armed_state is ArmedState.DISARMED
    assert not r.board.commanded_open().any()
