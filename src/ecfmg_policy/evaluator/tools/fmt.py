"""The one layout of policy files, test cases and the YAML beside them (``ecfmg-policy fmt``).

A formatter is only trusted if it never changes what a file says, so this one is built on
the reader the engine itself uses (``yaml_source``): a file fmt accepts is a file the engine
accepts (no tags, aliases, duplicate keys, nesting past its limit), whether a string may be
written plain is judged by the same YAML 1.1 rules that will read it back, and before new
text is handed out it is read again and compared with the old, value for value (types
included) and comment for comment (:class:`UnsafeFormat` otherwise, a bug in fmt).

Neither YAML library's writer gives this layout.  PyYAML's drops comments.  ruamel.yaml's
round trip keeps them, but hangs each on the key *before* it, so putting keys in schema
order carries a comment away from the key it introduces; and it reads YAML 1.2, where
the engine reads 1.1 (``yes`` is text to one, true to the other).  So the tree comes from
PyYAML's composer with every node's place; the comments from its scanner, as the text
between tokens (PyYAML skips comments, but each token says where it starts and ends, and
what lies between two tokens is white space or a comment); and the text is written here.

The layout (the guide's §12.6 says it for authors):

- keys in the order their JSON Schema declares them (policy, test case, and applicant for a
  case's ``record``), read from the shipped schemas so a key added there is placed without a
  change here; keys a schema does not name keep their order, after the named ones; maps
  and lists whose order is the author's (params, definitions, outputs, rules) keep it;
- a string plain when it reads back as the same string and its line fits in
  :data:`WIDTH`; double-quoted when plain it would read as another type (``"2004.1"``);
  otherwise folded (``>-``), broken only at single spaces, keeping the author's breaks;
  text of several lines literal (``|``), or folded as the author wrote it; double-quoted
  when no block form holds the value exactly; never single-quoted;
- two spaces of indentation, lists under a key indented too;
- a flow collection (``[a, b]``) kept on its line when it fits and holds no comment,
  written as a block otherwise; a block stays a block;
- comments kept where they stand (the ones above the first key stay at the top of the
  file); at most one blank line in a row, none at the start of a block; one blank line
  before each top-level key holding a block, and between the mappings of a top-level list
  (the rules); no trailing spaces, no tabs, one final newline.
"""

from __future__ import annotations

import bisect
import contextlib
import difflib
import io
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Union

import yaml

from ecfmg_policy.errors import Diagnostic, InputError, terminal_safe
from ecfmg_policy.evaluator.source.yaml_source import SAFE_LOADER  # the engine's own reader: a SafeLoader
from ecfmg_policy.evaluator.source.yaml_source import (FolderEntry, folder_files, load_yaml, not_regular, read_bytes,
                                                       decode_utf8, to_plain)

WIDTH = 100  # columns a line may take (its comment aside)
INDENT = 2
SUFFIXES = (".yaml", ".yml")

_STR = "tag:yaml.org,2002:str"
_BLANK = None  # a blank line, among the comment lines kept before an entry or after a block
_RESOLVER = yaml.resolver.Resolver()
_ANALYSER = yaml.emitter.Emitter(io.StringIO(), allow_unicode=True)  # only its analyze_scalar is used
_BREAK = re.compile(r"(?<=[^ \t]) (?=[^ \t])")  # a single space between two visible characters
_HEADER = re.compile(r"[|>][-+0-9]*[ \t]*(#.*)?$")
_MODELINE = re.compile(r"#\s*yaml-language-server:.*\$schema=(\S+)")
# A test case's inline record is an applicant record, checked against the applicant schema
# when the case runs; the test-case schema says only "an object", so the link is named here.
RECORD_PROPERTIES = {"test-case": {"record": "applicant", "changes": "applicant"}}
KINDS = ("policy", "test-case", "applicant")  # what a file may be recognised as from its keys


class UnsafeFormat(Exception):
    """The new text would not read back as the old: a bug in fmt; the file must be left alone."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.render())


# --- the tree: values with their places, comments and blank lines ------------------------------------------


@dataclass(eq=False)
class _Scalar:
    text: str  # the string; for any other value, the YAML that writes it
    is_str: bool
    style: str | None  # as the author wrote it: None (plain), '"', "'", '|' or '>'
    lines: list[str] | None = None  # the author's lines of a folded (or several-line plain) string


@dataclass(eq=False)
class _Entry:
    """A key and its value, or an item of a list; with the comment lines above it and the one after it."""

    key: _Scalar | None
    value: "_Node"
    line: int
    column: int
    parent: "_Collection"
    before: list = field(default_factory=list)  # comment texts and _BLANK, in order
    eol: str | None = None

    @property
    def in_flow(self) -> bool:
        return self.parent.in_flow


@dataclass(eq=False)
class _Collection:
    is_map: bool
    flow: bool  # written in flow style by the author
    in_flow: bool  # a flow collection, or inside one
    column: int
    owner: _Entry | None  # the entry this is the value of; None for the document's root
    entries: list[_Entry] = field(default_factory=list)
    trailing: list = field(default_factory=list)  # comment lines after the last entry, at its indentation


_Node = Union[_Scalar, _Collection]


@dataclass(eq=False)
class _Document:
    root: _Node | None
    root_line: int
    header: list = field(default_factory=list)  # the comments above the first key: they stay at the top
    trailing: list = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Comment:
    index: int
    line: int
    column: int
    text: str
    after_content: bool  # something stands before it on its line


def _comment_text(raw: str) -> str:
    return raw.rstrip().replace("\t", " ")


class _Reader:
    """A composed node tree, and the text it came from, into entries with comments."""

    def __init__(self, text: str):
        self.text = text
        self.entries: list[_Entry] = []  # in the order of the file
        self.ends: dict[int, list[tuple[int, int, _Entry | None]]] = {}  # line -> (index, depth, owner)
        self.block_scalars: dict[int, _Entry | None] = {}  # where a block scalar starts -> its entry

    def node(self, node: yaml.Node, owner: _Entry | None, depth: int, in_flow: bool) -> _Node:
        if isinstance(node, yaml.ScalarNode):
            if node.style in ("|", ">"):  # it ends past the blank lines after it; its comment is on its first line
                self.block_scalars[node.start_mark.index] = owner
            else:
                self.end(node, depth, owner)
            return self.scalar(node)
        coll = _Collection(isinstance(node, yaml.MappingNode), bool(node.flow_style), in_flow or bool(node.flow_style),
                           node.start_mark.column, owner)
        if coll.flow:
            self.end(node, depth, owner)
        if coll.is_map:
            for key, value in node.value:
                entry = _Entry(self.scalar(key), None, key.start_mark.line, key.start_mark.column, coll)
                self.entries.append(entry)
                self.end(key, depth + 1, entry)
                entry.value = self.node(value, entry, depth + 1, coll.in_flow)
                coll.entries.append(entry)
        else:
            for value in node.value:
                column = value.start_mark.column if coll.in_flow else node.start_mark.column  # the `-`
                entry = _Entry(None, None, value.start_mark.line, column, coll)
                self.entries.append(entry)
                entry.value = self.node(value, entry, depth + 1, coll.in_flow)
                coll.entries.append(entry)
        return coll

    def end(self, node: yaml.Node, depth: int, owner: _Entry | None) -> None:
        """A comment after ``node`` on its last line belongs to ``owner`` (deepest wins a tie)."""
        self.ends.setdefault(node.end_mark.line, []).append((node.end_mark.index, depth, owner))

    def scalar(self, node: yaml.ScalarNode) -> _Scalar:
        style = node.style or None
        if node.tag == _STR:
            return _Scalar(node.value, True, style, self.author_lines(node, style))
        implicit = _RESOLVER.resolve(yaml.ScalarNode, node.value, (True, False)) == node.tag
        if style is None and implicit and "\n" not in node.value:
            return _Scalar(node.value, False, None)  # as written: 0x1F stays 0x1F, ~ stays ~
        # an explicit tag (`!!float 1`, `!!int "3"`): kept, so the value keeps its type
        return _Scalar(f"!!{node.tag.rsplit(':', 1)[1]} {_double_quoted(node.value)}", False, None)

    def author_lines(self, node: yaml.ScalarNode, style: str | None) -> list[str] | None:
        raw = self.text[node.start_mark.index:node.end_mark.index]
        if style == ">":
            header, _, body = raw.partition("\n")
            if any(ch.isdigit() for ch in header.split("#")[0]):
                return None  # an explicit indentation: rare; written afresh
            lines = body.split("\n")
            while lines and not lines[-1].strip():
                lines.pop()
            first = next((line for line in lines if line.strip()), None)
            if first is None:
                return None
            indent = len(first) - len(first.lstrip(" "))
            return [line[indent:] if line.strip() or len(line) > indent else "" for line in lines]
        if style is None and "\n" in raw:
            return [line.strip() for line in raw.split("\n")]
        return None


def _scan(text: str) -> tuple[list[_Comment], set[int], dict[int, _Comment]]:
    """Every comment, the blank lines between values, and the comments on block scalars' first lines.

    PyYAML's scanner skips comments, but its tokens cover everything else: what lies
    between two tokens is white space or a comment running to the end of its line.  A
    block scalar's token runs on over the blank lines after it, which are not part of it
    unless it keeps them (``|+``), so its span is cut at its last visible character.
    """
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    spans: list[tuple[int, int]] = []
    headers: dict[int, str] = {}
    for token in yaml.scan(text, Loader=SAFE_LOADER):
        start, end = token.start_mark.index, token.end_mark.index
        if isinstance(token, yaml.ScalarToken) and token.style in ("|", ">"):
            newline = text.find("\n", start, end)
            header = text[start:newline if newline >= 0 else end]
            match = _HEADER.match(header)
            if match and match.group(1):
                line = bisect.bisect_right(starts, start) - 1
                at = start + match.start(1)
                headers[start] = _Comment(at, line, at - starts[line], _comment_text(match.group(1)), True)
            if "+" not in header.split("#")[0]:
                end = start + len(text[start:end].rstrip())
        spans.append((start, end))
    spans.sort()
    comments: list[_Comment] = []
    covered: set[int] = set()
    position = 0
    gaps = []
    for start, end in spans:
        if start > position:
            gaps.append((position, start))
        if end > start:
            covered.update(range(bisect.bisect_right(starts, start) - 1, bisect.bisect_right(starts, end - 1)))
        position = max(position, end)
    gaps.append((position, len(text)))
    for start, end in gaps:
        at = text.find("#", start, end)
        while at >= 0:
            stop = text.find("\n", at)
            stop = len(text) if stop < 0 else stop
            line = bisect.bisect_right(starts, at) - 1
            before = text[starts[line]:at]
            comments.append(_Comment(at, line, at - starts[line], _comment_text(text[at:stop]), bool(before.strip())))
            at = text.find("#", stop, end)
    commented = {c.line for c in comments}
    blanks = set()
    for line, start in enumerate(starts):
        stop = text.find("\n", start)
        if (line not in covered and line not in commented and not text[start:stop if stop >= 0 else len(text)].strip()
                and start < len(text)):
            blanks.add(line)
    return comments, blanks, headers


def comment_texts(text: str) -> list[str]:
    """The text of every comment in a YAML document (block scalar headers included), sorted."""
    comments, _, headers = _scan(_normalised(text))
    return sorted([c.text for c in comments] + [c.text for c in headers.values()])


def _normalised(text: str) -> str:
    """Line breaks as ``\\n`` and no byte-order mark: the same values, one way of writing them."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _read(text: str) -> _Document:
    loader = SAFE_LOADER(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    reader = _Reader(text)
    doc = _Document(None if root is None else reader.node(root, None, 0, False),
                    0 if root is None else root.start_mark.line)
    _attach(doc, reader, text)
    return doc


def _ancestors(entry: _Entry):
    coll = entry.parent
    while coll is not None:
        yield coll
        coll = coll.owner.parent if coll.owner is not None else None


def _attach(doc: _Document, reader: _Reader, text: str) -> None:
    """Give each comment and blank line to the entry it stands before or after, or to a block's end.

    A comment after something on its line belongs to the entry whose key or value ends
    last before it.  A comment on a line of its own belongs to the next entry, unless it
    is indented deeper than that entry: then it ends the deepest block it is indented for.
    Blank lines go with what follows them.  Within one gap between entries, comments only
    ever move outward, so their order is kept.
    """
    comments, blanks, headers = _scan(text)
    events: list[tuple[int, Any, int]] = [(line, _BLANK, 0) for line in blanks]
    for start, comment in headers.items():
        owner = reader.block_scalars.get(start)
        if owner is not None and owner.eol is None:
            owner.eol = comment.text
        else:  # on a block scalar that is the whole document
            events.append((comment.line, comment.text, comment.column))
    for comment in comments:
        if comment.after_content:
            candidates = [c for c in reader.ends.get(comment.line, ()) if c[0] <= comment.index]
            if candidates:
                owner = max(candidates, key=lambda c: (c[0], c[1]))[2]
                if owner is not None and owner.eol is None:
                    owner.eol = comment.text
                    continue
        events.append((comment.line, comment.text, comment.column))
    events.sort(key=lambda e: e[0])
    starts = [e.line for e in reader.entries]
    gap, rank, pending = None, 0, False

    def flush():
        if pending and gap is not None:
            if gap < len(reader.entries):
                target = reader.entries[gap].before if gap > 0 else doc.header
                target.append(_BLANK)

    for line, item, column in events:
        n = bisect.bisect_right(starts, line)
        if n != gap:
            flush()
            gap, rank, pending = n, 0, False
        if item is _BLANK:
            pending = True
            continue
        following = reader.entries[n] if n < len(reader.entries) else None
        if n == 0:
            target = doc.header if doc.root is None or line < doc.root_line or following is not None else doc.trailing
        else:
            previous = reader.entries[n - 1]
            blocks = [c for c in _ancestors(previous)
                      if following is None or c not in list(_ancestors(following))]
            choice = len(blocks)
            if following is None or column > following.column:
                choice = next((i for i, c in enumerate(blocks) if c.column <= column), len(blocks))
            choice = max(choice, rank)
            rank = choice
            if choice < len(blocks):
                target = blocks[choice].trailing if blocks[choice].owner is not None else doc.trailing
            else:
                target = following.before if following is not None else doc.trailing
        if pending:
            target.append(_BLANK)
            pending = False
        target.append(item)
    flush()


# --- schemas: the order of keys ----------------------------------------------------------------------------


def _shipped_schema(kind: str) -> dict:
    from ecfmg_policy.evaluator.records.schemas import schema

    return schema(kind)


def _schema_kinds() -> dict[str, str]:
    from ecfmg_policy.evaluator.records.schemas import SCHEMA_FILES

    return dict(SCHEMA_FILES)


class _View:
    """The parts of one or more JSON Schemas that apply at one place in a document."""

    def __init__(self, load: Callable[[str], dict], parts: list[tuple[dict, dict]] = (),
                 links: dict[str, str] | None = None):
        self.load = load
        self.links = links or {}  # key -> the kind of schema its value follows (RECORD_PROPERTIES)
        self.parts = []  # (schema, the document its $refs resolve in)
        seen: set[int] = set()
        for part, document in parts:
            self._expand(part, document, seen, 0)

    def _expand(self, part: Any, document: dict, seen: set[int], depth: int) -> None:
        if not isinstance(part, dict) or id(part) in seen or depth > 32:
            return
        seen.add(id(part))
        self.parts.append((part, document))
        if isinstance(part.get("$ref"), str):
            target = self._resolve(part["$ref"], document)
            if target is not None:
                self._expand(target[0], target[1], seen, depth + 1)
        for combined in ("allOf", "anyOf", "oneOf"):
            for branch in part.get(combined, ()) if isinstance(part.get(combined), list) else ():
                self._expand(branch, document, seen, depth + 1)
        for branch in ("then", "else"):  # `if` only tests; what it tests is declared elsewhere
            self._expand(part.get(branch), document, seen, depth + 1)

    def _resolve(self, ref: str, document: dict) -> tuple[dict, dict] | None:
        address, _, pointer = ref.partition("#")
        if address:
            name = address.rstrip("/").rsplit("/", 1)[-1]
            kind = next((k for k, file in _schema_kinds().items() if file == name), None)
            if kind is None:
                return None
            document = self.load(kind)
        target: Any = document
        for step in filter(None, pointer.split("/")):
            step = step.replace("~1", "/").replace("~0", "~")
            target = target.get(step) if isinstance(target, dict) else None
        return (target, document) if isinstance(target, dict) else None

    @classmethod
    def of(cls, load: Callable[[str], dict], kind: str | None) -> "_View":
        """The view at the root of a document of ``kind`` (an empty one for an unknown kind)."""
        if kind is None:
            return cls(load)
        document = load(kind)
        return cls(load, [(document, document)], RECORD_PROPERTIES.get(kind))

    def names(self) -> list[str]:
        """Every property named at this place, in the order the schema declares them."""
        names: dict[str, None] = {}
        for part, _ in self.parts:
            if isinstance(part.get("properties"), dict):
                names.update(dict.fromkeys(part["properties"]))
        return list(names)

    def child(self, key: str) -> "_View":
        if key in self.links:
            return _View.of(self.load, self.links[key])
        found = []
        for part, document in self.parts:
            properties = part.get("properties") if isinstance(part.get("properties"), dict) else {}
            patterns = part.get("patternProperties") if isinstance(part.get("patternProperties"), dict) else {}
            if key in properties:
                found.append((properties[key], document))
                continue
            matched = [(sub, document) for pattern, sub in patterns.items() if _matches(pattern, key)]
            found += matched
            if not matched and isinstance(part.get("additionalProperties"), dict):
                found.append((part["additionalProperties"], document))
        return _View(self.load, found)

    def item(self, index: int) -> "_View":
        found = []
        for part, document in self.parts:
            prefix = part.get("prefixItems") if isinstance(part.get("prefixItems"), list) else []
            if index < len(prefix):
                found.append((prefix[index], document))
            elif isinstance(part.get("items"), dict):
                found.append((part["items"], document))
        return _View(self.load, found)


def _matches(pattern: str, key: str) -> bool:
    try:
        return re.search(pattern, key) is not None
    except re.error:
        return False




def detect_kind(doc_root: Any, header: list, place: str | None, load: Callable[[str], dict]) -> str | None:
    """What a file is: the schema its ``$schema`` names (as a key or an editor's modeline); else
    the one schema among :data:`KINDS` that declares every top-level key; else where it
    stands (``place``: a policy file, or a case in a ``tests`` folder); else nothing known."""
    named = None
    if isinstance(doc_root, _Collection) and doc_root.is_map:
        for entry in doc_root.entries:
            if entry.key.is_str and entry.key.text == "$schema" and isinstance(entry.value, _Scalar):
                named = entry.value.text
    for line in header:
        match = _MODELINE.match(line or "")
        if match and named is None:
            named = match.group(1)
    if named:
        name = named.split("#")[0].rstrip("/").rsplit("/", 1)[-1]
        kind = next((k for k, file in _schema_kinds().items() if file == name), None)
        if kind is not None:
            return kind
    if isinstance(doc_root, _Collection) and doc_root.is_map:
        keys = {e.key.text if e.key.is_str else None for e in doc_root.entries} - {"$schema"}
        if keys and None not in keys:
            fits = [k for k in KINDS if keys <= set(_View.of(load, k).names())]
            if len(fits) == 1:
                return fits[0]
            if place in fits:
                return place
    return place


def _order(node: _Node, view: _View) -> None:
    """Keys in schema order (the others after them, as they were); comments travel with their keys."""
    if not isinstance(node, _Collection):
        return
    if node.is_map:
        rank = {name: i for i, name in enumerate(view.names())}
        node.entries.sort(key=lambda e: rank.get(e.key.text, len(rank)) if e.key.is_str else len(rank))
        for entry in node.entries:
            _order(entry.value, view.child(entry.key.text) if entry.key.is_str else _View(view.load))
    else:
        for i, entry in enumerate(node.entries):
            _order(entry.value, view.item(i))
    if node.owner is not None and node.owner.key is None and node.entries:
        # a list item that is a block: its first line is `- key: …`, so what stood above
        # that key stands above the item
        first = node.entries[0]
        node.owner.before += first.before
        first.before = []


# --- writing -----------------------------------------------------------------------------------------------


def _printable(ch: str) -> bool:
    return ("\x20" <= ch <= "\x7e" or "\xa0" <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd"
            or "\U00010000" <= ch <= "\U0010ffff") and ch != "\ufeff"


_ESCAPES = {"\0": "0", "\x07": "a", "\x08": "b", "\t": "t", "\n": "n", "\x0b": "v", "\x0c": "f", "\r": "r",
            "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\u2028": "L", "\u2029": "P"}


def _double_quoted(value: str) -> str:
    """``value`` double-quoted; everything a terminal would act on (and bidirectional
    controls, which reorder what a reviewer reads) written as an escape."""
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append("\\" + _ESCAPES[ch])
        elif _printable(ch) and terminal_safe(ch) == ch:
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}")
    return '"' + "".join(out) + '"'


def _plain_syntax(value: str, flow: bool) -> bool:
    """Whether ``value`` can be written without quotes at all (whatever type it would then read as)."""
    if not value or terminal_safe(value) != value:
        return False
    analysis = _ANALYSER.analyze_scalar(value)
    return not analysis.multiline and (analysis.allow_flow_plain if flow else analysis.allow_block_plain)


def _reads_as_str(value: str) -> bool:
    return _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == _STR


def _plain(value: str, flow: bool) -> bool:
    return _plain_syntax(value, flow) and _reads_as_str(value)


def _foldable(value: str) -> bool:
    return bool(value) and value[0] != " " and value[-1] != " " and terminal_safe(value) == value


def _split(line: str, width: int) -> list[str]:
    """``line`` broken at single spaces into pieces of at most ``width`` where it can be: at the
    last space that fits, or the first there is when none does (one pass over the line)."""
    out, start, cut = [], 0, None
    for space in (match.start() for match in _BREAK.finditer(line)):
        if space - start > width:
            if cut is not None:
                out.append(line[start:cut])
                start, cut = cut + 1, None
            if space - start > width:
                out.append(line[start:space])
                start = space + 1
                continue
        cut = space
    if len(line) - start > width and cut is not None:
        out.append(line[start:cut])
        start = cut + 1
    out.append(line[start:])
    return out


def _reads_back(header: str, lines: list[str], value: str) -> bool:
    text = f"k: {header}\n" + "".join(f"  {line}\n" if line else "\n" for line in lines)
    try:
        loaded = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError:
        return False
    return isinstance(loaded, dict) and type(loaded.get("k")) is str and loaded["k"] == value


class _Writer:
    def __init__(self, width: int = WIDTH):
        self.width = width

    def document(self, doc: _Document) -> str:
        out = []
        header = _collapse(doc.header)
        while header and header[0] is _BLANK:
            header.pop(0)
        if doc.root is None:
            while header and header[-1] is _BLANK:
                header.pop()
        out += _comment_lines(header, 0)
        if isinstance(doc.root, _Scalar):
            first, rest = self.scalar(doc.root, 0, INDENT)
            out += ([first] if first else []) + rest
        elif doc.root is not None:
            inline = self.inline(doc.root, self.width)
            out += [inline] if inline is not None else self.block(doc.root, 0, 0)[0]
        trailing = _ending(doc.trailing)
        if not out:
            trailing = trailing[1:] if trailing and trailing[0] is _BLANK else trailing
        out += _comment_lines(trailing, 0)
        return "\n".join(out) + "\n" if out else ""

    def block(self, coll: _Collection, indent: int, level: int) -> tuple[list[str], bool]:
        """The collection's lines, and whether the first of them ends in a comment."""
        out: list[str] = []
        first_commented = False
        for i, entry in enumerate(coll.entries):
            lines, block, commented = self.entry(entry, indent, coll.is_map, level)
            separate = i > 0 and block and (
                level == 0 and coll.is_map
                or level == 1 and not coll.is_map and isinstance(entry.value, _Collection) and entry.value.is_map)
            before = _collapse([x for x in entry.before if x is not _BLANK or not entry.in_flow])
            if i == 0:
                while before and before[0] is _BLANK:
                    before.pop(0)
                first_commented = commented and not before
            if separate and (not before or before[0] is not _BLANK):
                before.insert(0, _BLANK)
            out += _comment_lines(before, indent)
            out += lines
        trailing = _ending([x for x in coll.trailing if x is not _BLANK or not coll.in_flow])
        out += _comment_lines(trailing, indent)
        return out, first_commented

    def entry(self, entry: _Entry, indent: int, is_map: bool, level: int) -> tuple[list[str], bool, bool]:
        """An entry's lines, whether its value is a block collection, and whether its first line
        ends in a comment."""
        head = " " * indent + (self.key(entry.key, False) + ":" if is_map else "-")
        value = entry.value
        block = commented = False
        if isinstance(value, _Scalar):
            first, rest = self.scalar(value, len(head) + 1, indent + INDENT)
            lines = [head + " " + first if first else head] + rest
        else:
            inline = self.inline(value, self.width - len(head) - 1)
            if inline is not None:
                lines = [head + " " + inline]
            else:
                block = True
                inner, commented = self.block(value, indent + INDENT, level + 1)
                if is_map:
                    lines, commented = [head] + inner, False
                else:  # `- ` takes the place of the first entry's indentation
                    lines = [head + " " + inner[0][indent + INDENT:]] + inner[1:]
        if entry.eol and commented:
            # `- key: value  # …` already ends in the first entry's comment (the item was a flow
            # collection with a comment inside and one after it): this one ends the item instead
            lines.append(" " * (indent + INDENT) + entry.eol)
        elif entry.eol:
            lines[0] += "  " + entry.eol
            commented = True
        return lines, block, commented

    def key(self, key: _Scalar, flow: bool) -> str:
        if not key.is_str:
            return key.text or "null"
        return key.text if _plain(key.text, flow) else _double_quoted(key.text)

    def inline(self, coll: _Collection, room: int) -> str | None:
        """The collection on one line, if it was written so, holds no comment and fits in ``room``."""
        if not coll.entries:
            return "{}" if coll.is_map else "[]"
        if not coll.flow or _has_comments(coll):
            return None
        text = self.flow(coll)
        return text if len(text) <= room else None

    def flow(self, node: _Node) -> str:
        if isinstance(node, _Scalar):
            if not node.is_str:
                return node.text or "null"
            return node.text if _plain(node.text, True) else _double_quoted(node.text)
        parts = [f"{self.key(e.key, True)}: {self.flow(e.value)}" if node.is_map else self.flow(e.value)
                 for e in node.entries]
        return ("{%s}" if node.is_map else "[%s]") % ", ".join(parts)

    def scalar(self, scalar: _Scalar, head: int, indent: int) -> tuple[str, list[str]]:
        """What follows ``key:`` (or ``-``) on its line, and the lines after it (already indented).

        ``head`` is how much of the line the key takes, with the space after it; ``indent``
        is where a block scalar's lines start.
        """
        if not scalar.is_str:
            return scalar.text, []
        value = scalar.text
        if "\n" not in value:
            if _plain_syntax(value, False):
                if _reads_as_str(value) and (head + len(value) <= self.width or not _BREAK.search(value)):
                    return value, []
                if not _reads_as_str(value):
                    return _double_quoted(value), []
            if _foldable(value):
                folded = self.folded(value, scalar.lines, indent)
                if folded is not None:
                    return folded
            return _double_quoted(value), []
        for written in (self.folded_as_written(scalar, indent), self.literal(value, indent)):
            if written is not None:
                return written
        return _double_quoted(value), []

    def folded(self, value: str, hints: list[str] | None, indent: int) -> tuple[str, list[str]] | None:
        """``>-``, at the author's line breaks when they were at single spaces, and at the
        last single space that fits wherever a line is too long."""
        lines = [value]
        if hints and " ".join(hints) == value and all(h and h.strip(" ") == h for h in hints):
            lines = hints
        room = self.width - indent
        lines = [piece for line in lines for piece in _split(line, room)]
        if not _reads_back(">-", lines, value):
            return None
        return ">-", [" " * indent + line for line in lines]

    def folded_as_written(self, scalar: _Scalar, indent: int) -> tuple[str, list[str]] | None:
        """Text of several lines the author folded (``>``), kept as written, re-indented."""
        value = scalar.text
        if scalar.style != ">" or not scalar.lines or value.endswith("\n\n") or "\t" in value:
            return None
        if terminal_safe(value.replace("\n", "")) != value.replace("\n", ""):
            return None
        if any(line != line.rstrip() for line in scalar.lines):
            return None
        room = self.width - indent
        lines = [piece for line in scalar.lines
                 for piece in (_split(line, room) if line and line[0] != " " else [line])]
        header = ">" if value.endswith("\n") else ">-"
        if not _reads_back(header, lines, value):
            return None
        return header, [" " * indent + line if line else "" for line in lines]

    def literal(self, value: str, indent: int) -> tuple[str, list[str]] | None:
        """Text of several lines as it reads (``|``), when a literal block holds it exactly."""
        if value.endswith("\n\n") or "\t" in value:
            return None
        body = value[:-1] if value.endswith("\n") else value
        if terminal_safe(body.replace("\n", "")) != body.replace("\n", ""):
            return None
        lines = body.split("\n")
        first = next((line for line in lines if line), None)
        if first is None or first[0] == " " or any(line != line.rstrip() for line in lines):
            return None
        header = "|" if value.endswith("\n") else "|-"
        if not _reads_back(header, lines, value):
            return None
        return header, [" " * indent + line if line else "" for line in lines]


def _has_comments(coll: _Collection) -> bool:
    if any(x is not _BLANK for x in coll.trailing):
        return True
    for entry in coll.entries:
        if entry.eol or any(x is not _BLANK for x in entry.before):
            return True
        if isinstance(entry.value, _Collection) and _has_comments(entry.value):
            return True
    return False


def _collapse(lines: list) -> list:
    """At most one blank line in a row."""
    out: list = []
    for item in lines:
        if item is _BLANK and out and out[-1] is _BLANK:
            continue
        out.append(item)
    return out


def _ending(lines: list) -> list:
    """Comment lines after a block: a blank line before them kept, none after them."""
    out = _collapse(lines)
    while out and out[-1] is _BLANK:
        out.pop()
    return out


def _comment_lines(lines: list, indent: int) -> list[str]:
    return ["" if item is _BLANK else " " * indent + item for item in lines]


# --- the whole: text in, text out, checked ------------------------------------------------------------------


def format_text(text: str, source: str = "<text>", *, place: str | None = None,
                schemas: Callable[[str], dict] | None = None, width: int = WIDTH) -> str:
    """``text`` in the canonical layout.

    ``place`` is what the file's location says it is (``policy`` or ``test-case``), used
    when its ``$schema`` and keys do not say; ``schemas`` gives a schema by kind (the
    shipped ones by default).  Raises :class:`InputError` for a file the engine would not
    read, and :class:`UnsafeFormat` if the result would not read back as ``text`` does.
    """
    root = load_yaml(text, source)  # every check the engine makes, positioned in the file as given
    original = None if root is None else to_plain(root)
    text = _normalised(text)
    comments = comment_texts(text)
    load = schemas or _shipped_schema
    doc = _read(text)
    kind = detect_kind(doc.root, doc.header, place, load)
    if doc.root is not None:
        _order(doc.root, _View.of(load, kind))
    formatted = _Writer(width).document(doc)
    _verify(original, comments, formatted, source)
    return formatted


def _verify(original: Any, comments: list[str], formatted: str, source: str) -> None:
    """The new text must read back as the old one did, and keep every comment."""
    def refuse(what: str) -> None:
        raise UnsafeFormat(Diagnostic(
            f"fmt would change this file's meaning ({what}); the file is left as it is", source=source,
            code="fmt-unsafe", hint="this is a bug in fmt: please report it with the file"))

    try:
        root = load_yaml(formatted, source)
    except InputError as exc:
        refuse(f"its new text does not read: {exc.diagnostic.message}")
    if not _same(original, None if root is None else to_plain(root)):
        refuse("a value would differ")
    if comment_texts(formatted) != comments:
        refuse("a comment would be lost")


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (``True == 1`` and ``1 == 1.0`` are not the same value here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


# --- files ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Formatted:
    """One file: its text, the text fmt gives it, or why it cannot be formatted."""

    path: Path
    before: str | None = None
    after: str | None = None
    data: bytes | None = None  # as read, to see that nobody changed it before it is replaced
    problem: Diagnostic | None = None

    @property
    def changed(self) -> bool:
        return self.problem is None and self.before != self.after


def yaml_entries(path: Path) -> list[FolderEntry]:
    """The YAML files under ``path`` (or ``path`` itself), links and special files reported, never followed."""
    if os.path.islink(path):
        return [FolderEntry(path, Diagnostic(f"`{path.name}` is a symbolic link; fmt does not follow links",
                                             source=str(path), code="file-link",
                                             hint="name the file the link points to"))]
    if os.path.isdir(path):
        return folder_files(path, SUFFIXES, recursive=True)
    if not os.path.isfile(path):
        return [FolderEntry(path, not_regular(path, path.name, "a pipe, socket or device"))]
    return [FolderEntry(path)]


def place_of(file: Path, given: Path) -> str | None:
    """What a file is by where it stands, as the engine reads folders: a test case directly in a
    ``tests`` folder, a policy outside any (below the folder given), else unknown (fixtures)."""
    if file == given:
        in_tests = any(part == "tests" for part in file.resolve().parent.parts)
    else:
        in_tests = Path(given).resolve().name == "tests" or "tests" in file.parent.relative_to(given).parts
    if not in_tests:
        return "policy"
    return "test-case" if file.parent.name == "tests" else None


def format_file(path: Path, given: Path | None = None, **options) -> Formatted:
    label = str(path)
    try:
        data = read_bytes(path, label)
        text = decode_utf8(data, label)
        after = format_text(text, label, place=place_of(path, given or path), **options)
    except InputError as exc:
        return Formatted(path, problem=exc.diagnostic)
    except UnsafeFormat as exc:
        return Formatted(path, problem=exc.diagnostic)
    return Formatted(path, text, after, data)


def format_paths(paths: list[Path], **options) -> list[Formatted]:
    """Every YAML file under ``paths``, formatted in memory (nothing is written)."""
    results, seen = [], set()
    for given in paths:
        for entry in yaml_entries(Path(given)):
            if os.path.abspath(entry.path) in seen:  # named twice: formatted (and written) once
                continue
            seen.add(os.path.abspath(entry.path))
            results.append(Formatted(entry.path, problem=entry.problem) if entry.problem is not None
                           else format_file(entry.path, Path(given), **options))
    return results


def write(result: Formatted) -> Diagnostic | None:
    """Replace the file with its new text, atomically: a new file beside it, renamed over it.

    Nothing is written if the file has changed since it was read (an editor saved it), or
    is no longer a plain file.  The new file keeps the old one's permissions.
    """
    path = result.path

    def failed(message: str) -> Diagnostic:
        return Diagnostic(f"cannot write file: {message}", source=str(path), code="file-unwritable",
                          hint="check the file's and its folder's permissions, and run fmt again")

    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or path.read_bytes() != result.data:
            return failed("it changed while fmt was reading it; nothing was written")
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".fmt", dir=path.parent)
    except OSError as exc:
        return failed(exc.strerror or str(exc))
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(result.after.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return failed(exc.strerror or str(exc))
    return None


def unified_diff(result: Formatted) -> str:
    """What fmt would change in one file, as ``diff -u`` shows it."""
    name = result.path.as_posix()
    lines = difflib.unified_diff(result.before.splitlines(keepends=True),
                                 result.after.splitlines(keepends=True), f"a/{name}", f"b/{name}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)

