"""The grouping loop's C twin (_native/extract_group.c) against engine._group_py, and on hostile input.

Both fold the same occurrences into accumulators; the test compares the whole dict, in order and
by repr (a C flag that came back as 1 instead of True would show), on the demo corpus, the shared
sets, random report-like text cut into small pieces (so values recur across pieces), and checks
that malformed arguments raise instead of crashing.
"""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from huntfeed._native import load
from huntfeed.extract import context, engine, prepared, sections
from huntfeed.extract.engine import chunks, collect
from huntfeed.kinds import IndicatorType
from tests.native_corpus import demo_texts as _demo_texts
from tests.native_corpus import shared_texts as _shared_texts

C_GROUP = load("extract_group")
needs_c = pytest.mark.skipif(C_GROUP is None, reason="C accelerator extract_group not built (no compiler?)")


def _both(text: str, size: int = engine.CHUNK) -> tuple[str, str]:
    """repr of collect()'s accumulators with the C grouper and with the Python one."""
    out = []
    for grouper in (C_GROUP.group, engine._group_py):
        saved = engine._group
        engine._group = grouper
        try:
            out.append(repr(list(collect(chunks(text, size)).items())))
        finally:
            engine._group = saved
    return out[0], out[1]



@needs_c
def test_group_same_on_demo_corpus() -> None:
    texts = _demo_texts()
    assert texts
    for text in texts:
        c, py = _both(text)
        assert c == py


@needs_c
@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_group_same_on_shared_sets(name: str, field: str) -> None:
    texts = _shared_texts(name, field)
    for text in texts:
        c, py = _both(text)
        assert c == py
    whole = "\n\n".join(texts)
    for size in (engine.CHUNK, 4096):  # small pieces: values recur across pieces, bases > 0
        c, py = _both(whole, size)
        assert c == py


_ATOMS = (
    "evil[.]com", "evil.com", "bad(.)org", "1.2.3[.]4", "8.8.8.8", "10.0.0.1", "version 1.2.3.4",
    "Chrome/129.0.0.0", "hxxp://x[.]ru/a.php", "https://github.com/a/b", "user[@]mail[.]com", "a@b.de",
    "imphash: ", "JA3 ", "ssdeep ", "Hash: ", "ja3s ", "d41d8cd98f00b204e9800998ecf8427e",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "CVE-2024-1234", "T1059.001",
    "payload.zip", "setup[.]exe", "C:\\Windows\\x.exe", "1,2,3,4", "evil AT host DOT com", "é", "\u212a",
    "\U0001f600", "## Indicators of Compromise\n", "## References\n", "## Analysis\n", "| a | evil[.]net |\n",
    "C2 server ", "downloaded from ", " ", "\n", "\n\n", ". ", "x" * 30, "word ",
)  # fmt: skip


@needs_c
@pytest.mark.parametrize("seed", range(3))
def test_group_same_on_random_text(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(150):
        text = "".join(rnd.choice(_ATOMS) for _ in range(rnd.choice((5, 40, 300))))
        c, py = _both(text, rnd.choice((engine.CHUNK, 256)))
        assert c == py, repr(text[:300])


def _args(**over: Any) -> list[Any]:
    piece = "see evil.com now"
    occs = [(4, 12, IndicatorType.DOMAIN, "evil.com", "")]
    args: dict[str, Any] = {
        "accs": {}, "piece": piece, "base": 0, "occs": occs, "maps": ((), (), (), (), ()),
        "dstarts": (0,), "ostarts": (0,), "ioc": (), "refs": (), "consts": engine._CONSTS,
    }  # fmt: skip
    args.update(over)
    return list(args.values())


def test_group_table() -> None:
    # One live domain in prose: its first occurrence, no flags, its sentence kept for the C2 check.
    accs: dict[Any, Any] = {}
    engine._group_py(*_args(accs=accs))
    assert accs == {
        (IndicatorType.DOMAIN, "evil.com"): [
            4, 12, "evil.com", False, False, False, False, False, False, frozenset(("",)),
            [("see evil.com now", 4, 12)],
        ]
    }  # fmt: skip
    if C_GROUP is not None:
        c_accs: dict[Any, Any] = {}
        C_GROUP.group(*_args(accs=c_accs))
        assert repr(c_accs) == repr(accs)


@needs_c
@pytest.mark.parametrize(
    ("over", "error"),
    [
        ({"occs": [(1, 2, IndicatorType.DOMAIN, "x")]}, TypeError),  # four items, not five
        ({"occs": [("a", 2, IndicatorType.DOMAIN, "x", "")]}, TypeError),
        ({"occs": [(1 << 80, 2, IndicatorType.DOMAIN, "x", "")]}, OverflowError),
        ({"occs": 5}, TypeError),
        ({"maps": ((1,), (), (), (), ())}, ValueError),  # the replacement arrays differ in length
        ({"maps": ((), ())}, TypeError),
        ({"ioc": ((1, 2, 3),)}, TypeError),
        ({"dstarts": (0, 5), "ostarts": (0,)}, ValueError),
        ({"dstarts": (), "ostarts": ()}, IndexError),
        ({"piece": b"bytes"}, TypeError),
        ({"accs": {(IndicatorType.DOMAIN, "evil.com"): [1, 2]}}, TypeError),  # not an accumulator
        ({"consts": ()}, TypeError),
    ],
)
def test_group_rejects_malformed_arguments(over: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        C_GROUP.group(*_args(**over))


@needs_c
def test_group_offsets_past_the_piece_slice_as_python_does() -> None:
    # Spans outside the piece (no scanner makes them): sliced as Python slices, never read outside.
    for occ in [(50, 90, IndicatorType.DOMAIN, "far.com", ""), (-5, 3, IndicatorType.IPV4, "1.2.3.4", "")]:
        c_accs: dict[Any, Any] = {}
        py_accs: dict[Any, Any] = {}
        C_GROUP.group(*_args(accs=c_accs, occs=[occ]))
        engine._group_py(*_args(accs=py_accs, occs=[occ]))
        assert repr(c_accs) == repr(py_accs)


@needs_c
def test_group_huge_and_empty() -> None:
    c, py = _both("")
    assert c == py == "[]"
    text = ("evil[.]com 1.2.3.4 " * 20000) + "\x00\ud800" * 1000
    c, py = _both(text, 65536)
    assert c == py


# --- c2_keys(): the C2 sentence gate -------------------------------------------------------

_C2_ATOMS = (
    "C2", "c&C", "CNC", "Command", "BEACON", "callback", "exfiltrat", "download", "HOSTED", "payload",
    "dropper", "Malicious", "phishing", "attacker", "threat actor", "threat  actor", "connect", "communicat",
    "staging", "loader", "implant", "bac\u212adoor", "\u0130mplant", "\u017ftealer", "sinkhol", "ransom",
    "stealer", "exploit", " ", "\n", ". ", "x", "é", "\x00", "\ud800", "\U0001f600", "k", "K",
)  # fmt: skip


@needs_c
@pytest.mark.parametrize("seed", range(3))
def test_c2_keys_same_on_random_text(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(2000):
        text = "".join(rnd.choice(_C2_ATOMS) for _ in range(rnd.choice((1, 3, 10, 60))))
        lo, hi = rnd.randint(-5, len(text) + 5), rnd.randint(-5, len(text) + 5)
        keys = context._C2_KEYS if rnd.random() < 0.9 else ("", "c2")  # an empty key: "" in "" too
        assert C_GROUP.c2_keys(text, lo, hi, keys) == context._c2_keys_py(text, lo, hi, keys), repr((text, lo, hi))


@needs_c
def test_c2_keys_every_code_point_lowers_as_python_does() -> None:
    # Only U+212A (KELVIN SIGN, to "k") and U+0130 (to "i" and a combining dot) lower to ASCII.
    keys = ("backdoor", "implant", "i")
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        for text in ("bac" + chr(cp) + "door", chr(cp) + "mplant", "x" + chr(cp)):
            assert C_GROUP.c2_keys(text, 0, len(text), keys) is context._c2_keys_py(text, 0, len(text), keys), hex(cp)


def test_c2_keys_table() -> None:
    for keys in [(C_GROUP.c2_keys,) if C_GROUP is not None else (), (context._c2_keys_py,)]:
        for fn in keys:
            assert fn("the C2 server", 0, 13, context._C2_KEYS) is True
            assert fn("the C2 server", 6, 13, context._C2_KEYS) is False  # "server" only
            assert fn("a bac\u212adoor", 0, 11, context._C2_KEYS) is True
            assert fn("", 0, 0, context._C2_KEYS) is False
            assert fn("abc", 2, 1, ("",)) is True  # "" in "" (an empty key, an empty window)


@needs_c
def test_c2_keys_rejects_bad_keys() -> None:
    with pytest.raises(ValueError):
        C_GROUP.c2_keys("x", 0, 1, ("C2",))  # keys are lower-case ASCII
    with pytest.raises(TypeError):
        C_GROUP.c2_keys("x", 0, 1, (b"c2",))
    with pytest.raises(TypeError):
        C_GROUP.c2_keys(b"x", 0, 1, ("c2",))


def test_c2_grouped_pattern_finds_what_the_alternation_finds() -> None:
    reference = re.compile(sections._words(context._C2_WORDS))
    rnd = random.Random(5)
    words = [w.replace("\\w*", "").replace("\\w+", "x").replace("\\s+", " ") for w in context._C2_WORDS]
    atoms = [*words, "download from", "downloaded  from", "hosted on", "c2x", "xc2", " ", "_", "a", "-", "ſ"]
    for _ in range(3000):
        text = "".join(rnd.choice(atoms) for _ in range(rnd.choice((1, 3, 8))))
        assert bool(context._C2_CONTEXT.search(text)) is bool(reference.search(text)), repr(text)


# --- packed_find(): the warninglists' packed runs ------------------------------------------


@needs_c
def test_packed_find_same_on_the_prepared_tables() -> None:
    rnd = random.Random(11)
    tables = prepared.tables()
    for packed in (tables.hashes, tables.ip_exact):
        for w, (blob, which, starts) in packed.runs.items():
            n = len(blob) // w
            keys = [bytes(blob[k * w : k * w + w]) for k in {0, n - 1, *rnd.sample(range(n), min(n, 300))}]
            keys += [bytes(rnd.getrandbits(8) for _ in range(w)) for _ in range(300)]  # misses, nearly all
            keys += [k[:-1] + bytes(((k[-1] + 1) % 256,)) for k in keys[:50]]  # next to a listed key
            for raw in keys:
                assert C_GROUP.packed_find(blob, which, starts, raw) == prepared._find_py(blob, which, starts, raw)
            assert C_GROUP.packed_find(blob, which, starts, keys[0]) >= 0


def test_packed_find_table() -> None:
    packed = prepared._packed({"aabbccdd": "list-a", "aabbccee": "list-b", "00ff0000": "list-a"}, prepared._pack_hex)
    blob, which, starts = packed.runs[4]
    finds = [prepared._find_py] + ([C_GROUP.packed_find] if C_GROUP is not None else [])
    for find in finds:
        assert [find(blob, which, starts, bytes.fromhex(k)) for k in ("aabbccdd", "aabbccee", "00ff0000")] == [0, 1, 0]
        assert find(blob, which, starts, bytes.fromhex("aabbccde")) == -1
        assert find(blob, which, starts, bytes.fromhex("ffffffff")) == -1


@needs_c
@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((b"", b"", b"\0" * 8, b"a"), IndexError),  # a key of one byte
        ((b"", b"", b"\0" * 4, b"ab"), ValueError),  # the bucket table ends before the key's bucket
        # the bucket of b"ab" (0x6162) runs past the two keys of the run; the list bytes end early
        ((b"abcd", b"\0\0", bytes(4 * 24931) + (5).to_bytes(4, "little"), b"ab"), ValueError),
        ((b"abab", b"\0", bytes(4 * 24931) + (2).to_bytes(4, "little"), b"ab"), ValueError),
        (("str", b"", b"", b"ab"), TypeError),
    ],
)
def test_packed_find_rejects_tables_that_do_not_fit(args: tuple[Any, ...], error: type[Exception]) -> None:
    with pytest.raises(error, match=None if error is TypeError else "key has|too short|does not fit"):
        C_GROUP.packed_find(*args)
    if error is ValueError and len(args[2]) > 8:
        assert "does not fit" in _error_text(args)


def _error_text(args: tuple[Any, ...]) -> str:
    try:
        C_GROUP.packed_find(*args)
    except ValueError as exc:
        return str(exc)
    return ""
