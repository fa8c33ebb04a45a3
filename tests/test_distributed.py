"""Beyond one machine (issue 10, item 7): the engine pickles, ``check_lines`` checks a partition
exactly as ``check`` checks a file, and the README's Dask recipe gives ``check``'s output.

Dask comes from the test extra (``ecfmg-policy[test]``): no test here skips without it.
"""

from __future__ import annotations

import copy
import datetime
import json
import multiprocessing
import os
import pickle
import random
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from cli_helpers import ROOT, invoke
from ecfmg_policy import Engine, UsageError, check_lines
from ecfmg_policy.evaluator.language import nodes as n
from ecfmg_policy.evaluator.tools.testing import case_files, load_case

AS_OF = "2020-06-01"
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def _cases() -> list[tuple[str, dict, datetime.date, str | None]]:
    """(label, record, as-of, version) of every example record and every test case of the bundled policy."""
    examples = [(path.name, json.loads(path.read_text(encoding="utf-8")), datetime.date(2020, 6, 1), None)
                for path in EXAMPLES]
    cases = [load_case(file) for file in case_files([ROOT / "policies"])]
    assert len(cases) > 100
    return examples + [(str(c.file), c.record, c.as_of, c.policy_version) for c in cases]


def _decide_all(engine: Engine, cases) -> list[dict]:
    """Run in a process started with spawn: the engine arrives pickled."""
    return [engine.check(record, as_of, version, label=label).to_json() for label, record, as_of, version in cases]


# --- pickling ---------------------------------------------------------------------------------


def test_the_engine_pickles_with_the_standard_pickle_and_decides_the_same(engine):
    cases = _cases()
    before = _decide_all(engine, cases)  # the original has generated its code and made its evaluators
    for fresh in (Engine.load(), engine):  # not yet used, and used
        for protocol in (2, pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL):
            copied = pickle.loads(pickle.dumps(fresh, protocol=protocol))
            assert all("_generated" not in c.__dict__ for c in copied.policies.versions)  # made again, lazily
            assert _decide_all(copied, cases) == before


def test_the_unpickled_policy_generates_the_same_python(engine):
    """The checker's facts travel on the tree (each node's type and charged flag): on arrival
    they give the same code."""
    copied = pickle.loads(pickle.dumps(engine))
    for original, arrived in zip(engine.policies.versions, copied.policies.versions):
        facts = [[(node.type, node.charged) for e in _expressions(c.policy) for node in n.walk(e.tree)]
                 for c in (original, arrived)]
        assert facts[0] == facts[1] and any(kind is not None for kind, _ in facts[0])
        cost, arrived_cost = original.checked.cost, arrived.checked.cost
        assert (arrived_cost.steps, arrived_cost.parts) == (cost.steps, cost.parts)
        assert arrived.source_code == original.source_code
        assert arrived.effective_to == original.effective_to


def _expressions(policy):
    found = []
    policy.with_expressions(lambda e: found.append(e) or e)
    return found


def test_an_engine_pickles_into_a_process_started_with_spawn(engine):
    cases = _cases()
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        decided = pool.apply(_decide_all, (engine, cases))
    assert decided == _decide_all(engine, cases)


def test_a_policy_using_every_construct_pickles_and_generates_the_same_python(tmp_path):
    """Messages with placeholders, functions with loops, comprehensions, a long chain, deep nesting."""
    policy = tmp_path / "policy.yaml"
    chain = " + ".join(["1"] * 120)
    nested = "(" * 45 + "applicant.status" + ")" * 45
    policy.write_text(textwrap.dedent(f"""\
        policy: t
        version: "1"
        effective_from: 2000-01-01
        data: {{world_directory: world-directory}}
        params: {{fee: 75, window: 7 years}}
        scope: {{when: "applicant.status in ['student', 'graduate']"}}
        definitions:
          passes: "[e for e in coalesce(applicant.exams, []) if e.result == 'pass']"
          by_exam: "{{e: 1 for e in [p.exam for p in passes]}}"
          window_end(d): "d + params.window"
          late(d): "count(x for x in passes if x.date > window_end(d)) > 0"
        rules:
          - id: r1
            title: fee
            require: "coalesce(applicant.application.fee_paid_usd, 0) >= params.fee"
            message: "Pay USD ${{params.fee - coalesce(applicant.application.fee_paid_usd, 0)}} (${{'${{'}})"
            source: test
          - id: r2
            title: exams
            when: "count(passes) > 0"
            require: "not late(min(p.date for p in passes))"
            blocked_when: "count(passes) > 5"
            message: "late: ${{[p.exam for p in passes]}}"
            blocked_message: "blocked ${{count(passes)}}"
            source: test
        outputs:
          chain: "{chain}"
          nested: "{nested}"
          first: "by_exam"
        """), encoding="utf-8")
    engine = Engine.load(policy)
    records = [json.loads(path.read_text(encoding="utf-8")) for path in EXAMPLES]
    before = [engine.check(r, AS_OF).to_json() for r in records]
    copied = pickle.loads(pickle.dumps(engine))
    assert copied.policies.versions[0].source_code == engine.policies.versions[0].source_code
    assert [copied.check(r, AS_OF).to_json() for r in records] == before
    assert before[0]["outputs"]["chain"] == 120


def test_a_result_pickles_too(engine):
    record = json.loads((ROOT / "examples" / "pending.json").read_text(encoding="utf-8"))
    result = engine.check(record, AS_OF)
    assert pickle.loads(pickle.dumps(result)).to_json() == result.to_json()


# --- check_lines: what check writes, line for line --------------------------------------------


def _tricky_lines() -> list[bytes]:
    """Lines of every kind ``check`` meets in a .jsonl file, each with its line ending."""
    pending = json.loads((ROOT / "examples" / "pending.json").read_text(encoding="utf-8"))
    invalid = json.loads((ROOT / "examples" / "invalid.json").read_text(encoding="utf-8"))
    odd_name = copy.deepcopy(pending)
    odd_name["name"]["given"] = "Line\u2028Separator é"
    return [
        json.dumps(pending).encode() + b"\n",
        b"\n",
        b"   \t\r\n",
        json.dumps(pending).encode() + b"\r\n",  # a Windows line end: check keeps the \r
        json.dumps(invalid).encode() + b"\n",  # fails the schema
        json.dumps(odd_name, ensure_ascii=False).encode() + b"\n",  # U+2028 ends no JSON line
        b'{"usmle_id": "1", "usmle_id": "2"}\n',
        b'{"a": NaN}\n',
        b'{"a": 1e400}\n',
        b"[1, 2]\n",
        b'"just a string"\n',
        b'{"usmle_id": \n',
        b'{"name": "caf\xe9"}\n',  # Latin-1, not UTF-8
        b"\xff\xfe{}\n",
        json.dumps(pending).encode(),  # the last line, without its \n
    ]


def _check_jsonl(folder: Path, *files: str) -> str:
    proc = invoke("check", *files, "--format", "jsonl", "--as-of", AS_OF, cwd=folder)
    assert proc.returncode in (0, 1, 2), proc.stderr
    return proc.stdout


def test_check_lines_writes_what_check_writes_for_every_kind_of_line(engine, tmp_path):
    lines = _tricky_lines()
    data = b"".join(lines)
    (tmp_path / "mixed.jsonl").write_bytes(data)
    expected = _check_jsonl(tmp_path, "mixed.jsonl")
    assert expected.count("\n") == 13 and json.loads(expected.splitlines()[-1])["record"] == "mixed.jsonl:15"

    def joined(results) -> str:
        return "".join(line + "\n" for line in results)

    as_text = [line.decode("utf-8", "surrogateescape") for line in lines]
    for given in (lines,  # bytes with their \n, as iterating a binary file gives them
                  as_text,  # str, undecodable bytes kept as surrogates (Dask's errors="surrogateescape")
                  data.split(b"\n"),  # without their \n (Spark's textFile, str.split)
                  [data],  # one item holding the whole file (Spark's binaryFiles)
                  [data.decode("utf-8", "surrogateescape")]):
        assert joined(check_lines(engine, given, AS_OF, source="mixed.jsonl")) == expected
    with open(tmp_path / "mixed.jsonl", "rb") as handle:  # a file is an iterable of lines
        assert joined(check_lines(engine, handle, datetime.date(2020, 6, 1), source="mixed.jsonl")) == expected


def test_a_partition_that_starts_inside_a_file_keeps_the_file_s_line_numbers(engine, tmp_path):
    lines = _tricky_lines()
    (tmp_path / "mixed.jsonl").write_bytes(b"".join(lines))
    expected = _check_jsonl(tmp_path, "mixed.jsonl").splitlines()
    first = list(check_lines(engine, lines[:6], AS_OF, source="mixed.jsonl"))
    rest = list(check_lines(engine, lines[6:], AS_OF, source="mixed.jsonl", first_line=7))
    assert first + rest == expected
    labels = [json.loads(line)["record"] for line in rest]
    assert labels[0] == "mixed.jsonl:7" and labels[-1] == "mixed.jsonl:15"
    assert json.loads(next(check_lines(engine, lines[:1], AS_OF)))["record"] == "<partition>:1"


def test_check_lines_takes_a_version_and_refuses_what_check_refuses(engine, tmp_path):
    line = (ROOT / "examples" / "eligible.json").read_text(encoding="utf-8").replace("\n", "")
    (tmp_path / "one.jsonl").write_text(line + "\n", encoding="utf-8")
    proc = invoke("check", "one.jsonl", "--format", "jsonl", "--as-of", "2024-01-01", "--policy-version", "2004.1",
                   cwd=tmp_path)
    assert list(check_lines(engine, [line], "2024-01-01", version="2004.1", source="one.jsonl")) == \
        proc.stdout.splitlines()
    assert json.loads(proc.stdout)["policy"]["version"] == "2004.1"
    for as_of, version in (("2020-02-30", None), ("1 June 2020", None), ("1990-01-01", None), (AS_OF, "9.9")):
        with pytest.raises(UsageError):
            check_lines(engine, [line], as_of, version)  # at the call, before any line is read
    with pytest.raises(TypeError):
        list(check_lines(engine, [{"usmle_id": "1"}], AS_OF))
    assert list(check_lines(engine, [], AS_OF)) == []
    assert list(check_lines(engine, ["", "\n", b" \r\n"], AS_OF)) == []


def test_check_lines_is_exported_lazily_and_the_base_install_imports_no_dask(tmp_path):
    import ecfmg_policy

    assert "check_lines" in ecfmg_policy.__all__ and check_lines.__module__ == "ecfmg_policy.partition"
    code = textwrap.dedent("""\
        import sys
        import ecfmg_policy
        assert "ecfmg_policy.partition" not in sys.modules and "ecfmg_policy.api" not in sys.modules
        from ecfmg_policy import Engine, check_lines
        from ecfmg_policy.cli.main import main
        print(next(check_lines(Engine.load(), [open("examples/batch.jsonl", "rb").readline()], "2020-06-01")))
        sys.argv[1:] = ["check", "examples", "--as-of", "2020-06-01", "--output", sys.argv[1]]
        try:  # the whole of check
            main()
        except SystemExit as end:
            assert end.code in (1, 2), end.code
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed", "pyspark"))
        assert not loaded, loaded
        """)
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "out.txt")], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["record"] == "<partition>:1"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not any(re.match(r"(dask|distributed)\b", d) for d in project["dependencies"])
    extra = project["optional-dependencies"]["dask"]
    assert len(extra) == 1 and extra[0].startswith("dask[distributed]>=") and extra[0] in project[
        "optional-dependencies"]["test"]


# --- the README's recipes ---------------------------------------------------------------------


def _readme_block(marker: str) -> str:
    """The fenced Python block right after the README line that starts with ``marker``."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Beyond one machine\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(re.escape(marker) + r"[^\n]*-->\n```python\n(.*?)```", section, re.S)
    assert found, f"no Python block after {marker!r} in the README"
    return found.group(1)


def _write_records(folder: Path, files: int, per_file: int) -> list[str]:
    """``files`` JSON Lines files of ``per_file`` lines made from the examples, varied, a few lines unreadable."""
    bases = [json.loads(path.read_text(encoding="utf-8")) for path in EXAMPLES]
    rng = random.Random(10)
    bad = [b'{"usmle_id": "1", "usmle_id": "2"}', b'{"a": NaN}', b"[1, 2]", b'{"usmle_id": ', b'{"n": "caf\xe9"}']
    names = []
    for f in range(files):
        out = []
        for i in range(per_file):
            number = f * per_file + i
            if number % 997 == 13:
                out.append(bad[number % len(bad)])
                continue
            record = copy.deepcopy(bases[rng.randrange(len(bases))])
            record["name"]["given"] = f"Applicant {number}"
            days = datetime.timedelta(days=rng.randint(-1200, 1200))
            for exam in record.get("exams", []):
                try:
                    exam["date"] = (datetime.date.fromisoformat(exam["date"]) + days).isoformat()
                except (KeyError, TypeError, ValueError):
                    pass  # the invalid example's dates stay as they are
            if rng.random() < 0.2 and "application" in record:
                record["application"]["fee_paid_usd"] = rng.choice([0, 25, 75, 100])
            if rng.random() < 0.05:
                record["status"] = "resident"  # fails the schema
            out.append(json.dumps(record).encode())
            if rng.random() < 0.01:
                out.append(b"")  # a blank line, skipped but counted
        name = f"records-{f:03d}.jsonl"
        (folder / name).write_bytes(b"\n".join(out) + b"\n")
        names.append(name)
    return names


def test_the_readme_dask_recipe_gives_check_s_output_on_two_worker_processes(tmp_path):
    import dask  # noqa: F401 - from the test extra; never skipped

    files = _write_records(tmp_path, files=10, per_file=1000)
    script = tmp_path / "check_dask.py"
    script.write_text(_readme_block("<!-- tested: tests/test_distributed.py"), encoding="utf-8")
    assert "LocalCluster(n_workers=2, processes=True" in script.read_text(encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    parts = sorted((tmp_path / "results").glob("*.jsonl"))
    assert [p.name for p in parts] == [f"{i:05d}.jsonl" for i in range(len(files))]
    distributed = "".join(p.read_text(encoding="utf-8") for p in parts)
    expected = _check_jsonl(tmp_path, *files)
    assert expected.count("\n") == 10_000
    assert distributed == expected
    decisions = {json.loads(line)["decision"] for line in expected.splitlines()}
    assert decisions == {"eligible", "pending", "ineligible", "not_applicable", "invalid"}


_PYSPARK_STAND_IN = '''\
"""A stand-in for the PySpark calls of the README recipe, with their contracts: broadcast
values pickled with the standard pickle, functions with cloudpickle, binaryFiles giving
(URI, bytes) per file, saveAsTextFile writing part-NNNNN files of one element a line."""
import glob, os, pickle, re

import cloudpickle


class Broadcast:
    def __init__(self, value):
        self._data = pickle.dumps(value)

    @property
    def value(self):
        return pickle.loads(self._data)


class RDD:
    def __init__(self, partitions):
        self.partitions = partitions

    def mapPartitions(self, f):
        shipped = cloudpickle.loads(cloudpickle.dumps(f))
        return RDD([list(shipped(iter(part))) for part in self.partitions])

    def saveAsTextFile(self, path):
        os.makedirs(path)
        for i, part in enumerate(self.partitions):
            with open(os.path.join(path, f"part-{i:05d}"), "w", encoding="utf-8") as out:
                out.writelines(element + "\\n" for element in part)


class SparkContext:
    def __init__(self, appName=None):
        pass

    def broadcast(self, value):
        return Broadcast(value)

    def binaryFiles(self, pattern):
        files = [("file:" + os.path.abspath(p), open(p, "rb").read()) for p in sorted(glob.glob(pattern))]
        return RDD([files[i:i + 2] for i in range(0, len(files), 2)])

    def textFile(self, pattern):  # one partition a file here; Spark may split a file into several
        partitions = []
        for p in sorted(glob.glob(pattern)):
            lines = re.split("\\r\\n|\\r|\\n", open(p, "rb").read().decode("utf-8", "replace"))
            partitions.append(lines[:-1] if lines[-1] == "" else lines)
        return RDD(partitions)

    def stop(self):
        pass
'''


def _run_with_pyspark_stand_in(tmp_path: Path, code: str) -> str:
    """Run a README PySpark block with the stand-in on its path; what it saved, part by part."""
    (tmp_path / "stand-in" / "pyspark").mkdir(parents=True)
    (tmp_path / "stand-in" / "pyspark" / "__init__.py").write_text(_PYSPARK_STAND_IN, encoding="utf-8")
    (tmp_path / "recipe.py").write_text(code, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "stand-in"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "recipe.py"], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    spark = "".join(p.read_text(encoding="utf-8") for p in sorted((tmp_path / "results").glob("part-*")))
    return spark


def test_the_readme_pyspark_recipe_runs_against_a_stand_in_for_pyspark(tmp_path):
    code = _readme_block("<!-- tested with a stand-in for these PySpark calls")
    assert ".mapPartitions(results_of)" in code and "check_lines(engine.value, [content], AS_OF, source=path)" in code
    lines = _tricky_lines()
    files = []
    for i in range(3):
        files.append(f"records-{i:03d}.jsonl")
        (tmp_path / files[-1]).write_bytes(b"".join(lines[i:-1] + lines[:i] + lines[-1:]))  # the last, no \n
    spark = _run_with_pyspark_stand_in(tmp_path, code)
    expected = _check_jsonl(tmp_path, *(str(tmp_path / name) for name in files))
    assert re.sub(r'("record": ?")file:/', r"\1/", spark) == expected  # Spark names files by URI
    assert expected.count("\n") == 3 * 13


def test_the_readme_pyspark_text_file_variant_labels_lines_by_partition(tmp_path):
    recipe = _readme_block("<!-- tested with a stand-in for these PySpark calls")
    variant = _readme_block("<!-- tested with the same stand-in").strip()
    assert variant.startswith('sc.textFile("records-*.jsonl").mapPartitions(lambda lines: check_lines(engine.value, '
                              'lines, AS_OF))')
    code = re.sub(r"(?m)^sc\.binaryFiles\(.*$", lambda _: variant + '.saveAsTextFile("results")', recipe)
    assert code != recipe
    files = _write_records(tmp_path, files=2, per_file=40)  # \n line ends and UTF-8: as check reads them
    spark = _run_with_pyspark_stand_in(tmp_path, code)
    expected = "".join(re.sub(r'("record": ?")records-\d+\.jsonl:', r"\1<partition>:", _check_jsonl(tmp_path, name))
                       for name in files)
    assert spark == expected and expected.count("\n") == 80
