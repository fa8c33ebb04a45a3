"""The case corpus: applicant records with expected decisions, one per file.

Each ``policies/ecfmg-certification/tests/*.yaml`` holds one case: a name, a
description of why it matters, an as-of date, an applicant record (built on a
fixture of ``tests/fixtures/`` with the case's ``changes``, or ``record_file``:
a JSON file relative to the case file), an optional ``policy_version`` that
replaces the version in force on the as-of date (the command line's
``--policy-version``), and the expected decision with rule outcomes and
outputs; ``other_rules`` gives the outcome of every rule the case does not
name, so each case asserts every rule.  The seed cases are ``NNN-slug.yaml``;
the cases for a later version are ``vVERSION-NN-slug.yaml``
(``v2021.1-01-...``) and are judged by that version.

Every case is one pytest item, run in process by the runner of ``ecfmg-policy
test`` (``ecfmg_policy.evaluator.testing``: the same discovery, loading,
evaluation and comparison), and a failure reads as that command prints it:
the case file, the line stating what was expected, expected against actual.
What the runner does not check is checked here, from the same run's results:
every evaluated case also agrees, rule by rule and output by output, with the
hand-written oracle in ``benchmarks/handwritten.py``, which implements all four
versions in plain Python (the corpus, the policy files and the oracle check
one another); for every policy version, the cases judged by it show each of
its rules both met and failing, in the engine's results and in what the cases
state.  ``tests/test_test_command.py`` runs the command itself on the corpus.
"""

from __future__ import annotations

import datetime
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from ecfmg_policy.cli.test import failure_text
from ecfmg_policy.evaluator.policy.model import Outcome
from ecfmg_policy.evaluator.tools import testing  # its TestRun and TestCase are not pytest's tests
from ecfmg_policy.evaluator.tools.testing import (CaseResult, Runner, case_entries, compare, expected_outcomes, load_case,
                                                   run_cases)
from ecfmg_policy.evaluator.language.values import to_json_value

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import handwritten as oracle  # noqa: E402

CASES_DIR = ROOT / "policies" / "ecfmg-certification" / "tests"
FIXTURES_DIR = CASES_DIR / "fixtures"
WORLD_DIRECTORY = ROOT / "policies" / "reference" / "world-directory.sample.json"
# As `ecfmg-policy test policies` finds them (CI's command): every YAML file in a tests/ folder.
ENTRIES = case_entries([ROOT / "policies"])
CASE_FILES = [entry.path for entry in ENTRIES if entry.problem is None]
# The cases whose record is evaluated (not refused as invalid), as each says.
EVALUATED = [path for path in CASE_FILES if yaml.safe_load(path.read_text())["expect"]["decision"] != "invalid"]

REQUIRED_CASE_KEYS = {"name", "description", "as_of", "expect"}
OPTIONAL_CASE_KEYS = {"policy_version", "changes"}
RECORD_KEYS = {"base", "record_file"}  # exactly one of them: every record is a fixture's, or the one file's
FIXTURES = ["graduate", "student", "graduate-2015", "pathway-graduate"]
DECISIONS = ("eligible", "pending", "ineligible", "not_applicable", "invalid")
FAILING = frozenset({Outcome.UNMET, Outcome.BLOCKED})
MIN_CASES_PER_VERSION = 8

# NNN-slug.yaml (seed cases) or vVERSION-NN-slug.yaml (cases judged by VERSION).
FILE_NAME = re.compile(r"^(?P<number>\d{3}|v(?P<version>\d{4}\.\d+)-\d{2})-[a-z0-9]+(-[a-z0-9]+)*\.yaml$")


@pytest.fixture(scope="module")
def runner() -> Runner:
    return Runner(None, {})


@pytest.fixture(scope="module")
def run(runner) -> testing.TestRun:
    """Every case run once, as ``ecfmg-policy test policies`` runs them."""
    return run_cases(ENTRIES, runner)


@pytest.fixture(scope="module")
def outcomes(run: testing.TestRun) -> dict[Path, CaseResult]:
    return {outcome.case.file: outcome for outcome in run.results}


def version_of(outcome: CaseResult) -> str:
    return outcome.result.policy.policy.version


# --- the corpus itself --------------------------------------------------------


def test_corpus_is_large_enough_and_every_file_is_read(run):
    assert len(CASE_FILES) >= 40 and CASES_DIR / "001-eligible-graduate.yaml" in CASE_FILES
    assert not [path for path in CASE_FILES if path.parent != CASES_DIR]  # the fixtures are no cases
    assert not [entry for entry in ENTRIES if entry.problem is not None]
    assert run.errors == () and run.not_run == ()
    assert sorted(o.case.file for o in run.results) == sorted(CASE_FILES)


def test_the_oracle_knows_every_version(run, runner):
    """The policy files and the hand-written oracle have the same timeline."""
    [engine] = runner.engines.values()
    engine_versions = [(c.policy.version, c.policy.effective_from) for c in engine.policies.versions]
    assert [(v.version, v.effective_from) for v in oracle.VERSIONS] == engine_versions


@pytest.mark.parametrize("path", CASE_FILES, ids=[path.stem for path in CASE_FILES])
def test_case_file_follows_the_corpus_conventions(path, outcomes):
    """What the test-case schema allows but this corpus asks more of: names, descriptions, quoting."""
    with path.open(encoding="utf-8") as f:
        case = yaml.safe_load(f)
    match = FILE_NAME.match(path.name)
    assert match, f"{path.name}: name it NNN-short-slug.yaml or vVERSION-NN-short-slug.yaml"
    keys = set(case)
    assert REQUIRED_CASE_KEYS <= keys, f"{path.name}: missing keys {sorted(REQUIRED_CASE_KEYS - keys)}"
    unknown = keys - REQUIRED_CASE_KEYS - OPTIONAL_CASE_KEYS - RECORD_KEYS
    assert not unknown, f"{path.name}: unknown keys {sorted(unknown)}"
    assert len(keys & RECORD_KEYS) == 1, f"{path.name}: build the record on a fixture (base), or name its file"
    rules = case["expect"].get("rules") or {}
    if case["expect"]["decision"] not in ("invalid", "not_applicable"):
        assert "other_rules" in case["expect"], f"{path.name}: say every other rule's outcome (other_rules)"
        assert case["expect"]["other_rules"] not in rules.values(), (
            f"{path.name}: a rule whose outcome is other_rules' need not be named")
    assert isinstance(case["name"], str) and case["name"].strip(), path.name
    assert isinstance(case["description"], str) and case["description"].strip(), path.name
    if "policy_version" in case:
        assert isinstance(case["policy_version"], str), f"{path.name}: quote the version label"
    if "record_file" in case:
        assert case["record_file"].endswith(".json"), f"{path.name}: record_file names a JSON record file"
    outcome = outcomes[path]
    if match.group("version") and outcome.result is not None:
        assert match.group("version") == version_of(outcome), (
            f"{path.name}: the file is named for version {match.group('version')} "
            f"but is judged by {version_of(outcome)}")


def test_the_fixtures_are_few_each_says_what_it_is_and_each_is_used():
    fixtures = sorted(FIXTURES_DIR.glob("*.yaml"))
    assert sorted(path.stem for path in fixtures) == sorted(FIXTURES)
    used = {yaml.safe_load(path.read_text()).get("base") for path in CASE_FILES}
    for path in fixtures:
        text = path.read_text()
        assert text.startswith("# ") and len(text.split("\n# ")) >= 2, f"{path.name}: a comment says what it is"
        assert path.stem in used, f"{path.name}: no case is built on it"


def test_case_numbers_are_unique():
    numbers = [FILE_NAME.match(path.name).group("number") for path in CASE_FILES if FILE_NAME.match(path.name)]
    assert len(numbers) == len(set(numbers)), "two cases share a number"


# --- each case, through the runner of `ecfmg-policy test` ---------------------


def as_reported(outcome: CaseResult) -> str:
    """A failed case as ``ecfmg-policy test`` reports it, with the line of the case file of each mismatch."""
    file = outcome.case.file
    places = "\n".join(f"{file}:{line}: {text}" for line, text in outcome.failures())
    return f"FAIL {file}: {outcome.case.name}\n{failure_text(outcome)}\n{places}"


@pytest.mark.parametrize("path", CASE_FILES, ids=[path.stem for path in CASE_FILES])
def test_case(path, outcomes):
    outcome = outcomes[path]
    if not outcome.passed:
        pytest.fail(as_reported(outcome), pytrace=False)
    result = outcome.result
    assert outcome.case.expect["decision"] == result.decision  # what `passed` means, stated once here
    expected_version = outcome.case.policy_version or oracle.version_in_force(outcome.case.as_of)
    assert version_of(outcome) == expected_version, f"{path.name}: judged by the wrong policy version"
    if result.decision == "invalid":
        assert result.errors, f"{path.name}: an invalid record must list its errors"
        for place, message in result.errors:
            assert isinstance(message, str) and message, path.name
            # A problem at the top level (an unknown or a missing field) points at that
            # field, "/citizenshp" or "/name", not at the whole record ("").
            assert place.startswith("/"), f"{path.name}: error path {place!r} is not a JSON pointer to the field"
        assert all(outcome_ == "not_applicable" for outcome_ in result.outcomes), (
            f"{path.name}: nothing is evaluated for an invalid record")
    else:
        assert not result.errors, f"{path.name}: unexpected errors {result.errors}"


def test_a_failing_case_is_reported_as_the_command_reports_it(run):
    """The message of a failed item names the file, the line of the expectation and the mismatch."""
    outcome = next(o for o in run.results if o.case.file.name == "001-eligible-graduate.yaml")
    expect = {**outcome.case.expect, "decision": "pending",
              "outputs": {**outcome.case.expect["outputs"], "window_ends_on": "2018-10-02"}}
    wrong = CaseResult(outcome.case, outcome.result, tuple(compare(expect, outcome.result)))
    text = as_reported(wrong)
    file = outcome.case.file
    lines = text.splitlines()
    assert lines[0] == f"FAIL {file}: a graduate who meets every requirement is eligible"
    assert "    decision:\n      - expected: pending\n      + actual:   eligible" in text
    assert "    output window_ends_on:\n      - expected: 2018-10-02\n      + actual:   2018-10-01" in text
    decision_line = file.read_text().splitlines().index("  decision: eligible") + 1
    assert f"{file}:{decision_line}: decision: expected pending, got eligible" in lines


# --- what the runner does not check --------------------------------------------


@pytest.fixture(scope="module")
def schools() -> dict[str, dict]:
    return oracle.load_schools(WORLD_DIRECTORY)


@pytest.mark.parametrize("path", EVALUATED, ids=[path.stem for path in EVALUATED])
def test_case_agrees_with_the_oracle(path, outcomes, schools):
    """Decision, every rule outcome and every output, not only those the case states."""
    outcome = outcomes[path]
    result = outcome.result
    assert result.decision != "invalid", result.errors  # the oracle takes schema-valid records only
    case = outcome.case
    expected = oracle.evaluate(oracle.parse_dates(case.record), schools, case.as_of, version_of(outcome))
    where = f"{path.name} (oracle)"
    assert expected["decision"] == case.expect["decision"] == result.decision, where
    assert expected["rules"] == {rule.id: rule.outcome for rule in result.rules}, where
    assert to_json_value(expected["outputs"]) == to_json_value(result.outputs), where
    stated = to_json_value(expected["outputs"])
    for name, value in (case.expect.get("outputs") or {}).items():
        assert stated[name] == value, f"{where}: output {name}"


@pytest.fixture(scope="module")
def versions(run) -> list[str]:
    return list(dict.fromkeys(version for version, _ in run.coverage.rule_order))


def test_every_version_is_judged_by_enough_cases(run, versions):
    judged = [version_of(o) for o in run.results if o.result is not None and o.result.policy is not None]
    assert versions == [v.version for v in oracle.VERSIONS]
    for version in versions:
        assert judged.count(version) >= MIN_CASES_PER_VERSION, (
            f"only {judged.count(version)} cases are judged by version {version}")


def test_every_rule_is_both_met_and_failing_in_each_version(run):
    """Per version: the cases judged by it reach each of its rules met and unmet or blocked (the
    engine's results, as ``--min-coverage 100`` counts them), and say so in their expectations."""
    coverage = run.coverage
    not_covered = [key for key in coverage.rule_order if not coverage.covered(key)]
    assert not not_covered, f"never both met and unmet or blocked: {not_covered}"
    stated: dict[tuple[str, str], set[str]] = {key: set() for key in coverage.rule_order}
    for outcome in run.results:
        rule_ids = [rule.id for rule in outcome.result.rules]
        for rule_id, expected in expected_outcomes(outcome.case.expect, rule_ids).items():
            stated[(version_of(outcome), rule_id)].add(expected)
    not_met = [key for key, seen in stated.items() if "met" not in seen]
    never_failing = [key for key, seen in stated.items() if not seen & FAILING]
    assert not not_met, f"no case expects these rules met: {not_met}"
    assert not never_failing, f"no case expects these rules unmet or blocked: {never_failing}"
    assert coverage.percent() == 100.0


def test_every_decision_is_reached(run):
    assert {o.result.decision for o in run.results} == set(DECISIONS)
    assert {o.case.expect["decision"] for o in run.results} == set(DECISIONS)


def test_an_unquoted_date_in_a_case_is_read_as_its_iso_string(tmp_path):
    """Dates in case files are quoted strings; an unquoted YAML date is tolerated and compared as YYYY-MM-DD."""
    source = (CASES_DIR / "001-eligible-graduate.yaml").read_text()
    folder = tmp_path / "tests"
    shutil.copytree(FIXTURES_DIR, folder / "fixtures")
    path = folder / "unquoted.yaml"
    path.write_text(source.replace('"2019-06-01"', "2019-06-01").replace('"2018-10-01"', "2018-10-01"))
    case = load_case(path)
    assert case.as_of == datetime.date(2019, 6, 1)
    assert case.expect["outputs"]["window_ends_on"] == "2018-10-01"
