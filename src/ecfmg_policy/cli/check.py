"""``ecfmg-policy check``: decide records against the policy in force on a date."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import click

from ecfmg_policy.cli import batch, progress, report
from ecfmg_policy.cli.exits import EXIT_INVALID
from ecfmg_policy.cli.common import (JobsParam, check_output, check_paths_exist, fail_policy, judging_options, parse_data,
                                     usage_error, use_color)
from ecfmg_policy.api import Engine
from ecfmg_policy.errors import InputError, PolicyError, UsageError
from ecfmg_policy.evaluator.policy.policyset import find_policies


@click.command()
@click.argument("records", nargs=-1, required=True)
@judging_options
@click.option("--format", "output_format", type=click.Choice(["text", "json", "jsonl"]), default="text",
              help="text for people (the default, on a terminal or not), json, or jsonl (one result a line).")
@click.option("--color", "color_choice", type=click.Choice(["auto", "always", "never"]), default="auto",
              help="Colour text output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never.")
@click.option("-q", "--quiet", is_flag=True, help="Text: show only records that are not eligible, and the summary.")
@click.option("-v", "--verbose", is_flag=True, help="Text: show every rule, met ones included.")
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="Write results to this file instead of standard output.")
@click.option("--jobs", "-j", type=JobsParam(), default="1", metavar="N|auto",
              help="Worker processes (default 1; auto: one per core available). Large JSON Lines files are "
                   "shared out in parts; the output is the same as with one.")
def check(records, policy_path, policy_version, as_of, data_args, output_format, color_choice, quiet, verbose,
          output, jobs) -> None:
    """Check applicant RECORDS (JSON files, directories, .jsonl files, or - for stdin).

    Exit status: 0 every record eligible or not applicable; 1 some record pending
    or ineligible; 2 bad usage, an invalid record or unreadable input; 3 a broken policy.
    """
    as_of = as_of or datetime.date.today()
    given_data = parse_data(data_args)
    check_paths_exist([policy_path] if policy_path else [], "a policy file or a folder of them")
    output = check_output(output, [*records, *given_data.values(), find_policies(policy_path)],
                          reads=(".json", ".jsonl", ".yaml", ".yml"))
    engine = _load_engine(policy_path, given_data)
    try:
        engine.evaluator(as_of, policy_version)  # the version in force, compiled before any record is read
    except PolicyError as exc:
        fail_policy(exc)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        stream = output.open("w", encoding="utf-8") if output else sys.stdout
    except OSError as exc:
        usage_error(f"--output {output}: cannot be written ({exc.strerror or 'error'})")
    color = use_color(color_choice, output is None and sys.stdout.isatty())
    form = report.ResultFormat(output_format, color, verbose, quiet)
    # An invalid record's problems are shown once: in the text a person reads, or, when the
    # results are for a program or a file, as one line each on standard error.
    run = batch.Run(engine, as_of, policy_version, form, echo_problems=output_format != "text" or output is not None)
    parts = batch.plan(list(records), jobs)
    tally = report.Tally()
    meter = progress.Progress() if progress.wanted(results_to_terminal=output is None and sys.stdout.isatty()) else None
    err = meter or sys.stderr  # problems on standard error erase the progress line first
    try:
        if output_format == "json":
            stream.write(report.JSON_HEAD)
        if jobs > 1 and len(parts) > 1:
            separator = (lambda n: "," if n else "") if output_format == "json" else (lambda n: "")
            tally.counts.update(batch.run_parallel(run, parts, min(jobs, len(parts)), stream, separator, err,
                                                   meter.update if meter else None))
        else:
            write = form.writer(stream)
            for part in parts:  # one record at a time: read, decided, written, let go
                tally.counts.update(run.part(part, stream, err, write, meter.record if meter else None))
        if output_format == "json":
            stream.write(report.json_tail(tally))
        elif output_format == "text" and (tally.total > 1 or quiet):
            click.echo(tally.text_summary(), file=stream)
    finally:
        if meter is not None:
            meter.close()
        if output:
            stream.close()
    sys.exit(tally.exit_code())


def _load_engine(policy_path: Path | None, given_data: dict[str, Path]) -> Engine:
    """The policies ``check`` uses (``find_policies``) with their data; a problem ends the command."""
    try:
        return Engine.load(find_policies(policy_path), given_data)
    except PolicyError as exc:
        fail_policy(exc)
    except UsageError as exc:
        raise click.BadParameter(str(exc), param_hint="--data") from None
    except InputError as exc:
        click.echo(exc.diagnostic.render(), err=True)
        sys.exit(EXIT_INVALID)
