"""The case corpus: applicant records with expected decisions, one per file.

Each ``policies/ecfmg-certification/tests/*.yaml`` holds one case: a name, a
description of why it matters, an as-of date, an applicant record (inline as
``record``, or ``record_file``: a JSON file relative to the case file), an
optional ``policy_version`` that replaces the version in force on the as-of
date (the command line's ``--policy-version``), and the expected decision with
rule outcomes and outputs.  The seed cases are ``NNN-slug.yaml``; the cases
for a later version are ``vVERSION-NN-slug.yaml`` (``v2021.1-01-...``) and
are judged by that version.

Every case is run through the real command line (``python -m ecfmg_policy
check --format json``), and every evaluated case also through the hand-written
oracle in ``benchmarks/handwritten.py``, which implements all four versions in
plain Python (with the version the case names, if it forces one): the corpus,
the policy files and the oracle check one another.
For every policy version, the cases judged by it must show each of its rules
both met and failing.  Dates in case files are quoted strings; an unquoted
YAML date is tolerated and converted to ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run_cli
import yaml

from ecfmg_policy.api import Engine

ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = ROOT / "policies" / "ecfmg-certification" / "tests"
CASE_FILES = sorted(CASES_DIR.glob("*.yaml"))
ORACLE_PATH = ROOT / "benchmarks" / "handwritten.py"
WORLD_DIRECTORY = ROOT / "policies" / "reference" / "world-directory.sample.json"

REQUIRED_CASE_KEYS = {"name", "description", "as_of", "expect"}
OPTIONAL_CASE_KEYS = {"policy_version"}
RECORD_KEYS = {"record", "record_file"}  # exactly one of them
EXPECT_KEYS = {"decision", "rules", "outputs"}
DECISIONS = ("eligible", "pending", "ineligible", "not_applicable", "invalid")
OUTCOMES = ("met", "unmet", "blocked", "not_applicable", "error")
FAILING = frozenset({"unmet", "blocked"})
EXIT_CODES = {"eligible": 0, "not_applicable": 0, "pending": 1, "ineligible": 1, "invalid": 2}
MIN_CASES_PER_VERSION = 8

# The policy set the command line uses by default, every version loaded once.
ENGINE = Engine.load()
POLICIES = {compiled.policy.version: compiled for compiled in ENGINE.policies.versions}

# Keys whose values are dates in an applicant record (spec section 3).
DATE_KEYS = frozenset(
    {"date_of_birth", "graduation_date", "verified_on", "submitted_on", "date", "met_on", "issued_on"}
)
# NNN-slug.yaml (seed cases) or vVERSION-NN-slug.yaml (cases judged by VERSION).
FILE_NAME = re.compile(r"^(?P<number>\d{3}|v(?P<version>\d{4}\.\d+)-\d{2})-[a-z0-9]+(-[a-z0-9]+)*\.yaml$")


def load_case(path: Path) -> dict:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


CASE_PATHS = {path.stem: path for path in CASE_FILES}
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


def record_file_path(stem: str) -> Path:
    """The case's ``record_file``, resolved against the folder of the case file."""
    return (CASE_PATHS[stem].parent / CASES[stem]["record_file"]).resolve()


def case_record(stem: str) -> Any:
    """The applicant record of a case: inline, or read from its JSON ``record_file``."""
    case = CASES[stem]
    if "record_file" in case:
        with record_file_path(stem).open(encoding="utf-8") as f:
            return json.load(f)
    return case["record"]


def as_of_date(case: dict) -> datetime.date:
    return datetime.date.fromisoformat(as_of_string(case))


def version_of(case: dict) -> str | None:
    """The policy version that judges the case: the forced one, or the one in force on its as-of date.

    None when there is none (a bad or too early as-of date); the well-formedness test says so.
    """
    if case.get("policy_version") is not None:
        return str(case["policy_version"])
    try:
        return ENGINE.policies.select(as_of_date(case)).policy.version
    except Exception:  # noqa: BLE001 - reported by test_case_files_are_well_formed, not at collection
        return None


VERSION_OF = {stem: version_of(case) for stem, case in CASES.items()}


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


def test_the_oracle_knows_every_version(oracle):
    """The policy files and the hand-written oracle have the same timeline."""
    engine_versions = [(c.policy.version, c.policy.effective_from) for c in ENGINE.policies.versions]
    assert [(v.version, v.effective_from) for v in oracle.VERSIONS] == engine_versions


def test_case_files_are_well_formed():
    numbers = [FILE_NAME.match(path.name).group("number") for path in CASE_FILES if FILE_NAME.match(path.name)]
    assert len(numbers) == len(set(numbers)), "two cases share a number"
    for path in CASE_FILES:
        stem = path.stem
        case = CASES[stem]
        match = FILE_NAME.match(path.name)
        assert match, f"{path.name}: name it NNN-short-slug.yaml or vVERSION-NN-short-slug.yaml"
        assert isinstance(case, dict), f"{path.name}: a case is a mapping"
        keys = set(case)
        assert REQUIRED_CASE_KEYS <= keys, f"{path.name}: missing keys {sorted(REQUIRED_CASE_KEYS - keys)}"
        unknown = keys - REQUIRED_CASE_KEYS - OPTIONAL_CASE_KEYS - RECORD_KEYS
        assert not unknown, f"{path.name}: unknown keys {sorted(unknown)}"
        assert len(keys & RECORD_KEYS) == 1, f"{path.name}: give exactly one of record and record_file"
        assert isinstance(case["name"], str) and case["name"].strip(), path.name
        assert isinstance(case["description"], str) and case["description"].strip(), path.name
        datetime.date.fromisoformat(as_of_string(case))

        if "policy_version" in case:
            assert isinstance(case["policy_version"], str), f"{path.name}: quote the version label"
        version = VERSION_OF[stem]
        assert version is not None, f"{path.name}: no policy version is in force on {as_of_string(case)}"
        if version not in POLICIES:
            pytest.fail(f"{path.name}: no policy version {version!r} (versions: {', '.join(POLICIES)})")
        if match.group("version"):
            assert match.group("version") == version, (
                f"{path.name}: the file is named for version {match.group('version')} but is judged by {version}"
            )

        if "record_file" in case:
            assert isinstance(case["record_file"], str) and case["record_file"].endswith(".json"), (
                f"{path.name}: record_file names a JSON record file"
            )
            target = record_file_path(stem)
            assert target.is_relative_to(CASES_DIR.resolve()), f"{path.name}: record_file points outside {CASES_DIR}"
            assert target.is_file(), f"{path.name}: record_file {case['record_file']} does not exist"
        assert isinstance(case_record(stem), dict), path.name

        expect = case["expect"]
        assert set(expect) <= EXPECT_KEYS, f"{path.name}: unknown expect keys"
        assert expect["decision"] in DECISIONS, path.name
        policy = POLICIES[version].policy
        rule_ids = {rule.id for rule in policy.rules}
        output_names = {output.name for output in policy.outputs}
        for rule_id, outcome in (expect.get("rules") or {}).items():
            assert rule_id in rule_ids, f"{path.name}: version {version} has no rule {rule_id}"
            assert outcome in OUTCOMES, f"{path.name}: unknown outcome {outcome}"
        for name in expect.get("outputs") or {}:
            assert name in output_names, f"{path.name}: version {version} has no output {name}"


@pytest.mark.parametrize("version", list(POLICIES))
def test_every_rule_is_both_met_and_failing_in_each_version(version):
    """Per version: the cases judged by it show each of its rules met and unmet or blocked."""
    cases = [case for stem, case in CASES.items() if VERSION_OF[stem] == version]
    assert len(cases) >= MIN_CASES_PER_VERSION, f"only {len(cases)} cases are judged by version {version}"
    rule_ids = [rule.id for rule in POLICIES[version].policy.rules]
    seen: dict[str, set[str]] = {rule_id: set() for rule_id in rule_ids}
    for case in cases:
        for rule_id, outcome in (case["expect"].get("rules") or {}).items():
            seen.setdefault(rule_id, set()).add(outcome)
    not_met = [rule_id for rule_id in rule_ids if "met" not in seen[rule_id]]
    never_failing = [rule_id for rule_id in rule_ids if not seen[rule_id] & FAILING]
    assert not not_met, f"version {version}: no case expects these rules met: {not_met}"
    assert not never_failing, f"version {version}: no case expects these rules unmet or blocked: {never_failing}"


def test_every_decision_is_reached():
    decisions = {case["expect"]["decision"] for case in CASES.values()}
    assert decisions == set(DECISIONS)


# --- the command line ---------------------------------------------------------


def run_check(record_path: Path, as_of: str, policy_version: str | None = None) -> subprocess.CompletedProcess:
    args = ["check", record_path, "--as-of", as_of, "--format", "json"]
    if policy_version is not None:
        args += ["--policy-version", policy_version]
    return run_cli(*args)


@pytest.mark.parametrize("stem", list(CASES), ids=list(CASES))
def test_case_through_cli(stem, tmp_path):
    case = CASES[stem]
    if "record_file" in case:
        record_path = record_file_path(stem)  # the file itself, as a user would pass it
    else:
        record_path = tmp_path / f"{stem}.json"
        record_path.write_text(json.dumps(to_json(case["record"]), indent=2), encoding="utf-8")

    proc = run_check(record_path, as_of_string(case), case.get("policy_version"))
    where = f"{stem} (stderr: {proc.stderr.strip()[-2000:]})"
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"{where}: stdout is not JSON: {proc.stdout[:2000]!r}")
    assert len(report["results"]) == 1, where
    result = report["results"][0]
    assert result["policy"]["version"] == VERSION_OF[stem], f"{where}: judged by the wrong policy version"

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
    record = with_date_objects(to_json(case_record(stem)))
    result = oracle.evaluate(record, schools_by_id, as_of_date(case), VERSION_OF[stem])
    assert_expectations(f"{stem} (oracle)", case, result["decision"], result["rules"], result["outputs"])
