"""``ecfmg-policy explain``: what a person reads about one record, and what a program gets.

Run through the real command line on the bundled examples and on records written
here; the JSON is held to its shipped schema and to ``check``'s own answer.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from cli_helpers import ROOT, assert_readme_shows_real_output, invoke, run_cli
from ecfmg_policy.evaluator.records.schemas import schema

EXAMPLES = ROOT / "examples"


def explain_json(*args: str, stdin: str | None = None) -> tuple[dict, int]:
    proc = invoke("explain", *args, "--format", "json", stdin=stdin)
    assert proc.stdout, proc.stderr
    return json.loads(proc.stdout), proc.returncode


def check_json(*args: str) -> dict:
    proc = invoke("check", *args, "--format", "json")
    return json.loads(proc.stdout)["results"][0]


def rule(document: dict, rule_id: str) -> dict:
    return next(r for r in document["rules"] if r["id"] == rule_id)


def write_record(tmp_path: Path, name: str, change) -> Path:
    record = json.loads((EXAMPLES / "pending.json").read_text())
    change(record)
    path = tmp_path / name
    path.write_text(json.dumps(record))
    return path


# --- the text a person reads ------------------------------------------------------------------


def test_text_says_the_decision_each_rule_and_why():
    proc = invoke("explain", "examples/pending.json", "--as-of", "2020-06-01")
    assert proc.returncode == 1  # pending, as check says
    out = proc.stdout
    assert out.startswith("examples/pending.json as of 2020-06-01: PENDING\n"
                          "Pending: 4 requirements are still to be met; none blocks certification.\n")
    # what blocks comes first, then what is still to do, then what is met
    assert out.index("Still to do (4)") < out.index("Met (9)") < out.index("Does not apply (2)")
    assert "  ✗ still to do  exams.passed_in_window: USMLE Step 1, Step 2 CK and Step 2 CS passed within one " \
           "seven-year window\n      Pass USMLE_STEP2_CK, USMLE_STEP2_CS by 2026-05-02\n" in out
    # the facts by pointer, grouped by attempt; parameters with who set them; the clause quoted
    assert "        /exams/0: date 2019-05-02, exam USMLE_STEP1, result pass\n" in out
    assert "        /exams/1: date 2020-01-15, exam USMLE_STEP2_CK, result fail\n" in out
    assert "        max_attempts = 6  (set by version 2004.1)\n" in out
    assert "        The days a seven-year window starts (window_starts): 2019-05-02\n" in out
    assert "        The attempts that count (attempts): /exams/0, /exams/1\n" in out
    assert "      Clause: version 2004.1 (in force 2004-06-14 to 2021-01-25), " \
           "policies/ecfmg-certification/2004-06-14.yaml:" in out
    assert '"The USMLE program limits to 6 as the total number of times an examinee can take the same Step' in out
    # a field the record does not give is said so, not shown as a Python None
    assert "/education/credentials/diploma/verified_on = not given" in out
    assert "None" not in out and "True" not in out and "{'" not in out


def test_text_timeline_has_one_line_per_exam_and_the_as_of_line():
    out = invoke("explain", "examples/ineligible.json", "--as-of", "2020-06-01").stdout
    lanes = [line for line in out.splitlines() if line.startswith("  USMLE_")]
    assert [line.split()[0] for line in lanes] == ["USMLE_STEP1", "USMLE_STEP2_CK", "USMLE_STEP2_CS"]
    assert all("●" in line and "│" in line for line in lanes)  # a pass each, and the as-of column
    assert lanes[0].endswith("1 attempt, passed 2018-02-19")
    # the passes fall left to right in date order on the chart
    assert lanes[0].index("●") < lanes[1].index("●") < lanes[2].index("●") < lanes[0].index("│")


def test_reference_data_is_named_with_its_pointer():
    out = invoke("explain", "examples/ineligible.json", "--as-of", "2020-06-01").stdout
    assert "  ⛔ can no longer be met  school.graduation_year:" in out
    assert "        world_directory /schools/F0000202/ecfmg_note/graduation_years/to = 2015\n" in out


def test_text_escapes_what_a_terminal_would_act_on(tmp_path):
    record = json.loads((EXAMPLES / "eligible.json").read_text())
    record["name"]["given"] = "Eve\x1b[2J\x1b[31mELIGIBLE"
    (tmp_path / "hostile.json").write_text(json.dumps(record))
    out = invoke("explain", str(tmp_path / "hostile.json"), "--as-of", "2020-06-01").stdout
    assert "\x1b" not in out
    assert "name: Eve\\x1b[2J\\x1b[31mELIGIBLE Raman" in out  # the certificate's name, shown escaped
    proc = invoke("explain", str(EXAMPLES / "eligible.json"), "--as-of", "2020-06-01", "--color", "always")
    assert "\x1b[" in proc.stdout and proc.returncode == 0  # colour only when asked, and never from a record


# --- agreement with check, and the JSON document ------------------------------------------------


@pytest.mark.parametrize("name", ["eligible", "pending", "ineligible", "not-applicable", "invalid"])
def test_outcomes_messages_and_outputs_are_checks_own(name):
    path = f"examples/{name}.json"
    document, code = explain_json(path, "--as-of", "2021-03-01")
    checked = check_json(path, "--as-of", "2021-03-01")
    assert document["decision"] == checked["decision"]
    assert code == invoke("check", path, "--as-of", "2021-03-01").returncode
    shown = {r["id"]: (r["title"], r["outcome"], r["message"], r["severity"]) for r in document["rules"]}
    assert shown == {r["id"]: (r["title"], r["outcome"], r["message"], r["severity"]) for r in checked["rules"]}
    assert document["outputs"] == checked["outputs"]
    assert document["disagreements"] == []
    Draft202012Validator(schema("explain"), format_checker=FormatChecker()).validate(document)


def test_json_is_byte_identical_for_the_same_input_and_carries_hashes():
    args = ("explain", "examples/pending.json", "--as-of", "2022-03-01", "--format", "json")
    first, second = invoke(*args).stdout, invoke(*args).stdout
    assert first == second
    document = json.loads(first)
    assert document["format"] == "ecfmg-policy.explain/1"
    assert document["record"] == {"label": "examples/pending.json",
                                  "sha256": hashlib.sha256((EXAMPLES / "pending.json").read_bytes()).hexdigest()}
    policy = document["policy"]
    assert (policy["version"], policy["effective_from"], policy["effective_to"]) == ("2022.1", "2022-01-01", None)
    files = {f["file"]: f["sha256"] for f in policy["files"]}
    assert policy["files"][0]["file"] == policy["file"]  # its own file first, then those it extends
    assert files == {str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest()
                     for p in (ROOT / "policies" / "ecfmg-certification").glob("*.yaml")}


def test_each_rule_carries_its_facts_parameters_computed_values_and_clause():
    document, _ = explain_json("examples/pending.json", "--as-of", "2022-03-01")
    fee = rule(document, "application.fee")
    assert fee["outcome"] == "met"
    assert {"pointer": "/application/fee_paid_usd", "value": 75, "given": True} in fee["facts"]
    # the fee is read at the day the application was submitted, from the history 2022.1 writes
    assert [(p["name"], p["value"], p["on"], p["version"]) for p in fee["params"]] == \
        [("application_fee_usd", 75, "2018-10-01", "2022.1")]
    assert [(p["name"], p["version"]) for p in rule(document, "education.academic_years")["params"]] == \
        [("min_academic_years", "2004.1")]  # a parameter no later version touches
    assert fee["clause"]["version"] == "2022.1" and fee["clause"]["written_in"] == "2022.1"
    listed = rule(document, "school.listed")
    assert listed["data"] == [{"name": "world_directory", "pointer": "/schools/F0000404/ecfmg_note",
                               "value": {"graduation_years": {"from": 2000, "to": "current"}}, "given": True}]
    window = rule(document, "exams.passed_in_window")
    computed = {c["name"]: c["value"] for c in window["computed"]}
    assert computed["window_starts"] == ["2019-05-02"]
    assert computed["exam_requirements_met_on"] is None
    assert window["clause"]["source"].startswith('"ECFMG policy requires')


def test_a_fact_dated_after_the_as_of_date_shows_as_not_counting(tmp_path):
    def change(record):
        record["exams"].append({"exam": "USMLE_STEP2_CK", "date": "2021-01-10", "result": "pass"})
    path = write_record(tmp_path, "later-pass.json", change)
    document, _ = explain_json(str(path), "--as-of", "2020-06-01")
    lane = next(e for e in document["timeline"]["exams"] if e["exam"] == "USMLE_STEP2_CK")
    assert [(a["date"], a["counts"]) for a in lane["attempts"]] == [("2020-01-15", True), ("2021-01-10", False)]
    text = invoke("explain", str(path), "--as-of", "2020-06-01").stdout
    assert "◌" in text and "1 attempt (1 after the as-of date)" in text


def test_an_out_of_scope_record_says_why_no_rule_applies():
    document, code = explain_json("examples/not-applicable.json", "--as-of", "2020-06-01")
    assert (document["decision"], code) == ("not_applicable", 0)
    assert document["summary"].startswith("Not applicable: the record is outside the policy's scope")
    assert all(r["outcome"] == "not_applicable" for r in document["rules"])
    # each rule shows what the scope read: the school's country
    assert {"pointer": "/medical_school/country", "value": "US", "given": True} in document["rules"][0]["facts"]


# --- input and exit status ----------------------------------------------------------------------


def test_an_invalid_record_lists_its_problems_and_exits_2():
    proc = invoke("explain", "examples/invalid.json", "--as-of", "2020-06-01")
    assert proc.returncode == 2
    assert "examples/invalid.json as of 2020-06-01: INVALID" in proc.stdout
    assert "  error at /exams/0/date: `2021-02-30` is not a valid date" in proc.stdout
    document, code = explain_json("examples/invalid.json", "--as-of", "2020-06-01")
    assert code == 2 and document["rules"] == [] and document["timeline"] is None
    assert "/exams/0/date" in invoke("explain", "examples/invalid.json", "--format", "json").stderr


def test_one_line_of_a_json_lines_file_by_the_label_check_gives_it():
    labels = [json.loads(line)["record"] for line in
              invoke("check", "examples/batch.jsonl", "--as-of", "2020-06-01", "--format", "jsonl").stdout.splitlines()]
    document, _ = explain_json(labels[1], "--as-of", "2020-06-01")
    assert document["record"]["label"] == labels[1] == "examples/batch.jsonl:2"
    line = (EXAMPLES / "batch.jsonl").read_bytes().split(b"\n")[1]
    assert document["record"]["sha256"] == hashlib.sha256(line).hexdigest()


@pytest.mark.parametrize("argument, said", [
    ("examples/batch.jsonl", "holds a record a line; name one as examples/batch.jsonl:LINE"),
    ("examples", "is a folder; name one record"),
    ("examples/batch.jsonl:99", "there is no record on line 99 of examples/batch.jsonl"),
    ("examples/nothing.json", "no such file; name one record"),
])
def test_anything_but_one_record_is_refused_with_what_to_do(argument, said):
    proc = invoke("explain", argument)
    assert proc.returncode == 2 and said in proc.stderr and "Traceback" not in proc.stderr


def test_standard_input_and_an_output_file(tmp_path):
    text = (EXAMPLES / "eligible.json").read_text()
    document, code = explain_json("-", "--as-of", "2020-06-01", stdin=text)
    assert (document["record"]["label"], document["decision"], code) == ("-", "eligible", 0)
    out = tmp_path / "why.json"
    proc = invoke("explain", "examples/eligible.json", "--as-of", "2020-06-01", "--format", "json",
                  "--output", str(out))
    assert proc.returncode == 0 and proc.stdout == ""
    assert json.loads(out.read_text())["decision"] == "eligible"


def test_a_broken_policy_exits_3(tmp_path):
    (tmp_path / "p.yaml").write_text("policy: x\n")
    proc = invoke("explain", "examples/eligible.json", "--policy", str(tmp_path / "p.yaml"))
    assert proc.returncode == 3 and "the policy cannot be used" in proc.stderr


def test_the_installed_command_runs_it():
    proc = run_cli("explain", "examples/eligible.json", "--as-of", "2020-06-01")
    assert proc.returncode == 0 and proc.stdout.startswith("examples/eligible.json as of 2020-06-01: ELIGIBLE")


def test_a_record_with_many_attempts_stays_readable_in_text_and_whole_in_json(tmp_path):
    def change(record):
        first = datetime.date(2018, 1, 1)
        record["exams"] = [{"exam": "USMLE_STEP2_CK", "date": (first + datetime.timedelta(weeks=n)).isoformat(),
                            "result": "fail"} for n in range(50)]
    path = write_record(tmp_path, "many.json", change)
    out = invoke("explain", str(path), "--as-of", "2020-06-01").stdout
    window = out[out.index("exams.passed_in_window"):]
    assert "        … and 10 more (--format json lists them all)\n" in window  # a line an attempt, 40 shown
    document, _ = explain_json(str(path), "--as-of", "2020-06-01")
    facts = rule(document, "exams.passed_in_window")["facts"]
    assert [f["pointer"] for f in facts if f["pointer"].endswith("/date")] == [f"/exams/{i}/date" for i in range(50)]


def test_the_readmes_excerpt_is_what_the_command_prints():
    """The README shows explain's output abridged with `…` lines: every other line is printed, in order."""
    assert_readme_shows_real_output("ecfmg-policy explain examples/pending.json", least_lines=30)


def test_the_chart_draws_a_window_of_one_column_as_a_mark_not_a_lone_bracket():
    from ecfmg_policy.cli.explain_text import timeline_chart

    timeline = {"from": "2000-01-01", "to": "2030-01-01", "as_of": "2029-06-01", "exams": [], "versions": [],
                "windows": [{"start": "2010-03-01", "end": "2010-03-09", "current": False},
                            {"start": "2012-01-01", "end": "2019-01-01", "current": True}]}
    lines = timeline_chart(timeline)
    short, long = (line for line in lines if line.startswith("  window"))
    assert "#" in short and "[" not in short and "]" not in short
    assert "[" in long and "=]" in long and long.endswith("the window that counts")
