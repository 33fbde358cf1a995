"""The IMU error model in the C core through its binding (firmware_bindings.imu): the vectors of
tests/vectors/imu.vec (the numpy reference's values for fixed draws), refusals, and the model views."""

from __future__ import annotations

import math

import numpy as np
import pytest

from firmware_bindings import InvalidInputError
from firmware_bindings.imu import ACCEL_SATURATED, GYRO_SATURATED, ImuModel, StandardNormals, gm_transition
from hil.boards.imu_model import GRADES, ImuErrorModel, ImuFaultState
from tests.vectorfile import VECTOR_DIR, Vector, read_vectors

VEC = VECTOR_DIR / "imu.vec"


def _model(members: tuple[float, ...]) -> ImuModel:
    """An ImuModel holding the 75 members of a vector (fb_imu_model order)."""
    v = np.array(members)
    m = ImuModel(v[0:9].reshape(3, 3), v[9:18].reshape(3, 3), v[18:24], v[30:36], v[36:42], v[42:48],
                 v[48:54], v[72], v[73], v[74])
    m.bias_jump[:] = v[24:30]
    m.remainder[:] = v[54:60]
    m.burst_sigma[:] = v[60:66]
    m.accum_prev[:] = v[66:72]
    return m


def _ok(case: str) -> list[Vector]:
    found = [v for v in read_vectors(VEC, case) if v.status == 0]
    assert found, case
    return found


def test_transition_vectors() -> None:
    """gm_transition equals every expected (phi, k, l11, l21, l22) of the file within the line's tolerance
    (closed forms at dt = T ln 2 and 1000 T to 1e-13 T; reference values to 1e-12 of the largest)."""
    for v in _ok("imu_gm_transition"):
        got = gm_transition(*v.inputs)
        assert np.allclose(got, v.outputs, rtol=0.0, atol=v.tol), v.where


def test_measure_vectors() -> None:
    """ImuModel.measure gives the reference's outputs exactly and its Gauss-Markov state and remainder
    within a thousandth of the smallest LSB, for every vector (with bias jumps and noise bursts)."""
    for v in _ok("imu_measure"):
        x = v.inputs
        m = _model(x[:75])
        rest = np.array(x[75:])
        burst = rest[26:32] if rest[25] else None
        out = m.measure(rest[0:3], rest[3:6], float(rest[6]), rest[7:25], burst)
        got = np.concatenate([out, m.gm_state, m.remainder])
        assert np.allclose(got, v.outputs, rtol=0.0, atol=v.tol), v.where


def test_output_vectors() -> None:
    """ImuModel.output differences the cumulative integrals, measures and range-checks as the reference
    and the board did: outputs and saturation flags exact, state within a thousandth of an LSB."""
    flags_seen = set()
    for v in _ok("imu_output"):
        x = v.inputs
        m = _model(x[:75])
        rest = np.array(x[75:])
        burst = rest[26:32] if rest[25] else None
        out, flags = m.output(rest[0:3], rest[3:6], float(rest[6]), rest[7:25], burst)
        flags_seen.add(flags)
        got = np.concatenate([out, [flags], m.gm_state, m.remainder, m.accum_prev])
        assert np.allclose(got, v.outputs, rtol=0.0, atol=v.tol), v.where
    assert {0, GYRO_SATURATED, ACCEL_SATURATED} <= flags_seen


def test_refused_inputs_raise_clear_errors() -> None:
    """Bad intervals, NaN increments, wrong draw counts and bad constants raise InvalidInputError naming
    the problem, and leave the model unchanged."""
    m = ImuModel(np.eye(3), np.eye(3), np.zeros(6), np.ones(6), np.ones(6), np.ones(6), np.full(6, 1e-6),
                 10.0, 1.0, 1.0)
    before = m.gm_state.copy(), m.remainder.copy()
    z = np.ones(18)
    for dt in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(InvalidInputError, match="fb_imu_measure"):
            m.measure(np.zeros(3), np.zeros(3), dt, z)
        with pytest.raises(InvalidInputError, match="output interval"):
            m.output(np.zeros(3), np.zeros(3), dt, z)
    with pytest.raises(InvalidInputError, match="NaN"):
        m.measure([math.nan, 0.0, 0.0], np.zeros(3), 0.1, z)
    with pytest.raises(InvalidInputError, match="18 standard normal draws"):
        m.measure(np.zeros(3), np.zeros(3), 0.1, np.ones(17))
    with pytest.raises(InvalidInputError, match="6 standard normal draws"):
        m.measure(np.zeros(3), np.zeros(3), 0.1, z, np.ones(5))
    with pytest.raises(ValueError, match="shape"):
        m.measure(np.zeros(4), np.zeros(3), 0.1, z)
    assert np.array_equal(m.gm_state, before[0]) and np.array_equal(m.remainder, before[1])
    with pytest.raises(InvalidInputError, match="fb_imu_init"):
        ImuModel(np.eye(3), np.eye(3), np.zeros(6), -np.ones(6), np.zeros(6), np.zeros(6), np.ones(6),
                 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="gyro_matrix"):
        ImuModel(np.eye(2), np.eye(3), np.zeros(6), np.ones(6), np.zeros(6), np.zeros(6), np.ones(6),
                 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="dt_s > 0"):
        gm_transition(0.0, 1.0)


def test_standard_normals_give_the_generators_stream() -> None:
    """Draws taken 18 at a time from blocks of 4 rows equal rng.standard_normal((3, 6)) called per output,
    across block boundaries."""
    ours = StandardNormals(np.random.default_rng(8), rows=4)
    theirs = np.random.default_rng(8)
    for _ in range(11):
        assert np.array_equal(ours.take_array(), theirs.standard_normal((3, 6)).ravel())


def test_fault_views_write_through_to_the_core() -> None:
    """A bias jump changed in place, or assigned, in ImuErrorModel.faults shifts the next output by
    jump * dt (1e-3 rad/s over 0.1 s on z: 1e-4 rad within one LSB); replacing the whole fault state
    copies it in."""
    g = GRADES["navigation"]
    a, b = ImuErrorModel(g, 4), ImuErrorModel(g, 4)
    a.faults.bias_jump[2] += 1e-3
    da, db = a.measure(np.zeros(3), np.zeros(3), 0.1)[0], b.measure(np.zeros(3), np.zeros(3), 0.1)[0]
    assert abs(da[2] - db[2] - 1e-4) <= g.gyro_lsb_rad * 1.001
    a.faults.bias_jump = np.zeros(6)
    assert not a.core.bias_jump.any()
    a.faults = ImuFaultState(np.full(6, 2e-3), np.zeros(6), 5.0)
    assert np.array_equal(a.core.bias_jump, np.full(6, 2e-3)) and a.faults.noise_burst_until_s == 5.0


def test_board_flags_and_clips_a_saturated_triad() -> None:
    """An IMU board whose true body rate is three times the gyro range (tactical: 1000 deg/s) sends
    IMU_DATA flagged GYRO_SATURATED with every delta-angle component at most range * dt (0.1 s), the
    saturated ones exactly at it; the accelerometer triad, within its range, is not flagged and carries
    the true increment within 5 mm/s (the grade's turn-on bias of 1 milli-g is 1 mm/s over 0.1 s per
    sigma)."""
    from hil.boards.imu import ImuBoard
    from hil.clock import SimClock
    from hil.links import LoopbackHub, LoopbackLink
    from hil.plant import Plant
    from hil.protocol.catalogue import CATALOGUE, ImuStatus
    from hil.scenario import load
    from tests.support.aio import run

    g = GRADES["tactical"]
    dt = 0.1

    async def go() -> dict[str, float]:
        plant = Plant.from_scenario(load("iss-deorbit"), 1)
        hub = LoopbackHub()
        host, link = LoopbackLink("imu", "host", hub=hub), LoopbackLink("imu", "board", hub=hub)
        async with host, link:
            board = ImuBoard(link, plant, SimClock("lockstep", plant.t_s), g, seed=1, lockstep_gate=False)
            board.model.start(np.zeros(3), np.zeros(3))
            theta = np.array([3.0, -3.0, 0.001]) * g.gyro_range_rps * dt
            await board._emit(plant.t_s + dt, dt, theta, np.array([0.5, 0.0, -0.25]))
            msg = CATALOGUE.decode(await host.recv(timeout_s=5.0))
            return {k: float(msg[k]) for k in ("status", "delta_angle_x", "delta_angle_y", "delta_angle_z",
                                                "delta_velocity_x", "delta_velocity_z")}

    got = run(go())
    status = int(got["status"])
    limit = g.gyro_range_rps * dt
    assert status & int(ImuStatus.GYRO_SATURATED) and not status & int(ImuStatus.ACCEL_SATURATED)
    assert got["delta_angle_x"] == pytest.approx(limit, rel=1e-6)
    assert got["delta_angle_y"] == pytest.approx(-limit, rel=1e-6)
    assert abs(got["delta_angle_z"]) < limit
    assert got["delta_velocity_x"] == pytest.approx(0.5, abs=5e-3)
    assert got["delta_velocity_z"] == pytest.approx(-0.25, abs=5e-3)
