"""What compiled policies call at run time: null-safe access, comparison, arithmetic, the budget.

Compiled code inlines what Python does natively; only operations where the
policy language differs from Python (``null`` never crashes, dates plus
durations, a string is never compared with a number) come here; the built-in
functions, which use these, are in ``builtins``.  Nothing here or there
touches files, the network or the interpreter: the two are the whole of what
an expression can reach.
"""

from __future__ import annotations

import datetime
import re

from ecfmg_policy.evaluator.language.values import (DateOutOfRange, Duration, History, NumberOutOfRange, add_duration, an,
                                                   display, in_range, type_name)


class EvaluationError(Exception):
    """A run-time fault in an expression, in words for the policy's editor."""


class DependencyFailed(EvaluationError):
    """An expression needs a definition whose own evaluation failed for this record."""

    def __init__(self, failed: dict, needed: list[str]):
        self.name = next(n for n in needed if n in failed)
        self.cause = failed[self.name]
        super().__init__(f"could not compute `{self.name}`: {explain(self.cause)}")


# --- the budget per record (guide §13, "Limits and safety") ------------------------------------
#
# The checker bounds a policy's work before it runs (``cost.py``); this meter is what holds
# whatever slips past that bound: values the schemas leave unbounded, such as anything under
# ``notes``.  Generated code charges it where work can grow with the data (each item a loop or
# a built-in walks, each call of a definition with parameters, each character of text built),
# so every stretch of code between two charges is bounded by the policy's own size.  A global,
# not an argument: the charges sit on the hot path, and a module global is the cheapest state
# Python offers.  One record is evaluated at a time in a process.

RECORD_STEPS = 1_000_000
_left = RECORD_STEPS


class BudgetExceeded(EvaluationError):
    """The record needed more steps than the budget allows: the rule is an error, not an answer."""

    def __init__(self, budget: int):
        super().__init__(
            f"stopped after {budget:,} evaluation steps, the budget for one record: the policy does too "
            "much work for this record (see \"Limits and safety\" in the policy author's guide)")


def start_budget(steps: int | None = None) -> None:
    """A fresh budget, at the start of a record (and again when its messages are written)."""
    global _left, _budget
    _budget = RECORD_STEPS if steps is None else steps
    _left = _budget


_budget = RECORD_STEPS


def resume_budget(left: int) -> None:
    """Go on with what evaluation left of the record's budget (for its messages, written later)."""
    global _left, _budget
    _budget, _left = RECORD_STEPS, left


def steps_used() -> int:
    """Steps charged since the last ``start_budget`` (for tests and benchmarks of a policy's cost)."""
    return _budget - _left


def spend(steps: int) -> None:
    global _left
    _left -= steps
    if _left < 0:
        raise BudgetExceeded(_budget)


def walk(xs):
    """What a ``for`` or a built-in walks: a list (null is the empty list), charged by its length."""
    global _left
    if type(xs) is list:  # nearly always: tested first, without a tuple of types to look through
        _left -= len(xs)
        if _left >= 0:
            return xs
        raise BudgetExceeded(_budget)
    if xs is None:
        return ()
    if isinstance(xs, (list, tuple)):
        spend(len(xs))
        return xs
    raise EvaluationError(f"cannot loop over {an(type_name(xs))}; expected a list")


def listed(xs):
    """What a loop walks whose size the checker has already bounded, when it could not tell it
    is a list: a list (null is the empty list), uncharged; anything else is refused as by
    :func:`walk`, never looped over letter by letter or key by key as Python would."""
    if xs is None:
        return ()
    if isinstance(xs, (list, tuple)):
        return xs
    raise EvaluationError(f"cannot loop over {an(type_name(xs))}; expected a list")


MAX_SHOWN_DEPTH = 100  # lists in lists: deeper than any real value, shallow enough for Python's own limits


def weigh(value) -> None:
    """Charge what showing or writing ``value`` walks, before it is walked: one step for each
    item, nested lists and objects included, and one for each character of text.

    A list built of the same list twice, twenty times over, holds a million items in twenty
    lines of memory; a free-form note can hold megabytes.  Charged first, neither is built.
    """
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if type(item) is str:
            spend(len(item))
        elif isinstance(item, (list, tuple, dict)):
            if depth > MAX_SHOWN_DEPTH:
                raise EvaluationError(f"the value is nested more than {MAX_SHOWN_DEPTH} levels deep to be shown")
            inner = item.values() if isinstance(item, dict) else item
            spend(len(item) + 1)
            pending.extend((v, depth + 1) for v in inner if isinstance(v, (str, list, tuple, dict)))


def show(value) -> str:
    """A value as a message shows it, its size charged first (see ``weigh``)."""
    if isinstance(value, (str, list, tuple, dict)):
        weigh(value)
    return display(value)


def output(value):
    """An output's value, its size charged before it is written."""
    if isinstance(value, (str, list, tuple, dict)):
        weigh(value)
    return value


def budget_left() -> int:
    """What is left of the record's budget: its messages, written later, get only that."""
    return max(_left, 0)


def need(failed: dict, names: list[str]) -> bool:
    """True, unless a definition in ``names`` failed for this record: then raise why."""
    if failed and not failed.keys().isdisjoint(names):
        raise DependencyFailed(failed, names)
    return True


def get(obj, key):
    """``obj.key``: a missing field, or a field of null, is null."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(key)
    raise EvaluationError(f"cannot read field `{key}` of {an(type_name(obj))}")


def index(obj, key):
    """``obj[key]``: lists by position, objects and lookups by key; out of range is null."""
    if obj is None or key is None:
        return None
    if isinstance(obj, dict):
        return obj.get(key)
    if isinstance(obj, (list, tuple)):
        if isinstance(key, bool) or not isinstance(key, (int, float)) or int(key) != key:
            raise EvaluationError(f"a list is indexed by a whole number, not {display(key)}")
        position = int(key)
        return obj[position] if -len(obj) <= position < len(obj) else None
    raise EvaluationError(f"cannot index {an(type_name(obj))}")


def param_at(value, day):
    """``params.NAME at DAY``: a history's value on that day, a plain parameter's value on any
    day; at no day (null), no value."""
    if day is None:
        return None
    if type(day) is not datetime.date:
        raise EvaluationError(f"a parameter is read at a date, not at {an(type_name(day))}")
    if type(value) is History:
        return value.at(day)
    return value


items = walk  # what a built-in walks is charged as a loop is


def _incomparable(a, b) -> EvaluationError:
    return EvaluationError(f"cannot compare {type_name(a)} with {type_name(b)}")


# Ordering with null is false (a missing date is never "before" anything).
# Written out, not generated from one template: these run once per
# comparison per record, and a wrapper call would double their cost.
def lt(a, b):
    if a is None or b is None:
        return False
    require_orderable(a, b)
    return a < b


def le(a, b):
    if a is None or b is None:
        return False
    require_orderable(a, b)
    return a <= b


def gt(a, b):
    if a is None or b is None:
        return False
    require_orderable(a, b)
    return a > b


def ge(a, b):
    if a is None or b is None:
        return False
    require_orderable(a, b)
    return a >= b


ORDER_KINDS = {int: "number", float: "number", str: "string", datetime.date: "date"}


def require_orderable(a, b) -> None:
    """Numbers with numbers, dates with dates, strings with strings: nothing else is ordered
    (Python would order booleans with numbers, and lists with lists)."""
    kind = ORDER_KINDS.get(type(a))
    if kind is None or kind != ORDER_KINDS.get(type(b)):
        raise _incomparable(a, b)
    if kind == "string":
        spend(min(len(a), len(b)))


def eq(a, b) -> bool:
    """Equality of the language: values of different kinds are never equal (Python has ``1 == True``)."""
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return False
        spend(len(a) + 1)
        return all(eq(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        if len(a) != len(b):
            return False
        spend(len(a) + 1)
        return a.keys() == b.keys() and all(eq(a[k], b[k]) for k in a)
    if type(a) is str and type(b) is str and len(a) == len(b):
        spend(len(a))  # equal lengths: Python compares character by character
    return a == b


def contains(container, item) -> bool:
    if container is None:
        return False
    if isinstance(container, (list, tuple)):
        return any(eq(item, x) for x in walk(container))
    if isinstance(container, dict):
        return type(item) is str and item in container  # keys are strings (see object_key)
    if isinstance(container, str) and isinstance(item, str):
        spend(len(container))
        return item in container
    raise EvaluationError(f"`in` needs a list on its right, not {an(type_name(container))}")


def object_key(key):
    """A key of an object built by the policy: a string, so that it means one thing in
    JSON, in messages and to ``in`` (Python would merge the keys ``1`` and ``true``)."""
    if type(key) is str:
        return key
    raise EvaluationError(f"an object key must be a string, not {an(type_name(key))}")


def add(a, b):
    if a is None or b is None:
        return None
    if isinstance(a, datetime.date) and isinstance(b, Duration):
        return add_duration(a, b)
    if isinstance(a, Duration) and isinstance(b, datetime.date):
        return add_duration(b, a)
    if _numbers(a, b):
        return in_range(a + b)
    raise EvaluationError(f"cannot add {type_name(a)} and {type_name(b)}")


def plus_duration(day, span):
    """``date + duration`` where both are known to be so (null stays null).  Whole years, the
    seven-year window, are added here without further calls: this runs for every window."""
    if day is None or span is None:
        return None
    if not span.months and not span.days:
        try:
            return day.replace(year=day.year + span.years)
        except (ValueError, OverflowError):  # 29 February in a year without one, or past the calendar (a year past
            # C's long overflows): the general path says which
            return add_duration(day, span)
    return add_duration(day, span)


def sub(a, b):
    if a is None or b is None:
        return None
    if isinstance(a, datetime.date):
        if isinstance(b, Duration):
            return add_duration(a, -b)
        if isinstance(b, datetime.date):
            return (a - b).days
    if _numbers(a, b):
        return in_range(a - b)
    raise EvaluationError(f"cannot subtract {type_name(b)} from {type_name(a)}")


def mul(a, b):
    if a is None or b is None:
        return None
    if _numbers(a, b):
        if type(a) is int and type(b) is int and a and b and a.bit_length() + b.bit_length() > 1100:
            raise NumberOutOfRange("the result is past the largest number the language holds (about 1.8e308)")
        return in_range(a * b)
    raise EvaluationError(f"cannot multiply {type_name(a)} by {type_name(b)}")


def div(a, b):
    if a is None or b is None:
        return None
    if _numbers(a, b):
        if b == 0:
            raise EvaluationError("division by zero")
        return in_range(a / b)
    raise EvaluationError(f"cannot divide {type_name(a)} by {type_name(b)}")


def neg(a):
    if a is None:
        return None
    if isinstance(a, Duration):
        return -a
    if _numbers(a, 0):
        return -a
    raise EvaluationError(f"cannot negate {an(type_name(a))}")


def _numbers(a, b) -> bool:
    return (isinstance(a, (int, float)) and not isinstance(a, bool)
            and isinstance(b, (int, float)) and not isinstance(b, bool))


def truth(value) -> bool:
    """Conditions: true is true, false and null are false, anything else is a mistake."""
    if value is True or value is False:
        return value
    if value is None:
        return False
    raise EvaluationError(f"a condition must be true or false, not {an(type_name(value))}")


_PY_TYPES = {"int": "number", "float": "number", "str": "string", "NoneType": "null", "bool": "boolean",
             "datetime.date": "date", "date": "date", "list": "list", "dict": "object", "tuple": "list",
             "Duration": "duration"}


def explain(exc: BaseException, position: object | None = None) -> str:
    """A run-time failure in the policy language's words (never Python's), and where the
    expression that failed starts, when that is known (``LineMap``).  Running out of budget
    has no place: it is the record's, not one expression's."""
    text = _in_words(exc)
    if position is not None and not isinstance(exc, BudgetExceeded):
        return f"{text} (at {position})"
    return text


def _in_words(exc: BaseException) -> str:
    if isinstance(exc, (EvaluationError, DateOutOfRange, NumberOutOfRange)):
        return str(exc)
    text = str(exc)
    for python, ours in _PY_TYPES.items():
        text = re.sub(rf"'{re.escape(python)}'", ours, text)
    if isinstance(exc, TypeError):
        return f"type mismatch: {text}"
    if isinstance(exc, RecursionError):
        return "the expression is nested too deeply to evaluate"
    return f"{type(exc).__name__}: {text}"


class LineMap:
    """Which policy expression each line of a policy's generated code evaluates, so that a
    failure names the place in the YAML file (``FILE:LINE:COLUMN``) rather than Python's.

    The place is that of the outermost generated line the failure passed through: the rule's
    condition, definition, output or scope being evaluated.  A function (a definition with
    parameters) fails where it was called, inlined or not; a definition without parameters
    fails at its own place, and whatever needs it says so (``could not compute `x`: …``).
    A message's placeholder has no line of its own, so a message that cannot be shown says
    why without a place.
    """

    __slots__ = ("filename", "positions")

    def __init__(self, filename: str, positions: dict[int, object]):
        self.filename = filename
        self.positions = positions

    def position(self, exc: BaseException) -> object | None:
        trace = exc.__traceback__
        while trace is not None:
            if trace.tb_frame.f_code.co_filename == self.filename:
                return self.positions.get(trace.tb_lineno)
            trace = trace.tb_next
        return None

    def explain(self, exc: BaseException) -> str:
        if isinstance(exc, DependencyFailed):
            return f"could not compute `{exc.name}`: {self.explain(exc.cause)}"
        return explain(exc, self.position(exc))
