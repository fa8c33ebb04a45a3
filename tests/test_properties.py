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

The records are drawn from ``benchmarks/synthetic.py``, the generator the
benchmark times, through hypothesis (so that a failure shrinks).  It leans on
the corners of the window: 29 February dates, attempts exactly seven years (and
seven years ± one day) after another one, as-of dates on a window's last day
and the day after, and many attempts at one exam so the attempt limit is
reached.  The whole file runs in well under
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

import synthetic  # noqa: E402
from handwritten import add_years, evaluate_seed, load_schools, parse_dates  # noqa: E402
from synthetic import ALL_EXAMS, FIRST_AS_OF, LAST_AS_OF, LEAP_DAYS, ONE_DAY, REQUIRED  # noqa: E402

SEED_POLICY = ROOT / "policies" / "ecfmg-certification" / "2004-06-14.yaml"
SCHOOLS = load_schools(ROOT / "policies" / "reference" / "world-directory.sample.json")

# The seed version alone, so that later versions added to the policy set
# cannot change what these properties compare.
ENGINE = Engine.load(SEED_POLICY)

STEP1, CK, CS, STEP3, OET = "USMLE_STEP1", "USMLE_STEP2_CK", "USMLE_STEP2_CS", "USMLE_STEP3", "OET_MEDICINE"
MAX_ATTEMPTS = 6

FAST = settings(max_examples=150, deadline=None)
# ECFMG_EXAMPLES=4000 for a deeper run of the engine-against-oracle comparison; its deterministic
# ground, 2,000 seeded records of the same generator under every version, is in test_oracle_versions.
THOROUGH = settings(max_examples=int(os.environ.get("ECFMG_EXAMPLES", "150")), deadline=None)


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

class Draw:
    """``synthetic.Chooser`` over hypothesis's ``draw``: the records the benchmark times, and a
    failing one shrinks."""

    def __init__(self, draw):
        self.draw = draw

    def chance(self, numerator: int, denominator: int) -> bool:
        return self.draw(st.integers(0, denominator - 1)) < numerator

    def choice(self, options):
        return self.draw(st.sampled_from(options))

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))

    def day(self, low: datetime.date, high: datetime.date) -> datetime.date:
        return self.draw(st.dates(low, high))

    def permutation(self, items):
        return self.draw(st.permutations(items))

    def shuffled(self, items):
        return self.draw(st.permutations(items))


@st.composite
def applicant_records(draw) -> dict:
    """A schema-valid applicant record (dates as ``YYYY-MM-DD`` strings): ``synthetic.applicant_record``."""
    return synthetic.applicant_record(Draw(draw))


@st.composite
def as_of_for(draw, record: dict) -> datetime.date:
    """An as-of date 2005-2020, often on an attempt's date or a window's last day (or the day after)."""
    return synthetic.as_of_for(Draw(draw), record)


@st.composite
def records_with_as_of(draw) -> tuple[dict, datetime.date]:
    record = draw(applicant_records())
    return record, draw(as_of_for(record))


exam_days = st.composite(lambda draw: synthetic.exam_day(Draw(draw)))()
anchor_days = st.composite(lambda draw: synthetic.anchor_day(Draw(draw)))()


def _iso(day: datetime.date) -> str:
    return day.isoformat()


def _clamp(day: datetime.date, low: datetime.date, high: datetime.date) -> datetime.date:
    return synthetic.clamp(day, low, high)


def _seven_years_after(day: datetime.date) -> datetime.date:
    return add_years(day, 7)


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
