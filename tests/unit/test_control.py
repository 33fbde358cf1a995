"""Attitude control: the retrograde target, the modes, and closed-loop slew and hold on a rigid body.

The closed-loop tests integrate Euler's equations of the stack (the assumed inertia tensor of
``default_stack_inertia_kg_m2``) with the torque the allocated on-times actually produce through the
thruster layout (``ThrusterLayout.effectiveness``), including the board's 20 ms minimum pulse, plus a
disturbance torque: a small, honest plant for the control law alone. The full 6-DOF truth is exercised by
tests/integration/test_flight_loopback.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from firmware_bindings.attitude import (
    default_stack_inertia_kg_m2,
    default_stack_layout,
    quat_from_rotvec,
    quat_multiply,
    quat_propagate,
    quat_rotate,
)
from firmware_bindings.orbit import state_from_elements
from flight.control import AttitudeController, ControlConfig, ControlMode, retrograde_target
from flight.ports import ATTITUDE_THRUSTERS, MAIN_THRUSTERS

GM = 3.986004418e14


def orbit() -> tuple[np.ndarray, np.ndarray]:
    return state_from_elements((6378137.0 + 220e3, 0.0005, math.radians(51.64), 1.0, 2.0, 0.0))


def test_retrograde_target_axes() -> None:
    """+x body along -v, +z body in the plane of r and v towards nadir, right-handed; the target's rate is
    the orbit rate h / r^2 about +y body. Tolerance 1e-12."""
    r, v = orbit()
    q, w = retrograde_target(r, v)
    x = quat_rotate(q, -v / np.linalg.norm(v))
    assert x == pytest.approx([1.0, 0.0, 0.0], abs=1e-12)
    z_eci = quat_rotate(np.array([q[0], -q[1], -q[2], -q[3]]), np.array([0.0, 0.0, 1.0]))
    assert float(np.dot(z_eci, -r / np.linalg.norm(r))) > 0.99
    h = np.cross(r, v)
    assert float(np.dot(z_eci, h / np.linalg.norm(h))) == pytest.approx(0.0, abs=1e-12)
    rate = np.linalg.norm(np.cross(r, v)) / float(r @ r)
    assert w == pytest.approx([0.0, rate, 0.0], abs=1e-12)


def test_off_mode_fires_nothing_and_main_burn_passes_through() -> None:
    r, v = orbit()
    q, _ = retrograde_target(r, v)
    q_off = quat_multiply(quat_from_rotvec([0.0, 0.1, 0.0]), q)
    c = AttitudeController()
    out = c.step(q_off, np.zeros(3), r, v)
    assert out.on_time_s == (0.0,) * 46 and not out.main_burn
    assert out.attitude_error_rad == pytest.approx(0.1, abs=1e-9)
    c.main_burn = True
    out = c.step(q_off, np.zeros(3), r, v)
    assert out.main_burn and all(out.on_time_s[i] == 0.0 for i in MAIN_THRUSTERS)
    assert math.isnan(c.step(q, np.zeros(3), None, None).attitude_error_rad)


def test_trim_pushes_along_plus_x_body() -> None:
    """In a trim the allocated attitude thrusters give about the configured +x force (800 N) and no
    net torque beyond the commanded one (N m of the allocator's residual)."""
    r, v = orbit()
    q, _ = retrograde_target(r, v)
    c = AttitudeController()
    c.mode, c.trim = ControlMode.BURN_ATTITUDE, True
    out = c.step(q, np.zeros(3), r, v)
    layout = default_stack_layout()
    frac = np.array(out.on_time_s) / c.config.cycle_s
    wrench = layout.effectiveness() @ frac
    assert wrench[3] == pytest.approx(800.0, rel=0.02)
    assert np.linalg.norm(wrench[:3] - np.array(out.torque_cmd_body_nm)) < 500.0


def _fly(c: AttitudeController, q: np.ndarray, w: np.ndarray, seconds: float,
         disturbance_nm: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Closed loop at 10 Hz: Euler's equations in 10 sub-steps per cycle; the orbit moves on its Kepler
    ellipse (so the retrograde target turns at the orbit rate); torque from the on-times actually
    commanded, each pulse from the start of its cycle."""
    a = 6378137.0 + 220e3
    n = math.sqrt(GM / a ** 3)
    inertia = default_stack_inertia_kg_m2()
    inv = np.linalg.inv(inertia)
    eff = default_stack_layout().effectiveness()[:3]
    dt = c.config.cycle_s
    errors = []
    for k in range(int(seconds / dt)):
        r, v = state_from_elements((a, 0.0005, math.radians(51.64), 1.0, 2.0, n * k * dt))
        out = c.step(q, w, r, v)
        errors.append(out.thrust_axis_error_rad)
        on = np.array(out.on_time_s)
        h = dt / 10
        for j in range(10):
            firing = (on > j * h).astype(float) * np.minimum(1.0, (on - j * h) / h).clip(0.0, 1.0)
            tau = eff @ firing + disturbance_nm
            w = w + h * (inv @ (tau - np.cross(w, inertia @ w)))
            q = quat_propagate(q, w * h)
    return q, w, errors


@pytest.mark.timeout(120)
def test_slew_of_ten_degrees_settles_within_one_degree() -> None:
    """From 10 deg off the burn attitude, at rest, the controller brings the thrust axis within 1 deg
    within 600 s and keeps it there with the target turning at the orbit rate. Tolerance 1 deg."""
    r, v = orbit()
    q_t, _ = retrograde_target(r, v)
    q0 = quat_multiply(quat_from_rotvec([0.0, math.radians(7.0), math.radians(7.0)]), q_t)
    c = AttitudeController(ControlConfig())
    c.mode = ControlMode.BURN_ATTITUDE
    c_out = c.step(q0, np.zeros(3), r, v)
    assert c_out.thrust_axis_error_rad > math.radians(9.0)
    _, _, errors = _fly(c, q0, np.zeros(3), 600.0, np.zeros(3))
    assert errors[0] > math.radians(9.0)
    assert max(errors[-1000:]) < math.radians(1.0)


@pytest.mark.timeout(120)
def test_burn_hold_against_a_misalignment_torque() -> None:
    """In the burn attitude with a constant 1,500 N m disturbance (thirty 400 N thrusters misaligned by
    0.1 deg on average at 48 m would give about 1 kN m), the thrust axis stays within 1 deg for 300 s."""
    r, v = orbit()
    q_t, _ = retrograde_target(r, v)
    c = AttitudeController()
    c.mode = ControlMode.BURN_ATTITUDE
    c.main_burn = True
    _, w_t = retrograde_target(r, v)
    _, _, errors = _fly(c, q_t, w_t, 300.0, np.array([300.0, 1500.0, -800.0]))
    assert max(errors) < math.radians(1.0)
    assert len(ATTITUDE_THRUSTERS) == 16
