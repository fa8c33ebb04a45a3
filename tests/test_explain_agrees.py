"""``explain`` never disagrees with ``check`` (issue 13, part 6).

An explanation takes its outcomes, messages and outputs from ``check``'s own run
and its facts from a second run, a watched walk of the reference interpreter.
Both halves are held here to ``check``: the document must say what ``check``
says (decision, every rule's outcome, title and message, the outputs), and the
walk must have reached the very same outcomes and messages on its own (its
``disagreements`` list stays empty).  Over every case of the policy's test
corpus, under the version it names and under every version, and over generated
applicants under every version.
"""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

import pytest

from ecfmg_policy.api import Engine
from ecfmg_policy.evaluator.records.records import RecordInput
from ecfmg_policy.evaluator.tools.testing import case_files, load_case

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic import make_records  # noqa: E402

ENGINE = Engine.load()
VERSIONS = tuple(c.policy.version for c in ENGINE.policies.versions)
CASES = case_files([ROOT / "policies" / "ecfmg-certification" / "tests"])


def assert_agrees(record, as_of: datetime.date, version: str | None, label: str) -> dict:
    raw = json.dumps(record).encode()
    checked = ENGINE.check(record, as_of, version, label=label).to_json()
    document = ENGINE.explain(RecordInput(label, value=record), raw, as_of, version)
    where = (label, as_of, version)
    assert document["decision"] == checked["decision"], where
    assert document["disagreements"] == [], where
    said = {r["id"]: (r["title"], r["outcome"], r["message"]) for r in document["rules"]}
    assert said == {r["id"]: (r["title"], r["outcome"], r["message"]) for r in checked["rules"]}, where
    assert [r["position"] for r in sorted(document["rules"], key=lambda r: r["position"])] == \
        list(range(len(checked["rules"])))
    assert document["outputs"] == checked["outputs"], where
    assert document["errors"] == checked["errors"], where
    return document


def test_the_corpus_is_all_there():
    assert len(CASES) >= 100


@pytest.mark.parametrize("case_file", CASES, ids=lambda p: p.stem)
def test_every_case_of_the_corpus(case_file):
    case = load_case(case_file)
    for version in dict.fromkeys((case.policy_version, *VERSIONS)):
        if version is None and case.as_of < ENGINE.policies.versions[0].policy.effective_from:
            continue
        assert_agrees(case.record, case.as_of, version, case.name)


@pytest.mark.parametrize("version", (None,) + VERSIONS)
def test_generated_applicants_under_every_version(version):
    decisions = set()
    for number, (record, as_of) in enumerate(make_records(300, seed=13)):
        if version is None and as_of < ENGINE.policies.versions[0].policy.effective_from:
            continue
        document = assert_agrees(record, as_of, version, f"generated:{number}")
        decisions.add(document["decision"])
        # and seven years on, when windows have closed and later versions are in force
        later = as_of + datetime.timedelta(days=7 * 365 + 2)
        assert_agrees(record, later, version, f"generated:{number}+7y")
    assert decisions >= {"eligible", "pending", "ineligible"}  # the walk met every kind of answer


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from test_properties import records_with_as_of  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(records_with_as_of(), st.sampled_from((None,) + VERSIONS))
def test_any_record_any_version_explained_as_checked(drawn, version):
    """Hypothesis draws the records (so a disagreement shrinks to a small one): the document
    agrees with check, every attempt's date is a fact the window rule read, and the timeline
    holds every attempt, counted exactly when it is dated on or before the as-of date."""
    record, as_of = drawn
    document = assert_agrees(record, as_of, version, "drawn")
    window_rule = next(r for r in document["rules"] if r["id"] == "exams.passed_in_window")
    if document["decision"] != "not_applicable":
        read = {f["pointer"] for f in window_rule["facts"]}
        assert {f"/exams/{i}/date" for i in range(len(record.get("exams", [])))} <= read
    timeline = document["timeline"]
    drawn_attempts = sorted((a["date"], a["pointer"], a["counts"]) for lane in timeline["exams"]
                            for a in lane["attempts"])
    assert drawn_attempts == sorted((e["date"], f"/exams/{i}", e["date"] <= as_of.isoformat())
                                    for i, e in enumerate(record.get("exams", [])))
    assert all(timeline["from"] <= w["start"] <= w["end"] <= timeline["to"] for w in timeline["windows"])
    assert sum(w["current"] for w in timeline["windows"]) <= 1
