"""The extraction's C accelerators against their pure-Python twins, and their behaviour on hostile input.

Each C function must give exactly what its twin gives: on the demo corpus, on the shared sets
(skipped with a message where ../shared is absent), on random text made of the characters that
matter, and on probes of every code point for the character classes the twin's patterns use.
Where the extension is not built the C tests skip and say so; the pure path is tested anyway.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import subprocess
import sys

import pytest

from huntfeed._native import load
from huntfeed.extract import digest, fang, scan, sections
from tests.native_corpus import demo_texts as _demo_texts
from tests.native_corpus import shared_texts as _shared_texts

C_DIGEST = load("extract_digest")
C_SECTIONS = load("extract_sections")
C_FANG = load("extract_fang")
C_SCAN = load("extract_scan")
needs_c = pytest.mark.skipif(C_DIGEST is None, reason="C accelerator extract_digest not built (no compiler?)")
needs_c_sections = pytest.mark.skipif(C_SECTIONS is None, reason="C accelerator extract_sections not built")
needs_c_fang = pytest.mark.skipif(C_FANG is None, reason="C accelerator extract_fang not built")
needs_c_scan = pytest.mark.skipif(C_SCAN is None, reason="C accelerator extract_scan not built")


def _c_brackets(text: str) -> list[tuple[int, int, str, str]]:
    return [(s, e, *fang._BR_KIND_REP[k]) for s, e, k in C_FANG.bracket_tokens(text)]


def _c_fast(text: str) -> list[tuple[int, int, str, str]]:
    return [(s, e, *fang._FAST_KIND_REP[k]) for s, e, k in C_FANG.fast_tokens(text)]




# --- windows(): identity --------------------------------------------------------------------


@needs_c
def test_windows_same_on_demo_corpus() -> None:
    texts = _demo_texts()
    assert texts
    for text in texts:
        assert C_DIGEST.windows(text) == digest.windows_py(text)


@needs_c
@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_windows_same_on_shared_sets(name: str, field: str) -> None:
    texts = _shared_texts(name, field)
    for text in texts + ["\n\n".join(texts)]:
        assert C_DIGEST.windows(text) == digest.windows_py(text)


_ATOMS = (
    *".@[]{}<>\\^():/,-_~%",
    "DOT", "AT", "At ", "AS", "-dot-", "CVE", "Cve", "cve", "asn", "HK", "Mozilla/", "TA1234", "T1234",
    "__", "_0123456789ab_", ",12,3", ",1234,5", "http", "hxxps", "(dot", "( at ", "(arroba", "(punkt",
    "(www", "(https", " ", " ", "  ", "\n", "\t", "a", "Z", "0", "9", "x" * 20, "y" * 700, "[[" * 400,
    ".z" * 300, "1a" * 9, "é", "’", "\u212a", "\u017f", "\x00", "\ud800", "\U0001f600", "\xa0", "\u0663",
    "\r", "\x0b",
)  # fmt: skip


@needs_c
@pytest.mark.parametrize("seed", range(3))
def test_windows_same_on_random_text(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(800):
        text = "".join(rnd.choice(_ATOMS) for _ in range(rnd.choice((5, 50, 300, 1500))))
        if rnd.random() < 0.2:
            text = text.replace("\n", "")
        assert C_DIGEST.windows(text) == digest.windows_py(text), repr(text[:200])


# --- windows(): tables --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("", []),
        ("plain prose without anchors at all " * 70, []),
        ("word " * 40 + "see evil.com now " + "word " * 40, [(204, 212)]),  # a dot-led token
        ("word " * 40 + "host example [.] com here " + "word " * 40, [(205, 220)]),  # reach 1 across blanks
        ("x " * 100 + "HKCU Run key\n" + "y" * 200, [(200, 212)]),  # reach 2: to the line end
        ("short line\nanother one\n" + "z" * 200, [(0, 22)]),  # a run of short lines is one window
        ("w " * 90 + "Tue,12,3 " + "w " * 90, [(180, 188)]),  # ",12,3": a comma-spelled address
    ],
)
def test_windows_table(text: str, spans: list[tuple[int, int]]) -> None:
    assert digest.windows_py(text) == spans
    if C_DIGEST is not None:
        assert C_DIGEST.windows(text) == spans


def _class_probe(make: str) -> str:
    """One long line with a probe per code point, far enough apart that no windows merge."""
    return (" " * 8).join(make.format(c=chr(cp)) for cp in range(0x110000) if not 0xD800 <= cp < 0xE000)


@needs_c
@pytest.mark.parametrize("make", ["a,1,{c}x", "a){c}", "ab]{c}", "a.{c}b", "T{c}123", "(at{c}", "(pun{c}t", "(wW{c}"])
def test_windows_classes_match_python_re_on_every_code_point(make: str) -> None:
    # \d (Unicode decimals), \w, \s and the case-insensitive words: the C classes against re's.
    text = _class_probe(make)
    assert C_DIGEST.windows(text) == digest.windows_py(text)


def test_probe_facts_python_re() -> None:
    # What the probes above rely on: re's classes on str are Unicode ones, and (?i) folds U+212A, U+017F.
    assert re.fullmatch(r"\d", "\u0663") and re.fullmatch(r"\w", "é") and re.fullmatch(r"\s", "\xa0")
    assert re.fullmatch(r"(?i:punkt)", "pun\u212at") and re.fullmatch(r"(?i:https)", "http\u017f")


# --- windows(): hostile input -------------------------------------------------------------


@needs_c
@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00" * 5000,
        "a.b\x00c.d " * 500,
        "\ud800.\udfff@x " * 400,
        "\U0001f600.evil.com " * 300,
        "[" * 200_000,
        "." * 200_000,
        "a" * 300_000 + ".com",
        "@" * 100_000,
        ("1" * 70 + " ") * 2000,
        "\n" * 100_000,
        "x\n" * 50_000,
    ],
)
def test_windows_hostile_input_same_as_twin(text: str) -> None:
    assert C_DIGEST.windows(text) == digest.windows_py(text)


@needs_c
@pytest.mark.parametrize("arg", [None, b"bytes", 3, ["a.b"], bytearray(b"x")])
def test_windows_non_str_is_a_type_error(arg: object) -> None:
    with pytest.raises(TypeError, match="must be str"):
        C_DIGEST.windows(arg)


@needs_c
def test_windows_wrong_arity_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        C_DIGEST.windows()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        C_DIGEST.windows("a", "b")  # type: ignore[call-arg]


# --- evidence() and listed(): identity ------------------------------------------------------


def _line_spans(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


@needs_c_sections
@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_evidence_and_listed_same_on_shared_sets(name: str, field: str) -> None:
    rnd = random.Random(7)
    for text in _shared_texts(name, field):
        for a, b in _line_spans(text):
            assert C_SECTIONS.evidence(text, a, b) == sections._evidence_py(text, a, b), text[a:b]
        for _ in range(10):
            a = rnd.randrange(len(text) + 1)
            b = rnd.randrange(a, len(text) + 1)
            assert C_SECTIONS.listed(text, a, b) == sections._listed_py(text, a, b), (a, b)


@needs_c_sections
def test_evidence_and_listed_same_on_demo_corpus() -> None:
    for text in _demo_texts():
        for a, b in _line_spans(text):
            assert C_SECTIONS.evidence(text, a, b) == sections._evidence_py(text, a, b), text[a:b]
        assert C_SECTIONS.listed(text, 0, len(text)) == sections._listed_py(text, 0, len(text))


_EV_ATOMS = (
    *"[](){}.@:/-+_ \n\t", "[.]", "[dot]", "[AT]", "(.)", "{.}", "hxxp", "HXXP", "xxP", "xXp", "1.2.3.4",
    "10.0.0.1", "1.2.3.4.5", "1234.1.1.1", "\u0663.1.1.1", "a@b.c", "x@y-z.Com", "@\u212a", "@a.\u0130",
    "a" * 5, "0123456789abcdef" * 2, "f" * 129, "F" * 128, "\xe9", "\u2028", "\xa0", "\ud800", "\U0001f600",
    "word " * 14 + "end.", "a/b/c/d ",
)  # fmt: skip


@needs_c_sections
@pytest.mark.parametrize("seed", range(3))
def test_evidence_and_listed_same_on_random_text(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(4000):
        text = "".join(rnd.choice(_EV_ATOMS) for _ in range(rnd.randint(0, 30)))
        a, b = rnd.randint(-5, len(text) + 3), rnd.randint(-5, len(text) + 5)  # slice bounds, as Python reads them
        assert C_SECTIONS.evidence(text, a, b) == sections._evidence_py(text, a, b), (text, a, b)
        assert C_SECTIONS.listed(text, a, b) == sections._listed_py(text, a, b), (text, a, b)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("evil[.]com", True),
        ("see hxxp://x", True),
        ("hxxP://x", False),  # the twin's gate lists five spellings of "xxp", not this one
        ("contact a@b.Co", True),
        ("a@b.\u212a", True),  # [a-z] under IGNORECASE takes the Kelvin sign
        ("10.0.0.1", True),
        ("10.0.0.1.5", False),
        ("1234.0.0.1", False),
        ("\u0663.1.1.1", True),  # \d is any decimal digit
        ("d41d8cd98f00b204e9800998ecf8427e", True),
        ("d41d8cd98f00b204e9800998ecf8427", False),  # 31 hex characters
        ("f" * 129, False),
        ("", False),
    ],
)
def test_evidence_table(line: str, expected: bool) -> None:
    assert sections._evidence_py(line, 0, len(line)) is expected
    if C_SECTIONS is not None:
        assert C_SECTIONS.evidence(line, 0, len(line)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- 10.0.0.1\n- note\n- note\n- note\n", True),  # one item in four
        ("- 10.0.0.1\n- note\n- note\n- note\n- note\n", False),  # one in five
        ("This is a long sentence that mentions 10.0.0.1 in passing and goes on and on.\n- a\n", False),
        ("", False),
    ],
)
def test_listed_table(text: str, expected: bool) -> None:
    assert sections._listed_py(text, 0, len(text)) is expected
    if C_SECTIONS is not None:
        assert C_SECTIONS.listed(text, 0, len(text)) is expected


@needs_c_sections
@pytest.mark.parametrize(
    "text", ["", "\x00" * 5000, "\ud800@\udfff.a " * 300, "[" * 100_000, "1." * 100_000, "a" * 300_000, "\n" * 50_000]
)
def test_evidence_and_listed_hostile_input_same_as_twin(text: str) -> None:
    for a, b in ((0, len(text)), (-10, 10**6), (5, 2), (len(text) // 2, -1)):
        assert C_SECTIONS.evidence(text, a, b) == sections._evidence_py(text, a, b)
        assert C_SECTIONS.listed(text, a, b) == sections._listed_py(text, a, b)


@needs_c_sections
@pytest.mark.parametrize("args", [(None, 0, 1), (b"x", 0, 1), ("x", "0", 1), ("x", 0), ("x", 0, 1, 2), ("x", 0.5, 1)])
def test_evidence_and_listed_bad_arguments_are_type_errors(args: tuple[object, ...]) -> None:
    for fn in (C_SECTIONS.evidence, C_SECTIONS.listed):
        with pytest.raises(TypeError):
            fn(*args)


@needs_c_sections
@pytest.mark.parametrize("make", ["a,1{c}1.1.1", "1.1.1.1{c}", "a{c}@b.c", "a@b{c}.c", "a@b.{c}", "[{c}]", "{c}1.1.1.1"])
def test_evidence_classes_match_python_re_on_every_code_point(make: str) -> None:
    for cp in range(0, 0x110000, 1):
        if 0xD800 <= cp < 0xE000 or cp % 7 and cp > 0x3000:
            continue  # every BMP code point below U+3000, one in seven above
        line = make.format(c=chr(cp))
        assert C_SECTIONS.evidence(line, 0, len(line)) == sections._evidence_py(line, 0, len(line)), hex(cp)


# --- bracket_tokens(): identity, tables, hostile input ------------------------------------


@needs_c_fang
def test_bracket_tokens_same_on_demo_corpus() -> None:
    for text in _demo_texts():
        assert _c_brackets(text) == fang._bracket_tokens_py(text)


@needs_c_fang
@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_bracket_tokens_same_on_shared_sets(name: str, field: str) -> None:
    for text in _shared_texts(name, field):
        assert _c_brackets(text) == fang._bracket_tokens_py(text)
        assert _c_brackets(text.upper()) == fang._bracket_tokens_py(text.upper())


_FANG_ATOMS = (
    *"[](){}<>\\^.,@/:- \t\nw", "dot", "DoT", "punto", "punkt", "PUNKT", "d0t", "at", "Et", "arroba", "www",
    "WwW", "a", "Z", "9", "\u0663", "\xe9", "\u212a", "\ud800", "\U0001f600", "\xa0", "evil", "com", "\\[",
    "\\]", "\\(", "\\.", "\\@", "^.", "[.]", "(dot)", "{.}", "[at]", "(@)", "[[[", "]]]", "index(6)",
)  # fmt: skip


@needs_c_fang
@pytest.mark.parametrize("seed", range(3))
def test_bracket_tokens_same_on_random_text(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(6000):
        text = "".join(rnd.choice(_FANG_ATOMS) for _ in range(rnd.randint(0, 40)))
        assert _c_brackets(text) == fang._bracket_tokens_py(text), repr(text)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("evil[.]com", [(4, 7, "brdot", ".")]),
        ("evil [ . ] com", [(4, 11, "brdot", ".")]),  # the blanks around are taken in
        ("john[at]corp", [(4, 8, "brat", "@")]),
        ("evil(dot)com", [(4, 9, "brdot", ".")]),
        ("evil.]com", []),  # led by the dot: not a bracket style
        ("example[.com", [(7, 9, "halfdot", ".")]),
        ("exampledot]com", [(7, 11, "closedot3", ".")]),
        ("a\\.b", [(1, 3, "bsdot", ".")]),
        ("index(6)[.]html", [(8, 11, "brdot", ".")]),  # the ')' closes the path's own '('
        ("[Link](x)", []),
        ("", []),
    ],
)
def test_bracket_tokens_table(text: str, tokens: list[tuple[int, int, str, str]]) -> None:
    assert fang._bracket_tokens_py(text) == tokens
    if C_FANG is not None:
        assert _c_brackets(text) == tokens


@needs_c_fang
@pytest.mark.parametrize("make", ["a[{c}]b", "a[.]{c}", "a\\.{c}", "{c}\\.b", "a[:]{c}", "{c}\\@b", "a)({c}"])
def test_bracket_tokens_classes_match_python_re_on_every_code_point(make: str) -> None:
    text = " ".join(make.format(c=chr(cp)) for cp in range(0x110000) if not 0xD800 <= cp < 0xE000)
    assert _c_brackets(text) == fang._bracket_tokens_py(text)


@needs_c_fang
@pytest.mark.parametrize(
    "text", ["", "\x00" * 5000, "[" * 200_000, "]" * 200_000, "[.]" * 50_000, "\\" * 100_000, "(" * 99_999 + ")", "\ud800[.]\udfff" * 500]
)
def test_bracket_tokens_hostile_input_same_as_twin(text: str) -> None:
    assert _c_brackets(text) == fang._bracket_tokens_py(text)


@needs_c_fang
@pytest.mark.parametrize("arg", [None, b"[.]", 3, ["[.]"]])
def test_bracket_tokens_non_str_is_a_type_error(arg: object) -> None:
    with pytest.raises(TypeError, match="must be str"):
        C_FANG.bracket_tokens(arg)


# --- fast_tokens(): identity, tables, hostile input ---------------------------------------


@needs_c_fang
@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_fast_tokens_same_on_shared_sets(name: str, field: str) -> None:
    for text in _shared_texts(name, field):
        for variant in (text, text.upper(), text.lower()):
            assert _c_fast(variant) == fang._fast_tokens_py(variant)


@needs_c_fang
def test_fast_tokens_same_on_demo_corpus() -> None:
    for text in _demo_texts():
        assert _c_fast(text) == fang._fast_tokens_py(text)


_FAST_ATOMS = (
    *".@-DAT \t\n[({<\\]:", "dot", "DOT", "-dot-", "AT", "At", "at", "a", "z", "Z", "q", "9", "0", "\u0663",
    "\xb2", "\xe9", "\u212a", "\uff0e", "\u3002", "\uff61", "\uff20", "\ud800", "\U0001f600", "\xa0", "evil",
    "com", "corp", "x" * 30, "y" * 64, "john", "_", "+",
)  # fmt: skip


@needs_c_fang
@pytest.mark.parametrize("seed", range(3))
def test_fast_tokens_same_on_random_text(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(8000):
        text = "".join(rnd.choice(_FAST_ATOMS) for _ in range(rnd.randint(0, 30)))
        assert _c_fast(text) == fang._fast_tokens_py(text), repr(text)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("evil . com", [(4, 7, "spdot", ".")]),
        ("evil-dot-com", [(4, 9, "worddot", ".")]),
        ("evil DOT com", [(4, 9, "worddot", ".")]),
        ("john @ corp.com", [(4, 7, "spat", "@")]),
        ("john AT corp.com", [(4, 8, "spat", "@")]),
        ("johnATcorp.com", [(4, 6, "wordat", "@")]),
        ("example.]com", [(7, 9, "halfdot-dot", ".")]),
        ("evil\uff0ecom", [(4, 5, "unidot", ".")]),
        ("john\uff20corp", [(4, 5, "uniat", "@")]),
        ("plain@corp.com", []),  # nothing to refang
        ("", []),
    ],
)
def test_fast_tokens_table(text: str, tokens: list[tuple[int, int, str, str]]) -> None:
    assert fang._fast_tokens_py(text) == tokens
    if C_FANG is not None:
        assert _c_fast(text) == tokens


@needs_c_fang
@pytest.mark.parametrize("make", ["a{c}DOT b", "1 . {c}", "{c} . 2", "a @ b{c}.c", "a . bc{c}", "a{c} AT b.c"])
def test_fast_tokens_classes_match_python_re_on_every_code_point(make: str) -> None:
    text = "  ".join(make.format(c=chr(cp)) for cp in range(0x110000) if not 0xD800 <= cp < 0xE000)
    assert _c_fast(text) == fang._fast_tokens_py(text)


@needs_c_fang
@pytest.mark.parametrize(
    "text", ["", "\x00" * 5000, "." * 200_000, " ." * 100_000, "@" * 100_000, "a AT " * 40_000, "a" * 100 + "@" + "b" * 100_000]
)
def test_fast_tokens_hostile_input_same_as_twin(text: str) -> None:
    assert _c_fast(text) == fang._fast_tokens_py(text)


@needs_c_fang
@pytest.mark.parametrize("arg", [None, b"a . b", 3])
def test_fast_tokens_non_str_is_a_type_error(arg: object) -> None:
    with pytest.raises(TypeError, match="must be str"):
        C_FANG.fast_tokens(arg)


# --- the package without the extension -------------------------------------------------------


_DEMO_DUMP = """
import json, sys
from huntfeed.extract import digest, extract, fang, scan, sections
from huntfeed.feeds.article import html_to_text
from huntfeed.paths import package_data
root = package_data("demo")
out = [digest._NATIVE is None and sections._NATIVE is None and fang._NATIVE is None and scan._NATIVE is None]
for p in sorted(root.glob("*/posts/*.html")):
    text = html_to_text(p.read_text(encoding="utf-8"), "https://demo.invalid/" + p.name)
    out.append([[i.type.value, i.value, i.start, i.end, i.fidelity.value, i.reason] for i in extract(text, all=True)])
json.dump(out, sys.stdout)
"""


def _dump(pure: bool) -> list[object]:
    env = {k: v for k, v in os.environ.items() if k != "HUNTFEED_PURE"}
    if pure:
        env["HUNTFEED_PURE"] = "1"
    done = subprocess.run([sys.executable, "-c", _DEMO_DUMP], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.xdist_group("subprocess")
def test_pure_mode_works_and_gives_the_same_indicators() -> None:
    pure, native = _dump(True), _dump(False)
    assert pure[0] is True  # HUNTFEED_PURE=1: no accelerator loaded
    assert native[0] is (C_DIGEST is None and C_SECTIONS is None and C_FANG is None and C_SCAN is None)
    assert len(pure) > 10 and pure[1:] == native[1:]


# --- domain_tails(): identity, tables, hostile input --------------------------------------


def _tails_py(text: str) -> list[tuple[int, int, int, int, int]]:
    return scan._domain_tails_py(text, text[::-1])


@needs_c_scan
def test_domain_tails_same_on_demo_corpus() -> None:
    texts = _demo_texts()
    assert texts
    for text in texts:
        assert C_SCAN.domain_tails(text) == _tails_py(text)


@needs_c_scan
@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_domain_tails_same_on_shared_sets(name: str, field: str) -> None:
    texts = _shared_texts(name, field)
    for text in texts + ["\n\n".join(texts)]:
        assert C_SCAN.domain_tails(text) == _tails_py(text)


_TAIL_ATOMS = (
    *".-_/:@( \n", "a", "Z", "0", "9", "x", "xn--", "xn--p1ai", "com", "co", "uk", "c0m", "é", "\u0663",
    "\u0130", "\u212a", "\U0001d7d8", "\u2167", "\x00", "\ud800", "b" * 23, "b" * 24, "b" * 62, "b" * 63,
)  # fmt: skip


@needs_c_scan
@pytest.mark.parametrize("seed", range(3))
def test_domain_tails_same_on_random_text(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(1500):
        text = "".join(rnd.choice(_TAIL_ATOMS) for _ in range(rnd.choice((3, 12, 40, 300))))
        assert C_SCAN.domain_tails(text) == _tails_py(text), repr(text[:200])


@pytest.mark.parametrize(
    ("text", "tails"),
    [
        ("", []),
        ("see evil.com now", [(4, 8, 12, 9, 12)]),
        ("x.foo..", [(0, 1, 5, 2, 5)]),  # a dot and no label after it: the look-ahead lets it end
        ("v1.2.3", []),  # one-character TLDs
        ("site.xn--p1ai/", [(0, 4, 13, 5, 13)]),  # the punycode alternative
        ("-.com", [(0, 1, 5, 2, 5)]),  # the leftward label is [\w-]: the scanner drops the hyphen
        (".com", [(-1, 0, 4, 1, 4)]),  # no label before the dot
        ("a.b.c.d.e.f.g.h.i.j.k.l.m.com", [(2, 3, 29, 26, 29)]),  # at most 11 labels after the dot
        ("a." + "b" * 64 + ".com", [(3, 66, 70, 67, 70)]),  # a 64-character label is none
        ("x" * 70 + ".com", [(7, 70, 74, 71, 74)]),  # the leftward label: 63 characters at most
        ("ev.il.c0m", [(0, 2, 9, 6, 9)]),  # a TLD may hold a digit, not start with one
        ("é.рф", [(0, 1, 4, 2, 4)]),
    ],
)
def test_domain_tails_table(text: str, tails: list[tuple[int, int, int, int, int]]) -> None:
    assert _tails_py(text) == tails
    if C_SCAN is not None:
        assert C_SCAN.domain_tails(text) == tails


@needs_c_scan
@pytest.mark.parametrize("make", ["x.a{c}b.com", "x.{c}om", "x.co{c}", "x.com.{c}", "{c}.com"])
def test_domain_tails_classes_match_python_re_on_every_code_point(make: str) -> None:
    # \w, \d (Unicode decimals) and the ASCII-only punycode class: the C classes against re's.
    text = _class_probe(make)
    assert C_SCAN.domain_tails(text) == _tails_py(text)


@needs_c_scan
@pytest.mark.parametrize(
    "text",
    [
        "\x00" * 5000,
        "a.b\x00c.d " * 500,
        "\ud800.\udfff.com " * 400,
        "\U0001f600.evil.com " * 300,
        "." * 200_000,
        "a" * 300_000 + ".com",
        "a." * 100_000 + "com",
        ("b" * 63 + ".") * 3000 + "com",
        "xn--" + "a" * 200_000,
        ".xn--" * 50_000,
    ],
)
def test_domain_tails_hostile_input_same_as_twin(text: str) -> None:
    assert C_SCAN.domain_tails(text) == _tails_py(text)


@needs_c_scan
@pytest.mark.parametrize("arg", [None, b"a.com", 3, ["a.com"]])
def test_domain_tails_non_str_is_a_type_error(arg: object) -> None:
    with pytest.raises(TypeError, match="must be str"):
        C_SCAN.domain_tails(arg)


@needs_c_scan
def test_domain_tails_wrong_arity_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        C_SCAN.domain_tails()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        C_SCAN.domain_tails("a", "b")  # type: ignore[call-arg]


# --- hex_runs(): identity, tables, hostile input -------------------------------------------


@needs_c_scan
def test_hex_runs_same_on_demo_corpus() -> None:
    texts = _demo_texts()
    assert texts
    for text in texts:
        assert C_SCAN.hex_runs(text) == scan.hex_runs_py(text)


@needs_c_scan
@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_hex_runs_same_on_shared_sets(name: str, field: str) -> None:
    texts = _shared_texts(name, field)
    for text in texts + ["\n\n".join(texts)]:
        assert C_SCAN.hex_runs(text) == scan.hex_runs_py(text)


_HEX_ATOMS = (
    *"0123456789abcdefABCDEF", "g", "G", " ", "\n", "x", "é", "\u00ff", "\u0663", "\uff10", "\uff41",
    "\U0001d7d8", "\x00", "\ud800", "a" * 31, "f" * 32, "0" * 33, "d" * 64,
)  # fmt: skip


@needs_c_scan
@pytest.mark.parametrize("seed", range(3))
def test_hex_runs_same_on_random_text(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(1500):
        text = "".join(rnd.choice(_HEX_ATOMS) for _ in range(rnd.choice((3, 12, 40, 300))))
        assert C_SCAN.hex_runs(text) == scan.hex_runs_py(text), repr(text[:200])


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("", []),
        ("a" * 31, []),
        ("a" * 32, [(0, 32)]),
        ("x" + "A0" * 20 + "x", [(1, 41)]),  # maximal: one run, however long
        ("g" + "f" * 31 + "g" + "e" * 32, [(33, 65)]),  # 31 then 32: only the second
        ("0" * 32 + "-" + "1" * 40 + "\u00e9", [(0, 32), (33, 73)]),
        ("\uff10" * 40 + "\u0663" * 40, []),  # other scripts' digits are no hex digits
        ("\U0001f600" + "b" * 32, [(1, 33)]),  # offsets in code points on four-byte text
    ],
)
def test_hex_runs_table(text: str, runs: list[tuple[int, int]]) -> None:
    assert scan.hex_runs_py(text) == runs
    if C_SCAN is not None:
        assert C_SCAN.hex_runs(text) == runs


@needs_c_scan
def test_hex_runs_classes_match_the_twin_on_every_code_point() -> None:
    for make in ("a" * 31 + "{c}", "{c}" + "b" * 31, "c" * 16 + "{c}" + "d" * 15):
        text = _class_probe(make)
        assert C_SCAN.hex_runs(text) == scan.hex_runs_py(text)


@needs_c_scan
@pytest.mark.parametrize(
    "text",
    [
        "\x00" * 5000,
        "f" * 300_000,
        ("a" * 31 + "\ud800") * 5000,
        ("e" * 32 + "\U0001f600") * 3000,
        "0123456789abcdef" * 20_000 + "z",
        "\udfff" * 1000 + "A" * 100,
    ],
)
def test_hex_runs_hostile_input_same_as_twin(text: str) -> None:
    assert C_SCAN.hex_runs(text) == scan.hex_runs_py(text)


@needs_c_scan
@pytest.mark.parametrize("arg", [None, b"a" * 32, 3, ["a" * 32]])
def test_hex_runs_non_str_is_a_type_error(arg: object) -> None:
    with pytest.raises(TypeError, match="must be str"):
        C_SCAN.hex_runs(arg)


@needs_c_scan
def test_hex_runs_wrong_arity_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        C_SCAN.hex_runs()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        C_SCAN.hex_runs("a", "b")  # type: ignore[call-arg]


# --- present(): identity, tables, hostile input --------------------------------------------

_WORDS = ("CVE", "cve", "Cve", "HK", "hk", ":\\", "%\\", "~/", "Mozilla/", "a", "aa", "aaa", "x" * 40)


@needs_c_scan
@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_present_same_on_shared_sets(name: str, field: str) -> None:
    texts = _shared_texts(name, field) + _demo_texts()
    for text in texts + ["\n\n".join(texts)]:
        assert C_SCAN.present(text, _WORDS) == scan.present_py(text, _WORDS)
        assert C_SCAN.present(text, scan.P.GATE_WORDS) == scan.present_py(text, scan.P.GATE_WORDS)


_PRESENT_ATOMS = ("C", "V", "E", "c", "v", "e", "H", "K", "h", "k", ":", "\\", "%", "~", "/", "a", "x", "é",
                  "\u4e00", "\U0001f600", "\x00", "\ud800", "Mozilla", "Mozill", " ")  # fmt: skip


@needs_c_scan
@pytest.mark.parametrize("seed", range(3))
def test_present_same_on_random_text(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(1500):
        text = "".join(rnd.choice(_PRESENT_ATOMS) for _ in range(rnd.choice((0, 3, 12, 40, 300))))
        words = tuple(rnd.sample(_WORDS, rnd.randint(0, len(_WORDS))))
        assert C_SCAN.present(text, words) == scan.present_py(text, words), (text[:200], words)


@pytest.mark.parametrize(
    ("text", "words", "found"),
    [
        ("", ("a",), (False,)),
        ("x", (), ()),
        ("a CVE here", ("CVE", "cve", "here", "ere ", "e"), (True, False, True, False, True)),
        ("Mozill", ("Mozilla/",), (False,)),  # the text ends inside the word
        ("\U0001f600~/x", ("~/", "/x", "x/"), (True, True, False)),
        ("é:\\Temp", (":\\", "%\\"), (True, False)),
        ("aa", ("aa", "aa", "aaa"), (True, True, False)),  # a word twice: both answered
    ],
)
def test_present_table(text: str, words: tuple[str, ...], found: tuple[bool, ...]) -> None:
    assert scan.present_py(text, words) == found
    if C_SCAN is not None:
        assert C_SCAN.present(text, words) == found


@needs_c_scan
@pytest.mark.parametrize(
    "text",
    ["\x00" * 5000, "C" * 300_000, "CV" * 100_000 + "E", "\ud800CVE\udfff", "\U0001f600" * 50_000 + "hk", "hK" * 9999],
)
def test_present_hostile_input_same_as_twin(text: str) -> None:
    words = ("CVE", "hk", "HK", "C" * 64, "CVCVCVE")
    assert C_SCAN.present(text, words) == scan.present_py(text, words)
    many = tuple(f"{chr(65 + j % 26)}{j}" for j in range(64))  # the most words: all 64 bits
    assert C_SCAN.present(text + " ".join(many), many) == (True,) * 64


@needs_c_scan
@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((None, ("a",)), TypeError),
        (("x", ["a"]), TypeError),  # a list, not a tuple
        (("x", ("a", 3)), TypeError),
        (("x", ("",)), ValueError),
        (("x", ("é",)), ValueError),  # words are ASCII
        (("x", tuple("a" for _ in range(65))), ValueError),
        (("x",), TypeError),
        (("x", ("a",), 1), TypeError),
    ],
)
def test_present_bad_arguments(args: tuple[object, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        C_SCAN.present(*args)


def test_ctx_holds_answers_as_a_substring_test() -> None:
    text = "see CVE-2024-1234 at C:\\Temp and hk"
    found = scan.present_py(text, scan.P.GATE_WORDS)
    words = frozenset(w for w, hit in zip(scan.P.GATE_WORDS, found, strict=True) if hit)
    ctx = scan.Ctx(text, text[::-1], [].append, scan._Spans([]), [], [], [], [], words=words)
    for word in (*scan.P.GATE_WORDS, "Temp", "nothing", "see"):
        assert ctx.holds(word) == (word in text), word


# --- ids(): identity, tables, hostile input -------------------------------------------------


def _ids(out: tuple[object, ...]) -> tuple[list[tuple[int, ...]], ...]:
    return tuple([tuple(row) for row in fam] for fam in out)  # type: ignore[attr-defined]


@needs_c_scan
def test_ids_same_on_demo_corpus() -> None:
    texts = _demo_texts()
    assert texts
    for text in texts:
        assert _ids(C_SCAN.ids(text)) == _ids(scan.literal_ids_py(text))


@needs_c_scan
@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_ids_same_on_shared_sets(name: str, field: str) -> None:
    texts = _shared_texts(name, field)
    whole = "\n\n".join(texts)
    for text in texts + [whole, fang.fang_map(whole).text]:
        assert _ids(C_SCAN.ids(text)) == _ids(scan.literal_ids_py(text))


_ID_ATOMS = (
    "T", "TA", "t", "ta", "M1", "M", "AS", "ASN", "ASN ", "as", "asn", "asn ", "CVE", "cve", "Cve", "CVe",
    "com.", "org.", "net.", "io.", "com", ".", "-", "_", " ", "1", "3", "4", "4A", "4B", "bc1", "0", "9", "é",
    "\u0663", "\U0001d7d8", "\u212a", "x", "ab", "@", "/", "\\", "B", "l", "I", "O", "\x00", "\ud800", "12",
    "123", "1234", "12345", "2021-", "2021_", "2021 ", "abc", "a_b9", "Xy", "z" * 30, "b" * 62, "b" * 63,
    "Zq" * 20, "k" * 25, "m" * 33, "A" * 93, "5" * 92, "q" * 40, ".123", ".1", "\u0660\u0661",
)  # fmt: skip


@needs_c_scan
@pytest.mark.parametrize("seed", range(3))
def test_ids_same_on_random_text(seed: int) -> None:
    rnd = random.Random(seed)
    found = [0] * 6
    for _ in range(6000):
        text = "".join(rnd.choice(_ID_ATOMS) for _ in range(rnd.choice((2, 5, 12, 40, 200))))
        want = _ids(scan.literal_ids_py(text))
        assert _ids(C_SCAN.ids(text)) == want, repr(text[:200])
        found = [f + len(w) for f, w in zip(found, want, strict=True)]
    assert min(found) > 0, found  # every family was met


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("", ([], [], [], [], [], [])),
        ("CVE-2024-1234 cve_2021_44228 Cve 2020 12345 CVE-2024-12345678 xCVE-2024-1234 -CVE-2024-1111",
         ([(0, 13, 4, 9), (14, 28, 18, 23), (29, 43, 33, 38)], [], [], [], [], [])),  # pattern by pattern
        ("T1059.001 TA0002 t1003 T1059.12 .T1234 M1036 M1036.001 T1234x T1234.567.8",
         ([], [(0, 9), (10, 16), (17, 22), (39, 44)], [], [], [], [])),
        ("AS13335 ASN 4134 asn9808 as15169 AS 1 AS12345678901 xAS1 AS1x",
         ([], [], [(0, 7, 2), (8, 16, 12), (33, 37, 36), (17, 24, 20), (25, 32, 27)], [], [], [])),  # AS, asn, as
        ("com.example.app org.foo io.a.b.c com.x.y.Z com.a.b- /com.a.b net.a_1.b9",
         ([], [], [], [(0, 15), (61, 71), (24, 32)], [], [])),  # com, org, net, io
        ("pay 1BoatSLRHtKNngkdXEeobR76b53LETtpyT or bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
         ([], [], [], [], [(4, 38), (42, 84)], [])),
        ("4" + "A" + "1" * 93 + " 4A" + "1" * 94, ([], [], [], [], [], [(0, 95)])),
        ("T\u0663\u0663\u0663\u0663 AS\u0661", ([], [(0, 5)], [(6, 9, 8)], [], [], [])),  # \d: any script's decimals
    ],
)  # fmt: skip
def test_ids_table(text: str, ids: tuple[list[tuple[int, ...]], ...]) -> None:
    assert _ids(scan.literal_ids_py(text)) == ids
    if C_SCAN is not None:
        assert _ids(C_SCAN.ids(text)) == ids


@needs_c_scan
@pytest.mark.parametrize(
    "make", ["{c}T1234", "T12{c}4", "T1234{c}", "T1234.{c}", "AS{c}1", "AS1{c}", "{c}CVE-2024-1234", "com.a{c}.b",
             "com.a.b{c}", "{c}com.a.b", "1" + "a" * 25 + "{c}", "{c}as1"],
)  # fmt: skip
def test_ids_classes_match_python_re_on_every_code_point(make: str) -> None:
    # \w and \d (Unicode) around every pattern: the C classes against re's.
    text = _class_probe(make)
    assert _ids(C_SCAN.ids(text)) == _ids(scan.literal_ids_py(text))


@needs_c_scan
@pytest.mark.parametrize(
    "text",
    [
        "\x00" * 5000,
        "T" * 200_000,
        "T1234" * 50_000,
        "AS" + "1" * 300_000,
        "com." + "a." * 100_000,
        "com." + "a" * 300_000,
        "1" * 300_000,
        "4A" + "z" * 300_000,
        "bc1" * 100_000,
        "\ud800T1234\udfff CVE-2024-1234\ud800",
        "\U0001f600T1234 \U0001f600as1 " * 20_000,
        "CVE-2024-" * 30_000,
    ],
)
def test_ids_hostile_input_same_as_twin(text: str) -> None:
    assert _ids(C_SCAN.ids(text)) == _ids(scan.literal_ids_py(text))


@needs_c_scan
@pytest.mark.parametrize("args", [(None,), (b"T1234",), (3,), (["T1234"],), (), ("a", "b")])
def test_ids_bad_arguments_are_type_errors(args: tuple[object, ...]) -> None:
    with pytest.raises(TypeError):
        C_SCAN.ids(*args)


# --- urls(): identity, tables, hostile input ------------------------------------------------


def _urls_py(text: str) -> list[scan.UrlRow]:
    return scan.url_candidates_py(text, text[::-1])


@needs_c_scan
def test_urls_same_on_demo_corpus() -> None:
    texts = _demo_texts()
    assert texts
    for text in texts:
        assert C_SCAN.urls(text, scan._SCHEMES) == _urls_py(text)


@needs_c_scan
@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_urls_same_on_shared_sets(name: str, field: str) -> None:
    texts = _shared_texts(name, field)
    whole = "\n\n".join(texts)
    for text in texts + [whole, fang.fang_map(whole).text]:
        assert C_SCAN.urls(text, scan._SCHEMES) == _urls_py(text)


_URL_ATOMS = (
    "://", "http://", "HTTPS://", "ftp://", "hxxp://", "tcp://", "+", "++", "++https://", "x", "evil", "Evil.COM",
    ".com", ".c0m", ".xn--p1ai", ".", "..", "-", "-a", "a-", "_", "@", "user@", ":", ":80", ":8080/", ":123456",
    ":\u0663", "/", "/p", "?", "?q=1", "#", ",", ")", "(", "](", "[", "]", ";", "!", "'", '"', "*", " ", "\n",
    "[::1]", "[::1]:80", "1.2.3.4", "256.1.1.1", "01.2.3.4", "10.0.0.1.", "é", "\u0663", "\xa0", "\x85", "\x1c",
    "\x00", "\ud800", "\U0001f600", "b" * 63, "b" * 64, "|", "^", "{", "<", "`", "\\", "A", "9", "%2F",
)  # fmt: skip


@needs_c_scan
@pytest.mark.parametrize("seed", range(3))
def test_urls_same_on_random_text(seed: int) -> None:
    rnd = random.Random(seed)
    kinds = {1: 0, 2: 0, 3: 0}
    for _ in range(5000):
        text = "".join(rnd.choice(_URL_ATOMS) for _ in range(rnd.choice((2, 6, 20, 80))))
        want = _urls_py(text)
        assert C_SCAN.urls(text, scan._SCHEMES) == want, repr(text[:300])
        for row in want:
            kinds[row[5]] += 1
    assert min(kinds.values()) > 10, kinds  # every kind was met


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("", []),
        ("see http://Evil.COM/Path.", [(8, 4, 24, 11, 19, 2, "COM", "http://evil.com/Path", False)]),
        ("HTTP://u:p@1.2.3.4:8080/x?a,b", [(4, 0, 29, 11, 18, 1, None, "http://u:p@1.2.3.4:8080/x?a,b", False)]),
        ("(http://a.co/x(1)), more", [(5, 1, 17, 8, 12, 2, "co", "http://a.co/x(1)", False)]),  # unpaired ')' and ','
        ("[t](https://x.io)", [(9, 4, 16, 12, 16, 2, "io", "https://x.io", True)]),  # a Markdown link
        ("++https://x.io/a++", [(7, 2, 16, 10, 14, 2, "io", "https://x.io/a", False)]),  # AsciiDoc passthrough
        ("xhttp://a.com http://é.com", [(18, 14, 26, 21, 26, 3, None, None, False)]),  # a word before; non-ASCII
        ("http://a@/b http://-a.com http://a..com http://a.com:123456", []),  # no host, bad labels, port too long
        ("svn://a.com https://", []),  # an unknown scheme; no tail
    ],
)  # fmt: skip
def test_urls_table(text: str, rows: list[scan.UrlRow]) -> None:
    assert _urls_py(text) == rows
    if C_SCAN is not None:
        assert C_SCAN.urls(text, scan._SCHEMES) == rows


@needs_c_scan
@pytest.mark.parametrize(
    "make", ["http://a{c}b.com/", "http://ab.com{c}", "{c}http://a.com", "http://a.com/{c}x", "http://a.com:{c}1/",
             "http://a{c}@b.com", "http{c}://a.com"],
)  # fmt: skip
def test_urls_classes_match_python_re_on_every_code_point(make: str) -> None:
    # \s, \d (Unicode), str.isalnum and the tail class: the C classes against re's.
    text = _class_probe(make)
    assert C_SCAN.urls(text, scan._SCHEMES) == _urls_py(text)


@needs_c_scan
@pytest.mark.parametrize(
    "text",
    [
        "\x00" * 5000,
        "://" * 100_000,
        "http://" * 50_000,
        "http://" + "a" * 300_000,
        "http://a.com/" + ")" * 100_000,
        "http://a.com/" + "," * 100_000,
        "http://" + "@" * 100_000,
        "http://" + "a." * 100_000 + "com",
        "\ud800http://a.com\udfff \U0001f600https://b.org/\ud800",
        "+" * 100_000 + "://x.com",
    ],
)
def test_urls_hostile_input_same_as_twin(text: str) -> None:
    assert C_SCAN.urls(text, scan._SCHEMES) == _urls_py(text)


@needs_c_scan
@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((None, ("http",)), TypeError),
        (("x", ["http"]), TypeError),  # a list, not a tuple
        (("x", ("http", 3)), TypeError),
        (("x", ("",)), ValueError),
        (("x", ("é",)), ValueError),
        (("x", ("a" * 11,)), ValueError),  # REV_SCHEME_RE reads at most 10 characters
        (("x", tuple("a" for _ in range(33))), ValueError),  # at most 32, as present() takes 64
        (("x",), TypeError),
        (("x", ("http",), 1), TypeError),
    ],
)
def test_urls_bad_arguments(args: tuple[object, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        C_SCAN.urls(*args)


# --- domains(): identity, hostile input, bad arguments ---------------------------------------


def _domains_both(text: str) -> tuple[list[scan.Occ], list[scan.Occ]]:
    """The C loop's and the twin's occurrences, from one scan context of ``text``."""
    c_out: list[scan.Occ] = []
    py_out: list[scan.Occ] = []
    ctx = scan.context(text, [].append)
    scan._domains(dataclasses.replace(ctx, add=c_out.append))
    scan._domains_py(dataclasses.replace(ctx, add=py_out.append))
    return c_out, py_out


@needs_c_scan
def test_domains_same_on_demo_corpus() -> None:
    texts = _demo_texts()
    assert texts
    for text in texts:
        c_out, py_out = _domains_both(fang.fang_map(text).text)
        assert c_out == py_out


@needs_c_scan
@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_domains_same_on_shared_sets(name: str, field: str) -> None:
    texts = _shared_texts(name, field)
    for text in texts + [fang.fang_map("\n\n".join(texts)).text]:
        c_out, py_out = _domains_both(text)
        assert c_out == py_out


_DOMAIN_ATOMS = (
    *"._-/:@( \n\\~", "%2F", "%3a", "%2a", "a", "Z", "0", "com", "co", "uk", "c0m", "xn--p1ai", "XN--P1AI", "xn--",
    "é", "рф", "\u0130", "\u212a", "\x00", "\ud800", "evil", "EVIL", "b" * 62, "http://", "https://x.com/",
    "user@", "mail@corp.com", "it.support@corp.com", "com.example.app", ":80/", "/path", "1.2.3.4", "send(",
)  # fmt: skip


@needs_c_scan
@pytest.mark.parametrize("seed", range(3))
def test_domains_same_on_random_text(seed: int) -> None:
    rnd = random.Random(seed)
    roles: set[str] = set()
    for _ in range(3000):
        text = "".join(rnd.choice(_DOMAIN_ATOMS) for _ in range(rnd.choice((3, 12, 40, 150))))
        c_out, py_out = _domains_both(text)
        assert c_out == py_out, repr(text[:300])
        roles |= {occ[4] for occ in py_out}
    # every role the loop gives was met
    assert roles >= {"", "url-host", "in-url", "email-domain", "in-path", "bare-host", "code", "bare"}, roles


@needs_c_scan
@pytest.mark.parametrize(
    "make", ["{c}evil.com", "a{c}.com", "x.co{c}", "%2{c}evil.com", "/{c}/evil.com", "{c}\\evil.com", "evil.com{c}/x"],
)  # fmt: skip
def test_domains_classes_match_the_twin_on_every_code_point(make: str) -> None:
    c_out, py_out = _domains_both(_class_probe(make))
    assert c_out == py_out


@needs_c_scan
@pytest.mark.parametrize(
    "text",
    [
        "\x00" * 5000,
        "." * 100_000,
        "a." * 100_000 + "com",
        "evil.com/" * 20_000,
        "evil.com(" * 20_000,
        "http://a.com/ " * 10_000 + "b.com " * 10_000,
        "x@evil.com " * 20_000,
        "\ud800evil.com\udfff \U0001f600evil.рф",
    ],
)
def test_domains_hostile_input_same_as_twin(text: str) -> None:
    c_out, py_out = _domains_both(text)
    assert c_out == py_out


def _domains_args() -> tuple[tuple[object, ...], tuple[object, ...]]:
    where = ([], [], [], [], [], [], frozenset(), [].append)
    consts = (frozenset({"com"}), scan.valid_tld, scan._bare_url, scan.T.DOMAIN, scan.T.URL)
    return where, consts


@needs_c_scan
def test_domains_bad_arguments_raise() -> None:
    where, consts = _domains_args()
    assert C_SCAN.domains("see evil.com", where, consts) is None
    bad: list[tuple[object, ...]] = [
        (None, where, consts),
        ("x", list(where), consts),  # a list, not a tuple
        ("x", where[:7], consts),
        ("x", where, consts[:4]),
        ("x", (3, *where[1:]), consts),  # starts not a list
        ("x", ([], ["ab"], *where[2:]), consts),  # spans not (start, end)
        ("x", where, (set(), None, *consts[2:])),  # valid_tld not callable
        ("x", (*where[:7], None), consts),  # add not callable
        ("x", where),
    ]
    for args in bad:
        with pytest.raises(TypeError):
            C_SCAN.domains(*args)


@needs_c_scan
def test_domains_callbacks_errors_propagate() -> None:
    where, consts = _domains_args()

    def boom(*_: object) -> object:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        C_SCAN.domains("see evil.xn--p1ai", where, (consts[0], boom, *consts[2:]))  # valid_tld asked
    with pytest.raises(RuntimeError):
        C_SCAN.domains("see evil.com/x", where, (*consts[:2], boom, *consts[3:]))  # bare_url asked
    with pytest.raises(TypeError):
        C_SCAN.domains("see evil.com/x", where, (*consts[:2], lambda *_: 3, *consts[3:]))  # not (str, int)
    with pytest.raises(RuntimeError):
        C_SCAN.domains("see evil.com", (*where[:7], boom), consts)  # add


# --- scheme_anchors(): identity, tables, hostile input ---------------------------------------


@needs_c_fang
def test_scheme_anchors_same_on_demo_corpus() -> None:
    texts = _demo_texts()
    assert texts
    for text in texts:
        assert C_FANG.scheme_anchors(text) == fang._open_scheme_anchors_py(text)


@needs_c_fang
@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_scheme_anchors_same_on_shared_sets(name: str, field: str) -> None:
    texts = _shared_texts(name, field)
    for text in texts + ["\n\n".join(texts)]:
        assert C_FANG.scheme_anchors(text) == fang._open_scheme_anchors_py(text)


_ANCHOR_ATOMS = (
    "/", "//", "///", "_", "__", ":", "[", "(", "{", "]", ")", "}", "\\", "http", "https", "ftp", "hxxp", "xhttp",
    "éhttp", " ", "\t", "a", "é", "\u0663", "\x00", "\ud800", "\U0001f600", "://", ":]", "[:", "x",
)  # fmt: skip


@needs_c_fang
@pytest.mark.parametrize("seed", range(3))
def test_scheme_anchors_same_on_random_text(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(5000):
        text = "".join(rnd.choice(_ANCHOR_ATOMS) for _ in range(rnd.choice((2, 6, 20, 80))))
        assert C_FANG.scheme_anchors(text) == fang._open_scheme_anchors_py(text), repr(text)


@pytest.mark.parametrize(
    ("text", "anchors"),
    [
        ("", []),
        ("see http://a.com and https://b.org, ftp://c.net", []),  # plain schemes: settled
        ("hxxp://a.com http:///x http:// x xhttp://y", [5, 18, 28, 39]),  # a defanged word, '/', blank, a letter before
        ("a////b __init__ ___", [1, 3, 7, 13, 16]),  # finditer's own: no overlapping "//" or "__"
        ("hxxp[:]//x (:x \\:] x:\\y", [4, 5, 7, 11, 16, 20]),  # bracket before ':', ':' before ']' or '\'
        ("http://", [5]),  # nothing after the slashes
    ],
)
def test_scheme_anchors_table(text: str, anchors: list[int]) -> None:
    assert fang._open_scheme_anchors_py(text) == anchors
    if C_FANG is not None:
        assert C_FANG.scheme_anchors(text) == anchors


@needs_c_fang
@pytest.mark.parametrize("make", ["{c}http://x", "http://{c}", "http:/{c}/x", "{c}[:]//x"])
def test_scheme_anchors_classes_match_the_twin_on_every_code_point(make: str) -> None:
    text = _class_probe(make)
    assert C_FANG.scheme_anchors(text) == fang._open_scheme_anchors_py(text)


@needs_c_fang
@pytest.mark.parametrize(
    "text", ["\x00" * 5000, "/" * 200_001, "_" * 200_001, ":" * 200_000, "[:]" * 60_000, "http://" * 50_000,
             "\ud800//\udfff" * 5000, "\U0001f600http://x" * 20_000],
)  # fmt: skip
def test_scheme_anchors_hostile_input_same_as_twin(text: str) -> None:
    assert C_FANG.scheme_anchors(text) == fang._open_scheme_anchors_py(text)


@needs_c_fang
@pytest.mark.parametrize("args", [(None,), (b"//",), (3,), (["//"],), (), ("a", "b")])
def test_scheme_anchors_bad_arguments_are_type_errors(args: tuple[object, ...]) -> None:
    with pytest.raises(TypeError):
        C_FANG.scheme_anchors(*args)


# --- file_names(), hashes(), ipv4(): the scanners' loops in C against their twins -------------

_LOOPS = {
    "file_names": (scan.H.file_names, scan.H.file_names_py),
    "hashes": (scan._hashes, scan._hashes_py),
    "ipv4": (scan._ipv4, scan._ipv4_py),
    "guids": (scan.H.guids, scan.H.guids_py),
}


def _loop_both(name: str, text: str) -> tuple[list[scan.Occ], list[scan.Occ]]:
    """The C loop's and the twin's occurrences, from one scan context of ``text``."""
    c_scanner, py_scanner = _LOOPS[name]
    c_out: list[scan.Occ] = []
    py_out: list[scan.Occ] = []
    ctx = scan.context(text, [].append)
    c_scanner(dataclasses.replace(ctx, add=c_out.append))
    py_scanner(dataclasses.replace(ctx, add=py_out.append))
    return c_out, py_out


@needs_c_scan
@pytest.mark.parametrize("name", sorted(_LOOPS))
def test_loops_same_on_demo_corpus(name: str) -> None:
    texts = _demo_texts()
    assert texts
    for text in texts:
        c_out, py_out = _loop_both(name, fang.fang_map(text).text)
        assert c_out == py_out


@needs_c_scan
@pytest.mark.parametrize("name", sorted(_LOOPS))
@pytest.mark.parametrize(("set_name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_loops_same_on_shared_sets(name: str, set_name: str, field: str) -> None:
    texts = _shared_texts(set_name, field)
    found = 0
    for text in texts + [fang.fang_map("\n\n".join(texts)).text]:
        c_out, py_out = _loop_both(name, text)
        assert c_out == py_out
        found += len(py_out)
    assert found > 0


_LOOP_ATOMS = (
    *"..-_/\\:@% \n", "a", "Z", "0", "9", "exe", "EXE", "Exe", "dll", "msi", "msix", "tar", "gz", "appref-ms", "7z",
    "doc", "docx", "application", "é", "\u0663", "\u0661\u0662", "\x00", "\ud800", "x" * 120, "http://a.com/", "1.2.3.4",
    "0x", "0X", "a" * 32, "f" * 40, "Ab" * 20, "1" * 40, "e" * 64, "D" * 128, "_1.2.3.4_", "__", "(_", "10.0.0.1:80/x",
    "1.2.3.4/24", "01.2.3.4", "256.1.1.1", "1.2.3.4.5", "192.168.001.010", "1.2.3.4:8080", "*", ".exe", ".DLL",
    ".msix", " x.docx", " run.ps1", ".tar.gz", "0123abcd-4567-89ab-cdef-0123456789ab", "-4567-89AB-CDEF-0123456789AB",
    "0123abcd", "-cdef", "-",
)  # fmt: skip


@needs_c_scan
@pytest.mark.parametrize("name", sorted(_LOOPS))
@pytest.mark.parametrize("seed", range(3))
def test_loops_same_on_random_text(name: str, seed: int) -> None:
    rnd = random.Random(seed)
    found = 0
    for _ in range(3000):
        text = "".join(rnd.choice(_LOOP_ATOMS) for _ in range(rnd.choice((3, 12, 40, 150))))
        c_out, py_out = _loop_both(name, text)
        assert c_out == py_out, repr(text[:300])
        found += len(py_out)
    assert found > 100, found


@needs_c_scan
@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("file_names", "{c}a.exe"), ("file_names", "a{c}.exe"), ("file_names", "a.ex{c}"), ("file_names", "a.exe{c}"),
        ("file_names", "a.exe.{c}"), ("hashes", "{c}" + "a" * 32), ("hashes", "0{c}" + "a" * 40),
        ("ipv4", "{c}1.2.3.4"), ("ipv4", "1.{c}.3.4"), ("ipv4", "1.2.3.4{c}"), ("ipv4", "1.2.3.4.{c}"),
        ("ipv4", "{c}_1.2.3.4_"), ("ipv4", "1.2.3.4/{c}"), ("guids", "{c}0123abcd-4567-89ab-cdef-0123456789ab"),
        ("guids", "0123abcd-4567-89ab-cdef-0123456789ab{c}"), ("guids", "0123abc{c}-4567-89ab-cdef-0123456789ab"),
    ],
)  # fmt: skip
def test_loops_classes_match_the_twin_on_every_code_point(name: str, make: str) -> None:
    c_out, py_out = _loop_both(name, _class_probe(make))
    assert c_out == py_out


@needs_c_scan
@pytest.mark.parametrize("name", sorted(_LOOPS))
@pytest.mark.parametrize(
    "text",
    [
        "\x00" * 5000,
        "." * 100_000,
        "a.exe" * 50_000,
        "." + "x" * 300_000 + ".exe",
        "1." * 100_000,
        "1.2.3.4/" * 20_000,
        "f" * 300_000,
        ("a" * 32 + " ") * 10_000,
        "\ud800a.exe\udfff 1.2.3.4\ud800 " + "\U0001f600" + "b" * 64,
        "-" * 200_000,
        "0123abcd-4567-89ab-cdef-0123456789ab-" * 5000,
    ],
)
def test_loops_hostile_input_same_as_twin(name: str, text: str) -> None:
    c_out, py_out = _loop_both(name, text)
    assert c_out == py_out


@needs_c_scan
def test_loops_bad_arguments_raise() -> None:
    add = [].append
    ip_consts = (scan.T.IPV4, scan.T.URL, scan._bare_url, scan._ipv4_slow)

    def boom(*_: object) -> object:
        raise RuntimeError("boom")

    assert C_SCAN.file_names("a.exe", scan.H._EXTS, [], add, scan.T.FILENAME) is None
    assert C_SCAN.hashes("a" * 32, scan._HASH_KINDS, [], add) is None
    assert C_SCAN.ipv4("1.2.3.4", [], add, ip_consts) is None
    assert C_SCAN.guids("0123abcd-4567-89ab-cdef-0123456789ab", [], add, scan.T.GUID) is None
    for call in (
        lambda: C_SCAN.file_names(None, scan.H._EXTS, [], add, scan.T.FILENAME),
        lambda: C_SCAN.file_names("a.exe", set(scan.H._EXTS), [], add, scan.T.FILENAME),  # a set, not frozen
        lambda: C_SCAN.file_names("a.exe", scan.H._EXTS, [(1,)], add, scan.T.FILENAME),
        lambda: C_SCAN.file_names("a.exe", scan.H._EXTS, [], None, scan.T.FILENAME),
        lambda: C_SCAN.hashes("a" * 32, scan._HASH_KINDS[:3], [], add),
        lambda: C_SCAN.hashes("a" * 32, scan._HASH_KINDS, (), add),  # a tuple, not a list
        lambda: C_SCAN.ipv4("1.2.3.4", [], add, ip_consts[:3]),
        lambda: C_SCAN.ipv4("1.2.3.4/x", [], add, (*ip_consts[:2], lambda *_: 3, ip_consts[3])),  # not (str, int)
        lambda: C_SCAN.ipv4("1.2.3.4", [], add),
        lambda: C_SCAN.guids("a-b", (), add, scan.T.GUID),
        lambda: C_SCAN.guids("a-b", [], None, scan.T.GUID),
    ):
        with pytest.raises(TypeError):
            call()
    with pytest.raises(RuntimeError):
        C_SCAN.file_names("a.exe", scan.H._EXTS, [], boom, scan.T.FILENAME)
    with pytest.raises(RuntimeError):
        C_SCAN.hashes("a" * 32, scan._HASH_KINDS, [], boom)
    with pytest.raises(RuntimeError):
        C_SCAN.ipv4("1.2.3.4/x", [], add, (*ip_consts[:2], boom, ip_consts[3]))  # bare_url asked
    with pytest.raises(RuntimeError):
        C_SCAN.ipv4("\u0661.2.3.4", [], add, (*ip_consts[:3], boom))  # slow asked


# --- assemble(): identity, tables, hostile input, bad arguments ------------------------------


def _assemble_c(text: str, toks: list[tuple[int, int, str, str]]) -> fang.Fanged:
    return fang.Fanged(*C_FANG.assemble(text, list(toks), fang._LOOSE))


@needs_c_fang
def test_assemble_same_on_demo_corpus() -> None:
    texts = _demo_texts()
    assert texts
    for text in texts:
        toks = fang._raw_tokens(text)
        assert _assemble_c(text, toks) == fang._assemble_py(text, list(toks))


@needs_c_fang
@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_assemble_same_on_shared_sets(name: str, field: str) -> None:
    texts = _shared_texts(name, field)
    for text in texts + ["\n\n".join(texts)]:
        toks = fang._raw_tokens(text)
        assert _assemble_c(text, toks) == fang._assemble_py(text, list(toks))


@needs_c_fang
@pytest.mark.parametrize("seed", range(3))
def test_assemble_same_on_random_tokens(seed: int) -> None:
    # Overlapping, nested, equal and empty replacements in any order, over text of every width.
    rnd = random.Random(seed)
    for _ in range(4000):
        text = "".join(rnd.choice(("a", ".", "[.]", "é", "\U0001f600", "\ud800", " ")) for _ in range(rnd.randint(0, 40)))
        toks = []
        for _ in range(rnd.randint(0, 8)):
            s = rnd.randint(0, len(text))
            e = rnd.randint(s, len(text))
            rep = rnd.choice((text[s:e], ".", "@", "", "xx", "\U0001f600", "é"))
            toks.append((s, e, rnd.choice(("brdot", "spdot", "scheme", "commaip", "spelled")), rep))
        assert _assemble_c(text, toks) == fang._assemble_py(text, list(toks)), (text, toks)


@pytest.mark.parametrize(
    ("text", "toks", "fanged"),
    [
        ("a[.]b", [(1, 4, "brdot", ".")], ("a.b", (1,), (2,), (1,), (4,), (False,))),
        ("a . b", [(1, 4, "spdot", ".")], ("a.b", (1,), (2,), (1,), (4,), (True,))),  # a loose style
        ("ab", [(0, 1, "brdot", "a")], ("ab", (), (), (), (), ())),  # no change
        ("x[.]y[.]z", [(5, 8, "brdot", "."), (1, 4, "brdot", "."), (1, 3, "brdot", "!")],
         ("x.y.z", (1, 3), (2, 4), (1, 5), (4, 8), (False, False))),  # sorted; the longer one at a start
        ("abcd", [(0, 2, "scheme", "X"), (0, 2, "brdot", "Y"), (1, 3, "brdot", "Z")],
         ("Xcd", (0,), (1,), (0,), (2,), (False,))),  # equal spans: the first given; an overlap dropped
    ],
)  # fmt: skip
def test_assemble_table(text: str, toks: list[tuple[int, int, str, str]], fanged: tuple[object, ...]) -> None:
    assert fang._assemble_py(text, list(toks)) == fang.Fanged(*fanged)  # type: ignore[arg-type]
    if C_FANG is not None:
        assert _assemble_c(text, toks) == fang.Fanged(*fanged)  # type: ignore[arg-type]


@needs_c_fang
def test_assemble_hostile_input_same_as_twin() -> None:
    text = "a[.]" * 50_000 + "\U0001f600" + "\x00" * 1000
    toks = [(i, i + 3, "brdot", ".") for i in range(1, 200_000, 4)][::-1]
    assert _assemble_c(text, toks) == fang._assemble_py(text, list(toks))
    same = [(0, len(text), "brdot", text)] * 1000  # one change, given a thousand times
    assert _assemble_c(text, same) == fang._assemble_py(text, list(same))


@needs_c_fang
@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((None, [], fang._LOOSE), TypeError),
        (("ab", (), fang._LOOSE), TypeError),  # a tuple, not a list
        (("ab", [(0, 1, "x")], fang._LOOSE), TypeError),
        (("ab", [(0, 1, "x", 3)], fang._LOOSE), TypeError),
        (("ab", [("0", 1, "x", "y")], fang._LOOSE), TypeError),
        (("ab", [(0, 3, "x", "y")], fang._LOOSE), ValueError),  # past the end
        (("ab", [(2, 1, "x", "y")], fang._LOOSE), ValueError),
        (("ab", [(-1, 1, "x", "y")], fang._LOOSE), ValueError),
        (("ab", [(0, 1, "x", "y")], ["spdot"]), TypeError),
        (("ab", [(0, 1, "x", "y")]), TypeError),
    ],
)
def test_assemble_bad_arguments(args: tuple[object, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        C_FANG.assemble(*args)
