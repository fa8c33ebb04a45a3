"""What several commands share: date and data options, and how a broken policy ends a command."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterable

import click

from ecfmg_policy.cli.report import EXIT_INVALID, EXIT_POLICY
from ecfmg_policy.api import parse_day
from ecfmg_policy.errors import PolicyError, UsageError, terminal_safe


class DateParam(click.ParamType):
    """A ``YYYY-MM-DD`` option that must name a real day."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        try:
            return parse_day(value)
        except UsageError as exc:
            self.fail(str(exc), param, ctx)


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


def usage_error(message: str) -> None:
    """One line on standard error and exit 2: the command was asked for something that cannot be."""
    click.echo(f"ecfmg-policy: {terminal_safe(message)}", err=True)
    sys.exit(EXIT_INVALID)


def check_output(output: Path | None, inputs: Iterable) -> None:
    """Refuse, before any work, an ``--output`` that cannot be written or would overwrite an input."""
    if output is None:
        return
    folder = output.parent
    if output.is_dir():
        usage_error(f"--output {output}: is a folder; name a file")
    if not folder.is_dir():
        usage_error(f"--output {output}: the folder {folder} does not exist; create it or write elsewhere")
    if not os.access(output if output.exists() else folder, os.W_OK):
        usage_error(f"--output {output}: cannot be written here (permission denied)")
    if output.exists():
        for given in inputs:
            if str(given) != "-" and Path(given).exists() and os.path.samefile(output, given):
                usage_error(f"--output {output}: is also an input; writing it would destroy it")


def write_output(output: Path, text: str) -> None:
    """Write a report file; a failure (a full disk, a folder gone since) is one line and exit 2."""
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        usage_error(f"--output {output}: cannot be written ({exc.strerror or 'error'})")


def check_paths_exist(paths: Iterable[Path], what: str) -> None:
    """Paths named on the command line must exist: one line and exit 2 otherwise (``lint`` and ``test`` alike)."""
    for path in paths:
        if not os.path.lexists(path):
            usage_error(f"{path}: no such file or folder; name {what}")


def use_color(choice: str, stream_is_terminal: bool) -> bool:
    """``--color auto`` colours only a terminal, and never with ``NO_COLOR`` set or ``TERM=dumb``."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    return stream_is_terminal and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
