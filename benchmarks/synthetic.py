"""Synthetic applicant records: the one generator of the benchmark and the property tests.

Schema-valid records for the seed version (2004.1): graduates and students at
the schools of the sample World Directory (one absent from it, one in the US),
random application completeness and credential statuses, and 0-12 exam
attempts clustered around seven-year window edges and 29 February, each with
an as-of date between 2005 and 2020, often on an attempt's date or on a
window's last day (or the day after).  A "tidy" record meets every requirement
but the exams, bar a defect now and then; an untidy one has every field at
random, so that every decision and every rule outcome turns up often.

What is drawn is written once, against a :class:`Chooser`: ``benchmarks/run.py``
draws with :class:`RandomChooser` (``random``, seeded: the same seed gives the
same records), ``tests/test_properties.py`` with hypothesis's ``draw`` (so that
failures shrink).  Dates in records are ``YYYY-MM-DD`` strings, as in JSON.
"""

from __future__ import annotations

import datetime
import random
from typing import Protocol, Sequence, TypeVar

from handwritten import add_years

T = TypeVar("T")

REQUIRED = ("USMLE_STEP1", "USMLE_STEP2_CK", "USMLE_STEP2_CS")
ALL_EXAMS = REQUIRED + ("USMLE_STEP3", "OET_MEDICINE")
# (World Directory id, the country the record gives for it)
SCHOOL_REFS = (("F0000101", "IN"), ("F0000202", "PH"), ("F0000303", "MX"), ("F0000404", "IE"),
               ("F0000505", "NG"), ("F0000999", "BR"),  # not in the World Directory
               ("U0000001", "US"))  # not an IMG
FIRST_EXAM_DAY, LAST_EXAM_DAY = datetime.date(2004, 1, 1), datetime.date(2020, 12, 31)
FIRST_AS_OF, LAST_AS_OF = datetime.date(2005, 1, 1), datetime.date(2020, 12, 31)
LAST_ANCHOR_DAY = datetime.date(2013, 12, 30)  # seven years (and a day) later is still an exam day
LEAP_DAYS = [datetime.date(y, 2, 29) for y in (2004, 2008, 2012, 2016, 2020)]
ONE_DAY = datetime.timedelta(days=1)


class Chooser(Protocol):
    """Where the randomness comes from."""

    def chance(self, numerator: int, denominator: int) -> bool:
        """True with probability ``numerator / denominator``."""

    def choice(self, options: Sequence[T]) -> T: ...

    def integer(self, low: int, high: int) -> int:
        """From ``low`` to ``high``, both included."""

    def day(self, low: datetime.date, high: datetime.date) -> datetime.date:
        """From ``low`` to ``high``, both included."""

    def permutation(self, items: Sequence[T]) -> list[T]:
        """The items in a random order (a new list)."""

    def shuffled(self, items: list[T]) -> list[T]:
        """The items in a random order (the list itself may be reordered)."""


class RandomChooser:
    """:class:`Chooser` over ``random.Random(seed)``."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def chance(self, numerator: int, denominator: int) -> bool:
        return self.rng.random() < numerator / denominator

    def choice(self, options):
        return self.rng.choice(options)

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def day(self, low: datetime.date, high: datetime.date) -> datetime.date:
        return low + datetime.timedelta(days=self.rng.randint(0, (high - low).days))

    def permutation(self, items):
        return self.rng.sample(items, len(items))

    def shuffled(self, items):
        self.rng.shuffle(items)
        return items


def clamp(day: datetime.date, low: datetime.date, high: datetime.date) -> datetime.date:
    return min(max(day, low), high)


def exam_day(c: Chooser) -> datetime.date:
    """Any day of 2004-2020, now and then 29 February."""
    if c.chance(1, 10):
        return c.choice(LEAP_DAYS)
    return c.day(FIRST_EXAM_DAY, LAST_EXAM_DAY)


def anchor_day(c: Chooser) -> datetime.date:
    """A day attempts cluster around: early enough that seven years (and a day) later is an exam day."""
    if c.chance(3, 20):
        return c.choice(LEAP_DAYS[:3])
    return c.day(FIRST_EXAM_DAY, LAST_ANCHOR_DAY)


def attempt_day(c: Chooser, anchor: datetime.date) -> datetime.date:
    """An exam date: anywhere, on the anchor, seven years after it (± a day), or near it."""
    end = add_years(anchor, 7)
    choice = c.choice(["any", "anchor", "end", "end", "end+1", "end+1", "end-1", "near", "near", "near"])
    near = anchor + datetime.timedelta(days=c.integer(-400, 2700))  # drawn whatever the choice
    day = {"any": None, "anchor": anchor, "end": end, "end+1": end + ONE_DAY, "end-1": end - ONE_DAY,
           "near": near}[choice]
    return clamp(day or exam_day(c), FIRST_EXAM_DAY, LAST_EXAM_DAY)


def attempt(c: Chooser, exams: Sequence[str], results: Sequence[str], anchors: list[datetime.date]) -> dict:
    made = {"exam": c.choice(exams), "date": attempt_day(c, c.choice(anchors)).isoformat(),
            "result": c.choice(results)}
    if c.chance(1, 2):
        made["score"] = c.integer(150, 280)
    return made


def exam_attempts(c: Chooser) -> list[dict]:
    """0-12 attempts in any order, clustered around one to three anchor dates.

    Three kinds of candidate: a "passer" passes each required exam once near
    the first anchor, the first pass often on it (so windows complete, or just
    miss), a "repeater" keeps failing one required exam (so the attempt limit
    is reached), and the rest make attempts at random.
    """
    anchors = [anchor_day(c) for _ in range(c.integer(1, 3))]
    kind = c.choice(["passer", "passer", "repeater", "random"])
    mixed = list(REQUIRED) * 3 + list(ALL_EXAMS)
    if kind == "passer":
        order = c.permutation(REQUIRED)
        days = [anchors[0] if c.chance(2, 3) else attempt_day(c, anchors[0])]
        days += [attempt_day(c, anchors[0]) for _ in order[1:]]
        made = [{"exam": exam, "date": day.isoformat(), "result": "pass"} for exam, day in zip(order, days)]
        made += [attempt(c, mixed, ["pass", "fail", "fail", "incomplete"], anchors) for _ in range(c.integer(0, 9))]
        return c.shuffled(made)
    if kind == "repeater":
        exams = [c.choice(REQUIRED)] * 10 + list(ALL_EXAMS)
        return [attempt(c, exams, ["fail", "fail", "fail", "pass", "incomplete"], anchors)
                for _ in range(c.integer(6, 12))]
    return [attempt(c, mixed, ["pass", "pass", "fail", "incomplete"], anchors) for _ in range(c.integer(0, 12))]


def field(c: Chooser, tidy: bool, good, *others):
    """``good`` (now and then one of ``others``) for a tidy record; any of them for an untidy one.

    None among ``others`` means the field is left out.
    """
    if tidy and c.chance(14, 15):
        return good
    return c.choice((good, *others))


def applicant_record(c: Chooser) -> dict:
    """A schema-valid applicant record."""
    tidy = c.chance(2, 3)
    school_id, country = field(c, tidy, SCHOOL_REFS[0], *SCHOOL_REFS[1:])
    if c.chance(1, 20):  # now and then a country that does not match the listing
        country = c.choice(["IN", "US", "CA", "BR"])
    status = c.choice(["graduate", "student"])
    record: dict = {
        "name": {"given": c.choice(["Asha", "Jun", "María"]), "family": c.choice(["Raman", "Okafor", "Li"])},
        "date_of_birth": c.day(datetime.date(1960, 1, 1), datetime.date(2000, 12, 31)).isoformat(),
        "status": status,
        "medical_school": {"world_directory_id": school_id, "name": "A School", "country": country},
    }
    usmle_id = field(c, tidy, "5-123-456-7", "51234567", None)
    if usmle_id is not None:
        record["usmle_id"] = usmle_id

    education: dict = {"academic_years_completed": field(c, tidy, c.integer(4, 7), 0, 3)}
    graduation = field(c, tidy, c.day(datetime.date(2000, 1, 1), datetime.date(2015, 12, 31)),
                       c.day(datetime.date(1980, 1, 1), datetime.date(2020, 12, 31)))
    if status == "graduate" or c.chance(1, 2):
        education["graduation_date"] = graduation.isoformat()
    diploma_received = field(c, tidy, True, False, None)
    if diploma_received is not None:
        education["diploma_received"] = diploma_received
    credentials = {}
    for key in ("diploma", "transcript"):
        credential_status = field(c, tidy, "verified", "not_submitted", "pending", "rejected", None)
        if credential_status is not None:
            credentials[key] = {"status": credential_status}
            if credential_status == "verified" and c.chance(1, 2):
                credentials[key]["verified_on"] = exam_day(c).isoformat()
    if credentials or c.chance(1, 2):
        education["credentials"] = credentials
    record["education"] = education

    if field(c, tidy, True, False):
        application: dict = {"submitted_on": exam_day(c).isoformat()}
        submitted_as = c.choice([None, "student", "graduate"])
        if submitted_as is not None:
            application["submitted_as"] = submitted_as
        fee = field(c, tidy, c.choice([75, 75.0, 160]), 0, 74, 74.99, None)
        if fee is not None:
            application["fee_paid_usd"] = fee
        for key in ("identity_confirmed", "purpose_acknowledged"):
            value = field(c, tidy, True, False, None)
            if value is not None:
                application[key] = value
        record["application"] = application

    attempts = exam_attempts(c)
    if attempts or c.chance(1, 2):
        record["exams"] = attempts
    if c.chance(1, 5):  # a certificate, often dated after the last attempt
        issued_on = exam_day(c)
        if attempts and c.chance(1, 2):
            last = max(datetime.date.fromisoformat(a["date"]) for a in attempts)
            issued_on = clamp(last + datetime.timedelta(days=c.integer(-1, 300)), FIRST_EXAM_DAY, LAST_EXAM_DAY)
        record["certificate"] = {"number": "0-123-456-7", "issued_on": issued_on.isoformat()}
    return record


def as_of_for(c: Chooser, record: dict) -> datetime.date:
    """2005-2020, often after the attempts, on an attempt's date (or a day either side), or on a
    window's last day (or the day after)."""
    days = [datetime.date.fromisoformat(a["date"]) for a in record.get("exams", [])]
    mode = c.integer(0, 3)
    if not days or mode == 0:
        day = c.day(FIRST_AS_OF, LAST_AS_OF)
    elif mode == 1:  # after the attempts (most of them then count)
        day = c.day(min(max(days), LAST_AS_OF), LAST_AS_OF)
    else:
        base = c.choice(days)
        day = c.choice([base, base - ONE_DAY, base + ONE_DAY, add_years(base, 7), add_years(base, 7) + ONE_DAY])
    return clamp(day, FIRST_AS_OF, LAST_AS_OF)


def make_records(count: int, seed: int) -> list[tuple[dict, datetime.date]]:
    """``count`` records, each with its as-of date; the same seed gives the same records."""
    chooser = RandomChooser(seed)
    out = []
    for _ in range(count):
        record = applicant_record(chooser)
        out.append((record, as_of_for(chooser, record)))
    return out
