"""The team's environment as frozen values: what it runs, where, what it can query, what it detects.

Built once at the edge (``load_environment``) and handed to the pipeline as it is; nothing in
here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Product:
    """A product the team runs; ``aliases`` are other names of the same thing (FortiGate for FortiOS)."""

    vendor: str
    product: str
    versions: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    where: str = ""

    @property
    def label(self) -> str:
        """``Fortinet FortiOS 7.2`` (versions joined with a slash)."""
        tail = f" {'/'.join(self.versions)}" if self.versions else ""
        return f"{self.vendor} {self.product}{tail}".strip()

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the product goes by, longest first (so the longest mention wins)."""
        return tuple(sorted({self.product, *self.aliases}, key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class Place:
    """A sector or region: its name and the words that name it in a report."""

    name: str
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CimSource:
    """A Splunk CIM data model (``Endpoint.Processes``, or ``Endpoint`` for all its datasets) and its index."""

    data_model: str
    index: str = ""

    def covers(self, model: str) -> bool:
        """True when this entry is ``model`` or the whole data model it belongs to."""
        return model.lower() == self.data_model.lower() or model.lower().startswith(self.data_model.lower() + ".")


@dataclass(frozen=True, slots=True)
class SigmaSource:
    """A Sigma log source the team collects; keys left empty match any value."""

    product: str = ""
    category: str = ""
    service: str = ""

    def covers(self, other: SigmaSource) -> bool:
        """True when every key this entry sets has the same value in ``other``."""
        return all(
            not mine or mine == theirs
            for mine, theirs in ((self.product, other.product), (self.category, other.category),
                                 (self.service, other.service))
        )

    @property
    def label(self) -> str:
        return "/".join(v for v in (self.product, self.category, self.service) if v) or "any"


@dataclass(frozen=True, slots=True)
class DataSources:
    """What the team can query."""

    splunk_cim: tuple[CimSource, ...] = ()
    defender_tables: frozenset[str] = frozenset()
    sentinel_tables: frozenset[str] = frozenset()
    sigma: tuple[SigmaSource, ...] = ()


@dataclass(frozen=True, slots=True)
class DeployedRule:
    """A detection rule already running, reduced to what coverage is judged on."""

    name: str
    format: str  # sigma | splunk | sentinel
    where: str  # file (and line for a savedsearches.conf stanza)
    techniques: frozenset[str] = frozenset()
    cim_models: frozenset[str] = frozenset()
    tables: frozenset[str] = frozenset()
    logsource: SigmaSource | None = None
    pairs: frozenset[tuple[str, str]] = frozenset()  # (field, value), lower-cased, wildcards stripped


@dataclass(frozen=True, slots=True)
class Environment:
    """Everything the team told huntfeed about itself."""

    where: str
    name: str = ""
    products: tuple[Product, ...] = ()
    sectors: tuple[Place, ...] = ()
    regions: tuple[Place, ...] = ()
    data_sources: DataSources = field(default_factory=DataSources)
    rules: tuple[DeployedRule, ...] = ()
