"""`check` over many records: read, decided and written one at a time; `--jobs` gives the same bytes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import ROOT, run_cli

EXAMPLES = ROOT / "examples"
AS_OF = "2020-06-01"


def varied_lines(count: int) -> list[str]:
    """``count`` JSON Lines of the example records, each a little different, with the odd line
    that cannot be read or fails the schema among them."""
    bases = [json.loads((EXAMPLES / f"{name}.json").read_text())
             for name in ("eligible", "pending", "ineligible", "not-applicable")]
    lines = []
    for i in range(count):
        record = json.loads(json.dumps(bases[i % 4]))
        record["name"]["given"] = f"Applicant {i}"
        if i % 97 == 13:
            record["date_of_birth"] = "1991-02-30"  # invalid: no such day
        lines.append(json.dumps(record))
        if i % 250 == 7:
            lines.append('{"usmle_id": "1-234-567-8", "usmle_id": "dup"}')  # duplicate key: refused with its place
        if i % 300 == 11:
            lines.append("")  # blank lines are skipped, and still counted in labels
    return lines


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """About 1 MB of JSON Lines (cut into parts under --jobs 2), with a line that is not UTF-8."""
    folder = tmp_path_factory.mktemp("corpus")
    path = folder / "records.jsonl"
    lines = [line.encode() for line in varied_lines(800)]
    lines.insert(400, b'{"name": "\xff"}')
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.parametrize("form", ["jsonl", "json", "text"])
def test_jobs_write_the_same_bytes_as_one_process(corpus, tmp_path, form):
    runs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}"
        proc = run_cli("check", corpus, EXAMPLES, "--as-of", AS_OF, "--format", form, "--output", out,
                       "--jobs", jobs)
        assert proc.returncode == 2, proc.stderr[-2000:]  # invalid records among them
        runs[jobs] = (out.read_bytes(), proc.stderr)
    assert runs["1"] == runs["2"]
    output, problems = runs["2"]
    assert f"{corpus}:401:11: error: line is not valid UTF-8 (byte 0xff)" in problems
    if form == "json":
        document = json.loads(output)
        assert document["summary"]["total"] == len(document["results"]) > 800
        assert [r["record"] for r in document["results"][:2]] == [f"{corpus}:1", f"{corpus}:2"]


def test_json_is_the_document_json_dump_would_write(corpus, tmp_path):
    out = tmp_path / "out.json"
    run_cli("check", corpus, "--as-of", AS_OF, "--format", "json", "--output", out, "--jobs", "2")
    text = out.read_text()
    assert text == json.dumps(json.loads(text), indent=2) + "\n"


def test_json_with_no_record_is_still_one_document(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    proc = run_cli("check", empty, "--as-of", AS_OF, "--format", "json")
    assert proc.returncode == 0
    assert proc.stdout == json.dumps({"results": [], "summary": {
        "total": 0, "eligible": 0, "pending": 0, "ineligible": 0, "not_applicable": 0, "invalid": 0,
        "exit_code": 0}}, indent=2) + "\n"


def test_standard_input_streams_json_lines_with_jobs(corpus):
    data = corpus.read_bytes()
    one = subprocess.run([sys.executable, "-m", "ecfmg_policy", "check", "-", "--as-of", AS_OF, "--format", "jsonl"],
                         input=data, capture_output=True, cwd=ROOT, timeout=300)
    two = subprocess.run([sys.executable, "-m", "ecfmg_policy", "check", "-", "--as-of", AS_OF, "--format", "jsonl",
                          "--jobs", "2"], input=data, capture_output=True, cwd=ROOT, timeout=300)
    assert one.stdout == two.stdout and one.stdout.count(b"\n") > 800
    assert json.loads(one.stdout.splitlines()[0])["record"] == "-:1"


@pytest.mark.parametrize("given, words", [("0", "expected a number of processes"), ("two", "`two`")])
def test_jobs_must_be_a_number_or_auto(given, words):
    proc = run_cli("check", EXAMPLES / "eligible.json", "--as-of", AS_OF, "--jobs", given)
    assert proc.returncode == 2 and words in proc.stderr


def test_jobs_auto_uses_the_cores_and_decides_the_same():
    proc = run_cli("check", EXAMPLES / "batch.jsonl", "--as-of", AS_OF, "--jobs", "auto", "--format", "jsonl")
    one = run_cli("check", EXAMPLES / "batch.jsonl", "--as-of", AS_OF, "--format", "jsonl")
    assert proc.stdout == one.stdout and proc.returncode == one.returncode


def peak_kib(path: Path, tmp_path: Path) -> int:
    """The largest resident size of one `check` process over ``path``, in KiB."""
    script = (f"import resource, subprocess, sys\n"
              f"subprocess.run([sys.executable, '-m', 'ecfmg_policy', 'check', {str(path)!r}, '--as-of', "
              f"{AS_OF!r}, '--format', 'jsonl', '--output', {str(tmp_path / 'out.jsonl')!r}])\n"
              f"print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=600)
    return int(done.stdout.split()[-1])


def test_memory_does_not_grow_with_the_number_of_records(tmp_path):
    """Ten times the records, the same memory: results are written and let go, never kept."""
    lines = varied_lines(2000)
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    small.write_text("\n".join(lines) + "\n")
    large.write_text(("\n".join(lines) + "\n") * 10)
    assert peak_kib(large, tmp_path) < 1.2 * peak_kib(small, tmp_path)


def run_with_terminal_stderr(*args: str, feed: list[bytes]) -> tuple[int, str]:
    """`ecfmg-policy ARGS` with standard error on a pseudo-terminal (as a person at a terminal has
    it), its standard input fed the parts of ``feed`` two seconds apart: a run that lasts longer
    than the progress line's delay however fast the machine is."""
    import os
    import pty
    import threading
    import time

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "ecfmg_policy", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=slave, cwd=ROOT, env={**os.environ, "TERM": "xterm"})
    os.close(slave)

    def write():
        for index, part in enumerate(feed):
            if index:
                time.sleep(2)
            proc.stdin.write(part)
            proc.stdin.flush()
        proc.stdin.close()

    feeder = threading.Thread(target=write)
    feeder.start()
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed: the process is gone
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    feeder.join()
    return proc.wait(timeout=300), seen.decode()


def test_a_long_run_shows_progress_on_a_terminal_and_erases_it(tmp_path):
    lines = varied_lines(2000)
    half = ("\n".join(lines[:1000]) + "\n").encode()
    code, seen = run_with_terminal_stderr("check", "-", "--as-of", AS_OF, "--format", "jsonl",
                                          "--output", str(tmp_path / "out.jsonl"),
                                          feed=[half, ("\n".join(lines[1000:]) + "\n").encode()])
    assert code == 2  # some records are invalid
    assert re.search(r"\r[\d,]+ records, [\d,]+/s: [\d,]+ eligible, [\d,]+ pending", seen), seen[:500]
    # what the terminal shows of each line: the text after its last carriage return
    shown = [line.split("\r")[-1] for line in seen.replace("\r\n", "\n").split("\n")]
    problems = [line for line in shown if "error:" in line]
    assert problems and all(line.startswith("-:") for line in problems)  # never mixed with the progress
    assert shown[-1].strip() == ""  # erased at the end: the prompt comes back on a clean line


def test_no_progress_when_standard_error_is_not_a_terminal(tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_text(("\n".join(varied_lines(2000)) + "\n") * 8)
    proc = run_cli("check", path, "--as-of", AS_OF, "--format", "jsonl", "--output", tmp_path / "out.jsonl")
    assert "records, " not in proc.stderr and "\r" not in proc.stderr


def test_jobs_to_a_pipe_write_the_same_bytes_as_to_a_file(corpus, tmp_path):
    """Parts reach the output in the kernel (sendfile) when it is a file or a pipe: the same bytes."""
    to_file = tmp_path / "out.jsonl"
    run_cli("check", corpus, "--as-of", AS_OF, "--format", "jsonl", "--output", to_file, "--jobs", "2")
    piped = run_cli("check", corpus, "--as-of", AS_OF, "--format", "jsonl", "--jobs", "2")
    assert piped.stdout.encode() == to_file.read_bytes() and piped.stdout.count("\n") > 800


def test_a_part_is_copied_whole_when_the_kernel_cannot_send_it(tmp_path, monkeypatch):
    """An output sendfile cannot write to (a terminal, some systems) falls back to an ordinary
    copy from where the kernel stopped; nothing is lost or written twice."""
    import errno
    import os

    from ecfmg_policy.cli import batch

    part = tmp_path / "part.out"
    part.write_bytes(b"".join(b"line %d\n" % i for i in range(50_000)))
    real = os.sendfile

    def first_bytes_then_refuse(out_fd, in_fd, offset, count):
        if offset == 0:
            return real(out_fd, in_fd, 0, 1000)
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(batch.os, "sendfile", first_bytes_then_refuse)
    with open(tmp_path / "copy.out", "w", encoding="utf-8") as out:
        out.write("head\n")
        batch._copy_bytes(str(part), out)
        out.write("tail\n")
    assert (tmp_path / "copy.out").read_bytes() == b"head\n" + part.read_bytes() + b"tail\n"
