"""``ecfmg-policy fmt``: write policy files, test cases and the YAML beside them in one layout."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ecfmg_policy.cli.common import check_paths_exist, usage_error
from ecfmg_policy.cli.exits import EXIT_BUG, EXIT_INVALID, EXIT_OK, EXIT_OPEN
from ecfmg_policy.errors import terminal_safe
from ecfmg_policy.evaluator.policy.policyset import nearest_policies
from ecfmg_policy.evaluator.tools.fmt import SUFFIXES, format_paths, unified_diff, write


def default_fmt_paths() -> list[Path]:
    """The ``policies`` folder ``lint`` and ``test`` would find, but never the copy bundled inside
    the installed package: fmt writes, and that copy is not the user's to rewrite."""
    found = nearest_policies()
    if found is None:
        usage_error("no `policies` folder here or in a folder above; name the files or folders to format")
    return [found]


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Change nothing; list the files fmt would change, and exit 1 if any.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Change nothing; print the changes as a unified diff, and exit 1 if any.")
def fmt(paths, check, show_diff) -> None:
    """Rewrite YAML files (policies, test cases, fixtures) in the one canonical layout.

    PATHS are files or folders (searched for *.yaml and *.yml, links not followed); without
    one, the nearest `policies` folder. Only files whose layout changes are written.

    Exit status: 0 nothing left to change; 1 with --check or --diff, a file would change;
    2 a path is missing or a file cannot be read; 4 fmt would have changed what a file
    means, a bug: that file is left as it was.
    """
    check_paths_exist(paths, "a YAML file or a folder of them")
    for path in paths:
        if not os.path.isdir(path) and Path(path).suffix not in SUFFIXES:
            usage_error(f"{path}: fmt formats YAML files ({', '.join(SUFFIXES)}); name one, or a folder of them")
    dry = check or show_diff
    results = format_paths(list(paths) or default_fmt_paths())
    # With --diff standard output is the diff alone, to read or to apply; the rest goes to standard error.
    say = (lambda line: click.echo(line, err=True)) if show_diff else click.echo
    changed = unchanged = failed = 0
    bug = False
    for result in results:
        shown = terminal_safe(str(result.path))
        if result.problem is None and not result.changed:
            unchanged += 1
            continue
        if result.problem is None and show_diff:
            click.echo("".join(terminal_safe(line) + "\n" for line in unified_diff(result).splitlines()), nl=False)
        problem = result.problem if result.problem is not None or dry else write(result)
        if problem is not None:
            failed += 1
            bug = bug or problem.code == "fmt-unsafe"
            click.echo(problem.render(), err=True)
            continue
        changed += 1
        say(f"would reformat {shown}" if dry else f"reformatted {shown}")
    say(_summary(changed, unchanged, failed, dry))
    sys.exit(EXIT_BUG if bug else EXIT_INVALID if failed else EXIT_OPEN if dry and changed else EXIT_OK)


def _summary(changed: int, unchanged: int, failed: int, dry: bool) -> str:
    parts = [f"{changed} file(s) would be reformatted" if dry else f"{changed} file(s) reformatted",
             f"{unchanged} file(s) already formatted"]
    if failed:
        parts.append(f"{failed} file(s) could not be formatted")
    return ", ".join(parts)
