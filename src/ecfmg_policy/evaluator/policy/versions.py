"""Versions of one policy over time: resolve ``extends`` and describe what changed.

A version file may extend an earlier version and say only what differs:
parameters, definitions and outputs by name; rules by id (an inherited id
changes only the fields the entry gives, or the whole rule where it stood
with ``replace: true``; a new id is added at the end); the scope and the
timeline whole; and ``remove_*`` lists to drop things.  Resolution turns every
file into a complete :class:`Policy`; inherited expressions keep pointing at
the file that wrote them, so errors still land on the right line.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace

from ecfmg_policy.errors import Diagnostic, did_you_mean
from ecfmg_policy.evaluator.policy import model as m
from ecfmg_policy.evaluator.language import nodes as n


def resolve_versions_leniently(files: list[m.PolicyFile], complete: bool) -> tuple[list[m.Policy], list[Diagnostic]]:
    """Every version that can be resolved, and the problems of the timeline (for lint).

    When some files of the folder could not be loaded (``complete`` is false),
    an ``extends`` naming a version we never saw is probably one of them: its
    own errors say why, so no second error is made up about it.
    """
    problems: list[Diagnostic] = []
    by_version: dict[str, m.PolicyFile] = {}
    for file in files:
        if file.own.version in by_version:
            first = by_version[file.own.version].own.source
            problems.append(Diagnostic(f"version `{file.own.version}` is declared twice (also in {first})",
                                       position=file.version_position, code="version-timeline",
                                       hint="give each version file its own version label"))
        else:
            by_version[file.own.version] = file
    resolved: dict[str, m.Policy] = {}
    reported_cycles: set[frozenset] = set()

    def resolve(file: m.PolicyFile, chain: tuple[str, ...]) -> m.Policy | None:
        version = file.own.version
        if version in resolved:
            return resolved[version]
        if file.extends is None:
            resolved[version] = file.own
            return file.own
        if file.extends in chain + (version,):
            members = (chain + (version,))[(chain + (version,)).index(file.extends):]
            if frozenset(members) not in reported_cycles:
                reported_cycles.add(frozenset(members))
                cycle = " -> ".join(f"`{v}`" for v in members + (file.extends,))
                problems.append(Diagnostic(f"versions extend each other in a cycle: {cycle}",
                                           position=file.extends_position, code="version-timeline",
                                           hint="a version extends one earlier version"))
            return None
        parent_file = by_version.get(file.extends)
        if parent_file is None and not complete:
            return None
        if parent_file is None:
            problems.append(Diagnostic(f"`extends` names version `{file.extends}`, which does not exist",
                                       position=file.extends_position, code="version-timeline",
                                       hint=did_you_mean(file.extends, set(by_version) - {version})
                                       or "versions: " + ", ".join(sorted(by_version))))
            return None
        if parent_file.own.effective_from > file.own.effective_from:  # same day: the timeline check says so
            problems.append(Diagnostic(
                f"version `{version}` (effective {file.own.effective_from.isoformat()}) extends `{file.extends}`, "
                f"which takes effect later ({parent_file.own.effective_from.isoformat()})",
                position=file.extends_position, code="version-timeline",
                hint="a version extends one that took effect before it"))
            return None
        parent = resolve(parent_file, chain + (version,))
        if parent is None:
            return None
        merged = _merge(parent, file, problems)
        resolved[version] = merged
        return merged

    for file in by_version.values():
        resolve(file, ())
    _check_timeline(list(resolved.values()), problems)
    return sorted(resolved.values(), key=lambda p: p.effective_from), problems


def _check_timeline(policies: list[m.Policy], problems: list[Diagnostic]) -> None:
    names = {p.name for p in policies}
    if len(names) > 1:
        problems.append(Diagnostic("one policy folder holds several policies: " + ", ".join(sorted(names)),
                                   source=policies[0].source, code="version-timeline",
                                   hint="keep each policy's versions in a folder of its own"))
    by_day: dict[datetime.date, m.Policy] = {}
    for policy in sorted(policies, key=lambda p: p.source):
        other = by_day.get(policy.effective_from)
        if other is not None:
            problems.append(Diagnostic(
                f"versions `{other.version}` and `{policy.version}` both take effect on "
                f"{policy.effective_from.isoformat()} (the other is {other.source})",
                source=policy.source, code="version-timeline", hint="give each version its own effective_from"))
        by_day[policy.effective_from] = policy


def _merge(parent: m.Policy, file: m.PolicyFile, problems: list[Diagnostic]) -> m.Policy:
    own = file.own
    removed: dict[str, set[str]] = {"rules": set(), "definitions": set(), "outputs": set(), "params": set()}
    existing = {"rules": {r.id for r in parent.rules}, "definitions": {d.name for d in parent.definitions},
                "outputs": {o.name for o in parent.outputs}, "params": {p.name for p in parent.params}}
    for removal in file.removals:
        if removal.name not in existing[removal.section]:
            problems.append(Diagnostic(
                f"cannot remove {removal.section[:-1]} `{removal.name}`: version `{parent.version}` has none",
                position=removal.position, code="version-timeline",
                hint=did_you_mean(removal.name, existing[removal.section])))
        removed[removal.section].add(removal.name)
    declared = file.declared
    return replace(
        own,
        title=own.title if "title" in declared else parent.title,
        citation=own.citation,  # each version cites its own source (lint warns when one does not)
        data=_merge_named(parent.data, own.data, removed=set(), key=lambda d: d[0]),
        params=_merge_named(parent.params, own.params, removed["params"], key=lambda p: p.name),
        scope=own.scope if "scope" in declared else parent.scope,
        scope_source=own.scope_source if "scope" in declared else parent.scope_source,
        definitions=_merge_named(parent.definitions, own.definitions, removed["definitions"], key=lambda d: d.name),
        rules=_merge_named(parent.rules, _rules_over(parent, file, removed["rules"], problems), removed["rules"],
                           key=lambda r: r.id),
        outputs=_merge_named(parent.outputs, own.outputs, removed["outputs"], key=lambda o: o.name),
        timeline=own.timeline if "timeline" in declared else parent.timeline,  # a section, replaced whole
    )


def _rules_over(parent: m.Policy, file: m.PolicyFile, removed: set[str],
                problems: list[Diagnostic]) -> tuple[m.Rule, ...]:
    """The rules a file's entries make over the version it extends.

    An entry with an inherited id changes just the fields it gives (``replace``:
    the entry is the whole rule); an entry with a new id must be a whole rule,
    and when it is not, a misspelt inherited id is the likely reason.  A rule the
    file removes is not inherited: an entry with its id adds a new rule, whole.
    """
    inherited = {r.id: r for r in parent.rules if r.id not in removed}
    rules = []
    for entry in file.rule_entries:
        base = inherited.get(entry.id)
        if base is not None and not entry.replace:
            rules.append(entry.rule(base))
            continue
        missing = [key for key in ("title", "require") if key not in entry.given()]
        if missing:
            what = " and ".join(f"`{key}`" for key in missing)
            if base is None:
                problems.append(Diagnostic(
                    f"rule `{entry.id}` is new in version `{file.own.version}` and has no {what}",
                    position=entry.position, code="policy-structure",
                    hint=(f"`remove_rules` drops the inherited rule `{entry.id}`, so this entry adds a new one: "
                          "give the whole rule, or keep the inherited one and change only its fields"
                          if entry.id in removed else None)
                    or did_you_mean(entry.id, inherited)
                    or f"a new rule needs `title` and `require`; version `{parent.version}` has no rule `{entry.id}`"))
            else:
                problems.append(Diagnostic(
                    f"rule `{entry.id}` replaces the inherited rule whole (`replace: true`) but has no {what}",
                    position=entry.position, code="policy-structure",
                    hint="give the whole rule, or remove `replace: true` to change only the fields given"))
            continue
        rules.append(entry.rule())
    return tuple(rules)


def _merge_named(inherited: tuple, own: tuple, removed: set[str], key) -> tuple:
    """Inherited items in their order (replaced where ``own`` redefines them), then new ones."""
    mine = {key(item): item for item in own}
    merged = [mine.pop(key(item), item) for item in inherited if key(item) not in removed]
    return tuple(merged) + tuple(item for item in own if key(item) in mine)


# --- what changed between two versions ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParamChange:
    """A parameter whose value differs between two versions."""

    name: str
    old: object
    new: object


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed from one version to the next, as ``versions`` reports it."""

    params: tuple[ParamChange, ...]
    rules_added: tuple[str, ...]
    rules_removed: tuple[str, ...]
    rules_changed: tuple[tuple[str, tuple[str, ...]], ...]  # (rule id, the fields whose text differs)
    # same conditions, but a parameter or definition they read changed (what only a message or a
    # `to_meet` reads cannot change an outcome, so it does not count)
    rules_affected: tuple[str, ...]
    definitions_changed: tuple[str, ...]  # added, removed or rewritten
    outputs_changed: tuple[str, ...]
    timeline_changed: str | None = None  # "added", "changed" or "removed"; None when its text is the same


def changes_between(old: m.Policy, new: m.Policy) -> Changes:
    old_params, new_params = old.param_values(), new.param_values()
    params = tuple(ParamChange(name, old_params.get(name), new_params.get(name))
                   for name in sorted(set(old_params) | set(new_params))
                   if old_params.get(name) != new_params.get(name))
    old_rules = {r.id: r for r in old.rules}
    new_rules = {r.id: r for r in new.rules}
    kept = [i for i in new_rules if i in old_rules]
    changed = tuple((i, fields) for i in kept if (fields := fields_changed(old_rules[i], new_rules[i])))
    logic_changed = {i for i, fields in changed if set(fields) & {"when", "require", "blocked_when", "final"}}
    affected = tuple(i for i in kept if i not in logic_changed  # its title or message may have changed too
                     and rule_fingerprint(old, old_rules[i]) != rule_fingerprint(new, new_rules[i]))
    old_defs = {d.name: _definition_text(d) for d in old.definitions}
    new_defs = {d.name: _definition_text(d) for d in new.definitions}
    old_outs = {o.name: o.value.text for o in old.outputs}
    new_outs = {o.name: o.value.text for o in new.outputs}
    return Changes(
        params=params,
        rules_added=tuple(i for i in new_rules if i not in old_rules),
        rules_removed=tuple(i for i in old_rules if i not in new_rules),
        rules_changed=changed,
        rules_affected=affected,
        definitions_changed=tuple(sorted(k for k in set(old_defs) | set(new_defs) if old_defs.get(k) != new_defs.get(k))),
        outputs_changed=tuple(sorted(k for k in set(old_outs) | set(new_outs) if old_outs.get(k) != new_outs.get(k))),
        timeline_changed=_timeline_change(old.timeline, new.timeline),
    )


def _timeline_change(old: m.Timeline | None, new: m.Timeline | None) -> str | None:
    """How the timeline section differs between two versions, by its text (positions ignored)."""
    def text(timeline: m.Timeline | None):
        if timeline is None:
            return None
        return (timeline.windows.text, timeline.current.text if timeline.current is not None else None)

    if text(old) == text(new):
        return None
    return "added" if old is None else "removed" if new is None else "changed"


def rule_text(rule: m.Rule) -> tuple:
    """Everything an editor wrote for a rule, as text (positions ignored), field by field in
    ``RULE_FIELDS`` order."""
    def text(value):
        if isinstance(value, n.Expression):
            return value.text
        if isinstance(value, m.Template):
            return tuple(p if isinstance(p, str) else p.text for p in value.parts)
        if isinstance(value, tuple):  # to_meet: (label, expression) pairs, in order
            return tuple((label, e.text) for label, e in value)
        return value

    return tuple(text(getattr(rule, f)) for f in m.RULE_FIELDS)


def fields_changed(old: m.Rule, new: m.Rule) -> tuple[str, ...]:
    """The fields of a rule whose text differs between two versions (``final: true`` is its
    own field: the ``true`` it stands for is not reported again as ``blocked_when``)."""
    changed = tuple(f for f, a, b in zip(m.RULE_FIELDS, rule_text(old), rule_text(new)) if a != b)
    if "final" in changed or (old.final and new.final):
        changed = tuple(f for f in changed if f != "blocked_when")
    return changed


def _definition_text(d: m.Definition) -> tuple:
    return (d.params, d.body.text)


def rule_fingerprint(policy: m.Policy, rule: m.Rule) -> tuple:
    """A rule's logic with everything it depends on: its text, the definitions and parameters it reads.

    Two versions give a rule the same outcome on every record exactly when
    the fingerprints agree, which is what "unchanged" means for the corpus.
    """
    definitions = {d.name: d for d in policy.definitions}
    params = policy.param_values()
    expressions = [e for e in (rule.when, rule.require, rule.blocked_when) if e is not None]
    seen_defs: set[str] = set()
    seen_params: set[str] = set()
    pending = [e.tree for e in expressions]
    while pending:  # the rule's expressions, then the bodies of the definitions they reach
        names, params_read = n.names_read(pending.pop())
        seen_params |= params_read
        for name in names & definitions.keys() - seen_defs:
            seen_defs.add(name)
            pending.append(definitions[name].body.tree)
    logic = dict(zip(m.RULE_FIELDS, rule_text(rule)))
    return ((logic["when"], logic["require"], logic["blocked_when"]),
            tuple(sorted((name, _definition_text(definitions[name])) for name in seen_defs)),
            tuple(sorted((name, repr(params.get(name))) for name in seen_params)))
