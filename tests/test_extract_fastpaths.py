"""Each shortcut the scanner takes for speed finds what the plain way finds: the plain way is kept
here as the reference and both run on random text built from the characters that matter."""

from __future__ import annotations

import ipaddress
import random

import pytest

from huntfeed.extract import patterns as P
from huntfeed.extract import scan as S
from huntfeed.model import IndicatorType


def _ipv6_reference(n: str) -> list[S.Occ]:
    """The IPv6 scan as it was: IPV6_RE over the whole text."""
    out: list[S.Occ] = []
    if not P.IPV6_GATE_RE.search(n):
        return out
    for m in P.IPV6_RE.finditer(n):
        cand = m.group(0)
        if cand.count(":") < 2:
            continue
        try:
            ipaddress.IPv6Address(cand)
        except ValueError:
            continue
        out.append((m.start(), m.end(), IndicatorType.IPV6, cand.lower(), ""))
    return out


def _ipv6_fast(n: str) -> list[S.Occ]:
    out: list[S.Occ] = []
    ctx = S.Ctx(n, n[::-1], out.append, S._Spans([]), [], [], [], [])
    S._ipv6(ctx)
    return out


_PIECES = (
    "::", ":", ":", "1", "a", "ff", "dead", "beef", "0", "12", "2001", "db8", ".", "1.2.3.4", "\u0663",
    " ", "\n", "x", "g", "_", "ipv6:", "IPv6:", "IPV6:", "[", "]", "-", "fe80::1", "::ffff:10.0.0.1", "%eth0",
    "12:30:45", "std::map", "a:b:c:d:e:f:1:2", "1::", "::1", "/64",
)


@pytest.mark.parametrize("seed", range(8))
def test_ipv6_runs_find_what_the_whole_text_scan_finds(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(400):
        text = "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(1, 60)))
        assert _ipv6_fast(text) == _ipv6_reference(text), text


def test_ipv6_examples() -> None:
    text = "C2 2001:db8::1 and ipv6:fe80::1%eth0, 12:30:45 and std::string, [::ffff:1.2.3.4]:443"
    assert _ipv6_fast(text) == _ipv6_reference(text)
    assert [o[3] for o in _ipv6_fast(text)] == ["2001:db8::1", "fe80::1", "::ffff:1.2.3.4"]
