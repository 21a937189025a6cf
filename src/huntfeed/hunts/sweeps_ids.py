"""IOC sweeps for identifiers: GUIDs (application, tenant and COM class ids) and mobile package ids.

A GUID an author lists is, in practice, one of three things: the application id of a malicious OAuth
app or service principal (Entra ID sign-ins and cloud-app activity hold it), a tenant id (sign-ins
name the resource tenant), or a COM class id a hijack writes under HKCR\\CLSID (registry events). A
package id (com.example.app) is a mobile app: managed-device inventories list it, and the store page
or APK link that delivered it carries it in the URL that e-mail and click logs record.

Values are quoted by the dialect (escape.py) like every other sweep; sweeps.py batches them.
"""

from __future__ import annotations

from collections.abc import Callable

from huntfeed.hunts.escape import kql_quote, spl_quote
from huntfeed.hunts.window import LOOKBACK

Tstats = Callable[[str, str, str], str]


def _dynamic(name: str, values: list[str]) -> str:
    return f"let {name} = dynamic([" + ", ".join(kql_quote(v) for v in values) + "]);"


def _spl_contains(field: str, values: list[str]) -> str:
    return f"{field} IN (" + ", ".join(f'"*{spl_quote(v)[1:-1]}*"' for v in values) + ")"


def _spl_exact(field: str, values: list[str]) -> str:
    return f"{field} IN (" + ", ".join(spl_quote(v) for v in values) + ")"


# Defender XDR parts of the GUID sweep, shared with the Sentinel form (its connector streams them).
_GUID_CLOUD_APPS = (
    f"  (CloudAppEvents | where Timestamp > ago({LOOKBACK}) | where OAuthAppId in~ (guids) or ObjectId in~ (guids)"
    ' | project Timestamp, Source = "CloudAppEvents", Where = Application, Who = AccountDisplayName,'
    " Indicator = iff(isnotempty(OAuthAppId), OAuthAppId, ObjectId), Detail = ActionType),"
)
_GUID_REGISTRY = (
    f"  (DeviceRegistryEvents | where Timestamp > ago({LOOKBACK}) | where RegistryKey has_any (guids)"
    ' | project Timestamp, Source = "DeviceRegistryEvents", Where = DeviceName, Who = InitiatingProcessAccountName,'
    ' Indicator = RegistryKey, Detail = strcat(ActionType, " ", InitiatingProcessFileName))'
)


def guid_queries(values: list[str], tstats: Tstats) -> tuple[str, str]:
    """SPL (COM class keys in Endpoint.Registry, app or object ids in Change) and Defender KQL."""
    spl = (
        tstats(
            "Endpoint.Registry",
            _spl_contains("Registry.registry_path", values),
            "Registry.dest Registry.user Registry.registry_path Registry.registry_value_data Registry.process_guid",
        )
        + "\n| append ["
        + tstats(
            "Change.All_Changes",
            _spl_exact("All_Changes.object_id", values),
            "All_Changes.src_user All_Changes.object All_Changes.object_id All_Changes.action All_Changes.command",
        )
        + "]"
    )
    kql = "\n".join(
        [
            _dynamic("guids", values),
            "union",
            f"  (AADSignInEventsBeta | where Timestamp > ago({LOOKBACK})"
            " | where ApplicationId in~ (guids) or ResourceId in~ (guids) or ResourceTenantId in~ (guids)"
            ' | project Timestamp, Source = "AADSignInEventsBeta", Where = Application, Who = AccountUpn,'
            ' Indicator = ApplicationId, Detail = strcat(ErrorCode, " ", ResourceDisplayName)),',
            f"  (AADSpnSignInEventsBeta | where Timestamp > ago({LOOKBACK})"
            " | where ApplicationId in~ (guids) or ServicePrincipalId in~ (guids) or ResourceTenantId in~ (guids)"
            ' | project Timestamp, Source = "AADSpnSignInEventsBeta", Where = Application, Who = ServicePrincipalName,'
            ' Indicator = ApplicationId, Detail = strcat(ErrorCode, " ", ResourceDisplayName)),',
            _GUID_CLOUD_APPS,
            _GUID_REGISTRY,
        ]
    )
    return spl, kql


def guid_sentinel(values: list[str]) -> str:
    """Entra ID sign-ins where Sentinel keeps them (app, resource and tenant ids), then the Defender tables."""
    signins = [
        f"  ({table} | where TimeGenerated > ago({LOOKBACK})"
        " | where AppId in~ (guids) or ResourceIdentity in~ (guids) or ResourceTenantId in~ (guids)"
        " or HomeTenantId in~ (guids)"
        f' | project Timestamp = TimeGenerated, Source = "{table}", Where = AppDisplayName, Who = UserPrincipalName,'
        ' Indicator = AppId, Detail = strcat(ResultType, " ", ResourceDisplayName)),'
        for table in ("SigninLogs", "AADNonInteractiveUserSignInLogs")
    ]
    return "\n".join([_dynamic("guids", values), "union", *signins, _GUID_CLOUD_APPS, _GUID_REGISTRY])


def package_queries(values: list[str], tstats: Tstats) -> tuple[str, str]:
    """SPL (store and APK links in Web.url) and Defender KQL (onboarded devices' software, links)."""
    spl = tstats("Web.Web", _spl_contains("Web.url", values), "Web.src Web.user Web.url Web.http_user_agent")
    # Intune's app inventory is not in Advanced Hunting; Defender's software inventory covers onboarded
    # (including mobile) devices, and the links that delivered the app carry its id.
    kql = "\n".join(
        [
            _dynamic("packages", values),
            "union",
            "  (DeviceTvmSoftwareInventory | where SoftwareName in~ (packages)"
            ' | project Timestamp = now(), Source = "DeviceTvmSoftwareInventory", Where = DeviceName,'
            ' Indicator = SoftwareName, Detail = strcat(OSPlatform, " ", SoftwareVersion)),',
            f"  (UrlClickEvents | where Timestamp > ago({LOOKBACK}) | where Url has_any (packages)"
            ' | project Timestamp, Source = "UrlClickEvents", Where = AccountUpn, Indicator = Url,'
            " Detail = ActionType),",
            f"  (EmailUrlInfo | where Timestamp > ago({LOOKBACK}) | where Url has_any (packages)"
            ' | project Timestamp, Source = "EmailUrlInfo", Where = NetworkMessageId, Indicator = Url,'
            " Detail = UrlLocation),",
            f"  (DeviceNetworkEvents | where Timestamp > ago({LOOKBACK}) | where RemoteUrl has_any (packages)"
            ' | project Timestamp, Source = "DeviceNetworkEvents", Where = DeviceName, Indicator = RemoteUrl,'
            " Detail = InitiatingProcessFileName)",
        ]
    )
    return spl, kql
