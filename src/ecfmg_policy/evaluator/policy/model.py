"""The policy as the loader hands it on: plain, immutable, positioned.

Everything the later stages need is here, already parsed; nothing below this
point reads YAML again.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Callable

from ecfmg_policy.errors import Position
from ecfmg_policy.evaluator.language.nodes import Expression

class Outcome(StrEnum):
    """What a rule came to for one record (its value is what results and reports say)."""

    MET = "met"
    UNMET = "unmet"  # not met yet: it can still be
    BLOCKED = "blocked"  # not met, and it can no longer be
    NOT_APPLICABLE = "not_applicable"  # the rule's `when` is not true for this record
    ERROR = "error"  # the rule could not be decided: its message says why


class Decision(StrEnum):
    """The answer for one record."""

    ELIGIBLE = "eligible"
    PENDING = "pending"
    INELIGIBLE = "ineligible"
    NOT_APPLICABLE = "not_applicable"  # outside the policy's scope
    INVALID = "invalid"  # the record could not be read or fails its schema


class Severity(StrEnum):
    """Whether a rule counts towards the decision (a requirement) or only informs (an advisory)."""

    REQUIREMENT = "requirement"
    ADVISORY = "advisory"


# The values results carry: the members' plain strings, under plain names.  A result is plain
# data (YAML, pickle and `type(x) is str` take it as it is) and equal to the member it names;
# and code run for every record reads a module global, where Python 3.11 finds `Outcome.MET`
# through a descriptor each time (about 130 ns).
MET, UNMET, BLOCKED, NOT_APPLICABLE, ERROR = (o.value for o in (Outcome.MET, Outcome.UNMET, Outcome.BLOCKED,
                                                                  Outcome.NOT_APPLICABLE, Outcome.ERROR))
ELIGIBLE, PENDING, INELIGIBLE, OUT_OF_SCOPE, INVALID = (d.value for d in (Decision.ELIGIBLE, Decision.PENDING,
                                                                          Decision.INELIGIBLE, Decision.NOT_APPLICABLE,
                                                                          Decision.INVALID))
REQUIREMENT, ADVISORY = Severity.REQUIREMENT.value, Severity.ADVISORY.value

# What a policy's outputs may see as `decision`: every decision but `invalid`, which no policy runs on.
POLICY_DECISIONS = tuple(d.value for d in Decision if d is not Decision.INVALID)


@dataclass(frozen=True, slots=True)
class Template:
    """A message: literal text and ``${expression}`` placeholders, in order."""

    parts: tuple[str | Expression, ...]

    def expressions(self) -> tuple[Expression, ...]:
        return tuple(p for p in self.parts if isinstance(p, Expression))


@dataclass(frozen=True, slots=True)
class Definition:
    """A named value or function of a policy, computed from the record."""

    name: str
    params: tuple[str, ...]
    body: Expression
    position: Position
    title: str | None = None  # what it computes, for reviewers: `versions`, lint, explanations
    description: str | None = None  # how, and the passage it follows


@dataclass(frozen=True, slots=True)
class Rule:
    """One requirement: when it applies, what meets it, what makes it final, what to tell."""

    id: str
    title: str
    require: Expression
    when: Expression | None
    blocked_when: Expression | None  # `final: true` is written here as the expression `true`
    severity: str  # a Severity's value
    message: Template | None
    blocked_message: Template | None
    source: str | None
    position: Position
    final: bool = False  # written `final: true`: unmet is blocked whenever the rule applies
    # What would meet the rule, for a person: (label, expression) in the order written.  Read
    # only by explanations (`ecfmg-policy explain`); `check` never evaluates it.
    to_meet: tuple[tuple[str, Expression], ...] = ()


# The fields of a rule a version can give, in the order a rule is written and reported.
RULE_FIELDS = ("title", "when", "require", "blocked_when", "final", "severity", "message", "blocked_message",
               "to_meet", "source")


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """A rule as one version file writes it: only the fields it gives.

    In a file that extends nothing, every entry is a whole rule.  In one that
    extends another version, an entry whose id the other version has changes
    just the fields it gives (the rest are inherited, positions and all), or
    with ``replace`` stands for the whole rule; an entry with a new id adds a
    rule.  Which it is can only be known once ``extends`` is resolved, so the
    loader keeps what was written and ``versions`` builds the rules.
    """

    id: str
    fields: tuple[tuple[str, object], ...]  # (field, parsed value), in RULE_FIELDS order
    replace: bool
    position: Position

    def given(self) -> dict[str, object]:
        return dict(self.fields)

    def complete(self) -> bool:
        """Whether the entry alone makes a rule (a title and a condition)."""
        given = self.given()
        return "title" in given and "require" in given

    def rule(self, base: "Rule | None" = None) -> "Rule":
        """The rule this entry makes: its fields over ``base``'s (none: it must be complete)."""
        given = self.given()
        if base is None:
            values: dict[str, object] = {"when": None, "blocked_when": None, "final": False, "severity": REQUIREMENT,
                                         "message": None, "blocked_message": None, "to_meet": (), "source": None}
        else:
            values = {f: getattr(base, f) for f in RULE_FIELDS}
            if "final" in given or "blocked_when" in given:  # one question, "when is unmet final?"
                values["final"], values["blocked_when"] = False, None
        values.update(given)
        return Rule(id=self.id, position=self.position, **values)


@dataclass(frozen=True, slots=True)
class Output:
    """A value every result carries, such as the window's end."""

    name: str
    value: Expression
    position: Position


@dataclass(frozen=True, slots=True)
class Timeline:
    """How an explanation draws a record's time: the windows (a list of objects, each with
    ``start`` and ``end`` dates) and the first day of the one that counts (``current``).
    Read only by explanations; `check` never evaluates it."""

    windows: Expression
    current: Expression | None
    position: Position  # the `timeline` key


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter: a value the policy names once and its rules read."""

    name: str
    value: Any
    position: Position


@dataclass(frozen=True, slots=True)
class Policy:
    """One version of a policy, as its file states it, inherited parts resolved."""

    name: str
    version: str
    effective_from: datetime.date
    title: str
    source: str  # the file it was loaded from
    citation: str | None
    params: tuple[Param, ...]
    data: tuple[tuple[str, str], ...]  # reference data name -> kind
    scope: Expression | None
    scope_source: str | None
    definitions: tuple[Definition, ...]
    rules: tuple[Rule, ...]
    outputs: tuple[Output, ...]
    timeline: Timeline | None = None  # a section of its own: a version that writes it replaces it whole

    def param_values(self) -> dict[str, Any]:
        return {p.name: p.value for p in self.params}

    def with_expressions(self, change: Callable[[Expression], Expression]) -> "Policy":
        """The same policy with ``change`` applied to every expression in it (the checker gives
        back its trees annotated with what it found)."""
        def maybe(expression: Expression | None) -> Expression | None:
            return None if expression is None else change(expression)

        def template(message: Template | None) -> Template | None:
            if message is None:
                return None
            return Template(tuple(part if isinstance(part, str) else change(part) for part in message.parts))

        timeline = self.timeline
        if timeline is not None:
            timeline = replace(timeline, windows=change(timeline.windows), current=maybe(timeline.current))
        return replace(
            self, scope=maybe(self.scope),
            definitions=tuple(replace(d, body=change(d.body)) for d in self.definitions),
            rules=tuple(replace(r, require=change(r.require), when=maybe(r.when), blocked_when=maybe(r.blocked_when),
                                message=template(r.message), blocked_message=template(r.blocked_message),
                                to_meet=tuple((label, change(e)) for label, e in r.to_meet))
                        for r in self.rules),
            outputs=tuple(replace(o, value=change(o.value)) for o in self.outputs),
            timeline=timeline)


@dataclass(frozen=True, slots=True)
class Removal:
    """``remove_rules: [id]`` and its kin: what a version drops from the one it extends."""

    section: str  # rules, definitions, outputs, params
    name: str
    position: Position


@dataclass(frozen=True, slots=True)
class PolicyFile:
    """One version file as written: its own content, and what it changes if it extends another.

    ``own`` holds only what this file declares; the resolver in ``versions``
    merges it over the version it extends to make a complete :class:`Policy`.
    """

    own: Policy
    extends: str | None
    extends_position: Position | None
    removals: tuple[Removal, ...]
    declared: frozenset[str]  # top-level keys present in the file
    version_position: Position
    problems: tuple = ()  # errors that did not stop loading (unknown keys)
    rule_entries: tuple[RuleEntry, ...] = ()  # the rules as written; ``own.rules`` holds the whole ones
