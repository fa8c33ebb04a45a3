"""The nullness pass (``evaluator/compiler/nullness.py``): a table made before any code is written,
whose answers depend on the policy alone, not on the order its parts are written in."""

from __future__ import annotations

import dataclasses

import pytest
from test_language import AS_OF, RECORD, load, policy_text

from ecfmg_policy.evaluator.compiler.nullness import NullTable, null_table

# `spans` reads the `start` of objects `windows` makes; `windows` reads exam dates, never null.
DEFINITIONS = {
    "windows": "[{start: e.date, end: e.date + 7 years} for e in applicant.exams]",
    "spans": "[{first: w.start, last: w.end} for w in windows]",
    "firsts": "[s.first for s in spans]",
    "maybe": "first([w for w in windows if w.start > as_of])",
    "shift(d)": "d + 1 days",
}


def table_of(tmp_path, definitions: dict) -> NullTable:
    checked = load(tmp_path, policy_text({"v": "count(firsts)"}, definitions)).evaluator(AS_OF).compiled.checked
    return null_table(checked.policy, checked.definition_order)


def test_facts_settle_across_literal_types_and_definitions(tmp_path):
    table = table_of(tmp_path, DEFINITIONS)
    assert {"windows", "spans", "firsts"} <= table.never_null
    assert "maybe" not in table.never_null  # first() of a list that may be empty
    assert "shift" not in table.never_null  # its parameter may be null
    assert {"windows", "spans", "firsts"} <= table.items_never_null  # `firsts` needs the facts of two literals
    fields = {frozenset(kind.names()): known for kind, known in table.object_fields.items()}
    assert fields == {frozenset({"start", "end"}): {"start", "end"}, frozenset({"first", "last"}): {"first", "last"}}


def test_the_table_does_not_depend_on_the_order_definitions_are_written_in(tmp_path):
    (tmp_path / "forward").mkdir()
    (tmp_path / "backward").mkdir()
    forward = table_of(tmp_path / "forward", DEFINITIONS)
    backward = table_of(tmp_path / "backward", dict(reversed(DEFINITIONS.items())))
    assert forward == backward


def test_the_table_is_immutable(tmp_path):
    table = table_of(tmp_path, DEFINITIONS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.never_null = frozenset()
    assert isinstance(table.never_null, frozenset) and isinstance(table.items_never_null, frozenset)


def test_a_field_null_in_one_literal_of_its_type_is_not_assumed(tmp_path):
    """Two literals of one shape, one with a null field: readers of that field stay null-safe."""
    definitions = {"a": "[{x: 1} for e in applicant.exams]",
                   "b": "[{x: applicant.application.fee_paid_usd} for e in applicant.exams]",
                   "firsts": "[o.x for o in b]"}
    checked = load(tmp_path, policy_text({"v": "firsts", "w": "[o.x for o in a]"}, definitions)).evaluator(AS_OF)
    table = null_table(checked.compiled.checked.policy, checked.compiled.checked.definition_order)
    assert all("x" not in known for known in table.object_fields.values())
    assert "firsts" not in table.items_never_null
    application = {k: v for k, v in RECORD["application"].items() if k != "fee_paid_usd"}
    outputs = load(tmp_path, policy_text({"v": "firsts", "w": "[o.x for o in a]"}, definitions)).check(
        dict(RECORD, application=application), AS_OF).outputs
    assert outputs == {"v": [None] * len(RECORD["exams"]), "w": [1] * len(RECORD["exams"])}
