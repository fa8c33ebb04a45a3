"""Benchmark the policy engine against the hand-written seed policy, and time start-up.

Usage::

    python benchmarks/run.py [--records N] [--seed S] [--end-to-end N] [--memory-records M] [--json]

One run generates N synthetic, schema-valid applicant records with
``benchmarks/synthetic.py``, the generator the property tests in
``tests/test_properties.py`` draw from too (graduates and students at the
sample schools, random application completeness and credential statuses,
0-12 exam attempts around seven-year window edges and 29 February, as-of
dates 2005-2020; the same seed, the same records), then measures:

(a) records per second of ``benchmarks/handwritten.py``'s ``evaluate_seed``
    on the date-converted records;
(b) records per second of the seed policy run by the engine
    (``Evaluator.evaluate_valid``) on the same date-converted records, schema
    validation excluded; the ratio (b)/(a) should be at least 0.5;
(c) schema validation plus date conversion, per record, reported separately;
(d) CPU time of one ``ecfmg-policy check`` subprocess on one record against a
    bare ``python -c "import yaml, jsonschema, lark, click"`` (the least of 11
    turns each); the ratio should be at most 2;
(h) CPU time of ``ecfmg-policy explain`` on one record (text, JSON and HTML)
    against ``check`` on the same record, taking the same turns: explaining is
    for one record at a time and should cost at most 1.5 times checking it; and,
    in process, the time to explain a record against the time to check it.
(e)-(g) with ``--end-to-end``: ``check`` on N records against
    ``benchmarks/end_to_end.py`` (the same lines, byte for byte), ``--jobs 2``
    against ``--jobs 1``, and peak memory at 10,000 and M records.
(i) with ``--end-to-end``: ``diff`` of two policy folders (the bundled one and a
    copy with the 2022 fee raised) over the N records against one ``check
    --format jsonl`` of them, as of 2022-06-01, CPU in turns (bar: at most 2.2
    times, as each record is read and validated once and evaluated twice); and
    diff's peak memory at 10,000 and M records (flat: counts and examples only).

(a) and (b) take 9 turns each, (c) 3, in CPU time (``time.process_time``), the
least of each counting; runs compared take turns, so that a spell of load on the
shared machine falls on both.  It
is a report, not a test: it always exits 0.  It also counts the records on
which the engine and the hand-written policy disagree (there should be none:
otherwise the two do not compute the same thing and the ratio means little).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from handwritten import evaluate_seed, load_schools  # noqa: E402
from synthetic import FIRST_AS_OF, make_records  # noqa: E402

from ecfmg_policy.api import Engine  # noqa: E402
from ecfmg_policy.evaluator.records.records import convert_dates, schema_problems  # noqa: E402

SEED_POLICY = ROOT / "policies" / "ecfmg-certification" / "2004-06-14.yaml"
WORLD_DIRECTORY = ROOT / "policies" / "reference" / "world-directory.sample.json"
EXAMPLE = ROOT / "examples" / "eligible.json"

REPEATS = 3
RATIO_REPEATS = 9  # turns of the hand-written and the policy evaluation for the throughput ratio
STARTUP_RUNS = 11
THROUGHPUT_BAR = 0.5  # policy / hand-written, at least
STARTUP_BAR = 2.0  # check / bare imports, at most
EXPLAIN_BAR = 1.5  # explain / check on the same record, at most
EXPLAINED = ROOT / "examples" / "pending.json"  # a record with rules of every kind to explain


# --- timing ---------------------------------------------------------------------------

def best_of(repeats: int, run: Callable[[], object]) -> float:
    """The fastest of ``repeats`` runs, in seconds of CPU time (a shared machine's other work
    lengthens wall time, not this process's CPU time)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def paired_best(repeats: int, first: Callable[[], object], second: Callable[[], object]) -> tuple[float, float]:
    """The fastest CPU time of each of two runs, taken in turns (first, second, first, ...), so
    that a spell of load on a shared machine falls on both rather than on one of them."""
    best = [float("inf"), float("inf")]
    for _ in range(repeats):
        for slot, run in enumerate((first, second)):
            start = time.process_time()
            run()
            best[slot] = min(best[slot], time.process_time() - start)
    return best[0], best[1]


def ensure_bytecode() -> None:
    """Write the package's .pyc files, as ``pip install`` does for every user.

    The warm-up run would write them too, unless PYTHONDONTWRITEBYTECODE is
    set (it is on some development machines): the package would then be
    compiled from source on every start while its dependencies, installed by
    pip, are not, and the ratio would measure that instead.
    """
    import compileall
    import ecfmg_policy

    compileall.compile_dir(str(Path(ecfmg_policy.__file__).parent), quiet=1)


def startup_cpu_times(commands: list[list[str]], runs: int) -> list[float]:
    """The least CPU time (user + system) each command took over ``runs`` turns (one of each
    command a turn, after one untimed warm-up of each), in seconds: what the process itself
    costs; taking turns puts a spell of load on the shared machine on all of them alike."""
    import resource

    for command in commands:
        subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    best = [float("inf")] * len(commands)
    for _ in range(runs):
        for slot, command in enumerate(commands):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            best[slot] = min(best[slot], (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return best


def measure(count: int, seed: int) -> dict:
    pairs = make_records(count, seed)
    engine = Engine.load()  # the bundled policy set, as the command line uses it
    schools = load_schools(WORLD_DIRECTORY)

    invalid = [i for i, (record, _) in enumerate(pairs) if schema_problems("applicant", record)]
    if invalid:
        raise SystemExit(f"generated record {invalid[0]} is not schema-valid: {pairs[invalid[0]][0]}")
    converted = [(convert_dates("applicant", record), as_of) for record, as_of in pairs]

    # Every as-of date must select the seed version, the one the hand-written policy implements.
    seed_version = Engine.load(SEED_POLICY).policies.versions[0].policy.version
    evaluator = engine.evaluator(FIRST_AS_OF)
    if evaluator.compiled.policy.version != seed_version or any(
            engine.policies.select(as_of) is not evaluator.compiled for _, as_of in pairs):
        raise SystemExit(f"the as-of dates do not all select the seed version {seed_version}")

    # The figures only mean something if both compute the same thing.
    evaluate_valid = evaluator.evaluate_valid
    disagreements = 0
    decisions: dict[str, int] = {}
    for record, as_of in converted:
        expected = evaluate_seed(record, schools, as_of)
        got = evaluate_valid("<bench>", record, as_of)
        decisions[got.decision] = decisions.get(got.decision, 0) + 1
        if (got.decision != expected["decision"] or got.outputs != expected["outputs"]
                or {r.id: r.outcome for r in got.rules} != expected["rules"]):
            disagreements += 1

    def hand_written():
        for record, as_of in converted:
            evaluate_seed(record, schools, as_of)

    def policy():  # decisions only, like the hand-written function: no messages written
        for record, as_of in converted:
            evaluate_valid("<bench>", record, as_of, False)

    def validate_and_convert():
        for record, _ in pairs:
            if not schema_problems("applicant", record):
                convert_dates("applicant", record)

    hand_seconds, policy_seconds = paired_best(RATIO_REPEATS, hand_written, policy)
    schema_seconds = best_of(REPEATS, validate_and_convert)

    check = [sys.executable, "-m", "ecfmg_policy", "check", str(EXAMPLE.relative_to(ROOT)),
             "--as-of", "2020-06-01", "--format", "json"]
    imports = [sys.executable, "-c", "import yaml, jsonschema, lark, click"]
    one = [str(EXPLAINED.relative_to(ROOT)), "--as-of", "2020-06-01"]
    check_one = [sys.executable, "-m", "ecfmg_policy", "check", *one, "--format", "text"]
    explain_text, explain_json, explain_html = ([sys.executable, "-m", "ecfmg_policy", "explain", *one, "--format", f]
                                                for f in ("text", "json", "html"))
    ensure_bytecode()
    check_seconds, import_seconds, check_one_seconds, *explain_seconds = startup_cpu_times(
        [check, imports, check_one, explain_text, explain_json, explain_html], STARTUP_RUNS)
    explain_each, check_each = explain_in_process(engine, pairs[:200])

    return {
        "records": count,
        "seed": seed,
        "python": sys.version.split()[0],
        "decisions": dict(sorted(decisions.items())),
        "disagreements": disagreements,
        "hand_written_records_per_second": count / hand_seconds,
        "policy_records_per_second": count / policy_seconds,
        "throughput_ratio": hand_seconds / policy_seconds,
        "throughput_bar": THROUGHPUT_BAR,
        "schema_and_dates_records_per_second": count / schema_seconds,
        "schema_and_dates_microseconds_per_record": schema_seconds / count * 1e6,
        "check_command_seconds": check_seconds,
        "bare_imports_seconds": import_seconds,
        "startup_ratio": check_seconds / import_seconds,
        "startup_bar": STARTUP_BAR,
        "check_one_record_seconds": check_one_seconds,
        "explain_seconds": dict(zip(("text", "json", "html"), explain_seconds)),
        "explain_ratio": max(explain_seconds) / check_one_seconds,
        "explain_bar": EXPLAIN_BAR,
        "explain_in_process_ms": explain_each * 1000,
        "check_in_process_ms": check_each * 1000,
    }


def explain_in_process(engine: Engine, pairs: list) -> tuple[float, float]:
    """CPU seconds per record to explain (validate, check, walk, build the document) and to
    check (validate, evaluate, write messages), on the same records, taking turns."""
    from ecfmg_policy.evaluator.records.records import RecordInput

    raws = [(json.dumps(record).encode(), record, as_of) for record, as_of in pairs]

    def explain_all():
        for raw, record, as_of in raws:
            engine.explain(RecordInput("<bench>", value=record), raw, as_of)

    def check_all():
        for _, record, as_of in raws:
            engine.check(record, as_of)

    explain_seconds, check_seconds = paired_best(REPEATS, explain_all, check_all)
    return explain_seconds / len(raws), check_seconds / len(raws)


# --- end to end: check on many records against the hand-written script --------------------

END_TO_END_BAR = 0.4  # check / hand-written end-to-end script, at least
MEMORY_BAR = 1.2  # peak at the large run / peak at 10,000 records, at most
MEMORY_LIMIT_MIB = 150
JOBS_BAR = 1.7  # --jobs 2 / --jobs 1 throughput on two free cores, at least
JOBS_TURNS = 3
END_TO_END_TURNS = 3
END_AS_OF = "2020-06-01"
DIFF_BAR = 2.2  # diff of two policy folders / one check of the same records (jsonl), CPU, at most
DIFF_AS_OF = "2022-06-01"  # a date on which the fee the second folder raises is in force


def child_cpu(command: list[str], stdout=None) -> tuple[float, float]:
    """CPU seconds (user + system, its children included) and wall seconds of one command."""
    import resource

    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=stdout or subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter() - start
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def peak_mib(command: list[str]) -> float:
    """The largest resident size of ``command`` and its children, in MiB, measured in a process of its own."""
    script = ("import resource, subprocess, sys\n"
              "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
              "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", script, *command], cwd=ROOT, capture_output=True, text=True)
    return int(done.stdout.split()[-1]) / 1024


def same_answers(check_lines: list[bytes], hand_lines: list[bytes]) -> int:
    """Lines on which ``check`` and the hand-written script differ, byte for byte: the baseline
    writes the very same line (messages, titles and sources included), or its speed means nothing."""
    if len(check_lines) != len(hand_lines):
        return max(len(check_lines), len(hand_lines))
    return sum(1 for ours, theirs in zip(check_lines, hand_lines) if ours != theirs)


def end_to_end(count: int, large: int, seed: int) -> dict:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="ecfmg-bench-"))
    records = folder / "records.jsonl"
    with open(records, "w") as out:
        for record, _ in make_records(count, seed):
            out.write(json.dumps(record) + "\n")
    check = [sys.executable, "-m", "ecfmg_policy", "check", str(records), "--as-of", END_AS_OF, "--format", "jsonl"]
    hand = [sys.executable, str(ROOT / "benchmarks" / "end_to_end.py"), str(records), END_AS_OF]
    with open(folder / "check.jsonl", "wb") as out:
        child_cpu(check, out)
    with open(folder / "hand.jsonl", "wb") as out:
        child_cpu(hand, out)
    differ = same_answers((folder / "check.jsonl").read_bytes().splitlines(),
                          (folder / "hand.jsonl").read_bytes().splitlines())
    check_cpu = hand_cpu = float("inf")
    for _ in range(END_TO_END_TURNS):  # in turns, so that a spell of load falls on both
        check_cpu = min(check_cpu, child_cpu(check + ["--output", os.devnull])[0])
        hand_cpu = min(hand_cpu, child_cpu(hand)[0])
    ones, twos = [], []
    for _ in range(JOBS_TURNS):  # in turns, so that a spell of load falls on both
        ones.append(child_cpu(check + ["--output", os.devnull, "--jobs", "1"]))
        twos.append(child_cpu(check + ["--output", os.devnull, "--jobs", "2"]))
    one, two = min(ones, key=lambda t: t[1]), min(twos, key=lambda t: t[1])

    small, big = folder / "small.jsonl", folder / "large.jsonl"
    lines = records.read_bytes().splitlines(keepends=True)
    small.write_bytes(b"".join(lines[:10_000]))
    with open(big, "wb") as out:
        for start in range(0, large, len(lines)):
            out.writelines(lines[:min(len(lines), large - start)])
    small_mib = peak_mib(check[:4] + [str(small)] + check[5:] + ["--output", os.devnull])
    big_mib = peak_mib(check[:4] + [str(big)] + check[5:] + ["--output", os.devnull])
    diff_figures = diff_against_check(folder, records, small, big)
    shutil.rmtree(folder)
    return {
        "end_to_end_records": count,
        "end_to_end_disagreements": differ,
        "check_records_per_second": count / check_cpu,
        "hand_end_to_end_records_per_second": count / hand_cpu,
        "end_to_end_ratio": hand_cpu / check_cpu,
        "end_to_end_bar": END_TO_END_BAR,
        "jobs_1_wall_seconds": one[1], "jobs_1_cpu_seconds": one[0],
        "jobs_2_wall_seconds": two[1], "jobs_2_cpu_seconds": two[0],
        "jobs_speed_up": one[1] / two[1],
        "jobs_bar": JOBS_BAR,
        "load_average": os.getloadavg(),
        "memory_small_records": 10_000, "memory_large_records": large,
        "peak_mib_small": small_mib, "peak_mib_large": big_mib,
        "memory_ratio": big_mib / small_mib, "memory_bar": MEMORY_BAR, "memory_limit_mib": MEMORY_LIMIT_MIB,
        **diff_figures,
    }


def diff_against_check(folder: Path, records: Path, small: Path, big: Path) -> dict:
    """(i) ``diff`` of two policy folders (the bundled one, and a copy with the 2022 fee raised)
    against one ``check`` of the same records, CPU in turns; and diff's peak memory at 10,000
    and at M records, which must stay flat: it keeps counts and examples, not results."""
    raised = folder / "raised"
    shutil.copytree(ROOT / "policies", raised)
    fee = raised / "ecfmg-certification" / "2022-01-01.yaml"
    fee.write_text(fee.read_text().replace("    2022-01-01: 160\n", "    2022-01-01: 200\n"))

    def diff(path: Path) -> list[str]:
        return [sys.executable, "-m", "ecfmg_policy", "diff", str(path), "--base", str(ROOT / "policies"),
                "--head", str(raised), "--as-of", DIFF_AS_OF, "--format", "json", "--output", os.devnull]

    check = [sys.executable, "-m", "ecfmg_policy", "check", str(records), "--as-of", DIFF_AS_OF, "--format", "jsonl",
             "--output", os.devnull]
    diff_cpu = check_cpu = float("inf")
    for _ in range(END_TO_END_TURNS):  # in turns, so that a spell of load falls on both
        diff_cpu = min(diff_cpu, child_cpu(diff(records))[0])
        check_cpu = min(check_cpu, child_cpu(check)[0])
    small_mib, big_mib = peak_mib(diff(small)), peak_mib(diff(big))
    return {"diff_cpu_seconds": diff_cpu, "diff_check_cpu_seconds": check_cpu, "diff_ratio": diff_cpu / check_cpu,
            "diff_bar": DIFF_BAR, "diff_peak_mib_small": small_mib, "diff_peak_mib_large": big_mib,
            "diff_memory_ratio": big_mib / small_mib}


def report(figures: dict) -> str:
    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    ratio, startup = figures["throughput_ratio"], figures["startup_ratio"]
    ratio_verdict = f"(bar >= {THROUGHPUT_BAR}: {verdict(ratio >= THROUGHPUT_BAR)})"
    startup_verdict = f"(bar <= {STARTUP_BAR}: {verdict(startup <= STARTUP_BAR)})"
    rows = [
        ("(a) hand-written evaluate_seed", f"{figures['hand_written_records_per_second']:>12,.0f} records/s"),
        ("(b) policy evaluate_valid", f"{figures['policy_records_per_second']:>12,.0f} records/s"),
        ("    policy / hand-written", f"{ratio:>12.2f} x      {ratio_verdict}"),
        ("(c) schema + date conversion", f"{figures['schema_and_dates_records_per_second']:>12,.0f} records/s"
                                         f"  ({figures['schema_and_dates_microseconds_per_record']:.1f} us/record)"),
        ("(d) ecfmg-policy check (1 record)", f"{figures['check_command_seconds'] * 1000:>12.1f} ms"),
        ("    python -c 'import yaml, ...'", f"{figures['bare_imports_seconds'] * 1000:>12.1f} ms"),
        ("    check / bare imports", f"{startup:>12.2f} x      {startup_verdict}"),
        ("(h) check (1 record, text)", f"{figures['check_one_record_seconds'] * 1000:>12.1f} ms"),
        *((f"    explain --format {form}", f"{seconds * 1000:>12.1f} ms")
          for form, seconds in figures["explain_seconds"].items()),
        ("    slowest explain / check", f"{figures['explain_ratio']:>12.2f} x      (bar <= {EXPLAIN_BAR}: "
                                        f"{verdict(figures['explain_ratio'] <= EXPLAIN_BAR)})"),
        ("    in process, per record", f"{figures['explain_in_process_ms']:>12.2f} ms to explain, "
                                       f"{figures['check_in_process_ms']:.3f} ms to check"),
    ]
    if "end_to_end_ratio" in figures:
        e2e, speed_up, memory = figures["end_to_end_ratio"], figures["jobs_speed_up"], figures["memory_ratio"]
        rows += [
            (f"(e) check, {figures['end_to_end_records']:,} records", f"{figures['check_records_per_second']:>12,.0f} "
                                                                    "records/s (CPU)"),
            ("    hand-written end to end", f"{figures['hand_end_to_end_records_per_second']:>12,.0f} records/s (CPU)"),
            ("    check / hand-written", f"{e2e:>12.2f} x      (bar >= {END_TO_END_BAR}: {verdict(e2e >= END_TO_END_BAR)})"),
            ("(f) --jobs 1, wall", f"{figures['jobs_1_wall_seconds']:>12.1f} s"),
            ("    --jobs 2, wall", f"{figures['jobs_2_wall_seconds']:>12.1f} s"),
            ("    speed-up", f"{speed_up:>12.2f} x      (bar >= {JOBS_BAR} on 2 free cores: {verdict(speed_up >= JOBS_BAR)}; "
                             f"load at the end {figures['load_average'][0]:.2f})"),
            ("    CPU, --jobs 2 / --jobs 1", f"{figures['jobs_2_cpu_seconds'] / figures['jobs_1_cpu_seconds']:>12.2f} x"
                                             "      (what the second process costs in all)"),
            (f"(g) peak memory, {figures['memory_small_records']:,} records", f"{figures['peak_mib_small']:>12.1f} MiB"),
            (f"    peak memory, {figures['memory_large_records']:,} records", f"{figures['peak_mib_large']:>12.1f} MiB"),
            ("    large / small", f"{memory:>12.2f} x      (bar <= {MEMORY_BAR} and under {MEMORY_LIMIT_MIB} MiB: "
                                    f"{verdict(memory <= MEMORY_BAR and figures['peak_mib_large'] < MEMORY_LIMIT_MIB)})"),
            (f"(i) diff of two folders, {figures['end_to_end_records']:,}", f"{figures['diff_cpu_seconds']:>12.2f} s CPU"),
            ("    check --format jsonl, the same", f"{figures['diff_check_cpu_seconds']:>12.2f} s CPU"),
            ("    diff / check", f"{figures['diff_ratio']:>12.2f} x      (bar <= {DIFF_BAR}: "
                                   f"{verdict(figures['diff_ratio'] <= DIFF_BAR)})"),
            (f"    diff peak, {figures['memory_small_records']:,} / {figures['memory_large_records']:,}",
             f"{figures['diff_peak_mib_small']:>12.1f} / {figures['diff_peak_mib_large']:.1f} MiB "
             f"({figures['diff_memory_ratio']:.2f} x, bar <= {MEMORY_BAR}: "
             f"{verdict(figures['diff_memory_ratio'] <= MEMORY_BAR)})"),
        ]
    width = max(len(name) for name, _ in rows)
    lines = [f"load average before the run: {' '.join(f'{x:.2f}' for x in figures['load_before'])} "
             f"(1, 5, 15 minutes; {os.cpu_count()} cores)",
             f"{figures['records']} records, seed {figures['seed']}, Python {figures['python']}; "
             f"decisions: {', '.join(f'{k} {v}' for k, v in figures['decisions'].items())}",
             f"engine and hand-written policy disagree on {figures['disagreements']} records"
             + (f"; check and the hand-written script write different lines for {figures['end_to_end_disagreements']}"
                if "end_to_end_disagreements" in figures else ""), ""]
    lines += [f"{name:<{width}}  {value}" for name, value in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20000, help="synthetic records to evaluate (default 20000)")
    parser.add_argument("--seed", type=int, default=2004, help="random seed for the records (default 2004)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--end-to-end", type=int, default=100_000, metavar="N",
                        help="records for check end to end and --jobs (default 100000; 0 skips e-g)")
    parser.add_argument("--memory-records", type=int, default=1_000_000, metavar="M",
                        help="records of the large run for peak memory (default 1000000)")
    args = parser.parse_args(argv)
    if args.records < 1:
        parser.error("--records must be at least 1")
    load_before = os.getloadavg()  # the machine's own load, before this run adds to it
    figures = measure(args.records, args.seed)
    figures["load_before"] = load_before
    if args.end_to_end:
        figures.update(end_to_end(args.end_to_end, args.memory_records, args.seed))
    print(json.dumps(figures, indent=2) if args.json else report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
