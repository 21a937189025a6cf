"""Indicator patterns, applied to refanged text.

Built from small named fragments (label, host, octet) so each pattern reads as its grammar.
Every repetition is bounded and alternatives are disjoint at their first character where it
matters, so matching stays linear in the input (see tests/test_extract_redos.py).
"""

from __future__ import annotations

import re

# Word characters include Unicode letters, so IDN labels (вирус.рф) match as written.
LABEL = r"[\w](?:[\w-]{0,61}[\w])?"
TLD = r"(?:[^\W\d_][\w-]{0,23}[^\W_]|xn--[a-z0-9-]{1,59})"
DOMAIN = rf"(?:{LABEL}\.){{1,12}}{TLD}"
OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|0?[1-9]\d|0{0,2}\d)"
IPV4 = rf"{OCTET}\.{OCTET}\.{OCTET}\.{OCTET}"

URL_SCHEMES = r"(?:https?|ftps?|sftp|file|telnet|ldaps?|smb|wss?|rdp|ssh|tcp|udp|git)"

# A URL runs until whitespace, a quote, an angle bracket or a closing square bracket; trailing
# punctuation and unbalanced closing parentheses are trimmed by the engine afterwards.
URL_RE = re.compile(
    rf"(?i)(?<![\w.+-]){URL_SCHEMES}://[^\s\"'<>`\]\[{{}}|\\^]{{1,2048}}",
)
# Scheme-less URL: a host followed by a path.
BARE_URL_RE = re.compile(
    rf"(?<![\w.@/:%-])(?:{DOMAIN}|{IPV4})(?::\d{{1,5}})?/[^\s\"'<>`\]\[{{}}|\\^]{{1,2048}}",
)
DOMAIN_RE = re.compile(rf"(?:(?<=%2[Ff])|(?<=%3[Aa])|(?<=%40)|(?<![\w%-])){DOMAIN}(?![\w-]|\.[\w-])")
IPV4_RE = re.compile(rf"(?<![\w.]){IPV4}(?!\.?[\w]|\.\d)")
IPV6_RE = re.compile(
    r"(?:(?<=ipv6:)|(?<=IPv6:)|(?<![\w:.]))"
    r"(?:[0-9a-fA-F]{1,4}:|::?){1,7}(?:[0-9a-fA-F]{1,4}|:|(?<=:)\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})"
    r"(?![\w:]|\.\w)"
)
EMAIL_RE = re.compile(
    rf"(?<![\w.+%])(?P<local>[\w](?:[\w.+%'-]{{0,63}})?(?:\([^()\s@]{{1,64}}\))?)"
    rf"@(?P<host>{DOMAIN}(?![\w-]|\.[\w-])|\[{IPV4}\]|\[(?i:ipv6):[0-9a-fA-F:.]{{2,45}}\])"
)
HEX_RE = re.compile(r"(?:(?<=0x)|(?<=0X)|(?<![0-9A-Za-z]))[0-9a-fA-F]{32,128}(?![0-9a-fA-F])")
HASH_LABEL_RE = re.compile(r"(?i)(?:imphash|import hash|authentihash|ssdeep|tlsh|ja3s?|ja4\w*)[\s:=\-]{0,6}$")
CVE_RE = re.compile(r"(?i)(?<![\w-])cve[-_ ]?(\d{4})[-_ ](\d{4,7})(?!\d)")
ATTACK_RE = re.compile(r"(?<![\w.])(?:[Tt][Aa]?\d{4}(?:\.\d{3})?|M1\d{3})(?!\w|\.\d)")
ASN_RE = re.compile(r"(?<![\w])(?:(?i:asn?)(\d{1,10})|(?:AS|ASN|asn|Asn) (\d{1,10}))(?![\w])")
BITCOIN_RE = re.compile(r"(?<![\w])(?:[13][a-km-zA-HJ-NP-Z1-9]{25,34}|bc1[a-z0-9]{25,87})(?![\w])")
MONERO_RE = re.compile(r"(?<![\w])4[0-9AB][1-9A-HJ-NP-Za-km-z]{93}(?![\w])")
_REG_PART = r"[^\\\s\"'<>|\u201c\u201d]{1,255}"
REGISTRY_RE = re.compile(
    r"(?i)(?<![\w])<?(?:HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKEY_CLASSES_ROOT|HKEY_USERS|HKEY_CURRENT_CONFIG"
    r"|HKLM|HKCU|HKCR|HKU|HKCC)>?"
    # Inner parts may hold single spaces ("Windows NT"); the last part may not ("...\\Run key").
    rf"(?:\\{_REG_PART}(?: {_REG_PART}){{0,6}}(?=\\)){{0,32}}\\{_REG_PART}"
)
WINPATH_RE = re.compile(r"(?<![\w])(?:[A-Za-z]:|%[A-Za-z_]{2,32}%)(?:\\[^\\/:*?\"<>|\r\n\t ]{1,255}){1,32}")
UNIXPATH_RE = re.compile(
    r"(?<![\w/.:~])(?:~|/(?:tmp|var|etc|usr|home|opt|dev|root|Library|Users|Applications|System|bin|sbin"
    r"|private|proc|run|srv|mnt))(?:/[\w.@+-]{1,255}){1,32}"
)
FILE_EXTS = (
    "exe|dll|sys|scr|cpl|msi|msix|msp|lnk|bat|cmd|ps1|psm1|psd1|vbs|vbe|js|jse|wsf|wsh|hta|jar|"
    "py|sh|elf|bin|so|dylib|apk|ipa|dmg|pkg|iso|img|vhd|vhdx|zip|rar|7z|gz|tgz|tar|cab|docm|xlsm|"
    "pptm|doc|docx|xls|xlsx|ppt|pptx|rtf|pdf|one|chm|url|inf|reg|aspx|asp|php|jsp|jspx|ashx|xll|"
    "wll|ocx|drv|tmp|dat|pif|appref-ms|library-ms|search-ms|application|gadget|msc"
)
FILENAME_RE = re.compile(
    rf"(?i)(?<![\w\\/.%@-])[\w][\w-]{{0,80}}(?:\.[\w-]{{1,40}}){{0,3}}\.(?:{FILE_EXTS})(?![\w-]|\.\w)"
)
JA3_LABEL_RE = re.compile(r"(?i)\bja3s?\b[^\n]{0,40}$")
JA4_RE = re.compile(r"(?<![\w])[tqd]\d{2}[di]\d{4}[a-z0-9]{2}_[0-9a-f]{12}_[0-9a-f]{12}(?![\w])")
USER_AGENT_RE = re.compile(
    r"(?<![\w])Mozilla/\d\.\d \([^()\n]{1,200}\)(?:[ ][\w.]{1,40}(?:/[\w.+-]{1,40})?(?: \([^()\n]{1,200}\))?){0,8}"
)
