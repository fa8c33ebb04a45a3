"""The hand-written end-to-end baseline for ``check``: what the fastest plain script would do.

Usage::

    python benchmarks/end_to_end.py RECORDS.jsonl AS_OF > results.jsonl

It reads JSON Lines, validates each record with jsonschema-rs (the fastest validator
measured, with format checking), converts its dates, runs the seed policy written by
hand (``handwritten.evaluate_seed``) and writes one JSON line a record with orjson:
the label, the decision, each rule's outcome and the outputs, the very values
``check --format jsonl`` writes under those names (``run.py`` checks that). It writes no
messages and no policy object, and refuses nothing a person would need told: it is the
limit of the work, not a tool.
"""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

import jsonschema_rs
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from handwritten import evaluate_seed, load_schools, parse_dates  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "src" / "ecfmg_policy" / "schemas" / "applicant.schema.json"
WORLD_DIRECTORY = ROOT / "policies" / "reference" / "world-directory.sample.json"


def _plain(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def main(path: str, as_of_text: str, out=None) -> int:
    out = out or sys.stdout.buffer
    as_of = datetime.date.fromisoformat(as_of_text)
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()), validate_formats=True)
    schools = load_schools(WORLD_DIRECTORY)
    with open(path, "rb") as records:
        for number, line in enumerate(records, start=1):
            if not line.strip():
                continue
            record = orjson.loads(line)
            label = f"{path}:{number}"
            if not validator.is_valid(record):
                out.write(orjson.dumps({"record": label, "decision": "invalid"}) + b"\n")
                continue
            result = evaluate_seed(parse_dates(record), schools, as_of)
            out.write(orjson.dumps({"record": label, "decision": result["decision"], "rules": result["rules"],
                                    "outputs": result["outputs"]}, default=_plain) + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
