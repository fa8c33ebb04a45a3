"""Hand-written implementation of the seed ECFMG Certification policy.

This module is plain Python with no policy engine.  It serves two purposes:

* the **performance baseline** the policy engine is benchmarked against, and
* a **test oracle**: the engine, running the seed policy file, must give the
  same decision, rule outcomes and outputs for every record.

It implements the semantics of PRODUCT.md section 7 (the seed version: Step 1,
Step 2 CK and Step 2 CS; 6 attempts; 7-year window; USD 75).

Entry point::

    evaluate_seed(record, schools, as_of) -> {"decision", "rules", "outputs"}

``record`` must already be schema-valid, with every ``format: date`` string
converted to :class:`datetime.date` (see :func:`parse_dates`).  ``schools``
maps a World Directory id to its school object (see :func:`load_schools`).
"""

from __future__ import annotations

import datetime
import json
from bisect import bisect_left
from pathlib import Path
from typing import Any

# --- parameters of the seed policy ------------------------------------------

APPLICATION_FEE_USD = 75
REQUIRED_EXAMS = ("USMLE_STEP1", "USMLE_STEP2_CK", "USMLE_STEP2_CS")
EXAM_WINDOW_YEARS = 7
MAX_ATTEMPTS = 6
NON_IMG_COUNTRIES = frozenset({"US", "CA"})
MIN_ACADEMIC_YEARS = 4

# Rule ids in evaluation order, with their severity.
RULES: tuple[tuple[str, str], ...] = (
    ("application.usmle_id", "requirement"),
    ("application.submitted", "requirement"),
    ("application.identity_confirmed", "requirement"),
    ("application.purpose_acknowledged", "requirement"),
    ("application.fee", "requirement"),
    ("school.listed", "requirement"),
    ("school.graduation_year", "requirement"),
    ("school.current_students", "requirement"),
    ("education.academic_years", "requirement"),
    ("education.diploma_received", "requirement"),
    ("education.diploma_verified", "requirement"),
    ("education.transcript_verified", "requirement"),
    ("exams.passed_in_window", "requirement"),
    ("exams.attempt_limit", "requirement"),
    ("certificate.issued_after_requirements", "advisory"),
)
ADVISORY_RULES = frozenset(rule_id for rule_id, sev in RULES if sev == "advisory")

MET, UNMET, BLOCKED, NA = "met", "unmet", "blocked", "not_applicable"

_EMPTY: dict = {}


# --- helpers ------------------------------------------------------------------

def add_years(d: datetime.date, n: int) -> datetime.date:
    """``d`` plus ``n`` calendar years, keeping month and day.

    29 February becomes 28 February in a year that has none (as
    ``dateutil.relativedelta(years=n)`` does).
    """
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 February -> non-leap year
        return d.replace(year=d.year + n, day=28)


def _credential(status: str | None) -> str:
    if status == "verified":
        return MET
    if status == "rejected":
        return BLOCKED
    return UNMET


def _exam_analysis(exams: list[dict], as_of: datetime.date) -> dict[str, Any]:
    """The seven-year-window analysis of the exam attempts.

    Returns exam_requirements_met_on, window_starts_on, window_ends_on,
    exams_outstanding and the per-exam attempt counts.
    """
    attempts = {exam: 0 for exam in REQUIRED_EXAMS}
    pass_dates: dict[str, list[datetime.date]] = {exam: [] for exam in REQUIRED_EXAMS}
    for attempt in exams:
        exam = attempt["exam"]
        if exam in attempts and attempt["date"] <= as_of:
            attempts[exam] += 1
            if attempt["result"] == "pass":
                pass_dates[exam].append(attempt["date"])
    for dates in pass_dates.values():
        dates.sort()
    starts = sorted({d for dates in pass_dates.values() for d in dates})

    # Complete windows: each starts on a pass date and ends 7 years later,
    # both ends inclusive.  Keep the earliest completion; on a tie the
    # earliest-starting window (starts are visited in ascending order).
    met_on = best_start = best_end = None
    for start in starts:
        if met_on is not None and start > met_on:
            break  # a later window cannot complete earlier than met_on
        end = add_years(start, EXAM_WINDOW_YEARS)
        completion = start
        for exam in REQUIRED_EXAMS:
            dates = pass_dates[exam]
            i = bisect_left(dates, start)
            if i == len(dates) or dates[i] > end:
                break
            if dates[i] > completion:
                completion = dates[i]
        else:
            if met_on is None or completion < met_on:
                met_on, best_start, best_end = completion, start, end

    if met_on is not None:
        return {
            "met_on": met_on,
            "window_starts_on": best_start,
            "window_ends_on": best_end,
            "outstanding": [],
            "attempts": attempts,
        }

    # Unmet: the current window starts on the earliest pass whose window has
    # not yet ended on the as-of date.
    for start in starts:
        end = add_years(start, EXAM_WINDOW_YEARS)
        if end >= as_of:
            outstanding = [
                exam for exam in REQUIRED_EXAMS
                if not any(start <= d <= end for d in pass_dates[exam])
            ]
            return {
                "met_on": None,
                "window_starts_on": start,
                "window_ends_on": end,
                "outstanding": outstanding,
                "attempts": attempts,
            }
    return {
        "met_on": None,
        "window_starts_on": None,
        "window_ends_on": None,
        "outstanding": list(REQUIRED_EXAMS),
        "attempts": attempts,
    }


# --- the policy ---------------------------------------------------------------

def evaluate_seed(record: dict, schools: dict[str, dict], as_of: datetime.date) -> dict:
    """Evaluate one applicant record under the seed ECFMG policy.

    ``record``: a schema-valid applicant record whose dates are ``datetime.date``.
    ``schools``: World Directory id -> school object.
    Returns ``{"decision": str, "rules": {rule_id: outcome}, "outputs": {...}}``.
    """
    status = record["status"]
    graduate = status == "graduate"
    student = status == "student"
    school_ref = record["medical_school"]
    education = record["education"]
    application = record.get("application")
    app = application or _EMPTY
    credentials = education.get("credentials") or _EMPTY

    # Exams (the outputs are computed for every record).
    ex = _exam_analysis(record.get("exams") or (), as_of)
    met_on = ex["met_on"]
    attempts = ex["attempts"]
    attempts_remaining = {e: max(0, MAX_ATTEMPTS - attempts[e]) for e in REQUIRED_EXAMS}

    if school_ref["country"] in NON_IMG_COUNTRIES:
        decision = NA
        rules = {rule_id: NA for rule_id, _ in RULES}
    else:
        school = schools.get(school_ref["world_directory_id"])
        note = school.get("ecfmg_note") if school is not None else None
        years = note["graduation_years"] if note is not None else None

        if years is None or not graduate:
            graduation_year = NA
        else:
            year = education["graduation_date"].year
            upper = years["to"]
            graduation_year = (
                MET if years["from"] <= year and (upper == "current" or year <= upper)
                else BLOCKED
            )

        if years is None or not student:
            current_students = NA
        else:
            current_students = MET if years["to"] == "current" else BLOCKED

        if education["academic_years_completed"] >= MIN_ACADEMIC_YEARS:
            academic_years = MET
        else:
            academic_years = BLOCKED if graduate else UNMET

        if met_on is not None:
            attempt_limit = NA
        else:
            attempt_limit = (
                BLOCKED if any(attempts[e] >= MAX_ATTEMPTS for e in ex["outstanding"])
                else MET
            )

        certificate = record.get("certificate")
        if certificate is None:
            issued_after = NA
        else:
            issued_after = (
                MET if met_on is not None and certificate["issued_on"] >= met_on
                else UNMET
            )

        fee = app.get("fee_paid_usd")
        rules = {
            "application.usmle_id": MET if record.get("usmle_id") is not None else UNMET,
            "application.submitted": MET if app.get("submitted_on") is not None else UNMET,
            "application.identity_confirmed": MET if app.get("identity_confirmed") is True else UNMET,
            "application.purpose_acknowledged": MET if app.get("purpose_acknowledged") is True else UNMET,
            "application.fee": MET if fee is not None and fee >= APPLICATION_FEE_USD else UNMET,
            "school.listed": MET if note is not None else BLOCKED,
            "school.graduation_year": graduation_year,
            "school.current_students": current_students,
            "education.academic_years": academic_years,
            "education.diploma_received": MET if education.get("diploma_received") is True else UNMET,
            "education.diploma_verified": _credential((credentials.get("diploma") or _EMPTY).get("status")),
            "education.transcript_verified": _credential((credentials.get("transcript") or _EMPTY).get("status")),
            "exams.passed_in_window": MET if met_on is not None else UNMET,
            "exams.attempt_limit": attempt_limit,
            "certificate.issued_after_requirements": issued_after,
        }

        requirements = [o for rule_id, o in rules.items() if rule_id not in ADVISORY_RULES]
        if BLOCKED in requirements:
            decision = "ineligible"
        elif all(o == MET or o == NA for o in requirements):
            decision = "eligible"
        else:
            decision = "pending"

    if decision == "eligible":
        name = record["name"]
        certificate_out = {
            "name": name["given"] + " " + name["family"],
            "usmle_id": record.get("usmle_id"),
            "exam_requirements_met_on": met_on,
        }
    else:
        certificate_out = None

    return {
        "decision": decision,
        "rules": rules,
        "outputs": {
            "exam_requirements_met_on": met_on,
            "window_starts_on": ex["window_starts_on"],
            "window_ends_on": ex["window_ends_on"],
            "exams_outstanding": ex["outstanding"],
            "attempts_remaining": attempts_remaining,
            "certificate": certificate_out,
        },
    }


# --- conveniences for benchmarks and tests ------------------------------------

def _date(value: Any) -> Any:
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def parse_dates(record: dict) -> dict:
    """Copy of a schema-valid applicant record with its date strings as dates."""
    out = dict(record)
    out["date_of_birth"] = _date(record["date_of_birth"])
    education = dict(record["education"])
    if "graduation_date" in education:
        education["graduation_date"] = _date(education["graduation_date"])
    if "credentials" in education:
        credentials = {}
        for key, cred in education["credentials"].items():
            cred = dict(cred)
            if "verified_on" in cred:
                cred["verified_on"] = _date(cred["verified_on"])
            credentials[key] = cred
        education["credentials"] = credentials
    out["education"] = education
    if "application" in record:
        application = dict(record["application"])
        application["submitted_on"] = _date(application["submitted_on"])
        out["application"] = application
    if "exams" in record:
        out["exams"] = [{**a, "date": _date(a["date"])} for a in record["exams"]]
    if "pathway" in record:
        pathway = dict(record["pathway"])
        if "met_on" in pathway:
            pathway["met_on"] = _date(pathway["met_on"])
        out["pathway"] = pathway
    if "certificate" in record:
        out["certificate"] = {**record["certificate"],
                              "issued_on": _date(record["certificate"]["issued_on"])}
    return out


def load_schools(path: str | Path) -> dict[str, dict]:
    """World Directory JSON file -> {world_directory_id: school}."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return {school["world_directory_id"]: school for school in data["schools"]}
