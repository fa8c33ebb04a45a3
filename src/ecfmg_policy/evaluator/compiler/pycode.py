"""Python code for one expression of the policy language.

The compiler (``compiler.py``) lays out the generated function; this module
writes the Python for each expression in it.  Everything from the policy that
reaches the code is a checked node: names become prefixed identifiers, values
are written with ``repr`` or passed in as constants.  Where ``nullness``
proves a value cannot be null, or both sides of a comparison have one type,
plain Python is written; elsewhere the null-safe helpers of ``runtime``.
"""

from __future__ import annotations

from typing import Any

from ecfmg_policy.evaluator.language import nodes as n
from ecfmg_policy.evaluator.language import types as t
from ecfmg_policy.evaluator.language.builtins import BUILTINS
from ecfmg_policy.evaluator.compiler.frame import Frame
from ecfmg_policy.evaluator.policy.model import Template
from ecfmg_policy.evaluator.language.values import History

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



class ExpressionCode:
    """Writes expressions; a mixin of the compiler's generator.  What depends on where an
    expression sits (names in scope, what is known of them, inlined arguments) comes in the
    ``Frame`` passed down; the generator itself only gathers what the code needs (the
    definitions it reads, constants, a counter of temporary names)."""

    def expression(self, expression: n.Expression) -> tuple[str, set[str]]:
        self.refs = set()
        code = self.expr(expression.tree, Frame())
        return code, self._dependencies(self.refs)

    def condition(self, expression: n.Expression, deps: set[str]) -> str:
        code, found = self.expression(expression)
        deps |= found
        return self._as_condition(expression.tree, code)

    def _as_condition(self, node: n.Node, code: str) -> str:
        """Python truth for a policy condition: null is false, anything but a boolean is an error."""
        if self.fast_paths and always_bool(node, self.definitions):
            return code
        if self.type_of(node) == t.BOOLEAN:
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
                shown = "show" if self.charged(part.tree) else "display"
                pieces.append(f"{shown}({self.expr(part.tree, Frame())})")
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

    def expr(self, node: n.Node, frame: frozenset[str]) -> str:
        e = self.expr
        match node:
            case n.Literal(value=value):
                return self.constant(value)
            case n.Name(name=name):
                if name in frame:
                    return frame.substitutions.get(name, f"l_{name}")
                if name in self.definitions:
                    self.refs.add(name)
                    return f"d_{name}"
                if name == "params":  # the parameters as one value: `params["fee"]`
                    return "PARAMS"
                return name  # a root: applicant, data, as_of, decision (checked)
            case n.Attribute(target=n.Name(name="params"), name=name) if "params" not in frame:
                if isinstance(self.params.get(name), History):  # read plainly: its value on the as-of date
                    return f"P_{name}.at(as_of)"
                return f"P_{name}"
            case n.At(target=n.Attribute(name=name), day=day):  # the checker allows parameters only
                if not isinstance(self.params.get(name), History) and self.type_of(day) == t.DATE:
                    return f"(P_{name} if {e(day, frame)} is not None else None)"  # one value on every day
                return f"param_at(P_{name}, {e(day, frame)})"
            case n.Attribute(target=target, name=name):
                return self._field(target, name, frame)
            case n.Index(target=target, key=key):
                literal = frame.arguments.get(key.name) if isinstance(key, n.Name) and key.name in frame else key
                if (isinstance(self.type_of(target), t.Obj) and isinstance(literal, n.Literal)
                        and isinstance(literal.value, str)):
                    return self._field(target, literal.value, frame)  # obj["name"] is obj.name
                if isinstance(self.type_of(target), t.MapOf):
                    if self.non_null(target, frame):
                        return f"{e(target, frame)}.get({e(key, frame)})"
                    return f"({e(target, frame)} or EMPTY).get({e(key, frame)})"
                return f"index({e(target, frame)}, {e(key, frame)})"
            case n.ListExpr(items=items):
                return "[" + ", ".join(e(i, frame) for i in items) + "]"
            case n.ObjectExpr(keys=keys, values=values):
                return "{" + ", ".join(f"{self._key(k, frame)}: {e(v, frame)}" for k, v in zip(keys, values)) + "}"
            case n.ListComprehension(element=element, loop=loop):
                head, inner = self.loop(loop, frame)
                return f"[{e(element, inner)} {head}]"
            case n.ObjectComprehension(key=key, value=value, loop=loop):
                head, inner = self.loop(loop, frame)
                return f"{{{self._key(key, inner)}: {e(value, inner)} {head}}}"
            case n.Call():
                return self._call(node, frame)
            case n.Unary(op="not", operand=operand):
                return f"(not {self.boolean(operand, frame)})"
            case n.Unary(op="-", operand=operand):
                return f"neg({e(operand, frame)})"
            case n.Binary(op="+", left=left, right=right) if self._date_plus_duration(left, right):
                return f"plus_duration({e(left, frame)}, {e(right, frame)})"
            case n.Binary(op="+" | "-" as op, left=left, right=right) if self._plain_numbers(left, right, frame):
                return f"in_range({e(left, frame)} {op} {e(right, frame)})"
            case n.Binary(op=op, left=left, right=right):
                return f"{_ARITHMETIC[op]}({e(left, frame)}, {e(right, frame)})"
            case n.Compare(op="==" | "!=" as op, left=left, right=n.Literal(value=None)) if self.fast_paths and not isinstance(
                    left, (n.Literal, n.ListExpr, n.ObjectExpr, n.ListComprehension, n.ObjectComprehension)):
                return f"({e(left, frame)} {'is' if op == '==' else 'is not'} None)"
            case n.Compare(op="==" | "!=" as op, left=left, right=right):
                if self.fast_paths and self._plain_equality(left, right) and not (self.charged(left) or self.charged(right)):
                    return f"({e(left, frame)} {op} {e(right, frame)})"
                test = f"eq({e(left, frame)}, {e(right, frame)})"
                return test if op == "==" else f"(not {test})"
            case n.Compare(op="in" | "not in" as op, left=left, right=right):
                if (isinstance(self.type_of(right), t.ListOf) and self.non_null(right, frame)
                        and t.base((self.type_of(left) or t.ANY)) in ("string", "date", "null")):
                    return f"({e(left, frame)} {op} {self.walked(right, frame)})"
                test = f"contains({e(right, frame)}, {e(left, frame)})"
                return test if op == "in" else f"(not {test})"
            case n.Compare(op=op, left=left, right=right):
                if (self._same_orderable_type(left, right) and self._can_guard(left, right, frame)
                        and not (self.charged(left) or self.charged(right))):
                    return self._plain_ordering(op, left, right, frame)
                return f"{_COMPARE[op]}({e(left, frame)}, {e(right, frame)})"
            case n.BoolOp(op=op, left=left, right=right):
                return f"({self.boolean(left, frame)} {op} {self.boolean(right, frame)})"
            case n.IfExpr(condition=c, then=a, otherwise=b):
                return f"({e(a, frame)} if {self.boolean(c, frame)} else {e(b, frame)})"
        raise AssertionError(f"no code for {type(node).__name__}")

    def _plain_equality(self, left: n.Node, right: n.Node) -> bool:
        """Python's ``==`` is the language's unless a boolean could meet a number (Python says
        ``1 == True``), directly or inside a list or object.  A string, date or null on either
        side rules that out; so do two numbers or two booleans."""
        if any(isinstance(x, n.ListExpr) and not x.items for x in (left, right)):
            return True  # only an empty list equals []
        if any(isinstance(self.type_of(x), (t.ListOf, t.Obj, t.MapOf)) for x in (left, right)):
            return False  # lists and objects: `eq`, which charges the budget for what it walks
        kinds = {t.base((self.type_of(x) or t.ANY)) for x in (left, right)}
        return bool(kinds & {"string", "date", "duration", "null"}) or kinds in ({"number"}, {"boolean"})

    def _can_guard(self, left: n.Node, right: n.Node, frame) -> bool:
        """Every side that may be null can be tested without a temporary, or temporaries are allowed."""
        return not frame.in_iterable or all(self.non_null(x, frame) or isinstance(x, n.Name) for x in (left, right))

    def _plain_ordering(self, op: str, left: n.Node, right: n.Node, frame) -> str:
        """``left op right`` with Python's operator; a side that may be null is tested first
        (by name, or bound to a temporary), since an ordering with null is false."""
        tests, operands = [], []
        for side in (left, right):
            code = self.expr(side, frame)
            if self.non_null(side, frame):
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
        return self.type_of(left) == t.DATE and self.type_of(right) == t.DURATION

    def _plain_numbers(self, left: n.Node, right: n.Node, frame) -> bool:
        """Both sides numbers, never null: Python's ``+`` and ``-`` are the language's, with the
        range check that ``add`` and ``sub`` would make (and without their tests of kind)."""
        return all(t.base((self.type_of(x) or t.ANY)) == "number" and self.non_null(x, frame) for x in (left, right))

    def boolean(self, node: n.Node, frame) -> str:
        return self._as_condition(node, self.expr(node, frame))

    def loop(self, loop: n.Comprehension, frame) -> tuple[str, frozenset[str]]:
        """The ``for … in … if …`` of a comprehension; the caller compiles its body in ``inner``."""
        iterable, inner = self._loop_parts(loop, frame)
        head = f"for l_{loop.var} in {iterable}"
        if loop.condition is not None:
            head += f" if {self.boolean(loop.condition, inner)}"
        return head, inner

    def _loop_parts(self, loop: n.Comprehension, frame) -> tuple[str, frozenset[str]]:
        """What a loop walks (null walks as empty), and the names visible inside it."""
        # Python forbids `:=` anywhere in a comprehension's iterable: no temporaries there
        iterable = self.walked(loop.iterable, frame.iterable())
        return iterable, frame.with_loop_variable(loop.var, self.items_non_null(loop.iterable, frame))

    def walked(self, node: n.Node, frame, code: str | None = None) -> str:
        """A list about to be walked (null walks as empty), charged to the record's budget by its
        length where the static bound cannot vouch for it.  A list the policy itself spells out (a parameter, a list written in place or
        built right here, whose own loop was charged) is bounded by the policy's size and is not
        charged again: these sit inside the hottest loops."""
        code = self.expr(node, frame) if code is None else code
        if not self.charged(node):
            if isinstance(self.type_of(node), t.ListOf) or isinstance(node, (n.ListExpr, n.ListComprehension)):
                return f"({code} or ())"
            return f"listed({code})"  # what the checker could not type may be text or an object
        if isinstance(node, (n.ListExpr, n.ListComprehension)):
            return code
        if (isinstance(node, n.Attribute) and isinstance(node.target, n.Name) and node.target.name == "params"
                and "params" not in frame and isinstance(self.params.get(node.name), list)):
            return code
        return f"walk({code})"

    def charged(self, node: n.Node) -> bool:
        """Whether walking or showing ``node`` is charged to the record's budget at run time:
        where the checker's bound rests on an assumed size (``cost.py``), or everywhere when
        the policy is compiled to measure what it does."""
        return self.meter_everything or node.charged

    def _call(self, node: n.Call, frame) -> str:
        args = [self.expr(a, frame) for a in node.args]
        if node.generator is not None:
            args = [self.expr(node.generator, frame)]
        if node.function in self.definitions:
            self.refs.add(node.function)
            inlined = self._inline(node, args, frame)
            return inlined if inlined is not None else f"f_{node.function}({', '.join(args)})"
        row = BUILTINS[node.function]
        fast = row.fast(self, node, args, frame) if row.fast is not None and (self.fast_paths or row.lazy) else None
        return fast if fast is not None else f"fn_{node.function}({', '.join(args)})"

    # --- what the built-ins' fast paths (``builtins.py``) may ask of the writer -----------------

    def non_null(self, node: n.Node, frame: Frame) -> bool:
        """Whether ``node`` never evaluates to null here (``nullness``; never, with fast paths off)."""
        return self.fast_paths and self.nulls.non_null(node, frame)

    def items_non_null(self, node: n.Node, frame: Frame) -> bool:
        """Whether ``node`` is a list that is never null and holds no null."""
        return self.fast_paths and self.nulls.items_non_null(node, frame)

    def element_non_null(self, comprehension: n.ListComprehension, frame: Frame) -> bool:
        """Whether each item a comprehension makes is never null."""
        return self.non_null(comprehension.element, self.nulls.loop_frame(comprehension.loop, frame))

    def orderable_list(self, node: n.Node) -> bool:
        """A list of numbers, of dates or of strings: Python orders them as the language does."""
        kind = self.type_of(node)
        return isinstance(kind, t.ListOf) and t.base(kind.item) in ("number", "date", "string")

    def _same_orderable_type(self, left: n.Node, right: n.Node) -> bool:
        """Both sides of one type that Python orders exactly as the language does."""
        kinds = {t.base(self.type_of(left) or t.ANY), t.base(self.type_of(right) or t.ANY)}
        return len(kinds) == 1 and kinds <= {"number", "date", "string"}

    def type_of(self, node: n.Node) -> t.Type | None:
        """The checker's type of ``node``, if it gave one (none when fast paths are off: no
        fast path is then chosen by type)."""
        return node.type if self.fast_paths else None

    def temporary(self, frame: Frame) -> str | None:
        """A fresh name for a value used twice, or ``None`` where Python allows no ``:=``."""
        if frame.in_iterable:
            return None
        self.temporaries += 1  # a name of its own, so nested uses cannot clash
        return f"t_{self.temporaries}"

    def _key(self, key: n.Node, frame) -> str:
        """An object's key: a string, checked at run time unless it is known to be one."""
        if isinstance(key, n.Literal) and isinstance(key.value, str):
            return repr(key.value)
        code = self.expr(key, frame)
        if self.type_of(key) == t.STRING and self.non_null(key, frame):
            return code
        return f"object_key({code})"

    def _field(self, target: n.Node, name: str, frame) -> str:
        """``target.name``: a subscript where the field is always there, else a null-safe read."""
        kind = self.type_of(target)
        code = self.expr(target, frame)
        if isinstance(kind, (t.Obj, t.MapOf)):
            if not self.non_null(target, frame):
                return f"({code} or EMPTY).get({name!r})"
            if isinstance(kind, t.Obj) and (name in kind.required or name in kind.present):
                return f"{code}[{name!r}]"
            return f"{code}.get({name!r})"
        return f"get({code}, {name!r})"

    def _inline(self, node: n.Call, args: list[str], frame) -> str | None:
        """The body of a small definition in place of a call to it, when every argument is a
        plain name or value (so nothing is computed twice).  Saves a Python call per use."""
        d = self.definitions[node.function]
        if (not self.fast_paths or has_loop(d.body.tree) or not all(isinstance(a, (n.Name, n.Literal)) for a in node.args)
                or frame.inline_depth >= MAX_INLINE_DEPTH or _size(d.body.tree) > MAX_INLINE_SIZE):
            return None  # bounded, so that inlining cannot grow the code exponentially
        never_null = frozenset(p for p, a in zip(d.params, node.args) if self.non_null(a, frame))
        inner = frame.inlined(d.params, args, node.args, never_null)
        return "(" + self.expr(d.body.tree, inner) + ")"


MAX_INLINE_DEPTH = 3  # a definition inlined into one inlined into one inlined: no deeper
MAX_INLINE_SIZE = 40  # nodes in the body of a definition worth inlining


def _size(tree: n.Node) -> int:
    return sum(1 for _ in n.walk(tree))
