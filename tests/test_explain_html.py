"""``explain --format html``: the page a person reads, held to what they would notice.

Two kinds of test.  The first parse the page (``html.parser``) and look at what it
says: the decision, one row per rule in the document's order under its group's
heading, badges in words and symbols, the details of each rule, the timeline's
marks, an invalid record's problems, and hostile strings arriving as text.  The
second open the page in a real headless Chromium (``tests/browser.py``) and check
what it rendered: the text, the rows, the SVG's marks where their dates put them,
the details on paper, no request beyond the file, a screenshot that is not blank.

The browser tests need Debian's ``chromium`` (``apt-get install -y chromium``);
without it they fail saying so.  One browser serves the whole module.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from browser import Browser, ChromiumMissing, find_chromium, png_rows
from ecfmg_policy.cli.explain_html import render_html

HERE = Path(__file__).resolve().parent
SAMPLE = json.loads((HERE / "explain" / "sample.json").read_text())
SCREENSHOT = Path("/tmp/explain-html-screenshot.png")  # kept for a person to look at
HOSTILE = "<script>alert(1)</script>"
HOSTILE_STYLE = "</style><script>alert(2)</script>"


def sample() -> dict:
    return copy.deepcopy(SAMPLE)


# -- the page as a tree --------------------------------------------------------------------

VOID = {"meta", "col", "br", "hr", "img", "input", "link", "source", "wbr", "area", "base", "embed", "track"}


class Node:
    def __init__(self, tag: str, attrs: dict, parent: Node | None) -> None:
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and (cls is None or cls in child.classes):
                    found.append(child)
                found += child.all(tag, cls)
        return found

    def one(self, tag: str | None = None, cls: str | None = None) -> Node:
        found = self.all(tag, cls)
        assert len(found) == 1, f"expected one {tag or ''}.{cls or ''}, found {len(found)}"
        return found[0]

    @property
    def text(self) -> str:
        """The text in it, whitespace collapsed (what a reader would read, roughly)."""
        raw = "".join(c if isinstance(c, str) else " " + c.text + " " if c.tag in ("li", "p", "dt", "dd", "div", "tr",
                                                                                    "td", "th", "blockquote")
                      else c.text for c in self.children)
        return re.sub(r"\s+", " ", raw).strip()


class Tree(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = self.node = Node("#document", {}, None)
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.node)
        self.node.children.append(node)
        if tag not in VOID:
            self.node = node

    def handle_startendtag(self, tag, attrs):
        self.node.children.append(Node(tag, dict(attrs), self.node))

    def handle_endtag(self, tag):
        node = self.node
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None, f"</{tag}> closes nothing"
        self.node = node.parent

    def handle_data(self, data):
        self.node.children.append(data)


def own_text(node: Node) -> str:
    """The text directly in ``node`` (not in its elements, such as an SVG label's hover <title>)."""
    return "".join(c for c in node.children if isinstance(c, str))


def page(document: dict) -> Node:
    return Tree(render_html(document)).root


def rows(root: Node) -> list[Node]:
    return root.all("tr", "rule")


def row(root: Node, rule_id: str) -> Node:
    [found] = [r for r in rows(root) if r.one("code", "rule-id").text == rule_id]
    return found


# -- what the page says --------------------------------------------------------------------

def test_the_page_needs_nothing_but_itself():
    html = render_html(sample())
    root = Tree(html).root
    assert html.startswith("<!DOCTYPE html>")
    assert root.one("head").all("meta")[0].attrs == {"charset": "utf-8"}
    assert root.one("head").one("title").text == "Pending — examples/pending.json — ecfmg-policy explain"
    assert len(root.all("style")) == 1
    for tag in ("script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignobject"):
        assert root.all(tag) == [], tag
    attributes = [(name, value) for node in root.all() for name, value in node.attrs.items()]
    assert not [a for a in attributes if a[0] in ("src", "href", "srcset", "xlink:href", "action", "style")]
    assert not [a for a in attributes if a[0].startswith("on")]
    style = root.one("style").text
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    assert re.findall(r"\w+://[^\s\"'<>]*", html) == ["http://www.w3.org/2000/svg"]  # the SVG namespace, not a request


def test_the_header_gives_the_decision_record_and_policy():
    root = page(sample())
    header = root.one("header")
    assert header.one("h1").text == "Pending"
    assert header.one("p", "summary").text == SAMPLE["summary"]
    meta = header.one("dl").text
    for expected in ("examples/pending.json", "3f1c0e5b0c7a", "2024-01-10", "Requirements for ECFMG Certification",
                     "ecfmg-certification", "version 2022.1", "from 2022-01-01, no end date",
                     "policies/ecfmg-certification/2022-01-01.yaml"):
        assert expected in meta, expected
    assert SAMPLE["record"]["sha256"] not in meta  # short on the page, whole when hovered
    assert header.all("code")[1].attrs["title"] == SAMPLE["record"]["sha256"]


def test_one_row_per_rule_in_the_documents_order_with_its_badge():
    found = rows(page(sample()))
    assert [r.one("code", "rule-id").text for r in found] == [r["id"] for r in SAMPLE["rules"]]
    assert [r.attrs["data-outcome"] for r in found] == ["unmet", "unmet", "met", "not_applicable"]
    assert [r.attrs["id"] for r in found] == ["rule-" + r["id"] for r in SAMPLE["rules"]]
    assert [r.one("span", "badge").text for r in found] == ["✗ still to do", "✗ still to do", "✓ met",
                                                           "– does not apply"]
    assert found[0].one("span", "rule-title").text == "Application fee paid"
    assert found[0].one("p", "message").text == "Pay the USD 160 application fee (paid so far: USD 75)"
    assert found[2].all("p", "message") == []  # a met rule has no message to give


def test_a_heading_for_each_group_that_has_rules():
    headings = [h.text for h in page(sample()).all("tr", "group-heading")]
    assert headings == ["Still to do (2)", "Met (1)", "Does not apply (1)"]  # no empty "Blocks certification"


def test_details_open_where_something_is_to_be_done():
    opened = {r.one("code", "rule-id").text: "open" in r.one("details").attrs for r in rows(page(sample()))}
    assert opened == {"application.fee": True, "exams.passed_in_window": True, "application.usmle_id": False,
                      "certificate.issued_after_requirements": False}


def test_the_details_of_a_rule():
    root = page(sample())
    fee = row(root, "application.fee")
    parts = {p.one("div", "part-title").text: p for p in fee.all("div", "part")}
    assert list(parts) == ["What would meet it", "Facts read from the record", "Parameters", "Computed", "Clause"]
    assert parts["What would meet it"].one("li").text == "Still to pay (USD): 85"
    assert [li.text for li in parts["Facts read from the record"].all("li")] == [
        "/application/fee_paid_usd = 75", "/application/submitted_on = 2022-03-01"]
    assert parts["Parameters"].one("li").text == ("application_fee_usd = 160 (on 2022-03-01, set by version 2022.1, "
                                                  "policies/ecfmg-certification/2022-01-01.yaml:20)")
    assert parts["Computed"].one("li").text == ("The application, once submitted by the as-of date (none before) = "
                                                "submitted_on: 2022-03-01, fee_paid_usd: 75")
    clause = parts["Clause"]
    assert clause.one("p").text == ("Version 2022.1, in effect from 2022-01-01, no end date — "
                                    "policies/ecfmg-certification/2022-01-01.yaml:31")
    assert clause.one("blockquote").text == '"Current Application Fee: $160 USD"'

    exams = row(root, "exams.passed_in_window")
    assert "Attempts left: USMLE_STEP2_CK: 3" in exams.text
    assert "exam_window = 7 years (set by version 2004.1, policies/ecfmg-certification/2004-06-14.yaml:24)" in exams.text
    assert "The day the exam requirements were met = none" in exams.text
    not_applicable = row(root, "certificate.issued_after_requirements")
    assert "/certificate/issued_on = not given" in not_applicable.text
    assert not_applicable.all("blockquote") == []  # its clause quotes no source
    assert "advisory" in not_applicable.one("div", "rule-head").text


def test_values_without_text_read_as_words_never_as_python():
    document = sample()
    rule = document["rules"][0]
    rule["to_meet"] = [{"label": "list", "value": ["USMLE_STEP1", "USMLE_STEP2_CK"]},
                       {"label": "object", "value": {"USMLE_STEP2_CK": 3, "OET": None}},
                       {"label": "null", "value": None}, {"label": "true", "value": True},
                       {"label": "false", "value": False}, {"label": "whole", "value": 160.0},
                       {"label": "nested", "value": [[1, 2], {"a": [True]}]}, {"label": "empty", "value": []}]
    rule["facts"] = [{"pointer": "/flag", "value": False, "given": True}, {"pointer": "/gone", "value": None}]
    rule["computed"] = [{"name": "window_starts", "title": None, "value": ["2019-05-02", "2020-01-15"]}]
    fee = row(page(document), "application.fee")
    assert [li.text for li in fee.all("div", "part-to-meet")[0].all("li")] == [
        "list: USMLE_STEP1, USMLE_STEP2_CK", "object: USMLE_STEP2_CK: 3, OET: none", "null: none", "true: yes",
        "false: no", "whole: 160", "nested: (1, 2), (a: (yes))", "empty: none"]
    assert "/flag = no" in fee.text and "/gone = none" in fee.text
    assert "window_starts = 2019-05-02, 2020-01-15" in fee.text
    for python in ("None", "True", "False", "['", "{'", "[1", "160.0"):
        assert python not in fee.text, python


def test_reference_data_by_name_and_pointer():
    document = sample()
    document["rules"][0]["data"] = [{"name": "medical_schools", "pointer": "/F0001234/name",
                                     "value": "Universidad Central", "text": "Universidad Central"},
                                    {"name": "countries", "pointer": "/XX/listed", "value": True}]
    part = row(page(document), "application.fee").one("div", "part-data")
    assert part.one("div", "part-title").text == "Reference data"
    assert [li.text for li in part.all("li")] == ["medical_schools /F0001234/name = Universidad Central",
                                                  "countries /XX/listed = yes"]


def blocked() -> dict:
    """The sample with the exam rule blocking (first, as the document orders it) and an error."""
    document = sample()
    exams = document["rules"].pop(1)
    exams.update(outcome="blocked", message="No attempts of USMLE_STEP2_CK are left")
    fee = document["rules"].pop(0)
    fee.update(outcome="error", message="fee_paid_usd is not a number")
    document["rules"][:0] = [exams, fee]
    document.update(decision="ineligible", summary="Ineligible: 1 requirement can no longer be met.")
    groups = {g["outcome"]: g for g in document["groups"]}
    groups["blocked"]["rules"], groups["error"]["rules"] = ["exams.passed_in_window"], ["application.fee"]
    groups["unmet"]["rules"] = []
    return document


def test_a_blocked_rule_leads_under_its_own_heading():
    root = page(blocked())
    assert root.one("h1").text == "Ineligible"
    assert [h.text for h in root.all("tr", "group-heading")] == [
        "Blocks certification (1)", "Could not be decided (1)", "Met (1)", "Does not apply (1)"]
    first, second = rows(root)[:2]
    assert first.attrs["data-outcome"] == "blocked" and first.one("span", "badge").text == "⊘ blocks"
    assert second.attrs["data-outcome"] == "error" and second.one("span", "badge").text == "! error"
    assert "open" in first.one("details").attrs and "open" in second.one("details").attrs


def invalid() -> dict:
    document = sample()
    document.update(decision="invalid", summary="Invalid: the record could not be evaluated.", rules=[],
                    outputs={}, timeline=None,
                    errors=[{"path": "/exams/0/date", "message": "'2019-13-02' is not a date"},
                            {"path": "", "message": "'usmle_id' is a required property"}])
    for group in document["groups"]:
        group["rules"] = []
    return document


def test_an_invalid_record_lists_its_problems_and_nothing_else():
    root = page(invalid())
    assert root.one("h1").text == "Invalid"
    problems = root.one("ul", "errors").all("li")
    assert [p.text for p in problems] == ["/exams/0/date '2019-13-02' is not a date",
                                          "(the whole record) 'usmle_id' is a required property"]
    assert problems[0].one("code").text == "/exams/0/date"
    assert root.all("table") == [] and root.all("svg") == [] and rows(root) == []


def test_the_timeline_marks_attempts_windows_the_as_of_date_and_versions():
    svg = page(sample()).one("svg")
    assert svg.classes == ["timeline"] and svg.attrs["role"] == "img"
    assert svg.attrs["viewbox"]  # (the parser lowers names).startswith("0 0 ")
    assert "2019-01-01 to 2027-01-01" in svg.attrs["aria-label"]
    [window] = svg.all("rect", "window")
    assert window.classes == ["window", "current"]
    assert svg.one("text", "window-label").text == "window that counts"
    attempts = svg.all("g", "attempt")
    assert [a.attrs["data-result"] for a in attempts] == ["pass", "fail", "pass"]
    assert [bool(a.all("path")) for a in attempts] == [False, True, False]  # a cross for a failure
    assert [a.attrs["data-date"] for a in attempts] == ["2019-05-02", "2020-01-15", "2024-02-01"]
    later = attempts[2]
    assert "later" in later.classes and "after the as-of date" in later.one("title").text
    assert all("later" not in a.classes for a in attempts[:2])
    assert attempts[1].one("title").text == "USMLE_STEP2_CK: failed on 2020-01-15 (/exams/1)"
    assert [own_text(t) for t in svg.all("text", "lane-label")] == ["Window", "USMLE_STEP1", "USMLE_STEP2_CK"]
    as_of = svg.one("g", "as-of-mark")
    assert as_of.one("line").classes == ["as-of"] and as_of.one("text").text == "as of 2024-01-10"
    boundaries = svg.all("g", "version-boundary")
    assert [b.one("text").text for b in boundaries] == ["2021.1", "2021.2", "2022.1"]
    assert "dasharray" in page(sample()).one("style").text.split("version-boundary line")[1].split("}")[0]
    assert [t.text for t in svg.all("text", "year")] == [str(y) for y in range(2019, 2028)]
    # every mark says, when hovered, what it is and when
    for mark in attempts + [window] + boundaries + [as_of]:
        assert re.search(r"\d{4}-\d\d-\d\d", mark.one("title").text), mark.tag


def test_only_versions_inside_the_span_are_drawn():
    document = sample()
    document["timeline"]["versions"][:0] = [{"version": "2004.1", "effective_from": "2004-06-14"}]
    document["timeline"]["versions"].append({"version": "2030.1", "effective_from": "2030-01-01"})
    svg = page(document).one("svg")
    assert [b.one("text").text for b in svg.all("g", "version-boundary")] == ["2021.1", "2021.2", "2022.1"]


def two_windows() -> dict:
    document = sample()
    timeline = document["timeline"]
    timeline["from"] = "2012-01-01"
    timeline["exams"][0]["attempts"][:0] = [{"date": "2013-02-01", "result": "fail", "pointer": "/exams/3",
                                             "counts": True},
                                            {"date": "2014-03-01", "result": "absent", "pointer": "/exams/4",
                                             "counts": True}]
    timeline["windows"] = [{"start": "2013-02-01", "end": "2020-02-01", "current": False},
                           {"start": "2019-05-02", "end": "2026-05-02", "current": True}]
    return document


def test_two_windows_one_of_them_the_one_that_counts():
    svg = page(two_windows()).one("svg")
    windows = svg.all("rect", "window")
    assert [w.classes for w in windows] == [["window"], ["window", "current"]]
    assert float(windows[0].attrs["x"]) < float(windows[1].attrs["x"])
    assert "the window that counts" in windows[1].one("title").text
    assert "counts" not in windows[0].one("title").text
    other = [a for a in svg.all("g", "attempt") if a.attrs["data-result"] == "absent"]
    assert len(other) == 1 and "other" in other[0].classes and "result absent" in other[0].one("title").text


def empty_timeline() -> dict:
    document = sample()
    document["timeline"].update(exams=[], windows=[], versions=[])
    return document


def test_an_empty_timeline_still_has_its_axis():
    svg = page(empty_timeline()).one("svg")
    assert svg.one("text", "empty").text == "No exam attempts in the record"
    assert svg.all("line", "axis") and len(svg.all("text", "year")) == 9
    assert svg.all("g", "attempt") == [] and svg.all("rect", "window") == []


def test_the_outputs_by_name():
    outputs = page(sample()).one("dl", "outputs")
    assert [n.text for n in outputs.all("dt")] == ["window_starts_on", "window_ends_on", "exams_outstanding"]
    assert [v.text for v in outputs.all("dd")] == ["2019-05-02", "2026-05-02", "USMLE_STEP2_CK"]


def hostile() -> dict:
    """The sample with markup where a record or a policy could put it."""
    document = sample()
    document["record"].update(label=f"{HOSTILE}.json", sha256='"><script>alert(3)</script>')
    rule = document["rules"][0]
    rule.update(id='fee"><script>alert(4)</script>', title=HOSTILE_STYLE, message=f"Pay {HOSTILE} {HOSTILE_STYLE}")
    rule["facts"][0]["pointer"] = f"/{HOSTILE}"
    rule["clause"]["source"] = f'"{HOSTILE_STYLE}"'
    document["groups"][2]["heading"] = HOSTILE
    document["groups"][2]["rules"][0] = rule["id"]
    document["rules"][2]["outcome"] = 'met" onclick="alert(5)'
    document["outputs"] = {HOSTILE: HOSTILE_STYLE}
    timeline = document["timeline"]
    timeline["exams"][0]["exam"] = HOSTILE
    timeline["exams"][0]["attempts"][0]["result"] = 'pass" onmouseover="alert(6)'
    timeline["versions"][0]["version"] = HOSTILE_STYLE
    return document


def test_hostile_strings_arrive_as_text():
    html = render_html(hostile())
    root = Tree(html).root
    assert root.all("script") == []
    assert "<script" not in html.lower() and "</style><" not in html
    assert root.one("style").text == Tree(render_html(sample())).root.one("style").text  # nothing added to it
    assert not [name for node in root.all() for name in node.attrs if name.startswith("on")]
    assert all(re.fullmatch(r"[a-z-]+", c) for node in root.all() for c in node.classes)
    assert root.one("head").one("title").text.startswith(f"Pending — {HOSTILE}.json")
    fee = rows(root)[0]
    assert fee.one("p", "message").text == f"Pay {HOSTILE} {HOSTILE_STYLE}"
    assert fee.one("span", "rule-title").text == HOSTILE_STYLE
    assert fee.one("blockquote").text == f'"{HOSTILE_STYLE}"'
    assert f"/{HOSTILE} = 75" in fee.text
    assert fee.attrs["id"].startswith("rule-fee--") and fee.one("code", "rule-id").text == 'fee"><script>alert(4)</script>'
    assert rows(root)[2].attrs["data-outcome"] == 'met" onclick="alert(5)'
    assert root.all("tr", "group-heading")[0].text == f"{HOSTILE} (2)"
    svg = root.one("svg")
    assert svg.all("text", "lane-label")[1].one("title").text == HOSTILE
    assert svg.all("g", "attempt")[0].attrs["data-result"] == 'pass" onmouseover="alert(6)'
    assert svg.all("g", "version-boundary")[0].one("text").text == HOSTILE_STYLE
    assert root.one("dl", "outputs").text == f"{HOSTILE} {HOSTILE_STYLE}"


def test_a_document_missing_parts_still_renders():
    assert Tree(render_html({})).root.one("h1").text == "Unknown"
    document = sample()
    document["timeline"].update({"from": "not a date"})
    document["rules"][0].update(facts="not a list", clause=None)
    document["timeline"]["exams"][1]["attempts"][0]["date"] = None
    root = page(document)
    assert len(rows(root)) == 4 and root.all("svg") == []


# -- in a real browser ---------------------------------------------------------------------

def test_without_chromium_the_browser_tests_say_how_to_install_it():
    with pytest.raises(ChromiumMissing, match=re.escape("apt-get install -y chromium")):
        find_chromium(["/nonexistent/chromium", None])


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module; without one this errors with how to install it (never skips)."""
    with Browser() as chromium:
        yield chromium


@pytest.fixture
def open_page(browser, tmp_path):
    def open_page(document: dict, expressions: dict[str, str] | None = None, **options):
        path = tmp_path / "explain.html"
        path.write_text(render_html(document), encoding="utf-8")
        return browser.render(path, expressions, **options)
    return open_page


BOX = "(e => e && e.getBoundingClientRect().toJSON())"
BOXES = {"svg": f"{BOX}(document.querySelector('svg.timeline'))",
         "axis": f"{BOX}(document.querySelector('svg.timeline line.axis'))",
         "as_of": f"{BOX}(document.querySelector('svg.timeline line.as-of'))",
         "window_boxes": f"[...document.querySelectorAll('rect.window')].map(e => ({{...{BOX}(e), start: e.dataset.start}}))",
         "attempt_boxes": f"[...document.querySelectorAll('g.attempt')].map(e => ({{...{BOX}(e), date: e.dataset.date}}))"}
COUNTS = {"rows": "document.querySelectorAll('tr.rule').length",
          "svgs": "document.querySelectorAll('svg.timeline').length",
          "windows": "document.querySelectorAll('svg rect.window').length",
          "attempts": "document.querySelectorAll('svg .attempt').length",
          "scripts": "document.querySelectorAll('script').length",
          "title": "document.title"}


def looks(png: bytes) -> tuple[int, int, int, float]:
    """A screenshot's width, height, number of distinct colours, and share of pixels not white."""
    width, height, channels, rows = png_rows(png)
    white, colours, painted = b"\xff" * channels, set(), 0
    for row in rows:
        pixels = [row[i:i + channels] for i in range(0, len(row), channels)]
        colours.update(pixels)
        painted += sum(1 for pixel in pixels if pixel != white)
    return width, height, len(colours), painted / (width * height)


def inside(box: dict, outer: dict) -> bool:
    return (outer["left"] - 1 <= box["left"] <= box["right"] <= outer["right"] + 1
            and outer["top"] - 1 <= box["top"] <= box["bottom"] <= outer["bottom"] + 1)


def test_in_chromium_the_sample_reads_as_it_should(open_page, tmp_path):
    shown = open_page(sample(), COUNTS)
    assert "Pending" in shown.text.split("\n")[:3] and SAMPLE["summary"] in shown.text
    attempts = sum(len(e["attempts"]) for e in SAMPLE["timeline"]["exams"])
    assert shown.values == {"rows": len(SAMPLE["rules"]), "svgs": 1, "windows": len(SAMPLE["timeline"]["windows"]),
                            "attempts": attempts, "scripts": 0,
                            "title": "Pending — examples/pending.json — ecfmg-policy explain"}
    for words in ("Still to do (2)", "✗ still to do", "✓ met", "– does not apply", "window that counts",
                  "as of 2024-01-10", "USMLE_STEP2_CK", "Still to pay (USD): 85"):
        assert words in shown.text, words
    # the screenshot: kept for a person, and not blank
    (tmp_path / "explain.png").write_bytes(shown.png)
    SCREENSHOT.write_bytes(shown.png)
    width, height, colours, painted = looks(shown.png)
    assert width == 1024 and height > 1500  # the full page, not the first screen of it
    assert colours > 200 and painted > 0.10, (colours, painted)  # a blank page: 1 colour, nothing painted


def test_in_chromium_the_timeline_puts_each_mark_at_its_date(open_page):
    geometry = open_page(two_windows(), BOXES).values
    svg, axis, as_of = geometry["svg"], geometry["axis"], geometry["as_of"]
    assert svg["width"] > 900 and svg["height"] > 100
    for box in [axis, as_of, *geometry["window_boxes"], *geometry["attempt_boxes"]]:
        assert inside(box, svg), (box, svg)
    # the as-of line sits between the axis' ends, where 2024-01-10 falls between 2012-01-01 and 2027-01-01
    share = (datetime.date(2024, 1, 10) - datetime.date(2012, 1, 1)).days / (
        datetime.date(2027, 1, 1) - datetime.date(2012, 1, 1)).days
    middle = (as_of["left"] + as_of["right"]) / 2
    assert axis["left"] < middle < axis["right"]
    assert abs((middle - axis["left"]) / axis["width"] - share) < 0.01
    # the earlier window starts left of the later one; attempts stand left to right by date
    earlier, later = sorted(geometry["window_boxes"], key=lambda w: w["start"])
    assert earlier["left"] < later["left"] and earlier["right"] < later["right"]
    by_date = sorted(geometry["attempt_boxes"], key=lambda a: a["date"])
    centres = [(a["left"] + a["right"]) / 2 for a in by_date]
    assert centres == sorted(centres) and len(set(centres)) == len(centres)


def test_in_chromium_two_windows_and_an_empty_timeline(open_page):
    shown = open_page(two_windows(), COUNTS)
    assert (shown.values["windows"], shown.values["attempts"]) == (2, 5)
    empty = open_page(empty_timeline(), {**COUNTS, **BOXES})
    assert "No exam attempts in the record" in empty.text
    assert (empty.values["svgs"], empty.values["windows"], empty.values["attempts"]) == (1, 0, 0)
    assert empty.values["axis"]["width"] > 500 and inside(empty.values["axis"], empty.values["svg"])


def test_in_chromium_print_shows_every_rules_details(open_page):
    on_screen = open_page(sample())
    on_paper = open_page(sample(), media="print")
    met_fact = "/usmle_id = 6-234-567-8"  # in the closed details of the met rule
    assert met_fact not in on_screen.text
    assert met_fact in on_paper.text
    assert "/certificate/issued_on = not given" in on_paper.text
    assert "USMLE/ECFMG Identification Number" in on_paper.text  # the met rule's quoted clause


def test_in_chromium_the_page_asks_for_nothing_but_itself(open_page, tmp_path):
    shown = open_page(sample())
    assert shown.requests == [(tmp_path / "explain.html").resolve().as_uri()]


def test_in_chromium_hostile_strings_are_only_text(open_page):
    shown = open_page(hostile(), {**COUNTS, "handlers": "[...document.querySelectorAll('*')].filter(e => "
                                              "[...e.attributes].some(a => a.name.startsWith('on'))).length"})
    assert shown.values["scripts"] == 0 and shown.values["handlers"] == 0
    assert shown.values["title"].startswith(f"Pending — {HOSTILE}.json")
    assert f"Pay {HOSTILE} {HOSTILE_STYLE}" in shown.text
    assert "\n<script>alert(1)<…\n" in shown.text.split("Timeline")[-1]  # the exam code, drawn (cut short) in the SVG
    assert shown.values["rows"] == len(SAMPLE["rules"])


def test_in_chromium_an_invalid_record_shows_its_problems(open_page):
    shown = open_page(invalid(), COUNTS)
    assert "Invalid" in shown.text and "/exams/0/date '2019-13-02' is not a date" in shown.text
    assert (shown.values["rows"], shown.values["svgs"]) == (0, 0)



def test_in_chromium_the_commands_own_page_for_a_record(browser, tmp_path):
    """The real command's page, end to end: what explain --format json says is what Chromium shows."""
    from cli_helpers import invoke

    args = ("explain", "examples/pending.json", "--as-of", "2020-06-01")
    document = json.loads(invoke(*args, "--format", "json").stdout)
    page = tmp_path / "pending.html"
    proc = invoke(*args, "--format", "html", "--output", str(page))
    assert proc.returncode == 1 and proc.stdout == ""  # pending, and the page went to the file
    shown = browser.render(page, COUNTS)
    assert "Pending" in shown.text.split("\n")[:3] and document["summary"] in shown.text
    attempts = sum(len(e["attempts"]) for e in document["timeline"]["exams"])
    assert len(document["timeline"]["windows"]) == 1
    assert shown.values == {"rows": len(document["rules"]), "svgs": 1, "windows": 1, "attempts": attempts,
                            "scripts": 0, "title": "Pending — examples/pending.json — ecfmg-policy explain"}
    for rule in document["rules"]:
        assert rule["title"] in shown.text
    assert "Attempts left at each exam still to pass: USMLE_STEP2_CK: 5, USMLE_STEP2_CS: 6" in shown.text
    assert shown.requests == [page.as_uri()]
    width, height, colours, painted = looks(shown.png)
    assert colours > 200 and painted > 0.10, (colours, painted)


def test_a_huge_record_or_span_still_makes_a_page_of_reasonable_size():
    """Thousands of facts list 200 and say how many more; an axis of ten thousand years ticks by
    the labelled steps, not once a year."""
    document = sample()
    document["rules"][0]["facts"] = [{"pointer": f"/notes/{i}/x", "value": i, "given": True} for i in range(5000)]
    document["timeline"]["from"], document["timeline"]["to"] = "0001-01-01", "9999-12-31"
    html = render_html(document)
    facts = row(page(document), document["rules"][0]["id"]).all("li")
    assert "… and 4800 more (--format json lists them all)" in [li.text for li in facts]
    assert html.count('class="tick"') <= 120 and len(html) < 200_000
