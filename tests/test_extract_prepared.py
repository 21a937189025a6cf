"""The prepared look-up tables (extract/prepared.py) answer as the sources they are built from."""

from __future__ import annotations

import ipaddress
import mmap
import os
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest

from huntfeed.extract import prepared, tld, warninglists
from huntfeed.extract.knowledge import reference_domains


@pytest.fixture(scope="module")
def tables() -> prepared.Tables:
    return prepared.build_tables()


def test_every_listed_hash_and_its_neighbours(tables: prepared.Tables) -> None:
    index = warninglists.hash_index()
    assert len(index) > 100_000
    for key, name in index.items():
        assert tables.hashes.get_hex(key) == name
    rnd = random.Random(3)
    for key in rnd.sample(sorted(index), 2000):
        if _HEXDIGITS.issuperset(key):
            other = key[:-1] + ("0" if key[-1] != "0" else "1")  # a neighbour in sort order
            assert tables.hashes.get_hex(other) == index.get(other, "")
    for width in (32, 40, 64, 128, 7, 0):
        value = "".join(rnd.choice("0123456789abcdef") for _ in range(width))
        assert tables.hashes.get_hex(value) == index.get(value, "")
    assert tables.hashes.get_hex("d41d8cd98f00b204e9800998ecf8427e") == "empty-hashes"  # MD5 of nothing


_HEXDIGITS = frozenset(string.hexdigits.lower())


def _ip_reference(ip: str) -> str:
    """ip_list as it was: the exact dict, then the ranges."""
    exact, nets = warninglists.ip_index()
    if hit := exact.get(ip):
        return hit
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    return next((name for net, name in nets if addr.version == net.version and addr in net), "")


def test_addresses_answer_as_the_lists() -> None:
    exact, nets = warninglists.ip_index()
    probes = list(exact)
    rnd = random.Random(5)
    for net, _ in nets:
        probes += [str(net.network_address), str(net.broadcast_address), str(net.network_address + 1)]
        probes.append(str(net.network_address - 1) if int(net.network_address) else "0.0.0.0")
    probes += [".".join(str(rnd.randrange(256)) for _ in range(4)) for _ in range(3000)]
    probes += ["8.8.8.8", "008.8.8.8", "8.8.8.08", "1.1.1.1", "2001:4860:4860::8888", "::1"]
    for ip in probes:
        assert warninglists.ip_list(ip) == _ip_reference(ip), ip


def test_tld_set_is_the_psl_answer() -> None:
    rules: frozenset[str] = getattr(tld._psl(), "_publicsuffix", frozenset())
    labels = {part for rule in rules for part in rule.lstrip("!*.").split(".")}
    rnd = random.Random(11)
    labels |= {
        "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0") for _ in range(rnd.randint(1, 6))) for _ in range(5000)
    }
    labels |= {"com", "COM", "xn--p1ai", "рф", "zip", "exe", "local", "ｃｏｍ", "", "co.uk", "a.b"}
    tld.valid_tld.cache_clear()
    for label in labels:
        low = label.lower()
        if low.startswith("xn--"):
            try:
                low = low.encode("ascii").decode("idna")
            except UnicodeError:
                assert not tld.valid_tld(label)
                continue
        assert tld.valid_tld(label) is tld.psl_accepts(low), label


def test_known_domains_are_the_lists_and_the_references(tables: prepared.Tables) -> None:
    index = warninglists.domain_index()
    refs = reference_domains()
    assert set(tables.known_domains) == set(index) | refs
    for domain, reason in tables.known_domains.items():
        assert reason == ("reference-link" if domain in refs else f"warninglist:{index[domain]}")


def test_the_file_is_written_once_read_back_and_rebuilt_when_broken(tmp_path: Path) -> None:
    first = prepared.prepared_tables(tmp_path)
    (path,) = tmp_path.glob("extract-tables-*.marshal")
    again = prepared.prepared_tables(tmp_path)
    assert again == first
    assert again.hashes == prepared.build_tables().hashes  # the mapped runs hold the built bytes
    assert isinstance(again.hashes.runs[32][0], mmap.mmap)
    for broken in (b"not marshal", path.read_bytes()[:-9], path.read_bytes()[: len(path.read_bytes()) // 2]):
        # Replaced, as the cache's own writes do (a file cut in place under a live map is not read).
        tmp = tmp_path / "broken"
        tmp.write_bytes(broken)
        os.replace(tmp, path)
        assert prepared.prepared_tables(tmp_path) == first
        assert path.read_bytes() != broken  # rebuilt and written again


def test_an_unwritable_folder_costs_only_the_time(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert prepared.prepared_tables(blocker / "cache") == prepared.build_tables()


def test_a_warm_extraction_never_parses_the_psl(tmp_path: Path) -> None:
    code = (
        "from huntfeed.extract import extract, tld\n"
        "found = extract('C2 at evil[.]example.com, bad.zip and 8.8.8.8, d41d8cd98f00b204e9800998ecf8427e', all=True)\n"
        "assert [i.reason for i in found] == ['warninglist:rfc6761', 'file-name', 'mentioned', "
        "'warninglist:public-dns-v4', 'warninglist:empty-hashes'], found\n"
        "print(tld._psl.cache_info().currsize)\n"
    )
    env = {"HUNTFEED_CACHE": str(tmp_path), "PATH": "/usr/bin:/bin"}
    cold = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    warm = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert (cold.stdout.strip(), warm.stdout.strip()) == ("1", "0")


@pytest.mark.parametrize(
    ("key", "hexed"),
    [("d41d", True), ("d41", False), ("d4", False), ("", False), ("D41D", False), ("d41d ", False),
     (" d41d", False), ("d41g", False), ("0" * 128, True), ("0" * 127, False), ("٣٣٣٣", False)],
)  # fmt: skip
def test_hex_key_is_the_pattern(key: str, hexed: bool) -> None:
    assert prepared._hex_key(key) is hexed
    assert (prepared._HEX_KEY.fullmatch(key) is not None) is hexed


def test_hex_key_is_the_pattern_on_random_keys() -> None:
    rng = random.Random(7)
    alphabet = "0123456789abcdefABCDEFgz \n٣"
    for _ in range(20_000):
        key = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9)))
        assert prepared._hex_key(key) is (prepared._HEX_KEY.fullmatch(key) is not None), key
