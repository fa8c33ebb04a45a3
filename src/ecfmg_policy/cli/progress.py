"""A progress line for long runs, on standard error and only for a person watching it.

Shown when standard error is a terminal and the results go elsewhere (a file, a pipe):
results written to the same terminal already show the progress, and a line redrawn
between them would only garble them. It appears after the first second and a half,
so short runs print nothing, is redrawn at most a few times a second, and is erased
when the run ends. Nothing of it ever reaches standard output.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter

from ecfmg_policy.evaluator.evaluation.evaluate import DECISIONS

DELAY = 1.5  # seconds before the line first appears
EVERY = 0.25  # seconds between redraws


def wanted(results_to_terminal: bool, stream=None) -> bool:
    """Whether to show progress: standard error is a terminal, not also showing the results."""
    stream = stream or sys.stderr
    try:
        return stream.isatty() and not results_to_terminal and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


class Progress:
    """Counts records as they are decided and redraws one line: done, rate, decisions so far."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.started = self.drawn_at = time.monotonic()
        self.counts: Counter[str] = Counter()
        self.width = 0

    def record(self, decision: str) -> None:
        self.counts[decision] += 1
        if self.counts.total() % 64 == 0:
            self.show()

    def update(self, counts: Counter) -> None:
        """Counts from worker processes, as each part is done."""
        self.counts = Counter(counts)
        self.show()

    def show(self) -> None:
        now = time.monotonic()
        if now - self.started < DELAY or now - self.drawn_at < EVERY:
            return
        self.drawn_at = now
        done = self.counts.total()
        rate = done / (now - self.started)
        split = ", ".join(f"{self.counts[d]:,} {d.replace('_', ' ')}" for d in DECISIONS if self.counts[d])
        line = f"{done:,} records, {rate:,.0f}/s: {split}"
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def close(self) -> None:
        """Erase the line, so what is written next starts on a clean one."""
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0

    def write(self, text: str) -> None:
        """Standard error's other lines (an invalid record's problems): the progress line is
        erased first and drawn again below them."""
        self.close()
        self.stream.write(text)
