"""Evaluate one record against a compiled policy: outcomes, decision, outputs.

This stage does no parsing and no lookups by name: it validates the record,
converts its dates, calls the policy's generated function and packs what it
returns into a :class:`RecordResult`.
"""

from __future__ import annotations

import datetime
import operator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple, Sequence

from ecfmg_policy.errors import Diagnostic
from ecfmg_policy.evaluator.compiler.compiler import CompiledPolicy
from ecfmg_policy.evaluator.policy.model import (BLOCKED, ELIGIBLE, INELIGIBLE, INVALID, MET, NOT_APPLICABLE, OUT_OF_SCOPE,
                                          PENDING, REQUIREMENT, Decision)
from ecfmg_policy.evaluator.records.records import convert_dates, schema_problems
from ecfmg_policy.evaluator.language.values import to_json_value

DECISIONS = tuple(d.value for d in Decision)  # in the order reports count them


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule's outcome and message, with what the policy says of the rule."""

    id: str
    title: str
    outcome: str  # an Outcome's value
    message: str | None
    source: str | None
    severity: str  # a Severity's value


class RecordResult(NamedTuple):
    """The decision on one record, as plain values made once: no reference into the generated
    code, so a result can be kept, pickled or sent to another process, and holds nothing of
    the record's intermediate values.  A named tuple rather than a frozen dataclass: one is
    made per record, and a tuple is built several times faster."""

    record: str
    as_of: datetime.date
    policy: CompiledPolicy | None
    decision: str  # a Decision's value
    outcomes: Sequence[str] = ()  # one per rule of the policy, in order
    messages: Sequence[str | None] | None = None  # one per rule; None when asked for decisions only
    outputs: dict[str, Any] = {}  # never mutated
    errors: tuple[tuple[str, str], ...] = ()  # (JSON pointer or place, message)

    def to_json(self) -> dict:
        """The result as ``check --format json`` writes it (``schemas/result.schema.json``)."""
        if self.policy is None:
            policy, rules = None, []
        else:
            policy, static = _static_json(self.policy)
            messages = self.messages if self.messages is not None else (None,) * len(self.outcomes)
            rules = [{"id": rule_id, "title": title, "outcome": outcome, "message": message, "source": source,
                      "severity": severity}
                     for (rule_id, title, source, severity), outcome, message in zip(static, self.outcomes, messages)]
        return {
            "record": self.record,
            "as_of": self.as_of.isoformat(),
            "policy": dict(policy) if policy is not None else None,
            "decision": self.decision,
            "rules": rules,
            "outputs": to_json_value(self.outputs),
            "errors": [{"path": place, "message": message} for place, message in self.errors],
        }

    @property
    def rules(self) -> tuple[RuleResult, ...]:
        """Each rule with its outcome and message (from the plain values above, when asked for)."""
        if self.policy is None or not self.outcomes:
            return ()
        messages = self.messages if self.messages is not None else [None] * len(self.outcomes)
        return tuple(RuleResult(rule.id, rule.title, outcome, message, rule.source, rule.severity)
                     for rule, outcome, message in zip(self.policy.policy.rules, self.outcomes, messages))


def _static_json(compiled: CompiledPolicy) -> tuple[dict, tuple[tuple[str, str, str | None, str], ...]]:
    """What every result of one policy version shares in JSON (its ``policy`` object and each
    rule's id, title, source and severity), made once per version rather than once per record
    and kept on the compiled policy itself, so it goes when the policy goes."""
    kept = compiled.__dict__.get("_static_json")  # beside its cached generated code (frozen: no setattr)
    if kept is None:
        p = compiled.policy
        policy = {"name": p.name, "version": p.version, "effective_from": p.effective_from.isoformat(),
                  "source": p.source, "file": p.source}
        if compiled.effective_to is not None:
            policy["effective_to"] = compiled.effective_to.isoformat()
        if p.citation:
            policy["citation"] = p.citation
        kept = compiled.__dict__["_static_json"] = (policy, tuple((r.id, r.title, r.source, r.severity)
                                                                  for r in p.rules))
    return kept


# A result made straight from its eight fields (``RecordResult(...)`` runs a Python ``__new__``
# that fills in defaults; this runs once a record, on the hot path).
_new_result = tuple.__new__


def make_decider(compiled: CompiledPolicy):
    """The decision from rule outcomes; advisories never count."""
    requirements = [i for i, rule in enumerate(compiled.policy.rules) if rule.severity == REQUIREMENT]
    # The outcomes of the requirements, picked out in C: this runs once per record.
    pick = (lambda outcomes: ()) if not requirements else operator.itemgetter(*requirements) \
        if len(requirements) > 1 else (lambda outcomes: (outcomes[requirements[0]],))

    def decide(in_scope: bool, outcomes: list[str]) -> str:
        if not in_scope:
            return OUT_OF_SCOPE
        counted = pick(outcomes)
        if BLOCKED in counted:
            return INELIGIBLE
        open_ = len(counted) - counted.count(MET) - counted.count(NOT_APPLICABLE)
        return PENDING if open_ else ELIGIBLE

    return decide


class Evaluator:
    """Evaluates many records against one compiled policy and its reference data."""

    def __init__(self, compiled: CompiledPolicy, data: dict[str, Any]):
        self.compiled = compiled
        self.data = data
        self.decide = make_decider(compiled)

    @cached_property
    def _run(self):
        """The generated function, looked up once (it is made when first asked for)."""
        return self.compiled.run

    def evaluate(self, label: str, record: Any, as_of: datetime.date, messages: bool = True) -> RecordResult:
        problems = schema_problems("applicant", record)
        if problems:
            return RecordResult(label, as_of, self.compiled, INVALID,
                                errors=tuple((p.pointer, p.message) for p in problems))
        return self.evaluate_valid(label, convert_dates("applicant", record), as_of, messages)

    def unreadable(self, label: str, problem: Diagnostic, as_of: datetime.date) -> RecordResult:
        """The result for a record that could not be read (bad JSON, a link refused): ``invalid``."""
        place = f"{problem.position.line}:{problem.position.column}" if problem.position else (problem.pointer or "")
        return RecordResult(label, as_of, self.compiled, INVALID, errors=((place, problem.message),))

    def evaluate_valid(self, label: str, record: dict, as_of: datetime.date, messages: bool = True) -> RecordResult:
        """Evaluate a record already validated and with its dates converted (the hot path).

        Messages are written here, once, unless ``messages`` is false: a decisions-only run
        (the benchmark's, or a caller counting decisions) skips the code that writes them.
        """
        in_scope, scope_error, outcomes, write_messages, decision, outputs, output_errors = \
            self._run(record, self.data, as_of, self.decide)
        errors = ()
        if output_errors or scope_error is not None:
            errors = tuple([("scope", scope_error)] if scope_error is not None else []) + tuple(
                (f"outputs.{name}", message) for name, message in output_errors.items())
        written = tuple(write_messages()) if messages else None
        return _new_result(RecordResult, (label, as_of, self.compiled, decision, outcomes, written, outputs, errors))
