"""What several commands share: date and data options, and how a broken policy ends a command."""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Iterable

import click

from ecfmg_policy.cli.exits import EXIT_INVALID, EXIT_POLICY
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


class JobsParam(click.ParamType):
    """``--jobs``: a number of processes, or ``auto`` for the cores this process may use."""

    name = "N|auto"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        if value == "auto":
            return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        if value.isdigit() and int(value) >= 1:
            return int(value)
        self.fail(f"`{value}`: expected a number of processes (1 or more) or `auto`", param, ctx)


def judging_options(command):
    """What ``check`` and ``explain`` are judged by, said once: ``--policy``, ``--policy-version``,
    ``--as-of`` and ``--data``."""
    options = [
        click.option("--policy", "policy_path", type=click.Path(path_type=Path), default=None,
                     help="Policy file or directory (default: the nearest policies/ folder here or above, "
                          "else the bundled ECFMG policies)."),
        click.option("--policy-version", default=None, help="Use this version instead of the one in force on --as-of."),
        click.option("--as-of", type=DateParam(), default=None, help="Judge as of this date (default: today)."),
        click.option("--data", "data_args", multiple=True, metavar="NAME=PATH",
                     help="Reference data, e.g. world_directory=schools.json (default: the bundled sample)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


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


def check_output(output: Path | None, inputs: Iterable, reads: tuple[str, ...] = ()) -> Path | None:
    """Refuse, before any work, an ``--output`` that cannot be written or would overwrite an input.

    ``inputs`` are what the command reads (files, folders, ``-`` for standard input) and
    ``reads`` the kinds of file it reads inside a folder: an output there would be read back
    as an input, or overwrite one. ``--output -`` is standard output, as ``-`` is standard
    input; the output to write to (None for standard output) is returned.
    """
    if output is None or str(output) == "-":
        return None
    folder = output.parent
    if output.is_dir():
        usage_error(f"--output {output}: is a folder; name a file")
    if not folder.is_dir():
        usage_error(f"--output {output}: the folder {folder} does not exist; create it or write elsewhere")
    if not os.access(output if output.exists() else folder, os.W_OK):
        usage_error(f"--output {output}: cannot be written here (permission denied)")
    target = output.resolve()
    for given in inputs:
        if str(given) == "-":
            if output.exists() and _is_standard_input(output):
                usage_error(f"--output {output}: is also standard input; writing it would destroy it")
            continue
        path = Path(given)
        if not path.exists():
            continue
        if path.is_dir():
            if target.suffix in reads and path.resolve() in target.parents:
                usage_error(f"--output {output}: is inside {given}, whose {target.suffix} files are read as input; "
                            f"write it elsewhere")
        elif output.exists() and os.path.samefile(output, path):
            usage_error(f"--output {output}: is also an input; writing it would destroy it")
    return output


def _is_standard_input(output: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(sys.stdin.fileno()), os.stat(output))
    except (OSError, ValueError, AttributeError):  # no standard input, or not a file
        return False


def write_output(output: Path, text: str) -> None:
    """Write a report file; a failure (a full disk, a folder gone since) is one line and exit 2."""
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        usage_error(f"--output {output}: cannot be written ({exc.strerror or 'error'})")


def write_document(document: dict, output_format: str, renderers: dict[str, str], color_choice: str,
                   output: Path | None) -> None:
    """A report document (``explain``'s, ``diff``'s) written as asked, to ``--output`` or standard
    output: ``json`` as it is, in ASCII (no raw bidi or lone surrogate from a record reaches a
    reader); any other format by its renderer, ``module:function``, imported only when used.
    ``text`` is coloured as :func:`use_color` decides."""
    color = False
    if output_format == "json":
        text = json.dumps(document, indent=2) + "\n"
    else:
        module, _, function = renderers[output_format].partition(":")
        render = getattr(importlib.import_module(module), function)
        if output_format == "text":
            color = use_color(color_choice, output is None and sys.stdout.isatty())
            text = render(document, color=color)
        else:
            text = render(document)
    if output is not None:
        write_output(output, text)
    else:
        click.echo(text, nl=False, color=color)


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
