"""``ecfmg-policy lint``: every check that needs no record, in formats people and CI read."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ecfmg_policy.cli import diagnostics as formats
from ecfmg_policy.errors import terminal_safe
from ecfmg_policy.cli.common import check_output, check_paths_exist, write_output
from ecfmg_policy.evaluator.tools.lint import lint_paths
from ecfmg_policy.evaluator.policy.policyset import find_policies


def default_policy_paths() -> list[Path]:
    """The policies every command uses when none are named (``policyset.find_policies``)."""
    return [find_policies()]


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json", "github", "sarif"]), default="text")
@click.option("--strict", is_flag=True, help="Exit 1 when there are warnings (errors always exit 3).")
@click.option("--require-titles", is_flag=True,
              help="Warn about each definition a rule reads that has no title (reviewers and explanations show it).")
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="Write the report to this file.")
def lint(paths, output_format, strict, require_titles, output) -> None:
    """Check policy files without running them: YAML, structure, expressions, names, types, versions.

    Exit status: 0 clean (or warnings only, without --strict); 1 warnings with --strict; 3 errors.
    """
    check_paths_exist(paths, "a policy file or a folder of them")
    checked = list(paths) or default_policy_paths()
    output = check_output(output, checked, reads=(".yaml", ".yml"))
    report = lint_paths(checked, require_titles=require_titles)
    counts = {"files": len(report.files), "errors": report.errors, "warnings": report.warnings}
    where = ", ".join(terminal_safe(str(path)) for path in checked)
    summary = f"{counts['files']} file(s) checked in {where}: {report.errors} error(s), {report.warnings} warning(s)"
    if output_format == "json":
        text = formats.as_json(report.diagnostics, counts)
    elif output_format == "github":
        text = formats.as_github(report.diagnostics)
    elif output_format == "sarif":
        text = formats.as_sarif(report.diagnostics, fallback_file=str(checked[0]))
    else:
        text = formats.as_text(report.diagnostics, summary)
    if output:
        write_output(output, text + "\n")
    elif text:
        click.echo(text)
    if output_format == "github":
        click.echo(summary, err=True)
    sys.exit(3 if report.errors else 1 if strict and report.warnings else 0)
