"""Read applicant records and reference data: files, directories, JSON Lines, stdin.

A record that cannot be read or parsed becomes an entry with a diagnostic,
never an exception that stops the others: each line of a JSON Lines file
stands alone, down to its bytes (one line that is not UTF-8 spoils only
itself).  Numbers JSON allows but arithmetic cannot trust (``NaN``,
``Infinity``, ``1e400``, integers of thousands of digits) are refused with
their pointer rather than decided on.  Valid records have their date strings
turned into dates, at exactly the places the schema says are dates.
"""

from __future__ import annotations

import datetime
import itertools
import json
import math
import os
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from json.decoder import scanstring
from pathlib import Path
from typing import Any, Iterator

from ecfmg_policy.errors import Diagnostic, InputError, Position, UsageError, clip
from ecfmg_policy.evaluator.records.schemas import (KEYED_LISTS, describe_error, json_pointer, natively_valid,
                                            static_type, validator)
from ecfmg_policy.evaluator.language.types import date_paths
from ecfmg_policy.evaluator.source.yaml_source import (LARGEST_NUMBER, LONGEST_NUMBER, decode_utf8, folder_files,
                                                open_bytes, position_at, read_bytes, read_text)


@dataclass(frozen=True, slots=True)
class RecordInput:
    """One record as read: its label (``file``, ``file:LINE``, ``-``) and value, or why it could not be read."""

    label: str
    value: Any = None
    problem: Diagnostic | None = None


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    """One way a value fails its schema: where (a JSON pointer) and what, in words."""

    pointer: str
    message: str


def iter_records(arguments: list[str], stdin=None) -> Iterator[RecordInput]:
    """Every record named by the command line, in order, read as it is asked for: a JSON Lines
    file or stream is read one line at a time, so a million records never sit in memory."""
    for argument in arguments:
        if argument == "-":
            stream = stdin or sys.stdin
            yield from _from_stream(getattr(stream, "buffer", stream), "-")
            continue
        path = Path(argument)
        if os.path.isdir(path):  # never raises, unlike Path.is_dir on a folder we may not search
            children = folder_files(path, (".json", ".jsonl"))
            if not children:
                yield RecordInput(argument, problem=Diagnostic("directory holds no .json or .jsonl files",
                                                               source=argument, hint="name a record file",
                                                               code="records-missing"))
            for child in children:
                if child.problem is not None:
                    yield RecordInput(str(child.path), problem=child.problem)
                else:
                    yield from _from_file(child.path)
        else:
            yield from _from_file(path)


def read_one_record(argument: str, stdin=None) -> tuple[RecordInput, bytes]:
    """The one record a command about a single record names, with its bytes (an explanation
    carries their hash): a JSON file, ``-`` for standard input, or ``FILE.jsonl:LINE``, the
    label ``check`` gives a line of a JSON Lines file.  Anything naming several records (a
    folder, a whole JSON Lines file) raises :class:`UsageError` saying how to name one."""
    if argument == "-":
        stream = stdin or sys.stdin
        data = _as_bytes(getattr(stream, "buffer", stream).read())
        return next(_from_bytes(data, "-", lines=False)), data
    path = Path(argument)
    if not os.path.lexists(path):
        file, sep, number = argument.rpartition(":")
        if sep and number.isdigit() and os.path.isfile(file):
            return _one_line(Path(file), int(number))
        raise UsageError(f"{argument}: no such file; name one record: a JSON file, FILE.jsonl:LINE or -")
    if os.path.isdir(path):
        raise UsageError(f"{argument}: is a folder; name one record: a JSON file, FILE.jsonl:LINE or -")
    if path.suffix == ".jsonl":
        raise UsageError(f"{argument}: holds a record a line; name one as {argument}:LINE")
    try:
        data = read_bytes(path, argument)
    except InputError as exc:
        return RecordInput(argument, problem=exc.diagnostic), b""
    return next(_from_bytes(data, argument, lines=False)), data


def _one_line(path: Path, number: int) -> tuple[RecordInput, bytes]:
    label = str(path)
    try:
        handle = open_bytes(path, label)
    except InputError as exc:
        return RecordInput(label, problem=exc.diagnostic), b""
    with handle:
        for at, raw in enumerate(handle, start=1):
            if at == number:
                if not raw.rstrip(b"\n").strip(b" \t\r"):
                    break
                return next(_lines(iter([raw]), label, first_line=number)), raw.rstrip(b"\n")
    raise UsageError(f"{label}:{number}: there is no record on line {number} of {label}")


def _as_bytes(line) -> bytes:
    return line.encode("utf-8", "surrogateescape") if isinstance(line, str) else line


def _from_stream(stream, label: str) -> Iterator[RecordInput]:
    """Standard input: JSON Lines when it has more than one line and the first of them is a JSON
    value on its own (a document spread over lines starts with a lone ``{``, which is not);
    otherwise one document. Only the lines up to the second non-blank one are read to decide."""
    head: list[bytes] = []
    filled = []
    for raw in stream:
        head.append(_as_bytes(raw))
        if head[-1].strip(b" \t\r\n"):
            filled.append(head[-1])
            if len(filled) == 2:
                break
    if len(filled) == 2 and _is_json(filled[0]):
        yield from _lines(itertools.chain(head, map(_as_bytes, stream)), label)
    else:
        yield from _from_bytes(b"".join(head) + _as_bytes(stream.read()), label, lines=False)


def _is_json(line: bytes) -> bool:
    try:
        json.loads(line)
    except ValueError:  # includes UnicodeDecodeError
        return False
    return True


def _from_file(path: Path) -> Iterator[RecordInput]:
    label = str(path)
    try:
        if path.suffix != ".jsonl":
            yield from _from_bytes(read_bytes(path, label), label, lines=False)
            return
        handle = open_bytes(path, label)
    except InputError as exc:
        yield RecordInput(label, problem=exc.diagnostic)
        return
    with handle:
        yield from _lines(handle, label)


def _from_bytes(data: bytes, label: str, lines: bool) -> Iterator[RecordInput]:
    """One record, or one a line: JSON Lines are split on ``\\n`` alone (U+2028 may sit inside a string)."""
    if lines:
        yield from _lines(iter(data.split(b"\n")), label)
        return
    try:
        text = decode_utf8(data, label)
    except InputError as exc:
        yield RecordInput(label, problem=exc.diagnostic)
        return
    yield parse_record_text(text, label, label, line_offset=0)


def lines_of_part(path: Path, start: int, end: int, first_line: int) -> Iterator[RecordInput]:
    """The records of bytes ``start:end`` of a JSON Lines file (cut at line ends), numbered
    from ``first_line``: one worker's share of a large file, labelled as if read whole."""
    label = str(path)
    try:
        handle = open_bytes(path, label)
    except InputError as exc:
        yield RecordInput(label, problem=exc.diagnostic)
        return
    with handle:
        handle.seek(start)
        yield from _lines(_until(handle, end - start), label, first_line)


def _until(handle, size: int) -> Iterator[bytes]:
    """The lines of ``handle`` within the next ``size`` bytes."""
    while size > 0:
        line = handle.readline()
        if not line:
            return
        size -= len(line)
        yield line


def _lines(raw_lines: Iterator[bytes], label: str, first_line: int = 1) -> Iterator[RecordInput]:
    """A record a line, each line on its own down to its bytes (one that is not UTF-8 spoils
    only itself); blank lines are skipped but still counted, so labels name the real line."""
    for number, raw in enumerate(raw_lines, start=first_line):
        if raw.endswith(b"\n"):
            raw = raw[:-1]
        if not raw.strip(b" \t\r"):
            continue
        try:
            line = decode_utf8(raw, label, first_line=number, what="line")
        except InputError as exc:
            yield RecordInput(f"{label}:{number}", problem=exc.diagnostic)
            continue
        yield parse_record_text(line, f"{label}:{number}", label, line_offset=number - 1)


_WHITESPACE = re.compile(r"[ \t\n\r]*")


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs):
    """An object, unless a key repeats (JSON readers would silently keep one of them)."""
    value = dict(pairs)  # in C: only a repeated key makes it shorter than its pairs
    if len(value) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return value


def _duplicate_key_place(text: str) -> tuple[list, int] | None:
    """Path and index of the first repeated key: json's hooks see keys but not where they stand."""
    decoder = json.JSONDecoder(parse_float=_parse_float, parse_int=_parse_int, parse_constant=_Unusable)

    def skip(i: int) -> int:
        return _WHITESPACE.match(text, i).end()

    def walk(i: int, path: list):
        i = skip(i)
        if text.startswith("{", i):
            i, seen = skip(i + 1), set()
            while not text.startswith("}", i):
                key, after = scanstring(text, i + 1)
                if key in seen:
                    return after, (path + [key], i)
                seen.add(key)
                i, found = walk(skip(after) + 1, path + [key])
                if found:
                    return i, found
                i = skip(i)
                i = skip(i + 1) if text.startswith(",", i) else i
            return i + 1, None
        if text.startswith("[", i):
            i, n = skip(i + 1), 0
            while not text.startswith("]", i):
                i, found = walk(i, path + [n])
                if found:
                    return i, found
                i, n = skip(i), n + 1
                i = skip(i + 1) if text.startswith(",", i) else i
            return i + 1, None
        return decoder.raw_decode(text, i)[1], None

    return walk(0, [])[1]


class _Unusable:
    """Stands in for a number arithmetic cannot trust, so that its pointer can be found after parsing.

    ``made`` counts them: a parse that made none needs no search for them (another thread's
    parse can only make the search happen for nothing, never skip it)."""

    __slots__ = ("text",)
    made = 0

    def __init__(self, text: str):
        self.text = text
        _Unusable.made += 1


def _parse_float(text: str):
    value = float(text)
    return value if math.isfinite(value) else _Unusable(text)


def _parse_int(text: str):
    if len(text) < _SAFE_DIGITS:  # the common case: too short to be past the largest number
        return int(text)
    if len(text) > LONGEST_NUMBER:  # before int(): past 4,300 digits Python refuses
        return _Unusable(text)
    value = int(text)
    return value if abs(value) <= LARGEST_NUMBER else _Unusable(text)


_SAFE_DIGITS = len(str(int(LARGEST_NUMBER)))  # 309: a number of fewer digits (and a sign) is in range

# One reader for every record: ``json.loads`` with hooks would build a decoder a call.
_READER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_float=_parse_float, parse_int=_parse_int,
                           parse_constant=_Unusable)


def _unusable_numbers(value: Any, path: list) -> Iterator[tuple[list, str]]:
    if isinstance(value, _Unusable):
        yield path, value.text
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unusable_numbers(item, path + [key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unusable_numbers(item, path + [index])


def _number_problem(value: Any, label: str) -> Diagnostic | None:
    found = list(_unusable_numbers(value, []))
    if not found:
        return None
    path, text = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    what = "is not a number JSON allows" if text in ("NaN", "Infinity", "-Infinity") else "is too large a number"
    return Diagnostic(f"`{clip(text, 40)}` {what}{more}; numbers must be finite and at most "
                      f"{LARGEST_NUMBER:.1e}".replace("+", "") + " in size", source=label, pointer=json_pointer(path) or "/",
                      code="json-number", hint="write an ordinary number")


# What Python's JSON reader says, in words for the person who wrote the record.
_JSON_WORDS = (
    ("Expecting value", "expected a value here (an object, a list, a string in double quotes, a number, "
                        "true, false or null)"),
    ("Expecting property name enclosed in double quotes", "expected a field name in double quotes, or `}`"),
    ("Expecting ':' delimiter", "expected `:` after the field name"),
    ("Expecting ',' delimiter", "expected `,` between two items, or the closing bracket"),
    ("Unterminated string", "a string is not closed with `\"`"),
    ("Invalid control character", "a tab, newline or other control character inside a string: write it "
                                   "as an escape such as `\\n`"),
    ("Invalid \\uXXXX escape", "`\\u` must be followed by four hexadecimal digits"),
    ("Invalid \\escape", "an escape JSON does not have: use `\\\\`, `\\\"`, `\\n`, `\\t` or `\\uXXXX`"),
    ("Extra data", "more text after the record: give several records as JSON Lines, one a line"),
    ("Illegal trailing comma", "a comma before the closing bracket: remove it"),
)


def _json_words(message: str, text: str) -> str:
    if not text.strip():
        return "no record here: the input is empty"
    return next((words for start, words in _JSON_WORDS if message.startswith(start)), "this is not JSON")


def parse_record_text(text: str, label: str, file: str, line_offset: int) -> RecordInput:
    if text.startswith("\ufeff"):  # a byte-order mark, as some editors save UTF-8: JSON may ignore it
        text = text[1:]
    made = _Unusable.made
    try:
        value = _READER.decode(text)
    except _DuplicateKey as exc:
        path, index = _duplicate_key_place(text) or ([exc.args[0]], 0)
        pos = position_at(file, text, index)
        return RecordInput(label, problem=Diagnostic(
            f"duplicate key `{exc.args[0]}` in JSON object", pointer=json_pointer(path),
            position=Position(file, pos.line + line_offset, pos.column, pos.line_text),
            hint="each field may appear once; JSON readers would silently keep only one", code="json-duplicate-key"))
    except RecursionError:
        return RecordInput(label, problem=Diagnostic("JSON is nested too deeply to read", source=label,
                                                     code="json-depth", hint="records are a few levels deep"))
    except json.JSONDecodeError as exc:
        pos = position_at(file, text, exc.pos)
        where = Position(file, pos.line + line_offset, pos.column, pos.line_text)
        return RecordInput(label, problem=Diagnostic(f"malformed JSON: {_json_words(exc.msg, text)}", position=where,
                                                     hint="check for a missing comma, quote or bracket",
                                                     code="json-syntax"))
    if _Unusable.made != made and (problem := _number_problem(value, label)) is not None:
        return RecordInput(label, problem=problem)
    if not isinstance(value, dict):
        return RecordInput(label, problem=Diagnostic("a record must be a JSON object", source=label, pointer="",
                                                     code="json-structure"))
    return RecordInput(label, value)


def schema_problems(kind: str, value: Any) -> list[SchemaProblem]:
    """Every way ``value`` fails the ``kind`` schema, each with its JSON pointer.

    jsonschema-rs answers first, in microseconds; only a value it does not pass is read again
    by jsonschema, whose errors are the messages.  A year-0000 date, which jsonschema-rs would
    take but Python's dates cannot hold, it is told to refuse (``schemas.native_schema``).  So
    the list is always exactly :func:`jsonschema_problems`' (tests/test_validators_agree.py).
    """
    if natively_valid(kind, value):
        return []
    return jsonschema_problems(kind, value)


def jsonschema_problems(kind: str, value: Any) -> list[SchemaProblem]:
    """:func:`schema_problems` as jsonschema alone finds them: the messages and pointers of record."""
    try:
        errors = sorted(validator(kind).iter_errors(value),
                        key=lambda e: (list(map(str, e.absolute_path)), e.message))
    except RecursionError:  # it compares lists item by item (uniqueItems), recursing as deep as they go
        return [SchemaProblem("/", "values are nested too deeply to check (lists or objects hundreds of "
                                   "levels inside each other); records are a few levels deep")]
    # A value of the wrong shape is said once: the pattern's words already say what a date or
    # a code looks like, so its length and format errors at the same place add nothing.
    shaped = {_pointer(e) for e in errors if e.validator == "pattern"}
    return [SchemaProblem(_pointer(e), describe_error(e)) for e in errors
            if not (e.validator in ("format", "maxLength", "minLength") and _pointer(e) in shaped)]


def _pointer(error) -> str:
    """The JSON pointer of the field at fault: an unknown or missing field, not its parent."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        if len(extra) == 1:
            path.append(extra[0])
    elif error.validator == "required" and isinstance(error.validator_value, list):
        missing = [k for k in error.validator_value if isinstance(error.instance, dict) and k not in error.instance]
        if len(missing) == 1:
            path.append(missing[0])
    return json_pointer(path) or "/"


def convert_dates(kind: str, value: Any) -> Any:
    """A copy of a valid ``value`` with its date strings as :class:`datetime.date`: one pass over
    the places the schema says hold dates, copying each object on the way once."""
    return _convert(value, _date_tree(kind))


@lru_cache(maxsize=None)
def _date_tree(kind: str) -> dict:
    """The schema's date paths as a tree: ``{"exams": {"*": {"date": None}}, ...}`` (None: a date)."""
    tree: dict = {}
    for path in date_paths(static_type(kind)):
        node = tree
        for step in path[:-1]:
            node = node.setdefault(step, {})
        node[path[-1]] = None
    return tree


def _convert(value: Any, tree: dict | None) -> Any:
    if tree is None:
        return datetime.date.fromisoformat(value) if isinstance(value, str) else value
    if "*" in tree:
        return [_convert(item, tree["*"]) for item in value] if isinstance(value, list) else value
    if not isinstance(value, dict):
        return value
    copy = None
    for key, below in tree.items():
        if key in value:
            if copy is None:
                copy = dict(value)
            copy[key] = _convert(value[key], below)
    return value if copy is None else copy


def load_reference(kind: str, path: Path, name: str) -> Any:
    """Read, validate and index a reference data file; a problem raises :class:`InputError`."""
    label = str(path)
    text = read_text(path, label)
    entry = parse_record_text(text, label, label, 0)
    if entry.problem is not None:
        raise InputError(entry.problem)
    problems = schema_problems(kind, entry.value)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(Diagnostic(f"{name} data does not match the {kind} schema: {first.message}{more}",
                                    source=label, pointer=first.pointer, code="data-schema"))
    value = convert_dates(kind, entry.value)
    for field, key in KEYED_LISTS.get(kind, {}).items():
        indexed: dict = {}
        for number, item in enumerate(value.get(field, [])):
            if item[key] in indexed:
                raise InputError(Diagnostic(f"{name} data lists `{item[key]}` twice", source=label,
                                            pointer=f"/{field}/{number}/{key}", code="data-duplicate",
                                            hint=f"each {key} may appear once"))
            indexed[item[key]] = item
        value[field] = indexed
    return value
