"""The shipped land mask against its source, the ``global-land-mask`` package (GLOBE 1 km DEM, NOAA NGDC)."""

from __future__ import annotations

import numpy as np
import pytest

from hil.report import landmask


def test_known_places() -> None:
    """Point Nemo and the open Pacific are sea; inland points of every continent are land."""
    sea = [(-48.8767, -123.3933), (0.0, -150.0), (-30.0, -100.0), (40.0, -40.0)]
    land = [(51.5, -0.12), (-25.0, 134.0), (40.0, -100.0), (-15.0, -55.0), (0.0, 20.0), (-80.0, 0.0),
            (55.0, 90.0)]
    assert not landmask.is_land(*zip(*sea, strict=True)).any()
    assert landmask.is_land(*zip(*land, strict=True)).all()


def test_longitude_wraps() -> None:
    """A longitude and the same longitude plus or minus 360 deg give the same answer."""
    rng = np.random.default_rng(3)
    lat = rng.uniform(-89.0, 89.0, 2000)
    lon = rng.uniform(-180.0, 180.0, 2000)
    base = landmask.is_land(lat, lon)
    assert (landmask.is_land(lat, lon + 360.0) == base).all()
    assert (landmask.is_land(lat, lon - 720.0) == base).all()


def test_against_global_land_mask() -> None:
    """At 20,000 random points the shipped grid agrees with ``global-land-mask`` everywhere except within
    0.1 deg (11 km) of a coast or a small island, where the nearest grid point may fall on the other side;
    and it agrees at 99 % of all points."""
    globe = pytest.importorskip("global_land_mask.globe", reason="global-land-mask (dev extra) not installed")
    rng = np.random.default_rng(7)
    lat = rng.uniform(-89.0, 89.0, 20_000)
    lon = rng.uniform(-180.0, 179.99, 20_000)
    mine = landmask.is_land(lat, lon)
    theirs = np.asarray(globe.is_land(lat, lon), dtype=bool)
    assert np.mean(mine == theirs) >= 0.99
    # within 0.1 deg of a coast: land and sea both occur on a 0.025 deg lattice of offsets around the point
    near_coast = np.zeros(lat.size, dtype=bool)
    offsets = np.arange(-0.1, 0.1001, 0.025)
    for dlat in offsets:
        for dlon in offsets:
            other = globe.is_land(np.clip(lat + dlat, -90.0, 90.0), (lon + dlon + 180.0) % 360.0 - 180.0)
            near_coast |= np.asarray(other, dtype=bool) != theirs
    assert (mine == theirs)[~near_coast].all()
