"""``ecfmg-policy schema KIND``: print a shipped JSON Schema."""

from __future__ import annotations

import click

from ecfmg_policy.evaluator.schemas import SCHEMA_FILES, schema_text


@click.command()
@click.argument("kind", type=click.Choice(sorted(SCHEMA_FILES)))
def schema(kind: str) -> None:
    """Print the JSON Schema (2020-12) for KIND: applicant, world-directory, policy or result."""
    click.echo(schema_text(kind), nl=False)
