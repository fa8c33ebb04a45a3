"""The structural guard for the compiler's optimisations: with every fast path switched off
(no type-directed Python, no null facts, no inlining, no built-in fast paths), every case of
the policy corpus, every example and thousands of generated records get the very same result.

A fast path may only make the code faster; if one gave another answer, the generic helpers
of ``runtime`` (the language's meaning, written once) would disagree with it here.
"""

from __future__ import annotations

import copy
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ecfmg_policy.api import Engine
from ecfmg_policy.evaluator.tools.testing import case_files, load_case

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic import make_records  # noqa: E402  (the generator of applicants the benchmark and property tests share)

CASES = case_files([ROOT / "policies" / "ecfmg-certification" / "tests"])


def without_fast_paths(engine: Engine) -> Engine:
    versions = tuple(replace(compiled, fast_paths=False) for compiled in engine.policies.versions)
    return Engine(replace(engine.policies, versions=versions), engine.data)


@pytest.fixture(scope="module")
def engines() -> tuple[Engine, Engine]:
    engine = Engine.load()
    return engine, without_fast_paths(engine)


def seen(result) -> tuple:
    """Everything a user sees of a result."""
    return (result.decision, [(r.id, r.outcome, r.message) for r in result.rules],
            json.dumps(result.outputs, default=str, sort_keys=True), result.errors)


def test_switching_fast_paths_off_writes_other_code(engines):
    fast, plain = engines
    for quick, slow in zip(fast.policies.versions, plain.policies.versions):
        assert quick.source_code != slow.source_code
        for idiom in ("len(", "Sorted(sorted(", "earliest_known(", "join_known(", "in_range("):
            assert idiom not in slow.source_code


def test_every_case_of_the_corpus_gets_the_same_result(engines):
    fast, plain = engines
    compared = 0
    for file in CASES:
        case = load_case(file)
        got = [seen(engine.check(copy.deepcopy(case.record), case.as_of, case.policy_version))
               for engine in (fast, plain)]
        assert got[0] == got[1], file.name
        compared += 1
    assert compared >= 90


def test_every_example_on_every_version_gets_the_same_result(engines):
    fast, plain = engines
    for example in sorted((ROOT / "examples").glob("*.json")):
        record = json.loads(example.read_text("utf-8"))
        for compiled in fast.policies.versions:
            as_of = compiled.effective_to or compiled.policy.effective_from
            assert seen(fast.check(copy.deepcopy(record), as_of)) == seen(plain.check(copy.deepcopy(record), as_of))


def test_generated_applicants_get_the_same_result(engines):
    fast, plain = engines
    for record, as_of in make_records(3000, seed=11):
        assert seen(fast.check(copy.deepcopy(record), as_of)) == seen(plain.check(copy.deepcopy(record), as_of)), record
