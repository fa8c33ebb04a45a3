#!/usr/bin/env python3
"""Write ``examples/corpus.jsonl``: 3,000 synthetic applicants for ``diff`` to run under two policies.

The population (each record names its cohort in ``notes.cohort``, which the
policies ignore; shares of the 3,000 records):

- 22 % ``seed_era`` (660): graduates (2008-2019) of listed schools who passed
  Step 1, Step 2 CK and Step 2 CS between 2010 and March 2020, applied before
  their first exam (USD 75) and had diploma and transcript verified; eligible
  once the last of these is dated.  One in ten passed Step 2 CS more than seven
  years after Step 1: pending under 2004.1, and under 2021.1 eligible only with
  a Pathway met and OET Medicine passed, which half of them have.  A quarter sat
  Step 3 later; two in five hold a certificate.
- 18 % ``cs_less`` (540): graduates (2015-2022) who passed Step 1 and Step 2 CK
  from 2016 on but not Step 2 CS (45 % never sat it, the rest failed it 1-6
  times before its suspension in March 2020, 15 % six times); most passed OET
  Medicine and had a Pathway met (October 2020 to 2023), the others a Pathway
  pending or not met, or none.  Pending under 2004.1 (ineligible after six
  Step 2 CS failures); under 2021.1 eligible once the Pathway and OET are met.
- 12 % ``repeater`` (360): graduates stuck at Step 1 or Step 2 CK (3, 4, 5 or 6
  failed or incomplete attempts, or 4-5 at Step 2 CS with Step 2 CK still to
  pass), the attempts before July 2021 (half of those with three made a fourth
  from August 2021); pending while under six attempts, ineligible under four
  from 2021.2 on (one in ten passed on the fifth try and stays pending).
- 12 % ``applicant_2022`` (360): graduates with every exam, Pathway and
  credential done by the end of 2021 who applied between July 2021 and 2023,
  15 % of them on 2022-01-01 itself; an application from 2022 paid USD 160, 75
  or 159.99 (50/30/20 %), so 2022.1 turns the short payers pending.
- 10 % ``student`` (300): students at listed schools with a current ECFMG note
  (2-5 academic years; Step 1 and Step 2 CK attempts or none; one in six with
  4-5 Step 1 failures): pending, or ineligible from 2021.2 on for the failures.
- 6 % ``paperwork`` (180): graduates with their exams done and one gap in the
  application or verification (no application, identity or purpose not
  confirmed, fee short or unpaid, a credential pending or verified only in
  2020-2023, diploma not received, or no USMLE ID and no exams yet).
- 8 % ``not_img`` (240): graduates and students of the US and Canadian
  schools: not applicable.
- 7 % ``school_barred`` (210): a school without an ECFMG note, absent from the
  World Directory, or a graduation year (for students, a note) outside the
  note's years: ineligible.
- 5 % ``education_barred`` (150): graduates after three academic years, or
  with a credential rejected (dated 2018-2023, or undated): ineligible (pending
  before a rejection's date).

Exam attempts are dated 2010-2023 (Step 2 CS until 2020-03-13, OET Medicine
from 2020-06), applications 2007-2023 (three in five from 2019), Pathways met
from October 2020; fees paid are 75, 160, 159.99, and a few short.  Every record
is valid against ``src/ecfmg_policy/schemas/applicant.schema.json``, on one line
of compact ASCII JSON with its keys in the schema's order.

Decisions with the bundled policies when it was made (``check --format jsonl``;
eligible / pending / ineligible / not applicable, of 3,000):

- as of 2020-06-01 (2004.1): 588 / 1741 / 431 / 240
- as of 2021-01-25 (2004.1): 595 / 1718 / 447 / 240
- as of 2021-06-30 (2021.1): 725 / 1658 / 377 / 240
- as of 2021-12-31 (2021.2): 895 / 1175 / 690 / 240
- as of 2022-06-01 (2022.1): 1063 / 991 / 706 / 240

and the decisions that move: 2004.1 to 2021.1 as of 2021-01-26, 127 (45
pending to eligible, 75 ineligible to pending, 7 ineligible to eligible);
2021.1 to 2021.2 as of 2021-07-01, 298 (pending to ineligible); 2021.2 to
2022.1 as of 2022-06-01, 135 (eligible to pending); as of 2021-12-31 to
2022-01-01, 21 (pending to eligible: applications of that day).

Why: ``ecfmg-policy diff`` reports the decisions that move between two policies
(folders, revisions, versions or as-of dates), and needs a population in which
every version's change shows: Step 2 CS dropped (2021.1), four attempts
(2021.2), the USD 160 fee (2022.1).  ``tests/test_corpus.py`` checks that it does,
and that this script still writes the committed file byte for byte.

How: the standard library only, ``random.Random(seed)``, nothing from the package::

    python examples/make_corpus.py > examples/corpus.jsonl
    python examples/make_corpus.py examples/corpus.jsonl          # the same, by path
    python examples/make_corpus.py --seed 7 --count 500 other.jsonl

The same seed and count give the same bytes.  Change the generator only together
with the committed file (and the shares above).
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import sys
from typing import Any, Callable, Sequence

SEED = 14  # issue 14, the `diff` command
COUNT = 3000

Day = datetime.date
ONE_DAY = datetime.timedelta(days=1)
FIRST_DAY = Day(2010, 1, 4)  # no exam attempt before
LAST_DAY = Day(2023, 12, 31)  # nor any dated fact after: the end of the corpus's history
CS_LAST = Day(2020, 3, 13)  # Step 2 CS was suspended in March 2020 and never came back
PATHWAYS_OPEN = Day(2020, 10, 1)
OET_OPEN = Day(2020, 6, 1)
STEP1_PASS_FAIL = Day(2022, 1, 26)  # Step 1 reports no score from here on
FEE_RISE = Day(2022, 1, 1)

# The sample World Directory (policies/reference/world-directory.sample.json), and schools absent from it.
CURRENT = [("F0000101", "Northbridge University Faculty of Medicine", "IN"),
           ("F0000404", "St. Brendan's College of Medicine", "IE")]
# (id, name, country, first and last graduation year in the ECFMG note)
LISTED = [("F0000101", "Northbridge University Faculty of Medicine", "IN", 1970, 9999),
          ("F0000404", "St. Brendan's College of Medicine", "IE", 2000, 9999),
          ("F0000202", "Coastal Medical College", "PH", 1985, 2015),
          ("F0000505", "Riverside College of Medicine", "NG", 1990, 2020)]
NO_NOTE = ("F0000303", "Altamira School of Medicine", "MX")
UNLISTED = [("F0000999", "Universidade do Planalto Faculdade de Medicina", "BR"),
            ("F0000707", "Indus Valley Medical College", "PK"),
            ("F0000808", "Delta Faculty of Medicine", "EG")]
NOT_IMG = [("U0000001", "Lakeshore School of Medicine", "US"),
           ("C0000001", "Prairie Faculty of Medicine", "CA")]

NAMES = {
    "IN": (["Asha", "Vikram", "Priya", "Rahul", "Ananya", "Arjun", "Meera", "Sanjay", "Divya", "Karthik"],
           ["Raman", "Mehta", "Iyer", "Sharma", "Reddy", "Nair", "Gupta", "Patel", "Menon", "Rao"]),
    "IE": (["Ciaran", "Aoife", "Niamh", "Sean", "Orla", "Declan", "Siobhan", "Cormac"],
           ["Doyle", "Murphy", "O'Brien", "Kelly", "Byrne", "Walsh", "Ryan", "O'Sullivan"]),
    "PH": (["Maria", "Jose", "Angelica", "Mark", "Kristine", "Paolo", "Rowena", "Carlo"],
           ["Santos", "Reyes", "Cruz", "Bautista", "Garcia", "Mendoza", "Villanueva", "Ramos"]),
    "NG": (["Amara", "Chinedu", "Ngozi", "Emeka", "Folake", "Tunde", "Ifeoma", "Segun"],
           ["Okafor", "Adeyemi", "Okonkwo", "Eze", "Balogun", "Nwosu", "Adebayo", "Obi"]),
    "MX": (["Jos\u00e9", "Mar\u00eda", "Alejandro", "Sof\u00eda", "Diego", "Valeria", "Luis", "Ximena"],
           ["Hern\u00e1ndez", "Garc\u00eda", "Mart\u00ednez", "L\u00f3pez", "Gonz\u00e1lez", "P\u00e9rez",
            "Ram\u00edrez", "Flores"]),
    "BR": (["Jo\u00e3o", "Ana", "Lucas", "Beatriz", "Rafael", "Camila"],
           ["Silva", "Santos", "Oliveira", "Souza", "Costa", "Ara\u00fajo"]),
    "PK": (["Ayesha", "Bilal", "Fatima", "Hamza", "Zainab", "Usman"],
           ["Khan", "Ahmed", "Malik", "Hussain", "Qureshi", "Chaudhry"]),
    "EG": (["Omar", "Nour", "Youssef", "Mariam", "Karim", "Salma"],
           ["Hassan", "Mahmoud", "Ibrahim", "Mostafa", "Said", "Farouk"]),
    "US": (["Emily", "Michael", "Jessica", "David", "Sarah", "James", "Ashley", "Daniel"],
           ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson"]),
    "CA": (["Olivia", "Liam", "Chlo\u00e9", "Noah", "Emma", "Ethan"],
           ["Tremblay", "Roy", "MacDonald", "Gagnon", "Campbell", "Wong"]),
}
OTHER_CITIZENSHIPS = ["US", "GB", "CA", "IN", "NG", "PK", "EG", "LB", "JO", "SA", "KE", "GH", "AU"]

# cohort, share of the records (the docstring's list, in its order)
COHORTS = [("seed_era", 0.22), ("cs_less", 0.18), ("repeater", 0.12), ("applicant_2022", 0.12),
           ("student", 0.10), ("paperwork", 0.06), ("not_img", 0.08), ("school_barred", 0.07),
           ("education_barred", 0.05)]


def iso(day: Day) -> str:
    return day.isoformat()


def add_years(day: Day, years: int) -> Day:
    """``day`` plus ``years``, 29 February becoming 28 February (as the policies' ``+ 7 years``)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class Draw:
    """The one source of randomness: ``random.Random(seed)``, called in a fixed order."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, options: Sequence[Any]) -> Any:
        return options[self.rng.randrange(len(options))]

    def weighted(self, pairs: Sequence[tuple[Any, float]]) -> Any:
        """One of the values, each as likely as its weight."""
        point = self.rng.random() * sum(weight for _, weight in pairs)
        for value, weight in pairs:
            point -= weight
            if point < 0:
                return value
        return pairs[-1][0]

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def day(self, low: Day, high: Day) -> Day:
        """From ``low`` to ``high``, both included (``low`` when ``high`` is earlier)."""
        return low + datetime.timedelta(days=self.rng.randint(0, max(0, (high - low).days)))

    def after(self, day: Day, low: int, high: int) -> Day:
        return day + datetime.timedelta(days=self.rng.randint(low, high))


# --- exam attempts ---------------------------------------------------------------------------------


def attempt(d: Draw, exam: str, day: Day, result: str) -> dict:
    made: dict = {"exam": exam, "date": iso(day), "result": result}
    if result == "incomplete":
        return made
    passed = result == "pass"
    if exam == "USMLE_STEP1" and day < STEP1_PASS_FAIL:
        made["score"] = d.integer(196, 262) if passed else d.integer(160, 193)
    elif exam == "USMLE_STEP2_CK":
        made["score"] = d.integer(210, 271) if passed else d.integer(172, 208)
    elif exam == "USMLE_STEP3":
        made["score"] = d.integer(200, 252) if passed else d.integer(170, 197)
    elif exam == "OET_MEDICINE":
        made["score"] = d.integer(350, 480) if passed else d.integer(250, 340)
    return made


def series(d: Draw, exam: str, start: Day, fails: int, passes: bool, gap: tuple[int, int] = (75, 190),
           incomplete: float = 0.1) -> tuple[list[dict], Day | None, Day]:
    """``fails`` attempts that did not pass, then a pass if ``passes``, from ``start`` on.

    Returns the attempts, the day of the pass (None without one) and the day of the last attempt.
    """
    made, day = [], start
    for i in range(fails):
        made.append(attempt(d, exam, day, "incomplete" if d.chance(incomplete) else "fail"))
        if i < fails - 1 or passes:
            day = d.after(day, *gap)
    if passes:
        made.append(attempt(d, exam, day, "pass"))
        return made, day, day
    return made, None, day


def series_ending(d: Draw, exam: str, last: Day, fails: int, gap: tuple[int, int] = (75, 170),
                  incomplete: float = 0.1) -> list[dict]:
    """``fails`` attempts without a pass, the last of them on ``last``."""
    days = [last]
    for _ in range(fails - 1):
        days.append(days[-1] - datetime.timedelta(days=d.integer(*gap)))
    return [attempt(d, exam, day, "incomplete" if d.chance(incomplete) else "fail") for day in reversed(days)]


def usual_fails(d: Draw) -> int:
    return d.weighted([(0, 75), (1, 18), (2, 7)])


def oet(d: Draw, earliest: Day) -> tuple[list[dict], Day | None]:
    """OET Medicine: passed, now and then after a failed sitting, from ``earliest`` on."""
    start = d.after(max(earliest, OET_OPEN), 0, 240)
    made, passed_on, _ = series(d, "OET_MEDICINE", start, d.weighted([(0, 80), (1, 15), (2, 5)]), True,
                                gap=(35, 120), incomplete=0)
    return made, passed_on


def pathway(d: Draw, status: str, met_on: Day | None = None) -> dict:
    made = {"id": f"pathway-{d.integer(1, 6)}", "status": status}
    if status == "met" and met_on is not None:
        made["met_on"] = iso(met_on)
    return made


def pathway_met_day(d: Draw, after: Day) -> Day:
    """A day a Pathway was met: from October 2020, a fifth of them before Step 2 CS was discontinued."""
    if after <= Day(2021, 1, 10) and d.chance(0.2):
        return d.day(max(after, PATHWAYS_OPEN), Day(2021, 1, 26))
    return d.after(max(after, PATHWAYS_OPEN), 10, 420)


def keep(attempts: list[dict]) -> list[dict]:
    """The attempts dated within the corpus's history, in date order (exam name on the same day)."""
    kept = [a for a in attempts if a["date"] <= iso(LAST_DAY)]
    return sorted(kept, key=lambda a: (a["date"], a["exam"]))


def career(d: Draw, start: Day, cs: bool = True) -> tuple[list[dict], dict | None, Day]:
    """A usual run of exams from ``start``: Step 1, Step 2 CK, then Step 2 CS while it was given
    (``cs``), or else OET Medicine and a Pathway.  Returns the attempts, the Pathway (or None) and
    the day the last requirement was met (perhaps after the corpus's history ends)."""
    made, step1, _ = series(d, "USMLE_STEP1", start, usual_fails(d), True)
    more, ck, _ = series(d, "USMLE_STEP2_CK", d.after(step1, 90, 450), usual_fails(d), True)
    made += more
    cs_fails = d.weighted([(0, 85), (1, 15)])
    cs_start = d.after(ck, 30, 300)
    if cs_start + datetime.timedelta(days=200 * cs_fails) > CS_LAST and cs:
        cs_start = d.day(max(step1, CS_LAST - datetime.timedelta(days=700)),
                         CS_LAST - datetime.timedelta(days=200 * cs_fails))
    if cs and cs_start >= start and cs_start + datetime.timedelta(days=200 * cs_fails) <= CS_LAST:
        more, cs_pass, _ = series(d, "USMLE_STEP2_CS", cs_start, cs_fails, True, gap=(60, 190))
        return made + more, None, max(ck, cs_pass)
    more, oet_pass = oet(d, d.after(ck, -300, 200))
    met = pathway_met_day(d, max(ck, oet_pass) - datetime.timedelta(days=d.integer(0, 200)))
    status = "met" if met <= LAST_DAY else "pending"
    return made + more, pathway(d, status, met), max(ck, oet_pass, met)


def step3(d: Draw, after: Day) -> list[dict]:
    """Step 3, which ECFMG Certification does not need, sat after it (now and then failed first)."""
    made, _, _ = series(d, "USMLE_STEP3", d.after(after, 120, 720), d.weighted([(0, 85), (1, 15)]), True)
    return made


# --- the parts of a record -------------------------------------------------------------------------


class Ids:
    """USMLE/ECFMG identification numbers, each used once."""

    def __init__(self, d: Draw):
        self.d, self.used = d, set()

    def next(self) -> str:
        while True:
            digits = f"{self.d.integer(10_000_000, 99_999_999)}"
            if digits not in self.used:
                self.used.add(digits)
                return f"{digits[0]}-{digits[1:4]}-{digits[4:7]}-{digits[7]}"


def person(d: Draw, ids: Ids, country: str, graduation_year: int, with_id: bool = True) -> dict:
    given, family = NAMES[country]
    made: dict = {}
    if with_id:
        made["usmle_id"] = ids.next()
    made["name"] = {"given": d.pick(given), "family": d.pick(family)}
    born = Day(graduation_year - d.integer(23, 30), 1, 1)
    made["date_of_birth"] = iso(d.day(born, Day(born.year, 12, 31)))
    gender = d.weighted([("female", 48), ("male", 48), ("nonbinary", 1), (None, 3)])
    if gender is not None:
        made["gender"] = gender
    citizenship = [country] if d.chance(0.85) else [d.pick(OTHER_CITIZENSHIPS)]
    if d.chance(0.05):
        extra = d.pick(OTHER_CITIZENSHIPS)
        if extra not in citizenship:
            citizenship.append(extra)
    made["citizenship"] = citizenship
    return made


def school(entry: tuple) -> dict:
    return {"world_directory_id": entry[0], "name": entry[1], "country": entry[2]}


def listed_school_for(d: Draw, graduation_year: int) -> tuple:
    """A listed school whose ECFMG note includes the graduation year."""
    options = [(s, w) for s, w in zip(LISTED, (45, 20, 15, 20)) if s[3] <= graduation_year <= s[4]]
    return d.weighted(options)


def credentials(d: Draw, verified_on: Day | None, status: str = "verified",
                transcript_on: Day | None = None) -> dict:
    """Diploma and transcript, verified (the transcript usually the same day or a little later)."""
    made = {}
    for key in ("diploma", "transcript"):
        entry: dict = {"status": status}
        day = verified_on if key == "diploma" else transcript_on or (
            verified_on and (verified_on if d.chance(0.6) else d.after(verified_on, 1, 30)))
        if day is not None and status != "not_submitted":
            entry["verified_on"] = iso(min(day, LAST_DAY))
        made[key] = entry
    return made


def graduate_education(d: Draw, graduation: Day, verified_on: Day | None, years: int | None = None,
                       diploma_received: bool = True) -> dict:
    return {"academic_years_completed": years if years is not None else d.weighted([(4, 25), (5, 40), (6, 35)]),
            "graduation_date": iso(graduation), "diploma_received": diploma_received,
            "credentials": credentials(d, verified_on)}


def fee_for(submitted: Day) -> int:
    """The fee in force on the day an application was submitted."""
    return 160 if submitted >= FEE_RISE else 75


def application(d: Draw, submitted: Day, graduation: Day | None, fee: float | int | None = None,
                identity: bool = True, purpose: bool = True) -> dict:
    made: dict = {"submitted_on": iso(submitted)}
    made["submitted_as"] = "graduate" if graduation is not None and graduation <= submitted else "student"
    made["fee_paid_usd"] = fee_for(submitted) if fee is None else fee
    made["identity_confirmed"] = identity
    made["purpose_acknowledged"] = purpose
    return made


def graduation_day(d: Draw, year: int) -> Day:
    """Graduation: usually May to July, now and then another month."""
    if d.chance(0.8):
        return d.day(Day(year, 5, 1), Day(year, 7, 31))
    return d.day(Day(year, 1, 1), Day(year, 12, 31))


def assemble(cohort: str, who: dict, status: str, medical_school: dict, education: dict,
             app: dict | None = None, exams: list[dict] | None = None, path: dict | None = None,
             certificate: dict | None = None) -> dict:
    """The record, its keys in the schema's order."""
    record = dict(who)
    record["status"] = status
    record["medical_school"] = medical_school
    record["education"] = education
    if app is not None:
        record["application"] = app
    if exams is not None:
        record["exams"] = keep(exams)
    if path is not None:
        record["pathway"] = path
    if certificate is not None:
        record["certificate"] = certificate
    record["notes"] = {"cohort": cohort}
    return record


def certificate_number(d: Draw) -> str:
    return f"0-{d.integer(100, 999)}-{d.integer(100, 999)}-{d.integer(0, 9)}"


# --- the cohorts ------------------------------------------------------------------------------------


def seed_era(d: Draw, ids: Ids) -> dict:
    year = d.integer(2008, 2019)
    graduation = graduation_day(d, year)
    entry = listed_school_for(d, year)
    who = person(d, ids, entry[2], year)
    start = min(max(d.after(graduation, -700, 500), FIRST_DAY), Day(2017, 6, 30))
    if d.chance(0.1):  # Step 2 CS passed more than seven years after Step 1: that pass does not count with it
        start = d.day(FIRST_DAY, Day(2012, 6, 30))
        exams, step1, _ = series(d, "USMLE_STEP1", start, usual_fails(d), True)
        more, ck, _ = series(d, "USMLE_STEP2_CK", d.after(step1, 300, 1500), 0, True)
        exams += more
        cs_pass = d.day(max(add_years(step1, 7) + ONE_DAY, Day(2017, 1, 1)), CS_LAST)
        exams.append(attempt(d, "USMLE_STEP2_CS", cs_pass, "pass"))
        path = None
        done = max(ck, cs_pass)
        if d.chance(0.5):
            more, oet_pass = oet(d, d.after(cs_pass, 0, 300))
            exams += more
            met = pathway_met_day(d, oet_pass)
            path = pathway(d, "met" if met <= LAST_DAY else "pending", met)
            done = max(done, met)
    else:
        exams, path, done = career(d, start)
    submitted = min(start, graduation) - datetime.timedelta(days=d.integer(30, 330))
    app = application(d, submitted, graduation)
    verified = d.after(max(graduation, submitted), 40, 200)
    eligible_on = max(done, graduation, verified + datetime.timedelta(days=30))
    if d.chance(0.25):
        exams += step3(d, eligible_on)
    certificate = None
    if d.chance(0.4) and eligible_on < LAST_DAY - datetime.timedelta(days=120):
        certificate = {"number": certificate_number(d), "issued_on": iso(d.after(eligible_on, 14, 100))}
    return assemble("seed_era", who, "graduate", school(entry), graduate_education(d, graduation, verified),
                    app=app, exams=exams, path=path, certificate=certificate)


def cs_less(d: Draw, ids: Ids) -> dict:
    year = d.integer(2015, 2022)
    graduation = graduation_day(d, year)
    entry = listed_school_for(d, year)
    who = person(d, ids, entry[2], year)
    cs_fails = d.weighted([(0, 45), (1, 14), (2, 10), (3, 6), (4, 6), (5, 6), (6, 13)])
    if cs_fails >= 4:  # they sat Step 2 CS from 2016: Step 1 and Step 2 CK both passed before July 2021
        start = d.day(Day(2015, 6, 1), Day(2018, 6, 30))
    else:
        start = min(max(d.after(graduation, -600, 300), Day(2016, 1, 1)), Day(2021, 6, 30))
    exams, step1, _ = series(d, "USMLE_STEP1", start, d.weighted([(0, 80), (1, 20)]), True)
    more, ck, _ = series(d, "USMLE_STEP2_CK", d.after(step1, 90, 420), d.weighted([(0, 80), (1, 20)]), True)
    exams += more
    if cs_fails:
        exams += series_ending(d, "USMLE_STEP2_CS", d.day(CS_LAST - datetime.timedelta(days=400), CS_LAST),
                               cs_fails, gap=(60, 150), incomplete=0.05)
    path = None
    done = ck
    route = d.weighted([("met", 68), ("pending", 14), ("not_met", 8), ("none", 5), ("oet_failed", 5)])
    if route == "oet_failed":
        exams += series_ending(d, "OET_MEDICINE", d.day(Day(2021, 1, 1), Day(2023, 6, 30)), d.integer(1, 2),
                               gap=(40, 120), incomplete=0)
        path = pathway(d, "pending")
    elif route != "none":
        more, oet_pass = oet(d, d.after(ck, -400, 150))
        exams += more
        if route == "met":
            met = pathway_met_day(d, max(oet_pass, ck) - datetime.timedelta(days=d.integer(0, 240)))
            path = pathway(d, "met" if met <= LAST_DAY else "pending", met)
            done = max(done, oet_pass, met)
        else:
            path = pathway(d, route)
    submitted = d.day(Day(2019, 1, 1), Day(2022, 12, 31))
    verified = d.after(max(graduation, submitted), 40, 240)
    return assemble("cs_less", who, "graduate", school(entry), graduate_education(d, graduation, verified),
                    app=application(d, submitted, graduation, fee=d.weighted([(fee_for(submitted), 95),
                                                                               (75, 5)])),
                    exams=exams, path=path)


def repeater(d: Draw, ids: Ids) -> dict:
    year = d.integer(2012, 2019)
    graduation = graduation_day(d, year)
    entry = listed_school_for(d, year)
    who = person(d, ids, entry[2], year)
    stuck = d.weighted([("USMLE_STEP1", 50), ("USMLE_STEP2_CK", 40), ("USMLE_STEP2_CS", 10)])
    plan = d.weighted([(3, 15), (4, 35), (5, 30), (6, 10), ("recovered", 10)])
    exams: list[dict] = []
    before = Day(2021, 6, 30)
    last = d.day(Day(2019, 6, 1), before)
    first_day = last - datetime.timedelta(days=900)
    if stuck != "USMLE_STEP1":  # Step 1 passed first
        more, _, _ = series(d, "USMLE_STEP1", d.day(Day(2014, 1, 1), first_day - datetime.timedelta(days=200)),
                            d.weighted([(0, 70), (1, 30)]), True)
        exams += more
    if stuck == "USMLE_STEP2_CS":  # four or five Step 2 CS failures, Step 2 CK still to pass
        exams += series_ending(d, "USMLE_STEP2_CS", d.day(Day(2019, 1, 1), CS_LAST), d.integer(4, 5),
                               gap=(60, 150))
        exams += series_ending(d, "USMLE_STEP2_CK", d.day(Day(2019, 1, 1), Day(2021, 6, 30)), d.integer(1, 2))
    elif plan == "recovered":  # four failed attempts, then a pass on the fifth
        made = series_ending(d, stuck, d.day(Day(2018, 6, 1), Day(2020, 12, 31)), 4)
        exams += made + [attempt(d, stuck, d.after(Day.fromisoformat(made[-1]["date"]), 80, 180), "pass")]
    else:
        exams += series_ending(d, stuck, last, plan)
        if plan == 3 and d.chance(0.5):  # a fourth attempt from July 2021, under the new limit
            exams.append(attempt(d, stuck, d.day(Day(2021, 8, 1), Day(2022, 5, 31)), "fail"))
    if stuck == "USMLE_STEP1" and d.chance(0.5):
        earliest = Day.fromisoformat(exams[0]["date"])
        more, _, _ = series(d, "USMLE_STEP2_CK", d.after(earliest, 100, 500), 0, True)
        exams += more
    first = min(Day.fromisoformat(a["date"]) for a in exams)
    submitted = min(first, graduation) - datetime.timedelta(days=d.integer(30, 330))
    verified = d.after(max(graduation, submitted), 40, 200)
    return assemble("repeater", who, "graduate", school(entry), graduate_education(d, graduation, verified),
                    app=application(d, submitted, graduation), exams=exams)


def applicant_2022(d: Draw, ids: Ids) -> dict:
    year = d.integer(2017, 2021)
    graduation = min(graduation_day(d, year), Day(2021, 10, 31))
    entry = listed_school_for(d, year)
    who = person(d, ids, entry[2], year)
    start = d.day(Day(2016, 6, 1), Day(2019, 6, 30))
    exams, step1, _ = series(d, "USMLE_STEP1", start, d.weighted([(0, 85), (1, 15)]), True)
    more, ck, _ = series(d, "USMLE_STEP2_CK", d.after(step1, 90, 360), 0, True)
    exams += more  # Step 2 CK passed by January 2021
    path = None
    if ck < CS_LAST - datetime.timedelta(days=60) and d.chance(0.35):
        exams.append(attempt(d, "USMLE_STEP2_CS", d.day(ck, CS_LAST), "pass"))
    else:
        oet_start = d.day(OET_OPEN, Day(2021, 6, 30))
        more, oet_pass, _ = series(d, "OET_MEDICINE", oet_start, d.weighted([(0, 85), (1, 15)]), True,
                                   gap=(35, 90), incomplete=0)
        exams += more
        path = pathway(d, "met", d.day(max(oet_pass, Day(2021, 2, 1)), Day(2021, 12, 20)))
    when = d.weighted([("new_year", 15), ("early_2022", 50), ("later", 15), ("late_2021", 20)])
    submitted = {"new_year": FEE_RISE,
                 "early_2022": d.day(Day(2022, 1, 2), Day(2022, 5, 31)),
                 "later": d.day(Day(2022, 6, 1), Day(2023, 6, 30)),
                 "late_2021": d.day(Day(2021, 7, 1), Day(2021, 12, 31))}[when]
    if submitted >= FEE_RISE:
        fee = d.weighted([(160, 50), (75, 30), (159.99, 20)])
    else:
        fee = d.weighted([(75, 85), (160, 15)])
    verified = d.day(max(graduation, Day(2021, 1, 1)) + ONE_DAY, Day(2021, 12, 30))
    return assemble("applicant_2022", who, "graduate", school(entry),
                    graduate_education(d, graduation, verified),
                    app=application(d, submitted, graduation, fee=fee), exams=exams, path=path)


def student(d: Draw, ids: Ids) -> dict:
    entry = d.weighted([(CURRENT[0], 65), (CURRENT[1], 35)])
    expected = d.integer(2022, 2026)
    who = person(d, ids, entry[2], expected)
    years = d.weighted([(2, 10), (3, 25), (4, 40), (5, 25)])
    education = {"academic_years_completed": years, "diploma_received": False,
                 "credentials": {"diploma": {"status": d.weighted([("not_submitted", 60), ("pending", 40)])},
                                 "transcript": {"status": "pending"}}}
    if d.chance(0.3):
        education["credentials"]["transcript"] = {"status": "verified",
                                                  "verified_on": iso(d.day(Day(2019, 6, 1), Day(2023, 6, 30)))}
    submitted = d.day(Day(2018, 6, 1), Day(2023, 3, 31))
    exams: list[dict] = []
    plan = d.weighted([("none", 35), ("step1", 35), ("both", 13), ("failing", 17)])
    start = d.after(submitted, 60, 400)
    if plan == "failing":  # four or five Step 1 failures, the fourth before July 2021
        exams = series_ending(d, "USMLE_STEP1", d.day(Day(2020, 6, 1), Day(2021, 6, 30)), d.integer(4, 5))
        submitted = min(submitted, Day.fromisoformat(exams[0]["date"]) - datetime.timedelta(days=60))
    elif plan != "none":
        exams, step1, _ = series(d, "USMLE_STEP1", start, d.weighted([(0, 80), (1, 15), (2, 5)]), True)
        if plan == "both":
            more, _, _ = series(d, "USMLE_STEP2_CK", d.after(step1, 90, 400), d.weighted([(0, 85), (1, 15)]), True)
            exams += more
    app = application(d, submitted, None)
    return assemble("student", who, "student", school(entry), education, app=app,
                    exams=exams if exams or d.chance(0.5) else None)


def paperwork(d: Draw, ids: Ids) -> dict:
    gap = d.weighted([("no_application", 18), ("identity", 12), ("purpose", 8), ("fee_short", 12),
                      ("credential_pending", 12), ("verified_late", 25), ("diploma_not_received", 6),
                      ("no_id", 7)])
    year = d.integer(2012, 2021)
    graduation = graduation_day(d, year)
    entry = listed_school_for(d, year)
    who = person(d, ids, entry[2], year, with_id=gap != "no_id")
    start = min(max(d.after(graduation, -600, 400), FIRST_DAY), Day(2021, 6, 30))
    exams, path, done = career(d, start)
    submitted = d.day(Day(2019, 1, 1), Day(2022, 6, 30))
    verified = d.after(max(graduation, submitted), 30, 200)
    if gap == "verified_late":
        verified = d.day(Day(2020, 7, 1), Day(2023, 6, 30))
    education = graduate_education(d, graduation, verified, diploma_received=gap != "diploma_not_received")
    if gap == "credential_pending":
        key = d.pick(["diploma", "transcript"])
        education["credentials"][key] = {"status": d.pick(["pending", "not_submitted"])}
    app = None
    if gap != "no_application":
        fee = d.pick([0, 50, 74.99]) if gap == "fee_short" else None
        app = application(d, submitted, graduation, fee=fee, identity=gap != "identity",
                          purpose=gap != "purpose")
        if gap == "fee_short" and d.chance(0.25):
            del app["fee_paid_usd"]
    if gap == "no_id":
        exams, path = [], None
    return assemble("paperwork", who, "graduate", school(entry), education, app=app,
                    exams=exams if exams else None, path=path)


def not_img(d: Draw, ids: Ids) -> dict:
    entry = d.weighted([(NOT_IMG[0], 75), (NOT_IMG[1], 25)])
    is_student = d.chance(0.2)
    year = d.integer(2012, 2023) if not is_student else d.integer(2023, 2026)
    graduation = graduation_day(d, year)
    who = person(d, ids, entry[2], year)
    start = min(max(d.after(graduation, -900, -300), FIRST_DAY), Day(2023, 6, 30))
    exams, _, _ = career(d, start)
    exams = [a for a in exams if a["exam"].startswith("USMLE")]
    if is_student:
        education = {"academic_years_completed": d.integer(2, 4), "diploma_received": False}
        status = "student"
    else:
        education = {"academic_years_completed": 4, "graduation_date": iso(graduation), "diploma_received": True}
        status = "graduate"
    app = None
    if d.chance(0.15):  # applied anyway
        app = application(d, d.day(Day(2019, 1, 1), Day(2023, 6, 30)), None if is_student else graduation)
    return assemble("not_img", who, status, school(entry), education, app=app, exams=exams)


def school_barred(d: Draw, ids: Ids) -> dict:
    kind = d.weighted([("no_note", 30), ("unlisted", 30), ("ph_after_2015", 15), ("ng_after_2020", 10),
                       ("student_not_current", 15)])
    if kind == "no_note":
        entry, year = NO_NOTE, d.integer(2010, 2022)
    elif kind == "unlisted":
        entry, year = d.pick(UNLISTED), d.integer(2010, 2022)
    elif kind == "ph_after_2015":
        entry, year = LISTED[2][:3], d.integer(2016, 2021)
    elif kind == "ng_after_2020":
        entry, year = LISTED[3][:3], d.integer(2021, 2022)
    else:
        entry, year = d.pick([LISTED[2][:3], LISTED[3][:3]]), d.integer(2022, 2025)
    graduation = graduation_day(d, year)
    who = person(d, ids, entry[2], year)
    start = min(max(d.after(graduation, -600, 300), FIRST_DAY), Day(2022, 6, 30))
    exams, path, _ = career(d, start)
    submitted = d.day(Day(2019, 1, 1), Day(2023, 6, 30))
    if kind == "student_not_current":
        education = {"academic_years_completed": d.integer(3, 5), "diploma_received": False,
                     "credentials": {"diploma": {"status": "not_submitted"}, "transcript": {"status": "pending"}}}
        return assemble("school_barred", who, "student", school(entry), education,
                        app=application(d, submitted, None), exams=exams[:2], path=None)
    verified = d.after(max(graduation, submitted), 30, 200)
    return assemble("school_barred", who, "graduate", school(entry), graduate_education(d, graduation, verified),
                    app=application(d, submitted, graduation), exams=exams, path=path)


def education_barred(d: Draw, ids: Ids) -> dict:
    kind = d.weighted([("three_years", 40), ("rejected_dated", 40), ("rejected_undated", 20)])
    year = d.integer(2012, 2021)
    graduation = graduation_day(d, year)
    entry = listed_school_for(d, year)
    who = person(d, ids, entry[2], year)
    start = min(max(d.after(graduation, -600, 300), FIRST_DAY), Day(2021, 6, 30))
    exams, path, _ = career(d, start)
    submitted = d.day(Day(2016, 1, 1), Day(2022, 6, 30))
    verified = d.after(max(graduation, submitted), 30, 200)
    education = graduate_education(d, graduation, verified, years=3 if kind == "three_years" else None)
    if kind != "three_years":
        key = d.pick(["diploma", "transcript"])
        rejected: dict = {"status": "rejected"}
        if kind == "rejected_dated":
            rejected["verified_on"] = iso(d.day(Day(2018, 1, 1), Day(2023, 6, 30)))
        education["credentials"][key] = rejected
    return assemble("education_barred", who, "graduate", school(entry), education,
                    app=application(d, submitted, graduation), exams=exams, path=path)


MAKERS: dict[str, Callable[[Draw, Ids], dict]] = {
    "seed_era": seed_era, "cs_less": cs_less, "repeater": repeater, "applicant_2022": applicant_2022,
    "student": student, "paperwork": paperwork, "not_img": not_img, "school_barred": school_barred,
    "education_barred": education_barred}


def cohort_sizes(count: int) -> list[tuple[str, int]]:
    """Each cohort's share of ``count``, rounded so that they add up (largest remainders first)."""
    exact = [(name, share * count) for name, share in COHORTS]
    sizes = {name: int(value) for name, value in exact}
    by_remainder = sorted(exact, key=lambda item: -(item[1] - int(item[1])))
    for name, _ in by_remainder[:count - sum(sizes.values())]:
        sizes[name] += 1
    return [(name, sizes[name]) for name, _ in COHORTS]


def records(seed: int = SEED, count: int = COUNT) -> list[dict]:
    d = Draw(seed)
    ids = Ids(d)
    order = [name for name, size in cohort_sizes(count) for _ in range(size)]
    d.rng.shuffle(order)
    return [MAKERS[name](d, ids) for name in order]


def lines(seed: int = SEED, count: int = COUNT) -> str:
    return "".join(json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n"
                   for record in records(seed, count))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("output", nargs="?", help="file to write (default: standard output)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default: {SEED})")
    parser.add_argument("--count", type=int, default=COUNT, help=f"number of records (default: {COUNT})")
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must be 0 or more")
    data = lines(args.seed, args.count).encode("ascii")
    if args.output is None or args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        with open(args.output, "wb") as file:
            file.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
