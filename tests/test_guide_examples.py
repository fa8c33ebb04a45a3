"""The guide's runnable examples run, and print what the guide shows.

A YAML block of ``docs/policy-authors-guide.md`` whose first line is
``# example: FOLDER/FILE`` is a file of an example policy folder.  A
``console`` block holds commands (``$ ecfmg-policy …``) and, under each, what
it prints on standard output.  Here every example folder is written to a temporary directory
(beside copies of ``examples/`` and ``policies/``), must lint clean with
``--strict`` (``broken/`` and ``broken-…/`` excepted: the guide shows them failing), and every
command of every console block is run there through the real entry point: its
output must be exactly what the guide shows.  An editor who copies an
example gets what the guide says.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from cli_helpers import invoke

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "policy-authors-guide.md"
EXAMPLE = re.compile(r"^# example: ([\w.-]+(?:/[\w.-]+)+)$")


def blocks() -> list[tuple[str, int, str]]:
    """Every fenced block: (info string, line of its opening fence, text)."""
    found, current, info, start = [], None, "", 0
    for number, line in enumerate(GUIDE.read_text().split("\n"), 1):
        stripped = line.strip()
        if current is None and stripped.startswith("```"):
            current, info, start, indent = [], stripped[3:].strip(), number, len(line) - len(line.lstrip())
        elif current is not None and stripped == "```":
            found.append((info, start, "\n".join(current) + "\n"))
            current = None
        elif current is not None:
            current.append(line[indent:] if line[:indent].strip() == "" else line)
    return found


def example_files() -> dict[str, str]:
    files = {}
    for info, _, text in blocks():
        first = text.split("\n", 1)[0]
        if info == "yaml" and (match := EXAMPLE.match(first)):
            assert match.group(1) not in files, f"{match.group(1)} is written twice in the guide"
            files[match.group(1)] = text
    return files


def sessions() -> list[tuple[int, list[tuple[str, str]]]]:
    """Each console block: its line, and (command, output) pairs."""
    out = []
    for info, line, text in blocks():
        if info != "console":
            continue
        pairs: list[tuple[str, list[str]]] = []
        for row in text.rstrip("\n").split("\n"):
            if row.startswith("$ "):
                pairs.append((row[2:], []))
            else:
                assert pairs, f"guide line {line}: a console block starts with `$ ecfmg-policy …`"
                pairs[-1][1].append(row)
        out.append((line, [(command, "\n".join(lines)) for command, lines in pairs]))
    return out


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    here = tmp_path_factory.mktemp("guide")
    shutil.copytree(ROOT / "examples", here / "examples")
    shutil.copytree(ROOT / "policies", here / "policies")
    for name, text in example_files().items():
        (here / name).parent.mkdir(parents=True, exist_ok=True)
        (here / name).write_text(text)
    return here


def test_the_guide_has_runnable_examples():
    folders = {name.split("/")[0] for name in example_files()}
    assert {"fee", "titles", "outcomes", "overrides", "broken", "explained", "broken-timeline"} <= folders
    assert len(sessions()) >= 4


def _broken(folder: str) -> bool:
    return folder == "broken" or folder.startswith("broken-")


@pytest.mark.parametrize("folder", sorted(f for f in {name.split("/")[0] for name in example_files()} if not _broken(f)))
def test_each_example_lints_clean(workspace, folder):
    """Except ``broken`` and ``broken-…``, which the guide shows failing."""
    result = invoke("lint", "--strict", folder, cwd=workspace)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("line, pairs", sessions(), ids=[f"guide-line-{line}" for line, _ in sessions()])
def test_each_console_block_prints_what_the_guide_shows(workspace, line, pairs):
    for command, shown in pairs:
        words = shlex.split(command)
        assert words[0] == "ecfmg-policy", f"guide line {line}: `{command}`"
        result = invoke(*words[1:], cwd=workspace)
        printed = "\n".join(row.rstrip() for row in result.stdout.rstrip("\n").split("\n"))
        expected = "\n".join(row.rstrip() for row in shown.rstrip("\n").split("\n"))
        assert printed == expected, f"guide line {line}: `{command}` printed:\n{printed}"
