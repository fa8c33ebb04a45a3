"""Policy versions over time: resolution of `extends`, selection by date, the ECFMG rule history.

The boundary tests judge the same record the day before and the day a version
takes effect, through the real command line, and watch the decision change as
the rules did.
"""

from __future__ import annotations

import copy
import datetime
import json
import shutil
import textwrap
from pathlib import Path

import pytest
from cli_helpers import ROOT, invoke

from ecfmg_policy.api import Engine
from ecfmg_policy.evaluator.policy.policyset import load_policy_set
from ecfmg_policy.evaluator.tools.testing import expected_outcomes, load_case
from ecfmg_policy.evaluator.policy.versions import rule_fingerprint

POLICIES = ROOT / "policies" / "ecfmg-certification"
BASE = json.loads((ROOT / "examples" / "eligible.json").read_text())


def record(exams: list[tuple[str, str, str]], **changes) -> dict:
    """The eligible example with other exam attempts (exam, date, result) and field changes."""
    r = copy.deepcopy(BASE)
    r["exams"] = [{"exam": e, "date": d, "result": res} for e, d, res in exams]
    r.update(changes)
    return r


def check(tmp_path: Path, rec: dict, as_of: str, *extra: str) -> tuple[dict, int]:
    path = tmp_path / f"record-{as_of}.json"
    path.write_text(json.dumps(rec))
    proc = invoke("check", path, "--as-of", as_of, "--format", "json", *extra)
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)["results"][0], proc.returncode


def outcomes(result: dict) -> dict[str, str]:
    return {r["id"]: r["outcome"] for r in result["rules"]}


# --- the ECFMG history, boundary by boundary ----------------------------------------------


def test_four_failed_step1_attempts_pending_before_july_2021_ineligible_after(tmp_path):
    fails = [("USMLE_STEP1", d, "fail") for d in ("2019-03-01", "2019-09-01", "2020-03-01", "2020-09-01")]
    before, code_before = check(tmp_path, record(fails), "2021-06-30")
    after, code_after = check(tmp_path, record(fails), "2021-07-02")
    assert (before["policy"]["version"], before["decision"], code_before) == ("2021.1", "pending", 1)
    assert outcomes(before)["exams.attempt_limit"] == "met"
    assert before["outputs"]["attempts_remaining"] == {"USMLE_STEP1": 2, "USMLE_STEP2_CK": 6}
    assert (after["policy"]["version"], after["decision"], code_after) == ("2021.2", "ineligible", 1)
    assert outcomes(after)["exams.attempt_limit"] == "blocked"
    assert after["outputs"]["attempts_remaining"] == {"USMLE_STEP1": 0, "USMLE_STEP2_CK": 4}


def test_incomplete_attempts_count_toward_the_four_attempt_limit(tmp_path):
    tries = [("USMLE_STEP1", "2019-03-01", "fail"), ("USMLE_STEP1", "2019-09-01", "incomplete"),
             ("USMLE_STEP1", "2020-03-01", "fail"), ("USMLE_STEP1", "2020-09-01", "incomplete")]
    result, _ = check(tmp_path, record(tries), "2021-08-01")
    assert result["decision"] == "ineligible"


PATHWAY_RECORD = dict(
    exams=[("USMLE_STEP1", "2019-01-10", "pass"), ("USMLE_STEP2_CK", "2020-02-01", "pass"),
           ("OET_MEDICINE", "2020-11-20", "pass")],
    pathway={"id": "P-2021-0042", "status": "met", "met_on": "2020-12-15"},
)


def test_pathway_with_oet_is_pending_before_step2_cs_ended_and_eligible_after(tmp_path):
    rec = record(PATHWAY_RECORD["exams"], pathway=PATHWAY_RECORD["pathway"])
    before, _ = check(tmp_path, rec, "2021-01-25")
    after, code = check(tmp_path, rec, "2021-03-01")
    assert (before["policy"]["version"], before["decision"]) == ("2004.1", "pending")
    assert before["outputs"]["exams_outstanding"] == ["USMLE_STEP2_CS"]
    assert (after["policy"]["version"], after["decision"], code) == ("2021.1", "eligible", 0)
    assert after["outputs"]["clinical_skills_met_by"] == "PATHWAY_AND_OET"
    assert after["outputs"]["certificate"]["exam_requirements_met_on"] == "2020-02-01"


def test_on_the_day_step2_cs_ended_the_new_rules_apply(tmp_path):
    rec = record(PATHWAY_RECORD["exams"], pathway=PATHWAY_RECORD["pathway"])
    result, _ = check(tmp_path, rec, "2021-01-26")
    assert (result["policy"]["version"], result["decision"]) == ("2021.1", "eligible")
    assert result["policy"]["effective_from"] == "2021-01-26"
    assert result["policy"]["effective_to"] == "2021-06-30"


def test_pathway_without_oet_or_not_yet_met_leaves_clinical_skills_unmet(tmp_path):
    no_oet = record(PATHWAY_RECORD["exams"][:2], pathway=PATHWAY_RECORD["pathway"])
    result, _ = check(tmp_path, no_oet, "2021-03-01")
    assert outcomes(result)["exams.clinical_skills"] == "unmet"
    assert "not yet passed" in next(r["message"] for r in result["rules"] if r["id"] == "exams.clinical_skills")
    later = record(PATHWAY_RECORD["exams"], pathway={"id": "P1", "status": "met", "met_on": "2021-05-01"})
    result, _ = check(tmp_path, later, "2021-03-01")
    assert outcomes(result)["exams.clinical_skills"] == "unmet"


def test_a_2020_step2_cs_pass_still_counts_in_2022(tmp_path):
    rec = record([("USMLE_STEP1", "2018-05-01", "pass"), ("USMLE_STEP2_CK", "2019-06-01", "pass"),
                  ("USMLE_STEP2_CS", "2020-03-01", "pass")])
    result, code = check(tmp_path, rec, "2022-06-01")
    assert (result["policy"]["version"], result["decision"], code) == ("2022.1", "eligible", 0)
    assert result["outputs"]["clinical_skills_met_by"] == "USMLE_STEP2_CS"


def test_a_step2_cs_pass_made_first_still_starts_the_window_after_2021(tmp_path):
    """Passes made under the earlier rules keep counting: a window that a Step 2 CS pass began stays valid."""
    rec = record([("USMLE_STEP2_CS", "2014-05-01", "pass"), ("USMLE_STEP1", "2015-01-05", "pass"),
                  ("USMLE_STEP2_CK", "2016-01-04", "pass")])
    for as_of, version in (("2021-01-25", "2004.1"), ("2021-01-26", "2021.1"), ("2022-06-01", "2022.1")):
        result, _ = check(tmp_path, rec, as_of)
        assert (result["policy"]["version"], result["decision"]) == (version, "eligible")
        assert result["outputs"]["window_starts_on"] == "2014-05-01"
    # The Step 2 CS pass became valid for certification when its window also held Step 1 and CK.
    assert result["outputs"]["clinical_skills_met_on"] == "2016-01-04"


def test_certificate_advisory_waits_for_clinical_skills_too(tmp_path):
    rec = record(PATHWAY_RECORD["exams"], pathway=PATHWAY_RECORD["pathway"],
                 certificate={"number": "0-999-999-9", "issued_on": "2020-12-01"})
    result, _ = check(tmp_path, rec, "2021-03-01")
    assert result["outputs"]["clinical_skills_met_on"] == "2020-12-15"
    assert outcomes(result)["certificate.issued_after_requirements"] == "unmet"
    assert result["decision"] == "eligible"  # an advisory never changes the decision


def test_a_step2_cs_pass_outside_the_completing_window_does_not_count(tmp_path):
    rec = record([("USMLE_STEP2_CS", "2012-03-01", "pass"), ("USMLE_STEP1", "2019-05-01", "pass"),
                  ("USMLE_STEP2_CK", "2020-06-01", "pass")])
    result, _ = check(tmp_path, rec, "2022-06-01")
    assert outcomes(result)["exams.passed_in_window"] == "met"
    assert outcomes(result)["exams.clinical_skills"] == "unmet"
    assert result["decision"] == "pending"


@pytest.mark.parametrize("submitted_on, paid, as_of, expected, message", [
    # applied before the increase: the old fee
    ("2021-11-02", 75, "2022-03-01", "eligible", None),
    # judged under 2021.2, before the increase
    ("2021-12-30", 75, "2021-12-31", "eligible", None),
    # applied after the as-of date: on that day there was no application, so no fee either
    ("2022-02-01", 75, "2021-12-31", "pending", "Pay the USD 75 application fee (paid so far: USD 0)"),
    # applied after the increase: USD 160 is due
    ("2022-02-01", 75, "2022-03-01", "pending", "Pay the USD 160 application fee (paid so far: USD 75)"),
    ("2022-02-01", 160, "2022-03-01", "eligible", None),
])
def test_application_fee_rises_to_160_for_applications_from_2022(tmp_path, submitted_on, paid, as_of, expected,
                                                                 message):
    rec = record(BASE["exams"] and [(e["exam"], e["date"], e["result"]) for e in BASE["exams"]])
    rec["application"] = dict(rec["application"], submitted_on=submitted_on, fee_paid_usd=paid)
    result, _ = check(tmp_path, rec, as_of)
    assert result["decision"] == expected
    fee = next(r for r in result["rules"] if r["id"] == "application.fee")
    assert fee["outcome"] == ("met" if message is None else "unmet")
    if message is not None:
        assert fee["message"] == message


# --- selection by date and by name ----------------------------------------------------------


def test_policy_version_option_forces_a_version(tmp_path):
    result, _ = check(tmp_path, BASE, "2023-01-01", "--policy-version", "2004.1")
    assert result["policy"]["version"] == "2004.1"
    assert result["policy"]["effective_to"] == "2021-01-25"


def test_unknown_policy_version_names_the_known_ones(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(BASE))
    proc = invoke("check", path, "--policy-version", "2021.3", "--as-of", "2020-01-01")
    assert proc.returncode == 2
    assert "no policy version `2021.3`; did you mean `2021.2`? (versions: 2004.1, 2021.1, 2021.2, 2022.1)" in proc.stderr


def test_as_of_before_the_first_version_is_a_clear_error(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(BASE))
    proc = invoke("check", path, "--as-of", "2003-12-31")
    assert proc.returncode == 2
    assert "as-of date 2003-12-31 is before the first policy version (2004.1, effective 2004-06-14)" in proc.stderr
    assert "judge as of 2004-06-14 or later" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- resolution of extends, and a broken timeline ---------------------------------------------


def write_versions(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "policy"
    folder.mkdir()
    shutil.copy(POLICIES / "2004-06-14.yaml", folder / "2004-06-14.yaml")
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder


HEADER = """\
policy: ecfmg-certification
version: "{version}"
effective_from: {day}
extends: "{extends}"
"""


def test_extends_overrides_params_replaces_rules_in_place_and_removes_by_id(tmp_path):
    folder = write_versions(tmp_path, {"2030.yaml": HEADER.format(version="2030.1", day="2030-01-01", extends="2004.1") + """\
params:
  max_attempts: 3
remove_rules: [certificate.issued_after_requirements]
rules:
  - id: application.fee
    title: Fee waived
    require: "true"
    source: a test
  - id: extra.rule
    title: New rule
    require: "true"
    source: a test
"""})
    policies = load_policy_set(folder)
    old, new = (c.policy for c in policies.versions)
    assert new.param_values()["max_attempts"] == 3 and old.param_values()["max_attempts"] == 6
    ids = [r.id for r in new.rules]
    assert ids.index("application.fee") == [r.id for r in old.rules].index("application.fee")
    assert ids[-1] == "extra.rule" and "certificate.issued_after_requirements" not in ids
    assert next(r for r in new.rules if r.id == "application.fee").title == "Fee waived"
    # inherited rules still point at the file that wrote them
    assert next(r for r in new.rules if r.id == "school.listed").position.source.endswith("2004-06-14.yaml")


# --- every version against the corpus, where its rules are unchanged ---------------------------


CASES = [load_case(p) for p in sorted((POLICIES / "tests").glob("*.yaml"))]


def test_every_bundled_version_resolves_and_checks():
    policies = load_policy_set(POLICIES)
    assert [c.policy.version for c in policies.versions] == ["2004.1", "2021.1", "2021.2", "2022.1"]
    for compiled in policies.versions:
        assert compiled.policy.citation, f"version {compiled.policy.version} cites no source"
        assert all(rule.source for rule in compiled.policy.rules)


@pytest.mark.parametrize("version", ["2021.1", "2021.2", "2022.1"])
def test_later_versions_agree_with_the_corpus_on_every_unchanged_rule(version):
    engine = Engine.load()
    seed = engine.policies.select(datetime.date(2020, 1, 1)).policy
    later = engine.policies.select(datetime.date(2030, 1, 1), version).policy
    seed_rules = {r.id: r for r in seed.rules}
    unchanged = {r.id for r in later.rules
                 if r.id in seed_rules and rule_fingerprint(later, r) == rule_fingerprint(seed, seed_rules[r.id])}
    assert {"application.usmle_id", "school.listed", "education.diploma_verified"} <= unchanged
    compared = 0
    for case in CASES:
        if case.expect["decision"] in ("invalid", "not_applicable") or case.as_of >= datetime.date(2021, 1, 26):
            continue  # only the seed-era corpus: later cases already run under their own version
        expected = expected_outcomes(case.expect, [rule.id for rule in seed.rules])
        result = engine.check(case.record, case.as_of, version)
        got = {r.id: r.outcome for r in result.rules}
        for rule_id in unchanged & set(expected):
            assert got[rule_id] == expected[rule_id], (case.name, rule_id)
            compared += 1
    assert compared > 200


# --- the timeline -------------------------------------------------------------------------------


def test_versions_command_shows_the_timeline_and_changes():
    proc = invoke("versions")
    assert proc.returncode == 0
    out = proc.stdout
    assert "2004.1   2004-06-14 to 2021-01-25" in out
    assert "2022.1   2022-01-01 to now" in out
    assert "param max_attempts: 6 -> 4" in out
    assert "param application_fee_usd: 75 -> 75 from 2004-06-14, 160 from 2022-01-01" in out
    assert "rules added: exams.clinical_skills" in out


def test_versions_command_json():
    proc = invoke("versions", "--format", "json")
    data = json.loads(proc.stdout)
    assert data["policy"] == "ecfmg-certification"
    v2021 = data["versions"][1]
    assert v2021["changes"]["params"] == [
        {"name": "required_exams", "old": ["USMLE_STEP1", "USMLE_STEP2_CK", "USMLE_STEP2_CS"],
         "new": ["USMLE_STEP1", "USMLE_STEP2_CK"]},
        {"name": "window_exams", "old": None, "new": ["USMLE_STEP1", "USMLE_STEP2_CK", "USMLE_STEP2_CS"]}]
    assert v2021["changes"]["rules_added"] == ["exams.clinical_skills"]
    assert data["versions"][0]["changes"] is None and data["versions"][-1]["effective_to"] is None
