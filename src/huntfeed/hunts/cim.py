"""Our Splunk CIM processing pipeline for the log sources the stock CIM pipeline does not map.

The stock ``splunk_cim_data_model`` pipeline covers process, registry and file events; network
connections, DNS lookups and web (proxy or web-server) logs land on Network_Traffic, Network_Resolution
and Web here. The backend's ``data_model`` output reads the ``data_model_set`` and ``fields`` states.
"""

from __future__ import annotations

from sigma.processing.conditions import (
    ExcludeFieldCondition,
    LogsourceCondition,
    RuleProcessingCondition,
    RuleProcessingItemAppliedCondition,
)
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    DetectionItemFailureTransformation,
    FieldMappingTransformation,
    RuleFailureTransformation,
    SetStateTransformation,
)

NETWORK_TRAFFIC = {
    "DestinationIp": "All_Traffic.dest_ip",
    "DestinationHostname": "All_Traffic.dest",
    "DestinationPort": "All_Traffic.dest_port",
    "SourceIp": "All_Traffic.src_ip",
    "SourcePort": "All_Traffic.src_port",
    "Protocol": "All_Traffic.transport",
    "Image": "All_Traffic.app",
    "User": "All_Traffic.user",
    "Computer": "All_Traffic.src",
}
NETWORK_TRAFFIC_BY = (
    "All_Traffic.src",
    "All_Traffic.dest",
    "All_Traffic.dest_port",
    "All_Traffic.app",
    "All_Traffic.user",
)

DNS = {
    "QueryName": "DNS.query",
    "query": "DNS.query",
    "QueryResults": "DNS.answer",
    "answer": "DNS.answer",
    "record_type": "DNS.record_type",
    "Computer": "DNS.src",
    "src_ip": "DNS.src",
}
DNS_BY = ("DNS.src", "DNS.query", "DNS.answer", "DNS.record_type")

WEB = {
    "c-uri": "Web.url",
    "c-uri-query": "Web.uri_query",
    "c-uri-stem": "Web.uri_path",
    "cs-uri-query": "Web.uri_query",
    "cs-uri-stem": "Web.uri_path",
    "c-useragent": "Web.http_user_agent",
    "cs-user-agent": "Web.http_user_agent",
    "cs-method": "Web.http_method",
    "cs-host": "Web.site",
    "cs-referrer": "Web.http_referrer",
    "sc-status": "Web.status",
    "src_ip": "Web.src",
    "c-ip": "Web.src",
    "dst_ip": "Web.dest_ip",
    "s-ip": "Web.dest",
}
WEB_BY = (
    "Web.src",
    "Web.dest",
    "Web.site",
    "Web.http_method",
    "Web.url",
    "Web.status",
    "Web.http_user_agent",
)

_SOURCES: tuple[tuple[str, tuple[dict[str, str], ...], dict[str, str], tuple[str, ...], str], ...] = (
    (
        "network_traffic",
        ({"category": "network_connection"}, {"category": "firewall"}),
        NETWORK_TRAFFIC,
        NETWORK_TRAFFIC_BY,
        "Network_Traffic.All_Traffic",
    ),
    (
        "dns",
        ({"category": "dns_query"}, {"category": "dns"}, {"category": "network", "service": "dns"}),
        DNS,
        DNS_BY,
        "Network_Resolution.DNS",
    ),
    (
        "web",
        ({"category": "proxy"}, {"category": "webserver"}),
        WEB,
        WEB_BY,
        "Web.Web",
    ),
)

NETWORK_CATEGORIES = frozenset({"network_connection", "firewall", "dns_query", "dns", "proxy", "webserver"})


def _conditions(specs: tuple[dict[str, str], ...]) -> list[RuleProcessingCondition]:
    # pySigma binds each condition object to one processing item, so every item gets fresh ones.
    return [LogsourceCondition(**spec) for spec in specs]


def huntfeed_cim_network_pipeline() -> ProcessingPipeline:
    """Map network-connection, DNS and web rules onto CIM Network_Traffic, Network_Resolution and Web."""
    items: list[ProcessingItem] = []
    applied: list[RuleProcessingCondition] = []
    for name, conditions, mapping, by_fields, data_model in _SOURCES:
        items += [
            ProcessingItem(
                identifier=f"huntfeed_cim_{name}_unsupported",
                transformation=DetectionItemFailureTransformation(
                    f"the CIM {data_model} mapping knows only these fields: {', '.join(mapping)}"
                ),
                rule_conditions=_conditions(conditions),
                rule_condition_linking=any,
                field_name_conditions=[ExcludeFieldCondition(fields=list(mapping))],
            ),
            ProcessingItem(
                identifier=f"huntfeed_cim_{name}_fields",
                transformation=FieldMappingTransformation(dict(mapping)),  # type: ignore[arg-type]
                rule_conditions=_conditions(conditions),
                rule_condition_linking=any,
            ),
            ProcessingItem(
                identifier=f"huntfeed_cim_{name}_by",
                transformation=SetStateTransformation("fields", list(by_fields)),
                rule_conditions=_conditions(conditions),
                rule_condition_linking=any,
            ),
            ProcessingItem(
                identifier=f"huntfeed_cim_{name}_model",
                transformation=SetStateTransformation("data_model_set", data_model),
                rule_conditions=_conditions(conditions),
                rule_condition_linking=any,
            ),
        ]
        applied.append(RuleProcessingItemAppliedCondition(f"huntfeed_cim_{name}_fields"))
    items.append(
        ProcessingItem(
            identifier="huntfeed_cim_unsupported_logsource",
            transformation=RuleFailureTransformation("log source not mapped to a CIM data model"),
            rule_conditions=list(applied),
            rule_condition_linking=any,
            rule_condition_negation=True,
        )
    )
    return ProcessingPipeline(
        name="huntfeed CIM network, DNS and web",
        allowed_backends=frozenset({"splunk"}),
        priority=20,
        items=items,
    )
