"""A policy folder as it is at a git revision, copied out for loading (``diff --base-ref``).

The pull-request question is "what does my edit do, against the policies on ``main``?": the
same folder, read at another revision.  It is read through ``git`` itself (``rev-parse``,
``ls-tree``, ``cat-file``), never by checking anything out, so the working tree is not
touched.  Only what loading a policy folder would read is copied: ``*.yaml``/``*.yml``
files outside ``tests`` folders, and links among them as links, which loading then refuses
by name as it does in a checkout.  A revision is a name, never an option (``-`` first is
refused), and every path in the tree is checked before anything is written: a repository is
as hostile as any other input.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ecfmg_policy.errors import UsageError, clip

GIT_SECONDS = 120  # one git command; past it the repository is taken as unusable, not waited on
POLICY_SUFFIXES = (".yaml", ".yml")
_REPOSITORY_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Where a policy path at a revision was copied, and how to name it to a person."""

    path: Path  # the copy: a folder or file under the temporary folder given
    revision: str  # as the user wrote it
    commit: str  # the full commit id it named
    in_repository: str  # the path inside the repository, POSIX style ("policies/ecfmg-certification")

    def shown(self, copied: str) -> str:
        """A copied file's name as a person knows it: ``REVISION:path/in/repository``, git's own notation."""
        if copied != str(self.path) and not copied.startswith(str(self.path) + os.sep):
            return copied  # not a copied file (reference data named on the command line)
        relative = os.path.relpath(copied, self.path) if os.path.isdir(self.path) else ""
        inside = PurePosixPath(self.in_repository, *Path(relative).parts) if relative not in ("", ".") \
            else PurePosixPath(self.in_repository)
        return f"{self.revision}:{inside}"


def copy_at_revision(path: Path, revision: str, into: Path) -> Snapshot:
    """Copy ``path`` (a policy folder or file in a git working tree) as it is at ``revision``
    into the folder ``into``; a problem raises :class:`UsageError` saying what to do."""
    if not revision or revision.startswith("-"):
        raise UsageError(f"`{revision}` is not a git revision; name a branch, tag or commit (e.g. origin/main)")
    absolute = Path(os.path.abspath(path))
    folder = absolute if absolute.is_dir() else absolute.parent
    if not folder.is_dir():
        raise UsageError(f"{path}: no such folder; name the policy folder whose history to read")
    top = _git(folder, "rev-parse", "--show-toplevel", what=f"{path} is not in a git repository; "
               "--base-ref reads the policies from git history, so run it in a clone").strip()
    inside = PurePosixPath(Path(os.path.relpath(os.path.realpath(absolute), os.path.realpath(top))).as_posix())
    if inside.parts and inside.parts[0] == "..":
        raise UsageError(f"{path}: is outside the git repository at {top}")
    try:
        commit = _git(top, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}",
                      what=f"no revision `{revision}` in the git repository at {top}; fetch it first "
                           f"(git fetch origin) or name a branch, tag or commit").strip()
    except UsageError:
        # `HEAD^{tree}`, `HEAD:policies/x.yaml`: there, but not a commit; fetching would not help
        kind = "a tree" if _resolves(top, f"{revision}^{{tree}}") else "a file" if _resolves(top, revision) else None
        if kind is None:
            raise
        raise UsageError(f"`{revision}` names {kind}, not a commit; name a branch, tag or commit "
                         f"(e.g. origin/main)") from None
    listing = _git(top, "ls-tree", "-r", "-z", "--full-tree", commit, "--", str(inside),
                   what=f"cannot list {inside} at {revision}")
    entries = [entry for entry in listing.split("\0") if entry]
    if not entries:
        raise UsageError(f"{inside} does not exist at {revision}; name a revision that has the policies, "
                         f"or compare folders with --base")
    target = into / (inside.name or "policies")
    whole_file = len(entries) == 1 and entries[0].split("\t", 1)[1] == str(inside)
    wanted: list[tuple[str, str, PurePosixPath]] = []  # (mode, object, path relative to `inside`)
    for entry in entries:
        meta, _, name = entry.partition("\t")
        mode, kind, obj = meta.split(" ")
        relative = PurePosixPath(name).relative_to(inside) if not whole_file else PurePosixPath(inside.name)
        if not _safe(relative):
            raise UsageError(f"{revision}:{name}: a path git should never hold; this repository is not usable")
        if kind != "blob" or relative.suffix not in POLICY_SUFFIXES or "tests" in relative.parts[:-1]:
            continue  # what loading the folder never reads (test cases, data, notes, submodules)
        wanted.append((mode, obj, relative))
    contents = _blobs(top, [obj for _, obj, _ in wanted])
    for (mode, obj, relative), content in zip(wanted, contents):
        destination = (into if whole_file else target).joinpath(*relative.parts)
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            if mode == "120000":  # a link, kept a link: loading refuses it by name, as in a checkout
                os.symlink(content.decode("utf-8", "replace"), destination)
            else:
                destination.write_bytes(content)
        except OSError as exc:  # a tree no checkout would write: one name twice, a file and a folder, too long
            shown = PurePosixPath(inside, relative) if not whole_file else inside
            raise UsageError(f"{revision}:{clip(str(shown), 200)}: cannot be copied out of git "
                             f"({exc.strerror or exc}); this repository is not usable") from None
    if whole_file:
        return Snapshot(into / inside.name, revision, commit, str(inside))
    target.mkdir(parents=True, exist_ok=True)
    return Snapshot(target, revision, commit, str(inside))


def _safe(path: PurePosixPath) -> bool:
    return all(part not in ("", ".", "..", ".git") and "\\" not in part for part in path.parts)


def _resolves(top: str, name: str) -> bool:
    try:
        _git(top, "rev-parse", "--verify", "--quiet", name, what=name)
    except UsageError:
        return False
    return True


def _blobs(top: str, objects: list[str]) -> list[bytes]:
    """The contents of ``objects``, read with one ``git cat-file --batch``."""
    if not objects:
        return []
    out = _run(top, ["cat-file", "--batch"], ("\n".join(objects) + "\n").encode(), f"cannot read the files at {top}")
    contents, at = [], 0
    for obj in objects:
        end = out.index(b"\n", at)
        header = out[at:end].split(b" ")
        if len(header) != 3:
            raise UsageError(f"git could not read object {obj} in {top}")
        size = int(header[2])
        contents.append(out[end + 1:end + 1 + size])
        at = end + 1 + size + 1
    return contents


def _git(where, *args: str, what: str) -> str:
    return _run(str(where), list(args), None, what).decode("utf-8", "surrogateescape")


def _run(where: str, args: list[str], given: bytes | None, what: str) -> bytes:
    # A path is a name, never a pattern: without GIT_LITERAL_PATHSPECS a folder called
    # `:(top)pa` is pathspec magic and `ls-tree` lists `pa` instead.
    # -C finds the repository; a GIT_DIR or GIT_WORK_TREE left by a hook that runs us must not
    # point git at another one
    inherited = {name: value for name, value in os.environ.items() if name not in _REPOSITORY_VARIABLES}
    environment = {**inherited, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C",
                   "GIT_LITERAL_PATHSPECS": "1"}
    try:
        done = subprocess.run(["git", "-C", where, *args], input=given, capture_output=True, env=environment,
                              timeout=GIT_SECONDS, check=False)
    except FileNotFoundError:
        raise UsageError("git is not installed; --base-ref reads the policies from git history") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"{what} (git took longer than {GIT_SECONDS} s)") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = f" (git: {clip(said[-1], 200)})" if said and "--quiet" not in args else ""
        raise UsageError(what + reason)
    return done.stdout
