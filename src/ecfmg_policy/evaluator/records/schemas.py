"""The shipped JSON Schemas, their validators, and what the checker derives from them.

Validators are built once per process.  Format checking is on, so
``2021-02-30`` is refused as a date, and every error carries its JSON pointer.

Two validators read the same schemas.  ``jsonschema`` is the validator of
record: every message and pointer comes from it.  ``jsonschema-rs`` (native,
over 100 times faster) only answers "valid or not", as a gate in front of it
(see ``records.schema_problems`` and ``loader.check_structure``); jsonschema
itself is imported only when a value fails the gate, so a run over valid files
never pays its start-up (about 45 ms of CPU, a sixth of ``check`` on one
record); ``tests/test_validators_agree.py`` holds
the two to the same verdicts.  The schemas' patterns are written to mean the
same in both: see ``PATTERN_SHAPES``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from typing import TYPE_CHECKING, Any

from ecfmg_policy.errors import clip
from ecfmg_policy.evaluator.language import types as t

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

SCHEMA_FILES = {
    "applicant": "applicant.schema.json",
    "world-directory": "world-directory.schema.json",
    "policy": "policy.schema.json",
    "result": "result.schema.json",
    "explain": "explain.schema.json",
    "diff": "diff.schema.json",
    "test-case": "test-case.schema.json",
    "test-fixture": "test-fixture.schema.json",
}

# Array properties that the engine turns into lookups by key.
KEYED_LISTS = {"world-directory": {"schools": "world_directory_id"}}


@lru_cache(maxsize=None)
def schema_text(kind: str) -> str:
    return resources.files("ecfmg_policy.schemas").joinpath(SCHEMA_FILES[kind]).read_text("utf-8")


@lru_cache(maxsize=None)
def schema(kind: str) -> dict:
    return json.loads(schema_text(kind))


@lru_cache(maxsize=None)
def validator(kind: str) -> Draft202012Validator:
    """The ``kind`` schema compiled by jsonschema, the validator whose errors are the messages."""
    from jsonschema import Draft202012Validator, FormatChecker

    return Draft202012Validator(schema(kind), format_checker=FormatChecker(formats=("date",)))


@lru_cache(maxsize=None)
def native_validator(kind: str):
    """The ``kind`` schema compiled by jsonschema-rs, to say only whether a value is valid;
    ``None`` if jsonschema-rs cannot be imported, and then jsonschema alone decides.

    Format checking is on (else it takes ``2021-02-30`` for a date), and it is given
    :func:`native_schema`, which refuses the one date it would take that Python cannot hold.
    Its regular expressions are fancy-regex's, which reads the lookahead the shipped patterns
    use; no schema is fetched from the network.
    """
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a declared dependency; without it we are slower, not wrong
        return None
    return jsonschema_rs.Draft202012Validator(native_schema(schema(kind)), validate_formats=True, offline=True,
                                              pattern_options=jsonschema_rs.FancyRegexOptions())


def natively_valid(kind: str, value: Any) -> bool:
    """Whether jsonschema-rs passes ``value``; ``False`` also when it cannot say."""
    native = native_validator(kind)
    if native is None:
        return False
    try:
        return native.is_valid(value)
    except Exception:  # a value it cannot take in (nesting deeper than it goes): jsonschema decides
        return False


# jsonschema-rs checks dates by RFC 3339, which has a year 0; Python's dates start at year 1, so
# jsonschema (and convert_dates) refuse 0000-01-01.  jsonschema-rs is told to refuse it too, which
# sends such a record to jsonschema for today's message.  Both validators agree on every other
# date, leap days included: tests/test_validators_agree.py tries them all on a grid of years.
_NOT_YEAR_ZERO = {"not": {"pattern": "^0000"}}


def native_schema(node):
    """A copy of a schema for jsonschema-rs: wherever ``format: date`` applies, year 0000 is refused."""
    if isinstance(node, list):
        return [native_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {key: native_schema(value) for key, value in node.items()}
    if copy.get("format") == "date":
        copy["allOf"] = [*copy.get("allOf", []), _NOT_YEAR_ZERO]
    return copy


@lru_cache(maxsize=None)
def static_type(kind: str) -> t.Type:
    """The checker's view of the values a schema accepts (after dates are converted)."""
    root = schema(kind)
    return t.from_schema(root, root, KEYED_LISTS.get(kind))


def json_pointer(path) -> str:
    """``deque(['exams', 0, 'date'])`` -> ``/exams/0/date``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def describe_error(error) -> str:
    """A jsonschema error in words a record's author understands.

    The record's own text is shortened: a 50 MB value must not come back whole in every message.
    """
    kind = error.validator
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        known = ", ".join(sorted(error.schema.get("properties", {})))
        shown = ", ".join(f"`{clip(e, 80)}`" for e in extra[:10])
        shown += f" and {len(extra) - 10} more" if len(extra) > 10 else ""
        return f"unknown field(s) {shown}; allowed here: {known}"
    if kind == "required":
        return error.message.replace("is a required property", "is required but missing")
    if kind == "format":
        return f"`{_shown(error.instance)}` is not a valid {error.validator_value} (expected a real date as YYYY-MM-DD)"
    if kind == "enum":
        return f"`{_shown(error.instance)}` is not allowed; expected one of {', '.join(map(str, error.validator_value))}"
    if kind == "oneOf" and all(set(sub) == {"required"} for sub in error.validator_value):
        names = [f"`{sub['required'][0]}`" for sub in error.validator_value]
        return f"needs exactly one of {', '.join(names[:-1])} or {names[-1]}"
    if kind == "dependentRequired":
        key, missing = dependent_key(error)
        return f"`{key}` needs {' and '.join(f'`{name}`' for name in missing)} beside it"
    if kind == "pattern":
        shape = PATTERN_SHAPES.get(error.validator_value, "see this field's description: ecfmg-policy schema applicant")
        return f"`{_shown(error.instance)}` does not have the expected form: {shape}"
    if kind == "maxItems":
        return f"{len(error.instance)} items; at most {error.validator_value} are allowed here"
    if kind == "maxLength":
        return f"{len(error.instance)} characters long; at most {error.validator_value} are allowed here"
    if kind == "minLength":
        return "must not be empty" if error.validator_value == 1 else \
            f"at least {error.validator_value} characters are needed here"
    if kind == "minimum":
        return f"`{_shown(error.instance)}` is below the minimum, {error.validator_value}"
    if kind == "uniqueItems":
        return "lists the same value more than once"
    if kind == "type":
        expected = error.validator_value if isinstance(error.validator_value, str) else " or ".join(error.validator_value)
        return f"expected {_json_kind_phrase(expected)}, got {_json_kind_phrase(_json_kind(error.instance))}"
    return clip(error.message, 300)


# The shapes the shipped schemas' patterns ask for, in words: a regular expression is not a message.
#
# Every pattern ends in ``(?!\n)$``, not ``$`` alone: Python's ``$`` (jsonschema's) also matches
# before a final newline, so ``^[A-Z]{2}$`` took "US\n" for a country code, where ECMA-262 and
# jsonschema-rs's ``$`` match only at the very end.  The lookahead, in the JSON Schema
# interoperable regex subset, makes the two read every pattern alike.
PATTERN_SHAPES = {
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}(?!\\n)$": "expected a date as YYYY-MM-DD, such as 1991-04-12",
    "^[A-Z]{2}(?!\\n)$": "expected a two-letter country code in capitals (ISO 3166-1), such as IN",
    "^[0-9]-?[0-9]{3}-?[0-9]{3}-?[0-9](?!\\n)$": "expected a USMLE/ECFMG identification number of 8 digits, "
                                                "such as 5-123-456-7 or 51234567",
    "^[a-z0-9][a-z0-9._-]*(?!\\n)$": "expected lower-case letters, digits, dots, dashes or underscores, "
                                     "such as ecfmg-certification",
    "^[A-Za-z_][A-Za-z0-9_]*(?!\\n)$": "expected a name of letters, digits and underscores, not starting "
                                       "with a digit, such as exam_window",
    "^[A-Za-z_][A-Za-z0-9_]*( *\\( *([A-Za-z_][A-Za-z0-9_]*( *, *[A-Za-z_][A-Za-z0-9_]*)*)? *\\))?(?!\\n)$":
        "expected a name, or a name with parameters in brackets, such as window_end(start)",
    "^[a-z0-9_]+(\\.[a-z0-9_]+)*(?!\\n)$": "expected a dotted lower-case id, such as application.fee",
    "^[0-9a-f]{64}(?!\\n)$": "expected a SHA-256 digest: 64 lower-case hexadecimal digits",
    "^[a-z0-9][a-z0-9_-]*(?!\\n)$": "expected a fixture's name: lower-case letters, digits, dashes or underscores, "
                                   "such as graduate",
    "^[^\\s\\u0085]([^\\r\\n\\u0085\\u2028\\u2029]*[^\\s\\u0085])?(?!\\n)$":
        "expected a label on one line, without spaces before or after it, such as Still to pay (USD)",
}


def dependent_key(error) -> tuple[str, list[str]]:
    """For a ``dependentRequired`` error: the key present and the keys it needs that are missing."""
    instance = error.instance if isinstance(error.instance, dict) else {}
    for key, needs in error.validator_value.items():
        missing = [name for name in needs if name not in instance]
        if key in instance and missing:
            return key, missing
    return "?", []  # pragma: no cover - jsonschema reports only a key present without what it needs


def _json_kind(value) -> str:
    """The JSON name of a parsed value's kind (``True`` is a boolean, not a number)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}.get(type(value), "value")


def _json_kind_phrase(kind: str) -> str:
    return {"integer": "a whole number", "number": "a number", "string": "text", "boolean": "true or false",
            "array": "a list", "object": "an object", "null": "null"}.get(kind, kind)


def _shown(value) -> str:
    return clip(str(value), 100)
