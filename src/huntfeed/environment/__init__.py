"""The team's environment: what it runs, where it is, what it can see and what it already detects.

``environment.toml`` is loaded once at the edge (``find_environment``) into a frozen value; the
pipeline's ``relevance`` stage reads it and never does I/O.
"""

from __future__ import annotations

from huntfeed.environment.coverage import BLIND, COVERED, RUNNABLE, label_hunts
from huntfeed.environment.load import ENV_VAR, FILE_NAME, environment_path, find_environment, load_environment
from huntfeed.environment.relevance import KevProducts, assess
from huntfeed.environment.spec import Environment
from huntfeed.model import Hunt, Relevance

__all__ = ["BLIND", "COVERED", "ENV_VAR", "FILE_NAME", "RUNNABLE", "Environment", "KevProducts", "environment_path",
           "find_environment", "load_environment", "relevance"]


def relevance(text: str, cves: tuple[str, ...], hunts: tuple[Hunt, ...], kev: KevProducts,
              env: Environment) -> Relevance:
    """The article and its hunts seen through the environment."""
    return Relevance(environment=env.name or env.where, matches=assess(text, cves, kev, env),
                     hunts=label_hunts(hunts, env))
