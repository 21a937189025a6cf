"""Daily digest: the day's profiles grouped by severity, with the day's top techniques."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import jinja2

from huntfeed.environment.report import BlindSpot, affecting, blind_spots
from huntfeed.indicators import count_iocs
from huntfeed.model import Profile, Severity
from huntfeed.render.ioc_format import utc
from huntfeed.render.markdown import _CONTROL, md_url, show_bidi


@dataclass(frozen=True, slots=True)
class TechniqueCount:
    """A technique and how many of the day's profiles cite it."""

    id: str
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class Digest:
    """What a digest shows, independent of its format."""

    day: date
    groups: tuple[tuple[Severity, tuple[Profile, ...]], ...]
    top_techniques: tuple[TechniqueCount, ...]
    total: int
    # With an environment file: the profiles that touch the team lead, then its blind spots.
    with_environment: bool = False
    affects_us: tuple[Profile, ...] = ()
    blind_spots: tuple[BlindSpot, ...] = ()


def profiles_of_day(profiles: Sequence[Profile], day: date) -> list[Profile]:
    """Profiles analysed on ``day`` (UTC)."""
    return [p for p in profiles if utc(p.analysed_at).date() == day]


def build(profiles: Sequence[Profile], day: date, *, top: int = 10) -> Digest:
    """The digest of ``profiles`` for ``day`` (the caller picks which profiles belong to the day)."""
    groups = tuple(
        (sev, tuple(sorted((p for p in profiles if p.severity is sev), key=lambda p: p.title.lower())))
        for sev in sorted(Severity, key=lambda s: s.rank, reverse=True)
    )
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    for p in profiles:
        for h in p.techniques:
            names.setdefault(h.id, h.name)
        counts.update({h.id for h in p.techniques})
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return Digest(day=day, groups=tuple(g for g in groups if g[1]),
                  top_techniques=tuple(TechniqueCount(t, names[t], n) for t, n in ranked),
                  total=len(profiles), with_environment=any(p.relevance is not None for p in profiles),
                  affects_us=tuple(affecting(profiles)), blind_spots=tuple(blind_spots(profiles)))


_POINTS = re.compile(r"(?:\(|:\s*)([+-]\d+(?:\.\d+)?)\)?\.?$")


def brief_reasons(profile: Profile) -> str:
    """The severity reasons in one line: each reason's headline and points, the lists left to the profile."""
    out = []
    for reason in profile.score.reasons:
        head = reason.split(":", 1)[0].rstrip(". ")
        points = _POINTS.search(reason)
        out.append(f"{head} ({points.group(1)})" if points and ":" in reason else head)
    return " · ".join(out)


def _md_escape(text: str) -> str:
    """Neutralise Markdown and HTML syntax in feed text shown inside a Markdown digest."""
    out = _CONTROL.sub("", show_bidi(text)).replace("\\", "\\\\")
    for ch in "`*_[]<>#|!":
        out = out.replace(ch, "\\" + ch)
    return " ".join(out.split())


def _env(fmt: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("huntfeed.render", "templates"),
        autoescape=fmt == "html", trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
    )
    env.filters["md"] = _md_escape
    env.filters["md_url"] = md_url  # only http(s) becomes an autolink; javascript:/data: stay inert
    env.globals["brief_reasons"] = brief_reasons
    env.globals["high_iocs"] = lambda p: count_iocs(p.indicators)  # CVE ids are not IOCs
    return env


def render(profiles: Sequence[Profile], day: date, fmt: str = "md") -> str:
    """The digest of ``day`` as Markdown (``md``) or a standalone HTML page (``html``)."""
    if fmt not in ("md", "html"):
        raise ValueError(f"unknown digest format {fmt!r}")
    digest = build(profiles_of_day(profiles, day), day)
    return _env(fmt).get_template(f"digest.{fmt}.j2").render(d=digest)
