"""The golden corpus of broken policies: each mistake once, with what the user is told.

Every folder of ``tests/diagnostics/`` is a small policy set with one mistake
(``policy.yaml``, or a few version files for a mistake between versions) and
``expected.json``: every diagnostic ``ecfmg-policy lint --format json`` gives
for the folder, in order: severity, code, message, file, line and column, and
the hint (``= help:``), files named relative to the folder.  Each folder is loaded
as the command line loads it: ``lint`` (every error and warning) and
``Engine.load``, which ``check`` and ``test`` use and which must refuse the
policy with exactly lint's errors (a policy with warnings only loads).  Each
diagnostic with a line also renders that line with the caret under its column.
How to add a case: ``tests/diagnostics/README.md``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ecfmg_policy.api import Engine
from ecfmg_policy.errors import Diagnostic, PolicyError
from ecfmg_policy.evaluator.tools.lint import lint_paths

CORPUS = Path(__file__).resolve().parent / "diagnostics"
CASES = sorted(path for path in CORPUS.iterdir() if path.is_dir())
# ECFMG_BLESS=1 writes each expected.json from what lint says now: read the diff before committing it.
BLESS = os.environ.get("ECFMG_BLESS") == "1"


def as_expected(diagnostic: Diagnostic, folder: Path) -> dict:
    """A diagnostic as ``lint --format json`` writes it, files named relative to the case folder
    (in ``file``, and in a message naming another file), so that the corpus reads the same anywhere."""
    shown = diagnostic.to_json()
    if "file" in shown:
        shown["file"] = Path(shown["file"]).relative_to(folder).as_posix()
    shown["message"] = shown["message"].replace(f"{folder}{os.sep}", "")
    return shown


def test_the_corpus_has_its_cases():
    assert len(CASES) >= 30
    for folder in CASES:
        assert (folder / "expected.json").is_file(), f"{folder.name}: no expected.json"
        assert list(folder.glob("*.yaml")), f"{folder.name}: no policy file"


@pytest.mark.parametrize("folder", CASES, ids=[folder.name for folder in CASES])
def test_broken_policy(folder):
    report = lint_paths([folder])
    got = [as_expected(d, folder) for d in report.diagnostics]
    expected_file = folder / "expected.json"
    if BLESS:
        expected_file.write_text(json.dumps({"diagnostics": got}, indent=2, ensure_ascii=False) + "\n")
    expected = json.loads(expected_file.read_text(encoding="utf-8"))["diagnostics"]
    assert got == expected
    assert report.files == tuple(str(path) for path in sorted(folder.glob("*.yaml")))

    # check and test load the policy this way: refused with exactly lint's errors, or loaded
    errors = [d for d in report.diagnostics if d.severity == "error"]
    if errors:
        with pytest.raises(PolicyError) as caught:
            Engine.load(folder)
        assert sorted(map(str, caught.value.diagnostics)) == sorted(map(str, errors))
    else:
        assert Engine.load(folder).policies.versions

    for diagnostic in report.diagnostics:
        assert_rendered(diagnostic)


def assert_rendered(diagnostic: Diagnostic) -> None:
    """``file:line:col: severity: message``, the source line with a caret under the column, the hint."""
    lines = diagnostic.render().splitlines()
    assert lines[0] == f"{diagnostic.location()}: {diagnostic.severity}: {diagnostic.message}"
    if diagnostic.hint:
        assert lines[-1] == f"  = help: {diagnostic.hint}"
    position = diagnostic.position
    if position is None:
        return
    source_line = Path(position.source).read_text(encoding="utf-8").splitlines()[position.line - 1]
    echoed, caret = lines[1], lines[2]
    assert echoed == f"{position.line:>4} | {source_line}"
    assert caret.index("^") == len(f"{position.line:>4} | ") + position.column - 1
    # a span (an expression the checker refuses) is underlined from its first character to its last
    assert caret.count("^") == (diagnostic.end_column - position.column if diagnostic.end_column else 1)
    assert caret.rstrip("^").endswith(" ") or caret.rstrip("^") == ""
