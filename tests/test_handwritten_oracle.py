"""Pin the hand-written oracle (benchmarks/handwritten.py) on hand-computed
cases, so that it can be trusted as a reference for the engine.

The first part pins the seed version (2004.1) through ``evaluate_seed``; none
of those answers changed when the oracle learnt to judge a record as it stood
on the as-of date (their dated facts all lie before the as-of date).  The
second part pins the as-of semantics and the later versions (2021.1, 2021.2,
2022.1) through ``evaluate``: every expected value here was worked out by
hand from PRODUCT.md sections 6 and 7, not by running the code.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from handwritten import (add_years, evaluate, evaluate_seed, load_schools, parse_dates,  # noqa: E402
                         version_in_force)

SCHOOLS = load_schools(ROOT / "policies" / "reference" / "world-directory.sample.json")

STEP1, CK, CS = "USMLE_STEP1", "USMLE_STEP2_CK", "USMLE_STEP2_CS"
ALL_EXAMS = [STEP1, CK, CS]


def exam(code: str, day: str, result: str = "pass") -> dict:
    return {"exam": code, "date": day, "result": result}


def make_record(exams=(), **overrides) -> dict:
    """A complete IMG graduate of F0000101 (everything met except the exams)."""
    record = {
        "usmle_id": "1-234-567-8",
        "name": {"given": "Test", "family": "Applicant"},
        "date_of_birth": "1985-01-01",
        "status": "graduate",
        "medical_school": {"world_directory_id": "F0000101",
                           "name": "Northbridge University Faculty of Medicine",
                           "country": "IN"},
        "education": {
            "academic_years_completed": 6,
            "graduation_date": "2010-06-30",
            "diploma_received": True,
            "credentials": {"diploma": {"status": "verified"},
                            "transcript": {"status": "verified"}},
        },
        "application": {"submitted_on": "2010-08-01", "submitted_as": "graduate",
                        "fee_paid_usd": 75, "identity_confirmed": True,
                        "purpose_acknowledged": True},
        "exams": list(exams),
    }
    record.update(overrides)
    return record


def run(record: dict, as_of: str) -> dict:
    return evaluate_seed(parse_dates(record), SCHOOLS, date.fromisoformat(as_of))


def d(s: str) -> date:
    return date.fromisoformat(s)


# --- add_years -----------------------------------------------------------------

@pytest.mark.parametrize("start, n, expected", [
    ("2011-10-01", 7, "2018-10-01"),
    ("2012-02-29", 7, "2019-02-28"),
    ("2012-02-29", 4, "2016-02-29"),
    ("2019-02-28", 1, "2020-02-28"),
    ("2020-12-31", 7, "2027-12-31"),
])
def test_add_years(start, n, expected):
    assert add_years(d(start), n) == d(expected)


# --- the Information Booklet example -------------------------------------------

BOOKLET = [exam(STEP1, "2011-10-01"), exam(CK, "2012-05-01")]


def test_booklet_window_ends_seven_years_after_first_pass():
    result = run(make_record(BOOKLET), "2018-06-01")
    out = result["outputs"]
    assert result["decision"] == "pending"
    assert result["rules"]["exams.passed_in_window"] == "unmet"
    assert result["rules"]["exams.attempt_limit"] == "met"
    assert out["exam_requirements_met_on"] is None
    assert out["window_starts_on"] == d("2011-10-01")
    assert out["window_ends_on"] == d("2018-10-01")
    assert out["exams_outstanding"] == [CS]
    assert out["attempts_remaining"] == {STEP1: 5, CK: 5, CS: 6}
    assert out["certificate"] is None


def test_pass_on_last_day_of_window_counts():
    result = run(make_record(BOOKLET + [exam(CS, "2018-10-01")]), "2018-10-01")
    out = result["outputs"]
    assert result["decision"] == "eligible"
    assert result["rules"]["exams.passed_in_window"] == "met"
    assert result["rules"]["exams.attempt_limit"] == "not_applicable"
    assert out["exam_requirements_met_on"] == d("2018-10-01")
    assert out["window_starts_on"] == d("2011-10-01")
    assert out["window_ends_on"] == d("2018-10-01")
    assert out["exams_outstanding"] == []
    assert out["certificate"] == {"name": "Test Applicant", "usmle_id": "1-234-567-8",
                                  "exam_requirements_met_on": d("2018-10-01")}


def test_pass_the_day_after_the_window_does_not_count():
    result = run(make_record(BOOKLET + [exam(CS, "2018-10-02")]), "2018-10-02")
    out = result["outputs"]
    assert result["decision"] == "pending"
    assert out["exam_requirements_met_on"] is None
    # Step 1's window has ended; the next window starts on the Step 2 CK pass.
    assert out["window_starts_on"] == d("2012-05-01")
    assert out["window_ends_on"] == d("2019-05-01")
    assert out["exams_outstanding"] == [STEP1]


def test_current_window_still_open_on_its_last_day():
    out = run(make_record(BOOKLET), "2018-10-01")["outputs"]
    assert out["window_starts_on"] == d("2011-10-01")
    out = run(make_record([exam(STEP1, "2011-10-01")]), "2018-10-02")["outputs"]
    assert out["window_starts_on"] is None and out["window_ends_on"] is None
    assert out["exams_outstanding"] == ALL_EXAMS


def test_window_from_29_february_ends_28_february():
    leap = [exam(STEP1, "2012-02-29"), exam(CK, "2013-01-10")]
    out = run(make_record(leap), "2015-01-01")["outputs"]
    assert out["window_starts_on"] == d("2012-02-29")
    assert out["window_ends_on"] == d("2019-02-28")

    on_time = run(make_record(leap + [exam(CS, "2019-02-28")]), "2019-06-01")
    assert on_time["outputs"]["exam_requirements_met_on"] == d("2019-02-28")
    late = run(make_record(leap + [exam(CS, "2019-03-01")]), "2019-06-01")
    assert late["outputs"]["exam_requirements_met_on"] is None
    assert late["outputs"]["window_starts_on"] == d("2013-01-10")


# --- attempt limit ---------------------------------------------------------------

def test_six_failures_block():
    fails = [exam(CK, f"201{i}-03-01", "fail") for i in range(2, 8)]
    result = run(make_record([exam(STEP1, "2011-10-01")] + fails), "2018-01-01")
    assert result["rules"]["exams.attempt_limit"] == "blocked"
    assert result["decision"] == "ineligible"
    assert result["outputs"]["attempts_remaining"] == {STEP1: 5, CK: 0, CS: 6}
    assert result["outputs"]["exams_outstanding"] == [CK, CS]


def test_five_failures_do_not_block():
    fails = [exam(CK, f"201{i}-03-01", "fail") for i in range(2, 7)]
    result = run(make_record([exam(STEP1, "2011-10-01")] + fails), "2018-01-01")
    assert result["rules"]["exams.attempt_limit"] == "met"
    assert result["decision"] == "pending"
    assert result["outputs"]["attempts_remaining"][CK] == 1


def test_sixth_attempt_passes():
    attempts = [exam(CK, f"201{i}-03-01", "fail") for i in range(2, 7)]
    attempts += [exam(STEP1, "2011-10-01"), exam(CK, "2017-03-01")]
    result = run(make_record(attempts), "2018-01-01")
    assert result["rules"]["exams.attempt_limit"] == "met"  # CS still to pass
    assert result["decision"] == "pending"
    assert result["outputs"]["attempts_remaining"][CK] == 0
    assert result["outputs"]["exams_outstanding"] == [CS]

    done = run(make_record(attempts + [exam(CS, "2017-09-01")]), "2018-01-01")
    assert done["decision"] == "eligible"
    assert done["rules"]["exams.attempt_limit"] == "not_applicable"
    assert done["outputs"]["exam_requirements_met_on"] == d("2017-09-01")


def test_incomplete_is_an_attempt_not_a_pass():
    attempts = [exam(STEP1, "2015-01-01", "incomplete")] * 3 + [exam(STEP1, "2016-01-01", "fail")] * 3
    result = run(make_record(attempts), "2017-01-01")
    assert result["rules"]["exams.attempt_limit"] == "blocked"
    assert result["outputs"]["window_starts_on"] is None
    assert result["outputs"]["attempts_remaining"][STEP1] == 0


def test_attempts_after_as_of_and_other_exams_are_ignored():
    attempts = [exam(STEP1, "2016-01-01"), exam(CK, "2016-06-01"),
                exam("USMLE_STEP3", "2016-07-01"), exam("OET_MEDICINE", "2016-08-01"),
                exam(CS, "2016-09-01")]
    result = run(make_record(attempts), "2016-08-31")
    assert result["outputs"]["exams_outstanding"] == [CS]
    assert result["outputs"]["attempts_remaining"] == {STEP1: 5, CK: 5, CS: 6}
    assert run(make_record(attempts), "2016-09-01")["decision"] == "eligible"


# --- windows ----------------------------------------------------------------------

def test_earliest_completion_over_later_windows():
    attempts = [exam(STEP1, "2000-01-01"), exam(CK, "2001-01-01"),
                exam(CS, "2008-06-01"), exam(STEP1, "2009-01-01"), exam(CK, "2009-06-01")]
    out = run(make_record(attempts), "2010-01-01")["outputs"]
    assert out["exam_requirements_met_on"] == d("2009-06-01")
    assert out["window_starts_on"] == d("2008-06-01")
    assert out["window_ends_on"] == d("2015-06-01")


def test_tie_goes_to_the_earliest_starting_window():
    attempts = [exam(STEP1, "2010-01-01"), exam(STEP1, "2010-03-01"),
                exam(CK, "2010-05-01"), exam(CS, "2010-06-01")]
    out = run(make_record(attempts), "2011-01-01")["outputs"]
    assert out["exam_requirements_met_on"] == d("2010-06-01")
    assert out["window_starts_on"] == d("2010-01-01")


# --- school, education, application, certificate ------------------------------------

def test_not_applicable_school_in_us_or_canada():
    for school_id, country in (("U0000001", "US"), ("C0000001", "CA")):
        record = make_record([exam(STEP1, "2016-01-01")], citizenship=["IN"],
                             medical_school={"world_directory_id": school_id,
                                             "name": "x", "country": country})
        result = run(record, "2020-06-01")
        assert result["decision"] == "not_applicable"
        assert set(result["rules"].values()) == {"not_applicable"}
        assert result["outputs"]["window_starts_on"] == d("2016-01-01")
        assert result["outputs"]["certificate"] is None


def test_school_listing():
    done = [exam(STEP1, "2011-01-01"), exam(CK, "2012-01-01"), exam(CS, "2013-01-01")]
    unlisted = make_record(done, medical_school={"world_directory_id": "F0000999",
                                                 "name": "x", "country": "IN"})
    result = run(unlisted, "2020-06-01")
    assert result["rules"]["school.listed"] == "blocked"
    assert result["rules"]["school.graduation_year"] == "not_applicable"
    assert result["decision"] == "ineligible"

    no_note = make_record(done, medical_school={"world_directory_id": "F0000303",
                                                "name": "x", "country": "MX"})
    assert run(no_note, "2020-06-01")["rules"]["school.listed"] == "blocked"

    coastal = {"world_directory_id": "F0000202", "name": "x", "country": "PH"}
    edu = dict(make_record()["education"])
    for grad, outcome in (("1985-06-01", "met"), ("2015-12-31", "met"),
                          ("1984-12-31", "blocked"), ("2016-01-01", "blocked")):
        record = make_record(done, medical_school=coastal,
                             education={**edu, "graduation_date": grad})
        assert run(record, "2020-06-01")["rules"]["school.graduation_year"] == outcome


def test_students():
    student = make_record([exam(STEP1, "2019-05-02")], status="student",
                          education={"academic_years_completed": 3, "diploma_received": False})
    result = run(student, "2020-06-01")
    assert result["rules"]["school.graduation_year"] == "not_applicable"
    assert result["rules"]["school.current_students"] == "met"
    assert result["rules"]["education.academic_years"] == "unmet"
    assert result["rules"]["education.diploma_received"] == "unmet"
    assert result["rules"]["education.diploma_verified"] == "unmet"
    assert result["decision"] == "pending"

    student["medical_school"] = {"world_directory_id": "F0000505", "name": "x", "country": "NG"}
    result = run(student, "2020-06-01")
    assert result["rules"]["school.current_students"] == "blocked"
    assert result["decision"] == "ineligible"


def test_graduate_with_too_few_years_is_blocked():
    record = make_record()
    record["education"] = {**record["education"], "academic_years_completed": 3}
    assert run(record, "2020-06-01")["rules"]["education.academic_years"] == "blocked"


def test_credentials():
    record = make_record()
    record["education"] = {**record["education"],
                           "credentials": {"diploma": {"status": "rejected"},
                                           "transcript": {"status": "not_submitted"}}}
    rules = run(record, "2020-06-01")["rules"]
    assert rules["education.diploma_verified"] == "blocked"
    assert rules["education.transcript_verified"] == "unmet"
    del record["education"]["credentials"]
    rules = run(record, "2020-06-01")["rules"]
    assert rules["education.diploma_verified"] == rules["education.transcript_verified"] == "unmet"


def test_application_rules():
    record = make_record()
    del record["usmle_id"]
    record["application"] = {"submitted_on": "2010-08-01", "fee_paid_usd": 74.99}
    rules = run(record, "2020-06-01")["rules"]
    assert rules["application.usmle_id"] == "unmet"
    assert rules["application.submitted"] == "met"
    assert rules["application.identity_confirmed"] == "unmet"
    assert rules["application.purpose_acknowledged"] == "unmet"
    assert rules["application.fee"] == "unmet"
    del record["application"]
    rules = run(record, "2020-06-01")["rules"]
    assert rules["application.submitted"] == rules["application.fee"] == "unmet"


def test_certificate_advisory_does_not_change_the_decision():
    done = [exam(STEP1, "2011-01-01"), exam(CK, "2012-01-01"), exam(CS, "2013-01-01")]
    early = run(make_record(done, certificate={"number": "0-123-456-7",
                                               "issued_on": "2012-12-31"}), "2020-06-01")
    assert early["rules"]["certificate.issued_after_requirements"] == "unmet"
    assert early["decision"] == "eligible"
    ok = run(make_record(done, certificate={"number": "0-123-456-7",
                                            "issued_on": "2013-01-01"}), "2020-06-01")
    assert ok["rules"]["certificate.issued_after_requirements"] == "met"
    assert run(make_record(done), "2020-06-01")["rules"][
        "certificate.issued_after_requirements"] == "not_applicable"


# --- the bundled examples ---------------------------------------------------------------

@pytest.mark.parametrize("name, decision", [
    ("eligible", "eligible"),
    ("pending", "pending"),
    ("ineligible", "ineligible"),
    ("not-applicable", "not_applicable"),
])
def test_examples(name, decision):
    record = json.loads((ROOT / "examples" / f"{name}.json").read_text(encoding="utf-8"))
    assert run(record, "2020-06-01")["decision"] == decision


def test_example_outputs():
    load = lambda n: json.loads((ROOT / "examples" / f"{n}.json").read_text(encoding="utf-8"))  # noqa: E731
    out = run(load("eligible"), "2020-06-01")["outputs"]
    assert out["exam_requirements_met_on"] == d("2017-08-05")
    assert (out["window_starts_on"], out["window_ends_on"]) == (d("2016-03-10"), d("2023-03-10"))
    assert out["certificate"] == {"name": "Asha Raman", "usmle_id": "5-123-456-7",
                                  "exam_requirements_met_on": d("2017-08-05")}
    out = run(load("pending"), "2020-06-01")["outputs"]
    assert (out["window_starts_on"], out["window_ends_on"]) == (d("2019-05-02"), d("2026-05-02"))
    assert out["exams_outstanding"] == [CK, CS]
    assert out["attempts_remaining"] == {STEP1: 5, CK: 5, CS: 6}


# =====================================================================================
# Every version, judged as the record stood on the as-of date
# =====================================================================================

STEP3, OET = "USMLE_STEP3", "OET_MEDICINE"
DONE_2004 = [exam(STEP1, "2011-01-01"), exam(CK, "2012-01-01"), exam(CS, "2013-01-01")]


def run_v(record: dict, as_of: str, version: str | None = None) -> dict:
    return evaluate(parse_dates(record), SCHOOLS, date.fromisoformat(as_of), version)


def with_education(record: dict, **changes) -> dict:
    record["education"] = {**record["education"], **changes}
    return record


def with_application(record: dict, **changes) -> dict:
    record["application"] = {**record["application"], **changes}
    return record


# --- versions in force -------------------------------------------------------------------

@pytest.mark.parametrize("as_of, version", [
    ("2004-06-14", "2004.1"), ("2020-06-30", "2004.1"),
    ("2021-01-25", "2004.1"), ("2021-01-26", "2021.1"),
    ("2021-06-30", "2021.1"), ("2021-07-01", "2021.2"),
    ("2021-12-31", "2021.2"), ("2022-01-01", "2022.1"), ("2024-12-31", "2022.1"),
])
def test_version_in_force(as_of, version):
    assert version_in_force(d(as_of)) == version


def test_before_the_first_version_is_an_error():
    with pytest.raises(ValueError):
        version_in_force(d("2004-06-13"))


def test_evaluate_seed_is_the_seed_version_forced():
    record = make_record(DONE_2004 + [exam(CS, "2014-01-01", "fail")] * 6)
    for as_of in ("2020-06-01", "2022-03-01"):
        assert evaluate_seed(parse_dates(record), SCHOOLS, d(as_of)) == run_v(record, as_of, "2004.1")


def test_rules_of_each_version():
    seed = set(run_v(make_record(DONE_2004), "2021-01-25")["rules"])
    assert "exams.clinical_skills" not in seed and len(seed) == 15
    for as_of in ("2021-01-26", "2021-07-01", "2022-01-01"):
        result = run_v(make_record(DONE_2004), as_of)
        assert set(result["rules"]) == seed | {"exams.clinical_skills"}
        assert {"clinical_skills_met_by", "clinical_skills_met_on"} <= set(result["outputs"])
    assert "clinical_skills_met_by" not in run_v(make_record(DONE_2004), "2021-01-25")["outputs"]


# --- as of the date: exam attempts -------------------------------------------------------

@pytest.mark.parametrize("as_of, decision", [
    ("2013-12-31", "pending"), ("2014-01-01", "eligible"), ("2014-01-02", "eligible")])
def test_exam_pass_one_day_before_on_and_after(as_of, decision):
    record = make_record([exam(STEP1, "2011-01-01"), exam(CK, "2012-01-01"), exam(CS, "2014-01-01")])
    result = run_v(record, as_of)
    assert result["decision"] == decision
    assert result["outputs"]["attempts_remaining"][CS] == (6 if decision == "pending" else 5)


@pytest.mark.parametrize("as_of, remaining, limit", [
    ("2021-08-09", 1, "met"), ("2021-08-10", 0, "blocked"), ("2021-08-11", 0, "blocked")])
def test_fourth_failure_one_day_before_on_and_after(as_of, remaining, limit):
    fails = [exam(CK, day, "fail") for day in ("2020-01-10", "2020-06-10", "2021-01-10", "2021-08-10")]
    result = run_v(make_record([exam(STEP1, "2019-01-01")] + fails), as_of)
    assert result["outputs"]["attempts_remaining"] == {STEP1: 3, CK: remaining}
    assert result["rules"]["exams.attempt_limit"] == limit


# --- as of the date: the application -------------------------------------------------------

@pytest.mark.parametrize("as_of, outcome", [
    ("2010-07-31", "unmet"), ("2010-08-01", "met"), ("2010-08-02", "met")])
def test_application_submitted_one_day_before_on_and_after(as_of, outcome):
    rules = run_v(make_record(), as_of)["rules"]
    for rule in ("application.submitted", "application.identity_confirmed",
                 "application.purpose_acknowledged", "application.fee"):
        assert rules[rule] == outcome, rule
    assert rules["application.usmle_id"] == "met"  # undated: as the record states it


def test_application_submitted_later_is_unmet_in_every_version():
    for as_of, submitted in (("2020-06-01", "2020-06-02"), ("2021-03-01", "2021-03-02"),
                             ("2021-08-01", "2021-08-02"), ("2022-03-01", "2022-03-02")):
        record = with_application(make_record(DONE_2004), submitted_on=submitted, fee_paid_usd=500)
        result = run_v(record, as_of)
        assert result["rules"]["application.submitted"] == "unmet"
        assert result["rules"]["application.fee"] == "unmet"
        assert result["decision"] == "pending"


# --- as of the date: credentials --------------------------------------------------------------

@pytest.mark.parametrize("status, as_of, outcome", [
    ("verified", "2012-03-14", "unmet"), ("verified", "2012-03-15", "met"), ("verified", "2012-03-16", "met"),
    # a rejection dated later had not happened yet: pending then, so unmet, not blocked
    ("rejected", "2012-03-14", "unmet"), ("rejected", "2012-03-15", "blocked"), ("rejected", "2012-03-16", "blocked"),
    ("pending", "2012-03-16", "unmet"), ("not_submitted", "2012-03-16", "unmet"),
])
def test_credential_verified_on_one_day_before_on_and_after(status, as_of, outcome):
    cred = {"status": status, "verified_on": "2012-03-15"}
    record = with_education(make_record(), credentials={"diploma": cred, "transcript": cred})
    rules = run_v(record, as_of)["rules"]
    assert rules["education.diploma_verified"] == rules["education.transcript_verified"] == outcome


def test_credential_verified_later_in_every_version():
    for as_of in ("2021-01-25", "2021-03-01", "2021-08-01", "2022-03-01"):
        cred = {"status": "verified", "verified_on": (d(as_of) + (d("2000-01-02") - d("2000-01-01"))).isoformat()}
        record = with_education(make_record(DONE_2004), credentials={"diploma": cred})
        assert run_v(record, as_of)["rules"]["education.diploma_verified"] == "unmet"


# --- as of the date: the final diploma ------------------------------------------------------------

@pytest.mark.parametrize("as_of, outcome", [
    ("2010-06-29", "unmet"), ("2010-06-30", "met"), ("2010-07-01", "met")])
def test_diploma_of_a_graduate_one_day_before_on_and_after_graduation(as_of, outcome):
    result = run_v(make_record(), as_of)  # graduation_date 2010-06-30, diploma_received true
    assert result["rules"]["education.diploma_received"] == outcome
    # the graduation year is the record's and the status stays graduate
    assert result["rules"]["school.graduation_year"] == "met"
    assert result["rules"]["school.current_students"] == "not_applicable"
    assert result["rules"]["education.academic_years"] == "met"


def test_graduate_without_the_diploma_is_unmet():
    record = with_education(make_record(), diploma_received=False)
    assert run_v(record, "2020-06-01")["rules"]["education.diploma_received"] == "unmet"
    del record["education"]["diploma_received"]
    assert run_v(record, "2020-06-01")["rules"]["education.diploma_received"] == "unmet"


def test_student_with_diploma_received_true_is_unmet():
    for as_of in ("2020-06-01", "2021-03-01", "2021-08-01", "2022-03-01"):
        student = make_record(DONE_2004, status="student",
                              education={"academic_years_completed": 5, "graduation_date": "2015-06-30",
                                         "diploma_received": True,
                                         "credentials": {"diploma": {"status": "verified"},
                                                         "transcript": {"status": "verified"}}})
        result = run_v(student, as_of)
        assert result["rules"]["education.diploma_received"] == "unmet"
        assert result["rules"]["school.graduation_year"] == "not_applicable"
        assert result["rules"]["school.current_students"] == "met"
        assert result["decision"] == "pending"


# --- as of the date: the certificate ----------------------------------------------------------------

@pytest.mark.parametrize("as_of, outcome", [
    ("2013-06-30", "not_applicable"), ("2013-07-01", "met"), ("2013-07-02", "met")])
def test_certificate_issued_one_day_before_on_and_after(as_of, outcome):
    record = make_record(DONE_2004, certificate={"number": "0-123-456-7", "issued_on": "2013-07-01"})
    result = run_v(record, as_of)
    assert result["rules"]["certificate.issued_after_requirements"] == outcome
    assert result["decision"] == "eligible"


def test_certificate_issued_later_does_not_apply_in_later_versions():
    record = make_record(DONE_2004, certificate={"number": "0-123-456-7", "issued_on": "2022-03-02"})
    assert run_v(record, "2022-03-01")["rules"]["certificate.issued_after_requirements"] == "not_applicable"
    # on its day it is checked: Step 1/CK met 2012-01-01, CS valid 2013-01-01: issued after both
    assert run_v(record, "2022-03-02")["rules"]["certificate.issued_after_requirements"] == "met"


# --- 2021.1: required exams, windows started by Step 2 CS, clinical skills ---------------------------

def test_worked_example_seed_and_2022():
    record = make_record([exam(STEP1, "2010-09-25"), exam(CK, "2014-12-31"),
                          exam(CS, "2018-05-01"), exam(STEP1, "2019-02-17")])
    seed = run_v(record, "2020-06-30")
    assert seed["decision"] == "eligible"
    assert seed["outputs"]["exam_requirements_met_on"] == d("2019-02-17")
    assert (seed["outputs"]["window_starts_on"], seed["outputs"]["window_ends_on"]) == (
        d("2014-12-31"), d("2021-12-31"))
    assert "clinical_skills_met_by" not in seed["outputs"]

    later = run_v(record, "2022-03-01")
    out = later["outputs"]
    assert later["decision"] == "eligible"
    assert out["exam_requirements_met_on"] == d("2014-12-31")
    assert (out["window_starts_on"], out["window_ends_on"]) == (d("2010-09-25"), d("2017-09-25"))
    assert out["clinical_skills_met_by"] == "USMLE_STEP2_CS"
    assert out["clinical_skills_met_on"] == d("2019-02-17")
    assert out["attempts_remaining"] == {STEP1: 2, CK: 3}
    assert out["exams_outstanding"] == []
    assert later["rules"]["exams.clinical_skills"] == "met"
    assert out["certificate"] == {"name": "Test Applicant", "usmle_id": "1-234-567-8",
                                  "exam_requirements_met_on": d("2014-12-31")}
    # the certificate is checked against the later of the two dates
    for issued, outcome in (("2019-02-16", "unmet"), ("2019-02-17", "met")):
        cert = dict(record, certificate={"number": "1", "issued_on": issued})
        assert run_v(cert, "2022-03-01")["rules"]["certificate.issued_after_requirements"] == outcome


def test_window_opened_by_a_step_2_cs_pass():
    passes = [exam(CS, "2016-03-01"), exam(STEP1, "2018-01-01")]
    result = run_v(make_record(passes), "2021-03-01")
    out = result["outputs"]
    assert (out["window_starts_on"], out["window_ends_on"]) == (d("2016-03-01"), d("2023-03-01"))
    assert out["exams_outstanding"] == [CK]
    assert out["attempts_remaining"] == {STEP1: 5, CK: 6}
    assert result["rules"]["exams.clinical_skills"] == "unmet"
    assert out["clinical_skills_met_by"] is None and out["clinical_skills_met_on"] is None
    assert result["decision"] == "pending"
    # the CS-opened window has ended the day after: the next one starts on Step 1
    out = run_v(make_record(passes), "2023-03-02")["outputs"]
    assert (out["window_starts_on"], out["window_ends_on"]) == (d("2018-01-01"), d("2025-01-01"))
    # CK inside the CS-opened window completes it (the same day meets clinical skills)
    done = run_v(make_record(passes + [exam(CK, "2023-03-01")]), "2023-06-01")
    out = done["outputs"]
    assert done["decision"] == "eligible"
    assert out["exam_requirements_met_on"] == d("2023-03-01")
    assert (out["window_starts_on"], out["window_ends_on"]) == (d("2016-03-01"), d("2023-03-01"))
    assert (out["clinical_skills_met_by"], out["clinical_skills_met_on"]) == ("USMLE_STEP2_CS", d("2023-03-01"))
    # a day late, the window is the one from Step 1, and CS (before it) is no longer valid
    late = run_v(make_record(passes + [exam(CK, "2023-03-02")]), "2023-06-01")
    out = late["outputs"]
    assert out["exam_requirements_met_on"] == d("2023-03-02")
    assert out["window_starts_on"] == d("2018-01-01")
    assert late["rules"]["exams.clinical_skills"] == "unmet"
    assert late["decision"] == "pending"


@pytest.mark.parametrize("cs_day, valid", [("2012-01-01", True), ("2012-01-02", False)])
def test_step_2_cs_pass_valid_only_inside_a_window_with_step_1_and_ck(cs_day, valid):
    record = make_record([exam(STEP1, "2005-01-01"), exam(CK, "2006-01-01"), exam(CS, cs_day)])
    result = run_v(record, "2021-03-01")
    assert result["outputs"]["exam_requirements_met_on"] == d("2006-01-01")
    assert result["rules"]["exams.clinical_skills"] == ("met" if valid else "unmet")
    assert result["outputs"]["clinical_skills_met_on"] == (d(cs_day) if valid else None)
    assert result["decision"] == ("eligible" if valid else "pending")
    # the seed, forced on the same day, reads the same passes its own way
    seed = run_v(record, "2021-03-01", "2004.1")
    assert seed["outputs"]["exam_requirements_met_on"] == (d(cs_day) if valid else None)


def test_step_2_cs_pass_after_as_of_does_not_count():
    record = make_record([exam(STEP1, "2019-01-01"), exam(CK, "2019-06-01"), exam(CS, "2021-02-01")])
    assert run_v(record, "2021-01-31")["rules"]["exams.clinical_skills"] == "unmet"
    assert run_v(record, "2021-02-01")["rules"]["exams.clinical_skills"] == "met"


def pathway_record(pathway: dict | None, oet: list[dict]) -> dict:
    record = make_record([exam(STEP1, "2019-01-01"), exam(CK, "2019-06-01")] + oet)
    if pathway is not None:
        record["pathway"] = pathway
    return record


@pytest.mark.parametrize("as_of, outcome", [
    ("2021-04-30", "unmet"), ("2021-05-01", "met"), ("2021-05-02", "met")])
def test_pathway_met_on_one_day_before_on_and_after(as_of, outcome):
    record = pathway_record({"id": "1", "status": "met", "met_on": "2021-05-01"},
                            [exam(OET, "2021-02-01")])
    result = run_v(record, as_of)
    assert result["rules"]["exams.clinical_skills"] == outcome
    expected = ("PATHWAY_AND_OET", d("2021-05-01")) if outcome == "met" else (None, None)
    assert (result["outputs"]["clinical_skills_met_by"], result["outputs"]["clinical_skills_met_on"]) == expected
    assert result["decision"] == ("eligible" if outcome == "met" else "pending")


@pytest.mark.parametrize("as_of, outcome", [
    ("2021-05-31", "unmet"), ("2021-06-01", "met"), ("2021-06-02", "met")])
def test_oet_pass_one_day_before_on_and_after(as_of, outcome):
    record = pathway_record({"id": "1", "status": "met", "met_on": "2021-02-01"},
                            [exam(OET, "2021-03-01", "fail"), exam(OET, "2021-06-01")])
    result = run_v(record, as_of)
    assert result["rules"]["exams.clinical_skills"] == outcome
    assert result["outputs"]["clinical_skills_met_on"] == (d("2021-06-01") if outcome == "met" else None)


def test_pathway_route_variants():
    oet = [exam(OET, "2020-11-01"), exam(OET, "2021-02-01")]
    no_date = run_v(pathway_record({"id": "1", "status": "met"}, oet), "2021-03-01")["outputs"]
    assert (no_date["clinical_skills_met_by"], no_date["clinical_skills_met_on"]) == (
        "PATHWAY_AND_OET", d("2020-11-01"))  # the earliest OET pass
    for status in ("pending", "not_met"):
        result = run_v(pathway_record({"id": "1", "status": status, "met_on": "2021-01-01"}, oet), "2021-03-01")
        assert result["rules"]["exams.clinical_skills"] == "unmet"
    no_oet = run_v(pathway_record({"id": "1", "status": "met"}, [exam(OET, "2021-01-01", "fail")]), "2021-03-01")
    assert no_oet["rules"]["exams.clinical_skills"] == "unmet"
    assert run_v(pathway_record(None, oet), "2021-03-01")["rules"]["exams.clinical_skills"] == "unmet"
    # under the seed a pathway replaces nothing
    seed = run_v(pathway_record({"id": "1", "status": "met"}, oet), "2021-01-25")
    assert seed["outputs"]["exams_outstanding"] == [CS] and seed["decision"] == "pending"


def test_clinical_skills_are_met_by_the_route_that_completed_first():
    exams = [exam(STEP1, "2019-01-01"), exam(CK, "2019-06-01"), exam(CS, "2020-01-01"), exam(OET, "2018-01-01")]
    # the Pathway and OET were complete in 2018, before the Step 2 CS pass became valid
    early = run_v(make_record(exams, pathway={"id": "1", "status": "met", "met_on": "2018-02-01"}), "2021-03-01")
    assert (early["outputs"]["clinical_skills_met_by"], early["outputs"]["clinical_skills_met_on"]) == (
        "PATHWAY_AND_OET", d("2018-02-01"))
    # the Pathway was met after the Step 2 CS pass became valid
    late = run_v(make_record(exams, pathway={"id": "1", "status": "met", "met_on": "2020-06-01"}), "2021-03-01")
    assert (late["outputs"]["clinical_skills_met_by"], late["outputs"]["clinical_skills_met_on"]) == (
        "USMLE_STEP2_CS", d("2020-01-01"))
    # on the same day, the Step 2 CS route is named
    tie = run_v(make_record(exams, pathway={"id": "1", "status": "met", "met_on": "2020-01-01"}), "2021-03-01")
    assert tie["outputs"]["clinical_skills_met_by"] == "USMLE_STEP2_CS"


def test_a_later_retake_never_moves_clinical_skills_later():
    """Pathway and OET complete on 2021-03-01; a Step 1 retake on 2021-05-01 makes an old Step 2 CS
    pass valid too, but the requirement was already met, and a certificate of 2021-04-01 stays right."""
    record = make_record([exam(STEP1, "2010-09-25"), exam(CK, "2014-12-31"), exam(CS, "2018-05-01"),
                          exam(STEP1, "2021-05-01"), exam(OET, "2021-02-01")],
                         pathway={"id": "1", "status": "met", "met_on": "2021-03-01"},
                         certificate={"number": "C1", "issued_on": "2021-04-01"})
    for as_of in ("2021-04-30", "2021-06-01"):
        result = run_v(record, as_of)
        assert result["outputs"]["clinical_skills_met_on"] == d("2021-03-01"), as_of
        assert result["rules"]["certificate.issued_after_requirements"] == "met", as_of


def test_pathway_certificate_check():
    record = pathway_record({"id": "1", "status": "met", "met_on": "2021-05-01"}, [exam(OET, "2021-02-01")])
    for issued, outcome in (("2021-04-30", "unmet"), ("2021-05-01", "met")):
        cert = dict(record, certificate={"number": "1", "issued_on": issued})
        assert run_v(cert, "2021-06-01")["rules"]["certificate.issued_after_requirements"] == outcome
    # exams met but no clinical skills: unmet
    cert = dict(pathway_record(None, []), certificate={"number": "1", "issued_on": "2021-02-01"})
    assert run_v(cert, "2021-06-01")["rules"]["certificate.issued_after_requirements"] == "unmet"


# --- 2021.2: four attempts, and the bar across Steps -----------------------------------------------------

def cross_step_record(extra: list[dict]) -> dict:
    """Step 1 passed; Step 2 CK still to pass; some attempts at other Steps."""
    return make_record([exam(STEP1, "2019-01-01")] + extra)


def fails(code: str, n: int, result: str = "fail") -> list[dict]:
    return [exam(code, f"201{i}-05-01", result) for i in range(n)]


@pytest.mark.parametrize("extra, limit_2021_2", [
    (fails(STEP3, 4), "blocked"),
    (fails(STEP3, 3), "met"),
    (fails(STEP3, 2) + fails(STEP3, 2, "incomplete"), "blocked"),   # incompletes count
    (fails(CS, 4), "blocked"),                                       # Step 2 CS counts, though not required
    (fails(CS, 3) + [exam(CS, "2018-01-01")], "met"),               # passed after 3 failures: not barred
    (fails(CS, 4) + [exam(CS, "2018-01-01")], "met"),               # 4 failures, then a pass
    (fails(STEP3, 3) + [exam(STEP3, "2016-01-01")] + fails(STEP3, 2), "met"),  # a pass ever, then more failures
    (fails(OET, 6), "met"),                                          # OET Medicine is not a USMLE Step
])
def test_cross_step_bar(extra, limit_2021_2):
    record = cross_step_record(extra)
    result = run_v(record, "2021-08-01")
    assert result["rules"]["exams.attempt_limit"] == limit_2021_2
    assert result["decision"] == ("ineligible" if limit_2021_2 == "blocked" else "pending")
    assert result["outputs"]["attempts_remaining"] == {STEP1: 3, CK: 4}
    assert result["outputs"]["exams_outstanding"] == [CK]
    # no bar in 2021.1 (and six attempts at CS: not required there)
    assert run_v(record, "2021-06-30")["rules"]["exams.attempt_limit"] == "met"
    assert run_v(record, "2021-08-01", "2021.1")["rules"]["exams.attempt_limit"] == "met"
    assert run_v(record, "2021-08-01", "2022.1")["rules"]["exams.attempt_limit"] == limit_2021_2


def test_cross_step_bar_counts_a_pass_only_by_as_of():
    record = cross_step_record(fails(STEP3, 4) + [exam(STEP3, "2021-09-01")])
    assert run_v(record, "2021-08-31")["rules"]["exams.attempt_limit"] == "blocked"
    assert run_v(record, "2021-09-01")["rules"]["exams.attempt_limit"] == "met"


def test_cross_step_bar_counts_a_pass_whose_window_expired():
    # Step 2 CS passed in 2005 (its window long over) after 3 failures: 4 attempts, one a pass
    record = cross_step_record([exam(CS, f"200{i}-01-01", "fail") for i in range(1, 4)] + [exam(CS, "2005-01-01")])
    assert run_v(record, "2021-08-01")["rules"]["exams.attempt_limit"] == "met"


def test_barred_examinee_whose_exams_are_complete():
    record = make_record([exam(STEP1, "2019-01-01"), exam(CK, "2019-06-01"), exam(CS, "2020-01-01")]
                         + fails(STEP3, 4))
    result = run_v(record, "2021-08-01")
    assert result["rules"]["exams.attempt_limit"] == "not_applicable"
    assert result["decision"] == "eligible"


def test_four_attempts_per_exam_from_2021_07_01():
    record = cross_step_record(fails(CK, 3) + [exam(CK, "2020-05-01", "incomplete")])
    before = run_v(record, "2021-06-30")
    assert before["rules"]["exams.attempt_limit"] == "met"
    assert before["outputs"]["attempts_remaining"] == {STEP1: 5, CK: 2}
    after = run_v(record, "2021-07-01")
    assert after["rules"]["exams.attempt_limit"] == "blocked"
    assert after["outputs"]["attempts_remaining"] == {STEP1: 3, CK: 0}
    assert after["decision"] == "ineligible"


# --- 2022.1: the fee ------------------------------------------------------------------------------------

@pytest.mark.parametrize("submitted, fee, as_of, outcome", [
    ("2021-12-31", 75, "2022-03-01", "met"),      # earlier application owes its own date's fee
    ("2021-12-31", 74.99, "2022-03-01", "unmet"),
    ("2022-01-01", 75, "2022-03-01", "unmet"),
    ("2022-01-01", 159.99, "2022-03-01", "unmet"),
    ("2022-01-01", 160, "2022-03-01", "met"),
    ("2022-01-01", 160, "2022-01-01", "met"),
    ("2022-01-01", 160, "2021-12-31", "unmet"),  # not submitted yet (2021.2 in force)
    ("2022-01-02", 160, "2022-01-01", "unmet"),  # not submitted yet
])
def test_fee_2022(submitted, fee, as_of, outcome):
    record = with_application(make_record(DONE_2004), submitted_on=submitted, fee_paid_usd=fee)
    assert run_v(record, as_of)["rules"]["application.fee"] == outcome


def test_fee_under_a_forced_version():
    record = with_application(make_record(DONE_2004), submitted_on="2022-01-05", fee_paid_usd=75)
    assert run_v(record, "2022-03-01", "2021.2")["rules"]["application.fee"] == "met"
    assert run_v(record, "2022-03-01", "2004.1")["rules"]["application.fee"] == "met"
    assert run_v(record, "2022-03-01", "2022.1")["rules"]["application.fee"] == "unmet"
    old = with_application(make_record(DONE_2004), submitted_on="2021-12-31", fee_paid_usd=75)
    assert run_v(old, "2021-12-31", "2022.1")["rules"]["application.fee"] == "met"


# --- version boundaries -------------------------------------------------------------------------------------

def test_boundary_2021_01_26_six_cs_failures():
    record = make_record([exam(STEP1, "2015-01-01"), exam(CK, "2016-01-01")] + fails(CS, 6))
    seed = run_v(record, "2021-01-25")
    assert seed["rules"]["exams.attempt_limit"] == "blocked"
    assert seed["decision"] == "ineligible"
    assert seed["outputs"]["attempts_remaining"] == {STEP1: 5, CK: 5, CS: 0}
    assert seed["outputs"]["exams_outstanding"] == [CS]
    new = run_v(record, "2021-01-26")
    assert new["rules"]["exams.passed_in_window"] == "met"
    assert new["rules"]["exams.attempt_limit"] == "not_applicable"
    assert new["rules"]["exams.clinical_skills"] == "unmet"
    assert new["outputs"]["exam_requirements_met_on"] == d("2016-01-01")
    assert new["outputs"]["attempts_remaining"] == {STEP1: 5, CK: 5}
    assert new["decision"] == "pending"


def test_boundary_2021_07_01_four_ck_failures():
    record = cross_step_record(fails(CK, 4))
    assert run_v(record, "2021-06-30")["decision"] == "pending"
    assert run_v(record, "2021-07-01")["decision"] == "ineligible"


def test_boundary_2022_01_01_fee():
    record = with_application(make_record(DONE_2004), submitted_on="2022-01-01", fee_paid_usd=75)
    assert run_v(record, "2021-12-31")["rules"]["application.submitted"] == "unmet"
    on = run_v(record, "2022-01-01")
    assert on["rules"]["application.submitted"] == "met"
    assert on["rules"]["application.fee"] == "unmet"
    old = with_application(make_record(DONE_2004), submitted_on="2021-12-30", fee_paid_usd=75)
    assert run_v(old, "2021-12-31")["decision"] == run_v(old, "2022-01-01")["decision"] == "eligible"
