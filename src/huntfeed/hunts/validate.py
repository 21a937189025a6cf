"""KQL validation through Microsoft's Kusto.Language (run in Node), and SPL through our lint.

One Node process answers any number of queries (one JSON line each), so a test suite or
``huntfeed hunts validate`` pays Node's start-up once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from huntfeed.errors import QueryError
from huntfeed.paths import data_dir, package_data

_ASIM_TYPES = {
    "boolean": "bool",
    "integer": "int",
    "long": "long",
    "datetime": "datetime",
    "date/time": "datetime",
}


def defender_schema() -> dict[str, dict[str, str]]:
    """Defender XDR tables and column types, as pySigma-backend-kusto bundles them."""
    from sigma.pipelines.microsoftxdr.tables import MICROSOFT_XDR_TABLES

    return {
        t: {c: ("bool" if v["data_type"] == "boolean" else v["data_type"]) for c, v in cols.items()}
        for t, cols in MICROSOFT_XDR_TABLES.items()
    }


# Log Analytics' Windows event tables (the columns huntfeed's Sentinel queries use, as Microsoft documents
# them): SecurityEvent for the Security log, Event for System, PowerShell and other channels.
_SECURITY_EVENT_COLUMNS = (
    "Computer Account AccountType Activity EventData SubjectUserName SubjectDomainName SubjectUserSid "
    "TargetUserName TargetDomainName TargetSid TargetAccount MemberName MemberSid ServiceName ServiceFileName "
    "TicketEncryptionType Status SubStatus IpAddress IpPort LogonType LogonProcessName ShareName "
    "RelativeTargetName Properties ObjectName ObjectType AccessMask UserAccountControl ServicePrincipalNames "
    "AllowedToDelegateTo OldTargetUserName NewTargetUserName SidList AuditPolicyChanges SubcategoryGuid "
    "WorkstationName NewProcessName CommandLine ParentProcessName"
)
_EVENT_COLUMNS = "Computer EventLog Source EventLevelName UserName RenderedDescription EventData ParameterXml"
# Entra ID sign-in tables (interactive and non-interactive share the layout), as Microsoft documents them.
_SIGNIN_COLUMNS = (
    "UserPrincipalName UserDisplayName UserId AppDisplayName AppId IPAddress ResultType ResultDescription "
    "ClientAppUsed UserAgent AuthenticationProtocol AuthenticationRequirement ConditionalAccessStatus "
    "Location ResourceDisplayName ResourceIdentity RiskLevelDuringSignIn RiskState CorrelationId "
    "UniqueTokenIdentifier OriginalRequestId TokenIssuerType HomeTenantId ResourceTenantId"
)
_SIGNIN_DYNAMIC = "DeviceDetail LocationDetails Status NetworkLocationDetails"


def _log_analytics_tables() -> dict[str, dict[str, str]]:
    security = {c: "string" for c in _SECURITY_EVENT_COLUMNS.split()}
    event = {c: "string" for c in _EVENT_COLUMNS.split()}
    for table in (security, event):
        table.update({"TimeGenerated": "datetime", "EventID": "int"})
    signin = {c: "string" for c in _SIGNIN_COLUMNS.split()} | {c: "dynamic" for c in _SIGNIN_DYNAMIC.split()}
    signin.update({"TimeGenerated": "datetime", "IsInteractive": "bool"})
    return {
        "SecurityEvent": security,
        "Event": event,
        "SigninLogs": signin,
        "AADNonInteractiveUserSignInLogs": dict(signin),
    }


def sentinel_schema() -> dict[str, dict[str, str]]:
    """Defender tables, the Windows event tables and the ASIM parsers (imProcessCreate, _Im_Dns, ...)."""
    from sigma.pipelines.sentinelasim.tables import SENTINEL_ASIM_TABLES

    schema = defender_schema() | _log_analytics_tables()
    for table, cols in SENTINEL_ASIM_TABLES.items():
        schema[table] = {c: _ASIM_TYPES.get(str(v.get("data_type", "")).lower(), "string") for c, v in cols.items()}
        schema[table].setdefault("TimeGenerated", "datetime")
    return schema


def kusto_modules() -> Path | None:
    """The node_modules folder holding @kusto/language-service-next, if one can be found."""
    candidates = [Path(p) for p in os.environ.get("HUNTFEED_KUSTO_MODULES", "").split(os.pathsep) if p]
    here = Path(__file__).resolve()
    candidates += [parent / "tests" / "kql" / "node_modules" for parent in here.parents]
    candidates += [Path.cwd() / "tests" / "kql" / "node_modules", data_dir() / "kusto" / "node_modules"]
    for c in candidates:
        if (c / "@kusto" / "language-service-next" / "Kusto.Language.Bridge.min.js").is_file():
            return c
    return None


def kusto_available() -> bool:
    """True when Node and the Kusto.Language package are both present."""
    return shutil.which("node") is not None and kusto_modules() is not None


@dataclass(frozen=True, slots=True)
class KqlResult:
    """Kusto.Language's verdict on one query."""

    id: str
    errors: tuple[str, ...]
    shape: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


class KustoChecker:
    """A running Kusto.Language analyser; use as a context manager."""

    def __init__(self, schema: dict[str, dict[str, str]] | None = None) -> None:
        modules = kusto_modules()
        node = shutil.which("node")
        if modules is None or node is None:
            raise QueryError(
                "KQL validation needs Node 20 and @kusto/language-service-next "
                "(`make kql` in the checkout, or set HUNTFEED_KUSTO_MODULES)"
            )
        env = dict(os.environ, HUNTFEED_KUSTO_MODULES=str(modules))
        self._proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [node, str(package_data("kql", "kql_check.cjs"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
        )
        self.set_schema(schema if schema is not None else defender_schema())

    def set_schema(self, schema: dict[str, dict[str, str]]) -> None:
        """Analyse the following queries against these tables and columns."""
        answer = self._ask({"tables": schema})
        if not answer.get("ok"):
            raise QueryError(f"the KQL analyser refused the schema: {answer}")

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise QueryError("the KQL analyser exited")
        answer: dict[str, Any] = json.loads(line)
        if "fatal" in answer or "error" in answer:
            raise QueryError(f"the KQL analyser failed: {answer.get('fatal') or answer.get('error')}")
        return answer

    def check(self, query: str, *, qid: str = "", shape: bool = False) -> KqlResult:
        """Parse and analyse one query."""
        answer = self._ask({"id": qid, "query": query, "shape": shape})
        errors = tuple(
            f"{d['message']} (offset {d['start']})" for d in answer["diagnostics"] if d["severity"] == "Error"
        )
        return KqlResult(qid, errors, tuple(answer.get("shape", ())))

    def check_all(self, queries: Iterable[tuple[str, str]]) -> list[KqlResult]:
        """Check (id, query) pairs, all through this one process."""
        return [self.check(q, qid=i) for i, q in queries]

    def close(self) -> None:
        """Stop the Node process."""
        if self._proc.stdin:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()

    def __enter__(self) -> KustoChecker:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def guess_dialect(query: str) -> str:
    """'spl' or 'kql', from the first meaningful token."""
    head = query.lstrip()
    if head.startswith(("|", "search ", "index=", "`")) or "datamodel=" in head:
        return "spl"
    return "kql"
