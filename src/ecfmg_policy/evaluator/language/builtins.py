"""The built-in functions of the policy language: one row each, and all that is said of them.

A row holds everything the stages need to know about one function, as Cedar
declares each extension function once: what runs (``run``, the null-safe
implementation in ``runtime``), how many arguments it takes, what its first
argument must be and what type it gives (the checker), whether it can give
null (the nullness facts), what its result costs and how large it can be (the
cost bound), Python the code writer may put in place of a call (``fast``), and
its row in the policy author's guide (§8.8; ``tests/test_builtins.py`` fails if
the guide's table and these rows disagree).  Adding a built-in is adding a row
here, its implementation in ``runtime``, and its tests.

The fast paths are written against the code writer (``pycode.ExpressionCode``)
and use only its public methods: ``expr``, ``boolean``, ``loop``, ``walked``,
``type_of``, ``non_null``, ``orderable_list``, ``element_non_null``,
``charged`` and ``temporary``, each given the ``Frame`` it is written in.  Each returns ``None`` when its
conditions do not hold, and the call then goes to ``run``: a fast path may only
be faster, never give another answer (``tests/test_differential.py`` compares
the generated code with the reference interpreter on random policies).

The reference interpreter (``interpreter.py``) keeps its own reading of each
function, from the guide, on purpose: it is the independent witness.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import math
import operator
from dataclasses import dataclass
from enum import StrEnum
from typing import Callable, Iterable, Sequence

from ecfmg_policy.evaluator.language import nodes as n
from ecfmg_policy.evaluator.compiler.runtime import (ORDER_KINDS, EvaluationError, add, ge, items, require_orderable, show,
                                            spend, truth, walk)
from ecfmg_policy.evaluator.language import types as t
from ecfmg_policy.evaluator.language.values import an, display, type_name


class Takes(StrEnum):
    """What a built-in's first argument must be, for the checker."""

    ANYTHING = "anything"
    LIST = "list"
    DATE = "date"


class Size(StrEnum):
    """How large a built-in's result can be, for the cost bound (``cost.py``)."""

    ONE = "one value"  # a number, a boolean or a date part
    ITEM = "an item of the list"
    SAME_LIST = "the list's items, reordered"
    TEXT = "text made of the list's items"
    ARGUMENT = "its argument"


Complain = Callable[[str, int | None], t.Type]  # (message, the argument at fault or None) -> the type to go on with


@dataclass(frozen=True)
class Builtin:
    """One built-in function; see the module docstring for who reads which field."""

    name: str
    run: Callable
    fewest: int
    most: int | None  # None: any number of arguments (their results are then joined, for the cost)
    takes: Takes
    gives: t.Type | Callable[[Sequence[t.Type], Complain], t.Type]  # a fixed type, or one from the arguments'
    never_null: Callable[[Iterable[bool]], bool]  # from whether each argument is never null
    walks: bool  # walks its first argument's list (each item charged where the list's size is unknown)
    size: Size
    fast: Callable[..., str | None] | None
    signature: str  # the guide's first column
    doc: str  # what it gives, in one line
    nulls: str  # its null and empty cases
    lazy: bool = False  # stops at the argument or item that decides: its meaning, so ``fast`` is
    #                     written with fast paths off too

    @property
    def fixed_type(self) -> t.Type | None:
        return self.gives if isinstance(self.gives, t.Type) else None

    def result_type(self, args: Sequence[t.Type], complain: Complain) -> t.Type:
        """The type of a call with arguments of these types, after the checks of its first argument."""
        first = args[0]
        if self.takes is Takes.LIST and t.base(first) not in ("list", "any", "null"):
            return complain(f"`{self.name}` needs a list, not {an(t.base(first))}", None)
        if self.takes is Takes.DATE and t.base(first) not in ("date", "any", "null"):
            return complain(f"`{self.name}` needs a date, not {an(t.base(first))}", None)
        return self.gives if isinstance(self.gives, t.Type) else self.gives(args, complain)


def always(known: Iterable[bool]) -> bool:
    return True


def never(known: Iterable[bool]) -> bool:
    return False


def _item(kind: t.Type) -> t.Type:
    return kind.item if isinstance(kind, t.ListOf) else t.ANY


# --- what runs: the null-safe implementations, and the helpers of the fast paths ------------

def _values(args):
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        return args[0]
    if len(args) == 1 and args[0] is None:
        return ()
    return args


def fn_count(xs):
    return len(items(xs))


PRESENT = functools.partial(operator.is_not, None)  # a C-level "is not None", for filter()


def _extreme(pick, name: str, args):
    values = args[0] if len(args) == 1 and type(args[0]) is list else _values(args)
    spend(len(values))
    present = [v for v in values if v is not None]
    kinds = {ORDER_KINDS.get(type(v)) for v in present}
    if len(kinds) > 1 or None in kinds:  # booleans, lists, durations, or a mix
        listed = ", ".join(sorted({type_name(v) for v in present}))
        raise EvaluationError(f"{name}() of values that cannot be compared: {listed}")
    return pick(present) if present else None


def fn_min(*args):
    return _extreme(min, "min", args)


def fn_max(*args):
    return _extreme(max, "max", args)


def fn_sum(xs):
    total = 0
    for v in items(xs):
        if v is not None:
            total = add(total, v)
    return total


def fn_all(xs):
    return all(truth(v) for v in items(xs))


def fn_any(xs):
    return any(truth(v) for v in items(xs))


def fn_none(xs):
    return not fn_any(xs)


def date_part(part):
    """``year``, ``month`` or ``day`` of a date; null for null."""
    def extract(value):
        if value is None:
            return None
        if not isinstance(value, datetime.date):
            raise EvaluationError(f"{part}() needs a date, not {an(type_name(value))}")
        return getattr(value, part)
    return extract


def fn_first(xs):
    if xs is None:
        return None
    if isinstance(xs, (list, tuple)):
        return xs[0] if xs else None
    return items(xs)  # raises: not a list


def fn_join(xs, separator=", "):
    separator = show(separator)
    parts = [show(v) for v in items(xs) if v is not None]  # each charged by its length as it is shown
    spend(len(separator) * max(len(parts) - 1, 0))
    return separator.join(parts)


def join_known(xs, separator):
    """``join`` of a list the checker has bounded (its cost counted before the record ran):
    the same text as :func:`fn_join`, without charging each part as it is shown."""
    if type(xs) is not list:  # null, or what a type the checker could not pin down turned out to be
        return fn_join(xs, separator)
    return separator.join([v if type(v) is str else display(v) for v in xs if v is not None])


class Sorted(list):
    """A list ``sort`` returned: ``earliest_from`` finds a place in it by halving (it is still a list)."""

    __slots__ = ()


def fn_sort(xs):
    present = [v for v in walk(xs) if v is not None]
    kinds = {ORDER_KINDS.get(type(v)) for v in present}
    if len(kinds) > 1 or None in kinds:
        listed = ", ".join(sorted({type_name(v) for v in present}))
        raise EvaluationError(f"sort() of values that cannot be compared: {listed}")
    if len(present) > 1:
        spend(int(len(present) * math.log2(len(present))))  # what the checker's bound counts for it
    return Sorted(sorted(present))


def fn_earliest_from(xs, start):
    """The smallest item of ``xs`` at least ``start`` (the earliest day on or after it), or null.

    On a list from ``sort`` it takes a few steps whatever the length: the seven-year
    window asks this once per window and exam, and stays near-linear in the attempts."""
    if start is None:
        return None
    if type(xs) is Sorted:
        if xs:
            require_orderable(xs[0], start)
        place = bisect.bisect_left(xs, start)
        return xs[place] if place < len(xs) else None
    return min((v for v in walk(xs) if v is not None and ge(v, start)), default=None)


def earliest_known(xs, start):
    """``earliest_from`` where the checker knows the items and ``start`` are of one kind (the
    window's dates): a list from ``sort`` is searched without further checks."""
    if type(xs) is Sorted and start is not None:
        place = bisect.bisect_left(xs, start)
        return xs[place] if place < len(xs) else None
    return fn_earliest_from(xs, start)


def fn_coalesce(*args):
    return next((a for a in args if a is not None), None)


def coalesce(*thunks):
    """``coalesce(a, b, …)``: the first argument not null; the later ones are not evaluated."""
    for thunk in thunks:
        value = thunk()
        if value is not None:
            return value
    return None


# --- result types that depend on the arguments ---------------------------------------------------

def _extreme_type(args, complain) -> t.Type:
    """``min(xs)`` gives an item; ``min(a, b)`` the arguments' type when they share one."""
    if len(args) == 1:
        return _item(args[0])
    return args[0] if len(set(args)) == 1 else t.ANY


def _item_type(args, complain) -> t.Type:
    return _item(args[0])


def _orderable_items(name: str, args, complain) -> t.Type | None:
    item = _item(args[0])
    if t.base(item) not in ("number", "date", "string", "any", "null"):
        return complain(f"`{name}` needs a list of numbers, dates or text, not of {t.base(item)}s", None)
    return None


def _sorted_type(args, complain) -> t.Type:
    refused = _orderable_items("sort", args, complain)
    return args[0] if refused is None else refused


def _earliest_type(args, complain) -> t.Type:
    refused = _orderable_items("earliest_from", args, complain)
    if refused is not None:
        return refused
    item, start = t.base(_item(args[0])), t.base(args[1])
    if "any" not in (item, start) and "null" not in (item, start) and item != start:
        return complain(f"`earliest_from` compares {item}s with {an(start)}; they cannot be ordered together", 1)
    return _item(args[0])


def _first_present_type(args, complain) -> t.Type:
    """Any of its arguments: one type only if they all have it (null aside)."""
    kinds = set(args) - {t.NULL}
    return kinds.pop() if len(kinds) == 1 else t.NULL if not kinds else t.ANY


# --- fast paths: Python the code writer puts in place of ``fn_NAME(...)`` ------------------------

def _listed(node: n.Call) -> n.Node | None:
    """The one list a function reads: its bare comprehension, or its only argument."""
    if node.generator is not None:
        return node.generator
    return node.args[0] if len(node.args) == 1 else None


def _fast_count(w, node: n.Call, args: list[str], frame) -> str | None:
    if not isinstance(w.type_of(node.args[0] if node.args else node.generator), t.ListOf):
        return None
    return f"len({args[0]})" if node.generator is not None else f"len({args[0]} or ())"


def _fast_join(w, node: n.Call, args: list[str], frame) -> str | None:
    if node.generator is not None or w.charged(node):
        return None
    separator = node.args[1] if len(node.args) == 2 else None
    if separator is not None and not (isinstance(separator, n.Literal) and isinstance(separator.value, str)):
        return None
    listed = node.args[0]
    if (separator is not None and isinstance(listed, n.ListExpr)
            and all(w.type_of(i) == t.STRING and w.non_null(i, frame) for i in listed.items)):
        return f"{separator.value!r}.join(({''.join(w.expr(i, frame) + ', ' for i in listed.items)}))"
    if isinstance(w.type_of(listed), t.ListOf):
        return f"join_known({args[0]}, {(', ' if separator is None else separator.value)!r})"
    return None


def _fast_sort(w, node: n.Call, args: list[str], frame) -> str | None:
    if node.generator is not None and w.orderable_list(node.generator) and w.element_non_null(node.generator, frame):
        return f"Sorted(sorted({args[0]}))"  # items of one kind, none null: nothing to check
    return None


def _fast_earliest_from(w, node: n.Call, args: list[str], frame) -> str | None:
    if (len(node.args) == 2 and w.orderable_list(node.args[0])
            and t.base(w.type_of(node.args[1]) or t.ANY) == t.base(w.type_of(node.args[0]).item)):
        return f"earliest_known({args[0]}, {args[1]})"
    return None


def _fast_coalesce(w, node: n.Call, args: list[str], frame) -> str | None:
    """The first argument that is not null; the later ones are not evaluated (as with ``if``)."""
    if node.generator is not None:
        return None
    if len(args) == 1:
        return args[0]
    if len(args) == 2 and (temp := w.temporary(frame)) is not None:
        return f"({temp} if ({temp} := {args[0]}) is not None else {args[1]})"
    return "coalesce(" + ", ".join(f"lambda: {a}" for a in args) + ")"


def _fast_quantifier(w, node: n.Call, args: list[str], frame) -> str | None:
    """``any``/``all``/``none`` of a list written in place stop at the first item that decides,
    as ``and`` and ``or`` do; Python's own ``any`` and ``or`` do exactly that."""
    written = node.generator if node.generator is not None else node.args[0]
    name = node.function
    if isinstance(written, n.ListExpr):
        if not written.items:
            return "False" if name == "any" else "True"
        joiner = " and " if name == "all" else " or "
        code = "(" + joiner.join(w.boolean(item, frame) for item in written.items) + ")"
        return f"(not {code})" if name == "none" else code
    if isinstance(written, n.ListComprehension):
        head, inner = w.loop(written.loop, frame)
        element = w.boolean(written.element, inner)
        if name == "all":
            return f"all({element} {head})"
        return f"any({element} {head})" if name == "any" else f"(not any({element} {head}))"
    return None


def _fast_extreme(w, node: n.Call, args: list[str], frame) -> str | None:
    name, generator = node.function, node.generator
    if generator is not None and w.orderable_list(generator) and w.element_non_null(generator, frame):
        return f"{name}({args[0]}, default=None)"
    single = _listed(node)
    if single is not None and w.orderable_list(single):
        # a list of dates (or numbers, or strings) that may hold nulls: skip them, in C
        return f"{name}(filter(PRESENT, {w.walked(single, frame, args[0])}), default=None)"
    kinds = {t.base(w.type_of(a) or t.ANY) for a in node.args}
    if len(node.args) > 1 and len(kinds) == 1 and kinds <= {"number", "date", "string"} \
            and all(w.non_null(a, frame) for a in node.args):
        return f"{name}({', '.join(args)})"  # arguments of one orderable kind, none null
    return None


# --- the table -----------------------------------------------------------------------------------

_ROWS = (
    Builtin("count", fn_count, 1, 1, Takes.LIST, t.NUMBER, always, True, Size.ONE, _fast_count,
            "`count(xs)`", "the number of items in the list", "`count(null)` is `0`"),
    Builtin("min", fn_min, 1, None, Takes.ANYTHING, _extreme_type, never, True, Size.ITEM, _fast_extreme,
            "`min(xs)`, `min(a, b, …)`", "the smallest item (numbers, dates or strings)",
            "nulls are skipped; nothing left gives `null`. Items that cannot be compared (a number and a "
            "string) are an error"),
    Builtin("max", fn_max, 1, None, Takes.ANYTHING, _extreme_type, never, True, Size.ITEM, _fast_extreme,
            "`max(xs)`, `max(a, b, …)`", "the largest item", "as `min`"),
    Builtin("sum", fn_sum, 1, 1, Takes.LIST, t.NUMBER, always, True, Size.ONE, None,
            "`sum(xs)`", "the total of the numbers in the list", "nulls are skipped; `sum([])` is `0`"),
    Builtin("all", fn_all, 1, 1, Takes.LIST, t.BOOLEAN, always, True, Size.ONE, _fast_quantifier,
            "`all(xs)`", "true if every item is true", "`all([])` is `true`; a null item counts as false", lazy=True),
    Builtin("any", fn_any, 1, 1, Takes.LIST, t.BOOLEAN, always, True, Size.ONE, _fast_quantifier,
            "`any(xs)`", "true if some item is true", "`any([])` is `false`", lazy=True),
    Builtin("none", fn_none, 1, 1, Takes.LIST, t.BOOLEAN, always, True, Size.ONE, _fast_quantifier,
            "`none(xs)`", "true if no item is true", "`none([])` is `true`", lazy=True),
    Builtin("first", fn_first, 1, 1, Takes.LIST, _item_type, never, True, Size.ITEM, None,
            "`first(xs)`", "the first item", "`null` for an empty list or null"),
    Builtin("join", fn_join, 1, 2, Takes.LIST, t.STRING, always, True, Size.TEXT, _fast_join,
            "`join(xs)`, `join(xs, sep)`", "the items as text (shown as in §6), separated by `sep`, default `\", \"`",
            "nulls are skipped; `join([])` is `\"\"`"),
    Builtin("coalesce", fn_coalesce, 1, None, Takes.ANYTHING, _first_present_type, any, False, Size.ARGUMENT,
            _fast_coalesce, "`coalesce(a, b, …)`", "the first argument that is not null", "`null` if all are", lazy=True),
    Builtin("sort", fn_sort, 1, 1, Takes.LIST, _sorted_type, always, True, Size.SAME_LIST, _fast_sort,
            "`sort(xs)`", "the items that are not null, smallest first (numbers, dates or strings)",
            "`sort(null)` is `[]`; items that cannot be compared are an error"),
    Builtin("earliest_from", fn_earliest_from, 2, 2, Takes.LIST, _earliest_type, never, True, Size.ITEM,
            _fast_earliest_from, "`earliest_from(xs, x)`",
            "the smallest item of `xs` that is at least `x`: for dates, the earliest day on or after `x`",
            "`null` when there is none, or when `x` is null"),
    Builtin("year", date_part("year"), 1, 1, Takes.DATE, t.NUMBER, never, False, Size.ONE, None,
            "`year(d)`", "the year of a date", "`null` for null"),
    Builtin("month", date_part("month"), 1, 1, Takes.DATE, t.NUMBER, never, False, Size.ONE, None,
            "`month(d)`", "the month of a date, 1–12", "`null` for null"),
    Builtin("day", date_part("day"), 1, 1, Takes.DATE, t.NUMBER, never, False, Size.ONE, None,
            "`day(d)`", "the day of the month of a date, 1–31", "`null` for null"),
)

BUILTINS: dict[str, Builtin] = {row.name: row for row in _ROWS}

# What the fast paths' code calls, beside ``fn_NAME``: the generated function's namespace has these.
FAST_PATH_NAMES = {"Sorted": Sorted, "sorted": sorted, "earliest_known": earliest_known, "join_known": join_known,
                   "coalesce": coalesce, "PRESENT": PRESENT, "min": min, "max": max, "filter": filter}


def guide_table() -> str:
    """The guide's §8.8 table, as the rows say it."""
    lines = ["| function | gives | null and empty cases |", "| --- | --- | --- |"]
    lines += [f"| {row.signature} | {row.doc} | {row.nulls} |" for row in _ROWS]
    return "\n".join(lines)
