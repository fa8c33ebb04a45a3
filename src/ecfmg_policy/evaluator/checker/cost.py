"""A bound on the work a policy can do for one record, found before anything runs.

Cedar's language is total and bounded; CEL estimates every expression's cost
from the sizes its inputs can have and refuses one over budget.  This pass does
the same for the policy language (guide §13).  From the schemas' caps (every
list and string of an applicant record has a ``maxItems`` or ``maxLength``),
the parameters' own values and the shape of each expression, it computes how
many *steps* evaluating a record can take at most: one for each node, one for
each item a loop or a built-in walks, one for each character a message or
``join`` writes.  A policy whose bound is over :data:`RECORD_STEPS` is refused
at the place that costs the most, with what to do.

Where a schema leaves a size open (anything under ``notes``; strings of the
reference data), the bound assumes :data:`ASSUMED_SIZE` items or characters
and marks the value *open*.  The compiler charges the run-time budget
(``runtime.walk``) wherever an open value is walked or shown, so that the
assumption is checked against the record that actually arrives; everything
else is bounded here and needs no counting on the hot path.

The pass is linear in the policy's size: definitions are bounded once, in
dependency order; a definition with parameters is bounded per call site from
its arguments' shapes (remembered by shape), and past :data:`MAX_CALL_NESTING`
nested calls from its parameters' types alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from ecfmg_policy.errors import Diagnostic
from ecfmg_policy.evaluator.policy import model as m
from ecfmg_policy.evaluator.language import nodes as n
from ecfmg_policy.evaluator.language import types as t
from ecfmg_policy.evaluator.language.builtins import BUILTINS, Size
from ecfmg_policy.evaluator.compiler.runtime import RECORD_STEPS
from ecfmg_policy.evaluator.records.schemas import KEYED_LISTS, schema
from ecfmg_policy.evaluator.language.values import History

ASSUMED_SIZE = 10_000  # items or characters of a value no schema bounds (the run-time budget checks it)
MAX_CALL_NESTING = 8  # calls bounded from their arguments' shapes, nested; deeper ones from types alone
MAX_SHAPE_DEPTH = 24  # lists in lists the bound follows; deeper ones are taken as open (and charged)
SHOWN_SCALAR = 24  # characters a number, date or duration can take in a message
_HUGE = 1e30  # bounds saturate here, far past any budget (and never reach inf or nan)


def _cap(value: float) -> float:
    return min(value, _HUGE)


@dataclass(frozen=True, slots=True)
class Shape:
    """How big a value can be: what the bound knows about it."""

    length: float = 1  # items of a list or object, characters of a string
    weight: float = SHOWN_SCALAR  # characters it takes to show it whole (and what `==` walks)
    item: "Shape | None" = None  # any item of a list, any value of an object
    fields: tuple[tuple[str, "Shape"], ...] = ()  # an object's known fields
    open: bool = False  # some size in it is assumed, not known (see the module docstring)


SCALAR = Shape()
UNKNOWN = Shape(ASSUMED_SIZE, ASSUMED_SIZE, open=True)
# An item or field of a value no schema describes: as big as the value may be assumed to be.
UNKNOWN_PART = Shape(ASSUMED_SIZE, ASSUMED_SIZE, open=True)


def text_shape(length: float, open: bool = False) -> Shape:
    return Shape(length, max(length, 1), open=open)


def _depth(shape: Shape | None) -> int:
    depth = 0
    while shape is not None and depth <= MAX_SHAPE_DEPTH:
        shape = shape.item
        depth += 1
    return depth


def _shallow(item: Shape | None) -> Shape | None:
    """An item shape no deeper than MAX_SHAPE_DEPTH: past it, what is inside is open (so the
    compiled code charges it), and the bound keeps its size."""
    if item is None or _depth(item) <= MAX_SHAPE_DEPTH:
        return item
    return Shape(item.length, item.weight, None, (), True)


def list_shape(length: float, item: Shape | None, open: bool = False) -> Shape:
    item = _shallow(item)
    item_weight = item.weight if item is not None else 0
    return Shape(length, _cap(2 + length * (item_weight + 2)), item, (), open or (item is not None and item.open))


def object_shape(fields: tuple[tuple[str, Shape], ...]) -> Shape:
    weight = 2 + sum(len(name) + 4 + s.weight for name, s in fields)
    fields = tuple((name, _shallow(s)) for name, s in fields)
    values = [s for _, s in fields]
    item = _shallow(_join_all(values)) if values else None
    return Shape(len(fields), _cap(weight), item, fields, any(s.open for s in values))


def map_shape(length: float, key: Shape, value: Shape, open: bool = False) -> Shape:
    value = _shallow(value)
    return Shape(length, _cap(2 + length * (key.weight + value.weight + 4)), value, (),
                 open or key.open or value.open)


def join(a: Shape, b: Shape) -> Shape:
    """A shape that covers both (the two branches of an ``if``, the items of a list)."""
    if a == b:
        return a
    if a.item is None or b.item is None:
        item = a.item or b.item
    else:
        item = join(a.item, b.item)
    fields = dict(a.fields)
    for name, s in b.fields:
        fields[name] = join(fields[name], s) if name in fields else s
    return Shape(max(a.length, b.length), max(a.weight, b.weight), item, tuple(fields.items()), a.open or b.open)


def _join_all(shapes) -> Shape:
    shapes = list(shapes)
    out = shapes[0] if shapes else SCALAR
    for s in shapes[1:]:
        out = join(out, s)
    return out


def item_of(s: Shape) -> Shape:
    if s.item is not None:
        return s.item
    return UNKNOWN_PART if s.open else SCALAR


def field_of(s: Shape, name: str) -> Shape:
    for key, value in s.fields:
        if key == name:
            return value
    return item_of(s)


def of_value(value) -> Shape:
    """The shape of a parameter's value or a literal: exactly as big as it is."""
    if isinstance(value, str):
        return text_shape(len(value))
    if isinstance(value, (list, tuple)):
        return list_shape(len(value), _join_all(of_value(v) for v in value) if value else None)
    if isinstance(value, dict):
        return object_shape(tuple((str(k), of_value(v)) for k, v in value.items()))
    if isinstance(value, History):  # as big as its biggest value
        return _join_all(of_value(v) for v in value.values)
    return SCALAR


@lru_cache(maxsize=None)
def of_schema(kind: str) -> Shape:
    """The shape of values valid against a shipped schema, from its ``maxItems`` and ``maxLength``."""
    root = schema(kind)
    return _from_schema(root, root, KEYED_LISTS.get(kind, {}), 0)


def _from_schema(s: dict, root: dict, keyed: dict, depth: int) -> Shape:
    if depth > 32 or not isinstance(s, dict):
        return UNKNOWN
    if "$ref" in s:
        target = root
        for part in str(s["$ref"]).lstrip("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return _from_schema(target, root, keyed, depth + 1)
    if "const" in s:
        return of_value(s["const"])
    if "enum" in s:
        return _join_all(of_value(v) for v in s["enum"])
    for combinator in ("oneOf", "anyOf"):
        if combinator in s:
            return _join_all(_from_schema(sub, root, keyed, depth + 1) for sub in s[combinator])
    kind = s.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "string":
        if s.get("format") == "date":
            return SCALAR
        return text_shape(s["maxLength"]) if "maxLength" in s else text_shape(ASSUMED_SIZE, open=True)
    if kind in ("number", "integer", "boolean"):
        return SCALAR
    if kind == "array":
        item = _from_schema(s.get("items", {}), root, keyed, depth + 1)
        if "maxItems" in s:
            return list_shape(s["maxItems"], item)
        return list_shape(ASSUMED_SIZE, item, open=True)
    if kind == "object" or "properties" in s:
        properties = s.get("properties", {})
        if not properties:
            return UNKNOWN
        fields = []
        for name, sub in properties.items():
            shape = _from_schema(sub, root, keyed, depth + 1)
            if name in keyed:  # a list the engine turns into a lookup by key
                shape = map_shape(shape.length, text_shape(64), item_of(shape), shape.open)
            fields.append((name, shape))
        return object_shape(tuple(fields))
    return UNKNOWN


# --- the bound ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bound:
    """The bound of one expression: steps at most, and the shape of its value."""

    steps: float
    shape: Shape


@dataclass(frozen=True, slots=True)
class PolicyCost:
    """What ``lint`` needs: the bound of the whole policy and of each part.  Which nodes' values
    rest on an assumed size (charged at run time) the checked tree says (``Node.charged``)."""

    steps: float
    parts: tuple[tuple[str, float], ...]  # (where, steps) for each definition, rule part, output


def bound_policy(policy: m.Policy, definition_order: tuple[str, ...],
                 parameter_types: dict[str, tuple]) -> tuple[PolicyCost, frozenset[int], list[Diagnostic]]:
    """The policy's bound, the ids of its nodes whose size is assumed (for the checker to mark
    on the tree it returns), and a problem for each part that makes it go over budget."""
    return _Bounder(policy, definition_order, parameter_types).run()


class _Bounder:
    def __init__(self, policy: m.Policy, order: tuple[str, ...], parameter_types: dict[str, tuple]):
        self.policy = policy
        self.order = order
        self.parameter_types = parameter_types
        self.definitions = {d.name: d for d in policy.definitions}
        self.roots = {
            "applicant": of_schema("applicant"),
            "params": object_shape(tuple((p.name, of_value(p.value)) for p in policy.params)),
            "data": object_shape(tuple((name, of_schema(kind)) for name, kind in policy.data)),
            "as_of": SCALAR,
            "decision": text_shape(max(len(d) for d in m.POLICY_DECISIONS)),
        }
        self.values: dict[str, Shape] = {}  # definitions without parameters, once bounded
        self.generic: dict[str, Bound] = {}  # functions, bounded from their parameters' types
        self.calls: dict[tuple, Bound] = {}  # functions, bounded from their arguments' shapes
        self.nesting = 0
        self.open_nodes: set[int] = set()
        self.costs: dict[int, float] = {}  # id(node) -> steps, for the expression being placed

    def run(self) -> tuple[PolicyCost, list[Diagnostic]]:
        parts: list[tuple[str, n.Expression, float]] = []
        for name in self.order:
            d = self.definitions[name]
            if d.params:
                self.nesting = MAX_CALL_NESTING  # calls inside use the other functions' generic bounds
                self.generic[name] = self.bound(d.body.tree, self._generic_env(d))
                self.nesting = 0
                continue
            b = self.bound(d.body.tree, {})
            self.values[name] = b.shape
            parts.append((f"definition `{name}`", d.body, b.steps))
        p = self.policy
        if p.scope is not None:
            parts.append(("scope", p.scope, self.bound(p.scope.tree, {}).steps))
        for rule in p.rules:
            for label, expression in (("when", rule.when), ("require", rule.require),
                                      ("blocked_when", rule.blocked_when)):
                if expression is not None:
                    parts.append((f"`{label}` of rule `{rule.id}`", expression, self.bound(expression.tree, {}).steps))
            for label, template in (("message", rule.message), ("blocked_message", rule.blocked_message)):
                for expression in template.expressions() if template else ():
                    b = self.bound(expression.tree, {})
                    self._mark_open(expression.tree, b.shape)
                    parts.append((f"`{label}` of rule `{rule.id}`", expression, b.steps + b.shape.weight))
        for output in p.outputs:
            b = self.bound(output.value.tree, {})
            self._mark_open(output.value.tree, b.shape)
            parts.append((f"output `{output.name}`", output.value, b.steps + b.shape.weight))
        # What only an explanation evaluates (a rule's `to_meet`, the timeline) is bounded with the
        # rest, and shown whole: an explanation of a record runs within the same budget as its check.
        explained = [(f"`to_meet` of rule `{rule.id}` ({label})", e) for rule in p.rules for label, e in rule.to_meet]
        if p.timeline is not None:
            explained += [(f"`{name}` of the timeline", e) for name, e in (("windows", p.timeline.windows),
                                                                          ("current", p.timeline.current))
                          if e is not None]
        for where, expression in explained:
            b = self.bound(expression.tree, {})
            self._mark_open(expression.tree, b.shape)
            parts.append((where, expression, b.steps + b.shape.weight))
        total = _cap(sum(steps for _, _, steps in parts))
        cost = PolicyCost(total, tuple((where, steps) for where, _, steps in parts))
        if total <= RECORD_STEPS:
            return cost, frozenset(self.open_nodes), []
        return cost, frozenset(self.open_nodes), self._over_budget(parts, total)

    def _mark_open(self, node: n.Node, shape: Shape) -> None:
        if shape.open:
            self.open_nodes.add(id(node))

    # --- where the cost goes ------------------------------------------------------------------

    def _over_budget(self, parts, total: float) -> list[Diagnostic]:
        """One problem per part that alone is over budget; else one at the costliest part."""
        heavy = [part for part in parts if part[2] > RECORD_STEPS] or [max(parts, key=lambda part: part[2])]
        problems = []
        for where, expression, steps in heavy:
            self.costs = {}
            self.bound(expression.tree, self._env_for(expression))
            node = self._costliest(expression.tree)
            alone = steps > RECORD_STEPS
            message = (f"{where} can take up to {_amount(steps)} evaluation steps for one record, over the budget "
                       f"of {RECORD_STEPS:,} for all of a policy's work on a record" if alone else
                       f"version {self.policy.version} can take up to {_amount(total)} evaluation steps for one record, over the "
                       f"budget of {RECORD_STEPS:,}; {where} is its costliest part ({_amount(steps)})")
            problems.append(Diagnostic(
                message + _why(node), position=expression.locate(node.start), code="cost",
                hint="loops inside loops multiply: walk each list once (build a lookup with "
                     "`{k: ... for ...}`), or loop over a shorter list; see \"Limits and safety\" in the guide"))
        return problems

    def _env_for(self, expression: n.Expression) -> dict[str, Shape]:
        for d in self.policy.definitions:
            if d.body is expression and d.params:
                return self._generic_env(d)
        return {}

    def _generic_env(self, d: m.Definition) -> dict[str, Shape]:
        """A function's parameters when only their types are known (see ``_shape_of_type``)."""
        kinds = self.parameter_types.get(d.name, ())
        return {p: _shape_of_type(kinds[i] if i < len(kinds) else t.ANY) for i, p in enumerate(d.params)}

    def _costliest(self, tree: n.Node) -> n.Node:
        """The outermost loop or call that holds most of the expression's cost."""
        node = tree
        while True:
            if isinstance(node, (n.ListComprehension, n.ObjectComprehension)) or (
                    isinstance(node, n.Call) and node is not tree):
                return node
            children = [c for c in n.children(node) if id(c) in self.costs]
            if not children:
                return node
            heaviest = max(children, key=lambda c: self.costs[id(c)])
            if self.costs[id(heaviest)] * 2 < self.costs.get(id(node), 0):
                return node
            if isinstance(node, n.Call) and heaviest is node.generator:
                return node  # `min(... for ...)`: the call is where the loop is written
            node = heaviest

    # --- one node ---------------------------------------------------------------------------

    def bound(self, node: n.Node, env: dict[str, Shape]) -> Bound:
        b = self._bound(node, env)
        self.costs[id(node)] = b.steps
        return b

    def _bound(self, node: n.Node, env: dict[str, Shape]) -> Bound:
        match node:
            case n.Literal(value=value):
                return Bound(1, of_value(value))
            case n.Name(name=name):
                if name in env:
                    return Bound(1, env[name])
                if name in self.values:
                    return Bound(1, self.values[name])
                return Bound(1, self.roots.get(name, UNKNOWN))
            case n.Attribute(target=n.Name(name="params"), name=name) if "params" not in env:
                return Bound(1, field_of(self.roots["params"], name))
            case n.Attribute(target=target, name=name):
                b = self.bound(target, env)
                return Bound(b.steps + 1, field_of(b.shape, name))
            case n.Index(target=target, key=key):
                b, k = self.bound(target, env), self.bound(key, env)
                shape = b.shape
                if isinstance(key, n.Literal) and isinstance(key.value, str) and shape.fields:
                    found = field_of(shape, key.value)
                elif shape.fields:
                    found = _join_all([s for _, s in shape.fields] + ([shape.item] if shape.item else []))
                else:
                    found = item_of(shape)
                return Bound(b.steps + k.steps + 1, found)
            case n.ListExpr(items=items):
                bounds = [self.bound(i, env) for i in items]
                item = _join_all(b.shape for b in bounds) if bounds else None
                return Bound(1 + sum(b.steps for b in bounds), list_shape(len(items), item))
            case n.ObjectExpr(keys=keys, values=values):
                steps, fields = 1.0, []
                for k, v in zip(keys, values):
                    kb, vb = self.bound(k, env), self.bound(v, env)
                    steps += kb.steps + vb.steps
                    fields.append((k.value if isinstance(k, n.Literal) else "?", vb.shape))
                if all(isinstance(k, n.Literal) for k in keys):
                    return Bound(steps, object_shape(tuple(fields)))
                value = _join_all(s for _, s in fields)
                return Bound(steps, map_shape(len(keys), text_shape(ASSUMED_SIZE), value))
            case n.ListComprehension(element=element, loop=loop):
                runs, inner, per = self._loop(loop, env)
                e = self.bound(element, inner)
                return Bound(_cap(runs.steps + runs.shape.length * (per + e.steps + 1) + 1),
                             list_shape(runs.shape.length, e.shape, runs.shape.open))
            case n.ObjectComprehension(key=key, value=value, loop=loop):
                runs, inner, per = self._loop(loop, env)
                k, v = self.bound(key, inner), self.bound(value, inner)
                return Bound(_cap(runs.steps + runs.shape.length * (per + k.steps + v.steps + 1) + 1),
                             map_shape(runs.shape.length, k.shape, v.shape, runs.shape.open))
            case n.Call():
                return self._call(node, env)
            case n.Compare(op="in" | "not in", left=left, right=right):
                a, b = self.bound(left, env), self.bound(right, env)
                self._mark_open(right, b.shape)
                walked = b.shape.length * (1 + min(a.shape.weight, item_of(b.shape).weight)) \
                    if b.shape.item is not None or b.shape.open else b.shape.length
                return Bound(_cap(a.steps + b.steps + 1 + walked), SCALAR)
            case n.Compare(left=left, right=right):  # ==, !=, <, <=, >, >=: walks the smaller side
                a, b = self.bound(left, env), self.bound(right, env)
                if a.shape.open and b.shape.open:  # else the side the bound knows limits the walk
                    self.open_nodes.update((id(left), id(right)))
                return Bound(_cap(a.steps + b.steps + 1 + min(a.shape.weight, b.shape.weight)), SCALAR)
            case n.At(target=target, day=day):  # a binary search of a history the policy wrote
                b, d = self.bound(target, env), self.bound(day, env)
                return Bound(b.steps + d.steps + 1, b.shape)
            case n.IfExpr(condition=c, then=a, otherwise=b):
                cb, ab, bb = self.bound(c, env), self.bound(a, env), self.bound(b, env)
                return Bound(cb.steps + max(ab.steps, bb.steps) + 1, join(ab.shape, bb.shape))
        steps = 1 + sum(self.bound(child, env).steps for child in n.children(node))
        return Bound(_cap(steps), SCALAR)

    def _loop(self, loop: n.Comprehension, env) -> tuple[Bound, dict[str, Shape], float]:
        """The list a loop walks, the names inside it, and the condition's steps per item."""
        runs = self.bound(loop.iterable, env)
        self._mark_open(loop.iterable, runs.shape)
        inner = dict(env)
        inner[loop.var] = item_of(runs.shape)
        per = self.bound(loop.condition, inner).steps if loop.condition is not None else 0
        return runs, inner, per

    def _call(self, node: n.Call, env) -> Bound:
        args = [self.bound(a, env) for a in node.args]
        if node.generator is not None:
            args = [self.bound(node.generator, env)]
        steps = 1 + sum(a.steps for a in args)
        name = node.function
        if name in self.definitions:
            return self._call_definition(node, args, steps)
        row = BUILTINS[name]
        first = args[0].shape if args else SCALAR
        if row.most is None and len(args) > 1:  # min(a, b), coalesce(a, b): one of the arguments
            return Bound(steps + len(args), _join_all(a.shape for a in args))
        walked = first.length if row.walks else 0
        listed = node.generator if node.generator is not None else node.args[0] if node.args else None
        if row.walks and listed is not None:
            self._mark_open(listed, first)
        match row.size:
            case Size.ITEM:
                return Bound(_cap(steps + walked), item_of(first))
            case Size.SAME_LIST:  # sorted: n log n comparisons
                return Bound(_cap(steps + walked * (1 + math.log2(max(walked, 2)))), first)
            case Size.TEXT:
                separator = args[1].shape.length if len(args) > 1 else 2
                length = _cap(first.length * (item_of(first).weight + separator))
                self._mark_open(node, first)
                return Bound(_cap(steps + walked + length), text_shape(length, first.open))
            case Size.ARGUMENT:
                return Bound(steps, first)
        return Bound(_cap(steps + walked), SCALAR)  # Size.ONE

    def _call_definition(self, node: n.Call, args: list[Bound], steps: float) -> Bound:
        name = node.function
        d = self.definitions[name]
        if self.nesting >= MAX_CALL_NESTING or len(args) != len(d.params):
            b = self.generic.get(name, Bound(_HUGE, UNKNOWN))
            return Bound(_cap(steps + b.steps), b.shape)
        key = (name,) + tuple(a.shape for a in args)
        found = self.calls.get(key)
        if found is None:
            self.nesting += 1
            try:
                found = self.bound(d.body.tree, dict(zip(d.params, (a.shape for a in args))))
            except RecursionError:  # deep calls of deep expressions: bound this one from types alone
                found = self.generic.get(name, Bound(_HUGE, UNKNOWN))
            finally:
                self.nesting -= 1
            self.calls[key] = found
        return Bound(_cap(steps + found.steps), found.shape)


def _shape_of_type(kind: t.Type) -> Shape:
    """A parameter's shape when only its type is known."""
    if t.base(kind) in ("number", "boolean", "date", "duration", "null"):
        return SCALAR
    return UNKNOWN


def _amount(steps: float) -> str:
    if steps >= 1e15:
        return "more than 10^15"
    return f"{int(steps):,}"


def _why(node: n.Node) -> str:
    if isinstance(node, (n.ListComprehension, n.ObjectComprehension)):
        return " (this loop, with what runs inside it, is most of that)"
    if isinstance(node, n.Call):
        return f" (this call of `{node.function}`, with what it walks, is most of that)"
    return ""
