"""The C core against every vector file, through the standalone C runner: built with the strict flags,
and again under AddressSanitizer and UndefinedBehaviorSanitizer (which must report nothing)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.c.harness import build_runner, case_names
from tests.vectorfile import VECTOR_DIR, read_vectors

VECTOR_FILES = sorted(VECTOR_DIR.glob("*.vec"))


def test_every_vector_names_a_known_case() -> None:
    """Every case named in a vector file is implemented by the runner, and every runner case has vectors."""
    named = {v.case for f in VECTOR_FILES for v in read_vectors(f)}
    known = set(case_names())
    assert VECTOR_FILES, "no vector files in tests/vectors"
    assert named <= known, f"vector cases without a runner case: {sorted(named - known)}"
    assert known <= named, f"runner cases without vectors: {sorted(known - named)}"


@pytest.mark.parametrize("sanitize", [False, True], ids=["strict", "asan-ubsan"])
def test_c_runner_passes_all_vectors(tmp_path: Path, sanitize: bool) -> None:
    """Every vector passes in C; under the sanitizers nothing is reported either."""
    exe = build_runner(tmp_path, sanitize=sanitize)
    proc = subprocess.run(
        [str(exe), *map(str, VECTOR_FILES)],
        capture_output=True,
        text=True,
        timeout=600,
        env={"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0", "UBSAN_OPTIONS": "print_stacktrace=1"},
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "runtime error" not in proc.stderr and "AddressSanitizer" not in proc.stderr, proc.stderr[-4000:]
    total = sum(len(read_vectors(f)) for f in VECTOR_FILES)
    assert f"vectors: {total} passed, 0 failed" in proc.stdout
