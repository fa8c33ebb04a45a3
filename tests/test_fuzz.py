"""Fuzzing kept in the repository: every input gets an answer, never a Python exception.

Three entry points that read untrusted text, each fed mutated and generated
inputs by hypothesis:

* the expression parser (`parse_expression`): any text is an expression or a
  positioned syntax error;
* the YAML loader with `lint` (`lint_paths`): any mutation of the seed policy file
  gives a lint report (diagnostics with places), never an exception;
* the record reader with `check` (`_from_bytes` then `Engine.check`): any mutation
  of an applicant record, read as one document or as JSON Lines, is a decision or
  an `invalid` result with its problem.

The default run is brief (a few seconds each); ``ECFMG_FUZZ_INPUTS=5000`` runs each
fuzzer on that many inputs. A crash found this way becomes a regression test in
the file of the stage it belongs to (tests/test_hostile_input.py,
tests/test_language.py).
"""

from __future__ import annotations

import datetime
import os

from cli_helpers import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecfmg_policy.api import Engine
from ecfmg_policy.errors import InputError, PolicyError, Position
from ecfmg_policy.evaluator.tools.lint import lint_paths
from ecfmg_policy.evaluator.language.parser import ExpressionSyntaxError, parse_expression
from ecfmg_policy.evaluator.records.records import _from_bytes

INPUTS = int(os.environ.get("ECFMG_FUZZ_INPUTS", "0"))
FUZZ = settings(max_examples=INPUTS or 120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SLOW_FUZZ = settings(max_examples=INPUTS or 25, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

SEED_POLICY = (ROOT / "policies" / "ecfmg-certification" / "2004-06-14.yaml").read_bytes()
ELIGIBLE = (ROOT / "examples" / "eligible.json").read_bytes()
DECISIONS = {"eligible", "pending", "ineligible", "not_applicable", "invalid"}

# Pieces of the language, so that generated text reaches deep parser states, plus troublemakers.
TOKENS = ["applicant", ".", "exams", "[", "]", "(", ")", "{", "}", ",", ":", "a", "for", "in", "if", "then",
          "else", "and", "or", "not", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "1", "0.5",
          "2021-01-26", "7 years", '"x"', "'y'", "null", "true", "false", "min", "count", "join", "as_of",
          "params", "data", "decision", "9" * 5000, "1" + "0" * 400 + ".0", '"\\q"', '"\\ud800"', "\x00",
          "\u2028", "#", "${", "`", "\\"]


def _locate(offset: int) -> Position:
    return Position("fuzz.yaml", 1, offset + 1)


def _mutated(original: bytes):
    """`original` with a few spans deleted, duplicated, or overwritten by random bytes."""
    @st.composite
    def build(draw) -> bytes:
        data = bytearray(original)
        for _ in range(draw(st.integers(1, 4))):
            if not data:
                break
            start = draw(st.integers(0, len(data) - 1))
            end = min(len(data), start + draw(st.integers(0, 40)))
            kind = draw(st.sampled_from(["delete", "duplicate", "replace", "insert"]))
            if kind == "delete":
                del data[start:end]
            elif kind == "duplicate":
                data[start:start] = data[start:end]
            else:
                noise = draw(st.one_of(st.binary(min_size=1, max_size=12),
                                       st.sampled_from(TOKENS).map(lambda t: t.encode("utf-8", "surrogatepass"))))
                data[start:end if kind == "replace" else start] = noise
        return bytes(data)
    return build()


@FUZZ
@given(st.one_of(st.text(max_size=200),
                 st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join)))
def test_the_parser_answers_every_text(text):
    try:
        parse_expression(text, _locate)
    except ExpressionSyntaxError as exc:  # the loader reports it with the policy file's place
        assert exc.diagnostic.message and exc.diagnostic.position is not None
    except PolicyError as exc:
        assert exc.diagnostics and all(d.message for d in exc.diagnostics)


@SLOW_FUZZ
@given(_mutated(SEED_POLICY))
def test_lint_answers_every_mutation_of_the_seed_policy(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("policies")
    (folder / "2004-06-14.yaml").write_bytes(data)
    report = lint_paths([folder])
    for diagnostic in report.diagnostics:
        assert diagnostic.message
        assert diagnostic.position is not None or diagnostic.source is not None  # a place to point at


ENGINE = Engine.load()


@FUZZ
@given(_mutated(ELIGIBLE), st.booleans(),
       st.dates(datetime.date(2004, 6, 14), datetime.date(2030, 12, 31)))
def test_check_answers_every_mutation_of_a_record(data, as_lines, as_of):
    try:
        inputs = list(_from_bytes(data, "fuzz.json", lines=as_lines))
    except InputError as exc:  # pragma: no cover - the reader reports problems in its results
        raise AssertionError(f"the reader raised instead of answering: {exc}") from exc
    for record in inputs:
        if record.problem is not None:
            assert record.problem.message
            continue
        result = ENGINE.check(record.value, as_of, label=record.label)
        assert result.decision in DECISIONS
        if result.decision == "invalid":
            assert result.errors
        else:
            for rule in result.rules:  # messages are written when read: read them
                assert rule.outcome != "error", (rule.id, rule.message)
