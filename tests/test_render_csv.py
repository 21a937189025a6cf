"""CSV of indicators: one row per indicator, defang option, no spreadsheet formulas."""

from __future__ import annotations

import csv
import io

import pytest

from huntfeed.render import csv_out
from tests.fixtures_profiles import all_profiles, apt_profile_v2


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_rows_and_columns() -> None:
    rows = _rows(csv_out.render(all_profiles()))
    assert len(rows) == sum(len(p.indicators) for p in all_profiles())
    ip = next(r for r in rows if r["value"] == "203.0.113.45")
    assert ip["type"] == "ipv4" and ip["severity"] == "HIGH" and ip["fidelity"] == "high"
    assert ip["article_url"] == "https://intel.example.com/blog/apt29-wave"


def test_defang_option() -> None:
    rows = _rows(csv_out.render([apt_profile_v2()], defang=True))
    values = {r["value"] for r in rows}
    assert "203[.]0[.]113[.]45" in values
    assert "hxxp[://]203[.]0[.]113[.]45/gate[.]php?id=1" in values
    assert "hr[@]mail[.]example[.]org" in values
    assert "update-check[.]example[.]net" in {r["raw"] for r in rows}  # already defanged: unchanged
    assert "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" in values  # hashes as-is


@pytest.mark.hostile
@pytest.mark.parametrize("cell", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_injection_is_neutralised(cell: str) -> None:
    assert csv_out.neutralise(cell) == "'" + cell
    assert csv_out.neutralise("safe" + cell) == "safe" + cell


def test_formula_from_feed_is_neutralised_in_output() -> None:
    rows = _rows(csv_out.render([apt_profile_v2()]))
    crafted = next(r for r in rows if "HYPERLINK" in r["value"])
    assert crafted["value"].startswith("'=")
    for r in rows:
        for v in r.values():
            assert not v.startswith(("=", "+", "-", "@", "\t", "\r"))
