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
