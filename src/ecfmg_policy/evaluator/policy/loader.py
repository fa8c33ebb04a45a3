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
from ecfmg_policy.evaluator.language.values import History, an, parse_duration, type_name
from ecfmg_policy.evaluator.source.yaml_source import YMap, YNode, YScalar, YSeq, load_yaml, read_text, to_plain

_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_REFUSED = object()  # a parameter value already reported as unusable
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
        position, message = node.position, describe_error(error)
        if "propertyNames" in list(error.absolute_schema_path)[-3:] and isinstance(node, YMap):
            # a key of the wrong form (a definition's name, a label): at that key, and named
            position = node.key_positions.get(str(error.instance), position)
            if error.validator != "pattern":  # a pattern's message shows the key already
                message = f"`{clip(str(error.instance), 40)}`: {message}"
        elif error.validator == "dependentRequired" and isinstance(node, YMap):  # at the key that needs another
            position = node.key_positions.get(dependent_key(error)[0], position)
        problems.append(Diagnostic(message, position=position, code=f"{kind}-structure"))
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
            params=self._params(r.get("params"), effective),
            data=tuple((k, v.value) for k, v in r["data"].entries.items()) if "data" in r else (),
            scope=self._expression(scope.entries["when"]) if isinstance(scope, YMap) else None,
            scope_source=scope.entries["source"].value if isinstance(scope, YMap) and "source" in scope.entries else None,
            definitions=self._definitions(r.get("definitions")),
            rules=(),
            outputs=self._outputs(r.get("outputs")),
            timeline=self._timeline(r.get("timeline")),
        )
        entries = self._rules(r["rules"]) if "rules" in r else ()
        policy = replace(policy, rules=self._whole_rules(entries, "extends" in r))
        if self.problems:
            raise PolicyError(self.problems)
        removals = tuple(m.Removal(section, item.value, item.position)
                         for section in ("rules", "definitions", "outputs", "params")
                         for item in (r[f"remove_{section}"].items if f"remove_{section}" in r else ()))
        extends = r.get("extends")
        return m.PolicyFile(policy, str(extends.value) if extends else None,
                            extends.position if extends else None, removals, frozenset(r),
                            r["version"].position, rule_entries=entries)

    def _expression(self, node: YNode):
        assert isinstance(node, YScalar)
        if isinstance(node.value, bool):  # YAML's own true/false, written without quotes
            written = node.text.buffer[node.text.start_index:node.text.end_index] if node.text else ""
            if written.lower() not in ("true", "false"):  # YAML 1.1 also reads yes/no/on/off as true/false
                self.problems.append(Diagnostic(
                    f"`{clip(written, 20)}` is not an expression: YAML reads it as {str(node.value).lower()}",
                    position=node.position, code="syntax",
                    hint=f"write `{str(node.value).lower()}` if that is meant, or quote the expression"))
                return None
            text = "true" if node.value else "false"
        else:
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

    def _params(self, node: YMap | None, effective: datetime.date) -> tuple[m.Param, ...]:
        if node is None:
            return ()
        params = []
        for name, value in node.entries.items():
            if isinstance(value, YMap) and any(_DAY.match(key) for key in value.entries):
                plain = self._history(name, value, effective)
            else:
                plain = self._param_value(value)
            if plain is not _REFUSED:
                params.append(m.Param(name, plain, node.key_positions[name]))
        return tuple(params)

    def _param_value(self, value: YNode):
        plain = to_plain(value)
        try:
            duration = parse_duration(plain) if isinstance(plain, str) else None
        except (ValueError, OverflowError):  # "99…9 years": more digits than Python will read
            self.problems.append(Diagnostic(f"`{clip(plain, 40)}` is too long a duration", code="policy-value",
                                            position=value.position, hint="write a duration such as `7 years`"))
            return _REFUSED
        return plain if duration is None else duration

    def _history(self, name: str, node: YMap, effective: datetime.date):
        """``name: {2004-06-14: 75, 2022-01-01: 160}``: dates in order, values of one kind, and a
        first date no later than this version's first day (else some of its days read a value
        nobody wrote for them)."""
        days: list[datetime.date] = []
        values: list = []
        kinds: dict[str, str] = {}
        problems = len(self.problems)
        for key, value in node.entries.items():
            where = node.key_positions[key]
            try:
                day = datetime.date.fromisoformat(key) if _DAY.match(key) else None
            except ValueError:
                day = None
            if day is None:
                self.problems.append(Diagnostic(
                    f"`params.{name}` is a history, and `{clip(key, 40)}` is not a date", position=where,
                    code="param-history", hint="a history maps each date (YYYY-MM-DD) to the value from that date on"))
                continue
            if days and day <= days[-1]:
                self.problems.append(Diagnostic(
                    f"the dates of `params.{name}` go in order: {key} comes after {days[-1].isoformat()}",
                    position=where, code="param-history", hint="move it above the later date"))
                continue
            plain = self._param_value(value)
            if plain is _REFUSED:
                continue
            kind = "number" if type_name(plain) == "number" else type_name(plain)
            if plain is not None and kinds and kind not in kinds:
                first, since = next(iter(kinds.items()))
                self.problems.append(Diagnostic(
                    f"`params.{name}` is {an(first)} from {since} but {an(kind)} from {key}", position=where,
                    code="param-history", hint="every value of a history is of one kind"))
                continue
            if plain is not None:
                kinds.setdefault(kind, key)
            days.append(day)
            values.append(plain)
        if len(self.problems) > problems:
            return _REFUSED
        if days[0] > effective:
            self.problems.append(Diagnostic(
                f"`params.{name}` has no value from {effective.isoformat()}, when this version takes effect, "
                f"to {days[0].isoformat()}, its first date", position=node.key_positions[next(iter(node.entries))],
                code="param-history",
                hint=f"add the value that holds from {effective.isoformat()}, or date the first value earlier"))
            return _REFUSED
        return History(tuple(days), tuple(values))

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
            title = description = None
            if isinstance(value, YMap):  # {title, description, value}: the schema checked the keys
                title = value.entries["title"].value if "title" in value.entries else None
                description = value.entries["description"].value if "description" in value.entries else None
                value = value.entries["value"]
            body = self._expression(value)
            if body is not None:
                found[name] = m.Definition(name, params, body, position, title, description)
        return tuple(found.values())

    def _rules(self, node: YSeq) -> tuple[m.RuleEntry, ...]:
        entries: list[m.RuleEntry] = []
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
            if "final" in e and "blocked_when" in e:
                self.problems.append(Diagnostic(
                    f"rule `{rule_id}` gives both `final` and `blocked_when`", position=e["final"].position,
                    code="policy-structure",
                    hint="`final: true` means \"blocked whenever unmet\"; keep it, or `blocked_when` for a condition"))
                continue
            fields: dict[str, object] = {}
            for key in m.RULE_FIELDS:
                if key not in e:
                    continue
                value = e[key]
                if key in ("when", "require", "blocked_when"):
                    fields[key] = self._expression(value)
                    if fields[key] is None:
                        break
                elif key == "final":
                    fields["final"] = bool(value.value)
                    fields["blocked_when"] = (parse_expression("true", value.position_of)
                                              if value.value else None)
                elif key in ("message", "blocked_message"):
                    fields[key] = self._template(value)
                elif key == "to_meet":
                    assert isinstance(value, YMap)  # the schema checked it: label -> expression
                    parsed = tuple((label, self._expression(node)) for label, node in value.entries.items())
                    if any(expression is None for _, expression in parsed):
                        break
                    fields[key] = parsed
                elif key == "severity":
                    fields[key] = m.Severity(value.value).value
                else:
                    fields[key] = value.value
            else:
                entries.append(m.RuleEntry(rule_id, tuple((k, fields[k]) for k in m.RULE_FIELDS if k in fields),
                                           bool(e["replace"].value) if "replace" in e else False, item.position))
        return tuple(entries)

    def _whole_rules(self, entries: tuple[m.RuleEntry, ...], extends: bool) -> tuple[m.Rule, ...]:
        """The rules a file states whole; in a file that extends nothing, every entry must be one."""
        if extends:
            return tuple(entry.rule() for entry in entries if entry.complete())
        for entry in entries:
            if entry.replace:
                self.problems.append(Diagnostic(
                    f"rule `{entry.id}` says `replace: true`, but this version extends no other",
                    position=entry.position, code="policy-structure",
                    hint="`replace` is for a version that changes a rule it inherits; remove it"))
            for key in ("title", "require"):
                if key not in entry.given():
                    self.problems.append(Diagnostic(
                        f"rule `{entry.id}` has no `{key}`", position=entry.position, code="policy-structure",
                        hint=("add `title:`, what the rule asks in a few words" if key == "title"
                              else "add `require:`, the condition that meets the rule")))
        return tuple(entry.rule() for entry in entries if entry.complete())

    def _timeline(self, node: YMap | None) -> m.Timeline | None:
        """``timeline: {windows: EXPR, current: EXPR}`` (the schema checked the keys)."""
        if node is None:
            return None
        assert isinstance(node, YMap)
        windows = self._expression(node.entries["windows"])
        current = self._expression(node.entries["current"]) if "current" in node.entries else None
        if windows is None or ("current" in node.entries and current is None):
            return None  # the syntax error is reported
        return m.Timeline(windows, current, self.root.key_positions["timeline"])

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
