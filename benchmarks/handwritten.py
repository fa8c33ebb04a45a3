"""Hand-written implementation of the ECFMG Certification policy, every version.

This module is plain Python with no policy engine.  It serves two purposes:

* the **performance baseline** the policy engine is benchmarked against (the
  seed version, :func:`evaluate_seed`), and
* a **test oracle**: the engine, running the policy files, must give the same
  decision, rule outcomes and outputs for every record, under every version.

It is written from PRODUCT.md sections 6 and 7 (with the versions table), not
from the policy files, so that it is an independent check of them:

========  ==============  ==================================================
version   effective from  what changes
========  ==============  ==================================================
2004.1    2004-06-14      the seed: Step 1, Step 2 CK, Step 2 CS; 6 attempts;
                          7-year window; USD 75
2021.1    2021-01-26      required exams Step 1 and Step 2 CK (Step 2 CS
                          passes still start windows); new requirement
                          ``exams.clinical_skills`` (a Step 2 CS pass valid
                          for certification, or a met Pathway and an OET
                          Medicine pass); outputs ``clinical_skills_met_by``
                          and ``clinical_skills_met_on``
2021.2    2021-07-01      4 attempts per exam; 4 or more attempts at any USMLE
                          Step without a pass of it bars every outstanding
                          required exam
2022.1    2022-01-01      fee USD 160 for applications submitted on or after
                          2022-01-01 (USD 75 before)
========  ==============  ==================================================

Every version judges the record **as it stood on the as-of date**: a dated
fact counts only when its date is on or before the as-of date (exam attempts,
the application's ``submitted_on``, a credential's ``verified_on``, a
graduate's ``graduation_date`` for the final diploma, a Pathway's ``met_on``,
a certificate's ``issued_on``); a later one has not happened yet.

Entry points::

    evaluate(record, schools, as_of, version=None) -> {"decision", "rules", "outputs"}
    evaluate_seed(record, schools, as_of)          # = evaluate(..., version="2004.1")
    version_in_force(as_of) -> "2004.1" | "2021.1" | "2021.2" | "2022.1"

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

# --- parameters common to every version ----------------------------------------

STEP1, STEP2_CK, STEP2_CS, STEP3, OET = (
    "USMLE_STEP1", "USMLE_STEP2_CK", "USMLE_STEP2_CS", "USMLE_STEP3", "OET_MEDICINE")
USMLE_STEPS = (STEP1, STEP2_CK, STEP2_CS, STEP3)  # OET Medicine is not a USMLE Step
EXAM_WINDOW_YEARS = 7
NON_IMG_COUNTRIES = frozenset({"US", "CA"})
MIN_ACADEMIC_YEARS = 4

# --- the seed version's parameters (kept under their old names) -----------------

APPLICATION_FEE_USD = 75
REQUIRED_EXAMS = (STEP1, STEP2_CK, STEP2_CS)
MAX_ATTEMPTS = 6

MET, UNMET, BLOCKED, NA = "met", "unmet", "blocked", "not_applicable"

# Rule ids of the seed in evaluation order, with their severity.
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
CLINICAL_SKILLS_RULE = ("exams.clinical_skills", "requirement")


class Version:
    """What one policy version says, as plain parameters.

    (A plain class, not a dataclass: tests load this file with
    ``importlib.util.spec_from_file_location`` without registering it in
    ``sys.modules``, which dataclasses need.)
    """

    __slots__ = ("version", "effective_from", "required", "window_starters", "max_attempts",
                 "cross_step_bar", "clinical_skills", "fee_usd", "raised_fee_usd", "fee_raised_on", "rules")

    def __init__(self, version: str, effective_from: datetime.date, required: tuple[str, ...],
                 window_starters: tuple[str, ...], max_attempts: int, cross_step_bar: bool,
                 clinical_skills: bool, fee_usd: int, raised_fee_usd: int | None = None,
                 fee_raised_on: datetime.date | None = None):
        self.version = version
        self.effective_from = effective_from
        self.required = required                  # required exams (and attempts_remaining's keys)
        self.window_starters = window_starters    # exams whose passes start seven-year windows
        self.max_attempts = max_attempts
        self.cross_step_bar = cross_step_bar      # 4+ attempts at a USMLE Step without a pass bars every Step
        self.clinical_skills = clinical_skills    # the exams.clinical_skills requirement and its outputs
        self.fee_usd = fee_usd                    # fee due for an application submitted before fee_raised_on
        self.raised_fee_usd = raised_fee_usd      # fee due for one submitted on or after fee_raised_on
        self.fee_raised_on = fee_raised_on
        self.rules = RULES + (CLINICAL_SKILLS_RULE,) if clinical_skills else RULES

    def __repr__(self) -> str:
        return f"Version({self.version!r}, effective from {self.effective_from})"


SEED = Version("2004.1", datetime.date(2004, 6, 14), REQUIRED_EXAMS, REQUIRED_EXAMS,
               MAX_ATTEMPTS, False, False, APPLICATION_FEE_USD)
V2021_1 = Version("2021.1", datetime.date(2021, 1, 26), (STEP1, STEP2_CK), (STEP1, STEP2_CK, STEP2_CS),
                  6, False, True, 75)
V2021_2 = Version("2021.2", datetime.date(2021, 7, 1), (STEP1, STEP2_CK), (STEP1, STEP2_CK, STEP2_CS),
                  4, True, True, 75)
V2022_1 = Version("2022.1", datetime.date(2022, 1, 1), (STEP1, STEP2_CK), (STEP1, STEP2_CK, STEP2_CS),
                  4, True, True, 75, 160, datetime.date(2022, 1, 1))
VERSIONS: tuple[Version, ...] = (SEED, V2021_1, V2021_2, V2022_1)  # by effective_from
BY_NAME = {v.version: v for v in VERSIONS}

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


def version_in_force(as_of: datetime.date) -> str:
    """The version with the latest ``effective_from`` on or before ``as_of``."""
    chosen = None
    for v in VERSIONS:
        if v.effective_from <= as_of:
            chosen = v
    if chosen is None:
        raise ValueError(f"as-of date {as_of} is before the first policy version ({SEED.effective_from})")
    return chosen.version


def _credential(credential: dict | None, as_of: datetime.date) -> str:
    """Verified: met; rejected: blocked; anything else: unmet.  Verified after as_of: unmet (pending then)."""
    if credential is None:
        return UNMET
    verified_on = credential.get("verified_on")
    if verified_on is not None and verified_on > as_of:
        return UNMET
    status = credential.get("status")
    if status == "verified":
        return MET
    if status == "rejected":
        return BLOCKED
    return UNMET


def _first_on_or_after(dates: list[datetime.date], start: datetime.date) -> datetime.date | None:
    i = bisect_left(dates, start)
    return dates[i] if i < len(dates) else None


def _exam_analysis(exams, as_of: datetime.date, v: Version) -> tuple:
    """The seven-year-window analysis of the exam attempts dated on or before ``as_of``.

    Returns the tuple (exam_requirements_met_on, window_starts_on,
    window_ends_on, exams_outstanding, attempt counts, pass dates, window
    starts): counts and pass dates per window-starting exam, and the sorted
    dates of their passes.
    """
    required = v.required
    # Attempts are counted for every window-starting exam (a superset of the required ones).
    attempts = {exam: 0 for exam in v.window_starters}
    pass_dates: dict[str, list[datetime.date]] = {exam: [] for exam in v.window_starters}
    for attempt in exams:
        exam = attempt["exam"]
        if exam in attempts and attempt["date"] <= as_of:
            attempts[exam] += 1
            if attempt["result"] == "pass":
                pass_dates[exam].append(attempt["date"])
    for dates in pass_dates.values():
        dates.sort()
    starts = sorted({d for dates in pass_dates.values() for d in dates})

    # Complete windows: each starts on a pass date (of a window-starting exam)
    # and ends 7 years later, both ends inclusive; complete when it holds a
    # pass of every required exam.  Keep the earliest completion; on a tie the
    # earliest-starting window (starts are visited in ascending order).
    met_on = best_start = best_end = None
    for start in starts:
        if met_on is not None and start > met_on:
            break  # a later window cannot complete earlier than met_on
        end = add_years(start, EXAM_WINDOW_YEARS)
        completion = start
        for exam in required:
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
        return met_on, best_start, best_end, [], attempts, pass_dates, starts

    # Unmet: the current window starts on the earliest pass whose window has
    # not yet ended on the as-of date.
    for start in starts:
        end = add_years(start, EXAM_WINDOW_YEARS)
        if end >= as_of:
            outstanding = [
                exam for exam in required
                if not any(start <= d <= end for d in pass_dates[exam])
            ]
            return None, start, end, outstanding, attempts, pass_dates, starts
    return None, None, None, list(required), attempts, pass_dates, starts


def _cs_pass_valid_on(pass_dates: dict[str, list[datetime.date]],
                      starts: list[datetime.date]) -> datetime.date | None:
    """The earliest date on which one seven-year window holds passes of Step 1, Step 2 CK and Step 2 CS.

    Windows start on any pass of the three; None if no window ever holds all three.
    """
    best = None
    step1, ck, cs = pass_dates[STEP1], pass_dates[STEP2_CK], pass_dates[STEP2_CS]
    if not (step1 and ck and cs):
        return None
    for start in starts:
        if best is not None and start > best:
            break
        end = add_years(start, EXAM_WINDOW_YEARS)
        firsts = (_first_on_or_after(step1, start), _first_on_or_after(ck, start),
                  _first_on_or_after(cs, start))
        if None in firsts:
            continue
        done = max(firsts)
        if done <= end and (best is None or done < best):
            best = done
    return best


def _pathway_route_on(record: dict, exams, as_of: datetime.date) -> datetime.date | None:
    """The date the Pathway-and-OET route was complete (both dated on or before as_of), or None."""
    pathway = record.get("pathway")
    if pathway is None or pathway.get("status") != "met":
        return None
    met_on = pathway.get("met_on")
    if met_on is not None and met_on > as_of:
        return None
    oet = [a["date"] for a in exams
           if a["exam"] == OET and a["result"] == "pass" and a["date"] <= as_of]
    if not oet:
        return None
    first_oet = min(oet)
    return first_oet if met_on is None or met_on < first_oet else met_on


def _barred_from_every_step(exams, as_of: datetime.date, limit: int) -> bool:
    """Some USMLE Step has ``limit`` or more attempts by as_of and no pass of it by as_of."""
    counts = dict.fromkeys(USMLE_STEPS, 0)
    passed = set()
    for attempt in exams:
        exam = attempt["exam"]
        if exam in counts and attempt["date"] <= as_of:
            counts[exam] += 1
            if attempt["result"] == "pass":
                passed.add(exam)
    return any(n >= limit and exam not in passed for exam, n in counts.items())


# --- the policy ---------------------------------------------------------------

def evaluate(record: dict, schools: dict[str, dict], as_of: datetime.date,
             version: str | None = None) -> dict:
    """Evaluate one applicant record as it stood on ``as_of``.

    ``version``: a version name to force (like ``--policy-version``), or None
    for the version in force on ``as_of``.
    ``record``: a schema-valid applicant record whose dates are ``datetime.date``.
    ``schools``: World Directory id -> school object.
    Returns ``{"decision": str, "rules": {rule_id: outcome}, "outputs": {...}}``.
    """
    v = BY_NAME[version if version is not None else version_in_force(as_of)]
    return _evaluate(record, schools, as_of, v)


def evaluate_seed(record: dict, schools: dict[str, dict], as_of: datetime.date) -> dict:
    """Evaluate one applicant record under the seed version (2004.1), whatever ``as_of``."""
    return _evaluate(record, schools, as_of, SEED)


def _evaluate(record: dict, schools: dict[str, dict], as_of: datetime.date, v: Version) -> dict:
    status = record["status"]
    graduate = status == "graduate"
    student = status == "student"
    school_ref = record["medical_school"]
    education = record["education"]
    application = record.get("application")
    # An application submitted after as_of has not been submitted yet.
    app = application if application is not None and application["submitted_on"] <= as_of else _EMPTY
    credentials = education.get("credentials") or _EMPTY
    exams = record.get("exams") or ()

    # Exams (the outputs are computed for every record).
    met_on, window_starts_on, window_ends_on, outstanding, attempts, pass_dates, starts = \
        _exam_analysis(exams, as_of, v)
    limit = v.max_attempts
    attempts_remaining = {e: max(0, limit - attempts[e]) for e in v.required}

    if v.clinical_skills:
        # Met on the earlier of the two routes' dates (a later fact never moves it later);
        # on the same day the Step 2 CS route is named.
        usmle_on = _cs_pass_valid_on(pass_dates, starts)
        pathway_on = _pathway_route_on(record, exams, as_of)
        if usmle_on is not None and (pathway_on is None or usmle_on <= pathway_on):
            cs_on, cs_by = usmle_on, "USMLE_STEP2_CS"
        elif pathway_on is not None:
            cs_on, cs_by = pathway_on, "PATHWAY_AND_OET"
        else:
            cs_on = cs_by = None

    if school_ref["country"] in NON_IMG_COUNTRIES:
        decision = NA
        rules = {rule_id: NA for rule_id, _ in v.rules}
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

        # The final diploma: graduates only, received, and graduated by as_of.
        diploma_received = (
            MET if graduate and education.get("diploma_received") is True
            and education["graduation_date"] <= as_of
            else UNMET
        )

        if met_on is not None:
            attempt_limit = NA
        elif v.cross_step_bar and _barred_from_every_step(exams, as_of, limit):
            attempt_limit = BLOCKED  # some required exam is outstanding and no Step may be taken
        else:
            attempt_limit = (
                BLOCKED if any(attempts[e] >= limit for e in outstanding)
                else MET
            )

        certificate = record.get("certificate")
        if certificate is None or certificate["issued_on"] > as_of:
            issued_after = NA  # no certificate (yet)
        elif v.clinical_skills:
            issued_after = (
                MET if met_on is not None and cs_on is not None
                and certificate["issued_on"] >= max(met_on, cs_on)
                else UNMET
            )
        else:
            issued_after = (
                MET if met_on is not None and certificate["issued_on"] >= met_on
                else UNMET
            )

        fee = app.get("fee_paid_usd")
        if fee is None:
            fee_ok = False
        elif v.fee_raised_on is not None and app["submitted_on"] >= v.fee_raised_on:
            fee_ok = fee >= v.raised_fee_usd
        else:
            fee_ok = fee >= v.fee_usd
        rules = {
            "application.usmle_id": MET if record.get("usmle_id") is not None else UNMET,
            "application.submitted": MET if app.get("submitted_on") is not None else UNMET,
            "application.identity_confirmed": MET if app.get("identity_confirmed") is True else UNMET,
            "application.purpose_acknowledged": MET if app.get("purpose_acknowledged") is True else UNMET,
            "application.fee": MET if fee_ok else UNMET,
            "school.listed": MET if note is not None else BLOCKED,
            "school.graduation_year": graduation_year,
            "school.current_students": current_students,
            "education.academic_years": academic_years,
            "education.diploma_received": diploma_received,
            "education.diploma_verified": _credential(credentials.get("diploma"), as_of),
            "education.transcript_verified": _credential(credentials.get("transcript"), as_of),
            "exams.passed_in_window": MET if met_on is not None else UNMET,
            "exams.attempt_limit": attempt_limit,
            "certificate.issued_after_requirements": issued_after,
        }
        if v.clinical_skills:
            rules["exams.clinical_skills"] = MET if cs_by is not None else UNMET

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

    outputs = {
        "exam_requirements_met_on": met_on,
        "window_starts_on": window_starts_on,
        "window_ends_on": window_ends_on,
        "exams_outstanding": outstanding,
        "attempts_remaining": attempts_remaining,
        "certificate": certificate_out,
    }
    if v.clinical_skills:
        outputs["clinical_skills_met_by"] = cs_by
        outputs["clinical_skills_met_on"] = cs_on
    return {"decision": decision, "rules": rules, "outputs": outputs}
# --- the seed's messages ---------------------------------------------------------

def _shown(value: Any) -> str:
    """A value as a message shows it (whole numbers without ``.0``, dates as ISO, null as "none")."""
    if value is None:
        return "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _credential_status(credential: dict | None, as_of: datetime.date) -> str:
    """What a message says of a credential: its status, "pending" while its verification is dated
    after the as-of date, "not_submitted" when the record has none."""
    if credential is None:
        return "not_submitted"
    verified_on = credential.get("verified_on")
    if verified_on is not None and verified_on > as_of:
        return "pending"
    status = credential.get("status")
    return "not_submitted" if status is None else status


_SEED_FIXED_MESSAGES = {
    "application.usmle_id": "Request a USMLE/ECFMG Identification Number through ECFMG's "
                            "Interactive Web Applications (IWA)",
    "application.submitted": "Submit the Application for ECFMG Certification",
    "application.identity_confirmed": "Confirm your name, date of birth and gender in the ECFMG record",
    "application.purpose_acknowledged": "Confirm that you understand the purpose of ECFMG Certification "
                                        "and the release of legal claims",
    "education.diploma_received": "Complete all requirements and receive the final medical diploma",
}


def seed_messages(record: dict, schools: dict[str, dict], as_of: datetime.date, result: dict) -> list:
    """Each seed rule's message for ``result`` (from :func:`evaluate_seed`), in rule order: the
    unmet message, the blocked one, or None for a rule met or not applicable, worded as the seed
    version words them.  Written from the policy's text for the end-to-end baseline
    (``end_to_end.py``); only the messages a record needs are made."""
    written = []
    for rule_id, outcome in result["rules"].items():
        if outcome == UNMET or outcome == BLOCKED:
            written.append(_SEED_FIXED_MESSAGES.get(rule_id) or _seed_message(rule_id, outcome, record, schools,
                                                                               as_of, result["outputs"]))
        else:
            written.append(None)
    return written


def _seed_message(rule_id: str, outcome: str, record: dict, schools: dict[str, dict], as_of: datetime.date,
                  outputs: dict) -> str:
    education = record["education"]
    if rule_id == "application.fee":
        application = record.get("application")
        fee = application.get("fee_paid_usd") if application and application["submitted_on"] <= as_of else None
        return f"Pay the USD {APPLICATION_FEE_USD} application fee (paid so far: USD {_shown(0 if fee is None else fee)})"
    if rule_id == "school.listed":
        return (f"The medical school `{record['medical_school']['world_directory_id']}` is not listed in the World "
                "Directory with an ECFMG note, so its students and graduates are not eligible")
    if rule_id in ("school.graduation_year", "school.current_students"):
        years = schools[record["medical_school"]["world_directory_id"]]["ecfmg_note"]["graduation_years"]
        if rule_id == "school.current_students":
            return (f"The school's ECFMG note ends with graduation year {_shown(years['to'])}, "
                    'not "Current", so its students are not eligible')
        return (f"Graduation year {education['graduation_date'].year} is outside the years in the school's "
                f"ECFMG note ({_shown(years['from'])} to {_shown(years['to'])})")
    if rule_id == "education.academic_years":
        completed = _shown(education["academic_years_completed"])
        if outcome == BLOCKED:
            return f"Graduated after {completed} academic years; at least {MIN_ACADEMIC_YEARS} are required"
        return f"Complete at least {MIN_ACADEMIC_YEARS} academic years of medical school (completed: {completed})"
    if rule_id in ("education.diploma_verified", "education.transcript_verified"):
        what = "the medical diploma" if rule_id == "education.diploma_verified" else "the transcript"
        if outcome == BLOCKED:
            return f"ECFMG rejected the primary-source verification of {what}"
        credential = (education.get("credentials") or _EMPTY).get(what.split()[-1])
        return (f"Primary-source verification of {what} is not complete "
                f"(status: {_credential_status(credential, as_of)})")
    outstanding = outputs["exams_outstanding"]
    exhausted = [e for e in outstanding if outputs["attempts_remaining"][e] == 0]
    if rule_id == "exams.attempt_limit":
        return f"{', '.join(exhausted)} taken {MAX_ATTEMPTS} times without a pass that counts; no attempts remain"
    if rule_id == "exams.passed_in_window":
        end = outputs["window_ends_on"]
        deadline = f"by {end.isoformat()}" if end is not None else "(your first pass starts a seven-year window)"
        to_pass = [e for e in outstanding if e not in exhausted]
        if not exhausted:
            return f"Pass {', '.join(outstanding)} {deadline}"
        if not to_pass:
            return f"{', '.join(exhausted)} can no longer be passed (see exams.attempt_limit)"
        return (f"Pass {', '.join(to_pass)} {deadline}; {', '.join(exhausted)} "
                "can no longer be passed (see exams.attempt_limit)")
    certificate = record["certificate"]
    return (f"Certificate {_shown(certificate.get('number'))} is dated {certificate['issued_on'].isoformat()}, "
            "but the exam requirements were not met by then")


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
