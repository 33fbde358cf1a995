"""Declares the C core (a static library built with strict flags) and its cffi module; all other
metadata lives in pyproject.toml."""

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "firmware_bindings"))
from _build import core_library  # noqa: E402


class BuildExtWithCore(build_ext):
    """Build the core library before the extension, also for ``build_ext --inplace`` and editable installs."""

    def run(self) -> None:
        self.run_command("build_clib")
        super().run()


setup(
    libraries=[core_library(ROOT)],
    cffi_modules=["firmware_bindings/_build.py:ffibuilder"],
    cmdclass={"build_ext": BuildExtWithCore},
)
