"""Check a partition of JSON Lines: what Dask, Spark or a process pool runs on each worker.

:func:`check_lines` takes the lines of one partition and gives back the lines
``ecfmg-policy check --format jsonl`` would write for them, so a run spread
over many processes or machines gives, partition by partition, the output of
``check`` over the same files.  The :class:`~ecfmg_policy.Engine` it is given
pickles with the standard ``pickle``: load it once, where the job starts, and
let the framework ship it.  This module imports nothing of Dask or Spark.
"""

from __future__ import annotations

import datetime
from typing import Iterable, Iterator

from ecfmg_policy.api import Engine, parse_day
from ecfmg_policy.cli.report import jsonl_line
from ecfmg_policy.errors import InputError, UsageError
from ecfmg_policy.evaluator.records.records import RecordInput, parse_record_text
from ecfmg_policy.evaluator.source.yaml_source import decode_utf8

__all__ = ["check_lines"]


def check_lines(engine: Engine, lines: Iterable[str | bytes], as_of: datetime.date | str,
                version: str | None = None, source: str = "<partition>", first_line: int = 1) -> Iterator[str]:
    """The JSON Lines result of each record among ``lines``, one string per record, in order.

    Each string is exactly a line that ``ecfmg-policy check --format jsonl --as-of AS_OF``
    writes, *without* its ``\\n`` (Dask's ``to_textfiles`` and Spark's ``saveAsTextFile``
    add one per element; joined with ``"\\n"`` and ended with one, the lines are
    byte for byte what ``check`` writes for a ``.jsonl`` file holding these lines).

    ``lines`` are the lines of a JSON Lines file, as ``str`` or ``bytes``, with or without
    their ``\\n`` (as ``read_text``, ``textFile`` or iterating a file give them); an item
    holding more than one line is read as that many lines.  Each line is read exactly as
    ``check`` reads a line of a ``.jsonl`` file: split on ``\\n`` alone, blank lines skipped
    but counted; a line that is not UTF-8 or not JSON, repeats a key, holds a number that is
    not finite, is not an object or fails the schema is an ``invalid`` result, never an exception.  A
    ``str`` line that carries undecodable bytes as lone surrogates (``errors="surrogateescape"``)
    is reported as ``check`` reports those bytes.

    Records are labelled ``SOURCE:LINE`` as ``check`` labels the lines of a file: ``source``
    should name where the lines came from (the file of a one-file partition) and
    ``first_line`` is the number of the partition's first line in it, so that every
    result leads back to its record.

    ``as_of`` and ``version`` choose the policy as :meth:`Engine.check <ecfmg_policy.Engine.check>`
    does; a date that is not one, or a version that does not exist, raises
    :class:`~ecfmg_policy.errors.UsageError` before any line is read.  The generator holds no
    record after yielding its result: a partition streams through in constant memory.
    """
    try:
        day = parse_day(as_of)
    except UsageError as exc:
        raise UsageError(f"as-of {exc}") from None
    engine.evaluator(day, version)  # a version that does not exist raises here, not at the first record
    return _results(engine, lines, day, version, source, first_line)


def _results(engine: Engine, lines: Iterable[str | bytes], day: datetime.date, version: str | None,
             source: str, number: int) -> Iterator[str]:
    # What `check` does with each line of a .jsonl file, step for step: read it into a
    # RecordInput, decide it with Engine.check_entry, write it with report.jsonl_line.
    for item in lines:
        for raw in _split(item):
            if raw.strip(b" \t\r"):
                label = f"{source}:{number}"
                try:
                    text = decode_utf8(raw, source, first_line=number, what="line")
                except InputError as exc:
                    entry = RecordInput(label, problem=exc.diagnostic)
                else:
                    entry = parse_record_text(text, label, source, line_offset=number - 1)
                yield jsonl_line(engine.check_entry(entry, day, version))
            number += 1


def _split(item: str | bytes) -> list[bytes]:
    """The bytes of each line in one item: its final ``\\n`` ends it, any other one splits it.

    A ``str`` goes back to the bytes it was read from, so that decoding, and its errors, are
    exactly those of ``check``: undecodable bytes kept as lone surrogates become those bytes
    again, and any other lone surrogate (no UTF-8 file holds one) is not UTF-8 either."""
    if isinstance(item, str):
        try:
            item = item.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            item = item.encode("utf-8", "surrogatepass")
    elif isinstance(item, (bytearray, memoryview)):
        item = bytes(item)
    elif not isinstance(item, bytes):
        raise TypeError(f"a line is str or bytes, not {type(item).__name__}")
    if item.endswith(b"\n"):
        item = item[:-1]
    return item.split(b"\n")
