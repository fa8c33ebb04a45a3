"""The hand-written end-to-end baseline for ``check``: what the fastest plain script would do.

Usage::

    python benchmarks/end_to_end.py RECORDS.jsonl AS_OF > results.jsonl

It reads JSON Lines, validates each record with jsonschema-rs (the fastest validator
measured, with format checking), converts its dates, runs the seed policy written by
hand (``handwritten.evaluate_seed`` and ``seed_messages``) and writes one JSON line a
record with orjson (json.dumps for a line with text beyond ASCII, which check escapes): the very line ``check --format jsonl`` writes, byte for byte
(``run.py`` checks that).  What every line shares (the policy's name, dates and
citation; each rule's title, source and severity) is read once from the seed policy
file: text, not logic.  It refuses nothing a person would need told (an invalid record
gets a bare line, not the reasons): it is the limit of the work, not a tool.
"""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

import jsonschema_rs
import orjson
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from handwritten import evaluate_seed, load_schools, parse_dates, seed_messages  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "src" / "ecfmg_policy" / "schemas" / "applicant.schema.json"
WORLD_DIRECTORY = ROOT / "policies" / "reference" / "world-directory.sample.json"
POLICIES = Path("policies") / "ecfmg-certification"  # relative, as check names the file it read
SEED_FILE = POLICIES / "2004-06-14.yaml"


def seed_header() -> tuple[dict, list[tuple[str, str, str, str]]]:
    """The seed version's ``policy`` object as results carry it, and its rules' static fields."""
    seed = yaml.safe_load((ROOT / SEED_FILE).read_text(encoding="utf-8"))
    later = sorted(yaml.safe_load(path.read_text(encoding="utf-8"))["effective_from"]
                   for path in (ROOT / POLICIES).glob("*.yaml"))
    later = [day for day in later if day > seed["effective_from"]]
    policy = {"name": seed["policy"], "version": seed["version"],
              "effective_from": seed["effective_from"].isoformat(), "source": str(SEED_FILE), "file": str(SEED_FILE)}
    if later:
        policy["effective_to"] = (later[0] - datetime.timedelta(days=1)).isoformat()
    policy["citation"] = seed["source"]
    rules = [(r["id"], r["title"], r["source"], r.get("severity", "requirement")) for r in seed["rules"]]
    return policy, rules


def _plain(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def main(path: str, as_of_text: str, out=None) -> int:
    out = out or sys.stdout.buffer
    as_of = datetime.date.fromisoformat(as_of_text)
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()), validate_formats=True)
    schools = load_schools(WORLD_DIRECTORY)
    policy, static = seed_header()
    with open(path, "rb") as records:
        for number, line in enumerate(records, start=1):
            if not line.strip():
                continue
            record = orjson.loads(line)
            label = f"{path}:{number}"
            if not validator.is_valid(record):
                out.write(orjson.dumps({"record": label, "decision": "invalid"}) + b"\n")
                continue
            record = parse_dates(record)
            result = evaluate_seed(record, schools, as_of)
            messages = seed_messages(record, schools, as_of, result)
            rules = [{"id": rule_id, "title": title, "outcome": outcome, "message": message, "source": source,
                      "severity": severity}
                     for (rule_id, title, source, severity), outcome, message
                     in zip(static, result["rules"].values(), messages)]
            value = {"record": label, "as_of": as_of_text, "policy": policy, "decision": result["decision"],
                     "rules": rules, "outputs": result["outputs"], "errors": []}
            data = orjson.dumps(value)
            if not data.isascii():  # check escapes text beyond ASCII, as json.dumps does
                data = json.dumps(value, separators=(",", ":"), default=_plain).encode("ascii")
            out.write(data + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
