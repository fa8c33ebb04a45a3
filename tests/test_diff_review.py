"""``ecfmg-policy diff`` in the corners a review found: each test failed before its fix.

Counts are held to two ``check`` runs on the same records, as in ``test_diff``; the git side
to what a hostile repository can hold; the report's words to what the sides really were.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_helpers import ROOT, invoke
from test_diff import CORPUS, check_results, diff_json

SMALL = [json.loads(line) for line in CORPUS.read_text().splitlines()[:40]]


def records_file(folder: Path, records: list[dict] = SMALL) -> Path:
    path = folder / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def policy_file(path: Path, version: str, body: str) -> Path:
    path.write_text(f'policy: t\nversion: "{version}"\neffective_from: 2000-01-01\n{body}')
    return path


TWO_RULES = """rules:
  - id: r.id
    title: Has an id
    require: applicant.usmle_id != null
  - id: r.graduate
    title: Graduated
    require: applicant.status == "graduate"
"""


# --- counts against two check runs ------------------------------------------------------------------------

def one_sided_outcomes(results: list[dict]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for result in results:
        for rule in result["rules"]:
            by_outcome = counts.setdefault(rule["id"], {})
            by_outcome[rule["outcome"]] = by_outcome.get(rule["outcome"], 0) + 1
    return counts


@pytest.mark.parametrize("empty_side", ["base", "head"])
def test_a_side_without_rules_still_counts_the_other_sides_rules(tmp_path, empty_side):
    """A version may have no rules (``rules: []``): every record then has no outcomes on that
    side, which the counts once took for an invalid record, so the other side's rules read
    "no records" whatever check said of them."""
    records = records_file(tmp_path)
    ruled = policy_file(tmp_path / "ruled.yaml", "1", TWO_RULES)
    bare = policy_file(tmp_path / "bare.yaml", "2", "rules: []\n")
    sides = {"base": bare, "head": ruled} if empty_side == "base" else {"base": ruled, "head": bare}
    document, _ = diff_json(str(records), "--base", str(sides["base"]), "--head", str(sides["head"]),
                            "--as-of", "2022-06-01")
    checked = one_sided_outcomes(check_results(str(records), "--policy", str(ruled), "--as-of", "2022-06-01"))
    other = "head" if empty_side == "base" else "base"
    assert {r["id"]: {o["outcome"]: o["count"] for o in r["outcomes"]} for r in document["rules"]} == checked
    assert {r["present"] for r in document["rules"]} == {other}


def test_an_output_that_changes_only_as_json_sees_it_is_counted(tmp_path):
    """``true`` for ``1``, ``0`` for ``false``, a key whose null value went: Python holds each
    pair equal, the JSON results of two check runs do not, and neither may the diff."""
    records = records_file(tmp_path)
    base = policy_file(tmp_path / "base.yaml", "1", TWO_RULES + 'outputs:\n  flag: "1"\n  off: "false"\n'
                       '  both: "{a: null, b: 1}"\n  same: "[1, 2]"\n')
    head = policy_file(tmp_path / "head.yaml", "2", TWO_RULES + 'outputs:\n  flag: "true"\n  off: "0"\n'
                       '  both: "{b: 1}"\n  same: "[1.0, 2]"\n')
    document, _ = diff_json(str(records), "--base", str(base), "--head", str(head), "--as-of", "2022-06-01")
    before = check_results(str(records), "--policy", str(base), "--as-of", "2022-06-01")
    after = check_results(str(records), "--policy", str(head), "--as-of", "2022-06-01")
    moved = {name for b, h in zip(before, after) for name in b["outputs"] if b["outputs"][name] != h["outputs"][name]
             or type(b["outputs"][name]) is not type(h["outputs"][name])}
    assert moved == {"flag", "off", "both"}
    assert document["records"]["outputs_changed"] == len(SMALL)
    places = {(p["output"], tuple(p["key"])): p for p in document["outputs"]}
    assert set(places) == {("flag", ()), ("off", ()), ("both", ("a",))}
    assert all(p["changed"] == len(SMALL) and p["other"] == len(SMALL) for p in places.values())


# --- git: a repository is hostile input ---------------------------------------------------------------------

def git(repo: Path, *args: str, given: str | None = None) -> str:
    import subprocess

    done = subprocess.run(["git", "-C", str(repo), *args], input=given, capture_output=True, text=True, check=True,
                          env={"GIT_AUTHOR_NAME": "editor", "GIT_AUTHOR_EMAIL": "editor@example.org",
                               "GIT_COMMITTER_NAME": "editor", "GIT_COMMITTER_EMAIL": "editor@example.org",
                               "HOME": str(repo), "PATH": "/usr/bin:/bin:/usr/local/bin"})
    return done.stdout.strip()


def test_a_policy_folder_named_like_pathspec_magic_is_read_as_named(tmp_path):
    """``:(top)pa`` is a folder's name, not git's pathspec magic (which made it list ``pa`` and
    end in an internal error)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for name, version in ((":(top)pa", "1"), ("pa", "2")):
        (repo / name).mkdir()
        policy_file(repo / name / "p.yaml", version, TWO_RULES)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "two folders")
    records = records_file(tmp_path)
    document, proc = diff_json(str(records), "--base-ref", "HEAD", "--head", ":(top)pa", "--as-of", "2022-06-01",
                               cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert document["base"]["policies"] == "HEAD::(top)pa"
    assert document["base"]["policy"]["version"] == "1"


def hostile_commit(repo: Path, policies: str) -> None:
    """A commit whose tree ``policies`` is ``git mktree`` lines: trees checkout would refuse."""
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    blob = git(repo, "hash-object", "-w", "--stdin", given="policy: t\n")
    inner = git(repo, "mktree", given=f"100644 blob {blob}\tx.yaml\n")
    folder = git(repo, "mktree", given=policies.format(blob=blob, tree=inner))
    root = git(repo, "mktree", given=f"040000 tree {folder}\tpol\n")
    commit = git(repo, "commit-tree", "-m", "hostile", root)
    git(repo, "update-ref", "refs/heads/main", commit)
    (repo / "pol").mkdir()


@pytest.mark.parametrize("tree", [
    "100644 blob {blob}\td.yaml\n040000 tree {tree}\td.yaml\n",  # a file and a folder of one name
    "040000 tree {tree}\td.yaml\n100644 blob {blob}\td.yaml\n",
    "120000 blob {blob}\ta.yaml\n120000 blob {blob}\ta.yaml\n",  # one link twice
    "100644 blob {blob}\t" + "n" * 300 + ".yaml\n",  # a name no file system holds
])
def test_a_tree_that_cannot_be_copied_out_is_one_line_and_exit_2(tmp_path, tree):
    repo = tmp_path / "repo"
    hostile_commit(repo, tree)
    records = records_file(tmp_path)
    proc = invoke("diff", str(records), "--base-ref", "HEAD", "--head", "pol", cwd=repo)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("ecfmg-policy: --base-ref: HEAD:pol/") and "this repository is not usable" in \
        proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("side", ["base", "head"])
def test_a_revision_of_the_bundled_policies_is_refused_not_read_from_the_tools_own_history(tmp_path, side):
    """No --base/--head and no policies/ folder here or above: the folder would be the bundled
    one, whose git history (if any) is the tool's, not the user's; name the folder instead."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "rules").mkdir()
    policy_file(repo / "rules" / "p.yaml", "1", TWO_RULES)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "rules")
    assert not any((folder / "policies").is_dir() for folder in (repo, *repo.parents))
    records = records_file(tmp_path)
    other = ["--base-version", "1"] if side == "head" else []
    proc = invoke("diff", str(records), f"--{side}-ref", "HEAD", *other, cwd=repo)
    assert proc.returncode == 2, proc.stdout
    assert proc.stderr == (f"ecfmg-policy: --{side}-ref: there is no policies/ folder here or above to read at HEAD; "
                           f"name the policy folder with --{side} DIR\n")
    named = invoke("diff", str(records), f"--{side}-ref", "HEAD", f"--{side}", "rules", *other, cwd=repo)
    assert named.returncode == 0, named.stderr


# --- the report's words ----------------------------------------------------------------------------------

@pytest.mark.parametrize("args, note", [
    (("--base-version", "2021.2", "--as-of", "2022-06-01"),
     "Both sides use the same policy files, 2021.2 (chosen) on the base and 2022.1 (in force on 2022-06-01) on "
     "the head: every move comes from the versions alone."),
    (("--base-version", "2021.1", "--head-version", "2022.1", "--base-as-of", "2021-01-01",
      "--head-as-of", "2022-06-01"),
     "Both sides use the same policy files, 2021.1 (chosen) on the base and 2022.1 (chosen) on the head: moves "
     "come from the versions and from the dates (2021-01-01 to 2022-06-01)."),
])
def test_the_note_says_which_version_was_chosen_and_which_came_with_the_date(args, note):
    """Only the base's version was chosen: the head's is the one in force on its date, and
    a date that differs too is named, not left out as if the versions explained every move."""
    document, _ = diff_json(str(CORPUS), *args)
    assert document["note"] == note


@pytest.mark.parametrize("revision, kind", [("HEAD^{tree}", "a tree"), ("HEAD:rules/p.yaml", "a file")])
def test_a_revision_that_names_no_commit_says_so_rather_than_to_fetch_it(tmp_path, revision, kind):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "rules").mkdir()
    policy_file(repo / "rules" / "p.yaml", "1", TWO_RULES)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "rules")
    proc = invoke("diff", str(records_file(tmp_path)), "--base-ref", revision, "--head", "rules", cwd=repo)
    assert proc.returncode == 2
    assert proc.stderr == (f"ecfmg-policy: --base-ref: `{revision}` names {kind}, not a commit; name a branch, tag "
                           f"or commit (e.g. origin/main)\n")


# --- guards: what the review checked and found right ----------------------------------------------------------

@pytest.mark.parametrize("most", [1, 3])
def test_folding_the_counter_early_changes_nothing(tmp_path, monkeypatch, most):
    """Past MOST_KEYS distinct (decisions, outcomes) pairs the counter is folded mid-run; forced
    after every record or few, the report is the same, invalid records and a rule-less side included."""
    from ecfmg_policy.evaluator.evaluation import comparison

    lines = [json.dumps(r) for r in SMALL[:15]] + ['{"bad": 1}', "not json"] + [json.dumps(r) for r in SMALL[15:]]
    records = tmp_path / "mixed.jsonl"
    records.write_text("\n".join(lines) + "\n")
    reordered = TWO_RULES.replace("applicant.usmle_id != null", 'applicant.usmle_id != "6-984-888-6"')
    for base, head in ((TWO_RULES, reordered), (TWO_RULES, "rules: []\n")):
        args = (str(records), "--base", str(policy_file(tmp_path / "b.yaml", "1", base)),
                "--head", str(policy_file(tmp_path / "h.yaml", "2", head)), "--as-of", "2022-06-01")
        whole, _ = diff_json(*args)
        monkeypatch.setattr(comparison, "MOST_KEYS", most)
        folded, proc = diff_json(*args)
        monkeypatch.undo()
        assert proc.returncode == 2 and folded == whole
