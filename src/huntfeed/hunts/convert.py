"""Sigma to SPL (CIM and plain), Defender XDR KQL and Sentinel KQL through pySigma's backends.

Pipelines mutate the rule they process, so every target parses the rule text afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sigma.backends.kusto.kusto import KustoBackend
from sigma.backends.splunk.splunk import SplunkBackend
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.pipelines.microsoftxdr.microsoftxdr import microsoft_xdr_pipeline
from sigma.pipelines.sentinelasim.sentinelasim import sentinel_asim_pipeline
from sigma.pipelines.splunk.splunk import splunk_cim_data_model, splunk_windows_pipeline
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import FieldMappingTransformation
from sigma.rule import SigmaRule

from huntfeed.errors import QueryError
from huntfeed.hunts.cim import NETWORK_CATEGORIES, huntfeed_cim_network_pipeline
from huntfeed.hunts.compiled import (
    defender_tables_for_sentinel as defender_tables_for_sentinel,  # re-exported; plain text
)
from huntfeed.hunts.kusto_conventions import IntegerAwareKustoBackend, kusto_value_pipeline
from huntfeed.hunts.registry import cim_registry_pipeline, defender_registry_pipeline, sentinel_registry_pipeline
from huntfeed.hunts.spl_lint import tokenize
from huntfeed.hunts.window import LOOKBACK

# Columns a hunter wants first, per Defender table; the analyser checks each exists.
DEFENDER_PROJECT: dict[str, tuple[str, ...]] = {
    "DeviceProcessEvents": (
        "Timestamp",
        "DeviceName",
        "AccountName",
        "InitiatingProcessFileName",
        "InitiatingProcessCommandLine",
        "FileName",
        "ProcessCommandLine",
        "SHA256",
    ),
    "DeviceFileEvents": (
        "Timestamp",
        "DeviceName",
        "ActionType",
        "InitiatingProcessFileName",
        "InitiatingProcessCommandLine",
        "FileName",
        "FolderPath",
        "SHA256",
    ),
    "DeviceRegistryEvents": (
        "Timestamp",
        "DeviceName",
        "ActionType",
        "InitiatingProcessFileName",
        "RegistryKey",
        "RegistryValueName",
        "RegistryValueData",
    ),
    "DeviceNetworkEvents": (
        "Timestamp",
        "DeviceName",
        "InitiatingProcessFileName",
        "InitiatingProcessCommandLine",
        "RemoteIP",
        "RemotePort",
        "RemoteUrl",
    ),
    "DeviceImageLoadEvents": (
        "Timestamp",
        "DeviceName",
        "InitiatingProcessFileName",
        "FileName",
        "FolderPath",
        "SHA256",
    ),
}


def parse_collection(sigma_yaml: str) -> list[SigmaRule | SigmaCorrelationRule]:
    """Every rule in a Sigma file (detection and correlation rules), raising QueryError with pySigma's reason."""
    try:
        rules = SigmaCollection.from_yaml(sigma_yaml).rules
    except SigmaError as exc:
        raise QueryError(f"invalid Sigma rule: {exc}") from exc
    for rule in rules:
        if rule.errors:
            raise QueryError(f"invalid Sigma rule: {rule.errors[0]}")
    return [r for r in rules if isinstance(r, SigmaRule | SigmaCorrelationRule)]


def parse_rule(sigma_yaml: str) -> SigmaRule:
    """Parse one Sigma detection rule, raising QueryError with pySigma's reason."""
    rules = parse_collection(sigma_yaml)
    if len(rules) != 1 or not isinstance(rules[0], SigmaRule):
        kinds = ", ".join(type(r).__name__ for r in rules) or "none"
        raise QueryError(f"expected exactly one Sigma detection rule, found {len(rules)} ({kinds})")
    return rules[0]


MAX_REASON = 600


def backend_reason(exc: Exception, rule: SigmaRule | None = None) -> str:
    """pySigma's whole message on one line, shortened; the Kusto pipeline's four-line table lecture
    says instead which logsource has no table."""
    text = " ".join(str(exc).split())
    if text.startswith("Unable to determine table name") and rule is not None:
        ls = rule.logsource
        source = ", ".join(f"{k}: {v}" for k, v in (("product", ls.product), ("category", ls.category),
                                                    ("service", ls.service)) if v)
        text = (f"no table for logsource ({source or 'none'}): pySigma's Kusto pipelines choose the table "
                "from the logsource category or the EventID, and know neither for this rule")
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def _run(backend: SplunkBackend | KustoBackend, sigma_yaml: str, fmt: str = "default") -> str:
    rule = parse_rule(sigma_yaml)
    try:
        out = backend.convert_rule(rule, fmt)
    except SigmaError as exc:
        raise QueryError(backend_reason(exc, rule)) from exc
    except (ValueError, KeyError, TypeError) as exc:  # backends raise these on shapes they do not handle
        raise QueryError(f"{type(exc).__name__}: {backend_reason(exc)}") from exc
    if not out or not isinstance(out[0], str):
        raise QueryError("the backend produced no query (nothing of the rule maps to this target; "
                         "the Kusto pipelines drop an EventID condition)")
    return out[0]


def pretty_spl(spl: str) -> str:
    """Put each top-level pipeline stage of an SPL search on its own line."""
    pieces: list[str] = []
    last = 0
    depth = 0
    for tok in tokenize(spl):
        if tok.kind == "lbracket":
            depth += 1
        elif tok.kind == "rbracket":
            depth -= 1
        elif tok.kind == "pipe" and depth == 0 and tok.start > 0:
            pieces.append(spl[last : tok.start].strip())
            last = tok.start
    pieces.append(spl[last:].strip())
    return "\n".join(p for p in pieces if p)


def _category(sigma_yaml: str) -> str:
    return parse_rule(sigma_yaml).logsource.category or ""


def to_spl_cim(sigma_yaml: str) -> str:
    """Splunk ``| tstats`` over a CIM data model (stock pipeline for endpoint data, ours for network)."""
    pipeline: ProcessingPipeline = (
        huntfeed_cim_network_pipeline()
        if _category(sigma_yaml) in NETWORK_CATEGORIES
        else splunk_cim_data_model() + cim_registry_pipeline()  # type: ignore[no-untyped-call]
    )
    return cim_macros(pretty_spl(_run(SplunkBackend(pipeline), sigma_yaml, "data_model")))


SUMMARIES = "summariesonly=false allow_old_summaries=true"
SUMMARIES_MACRO = "`huntfeed_summariesonly`"  # defined in data/splunk/macros.conf; the user sets it


def cim_macros(spl: str) -> str:
    """The data-model summaries switch as the ``huntfeed_summariesonly`` macro, not hard-coded."""
    return spl.replace(SUMMARIES, SUMMARIES_MACRO)


def to_spl_raw(sigma_yaml: str) -> str:
    """Plain SPL over raw events (Windows field names for Windows rules)."""
    rule = parse_rule(sigma_yaml)
    backend = (
        SplunkBackend(splunk_windows_pipeline())  # type: ignore[no-untyped-call]
        if rule.logsource.product == "windows"
        else SplunkBackend()
    )
    return pretty_spl("search " + _run(backend, sigma_yaml))


def _kusto_finish(query: str, time_column: str, project: tuple[str, ...] = ()) -> str:
    table, _, rest = query.partition("\n")
    lines = [table.strip(), f"| where {time_column} > ago({LOOKBACK})"]
    lines += [line for line in rest.splitlines() if line.strip()]
    if project:
        lines.append("| project " + ", ".join(project))
    return "\n".join(lines)


# Defender has no DNS or proxy table of its own: lookups and web requests surface in DeviceNetworkEvents.
_XDR_NETWORK_FIELDS = {
    "QueryName": "RemoteUrl",
    "query": "RemoteUrl",
    "c-uri": "RemoteUrl",
    "cs-host": "RemoteUrl",
    "dst_ip": "RemoteIP",
    "DestinationIp": "RemoteIP",
}
_ASIM_DNS_FIELDS = {"QueryName": "DnsQuery", "query": "DnsQuery", "QueryResults": "DnsResponseName"}


def _remap(mapping: dict[str, str]) -> ProcessingPipeline:
    fields: dict[str | None, str | list[str]] = dict(mapping.items())
    item = ProcessingItem(identifier="huntfeed_remap", transformation=FieldMappingTransformation(fields))
    return ProcessingPipeline(name="huntfeed field remap", priority=5, items=[item])


def to_kql_defender(sigma_yaml: str) -> str:
    """Microsoft Defender XDR advanced hunting KQL."""
    category = _category(sigma_yaml)
    if category in ("dns_query", "dns", "proxy"):
        pipeline = (
            _remap(_XDR_NETWORK_FIELDS)
            + kusto_value_pipeline()
            + microsoft_xdr_pipeline(query_table="DeviceNetworkEvents")
        )
    else:
        pipeline = defender_registry_pipeline() + kusto_value_pipeline() + microsoft_xdr_pipeline()
    query = _run(IntegerAwareKustoBackend(pipeline), sigma_yaml)
    table = query.partition("\n")[0].strip()
    return _kusto_finish(query, "Timestamp", DEFENDER_PROJECT.get(table, ()))


def to_kql_sentinel(sigma_yaml: str) -> str:
    """Microsoft Sentinel KQL over ASIM parsers; Defender tables when ASIM cannot express the rule."""
    if _category(sigma_yaml) in ("dns_query", "dns"):
        pipeline = (_remap(_ASIM_DNS_FIELDS) + kusto_value_pipeline(asim=True)
                    + sentinel_asim_pipeline(query_table="_Im_Dns"))
    else:
        pipeline = sentinel_registry_pipeline() + kusto_value_pipeline(asim=True) + sentinel_asim_pipeline()
    try:
        return _kusto_finish(_run(IntegerAwareKustoBackend(pipeline), sigma_yaml), "TimeGenerated")
    except QueryError:
        return defender_tables_for_sentinel(to_kql_defender(sigma_yaml))


CONVERTERS: dict[str, Callable[[str], str]] = {
    "spl": to_spl_cim,
    "spl_raw": to_spl_raw,
    "kql": to_kql_defender,
    "sentinel": to_kql_sentinel,
}


def convert_other(sigma_yaml: str, backend: str, pipeline: str | None = None, fmt: str = "default") -> str:
    """Convert with any installed pySigma backend (e.g. ``elasticsearch``), by plugin name."""
    from sigma.plugins import InstalledSigmaPlugins

    plugins = InstalledSigmaPlugins.autodiscover()
    if backend not in plugins.backends:
        raise QueryError(f"no pySigma backend {backend!r}; installed: {', '.join(sorted(plugins.backends))}")
    pipe = ProcessingPipeline()
    if pipeline:
        if pipeline not in plugins.pipelines:
            raise QueryError(
                f"no pySigma pipeline {pipeline!r}; installed: {', '.join(sorted(plugins.pipelines))}"
            )
        pipe = plugins.pipelines[pipeline]()
    backend_class: Any = plugins.backends[backend]
    return _run(backend_class(pipe), sigma_yaml, fmt)


def _correlation_spl_raw(sigma_yaml: str) -> str:
    # A correlation needs its base rules: pySigma converts the whole collection into one search.
    collection = SigmaCollection.from_yaml(sigma_yaml)
    windows = any(isinstance(r, SigmaRule) and r.logsource.product == "windows" for r in collection.rules)
    backend = SplunkBackend(splunk_windows_pipeline() if windows else ProcessingPipeline())  # type: ignore[no-untyped-call]
    try:
        out = backend.convert(collection)
    except SigmaError as exc:
        raise QueryError(backend_reason(exc)) from exc
    if not out or not isinstance(out[-1], str):
        raise QueryError("the backend produced no query")
    return pretty_spl("search " + out[-1])


def _no_correlations(reason: str) -> Callable[[str], str]:
    def convert(sigma_yaml: str) -> str:
        raise QueryError(reason)

    return convert


# What converts a correlation rule (count, value count, temporal) with its base rules, per target.
CORRELATION_CONVERTERS: dict[str, Callable[[str], str]] = {
    "spl": _no_correlations("the Splunk CIM data-model output of pySigma converts no correlation rules"),
    "spl_raw": _correlation_spl_raw,
    "kql": _no_correlations("pySigma's Kusto backend converts no correlation rules"),
    "sentinel": _no_correlations("pySigma's Kusto backend converts no correlation rules"),
}
