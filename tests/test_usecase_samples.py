"""Use-case sample events evaluated with a real Sigma evaluator (pySigma's SQLite backend)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from huntfeed.cli import cli
from huntfeed.errors import DataFileError
from huntfeed.hunts import HuntLibrary
from huntfeed.hunts.sampletest import matching, run_samples
from huntfeed.hunts.usecase import load_usecase, parse_usecase
from huntfeed.hunts.yamlfile import load_yaml_text

RULE = r"""title: t
logsource: {category: process_access, product: windows}
detection:
  sel:
    TargetImage|endswith: '\lsass.exe'
    GrantedAccess: ['0x1010', '0x1fffff']
  filter:
    SourceImage|endswith: '\svchost.exe'
  condition: sel and not filter
level: high
"""


@pytest.mark.parametrize(
    ("event", "fires"),
    [
        ({"TargetImage": r"C:\Windows\System32\LSASS.EXE", "GrantedAccess": "0x1010", "SourceImage": "x.exe"}, True),
        ({"TargetImage": r"C:\Windows\System32\lsass.exe", "GrantedAccess": "0x1000", "SourceImage": "x.exe"}, False),
        ({"TargetImage": r"C:\Windows\System32\lsass.exe", "GrantedAccess": "0x1fffff"}, True),
        (
            {
                "TargetImage": r"C:\Windows\System32\lsass.exe",
                "GrantedAccess": "0x1fffff",
                "SourceImage": r"C:\w\svchost.exe",
            },
            False,
        ),
        ({"TargetImage": r"C:\Windows\System32\lsass.exe.bak", "GrantedAccess": "0x1010"}, False),
    ],
)
def test_evaluator_follows_sigma_semantics(event: dict[str, str], fires: bool) -> None:
    # Case-insensitive endswith, exact list values, a missing field fails a filter (so the event fires).
    assert matching(RULE, [event]) == ({0} if fires else set())


def test_regex_and_integer_values() -> None:
    rule = "title: t\nlogsource: {product: windows}\ndetection:\n  sel:\n    EventID: 4769\n    ServiceName|re: '^[a-z]+$'\n  condition: sel\nlevel: low\n"
    events = [
        {"EventID": 4769, "ServiceName": "svcsql"},
        {"EventID": 4769, "ServiceName": "DC01$"},
        {"EventID": 4624, "ServiceName": "x"},
    ]
    assert matching(rule, events) == {0}


def _case(tmp_path: Path, samples: str) -> Path:
    path = tmp_path / "uc.yaml"
    rule = "\n".join("  " + line for line in RULE.splitlines())
    path.write_text(
        "id: UC_TEST_SAMPLE\ntitle: t\ndescription: d\nphase: actions-on-objectives\nconfidence: High\n"
        "techniques: [T1003.001]\ntriggers: {techniques: [T1003.001]}\n"
        f"sigma: |\n{rule}\n{samples}",
        encoding="utf-8",
    )
    return path


def test_a_sample_that_does_not_fire_is_reported(tmp_path: Path) -> None:
    path = _case(
        tmp_path,
        "samples:\n  match:\n    - {TargetImage: 'C:\\x\\lsass.exe', GrantedAccess: '0x1000'}\n"
        "  nomatch:\n    - {TargetImage: 'C:\\x\\lsass.exe', GrantedAccess: '0x1010'}\n",
    )
    res = run_samples(load_usecase(path))
    assert not res.ok
    assert res.problems == (
        r"match sample 1 did not fire: {'TargetImage': 'C:\\x\\lsass.exe', 'GrantedAccess': '0x1000'}",
        r"nomatch sample 1 fired: {'TargetImage': 'C:\\x\\lsass.exe', 'GrantedAccess': '0x1010'}",
    )


def test_missing_samples_fail_the_test(tmp_path: Path) -> None:
    res = run_samples(load_usecase(_case(tmp_path, "")))
    assert res.problems == ("needs at least one 'match' and one 'nomatch' sample event",)


@pytest.mark.parametrize(
    "samples",
    [
        "samples: []\n",
        "samples:\n  match: []\n  nomatch: [{a: 1}]\n",
        "samples:\n  match: [{a: 1}]\n  nomatch: [{a: [1, 2]}]\n",
        "samples:\n  match: [{a: 1}]\n  nomatch: [{a: 1}]\n  extra: []\n",
    ],
)
def test_malformed_samples_are_a_data_file_error(tmp_path: Path, samples: str) -> None:
    with pytest.raises(DataFileError):
        load_usecase(_case(tmp_path, samples))


def test_every_bundled_use_case_passes_its_samples() -> None:
    # The library's own contract: each rule fires on its positive events and on none of its look-alikes.
    lib = HuntLibrary.load(packs=("audit",))  # the opt-in pack's samples too
    assert len(lib.usecases) >= 80
    failures = {uc.id: run_samples(uc).problems for uc in lib.usecases if not run_samples(uc).ok}
    assert failures == {}


def test_cli_usecases_test(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["usecases", "test", "UC_LSASS_MEMORY_ACCESS"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.splitlines() == [
        "ok    UC_LSASS_MEMORY_ACCESS: 4 matched, 4 look-alikes quiet",
        "1 of 1 use cases pass their samples",
    ]
    _case(
        tmp_path,
        "samples:\n  match: [{TargetImage: 'C:\\x\\lsass.exe', GrantedAccess: '0x1000'}]\n  nomatch: [{GrantedAccess: '0x1'}]\n",
    )
    bad = runner.invoke(cli, ["usecases", "test", "--path", str(tmp_path)])
    assert bad.exit_code == 1
    assert "FAIL  UC_TEST_SAMPLE" in bad.output and "0 of 1 use cases pass their samples" in bad.output


def test_parse_usecase_keeps_integer_sample_values() -> None:
    doc = load_yaml_text(
        "id: UC_X_SAMPLE\ntitle: t\ndescription: d\nphase: installation\nconfidence: Low\ntechniques: [T1098]\n"
        "triggers: {techniques: [T1098]}\nsigma: x\nsamples: {match: [{EventID: 4728}], nomatch: [{EventID: 4729}]}\n",
        "mem",
    )
    uc = parse_usecase(doc, "mem")
    assert uc.samples.match == ({"EventID": 4728},)
    assert uc.samples.nomatch == ({"EventID": 4729},)
