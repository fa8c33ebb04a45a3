"""Static types of the policy language, and how JSON Schemas map onto them.

The checker needs to know that ``applicant.application.fee_paid_usd`` is a
number and ``applicant.status`` a string that is either ``student`` or
``graduate``; that knowledge comes from the shipped JSON Schemas rather than
being written a second time.  ``ANY`` is the escape hatch: where the type is
not known, nothing is reported.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from ecfmg_policy.evaluator.language.values import Duration, History


@dataclass(frozen=True, slots=True)
class Prim:
    """A type without parts: number, string, boolean, date, duration, null, any (with an enum's values)."""

    name: str  # number, string, boolean, date, duration, null, any
    enum: tuple | None = None

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class ListOf:
    """A list whose items are all of one type."""

    item: "Type"

    def __str__(self) -> str:
        return "list"


@dataclass(frozen=True, slots=True)
class Obj:
    """An object with known fields (closed: other names are mistakes)."""

    fields: tuple[tuple[str, "Type"], ...]
    required: frozenset[str] = frozenset()  # fields a valid value always has (never null)
    present: frozenset[str] = frozenset()  # fields always there, though perhaps null (object literals)

    def field(self, name: str) -> "Type | None":
        for key, value in self.fields:
            if key == name:
                return value
        return None

    def names(self) -> list[str]:
        return [key for key, _ in self.fields]

    def __str__(self) -> str:
        return "object"


@dataclass(frozen=True, slots=True)
class MapOf:
    """Objects looked up by key, such as the World Directory's schools by id."""

    value: "Type"

    def __str__(self) -> str:
        return "object"


@dataclass(frozen=True, slots=True)
class Function:
    """A definition with parameters, as a name refers to it."""

    name: str
    params: tuple[str, ...]

    def __str__(self) -> str:
        return "function"


Type = Prim | ListOf | Obj | MapOf | Function

ANY = Prim("any")
NUMBER = Prim("number")
STRING = Prim("string")
BOOLEAN = Prim("boolean")
DATE = Prim("date")
DURATION = Prim("duration")
NULL = Prim("null")


def base(t: Type) -> str:
    """The type's name without enum details: ``number``, ``list``, ``object``…"""
    if isinstance(t, Prim):
        return t.name
    return "list" if isinstance(t, ListOf) else "object" if isinstance(t, (Obj, MapOf)) else "function"


def of_value(value: Any) -> Type:
    """The static type of a literal or a parameter value."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, datetime.date):
        return DATE
    if isinstance(value, Duration):
        return DURATION
    if isinstance(value, (list, tuple)):
        kinds = {of_value(v) for v in value}
        return ListOf(kinds.pop() if len(kinds) == 1 else ANY)
    if isinstance(value, dict):
        return Obj(tuple((str(k), of_value(v)) for k, v in value.items()))
    if isinstance(value, History):  # what it holds on any one day (a gap reads as null)
        kinds = {of_value(v) for v in value.values if v is not None}
        return kinds.pop() if len(kinds) == 1 else ANY
    return ANY


def from_schema(schema: dict, root: dict, keyed_lists: dict[str, str] | None = None) -> Type:
    """The type of values valid against ``schema`` (``$ref`` resolved within ``root``).

    ``keyed_lists`` names array properties that the engine turns into lookups
    by key (``schools`` -> by ``world_directory_id``); they become ``MapOf``.
    """
    keyed_lists = keyed_lists or {}
    return _from_schema(schema, root, keyed_lists, depth=0)


def _from_schema(schema: dict, root: dict, keyed: dict[str, str], depth: int) -> Type:
    if depth > 32 or not isinstance(schema, dict):
        return ANY
    if "$ref" in schema:
        ref = schema["$ref"]
        if ref.startswith("#/"):
            target: Any = root
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            return _from_schema(target, root, keyed, depth + 1)
        return ANY
    if "enum" in schema:
        values = tuple(schema["enum"])
        if all(isinstance(v, str) for v in values):
            return Prim("string", values)
        return ANY
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = [k for k in kind if k != "null"]
        kind = kind[0] if len(kind) == 1 else None
    if kind == "string":
        return DATE if schema.get("format") == "date" else STRING
    if kind in ("number", "integer"):
        return NUMBER
    if kind == "boolean":
        return BOOLEAN
    if kind == "array":
        return ListOf(_from_schema(schema.get("items", {}), root, keyed, depth + 1))
    if kind == "object" or "properties" in schema:
        fields = []
        for name, sub in schema.get("properties", {}).items():
            sub_type = _from_schema(sub, root, keyed, depth + 1)
            if name in keyed and isinstance(sub_type, ListOf):
                sub_type = MapOf(sub_type.item)
            fields.append((name, sub_type))
        if not fields and schema.get("additionalProperties", True) is not False:
            return ANY
        return Obj(tuple(fields), frozenset(schema.get("required", ())))
    return ANY


def date_paths(t: Type, path: tuple = ()) -> list[tuple]:
    """Where dates sit in values of type ``t`` (``"*"`` stands for every list item).

    Records arrive with dates as strings; the engine converts exactly these
    places once, after validation, so expressions compute with real dates.
    """
    if t == DATE:
        return [path]
    if isinstance(t, ListOf):
        return date_paths(t.item, path + ("*",))
    if isinstance(t, MapOf):
        return date_paths(t.value, path + ("*",))
    if isinstance(t, Obj):
        found = []
        for name, sub in t.fields:
            found.extend(date_paths(sub, path + (name,)))
        return found
    return []
