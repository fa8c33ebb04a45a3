"""The policy format for editors (0.2): dated parameters, rule overrides by field, ``final``,
YAML booleans as expressions, titled definitions.

Each feature is shown the way an editor meets it: a small policy folder
written to disk, loaded by the engine or run through the real command line,
and the decision, message, diagnostic (line and column) or report it gives.
"""

from __future__ import annotations

import datetime
import json
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecfmg_policy.api import Engine
from ecfmg_policy.errors import PolicyError
from ecfmg_policy.evaluator.evaluation.interpreter import Interpreter
from ecfmg_policy.evaluator.language.values import History
from ecfmg_policy.evaluator.records.records import convert_dates

from cli_helpers import invoke

ROOT = Path(__file__).resolve().parents[1]
RECORD = json.loads((ROOT / "examples" / "eligible.json").read_text())

HEAD = """\
policy: p
version: "1"
effective_from: 2004-06-14
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder


def record(submitted: str | None = "2021-12-31", paid: float = 75) -> dict:
    r = json.loads(json.dumps(RECORD))
    if submitted is None:
        del r["application"]
    else:
        r["application"]["submitted_on"] = submitted
        r["application"]["fee_paid_usd"] = paid
    return r


def problems(folder: Path) -> list[tuple[str, int, int, str]]:
    with pytest.raises(PolicyError) as caught:
        Engine.load(folder)
    return [(d.code, d.position.line, d.position.column, d.message) for d in caught.value.diagnostics]


# --- dated parameters -----------------------------------------------------------------------

FEE = HEAD + """\
params:
  fee:
    2004-06-14: 75
    2022-01-01: 160
rules:
  - id: application.fee
    title: Fee paid
    require: applicant.application.fee_paid_usd >= params.fee at applicant.application.submitted_on
    message: >-
      Pay USD ${params.fee at coalesce(applicant.application.submitted_on, as_of)}
      (today's fee: ${params.fee})
"""


@pytest.fixture(scope="module")
def fee_engine(tmp_path_factory) -> Engine:
    return Engine.load(write(tmp_path_factory.mktemp("fee"), {"p.yaml": FEE}))


@pytest.mark.parametrize("submitted, paid, outcome, owed", [
    ("2021-12-31", 75, "met", None),  # the day before the increase: the old fee
    ("2022-01-01", 75, "unmet", "Pay USD 160 (today's fee: 160)"),  # the day it takes effect
    ("2022-01-01", 159.99, "unmet", "Pay USD 160 (today's fee: 160)"),
    ("2022-01-01", 160, "met", None),
    ("2022-01-02", 160, "met", None),
    ("2004-06-13", 75, "met", None),  # before the first date: the first value
    ("2004-06-14", 74.99, "unmet", "Pay USD 75 (today's fee: 160)"),
])
def test_a_history_is_read_on_the_day_given(fee_engine, submitted, paid, outcome, owed):
    result = fee_engine.check(record(submitted, paid), "2022-06-01")
    assert result.outcomes[0] == outcome
    assert result.messages[0] == owed


@pytest.mark.parametrize("as_of, shown", [("2021-12-31", "75"), ("2022-01-01", "160"), ("2030-01-01", "160")])
def test_a_history_read_plainly_is_its_value_on_the_as_of_date(fee_engine, as_of, shown):
    result = fee_engine.check(record(None), as_of)  # no application: the fee of the as-of date is asked
    assert result.messages[0] == f"Pay USD {shown} (today's fee: {shown})"


def test_compiled_and_interpreted_read_histories_alike(fee_engine):
    compiled = fee_engine.policies.versions[0]
    interpreter = Interpreter(compiled.checked, fee_engine.data)
    for day in ("2003-01-01", "2004-06-14", "2021-12-31", "2022-01-01", "2025-02-28"):
        for paid in (74, 75, 160):
            as_of = datetime.date(2026, 1, 1)
            expected = fee_engine.check(record(day, paid), as_of)
            got = interpreter.evaluate(convert_dates("applicant", record(day, paid)), as_of)
            assert (got.outcomes, got.messages) == (list(expected.outcomes), list(expected.messages))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.dates(datetime.date(1990, 1, 1), datetime.date(2040, 1, 1)),
                          st.one_of(st.none(), st.integers(-5, 500))), min_size=1, max_size=8),
       st.dates(datetime.date(1980, 1, 1), datetime.date(2050, 1, 1)))
def test_a_history_holds_each_value_from_its_date_to_the_next(entries, day):
    entries = sorted(dict(entries).items())
    history = History(tuple(d for d, _ in entries), tuple(v for _, v in entries))
    on_or_before = [v for d, v in entries if d <= day]
    assert history.at(day) == (on_or_before[-1] if on_or_before else entries[0][1])
    assert history.at(None) is None


@pytest.mark.parametrize("params, line, column, message", [
    ("  fee:\n    2022-01-01: 160\n    2021-01-01: 75\n", 7, 5,
     "the dates of `params.fee` go in order: 2021-01-01 comes after 2022-01-01"),
    ("  fee:\n    2004-06-14: 75\n    2022-01-01: USD 160\n", 7, 5,
     "`params.fee` is a number from 2004-06-14 but a string from 2022-01-01"),
    ("  fee:\n    2010-01-01: 75\n", 6, 5,
     "`params.fee` has no value from 2004-06-14, when this version takes effect, to 2010-01-01, its first date"),
    ("  fee:\n    2004-06-14: 75\n    soon: 160\n", 7, 5, "`params.fee` is a history, and `soon` is not a date"),
])
def test_lint_refuses_histories_out_of_order_or_with_gaps(tmp_path, params, line, column, message):
    policy = HEAD + "params:\n" + params + "rules:\n  - id: a\n    title: a\n    require: params.fee > 0\n"
    folder = write(tmp_path / "p", {"p.yaml": policy})
    assert problems(folder) == [("param-history", line, column, message)]
    result = invoke("lint", str(folder))
    assert result.returncode == 3
    assert f"p.yaml:{line}:{column}: error: {message}" in result.stdout


def test_a_gap_written_as_null_reads_as_null(tmp_path):
    policy = HEAD + textwrap.dedent("""\
        params:
          cs_fee:
            2004-06-14: 1200
            2021-01-26: null
        rules:
          - id: a
            title: a
            require: params.cs_fee == null
            message: fee ${params.cs_fee}
        """)
    engine = Engine.load(write(tmp_path / "p", {"p.yaml": policy}))
    assert engine.check(RECORD, "2021-01-25").messages[0] == "fee 1200"
    assert engine.check(RECORD, "2021-01-26").outcomes[0] == "met"


@pytest.mark.parametrize("require, message, column", [
    ("(params.fee + 1) at as_of > 0", "only a parameter can be read at a date", 15),
    ("params.fee at 5 > 0", "a parameter is read at a date, not at a number", 28),
    ('params["fee"] > 0', "`params` is read whole, but `params.fee` has a history of values", 14),
])
def test_the_checker_knows_what_at_reads(tmp_path, require, message, column):
    policy = HEAD + f"params:\n  fee:\n    2004-06-14: 75\nrules:\n  - id: a\n    title: a\n    require: {require}\n"
    found = problems(write(tmp_path / "p", {"p.yaml": policy}))
    assert found == [("type", 10, column, message)]


def test_the_checker_knows_the_type_of_a_history(tmp_path):
    policy = HEAD + 'params:\n  fee:\n    2004-06-14: 75\nrules:\n  - id: a\n    title: a\n    require: params.fee == "75"\n'
    [(code, line, _, message)] = problems(write(tmp_path / "p", {"p.yaml": policy}))
    assert (code, line) == ("type", 10) and "number" in message and "string" in message


def test_a_plain_parameter_read_at_a_day_is_its_value_and_at_no_day_null(tmp_path):
    policy = HEAD + textwrap.dedent("""\
        params:
          fee: 75
        rules:
          - id: a
            title: a
            require: params.fee at as_of == 75
          - id: b
            title: b
            require: params.fee at applicant.application.submitted_on == null
        """)
    engine = Engine.load(write(tmp_path / "p", {"p.yaml": policy}))
    assert tuple(engine.check(RECORD, "2020-01-01").outcomes) == ("met", "unmet")
    assert tuple(engine.check(record(None), "2020-01-01").outcomes) == ("met", "met")
    plain = Engine(replace(engine.policies, versions=tuple(replace(c, fast_paths=False)
                                                           for c in engine.policies.versions)), engine.data)
    assert tuple(plain.check(RECORD, "2020-01-01").outcomes) == ("met", "unmet")
    assert tuple(plain.check(record(None), "2020-01-01").outcomes) == ("met", "met")


def test_versions_shows_a_history():
    result = invoke("versions", "--policy", str(ROOT / "policies"))
    assert "param application_fee_usd: 75 -> 75 from 2004-06-14, 160 from 2022-01-01" in result.stdout
    data = json.loads(invoke("versions", "--policy", str(ROOT / "policies"), "--format", "json").stdout)
    [fee] = data["versions"][-1]["changes"]["params"]
    assert fee == {"name": "application_fee_usd", "old": 75,
                   "new": {"history": [{"from": "2004-06-14", "value": 75}, {"from": "2022-01-01", "value": 160}]}}


def test_the_bundled_2022_fee_is_one_parameter_with_two_dated_values():
    text = (ROOT / "policies" / "ecfmg-certification" / "2022-01-01.yaml").read_text()
    assert "application_fee_usd:\n    2004-06-14: 75\n    2022-01-01: 160\n" in text
    assert "fee_due" not in text and "earlier_application_fee_usd" not in text and "fee_increase_on" not in text
    assert "definitions:" not in text


# --- rule overrides by field ----------------------------------------------------------------

BASE = HEAD + """\
params:
  limit: 6
rules:
  - id: exams.limit
    title: Attempts left
    when: applicant.usmle_id != null
    require: count(a for a in applicant.exams) < params.limit
    final: true
    message: No attempts left
    source: the seed
"""


def test_an_override_changes_only_the_fields_it_gives(tmp_path):
    folder = write(tmp_path / "p", {"a.yaml": BASE, "b.yaml": """\
        policy: p
        version: "2"
        effective_from: 2021-07-01
        extends: "1"
        rules:
          - id: exams.limit
            message: Four attempts at most
        """})
    engine = Engine.load(folder)
    rule = engine.policies.versions[1].policy.rules[0]
    assert (rule.title, rule.when.text, rule.require.text, rule.final, rule.source) == (
        "Attempts left", "applicant.usmle_id != null", "count(a for a in applicant.exams) < params.limit", True,
        "the seed")
    assert rule.message.parts == ("Four attempts at most",)
    many = dict(record(), exams=[{"exam": "USMLE_STEP1", "date": "2010-01-01", "result": "fail"}] * 6)
    result = engine.check(many, "2022-01-01")
    assert (result.outcomes[0], result.messages[0]) == ("blocked", "Four attempts at most")
    result = invoke("versions", "--policy", str(folder))
    assert "rule exams.limit changed: message\n" in result.stdout + "\n"


def test_replace_true_replaces_the_whole_rule(tmp_path):
    folder = write(tmp_path / "p", {"a.yaml": BASE, "b.yaml": """\
        policy: p
        version: "2"
        effective_from: 2021-07-01
        extends: "1"
        rules:
          - id: exams.limit
            replace: true
            title: Attempts left
            require: count(a for a in applicant.exams) < params.limit
        """})
    rule = Engine.load(folder).policies.versions[1].policy.rules[0]
    assert (rule.when, rule.final, rule.blocked_when, rule.message, rule.source) == (None, False, None, None, None)
    out = invoke("versions", "--policy", str(folder), "--format", "json").stdout
    [change] = json.loads(out)["versions"][1]["changes"]["rules_changed"]
    assert change == {"id": "exams.limit", "fields": ["when", "final", "message", "source"]}


@pytest.mark.parametrize("entry, line, message, hint", [
    ("  - id: exams.limt\n    message: x\n", 6, "rule `exams.limt` is new in version `2` and has no `title` and `require`",
     "did you mean `exams.limit`?"),
    ("  - id: exams.limit\n    replace: true\n    title: x\n", 6,
     "rule `exams.limit` replaces the inherited rule whole (`replace: true`) but has no `require`",
     "give the whole rule, or remove `replace: true` to change only the fields given"),
])
def test_an_override_that_is_not_a_rule_is_refused_where_it_is(tmp_path, entry, line, message, hint):
    second = 'policy: p\nversion: "2"\neffective_from: 2021-07-01\nextends: "1"\nrules:\n' + entry
    folder = write(tmp_path / "p", {"a.yaml": BASE, "b.yaml": second})
    with pytest.raises(PolicyError) as caught:
        Engine.load(folder)
    [d] = caught.value.diagnostics
    assert (d.position.source.endswith("b.yaml"), d.position.line, d.position.column, d.message, d.hint) == (
        True, line, 5, message, hint)


def test_the_bundled_2021_versions_override_fields_not_whole_rules():
    text = (ROOT / "policies" / "ecfmg-certification" / "2021-07-01.yaml").read_text()
    rule = text[text.index("- id: exams.attempt_limit"):]
    assert "require:" not in rule and "when:" not in rule and "final:" not in rule
    result = invoke("versions", "--policy", str(ROOT / "policies"))
    assert "rule exams.passed_in_window changed: title, to_meet, source\n" in result.stdout
    assert "rule exams.attempt_limit changed: title, message, source\n" in result.stdout
    assert "rule application.fee changed: source\n" in result.stdout


# --- saying what it means: final, YAML booleans ---------------------------------------------

def test_final_true_is_blocked_whenever_unmet_and_yaml_booleans_are_expressions(tmp_path):
    policy = HEAD + textwrap.dedent("""\
        rules:
          - id: a
            title: a
            when: true
            require: false
            final: true
          - id: b
            title: b
            require: false
            blocked_when: false
          - id: c
            title: c
            when: false
            require: true
        """)
    result = Engine.load(write(tmp_path / "p", {"p.yaml": policy})).check(RECORD, "2020-01-01")
    assert tuple(result.outcomes) == ("blocked", "unmet", "not_applicable")
    assert result.decision == "ineligible"


def test_final_and_blocked_when_together_are_refused(tmp_path):
    policy = HEAD + "rules:\n  - id: a\n    title: a\n    require: false\n    final: true\n    blocked_when: true\n"
    assert problems(write(tmp_path / "p", {"p.yaml": policy})) == [
        ("policy-structure", 8, 12, "rule `a` gives both `final` and `blocked_when`")]


def test_final_false_in_an_override_ends_an_inherited_final(tmp_path):
    folder = write(tmp_path / "p", {"a.yaml": BASE, "b.yaml": """\
        policy: p
        version: "2"
        effective_from: 2021-07-01
        extends: "1"
        rules:
          - id: exams.limit
            final: false
        """})
    many = dict(record(), exams=[{"exam": "USMLE_STEP1", "date": "2010-01-01", "result": "fail"}] * 6)
    assert Engine.load(folder).check(many, "2022-01-01").outcomes[0] == "unmet"


def test_no_bundled_rule_says_blocked_when_true():
    for path in (ROOT / "policies" / "ecfmg-certification").glob("*.yaml"):
        text = path.read_text()
        assert 'blocked_when: "true"' not in text and "blocked_when: true" not in text, path
        assert "blocked_when: not " not in text, path


# --- definitions an editor can review -------------------------------------------------------

def test_definitions_carry_titles_and_lint_can_require_them(tmp_path):
    policy = HEAD + textwrap.dedent("""\
        definitions:
          graduate:
            title: The applicant has graduated
            description: As the record's status says.
            value: applicant.status == "graduate"
          named: applicant.name.given != null
          unused_by_rules: "1"
        rules:
          - id: a
            title: a
            require: graduate and named
        outputs:
          n: unused_by_rules
        """)
    folder = write(tmp_path / "p", {"p.yaml": policy})
    d = {d.name: d for d in Engine.load(folder).policies.versions[0].policy.definitions}
    assert (d["graduate"].title, d["graduate"].description, d["named"].title) == (
        "The applicant has graduated", "As the record's status says.", None)
    assert "untitled-definition" not in invoke("lint", "--format", "json", str(folder)).stdout
    result = invoke("lint", "--require-titles", str(folder))
    assert result.returncode == 0  # a warning
    assert "p.yaml:9:3: warning: definition `named`, read by rule `a`, has no title" in result.stdout
    assert "unused_by_rules" not in result.stdout and "`graduate`" not in result.stdout


def test_every_definition_the_bundled_rules_read_has_a_title():
    result = invoke("lint", "--strict", "--require-titles", str(ROOT / "policies"))
    assert result.returncode == 0, result.stdout


def test_versions_shows_the_titles_of_changed_definitions():
    result = invoke("versions", "--policy", str(ROOT / "policies"))
    assert ("definition barring_steps added: The Steps that bar the examinee from applying for any Step"
            in result.stdout)
