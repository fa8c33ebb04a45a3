"""The built-in functions: one table (``evaluator/language/builtins.py``), and every stage reading it.

The guide's §8.8 table must be the table's; each function gives what the guide
says, through the compiled code (fast paths included) and through the reference
interpreter alike; the checker refuses what the row says it refuses; and a
function's never-null fact is what lets the code writer use plain Python.
"""

from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path

import pytest
from test_language import RECORD, load, policy_text, problems, value_of

from ecfmg_policy.evaluator.language.builtins import BUILTINS, guide_table
from ecfmg_policy.evaluator.evaluation.interpreter import Interpreter
from ecfmg_policy.evaluator.records.records import convert_dates

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "policy-authors-guide.md"
AS_OF = datetime.date(2020, 6, 1)


def test_the_guides_table_of_functions_is_the_registrys():
    guide = GUIDE.read_text("utf-8")
    table = guide_table()
    assert table in guide, ("docs/policy-authors-guide.md §8.8 differs from evaluator/language/builtins.py; write the "
                            "table `python -c 'from ecfmg_policy.evaluator.language.builtins import guide_table; "
                            "print(guide_table())'` prints")
    section = guide[guide.index("### 8.8 Built-in functions"):guide.index("### 8.9")]
    named = {line.split("`")[1].split("(")[0] for line in section.splitlines() if line.startswith("| `")}
    assert named >= set(BUILTINS)


def test_every_row_is_complete():
    for name, row in BUILTINS.items():
        assert row.name == name and callable(row.run)
        assert row.fewest >= 1 and (row.most is None or row.most >= row.fewest)
        assert row.signature.startswith(f"`{name}(") and row.doc and row.nulls


# Each function on values from the guide's own examples and its null and empty cases.
CASES = [
    ("count([1, 2, null])", 3), ("count(null)", 0),
    ("min(1, 2, null)", 1), ("min([])", None), ("max(2020-01-01, 2021-01-01)", "2021-01-01"),
    ("max([3, null, 5])", 5),
    ("sum([1, null, 2])", 3), ("sum([])", 0),
    ("all([])", True), ("all([true, null])", False), ("any([])", False), ("any([false, true])", True),
    ("none([])", True), ("none([false])", True),
    ("first([])", None), ("first([4, 5])", 4), ("first(null)", None),
    ('join(["a", "b"], "-")', "a-b"), ("join([])", ""), ('join(["a", null, "b"])', "a, b"),
    ("coalesce(null, 3)", 3), ("coalesce(null, null)", None),
    ("sort([3, null, 1])", [1, 3]), ("sort(null)", []),
    ("earliest_from(sort([2019-05-02, 2016-03-10]), 2017-01-01)", "2019-05-02"),
    ("earliest_from([2016-03-10], null)", None), ("earliest_from([2016-03-10], 2017-01-01)", None),
    ("year(2020-02-29)", 2020), ("month(2020-02-29)", 2), ("day(2020-02-29)", 29), ("year(null)", None),
    # the same functions where the code writer takes a fast path: typed lists of the record
    ("count(applicant.exams)", len(RECORD["exams"])),
    ("min(e.date for e in applicant.exams)", min(e["date"] for e in RECORD["exams"])),
    ("max([e.date for e in applicant.exams])", max(e["date"] for e in RECORD["exams"])),
    ("sort(e.date for e in applicant.exams)", sorted(e["date"] for e in RECORD["exams"])),
    ("any(e.result == 'fail' for e in applicant.exams)", any(e["result"] == "fail" for e in RECORD["exams"])),
    ("none(e.result == 'fail' for e in applicant.exams)", not any(e["result"] == "fail" for e in RECORD["exams"])),
    ("all([true, 1 > 0])", True),
    ('join([applicant.name.given, applicant.name.family], " ")',
     f"{RECORD['name']['given']} {RECORD['name']['family']}"),
    ("join(e.exam for e in applicant.exams)", ", ".join(e["exam"] for e in RECORD["exams"])),
    ("coalesce(applicant.education.graduation_date, 2000-01-01)",
     RECORD["education"].get("graduation_date") or "2000-01-01"),
]


def plain(value):
    """A value as JSON shows it (dates as YYYY-MM-DD)."""
    return json.loads(json.dumps(value, default=str))


@pytest.mark.parametrize("expression, expected", CASES)
def test_each_function_gives_what_the_guide_says_compiled_and_interpreted(tmp_path, expression, expected):
    assert plain(value_of(tmp_path, expression)) == expected
    engine = load(tmp_path, policy_text({"value": expression}))
    checked = engine.evaluator(AS_OF).compiled.checked
    interpreted = Interpreter(checked, engine.data).evaluate(convert_dates("applicant", copy.deepcopy(RECORD)), AS_OF)
    assert plain(interpreted.outputs["value"]) == expected


def test_every_function_is_tried():
    tried = {expression.split("(")[0] for expression, _ in CASES}
    assert tried == set(BUILTINS)


@pytest.mark.parametrize("expression, message", [
    ("count(1)", "`count` needs a list, not a number"),
    ("first('x')", "`first` needs a list, not a string"),
    ("year(1)", "`year` needs a date, not a number"),
    ("day('2020-01-01')", "`day` needs a date, not a string"),
    ("sort([true])", "`sort` needs a list of numbers, dates or text, not of booleans"),
    ("earliest_from([2020-01-01], 3)", "`earliest_from` compares dates with a number; they cannot be ordered together"),
    ("count()", "`count` takes 1 argument(s), got 0"),
    ("join([], ',', 1)", "`join` takes 1 to 2 argument(s), got 3"),
    ("earliest_from([1])", "`earliest_from` takes 2 argument(s), got 1"),
    ("min()", "`min` takes at least 1 argument(s), got 0"),
    ("cont([1])", "did you mean `count`?"),
])
def test_the_checker_refuses_what_a_row_refuses(tmp_path, expression, message):
    found = problems(tmp_path, policy_text({"v": expression}))
    assert any(message in m for m in found), found


def test_the_checker_types_a_call_by_its_row(tmp_path):
    # count gives a number: adding text to it is refused; join gives text, compared with a number is said
    assert any("cannot add number and string" in m for m in problems(tmp_path, policy_text({"v": "count([]) + 'x'"})))
    assert any("comparing string with number is always false" in m
               for m in problems(tmp_path, policy_text({"v": "join([]) == 1"})))
    # earliest_from of dates is a date: a date compared with a number is refused
    assert any("cannot compare date with number" in m
               for m in problems(tmp_path, policy_text({"v": "earliest_from([2020-01-01], 2019-01-01) > 3"})))


def test_a_never_null_result_is_compared_with_plain_python(tmp_path):
    """count never gives null (its row says so): `count(...) > 1` is Python's `>`; first can, so it is guarded."""
    engine = load(tmp_path, policy_text({"counted": "count(applicant.exams) > 1",
                                         "firstly": "first(applicant.exams).date > 2000-01-01"}))
    code = engine.evaluator(AS_OF).compiled.source_code
    assert "len(" in code and " > 1)" in code
    assert "gt(" in code or "is not None and" in code
    assert engine.check(RECORD, AS_OF).outputs == {"counted": len(RECORD["exams"]) > 1, "firstly": True}
