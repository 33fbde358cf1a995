"""Builds the C vector runner (tests/c/runner.c) against the core, plainly or under sanitizers."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
CSRC = HERE.parent.parent / "firmware_bindings" / "csrc"
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]
_CASE = re.compile(r"^FBT_CASE\((\w+)\)", re.M)


def case_names() -> list[str]:
    names: list[str] = []
    for src in sorted(HERE.glob("cases_*.c")):
        names.extend(_CASE.findall(src.read_text()))
    return names


def write_table(dest: Path) -> Path:
    names = case_names()
    lines = ['#include "fbt.h"', ""]
    lines += [f"FBT_CASE({n});" for n in names]
    lines += ["", "const fbt_entry fbt_table[] = {"]
    lines += [f'    {{"{n}", fbt_case_{n}}},' for n in names]
    if not names:
        lines.append('    {"", 0},')
    lines += ["};", f"const int fbt_table_len = {len(names)};", ""]
    table = dest / "fbt_table.c"
    table.write_text("\n".join(lines))
    return table


def build_runner(dest: Path, sanitize: bool = False) -> Path:
    """Compile the runner with every core source and case file into ``dest``; return the executable."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        raise RuntimeError("no C compiler found (gcc or cc)")
    dest.mkdir(parents=True, exist_ok=True)
    exe = dest / ("runner_asan" if sanitize else "runner")
    sources = [str(HERE / "runner.c"), str(write_table(dest))]
    sources += [str(p) for p in sorted(HERE.glob("cases_*.c"))]
    sources += [str(p) for p in sorted(CSRC.glob("*.c"))]
    flags = [*STRICT, *(SANITIZE if sanitize else ["-O2"])]
    cmd = [cc, *flags, f"-I{HERE}", f"-I{CSRC}", "-o", str(exe), *sources, "-lm"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return exe
