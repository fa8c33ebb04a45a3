"""``ecfmg-policy``: the command group and its entry point.

Every command is a thin shell over the evaluator: parse arguments, call the
stages, format the result, choose the exit code.  Any error a user can cause
arrives there as a :class:`~ecfmg_policy.errors.PolicyError` or
:class:`~ecfmg_policy.errors.InputError` and leaves as readable lines.
Commands are imported only when run, so starting one does not pay for the others.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys

import click

from ecfmg_policy import __version__
from ecfmg_policy.cli.exits import EXIT_BUG, EXIT_CLOSED_PIPE, EXIT_INTERRUPTED, EXIT_INVALID
from ecfmg_policy.errors import did_you_mean
from ecfmg_policy.project import BUG_REPORTS


COMMANDS = {
    "check": ("ecfmg_policy.cli.check", "Check applicant records against the policy in force on a date."),
    "diff": ("ecfmg_policy.cli.diff", "Compare decisions under two policies, versions or dates, record by record."),
    "explain": ("ecfmg_policy.cli.explain", "Explain the decision on one record: facts, clauses, timeline."),
    "fmt": ("ecfmg_policy.cli.fmt", "Rewrite policy files and test cases in the one canonical layout."),
    "lint": ("ecfmg_policy.cli.lint", "Check policy files without running them."),
    "schema": ("ecfmg_policy.cli.schema", "Print a shipped JSON Schema."),
    "test": ("ecfmg_policy.cli.test", "Run policy test cases; show failures and rule coverage."),
    "versions": ("ecfmg_policy.cli.versions", "Show the timeline of policy versions and what each changed."),
}


class ClosedPipe(Exception):
    """Standard output was closed by its reader.  Not an ``OSError``: click would turn that into exit 1."""


class LazyGroup(click.Group):
    """A group whose commands are imported when used."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise ClosedPipe() from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), name)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0] if args else ""
        if name not in COMMANDS and not name.startswith("-"):
            hint = did_you_mean(name, COMMANDS) or "the commands are " + ", ".join(sorted(COMMANDS))
            ctx.fail(f"no command `{name}`; {hint}")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in sorted(COMMANDS)])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ecfmg-policy")
def cli() -> None:
    """Check applicant records against the ECFMG Certification policy."""


def main() -> None:
    """Run a command; whatever happens, the exit status means one thing (spec §8).

    0-3 are the commands' own answers.  Everything else that can end a run is
    caught here so that it cannot borrow them: Ctrl-C exits 130, a closed output
    pipe ends quietly, and an exception nobody expected is a bug, said in one
    line with exit 4, never a traceback that looks like an answer.
    """
    try:
        try:
            code = cli.main(prog_name="ecfmg-policy", standalone_mode=False)
        finally:
            sys.stdout.flush()  # a closed pipe shows here, if nowhere before
    except SystemExit as stop:
        code = stop.code
    except click.exceptions.Exit as stop:
        code = stop.exit_code
    except click.ClickException as problem:
        problem.show()
        code = problem.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("\necfmg-policy: interrupted", err=True)
        code = EXIT_INTERRUPTED
    except (BrokenPipeError, ClosedPipe):
        code = _closed_pipe()
    except OSError as failed:
        if failed.errno not in _WRITE_FAILURES:
            raise
        # the disk is full, the device failed: the world's doing, not a bug and not an answer
        click.echo(f"ecfmg-policy: cannot write the output: {failed.strerror}", err=True)
        code = EXIT_INVALID
    except Exception as bug:  # noqa: BLE001 - the one place a bug is turned into a message
        name = type(bug).__name__
        click.echo(f"ecfmg-policy: internal error ({name}); this is a bug, please report it with the command "
                   f"you ran at {BUG_REPORTS}", err=True)
        code = EXIT_BUG
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = _closed_pipe()
    sys.exit(code if isinstance(code, int) else 0 if code is None else 1)


_WRITE_FAILURES = {errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EROFS}


def _closed_pipe() -> int:
    """The reader of our output went away: stop without a word (and without Python's own at exit)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_CLOSED_PIPE
