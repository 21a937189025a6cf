"""The digest rule's placeholder test: at most four different characters, wherever they stand
(the rule reads the first eight first; a digest that differs only later must still be judged whole)."""

from __future__ import annotations

import pytest

from huntfeed.extract.fidelity import Policy, Signals
from huntfeed.extract.rules import RULES
from huntfeed.model import Fidelity, IndicatorType

_PLAIN = Signals(roles=frozenset(("",)))


@pytest.mark.parametrize(
    ("value", "placeholder"),
    [
        ("0" * 64, True),
        ("ab" * 32, True),
        ("abcd" * 16, True),
        ("abcd" * 15 + "abce", False),  # a fifth character in the last four
        ("aaaaaaaa" + "0123456789abcdef" * 3 + "01234567", False),  # the first eight alike, the rest not
        ("aabbccdd" + "abcd" * 14, True),  # four characters, the first eight holding all of them
        ("0123" + "4" * 60, False),
        ("9b1c3e7a2d4f6081a5c7e9b3d2f40618", False),
        ("f" * 128, True),
    ],
)
def test_placeholder_digest(value: str, placeholder: bool) -> None:
    kind = {32: IndicatorType.MD5, 64: IndicatorType.SHA256, 128: IndicatorType.SHA512}[len(value)]
    fidelity, reason = RULES[kind](value, _PLAIN, Policy())
    assert (reason == "placeholder") is placeholder, (value, reason)
    assert fidelity is (Fidelity.LOW if placeholder else Fidelity.HIGH)
