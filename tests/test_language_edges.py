"""Edges of the language found by review, each pinned: the compiled code (fast paths on and
off) and the reference interpreter must give the guide's answer."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
from test_language import AS_OF, RECORD, load, policy_text, problems

from ecfmg_policy.api import Engine
from ecfmg_policy.evaluator.evaluation.interpreter import Interpreter
from ecfmg_policy.evaluator.records.records import convert_dates


def three_ways(engine: Engine, record: dict) -> list[tuple]:
    """(decision, outcomes and messages, outputs, errors): compiled, compiled without fast
    paths, and interpreted."""
    compiled = engine.evaluator(AS_OF).compiled
    plain = Engine(replace(engine.policies, versions=tuple(replace(c, fast_paths=False)
                                                           for c in engine.policies.versions)), engine.data)
    seen = []
    for one in (engine, plain):
        result = one.check(copy.deepcopy(record), AS_OF)
        seen.append(([(r.outcome, r.message) for r in result.rules], result.outputs, dict(result.errors)))
    reference = Interpreter(compiled.checked, engine.data).evaluate(convert_dates("applicant", copy.deepcopy(record)), AS_OF)
    errors = {f"outputs.{k}": v for k, v in reference.output_errors.items()}
    seen.append((list(zip(reference.outcomes, reference.messages)), reference.outputs, errors))
    return seen


def test_coalesce_any_all_none_stop_early_with_fast_paths_off_too(tmp_path):
    """Stopping at what decides is their meaning (guide §8.8), not a fast path: with fast
    paths off they evaluated every argument, and a later division by zero failed the rule."""
    text = policy_text({"c": "coalesce(1, 1 / (count(applicant.exams) - 2))",
                        "c3": "coalesce(null, 2, 1 / (count(applicant.exams) - 2))",
                        "a": "all(e.score / (e.score - 201) < 1 for e in applicant.exams)",
                        "n": "none([true, 1 / (count(applicant.exams) - 2) > 1])"},
                       require="any([true, 1 / (count(applicant.exams) - 2) > 1])")
    results = three_ways(load(tmp_path, text), RECORD)
    assert results[0] == results[1] == results[2]
    outcomes, outputs, errors = results[0]
    assert outcomes == [("met", None)] and errors == {}
    assert outputs["c"] == 1 and outputs["c3"] == 2 and outputs["n"] is False


def test_a_key_written_twice_in_an_object_is_refused_where_it_is_written(tmp_path):
    """`{a: 1, a: null}`: the checker typed the first, the null facts trusted the first, Python
    kept the last; `{a: 1, a: true}.a == 1` was true compiled and false interpreted."""
    [message] = problems(tmp_path, policy_text({"o": "{a: 1, b: 2, a: null}.a"}))
    assert "the key `a` appears twice in this object" in message
    assert "help: write each key once" in message
    line = message.splitlines()[0]
    assert line.endswith(":15:20: error: the key `a` appears twice in this object")  # the second `a`


@pytest.mark.parametrize("iterable, kind", [('"abc"', "a string"), ("{a: 1}", "an object"), ("3", "a number")])
def test_a_loop_over_what_is_not_a_list_is_refused_at_run_time_as_the_interpreter_does(tmp_path, iterable, kind):
    """The checker cannot type `if … then X else [..]`; the compiled loop walked a string letter by
    letter and an object key by key."""
    expression = f"any(k == 'a' for k in (if as_of > 2000-01-01 then {iterable} else ['x']))"
    results = three_ways(load(tmp_path, policy_text({}, require=expression)), RECORD)
    assert results[0] == results[1] == results[2]
    [(outcome, message)] = results[0][0]
    assert outcome == "error" and message.startswith(f"cannot loop over {kind}; expected a list (at ")


def test_a_function_of_values_refuses_a_comprehension(tmp_path):
    """`coalesce(x for x in [1, 2])` was the list compiled and null interpreted."""
    for expression in ("coalesce(x for x in [1, 2])", "year(d for d in [2020-01-01])"):
        name = expression.split("(")[0]
        [message] = problems(tmp_path, policy_text({"v": expression}))
        assert f"`{name}` takes values, not a comprehension" in message
    assert all(not problems_of(tmp_path, policy_text({"v": e}))
               for e in ("min(x for x in [1, 2])", "count(x for x in [1, 2])"))


def problems_of(tmp_path, text) -> list[str]:
    try:
        load(tmp_path, text)
    except Exception as exc:  # noqa: BLE001 - the test says which policies must load
        return [str(exc)]
    return []
