"""Land or sea on a 0.1 deg global grid, for the maps' coastlines, with nothing to download at run time.

The grid ships with the package (``data/land_mask_0p1deg.npz``, about 50 kB): one bit per point of the
regular grid lat -90..90 deg, lon -180..180 deg (exclusive), step 0.1 deg, packed row by row with
``numpy.packbits``. It was sampled from the ``global-land-mask`` package (Karin, 1.0.0), whose mask is the
GLOBE 1 km digital elevation model of NOAA's National Geophysical Data Center (public domain) reduced to
land or sea. Loading it takes milliseconds, where importing that package reads a 1 km global grid (seconds).
``python -m hil.report.landmask`` writes the file again from ``global-land-mask`` (a development extra).

A lookup takes the nearest grid point, so a coastline is placed within about 0.05 deg (5.6 km): finer than
the maps draw it.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

STEP_DEG = 0.1
MASK_FILE = Path(__file__).with_name("data") / "land_mask_0p1deg.npz"
_ROWS = round(180.0 / STEP_DEG) + 1  # lat -90..90 inclusive
_COLS = round(360.0 / STEP_DEG)  # lon -180..180 exclusive


@lru_cache(maxsize=1)
def _grid() -> npt.NDArray[np.bool_]:
    with np.load(MASK_FILE) as f:
        shape = tuple(int(n) for n in f["shape"])
        bits = np.unpackbits(f["mask"], count=shape[0] * shape[1])
    if shape != (_ROWS, _COLS):
        raise ValueError(f"{MASK_FILE.name}: grid is {shape}, expected {(_ROWS, _COLS)}")
    return bits.reshape(shape).astype(bool)


def is_land(lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """True where the point (degrees; any longitude, wrapped) is on land, at the grid's nearest point."""
    lat = np.clip(np.asarray(lat_deg, dtype=float), -90.0, 90.0)
    lon = (np.asarray(lon_deg, dtype=float) + 180.0) % 360.0 - 180.0
    row = np.rint((lat + 90.0) / STEP_DEG).astype(np.intp)
    col = np.rint((lon + 180.0) / STEP_DEG).astype(np.intp) % _COLS
    return _grid()[row, col]


def build(path: Path = MASK_FILE) -> Path:  # pragma: no cover - a development step, run by hand
    """Sample ``global-land-mask`` on the grid and write ``path``."""
    from global_land_mask import globe

    lat = np.linspace(-90.0, 90.0, _ROWS)
    lon = -180.0 + STEP_DEG * np.arange(_COLS)
    glon, glat = np.meshgrid(lon, lat)
    mask = np.asarray(globe.is_land(glat, glon), dtype=bool)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, mask=np.packbits(mask), shape=np.array(mask.shape))
    return path


if __name__ == "__main__":  # pragma: no cover
    print(f"wrote {build(Path(sys.argv[1]) if len(sys.argv) > 1 else MASK_FILE)}")
