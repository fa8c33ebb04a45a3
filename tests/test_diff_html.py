"""``diff --format html``: the page a reviewer reads, held to what they would see in a browser.

Most tests run the real command (``ecfmg-policy diff ... --format html --output FILE``, in a
subprocess) on real records and real policy folders, open the page in a real headless
Chromium (``tests/browser.py``) and look at what it rendered: the headline and both sides,
each count of the decision matrix in its row and column with the colour of a cell that moved,
a bar a rule whose coloured part is as wide as the records that moved, the example records
with what each side said, the invalid records, the page on paper, no request beyond the
file, and a screenshot that is not blank.  The running example is a fee rise: a copy of the
bundled policies whose 2022 application fee is USD 200, so an applicant who paid the USD 160
of 2022 goes from eligible to pending.

Hostile text arrives both ways: as a record's file name and a policy's message through the
command, and in a document written by hand (valid against ``diff.schema.json``) for the
strings the command cannot be made to carry.

The browser tests need Debian's ``chromium`` (``apt-get install -y chromium``); without it they
fail saying so, never skip.  One browser serves the whole module.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from browser import Browser, png_rows
from cli_helpers import ROOT, run_cli
from ecfmg_policy.cli.diff_html import MOST_SHOWN, render_html
from ecfmg_policy.evaluator.records.schemas import schema

AS_OF = "2022-06-01"
SCREENSHOT = Path("/tmp/diff-html-screenshot.png")  # kept for a person to look at
IMG = "<img src=x onerror=alert(1)>"
RLO, ESC = "\u202e", "\x1b"


# -- real runs of the command --------------------------------------------------------------

def fee_rise(folder: Path) -> Path:
    """A copy of the bundled policies whose application fee from 2022 is USD 200, not 160."""
    policies = folder / "head-policies"
    shutil.copytree(ROOT / "policies", policies)
    version = policies / "ecfmg-certification" / "2022-01-01.yaml"
    text = version.read_text()
    assert "    2022-01-01: 160\n" in text
    version.write_text(text.replace("    2022-01-01: 160\n", "    2022-01-01: 200\n"))
    return policies


def paid_160(records: Path, name: str, submitted_on: str) -> Path:
    """The eligible example, its application submitted in 2022 with the USD 160 then due."""
    record = json.loads((ROOT / "examples" / "eligible.json").read_text())
    record["application"].update(submitted_on=submitted_on, fee_paid_usd=160)
    path = records / name
    path.write_text(json.dumps(record, indent=2))
    return path


def fee_records(folder: Path) -> Path:
    """Two applicants who paid USD 160 in 2022, and the four valid examples."""
    records = folder / "records"
    records.mkdir()
    paid_160(records, "paid-160-february.json", "2022-02-01")
    paid_160(records, "paid-160-march.json", "2022-03-15")
    for name in ("eligible", "pending", "ineligible", "not-applicable"):
        shutil.copy(ROOT / "examples" / f"{name}.json", records / f"{name}.json")
    return records


def diff(folder: Path, *args: str, status: int = 0) -> tuple[Path, dict]:
    """``ecfmg-policy diff ARGS`` run twice in ``folder``: the page it writes (html), and its JSON."""
    page = folder / "diff.html"
    made = run_cli("diff", *args, "--format", "html", "--output", str(page), cwd=folder)
    assert made.returncode == status, made.stderr
    assert made.stdout == ""  # the page went to the file
    as_json = run_cli("diff", *args, "--format", "json", cwd=folder)
    assert as_json.returncode == status, as_json.stderr
    document = json.loads(as_json.stdout)
    Draft202012Validator(schema("diff"), format_checker=FormatChecker()).validate(document)
    assert page.read_text(encoding="utf-8") == render_html(document)  # the page is the document's, nothing else
    return page, document


@pytest.fixture(scope="module")
def fee_run(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("fee-rise")
    fee_rise(folder)
    fee_records(folder)
    return diff(folder, "records", "--base", str(ROOT / "policies"), "--head", "head-policies", "--as-of", AS_OF)


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module; without one this errors with how to install it (never skips)."""
    with Browser() as chromium:
        yield chromium


# -- what Chromium shows -------------------------------------------------------------------

def cell(base: str, head: str) -> str:
    return f"document.querySelector('table.matrix td.cell[data-base=\"{base}\"][data-head=\"{head}\"]')"


def rule_row(rule_id: str) -> str:
    return f"document.querySelector('tr.rule[data-rule-id=\"{rule_id}\"]')"


def width(element: str) -> str:
    return f"(e => e ? e.getBoundingClientRect().width : null)({element})"


def looks(png: bytes) -> tuple[int, int, set[bytes], float]:
    """A screenshot's width, height, distinct colours (RGB), and share of pixels not white."""
    width, height, channels, rows = png_rows(png)
    colours, painted = set(), 0
    for row in rows:
        pixels = [row[i:i + 3] for i in range(0, len(row), channels)]
        colours.update(pixels)
        painted += sum(1 for pixel in pixels if pixel != b"\xff\xff\xff")
    return width, height, colours, painted / (width * height)


def test_the_fee_rise_reads_as_it_should(browser, fee_run):
    """The command's page for the fee rise: headline, sides, the moved cell, the fee rule's bar."""
    page, document = fee_run
    assert document["records"] == {"total": 6, "changed": 2, "unchanged": 4, "invalid": 0, "rules_changed": 2,
                                   "outputs_changed": 2}
    fee = next(rule for rule in document["rules"] if rule["id"] == "application.fee")
    assert fee["transitions"] == [{"base": "met", "head": "unmet", "count": 2,
                                   "examples": ["records/paid-160-february.json", "records/paid-160-march.json"]}]
    shown = browser.render(page, {
        "title": "document.title",
        "moved": f"{cell('eligible', 'pending')}.textContent",
        "kept": f"{cell('eligible', 'eligible')}.textContent",
        "pending_kept": f"{cell('pending', 'pending')}.textContent",
        "empty": f"{cell('pending', 'eligible')}.textContent",
        "moved_classes": f"[...{cell('eligible', 'pending')}.classList]",
        "changed_cells": "document.querySelectorAll('td.changed').length",
        "moved_colour": f"getComputedStyle({cell('eligible', 'pending')}).backgroundColor",
        "kept_colour": f"getComputedStyle({cell('eligible', 'eligible')}).backgroundColor",
        "empty_colour": f"getComputedStyle({cell('pending', 'eligible')}).backgroundColor",
        "row_of_moved": f"{cell('eligible', 'pending')}.closest('tr').querySelector('th').textContent",
        "column_of_moved": f"(c => c.closest('table').querySelectorAll('thead th')[c.cellIndex].textContent)"
                           f"({cell('eligible', 'pending')})",
        "bars": "[...document.querySelectorAll('tr.rule')].map(r => [r.dataset.ruleId, "
                "r.querySelectorAll('svg.bar').length])",
        "fee_bar": width(f"{rule_row('application.fee')}.querySelector('svg.bar')"),
        "fee_changed": width(f"{rule_row('application.fee')}.querySelector('rect.segment.changed')"),
        "fee_unchanged": width(f"{rule_row('application.fee')}.querySelector('rect.segment.unchanged')"),
        "fee_segments": f"[...{rule_row('application.fee')}.querySelectorAll('rect.segment')].map(s => "
                        "[s.classList.value, s.dataset.count])",
        "fee_transition": f"{rule_row('application.fee')}.querySelector('li.transition').innerText",
        "still_changed": f"{rule_row('application.usmle_id')}.querySelectorAll('rect.changed, rect.sliver').length",
        "still_bar": width(f"{rule_row('application.usmle_id')}.querySelector('svg.bar')"),
        "still_unchanged": width(f"{rule_row('application.usmle_id')}.querySelector('rect.segment.unchanged')"),
        "scripts": "document.querySelectorAll('script').length",
        "sides": "[...document.querySelectorAll('table.sides tr')].map(r => [...r.cells].map(c => c.innerText))",
    })
    values = shown.values
    # the header: the headline, both sides' policies, versions and dates
    assert values["title"] == "2 of 6 decision(s) changed — ecfmg-policy diff"
    lines = shown.text.split("\n")
    assert "2 of 6 decision(s) changed" in lines[:4]
    policy = "Requirements for ECFMG Certification (ecfmg-certification)"
    assert values["sides"] == [["", "BASE", "HEAD"], ["Policies", str(ROOT / "policies"), "head-policies"],
                               ["Policy", policy, policy], ["Version", "2022.1", "2022.1"],
                               ["In effect", "from 2022-01-01, no end date", "from 2022-01-01, no end date"],
                               ["As of", AS_OF, AS_OF]]
    # the matrix: each count in its row and column, the moved one coloured, the diagonal neutral
    assert (values["moved"], values["kept"], values["pending_kept"], values["empty"]) == ("2", "1", "1", "·")
    assert (values["row_of_moved"], values["column_of_moved"]) == ("eligible", "pending")
    assert values["changed_cells"] == 1 and "to-pending" in values["moved_classes"]
    assert values["moved_colour"] != values["kept_colour"]
    assert values["moved_colour"] not in (values["empty_colour"], "rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    # a bar a rule, in the document's rules; the fee rule's changed part a third of it (2 of 6)
    assert sorted(values["bars"]) == sorted([rule["id"], 1] for rule in document["rules"])
    assert values["fee_segments"] == [["segment unchanged", "4"], ["segment changed to-unmet", "2"]]
    assert values["fee_bar"] > 300
    assert abs(values["fee_changed"] - values["fee_bar"] * 2 / 6) < 1.5
    assert abs(values["fee_unchanged"] - values["fee_bar"] * 4 / 6) < 1.5
    assert abs(values["fee_changed"] * 2 - values["fee_unchanged"]) < 2  # 2 records against 4
    assert values["fee_transition"].split() == ["met", "→", "unmet", "2", "e.g.", "records/paid-160-february.json,",
                                                "records/paid-160-march.json"]
    # a rule no record moved: all grey, nothing changed drawn
    assert values["still_changed"] == 0 and abs(values["still_unchanged"] - values["still_bar"]) < 1
    # the examples: both records, the fee rule, what each side said
    examples = shown.text[shown.text.index("Changed decisions"):]
    assert "eligible → pending: 2 records" in examples
    for label in ("records/paid-160-february.json", "records/paid-160-march.json"):
        assert label in examples
    assert examples.count("application.fee Application fee paid\tmet\tunmet\n"
                          "Pay the USD 200 application fee (paid so far: USD 160)") == 2
    assert values["scripts"] == 0
    # the screenshot: kept for a person, and not blank: the moved cell's and the bar's amber are in it
    SCREENSHOT.write_bytes(shown.png)
    width_px, height_px, colours, painted = looks(shown.png)
    assert width_px == 1024 and height_px > 1500
    assert len(colours) > 100 and painted > 0.05, (len(colours), painted)
    assert bytes.fromhex("b57900") in colours  # the head's "unmet" of the fee rule's bar


def test_the_page_asks_for_nothing_but_itself(browser, fee_run):
    page, _ = fee_run
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html.lower()
    assert "url(" not in html and "@import" not in html and "@font-face" not in html
    assert not re.search(r"\s(src|srcset|style|on\w+)=", html)
    assert set(re.findall(r'href="([^"]*)"', html)) == {"#examples-eligible-pending"}  # the moved cell's examples
    assert re.findall(r"\w+://[^\s\"'<>]*", html) == ["http://www.w3.org/2000/svg"] * html.count("<svg")
    shown = browser.render(page)
    assert shown.requests == [page.resolve().as_uri()]


def test_on_paper_every_example_is_shown(browser, fee_run):
    """Details are open; closed by a reader, they still print."""
    page, _ = fee_run
    close_all = ("(document.querySelectorAll('details').forEach(d => d.open = false), "
                 "document.querySelectorAll('details[open]').length)")
    heights = "[...document.querySelectorAll('details > .examples')].map(e => e.getBoundingClientRect().height)"
    message = "Pay the USD 200 application fee (paid so far: USD 160)"
    opened = browser.render(page, {"open": "[...document.querySelectorAll('details')].map(d => d.open)"})
    assert opened.values["open"] == [True] and message in opened.text
    on_screen = browser.render(page, {"open": close_all, "heights": heights})
    assert on_screen.values["open"] == 0 and message not in on_screen.text
    on_paper = browser.render(page, {"open": close_all, "heights": heights}, media="print")
    assert on_paper.values["open"] == 0
    assert message in on_paper.text and "records/paid-160-march.json" in on_paper.text.split("Changed decisions")[1]
    assert all(height > 20 for height in on_paper.values["heights"]), on_paper.values["heights"]


def test_a_rule_on_one_side_and_an_invalid_record(browser, tmp_path):
    """2004.1 against 2022.1 over the examples: the clinical skills rule is the head's alone, and
    the invalid example is listed with its problems."""
    for name in ("eligible", "pending", "ineligible", "not-applicable", "invalid"):
        shutil.copy(ROOT / "examples" / f"{name}.json", tmp_path / f"{name}.json")
    page, document = diff(tmp_path, *sorted(p.name for p in tmp_path.glob("*.json")), "--base-version", "2004.1",
                          "--head-version", "2022.1", "--as-of", AS_OF, status=2)
    [only] = [rule for rule in document["rules"] if rule["present"] != "both"]
    assert (only["id"], only["present"]) == ("exams.clinical_skills", "head")
    shown = browser.render(page, {
        "only": f"{rule_row('exams.clinical_skills')}.innerText",
        "only_segments": f"[...{rule_row('exams.clinical_skills')}.querySelectorAll('rect.segment')].map(s => "
                         "[s.dataset.outcome, Number(s.dataset.count), s.getBoundingClientRect().width])",
        "only_bar": width(f"{rule_row('exams.clinical_skills')}.querySelector('svg.bar')"),
        "invalid": "document.querySelector('#invalid').innerText",
        "invalid_cell": f"{cell('invalid', 'invalid')}.textContent",
    })
    assert "2004.1 (chosen)\t2022.1 (chosen)" in shown.text
    assert "only on the head" in shown.values["only"]
    outcomes = {o["outcome"]: o["count"] for o in only["outcomes"]}
    segments = shown.values["only_segments"]
    assert {outcome: n for outcome, n, _ in segments} == outcomes
    valid = document["records"]["total"] - document["records"]["invalid"]
    for _, n, drawn in segments:
        assert abs(drawn - shown.values["only_bar"] * n / valid) < 1.5
    assert shown.values["invalid_cell"] == "1"
    invalid = shown.values["invalid"]
    assert invalid.startswith("Invalid records: 1\n") and "standard error" in invalid
    assert "invalid.json" in invalid
    assert "/application/fee_payed_usd unknown field(s) `fee_payed_usd`" in invalid
    assert "`2021-02-30` is not a valid date" in invalid
    assert "0 of 5 decision(s) changed; 1 record(s) invalid" in shown.text.split("\n")[:4]


def test_a_hostile_file_name_and_policy_message_are_only_text(browser, tmp_path):
    """A record named like markup, with a bidi override and an escape, and a head policy whose
    message carries markup, arrive as visible text: no element, no handler, no reordering."""
    head = fee_rise(tmp_path)
    rules = head / "ecfmg-certification" / "2004-06-14.yaml"
    text = rules.read_text()
    assert "      Pay the USD ${params" in text
    rules.write_text(text.replace("      Pay the USD ${params", f"      {IMG} {RLO}evil Pay the USD ${{params", 1))
    (tmp_path / "records").mkdir()
    name = f"{IMG}{RLO}gnp{ESC}[31m.json"
    paid_160(tmp_path / "records", name, "2022-02-01")
    page, document = diff(tmp_path, "records", "--base", str(ROOT / "policies"), "--head", "head-policies",
                          "--as-of", AS_OF)
    label = f"records/{name}"
    assert document["examples"][0]["records"][0]["record"] == label
    html = page.read_text(encoding="utf-8")
    assert "<img" not in html and RLO not in html and ESC not in html
    shown = browser.render(page, {
        "images": "document.querySelectorAll('img').length",
        "scripts": "document.querySelectorAll('script').length",
        "handlers": "[...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => "
                    "a.name.startsWith('on'))).length",
        "label": "document.querySelector('.example code.label').textContent",
        "head_said": "document.querySelector('.example td.head .message').textContent",
        "record_attribute": "document.querySelector('.example').dataset.record",
    })
    values = shown.values
    assert (values["images"], values["scripts"], values["handlers"]) == (0, 0, 0)
    visible = f"records/{IMG}\\u202egnp\\x1b[31m.json"
    assert values["label"] == visible and values["record_attribute"] == visible
    assert visible in shown.text.split("met → unmet")[1]  # the fee rule's transition names it too
    assert values["head_said"] == f"{IMG} \\u202eevil Pay the USD 200 application fee (paid so far: USD 160)"


# -- documents written by hand -------------------------------------------------------------

HOSTILE = '"><img src=x onerror=alert(1)><style>body{display:none}</style>'


def side(policies: str, version: str, as_of: str, **more) -> dict:
    return {"policies": policies, "revision": None, "commit": None, "as_of": as_of, "version_given": False,
            "policy": {"name": "ecfmg-certification", "title": "Requirements for ECFMG Certification",
                       "version": version, "effective_from": "2022-01-01", "effective_to": None},
            "files": [{"file": f"{policies}/ecfmg-certification/2022-01-01.yaml", "sha256": "a" * 64}],
            "policies_sha256": "b" * 64, **more}


def outputs_place(name: str, key: list[str], **moves) -> dict:
    place = {"output": name, "key": key, "changed": 0, "earlier": None, "later": None, "increased": None,
             "decreased": None, "appeared": 0, "disappeared": 0, "added_items": [], "removed_items": [], "other": 0}
    place.update(moves)
    return place


def by_hand() -> dict:
    """A document as the command could write it for a git revision against a folder: one
    million records, one moved by a rule whose messages differ on both sides, one invalid;
    every string a record, a file name or a policy could set is hostile."""
    document = {
        "format": "ecfmg-policy.diff/1", "tool": {"name": "ecfmg-policy", "version": "0.1.0"},
        "base": side(f"origin/main:{HOSTILE}", "2022.1", "2022-06-01", revision=f"origin/{HOSTILE}",
                     commit="0123456789abcdef0123456789abcdef01234567"),
        "head": side(f"policies{RLO}", "2022.2", "2022-06-01", version_given=True),
        "note": f"note {HOSTILE}",
        "examples_kept": 5,
        "records": {"total": 1_000_001, "changed": 2, "unchanged": 999_999, "invalid": 1, "rules_changed": 1,
                    "outputs_changed": 1},
        "matrix": [{"base": "eligible", "head": "eligible", "count": 999_998},
                   {"base": "pending", "head": "ineligible", "count": 1},
                   {"base": "eligible", "head": "not_applicable", "count": 1},
                   {"base": "invalid", "head": "invalid", "count": 1}],
        "rules": [{"id": f"rule{HOSTILE}", "title": f"title {HOSTILE}{ESC}", "severity": "requirement",
                   "present": "both",
                   "transitions": [{"base": "unmet", "head": "blocked", "count": 1, "examples": [f"{HOSTILE}.json"]}],
                   "changed": 1, "unchanged": [{"outcome": "met", "count": 999_999}]}],
        "outputs": [outputs_place(f"out{HOSTILE}", [f"key{RLO}"], changed=1,
                                  added_items=[{"item": f"item{HOSTILE}", "count": 1}])],
        "outputs_not_followed": 0, "outputs_only_in_base": [f"gone{HOSTILE}"], "outputs_only_in_head": [],
        "examples": [
            {"base": "pending", "head": "ineligible", "count": 1, "records": [
                {"record": f"{HOSTILE}.json", "rules": [
                    {"id": f"rule{HOSTILE}", "title": f"title {HOSTILE}{ESC}",
                     "base": {"outcome": "unmet", "message": f"base said {HOSTILE}"},
                     "head": {"outcome": "blocked", "message": f"head said {RLO}{HOSTILE}"}}]}]},
            {"base": "eligible", "head": "not_applicable", "count": 1, "records": [
                {"record": "scope.json", "rules": []}]}],
        "invalid": {"count": 1, "records": [{"record": f"bad{HOSTILE}.jsonl:7", "invalid_in": "both",
                                             "errors": [{"path": f"/x{HOSTILE}", "message": f"broken {HOSTILE}"}],
                                             "more_errors": 4}]},
    }
    Draft202012Validator(schema("diff"), format_checker=FormatChecker()).validate(document)
    return document


@pytest.fixture
def open_page(browser, tmp_path):
    def open_page(document: dict, expressions: dict[str, str] | None = None, **options):
        path = tmp_path / "diff.html"
        path.write_text(render_html(document), encoding="utf-8")
        return browser.render(path, expressions, **options)
    return open_page


def test_a_document_by_hand_shows_both_messages_and_its_hostile_strings_as_text(open_page):
    document = by_hand()
    html = render_html(document)
    assert "<img" not in html and "<style>body" not in html and RLO not in html and ESC not in html
    assert html.count("<style>") == 1
    shown = open_page(document, {
        "images": "document.querySelectorAll('img, body style, main style').length",
        "hidden": "getComputedStyle(document.body).display",
        "base_said": "document.querySelector('.example td.base').innerText",
        "head_said": "document.querySelector('.example td.head').innerText",
        "rule_ids": "[...document.querySelectorAll('tr.rule')].map(r => r.dataset.ruleId)",
        "sliver": width("document.querySelector('tr.rule rect.sliver')"),
        "changed": width("document.querySelector('tr.rule rect.segment.changed')"),
        "cells": "[...document.querySelectorAll('td.changed')].map(c => [c.dataset.base, c.dataset.head, "
                 "c.textContent])",
        "commit": "document.querySelector('code.commit').title",
    })
    values = shown.values
    assert values["images"] == 0 and values["hidden"] == "block"
    assert values["base_said"] == f"unmet\nbase said {HOSTILE}"
    assert values["head_said"] == f"blocked\nhead said \\u202e{HOSTILE}"
    assert values["rule_ids"] == [f"rule{HOSTILE}"]
    assert values["cells"] == [["eligible", "not_applicable", "1"], ["pending", "ineligible", "1"]]
    # one record in a million: drawn as wide as it is (nothing), and marked by a sliver one can see
    assert values["changed"] < 0.01 and values["sliver"] >= 1.5
    for words in (f"note {HOSTILE}", f"origin/main:{HOSTILE}", f"origin/{HOSTILE}", "commit 0123456789ab",
                  "policies\\u202e", "2022.2 (chosen)", f"title {HOSTILE}\\x1b", f"out{HOSTILE} / key\\u202e",
                  f"item{HOSTILE} added in 1", f"Only on the base: gone{HOSTILE}", "unmet → blocked 1 e.g. "
                  f"{HOSTILE}.json", "No rule's outcome changed: the policy's scope did.",
                  f"bad{HOSTILE}.jsonl:7", f"/x{HOSTILE} broken {HOSTILE}", "and 4 more problem(s)",
                  "1,000,001 records read, 1 of them invalid"):
        assert words in shown.text, words
    assert values["commit"] == "0123456789abcdef0123456789abcdef01234567"


def test_a_huge_document_still_makes_a_page_of_reasonable_size():
    """Thousands of rules, outputs and examples, each with long text: a few megabytes, saying
    how many more the JSON has."""
    document = by_hand()
    rule = document["rules"][0]
    long = "x" * 100_000
    document["rules"] = [{**copy.deepcopy(rule), "id": f"rule.{i}{long}",
                          "transitions": [{**rule["transitions"][0], "examples": [long] * 1000}]}
                         for i in range(5000)]
    document["outputs"] = [outputs_place(f"out{i}", [], changed=1, other=1) for i in range(5000)]
    document["outputs_only_in_head"] = [f"new{i}" for i in range(5000)]
    example = document["examples"][0]
    example["records"] = [{"record": long, "rules": [copy.deepcopy(example["records"][0]["rules"][0])
                                                     | {"id": long} for _ in range(500)]} for _ in range(2000)]
    example["count"] = 5000
    html = render_html(document)
    assert len(html) < 10_000_000
    assert f"… and {5000 - MOST_SHOWN:,} more outputs" in html
    assert re.search(r"… and [\d,]+ more rules", html) and re.search(r"… and [\d,]+ more examples", html)
    assert "3,000 records not kept as examples" in html
