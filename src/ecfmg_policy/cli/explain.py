"""``ecfmg-policy explain``: why one record gets its decision, rule by rule, with its timeline."""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path

import click

from ecfmg_policy.api import Engine
from ecfmg_policy.cli.check import _load_engine
from ecfmg_policy.cli.common import (check_output, check_paths_exist, fail_policy, judging_options, parse_data,
                                     write_document)
from ecfmg_policy.cli.report import Tally
from ecfmg_policy.errors import PolicyError, UsageError
from ecfmg_policy.errors import terminal_safe as safe
from ecfmg_policy.evaluator.policy.model import INVALID
from ecfmg_policy.evaluator.policy.policyset import find_policies
from ecfmg_policy.evaluator.records.records import read_one_record


@click.command()
@click.argument("record")
@judging_options
@click.option("--format", "output_format", type=click.Choice(["text", "json", "html"]), default="text",
              help="text for people (the default), json (ecfmg-policy.explain/1, see `schema explain`), "
                   "or html (one self-contained page with the timeline drawn).")
@click.option("--color", "color_choice", type=click.Choice(["auto", "always", "never"]), default="auto",
              help="Colour text output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never.")
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="Write the explanation to this file instead of standard output.")
def explain(record, policy_path, policy_version, as_of, data_args, output_format, color_choice, output) -> None:
    """Explain the decision on one RECORD (a JSON file, FILE.jsonl:LINE as check labels it, or -
    for stdin): for each rule, the facts it read, the values it computed, the clause it applied
    and what would meet it; and the exam attempts and windows on a timeline.

    Exit status as check's: 0 eligible or not applicable; 1 pending or ineligible; 2 bad usage,
    an invalid or unreadable record; 3 a broken policy.
    """
    as_of = as_of or datetime.date.today()
    given_data = parse_data(data_args)
    check_paths_exist([policy_path] if policy_path else [], "a policy file or a folder of them")
    output = check_output(output, [_file_of(record), *given_data.values(), find_policies(policy_path)],
                          reads=(".json", ".jsonl", ".yaml", ".yml"))
    engine: Engine = _load_engine(policy_path, given_data)
    try:
        engine.evaluator(as_of, policy_version)  # the version in force, compiled before the record is read
        entry, raw = read_one_record(record)
    except PolicyError as exc:
        fail_policy(exc)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    document = engine.explain(entry, raw, as_of, policy_version)
    write_document(document, output_format, {"text": "ecfmg_policy.cli.explain_text:render_text",
                                              "html": "ecfmg_policy.cli.explain_html:render_html"},
                   color_choice, output)
    if document["decision"] == INVALID and (output_format != "text" or output is not None):
        for problem in document["errors"]:  # said once more where a person reads: standard error
            where = f"{safe(problem['path'])}: " if problem["path"] else ""  # none for the record as a whole
            click.echo(f"ecfmg-policy: {safe(document['record']['label'])}: {where}{safe(problem['message'])}", err=True)
    tally = Tally()
    tally.counts[document["decision"]] += 1
    sys.exit(tally.exit_code())


def _file_of(record: str) -> str:
    """The file RECORD is read from: ``FILE.jsonl:LINE`` is read from FILE.jsonl (as
    ``read_one_record`` reads it), which an --output must not overwrite either."""
    file, sep, number = record.rpartition(":")
    if record != "-" and not os.path.lexists(record) and sep and number.isdigit():
        return file
    return record
