"""Policy test cases: load them, run them against the policies beside them, measure rule coverage.

A case is a YAML file in a ``tests/`` folder next to the policy files it
tests (as OpenFisca keeps its tests beside its parameters): a record (written
out, in a file, or built from a fixture and the case's changes: ``fixtures``),
an as-of date, optionally a forced version, and the expected decision, rule
outcomes and outputs.  The runner evaluates each case exactly as ``check``
would and compares what the case names; ``other_rules`` names the outcome of
every rule it does not, so a short case still pins every rule.

Cases are shared like code, so a case can make the engine read only its own
record: ``record_file`` and fixtures are found inside the case's folder, never
through an absolute path, ``..`` or a link, and folders of cases are listed
without following links.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ecfmg_policy.api import Engine
from ecfmg_policy.errors import Diagnostic, InputError, PolicyError, Position, UsageError, did_you_mean
from ecfmg_policy.evaluator.evaluation.evaluate import RecordResult
from ecfmg_policy.evaluator.policy.loader import check_structure
from ecfmg_policy.evaluator.policy.model import Outcome
from ecfmg_policy.evaluator.records.records import parse_record_text
from ecfmg_policy.evaluator.language.values import to_json_value
from ecfmg_policy.evaluator.source.yaml_source import (FolderEntry, YMap, decode_utf8, folder_files, load_yaml, not_regular,
                                                       read_inside, read_text, to_plain)
from ecfmg_policy.evaluator.tools.fixtures import FIXTURES, BuiltRecord, Fixtures, in_fixtures

FAILING = (Outcome.UNMET, Outcome.BLOCKED)


@dataclass(frozen=True, slots=True)
class TestCase:
    """One case of a policy's test file: a record, an as-of date and what it must give."""

    __test__ = False  # a policy's, not a pytest test: pytest must not collect it

    file: Path
    name: str
    as_of: datetime.date
    policy_version: str | None
    record: Any
    expect: dict
    policy_dir: Path
    lines: dict[str, int] = field(default_factory=dict)  # "case", "decision", "rule ID", "other_rules", … -> line
    built: BuiltRecord | None = None  # where each value of the record was written (none for a record_file)

    def line_of(self, what: str) -> int:
        """The line of the case file that states ``what`` (a mismatch's subject), else the case's name."""
        return self.lines.get(what, self.lines.get("case", 1))

    def written_at(self, pointer: str) -> Position | None:
        """The file, line and column that wrote the record's value at ``pointer`` (None for a record_file)."""
        return self.built.written_at(pointer) if self.built is not None else None


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One way a case's result differs from what the case expects."""

    what: str  # "decision", "rule ID", "output NAME"
    expected: Any
    actual: Any
    detail: str | None = None  # the rule's message, when there is one
    via: str | None = None  # "other_rules" when the rule is not named but covered by other_rules

    @property
    def stated_by(self) -> str:
        """What in the case states the expectation: the line to report it at."""
        return self.via or self.what


@dataclass(frozen=True, slots=True)
class CaseResult:
    """What running one case gave: its mismatches, or the problem that stopped it."""

    case: TestCase
    result: RecordResult | None
    mismatches: tuple[Mismatch, ...]
    problem: str | None = None  # the case could not run (unknown version, as-of before the policy…)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.mismatches and self.problem is None

    def failures(self) -> list[tuple[int, str]]:
        """Each way the case failed with the line of the case file that says what was expected."""
        if self.problem is not None:
            return [(self.case.line_of("problem"), f"could not run: {self.problem}")]
        return [(self.case.line_of(m.stated_by), f"{m.what}: expected {_shown(m.expected)}"
                 + (f" (by {m.via})" if m.via else "") + f", got {_shown(m.actual)}"
                 + (f" ({m.detail})" if m.detail else "")) for m in self.mismatches]


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@dataclass
class Coverage:
    """For each policy version and rule, the outcomes the cases reached."""

    reached: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    rule_order: list[tuple[str, str]] = field(default_factory=list)

    def add_policy(self, engine: Engine) -> None:
        for compiled in engine.policies.versions:
            for rule in compiled.policy.rules:
                key = (compiled.policy.version, rule.id)
                if key not in self.reached:
                    self.reached[key] = set()
                    self.rule_order.append(key)

    def record(self, result: RecordResult) -> None:
        if result.policy is None:
            return
        for rule in result.rules:
            self.reached.setdefault((result.policy.policy.version, rule.id), set()).add(rule.outcome)

    def covered(self, key: tuple[str, str]) -> bool:
        """Reached ``met`` and a failing outcome: the cases show both sides of the rule."""
        outcomes = self.reached[key]
        return Outcome.MET in outcomes and bool(outcomes & set(FAILING))

    def percent(self) -> float:
        if not self.reached:
            return 100.0
        return 100.0 * sum(self.covered(k) for k in self.reached) / len(self.reached)


def case_files(paths: list[Path]) -> list[Path]:
    """YAML files inside a ``tests`` folder under each path (or the files themselves)."""
    return [entry.path for entry in case_entries(paths) if entry.problem is None]


def case_entries(paths: list[Path]) -> list[FolderEntry]:
    """:func:`case_files`, with the entries that cannot be read (links, pipes, unlistable folders) and why."""
    found: list[FolderEntry] = []
    for path in paths:
        if os.path.isfile(path) and in_fixtures(Path(path).resolve().parent.parts):
            found.append(FolderEntry(Path(path), Diagnostic(
                f"`{Path(path).name}` is a fixture (a base record in {FIXTURES}/), not a test case",
                source=str(path), code="fixture-file",
                hint=f"run the cases that name it (`base: {Path(path).stem}`), or the tests folder")))
        elif os.path.isfile(path):
            found.append(FolderEntry(path))
        elif os.path.isdir(path):
            # "tests" counts below the folder given (or as its own name), never above it: a
            # checkout under a folder named tests (a repository called tests) is no case folder;
            # below it, fixtures/ holds the base records of cases, not cases
            above = ("tests",) if Path(path).resolve().name == "tests" else ()
            found.extend(e for e in folder_files(path, (".yaml", ".yml"), recursive=True)
                         if "tests" in (folders := above + e.path.parent.relative_to(path).parts)
                         and not in_fixtures(folders)
                         or e.problem is not None and e.problem.code == "folder-unreadable")
        elif os.path.lexists(path):
            found.append(FolderEntry(Path(path), not_regular(Path(path), Path(path).name, "a pipe, socket or device")))
    return found


def _policy_dir_for(file: Path) -> Path:
    """The folder whose ``tests/`` holds the case: that is the policy it tests (as the user
    wrote the path where it shows, so reports name ``policies/…`` rather than an absolute path)."""
    for parent in file.parents:
        if parent.name == "tests":
            return parent.parent
    for parent in file.resolve().parents:
        if parent.name == "tests":
            return parent.parent
    return file.resolve().parent


def load_case(file: Path, policy_dir: Path | None = None, fixtures: Fixtures | None = None) -> TestCase:
    """Read and validate a case file; raise :class:`InputError` pointing into it (or into the fixture
    that cannot be used).  ``fixtures`` are those already read in this run."""
    label = str(file)
    root = load_yaml(read_text(file, label), label)
    if not isinstance(root, YMap):
        raise InputError(Diagnostic("a test case must be a mapping (name, as_of, record, expect)",
                                    source=label, code="test-case-structure"))
    unknown, problems = check_structure(root, "test-case")
    if unknown or problems:
        raise InputError((unknown + problems)[0])
    plain = to_plain(root)
    as_of = plain["as_of"]
    if isinstance(as_of, str):
        as_of = datetime.date.fromisoformat(as_of)
    built = None
    if "record_file" in plain:
        record_path, data = read_inside(file.parent, plain["record_file"], root.entries["record_file"].position)
        text = decode_utf8(data, str(record_path))
        entry = parse_record_text(text, str(record_path), str(record_path), 0)
        if entry.problem is not None:
            raise InputError(entry.problem)
        record = entry.value
    else:
        if "base" in plain:
            fixtures = fixtures if fixtures is not None else Fixtures()
            built = fixtures.record(file.parent, root.entries["base"], root.get("changes"))
        else:
            built = BuiltRecord.written_out(root.entries["record"])
        record = json.loads(json.dumps(built.value, default=_iso))
    return TestCase(file, plain["name"], as_of, plain.get("policy_version"), record,
                    json.loads(json.dumps(plain["expect"], default=_iso)), policy_dir or _policy_dir_for(file),
                    _lines(root), built)


def _lines(root: YMap) -> dict[str, int]:
    """Where the case states each thing it expects, so a failure is reported at that line."""
    keys = root.key_positions
    lines = {"case": keys["name"].line if "name" in keys else root.position.line}
    lines["problem"] = (keys.get("policy_version") or keys.get("as_of") or root.position).line
    expect = root.get("expect")
    if isinstance(expect, YMap):
        for key in ("decision", "other_rules"):
            if key in expect.key_positions:
                lines[key] = expect.key_positions[key].line
        for group, label in (("rules", "rule"), ("outputs", "output")):
            node = expect.get(group)
            if isinstance(node, YMap):
                lines.update((f"{label} {key}", pos.line) for key, pos in node.key_positions.items())
    return lines


def _written(written_at, pointer: str) -> str:
    where = written_at(pointer) if written_at is not None and pointer.startswith("/") else None
    return f" (written at {where})" if where is not None else ""


def _iso(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def run_case(case: TestCase, engine: Engine) -> CaseResult:
    try:
        result = engine.check(case.record, case.as_of, case.policy_version, label=str(case.file))
    except (PolicyError, UsageError) as exc:
        message = exc.diagnostics[0].message if isinstance(exc, PolicyError) else str(exc)
        return CaseResult(case, None, (), problem=message)
    return CaseResult(case, result, tuple(compare(case.expect, result, case.written_at)))


def expected_outcomes(expect: dict, rule_ids) -> dict[str, str]:
    """Every rule outcome a case asserts when judged by a version with these rules: the rules it
    names, and each of the others as ``other_rules`` says (none, without it)."""
    named = expect.get("rules") or {}
    others = expect.get("other_rules")
    unnamed = {} if others is None else {rule_id: others for rule_id in rule_ids if rule_id not in named}
    return {**named, **unnamed}


def compare(expect: dict, result: RecordResult, written_at=None) -> list[Mismatch]:
    """How ``result`` differs from what the case expects.  ``written_at`` (a JSON pointer to the
    place that wrote that value) places each schema error of a refused record in the case's files."""
    mismatches = []
    if expect["decision"] != result.decision:
        detail = "; ".join(f"{p}: {m}" + _written(written_at, p) for p, m in result.errors) or None
        mismatches.append(Mismatch("decision", expect["decision"], result.decision, detail))
    rules = {r.id: r for r in result.rules}
    named = expect.get("rules") or {}
    for rule_id, outcome in expected_outcomes(expect, rules).items():
        rule = rules.get(rule_id)
        via = None if rule_id in named else "other_rules"
        if rule is None:
            hint = did_you_mean(rule_id, rules)
            mismatches.append(Mismatch(f"rule {rule_id}", outcome, "(no such rule in this version)", hint))
        elif rule.outcome != outcome:
            mismatches.append(Mismatch(f"rule {rule_id}", outcome, rule.outcome, rule.message, via))
    outputs = to_json_value(result.outputs)
    for name, value in (expect.get("outputs") or {}).items():
        if name not in outputs:
            mismatches.append(Mismatch(f"output {name}", value, "(no such output)", did_you_mean(name, outputs)))
        elif outputs[name] != value:
            mismatches.append(Mismatch(f"output {name}", value, outputs[name]))
    return mismatches


def _stopping(problem: Diagnostic, cases: list[Path]) -> Diagnostic:
    """A problem of a file other than a case's (a fixture, a record file), reported once for all the
    cases it stopped, naming them: a fixture a hundred cases build on is one error, not a hundred."""
    names = ", ".join(case.name for case in cases[:3]) + (f" and {len(cases) - 3} more" if len(cases) > 3 else "")
    note = f"{len(cases)} case(s) not run because of it: {names}"
    return replace(problem, hint=f"{problem.hint}; {note}" if problem.hint else note)


class Runner:
    """Loads each policy once, runs every case, and keeps the coverage."""

    def __init__(self, policy_path: Path | None, data_paths: dict[str, Path]):
        self.policy_path = policy_path
        self.data_paths = data_paths
        self.engines: dict[Path, Engine] = {}
        self.broken: dict[Path, PolicyError] = {}
        self.bad_data: dict[Path, Diagnostic] = {}  # policies whose --data could not be read
        self.coverage = Coverage()

    def engine_for(self, case: TestCase) -> Engine:
        """The engine of the case's policy; a broken policy raises :class:`PolicyError` once per run."""
        key = self.policy_path or case.policy_dir
        if key in self.broken:
            raise self.broken[key]
        if key in self.bad_data:
            raise PolicyError(self.bad_data[key])
        if key not in self.engines:
            try:
                self.engines[key] = Engine.load(key, self.data_paths)
            except PolicyError as exc:
                self.broken[key] = exc
                raise
            except InputError as exc:  # a --data file that cannot be read: bad input, as for check
                self.bad_data[key] = exc.diagnostic
                raise PolicyError(exc.diagnostic) from None
            self.coverage.add_policy(self.engines[key])
        return self.engines[key]

    def run(self, case: TestCase) -> CaseResult:
        engine = self.engine_for(case)
        started = time.perf_counter()
        outcome = run_case(case, engine)
        outcome = replace(outcome, seconds=time.perf_counter() - started)
        if outcome.result is not None:
            self.coverage.record(outcome.result)
        return outcome


@dataclass(frozen=True, slots=True)
class TestRun:
    """Everything a report of a run must show: no case, broken file or broken policy is left out."""

    __test__ = False  # a policy's, not a pytest test: pytest must not collect it

    results: tuple[CaseResult, ...]
    broken_cases: tuple[Diagnostic, ...]  # case files that could not be read: each an error in reports
    broken_policies: tuple[Diagnostic, ...]  # problems of the policies under test: each an error too
    bad_data: tuple[Diagnostic, ...]  # --data files that could not be read (exit 2, as for check)
    not_run: tuple[TestCase, ...]  # cases of a broken policy or unreadable data
    coverage: Coverage
    seconds: float

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return self.broken_policies + self.bad_data + self.broken_cases


def run_cases(entries: list[FolderEntry], runner: Runner, selected: re.Pattern | None = None) -> TestRun:
    """Load and run every case file; a file that cannot be read and a broken policy are kept as errors.

    Raises :class:`UsageError` for a case that asks for what cannot be (as ``check`` would).
    """
    started = time.perf_counter()
    results: list[CaseResult] = []
    broken_cases = [entry.problem for entry in entries if entry.problem is not None]
    not_run: list[TestCase] = []
    fixtures = Fixtures()
    stopped: dict[Diagnostic, list[Path]] = {}  # a broken fixture and the cases it stopped
    for file in (entry.path for entry in entries if entry.problem is None):
        try:
            case = load_case(file, runner.policy_path, fixtures)
        except InputError as exc:
            if exc.diagnostic.file == str(file):
                broken_cases.append(exc.diagnostic)
            else:
                stopped.setdefault(exc.diagnostic, []).append(file)
            continue
        if selected is not None and not selected.search(case.name):
            continue
        try:
            results.append(runner.run(case))
        except PolicyError:
            not_run.append(case)
    broken_cases += [_stopping(problem, files) for problem, files in stopped.items()]
    broken_policies = tuple(d for error in runner.broken.values() for d in error.diagnostics)
    bad_data = tuple(dict.fromkeys(runner.bad_data.values()))
    return TestRun(tuple(results), tuple(broken_cases), broken_policies, bad_data, tuple(not_run), runner.coverage,
                   time.perf_counter() - started)
