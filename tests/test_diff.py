"""``ecfmg-policy diff``: its counts are two ``check`` runs compared record by record.

Every way of giving a side (a folder, a git revision, a version, a date, the default head)
is held to what ``check`` says of the same records under each side's policies, cell by
cell of the decision matrix, rule by rule and example by example. Then the changes a policy
editor makes: a rule added, removed and changed; the fee raised in a copy of the policies,
which must move exactly the records that paid the old fee in 2022.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from cli_helpers import ROOT, assert_readme_shows_real_output, invoke, run_cli
from ecfmg_policy.evaluator.records.schemas import schema

CORPUS = ROOT / "examples" / "corpus.jsonl"
POLICIES = ROOT / "policies"


def diff_json(*args: str, cwd: Path | None = None) -> tuple[dict, subprocess.CompletedProcess]:
    proc = invoke("diff", *args, "--format", "json", cwd=cwd)
    assert proc.stdout, proc.stderr
    document = json.loads(proc.stdout)
    Draft202012Validator(schema("diff"), format_checker=FormatChecker()).validate(document)
    return document, proc


def check_results(*args: str, cwd: Path | None = None) -> list[dict]:
    proc = invoke("check", *args, "--format", "jsonl", cwd=cwd)
    assert proc.returncode in (0, 1, 2), proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def expected(base: list[dict], head: list[dict], examples: int = 5) -> dict:
    """What a diff must say, worked out from two check runs on the same records, record by record."""
    assert [r["record"] for r in base] == [r["record"] for r in head]
    matrix: Counter = Counter()
    transitions: dict[str, Counter] = {}
    rule_examples: dict[tuple, list[str]] = {}
    cells: dict[tuple, list[str]] = {}
    for b, h in zip(base, head):
        matrix[(b["decision"], h["decision"])] += 1
        if "invalid" in (b["decision"], h["decision"]):
            continue
        head_rules = {r["id"]: r for r in h["rules"]}
        for rule in b["rules"]:
            other = head_rules.get(rule["id"])
            if other is None:
                continue
            pair = (rule["outcome"], other["outcome"])
            transitions.setdefault(rule["id"], Counter())[pair] += 1
            if pair[0] != pair[1]:
                kept = rule_examples.setdefault((rule["id"], *pair), [])
                if len(kept) < examples:
                    kept.append(b["record"])
        if b["decision"] != h["decision"]:
            kept = cells.setdefault((b["decision"], h["decision"]), [])
            if len(kept) < examples:
                kept.append(b["record"])
    return {"matrix": matrix, "transitions": transitions, "rule_examples": rule_examples, "cells": cells}


def assert_agrees(document: dict, base: list[dict], head: list[dict]) -> None:
    want = expected(base, head)
    assert {(c["base"], c["head"]): c["count"] for c in document["matrix"]} == dict(want["matrix"])
    assert document["records"]["total"] == len(base)
    assert document["records"]["changed"] == sum(n for (b, h), n in want["matrix"].items() if b != h)
    for rule in document["rules"]:
        if rule["present"] != "both":
            continue
        counts = want["transitions"].get(rule["id"], Counter())
        assert {(t["base"], t["head"]): t["count"] for t in rule["transitions"]} == \
            {pair: n for pair, n in counts.items() if pair[0] != pair[1]}, rule["id"]
        assert {u["outcome"]: u["count"] for u in rule["unchanged"]} == \
            {pair[0]: n for pair, n in counts.items() if pair[0] == pair[1]}, rule["id"]
        for t in rule["transitions"]:
            assert t["examples"] == want["rule_examples"][(rule["id"], t["base"], t["head"])]
    assert {(c["base"], c["head"]): [r["record"] for r in c["records"]] for c in document["examples"]} == \
        want["cells"]
    by_label_base = {r["record"]: r for r in base}
    by_label_head = {r["record"]: r for r in head}
    for cell in document["examples"]:
        for example in cell["records"]:
            for rule in example["rules"]:
                for side, results in (("base", by_label_base), ("head", by_label_head)):
                    if rule[side] is None:
                        continue
                    checked = next(r for r in results[example["record"]]["rules"] if r["id"] == rule["id"])
                    assert rule[side] == {"outcome": checked["outcome"], "message": checked["message"]}


# --- every way of giving a side --------------------------------------------------------------------

def test_two_versions_on_one_date_agree_with_two_checks():
    document, proc = diff_json(str(CORPUS), "--base-version", "2021.2", "--head-version", "2022.1",
                               "--as-of", "2022-06-01")
    base = check_results(str(CORPUS), "--policy-version", "2021.2", "--as-of", "2022-06-01")
    head = check_results(str(CORPUS), "--policy-version", "2022.1", "--as-of", "2022-06-01")
    assert_agrees(document, base, head)
    assert document["records"]["changed"] > 0
    assert (document["base"]["policy"]["version"], document["head"]["policy"]["version"]) == ("2021.2", "2022.1")
    assert document["base"]["version_given"] and document["head"]["version_given"]
    assert proc.returncode == 0


def test_two_dates_agree_with_two_checks_and_say_the_version_moved_with_the_date():
    document, _ = diff_json(str(CORPUS), "--base-as-of", "2021-06-30", "--head-as-of", "2021-07-01")
    base = check_results(str(CORPUS), "--as-of", "2021-06-30")
    head = check_results(str(CORPUS), "--as-of", "2021-07-01")
    assert_agrees(document, base, head)
    assert document["records"]["changed"] > 0
    assert "the version differs only because of the date" in document["note"]
    assert "2021.1 (in force on 2021-06-30)" in document["note"] and "2021.2 (in force on 2021-07-01)" in document["note"]
    text = invoke("diff", str(CORPUS), "--base-as-of", "2021-06-30", "--head-as-of", "2021-07-01").stdout
    assert "note: The policy files are the same on both sides: the version differs only because of the date." in text


def test_one_version_two_dates_says_every_move_is_the_dates():
    document, _ = diff_json(str(CORPUS), "--base-as-of", "2022-06-01", "--head-as-of", "2023-06-01")
    base = check_results(str(CORPUS), "--as-of", "2022-06-01")
    head = check_results(str(CORPUS), "--as-of", "2023-06-01")
    assert_agrees(document, base, head)
    assert document["note"].startswith("Both sides use version 2022.1 from the same policy files: every move comes "
                                       "from the date alone")


def fee_copy(folder: Path, fee: str = "200") -> Path:
    shutil.copytree(POLICIES, folder)
    path = folder / "ecfmg-certification" / "2022-01-01.yaml"
    text = path.read_text()
    assert "    2022-01-01: 160\n" in text
    path.write_text(text.replace("    2022-01-01: 160\n", f"    2022-01-01: {fee}\n"))
    return folder


def test_two_folders_agree_with_two_checks(tmp_path):
    raised = fee_copy(tmp_path / "raised")
    document, _ = diff_json(str(CORPUS), "--base", str(POLICIES), "--head", str(raised), "--as-of", "2022-06-01")
    base = check_results(str(CORPUS), "--policy", str(POLICIES), "--as-of", "2022-06-01")
    head = check_results(str(CORPUS), "--policy", str(raised), "--as-of", "2022-06-01")
    assert_agrees(document, base, head)
    assert document["note"] is None
    changed = [f["file"] for f, g in zip(document["base"]["files"], document["head"]["files"]) if f["sha256"] != g["sha256"]]
    assert changed == ["policies/ecfmg-certification/2022-01-01.yaml"]


def test_the_head_is_what_check_uses_by_default(tmp_path):
    """No --head: the nearest policies/ folder (here, a checkout with the fee raised), as check finds it."""
    fee_copy(tmp_path / "policies")
    shutil.copy(CORPUS, tmp_path / "corpus.jsonl")
    document, _ = diff_json("corpus.jsonl", "--base", str(POLICIES), "--as-of", "2022-06-01", cwd=tmp_path)
    base = check_results("corpus.jsonl", "--policy", str(POLICIES), "--as-of", "2022-06-01", cwd=tmp_path)
    head = check_results("corpus.jsonl", "--as-of", "2022-06-01", cwd=tmp_path)
    assert_agrees(document, base, head)
    assert document["head"]["policies"] == "policies"
    assert document["records"]["changed"] > 0


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True,
                          env={"GIT_AUTHOR_NAME": "editor", "GIT_AUTHOR_EMAIL": "editor@example.org",
                               "GIT_COMMITTER_NAME": "editor", "GIT_COMMITTER_EMAIL": "editor@example.org",
                               "HOME": str(repo), "PATH": "/usr/bin:/bin:/usr/local/bin"})
    return done.stdout


def two_commits(repo: Path) -> str:
    """A repository whose first commit has the bundled policies and the corpus, and whose
    second raises the fee; the first commit's id is returned."""
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shutil.copytree(POLICIES, repo / "policies")
    (repo / "examples").mkdir()
    shutil.copy(CORPUS, repo / "examples" / "corpus.jsonl")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "the policies")
    first = git(repo, "rev-parse", "HEAD").strip()
    fee_copy(repo / "raised")
    shutil.rmtree(repo / "policies")
    (repo / "raised").rename(repo / "policies")
    git(repo, "commit", "-qam", "raise the fee")
    return first


def test_a_git_revision_agrees_with_check_of_that_revision(tmp_path):
    repo = tmp_path / "repo"
    first = two_commits(repo)
    document, _ = diff_json("examples/corpus.jsonl", "--base-ref", "HEAD~1", "--as-of", "2022-06-01", cwd=repo)
    old = tmp_path / "old"
    git(repo, "worktree", "add", "-q", str(old), first)
    base = check_results("examples/corpus.jsonl", "--policy", str(old / "policies"), "--as-of", "2022-06-01", cwd=repo)
    head = check_results("examples/corpus.jsonl", "--as-of", "2022-06-01", cwd=repo)
    assert_agrees(document, base, head)
    assert document["records"]["changed"] > 0
    assert document["base"]["revision"] == "HEAD~1" and document["base"]["commit"] == first
    assert document["base"]["policies"] == "HEAD~1:policies"
    assert "HEAD~1:policies/ecfmg-certification/2022-01-01.yaml" in [f["file"] for f in document["base"]["files"]]
    assert git(repo, "status", "--porcelain") == ""  # the working tree is never touched


def test_the_ci_recipe_in_the_guide_runs_as_written(tmp_path):
    """The guide's GitHub Actions job: its `diff --base-ref` line, run word for word in a
    pull request's clone (an origin whose main is the first commit), writes the markdown
    report to the job summary."""
    guide = (ROOT / "docs" / "policy-authors-guide.md").read_text()
    line = next(l for l in guide.splitlines() if "ecfmg-policy diff" in l and "GITHUB_STEP_SUMMARY" in l)
    command = line.split("- run: ", 1)[1]
    origin, repo = tmp_path / "origin.git", tmp_path / "repo"
    two_commits(repo)
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(repo, "push", "-q", str(origin), "HEAD~1:refs/heads/main")
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "fetch", "-q", "origin")
    summary = tmp_path / "summary.md"
    summary.write_text("")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ecfmg-policy").write_text(f"#!/bin/sh\nexec {sys.executable} -m ecfmg_policy \"$@\"\n")
    (bin_dir / "ecfmg-policy").chmod(0o755)
    done = subprocess.run(["bash", "-eo", "pipefail", "-c", command], cwd=repo, capture_output=True, text=True,
                          timeout=300, env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path),
                                            "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_BASE_REF": "main"})
    assert done.returncode == 0, done.stderr
    report = summary.read_text()
    assert report.startswith("## ecfmg-policy diff: ")
    document, _ = diff_json("examples/corpus.jsonl", "--base-ref", "origin/main", "--as-of", "2022-06-01", cwd=repo)
    assert report.startswith(f"## ecfmg-policy diff: {document['records']['changed']:,} of "
                             f"{document['records']['total']:,} decision(s) changed")
    assert "| policies | origin/main:policies | policies |" in report
    assert "`application.fee`" in report


# --- what a policy editor changes --------------------------------------------------------------------

def applicant(**application) -> dict:
    record = json.loads((ROOT / "examples" / "eligible.json").read_text())
    record["application"].update(application)
    return record


def test_raising_the_fee_moves_exactly_the_records_that_paid_less_in_2022(tmp_path):
    """USD 160 raised to 200 in a copy: the fee rule goes met -> unmet for every record whose
    application was submitted in 2022 (by the as-of date) with 160 to 199.99 paid, and only
    for those; the eligible among them become pending; nothing else moves."""
    raised = fee_copy(tmp_path / "raised")
    cases = [("2022-01-01", 160), ("2022-03-01", 199.99), ("2022-03-01", 200), ("2021-12-31", 160),
             ("2021-06-01", 75), ("2022-05-31", 180), ("2022-06-02", 160), ("2022-02-01", 75)]
    records = tmp_path / "records.jsonl"
    records.write_text("".join(json.dumps(applicant(submitted_on=day, fee_paid_usd=fee)) + "\n" for day, fee in cases))
    document, _ = diff_json(str(records), "--base", str(POLICIES), "--head", str(raised), "--as-of", "2022-06-01")
    fee = next(r for r in document["rules"] if r["id"] == "application.fee")
    moved = [f"{records}:{n}" for n, (day, paid) in enumerate(cases, 1)
             if "2022-01-01" <= day <= "2022-06-01" and 160 <= paid < 200]
    assert moved == [f"{records}:1", f"{records}:2", f"{records}:6"]
    assert [(t["base"], t["head"], t["count"], t["examples"]) for t in fee["transitions"]] == \
        [("met", "unmet", 3, moved)]
    assert [(c["base"], c["head"], c["count"]) for c in document["matrix"]] == \
        [("eligible", "eligible", 3), ("eligible", "pending", 3), ("pending", "pending", 2)]
    assert [r["id"] for r in document["rules"] if r["present"] == "both" and r["transitions"]] == ["application.fee"]
    (cell,) = document["examples"]
    assert [r["record"] for r in cell["records"]] == moved
    assert cell["records"][0]["rules"] == [{
        "id": "application.fee", "title": fee["title"],
        "base": {"outcome": "met", "message": None},
        "head": {"outcome": "unmet", "message": cell["records"][0]["rules"][0]["head"]["message"]}}]
    assert "200" in cell["records"][0]["rules"][0]["head"]["message"]


MINI_BASE = """\
policy: mini
version: "1"
effective_from: 2000-01-01
title: A small policy to change
rules:
  - id: a.named
    title: A given name
    require: applicant.name.given != ""
  - id: b.citizen
    title: A family name given
    require: applicant.name.family != ""
  - id: c.fee
    title: Some fee paid
    require: coalesce(applicant.application.fee_paid_usd, 0) > 0
    message: Pay a fee
"""


def mini_policies(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "mini.yaml").write_text(text)
    linted = invoke("lint", str(folder))
    assert " 0 error(s)" in linted.stdout, linted.stdout
    return folder


def test_a_rule_added_removed_and_changed(tmp_path):
    base = mini_policies(tmp_path / "base", MINI_BASE)
    head_text = (MINI_BASE.replace("""  - id: b.citizen
    title: A family name given
    require: applicant.name.family != ""
""", "").replace("coalesce(applicant.application.fee_paid_usd, 0) > 0", "coalesce(applicant.application.fee_paid_usd, 0) >= 100")
                 + """  - id: d.usmle_id
    title: A USMLE id
    require: applicant.usmle_id != null
    message: Ask for a USMLE id
""")
    head = mini_policies(tmp_path / "head", head_text)
    records = tmp_path / "records.jsonl"
    people = [applicant(fee_paid_usd=75), applicant(fee_paid_usd=160), applicant(fee_paid_usd=160)]
    del people[2]["usmle_id"]
    records.write_text("".join(json.dumps(p) + "\n" for p in people))
    document, proc = diff_json(str(records), "--base", str(base), "--head", str(head), "--as-of", "2022-06-01")
    rules = {r["id"]: r for r in document["rules"]}
    assert [r["id"] for r in document["rules"]] == ["a.named", "c.fee", "d.usmle_id", "b.citizen"]
    assert rules["b.citizen"]["present"] == "base" and rules["b.citizen"]["outcomes"] == [{"outcome": "met", "count": 3}]
    assert rules["d.usmle_id"]["present"] == "head"
    assert rules["d.usmle_id"]["outcomes"] == [{"outcome": "met", "count": 2}, {"outcome": "unmet", "count": 1}]
    assert [(t["base"], t["head"], t["count"], t["examples"]) for t in rules["c.fee"]["transitions"]] == \
        [("met", "unmet", 1, [f"{records}:1"])]
    assert rules["a.named"]["transitions"] == [] and rules["a.named"]["unchanged"] == [{"outcome": "met", "count": 3}]
    assert [(c["base"], c["head"], c["count"]) for c in document["matrix"]] == \
        [("eligible", "eligible", 1), ("eligible", "pending", 2)]
    examples = document["examples"][0]["records"]
    assert [e["record"] for e in examples] == [f"{records}:1", f"{records}:3"]
    assert examples[1]["rules"] == [{"id": "d.usmle_id", "title": "A USMLE id", "base": None,
                                     "head": {"outcome": "unmet", "message": "Ask for a USMLE id"}}]
    text = invoke("diff", str(records), "--base", str(base), "--head", str(head), "--as-of", "2022-06-01").stdout
    assert "  b.citizen: A family name given (only on the base): met 3\n" in text
    assert "  d.usmle_id: A USMLE id (only on the head): met 2, unmet 1\n" in text
    assert "      d.usmle_id: (no such rule) -> unmet\n        head: Ask for a USMLE id\n" in text
    assert proc.returncode == 0


# --- exit codes, invalid records, bad sides ------------------------------------------------------------

def test_fail_on_change_is_a_ci_gate():
    args = (str(CORPUS), "--base-version", "2021.2", "--head-version", "2022.1", "--as-of", "2022-06-01")
    assert invoke("diff", *args, "--fail-on-change").returncode == 1
    assert invoke("diff", *args).returncode == 0
    same = invoke("diff", str(CORPUS), "--base-version", "2022.1", "--as-of", "2022-06-01", "--fail-on-change")
    assert same.returncode == 0, same.stderr
    assert "0 of " in same.stdout


def test_invalid_records_are_counted_listed_and_exit_2(tmp_path):
    records = tmp_path / "records.jsonl"
    good = json.dumps(applicant(fee_paid_usd=160))
    records.write_text(f"{good}\n{{\"applicant\": 1}}\nnot json\n{good}\n")
    document, proc = diff_json(str(records), "--base-version", "2021.2", "--head-version", "2022.1",
                               "--as-of", "2022-06-01", "--fail-on-change")
    assert proc.returncode == 2
    assert document["records"]["invalid"] == 2 and document["records"]["total"] == 4
    assert [r["record"] for r in document["invalid"]["records"]] == [f"{records}:2", f"{records}:3"]
    assert {(c["base"], c["head"]): c["count"] for c in document["matrix"]}[("invalid", "invalid")] == 2
    assert f"{records}:3" in proc.stderr and f"{records}:2#" in proc.stderr
    text = invoke("diff", str(records), "--base-version", "2021.2", "--as-of", "2022-06-01").stdout
    assert "Invalid records: 2 (judged by neither side; every problem is on standard error)" in text


def test_a_side_must_be_said_and_a_broken_one_is_named(tmp_path):
    nothing = invoke("diff", str(CORPUS))
    assert nothing.returncode == 2
    assert "say what to compare against: --base DIR, --base-ref REVISION" in nothing.stderr
    broken = tmp_path / "broken"
    shutil.copytree(POLICIES, broken)
    rules = broken / "ecfmg-certification" / "2022-01-01.yaml"
    rules.write_text(rules.read_text().replace("application_fee_usd:", "application_fee_usd: [", 1))
    proc = invoke("diff", str(CORPUS), "--base", str(broken), "--as-of", "2022-06-01")
    assert proc.returncode == 3
    assert f"the base's policies ({broken}) cannot be used" in proc.stderr
    assert "Traceback" not in proc.stderr
    unknown = invoke("diff", str(CORPUS), "--base-version", "2099.1")
    assert unknown.returncode == 2 and "the base: no policy version `2099.1`" in unknown.stderr


def test_git_problems_are_one_line_and_exit_2(tmp_path):
    outside = invoke("diff", str(CORPUS), "--base-ref", "main", "--base", str(tmp_path), "--head", str(POLICIES))
    assert outside.returncode == 2 and "is not in a git repository" in outside.stderr
    repo = tmp_path / "repo"
    two_commits(repo)
    for revision, said in (("no-such-branch", "no revision `no-such-branch`"), ("--output=x", "is not a git revision")):
        proc = invoke("diff", "examples/corpus.jsonl", "--base-ref", revision, cwd=repo)
        assert proc.returncode == 2 and said in proc.stderr, proc.stderr
    git(repo, "rm", "-rq", "policies")
    git(repo, "commit", "-qm", "no policies")
    shutil.copytree(POLICIES, repo / "policies")
    gone = invoke("diff", "examples/corpus.jsonl", "--base-ref", "HEAD", cwd=repo)
    assert gone.returncode == 2 and "policies does not exist at HEAD" in gone.stderr


def test_a_broken_policy_at_a_revision_is_named_by_revision_and_path(tmp_path):
    repo = tmp_path / "repo"
    two_commits(repo)
    path = repo / "policies" / "ecfmg-certification" / "2022-01-01.yaml"
    path.write_text(path.read_text().replace("application_fee_usd:", "application_fee_usd: [", 1))
    git(repo, "commit", "-qam", "break it")
    git(repo, "revert", "--no-edit", "HEAD")
    proc = invoke("diff", "examples/corpus.jsonl", "--base-ref", "HEAD~1", cwd=repo)
    assert proc.returncode == 3
    assert "HEAD~1:policies/ecfmg-certification/2022-01-01.yaml:" in proc.stderr
    assert "ecfmg-policy-diff-" not in proc.stderr  # never the temporary copy's name


def test_markdown_keeps_a_hostile_label_inert(tmp_path):
    name = "x](javascript:alert(1))<img src=x onerror=alert(1)>|#.jsonl"
    records = tmp_path / name
    records.write_text(json.dumps(applicant(submitted_on="2022-02-01", fee_paid_usd=160)) + "\n")
    raised = fee_copy(tmp_path / "raised")
    out = invoke("diff", str(records), "--head", str(raised), "--base", str(POLICIES), "--as-of", "2022-06-01",
                 "--format", "markdown").stdout
    assert not re.search(r"(?<!\\)<img", out) and not re.search(r"(?<!\\)\]\(javascript", out)
    assert "\\<img src=x onerror=alert(1)\\>" in out
    assert "\\]" in out and "\\|" in out


def test_the_same_input_gives_the_same_report():
    args = ("diff", str(CORPUS), "--base-as-of", "2021-06-30", "--head-as-of", "2021-07-01", "--format", "json")
    assert invoke(*args).stdout == invoke(*args).stdout


@pytest.mark.parametrize("form", ["text", "json", "markdown"])
def test_output_to_a_file_and_never_over_an_input(tmp_path, form):
    out = tmp_path / f"report.{form}"
    proc = invoke("diff", str(CORPUS), "--base-version", "2021.2", "--as-of", "2022-06-01", "--format", form,
                  "--output", str(out))
    assert proc.returncode == 0 and proc.stdout == "" and out.read_text()
    copy = tmp_path / "corpus.jsonl"
    shutil.copy(CORPUS, copy)
    refused = invoke("diff", str(copy), "--base-version", "2021.2", "--output", str(copy))
    assert refused.returncode == 2 and "writing it would destroy it" in refused.stderr
    assert copy.read_bytes() == CORPUS.read_bytes()


def test_the_real_command_prints_text_by_default():
    proc = run_cli("diff", "examples/corpus.jsonl", "--base-as-of", "2021-06-30", "--head-as-of", "2021-07-01")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("ecfmg-policy diff: ") and lines[0].endswith("decision(s) changed")
    assert lines[1] == "  base: policies: ecfmg-certification 2021.1, as of 2021-06-30"
    assert lines[2] == "  head: policies: ecfmg-certification 2021.2, as of 2021-07-01"
    assert "Decisions (rows: base, columns: head; unchanged on the diagonal)" in lines


def test_raising_the_fee_over_the_corpus_moves_exactly_the_expected_records(tmp_path):
    """The same over the 3,000 applicants of the sample corpus, the expected moves worked out
    from the records themselves: in scope (checked under the bundled policies), an application
    submitted from 2022-01-01 to the as-of date, USD 160 to 199.99 paid."""
    raised = fee_copy(tmp_path / "raised")
    document, _ = diff_json(str(CORPUS), "--base", str(POLICIES), "--head", str(raised), "--as-of", "2022-06-01",
                            "--examples", "100000")
    before = {r["record"]: r for r in check_results(str(CORPUS), "--as-of", "2022-06-01")}
    want = []
    for number, line in enumerate(CORPUS.read_text().splitlines(), 1):
        application = json.loads(line).get("application") or {}
        label = f"{CORPUS}:{number}"
        if before[label]["decision"] != "not_applicable" and \
                "2022-01-01" <= application.get("submitted_on", "") <= "2022-06-01" and \
                160 <= application.get("fee_paid_usd", 0) < 200:
            want.append(label)
    assert len(want) > 50
    fee = next(r for r in document["rules"] if r["id"] == "application.fee")
    assert [(t["base"], t["head"], t["examples"]) for t in fee["transitions"]] == [("met", "unmet", want)]
    assert [r["id"] for r in document["rules"] if r.get("transitions")] == ["application.fee"]
    moved = {(c["base"], c["head"]): [r["record"] for r in c["records"]] for c in document["examples"]}
    assert moved == {("eligible", "pending"): [label for label in want if before[label]["decision"] == "eligible"]}


def test_the_readme_shows_real_output():
    """The README shows diff's output abridged with `…` lines: every other line is printed, in order."""
    assert_readme_shows_real_output("ecfmg-policy diff examples/corpus.jsonl", least_lines=20)


def test_a_git_dir_left_by_a_hook_does_not_send_git_elsewhere(tmp_path, monkeypatch):
    """Run from a git hook, GIT_DIR names the hook's repository: --base-ref still reads the
    repository that holds the policy folder."""
    repo, other = tmp_path / "repo", tmp_path / "other"
    two_commits(repo)
    other.mkdir()
    git(other, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    document, proc = diff_json("examples/corpus.jsonl", "--base-ref", "HEAD~1", "--as-of", "2022-06-01", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert document["base"]["commit"] == git(repo, "rev-parse", "HEAD~1").strip()
    assert document["records"]["changed"] > 0


def test_no_examples_says_none_are_shown():
    args = (str(CORPUS), "--base-version", "2021.2", "--head-version", "2022.1", "--as-of", "2022-06-01",
            "--examples", "0")
    text = invoke("diff", *args).stdout
    assert "  eligible -> pending: 135 record(s)\n    (--examples 0: none shown)\n" in text
    assert "and 135 more" not in text
    markdown = invoke("diff", *args, "--format", "markdown").stdout
    assert "- (--examples 0: none shown)" in markdown
