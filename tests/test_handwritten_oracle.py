"""Pin the hand-written seed-policy oracle (benchmarks/handwritten.py) on
hand-computed cases, so that it can be trusted as a reference for the engine."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from handwritten import add_years, evaluate_seed, load_schools, parse_dates  # noqa: E402

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
