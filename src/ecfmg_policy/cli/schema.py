"""``ecfmg-policy schema KIND``: print, or write for an offline editor, a shipped JSON Schema."""

from __future__ import annotations

from pathlib import Path

import click

from ecfmg_policy.cli.common import check_output, write_output
from ecfmg_policy.evaluator.records.schemas import SCHEMA_FILES, schema_text


@click.command()
@click.argument("kind", type=click.Choice(sorted(SCHEMA_FILES)))
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="Write the schema to this file (for an editor that works offline) instead of printing it.")
def schema(kind: str, output: Path | None) -> None:
    """Print the JSON Schema (2020-12) for KIND: applicant, world-directory, policy, result,
    explain, diff, test-case or test-fixture.

    Each schema's $id is its published address, which editors in any repository can use.
    """
    output = check_output(output, [])
    if output is not None:
        write_output(output, schema_text(kind))
    else:
        click.echo(schema_text(kind), nl=False)
