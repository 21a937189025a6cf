"""Does an article touch the team? Products it runs (in the text or behind a KEV CVE), its sectors and regions.

A pure function of the article's text, its CVEs, the KEV catalog's product names and the
environment; every match carries its reason and the sentence it rests on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from huntfeed.attack.text import Sentence, split_sentences
from huntfeed.environment.spec import Environment, Place, Product
from huntfeed.hunts.yamlfile import LineDict, load_yaml
from huntfeed.model import RelevanceMatch
from huntfeed.paths import package_data

KevProducts = Mapping[str, tuple[str, str]]  # CVE id -> (vendorProject, product)
_VERSION = re.compile(r"\s*(?:version\s+|v)?(\d+(?:\.\d+){0,3})\b", re.IGNORECASE)
_CVE = re.compile(r"\bCVE-\d{4}-\d{4,7}\b", re.IGNORECASE)
_MAX_EVIDENCE = 300


@lru_cache(maxsize=512)
def _words(terms: tuple[str, ...]) -> re.Pattern[str]:
    alts = sorted((re.escape(t) for t in terms if t), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(alts) + r")(?![\w-])", re.IGNORECASE)


def _trim(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_EVIDENCE else flat[: _MAX_EVIDENCE - 1] + "…"


@lru_cache(maxsize=1)
def victim_cues() -> re.Pattern[str]:
    """Words that make a sentence about a victim (data/environment/places.yaml)."""
    doc = load_yaml(package_data("environment", "places.yaml"))
    cues = doc.get("victim_cues", []) if isinstance(doc, LineDict) else []
    return _words(tuple(str(c).lower() for c in cues))


def _version_note(product: Product, sentence: str, end: int) -> str:
    m = _VERSION.match(sentence, end)
    if not product.versions:
        return ", which you run"
    if not m:
        return f", which you run ({'/'.join(product.versions)})"
    named = m.group(1)
    if any(named == v or named.startswith(v + ".") or v.startswith(named + ".") for v in product.versions):
        return f" {named}, which you run"
    return f" {named}; you run {'/'.join(product.versions)}"


def product_matches(text: str, env: Environment, sentences: list[Sentence] | None = None) -> list[RelevanceMatch]:
    """Products of the environment named in the text, one match per product (first sentence)."""
    out = []
    sentences = split_sentences(text) if sentences is None else sentences
    for product in env.products:
        pattern = _words(product.names)
        if not pattern.search(text):  # most products are not named: one scan of the text says so
            continue
        # A sentence naming a version the team runs says most; else the first mention (a version named
        # elsewhere may be the fixed one: "upgrade to 12.4.3" is no claim about what is affected).
        best: tuple[str, str] | None = None
        for s in sentences:
            m = pattern.search(s.text)
            if m is None:
                continue
            note = _version_note(product, s.text, m.end())
            candidate = (f"names {m.group(0)}{note}", s.text)
            if best is None:
                best = candidate
            if product.versions and note.endswith(", which you run") and note != ", which you run":
                best = candidate
                break
        if best is not None:
            out.append(RelevanceMatch("product", product.label, best[0], _trim(best[1])))
    return out


def _kev_names_product(kev: tuple[str, str], product: Product) -> bool:
    vendor, name = (kev[0].lower(), kev[1].lower())
    if product.vendor and product.vendor.lower() not in vendor and vendor not in product.vendor.lower():
        return False
    return any(n.lower() in name or name in n.lower() for n in product.names)


def kev_matches(text: str, cves: tuple[str, ...], kev: KevProducts, env: Environment,
                already: set[str], sentences: list[Sentence] | None = None) -> list[RelevanceMatch]:
    """Products the team runs that a named CVE's KEV entry is about (and the text did not name already)."""
    out = []
    sentences = split_sentences(text) if sentences is None else sentences
    for cve in cves:
        entry = kev.get(cve)
        if entry is None:
            continue
        for product in env.products:
            if product.label in already or not _kev_names_product(entry, product):
                continue
            sentence = next((s.text for s in sentences if cve.lower() in s.text.lower()), "")
            reason = f"{cve} is listed in CISA's KEV for {entry[0]} {entry[1]}, which you run ({product.label})"
            out.append(RelevanceMatch("product", product.label, reason, _trim(sentence)))
            already.add(product.label)
    return out


def place_matches(text: str, places: tuple[Place, ...], kind: str,
                  sentences: list[Sentence] | None = None) -> list[RelevanceMatch]:
    """Sectors or regions named in a sentence about a victim, one match each."""
    out: list[RelevanceMatch] = []
    patterns = [(place, _words(place.terms)) for place in places]
    patterns = [(place, pattern) for place, pattern in patterns if pattern.search(text)]
    if not patterns:
        return out
    cues = victim_cues()
    victims = [s for s in (split_sentences(text) if sentences is None else sentences) if cues.search(s.text)]
    for place, pattern in patterns:
        for s in victims:
            m = pattern.search(s.text)
            if m:
                reason = f"names a victim in {place.name} ({m.group(0)!r})"
                out.append(RelevanceMatch(kind, place.name, reason, _trim(s.text)))
                break
    return out


def assess(text: str, cves: tuple[str, ...], kev: KevProducts, env: Environment) -> tuple[RelevanceMatch, ...]:
    """Every way the article touches the team, products first."""
    sentences = split_sentences(text)
    products = product_matches(text, env, sentences)
    named = {m.name for m in products}
    all_cves = tuple(sorted({c.upper() for c in cves} | {c.upper() for c in _CVE.findall(text)}))
    products += kev_matches(text, all_cves, kev, env, named, sentences)
    return tuple(products + place_matches(text, env.sectors, "sector", sentences)
                 + place_matches(text, env.regions, "region", sentences))
