"""jsonschema-rs, the gate, and jsonschema, the validator of record, give every record the same verdict.

`schema_problems` asks jsonschema-rs first and returns no problems when it
passes a record; only a record it refuses is read again by jsonschema, whose
errors are the messages (issue 10, item 3). That is only right if the two
agree on validity, so each record of a corpus is put to both, directly, and
`schema_problems` must give exactly the list jsonschema alone gives.

The corpus is the examples, mutated: impossible dates, year 0000, trailing
newlines and time parts, trailing newlines in every patterned string, unknown
fields at every level, every wrong type at every field, every value of every
`enum` and a near miss of each, every required field left out, numbers and
lengths at and past their limits. What this corpus found is fixed in the
schemas: Python's `$` (jsonschema's) also matches before a final newline, so
`"51234567\\n"` was a valid USMLE ID and `"US\\n"` a world-directory country.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema_rs
import pytest
from cli_helpers import ROOT, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from ecfmg_policy.evaluator.records import records
from ecfmg_policy.evaluator.records.records import convert_dates, jsonschema_problems, schema_problems
from ecfmg_policy.evaluator.records.schemas import (PATTERN_SHAPES, native_schema, native_validator, schema, static_type,
                                            validator)
from ecfmg_policy.evaluator.language.types import date_paths

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
BASES = {path.stem: json.loads(path.read_text("utf-8")) for path in EXAMPLES}
ELIGIBLE = BASES["eligible"]
# Optional parts the examples leave out, so that their fields are tried too.
FULL = {**copy.deepcopy(ELIGIBLE), "notes": {"any": ["thing", 1, None]},
        "pathway": {"id": "pathway-3", "status": "met", "met_on": "2020-01-15"},
        "certificate": {"number": "0-123-456-7", "issued_on": "2020-02-01"}}
BASES["full"] = FULL


def verdicts(kind: str, value) -> tuple[bool, bool]:
    """(jsonschema-rs, jsonschema): is ``value`` valid?"""
    return native_validator(kind).is_valid(value), validator(kind).is_valid(value)


def disagreements(kind: str, corpus: list[tuple[str, object]]) -> list[str]:
    """Every record of ``corpus`` on which the two validators, or the gate and jsonschema, differ."""
    found = []
    for label, value in corpus:
        native, of_record = verdicts(kind, value)
        if native != of_record:
            found.append(f"{label}: jsonschema-rs says {'valid' if native else 'invalid'}, "
                         f"jsonschema {'valid' if of_record else 'invalid'}")
        gated, alone = schema_problems(kind, value), jsonschema_problems(kind, value)
        if gated != alone:
            found.append(f"{label}: schema_problems {gated} but jsonschema alone {alone}")
        if of_record:  # what passes must convert (evaluate does it next)
            convert_dates(kind, value)
    return found


def at(record: dict, path: tuple):
    node = record
    for part in path:
        node = node[part]
    return node


def with_value(record: dict, path: tuple, value) -> dict:
    copied = copy.deepcopy(record)
    at(copied, path[:-1])[path[-1]] = value
    return copied


def without(record: dict, path: tuple) -> dict:
    copied = copy.deepcopy(record)
    del at(copied, path[:-1])[path[-1]]
    return copied


def leaves(node, path=()):
    """Every path in a record: objects, lists and the values in them."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path + (key,)
            yield from leaves(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield path + (index,)
            yield from leaves(value, path + (index,))


def objects(node, path=()):
    if isinstance(node, dict):
        yield path
        for key, value in node.items():
            yield from objects(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from objects(value, path + (index,))


def concrete_date_paths(record: dict) -> list[tuple]:
    """Where the record holds dates (``*`` made the first list item)."""
    found = []
    for pattern in date_paths(static_type("applicant")):
        path = tuple(0 if part == "*" else part for part in pattern)
        try:
            at(record, path)
        except (KeyError, IndexError):
            continue
        found.append(path)
    return found


DATES = ["2021-02-30", "2021-02-29", "2020-02-29", "1900-02-29", "2000-02-29", "2100-02-29", "2021-04-31",
         "2021-13-01", "2021-00-10", "2021-01-00", "2021-01-32", "0000-01-01", "0000-02-29", "0000-12-31",
         "0001-01-01", "9999-12-31", "2021-01-01\n", "2021-01-01\n\n", "\n2021-01-01", "2021-01-01\r",
         "2021-01-01 ", " 2021-01-01", "2021-01-01T00:00:00", "2021-01-01T00:00:00Z", "2021-01-01 00:00",
         "20210101", "2021-W01-1", "2021-001", "2021-1-1", "+2021-01-01", "-2021-01-01", "12021-01-01",
         "２０２１-01-01", "١٩٩١-04-12", "2021/01/01", "", "2021-01-01\u0000", 20210101, None]

# Every pattern of the shipped schemas with strings it must take: each is also tried with a
# newline (and other white space) before or after, which it must refuse.
PATTERN_EXAMPLES = {
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}(?!\\n)$": ["1991-04-12", "0000-00-00"],
    "^[A-Z]{2}(?!\\n)$": ["IN", "US"],
    "^[0-9]-?[0-9]{3}-?[0-9]{3}-?[0-9](?!\\n)$": ["5-123-456-7", "51234567", "5-1234567", "5123-456-7"],
    "^[a-z0-9][a-z0-9._-]*(?!\\n)$": ["ecfmg-certification", "a", "x.y_z-1"],
    "^[A-Za-z_][A-Za-z0-9_]*(?!\\n)$": ["exam_window", "_", "A1"],
    "^[A-Za-z_][A-Za-z0-9_]*( *\\( *([A-Za-z_][A-Za-z0-9_]*( *, *[A-Za-z_][A-Za-z0-9_]*)*)? *\\))?(?!\\n)$":
        ["window_end", "window_end(start)", "f( a , b )", "g()"],
    "^[a-z0-9_]+(\\.[a-z0-9_]+)*(?!\\n)$": ["application.fee", "a", "exams.passed_in_window"],
    "^[a-z0-9][a-z0-9_-]*(?!\\n)$": ["graduate", "student-2021", "a_1"],
    "^[0-9a-f]{64}(?!\\n)$": ["0" * 64, "4a82f1e0505f6e355853b235d99b9743ca573d4837ed3d884884bd8b96ffea04"],
    "^[^\\s\\u0085]([^\\r\\n\\u0085\\u2028\\u2029]*[^\\s\\u0085])?(?!\\n)$":
        ["Still to pay (USD)", "x", "Pass them by (no date until a pass opens a window)", "a\tb", "Frist: 1 Tag"],
}
SPOILERS = ["{}\n", "{}\n\n", "\n{}", "{}\r", "{}\r\n", "{} ", " {}", "{}\t", "{}\u2028", "{}\u0085"]

USMLE_IDS = ["5-123-456-7", "51234567", "5-1234567", "5123-4567", "5-123-456-7\n", "51234567\n", "1-234-567-8\n",
             "\n51234567", "51234567 ", "5-123-456-", "5--123-456-7", "512345678", "5123456", "٥١٢٣٤٥٦٧",
             "5-123-456-7\r", "51234567\r\n", ""]
COUNTRIES = ["US", "CA", "IN", "US\n", "IN\n", "\nUS", "US ", "us", "Us", "USA", "U", "", "ÜS", "U\u0308",
             "US\r", "ＵＳ", "\u00c5X"]
FREE_TEXT = ["x", "x\n", "\n", " ", "", "F0000101\n", "\u0000", "a" * 64, "a" * 65, "\ud800", "𝐀" * 64, "𝐀" * 65]
WRONG_TYPES = [None, True, False, 0, 1, -1, 1.5, 4.0, 1e300, 10 ** 30, "", "x", [], ["x"], {}, {"x": 1}]


def enum_places(node, path=()):
    """(path in a record, allowed values) for every ``enum`` the applicant schema applies."""
    root = schema("applicant")
    if "$ref" in node:
        node = at(root, tuple(node["$ref"][2:].split("/")))
    if "enum" in node:
        yield path, node["enum"]
    for name, sub in node.get("properties", {}).items():
        yield from enum_places(sub, path + (name,))
    if "items" in node:
        yield from enum_places(node["items"], path + (0,))


def _corpus() -> dict[str, list[tuple[str, object]]]:
    corpus: dict[str, list[tuple[str, object]]] = {}
    corpus["examples"] = [(name, record) for name, record in BASES.items()]
    corpus["examples"] += [("full, a student without graduation date",
                            without(with_value(FULL, ("status",), "student"), ("education", "graduation_date"))),
                           ("full, a graduate without graduation date", without(FULL, ("education", "graduation_date")))]

    corpus["dates"] = [(f"{name} {'/'.join(map(str, path))}={value!r}", with_value(record, path, value))
                       for name, record in BASES.items() for path in concrete_date_paths(record) for value in DATES]

    patterned = [("usmle_id",), ("medical_school", "country"), ("citizenship", 0)]
    corpus["patterns"] = [(f"{'/'.join(map(str, path))}={value!r}", with_value(FULL, path, value))
                          for path in patterned for value in (USMLE_IDS if path == ("usmle_id",) else COUNTRIES)]
    free = [("medical_school", "world_directory_id"), ("medical_school", "name"), ("name", "given"),
            ("name", "family"), ("gender",), ("pathway", "id"), ("certificate", "number"), ("$schema",)]
    corpus["free text"] = [(f"{'/'.join(map(str, path))}={value!r}", with_value(FULL, path, value))
                           for path in free for value in FREE_TEXT]
    corpus["free text"] += [(f"{field} of {n} characters", with_value(FULL, path, "é" * n))
                            for field, path, limit in [("given", ("name", "given"), 200),
                                                       ("school name", ("medical_school", "name"), 300),
                                                       ("$schema", ("$schema",), 2000)]
                            for n in (limit, limit + 1)]

    corpus["unknown fields"] = [(f"{'/'.join(map(str, path)) or 'top'} + {key!r}",
                                 with_value(FULL, path + (key,), 1))
                                for path in objects(FULL) if path[:1] != ("notes",)
                                for key in ("colour", "Status", "status\n", "")]
    corpus["unknown fields"] += [(f"notes + {key!r}", with_value(FULL, ("notes", key), {"deep": [key]}))
                                 for key in ("colour", "", "\n")]

    corpus["wrong types"] = [(f"{'/'.join(map(str, path))}={value!r}", with_value(FULL, path, value))
                             for path in leaves(FULL) for value in WRONG_TYPES]
    corpus["wrong types"] += [(f"record is {value!r}", value) for value in WRONG_TYPES if not isinstance(value, dict)]

    corpus["enums"] = []
    for path, allowed in enum_places(schema("applicant")):
        try:
            at(FULL, path)
        except (KeyError, IndexError):
            continue
        for value in allowed:
            misses = [value.upper(), value.capitalize(), value + "\n", value + " ", " " + value, value[:-1], ""]
            corpus["enums"] += [(f"{'/'.join(map(str, path))}={v!r}", with_value(FULL, path, v))
                                for v in [value, *misses] if v not in allowed or v == value]

    corpus["required"] = [(f"without {'/'.join(map(str, path))}", without(record, path))
                          for name, record in BASES.items() for path in leaves(record)
                          if isinstance(path[-1], str)]

    numbers = {("education", "academic_years_completed"): [-1, 0, 4, 4.0, 4.5, -0.0, 10 ** 30, -(10 ** 30), True],
               ("application", "fee_paid_usd"): [-0.01, 0, -0.0, 0.0, 75.5, 1e308, -1e308, 10 ** 300, -1],
               ("exams", 0, "score"): [-5, 0, 1e300, -1e300, 10 ** 300, "231", True]}
    corpus["numbers"] = [(f"{'/'.join(map(str, path))}={value!r}", with_value(FULL, path, value))
                         for path, values in numbers.items() for value in values]
    exam = ELIGIBLE["exams"][0]
    corpus["numbers"] += [(f"{n} exams", with_value(FULL, ("exams",), [exam] * n)) for n in (0, 100, 101)]
    corpus["numbers"] += [(f"{n} citizenships", with_value(FULL, ("citizenship",), [f"A{chr(65 + i)}" for i in range(n)]))
                          for n in (0, 10, 11)]
    corpus["numbers"] += [("the same citizenship twice", with_value(FULL, ("citizenship",), ["IN", "IN"]))]
    return corpus


CORPUS = _corpus()


@pytest.mark.parametrize("part", sorted(CORPUS))
def test_the_two_validators_agree_on_every_record_of_the_corpus(part):
    records = CORPUS[part]
    assert len(records) >= (8 if part == "examples" else 10)
    # Both verdicts occur in every part of the corpus but the examples: it tries both sides.
    if part != "examples":
        assert {verdicts("applicant", value)[1] for _, value in records} == {True, False}
    assert disagreements("applicant", records) == []


def test_the_corpus_tries_every_enum_value_and_every_date_path():
    enums = list(enum_places(schema("applicant")))
    assert len(enums) == 7 and all(len(values) >= 2 for _, values in enums)
    tried = {label for label, _ in CORPUS["enums"]}
    for path, allowed in enums:
        for value in allowed:
            assert f"{'/'.join(map(str, path))}={value!r}" in tried
    every = {tuple(0 if p == "*" else p for p in path) for path in date_paths(static_type("applicant"))}
    assert every <= {path for name in BASES for path in concrete_date_paths(BASES[name])}


def test_every_date_on_a_grid_of_years_months_and_days_gets_one_verdict():
    """Leap years by every rule of the Gregorian calendar, month and day at and past their ends."""
    definitions = schema("applicant")["$defs"]
    date = {"$defs": definitions, "$ref": "#/$defs/date"}
    native = jsonschema_rs.Draft202012Validator(native_schema(date), validate_formats=True)
    of_record = Draft202012Validator(date, format_checker=validator("applicant").format_checker)
    found = []
    for year in (0, 1, 2, 3, 4, 100, 200, 400, 1582, 1600, 1700, 1800, 1900, 1996, 2000, 2020, 2021, 2024,
                 2100, 2400, 9996, 9999):
        for month in range(0, 14):
            for day in range(0, 33):
                text = f"{year:04}-{month:02}-{day:02}"
                if native.is_valid(text) != of_record.is_valid(text):
                    found.append(text)
                try:
                    real = datetime.date.fromisoformat(text) is not None
                except ValueError:
                    real = False
                assert of_record.is_valid(text) == real, text
    assert found == []


def test_year_0000_which_jsonschema_rs_takes_gets_todays_message():
    """RFC 3339 has a year 0 and jsonschema-rs takes it; Python's dates do not, so jsonschema
    refuses it as a date. The gate is told to refuse it too, and the message is jsonschema's."""
    record = with_value(ELIGIBLE, ("date_of_birth",), "0000-01-01")
    assert not native_validator("applicant").is_valid(record)  # whatever this jsonschema-rs makes of year 0
    problems = schema_problems("applicant", record)
    assert [(p.pointer, p.message) for p in problems] == [
        ("/date_of_birth", "`0000-01-01` is not a valid date (expected a real date as YYYY-MM-DD)")]


@pytest.mark.parametrize("pattern", sorted(PATTERN_SHAPES))
def test_every_pattern_reads_the_same_in_python_and_in_jsonschema_rs_and_refuses_a_final_newline(pattern):
    assert set(PATTERN_EXAMPLES) == set(PATTERN_SHAPES)
    native = jsonschema_rs.Draft202012Validator({"type": "string", "pattern": pattern})
    of_record = Draft202012Validator({"type": "string", "pattern": pattern})
    for good in PATTERN_EXAMPLES[pattern]:
        assert re.search(pattern, good) and native.is_valid(good) and of_record.is_valid(good), good
        for spoiled in (spoiler.format(good) for spoiler in SPOILERS):
            assert not native.is_valid(spoiled), repr(spoiled)
            assert not of_record.is_valid(spoiled), repr(spoiled)


def test_trailing_newlines_are_refused_with_the_shape_in_words():
    cases = {("usmle_id",): "1-234-567-8\n", ("medical_school", "country"): "US\n", ("citizenship", 0): "IN\n",
             ("date_of_birth",): "1991-04-12\n"}
    for path, value in cases.items():
        problems = schema_problems("applicant", with_value(ELIGIBLE, path, value))
        pointer = "/" + "/".join(map(str, path))
        assert [(p.pointer, p.message) for p in problems] == [
            (pointer, f"`{value}` does not have the expected form: {PATTERN_SHAPES[schema_pattern(path)]}")]
    # Once valid: eight digits and a newline was a USMLE ID.
    assert schema_problems("applicant", with_value(ELIGIBLE, ("usmle_id",), "51234567\n"))


def schema_pattern(path: tuple) -> str:
    defs = schema("applicant")["$defs"]
    if path == ("usmle_id",):
        return schema("applicant")["properties"]["usmle_id"]["pattern"]
    return (defs["date"] if path == ("date_of_birth",) else defs["country_code"])["pattern"]


def test_a_world_directory_country_with_a_newline_is_refused():
    directory = {"schools": [{"world_directory_id": "F1", "name": "A school", "country": "IN"}]}
    assert schema_problems("world-directory", directory) == []
    spoiled = with_value(directory, ("schools", 0, "country"), "IN\n")
    assert verdicts("world-directory", spoiled) == (False, False)
    assert [p.pointer for p in schema_problems("world-directory", spoiled)] == ["/schools/0/country"]


def nested(depth: int, leaf):
    for _ in range(depth):
        leaf = [leaf]
    return leaf


def test_values_jsonschema_rs_cannot_take_in_go_to_jsonschema():
    # jsonschema-rs raises "Recursion limit reached" comparing lists nested 900 deep (uniqueItems);
    # the gate then cannot say, and jsonschema answers.
    too_deep = {**ELIGIBLE, "citizenship": [nested(900, 1), nested(900, 2)]}
    with pytest.raises(ValueError):
        native_validator("applicant").is_valid(too_deep)
    deep_notes = {**ELIGIBLE, "notes": {"a": nested(900, {"b": 1})}}
    for record in (too_deep, deep_notes, with_value(ELIGIBLE, ("gender",), "\ud800"),
                   with_value(ELIGIBLE, ("notes",), {"\udfff": "\ud800"}),
                   with_value(ELIGIBLE, ("name", "given"), "\ud800" * 201)):
        assert schema_problems("applicant", record) == jsonschema_problems("applicant", record)
    assert schema_problems("applicant", deep_notes) == []
    # jsonschema recursed too (once an internal error, exit 4): now a problem of the record.
    assert [(p.pointer, p.message) for p in schema_problems("applicant", too_deep)] == [
        ("/", "values are nested too deeply to check (lists or objects hundreds of levels inside each other); "
              "records are a few levels deep")]


def test_a_record_jsonschema_rs_passes_is_not_validated_again(monkeypatch):
    def unused(kind):
        raise AssertionError("jsonschema ran")

    monkeypatch.setattr(records, "validator", unused)
    assert schema_problems("applicant", ELIGIBLE) == []


def test_check_on_valid_files_never_starts_jsonschema():
    """Policies, World Directory and record all pass jsonschema-rs: jsonschema, a sixth of a
    one-record `check` in start-up alone, is not imported; an invalid record imports it, for
    its messages."""
    probe = ("import sys; from ecfmg_policy.cli.main import main\n"
             "try:\n    main()\nexcept SystemExit as exit:\n    code = exit.code\n"
             "print('jsonschema' in sys.modules, code, file=sys.stderr)")
    invalid = {**ELIGIBLE, "usmle_id": "5-123"}
    for record, expected in ((ELIGIBLE, "False 0"), (invalid, "True 2")):
        done = subprocess.run([sys.executable, "-c", probe, "check", "-", "--as-of", "2020-06-01"],
                              input=json.dumps(record), capture_output=True, text=True, cwd=ROOT)
        assert done.stderr.strip().splitlines()[-1] == expected, done.stderr
    assert "/usmle_id" in done.stdout


# --- random records -------------------------------------------------------------------------

PATHS = list(leaves(FULL))
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                    | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=6)


def near(value):
    """A value like ``value``: its text with characters added, dropped or changed, or any JSON."""
    if isinstance(value, str):
        return st.builds(lambda at_, text, cut: value[:at_] + text + value[at_ + cut:],
                         st.integers(0, len(value)), st.text(max_size=3), st.integers(0, 2))
    return JSON


@st.composite
def mutated(draw):
    record = copy.deepcopy(FULL)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        try:
            old = at(record, path)
        except (KeyError, IndexError, TypeError):
            continue
        if draw(st.booleans()) and isinstance(path[-1], str):
            del at(record, path[:-1])[path[-1]]
        else:
            at(record, path[:-1])[path[-1]] = draw(near(old))
    return record


DATE_TEXT = st.builds(lambda y, m, d, tail: f"{y:04}-{m:02}-{d:02}{tail}", st.integers(0, 9999),
                      st.integers(0, 13), st.integers(0, 32), st.sampled_from(["", "", "", "\n", " ", "T00:00"]))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_random_mutations_of_a_record_get_one_verdict(record):
    assert disagreements("applicant", [("random", record)]) == []


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(concrete_date_paths(FULL)), DATE_TEXT)
def test_random_dates_get_one_verdict(path, text):
    assert disagreements("applicant", [(text, with_value(FULL, path, text))]) == []


# --- at the command line --------------------------------------------------------------------

@pytest.mark.parametrize("path, value", [(("medical_school", "country"), "US\n"), (("usmle_id",), "51234567\n")])
def test_a_us_school_record_with_a_newline_after_a_code_is_invalid(tmp_path: Path, path, value):
    record = with_value(with_value(ELIGIBLE, ("medical_school", "country"), "US"), path, value)
    file = tmp_path / "record.json"
    file.write_text(json.dumps(record))
    proc = run_cli("check", file, "--as-of", "2020-06-01", "--format", "json")
    assert proc.returncode == 2, proc.stderr
    result = json.loads(proc.stdout)["results"][0]
    assert result["decision"] == "invalid"
    pointer = "/" + "/".join(path)
    assert result["errors"] == [{"path": pointer, "message": f"`{value}` does not have the expected form: "
                                                             f"{PATTERN_SHAPES[schema_pattern(path)]}"}]
    assert "expected" in result["errors"][0]["message"] and "[" not in result["errors"][0]["message"]


# --- policy and test-case files: the same gate in front of their structure check ---------------

def yaml_documents() -> list[tuple[str, str, object]]:
    """(label, kind, plain value) for every policy and test-case file shipped or used by the tests,
    each also spoilt: every field missing, every value of another type, an unknown key beside it."""
    from ecfmg_policy.errors import InputError
    from ecfmg_policy.evaluator.policy.loader import _json_ready
    from ecfmg_policy.evaluator.source.yaml_source import load_yaml, to_plain

    found, spoilt = [], set()
    for path in sorted([*ROOT.glob("policies/**/*.yaml"), *ROOT.glob("tests/**/*.yaml")]):
        try:
            root = load_yaml(path.read_text("utf-8"), str(path))
        except (InputError, UnicodeDecodeError):  # a fixture that is deliberately not YAML: no structure to check
            continue
        plain = _json_ready(to_plain(root))
        kind = "policy" if isinstance(plain, dict) and "rules" in plain else \
            "test-fixture" if path.parent.name == "fixtures" else "test-case"
        label = str(path.relative_to(ROOT))
        found.append((label, kind, plain))
        if not isinstance(plain, dict) or kind != "policy" and kind in spoilt:
            continue  # every policy is spoilt, and the first test-case and fixture files
        spoilt.add(kind)
        for path_ in leaves(plain):
            for other in (None, 7, "text", [], {}, True):
                found.append((f"{label} {path_} = {other!r}", kind, with_value(plain, path_, other)))
            found.append((f"{label} without {path_}", kind, without(plain, path_)))
        for path_ in objects(plain):
            found.append((f"{label} {path_} + unknown", kind, with_value(plain, (*path_, "colour"), "red")))
    return found


def test_policy_and_test_case_files_get_one_verdict_from_both_validators():
    documents = yaml_documents()
    assert sum(kind == "policy" for _, kind, _ in documents) > 1000
    assert sum(kind == "test-case" for _, kind, _ in documents) > 100
    assert sum(kind == "test-fixture" for _, kind, _ in documents) > 20
    found = [f"{label}: jsonschema-rs {native}, jsonschema {of_record}"
             for label, kind, value in documents
             for native, of_record in [verdicts(kind, value)] if native != of_record]
    assert found == []
