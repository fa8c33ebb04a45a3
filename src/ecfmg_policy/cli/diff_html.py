"""``diff --format html``: one self-contained page of what a policy change does to real cases.

:func:`render_html` turns a diff document (``ecfmg-policy.diff/1``, described field by field
in ``schemas/diff.schema.json``) into a page for a reviewer, on screen or on paper: the
headline and both sides, the decision matrix as a coloured table (rows the base's decisions,
columns the head's), a bar a rule showing how many of the valid records kept their outcome
and how many moved where, the outputs that changed, the example records of every changed
decision with both sides' messages, and the invalid records.  It is read off the document
alone, with the text and markdown reports' own helpers (``diff_report``), so no format
knows anything the others do not.

The page needs nothing but itself, as ``explain``'s does (``explain_html``): inline
``<style>`` and ``<svg>``, no script, and nothing fetched from anywhere, so it can be
attached to a pull request, mailed, archived or opened offline.

Every string in the document came from a record, a file name or a policy, and is untrusted:
it goes through :func:`html.escape` (quotes too) with control characters and bidirectional
overrides made visible escapes, as on a terminal, and is clipped.  None of it reaches the
style sheet, a class name, an element name or a URL: classes and colours come from the fixed
tables below, chosen by comparing the document's words with them.  A document as large as a
hostile policy or record set can make it (thousands of rules, outputs or long labels) still
makes a page of a few megabytes: each part shows at most :data:`MOST_SHOWN` items and a
budget of characters, and says how many more the JSON has.

Colour only helps: every count is written in its cell, every bar segment is listed in words
beside it.  On paper every ``<details>`` is open (``::details-content``, as in explain's
page), the matrix keeps its tints (``print-color-adjust``), and the bars are SVG, which
prints its fills whatever the browser's "background graphics" setting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ecfmg_policy.cli.diff_report import (DECISION_WORDS, OUTCOME_WORDS, count, headline, matrix_axes, matrix_count,
                                          moved_rules, output_name, output_phrases)
from ecfmg_policy.cli.explain_html import _e
from ecfmg_policy.errors import clip, terminal_safe
from ecfmg_policy.evaluator.policy.model import INVALID, REQUIREMENT, Decision, Outcome

__all__ = ["render_html"]

MOST_SHOWN = 200  # rules, outputs, example records, invalid records, files: a page stays a page
MOST_LABELS = 20  # example labels shown for one rule transition
MOST_PART_CHARACTERS = 1_500_000  # the HTML of one part of the page, at most (then "… N more")
NAME_CHARACTERS = 300  # a label, an id, a title, a path: one line
MESSAGE_CHARACTERS = 1_000  # a rule's message (the JSON has it whole)
BAR_UNITS = 1000  # a bar's width in its viewBox: all the valid records
SLIVER_UNITS = 4  # a changed part narrower than this is also marked, this wide, so it is seen

# A decision's colour, and an outcome's: the colour of the decision it leads to.  Each has its
# word for CSS class (``_`` made ``-``), found by comparing the document's word with these.
_COLOURS = {Decision.ELIGIBLE: "#17663a", Decision.PENDING: "#b57900", Decision.INELIGIBLE: "#a1151b",
            Decision.NOT_APPLICABLE: "#0b7285", Decision.INVALID: "#9c1f9a", Outcome.MET: "#17663a",
            Outcome.UNMET: "#b57900", Outcome.BLOCKED: "#a1151b", Outcome.ERROR: "#9c1f9a"}
_LEVELS = 4  # tints of a changed matrix cell, by its share of the largest changed cell


def render_html(document: dict) -> str:
    """The page for one diff document (``ecfmg-policy.diff/1``), as a string."""
    title = f"{headline(document)} — ecfmg-policy diff"
    parts = [_header(document), _matrix(document), _rules(document), _outputs(document)]
    if document["examples"]:
        parts.append(_examples(document))
    if document[INVALID]["count"]:  # the document names the invalid records' fields after their decision
        parts.append(_invalid(document[INVALID]))
    parts.append(_footer(document))
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
            f'<body>\n<main>\n' + "\n".join(parts) + "\n</main>\n</body>\n</html>\n")


# -- text ----------------------------------------------------------------------------------

def _name(text: Any) -> str:
    """A label, id, path or item: one line, every control character a visible escape, clipped."""
    return _e(terminal_safe(clip(str(text), NAME_CHARACTERS)))


def _message(text: Any) -> str:
    """A title, message or note: prose (line ends are spaces), clipped."""
    return _e(clip(str(text), MESSAGE_CHARACTERS))


def _records(n: int) -> str:
    return f"{count(n)} record{'' if n == 1 else 's'}"


def _css(word: str) -> str:
    """A decision's or an outcome's CSS class; "other" for any other word."""
    return word.replace("_", "-") if word in _COLOURS else "other"


def _decision(decision: str) -> str:
    css = _css(decision)
    return f'<span class="decision d-{css}">{_e(DECISION_WORDS.get(decision, decision))}</span>'


def _outcome(outcome: str) -> str:
    css = _css(outcome)
    return f'<span class="outcome o-{css}">{_e(OUTCOME_WORDS.get(outcome, outcome))}</span>'


def _listed(items: Iterable, render: Callable[[Any], str], most: int = MOST_SHOWN,
            characters: int = MOST_PART_CHARACTERS) -> tuple[list[str], int]:
    """The first items rendered, up to ``most`` of them and about ``characters`` of HTML; and
    how many were left out."""
    items = list(items)
    shown: list[str] = []
    used = 0
    for item in items:
        if len(shown) >= most or used >= characters:
            break
        html = render(item)
        shown.append(html)
        used += len(html)
    return shown, len(items) - len(shown)


def _more(left: int, what: str) -> str:
    return f"… and {count(left)} more {what} (<code>--format json</code> lists them)" if left else ""


# -- the header ----------------------------------------------------------------------------

def _header(document: dict) -> str:
    base, head, records = document["base"], document["head"], document["records"]
    rows = [("Policies", "policies", lambda side: f"<code>{_name(side['policies'])}</code>")]
    if base["revision"] or head["revision"] or base["commit"] or head["commit"]:
        rows.append(("Revision", "revision", _revision))
    rows += [("Policy", "policy", _policy),
             ("Version", "version", lambda side: _e(side["policy"]["version"])
              + (' <span class="chosen">(chosen)</span>' if side["version_given"] else "")),
             ("In effect", "in-effect", lambda side: _e(_span(side["policy"]))),
             ("As of", "as-of", lambda side: _e(side["as_of"]))]
    body = []
    for label, css, cell in rows:
        shown = cell(base), cell(head)
        differs = " differs" if shown[0] != shown[1] else ""
        body.append(f'<tr class="side-{css}{differs}"><th scope="row">{label}</th>'
                    f'<td class="base">{shown[0]}</td><td class="head">{shown[1]}</td></tr>')
    valid = records["total"] - records[INVALID]
    tally = (f"{_records(records['total'])} read"
             + (f", {count(records[INVALID])} of them invalid" if records[INVALID] else "")
             + f". Of the {count(valid)} judged, some rule's outcome moved on {count(records['rules_changed'])} "
             f"and some output on {count(records['outputs_changed'])}.")
    note = f'<p class="note">{_message(document["note"])}</p>\n' if document["note"] else ""
    return ('<header class="top">\n<p class="kicker">Policy diff</p>\n'
            f'<h1 class="headline">{_e(headline(document))}</h1>\n<p class="tally">{tally}</p>\n'
            '<table class="sides">\n<thead><tr><th></th><th scope="col">Base</th><th scope="col">Head</th></tr>'
            "</thead>\n"
            f'<tbody>{"".join(body)}</tbody>\n</table>\n{note}</header>')


def _revision(side: dict) -> str:
    parts = []
    if side["revision"]:
        parts.append(f"<code>{_name(side['revision'])}</code>")
    if side["commit"]:
        commit = _name(side["commit"])
        parts.append(f'commit <code class="commit" title="{commit}">{_name(side["commit"][:12])}</code>')
    return " ".join(parts) or '<span class="muted">a folder</span>'


def _policy(side: dict) -> str:
    policy = side["policy"]
    return f'{_message(policy["title"])} (<code>{_name(policy["name"])}</code>)'


def _span(policy: dict) -> str:
    start, end = policy["effective_from"], policy["effective_to"]
    return f"from {start} to {end}" if end else f"from {start}, no end date"


# -- the decision matrix ---------------------------------------------------------------------

def _matrix(document: dict) -> str:
    axes = matrix_axes(document)
    intro = ('<p class="explainer">Rows: the base\'s decision; columns: the head\'s. The diagonal kept its '
             'decision; a coloured cell moved, tinted by the head\'s decision, the deeper the more records.</p>')
    if not axes:
        return f'<section id="decisions">\n<h2>Decisions</h2>\n{intro}\n<p class="muted">No records.</p>\n</section>'
    largest = max([c["count"] for c in document["matrix"] if c["base"] != c["head"]] + [1])
    changed_cells = {(c["base"], c["head"]) for c in document["examples"]}
    head_row = "".join(f'<th scope="col" class="axis d-{_css(h)}" data-head="{h}">'
                       f"{_e(DECISION_WORDS[h])}</th>" for h in axes)
    rows = []
    for b in axes:
        cells = []
        for h in axes:
            n = matrix_count(document, b, h)
            where = f'data-base="{b}" data-head="{h}" data-count="{n}"'
            tip = f"{DECISION_WORDS[b]} on the base, {DECISION_WORDS[h]} on the head: {_records(n)}"
            if not n:
                cells.append(f'<td class="cell empty" {where} title="{_e(tip)}">·</td>')
            elif b == h:
                cells.append(f'<td class="cell same" {where} title="{_e(tip)}">{count(n)}</td>')
            else:
                level = min(_LEVELS, 1 + (_LEVELS - 1) * n // largest)
                shown = (f'<a href="#examples-{_css(b)}-{_css(h)}">{count(n)}</a>'
                         if (b, h) in changed_cells else count(n))
                cells.append(f'<td class="cell changed to-{_css(h)} level-{level}" {where} '
                             f'title="{_e(tip)}">{shown}</td>')
        total = sum(matrix_count(document, b, h) for h in axes)
        rows.append(f'<tr><th scope="row" class="axis d-{_css(b)}" data-base="{b}">'
                    f'{_e(DECISION_WORDS[b])}</th>{"".join(cells)}<td class="total">{count(total)}</td></tr>')
    totals = "".join(f'<td class="total">{count(sum(matrix_count(document, b, h) for b in axes))}</td>' for h in axes)
    legend = "".join(f'<span><span class="key to-{_css(d)}" aria-hidden="true"></span> '
                     f"moved to {_e(DECISION_WORDS[d])}</span>" for d in axes)
    return ('<section id="decisions">\n<h2>Decisions</h2>\n' + intro + "\n"
            '<table class="matrix">\n<thead><tr><th class="corner" scope="col">base ↓ · head →</th>'
            f'{head_row}<th scope="col" class="total">base total</th></tr></thead>\n'
            f'<tbody>{"".join(rows)}</tbody>\n'
            f'<tfoot><tr><th scope="row" class="total">head total</th>{totals}'
            f'<td class="total">{count(sum(c["count"] for c in document["matrix"]))}</td></tr></tfoot>\n'
            f'</table>\n<p class="legend"><span><span class="key same" aria-hidden="true"></span> kept its decision'
            f"</span>{legend}</p>\n</section>")


# -- a bar a rule ----------------------------------------------------------------------------

def _rules(document: dict) -> str:
    records = document["records"]
    valid = records["total"] - records[INVALID]
    moved = moved_rules(document)
    moved_ids = {id(rule) for rule in moved}
    still = [rule for rule in document["rules"] if id(rule) not in moved_ids]
    shown, left = _listed(moved + still, lambda rule: _rule_row(rule, valid))
    groups, at = [], 0
    for heading, css, rules in (("Outcomes that moved, or a rule on one side only", "moved", moved),
                                ("The same outcome on both sides", "still", still)):
        rows = shown[at:at + len(rules)]
        at += len(rows)
        if rows:
            groups.append(f'<tbody class="{css}"><tr class="group-heading"><th colspan="3" scope="rowgroup">'
                          f'{heading} <span class="muted">({count(len(rules))})</span></th></tr>'
                          f'{"".join(rows)}</tbody>')
    more = f'<p class="more">{_more(left, "rules")}</p>' if left else ""
    legend = "".join(f'<span><span class="key to-{_css(o)}" aria-hidden="true"></span> now '
                     f"{_e(OUTCOME_WORDS[o])}</span>" for o in Outcome)
    intro = (f'<p class="explainer">Each bar is the {_records(valid)} judged by both sides: grey, the same outcome '
             "on both; coloured, an outcome that changed, by its outcome on the head (a rule on one side only: "
             "its outcomes there).</p>")
    if not document["rules"]:
        return '<section id="rules">\n<h2>Rules</h2>\n<p class="muted">No rules on either side.</p>\n</section>'
    return ('<section id="rules">\n<h2>Rules</h2>\n' + intro + "\n"
            '<table class="rules">\n<colgroup><col class="rule-col"><col class="count-col"><col></colgroup>\n'
            '<thead><tr><th scope="col">Rule</th><th scope="col">Changed</th><th scope="col">Outcomes</th></tr>'
            "</thead>\n" + "\n".join(groups) + "\n</table>\n" + more
            + '\n<p class="legend"><span><span class="key same" aria-hidden="true"></span> same on both</span>'
            + legend + "</p>\n</section>")


def _rule_row(rule: dict, valid: int) -> str:
    present = "both" if rule["present"] == "both" else "base" if rule["present"] == "base" else "head"
    name = f'<code class="rule-id">{_name(rule["id"])}</code> <span class="rule-title">{_message(rule["title"])}</span>'
    if rule["severity"] != REQUIREMENT:
        name += f' <span class="severity">{_e(rule["severity"])}</span>'
    if present != "both":
        name += f' <span class="only">only on the {present}</span>'
        pieces = [(o["count"], f"only to-{_css(o['outcome'])}",
                   f'data-outcome="{_e(o["outcome"])}"', f"{OUTCOME_WORDS.get(o['outcome'], o['outcome'])} on the "
                   f"{present}: {_records(o['count'])}") for o in rule["outcomes"]]
        numbers = f'<td class="count"><span class="muted">only on the {present}</span></td>'
        listing = ('<ul class="outcomes">' + "".join(
            f'<li data-outcome="{_e(o["outcome"])}">{_outcome(o["outcome"])} {count(o["count"])}</li>'
            for o in rule["outcomes"]) + "</ul>") if rule["outcomes"] else '<p class="muted">no records</p>'
        kind = f"only-{present}"
    else:
        kept = sum(u["count"] for u in rule["unchanged"])
        same = ", ".join(f"{OUTCOME_WORDS.get(u['outcome'], u['outcome'])} {count(u['count'])}"
                         for u in rule["unchanged"])
        pieces = [(kept, "unchanged", "", f"the same on both: {_records(kept)}" + (f" ({same})" if same else ""))]
        transitions, left = _listed(rule["transitions"], _transition, most=25)
        for move in rule["transitions"][:len(transitions)]:
            head_css = _css(move["head"])
            pieces.append((move["count"], f"changed to-{head_css}",
                           f'data-base="{_e(move["base"])}" data-head="{_e(move["head"])}"',
                           f"{OUTCOME_WORDS.get(move['base'], move['base'])} → "
                           f"{OUTCOME_WORDS.get(move['head'], move['head'])}: {_records(move['count'])}"))
        numbers = (f'<td class="count"><strong>{count(rule["changed"])}</strong>'
                   f' <span class="muted">of {count(valid)}</span></td>')
        listing = ('<ul class="transitions">' + "".join(transitions)
                   + (f'<li class="more">{_more(left, "transitions")}</li>' if left else "") + "</ul>"
                   if transitions else "")
        listing += f'<p class="same muted">same on both: {_e(same)}</p>' if same else ""
        kind = "moved" if rule["transitions"] else "still"
    return (f'<tr class="rule {kind}" data-rule-id="{_name(rule["id"])}" data-present="{present}">'
            f'<td class="rule-name">{name}</td>{numbers}'
            f'<td class="outcomes">{_bar(pieces, valid)}{listing}</td></tr>')


def _transition(move: dict) -> str:
    head_css = _css(move["head"])
    labels = move["examples"][:MOST_LABELS]
    examples = (' <span class="examples">e.g. ' + ", ".join(f'<code class="label">{_name(label)}</code>'
                                                           for label in labels)
                + (f", and {count(len(move['examples']) - len(labels))} more" if len(move["examples"]) > len(labels)
                   else "") + "</span>") if labels else ""
    return (f'<li class="transition" data-base="{_e(move["base"])}" data-head="{_e(move["head"])}">'
            f'<span class="key to-{head_css}" aria-hidden="true"></span> {_outcome(move["base"])} → '
            f'{_outcome(move["head"])} <strong class="n">{count(move["count"])}</strong>{examples}</li>')


def _bar(pieces: list[tuple[int, str, str, str]], valid: int) -> str:
    """An SVG bar as wide as the valid records, a segment a piece (count, classes, data
    attributes, words) laid left to right, each as wide as its count; a changed piece too
    thin to see also gets a sliver, so a single record among a million is not lost."""
    whole = max(valid, sum(n for n, *_ in pieces), 1)
    shapes, x = [f'<rect class="track" x="0" y="0" width="{BAR_UNITS}" height="16"/>'], 0.0
    slivers = []
    for n, css, data, words in pieces:
        if not n:
            continue
        width = BAR_UNITS * n / whole
        shapes.append(f'<rect class="segment {css}" {data} data-count="{n}" x="{x:.3f}" y="0" '
                      f'width="{width:.3f}" height="16"><title>{_e(words)}</title></rect>')
        if width < SLIVER_UNITS and "unchanged" not in css:
            at = min(x, BAR_UNITS - SLIVER_UNITS)
            slivers.append(f'<rect class="sliver {css.split()[-1]}" x="{at:.3f}" y="0" width="{SLIVER_UNITS}" '
                           f'height="16"><title>{_e(words)}</title></rect>')
        x += width
    label = "; ".join(words for n, _, _, words in pieces if n) or "no records"
    return (f'<svg class="bar" role="img" aria-label="{_e(label)}" viewBox="0 0 {BAR_UNITS} 16" '
            f'preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">' + "".join(shapes + slivers) + "</svg>")


# -- outputs -----------------------------------------------------------------------------------

def _outputs(document: dict) -> str:
    parts = ['<section id="outputs">\n<h2>Outputs</h2>']
    if document["outputs"]:
        rows, left = _listed(document["outputs"], _output_row)
        parts.append('<table class="outputs">\n<colgroup><col class="output-col"><col class="count-col"><col>'
                     '</colgroup>\n<thead><tr><th scope="col">Output</th><th scope="col">Records</th>'
                     '<th scope="col">How it changed</th></tr></thead>\n<tbody>' + "".join(rows) + "</tbody>\n</table>")
        if left:
            parts.append(f'<p class="more">{_more(left, "outputs")}</p>')
    else:
        parts.append('<p class="muted">No output changed.</p>')
    if document["outputs_not_followed"]:
        parts.append(f"<p>{count(document['outputs_not_followed'])} more change(s) at output places not followed "
                     "one by one (past the first 200).</p>")
    for side in ("base", "head"):
        names = document[f"outputs_only_in_{side}"]
        if names:
            shown, left = _listed(names, lambda name: f"<code>{_name(name)}</code>")
            parts.append(f'<p class="only-outputs" data-side="{side}">Only on the {side}: ' + ", ".join(shown)
                         + (f" {_more(left, 'outputs')}" if left else "") + "</p>")
    return "\n".join(parts) + "\n</section>"


def _output_row(place: dict) -> str:
    phrases = "".join(f"<li>{_name(phrase)}</li>" for phrase in output_phrases(place))
    return (f'<tr class="output" data-output="{_name(place["output"])}"><td><code>{_name(output_name(place))}</code>'
            f'</td><td class="count">{count(place["changed"])}</td><td><ul class="phrases">{phrases}</ul></td></tr>')


# -- the examples ------------------------------------------------------------------------------

def _examples(document: dict) -> str:
    cells = []
    used = 0
    for cell in document["examples"]:
        b, h = cell["base"], cell["head"]
        b_css, h_css = _css(b), _css(h)
        shown, left = _listed(cell["records"], _example, characters=max(0, MOST_PART_CHARACTERS - used))
        used += sum(map(len, shown))
        untold = cell["count"] - len(cell["records"])
        more = []
        if left:
            more.append(_more(left, "examples"))
        if untold > 0:
            more.append(f"{'and ' if not left else 'besides '}{_records(untold)} not kept as examples "
                        f"(the first {count(document['examples_kept'])} are kept; <code>--examples N</code> keeps more)")
        cells.append(f'<details class="cell-examples" open id="examples-{b_css}-{h_css}" data-base="{_e(b)}" '
                     f'data-head="{_e(h)}"><summary>{_decision(b)} → {_decision(h)}: {_records(cell["count"])}'
                     f'</summary><div class="examples">{"".join(shown)}'
                     + "".join(f'<p class="more">{m}</p>' for m in more) + "</div></details>")
    return ('<section id="examples">\n<h2>Changed decisions</h2>\n'
            '<p class="explainer">The first records of each changed decision, with every rule whose outcome differs '
            "and what each side said.</p>\n" + "\n".join(cells) + "\n</section>")


def _example(example: dict) -> str:
    if example["rules"]:
        rows, left = _listed(example["rules"], _example_rule)
        body = ('<table class="example-rules"><thead><tr><th scope="col">Rule</th><th scope="col">Base</th>'
                '<th scope="col">Head</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>"
                + (f'<p class="more">{_more(left, "rules")}</p>' if left else ""))
    else:
        body = '<p class="muted">No rule\'s outcome changed: the policy\'s scope did.</p>'
    return (f'<div class="example" data-record="{_name(example["record"])}"><p class="record">'
            f'<code class="label">{_name(example["record"])}</code></p>{body}</div>')


def _example_rule(rule: dict) -> str:
    def side(said: dict | None) -> str:
        if said is None:
            return '<span class="muted">(no such rule)</span>'
        message = f' <span class="message">{_message(said["message"])}</span>' if said["message"] else ""
        return _outcome(said["outcome"]) + message
    return (f'<tr class="example-rule" data-rule-id="{_name(rule["id"])}"><td><code class="rule-id">'
            f'{_name(rule["id"])}</code> <span class="rule-title">{_message(rule["title"])}</span></td>'
            f'<td class="base">{side(rule["base"])}</td><td class="head">{side(rule["head"])}</td></tr>')


# -- invalid records, and the footer -------------------------------------------------------------

def _invalid(invalid: dict) -> str:
    shown, left = _listed(invalid["records"], _invalid_record)
    untold = invalid["count"] - len(invalid["records"])
    return (f'<section id="invalid">\n<h2>Invalid records: {count(invalid["count"])}</h2>\n'
            "<p>Judged by neither side, so the comparison leaves them out; every problem is on the command's "
            "standard error.</p>\n"
            f'<ul class="invalid">{"".join(shown)}</ul>\n'
            + (f'<p class="more">{_more(left, "invalid records")}</p>\n' if left else "")
            + (f'<p class="more">and {_records(untold)} more</p>\n' if untold > 0 else "") + "</section>")


def _invalid_record(record: dict) -> str:
    problems = "".join(
        "<li>" + (f"<code>{_name(e['path'])}</code> " if e["path"] else "")
        + f'<span class="error-message">{_message(e["message"])}</span></li>' for e in record["errors"][:MOST_SHOWN])
    if not record["errors"]:
        problems = '<li class="muted">unreadable</li>'
    more = record["more_errors"] + max(0, len(record["errors"]) - MOST_SHOWN)
    if more:
        problems += f'<li class="muted">and {count(more)} more problem(s)</li>'
    where = ("" if record["invalid_in"] == "both"
             else f' <span class="muted">(invalid on the {_e(record["invalid_in"])} only)</span>')
    return (f'<li class="invalid-record" data-record="{_name(record["record"])}"><code class="label">'
            f'{_name(record["record"])}</code>{where}<ul class="problems">{problems}</ul></li>')


def _footer(document: dict) -> str:
    sides = []
    for side in ("base", "head"):
        files, left = _listed(document[side]["files"], _file)
        whole = document[side]["policies_sha256"]
        sides.append(f"<p>The {side}'s version is made of:</p>"
                     f'<ul class="files">{"".join(files)}</ul>'
                     + (f"<p>{_more(left, 'files')}</p>" if left else "")
                     + f'<p>Every policy file of the {side}: sha256 <code title="{_e(whole)}">{_e(whole[:12])}</code>'
                       "</p>")
    tool = document["tool"]
    return ('<footer>\n' + "\n".join(sides)
            + f'\n<p>Made by {_e(tool["name"])} {_name(tool["version"])} ({_e(document["format"])}).</p>\n</footer>')


def _file(file: dict) -> str:
    digest = file["sha256"]
    shown = (f' <span class="muted">sha256</span> <code title="{_e(digest)}">{_e(digest[:12])}</code>' if digest
             else ' <span class="muted">(gone since it was read)</span>')
    return f"<li><code>{_name(file['file'])}</code>{shown}</li>"


# -- the style sheet (fixed text: nothing from the document goes in it) ---------------------

_TINTS = {1: 16, 2: 30, 3: 44, 4: 60}  # a changed cell's tint, per cent of its colour, by level

_CSS = """
:root { color-scheme: light; --ink: #1c1e21; --muted: #5b6168; --rule: #d7dbe0; --tint: #f1f3f5; --same: #c3c9d0; }
* { box-sizing: border-box; }
html { background: #fff; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45; font-size: 16px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif; }
main { max-width: 68rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: .88em; }
code, td, th, dd, li, p, h1 { overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 1px solid var(--rule); }
.muted { color: var(--muted); }
.explainer { color: var(--muted); font-size: .92rem; margin: 0 0 .7rem; }
.more { color: var(--muted); font-style: italic; }
header.top { border-left: .45rem solid var(--muted); padding: .2rem 0 .2rem 1rem; }
.kicker { margin: 0; text-transform: uppercase; letter-spacing: .08em; font-size: .75rem; color: var(--muted); }
h1.headline { font-size: 2.2rem; line-height: 1.15; margin: .1rem 0 .3rem; }
.tally { margin: 0 0 .8rem; }
table { border-collapse: collapse; }
table.sides { width: 100%; table-layout: fixed; font-size: .92rem; margin-bottom: .6rem; }
table.sides th, table.sides td { text-align: left; padding: .15rem .9rem .15rem 0; vertical-align: top; }
table.sides th:first-child { width: 6.5rem; overflow-wrap: normal; }
table.sides thead th { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
table.sides tbody th { color: var(--muted); font-weight: normal; }
table.sides tr.differs td { font-weight: 600; }
.chosen { font-weight: normal; color: var(--muted); }
.note { margin: .4rem 0 0; padding: .4rem .7rem; background: var(--tint); border-radius: .3rem; font-size: .95rem; }
table.matrix { margin: .2rem 0 .5rem; font-variant-numeric: tabular-nums; }
table.matrix th, table.matrix td { padding: .45rem .8rem; border: 1px solid var(--rule); }
table.matrix th.axis { font-weight: 600; white-space: nowrap; }
table.matrix thead th.axis { border-bottom: 3px solid; text-align: right; }
table.matrix tbody th.axis { border-left: 5px solid; text-align: left; }
table.matrix th.axis { border-color: var(--rule); }
table.matrix thead th.axis { border-bottom-color: var(--c); }
table.matrix tbody th.axis { border-left-color: var(--c); }
table.matrix .corner { font-size: .78rem; font-weight: normal; color: var(--muted); text-align: left; }
table.matrix td.cell { text-align: right; min-width: 6.5rem; }
table.matrix td.same { background: var(--tint); color: var(--muted); }
table.matrix td.empty { color: #a9afb6; text-align: center; }
table.matrix td.changed { font-weight: 700; box-shadow: inset 0 0 0 2px var(--c); }
table.matrix td.changed a { color: inherit; }
table.matrix .total { color: var(--muted); text-align: right; font-size: .85rem; font-weight: normal; }
table.matrix td.cell, .key { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.legend { display: flex; flex-wrap: wrap; gap: .25rem 1.1rem; font-size: .82rem; color: var(--muted); margin: .3rem 0 0; }
.key { display: inline-block; width: 1.1em; height: .8em; vertical-align: -.05em; border-radius: 2px; background: var(--c); }
.key.same { background: var(--same); }
table.rules { width: 100%; table-layout: fixed; }
col.rule-col { width: 38%; }
col.count-col { width: 7rem; }
table.rules thead th { text-align: left; font-size: .8rem; text-transform: uppercase; letter-spacing: .05em;
  color: var(--muted); border-bottom: 2px solid var(--rule); padding: .3rem .5rem; }
tr.group-heading th { text-align: left; font-size: 1rem; padding: 1rem .5rem .35rem; border-bottom: 1px solid var(--rule); }
tr.rule td { vertical-align: top; padding: .5rem; border-bottom: 1px solid var(--rule); }
tr.rule.still td { padding: .3rem .5rem; }
tr.rule.still .rule-name { color: var(--muted); }
.rule-id { color: var(--muted); margin-right: .2rem; }
.rule-title { font-weight: 600; }
tr.rule.still .rule-title { font-weight: normal; }
.severity, .only { font-size: .76rem; border: 1px solid var(--rule); border-radius: .25rem; padding: 0 .3rem;
  color: var(--muted); white-space: nowrap; }
.only { border-color: var(--ink); color: var(--ink); font-weight: 600; }
td.count { font-variant-numeric: tabular-nums; }
svg.bar { display: block; width: 100%; height: 1rem; border-radius: 2px; }
svg.bar rect.track { fill: #fff; stroke: none; }
svg.bar rect.unchanged { fill: var(--same); }
svg.bar rect.changed, svg.bar rect.only, svg.bar rect.sliver { fill: var(--c); }
svg.bar rect.only { fill-opacity: .55; }
tr.rule.still svg.bar { height: .55rem; }
ul.transitions, ul.outcomes { list-style: none; margin: .35rem 0 0; padding: 0; font-size: .92rem; }
ul.transitions li + li { margin-top: .15rem; }
ul.outcomes li { display: inline; margin-right: .8rem; }
.transition .n { margin: 0 .3rem; }
.examples { color: var(--muted); font-size: .88rem; }
p.same { margin: .2rem 0 0; font-size: .82rem; }
.outcome, .decision { font-weight: 600; color: var(--c); white-space: nowrap; }
table.outputs { width: 100%; }
table.outputs th, table.outputs td { text-align: left; vertical-align: top; padding: .35rem .5rem;
  border-bottom: 1px solid var(--rule); }
table.outputs thead th { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
table.outputs td.count { text-align: right; padding-right: 1.5rem; }
col.output-col { width: 38%; }
ul.phrases { margin: 0; padding-left: 1rem; }
details.cell-examples { margin: .6rem 0; border: 1px solid var(--rule); border-radius: .35rem; padding: .4rem .8rem; }
details.cell-examples > summary { cursor: pointer; font-size: 1.05rem; }
.example { margin: .6rem 0 .2rem; }
.example p.record { margin: 0 0 .2rem; font-weight: 600; }
table.example-rules { width: 100%; table-layout: fixed; font-size: .92rem; }
table.example-rules th, table.example-rules td { text-align: left; vertical-align: top; padding: .25rem .5rem;
  border-bottom: 1px solid var(--rule); }
table.example-rules thead th { font-size: .76rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
.message { display: block; font-weight: normal; }
ul.invalid { padding-left: 1.1rem; }
ul.invalid li.invalid-record { margin: .3rem 0; }
ul.problems { margin: .1rem 0; padding-left: 1.1rem; font-size: .92rem; }
footer { margin-top: 2.5rem; padding-top: .5rem; border-top: 1px solid var(--rule); font-size: .82rem; color: var(--muted); }
footer p { margin: .2rem 0; }
footer ul.files { margin: .1rem 0 .4rem; padding-left: 1.1rem; }
@media screen and (max-width: 40rem) {
  table.rules, table.rules tbody, table.rules tr, table.rules th, table.rules td { display: block; }
  table.rules thead, table.rules colgroup { display: none; }
  tr.rule td { border-bottom: 0; }
}
@page { margin: 14mm; }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  details::details-content { content-visibility: visible; display: block; }
  summary { list-style: none; }
  summary::-webkit-details-marker { display: none; }
  details.cell-examples { border: 0; padding: 0; }
  table.matrix, header.top, tr.rule, .example, tr.output, li.invalid-record { break-inside: avoid; }
  h2, summary { break-after: avoid; }
  thead { display: table-header-group; }
  table.matrix td.changed a { text-decoration: none; }
}
""" + "".join(f".to-{_css(word)}, .d-{_css(word)}, .o-{_css(word)} {{ --c: {colour}; }}\n"
              for word, colour in [*_COLOURS.items(), ("other", "#5b6168")]) \
    + "".join(f"table.matrix td.changed.level-{level} {{ background: color-mix(in srgb, var(--c) {share}%, #fff); }}\n"
              for level, share in _TINTS.items())
