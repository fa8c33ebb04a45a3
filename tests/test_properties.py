"""Property-based tests of the date arithmetic and the seven-year window.

Two kinds of property:

* calendar arithmetic of :func:`ecfmg_policy.evaluator.language.values.add_duration`
  (years keep month and day, 29 February clamps to 28 February; adding years
  is monotonic; 12·k months are k years; days are a ``timedelta``);
* the seed policy run by the real engine, differentially against the
  hand-written oracle in ``benchmarks/handwritten.py`` on random valid
  applicant records (decision, every rule outcome, every output), and a few
  targeted properties of the window and the attempt counts that need no
  oracle.

The record strategy leans on the corners of the window: 29 February dates,
attempts exactly seven years (and seven years ± one day) after another one,
as-of dates on a window's last day and the day after, and many attempts at
one exam so the attempt limit is reached.  The whole file runs in well under
30 seconds.
"""

from __future__ import annotations

import calendar
import datetime
import os
import sys
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ecfmg_policy.api import Engine
from ecfmg_policy.evaluator.language.values import Duration, add_duration

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from handwritten import add_years, evaluate_seed, load_schools, parse_dates  # noqa: E402

SEED_POLICY = ROOT / "policies" / "ecfmg-certification" / "2004-06-14.yaml"
SCHOOLS = load_schools(ROOT / "policies" / "reference" / "world-directory.sample.json")

# The seed version alone, so that later versions added to the policy set
# cannot change what these properties compare.
ENGINE = Engine.load(SEED_POLICY)

STEP1, CK, CS, STEP3, OET = "USMLE_STEP1", "USMLE_STEP2_CK", "USMLE_STEP2_CS", "USMLE_STEP3", "OET_MEDICINE"
REQUIRED = (STEP1, CK, CS)
ALL_EXAMS = (STEP1, CK, CS, STEP3, OET)
MAX_ATTEMPTS = 6

FIRST_EXAM_DAY = datetime.date(2004, 1, 1)
LAST_EXAM_DAY = datetime.date(2020, 12, 31)
FIRST_AS_OF = datetime.date(2005, 1, 1)
LAST_AS_OF = datetime.date(2020, 12, 31)
LEAP_DAYS = [datetime.date(y, 2, 29) for y in (2004, 2008, 2012, 2016, 2020)]
ONE_DAY = datetime.timedelta(days=1)

# (World Directory id, the country the record gives for it)
SCHOOL_REFS = (
    ("F0000101", "IN"),
    ("F0000202", "PH"),
    ("F0000303", "MX"),
    ("F0000404", "IE"),
    ("F0000505", "NG"),
    ("F0000999", "BR"),  # not in the World Directory
    ("U0000001", "US"),  # not an IMG
)

FAST = settings(max_examples=150, deadline=None)
# ECFMG_EXAMPLES=4000 for a deeper run of the engine-against-oracle comparison.
THOROUGH = settings(max_examples=int(os.environ.get("ECFMG_EXAMPLES", "400")), deadline=None)


# --- date arithmetic -------------------------------------------------------------

# Far enough from year 1 and 9999 that adding up to 200 years stays a valid date.
calendar_days = st.dates(datetime.date(1800, 1, 1), datetime.date(8000, 12, 31))
leap_days = st.integers(1800, 8000).filter(calendar.isleap).map(lambda y: datetime.date(y, 2, 29))
any_days = st.one_of(calendar_days, leap_days)


@FAST
@given(any_days, st.integers(-200, 200))
def test_adding_years_keeps_month_and_day(day, years):
    result = add_duration(day, Duration(years=years))
    assert result.year == day.year + years
    assert result.month == day.month
    if (day.month, day.day) == (2, 29) and not calendar.isleap(day.year + years):
        assert result.day == 28
    else:
        assert result.day == day.day
    assert result == add_years(day, years)  # the oracle's reading of the same rule


@FAST
@given(any_days, any_days, st.integers(0, 200))
def test_adding_years_is_monotonic(a, b, years):
    first, second = sorted((a, b))
    seven = Duration(years=7)
    assert add_duration(first, seven) <= add_duration(second, seven)
    assert add_duration(first, Duration(years=years)) <= add_duration(second, Duration(years=years))


@FAST
@given(any_days, st.integers(-200, 200))
def test_twelve_months_are_a_year(day, years):
    assert add_duration(day, Duration(months=12 * years)) == add_duration(day, Duration(years=years))


@FAST
@given(any_days, st.integers(-100_000, 100_000))
def test_adding_days_is_timedelta(day, days):
    assert add_duration(day, Duration(days=days)) == day + datetime.timedelta(days=days)


@FAST
@given(any_days, st.integers(-200, 200))
def test_negated_duration_subtracts(day, years):
    back = add_duration(day, -Duration(years=years))
    assert back == add_years(day, -years)


# --- applicant records --------------------------------------------------------------

def _iso(day: datetime.date) -> str:
    return day.isoformat()


def _clamp(day: datetime.date, low: datetime.date, high: datetime.date) -> datetime.date:
    return min(max(day, low), high)


def _seven_years_after(day: datetime.date) -> datetime.date:
    return add_years(day, 7)


exam_days = st.one_of(st.dates(FIRST_EXAM_DAY, LAST_EXAM_DAY), st.sampled_from(LEAP_DAYS))
# Anchors early enough that seven years (and a day) later is still an exam day.
anchor_days = st.one_of(st.dates(FIRST_EXAM_DAY, datetime.date(2013, 12, 30)),
                        st.sampled_from(LEAP_DAYS[:3]))


@st.composite
def attempt_day(draw, anchors: list[datetime.date]) -> datetime.date:
    """An exam date: anywhere, on an anchor, seven years after one (± a day), or near one."""
    anchor = draw(st.sampled_from(anchors))
    end = _seven_years_after(anchor)
    choice = draw(st.sampled_from(["any", "anchor", "end", "end", "end+1", "end+1", "end-1", "near", "near", "near"]))
    if choice == "any":
        day = draw(exam_days)
    elif choice == "anchor":
        day = anchor
    elif choice == "end":
        day = end
    elif choice == "end+1":
        day = end + ONE_DAY
    elif choice == "end-1":
        day = end - ONE_DAY
    else:
        day = anchor + datetime.timedelta(days=draw(st.integers(-400, 2700)))
    return _clamp(day, FIRST_EXAM_DAY, LAST_EXAM_DAY)


def _attempt(draw, exams, results, anchors) -> dict:
    attempt = {"exam": draw(exams), "date": _iso(draw(attempt_day(anchors))), "result": draw(results)}
    if draw(st.booleans()):
        attempt["score"] = draw(st.integers(150, 280))
    return attempt


@st.composite
def exam_attempts(draw) -> list[dict]:
    """0-12 attempts in any order, clustered around one to three anchor dates.

    Three kinds of candidate: a "passer" passes each required exam once near
    the first anchor (so windows complete, or just miss), a "repeater" keeps
    failing one required exam (so the attempt limit is reached), and the rest
    make attempts at random.
    """
    anchors = draw(st.lists(anchor_days, min_size=1, max_size=3))
    kind = draw(st.sampled_from(["passer", "passer", "repeater", "random"]))
    mixed = st.sampled_from(list(REQUIRED) * 3 + list(ALL_EXAMS))
    if kind == "passer":
        # Usually the first pass is on the anchor, so that "end" and "end+1" are a window's edges.
        order = draw(st.permutations(REQUIRED))
        days = [anchors[0] if draw(st.sampled_from([True, True, False])) else draw(attempt_day(anchors[:1]))]
        days += [draw(attempt_day(anchors[:1])) for _ in order[1:]]
        attempts = [{"exam": exam, "date": _iso(day), "result": "pass"} for exam, day in zip(order, days)]
        results = st.sampled_from(["pass", "fail", "fail", "incomplete"])
        attempts += [_attempt(draw, mixed, results, anchors) for _ in range(draw(st.integers(0, 9)))]
        return draw(st.permutations(attempts))
    if kind == "repeater":
        exams = st.sampled_from([draw(st.sampled_from(REQUIRED))] * 10 + list(ALL_EXAMS))
        results = st.sampled_from(["fail", "fail", "fail", "pass", "incomplete"])
        count = st.integers(6, 12)
    else:
        exams, count = mixed, st.integers(0, 12)
        results = st.sampled_from(["pass", "pass", "fail", "incomplete"])
    return [_attempt(draw, exams, results, anchors) for _ in range(draw(count))]


def _field(draw, tidy: bool, good, *others):
    """``good`` (now and then one of ``others``) for a tidy record; any of them for an untidy one.

    None among ``others`` means the field is left out.
    """
    if tidy and draw(st.integers(0, 14)) != 7:
        return good
    return draw(st.sampled_from((good, *others)))


@st.composite
def applicant_records(draw) -> dict:
    """A schema-valid applicant record (dates as ``YYYY-MM-DD`` strings).

    A "tidy" record meets every requirement but the exams, bar a defect now
    and then; an untidy one has every field at random.  Between them every
    decision and every rule outcome turns up often.
    """
    tidy = draw(st.sampled_from([True, True, False]))
    school_id, country = _field(draw, tidy, SCHOOL_REFS[0], *SCHOOL_REFS[1:])
    if draw(st.integers(0, 19)) == 7:  # now and then a country that does not match the listing
        country = draw(st.sampled_from(["IN", "US", "CA", "BR"]))
    status = draw(st.sampled_from(["graduate", "student"]))
    record: dict = {
        "name": {"given": draw(st.sampled_from(["Asha", "Jun", "María"])),
                 "family": draw(st.sampled_from(["Raman", "Okafor", "Li"]))},
        "date_of_birth": _iso(draw(st.dates(datetime.date(1960, 1, 1), datetime.date(2000, 12, 31)))),
        "status": status,
        "medical_school": {"world_directory_id": school_id, "name": "A School", "country": country},
    }
    usmle_id = _field(draw, tidy, "5-123-456-7", "51234567", None)
    if usmle_id is not None:
        record["usmle_id"] = usmle_id

    education: dict = {"academic_years_completed": _field(draw, tidy, draw(st.integers(4, 7)), 0, 3)}
    graduation_day = _field(draw, tidy, draw(st.dates(datetime.date(2000, 1, 1), datetime.date(2015, 12, 31))),
                            draw(st.dates(datetime.date(1980, 1, 1), datetime.date(2020, 12, 31))))
    if status == "graduate" or draw(st.booleans()):
        education["graduation_date"] = _iso(graduation_day)
    diploma_received = _field(draw, tidy, True, False, None)
    if diploma_received is not None:
        education["diploma_received"] = diploma_received
    credentials = {}
    for key in ("diploma", "transcript"):
        status_ = _field(draw, tidy, "verified", "not_submitted", "pending", "rejected", None)
        if status_ is not None:
            credentials[key] = {"status": status_}
            if status_ == "verified" and draw(st.booleans()):
                credentials[key]["verified_on"] = _iso(draw(exam_days))
    if credentials or draw(st.booleans()):
        education["credentials"] = credentials
    record["education"] = education

    if _field(draw, tidy, True, False):
        application: dict = {"submitted_on": _iso(draw(exam_days))}
        submitted_as = draw(st.sampled_from([None, "student", "graduate"]))
        if submitted_as is not None:
            application["submitted_as"] = submitted_as
        fee = _field(draw, tidy, draw(st.sampled_from([75, 75.0, 160])), 0, 74, 74.99, None)
        if fee is not None:
            application["fee_paid_usd"] = fee
        for key in ("identity_confirmed", "purpose_acknowledged"):
            value = _field(draw, tidy, True, False, None)
            if value is not None:
                application[key] = value
        record["application"] = application

    attempts = draw(exam_attempts())
    if attempts or draw(st.booleans()):
        record["exams"] = attempts
    if draw(st.integers(0, 4)) == 2:  # a certificate, often dated after the last attempt
        issued_on = draw(exam_days)
        if attempts and draw(st.booleans()):
            last = max(datetime.date.fromisoformat(a["date"]) for a in attempts)
            issued_on = _clamp(last + datetime.timedelta(days=draw(st.integers(-1, 300))),
                               FIRST_EXAM_DAY, LAST_EXAM_DAY)
        record["certificate"] = {"number": "0-123-456-7", "issued_on": _iso(issued_on)}
    return record


@st.composite
def as_of_for(draw, record: dict) -> datetime.date:
    """An as-of date 2005-2020, often on an attempt's date or a window's last day (or the day after)."""
    days = [datetime.date.fromisoformat(a["date"]) for a in record.get("exams", [])]
    mode = draw(st.integers(0, 3))
    if not days or mode == 0:
        day = draw(st.dates(FIRST_AS_OF, LAST_AS_OF))
    elif mode == 1:  # after the attempts (most of them then count)
        day = draw(st.dates(min(max(days), LAST_AS_OF), LAST_AS_OF))
    else:
        base = draw(st.sampled_from(days))
        shift = draw(st.sampled_from(["on", "day-before", "day-after", "end", "end+1"]))
        day = {"on": base, "day-before": base - ONE_DAY, "day-after": base + ONE_DAY,
               "end": _seven_years_after(base), "end+1": _seven_years_after(base) + ONE_DAY}[shift]
    return _clamp(day, FIRST_AS_OF, LAST_AS_OF)


@st.composite
def records_with_as_of(draw) -> tuple[dict, datetime.date]:
    record = draw(applicant_records())
    return record, draw(as_of_for(record))


# --- running both ---------------------------------------------------------------

def engine_view(record: dict, as_of: datetime.date) -> dict:
    """The engine's result in the oracle's shape, after checking it is a real evaluation."""
    result = ENGINE.check(record, as_of)
    assert result.decision != "invalid", result.errors  # the strategy makes valid records only
    assert not result.errors, result.errors
    return {
        "decision": result.decision,
        "rules": {rule.id: rule.outcome for rule in result.rules},
        "outputs": dict(result.outputs),
    }


def engine_full(record: dict, as_of: datetime.date) -> tuple:
    """Everything the engine says about a record, messages included (for invariance properties)."""
    result = ENGINE.check(record, as_of)
    assert result.decision != "invalid", result.errors
    return (result.decision, tuple((r.id, r.outcome, r.message) for r in result.rules),
            result.outputs, result.errors)


def oracle_view(record: dict, as_of: datetime.date) -> dict:
    return evaluate_seed(parse_dates(record), SCHOOLS, as_of)


def _dates_are_dates(outputs: dict) -> None:
    for key in ("exam_requirements_met_on", "window_starts_on", "window_ends_on"):
        assert outputs[key] is None or type(outputs[key]) is datetime.date, (key, outputs[key])


# --- engine against the oracle ------------------------------------------------------

@THOROUGH
@given(records_with_as_of())
def test_engine_agrees_with_hand_written_oracle(case):
    record, as_of = case
    got, expected = engine_view(record, as_of), oracle_view(record, as_of)
    _dates_are_dates(got["outputs"])
    assert got["rules"] == expected["rules"]
    assert got["outputs"] == expected["outputs"]
    assert got["decision"] == expected["decision"]


# --- targeted window properties ---------------------------------------------------------

def _complete_graduate(exams: list[dict]) -> dict:
    """An IMG graduate with every non-exam requirement met."""
    return {
        "usmle_id": "1-234-567-8",
        "name": {"given": "Test", "family": "Applicant"},
        "date_of_birth": "1985-01-01",
        "status": "graduate",
        "medical_school": {"world_directory_id": "F0000101", "name": "Northbridge", "country": "IN"},
        "education": {"academic_years_completed": 6, "graduation_date": "2003-06-30", "diploma_received": True,
                      "credentials": {"diploma": {"status": "verified"}, "transcript": {"status": "verified"}}},
        "application": {"submitted_on": "2004-08-01", "fee_paid_usd": 75,
                        "identity_confirmed": True, "purpose_acknowledged": True},
        "exams": exams,
    }


@FAST
@given(start=st.one_of(anchor_days, st.sampled_from(LEAP_DAYS[:3])),
       middle_fraction=st.floats(0, 1),
       last_exam=st.permutations(REQUIRED),
       late=st.booleans(),
       as_of_extra=st.integers(0, 400),
       shuffle=st.randoms(use_true_random=False))
def test_pass_on_window_end_counts_and_day_after_does_not(start, middle_fraction, last_exam, late,
                                                          as_of_extra, shuffle):
    first, middle, last = last_exam
    end = _seven_years_after(start)
    middle_day = start + datetime.timedelta(days=int((end - start).days * middle_fraction))
    last_day = end + ONE_DAY if late else end
    exams = [{"exam": first, "date": _iso(start), "result": "pass"},
             {"exam": middle, "date": _iso(middle_day), "result": "pass"},
             {"exam": last, "date": _iso(last_day), "result": "pass"}]
    shuffle.shuffle(exams)
    as_of = _clamp(last_day + datetime.timedelta(days=as_of_extra), FIRST_AS_OF, LAST_AS_OF)
    assume(as_of >= last_day)
    got = engine_view(_complete_graduate(exams), as_of)
    if late:
        assert got["rules"]["exams.passed_in_window"] == "unmet"
        assert got["outputs"]["exam_requirements_met_on"] is None
        assert got["decision"] == "pending"
        assert first in got["outputs"]["exams_outstanding"]
    else:
        assert got["rules"]["exams.passed_in_window"] == "met"
        assert got["outputs"]["exam_requirements_met_on"] == end
        assert got["outputs"]["window_starts_on"] == start
        assert got["outputs"]["window_ends_on"] == end
        assert got["decision"] == "eligible"
    assert got == oracle_view(_complete_graduate(exams), as_of)


@FAST
@given(records_with_as_of(), st.lists(st.tuples(st.sampled_from(ALL_EXAMS), st.integers(1, 4000),
                                                st.sampled_from(["pass", "fail", "incomplete"])), max_size=4))
def test_attempts_after_as_of_do_not_count(case, future):
    record, as_of = case
    exams = record.get("exams", [])
    counted = [a for a in exams if datetime.date.fromisoformat(a["date"]) <= as_of]
    trimmed = {**record, "exams": counted}
    padded = {**record, "exams": exams + [{"exam": code, "date": _iso(as_of + datetime.timedelta(days=days)),
                                           "result": result} for code, days, result in future]}
    baseline = engine_full(trimmed, as_of)
    assert engine_full(record, as_of) == baseline
    assert engine_full(padded, as_of) == baseline


@FAST
@given(records_with_as_of(), st.lists(st.tuples(st.sampled_from([STEP3, OET]), exam_days,
                                                st.sampled_from(["pass", "fail", "incomplete"])), max_size=6))
def test_exams_not_required_are_ignored(case, extra):
    record, as_of = case
    exams = record.get("exams", [])
    required_only = {**record, "exams": [a for a in exams if a["exam"] in REQUIRED]}
    without_step3 = {**record, "exams": [a for a in exams if a["exam"] != STEP3]}
    padded = {**record, "exams": exams + [{"exam": code, "date": _iso(day), "result": result}
                                          for code, day, result in extra]}
    baseline = engine_full(required_only, as_of)
    assert engine_full(record, as_of) == baseline
    assert engine_full(without_step3, as_of) == baseline
    assert engine_full(padded, as_of) == baseline


@FAST
@given(records_with_as_of())
def test_attempts_remaining_counts_attempts_by_as_of(case):
    record, as_of = case
    remaining = ENGINE.check(record, as_of).outputs["attempts_remaining"]
    assert set(remaining) == set(REQUIRED)
    for exam in REQUIRED:
        made = sum(1 for a in record.get("exams", [])
                   if a["exam"] == exam and datetime.date.fromisoformat(a["date"]) <= as_of)
        assert remaining[exam] >= 0
        assert remaining[exam] == max(0, MAX_ATTEMPTS - made)
