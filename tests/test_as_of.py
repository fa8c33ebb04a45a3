"""A record is judged as it stood on the as-of date (PRODUCT.md §7).

A dated fact counts only when its date is on or before the as-of date; a later
one has not happened yet, so the requirement it would meet is `unmet` (a later
certificate does not exist yet, so its check does not apply).  Three kinds of
test:

* every dated fact of the record on the day before, on, and the day after the
  as-of date, under each of the four policy versions, through the real command
  line (one run per version over a folder of records);
* the metamorphic property (hypothesis): judging a record as of D gives the
  same decision, rule outcomes, messages and outputs as judging, as of D, the
  same record with everything dated after D taken out;
* the corrections that came with it, at the version boundaries they touch:
  students have no final diploma, Step 2 CS passes stay valid in any window
  with Step 1 and Step 2 CK, the cross-Step attempt bar, and deadlines that do
  not overstate when a Step 2 CS pass opened the window.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
from pathlib import Path

import pytest
from cli_helpers import ROOT, invoke
from hypothesis import given, settings
from hypothesis import strategies as st

from ecfmg_policy.api import Engine

BASE = json.loads((ROOT / "examples" / "eligible.json").read_text())
ONE_DAY = datetime.timedelta(days=1)
STEP1, CK, CS, STEP3, OET = "USMLE_STEP1", "USMLE_STEP2_CK", "USMLE_STEP2_CS", "USMLE_STEP3", "OET_MEDICINE"

# One as-of date inside each version; the eligible example is eligible on all of them.
AS_OF_BY_VERSION = {
    "2004.1": datetime.date(2020, 6, 1),
    "2021.1": datetime.date(2021, 3, 1),
    "2021.2": datetime.date(2021, 8, 1),
    "2022.1": datetime.date(2022, 6, 1),
}


def eligible(**changes) -> dict:
    """The eligible example (a USD 160 fee, so 2022 applications are paid up too), with changes."""
    record = copy.deepcopy(BASE)
    record["application"]["fee_paid_usd"] = 160
    record.update(changes)
    return record


def pathway_graduate() -> dict:
    """Eligible from 2021 through a Pathway and OET Medicine: no Step 2 CS pass at all."""
    record = eligible()
    record["exams"] = [a for a in record["exams"] if a["exam"] != CS]
    record["exams"].append({"exam": OET, "date": "2020-10-05", "result": "pass"})
    record["pathway"] = {"id": "pathway-1", "status": "met", "met_on": "2020-11-20"}
    return record


# --- every dated fact: the day before, on, and the day after the as-of date -------------------

def _iso(day: datetime.date) -> str:
    return day.isoformat()


def _set_application(record: dict, day: str) -> None:
    record["application"]["submitted_on"] = day


def _set_diploma_verified(record: dict, day: str) -> None:
    record["education"]["credentials"]["diploma"]["verified_on"] = day


def _set_transcript_verified(record: dict, day: str) -> None:
    record["education"]["credentials"]["transcript"]["verified_on"] = day


def _set_graduation(record: dict, day: str) -> None:
    record["education"]["graduation_date"] = day


def _set_ck_pass(record: dict, day: str) -> None:
    next(a for a in record["exams"] if a["exam"] == CK)["date"] = day


def _set_certificate(record: dict, day: str) -> None:
    record["certificate"] = {"number": "0-123-456-7", "issued_on": day}


def _set_pathway_met(record: dict, day: str) -> None:
    record["pathway"]["met_on"] = day


def _set_oet_pass(record: dict, day: str) -> None:
    next(a for a in record["exams"] if a["exam"] == OET)["date"] = day


# (fact, the record to start from, how to date the fact, the rules a later date leaves unmet,
#  versions that read the fact)
DATED_FACTS = [
    ("application", eligible, _set_application,
     {"application.submitted": "unmet", "application.identity_confirmed": "unmet",
      "application.purpose_acknowledged": "unmet", "application.fee": "unmet"}, AS_OF_BY_VERSION),
    ("diploma-verified", eligible, _set_diploma_verified,
     {"education.diploma_verified": "unmet"}, AS_OF_BY_VERSION),
    ("transcript-verified", eligible, _set_transcript_verified,
     {"education.transcript_verified": "unmet"}, AS_OF_BY_VERSION),
    ("graduation", eligible, _set_graduation,
     {"education.diploma_received": "unmet"}, AS_OF_BY_VERSION),
    ("step2-ck-pass", eligible, _set_ck_pass,
     {"exams.passed_in_window": "unmet"}, AS_OF_BY_VERSION),
    ("certificate", eligible, _set_certificate,
     {"certificate.issued_after_requirements": "not_applicable"}, AS_OF_BY_VERSION),
    ("pathway-met", pathway_graduate, _set_pathway_met,
     {"exams.clinical_skills": "unmet"}, ("2021.1", "2021.2", "2022.1")),
    ("oet-pass", pathway_graduate, _set_oet_pass,
     {"exams.clinical_skills": "unmet"}, ("2021.1", "2021.2", "2022.1")),
]
SHIFTS = {"day-before": -1, "on": 0, "day-after": 1}


def _check_folder(tmp_path: Path, records: dict[str, dict], as_of: datetime.date) -> dict[str, dict]:
    """Run `check --format json` once over a folder of records; results by record name."""
    folder = tmp_path / _iso(as_of)
    folder.mkdir()
    for name, record in records.items():
        (folder / f"{name}.json").write_text(json.dumps(record))
    proc = invoke("check", folder, "--as-of", _iso(as_of), "--format", "json")
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    return {Path(r["record"]).stem: r for r in json.loads(proc.stdout)["results"]}


def _outcomes(result: dict) -> dict[str, str]:
    return {r["id"]: r["outcome"] for r in result["rules"]}


def _message(result: dict, rule_id: str) -> str:
    return next(r["message"] for r in result["rules"] if r["id"] == rule_id)


@pytest.mark.parametrize("version", AS_OF_BY_VERSION)
def test_each_dated_fact_counts_from_its_own_day(tmp_path, version):
    as_of = AS_OF_BY_VERSION[version]
    records = {}
    for fact, base, set_date, _, versions in DATED_FACTS:
        if version in versions:
            for shift, days in SHIFTS.items():
                record = base()
                set_date(record, _iso(as_of + days * ONE_DAY))
                records[f"{fact}--{shift}"] = record
    results = _check_folder(tmp_path, records, as_of)
    assert len(results) == len(records)
    for fact, _, _, later, versions in DATED_FACTS:
        if version not in versions:
            continue
        for shift in ("day-before", "on"):  # the boundary day counts
            result = results[f"{fact}--{shift}"]
            assert (result["policy"]["version"], result["decision"]) == (version, "eligible"), (fact, shift)
        after = results[f"{fact}--day-after"]
        got = _outcomes(after)
        for rule_id, outcome in later.items():
            assert got[rule_id] == outcome, (fact, rule_id)
        assert "blocked" not in got.values(), fact  # later means not yet, never "no longer"
        # a later certificate is only an advisory's business; everything else is still to come
        assert after["decision"] == ("eligible" if fact == "certificate" else "pending"), fact


@pytest.mark.parametrize("version", AS_OF_BY_VERSION)
def test_later_facts_are_reported_as_not_yet_happened(tmp_path, version):
    """Messages describe the record as it stood: pending verifications, nothing paid yet."""
    as_of = AS_OF_BY_VERSION[version]
    later = _iso(as_of + ONE_DAY)
    application = eligible()
    _set_application(application, later)
    verification = eligible()
    _set_diploma_verified(verification, later)
    results = _check_folder(tmp_path, {"application": application, "verification": verification}, as_of)
    fee_due = 160 if version == "2022.1" else 75
    assert _message(results["application"], "application.fee") == \
        f"Pay the USD {fee_due} application fee (paid so far: USD 0)"
    assert _message(results["verification"], "education.diploma_verified") == \
        "Primary-source verification of the medical diploma is not complete (status: pending)"


def test_a_later_fact_does_not_block_what_would_otherwise_block(tmp_path):
    """A rejection dated after the as-of date was not a rejection yet: the credential was pending."""
    record = eligible()
    record["education"]["credentials"]["diploma"] = {"status": "rejected", "verified_on": "2020-06-02"}
    results = _check_folder(tmp_path, {"rejected-later": record}, datetime.date(2020, 6, 1))
    assert _outcomes(results["rejected-later"])["education.diploma_verified"] == "unmet"
    assert results["rejected-later"]["decision"] == "pending"


def test_undated_facts_are_taken_as_the_record_states_them(tmp_path):
    record = eligible()
    for credential in record["education"]["credentials"].values():
        del credential["verified_on"]
    rejected = eligible()
    rejected["education"]["credentials"]["transcript"] = {"status": "rejected"}
    pathway = pathway_graduate()
    del pathway["pathway"]["met_on"]
    results = _check_folder(tmp_path, {"undated": record, "rejected": rejected, "pathway": pathway},
                            datetime.date(2022, 6, 1))
    assert results["undated"]["decision"] == "eligible"
    assert results["pathway"]["decision"] == "eligible"
    assert results["pathway"]["outputs"]["clinical_skills_met_by"] == "PATHWAY_AND_OET"
    assert _outcomes(results["rejected"])["education.transcript_verified"] == "blocked"
    assert results["rejected"]["decision"] == "ineligible"


# --- students have no final diploma ---------------------------------------------------------

@pytest.mark.parametrize("version", AS_OF_BY_VERSION)
def test_a_student_has_no_final_diploma_whatever_the_record_says(tmp_path, version):
    as_of = AS_OF_BY_VERSION[version]
    # A past graduation date too: only the status may decide (a student's expected graduation).
    student = eligible(status="student")
    student["education"]["diploma_received"] = True
    graduate = eligible()
    results = _check_folder(tmp_path, {"student": student, "graduate": graduate}, as_of)
    assert _outcomes(results["student"])["education.diploma_received"] == "unmet"
    assert results["student"]["decision"] == "pending"
    assert _outcomes(results["graduate"])["education.diploma_received"] == "met"


# --- the metamorphic property: later facts taken out change nothing --------------------------

ENGINE = Engine.load()
EXAMPLES = int(os.environ.get("ECFMG_EXAMPLES", "300"))
FIRST_AS_OF, LAST_AS_OF = datetime.date(2005, 1, 1), datetime.date(2024, 12, 31)
VERSION_DAYS = [datetime.date(2021, 1, 25), datetime.date(2021, 1, 26), datetime.date(2021, 6, 30),
                datetime.date(2021, 7, 1), datetime.date(2021, 12, 31), datetime.date(2022, 1, 1)]


def _when(as_of: datetime.date):
    """A fact's date: mostly within a few days of the as-of date, on it, or years either side."""
    near = st.integers(-3, 3).map(lambda days: as_of + days * ONE_DAY)
    far = st.integers(-3000, 1500).map(lambda days: as_of + days * ONE_DAY)
    return st.one_of(near, near, far)


@st.composite
def records_and_as_of(draw) -> tuple[dict, datetime.date]:
    as_of = draw(st.one_of(st.dates(FIRST_AS_OF, LAST_AS_OF), st.sampled_from(VERSION_DAYS)))
    when = _when(as_of)

    def day() -> str:
        return _iso(draw(when))

    record = eligible(status=draw(st.sampled_from(["graduate", "graduate", "student"])))
    education = record["education"]
    education["graduation_date"] = day()
    if record["status"] == "student" and draw(st.booleans()):
        del education["graduation_date"]
    education["diploma_received"] = draw(st.booleans())
    for credential in ("diploma", "transcript"):
        status = draw(st.sampled_from(["verified", "verified", "pending", "rejected", "not_submitted"]))
        education["credentials"][credential] = {"status": status}
        if draw(st.booleans()):
            education["credentials"][credential]["verified_on"] = day()
    if draw(st.integers(0, 5)) == 0:
        del record["application"]
    else:
        record["application"]["submitted_on"] = day()
        record["application"]["fee_paid_usd"] = draw(st.sampled_from([75, 160, 0]))
    exams = draw(st.lists(st.tuples(st.sampled_from([STEP1, CK, CS, STEP3, OET, STEP1, CK]),
                                    when, st.sampled_from(["pass", "pass", "fail", "incomplete"])),
                          max_size=12))
    record["exams"] = [{"exam": exam, "date": _iso(date), "result": result} for exam, date, result in exams]
    if draw(st.booleans()):
        record["pathway"] = {"id": "p-1", "status": draw(st.sampled_from(["met", "met", "pending", "not_met"]))}
        if draw(st.booleans()):
            record["pathway"]["met_on"] = day()
    if draw(st.booleans()):
        record["certificate"] = {"number": "0-123-456-7", "issued_on": day()}
    return record, as_of


def as_it_stood(record: dict, as_of: datetime.date) -> dict:
    """The record with everything dated after ``as_of`` taken out, written independently of the policy."""
    def later(day: str | None) -> bool:
        return day is not None and datetime.date.fromisoformat(day) > as_of

    stood = copy.deepcopy(record)
    stood["exams"] = [a for a in stood["exams"] if not later(a["date"])]
    if "application" in stood and later(stood["application"]["submitted_on"]):
        del stood["application"]
    education = stood["education"]
    for credential in education["credentials"].values():
        if later(credential.get("verified_on")):
            credential.clear()
            credential["status"] = "pending"
    if later(education.get("graduation_date")):
        education["diploma_received"] = False
    if "certificate" in stood and later(stood["certificate"]["issued_on"]):
        del stood["certificate"]
    pathway = stood.get("pathway")
    if pathway is not None and pathway["status"] == "met" and later(pathway.get("met_on")):
        stood["pathway"] = {"id": pathway["id"], "status": "pending"}
    return stood


def _everything(record: dict, as_of: datetime.date) -> tuple:
    result = ENGINE.check(record, as_of)
    assert result.decision != "invalid" and not result.errors, result.errors
    return (result.policy.policy.version, result.decision,
            tuple((rule.id, rule.outcome, rule.message) for rule in result.rules), result.outputs)


@settings(max_examples=EXAMPLES, deadline=None)
@given(records_and_as_of())
def test_judging_as_of_a_date_ignores_everything_dated_later(case):
    record, as_of = case
    assert _everything(record, as_of) == _everything(as_it_stood(record, as_of), as_of)


def test_the_property_sees_later_facts():
    """The stripping above really takes the later facts out (else the property proves nothing)."""
    as_of = datetime.date(2020, 6, 1)
    record = eligible(certificate={"number": "1", "issued_on": "2020-06-02"},
                      pathway={"id": "p", "status": "met", "met_on": "2020-06-02"})
    record["application"]["submitted_on"] = "2020-06-02"
    record["education"]["graduation_date"] = "2020-06-02"
    record["education"]["credentials"]["diploma"]["verified_on"] = "2020-06-02"
    record["exams"].append({"exam": STEP3, "date": "2020-06-02", "result": "pass"})
    stood = as_it_stood(record, as_of)
    assert "application" not in stood and "certificate" not in stood
    assert stood["pathway"] == {"id": "p", "status": "pending"}
    assert stood["education"]["diploma_received"] is False
    assert stood["education"]["credentials"]["diploma"] == {"status": "pending"}
    assert len(stood["exams"]) == len(BASE["exams"])


# --- Step 2 CS passes stay valid in any window that holds Step 1 and Step 2 CK --------------

def _exams(*attempts: tuple[str, str, str]) -> list[dict]:
    return [{"exam": exam, "date": day, "result": result} for exam, day, result in attempts]


RETAKEN_STEP1 = _exams((STEP1, "2010-09-25", "pass"), (CK, "2014-12-31", "pass"),
                       (CS, "2018-05-01", "pass"), (STEP1, "2019-02-17", "pass"))


@pytest.mark.parametrize("as_of, version, met_on, window, cs_met_on", [
    ("2020-06-30", "2004.1", "2019-02-17", ("2014-12-31", "2021-12-31"), None),
    ("2021-01-25", "2004.1", "2019-02-17", ("2014-12-31", "2021-12-31"), None),
    ("2021-01-26", "2021.1", "2014-12-31", ("2010-09-25", "2017-09-25"), "2019-02-17"),
    ("2021-07-01", "2021.2", "2014-12-31", ("2010-09-25", "2017-09-25"), "2019-02-17"),
    ("2022-03-01", "2022.1", "2014-12-31", ("2010-09-25", "2017-09-25"), "2019-02-17"),
])
def test_a_step2_cs_pass_in_a_later_window_stays_valid(tmp_path, as_of, version, met_on, window, cs_met_on):
    """The issue's example: eligible in 2020, and still eligible in 2022."""
    as_of_day = datetime.date.fromisoformat(as_of)
    result = _check_folder(tmp_path, {"r": eligible(exams=RETAKEN_STEP1)}, as_of_day)["r"]
    assert (result["policy"]["version"], result["decision"]) == (version, "eligible")
    outputs = result["outputs"]
    assert outputs["exam_requirements_met_on"] == met_on
    assert (outputs["window_starts_on"], outputs["window_ends_on"]) == window
    if cs_met_on is not None:
        assert _outcomes(result)["exams.clinical_skills"] == "met"
        assert (outputs["clinical_skills_met_by"], outputs["clinical_skills_met_on"]) == ("USMLE_STEP2_CS", cs_met_on)


def test_a_step2_cs_pass_counts_only_once_a_window_holds_step1_and_ck_too(tmp_path):
    """Step 1 and Step 2 CS passed, Step 2 CK not yet: the CS pass is not yet valid for certification."""
    record = eligible(exams=_exams((STEP1, "2019-06-10", "pass"), (CS, "2020-01-13", "pass")))
    before = _check_folder(tmp_path, {"r": record}, datetime.date(2021, 2, 22))["r"]
    assert _outcomes(before)["exams.clinical_skills"] == "unmet"
    assert before["outputs"]["clinical_skills_met_by"] is None
    assert "a Step 2 CS pass counts only inside a seven-year window that also holds passes of Step 1 " \
           "and Step 2 CK" in _message(before, "exams.clinical_skills")
    record["exams"] += _exams((CK, "2021-05-03", "pass"))
    after = _check_folder(tmp_path, {"r": record}, datetime.date(2021, 5, 3))["r"]
    assert after["decision"] == "eligible"
    assert after["outputs"]["clinical_skills_met_on"] == "2021-05-03"


# --- the cross-Step attempt bar (2021.2) ------------------------------------------------------

STEP1_PASSED = _exams((STEP1, "2017-03-06", "pass"))


def _failures(exam: str, *days: str, last: str = "fail") -> list[dict]:
    results = ["fail"] * (len(days) - 1) + [last]
    return [{"exam": exam, "date": day, "result": result} for day, result in zip(days, results)]


FOUR_DAYS = ("2019-01-10", "2019-06-10", "2020-01-10", "2020-06-10")


@pytest.mark.parametrize("exam", [STEP3, CS])
def test_four_attempts_at_any_step_without_a_pass_bar_every_step_from_july_2021(tmp_path, exam):
    record = eligible(exams=STEP1_PASSED + _failures(exam, *FOUR_DAYS, last="incomplete"))
    before = _check_folder(tmp_path, {"r": record}, datetime.date(2021, 6, 30))["r"]
    assert (before["policy"]["version"], before["decision"]) == ("2021.1", "pending")
    assert _outcomes(before)["exams.attempt_limit"] == "met"
    (tmp_path / "after").mkdir()
    after = _check_folder(tmp_path / "after", {"r": record}, datetime.date(2021, 7, 1))["r"]
    assert (after["policy"]["version"], after["decision"]) == ("2021.2", "ineligible")
    assert _outcomes(after)["exams.attempt_limit"] == "blocked"
    assert _message(after, "exams.attempt_limit") == (
        f"{exam} attempted 4 or more times without a pass: no USMLE Step can be applied for, "
        f"so {CK} can no longer be passed")
    assert after["outputs"]["attempts_remaining"] == {STEP1: 3, CK: 4}


@pytest.mark.parametrize("name, exams, as_of, outcome", [
    # three failures then a pass: the Step was passed, nothing is barred
    ("passed-on-fourth", STEP1_PASSED + _failures(STEP3, *FOUR_DAYS, last="pass"), "2021-08-01", "met"),
    # three attempts by the as-of date; the fourth is still to come
    ("fourth-later", STEP1_PASSED + _failures(STEP3, *FOUR_DAYS[:3], "2021-08-02"), "2021-08-01", "met"),
    ("fourth-on-the-day", STEP1_PASSED + _failures(STEP3, *FOUR_DAYS[:3], "2021-08-01"), "2021-08-01", "blocked"),
    # the exam requirements are complete: the bar has nothing left to block
    ("exams-complete", _exams((STEP1, "2016-03-10", "pass"), (CK, "2017-01-20", "pass"))
     + _failures(STEP3, *FOUR_DAYS), "2021-08-01", "not_applicable"),
])
def test_the_cross_step_bar_edges(tmp_path, name, exams, as_of, outcome):
    record = pathway_graduate()
    record["exams"] = exams + [{"exam": OET, "date": "2020-10-05", "result": "pass"}]
    result = _check_folder(tmp_path, {name: record}, datetime.date.fromisoformat(as_of))[name]
    assert _outcomes(result)["exams.attempt_limit"] == outcome


# --- deadlines when a Step 2 CS pass opened the window ----------------------------------------

CS_FIRST = _exams((CS, "2015-01-01", "pass"), (STEP1, "2016-06-01", "pass"))


@pytest.mark.parametrize("as_of, message", [
    # Step 2 CS is still required: the window it opened is the one to complete
    ("2021-01-25", "Pass USMLE_STEP2_CK by 2022-01-01"),
    # after 2021 missing 2022-01-01 loses only the Step 2 CS pass; Step 1 stays valid until 2023-06-01
    ("2021-01-26", "Pass USMLE_STEP2_CK by 2023-06-01 (by 2022-01-01 for your Step 2 CS pass of 2015-01-01 "
                   "to count as well)"),
    ("2022-01-01", "Pass USMLE_STEP2_CK by 2023-06-01 (by 2022-01-01 for your Step 2 CS pass of 2015-01-01 "
                   "to count as well)"),
    ("2022-01-02", "Pass USMLE_STEP2_CK by 2023-06-01"),
])
def test_the_deadline_is_the_one_that_ends_the_chance(tmp_path, as_of, message):
    result = _check_folder(tmp_path, {"r": eligible(exams=CS_FIRST)}, datetime.date.fromisoformat(as_of))["r"]
    assert _message(result, "exams.passed_in_window") == message
    assert result["outputs"]["exams_outstanding"] == [CK]


def test_a_step2_cs_window_with_no_valid_step_pass_says_what_is_lost(tmp_path):
    """Step 1's own window ended: only the Step 2 CS pass is left, and its window sets the date."""
    record = eligible(exams=_exams((STEP1, "2014-06-01", "pass"), (CS, "2015-01-01", "pass")))
    result = _check_folder(tmp_path, {"r": record}, datetime.date(2021, 8, 1))["r"]
    assert _message(result, "exams.passed_in_window") == (
        "Pass USMLE_STEP1, USMLE_STEP2_CK by 2022-01-01 for your Step 2 CS pass of 2015-01-01 to count; "
        "after that, your next pass starts a new seven-year window")
    assert (result["outputs"]["window_starts_on"], result["outputs"]["window_ends_on"]) == \
        ("2015-01-01", "2022-01-01")


@pytest.mark.parametrize("exams, message", [
    # Step 1 passed twice since the Step 2 CS pass: the later pass keeps the chance open longer
    (_exams((CS, "2015-01-01", "pass"), (STEP1, "2016-01-01", "pass"), (STEP1, "2017-01-01", "pass")),
     "Pass USMLE_STEP2_CK by 2024-01-01 (by 2022-01-01 for your Step 2 CS pass of 2015-01-01 to count as well)"),
    # a window opened by Step 1, which was passed again later
    (_exams((STEP1, "2015-01-01", "pass"), (STEP1, "2017-01-01", "pass")), "Pass USMLE_STEP2_CK by 2024-01-01"),
    # two Step 2 CS passes and no Step pass since: the later one counts until its own window ends
    (_exams((STEP1, "2013-01-01", "pass"), (CS, "2015-01-01", "pass"), (CS, "2017-01-01", "pass")),
     "Pass USMLE_STEP1, USMLE_STEP2_CK by 2024-01-01 for your Step 2 CS pass of 2017-01-01 to count; "
     "after that, your next pass starts a new seven-year window"),
])
def test_the_deadline_is_the_last_one_that_still_counts(tmp_path, exams, message):
    result = _check_folder(tmp_path, {"r": eligible(exams=exams)}, datetime.date(2021, 3, 1))["r"]
    assert _message(result, "exams.passed_in_window") == message


def test_a_barred_exam_is_never_asked_to_be_passed(tmp_path):
    """When the attempt bar blocks Step 2 CK, the window rule does not also say "pass it by ..."."""
    record = eligible(exams=STEP1_PASSED + _failures(STEP3, *FOUR_DAYS))
    result = _check_folder(tmp_path, {"r": record}, datetime.date(2021, 7, 1))["r"]
    assert _message(result, "exams.passed_in_window") == \
        "USMLE_STEP2_CK can no longer be passed (see exams.attempt_limit)"
    # Seed: Step 2 CK out of attempts, Step 2 CS still possible
    seed = eligible(exams=STEP1_PASSED + _failures(CK, "2017-04-01", "2017-07-01", "2017-10-01", "2018-01-01",
                                                   "2018-04-01", "2018-07-01"))
    (tmp_path / "seed").mkdir()
    result = _check_folder(tmp_path / "seed", {"r": seed}, datetime.date(2019, 1, 1))["r"]
    assert _message(result, "exams.passed_in_window") == \
        "Pass USMLE_STEP2_CS by 2024-03-06; USMLE_STEP2_CK can no longer be passed (see exams.attempt_limit)"


def test_clinical_skills_keep_the_date_of_the_route_that_completed_first(tmp_path):
    """A Step 1 retake that makes an old Step 2 CS pass valid never moves the requirement later."""
    record = eligible(exams=RETAKEN_STEP1[:3] + _exams((STEP1, "2021-05-01", "pass"), (OET, "2021-02-01", "pass")),
                      pathway={"id": "p", "status": "met", "met_on": "2021-03-01"},
                      certificate={"number": "C1", "issued_on": "2021-04-01"})
    for as_of in (datetime.date(2021, 4, 30), datetime.date(2021, 6, 1)):
        (tmp_path / as_of.isoformat()).mkdir()
        result = _check_folder(tmp_path / as_of.isoformat(), {"r": record}, as_of)["r"]
        assert (result["outputs"]["clinical_skills_met_by"], result["outputs"]["clinical_skills_met_on"]) == \
            ("PATHWAY_AND_OET", "2021-03-01")
        assert _outcomes(result)["certificate.issued_after_requirements"] == "met"


def test_with_no_application_the_2022_fee_is_that_of_the_as_of_date(tmp_path):
    record = eligible()
    del record["application"]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(record))
    proc = invoke("check", path, "--as-of", "2021-06-15", "--policy-version", "2022.1", "--format", "json")
    result = json.loads(proc.stdout)["results"][0]
    assert _message(result, "application.fee") == "Pay the USD 75 application fee (paid so far: USD 0)"
