"""``ecfmg-policy fmt``: the canonical layout, rule by rule, on real files through the real command.

Every layout rule has a test that fails if the rule is broken; the property test at the end
runs the formatter over generated YAML (random strings with quotes, ``#``, ``: ``, brackets,
unicode, text long enough to fold; every style PyYAML writes; comments and blank lines
anywhere) and holds it to its three promises: the same values, the same comments, and a
second run that changes nothing.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, note, settings, strategies as st

from cli_helpers import ROOT, invoke, run_cli
from ecfmg_policy.errors import InputError
from ecfmg_policy.evaluator.records.schemas import schema
from ecfmg_policy.evaluator.source.yaml_source import load_yaml, to_plain
from ecfmg_policy.evaluator.tools import fmt as fmt_module
from ecfmg_policy.evaluator.tools.fmt import (WIDTH, UnsafeFormat, comment_texts, format_paths, format_text,
                                              write)

BUNDLED = ROOT / "policies"


def fmt(text: str, **options) -> str:
    return format_text(textwrap.dedent(text), "t.yaml", **options)


def same(a, b) -> bool:
    return fmt_module._same(a, b)


def values_of(text: str):
    root = load_yaml(text, "t.yaml")
    return None if root is None else to_plain(root)


def layout_ok(text: str) -> None:
    """What every output holds: no trailing space, no tab, one final newline, and a second run changes nothing."""
    assert all(line == line.rstrip() and "\t" not in line for line in text.split("\n"))
    assert text == "" or text.endswith("\n") and not text.endswith("\n\n")
    assert format_text(text, "t.yaml") == text


# --- key order, from the schemas ----------------------------------------------------------------------------


def test_policy_keys_follow_the_schema_and_unnamed_keys_keep_their_order_after_them():
    out = fmt("""\
        rules:
          - title: Fee paid
            source: the booklet
            require: application.fee_paid_usd >= 75
            id: application.fee
        version: "2004.1"
        zeta: kept after
        policy: ecfmg-certification
        alpha: and before zeta, as written
        effective_from: 2004-06-14
        """, place="policy")  # a file in a policy folder, though its keys alone do not say so
    assert out == textwrap.dedent("""\
        policy: ecfmg-certification
        version: "2004.1"
        effective_from: 2004-06-14

        rules:
          - id: application.fee
            title: Fee paid
            require: application.fee_paid_usd >= 75
            source: the booklet
        zeta: kept after
        alpha: and before zeta, as written
        """)
    layout_ok(out)


def test_params_definitions_outputs_and_rules_keep_the_authors_order():
    text = textwrap.dedent("""\
        policy: p
        version: "1"
        effective_from: 2020-01-01

        params:
          zeta: 1
          alpha: 2

        definitions:
          z: 1 + 1
          a(x): x

        rules:
          - id: z.rule
            title: last by name, first here
            require: "true"

          - id: a.rule
            title: first by name
            require: "true"

        outputs:
          zz: z
          aa: z
        """)
    assert fmt(text) == text


def test_the_order_comes_from_the_schema_so_a_key_added_there_is_placed_without_a_change_to_fmt():
    """A copy of the policy schema with a rule key `weight` declared after `title`: fmt places it
    there; with the shipped schema, which does not know it, it stays after the named keys (and
    the shipped schema's own `final` goes where the schema declares it, after the condition)."""
    text = "rules:\n  - weight: 2\n    final: true\n    require: x\n    title: t\n    id: a\n"
    changed = json.loads(json.dumps(schema("policy")))
    properties = changed["$defs"]["rule"]["properties"]
    names = list(properties)
    changed["$defs"]["rule"]["properties"] = {name: properties[name] for name in names[:3]} | {
        "weight": {"type": "number"}} | {name: properties[name] for name in names[3:]}
    schemas = {"policy": changed}

    def load(kind):
        return schemas.get(kind) or schema(kind)

    assert fmt(text, place="policy", schemas=load) == (
        "rules:\n  - id: a\n    title: t\n    weight: 2\n    require: x\n    final: true\n")
    assert fmt(text, place="policy") == "rules:\n  - id: a\n    title: t\n    require: x\n    final: true\n    weight: 2\n"


def test_a_definition_written_as_a_mapping_is_ordered_once_the_schema_says_so():
    """The schema change another branch makes (a definition as {title, description, value})
    reaches fmt through `additionalProperties` and `oneOf`, with no list of keys in fmt."""
    changed = json.loads(json.dumps(schema("policy")))
    changed["properties"]["definitions"]["additionalProperties"] = {"oneOf": [
        {"$ref": "#/$defs/expression"},
        {"type": "object", "properties": {"title": {}, "description": {}, "value": {"$ref": "#/$defs/expression"}}}]}
    text = "definitions:\n  late:\n    value: x > 1\n    description: why\n    title: Late\n  plain: x\n"
    out = fmt(text, place="policy", schemas=lambda kind: changed if kind == "policy" else schema(kind))
    assert out == "definitions:\n  late:\n    title: Late\n    description: why\n    value: x > 1\n  plain: x\n"


def test_a_test_case_and_its_record_follow_the_test_case_and_applicant_schemas():
    out = fmt("""\
        expect:
          rules: {b.rule: met, a.rule: unmet}
          decision: eligible
        record:
          exams:
            - {result: pass, date: "2017-05-10", exam: USMLE_STEP1}
          name: {family: Sharma, given: Priya}
          usmle_id: "1-234-567-8"
        as_of: "2021-01-26"
        name: a case
        """, place="test-case")
    assert out == textwrap.dedent("""\
        name: a case
        as_of: "2021-01-26"

        record:
          usmle_id: 1-234-567-8
          name: {given: Priya, family: Sharma}
          exams:
            - {exam: USMLE_STEP1, date: "2017-05-10", result: pass}

        expect:
          decision: eligible
          rules: {b.rule: met, a.rule: unmet}
        """)


@pytest.mark.parametrize("text, ordered", [
    # what the file says it is, by $schema or an editor's modeline, wins over where it stands
    ("$schema: ../../schemas/test-case.schema.json\nexpect: {}\nname: n\n", True),
    ("# yaml-language-server: $schema=https://example.org/x/test-case.schema.json\nexpect: {}\nname: n\n", True),
    # keys only one schema declares
    ("expect: {}\nname: n\n", True),
    # keys no schema declares all of: only style is normalised
    ("expect: {}\nname: n\nsomething: else\n", False),
])
def test_a_files_kind_comes_from_its_schema_its_keys_or_its_place(text, ordered):
    out = format_text(text, "t.yaml", place=None)
    assert out.index("name:") < out.index("expect:") if ordered else out.index("expect:") < out.index("name:")


def test_a_fixture_record_beside_the_cases_is_ordered_as_an_applicant(tmp_path):
    fixtures = tmp_path / "policies" / "p" / "tests" / "fixtures"
    fixtures.mkdir(parents=True)
    (fixtures / "graduate.yaml").write_text("status: graduate\nname: {family: S, given: P}\nusmle_id: x\n")
    [result] = format_paths([tmp_path / "policies"])
    assert result.after == "usmle_id: x\nname: {given: P, family: S}\nstatus: graduate\n"


# --- strings: plain, double-quoted, folded, literal; never single-quoted --------------------------------------


@pytest.mark.parametrize("value, written", [
    ("plain words", "plain words"),
    ("passed_in(exam, start)", "passed_in(exam, start)"),  # `,` only matters inside [ ] and { }
    ("2004.1", '"2004.1"'),  # read plain, these are a number, a date, true, null, an integer
    ("2019-06-01", '"2019-06-01"'),
    ("true", '"true"'),
    ("yes", '"yes"'),  # YAML 1.1, as the engine reads it: a boolean
    ("null", '"null"'),
    ("~", '"~"'),
    ("0x1F", '"0x1F"'),
    ("1_000", '"1_000"'),
    ("", '""'),
    ("1-234-567-8", "1-234-567-8"),  # no type reads it: plain
    ("it's", "it's"),
    ('"quoted"', '>-\n  "quoted"'),  # a leading quote, `: `, ` #`, a leading bracket: folded
    ("a: b", ">-\n  a: b"),
    ("a #b", ">-\n  a #b"),
    ("[a for a in x]", ">-\n  [a for a in x]"),
    ("- item", ">-\n  - item"),
    ("& * ! | > % @", ">-\n  & * ! | > % @"),
    (" leading", '" leading"'),  # what a block scalar cannot hold exactly: double-quoted
    ("trailing ", '"trailing "'),
    ("tab\there", '"tab\\there"'),
    ("bidi \u202e override", '"bidi \\u202E override"'),  # what a reviewer would not see, escaped
    ("line\u2028separator", '"line\\Lseparator"'),
    ("é 漢 😀", "é 漢 😀"),
])
def test_a_string_is_plain_double_quoted_or_folded_never_single_quoted(value, written):
    text = yaml.safe_dump({"title": value}, allow_unicode=True, default_style="'")
    out = format_text(text, "t.yaml")
    assert out == f"title: {written}\n"
    assert same(values_of(out), {"title": value})
    layout_ok(out)


def test_single_quotes_become_the_one_style():
    out = fmt("""\
        source: '"Current Application Fee: $75 USD"'
        title: 'Fee'
        version: '2004.1'
        """)
    assert out == 'version: "2004.1"\ntitle: Fee\nsource: >-\n  "Current Application Fee: $75 USD"\n'


def test_inside_a_flow_collection_a_string_is_plain_or_double_quoted():
    out = fmt("""\
        params:
          codes: ['a, b', '[x]', '{y}', 'c: d', plain, '2020-01-01', 'it''s']
        """)
    assert out == 'params:\n  codes: ["a, b", "[x]", "{y}", "c: d", plain, "2020-01-01", it\'s]\n'


def test_a_long_string_is_folded_at_the_width_breaking_only_at_single_spaces():
    words = " ".join(["word"] * 40) + "  double  spaced  " + " ".join(["end"] * 20)
    out = format_text(yaml.safe_dump({"message": words}, width=1000), "t.yaml")
    lines = out.split("\n")
    assert lines[0] == "message: >-"
    assert all(len(line) <= WIDTH for line in lines)
    assert all(not line.endswith(" ") and not line.startswith("   ") for line in lines[1:])
    assert same(values_of(out), {"message": words})
    layout_ok(out)


def test_a_string_that_fits_is_plain_and_one_that_does_not_fit_by_a_column_is_folded():
    fits = "x" * 50 + " " + "y" * (WIDTH - len("message: ") - 51)
    assert fmt(f"message: >-\n  {fits}\n") == f"message: {fits}\n"
    longer = fits + "z"
    assert fmt(f"message: {longer}\n") == f"message: >-\n  {longer}\n"
    assert fmt(f"message: {longer} {longer}\n") == f"message: >-\n  {longer}\n  {longer}\n"


def test_a_long_word_that_cannot_be_broken_stays_plain():
    url = "https://raw.githubusercontent.com/ecfmg-policy/ecfmg-policy/main/src/ecfmg_policy/schemas/policy.schema.json"
    assert fmt(f"$schema: {url}\n") == f"$schema: {url}\n"


def test_the_authors_line_breaks_are_kept_and_only_a_line_too_long_is_broken():
    first = 'if exams_exhausted == [] then join(["Pass ", join(exams_outstanding), " ", deadline_phrase], "")'
    text = f"definitions:\n  deadline: >-\n    {first}\n    else if exams_to_pass == []\n    then x\n"
    assert len(f"    {first}") == WIDTH
    assert fmt(text) == text  # every line fits: kept as written
    deeper = f"definitions:\n  nested:\n    deadline: >-\n      {first}\n      else if exams_to_pass == []\n      then x\n"
    out = fmt(deeper)
    assert out.split("\n")[3:7] == [
        '      if exams_exhausted == [] then join(["Pass ", join(exams_outstanding), " ", deadline_phrase],',
        '      "")', "      else if exams_to_pass == []", "      then x"]
    assert same(values_of(out), values_of(deeper))
    layout_ok(out)


def test_text_of_several_lines_is_literal_or_folded_as_written():
    text = textwrap.dedent("""\
        definitions:
          windows: >-
            [{start: s, end: window_end(s),
              firsts: [earliest_from(pass_days[e], s) for e in params.required_exams]}
             for s in window_starts]
          note: |
            line one
              indented
            line three
        """)
    assert fmt(text) == text
    out = fmt('definitions:\n  two: "first line\\nsecond line"\n  kept: "a\\n\\n"\n  spaces: "a  \\nb"\n')
    assert out == ('definitions:\n  two: |-\n    first line\n    second line\n  kept: "a\\n\\n"\n'
                   '  spaces: "a  \\nb"\n')


def test_numbers_dates_booleans_and_nulls_are_written_as_the_author_wrote_them():
    text = "params:\n  a: 0x1F\n  b: 1_000\n  c: ~\n  d: 2004-06-14\n  e: yes\n  f: 1.50\n  g:\n  h: !!float 1\n"
    out = fmt(text)
    assert out == text.replace("!!float 1", '!!float "1"')
    assert same(values_of(out), values_of(text))


# --- flow and block collections -------------------------------------------------------------------------------


def test_a_flow_collection_stays_on_its_line_when_it_fits_and_becomes_a_block_when_not():
    exams = ", ".join(f"{{exam: USMLE_STEP{i}, date: '2012-02-2{i}', result: pass}}" for i in range(1, 4))
    out = fmt(f"record:\n  name: {{given: Priya, family: Sharma}}\n  exams: [{exams}]\n", place="test-case")
    assert out == textwrap.dedent("""\
        record:
          name: {given: Priya, family: Sharma}
          exams:
            - {exam: USMLE_STEP1, date: "2012-02-21", result: pass}
            - {exam: USMLE_STEP2, date: "2012-02-22", result: pass}
            - {exam: USMLE_STEP3, date: "2012-02-23", result: pass}
        """)
    layout_ok(out)


def test_a_block_collection_stays_a_block_however_short():
    text = "params:\n  exams:\n    - A\n    - B\n"
    assert fmt(text) == text


def test_a_flow_collection_holding_a_comment_becomes_a_block_to_keep_it():
    out = fmt("params:\n  exams: [A,  # the first\n    B]\n")
    assert out == "params:\n  exams:\n    - A  # the first\n    - B\n"


def test_lists_under_a_key_are_indented_and_four_spaces_become_two():
    out = fmt("rules:\n- id: a\n  title: t\nparams:\n    x:\n        - 1\n")
    assert out == "params:\n  x:\n    - 1\n\nrules:\n  - id: a\n    title: t\n"


# --- comments and blank lines ---------------------------------------------------------------------------------


def test_comments_are_kept_and_travel_with_their_key():
    out = fmt("""\
        # yaml-language-server: $schema=../../schemas/policy.schema.json
        # The header stays at the top.
        version: "1"  # the label
        # the policy's name
        policy: p
        rules:  # in results order
          - id: a  # first
            title: t
            # why it requires x
            require: x
            # the end of rule a
          # before rule b
          - id: b
            title: u
            require: y
        # the end of the file
        """)
    assert out == textwrap.dedent("""\
        # yaml-language-server: $schema=../../schemas/policy.schema.json
        # The header stays at the top.
        # the policy's name
        policy: p
        version: "1"  # the label

        rules:  # in results order
          - id: a  # first
            title: t
            # why it requires x
            require: x
            # the end of rule a

          # before rule b
          - id: b
            title: u
            require: y
        # the end of the file
        """)
    layout_ok(out)


def test_a_comment_on_a_folded_strings_first_line_stays_there():
    text = "rules:\n  - id: a\n    source: >-  # quoted from the booklet\n      \"the passage\"\n"
    assert fmt(text) == text


def test_blank_lines_one_at_most_none_after_a_key_and_one_before_sections_and_rules():
    out = fmt("""\


        policy: p
        version: "1"



        effective_from: 2020-01-01
        params:

          a: 1


          b: 2
        rules:
          - id: a
            title: t
            require: x
          - id: b
            title: u
            require: y


        """)
    assert out == textwrap.dedent("""\
        policy: p
        version: "1"

        effective_from: 2020-01-01

        params:
          a: 1

          b: 2

        rules:
          - id: a
            title: t
            require: x

          - id: b
            title: u
            require: y
        """)


def test_no_tabs_no_trailing_spaces_one_final_newline_line_breaks_and_marks_normalised():
    out = format_text("\ufeff---\r\npolicy: p   \r\nversion:\t'1'\t# tab\there\r\n...\r\n", "t.yaml")
    assert out == 'policy: p\nversion: "1"  # tab here\n'
    assert format_text("", "t.yaml") == ""
    assert format_text("\n\n# only a comment\n\n", "t.yaml") == "# only a comment\n"


@pytest.mark.parametrize("text, expected", [
    # a comment after a lone `-` stands above its item, not after the folded item before it
    ("a:\n  - >-\n    a folded item\n  -   # after the dash\n    x: 1\n",
     "a:\n  - a folded item\n\n  # after the dash\n  - x: 1\n"),
    # a comment inside a flow collection and one after it: the flow becomes a block, both stay
    ("- {a: 1,  # inside\n   b: 2}  # after\n", "- a: 1  # inside\n  b: 2\n  # after\n"),
    ("a: {x: 1,\n  # before y\n  y: 2}\n", "a:\n  x: 1\n  # before y\n  y: 2\n"),
    # a comment indented for a block that has ended stays at the end of that block
    ("a:\n  b:\n    c: 1\n    # end of b\n  d: 2\n", "a:\n  b:\n    c: 1\n    # end of b\n  d: 2\n"),
    ("a:\n  b:\n    c: 1\n   # between\n  d: 2\n", "a:\n  b:\n    c: 1\n  # between\n  d: 2\n"),
    # keys of every kind, an explicit key, markers and directives
    ('"a: b": 1\n1: a\n2020-01-01: x\n~: n\n? explicit\n: value\n',
     '"a: b": 1\n1: a\n2020-01-01: x\n~: n\nexplicit: value\n'),
    ("%YAML 1.1\n---\na: 1\n...\n", "a: 1\n"),
    # a root that is not a mapping
    ("- a\n- {b: 1}\n- - c\n  - d\n", "- a\n- {b: 1}\n- - c\n  - d\n"),
    ("just text  # and a comment\n", "just text\n# and a comment\n"),
    # what no block holds exactly: kept newlines at the end, an indentation indicator
    ("a: |+\n  keep\n\n\nb: 1\n", 'a: "keep\\n\\n\\n"\nb: 1\n'),
    ("a: >2-\n   leading space\n  x\n", 'a: " leading space\\nx"\n'),
    ("a: 'two\n\n  lines'\n", "a: |-\n  two\n  lines\n"),
    ("a: !!str 123\nb: !!int '7'\n", 'a: "123"\nb: !!int "7"\n'),
])
def test_unusual_documents_keep_their_values_and_comments(text, expected):
    out = format_text(text, "t.yaml")
    assert out == expected
    assert same(values_of(out), values_of(text))
    assert comment_texts(out) == comment_texts(text)
    layout_ok(out)


# --- safety: bad input is refused as the engine refuses it; a wrong result is never written ------------------


@pytest.mark.parametrize("text, message, line, column", [
    ("a: 1\nb: [1\nc: 2\n", "invalid YAML", 3, 2),
    ("a: 1\na: 2\n", "duplicate key `a`", 2, 1),
    ("a: &x [1]\nb: *x\n", "anchors and aliases are not allowed", 1, 4),
    ("a: !!python/object/apply:os.system [ls]\n", "is not allowed", 1, 4),
    ("a: " + "[" * 70 + "]" * 70 + "\n", "nested more than 64 levels", None, None),
])
def test_a_file_the_engine_would_refuse_is_refused_at_its_place(text, message, line, column):
    with pytest.raises(InputError) as caught:
        format_text(text, "bad.yaml")
    diagnostic = caught.value.diagnostic
    assert message in diagnostic.message
    if line is not None:
        assert (diagnostic.position.line, diagnostic.position.column) == (line, column)


def test_the_guard_refuses_a_result_that_would_change_a_value(monkeypatch, tmp_path):
    """Make the writer corrupt one string: fmt must notice, name the file, write nothing, exit 4."""
    folder = tmp_path / "policies"
    folder.mkdir()
    policy = folder / "p.yaml"
    policy.write_text("policy: p\ntitle: 'A title'\n")
    real = fmt_module._Writer.scalar

    def corrupting(self, scalar, head, indent):
        first, rest = real(self, scalar, head, indent)
        return (first.replace("title", "titel"), rest)

    monkeypatch.setattr(fmt_module._Writer, "scalar", corrupting)
    with pytest.raises(UnsafeFormat) as caught:
        format_text(policy.read_text(), str(policy))
    assert caught.value.diagnostic.code == "fmt-unsafe"
    proc = invoke("fmt", folder)
    assert proc.returncode == 4
    assert f"{policy}: error: fmt would change this file's meaning (a value would differ)" in proc.stderr
    assert policy.read_text() == "policy: p\ntitle: 'A title'\n"


def test_the_guard_refuses_a_result_that_would_lose_a_comment(monkeypatch):
    monkeypatch.setattr(fmt_module, "_comment_lines", lambda lines, indent: [])
    with pytest.raises(UnsafeFormat) as caught:
        format_text("# a comment\npolicy: p\n", "t.yaml")
    assert "a comment would be lost" in caught.value.diagnostic.message


def test_the_guard_compares_types_too():
    assert not same({"a": True}, {"a": 1}) and not same([1], [1.0]) and same({"a": [1]}, {"a": [1]})


def test_a_file_changed_while_fmt_read_it_is_not_overwritten(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("policy: 'p'\n")
    [result] = format_paths([path])
    path.write_text("policy: 'edited meanwhile'\n")
    problem = write(result)
    assert problem is not None and problem.code == "file-unwritable"
    assert path.read_text() == "policy: 'edited meanwhile'\n"


# --- the command ----------------------------------------------------------------------------------------------


MESSY = "version: '1'\npolicy: p\neffective_from: 2020-01-01\nparams: {a: 1}\n"
TIDY = 'policy: p\nversion: "1"\neffective_from: 2020-01-01\nparams: {a: 1}\n'


@pytest.fixture
def project(tmp_path) -> Path:
    """A folder holding `policies/p/`: one messy policy, one tidy one, a messy case."""
    policy = tmp_path / "policies" / "p"
    (policy / "tests").mkdir(parents=True)
    (policy / "2020-01-01.yaml").write_text(MESSY)
    (policy / "2021-01-01.yaml").write_text(TIDY.replace("2020-01-01", "2021-01-01"))
    (policy / "tests" / "case.yaml").write_text("expect: {decision: eligible}\nname: 'n'\nas_of: '2020-06-01'\n")
    return tmp_path


def test_fmt_rewrites_the_files_that_change_and_says_which(project):
    policy = project / "policies" / "p"
    tidy = (policy / "2021-01-01.yaml").stat().st_mtime_ns
    (policy / "2020-01-01.yaml").chmod(0o640)
    proc = invoke("fmt", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "reformatted policies/p/2020-01-01.yaml",
        "reformatted policies/p/tests/case.yaml",
        "2 file(s) reformatted, 1 file(s) already formatted"]
    assert (policy / "2020-01-01.yaml").read_text() == TIDY
    assert (policy / "tests" / "case.yaml").read_text() == 'name: n\nas_of: "2020-06-01"\nexpect: {decision: eligible}\n'
    assert (policy / "2021-01-01.yaml").stat().st_mtime_ns == tidy  # untouched, not rewritten
    assert stat.S_IMODE((policy / "2020-01-01.yaml").stat().st_mode) == 0o640
    assert sorted(p.name for p in policy.iterdir()) == ["2020-01-01.yaml", "2021-01-01.yaml", "tests"]  # no temporary
    again = invoke("fmt", "policies", cwd=project)
    assert again.returncode == 0 and again.stdout == "0 file(s) reformatted, 3 file(s) already formatted\n"


def test_check_changes_nothing_lists_what_would_change_and_exits_1(project):
    before = {p: p.read_bytes() for p in project.rglob("*.yaml")}
    proc = invoke("fmt", "--check", "policies", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "would reformat policies/p/2020-01-01.yaml",
        "would reformat policies/p/tests/case.yaml",
        "2 file(s) would be reformatted, 1 file(s) already formatted"]
    assert {p: p.read_bytes() for p in project.rglob("*.yaml")} == before
    invoke("fmt", cwd=project)
    proc = invoke("fmt", "--check", cwd=project)
    assert proc.returncode == 0 and proc.stdout == "0 file(s) would be reformatted, 3 file(s) already formatted\n"


def test_diff_prints_a_patch_that_applies_and_changes_nothing_itself(project):
    before = {p: p.read_bytes() for p in project.rglob("*.yaml")}
    proc = invoke("fmt", "--diff", "policies/p/2020-01-01.yaml", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.startswith("--- a/policies/p/2020-01-01.yaml\n+++ b/policies/p/2020-01-01.yaml\n@@ ")
    assert "-version: '1'\n" in proc.stdout and '+version: "1"\n' in proc.stdout
    assert proc.stderr.splitlines() == ["would reformat policies/p/2020-01-01.yaml",
                                        "1 file(s) would be reformatted, 0 file(s) already formatted"]
    assert {p: p.read_bytes() for p in project.rglob("*.yaml")} == before
    applied = subprocess.run(["git", "apply", "-"], input=proc.stdout, cwd=project, text=True, capture_output=True)
    assert applied.returncode == 0, applied.stderr
    assert (project / "policies" / "p" / "2020-01-01.yaml").read_text() == TIDY


def test_bad_yaml_is_a_positioned_error_exit_2_and_the_other_files_are_still_formatted(project):
    broken = project / "policies" / "p" / "tests" / "broken.yaml"
    broken.write_text("name: x\nexpect: [1\nas_of: 2\n")
    proc = invoke("fmt", cwd=project)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[:4] == [
        "policies/p/tests/broken.yaml:3:6: error: invalid YAML: did not find expected ',' or ']'",
        "   3 | as_of: 2",
        "            ^",
        "  = help: check indentation, quoting and the ':' after each key"]
    assert proc.stdout.splitlines()[-1] == ("2 file(s) reformatted, 1 file(s) already formatted, "
                                            "1 file(s) could not be formatted")
    assert (project / "policies" / "p" / "2020-01-01.yaml").read_text() == TIDY


def test_a_missing_path_or_a_file_that_is_not_yaml_is_a_one_line_usage_error(tmp_path):
    missing = tmp_path / "nowhere"
    proc = invoke("fmt", missing)
    assert proc.returncode == 2 and proc.stderr == f"ecfmg-policy: {missing}: no such file or folder; name a YAML file or a folder of them\n"
    other = tmp_path / "record.json"
    other.write_text("{}")
    proc = invoke("fmt", other)
    assert proc.returncode == 2 and "fmt formats YAML files (.yaml, .yml)" in proc.stderr
    assert other.read_text() == "{}"


def test_without_a_policies_folder_fmt_refuses_rather_than_rewrite_the_bundled_ones(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert not any((folder / "policies").is_dir() for folder in (elsewhere, *elsewhere.parents))
    proc = invoke("fmt", cwd=elsewhere)
    assert proc.returncode == 2
    assert proc.stderr == ("ecfmg-policy: no `policies` folder here or in a folder above; name the files or "
                           "folders to format\n")


def test_links_are_not_followed_and_their_targets_not_touched(project, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text(MESSY)
    link = project / "policies" / "p" / "linked.yaml"
    link.symlink_to(outside)
    proc = invoke("fmt", cwd=project)
    assert proc.returncode == 2
    assert "policies/p/linked.yaml: error: `linked.yaml` is a symbolic link" in proc.stderr
    named = invoke("fmt", link, cwd=project)
    assert named.returncode == 2 and "is a symbolic link; fmt does not follow links" in named.stderr
    assert outside.read_text() == MESSY and link.is_symlink()


def test_names_are_shown_escaped(tmp_path):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "evil\x1b[2J.yaml").write_text(MESSY)
    proc = invoke("fmt", "--check", cwd=tmp_path)
    assert "would reformat policies/evil\\x1b[2J.yaml" in proc.stdout and "\x1b" not in proc.stdout


def test_the_real_command_in_a_subprocess(project):
    proc = run_cli("fmt", "--check", "policies", cwd=project)
    assert proc.returncode == 1 and "would reformat policies/p/2020-01-01.yaml" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_check_starts_without_importing_fmt():
    """fmt is loaded only when run: `check`'s start-up (benchmarks/run.py) does not pay for it."""
    code = ("import sys; from ecfmg_policy.cli import main, check; "
            "print('ecfmg_policy.evaluator.tools.fmt' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout == "False\n"


# --- the bundled policies, copied ------------------------------------------------------------------------------


def full_line_comments(text: str) -> list[str]:
    return sorted(line.strip() for line in text.split("\n") if line.strip().startswith("#"))


def test_the_bundled_policies_formatted_keep_values_and_comments_and_stay_formatted(tmp_path):
    copy = tmp_path / "policies"
    shutil.copytree(BUNDLED, copy)
    originals = {p.relative_to(copy): p.read_text() for p in copy.rglob("*.yaml")}
    proc = invoke("fmt", copy)
    assert proc.returncode == 0, proc.stderr
    for name, original in originals.items():
        formatted = (copy / name).read_text()
        assert same(values_of(formatted), values_of(original)), name
        assert full_line_comments(formatted) == full_line_comments(original), name
        assert comment_texts(formatted) == comment_texts(original), name
        assert format_text(formatted, str(name)) == formatted, name
    check = invoke("fmt", "--check", copy)
    assert check.returncode == 0 and check.stdout == f"0 file(s) would be reformatted, {len(originals)} file(s) already formatted\n"
    # and the engine agrees: the formatted policies lint clean and every case passes
    assert invoke("lint", "--strict", copy).returncode == 0
    tested = invoke("test", "--min-coverage", "100", copy)
    assert tested.returncode == 0, tested.stdout


def test_the_guides_before_and_after_example_is_what_fmt_writes():
    guide = (ROOT / "docs" / "policy-authors-guide.md").read_text()
    section = guide[guide.index("### 12.6 Formatting"):guide.index("## 13.")]
    before, after = re.findall(r"^```yaml\n(.*?)^```$", section, re.M | re.S)[:2]
    assert format_text(before, "example.yaml", place="policy") == after
    assert "- id: ecfmg-policy-fmt" in section and "ecfmg-policy-fmt" in (ROOT / ".pre-commit-hooks.yaml").read_text()


# --- the property: same values, same comments, and a second run changes nothing --------------------------------


EXAMPLES = int(os.environ.get("ECFMG_EXAMPLES", "200"))
LETTERS = "abcxyzABC019 _-.éü漢😀"
PUNCT = "\"'#:,[]{}&*!|>%@`?-+=~\\/()$"
words = st.text(alphabet=LETTERS + PUNCT, min_size=1, max_size=12)
sentences = st.lists(words, min_size=1, max_size=30).flatmap(
    lambda ws: st.sampled_from([" ", "  "]).map(lambda sep: sep.join(ws)))  # long ones need folding
typed = st.sampled_from(["2004.1", "2019-06-01", "true", "no", "Yes", "null", "~", "123", "0x1F", "1e3", ".inf",
                         "<<", "=", "-", "- a", ": x", "#x", "a #b", "a: b", "", " ", " lead", "trail ", "tab\there",
                         "--- x", "... y", "a\u2028b", "bidi\u202eok", "nbsp\xa0x", "1:30", "+12", "1_000"])
several_lines = st.lists(st.one_of(sentences, st.just(""), st.just("  indented")), min_size=2, max_size=5).flatmap(
    lambda ls: st.sampled_from(["", "\n", "\n\n"]).map(lambda end: "\n".join(ls) + end))
strings = st.one_of(words, sentences, typed, several_lines)
scalars = st.one_of(strings, st.integers(-10**6, 10**6), st.booleans(), st.none(),
                    st.floats(allow_nan=False, allow_infinity=False, width=32),
                    st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 1, 1)))
POLICY_KEYS = list(schema("policy")["properties"])
RULE_KEYS = list(schema("policy")["$defs"]["rule"]["properties"])
keys = st.one_of(st.sampled_from(POLICY_KEYS + RULE_KEYS), words)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=5)), max_leaves=20)
rules = st.lists(st.dictionaries(st.sampled_from(RULE_KEYS + ["extra"]), strings, min_size=1), max_size=3)
policies = st.fixed_dictionaries({}, optional={k: rules if k == "rules" else values for k in POLICY_KEYS}).flatmap(
    lambda d: st.permutations(list(d.items())).map(dict))
STYLES = [None, '"', "'", "|", ">"]


@st.composite
def yaml_texts(draw):
    """A document as PyYAML writes it, each scalar and collection in a style of its own, with
    comments (full-line at any indentation, after values) and blank lines sprinkled over it."""
    value = draw(st.one_of(policies, values))
    node = yaml.SafeDumper(None).represent_data(value)

    def restyle(node):
        if isinstance(node, yaml.ScalarNode):
            node.style = draw(st.sampled_from(STYLES))
        else:
            node.flow_style = draw(st.booleans())
            for child in node.value:
                for part in (child if isinstance(child, tuple) else (child,)):
                    restyle(part)
    restyle(node)
    text = yaml.serialize(node, Dumper=yaml.SafeDumper, width=draw(st.integers(20, 160)),
                          allow_unicode=draw(st.booleans()), indent=draw(st.sampled_from([2, 4])))
    comment = st.text(alphabet=LETTERS + PUNCT + " ", max_size=20).map(lambda t: "#" + t)
    out = []
    for line in text.split("\n"):
        if draw(st.integers(0, 5)) == 0:
            out.append(" " * draw(st.integers(0, 8)) + draw(comment))
        if draw(st.integers(0, 6)) == 0:
            out.append("")
        out.append(line + ("  " + draw(comment) if line.strip() and draw(st.integers(0, 4)) == 0 else ""))
    return "\n".join(out)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.filter_too_much])
@given(yaml_texts())
def test_fmt_keeps_values_and_comments_and_a_second_run_changes_nothing(text):
    try:
        original = values_of(text)
    except InputError:
        assume(False)  # a comment landed where YAML does not allow one
    note(text)
    out = format_text(text, "t.yaml")
    note(out)
    assert same(values_of(out), original)
    assert comment_texts(out) == comment_texts(text)
    layout_ok(out)
