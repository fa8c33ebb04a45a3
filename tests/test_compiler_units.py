"""Unit tests of the stages between a loaded policy and its Python, each module on its own:
the checker's typed tree, the cost bound, the code writer's frame, and the code it writes
for single expressions (what makes the compiled policy cost about what hand-written code does)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest
from test_language import AS_OF, load, policy_text

from ecfmg_policy.errors import PolicyError, Position
from ecfmg_policy.evaluator.checker.checker import CheckedPolicy, check_policy
from ecfmg_policy.evaluator.checker.cost import RECORD_STEPS, bound_policy
from ecfmg_policy.evaluator.compiler.compiler import _Generator
from ecfmg_policy.evaluator.compiler.frame import Frame, definition_frame
from ecfmg_policy.evaluator.compiler.nullness import null_table
from ecfmg_policy.evaluator.language import nodes as n
from ecfmg_policy.evaluator.language import types as t
from ecfmg_policy.evaluator.language.parser import parse_expression


def checked_of(tmp_path, outputs: dict[str, str], definitions: dict[str, str] | None = None) -> CheckedPolicy:
    return load(tmp_path, policy_text(outputs, definitions)).evaluator(AS_OF).compiled.checked


# --- checker.checker: the tree it returns carries what it found ---------------------------------

def test_the_checker_returns_the_policy_with_every_node_typed(tmp_path):
    checked = checked_of(tmp_path, {"v": "count(applicant.exams) + 1"})
    tree = checked.policy.outputs[0].value.tree
    assert isinstance(tree, n.Binary) and tree.type == t.NUMBER
    call = tree.left
    assert call.type == t.NUMBER and isinstance(call.args[0].type, t.ListOf)
    assert all(node.type is not None for node in n.walk(tree))


def test_typing_does_not_change_what_a_node_is(tmp_path):
    """Types and charged flags take no part in equality: versions compare logic by trees."""
    checked = checked_of(tmp_path, {"v": "applicant.usmle_id"})
    typed = checked.policy.outputs[0].value.tree
    bare = n.Attribute(typed.start, typed.end, n.Name(typed.target.start, typed.target.end, "applicant"), "usmle_id")
    assert typed == bare and typed.type is not None and bare.type is None
    with pytest.raises(FrozenInstanceError):
        typed.type = None


def test_check_policy_refuses_what_it_cannot_type(tmp_path):
    policy = checked_of(tmp_path, {"v": "1"}).policy
    bad = parse_expression("as_of > 5", lambda offset: Position("x.yaml", 1, offset + 1))
    broken = policy.with_expressions(lambda e: bad if e is policy.outputs[0].value else e)
    with pytest.raises(PolicyError, match="cannot compare date with number"):
        check_policy(broken)


# --- checker.cost: a bound before anything runs -------------------------------------------------

def test_the_bound_counts_loops_and_marks_what_rests_on_an_assumed_size(tmp_path):
    checked = checked_of(tmp_path, {"pairs": "count(x for x in applicant.exams)",
                                    "notes": "count(x for x in coalesce(applicant.notes.items, []))"})
    cost, charged, problems = bound_policy(checked.policy, checked.definition_order, checked.parameter_types)
    assert problems == [] and 0 < cost.steps < RECORD_STEPS
    assert [where for where, _ in cost.parts] == ["`require` of rule `r`", "output `pairs`", "output `notes`"]
    notes = checked.policy.outputs[1].value.tree
    assert any(node.charged for node in n.walk(notes))  # notes are free-form: charged at run time
    assert not any(node.charged for node in n.walk(checked.policy.outputs[0].value.tree))  # exams are capped
    assert charged  # the ids bound_policy hands the checker, which it marks on the tree


# --- compiler.frame: what the writer knows where it is ------------------------------------------

def test_a_frame_is_immutable_and_each_scope_is_a_new_one():
    outer = Frame()
    inner = outer.with_loop_variable("e", never_null=True)
    assert "e" in inner and "e" in inner.non_null and "e" not in outer
    maybe = inner.with_loop_variable("e", never_null=False)  # shadowed by a loop over a list with nulls
    assert "e" in maybe and "e" not in maybe.non_null
    assert outer.iterable().in_iterable and not outer.in_iterable
    with pytest.raises(FrozenInstanceError):
        outer.names = frozenset({"x"})


def test_an_inlined_definition_sees_only_its_parameters_each_standing_for_its_argument():
    literal = n.Literal(0, 9, "diploma")
    first = Frame().inlined(("name",), ["'diploma'"], (literal,), frozenset({"name"}))
    assert first.names == {"name"} and first.substitutions == {"name": "'diploma'"}
    assert first.arguments == {"name": literal} and first.inline_depth == 1
    # `credential(kind)` inlined inside `credential_status("diploma")`: `kind` stands for "diploma"
    second = first.iterable().inlined(("kind",), ["l_name"], (n.Name(0, 4, "name"),), frozenset())
    assert second.arguments == {"kind": literal} and second.inline_depth == 2 and second.in_iterable
    assert "name" not in second and definition_frame(("a", "b")).non_null == frozenset()


# --- compiler.pycode: the Python written for one expression -------------------------------------

def written(tmp_path, expression: str, definitions: dict[str, str] | None = None) -> str:
    checked = checked_of(tmp_path, {"v": expression}, definitions)
    generator = _Generator(checked, null_table(checked.policy, checked.definition_order))
    code, _ = generator.expression(checked.policy.outputs[0].value)
    return code


@pytest.mark.parametrize("expression, code", [
    # a required field of a valid record: a plain subscript; an optional one: a null-safe get
    ("applicant.name.given", "applicant['name']['given']"),
    ("applicant.usmle_id", "applicant.get('usmle_id')"),
    # comparing with null is Python's `is`
    ("applicant.certificate == null", "(applicant.get('certificate') is None)"),
    # a count of a typed list is len(); a list the schema vouches for is walked as it is
    ("count(applicant.exams)", "len(applicant.get('exams') or ())"),
    ("[e.date for e in applicant.exams]", "[l_e['date'] for l_e in (applicant.get('exams') or ())]"),
    # numbers that cannot be null: Python's operators, with the range check
    ("count(applicant.exams) + 1", "in_range(len(applicant.get('exams') or ()) + 1)"),
    # a value the checker cannot type is looped over only if it is a list
    ("[k for k in (if as_of > 2000-01-01 then 'abc' else ['x'])]", "listed("),
])
def test_the_code_written_for_an_expression(tmp_path, expression, code):
    assert code in written(tmp_path, expression)


def test_a_small_definition_is_written_in_place_with_its_argument(tmp_path):
    code = written(tmp_path, "twice(3)", {"twice(x)": "x * 2"})
    assert "f_twice" not in code and "3" in code
    looped = written(tmp_path, "evens(2)", {"evens(k)": "[e for e in applicant.exams if count(applicant.exams) > k]"})
    assert looped == "f_evens(2)"  # a definition with a loop is called, not inlined
