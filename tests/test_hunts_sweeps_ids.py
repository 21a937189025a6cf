"""GUID and package-id sweeps: listed identifiers in, the whole query out per dialect.

A GUID an author lists is an OAuth app's, service principal's or tenant's id, or a COM class id; a
package id is a mobile app's. Only high-fidelity ones (listed, not part of a URL) are swept.
"""
# ruff: noqa: E501

from __future__ import annotations

import pytest

from huntfeed.hunts import build_sweeps
from huntfeed.model import Fidelity, Indicator, IndicatorType

GUID = "4f7e9c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b"


def ind(t: IndicatorType, v: str, fid: Fidelity = Fidelity.HIGH) -> Indicator:
    return Indicator(type=t, value=v, raw=v, start=0, end=len(v), fidelity=fid)


EXPECTED = {
    ('SWEEP_GUID_1', 'spl'): (
        '| tstats `huntfeed_summariesonly` count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Registry where Registry.registry_path IN ("*4f7e9c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b*") by Registry.dest Registry.user Registry.registry_path Registry.registry_value_data Registry.process_guid\n'
        '| `drop_dm_object_name(Registry)`\n'
        '| append [| tstats `huntfeed_summariesonly` count min(_time) as firstTime max(_time) as lastTime from datamodel=Change.All_Changes where All_Changes.object_id IN ("4f7e9c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b") by All_Changes.src_user All_Changes.object All_Changes.object_id All_Changes.action All_Changes.command\n'
        '| `drop_dm_object_name(All_Changes)`]'
    ),
    ('SWEEP_GUID_1', 'kql'): (
        'let guids = dynamic(["4f7e9c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b"]);\n'
        'union\n'
        '  (AADSignInEventsBeta | where Timestamp > ago(30d) | where ApplicationId in~ (guids) or ResourceId in~ (guids) or ResourceTenantId in~ (guids) | project Timestamp, Source = "AADSignInEventsBeta", Where = Application, Who = AccountUpn, Indicator = ApplicationId, Detail = strcat(ErrorCode, " ", ResourceDisplayName)),\n'
        '  (AADSpnSignInEventsBeta | where Timestamp > ago(30d) | where ApplicationId in~ (guids) or ServicePrincipalId in~ (guids) or ResourceTenantId in~ (guids) | project Timestamp, Source = "AADSpnSignInEventsBeta", Where = Application, Who = ServicePrincipalName, Indicator = ApplicationId, Detail = strcat(ErrorCode, " ", ResourceDisplayName)),\n'
        '  (CloudAppEvents | where Timestamp > ago(30d) | where OAuthAppId in~ (guids) or ObjectId in~ (guids) | project Timestamp, Source = "CloudAppEvents", Where = Application, Who = AccountDisplayName, Indicator = iff(isnotempty(OAuthAppId), OAuthAppId, ObjectId), Detail = ActionType),\n'
        '  (DeviceRegistryEvents | where Timestamp > ago(30d) | where RegistryKey has_any (guids) | project Timestamp, Source = "DeviceRegistryEvents", Where = DeviceName, Who = InitiatingProcessAccountName, Indicator = RegistryKey, Detail = strcat(ActionType, " ", InitiatingProcessFileName))'
    ),
    ('SWEEP_GUID_1', 'sentinel'): (
        'let guids = dynamic(["4f7e9c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b"]);\n'
        'union\n'
        '  (SigninLogs | where TimeGenerated > ago(30d) | where AppId in~ (guids) or ResourceIdentity in~ (guids) or ResourceTenantId in~ (guids) or HomeTenantId in~ (guids) | project Timestamp = TimeGenerated, Source = "SigninLogs", Where = AppDisplayName, Who = UserPrincipalName, Indicator = AppId, Detail = strcat(ResultType, " ", ResourceDisplayName)),\n'
        '  (AADNonInteractiveUserSignInLogs | where TimeGenerated > ago(30d) | where AppId in~ (guids) or ResourceIdentity in~ (guids) or ResourceTenantId in~ (guids) or HomeTenantId in~ (guids) | project Timestamp = TimeGenerated, Source = "AADNonInteractiveUserSignInLogs", Where = AppDisplayName, Who = UserPrincipalName, Indicator = AppId, Detail = strcat(ResultType, " ", ResourceDisplayName)),\n'
        '  (CloudAppEvents | where Timestamp > ago(30d) | where OAuthAppId in~ (guids) or ObjectId in~ (guids) | project Timestamp, Source = "CloudAppEvents", Where = Application, Who = AccountDisplayName, Indicator = iff(isnotempty(OAuthAppId), OAuthAppId, ObjectId), Detail = ActionType),\n'
        '  (DeviceRegistryEvents | where Timestamp > ago(30d) | where RegistryKey has_any (guids) | project Timestamp, Source = "DeviceRegistryEvents", Where = DeviceName, Who = InitiatingProcessAccountName, Indicator = RegistryKey, Detail = strcat(ActionType, " ", InitiatingProcessFileName))'
    ),
    ('SWEEP_PACKAGE_1', 'spl'): (
        '| tstats `huntfeed_summariesonly` count min(_time) as firstTime max(_time) as lastTime from datamodel=Web.Web where Web.url IN ("*com.evil.banker*") by Web.src Web.user Web.url Web.http_user_agent\n'
        '| `drop_dm_object_name(Web)`'
    ),
    ('SWEEP_PACKAGE_1', 'kql'): (
        'let packages = dynamic(["com.evil.banker"]);\n'
        'union\n'
        '  (DeviceTvmSoftwareInventory | where SoftwareName in~ (packages) | project Timestamp = now(), Source = "DeviceTvmSoftwareInventory", Where = DeviceName, Indicator = SoftwareName, Detail = strcat(OSPlatform, " ", SoftwareVersion)),\n'
        '  (UrlClickEvents | where Timestamp > ago(30d) | where Url has_any (packages) | project Timestamp, Source = "UrlClickEvents", Where = AccountUpn, Indicator = Url, Detail = ActionType),\n'
        '  (EmailUrlInfo | where Timestamp > ago(30d) | where Url has_any (packages) | project Timestamp, Source = "EmailUrlInfo", Where = NetworkMessageId, Indicator = Url, Detail = UrlLocation),\n'
        '  (DeviceNetworkEvents | where Timestamp > ago(30d) | where RemoteUrl has_any (packages) | project Timestamp, Source = "DeviceNetworkEvents", Where = DeviceName, Indicator = RemoteUrl, Detail = InitiatingProcessFileName)'
    ),
    ('SWEEP_PACKAGE_1', 'sentinel'): (
        'let packages = dynamic(["com.evil.banker"]);\n'
        'union\n'
        '  (DeviceTvmSoftwareInventory | where SoftwareName in~ (packages) | project Timestamp = now(), Source = "DeviceTvmSoftwareInventory", Where = DeviceName, Indicator = SoftwareName, Detail = strcat(OSPlatform, " ", SoftwareVersion)),\n'
        '  (UrlClickEvents | where Timestamp > ago(30d) | where Url has_any (packages) | project Timestamp, Source = "UrlClickEvents", Where = AccountUpn, Indicator = Url, Detail = ActionType),\n'
        '  (EmailUrlInfo | where Timestamp > ago(30d) | where Url has_any (packages) | project Timestamp, Source = "EmailUrlInfo", Where = NetworkMessageId, Indicator = Url, Detail = UrlLocation),\n'
        '  (DeviceNetworkEvents | where Timestamp > ago(30d) | where RemoteUrl has_any (packages) | project Timestamp, Source = "DeviceNetworkEvents", Where = DeviceName, Indicator = RemoteUrl, Detail = InitiatingProcessFileName)'
    ),
}


@pytest.fixture(scope="module")
def sweeps() -> dict[str, dict[str, str]]:
    hunts = build_sweeps((ind(IndicatorType.GUID, GUID), ind(IndicatorType.PACKAGE, "com.evil.banker")))
    return {h.use_case: dict(h.queries) for h in hunts}


@pytest.mark.parametrize(("sweep", "dialect"), sorted(EXPECTED))
def test_id_sweep_exact_query(sweeps: dict[str, dict[str, str]], sweep: str, dialect: str) -> None:
    assert sweeps[sweep][dialect] == EXPECTED[(sweep, dialect)]


@pytest.mark.parametrize(
    ("indicator", "swept"),
    [
        (ind(IndicatorType.GUID, GUID), "SWEEP_GUID_1"),
        (ind(IndicatorType.GUID, GUID, Fidelity.LOW), None),  # mentioned in prose or inside a URL
        (ind(IndicatorType.PACKAGE, "com.evil.banker"), "SWEEP_PACKAGE_1"),
        (ind(IndicatorType.PACKAGE, "com.evil.banker", Fidelity.LOW), None),
    ],
)
def test_only_listed_ids_are_swept(indicator: Indicator, swept: str | None) -> None:
    assert [h.use_case for h in build_sweeps((indicator,))] == ([swept] if swept else [])


def test_id_sweep_titles_and_phases() -> None:
    hunts = build_sweeps((ind(IndicatorType.GUID, GUID), ind(IndicatorType.GUID, GUID.upper()), ind(IndicatorType.PACKAGE, "com.a.b")))
    assert [(h.title, h.phase) for h in hunts] == [
        ("IOC sweep: 1 application, tenant or class id", "installation"),  # the upper-case copy is the same id
        ("IOC sweep: 1 mobile package id", "delivery"),
    ]
