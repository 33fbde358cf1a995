"""The Python status table agrees with the C header, and ensure() raises what the table says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import firmware_bindings
from firmware_bindings._status import STATUS, ensure

HEADER = Path(firmware_bindings.__file__).parent / "csrc" / "fb_status.h"


def test_table_matches_header() -> None:
    """Each FB_E_* code in fb_status.h has the same number and name in the Python table, and no more."""
    codes = {int(v): n for n, v in re.findall(r"(FB_E_\w+)\s*=\s*(\d+)", HEADER.read_text())}
    assert codes == {k: v[0] for k, v in STATUS.items()}


@pytest.mark.parametrize("code", sorted(STATUS))
def test_ensure_raises_the_tabled_exception(code: int) -> None:
    """ensure() raises the table's exception class, names the call, and carries the code."""
    with pytest.raises(STATUS[code][1], match="some_call") as info:
        ensure(code, "some_call")
    assert info.value.code == code


def test_ensure_passes_ok() -> None:
    """Status 0 raises nothing."""
    ensure(0, "some_call")
