"""Kusto value conventions as a pySigma pipeline, run before the Defender and ASIM pipelines.

pySigma's Kusto backend writes a list of port numbers as ``RemotePort in~ ("80", "443")`` (strings
against an integer column, which Kusto.Language rejects) and every CIDR as ``ipv4_is_in_range``, IPv6
networks included, where that function never matches. Here a list of numbers stays one integer equality
per value (``RemotePort == 80 or RemotePort == 443``, a backend decision, so a subclass) and IPv6
networks are kept out of the IPv4 function (a pipeline):
dropped from the list (the hunt's reasons stay with the Sigma rule, which keeps them), or, when nothing
else is left, the rule fails to convert with a clear message rather than produce a query that lies.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from sigma.backends.kusto.kusto import KustoBackend
from sigma.conditions import ConditionAND, ConditionOR
from sigma.conversion.state import ConversionState
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations.base import DetectionItemTransformation
from sigma.rule import SigmaDetectionItem
from sigma.types import SigmaCIDRExpression, SigmaNumber, SigmaType

from huntfeed.errors import QueryError


class IntegerAwareKustoBackend(KustoBackend):
    """pySigma's Kusto backend, except that a list of numbers stays OR-ed equalities (integers, unquoted)."""

    def decide_convert_condition_as_in_expression(
        self, cond: ConditionOR | ConditionAND, state: ConversionState
    ) -> bool:
        args = getattr(cond, "args", [])
        if any(isinstance(getattr(a, "value", None), SigmaNumber) for a in args):
            return False
        return bool(super().decide_convert_condition_as_in_expression(cond, state))


@dataclass
class Ipv4RangesOnly(DetectionItemTransformation):
    """CIDR lists keep their IPv4 networks only (Kusto's ipv4_is_in_range cannot test IPv6)."""

    def apply_detection_item(self, detection_item: SigmaDetectionItem) -> None:
        values = detection_item.value
        if not any(isinstance(v, SigmaCIDRExpression) for v in values):
            return None
        kept: list[SigmaType] = [
            v for v in values if not (isinstance(v, SigmaCIDRExpression) and _is_v6(v))
        ]
        if len(kept) == len(values):
            return None
        if not kept:
            raise QueryError(
                f"{detection_item.field}|cidr holds only IPv6 networks, which Kusto's ipv4_is_in_range cannot test"
            )
        detection_item.value = kept  # values already carry the cidr modifier: edit in place
        self.processing_item_applied(detection_item)
        return None


def _is_v6(value: SigmaCIDRExpression) -> bool:
    return isinstance(value.network, ipaddress.IPv6Network)


def kusto_value_pipeline() -> ProcessingPipeline:
    """Integer comparisons and IPv4-only ranges for the Defender and Sentinel targets."""
    return ProcessingPipeline(
        name="huntfeed Kusto value conventions",
        priority=6,
        items=[
            ProcessingItem(identifier="huntfeed_kusto_ipv4_ranges", transformation=Ipv4RangesOnly()),
        ],
    )
