"""`to_meet` and `timeline`: what a policy tells an explanation, and that `check` never reads it.

A rule's ``to_meet`` maps labels a person reads to expressions ("Still to pay
(USD)": what is owed); the policy's ``timeline`` gives the windows to draw and
the start of the one that counts.  ``ecfmg-policy explain`` evaluates them with
the reference interpreter.  Here: how they load, what the checker refuses in
them (positioned like every other expression), how versions inherit, override
and report them, that the checker's cost bound covers them (an explanation runs
within the budget of one record, and a hostile ``to_meet`` is refused before
anything runs), that ``fmt`` places them, that ``check`` gives exactly the same
results with or without them, and the values the bundled policies give for the
example records.
"""

from __future__ import annotations

import copy
import datetime
import json
import textwrap
from pathlib import Path

import pytest
import yaml

from cli_helpers import ROOT, invoke
from ecfmg_policy.api import Engine
from ecfmg_policy.errors import PolicyError
from ecfmg_policy.evaluator.compiler.runtime import RECORD_STEPS, BudgetExceeded
from ecfmg_policy.evaluator.evaluation.interpreter import Interpreter, _Run
from ecfmg_policy.evaluator.policy import model as m
from ecfmg_policy.evaluator.records.records import convert_dates
from ecfmg_policy.evaluator.tools.fmt import format_text
from ecfmg_policy.evaluator.tools.lint import lint_paths

EXAMPLES = ROOT / "examples"
BUNDLED = ROOT / "policies" / "ecfmg-certification"
PENDING = json.loads((EXAMPLES / "pending.json").read_text())
ELIGIBLE = json.loads((EXAMPLES / "eligible.json").read_text())

POLICY = """\
policy: tm
version: "1"
effective_from: 2004-06-14
source: The seed page.
params:
  fee: 75
  window: 7 years
definitions:
  paid:
    title: What was paid
    value: coalesce(applicant.application.fee_paid_usd, 0)
  owed:
    title: What is still owed
    value: max(0, params.fee - paid)
  starts:
    title: The days a window starts
    value: '[a.date for a in applicant.exams if a.result == "pass"]'
  windows:
    title: One window for each pass
    value: '[{start: s, end: s + params.window, exam: "x"} for s in starts]'
rules:
  - id: application.fee
    title: Fee paid
    require: paid >= params.fee
    message: Pay the fee
    to_meet:
      Still to pay (USD): owed
      Fee (USD): params.fee
    source: '"Current Application Fee: $75 USD"'
timeline:
  windows: windows
  current: min(starts)
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder


def changed(old: str, new: str, text: str = POLICY) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def where(text: str, needle: str) -> tuple[int, int]:
    index = text.index(needle)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def diagnostics(folder: Path, **options) -> list[tuple]:
    report = lint_paths([folder], **options)
    return [(d.severity, d.code, d.position.line if d.position else None, d.position.column if d.position else None,
             d.message, d.hint) for d in report.diagnostics]


def errors(folder: Path) -> list[tuple]:
    """Only the errors (what a mistake leaves unused is warned about too)."""
    return [d for d in diagnostics(folder) if d[0] == "error"]


def interpreted(compiled, record: dict, as_of: datetime.date, data) -> tuple[_Run, dict, dict]:
    """One record's run as an explanation makes it: every definition, every rule, then each
    rule's `to_meet` and the timeline, in one run (one budget).  Returns the run, the
    `to_meet` values by rule id and label, and the timeline's values."""
    interpreter = Interpreter(compiled.checked, data)
    run = _Run(interpreter, {"applicant": convert_dates("applicant", copy.deepcopy(record)), "data": data,
                             "as_of": as_of, "params": interpreter.params})
    run.compute_definitions()
    policy = compiled.checked.policy
    to_meet = {}
    for rule in policy.rules:
        run.outcome(rule)
        to_meet[rule.id] = {label: run.part(expression) for label, expression in rule.to_meet}
    timeline = {}
    if policy.timeline is not None:
        timeline["windows"] = run.part(policy.timeline.windows)
        if policy.timeline.current is not None:
            timeline["current"] = run.part(policy.timeline.current)
    return run, to_meet, timeline


# --- loading -----------------------------------------------------------------------------------


def test_a_rule_holds_its_to_meet_in_order_and_the_policy_its_timeline(tmp_path):
    folder = write(tmp_path / "tm", {"p.yaml": POLICY})
    policy = Engine.load(folder).policies.versions[0].policy
    rule = policy.rules[0]
    assert [(label, e.text) for label, e in rule.to_meet] == [("Still to pay (USD)", "owed"), ("Fee (USD)", "params.fee")]
    assert isinstance(policy.timeline, m.Timeline)
    assert (policy.timeline.windows.text, policy.timeline.current.text) == ("windows", "min(starts)")
    assert policy.timeline.position.line == where(POLICY, "timeline:")[0]
    assert rule.to_meet[0][1].locate(0).line == where(POLICY, "Still to pay")[0]  # errors land on its line
    assert m.RULE_FIELDS.index("to_meet") == m.RULE_FIELDS.index("blocked_message") + 1
    checked = Engine.load(folder).policies.versions[0].checked.policy  # the trees explain evaluates: typed
    assert [str(e.tree.type) for _, e in checked.rules[0].to_meet] == ["number", "number"]
    assert (str(checked.timeline.windows.tree.type), str(checked.timeline.current.tree.type)) == ("list", "date")
    assert m.RULE_FIELDS.index("source") == m.RULE_FIELDS.index("to_meet") + 1


def test_without_them_a_rule_has_no_to_meet_and_the_policy_no_timeline(tmp_path):
    text = POLICY[:POLICY.index("timeline:")].replace(
        "    to_meet:\n      Still to pay (USD): owed\n      Fee (USD): params.fee\n", "")
    text = text.replace("  owed:\n    title: What is still owed\n    value: max(0, params.fee - paid)\n", "")
    text = text.replace("  windows:\n    title: One window for each pass\n"
                        "    value: '[{start: s, end: s + params.window, exam: \"x\"} for s in starts]'\n", "")
    folder = write(tmp_path / "tm", {"p.yaml": text.replace("  window: 7 years\n", "")})
    policy = Engine.load(folder).policies.versions[0].policy
    assert (policy.rules[0].to_meet, policy.timeline) == ((), None)


def test_definitions_read_only_by_to_meet_or_the_timeline_are_used_and_need_titles(tmp_path):
    folder = write(tmp_path / "tm", {"p.yaml": POLICY})
    assert diagnostics(folder, require_titles=True) == []  # `owed` and `windows`: read, and titled
    text = changed("  owed:\n    title: What is still owed\n    value: max(0, params.fee - paid)\n",
                   "  owed: max(0, params.fee - paid)\n")
    text = changed("  windows:\n    title: One window for each pass\n    value: ",
                   "  windows: ", text)
    write(folder, {"p.yaml": text})
    assert diagnostics(folder, require_titles=True) == [
        ("warning", "untitled-definition", where(text, "  owed:")[0], 3,
         "definition `owed`, read by rule `application.fee`, has no title",
         "write it as `owed: {title: ..., value: ...}`"),
        ("warning", "untitled-definition", where(text, "  windows:")[0], 3,
         "definition `windows`, read by the timeline, has no title",
         "write it as `windows: {title: ..., value: ...}`")]
    assert diagnostics(folder) == []  # without --require-titles: nothing unused


def test_the_bundled_definitions_only_explanations_read_are_not_unused():
    policy = Engine.load().policies.versions[1].policy  # 2021.1
    reads = {label: e.text for rule in policy.rules for label, e in rule.to_meet}
    assert "verification_awaited" in reads["Awaited"]
    assert "step2_cs_deadline" in reads["For a Step 2 CS pass to count as well, pass them by"]
    assert lint_paths([ROOT / "policies"], require_titles=True).diagnostics == ()


# --- what the checker refuses ------------------------------------------------------------------


def test_a_type_error_in_to_meet_is_placed_at_its_expression(tmp_path):
    text = changed("      Fee (USD): params.fee\n", "      Fee (USD): params.fee + \"USD\"\n")
    folder = write(tmp_path / "tm", {"p.yaml": text})
    line, column = where(text, 'params.fee + "USD"')
    assert diagnostics(folder) == [("error", "type", line, column, "cannot add number and string",
                                    "strings cannot be added or subtracted; use join([a, b], \" \") to build text")]
    with pytest.raises(PolicyError):  # check refuses the policy too: it must be sound before anything runs
        Engine.load(folder)


def test_decision_cannot_be_read_in_to_meet(tmp_path):
    text = changed("      Fee (USD): params.fee\n", "      Decided: decision\n")
    folder = write(tmp_path / "tm", {"p.yaml": text})
    line, column = where(text, "decision\n")
    assert diagnostics(folder) == [("error", "unknown-name", line, column, "unknown name `decision`",
                                    "`decision` can only be read in outputs")]


def test_an_unknown_name_in_to_meet_gets_a_did_you_mean(tmp_path):
    text = changed("      Still to pay (USD): owed\n", "      Still to pay (USD): owd\n")
    folder = write(tmp_path / "tm", {"p.yaml": text})
    line, column = where(text, "owd\n")
    assert errors(folder) == [("error", "unknown-name", line, column, "unknown name `owd`",
                                    "did you mean `owed`?")]


def test_a_syntax_error_in_to_meet_is_placed_in_it(tmp_path):
    text = changed("      Fee (USD): params.fee\n", "      Fee (USD): params.fee &&\n")
    folder = write(tmp_path / "tm", {"p.yaml": text})
    [found] = diagnostics(folder)
    assert found[:4] == ("error", "syntax", where(text, "&&")[0], where(text, "&&")[1])


LABEL = "This label runs on and on, well past the eighty characters a person reads at a glance"


@pytest.mark.parametrize("label, message", [
    (f"{LABEL}", f"`{LABEL[:40]}… ({len(LABEL) - 40} more characters)`: {len(LABEL)} characters long; "
                 "at most 80 are allowed here"),
    ('"Still to pay\\n(USD)"', "`Still to pay\n(USD)` does not have the expected form: expected a label on one "
                              "line, without spaces before or after it, such as Still to pay (USD)"),
    ('" Still to pay"', "` Still to pay` does not have the expected form: expected a label on one line, without "
                        "spaces before or after it, such as Still to pay (USD)"),
    ('""', "`` does not have the expected form: expected a label on one line, without spaces before or after it, "
           "such as Still to pay (USD)"),
])
def test_a_label_is_one_line_of_at_most_80_characters(tmp_path, label, message):
    assert len(LABEL) > 80
    text = changed("      Fee (USD): params.fee\n", f"      {label}: params.fee\n")
    folder = write(tmp_path / "tm", {"p.yaml": text})
    assert diagnostics(folder) == [("error", "policy-structure", *where(text, f"{label}: params.fee"), message, None)]


def test_a_label_given_twice_is_refused(tmp_path):
    text = changed("      Fee (USD): params.fee\n", "      Fee (USD): params.fee\n      Fee (USD): owed\n")
    folder = write(tmp_path / "tm", {"p.yaml": text})
    [found] = diagnostics(folder)
    assert found[:4] == ("error", "yaml-duplicate-key", where(text, "      Fee (USD): owed")[0], 7)


def test_to_meet_is_a_mapping_of_labels_to_expressions(tmp_path):
    text = changed("    to_meet:\n      Still to pay (USD): owed\n      Fee (USD): params.fee\n",
                   "    to_meet: [owed]\n")
    folder = write(tmp_path / "tm", {"p.yaml": text})
    assert diagnostics(folder) == [("error", "policy-structure", *where(text, "[owed]"),
                                    "expected an object, got a list", None)]


WANTED = "`windows` must be a list of windows, each an object with `start` and `end` dates"


@pytest.mark.parametrize("windows, message, hint", [
    ("params.fee", f"{WANTED}, but this is a number",
     "for example `[{start: s, end: s + params.exam_window} for s in window_starts]`"),
    ('"null"', f"{WANTED}, but this is always null",
     "for example `[{start: s, end: s + params.exam_window} for s in window_starts]`"),
    ("starts", f"{WANTED}, but it is a list of dates",
     "for example `[{start: s, end: s + params.exam_window} for s in window_starts]`"),
    ("'[{start: s, ending: s} for s in starts]'", f"{WANTED}, but its windows have no `end` (fields: start, ending)",
     "did you mean `ending`?"),
    ("'[{first: s, end: s} for s in starts]'", f"{WANTED}, but its windows have no `start` (fields: first, end)",
     "for example `[{start: s, end: s + params.exam_window} for s in window_starts]`"),
    ("'[{start: s, end: 7} for s in starts]'", f"{WANTED}, but the `end` of its windows is a number",
     "give each window's first and last day as dates"),
    ("'[{start: \"2004-06-14\", end: s} for s in starts]'", f"{WANTED}, but the `start` of its windows is a string",
     "give each window's first and last day as dates"),
    ("'{s: 1 for s in [\"a\"]}'", f"{WANTED}, but this is an object",
     "for example `[{start: s, end: s + params.exam_window} for s in window_starts]`"),
    ("'[{k: 1 for k in [\"start\", \"end\"]}]'", f"{WANTED}, but the fields of its windows are numbers",
     "give each window's first and last day as dates"),
])
def test_timeline_windows_must_be_a_list_of_objects_with_start_and_end_dates(tmp_path, windows, message, hint):
    text = changed("  windows: windows\n", f"  windows: {windows}\n")
    folder = write(tmp_path / "tm", {"p.yaml": text})
    line, column = where(text, f"  windows: {windows}")
    column += len("  windows: ") + (1 if windows[0] in "'\"" else 0)
    assert errors(folder) == [("error", "type", line, column, message, hint)]


@pytest.mark.parametrize("windows", [
    "windows", "'[]'", "'[{start: s, end: s + params.window} for s in starts]'",
    "'[{start: null, end: s} for s in starts]'", "'[{start: s, end: s, label: \"x\", n: 1} for s in starts]'",
    "'if as_of > 2020-01-01 then windows else []'", "applicant.notes.windows",
])
def test_timeline_windows_the_checker_cannot_fault_pass(tmp_path, windows):
    folder = write(tmp_path / "tm", {"p.yaml": changed("  windows: windows\n", f"  windows: {windows}\n")})
    assert errors(folder) == []


@pytest.mark.parametrize("current, message", [
    ("params.fee", "`current` must be a date, the first day of the window that counts, but this is a number"),
    ("starts", "`current` must be a date, the first day of the window that counts, but this is a list"),
    ('\'"2004-06-14"\'', "`current` must be a date, the first day of the window that counts, but this is a string"),
])
def test_timeline_current_must_be_a_date(tmp_path, current, message):
    text = changed("  current: min(starts)\n", f"  current: {current}\n")
    folder = write(tmp_path / "tm", {"p.yaml": text})
    line, column = where(text, f"  current: {current}")
    column += len("  current: ") + (1 if current[0] == "'" else 0)
    assert diagnostics(folder) == [("error", "type", line, column, message,
                                    "give the start of the window that counts, or null")]


def test_timeline_current_may_be_null_or_left_out(tmp_path):
    folder = write(tmp_path / "tm", {"p.yaml": changed("  current: min(starts)\n", "  current: 'null'\n")})
    assert diagnostics(folder) == []
    folder = write(tmp_path / "tm2", {"p.yaml": changed("  current: min(starts)\n", "")})
    assert diagnostics(folder) == []
    assert Engine.load(folder).policies.versions[0].policy.timeline.current is None


def test_an_unknown_key_in_the_timeline_gets_a_did_you_mean(tmp_path):
    text = changed("  current: min(starts)\n", "  curent: min(starts)\n")
    folder = write(tmp_path / "tm", {"p.yaml": text})
    assert diagnostics(folder) == [("error", "policy-structure", *where(text, "curent"), "unknown key `curent`",
                                    "did you mean `current`?")]


def test_a_timeline_without_windows_is_refused(tmp_path):
    text = changed("  windows: windows\n", "")
    folder = write(tmp_path / "tm", {"p.yaml": text})
    line, _ = where(text, "  current:")
    assert diagnostics(folder) == [("error", "policy-structure", line, 3, "'windows' is required but missing", None)]


def test_decision_cannot_be_read_in_the_timeline(tmp_path):
    text = changed("  current: min(starts)\n", '  current: if decision == "eligible" then as_of else null\n')
    folder = write(tmp_path / "tm", {"p.yaml": text})
    line, column = where(text, 'decision == "eligible"')
    assert diagnostics(folder)[0] == ("error", "unknown-name", line, column, "unknown name `decision`",
                                      "`decision` can only be read in outputs")


# --- the budget: an explanation runs within one record's ---------------------------------------

HOSTILE = "'count([[[1 for c in applicant.exams] for b in applicant.exams] for a in applicant.exams])'"


def test_a_hostile_to_meet_is_refused_by_the_cost_bound_at_its_place(tmp_path):
    text = changed("      Fee (USD): params.fee\n", f"      Loops: {HOSTILE}\n")
    folder = write(tmp_path / "tm", {"p.yaml": text})
    [found] = diagnostics(folder)
    line, column = where(text, "[[[1 for c")
    assert found[:4] == ("error", "cost", line, column)
    assert found[4].startswith("`to_meet` of rule `application.fee` (Loops) can take up to ")
    assert f"over the budget of {RECORD_STEPS:,}" in found[4]


def test_a_hostile_timeline_is_refused_by_the_cost_bound(tmp_path):
    hostile = HOSTILE.strip("'")
    text = changed("  current: min(starts)\n", f"  current: if {hostile} > 0 then as_of else null\n")
    folder = write(tmp_path / "tm", {"p.yaml": text})
    [found] = diagnostics(folder)
    assert found[1:3] == ("cost", where(text, "  current:")[0])
    assert found[4].startswith("`current` of the timeline can take up to ")


def test_the_bound_counts_to_meet_and_the_timeline(tmp_path):
    """Each is a part of the policy's bound, shown whole as an output is."""
    folder = write(tmp_path / "tm", {"p.yaml": POLICY})
    cost = Engine.load(folder).policies.versions[0].checked.cost
    parts = dict(cost.parts)
    assert {"`to_meet` of rule `application.fee` (Still to pay (USD))", "`to_meet` of rule `application.fee` (Fee (USD))",
            "`windows` of the timeline", "`current` of the timeline"} <= parts.keys()
    assert cost.steps == pytest.approx(sum(parts.values()))


NOTES = POLICY.replace("      Fee (USD): params.fee\n",
                       "      Notes: count(x for x in applicant.notes.items if x != null)\n")


def test_a_to_meet_over_a_value_no_schema_bounds_stops_at_the_budget(tmp_path):
    """`notes` has no size cap: the bound assumes one, and the interpreter counts every step,
    so evaluating the `to_meet` for a record with a huge note stops with the budget error."""
    folder = write(tmp_path / "tm", {"p.yaml": NOTES})
    engine = Engine.load(folder)
    compiled = engine.policies.versions[0]
    record = dict(copy.deepcopy(ELIGIBLE), notes={"items": list(range(1_200_000))})
    assert engine.check(record, "2020-06-01").errors == ()  # check never reads it
    with pytest.raises(BudgetExceeded):
        interpreted(compiled, record, datetime.date(2020, 6, 1), engine.data)
    _, values, _ = interpreted(compiled, dict(ELIGIBLE, notes={"items": [1, None, 2]}), datetime.date(2020, 6, 1),
                               engine.data)
    assert values["application.fee"]["Notes"] == 2


@pytest.mark.parametrize("name", ["pending", "eligible", "ineligible", "not-applicable"])
def test_an_explanation_of_a_bundled_version_stays_within_the_checked_bound(name):
    engine = Engine.load()
    record = json.loads((EXAMPLES / f"{name}.json").read_text())
    for compiled in engine.policies.versions:
        as_of = max(compiled.policy.effective_from, datetime.date(2020, 6, 1))
        run, _, timeline = interpreted(compiled, record, as_of, engine.data)
        assert 0 < run.steps <= compiled.checked.cost.steps < RECORD_STEPS, compiled.policy.version
        assert "windows" in timeline


# --- check never evaluates them ----------------------------------------------------------------


def _without_explanations(source: Path, target: Path) -> Path:
    """A copy of a policy folder with every `to_meet` and `timeline` removed (comments too)."""
    target.mkdir()
    for file in source.glob("*.yaml"):
        data = yaml.safe_load(file.read_text())
        data.pop("timeline", None)
        for rule in data.get("rules", []):
            rule.pop("to_meet", None)
        (target / file.name).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return target


def _results(folder: Path, as_of: str, *extra: str) -> list[dict]:
    records = sorted(str(p) for p in EXAMPLES.glob("*.json"))
    proc = invoke("check", *records, "--policy", folder, "--as-of", as_of, "--format", "json", *extra)
    assert "Traceback" not in proc.stderr
    results = json.loads(proc.stdout)["results"]
    for result in results:
        for key in ("file", "source"):  # the file: in another folder
            (result.get("policy") or {}).pop(key, None)
    return results


def test_check_gives_the_same_results_with_or_without_them(tmp_path):
    stripped = _without_explanations(BUNDLED, tmp_path / "stripped")
    assert "to_meet" not in "".join(f.read_text() for f in stripped.glob("*.yaml"))
    for as_of in ("2020-06-01", "2021-03-01", "2021-08-01", "2023-01-01"):
        assert _results(BUNDLED, as_of) == _results(stripped, as_of)
    assert _results(BUNDLED, "2023-01-01", "--policy-version", "2004.1") == \
        _results(stripped, "2023-01-01", "--policy-version", "2004.1")


def test_the_compiled_code_is_the_same_with_or_without_them(tmp_path):
    """The compiler reads neither, nor the definitions only they read (`verification_awaited`,
    `step2_cs_deadline`): the code `check` runs is the same, character for character."""
    stripped = Engine.load(_without_explanations(BUNDLED, tmp_path / "stripped"))
    bundled = Engine.load(BUNDLED)
    for before, after in zip(stripped.policies.versions, bundled.policies.versions):
        assert after.policy.timeline is not None and any(r.to_meet for r in after.policy.rules)
        assert before.policy.timeline is None and not any(r.to_meet for r in before.policy.rules)
        assert after.source_code == before.source_code, after.policy.version
        assert "verification_awaited" not in after.source_code and "step2_cs_deadline" not in after.source_code


def test_a_to_meet_that_fails_for_a_record_changes_nothing_check_says(tmp_path):
    broken = changed("      Fee (USD): params.fee\n", "      Fee (USD): params.fee / (paid - paid)\n")
    plain = changed("    to_meet:\n      Still to pay (USD): owed\n      Fee (USD): params.fee\n", "")
    engine = Engine.load(write(tmp_path / "broken", {"p.yaml": broken}))
    reference = Engine.load(write(tmp_path / "plain", {"p.yaml": plain}))
    for record in (PENDING, ELIGIBLE, dict(PENDING, application={"submitted_on": "2010-01-01", "fee_paid_usd": 10})):
        a, b = engine.check(record, "2020-06-01"), reference.check(record, "2020-06-01")
        assert (a.decision, a.outcomes, a.messages, a.outputs, a.errors) == \
            (b.decision, b.outcomes, b.messages, b.outputs, b.errors)


# --- versions: inherited, overridden by field, replaced, reported ------------------------------

LATER = """\
policy: tm
version: "2"
effective_from: 2021-07-01
extends: "1"
source: The 2021 page.
definitions:
  owed:
    title: What is still owed, in cents
    value: max(0, params.fee - paid) * 100
rules:
  - id: application.fee
    to_meet:
      Still to pay (cents): owed
"""

LATEST = """\
policy: tm
version: "3"
effective_from: 2022-01-01
extends: "2"
source: The 2022 page.
timeline:
  windows: windows
"""


def test_to_meet_is_overridden_by_field_and_the_timeline_inherited_then_replaced(tmp_path):
    folder = write(tmp_path / "tm", {"1.yaml": POLICY, "2.yaml": LATER, "3.yaml": LATEST})
    first, second, third = (c.policy for c in Engine.load(folder).policies.versions)
    rule = second.rules[0]
    assert [(label, e.text) for label, e in rule.to_meet] == [("Still to pay (cents)", "owed")]
    assert (rule.title, rule.require.text, rule.message.parts) == ("Fee paid", "paid >= params.fee", ("Pay the fee",))
    assert second.timeline == first.timeline  # inherited, positions and all
    assert third.rules[0].to_meet == rule.to_meet
    assert third.timeline.windows.text == "windows" and third.timeline.current is None  # replaced whole
    assert third.timeline.position.source.endswith("3.yaml")


def test_versions_reports_a_changed_to_meet_and_timeline(tmp_path):
    folder = write(tmp_path / "tm", {"1.yaml": POLICY, "2.yaml": LATER, "3.yaml": LATEST})
    text = invoke("versions", "--policy", folder).stdout
    second = text[text.index("\n2 "):text.index("\n3 ")]
    assert "rule application.fee changed: to_meet\n" in second
    assert "definition owed changed: What is still owed, in cents" in second
    assert "rules affected" not in second  # only `to_meet` reads `owed`: no outcome can differ
    assert "timeline" not in second
    assert text[text.index("\n3 "):].rstrip().endswith("timeline changed")
    entries = json.loads(invoke("versions", "--policy", folder, "--format", "json").stdout)["versions"]
    assert [e["changes"] and e["changes"]["timeline_changed"] for e in entries] == [None, None, "changed"]
    assert entries[1]["changes"]["rules_changed"] == [{"id": "application.fee", "fields": ["to_meet"]}]
    assert entries[1]["changes"]["rules_affected"] == []


def test_versions_says_when_a_timeline_is_added(tmp_path):
    first = POLICY[:POLICY.index("timeline:")].replace("  windows:\n    title", "  unused_windows:\n    title")
    folder = write(tmp_path / "tm", {"1.yaml": first, "3.yaml": LATEST.replace('extends: "2"', 'extends: "1"')
                                     .replace("  windows: windows", "  windows: unused_windows")})
    entries = json.loads(invoke("versions", "--policy", folder, "--format", "json").stdout)["versions"]
    assert entries[1]["changes"]["timeline_changed"] == "added"
    assert "           timeline added" in invoke("versions", "--policy", folder).stdout


def test_the_bundled_versions_report_what_they_change():
    entries = json.loads(invoke("versions", "--policy", BUNDLED, "--format", "json").stdout)["versions"]
    assert {"id": "exams.passed_in_window", "fields": ["title", "to_meet", "source"]} in \
        entries[1]["changes"]["rules_changed"]
    assert [e["changes"] and e["changes"]["timeline_changed"] for e in entries] == [None, None, None, None]


# --- fmt ---------------------------------------------------------------------------------------


def test_fmt_places_them_and_is_idempotent():
    scrambled = textwrap.dedent("""\
        timeline:
          current: min(starts)
          windows: windows
        policy: tm
        version: "1"
        effective_from: 2004-06-14
        rules:
          - source: the seed
            to_meet:
              # what is owed
              Still to pay (USD): owed
              A long one: >-
                max(0, (params.application_fee_usd at coalesce(application.submitted_on, as_of)) - coalesce(application.fee_paid_usd, 0))
            message: Pay
            require: 'true'
            title: Fee
            id: application.fee
        outputs:
          x: owed
        """)
    formatted = format_text(scrambled, place="policy")
    assert format_text(formatted, place="policy") == formatted
    assert formatted == textwrap.dedent("""\
        policy: tm
        version: "1"
        effective_from: 2004-06-14

        rules:
          - id: application.fee
            title: Fee
            require: "true"
            message: Pay
            to_meet:
              # what is owed
              Still to pay (USD): owed
              A long one: >-
                max(0, (params.application_fee_usd at coalesce(application.submitted_on, as_of)) -
                coalesce(application.fee_paid_usd, 0))
            source: the seed

        outputs:
          x: owed

        timeline:
          windows: windows
          current: min(starts)
        """)


def test_the_bundled_policies_are_formatted():
    proc = invoke("fmt", "--check", ROOT / "policies")
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- the bundled policies: what an explanation reads -------------------------------------------


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def explain(engine: Engine, record: dict, as_of: str, version: str | None = None) -> tuple[dict, dict]:
    day = datetime.date.fromisoformat(as_of)
    compiled = engine.policies.select(day, version)
    _, to_meet, timeline = interpreted(compiled, record, day, engine.data)
    return to_meet, timeline


D = datetime.date.fromisoformat


def test_the_seed_says_what_pending_still_needs(engine):
    to_meet, timeline = explain(engine, PENDING, "2020-06-01")
    assert to_meet["exams.passed_in_window"] == {
        "Exams still to pass": ["USMLE_STEP2_CK", "USMLE_STEP2_CS"],
        "Pass them by (no date until a pass opens a window)": D("2026-05-02"),
        "Window opened by the pass on": D("2019-05-02"),
        "Attempts left at each exam still to pass": {"USMLE_STEP2_CK": 5, "USMLE_STEP2_CS": 6}}
    assert to_meet["education.diploma_verified"] == {"Verification status": "pending",
                                                     "Awaited": "ECFMG's primary-source verification"}
    assert to_meet["education.diploma_received"] == {
        "Still awaited": "graduation, and receipt of the final medical diploma"}
    assert to_meet["application.fee"] == {"Fee due (USD)": 75, "Still to pay (USD)": 0}
    assert to_meet["education.academic_years"] == {"Academic years still to complete": 0}
    assert timeline == {"windows": [{"start": D("2019-05-02"), "end": D("2026-05-02"),
                                     "firsts": [D("2019-05-02"), None, None]}],
                        "current": D("2019-05-02")}


def test_the_fee_still_owed_is_the_fee_of_the_day_of_submission_less_what_was_paid(engine):
    for submitted, paid, due, owed in (("2022-03-01", 75, 160, 85), ("2021-12-31", 75, 75, 0),
                                       ("2022-01-01", 160, 160, 0), ("2022-02-01", 200, 160, 0)):
        record = dict(copy.deepcopy(PENDING), application=dict(PENDING["application"], submitted_on=submitted,
                                                                fee_paid_usd=paid))
        to_meet, _ = explain(engine, record, "2022-06-01")
        assert to_meet["application.fee"] == {"Fee due (USD)": due, "Still to pay (USD)": owed}, submitted
    record = dict(copy.deepcopy(PENDING), application=dict(PENDING["application"], submitted_on="2022-09-01"))
    to_meet, _ = explain(engine, record, "2022-06-01")  # submitted after the as-of date: nothing paid yet
    assert to_meet["application.fee"] == {"Fee due (USD)": 160, "Still to pay (USD)": 160}
    assert to_meet["application.submitted"] == {"Submitted after the as-of date, on": D("2022-09-01")}


def test_years_diploma_and_credentials_still_to_come(engine):
    record = copy.deepcopy(PENDING)
    record["education"].update(academic_years_completed=3,
                                credentials={"transcript": {"status": "verified", "verified_on": "2020-09-01"}})
    to_meet, _ = explain(engine, record, "2020-06-01")
    assert to_meet["education.academic_years"] == {"Academic years still to complete": 1}
    assert to_meet["education.diploma_verified"] == {
        "Verification status": "not_submitted", "Awaited": "its submission to ECFMG for primary-source verification"}
    assert to_meet["education.transcript_verified"] == {  # verified after the as-of date: pending on it
        "Verification status": "pending", "Awaited": "ECFMG's primary-source verification"}
    graduate = copy.deepcopy(ELIGIBLE)
    graduate["education"].update(diploma_received=False, graduation_date="2020-07-01")
    to_meet, _ = explain(engine, graduate, "2020-06-01")
    assert to_meet["education.diploma_received"] == {
        "Still awaited": "graduation (dated 2020-07-01) and receipt of the final medical diploma"}
    assert to_meet["education.diploma_verified"]["Awaited"] is None


def test_the_2021_versions_give_the_exams_deadline_and_the_pathway(engine):
    to_meet, timeline = explain(engine, PENDING, "2022-06-01")  # 2022.1: four attempts
    assert to_meet["exams.passed_in_window"] == {
        "Exams still to pass": ["USMLE_STEP2_CK"],
        "Pass them by (no date until a Step 1 or Step 2 CK pass opens a window)": D("2026-05-02"),
        "Window opened by the pass on": D("2019-05-02"),
        "For a Step 2 CS pass to count as well, pass them by": None,
        "Attempts left at each exam still to pass": {"USMLE_STEP2_CK": 3}}
    assert to_meet["exams.clinical_skills"] == {
        "Pathway status": "none",
        "Still needed for the Pathway route": ["a Pathway with status met", "a passing OET Medicine result"]}
    assert timeline["current"] == D("2019-05-02") and len(timeline["windows"][0]["firsts"]) == 2
    with_oet = dict(copy.deepcopy(PENDING), pathway={"id": "1", "status": "pending"},
                    exams=PENDING["exams"] + [{"exam": "OET_MEDICINE", "date": "2021-02-01", "result": "pass"}])
    to_meet, _ = explain(engine, with_oet, "2021-06-01")  # 2021.1: six attempts
    assert to_meet["exams.clinical_skills"] == {"Pathway status": "pending",
                                                "Still needed for the Pathway route": ["a Pathway with status met"]}
    assert to_meet["exams.passed_in_window"]["Attempts left at each exam still to pass"] == {"USMLE_STEP2_CK": 5}


def test_a_window_a_step2_cs_pass_opened_has_two_dates(engine):
    """tests/v2021.1-14: the message reads "Pass USMLE_STEP2_CK by 2023-06-01 (by 2022-01-01 for
    your Step 2 CS pass of 2015-01-01 to count as well)"; what would meet it says the same."""
    record = copy.deepcopy(ELIGIBLE)
    record["exams"] = [{"exam": "USMLE_STEP2_CS", "date": "2015-01-01", "result": "pass"},
                       {"exam": "USMLE_STEP1", "date": "2016-06-01", "result": "pass"}]
    to_meet, timeline = explain(engine, record, "2021-03-01")
    assert to_meet["exams.passed_in_window"] == {
        "Exams still to pass": ["USMLE_STEP2_CK"],
        "Pass them by (no date until a Step 1 or Step 2 CK pass opens a window)": D("2023-06-01"),
        "Window opened by the pass on": D("2015-01-01"),
        "For a Step 2 CS pass to count as well, pass them by": D("2022-01-01"),
        "Attempts left at each exam still to pass": {"USMLE_STEP2_CK": 6}}
    assert [(w["start"], w["end"]) for w in timeline["windows"]] == [(D("2015-01-01"), D("2022-01-01")),
                                                                     (D("2016-06-01"), D("2023-06-01"))]
    assert timeline["current"] == D("2015-01-01")


def test_no_date_while_no_window_is_open_and_none_for_exams_that_cannot_be_passed(engine):
    record = copy.deepcopy(ELIGIBLE)
    record["exams"] = [{"exam": "USMLE_STEP1", "date": "2005-03-01", "result": "pass"}]
    to_meet, timeline = explain(engine, record, "2013-01-10")
    assert to_meet["exams.passed_in_window"]["Pass them by (no date until a pass opens a window)"] is None
    assert to_meet["exams.passed_in_window"]["Window opened by the pass on"] is None
    assert timeline["current"] is None and timeline["windows"][0]["end"] == D("2012-03-01")
    record["exams"] = [{"exam": "USMLE_STEP1", "date": "2012-04-04", "result": "pass"}] + [
        {"exam": "USMLE_STEP2_CK", "date": f"201{i}-05-01", "result": "fail"} for i in range(2, 8)]
    to_meet, _ = explain(engine, record, "2018-01-04")  # six Step 2 CK failures: exams.attempt_limit is blocked
    assert to_meet["exams.passed_in_window"]["Exams still to pass"] == ["USMLE_STEP2_CS"]
    assert to_meet["exams.passed_in_window"]["Attempts left at each exam still to pass"] == {"USMLE_STEP2_CS": 6}


@pytest.mark.parametrize("name", ["pending", "eligible", "ineligible", "not-applicable"])
def test_every_bundled_to_meet_reads_well_for_the_examples(engine, name):
    """Every label is one short line; every value is something a person can read (no error)."""
    record = json.loads((EXAMPLES / f"{name}.json").read_text())
    for compiled in engine.policies.versions:
        for as_of in (compiled.policy.effective_from, datetime.date(2030, 1, 1)):
            to_meet, timeline = explain(engine, record, as_of.isoformat(), compiled.policy.version)
            for rule, values in to_meet.items():
                for label in values:
                    assert 0 < len(label) <= 80 and "\n" not in label
            assert all(w["start"] <= w["end"] for w in timeline["windows"])


def test_an_empty_to_meet_in_a_later_version_drops_the_inherited_one(tmp_path):
    later = LATER.replace("    to_meet:\n      Still to pay (cents): owed\n", "    to_meet: {}\n")
    later = later[:later.index("definitions:")] + later[later.index("rules:"):]
    folder = write(tmp_path / "tm", {"1.yaml": POLICY, "2.yaml": later})
    first, second = (c.policy for c in Engine.load(folder).policies.versions)
    assert len(first.rules[0].to_meet) == 2 and second.rules[0].to_meet == ()
    assert "rule application.fee changed: to_meet\n" in invoke("versions", "--policy", folder).stdout
