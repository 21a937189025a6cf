"""Small helpers shared by the output formats: defanging for display and stable timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from huntfeed.model import IndicatorType

# Types whose value can be clicked or resolved by a reader, so a safe display must break them.
_NETWORK_TYPES = frozenset({IndicatorType.IPV4, IndicatorType.IPV6, IndicatorType.DOMAIN,
                            IndicatorType.URL, IndicatorType.EMAIL})


def defang(value: str, kind: IndicatorType) -> str:
    """A defanged display form of ``value`` (hxxp, [.], [@], [:]); idempotent; other types pass through."""
    if kind not in _NETWORK_TYPES:
        return value
    out = re.sub(r"^http", "hxxp", value, flags=re.IGNORECASE)
    if kind is IndicatorType.URL:
        out = re.sub(r"(?<!\[)://", "[://]", out, count=1)
    if kind is IndicatorType.IPV6:
        return re.sub(r"(?<!\[):(?!\])", "[:]", out)
    out = re.sub(r"(?<!\[)\.(?!\])", "[.]", out)
    return re.sub(r"(?<!\[)@(?!\])", "[@]", out)


def utc(dt: datetime) -> datetime:
    """``dt`` as an aware UTC datetime (naive values are taken to be UTC already)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
