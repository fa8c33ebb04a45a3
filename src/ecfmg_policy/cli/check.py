"""``ecfmg-policy check``: decide records against the policy in force on a date."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import click

from ecfmg_policy.cli import report
from ecfmg_policy.cli.common import DateParam, check_output, fail_policy, parse_data, usage_error, use_color
from ecfmg_policy.api import load_data
from ecfmg_policy.errors import InputError, PolicyError, UsageError, clip, terminal_safe
from ecfmg_policy.evaluator.evaluate import Evaluator, RecordResult
from ecfmg_policy.evaluator.policyset import find_policies, load_policy_set
from ecfmg_policy.evaluator.records import iter_records


@click.command()
@click.argument("records", nargs=-1, required=True)
@click.option("--policy", "policy_path", type=click.Path(path_type=Path), default=None,
              help="Policy file or directory (default: the nearest policies/ folder here or above, "
                   "else the bundled ECFMG policies).")
@click.option("--policy-version", default=None, help="Use this version instead of the one in force on --as-of.")
@click.option("--as-of", type=DateParam(), default=None, help="Judge as of this date (default: today).")
@click.option("--data", "data_args", multiple=True, metavar="NAME=PATH",
              help="Reference data, e.g. world_directory=schools.json (default: the bundled sample).")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "jsonl"]), default="text",
              help="text for people (the default, on a terminal or not), json, or jsonl (one result a line).")
@click.option("--color", "color_choice", type=click.Choice(["auto", "always", "never"]), default="auto",
              help="Colour text output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never.")
@click.option("-q", "--quiet", is_flag=True, help="Text: show only records that are not eligible, and the summary.")
@click.option("-v", "--verbose", is_flag=True, help="Text: show every rule, met ones included.")
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="Write results to this file instead of standard output.")
def check(records, policy_path, policy_version, as_of, data_args, output_format, color_choice, quiet, verbose,
          output) -> None:
    """Check applicant RECORDS (JSON files, directories, .jsonl files, or - for stdin).

    Exit status: 0 every record eligible or not applicable; 1 some record pending
    or ineligible; 2 bad usage, an invalid record or unreadable input; 3 a broken policy.
    """
    as_of = as_of or datetime.date.today()
    given_data = parse_data(data_args)
    check_output(output, [*records, *given_data.values(), *([policy_path] if policy_path else [])])
    try:
        policies = load_policy_set(find_policies(policy_path))
        compiled = policies.select(as_of, policy_version)
    except PolicyError as exc:
        fail_policy(exc)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        data = load_data(policies, given_data)
    except UsageError as exc:
        raise click.BadParameter(str(exc), param_hint="--data") from None
    except InputError as exc:
        click.echo(exc.diagnostic.render(), err=True)
        sys.exit(report.EXIT_INVALID)
    evaluator = Evaluator(compiled, data)
    try:
        stream = output.open("w", encoding="utf-8") if output else sys.stdout
    except OSError as exc:
        usage_error(f"--output {output}: cannot be written ({exc.strerror or 'error'})")
    color = use_color(color_choice, output is None and sys.stdout.isatty())
    # An invalid record's problems are shown once: in the text a person reads, or, when the
    # results are for a program or a file, as one line each on standard error.
    echo_problems = output_format != "text" or output is not None
    results: list[RecordResult] = []
    try:
        for entry in iter_records(list(records)):
            if entry.problem is not None:
                d = entry.problem
                place = f"{d.position.line}:{d.position.column}" if d.position else (d.pointer or "")
                result = RecordResult(entry.label, as_of, compiled, "invalid", errors=((place, d.message),))
                if echo_problems:
                    click.echo(d.render(), err=True)
            else:
                result = evaluator.evaluate(entry.label, entry.value, as_of)
                for pointer, message in result.errors if result.decision == "invalid" and echo_problems else ():
                    click.echo(terminal_safe(f"{entry.label}#{pointer}: error: {clip(message, 800)}"), err=True)
            results.append(result)
            if output_format == "jsonl":
                report.write_jsonl(result, stream)
            elif output_format == "text" and not (quiet and result.decision in ("eligible", "not_applicable")):
                click.echo(report.text_for(result, color=color, verbose=verbose) + "\n", file=stream, color=color)
        if output_format == "json":
            report.write_json(results, stream)
        elif output_format == "text" and (len(results) > 1 or quiet):
            click.echo(report.text_summary(results), file=stream)
    finally:
        if output:
            stream.close()
    sys.exit(report.exit_code(results))
