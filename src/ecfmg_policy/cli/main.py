"""``ecfmg-policy``: the command group and its entry point.

Every command is a thin shell over the evaluator: parse arguments, call the
stages, format the result, choose the exit code.  Any error a user can cause
arrives there as a :class:`~ecfmg_policy.errors.PolicyError` or
:class:`~ecfmg_policy.errors.InputError` and leaves as readable lines.
Commands are imported only when run, so starting one does not pay for the others.
"""

from __future__ import annotations

import importlib

import click

from ecfmg_policy import __version__

COMMANDS = {
    "check": ("ecfmg_policy.cli.check", "Check applicant records against the policy in force on a date."),
    "lint": ("ecfmg_policy.cli.lint", "Check policy files without running them."),
    "schema": ("ecfmg_policy.cli.schema", "Print a shipped JSON Schema."),
    "test": ("ecfmg_policy.cli.test", "Run policy test cases; show failures and rule coverage."),
    "versions": ("ecfmg_policy.cli.versions", "Show the timeline of policy versions and what each changed."),
}


class LazyGroup(click.Group):
    """A group whose commands are imported when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in sorted(COMMANDS)])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ecfmg-policy")
def cli() -> None:
    """Check applicant records against the ECFMG Certification policy."""


def main() -> None:
    cli(prog_name="ecfmg-policy")
