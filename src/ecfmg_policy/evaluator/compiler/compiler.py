"""Compile a checked policy into one Python function, once, when it is loaded.

As Jinja does for templates, we generate Python source and let CPython compile
it, so that evaluating a record costs what hand-written Python would: no tree
walking, no name lookups by string.  Nothing from a policy file reaches the
generated source as code: names are checked identifiers given a prefix
(``l_`` loop variable, ``d_`` definition, ``f_`` function, ``P_`` parameter),
strings and numbers are written with ``repr``, and dates and durations are
passed in as constants.  The code runs with no Python built-ins but the few
it needs, and can only reach the helpers of :mod:`runtime`.

The generated function computes, for one record: each definition (a failure
is kept and reported on the rules that use it), the scope, every rule's
outcome and message, the decision, and the outputs.
"""

from __future__ import annotations

import datetime
import re
import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable

from ecfmg_policy.errors import Diagnostic, PolicyError
from ecfmg_policy.evaluator.language import nodes as n
from ecfmg_policy.evaluator.compiler import runtime as rt
from ecfmg_policy.evaluator.language.builtins import BUILTINS, FAST_PATH_NAMES
from ecfmg_policy.evaluator.checker.checker import CheckedPolicy, referenced_definitions
from ecfmg_policy.evaluator.compiler.frame import Frame, definition_frame
from ecfmg_policy.evaluator.compiler.nullness import NullFacts, NullTable, null_table
from ecfmg_policy.evaluator.policy.model import BLOCKED, ERROR, MET, NOT_APPLICABLE, UNMET
from ecfmg_policy.evaluator.compiler.pycode import ExpressionCode, always_bool
from ecfmg_policy.evaluator.language.values import display, in_range




@dataclass(frozen=True)
class CompiledPolicy:
    """A checked policy and its generated function.

    The Python is generated and compiled the first time the function is asked
    for: a command evaluates records under one version, and compiling the
    others would only slow its start.  Checking has already happened, so the
    only error left here is a policy too large for CPython to compile.
    """

    checked: CheckedPolicy
    effective_to: datetime.date | None = None  # set by the policy set: the day before the next version
    meter_everything: bool = False  # charge every step to the budget, to measure a policy (tests, benchmarks)
    fast_paths: bool = True  # False: the generic, null-safe helpers everywhere (tests hold both to one answer)

    @property
    def policy(self):
        return self.checked.policy

    @cached_property
    def _generated(self) -> tuple[Callable[..., tuple], str]:
        return _generate(self.checked, self.meter_everything, self.fast_paths)

    @property
    def run(self) -> Callable[..., tuple]:
        return self._generated[0]

    @property
    def source_code(self) -> str:
        return self._generated[1]

    def __reduce__(self):
        """Pickle (an ``Engine`` sent to other processes): the checked policy, whose trees carry
        their types, not the generated function, which is made again on the other side when
        first asked for (the same Python: it is written from the checked policy alone)."""
        return (CompiledPolicy, (self.checked, self.effective_to, self.meter_everything, self.fast_paths))


def compile_policy(checked: CheckedPolicy, meter_everything: bool = False) -> CompiledPolicy:
    return CompiledPolicy(checked, meter_everything=meter_everything)


def _generate(checked: CheckedPolicy, meter_everything: bool = False,
              fast_paths: bool = True) -> tuple[Callable[..., tuple], str]:
    table = null_table(checked.policy, checked.definition_order) if fast_paths else NullTable()
    generator = _Generator(checked, table, meter_everything=meter_everything, fast_paths=fast_paths)
    code = generator.module()
    namespace: dict[str, Any] = dict(generator.constants)
    namespace.update(_runtime_namespace())
    filename = f"<policy {checked.policy.source}>"
    namespace["explain"] = _line_map(filename, code, generator.located).explain
    namespace["__builtins__"] = {"len": len, "any": any, "all": all, "Exception": Exception, "TypeError": TypeError}
    try:
        with warnings.catch_warnings():
            # `'a' is None` (a literal argument of an inlined definition, tested for null) is
            # right, and Python's advice about it is for people writing Python, not policies.
            warnings.simplefilter("ignore", SyntaxWarning)
            bytecode = compile(code, filename, "exec")
    except (SyntaxError, RecursionError, MemoryError):  # only ever from sheer size: nesting is capped at parse
        raise PolicyError(Diagnostic("the policy is too large or deeply nested to compile", source=checked.policy.source,
                                     code="too-complex", hint="split long expressions into definitions")) from None
    exec(bytecode, namespace)  # noqa: S102 - generated from checked nodes only; see module docstring
    return namespace["evaluate"], code


_MARKER = re.compile(r"  # @(\d+)$")


def _line_map(filename: str, code: str, located: list[n.Expression]) -> rt.LineMap:
    """Each marked line of ``code`` -> where in its YAML file the expression it evaluates starts."""
    positions = {}
    for number, line in enumerate(code.splitlines(), 1):
        if (marker := _MARKER.search(line)) is not None:
            positions[number] = located[int(marker.group(1))].locate(0)
    return rt.LineMap(filename, positions)


def _runtime_namespace() -> dict[str, Any]:
    names = {name: getattr(rt, name) for name in ("get", "index", "items", "lt", "le", "gt", "ge", "contains", "eq",
                                                  "add", "sub", "mul", "div", "neg", "truth",
                                                  "object_key", "walk", "listed", "show", "output", "spend", "start_budget",
                                                  "budget_left", "resume_budget", "plus_duration", "need", "param_at")}
    names.update({f"fn_{name}": row.run for name, row in BUILTINS.items()})
    names.update(FAST_PATH_NAMES)
    names.update(in_range=in_range, display=display, EMPTY={}, MET=MET, UNMET=UNMET, BLOCKED=BLOCKED,
                 NOT_APPLICABLE=NOT_APPLICABLE, ERROR=ERROR)
    return names


class _Generator(ExpressionCode):
    def __init__(self, checked: CheckedPolicy, nulls: NullTable, meter_everything: bool = False,
                 fast_paths: bool = True):
        self.checked = checked
        self.meter_everything = meter_everything or checked.cost is None
        self.policy = checked.policy
        self.fast_paths = fast_paths
        self.definitions = {d.name: d for d in self.policy.definitions}
        self.constants: dict[str, Any] = {f"P_{p.name}": p.value for p in self.policy.params}
        self.constants["PARAMS"] = {p.name: p.value for p in self.policy.params}
        self.lines: list[str] = []
        self.located: list[n.Expression] = []  # what the line markers name: see _at and _line_map
        self.params = {p.name: p.value for p in self.policy.params}
        self.nulls = NullFacts(self.definitions, self.params, nulls)
        self.temporaries = 0
        self.refs: set[str] = set()  # definitions named by the expression being compiled
        self._closure = self._definition_closure()

    # --- layout of the generated function ------------------------------------------------

    def module(self) -> str:
        emit = self.lines.append
        emit("def evaluate(applicant, data, as_of, decide):")
        emit("    start_budget()")
        emit("    failed = {}")
        eager = self._eagerly_needed()
        for name in self.checked.definition_order:
            if name in eager:
                self._definition(self.definitions[name])
        self._scope()
        emit("    failures = {}")
        emit("    if not in_scope:")
        emit(f"        outcomes = (NOT_APPLICABLE,) * {len(self.policy.rules)}")
        emit("    else:")
        saved, self.lines = self.lines, []
        for number, rule in enumerate(self.policy.rules):
            self._rule(number, rule)
        rules_code, self.lines = self.lines, saved
        self.lines.extend("    " + line for line in rules_code)
        # one Python variable a rule, gathered once: a tuple, as the result keeps it
        emit("        outcomes = (" + "".join(f"o_{number}, " for number in range(len(self.policy.rules))) + ")")
        self._messages()
        emit("    decision = decide(in_scope, outcomes)")
        emit("    outputs = {}")
        emit("    output_errors = {}")
        for output in self.policy.outputs:
            self._guarded(f"outputs[{output.name!r}]", output.value,
                          [f"output_errors[{output.name!r}] = explain(exc)", f"outputs[{output.name!r}] = None"],
                          wrap="output" if self.charged(output.value.tree) else "")
        emit("    left = budget_left()")
        emit("    return in_scope, scope_error, outcomes, messages, decision, outputs, output_errors")
        return "\n".join(self.lines) + "\n"

    def _messages(self) -> None:
        """A function that writes the rules' messages when asked: bulk runs often need only decisions."""
        emit = self.lines.append
        emit("    def messages():")
        emit("        resume_budget(left)")  # what evaluation left: one budget for all of a record
        # definitions only messages read are computed here, when messages are asked for (and none
        # that nothing compiled reads: a definition only a rule's `to_meet` or the timeline reads is
        # for explanations, which the interpreter gives)
        read = self._needed([e for rule in self.policy.rules for template in (rule.message, rule.blocked_message)
                             if template is not None for e in template.expressions()])
        lazy = [name for name in self.checked.definition_order if name not in self._eagerly_needed() and name in read]
        if lazy:
            saved, self.lines = self.lines, []
            for name in lazy:
                self._definition(self.definitions[name])
            inner, self.lines = self.lines, saved
            emit("        nonlocal failed")
            for line in inner:
                emit("    " + line)
        emit("        written = []")
        for number, rule in enumerate(self.policy.rules):
            unmet = self.template(rule.message)
            blocked = self.template(rule.blocked_message) if rule.blocked_message else unmet
            emit(f"        outcome = outcomes[{number}]")
            emit("        try:")
            emit(f"            written.append({unmet} if outcome is UNMET else {blocked} if outcome is BLOCKED "
                 f"else failures.get({number}))")
            emit("        except Exception as exc:")
            emit("            written.append('(the message could not be shown: ' + explain(exc) + ')')")
        emit("        return written")

    def _eagerly_needed(self) -> set[str]:
        """Definitions the scope, the rules' conditions or the outputs need (and what those need)."""
        if hasattr(self, "_eager"):
            return self._eager
        p = self.policy
        expressions = [p.scope] if p.scope is not None else []
        for rule in p.rules:
            expressions += [e for e in (rule.when, rule.require, rule.blocked_when) if e is not None]
        expressions += [o.value for o in p.outputs]
        self._eager = self._needed(expressions)
        return self._eager

    def _needed(self, expressions: list[n.Expression]) -> set[str]:
        """The definitions ``expressions`` read, and what those need."""
        roots: set[str] = set()
        for expression in expressions:
            roots |= n.names_read(expression.tree)[0] & self.definitions.keys()
        needed = set(roots)
        for name in roots:
            needed |= self._closure.get(name, set())
        return needed

    def _definition(self, d) -> None:
        if d.params:
            args = ", ".join(f"l_{p}" for p in d.params)
            body = self.expr(d.body.tree, definition_frame(d.params))
            emit = self.lines.append
            # No memory of earlier answers: computed again at each call, which measured as fast
            # as remembering them (a dictionary lookup and key costs what the body does).
            emit(f"    def f_{d.name}({args}):")
            if self.meter_everything:  # else the checker's bound has counted every call
                emit("        spend(1)")
            emit(f"        return {body}")
            return
        self._guarded(f"d_{d.name}", d.body,
                      [f"failed[{d.name!r}] = exc", f"d_{d.name} = None"])

    def _guarded(self, target: str, expression: n.Expression, on_error: list[str], wrap: str = "") -> None:
        """``target = expression``, unless it fails or needs a definition that failed."""
        self.refs = set()
        body = self._assignment(target, expression.tree)
        if wrap:
            body.append(f"{target} = {wrap}({target})")
        deps = self._dependencies(self.refs)
        emit = self.lines.append
        emit("    try:")
        if deps:
            emit("        if failed:")
            emit(f"            need(failed, {sorted(deps)!r})")
        mark = self._at(expression)
        for line in body:
            emit("        " + line + mark)
        emit("    except Exception as exc:")
        for line in on_error:
            emit(f"        {line}")

    def _assignment(self, target: str, tree: n.Node) -> list[str]:
        """Statements for ``target = tree``.  A list or object built by a loop is written as a
        ``for`` statement: on Python 3.11 a comprehension is a function call of its own, which
        costs more than the few items these lists hold."""
        if self.fast_paths and isinstance(tree, (n.ListComprehension, n.ObjectComprehension)):
            frame = Frame()
            iterable, inner = self._loop_parts(tree.loop, frame)
            lines = [f"acc = {'[]' if isinstance(tree, n.ListComprehension) else '{}'}",
                     f"for l_{tree.loop.var} in {iterable}:"]
            indent = "    "
            if tree.loop.condition is not None:
                lines.append(f"    if {self.boolean(tree.loop.condition, inner)}:")
                indent = "        "
            if isinstance(tree, n.ListComprehension):
                lines.append(f"{indent}acc.append({self.expr(tree.element, inner)})")
            else:
                lines.append(f"{indent}acc[{self._key(tree.key, inner)}] = {self.expr(tree.value, inner)}")
            lines.append(f"{target} = acc")
            return lines
        return [f"{target} = {self.expr(tree, Frame())}"]

    def _scope(self) -> None:
        emit = self.lines.append
        emit("    scope_error = None")
        if self.policy.scope is None:
            emit("    in_scope = True")
            return
        self._guarded("in_scope", self.policy.scope, ["scope_error = explain(exc)", "in_scope = True"])
        if self.fast_paths and always_bool(self.policy.scope.tree, self.definitions):
            emit("    in_scope = in_scope is True")
            return
        emit("    if scope_error is None:")  # a scope that is not true, false or null is an error (§3)
        emit("        try:")
        emit("            in_scope = truth(in_scope)" + self._at(self.policy.scope))
        emit("        except Exception as exc:")
        emit("            scope_error, in_scope = explain(exc), True")

    def _rule(self, number: int, rule) -> None:
        """Outcome and message of one rule; a failed definition fails it only when the rule reaches it."""
        emit = self.lines.append
        outcome = f"o_{number}"
        emit(f"    # rule {rule.id}")
        emit("    try:")
        if rule.when is not None:
            emit(f"        if not {self._checked_condition(rule.when)}:" + self._at(rule.when))
            emit(f"            {outcome} = NOT_APPLICABLE")
            emit(f"        elif {self._checked_condition(rule.require)}:" + self._at(rule.require))
        else:
            emit(f"        if {self._checked_condition(rule.require)}:" + self._at(rule.require))
        emit(f"            {outcome} = MET")
        if rule.blocked_when is not None:
            emit(f"        elif {self._checked_condition(rule.blocked_when)}:" + self._at(rule.blocked_when))
            emit(f"            {outcome} = BLOCKED")
        emit("        else:")
        emit(f"            {outcome} = UNMET")
        emit("    except Exception as exc:")
        emit(f"        {outcome} = ERROR")
        emit(f"        failures[{number}] = explain(exc)")

    def _at(self, expression: n.Expression) -> str:
        """A comment ending a line that evaluates ``expression``: the line map reads it back."""
        self.located.append(expression)
        return f"  # @{len(self.located) - 1}"

    def _checked_condition(self, expression: n.Expression) -> str:
        """A condition that first raises if a definition it needs failed for this record."""
        deps: set[str] = set()
        code = self.condition(expression, deps)
        if not deps:
            return code
        return f"((not failed or need(failed, {sorted(deps)!r})) and {code})"

    # --- dependencies -----------------------------------------------------------------------

    def _definition_closure(self) -> dict[str, set[str]]:
        """For each definition, every definition it needs, through functions too."""
        direct = {name: referenced_definitions(d, self.definitions) for name, d in self.definitions.items()}
        closure: dict[str, set[str]] = {}
        for name in self.checked.definition_order:
            needed = set(direct[name])
            for used in direct[name]:
                needed |= closure.get(used, set())
            closure[name] = needed
        return closure

    def _dependencies(self, refs: set[str]) -> set[str]:
        """The zero-argument definitions an expression needs (a failure in one fails it)."""
        needed = set(refs)
        for name in refs:
            needed |= self._closure.get(name, set())
        return {name for name in needed if not self.definitions[name].params}
