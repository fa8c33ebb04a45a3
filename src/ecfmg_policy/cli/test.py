"""``ecfmg-policy test``: run policy test cases; show failures as diffs and rule coverage."""

from __future__ import annotations

import datetime
import json
import math
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import click

from ecfmg_policy.cli import diagnostics as formats
from ecfmg_policy.cli.common import check_output, check_paths_exist, parse_data, usage_error, write_output
from ecfmg_policy.cli.lint import default_policy_paths
from ecfmg_policy.cli.exits import EXIT_INVALID, EXIT_POLICY
from ecfmg_policy.errors import UsageError, terminal_safe
from ecfmg_policy.evaluator.policy.model import Outcome
from ecfmg_policy.evaluator.tools.testing import CaseResult, Coverage, Runner, TestRun, case_entries, run_cases
from ecfmg_policy.evaluator.language.values import display


def _show(value) -> str:
    """A value for a person; escaped, since cases and policies are untrusted text."""
    return terminal_safe(json.dumps(value) if not isinstance(value, str) else value)


def failure_text(outcome: CaseResult) -> str:
    """Expected against actual, one line each, with the rule's own message."""
    if outcome.problem:
        return f"    could not run: {terminal_safe(outcome.problem)}"
    lines = []
    for m in outcome.mismatches:
        via = f" (by {m.via}, line {outcome.case.line_of(m.via)})" if m.via else ""
        lines.append(f"    {terminal_safe(m.what)}{via}:")
        lines.append(f"      - expected: {_show(m.expected)}")
        lines.append(f"      + actual:   {_show(m.actual)}")
        if m.detail:
            lines.append(f"        ({terminal_safe(m.detail)})")
    return "\n".join(lines)


def shown_percent(value: float) -> str:
    """A share as printed: cut (never rounded up) to two decimals, so 99.5% below a minimum of
    100% never reads "100% is below the minimum 100%"."""
    cut = math.floor(value * 100) / 100
    return f"{cut:.2f}".rstrip("0").rstrip(".")


def coverage_table(coverage: Coverage) -> str:
    keys = [tuple(map(terminal_safe, key)) for key in coverage.rule_order]
    wide = max([len("version")] + [len(v) for v, _ in keys])  # columns as wide as what they hold
    rule_wide = max([len("rule")] + [len(r) for _, r in keys])
    lines = ["rule coverage (met / failing = unmet or blocked):",
             f"  {'version':<{wide}} {'rule':<{rule_wide}} {'met':<4} {'fail':<5} reached"]
    for key, (version, rule_id) in zip(coverage.rule_order, keys):
        reached = coverage.reached[key]
        met = "yes" if Outcome.MET in reached else "-"
        fail = "yes" if reached & {Outcome.UNMET, Outcome.BLOCKED} else "-"
        mark = "" if coverage.covered(key) else "   <- not covered"
        lines.append(f"  {version:<{wide}} {rule_id:<{rule_wide}} {met:<4} {fail:<5} "
                     f"{display(sorted(reached)) or 'none'}{mark}")
    lines.append(f"  {shown_percent(coverage.percent())}% of {len(coverage.reached)} rule versions covered")
    return "\n".join(lines)


def verdict(run: TestRun, min_coverage: float | None) -> str:
    """The closing line: every case, error and case not run counted; why coverage fails, if it does."""
    failed = len(run.failed)
    line = f"{len(run.results) - failed} passed, {failed} failed"
    if run.errors:
        line += f", {len(run.errors)} error" + ("s" if len(run.errors) != 1 else "")
    if run.not_run:
        line += f", {len(run.not_run)} not run (their policy is broken)" if run.broken_policies else \
            f", {len(run.not_run)} not run (their data cannot be read)"
    if min_coverage is not None and not run.broken_policies:
        if run.coverage.percent() < min_coverage:
            line += (f"; rule coverage {shown_percent(run.coverage.percent())}% is below the minimum "
                     f"{min_coverage:g}%")  # the minimum as given: cut, 1.588 would read as 1.58
        if uncovered(run):
            line += f"; {len(uncovered(run))} rule version(s) never reached met, unmet or blocked"
    return line


def uncovered(run: TestRun) -> list[tuple[str, str]]:
    coverage = run.coverage
    return [k for k in coverage.rule_order if not coverage.reached[k] & {Outcome.MET, Outcome.UNMET, Outcome.BLOCKED}]


def as_text(run: TestRun, min_coverage, quiet: bool, verbose: bool) -> str:
    parts = [d.render() for d in run.errors]
    if verbose:
        parts.append("\n".join(f"ok   {terminal_safe(str(o.case.file))}: {terminal_safe(o.case.name)}"
                               for o in run.results if o.passed))
    parts += [f"FAIL {terminal_safe(str(o.case.file))}: {terminal_safe(o.case.name)}\n{failure_text(o)}"
              for o in run.failed]
    if run.not_run:
        folders = sorted({str(c.policy_dir) for c in run.not_run})
        line = (f"{len(run.not_run)} case(s) not run: the policy they test is broken, or its data unreadable "
                f"({terminal_safe(', '.join(folders))})")
        if verbose:
            line += "\n" + "\n".join(f"  {terminal_safe(str(c.file))}: {terminal_safe(c.name)}" for c in run.not_run)
        parts.append(line)
    if run.results and not quiet:
        parts.append(coverage_table(run.coverage))
    parts.append(verdict(run, min_coverage))
    return "\n\n".join(p for p in parts if p)


def as_json(run: TestRun, min_coverage) -> str:
    coverage = run.coverage
    return json.dumps({
        "cases": [{"file": str(o.case.file), "name": o.case.name, "passed": o.passed, "problem": o.problem,
                   "version": o.result.policy.policy.version if o.result and o.result.policy else None,
                   "mismatches": [{"what": m.what, "expected": m.expected, "actual": m.actual, "detail": m.detail,
                                   "via": m.via, "line": o.case.line_of(m.stated_by)} for m in o.mismatches]}
                  for o in run.results],
        "errors": [d.to_json() | {"in": "policy"} for d in run.broken_policies]
                  + [d.to_json() | {"in": "data"} for d in run.bad_data]
                  + [d.to_json() | {"in": "test case"} for d in run.broken_cases],
        "not_run": [{"file": str(c.file), "name": c.name} for c in run.not_run],
        "coverage": {"percent": float(shown_percent(coverage.percent())), "minimum": min_coverage,
                     "rules": [{"version": v, "rule": r, "reached": sorted(coverage.reached[(v, r)]),
                                "covered": coverage.covered((v, r))} for v, r in coverage.rule_order]},
        "summary": {"total": len(run.results), "passed": len(run.results) - len(run.failed),
                    "failed": len(run.failed), "errors": len(run.errors), "not_run": len(run.not_run)},
    }, indent=2)


def _seconds(value: float) -> str:
    """A JUnit ``time``: seconds with at most three decimals (Surefire's pattern, which the XSD requires)."""
    return f"{value:.3f}"


# What XML 1.0 cannot hold at all, even escaped: a JUnit file with one of these is not XML.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(tree: ET.Element) -> ET.Element:
    """Every text and attribute escaped for a terminal, and written as ``\\uXXXX`` where XML cannot hold
    a character: case names, messages and file names are untrusted text."""
    def clean(text: str) -> str:
        return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", terminal_safe(text))

    for element in tree.iter():
        element.attrib = {key: clean(value) for key, value in element.attrib.items()}
        if element.text:  # a report's text keeps its lines
            element.text = "\n".join(clean(line) for line in element.text.split("\n"))
    return tree


def as_junit(run: TestRun) -> str:
    """JUnit XML as pytest writes it (the Jenkins ``junit-10.xsd``): one testcase per case, one error
    testcase per problem of a case file or policy, cases of a broken policy as skipped."""
    failures, errors, skipped = len(run.failed), len(run.errors), len(run.not_run)
    tests = len(run.results) + errors + skipped
    suite = ET.Element("testsuite", name="ecfmg-policy test", tests=str(tests), failures=str(failures),
                       errors=str(errors), skipped=str(skipped), time=_seconds(run.seconds),
                       timestamp=datetime.datetime.now().isoformat(timespec="seconds"))
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="rule_coverage_percent", value=f"{run.coverage.percent():.2f}")
    for d in run.errors:
        where = Path(d.file).stem if d.file else "ecfmg-policy"
        case = ET.SubElement(suite, "testcase", classname=terminal_safe(where),
                             name=terminal_safe(f"{d.code} at {d.location()}"), time=_seconds(0))
        error = ET.SubElement(case, "error", message=terminal_safe(d.message), type=d.code)
        error.text = d.render()
    for o in run.results:
        case = ET.SubElement(suite, "testcase", classname=terminal_safe(o.case.file.stem),
                             name=terminal_safe(o.case.name), time=_seconds(o.seconds))
        if not o.passed:
            summary = "; ".join(text for _, text in o.failures())
            failure = ET.SubElement(case, "failure", message=terminal_safe(summary), type="mismatch")
            failure.text = f"{terminal_safe(str(o.case.file))}:{o.failures()[0][0]}\n{failure_text(o)}"
    for c in run.not_run:
        case = ET.SubElement(suite, "testcase", classname=terminal_safe(c.file.stem), name=terminal_safe(c.name),
                             time=_seconds(0))
        ET.SubElement(case, "skipped", message="not run: the policy it tests is broken", type="policy-broken")
    suites = ET.Element("testsuites", name="ecfmg-policy", tests=str(tests), failures=str(failures),
                        errors=str(errors), time=_seconds(run.seconds))
    suites.append(suite)
    _xml_safe(suites)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


def as_github(run: TestRun) -> str:
    """Annotations for GitHub Actions: each failure at the line of the case file stating what was expected."""
    lines = [formats.as_github(run.errors)] if run.errors else []
    for o in run.failed:
        root = formats.root_of(str(o.case.file))
        lines += [formats.annotation("error", f"{o.case.name}: {text}", "ecfmg-policy test", str(o.case.file),
                                     line, root=root) for line, text in o.failures()]
    return "\n".join(lines)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--policy", "policy_path", type=click.Path(path_type=Path), default=None,
              help="Policy folder for every case (default: the folder whose tests/ holds the case).")
@click.option("--data", "data_args", multiple=True, metavar="NAME=PATH", help="Reference data, as for check.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "junit", "github"]), default="text")
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="Write the report to this file.")
@click.option("--min-coverage", type=click.FloatRange(0, 100), default=None, metavar="PERCENT",
              help="Fail unless this share of rules (per version) reached both met and unmet/blocked; "
                   "any rule that reached neither also fails the run.")
@click.option("--run", "pattern", default=None, metavar="REGEX",
              help="Run only the cases whose name matches this regular expression (searched, as pytest -k).")
@click.option("-q", "--quiet", is_flag=True, help="Text: only failures and the summary (no coverage table).")
@click.option("-v", "--verbose", is_flag=True, help="Text: also list every case that passed, and each case not run.")
def test(paths, policy_path, data_args, output_format, output, min_coverage, pattern, quiet, verbose) -> None:
    """Run policy test cases (YAML files in tests/ folders beside the policies).

    Exit status: 0 all cases pass (and coverage is met); 1 a case failed or coverage
    is short; 2 a case file is broken; 3 a broken policy.
    """
    check_paths_exist(paths, "a test case file or a folder holding tests/")
    check_paths_exist([policy_path] if policy_path else [], "a policy file or a folder of them")
    given_data = parse_data(data_args)
    searched = list(paths) or default_policy_paths()
    output = check_output(output, [*searched, *([policy_path] if policy_path else []), *given_data.values()],
                          reads=(".yaml", ".yml", ".json"))
    entries = case_entries(searched)
    if not entries:
        raise click.UsageError("no test cases found (YAML files in a tests/ folder)")
    try:
        selected = re.compile(pattern) if pattern is not None else None
    except re.error as exc:
        usage_error(f"--run {pattern}: not a regular expression ({exc.msg})")
    except (OverflowError, RecursionError):
        usage_error(f"--run {pattern}: a regular expression too large or too deeply nested to use")
    try:
        run = run_cases(entries, Runner(policy_path, given_data), selected)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    if selected is not None and not run.results and not run.errors and not run.not_run:
        usage_error(f"--run {pattern}: no test case's name matches")
    short = min_coverage is not None and (run.coverage.percent() < min_coverage or bool(uncovered(run)))
    if output_format == "json":
        text = as_json(run, min_coverage)
    elif output_format == "junit":
        text = as_junit(run)
    elif output_format == "github":
        text = as_github(run)
    else:
        text = as_text(run, min_coverage, quiet, verbose)
    if output:
        write_output(output, text + "\n")
    elif text:
        click.echo(text)
    failing = run.errors or run.failed or short
    if output_format != "text" and failing:
        click.echo(verdict(run, min_coverage), err=True)  # machine formats go to files; say why the run failed
    sys.exit(EXIT_POLICY if run.broken_policies else EXIT_INVALID if run.broken_cases or run.bad_data
             else 1 if run.failed or short else 0)
