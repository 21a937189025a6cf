"""Each shortcut the scanner takes for speed finds what the plain way finds: the plain way is kept
here as the reference and both run on random text built from the characters that matter."""

from __future__ import annotations

import ipaddress
import random

import pytest

from huntfeed.extract import patterns as P
from huntfeed.extract import scan as S
from huntfeed.model import IndicatorType


def _ipv6_reference(n: str) -> list[S.Occ]:
    """The IPv6 scan as it was: IPV6_RE over the whole text."""
    out: list[S.Occ] = []
    if not P.IPV6_GATE_RE.search(n):
        return out
    for m in P.IPV6_RE.finditer(n):
        cand = m.group(0)
        if cand.count(":") < 2:
            continue
        try:
            ipaddress.IPv6Address(cand)
        except ValueError:
            continue
        out.append((m.start(), m.end(), IndicatorType.IPV6, cand.lower(), ""))
    return out


def _ipv6_fast(n: str) -> list[S.Occ]:
    out: list[S.Occ] = []
    ctx = S.Ctx(n, n[::-1], out.append, S._Spans([]), [], [], [], [])
    S._ipv6(ctx)
    return out


_PIECES = (
    "::",
    ":",
    ":",
    "1",
    "a",
    "ff",
    "dead",
    "beef",
    "0",
    "12",
    "2001",
    "db8",
    ".",
    "1.2.3.4",
    "\u0663",
    " ",
    "\n",
    "x",
    "g",
    "_",
    "ipv6:",
    "IPv6:",
    "IPV6:",
    "[",
    "]",
    "-",
    "fe80::1",
    "::ffff:10.0.0.1",
    "%eth0",
    "12:30:45",
    "std::map",
    "a:b:c:d:e:f:1:2",
    "1::",
    "::1",
    "/64",
)


@pytest.mark.parametrize("seed", range(8))
def test_ipv6_runs_find_what_the_whole_text_scan_finds(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(400):
        text = "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(1, 60)))
        assert _ipv6_fast(text) == _ipv6_reference(text), text


def test_ipv6_examples() -> None:
    text = "C2 2001:db8::1 and ipv6:fe80::1%eth0, 12:30:45 and std::string, [::ffff:1.2.3.4]:443"
    assert _ipv6_fast(text) == _ipv6_reference(text)
    assert [o[3] for o in _ipv6_fast(text)] == ["2001:db8::1", "fe80::1", "::ffff:1.2.3.4"]


# The outline: candidate lines by pattern, section bodies by a few patterns each (sections.py),
# against the line-by-line reading it replaced (tests/sections_reference.py).
_LINES = (
    "",
    " ",
    "## Indicators of Compromise",
    "# Analysis",
    "=== C&C servers",
    "**Network IOCs**",
    "**Notes**:",
    "INDICATORS",
    "COBALT STRIKE ACTIVITY:",
    "SERVERS SENDING THE MALSPAM:",
    "Indicators of compromise",
    "IOCs",
    "References",
    "Further reading",
    "Conclusion",
    "Hashes",
    "C2",
    "c2 servers",
    "Domains:",
    "| evil[.]com | C2 |",
    "  | 1.2.3.4 | scanner |",
    "|a|b|",
    "| 1.2.3.4",
    " |evil[.]com",
    "- 44d88612fea8a8f36de82e12b4fa5f3b",
    "1.2.3.4",
    "hxxp://bad.example/x",
    "evil[.]com",
    "john@corp.com",
    "- File size: 12 KB",
    "The actor then moved laterally across the network using stolen credentials and remote tools.",
    "This sentence has many words but ends with a colon so it may be an intro to the list below:",
    "See https://a/b/c/d for the details of this campaign and more words to make it long enough.",
    "```",
    "```python",
    "~~~",
    "```x```",
    "\tTabbed line",
    "\u00a0Indicators",
    "ÉTAPE UN",
    "Ѕhort",
    "Kelvin \u212a",
    "\u212aNOWN HOSTS",
    "text\r",
    "INDICATORS\r",
    "* item",
    "> quote",
    "1. Overview",
)


def _outline_pair(text: str) -> tuple[object, object]:
    from huntfeed.extract import context, sections
    from tests.sections_reference import outline_reference

    fast = sections.outline(text, context._plain_heading, (context._HEADING_LEAD, context._PLAIN_HEADS))
    return fast, outline_reference(text, context._plain_heading)


@pytest.mark.parametrize("seed", range(12))
def test_outline_reads_what_the_line_by_line_reading_reads(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(300):
        text = "\n".join(rnd.choice(_LINES) for _ in range(rnd.randint(0, 30)))
        if rnd.random() < 0.3:
            text += "\n"
        fast, ref = _outline_pair(text)
        assert fast == ref, text


def test_outline_on_the_demo_and_development_texts() -> None:
    from huntfeed.feeds.article import html_to_text
    from huntfeed.paths import package_data
    from tests.conftest import shared_path

    root = package_data("demo")
    texts = [html_to_text(p.read_text(encoding="utf-8"), "https://demo.invalid/x") for p in root.glob("*/posts/*.html")]
    try:
        path = shared_path("eval", "reports_dev.jsonl")
    except pytest.skip.Exception:
        path = None
    if path is not None:
        import json

        texts += [json.loads(line).get("full_text") or "" for line in path.read_text(encoding="utf-8").splitlines()]
    for text in texts:
        fast, ref = _outline_pair(text)
        assert fast == ref


def test_the_candidate_patterns_see_what_python_sees() -> None:
    """The candidate pattern's superset rests on two facts of Python: ``\\s`` is ``str.isspace``,
    and IGNORECASE matches every character whose lower case is an ASCII letter."""
    import re
    import sys

    space = re.compile(r"\s")
    for cp in range(sys.maxunicode + 1):
        c = chr(cp)
        assert (space.match(c) is not None) == c.isspace(), hex(cp)
        low = c.lower()
        if len(low) == 1 and "a" <= low <= "z":
            assert re.match("(?i:" + low + ")", c), hex(cp)


# The refanger's bracket anchors (fang._BR_ANCHOR_RE) skip the brackets no style can start at;
# against the anchor pattern that took every bracket.
_OLD_BR_ANCHOR = r"[\[\(\{<\]\)\}](?![\[\(\{<\]\)\}]{3})|\\(?!\\)|\^(?=\.)"
_FANG_PIECES = (
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    "<",
    ">",
    "\\",
    "^",
    ".",
    ",",
    "@",
    "/",
    ":",
    "-",
    " ",
    "\t",
    "\n",
    "dot",
    "DOT",
    "d0t",
    "punto",
    "punkt",
    "at",
    "AT",
    "et",
    "arroba",
    "www",
    "WWW",
    "evil",
    "com",
    "1",
    "x",
    "Link",
    "See",
    "_",
    "hxxp",
    "://",
    "A",
    "e",
    "p",
    "w",
    "b",
)


@pytest.mark.parametrize("seed", range(8))
def test_bracket_anchors_give_the_same_refang(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from huntfeed.extract import fang

    rnd = random.Random(seed)
    texts = ["".join(rnd.choice(_FANG_PIECES) for _ in range(rnd.randint(1, 40))) for _ in range(1500)]
    fast = [fang.fang_map(t) for t in texts]
    monkeypatch.setattr(fang, "_BR_ANCHOR_RE", re.compile(_OLD_BR_ANCHOR))
    for t, f in zip(texts, fast, strict=True):
        assert fang.fang_map(t) == f, t


# Patterns led by a literal or tried at their possible starts only, against the look-behind-led
# patterns they replaced: the same matches on random text of the characters that matter.
_OLD_HEX = r"[0-9a-fA-F]{32,}"
_OLD_UNIX = (
    r"(?<![\w/.:~])(?:~|/(?:tmp|var|etc|usr|home|opt|dev|root|Library|Users|Applications|System|bin|sbin"
    r"|private|proc|run|srv|mnt))(?:/[\w.@+-]{1,255}){1,32}"
)
_PATH_PIECES = (
    "a",
    "f",
    "0",
    "9",
    "g",
    "Z",
    "deadbeef" * 3,
    "0123456789abcdef" * 2,
    " ",
    "\n",
    "/",
    "~",
    ".",
    ":",
    "\\",
    "%",
    "_",
    "<",
    ">",
    "tmp",
    "var",
    "/etc",
    "/usr/bin",
    "~/",
    "C:",
    "c:\\",
    "%APPDATA%",
    "%%",
    "<HKLM\\Software\\",
    "HKCU\\Run",
    "C:\\Temp\\",
    "%TEMP%\\",
    "HKLM",
    "hklm",
    "HKEY_LOCAL_MACHINE",
    "hKcU",
    "\u212a",
    "Software",
    "Run",
    " x",
    "-",
    "@",
    "Program Files",
    "x.exe",
    ",",
)


def _spans(matches: object) -> list[tuple[int, int]]:
    return [m.span() for m in matches]  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", range(6))
def test_host_patterns_match_as_the_look_behind_led_ones(seed: int) -> None:
    import re

    from huntfeed.extract import scan_host as SH

    old_hex, old_unix = re.compile(_OLD_HEX), re.compile(_OLD_UNIX)
    rnd = random.Random(seed)
    for _ in range(600):
        n = "".join(rnd.choice(_PATH_PIECES) for _ in range(rnd.randint(1, 40)))
        assert _spans(P.HEX_RE.finditer(n)) == _spans(old_hex.finditer(n)), n
        assert S.hex_runs(n) == _spans(P.HEX_RE.finditer(n)), n
        assert _spans(P.UNIXPATH_RE.finditer(n)) == _spans(old_unix.finditer(n)), n
        assert _spans(SH._matches_at(P.WINPATH_RE, n, SH._winpath_starts(n))) == _spans(P.WINPATH_RE.finditer(n)), n
        got = _spans(SH._matches_at(P.UNIXPATH_RE, n, SH._unixpath_starts(n)))
        assert got == _spans(P.UNIXPATH_RE.finditer(n)), n
        got = _spans(SH._matches_at(P.REGISTRY_RE, n, SH._registry_starts(n)))
        assert got == _spans(P.REGISTRY_RE.finditer(n)), n


@pytest.mark.parametrize("seed", range(3))
def test_hive_heads_are_the_pattern_s_matches(seed: int) -> None:
    from huntfeed.extract import scan_host as SH

    rnd = random.Random(seed)
    pieces = ("H", "h", "K", "k", "\u212a", "HK", "hk", "HHKK", "x", "é", " ", "\\", "\U0001f600")
    for _ in range(3000):
        n = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 30)))
        assert SH._hive_heads(n) == [m.start() for m in SH._HIVE_HEAD_RE.finditer(n)], n


_UA_PIECES = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Mozilla/4.0 (compatible; MSIE 6.0)", "Mozilla/", "Mozilla/5.0 ",
    "xMozilla/5.0 (X11)", "_Mozilla/5.0 (a)", " AppleWebKit/537.36", " (KHTML, like Gecko)", " Chrome/120.0",
    " Safari/537.36", "(", ")", "\n", " ", "é", "Mozilla/5.0 (" + "a" * 201 + ")",
)  # fmt: skip


@pytest.mark.parametrize("seed", range(3))
def test_user_agents_found_from_their_literal_as_by_finditer(seed: int) -> None:
    from huntfeed.extract import scan_host as SH

    rnd = random.Random(seed)
    found = 0
    for _ in range(1500):
        n = "".join(rnd.choice(_UA_PIECES) for _ in range(rnd.randint(1, 12)))
        starts = [m.start() for m in SH._MOZILLA_RE.finditer(n)]
        want = _spans(P.USER_AGENT_RE.finditer(n))
        assert _spans(SH._matches_at(P.USER_AGENT_RE, n, starts)) == want, n
        found += len(want)
    assert found > 300


# What the evidence test reads: every branch of _EVIDENCE and _IP_OR_HASH, their gates, near misses.
_EVIDENCE_BITS = (
    "[.]", "(.)", "{.}", "[dot]", "[DoT]", "[at]", "[AT]", "[:]", "[://]", "[@]", "hxxp", "hXXp", "HxxP", "xxP",
    "1.2.3.4", "1.2.3", ".1.2", "10.20.30.40.5", "a1.2.3.4", "1.2.3.4a", "٣.٣.٣.٣", "1.2.3.4.",
    "d41d8cd98f00b204e9800998ecf8427e", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427",
    "g" + "a" * 32, "a" * 129, "é" + "b" * 32, "a@b.c", "a@b.C", "a@b.ſ", "@", "x@", "(", "[", "{", ".", " ",
    "word", "\u212a", "é", "€",
)  # fmt: skip


@pytest.mark.parametrize("seed", range(6))
def test_evidence_by_parts_is_the_two_patterns(seed: int) -> None:
    from huntfeed.extract import sections

    rnd = random.Random(seed)
    for _ in range(3000):
        line = "".join(rnd.choice(_EVIDENCE_BITS) for _ in range(rnd.randint(0, 6)))
        assert sections._evidence(line, 0, len(line)) is sections.evidence_reference(line), line
    for line in _EVIDENCE_BITS + _LINES:
        assert sections._evidence(line, 0, len(line)) is sections.evidence_reference(line), line


_HEADING_BITS = (
    "notes", "Note", "analysis", "ANALYSED", "recommendations", "att&ck", "author(s)", "table of  contents",
    "infection chain", "chain of events", "references", "Related research", "see also", "iocs", "IP addresses",
    "ip  address", "sha-256", "SHA1", "md5", "c2", "C&C", "command & control", "commandandcontrol", "e-mails",
    "file names", "proxies", "\u212aEY", "ſources", "İOCs", "toc", "tocs", "x", " ", "_", "-", ":", "#", "1",
    "é", "network", "networks", "ips", "ipsum",
)  # fmt: skip


@pytest.mark.parametrize("seed", range(4))
def test_grouped_heading_words_search_as_the_alternation(seed: int) -> None:
    import re

    from huntfeed.extract import sections

    pairs = [
        (sections._NARRATIVE, re.compile(sections._words(sections._NARRATIVE_WORDS))),
        (sections._REFERENCES, re.compile(sections._words(sections._REFERENCE_WORDS))),
        (sections._IOC, re.compile(sections._words(sections._IOC_WORDS))),
    ]
    rnd = random.Random(seed)
    texts = list(_LINES) + list(_HEADING_BITS)
    texts += ["".join(rnd.choice(_HEADING_BITS) for _ in range(rnd.randint(1, 5))) for _ in range(3000)]
    texts += [" ".join(rnd.choice(_HEADING_BITS) for _ in range(rnd.randint(1, 5))) for _ in range(3000)]
    for grouped, written in pairs:
        for text in texts:
            assert (grouped.search(text) is None) is (written.search(text) is None), (grouped.pattern, text)


@pytest.mark.parametrize("seed", range(4))
def test_hex_runs_are_the_pattern_runs(seed: int) -> None:
    rnd = random.Random(seed)
    bits = ("0123456789abcdef" * 2, "DEADBEEF", "a", "F", "0", "g", "x", " ", "\n", "٣", "é", "Ａ", "\ud800", "😀")
    for _ in range(2000):
        n = "".join(rnd.choice(bits) for _ in range(rnd.randint(0, 30)))
        assert S.hex_runs(n) == _spans(P.HEX_RE.finditer(n)), n


@pytest.mark.parametrize("seed", range(4))
def test_masked_runs_are_the_line_by_line_ones(seed: int) -> None:
    from huntfeed.extract import digest

    rnd = random.Random(seed)
    bits = ("a", "\n", "\n\n", "x" * 159, "y" * 160, "z" * 161, "\t", " ", "é", "\r", "\u2028", "| 1.2.3.4 |")
    for _ in range(3000):
        text = "".join(rnd.choice(bits) for _ in range(rnd.randint(0, 10)))
        assert digest._masked(text) == digest.masked_reference(text), repr(text)


# --- the refanger's plain-scheme shortcut against its pattern ------------------------------

_SCHEME_ATOMS = (
    "http", "https", "ftp", "hxxp", "hxxps", "[", "]", "(", ")", "{", "}", "://", ":", "//", "/", " ", "\t",
    "x", "é", "_", "-", "[.]", "[:]", "[://]", "(://)", "__", "\\", "tcp", "wss", "evil.com", "\n",
)  # fmt: skip


def _tokens_by_pattern(monkeypatch: pytest.MonkeyPatch, text: str) -> list[tuple[int, int, str, str]]:
    from huntfeed.extract import fang

    with monkeypatch.context() as m:
        m.setattr(fang, "_plain_scheme", lambda _text, _pos: False)  # every anchor through _SCHEME_RE
        return fang._tokens(text)


@pytest.mark.parametrize(
    "text",
    [
        "see (https://a.example/x) and [http://b.example/] or [(ftp://c.example/f",
        "[https]://x.example (hxxp)://y.example ([http://z.example",
        "a(https://x.example é(http://y.example _(ftp://z.example -[https://w.example",
        "(https:///x (http:// y [ftp://\tz (https://",
        "tcp(ftp://x.example wss[https://y.example udp::(http://z.example",
    ],
)
def test_plain_scheme_shortcut_is_the_pattern_table(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    from huntfeed.extract import fang

    assert fang._tokens(text) == _tokens_by_pattern(monkeypatch, text)


@pytest.mark.parametrize("seed", range(3))
def test_plain_scheme_shortcut_is_the_pattern_on_random_text(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    from huntfeed.extract import fang

    rnd = random.Random(seed)
    for _ in range(1500):
        text = "".join(rnd.choice(_SCHEME_ATOMS) for _ in range(rnd.choice((4, 12, 40))))
        assert fang._tokens(text) == _tokens_by_pattern(monkeypatch, text), repr(text)


def test_unixpath_heads_are_the_pattern_folders() -> None:
    # The start finder's folder names are UNIXPATH_RE's own: one more there would be missed.
    assert "/)(?:" + P.UNIXPATH_DIRS + "))(?:/" in P.UNIXPATH_RE.pattern
    assert P.UNIXPATH_HEAD_RE.pattern == "/(?:" + P.UNIXPATH_DIRS + ")"


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("", []),
        ("run ~/x.sh then /tmp/a/b and /usr/bin/id", ["~/x.sh", "/tmp/a/b", "/usr/bin/id"]),
        ("x/tmp/a, ~~/a, ./tmp/a, http://h/tmp/a", []),  # after a word, '~', '.', or inside a URL
        ("~/a+/usr/b " + "/x" * 40, ["~/a+/usr/b"]),
        ("a+/usr" + "/b" * 40, ["/usr" + "/b" * 32]),  # 32 segments at most: the rest after a word
    ],
)
def test_unix_paths_table(text: str, paths: list[str]) -> None:
    from huntfeed.extract import scan as S2
    from huntfeed.extract import scan_host as SH

    got: list[tuple[int, int, object, str, str]] = []
    ctx = S2.Ctx(text, text[::-1], got.append, S2._Spans([]), [], [], [], [])
    if "http://" in text:
        spans, hosts = S2._urls(text, text[::-1], [].append)
        ctx = S2.Ctx(text, text[::-1], got.append, S2._Spans(spans), hosts, [], [], [])
    SH.unix_paths(ctx)
    assert [o[3] for o in got] == paths
