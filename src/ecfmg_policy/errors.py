"""One error type for everything a user can get wrong.

A :class:`Diagnostic` names the file, the place (line and column, or a JSON
pointer), what is wrong and, where we know it, what to do.  Stages raise
:class:`PolicyError` carrying one or more diagnostics; the command line turns
them into lines for people.  No stage ever lets a Python traceback reach the
user for bad input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Longest piece of a user's text (a value, a key, a source line) a message shows.
SHOWN_CHARACTERS = 200

# What a terminal acts on rather than shows: C0 and C1 controls (ESC starts colour, cursor and
# window-title sequences; CR redraws a line), DEL, bidirectional overrides and isolates (they
# reorder what is read), line separators, byte-order marks, and lone surrogates (not encodable).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                     "\u2066-\u2069\ufeff\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_one(match: re.Match) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def terminal_safe(text: str) -> str:
    """``text`` with everything a terminal would act on written as a visible escape (``\\x1b``, ``\\u202e``).

    Records and policies are untrusted: without this a record could draw a fake
    decision line, retitle the window or crash the output with a lone surrogate.
    JSON output needs none of it; the JSON encoder escapes what it must.
    """
    return text if _UNSAFE.search(text) is None else _UNSAFE.sub(_escape_one, text)


def clip(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out: a message stays one readable line."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def excerpt(line: str, column: int, width: int = SHOWN_CHARACTERS) -> tuple[str, int, bool]:
    """A window of at most ``width`` characters of ``line`` around ``column``, escaped for a terminal.

    Returns the text, the 0-based place of the caret in it, and whether the
    line was shortened: a malformed 50 MB line must not be echoed whole.
    """
    index = max(0, min(column - 1, len(line)))
    start = 0 if len(line) <= width else max(0, min(index - width // 2, len(line) - width))
    end = start + width

    def show(part: str) -> str:  # a tab is one column wide, so the caret stays under its character
        return terminal_safe(part.replace("\t", " "))

    before = ("…" if start else "") + show(line[start:index])
    after = show(line[index:end]) + ("…" if end < len(line) else "")
    return before + after, len(before), len(line) > width


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
    end_column: int | None = None  # just past the mistake, on the position's line: a span, underlined
    pointer: str | None = None
    hint: str | None = None
    severity: str = "error"
    code: str = "error"

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
        """The one-line summary, then the offending line with a caret, then the hint.

        Everything is escaped for a terminal and long texts are shortened: the
        file name, message and line may all come from untrusted input.
        """
        message = clip(self.message, 4 * SHOWN_CHARACTERS)
        lines = [terminal_safe(f"{self.location()}: {self.severity}: {message}")]
        pos = self.position
        if pos is not None and pos.line_text is not None:
            text, caret, shortened = excerpt(pos.line_text.rstrip("\n"), pos.column)
            gutter = f"{pos.line:>4} | "
            lines.append(gutter + text)
            note = f" (line shortened to {SHOWN_CHARACTERS} of {len(pos.line_text)} characters)" if shortened else ""
            width = max(1, (self.end_column or pos.column + 1) - pos.column)
            width = min(width, max(1, len(text) - caret))  # the span as far as the shown text goes
            lines.append(" " * (len(gutter) + caret) + "^" * width + note)
        if self.hint:
            lines.append(terminal_safe(f"  = help: {clip(self.hint, 4 * SHOWN_CHARACTERS)}"))
        return "\n".join(lines)

    def to_json(self) -> dict:
        out: dict = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.position is not None:
            out.update(file=self.position.source, line=self.position.line, column=self.position.column)
            if self.end_column is not None:
                out["end_column"] = self.end_column
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
