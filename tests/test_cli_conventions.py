"""Exit codes mean one thing, at the terminal and in CI (issue 9, item 3; spec §8).

0-3 are the commands' own answers; nothing else may borrow them.  A bad
``--output`` or a missing path is a one-line usage error (exit 2) for every
command alike, Ctrl-C exits 130, a closed pipe ends quietly, a bug says so in
one line with exit 4, and a mistyped command gets a "did you mean".  What a
process does (a terminal, a pipe, a signal, standard input as a file) runs in a
subprocess; the rest runs the same entry point in process (``cli_helpers.invoke``).
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli_helpers import ROOT, invoke, run_cli

EXAMPLES = ROOT / "examples"
ELIGIBLE = EXAMPLES / "eligible.json"
POLICIES = ROOT / "policies"


def one_line_usage_error(proc, *fragments):
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("ecfmg-policy: --output ") or lines[0].startswith("ecfmg-policy: "), lines
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert proc.stdout == ""


COMMANDS = {
    "check": lambda out: ("check", ELIGIBLE, "--as-of", "2020-06-01", "--output", out),
    "lint": lambda out: ("lint", POLICIES, "--output", out),
    "test": lambda out: ("test", POLICIES, "--output", out),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_output_into_a_missing_folder_is_a_one_line_usage_error(tmp_path, command):
    target = tmp_path / "no-such-folder" / "report.txt"
    proc = invoke(*COMMANDS[command](target))
    one_line_usage_error(proc, f"the folder {target.parent} does not exist")


@pytest.mark.parametrize("command", COMMANDS)
def test_output_onto_a_folder_is_a_one_line_usage_error(tmp_path, command):
    proc = invoke(*COMMANDS[command](tmp_path))
    one_line_usage_error(proc, "is a folder; name a file")


def test_output_onto_an_input_is_refused_and_the_input_kept(tmp_path):
    record = tmp_path / "record.json"
    record.write_text(ELIGIBLE.read_text())
    before = record.read_text()
    proc = invoke("check", record, "--as-of", "2020-06-01", "--output", record)
    one_line_usage_error(proc, "is also an input; writing it would destroy it")
    assert record.read_text() == before


def test_output_onto_the_policy_file_linted_is_refused(tmp_path):
    policy = tmp_path / "p.yaml"
    policy.write_text((POLICIES / "ecfmg-certification" / "2004-06-14.yaml").read_text())
    proc = invoke("lint", policy, "--output", policy)
    one_line_usage_error(proc, "is also an input")


@pytest.mark.parametrize("command", ["lint", "test"])
def test_lint_and_test_agree_on_a_missing_path(tmp_path, command):
    missing = tmp_path / "nowhere"
    proc = invoke(command, missing)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith(f"ecfmg-policy: {missing}: no such file or folder; name ")


def test_a_mistyped_command_gets_did_you_mean():
    proc = invoke("chek", ELIGIBLE)
    assert proc.returncode == 2
    assert "no command `chek`; did you mean `check`?" in proc.stderr


def test_an_unknown_command_lists_the_commands():
    proc = invoke("frobnicate")
    assert proc.returncode == 2
    assert "no command `frobnicate`; the commands are check, diff, explain, fmt, lint, schema, test, versions" in proc.stderr


def many_records(tmp_path: Path, count: int) -> Path:
    line = json.dumps(json.loads(ELIGIBLE.read_text()))
    path = tmp_path / "many.jsonl"
    path.write_text((line + "\n") * count)
    return path


def test_a_closed_pipe_ends_quietly(tmp_path):
    records = many_records(tmp_path, 3000)
    command = (f"{sys.executable} -m ecfmg_policy check {records} --as-of 2020-06-01 --format jsonl | head -1; "
               "echo status=${PIPESTATUS[0]}")
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=ROOT, timeout=120)
    first, status = proc.stdout.strip().splitlines()
    assert json.loads(first)["decision"] == "eligible"
    assert proc.stderr == ""  # no BrokenPipeError, no "Exception ignored"
    assert status == "status=141"  # 128 + SIGPIPE, as a shell reports it: not one of the answers 0-3


def test_ctrl_c_exits_130_without_a_traceback(tmp_path):
    records = many_records(tmp_path, 200_000)
    proc = subprocess.Popen([sys.executable, "-m", "ecfmg_policy", "check", str(records), "--as-of", "2020-06-01",
                             "--format", "jsonl", "--output", str(tmp_path / "out.jsonl")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    out = tmp_path / "out.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (out.exists() and out.stat().st_size > 0):
        time.sleep(0.05)  # wait until records are being decided
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip() == "ecfmg-policy: interrupted"


def test_an_internal_error_is_a_bug_report_line_and_exit_4(monkeypatch, capsys):
    """An exception nobody foresaw must not pose as an answer (exit 1 would read as "pending")."""
    from ecfmg_policy.cli import check as check_module
    from ecfmg_policy.cli import main as main_module

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(check_module.Engine, "check_entry", broken)
    monkeypatch.setattr(sys, "argv", ["ecfmg-policy", "check", str(ELIGIBLE), "--as-of", "2020-06-01"])
    with pytest.raises(SystemExit) as stop:
        main_module.main()
    assert stop.value.code == 4
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "ecfmg-policy: internal error (RuntimeError); this is a bug, please report it with the command you ran "
        f"at {main_module.BUG_REPORTS}"]


def test_a_date_past_the_calendar_is_a_rule_message_not_a_python_error(tmp_path):
    record = json.loads(ELIGIBLE.read_text())
    record["exams"].append({"exam": "USMLE_STEP1", "date": "9995-05-02", "result": "pass"})
    path = tmp_path / "far.json"
    path.write_text(json.dumps(record))
    proc = invoke("check", path, "--as-of", "9999-12-31", "--format", "json")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    rules = {r["id"]: r for r in json.loads(proc.stdout)["results"][0]["rules"]}
    message = rules["exams.passed_in_window"]["message"]
    assert rules["exams.passed_in_window"]["outcome"] == "error"
    assert "9995-05-02 + 7 years is outside the calendar (years 1 to 9999)" in message
    assert "ValueError" not in proc.stdout and "out of range" not in proc.stdout


# --- item 1: one way to find the policies, and every output says which ---------------------------

@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A project with its own copy of the policies, the fee raised to 7500 in the seed version."""
    project = tmp_path / "project"
    shutil.copytree(POLICIES, project / "policies")
    seed = project / "policies" / "ecfmg-certification" / "2004-06-14.yaml"
    seed.write_text(seed.read_text().replace("application_fee_usd: 75", "application_fee_usd: 7500"))
    shutil.copy(ELIGIBLE, project / "eligible.json")
    return project


def test_check_uses_the_policies_of_the_checkout_it_runs_in_and_names_the_file(checkout):
    proc = invoke("check", "eligible.json", "--as-of", "2020-06-01", "--format", "json", cwd=checkout)
    result = json.loads(proc.stdout)["results"][0]
    assert result["decision"] == "pending"  # the edited fee, not the installed copy's
    assert result["policy"]["file"] == "policies/ecfmg-certification/2004-06-14.yaml"
    text = invoke("check", "eligible.json", "--as-of", "2020-06-01", "--format", "text", cwd=checkout)
    assert text.stdout.splitlines()[0] == ("eligible.json: PENDING as of 2020-06-01 "
                                           "(ecfmg-certification 2004.1, policies/ecfmg-certification/2004-06-14.yaml)")


def test_every_command_finds_the_nearest_policies_folder_from_inside_it(checkout):
    inside = checkout / "policies" / "ecfmg-certification"
    (inside / "2023-01-01.yaml").write_text("policy: ecfmg-certification\nversion: \"2023.1\"\n"
                                            "effective_from: 2023-01-01\nextends: \"2022.1\"\nparams: [\n")
    lint = invoke("lint", cwd=inside)
    assert lint.returncode == 3, lint.stdout
    assert "2023-01-01.yaml" in lint.stdout
    assert "file(s) checked in ..:" in lint.stdout
    test = invoke("test", cwd=inside)
    assert test.returncode == 3, test.stdout + test.stderr  # the broken folder, never "99 passed"
    assert "2023-01-01.yaml" in test.stdout
    versions = invoke("versions", cwd=inside)
    assert versions.returncode == 3 and "2023-01-01.yaml" in versions.stderr
    check = invoke("check", "../../eligible.json", "--as-of", "2020-06-01", cwd=inside)
    assert check.returncode == 3 and "2023-01-01.yaml" in check.stderr


def test_versions_names_the_files_relative_to_where_it_runs(checkout):
    proc = invoke("versions", "--format", "json", cwd=checkout)
    files = [v["file"] for v in json.loads(proc.stdout)["versions"]]
    assert files[0] == "policies/ecfmg-certification/2004-06-14.yaml"


def test_without_a_policies_folder_the_bundled_ones_are_used_and_named(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert not any((folder / "policies").is_dir() for folder in (elsewhere, *elsewhere.parents))
    proc = invoke("check", ELIGIBLE, "--as-of", "2020-06-01", "--format", "json", cwd=elsewhere)
    result = json.loads(proc.stdout)["results"][0]
    assert result["decision"] == "eligible"
    file = Path(result["policy"]["file"])
    assert file.is_absolute() and file.name == "2004-06-14.yaml" and file.is_file()


def test_a_relative_policy_option_stays_relative_in_the_report(checkout):
    proc = invoke("check", "eligible.json", "--policy", "policies/ecfmg-certification", "--as-of", "2021-03-01",
                   "--format", "json", cwd=checkout)
    assert json.loads(proc.stdout)["results"][0]["policy"]["file"] == "policies/ecfmg-certification/2021-01-26.yaml"


# --- item 4: terminal conventions ----------------------------------------------------------------

def run_on_terminal(*args, env=None):
    """The command with its standard output on a pseudo-terminal, as a person runs it."""
    import os
    import pty

    leader, follower = pty.openpty()
    environment = {**os.environ, "TERM": "xterm-256color", **(env or {})}
    environment.pop("NO_COLOR", None) if "NO_COLOR" not in (env or {}) else None
    proc = subprocess.Popen([sys.executable, "-m", "ecfmg_policy", *map(str, args)], stdout=follower,
                            stderr=subprocess.PIPE, cwd=ROOT, env=environment)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    return proc.returncode, b"".join(chunks).decode()


def test_text_is_the_default_when_piped_and_without_colour():
    proc = run_cli("check", ELIGIBLE, "--as-of", "2020-06-01")
    assert proc.stdout.startswith(f"{ELIGIBLE}: ELIGIBLE as of 2020-06-01 (ecfmg-certification 2004.1, ")
    assert "\x1b[" not in proc.stdout


def test_colour_on_a_terminal_unless_no_color_or_a_dumb_terminal():
    _, coloured = run_on_terminal("check", ELIGIBLE, "--as-of", "2020-06-01")
    assert "\x1b[32m\x1b[1mELIGIBLE" in coloured
    _, plain = run_on_terminal("check", ELIGIBLE, "--as-of", "2020-06-01", env={"NO_COLOR": "1"})
    assert "ELIGIBLE" in plain and "\x1b[" not in plain
    _, dumb = run_on_terminal("check", ELIGIBLE, "--as-of", "2020-06-01", env={"TERM": "dumb"})
    assert "ELIGIBLE" in dumb and "\x1b[" not in dumb
    _, never = run_on_terminal("check", ELIGIBLE, "--as-of", "2020-06-01", "--color", "never")
    assert "\x1b[" not in never
    always = run_cli("check", ELIGIBLE, "--as-of", "2020-06-01", "--color", "always")
    assert "\x1b[32m\x1b[1mELIGIBLE" in always.stdout


def test_an_invalid_records_errors_are_shown_once():
    invalid = EXAMPLES / "invalid.json"
    text = invoke("check", invalid, "--as-of", "2020-06-01")
    assert text.returncode == 2
    assert "fee_payed_usd" in text.stdout and text.stderr == ""
    machine = invoke("check", invalid, "--as-of", "2020-06-01", "--format", "json")
    assert "fee_payed_usd" in machine.stderr  # for a program, the problems go to standard error, one line each
    assert "invalid.json#/application/fee_payed_usd: error:" in machine.stderr


def test_standard_input_takes_json_lines_as_well_as_one_document():
    one_line = json.dumps(json.loads(ELIGIBLE.read_text()))
    pending = json.dumps(json.loads((EXAMPLES / "pending.json").read_text()))
    lines = invoke("check", "-", "--as-of", "2020-06-01", "--format", "json", stdin=one_line + "\n" + pending + "\n")
    results = json.loads(lines.stdout)["results"]
    assert [(r["record"], r["decision"]) for r in results] == [("-:1", "eligible"), ("-:2", "pending")]
    document = invoke("check", "-", "--as-of", "2020-06-01", "--format", "json", stdin=ELIGIBLE.read_text())
    assert [(r["record"], r["decision"]) for r in json.loads(document.stdout)["results"]] == [("-", "eligible")]


@pytest.mark.parametrize("written", ["20200601", "2020-W23-1", "2020-6-1", "2020-06-01T00:00"])
def test_as_of_takes_only_yyyy_mm_dd(written):
    proc = invoke("check", ELIGIBLE, "--as-of", written)
    assert proc.returncode == 2
    assert f"`{written}` is not a date written as YYYY-MM-DD" in proc.stderr


def test_quiet_check_shows_only_what_is_not_eligible_and_the_summary():
    proc = invoke("check", EXAMPLES, "--as-of", "2020-06-01", "-q")
    assert ": ELIGIBLE as of" not in proc.stdout
    assert ": PENDING as of" in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1] == \
        "3009 record(s): 590 eligible, 1743 pending, 433 ineligible, 242 not applicable, 1 invalid"  # with corpus.jsonl


def test_verbose_check_shows_met_rules_too():
    quiet_about_met = invoke("check", EXAMPLES / "pending.json", "--as-of", "2020-06-01")
    assert "application.fee" not in quiet_about_met.stdout
    verbose = invoke("check", EXAMPLES / "pending.json", "--as-of", "2020-06-01", "-v")
    assert "  met      application.fee: Application fee paid" in verbose.stdout


def test_test_run_selects_cases_by_name():
    proc = invoke("test", POLICIES, "--run", "29 February", "-v")
    ok = [line for line in proc.stdout.splitlines() if line.startswith("ok   ")]
    assert ok and all("29 February" in line for line in ok)
    assert proc.stdout.rstrip().endswith(f"{len(ok)} passed, 0 failed")
    none = invoke("test", POLICIES, "--run", "no such case")
    assert none.returncode == 2 and "--run no such case: no test case's name matches" in none.stderr
    broken = invoke("test", POLICIES, "--run", "(")
    assert broken.returncode == 2 and "not a regular expression" in broken.stderr


def test_quiet_test_leaves_out_the_coverage_table():
    proc = invoke("test", POLICIES, "-q")
    assert "rule coverage" not in proc.stdout
    assert proc.stdout.strip().endswith("passed, 0 failed")


def test_the_coverage_table_is_as_wide_as_its_content():
    proc = invoke("test", POLICIES)
    table = proc.stdout.split("rule coverage (met / failing = unmet or blocked):\n")[1]
    header, *rows = [line for line in table.splitlines() if line.startswith("  ") and not line.startswith("   ")]
    rows = [row for row in rows if "% of" not in row]
    rule_ids = [row.split()[1] for row in rows]
    met_column = header.index(" met ") + 1
    assert met_column == 2 + len("version") + 1 + max(map(len, rule_ids)) + 1
    assert all(row[met_column - 1] == " " and row[met_column] in "y-" for row in rows)


# --- item 8: messages for people, never a regular expression ------------------------------------

def test_every_pattern_of_every_shipped_schema_has_words():
    from ecfmg_policy.evaluator.records.schemas import PATTERN_SHAPES, SCHEMA_FILES, schema

    def patterns(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "pattern":
                    yield value
                yield from patterns(value)
        elif isinstance(node, list):
            for value in node:
                yield from patterns(value)

    found = {p for kind in SCHEMA_FILES for p in patterns(schema(kind))}
    assert found and found <= PATTERN_SHAPES.keys(), found - PATTERN_SHAPES.keys()


def test_a_record_of_the_wrong_shape_is_told_the_shape_once_in_words(tmp_path):
    record = json.loads(ELIGIBLE.read_text())
    record.update(date_of_birth="19910412", usmle_id="12-34", citizenship=["india"])
    path = tmp_path / "shape.json"
    path.write_text(json.dumps(record))
    proc = invoke("check", path, "--as-of", "2020-06-01", "--format", "json")
    errors = json.loads(proc.stdout)["results"][0]["errors"]
    assert errors == [
        {"path": "/citizenship/0", "message": "`india` does not have the expected form: expected a two-letter "
                                              "country code in capitals (ISO 3166-1), such as IN"},
        {"path": "/date_of_birth", "message": "`19910412` does not have the expected form: expected a date as "
                                              "YYYY-MM-DD, such as 1991-04-12"},
        {"path": "/usmle_id", "message": "`12-34` does not have the expected form: expected a USMLE/ECFMG "
                                         "identification number of 8 digits, such as 5-123-456-7 or 51234567"},
    ]
    assert "^[" not in proc.stdout + proc.stderr


def test_a_policy_of_the_wrong_shape_is_told_in_words(tmp_path):
    policy = tmp_path / "p.yaml"
    policy.write_text((POLICIES / "ecfmg-certification" / "2004-06-14.yaml").read_text()
                      .replace("id: application.fee\n", "id: Application.Fee\n"))
    proc = invoke("lint", policy)
    assert proc.returncode == 3
    assert "`Application.Fee` does not have the expected form: expected a dotted lower-case id, " \
           "such as application.fee" in proc.stdout
    assert "^[" not in proc.stdout


# --- item 2 (part): the coverage verdict compares what it prints ---------------------------------

@pytest.mark.parametrize("value, shown", [(99.5, "99.5"), (99.999, "99.99"), (100.0, "100"), (0.0, "0"),
                                          (66.6666, "66.66"), (12.3, "12.3")])
def test_coverage_is_printed_cut_never_rounded_up_to_the_minimum(value, shown):
    from ecfmg_policy.cli.test import shown_percent

    assert shown_percent(value) == shown


def test_a_coverage_short_of_the_minimum_never_prints_as_the_minimum():
    proc = invoke("test", POLICIES, "--run", "29 February", "--min-coverage", "100")
    assert proc.returncode == 1
    verdict = proc.stdout.strip().splitlines()[-1]
    printed = re.search(r"rule coverage ([0-9.]+)% is below the minimum 100%", verdict)
    assert printed and float(printed.group(1)) < 100, verdict


# --- what an adversarial review found (issue 9) --------------------------------------------------


def test_output_inside_a_folder_read_as_input_is_refused_and_nothing_is_lost(tmp_path):
    records = tmp_path / "records"
    shutil.copytree(EXAMPLES, records)
    before = (records / "eligible.json").read_bytes()
    one_line_usage_error(invoke("check", records, "--as-of", "2020-06-01", "--output", records / "eligible.json"),
                         "is inside", "whose .json files are read as input")
    assert (records / "eligible.json").read_bytes() == before
    policies = tmp_path / "policies"
    shutil.copytree(POLICIES, policies)
    seed = policies / "ecfmg-certification" / "2022-01-01.yaml"
    kept = seed.read_bytes()
    one_line_usage_error(invoke("lint", "--output", seed, cwd=tmp_path), "is inside")  # the folder found by default
    one_line_usage_error(invoke("test", "--output", seed, cwd=tmp_path), "is inside")
    assert seed.read_bytes() == kept
    report = policies / "lint.sarif"  # a report of another kind beside the policies is fine
    assert invoke("lint", "--format", "sarif", "--output", report, cwd=tmp_path).returncode == 0 and report.exists()


def test_output_onto_standard_input_is_refused(tmp_path):
    record = tmp_path / "record.json"
    shutil.copy(ELIGIBLE, record)
    with open(record, "rb") as stdin:
        proc = subprocess.run([sys.executable, "-m", "ecfmg_policy", "check", "-", "--as-of", "2020-06-01",
                               "--output", str(record)], stdin=stdin, capture_output=True, text=True, cwd=ROOT)
    one_line_usage_error(proc, "is also standard input")
    assert record.read_bytes() == ELIGIBLE.read_bytes()


def test_output_dash_is_standard_output(tmp_path):
    proc = invoke("check", ELIGIBLE, "--as-of", "2020-06-01", "--output", "-", "--format", "jsonl", cwd=tmp_path)
    assert json.loads(proc.stdout)["decision"] == "eligible" and not (tmp_path / "-").exists()


def test_a_full_disk_is_an_output_error_not_a_bug():
    proc = invoke("check", ELIGIBLE, "--as-of", "2020-06-01", "--output", "/dev/full")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "ecfmg-policy: cannot write the output: No space left on device"


def test_a_missing_policy_option_is_a_usage_error_for_every_command(tmp_path):
    missing = tmp_path / "nowhere"
    for args in (("check", ELIGIBLE, "--as-of", "2020-06-01"), ("versions",), ("lint",), ("test",)):
        flag = ["--policy", missing] if args[0] in ("check", "versions", "test") else [missing]
        proc = invoke(*args, *flag)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.strip() == f"ecfmg-policy: {missing}: no such file or folder; name a policy file or a folder of them"


def test_a_data_file_that_cannot_be_read_is_an_error_in_the_test_report(tmp_path):
    report = tmp_path / "report.xml"
    proc = invoke("test", POLICIES, "--data", f"world_directory={tmp_path / 'none.json'}", "--format", "junit",
                   "--output", report)
    assert proc.returncode == 2, proc.stderr
    assert "internal error" not in proc.stderr and "not run (their data cannot be read)" in proc.stderr
    assert "cannot read file: No such file or directory" in report.read_text()


def test_a_checkout_inside_a_folder_named_tests_is_not_all_test_cases(tmp_path):
    checkout = tmp_path / "tests" / "tests"  # a repository named tests, as GitHub Actions checks it out
    shutil.copytree(POLICIES, checkout / "policies")
    proc = invoke("test", "policies", cwd=checkout)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert re.search(r"^\d+ passed, 0 failed$", proc.stdout, re.M)


def test_a_pipe_named_to_test_is_refused_by_name(tmp_path):
    import os

    pipe = tmp_path / "case.yaml"
    os.mkfifo(pipe)
    proc = invoke("test", pipe)
    assert proc.returncode == 2 and f"{pipe}: error: `case.yaml` is not a regular file" in proc.stdout


@pytest.mark.parametrize("pattern", ["a{99999999999}", "(" * 500 + ")" * 500])
def test_a_run_pattern_too_large_is_a_usage_error(pattern):
    proc = invoke("test", POLICIES, "--run", pattern)
    assert proc.returncode == 2 and "internal error" not in proc.stderr


@pytest.mark.parametrize("text, words", [
    ("", "no record here: the input is empty"),
    ('{"a" 1}', "expected `:` after the field name"),
    ('{"a": 1} x', "more text after the record"),
])
def test_json_mistakes_are_told_in_words(text, words):
    proc = invoke("check", "-", "--as-of", "2020-06-01", stdin=text)
    assert proc.returncode == 2 and words in proc.stdout
    assert "Expecting" not in proc.stdout and "error at :" not in proc.stdout


def test_a_record_saved_with_a_byte_order_mark_is_read(tmp_path):
    record = tmp_path / "bom.json"
    record.write_bytes(b"\xef\xbb\xbf" + ELIGIBLE.read_bytes())
    assert invoke("check", record, "--as-of", "2020-06-01").returncode == 0


def test_coverage_minimum_is_shown_as_given():
    proc = invoke("test", POLICIES, "--min-coverage", "100.001", "--format", "json")
    assert proc.returncode == 2  # above 100: refused by the option
    near = invoke("test", POLICIES, "--run", "leap-day|29 February", "--min-coverage", "1.588")
    verdict = near.stdout.strip().splitlines()[-1]
    shown, minimum = re.search(r"rule coverage ([\d.]+)% is below the minimum ([\d.]+)%", verdict).groups()
    assert float(shown) < float(minimum) and minimum == "1.588"
