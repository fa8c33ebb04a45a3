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
from collections import Counter

import click

from ecfmg_policy.errors import terminal_safe as safe
from ecfmg_policy.evaluator.evaluate import DECISIONS, RecordResult
from ecfmg_policy.evaluator.values import display

EXIT_OK, EXIT_OPEN, EXIT_INVALID, EXIT_POLICY = 0, 1, 2, 3

_WORDS = {
    "eligible": ("ELIGIBLE", "green", "every requirement is met"),
    "pending": ("PENDING", "yellow", "{open} requirement(s) still to meet"),
    "ineligible": ("INELIGIBLE", "red", "{blocked} requirement(s) can no longer be met"),
    "not_applicable": ("NOT APPLICABLE", "cyan", "outside the policy's scope: {scope}"),
    "invalid": ("INVALID", "magenta", "the record could not be evaluated; fix the problems below"),
}
_MARKS = {"unmet": ("unmet", "yellow"), "blocked": ("blocked", "red"), "error": ("error", "magenta")}
_VERBOSE_MARKS = {"met": ("met", "green"), "not_applicable": ("n/a", None)}


def exit_code(results: list[RecordResult]) -> int:
    decisions = {r.decision for r in results}
    if "invalid" in decisions:
        return EXIT_INVALID
    if decisions & {"pending", "ineligible"}:
        return EXIT_OPEN
    return EXIT_OK


def result_json(result: RecordResult) -> dict:
    """One result as JSON (``RecordResult.to_json``: the library gives the same object)."""
    return result.to_json()


def summary_json(results: list[RecordResult]) -> dict:
    counts = Counter(r.decision for r in results)
    summary = {"total": len(results)}
    summary.update({d: counts.get(d, 0) for d in DECISIONS})
    summary["exit_code"] = exit_code(results)
    return summary


def write_json(results: list[RecordResult], out) -> None:
    json.dump({"results": [result_json(r) for r in results], "summary": summary_json(results)}, out, indent=2)
    out.write("\n")


def write_jsonl(result: RecordResult, out) -> None:
    out.write(json.dumps(result_json(result)) + "\n")


def text_for(result: RecordResult, color: bool, verbose: bool = False) -> str:
    style = (lambda text, fg, bold=False: click.style(text, fg=fg, bold=bold)) if color else (lambda text, *a, **k: text)
    lines = []
    open_count = sum(1 for r in result.rules if r.severity == "requirement" and r.outcome in ("unmet", "error"))
    blocked = sum(1 for r in result.rules if r.severity == "requirement" and r.outcome == "blocked")
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
        lines.append(f"  {style('error', 'magenta')} at {safe(place)}: {safe(message)}")
    if result.decision == "not_applicable":
        return "\n".join(lines)
    marks = {**_MARKS, **_VERBOSE_MARKS} if verbose else _MARKS
    for rule in sorted(result.rules, key=lambda r: {"blocked": 0, "error": 1, "unmet": 2}.get(r.outcome, 3)):
        if rule.outcome not in marks:
            continue
        word, colour = marks[rule.outcome]
        advisory = " (advisory)" if rule.severity == "advisory" else ""
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


def text_summary(results: list[RecordResult]) -> str:
    counts = Counter(r.decision for r in results)
    parts = [f"{counts[d]} {d.replace('_', ' ')}" for d in DECISIONS if counts.get(d)]
    return f"{len(results)} record(s): " + ", ".join(parts)
