"""The dependency rules of the architecture (DESIGN.md section 3), checked on the source text.

- firmware_bindings imports only the standard library, cffi and numpy;
- flight imports only firmware_bindings, the standard library and numpy (never hil, serial or aiomqtt);
- hil may import flight and firmware_bindings.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STDLIB = set(sys.stdlib_module_names)
ALLOWED = {
    "firmware_bindings": {"firmware_bindings", "cffi", "numpy"},
    "flight": {"flight", "firmware_bindings", "numpy"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may(package: str) -> None:
    """No module of the package imports anything outside its allowed set plus the standard library."""
    offenders = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        if path.name == "_build.py":  # the cffi build script runs at install time, not at import
            continue
        bad = imported_roots(path) - STDLIB - ALLOWED[package]
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert not offenders, f"forbidden imports: {offenders}"


def test_rule_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    """The checker itself sees an import of hil, including a dotted one."""
    p = tmp_path / "m.py"
    p.write_text("import os\nfrom hil.links import serial\nimport numpy as np\n")
    assert imported_roots(p) - STDLIB - ALLOWED["flight"] == {"hil"}
