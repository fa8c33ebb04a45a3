"""The expression language, stage by stage: what parses, what the checker refuses, what evaluates to what."""

from __future__ import annotations

import copy
import datetime
import json
import textwrap
from pathlib import Path

import pytest

from ecfmg_policy.api import Engine
from ecfmg_policy.errors import PolicyError, Position
from ecfmg_policy.evaluator.language import nodes as n
from ecfmg_policy.evaluator.language.parser import ExpressionSyntaxError, parse_expression
from ecfmg_policy.evaluator.language.values import Duration

ROOT = Path(__file__).resolve().parents[1]
RECORD = json.loads((ROOT / "examples" / "pending.json").read_text())
AS_OF = datetime.date(2020, 6, 1)


def here(offset: int) -> Position:
    return Position("test.yaml", 1, offset + 1)


def policy_text(outputs: dict[str, str], definitions: dict[str, str] | None = None,
                require: str = "true", params: str = "") -> str:
    defs = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in (definitions or {}).items())
    outs = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in outputs.items())
    return textwrap.dedent("""\
        policy: t
        version: "1"
        effective_from: 2000-01-01
        data: {world_directory: world-directory}
        params:
          fee: 75
          window: 7 years
          exams: [USMLE_STEP1, USMLE_STEP2_CK]
        """) + params + ("definitions:\n" + defs if defs else "") + textwrap.dedent(f"""\
        rules:
          - id: r
            title: r
            require: {json.dumps(require)}
            source: test
        """) + ("outputs:\n" + outs if outs else "")


def load(tmp_path: Path, text: str) -> Engine:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return Engine.load(path)


def value_of(tmp_path: Path, expression: str, definitions: dict[str, str] | None = None) -> object:
    engine = load(tmp_path, policy_text({"value": expression}, definitions))
    return engine.check(RECORD, AS_OF).outputs["value"]


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, text)
    return [d.render() for d in caught.value.diagnostics]


# --- parsing --------------------------------------------------------------------------------


def test_precedence_follows_arithmetic_then_comparison_then_logic():
    tree = parse_expression("1 + 2 * 3 >= 7 and not false", here).tree
    assert isinstance(tree, n.BoolOp) and tree.op == "and"
    comparison = tree.left
    assert isinstance(comparison, n.Compare) and comparison.op == ">="
    assert isinstance(comparison.left, n.Binary) and comparison.left.op == "+"
    assert isinstance(comparison.left.right, n.Binary) and comparison.left.right.op == "*"


def test_literals_of_every_kind():
    assert parse_expression("2021-01-26", here).tree.value == datetime.date(2021, 1, 26)
    assert parse_expression("7 years", here).tree.value == Duration(years=7)
    assert parse_expression("2 weeks", here).tree.value == Duration(days=14)
    assert parse_expression("'single' ", here).tree.value == "single"
    assert parse_expression("null", here).tree.value is None


def test_syntax_error_points_at_the_character_and_says_what_was_expected():
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_expression("applicant.usmle_id != ", here)
    diagnostic = caught.value.diagnostic
    assert diagnostic.position.column == len("applicant.usmle_id !=") + 1
    assert "ends too early" in diagnostic.message and "a name" in diagnostic.message


def test_impossible_date_literal_is_a_syntax_error():
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_expression("as_of >= 2021-02-30", here)
    assert "`2021-02-30` is not a real date" in caught.value.diagnostic.message
    assert caught.value.diagnostic.position.column == 10


def test_c_style_operators_get_a_hint():
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_expression("true && false", here)
    assert caught.value.diagnostic.hint == "write `and` instead of `&&`"


# --- evaluation ---------------------------------------------------------------------------


@pytest.mark.parametrize("expression, expected", [
    ("2012-02-29 + 7 years", datetime.date(2019, 2, 28)),
    ("2012-02-29 + 8 years", datetime.date(2020, 2, 29)),
    ("2011-10-01 + params.window", datetime.date(2018, 10, 1)),
    ("2020-03-31 - 1 month", datetime.date(2020, 2, 29)),
    ("2020-03-01 - 2020-02-01", 29),
    ("year(2019-05-02)", 2019),
    ("count(a for a in applicant.exams if a.result == 'fail')", 1),
    ("min(a.date for a in applicant.exams)", datetime.date(2019, 5, 2)),
    ("max(3, 9, 4)", 9),
    ("min([])", None),
    ("sum([1, 2, null, 3])", 6),
    ("all(e in ['USMLE_STEP1', 'USMLE_STEP2_CK'] for e in params.exams)", True),
    ("any(a.exam == 'USMLE_STEP3' for a in applicant.exams)", False),
    ("none(a.result == 'incomplete' for a in applicant.exams)", True),
    ("[a.exam for a in applicant.exams if a.result == 'pass']", ["USMLE_STEP1"]),
    ("{e: 1 for e in params.exams}", {"USMLE_STEP1": 1, "USMLE_STEP2_CK": 1}),
    ("{fee: params.fee, twice: params.fee * 2}", {"fee": 75, "twice": 150}),
    ("if applicant.status == 'student' then 'S' else 'G'", "S"),
    ("applicant.exams[1].exam", "USMLE_STEP2_CK"),
    ("applicant.exams[9]", None),
    ("applicant.certificate.number", None),
    ("applicant.certificate.issued_on >= 2000-01-01", False),
    ("applicant.certificate.issued_on + 1 year", None),
    ("coalesce(applicant.usmle_id, 'none')", RECORD["usmle_id"]),
    ("join([applicant.name.given, applicant.name.family], ' ')",
     f"{RECORD['name']['given']} {RECORD['name']['family']}"),
    ("data.world_directory.schools['F0000101'].country", "IN"),
    ("data.world_directory.schools['F0000999']", None),
    ("'US' not in ['US', 'CA']", False),
])
def test_expression_values(tmp_path, expression, expected):
    assert value_of(tmp_path, expression) == expected


def test_definitions_with_parameters_and_in_any_order(tmp_path):
    value = value_of(tmp_path, "passed_at('USMLE_STEP1')", {
        "passed_at(exam)": "first(passes_of(exam))",
        "passes_of(exam)": "[a.date for a in passes if a.exam == exam]",
        "passes": "[a for a in applicant.exams if a.result == 'pass']"})
    assert value == datetime.date(2019, 5, 2)


def test_rule_outcomes_from_when_require_and_blocked_when(tmp_path):
    text = policy_text({}).replace(
        "rules:\n", textwrap.dedent("""\
        rules:
          - id: skipped
            title: skipped
            when: applicant.status == "graduate"
            require: "false"
          - id: stuck
            title: stuck
            require: applicant.education.academic_years_completed >= 9
            blocked_when: "true"
            message: "only ${applicant.education.academic_years_completed} years"
          - id: open
            title: open
            require: "false"
            message: "due by ${2020-01-01 + 7 years}"
        """))
    result = load(tmp_path, text).check(RECORD, AS_OF)
    outcomes = {r.id: (r.outcome, r.message) for r in result.rules}
    assert outcomes["skipped"] == ("not_applicable", None)
    assert outcomes["stuck"] == ("blocked", f"only {RECORD['education']['academic_years_completed']} years")
    assert outcomes["open"] == ("unmet", "due by 2027-01-01")
    assert outcomes["r"][0] == "met"
    assert result.decision == "ineligible"


def place(tmp_path: Path, text: str, expression: str) -> str:
    """Where ``expression`` starts in the policy file: FILE:LINE:COLUMN, as run-time errors name it."""
    offset = text.index(json.dumps(expression)) + 1
    line = text.count("\n", 0, offset) + 1
    return f"{tmp_path / 'policy.yaml'}:{line}:{offset - text.rfind(chr(10), 0, offset)}"


def output_place(tmp_path: Path, text: str, name: str = "v") -> str:
    """Where output ``name``'s expression starts (policy_text writes it as `  name: "…"`)."""
    line = next(number for number, row in enumerate(text.splitlines(), 1) if row.startswith(f"  {name}: "))
    return f"{tmp_path / 'policy.yaml'}:{line}:{len(name) + 6}"  # after `  name: "`


def test_a_failing_rule_is_an_error_and_the_others_still_run(tmp_path):
    text = policy_text({"after": "bad + 1"}, {"bad": "10 / (count(applicant.exams) - 2)"},
                       require="bad > 0")
    result = load(tmp_path, text).check(RECORD, AS_OF)
    assert [(r.id, r.outcome) for r in result.rules] == [("r", "error")]
    failed = f"could not compute `bad`: division by zero (at {place(tmp_path, text, '10 / (count(applicant.exams) - 2)')})"
    assert result.rules[0].message == failed
    assert result.outputs["after"] is None
    assert result.errors == (("outputs.after", failed),)
    assert result.decision == "pending"


@pytest.mark.parametrize("require, definitions, failing", [
    # the rule's own condition
    ("10 / (count(applicant.exams) - 2) > 1", {}, "10 / (count(applicant.exams) - 2) > 1"),
    # a function: the expression that called it (inlined or not, it fails there)
    ("ratio(2) > 1", {"ratio(k)": "10 / (count(applicant.exams) - k)"}, "ratio(2) > 1"),
    ("ratio(2) > 1", {"ratio(k)": "count([e for e in applicant.exams if 10 / (count(applicant.exams) - k) > 1])"},
     "ratio(2) > 1"),
    # a date past the calendar's end
    ("as_of + 10000 years > as_of", {}, "as_of + 10000 years > as_of"),
    # a definition, through another
    ("outer > 1", {"inner": "1 / (count(applicant.exams) - 2)", "outer": "inner * 2"}, "1 / (count(applicant.exams) - 2)"),
])
def test_a_rule_that_fails_at_run_time_names_the_file_line_and_column(tmp_path, require, definitions, failing):
    text = policy_text({}, definitions, require=require)
    [rule] = load(tmp_path, text).check(RECORD, AS_OF).rules
    assert rule.outcome == "error"
    assert rule.message.endswith(f" (at {place(tmp_path, text, failing)})"), rule.message
    assert rule.message.count(" (at ") == 1


def test_an_output_and_the_scope_that_fail_name_their_place(tmp_path):
    text = policy_text({"share": "100 / (count(applicant.exams) - 2)"}).replace(
        "rules:", 'scope:\n  when: "count(applicant.exams) / 0 > 1"\n  source: test\nrules:')
    result = load(tmp_path, text).check(RECORD, AS_OF)
    assert result.errors == (
        ("scope", f"division by zero (at {place(tmp_path, text, 'count(applicant.exams) / 0 > 1')})"),
        ("outputs.share", f"division by zero (at {place(tmp_path, text, '100 / (count(applicant.exams) - 2)')})"))


# --- checking (each mistake the checker refuses, once: tests/diagnostics/) -------------------


def test_an_object_indexed_by_a_computed_name_has_the_type_its_fields_share(tmp_path):
    """`credentials[name]` is a credential whichever name it is given: a mistake with what it
    holds is found when the policy is checked, at its place, not on every record."""
    definitions = {"cred(name)": "applicant.education.credentials[name]"}
    [message] = problems(tmp_path, policy_text({"v": 'cred("diploma").verified_on + 1'}, definitions))
    assert "cannot add date and number" in message and ":17:7:" in message, message
    [message] = problems(tmp_path, policy_text({"v": 'cred("diploma").verifed_on'}, definitions))
    assert "no field `verifed_on`" in message and "did you mean `verified_on`?" in message, message
    engine = load(tmp_path, policy_text({"on": 'cred("diploma").verified_on', "none": 'cred("thesis")'},
                                        definitions))
    record = {**RECORD, "education": {**RECORD["education"], "credentials": {
        "diploma": {"status": "verified", "verified_on": "2011-02-03"}}}}
    assert engine.check(record, AS_OF).outputs == {"on": datetime.date(2011, 2, 3), "none": None}


def test_coalesce_of_different_kinds_is_checked_when_it_runs(tmp_path):
    """`coalesce(a, b)` is either argument: typed by the first alone, a missing fee defaulted to
    `true` was added as Python adds (true + 1 = 2) and a string was joined letter by letter.
    Found by review; both must be the language's errors, as the interpreter says."""
    outputs = {"sum": "coalesce(applicant.application.fee_paid_usd, true) + 1",
               "text": 'coalesce(applicant.application.fee_paid_usd, "x") - 1',
               "letters": 'join(coalesce(applicant.citizenship, "abc"), "-")',
               "fine": "coalesce(applicant.application.fee_paid_usd, 0) + 1"}
    text = policy_text(outputs)
    engine = load(tmp_path, text)
    record = copy.deepcopy(RECORD)
    record["application"].pop("fee_paid_usd", None)
    record.pop("citizenship", None)
    result = engine.check(record, AS_OF)
    assert result.outputs == {"sum": None, "text": None, "letters": None, "fine": 1}
    assert dict(result.errors) == {
        "outputs.sum": f"cannot add boolean and number (at {place(tmp_path, text, outputs['sum'])})",
        "outputs.text": f"cannot subtract number from string (at {place(tmp_path, text, outputs['text'])})",
        "outputs.letters": f"cannot loop over a string; expected a list (at {place(tmp_path, text, outputs['letters'])})"}


def test_generated_code_never_contains_policy_text_as_code(tmp_path):
    """A string that looks like Python stays a string: it is written with repr, never spliced in."""
    sneaky = "'); import os; os.system('echo pwned'); ('"
    engine = load(tmp_path, policy_text({"v": json.dumps(sneaky),
                                         "joined": f"join(params.exams, {json.dumps(sneaky)})"}))
    assert "join_known(P_exams, " in engine.evaluator(AS_OF).compiled.source_code  # the fast path writes it
    outputs = engine.check(RECORD, AS_OF).outputs
    assert outputs["v"] == sneaky
    assert outputs["joined"] == sneaky.join(["USMLE_STEP1", "USMLE_STEP2_CK"])


def test_a_long_chain_is_not_deep_nesting(tmp_path):
    chain = " and ".join(["applicant.status == 'student'"] * 80)
    assert value_of(tmp_path, chain) is True
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_expression("not " * 60 + "true", here)
    assert "nested too deeply (more than 50 levels)" in caught.value.diagnostic.message


# --- the compiler's fast paths keep the language's meaning (found in review) -------------------


@pytest.mark.parametrize("expression, definitions, expected", [
    ("count(x for x in coalesce(applicant.exams, []))", {}, 2),  # no `:=` inside a loop's list
    # a loop variable reused by an inner loop keeps its own nullness
    ("count(x for x in dates if count([x for x in [1, 2]]) > 0 and x > 2000-01-01)",
     {"dates": "[if a.result == 'pass' then a.date else null for a in applicant.exams]"}, 1),
    ("[x + 1 for x in cfg.xs]", {"cfg": "{xs: [null, 1]}"}, [None, 2]),
    ("min(x for x in cfg.xs)", {"cfg": "{xs: [null, 3, 1]}"}, 1),
    ("[f(1), f(true)]", {"f(p)": "[p for x in [1]]"}, [[1], [True]]),
    ("(if applicant.status == 'student' then true else 1) == 1", {}, False),
    ("[1, 2] == [true, 2]", {}, False),
    ("(if applicant.status == 'student' then true else 1) in [1, 2]", {}, False),
    ("1 in [1, 2]", {}, True),
])
def test_fast_paths_keep_the_meaning(tmp_path, expression, definitions, expected):
    assert value_of(tmp_path, expression, definitions) == expected


def test_min_of_values_that_cannot_be_compared_says_so(tmp_path):
    text = policy_text({"v": "min((if x.exam == 'USMLE_STEP1' then 1 else 'a') for x in applicant.exams)"})
    result = load(tmp_path, text).check(RECORD, AS_OF)
    assert result.errors == (("outputs.v", "min() of values that cannot be compared: number, string "
                                           f"(at {output_place(tmp_path, text)})"),)


def test_python_names_in_a_policy_reach_no_python_object(tmp_path):
    """A field named like a Python attribute is looked up as data, never as an attribute."""
    text = policy_text({"v": "(if applicant.status == 'student' then 1 else 'x').__class__",
                        "w": "{e: 1 for e in ['__class__', '__import__']}"}, {"__init__": "1"})
    result = load(tmp_path, text).check(RECORD, AS_OF)
    assert result.outputs["v"] is None
    assert result.errors == (("outputs.v", f"cannot read field `__class__` of a number (at {output_place(tmp_path, text)})"),)
    assert result.outputs["w"] == {"__class__": 1, "__import__": 1}


# --- disagreements with the reference interpreter (issue 8), each pinned -----------------------


def test_params_can_be_read_as_a_value(tmp_path):
    """`params["fee"]` linted clean, then failed every record with a Python NameError."""
    assert value_of(tmp_path, 'params["fee"]') == 75
    assert value_of(tmp_path, "params['nothing']") is None


def test_a_map_indexed_by_null_gives_null(tmp_path):
    assert value_of(tmp_path, "{k: 1 for k in params.exams}[if true then null else 'x']") is None


def test_object_keys_are_strings(tmp_path):
    """Python merged the keys `1` and `true`, and `in` and JSON disagreed on them."""
    [message] = problems(tmp_path, policy_text({"v": "{(1): 'a'}"}))
    assert "an object key must be a string, not a number" in message
    text = policy_text({"v": "{k: 1 for k in [1, true]}"})
    assert load(tmp_path, text).check(RECORD, AS_OF).errors == (
        ("outputs.v", f"an object key must be a string, not a number (at {output_place(tmp_path, text)})"),)


def test_coalesce_stops_at_the_first_value_whatever_the_number_of_arguments(tmp_path):
    """Two arguments stopped early and three did not: which errors surfaced depended on a fast path."""
    assert value_of(tmp_path, "coalesce(1, 2, 1 / 0)") == 1
    assert value_of(tmp_path, "count(x for x in coalesce(applicant.exams, [], [1 / 0]))") == 2


def test_any_all_none_stop_at_the_deciding_item(tmp_path):
    assert value_of(tmp_path, "any([true, 1 / 0 > 1])") is True
    assert value_of(tmp_path, "all([false, 1 / 0 > 1])") is False
    assert value_of(tmp_path, "none(1 / x > 0 for x in [1, 0])") is False
    assert value_of(tmp_path, "any(f(x) for x in [1, 2])", {"f(x)": "x == 1 or 1 / 0 > 1"}) is True


@pytest.mark.parametrize("expression", ["min([true, 2])", "f(true) < f(2)", "f([1]) < f([2])"])
def test_only_numbers_dates_and_strings_are_ordered(tmp_path, expression):
    engine = load(tmp_path, policy_text({"v": expression}, {"f(x)": "x"}))
    [(place, message)] = engine.check(RECORD, AS_OF).errors
    assert place == "outputs.v" and "cannot be compared" in message or "cannot compare" in message


def test_in_an_object_with_a_list_is_false_not_a_python_error(tmp_path):
    assert value_of(tmp_path, "f([1]) in {a: 1}", {"f(x)": "x"}) is False


def test_join_shows_its_separator_as_a_message_would(tmp_path):
    assert value_of(tmp_path, "join([1, 2], f(2.0))", {"f(x)": "x"}) == "122"


def test_a_scope_that_is_not_a_condition_is_a_scope_error(tmp_path):
    text = policy_text({}, {"f(x)": "x"}).replace("rules:", "scope:\n  when: f(5)\nrules:")
    result = load(tmp_path, text).check(RECORD, AS_OF)
    line = text.splitlines().index("  when: f(5)") + 1
    assert result.errors == (("scope", f"a condition must be true or false, not a number (at {tmp_path / 'policy.yaml'}:{line}:9)"),)
    assert result.rules[0].outcome == "met"


def test_null_facts_do_not_leak_between_object_literals_of_one_shape(tmp_path):
    """A rule read `o.a` as never null because the only literal seen so far had a number there;
    an output's literal of the same shape, written later, holds null."""
    text = policy_text({"w": "{a: applicant.application.fee_paid_usd}"},
                       {"o": "first([x for x in [{a: 1}, {a: applicant.application.fee_paid_usd}] if x.a == null])"},
                       require="o.a < 5 or o == null")
    assert load(tmp_path, text).check(RECORD, AS_OF).rules[0].outcome == "met"


def test_date_arithmetic_past_the_calendar_says_so(tmp_path):
    text = policy_text({"v": "2020-01-01 + 9000 years"})
    assert load(tmp_path, text).check(RECORD, AS_OF).errors == (
        ("outputs.v", f"2020-01-01 + 9000 years is outside the calendar (years 1 to 9999) (at {output_place(tmp_path, text)})"),)


@pytest.mark.parametrize("text, fragment, column", [
    ("1" + "0" * 400 + ".0", "is too long", 1),
    ("9" * 5000, "is too long", 1),
    ("as_of + " + "9" * 5000 + " days", "longer than any calendar", 9),
    (r'"a\qb"', "`\\q` is not an escape this language knows", 3),
    (r'"\ud800"', "lone surrogate", 2),
])
def test_bad_literals_are_positioned_errors(text, fragment, column):
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_expression(text, here)
    assert fragment in caught.value.diagnostic.message
    assert caught.value.diagnostic.position.column == column


def test_string_escapes():
    assert parse_expression(r'"a\"b\\c\u00e9\n"', here).tree.value == 'a"b\\cé\n'


def test_long_definition_chains_load(tmp_path):
    """2,000 definitions each using the previous one: no RecursionError when checking or compiling."""
    definitions = {"d0": "count(applicant.exams)"}
    definitions.update({f"d{i}": f"d{i - 1} + 1" for i in range(1, 2000)})
    definitions.update({"f0(x)": "x + 1"})
    definitions.update({f"f{i}(x)": f"f{i - 1}(x) + 1" for i in range(1, 2000)})
    assert value_of(tmp_path, "[d1999, f1999(1)]", definitions) == [2001, 2001]


def test_doubling_definitions_load_in_linear_time(tmp_path):
    import time
    definitions = {"d0": "count(applicant.exams)", "f0(x)": "x + 1"}
    definitions.update({f"d{i}": f"d{i - 1} + d{i - 1}" for i in range(1, 25)})
    definitions.update({f"f{i}(x)": f"f{i - 1}(x) + f{i - 1}(x)" for i in range(1, 25)})
    start = time.perf_counter()
    engine = load(tmp_path, policy_text({"v": "d24", "w": "f8(1)"}, definitions))
    assert engine.check(RECORD, AS_OF).outputs == {"v": 2 * 2 ** 24, "w": 2 * 2 ** 8}
    assert time.perf_counter() - start < 5


def test_results_are_plain_data(tmp_path):
    """Outcomes, decisions and severities are named once, as enums in the model, but a result
    carries their plain strings: YAML, `type(x) is str` checks and pickles take it as it is."""
    import pickle

    import yaml

    engine = load(tmp_path, policy_text({"d": "decision"}))
    result = engine.check(RECORD, AS_OF)
    plain = result.to_json()
    assert yaml.safe_load(yaml.safe_dump(plain)) == json.loads(json.dumps(plain))
    assert type(result.decision) is str and all(type(o) is str for o in result.outcomes)
    assert {type(r[k]) for r in plain["rules"] for k in ("outcome", "severity")} == {str}
    assert pickle.loads(pickle.dumps(result)).to_json() == plain
    assert plain["outputs"] == {"d": result.decision}
