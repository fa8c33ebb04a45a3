"""Python code for one expression of the policy language.

The compiler (``compiler.py``) lays out the generated function; this module
writes the Python for each expression in it.  Everything from the policy that
reaches the code is a checked node: names become prefixed identifiers, values
are written with ``repr`` or passed in as constants.  Where ``nullness``
proves a value cannot be null, or both sides of a comparison have one type,
plain Python is written; elsewhere the null-safe helpers of ``runtime``.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from ecfmg_policy.evaluator import nodes as n
from ecfmg_policy.evaluator import types as t
from ecfmg_policy.evaluator.builtins import BUILTINS
from ecfmg_policy.evaluator.model import Template
from ecfmg_policy.evaluator.nullness import NullFacts

_COMPARE = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_ARITHMETIC = {"+": "add", "-": "sub", "*": "mul", "/": "div"}


def always_bool(node: n.Node, definitions: dict | None = None) -> bool:
    """Nodes whose generated code yields True or False and nothing else."""
    match node:
        case n.Compare() | n.Unary(op="not"):
            return True
        case n.Literal(value=bool()):
            return True
        case n.BoolOp(left=left, right=right):
            return always_bool(left, definitions) and always_bool(right, definitions)
        case n.Call(function=name) if definitions and name in definitions:
            return always_bool(definitions[name].body.tree)  # one level: definitions are acyclic anyway
        case n.Call(function=name) if name in BUILTINS:
            return BUILTINS[name].fixed_type == t.BOOLEAN
    return False


def has_loop(node: n.Node) -> bool:
    """Whether evaluating ``node`` walks a list (such a definition is called, not inlined)."""
    if isinstance(node, (n.ListComprehension, n.ObjectComprehension)):
        return True
    return any(has_loop(child) for child in n.children(node))



class ExpressionCode(NullFacts):
    """Writes expressions; a mixin of the compiler's generator, whose state it reads and updates."""

    def expression(self, expression: n.Expression) -> tuple[str, set[str]]:
        self.refs = set()
        self.non_null_locals = set()
        code = self.expr(expression.tree, frozenset())
        return code, self._dependencies(self.refs)

    def condition(self, expression: n.Expression, deps: set[str]) -> str:
        code, found = self.expression(expression)
        deps |= found
        return self._as_condition(expression.tree, code)

    def _as_condition(self, node: n.Node, code: str) -> str:
        """Python truth for a policy condition: null is false, anything but a boolean is an error."""
        if self.fast_paths and always_bool(node, self.definitions):
            return code
        if self.types.get(id(node)) == t.BOOLEAN:
            return f"({code} is True)"
        return f"truth({code})"

    def template(self, template: Template | None) -> str:
        if template is None:
            return "None"
        pieces = []
        self.refs = set()
        for part in template.parts:
            if isinstance(part, str):
                pieces.append(repr(part))
            else:
                self.non_null_locals = set()
                shown = "show" if self.charged(part.tree) else "display"
                pieces.append(f"{shown}({self.expr(part.tree, frozenset())})")
        text = " + ".join(pieces) if pieces else "''"
        deps = self._dependencies(self.refs)
        if deps:  # a placeholder reading a definition that failed says so, rather than showing none
            return f"(need(failed, {sorted(deps)!r}) and ({text}))"
        return f"({text})"

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
                    return self.substitutions.get(name, f"l_{name}")
                if name in self.definitions:
                    self.refs.add(name)
                    return f"d_{name}"
                if name == "params":  # the parameters as one value: `params["fee"]`
                    return "PARAMS"
                return name  # a root: applicant, data, as_of, decision (checked)
            case n.Attribute(target=n.Name(name="params"), name=name) if "params" not in local:
                return f"P_{name}"
            case n.Attribute(target=target, name=name):
                return self._field(target, name, local)
            case n.Index(target=target, key=key):
                literal = self.substituted_nodes.get(key.name) if isinstance(key, n.Name) and key.name in local else key
                if (isinstance(self.types.get(id(target)), t.Obj) and isinstance(literal, n.Literal)
                        and isinstance(literal.value, str)):
                    return self._field(target, literal.value, local)  # obj["name"] is obj.name
                if isinstance(self.types.get(id(target)), t.MapOf):
                    if self.non_null(target, local):
                        return f"{e(target, local)}.get({e(key, local)})"
                    return f"({e(target, local)} or EMPTY).get({e(key, local)})"
                return f"index({e(target, local)}, {e(key, local)})"
            case n.ListExpr(items=items):
                return "[" + ", ".join(e(i, local) for i in items) + "]"
            case n.ObjectExpr(keys=keys, values=values):
                self._note_object_fields(node, local)
                return "{" + ", ".join(f"{self._key(k, local)}: {e(v, local)}" for k, v in zip(keys, values)) + "}"
            case n.ListComprehension(element=element, loop=loop):
                saved = set(self.non_null_locals)  # the loop variable's facts end with the loop
                head, inner = self.loop(loop, local)
                code = f"[{e(element, inner)} {head}]"
                self.non_null_locals = saved
                return code
            case n.ObjectComprehension(key=key, value=value, loop=loop):
                saved = set(self.non_null_locals)
                head, inner = self.loop(loop, local)
                code = f"{{{self._key(key, inner)}: {e(value, inner)} {head}}}"
                self.non_null_locals = saved
                return code
            case n.Call():
                return self._call(node, local)
            case n.Unary(op="not", operand=operand):
                return f"(not {self.boolean(operand, local)})"
            case n.Unary(op="-", operand=operand):
                return f"neg({e(operand, local)})"
            case n.Binary(op="+", left=left, right=right) if self._date_plus_duration(left, right):
                return f"plus_duration({e(left, local)}, {e(right, local)})"
            case n.Binary(op="+" | "-" as op, left=left, right=right) if self._plain_numbers(left, right, local):
                return f"in_range({e(left, local)} {op} {e(right, local)})"
            case n.Binary(op=op, left=left, right=right):
                return f"{_ARITHMETIC[op]}({e(left, local)}, {e(right, local)})"
            case n.Compare(op="==" | "!=" as op, left=left, right=n.Literal(value=None)) if self.fast_paths and not isinstance(
                    left, (n.Literal, n.ListExpr, n.ObjectExpr, n.ListComprehension, n.ObjectComprehension)):
                return f"({e(left, local)} {'is' if op == '==' else 'is not'} None)"
            case n.Compare(op="==" | "!=" as op, left=left, right=right):
                if self.fast_paths and self._plain_equality(left, right) and not (self.charged(left) or self.charged(right)):
                    return f"({e(left, local)} {op} {e(right, local)})"
                test = f"eq({e(left, local)}, {e(right, local)})"
                return test if op == "==" else f"(not {test})"
            case n.Compare(op="in" | "not in" as op, left=left, right=right):
                if (isinstance(self.types.get(id(right)), t.ListOf) and self.non_null(right, local)
                        and t.base(self.types.get(id(left), t.ANY)) in ("string", "date", "null")):
                    return f"({e(left, local)} {op} {self.walked(right, local)})"
                test = f"contains({e(right, local)}, {e(left, local)})"
                return test if op == "in" else f"(not {test})"
            case n.Compare(op=op, left=left, right=right):
                if (self._same_orderable_type(left, right) and self._can_guard(left, right, local)
                        and not (self.charged(left) or self.charged(right))):
                    return self._plain_ordering(op, left, right, local)
                return f"{_COMPARE[op]}({e(left, local)}, {e(right, local)})"
            case n.BoolOp(op=op, left=left, right=right):
                return f"({self.boolean(left, local)} {op} {self.boolean(right, local)})"
            case n.IfExpr(condition=c, then=a, otherwise=b):
                return f"({e(a, local)} if {self.boolean(c, local)} else {e(b, local)})"
        raise AssertionError(f"no code for {type(node).__name__}")

    def _plain_equality(self, left: n.Node, right: n.Node) -> bool:
        """Python's ``==`` is the language's unless a boolean could meet a number (Python says
        ``1 == True``), directly or inside a list or object.  A string, date or null on either
        side rules that out; so do two numbers or two booleans."""
        if any(isinstance(x, n.ListExpr) and not x.items for x in (left, right)):
            return True  # only an empty list equals []
        if any(isinstance(self.types.get(id(x)), (t.ListOf, t.Obj, t.MapOf)) for x in (left, right)):
            return False  # lists and objects: `eq`, which charges the budget for what it walks
        kinds = {t.base(self.types.get(id(x), t.ANY)) for x in (left, right)}
        return bool(kinds & {"string", "date", "duration", "null"}) or kinds in ({"number"}, {"boolean"})

    def _can_guard(self, left: n.Node, right: n.Node, local) -> bool:
        """Every side that may be null can be tested without a temporary, or temporaries are allowed."""
        return not self.no_temporaries or all(self.non_null(x, local) or isinstance(x, n.Name) for x in (left, right))

    def _plain_ordering(self, op: str, left: n.Node, right: n.Node, local) -> str:
        """``left op right`` with Python's operator; a side that may be null is tested first
        (by name, or bound to a temporary), since an ordering with null is false."""
        tests, operands = [], []
        for side in (left, right):
            code = self.expr(side, local)
            if self.non_null(side, local):
                operands.append(code)
            elif isinstance(side, n.Name):
                tests.append(f"{code} is not None")
                operands.append(code)
            else:
                self.temporaries += 1
                temp = f"t_{self.temporaries}"
                tests.append(f"({temp} := {code}) is not None")
                operands.append(temp)
        return "(" + "".join(f"{test} and " for test in tests) + f"{operands[0]} {op} {operands[1]})"

    def _date_plus_duration(self, left: n.Node, right: n.Node) -> bool:
        return self.types.get(id(left)) == t.DATE and self.types.get(id(right)) == t.DURATION

    def _plain_numbers(self, left: n.Node, right: n.Node, local) -> bool:
        """Both sides numbers, never null: Python's ``+`` and ``-`` are the language's, with the
        range check that ``add`` and ``sub`` would make (and without their tests of kind)."""
        return all(t.base(self.types.get(id(x), t.ANY)) == "number" and self.non_null(x, local) for x in (left, right))

    def boolean(self, node: n.Node, local) -> str:
        return self._as_condition(node, self.expr(node, local))

    def loop(self, loop: n.Comprehension, local) -> tuple[str, frozenset[str]]:
        """The ``for … in … if …`` of a comprehension; the caller compiles its body in ``inner``."""
        iterable, inner = self._loop_parts(loop, local)
        head = f"for l_{loop.var} in {iterable}"
        if loop.condition is not None:
            head += f" if {self.boolean(loop.condition, inner)}"
        return head, inner

    def _loop_parts(self, loop: n.Comprehension, local) -> tuple[str, frozenset[str]]:
        """What a loop walks (null walks as empty), and the names visible inside it."""
        # Python forbids `:=` anywhere in a comprehension's iterable: no temporaries there
        saved, self.no_temporaries = self.no_temporaries, True
        iterable = self.walked(loop.iterable, local)
        self.no_temporaries = saved
        if self.items_non_null(loop.iterable, local):
            self.non_null_locals.add(loop.var)
        else:
            self.non_null_locals.discard(loop.var)
        return iterable, local | {loop.var}

    def walked(self, node: n.Node, local, code: str | None = None) -> str:
        """A list about to be walked (null walks as empty), charged to the record's budget by its
        length where the static bound cannot vouch for it.  A list the policy itself spells out (a parameter, a list written in place or
        built right here, whose own loop was charged) is bounded by the policy's size and is not
        charged again: these sit inside the hottest loops."""
        code = self.expr(node, local) if code is None else code
        if not self.charged(node):
            return f"({code} or ())"
        if isinstance(node, (n.ListExpr, n.ListComprehension)):
            return code
        if (isinstance(node, n.Attribute) and isinstance(node.target, n.Name) and node.target.name == "params"
                and "params" not in local and isinstance(self.params.get(node.name), list)):
            return code
        return f"walk({code})"

    def charged(self, node: n.Node) -> bool:
        """Whether walking or showing ``node`` is charged to the record's budget at run time:
        where the checker's bound rests on an assumed size (``cost.py``), or everywhere when
        the policy is compiled to measure what it does."""
        return self.meter_everything or id(node) in self.open_nodes

    def _call(self, node: n.Call, local) -> str:
        args = [self.expr(a, local) for a in node.args]
        if node.generator is not None:
            args = [self.expr(node.generator, local)]
        if node.function in self.definitions:
            self.refs.add(node.function)
            inlined = self._inline(node, args, local)
            return inlined if inlined is not None else f"f_{node.function}({', '.join(args)})"
        row = BUILTINS[node.function]
        fast = row.fast(self, node, args, local) if row.fast is not None and self.fast_paths else None
        return fast if fast is not None else f"fn_{node.function}({', '.join(args)})"

    # --- what the built-ins' fast paths (``builtins.py``) may ask of the writer -----------------

    def type_of(self, node: n.Node) -> t.Type | None:
        """The checker's type of ``node``, if it gave one."""
        return self.types.get(id(node))

    def temporary(self) -> str | None:
        """A fresh name for a value used twice, or ``None`` where Python allows no ``:=``."""
        if self.no_temporaries:
            return None
        self.temporaries += 1  # a name of its own, so nested uses cannot clash
        return f"t_{self.temporaries}"

    @contextmanager
    def keep_locals(self):
        """What is learnt about loop variables inside stays inside."""
        saved = set(self.non_null_locals)
        try:
            yield
        finally:
            self.non_null_locals = saved

    def _key(self, key: n.Node, local) -> str:
        """An object's key: a string, checked at run time unless it is known to be one."""
        if isinstance(key, n.Literal) and isinstance(key.value, str):
            return repr(key.value)
        code = self.expr(key, local)
        if self.types.get(id(key)) == t.STRING and self.non_null(key, local):
            return code
        return f"object_key({code})"

    def _field(self, target: n.Node, name: str, local) -> str:
        """``target.name``: a subscript where the field is always there, else a null-safe read."""
        kind = self.types.get(id(target))
        code = self.expr(target, local)
        if isinstance(kind, (t.Obj, t.MapOf)):
            if not self.non_null(target, local):
                return f"({code} or EMPTY).get({name!r})"
            if isinstance(kind, t.Obj) and (name in kind.required or name in kind.present):
                return f"{code}[{name!r}]"
            return f"{code}.get({name!r})"
        return f"get({code}, {name!r})"

    def _inline(self, node: n.Call, args: list[str], local) -> str | None:
        """The body of a small definition in place of a call to it, when every argument is a
        plain name or value (so nothing is computed twice).  Saves a Python call per use."""
        d = self.definitions[node.function]
        if (not self.fast_paths or has_loop(d.body.tree) or not all(isinstance(a, (n.Name, n.Literal)) for a in node.args)
                or self.inline_depth >= MAX_INLINE_DEPTH or _size(d.body.tree) > MAX_INLINE_SIZE):
            return None  # bounded, so that inlining cannot grow the code exponentially
        saved_subst, saved_nn, saved_nodes = self.substitutions, set(self.non_null_locals), self.substituted_nodes
        self.substitutions = dict(zip(d.params, args))
        # an argument that is itself a parameter being substituted stands for what it was given
        # (`credential(name)` inlined inside `credential_status("diploma")` reads "diploma")
        self.substituted_nodes = {p: saved_nodes.get(a.name, a) if isinstance(a, n.Name) and a.name in local else a
                                  for p, a in zip(d.params, node.args)}
        self.non_null_locals = {p for p, a in zip(d.params, node.args) if self.non_null(a, local)}
        self.inline_depth += 1
        try:
            return "(" + self.expr(d.body.tree, frozenset(d.params)) + ")"
        finally:
            self.inline_depth -= 1
            self.substitutions, self.non_null_locals, self.substituted_nodes = saved_subst, saved_nn, saved_nodes


MAX_INLINE_DEPTH = 3  # a definition inlined into one inlined into one inlined: no deeper
MAX_INLINE_SIZE = 40  # nodes in the body of a definition worth inlining


def _size(tree: n.Node) -> int:
    return sum(1 for _ in n.walk(tree))
