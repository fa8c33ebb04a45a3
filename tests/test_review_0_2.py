"""Review of the 0.2 policy format: each test pins a bug found in dated parameters, rule
overrides by field, YAML booleans as expressions or titled definitions, as an editor
meets it (a decision, a diagnostic and its line, an exit status)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from ecfmg_policy.api import Engine
from ecfmg_policy.errors import PolicyError

ROOT = Path(__file__).resolve().parents[1]
RECORD = json.loads((ROOT / "examples" / "eligible.json").read_text())

HEAD = """\
policy: p
version: "1"
effective_from: 2004-06-14
"""
LATER = """\
policy: p
version: "2"
effective_from: 2010-01-01
extends: "1"
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder


def problems(folder: Path) -> list[tuple[str, int, int, str]]:
    with pytest.raises(PolicyError) as caught:
        Engine.load(folder)
    return [(d.code, d.position.line, d.position.column, d.message) for d in caught.value.diagnostics]


# --- a removed rule is not inherited by the entry that adds it back -------------------------

FINAL_RULE = HEAD + """\
rules:
  - id: x
    title: X
    when: applicant.application.fee_paid_usd > 0
    require: "false"
    final: true
    message: the old message
"""


def test_a_rule_removed_and_added_again_keeps_nothing_of_the_removed_one(tmp_path):
    later = LATER + """\
remove_rules: [x]
rules:
  - id: x
    title: X again
    require: "false"
"""
    engine = Engine.load(write(tmp_path, {"1.yaml": FINAL_RULE, "2.yaml": later}))
    result = engine.check(json.loads(json.dumps(RECORD)), "2021-01-01")
    # the new rule has no `when`, no `final` and no message: unmet, not blocked, nothing said
    assert (result.decision, result.outcomes, result.messages) == ("pending", ("unmet",), (None,))


def test_a_partial_entry_for_a_removed_rule_is_refused(tmp_path):
    later = LATER + """\
remove_rules: [x]
rules:
  - id: x
    message: a new message
"""
    folder = write(tmp_path, {"1.yaml": FINAL_RULE, "2.yaml": later})
    with pytest.raises(PolicyError) as caught:
        Engine.load(folder)
    [d] = caught.value.diagnostics
    assert (d.code, d.position.line, d.message) == (
        "policy-structure", 7, "rule `x` is new in version `2` and has no `title` and `require`")
    assert "remove_rules" in d.hint


# --- a parameter's values are checked against the exams, histories too -----------------------

@pytest.mark.parametrize("value, condition", [
    ("[USMLE_STEP1, USMLE_STEPX]", "a.exam in params.exams"),  # as before 0.2
    ("{2004-01-01: [USMLE_STEP1], 2010-01-01: [USMLE_STEPX]}", "a.exam in params.exams"),
    ("{2004-01-01: [USMLE_STEP1], 2010-01-01: [USMLE_STEPX]}", "a.exam in params.exams at a.date"),
    ("[USMLE_STEPX]", "a.exam in params.exams at a.date"),
    ("{2004-01-01: USMLE_STEP1, 2010-01-01: USMLE_STEPX}", "a.exam == params.exams"),
])
def test_a_misspelt_exam_in_a_parameter_history_is_found(tmp_path, value, condition):
    policy = HEAD + f"""\
params:
  exams: {value}
rules:
  - id: a
    title: A
    require: any({condition} for a in applicant.exams)
"""
    assert problems(write(tmp_path, {"p.yaml": policy})) == [
        ("enum", 5, 3, "parameter `exams` holds `USMLE_STEPX`, which is not a possible value here")]


# --- YAML booleans: `true` and `false` are expressions; `yes`, `no`, `on`, `off` are not -------

@pytest.mark.parametrize("written, column", [("yes", 14), ("no", 14), ("on", 14), ("Off", 14)])
def test_yaml_1_1_booleans_are_not_taken_for_expressions(tmp_path, written, column):
    policy = HEAD + f"""\
rules:
  - id: a
    title: A
    require: {written}
"""
    [(code, line, col, message)] = problems(write(tmp_path, {"p.yaml": policy}))
    assert (code, line, col) == ("syntax", 7, column)
    assert message.startswith(f"`{written}` is not an expression")


@pytest.mark.parametrize("written, outcome", [("true", "met"), ("false", "unmet"), ("True", "met")])
def test_yaml_true_and_false_are_expressions(tmp_path, written, outcome):
    policy = HEAD + f"""\
rules:
  - id: a
    title: A
    require: {written}
"""
    engine = Engine.load(write(tmp_path, {"p.yaml": policy}))
    assert engine.check(json.loads(json.dumps(RECORD)), "2021-01-01").outcomes == (outcome,)


# --- a duration too long for the calendar is said in the policy's words, compiled or not -------

def test_a_duration_past_the_calendar_is_an_error_in_words(tmp_path):
    from ecfmg_policy.evaluator.evaluation.interpreter import Interpreter
    from ecfmg_policy.evaluator.records.records import convert_dates
    import datetime

    policy = HEAD + """\
params:
  span:
    2004-01-01: 7 years
    2010-01-01: 99999999999999999999 years
rules:
  - id: a
    title: A
    require: as_of + params.span > as_of
"""
    engine = Engine.load(write(tmp_path, {"p.yaml": policy}))
    result = engine.check(json.loads(json.dumps(RECORD)), "2023-01-01")
    assert result.outcomes == ("error",)
    assert result.messages[0].startswith("2023-01-01 + 99999999999999999999 years is outside the calendar")
    compiled = engine.evaluator(datetime.date(2023, 1, 1)).compiled
    reference = Interpreter(compiled.checked, engine.data).evaluate(
        convert_dates("applicant", json.loads(json.dumps(RECORD))), datetime.date(2023, 1, 1))
    assert list(reference.messages) == list(result.messages)
