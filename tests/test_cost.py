"""What a policy may cost per record (issue 8, items 2 and 3; guide §13, "Limits and safety").

Three promises, each tested through what a user sees:

- the checker bounds every policy's work per record before anything runs, and
  refuses one over the budget at the place that costs the most (``lint`` and
  every command that loads policies);
- where that bound rests on an assumed size (free-form ``notes``), evaluation
  charges a budget per record, so the rule becomes ``error`` with a clear
  message, in bounded time, and the other rules and records are still decided;
- the bundled policies are near-linear in the number of exam attempts: the
  steps they take, counted by the compiled code itself, about double when the
  attempts double (the quadratic definitions they replaced are shown to fail
  the same measure).
"""

from __future__ import annotations

import copy
import datetime
import json
import re
import time
import warnings
from pathlib import Path

import pytest

from cli_helpers import ROOT, invoke
from ecfmg_policy.api import Engine
from ecfmg_policy.errors import PolicyError
from ecfmg_policy.evaluator.language import nodes as n
from ecfmg_policy.evaluator.compiler.compiler import compile_policy
from ecfmg_policy.evaluator.evaluation.evaluate import make_decider
from ecfmg_policy.evaluator.evaluation.interpreter import Interpreter
from ecfmg_policy.evaluator.records.records import convert_dates
from ecfmg_policy.evaluator.compiler.runtime import RECORD_STEPS, steps_used
from test_language import AS_OF, RECORD, load, output_place, policy_text, value_of

POLICIES = ROOT / "policies" / "ecfmg-certification"
ELIGIBLE = json.loads((ROOT / "examples" / "eligible.json").read_text())
BOUND = 20  # seconds: only to catch a hang or a blow-up


def lint(path: Path):
    start = time.monotonic()
    proc = invoke("lint", path)  # the command's entry point, in process
    assert time.monotonic() - start < BOUND, "lint took too long"
    assert "Traceback" not in proc.stdout + proc.stderr and proc.returncode != 4, proc.stderr
    return proc


def write(tmp_path: Path, outputs: dict[str, str], definitions: dict[str, str], require: str = "true") -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(policy_text(outputs, definitions, require), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


# --- the static bound: refused before anything runs ---------------------------------------------

NESTED = "count(a for a in applicant.exams if any(any(any(any(true for e in applicant.exams) " \
         "for d in applicant.exams) for c in applicant.exams) for b in applicant.exams))"

HOSTILE = {
    # loops nested five deep over the 100 attempts a record may hold: 10^10 steps
    "loops nested five deep": ({"nested": NESTED}, {"v": "nested"}, "nested:"),
    # text that doubles at every definition: 2^30 x 4 characters
    "doubling text": ({"t0": 'join(["ab", "cd"], "")',
                       **{f"t{i}": f'join([t{i - 1}, t{i - 1}], "")' for i in range(1, 31)}},
                      {"v": "t30"}, "t30:"),
    # a list of the same list twice, forty times over: tiny in memory, 2^40 items when written
    "doubling lists": ({"l0": "[1]", **{f"l{i}": f"[l{i - 1}, l{i - 1}]" for i in range(1, 41)}},
                       {"v": "l40"}, "  v:"),
    # a function calling the one before twice: 2^40 calls, no loop anywhere
    "doubling calls": ({"f0(x)": "x + 1", **{f"f{i}(x)": f"f{i - 1}(x) + f{i - 1}(x)" for i in range(1, 41)}},
                       {"v": "f40(1)"}, "  v:"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_policy_over_the_budget_is_refused_by_lint_at_its_costliest_place(tmp_path, name):
    definitions, outputs, where = HOSTILE[name]
    path = write(tmp_path, outputs, definitions)
    proc = lint(path)
    assert proc.returncode == 3, proc.stdout + proc.stderr  # a broken policy
    report = proc.stdout + proc.stderr
    assert "evaluation steps for one record, over the budget of 1,000,000" in report
    assert f"policy.yaml:{line_of(path, where)}:" in report, report
    assert "Limits and safety" in report  # what to do, and where to read why


def test_the_refusal_names_the_loop_that_multiplies(tmp_path):
    path = write(tmp_path, {"v": "nested"}, {"nested": NESTED})
    report = lint(path).stdout
    line = line_of(path, "nested:")
    column = path.read_text().splitlines()[line - 1].index("count(") + 1
    assert f"policy.yaml:{line}:{column}: error: definition `nested` can take up to" in report, report
    assert "this call of `count`" in report
    assert "loops inside loops multiply" in report


def test_every_command_refuses_the_policy_lint_refuses(tmp_path):
    path = write(tmp_path, {"v": "nested"}, {"nested": NESTED})
    record = tmp_path / "r.json"
    record.write_text(json.dumps(ELIGIBLE))
    start = time.monotonic()
    proc = invoke("check", record, "--policy", path, "--as-of", "2020-06-01")
    assert time.monotonic() - start < BOUND
    assert proc.returncode == 3 and "Traceback" not in proc.stderr  # a broken policy
    assert "over the budget of 1,000,000" in proc.stderr


def test_the_quadratic_window_definitions_of_0_1_are_over_the_budget(tmp_path):
    """What the bundled versions said in 0.1 (each window's first passes, and the first Step 2 CS
    pass, looked for by walking every pass once per window) is refused now: with the cap of 100
    attempts it could take 1.4 million steps."""
    folder = tmp_path / "policies"
    folder.mkdir()
    for file in POLICIES.glob("*.yaml"):
        (folder / file.name).write_text(file.read_text())
    for name, new, old in QUADRATIC:
        text = (folder / name).read_text()
        assert new in text
        (folder / name).write_text(text.replace(new, old))
    proc = lint(folder)
    assert proc.returncode == 3
    assert "2004-06-14.yaml:107:7: error: definition `windows` can take up to" in proc.stdout
    assert "error: definition `step2_cs_valid_on` can take up to" in proc.stdout


QUADRATIC = [  # (file, what it says now, what it said in 0.1)
    ("2004-06-14.yaml", "firsts: [earliest_from(pass_days[e], s) for e in params.required_exams]}",
     "firsts: [min(p.date for p in passes if p.exam == e and p.date >= s)\n"
     "               for e in params.required_exams]}"),
    ("2021-01-26.yaml", 'first_step2_cs_pass_from(start): earliest_from(pass_days["USMLE_STEP2_CS"], start)',
     'first_step2_cs_pass_from(start): >-\n'
     '    min(p.date for p in passes if p.exam == "USMLE_STEP2_CS" and p.date >= start)'),
    ("2021-01-26.yaml", "    if exams_deadline != null then null\n"
                        "    else max(s for s in window_starts if s >= current_window_start)",
     "    max(s for s in window_starts if s >= current_window_start and not (s in required_pass_days))"),
]


def _expressions(policy):
    found = []
    policy.with_expressions(lambda e: found.append(e) or e)
    return found


def test_bundled_versions_are_bounded_well_inside_the_budget_with_nothing_to_charge():
    for compiled in Engine.load().policies.versions:
        cost = compiled.checked.cost
        assert cost.steps < RECORD_STEPS / 4, (compiled.policy.version, cost.steps)
        charged = [node for e in _expressions(compiled.policy) for node in n.walk(e.tree) if node.charged]
        assert charged == [], compiled.policy.version  # every size comes from a cap


def test_compile_time_stays_linear_for_chains_and_doublings(tmp_path):
    """3,000 functions each calling the one before, and forty levels of doubling calls used
    only at the bottom: the bound is found without recursion limits or exponential walks."""
    definitions = {"f0(x)": "x + 1", **{f"f{i}(x)": f"f{i - 1}(x) + 1" for i in range(1, 3000)}}
    definitions.update({"g0(x)": "x", **{f"g{i}(x)": f"g{i - 1}(x) + g{i - 1}(x)" for i in range(1, 41)}})
    start = time.monotonic()
    engine = load(tmp_path, policy_text({"v": "f2999(1)", "w": "g3(1)"}, definitions))
    assert time.monotonic() - start < BOUND
    assert engine.check(RECORD, AS_OF).outputs == {"v": 3001, "w": 8}


# --- the run-time budget: what the bound could only assume ---------------------------------------

NOTES_POLICY = """\
policy: notes-demo
version: "1"
effective_from: 2000-01-01
rules:
  - id: notes.counted
    title: Counts the free-form notes
    require: count(x for x in applicant.notes.items if x >= 0) > 0
    message: no notes
  - id: usmle_id
    title: Has a USMLE ID
    require: applicant.usmle_id != null
    message: Request a USMLE ID
"""


def test_a_loop_over_free_form_notes_stops_at_the_budget_and_the_rest_is_decided(tmp_path):
    policy = tmp_path / "notes.yaml"
    policy.write_text(NOTES_POLICY)
    assert lint(policy).returncode == 0  # `notes` has no cap: the bound assumes 10,000 items
    big = copy.deepcopy(ELIGIBLE)
    big["notes"] = {"items": list(range(1_200_000))}
    small = copy.deepcopy(ELIGIBLE)
    small["notes"] = {"items": [1, 2, 3]}
    records = tmp_path / "two.jsonl"
    records.write_text(json.dumps(big) + "\n" + json.dumps(small) + "\n")
    start = time.monotonic()
    proc = invoke("check", records, "--policy", policy, "--as-of", "2020-06-01", "--format", "json")
    assert time.monotonic() - start < BOUND
    assert "Traceback" not in proc.stderr
    first, second = json.loads(proc.stdout)["results"]
    rules = {r["id"]: r for r in first["rules"]}
    assert rules["notes.counted"]["outcome"] == "error"
    assert "stopped after 1,000,000 evaluation steps, the budget for one record" in rules["notes.counted"]["message"]
    assert "Limits and safety" in rules["notes.counted"]["message"]
    assert rules["usmle_id"]["outcome"] == "met"
    assert first["decision"] == "pending"  # an error is not met, and not blocked
    assert {r["id"]: r["outcome"] for r in second["rules"]} == {"notes.counted": "met", "usmle_id": "met"}
    assert second["decision"] == "eligible"


def test_join_is_charged_where_the_bound_cannot_vouch_for_it_and_only_there(tmp_path):
    """``join`` of the policy's own list is written without charging each part (the checker has
    counted it); ``join`` of a list as long as the free-form notes is still charged, so a million
    notes stop at the budget."""
    policy = tmp_path / "notes.yaml"
    policy.write_text(NOTES_POLICY.replace("rules:", "params:\n  exams: [USMLE_STEP1, USMLE_STEP2_CK]\nrules:")
                      + "outputs:\n  notes: join([1 for x in applicant.notes.items])\n  exams: join(params.exams, \" and \")\n")
    engine = Engine.load(policy)
    code = engine.evaluator(datetime.date(2020, 6, 1)).compiled.source_code
    assert "fn_join(" in code and "join_known(P_exams, ' and ')" in code, code
    record = copy.deepcopy(ELIGIBLE)
    record["notes"] = {"items": ["a", None, 3, 2.0, True]}
    result = engine.check(record, datetime.date(2020, 6, 1))
    assert result.outputs == {"notes": "1, 1, 1, 1, 1", "exams": "USMLE_STEP1 and USMLE_STEP2_CK"}
    record["notes"] = {"items": ["note"] * 1_200_000}
    result = engine.check(record, datetime.date(2020, 6, 1))
    assert result.outputs["notes"] is None and result.outputs["exams"] == "USMLE_STEP1 and USMLE_STEP2_CK"
    assert "stopped after 1,000,000 evaluation steps" in dict(result.errors)["outputs.notes"]


def test_the_reference_interpreter_keeps_the_same_budget(tmp_path):
    policy = tmp_path / "notes.yaml"
    policy.write_text(NOTES_POLICY)
    engine = Engine.load(policy)
    record = copy.deepcopy(ELIGIBLE)
    record["notes"] = {"items": list(range(1_200_000))}
    checked = engine.evaluator(datetime.date(2020, 6, 1)).compiled.checked
    result = Interpreter(checked, engine.data).evaluate(convert_dates("applicant", record), datetime.date(2020, 6, 1))
    assert result.outcomes[0] == "error"  # it counts every node: what runs after the budget is spent fails too
    assert "budget for one record" in result.messages[0]


def test_text_built_from_notes_is_charged_by_its_length(tmp_path):
    """A message showing a free-form value is charged for what it shows: a 3-million-character
    note shown three times is an error on its rule, not a 9 MB message."""
    path = tmp_path / "show.yaml"
    path.write_text(NOTES_POLICY.replace("require: count(x for x in applicant.notes.items if x >= 0) > 0\n"
                                         "    message: no notes",
                                         "require: 'false'\n"
                                         "    message: ${join([applicant.notes.s, applicant.notes.s, applicant.notes.s])}"))
    record = copy.deepcopy(ELIGIBLE)
    record["notes"] = {"s": "x" * 3_000_000}
    result = Engine.load(path).check(record, datetime.date(2020, 6, 1))
    first = result.rules[0]
    assert first.outcome == "unmet"
    assert "budget for one record" in first.message and len(first.message) < 1000


# --- item 3: the bundled policies are near-linear in the attempts --------------------------------

def record_with_passes(count: int) -> dict:
    """A record with ``count`` passes cycling through the three Steps, 40 days apart, so that
    every pass starts a window and many windows hold passes of every Step."""
    record = copy.deepcopy(ELIGIBLE)
    exams = ["USMLE_STEP1", "USMLE_STEP2_CK", "USMLE_STEP2_CS"]
    start = datetime.date(1990, 1, 1)
    record["exams"] = [{"exam": exams[i % 3], "date": (start + datetime.timedelta(days=40 * i)).isoformat(),
                        "result": "pass"} for i in range(count)]
    return record


def steps_for(compiled, record: dict, as_of: datetime.date) -> int:
    metered = compile_policy(compiled.checked, meter_everything=True)
    *_, write_messages, _, _, _ = metered.run(convert_dates("applicant", copy.deepcopy(record)), {"world_directory": {}},
                                               as_of, make_decider(metered))
    write_messages()  # goes on with what evaluation left: steps_used() is the record's total
    return steps_used()


def growth(compiled, as_of=datetime.date(2030, 1, 1)) -> list[float]:
    steps = [steps_for(compiled, record_with_passes(count), as_of) for count in (12, 24, 48, 96)]
    return [later / earlier for earlier, later in zip(steps, steps[1:])]


@pytest.mark.parametrize("version", ["2004.1", "2021.1", "2021.2", "2022.1"])
def test_bundled_versions_take_about_twice_the_steps_for_twice_the_passes(version):
    compiled = next(c for c in Engine.load().policies.versions if c.policy.version == version)
    ratios = growth(compiled)
    assert all(ratio < 2.4 for ratio in ratios), ratios


def test_the_measure_catches_the_quadratic_windows_it_replaced(tmp_path, monkeypatch):
    """The 0.1 seed policy found each window's first passes by walking every pass: the same
    measure shows its steps growing fourfold, so the test above can fail.  (It is over the
    budget now: the budget is lifted here to measure it.)"""
    monkeypatch.setattr("ecfmg_policy.evaluator.checker.cost.RECORD_STEPS", 10 ** 9)
    seed = (POLICIES / "2004-06-14.yaml").read_text()
    name, new, old_text = QUADRATIC[0]
    old = seed.replace(new, old_text)
    assert old != seed
    path = tmp_path / "seed.yaml"
    path.write_text(old)
    ratios = growth(Engine.load(path).policies.versions[0])
    assert ratios[-1] > 3.2, ratios


def test_the_near_linear_windows_decide_as_before():
    """Many passes, many windows: the decision and deadline agree with the hand-written oracle."""
    import sys
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from handwritten import evaluate, load_schools

    schools = load_schools(ROOT / "policies" / "reference" / "world-directory.sample.json")
    engine = Engine.load()
    for count in (0, 1, 2, 5, 13, 40, 99):
        record = record_with_passes(count)
        for as_of in (datetime.date(2004, 7, 1), datetime.date(2021, 3, 1), datetime.date(2030, 1, 1)):
            got = engine.check(copy.deepcopy(record), as_of)
            want = evaluate(convert_dates("applicant", copy.deepcopy(record)), schools, as_of)
            assert got.decision == want["decision"], (count, as_of)
            assert got.outputs == want["outputs"], (count, as_of)


# --- the two built-ins that made it possible ----------------------------------------------------

def test_sort_and_earliest_from(tmp_path):
    assert value_of(tmp_path, "sort([3, null, 1, 2])") == [1, 2, 3]
    assert value_of(tmp_path, "sort(['b', 'a'])") == ["a", "b"]
    assert value_of(tmp_path, "earliest_from(sort([2020-01-05, 2019-01-01]), 2019-06-01)") == datetime.date(2020, 1, 5)
    assert value_of(tmp_path, "earliest_from([5, 1, 9], 2)") == 5
    assert value_of(tmp_path, "earliest_from(sort([5, 1, 9]), 9)") == 9
    assert value_of(tmp_path, "earliest_from(sort([5, 1, 9]), 10)") is None
    assert value_of(tmp_path, "earliest_from([], 1)") is None
    assert value_of(tmp_path, "earliest_from([1], null)") is None
    assert value_of(tmp_path, "earliest_from(null, 1)") is None


def test_sort_of_mixed_values_is_an_error_on_its_rule(tmp_path):
    text = policy_text({"v": "sort(coalesce(applicant.notes.mixed, []))"}, {})
    record = copy.deepcopy(RECORD)
    record["notes"] = {"mixed": [1, "a"]}
    result = load(tmp_path, text).check(record, AS_OF)
    assert result.errors == (("outputs.v", "sort() of values that cannot be compared: number, string "
                                           f"(at {output_place(tmp_path, text)})"),)


@pytest.mark.parametrize("expression, message", [
    ("sort([true, false])", "`sort` needs a list of numbers, dates or text, not of booleans"),
    ("earliest_from([2020-01-01], 3)", "`earliest_from` compares dates with a number"),
    ("earliest_from(3, 3)", "`earliest_from` needs a list, not a number"),
])
def test_sort_and_earliest_from_are_checked(tmp_path, expression, message):
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, policy_text({"v": expression}, {}))
    assert any(message in d.message for d in caught.value.diagnostics), [d.message for d in caught.value.diagnostics]


def test_comparing_a_written_list_with_null_compiles_without_warnings(tmp_path):
    """Python warns about ``[1] is None``; the generated code must never make it say so."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        engine = load(tmp_path, policy_text({"a": "[1] == null", "b": "{x: 1} != null",
                                             "c": "[e for e in params.exams] == null"}, {}))
        assert engine.check(RECORD, AS_OF).outputs == {"a": False, "b": True, "c": False}


def test_the_budget_message_reads_as_a_sentence():
    from ecfmg_policy.evaluator.compiler.runtime import BudgetExceeded
    text = str(BudgetExceeded(RECORD_STEPS))
    assert re.fullmatch(r"stopped after 1,000,000 evaluation steps, the budget for one record: .+ guide\)", text)


# --- what an adversarial review found (each a reproduction, kept) --------------------------------

def test_numbers_that_grow_past_a_double_are_an_error_not_a_hang(tmp_path):
    """Seventeen lines squaring a 99-digit number took 12 s, each more line three times as long."""
    definitions = {"n0": "9" * 99, **{f"n{i}": f"n{i - 1} * n{i - 1}" for i in range(1, 18)}}
    engine = load(tmp_path, policy_text({}, definitions, require="n17 > 0"))
    start = time.monotonic()
    result = engine.check(RECORD, AS_OF)
    assert time.monotonic() - start < BOUND
    assert result.rules[0].outcome == "error"
    assert "past the largest number the language holds (about 1.8e308)" in result.rules[0].message


def test_float_overflow_is_an_error_not_infinity(tmp_path):
    """A score of 1e308 is a valid record; doubling it must not give infinity (or NaN after it)."""
    engine = load(tmp_path, policy_text({"big": "applicant.exams[0].score * 2",
                                         "nan": "(applicant.exams[0].score * 2) - (applicant.exams[0].score * 2)",
                                         "sum": "sum([applicant.exams[0].score, applicant.exams[0].score])"}, {}))
    record = copy.deepcopy(ELIGIBLE)
    record["exams"][0]["score"] = 1e308
    result = engine.check(record, AS_OF)
    assert result.outputs == {"big": None, "nan": None, "sum": None}
    assert all("past the largest number" in message for _, message in result.errors), result.errors


def test_sums_of_numbers_never_null_are_still_kept_in_range(tmp_path):
    """``+`` and ``-`` of two numbers that cannot be null are written as Python's operators (the
    fast path): the range check must come with them, or a parameter doubled would be infinity."""
    engine = load(tmp_path, policy_text({"up": "params.big + params.big", "down": "0 - params.big - params.big",
                                         "fine": "params.big - params.big + 1"}, {},
                                        params="  big: 1.7e+308\n"))
    code = engine.evaluator(AS_OF).compiled.source_code
    assert "in_range(P_big + P_big)" in code, code  # else this test does not reach the fast path
    result = engine.check(RECORD, AS_OF)
    assert result.outputs == {"up": None, "down": None, "fine": 1.0}
    assert [place for place, _ in result.errors] == ["outputs.up", "outputs.down"]
    assert all("past the largest number" in message for _, message in result.errors), result.errors


def test_whole_years_added_to_a_date_clamp_29_february_and_stop_at_the_calendar(tmp_path):
    """Years are added without calendar arithmetic (the window's fast path): 29 February still
    becomes 28 February in a year without one, and a date past 9999 is an error, not a crash."""
    engine = load(tmp_path, policy_text({"leap": "2012-02-29 + params.window", "kept": "2012-02-29 + 8 years",
                                         "end": "9995-01-01 + params.window"}, {}))
    assert "plus_duration(" in engine.evaluator(AS_OF).compiled.source_code
    result = engine.check(RECORD, AS_OF)
    assert result.outputs["leap"] == datetime.date(2019, 2, 28)
    assert result.outputs["kept"] == datetime.date(2020, 2, 29)
    assert result.outputs["end"] is None
    assert [place for place, _ in result.errors] == ["outputs.end"]
    assert "outside the calendar" in result.errors[0][1]


def test_showing_free_form_text_is_bounded_before_it_is_built(tmp_path):
    """Ten placeholders of a 200,000-character note: 2 million characters, over the budget."""
    path = tmp_path / "show.yaml"
    path.write_text(NOTES_POLICY.replace("require: count(x for x in applicant.notes.items if x >= 0) > 0\n"
                                         "    message: no notes",
                                         "require: 'false'\n    message: " + "${applicant.notes.s}" * 10))
    assert lint(path).returncode == 0
    record = copy.deepcopy(ELIGIBLE)
    record["notes"] = {"s": "x" * 200_000}
    first = Engine.load(path).check(record, datetime.date(2020, 6, 1)).rules[0]
    assert first.outcome == "unmet"
    assert first.message.startswith("(the message could not be shown: stopped after 1,000,000 evaluation steps")


def test_free_form_text_compared_in_nested_loops_is_refused(tmp_path):
    path = write(tmp_path, {"v": "hits"}, {"hits": "count(a for a in applicant.exams if count(b for b in "
                                                  "applicant.exams if applicant.notes.s == applicant.notes.t) > 0)"})
    proc = lint(path)
    assert proc.returncode == 3 and "definition `hits` can take up to" in proc.stdout


@pytest.mark.parametrize("definition", [
    # comparing lists in a loop: charged by the smaller list, and only when lengths match
    "count(a for a in applicant.exams if count(b for b in applicant.exams if params.big == [a.score]) > 0)",
    # sorting in a loop: the run-time charge is the bound's own n log n
    "count(a for a in applicant.exams if count(c for c in [1, 2, 3, 4, 5, 6, 7, 8, 9] "
    "if sort(params.big)[0] > 0) > 0)",
])
def test_a_policy_within_its_bound_never_runs_out_of_budget(tmp_path, definition):
    params = "  big: [" + ", ".join(str(i) for i in range(128, 0, -1)) + "]\n"
    path = tmp_path / "policy.yaml"
    path.write_text(policy_text({"v": "n"}, {"n": definition}, params=params))
    engine = Engine.load(path)
    record = copy.deepcopy(ELIGIBLE)
    record["exams"] = [dict(record["exams"][0], score=i) for i in range(100)]
    result = engine.check(record, AS_OF)
    assert result.errors == () and isinstance(result.outputs["v"], int)
    compiled = engine.evaluator(AS_OF).compiled
    assert steps_for(compiled, record, AS_OF) <= compiled.checked.cost.steps


def test_helpers_nested_four_calls_deep_are_bounded_from_their_arguments(tmp_path):
    definitions = {
        "passes_of(xs, exam)": '[a for a in xs if a.exam == exam and a.result == "pass"]',
        "passed(xs, exam)": "count(passes_of(xs, exam)) > 0",
        "passed_all(xs, exams)": "all(passed(xs, e) for e in exams)",
        "eligible_on(day)": "passed_all([a for a in applicant.exams if a.date <= day], params.exams)",
        "eligible_days": "[a.date for a in applicant.exams if eligible_on(a.date)]",
    }
    engine = load(tmp_path, policy_text({"v": "count(eligible_days)"}, definitions))
    assert engine.check(RECORD, AS_OF).outputs["v"] == 0


def test_a_list_nested_five_hundred_deep_does_not_crash_the_bound(tmp_path):
    definitions = {"l0": "[1]", **{f"l{i}": f"[l{i - 1}, 1]" for i in range(1, 501)}, "f(x)": "count(x)"}
    path = write(tmp_path, {"v": "f(l500)"}, definitions)
    assert lint(path).returncode == 0
    assert Engine.load(path).check(RECORD, AS_OF).outputs == {"v": 2}


def test_a_literal_passed_to_a_definition_tested_for_null_compiles_without_warnings(tmp_path):
    """Found by the differential run in CI: an inlined definition's parameter tested for null
    becomes `'a' is not None` once the literal argument is put in its place."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        engine = load(tmp_path, policy_text({"a": "known('x')", "b": "known(3)", "c": "known(null)"},
                                            {"known(v)": "v != null"}))
        assert engine.check(RECORD, AS_OF).outputs == {"a": True, "b": True, "c": False}
