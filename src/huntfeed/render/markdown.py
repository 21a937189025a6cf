"""Markdown profile: every section of the reference profile, and more, from a Jinja2 template.

Everything in a profile comes from strangers' pages, so values are made inert for Markdown:
code spans and fences grow longer than any backtick run inside them, and text outside code
has Markdown and HTML metacharacters escaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import jinja2

from huntfeed.extract import defang
from huntfeed.model import Fidelity, Indicator, Profile, TextSource

# Characters that open inline Markdown/HTML anywhere; "_" only where it can start or end emphasis.
# ">" only starts a blockquote at a line start (handled below); with "<" escaped it cannot close a tag.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<~]|(?<!\w)_|_(?!\w))")
_MD_LINE_START = re.compile(r"^(\d*)([#+=>.)-])")
# Control characters (terminal escapes, NUL) and bidi overrides have no business in a report.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Bidi controls reorder what a reader sees ("exe.txt" shown for "txt.exe"); in prose they are shown, named.
_BIDI = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def show_bidi(text: str) -> str:
    """Each bidi control replaced by its visible name, e.g. ``(U+202E)``."""
    return _BIDI.sub(lambda m: f"(U+{ord(m.group(0)):04X})", text)

PHASE_LABELS = {
    "reconnaissance": "Reconnaissance",
    "weaponization": "Weaponization",
    "delivery": "Delivery",
    "exploitation": "Exploitation",
    "installation": "Installation",
    "command-and-control": "Command & Control",
    "actions-on-objectives": "Actions on Objectives",
}

TEXT_SOURCE_LABELS = {
    TextSource.RSS_SUMMARY: "the RSS summary",
    TextSource.FEED_CONTENT: "the feed's full content",
    TextSource.FULL_ARTICLE: "the full article",
    TextSource.DOCUMENT: "the document",
}


def md_text(value: object) -> str:
    """Inline text with Markdown/HTML metacharacters escaped and line breaks flattened."""
    flat = " ".join(_CONTROL.sub("", show_bidi(str(value))).split())
    escaped = _MD_SPECIAL.sub(r"\\\1", flat)
    return _MD_LINE_START.sub(r"\1\\\2", escaped)


def md_code(value: object) -> str:
    """An inline code span that no backtick in the value can close early."""
    text = " ".join(_CONTROL.sub("", str(value)).split())
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_fence(value: object, lang: str = "") -> str:
    """A fenced block longer than any backtick run in the value."""
    text = _CONTROL.sub("", str(value)).rstrip("\n")
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


_URL_UNSAFE = re.compile(r"[\s<>\\`]")


def md_url(value: object) -> str:
    """A clickable autolink for http(s) URLs only; any other scheme (javascript:, data:, file:) stays inert code."""
    url = _CONTROL.sub("", str(value)).strip()
    if not re.match(r"(?i)^https?://[^\s/]", url):
        return md_code(url) + " (not a web link)" if url else "_(no link)_"
    return "<" + _URL_UNSAFE.sub(lambda m: f"%{ord(m.group(0)):02X}", url) + ">"


def md_quote(value: object, limit: int = 400) -> str:
    """A one-line block quote of evidence, trimmed."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "> " + md_text(text)


def _defanged(i: Indicator) -> str:
    return defang(i.value, i.type)


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("huntfeed.render", "templates"),
        autoescape=False,  # Markdown, not HTML: escaping is done by the md_* filters
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(md_text=md_text, md_code=md_code, md_fence=md_fence, md_quote=md_quote, md_url=md_url,
                       defanged=_defanged)
    return env


def render(profile: Profile) -> str:
    """One profile as Markdown."""
    high = [i for i in profile.indicators if i.fidelity is Fidelity.HIGH]
    by_type: dict[str, list[Indicator]] = {}
    for ind in high:
        by_type.setdefault(ind.type.value, []).append(ind)
    text = _env().get_template("profile.md.j2").render(
        p=profile,
        by_type=by_type,
        n_high=len(high),
        n_low=len(profile.indicators) - len(high),
        phase_labels=PHASE_LABELS,
        text_source_label=TEXT_SOURCE_LABELS[profile.text_source],
        published=profile.published.date().isoformat() if profile.published else "unknown",
    )
    return re.sub(r"\n{3,}", "\n\n", text)


def render_many(profiles: Sequence[Profile]) -> str:
    """Several profiles, separated by rules."""
    return "\n---\n\n".join(render(p) for p in profiles)
