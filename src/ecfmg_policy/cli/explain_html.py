"""``explain --format html``: one self-contained page explaining the decision on one record.

:func:`render_html` turns the explain document (format ``ecfmg-policy.explain/1``) into
a page a person can read on screen or on paper: the decision and its summary, the
record and the policy it was judged by, every rule (grouped by outcome, in the
document's order) with what was read, computed and quoted to decide it, a timeline
of the exams and windows as an inline SVG, and the policy's outputs.

The page needs nothing but itself: inline ``<style>`` and ``<svg>``, no script, no
font, stylesheet or image from anywhere, so it can be mailed, archived or opened
offline and always looks the same.

Everything in the document is untrusted (it comes from a record and a policy): every
string goes through :func:`html.escape` (quotes too) before it reaches the page,
whether as text or in an attribute; no document text is ever put in the style
sheet, a class name, an element name or a URL.  Class names and colours come only
from the fixed tables below, chosen by comparing the document's words with them.

Details of a rule are a ``<details>`` element, open for rules that need attention
(still to do, blocking, error) and closed for rules that are met or do not apply.
On paper they are all shown: the print style sheet makes the content of a closed
``<details>`` visible through ``::details-content`` (Chromium 131+, Firefox 143+,
Safari 18.4+; an older browser prints the closed ones closed).  Printing also keeps
a rule, a quoted clause and the timeline each on one page, and drops the page width
limit; no background is darker than a light tint.
"""

from __future__ import annotations

import datetime
import re
from html import escape
from typing import Any

from ecfmg_policy.errors import _escape_one
from ecfmg_policy.evaluator.policy.model import Decision, Outcome, Severity

__all__ = ["render_html"]

# -- words ---------------------------------------------------------------------------------

_DECISIONS = {Decision.ELIGIBLE: "Eligible", Decision.PENDING: "Pending", Decision.INELIGIBLE: "Ineligible",
              Decision.NOT_APPLICABLE: "Not applicable", Decision.INVALID: "Invalid"}
# outcome -> (CSS class, symbol and words); the symbol and the words carry the meaning, the colour
# only helps.  The symbols are ones common text fonts have (DejaVu, Segoe UI Symbol, Apple's): an
# emoji such as "⛔" is an empty box on a machine without an emoji font, Debian's default among them.
_OUTCOMES = {Outcome.UNMET: ("badge-unmet", "✗ still to do"), Outcome.MET: ("badge-met", "✓ met"),
             Outcome.BLOCKED: ("badge-blocked", "⊘ blocks"),
             Outcome.NOT_APPLICABLE: ("badge-not-applicable", "– does not apply"),
             Outcome.ERROR: ("badge-error", "! error")}
_OPEN = {Outcome.UNMET, Outcome.BLOCKED, Outcome.ERROR}  # rules whose details are open on screen
_RESULTS = {"pass": ("pass", "passed"), "fail": ("fail", "failed")}  # anything else is drawn as "other"


def render_html(document: dict) -> str:
    """The page for one explain document (``ecfmg-policy.explain/1``), as a string."""
    doc = _dict(document)
    decision = _text(doc.get("decision"))
    word = _DECISIONS.get(decision, decision or "Unknown")
    record = _dict(doc.get("record"))
    title = f"{word} — {_text(record.get('label')) or 'record'} — ecfmg-policy explain"
    parts = [_header(doc, word)]
    if decision == Decision.INVALID or _list(doc.get("errors")):
        parts.append(_errors(_list(doc.get("errors"))))
    if _list(doc.get("disagreements")):
        parts.append('<p class="errors">The step-by-step walk behind this explanation reached a different outcome '
                     'than check for ' + ", ".join(f"<code>{_e(_text(r))}</code>" for r in doc["disagreements"])
                     + "; the outcomes shown are check's. Please report it.</p>")
    if decision != Decision.INVALID and isinstance(doc.get("timeline"), dict):  # what people look at first
        parts.append(_timeline_section(doc["timeline"]))
    if _list(doc.get("rules")):
        parts.append(_requirements(doc))
    if _dict(doc.get("outputs")):
        parts.append(_outputs(_dict(doc.get("outputs"))))
    parts.append(_footer(doc))
    decision_class = decision.replace("_", "-") if decision in _DECISIONS else "other"
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n'
            f'<body class="decision-{decision_class}">\n<main>\n' + "\n".join(parts) + "\n</main>\n</body>\n</html>\n")


# -- the header ----------------------------------------------------------------------------

def _header(doc: dict, word: str) -> str:
    record, policy = _dict(doc.get("record")), _dict(doc.get("policy"))
    sha = _text(record.get("sha256"))
    digest = f' <span class="muted">sha256</span> <code title="{_e(sha)}">{_e(sha[:12])}</code>' if sha else ""
    name, ptitle, version = (_text(policy.get(k)) for k in ("name", "title", "version"))
    policy_line = " ".join(filter(None, [
        f'<span class="policy-title">{_e(ptitle)}</span>' if ptitle else "",
        f"(<code>{_e(name)}</code>)" if name and ptitle else f"<code>{_e(name)}</code>" if name else "",
        f"version {_e(version)}" if version else ""]))
    rows = [("Record", f"<code>{_e(_text(record.get('label')) or '(unnamed)')}</code>{digest}"),
            ("As of", _e(_text(doc.get("as_of")))),
            ("Policy", policy_line),
            ("In effect", _e(_span(policy.get("effective_from"), policy.get("effective_to")))),
            ("Policy file", f"<code>{_e(_text(policy.get('file')))}</code>" if policy.get("file") else "")]
    meta = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows if value)
    summary = _text(doc.get("summary"))
    return (f'<header class="top">\n<p class="kicker">Decision</p>\n<h1 class="decision">{_e(word)}</h1>\n'
            + (f'<p class="summary">{_e(summary)}</p>\n' if summary else "")
            + f'<dl class="meta">{meta}</dl>\n</header>')


def _span(start: Any, end: Any) -> str:
    start, end = _text(start), _text(end)
    if not start and not end:
        return ""
    if not end:
        return f"from {start}, no end date"
    return f"from {start} to {end}" if start else f"until {end}"


# -- an invalid record ---------------------------------------------------------------------

def _errors(errors: list) -> str:
    items = []
    for error in errors:
        error = _dict(error)
        path = _text(error.get("path"))
        where = f"<code>{_e(path)}</code>" if path else '<span class="muted">(the whole record)</span>'
        items.append(f'<li>{where} <span class="error-message">{_e(_text(error.get("message")))}</span></li>')
    body = f'<ul class="errors">{"".join(items)}</ul>' if items else "<p>No problems were listed.</p>"
    return ('<section id="problems">\n<h2>Problems in the record</h2>\n'
            '<p>The record could not be judged until these are fixed.</p>\n' + body + "\n</section>")


# -- the requirements ----------------------------------------------------------------------

def _requirements(doc: dict) -> str:
    groups = [_dict(g) for g in _list(doc.get("groups"))]
    heading_of_rule = {}
    for index, group in enumerate(groups):
        for rule_id in _list(group.get("rules")):
            heading_of_rule.setdefault(_text(rule_id), index)
    heading_of_outcome = {}
    for index, group in enumerate(groups):
        heading_of_outcome.setdefault(_text(group.get("outcome")), index)

    bodies: list[tuple[str, list[str]]] = []  # (heading, rows), a new one whenever the group changes
    current: object = object()
    ids: set[str] = set()
    for rule in map(_dict, _list(doc.get("rules"))):
        outcome = _text(rule.get("outcome"))
        group = heading_of_rule.get(_text(rule.get("id")), heading_of_outcome.get(outcome))
        key = group if group is not None else ("outcome", outcome)
        if key != current:
            heading = (_text(groups[group].get("heading")) if group is not None else "") or _OUTCOMES.get(
                outcome, ("", "? " + outcome))[1].split(" ", 1)[1].capitalize()
            bodies.append((heading, []))
            current = key
        bodies[-1][1].append(_rule_row(rule, ids))
    tbodies = "".join(
        f'<tbody><tr class="group-heading"><th colspan="2" scope="rowgroup">{_e(heading)} '
        f'<span class="count">({len(rows)})</span></th></tr>{"".join(rows)}</tbody>\n'
        for heading, rows in bodies)
    return ('<section id="requirements">\n<h2>Requirements</h2>\n<table class="rules">\n'
            '<colgroup><col class="outcome-col"><col></colgroup>\n'
            '<thead><tr><th scope="col">Outcome</th><th scope="col">Requirement</th></tr></thead>\n'
            f"{tbodies}</table>\n</section>")


def _rule_row(rule: dict, ids: set[str]) -> str:
    outcome = _text(rule.get("outcome"))
    css, label = _OUTCOMES.get(outcome, ("badge-other", "? " + (outcome or "unknown")))
    symbol, words = label.split(" ", 1)
    rule_id = _text(rule.get("id"))
    anchor = "rule-" + (re.sub(r"[^A-Za-z0-9_.:-]", "-", rule_id) or "unnamed")
    while anchor in ids:
        anchor += "-"
    ids.add(anchor)
    title, message, severity = _text(rule.get("title")), _text(rule.get("message")), _text(rule.get("severity"))
    head = f'<code class="rule-id">{_e(rule_id)}</code>' + (f' <span class="rule-title">{_e(title)}</span>' if title else "")
    if severity and severity != Severity.REQUIREMENT:
        head += f' <span class="severity">{_e(severity)}</span>'
    details = _details(rule)
    opened = " open" if outcome in _OPEN or outcome not in _OUTCOMES else ""
    return (f'<tr class="rule" data-outcome="{_e(outcome)}" id="{_e(anchor)}">'
            f'<td class="outcome"><span class="badge {css}"><span class="symbol" aria-hidden="true">{symbol}</span> '
            f'{_e(words)}</span></td>'
            f'<td class="requirement"><div class="rule-head">{head}</div>'
            + (f'<p class="message">{_e(message)}</p>' if message else "")
            + (f'<details{opened}><summary>How this was decided</summary><div class="details">{details}</div></details>'
               if details else "")
            + "</td></tr>\n")


def _details(rule: dict) -> str:
    parts = []
    to_meet = [_dict(i) for i in _list(rule.get("to_meet"))]
    if to_meet:
        parts.append(_part("What would meet it", "to-meet", [
            f'<span class="label">{_e(_text(i.get("label")))}</span>: {_value_html(i)}' for i in to_meet]))
    facts = [_dict(i) for i in _list(rule.get("facts"))]
    if facts:
        parts.append(_part("Facts read from the record", "facts", [
            f'<code>{_e(_text(f.get("pointer")))}</code> = '
            + (_value_html(f) if f.get("given", True) is not False else '<span class="not-given">not given</span>')
            for f in facts]))
    data = [_dict(i) for i in _list(rule.get("data"))]
    if data:
        parts.append(_part("Reference data", "data", [
            " ".join(filter(None, [f'<span class="name">{_e(_text(d.get("name")))}</span>' if d.get("name") else "",
                                   f'<code>{_e(_text(d.get("pointer")))}</code>' if d.get("pointer") else ""]))
            + f" = {_value_html(d)}" for d in data]))
    params = [_dict(i) for i in _list(rule.get("params"))]
    if params:
        parts.append(_part("Parameters", "params", [_param(p) for p in params]))
    computed = [_dict(i) for i in _list(rule.get("computed"))]
    if computed:
        parts.append(_part("Computed", "computed", [
            f'<span class="name">{_e(_text(c.get("title")) or _text(c.get("name")))}</span> = {_value_html(c)}'
            for c in computed]))
    clause = rule.get("clause")
    if isinstance(clause, dict):
        parts.append(_clause(clause))
    return "".join(parts)


# Items a part of one rule's details lists at most: a page stays a page (the JSON has them all).
PART_ITEMS = 200


def _part(title: str, css: str, items: list[str]) -> str:
    more = (f'<li class="more">… and {len(items) - PART_ITEMS} more (<code>--format json</code> lists them all)'
            f"</li>" if len(items) > PART_ITEMS else "")
    return (f'<div class="part part-{css}"><div class="part-title">{title}</div><ul>'
            + "".join(f"<li>{item}</li>" for item in items[:PART_ITEMS]) + more + "</ul></div>")


def _param(param: dict) -> str:
    text = f'<span class="name">{_e(_text(param.get("name")))}</span> = {_value_html(param)}'
    notes = []
    if param.get("on") is not None:
        notes.append(f"on {_e(_text(param.get('on')))}")
    if param.get("version") is not None:
        notes.append(f"set by version {_e(_text(param.get('version')))}")
    where = _where(param)
    if where:
        notes.append(f"<code>{_e(where)}</code>")
    return text + (f' <span class="muted">({", ".join(notes)})</span>' if notes else "")


def _clause(clause: dict) -> str:
    bits = []
    if clause.get("version") is not None:
        bits.append(f"Version {_e(_text(clause.get('version')))}")
    span = _span(clause.get("effective_from"), clause.get("effective_to"))
    if span:
        bits.append(f"in effect {_e(span)}")
    where = _where(clause)
    line = ", ".join(bits) + (f' — <code>{_e(where)}</code>' if where else "")
    source = clause.get("source")
    quote = f"<blockquote>{_e(_text(source))}</blockquote>" if source not in (None, "") else ""
    return f'<div class="part part-clause"><div class="part-title">Clause</div><p>{line}</p>{quote}</div>'


def _where(item: dict) -> str:
    file = _text(item.get("file"))
    line = item.get("line")
    return f"{file}:{_text(line)}" if file and line is not None else file


# -- outputs and footer --------------------------------------------------------------------

def _outputs(outputs: dict) -> str:
    rows = "".join(f"<dt><code>{_e(_text(name))}</code></dt><dd>{_e(_value(value))}</dd>"
                   for name, value in outputs.items())
    return f'<section id="outputs">\n<h2>Outputs</h2>\n<dl class="outputs">{rows}</dl>\n</section>'


def _footer(doc: dict) -> str:
    tool, policy = _dict(doc.get("tool")), _dict(doc.get("policy"))
    files = [_dict(f) for f in _list(policy.get("files"))]
    listing = "".join(
        f'<li><code>{_e(_text(f.get("file")))}</code>'
        + (f' <span class="muted">sha256</span> <code title="{_e(_text(f.get("sha256")))}">'
           f'{_e(_text(f.get("sha256"))[:12])}</code>' if f.get("sha256") else "") + "</li>"
        for f in files)
    made = " ".join(filter(None, [_text(tool.get("name")), _text(tool.get("version"))]))
    return ('<footer>\n'
            + (f'<p>Policy files read:</p><ul class="files">{listing}</ul>\n' if listing else "")
            + f'<p>Made by {_e(made or "ecfmg-policy")} ({_e(_text(doc.get("format")))}).</p>\n</footer>')


# -- the timeline --------------------------------------------------------------------------

_W = 960            # viewBox width; the page is at most 60rem, so about one unit a pixel on screen
_X0, _X1 = 176, 940  # the plot's left and right ends (the exam codes to its left)
_LABEL_END = 166     # where the lane labels end
_LANE = 34           # one exam's lane
_WINDOW_ROW = 20     # one window's row
_TOP_ROW = 16        # one row of labels above the plot


def _timeline_section(timeline: dict) -> str:
    problem = f'<p class="muted">{_e(_text(timeline["problem"]))}</p>\n' if timeline.get("problem") else ""
    return ('<section id="timeline">\n<h2>Timeline</h2>\n<figure class="timeline">\n'
            + _svg(timeline) + "\n" + _LEGEND + "\n</figure>\n" + problem + "</section>")


def _day(value: Any) -> datetime.date | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _svg(timeline: dict) -> str:
    first, last = _day(timeline.get("from")), _day(timeline.get("to"))
    if first is None or last is None:
        return '<p class="muted">No timeline: its dates are missing.</p>'
    if last <= first:
        last = first + datetime.timedelta(days=1)
    days = (last - first).days

    def x(day: datetime.date) -> float:
        return round(_X0 + (_X1 - _X0) * min(max((day - first).days, 0), days) / days, 1)

    def inside(day: datetime.date | None) -> bool:
        return day is not None and first <= day <= last

    as_of = _day(timeline.get("as_of"))
    exams = [_dict(e) for e in _list(timeline.get("exams"))]
    windows = [_dict(w) for w in _list(timeline.get("windows"))]
    versions = [(v, _day(v.get("effective_from"))) for v in map(_dict, _list(timeline.get("versions")))]
    versions = [(v, d) for v, d in versions if inside(d)]
    attempts_total = sum(len(_list(e.get("attempts"))) for e in exams)

    # Labels above the plot (the as-of date, the versions), left to right, each in the first row
    # where it fits that is below every label over its date: a line from a label down to the
    # axis then never crosses another label.
    top: list[tuple[float, str, str, Any]] = []  # (x, text, kind, what it marks)
    if inside(as_of):
        top.append((x(as_of), f"as of {as_of.isoformat()}", "as-of", as_of))
    top += [(x(d), _text(v.get("version")), "version", (v, d)) for v, d in versions]
    top.sort(key=lambda label: label[0])
    spans: list[tuple[float, float, int]] = []  # (left, right, row) of the labels placed so far
    placed = []  # (x, text x, row, anchor, text, kind, what)
    for at, text, kind, what in top:
        width = _text_width(text, 11)
        start, anchor = (at + 3, "start") if at + 3 + width <= _W else (at - 3, "end")
        left = start if anchor == "start" else start - width
        row = 1 + max((r for lo, hi, r in spans if lo - 4 <= at <= hi + 4), default=-1)
        while any(r == row and left <= hi + 6 and lo <= left + width + 6 for lo, hi, r in spans):
            row += 1
        spans.append((left, left + width, row))
        placed.append((at, start, row, anchor, text, kind, what))
    rows = 1 + max((r for _, _, r in spans), default=0)
    plot_top = rows * _TOP_ROW + 8
    y = plot_top + 6

    # Layers, back to front: version boundaries, windows and lanes, the as-of line, the axis, attempts.
    back: list[str] = []
    out: list[str] = []
    front: list[str] = []
    marks: list[str] = []
    # Windows, one row each.
    if windows:
        out.append(f'<text class="lane-label" x="{_LABEL_END}" y="{y + 13}" text-anchor="end">'
                   f'{"Window" if len(windows) == 1 else "Windows"}</text>')
    for window in windows:
        start, end = _day(window.get("start")), _day(window.get("end"))
        if start is None or end is None:
            y += _WINDOW_ROW
            continue
        left, right = x(start), x(max(start, end))
        current = window.get("current") is True
        hover = (f"Window from {start.isoformat()} to {end.isoformat()}"
                 + (": the window that counts" if current else ""))
        out.append(f'<rect class="window{" current" if current else ""}" data-start="{start}" data-end="{end}" '
                   f'x="{left}" y="{y + 2}" '
                   f'width="{max(right - left, 1.5)}" height="14" rx="3"><title>{_e(hover)}</title></rect>')
        if current:
            label, width = "window that counts", _text_width("window that counts", 11)
            if right - left >= width + 12:
                out.append(f'<text class="window-label" x="{left + 6}" y="{y + 13}">{label}</text>')
            elif right + 4 + width <= _W:
                out.append(f'<text class="window-label" x="{right + 4}" y="{y + 13}">{label}</text>')
            else:
                out.append(f'<text class="window-label" x="{left - 4}" y="{y + 13}" text-anchor="end">{label}</text>')
        y += _WINDOW_ROW
    if windows:
        y += 6

    # Exams, one lane each, one mark per attempt.
    if attempts_total == 0:
        marks.append(f'<text class="empty" x="{(_X0 + _X1) / 2}" y="{y + 22}" text-anchor="middle">'
                   "No exam attempts in the record</text>")
        y += _LANE
    for exam in exams:
        attempts = [_dict(a) for a in _list(exam.get("attempts"))]
        if not attempts:
            continue
        code = _text(exam.get("exam"))
        middle = y + _LANE / 2
        shown = code if len(code) <= 18 else code[:17] + "…"
        out.append(f'<line class="lane" x1="{_X0}" x2="{_X1}" y1="{middle}" y2="{middle}"/>'
                   f'<text class="lane-label" x="{_LABEL_END}" y="{middle + 4}" text-anchor="end">'
                   f"<title>{_e(code)}</title>{_e(shown)}</text>")
        for attempt in attempts:
            marks.append(_attempt(attempt, code, middle, x))
        y += _LANE
    axis = y + 6

    # Lines across the plot, each from its label down to the axis.
    for at, start, row, anchor, text, kind, what in placed:
        top_y = row * _TOP_ROW + 16
        if kind == "version":
            version, day = what
            hover = f"Policy version {_text(version.get('version'))} in effect from {day.isoformat()}"
            back.append(f'<g class="version-boundary"><title>{_e(hover)}</title>'
                        f'<line x1="{at}" x2="{at}" y1="{top_y}" y2="{axis}"/>'
                        f'<text x="{start}" y="{top_y - 4}" text-anchor="{anchor}">{_e(text)}</text></g>')
        else:
            hover = f"As of {what.isoformat()}: the day the record is judged on"
            front.append(f'<g class="as-of-mark"><title>{_e(hover)}</title>'
                         f'<line class="as-of" x1="{at}" x2="{at}" y1="{top_y}" y2="{axis}"/>'
                         f'<text class="as-of-label" x="{start}" y="{top_y - 4}" text-anchor="{anchor}">'
                         f"{_e(text)}</text></g>")

    # The date axis, with a tick and label per year (fewer on a long span; the ends' dates on a short one).
    out.append(f'<line class="axis" x1="{_X0}" x2="{_X1}" y1="{axis}" y2="{axis}">'
               f"<title>{_e(f'From {first.isoformat()} to {last.isoformat()}')}</title></line>")
    years = [year for year in range(first.year, last.year + 1) if first <= datetime.date(year, 1, 1) <= last]
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 10**9) if len(years) / s <= 14)
    short = len(years) < 2
    if short:
        out.append(f'<text class="year" x="{_X0}" y="{axis + 19}" text-anchor="start">{first.isoformat()}</text>'
                   f'<text class="year" x="{_X1}" y="{axis + 19}" text-anchor="end">{last.isoformat()}</text>')
    for year in years:
        if len(years) > 60 and year % step:  # a tick a year only where the years can be told apart
            continue
        at = x(datetime.date(year, 1, 1))
        labelled = year % step == 0 and not (short and min(at - _X0, _X1 - at) < 90)
        out.append(f'<line class="tick" x1="{at}" x2="{at}" y1="{axis}" y2="{axis + (6 if labelled else 3)}">'
                   f"<title>{year}-01-01</title></line>")
        if labelled:
            out.append(f'<text class="year" x="{at}" y="{axis + 19}" text-anchor="middle">{year}</text>')
    height = axis + 28

    label = (f"Timeline from {first.isoformat()} to {last.isoformat()}: "
             f"{attempts_total} exam attempt{'s' if attempts_total != 1 else ''}"
             f"{' (' + ', '.join(_text(e.get('exam')) for e in exams if _list(e.get('attempts'))) + ')' if attempts_total else ''}, "
             f"{len(windows)} window{'s' if len(windows) != 1 else ''}"
             + (f", as of {as_of.isoformat()}" if as_of else ""))
    return (f'<svg class="timeline" role="img" aria-label="{_e(label)}" viewBox="0 0 {_W} {height}" '
            f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
            + "".join(back + out + front + marks) + "</svg>")


def _attempt(attempt: dict, exam: str, middle: float, x) -> str:
    day = _day(attempt.get("date"))
    result = _text(attempt.get("result"))
    css, verb = _RESULTS.get(result, ("other", f"result {result or 'unknown'}"))
    if day is None:
        return ""
    counts = attempt.get("counts") is not False
    hover = f"{exam}: {verb} on {day.isoformat()}"
    if attempt.get("pointer"):
        hover += f" ({_text(attempt.get('pointer'))})"
    if not counts:
        hover += "; after the as-of date, so it does not count"
    if css == "pass":
        shape = '<circle class="mark" r="6"/>'
    elif css == "fail":
        shape = '<path class="mark" d="M-5,-5L5,5M-5,5L5,-5"/>'
    else:
        shape = '<circle class="mark" r="5.5"/>'
    if not counts:
        shape += '<circle class="later-ring" r="9.5"/>'
    return (f'<g class="attempt {css}{"" if counts else " later"}" data-result="{_e(result)}" data-date="{day}" '
            f'transform="translate({x(day)},{middle})"><title>{_e(hover)}</title>{shape}</g>')


def _text_width(text: str, size: float) -> float:
    """About how wide ``text`` is in the page's sans-serif at ``size``."""
    return 0.6 * size * len(text) + 2


_LEGEND = ('<figcaption class="legend"><span><span class="key pass" aria-hidden="true">●</span> passed</span>'
           '<span><span class="key fail" aria-hidden="true">✕</span> failed</span>'
           '<span><span class="key other" aria-hidden="true">○</span> other result</span>'
           '<span><span class="key later" aria-hidden="true">◌</span> faded: after the as-of date</span>'
           '<span><span class="key window" aria-hidden="true"></span> window '
           '(heavy outline: the window that counts)</span>'
           '<span><span class="key as-of" aria-hidden="true">│</span> as-of date</span>'
           '<span><span class="key version" aria-hidden="true">┆</span> a policy version begins</span>'
           "</figcaption>")


# -- values --------------------------------------------------------------------------------

def _value(value: Any) -> str:
    """A JSON value as a person reads it: lists comma-separated, objects ``k: v``, null "none"."""
    if value is None:
        return "none"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)  # 160.0 reads "160"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return ", ".join(_nested(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return ", ".join(f"{_text(k)}: {_nested(v)}" for k, v in value.items()) if value else "none"
    return str(value)


def _nested(value: Any) -> str:
    text = _value(value)
    return f"({text})" if isinstance(value, (list, dict)) and value else text


def _value_html(item: dict) -> str:
    """An item's ``text`` when it has one, else its ``value`` in words; escaped."""
    text = item.get("text")
    return f'<span class="value">{_e(text if isinstance(text, str) else _value(item.get("value")))}</span>'


def _text(value: Any) -> str:
    """A string field's text ("" when missing); anything else in words."""
    if value is None:
        return ""
    return value if isinstance(value, str) else _value(value)


# What a browser would act on rather than show, as for a terminal (``errors.terminal_safe``): a
# bidirectional override reorders the rest of its line, the tool's own words too; a lone surrogate
# cannot be written at all. Line ends and tabs are only white space here, and kept.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                     "\u2066-\u2069\ufeff\ud800-\udfff]")


def _e(text: str) -> str:
    return escape(_UNSAFE.sub(_escape_one, text), quote=True)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


# -- the style sheet (fixed text: nothing from the document goes in it) ---------------------

_CSS = """
:root { color-scheme: light; --ink: #1c1e21; --muted: #5b6168; --rule: #d7dbe0; --tint: #f5f7f9;
  --met: #17663a; --met-bg: #e7f4ec; --unmet: #7a4d00; --unmet-bg: #fff3d6; --blocked: #a1151b;
  --blocked-bg: #fde9e9; --na: #4f555c; --na-bg: #eef0f2; --error: #7b1e7a; --error-bg: #f7e8f7; }
* { box-sizing: border-box; }
html { background: #fff; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45; font-size: 16px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
code, .rule-id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: .88em; }
code, td, dd, li, blockquote, .summary, h1 { overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 1px solid var(--rule); }
.muted { color: var(--muted); }
header.top { border-left: .45rem solid var(--na); padding: .2rem 0 .2rem 1rem; }
.decision-eligible header.top { border-color: var(--met); }
.decision-pending header.top { border-color: #c98a00; }
.decision-ineligible header.top { border-color: var(--blocked); }
.decision-invalid header.top { border-color: var(--error); }
.kicker { margin: 0; text-transform: uppercase; letter-spacing: .08em; font-size: .75rem; color: var(--muted); }
h1.decision { font-size: 2.6rem; line-height: 1.1; margin: .1rem 0 .4rem; }
.summary { font-size: 1.15rem; margin: 0 0 .8rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; font-size: .92rem; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
table.rules { width: 100%; border-collapse: collapse; table-layout: fixed; }
col.outcome-col { width: 10.5rem; }
table.rules thead th { text-align: left; font-size: .8rem; text-transform: uppercase; letter-spacing: .05em;
  color: var(--muted); border-bottom: 2px solid var(--rule); padding: .3rem .5rem; }
tr.group-heading th { text-align: left; font-size: 1rem; padding: 1rem .5rem .35rem; border-bottom: 1px solid var(--rule); }
tr.group-heading .count { color: var(--muted); font-weight: normal; }
tr.rule td { vertical-align: top; padding: .6rem .5rem; border-bottom: 1px solid var(--rule); }
.badge { display: inline-block; max-width: 100%; white-space: nowrap; padding: .1rem .5rem; border-radius: .3rem; border: 1px solid;
  font-size: .85rem; font-weight: 600; }
.badge-met { color: var(--met); background: var(--met-bg); }
.badge-unmet { color: var(--unmet); background: var(--unmet-bg); }
.badge-blocked { color: var(--blocked); background: var(--blocked-bg); }
.badge-not-applicable { color: var(--na); background: var(--na-bg); }
.badge-error, .badge-other { color: var(--error); background: var(--error-bg); }
.badge-other { white-space: normal; overflow-wrap: anywhere; }  /* an outcome the page does not know: the document's word */
.rule-head { font-weight: 600; }
.rule-id { font-weight: normal; color: var(--muted); margin-right: .3rem; }
.severity { font-weight: normal; font-size: .78rem; border: 1px solid var(--rule); border-radius: .25rem; padding: 0 .3rem;
  color: var(--muted); }
.message { margin: .3rem 0 0; }
details { margin-top: .4rem; }
summary { cursor: pointer; color: var(--muted); font-size: .9rem; }
.details { margin: .3rem 0 0; padding: .5rem .75rem; background: var(--tint); border-radius: .3rem; font-size: .92rem; }
.part + .part { margin-top: .5rem; }
.part-title { font-weight: 600; font-size: .82rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.part ul { margin: .1rem 0 0; padding-left: 1.1rem; }
.part p { margin: .1rem 0; }
.not-given { font-style: italic; color: var(--muted); }
blockquote { margin: .35rem 0 0; padding: .2rem .75rem; border-left: 3px solid var(--rule); font-style: italic; }
ul.errors li { margin: .25rem 0; }
.error-message { color: var(--ink); }
figure.timeline { margin: 0; }
svg.timeline { display: block; width: 100%; height: auto; font-family: inherit; }
svg.timeline text { font-size: 11px; fill: var(--ink); }
svg.timeline .lane-label { font-size: 12px; font-weight: 600; }
svg.timeline .year, svg.timeline .version-boundary text { fill: var(--muted); }
svg.timeline .empty { font-size: 13px; fill: var(--muted); font-style: italic; paint-order: stroke;
  stroke: #fff; stroke-width: 6px; stroke-linejoin: round; }
svg.timeline .lane { stroke: var(--rule); stroke-width: 1; }
svg.timeline .axis, svg.timeline .tick { stroke: var(--muted); stroke-width: 1.2; }
svg.timeline rect.window { fill: #e3ecfa; stroke: #6c8fc7; stroke-width: 1; }
svg.timeline rect.window.current { fill: #cfdff7; stroke: #1f4f99; stroke-width: 2.5; }
svg.timeline .window-label { fill: #1f4f99; font-weight: 600; }
svg.timeline .as-of { stroke: var(--ink); stroke-width: 2; }
svg.timeline .as-of-label { font-weight: 600; }
svg.timeline .version-boundary line { stroke: var(--muted); stroke-width: 1; stroke-dasharray: 4 3; }
svg.timeline .attempt.pass .mark { fill: var(--met); }
svg.timeline .attempt.fail .mark { fill: none; stroke: var(--blocked); stroke-width: 2.6; stroke-linecap: round; }
svg.timeline .attempt.other .mark { fill: #fff; stroke: var(--na); stroke-width: 2; }
svg.timeline .attempt.later { opacity: .5; }
svg.timeline .later-ring { fill: none; stroke: var(--ink); stroke-width: 1.2; stroke-dasharray: 2 2; }
.legend { display: flex; flex-wrap: wrap; gap: .25rem 1.1rem; font-size: .82rem; color: var(--muted); margin-top: .4rem; }
.key { display: inline-block; min-width: 1em; text-align: center; font-weight: 700; }
.key.pass { color: var(--met); }
.key.fail { color: var(--blocked); }
.key.later { opacity: .6; }
.key.window { width: 1.6em; height: .7em; min-width: 0; background: #e3ecfa; border: 1px solid #6c8fc7; border-radius: 2px; }
.key.as-of { color: var(--ink); }
dl.outputs { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.outputs dd { margin: 0; }
footer { margin-top: 2.5rem; padding-top: .5rem; border-top: 1px solid var(--rule); font-size: .82rem; color: var(--muted); }
footer p { margin: .2rem 0; }
footer ul.files { margin: .1rem 0 .4rem; padding-left: 1.1rem; }
@media screen and (max-width: 40rem) {
  table.rules, table.rules tbody, table.rules tr, table.rules th, table.rules td { display: block; }
  table.rules thead { display: none; }
  tr.rule td.outcome { border-bottom: 0; padding-bottom: 0; }
}
@page { margin: 14mm; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  details::details-content { content-visibility: visible; display: block; }
  summary { list-style: none; }
  summary::-webkit-details-marker { display: none; }
  tr.rule, .part, blockquote, figure.timeline, header.top, ul.errors li { break-inside: avoid; }
  h2 { break-after: avoid; }
  thead { display: table-header-group; }
  .details { background: none; border: 1px solid var(--rule); }
}
"""
