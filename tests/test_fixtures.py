"""Fixtures and changes: a test case built on a base record kept beside the cases, saying only what differs.

What a policy author notices: the real command on real files (decisions, mismatches, exit
statuses, the file, line and column of every problem); the merge of ``changes`` into a
fixture as RFC 7386 says, against the RFC's own examples and a reference implementation;
chains of fixtures, and the chains, names and files that are refused; ``other_rules``,
which lets a short case still assert every rule.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest
from cli_helpers import ROOT, invoke
from hypothesis import given, settings
from hypothesis import strategies as st

from ecfmg_policy.evaluator.tools.fixtures import MAX_CHAIN, merge_patch
from ecfmg_policy.evaluator.tools.testing import case_files, load_case

POLICIES = ROOT / "policies" / "ecfmg-certification"

# The reference graduate of the corpus (eligible on 2019-06-01 under 2004.1), as a fixture file.
GRADUATE = """\
    # a graduate who meets every requirement of version 2004.1
    record:
      usmle_id: "1-234-567-8"
      name: {given: Priya, family: Sharma}
      date_of_birth: "1987-04-12"
      gender: female
      citizenship: [IN]
      status: graduate
      medical_school:
        world_directory_id: F0000101
        name: Northbridge University Faculty of Medicine
        country: IN
      education:
        academic_years_completed: 5
        graduation_date: "2011-06-30"
        diploma_received: true
        credentials:
          diploma: {status: verified, verified_on: "2012-02-01"}
          transcript: {status: verified, verified_on: "2012-02-10"}
      application:
        submitted_on: "2010-08-16"
        submitted_as: student
        fee_paid_usd: 75
        identity_confirmed: true
        purpose_acknowledged: true
      exams:
        - {exam: USMLE_STEP1, date: "2011-10-01", result: pass, score: 231}
        - {exam: USMLE_STEP2_CK, date: "2013-03-12", result: pass, score: 244}
        - {exam: USMLE_STEP2_CS, date: "2014-07-20", result: pass}
    """
RULES_2004 = ["application.usmle_id", "application.submitted", "application.identity_confirmed",
              "application.purpose_acknowledged", "application.fee", "school.listed", "school.graduation_year",
              "school.current_students", "education.academic_years", "education.diploma_received",
              "education.diploma_verified", "education.transcript_verified", "exams.passed_in_window",
              "exams.attempt_limit", "certificate.issued_after_requirements"]
NOT_APPLICABLE = ["school.current_students", "exams.attempt_limit", "certificate.issued_after_requirements"]


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    """A copy of the bundled policy with no cases, and the graduate fixture beside where its cases go."""
    folder = tmp_path / "ecfmg-certification"
    shutil.copytree(POLICIES, folder, ignore=shutil.ignore_patterns("tests"))
    write(folder, "tests/fixtures/graduate.yaml", GRADUATE)
    return folder


def write(policy: Path, name: str, text: str) -> Path:
    path = policy / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


class Place(str):
    """``LINE:COLUMN``; ``+ n`` moves it along the line."""

    def __add__(self, columns: int) -> "Place":
        line, column = self.split(":")
        return Place(f"{line}:{int(column) + columns}")


def line_col(path: Path, needle: str) -> Place:
    """``LINE:COLUMN`` of the one occurrence of ``needle`` in the file."""
    text = path.read_text()
    assert text.count(needle) == 1, needle
    before = text[:text.index(needle)]
    return Place(f"{before.count(chr(10)) + 1}:{len(before) - before.rfind(chr(10))}")


def graduate_record() -> dict:
    import yaml

    return yaml.safe_load(textwrap.dedent(GRADUATE))["record"]


# --- a case that says only what differs -------------------------------------------------------------

LEAP_DAY = textwrap.dedent("""\
    name: a window that starts on 29 February ends on 28 February seven years later
    as_of: "2019-06-01"
    base: graduate
    changes:
      exams:
        - {exam: USMLE_STEP1, date: "2012-02-29", result: pass, score: 229}
        - {exam: USMLE_STEP2_CK, date: "2015-08-19", result: pass, score: 233}
        - {exam: USMLE_STEP2_CS, date: "2019-02-28", result: pass}
    expect:
      decision: eligible
      rules: {exams.passed_in_window: met, school.current_students: not_applicable,
              exams.attempt_limit: not_applicable, certificate.issued_after_requirements: not_applicable}
      other_rules: met
      outputs: {window_starts_on: "2012-02-29", window_ends_on: "2019-02-28"}
    """)


def test_a_case_on_a_fixture_passes_and_is_judged_on_the_fixture_with_its_changes(policy):
    case = write(policy, "tests/leap-day.yaml", LEAP_DAY)
    proc = invoke("test", policy, "-v")
    assert proc.returncode == 0, proc.stdout
    assert f"ok   {case}: a window that starts on 29 February" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "1 passed, 0 failed"
    built = load_case(case).record
    assert built == {**graduate_record(), "exams": [
        {"exam": "USMLE_STEP1", "date": "2012-02-29", "result": "pass", "score": 229},
        {"exam": "USMLE_STEP2_CK", "date": "2015-08-19", "result": "pass", "score": 233},
        {"exam": "USMLE_STEP2_CS", "date": "2019-02-28", "result": "pass"}]}


def test_a_case_without_changes_is_the_fixture_itself(policy):
    case = write(policy, "tests/as-is.yaml", """\
        name: the fixture as it is
        as_of: "2019-06-01"
        base: graduate
        expect: {decision: eligible}
        """)
    assert load_case(case).record == graduate_record()
    assert invoke("test", policy).returncode == 0


def test_changes_merge_mappings_remove_with_null_and_replace_lists(policy):
    case = write(policy, "tests/merged.yaml", """\
        name: changes
        as_of: "2019-06-01"
        base: graduate
        changes:
          usmle_id: null
          citizenship: [NG, GB]
          education:
            academic_years_completed: 4
            credentials:
              transcript: {status: pending, verified_on: null}
          application: {fee_paid_usd: 74.99}
          notes: {reason: new key}
        expect: {decision: pending}
        """)
    record, fixture = load_case(case).record, graduate_record()
    assert "usmle_id" not in record  # null removes the key
    assert record["citizenship"] == ["NG", "GB"]  # a list replaces the fixture's, never merges into it
    education = record["education"]
    assert education["academic_years_completed"] == 4 and education["graduation_date"] == "2011-06-30"  # siblings kept
    assert education["credentials"] == {"diploma": fixture["education"]["credentials"]["diploma"],
                                        "transcript": {"status": "pending"}}  # merged two levels down
    assert record["application"] == {**fixture["application"], "fee_paid_usd": 74.99}
    assert record["notes"] == {"reason": "new key"}  # a new key is added
    assert record["exams"] == fixture["exams"]
    assert graduate_record() == fixture  # the fixture file itself is untouched


def test_an_unquoted_date_in_changes_is_read_as_its_iso_string(policy):
    case = write(policy, "tests/dates.yaml", LEAP_DAY.replace('"2012-02-29", result', "2012-02-29, result"))
    assert load_case(case).record["exams"][0]["date"] == "2012-02-29"
    assert invoke("test", policy).returncode == 0


def test_a_case_whose_changes_make_the_point_fails_when_the_point_is_wrong(policy):
    """The leap-day case, with the window's end expected a day later: a mismatch at that line."""
    case = write(policy, "tests/leap-day.yaml", LEAP_DAY.replace('window_ends_on: "2019-02-28"',
                                                                 'window_ends_on: "2019-03-01"'))
    proc = invoke("test", policy, "--format", "json")
    assert proc.returncode == 1
    [result] = json.loads(proc.stdout)["cases"]
    assert result["mismatches"] == [{"what": "output window_ends_on", "expected": "2019-03-01", "actual": "2019-02-28",
                                     "detail": None, "via": None, "line": int(line_col(case, "outputs:").split(":")[0])}]


# --- chains of fixtures --------------------------------------------------------------------------------

def test_a_fixture_built_on_another_fixture(policy):
    write(policy, "tests/fixtures/student.yaml", """\
        # the graduate, a year before graduating
        base: graduate
        changes:
          status: student
          education: {academic_years_completed: 4, graduation_date: null, diploma_received: false,
                      credentials: {diploma: {status: not_submitted, verified_on: null}}}
        """)
    write(policy, "tests/fixtures/late-student.yaml", """\
        base: student
        changes:
          application: {submitted_on: "2011-01-10"}
        """)
    case = write(policy, "tests/student.yaml", """\
        name: a student on a chain of two fixtures
        as_of: "2011-06-01"
        base: late-student
        changes:
          exams: []
        expect:
          decision: pending
          rules: {exams.passed_in_window: unmet, education.diploma_received: unmet, education.diploma_verified: unmet,
                  education.transcript_verified: unmet, school.graduation_year: not_applicable,
                  certificate.issued_after_requirements: not_applicable}
          other_rules: met
        """)
    record = load_case(case).record
    fixture = graduate_record()
    assert record["status"] == "student" and "graduation_date" not in record["education"]
    assert record["education"]["credentials"] == {"diploma": {"status": "not_submitted"},
                                                  "transcript": fixture["education"]["credentials"]["transcript"]}
    assert record["application"] == {**fixture["application"], "submitted_on": "2011-01-10"}
    assert record["exams"] == []
    proc = invoke("test", policy)
    assert proc.returncode == 0, proc.stdout


def test_fixture_files_are_not_cases(policy):
    write(policy, "tests/leap-day.yaml", LEAP_DAY)
    write(policy, "tests/fixtures/more/deeper.yaml", "record: {}\n")
    assert case_files([policy]) == [policy / "tests" / "leap-day.yaml"]
    assert case_files([policy / "tests"]) == [policy / "tests" / "leap-day.yaml"]
    proc = invoke("test", policy)
    assert proc.returncode == 0 and proc.stdout.splitlines()[-1] == "1 passed, 0 failed"


def test_a_fixture_named_on_the_command_line_is_refused_as_no_case(policy):
    fixture = policy / "tests" / "fixtures" / "graduate.yaml"
    proc = invoke("test", fixture)
    assert proc.returncode == 2
    assert proc.stdout.startswith(f"{fixture}: error: `graduate.yaml` is a fixture (a base record in fixtures/), "
                                  "not a test case\n  = help: run the cases that name it (`base: graduate`)")


def test_a_cycle_of_fixtures_is_refused_where_it_closes(policy):
    write(policy, "tests/fixtures/a.yaml", "base: b\nchanges: {gender: male}\n")
    b = write(policy, "tests/fixtures/b.yaml", "# b\nbase: a\n")
    write(policy, "tests/cycle.yaml", 'name: cycle\nas_of: "2019-06-01"\nbase: a\nexpect: {decision: eligible}\n')
    proc = invoke("test", policy)
    assert proc.returncode == 2
    assert f"{b}:2:7: error: fixtures form a cycle: a -> b -> a\n   2 | base: a\n             ^" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "0 passed, 0 failed, 1 error"
    assert "Traceback" not in proc.stdout + proc.stderr


def test_a_fixture_on_itself_is_a_cycle(policy):
    me = write(policy, "tests/fixtures/me.yaml", "base: me\n")
    write(policy, "tests/self.yaml", 'name: self\nas_of: "2019-06-01"\nbase: me\nexpect: {decision: eligible}\n')
    proc = invoke("test", policy)
    assert f"{me}:1:7: error: fixtures form a cycle: me -> me" in proc.stdout and proc.returncode == 2


def test_a_chain_longer_than_the_limit_is_refused_and_one_at_the_limit_is_built(policy):
    names = [f"step-{i}" for i in range(MAX_CHAIN + 1)]
    for name, below in zip(names, [*names[1:], "graduate"]):
        write(policy, f"tests/fixtures/{name}.yaml", f"base: {below}\nchanges: {{gender: {name}}}\n")
    ok = write(policy, "tests/ok.yaml", f'name: ok\nas_of: "2019-06-01"\nbase: {names[2]}\nexpect: {{decision: eligible}}\n')
    write(policy, "tests/deep.yaml", f'name: deep\nas_of: "2019-06-01"\nbase: {names[0]}\nexpect: {{decision: eligible}}\n')
    assert load_case(ok).record["gender"] == names[2]  # the nearest change wins; eight files in all
    proc = invoke("test", policy)
    assert proc.returncode == 2
    last = policy / "tests" / "fixtures" / f"{names[MAX_CHAIN - 1]}.yaml"
    assert f"{last}:1:7: error: a chain of more than {MAX_CHAIN} fixtures: {' -> '.join(names)}\n" in proc.stdout
    assert "1 case(s) not run because of it: deep" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "1 passed, 0 failed, 1 error"


# --- names and files that are refused -----------------------------------------------------------------

def test_an_unknown_base_names_the_line_and_column_and_the_closest_fixture(policy):
    case = write(policy, "tests/typo.yaml", LEAP_DAY.replace("base: graduate", "base: graduat"))
    proc = invoke("test", policy)
    assert proc.returncode == 2
    assert proc.stdout.startswith(
        f"{case}:3:7: error: no fixture `graduat`: there is no file fixtures/graduat.yaml beside the case\n"
        "   3 | base: graduat\n             ^\n  = help: did you mean `graduate`?\n")


def test_an_unknown_base_far_from_any_fixture_lists_them_and_without_fixtures_says_where_to_write_one(policy):
    case = write(policy, "tests/typo.yaml", LEAP_DAY.replace("base: graduate", "base: resident"))
    assert "= help: fixtures here: `graduate`" in invoke("test", policy).stdout
    shutil.rmtree(policy / "tests" / "fixtures")
    proc = invoke("test", policy)
    assert f"{case}:3:7: error: no fixture `resident`" in proc.stdout
    assert f"= help: write the base record in {policy / 'tests' / 'fixtures' / 'resident.yaml'}" in proc.stdout


@pytest.mark.parametrize("name", ["../graduate", "/etc/passwd", "fixtures/graduate", "Graduate", "graduate.yaml"])
def test_a_base_that_is_not_a_plain_name_is_refused_before_any_file_is_read(policy, name):
    case = write(policy, "tests/path.yaml", LEAP_DAY.replace("base: graduate", f"base: {json.dumps(name)}"))
    proc = invoke("test", policy)
    assert proc.returncode == 2
    assert proc.stdout.startswith(f"{case}:3:7: error: `{name}` does not have the expected form: expected a "
                                  "fixture's name: lower-case letters, digits, dashes or underscores, such as graduate")


def test_a_fixture_through_a_link_is_refused(policy, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(textwrap.dedent(GRADUATE))
    (policy / "tests" / "fixtures" / "linked.yaml").symlink_to(outside / "secret.yaml")
    write(policy, "tests/linked.yaml", LEAP_DAY.replace("base: graduate", "base: linked"))
    proc = invoke("test", policy)
    assert proc.returncode == 2
    fixture = policy / "tests" / "fixtures" / "linked.yaml"
    assert (f"{fixture}: error: fixture file `fixtures/linked.yaml` goes through a symbolic link (`linked.yaml`); "
            "links are not followed") in proc.stdout
    assert "Priya" not in proc.stdout


def test_a_fixtures_folder_that_is_a_link_is_refused(policy, tmp_path):
    shutil.move(policy / "tests" / "fixtures", tmp_path / "elsewhere")
    (policy / "tests" / "fixtures").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    write(policy, "tests/leap-day.yaml", LEAP_DAY)
    proc = invoke("test", policy)
    assert proc.returncode == 2
    assert "error: `fixtures` is a symbolic link; folders are read without following links" in proc.stdout
    assert "fixture file `fixtures/graduate.yaml` goes through a symbolic link (`fixtures`)" in proc.stdout


def test_a_fixture_that_is_a_pipe_is_refused_not_waited_on(policy):
    os.mkfifo(policy / "tests" / "fixtures" / "pipe.yaml")
    write(policy, "tests/pipe.yaml", LEAP_DAY.replace("base: graduate", "base: pipe"))
    proc = invoke("test", policy)
    assert proc.returncode == 2
    assert "error: fixture file `fixtures/pipe.yaml` is not a regular file" in proc.stdout


# --- a fixture that cannot be read says where ----------------------------------------------------------

def test_a_broken_fixture_is_one_error_at_its_line_naming_the_cases_it_stopped(policy):
    fixture = policy / "tests" / "fixtures" / "graduate.yaml"
    fixture.write_text(fixture.read_text().replace("gender: female", "gender: [female"))
    write(policy, "tests/a.yaml", LEAP_DAY)
    write(policy, "tests/b.yaml", LEAP_DAY.replace("name: a window", "name: another window"))
    proc = invoke("test", policy)
    assert proc.returncode == 2
    assert proc.stdout.count(f"{fixture}:") == 1
    assert f"{fixture}:{line_col(fixture, 'citizenship') + 11}: error: invalid YAML" in proc.stdout  # where it stopped
    assert "; 2 case(s) not run because of it: a.yaml, b.yaml\n" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "0 passed, 0 failed, 1 error"


def test_a_fixture_with_an_unknown_key_is_a_positioned_structure_error(policy):
    fixture = write(policy, "tests/fixtures/typo.yaml", "# a typo\nrecrod: {status: graduate}\n")
    write(policy, "tests/typo.yaml", LEAP_DAY.replace("base: graduate", "base: typo"))
    proc = invoke("test", policy, "--format", "json")
    assert proc.returncode == 2
    [error] = json.loads(proc.stdout)["errors"]
    assert error | {"hint": ""} == {"severity": "error", "code": "test-fixture-structure", "message": "unknown key `recrod`",
                                    "file": str(fixture), "line": 2, "column": 1, "in": "test case", "hint": ""}
    assert error["hint"] == "did you mean `record`?; 1 case(s) not run because of it: typo.yaml"


@pytest.mark.parametrize("text, message", [
    ("changes: {status: student}\n", "needs exactly one of `record` or `base`"),
    ("record: {}\nbase: graduate\n", "needs exactly one of `record` or `base`"),
    ("- record\n", "a fixture must be a mapping"),
])
def test_a_fixture_must_hold_a_record_or_a_base(policy, text, message):
    write(policy, "tests/fixtures/odd.yaml", text)
    write(policy, "tests/odd.yaml", LEAP_DAY.replace("base: graduate", "base: odd"))
    proc = invoke("test", policy)
    assert proc.returncode == 2 and message in proc.stdout and "Traceback" not in proc.stdout + proc.stderr


def test_a_case_holds_exactly_one_record_and_changes_only_with_a_base(policy):
    case = write(policy, "tests/both.yaml", LEAP_DAY.replace("base: graduate", "base: graduate\nrecord: {}"))
    proc = invoke("test", case)
    assert f"{case}:1:1: error: needs exactly one of `record`, `record_file` or `base`" in proc.stdout
    case = write(policy, "tests/both.yaml", LEAP_DAY.replace("base: graduate", "record: {}"))
    proc = invoke("test", case)
    assert proc.returncode == 2
    assert proc.stdout.startswith(f"{case}:4:1: error: `changes` needs `base` beside it\n   4 | changes:\n")


# --- a refused record says where its offending value was written ----------------------------------------

def decision_detail(policy: Path) -> str:
    proc = invoke("test", policy, "--format", "json")
    assert proc.returncode == 1, proc.stdout
    [case] = json.loads(proc.stdout)["cases"]
    [mismatch] = [m for m in case["mismatches"] if m["what"] == "decision"]
    assert (mismatch["expected"], mismatch["actual"]) == ("eligible", "invalid")
    return mismatch["detail"]


def test_a_value_from_the_changes_that_the_schema_refuses_is_placed_in_the_case(policy):
    case = write(policy, "tests/bad.yaml", LEAP_DAY.replace("result: pass, score: 233", "result: passed, score: 233"))
    detail = decision_detail(policy)
    assert detail.startswith("/exams/1/result: `passed` is not allowed; expected one of pass, fail, incomplete "
                             f"(written at {case}:{line_col(case, 'passed,')})")


def test_a_value_from_the_fixture_that_the_schema_refuses_is_placed_in_the_fixture(policy):
    fixture = policy / "tests" / "fixtures" / "graduate.yaml"
    fixture.write_text(fixture.read_text().replace("academic_years_completed: 5", "academic_years_completed: -5"))
    write(policy, "tests/leap-day.yaml", LEAP_DAY)
    assert decision_detail(policy) == ("/education/academic_years_completed: `-5` is below the minimum, 0 "
                                       f"(written at {fixture}:{line_col(fixture, ': -5') + 2})")


def test_a_field_removed_by_the_changes_is_placed_at_the_null_that_removed_it(policy):
    case = write(policy, "tests/bad.yaml", LEAP_DAY.replace("changes:\n", "changes:\n  name: {family: null}\n"))
    assert decision_detail(policy) == (f"/name/family: 'family' is required but missing "
                                       f"(written at {case}:{line_col(case, 'null')})")


def test_a_field_a_fixture_chain_removed_is_placed_in_that_fixture(policy):
    student = write(policy, "tests/fixtures/student.yaml", "base: graduate\nchanges:\n  status: student\n"
                                                            "  education: {graduation_date: null}\n")
    write(policy, "tests/bad.yaml", LEAP_DAY.replace("base: graduate", "base: student")
          .replace("changes:\n", "changes:\n  status: graduate\n"))
    assert decision_detail(policy) == ("/education/graduation_date: 'graduation_date' is required but missing "
                                       f"(written at {student}:{line_col(student, 'null')})")


def test_a_value_of_an_inline_record_is_placed_too(policy):
    record = textwrap.dedent(GRADUATE).split("\n", 1)[1].replace("gender: female", "gender: 7")
    case = write(policy, "tests/inline.yaml", f'name: inline\nas_of: "2019-06-01"\n{record}expect: {{decision: eligible}}\n')
    assert decision_detail(policy) == f"/gender: expected text, got a whole number (written at {case}:{line_col(case, 'gender: 7') + 8})"


# --- other_rules: every rule asserted, only the point named ----------------------------------------------

def test_other_rules_fails_a_case_whose_unnamed_rule_differs_naming_the_rule_and_the_line(policy):
    case = write(policy, "tests/leap-day.yaml", LEAP_DAY.replace(" exams.attempt_limit: not_applicable,", ""))
    line = int(line_col(case, "other_rules").split(":")[0])
    proc = invoke("test", policy)
    assert proc.returncode == 1
    assert ("    rule exams.attempt_limit (by other_rules, line 13):\n      - expected: met\n"
            "      + actual:   not_applicable\n") in proc.stdout and line == 13
    assert proc.stdout.count("    rule ") == 1  # the other unnamed rules are met, as other_rules says
    github = invoke("test", policy, "--format", "github")
    assert (f"::error file={case},line=13,title=ecfmg-policy test::a window that starts on 29 February ends on "
            "28 February seven years later: rule exams.attempt_limit: expected met (by other_rules), got "
            "not_applicable") in github.stdout
    [result] = json.loads(invoke("test", policy, "--format", "json").stdout)["cases"]
    assert [(m["what"], m["via"], m["line"]) for m in result["mismatches"]] == [
        ("rule exams.attempt_limit", "other_rules", 13)]


def test_other_rules_asserts_every_rule_of_the_version_that_is_not_named(policy):
    case = write(policy, "tests/all.yaml", LEAP_DAY.replace("other_rules: met", "other_rules: not_applicable"))
    proc = invoke("test", policy, "--format", "json")
    [result] = json.loads(proc.stdout)["cases"]
    named = {"exams.passed_in_window", *NOT_APPLICABLE}
    assert {m["what"] for m in result["mismatches"]} == {f"rule {r}" for r in RULES_2004 if r not in named}
    assert all(m["expected"] == "not_applicable" and m["actual"] == "met" for m in result["mismatches"])
    assert load_case(case).lines["other_rules"] == 13


def test_a_named_rule_is_compared_with_its_own_outcome_not_other_rules(policy):
    write(policy, "tests/leap-day.yaml", LEAP_DAY.replace("exams.passed_in_window: met", "exams.passed_in_window: unmet"))
    proc = invoke("test", policy)
    assert proc.returncode == 1
    assert "    rule exams.passed_in_window:\n      - expected: unmet\n      + actual:   met" in proc.stdout


def test_without_other_rules_an_unnamed_rule_is_not_compared(policy):
    write(policy, "tests/leap-day.yaml", LEAP_DAY.replace("  other_rules: met\n", "")
          .replace(" exams.attempt_limit: not_applicable,", ""))
    assert invoke("test", policy).returncode == 0


# --- merge patch: the RFC's examples, a reference implementation, and the diff of two records -------------

# RFC 7386, Appendix A: original, patch, result.
RFC_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize("original, patch, result", RFC_EXAMPLES)
def test_merge_patch_gives_the_rfcs_examples(original, patch, result):
    assert merge_patch(original, patch) == result


def rfc_merge_patch(target, patch):
    """RFC 7386 section 2, as its pseudo-code says, step by step (it changes ``target``)."""
    if isinstance(patch, dict):
        if not isinstance(target, dict):
            target = {}
        for name, value in patch.items():
            if value is None:
                if name in target:
                    del target[name]
            else:
                target[name] = rfc_merge_patch(target.get(name), value)
        return target
    return patch


def merge_patch_from(a, b):
    """A patch that takes ``a`` to ``b`` (``b`` with no nulls): what differs, keys ``b`` lacks as null."""
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return b
    patch = {key: None for key in a if key not in b}
    for key, value in b.items():
        if key not in a or a[key] != value:
            patch[key] = merge_patch_from(a.get(key), value) if isinstance(a.get(key), dict) else value
    return patch


KEYS = st.sampled_from(["a", "b", "c", "exams", "date", "status"])
SCALARS = st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["x", "2012-02-29", ""])
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
                    max_leaves=12)
NO_NULLS = st.recursive(SCALARS.filter(lambda v: v is not None),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
                        max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(JSON, JSON)
def test_merge_patch_is_the_rfcs_algorithm_and_changes_neither_value(target, patch):
    target_before, patch_before = copy.deepcopy(target), copy.deepcopy(patch)
    assert merge_patch(target, patch) == rfc_merge_patch(copy.deepcopy(target), copy.deepcopy(patch))
    assert (target, patch) == (target_before, patch_before)


@settings(max_examples=400, deadline=None)
@given(JSON, NO_NULLS)
def test_the_patch_computed_as_the_difference_of_two_records_gives_the_second(first, second):
    assert merge_patch(first, merge_patch_from(first, second)) == second


@settings(max_examples=200, deadline=None)
@given(JSON, JSON)
def test_a_merge_patch_applied_twice_is_applied_once(target, patch):
    once = merge_patch(target, patch)
    assert merge_patch(once, patch) == once


RECORD_PATCHES = st.dictionaries(
    st.sampled_from(["usmle_id", "gender", "citizenship", "education", "exams", "notes"]),
    st.none() | st.sampled_from(["male", "x"]) | st.lists(st.sampled_from(["IN", "NG"]), max_size=2)
    | st.dictionaries(st.sampled_from(["academic_years_completed", "diploma_received", "credentials"]),
                      st.none() | st.integers(0, 9) | st.booleans(), max_size=3),
    max_size=4)


@settings(max_examples=40, deadline=None)
@given(RECORD_PATCHES)
def test_the_case_runner_builds_the_merge_patch_of_the_fixture_and_the_changes(tmp_path_factory, changes):
    """Through real files: whatever the changes, the record the runner judges is the merge patch."""
    import yaml

    folder = tmp_path_factory.mktemp("policy")
    write(folder, "tests/fixtures/graduate.yaml", GRADUATE)
    case = write(folder, "tests/case.yaml", yaml.safe_dump({"name": "x", "as_of": "2019-06-01", "base": "graduate",
                                                           "changes": changes, "expect": {"decision": "eligible"}}))
    assert load_case(case).record == merge_patch(graduate_record(), changes)


# --- the schemas editors use ------------------------------------------------------------------------------

def test_schema_test_fixture_prints_the_fixture_schema():
    proc = invoke("schema", "test-fixture")
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert schema["title"] == "ecfmg-policy test fixture" and set(schema["properties"]) == {
        "$schema", "description", "record", "base", "changes"}
    case_schema = json.loads(invoke("schema", "test-case").stdout)
    assert {"base", "changes"} <= set(case_schema["properties"])
    assert "other_rules" in case_schema["properties"]["expect"]["properties"]


# --- the guide's examples (§12.2, §12.3), run as they are written there --------------------------------

GUIDE = ROOT / "docs" / "policy-authors-guide.md"


def guide_section(title: str) -> str:
    text = GUIDE.read_text("utf-8")
    start = text.index(f"### {title}")
    return text[start:text.index("\n### ", start + 1)]


def fenced(section: str, language: str) -> list[str]:
    """The code blocks of ``section`` whose opening fence says ``language`` (``""``: none)."""
    blocks, current, opened_as = [], None, ""
    for line in section.split("\n"):
        if current is None and line.startswith("```"):
            current, opened_as = [], line[3:].strip()
        elif current is not None and line.strip() == "```":
            if opened_as == language:
                blocks.append("\n".join(current) + "\n")
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def bundled_copy(tmp_path: Path) -> Path:
    """The bundled policies folder, cases and fixtures included, as ``policies`` in ``tmp_path``."""
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    return tmp_path / "policies" / "ecfmg-certification" / "tests"


def test_the_guides_fixture_and_case_are_the_bundled_files_and_pass_on_their_own(tmp_path):
    """§12.2's example: each block that starts with its path is that bundled file, and the two alone
    (the policy, that fixture, that case) make a run that passes."""
    files = {block.split("\n", 1)[0][2:]: block.split("\n", 1)[1]
             for block in fenced(guide_section("12.2 Writing a test case"), "yaml") if block.startswith("# tests/")}
    assert sorted(files) == ["tests/004-leap-day-window-last-day.yaml", "tests/fixtures/graduate.yaml"]
    for name, text in files.items():
        assert text == (POLICIES / name).read_text(), f"the guide's {name} is not the bundled file"
    policy = tmp_path / "ecfmg-certification"
    shutil.copytree(POLICIES, policy, ignore=shutil.ignore_patterns("tests"))
    for name, text in files.items():
        write(policy, name, text)
    proc = invoke("test", policy)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.splitlines()[-1] == "1 passed, 0 failed"


def guide_failure(section: str, starts: str) -> list[str]:
    block = next(b for b in fenced(section, "") if b.startswith(starts))
    return [line for line in block.splitlines() if line != "    …"]


def test_the_guides_other_rules_failure_is_what_the_command_prints(tmp_path):
    tests = bundled_copy(tmp_path)
    case = tests / "004-leap-day-window-last-day.yaml"
    case.write_text(case.read_text().replace("    exams.attempt_limit: not_applicable\n", ""))
    shown = guide_failure(guide_section("12.2 Writing a test case"), "FAIL policies/ecfmg-certification/tests/004")
    proc = invoke("test", "-q", "policies", cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    start = lines.index(shown[0])
    assert lines[start:start + len(shown)] == shown
    assert lines[start + len(shown)] == ""  # nothing else differs


def test_the_guides_refused_record_is_what_the_command_prints(tmp_path):
    tests = bundled_copy(tmp_path)
    case = tests / "005-leap-day-window-day-after.yaml"
    text = case.read_text()
    assert text.count("result: pass, score: 233}") == 1
    case.write_text(text.replace("result: pass, score: 233}", "result: passed, score: 233}"))
    shown = guide_failure(guide_section("12.2 Writing a test case"), "FAIL policies/ecfmg-certification/tests/005")
    proc = invoke("test", "-q", "policies", cwd=tmp_path)
    lines = proc.stdout.splitlines()
    start = lines.index(shown[0])
    assert lines[start:start + len(shown)] == shown


def test_the_guides_unknown_base_is_what_the_command_prints(tmp_path):
    tests = bundled_copy(tmp_path)
    case = tests / "002-pass-on-window-last-day.yaml"
    case.write_text(case.read_text().replace("base: graduate\n", "base: graduat\n"))
    shown = fenced(guide_section("12.3 Running the tests"), "")
    shown = next(b for b in shown if "no fixture `graduat`" in b)
    proc = invoke("test", "-q", "policies", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout.startswith(shown)
