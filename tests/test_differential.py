"""Differential testing (Cedar's method): the compiled engine and the reference interpreter agree.

Hypothesis writes random *well-typed* policies (definitions with and without
parameters, rules with every part, messages, outputs, scope) using every
construct of the language, and random schema-valid records; both the compiled
function and ``evaluator.interpreter`` judge each record, and every rule
outcome, message, output, error and the decision must be the same.  The four
bundled versions are run the same way.  A disagreement is a compiler bug: fix
the compiler and pin it in ``test_language.py``.

``ECFMG_FUZZ_EXAMPLES`` sets the number of random policies (default 60, about
half a minute on a slow machine); the bundled run takes a fifth of it in records.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecfmg_policy.api import Engine
from ecfmg_policy.errors import PolicyError
from ecfmg_policy.evaluator.compiler.compiler import compile_policy
from ecfmg_policy.evaluator.evaluation.evaluate import make_decider
from ecfmg_policy.evaluator.evaluation.interpreter import Interpreter
from ecfmg_policy.evaluator.compiler.runtime import steps_used
from ecfmg_policy.evaluator.records.records import convert_dates
from ecfmg_policy.evaluator.language.values import Duration
from test_properties import applicant_records, as_of_for

EXAMPLES = int(os.environ.get("ECFMG_FUZZ_EXAMPLES", "60"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
RECORDS_PER_POLICY = 4

EXAMS = ["USMLE_STEP1", "USMLE_STEP2_CK", "USMLE_STEP2_CS", "USMLE_STEP3", "OET_MEDICINE"]
RESULTS = ["pass", "fail", "incomplete"]
STRING_POOLS = {"exam": EXAMS, "result": RESULTS, "status": ["graduate", "student"],
                "text": ["a", "b", "", "F0000101", "x y"]}
SCALARS = ["num", "date", "dur", "bool", "str:exam", "str:result", "str:status", "str:text"]
ITEMS = ["num", "date", "bool", "str:exam", "str:text", "exam", "rec"]


def same(a, b) -> bool:
    """Equal as language values, and of the same kind (``True`` is not ``1``; key order counts)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (a != a and b != b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


class PolicyWriter:
    """Writes expressions of a wanted kind from what is in reach (records, params, names)."""

    def __init__(self, draw):
        self.draw = draw
        self.values: dict[str, list[str]] = {}  # kind -> definitions without parameters
        self.functions: list[tuple[str, list[str], str]] = []  # name, parameter kinds, result kind
        self.counter = 0

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def expr(self, kind: str, depth: int, env: dict[str, str]) -> str:
        """An expression of ``kind`` (may be null where the language allows)."""
        names = [name for name, k in env.items() if k == kind] + self.values.get(kind, [])
        leaf = depth <= 0 or self.draw(st.integers(0, 3)) == 0
        choices = ["leaf"] * (3 if leaf else 1)
        if names:
            choices += ["name"] * 2
        if not leaf:
            choices += ["if", "coalesce", "call", "special", "special", "special"]
        choice = self.pick(choices)
        if choice == "name":
            return self.pick(names)
        if choice == "if":
            return (f"(if {self.expr('bool', depth - 1, env)} then {self.expr(kind, depth - 1, env)} "
                    f"else {self.pick([self.expr(kind, depth - 1, env), 'null'])})")
        if choice == "coalesce":
            args = [self.expr(kind, depth - 1, env) for _ in range(self.draw(st.integers(1, 3)))]
            return f"coalesce({', '.join(args)})"
        if choice == "call":
            fitting = [f for f in self.functions if f[2] == kind]
            if fitting:
                name, kinds, _ = self.pick(fitting)
                return f"{name}({', '.join(self.expr(k, depth - 1, env) for k in kinds)})"
        if choice == "special" or choice == "call":
            return self.special(kind, depth - 1, env)
        return self.leaf(kind, env)

    def leaf(self, kind: str, env) -> str:
        d = self.draw
        if kind == "num":
            return self.pick(["0", "1", "2", "3", "7", "0.5", "2.5", "75", "params.fee", "params.limit",
                              "applicant.education.academic_years_completed", "applicant.application.fee_paid_usd",
                              "-1", "null", 'params["fee"]', "params['nothing']"])
        if kind == "date":
            return self.pick(["as_of", "2011-10-01", "2020-02-29", "2019-12-31", "params.cutoff",
                              "applicant.education.graduation_date", "applicant.application.submitted_on",
                              "applicant.certificate.issued_on", "applicant.education.credentials.diploma.verified_on",
                              "null", 'params["cutoff"]'])
        if kind == "dur":
            return self.pick(["7 years", "1 year", "6 months", "1 month", "2 weeks", "30 days", "params.window",
                              "0 days", "null", "params['window']"])
        if kind == "bool":
            return self.pick(["true", "false", "applicant.education.diploma_received", "params.flag",
                              "applicant.application.identity_confirmed", "null"])
        if kind.startswith("str:"):
            pool = kind[4:]
            literal = json.dumps(self.pick(STRING_POOLS[pool]))
            extra = {"exam": ["first(params.exams)", "params.exams[1]"], "result": [],
                     "status": ["applicant.status"],
                     "text": ["applicant.name.given", "applicant.usmle_id", "params.word",
                              "applicant.medical_school.world_directory_id", "applicant.medical_school.country",
                              "data.world_directory.schools[applicant.medical_school.world_directory_id].name"]}[pool]
            return self.pick([literal, literal, "null"] + extra)
        if kind == "exam":
            return self.pick(["first(applicant.exams)", "applicant.exams[0]", "applicant.exams[-1]"])
        if kind == "rec":
            return "{n: %s, d: %s, s: %s}" % (self.leaf("num", env), self.leaf("date", env), self.leaf("str:text", env))
        if kind == "map":
            return self.pick(["{USMLE_STEP1: 1, (%s): %s}" % (self.pick(["first(params.exams)", "'USMLE_STEP3'"]), self.leaf("num", env)),
                              "{'USMLE_STEP2_CK': %s}" % self.leaf("num", env), "{}", "null"])
        if kind.startswith("list:"):
            item = kind[5:]
            if item == "exam":
                return "applicant.exams"
            if item == "str:exam" and d(st.booleans()):
                return "params.exams"
            return "[%s]" % ", ".join(self.leaf(item, env) for _ in range(d(st.integers(0, 3))))
        raise AssertionError(kind)

    def loop(self, depth, env) -> tuple[str, dict[str, str]]:
        """``for v in LIST [if COND]`` and the scope inside it."""
        item = self.pick(ITEMS)
        hidden = [name for names in self.values.values() for name in names]
        var = self.pick(["x", "y", "e", self.fresh("v")] + hidden[:2])  # reusing names tests shadowing
        iterable = self.expr(f"list:{item}", depth, env)
        inner = {**env, var: item}
        condition = f" if ({self.expr('bool', depth, inner)})" if self.draw(st.booleans()) else ""
        return f"for {var} in ({iterable}){condition}", inner

    def special(self, kind: str, depth: int, env) -> str:
        """The constructs that give ``kind``: operators, built-ins, comprehensions, paths."""
        e, pick = self.expr, self.pick
        if kind == "num":
            form = pick(["arith", "arith", "neg", "count", "sum", "part", "datediff", "minmax", "index", "field",
                         "score", "mapget", "sorted"])
            if form == "arith":
                return f"({e('num', depth, env)} {pick(['+', '-', '*', '/'])} {e('num', depth, env)})"
            if form == "neg":
                return f"(-{e('num', depth, env)})"
            if form == "count":
                if self.draw(st.booleans()):
                    head, _ = self.loop(depth, env)
                    return f"count({head.split()[1]} {head})"
                return f"count({e('list:' + pick(ITEMS), depth, env)})"
            if form == "sum":
                return f"sum({e('list:num', depth, env)})"
            if form == "sorted":
                return f"first(sort({e('list:num', depth, env)}))"
            if form == "part":
                return f"{pick(['year', 'month', 'day'])}({e('date', depth, env)})"
            if form == "datediff":
                return f"({e('date', depth, env)} - {e('date', depth, env)})"
            if form == "minmax":
                return self.extreme("num", depth, env)
            if form == "index":
                return f"({e('list:num', depth, env)})[{pick(['0', '1', '-1', '5', e('num', depth, env)])}]"
            if form == "field":
                return f"({e('rec', depth, env)}).n"
            if form == "score":
                return f"({e('exam', depth, env)}).score"
            return f"({e('map', depth, env)})[{e('str:exam', depth, env)}]"
        if kind == "date":
            form = pick(["plus", "plus", "minus", "dplus", "minmax", "first", "field", "attempt", "earliest"])
            if form == "earliest":
                listed = e('list:date', depth, env)
                return f"earliest_from({pick([listed, f'sort({listed})'])}, {e('date', depth, env)})"
            if form == "plus":
                return f"({e('date', depth, env)} + {e('dur', depth, env)})"
            if form == "dplus":
                return f"({e('dur', depth, env)} + {e('date', depth, env)})"
            if form == "minus":
                return f"({e('date', depth, env)} - {e('dur', depth, env)})"
            if form == "minmax":
                return self.extreme("date", depth, env)
            if form == "first":
                return f"first({e('list:date', depth, env)})"
            if form == "field":
                return f"({e('rec', depth, env)})[\"d\"]"
            return f"({e('exam', depth, env)}).date"
        if kind == "dur":
            return f"(-{e('dur', depth, env)})"
        if kind == "bool":
            form = pick(["cmp", "cmp", "eq", "eq", "and", "not", "in", "quant", "null", "instr", "inmap"])
            if form == "cmp":
                k = pick(["num", "date", "str:text"])
                return f"({e(k, depth, env)} {pick(['<', '<=', '>', '>='])} {e(k, depth, env)})"
            if form == "eq":
                k = pick(SCALARS + ["list:num", "list:str:exam", "rec", "exam", "map"])
                return f"({e(k, depth, env)} {pick(['==', '!='])} {e(k, depth, env)})"
            if form == "and":
                return f"({e('bool', depth, env)} {pick(['and', 'or'])} {e('bool', depth, env)})"
            if form == "not":
                return f"(not {e('bool', depth, env)})"
            if form == "in":
                k = pick(["num", "date", "str:exam", "bool", "rec"])
                return f"({e(k, depth, env)} {pick(['in', 'not in'])} {e('list:' + k, depth, env)})"
            if form == "instr":
                return f"({e('str:text', depth, env)} in {e('str:text', depth, env)})"
            if form == "inmap":
                return f"({e('str:exam', depth, env)} in {e('map', depth, env)})"
            if form == "null":
                return f"({e(pick(SCALARS + ['exam', 'rec']), depth, env)} {pick(['==', '!='])} null)"
            head, inner = self.loop(depth, env)
            return f"{pick(['all', 'any', 'none'])}({e('bool', depth, inner)} {head})"
        if kind.startswith("str:"):
            pool = kind[4:]
            if pool == "text":
                form = pick(["join", "first", "field"])
                if form == "join":
                    sep = pick(["", ", \"-\"", ", \" \""])
                    return f"join({e('list:' + pick(ITEMS), depth, env)}{sep})"
                if form == "first":
                    return f"first({e('list:str:text', depth, env)})"
                return f"({e('rec', depth, env)}).s"
            if pool == "exam":
                return pick([f"({e('exam', depth, env)}).exam", self.extreme("str:exam", depth, env)])
            if pool == "result":
                return f"({e('exam', depth, env)}).result"
            return self.leaf(kind, env)
        if kind == "exam":
            return pick([f"first({e('list:exam', depth, env)})",
                         f"({e('list:exam', depth, env)})[{pick(['0', '1', '-1'])}]"])
        if kind == "rec":
            return "{n: %s, d: %s, s: %s}" % (e("num", depth, env), e("date", depth, env), e("str:text", depth, env))
        if kind == "map":
            var = self.fresh("k")
            # keys must be text: a list that may hold null (a literal `[null]`) is refused by the
            # checker, rightly, so the keys come from a list of names only
            names = self.pick(["params.exams", json.dumps(EXAMS[:2]), json.dumps(EXAMS[2:])])
            return "{%s: %s for %s in (%s)}" % (var, e("num", depth, {**env, var: "str:exam"}), var, names)
        if kind.startswith("list:"):
            item = kind[5:]
            head, inner = self.loop(depth, env)
            element = e(item, depth, inner)
            return pick([f"[{element} {head}]", f"[{element} {head}]",
                         "[%s]" % ", ".join(e(item, depth, env) for _ in range(self.draw(st.integers(0, 3))))])
        raise AssertionError(kind)

    def extreme(self, kind: str, depth: int, env) -> str:
        fn = self.pick(["min", "max"])
        form = self.pick(["list", "args", "gen"])
        if form == "list":
            return f"{fn}({self.expr('list:' + kind, depth, env)})"
        if form == "args":
            return f"{fn}({', '.join(self.expr(kind, depth, env) for _ in range(self.draw(st.integers(2, 3))))})"
        head, inner = self.loop(depth, env)
        return f"{fn}({self.expr(kind, depth, inner)} {head})"


@st.composite
def policies(draw) -> str:
    """A random well-typed policy file, as YAML text."""
    w = PolicyWriter(draw)
    definitions: list[tuple[str, str]] = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(SCALARS + ["list:num", "list:str:exam", "list:rec", "rec", "map", "exam"]))
        if draw(st.booleans()):
            kinds = [draw(st.sampled_from(SCALARS + ["exam", "list:num"])) for _ in range(draw(st.integers(1, 2)))]
            params = [w.fresh("p") for _ in kinds]
            body = w.expr(kind, 3, dict(zip(params, kinds)))
            name = w.fresh("f")
            definitions.append((f"{name}({', '.join(params)})", body))
            w.functions.append((name, kinds, kind))
        else:
            name = w.fresh("d")
            definitions.append((name, w.expr(kind, 3, {})))
            w.values.setdefault(kind, []).append(name)
    definitions = draw(st.permutations(definitions))  # order does not matter
    lines = ["policy: fuzz", 'version: "1"', "effective_from: 2000-01-01",
             "data: {world_directory: world-directory}",
             "params: {fee: 75, limit: 4, cutoff: 2015-06-30, window: 7 years, flag: true, word: hello,",
             "         exams: [USMLE_STEP1, USMLE_STEP2_CK, USMLE_STEP2_CS]}"]
    if draw(st.integers(0, 3)) == 0:
        lines += ["scope:", f"  when: {json.dumps(w.expr('bool', 2, {}))}"]
    if definitions:
        lines.append("definitions:")
        lines += [f"  {head}: {json.dumps(body)}" for head, body in definitions]
    lines.append("rules:")
    for number in range(draw(st.integers(1, 4))):
        lines += [f"  - id: r{number}", f"    title: rule {number}",
                  f"    require: {json.dumps(w.expr('bool', 3, {}))}"]
        if draw(st.booleans()):
            lines.append(f"    when: {json.dumps(w.expr('bool', 2, {}))}")
        if draw(st.booleans()):
            lines.append(f"    blocked_when: {json.dumps(w.expr('bool', 2, {}))}")
        if draw(st.integers(0, 3)):
            lines.append(f"    message: {json.dumps(message(w))}")
        if draw(st.booleans()):
            lines.append(f"    blocked_message: {json.dumps(message(w))}")
        if draw(st.integers(0, 4)) == 0:
            lines.append("    severity: advisory")
    lines.append("outputs:")
    for number in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(SCALARS + ["list:num", "list:rec", "rec", "map", "exam", "list:str:exam"]))
        value = w.expr(kind, 3, {})
        if draw(st.integers(0, 3)) == 0:
            value = f'if decision == "{draw(st.sampled_from(["eligible", "pending", "ineligible"]))}" then {value} else null'
        lines.append(f"  o{number}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def message(w: PolicyWriter) -> str:
    parts = ["Due: "]
    for _ in range(w.draw(st.integers(1, 3))):
        kind = w.pick(SCALARS + ["list:num", "rec", "list:str:exam"])
        parts.append("${" + w.expr(kind, 2, {}) + "} $ and ")
    return "".join(parts)


def compare(engine: Engine, record: dict, as_of: datetime.date, version: str | None = None) -> None:
    result = engine.check(copy.deepcopy(record), as_of, version)
    assert result.decision != "invalid", result.errors
    compiled = engine.evaluator(as_of, version).compiled
    reference = Interpreter(compiled.checked, engine.data).evaluate(
        convert_dates("applicant", copy.deepcopy(record)), as_of)
    got = [(r.id, r.outcome, r.message) for r in result.rules]
    want = [(r.id, o, m) for r, o, m in zip(compiled.policy.rules, reference.outcomes, reference.messages)]
    assert got == want, (got, want)
    want_errors = (((("scope", reference.scope_error),) if reference.scope_error is not None else ())
                   + tuple((f"outputs.{k}", v) for k, v in reference.output_errors.items()))
    assert result.errors == want_errors, (result.errors, want_errors)
    assert result.decision == reference.decision
    assert list(result.outputs) == list(reference.outputs)
    for name, value in result.outputs.items():
        assert same(value, reference.outputs[name]), (name, value, reference.outputs[name])
    # The checker's bound holds: the interpreter evaluates no more nodes than it promised, and
    # the compiled code, charging every step, spends no more.
    bound = compiled.checked.cost.steps
    assert reference.steps <= bound, (reference.steps, bound)
    metered = compile_policy(compiled.checked, meter_everything=True)
    *_, write_messages, _, _, _ = metered.run(convert_dates("applicant", copy.deepcopy(record)), engine.data,
                                               as_of, make_decider(metered))
    write_messages()  # goes on with what evaluation left: steps_used() is the record's total
    assert steps_used() <= bound, (steps_used(), bound)


REFUSED = {"count": 0}


@SETTINGS
@given(policy=policies(), data=st.data())
def test_compiled_policies_agree_with_the_interpreter(policy, data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(policy, encoding="utf-8")
        try:
            engine = Engine.load(path)
        except PolicyError as exc:  # the generator writes well-typed policies; a few are still refused
            REFUSED["count"] += 1
            assert REFUSED["count"] <= max(3, EXAMPLES // 5), (policy, [d.render() for d in exc.diagnostics])
            return
    for _ in range(RECORDS_PER_POLICY):
        record = data.draw(applicant_records())
        compare(engine, record, data.draw(as_of_for(record)))


BUNDLED = Engine.load()
VERSIONS = [c.policy.version for c in BUNDLED.policies.versions]


@settings(max_examples=max(20, EXAMPLES // 2), deadline=None, suppress_health_check=list(HealthCheck))
@given(record=applicant_records(), data=st.data())
def test_bundled_versions_agree_with_the_interpreter(record, data):
    as_of = data.draw(as_of_for(record))
    for version in VERSIONS:
        compare(BUNDLED, record, as_of, version)


def test_durations_are_values_the_comparison_knows():
    assert same(Duration(years=1), Duration(years=1)) and not same(1, True) and not same({"a": 1, "b": 2}, {"b": 2, "a": 1})
