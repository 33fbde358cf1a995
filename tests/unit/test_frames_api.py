"""The numpy API of firmware_bindings.frames: shapes, broadcasting, dtypes and clear errors."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from firmware_bindings import InvalidInputError
from firmware_bindings import frames as fr


def test_scalar_in_scalar_out_and_arrays_keep_their_shape() -> None:
    """A scalar time gives a float; an array of times gives an array of the same shape."""
    assert isinstance(fr.gmst_rad(1.0e8), float)
    assert fr.gmst_rad(np.zeros((2, 3))).shape == (2, 3)
    assert isinstance(fr.geodetic_altitude_m(0.0, [7e6, 0.0, 0.0]), float)
    d, b = fr.great_circle([0.0, 0.1], 0.0, 0.2, [0.0, 0.3])
    assert d.shape == b.shape == (2,)


def test_any_leading_shape_for_geodetic() -> None:
    """geodetic_from_ecef and ecef_from_geodetic keep the leading shape and put lla on the last axis."""
    lla = np.stack(np.meshgrid(np.linspace(-1.5, 1.5, 4), np.linspace(-3, 3, 5), indexing="ij"), axis=-1)
    lla = np.concatenate([lla, np.full((4, 5, 1), 400e3)], axis=-1)
    r = fr.ecef_from_geodetic(lla)
    assert r.shape == (4, 5, 3)
    back = fr.geodetic_from_ecef(r)
    assert back.shape == (4, 5, 3)
    assert np.max(np.abs(back[..., 2] - 400e3)) < 1e-6


def test_times_broadcast_against_points() -> None:
    """One time for many points, one time per point, or one point at many times; shapes that do not
    broadcast are a ValueError."""
    r = np.array([[7e6, 0.0, 0.0], [0.0, 7e6, 0.0]])
    one = fr.ecef_from_eci(1.0e8, r)
    each = fr.ecef_from_eci([1.0e8, 1.0e8], r)
    assert np.array_equal(one, each)
    with pytest.raises(ValueError, match="broadcast"):
        fr.ecef_from_eci([1.0, 2.0, 3.0], r)
    track = fr.ecef_from_eci(np.array([0.0, 60.0, 120.0]), r[0])
    assert track.shape == (3, 3)
    assert np.array_equal(track[1], fr.ecef_from_eci(60.0, r[0]))


def test_non_contiguous_and_integer_inputs_are_converted() -> None:
    """Strided views and integer arrays give the same result as contiguous float64 arrays."""
    base = np.array([[7000000, 0, 0, 99], [0, 0, 6500000, 99]])
    strided = base[:, :3]
    assert np.array_equal(fr.geodetic_from_ecef(strided),
                          fr.geodetic_from_ecef(np.ascontiguousarray(strided, dtype=float)))


def test_empty_batches() -> None:
    """Zero points give zero results, no error."""
    assert fr.geodetic_from_ecef(np.zeros((0, 3))).shape == (0, 3)
    assert fr.dcm_lvlh_from_eci(np.zeros((0, 3)), np.zeros((0, 3))).shape == (0, 3, 3)


def test_bad_shapes_are_value_errors() -> None:
    """A vector whose last axis is not 3, or mismatched r and v, is rejected before the core is called."""
    with pytest.raises(ValueError, match="trailing shape"):
        fr.geodetic_from_ecef([7e6, 0.0])
    with pytest.raises(ValueError, match="do not broadcast"):
        fr.ecef_state_from_eci(0.0, np.ones((2, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="numeric"):
        fr.gmst_rad("noon")


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: fr.geodetic_from_ecef([[7e6, 0, 0], [1.0, 2.0, 3.0]]), "FB_E_RANGE"),
        (lambda: fr.geodetic_from_ecef([math.nan, 0.0, 7e6]), "FB_E_NONFINITE"),
        (lambda: fr.ecef_from_geodetic([2.0, 0.0, 0.0]), "FB_E_RANGE"),
        (lambda: fr.gmst_rad(math.inf), "FB_E_NONFINITE"),
        (lambda: fr.ecef_from_eci(2e10, [7e6, 0, 0]), "FB_E_RANGE"),
        (lambda: fr.dcm_lvlh_from_eci([7e6, 0, 0], [1.0, 0, 0]), "FB_E_DEGENERATE"),
        (lambda: fr.great_circle(2.0, 0.0, 0.0, 0.0), "FB_E_RANGE"),
        (lambda: fr.j2000_s_from_utc(2001, 2, 29), "FB_E_RANGE"),
        (lambda: fr.jd_from_utc(2250, 1, 1), "FB_E_RANGE"),
    ],
)
def test_core_rejections_raise_invalid_input_with_the_call_named(call: object, match: str) -> None:
    """Inputs the core rejects raise InvalidInputError naming the function and the status."""
    with pytest.raises(InvalidInputError, match=match):
        call()  # type: ignore[operator]


def test_datetime_and_fields_agree() -> None:
    """A datetime (naive = UTC, aware converted), or calendar fields, give the same J2000 seconds,
    microseconds included."""
    dt = datetime(2031, 1, 5, 3, 4, 5, 250000, tzinfo=UTC)
    want = fr.j2000_s_from_utc(2031, 1, 5, 3, 4, 5.25)
    assert fr.j2000_s_from_utc(dt) == want
    assert fr.j2000_s_from_utc(dt.replace(tzinfo=None)) == want
    assert fr.jd_from_utc(dt) == fr.jd_from_utc(2031, 1, 5, 3, 4, 5.25)


def test_calendar_field_mistakes_are_type_errors() -> None:
    """Fractional or missing calendar fields, or a datetime plus fields, are TypeErrors."""
    with pytest.raises(TypeError):
        fr.j2000_s_from_utc(2031.5, 1, 5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        fr.j2000_s_from_utc(2031)
    with pytest.raises(TypeError):
        fr.j2000_s_from_utc(datetime(2031, 1, 1), 1, 1)


def test_a_failing_batch_names_the_first_bad_point() -> None:
    """In a batch, the error names the index (in the caller's leading shape) of the first bad point."""
    r = np.full((2, 3, 3), 7.0e6)
    r[1, 2] = [1.0, 2.0, 3.0]
    r[1, 1] = [math.nan, 0.0, 0.0]
    with pytest.raises(InvalidInputError, match=r"geodetic_from_ecef at index \(1, 1\).*FB_E_NONFINITE"):
        fr.geodetic_from_ecef(r)
