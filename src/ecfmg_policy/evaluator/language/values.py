"""The values expressions compute with, beyond what JSON has: dates and durations.

Durations are calendar durations (years, months, days).  Adding years keeps the
month and day, and 29 February becomes 28 February in a year without one, as
``dateutil.relativedelta`` does; the few lines this needs are written here
rather than taking a dependency for them.
"""

from __future__ import annotations

import bisect
import calendar
import datetime
import math
from dataclasses import dataclass

UNITS = {"year": "years", "years": "years", "month": "months", "months": "months",
         "week": "weeks", "weeks": "weeks", "day": "days", "days": "days"}


@dataclass(frozen=True, slots=True)
class Duration:
    """A calendar duration: years, months and days, added in that order."""

    years: int = 0
    months: int = 0
    days: int = 0

    def __str__(self) -> str:
        parts = []
        for count, unit in ((self.years, "year"), (self.months, "month"), (self.days, "day")):
            if count:
                parts.append(f"{count} {unit}" + ("" if count == 1 else "s"))
        return " ".join(parts) or "0 days"

    def __neg__(self) -> "Duration":
        return Duration(-self.years, -self.months, -self.days)


def make_duration(count: int, unit: str) -> Duration:
    unit = UNITS[unit]
    if unit == "years":
        return Duration(years=count)
    if unit == "months":
        return Duration(months=count)
    return Duration(days=count * 7 if unit == "weeks" else count)


def parse_duration(text: str) -> Duration | None:
    """``"7 years"`` -> Duration(years=7); None if the text is not a duration."""
    parts = text.split()
    if len(parts) != 2 or not parts[0].isdigit() or parts[1] not in UNITS:
        return None
    return make_duration(int(parts[0]), parts[1])


@dataclass(frozen=True, slots=True)
class History:
    """A parameter whose value changes on dates, as OpenFisca keeps one: each value holds
    from its date until the next date, and a ``None`` value is a gap the policy wrote (no
    value from that date).

    A policy reads the value at a date taken from the case (the fee due on the day an
    application was submitted) or, read plainly, on the as-of date.  A day before the first
    date reads the first value: the policy knows no earlier one, and a fact dated before the
    policy began (an application submitted in 2003, judged today) still needs an answer.
    The loader makes sure the first date is no later than the version that writes the
    history, so no day of that version goes without a value by accident.
    """

    days: tuple[datetime.date, ...]  # ascending
    values: tuple

    def at(self, day: datetime.date | None):
        if day is None:
            return None
        i = bisect.bisect_right(self.days, day)
        return self.values[i - 1 if i else 0]

    def entries(self) -> tuple[tuple[datetime.date, object], ...]:
        return tuple(zip(self.days, self.values))


class DateOutOfRange(ArithmeticError):
    """Date arithmetic that leaves the calendar (years 1 to 9999), in words for the policy's editor."""


class NumberOutOfRange(ArithmeticError):
    """Arithmetic whose result a record could not hold: past a double, or not a number at all."""


LARGEST_NUMBER = 1.7976931348623157e308  # the largest double; records may hold no larger number
_LARGEST_INT = int(LARGEST_NUMBER)


def in_range(value):
    """An arithmetic result, if it is a number a record could hold; else :class:`NumberOutOfRange`.

    Python's integers grow without end (a number squared a few times takes minutes) and its
    floats overflow to infinity (``1e308 * 10``), which compares greater than any fee: either
    would be a wrong answer or a hang, so both are an error for the rule that computed them.
    """
    if type(value) is float:
        if value != value or value in (math.inf, -math.inf):
            raise NumberOutOfRange("the result is past the largest number the language holds (about 1.8e308)")
    elif type(value) is int and not -_LARGEST_INT <= value <= _LARGEST_INT:
        raise NumberOutOfRange("the result is past the largest number the language holds (about 1.8e308)")
    return value


def add_duration(day: datetime.date, span: Duration) -> datetime.date:
    """``day + span``: months first (clamping the day to the month's end), then days."""
    try:
        return _add_duration(day, span)
    except (ValueError, OverflowError):
        raise DateOutOfRange(f"{day.isoformat()} + {span} is outside the calendar (years 1 to 9999)") from None


def _add_duration(day: datetime.date, span: Duration) -> datetime.date:
    if span.years and not span.months and not span.days:  # the common case, 7 years: no calendar arithmetic
        try:
            return day.replace(year=day.year + span.years)
        except ValueError:  # 29 February in a year without one
            return day.replace(year=day.year + span.years, day=28)
    if span.years or span.months:
        months = day.month - 1 + span.months + 12 * span.years
        year, month = day.year + months // 12, months % 12 + 1
        last = calendar.monthrange(year, month)[1]
        day = day.replace(year=year, month=month, day=min(day.day, last))
    if span.days:
        day = day + datetime.timedelta(days=span.days)
    return day


def type_name(value: object) -> str:
    """The policy language's name for the type of a runtime value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime.date):
        return "date"
    if isinstance(value, Duration):
        return "duration"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def an(noun: str) -> str:
    """``an object``, ``a number``: the noun with its article, for messages."""
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def to_json_value(value: object) -> object:
    """Dates as ``YYYY-MM-DD``, durations as text, everything else as JSON has it.

    Called for every output of every record: the common kinds are told by their exact
    type first, the rest (subclasses, durations) as before."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is datetime.date:
        return value.isoformat()
    if kind is dict:
        return {k if type(k) is str else str(k): to_json_value(v) for k, v in value.items()}
    if kind is list:
        return [to_json_value(v) for v in value]
    return _to_json_other(value)


def _to_json_other(value: object) -> object:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, History):
        return {"history": [{"from": day.isoformat(), "value": to_json_value(v)} for day, v in value.entries()]}
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def display(value: object) -> str:
    """How a value reads inside a message."""
    if type(value) is str:
        return value
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(display(v) for v in value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return ", ".join(f"{k}: {display(v)}" for k, v in value.items())
    if isinstance(value, History):
        return ", ".join(f"{display(v)} from {day.isoformat()}" for day, v in value.entries())
    return str(value)
