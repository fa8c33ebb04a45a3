"""Why a record got its decision: for each rule, what it read, what it computed, what it applied.

``check`` answers with the generated code, which keeps nothing of how it got
there.  An explanation needs the way there, so the reference interpreter walks
the same checked policy again for this one record while :class:`_Watch` notes
every read: each field of the record and of the reference data (with its JSON
pointer), each parameter (with the day it was read at), each definition.  The
outcomes, messages and outputs shown are ``check``'s own, so an explanation can
never contradict ``check``; the walk only says why.  Should the walk ever reach
a different outcome or message, the explanation lists the rule under
``disagreements`` rather than hide it (the agreement tests keep that list empty).

The result is the document ``explain --format json`` writes (``ecfmg-policy.explain/1``,
``schemas/explain.schema.json``); the text and HTML forms are drawn from it.
It is plain data, built in a fixed order, so one input always gives the same bytes.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from typing import Any

from ecfmg_policy import __version__
from ecfmg_policy.evaluator.compiler.compiler import CompiledPolicy
from ecfmg_policy.evaluator.compiler.runtime import RECORD_STEPS
from ecfmg_policy.evaluator.compiler.runtime import explain as explain_error
from ecfmg_policy.evaluator.evaluation.evaluate import RecordResult
from ecfmg_policy.evaluator.evaluation.interpreter import Interpreter, _Run
from ecfmg_policy.evaluator.language.values import display, to_json_value
from ecfmg_policy.evaluator.policy.model import (BLOCKED, ELIGIBLE, ERROR, INELIGIBLE, INVALID, MET, NOT_APPLICABLE,
                                                 OUT_OF_SCOPE, PENDING, REQUIREMENT, UNMET)

FORMAT = "ecfmg-policy.explain/1"

# The order rules are shown in, and each group's heading: what stands in the way first.
GROUPS = ((BLOCKED, "Can no longer be met"), (ERROR, "Could not be decided"), (UNMET, "Still to do"),
          (MET, "Met"), (NOT_APPLICABLE, "Does not apply"))

# Calls of titled definitions with parameters kept per rule: a loop may call one for every item.
MAX_CALLS = 12


@dataclass
class _Reads:
    """What one part of the policy (a definition, a rule's conditions, its message...) read."""

    facts: dict[tuple[str, str], tuple[Any, bool]] = field(default_factory=dict)  # (data name or "", pointer)
    params: dict[tuple[str, datetime.date | None], Any] = field(default_factory=dict)
    definitions: set[str] = field(default_factory=set)
    calls: dict[tuple[str, tuple], Any] = field(default_factory=dict)


class _Watch(_Run):
    """The interpreter's walk, noting what each part reads (see the module docstring).

    A value read from the record or the reference data is known by the identity of
    the object holding it: every object and list of both is indexed by ``id`` once,
    with its pointer, so ``a.date`` inside a loop over ``applicant.exams`` is known
    to be ``/exams/3/date`` however the policy reached ``a``."""

    def __init__(self, interpreter: Interpreter, roots: dict[str, Any]):
        super().__init__(interpreter, roots)
        self.where: dict[int, tuple[str, str]] = {}
        _index(roots["applicant"], "", "", self.where)
        for name, value in roots["data"].items():
            _index(value, name, "", self.where)
        self.reads: dict[tuple[str, Any], _Reads] = {}
        self.sink = _Reads()

    def enter(self, kind: str, key: Any) -> None:
        self.sink = self.reads.setdefault((kind, key), _Reads())

    def definition(self, name: str):
        self.sink.definitions.add(name)
        return super().definition(name)

    def field(self, target: dict, key: str):
        value = target.get(key)
        place = self.where.get(id(target))
        if place is not None:
            self.sink.facts.setdefault((place[0], place[1] + "/" + _escape(key)), (value, key in target))
        return value

    def item(self, target: list, position: int):
        value = super().item(target, position)
        place = self.where.get(id(target))
        if place is not None:
            inside = -len(target) <= position < len(target)
            at = position % len(target) if inside else position
            self.sink.facts.setdefault((place[0], f"{place[1]}/{at}"), (value, inside))
        return value

    def param(self, name: str, day: datetime.date | None):
        value = super().param(name, day)
        self.sink.params.setdefault((name, day), value)
        return value

    def called(self, name: str, arguments: list, result) -> None:
        if self.definitions[name].title and len(self.sink.calls) < MAX_CALLS:
            key = (name, tuple(display(a) for a in arguments))
            self.sink.calls.setdefault(key, result)


def _index(value: Any, root: str, pointer: str, where: dict[int, tuple[str, str]]) -> None:
    """Every object and list inside ``value`` by identity, with its pointer (no recursion: a
    record may nest deeply)."""
    pending = [(value, pointer)]
    while pending:
        item, at = pending.pop()
        if isinstance(item, dict):
            where[id(item)] = (root, at)
            pending.extend((v, f"{at}/{_escape(k)}") for k, v in item.items())
        elif isinstance(item, list):
            where[id(item)] = (root, at)
            pending.extend((v, f"{at}/{i}") for i, v in enumerate(item))


def _escape(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True, slots=True)
class Sources:
    """Where the explained answer came from, beyond the record: the versions of the policy
    (for the clause, the timeline's version boundaries and who set each parameter) and the
    files read."""

    versions: tuple[CompiledPolicy, ...]
    file_hashes: dict[str, str]  # policy file -> sha256 of its bytes


def explain(result: RecordResult, record: Any, raw: bytes, data: dict[str, Any], sources: Sources) -> dict:
    """The explanation document for one record and ``check``'s result on it.

    ``record`` is the record as parsed (None when it could not be read), ``raw`` its bytes."""
    compiled = result.policy
    document: dict[str, Any] = {
        "format": FORMAT,
        "tool": {"name": "ecfmg-policy", "version": __version__},
        "record": {"label": result.record, "sha256": hashlib.sha256(raw).hexdigest()},
        "as_of": result.as_of.isoformat(),
        "policy": _policy(compiled, sources) if compiled is not None else None,
        "decision": result.decision,
        "summary": "",
        "errors": [{"path": place, "message": message} for place, message in result.errors],
        "groups": [],
        "rules": [],
        "outputs": to_json_value(result.outputs),
        "timeline": None,
        "disagreements": [],
    }
    if result.decision == INVALID or compiled is None:
        document["summary"] = _summary(result.decision, [], len(result.errors))
        return document
    from ecfmg_policy.evaluator.records.records import convert_dates

    interpreter = Interpreter(compiled.checked, data)
    walk = interpreter.evaluate(convert_dates("applicant", record), result.as_of, _Watch)
    run: _Watch = walk.run
    rules = compiled.policy.rules
    messages = result.messages or (None,) * len(rules)
    # A walk that ran out of the record's budget (work under notes the checker could not bound)
    # fails every step after that, where check's code, charged only for what grows, goes on:
    # what it reached then is no answer to compare with check's.
    ran_out = walk.steps > RECORD_STEPS
    disagreements = [rule.id for rule, outcome, message, w_outcome, w_message
                     in zip(rules, result.outcomes, messages, walk.outcomes, walk.messages)
                     if (outcome, message) != (w_outcome, w_message) and not ran_out]
    explained = []
    for number, (rule, outcome, message) in enumerate(zip(rules, result.outcomes, messages)):
        explained.append(_rule(run, interpreter, sources, compiled, number, rule, outcome, message,
                               in_scope=walk.in_scope))
    order = {outcome: place for place, (outcome, _) in enumerate(GROUPS)}
    explained.sort(key=lambda r: (order[r["outcome"]], r["position"]))
    document["rules"] = explained
    document["groups"] = [{"outcome": outcome, "heading": heading,
                           "rules": [r["id"] for r in explained if r["outcome"] == outcome]}
                          for outcome, heading in GROUPS]
    counted = [r for r in explained if r["severity"] == REQUIREMENT]
    document["summary"] = _summary(result.decision, counted, 0, compiled.policy.scope_source)
    document["timeline"] = _timeline(run, compiled, record, result.as_of, sources)
    document["disagreements"] = disagreements
    return document


def _policy(compiled: CompiledPolicy, sources: Sources) -> dict:
    policy = compiled.policy
    files = sorted(files_of(compiled), key=lambda f: (f != policy.source, f))
    return {"name": policy.name, "title": policy.title, "version": policy.version,
            "effective_from": policy.effective_from.isoformat(),
            "effective_to": compiled.effective_to.isoformat() if compiled.effective_to else None,
            "file": policy.source,
            "files": [{"file": f, "sha256": sources.file_hashes.get(f)} for f in files]}


def files_of(compiled: CompiledPolicy) -> set[str]:
    """The files a version is made of: its own and those it inherits parts from."""
    policy = compiled.policy
    return ({policy.source} | {p.position.source for p in policy.params}
            | {d.position.source for d in policy.definitions} | {r.position.source for r in policy.rules}
            | {o.position.source for o in policy.outputs})


def _version_of_file(sources: Sources) -> dict[str, CompiledPolicy]:
    return {c.policy.source: c for c in sources.versions}


def _rule(run: _Watch, interpreter: Interpreter, sources: Sources, compiled: CompiledPolicy, number: int, rule,
          outcome: str, message: str | None, in_scope: bool) -> dict:
    """One rule: outcome and message as ``check`` gave them, and what the walk saw of it."""
    parts = [run.reads.get(("rule", number), _Reads())]
    if not in_scope:
        parts = [run.reads.get(("scope", None), _Reads())]
    deciding = _closure(run, interpreter, parts)
    told = _closure(run, interpreter, parts + [run.reads.get(("message", number), _Reads())])
    facts, data_facts = [], []
    for (root, pointer), (value, given) in _facts(told):
        item = {"pointer": pointer, "value": to_json_value(value), "given": given}
        if root:
            data_facts.append({"name": root, **item})
        else:
            facts.append(item)
    by_file = _version_of_file(sources)
    params = []
    for (name, day), value in sorted(_merged(told, "params").items(), key=lambda kv: (kv[0][0], kv[0][1] or
                                                                                         datetime.date.min)):
        declared = next(p for p in compiled.policy.params if p.name == name)
        setter = by_file.get(declared.position.source)
        params.append({"name": name, "value": to_json_value(value), "text": describe(value),
                       "on": day.isoformat() if day else None,
                       "version": setter.policy.version if setter else None,
                       "file": declared.position.source, "line": declared.position.line})
    computed = []
    definitions = interpreter.definitions
    reached = _merged(deciding, "definitions")
    for name in interpreter.checked.definition_order:
        if name in reached and not definitions[name].params:
            d = definitions[name]
            value = run.values.get(name)
            failed = run.failed.get(name)
            computed.append({"name": name, "title": d.title, "value": to_json_value(value),
                             "text": f"could not be computed: {explain_error(failed)}" if failed is not None
                             else describe(value, run.where)})
    for (name, shown), value in list(_merged(deciding, "calls").items())[:MAX_CALLS]:
        computed.append({"name": f"{name}({', '.join(shown)})", "title": definitions[name].title,
                         "value": to_json_value(value), "text": describe(value, run.where)})
    to_meet = []
    if outcome == UNMET:
        for label, expression in getattr(rule, "to_meet", ()):
            run.enter("to_meet", (number, label))
            try:
                value = run.part(expression)
                to_meet.append({"label": label, "value": to_json_value(value), "text": describe(value, run.where)})
            except Exception as exc:  # noqa: BLE001 - shown in place, like a message that cannot be written
                to_meet.append({"label": label, "value": None,
                                "text": f"could not be computed: {explain_error(exc, getattr(exc, 'policy_position', None))}"})
    writer = by_file.get(rule.position.source)
    return {
        "id": rule.id, "position": number, "title": rule.title, "outcome": outcome, "severity": rule.severity,
        "message": message,
        "facts": facts, "data": data_facts, "params": params, "computed": computed, "to_meet": to_meet,
        "clause": {"version": compiled.policy.version,
                   "effective_from": compiled.policy.effective_from.isoformat(),
                   "effective_to": compiled.effective_to.isoformat() if compiled.effective_to else None,
                   "written_in": writer.policy.version if writer else None,
                   "file": rule.position.source, "line": rule.position.line, "source": rule.source},
    }


def _closure(run: _Watch, interpreter: Interpreter, parts: list[_Reads]) -> list[_Reads]:
    """The parts given and every definition they read, through other definitions too."""
    seen: set[str] = set()
    found = list(parts)
    pending = [name for part in parts for name in part.definitions]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        reads = run.reads.get(("definition", name))
        if reads is not None:
            found.append(reads)
            pending.extend(reads.definitions)
    return found


def _merged(parts: list[_Reads], what: str):
    if what == "definitions":
        return set().union(*(p.definitions for p in parts))
    merged: dict = {}
    for part in parts:
        for key, value in getattr(part, what).items():
            merged.setdefault(key, value)
    return merged


def _facts(parts: list[_Reads]) -> list[tuple[tuple[str, str], tuple[Any, bool]]]:
    """The facts read, in the record's order; an object or list is left out when something
    inside it was read (that says more), and kept when only its presence was asked."""
    merged = _merged(parts, "facts")
    inside: set[tuple[str, str]] = set()  # every object or list something read was inside of
    for root, pointer in merged:
        while (cut := pointer.rfind("/")) >= 0 and (root, pointer[:cut]) not in inside:
            pointer = pointer[:cut]
            inside.add((root, pointer))  # its own outer ones are added as well, or were already
    kept = [(key, value) for key, value in merged.items()
            if not (isinstance(value[0], (dict, list)) and key in inside)]
    return sorted(kept, key=lambda kv: (kv[0][0], _pointer_order(kv[0][1])))


def _pointer_order(pointer: str) -> tuple:
    return tuple((0, int(step), "") if step.isdigit() else (1, 0, step) for step in pointer.split("/")[1:])


def _timeline(run: _Watch, compiled: CompiledPolicy, record: dict, as_of: datetime.date, sources: Sources) -> dict:
    """The record's exam attempts, the policy's windows (its ``timeline`` section) and the
    dates around them, as the text chart and the SVG draw them."""
    lanes: dict[str, list] = {}
    for number, attempt in enumerate(record.get("exams") or []):
        day = datetime.date.fromisoformat(attempt["date"])
        lanes.setdefault(attempt["exam"], []).append(
            {"date": day.isoformat(), "result": attempt.get("result"), "pointer": f"/exams/{number}",
             "counts": day <= as_of})
    for attempts in lanes.values():
        attempts.sort(key=lambda a: a["date"])
    exams = [{"exam": exam, "attempts": attempts}
             for exam, attempts in sorted(lanes.items(), key=lambda kv: (kv[1][0]["date"], kv[0]))]
    windows, problem = [], None
    section = getattr(compiled.policy, "timeline", None)
    if section is not None:
        run.enter("timeline", None)
        try:
            listed = run.part(section.windows) or []
            current = run.part(section.current) if section.current is not None else None
            if not isinstance(listed, list):  # only a value the checker could not know (under notes)
                problem = "the windows could not be drawn: they are not a list"
                listed = []
            drawn = [w for w in listed if isinstance(w, dict) and isinstance(w.get("start"), datetime.date)
                     and isinstance(w.get("end"), datetime.date)]
            wrong = len(listed) - len(drawn) - sum(isinstance(w, dict) and w.get("start") is None
                                                   or isinstance(w, dict) and w.get("end") is None for w in listed)
            spans = dict.fromkeys((w["start"], w["end"]) for w in drawn)  # passes on one day: one window
            windows = [{"start": start.isoformat(), "end": end.isoformat(),
                        "current": current is not None and start == current} for start, end in spans]
            if wrong:
                problem = (f"{wrong} of the windows could not be drawn: each must be an object with "
                           f"`start` and `end` dates")
        except Exception as exc:  # noqa: BLE001 - the chart goes without windows, and says why
            problem = f"the windows could not be computed: {explain_error(exc, getattr(exc, 'policy_position', None))}"
    days = [datetime.date.fromisoformat(a["date"]) for lane in exams for a in lane["attempts"]]
    days += [datetime.date.fromisoformat(w[k]) for w in windows for k in ("start", "end")] + [as_of]
    last = max(days)  # the span ends on the first day of the next year, or on the last day there is
    start = datetime.date(min(days).year, 1, 1)
    end = datetime.date(last.year + 1, 1, 1) if last.year < datetime.MAXYEAR else datetime.date.max
    versions = [{"version": c.policy.version, "effective_from": c.policy.effective_from.isoformat()}
                for c in sources.versions if start < c.policy.effective_from <= end]
    timeline = {"from": start.isoformat(), "to": end.isoformat(), "as_of": as_of.isoformat(), "exams": exams,
                "windows": windows, "versions": versions}
    if problem:
        timeline["problem"] = problem
    return timeline


def _summary(decision: str, counted: list[dict], errors: int, scope_source: str | None = None) -> str:
    """The decision in one sentence."""
    def requirements(n: int, verbs: tuple[str, str] = ("", "")) -> str:
        said = f"{n} requirement {verbs[0]}" if n == 1 else f"{n} requirements {verbs[1]}"
        return said.rstrip()

    blocked = sum(r["outcome"] == BLOCKED for r in counted)
    still = sum(r["outcome"] in (UNMET, ERROR) for r in counted)
    if decision == ELIGIBLE:
        return "Eligible: every requirement that applies is met."
    if decision == PENDING:
        return f"Pending: {requirements(still, ('is', 'are'))} still to be met; none blocks certification."
    if decision == INELIGIBLE:
        more = f"; {requirements(still, ('is', 'are'))} also still to be met" if still else ""
        return f"Ineligible: {requirements(blocked)} can no longer be met{more}."
    if decision == OUT_OF_SCOPE:
        return "Not applicable: the record is outside the policy's scope, so no rule applies."
    return (f"Invalid: the record could not be judged ({errors} problem{'s' if errors != 1 else ''}"
            f" with it); correct it and ask again.")


def describe(value: Any, where: dict[int, tuple[str, str]] | None = None) -> str:
    """A value as a sentence shows it: like a message (``values.display``), but a list or an
    object inside another keeps its brackets, so a list of windows stays readable; and an
    object or list that is part of the record or the reference data is named by its pointer
    (``/exams/3``), which the facts above it show field by field."""
    where = where or {}
    if isinstance(value, (list, tuple)) and id(value) not in where:
        if not value:
            return "none"
        joiner = "; " if any(isinstance(v, dict) and id(v) not in where for v in value) else ", "
        return joiner.join(_nested(v, where) for v in value)
    if isinstance(value, dict) and id(value) not in where:
        return ", ".join(f"{k}: {_nested(v, where)}" for k, v in value.items()) if value else "none"
    return _nested(value, where)


def _nested(value: Any, where: dict[int, tuple[str, str]]) -> str:
    place = where.get(id(value)) if isinstance(value, (dict, list)) else None
    if place is not None:
        return f"{place[0]} {place[1] or '/'}" if place[0] else place[1] or "the record"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_nested(v, where) for v in value) + "]" if value else "none"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_nested(v, where)}" for k, v in value.items()) + "}" if value else "none"
    return display(value)
