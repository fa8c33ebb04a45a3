"""What the compiler may assume about values: which can never be null, which are one orderable type.

A schema-valid record guarantees a lot: required fields are present and never
null, arrays hold no nulls, and a loop over such an array binds a variable
that cannot be null.  Where the compiler can prove that, it emits Python's own
subscripts and operators instead of the null-safe helpers of ``runtime``; the
answers here are what make the generated code cost about what hand-written
code does.

The analysis is a pass of its own, run before any code is written, as Jinja
runs ``idtracking`` before its code generator: :func:`null_table` answers, for
every definition, whether its value can be null and whether it is a list that
can hold a null, and for every type of object literal, which of its fields are
never null; the answers go into an immutable :class:`NullTable`.  The code
writer then asks :class:`NullFacts` about each node in its ``Frame``, and the
answers depend on nothing but the node, the frame and the table, never on the
order in which code is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Mapping

from ecfmg_policy.evaluator.language import nodes as n
from ecfmg_policy.evaluator.language import types as t
from ecfmg_policy.evaluator.language.builtins import BUILTINS
from ecfmg_policy.evaluator.compiler.frame import Frame, definition_frame
from ecfmg_policy.evaluator.language.values import History

MAX_ROUNDS = 4  # rounds to settle the object-literal facts (each round sound: stopping costs only speed)


@dataclass(frozen=True, slots=True)
class NullTable:
    """What the nullness pass found (see the module docstring)."""

    never_null: frozenset[str] = frozenset()  # definitions whose value is never null
    items_never_null: frozenset[str] = frozenset()  # definitions whose value is a list holding no null
    object_fields: Mapping[t.Obj, frozenset[str]] = field(default_factory=dict)  # literal type -> fields never null


class NullFacts:
    """Questions about values in a frame, answered from a :class:`NullTable`."""

    def __init__(self, definitions: Mapping, params: Mapping, table: NullTable | _Draft):
        self.definitions = definitions
        self.params = params
        self.table = table

    def non_null(self, node: n.Node, frame: Frame) -> bool:
        """Whether ``node`` never evaluates to null for a schema-valid record."""
        match node:
            case n.Literal(value=value):
                return value is not None
            case n.Name(name=name):
                if name in frame:
                    return name in frame.non_null
                if name in self.definitions:
                    return name in self.table.never_null
                return name in ("applicant", "data", "as_of")
            case n.Attribute(target=n.Name(name="params"), name=name) if "params" not in frame:
                return _never_null_param(self.params.get(name))
            case n.At(target=target, day=day):
                return self.non_null(target, frame) and self.non_null(day, frame)
            case n.Attribute(target=target, name=name):
                kind = target.type
                if not isinstance(kind, t.Obj) or not self.non_null(target, frame):
                    return False
                return name in kind.required or name in self.table.object_fields.get(kind, ())
            case n.ListExpr() | n.ListComprehension() | n.ObjectExpr() | n.ObjectComprehension():
                return True
            case n.Compare() | n.BoolOp() | n.Unary(op="not"):
                return True
            case n.Call(function=name) if name in self.definitions:
                return name in self.table.never_null
            case n.Call(function=name, args=args) if name in BUILTINS:
                return BUILTINS[name].never_null(self.non_null(a, frame) for a in args)
            case n.Binary(left=left, right=right):
                return self.non_null(left, frame) and self.non_null(right, frame)
            case n.IfExpr(then=a, otherwise=b):
                return self.non_null(a, frame) and self.non_null(b, frame)
        return False

    def items_non_null(self, node: n.Node, frame: Frame) -> bool:
        """Whether ``node`` is a list that is never null and holds no null."""
        match node:
            case n.Attribute(target=n.Name(name="params"), name=name) if "params" not in frame:
                value = self.params.get(name)
                values = value.values if isinstance(value, History) else (value,)
                return all(isinstance(v, list) and None not in v for v in values)
            case n.Attribute():
                # arrays of a schema-valid record (or reference data) hold no nulls: no schema type
                # admits null; an absent array is looped over as empty.  Lists inside object
                # literals may hold anything.
                return isinstance(node.type, t.ListOf) and _from_schema_data(node, frame)
            case n.Name(name=name) if name not in frame and name in self.definitions:
                return name in self.table.items_never_null
            case n.Call(function=name) if name in self.definitions:
                return name in self.table.items_never_null
            case n.At(target=target):
                return self.items_non_null(target, frame)
            case n.ListExpr(items=items):
                return all(self.non_null(i, frame) for i in items)
            case n.ListComprehension(element=element, loop=loop):
                return self.non_null(element, self.loop_frame(loop, frame))
        return False

    def loop_frame(self, loop: n.Comprehension, frame: Frame) -> Frame:
        """Inside a comprehension: its variable is in scope, non-null when the list holds no null."""
        return frame.with_loop_variable(loop.var, self.items_non_null(loop.iterable, frame))


def _never_null_param(value) -> bool:
    """A parameter read plainly: null only where the policy wrote null (a history's gap too)."""
    if isinstance(value, History):
        return None not in value.values
    return value is not None


# --- the pass ---------------------------------------------------------------------------------

def null_table(policy, definition_order: tuple[str, ...]) -> NullTable:
    """Answer every definition, dependencies first, and settle which fields of each type of
    object literal are never null.

    Objects of one type can come from several literals, so a field counts only if it is
    non-null in all of them.  A literal may read objects of other literal types (a window's
    start, read where completions are made), so the facts are found in rounds: the first
    knows nothing of object fields, each next one reads the facts the last one found, until a
    round finds what it began with.  Every round's facts are sound, resting only on the
    round before, so stopping early only costs fast paths.  Each definition's body is asked
    about once a round, with its parameters possibly null: what holds there holds wherever
    it is called."""
    definitions = {d.name: d for d in policy.definitions}
    params = {p.name: p.value for p in policy.params}
    objects: dict[t.Obj, frozenset[str]] = {}
    table = _definitions_answered(definitions, params, definition_order, objects)
    for _ in range(MAX_ROUNDS):
        found = _object_facts(policy, definitions, NullFacts(definitions, params, table))
        if found == objects:
            break
        objects = found
        table = _definitions_answered(definitions, params, definition_order, objects)
    return table


def _definitions_answered(definitions, params, order, objects) -> NullTable:
    """Each definition asked about with the answers given before it (its dependencies come
    first in ``order``): one set of answers, grown as they come, frozen at the end."""
    draft = _Draft(set(), set(), objects)
    facts = NullFacts(definitions, params, draft)
    for name in order:
        d = definitions[name]
        frame = definition_frame(d.params)
        if facts.non_null(d.body.tree, frame):
            draft.never_null.add(name)
        if facts.items_non_null(d.body.tree, frame):
            draft.items_never_null.add(name)
    return NullTable(frozenset(draft.never_null), frozenset(draft.items_never_null), dict(objects))


@dataclass(slots=True)
class _Draft:
    """A :class:`NullTable` while the pass fills it in."""

    never_null: set[str]
    items_never_null: set[str]
    object_fields: Mapping[t.Obj, frozenset[str]]


def _object_facts(policy, definitions, facts: NullFacts) -> dict[t.Obj, frozenset[str]]:
    found: dict[t.Obj, frozenset[str]] = {}
    for tree, frame in _expressions(policy, definitions):
        for literal, where in _literals(tree, frame, facts):
            kind = literal.type
            if not isinstance(kind, t.Obj):
                continue
            fields = frozenset(k.value for k, v in zip(literal.keys, literal.values)
                               if isinstance(k, n.Literal) and facts.non_null(v, where))
            previous = found.get(kind)
            found[kind] = fields if previous is None else previous & fields
    return found


def _expressions(policy, definitions) -> Iterator[tuple[n.Node, Frame]]:
    """Every expression of the policy, in the frame it is evaluated in."""
    for d in definitions.values():
        yield d.body.tree, definition_frame(d.params)
    if policy.scope is not None:
        yield policy.scope.tree, Frame()
    for rule in policy.rules:
        for expression in (rule.when, rule.require, rule.blocked_when):
            if expression is not None:
                yield expression.tree, Frame()
        for template in (rule.message, rule.blocked_message):
            for expression in template.expressions() if template is not None else ():
                yield expression.tree, Frame()
    for output in policy.outputs:
        yield output.value.tree, Frame()


def _literals(tree: n.Node, frame: Frame, facts: NullFacts) -> Iterator[tuple[n.ObjectExpr, Frame]]:
    """The object literals of a tree, each with the frame it is evaluated in (no recursion)."""
    pending = [(tree, frame)]
    while pending:
        node, where = pending.pop()
        if isinstance(node, (n.ListComprehension, n.ObjectComprehension)):
            loop = node.loop
            inner = facts.loop_frame(loop, where)
            pending.append((loop.iterable, where))
            if loop.condition is not None:
                pending.append((loop.condition, inner))
            parts = (node.element,) if isinstance(node, n.ListComprehension) else (node.key, node.value)
            pending.extend((part, inner) for part in parts)
            continue
        if isinstance(node, n.ObjectExpr):
            yield node, where
        pending.extend((child, where) for child in n.children(node))


def _from_schema_data(node: n.Node, frame) -> bool:
    """Whether a path reads the record or the reference data (values the schemas vouch for)."""
    while isinstance(node, (n.Attribute, n.Index)):
        node = node.target
    return isinstance(node, n.Name) and node.name in ("applicant", "data") and node.name not in frame
