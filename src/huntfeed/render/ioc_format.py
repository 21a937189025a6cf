"""Small helpers shared by the output formats: defanging for display and stable timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from ipaddress import ip_address
from urllib.parse import quote, urlsplit, urlunsplit

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


# What RFC 3986 lets stand in each part (``%`` too, once a stray one is escaped); anything else
# (spaces, quotes, a second ``#``, controls, non-ASCII) is percent-encoded.
_SUB_DELIMS = "!$&'()*+,;="
_SAFE_HOST = _SUB_DELIMS + ":@[]%"
_SAFE_PATH = _SUB_DELIMS + ":@/%"
_SAFE_QUERY = _SAFE_PATH + "?"
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{0,19}):")


def web_url(url: str) -> str | None:
    """``url`` as an RFC 3986 http(s) URI for link fields; None when it is not a web link.

    Article URLs come from feeds: a ``javascript:``/``data:``/``file:`` link, or text that is no URL
    at all, must never reach a consumer's clickable link field.
    """
    text = _STRAY_PERCENT.sub("%25", url.strip())
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        if host and "[" in parts.netloc:
            ip_address(host)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return urlunsplit((parts.scheme.lower(), quote(parts.netloc, safe=_SAFE_HOST),
                       quote(parts.path, safe=_SAFE_PATH), quote(parts.query, safe=_SAFE_QUERY),
                       quote(parts.fragment, safe=_SAFE_QUERY)))


def link_scheme(url: str) -> str:
    """The scheme of a link that :func:`web_url` refused (``"javascript"``), or a plain word for the rest."""
    m = _SCHEME.match(url.strip())
    return m.group(1).lower() if m else "no scheme"
