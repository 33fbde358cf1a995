"""The README's Python examples run as written (a user pastes them first)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_readme_has_python_examples() -> None:
    assert BLOCKS, "README.md has no python examples"


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each example executes without error and prints what it promises: no 'nan', and where it reports
    zone containment, every fragment is in the zone."""
    exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})
    out = capsys.readouterr().out
    assert "nan" not in out.lower()
    if "in the zone:" in out:
        assert "in the zone: True" in out, out
