"""The C twins of the stages after the scanners, against their Python twins and on hostile input.

json_line (cli.extract_run._json_line_py, _native/extract_group.c): the same line for the rows of
the demo corpus, both shared sets and random text, strings that need every escape, every kind of
string and odd ints; malformed arguments raise instead of crashing.
"""

from __future__ import annotations

import contextlib
import json
import random
from typing import Any

import pytest

from huntfeed._native import load
from huntfeed.cli import extract_run
from huntfeed.extract.engine import chunks, collect, rows
from huntfeed.kinds import Fidelity, IndicatorType
from tests.native_corpus import demo_texts as _demo_texts
from tests.native_corpus import shared_texts as _shared_texts

C_GROUP = load("extract_group")
needs_c = pytest.mark.skipif(C_GROUP is None, reason="C accelerator extract_group not built (no compiler?)")
T = IndicatorType




def _lines(doc_id: str, found: list[Any]) -> tuple[str, str]:
    types, fids = extract_run._TYPE_JSON, extract_run._FIDELITY_JSON
    return C_GROUP.json_line(doc_id, found, types, fids), extract_run._json_line_py(doc_id, found, types, fids)


def _row(
    value: str = "evil.com", raw: str = "evil[.]com", start: Any = 3, end: Any = 13, **over: Any
) -> tuple[Any, ...]:
    row = {"kind": T.DOMAIN, "value": value, "raw": raw, "start": start, "end": end, "defanged": True}
    row.update({"fidelity": Fidelity.HIGH, "reason": "defanged"}, **over)
    return tuple(row.values())


@needs_c
def test_json_line_same_on_demo_corpus() -> None:
    texts = _demo_texts()
    assert texts
    for k, text in enumerate(texts):
        found = rows(collect(chunks(text)), all=True, context=None)
        c, py = _lines(f"demo-{k}", found)
        assert c == py


@needs_c
@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_json_line_same_on_shared_sets(name: str, field: str) -> None:
    for k, text in enumerate(_shared_texts(name, field)):
        found = rows(collect(chunks(text)), all=True, context=None)
        c, py = _lines(str(k), found)
        assert c == py


_PIECES = ("a", "é", "\u212a", "\U0001f600", '"', "\\", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f", " ", "\ud800")  # fmt: skip


@needs_c
@pytest.mark.parametrize("seed", range(4))
def test_json_line_same_on_random_strings(seed: int) -> None:
    rnd = random.Random(seed)

    def text() -> str:
        return "".join(rnd.choice(_PIECES) for _ in range(rnd.choice((0, 1, 7, 8, 9, 40))))

    for _ in range(200):
        found = [
            _row(text(), text(), rnd.randrange(-(10**20), 10**20), rnd.randrange(10**6), reason=text(),
                 defanged=rnd.choice((True, False)), kind=rnd.choice(list(T)), fidelity=rnd.choice(list(Fidelity)))
            for _ in range(rnd.randrange(4))
        ]  # fmt: skip
        c, py = _lines(text(), found)
        assert c == py


def test_json_line_table() -> None:
    # Input in, the exact line out (either twin: json_line uses whichever is loaded).
    assert extract_run.json_line("d1", []) == '{"id": "d1", "indicators": []}'
    assert extract_run.json_line('a"\\\n\x01é', [_row(raw='x"\t\U0001f600')]) == (
        '{"id": "a\\"\\\\\\n\\u0001é", "indicators": [{"type": "domain", "value": "evil.com", '
        '"raw": "x\\"\\t\U0001f600", "start": 3, "end": 13, "defanged": true, "fidelity": "high", "reason": "defanged"}]}'
    )
    line = extract_run.json_line("x", [_row(start=0, end=-7, defanged=False), _row(start=2**70)])
    assert line == json.dumps(
        {
            "id": "x",
            "indicators": [
                {"type": "domain", "value": "evil.com", "raw": "evil[.]com", "start": s, "end": e, "defanged": d,
                 "fidelity": "high", "reason": "defanged"}
                for s, e, d in ((0, -7, False), (2**70, 13, True))
            ],
        },
        ensure_ascii=False,
    )  # fmt: skip


class _Int(int):
    def __repr__(self) -> str:
        return "Int!"


@needs_c
@pytest.mark.parametrize(
    "row",
    [
        _row(start=True, end=_Int(5)),  # int subclasses: written by their repr, as the f-string does
        _row(start=-(2**63), end=2**63 - 1),
        _row(start=-(2**63) - 1, end=2**64),
        _row(start=1.5),
        _row(defanged=0),
        _row(defanged=[1]),
    ],
)
def test_json_line_odd_values_as_python_does(row: tuple[Any, ...]) -> None:
    c, py = _lines("id", [row])
    assert c == py


@needs_c
@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("id", [_row(value=b"x")]), TypeError),
        (("id", [_row(raw=None)]), TypeError),
        (("id", [_row(reason=1)]), TypeError),
        (("id", [_row(kind=None)]), KeyError),
        (("id", [_row(fidelity=None)]), KeyError),
        (("id", [_row()[:7]]), ValueError),
        (("id", [[*_row()]]), ValueError),
        (("id", [None]), ValueError),
        (("id", None), TypeError),
        ((b"id", []), TypeError),
        (("id",), TypeError),
    ],
)
def test_json_line_rejects_malformed_arguments(args: tuple[Any, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        C_GROUP.json_line(*args, extract_run._TYPE_JSON, extract_run._FIDELITY_JSON)


@needs_c
def test_json_line_rejects_prefixes_that_are_not_str() -> None:
    with pytest.raises(TypeError):
        C_GROUP.json_line("id", [_row()], {T.DOMAIN: 1}, extract_run._FIDELITY_JSON)
    with pytest.raises(TypeError):
        C_GROUP.json_line("id", [_row()], extract_run._TYPE_JSON, None)


# --- c2_context: the C2 words' lower_twin on ASCII windows -------------------------------------------

_C2_ATOMS = (
    "C2", "c&c", "CnC", "Command-and-Control", "command and control", "beaconing", "callback", "exfiltrated",
    "downloaded  from", "hosted at", "payload", "Dropper", "MALICIOUS", "phishing", "attacker", "threat actor",
    "connects to", "communicates with", "staging", "Loader", "implant", "backdoor", "sinkholed", "ransomware",
    "stealer", "exploited", "evil.com", "the", "a", "x", "_", "-", " ", ".", "\t", "C2x", "xpayload", "k", "s",
)  # fmt: skip


@pytest.mark.parametrize("seed", range(3))
def test_c2_lower_twin_finds_what_the_caseless_pattern_finds(seed: int) -> None:
    from huntfeed.extract import context

    rnd = random.Random(seed)
    for _ in range(3000):
        window = "".join(rnd.choice(_C2_ATOMS) + rnd.choice(("", " ")) for _ in range(rnd.randrange(1, 8))).lower()
        assert bool(context._C2_CONTEXT_A.search(window)) == bool(context._C2_CONTEXT.search(window)), window


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The C2 server evil.com was up", True),
        ("Payloads were HOSTED AT evil.com", True),
        ("see evil.com for details", False),
        ("the \u212aNOWN c2 evil.com", True),  # not ASCII: the caseless pattern
        ("a sinkhol evil.com", False),  # sinkhol\w+ needs a letter more
    ],
)
def test_c2_context_table(text: str, expected: bool) -> None:
    from huntfeed.extract import context

    s = text.index("evil.com")
    assert context.c2_context(text, s, s + 8) is expected


# --- hex_list, ipv4_list, parents_hit: the warninglist look-ups and the parent walk -----------------


def _tables() -> Any:
    from huntfeed.extract import prepared

    return prepared.tables()


@needs_c
def test_hex_list_same_on_the_prepared_hashes() -> None:
    from huntfeed.extract import prepared

    rnd = random.Random(5)
    hashes = _tables().hashes
    for w, (blob, which, starts) in hashes.runs.items():
        n = len(blob) // w
        keys = [bytes(blob[k * w : k * w + w]).hex() for k in {0, n - 1, *rnd.sample(range(n), min(n, 300))}]
        keys += [bytes(rnd.getrandbits(8) for _ in range(w)).hex() for _ in range(300)]
        keys += [k[:-1] + "g" for k in keys[:20]] + [k.upper() for k in keys[:20]] + [k[:-1] for k in keys[:20]]
        keys += ["", "ab", "abc", "é" * (2 * w), "\U0001f600" * (2 * w), "0" * (2 * w)]
        for key in keys:
            args = (blob, which, starts, hashes.names, key)
            assert C_GROUP.hex_list(*args) == prepared._hex_list_py(*args), key
        assert C_GROUP.hex_list(blob, which, starts, hashes.names, keys[0])  # a listed key is found


@needs_c
def test_ipv4_list_same_on_the_prepared_addresses() -> None:
    from huntfeed.extract import prepared

    rnd = random.Random(6)
    tables = _tables()
    blob, which, starts = tables.ip_exact.runs[4]
    ranges = tables.ip_ranges[4]
    n = len(blob) // 4
    nums = [int.from_bytes(blob[k * 4 : k * 4 + 4], "big") for k in {0, n - 1, *rnd.sample(range(n), 300)}]
    nums += [v + d for first, last, _ in ranges for v in (first, last) for d in (-1, 0, 1)]
    nums += [rnd.getrandbits(32) for _ in range(300)]
    ips = [".".join(str(v >> s & 255) for s in (24, 16, 8, 0)) for v in nums if 0 <= v < 2**32]
    ips += ["01.2.3.4", "1.2.3", "256.1.1.1", "1.2.3.4.5", "\u0661.2.3.4", "1.2.3.4 ", "", "1..2.3", "1.2.3.04"]
    ips += ["0.0.0.0", "255.255.255.255", "1.2.3.4\n", "1.2.3.1234", "a.b.c.d", "1_0.2.3.4"]
    for ip in ips:
        args = (blob, which, starts, tables.ip_exact.names, ranges, ip)
        assert C_GROUP.ipv4_list(*args) == prepared._ipv4_list_py(*args), ip


def test_ip_and_hash_lists_table() -> None:
    from huntfeed.extract import warninglists

    assert warninglists.ip_list("8.8.8.8") == "public-dns-v4"
    assert warninglists.ip_list("08.8.8.8") == ""  # not canonical: the general path, no entry
    assert warninglists.ip_list("203.0.113.9") == ""
    assert warninglists.hash_list("d41d8cd98f00b204e9800998ecf8427e") == "empty-hashes"
    assert warninglists.hash_list("D41D8CD98F00B204E9800998ECF8427E") == "empty-hashes"  # lowered first
    assert warninglists.hash_list("d41d8cd98f00b204e9800998ecf8427") == ""  # odd length


@needs_c
@pytest.mark.parametrize(
    "args",
    [
        (b"", b"", b"\0" * 4, (), "abcd"),  # the bucket table ends before the key's bucket
        (b"abcd", b"\0", bytes(4 * 0xABCE) + (1).to_bytes(4, "little"), ("x",), "abcd"),  # list bytes end early
        (b"abcd", b"\5", bytes(4 * 0xABCD) + (1).to_bytes(4, "little") * 2, ("x",), "abcd"),  # byte past the names
        ("str", b"", b"", (), "abcd"),
        (b"", b"", b"", [], "abcd"),
        (b"", b"", b"", (), b"abcd"),
    ],
)
def test_hex_list_rejects_tables_that_do_not_fit(args: tuple[Any, ...]) -> None:
    with pytest.raises((TypeError, ValueError)):
        C_GROUP.hex_list(*args)


@needs_c
@pytest.mark.parametrize(
    "args",
    [
        (b"", b"", b"\0" * 4, (), (), "1.2.3.4"),
        (b"", b"", bytes(4 * 65537), (), ((1, 2),), "1.2.3.4"),  # a range that is no triple (the run is empty)
        (b"", b"", bytes(4 * 65537), (), (("1", 2, "x"),), "1.2.3.4"),
        (b"", b"", b"", (), [], "1.2.3.4"),
        (b"", b"", b"", (), (), None),
    ],
)
def test_ipv4_list_rejects_bad_arguments(args: tuple[Any, ...]) -> None:
    with pytest.raises((TypeError, ValueError)):
        C_GROUP.ipv4_list(*args)


def _hosts(texts: list[str]) -> list[str]:
    out = []
    for text in texts:
        for kind, value in collect(chunks(text)):
            if kind is T.DOMAIN:
                out.append(value)
            elif kind is T.URL:
                out.append(value.split("//", 1)[-1].split("/", 1)[0].lower())
    return out


@needs_c
def test_parents_hit_same_on_demo_and_shared_hosts() -> None:
    from huntfeed.extract import fidelity
    from huntfeed.extract.knowledge import report_sites

    texts = _demo_texts()
    with contextlib.suppress(pytest.skip.Exception):  # the demo corpus alone where ../shared is absent
        texts += _shared_texts("reports_dev.jsonl", "full_text")
    hosts = _hosts(texts)
    hosts += ["", ".", "..", "com", "a.b.c.d.e.f", "www.virustotal.com", "x.github.io", "é.ru", "\U0001f600.co.uk"]
    sites, index = report_sites(), fidelity._known_domains()
    assert len(hosts) > 200
    hits = 0
    for host in hosts:
        got = C_GROUP.parents_hit(host, sites, index)
        assert got == fidelity._parents_hit_py(host, sites, index), host
        hits += got is True or got != ""
    assert hits > 10


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("a.virustotal.com", True),
        ("cdn.google.com", "google.com"),
        ("evil-example-unknown.xyz", ""),
        ("com", ""),
        ("google.com.evil-example-unknown.xyz", ""),
    ],
)
def test_parents_hit_table(domain: str, expected: bool | str) -> None:
    from huntfeed.extract import fidelity
    from huntfeed.extract.knowledge import report_sites

    assert fidelity._parents_hit(domain, report_sites(), fidelity._known_domains()) == expected


@needs_c
@pytest.mark.parametrize(
    "args", [(b"a.b", set(), {}), ("a.b", None, {}), ("a.b", set(), 5), ("a.b", set()), (1, set(), {})]
)
def test_parents_hit_rejects_bad_arguments(args: tuple[Any, ...]) -> None:
    with pytest.raises(TypeError):
        C_GROUP.parents_hit(*args)
