"""The expression tree: small, plain, immutable nodes.

Every node carries ``start`` and ``end``, character offsets into the text of
the expression it came from; :class:`Expression` keeps that text and a way to
turn offsets into positions in the YAML file, so any later stage can point at
the exact character of a fault.

The parser's nodes carry no type.  The checker returns a copy of the tree in
which each node carries what it found (:func:`annotated`): its type, and
whether walking or showing its value is charged to the budget at run time.
Neither takes part in comparing nodes (``versions`` compares the logic of two
versions by their trees).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import lru_cache
from operator import attrgetter
from typing import Any, Callable, Mapping

from ecfmg_policy.errors import Position


@dataclass(frozen=True, slots=True)
class Node:
    """Every expression node: where its text starts and ends in the expression."""

    start: int
    end: int
    type: Any = field(default=None, compare=False, repr=False, kw_only=True)  # a types.Type, once checked
    charged: bool = field(default=False, compare=False, repr=False, kw_only=True)  # its size is not bounded


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """A number, string, boolean, null, date or duration written in place."""

    value: Any  # number, str, bool, None, datetime.date or Duration


@dataclass(frozen=True, slots=True)
class ListExpr(Node):
    """``[a, b, c]``."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ObjectExpr(Node):
    """``{key: value, ...}``."""

    keys: tuple[Node, ...]
    values: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A definition, a loop variable, a parameter of a definition, or a root (``applicant``)."""

    name: str


@dataclass(frozen=True, slots=True)
class Attribute(Node):
    """``target.name``."""

    target: Node
    name: str


@dataclass(frozen=True, slots=True)
class Index(Node):
    """``target[key]``."""

    target: Node
    key: Node


@dataclass(frozen=True, slots=True)
class Comprehension(Node):
    """``element for var in iterable if condition``: the loop of lists, objects and calls."""

    var: str
    iterable: Node
    condition: Node | None


@dataclass(frozen=True, slots=True)
class ListComprehension(Node):
    """``[element for var in iterable if condition]``."""

    element: Node
    loop: Comprehension


@dataclass(frozen=True, slots=True)
class ObjectComprehension(Node):
    """``{key: value for var in iterable if condition}``."""

    key: Node
    value: Node
    loop: Comprehension


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A built-in or a definition with parameters, called."""

    function: str
    args: tuple[Node, ...]
    generator: ListComprehension | None = None  # ``min(a.date for a in xs)``


@dataclass(frozen=True, slots=True)
class Unary(Node):
    """``-x`` or ``not x``."""

    op: str  # "-" or "not"
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """Arithmetic: ``left op right``."""

    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class At(Node):
    """``params.NAME at day``: a parameter's value on a day (the checker holds ``target`` to a
    parameter)."""

    target: Node
    day: Node


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """A comparison or a membership test: ``left op right``."""

    op: str  # == != < <= > >= in "not in"
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class BoolOp(Node):
    """``left and right``, ``left or right``."""

    op: str  # "and" / "or"
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class IfExpr(Node):
    """``if condition then a else b``."""

    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed expression with its text and where that text sits in a file."""

    text: str
    tree: Node
    locate: Callable[[int], Position]


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of a node, for walks that need no per-kind logic."""
    match node:
        case ListExpr(items=items):
            return items
        case ObjectExpr(keys=keys, values=values):
            return keys + values
        case Attribute(target=t):
            return (t,)
        case Index(target=t, key=k):
            return (t, k)
        case Comprehension(iterable=it, condition=c):
            return (it,) if c is None else (it, c)
        case ListComprehension(element=e, loop=loop):
            return (loop, e)
        case ObjectComprehension(key=k, value=v, loop=loop):
            return (loop, k, v)
        case Call(args=args, generator=g):
            return args if g is None else args + (g,)
        case Unary(operand=o):
            return (o,)
        case At(target=t, day=d):
            return (t, d)
        case Binary(left=l, right=r) | Compare(left=l, right=r) | BoolOp(left=l, right=r):
            return (l, r)
        case IfExpr(condition=c, then=t, otherwise=o):
            return (c, t, o)
    return ()


def walk(tree: Node):
    """Every node of a tree, without recursion (trees can be deep; see parser.MAX_CHAIN_DEPTH)."""
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        pending.extend(children(node))


def names_read(tree: Node) -> tuple[set[str], set[str]]:
    """The names a tree reads (as values or called) and the parameters it reads as ``params.X``.

    Loop variables are not told apart from definitions of the same name: callers
    intersect with the names they care about.
    """
    names: set[str] = set()
    params: set[str] = set()
    for node in walk(tree):
        if isinstance(node, Name):
            names.add(node.name)
        elif isinstance(node, Call):
            names.add(node.function)
        elif isinstance(node, Attribute) and isinstance(node.target, Name) and node.target.name == "params":
            params.add(node.name)
    return names, params


@lru_cache(maxsize=None)
def _layout(kind: type) -> tuple[Callable, tuple, tuple[tuple[int, bool], ...]]:
    """A node class's reader of every field, a setter a field, and (index, holds a tuple of
    nodes) for the fields that hold nodes."""
    names = tuple(f.name for f in fields(kind))
    setters = tuple(getattr(kind, name).__set__ for name in names)  # the slots' own descriptors
    children = tuple((index, str(f.type).startswith("tuple")) for index, f in enumerate(fields(kind))
                     if f.name not in ("start", "end", "type", "charged")
                     and ("Node" in str(f.type) or "Comprehension" in str(f.type)))
    return attrgetter(*names), setters, children


def annotated(tree: Node, types: Mapping[int, Any], charged: frozenset[int]) -> Node:
    """A copy of ``tree`` whose nodes carry their type and charged flag, from tables keyed by
    the original nodes' ids (the checker's working tables, which end here)."""
    kind = type(tree)
    read, setters, children = _layout(kind)
    values = list(read(tree))
    values[2], values[3] = types.get(id(tree)), id(tree) in charged  # type, charged
    for index, many in children:
        value = values[index]
        if value is not None:
            values[index] = (tuple(annotated(v, types, charged) for v in value) if many
                             else annotated(value, types, charged))
    copy = object.__new__(kind)
    for put, value in zip(setters, values):
        put(copy, value)
    return copy
