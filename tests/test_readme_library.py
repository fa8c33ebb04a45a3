"""The README's library example runs and prints what the README says (issue 9, item 9)."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import resources

from cli_helpers import ROOT


def test_the_readme_library_example_prints_what_the_readme_shows():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## As a library", 1)[1].split("\n## ", 1)[0]
    code, shown = re.search(r"```python\n(.*?)```\s*```text\n(.*?)```", section, re.S).groups()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == shown


def test_the_package_is_typed_and_exports_its_engine():
    import ecfmg_policy
    from ecfmg_policy import Engine, InputError, PolicyError, RecordResult, UsageError

    assert resources.files("ecfmg_policy").joinpath("py.typed").is_file()
    assert set(ecfmg_policy.__all__) >= {"Engine", "RecordResult", "PolicyError", "InputError", "UsageError"}
    assert Engine.__module__ == "ecfmg_policy.api" and RecordResult.__name__ == "RecordResult"
    assert all(issubclass(e, Exception) for e in (InputError, PolicyError, UsageError))


def test_check_takes_a_date_or_iso_text_and_gives_the_cli_json(tmp_path):
    import datetime
    import json

    from ecfmg_policy import Engine, UsageError

    engine = Engine.load()
    record = json.loads((ROOT / "examples" / "eligible.json").read_text())
    by_text = engine.check(record, "2020-06-01", label="examples/eligible.json")
    by_date = engine.check(record, datetime.date(2020, 6, 1), label="examples/eligible.json")
    assert by_text.to_json() == by_date.to_json()
    cli = subprocess.run([sys.executable, "-m", "ecfmg_policy", "check", "examples/eligible.json", "--as-of",
                          "2020-06-01", "--format", "json", "--policy", str(engine.policies.versions[0].policy.source
                                                                              ).rsplit("/", 1)[0]],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    cli_result = json.loads(cli.stdout)["results"][0]
    library = by_text.to_json()
    for part in ("record", "as_of", "decision", "rules", "outputs", "errors"):
        assert library[part] == cli_result[part], part
    for bad in ("2020-02-30", "20200601", "June", 20200601, datetime.datetime(2020, 6, 1)):
        try:
            engine.check(record, bad)
        except UsageError as problem:
            assert "as-of" in str(problem)
        else:
            raise AssertionError(f"{bad!r} was taken as a date")
