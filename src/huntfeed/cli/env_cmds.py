"""`huntfeed env init|check`: the team's environment file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from huntfeed.cli.common import err_console, esc
from huntfeed.environment.load import ENV_VAR, environment_path, find_environment, load_environment
from huntfeed.environment.spec import Environment
from huntfeed.environment.template import TEMPLATE
from huntfeed.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])


def environment_option(func: F) -> F:
    """``--environment PATH`` (also $HUNTFEED_ENVIRONMENT; default: environment.toml in the data folder)."""
    return click.option(
        "--environment", "environment_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help=f"The team's environment file [env {ENV_VAR}; default: environment.toml in the data folder, if any].",
    )(func)


def load_for_command(environment_file: Path | None) -> Environment | None:
    """The environment a command runs with, or None when there is none."""
    return find_environment(environment_file)


@click.group("env")
def env_group() -> None:
    """The team's environment file: products, sectors, regions, data sources, deployed rules."""


@env_group.command("init")
@environment_option
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def env_init(environment_file: Path | None, force: bool) -> None:
    """Write a commented environment.toml to fill in.

    \b
    Example: huntfeed env init --environment ~/soc/environment.toml
    """
    path, _ = environment_path(environment_file)
    if path.exists() and not force:
        raise ConfigError("already exists (use --force to overwrite)", where=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TEMPLATE, encoding="utf-8")
    load_environment(path)  # the template itself must pass the loader
    click.echo(str(path))
    err_console().print(f"wrote {esc(path)}: fill it in, then `huntfeed env check`")


@env_group.command("check")
@environment_option
@click.option("--json", "as_json", is_flag=True, help="A JSON summary on stdout.")
def env_check(environment_file: Path | None, as_json: bool) -> None:
    """Load the environment file strictly and summarise it.  Example: huntfeed env check --environment env.toml"""
    env = find_environment(environment_file)
    if env is None:
        path, _ = environment_path(environment_file)
        raise ConfigError("no environment file (run `huntfeed env init`)", where=str(path))
    ds = env.data_sources
    summary: dict[str, Any] = {
        "file": env.where, "name": env.name, "products": [p.label for p in env.products],
        "sectors": [s.name for s in env.sectors], "regions": [r.name for r in env.regions],
        "splunk_cim": [c.data_model for c in ds.splunk_cim], "defender_tables": sorted(ds.defender_tables),
        "sentinel_tables": sorted(ds.sentinel_tables), "sigma": [s.label for s in ds.sigma],
        "deployed_rules": [{"name": r.name, "format": r.format, "where": r.where} for r in env.rules],
    }
    if as_json:
        click.echo(json.dumps(summary))
        return
    for key, value in summary.items():
        shown = value if isinstance(value, str) else ", ".join(
            v if isinstance(v, str) else f"{v['name']} ({v['format']})" for v in value) or "-"
        click.echo(f"{key}: {shown}")


commands: list[click.Command] = [env_group]
