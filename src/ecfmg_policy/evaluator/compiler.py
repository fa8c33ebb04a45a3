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
from dataclasses import dataclass
from typing import Any, Callable

from ecfmg_policy.errors import Diagnostic, PolicyError
from ecfmg_policy.evaluator import nodes as n
from ecfmg_policy.evaluator import runtime as rt
from ecfmg_policy.evaluator import types as t
from ecfmg_policy.evaluator.checker import CheckedPolicy, referenced_definitions
from ecfmg_policy.evaluator.model import Template
from ecfmg_policy.evaluator.values import display

MET, UNMET, BLOCKED, NOT_APPLICABLE, ERROR = "met", "unmet", "blocked", "not_applicable", "error"

_COMPARE = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_ARITHMETIC = {"+": "add", "-": "sub", "*": "mul", "/": "div"}


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A policy ready to evaluate records: the checked policy and its generated function."""

    checked: CheckedPolicy
    run: Callable[..., tuple]
    source_code: str  # kept for reviewing what was generated
    effective_to: datetime.date | None = None  # set by the policy set: the day before the next version

    @property
    def policy(self):
        return self.checked.policy


def compile_policy(checked: CheckedPolicy) -> CompiledPolicy:
    generator = _Generator(checked)
    code = generator.module()
    namespace: dict[str, Any] = dict(generator.constants)
    namespace.update(_runtime_namespace())
    namespace["__builtins__"] = {"len": len, "Exception": Exception, "isinstance": isinstance}
    try:
        bytecode = compile(code, f"<policy {checked.policy.source}>", "exec")
    except (SyntaxError, RecursionError, MemoryError):  # only ever from sheer size: nesting is capped at parse
        raise PolicyError(Diagnostic("the policy is too large or deeply nested to compile", source=checked.policy.source,
                                     code="too-complex", hint="split long expressions into definitions")) from None
    exec(bytecode, namespace)  # noqa: S102 - generated from checked nodes only; see module docstring
    return CompiledPolicy(checked, namespace["evaluate"], code)


def _always_bool(node: n.Node) -> bool:
    """Nodes whose generated code yields True or False and nothing else."""
    match node:
        case n.Compare() | n.Unary(op="not"):
            return True
        case n.Literal(value=bool()):
            return True
        case n.BoolOp(left=left, right=right):
            return _always_bool(left) and _always_bool(right)
        case n.Call(function="all" | "any" | "none"):
            return True
    return False


def _runtime_namespace() -> dict[str, Any]:
    names = {name: getattr(rt, name) for name in ("get", "index", "items", "lt", "le", "gt", "ge", "contains",
                                                  "add", "sub", "mul", "div", "neg", "truth", "explain")}
    names.update({f"fn_{name}": impl for name, (impl, _, _) in rt.BUILTINS.items()})
    names.update(display=display, EMPTY={}, need=rt.need, MET=MET, UNMET=UNMET, BLOCKED=BLOCKED,
                 NOT_APPLICABLE=NOT_APPLICABLE, ERROR=ERROR)
    return names


class _Generator:
    def __init__(self, checked: CheckedPolicy):
        self.checked = checked
        self.policy = checked.policy
        self.types = checked.node_types
        self.definitions = {d.name: d for d in self.policy.definitions}
        self.constants: dict[str, Any] = {f"P_{p.name}": p.value for p in self.policy.params}
        self.lines: list[str] = []
        self.refs: set[str] = set()  # definitions named by the expression being compiled
        self._closure = self._definition_closure()

    # --- layout of the generated function ------------------------------------------------

    def module(self) -> str:
        emit = self.lines.append
        emit("def evaluate(applicant, data, as_of, decide):")
        emit("    failed = {}")
        for name in self.checked.definition_order:
            self._definition(self.definitions[name])
        self._scope()
        emit("    outcomes = []")
        emit("    messages = []")
        for number, rule in enumerate(self.policy.rules):
            self._rule(number, rule)
        emit("    decision = decide(in_scope, outcomes)")
        emit("    outputs = {}")
        emit("    output_errors = {}")
        for output in self.policy.outputs:
            self._guarded(f"outputs[{output.name!r}]", output.value,
                          [f"output_errors[{output.name!r}] = explain(exc)", f"outputs[{output.name!r}] = None"])
        emit("    return in_scope, scope_error, outcomes, messages, decision, outputs, output_errors")
        return "\n".join(self.lines) + "\n"

    def _definition(self, d) -> None:
        if d.params:
            args = ", ".join(f"l_{p}" for p in d.params)
            body = self.expr(d.body.tree, frozenset(d.params))
            self.lines.append(f"    def f_{d.name}({args}):")
            self.lines.append(f"        return {body}")
            return
        self._guarded(f"d_{d.name}", d.body,
                      [f"failed[{d.name!r}] = exc", f"d_{d.name} = None"])

    def _guarded(self, target: str, expression: n.Expression, on_error: list[str]) -> None:
        """``target = expression``, unless it fails or needs a definition that failed."""
        code, deps = self.expression(expression)
        emit = self.lines.append
        emit("    try:")
        if deps:
            emit(f"        if failed:")
            emit(f"            need(failed, {sorted(deps)!r})")
        emit(f"        {target} = {code}")
        emit("    except Exception as exc:")
        for line in on_error:
            emit(f"        {line}")

    def _scope(self) -> None:
        emit = self.lines.append
        emit("    scope_error = None")
        if self.policy.scope is None:
            emit("    in_scope = True")
            return
        self._guarded("in_scope", self.policy.scope, ["scope_error = explain(exc)", "in_scope = True"])
        emit("    in_scope = in_scope is True")

    def _rule(self, number: int, rule) -> None:
        """Outcome and message of one rule; a failed definition fails it only when the rule reaches it."""
        emit = self.lines.append
        emit(f"    # rule {rule.id}")
        emit("    try:")
        emit("        if not in_scope:")
        emit("            outcome = NOT_APPLICABLE")
        if rule.when is not None:
            emit(f"        elif not {self._checked_condition(rule.when)}:")
            emit("            outcome = NOT_APPLICABLE")
        emit(f"        elif {self._checked_condition(rule.require)}:")
        emit("            outcome = MET")
        if rule.blocked_when is not None:
            emit(f"        elif {self._checked_condition(rule.blocked_when)}:")
            emit("            outcome = BLOCKED")
        emit("        else:")
        emit("            outcome = UNMET")
        emit("    except Exception as exc:")
        emit("        outcome = ERROR")
        emit("        messages.append(explain(exc))")
        emit("    else:")
        unmet = self.template(rule.message)
        blocked_text = self.template(rule.blocked_message) if rule.blocked_message else unmet
        emit("        try:")
        emit(f"            messages.append({unmet} if outcome is UNMET else {blocked_text} if outcome is BLOCKED else None)")
        emit("        except Exception as exc:")
        emit("            messages.append('(the message could not be shown: ' + explain(exc) + ')')")
        emit("    outcomes.append(outcome)")

    def _checked_condition(self, expression: n.Expression) -> str:
        """A condition that first raises if a definition it needs failed for this record."""
        deps: set[str] = set()
        code = self.condition(expression, deps)
        if not deps:
            return code
        return f"((not failed or need(failed, {sorted(deps)!r})) and {code})"

    # --- expressions ---------------------------------------------------------------------------

    def expression(self, expression: n.Expression) -> tuple[str, set[str]]:
        self.refs = set()
        code = self.expr(expression.tree, frozenset())
        return code, self._dependencies(self.refs)

    def condition(self, expression: n.Expression, deps: set[str]) -> str:
        code, found = self.expression(expression)
        deps |= found
        return self._as_condition(expression.tree, code)

    def _as_condition(self, node: n.Node, code: str) -> str:
        """Python truth for a policy condition: null is false, anything but a boolean is an error."""
        if _always_bool(node):
            return code
        if self.types.get(id(node)) == t.BOOLEAN:
            return f"({code} is True)"
        return f"truth({code})"

    def template(self, template: Template | None) -> str:
        if template is None:
            return "None"
        pieces = []
        for part in template.parts:
            if isinstance(part, str):
                pieces.append(repr(part))
            else:
                pieces.append(f"display({self.expr(part.tree, frozenset())})")
        return "(" + " + ".join(pieces) + ")" if pieces else "''"

    def constant(self, value: Any) -> str:
        if value is None or isinstance(value, (bool, int, float, str)):
            return repr(value)
        name = f"K{len(self.constants)}"
        self.constants[name] = value
        return name

    def expr(self, node: n.Node, local: frozenset[str]) -> str:
        e = self.expr
        match node:
            case n.Literal(value=value):
                return self.constant(value)
            case n.Name(name=name):
                if name in local:
                    return f"l_{name}"
                if name in self.definitions:
                    self.refs.add(name)
                    return f"d_{name}"
                return name  # a root: applicant, data, as_of, decision (checked)
            case n.Attribute(target=n.Name(name="params"), name=name) if "params" not in local:
                return f"P_{name}"
            case n.Attribute(target=n.Name(name=root) as target, name=name) if root in ("applicant", "data") and root not in local:
                return f"{root}.get({name!r})"  # the record and the data are always objects
            case n.Attribute(target=target, name=name):
                if isinstance(self.types.get(id(target)), (t.Obj, t.MapOf)):
                    return f"({e(target, local)} or EMPTY).get({name!r})"
                return f"get({e(target, local)}, {name!r})"
            case n.Index(target=target, key=key):
                if isinstance(self.types.get(id(target)), t.MapOf):
                    return f"({e(target, local)} or EMPTY).get({e(key, local)})"
                return f"index({e(target, local)}, {e(key, local)})"
            case n.ListExpr(items=items):
                return "[" + ", ".join(e(i, local) for i in items) + "]"
            case n.ObjectExpr(keys=keys, values=values):
                return "{" + ", ".join(f"{e(k, local)}: {e(v, local)}" for k, v in zip(keys, values)) + "}"
            case n.ListComprehension(element=element, loop=loop):
                head, inner = self._loop(loop, local)
                return f"[{e(element, inner)} {head}]"
            case n.ObjectComprehension(key=key, value=value, loop=loop):
                head, inner = self._loop(loop, local)
                return f"{{{e(key, inner)}: {e(value, inner)} {head}}}"
            case n.Call():
                return self._call(node, local)
            case n.Unary(op="not", operand=operand):
                return f"(not {self._boolean(operand, local)})"
            case n.Unary(op="-", operand=operand):
                return f"neg({e(operand, local)})"
            case n.Binary(op=op, left=left, right=right):
                return f"{_ARITHMETIC[op]}({e(left, local)}, {e(right, local)})"
            case n.Compare(op="==" | "!=" as op, left=left, right=right):
                return f"({e(left, local)} {op} {e(right, local)})"
            case n.Compare(op="in", left=left, right=right):
                return f"contains({e(right, local)}, {e(left, local)})"
            case n.Compare(op="not in", left=left, right=right):
                return f"(not contains({e(right, local)}, {e(left, local)}))"
            case n.Compare(op=op, left=left, right=right):
                return f"{_COMPARE[op]}({e(left, local)}, {e(right, local)})"
            case n.BoolOp(op=op, left=left, right=right):
                return f"({self._boolean(left, local)} {op} {self._boolean(right, local)})"
            case n.IfExpr(condition=c, then=a, otherwise=b):
                return f"({e(a, local)} if {self._boolean(c, local)} else {e(b, local)})"
        raise AssertionError(f"no code for {type(node).__name__}")

    def _boolean(self, node: n.Node, local) -> str:
        return self._as_condition(node, self.expr(node, local))

    def _loop(self, loop: n.Comprehension, local) -> tuple[str, frozenset[str]]:
        iterable = self.expr(loop.iterable, local)
        if isinstance(self.types.get(id(loop.iterable)), t.ListOf):
            iterable = f"({iterable} or ())"
        else:
            iterable = f"items({iterable})"
        inner = local | {loop.var}
        head = f"for l_{loop.var} in {iterable}"
        if loop.condition is not None:
            head += f" if {self._boolean(loop.condition, inner)}"
        return head, inner

    def _call(self, node: n.Call, local) -> str:
        args = [self.expr(a, local) for a in node.args]
        if node.generator is not None:
            args = [self.expr(node.generator, local)]
        if node.function in self.definitions:
            self.refs.add(node.function)
            return f"f_{node.function}({', '.join(args)})"
        if node.function == "count" and isinstance(self.types.get(id(node.args[0] if node.args else node.generator)), t.ListOf):
            return f"len({args[0]})" if node.generator is not None else f"len({args[0]} or ())"
        return f"fn_{node.function}({', '.join(args)})"

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
