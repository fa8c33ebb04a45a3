"""The bundled policies, rewritten with the 0.2 policy format, decide exactly as before.

``tests/baseline-policies/`` keeps the four version files as they stood before
the rewrite (a parameter, two helper parameters and a definition for the 2022
fee; whole rules copied to change a title or a message; ``blocked_when:
"true"``).  The bundled policies say the same things with dated parameters,
rule overrides by field, ``final: true`` and titled definitions.  A rewrite of
the syntax must not move a single answer: every generated applicant, under
every version (forced, and in force on its own date), and every record of the
case corpus gets the same decision, the same outcome and message for every
rule, and the same outputs from both.
"""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

import pytest

from ecfmg_policy.api import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic import make_records  # noqa: E402

BEFORE = Engine.load(ROOT / "tests" / "baseline-policies")
AFTER = Engine.load()
VERSIONS = ("2004.1", "2021.1", "2021.2", "2022.1")


def _answer(result) -> tuple:
    return (result.decision, tuple(result.outcomes), tuple(result.messages or ()), result.outputs,
            result.policy.policy.version if result.policy else None)


def _same(record, as_of: datetime.date, version: str | None) -> None:
    before = BEFORE.check(record, as_of, version)
    after = AFTER.check(record, as_of, version)
    assert _answer(after) == _answer(before), (as_of, version, record)


def _fee_edges() -> list[tuple[dict, datetime.date]]:
    """Applications submitted on each side of the 2022 fee increase, paid 75, 159.99 or 160,
    judged on the day of the increase and later: the boundary the dated fee moved."""
    base, _ = make_records(1, seed=12)[0]
    out = []
    for submitted in ("2003-12-31", "2004-06-13", "2004-06-14", "2021-12-31", "2022-01-01", "2022-01-02"):
        for paid in (75, 159.99, 160):
            for as_of in ("2021-12-31", "2022-01-01", "2023-05-01"):
                record = dict(base, application={"submitted_on": submitted, "submitted_as": "graduate",
                                                 "fee_paid_usd": paid, "identity_confirmed": True,
                                                 "purpose_acknowledged": True})
                out.append((record, datetime.date.fromisoformat(as_of)))
    return out


@pytest.mark.parametrize("version", (None,) + VERSIONS)
def test_generated_applicants_get_the_same_answers(version):
    for record, as_of in make_records(4000, seed=2026):
        if version is not None and as_of < datetime.date(2004, 6, 14):
            continue
        _same(record, as_of, version)
        if version is not None:  # the later versions on days after they take effect, too
            _same(record, as_of.replace(year=min(as_of.year + 7, 2030)) if as_of.month != 2 or as_of.day != 29
                  else as_of + datetime.timedelta(days=7 * 365), version)


def test_the_fee_increase_boundary_gets_the_same_answers():
    for record, as_of in _fee_edges():
        for version in (None,) + VERSIONS:
            _same(record, as_of, version)


def test_the_case_corpus_records_get_the_same_answers():
    """``cases.jsonl``: the record, date and forced version of each case as the corpus wrote
    it before the rewrite (the corpus itself now builds its records from fixtures)."""
    lines = (ROOT / "tests" / "baseline-policies" / "cases.jsonl").read_text().splitlines()
    assert len(lines) == 110
    for line in lines:
        case = json.loads(line)
        as_of = datetime.date.fromisoformat(case["as_of"])
        for version in (case.get("policy_version"),) + VERSIONS:
            _same(case["record"], as_of, version)
