"""Chat notifications for new CRITICAL/HIGH profiles (Slack and Microsoft Teams incoming webhooks).

Both services accept a JSON body with a ``text`` field; Slack also reads ``blocks`` and Teams'
legacy connectors read a MessageCard. ``payload`` builds the body, ``notify`` posts it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import httpx

from huntfeed.errors import FetchError, HTTPStatusError
from huntfeed.indicators import count_iocs
from huntfeed.model import Profile, Severity

FLAVOURS = ("slack", "teams")
_COLOURS = {Severity.CRITICAL: "8B0000", Severity.HIGH: "D9480F", Severity.MED: "B08800", Severity.LOW: "5C6B7A"}


def _plain(text: str) -> str:
    """Feed text made inert for chat markup: no mentions, links or formatting from the feed."""
    out = " ".join(text.split())
    for ch, rep in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        out = out.replace(ch, rep)
    for ch in "*_~`[]|":
        out = out.replace(ch, " ")
    return out[:300]


def _summary_line(p: Profile) -> str:
    iocs = count_iocs(p.indicators)  # CVE ids are vulnerabilities, not indicators
    techs = ", ".join(h.id for h in p.techniques[:6]) or "none"
    return f"{_plain(p.source)} · {iocs} high-fidelity IOC(s) · techniques: {techs} · {len(p.hunts)} hunt(s)"


def payload(p: Profile, flavour: str = "slack", *, base_url: str = "") -> dict[str, Any]:
    """The webhook body announcing ``p``; ``base_url`` links to the web UI when given."""
    title = f"[{p.severity.value}] {_plain(p.title)}"
    link = f"{base_url.rstrip('/')}/profiles/{p.id}" if base_url else p.url
    text = f"{title}\n{_summary_line(p)}\n{link}"
    if flavour == "slack":
        return {
            "text": text,
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
                {"type": "section", "text": {"type": "mrkdwn", "text": _summary_line(p)}},
                {"type": "section", "text": {"type": "mrkdwn", "text": f"<{link}|Open profile>"}},
            ],
        }
    if flavour == "teams":
        return {
            "@type": "MessageCard", "@context": "https://schema.org/extensions",
            "summary": title[:150], "themeColor": _COLOURS[p.severity], "title": title, "text": text,
            "sections": [{"activityTitle": _plain(p.source), "text": _summary_line(p)}],
            "potentialAction": [{"@type": "OpenUri", "name": "Open profile",
                                 "targets": [{"os": "default", "uri": link}]}],
        }
    raise ValueError(f"unknown webhook flavour {flavour!r}; known: {', '.join(FLAVOURS)}")


def worth_notifying(profiles: Iterable[Profile], *, min_severity: Severity = Severity.HIGH,
                    already_sent: Iterable[str] = ()) -> list[Profile]:
    """Profiles at or above ``min_severity`` whose id has not been announced yet."""
    sent = set(already_sent)
    return [p for p in profiles if p.severity.rank >= min_severity.rank and p.id not in sent]


def notify(url: str, profiles: Sequence[Profile], *, flavour: str = "slack", base_url: str = "",
           client: httpx.Client | None = None, timeout: float = 10.0) -> list[str]:
    """Post one message per profile to ``url``; returns the ids announced (stops at the first failure)."""
    own = client is None
    http = client or httpx.Client(timeout=timeout, follow_redirects=False)
    done: list[str] = []
    try:
        for p in profiles:
            try:
                resp = http.post(url, json=payload(p, flavour, base_url=base_url))
            except httpx.HTTPError as exc:
                raise FetchError(f"webhook post failed: {exc}", where=url) from exc
            if resp.status_code >= 300:
                raise HTTPStatusError(f"webhook answered {resp.status_code}", where=url,
                                      status=resp.status_code)
            done.append(p.id)
    finally:
        if own:
            http.close()
    return done
