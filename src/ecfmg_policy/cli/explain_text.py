"""An explanation as text for a terminal: the decision, a timeline chart, then every rule.

Drawn from the explanation document alone (``evaluation/explanation.py``), as the
HTML is, so the two never say different things.  Every string from a record or a
policy goes through ``terminal_safe``; colour only repeats what the words and marks
already say, so the text reads the same without it (``--color never``, a file, a pipe).
"""

from __future__ import annotations

import datetime
from typing import Any, Callable

import click

from ecfmg_policy.errors import clip
from ecfmg_policy.errors import terminal_safe as safe
from ecfmg_policy.evaluator.policy.model import (ADVISORY, BLOCKED, ELIGIBLE, ERROR, INELIGIBLE, INVALID, MET,
                                                 NOT_APPLICABLE, OUT_OF_SCOPE, PENDING, UNMET)

# How each outcome reads beside a rule: a mark and words, never colour alone.
OUTCOME_MARKS = {BLOCKED: ("⛔", "can no longer be met", "red"), ERROR: ("!", "could not be decided", "magenta"),
                 UNMET: ("✗", "still to do", "yellow"), MET: ("✓", "met", "green"),
                 NOT_APPLICABLE: ("–", "does not apply", None)}
DECISION_COLOURS = {ELIGIBLE: "green", PENDING: "yellow", INELIGIBLE: "red", OUT_OF_SCOPE: None, INVALID: "magenta"}

# The chart: attempt marks by result, and its width in columns.
RESULT_MARKS = {"pass": "●", "fail": "×"}
OTHER_RESULT = "○"
CHART_WIDTH = 60
LABEL_WIDTH = 16
# Lines a section of one rule shows at most: a record with thousands of attempts stays readable
# (the JSON form has them all).
SECTION_LINES = 40


def render_text(document: dict, color: bool = False) -> str:
    style: Callable[..., str] = ((lambda text, fg=None, bold=False: click.style(text, fg=fg, bold=bold))
                                 if color else (lambda text, fg=None, bold=False: text))
    lines: list[str] = []
    decision = document["decision"]
    header = f"{safe(document['record']['label'])} as of {document['as_of']}: " + \
        style(decision.replace("_", " ").upper(), DECISION_COLOURS.get(decision), bold=True)
    lines += [header, safe(document["summary"])]
    policy = document["policy"]
    if policy is not None:
        until = f" to {policy['effective_to']}" if policy["effective_to"] else " on"
        lines.append(f"Policy {safe(policy['name'])} {safe(policy['version'])} (in force {policy['effective_from']}"
                     f"{until}), {safe(policy['file'])}")
    for problem in document["errors"]:
        where = f" at {safe(problem['path'])}" if problem["path"] else ""
        lines.append(f"  {style('error', 'magenta')}{where}: {safe(problem['message'])}")
    if document["disagreements"]:
        lines.append(style("Note: the step-by-step walk behind this explanation reached a different outcome for "
                           + ", ".join(safe(r) for r in document["disagreements"])
                           + " than check; the outcomes shown are check's. Please report it.", "magenta"))
    if document["timeline"] is not None:
        lines += ["", *timeline_chart(document["timeline"])]
    by_id = {rule["id"]: rule for rule in document["rules"]}
    for group in document["groups"]:
        if not group["rules"]:
            continue
        lines += ["", style(f"{group['heading']} ({len(group['rules'])})", bold=True)]
        for rule_id in group["rules"]:
            lines += _rule(by_id[rule_id], style)
    outputs = {k: v for k, v in document["outputs"].items() if v not in (None, [], {})}
    if outputs:
        lines += ["", style("Results", bold=True)]
        lines += [f"  {safe(name.replace('_', ' '))}: {_value(value)}" for name, value in outputs.items()]
    return "\n".join(lines) + "\n"


def _rule(rule: dict, style) -> list[str]:
    mark, words, colour = OUTCOME_MARKS[rule["outcome"]]
    advisory = " (advisory: it does not count towards the decision)" if rule["severity"] == ADVISORY else ""
    lines = [f"  {style(mark + ' ' + words, colour)}  {safe(rule['id'])}: {safe(rule['title'])}{advisory}"]
    if rule["message"]:
        lines.append(f"      {safe(rule['message'])}")
    sections = [
        ("What would meet it", [f"{safe(item['label'])}: {_shown(item['text'])}" for item in rule["to_meet"]]),
        ("Read from the record", _grouped_facts(rule["facts"])),
        ("Read from the reference data",
         [f"{safe(item['name'])} {safe(item['pointer'])} = {_value(item['value']) if item['given'] else 'not listed'}"
          for item in rule["data"]]),
        ("Parameters", [f"{safe(p['name'])}{' on ' + p['on'] if p['on'] else ''} = {_shown(p['text'])}"
                        f"  (set by version {safe(p['version'] or '?')})" for p in rule["params"]]),
        ("Computed", [f"{safe(c['title'] or c['name'])}{' (' + safe(c['name']) + ')' if c['title'] else ''}: "
                      f"{_shown(c['text'])}" for c in rule["computed"]]),
    ]
    for heading, items in sections:
        if items:
            lines.append(f"      {heading}:")
            lines += [f"        {item}" for item in items[:SECTION_LINES]]
            if len(items) > SECTION_LINES:
                lines.append(f"        … and {len(items) - SECTION_LINES} more (--format json lists them all)")
    clause = rule["clause"]
    until = f" to {clause['effective_to']}" if clause["effective_to"] else " on"
    written = f", written in {safe(clause['written_in'])}" if clause["written_in"] != clause["version"] else ""
    lines.append(f"      Clause: version {safe(clause['version'])} (in force {clause['effective_from']}{until}"
                 f"{written}), {safe(clause['file'])}:{clause['line']}")
    if clause["source"]:
        lines.append(f"        {_shown(clause['source'], 1000)}")
    return lines


def _grouped_facts(facts: list[dict]) -> list[str]:
    """Facts under one object on one line (``/exams/0: date 2019-05-02, exam USMLE_STEP1``)."""
    lines: list[str] = []
    groups: dict[str, list[str]] = {}
    for fact in facts:
        parent, _, name = fact["pointer"].rpartition("/")
        shown = _value(fact["value"]) if fact["given"] else "not given"
        if parent.rsplit("/", 1)[-1].isdigit():  # an item of a list: its fields together
            groups.setdefault(parent, []).append(f"{safe(name)} {shown}")
            if len(groups[parent]) == 1:
                lines.append(parent)
        else:
            lines.append(f"{safe(fact['pointer'])} = {shown}")
    return [f"{safe(line)}: {', '.join(groups[line])}" if line in groups else line for line in lines]


def _value(value: Any) -> str:
    """A JSON value as a sentence shows it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]" if value else "none"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{safe(k)}: {_value(v)}" for k, v in value.items()) + "}"
    return _shown(str(value))


def _shown(text: str, limit: int = 200) -> str:
    return safe(clip(text, limit))


def timeline_chart(timeline: dict) -> list[str]:
    """One line per exam with a mark at each attempt, one line per window as a bar, the
    as-of date and the policy versions' first days as columns; legible without colour."""
    start = datetime.date.fromisoformat(timeline["from"])
    end = datetime.date.fromisoformat(timeline["to"])
    span = max((end - start).days, 1)

    def column(day: str) -> int:
        return min(CHART_WIDTH - 1, max(0, round((datetime.date.fromisoformat(day) - start).days * (CHART_WIDTH - 1)
                                                 / span)))

    as_of = column(timeline["as_of"])

    def row(label: str, cells: list[str], note: str = "") -> str:
        cells = list(cells)
        if cells[as_of] == " ":
            cells[as_of] = "│"
        return f"  {safe(label)[:LABEL_WIDTH]:<{LABEL_WIDTH}} {''.join(cells).rstrip()}{'  ' + note if note else ''}"

    lines = ["Timeline (● pass  × fail  ○ other result  ◌ after the as-of date  │ as of "
             f"{timeline['as_of']}  ¦ a policy version starts)"]
    axis = [" "] * CHART_WIDTH
    for year in range(start.year, end.year + 1):
        at = column(datetime.date(year, 1, 1).isoformat())
        text = str(year)
        if at + len(text) <= CHART_WIDTH and all(c == " " for c in axis[max(0, at - 1):at + len(text)]):
            axis[at:at + len(text)] = text
    lines.append(f"  {'':<{LABEL_WIDTH}} {''.join(axis).rstrip()}")
    for lane in timeline["exams"]:
        cells = [" "] * CHART_WIDTH
        for attempt in lane["attempts"]:
            at = column(attempt["date"])
            mark = RESULT_MARKS.get(attempt["result"], OTHER_RESULT) if attempt["counts"] else "◌"
            cells[at] = mark if cells[at] in (" ", mark) else "*"
        counted = [a for a in lane["attempts"] if a["counts"]]
        passed = [a["date"] for a in counted if a["result"] == "pass"]
        note = f"{len(counted)} attempt{'s' if len(counted) != 1 else ''}" + \
            (f", passed {', '.join(passed)}" if passed else "")
        later = len(lane["attempts"]) - len(counted)
        if later:
            note += f" ({later} after the as-of date)"
        lines.append(row(lane["exam"], cells, note))
    for number, window in enumerate(timeline["windows"], start=1):
        cells = [" "] * CHART_WIDTH
        left, right = column(window["start"]), column(window["end"])
        fill = "=" if window["current"] else "-"
        for at in range(left, right + 1):
            cells[at] = fill
        cells[left], cells[right] = ("[", "]") if left < right else ("#", "#")  # a window a column wide
        note = f"{window['start']} to {window['end']}" + ("  the window that counts" if window["current"] else "")
        lines.append(row(f"window {number}", cells, note))
    if not timeline["exams"]:
        lines.append(f"  {'':<{LABEL_WIDTH}} (no exam attempts in the record)")
    if timeline["versions"]:
        cells = [" "] * CHART_WIDTH
        for version in timeline["versions"]:
            cells[column(version["effective_from"])] = "¦"
        listed = ", ".join(f"{safe(v['version'])} from {v['effective_from']}" for v in timeline["versions"])
        lines.append(row("versions", cells, listed))
    if timeline.get("problem"):
        lines.append(f"  {safe(timeline['problem'])}")
    return lines
