"""A directory of policy files: every version loaded, checked, compiled; one chosen by date.

Loading does all the work that does not depend on a record (parse, check,
compile) for every version, so a broken version is reported even when the
date in question would not use it.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from ecfmg_policy.errors import Diagnostic, PolicyError, UsageError, did_you_mean
from ecfmg_policy.evaluator.checker.checker import check_policy
from ecfmg_policy.evaluator.compiler.compiler import CompiledPolicy, compile_policy
from ecfmg_policy.evaluator.policy.loader import load_policy_file
from ecfmg_policy.evaluator.policy.model import Policy
from ecfmg_policy.evaluator.policy.versions import resolve_versions_leniently
from ecfmg_policy.evaluator.source.yaml_source import FolderEntry, folder_files


def bundled_policies() -> Path:
    """The default policy set: inside the installed package, or at the repository root when run from a checkout."""
    package = Path(str(resources.files("ecfmg_policy")))
    if (package / "policies").is_dir():
        return package / "policies"
    return package.resolve().parents[1] / "policies"  # src/ecfmg_policy -> the checkout's root


def find_policies(given: Path | None = None) -> Path:
    """Where every command takes its policies from (spec §8), in one place.

    ``--policy`` (or the paths given) when there is one; otherwise the nearest
    ``policies/`` folder in the current folder or one of its parents, as git
    finds ``.git``, so that someone editing a checkout always checks the files
    being edited; otherwise the bundled set.  A folder found this way is
    returned relative to the current folder, so every message and report names
    the files as the user sees them.
    """
    if given is not None:
        return Path(given)
    return nearest_policies() or bundled_policies()


def nearest_policies() -> Path | None:
    """The ``policies/`` folder in the current folder or the nearest parent, relative to the
    current folder; None if there is none (``fmt`` then refuses rather than rewrite the bundled set)."""
    here = Path.cwd()
    for folder in (here, *here.parents):
        candidate = folder / "policies"
        if candidate.is_dir():
            return Path(os.path.relpath(candidate))
    return None


def bundled_world_directory() -> Path:
    return bundled_policies() / "reference" / "world-directory.sample.json"


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Every version of a policy in timeline order, compiled, and how to choose one for a date."""

    versions: tuple[CompiledPolicy, ...]  # sorted by effective_from

    def select(self, as_of: datetime.date, version: str | None = None) -> CompiledPolicy:
        if version is not None:
            for compiled in self.versions:
                if compiled.policy.version == version:
                    compiled.run  # generate its code now, inside the caller's handling of PolicyError
                    return compiled
            known = ", ".join(c.policy.version for c in self.versions)
            hint = did_you_mean(version, [c.policy.version for c in self.versions])
            raise UsageError(f"no policy version `{version}`; " + (f"{hint} (versions: {known})" if hint
                                                                    else f"the versions are {known}"))
        chosen = None
        for compiled in self.versions:
            if compiled.policy.effective_from <= as_of:
                chosen = compiled
        if chosen is not None:
            chosen.run  # generate its code now, inside the caller's handling of PolicyError
        if chosen is None:
            first = self.versions[0].policy
            raise UsageError(f"as-of date {as_of.isoformat()} is before the first policy version "
                             f"({first.version}, effective {first.effective_from.isoformat()}); "
                             f"judge as of {first.effective_from.isoformat()} or later")
        return chosen


def policy_files(path: Path) -> list[Path]:
    """Policy files under ``path``: ``*.yaml``/``*.yml``, skipping ``tests`` folders and reference data."""
    return [entry.path for entry in policy_entries(path) if entry.problem is None]


def policy_entries(path: Path) -> list[FolderEntry]:
    """:func:`policy_files`, with the entries that cannot be read and why.

    Links inside the folder are not followed but reported, each by name: a
    policy folder cannot make the engine read a file outside it.
    """
    if os.path.isfile(path):
        return [FolderEntry(path)]
    return folder_files(path, (".yaml", ".yml"), recursive=True, skip=("tests",))


@dataclass(frozen=True, slots=True)
class Analysis:
    """How far a policy folder got: versions resolved, versions compiled, and every problem."""

    resolved: tuple[Policy, ...]
    compiled: tuple[CompiledPolicy, ...]
    problems: tuple[Diagnostic, ...]


def analyse_policy_set(path: Path) -> Analysis:
    """Run every stage as far as it can go, collecting problems instead of stopping at the first.

    Files that load are resolved; versions that resolve are checked; versions
    that check are compiled.  ``load_policy_set`` refuses any problem, ``lint``
    reports them all.
    """
    if not os.path.exists(path):
        return Analysis((), (), (Diagnostic("policy path does not exist", source=str(path), code="policy-missing",
                                            hint="pass a policy file or a directory of them"),))
    entries = policy_entries(path)
    if not entries:
        return Analysis((), (), (Diagnostic("no policy files (*.yaml) found", source=str(path),
                                            code="policy-missing"),))
    problems: list[Diagnostic] = [entry.problem for entry in entries if entry.problem is not None]
    files = [entry.path for entry in entries if entry.problem is None]
    loaded = []
    for file in files:
        try:
            loaded.append(load_policy_file(file))
            problems.extend(loaded[-1].problems)
        except PolicyError as exc:
            problems.extend(exc.diagnostics)
    policies, timeline_problems = resolve_versions_leniently(loaded, complete=len(loaded) == len(entries))
    problems.extend(timeline_problems)
    compiled: list[CompiledPolicy] = []
    for policy in policies:
        try:
            compiled.append(compile_policy(check_policy(policy)))
        except PolicyError as exc:
            problems.extend(d for d in exc.diagnostics if d not in problems)
    dated = [replace(c, effective_to=later.policy.effective_from - datetime.timedelta(days=1))
             for c, later in zip(compiled, compiled[1:])] + compiled[-1:]
    return Analysis(tuple(policies), tuple(dated), tuple(problems))


def load_policy_set(path: Path) -> PolicySet:
    """Every version of a policy, compiled; any problem in any of them raises :class:`PolicyError`."""
    analysis = analyse_policy_set(path)
    if analysis.problems:
        raise PolicyError(list(analysis.problems))
    return PolicySet(analysis.compiled)
