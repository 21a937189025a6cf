"""CPU cost of the environment (relevance, hunt labels) per article, on the demo corpus with its example team.

    .venv/bin/python bench/relevance_cost.py [--rounds 3]

Prints the full analysis per article without and with the environment, and the relevance stage alone
(CPU time, so a loaded machine skews it less than wall time).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from huntfeed.environment.load import load_environment
from huntfeed.environment.stage import relevance
from huntfeed.feeds.article import document_article, document_text
from huntfeed.hunts.kev import load_kev_products
from huntfeed.model import IndicatorType
from huntfeed.paths import package_data
from huntfeed.pipeline import Knowledge, analyse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    kev = package_data("demo", "kev.json")
    kb = Knowledge.load(kev_path=kev)
    env = load_environment(package_data("demo", "environment", "environment.toml"))
    kb_env = replace(kb, environment=env, kev_products=load_kev_products(kev))
    posts = sorted(package_data("demo", "site", "posts").glob("*.html"))
    articles = [document_article(document_text(p.read_text(encoding="utf-8"), ""), url=f"https://demo/{p.name}",
                                 doc_id=p.name) for p in posts]
    profiles = [analyse(a, kb_env) for a in articles]  # warm every cache once
    for label, knowledge in (("without", kb), ("with", kb_env)):
        start = time.process_time()
        for _ in range(rounds):
            for a in articles:
                analyse(a, knowledge)
        per = (time.process_time() - start) * 1000 / (rounds * len(articles))
        print(f"analysis {label} the environment: {per:.1f} ms CPU per article")
    start = time.process_time()
    for _ in range(rounds * 10):
        for a, p in zip(articles, profiles, strict=True):
            cves = tuple(i.value for i in p.indicators if i.type is IndicatorType.CVE)
            relevance(a.text, cves, p.hunts, kb_env.kev_products, env)
    per = (time.process_time() - start) * 1000 / (rounds * 10 * len(articles))
    print(f"relevance stage alone: {per:.2f} ms CPU per article ({len(articles)} demo articles)")


if __name__ == "__main__":
    main()
