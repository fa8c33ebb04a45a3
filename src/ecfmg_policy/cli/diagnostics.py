"""Diagnostics in the formats CI systems read: text, JSON, GitHub annotations, SARIF 2.1.0."""

from __future__ import annotations

import json
from pathlib import Path

from ecfmg_policy import __version__
from ecfmg_policy.errors import Diagnostic, terminal_safe

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def as_text(diagnostics: tuple[Diagnostic, ...], summary: str) -> str:
    return "\n".join([d.render() for d in diagnostics] + [summary])


def as_json(diagnostics: tuple[Diagnostic, ...], counts: dict) -> str:
    return json.dumps({"diagnostics": [d.to_json() for d in diagnostics], "summary": counts}, indent=2)


def _escape_data(text: str) -> str:
    """A workflow command's text: GitHub's own escapes, then nothing a log viewer would act on."""
    return terminal_safe(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def as_github(diagnostics: tuple[Diagnostic, ...]) -> str:
    """GitHub Actions workflow commands: each becomes an annotation on the file and line."""
    lines = []
    for d in diagnostics:
        level = "error" if d.severity == "error" else "warning"
        props = [f"title={_escape_property('ecfmg-policy ' + d.code)}"]
        if d.file:
            props.insert(0, f"file={_escape_property(d.file)}")
        if d.position is not None:
            props[1:1] = [f"line={d.position.line}", f"col={d.position.column}"]
        message = d.message + (f" (help: {d.hint})" if d.hint else "")
        lines.append(f"::{level} {','.join(props)}::{_escape_data(message)}")
    return "\n".join(lines)


def as_sarif(diagnostics: tuple[Diagnostic, ...], tool: str = "ecfmg-policy lint") -> str:
    """A SARIF 2.1.0 log with one run; rules are the diagnostic codes."""
    codes = sorted({d.code for d in diagnostics})
    results = []
    for d in diagnostics:
        result = {"ruleId": d.code, "ruleIndex": codes.index(d.code),
                  "level": "error" if d.severity == "error" else "warning",
                  "message": {"text": d.message + (f"\nhelp: {d.hint}" if d.hint else "")}}
        if d.file:
            location: dict = {"artifactLocation": {"uri": Path(d.file).as_posix()}}
            if d.position is not None:
                location["region"] = {"startLine": d.position.line, "startColumn": d.position.column}
            results.append(result | {"locations": [{"physicalLocation": location}]})
        else:
            results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "ecfmg-policy", "version": __version__,
                                "informationUri": "https://ecfmg-policy.example/docs",
                                "rules": [{"id": code, "shortDescription": {"text": code.replace("-", " ")}}
                                          for code in codes]}},
            "results": results,
        }],
    }
    return json.dumps(log, indent=2)
