"""cffi builder for the C core (out-of-line API mode).

Every header in ``csrc/`` may hold one region between ``/* FB_CDEF_BEGIN */`` and ``/* FB_CDEF_END */``:
the declarations cffi sees. Headers are ordered by their ``#include "fb_*.h"`` lines, so a header's
types are declared before anything that uses them. Every ``csrc/*.c`` is compiled into the module with
the strict flags below; a warning is a build error.

Used by setup.py (``cffi_modules``) at install time; ``python setup.py build_ext --inplace`` rebuilds the
module in a checkout.
"""

from __future__ import annotations

import re
from pathlib import Path

from cffi import FFI

CSRC = Path(__file__).resolve().parent / "csrc"
STRICT_CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2"]

_CDEF = re.compile(r"/\*\s*FB_CDEF_BEGIN\s*\*/(.*?)/\*\s*FB_CDEF_END\s*\*/", re.S)
_INCLUDE = re.compile(r'^\s*#\s*include\s+"(fb_[a-z0-9_]+\.h)"', re.M)


def ordered_headers(csrc: Path = CSRC) -> list[Path]:
    """Headers of the core in dependency order (a header after every header it includes)."""
    headers = {p.name: p for p in sorted(csrc.glob("fb_*.h"))}
    done: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            raise RuntimeError(f"include cycle through {name}")
        visiting.add(name)
        for dep in _INCLUDE.findall(headers[name].read_text()):
            if dep in headers:
                visit(dep)
        visiting.discard(name)
        done.append(name)

    for name in headers:
        visit(name)
    return [headers[n] for n in done]


def cdef_text(csrc: Path = CSRC) -> str:
    parts = []
    for header in ordered_headers(csrc):
        for block in _CDEF.findall(header.read_text()):
            parts.append(f"/* from {header.name} */\n{block.strip()}\n")
    return "\n".join(parts)


def make_builder() -> FFI:
    ffi = FFI()
    ffi.cdef(cdef_text())
    includes = "\n".join(f'#include "{h.name}"' for h in ordered_headers())
    # The core itself is the static library "fbcore" (see core_library), compiled with the strict flags;
    # cffi's generated wrapper is not ISO-pedantic, so it gets the compiler's default flags only.
    # depends: relink the module whenever any core source or header changes (the wrapper itself may not).
    depends = sorted(str(p) for p in CSRC.glob("*.[ch]"))
    ffi.set_source("firmware_bindings._core", includes, include_dirs=[str(CSRC)], libraries=["m"],
                   depends=depends)
    return ffi


def core_library(root: Path) -> tuple[str, dict[str, object]]:
    """The setuptools ``libraries`` entry that builds the core with the strict flags (paths from root)."""
    sources = sorted(str(p.relative_to(root)) for p in CSRC.glob("*.c"))
    return ("fbcore", {"sources": sources, "include_dirs": [str(CSRC.relative_to(root))],
                       "cflags": STRICT_CFLAGS})


ffibuilder = make_builder()
