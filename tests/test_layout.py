"""The layout shows the stages: the evaluator's package docstring names every module of every
stage package, and every file the README's "How it is built" diagram names exists."""

from __future__ import annotations

import re
from pathlib import Path

import ecfmg_policy.evaluator as evaluator

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "ecfmg_policy" / "evaluator"


def test_the_package_docstring_is_the_map_of_every_stage_and_module():
    stages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert stages == sorted(["source", "language", "policy", "checker", "compiler", "records", "evaluation", "tools"])
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == ["__init__.py"]  # no module outside a stage
    doc = evaluator.__doc__
    for stage in stages:
        line = next((l for l in doc.split("\n- ") if l.startswith(f"``{stage}``")), None)
        assert line is not None, f"the map has no line for `{stage}`"
        for module in (PACKAGE / stage).glob("*.py"):
            if module.name != "__init__.py":
                assert f"``{module.stem}``" in line, f"the map's line for `{stage}` does not name `{module.stem}`"


def test_every_file_the_readmes_diagram_names_exists():
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme[readme.index("## How it is built"):]
    diagram = section[section.index("```"):section.index("```", section.index("```") + 3)]
    named = 0
    for line in diagram.splitlines():
        for folder, files in re.findall(r"((?:evaluator|cli)/(?:[a-z_]+/)?)([a-z_]+\.py(?:, [a-z_]+\.py)*)", line):
            for name in files.split(", "):
                path = PACKAGE.parent / folder / name
                assert path.is_file(), f"the README's diagram names {folder}{name}, which does not exist"
                named += 1
    assert named >= 15


def test_ci_runs_the_readmes_test_command_word_for_word():
    """The README's second command is the one CI runs: if it changes, it changes in both."""
    readme = (ROOT / "README.md").read_text().split("\n")
    commands = [line.strip() for line in readme[:20] if line.startswith("    ")]
    assert len(commands) == 2, commands
    assert commands[1] in (ROOT / ".ci" / "run").read_text().split("\n")
