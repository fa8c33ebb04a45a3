"""Reading YAML with positions, and reading files by the rules every input obeys (``evaluator.yaml_source``).

What a user sees of this stage is where a caret lands: every error in a policy
or a case points at a line and column computed here, inside quoted and block
scalars too.  And what it refuses: files outside the folder, links, pipes.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from ecfmg_policy.errors import InputError, Position
from ecfmg_policy.evaluator.source.yaml_source import (YMap, YScalar, YSeq, decode_utf8, folder_files, load_yaml, read_inside,
                                                to_plain)

TEXT = textwrap.dedent("""\
    name: a case
    quoted: "say \\"hi\\" to x"
    folded: >-
      first line
      then x here
    literal: |
      one
        two x
    items: [1, two, 2004-06-14]
    """)


def index_of(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of ``needle`` in ``text``."""
    i = text.index(needle)
    return text.count("\n", 0, i) + 1, i - (text.rfind("\n", 0, i) + 1) + 1


@pytest.fixture(scope="module")
def root() -> YMap:
    node = load_yaml(TEXT, "case.yaml")
    assert isinstance(node, YMap)
    return node


def test_keys_and_values_know_their_line_and_column(root):
    assert root.key_positions["quoted"] == Position("case.yaml", 2, 1, 'quoted: "say \\"hi\\" to x"')
    assert (root.entries["name"].position.line, root.entries["name"].position.column) == (1, 7)
    items = root.entries["items"]
    assert isinstance(items, YSeq) and [(i.position.line, i.position.column) for i in items.items] == [
        (9, 9), (9, 12), (9, 17)]
    assert to_plain(root)["items"][2].isoformat() == "2004-06-14"


@pytest.mark.parametrize("key, needle", [("quoted", "x\""), ("folded", "x here"), ("literal", "x\n")])
def test_a_character_of_a_scalar_is_found_in_the_file(root, key, needle):
    """An error at character N of an expression lands on that character, through quotes, escapes and folding."""
    scalar = root.entries[key]
    assert isinstance(scalar, YScalar)
    offset = scalar.value.index("x")
    where = scalar.position_of(offset)
    assert (where.line, where.column) == index_of(TEXT, needle)
    assert where.line_text == TEXT.splitlines()[where.line - 1]


@pytest.mark.parametrize("text, message, needle", [
    ("a: 1\nb: [1\nc: 2\n", "invalid YAML: did not find expected ',' or ']'", ": 2"),
    ("a: 1\na: 2\n", "duplicate key `a` (first defined on line 1)", "a: 2"),
    ("a: &x [1]\nb: *x\n", "YAML anchors and aliases are not allowed in this file", "&x"),
    ("a: !!python/name:os.system x\n", "YAML tag `tag:yaml.org,2002:python/name:os.system` is not allowed", "!!"),
    ("day: 2021-02-30\n", "`2021-02-30` is not a real date", "2021"),
    ("at: 2021-02-01 10:00:00\n", "has a time of day; dates here are days", "2021"),
    ("n: " + "9" * 401 + "\n", "is not a usable number", "999"),
    ("n: .inf\n", "is not a usable number", ".inf"),
    # PyYAML's constructors fail unguarded (KeyError, AttributeError) on these: a bug report, not a message
    ('on: !!bool "x"\n', "`x` cannot be read as the `!!bool` its tag asks for", "!!"),
    ("on: !!bool |-\n\n  false\n", "cannot be read as the `!!bool` its tag asks for", "!!"),
    ('n: !!int "x"\n', "`x` cannot be read as the `!!int` its tag asks for", "!!"),
    ('day: !!timestamp "x"\n', "`x` cannot be read as the `!!timestamp` its tag asks for", "!!"),
    ("a: " + "[" * 70 + "]" * 70 + "\n", "YAML is nested more than 64 levels deep", None),
])
def test_unsafe_or_broken_yaml_is_refused_at_its_place(text, message, needle):
    with pytest.raises(InputError) as caught:
        load_yaml(text, "p.yaml")
    diagnostic = caught.value.diagnostic
    assert message in diagnostic.message
    if needle is not None:
        assert (diagnostic.position.line, diagnostic.position.column) == index_of(text, needle)
    assert diagnostic.hint


def test_an_empty_file_is_no_document():
    assert load_yaml("# only a comment\n", "p.yaml") is None


def test_a_byte_that_is_not_utf8_is_placed():
    with pytest.raises(InputError) as caught:
        decode_utf8(b"a: 1\nb: caf\xe9\n", "p.yaml")
    diagnostic = caught.value.diagnostic
    assert diagnostic.message == "file is not valid UTF-8 (byte 0xe9)"
    assert (diagnostic.position.line, diagnostic.position.column) == (2, 7)
    assert diagnostic.hint == "save the file as UTF-8"


def test_folders_are_listed_sorted_without_following_links(tmp_path):
    (tmp_path / "b.yaml").write_text("x")
    (tmp_path / "a.yml").write_text("x")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "sub" / "tests").mkdir(parents=True)
    (tmp_path / "sub" / "c.yaml").write_text("x")
    (tmp_path / "sub" / "tests" / "case.yaml").write_text("x")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "b.yaml")
    os.mkfifo(tmp_path / "pipe.yaml")
    entries = folder_files(tmp_path, (".yaml", ".yml"), recursive=True, skip=("tests",))
    names = [(entry.path.relative_to(tmp_path).as_posix(), entry.problem and entry.problem.code) for entry in entries]
    assert names == [("a.yml", None), ("b.yaml", None), ("link.yaml", "file-link"), ("pipe.yaml", "file-special"),
                     ("sub/c.yaml", None)]
    link = next(entry.problem for entry in entries if entry.path.name == "link.yaml")
    assert link.message == "`link.yaml` is a symbolic link; folders are read without following links"


@pytest.fixture
def case_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "tests"
    (folder / "records").mkdir(parents=True)
    (folder / "records" / "a.json").write_text("{}")
    (tmp_path / "secret.json").write_text("SECRET")
    (folder / "records" / "link.json").symlink_to(tmp_path / "secret.json")
    return folder


HERE = Position("case.yaml", 3, 14)


def test_a_record_file_inside_the_case_folder_is_read(case_folder):
    path, data = read_inside(case_folder, "records/a.json", HERE)
    assert path == case_folder / "records" / "a.json" and data == b"{}"


@pytest.mark.parametrize("name, message", [
    ("/etc/passwd", "record file `/etc/passwd` is an absolute path; it must be relative to the case's folder"),
    ("../secret.json", "record file `../secret.json` leads out of the case's folder through `..`"),
    ("records/link.json", "record file `records/link.json` goes through a symbolic link (`link.json`)"),
    ("records", "record file `records` is not a regular file"),
    ("records/none.json", "cannot read record file `records/none.json`: No such file or directory"),
])
def test_a_record_file_anywhere_else_is_refused_at_the_case_line(case_folder, name, message):
    with pytest.raises(InputError) as caught:
        read_inside(case_folder, name, HERE)
    diagnostic = caught.value.diagnostic
    assert diagnostic.message.startswith(message), diagnostic.message
    assert diagnostic.position == HERE and diagnostic.code == "record-file"
    assert "SECRET" not in diagnostic.render()
