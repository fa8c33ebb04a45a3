"""What several commands share: date and data options, and how a broken policy ends a command."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import click

from ecfmg_policy.cli.report import EXIT_POLICY
from ecfmg_policy.errors import PolicyError


class DateParam(click.ParamType):
    """A ``YYYY-MM-DD`` option that must name a real day."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            self.fail(f"`{value}` is not a real date; write it as YYYY-MM-DD", param, ctx)


def parse_data(values: tuple[str, ...]) -> dict[str, Path]:
    """``--data NAME=PATH`` options as a mapping, refusing any other form."""
    paths = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise click.BadParameter(f"`{value}`: expected NAME=PATH, e.g. world_directory=schools.json",
                                     param_hint="--data")
        paths[name] = Path(path)
    return paths


def fail_policy(error: PolicyError) -> None:
    """Print every problem of a broken policy and exit 3."""
    for diagnostic in error.diagnostics:
        click.echo(diagnostic.render(), err=True)
    click.echo(f"ecfmg-policy: the policy cannot be used ({len(error.diagnostics)} problem(s))", err=True)
    sys.exit(EXIT_POLICY)
