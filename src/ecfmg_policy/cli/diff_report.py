"""A ``diff`` report for people: text for a terminal, markdown for a pull request or a job summary.

Both are read off the JSON document (``schemas/diff.schema.json``), so no format knows
anything the others do not.  Every string from a record, a file name or a policy is made
safe first: :func:`~ecfmg_policy.errors.terminal_safe` for a terminal, :func:`md` for
markdown (where a record's text must not become a link, a heading or a table cell).
"""

from __future__ import annotations

import re

import click

from ecfmg_policy.errors import clip
from ecfmg_policy.errors import terminal_safe as safe
from ecfmg_policy.evaluator.policy.model import INVALID, Decision, Outcome

# Each decision and outcome in a report's words, in the order reports list them.
DECISION_WORDS = {d.value: d.value.replace("_", " ") for d in Decision}
OUTCOME_WORDS = {**{o.value: o.value for o in Outcome}, Outcome.NOT_APPLICABLE.value: "n/a"}
_DECISION_COLOURS = {Decision.ELIGIBLE: "green", Decision.PENDING: "yellow", Decision.INELIGIBLE: "red",
                     Decision.NOT_APPLICABLE: "cyan", Decision.INVALID: "magenta"}
MESSAGE_CHARACTERS = 300  # a message in a report is one line; the JSON has it whole


def count(n: int) -> str:
    return f"{n:,}"


def side_line(side: dict) -> str:
    """``policies at origin/main (1a2b3c4): ECFMG Certification 2022.1, as of 2022-06-01``, unescaped."""
    where = side["policies"]
    if side["commit"]:
        where += f" ({side['commit'][:12]})"
    policy = side["policy"]
    chosen = " (chosen)" if side["version_given"] else ""
    return f"{where}: {policy['name']} {policy['version']}{chosen}, as of {side['as_of']}"


def matrix_axes(document: dict) -> list[str]:
    """The decisions a matrix shows: those either side gave, in the order reports count them."""
    seen = {cell["base"] for cell in document["matrix"]} | {cell["head"] for cell in document["matrix"]}
    return [d for d in DECISION_WORDS if d in seen]


def matrix_count(document: dict, base: str, head: str) -> int:
    for cell in document["matrix"]:
        if cell["base"] == base and cell["head"] == head:
            return cell["count"]
    return 0


def output_name(place: dict) -> str:
    return " / ".join([place["output"].replace("_", " "), *place["key"]])


def output_phrases(place: dict) -> list[str]:
    """What happened at one output place, as short phrases (unescaped)."""
    phrases = []
    for way, unit in (("later", "day"), ("earlier", "day"), ("increased", ""), ("decreased", "")):
        moves = place[way]
        if moves:
            words = {"increased": "up", "decreased": "down"}.get(way, way)
            least, most = _amount(moves["min"]), _amount(moves["max"])
            span = least if least == most else f"{least} to {most}"
            units = f" {unit}{'s' if unit and span != '1' else ''}" if unit else ""
            mean = f" (mean {_amount(moves['mean'])})" if least != most else ""
            phrases.append(f"{count(moves['count'])} {words} by {span}{units}{mean}")
    if place["appeared"]:
        phrases.append(f"{count(place['appeared'])} appeared")
    if place["disappeared"]:
        phrases.append(f"{count(place['disappeared'])} gone")
    for key, word in (("added_items", "added"), ("removed_items", "no longer listed")):
        for item in place[key][:6]:
            phrases.append(f"{item['item']} {word} in {count(item['count'])}")
        if len(place[key]) > 6:
            phrases.append(f"{len(place[key]) - 6} more item(s) {word}")
    if place["other"]:
        phrases.append(f"{count(place['other'])} otherwise changed")
    return phrases


def _amount(value: float) -> str:
    """A number of days or units as a person reads it: 1,077, or 2,303.35."""
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")


def headline(document: dict) -> str:
    records = document["records"]
    return (f"{count(records['changed'])} of {count(records['total'])} decision(s) changed"
            + (f"; {count(records[INVALID])} record(s) invalid" if records[INVALID] else ""))


def moved_rules(document: dict) -> list[dict]:
    return [rule for rule in document["rules"] if rule["present"] != "both" or rule["transitions"]]


# --- text -----------------------------------------------------------------------------------------

def render_text(document: dict, color: bool = False) -> str:
    style = (lambda text, fg=None, bold=False: click.style(text, fg=fg, bold=bold)) if color \
        else (lambda text, fg=None, bold=False: text)
    records = document["records"]
    lines = [style(f"ecfmg-policy diff: {headline(document)}", bold=True),
             f"  base: {safe(side_line(document['base']))}",
             f"  head: {safe(side_line(document['head']))}"]
    if document["note"]:
        lines.append(f"  note: {safe(document['note'])}")
    lines += ["", style("Decisions", bold=True) + " (rows: base, columns: head; unchanged on the diagonal)"]
    axes = matrix_axes(document)
    width = max([len(DECISION_WORDS[d]) for d in axes] + [len(count(records["total"]))] + [8])
    if axes:
        lines.append("  " + " " * width + "".join(f"  {DECISION_WORDS[d]:>{width}}" for d in axes))
        for base in axes:
            cells = []
            for head in axes:
                n = matrix_count(document, base, head)
                text = f"{count(n) if n else '.':>{width}}"
                cells.append("  " + (style(text, _DECISION_COLOURS[head], bold=True) if n and base != head else text))
            lines.append("  " + style(f"{DECISION_WORDS[base]:<{width}}", _DECISION_COLOURS[base]) + "".join(cells))
    else:
        lines.append("  no records")
    lines += ["", style("Rules", bold=True)]
    moved = moved_rules(document)
    for rule in moved:
        title = f"{safe(rule['id'])}: {safe(rule['title'])}"
        if rule["present"] != "both":
            outcomes = ", ".join(f"{OUTCOME_WORDS[o['outcome']]} {count(o['count'])}" for o in rule["outcomes"])
            lines.append(f"  {title} (only on the {rule['present']}): {outcomes or 'no records'}")
            continue
        lines.append(f"  {title}")
        for move in rule["transitions"]:
            arrow = f"{OUTCOME_WORDS[move['base']]} -> {OUTCOME_WORDS[move['head']]}"
            shown = ", ".join(safe(label) for label in move["examples"])
            lines.append(f"    {arrow:<22}{count(move['count']):>9}" + (f"   e.g. {shown}" if shown else ""))
    still = len(document["rules"]) - len(moved)
    if still:
        lines.append(f"  {still} rule(s) gave every record the same outcome on both sides" if moved
                     else f"  every rule ({still}) gave every record the same outcome on both sides")
    lines += ["", style("Outputs", bold=True)]
    for place in document["outputs"]:
        lines.append(f"  {safe(output_name(place))}: {count(place['changed'])} record(s): "
                     + "; ".join(safe(p) for p in output_phrases(place)))
    if not document["outputs"]:
        lines.append("  no output changed")
    if document["outputs_not_followed"]:
        lines.append(f"  {count(document['outputs_not_followed'])} more change(s) at output places not followed "
                     f"one by one")
    for side in ("base", "head"):
        if document[f"outputs_only_in_{side}"]:
            lines.append(f"  only on the {side}: " + ", ".join(safe(o) for o in document[f"outputs_only_in_{side}"]))
    if document["examples"]:
        lines += ["", style("Changed decisions", bold=True) + " (the first records of each)"]
    for cell in document["examples"]:
        lines.append(f"  {style(DECISION_WORDS[cell['base']], _DECISION_COLOURS[cell['base']])} -> "
                     f"{style(DECISION_WORDS[cell['head']], _DECISION_COLOURS[cell['head']], bold=True)}: "
                     f"{count(cell['count'])} record(s)")
        for example in cell["records"]:
            lines.append(f"    {safe(example['record'])}")
            for rule in example["rules"]:
                lines.append(f"      {safe(rule['id'])}: {_outcome(rule['base'])} -> {_outcome(rule['head'])}")
                for side in ("base", "head"):
                    if rule[side] and rule[side]["message"]:
                        lines.append(f"        {side}: {safe(clip(rule[side]['message'], MESSAGE_CHARACTERS))}")
            if not example["rules"]:
                lines.append("      no rule's outcome changed: the policy's scope did")
        if len(cell["records"]) < cell["count"]:
            lines.append(f"    and {count(cell['count'] - len(cell['records']))} more" if cell["records"]
                         else f"    (--examples {document['examples_kept']}: none shown)")
    invalid = document[INVALID]
    if invalid["count"]:
        lines += ["", style(f"Invalid records: {count(invalid['count'])}", "magenta", bold=True)
                  + " (judged by neither side; every problem is on standard error)"]
        for record in invalid["records"]:
            first = record["errors"][0] if record["errors"] else {"path": "", "message": "unreadable"}
            where = f" at {first['path']}" if first["path"] else ""
            lines.append(f"  {safe(record['record'])}{safe(where)}: {safe(clip(first['message'], MESSAGE_CHARACTERS))}")
        if len(invalid["records"]) < invalid["count"]:
            lines.append(f"  and {count(invalid['count'] - len(invalid['records']))} more")
    return "\n".join(lines) + "\n"


def _outcome(side: dict | None) -> str:
    return OUTCOME_WORDS[side["outcome"]] if side else "(no such rule)"


# --- markdown -------------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!|~&])")


def md(text: str) -> str:
    """Text made inert in GitHub markdown: every character that could start markup escaped,
    line breaks made spaces, control characters shown as escapes, so a record's text can
    neither break a table nor become a link, an image, a heading or HTML."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", safe(text).replace("\r", " ").replace("\n", " "))


def render_markdown(document: dict) -> str:
    base, head = document["base"], document["head"]
    out = [f"## ecfmg-policy diff: {headline(document)}", ""]
    out += ["| | base | head |", "| --- | --- | --- |"]
    for label, key in (("policies", "policies"),):
        out.append(f"| {label} | {md(base[key])} | {md(head[key])} |")
    if base["commit"] or head["commit"]:
        out.append(f"| commit | {md(base['commit'][:12]) if base['commit'] else ''} | "
                   f"{md(head['commit'][:12]) if head['commit'] else ''} |")
    out.append(f"| version | {md(base['policy']['name'] + ' ' + base['policy']['version'])} | "
               f"{md(head['policy']['name'] + ' ' + head['policy']['version'])} |")
    out.append(f"| as of | {base['as_of']} | {head['as_of']} |")
    if document["note"]:
        out += ["", f"> {md(document['note'])}"]
    out += ["", "### Decisions", "", "Rows: base; columns: head. Unchanged on the diagonal.", ""]
    axes = matrix_axes(document)
    if axes:
        out.append("| base \\\\ head | " + " | ".join(DECISION_WORDS[d] for d in axes) + " |")
        out.append("| --- |" + " ---: |" * len(axes))
        for b in axes:
            cells = []
            for h in axes:
                n = matrix_count(document, b, h)
                cells.append(f"**{count(n)}**" if n and b != h else count(n) if n else "·")
            out.append(f"| **{DECISION_WORDS[b]}** | " + " | ".join(cells) + " |")
    else:
        out.append("No records.")
    out += ["", "### Rules", ""]
    moved = moved_rules(document)
    if moved:
        out += ["| rule | base → head | records | e.g. |", "| --- | --- | ---: | --- |"]
        for rule in moved:
            name = f"`{rule['id']}`" if re.fullmatch(r"[A-Za-z0-9_.-]+", rule["id"]) else md(rule["id"])
            if rule["present"] != "both":
                outcomes = ", ".join(f"{OUTCOME_WORDS[o['outcome']]} {count(o['count'])}" for o in rule["outcomes"])
                out.append(f"| {name} {md(rule['title'])} | only on the {rule['present']}: {outcomes} | | |")
                continue
            for move in rule["transitions"]:
                shown = ", ".join(md(label) for label in move["examples"][:3])
                out.append(f"| {name} {md(rule['title'])} | {OUTCOME_WORDS[move['base']]} → "
                           f"{OUTCOME_WORDS[move['head']]} | {count(move['count'])} | {shown} |")
    still = len(document["rules"]) - len(moved)
    if still:
        out += ["", f"{still} rule(s) gave every record the same outcome on both sides."]
    out += ["", "### Outputs", ""]
    if document["outputs"]:
        out += ["| output | records | how |", "| --- | ---: | --- |"]
        for place in document["outputs"]:
            out.append(f"| {md(output_name(place))} | {count(place['changed'])} | "
                       f"{md('; '.join(output_phrases(place)))} |")
    else:
        out.append("No output changed.")
    for side in ("base", "head"):
        if document[f"outputs_only_in_{side}"]:
            out += ["", f"Only on the {side}: " + ", ".join(md(o) for o in document[f"outputs_only_in_{side}"])]
    if document["examples"]:
        out += ["", "### Changed decisions", ""]
    for cell in document["examples"]:
        out += [f"<details><summary>{DECISION_WORDS[cell['base']]} → {DECISION_WORDS[cell['head']]}: "
                f"{count(cell['count'])} record(s)</summary>", ""]
        for example in cell["records"]:
            out.append(f"- {md(example['record'])}")
            for rule in example["rules"]:
                out.append(f"  - {md(rule['id'])}: {_outcome(rule['base'])} → {_outcome(rule['head'])}")
                for side in ("base", "head"):
                    if rule[side] and rule[side]["message"]:
                        out.append(f"    - {side}: {md(clip(rule[side]['message'], MESSAGE_CHARACTERS))}")
        if len(cell["records"]) < cell["count"]:
            out.append(f"- and {count(cell['count'] - len(cell['records']))} more" if cell["records"]
                       else f"- (--examples {document['examples_kept']}: none shown)")
        out += ["", "</details>", ""]
    invalid = document[INVALID]
    if invalid["count"]:
        out += ["", f"### Invalid records: {count(invalid['count'])}", "",
                "Judged by neither side; every problem is in the command's standard error.", ""]
        for record in invalid["records"]:
            first = record["errors"][0] if record["errors"] else {"path": "", "message": "unreadable"}
            out.append(f"- {md(record['record'])} {md(first['path'])}: {md(clip(first['message'], MESSAGE_CHARACTERS))}")
        if len(invalid["records"]) < invalid["count"]:
            out.append(f"- and {count(invalid['count'] - len(invalid['records']))} more")
    return "\n".join(out).rstrip("\n") + "\n"
