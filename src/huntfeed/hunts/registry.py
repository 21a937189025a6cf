"""Registry conventions per target, as pySigma processing pipelines (not hand edits of queries).

Sysmon writes a registry value as one path, ``HKLM\\...\\Terminal Server\\fDenyTSConnections``, and its
data as ``DWORD (0x00000000)``. Defender's DeviceRegistryEvents splits the path into ``RegistryKey`` and
``RegistryValueName`` and writes a DWORD as a decimal string (``0``); Splunk's CIM Registry data set
holds the full path in ``registry_path`` (``registry_key_name`` is the key alone) and the data in
``registry_value_data``, which the Sysmon add-on fills with Sysmon's own text and the Windows registry
input with the bare hex number. The pipelines here run before the backends' own mappings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sigma.conditions import ConditionOR
from sigma.modifiers import SigmaContainsModifier, SigmaEndswithModifier, SigmaStartswithModifier
from sigma.processing.conditions import IncludeFieldCondition, LogsourceCondition, RuleProcessingCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import FieldMappingTransformation, SetStateTransformation
from sigma.processing.transformations.base import DetectionItemTransformation, PreprocessingTransformation
from sigma.rule import SigmaDetection, SigmaDetectionItem
from sigma.types import SigmaString, SigmaType, SpecialChars

# The CIM Registry fields a hunter groups by (Splunk's own content uses these; not process_path).
CIM_REGISTRY_BY = (
    "Registry.dest",
    "Registry.user",
    "Registry.action",
    "Registry.process_guid",
    "Registry.process_id",
    "Registry.registry_path",
    "Registry.registry_value_name",
    "Registry.registry_value_data",
)
_DWORD = re.compile(r"^DWORD \(0x([0-9a-fA-F]{8})\)$")
VALUE_CATEGORIES = ("registry_set",)  # Sysmon 13: TargetObject always ends in the value's name
REGISTRY_CATEGORIES = ("registry_set", "registry_add", "registry_delete", "registry_event")
KEY_CATEGORIES = ("registry_add", "registry_delete", "registry_event")  # the path may end in a key


def dword_forms(value: str) -> tuple[str, str, str] | None:
    """Sysmon's ``DWORD (0x00000004)`` as (Sysmon text, bare hex, decimal); None for other data."""
    m = _DWORD.match(value)
    if m is None:
        return None
    return value, "0x" + m.group(1).lower(), str(int(m.group(1), 16))


def _plain(s: SigmaString) -> str | None:
    return s.s[0] if len(s.s) == 1 and isinstance(s.s[0], str) else None


def _with_text(text: str, leading_wildcard: bool) -> SigmaString:
    out = SigmaString()
    out.s = [SpecialChars.WILDCARD_MULTI, text] if leading_wildcard else [text]
    return out


@dataclass
class SplitRegistryValueName(DetectionItemTransformation):
    """``TargetObject|endswith '...\\Key\\Value'`` as the target splits it: key ``endswith '...\\Key'`` and
    value name ``Value`` (a bare ``'\\Value'`` tests the value name alone).

    Sysmon's value-set events (``value_set``) always end in the value's name. For the other registry
    categories the path may name a key too, so the split form is OR-ed with the unsplit key test.
    """

    value_field: str = "RegistryValueName"
    value_set: bool = True

    def _one(self, tail: str) -> SigmaDetection | None:
        key, sep, name = tail.rpartition("\\")
        if not name or tail.endswith("\\"):
            return None
        if not sep:  # "endswith '$'": the end of the value's name, not the whole of it
            value_only = SigmaDetectionItem(self.value_field, [SigmaEndswithModifier], [_with_text(name, True)])
        else:
            value_only = SigmaDetectionItem(self.value_field, [], [_with_text(name, False)])
        if key.strip("\\"):
            key_item = SigmaDetectionItem("TargetObject", [SigmaEndswithModifier], [_with_text(key, True)])
            split = SigmaDetection([key_item, value_only])
        else:
            split = SigmaDetection([value_only])
        if self.value_set:
            return split
        whole = SigmaDetectionItem("TargetObject", [SigmaEndswithModifier], [_with_text(tail, True)])
        return SigmaDetection([whole, split], item_linking=ConditionOR)

    def apply_detection_item(self, detection_item: SigmaDetectionItem) -> SigmaDetection | None:
        if detection_item.field != "TargetObject" or SigmaEndswithModifier not in detection_item.modifiers:
            return None
        forms: list[SigmaDetectionItem | SigmaDetection] = []
        for value in detection_item.value:
            parts = value.s if isinstance(value, SigmaString) else ()
            if len(parts) != 2 or parts[0] != SpecialChars.WILDCARD_MULTI or not isinstance(parts[1], str):
                return None
            form = self._one(parts[1])
            if form is None:
                return None
            forms.append(form)
        if not forms:
            return None
        return forms[0] if len(forms) == 1 else SigmaDetection(forms, item_linking=ConditionOR)  # type: ignore[return-value]


@dataclass
class SplitContainsAcrossValueName(DetectionItemTransformation):
    """``TargetObject|contains '...\\System\\EnableLUA'`` may end in the value's name: the key contains the
    whole text, or it ends in the part before the last backslash and the value name starts with the rest.

    Defender and ASIM keep the value name out of the key, so the unsplit ``RegistryKey contains`` never
    sees ``EnableLUA``. Text without an inner backslash, or ending in one, is left to the other steps.
    """

    value_field: str = "RegistryValueName"

    def apply_detection_item(self, detection_item: SigmaDetectionItem) -> SigmaDetection | None:
        if detection_item.field != "TargetObject" or detection_item.modifiers != [SigmaContainsModifier]:
            return None
        star = SpecialChars.WILDCARD_MULTI
        forms: list[SigmaDetectionItem | SigmaDetection] = []
        for v in detection_item.value:
            parts = v.s if isinstance(v, SigmaString) else ()
            text = parts[1] if len(parts) == 3 and parts[0] == star == parts[2] and isinstance(parts[1], str) else ""
            key, _, name = text.rpartition("\\")
            if not key.strip("\\") or not name:
                return None
            starts = SigmaString()
            starts.s = [name, star]
            split = SigmaDetection([
                SigmaDetectionItem("TargetObject", [SigmaEndswithModifier], [_with_text(key, True)]),
                SigmaDetectionItem(self.value_field, [SigmaStartswithModifier], [starts]),
            ])
            whole = SigmaDetectionItem("TargetObject", [SigmaContainsModifier], [v])
            forms.append(SigmaDetection([whole, split], item_linking=ConditionOR))
        if not forms:
            return None
        return forms[0] if len(forms) == 1 else SigmaDetection(forms, item_linking=ConditionOR)  # type: ignore[return-value]


@dataclass
class TrimKeyBackslash(DetectionItemTransformation):
    """``TargetObject|contains '\\Key\\'`` loses the trailing backslash before the Defender pipeline.

    Defender's RegistryKey never ends in a backslash, and pySigma's XDR pipeline, trimming it, leaves
    ``endswith "\\Key*"`` (a literal star Kusto never matches); ``contains "\\Key"`` is the intended test.
    """

    def apply_detection_item(self, detection_item: SigmaDetectionItem) -> SigmaDetectionItem | None:
        if detection_item.field != "TargetObject" or SigmaContainsModifier not in detection_item.modifiers:
            return None
        values: list[SigmaType] = []
        changed = False
        for v in detection_item.value:
            parts = v.s if isinstance(v, SigmaString) else ()
            star = SpecialChars.WILDCARD_MULTI
            if len(parts) == 3 and parts[0] == star and parts[2] == star and isinstance(parts[1], str):
                text = parts[1]
                if text.endswith("\\") and text.strip("\\"):
                    trimmed = SigmaString()
                    trimmed.s = [star, text.rstrip("\\"), star]
                    values.append(trimmed)
                    changed = True
                    continue
            values.append(v)
        if not changed:
            return None
        return SigmaDetectionItem(detection_item.field, detection_item.modifiers, values)


@dataclass
class NormaliseDword(DetectionItemTransformation):
    """Sysmon's ``DWORD (0x...)`` data compared in the target's forms (``decimal`` or ``all`` of them)."""

    forms: str = "decimal"
    fields: tuple[str, ...] = ("Details",)

    def apply_detection_item(self, detection_item: SigmaDetectionItem) -> SigmaDetectionItem | None:
        if detection_item.field not in self.fields or detection_item.modifiers:
            return None
        values: list[SigmaType] = []
        changed = False
        for v in detection_item.value:
            text = _plain(v) if isinstance(v, SigmaString) else None
            forms = dword_forms(text) if text is not None else None
            if forms is None:
                values.append(v)
                continue
            changed = True
            values += [_with_text(f, False) for f in (forms[2:] if self.forms == "decimal" else forms)]
        if not changed:
            return None
        return SigmaDetectionItem(detection_item.field, [], values)


def _conditions(categories: tuple[str, ...]) -> list[RuleProcessingCondition]:
    # pySigma binds each condition object to one processing item, so every item gets fresh ones.
    return [LogsourceCondition(category=c, product="windows") for c in categories]


def _registry_items(prefix: str, value_field: str, dword: str) -> list[ProcessingItem]:
    # The same four steps for each KQL target; only the value-name field and the DWORD forms differ.
    def item(name: str, transformation: PreprocessingTransformation, categories: tuple[str, ...]) -> ProcessingItem:
        return ProcessingItem(identifier=f"{prefix}_{name}", transformation=transformation,
                              rule_conditions=_conditions(categories), rule_condition_linking=any)

    return [
        item("registry_value_name", SplitRegistryValueName(value_field), VALUE_CATEGORIES),
        item("registry_key_or_value_name", SplitRegistryValueName(value_field, value_set=False), KEY_CATEGORIES),
        item("registry_contains_value_name", SplitContainsAcrossValueName(value_field), REGISTRY_CATEGORIES),
        item("registry_key_backslash", TrimKeyBackslash(), REGISTRY_CATEGORIES),
        item("registry_dword", NormaliseDword(dword), REGISTRY_CATEGORIES),
    ]


def defender_registry_pipeline() -> ProcessingPipeline:
    """Before microsoft_xdr_pipeline: value names split off the key, DWORD data as decimal text."""
    return ProcessingPipeline(name="huntfeed registry conventions for Defender", priority=5,
                              items=_registry_items("huntfeed", "RegistryValueName", "decimal"))


def sentinel_registry_pipeline() -> ProcessingPipeline:
    """Before sentinel_asim_pipeline: imRegistry names the value ``RegistryValue``; DWORD data in every form."""
    return ProcessingPipeline(name="huntfeed registry conventions for ASIM", priority=5,
                              items=_registry_items("huntfeed_asim", "RegistryValue", "all"))


def cim_registry_pipeline() -> ProcessingPipeline:
    """Around splunk_cim_data_model: full paths in ``registry_path``, DWORD data in every rendering."""
    return ProcessingPipeline(
        name="huntfeed CIM registry path and data",
        priority=30,  # after the stock mapping to Registry.registry_key_name / registry_value_data
        items=[
            ProcessingItem(
                identifier="huntfeed_cim_registry_dword",
                transformation=NormaliseDword("all", ("Registry.registry_value_data", "Details")),
                rule_conditions=_conditions(REGISTRY_CATEGORIES),
                rule_condition_linking=any,
            ),
            ProcessingItem(
                identifier="huntfeed_cim_registry_path",
                transformation=FieldMappingTransformation({"Registry.registry_key_name": "Registry.registry_path"}),
                rule_conditions=_conditions(REGISTRY_CATEGORIES),
                rule_condition_linking=any,
                field_name_conditions=[IncludeFieldCondition(["Registry.registry_key_name"])],
            ),
            ProcessingItem(
                identifier="huntfeed_cim_registry_by",
                transformation=SetStateTransformation("fields", list(CIM_REGISTRY_BY)),
                rule_conditions=_conditions(REGISTRY_CATEGORIES),
                rule_condition_linking=any,
            ),
        ],
    )
