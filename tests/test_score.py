"""Severity rubric: strict loading and readable reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from huntfeed.errors import DataFileError
from huntfeed.model import Fidelity, Hunt, Indicator, IndicatorType, Inference, Severity, TechniqueHit
from huntfeed.score import load_kev, load_rubric, score


def ind(t: IndicatorType, v: str) -> Indicator:
    return Indicator(type=t, value=v, raw=v, start=0, end=len(v), fidelity=Fidelity.HIGH)


RUBRIC = load_rubric()


def run(
    text: str = "",
    inds: tuple[Indicator, ...] = (),
    techs: tuple[str, ...] = (),
    hunts: tuple[Hunt, ...] = (),
    rel: str = "B",
    kev: frozenset[str] = frozenset(),
):
    inference = Inference(observed=tuple(TechniqueHit(id=t, name=f"name {t}") for t in techs))
    return score(
        text=text,
        indicators=inds,
        inference=inference,
        hunts=hunts,
        source_reliability=rel,
        rubric=RUBRIC,
        kev=kev,
    )


def test_thin_evidence_is_low() -> None:
    s = run("A blog about secure coding.")
    assert s.severity is Severity.LOW
    assert any("No high-fidelity indicators" in r for r in s.reasons)
    assert any(r.startswith("Source reliability B (usually reliable)") for r in s.reasons)


def test_reasons_name_usecases_indicators_and_kev() -> None:
    hunt = Hunt(
        use_case="UC_LSASS_DUMP", title="LSASS dump", phase="actions-on-objectives", confidence="High"
    )
    s = run(
        "CVE-2024-3400 was actively exploited",
        (
            ind(IndicatorType.SHA256, "a" * 64),
            ind(IndicatorType.IPV4, "203.0.113.1"),
            ind(IndicatorType.IPV4, "203.0.113.2"),
        ),
        ("T1003.001",),
        (hunt,),
        "A",
        frozenset({"CVE-2024-3400"}),
    )
    text = "\n".join(s.reasons)
    assert "1 use case fired: UC_LSASS_DUMP (LSASS dump, High confidence)" in text
    assert "3 high-fidelity indicators to hunt on: 2 ipv4, 1 sha256" in text
    assert "in CISA's Known Exploited Vulnerabilities catalog: CVE-2024-3400" in text
    assert "Exploitation-in-the-wild language found: 'actively exploited'" in text
    assert "T1003.001 name T1003.001" in text
    assert s.severity is Severity.CRITICAL


def test_kev_floor_raises_to_high() -> None:
    s = run("See CVE-2023-1234.", kev=frozenset({"CVE-2023-1234"}), rel="C")
    assert s.severity is Severity.HIGH
    assert any(r.startswith("Raised to HIGH") for r in s.reasons)
    s2 = run("See CVE-2023-1234.", rel="C")
    assert s2.severity.rank < Severity.HIGH.rank
    assert any("none in CISA's KEV catalog" in r for r in s2.reasons)


def test_ransomware_language_counts() -> None:
    text = "A new ransomware strain; the ransomware drops a ransom note after the ransomware encrypts shares."
    assert any("Ransomware language found: 'ransomware'" in r for r in run(text).reasons)


def test_rubric_errors_carry_line(tmp_path: Path) -> None:
    text = Path(__file__).resolve().parents[1].joinpath("src/huntfeed/data/rubric.yaml").read_text()
    bad = tmp_path / "r.yaml"
    bad.write_text(text.replace("  technique: 0.5", "  technique: lots"))
    with pytest.raises(DataFileError) as exc:
        load_rubric(bad)
    line = next(
        n for n, text_line in enumerate(bad.read_text().splitlines(), 1) if "technique: lots" in text_line
    )
    assert exc.value.where == f"{bad}:{line}"


def test_load_kev(tmp_path: Path) -> None:
    p = tmp_path / "kev.json"
    p.write_text(json.dumps({"vulnerabilities": [{"cveID": "CVE-2021-44228"}, {"cveID": "cve-2023-4966"}]}))
    assert load_kev(p) == frozenset({"CVE-2021-44228", "CVE-2023-4966"})
    p.write_text(json.dumps({"vulnerabilities": [{"id": "x"}]}))
    with pytest.raises(DataFileError):
        load_kev(p)


def test_demo_kev_file_loads() -> None:
    from huntfeed.paths import package_data

    kev = load_kev(package_data("demo", "kev.json"))
    assert kev and all(c.startswith("CVE-") for c in kev)


def _many_signals() -> dict:  # type: ignore[type-arg]
    hunts = tuple(
        Hunt(use_case=f"UC_{n}", title=f"case {n}", phase="exploitation", confidence="High") for n in range(8)
    )
    inds = tuple(ind(t, v) for t, v in (
        (IndicatorType.SHA256, "b" * 64), (IndicatorType.MD5, "c" * 32), (IndicatorType.IPV4, "198.18.0.9"),
        (IndicatorType.DOMAIN, "bad.example.net"), (IndicatorType.URL, "https://bad.example.net/x"),
    ))
    return {"inds": inds, "techs": tuple(f"T10{n:02d}" for n in range(10)), "hunts": hunts, "rel": "A"}


def test_points_alone_stop_at_high_without_an_urgent_signal() -> None:
    s = run("A loader with many indicators and techniques.", **_many_signals())
    assert s.points >= RUBRIC.thresholds[Severity.CRITICAL]
    assert s.severity is Severity.HIGH
    assert any(r.startswith("Held at HIGH") for r in s.reasons)


def test_urgent_signal_allows_critical_and_passing_mentions_do_not_count() -> None:
    urgent = run("The wiper destroyed the disks; the wiper then rebooted every host.", **_many_signals())
    assert urgent.severity is Severity.CRITICAL
    passing = run("Unlike ransomware, this loader steals data.", **_many_signals())
    assert not any("Ransomware language" in r for r in passing.reasons)
    assert passing.severity is Severity.HIGH


def test_rubric_rejects_unknown_critical_signal(tmp_path: Path) -> None:
    from huntfeed.paths import package_data

    text = package_data("rubric.yaml").read_text().replace("  - cve_in_kev\n  - exploited", "  - moon_phase\n  - exploited", 1)
    bad = tmp_path / "rubric.yaml"
    bad.write_text(text)
    with pytest.raises(DataFileError, match="critical_requires"):
        load_rubric(bad)
