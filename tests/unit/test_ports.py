"""The port value types check themselves, and the port protocols describe what a driver must provide."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

import pytest

from flight.ports import (
    ARGS_OF_KIND,
    ATTITUDE_THRUSTERS,
    MAIN_THRUSTERS,
    THRUSTER_COUNT,
    AckReason,
    ArmState,
    Clock,
    Event,
    GroundPort,
    ImuFlags,
    ImuPort,
    ImuSample,
    Severity,
    Telecommand,
    TelecommandAck,
    TelecommandKind,
    Telemetry,
    ThrusterCommand,
    ThrusterPort,
    ThrusterStatus,
)


def test_imu_sample_rejects_bad_values() -> None:
    """Non-finite time or increments, a wrong vector length, a non-positive interval or sample count are
    refused with ValueError naming the field."""
    good = {"t_s": 1.0, "dtheta_body_rad": (0.0, 0.0, 1e-4), "dv_body_mps": (0.0, 0.0, 0.0),
            "interval_s": 0.1}
    ImuSample(**good)  # type: ignore[arg-type]
    for field, value, match in [
        ("t_s", math.nan, "t_s"),
        ("dtheta_body_rad", (0.0, math.inf, 0.0), "dtheta_body_rad"),
        ("dv_body_mps", (0.0, 0.0), "dv_body_mps"),
        ("interval_s", 0.0, "interval_s"),
        ("sample_count", 0, "sample_count"),
    ]:
        with pytest.raises(ValueError, match=match):
            ImuSample(**{**good, field: value})  # type: ignore[arg-type]


def test_imu_sample_usable_flags() -> None:
    """A sample flagged BIT_FAIL, saturated or invalid is not usable; TIME_TAG_JUMP alone still is."""
    base = ImuSample(1.0, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 0.1)
    assert base.usable
    for flag in (ImuFlags.BIT_FAIL, ImuFlags.GYRO_SATURATED, ImuFlags.ACCEL_SATURATED, ImuFlags.DATA_INVALID):
        assert not ImuSample(1.0, (0, 0, 0), (0, 0, 0), 0.1, flags=flag).usable
    assert ImuSample(1.0, (0, 0, 0), (0, 0, 0), 0.1, flags=ImuFlags.TIME_TAG_JUMP).usable


def test_thruster_layout_covers_the_board() -> None:
    """30 deorbit and 16 attitude thrusters, disjoint, 46 in all (reference/hardware.md)."""
    assert len(MAIN_THRUSTERS) == 30 and len(ATTITUDE_THRUSTERS) == 16
    assert set(MAIN_THRUSTERS).isdisjoint(ATTITUDE_THRUSTERS)
    assert len(set(MAIN_THRUSTERS) | set(ATTITUDE_THRUSTERS)) == THRUSTER_COUNT


def test_thruster_command_checks() -> None:
    """More than 46 on-times, a negative or NaN on-time, a negative id are refused; opens_any_valve says
    whether the command opens anything."""
    with pytest.raises(ValueError, match="at most 46"):
        ThrusterCommand(0, (0.0,) * 47, False, 1)
    for bad in (-0.01, math.nan):
        with pytest.raises(ValueError, match="on-times"):
            ThrusterCommand(0, (bad,), False, 1)
    with pytest.raises(ValueError, match="non-negative"):
        ThrusterCommand(0, (), False, -1)
    assert not ThrusterCommand(3, (0.0,) * 46, False, 1).opens_any_valve
    assert ThrusterCommand(3, (0.0,) * 45 + (0.02,), False, 1).opens_any_valve
    assert ThrusterCommand(3, (), True, 1).opens_any_valve


def test_thruster_status_valve_views() -> None:
    """The valve bitmask must fit 46 bits; main_valves_open looks only at the deorbit thrusters."""
    st = ThrusterStatus(0.0, ArmState.ARMED, 1 << 31, 0, 0, 2e6, 1.6e4)
    assert not st.main_valves_open and not st.all_valves_closed
    assert ThrusterStatus(0.0, ArmState.ARMED, 1 << 5, 0, 0, 2e6, 1.6e4).main_valves_open
    with pytest.raises(ValueError, match="46 bits"):
        ThrusterStatus(0.0, ArmState.ARMED, 1 << 46, 0, 0, 2e6, 1.6e4)
    with pytest.raises(ValueError, match="propellant_kg"):
        ThrusterStatus(0.0, ArmState.ARMED, 0, 0, 0, 2e6, math.nan)


def test_telecommand_kinds_all_have_argument_types() -> None:
    """Every telecommand kind has its argument type; a negative command id is refused."""
    assert set(ARGS_OF_KIND) == set(TelecommandKind)
    with pytest.raises(ValueError, match="command_id"):
        Telecommand(-1, TelecommandKind.NOOP)
    assert TelecommandAck(1, TelecommandKind.NOOP, AckReason.ACCEPTED).accepted
    assert not TelecommandAck(1, TelecommandKind.GO, AckReason.INTERLOCK).accepted


def test_event_and_telemetry_are_immutable_snapshots() -> None:
    """Changing the dict an Event or Telemetry was built from does not change it, nor can it be changed."""
    data = {"a": 1}
    ev = Event(0.0, Severity.INFO, "x.y", "m", data)
    tm = Telemetry(0.0, "seq", data)
    data["a"] = 2
    assert ev.data["a"] == 1 and tm.values["a"] == 1
    with pytest.raises(TypeError):
        ev.data["a"] = 3  # type: ignore[index]
    assert Severity.CRITICAL > Severity.WARNING


class _Ports:
    """Minimal in-process implementations (what a loopback driver provides) to check the protocols."""

    def __init__(self) -> None:
        self.t_s = 0.0
        self.sent: list[object] = []

    # ImuPort
    async def _gen(self) -> AsyncIterator[ImuSample]:
        for i in range(3):
            yield ImuSample(i * 0.1, (0, 0, 0), (0, 0, 0), 0.1)

    def samples(self) -> AsyncIterator[ImuSample]:
        return self._gen()

    async def set_output_rate(self, rate_hz: float) -> None:
        self.sent.append(("rate", rate_hz))

    # ThrusterPort
    async def arm_prepare(self, code: int) -> None:
        self.sent.append(("prepare", code))

    async def arm_confirm(self, code: int) -> None:
        self.sent.append(("confirm", code))

    async def disarm(self) -> None:
        self.sent.append("disarm")

    async def command(self, cmd: ThrusterCommand) -> None:
        self.sent.append(cmd)

    async def status(self) -> ThrusterStatus:
        return ThrusterStatus(self.t_s, ArmState.DISARMED, 0, 0, 0, 2e6, 1.6e4)

    # GroundPort
    async def _tcs(self) -> AsyncIterator[Telecommand]:
        yield Telecommand(1, TelecommandKind.NOOP)

    def telecommands(self) -> AsyncIterator[Telecommand]:
        return self._tcs()

    async def acknowledge(self, ack: TelecommandAck) -> None:
        self.sent.append(ack)

    async def send_telemetry(self, tm: Telemetry) -> None:
        self.sent.append(tm)

    async def send_event(self, event: Event) -> None:
        self.sent.append(event)

    # Clock
    def now_s(self) -> float:
        return self.t_s

    async def sleep_until(self, t_s: float) -> None:
        self.t_s = max(self.t_s, t_s)


def test_protocols_are_satisfied_by_a_loopback_implementation() -> None:
    """An object with the protocols' methods is recognised as each port, and works through them."""
    p = _Ports()
    for proto in (ImuPort, ThrusterPort, GroundPort, Clock):
        assert isinstance(p, proto)
    assert not isinstance(object(), ThrusterPort)

    async def use(imu: ImuPort, thr: ThrusterPort, clock: Clock) -> list[float]:
        async with asyncio.timeout(5):
            await thr.arm_prepare(1)
            await clock.sleep_until(2.0)
            return [s.t_s async for s in imu.samples()]

    assert asyncio.run(use(p, p, p)) == [0.0, 0.1, 0.2]
    assert p.now_s() == 2.0 and p.sent == [("prepare", 1)]
