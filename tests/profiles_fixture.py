"""A realistic, fixed profile used by the renderer golden tests (and anyone needing one)."""

from __future__ import annotations

from datetime import UTC, datetime

from huntfeed.model import (
    ActorHit,
    Change,
    Evidence,
    Fidelity,
    Hunt,
    Indicator,
    IndicatorType,
    Inference,
    Profile,
    Score,
    Severity,
    TechniqueHit,
    TextSource,
)

SPL = """| tstats summariesonly=true count min(_time) as firstTime max(_time) as lastTime
    from datamodel=Endpoint.Processes
    where Processes.parent_process_name IN ("tallysetup.exe") AND Processes.process_name IN ("powershell.exe","cmd.exe")
    by Processes.dest, Processes.user, Processes.parent_process_name, Processes.process_name, Processes.process
| `drop_dm_object_name(Processes)`"""

KQL = """DeviceProcessEvents
| where Timestamp > ago(7d)
| where InitiatingProcessFileName =~ "tallysetup.exe"
| where FileName in~ ("powershell.exe", "cmd.exe")
| project Timestamp, DeviceName, AccountName, InitiatingProcessFileName, FileName, ProcessCommandLine"""


def sample_profile(version: int = 2) -> Profile:
    text_ev = Evidence("The installer launched PowerShell with an encoded command.", 120, 178)
    return Profile(
        id="3f2a9c0d1e4b5a67",
        version=version,
        title="Trojanised TallyWorks installer drops `loader` <script>alert(1)</script>",
        source="Example Research",
        published=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        url="https://research.example/posts/tallyworks",
        summary="Attackers replaced the TallyWorks installer on the vendor's site with a build that runs *PowerShell*.",
        text_source=TextSource.FULL_ARTICLE,
        score=Score(
            Severity.HIGH,
            (
                "2 use cases fired: UC_SUPPLY_CHAIN_INSTALLER_CHILD, UC_PS_ENCODED",
                "3 high-fidelity indicators (1 domain, 1 sha256, 1 url)",
                "source reliability A",
            ),
            7.5,
        ),
        indicators=(
            Indicator(IndicatorType.DOMAIN, "tally-update.example", "tally-update[.]example", 300, 322, True,
                      Fidelity.HIGH, "defanged"),
            Indicator(IndicatorType.URL, "https://tally-update.example/gate.php?id=1", "hxxps://tally-update[.]example/gate.php?id=1",
                      330, 374, True, Fidelity.HIGH, "in-ioc-section"),
            Indicator(IndicatorType.SHA256, "3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea",
                      "3F79BB7B435B05321651DAEFD374CDC681DC06FAA65E374E38337B88CA046DEA", 380, 444, False,
                      Fidelity.HIGH, "in-ioc-section"),
            Indicator(IndicatorType.DOMAIN, "attack.mitre.org", "attack.mitre.org", 500, 516, False, Fidelity.LOW,
                      "reference-link"),
        ),
        inference=Inference(
            observed=(
                TechniqueHit("T1195.002", "Compromise Software Supply Chain", ("initial-access",), 0.91,
                             ("phrase-rule", "classifier"), (Evidence("replaced the TallyWorks installer", 10, 44),)),
                TechniqueHit("T1059.001", "PowerShell", ("execution",), 0.97, ("explicit-id",), (text_ev,)),
            ),
            associated=(TechniqueHit("T1105", "Ingress Tool Transfer", ("command-and-control",), 0.0,
                                     ("associated:Cobalt Strike",)),),
            actors=(ActorHit("tool--aafea02e-ece5-4bb2-91a6-3bf8c7f38a39", "Cobalt Strike", "malware", "Cobalt Strike",
                             "S0154"),),
            kill_chain_phases=("delivery", "exploitation"),
            attack_version="18.1",
        ),
        hunts=(
            Hunt("UC_SUPPLY_CHAIN_INSTALLER_CHILD", "Installer of a trusted vendor launching script hosts", "delivery",
                 "High", {"spl": SPL, "kql": KQL, "sigma": "title: Installer child\nlogsource:\n  category: process_creation\n"},
                 "usecase", ("T1195.002",), ("technique T1195.002 observed",), "Installers spawning shells.",
                 "Legitimate installers that run PowerShell for set-up."),
            Hunt("SWEEP_DOMAIN_1", "IOC sweep: 1 domain", "command-and-control", "High",
                 {"spl": '| tstats count from datamodel=Network_Resolution.DNS where DNS.query IN ("tally-update.example") by DNS.src',
                  "kql": 'DeviceNetworkEvents\n| where RemoteUrl has_any ("tally-update.example")'},
                 "sweep"),
        ),
        content_hash="c" * 64,
        analysed_at=datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
        changes=(Change("severity", "MED -> HIGH"), Change("indicator-added", "domain tally-update.example"))
        if version > 1 else (),
        feed_url="https://research.example/feed.xml",
    )
