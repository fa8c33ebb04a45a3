"""Turn record results into what people and programs read: text, JSON, JSON Lines.

The JSON shape is the contract of spec §8 and of ``schemas/result.schema.json``.
Text is for a person: the decision in words, every requirement still open with
its message, and the policy's outputs (deadlines, attempts left) by name.
Every string in it that came from a record, a file name or a policy is passed
through :func:`~ecfmg_policy.errors.terminal_safe` first, so no record can
draw a decision line of its own or send the terminal a command.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import click

from ecfmg_policy.cli.exits import EXIT_INVALID, EXIT_OK, EXIT_OPEN
from ecfmg_policy.errors import terminal_safe as safe
from ecfmg_policy.evaluator.evaluation.evaluate import DECISIONS, RecordResult
from ecfmg_policy.evaluator.policy.model import (ADVISORY, BLOCKED, ELIGIBLE, ERROR, OUT_OF_SCOPE, REQUIREMENT, UNMET, Decision,
                                          Outcome)
from ecfmg_policy.evaluator.language.values import display

_WORDS = {
    Decision.ELIGIBLE: ("ELIGIBLE", "green", "every requirement is met"),
    Decision.PENDING: ("PENDING", "yellow", "{open} requirement(s) still to meet"),
    Decision.INELIGIBLE: ("INELIGIBLE", "red", "{blocked} requirement(s) can no longer be met"),
    Decision.NOT_APPLICABLE: ("NOT APPLICABLE", "cyan", "outside the policy's scope: {scope}"),
    Decision.INVALID: ("INVALID", "magenta", "the record could not be evaluated; fix the problems below"),
}
_MARKS = {Outcome.UNMET: ("unmet", "yellow"), Outcome.BLOCKED: ("blocked", "red"), Outcome.ERROR: ("error", "magenta")}
_VERBOSE_MARKS = {Outcome.MET: ("met", "green"), Outcome.NOT_APPLICABLE: ("n/a", None)}
_URGENCY = {Outcome.BLOCKED: 0, Outcome.ERROR: 1, Outcome.UNMET: 2}  # the order rules are told in


class Tally:
    """What a run keeps of its results: a count per decision, for the summary and the exit
    status. Results themselves are written as they come and let go, so memory stays flat
    however many records a run decides."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, result: RecordResult) -> None:
        self.counts[result.decision] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def exit_code(self) -> int:
        if self.counts[Decision.INVALID]:
            return EXIT_INVALID
        if self.counts[Decision.PENDING] or self.counts[Decision.INELIGIBLE]:
            return EXIT_OPEN
        return EXIT_OK

    def summary_json(self) -> dict:
        summary = {"total": self.total}
        summary.update({d: self.counts.get(d, 0) for d in DECISIONS})
        summary["exit_code"] = self.exit_code()
        return summary

    def text_summary(self) -> str:
        parts = [f"{self.counts[d]} {d.replace('_', ' ')}" for d in DECISIONS if self.counts.get(d)]
        return f"{self.total} record(s): " + ", ".join(parts)


JSON_HEAD = '{\n  "results": ['


class JsonResults:
    """``--format json`` results written as they come: each result indented as in the whole
    document, the first of a part after a newline and the others after a comma. With
    :data:`JSON_HEAD` before and :func:`json_tail` after, the document is byte for byte what
    ``json.dump(..., indent=2)`` of the whole would give, with one result in memory at a time."""

    def __init__(self, out) -> None:
        self.out = out
        self.first = True

    def write(self, result: RecordResult) -> None:
        self.out.write(("\n" if self.first else ",\n") + textwrap.indent(json.dumps(result.to_json(), indent=2), "    "))
        self.first = False


def json_tail(tally: Tally) -> str:
    summary = textwrap.indent(json.dumps(tally.summary_json(), indent=2), "  ").lstrip()
    return ("\n  ]" if tally.total else "]") + f',\n  "summary": {summary}\n}}\n'


@dataclass(frozen=True, slots=True)
class ResultFormat:
    """How ``check`` writes each result: ``text``, ``json`` or ``jsonl``, with the text options.
    Plain data, so a worker process gets it as it is."""

    name: str
    color: bool = False
    verbose: bool = False
    quiet: bool = False

    def writer(self, out) -> Callable[[RecordResult], None]:
        """A function writing one result after another to ``out`` (one part of a run)."""
        if self.name == "jsonl":
            return lambda result: out.write(jsonl_line(result) + "\n")
        if self.name == "json":
            return JsonResults(out).write

        def text(result: RecordResult) -> None:
            if not (self.quiet and result.decision in (ELIGIBLE, OUT_OF_SCOPE)):
                click.echo(text_for(result, color=self.color, verbose=self.verbose) + "\n", file=out,
                           color=self.color)
        return text


def _orjson_dumps(value) -> bytes:
    """``orjson.dumps``, imported when first needed: the import costs about 13 ms (it brings
    ``uuid`` and ``platform``), which a run writing no JSON Lines should not pay at start."""
    global _orjson_dumps
    import orjson

    _orjson_dumps = orjson.dumps
    return orjson.dumps(value)


def jsonl_line(result: RecordResult) -> str:
    """One result as a JSON Lines record, compact, without the newline.

    Written by orjson (12× ``json.dumps`` on a result, measured: the bulk format's main cost
    after evaluation). Text that is not ASCII, or a number orjson cannot write (an integer
    past 64 bits), goes through ``json.dumps`` instead, whose escapes keep raw control and
    bidirectional characters from a record out of a terminal, as before.
    """
    value = result.to_json()
    try:
        data = _orjson_dumps(value)
    except TypeError:  # orjson.JSONEncodeError: lone surrogates, huge integers
        data = b"\x80"
    if data.isascii():
        return data.decode("ascii")
    return json.dumps(value, separators=(",", ":"))


def write_jsonl(result: RecordResult, out) -> None:
    out.write(jsonl_line(result) + "\n")


def text_for(result: RecordResult, color: bool, verbose: bool = False) -> str:
    style = (lambda text, fg, bold=False: click.style(text, fg=fg, bold=bold)) if color else (lambda text, *a, **k: text)
    lines = []
    open_count = sum(1 for r in result.rules if r.severity == REQUIREMENT and r.outcome in (UNMET, ERROR))
    blocked = sum(1 for r in result.rules if r.severity == REQUIREMENT and r.outcome == BLOCKED)
    label, fg, words = _WORDS[result.decision]
    scope = "not an international medical graduate"
    if result.policy is not None and result.policy.policy.scope_source is None:
        scope = "the policy does not apply"
    header = f"{safe(result.record)}: {style(label, fg, bold=True)} as of {result.as_of.isoformat()}"
    if result.policy is not None:
        p = result.policy.policy
        header += f" ({safe(p.name)} {safe(p.version)}, {safe(p.source)})"
    lines.append(header)
    lines.append("  " + words.format(open=open_count, blocked=blocked, scope=scope))
    for place, message in result.errors:
        where = f" at {safe(place)}" if place else ""
        lines.append(f"  {style('error', 'magenta')}{where}: {safe(message)}")
    if result.decision == OUT_OF_SCOPE:
        return "\n".join(lines)
    marks = {**_MARKS, **_VERBOSE_MARKS} if verbose else _MARKS
    for rule in sorted(result.rules, key=lambda r: _URGENCY.get(r.outcome, 3)):
        if rule.outcome not in marks:
            continue
        word, colour = marks[rule.outcome]
        advisory = " (advisory)" if rule.severity == ADVISORY else ""
        lines.append(f"  {style(f'{word:<8}', colour)} {safe(rule.id)}: {safe(rule.title)}{advisory}")
        if rule.message and rule.outcome in _MARKS:
            lines.append(f"           {safe(rule.message)}")
    shown = {k: v for k, v in result.outputs.items() if v not in (None, [], {})}
    if shown:
        lines.append("  details:")
        for name, value in shown.items():
            lines.append(f"    {safe(name.replace('_', ' '))}: {safe(_display_output(value))}")
    return "\n".join(lines)


def _display_output(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ') if isinstance(k, str) and k.islower() else k}: {display(v)}"
                         for k, v in value.items())
    return display(value)
