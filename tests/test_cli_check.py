"""``ecfmg-policy check`` end to end, on real files, as a user runs it (spec §8).

Every test runs the real command line and looks only at what a user sees:
decisions, messages, exit codes, files written.  The examples and ``--help`` run
in a subprocess, as a user starts the command; the others run its entry point in
process (``cli_helpers.invoke``: the same code, arguments, streams and exit
status, without starting Python again for each).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from cli_helpers import ROOT, invoke, run_cli

EXAMPLES = ROOT / "examples"
SEED = ROOT / "policies" / "ecfmg-certification" / "2004-06-14.yaml"
AS_OF = "2020-06-01"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OUTCOMES = {"met", "unmet", "blocked", "not_applicable", "error"}
DECISIONS = {"eligible", "pending", "ineligible", "not_applicable", "invalid"}


def check_json(*args, process: bool = False, **kwargs):
    """Run ``check … --format json`` (in process, or in a subprocess) and return (result, parsed stdout)."""
    result = (run_cli if process else invoke)("check", *args, "--format", "json", **kwargs)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    try:
        payload = json.loads(result.stdout)
    except json.JSONDecodeError:  # pragma: no cover - shown on failure only
        pytest.fail(f"stdout is not JSON (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result, payload


def only_result(payload: dict) -> dict:
    assert len(payload["results"]) == 1, payload["results"]
    return payload["results"][0]


def outcomes(result: dict) -> dict[str, str]:
    return {rule["id"]: rule["outcome"] for rule in result["rules"]}


def rule(result: dict, rule_id: str) -> dict:
    for r in result["rules"]:
        if r["id"] == rule_id:
            return r
    raise AssertionError(f"no rule {rule_id} in {[r['id'] for r in result['rules']]}")


def no_traceback(result) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr


# --- the bundled examples -----------------------------------------------------------------

@pytest.mark.parametrize("example, decision, code", [
    ("eligible.json", "eligible", 0),
    ("pending.json", "pending", 1),
    ("ineligible.json", "ineligible", 1),
    ("not-applicable.json", "not_applicable", 0),
    ("invalid.json", "invalid", 2),
])
def test_each_example_gets_its_decision_and_exit_code(example, decision, code):
    proc, payload = check_json(EXAMPLES / example, "--as-of", AS_OF, process=True)
    result = only_result(payload)
    assert result["decision"] == decision
    assert proc.returncode == code, proc.stderr
    assert payload["summary"][decision] == 1
    assert payload["summary"]["total"] == 1


def test_examples_give_the_expected_rule_outcomes():
    _, pending = check_json(EXAMPLES / "pending.json", "--as-of", AS_OF)
    got = outcomes(only_result(pending))
    assert got["education.diploma_received"] == "unmet"
    assert got["exams.passed_in_window"] == "unmet"
    assert got["school.listed"] == "met"
    assert got["school.graduation_year"] == "not_applicable"  # a student

    _, ineligible = check_json(EXAMPLES / "ineligible.json", "--as-of", AS_OF)
    result = only_result(ineligible)
    assert outcomes(result)["school.graduation_year"] == "blocked"
    assert "2017" in rule(result, "school.graduation_year")["message"]

    _, not_applicable = check_json(EXAMPLES / "not-applicable.json", "--as-of", AS_OF)
    assert set(outcomes(only_result(not_applicable)).values()) == {"not_applicable"}


@pytest.mark.parametrize("names, code", [
    (["eligible.json", "not-applicable.json"], 0),
    (["eligible.json", "pending.json"], 1),
    (["not-applicable.json", "ineligible.json"], 1),
    (["eligible.json", "invalid.json"], 2),
    (["invalid.json", "pending.json", "ineligible.json"], 2),
    (["pending.json", "eligible.json", "invalid.json"], 2),
])
def test_several_records_exit_with_the_worst_code(names, code):
    proc, payload = check_json(*(EXAMPLES / n for n in names), "--as-of", AS_OF)
    assert proc.returncode == code
    assert [Path(r["record"]).name for r in payload["results"]] == names
    assert payload["summary"]["total"] == len(names)


def test_json_shape_matches_the_contract():
    proc, payload = check_json(EXAMPLES / "eligible.json", EXAMPLES / "pending.json",
                               EXAMPLES / "invalid.json", "--as-of", AS_OF)
    assert set(payload) >= {"results", "summary"}
    assert payload["summary"]["total"] == 3
    for decision, count in (("eligible", 1), ("pending", 1), ("invalid", 1), ("ineligible", 0)):
        assert payload["summary"][decision] == count
    for result in payload["results"]:
        assert set(result) >= {"record", "as_of", "policy", "decision", "rules", "outputs", "errors"}
        assert result["as_of"] == AS_OF
        assert result["decision"] in DECISIONS
        policy = result["policy"]
        assert policy["name"] == "ecfmg-certification"
        assert policy["version"] == "2004.1"
        assert policy["effective_from"] == "2004-06-14"
        assert isinstance(policy["source"], str) and policy["source"]
        for r in result["rules"]:
            assert set(r) >= {"id", "title", "outcome", "message", "source"}
            assert r["outcome"] in OUTCOMES
        for error in result["errors"]:
            assert set(error) >= {"path", "message"}

    eligible, pending, invalid = payload["results"]
    assert eligible["record"].endswith("eligible.json")
    assert len(eligible["rules"]) >= 10 and eligible["errors"] == []
    # outputs: dates as YYYY-MM-DD, attempts remaining per required exam
    out = eligible["outputs"]
    assert out["exam_requirements_met_on"] == "2017-08-05"
    assert out["window_starts_on"] == "2016-03-10"
    assert out["window_ends_on"] == "2023-03-10"
    assert out["certificate"]["exam_requirements_met_on"] == "2017-08-05"
    assert out["certificate"]["usmle_id"] == "5-123-456-7"
    assert out["attempts_remaining"] == {"USMLE_STEP1": 5, "USMLE_STEP2_CK": 5, "USMLE_STEP2_CS": 5}
    out = pending["outputs"]
    assert out["exam_requirements_met_on"] is None
    assert out["window_ends_on"] == "2026-05-02" and ISO_DATE.match(out["window_starts_on"])
    assert out["attempts_remaining"] == {"USMLE_STEP1": 5, "USMLE_STEP2_CK": 5, "USMLE_STEP2_CS": 6}
    assert out["certificate"] is None
    for r in pending["rules"]:
        if r["outcome"] == "unmet":
            assert isinstance(r["message"], str) and r["message"].strip(), r
    # an invalid record: nothing evaluated, every schema problem with its pointer
    assert invalid["rules"] == []
    paths = {e["path"] for e in invalid["errors"]}
    assert {"/application/fee_payed_usd", "/exams/0/date"} <= paths


def test_output_is_text_by_default_even_when_not_a_terminal():
    """Spec §8 (changed): text is the default on a terminal or not, as conftest, OPA and check-jsonschema do."""
    result = invoke("check", EXAMPLES / "eligible.json", "--as-of", AS_OF)
    assert result.returncode == 0
    assert ": ELIGIBLE as of " in result.stdout.splitlines()[0]


# --- where records come from ----------------------------------------------------------------

def test_a_directory_checks_every_json_file_in_it_sorted(tmp_path):
    folder = tmp_path / "records"
    folder.mkdir()
    shutil.copy(EXAMPLES / "pending.json", folder / "b.json")
    shutil.copy(EXAMPLES / "eligible.json", folder / "a.json")
    (folder / "README.txt").write_text("not a record\n")
    proc, payload = check_json(folder, "--as-of", AS_OF)
    assert [Path(r["record"]).name for r in payload["results"]] == ["a.json", "b.json"]
    assert [r["decision"] for r in payload["results"]] == ["eligible", "pending"]
    assert proc.returncode == 1


def test_jsonl_file_labels_each_line_skips_blanks_and_isolates_a_bad_line(tmp_path):
    eligible = json.dumps(json.loads((EXAMPLES / "eligible.json").read_text()))
    pending = json.dumps(json.loads((EXAMPLES / "pending.json").read_text()))
    path = tmp_path / "batch.jsonl"
    path.write_text(f"{eligible}\n\n{{\"usmle_id\": \n{pending}\n")
    proc, payload = check_json(path, "--as-of", AS_OF)
    got = [(r["record"], r["decision"]) for r in payload["results"]]
    assert got == [(f"{path}:1", "eligible"), (f"{path}:3", "invalid"), (f"{path}:4", "pending")]
    bad = payload["results"][1]
    assert bad["errors"] and bad["errors"][0]["message"]
    assert proc.returncode == 2
    assert f"{path}:3:" in proc.stderr  # the malformed line, with its column


def test_bundled_batch_jsonl_example():
    proc, payload = check_json(EXAMPLES / "batch.jsonl", "--as-of", AS_OF)
    path = str(EXAMPLES / "batch.jsonl")
    assert [(r["record"], r["decision"]) for r in payload["results"]] == [
        (f"{path}:1", "eligible"), (f"{path}:2", "pending"),
        (f"{path}:3", "ineligible"), (f"{path}:4", "not_applicable")]
    assert proc.returncode == 1


def test_dash_reads_one_record_from_standard_input():
    text = (EXAMPLES / "eligible.json").read_text()
    proc, payload = check_json("-", "--as-of", AS_OF, stdin=text)
    result = only_result(payload)
    assert result["record"] == "-"
    assert result["decision"] == "eligible"
    assert proc.returncode == 0


# --- output formats and destinations ----------------------------------------------------------

def test_jsonl_format_prints_one_result_object_a_line():
    proc = invoke("check", EXAMPLES / "eligible.json", EXAMPLES / "pending.json", EXAMPLES / "invalid.json",
                   "--as-of", AS_OF, "--format", "jsonl")
    no_traceback(proc)
    lines = proc.stdout.splitlines()
    assert len(lines) == 3
    results = [json.loads(line) for line in lines]
    assert [r["decision"] for r in results] == ["eligible", "pending", "invalid"]
    assert all("results" not in r and r["as_of"] == AS_OF for r in results)
    assert proc.returncode == 2


def test_output_file_is_written_and_stdout_stays_empty(tmp_path):
    target = tmp_path / "results.json"
    proc = invoke("check", EXAMPLES / "pending.json", "--as-of", AS_OF, "--format", "json", "--output", target)
    no_traceback(proc)
    assert proc.stdout == ""
    assert proc.returncode == 1
    payload = json.loads(target.read_text(encoding="utf-8"))
    assert payload["results"][0]["decision"] == "pending"


def test_text_format_is_for_people():
    proc = invoke("check", EXAMPLES / "pending.json", "--as-of", AS_OF, "--format", "text")
    no_traceback(proc)
    out = proc.stdout
    assert proc.returncode == 1
    assert "\x1b[" not in out  # no colour when not a terminal
    assert "PENDING" in out
    for rule_id, message in (
        ("education.diploma_received", "receive the final medical diploma"),
        ("education.diploma_verified", "status: pending"),
        ("education.transcript_verified", "transcript is not complete"),
        ("exams.passed_in_window", "by 2026-05-02"),
    ):
        assert rule_id in out
        assert message in out
    for met in ("application.fee", "school.listed"):  # met rules are not listed
        assert met not in out
    details = out[out.index("details"):]
    assert "2026-05-02" in details  # the window's end
    attempts = next(line for line in details.splitlines() if "attempts" in line and "remaining" in line)
    assert "USMLE_STEP1" in attempts and "5" in attempts and "6" in attempts


def test_text_format_shows_blocked_requirements_and_several_records():
    proc = invoke("check", EXAMPLES / "ineligible.json", EXAMPLES / "eligible.json",
                   "--as-of", AS_OF, "--format", "text")
    no_traceback(proc)
    assert proc.returncode == 1
    assert "INELIGIBLE" in proc.stdout and "ELIGIBLE" in proc.stdout
    assert "school.graduation_year" in proc.stdout
    assert "Graduation year 2017 is outside" in proc.stdout
    assert "\x1b[" not in proc.stdout


def test_text_format_for_an_invalid_record_says_what_to_fix():
    proc = invoke("check", EXAMPLES / "invalid.json", "--as-of", AS_OF, "--format", "text")
    no_traceback(proc)
    assert proc.returncode == 2
    text = proc.stdout + proc.stderr
    assert "INVALID" in text
    assert "/application/fee_payed_usd" in text and "fee_paid_usd" in text
    assert "/exams/0/date" in text and "2021-02-30" in text


# --- options ------------------------------------------------------------------------------------

def test_as_of_changes_the_decision():
    before, early = check_json(EXAMPLES / "eligible.json", "--as-of", "2017-06-01")
    result = only_result(early)
    assert result["decision"] == "pending"
    assert before.returncode == 1
    assert outcomes(result)["exams.passed_in_window"] == "unmet"
    assert result["outputs"]["exams_outstanding"] == ["USMLE_STEP2_CS"]  # the 2017-08-05 pass is not yet
    after, late = check_json(EXAMPLES / "eligible.json", "--as-of", AS_OF)
    assert only_result(late)["decision"] == "eligible"
    assert after.returncode == 0


def test_as_of_before_the_first_pass_has_no_window():
    _, before = check_json(EXAMPLES / "pending.json", "--as-of", "2019-01-01")
    out = only_result(before)["outputs"]
    assert out["window_starts_on"] is None and out["window_ends_on"] is None
    assert "USMLE_STEP1" in out["exams_outstanding"]
    assert out["attempts_remaining"]["USMLE_STEP1"] == 6
    _, after = check_json(EXAMPLES / "pending.json", "--as-of", AS_OF)
    out = only_result(after)["outputs"]
    assert out["window_starts_on"] == "2019-05-02" and out["window_ends_on"] == "2026-05-02"
    assert "USMLE_STEP1" not in out["exams_outstanding"]


def test_impossible_as_of_date_is_bad_usage():
    proc = invoke("check", EXAMPLES / "pending.json", "--as-of", "2021-02-30")
    no_traceback(proc)
    assert proc.returncode == 2
    assert "--as-of" in proc.stderr
    assert "2021-02-30" in proc.stderr
    assert "YYYY-MM-DD" in proc.stderr
    assert proc.stdout == ""


def test_custom_world_directory_without_the_school_blocks_the_listing(tmp_path):
    directory = tmp_path / "schools.json"
    sample = json.loads((ROOT / "policies" / "reference" / "world-directory.sample.json").read_text())
    kept = [s for s in sample["schools"] if s["world_directory_id"] != "F0000404"]
    directory.write_text(json.dumps({"schools": kept}))
    proc, payload = check_json(EXAMPLES / "pending.json", EXAMPLES / "eligible.json", "--as-of", AS_OF,
                               "--data", f"world_directory={directory}")
    pending, eligible = payload["results"]
    listed = rule(pending, "school.listed")
    assert listed["outcome"] == "blocked"
    assert "F0000404" in listed["message"]
    assert pending["decision"] == "ineligible"
    assert eligible["decision"] == "eligible"  # its school is still in the file
    assert proc.returncode == 1


def test_unknown_data_name_is_bad_usage_naming_what_the_policy_reads():
    proc = invoke("check", EXAMPLES / "pending.json", "--as-of", AS_OF, "--data", "nope=x")
    no_traceback(proc)
    assert proc.returncode == 2
    assert "`nope`" in proc.stderr
    assert "world_directory" in proc.stderr
    assert proc.stdout == ""


def test_misspelt_data_name_gets_did_you_mean():
    proc = invoke("check", EXAMPLES / "pending.json", "--as-of", AS_OF, "--data", "world_directroy=x.json")
    no_traceback(proc)
    assert proc.returncode == 2
    assert "did you mean `world_directory`" in proc.stderr


def test_policy_option_uses_the_given_file(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    assert "application_fee_usd: 75\n" in text
    mine = tmp_path / "mine.yaml"
    mine.write_text(text.replace("application_fee_usd: 75\n", "application_fee_usd: 100\n", 1), encoding="utf-8")
    proc, payload = check_json(EXAMPLES / "eligible.json", "--as-of", AS_OF, "--policy", mine)
    result = only_result(payload)
    assert "mine.yaml" in result["policy"]["source"]
    assert result["decision"] == "pending"  # paid 75, this copy asks for 100
    fee = rule(result, "application.fee")
    assert fee["outcome"] == "unmet" and "100" in fee["message"] and "75" in fee["message"]
    assert proc.returncode == 1


def test_policy_option_accepts_a_directory(tmp_path):
    folder = tmp_path / "policy"
    folder.mkdir()
    shutil.copy(SEED, folder / "2004-06-14.yaml")
    proc, payload = check_json(EXAMPLES / "eligible.json", "--as-of", AS_OF, "--policy", folder)
    assert only_result(payload)["decision"] == "eligible"
    assert proc.returncode == 0


def test_policy_version_names_the_version_to_use():
    proc, payload = check_json(EXAMPLES / "eligible.json", "--as-of", "2023-06-01", "--policy-version", "2004.1")
    result = only_result(payload)
    assert result["policy"]["version"] == "2004.1"
    assert result["policy"]["effective_from"] == "2004-06-14"
    assert result["decision"] == "eligible"
    assert proc.returncode == 0


def test_unknown_policy_version_is_a_usage_error_listing_the_known_ones():
    proc = invoke("check", EXAMPLES / "eligible.json", "--as-of", AS_OF, "--policy-version", "9.9")
    no_traceback(proc)
    assert proc.returncode == 2
    assert "9.9" in proc.stderr
    assert "2004.1" in proc.stderr
    assert proc.stdout == ""


def test_schema_command_prints_the_applicant_schema():
    from jsonschema import Draft202012Validator

    proc = invoke("schema", "applicant")
    no_traceback(proc)
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    assert not list(validator.iter_errors(json.loads((EXAMPLES / "eligible.json").read_text())))
    assert list(validator.iter_errors(json.loads((EXAMPLES / "invalid.json").read_text())))


def test_help_works():
    proc = run_cli("--help")
    assert proc.returncode == 0
    assert "check" in proc.stdout
    proc = run_cli("check", "--help")
    assert proc.returncode == 0
    for option in ("--as-of", "--policy", "--policy-version", "--data", "--format", "--output"):
        assert option in proc.stdout


# --- run-time errors stay on their rule ---------------------------------------------------------

RUNTIME_POLICY = """\
policy: runtime-demo
version: "1"
effective_from: 2000-01-01
params:
  fee: 75
  zero: 0
definitions:
  limit: applicant.notes.limit
rules:
  - id: demo.divide
    title: Divides by zero at run time
    require: params.fee / params.zero > 1
    message: never shown
  - id: demo.compare
    title: Compares a free-form note with a number
    require: limit > 3
    message: the limit is too low
  - id: demo.usmle_id
    title: Has a USMLE ID
    require: applicant.usmle_id != null
    message: Request a USMLE ID
  - id: demo.diploma
    title: Diploma received
    require: applicant.education.diploma_received == true
    message: Receive the diploma
outputs:
  fee_share: params.fee / params.zero
  note_limit: limit
"""


def test_runtime_errors_stay_on_their_rule(tmp_path):
    policy = tmp_path / "runtime.yaml"
    policy.write_text(RUNTIME_POLICY, encoding="utf-8")
    record = json.loads((EXAMPLES / "pending.json").read_text())
    record["notes"] = {"limit": "abc"}  # `notes` is free-form: the checker cannot know its type
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))

    proc, payload = check_json(path, "--policy", policy, "--as-of", AS_OF)
    result = only_result(payload)
    got = outcomes(result)
    assert got == {"demo.divide": "error", "demo.compare": "error",
                   "demo.usmle_id": "met", "demo.diploma": "unmet"}
    assert "zero" in rule(result, "demo.divide")["message"]
    compare = rule(result, "demo.compare")["message"]
    assert "compare" in compare and "string" in compare and "number" in compare
    assert rule(result, "demo.diploma")["message"] == "Receive the diploma"
    assert result["decision"] == "pending"  # an error is not met, and not blocked
    assert proc.returncode == 1

    text = invoke("check", path, "--policy", policy, "--as-of", AS_OF, "--format", "text")
    no_traceback(text)
    assert "demo.divide" in text.stdout and "division by zero" in text.stdout
    assert "demo.compare" in text.stdout


def test_runtime_error_in_one_record_does_not_affect_the_next(tmp_path):
    policy = tmp_path / "runtime.yaml"
    policy.write_text(RUNTIME_POLICY, encoding="utf-8")
    bad = json.loads((EXAMPLES / "pending.json").read_text())
    bad["notes"] = {"limit": "abc"}
    good = json.loads((EXAMPLES / "pending.json").read_text())
    good["notes"] = {"limit": 5}
    path = tmp_path / "two.jsonl"
    path.write_text(json.dumps(bad) + "\n" + json.dumps(good) + "\n")
    _, payload = check_json(path, "--policy", policy, "--as-of", AS_OF)
    first, second = payload["results"]
    assert outcomes(first)["demo.compare"] == "error"
    assert outcomes(second)["demo.compare"] == "met"
    assert second["outputs"]["note_limit"] == 5


def test_the_guides_run_time_error_example_names_the_place_of_the_failed_definition(tmp_path):
    """The guide's "Errors while evaluating a record" example, run as it is written there."""
    guide = (ROOT / "docs" / "policy-authors-guide.md").read_text("utf-8")
    start = guide.index("# /tmp/broken.yaml\n")
    policy = tmp_path / "broken.yaml"
    policy.write_text(guide[start:guide.index("```", start)], encoding="utf-8")
    shown = guide.index("$ ecfmg-policy check examples/pending.json --policy /tmp/broken.yaml")
    block = guide[shown:guide.index("```", shown)].splitlines()[1:]
    done = invoke("check", "examples/pending.json", "--policy", str(policy), "--as-of", "2020-06-01",
                   "--format", "text")
    assert done.returncode == 1
    assert done.stdout.rstrip("\n").splitlines() == [line.replace("/tmp/broken.yaml", str(policy)) for line in block]
    assert done.stdout.count(f"division by zero (at {policy}:7:11)") == 2
