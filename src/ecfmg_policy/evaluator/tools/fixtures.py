"""Fixtures: the base records a policy's test cases are built on, and the changes a case makes.

A case that writes out a whole applicant record hides its point: the exam date
that matters is one line among thirty, the rest copied from the case before.
So a case can name a *fixture*, a base record kept in ``fixtures/NAME.yaml``
beside the cases (``base: graduate``), and write only what differs
(``changes``).  Changes are a JSON Merge Patch (RFC 7386), the one merge a
reader can apply in their head: a mapping merges key by key, ``null`` removes a
key, anything else (a list included) replaces.  Lists are replaced whole, not
edited item by item: an applicant's exams are a short history, and a case
that shows the whole history shows its point.

A fixture is a record, or another fixture with changes, so a family of
records reads as a chain (``graduate``, then a student at the same school).
Fixture files are read under the rules of ``record_file`` (inside the case's
folder, never through a link, never a pipe or device), each once per run; a
chain that comes back to a fixture already in it, or runs past
:data:`MAX_CHAIN` files, is refused at the ``base`` that goes wrong.

Every value of a built record can say which file, line and column wrote it
(:meth:`BuiltRecord.written_at`): a record the applicant schema refuses is
reported where the offending value was written, in the case or in a fixture.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecfmg_policy.errors import Diagnostic, InputError, Position, did_you_mean
from ecfmg_policy.evaluator.policy.loader import check_structure
from ecfmg_policy.evaluator.source.yaml_source import (FileKind, YMap, YNode, YScalar, YSeq, decode_utf8, folder_files,
                                                       load_yaml, read_inside, to_plain)

FIXTURES = "fixtures"  # the folder beside the cases that holds them: fixtures/NAME.yaml is `base: NAME`
MAX_CHAIN = 8  # fixture files in one chain, the one that holds the record included
FIXTURE_FILE = FileKind("fixture file", code="fixture-file",
                        hint="keep each fixture as a plain file in the fixtures/ folder beside the cases")


def merge_patch(target: Any, patch: Any) -> Any:
    """``patch`` applied to ``target`` as RFC 7386 says (section 2), neither changed: a new value.

    A mapping merges key by key into the target's mapping (or into an empty one,
    if the target is not a mapping); a ``None`` (YAML's ``null``) removes its key;
    any other value, a list included, replaces what was there.
    """
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


@dataclass(frozen=True, slots=True)
class Layer:
    """One step of building a record: the whole record as written, or changes merged into the record before."""

    node: YNode  # as written, every value with its place
    before: Any = None  # the record the changes were merged into (for changes only)
    changes: bool = False


@dataclass(frozen=True, slots=True)
class BuiltRecord:
    """A record as a case will be judged on it, and the layers it was built from, oldest first."""

    value: Any
    layers: tuple[Layer, ...]

    @classmethod
    def written_out(cls, node: YNode) -> "BuiltRecord":
        """A record written out whole: a case's ``record``, or the ``record`` of a fixture."""
        return cls(to_plain(node), (Layer(node),))

    def changed_by(self, changes: YMap) -> "BuiltRecord":
        return BuiltRecord(merge_patch(self.value, to_plain(changes)), (*self.layers, Layer(changes, self.value, True)))

    def written_at(self, pointer: str) -> Position | None:
        """The place that wrote the value at ``pointer`` (a JSON pointer), or the place of the change
        that removed it; for a field that is missing, the place of the nearest value around it.

        The newest layer that wrote it wins: changes wrote the value if they hold it, hold a
        value (a list, a text) it is part of, or hold the mapping it is in where the record
        before had no mapping; otherwise the value came from the layer before.
        """
        path = _steps(pointer)
        if not path:
            return None
        for layer in reversed(self.layers):
            node, depth = _walk(layer.node, path)
            if not layer.changes or depth == len(path) or not isinstance(node, YMap) \
                    or not isinstance(_value_at(layer.before, path[:depth]), dict):
                return node.position
        return None  # pragma: no cover - the first layer is always a record written out


def _steps(pointer: str) -> list[str]:
    """``/exams/2/date`` -> ``["exams", "2", "date"]`` (RFC 6901's ``~1`` and ``~0`` read back)."""
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]] if pointer else []


def _walk(node: YNode, path: list[str]) -> tuple[YNode, int]:
    """The deepest node along ``path`` and how many steps of it were found."""
    for depth, step in enumerate(path):
        if isinstance(node, YMap) and step in node.entries:
            node = node.entries[step]
        elif isinstance(node, YSeq) and step.isdigit() and int(step) < len(node.items):
            node = node.items[int(step)]
        else:
            return node, depth
    return node, len(path)


def _value_at(value: Any, path: list[str]) -> Any:
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return value


class Fixtures:
    """The fixtures of one run, each file read, checked and built once, its problem kept as well.

    A hundred cases name a handful of fixtures: a broken fixture is one problem, reported
    once with the file, line and column where it is broken, not once per case.
    """

    def __init__(self) -> None:
        self.built: dict[Path, BuiltRecord | Diagnostic] = {}
        self.files: dict[Path, YMap | Diagnostic] = {}

    def record(self, folder: Path, base: YScalar, changes: YMap | None) -> BuiltRecord:
        """The record of a case in ``folder`` built on the fixture ``base`` names, with its ``changes``."""
        fixture = self.fixture(self.find(folder, base))
        return fixture if changes is None else fixture.changed_by(changes)

    def fixture(self, path: Path) -> BuiltRecord:
        if path not in self.built:
            try:
                self.built[path] = self._build(path)
            except InputError as exc:
                self.built[path] = exc.diagnostic
        built = self.built[path]
        if isinstance(built, Diagnostic):
            raise InputError(built)
        return built

    def _build(self, start: Path) -> BuiltRecord:
        """Follow the chain of ``base`` from ``start`` to the fixture that holds a record, then apply
        each fixture's changes on the way back: iteratively, so no chain can exhaust the stack."""
        chain, roots = [start], []
        while True:
            root = self.read(chain[-1])
            roots.append(root)
            base = root.get("base")
            if not isinstance(base, YScalar):
                break
            path = self.find(chain[-1].parent.parent, base)
            names = " -> ".join(p.stem for p in [*chain, path])
            if path in chain:
                raise InputError(Diagnostic(f"fixtures form a cycle: {names}", position=base.position,
                                            code="fixture-chain", hint="one fixture of the chain must hold a `record`"))
            if len(chain) == MAX_CHAIN:
                raise InputError(Diagnostic(f"a chain of more than {MAX_CHAIN} fixtures: {names}",
                                            position=base.position, code="fixture-chain",
                                            hint="build on a fixture nearer the record, or write the record out"))
            chain.append(path)
        built = BuiltRecord.written_out(roots[-1].entries["record"])
        for root in reversed(roots[:-1]):
            changes = root.get("changes")
            built = built.changed_by(changes) if isinstance(changes, YMap) else built
        return built

    def read(self, path: Path) -> YMap:
        """A fixture file, parsed with its positions and checked against the fixture schema."""
        if path not in self.files:
            try:
                self.files[path] = _read_fixture(path)
            except InputError as exc:
                self.files[path] = exc.diagnostic
        read = self.files[path]
        if isinstance(read, Diagnostic):
            raise InputError(read)
        return read

    @staticmethod
    def find(folder: Path, base: YScalar) -> Path:
        """The file of the fixture ``base`` names, seen from the case (or fixture) in ``folder``."""
        name = str(base.value)
        path = folder / FIXTURES / f"{name}.yaml"
        if os.path.lexists(path):
            return path
        present = sorted(e.path.stem for e in folder_files(folder / FIXTURES, (".yaml",))
                         if e.path.parent == folder / FIXTURES)
        if present:
            hint = did_you_mean(name, present) or "fixtures here: " + ", ".join(f"`{p}`" for p in present)
        else:
            hint = f"write the base record in {path} (there is no fixture beside this case yet)"
        raise InputError(Diagnostic(f"no fixture `{name}`: there is no file {FIXTURES}/{name}.yaml beside the case",
                                    position=base.position, code="fixture-missing", hint=hint))


def _read_fixture(path: Path) -> YMap:
    found, data = read_inside(path.parent.parent, f"{FIXTURES}/{path.name}", str(path), FIXTURE_FILE)
    label = str(found)
    root = load_yaml(decode_utf8(data, label), label)
    if not isinstance(root, YMap):
        raise InputError(Diagnostic("a fixture must be a mapping: a `record`, or a `base` and its `changes`",
                                    source=label, code="test-fixture-structure"))
    unknown, problems = check_structure(root, "test-fixture")
    if unknown or problems:
        raise InputError((unknown + problems)[0])
    return root


def in_fixtures(folders: tuple[str, ...]) -> bool:
    """Whether a file in ``folders`` (outermost first) is a fixture: in a fixtures folder below a
    ``tests`` folder.  A fixture is a base record for cases, not a case to run."""
    return "tests" in folders and FIXTURES in folders[folders.index("tests") + 1:]
