"""``ecfmg-policy test``: run policy test cases; show failures as diffs and rule coverage."""

from __future__ import annotations

import json
import math
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import click

from ecfmg_policy.cli.common import check_output, check_paths_exist, fail_policy, parse_data, usage_error, write_output
from ecfmg_policy.cli.lint import default_policy_paths
from ecfmg_policy.errors import InputError, PolicyError, UsageError, terminal_safe
from ecfmg_policy.evaluator.testing import CaseResult, Coverage, Runner, case_entries, load_case
from ecfmg_policy.evaluator.values import display


def _show(value) -> str:
    """A value for a person; escaped, since cases and policies are untrusted text."""
    return terminal_safe(json.dumps(value) if not isinstance(value, str) else value)


def failure_text(outcome: CaseResult) -> str:
    """Expected against actual, one line each, with the rule's own message."""
    if outcome.problem:
        return f"    could not run: {terminal_safe(outcome.problem)}"
    lines = []
    for m in outcome.mismatches:
        lines.append(f"    {terminal_safe(m.what)}:")
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
        met = "yes" if "met" in reached else "-"
        fail = "yes" if reached & {"unmet", "blocked"} else "-"
        mark = "" if coverage.covered(key) else "   <- not covered"
        lines.append(f"  {version:<{wide}} {rule_id:<{rule_wide}} {met:<4} {fail:<5} "
                     f"{display(sorted(reached)) or 'none'}{mark}")
    lines.append(f"  {shown_percent(coverage.percent())}% of {len(coverage.reached)} rule versions covered")
    return "\n".join(lines)


def as_json(outcomes: list[CaseResult], coverage: Coverage, min_coverage) -> str:
    return json.dumps({
        "cases": [{"file": str(o.case.file), "name": o.case.name, "passed": o.passed, "problem": o.problem,
                   "version": o.result.policy.policy.version if o.result and o.result.policy else None,
                   "mismatches": [{"what": m.what, "expected": m.expected, "actual": m.actual, "detail": m.detail}
                                  for m in o.mismatches]} for o in outcomes],
        "coverage": {"percent": round(coverage.percent(), 2), "minimum": min_coverage,
                     "rules": [{"version": v, "rule": r, "reached": sorted(coverage.reached[(v, r)]),
                                "covered": coverage.covered((v, r))} for v, r in coverage.rule_order]},
        "summary": {"total": len(outcomes), "passed": sum(o.passed for o in outcomes),
                    "failed": sum(not o.passed for o in outcomes)},
    }, indent=2)


def as_junit(outcomes: list[CaseResult], coverage: Coverage) -> str:
    """JUnit XML: one testcase per case, as CI test reporters read it."""
    failures = sum(not o.passed for o in outcomes)
    suite = ET.Element("testsuite", name="ecfmg-policy", tests=str(len(outcomes)), failures=str(failures),
                       errors="0", skipped="0")
    for o in outcomes:
        case = ET.SubElement(suite, "testcase", classname=terminal_safe(o.case.file.stem),
                             name=terminal_safe(o.case.name), file=terminal_safe(str(o.case.file)))
        if not o.passed:
            summary = terminal_safe(o.problem or "") or "; ".join(f"{m.what}: expected {_show(m.expected)}, got {_show(m.actual)}"
                                             for m in o.mismatches)
            failure = ET.SubElement(case, "failure", message=summary, type="mismatch")
            failure.text = failure_text(o)
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="rule_coverage_percent", value=f"{coverage.percent():.2f}")
    suites = ET.Element("testsuites", tests=str(len(outcomes)), failures=str(failures))
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--policy", "policy_path", type=click.Path(path_type=Path), default=None,
              help="Policy folder for every case (default: the folder whose tests/ holds the case).")
@click.option("--data", "data_args", multiple=True, metavar="NAME=PATH", help="Reference data, as for check.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "junit"]), default="text")
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="Write the report to this file.")
@click.option("--min-coverage", type=click.FloatRange(0, 100), default=None, metavar="PERCENT",
              help="Fail unless this share of rules (per version) reached both met and unmet/blocked; "
                   "any rule that reached neither also fails the run.")
@click.option("--run", "pattern", default=None, metavar="REGEX",
              help="Run only the cases whose name matches this regular expression (searched, as pytest -k).")
@click.option("-q", "--quiet", is_flag=True, help="Text: only failures and the summary (no coverage table).")
@click.option("-v", "--verbose", is_flag=True, help="Text: also list every case that passed.")
def test(paths, policy_path, data_args, output_format, output, min_coverage, pattern, quiet, verbose) -> None:
    """Run policy test cases (YAML files in tests/ folders beside the policies).

    Exit status: 0 all cases pass (and coverage is met); 1 a case failed or coverage
    is short; 2 a case file is broken; 3 a broken policy.
    """
    check_paths_exist(paths, "a test case file or a folder holding tests/")
    check_paths_exist([policy_path] if policy_path else [], "a policy file or a folder of them")
    check_output(output, [*paths, *([policy_path] if policy_path else [])])
    entries = case_entries(list(paths) or default_policy_paths())
    if not entries:
        raise click.UsageError("no test cases found (YAML files in a tests/ folder)")
    try:
        selected = re.compile(pattern) if pattern is not None else None
    except re.error as exc:
        usage_error(f"--run {pattern}: not a regular expression ({exc.msg})")
    runner = Runner(policy_path, parse_data(data_args))
    outcomes: list[CaseResult] = []
    broken: list[str] = [entry.problem.render() for entry in entries if entry.problem is not None]
    for file in (entry.path for entry in entries if entry.problem is None):
        try:
            case = load_case(file, policy_path)
            if selected is not None and not selected.search(case.name):
                continue
            outcomes.append(runner.run(case))
        except InputError as exc:
            broken.append(exc.diagnostic.render())
        except PolicyError as exc:
            fail_policy(exc)
        except UsageError as exc:
            raise click.UsageError(str(exc)) from None
    if selected is not None and not outcomes and not broken:
        usage_error(f"--run {pattern}: no test case's name matches")
    coverage = runner.coverage
    failed = [o for o in outcomes if not o.passed]
    uncovered = [k for k in coverage.rule_order if not coverage.reached[k] & {"met", "unmet", "blocked"}]
    short = min_coverage is not None and (coverage.percent() < min_coverage or bool(uncovered))
    verdict = f"{len(outcomes) - len(failed)} passed, {len(failed)} failed"
    if min_coverage is not None and coverage.percent() < min_coverage:
        verdict += (f"; rule coverage {shown_percent(coverage.percent())}% is below the minimum "
                    f"{shown_percent(min_coverage)}%")
    if min_coverage is not None and uncovered:
        verdict += f"; {len(uncovered)} rule version(s) never reached met, unmet or blocked"
    if output_format == "json":
        text = as_json(outcomes, coverage, min_coverage)
    elif output_format == "junit":
        text = as_junit(outcomes, coverage)
    else:
        parts = [f"FAIL {terminal_safe(str(o.case.file))}: {terminal_safe(o.case.name)}\n{failure_text(o)}"
                 for o in failed]
        if verbose:
            parts.insert(0, "\n".join(f"ok   {terminal_safe(str(o.case.file))}: {terminal_safe(o.case.name)}"
                                       for o in outcomes if o.passed))
        if outcomes and not quiet:
            parts.append(coverage_table(coverage))
        parts.append(verdict)
        text = "\n\n".join(parts)
    if output:
        write_output(output, text + "\n")
    elif outcomes or not broken:
        click.echo(text)
    for message in broken:
        click.echo(message, err=True)
    if output_format != "text" and (failed or short):
        click.echo(verdict, err=True)  # machine formats go to files; say why the run failed
    sys.exit(2 if broken else 1 if failed or short else 0)
