"""Diagnostics in the formats CI systems read: text, JSON, GitHub annotations, SARIF 2.1.0.

GitHub reads both an annotation's ``file`` and a SARIF ``artifactLocation`` as
a path from the root of the repository, whatever directory the tool ran in, so
both are written relative to the repository root, found as git finds it: the
nearest folder upward holding ``.git``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from urllib.parse import quote

from ecfmg_policy import __version__
from ecfmg_policy.codes import describe
from ecfmg_policy.errors import Diagnostic, terminal_safe
from ecfmg_policy.project import PROJECT_URL

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SOURCE_ROOT = "SRCROOT"  # the uriBaseId SARIF viewers and GitHub know for "the checkout"


def as_text(diagnostics: tuple[Diagnostic, ...], summary: str) -> str:
    return "\n".join([d.render() for d in diagnostics] + [summary])


def as_json(diagnostics: tuple[Diagnostic, ...], counts: dict) -> str:
    return json.dumps({"diagnostics": [d.to_json() for d in diagnostics], "summary": counts}, indent=2)


def repository_root(start: Path | None = None) -> Path | None:
    """The work tree holding ``start`` (default: the current directory), or None outside one."""
    here = Path(os.path.abspath(start or Path.cwd()))
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return None


def root_of(file: str | None) -> Path | None:
    """The repository a file is in, found from the file (as git would from its folder), so the
    command may run anywhere: in a sub-folder, outside the repository, through a link."""
    if not file:
        return repository_root()
    return repository_root(Path(os.path.abspath(file)).parent)


def repo_path(file: str, root: Path | None) -> str:
    """``file`` as a posix path from the repository root; as given when outside the repository."""
    if root is None:
        return Path(file).as_posix()
    for absolute, base in ((Path(os.path.abspath(file)), root), (Path(file).resolve(), root.resolve())):
        try:
            return absolute.relative_to(base).as_posix()
        except ValueError:
            continue
    return Path(file).as_posix()


def _escape_data(text: str) -> str:
    """A workflow command's text: GitHub's own escapes, then nothing a log viewer would act on."""
    return terminal_safe(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: str, title: str, file: str | None = None, line: int | None = None,
               column: int | None = None, root: Path | None = None, end_column: int | None = None) -> str:
    """One GitHub Actions workflow command: an annotation on ``file`` at ``line`` (from the repository root)."""
    props = []
    if file:
        props.append(f"file={_escape_property(repo_path(file, root))}")
    if line is not None:
        props.append(f"line={line}")
    if column is not None:
        props.append(f"col={column}")
    if end_column is not None:
        props.append(f"endColumn={end_column}")
    props.append(f"title={_escape_property(title)}")
    return f"::{level} {','.join(props)}::{_escape_data(message)}"


def as_github(diagnostics: tuple[Diagnostic, ...]) -> str:
    """Each diagnostic becomes an annotation on its file and line in the pull request."""
    lines = []
    for d in diagnostics:
        pos = d.position
        lines.append(annotation("error" if d.severity == "error" else "warning",
                                d.message + (f" (help: {d.hint})" if d.hint else ""), f"ecfmg-policy {d.code}",
                                d.file, pos.line if pos else None, pos.column if pos else None, root_of(d.file),
                                d.end_column if pos else None))
    return "\n".join(lines)


def _sarif_rule(code: str) -> dict:
    """A SARIF reportingDescriptor from the code table: what GitHub shows at the top of an alert."""
    entry = describe(code)
    url = entry.help_uri(code)
    return {
        "id": code,
        "name": "".join(part.capitalize() for part in code.split("-")),
        "shortDescription": {"text": entry.title},
        "fullDescription": {"text": entry.meaning},
        "help": {"text": f"{entry.meaning} What to do: {entry.remedy} See {url}",
                 "markdown": f"{entry.meaning}\n\n**What to do:** {entry.remedy}\n\n[The policy author's guide]({url})"},
        "helpUri": url,
        "defaultConfiguration": {"level": "error" if entry.severity == "error" else "warning"},
        "properties": {"tags": ["policy", entry.severity]},
    }


def _fingerprint(d: Diagnostic, uri: str) -> str:
    """Stable across runs and unrelated edits: the code, the file and the message, not the line."""
    return hashlib.sha256(f"{d.code}\0{uri}\0{d.message}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def as_sarif(diagnostics: tuple[Diagnostic, ...], fallback_file: str | None = None,
             root: Path | None = None) -> str:
    """A SARIF 2.1.0 log with one run, as GitHub code scanning and the OASIS schema read it.

    Rules are the diagnostic codes, described from :mod:`ecfmg_policy.codes`. Every result has a
    location (GitHub rejects results without one): a problem of no one file is placed at the
    first line of ``fallback_file``, the path that was checked.
    """
    root = root if root is not None else root_of(fallback_file or (diagnostics[0].file if diagnostics else None))
    codes = sorted({d.code for d in diagnostics})
    results = []
    for d in diagnostics:
        file = d.file or fallback_file or "."
        relative = root is not None and not Path(repo_path(file, root)).is_absolute()
        uri = quote(repo_path(file, root)) if relative else Path(os.path.abspath(file)).as_uri()
        artifact = {"uri": uri, "uriBaseId": SOURCE_ROOT} if relative else {"uri": uri}
        region = {"startLine": d.position.line, "startColumn": d.position.column} if d.position else {"startLine": 1}
        if d.position is not None and d.end_column is not None:
            region["endColumn"] = d.end_column
        results.append({
            "ruleId": d.code, "ruleIndex": codes.index(d.code),
            "level": "error" if d.severity == "error" else "warning",
            "message": {"text": d.message + (f"\nhelp: {d.hint}" if d.hint else "")},
            "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": region}}],
            "partialFingerprints": {"ecfmgPolicyDiagnostic/v1": _fingerprint(d, uri)},
        })
    run: dict = {
        "tool": {"driver": {"name": "ecfmg-policy", "version": __version__, "semanticVersion": __version__,
                            "informationUri": PROJECT_URL, "rules": [_sarif_rule(code) for code in codes]}},
        "columnKind": "unicodeCodePoints",  # columns count characters, as the caret in the text report does
        "results": results,
    }
    if root is not None:
        base = root.as_uri().rstrip("/") + "/"  # a base URI ends with a slash (SARIF §3.14.14)
        run["originalUriBaseIds"] = {SOURCE_ROOT: {"uri": base,
                                                   "description": {"text": "The root of the repository checked."}}}
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)
