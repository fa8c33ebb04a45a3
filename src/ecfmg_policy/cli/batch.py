"""``check``'s run over many records: one process, or ``--jobs N`` worker processes.

A run is a list of *parts*: a whole file, a directory's file, standard input, or a byte
range of a large JSON Lines file cut at line ends. Each part is read, decided and written
on its own, so memory stays flat: a worker writes its part's output (and its problems for
standard error) to files of its own and sends back only its counts, since sending whole
results between processes costs more than deciding them. The parent copies the parts out
in input order, so ``--jobs 4`` writes byte for byte what ``--jobs 1`` writes.
"""

from __future__ import annotations

import datetime
import errno
import os
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ecfmg_policy.api import Engine
from ecfmg_policy.cli.report import ResultFormat
from ecfmg_policy.errors import clip, terminal_safe
from ecfmg_policy.evaluator.evaluation.evaluate import RecordResult
from ecfmg_policy.evaluator.policy.model import INVALID
from ecfmg_policy.evaluator.records.records import RecordInput, iter_records, lines_of_part
from ecfmg_policy.evaluator.source.yaml_source import folder_files

# A JSON Lines file is cut into parts of about this size when it is worth sharing out.
PART_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Part:
    """What one worker reads: a command-line argument whole, or bytes ``start:end`` of a
    JSON Lines file whose first line there is line ``first_line`` of the file."""

    argument: str
    start: int = 0
    end: int = -1
    first_line: int = 1

    @property
    def whole(self) -> bool:
        return self.end < 0

    def entries(self) -> Iterator[RecordInput]:
        if self.whole:
            return iter_records([self.argument])
        return lines_of_part(Path(self.argument), self.start, self.end, self.first_line)


def plan(arguments: list[str], jobs: int) -> list[Part]:
    """The parts of a run, in input order; large JSON Lines files cut so ``jobs`` workers share them."""
    parts: list[Part] = []
    for argument in arguments:
        path = Path(argument)
        if argument != "-" and os.path.isdir(path):
            entries = folder_files(path, (".json", ".jsonl"))
            if not entries or any(entry.problem is not None for entry in entries):
                parts.append(Part(argument))  # read as one, so its problems are reported as today
                continue
            for entry in entries:
                parts.extend(_cut(str(entry.path), jobs))
        else:
            parts.extend(_cut(argument, jobs))
    return parts


def _cut(argument: str, jobs: int) -> list[Part]:
    """A JSON Lines file in parts of about :data:`PART_BYTES` (more when that would make
    fewer than two parts a worker), each ending just after a newline."""
    path = Path(argument)
    if jobs < 2 or argument == "-" or path.suffix != ".jsonl" or not path.is_file():
        return [Part(argument)]
    size = path.stat().st_size
    target = max(64 * 1024, min(PART_BYTES, size // (2 * jobs) + 1))
    if size <= target:
        return [Part(argument)]
    parts, start, line = [], 0, 1
    with open(path, "rb") as handle:
        while start < size:
            handle.seek(start)
            block = handle.read(target)
            end = start + len(block)
            if end < size:
                rest = handle.readline()  # up to and including the next newline
                end += len(rest)
                block += rest
            parts.append(Part(argument, start, end, line))
            line += block.count(b"\n")
            start = end
    return parts


class Run:
    """One run's settings and how one part is decided and written: the same code in the parent
    and in every worker, so the output does not depend on ``--jobs``."""

    def __init__(self, engine: Engine, as_of: datetime.date, version: str | None, form: ResultFormat,
                 echo_problems: bool) -> None:
        self.engine, self.as_of, self.version = engine, as_of, version
        self.form, self.echo_problems = form, echo_problems

    def part(self, part: Part, out, err, write: Callable[[RecordResult], None] | None = None,
             progress: Callable[[str], None] | None = None) -> Counter:
        """Read, decide and write each record of ``part`` (with ``write``, when parts share one
        writer, else a writer of its own to ``out``); only the counts are kept."""
        counts: Counter = Counter()
        check_entry, write = self.engine.check_entry, write or self.form.writer(out)
        for entry in part.entries():
            result = check_entry(entry, self.as_of, self.version)
            if self.echo_problems and result.decision == INVALID:
                for line in problem_lines(entry, result):
                    err.write(line + "\n")
            counts[result.decision] += 1
            write(result)
            if progress is not None:
                progress(result.decision)
        return counts


def problem_lines(entry: RecordInput, result: RecordResult) -> list[str]:
    """An invalid record's problems, one each, for standard error (when results go to a program or a file)."""
    if entry.problem is not None:
        return [entry.problem.render()]
    return [terminal_safe(f"{entry.label}#{pointer}: error: {clip(message, 800)}") for pointer, message in result.errors]


# --- worker processes -------------------------------------------------------------------------

_WORKER: dict = {}


def _start_worker(run: Run, folder: str) -> None:
    _WORKER["run"], _WORKER["folder"] = run, folder


def _work(index: int, part: Part) -> tuple[int, Counter]:
    run: Run = _WORKER["run"]
    base = os.path.join(_WORKER["folder"], f"{index:08d}")
    with open(base + ".out", "w", encoding="utf-8", buffering=1 << 20) as out, \
            open(base + ".err", "w", encoding="utf-8") as err:
        counts = run.part(part, out, err)
    return index, counts


def _copy_bytes(path: str, out) -> None:
    """A part's output copied as bytes (it is UTF-8 already): no decoding and encoding again."""
    target = getattr(out, "buffer", None)
    with open(path, "rb") as part:
        if target is None:  # a text stream with no bytes beneath it
            out.write(part.read().decode("utf-8"))
            return
        out.flush()
        target.flush()
        try:
            destination = target.fileno()
        except (AttributeError, OSError, ValueError):  # a stream without a file beneath it (tests capture so)
            shutil.copyfileobj(part, target, 1 << 20)
            return
        # in the kernel, from the page cache to the output: no copy through this process
        size, sent = os.fstat(part.fileno()).st_size, 0
        try:
            while sent < size:
                done = os.sendfile(destination, part.fileno(), sent, size - sent)
                if done == 0:
                    break
                sent += done
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.ENOTSOCK):
                raise  # a full disk, a closed pipe: as any other write
            part.seek(sent)  # an output sendfile cannot write to (a terminal, another system's rules)
            shutil.copyfileobj(part, target, 1 << 20)


def run_parallel(run: Run, parts: list[Part], jobs: int, out, separator: Callable[[int], str], err,
                 progress: Callable[[Counter], None] | None = None) -> Counter:
    """Decide ``parts`` in ``jobs`` processes; copy each part's output to ``out`` (and its
    problems to ``err``) in input order, as soon as every part before it is done.
    ``separator(n)`` is written before the n-th non-empty part (``,`` between JSON results)."""
    total: Counter = Counter()
    import multiprocessing  # here, not at the top: a run in one process never needs it (12 ms to import)
    import tempfile

    folder = tempfile.mkdtemp(prefix="ecfmg-policy-")
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    written = 0
    try:
        with context.Pool(jobs, initializer=_start_worker, initargs=(run, folder)) as pool:
            pending = [pool.apply_async(_work, (index, part)) for index, part in enumerate(parts)]
            for job in pending:
                index, counts = job.get()
                total.update(counts)
                base = os.path.join(folder, f"{index:08d}")
                with open(base + ".err", encoding="utf-8") as problems:
                    shutil.copyfileobj(problems, err)
                if os.path.getsize(base + ".out"):
                    out.write(separator(written))
                    written += 1
                    _copy_bytes(base + ".out", out)
                os.remove(base + ".out")
                os.remove(base + ".err")
                if progress is not None:
                    progress(total)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return total
