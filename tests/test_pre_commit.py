"""The pre-commit hooks as another repository uses them (.pre-commit-hooks.yaml, guide §12.5).

Every test runs the real pre-commit client (from the ``[test]`` extra) in a
temporary git repository holding a copy of the policies, the way a team keeping
its policies in its own repository would: ``pre-commit try-repo`` against this
checkout, and ``pre-commit run`` with the configurations the guide shows,
pinned to this checkout. pre-commit installs the hooks with pip into an
environment of their own: ``run`` builds it once per session in a shared
``PRE_COMMIT_HOME``, ``try-repo`` anew each time (so only two tests use it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ecfmg_policy.evaluator.tools.fmt import format_paths, write
from ecfmg_policy.project import PROJECT_URL

CHECKOUT = Path(__file__).resolve().parents[1]
POLICIES = CHECKOUT / "policies" / "ecfmg-certification"
GUIDE = CHECKOUT / "docs" / "policy-authors-guide.md"

POLICY = "2004-06-14.yaml"
RULE_LINE = "    require: application.fee_paid_usd >= params.application_fee_usd at application.submitted_on"
# A JSON record read by a test case (record_file:), and the case reading it.
RECORD = "tests/v2021.1-12-forced-version-on-2022-date.record.json"
RECORD_CASE = "v2021.1-12-forced-version-on-2022-date.yaml"

LINT = "ecfmg-policy lint"
TEST = "ecfmg-policy test"
FMT = "ecfmg-policy fmt"


# --- running git and pre-commit -------------------------------------------------------------

@pytest.fixture(scope="session")
def env(tmp_path_factory) -> dict[str, str]:
    """The environment of every git and pre-commit run: PATH and pip's settings kept,
    one pre-commit cache for the session, and no git configuration but the repository's."""
    base = tmp_path_factory.mktemp("pre-commit")
    empty = base / "gitconfig"
    empty.write_text("")
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("GIT_", "PRE_COMMIT")) and k != "SKIP"}  # SKIP skips hooks
    return {**keep,
            "PRE_COMMIT_HOME": str(base / "cache"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": str(empty),
            "GIT_AUTHOR_NAME": "Policy Editor", "GIT_AUTHOR_EMAIL": "editor@example.org",
            "GIT_COMMITTER_NAME": "Policy Editor", "GIT_COMMITTER_EMAIL": "editor@example.org"}


def git(repo: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def pre_commit(repo: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    """Exit status and everything printed, as the user sees it in the terminal."""
    done = subprocess.run([sys.executable, "-m", "pre_commit", *args, "--color", "never"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    return done.returncode, done.stdout + done.stderr


def status(output: str, hook: str) -> str:
    """What pre-commit says of one hook: "Passed", "Failed" or "(no files to check)Skipped"."""
    found = re.findall(rf"^{re.escape(hook)}\.+(\(no files to check\)Skipped|Skipped|Passed|Failed)$",
                       output, re.MULTILINE)
    assert len(found) == 1, f"no single status line for {hook!r} in:\n{output}"
    return found[0]


def init_repo(repo: Path, env: dict[str, str]) -> None:
    git(repo, env, "init", "-q")
    git(repo, env, "config", "user.name", "Policy Editor")
    git(repo, env, "config", "user.email", "editor@example.org")
    git(repo, env, "config", "commit.gpgsign", "false")


def commit_all(repo: Path, env: dict[str, str], message: str) -> str:
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-q", "-m", message)
    return git(repo, env, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="session")
def hook_repo(env, tmp_path_factory) -> tuple[Path, str]:
    """The repository the hooks are installed from, and the commit to pin (``rev:``).

    The checkout itself when everything in it is committed, as in CI's fresh clone.
    Otherwise a copy of its working tree committed in a temporary repository:
    pre-commit installs hooks from commits only (``try-repo`` would also leave out
    files not yet added to git), and the tests must check the files as they are.
    """
    own = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
    if not git(CHECKOUT, own, "status", "--porcelain"):
        return CHECKOUT, git(CHECKOUT, own, "rev-parse", "HEAD").strip()
    copy = tmp_path_factory.mktemp("ecfmg-policy-checkout")
    listed = git(CHECKOUT, own, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = CHECKOUT / name
        if source.is_file():  # not one deleted in the working tree
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name, follow_symlinks=False)
    init_repo(copy, env)
    return copy, commit_all(copy, env, "the working tree of the checkout under test")


def consumer(tmp_path: Path, env: dict[str, str], folder: str = "policies", formatted: bool = False) -> Path:
    """A repository of a team using the hooks, with this project's policies and cases in `folder`
    (``formatted``: as `ecfmg-policy fmt` writes them, for a team that uses the fmt hook too)."""
    repo = tmp_path / "consumer"
    shutil.copytree(POLICIES, repo / folder / "ecfmg-certification",
                    ignore=shutil.ignore_patterns("__pycache__"))
    if formatted:
        for result in format_paths([repo / folder]):
            assert result.problem is None, result.problem.render()
            if result.changed:
                assert write(result) is None
    init_repo(repo, env)
    git(repo, env, "add", "-A")
    return repo


def configure(repo: Path, env: dict[str, str], hook_repo: tuple[Path, str], elsewhere: bool = False) -> dict:
    """The guide's `.pre-commit-config.yaml` (the plain one, or the one for policies kept
    elsewhere), pinned to the hooks under test instead of the published repository."""
    [config] = [yaml.safe_load(b) for b in guide_blocks("yaml")
                if "repos:" in b and ("args:" in b) == elsewhere]
    [entry] = config["repos"]
    assert entry["repo"] == PROJECT_URL
    entry["repo"], entry["rev"] = str(hook_repo[0]), hook_repo[1]
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    git(repo, env, "add", ".pre-commit-config.yaml")
    return config


def edit(path: Path, old: str, new: str) -> int:
    """Replace the one occurrence of `old` in the file; the 1-based line where it starts."""
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} in {path}"
    path.write_text(text.replace(old, new))
    return text[:text.index(old)].count("\n") + 1


def guide_section() -> str:
    text = GUIDE.read_text()
    start = text.index("**pre-commit.**")
    return text[start:text.index("\n---\n", start)]


def guide_blocks(language: str) -> list[str]:
    """The code blocks of the guide's pre-commit part whose opening fence says `language`."""
    blocks, current, opened_as = [], None, ""
    for line in guide_section().split("\n"):
        if current is None and line.startswith("```"):
            current, opened_as = [], line[3:].strip()
        elif current is not None and line.strip() == "```":
            if opened_as == language:
                blocks.append("\n".join(current) + "\n")
            current = None
        elif current is not None:
            current.append(line)
    return blocks


# --- the tests ---------------------------------------------------------------------------------

def test_try_repo_good_policies_pass_every_hook(env, hook_repo, tmp_path):
    repo = consumer(tmp_path, env, formatted=True)
    code, out = pre_commit(repo, env, "try-repo", str(hook_repo[0]), "--all-files")
    assert code == 0, out
    assert status(out, LINT) == "Passed", out
    assert status(out, TEST) == "Passed", out
    assert status(out, FMT) == "Passed", out


def test_try_repo_a_syntax_error_fails_the_lint_hook_naming_its_place(env, hook_repo, tmp_path):
    repo = consumer(tmp_path, env)
    line = edit(repo / "policies" / "ecfmg-certification" / POLICY, RULE_LINE,
                "    require: application.fee_paid_usd >= ")
    code, out = pre_commit(repo, env, "try-repo", str(hook_repo[0]), "ecfmg-policy-lint", "--all-files")
    assert code != 0, out
    assert status(out, LINT) == "Failed", out
    assert "- exit code: 3" in out, out
    assert re.search(rf"^policies/ecfmg-certification/{re.escape(POLICY)}:{line}:\d+: error: syntax error",
                     out, re.MULTILINE), out


def test_the_guides_failing_hook_example_is_what_pre_commit_prints(env, hook_repo, tmp_path):
    """The guide shows an unused parameter failing the lint hook (a warning, with --strict)."""
    repo = consumer(tmp_path, env)
    configure(repo, env, hook_repo)
    edit(repo / "policies" / "ecfmg-certification" / "2022-01-01.yaml", "\nparams:\n", "\nparams:\n  late_fee_usd: 25\n")
    code, out = pre_commit(repo, env, "run", "--all-files")
    assert code == 1, out
    assert status(out, LINT) == "Failed" and status(out, TEST) == "Passed", out
    [example] = [b for b in guide_blocks("") if b.startswith(f"{LINT}.")]
    shown = [line.rstrip() for line in example.strip("\n").split("\n")]
    printed = [line.rstrip() for line in out.split("\n")]
    assert any(printed[i:i + len(shown)] == shown for i in range(len(printed))), (
        "the guide's example:\n" + "\n".join(shown) + "\n\npre-commit printed:\n" + out)


def test_hooks_skip_unrelated_json_and_the_test_hook_runs_for_a_record(env, hook_repo, tmp_path):
    repo = consumer(tmp_path, env)
    configure(repo, env, hook_repo)
    git(repo, env, "commit", "-q", "-m", "policies and the hooks")
    (repo / "data").mkdir()
    (repo / "data" / "other.json").write_text('{"not": "a policy"}\n')
    git(repo, env, "add", "data/other.json")
    # Without --all-files pre-commit looks at the staged files only, as on `git commit`.
    code, out = pre_commit(repo, env, "run")
    assert code == 0, out
    assert status(out, LINT) == "(no files to check)Skipped", out
    assert status(out, TEST) == "(no files to check)Skipped", out

    # A JSON record beside a test case is a test input: changing it runs the test hook.
    record = repo / "policies" / "ecfmg-certification" / RECORD
    edit(record, '"fee_paid_usd": 75,', '"fee_paid_usd": 74,')
    git(repo, env, "add", str(record))
    code, out = pre_commit(repo, env, "run")
    assert code != 0, out
    assert status(out, LINT) == "(no files to check)Skipped", out
    assert status(out, TEST) == "Failed", out
    assert RECORD_CASE in out, out


def test_policies_elsewhere_with_the_guides_configuration(env, hook_repo, tmp_path):
    """The guide's example for policies outside `policies/`, overriding `files:` and `args:`."""
    [example] = [b for b in guide_blocks("yaml") if "args:" in b]
    hooks = yaml.safe_load(example)["repos"][0]["hooks"]
    folder = hooks[0]["args"][0]
    assert [h["args"] for h in hooks] == [[folder], [folder]] and folder != "policies"
    repo = consumer(tmp_path, env, folder)
    configure(repo, env, hook_repo, elsewhere=True)
    code, out = pre_commit(repo, env, "run", "--all-files")
    assert code == 0, out
    assert status(out, LINT) == "Passed" and status(out, TEST) == "Passed", out

    line = edit(repo / folder / "ecfmg-certification" / POLICY, RULE_LINE,
                RULE_LINE + " &&")
    git(repo, env, "add", "-A")
    code, out = pre_commit(repo, env, "run")  # the staged change only, as on `git commit`
    assert code != 0, out
    assert status(out, LINT) == "Failed", out
    assert re.search(rf"^{re.escape(folder)}/ecfmg-certification/{re.escape(POLICY)}:{line}:\d+: error:",
                     out, re.MULTILINE), out


def test_the_fmt_hook_fails_on_a_file_out_of_layout_and_passes_once_it_is_formatted(env, hook_repo, tmp_path):
    repo = consumer(tmp_path, env, formatted=True)
    config = {"repos": [{"repo": str(hook_repo[0]), "rev": hook_repo[1], "hooks": [{"id": "ecfmg-policy-fmt"}]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    commit_all(repo, env, "formatted policies and the fmt hook")
    code, out = pre_commit(repo, env, "run", "--all-files")
    assert code == 0 and status(out, FMT) == "Passed", out

    policy = repo / "policies" / "ecfmg-certification" / "2022-01-01.yaml"
    edit(policy, 'version: "2022.1"\n', "version: '2022.1'\n")  # the same value, out of layout
    git(repo, env, "add", "-A")
    code, out = pre_commit(repo, env, "run")  # the staged change only, as on `git commit`
    assert code == 1 and status(out, FMT) == "Failed", out
    assert "- exit code: 1" in out, out
    assert "would reformat policies/ecfmg-certification/2022-01-01.yaml" in out, out
    assert policy.read_text().count("version: '2022.1'\n") == 1  # --check changes nothing

    for result in format_paths([repo / "policies"]):  # what `ecfmg-policy fmt` does
        if result.changed:
            assert write(result) is None
    git(repo, env, "add", "-A")
    code, out = pre_commit(repo, env, "run", "--all-files")  # the file is as committed again: nothing staged
    assert code == 0 and status(out, FMT) == "Passed", out


def test_the_guide_pins_this_project():
    """Every configuration the guide shows names this project and says what to put in `rev:`."""
    configs = [yaml.safe_load(b) for b in guide_blocks("yaml") if "repos:" in b]
    assert len(configs) == 2
    for config in configs:
        [entry] = config["repos"]
        assert entry["repo"] == PROJECT_URL
        assert {h["id"] for h in entry["hooks"]} == {"ecfmg-policy-lint", "ecfmg-policy-test"}
    section = guide_section()
    assert f"git ls-remote --tags {PROJECT_URL}" in section
    assert "[RELEASING.md](RELEASING.md)" in section and (GUIDE.parent / "RELEASING.md").is_file()
