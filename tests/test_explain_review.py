"""``ecfmg-policy explain`` under hostile input: what an adversarial review found, held to.

Each test is a way a user could hit a defect: the command's own output (its words,
its exit status, the files it leaves) is what is asserted.
"""

from __future__ import annotations


import json
from pathlib import Path

from cli_helpers import ROOT, invoke

EXAMPLES = ROOT / "examples"


def test_output_onto_the_jsonl_file_a_line_of_which_is_explained_is_refused(tmp_path):
    batch = tmp_path / "batch.jsonl"
    batch.write_bytes((EXAMPLES / "batch.jsonl").read_bytes())
    proc = invoke("explain", f"{batch}:2", "--as-of", "2020-06-01", "--output", str(batch))
    assert proc.returncode == 2
    assert "is also an input" in proc.stderr
    assert batch.read_bytes() == (EXAMPLES / "batch.jsonl").read_bytes()  # the records are still there


def _record_with_name(tmp_path, escaped: str) -> Path:
    record = tmp_path / "named.json"
    record.write_text((EXAMPLES / "eligible.json").read_text().replace('"Asha"', f'"{escaped}"'))
    return record


def test_json_of_a_record_with_a_lone_surrogate_is_written_not_a_crash(tmp_path):
    record = _record_with_name(tmp_path, "A\\ud800sha")
    proc = invoke("explain", str(record), "--as-of", "2020-06-01", "--format", "json")
    assert proc.returncode == 0, proc.stderr  # eligible, as check says; not an internal error (exit 4)
    assert json.loads(proc.stdout)["outputs"]["certificate"]["name"] == "A\ud800sha Raman"  # exact, as check's


def test_json_keeps_bidirectional_overrides_out_of_a_terminal(tmp_path):
    record = _record_with_name(tmp_path, "A\\u202esha")
    proc = invoke("explain", str(record), "--as-of", "2020-06-01", "--format", "json")
    assert "\u202e" not in proc.stdout  # escaped, as check's JSON escapes it
    assert json.loads(proc.stdout)["outputs"]["certificate"]["name"] == "A\u202esha Raman"


def test_html_of_a_record_with_a_lone_surrogate_is_written_not_a_crash(tmp_path):
    record = _record_with_name(tmp_path, "A\\ud800sha")
    proc = invoke("explain", str(record), "--as-of", "2020-06-01", "--format", "html")
    assert proc.returncode == 0, proc.stderr  # eligible, as check says; not an internal error (exit 4)
    assert "A\\ud800sha Raman" in proc.stdout  # made visible, as the text form does


def test_html_shows_bidirectional_overrides_and_controls_instead_of_obeying_them(tmp_path):
    record = _record_with_name(tmp_path, "A\\u202esha\\u001b[31m")
    page = invoke("explain", str(record), "--as-of", "2020-06-01", "--format", "html").stdout
    # a browser would reorder the rest of the line (the tool's own words too) after an override
    assert "\u202e" not in page and "\x1b" not in page
    assert "A\\u202esha\\x1b[31m Raman" in page


NOTES_TIMELINE = """\
policy: notes-timeline
version: "2004.1"
effective_from: 2004-06-14
source: The seed page.
definitions:
  window_starts:
    title: The days a window starts
    value: '[a.date for a in applicant.exams if a.result == "pass" and a.date <= as_of]'
rules:
  - id: exams.passed
    title: A USMLE Step passed
    require: window_starts != []
    source: '"pass the USMLE Steps"'
timeline:
  windows: applicant.notes.windows
  current: min(window_starts)
"""


def _notes_policy(tmp_path: Path, windows) -> tuple[Path, Path]:
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "2004-06-14.yaml").write_text(NOTES_TIMELINE)
    record = json.loads((EXAMPLES / "pending.json").read_text())
    record["notes"] = {"windows": windows}
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    return policy, path


def test_windows_of_the_wrong_kind_at_run_time_are_said_in_plain_words(tmp_path):
    # The checker cannot know what is under notes; the run finds a number where a date should be.
    policy, record = _notes_policy(tmp_path, [{"start": 1, "end": 2}, "a window"])
    proc = invoke("explain", str(record), "--policy", str(policy), "--as-of", "2020-06-01")
    assert proc.returncode == 0, proc.stderr  # eligible, as check says
    line = next(line for line in proc.stdout.splitlines() if "windows" in line and "could not" in line)
    assert "Error" not in line and "isoformat" not in line and "'" not in line, line  # no Python in it
    assert "start" in line and "end" in line and "date" in line, line  # what a window must be


def test_windows_that_are_not_a_list_at_run_time_are_said_in_plain_words(tmp_path):
    policy, record = _notes_policy(tmp_path, 7)
    proc = invoke("explain", str(record), "--policy", str(policy), "--as-of", "2020-06-01")
    assert proc.returncode == 0, proc.stderr
    line = next(line for line in proc.stdout.splitlines() if "windows" in line and "could not" in line)
    assert "Error" not in line and "iterable" not in line and "'" not in line, line


NOTES_LOOP = """\
policy: notes-loop
version: "2004.1"
effective_from: 2004-06-14
source: The seed page.
definitions:
  marked:
    title: Notes marked
    value: 'count([n for n in applicant.notes.items if n.y.z == 1])'
rules:
  - id: notes.marked
    title: A note is marked
    require: marked > 0
    source: '"x"'
"""


def test_time_grows_with_the_facts_read_not_with_their_square(tmp_path):
    # Every item of a long list under notes read (within the budget): an object read and what is
    # inside it read too, 40,000 facts. Quadratic, this took minutes; linear, about a second.
    import time

    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "2004-06-14.yaml").write_text(NOTES_LOOP)
    record = json.loads((EXAMPLES / "pending.json").read_text())
    record["notes"] = {"items": [{"y": {"z": i % 2}} for i in range(20_000)]}
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    started = time.process_time()
    proc = invoke("explain", str(path), "--policy", str(policy), "--as-of", "2020-06-01", "--format", "json")
    spent = time.process_time() - started
    assert proc.returncode == 0, proc.stderr
    facts = json.loads(proc.stdout)["rules"][0]["facts"]
    assert len(facts) == 20_000  # the list and the objects read through are left out: what is inside says more
    assert facts[0] == {"pointer": "/notes/items/0/y/z", "value": 0, "given": True}
    assert spent < 15, f"{spent:.1f} s of CPU for one record"


def test_an_attempt_dated_in_the_last_year_a_date_can_have_is_drawn_not_a_crash(tmp_path):
    def change(record):
        record["exams"] = [{"exam": "USMLE_STEP1", "date": "0001-01-01", "result": "pass"},
                           {"exam": "USMLE_STEP1", "date": "9999-12-31", "result": "pass"}]
    record = tmp_path / "far.json"
    data = json.loads((EXAMPLES / "eligible.json").read_text())
    change(data)
    record.write_text(json.dumps(data))
    checked = invoke("check", str(record), "--as-of", "2020-06-01", "--format", "json")
    for form in ("text", "json", "html"):
        proc = invoke("explain", str(record), "--as-of", "2020-06-01", "--format", form)
        assert proc.returncode == checked.returncode == 1, proc.stderr  # pending, not an internal error
    document = json.loads(invoke("explain", str(record), "--as-of", "2020-06-01", "--format", "json").stdout)
    assert document["decision"] == json.loads(checked.stdout)["results"][0]["decision"]
    assert document["timeline"]["from"] == "0001-01-01" and document["timeline"]["to"] == "9999-12-31"


NOTES_BUDGET = """\
policy: notes-budget
version: "2004.1"
effective_from: 2004-06-14
source: The seed page.
definitions:
  marked:
    title: Notes marked
    value: count([x for x in applicant.notes.items if x == 1])
rules:
  - id: notes.marked
    title: A note is marked
    require: marked > 0
    source: '"x"'
  - id: graduate
    title: A graduate
    require: applicant.status == "graduate"
    source: '"y"'
"""


def test_a_record_over_the_budget_is_not_reported_as_a_disagreement_with_check(tmp_path):
    # check stops the one definition that walks too much; the other rule is met. The step-by-step
    # walk stops at the same budget, after which it can no longer say anything: that is not a bug
    # of the tool for the user to report.
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "2004-06-14.yaml").write_text(NOTES_BUDGET)
    record = json.loads((EXAMPLES / "eligible.json").read_text())
    record["notes"] = {"items": [i % 3 for i in range(1_100_000)]}
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    args = (str(path), "--policy", str(policy), "--as-of", "2020-06-01")
    checked = json.loads(invoke("check", *args, "--format", "json").stdout)["results"][0]
    document = json.loads(invoke("explain", *args, "--format", "json").stdout)
    assert [(r["id"], r["outcome"]) for r in checked["rules"]] == [("notes.marked", "error"), ("graduate", "met")]
    assert document["disagreements"] == []
    assert "Please report it" not in invoke("explain", *args).stdout


def test_a_problem_with_no_place_is_said_without_an_empty_one(tmp_path):
    record = tmp_path / "deep.json"
    record.write_text("[" * 100_000)
    proc = invoke("explain", str(record), "--format", "json")
    assert proc.returncode == 2
    assert proc.stderr == f"ecfmg-policy: {record}: JSON is nested too deeply to read\n"
