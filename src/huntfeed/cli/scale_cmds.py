"""Commands of this area; filled in by its owner."""

import click

commands: list[click.Command] = []
