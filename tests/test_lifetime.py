"""Indicator lifetime by type: the data file, STIX valid_until, MISP decay fields, sweeps without expired values."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from stix2validator import ValidationOptions, validate_string

from huntfeed.environment.lifetime import (
    default_lifetimes,
    expiry_note,
    load_lifetimes,
    retention_tag,
    split_expired,
    valid_until,
)
from huntfeed.errors import DataFileError
from huntfeed.feeds.article import document_article
from huntfeed.model import Indicator, IndicatorType
from huntfeed.pipeline import Knowledge, analyse
from huntfeed.render import misp, stix
from tests.fixtures_profiles import apt_profile_v2

DAY = datetime(2026, 1, 1, tzinfo=UTC)


def test_bundled_lifetimes() -> None:
    table = default_lifetimes()
    assert (table[IndicatorType.IPV4], table[IndicatorType.DOMAIN], table[IndicatorType.URL]) == (30, 90, 60)
    assert table[IndicatorType.SHA256] is None and table[IndicatorType.MD5] is None


@pytest.mark.parametrize(("text", "line", "message"), [
    ("ipv4: 30\ncolour: 3\n", 2, "unknown indicator type 'colour'"),
    ("ipv4: 30\ndomain: -1\n", 2, "whole number >= 1"),
    ("url: sixty\n", 1, "whole number >= 1"),
], ids=["type", "negative", "text"])
def test_loader_is_strict(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "lifetimes.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_lifetimes(path)
    assert err.value.where == f"{path}:{line}" and message in err.value.message


@pytest.mark.parametrize(("itype", "until", "tag"), [
    (IndicatorType.IPV4, DAY + timedelta(days=30), "retention:1m"),
    (IndicatorType.DOMAIN, DAY + timedelta(days=90), "retention:3m"),
    (IndicatorType.URL, DAY + timedelta(days=60), "retention:2m"),
    (IndicatorType.SHA256, None, None),
])
def test_valid_until_and_retention(itype: IndicatorType, until: datetime | None, tag: str | None) -> None:
    assert valid_until(itype, DAY) == until and retention_tag(itype) == tag


def test_split_expired_and_note() -> None:
    ip = Indicator(IndicatorType.IPV4, "45.137.21.9", "45.137.21.9", 0, 1)
    sha = Indicator(IndicatorType.SHA256, "a" * 64, "a" * 64, 2, 3)
    live, stale = split_expired((ip, sha), DAY, DAY + timedelta(days=31))
    assert (live, stale) == ((sha,), (ip,))
    assert split_expired((ip, sha), DAY, DAY + timedelta(days=29)) == ((ip, sha), ())
    assert expiry_note(stale, DAY) == ("Left out of the IOC sweeps as expired (reported 2026-01-01): "
                                       "1 ipv4 (lifetime 30 days).")


def test_stix_indicators_carry_valid_until() -> None:
    p = apt_profile_v2()
    text = stix.render([p])
    result = validate_string(text, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]
    inds = {o["name"].split(": ", 1)[0]: o for o in json.loads(text)["objects"] if o["type"] == "indicator"}
    assert inds["ipv4"]["valid_from"] == "2026-11-24T12:00:00Z"  # the report's date
    assert inds["ipv4"]["valid_until"] == "2026-12-24T12:00:00Z"
    assert inds["domain"]["valid_until"] == "2027-02-22T12:00:00Z"
    assert "valid_until" not in inds["sha256"]


def test_misp_attributes_carry_first_seen_and_retention() -> None:
    event = json.loads(misp.render([apt_profile_v2()]))["Event"]
    attrs = {a["value"]: a for a in event["Attribute"]}
    ip = next(a for a in attrs.values() if a["type"] == "ip-dst")
    assert ip["first_seen"].startswith("2026-11-24T12:00:00")
    assert [t["name"] for t in ip["Tag"]] == ["retention:1m"]
    sha = next(a for a in attrs.values() if a["type"] == "sha256")
    assert "Tag" not in sha or not sha["Tag"]


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return Knowledge.load()


TEXT = ("The loader beaconed to 45.137.21[.]9 and to update-checker.net over HTTPS. The dropped file had "
        "SHA256 " + hashlib.sha256(b"huntfeed lifetime test").hexdigest() + ". Defenders should block these.")


def test_sweeps_leave_expired_values_out_and_say_so(kb: Knowledge) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    fresh = document_article(TEXT, url="https://news.example/old", title="Loader")
    old = replace(fresh, published=now - timedelta(days=45))
    young = analyse(replace(fresh, published=now - timedelta(days=5)), kb, now=now)
    aged = analyse(old, kb, now=now)
    kinds = lambda p: sorted(h.use_case for h in p.hunts if h.kind == "sweep")  # noqa: E731
    assert "SWEEP_IP_1" in kinds(young) and "SWEEP_IP_1" not in kinds(aged)
    assert "SWEEP_DOMAIN_1" in kinds(aged) and "SWEEP_HASH_1" in kinds(aged)  # 90 days, and never
    note = "Left out of the IOC sweeps as expired (reported 2026-10-17): 1 ipv4 (lifetime 30 days)."
    assert note in aged.score.reasons
    assert all(note in h.reasons for h in aged.hunts if h.kind == "sweep")
    assert not any("Left out" in r for r in young.score.reasons)
    # the expired value itself stays in the profile, high fidelity: only hunting on it is pointless now
    assert any(i.value == "45.137.21.9" for i in aged.indicators)
