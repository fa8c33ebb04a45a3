"""Everything that can be said about policy files without a record.

Errors come from the ordinary stages (load, resolve, check), run as far as
each file allows so that one mistake does not hide the next.  On top of them
``lint`` adds warnings the engine tolerates but an editor should hear about:
parameters and definitions nothing uses, and rules that cite no source.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ecfmg_policy.errors import Diagnostic, PolicyError
from ecfmg_policy.evaluator.policy import model as m
from ecfmg_policy.evaluator.language import nodes as n
from ecfmg_policy.evaluator.policy.policyset import analyse_policy_set, policy_files


@dataclass(frozen=True, slots=True)
class LintReport:
    """Every diagnostic ``lint`` found in a policy set, errors and warnings."""

    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...]

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "warning")


def lint_paths(paths: list[Path], require_titles: bool = False) -> LintReport:
    diagnostics: list[Diagnostic] = []
    files: list[str] = []
    for path in paths:
        if path.exists():
            files.extend(str(f) for f in policy_files(path))
        analysis = analyse_policy_set(path)
        diagnostics.extend(analysis.problems)
        for compiled in analysis.compiled:  # lint compiles every version, to report the rare one too large
            try:
                compiled.run
            except PolicyError as exc:
                diagnostics.extend(exc.diagnostics)
        diagnostics.extend(_warnings(list(analysis.resolved)))
        if require_titles:
            diagnostics.extend(_untitled(list(analysis.resolved)))
    unique = list(dict.fromkeys(diagnostics))
    unique.sort(key=_place)
    return LintReport(tuple(unique), tuple(files))


def _place(d: Diagnostic) -> tuple:
    if d.position is not None:
        return (d.position.source, d.position.line, d.position.column, d.message)
    return (d.source or "", 0, 0, d.message)


def _warnings(policies: list[m.Policy]) -> Iterator[Diagnostic]:
    used_params: set[tuple] = set()
    used_definitions: set[tuple] = set()
    declared_params: dict[tuple, m.Param] = {}
    declared_definitions: dict[tuple, m.Definition] = {}
    unsourced: dict[tuple, m.Rule] = {}
    for policy in policies:
        params, definitions = _names_used(policy)
        for p in policy.params:
            key = (p.position.source, p.position.line, p.name)
            declared_params[key] = p
            if p.name in params:
                used_params.add(key)
        for d in policy.definitions:
            key = (d.position.source, d.position.line, d.name)
            declared_definitions[key] = d
            if d.name in definitions:
                used_definitions.add(key)
        for rule in policy.rules:
            if not rule.source:
                unsourced[(rule.position.source, rule.position.line)] = rule
    for key, p in declared_params.items():
        if key not in used_params:
            yield Diagnostic(f"parameter `{p.name}` is never used", position=p.position, severity="warning",
                             code="unused-param", hint=f"remove it, or read it as `params.{p.name}`")
    for key, d in declared_definitions.items():
        if key not in used_definitions:
            yield Diagnostic(f"definition `{d.name}` is never used", position=d.position, severity="warning",
                             code="unused-definition", hint="remove it, or use it in a rule or an output")
    for policy in policies:
        if not policy.citation:
            yield Diagnostic(f"version `{policy.version}` cites no source", source=policy.source, severity="warning",
                             code="missing-source", hint="add `source:` naming the document this version follows")
    for rule in unsourced.values():
        yield Diagnostic(f"rule `{rule.id}` cites no source", position=rule.position, severity="warning",
                         code="missing-source", hint="add `source:` quoting the passage this rule encodes")


def _untitled(policies: list[m.Policy]) -> Iterator[Diagnostic]:
    """Definitions a rule reads (in its conditions, its messages or its `to_meet`) or the timeline
    reads that have no title: what a reviewer, ``versions`` and an explanation show of a rule's
    reasons is their titles."""
    reported: set[tuple] = set()
    for policy in policies:
        definitions = {d.name: d for d in policy.definitions}
        readers: list[tuple[str, list[n.Expression]]] = []
        for rule in policy.rules:
            expressions = [e for e in (rule.when, rule.require, rule.blocked_when) if e is not None]
            for template in (rule.message, rule.blocked_message):
                expressions += template.expressions() if template else ()
            expressions += [e for _, e in rule.to_meet]
            readers.append((f"rule `{rule.id}`", expressions))
        if policy.timeline is not None:
            readers.append(("the timeline", [e for e in (policy.timeline.windows, policy.timeline.current)
                                             if e is not None]))
        for reader, expressions in readers:
            for expression in expressions:
                names, _ = n.names_read(expression.tree)
                for name in sorted(names & definitions.keys()):
                    d = definitions[name]
                    key = (d.position.source, d.position.line, name)
                    if d.title is None and key not in reported:
                        reported.add(key)
                        yield Diagnostic(f"definition `{name}`, read by {reader}, has no title",
                                         position=d.position, severity="warning", code="untitled-definition",
                                         hint=f"write it as `{name}: {{title: ..., value: ...}}`")


def policy_expressions(policy: m.Policy) -> Iterator[tuple[str, n.Expression]]:
    """Every expression of a policy with the name of what owns it."""
    if policy.scope is not None:
        yield "scope", policy.scope
    for d in policy.definitions:
        yield d.name, d.body
    for rule in policy.rules:
        for e in (rule.when, rule.require, rule.blocked_when):
            if e is not None:
                yield rule.id, e
        for template in (rule.message, rule.blocked_message):
            for e in template.expressions() if template else ():
                yield rule.id, e
        for _, e in rule.to_meet:
            yield rule.id, e
    for output in policy.outputs:
        yield output.name, output.value
    if policy.timeline is not None:  # owned by no name a definition can have
        for e in (policy.timeline.windows, policy.timeline.current):
            if e is not None:
                yield "(timeline)", e


def _names_used(policy: m.Policy) -> tuple[set[str], set[str]]:
    """Parameters read anywhere, and definitions read by anything other than themselves."""
    params: set[str] = set()
    definitions: set[str] = set()
    for owner, expression in policy_expressions(policy):
        names, read = n.names_read(expression.tree)
        definitions |= names - {owner}
        params |= read
    return params, definitions
