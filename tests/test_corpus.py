"""examples/corpus.jsonl, the sample corpus for `diff` (issue 14): the script in the repository writes
it byte for byte, every record is valid, every decision shows at every date that matters, and each
version's change moves decisions, each the way that change should."""

from __future__ import annotations

import collections
import json
import subprocess
import sys

import pytest
from cli_helpers import ROOT

from ecfmg_policy.api import Engine
from ecfmg_policy.evaluator.records.records import schema_problems

SCRIPT = ROOT / "examples" / "make_corpus.py"
CORPUS = ROOT / "examples" / "corpus.jsonl"
DECISIONS = ("eligible", "pending", "ineligible", "not_applicable")


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="ascii").splitlines()]


@pytest.fixture(scope="module")
def decisions(records):
    """The decisions on every record, as of a date under a version (None: the one in effect), made once."""
    engine = Engine.load()
    made: dict[tuple[str, str | None], list[str]] = {}

    def on(as_of: str, version: str | None = None) -> list[str]:
        if (as_of, version) not in made:
            made[as_of, version] = [engine.check(record, as_of, version=version).decision for record in records]
        return made[as_of, version]

    return on


def test_the_script_writes_the_committed_corpus_byte_for_byte(tmp_path):
    target = tmp_path / "corpus.jsonl"
    by_path = subprocess.run([sys.executable, str(SCRIPT), str(target)], capture_output=True, timeout=120)
    assert by_path.returncode == 0 and by_path.stdout == b"", by_path.stderr
    assert target.read_bytes() == CORPUS.read_bytes(), "run `python examples/make_corpus.py > examples/corpus.jsonl`"
    to_stdout = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, timeout=120)
    assert to_stdout.returncode == 0 and to_stdout.stdout == CORPUS.read_bytes()


def test_the_seed_and_count_choose_the_corpus(tmp_path):
    small = [subprocess.run([sys.executable, str(SCRIPT), "--seed", seed, "--count", "40"], capture_output=True,
                            timeout=120).stdout for seed in ("7", "7", "8")]
    assert small[0] == small[1] != small[2]
    assert small[0].count(b"\n") == 40 and all(not schema_problems("applicant", json.loads(line))
                                                for line in small[2].splitlines())


def test_every_line_is_one_compact_ascii_record_valid_against_the_schema(records):
    data = CORPUS.read_bytes()
    assert data.endswith(b"\n") and data.isascii() and len(data) < 4_000_000
    lines = data.decode("ascii").split("\n")[:-1]
    assert len(lines) == len(records) == 3000
    for number, (line, record) in enumerate(zip(lines, records), 1):
        assert line == json.dumps(record, separators=(",", ":")), f"line {number} is not compact JSON"
        assert schema_problems("applicant", record) == [], f"line {number}"
    ids = [record["usmle_id"] for record in records if "usmle_id" in record]
    assert len(ids) == len(set(ids)) > 2900


@pytest.mark.parametrize("as_of", ["2020-06-01", "2021-01-25", "2021-06-30", "2021-12-31", "2022-06-01"])
def test_every_decision_is_at_least_five_percent_at_each_date(decisions, as_of):
    counts = collections.Counter(decisions(as_of))
    assert set(counts) == set(DECISIONS), counts  # and none invalid
    for decision in DECISIONS:
        assert counts[decision] >= 0.05 * 3000, (decision, counts)


def moved(before: list[str], after: list[str]) -> collections.Counter:
    return collections.Counter((a, b) for a, b in zip(before, after) if a != b)


def test_dropping_step_2_cs_moves_records_only_towards_eligible(decisions):
    """2021.1: the Pathway and OET Medicine meet clinical skills, six Step 2 CS failures no longer bar."""
    moves = moved(decisions("2021-01-26", "2004.1"), decisions("2021-01-26", "2021.1"))
    assert sum(moves.values()) >= 40, moves
    assert moves[("pending", "eligible")] >= 10 and moves[("ineligible", "pending")] >= 10, moves
    assert set(moves) <= {("pending", "eligible"), ("ineligible", "pending"), ("ineligible", "eligible")}, moves
    assert decisions("2021-01-26", "2021.1") == decisions("2021-01-26")


def test_four_attempts_moves_records_only_to_ineligible(decisions):
    """2021.2: four attempts without a pass bar what five or six did not."""
    moves = moved(decisions("2021-07-01", "2021.1"), decisions("2021-07-01", "2021.2"))
    assert sum(moves.values()) >= 100 and set(moves) == {("pending", "ineligible")}, moves


def test_the_usd_160_fee_moves_short_payers_from_eligible_to_pending(decisions):
    """2022.1: an application submitted from 2022-01-01 with USD 75 or 159.99 paid is short."""
    moves = moved(decisions("2022-06-01", "2021.2"), decisions("2022-06-01", "2022.1"))
    assert sum(moves.values()) >= 40 and set(moves) == {("eligible", "pending")}, moves


@pytest.mark.parametrize("before, after, least", [("2021-01-25", "2021-01-26", 40), ("2021-06-30", "2021-07-01", 100),
                                                  ("2021-12-31", "2022-01-01", 5)])
def test_the_day_a_version_takes_effect_moves_decisions(decisions, before, after, least):
    moves = moved(decisions(before), decisions(after))
    assert sum(moves.values()) >= least, moves
