"""Check a loaded policy before anything runs: names, types, arity, cycles.

Names resolve against, in order: loop variables and definition parameters,
definitions, and the roots ``applicant`` (typed by the applicant schema),
``params``, ``data`` (typed by the reference-data schemas), ``as_of`` and, in
outputs only, ``decision``.  Paths into typed values are checked field by
field with a "did you mean".  Every problem is collected; the policy is
refused with all of them at once.  The checker also fixes the order in which
definitions are computed (dependencies first).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ecfmg_policy.errors import Diagnostic, PolicyError, did_you_mean
from ecfmg_policy.evaluator.policy import model as m
from ecfmg_policy.evaluator.language import nodes as n
from ecfmg_policy.evaluator.language import types as t
from ecfmg_policy.evaluator.language.builtins import BUILTINS
from ecfmg_policy.evaluator.checker.cost import PolicyCost, bound_policy
from ecfmg_policy.evaluator.language.parser import RESERVED as RESERVED_WORDS
from ecfmg_policy.evaluator.records.schemas import static_type
from ecfmg_policy.evaluator.language.values import History, an

ROOTS = ("applicant", "params", "data", "as_of")
_ORDERED = {"number", "date", "string"}
MAX_TYPING_ROUNDS = 6  # parameter types only choose fast paths: stop early rather than go quadratic


@dataclass(frozen=True, slots=True)
class CheckedPolicy:
    """A policy whose names and types are sound, with its definitions in evaluation order."""

    policy: m.Policy  # its trees annotated: each node's type, and whether it is charged at run time
    definition_order: tuple[str, ...]
    parameter_types: dict[str, tuple] = field(default_factory=dict)  # definition -> its parameters' types
    cost: PolicyCost | None = None  # the bound on a record's work, and what the run-time budget must watch


def check_policy(policy: m.Policy) -> CheckedPolicy:
    checker = _Checker(policy)
    order = checker.run()
    if checker.problems:
        raise PolicyError(checker.problems)
    cost, charged, problems = bound_policy(policy, order, checker.parameter_types)
    if problems:
        raise PolicyError(problems)
    types = checker.node_types
    typed = policy.with_expressions(lambda e: replace(e, tree=n.annotated(e.tree, types, charged)))
    return CheckedPolicy(typed, order, checker.parameter_types, cost)


class _Checker:
    def __init__(self, policy: m.Policy):
        self.policy = policy
        self.problems: list[Diagnostic] = []
        self.definitions = {d.name: d for d in policy.definitions}
        self.types: dict[str, t.Type] = {}
        self.node_types: dict[int, t.Type] = {}
        self.parameter_types: dict[str, tuple] = {}
        self.params = {p.name: p for p in policy.params}
        self.dated = [p.name for p in policy.params if isinstance(p.value, History)]
        self.call_types: dict[str, dict[int, tuple[t.Type, ...]]] = {}
        data_fields = tuple((name, static_type(kind)) for name, kind in policy.data)
        self.roots: dict[str, t.Type] = {
            "applicant": static_type("applicant"),
            "params": t.Obj(tuple((p.name, t.of_value(p.value)) for p in policy.params)),
            "data": t.Obj(data_fields, frozenset(name for name, _ in data_fields)),
            "as_of": t.DATE,
        }

    # --- driving -------------------------------------------------------------------------

    def run(self) -> tuple[str, ...]:
        self._check_definition_names()
        order = self._order_definitions()
        self._infer_everything(order, {})
        if not self.problems:
            self._type_parameters_from_calls(order)
        return order

    def _infer_everything(self, order: tuple[str, ...], parameter_types: dict[str, tuple]) -> None:
        """Type every expression of the policy (definitions first, in dependency order)."""
        for name in order:
            d = self.definitions[name]
            kinds = parameter_types.get(name, (t.ANY,) * len(d.params))
            self.types[name] = self.infer(d.body, d.body.tree, dict(zip(d.params, kinds)))
        p = self.policy
        if p.scope is not None:
            self._condition(p.scope, "scope")
        for rule in p.rules:
            for label, expression in (("require", rule.require), ("when", rule.when),
                                      ("blocked_when", rule.blocked_when)):
                if expression is not None:
                    self._condition(expression, label)
            for template in (rule.message, rule.blocked_message):
                for expression in template.expressions() if template else ():
                    self.infer(expression, expression.tree, {})
            for _, expression in rule.to_meet:  # any value a person can read, as an output's
                self.infer(expression, expression.tree, {})
        if p.timeline is not None:
            self._timeline(p.timeline)
        self.roots["decision"] = t.Prim("string", m.POLICY_DECISIONS)  # outputs alone may read the decision
        for output in p.outputs:
            self.infer(output.value, output.value.tree, {})
        del self.roots["decision"]

    def _type_parameters_from_calls(self, order: tuple[str, ...]) -> None:
        """Give a definition's parameters the type every call passes them (for the compiler's fast paths).

        Parameters are untyped when written; once every call site is known, a
        parameter that always receives dates is typed as a date, and the whole
        policy is typed again, so that what the definition returns is known at
        its callers too.  That may type further parameters, so this repeats
        until nothing changes.  Errors were already reported with the
        parameters untyped, so none are added here.
        """
        functions = [name for name in order if self.definitions[name].params]
        settled: dict[str, tuple] = {}
        for _ in range(min(len(functions) + 2, MAX_TYPING_ROUNDS)):
            kinds = {name: tuple(_common_base(call[i] for call in self.call_types.get(name, {}).values())
                                 for i in range(len(self.definitions[name].params)))
                     for name in functions}
            if kinds == settled:
                break
            settled = self.parameter_types = kinds
            saved, self.problems = self.problems, []
            self._infer_everything(order, kinds)
            self.problems = saved

    def _timeline(self, timeline: m.Timeline) -> None:
        """``windows``: a list of objects, each with ``start`` and ``end`` dates; ``current``: a date.
        What is not known (``any``) passes, as everywhere; what is known to be wrong is refused."""
        ex = timeline.windows
        kind = self.infer(ex, ex.tree, {})
        wanted = "a list of windows, each an object with `start` and `end` dates"
        hint = "for example `[{start: s, end: s + params.exam_window} for s in window_starts]`"
        if isinstance(kind, t.ListOf):
            item = kind.item
            if isinstance(item, t.Obj):
                for name in ("start", "end"):
                    found = item.field(name)
                    if found is None:
                        self.error(ex, ex.tree, f"`windows` must be {wanted}, but its windows have no `{name}` "
                                   f"(fields: {', '.join(item.names()) or 'none'})",
                                   did_you_mean(name, item.names()) or hint)
                    elif t.base(found) not in ("date", "any", "null"):
                        self.error(ex, ex.tree, f"`windows` must be {wanted}, but the `{name}` of its windows "
                                   f"is {an(t.base(found))}", "give each window's first and last day as dates")
            elif isinstance(item, t.MapOf) and t.base(item.value) not in ("date", "any", "null"):
                self.error(ex, ex.tree, f"`windows` must be {wanted}, but the fields of its windows are "
                           f"{t.base(item.value)}s", "give each window's first and last day as dates")
            elif t.base(item) not in ("object", "any", "null"):
                self.error(ex, ex.tree, f"`windows` must be {wanted}, but it is a list of {t.base(item)}s", hint)
        elif t.base(kind) != "any":
            what = "always null" if t.base(kind) == "null" else an(t.base(kind))
            self.error(ex, ex.tree, f"`windows` must be {wanted}, but this is {what}", hint)
        if timeline.current is not None:
            ex = timeline.current
            kind = self.infer(ex, ex.tree, {})
            if t.base(kind) not in ("date", "any", "null"):
                self.error(ex, ex.tree, f"`current` must be a date, the first day of the window that counts, "
                           f"but this is {an(t.base(kind))}", "give the start of the window that counts, or null")

    def _condition(self, expression: n.Expression, label: str) -> None:
        kind = self.infer(expression, expression.tree, {})
        if t.base(kind) not in ("boolean", "any", "null"):
            self.error(expression, expression.tree, f"`{label}` must be true or false, but this is {an(t.base(kind))}",
                       "compare it with something, for example `x != null`")

    def error(self, expression: n.Expression, node: n.Node, message: str, hint: str | None = None,
              code: str = "type", offset: int | None = None) -> t.Type:
        where = expression.locate(node.start if offset is None else offset)
        last = expression.locate(node.end - 1) if offset is None and node.end > node.start else None
        end_column = last.column + 1 if last is not None and last.line == where.line else None  # just past it
        self.problems.append(Diagnostic(message, position=where, hint=hint, code=code, end_column=end_column))
        return t.ANY

    # --- definitions: order and cycles --------------------------------------------------

    def _order_definitions(self) -> tuple[str, ...]:
        uses = {name: referenced_definitions(d, self.definitions) for name, d in self.definitions.items()}
        order: list[str] = []
        state: dict[str, str] = {}

        # Depth-first, with an explicit stack: a chain of thousands of definitions must not
        # reach Python's recursion limit.
        for root in self.definitions:
            if state.get(root) == "done":
                continue
            path: list[str] = [root]
            state[root] = "active"
            stack = [iter(sorted(uses[root]))]
            while stack:
                used = next(stack[-1], None)
                if used is None:
                    stack.pop()
                    done = path.pop()
                    state[done] = "done"
                    order.append(done)
                    continue
                if state.get(used) == "done":
                    continue
                if state.get(used) == "active":
                    cycle = path[path.index(used):] + [used]
                    first = self.definitions[cycle[0]]
                    self.problems.append(Diagnostic(
                        "definitions refer to each other in a cycle: " + " -> ".join(f"`{c}`" for c in cycle),
                        position=first.position, code="cycle",
                        hint="definitions cannot depend on themselves; compute one of them without the other"))
                    continue
                state[used] = "active"
                path.append(used)
                stack.append(iter(sorted(uses[used])))
        return tuple(order)

    # --- inference ---------------------------------------------------------------------------

    def infer(self, ex: n.Expression, node: n.Node, scope: dict[str, t.Type]) -> t.Type:
        kind = self._infer(ex, node, scope)
        self.node_types[id(node)] = kind
        return kind

    def _infer(self, ex: n.Expression, node: n.Node, scope: dict[str, t.Type]) -> t.Type:
        match node:
            case n.Literal(value=value):
                return t.of_value(value)
            case n.Name(name=name):
                return self._name(ex, node, name, scope)
            case n.Attribute(target=n.Name(name="params") as root, name=name) if "params" not in scope:
                self.node_types[id(root)] = self.roots["params"]  # read by name: histories are fine
                return self._attribute(ex, node, self.roots["params"], name)
            case n.Attribute(target=target, name=name):
                return self._attribute(ex, node, self.infer(ex, target, scope), name)
            case n.At(target=target, day=day):
                return self._dated(ex, node, target, day, scope)
            case n.Index(target=target, key=key):
                return self._index(ex, node, self.infer(ex, target, scope), self.infer(ex, key, scope))
            case n.ListExpr(items=items):
                kinds = {self.infer(ex, i, scope) for i in items}
                return t.ListOf(kinds.pop() if len(kinds) == 1 else t.ANY)
            case n.ObjectExpr(keys=keys, values=values):
                fields = []
                for k, v in zip(keys, values):
                    self._string_key(ex, k, self.infer(ex, k, scope))
                    fields.append((k.value if isinstance(k, n.Literal) else "?", self.infer(ex, v, scope)))
                if not all(isinstance(k, n.Literal) for k in keys):
                    return t.ANY
                return t.Obj(tuple(fields), present=frozenset(name for name, _ in fields))
            case n.ListComprehension(element=element, loop=loop):
                inner = self._loop(ex, loop, scope)
                return t.ListOf(self.infer(ex, element, inner))
            case n.ObjectComprehension(key=key, value=value, loop=loop):
                inner = self._loop(ex, loop, scope)
                self._string_key(ex, key, self.infer(ex, key, inner))
                return t.MapOf(self.infer(ex, value, inner))
            case n.Call():
                return self._call(ex, node, scope)
            case n.Unary(op="not", operand=operand):
                self._expect_boolean(ex, operand, self.infer(ex, operand, scope), "`not`")
                return t.BOOLEAN
            case n.Unary(op="-", operand=operand):
                kind = self.infer(ex, operand, scope)
                if t.base(kind) not in ("number", "duration", "any", "null"):
                    return self.error(ex, node, f"cannot negate {an(t.base(kind))}")
                return kind
            case n.Binary():
                return self._arithmetic(ex, node, self.infer(ex, node.left, scope), self.infer(ex, node.right, scope))
            case n.Compare():
                return self._compare(ex, node, self.infer(ex, node.left, scope), self.infer(ex, node.right, scope))
            case n.BoolOp(op=op, left=left, right=right):
                self._expect_boolean(ex, left, self.infer(ex, left, scope), f"`{op}`")
                self._expect_boolean(ex, right, self.infer(ex, right, scope), f"`{op}`")
                return t.BOOLEAN
            case n.IfExpr(condition=c, then=a, otherwise=b):
                self._expect_boolean(ex, c, self.infer(ex, c, scope), "`if`")
                left, right = self.infer(ex, a, scope), self.infer(ex, b, scope)
                if left == right or right == t.NULL:
                    return left
                return right if left == t.NULL else t.ANY
        return t.ANY

    def _dated(self, ex, node: n.At, target: n.Node, day: n.Node, scope) -> t.Type:
        """``params.NAME at DAY``: a parameter (with a history or not) read on a day."""
        kind = self.infer(ex, target, scope)
        when = self.infer(ex, day, scope)
        if not (isinstance(target, n.Attribute) and isinstance(target.target, n.Name)
                and target.target.name == "params" and "params" not in scope):
            return self.error(ex, target, "only a parameter can be read at a date",
                              "write `params.NAME at DATE`; to read a value computed from one, put `at` "
                              "on the parameter: `(params.NAME at DATE) * 2`", code="type")
        if t.base(when) not in ("date", "any", "null"):
            return self.error(ex, day, f"a parameter is read at a date, not at {an(t.base(when))}",
                              "give a date, for example `applicant.application.submitted_on`", code="type")
        return kind

    def _string_key(self, ex, node, kind: t.Type) -> None:
        """Object keys are strings; a key known to be anything else is refused."""
        if t.base(kind) not in ("string", "any"):
            self.error(ex, node, f"an object key must be a string, not {an(t.base(kind))}",
                       "use text as the key, for example an exam's name")

    def _name(self, ex, node, name, scope) -> t.Type:
        if name in scope:
            return scope[name]
        if name in self.definitions:
            d = self.definitions[name]
            if d.params:
                return self.error(ex, node, f"`{name}` takes {len(d.params)} argument(s)",
                                  f"call it: `{name}({', '.join(d.params)})`", code="arity")
            return self.types.get(name, t.ANY)
        if name in self.roots:
            if name == "params" and self.dated:
                return self.error(ex, node, f"`params` is read whole, but `params.{self.dated[0]}` has a history "
                                  "of values", "read each parameter by name: `params.NAME`, or `params.NAME at DATE`",
                                  code="type")
            return self.roots[name]
        known = list(scope) + list(self.definitions) + list(self.roots)
        hint = did_you_mean(name, known) or "names are definitions, loop variables, or applicant, params, data, as_of"
        if name == "decision":
            hint = "`decision` can only be read in outputs"
        return self.error(ex, node, f"unknown name `{name}`", hint, code="unknown-name")

    def _attribute(self, ex, node, target: t.Type, name: str) -> t.Type:
        if isinstance(target, t.Obj):
            found = target.field(name)
            if found is None:
                path = ex.text[node.start:node.end]
                offset = node.end - len(name)
                return self.error(ex, node, f"`{path}`: there is no field `{name}` here",
                                  did_you_mean(name, target.names()) or f"fields here: {', '.join(target.names())}",
                                  code="unknown-field", offset=offset)
            return found
        if isinstance(target, t.MapOf):
            return target.value
        if target in (t.ANY, t.NULL):
            return t.ANY
        return self.error(ex, node, f"{an(t.base(target))} has no field `{name}`", code="unknown-field",
                          offset=node.end - len(name))

    def _index(self, ex, node, target: t.Type, key: t.Type) -> t.Type:
        if isinstance(target, t.ListOf):
            if t.base(key) not in ("number", "any"):
                return self.error(ex, node.key, f"a list is indexed by a number, not {an(t.base(key))}")
            return target.item
        if isinstance(target, t.MapOf):
            return target.value
        if isinstance(target, t.Obj):
            if isinstance(node.key, n.Literal) and isinstance(node.key.value, str):
                return target.field(node.key.value) or t.ANY  # `obj["name"]` is `obj.name`
            # by a name the policy computes (`credentials[name]`): what every field holds, when
            # they all hold one kind (null where the name is none of them); else anything
            kinds = {kind for _, kind in target.fields}
            return kinds.pop() if len(kinds) == 1 else t.ANY
        if target in (t.ANY, t.NULL):
            return t.ANY
        return self.error(ex, node, f"cannot index {an(t.base(target))}")

    def _loop(self, ex, loop: n.Comprehension, scope) -> dict[str, t.Type]:
        iterable = self.infer(ex, loop.iterable, scope)
        if isinstance(iterable, t.ListOf):
            item = iterable.item
        elif iterable in (t.ANY, t.NULL):
            item = t.ANY
        else:
            item = self.error(ex, loop.iterable, f"cannot loop over {an(t.base(iterable))}; expected a list")
        inner = dict(scope)
        inner[loop.var] = item
        if loop.condition is not None:
            self._expect_boolean(ex, loop.condition, self.infer(ex, loop.condition, inner), "`if`")
        return inner

    def _call(self, ex, node: n.Call, scope) -> t.Type:
        name = node.function
        args = [self.infer(ex, a, scope) for a in node.args]
        if node.generator is not None:
            args = [self.infer(ex, node.generator, scope)]
        if name in self.definitions:
            d = self.definitions[name]
            if not d.params:
                return self.error(ex, node, f"`{name}` is a value, not a function", f"write `{name}` without `()`",
                                  code="arity")
            self.call_types.setdefault(name, {})[id(node)] = tuple(args)  # per call site: re-inference replaces it
            if node.generator is not None or len(args) != len(d.params):
                return self.error(ex, node, f"`{name}` takes {len(d.params)} argument(s), got {len(args)}",
                                  f"call it as `{name}({', '.join(d.params)})`", code="arity")
            return self.types.get(name, t.ANY)
        if name not in BUILTINS:
            known = list(BUILTINS) + [d for d in self.definitions if self.definitions[d].params]
            return self.error(ex, node, f"unknown function `{name}`",
                              did_you_mean(name, known) or "functions: " + ", ".join(sorted(BUILTINS)),
                              code="unknown-name")
        row = BUILTINS[name]
        if node.generator is not None and not row.walks:
            return self.error(ex, node, f"`{name}` takes values, not a comprehension",
                              f"write `{name}(a, b)`; `first(x for x in xs)` gives the first item of a list",
                              code="arity")
        fewest, most = row.fewest, row.most
        if len(args) < fewest or (most is not None and len(args) > most):
            wanted = str(fewest) if most == fewest else f"{fewest} to {most}" if most else f"at least {fewest}"
            return self.error(ex, node, f"`{name}` takes {wanted} argument(s), got {len(args)}", code="arity")
        return row.result_type(args, lambda message, at: self.error(ex, node if at is None else node.args[at], message))

    def _expect_boolean(self, ex, node, kind: t.Type, what: str) -> None:
        if t.base(kind) not in ("boolean", "any", "null"):
            self.error(ex, node, f"{what} needs true or false, but this is {an(t.base(kind))}",
                       "compare it with something, for example `x != null`")

    def _arithmetic(self, ex, node: n.Binary, left: t.Type, right: t.Type) -> t.Type:
        a, b, op = t.base(left), t.base(right), node.op
        if "any" in (a, b) or "null" in (a, b):
            return t.DATE if "date" in (a, b) and op in "+-" and "duration" in (a, b) else t.ANY
        if a == b == "number":
            return t.NUMBER
        if op == "+" and {a, b} == {"date", "duration"}:
            return t.DATE
        if op == "-" and a == "date" and b == "duration":
            return t.DATE
        if op == "-" and a == b == "date":
            return t.NUMBER
        verb = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}[op]
        hint = "arithmetic works on numbers, and on a date with a duration (date + 7 years)"
        if "string" in (a, b):
            hint = "strings cannot be added or subtracted; use join([a, b], \" \") to build text"
        return self.error(ex, node, f"cannot {verb} {a} and {b}", hint)

    def _compare(self, ex, node: n.Compare, left: t.Type, right: t.Type) -> t.Type:
        op = node.op
        if op in ("in", "not in"):
            item = right.item if isinstance(right, t.ListOf) else None
            if t.base(right) not in ("list", "object", "any", "null", "string"):
                self.error(ex, node.right, f"`{op}` needs a list on its right, not {an(t.base(right))}")
            elif item is not None:
                self._same_kind(ex, node, left, item, node.right)
            self._param_values_in_enum(left, node.right)
            return t.BOOLEAN
        if op in ("==", "!="):
            self._same_kind(ex, node, left, right, node.right)
            self._param_values_in_enum(left, node.right)
            self._param_values_in_enum(right, node.left)
            return t.BOOLEAN
        a, b = t.base(left), t.base(right)
        if "any" in (a, b) or "null" in (a, b):
            return t.BOOLEAN
        if a == b == "duration":
            self.error(ex, node, f"durations cannot be ordered with `{op}` (is 1 month more than 30 days?)",
                       "compare the dates instead: `start + 7 years >= as_of`")
        elif a != b or a not in _ORDERED:
            hint = "compare dates with dates (as_of, 2021-01-26) and numbers with numbers"
            self.error(ex, node, f"cannot compare {a} with {b} using `{op}`", hint)
        return t.BOOLEAN

    def _same_kind(self, ex, node, left: t.Type, right: t.Type, right_node: n.Node) -> None:
        a, b = t.base(left), t.base(right)
        if "any" in (a, b) or "null" in (a, b):
            return
        if a != b:
            self.error(ex, node, f"comparing {a} with {b} is always false", "compare values of the same kind")
            return
        for enum_type, other_node in ((left, right_node), (right, node.left)):
            if isinstance(enum_type, t.Prim) and enum_type.enum:
                for literal in _string_literals(other_node):
                    if literal.value not in enum_type.enum:
                        self.error(ex, literal, f"`{literal.value}` is not a possible value here",
                                   did_you_mean(literal.value, enum_type.enum)
                                   or "possible values: " + ", ".join(enum_type.enum), code="enum")


    def _param_values_in_enum(self, kind: t.Type, other: n.Node) -> None:
        """``a.exam in params.required_exams``: every value of the parameter must be a possible exam
        (every value of its history, read plainly or ``at`` a day)."""
        if isinstance(other, n.At):
            other = other.target
        if not (isinstance(kind, t.Prim) and kind.enum and isinstance(other, n.Attribute)
                and isinstance(other.target, n.Name) and other.target.name == "params"):
            return
        param = self.params.get(other.name)
        if param is None:
            return
        held = param.value.values if isinstance(param.value, History) else (param.value,)
        values = [v for value in held for v in (value if isinstance(value, list) else [value])]
        for value in values:
            if isinstance(value, str) and value not in kind.enum:
                self.problems.append(Diagnostic(
                    f"parameter `{param.name}` holds `{value}`, which is not a possible value here",
                    position=param.position, code="enum",
                    hint=did_you_mean(value, kind.enum) or "possible values: " + ", ".join(kind.enum)))

    def _check_definition_names(self) -> None:
        taken = set(ROOTS) | {"decision"} | set(BUILTINS) | RESERVED_WORDS
        for d in self.policy.definitions:
            if d.name in taken:
                self.problems.append(Diagnostic(
                    f"`{d.name}` cannot name a definition: it is a built-in name", position=d.position,
                    code="reserved-name", hint="choose another name"))


def _common_base(kinds) -> t.Type:
    """The one plain type all ``kinds`` share (null aside), else ``any``."""
    seen = {t.Prim(t.base(k)) if isinstance(k, t.Prim) else k for k in kinds} - {t.NULL}
    if len(seen) == 1:
        only = seen.pop()
        return only if only in (t.NUMBER, t.STRING, t.DATE, t.DURATION, t.BOOLEAN) else t.ANY
    return t.ANY


def _string_literals(node: n.Node) -> list[n.Literal]:
    if isinstance(node, n.Literal) and isinstance(node.value, str):
        return [node]
    if isinstance(node, n.ListExpr):
        return [i for i in node.items if isinstance(i, n.Literal) and isinstance(i.value, str)]
    return []


def referenced_definitions(definition: m.Definition, definitions: dict) -> set[str]:
    """Definitions a definition's body names (loop variables and parameters shadow them)."""
    found: set[str] = set()

    def walk(node: n.Node, bound: frozenset[str]) -> None:
        if isinstance(node, n.Name) and node.name not in bound and node.name in definitions:
            found.add(node.name)
        elif isinstance(node, n.Call) and node.function in definitions:
            found.add(node.function)
        if isinstance(node, (n.ListComprehension, n.ObjectComprehension)):
            walk(node.loop.iterable, bound)
            inner = bound | {node.loop.var}
            for child in n.children(node)[1:] + ((node.loop.condition,) if node.loop.condition else ()):
                walk(child, inner)
            return
        for child in n.children(node):
            walk(child, bound)

    walk(definition.body.tree, frozenset(definition.params))
    return found
