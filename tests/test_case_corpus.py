"""The case corpus: applicant records with expected decisions, one per file.

Each ``policies/ecfmg-certification/tests/NNN-slug.yaml`` holds one case: a name, a description of
why it matters, an as-of date, an applicant record inline, and the expected
decision with a subset of rule outcomes and outputs.  Every case is run
through the real command line (``python -m ecfmg_policy check --format
json``), and every evaluated case is also run through the hand-written oracle
in ``benchmarks/handwritten.py``, so the corpus, the policy files and the
oracle check one another.  Dates in case files are quoted strings; an
unquoted YAML date is tolerated and converted to ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run_cli
import yaml

ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = ROOT / "policies" / "ecfmg-certification" / "tests"
CASE_FILES = sorted(CASES_DIR.glob("*.yaml"))
ORACLE_PATH = ROOT / "benchmarks" / "handwritten.py"
WORLD_DIRECTORY = ROOT / "policies" / "reference" / "world-directory.sample.json"

CASE_KEYS = {"name", "description", "as_of", "record", "expect"}
EXPECT_KEYS = {"decision", "rules", "outputs"}
DECISIONS = ("eligible", "pending", "ineligible", "not_applicable", "invalid")
OUTCOMES = ("met", "unmet", "blocked", "not_applicable", "error")
FAILING = frozenset({"unmet", "blocked"})
EXIT_CODES = {"eligible": 0, "not_applicable": 0, "pending": 1, "ineligible": 1, "invalid": 2}

# The seed policy's rules; the corpus must show each one both met and failing.
SEED_RULE_IDS = (
    "application.usmle_id",
    "application.submitted",
    "application.identity_confirmed",
    "application.purpose_acknowledged",
    "application.fee",
    "school.listed",
    "school.graduation_year",
    "school.current_students",
    "education.academic_years",
    "education.diploma_received",
    "education.diploma_verified",
    "education.transcript_verified",
    "exams.passed_in_window",
    "exams.attempt_limit",
    "certificate.issued_after_requirements",
)
OUTPUT_NAMES = (
    "exam_requirements_met_on",
    "window_starts_on",
    "window_ends_on",
    "exams_outstanding",
    "attempts_remaining",
    "certificate",
)

# Keys whose values are dates in an applicant record (spec section 3).
DATE_KEYS = frozenset(
    {"date_of_birth", "graduation_date", "verified_on", "submitted_on", "date", "met_on", "issued_on"}
)
FILE_NAME = re.compile(r"^\d{3}-[a-z0-9]+(-[a-z0-9]+)*\.yaml$")


def load_case(path: Path) -> dict:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


CASES = {path.stem: load_case(path) for path in CASE_FILES}
EVALUATED = [stem for stem, case in CASES.items() if case["expect"]["decision"] != "invalid"]


def to_json(value: Any) -> Any:
    """The value with every date turned into its ISO string (for JSON and comparison)."""
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()[:10]
    return value


def with_date_objects(value: Any, key: str | None = None) -> Any:
    """The record with its date strings as ``datetime.date`` (the oracle's input)."""
    if isinstance(value, dict):
        return {k: with_date_objects(item, k) for k, item in value.items()}
    if isinstance(value, list):
        return [with_date_objects(item, key) for item in value]
    if key in DATE_KEYS and isinstance(value, str):
        return datetime.date.fromisoformat(value)
    return value


def as_of_string(case: dict) -> str:
    return to_json(case["as_of"])


def assert_expectations(where: str, case: dict, decision: str, rules: dict, outputs: dict) -> None:
    expect = case["expect"]
    assert decision == expect["decision"], f"{where}: decision"
    for rule_id, outcome in (expect.get("rules") or {}).items():
        assert rule_id in rules, f"{where}: rule {rule_id} missing from the result"
        assert rules[rule_id] == outcome, f"{where}: rule {rule_id}"
    for name, value in (expect.get("outputs") or {}).items():
        assert name in outputs, f"{where}: output {name} missing from the result"
        assert to_json(outputs[name]) == to_json(value), f"{where}: output {name}"


# --- the corpus itself --------------------------------------------------------


def test_corpus_is_large_enough():
    assert len(CASE_FILES) >= 40


def test_case_files_are_well_formed():
    numbers = [path.name[:3] for path in CASE_FILES]
    assert len(numbers) == len(set(numbers)), "two cases share a number"
    for path in CASE_FILES:
        case = CASES[path.stem]
        assert FILE_NAME.match(path.name), f"{path.name}: name it NNN-short-slug.yaml"
        assert set(case) == CASE_KEYS, f"{path.name}: keys must be {sorted(CASE_KEYS)}"
        assert isinstance(case["name"], str) and case["name"].strip(), path.name
        assert isinstance(case["description"], str) and case["description"].strip(), path.name
        datetime.date.fromisoformat(as_of_string(case))
        assert isinstance(case["record"], dict), path.name
        expect = case["expect"]
        assert set(expect) <= EXPECT_KEYS, f"{path.name}: unknown expect keys"
        assert expect["decision"] in DECISIONS, path.name
        for rule_id, outcome in (expect.get("rules") or {}).items():
            assert rule_id in SEED_RULE_IDS, f"{path.name}: unknown rule {rule_id}"
            assert outcome in OUTCOMES, f"{path.name}: unknown outcome {outcome}"
        for name in expect.get("outputs") or {}:
            assert name in OUTPUT_NAMES, f"{path.name}: unknown output {name}"


def test_every_rule_is_both_met_and_failing_somewhere():
    seen: dict[str, set[str]] = {rule_id: set() for rule_id in SEED_RULE_IDS}
    for case in CASES.values():
        for rule_id, outcome in (case["expect"].get("rules") or {}).items():
            seen.setdefault(rule_id, set()).add(outcome)
    not_met = [rule_id for rule_id in SEED_RULE_IDS if "met" not in seen[rule_id]]
    never_failing = [rule_id for rule_id in SEED_RULE_IDS if not seen[rule_id] & FAILING]
    assert not not_met, f"no case expects these rules met: {not_met}"
    assert not never_failing, f"no case expects these rules unmet or blocked: {never_failing}"


def test_every_decision_is_reached():
    decisions = {case["expect"]["decision"] for case in CASES.values()}
    assert decisions == set(DECISIONS)


# --- the command line ---------------------------------------------------------


def run_check(record_path: Path, as_of: str) -> subprocess.CompletedProcess:
    return run_cli("check", record_path, "--as-of", as_of, "--format", "json")


@pytest.mark.parametrize("stem", list(CASES), ids=list(CASES))
def test_case_through_cli(stem, tmp_path):
    case = CASES[stem]
    record_path = tmp_path / f"{stem}.json"
    record_path.write_text(json.dumps(to_json(case["record"]), indent=2), encoding="utf-8")

    proc = run_check(record_path, as_of_string(case))
    where = f"{stem} (stderr: {proc.stderr.strip()[-2000:]})"
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"{where}: stdout is not JSON: {proc.stdout[:2000]!r}")
    assert len(report["results"]) == 1, where
    result = report["results"][0]

    rules = {rule["id"]: rule["outcome"] for rule in result.get("rules") or []}
    assert_expectations(where, case, result["decision"], rules, result.get("outputs") or {})
    assert proc.returncode == EXIT_CODES[result["decision"]], f"{where}: exit code"

    if case["expect"]["decision"] == "invalid":
        errors = result["errors"]
        assert errors, f"{where}: an invalid record must list its errors"
        for error in errors:
            assert isinstance(error["message"], str) and error["message"], where
            # A problem at the top level (an unknown or a missing field) points at
            # that field, "/citizenshp" or "/name", not at the whole record ("").
            assert isinstance(error["path"], str) and error["path"].startswith("/"), (
                f"{where}: error path {error['path']!r} is not a JSON pointer to the field"
            )
        assert not any(rule["outcome"] != "not_applicable" for rule in result.get("rules") or []), (
            f"{where}: nothing is evaluated for an invalid record"
        )
    else:
        assert not result.get("errors"), f"{where}: unexpected errors {result.get('errors')}"


# --- the hand-written oracle --------------------------------------------------


@pytest.fixture(scope="module")
def oracle():
    if not ORACLE_PATH.exists():
        pytest.skip("benchmarks/handwritten.py is not there")
    spec = importlib.util.spec_from_file_location("handwritten_oracle", ORACLE_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def schools_by_id():
    with WORLD_DIRECTORY.open(encoding="utf-8") as f:
        data = json.load(f)
    return {school["world_directory_id"]: school for school in data["schools"]}


@pytest.mark.parametrize("stem", EVALUATED, ids=EVALUATED)
def test_case_through_oracle(stem, oracle, schools_by_id):
    case = CASES[stem]
    record = with_date_objects(to_json(case["record"]))
    as_of = datetime.date.fromisoformat(as_of_string(case))
    result = oracle.evaluate_seed(record, schools_by_id, as_of)
    assert_expectations(f"{stem} (oracle)", case, result["decision"], result["rules"], result["outputs"])
