"""The hunt library: use cases and imported Sigma rules, loaded once, converted lazily, matched."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from huntfeed.hunts.compiled import QueryCache, Scan, TriggerIndex, context_key, defender_tables_for_sentinel
from huntfeed.hunts.exploitation import ExploitationCues, load_exploitation_cues
from huntfeed.hunts.imported import ImportedRule
from huntfeed.hunts.imported_rank import imported_hunts
from huntfeed.hunts.match import Evidence, Fired, fill_slots, match_usecase, phrase_pattern, rank
from huntfeed.hunts.platforms import PlatformCues, load_platform_cues
from huntfeed.hunts.prepared import prepared_usecases
from huntfeed.hunts.sweeps import build_sweeps
from huntfeed.hunts.usecase import TARGETS, UseCase
from huntfeed.model import Hunt, Indicator, Inference
from huntfeed.paths import package_data

MAX_USECASES = 8


@dataclass
class HuntLibrary:
    """Use cases plus imported rules; converted queries are cached for the life of the object."""

    usecases: tuple[UseCase, ...]
    imported: tuple[ImportedRule, ...] = ()
    platforms: PlatformCues = field(default_factory=load_platform_cues, repr=False)
    exploitation: ExploitationCues = field(default_factory=load_exploitation_cues, repr=False)
    _patterns: dict[str, re.Pattern[str] | None] = field(default_factory=dict, repr=False)
    _queries: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)
    _index: TriggerIndex | None = field(default=None, init=False, repr=False)  # built on first use
    _cache: QueryCache | None = field(default=None, init=False, repr=False)
    # The platforms the last fired text names (text, platforms): hunts_for needs them again.
    _named: tuple[str, frozenset[str]] = field(default=("", frozenset()), init=False, repr=False)

    @classmethod
    def load(cls, path: Path | None = None, *, imports: Path | None = None,
             packs: tuple[str, ...] | None = None) -> HuntLibrary:
        """Load the use cases in ``path`` (default: the bundled library), the opt-in packs (``packs``;
        None: those the config file enables, hunts.packs) and any imported Sigma rules."""
        from huntfeed.hunts.imported import load_imported
        from huntfeed.hunts.packs import configured_packs, load_packs, with_packs

        cases = prepared_usecases(path or package_data("usecases"))  # load_usecases, kept as JSON once
        cases = with_packs(cases, load_packs(configured_packs() if packs is None else packs))
        lib = cls(cases, load_imported(imports))
        for uc in cases:
            lib._patterns[uc.id] = phrase_pattern(uc.triggers.phrases)
        return lib

    def get(self, uc_id: str) -> UseCase:
        """The use case with this id."""
        for uc in self.usecases:
            if uc.id == uc_id:
                return uc
        raise KeyError(uc_id)

    def queries(self, uc: UseCase) -> dict[str, str]:
        """All targets for a use case: overrides win, others converted from its Sigma rule (cached)."""
        cached = self._queries.get(uc.id)
        if cached is None:
            if self._cache is None:
                self._cache = QueryCache.open()
            # A target that fails to convert is left out: lint reports it, a profile lacks that target.
            converted = self._cache.convert(uc.sigma, [t for t in TARGETS if t not in uc.overrides])
            cached = {t: uc.overrides[t] if t in uc.overrides else converted[t]
                      for t in TARGETS if t in uc.overrides or t in converted}
            if "sentinel" not in cached and "kql" in cached:
                cached["sentinel"] = defender_tables_for_sentinel(cached["kql"])  # labelled, not ASIM
            cached["sigma"] = uc.sigma
            self._queries[uc.id] = cached
        return dict(cached)

    def fire(self, text: str, indicators: tuple[Indicator, ...], inference: Inference) -> list[Fired]:
        """Every use case that fires, best first."""
        if self._index is None:
            self._index = self._trigger_index()
        lowered = text.lower()
        scan = self._index.scan(text, lowered)  # one pass for the whole library (hunts.compiled)
        named = self.platforms.named(text) if scan is None else scan.platforms | frozenset(
            n for n, rx in self.platforms.patterns.items() if n in self._index.always and rx.search(text))
        self._named = (text, named)
        ev = Evidence(
            text=lowered,
            techniques=frozenset(t.id for t in inference.observed),
            indicator_types=frozenset(i.type for i in indicators),
            mapped=frozenset(t.id for t in inference.source_mapped),
            fits_platform=lambda product: self.platforms.fits(product, text, named),  # one gate with imported rules
            exploitation_denied=self.exploitation.denied(text),
        )
        fired = []
        for uc in self.usecases:
            if uc.id not in self._patterns:
                self._patterns[uc.id] = phrase_pattern(uc.triggers.phrases)
            hit = match_usecase(uc, self._phrase_evidence(uc, ev, scan), self._patterns[uc.id])
            if hit is not None:
                fired.append(hit)
        return rank(fired)

    def _phrase_evidence(self, uc: UseCase, ev: Evidence, scan: Scan | None) -> Evidence:
        # The automaton already found this use case's phrase and context-word matches: its patterns then
        # run over those alone (TriggerIndex.evidence_text), with the same results as over the whole article.
        if scan is None or self._index is None:
            return ev
        text = self._index.evidence_text(scan, uc.id, uc.triggers.context, self._patterns.get(uc.id))
        return ev if text is None else replace(ev, text=text)

    def _trigger_index(self) -> TriggerIndex:
        # A platform built without its words listed runs its own pattern on every text, as before.
        cues = {n: self.platforms.words.get(n, ("\0",)) for n in self.platforms.patterns}
        keys = {uc.id: uc.triggers.phrases for uc in self.usecases}
        keys.update({context_key(uc.id, c): (c,) for uc in self.usecases for c in uc.triggers.context})
        return TriggerIndex(keys, cues)

    def hunts_for(
        self, text: str, indicators: tuple[Indicator, ...], inference: Inference, *, limit: int = MAX_USECASES,
        sweep_indicators: tuple[Indicator, ...] | None = None,
    ) -> tuple[Hunt, ...]:
        """Fired use cases (best first, ``limit`` behaviours), then imported rules, then IOC sweeps.

        ``sweep_indicators`` (default: ``indicators``) are the values to sweep for: the pipeline leaves
        out those past their lifetime.
        """
        hunts = [self._hunt(f) for f in fill_slots(self.fire(text, indicators, inference), limit)]
        last_text, named = self._named  # what fire found (the same as platforms.named: hunts.compiled)
        hunts += self._imported_hunts(inference, named if last_text == text else self.platforms.named(text), text)
        hunts += build_sweeps(indicators if sweep_indicators is None else sweep_indicators)
        return tuple(hunts)

    def _hunt(self, f: Fired) -> Hunt:
        uc = f.usecase
        return Hunt(
            use_case=uc.id,
            title=uc.title,
            phase=uc.phase,
            confidence=uc.confidence,
            queries=self.queries(uc),
            kind="audit" if uc.grade == "audit" else "usecase",  # audit hunts do not count in severity
            techniques=uc.techniques,
            reasons=f.reasons,
            description=uc.description,
            false_positives=uc.false_positives,
            group=uc.group,
        )

    def _imported_hunts(self, inference: Inference, named: frozenset[str], text: str = "") -> list[Hunt]:
        # Gated, ranked and capped in hunts.imported_rank; they follow the library's own hunts.
        return imported_hunts(self.imported, {t.id for t in inference.observed}, text, named, self.platforms)
