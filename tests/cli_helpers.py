"""Run the real command line, as a user would, in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``ecfmg-policy ARGS…`` with the interpreter running the tests (so the installed package)."""
    return subprocess.run([sys.executable, "-m", "ecfmg_policy", *map(str, args)], input=stdin,
                          capture_output=True, text=True, cwd=cwd or ROOT, timeout=120)


def invoke(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``ecfmg-policy ARGS…`` run in this process: the real entry point (``cli.main.main``, which
    chooses the exit status), its standard streams captured as click's test runner does.

    What a subprocess would print and exit with, without starting Python and loading the
    policies again for each call.  Only for what the process itself does not change: not for
    terminals, signals, closed pipes, ``--jobs`` or start-up (``run_cli`` for those).
    """
    import os

    from click.testing import CliRunner

    from ecfmg_policy.cli.main import main

    argv, here = sys.argv, os.getcwd()
    with CliRunner().isolation(input=stdin) as (out, err, _):
        sys.argv = ["ecfmg-policy", *map(str, args)]
        os.chdir(cwd or ROOT)
        try:
            main()
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
        finally:
            sys.argv = argv
            os.chdir(here)
            sys.stdout.flush()
            sys.stderr.flush()  # what was written to it directly, not through click.echo
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return subprocess.CompletedProcess(["ecfmg-policy", *map(str, args)], code, stdout, stderr)


def policy_with_records(folder: Path) -> Path:
    """A copy of the bundled policy at ``folder``, its tests/ holding only the example records (in records/)."""
    import shutil

    shutil.copytree(ROOT / "policies" / "ecfmg-certification", folder, ignore=shutil.ignore_patterns("tests"))
    shutil.copytree(ROOT / "examples", folder / "tests" / "records", ignore=shutil.ignore_patterns("*.jsonl"))
    return folder


def write_case(policy: Path, name: str, text: str) -> Path:
    """A test case file in ``policy``/tests, written from indented text."""
    import textwrap

    path = policy / "tests" / name
    path.write_text(textwrap.dedent(text))
    return path


# A case that passes against policy_with_records: the eligible example, by file (rules on line 6).
PASSING = """\
    name: the eligible example, by file
    as_of: "2020-06-01"
    record_file: records/eligible.json
    expect:
      decision: eligible
      rules: {exams.passed_in_window: met, application.fee: met}
      outputs: {window_ends_on: "2023-03-10"}
    """


def assert_readme_shows_real_output(command: str, least_lines: int) -> None:
    """The README block starting ``$ COMMAND`` shows that command's output abridged with ``…``
    lines: every other line of it is printed by the real command, in the same order."""
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index(f"$ {command}"):]
    block = block[:block.index("```")].rstrip("\n").split("\n")
    printed = invoke(*block[0][2:].split()[1:]).stdout.split("\n")
    at = 0
    for line in block[1:]:
        if line.strip() == "…":
            continue
        at = printed.index(line, at) + 1  # raises if missing or out of order
    assert at > least_lines
