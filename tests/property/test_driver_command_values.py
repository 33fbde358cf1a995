"""The thruster driver's THRUSTER_COMMAND fields.

Property: for any valid command (on-times finite and non-negative, any count up to 46, main burn or not)
and cycle period, each on-time goes out as the nearest whole microsecond, never more than the cycle period
(itself rounded to whole microseconds and kept within the ICD's 1 ms..100 s); thrusters without an on-time
get 0; in main-burn mode the deorbit thrusters get the whole period; the mode is MAIN_BURN, PULSE when any
on-time is non-zero, else ALL_OFF.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flight.ports import MAIN_THRUSTERS, THRUSTER_COUNT, ThrusterCommand
from hil.drivers.thruster import command_values
from hil.protocol.catalogue import MAX_CYCLE_PERIOD_US, ThrusterMode

ON_S = st.one_of(st.just(0.0), st.floats(0.0, 200.0), st.sampled_from([1e-12, 4.9e-7, 5e-7, 0.1, 0.1000004]))


@given(on=st.lists(ON_S, max_size=THRUSTER_COUNT), main=st.booleans(),
       period_s=st.floats(1e-4, 200.0))
def test_command_values_round_and_bound_every_on_time(on: list[float], main: bool, period_s: float) -> None:
    """See the module docstring."""
    values = command_values(ThrusterCommand(1, tuple(on), main, 1), period_s)
    period_us = min(max(round(period_s * 1e6), 1000), MAX_CYCLE_PERIOD_US)
    assert values["cycle_period_us"] == period_us
    want = [min(round(x * 1e6), period_us) for x in on] + [0] * (THRUSTER_COUNT - len(on))
    if main:
        for i in MAIN_THRUSTERS:
            want[i] = period_us
    assert values["on_time_us"] == want
    mode = ThrusterMode.MAIN_BURN if main else ThrusterMode.PULSE if any(want) else ThrusterMode.ALL_OFF
    assert values["mode"] is mode
