"""One error type for everything a user can get wrong.

A :class:`Diagnostic` names the file, the place (line and column, or a JSON
pointer), what is wrong and, where we know it, what to do.  Stages raise
:class:`PolicyError` carrying one or more diagnostics; the command line turns
them into lines for people.  No stage ever lets a Python traceback reach the
user for bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a text file, 1-based line and column."""

    source: str
    line: int
    column: int
    line_text: str | None = None

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A message for a person about one place in one input."""

    message: str
    position: Position | None = None
    source: str | None = None
    pointer: str | None = None
    hint: str | None = None
    severity: str = "error"
    code: str = "error"
    expected: tuple[str, ...] = field(default=())

    @property
    def file(self) -> str | None:
        return self.position.source if self.position else self.source

    def location(self) -> str:
        """``file:line:col`` or ``file#/json/pointer`` or just ``file``."""
        if self.position is not None:
            return str(self.position)
        where = self.source or "<input>"
        if self.pointer is not None:
            return f"{where}#{self.pointer or '/'}"
        return where

    def render(self) -> str:
        """The one-line summary, then the offending line with a caret, then the hint."""
        lines = [f"{self.location()}: {self.severity}: {self.message}"]
        pos = self.position
        if pos is not None and pos.line_text is not None:
            text = pos.line_text.rstrip("\n")
            gutter = f"{pos.line:>4} | "
            lines.append(gutter + text)
            lines.append(" " * (len(gutter) + pos.column - 1) + "^")
        if self.hint:
            lines.append(f"  = help: {self.hint}")
        return "\n".join(lines)

    def to_json(self) -> dict:
        out: dict = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.position is not None:
            out.update(file=self.position.source, line=self.position.line, column=self.position.column)
        elif self.source is not None:
            out["file"] = self.source
        if self.pointer is not None:
            out["path"] = self.pointer or "/"
        if self.hint:
            out["hint"] = self.hint
        return out


class PolicyError(Exception):
    """A policy (or its reference data) cannot be used; carries the reasons."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


class InputError(Exception):
    """A record or data file cannot be read or parsed (not a schema failure)."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.render())


class UsageError(Exception):
    """The command was asked for something that cannot be (exit status 2)."""


def did_you_mean(name: str, candidates) -> str | None:
    """A "did you mean" hint for a misspelt name, or None."""
    import difflib

    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None
