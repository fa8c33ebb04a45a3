"""The command line's reporters, in process: what a person or a CI system reads of a run.

The end-to-end tests (``test_cli_check.py``, ``test_ci_reports.py``,
``test_streaming.py``) run the commands; here each reporter is held to what it
promises on its own: the exit status a tally gives, JSON streamed one result at
a time that is still the document ``json.dumps`` would write, escapes in
GitHub annotations, a progress line drawn late, rarely, and erased, colour only
where wanted, and the version timeline ``ecfmg-policy versions`` prints.
"""

from __future__ import annotations

import datetime
import io
import json
from collections import Counter
from pathlib import Path

import click
import pytest

from ecfmg_policy.api import Engine
from ecfmg_policy.cli import common, diagnostics, progress, report
from ecfmg_policy.cli.versions import timeline

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
AS_OF = datetime.date(2020, 6, 1)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


@pytest.fixture(scope="module")
def results(engine) -> dict:
    """The examples' results, by file stem (eligible, pending, ineligible, not-applicable, invalid)."""
    return {path.stem: engine.check(json.loads(path.read_text()), AS_OF, label=path.name)
            for path in sorted(EXAMPLES.glob("*.json"))}


# --- report: tallies, JSON, JSON Lines, text ---------------------------------------------------


@pytest.mark.parametrize("stems, code", [
    ([], 0), (["eligible"], 0), (["eligible", "not-applicable"], 0), (["eligible", "pending"], 1),
    (["ineligible"], 1), (["pending", "invalid"], 2), (["invalid", "eligible"], 2),
])
def test_a_tally_exits_with_the_worst_decision(results, stems, code):
    tally = report.Tally()
    for stem in stems:
        tally.add(results[stem])
    assert tally.exit_code() == code
    assert tally.summary_json()["exit_code"] == code and tally.summary_json()["total"] == len(stems)


def test_a_tally_says_its_counts_in_words(results):
    tally = report.Tally()
    for stem in ("eligible", "pending", "pending", "not-applicable"):
        tally.add(results[stem])
    assert tally.text_summary() == "4 record(s): 1 eligible, 2 pending, 1 not applicable"
    assert tally.summary_json() == {"total": 4, "eligible": 1, "pending": 2, "ineligible": 0, "not_applicable": 1,
                                    "invalid": 0, "exit_code": 1}


@pytest.mark.parametrize("count", [0, 1, 5])
def test_json_written_one_result_at_a_time_is_the_whole_document(results, count):
    """Byte for byte what ``json.dumps(..., indent=2)`` of the whole gives, with one result in memory."""
    chosen = [results[stem] for stem in sorted(results)][:count]
    out = io.StringIO()
    out.write(report.JSON_HEAD)
    tally = report.Tally()
    write = report.ResultFormat("json").writer(out)
    for result in chosen:
        write(result)
        tally.add(result)
    out.write(report.json_tail(tally))
    whole = {"results": [r.to_json() for r in chosen], "summary": tally.summary_json()}
    assert out.getvalue() == json.dumps(whole, indent=2) + "\n"


def test_a_json_lines_record_escapes_what_a_terminal_would_act_on(results):
    result = results["eligible"]._replace(record="evil\u202e\x1b[2J.json")
    line = report.jsonl_line(result)
    assert "\n" not in line and line.isascii()
    assert "\\u202e" in line and "\\u001b" in line
    assert json.loads(line) == result.to_json()
    plain = report.jsonl_line(results["pending"])
    assert json.loads(plain) == results["pending"].to_json()
    assert plain.startswith('{"record":"pending.json","as_of":"2020-06-01","policy":{')  # compact, in order


def test_text_for_a_pending_record_says_what_is_open_first(results):
    text = report.text_for(results["pending"], color=False)
    lines = text.splitlines()
    assert lines[0] == ("pending.json: PENDING as of 2020-06-01 "
                        f"(ecfmg-certification 2004.1, {results['pending'].policy.policy.source})")
    assert lines[1].startswith("  ") and "requirement(s) still to meet" in lines[1]
    assert any(line.startswith("  unmet    education.diploma_received: ") for line in lines)
    assert "  details:" in lines
    assert not any(line.startswith("  met ") for line in lines)  # met rules only with --verbose
    verbose = report.text_for(results["pending"], color=False, verbose=True)
    assert any(line.startswith("  met      ") for line in verbose.splitlines())


def test_text_for_an_invalid_record_lists_its_problems(results):
    text = report.text_for(results["invalid"], color=False)
    assert text.splitlines()[0].startswith("invalid.json: INVALID as of 2020-06-01")
    assert "  error at /application/fee_payed_usd: " in text


def test_text_shows_a_records_name_escaped(results):
    result = results["eligible"]._replace(record="x\x1b]0;owned\x07.json")
    header = report.text_for(result, color=False).splitlines()[0]
    assert "\x1b" not in header and "\x07" not in header and header.startswith("x\\x1b]0;owned\\x07.json: ELIGIBLE")


def test_quiet_text_leaves_out_eligible_records(results):
    out = io.StringIO()
    write = report.ResultFormat("text", quiet=True).writer(out)
    for stem in ("eligible", "pending", "not-applicable"):
        write(results[stem])
    assert [line.split(":")[0] for line in out.getvalue().splitlines() if line and not line.startswith(" ")] == [
        "pending.json"]


# --- diagnostics: GitHub annotations ------------------------------------------------------------


def test_an_annotation_escapes_what_would_end_its_fields(tmp_path):
    (tmp_path / ".git").mkdir()
    file = tmp_path / "policies" / "a,b:c.yaml"
    line = diagnostics.annotation("error", "50% done\nsecond line", "ecfmg-policy x:y", str(file), 3, 7,
                                  root=tmp_path)
    assert line == "::error file=policies/a%2Cb%3Ac.yaml,line=3,col=7,title=ecfmg-policy x%3Ay::50%25 done%0Asecond line"


def test_annotation_files_are_paths_from_the_repository_root(tmp_path):
    (tmp_path / ".git").mkdir()
    inside = tmp_path / "deep" / "policies"
    inside.mkdir(parents=True)
    assert diagnostics.root_of(str(inside / "x.yaml")) == tmp_path
    assert diagnostics.repo_path(str(inside / "x.yaml"), tmp_path) == "deep/policies/x.yaml"
    outside = Path("/elsewhere/x.yaml")
    assert diagnostics.repo_path(str(outside), tmp_path) == "/elsewhere/x.yaml"
    assert diagnostics.repo_path("rel/x.yaml", None) == "rel/x.yaml"


# --- progress -----------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def __init__(self, tty: bool = True):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty, to_terminal, term, shown", [
    (True, False, "xterm", True), (True, True, "xterm", False), (False, False, "xterm", False),
    (True, False, "dumb", False),
])
def test_progress_is_shown_only_to_a_person_watching_standard_error(monkeypatch, tty, to_terminal, term, shown):
    monkeypatch.setenv("TERM", term)
    assert progress.wanted(to_terminal, Terminal(tty)) is shown


def test_progress_appears_late_is_redrawn_rarely_and_is_erased(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: now[0])
    stream = Terminal()
    line = progress.Progress(stream)
    for _ in range(640):
        line.record("eligible")
    assert stream.getvalue() == ""  # a short run prints nothing
    now[0] += 2.0
    line.update(Counter({"eligible": 900, "pending": 100}))
    assert stream.getvalue() == "\r1,000 records, 500/s: 900 eligible, 100 pending"
    now[0] += 0.1
    line.update(Counter({"eligible": 950, "pending": 100}))
    assert stream.getvalue().count("\r") == 1  # not redrawn within a quarter of a second
    line.write("a problem\n")
    assert stream.getvalue().endswith("\r" + " " * 47 + "\ra problem\n")  # erased before other lines
    line.close()
    assert stream.getvalue().endswith("a problem\n")  # nothing left to erase


# --- common: colour, --data ---------------------------------------------------------------------


@pytest.mark.parametrize("choice, terminal, env, coloured", [
    ("always", False, {}, True), ("never", True, {}, False), ("auto", True, {}, True), ("auto", False, {}, False),
    ("auto", True, {"NO_COLOR": "1"}, False), ("auto", True, {"TERM": "dumb"}, False),
])
def test_colour_only_where_wanted(monkeypatch, choice, terminal, env, coloured):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert common.use_color(choice, terminal) is coloured


@pytest.mark.parametrize("value", ["world_directory", "=x.json", "world_directory=", "x"])
def test_data_must_be_name_equals_path(value):
    with pytest.raises(click.BadParameter) as caught:
        common.parse_data((value,))
    assert f"`{value}`: expected NAME=PATH, e.g. world_directory=schools.json" in caught.value.format_message()


def test_data_names_map_to_paths():
    assert common.parse_data(("world_directory=a=b.json",)) == {"world_directory": Path("a=b.json")}


# --- versions -----------------------------------------------------------------------------------


def test_the_timeline_gives_each_version_its_days_and_changes(engine):
    entries = timeline(engine.policies)
    assert [(e["version"], e["effective_from"], e["effective_to"]) for e in entries] == [
        ("2004.1", "2004-06-14", "2021-01-25"), ("2021.1", "2021-01-26", "2021-06-30"),
        ("2021.2", "2021-07-01", "2021-12-31"), ("2022.1", "2022-01-01", None)]
    assert entries[0]["changes"] is None
    assert {"name": "max_attempts", "old": 6, "new": 4} in entries[2]["changes"]["params"]
    assert entries[2]["changes"]["against"] == "2021.1"
    assert {"name": "application_fee_usd", "old": 75,
            "new": {"history": [{"from": "2004-06-14", "value": 75}, {"from": "2022-01-01", "value": 160}]}
            } in entries[3]["changes"]["params"]
    assert entries[3]["changes"]["rules_changed"] == [{"id": "application.fee", "fields": ["source"]}]
    assert entries[3]["changes"]["rules_affected"] == ["application.fee"]  # its fee has a history now
    assert all(e["file"].endswith(f"{e['effective_from']}.yaml") for e in entries)
