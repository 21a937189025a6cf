"""Kusto value conventions: a backend subclass for what is the backend's decision, and pySigma pipelines,
run before the Defender and ASIM pipelines, for what the field and value conventions of a table decide.

Each class of error here passed Kusto.Language but could never match, or matched more than the rule:

* a list of port numbers became ``RemotePort in~ ("80", "443")`` (strings against an integer column):
  one integer equality per value instead;
* every CIDR became ``ipv4_is_in_range``, which never matches an IPv6 network (and dropping IPv6 ranges
  from a ``not`` filter widens the hunt): IPv6 networks go to ``ipv6_is_in_range``; both wrapped in
  ``coalesce(..., false)``, since they are null for an address of the other family and a ``not`` of
  null drops the row;
* ``|base64`` and ``|base64offset`` values are encodings whose letter case is the content: compared
  with ``contains_cs`` and friends, not the case-insensitive ``contains``;
* Security's ``LogonType: 9`` compared a number with Defender's and ASIM's names (``"NewCredentials"``);
* Sysmon's ``Initiated: 'true'`` became ASIM ``NetworkDirection =~ "true"``; ASIM says ``"Outbound"``;
* a Security ``EventID: 4624`` was dropped by the XDR pipeline, so a logon-success hunt matched failures
  too: Defender's ``ActionType`` says ``LogonSuccess`` / ``LogonFailed``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, ClassVar

from sigma.backends.kusto.kusto import KustoBackend
from sigma.conditions import ConditionAND, ConditionFieldEqualsValueExpression, ConditionOR
from sigma.conversion.state import ConversionState
from sigma.modifiers import SigmaBase64Modifier, SigmaBase64OffsetModifier
from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations.base import DetectionItemTransformation
from sigma.rule import SigmaDetection, SigmaDetectionItem
from sigma.types import SigmaCasedString, SigmaCIDRExpression, SigmaNumber, SigmaString, SigmaType

from huntfeed.errors import QueryError

# Windows logon type numbers (event 4624's LogonType) as Defender's DeviceLogonEvents and ASIM write them.
LOGON_TYPE_NAMES = {
    2: "Interactive",
    3: "Network",
    4: "Batch",
    5: "Service",
    7: "Unlock",
    8: "NetworkCleartext",
    9: "NewCredentials",
    10: "RemoteInteractive",
    11: "CachedInteractive",
    12: "CachedRemoteInteractive",
    13: "CachedUnlock",
}
# Security logon events as Defender's DeviceLogonEvents ActionType: pySigma's XDR pipeline drops the
# EventID after choosing the table, which made a 4624 (success) hunt match failed logons too.
LOGON_EVENT_ACTIONS = {4624: "LogonSuccess", 4625: "LogonFailed"}
# Sysmon network_connection's Initiated as ASIM's NetworkDirection.
INITIATED_DIRECTION = {"true": "Outbound", "false": "Inbound"}


class IntegerAwareKustoBackend(KustoBackend):
    """pySigma's Kusto backend, except: a list of numbers stays OR-ed equalities (integers, unquoted),
    IPv6 networks use ``ipv6_is_in_range``, and case-sensitive strings use Kusto's ``_cs`` operators."""

    case_sensitive_match_expression: ClassVar[str | None] = "{field} == {value}"
    case_sensitive_startswith_expression: ClassVar[str | None] = "{field} startswith_cs {value}"
    case_sensitive_endswith_expression: ClassVar[str | None] = "{field} endswith_cs {value}"
    case_sensitive_contains_expression: ClassVar[str | None] = "{field} contains_cs {value}"
    # Kusto's range functions give null, not false, for an address of the other family, and
    # not(null) is null: `not(ipv4_is_in_range(RemoteIP, "10.0.0.0/8"))` silently dropped every IPv6
    # destination from a "not a private address" filter. coalesce makes the other family plain false.
    cidr_expression: ClassVar[str] = 'coalesce(ipv4_is_in_range({field}, "{value}"), false)'
    ipv6_cidr_expression: ClassVar[str] = 'coalesce(ipv6_is_in_range({field}, "{value}"), false)'

    def decide_convert_condition_as_in_expression(
        self, cond: ConditionOR | ConditionAND, state: ConversionState
    ) -> bool:
        args = getattr(cond, "args", [])
        if any(isinstance(getattr(a, "value", None), SigmaNumber | SigmaCasedString) for a in args):
            return False
        return bool(super().decide_convert_condition_as_in_expression(cond, state))

    def convert_condition_field_eq_val_cidr(self, cond: ConditionFieldEqualsValueExpression,
                                            state: ConversionState) -> Any:
        cidr = cond.value
        if isinstance(cidr, SigmaCIDRExpression) and isinstance(cidr.network, ipaddress.IPv6Network):
            return self.ipv6_cidr_expression.format(field=self.escape_and_quote_field(cond.field),
                                                    value=str(cidr.network))
        return super().convert_condition_field_eq_val_cidr(cond, state)


@dataclass
class CaseSensitiveEncodings(DetectionItemTransformation):
    """``|base64`` and ``|base64offset`` values compared case-sensitively (``|cased``)."""

    def apply_detection_item(self, detection_item: SigmaDetectionItem) -> None:
        if not any(m in detection_item.modifiers for m in (SigmaBase64Modifier, SigmaBase64OffsetModifier)):
            return None
        detection_item.value = [_cased(v) for v in detection_item.value]
        self.processing_item_applied(detection_item)
        return None


def _cased(value: SigmaType) -> SigmaType:
    if isinstance(value, SigmaString) and not isinstance(value, SigmaCasedString):
        return SigmaCasedString.from_sigma_string(value)
    values = getattr(value, "values", None)  # base64offset expands each value into its three offsets
    if isinstance(values, list):
        value.values = [_cased(v) for v in values]  # type: ignore[attr-defined]
    return value


@dataclass
class LogonTypeNames(DetectionItemTransformation):
    """``LogonType: 9`` as ``"NewCredentials"``; a number with no name fails the conversion, clearly."""

    def apply_detection_item(self, detection_item: SigmaDetectionItem) -> None:
        if detection_item.field != "LogonType" or not any(isinstance(v, SigmaNumber) for v in detection_item.value):
            return None
        values: list[SigmaType] = []
        for v in detection_item.value:
            if not isinstance(v, SigmaNumber):
                values.append(v)
                continue
            name = LOGON_TYPE_NAMES.get(int(v.number))
            if name is None:
                raise QueryError(f"LogonType {v.number} has no name in Defender's or ASIM's LogonType column")
            values.append(SigmaString(name))
        detection_item.value = values
        self.processing_item_applied(detection_item)
        return None


@dataclass
class LogonEventAction(DetectionItemTransformation):
    """``EventID: 4624`` as ``ActionType: LogonSuccess`` in DeviceLogonEvents (4625: ``LogonFailed``); the
    table is set here, as the XDR pipeline would have chosen it from the EventID this replaces."""

    def apply_detection_item(self, detection_item: SigmaDetectionItem) -> SigmaDetection | None:
        if detection_item.field != "EventID" or detection_item.modifiers or not detection_item.value:
            return None
        actions = [LOGON_EVENT_ACTIONS.get(int(v.number)) if isinstance(v, SigmaNumber) else None
                   for v in detection_item.value]
        if None in actions:
            return None
        self._pipeline.state["query_table"] = "DeviceLogonEvents"  # type: ignore[union-attr]
        values: list[SigmaType] = [SigmaString(a) for a in dict.fromkeys(actions) if a is not None]
        return SigmaDetection([SigmaDetectionItem("ActionType", [], values)])


@dataclass
class InitiatedAsDirection(DetectionItemTransformation):
    """Sysmon's ``Initiated: 'true'`` as ASIM's ``NetworkDirection: Outbound``."""

    def apply_detection_item(self, detection_item: SigmaDetectionItem) -> None:
        if detection_item.field != "Initiated" or detection_item.modifiers:
            return None
        values: list[SigmaType] = []
        for v in detection_item.value:
            direction = INITIATED_DIRECTION.get(str(v).lower())
            if direction is None:
                raise QueryError(f"Initiated: {v} has no ASIM NetworkDirection")
            values.append(SigmaString(direction))
        detection_item.field = "NetworkDirection"
        detection_item.value = values
        self.processing_item_applied(detection_item)
        return None


def kusto_value_pipeline(*, asim: bool = False) -> ProcessingPipeline:
    """Value conventions for the Defender target (and, with ``asim``, the Sentinel ASIM one)."""
    items = [
        ProcessingItem(identifier="huntfeed_kusto_cased_encodings", transformation=CaseSensitiveEncodings()),
        ProcessingItem(identifier="huntfeed_kusto_logon_type_names", transformation=LogonTypeNames(),
                       rule_conditions=[LogsourceCondition(product="windows")]),
    ]
    if not asim:
        items.append(ProcessingItem(identifier="huntfeed_xdr_logon_event_action", transformation=LogonEventAction(),
                                    rule_conditions=[LogsourceCondition(product="windows", service="security")]))
    if asim:
        items.append(ProcessingItem(identifier="huntfeed_asim_initiated_direction",
                                    transformation=InitiatedAsDirection(),
                                    rule_conditions=[LogsourceCondition(category="network_connection")]))
    return ProcessingPipeline(name="huntfeed Kusto value conventions", priority=6, items=items)
