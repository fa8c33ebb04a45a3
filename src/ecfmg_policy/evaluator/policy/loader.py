"""Load policy files: YAML -> validated structure -> :class:`Policy` with parsed expressions.

The structure of a policy file is checked against ``schemas/policy.schema.json``
(the same schema editors can use for completion), and each schema error is
placed on the YAML line it concerns.  Expressions are parsed here, so every
later stage works on trees, never on text.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ecfmg_policy.errors import Diagnostic, InputError, PolicyError, Position, clip, did_you_mean
from ecfmg_policy.evaluator.policy import model as m
from ecfmg_policy.evaluator.language.parser import ExpressionSyntaxError, parse_expression
from ecfmg_policy.evaluator.records.schemas import dependent_key, describe_error, natively_valid, validator
from ecfmg_policy.evaluator.language.values import parse_duration
from ecfmg_policy.evaluator.source.yaml_source import YMap, YNode, YScalar, YSeq, load_yaml, read_text, to_plain

_DEFINITION_KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$")


def load_policy_file(path: Path, label: str | None = None) -> m.PolicyFile:
    """Read one version file; raise :class:`PolicyError` with every problem found.

    Unknown keys are the one mistake that leaves a usable file: they come back
    in ``PolicyFile.problems`` so that later stages still check the rest.
    """
    label = label or str(path)
    try:
        root = load_yaml(read_text(path, label), label)
    except InputError as exc:
        raise PolicyError(exc.diagnostic) from None
    if not isinstance(root, YMap):
        where = root.position if root is not None else Position(label, 1, 1)
        raise PolicyError(Diagnostic("a policy file must be a mapping of keys (policy, version, rules, …)",
                                     position=where, code="policy-structure"))
    unknown_keys, problems = check_structure(root, "policy")
    if problems:
        raise PolicyError(unknown_keys + problems)
    try:
        policy_file = _Builder(root, label).build()
    except PolicyError as exc:
        raise PolicyError(unknown_keys + exc.diagnostics) from None
    return replace(policy_file, problems=tuple(unknown_keys))


def check_structure(root: YMap, kind: str) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Check a YAML file against a shipped schema: (unknown keys, other problems), each placed on its line.

    Unknown keys are kept apart: a file that has only those can still be
    built (the key is ignored), so lint also reports the mistakes after them.
    """
    plain = _json_ready(to_plain(root))
    problems, unknown = [], []
    if natively_valid(kind, plain):  # jsonschema, whose errors these are, need not even start
        return unknown, problems
    for error in sorted(validator(kind).iter_errors(plain), key=lambda e: list(map(str, e.absolute_path))):
        node, _ = _node_at(root, list(error.absolute_path))
        if error.validator == "additionalProperties" and isinstance(node, YMap):
            allowed = error.schema.get("properties", {})
            for key in sorted(set(error.instance) - set(allowed)):
                unknown.append(Diagnostic(f"unknown key `{key}`", position=node.key_positions.get(key, node.position),
                                          hint=did_you_mean(key, allowed) or "allowed here: " + ", ".join(allowed),
                                          code=f"{kind}-structure"))
            continue
        position = node.position
        if error.validator == "propertyNames" and isinstance(node, YMap):
            position = node.key_positions.get(str(error.instance), position)
        elif error.validator == "dependentRequired" and isinstance(node, YMap):  # at the key that needs another
            position = node.key_positions.get(dependent_key(error)[0], position)
        problems.append(Diagnostic(describe_error(error), position=position, code=f"{kind}-structure"))
    return unknown, problems


def _json_ready(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


def _node_at(node: YNode, path: list) -> tuple[YNode, str | None]:
    """The deepest node along a JSON path, and the last key looked up."""
    key = None
    for part in path:
        if isinstance(node, YMap) and str(part) in node.entries:
            key = str(part)
            node = node.entries[key]
        elif isinstance(node, YSeq) and isinstance(part, int) and part < len(node.items):
            node = node.items[part]
        else:
            break
    return node, key


class _Builder:
    """Turns a validated YAML tree into a :class:`Policy`, parsing each expression."""

    def __init__(self, root: YMap, label: str):
        self.root = root
        self.label = label
        self.problems: list[Diagnostic] = []

    def build(self) -> m.PolicyFile:
        r = self.root.entries
        if "extends" not in r and "rules" not in r:
            self.problems.append(Diagnostic("a policy file needs `rules`, or `extends` naming the version it changes",
                                            position=self.root.position, code="policy-structure",
                                            hint="add a `rules:` list, or `extends: \"VERSION\"`"))
        effective = r["effective_from"].value
        if isinstance(effective, str):
            effective = datetime.date.fromisoformat(effective)
        scope = r.get("scope")
        policy = m.Policy(
            name=r["policy"].value,
            version=str(r["version"].value),
            effective_from=effective,
            title=r["title"].value if "title" in r else r["policy"].value,
            source=self.label,
            citation=r["source"].value if "source" in r else None,
            params=self._params(r.get("params")),
            data=tuple((k, v.value) for k, v in r["data"].entries.items()) if "data" in r else (),
            scope=self._expression(scope.entries["when"]) if isinstance(scope, YMap) else None,
            scope_source=scope.entries["source"].value if isinstance(scope, YMap) and "source" in scope.entries else None,
            definitions=self._definitions(r.get("definitions")),
            rules=self._rules(r["rules"]) if "rules" in r else (),
            outputs=self._outputs(r.get("outputs")),
        )
        if self.problems:
            raise PolicyError(self.problems)
        removals = tuple(m.Removal(section, item.value, item.position)
                         for section in ("rules", "definitions", "outputs", "params")
                         for item in (r[f"remove_{section}"].items if f"remove_{section}" in r else ()))
        extends = r.get("extends")
        return m.PolicyFile(policy, str(extends.value) if extends else None,
                            extends.position if extends else None, removals, frozenset(r),
                            r["version"].position)

    def _expression(self, node: YNode):
        assert isinstance(node, YScalar)
        text = node.value if isinstance(node.value, str) else str(node.value)
        try:
            return parse_expression(text, node.position_of)
        except ExpressionSyntaxError as exc:
            self.problems.append(exc.diagnostic)
            return None

    def _template(self, node: YNode | None) -> m.Template | None:
        if node is None:
            return None
        assert isinstance(node, YScalar)
        text, parts, i = str(node.value), [], 0
        while (start := text.find("${", i)) >= 0:
            end = _closing_brace(text, start + 2)
            if end < 0:
                self.problems.append(Diagnostic("`${` is never closed with `}`", position=node.position_of(start),
                                                code="syntax", hint='write `${expression}`; to show `${` itself, write `${"${"}`'))
                return None
            parts.append(text[i:start])
            inner = text[start + 2:end]
            base = start + 2
            try:
                parts.append(parse_expression(inner, _Shifted(node, base)))
            except ExpressionSyntaxError as exc:
                self.problems.append(exc.diagnostic)
            i = end + 1
        parts.append(text[i:])
        return m.Template(tuple(p for p in parts if p != ""))

    def _params(self, node: YMap | None) -> tuple[m.Param, ...]:
        if node is None:
            return ()
        params = []
        for name, value in node.entries.items():
            plain = to_plain(value)
            try:
                duration = parse_duration(plain) if isinstance(plain, str) else None
            except (ValueError, OverflowError):  # "99…9 years": more digits than Python will read
                self.problems.append(Diagnostic(f"`{clip(plain, 40)}` is too long a duration", code="policy-value",
                                                position=value.position, hint="write a duration such as `7 years`"))
                continue
            if duration is not None:
                plain = duration
            params.append(m.Param(name, plain, node.key_positions[name]))
        return tuple(params)

    def _definitions(self, node: YMap | None) -> tuple[m.Definition, ...]:
        if node is None:
            return ()
        found: dict[str, m.Definition] = {}
        for key, value in node.entries.items():
            match = _DEFINITION_KEY.match(key)
            assert match is not None  # the schema's propertyNames pattern guarantees it
            name = match.group(1)
            params = tuple(p.strip() for p in (match.group(2) or "").split(",") if p.strip())
            position = node.key_positions[key]
            if name in found:
                self.problems.append(Diagnostic(f"definition `{name}` is defined twice (first on line "
                                                f"{found[name].position.line})", position=position,
                                                code="duplicate-definition"))
                continue
            if len(set(params)) != len(params):
                self.problems.append(Diagnostic(f"definition `{name}` names a parameter twice",
                                                position=position, code="duplicate-parameter"))
            body = self._expression(value)
            if body is not None:
                found[name] = m.Definition(name, params, body, position)
        return tuple(found.values())

    def _rules(self, node: YSeq) -> tuple[m.Rule, ...]:
        rules: list[m.Rule] = []
        seen: dict[str, Position] = {}
        for item in node.items:
            assert isinstance(item, YMap)
            e = item.entries
            rule_id = e["id"].value
            if rule_id in seen:
                self.problems.append(Diagnostic(f"duplicate rule id `{rule_id}` (first on line {seen[rule_id].line})",
                                                position=e["id"].position, code="duplicate-rule",
                                                hint="give each rule its own id"))
                continue
            seen[rule_id] = e["id"].position
            require = self._expression(e["require"])
            optional = {k: self._expression(e[k]) if k in e else None for k in ("when", "blocked_when")}
            if require is None:
                continue
            rules.append(m.Rule(
                id=rule_id, title=e["title"].value, require=require,
                when=optional["when"], blocked_when=optional["blocked_when"],
                severity=m.Severity(e["severity"].value).value if "severity" in e else m.REQUIREMENT,
                message=self._template(e.get("message")),
                blocked_message=self._template(e.get("blocked_message")),
                source=e["source"].value if "source" in e else None,
                position=item.position))
        return tuple(rules)

    def _outputs(self, node: YMap | None) -> tuple[m.Output, ...]:
        if node is None:
            return ()
        outputs = []
        for name, value in node.entries.items():
            expression = self._expression(value)
            if expression is not None:
                outputs.append(m.Output(name, expression, node.key_positions[name]))
        return tuple(outputs)


@dataclass(frozen=True, slots=True, eq=False)
class _Shifted:
    """Positions for an expression inside a message's ``${…}``: offset ``base`` into the scalar.

    A class rather than a lambda so that a loaded policy pickles (an ``Engine`` sent to other
    processes); compared by identity, as the lambda it replaces was."""

    node: YScalar
    base: int

    def __call__(self, offset: int) -> Position:
        return self.node.position_of(self.base + offset)


def _closing_brace(text: str, i: int) -> int:
    """Index of the ``}`` closing a ``${`` placeholder, skipping nested braces and strings."""
    depth, quote = 0, None
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1
