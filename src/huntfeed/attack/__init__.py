"""ATT&CK knowledge and technique inference: catalog, phrase rules, classifier, actors, kill chain."""

from huntfeed.attack.catalog import Catalog, Technique
from huntfeed.attack.engine import AttackEngine

__all__ = ["AttackEngine", "Catalog", "Technique"]
