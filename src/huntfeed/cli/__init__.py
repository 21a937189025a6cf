"""Command-line entry point: a thin shell over the library.

Each module in ``COMMAND_MODULES`` exposes ``commands``, a list of click commands or groups;
keeping them apart lets each area own its commands without touching the others.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from huntfeed import __version__
from huntfeed.config import load_settings
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


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
    ctx.obj = load_settings(config_path)


for _name in COMMAND_MODULES:
    for _command in importlib.import_module(_name).commands:
        cli.add_command(_command)


def main() -> None:
    """Console-script entry: map huntfeed errors to a clear message and exit code 2."""
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
