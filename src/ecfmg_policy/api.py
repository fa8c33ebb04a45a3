"""The engine as a library: load a policy set and its data once, check many records.

This is what the command line, the benchmarks and the tests use; it adds no
logic of its own, only the wiring of the stages.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from pathlib import Path
from typing import Any

from ecfmg_policy.errors import UsageError, did_you_mean
from ecfmg_policy.evaluator.evaluation.evaluate import Evaluator, RecordResult
from ecfmg_policy.evaluator.policy.policyset import PolicySet, bundled_policies, bundled_world_directory, load_policy_set
from ecfmg_policy.evaluator.policy.model import INVALID
from ecfmg_policy.evaluator.records.records import RecordInput, convert_dates, load_reference, schema_problems


def load_data(policies: PolicySet, given: dict[str, Path]) -> dict[str, Any]:
    """Reference data for every name the policies declare: as given, or the bundled sample."""
    declared: dict[str, str] = {}
    for compiled in policies.versions:
        declared.update(dict(compiled.policy.data))
    for name in given:
        if name not in declared:
            hint = did_you_mean(name, declared) or f"the policy reads: {', '.join(sorted(declared)) or 'no data'}"
            raise UsageError(f"the policy reads no data named `{name}`; {hint}")
    data = {}
    for name, kind in declared.items():
        path = given.get(name)
        if path is None and kind != "world-directory":
            raise UsageError(f"the policy needs --data {name}=PATH")
        data[name] = load_reference(kind, Path(path) if path else bundled_world_directory(), name)
    return data


class Engine:
    """A loaded policy set with its reference data; evaluators are made once per version."""

    def __init__(self, policies: PolicySet, data: dict[str, Any]):
        self.policies = policies
        self.data = data
        self._evaluators: dict[str, Evaluator] = {}
        self._last: tuple[datetime.date, str | None, Evaluator] | None = None

    def __getstate__(self) -> dict:
        """What ``pickle`` ships to another process (multiprocessing, Dask, Spark): the policies
        and their data; evaluators are made again there, when first asked for."""
        return {"policies": self.policies, "data": self.data}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["policies"], state["data"])

    @classmethod
    def load(cls, policy_path: Path | None = None, data_paths: dict[str, Path] | None = None) -> "Engine":
        """Load (parse, check, compile) every version; raise PolicyError or InputError for bad input."""
        policies = load_policy_set(Path(policy_path) if policy_path else bundled_policies())
        return cls(policies, load_data(policies, data_paths or {}))

    def evaluator(self, as_of: datetime.date, version: str | None = None) -> Evaluator:
        last = self._last
        if last is not None and last[0] == as_of and last[1] == version:
            return last[2]  # a run asks this once a record, nearly always with the same date
        compiled = self.policies.select(as_of, version)
        key = compiled.policy.version
        if key not in self._evaluators:
            self._evaluators[key] = Evaluator(compiled, self.data)
        evaluator = self._evaluators[key]
        self._last = (as_of, version, evaluator)
        return evaluator

    def check(self, record: Any, as_of: datetime.date | str, version: str | None = None,
              label: str = "<record>") -> RecordResult:
        """Validate and evaluate one record (a parsed JSON object) as of a date.

        ``as_of`` is a date or ``"YYYY-MM-DD"``.  A record that fails the schema is not an
        exception: its result's decision is ``invalid``, with the problems in ``errors``.
        What cannot be answered at all (an as-of date that is not a date, or before every
        version; a version that does not exist) raises :class:`~ecfmg_policy.errors.UsageError`.
        """
        try:
            day = parse_day(as_of)
        except UsageError as exc:
            raise UsageError(f"as-of {exc}") from None
        return self.evaluator(day, version).evaluate(label, record, day)

    def check_entry(self, entry: RecordInput, as_of: datetime.date, version: str | None = None) -> RecordResult:
        """The result for one record as read from a file or a stream: a record that could not be
        read (bad JSON, a duplicate key, a link refused) is ``invalid`` with the reason, like one
        that fails the schema; the others are validated and evaluated."""
        evaluator = self.evaluator(as_of, version)
        if entry.problem is not None:
            return evaluator.unreadable(entry.label, entry.problem, as_of)
        return evaluator.evaluate(entry.label, entry.value, as_of)

    def explain(self, entry: RecordInput, raw: bytes, as_of: datetime.date, version: str | None = None) -> dict:
        """Check one record as read (``entry``, from ``raw``) and say why: the explanation
        document ``explain --format json`` writes (``evaluation/explanation.py``)."""
        from ecfmg_policy.evaluator.evaluation import explanation

        result = self.check_entry(entry, as_of, version)
        compiled = self.policies.select(as_of, version)
        hashes = {file: file_sha256(file) for file in sorted(explanation.files_of(compiled))}
        return explanation.explain(result, entry.value, raw, self.data,
                                   explanation.Sources(self.policies.versions, hashes))


class Differ:
    """Two sides judging the same records (``ecfmg-policy diff``): each record is read,
    validated and its dates converted once, then evaluated by both, and only the comparison's
    counts and examples are kept (``evaluation/comparison.py``).  A side is an engine, a date
    and a version (None: the one in force on the date); both may share one engine."""

    def __init__(self, base: Engine, base_as_of: datetime.date, base_version: str | None,
                 head: Engine, head_as_of: datetime.date, head_version: str | None, examples: int = 5):
        from ecfmg_policy.evaluator.evaluation.comparison import Comparison

        self.base = (base.evaluator(base_as_of, base_version), base_as_of)
        self.head = (head.evaluator(head_as_of, head_version), head_as_of)
        self.comparison = Comparison(self.base[0].compiled, self.head[0].compiled, examples)

    def add(self, entry: RecordInput) -> RecordResult:
        """Judge one record on both sides and count it; the base's result is returned (an
        invalid record's problems are the same on both: one schema is read by every policy)."""
        (base, base_day), (head, head_day) = self.base, self.head
        if entry.problem is not None:
            results = (base.unreadable(entry.label, entry.problem, base_day),
                       head.unreadable(entry.label, entry.problem, head_day))
        elif problems := schema_problems("applicant", entry.value):
            errors = tuple((p.pointer, p.message) for p in problems)
            results = (RecordResult(entry.label, base_day, base.compiled, INVALID, errors=errors),
                       RecordResult(entry.label, head_day, head.compiled, INVALID, errors=errors))
        else:
            record = convert_dates("applicant", entry.value)
            results = (base.evaluate_valid(entry.label, record, base_day, messages=False),
                       head.evaluate_valid(entry.label, record, head_day, messages=False))
            if self.comparison.wants_messages(*results):
                results = (base.evaluate_valid(entry.label, record, base_day),
                           head.evaluate_valid(entry.label, record, head_day))
        self.comparison.add(*results)
        return results[0]


def file_sha256(file: str) -> str | None:
    """The SHA-256 of a policy file's bytes, as reports vouch for what they used (``explain``,
    ``diff``); None when it is gone since it was loaded, so the report says it cannot vouch."""
    try:
        return hashlib.sha256(Path(file).read_bytes()).hexdigest()
    except OSError:
        return None


def parse_day(value: datetime.date | str) -> datetime.date:
    """A date, or text written exactly as ``YYYY-MM-DD`` naming a real day; else UsageError.

    The one reading of a date a user gives (``--as-of`` and ``Engine.check`` alike): Python's
    own ``fromisoformat`` would also take ``20200601`` and ``2020-W01-1``."""
    if isinstance(value, datetime.datetime):
        raise UsageError(f"`{value.isoformat()}` is a date and time; write the date alone as YYYY-MM-DD")
    if isinstance(value, datetime.date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise UsageError(f"`{value}` is not a date written as YYYY-MM-DD")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"`{value}` is not a real date; write it as YYYY-MM-DD") from None
