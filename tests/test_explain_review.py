"""``ecfmg-policy explain`` under hostile input: what an adversarial review found, held to.

Each test is a way a user could hit a defect: the command's own output (its words,
its exit status, the files it leaves) is what is asserted.
"""

from __future__ import annotations


from cli_helpers import ROOT, invoke

EXAMPLES = ROOT / "examples"


def test_output_onto_the_jsonl_file_a_line_of_which_is_explained_is_refused(tmp_path):
    batch = tmp_path / "batch.jsonl"
    batch.write_bytes((EXAMPLES / "batch.jsonl").read_bytes())
    proc = invoke("explain", f"{batch}:2", "--as-of", "2020-06-01", "--output", str(batch))
    assert proc.returncode == 2
    assert "is also an input" in proc.stderr
    assert batch.read_bytes() == (EXAMPLES / "batch.jsonl").read_bytes()  # the records are still there
