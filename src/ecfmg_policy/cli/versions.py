"""``ecfmg-policy versions``: the timeline of a policy's versions and what each changed."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ecfmg_policy.cli.common import check_paths_exist, fail_policy
from ecfmg_policy.errors import PolicyError, terminal_safe
from ecfmg_policy.evaluator.policy.policyset import PolicySet, find_policies, load_policy_set
from ecfmg_policy.evaluator.language.values import display, to_json_value
from ecfmg_policy.evaluator.policy.versions import changes_between


def timeline(policies: PolicySet) -> list[dict]:
    """Each version with its dates, its file and its changes against the version before it."""
    entries = []
    previous = None
    for compiled in policies.versions:
        p = compiled.policy
        entry = {"version": p.version, "effective_from": p.effective_from.isoformat(),
                 "effective_to": compiled.effective_to.isoformat() if compiled.effective_to else None,
                 "file": p.source, "source": p.citation, "changes": None}
        if previous is not None:
            c = changes_between(previous, p)
            entry["changes"] = {
                "against": previous.version,
                "params": [{"name": ch.name, "old": to_json_value(ch.old), "new": to_json_value(ch.new)}
                           for ch in c.params],
                "rules_added": list(c.rules_added), "rules_removed": list(c.rules_removed),
                "rules_changed": [{"id": rule_id, "fields": list(fields)} for rule_id, fields in c.rules_changed],
                "rules_affected": list(c.rules_affected),
                "definitions_changed": [{"name": name, "change": _how(name, p, previous),
                                         "title": _title(name, p, previous)} for name in c.definitions_changed],
                "outputs_changed": list(c.outputs_changed),
                "timeline_changed": c.timeline_changed,  # null, or "added", "changed", "removed"
            }
        entries.append(entry)
        previous = p
    return entries


def _how(name: str, new, old) -> str:
    had = any(d.name == name for d in old.definitions)
    has = any(d.name == name for d in new.definitions)
    return "changed" if had and has else "added" if has else "removed"


def _title(name: str, new, old) -> str | None:
    """A definition's title as the newer version gives it (the older one, if it was removed)."""
    for policy in (new, old):
        for d in policy.definitions:
            if d.name == name:
                return d.title
    return None


def _params_shown(policies: PolicySet) -> dict[str, list[tuple[str, str, str]]]:
    """Each version's parameter changes as the text shows them (a history as "75 from
    2004-06-14, 160 from 2022-01-01"), by version."""
    shown = {}
    versions = [c.policy for c in policies.versions]
    for previous, policy in zip(versions, versions[1:]):
        shown[policy.version] = [(ch.name, "(none)" if ch.old is None else display(ch.old),
                                  "(removed)" if ch.new is None else display(ch.new))
                                 for ch in changes_between(previous, policy).params]
    return shown


def _text(name: str, entries: list[dict], params: dict[str, list[tuple[str, str, str]]]) -> str:
    lines = [f"{name}: {len(entries)} version(s)"]
    for e in entries:
        until = e["effective_to"] or "now"
        lines.append("")
        lines.append(f"{e['version']:<8} {e['effective_from']} to {until}   {e['file']}")
        if e["source"]:
            lines.append(f"         source: {' '.join(e['source'].split())}")
        c = e["changes"]
        if c is None:
            lines.append("         first version")
            continue
        lines.append(f"         against {c['against']}:")
        for param, old, new in params[e["version"]]:
            lines.append(f"           param {param}: {old} -> {new}")
        for change in c["rules_changed"]:
            lines.append(f"           rule {change['id']} changed: {', '.join(change['fields'])}")
        for label, key in (("rules added", "rules_added"), ("rules removed", "rules_removed"),
                           ("rules affected by changed params/definitions", "rules_affected"),
                           ("outputs added/changed/removed", "outputs_changed")):
            if c[key]:
                lines.append(f"           {label}: {', '.join(c[key])}")
        if c["timeline_changed"]:
            lines.append(f"           timeline {c['timeline_changed']}")
        for d in c["definitions_changed"]:
            title = f": {d['title']}" if d["title"] else ""
            lines.append(f"           definition {d['name']} {d['change']}{title}")
    return "\n".join(terminal_safe(line) for line in lines)  # policy text is untrusted; lines are ours


@click.command()
@click.option("--policy", "policy_path", type=click.Path(path_type=Path), default=None,
              help="Policy directory (default: the nearest policies/ folder here or above, else the bundled ones).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
def versions(policy_path, output_format) -> None:
    """Show the timeline of policy versions and what each changed against the one before."""
    check_paths_exist([policy_path] if policy_path else [], "a policy file or a folder of them")
    try:
        policies = load_policy_set(find_policies(policy_path))
    except PolicyError as exc:
        fail_policy(exc)
    entries = timeline(policies)
    name = policies.versions[0].policy.name
    if output_format == "json":
        click.echo(json.dumps({"policy": name, "versions": entries}, indent=2))
    else:
        click.echo(_text(name, entries, _params_shown(policies)))
