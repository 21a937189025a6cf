"""Markup around a value: Markdown emphasis, image and link syntax, AsciiDoc link text.

The scanner asks these while it reads; each answer is a role the fidelity rules act on.
"""

from __future__ import annotations


def emphasis(n: str, s: int, e: int) -> bool:
    """True when n[s:e] is wrapped in Markdown emphasis underscores: _1.2.3.4_, __1.2.3.4__."""
    k = s
    while k > 0 and s - k < 2 and n[k - 1] == "_":
        k -= 1
    if k == s or (k > 0 and not (n[k - 1].isspace() or n[k - 1] in "*(['\"|")):
        return False
    return n[e : e + (s - k)] == "_" * (s - k) and (e + s - k >= len(n) or not n[e + s - k].isalnum())


def link_role(n: str, s: int, e: int, value: str, hs: int, he: int) -> str:
    """'image' for a Markdown image, 'link' for a citation link whose text is not the URL itself.

    ``![alt](url)`` embeds a picture of the page; ``[text](url)`` and AsciiDoc ``url[text]`` cite
    other work. ``[evil.com](http://evil.com)`` is an auto-linked indicator, not a citation.
    """
    if s >= 2 and n[s - 2 : s] == "](":
        k = n.rfind("[", max(0, s - 300), s - 2)
        if k < 0:
            return ""
        if k > 0 and n[k - 1] == "!":
            return "image"
        label = n[k + 1 : s - 2].strip().lower()
    elif e < len(n) and n[e] == "[":
        close = n.find("]", e, e + 300)
        label = n[e + 1 : close].strip().lower() if close > 0 else ""
        if not label:
            return ""
    else:
        return ""
    host = value[hs:he].lower()
    # The text is the address itself (an auto-link) when it reads as one: a dotted word, no spaces.
    shown = "." in label and " " not in label and (label in value.lower() or host in label)
    return "" if shown else "link"
