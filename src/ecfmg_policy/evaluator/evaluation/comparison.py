"""Two decisions on the same records, compared: what ``ecfmg-policy diff`` keeps of a run.

A run over a million records keeps only counts and a few examples, so its memory does not
grow with the records.  The counts are kept in one place a record: the pair (base decision
and outcomes, head decision and outcomes) is a key of one counter, a tuple C hashes in one
call, and the decision matrix and every rule's transitions are read off it at the end.
Records nearly always fall into a few hundred such keys; should a policy make them many,
the counter is folded into per-rule counts and emptied (:data:`MOST_KEYS`), so memory stays
bounded whatever the records are.

Rules are matched by id: a rule on both sides has transitions, one on a single side has only
that side's outcomes.  Outputs are matched by name and compared by value: a date that moves
is counted earlier or later, by how many days; a number up or down, by how much; a list by
the items that came or went; a value that appears or goes is counted so; a mapping (attempts
remaining per exam) key by key.  Examples are the first records in input order, so the same
run gives the same report.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ecfmg_policy.evaluator.compiler.compiler import CompiledPolicy
from ecfmg_policy.evaluator.evaluation.evaluate import DECISIONS, RecordResult
from ecfmg_policy.evaluator.language.values import to_json_value
from ecfmg_policy.evaluator.policy.model import INVALID, MET, NOT_APPLICABLE, Outcome

DIFF_FORMAT = "ecfmg-policy.diff/1"
OUTCOMES = tuple(o.value for o in Outcome)  # the order reports list outcomes in
MOST_KEYS = 50_000  # distinct (decision, outcomes) pairs kept before they are folded into per-rule counts
MOST_OUTPUT_PLACES = 200  # output places (an output, or one key of a mapping output) followed one by one
MOST_LIST_ITEMS = 50  # items of a list output followed one by one, per place
MOST_ERRORS_SHOWN = 3  # problems shown for an invalid record kept as an example
_NESTING = 2  # mappings inside mappings compared key by key, this deep


@dataclass(slots=True)
class Moves:
    """How far values moved one way: how many, the least, the most and the sum (for the mean)."""

    count: int = 0
    least: float = 0
    most: float = 0
    total: float = 0

    def add(self, amount: float) -> None:
        if self.count == 0 or amount < self.least:
            self.least = amount
        if self.count == 0 or amount > self.most:
            self.most = amount
        self.count += 1
        self.total += amount

    def to_json(self) -> dict | None:
        if not self.count:
            return None
        mean = self.total / self.count
        return {"count": self.count, "min": _number(self.least), "max": _number(self.most),
                "mean": round(mean, 2) if isinstance(mean, float) else mean}


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 6)


@dataclass(slots=True)
class OutputChanges:
    """What became of one output place over the records on which its value changed."""

    output: str
    key: tuple[str, ...]  # inside a mapping output: the keys down to the value; () for the output itself
    changed: int = 0
    earlier: Moves = field(default_factory=Moves)  # dates, in days
    later: Moves = field(default_factory=Moves)
    increased: Moves = field(default_factory=Moves)  # numbers
    decreased: Moves = field(default_factory=Moves)
    appeared: int = 0  # none on the base, a value on the head
    disappeared: int = 0
    added_items: Counter = field(default_factory=Counter)  # lists: items on the head only, by item
    removed_items: Counter = field(default_factory=Counter)
    other: int = 0  # any other change: a text, a mapping become a list

    def add(self, base: Any, head: Any) -> None:
        self.changed += 1
        if base is None and head is None:  # a mapping's key, null on one side and absent on the other
            self.other += 1
        elif base is None:
            self.appeared += 1
        elif head is None:
            self.disappeared += 1
        elif isinstance(base, datetime.date) and isinstance(head, datetime.date):
            days = (head - base).days
            (self.later if days > 0 else self.earlier).add(abs(days))
        elif _is_number(base) and _is_number(head):
            amount = head - base
            (self.increased if amount > 0 else self.decreased).add(abs(amount))
        elif isinstance(base, list) and isinstance(head, list):
            before, after = Counter(map(_item_text, base)), Counter(map(_item_text, head))
            self._items(self.removed_items, before - after)
            self._items(self.added_items, after - before)
        else:
            self.other += 1

    @staticmethod
    def _items(counts: Counter, items: Counter) -> None:
        """Each item that came (or went) counted once a record; past MOST_LIST_ITEMS items, together."""
        for shown in items:
            if shown in counts or len(counts) < MOST_LIST_ITEMS:
                counts[shown] += 1
            else:
                counts["(other items)"] += 1

    def to_json(self) -> dict:
        return {"output": self.output, "key": list(self.key), "changed": self.changed,
                "earlier": self.earlier.to_json(), "later": self.later.to_json(),
                "increased": self.increased.to_json(), "decreased": self.decreased.to_json(),
                "appeared": self.appeared, "disappeared": self.disappeared,
                "added_items": _item_counts(self.added_items), "removed_items": _item_counts(self.removed_items),
                "other": self.other}


def same_value(before: Any, after: Any) -> bool:
    """Whether two outputs are the same as the JSON results write them.  Python's ``==``
    holds ``True == 1`` and ``False == 0``, so here a boolean equals only a boolean, inside
    lists and mappings too.  ``1 == 1.0`` stays equal: the JSON writes both ``1``."""
    kind_before, kind_after = type(before), type(after)
    if kind_before is bool or kind_after is bool:
        return kind_before is kind_after and before == after
    if kind_before is dict and kind_after is dict:
        return before.keys() == after.keys() and all(same_value(value, after[key]) for key, value in before.items())
    if kind_before is list and kind_after is list:
        return len(before) == len(after) and all(map(same_value, before, after))
    return before == after


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _item_text(item: Any) -> str:
    value = to_json_value(item)
    return value if isinstance(value, str) else _compact(value)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)[:200]


def _item_counts(counts: Counter) -> list[dict]:
    return [{"item": item, "count": count} for item, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


class Comparison:
    """The counts and examples of one ``diff`` run, fed a record's two results at a time."""

    def __init__(self, base: CompiledPolicy, head: CompiledPolicy, examples: int = 5) -> None:
        self.base_policy, self.head_policy = base, head
        self.most_examples = examples
        base_rules, head_rules = base.policy.rules, head.policy.rules
        base_index = {rule.id: number for number, rule in enumerate(base_rules)}
        head_ids = {rule.id for rule in head_rules}
        # (rule, index on the base or None, index on the head or None): head order, then the base's own
        self.rules = [(rule, base_index.get(rule.id), number) for number, rule in enumerate(head_rules)] + \
                     [(rule, number, None) for number, rule in enumerate(base_rules) if rule.id not in head_ids]
        self.shared = [(b, h) for _, b, h in self.rules if b is not None and h is not None]
        self.same_rules = [r.id for r in base_rules] == [r.id for r in head_rules]
        base_outputs = [o.name for o in base.policy.outputs]
        self.outputs_on_both = frozenset(base_outputs) & {o.name for o in head.policy.outputs}
        self.keys: Counter = Counter()
        self.transitions: list[Counter] = [Counter() for _ in self.rules]  # folded from self.keys
        self.decisions: Counter = Counter()  # folded from self.keys
        self.total = 0
        self.rules_changed = 0  # records on which some shared rule's outcome changed
        self.outputs_changed = 0
        self.output_places: dict[tuple[str, tuple[str, ...]], OutputChanges] = {}
        self.other_output_places = 0  # changes at places past MOST_OUTPUT_PLACES
        self.cell_examples: dict[tuple[str, str], list[dict]] = {}
        self.rule_examples: dict[tuple[int, str, str], list[str]] = {}
        self.invalid_examples: list[dict] = []

    # --- feeding ---------------------------------------------------------------------------

    def wants_messages(self, base: RecordResult, head: RecordResult) -> bool:
        """Whether this pair will be an example of a changed decision (whose messages it shows)."""
        decisions = (base.decision, head.decision)
        return decisions[0] != decisions[1] and len(self.cell_examples.get(decisions, ())) < self.most_examples

    def add(self, base: RecordResult, head: RecordResult) -> None:
        self.total += 1
        bo, ho = base.outcomes, head.outcomes
        self.keys[(base.decision, head.decision, bo, ho)] += 1
        if len(self.keys) > MOST_KEYS:
            self._fold()
        if base.decision == INVALID or head.decision == INVALID:
            if len(self.invalid_examples) < self.most_examples:
                self.invalid_examples.append(_invalid_example(base, head))
            return
        if (bo != ho) if self.same_rules else any(bo[b] != ho[h] for b, h in self.shared):
            self.rules_changed += 1
            self._rule_examples(base.record, bo, ho)
        if not same_value(base.outputs, head.outputs):
            self._outputs(base.outputs, head.outputs)
        if base.decision != head.decision:
            cell = self.cell_examples.setdefault((base.decision, head.decision), [])
            if len(cell) < self.most_examples:
                cell.append(self._example(base, head))

    def _rule_examples(self, label: str, bo, ho) -> None:
        for number, (_, b, h) in enumerate(self.rules):
            if b is None or h is None or bo[b] == ho[h]:
                continue
            kept = self.rule_examples.setdefault((number, bo[b], ho[h]), [])
            if len(kept) < self.most_examples:
                kept.append(label)

    def _outputs(self, base: dict, head: dict) -> None:
        changed = False
        for name in self.outputs_on_both:
            before, after = base.get(name), head.get(name)
            if not same_value(before, after):
                changed = True
                self._output_change(name, (), before, after)
        self.outputs_changed += changed

    def _output_change(self, name: str, key: tuple[str, ...], before: Any, after: Any) -> None:
        if isinstance(before, dict) and isinstance(after, dict) and len(key) < _NESTING:
            for inner in {**before, **after}:
                if (inner in before) != (inner in after) or not same_value(before.get(inner), after.get(inner)):
                    self._output_change(name, (*key, str(inner)), before.get(inner), after.get(inner))
            return
        place = self.output_places.get((name, key))
        if place is None:
            if len(self.output_places) >= MOST_OUTPUT_PLACES:
                self.other_output_places += 1
                return
            place = self.output_places[(name, key)] = OutputChanges(name, key)
        place.add(before, after)

    def _example(self, base: RecordResult, head: RecordResult) -> dict:
        """One record of a changed cell: each rule whose outcome differs (or that one side
        alone has and does not count as met), with both outcomes and messages."""
        rules = []
        for rule, b, h in self.rules:
            side_b = _side(base, b)
            side_h = _side(head, h)
            if b is not None and h is not None and side_b["outcome"] == side_h["outcome"]:
                continue
            if (b is None or h is None) and (side_b or side_h)["outcome"] in (MET, NOT_APPLICABLE):
                continue
            rules.append({"id": rule.id, "title": rule.title, "base": side_b, "head": side_h})
        return {"record": base.record, "rules": rules}

    # --- reading off --------------------------------------------------------------------------

    def _fold(self) -> None:
        """The keys' counts moved into the decision matrix and each rule's transitions."""
        for (bd, hd, bo, ho), count in self.keys.items():
            self.decisions[(bd, hd)] += count
            if bd == INVALID or hd == INVALID:  # no rule ran (not "no outcomes": a side may have no rules)
                continue
            for counts, (_, b, h) in zip(self.transitions, self.rules):
                counts[(bo[b] if b is not None else None, ho[h] if h is not None else None)] += count
        self.keys.clear()

    def document(self, base_side: dict, head_side: dict, note: str | None) -> dict:
        """The report (``schemas/diff.schema.json``): the sides, then what moved and whose."""
        self._fold()
        changed = sum(count for (bd, hd), count in self.decisions.items() if bd != hd)
        invalid = sum(count for (bd, hd), count in self.decisions.items() if INVALID in (bd, hd))
        matrix = [{"base": bd, "head": hd, "count": self.decisions[(bd, hd)]}
                  for bd in DECISIONS for hd in DECISIONS if self.decisions.get((bd, hd))]
        examples = [{"base": bd, "head": hd, "count": self.decisions[(bd, hd)],
                     "records": self.cell_examples.get((bd, hd), [])}
                    for bd in DECISIONS for hd in DECISIONS if bd != hd and self.decisions.get((bd, hd))]
        outputs = [place.to_json() for _, place in sorted(self.output_places.items())]
        return {
            "format": DIFF_FORMAT,
            "base": base_side,
            "head": head_side,
            "note": note,
            "examples_kept": self.most_examples,
            "records": {"total": self.total, "changed": changed, "unchanged": self.total - changed,
                        INVALID: invalid, "rules_changed": self.rules_changed,
                        "outputs_changed": self.outputs_changed},
            "matrix": matrix,
            "rules": [self._rule_json(number, rule, b, h) for number, (rule, b, h) in enumerate(self.rules)],
            "outputs": outputs,
            "outputs_not_followed": self.other_output_places,
            "outputs_only_in_base": sorted({o.name for o in self.base_policy.policy.outputs} - self.outputs_on_both),
            "outputs_only_in_head": sorted({o.name for o in self.head_policy.policy.outputs} - self.outputs_on_both),
            "examples": examples,
            INVALID: {"count": invalid, "records": self.invalid_examples},
        }

    def _rule_json(self, number: int, rule, b: int | None, h: int | None) -> dict:
        counts = self.transitions[number]
        present = "both" if b is not None and h is not None else "base" if h is None else "head"
        entry = {"id": rule.id, "title": rule.title, "severity": rule.severity, "present": present}
        if present == "both":
            order = {o: i for i, o in enumerate(OUTCOMES)}
            moved = sorted(((bo, ho) for bo, ho in counts if bo != ho), key=lambda p: (order[p[0]], order[p[1]]))
            entry["transitions"] = [{"base": bo, "head": ho, "count": counts[(bo, ho)],
                                     "examples": self.rule_examples.get((number, bo, ho), [])} for bo, ho in moved]
            entry["changed"] = sum(counts[pair] for pair in moved)
            entry["unchanged"] = [{"outcome": o, "count": counts[(o, o)]} for o in OUTCOMES if counts.get((o, o))]
        else:
            side = Counter()
            for (bo, ho), count in counts.items():
                side[bo if present == "base" else ho] += count
            entry["outcomes"] = [{"outcome": o, "count": side[o]} for o in OUTCOMES if side.get(o)]
        return entry


def _side(result: RecordResult, index: int | None) -> dict | None:
    if index is None:
        return None
    messages = result.messages
    return {"outcome": result.outcomes[index], "message": messages[index] if messages is not None else None}


def _invalid_example(base: RecordResult, head: RecordResult) -> dict:
    result = base if base.decision == INVALID else head
    return {"record": result.record,
            "invalid_in": "both" if base.decision == head.decision else ("base" if base is result else "head"),
            "errors": [{"path": place, "message": message} for place, message in result.errors[:MOST_ERRORS_SHOWN]],
            "more_errors": max(0, len(result.errors) - MOST_ERRORS_SHOWN)}


def sides_note(base: dict, head: dict) -> str | None:
    """What the two sides share, said when it explains the moves: above all, that a version
    differs only because of the date (the same policy files, two dates on either side of a
    version's start), so the reader does not look for an edit that is not there."""
    same_files = base["policies_sha256"] == head["policies_sha256"]
    same_version = base["policy"]["version"] == head["policy"]["version"]
    same_date = base["as_of"] == head["as_of"]
    if not same_files:
        return None
    if same_version and same_date:
        return (f"Both sides are the same: the same policy files, version {base['policy']['version']} "
                f"and date {base['as_of']}; nothing can move.")
    if same_version:
        return (f"Both sides use version {base['policy']['version']} from the same policy files: every move "
                f"comes from the date alone ({base['as_of']} to {head['as_of']}), as windows close, deadlines "
                f"pass and dated facts come into view.")
    if base["version_given"] or head["version_given"]:
        # a side whose version was not given has the one in force on its date: say so, and name
        # the dates when they differ too, for then the versions do not explain every move
        def how(side: dict) -> str:
            return f"{side['policy']['version']} ({'chosen' if side['version_given'] else 'in force on ' + side['as_of']})"
        moves = "every move comes from the versions alone" if same_date else \
            f"moves come from the versions and from the dates ({base['as_of']} to {head['as_of']})"
        return f"Both sides use the same policy files, {how(base)} on the base and {how(head)} on the head: {moves}."
    return (f"The policy files are the same on both sides: the version differs only because of the date. "
            f"Every record is judged under {base['policy']['version']} (in force on {base['as_of']}) on the base "
            f"and {head['policy']['version']} (in force on {head['as_of']}) on the head; moves come from the "
            f"new version and from the date itself.")
