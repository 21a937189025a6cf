"""A fast start: each command imports what it uses, `--help` lists every command without importing one."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from huntfeed.cli import COMMAND_MODULES, LAZY_COMMANDS, LazyGroup, cli

# Libraries `huntfeed extract` has no use for; each costs from 0.1 to 1.5 s of CPU to import.
HEAVY = ("sklearn", "scipy", "numpy", "sigma", "sqlalchemy", "alembic", "fastapi", "starlette", "stix2",
         "pymisp", "celery", "redis", "psycopg", "httpx", "trafilatura", "feedparser", "rich", "yaml")

_PROBE = """
import contextlib, io, json, sys
from huntfeed.cli import main
sys.argv = ["huntfeed", *json.loads(sys.argv[1])]
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def _imports(*args: str) -> dict:  # type: ignore[type-arg]
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args)], capture_output=True, text=True,
                          check=True, timeout=120)
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize("args", [("--help",), ("extract", "--help"), ("extract", "{file}"),
                                  ("extract", "{file}", "--all", "--format", "csv")])
def test_extract_and_help_import_nothing_heavy(tmp_path: Path, args: tuple[str, ...]) -> None:
    doc = tmp_path / "one.txt"
    doc.write_text("C2: hxxp://update-check[.]top/gate.php and 45.137.21.9\n", encoding="utf-8")
    got = _imports(*(a.replace("{file}", str(doc)) for a in args))
    assert got["code"] == 0
    assert sorted(set(HEAVY) & set(got["modules"])) == []
    if "extract" in args and "--help" not in args:
        assert "update-check.top" in got["out"]  # it did its work, not only start


def test_analyze_imports_neither_the_store_the_web_nor_pysigma(tmp_path: Path) -> None:
    doc = tmp_path / "report.txt"
    doc.write_text("The actor ran certutil -urlcache -f to fetch a payload from evil[.]example.com.\n")
    got = _imports("analyze", str(doc), "--format", "json")
    assert got["code"] == 0 and '"schema"' in got["out"]
    assert sorted({"sqlalchemy", "alembic", "fastapi", "stix2", "pymisp", "celery"} & set(got["modules"])) == []
    assert "sklearn" not in got["modules"]  # the classifier's features are hashed without it (attack/hashing.py)
    assert "trafilatura" not in got["modules"]  # a plain-text document needs no HTML extraction
    # The first analysis converted the fired use cases' rules and cached them; the next one reads them
    # back, and pySigma does not load at all.
    assert "sigma" not in _imports("analyze", str(doc), "--format", "json")["modules"]
    # Reading a document or a JSONL batch of texts fetches nothing and parses no feed.
    assert sorted({"httpx", "httpcore", "feedparser"} & set(got["modules"])) == []


# Every use case's queries read back from a warm cache (entries written here for every target, so
# nothing converts), with the Sentinel conversion recorded as failed (as for rules ASIM cannot express):
# the Defender query labelled for Sentinel is plain text, and loading pySigma for it cost every
# `analyze` start 0.25 s.
_QUERIES_PROBE = """
import hashlib, json, sys
from pathlib import Path
from huntfeed.hunts import HuntLibrary
from huntfeed.hunts.compiled import QueryCache
from huntfeed.hunts.usecase import TARGETS
lib = HuntLibrary.load()
cache = QueryCache.open(Path(sys.argv[1]))
for uc in lib.usecases:
    digest = hashlib.sha256(uc.sigma.encode("utf-8")).hexdigest()
    cache.entries.update({f"{t}:{digest}": None if t == "sentinel" else f"{t} query of {uc.id}" for t in TARGETS})
cache.save()
lib._cache = QueryCache.open(Path(sys.argv[1]))
queries = {uc.id: lib.queries(uc) for uc in lib.usecases}
print(json.dumps({"n": len(queries), "sentinel": sum("sentinel" in q for q in queries.values()),
                  "sigma": sorted(m for m in sys.modules if m.split(".")[0] == "sigma")}))
"""


def test_cached_queries_of_every_use_case_load_no_pysigma(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", _QUERIES_PROBE, str(tmp_path)], capture_output=True, text=True,
                          check=True, timeout=120)
    got = json.loads(done.stdout.splitlines()[-1])
    assert got["n"] >= 100 and got["sentinel"] == got["n"]  # every use case has its Sentinel hunt
    assert got["sigma"] == []


def _eager() -> dict[str, click.Command]:
    commands: dict[str, click.Command] = {}
    for module in COMMAND_MODULES:
        for command in importlib.import_module(module).commands:
            commands[command.name or ""] = command
    return commands


def test_the_lazy_table_lists_every_command_with_its_own_help() -> None:
    actual = {name: (module, command.get_short_help_str(limit=300))
              for module in COMMAND_MODULES for command in importlib.import_module(module).commands
              if (name := command.name)}
    missing = {k: v for k, v in actual.items() if LAZY_COMMANDS.get(k) != v}
    assert not missing, f"update LAZY_COMMANDS in huntfeed/cli/root.py with: {missing!r}"


def test_help_is_the_same_as_with_every_command_loaded() -> None:
    eager = click.Group("huntfeed", commands=_eager(), params=cli.params, help=cli.help,
                        context_settings=cli.context_settings)
    lazy = LazyGroup("huntfeed", params=cli.params, help=cli.help, context_settings=cli.context_settings)
    assert lazy.commands == {}
    want = CliRunner().invoke(eager, ["--help"]).output
    assert CliRunner().invoke(lazy, ["--help"]).output == want
    assert lazy.commands == {}  # listing the commands loaded none of them


def test_a_command_missing_from_the_table_is_still_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(LAZY_COMMANDS, "kev")
    group = LazyGroup("huntfeed")
    result = CliRunner().invoke(group, ["kev", "--help"])
    assert result.exit_code == 0 and "Known Exploited" in result.output
