"""IOC sweeps: the high-fidelity indicators of a profile as SPL (CIM) and Defender KQL hunts.

Every value goes through the dialect's quoting (escape.py); values that cannot be made safe for a
dialect are left out of it and named in the hunt's reasons. Batches keep each query under the
targets' limits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from huntfeed.errors import QueryError
from huntfeed.extract.fidelity import shared_host, url_host
from huntfeed.hunts.escape import kql_quote, spl_quote
from huntfeed.hunts.sweeps_ids import guid_queries, guid_sentinel, package_queries
from huntfeed.hunts.window import LOOKBACK
from huntfeed.model import Fidelity, Hunt, Indicator, IndicatorType

MAX_VALUES = 100  # per query: keeps tstats IN lists and KQL dynamic arrays well inside limits
MAX_CHARS = 12_000  # of quoted values per query; Defender caps a query's text, Splunk its URL length

_FALSE_POSITIVES = "Shared hosting, CDNs and sinkholes can make a network indicator match benign traffic."
_TSTATS = "`huntfeed_summariesonly` count min(_time) as firstTime max(_time) as lastTime"


def _spl_in(field: str, values: list[str], *, suffix_match: bool = False, contains: bool = False) -> str:
    parts: list[str] = []
    for v in values:
        inner = spl_quote(v)[1:-1]
        if contains:
            parts.append(f'"*{inner}*"')
        else:
            parts.append(f'"{inner}"')
            if suffix_match:
                parts.append(f'"*.{inner}"')
    return f"{field} IN ({', '.join(parts)})"


def _tstats(model: str, where: str, by: str) -> str:
    dataset = model.split(".")[1]
    return f"| tstats {_TSTATS} from datamodel={model} where {where} by {by}\n| `drop_dm_object_name({dataset})`"


def _kql_dynamic(values: list[str]) -> str:
    return "dynamic([" + ", ".join(kql_quote(v) for v in values) + "])"


def _hash_queries(values: list[str], types: dict[str, IndicatorType]) -> tuple[str, str]:
    spl = (
        _tstats(
            "Endpoint.Processes",
            _spl_in("Processes.process_hash", values, contains=True),
            "Processes.dest Processes.user Processes.process_name Processes.process_hash",
        )
        + "\n| append ["
        + _tstats(
            "Endpoint.Filesystem",
            _spl_in("Filesystem.file_hash", values, contains=True),
            "Filesystem.dest Filesystem.file_path Filesystem.file_hash",
        )
        + "]"
    )
    conds: list[str] = []
    lets: list[str] = []
    for column, itype in (
        ("SHA256", IndicatorType.SHA256),
        ("SHA1", IndicatorType.SHA1),
        ("MD5", IndicatorType.MD5),
    ):
        group = [v for v in values if types[v] is itype]
        if group:
            lets.append(f"let {column.lower()}s = {_kql_dynamic(group)};")
            conds.append(f"{column} in~ ({column.lower()}s)")
    kql = "\n".join(
        lets
        + [
            "union withsource=SourceTable DeviceProcessEvents, DeviceFileEvents, DeviceImageLoadEvents",
            f"| where Timestamp > ago({LOOKBACK})",
            "| where " + " or ".join(conds),
            "| project Timestamp, SourceTable, DeviceName, FileName, FolderPath, SHA256, SHA1, MD5, "
            "InitiatingProcessFileName, InitiatingProcessCommandLine",
        ]
    )
    return spl, kql


def _ip_queries(values: list[str]) -> tuple[str, str]:
    # An address is as likely to show up signing in with a stolen token as on the network: the sweep
    # reads network traffic and authentication (CIM), device network and Entra ID sign-in and cloud-app
    # activity (Defender XDR); the Sentinel form is _ip_sentinel.
    where = "(" + _spl_in("All_Traffic.dest", values) + " OR " + _spl_in("All_Traffic.src", values) + ")"
    spl = (
        _tstats(
            "Network_Traffic.All_Traffic",
            where,
            "All_Traffic.src All_Traffic.dest All_Traffic.dest_port All_Traffic.app All_Traffic.action",
        )
        + "\n| append ["
        + _tstats(
            "Authentication.Authentication",
            _spl_in("Authentication.src", values),
            "Authentication.src Authentication.user Authentication.app Authentication.dest Authentication.action",
        )
        + "]"
    )
    kql = "\n".join(
        [
            f"let ips = {_kql_dynamic(values)};",
            "union",
            f"  (DeviceNetworkEvents | where Timestamp > ago({LOOKBACK}) | where RemoteIP in (ips) or LocalIP in (ips)"
            ' | project Timestamp, Source = "DeviceNetworkEvents", Where = DeviceName,'
            " Who = InitiatingProcessAccountName, IP = RemoteIP,"
            ' Detail = strcat(ActionType, " ", InitiatingProcessFileName, " ", RemotePort)),',
            f"  (AADSignInEventsBeta | where Timestamp > ago({LOOKBACK}) | where IPAddress in (ips)"
            ' | project Timestamp, Source = "AADSignInEventsBeta", Where = Application, Who = AccountUpn,'
            ' IP = IPAddress, Detail = strcat(ErrorCode, " ", ClientAppUsed, " ", UserAgent)),',
            f"  (CloudAppEvents | where Timestamp > ago({LOOKBACK}) | where IPAddress in (ips)"
            ' | project Timestamp, Source = "CloudAppEvents", Where = Application, Who = AccountDisplayName,'
            " IP = IPAddress, Detail = ActionType)",
        ]
    )
    return spl, kql


def _ip_sentinel(values: list[str]) -> str:
    """Entra ID sign-ins (interactive and not) where Sentinel keeps them, then the Defender XDR tables
    its connector streams (AADSignInEventsBeta is Advanced Hunting's own and is not among them)."""
    signins = [
        f"  ({table} | where TimeGenerated > ago({LOOKBACK}) | where IPAddress in (ips)"
        f' | project Timestamp = TimeGenerated, Source = "{table}", Where = AppDisplayName,'
        " Who = UserPrincipalName, IP = IPAddress,"
        ' Detail = strcat(ResultType, " ", AuthenticationProtocol, " ", UserAgent)),'
        for table in ("SigninLogs", "AADNonInteractiveUserSignInLogs")
    ]
    defender = [line for line in _ip_queries(values)[1].split("\n")[2:] if "AADSignInEventsBeta" not in line]
    return "\n".join([f"let ips = {_kql_dynamic(values)};", "union", *signins, *defender])


def with_punycode(values: list[str]) -> list[str]:
    """Each internationalised (IDN homoglyph) domain followed by its punycode form, which DNS and proxy logs record."""
    import idna

    out: list[str] = []
    for v in values:
        out.append(v)
        if not v.isascii():
            try:
                ace = idna.encode(v, uts46=True).decode("ascii")
            except (idna.IDNAError, UnicodeError):
                continue
            if ace not in out and _safe(ace):
                out.append(ace)
    return out


def _domain_queries(values: list[str]) -> tuple[str, str]:
    spl = (
        _tstats(
            "Network_Resolution.DNS",
            _spl_in("DNS.query", values, suffix_match=True),
            "DNS.src DNS.query DNS.answer",
        )
        + "\n| append ["
        + _tstats(
            "Web.Web",
            _spl_in("Web.site", values, suffix_match=True),
            "Web.src Web.site Web.url Web.http_method",
        )
        + "]"
    )
    kql = "\n".join(
        [
            f"let domains = {_kql_dynamic(values)};",
            "union",
            f"  (DeviceNetworkEvents | where Timestamp > ago({LOOKBACK}) | where RemoteUrl has_any (domains)"
            ' | project Timestamp, Source = "DeviceNetworkEvents", Where = DeviceName,'
            " Indicator = RemoteUrl),",
            f"  (EmailUrlInfo | where Timestamp > ago({LOOKBACK}) | where UrlDomain in~ (domains)"
            ' | project Timestamp, Source = "EmailUrlInfo", Where = NetworkMessageId, Indicator = Url),',
            f"  (UrlClickEvents | where Timestamp > ago({LOOKBACK}) | where Url has_any (domains)"
            ' | project Timestamp, Source = "UrlClickEvents", Where = AccountUpn, Indicator = Url)',
        ]
    )
    return spl, kql


def _owned_hosts(urls: Iterable[str]) -> list[str]:
    """Hosts of these URLs that are attacker-owned (not a shared platform, not an IP address)."""
    out: dict[str, None] = {}
    for url in urls:
        host = url_host(url)
        if host and not _IP_SHAPE.fullmatch(host) and ":" not in host and not shared_host(host) and _safe(host):
            out.setdefault(host, None)
    return list(out)


_IP_SHAPE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def _url_queries(values: list[str]) -> tuple[str, str]:
    spl = _tstats("Web.Web", _spl_in("Web.url", values), "Web.src Web.dest Web.url Web.http_method Web.status")
    # Defender's RemoteUrl holds the URL without its scheme for HTTP and often only the host for
    # HTTPS (the path is encrypted): match those forms too, the host only where attacker-owned.
    # One entry per URL in each list (the URL itself where there is no other form), so the query's
    # shape never depends on the values.
    bare = [v.split("://", 1)[1] if "://" in v else v for v in values]
    hosts = [(_owned_hosts([v]) or [v])[0] for v in values]
    remote = "RemoteUrl in~ (urls) or RemoteUrl in~ (bare_urls) or RemoteUrl in~ (url_hosts)"
    lets = [
        f"let urls = {_kql_dynamic(values)};",
        f"let bare_urls = {_kql_dynamic(bare)};",
        f"let url_hosts = {_kql_dynamic(hosts)};",
    ]
    kql = "\n".join(
        [
            *lets,
            "union",
            f"  (EmailUrlInfo | where Timestamp > ago({LOOKBACK}) | where Url in~ (urls)"
            ' | project Timestamp, Source = "EmailUrlInfo", Where = NetworkMessageId, Indicator = Url),',
            f"  (UrlClickEvents | where Timestamp > ago({LOOKBACK}) | where Url in~ (urls)"
            ' | project Timestamp, Source = "UrlClickEvents", Where = AccountUpn, Indicator = Url),',
            f"  (DeviceNetworkEvents | where Timestamp > ago({LOOKBACK}) | where {remote}"
            ' | project Timestamp, Source = "DeviceNetworkEvents", Where = DeviceName,'
            " Indicator = RemoteUrl)",
        ]
    )
    return spl, kql


def _email_queries(values: list[str]) -> tuple[str, str]:
    spl = _tstats(
        "Email.All_Email",
        _spl_in("All_Email.src_user", values),
        "All_Email.src_user All_Email.recipient All_Email.subject All_Email.action",
    )
    kql = "\n".join(
        [
            f"let senders = {_kql_dynamic(values)};",
            "EmailEvents",
            f"| where Timestamp > ago({LOOKBACK})",
            "| where SenderFromAddress in~ (senders) or SenderMailFromAddress in~ (senders)",
            "| project Timestamp, NetworkMessageId, SenderFromAddress, SenderMailFromAddress, "
            "RecipientEmailAddress, "
            "Subject, DeliveryAction, ThreatTypes",
        ]
    )
    return spl, kql


@dataclass(frozen=True, slots=True)
class _Kind:
    key: str
    label: str
    types: tuple[IndicatorType, ...]
    phase: str
    build: Callable[[list[str], dict[str, IndicatorType]], tuple[str, str]]
    sentinel: Callable[[list[str]], str] | None = None  # None: the Defender query serves Sentinel too


KINDS = (
    _Kind(
        "HASH",
        "file hash",
        (IndicatorType.SHA256, IndicatorType.SHA1, IndicatorType.MD5),
        "installation",
        _hash_queries,
    ),
    _Kind(
        "IP",
        "IP address",
        (IndicatorType.IPV4, IndicatorType.IPV6),
        "command-and-control",
        lambda v, _t: _ip_queries(v),
        _ip_sentinel,
    ),
    _Kind("DOMAIN", "domain", (IndicatorType.DOMAIN,), "command-and-control", lambda v, _t: _domain_queries(v)),
    _Kind("URL", "URL", (IndicatorType.URL,), "delivery", lambda v, _t: _url_queries(v)),
    _Kind("EMAIL", "sender address", (IndicatorType.EMAIL,), "delivery", lambda v, _t: _email_queries(v)),
    _Kind(
        "GUID",
        "application, tenant or class id",
        (IndicatorType.GUID,),
        "installation",
        lambda v, _t: guid_queries(v, _tstats),
        guid_sentinel,
    ),
    _Kind(
        "PACKAGE", "mobile package id", (IndicatorType.PACKAGE,), "delivery", lambda v, _t: package_queries(v, _tstats)
    ),
)


def _plural(label: str) -> str:
    return label + ("es" if label.endswith(("s", "sh", "ch", "x")) else "s")


def _normalise(ind: Indicator) -> str:
    if ind.type in (IndicatorType.URL, IndicatorType.IPV4):
        return ind.value.strip()
    return ind.value.strip().lower()


def _safe(value: str) -> bool:
    try:
        spl_quote(value)
        kql_quote(value)
    except QueryError:
        return False
    return True


def _batches(values: list[str]) -> Iterable[list[str]]:
    batch: list[str] = []
    size = 0
    for v in values:
        cost = len(kql_quote(v)) * 2 + 8  # the longest of the dialects' renderings, with wildcards
        if batch and (len(batch) >= MAX_VALUES or size + cost > MAX_CHARS):
            yield batch
            batch, size = [], 0
        batch.append(v)
        size += cost
    if batch:
        yield batch


def build_sweeps(indicators: tuple[Indicator, ...]) -> tuple[Hunt, ...]:
    """IOC sweep hunts for the high-fidelity indicators, per type and batch."""
    hunts: list[Hunt] = []
    for kind in KINDS:
        types: dict[str, IndicatorType] = {}
        skipped: list[str] = []
        for ind in indicators:
            if ind.fidelity is not Fidelity.HIGH or ind.type not in kind.types:
                continue
            value = _normalise(ind)
            if not value or value in types:
                continue
            if _safe(value):
                types[value] = ind.type
            else:
                skipped.append(value)
        from_urls = 0
        if kind.key == "DOMAIN":
            # A high-fidelity URL on an attacker-owned host also sweeps the host (DNS, proxy, EDR
            # logs see the name long before the path); a shared platform's host never.
            urls = [i.value for i in indicators if i.fidelity is Fidelity.HIGH and i.type is IndicatorType.URL]
            for host in _owned_hosts(urls):
                if host not in types:
                    types[host] = IndicatorType.DOMAIN
                    from_urls += 1
        values = list(types)
        if IndicatorType.DOMAIN in kind.types:  # logs hold an IDN homoglyph domain in punycode
            values = with_punycode(values)
        batches = list(_batches(values)) if values else []
        for n, batch in enumerate(batches, 1):
            spl, kql = kind.build(batch, types)
            counts: dict[str, int] = {}
            for v in (v for v in batch if v in types):  # punycode forms are not indicators of their own
                counts[str(types[v])] = counts.get(str(types[v]), 0) + 1
            reasons = [f"{count} high-fidelity {t} indicator(s) from the article" for t, count in counts.items()]
            if from_urls and n == 1:
                reasons.append(f"{from_urls} of them the attacker-owned host(s) of high-fidelity URLs")
            if skipped and n == 1:
                reasons.append(f"{len(skipped)} value(s) left out: they cannot be quoted safely in SPL")
            part = f" (batch {n} of {len(batches)})" if len(batches) > 1 else ""
            hunts.append(
                Hunt(
                    use_case=f"SWEEP_{kind.key}_{n}",
                    title=f"IOC sweep: {len(batch)} {kind.label if len(batch) == 1 else _plural(kind.label)}{part}",
                    phase=kind.phase,
                    confidence="High",
                    queries={"spl": spl, "kql": kql, "sentinel": kind.sentinel(batch) if kind.sentinel else kql},
                    kind="sweep",
                    reasons=tuple(reasons),
                    description=f"Looks for the article's {kind.label}s in your telemetry over {LOOKBACK}.",
                    false_positives=_FALSE_POSITIVES,
                )
            )
    return tuple(hunts)
