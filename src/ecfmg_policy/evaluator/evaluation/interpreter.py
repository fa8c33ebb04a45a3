"""A reference interpreter: the policy language as the guide writes it, one node at a time.

The compiler (``compiler.py``, ``pycode.py``, ``nullness.py``) turns a checked
policy into Python with fast paths chosen from types and null facts; a slip in
any of them gives a wrong answer that looks like a right one.  This module
evaluates the same checked nodes by walking them, with no fast path and no
static fact, straight from the author's guide (§4 definitions, §5 outcomes, §6
messages, §7 outputs, §8 the expression language).  The differential tests run
both on random policies and records and insist they agree; when they do not,
the compiler is fixed, never this file to match it.

It is slow on purpose (plain and readable, one function per node kind), so it
can also explain a result step by step.  It reuses only what *is* the
language's meaning elsewhere: calendar arithmetic (``values.add_duration``),
how a value reads in a message (``values.display``) and the wording of
run-time errors (``runtime.EvaluationError``, ``runtime.explain``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from ecfmg_policy.evaluator.language import nodes as n
from ecfmg_policy.evaluator.checker.checker import CheckedPolicy
from ecfmg_policy.evaluator.policy.model import (BLOCKED, ELIGIBLE, ERROR, INELIGIBLE, MET, NOT_APPLICABLE, OUT_OF_SCOPE,
                                          PENDING, REQUIREMENT, UNMET)
from ecfmg_policy.evaluator.compiler.runtime import RECORD_STEPS, BudgetExceeded, EvaluationError, explain
from ecfmg_policy.evaluator.language.values import (NumberOutOfRange, Duration, History, add_duration, an, display,
                                                   in_range, type_name)



@dataclass
class Interpretation:
    """What the interpreter decided for one record, in the shape the compiled function returns."""

    in_scope: bool
    scope_error: str | None
    outcomes: list[str]
    messages: list[str | None]
    decision: str
    outputs: dict[str, Any]
    output_errors: dict[str, str] = field(default_factory=dict)
    steps: int = 0  # nodes evaluated: never more than the checker's bound (``cost.py``)
    run: Any = field(default=None, repr=False, compare=False)  # the walk itself, for what explains it


class _DefinitionFailed(EvaluationError):
    """A part reaches a definition without parameters that could not be computed (guide §4)."""


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _order_kind(value) -> str | None:
    """The kinds ``<`` works within: numbers, dates, strings (guide §8.5)."""
    if _number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime.date):
        return "date"
    return None


def equal(a, b) -> bool:
    """``==`` of the language: values of different kinds are never equal; ``1 == 1.0``;
    lists item by item, objects key by key (guide §8.5)."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _number(a) or _number(b):
        return _number(a) and _number(b) and a == b
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(equal(x, y) for x, y in zip(a, b)))
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and len(a) == len(b)
                and all(any(equal(k, j) and equal(v, b[j]) for j in b) for k, v in a.items()))
    if isinstance(a, datetime.date) or isinstance(b, datetime.date):
        return isinstance(a, datetime.date) and isinstance(b, datetime.date) and a == b
    if isinstance(a, Duration) or isinstance(b, Duration):  # the written parts: 2 weeks == 14 days
        return isinstance(a, Duration) and isinstance(b, Duration) and a == b
    return type(a) is type(b) and a == b


def truth(value) -> bool:
    """A value used as a condition: null is false, a non-boolean is a mistake (guide §8.4)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise EvaluationError(f"a condition must be true or false, not {an(type_name(value))}")


def loop_items(value) -> list:
    """What a ``for`` walks: a list; null is the empty list (guide §8.4, §8.7)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    raise EvaluationError(f"cannot loop over {an(type_name(value))}; expected a list")


class Interpreter:
    """Evaluates a checked policy for records, by walking its nodes (see the module docstring)."""

    def __init__(self, checked: CheckedPolicy, data: dict[str, Any]):
        self.checked = checked
        self.policy = checked.policy
        self.data = data
        self.definitions = {d.name: d for d in self.policy.definitions}
        self.params = {p.name: p.value for p in self.policy.params}
        self._reach_cache: dict[int, list[str]] = {}
        self._uses = {name: self._names_used(d.body.tree, frozenset(d.params)) for name, d in self.definitions.items()}
        self._closure: dict[str, set[str]] = {}
        for name in checked.definition_order:  # dependencies first: no recursion through definitions
            reached = set(self._uses[name])
            for used in self._uses[name]:
                reached |= self._closure.get(used, set())
            self._closure[name] = reached

    # --- a whole record (guide §3-§7) --------------------------------------------------------

    def evaluate(self, record: dict, as_of: datetime.date, run_type: type["_Run"] | None = None) -> Interpretation:
        """Scope, outcomes, messages, decision and outputs for a schema-valid record (dates converted).

        ``run_type`` is a subclass of :class:`_Run` that watches the walk (``explanation.py``
        records what each part read); it is told which part is evaluated through ``enter``."""
        run = (run_type or _Run)(self, {"applicant": record, "data": self.data, "as_of": as_of, "params": self.params})
        run.compute_definitions()
        scope_error, in_scope = None, True
        if self.policy.scope is not None:
            run.enter("scope", None)
            try:
                in_scope = run.condition(self.policy.scope)
            except Exception as exc:  # noqa: BLE001 - any failure of the scope is reported, never raised
                scope_error, in_scope = _explain(exc), True
        outcomes, reasons = [], {}
        for number, rule in enumerate(self.policy.rules):
            if not in_scope:
                outcomes.append(NOT_APPLICABLE)
                continue
            run.enter("rule", number)
            try:
                outcomes.append(run.outcome(rule))
            except Exception as exc:  # noqa: BLE001
                outcomes.append(ERROR)
                reasons[number] = _explain(exc)
        messages = []
        for number, (rule, outcome) in enumerate(zip(self.policy.rules, outcomes)):
            run.enter("message", number)
            messages.append(self._message(run, rule, outcome, reasons.get(number)))
        decision = self.decide(in_scope, outcomes)
        run.roots["decision"] = decision
        outputs, output_errors = {}, {}
        for output in self.policy.outputs:
            run.enter("output", output.name)
            try:
                outputs[output.name] = run.part(output.value)
            except Exception as exc:  # noqa: BLE001
                outputs[output.name], output_errors[output.name] = None, _explain(exc)
        return Interpretation(in_scope, scope_error, outcomes, messages, decision, outputs, output_errors, run.steps,
                              run)

    def decide(self, in_scope: bool, outcomes: list[str]) -> str:
        """Guide §5, "From outcomes to the decision": advisories never count."""
        if not in_scope:
            return OUT_OF_SCOPE
        counted = [o for rule, o in zip(self.policy.rules, outcomes) if rule.severity == REQUIREMENT]
        if BLOCKED in counted:
            return INELIGIBLE
        return ELIGIBLE if all(o in (MET, NOT_APPLICABLE) for o in counted) else PENDING

    def _message(self, run: "_Run", rule, outcome: str, reason: str | None) -> str | None:
        """Guide §6: a message for unmet and blocked rules, the reason for an error, else none."""
        if outcome == ERROR:
            return reason
        if outcome == UNMET:
            template = rule.message
        elif outcome == BLOCKED:
            template = rule.blocked_message or rule.message
        else:
            return None
        if template is None:
            return None
        try:
            run.need(set().union(*(self.reach(e) for e in template.expressions())))
            return "".join(part if isinstance(part, str) else display(run.value(part.tree, {}))
                           for part in template.parts)
        except Exception as exc:  # noqa: BLE001 - the rule keeps its outcome
            return f"(the message could not be shown: {_explain(exc)})"

    # --- which definitions a part reaches (guide §4) --------------------------------------------

    def _names_used(self, tree: n.Node, bound: frozenset[str]) -> set[str]:
        """Definitions a tree names, directly; loop variables and parameters hide definitions."""
        found: set[str] = set()
        pending = [(tree, bound)]
        while pending:
            node, names = pending.pop()
            if isinstance(node, n.Name) and node.name not in names and node.name in self.definitions:
                found.add(node.name)
            elif isinstance(node, n.Call) and node.function in self.definitions:
                found.add(node.function)
            if isinstance(node, (n.ListComprehension, n.ObjectComprehension)):
                inner = names | {node.loop.var}
                pending.append((node.loop.iterable, names))
                if node.loop.condition is not None:
                    pending.append((node.loop.condition, inner))
                pending.extend((child, inner) for child in n.children(node)[1:])
            else:
                pending.extend((child, names) for child in n.children(node))
        return found

    def reach(self, expression: n.Expression) -> set[str]:
        """The definitions without parameters a part needs, through other definitions too."""
        key = id(expression)
        if key not in self._reach_cache:
            used = self._names_used(expression.tree, frozenset())
            reached = set(used)
            for name in used:
                reached |= self._closure[name]
            self._reach_cache[key] = sorted(name for name in reached if not self.definitions[name].params)
        return set(self._reach_cache[key])


def _explain(exc: BaseException) -> str:
    return explain(exc, getattr(exc, "policy_position", None))


class _Run:
    """One record's evaluation: the roots, the definitions' values and which of them failed."""

    def __init__(self, interpreter: Interpreter, roots: dict[str, Any]):
        self.interpreter = interpreter
        self.definitions = interpreter.definitions
        self.roots = roots
        self.values: dict[str, Any] = {}
        self.failed: dict[str, BaseException] = {}
        self.steps = 0  # one a node: the unit of the checker's bound, and of the budget (guide §13)

    def enter(self, kind: str, key: Any) -> None:
        """The walk moves on to another part (``definition``, ``scope``, ``rule``, ``message``,
        ``output``, or what a subclass adds); a watching subclass files what follows under it."""

    def compute_definitions(self) -> None:
        """Each definition without parameters once per record, dependencies first; a failure is kept."""
        for name in self.interpreter.checked.definition_order:
            d = self.definitions[name]
            if d.params:
                continue
            self.enter("definition", name)
            try:
                self.values[name] = self.part(d.body)
            except Exception as exc:  # noqa: BLE001 - reported on the parts that reach it
                self.failed[name] = exc

    def need(self, names: set[str]) -> None:
        """A part that reaches a failed definition is in error, even where it would not read it."""
        for name in sorted(names):
            if name in self.failed:
                raise _DefinitionFailed(f"could not compute `{name}`: {_explain(self.failed[name])}")

    def part(self, expression: n.Expression, then=None) -> Any:
        """The value of a scope, rule condition, definition or output; a failure in it is placed
        at its start (``runtime.LineMap`` says the same of the compiled code)."""
        self.need(self.interpreter.reach(expression))
        try:
            value = self.value(expression.tree, {})
            return value if then is None else then(value)
        except Exception as exc:
            if not hasattr(exc, "policy_position"):
                exc.policy_position = expression.locate(0)
            raise

    def condition(self, expression: n.Expression) -> bool:
        return self.part(expression, truth)

    def outcome(self, rule) -> str:
        """Guide §5: ``when``, then ``require``, then ``blocked_when``; only the parts reached are tried."""
        if rule.when is not None and not self.condition(rule.when):
            return NOT_APPLICABLE
        if self.condition(rule.require):
            return MET
        if rule.blocked_when is not None and self.condition(rule.blocked_when):
            return BLOCKED
        return UNMET

    # --- expressions: one method per node kind --------------------------------------------------

    def value(self, node: n.Node, local: dict[str, Any]) -> Any:
        self.steps += 1
        if self.steps > RECORD_STEPS:
            raise BudgetExceeded(RECORD_STEPS)
        return getattr(self, "_" + type(node).__name__)(node, local)

    def _Literal(self, node: n.Literal, local):
        return node.value

    def _Name(self, node: n.Name, local):
        """Loop variables and parameters first, then definitions, then the roots (guide §8.2)."""
        if node.name in local:
            return local[node.name]
        if node.name in self.definitions:
            return self.definition(node.name)
        return self.roots[node.name]

    # What a watching subclass sees: every definition, field, item and parameter read.

    def definition(self, name: str):
        return self.values.get(name)  # a failed one was refused by `need` before evaluating

    def field(self, target: dict, key: str):
        return target.get(key)

    def item(self, target: list, position: int):
        return target[position] if -len(target) <= position < len(target) else None

    def param(self, name: str, day: datetime.date | None):
        """A parameter on ``day`` (None: read plainly, so on the as-of date)."""
        value = self.roots["params"].get(name)
        return _on_day(value, day or self.roots["as_of"]) if isinstance(value, History) else value

    def called(self, name: str, arguments: list, result) -> None:
        """A definition with parameters was called."""

    def _Attribute(self, node: n.Attribute, local):
        """``a.b``: a missing field, or a field of null, is null (guide §8.3, §8.4); a parameter
        with a history, read plainly, is its value on the as-of date (§2)."""
        if isinstance(node.target, n.Name) and node.target.name == "params" and "params" not in local:
            return self.param(node.name, None)
        target = self.value(node.target, local)
        if target is None:
            return None
        if isinstance(target, dict):
            return self.field(target, node.name)
        raise EvaluationError(f"cannot read field `{node.name}` of {an(type_name(target))}")

    def _At(self, node: n.At, local):
        """``params.NAME at DAY`` (the checker allows only a parameter before ``at``)."""
        day = self.value(node.day, local)
        if day is None:
            return None
        if not isinstance(day, datetime.date):
            raise EvaluationError(f"a parameter is read at a date, not at {an(type_name(day))}")
        return self.param(node.target.name, day)

    def _Index(self, node: n.Index, local):
        """``xs[i]`` by position (past the end is null), ``obj[key]`` by key; null either side is null."""
        target = self.value(node.target, local)
        key = self.value(node.key, local)
        if target is None or key is None:
            return None
        if isinstance(target, dict):  # keys are strings: any other key finds nothing
            return self.field(target, key) if isinstance(key, str) else None
        if isinstance(target, (list, tuple)):
            if not _number(key) or int(key) != key:
                raise EvaluationError(f"a list is indexed by a whole number, not {display(key)}")
            return self.item(target, int(key))
        raise EvaluationError(f"cannot index {an(type_name(target))}")

    def _ListExpr(self, node: n.ListExpr, local):
        return [self.value(item, local) for item in node.items]

    def _ObjectExpr(self, node: n.ObjectExpr, local):
        result: dict = {}
        for key, value in zip(node.keys, node.values):
            _put(result, self.value(key, local), self.value(value, local))
        return result

    def _loop(self, loop: n.Comprehension, local):
        """The scopes of a comprehension's items that pass its ``if`` (guide §8.7)."""
        for item in loop_items(self.value(loop.iterable, local)):
            inner = {**local, loop.var: item}
            if loop.condition is None or truth(self.value(loop.condition, inner)):
                yield inner

    def _ListComprehension(self, node: n.ListComprehension, local):
        return [self.value(node.element, inner) for inner in self._loop(node.loop, local)]

    def _ObjectComprehension(self, node: n.ObjectComprehension, local):
        result: dict = {}
        for inner in self._loop(node.loop, local):
            _put(result, self.value(node.key, inner), self.value(node.value, inner))
        return result

    def _Unary(self, node: n.Unary, local):
        if node.op == "not":
            return not truth(self.value(node.operand, local))
        operand = self.value(node.operand, local)
        if operand is None:
            return None
        if isinstance(operand, Duration):
            return -operand
        if _number(operand):
            return -operand
        raise EvaluationError(f"cannot negate {an(type_name(operand))}")

    def _Binary(self, node: n.Binary, local):
        """Arithmetic on numbers, and dates with durations (guide §8.5, §8.6); null gives null."""
        a, b = self.value(node.left, local), self.value(node.right, local)
        if a is None or b is None:
            return None
        op = node.op
        if op == "+" and isinstance(a, datetime.date) and isinstance(b, Duration):
            return add_duration(a, b)
        if op == "+" and isinstance(a, Duration) and isinstance(b, datetime.date):
            return add_duration(b, a)
        if op == "-" and isinstance(a, datetime.date) and isinstance(b, Duration):
            return add_duration(a, -b)
        if op == "-" and isinstance(a, datetime.date) and isinstance(b, datetime.date):
            return (a - b).days
        if _number(a) and _number(b):
            if op == "/" and b == 0:
                raise EvaluationError("division by zero")
            if op == "*" and isinstance(a, int) and isinstance(b, int) and a and b \
                    and a.bit_length() + b.bit_length() > 1100:  # past any double: do not compute it
                raise NumberOutOfRange("the result is past the largest number the language holds (about 1.8e308)")
            return in_range(a + b if op == "+" else a - b if op == "-" else a * b if op == "*" else a / b)
        words = {"+": f"cannot add {type_name(a)} and {type_name(b)}",
                 "-": f"cannot subtract {type_name(b)} from {type_name(a)}",
                 "*": f"cannot multiply {type_name(a)} by {type_name(b)}",
                 "/": f"cannot divide {type_name(a)} by {type_name(b)}"}
        raise EvaluationError(words[op])

    def _Compare(self, node: n.Compare, local):
        a, b = self.value(node.left, local), self.value(node.right, local)
        if node.op == "==":
            return equal(a, b)
        if node.op == "!=":
            return not equal(a, b)
        if node.op in ("in", "not in"):
            found = _contains(b, a)
            return found if node.op == "in" else not found
        if a is None or b is None:  # an ordering with null is false (guide §8.4)
            return False
        if _order_kind(a) is None or _order_kind(a) != _order_kind(b):
            raise EvaluationError(f"cannot compare {type_name(a)} with {type_name(b)}")
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[node.op]

    def _BoolOp(self, node: n.BoolOp, local):
        """``and``/``or`` give true or false and stop early (guide §8.5)."""
        left = truth(self.value(node.left, local))
        if node.op == "and":
            return left and truth(self.value(node.right, local))
        return left or truth(self.value(node.right, local))

    def _IfExpr(self, node: n.IfExpr, local):
        """Only the chosen branch is evaluated; a null condition chooses ``else``."""
        if truth(self.value(node.condition, local)):
            return self.value(node.then, local)
        return self.value(node.otherwise, local)

    def _Call(self, node: n.Call, local):
        if node.function in self.definitions:
            d = self.definitions[node.function]
            arguments = [self.value(a, local) for a in node.args]
            result = self.value(d.body.tree, dict(zip(d.params, arguments)))
            self.called(node.function, arguments, result)
            return result
        return getattr(self, "_fn_" + node.function)(node, local)

    # --- built-in functions (guide §8.8) ------------------------------------------------------

    def _list_argument(self, node: n.Call, local) -> list:
        """The one list a function such as ``count`` reads: its argument, or its bare comprehension."""
        if node.generator is not None:
            return self.value(node.generator, local)
        return loop_items(self.value(node.args[0], local))

    def _lazy_items(self, node: n.Call, local):
        """The items of ``all``/``any``/``none``'s argument one at a time: these stop at the first
        item that decides the answer, as ``and`` and ``or`` do, when the list is written in place."""
        written = node.generator if node.generator is not None else node.args[0]
        if isinstance(written, n.ListComprehension):
            for inner in self._loop(written.loop, local):
                yield self.value(written.element, inner)
        elif isinstance(written, n.ListExpr):
            for item in written.items:
                yield self.value(item, local)
        else:
            yield from loop_items(self.value(written, local))

    def _fn_count(self, node, local):
        return len(self._list_argument(node, local))

    def _extreme(self, node, local, name: str, pick):
        if node.generator is not None:
            values = self.value(node.generator, local)
        else:
            values = [self.value(a, local) for a in node.args]
            if len(values) == 1 and (values[0] is None or isinstance(values[0], list)):
                values = values[0] or []
        present = [v for v in values if v is not None]
        kinds = {_order_kind(v) for v in present}
        if len(kinds) > 1 or None in kinds:
            listed = ", ".join(sorted({type_name(v) for v in present}))
            raise EvaluationError(f"{name}() of values that cannot be compared: {listed}")
        return pick(present) if present else None

    def _fn_min(self, node, local):
        return self._extreme(node, local, "min", min)

    def _fn_max(self, node, local):
        return self._extreme(node, local, "max", max)

    def _fn_sum(self, node, local):
        total = 0
        for item in self._list_argument(node, local):
            if item is None:
                continue
            if not _number(item):
                raise EvaluationError(f"cannot add number and {type_name(item)}")
            total = in_range(total + item)
        return total

    def _fn_all(self, node, local):
        return all(truth(item) for item in self._lazy_items(node, local))

    def _fn_any(self, node, local):
        return any(truth(item) for item in self._lazy_items(node, local))

    def _fn_none(self, node, local):
        return not any(truth(item) for item in self._lazy_items(node, local))

    def _date_part(self, node, local, part: str):
        day = self.value(node.args[0], local)
        if day is None:
            return None
        if not isinstance(day, datetime.date):
            raise EvaluationError(f"{part}() needs a date, not {an(type_name(day))}")
        return getattr(day, part)

    def _fn_year(self, node, local):
        return self._date_part(node, local, "year")

    def _fn_month(self, node, local):
        return self._date_part(node, local, "month")

    def _fn_day(self, node, local):
        return self._date_part(node, local, "day")

    def _fn_first(self, node, local):
        items = self._list_argument(node, local)
        return items[0] if items else None

    def _fn_join(self, node, local):
        items = self._list_argument(node, local)
        separator = display(self.value(node.args[1], local)) if len(node.args) > 1 else ", "
        return separator.join(display(item) for item in items if item is not None)

    def _fn_sort(self, node, local):
        """The items that are not null, smallest first; they must all be of one orderable kind."""
        present = [item for item in self._list_argument(node, local) if item is not None]
        kinds = {_order_kind(item) for item in present}
        if len(kinds) > 1 or None in kinds:
            listed = ", ".join(sorted({type_name(v) for v in present}))
            raise EvaluationError(f"sort() of values that cannot be compared: {listed}")
        return sorted(present)

    def _fn_earliest_from(self, node, local):
        """The smallest item at least the second argument (ordered as ``>=`` orders), or null."""
        items = loop_items(self.value(node.args[0], local))
        start = self.value(node.args[1], local)
        if start is None:
            return None
        found = None
        for item in items:
            if item is None:
                continue
            if _order_kind(item) is None or _order_kind(item) != _order_kind(start):
                raise EvaluationError(f"cannot compare {type_name(item)} with {type_name(start)}")
            if item >= start and (found is None or item < found):
                found = item
        return found

    def _fn_coalesce(self, node, local):
        """The first argument that is not null; the ones after it are not evaluated."""
        for argument in node.args:
            value = self.value(argument, local)
            if value is not None:
                return value
        return None


def _put(result: dict, key, value) -> None:
    """One entry of an object: keys are strings (so they mean one thing in JSON and in
    messages); a later equal key replaces an earlier one, keeping its place."""
    if not isinstance(key, str):
        raise EvaluationError(f"an object key must be a string, not {an(type_name(key))}")
    result[key] = value


def _contains(container, item) -> bool:
    """``item in container`` (guide §8.5): an item of a list, a key of an object, part of a string."""
    if container is None:
        return False
    if isinstance(container, (list, tuple)):
        return any(equal(item, x) for x in container)
    if isinstance(container, dict):
        return isinstance(item, str) and item in container
    if isinstance(container, str) and isinstance(item, str):
        return item in container
    raise EvaluationError(f"`in` needs a list on its right, not {an(type_name(container))}")


def _on_day(history: History, day: datetime.date):
    """The value a history holds on ``day``, found by walking it (the compiled code searches it):
    the last value dated on or before the day, or the first value for a day before them all."""
    found = history.values[0]
    for since, value in zip(history.days, history.values):
        if since <= day:
            found = value
    return found
