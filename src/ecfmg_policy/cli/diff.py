"""``ecfmg-policy diff``: what a policy change does to real cases, before it is merged.

Two *sides*, base and head, judge the same records; the report says which decisions move,
which rules' outcomes, which outputs, and whose.  A side is a policy folder or file
(``--base``/``--head``; the head defaults to what ``check`` uses), the same folder at a git
revision (``--base-ref``/``--head-ref``), a version (``--base-version``/``--head-version``)
and a date (``--base-as-of``/``--head-as-of``, each defaulting to ``--as-of``, then today).
Each record is read and validated once and evaluated by both sides (``api.Differ``).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import os
import sys
import tempfile
from pathlib import Path

import click

from ecfmg_policy import __version__
from ecfmg_policy.api import Differ, Engine, file_sha256
from ecfmg_policy.cli.batch import problem_lines
from ecfmg_policy.cli.common import (DateParam, check_output, check_paths_exist, fail_policy, parse_data, usage_error,
                                     write_document)
from ecfmg_policy.cli.exits import EXIT_INVALID, EXIT_OK, EXIT_OPEN
from ecfmg_policy.errors import InputError, PolicyError, UsageError
from ecfmg_policy.evaluator.evaluation.comparison import DIFF_FORMAT, sides_note
from ecfmg_policy.evaluator.evaluation.explanation import files_of
from ecfmg_policy.evaluator.policy.model import INVALID
from ecfmg_policy.evaluator.policy.policyset import find_policies, nearest_policies
from ecfmg_policy.evaluator.records.records import iter_records
from ecfmg_policy.evaluator.source.git_revision import Snapshot, copy_at_revision

RENDERERS = {"text": "ecfmg_policy.cli.diff_report:render_text", "markdown": "ecfmg_policy.cli.diff_report:render_markdown",
             "html": "ecfmg_policy.cli.diff_html:render_html"}
FORMATS = ("text", "json", "markdown", "html")


@dataclasses.dataclass(frozen=True, slots=True)
class Side:
    """One side of a diff, as given: where its policies are, at which revision, version and date."""

    name: str  # "base" or "head"
    path: Path
    revision: str | None
    version: str | None
    as_of: datetime.date


@click.command()
@click.argument("records", nargs=-1, required=True)
@click.option("--base", "base_path", type=click.Path(path_type=Path), default=None,
              help="The base's policy folder or file (default: the head's).")
@click.option("--head", "head_path", type=click.Path(path_type=Path), default=None,
              help="The head's policy folder or file (default: the nearest policies/ folder here or above, "
                   "else the bundled ECFMG policies, as check finds them).")
@click.option("--base-ref", default=None, metavar="REVISION",
              help="Read the base's policies as they are at this git revision (e.g. origin/main).")
@click.option("--head-ref", default=None, metavar="REVISION",
              help="Read the head's policies as they are at this git revision.")
@click.option("--base-version", default=None, help="The base uses this version, whatever the date.")
@click.option("--head-version", default=None, help="The head uses this version, whatever the date.")
@click.option("--as-of", type=DateParam(), default=None, help="Judge both sides as of this date (default: today).")
@click.option("--base-as-of", type=DateParam(), default=None, help="Judge the base as of this date (default: --as-of).")
@click.option("--head-as-of", type=DateParam(), default=None, help="Judge the head as of this date (default: --as-of).")
@click.option("--data", "data_args", multiple=True, metavar="NAME=PATH",
              help="Reference data for both sides, e.g. world_directory=schools.json (default: the bundled sample).")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text",
              help="text for people (the default), json (ecfmg-policy.diff/1, see `schema diff`), markdown "
                   "(a pull-request comment or a GitHub Actions job summary) or html (one self-contained page).")
@click.option("--examples", "examples", type=click.IntRange(min=0), default=5, metavar="N",
              help="Records shown for each changed decision and each rule transition (default 5).")
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="Write the report to this file instead of standard output.")
@click.option("--color", "color_choice", type=click.Choice(["auto", "always", "never"]), default="auto",
              help="Colour text output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never.")
@click.option("--fail-on-change", is_flag=True,
              help="Exit 1 when any record's decision changed (a CI gate); otherwise a change exits 0.")
def diff(records, base_path, head_path, base_ref, head_ref, base_version, head_version, as_of, base_as_of,
         head_as_of, data_args, output_format, examples, output, color_choice, fail_on_change) -> None:
    """Judge RECORDS (JSON files, directories, .jsonl files, or - for stdin) under a base and a
    head policy and report what moved: the decision matrix, each rule's outcome transitions,
    changed outputs (deadlines, attempts left), and example records for every change.

    Say what the base is with at least one of --base, --base-ref, --base-version or
    --base-as-of; the head is what check uses unless told otherwise.

    Exit status: 0 done (with --fail-on-change: and no decision changed); 1 with
    --fail-on-change, some decision changed; 2 bad usage, an invalid record or unreadable
    input; 3 a broken policy on either side.
    """
    if not (base_path or base_ref or base_version or base_as_of):
        usage_error("say what to compare against: --base DIR, --base-ref REVISION (e.g. origin/main), "
                    "--base-version V or --base-as-of YYYY-MM-DD")
    as_of = as_of or datetime.date.today()
    given_data = parse_data(data_args)
    check_paths_exist([p for p in (base_path, head_path) if p], "a policy file or a folder of them")
    head_folder = find_policies(head_path)
    for name, revision, given in (("head", head_ref, head_path), ("base", base_ref, base_path or head_path)):
        if revision is not None and given is None and nearest_policies() is None:
            # the folder would be the bundled one: its history, if it has one, is the tool's, not the user's
            usage_error(f"--{name}-ref: there is no policies/ folder here or above to read at {revision}; "
                        f"name the policy folder with --{name} DIR")
    head = Side("head", head_folder, head_ref, head_version, head_as_of or as_of)
    base = Side("base", base_path or head_folder, base_ref, base_version, base_as_of or as_of)
    output = check_output(output, [*records, *given_data.values(), base.path, head.path],
                          reads=(".json", ".jsonl", ".yaml", ".yml"))
    with tempfile.TemporaryDirectory(prefix="ecfmg-policy-diff-") as scratch:
        base_engine, base_snapshot = _load_side(base, given_data, Path(scratch, "base"))
        if head.path == base.path and head.revision == base.revision:
            head_engine, head_snapshot = base_engine, base_snapshot  # one folder: loaded once
        else:
            head_engine, head_snapshot = _load_side(head, given_data, Path(scratch, "head"))
        differ = _differ(base, base_engine, base_snapshot, head, head_engine, head_snapshot, examples)
        base_side = _describe(base, base_engine, base_snapshot, differ.base[0].compiled)
        head_side = _describe(head, head_engine, head_snapshot, differ.head[0].compiled)
    for entry in iter_records(list(records)):
        result = differ.add(entry)
        if result.decision == INVALID:  # every one listed, where a person reads: standard error
            for line in problem_lines(entry, result):
                click.echo(line, err=True)
    document = {"format": DIFF_FORMAT, "tool": {"name": "ecfmg-policy", "version": __version__},
                **differ.comparison.document(base_side, head_side, sides_note(base_side, head_side))}
    write_document(document, output_format, RENDERERS, color_choice, output)
    sys.exit(exit_code(document, fail_on_change))


def exit_code(document: dict, fail_on_change: bool) -> int:
    """2 when a record was invalid (the comparison is incomplete); else 1 for a changed decision
    under ``--fail-on-change``; else 0."""
    if document[INVALID]["count"]:
        return EXIT_INVALID
    if fail_on_change and document["records"]["changed"]:
        return EXIT_OPEN
    return EXIT_OK


def _load_side(side: Side, given_data: dict[str, Path], scratch: Path) -> tuple[Engine, Snapshot | None]:
    """A side's engine: its policies loaded (read from git first, for a revision); a broken
    policy ends the command with exit 3, its problems named as the user knows the files."""
    snapshot = None
    if side.revision is not None:
        scratch.mkdir(parents=True)
        try:
            snapshot = copy_at_revision(side.path, side.revision, scratch)
        except UsageError as exc:
            usage_error(f"--{side.name}-ref: {exc}")
    try:
        return Engine.load(snapshot.path if snapshot else side.path, given_data), snapshot
    except PolicyError as exc:
        _fail_side(side, snapshot, exc)
    except UsageError as exc:
        raise click.BadParameter(str(exc), param_hint="--data") from None
    except InputError as exc:
        click.echo(exc.diagnostic.render(), err=True)
        sys.exit(EXIT_INVALID)


def _differ(base: Side, base_engine: Engine, base_snapshot, head: Side, head_engine: Engine, head_snapshot,
            examples: int) -> Differ:
    """Both sides' versions chosen and compiled before any record is read."""
    side = base
    try:
        base_engine.evaluator(base.as_of, base.version)
        side = head
        head_engine.evaluator(head.as_of, head.version)
        return Differ(base_engine, base.as_of, base.version, head_engine, head.as_of, head.version, examples)
    except PolicyError as exc:
        _fail_side(side, base_snapshot if side is base else head_snapshot, exc)
    except UsageError as exc:
        usage_error(f"the {side.name}: {exc}")


def _fail_side(side: Side, snapshot: Snapshot | None, error: PolicyError) -> None:
    """A broken side ends the command with exit 3: which side, then each problem, named as the
    user knows the files (``REVISION:path`` for a copy out of git)."""
    click.echo(f"ecfmg-policy: the {side.name}'s policies ({_shown_folder(side, snapshot)}) cannot be used:", err=True)
    fail_policy(PolicyError([_relabel(d, snapshot) for d in error.diagnostics]))


def _describe(side: Side, engine: Engine, snapshot: Snapshot | None, compiled) -> dict:
    """What the report says of a side: where its policies came from, the version used, its files."""
    policy = compiled.policy
    every_file = sorted({file for version in engine.policies.versions for file in files_of(version)})
    digests = {file: file_sha256(file) for file in every_file}
    whole = hashlib.sha256("".join(sorted(str(d) for d in digests.values())).encode()).hexdigest()
    return {
        "policies": _shown_folder(side, snapshot),
        "revision": side.revision,
        "commit": snapshot.commit if snapshot else None,
        "as_of": side.as_of.isoformat(),
        "version_given": side.version is not None,
        "policy": {"name": policy.name, "title": policy.title, "version": policy.version,
                   "effective_from": policy.effective_from.isoformat(),
                   "effective_to": compiled.effective_to.isoformat() if compiled.effective_to else None},
        "files": [{"file": _shown_file(file, snapshot), "sha256": digests[file]}
                  for file in sorted(files_of(compiled))],
        "policies_sha256": whole,
    }


def _shown_folder(side: Side, snapshot: Snapshot | None) -> str:
    return f"{side.revision}:{snapshot.in_repository}" if snapshot else str(side.path)


def _shown_file(file: str, snapshot: Snapshot | None) -> str:
    if snapshot is not None:
        return snapshot.shown(file)
    relative = os.path.relpath(file)
    return file if relative.startswith("..") else relative


def _relabel(diagnostic, snapshot: Snapshot | None):
    """A problem in a file copied out of git, named as ``REVISION:path`` rather than the copy's path."""
    if snapshot is None:
        return diagnostic
    position = diagnostic.position
    if position is not None and position.source:
        position = dataclasses.replace(position, source=snapshot.shown(position.source))
    source = snapshot.shown(diagnostic.source) if diagnostic.source else diagnostic.source
    return dataclasses.replace(diagnostic, position=position, source=source)
