"""Spec §9: bad input gets a clear answer, never a traceback.

One test per item of the list.  Each runs the real command line (in process,
``cli_helpers.invoke``, but in a subprocess where the process's own stack is
tested, for documents nested tens of thousands deep, and for one broken policy
from start to exit) and asserts what a user sees: the exit status (2 for bad records, data or usage, 3 for a
broken policy), a message naming the file and the place (``file:line:col`` or
the JSON pointer), what is wrong, the hint where there is one, and no Python
traceback.  Broken policies are copies of the seed policy with one mistake,
and the expected ``file:line:col`` is computed from the text written; each
mistake a policy can have is in the golden corpus (``tests/diagnostics/``),
loaded the way ``check`` loads it, and here ``check`` itself shows one of them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from cli_helpers import ROOT, invoke, run_cli

EXAMPLES = ROOT / "examples"
SEED = ROOT / "policies" / "ecfmg-certification" / "2004-06-14.yaml"
AS_OF = "2020-06-01"


# --- helpers ------------------------------------------------------------------------------------

def output_of(result) -> str:
    text = result.stdout + result.stderr
    assert "Traceback" not in text, text
    return text


def place_of(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the ``occurrence``-th ``needle`` in ``text``."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def line_at(text: str, line: int) -> str:
    return text.splitlines()[line - 1]


def seed_with(tmp_path: Path, *edits: tuple[str, str], name: str = "policy.yaml") -> tuple[Path, str]:
    """A copy of the seed policy with each ``(old, new)`` edit made once."""
    text = SEED.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, f"the seed policy no longer contains {old!r}; update this test"
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path, text


def check_policy(path: Path, *extra: str, process: bool = False):
    """``check`` on the pending example with the policy at ``path``: in process, or in a subprocess
    where what is tested is the process too (its own stack, start to exit)."""
    return (run_cli if process else invoke)("check", EXAMPLES / "pending.json", "--policy", path, "--as-of", AS_OF,
                   "--format", "json", *extra)


def assert_policy_error(result, path: Path, line: int, column: int, *words: str) -> str:
    """Exit 3, ``file:line:col`` in the message, every word present; returns stderr."""
    text = output_of(result)
    assert result.returncode == 3, text
    assert f"{path}:{line}:{column}:" in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    assert result.stdout == "", "no results when the policy cannot be used"
    return result.stderr


def assert_caret(stderr: str, source_line: str, column: int) -> None:
    """The offending line is echoed with a caret under ``column``."""
    lines = stderr.splitlines()
    for echoed, below in zip(lines, lines[1:]):
        if echoed.endswith(source_line) and "^" in below:
            start = len(echoed) - len(source_line)
            assert below.index("^") == start + column - 1, f"caret misplaced:\n{echoed}\n{below}"
            return
    raise AssertionError(f"the line {source_line!r} is not shown with a caret:\n{stderr}")


def check_record(path: Path, *extra: str, fmt: str = "json", process: bool = False):
    return (run_cli if process else invoke)("check", path, "--as-of", AS_OF, "--format", fmt, *extra)


def invalid_result(result) -> dict:
    payload = json.loads(result.stdout)
    assert len(payload["results"]) == 1
    record = payload["results"][0]
    assert record["decision"] == "invalid"
    assert record["rules"] == []
    return record


# --- unreadable records -----------------------------------------------------------------------

def test_missing_record_file(tmp_path):
    missing = tmp_path / "nowhere" / "applicant.json"
    result = check_record(missing)
    output_of(result)
    assert result.returncode == 2
    assert str(missing) in result.stderr
    assert "cannot read" in result.stderr and "No such file" in result.stderr
    assert "help:" in result.stderr  # what to do
    assert invalid_result(result)["errors"][0]["message"]


def test_missing_record_does_not_stop_the_others(tmp_path):
    result = check_record(tmp_path / "missing.json", EXAMPLES / "eligible.json")
    output_of(result)
    assert result.returncode == 2
    decisions = [r["decision"] for r in json.loads(result.stdout)["results"]]
    assert decisions == ["invalid", "eligible"]


def test_directory_without_json_files(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.txt").write_text("nothing to see\n")
    result = check_record(folder)
    output_of(result)
    assert result.returncode == 2
    assert str(folder) in result.stderr
    assert "no .json" in result.stderr
    invalid_result(result)


def test_non_utf8_record_file(tmp_path):
    path = tmp_path / "latin.json"
    path.write_bytes(b"\xff\xfe")
    result = check_record(path)
    output_of(result)
    assert result.returncode == 2
    assert f"{path}:1:1:" in result.stderr
    assert "UTF-8" in result.stderr and "0xff" in result.stderr
    assert "save the file as UTF-8" in result.stderr
    invalid_result(result)


def test_non_utf8_byte_in_the_middle_is_placed(tmp_path):
    path = tmp_path / "latin.json"
    path.write_bytes(b'{\n  "gender": "f\xe9minin"\n}\n')
    result = check_record(path)
    output_of(result)
    assert result.returncode == 2
    column = len('  "gender": "f') + 1  # the byte 0xe9
    assert f"{path}:2:{column}:" in result.stderr
    assert "0xe9" in result.stderr


def test_malformed_json_record(tmp_path):
    path = tmp_path / "broken.json"
    text = '{\n  "usmle_id": "5-123-456-7",\n  "status" "graduate"\n}\n'
    path.write_text(text)
    line, column = place_of(text, '"graduate"')
    result = check_record(path)
    output_of(result)
    assert result.returncode == 2
    assert f"{path}:{line}:{column}:" in result.stderr
    assert "malformed JSON: expected `:` after the field name" in result.stderr  # in words, not Python's
    assert_caret(result.stderr, line_at(text, line), column)
    assert "help:" in result.stderr
    assert invalid_result(result)["errors"][0]["path"] == f"{line}:{column}"


def test_record_failing_the_schema_names_the_pointer():
    result = check_record(EXAMPLES / "invalid.json")
    output_of(result)
    assert result.returncode == 2
    errors = {e["path"]: e["message"] for e in invalid_result(result)["errors"]}
    assert "/application/fee_payed_usd" in errors
    assert "fee_payed_usd" in errors["/application/fee_payed_usd"]
    assert "fee_paid_usd" in errors["/application/fee_payed_usd"]  # the field meant, as a hint
    text = check_record(EXAMPLES / "invalid.json", fmt="text")
    shown = output_of(text)
    assert str(EXAMPLES / "invalid.json") in shown
    assert "/application/fee_payed_usd" in shown and "fee_paid_usd" in shown


def test_missing_required_field_names_the_pointer(tmp_path):
    record = json.loads((EXAMPLES / "pending.json").read_text())
    del record["medical_school"]["country"]
    path = tmp_path / "no-country.json"
    path.write_text(json.dumps(record, indent=2))
    result = check_record(path)
    output_of(result)
    assert result.returncode == 2
    errors = {e["path"]: e["message"] for e in invalid_result(result)["errors"]}
    assert "/medical_school/country" in errors and "country" in errors["/medical_school/country"]


def test_impossible_date_in_a_record():
    result = check_record(EXAMPLES / "invalid.json")
    output_of(result)
    errors = {e["path"]: e["message"] for e in invalid_result(result)["errors"]}
    assert "/exams/0/date" in errors
    assert "2021-02-30" in errors["/exams/0/date"]
    assert "YYYY-MM-DD" in errors["/exams/0/date"]
    assert result.returncode == 2


@pytest.mark.parametrize("example, pointer", [
    ("invalid.json", "/application/fee_payed_usd"),
    ("invalid.json", "/exams/0/date"),
])
def test_schema_failure_gets_one_line_naming_file_and_pointer(example, pointer):
    """§9: "a one-line error naming the file, the place": as malformed JSON gets on stderr."""
    path = EXAMPLES / example
    result = check_record(path)
    output_of(result)
    lines = [line for line in result.stderr.splitlines() if str(path) in line and pointer in line]
    assert lines, f"no line of stderr names both {path} and {pointer}:\n{result.stderr!r}"


def test_duplicate_key_in_a_json_record(tmp_path):
    text = (EXAMPLES / "eligible.json").read_text()
    anchor = '  "gender": "female",\n'
    assert anchor in text
    text = text.replace(anchor, anchor + '  "gender": "male",\n', 1)
    path = tmp_path / "twice.json"
    path.write_text(text)
    line, column = place_of(text, '"gender"', occurrence=2)
    result = check_record(path)
    output_of(result)
    assert result.returncode == 2
    assert "duplicate key `gender`" in result.stderr
    assert (f"{path}:{line}:{column}:" in result.stderr or f"{path}#/gender" in result.stderr), \
        f"the duplicate's place (line {line}:{column} or /gender) is not named:\n{result.stderr}"


def test_numbers_at_the_edge_of_the_largest_are_read_or_refused_exactly(tmp_path):
    """Integers of up to 308 digits are read on the reader's short path; from 309 digits each is
    weighed: 10^308 is a number a record may hold, 2 x 10^308 is past the largest (1.8e308)."""
    record = json.loads((EXAMPLES / "eligible.json").read_text())
    lines = []
    for number in ("9" * 308, "-" + "9" * 308, "1" + "0" * 308, "2" + "0" * 308, "-2" + "0" * 308):
        lines.append(json.dumps(record)[:-1] + f', "notes": {{"n": {number}}}}}')
    path = tmp_path / "edge.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = invoke("check", path, "--as-of", "2020-06-01", "--format", "jsonl")
    decisions = [json.loads(line)["decision"] for line in result.stdout.splitlines()]
    assert decisions == ["eligible", "eligible", "eligible", "invalid", "invalid"], result.stderr
    assert result.stderr.count("is too large a number") == 2, result.stderr
    assert f"{path}:4#/notes/n" in result.stderr and f"{path}:5#/notes/n" in result.stderr, result.stderr


def test_deeply_nested_json_record_is_refused_cleanly(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"notes": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}")
    result = check_record(path, EXAMPLES / "eligible.json", process=True)
    output_of(result)
    assert result.returncode == 2
    assert str(path) in result.stderr
    decisions = [r["decision"] for r in json.loads(result.stdout)["results"]]
    assert decisions == ["invalid", "eligible"]


# --- reference data -----------------------------------------------------------------------------

def test_malformed_data_file(tmp_path):
    path = tmp_path / "schools.json"
    text = '{"schools": [\n  {"world_directory_id": "F1",}\n]}\n'
    path.write_text(text)
    line, column = place_of(text, "}")
    result = invoke("check", EXAMPLES / "pending.json", "--as-of", AS_OF, "--data", f"world_directory={path}")
    output_of(result)
    assert result.returncode == 2
    assert f"{path}:{line}:{column}:" in result.stderr
    assert "malformed JSON" in result.stderr


def test_data_file_failing_its_schema(tmp_path):
    path = tmp_path / "schools.json"
    path.write_text(json.dumps({"schools": [{"world_directory_id": "F1", "name": "X", "country": "IN",
                                             "ecfmg_note": {"graduation_years": {"from": "long ago"}}}]}))
    result = invoke("check", EXAMPLES / "pending.json", "--as-of", AS_OF, "--data", f"world_directory={path}")
    output_of(result)
    assert result.returncode == 2
    assert f"{path}#/schools/0/ecfmg_note/graduation_years" in result.stderr


# --- broken policies (each mistake, once: tests/diagnostics/) ----------------------------------

def test_policy_syntax_error_points_with_a_caret(tmp_path):
    old = "require: application.fee_paid_usd >= params.application_fee_usd"
    path, text = seed_with(tmp_path, (old, old.replace(">=", ">= >=")))
    line, column = place_of(text, ">= >=")
    column += 3  # the second `>=`
    stderr = assert_policy_error(check_policy(path, process=True), path, line, column, "syntax error", "unexpected `>=`",
                                 "expected")
    assert_caret(stderr, line_at(text, line), column)
    assert stderr.splitlines()[-1] == "ecfmg-policy: the policy cannot be used (1 problem(s))"


def test_as_of_before_the_first_policy_version():
    result = invoke("check", EXAMPLES / "pending.json", "--as-of", "1999-01-01", "--format", "json")
    output_of(result)
    assert result.returncode == 2  # bad usage: the policy itself is fine
    assert "1999-01-01" in result.stderr
    assert "2004-06-14" in result.stderr  # the first effective date, and what to do
    assert "judge as of 2004-06-14 or later" in result.stderr
    assert result.stdout == ""


def test_policy_path_that_does_not_exist(tmp_path):
    missing = tmp_path / "nope.yaml"
    result = check_policy(missing)
    output_of(result)
    assert result.returncode == 2  # bad usage, as for lint and test: the policy named is not there
    assert result.stderr.strip() == f"ecfmg-policy: {missing}: no such file or folder; name a policy file or a folder of them"


def test_non_utf8_policy_file(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_bytes(SEED.read_bytes().replace(b"title: Requirements", b"title: R\xe9quirements", 1))
    line, column = place_of(SEED.read_text(encoding="utf-8"), "equirements for ECFMG")
    result = check_policy(path)
    output_of(result)
    assert result.returncode == 3
    assert f"{path}:{line}:{column}:" in result.stderr and "UTF-8" in result.stderr


# --- safety: no code, no files, no hang ---------------------------------------------------------

TITLE = "title: Requirements for ECFMG Certification\n"


@pytest.mark.parametrize("old, tagged", [
    (TITLE, 'title: !!python/object/apply:os.system "touch {marker}"\n'),
    (TITLE, 'title: !!python/object/apply:os.system ["touch {marker}"]\n'),
    (TITLE, 'title: !!python/object/new:os.system {{args: ["touch {marker}"]}}\n'),
    ("params:\n", "params: !!python/object:collections.OrderedDict\n"),
], ids=["scalar", "sequence", "mapping", "tagged-params"])
def test_python_yaml_tags_are_refused(tmp_path, old, tagged):
    marker = tmp_path / "pwned"
    path, text = seed_with(tmp_path, (old, tagged.format(marker=marker)))
    line, column = place_of(text, "!!python")
    result = check_policy(path)
    output_of(result)
    assert not marker.exists()
    assert result.returncode == 3, "a python tag must be refused, not ignored"
    assert f"{path}:{line}:{column}:" in result.stderr, result.stderr
    message = next(ln for ln in result.stderr.splitlines() if ln.startswith(f"{path}:{line}:{column}:"))
    assert "tag" in message and "python/object" in message, f"the refusal does not name the tag:\n{result.stderr}"


def test_yaml_alias_bomb_is_refused_quickly(tmp_path):
    bomb = ("params:\n"
            '  la: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
            + "".join(f"  l{b}: &{b} [{', '.join(['*' + a] * 9)}]\n"
                      for a, b in zip("abcdefgh", "bcdefghi")))
    path, text = seed_with(tmp_path, ("params:\n", bomb))
    line, column = place_of(text, "&a")
    started = time.monotonic()
    result = check_policy(path)
    assert time.monotonic() - started < 20
    assert_policy_error(result, path, line, column, "aliases")


@pytest.mark.parametrize("shape, depth", [
    ("parentheses", 2000), ("not", 2000), ("negation", 2000), ("lists", 2000), ("sums", 2000), ("if", 2000),
    ("not", 120),  # deep enough to overflow the generated Python's parentheses, not Python's stack
])
def test_deeply_nested_expression_gets_a_clear_answer(tmp_path, shape, depth):
    expression = {
        "parentheses": "(" * depth + "applicant.usmle_id != null" + ")" * depth,
        "not": "not " * depth + "applicant.usmle_id != null",
        "negation": "-" * depth + "1 < 2",
        "lists": "[" * depth + "]" * depth + " != null",
        "sums": "1 + (" * depth + "1" + ")" * depth + " > 0",
        "if": "if true then " * depth + "true" + " else false" * depth,
    }[shape]
    path, text = seed_with(tmp_path, ("require: applicant.usmle_id != null", f"require: '{expression}'"))
    result = check_policy(path)
    output = output_of(result)
    if result.returncode == 3:  # refused: say where and why
        line, _ = place_of(text, expression[:20])
        assert f"{path}:{line}:" in result.stderr, result.stderr
        assert "nest" in result.stderr or "deep" in result.stderr, result.stderr
    else:  # or evaluated like any other policy
        assert result.returncode in (0, 1), output
        assert json.loads(result.stdout)["results"][0]["decision"] == "pending"


def test_deeply_nested_yaml_is_refused_cleanly(tmp_path):
    nested = "[" * 20_000 + "]" * 20_000
    path, text = seed_with(tmp_path, ("  max_attempts: 6\n", f"  max_attempts: 6\n  deep: {nested}\n"))
    result = check_policy(path, process=True)
    output_of(result)
    assert result.returncode == 3
    assert str(path) in result.stderr
