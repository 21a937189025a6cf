"""The root command: a thin shell over the library (``huntfeed.cli.main`` runs it).

Each module in ``COMMAND_MODULES`` exposes ``commands``, a list of click commands or groups;
keeping them apart lets each area own its commands without touching the others.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import click

from huntfeed import __version__
from huntfeed.cli.settings_ref import SettingsRef
from huntfeed.errors import HuntfeedError

COMMAND_MODULES = (
    "huntfeed.cli.pipeline_cmds",
    "huntfeed.cli.analyze_cmds",
    "huntfeed.cli.store_cmds",
    "huntfeed.cli.extract_cmds",
    "huntfeed.cli.attack_cmds",
    "huntfeed.cli.hunts_cmds",
    "huntfeed.cli.output_cmds",
    "huntfeed.cli.scale_cmds",
    "huntfeed.cli.env_cmds",
    "huntfeed.cli.feedback_cmds",
    "huntfeed.cli.campaign_cmds",
)

# Command name -> (module, one-line help). A command module loads only when its command runs, so
# `huntfeed extract` never imports the store, the web app or the ATT&CK model, and `--help` lists
# these lines without importing anything. A module of COMMAND_MODULES missing here loads at start,
# as every module used to; tests/test_cli_start.py checks this table against the commands.
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("huntfeed.cli.pipeline_cmds",
            "Poll the feeds once (or every DURATION), analyse what is new or changed, store profiles."),
    "demo": ("huntfeed.cli.pipeline_cmds",
             "Run the whole pipeline on the bundled corpus, served over HTTP on loopback; no network needed."),
    "analyze": ("huntfeed.cli.analyze_cmds",
                "Analyse one document (HTML or text; a file, a URL or stdin) and print its profile."),
    "feeds": ("huntfeed.cli.store_cmds", "Manage the followed feeds (add, list, remove, import, export)."),
    "profiles": ("huntfeed.cli.store_cmds", "Browse stored threat profiles (list, show)."),
    "extract": ("huntfeed.cli.extract_cmds",
                "Extract indicators of compromise (refanged, with fidelity and reason) from text."),
    "attack": ("huntfeed.cli.attack_cmds", "ATT&CK bundle, model and technique inference."),
    "usecases": ("huntfeed.cli.hunts_cmds", "Browse, lint and extend the detection use-case library."),
    "hunts": ("huntfeed.cli.hunts_cmds", "Work with generated hunt queries."),
    "kev": ("huntfeed.cli.hunts_cmds", "CISA Known Exploited Vulnerabilities catalog used by severity scoring."),
    "export": ("huntfeed.cli.output_cmds", "Export stored profiles to a tool's format."),
    "digest": ("huntfeed.cli.output_cmds",
               "The daily digest: the day's profiles by severity with the day's top techniques."),
    "notify": ("huntfeed.cli.output_cmds",
               "Post new CRITICAL/HIGH profiles to a Slack or Teams webhook, each profile once."),
    "serve": ("huntfeed.cli.output_cmds",
              "Serve the web UI and JSON API (OpenAPI docs at /docs); read-only unless given a token."),
    "worker": ("huntfeed.cli.scale_cmds",
               "Run a Celery worker that polls feeds and analyses articles queued by dispatch/backfill."),
    "dispatch": ("huntfeed.cli.scale_cmds",
                 "Queue one poll per followed feed for the workers (the distributed `huntfeed run`)."),
    "schedule": ("huntfeed.cli.scale_cmds",
                 "Dispatch a poll of every feed at a fixed interval until interrupted (run one scheduler only)."),
    "backfill": ("huntfeed.cli.scale_cmds",
                 "Analyse an archive of reports into the store; run it again to resume after an interruption."),
    "env": ("huntfeed.cli.env_cmds",
            "The team's environment file: products, sectors, regions, data sources, deployed rules."),
    "feedback": ("huntfeed.cli.feedback_cmds",
                 "Mark values as false positives and techniques as not in a report; share the rules as a file."),
    "campaigns": ("huntfeed.cli.campaign_cmds",
                  "Campaigns: profiles linked by shared infrastructure, a named family or an exploited CVE."),
}


class LazyGroup(click.Group):
    """A group whose commands' modules are imported when a command is looked up, not at start."""

    def _load(self, module: str) -> None:
        for command in importlib.import_module(module).commands:
            if command.name not in self.commands:
                self.add_command(command)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            if cmd_name in LAZY_COMMANDS:
                self._load(LAZY_COMMANDS[cmd_name][0])
            else:  # a command this table does not know yet: look in every module before giving up
                for module in COMMAND_MODULES:
                    self._load(module)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max((len(n) for n in names), default=0)
        rows = []
        for name in names:
            if name in self.commands:
                command = self.commands[name]
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                # click's own shortening, on the stored line, without importing the command
                rows.append((name, click.Command(name, help=LAZY_COMMANDS[name][1]).get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="huntfeed")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), envvar="HUNTFEED_CONFIG",
              help="Config file (default: config.toml in the data folder, if present).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """Turn security reporting into threat profiles and hunts.

    \b
    Quick start:
      huntfeed demo                      # offline demo corpus on loopback
      huntfeed run --feeds feeds.opml    # poll real feeds
      huntfeed analyze report.html       # one document to one profile
    """
    ctx.obj = SettingsRef(config_path)  # read when a command first needs it
    if config_path is not None:  # library code reading the config (use-case packs) reads this file too
        os.environ["HUNTFEED_CONFIG"] = str(config_path)


assert isinstance(cli, LazyGroup)
for _name in COMMAND_MODULES:
    if _name not in {module for module, _ in LAZY_COMMANDS.values()}:
        cli._load(_name)


def main() -> None:
    """Run the root command: map huntfeed errors to a clear message and exit code 2."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except HuntfeedError as exc:
        click.echo(f"huntfeed: error: {exc}", err=True)
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(0)
