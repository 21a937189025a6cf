"""Indicator patterns, applied to refanged text.

Built from small named fragments (label, host, octet) so each pattern reads as its grammar.
No repetition nests another that can match the same text, and every one is bounded except the
hex run (a single character class with nothing after it), so matching stays linear in the input
(see tests/test_extract_props.py::test_redos_budget).
"""

from __future__ import annotations

import re

from huntfeed.extract import rx as _rx

# Word characters include Unicode letters, so IDN labels (вирус.рф) match as written.
LABEL = r"[\w](?:[\w-]{0,61}[\w])?"
TLD = r"(?:[^\W\d_][\w-]{0,23}[^\W_]|xn--[a-z0-9-]{1,59})"
DOMAIN = rf"(?:{LABEL}\.){{1,12}}{TLD}"
OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|0?[1-9]\d|0{0,2}\d)"
IPV4 = rf"{OCTET}\.{OCTET}\.{OCTET}\.{OCTET}"

URL_SCHEMES = frozenset(
    [
        "http",
        "https",
        "ftp",
        "ftps",
        "sftp",
        "file",
        "telnet",
        "ldap",
        "ldaps",
        "smb",
        "ws",
        "wss",
        "rdp",
        "ssh",
        "tcp",
        "udp",
        "git",
    ]
)
# Patterns start with a literal or a small class, never with a look-behind: Python's engine then
# skips quickly to candidate positions. Boundaries are checked by a look-behind placed after the
# first character (or in code), which gives the same matches at several times the speed.
_URL_TAIL = r"[^\s\"'<>`\]\[{}|\\^]{1,2048}"
URL_SEP_RE = _rx.compile(r"://")
REV_SCHEME_RE = _rx.compile(r"[A-Za-z0-9+.-]{1,10}")
URL_REST_RE = _rx.compile("://" + _URL_TAIL)
# Domains are found from their first dot rightwards, then the first label is taken from the left.
DOMAIN_TAIL_RE = _rx.compile(rf"\.(?:{LABEL}\.){{0,11}}({TLD})(?![\w-]|\.[\w-])")  # group 1: the TLD
# Read leftwards by matching forwards in the reversed text: no scanning, no quadratic retries.
REV_LABEL_RE = _rx.compile(r"[\w-]{1,63}")
BARE_TAIL_RE = _rx.compile(r"(?::\d{1,5})?/" + _URL_TAIL)
# Found from the dot after the first octet (a literal: the engine skips to it), the first octet
# then read leftwards in code; a pattern led by \d would try every position of the text.
IPV4_TAIL_RE = _rx.compile(r"\.(?<=\d\.)\d{1,3}\.\d{1,3}\.\d{1,3}")
IPV4_FULL_RE = _rx.compile(IPV4)
IPV6_GATE_RE = _rx.compile(r"::|:[0-9a-fA-F]{1,4}:")
# The characters an IPV6_RE match is made of (\d: the dotted tail's digits, any script's).
IPV6_RUN_RE = _rx.compile(r"[0-9a-fA-F:.\d]*")
IPV6_RE = _rx.compile(
    r"(?:(?<=ipv6:)|(?<=IPv6:)|(?<![\w:.]))"
    r"(?:[0-9a-fA-F]{1,4}:|::?){1,7}(?:[0-9a-fA-F]{1,4}|:|(?<=:)\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})"
    r"(?![\w:]|\.\w)"
)
# E-mail addresses are found from their '@': the local part is read leftwards, the host rightwards.
AT_RE = _rx.compile(r"@")
REV_LOCAL_RE = _rx.compile(r"(?:\)[^()\s@]{1,64}\()?[\w.+%'-]{1,64}")
EMAIL_HOST_RE = _rx.compile(rf"{DOMAIN}(?![\w-]|\.[\w-])|\[{IPV4}\]|\[(?i:ipv6):[0-9a-fA-F:.]{{2,45}}\]")
# A run of hex digits; its boundaries (no letter or digit before unless "0x", a length of 32, 40,
# 64 or 128) are checked in code, which scans faster than look-arounds in the pattern.
# Tried only at a run's first digit (the look-behind, after that digit, reads the one before):
# the matches are the same maximal runs, without retrying each shorter run from every position.
HEX_RE = _rx.compile(r"[0-9a-fA-F](?<![0-9a-fA-F][0-9a-fA-F])[0-9a-fA-F]{31,}")
# The same maximal runs, found in a byte copy of the text with every hex digit written "h" and
# every other character a space: 32 "h" in a row are a literal the engine skips to, where HEX_RE
# is led by a class and tried at every hex digit of the text (22 -> 9 ms per 1.5 MB of digests).
HEX_CLASS = bytes(0x68 if chr(i) in "0123456789abcdefABCDEF" else 0x20 for i in range(256))
HEX_RUN_RE = _rx.compile(b"h" * 32 + b"h*")
HASH_LABEL_RE = _rx.compile(r"(?i)(?:imphash|import hash|authentihash|ssdeep|tlsh|ja3s?|ja4\w*)[\s:=\-]{0,6}$")
CVE_WORDS = ("CVE", "cve", "Cve")  # each pattern's leading literal: a text without it skips the pass
CVE_RES = tuple(_rx.compile(w + r"(?<![\w-]" + w + r")[-_ ]?(\d{4})[-_ ](\d{4,7})(?!\d)") for w in CVE_WORDS)
ATTACK_RES = (
    _rx.compile(r"T(?<![\w.]T)A?\d{4}(?:\.\d{3})?(?!\w|\.\d)"),
    _rx.compile(r"t(?<![\w.]t)a?\d{4}(?:\.\d{3})?(?!\w|\.\d)"),
    _rx.compile(r"M(?<![\w.]M)1\d{3}(?!\w|\.\d)"),
)
ASN_RES = (
    _rx.compile(r"AS(?<![\w]AS)N? ?(\d{1,10})(?!\w)"),
    _rx.compile(r"asn(?<![\w]asn) ?(\d{1,10})(?!\w)"),
    _rx.compile(r"as(?<![\w]as)(\d{1,10})(?!\w)"),
)
# One literal-led pattern per address prefix: an alternation led by a character class scans slower.
BITCOIN_RES = tuple(
    _rx.compile(p)
    for p in (
        r"1(?<![\w]1)[a-km-zA-HJ-NP-Z1-9]{25,34}(?![\w])",
        r"3(?<![\w]3)[a-km-zA-HJ-NP-Z1-9]{25,34}(?![\w])",
        r"bc1(?<![\w]bc1)[a-z0-9]{25,87}(?![\w])",
    )
)
MONERO_RE = _rx.compile(r"4(?<![\w]4)[0-9AB][1-9A-HJ-NP-Za-km-z]{93}(?![\w])")
_REG_PART = r"[^\\\s\"'<>|\u201c\u201d]{1,255}"
_REG_WORD = r"[^\\\s\"'<>|:\u201c\u201d]{1,255}"
REGISTRY_RE = _rx.compile(
    r"(?i)(?<![\w])<?(?:HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKEY_CLASSES_ROOT|HKEY_USERS|HKEY_CURRENT_CONFIG"
    r"|HKLM|HKCU|HKCR|HKU|HKCC)>?"
    # Inner parts may hold single spaces ("Windows NT"); the last part may not ("...\\Run key").
    # A spaced word holds no ':' ("HKLM\\SAM C:\\Temp\\sam.save": the key ends, a file path follows).
    rf"(?:\\{_REG_PART}(?: {_REG_WORD}){{0,6}}(?=\\)){{0,32}}\\{_REG_PART}"
)
# Reversed-DNS ids (Android packages, Apple bundles): lower-case Java-style labels, no hyphen,
# three or more, led by a generic TLD: one pattern per head, each led by its literal.
PACKAGE_RES = tuple(
    _rx.compile(
        rf"{head}\.(?<=(?<![\w.@/\\-]){head}\.)[a-z][a-z0-9_]{{0,62}}(?:\.[a-z][a-z0-9_]{{0,62}}){{1,8}}(?![\w-]|\.\w)"
    )
    for head in ("com", "org", "net", "io")
)
# The tail of a GUID after its first group (8 hex digits, checked in code): led by the literal '-'.
GUID_TAIL_RE = _rx.compile(r"-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Za-z-])")
ENTRY_POINT_RE = _rx.compile(r"(?i)(\.(?:dll|cpl|ocx|exe|ax)),#?[A-Za-z_]\w{0,63}$")
WINPATH_CONT_RE = _rx.compile(r"(?: [\w.()&+-]{1,30}){1,3}(?:\\[^\\/:*?\"<>|\r\n\t ]{1,255}){1,32}")
WINPATH_RE = _rx.compile(r"(?<![\w])(?:[A-Za-z]:|%[A-Za-z_]{2,32}%)(?:\\[^\\/:*?\"<>|\r\n\t ]{1,255}){1,32}")
# Led by its two literals, the boundary checked by a look-behind after them: the engine skips to
# '~' and '/' instead of trying the look-behind at every position (same matches).
UNIXPATH_DIRS = "tmp|var|etc|usr|home|opt|dev|root|Library|Users|Applications|System|bin|sbin|private|proc|run|srv|mnt"
UNIXPATH_RE = _rx.compile(r"(?:~(?<![\w/.:~]~)|/(?<![\w/.:~]/)(?:" + UNIXPATH_DIRS + r"))(?:/[\w.@+-]{1,255}){1,32}")
REGISTRY_GATE = "HK"
# The words the scanners test the text for before a pattern pass (Ctx.holds): found in one pass.
GATE_WORDS = ("HK", "hk", ":\\", "%\\", "~/", "Mozilla/")
# Lower-case hives are rare, and "hk" is common inside random host names: look closer first.
REGISTRY_LOWER_GATE_RE = _rx.compile(r"hk(?<![\w]hk)(?:ey_|lm|cu|cr|u|cc)")
# Where a UNIXPATH_RE match can start: a '~', or a '/' before one of its folder names. Each is a
# literal-led pass; UNIXPATH_RE itself, led by an alternation, is tried at every position.
UNIXPATH_TILDE_RE = _rx.compile("~")
UNIXPATH_HEAD_RE = _rx.compile(r"/(?:" + UNIXPATH_DIRS + ")")
UNIXPATH_GATE_RE = _rx.compile(r"/(?:" + UNIXPATH_DIRS + ")/")
JA4_GATE_RE = _rx.compile(r"_[0-9a-f]{12}_")
FILE_EXTS = (
    "exe|dll|sys|scr|cpl|msi|msix|msp|lnk|bat|cmd|ps1|psm1|psd1|vbs|vbe|js|jse|wsf|wsh|hta|jar|"
    "py|sh|elf|bin|so|dylib|apk|ipa|dmg|pkg|iso|img|vhd|vhdx|zip|rar|7z|gz|tgz|tar|cab|docm|xlsm|"
    "pptm|doc|docx|xls|xlsx|ppt|pptx|rtf|pdf|one|chm|url|inf|reg|aspx|asp|php|jsp|jspx|ashx|xll|"
    "wll|ocx|drv|tmp|dat|pif|appref-ms|library-ms|search-ms|application|gadget|msc"
)


def _by_first_letter(words: list[str]) -> str:
    """An alternation grouped by first character: the engine then tests each word's first letter
    once per group instead of once per word (a flat list of 70 words made every dot cost 70 tests)."""
    groups: dict[str, list[str]] = {}
    for w in words:
        groups.setdefault(w[0], []).append(re.escape(w[1:]))
    return "(?:" + "|".join(re.escape(c) + "(?:" + "|".join(rest) + ")" for c, rest in groups.items()) + ")"


# File names are found from their extension ("." + ext) and extended to the left in code; lower-
# and upper-case spellings only (IGNORECASE would slow the scan and take "Excel.Application").
FILE_EXT_RE = _rx.compile(
    r"\." + _by_first_letter(FILE_EXTS.split("|") + FILE_EXTS.upper().split("|")) + r"(?![\w-]|\.\w)"
)
REV_FILE_RE = _rx.compile(r"[\w.-]{1,121}")
JA4_RE = _rx.compile(r"(?<![\w])[tqd]\d{2}[di]\d{4}[a-z0-9]{2}_[0-9a-f]{12}_[0-9a-f]{12}(?![\w])")
USER_AGENT_RE = _rx.compile(
    r"(?<![\w])Mozilla/\d\.\d \([^()\n]{1,200}\)"
    r"(?:[ ][\w.]{1,40}(?:/[\w.+-]{1,40})?(?: \([^()\n]{1,200}\))?){0,8}"
)
