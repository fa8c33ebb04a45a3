"""``ecfmg-policy``: the command group and its entry point.

Every command is a thin shell over the evaluator: parse arguments, call the
stages, format the result, choose the exit code.  Any error a user can cause
arrives here as a :class:`~ecfmg_policy.errors.PolicyError` or
:class:`~ecfmg_policy.errors.InputError` and leaves as readable lines.
"""

from __future__ import annotations

import click

from ecfmg_policy import __version__
from ecfmg_policy.cli.check import check
from ecfmg_policy.cli.lint import lint
from ecfmg_policy.cli.schema import schema
from ecfmg_policy.cli.test import test
from ecfmg_policy.cli.versions import versions


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ecfmg-policy")
def cli() -> None:
    """Check applicant records against the ECFMG Certification policy."""


cli.add_command(check)
cli.add_command(lint)
cli.add_command(schema)
cli.add_command(test)
cli.add_command(versions)


def main() -> None:
    cli(prog_name="ecfmg-policy")
