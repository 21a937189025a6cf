"""Padded text through the extractor: a megabyte line of one character around two indicators.

The work is measured as Python function calls and regex match attempts (deterministic, unlike
a clock): a line of
"[" used to cost several calls per character (a window per bracket in the digest, a regex match
attempt per bracket in the refanger) and took 19 s of CPU for 5 MB; now the calls grow with the
number of 2,100-character stretches, not characters.
"""

from __future__ import annotations

import inspect
import sys
from types import FrameType
from typing import Any

import pytest

from huntfeed.extract import extract

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(120)]

SIZE = 1_000_000
_MATCHING = frozenset(("match", "search", "fullmatch", "find", "rfind"))
# Not "@": each one still costs two anchored matches (the e-mail's local part and host), which is
# linear and quick (about 0.5 s of CPU per MB of "@").
PADS = ["a", " ", ".", "[", "<", "{", "(", "]", "\\", "^", "\n", "0", ":", "-", "\t"]


def _python_calls(text: str) -> tuple[int, set[str]]:
    """Python function calls and regex match attempts made by extract(text) (a generator's
    resumptions are not counted, nor the steps of a finditer: those are the regex engine's)."""
    extract("warm-up: the first call loads lists (bad-site[.]com) and compiles patterns, 192.0.2.1")
    calls = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        python_call = event == "call" and not frame.f_code.co_flags & inspect.CO_GENERATOR
        if python_call or (event == "c_call" and getattr(arg, "__name__", "") in _MATCHING):
            calls += 1

    sys.setprofile(profile)
    try:
        found = extract(text, all=True)
    finally:
        sys.setprofile(None)
    return calls, {i.value for i in found}


@pytest.mark.parametrize("pad", PADS, ids=[f"{ord(p):02x}" for p in PADS])
def test_padded_line_costs_work_per_stretch_not_per_character(pad: str) -> None:
    half = pad * (SIZE // 2)
    calls, values = _python_calls(f"{half} evil-c2[.]com 198.51.100.23 {half}")
    assert {"evil-c2.com", "198.51.100.23"} <= values, values
    assert calls < 20_000, f"{calls} calls and match attempts for {2 * len(half)} characters of {pad!r}"
