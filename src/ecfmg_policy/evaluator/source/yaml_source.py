"""Load YAML safely, keeping where every value came from.

PyYAML's ``safe_load`` forgets positions and silently keeps the last of two
duplicate keys.  Policy editors need both: an error in an expression must point
into the YAML file, and a duplicated rule key is a mistake to report.  We
compose the node tree with the safe loader, refuse aliases (no "billion laughs"),
and build small typed nodes that remember their position.

Reading files is here too, with the rules every input obeys (spec §9: no input
can make the engine read another file): folders are listed without following
links, links and special files inside them are refused by name, and a file a
policy test names is found inside its folder or not at all.
"""

from __future__ import annotations

import bisect
import datetime
import math
import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, NamedTuple

import yaml

from ecfmg_policy.errors import Diagnostic, InputError, Position, clip

# libyaml's safe loader when PyYAML has it (ten times faster, same safe constructors),
# else the pure-Python one; both compose nodes with the character positions we need.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # PyYAML's safe loader (in C when built): no tags, no objects
_BLOCK_STYLES = ("|", ">")
MAX_YAML_DEPTH = 64
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_SCALAR_TAGS = {f"tag:yaml.org,2002:{kind}" for kind in ("str", "int", "float", "bool", "null", "timestamp")}
_INT_TAG = "tag:yaml.org,2002:int"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
# Numbers are those a double holds: JSON output and float arithmetic need no more, and
# Python refuses to print integers past 4,300 digits.  A longer text is refused unread.
LARGEST_NUMBER = sys.float_info.max
LONGEST_NUMBER = 400


@dataclass(frozen=True, slots=True)
class ScalarText:
    """Maps a character offset in a scalar's value back to the YAML file."""

    source: str
    buffer: str
    start_index: int
    end_index: int
    style: str | None

    def position(self, offset: int, value: str) -> Position:
        raw_start = self.start_index
        if self.style in _BLOCK_STYLES:
            newline = self.buffer.find("\n", raw_start, self.end_index)
            raw_start = newline + 1 if newline >= 0 else raw_start
        elif self.style in ("'", '"'):
            raw_start += 1
        index = raw_start
        target = raw_start
        # Walk value and raw text together: folding, indentation and escapes
        # only ever add raw characters, so a greedy search for each visible
        # character lands on the right one.
        for ch in value[: offset + 1]:
            if ch.isspace():
                target = index
                continue
            found = self.buffer.find(ch, index, self.end_index)
            if found < 0:
                break
            target, index = found, found + 1
        return position_at(self.source, self.buffer, min(target, len(self.buffer)))


def position_at(source: str, buffer: str, index: int, newlines: list[int] | None = None) -> Position:
    """The 1-based line/column of a character index, with that line's text.

    ``newlines``, where the buffer's line breaks are, lets a caller asking for many
    places count lines by bisection instead of from the start each time (which made
    reading a file quadratic in its size: 25 s of 32 for a 690 KB policy).
    """
    line_start = buffer.rfind("\n", 0, index) + 1
    line_end = buffer.find("\n", index)
    line_end = len(buffer) if line_end < 0 else line_end
    line = (bisect.bisect_left(newlines, line_start) if newlines is not None else buffer.count("\n", 0, line_start)) + 1
    return Position(source, line, index - line_start + 1, buffer[line_start:line_end])


@dataclass(frozen=True, slots=True)
class YScalar:
    """A YAML scalar with its value, its text and where it stands."""

    value: Any
    position: Position
    text: ScalarText | None = None

    def position_of(self, offset: int) -> Position:
        """Where character ``offset`` of this (string) scalar stands in the file."""
        if self.text is None or not isinstance(self.value, str):
            return self.position
        return self.text.position(offset, self.value)


@dataclass(frozen=True, slots=True)
class YMap:
    """A YAML mapping with its keys' and values' places."""

    entries: dict[str, "YNode"]
    key_positions: dict[str, Position]
    position: Position

    def get(self, key: str) -> "YNode | None":
        return self.entries.get(key)


@dataclass(frozen=True, slots=True)
class YSeq:
    """A YAML sequence with its items' places."""

    items: list["YNode"]
    position: Position = field()


YNode = YScalar | YMap | YSeq


def to_plain(node: YNode) -> Any:
    """The Python value of a node, positions dropped."""
    if isinstance(node, YMap):
        return {k: to_plain(v) for k, v in node.entries.items()}
    if isinstance(node, YSeq):
        return [to_plain(v) for v in node.items]
    return node.value


def read_text(path: Path, label: str | None = None) -> str:
    """Read a UTF-8 file, turning OS and decoding failures into diagnostics."""
    label = label or str(path)
    return decode_utf8(read_bytes(path, label), label)


def read_bytes(path: Path, label: str | None = None) -> bytes:
    """A file's bytes; an OS failure becomes a diagnostic."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _unreadable(exc, label or str(path)) from None


def open_bytes(path: Path, label: str | None = None):
    """A file opened to be read a line at a time; an OS failure becomes a diagnostic."""
    try:
        return open(path, "rb")
    except OSError as exc:
        raise _unreadable(exc, label or str(path)) from None


def _unreadable(exc: OSError, label: str) -> InputError:
    return InputError(Diagnostic(f"cannot read file: {exc.strerror or exc}", source=label,
                                 hint="check the path and its permissions", code="file-unreadable"))


def decode_utf8(data: bytes, label: str, first_line: int = 1, what: str = "file") -> str:
    """``data`` as text; a byte that is not UTF-8 is reported at its line and column."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8", errors="replace")
        pos = position_at(label, good, len(good))
        raise InputError(Diagnostic(f"{what} is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                                    position=Position(label, pos.line + first_line - 1, pos.column),
                                    hint="save the file as UTF-8", code="encoding")) from None


@dataclass(frozen=True, slots=True)
class FolderEntry:
    """A file found in a folder, or why an entry of the folder cannot be read."""

    path: Path
    problem: Diagnostic | None = None


def folder_files(folder: Path, suffixes: tuple[str, ...], recursive: bool = False,
                 skip: tuple[str, ...] = ()) -> list[FolderEntry]:
    """The regular files in ``folder`` whose names end in ``suffixes``, sorted by path.

    Links are never followed, so a folder cannot lead the engine to a file
    outside it; a link or a special file (a pipe would hang the read) that
    would have been read is an entry with its problem, never a silent skip.
    A folder that cannot be listed is one such entry; the others are kept.
    ``skip`` names subfolders not to enter (a policy folder's ``tests``).
    """
    found: list[FolderEntry] = []
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError as exc:
        return [FolderEntry(folder, Diagnostic(f"cannot list folder: {exc.strerror or exc}", source=str(folder),
                                               code="folder-unreadable", hint="check the folder's permissions"))]
    for entry in entries:
        path = Path(folder, entry.name)
        wanted = path.suffix in suffixes
        if entry.is_symlink():
            into_folder = recursive and os.path.isdir(path)
            if wanted or into_folder:
                found.append(FolderEntry(path, Diagnostic(
                    f"`{entry.name}` is a symbolic link; folders are read without following links",
                    source=str(path), code="file-link",
                    hint="copy the file into the folder, or name its target on the command line")))
        elif entry.is_dir(follow_symlinks=False):
            if recursive and entry.name not in skip:
                found.extend(folder_files(path, suffixes, recursive, skip))
            elif wanted and not recursive:
                found.append(FolderEntry(path, not_regular(path, entry.name, "a folder")))
        elif entry.is_file(follow_symlinks=False):
            if wanted:
                found.append(FolderEntry(path))
        elif wanted:
            found.append(FolderEntry(path, not_regular(path, entry.name, "a pipe, socket or device")))
    return sorted(found, key=lambda e: e.path)


def not_regular(path: Path, name: str, kind: str) -> Diagnostic:
    return Diagnostic(f"`{name}` is not a regular file ({kind})", source=str(path), code="file-special",
                      hint="only plain files are read from a folder")


class FileKind(NamedTuple):
    """What a file a case names is called in messages, with the code and hint of a refusal."""

    what: str
    code: str
    hint: str


RECORD_FILE = FileKind("record file", code="record-file",
                       hint="name a plain file in the case's folder or below it, e.g. `records/applicant.json`")


def read_inside(folder: Path, name: str, where: Position | str, kind: FileKind = RECORD_FILE) -> tuple[Path, bytes]:
    """The file ``name`` (relative) inside ``folder``, or :class:`InputError` placed at ``where`` (the
    place that names the file, or the label of the file itself when no line names it).

    A policy test case names its record file (or its fixture); whoever shares the case must not
    be able to make the engine read (and echo) anything else: absolute paths,
    ``..``, links and special files are refused before a byte is read.  ``kind`` is what the
    file is called in messages, the diagnostic's code and the hint.
    """
    what, code, hint = kind

    def refuse(message: str):
        place = {"position": where} if isinstance(where, Position) else {"source": where}
        raise InputError(Diagnostic(message, code=code, hint=hint, **place))

    shown = clip(name, 80)
    relative = PurePath(name)
    if not name or relative.is_absolute() or relative.anchor:
        refuse(f"{what} `{shown}` is an absolute path; it must be relative to the case's folder")
    if ".." in relative.parts:
        refuse(f"{what} `{shown}` leads out of the case's folder through `..`")
    path = folder
    info = None
    for part in relative.parts:
        path = path / part
        try:
            info = os.lstat(path)
        except OSError as exc:
            refuse(f"cannot read {what} `{shown}`: {exc.strerror or exc}")
        if stat.S_ISLNK(info.st_mode):
            refuse(f"{what} `{shown}` goes through a symbolic link (`{clip(part, 80)}`); links are not followed")
    if info is None or not stat.S_ISREG(info.st_mode):
        refuse(f"{what} `{shown}` is not a regular file")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # replaced since it was looked at
                refuse(f"{what} `{shown}` is not a regular file")
            return path, handle.read()
    except OSError as exc:
        refuse(f"cannot read {what} `{shown}`: {exc.strerror or exc}")


def load_yaml(text: str, source: str) -> YNode | None:
    """Parse one YAML document into positioned nodes (None for an empty file)."""
    loader = SAFE_LOADER(text)
    try:
        root = loader.get_single_node()
        return None if root is None else _Builder(source, text, loader).build(root, 0)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        pos = position_at(source, text, mark.index) if mark is not None else None
        raise InputError(Diagnostic(f"invalid YAML: {problem}", position=pos,
                                    hint="check indentation, quoting and the ':' after each key",
                                    code="yaml-syntax")) from None
    except yaml.reader.ReaderError as exc:  # a character YAML forbids, such as ESC
        raise InputError(Diagnostic(f"invalid YAML: character U+{exc.character:04X} is not allowed in YAML",
                                    position=position_at(source, text, exc.position), code="yaml-syntax",
                                    hint="remove the control character, or write it as an escape in a quoted string"))
    except yaml.YAMLError as exc:
        raise InputError(Diagnostic(f"invalid YAML: {exc}", source=source, code="yaml-syntax")) from None
    except RecursionError:
        raise InputError(Diagnostic("YAML is nested too deeply to read", source=source, code="yaml-depth",
                                    hint=f"keep nesting under {MAX_YAML_DEPTH} levels")) from None
    finally:
        loader.dispose()


class _Builder:
    def __init__(self, source: str, text: str, loader: yaml.SafeLoader):
        self.source = source
        self.text = text
        self.loader = loader
        self.seen: set[int] = set()
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def pos(self, node: yaml.Node) -> Position:
        return position_at(self.source, self.text, node.start_mark.index, self.newlines)

    def build(self, node: yaml.Node, depth: int) -> YNode:
        if depth > MAX_YAML_DEPTH:
            raise InputError(Diagnostic(f"YAML is nested more than {MAX_YAML_DEPTH} levels deep", code="yaml-depth",
                                        position=self.pos(node), hint="flatten the structure"))
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
            raise InputError(Diagnostic(f"YAML tag `{node.tag}` is not allowed", position=self.pos(node),
                                        code="yaml-tag", hint="write plain YAML: mappings, lists and values"))
        if id(node) in self.seen:
            raise InputError(Diagnostic("YAML anchors and aliases are not allowed in this file",
                                        position=self.pos(node), code="yaml-alias",
                                        hint="write the value out where it is used"))
        self.seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            return self.build_map(node, depth)
        if isinstance(node, yaml.SequenceNode):
            return YSeq([self.build(item, depth + 1) for item in node.value], self.pos(node))
        if node.tag not in _SCALAR_TAGS:
            raise InputError(Diagnostic(f"YAML tag `{node.tag}` is not allowed", position=self.pos(node),
                                        code="yaml-tag", hint="write a plain value: text, a number, true/false, a date"))
        if node.tag == _INT_TAG and len(node.value) > LONGEST_NUMBER:
            raise self.unusable_number(node)
        try:
            value = self.loader.construct_object(node, deep=True)
        except ValueError as exc:  # PyYAML reads 2000-02-30 as a date and fails on it
            if node.tag != _TIMESTAMP_TAG:  # an explicit tag on text that is not of its type: `!!int "x"`
                raise self.not_of_its_tag(node) from None
            raise InputError(Diagnostic(f"`{clip(node.value, 40)}` is not a real date ({exc})", position=self.pos(node),
                                        code="yaml-value", hint="write a date that exists, as YYYY-MM-DD")) from None
        except (KeyError, AttributeError, TypeError):  # `!!bool "x"`, `!!timestamp "x"`: PyYAML fails unguarded
            raise self.not_of_its_tag(node) from None
        if isinstance(value, float) and not math.isfinite(value) or isinstance(value, int) and abs(value) > LARGEST_NUMBER:
            raise self.unusable_number(node)
        if isinstance(value, datetime.datetime):
            raise InputError(Diagnostic(f"`{clip(node.value, 40)}` has a time of day; dates here are days", code="yaml-value",
                                        position=self.pos(node), hint="write the date alone, as YYYY-MM-DD"))
        text = ScalarText(self.source, self.text, node.start_mark.index, node.end_mark.index, node.style)
        return YScalar(value, self.pos(node), text)

    def not_of_its_tag(self, node: yaml.ScalarNode) -> InputError:
        kind = node.tag.rsplit(":", 1)[-1]
        return InputError(Diagnostic(f"`{clip(node.value, 40)}` cannot be read as the `!!{kind}` its tag asks for",
                                     position=self.pos(node), code="yaml-value",
                                     hint="write the value without the tag, or a value of that type"))

    def unusable_number(self, node: yaml.ScalarNode) -> InputError:
        return InputError(Diagnostic(f"`{clip(node.value, 40)}` is not a usable number: numbers must be finite "
                                     f"and at most {LARGEST_NUMBER:.1e}".replace("+", "") + " in size", position=self.pos(node),
                                     code="yaml-value", hint="write an ordinary number"))

    def build_map(self, node: yaml.MappingNode, depth: int) -> YMap:
        entries: dict[str, YNode] = {}
        keys: dict[str, Position] = {}
        for key_node, value_node in node.value:
            key_pos = self.pos(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                raise InputError(Diagnostic("a key must be a plain name", position=key_pos, code="yaml-key"))
            try:
                key = self.loader.construct_object(key_node)
            except (ValueError, KeyError, AttributeError, TypeError):  # a date that does not exist, `!!bool "x"`
                key = key_node.value
            if isinstance(key, (datetime.date, bool)) or key is None:
                key = key_node.value
            key = str(key)
            if key in entries:
                first = keys[key]
                raise InputError(Diagnostic(
                    f"duplicate key `{key}` (first defined on line {first.line})",
                    position=key_pos, code="yaml-duplicate-key",
                    hint="YAML keeps only the last value of a repeated key; remove or rename one"))
            keys[key] = key_pos
            entries[key] = self.build(value_node, depth + 1)
        return YMap(entries, keys, self.pos(node))
