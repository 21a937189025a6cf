"""AttackEngine: load the catalog, rules and model once, then infer per text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from huntfeed.attack import prepared
from huntfeed.attack.actors import ActorRecognizer
from huntfeed.attack.catalog import Catalog
from huntfeed.attack.classifier import SentenceModel
from huntfeed.attack.combine import Combiner, feature_table
from huntfeed.attack.evidence import EvidenceRules, default_rules
from huntfeed.attack.infer import CLASSIFIER, EXPLICIT, Signals, collect_signals
from huntfeed.attack.killchain import load_mapping, phases_for, resolve_mapping
from huntfeed.attack.outline import is_heading, outline_only
from huntfeed.attack.rules import RuleMatcher, load_rules
from huntfeed.attack.specificity import generalise
from huntfeed.attack.text import Sentence, sentence_ends, sentence_index, split_sentences, unwrap
from huntfeed.model import Evidence, Inference, TechniqueHit
from huntfeed.paths import data_dir, package_data

BUNDLE_NAME = "enterprise-attack.json"
MODEL_NAME = "model.npz"
_MAX_EVIDENCE = 3
SOURCE_CONFIRMED = 0.6  # confidence floor of a source-listed id that a narrative sentence confirms


def bundle_path(root: Path) -> Path:
    """Where `attack update` keeps the downloaded bundle inside a data folder."""
    return root / "attack" / BUNDLE_NAME


def load_catalog(data_dir_: Path | None = None) -> Catalog:
    """The downloaded bundle if there is one, else the offline package copy."""
    root = data_dir_ if data_dir_ is not None else data_dir()
    return prepared.catalog_at(bundle_path(root))  # load_bundle or load_offline, prepared once


def model_path(root: Path | None) -> Path:
    """A model trained locally by `attack train` wins over the one shipped in the package."""
    if root is not None:
        local = root / "attack" / MODEL_NAME
        if local.exists():
            return local
    return package_data("attack", MODEL_NAME)


@dataclass
class AttackEngine:
    """Everything inference needs, loaded once per process."""

    catalog: Catalog
    matcher: RuleMatcher
    actors: ActorRecognizer
    phase_of: Mapping[str, str]
    model: SentenceModel | None
    combiner: Combiner
    evidence: EvidenceRules = field(default_factory=default_rules)

    @classmethod
    def load(
        cls, data_dir: Path | None = None, *, with_model: bool = True, catalog: Catalog | None = None
    ) -> AttackEngine:
        """Load catalog, phrase rules, actor names and (if present) the trained model."""
        root = data_dir if data_dir is not None else _default_root()
        catalog = catalog or load_catalog(root)
        model = None
        if with_model:
            path = model_path(root)
            model = prepared.prepared_model(path) if path.exists() else None  # SentenceModel.load, prepared once
        combiner = model.combiner if model is not None else Combiner.default()
        return cls(
            catalog=catalog,
            matcher=RuleMatcher(load_rules()),
            actors=ActorRecognizer(catalog),
            phase_of=resolve_mapping(catalog.tactic_order, load_mapping()),
            model=model,
            combiner=combiner,
        )

    def signals(self, text: str, sentences: Sequence[Sentence]) -> dict[str, Signals]:
        """Per-technique signals of every method (used by inference and by training).

        Phrase rules and the classifier read only evidence sentences; ids are found everywhere
        (an id in a non-evidence sentence counts as listed through `features`).
        """
        return self._signals(text, self.evidence.view(sentences))

    def _signals(self, text: str, view: Sequence[Sentence]) -> dict[str, Signals]:
        scores = self.model.sentence_scores(view, self.catalog) if self.model else None
        return collect_signals(text, view, self.catalog, self.matcher, scores)

    def features(
        self, text: str, sentences: Sequence[Sentence]
    ) -> tuple[dict[str, Signals], dict[str, list[float]], list[Sentence]]:
        """Signals, the combiner's feature table and the evidence view of one text."""
        view = self.evidence.view(sentences)
        sig = self._signals(text, view)
        return sig, feature_table(sig, view, sentence_ends(sentences)), view

    def _hit(
        self,
        tid: str,
        s: Signals,
        conf: float,
        sentences: Sequence[Sentence],
        view: Sequence[Sentence],
        ends: Sequence[int],
        text: str,
        source: bool,
    ) -> TechniqueHit:
        tech = self.catalog.techniques[tid]
        methods = s.methods(self.combiner.clf_floor)
        if source:  # the id stands only in a list or table of the source, not in a sentence of prose
            methods = tuple(m for m in methods if m != EXPLICIT)
        return TechniqueHit(
            id=tid,
            name=tech.name,
            tactics=tech.tactics,
            confidence=round(conf, 3),
            methods=(("source-mapping",) if source else ()) + methods,
            evidence=_evidence(s, sentences, view, ends, text, self.combiner.clf_floor),
        )

    def infer(self, text: str) -> Inference:
        """Observed techniques, associated techniques, actors and kill-chain phases for one text."""
        text = unwrap(text)  # a hard-wrapped sentence is read whole; offsets are unchanged
        sentences = split_sentences(text)
        ends = sentence_ends(sentences)
        sig, table, view = self.features(text, sentences)
        probs = {tid: self.combiner.confidence(tid, f) for tid, f in table.items()}
        floor = self.combiner.clf_floor
        view_ends = sentence_ends(view)
        chosen = {
            tid: probs[tid]
            for tid in self.combiner.select(probs)
            if not outline_only(sig[tid], view, view_ends, floor)  # only a list, table row or heading supports it
        }
        reported = generalise(chosen, sig, view, lambda t: t in self.catalog.techniques, floor)
        listed = {tid for tid, s in sig.items() if _listed(s, view, ends)}
        for tid in listed:
            if _confirmed(sig[tid], floor):  # the source's mapping names it and a narrative sentence describes it
                reported.setdefault(tid, tid)
                probs[tid] = max(probs[tid], SOURCE_CONFIRMED)
        observed = [
            self._hit(rid, sig[src], probs[src], sentences, view, ends, text, src in listed)
            for rid, src in reported.items()
        ]
        observed.sort(key=lambda h: (-h.confidence, h.id))
        actors = self.actors.find(text, sentences)
        seen = {h.id for h in observed}
        assoc: dict[str, list[str]] = {}
        for actor in actors:
            for tid in self.catalog.uses.get(actor.stix_id, ()):
                cur = self.catalog.resolve(tid)
                if cur and cur not in seen:
                    assoc.setdefault(cur, []).append(actor.name)
        associated = [
            TechniqueHit(
                id=tid,
                name=self.catalog.techniques[tid].name,
                tactics=self.catalog.techniques[tid].tactics,
                confidence=round(min(0.5, 0.2 + 0.1 * len(names)), 3),
                methods=tuple(f"associated:{n}" for n in dict.fromkeys(names)),
            )
            for tid, names in assoc.items()
        ]
        associated.sort(key=lambda h: (-h.confidence, h.id))
        mapped = [
            TechniqueHit(
                id=tid,
                name=self.catalog.techniques[tid].name,
                tactics=self.catalog.techniques[tid].tactics,
                confidence=round(probs.get(tid, 0.0), 3),
                methods=("source-mapping",),
                evidence=_evidence(s, sentences, view, ends, text, self.combiner.clf_floor),
            )
            for tid, s in sig.items()
            if s.explicit and tid not in seen
        ]
        mapped.sort(key=lambda h: h.id)
        tactics = [t for h in observed for t in h.tactics]
        return Inference(
            observed=tuple(observed),
            associated=tuple(associated),
            actors=tuple(actors),
            source_mapped=tuple(mapped),
            kill_chain_phases=phases_for(tactics, self.phase_of),
            attack_version=self.catalog.version,
        )


def _listed(s: Signals, view: Sequence[Sentence], ends: Sequence[int]) -> bool:
    """The source writes the id, but only in lines that are not evidence (a mapping list or table)."""
    at = [sentence_index(view, start, ends) for start, _ in s.explicit]
    return bool(at) and not any(i is not None and view[i].text for i in at)


def _confirmed(s: Signals, clf_floor: float) -> bool:
    """A narrative sentence describes the technique (a phrase rule or a confident classifier)."""
    return bool(s.rule_spans) or bool(s.clf and s.clf[0][0] >= clf_floor)


def _default_root() -> Path | None:
    try:
        return data_dir()
    except OSError:
        return None


def _evidence(
    s: Signals,
    sentences: Sequence[Sentence],
    view: Sequence[Sentence],
    ends: Sequence[int],
    text: str,
    clf_floor: float,
) -> tuple[Evidence, ...]:
    """Up to three evidence sentences: ids in prose, then rule hits, then the classifier's best.

    A sentence the evidence filter rejected (a list of ids, a negation...) is never shown, nor a heading
    or a lead-in line ("How the tunnel works", "The command line was:"): it names a topic, not behaviour.
    """
    picked: dict[int, str] = {}

    def shown(i: int) -> bool:
        return bool(view[i].text) and not is_heading(sentences[i], text)

    for start, _ in s.explicit:
        i = sentence_index(sentences, start, ends)
        if i is not None and shown(i):
            picked.setdefault(i, "explicit id")
    for start, end, _phrase in s.rule_spans:
        i = sentence_index(sentences, start, ends)
        if i is not None and shown(i):
            picked.setdefault(i, f"phrase: {text[start:end]}")
    for score, i in s.clf:
        if not shown(i):
            continue
        if len(picked) >= _MAX_EVIDENCE or (score < clf_floor and picked):
            break
        picked.setdefault(i, f"{CLASSIFIER} {score:.2f}")
    out = [Evidence(sentences[i].text, sentences[i].start, sentences[i].end, note) for i, note in picked.items()]
    return tuple(out[:_MAX_EVIDENCE])
