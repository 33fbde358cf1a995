"""Properties of the FDIR monitors over arbitrary IMU sample streams."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from flight.fdir import Fdir, FdirConfig, Response
from flight.ports import ImuFlags, ImuSample

T0_S = 959_774_400.0

samples = st.lists(st.tuples(
    st.floats(0.01, 2.0),  # gap to the previous sample, s
    st.floats(-0.1, 0.1),  # delta-angle, rad
    st.floats(-0.5, 0.5),  # delta-velocity, m/s
    st.sampled_from([ImuFlags.NONE, ImuFlags.NONE, ImuFlags.NONE, ImuFlags.DATA_INVALID]),
), min_size=1, max_size=60)


@given(stream=samples, thrusting=st.booleans())
def test_safe_only_after_the_configured_run_of_bad_samples(
        stream: list[tuple[float, float, float, ImuFlags]], thrusting: bool) -> None:
    """Never raises; a SAFE response comes only when at least ``imu_implausible_max`` implausible samples
    (or, while thrusting, ``imu_dropout_max`` dropouts) have come in a row; every implausible sample is
    answered (HOLD or SAFE), and a good sample after a bad run clears the fault."""
    cfg = FdirConfig()
    f = Fdir(cfg)
    t = T0_S
    bad_run = drop_run = 0
    for k, (gap, dth, dv, flags) in enumerate(stream):
        t += gap
        s = ImuSample(t, (dth, 0.0, 0.0), (dv, 0.0, 0.0), 0.1, flags=flags)
        acts = f.on_imu(s, 0.1, thrusting)
        implausible = (flags != ImuFlags.NONE or abs(dth) / 0.1 > cfg.rate_max_rps
                       or abs(dv) / 0.1 > cfg.accel_max_mps2)
        if implausible:
            bad_run += 1
            assert acts and acts[0].fault == "imu.implausible"
            assert (acts[0].response is Response.SAFE) == (bad_run >= cfg.imu_implausible_max)
            continue
        bad_run = 0
        assert "imu.implausible" not in f.active
        dropout = k > 0 and gap > cfg.imu_gap_factor * 0.1  # the first sample has no predecessor
        drop_run = drop_run + 1 if dropout else 0
        safe = any(a.response is Response.SAFE for a in acts)
        assert safe == (thrusting and dropout and drop_run >= cfg.imu_dropout_max)
    assert all(math.isfinite(v) for v in f.counts.values())
