"""The pipeline's relevance stage: the article and its hunts seen through the environment."""

from __future__ import annotations

from huntfeed.environment.coverage import label_hunts
from huntfeed.environment.relevance import KevProducts, assess
from huntfeed.environment.spec import Environment
from huntfeed.model import Hunt, Relevance


def relevance(text: str, cves: tuple[str, ...], hunts: tuple[Hunt, ...], kev: KevProducts,
              env: Environment) -> Relevance:
    """Product, sector and region matches with their sentences, and every hunt's label."""
    return Relevance(environment=env.name or env.where, matches=assess(text, cves, kev, env),
                     hunts=label_hunts(hunts, env))
