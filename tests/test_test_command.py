"""`ecfmg-policy test`: cases beside a policy, diffs for failures, rule coverage, CI reports."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cli_helpers import PASSING, ROOT, invoke, policy_with_records, run_cli, write_case

POLICIES = ROOT / "policies" / "ecfmg-certification"


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    return policy_with_records(tmp_path / "ecfmg-certification")




def test_the_projects_own_cases_pass_with_full_coverage():
    """The command itself on the corpus, as CI runs it (each case is also a pytest item: test_case_corpus)."""
    cases = sorted(POLICIES.glob("tests/*.yaml"))
    proc = run_cli("test", "policies", "--min-coverage", "100")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert proc.stdout.splitlines()[-1] == f"{len(cases)} passed, 0 failed"
    assert re.search(r"^  100% of \d+ rule versions covered$", proc.stdout, re.M), proc.stdout[-3000:]
    assert proc.stderr == ""


def test_record_file_relative_to_the_case(policy):
    write_case(policy, "ok.yaml", PASSING)
    proc = invoke("test", policy)
    assert proc.returncode == 0, proc.stdout
    assert "1 passed, 0 failed" in proc.stdout


def test_a_failing_case_shows_expected_against_actual_with_the_rules_message(policy):
    write_case(policy, "wrong.yaml", """\
        name: pending example wrongly expected eligible
        as_of: "2020-06-01"
        record_file: records/pending.json
        expect:
          decision: eligible
          rules: {education.diploma_received: met, exams.passed_in_window: unmet}
          outputs: {window_ends_on: "2026-05-03"}
        """)
    proc = invoke("test", policy)
    assert proc.returncode == 1
    out = proc.stdout
    assert f"FAIL {policy / 'tests' / 'wrong.yaml'}: pending example wrongly expected eligible" in out
    assert "    decision:\n      - expected: eligible\n      + actual:   pending" in out
    assert ("    rule education.diploma_received:\n      - expected: met\n      + actual:   unmet\n"
            "        (Complete all requirements and receive the final medical diploma)") in out
    assert "    output window_ends_on:\n      - expected: 2026-05-03\n      + actual:   2026-05-02" in out
    assert "exams.passed_in_window" not in out.split("rule coverage")[0]  # matched, so not reported
    assert "0 passed, 1 failed" in out


def test_an_unknown_rule_id_in_a_case_is_a_failure_with_a_suggestion(policy):
    write_case(policy, "typo.yaml", PASSING
               .replace("application.fee: met", "application.fees: met"))
    proc = invoke("test", policy)
    assert proc.returncode == 1
    assert "rule application.fees:" in proc.stdout and "(no such rule in this version)" in proc.stdout
    assert "did you mean `application.fee`?" in proc.stdout


def test_policy_version_in_a_case_forces_that_version(policy):
    write_case(policy, "forced.yaml", PASSING
               .replace('as_of: "2020-06-01"', 'as_of: "2023-06-01"\n    policy_version: "2004.1"')
               .replace("application.fee: met", "school.listed: met"))
    proc = invoke("test", policy, "--format", "json")
    data = json.loads(proc.stdout)
    assert data["cases"][0]["version"] == "2004.1" and data["cases"][0]["passed"]


def test_coverage_table_and_min_coverage(policy):
    write_case(policy, "ok.yaml", PASSING)
    proc = invoke("test", policy)
    assert proc.returncode == 0
    assert re.search(r"^  2004\.1 +application\.fee +yes  -     met   <- not covered$", proc.stdout, re.M), proc.stdout
    short = invoke("test", policy, "--min-coverage", "50")
    assert short.returncode == 1
    assert "rule coverage 0% is below the minimum 50%" in short.stdout


def test_min_coverage_zero_still_fails_when_a_rule_was_never_reached(policy):
    write_case(policy, "ok.yaml", PASSING)
    assert invoke("test", policy, "--min-coverage", "0").returncode == 1


def test_junit_report_has_one_testcase_per_case_and_failures(policy):
    write_case(policy, "a-ok.yaml", PASSING)
    write_case(policy, "b-bad.yaml", PASSING
               .replace("decision: eligible", "decision: ineligible"))
    report = policy.parent / "report.xml"
    proc = invoke("test", policy, "--format", "junit", "--output", report)
    assert proc.returncode == 1 and proc.stdout == ""
    suites = ET.parse(report).getroot()
    suite = suites.find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    cases = suite.findall("testcase")
    assert [c.get("classname") for c in cases] == ["a-ok", "b-bad"]
    failure = cases[1].find("failure")
    assert failure.get("message") == 'decision: expected ineligible, got eligible'
    assert "+ actual:   eligible" in failure.text
    assert cases[0].find("failure") is None


def test_a_broken_case_file_is_reported_with_its_position(policy):
    case = write_case(policy, "broken.yaml", """\
        name: broken
        as_of: "2020-06-01"
        record: {}
        expect:
          decison: eligible
        """)
    write_case(policy, "ok.yaml", PASSING)
    proc = invoke("test", policy)
    assert proc.returncode == 2
    # in the report itself, counted in its closing line: never "1 passed, 0 failed" beside a broken file
    assert f"{case}:5:3: error: unknown key `decison`" in proc.stdout
    assert "did you mean `decision`?" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "1 passed, 0 failed, 1 error"
    assert proc.stderr == ""  # shown once


def test_a_case_against_a_broken_policy_exits_3(policy):
    write_case(policy, "ok.yaml", PASSING)
    seed = policy / "2004-06-14.yaml"
    seed.write_text(seed.read_text().replace("require: listed", "require: listd"))
    proc = invoke("test", policy)
    assert proc.returncode == 3
    assert "unknown name `listd`" in proc.stdout and "did you mean `listed`?" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "0 passed, 0 failed, 1 error, 1 not run (their policy is broken)"


def test_a_case_needs_a_record(policy):
    case = write_case(policy, "norecord.yaml", 'name: x\nas_of: "2020-06-01"\nexpect: {decision: eligible}\n')
    proc = invoke("test", case)
    assert proc.returncode == 2
    assert f"{case}:1:1: error: needs exactly one of `record`, `record_file` or `base`" in proc.stdout
