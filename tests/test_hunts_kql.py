"""Every KQL the library and the sweeps can produce passes Microsoft's Kusto.Language analyser, and
hostile indicator values never change a query's structure (KQL via Kusto's parser, SPL via our tokenizer)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huntfeed.errors import QueryError
from huntfeed.hunts import HuntLibrary, build_sweeps, sweeps_ids
from huntfeed.hunts import sweeps as sw
from huntfeed.hunts.escape import kql_quote, spl_quote
from huntfeed.hunts.lint import lint_library
from huntfeed.hunts.spl_lint import lint_spl, shape
from huntfeed.hunts.validate import KustoChecker, defender_schema, kusto_available, sentinel_schema
from huntfeed.model import Fidelity, Indicator, IndicatorType

pytestmark = pytest.mark.skipif(
    not kusto_available(), reason="needs node and tests/kql/node_modules (cd tests/kql && npm ci)"
)


@pytest.fixture(scope="module")
def checker() -> Iterator[KustoChecker]:
    with KustoChecker(defender_schema()) as kc:
        yield kc


@pytest.fixture(scope="module")
def lib() -> HuntLibrary:
    # The opt-in audit pack is linted with the library: a user who enables it gets the same checks.
    return HuntLibrary.load(imports=Path("/nonexistent/none.json"), packs=("audit",))


def ind(t: IndicatorType, v: str) -> Indicator:
    return Indicator(type=t, value=v, raw=v, start=0, end=len(v), fidelity=Fidelity.HIGH)


def test_whole_library_lints_clean_with_kusto(lib: HuntLibrary, checker: KustoChecker) -> None:
    # Every use case converts to every target, its SPL passes our lint, and its Defender KQL and
    # Sentinel KQL pass Kusto.Language against the Defender (and ASIM) schema with zero errors.
    try:
        problems = lint_library(lib, checker)
    finally:
        checker.set_schema(defender_schema())
    assert [str(p) for p in problems] == []
    assert all({"spl_raw", "kql", "sentinel", "sigma"} <= set(lib.queries(uc)) for uc in lib.usecases)
    # CIM has no data model for these events (Security-log details, Sysmon process access, pipes, image
    # loads, script blocks, SQL Server's audit; the OAuth flow of a sign-in): their Splunk hunt is the
    # raw-event SPL. Any other use case
    # must have a CIM query (service installs read Endpoint.Services, account creation Change).
    assert sorted(uc.id for uc in lib.usecases if "spl" not in lib.queries(uc)) == [
        "UC_AD_ACCOUNT_ATTRIBUTE_ABUSE",
        "UC_AD_PERMISSION_OR_TRUST_CHANGE",
        "UC_BITS_JOB_CLIENT_LOG",
        "UC_CREDENTIAL_DLL_LOADED_BY_SCRIPT_HOST",
        "UC_DCSYNC_REPLICATION_REQUEST",
        "UC_DEVICE_CODE_PHISHING_SIGNIN",
        "UC_EVENT_LOG_CLEARED_BY_SERVICE_ACCOUNT",
        "UC_EVENT_LOG_CLEARED_EVENTS",
        "UC_KERBEROS_RC4_SERVICE_TICKET",
        "UC_LSASS_MEMORY_ACCESS",
        "UC_MSSQL_SERVER_ABUSE",
        "UC_NATIVE_API_SCRIPT_DECLARATIONS",
        "UC_PRIVILEGED_GROUP_MEMBER_ADDED",
        "UC_PS_SCRIPT_AD_DISCOVERY",
        "UC_PS_SCRIPT_CREDENTIAL_DUMPING",
        "UC_PS_SCRIPT_DEFENSE_IMPAIRMENT",
        "UC_PS_SCRIPT_RECOVERY_INHIBIT",
        "UC_REMOTE_SERVICE_CONTROL_PIPE",
        "UC_SCHEDULED_TASK_SECURITY_LOG",
        "UC_SPECIAL_GROUP_LOGON",
        "UC_TIMESTOMP_OR_CLOCK_CHANGE",
        "UC_TOOL_NAMED_PIPES",
    ]


# The hand-written Defender forms of hunts over logs Defender XDR does not collect, each analysed on its
# own against the Defender schema, and shown to fail when a column is wrong (the check can fail).
@pytest.mark.parametrize(
    ("usecase", "table"),
    [("UC_AD_PERMISSION_OR_TRUST_CHANGE", "IdentityDirectoryEvents"),
     ("UC_EVENT_LOG_CLEARED_BY_SERVICE_ACCOUNT", "DeviceEvents"),
     ("UC_MSSQL_SERVER_ABUSE", "DeviceProcessEvents")],
)
def test_defender_forms_of_non_xdr_hunts_analyse_clean(
    lib: HuntLibrary, checker: KustoChecker, usecase: str, table: str
) -> None:
    kql = lib.queries(lib.get(usecase))["kql"]
    assert table in kql.split("|", 1)[0]
    assert checker.check(kql, qid=usecase).errors == (), kql
    broken = kql.replace("AdditionalFields", "AdditionalField").replace("InitiatingProcessAccountSid", "AccountSidX")
    broken = broken.replace("ProcessCommandLine", "ProcessCmdLine")
    assert broken != kql and checker.check(broken, qid=usecase + "-broken").errors


def test_every_sweep_kind_analyses_clean(checker: KustoChecker) -> None:
    inds = (
        ind(IndicatorType.SHA256, "e" * 64),
        ind(IndicatorType.SHA1, "f" * 40),
        ind(IndicatorType.MD5, "0" * 32),
        ind(IndicatorType.IPV4, "203.0.113.5"),
        ind(IndicatorType.IPV6, "2001:db8::1"),
        ind(IndicatorType.DOMAIN, "bad.example"),
        ind(IndicatorType.URL, 'https://bad.example/x?y=1&z="2"'),
        ind(IndicatorType.EMAIL, "a@bad.example"),
        ind(IndicatorType.GUID, "4f7e9c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b"),
        ind(IndicatorType.PACKAGE, "com.bad.banker"),
        *(ind(IndicatorType.SHA256, f"{i:064x}") for i in range(130)),  # two batches
    )
    hunts = build_sweeps(inds)
    assert {h.use_case for h in hunts} >= {
        "SWEEP_HASH_1",
        "SWEEP_HASH_2",
        "SWEEP_IP_1",
        "SWEEP_DOMAIN_1",
        "SWEEP_URL_1",
        "SWEEP_EMAIL_1",
        "SWEEP_GUID_1",
        "SWEEP_PACKAGE_1",
    }
    for h in hunts:
        assert checker.check(h.queries["kql"], qid=h.use_case).errors == (), h.queries["kql"]
        assert lint_spl(h.queries["spl"]) == [], h.use_case
    # The IP sweep has a Sentinel form of its own (Entra ID sign-in tables); it must analyse against the
    # Sentinel schema, and name the sign-in and cloud-app tables in both dialects.
    # So has the GUID sweep (application, resource and tenant ids in the sign-in tables).
    ip = next(h for h in hunts if h.use_case == "SWEEP_IP_1")
    guid = next(h for h in hunts if h.use_case == "SWEEP_GUID_1")
    try:
        checker.set_schema(sentinel_schema())
        assert checker.check(ip.queries["sentinel"], qid="ip-sentinel").errors == (), ip.queries["sentinel"]
        assert checker.check(guid.queries["sentinel"], qid="guid-sentinel").errors == (), guid.queries["sentinel"]
    finally:
        checker.set_schema(defender_schema())
    assert [
        t for t in ("SigninLogs", "AADNonInteractiveUserSignInLogs", "CloudAppEvents") if t in ip.queries["sentinel"]
    ] == [
        "SigninLogs",
        "AADNonInteractiveUserSignInLogs",
        "CloudAppEvents",
    ]
    assert "AADSignInEventsBeta" in ip.queries["kql"] and "CloudAppEvents" in ip.queries["kql"]
    assert "datamodel=Authentication.Authentication where Authentication.src IN" in ip.queries["spl"]


def test_checker_reports_unknown_columns_and_tables(checker: KustoChecker) -> None:
    assert checker.check("DeviceProcessEvents | where NoSuchColumn == 1").errors
    assert checker.check("NoSuchTable | take 1").errors
    assert checker.check('DeviceProcessEvents | where FileName =~ "x"').ok


HOSTILE = st.lists(
    st.sampled_from(
        [
            '"',
            "'",
            "\\",
            "|",
            "\n",
            "\r",
            '";',
            "| delete",
            "//",
            "/*",
            "*/",
            "[",
            "]",
            "(",
            ")",
            "a",
            " ",
            "x.y",
            "\t",
            "$",
            "\x00",
            "\u2028",
            "é",
            '\\"',
            '\\"',
            "`",
            "*",
            "=",
            "%",
            "'\"",
        ]
    ),
    min_size=1,
    max_size=12,
).map("".join) | st.text(min_size=1, max_size=20)

BUILDERS = {
    "hash": lambda v: sw._hash_queries([v], {v: IndicatorType.SHA256}),
    "ip": lambda v: sw._ip_queries([v]),
    "domain": lambda v: sw._domain_queries([v]),
    "url": lambda v: sw._url_queries([v]),
    "email": lambda v: sw._email_queries([v]),
    "guid": lambda v: sweeps_ids.guid_queries([v], sw._tstats),
    "package": lambda v: sweeps_ids.package_queries([v], sw._tstats),
}


_BENIGN: dict[str, tuple[list[str], tuple[str, ...]]] = {}


def _benign(checker: KustoChecker, name: str) -> tuple[list[str], tuple[str, ...]]:
    if name not in _BENIGN:
        spl, kql = BUILDERS[name]("benign")
        _BENIGN[name] = (shape(spl), checker.check(kql, qid=name, shape=True).shape)
    return _BENIGN[name]


def _safe(value: str) -> bool:
    try:
        spl_quote(value)
        kql_quote(value)
    except QueryError:
        return False
    return True


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=HOSTILE)
def test_hostile_values_never_change_query_structure(checker: KustoChecker, value: str) -> None:
    if not _safe(value):
        # Values no dialect can hold safely (backtick, wildcard) are left out of the sweep, and said so.
        hunts = build_sweeps((ind(IndicatorType.DOMAIN, value), ind(IndicatorType.DOMAIN, "ok.example")))
        assert all(value.lower() not in h.queries["kql"] for h in hunts if value.strip())
        assert any("left out" in r for h in hunts for r in h.reasons) or not value.strip()
        return
    for name, build in BUILDERS.items():
        benign_spl_shape, benign_kql_shape = _benign(checker, name)
        spl, kql = build(value)
        assert shape(spl) == benign_spl_shape, (name, value)
        assert lint_spl(spl) == [], (name, value)
        hostile = checker.check(kql, qid=name, shape=True)
        assert hostile.shape == benign_kql_shape, (name, value)
        assert hostile.errors == (), (name, value, hostile.errors)
