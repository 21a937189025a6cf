"""Optional C accelerators: every ``src/huntfeed/_native/*.c`` becomes ``huntfeed._native.<name>``.

Each accelerator has a pure-Python twin that gives identical output (tests compare them), so a
machine without a C compiler still installs: the extensions are ``optional`` and the code falls
back when one is missing.  Project metadata stays in pyproject.toml.
"""

from pathlib import Path

from setuptools import Extension, setup

_NATIVE = Path("src/huntfeed/_native")
_FLAGS = ["-O2", "-std=c11"]

setup(
    ext_modules=[
        Extension(f"huntfeed._native.{src.stem}", [str(src)], extra_compile_args=_FLAGS, optional=True)
        for src in sorted(_NATIVE.glob("*.c"))
    ]
)
