"""Parse expression text into :mod:`nodes` with Lark's LALR parser.

The grammar lives in ``grammar/expression.lark``.  The parser is built once
per process and Lark's grammar cache is kept on disk so that starting the
command line does not pay for grammar analysis (60-75 ms of CPU): in a folder
only this user can write (:func:`grammar_cache`), never in the shared temporary
folder Lark would choose, since Lark unpickles the cache before checking it and
anyone can plant a file there.  Syntax errors become
:class:`Diagnostic` objects that point at the character in the YAML file,
with what was expected in words.
"""

from __future__ import annotations

import datetime
import os
import stat
from functools import lru_cache
from importlib import resources
from typing import Callable

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ecfmg_policy.errors import Diagnostic, Position
from ecfmg_policy.evaluator.language import nodes as n
from ecfmg_policy.evaluator.language.values import make_duration


MAX_DEPTH = 50  # levels of nesting; generated Python must stay well inside CPython's own limits
RESERVED = frozenset({"and", "or", "not", "in", "at", "if", "then", "else", "for", "true", "false", "null"})


class ExpressionSyntaxError(Exception):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.message)


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files("ecfmg_policy.grammar").joinpath("expression.lark").read_text("utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True,
                cache=grammar_cache() or False)


def grammar_cache() -> str | None:
    """The file Lark keeps the analysed grammar in: ``$XDG_CACHE_HOME/ecfmg-policy/`` (else
    ``~/.cache/ecfmg-policy/``), a folder made for this user alone; ``None`` (no cache: a
    slower start, nothing else) when there is no such folder that only this user can write."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "ecfmg-policy")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        status = os.stat(folder, follow_symlinks=False)
    except OSError:
        return None
    owner = os.getuid() if hasattr(os, "getuid") else status.st_uid
    if not stat.S_ISDIR(status.st_mode) or status.st_mode & 0o022 or status.st_uid != owner:
        return None  # a link, or a folder others can write or own: its file could be anyone's
    return os.path.join(folder, "expression-grammar.lark-cache")


@lru_cache(maxsize=1)
def _terminal_words() -> dict[str, str]:
    words = {"NAME": "a name", "NUMBER": "a number", "STRING": "a string", "DATE": "a date",
             "UNIT": "a unit (years, months, weeks, days)", "COMPARE": "a comparison",
             "ADD_OP": "`+` or `-`", "MUL_OP": "`*` or `/`", "$END": "the end of the expression"}
    for term in _lark().terminals:
        if term.name not in words and term.pattern.type == "str":
            words[term.name] = f"`{term.pattern.value}`"
    return words


_OPERAND_WORDS = {"a name", "a number", "a string", "a date", "`(`", "`[`", "`{`", "`-`",
                  "`true`", "`false`", "`null`", "`not`", "`if`"}


def _describe_expected(expected) -> tuple[str, ...]:
    """What the parser would have accepted, in words; "a value" stands for any operand."""
    words = {_terminal_words().get(name, name) for name in expected}
    if len(words & _OPERAND_WORDS) >= 3:
        words = (words - _OPERAND_WORDS) | {"a value (a name, number, string, date, list or `(`)"}
    return tuple(sorted(words, key=lambda w: (w.startswith("`"), w)))


@v_args(meta=True, inline=True)
class _ToNodes(Transformer):
    """Lark tree -> plain nodes, keeping character offsets."""

    @staticmethod
    def _span(meta) -> tuple[int, int]:
        return (meta.start_pos, meta.end_pos) if not meta.empty else (0, 0)

    def number(self, meta, tok):
        return n.Literal(*self._span(meta), _number_value(tok))

    def string(self, meta, tok):
        return n.Literal(*self._span(meta), _string_value(tok))

    def date(self, meta, tok):
        try:
            return n.Literal(*self._span(meta), datetime.date.fromisoformat(str(tok)))
        except ValueError:
            raise _BadLiteral(tok.start_pos, f"`{tok}` is not a real date",
                              "write a date that exists, as YYYY-MM-DD") from None

    def duration(self, meta, count, unit):
        if "." in count:
            raise _BadLiteral(count.start_pos, "a duration needs a whole number",
                              "write for example `7 years` or `30 days`")
        if len(count.lstrip("0")) > MAX_DURATION_DIGITS:
            raise _BadLiteral(count.start_pos, f"`{_shorten(count)} {unit}` is longer than any calendar",
                              f"a duration has at most {MAX_DURATION_DIGITS} digits (dates end in 9999)")
        return n.Literal(*self._span(meta), make_duration(int(count), str(unit)))

    def true(self, meta):
        return n.Literal(*self._span(meta), True)

    def false(self, meta):
        return n.Literal(*self._span(meta), False)

    def null(self, meta):
        return n.Literal(*self._span(meta), None)

    @staticmethod
    def _not_reserved(tok) -> str:
        if str(tok) in RESERVED:
            raise _BadLiteral(tok.start_pos, f"`{tok}` is a reserved word and cannot be used here",
                              "check the expression around it; names cannot be and, or, not, in, at, if, "
                              "then, else, for, true, false or null")
        return str(tok)

    def name(self, meta, tok):
        return n.Name(*self._span(meta), self._not_reserved(tok))

    def list(self, meta, *items):
        return n.ListExpr(*self._span(meta), tuple(i for i in items if i is not None))

    def list_comprehension(self, meta, element, loop):
        return n.ListComprehension(*self._span(meta), element, loop)

    def entry(self, meta, key, value):
        """``(key_node, value_node, bare_name)``: a bare name is a literal key in ``{a: 1}``."""
        if isinstance(key, Token):
            if key.type == "NAME":
                return (n.Literal(key.start_pos, key.end_pos, str(key)), value, str(key))
            return (n.Literal(key.start_pos, key.end_pos, _string_value(key)), value, None)
        return (key, value, None)

    def object(self, meta, *entries):
        entries = [e for e in entries if e is not None]
        seen = set()
        for key, *_ in entries:
            if isinstance(key, n.Literal) and isinstance(key.value, str):
                if key.value in seen:  # Python keeps the last, a reader may expect the first: say so
                    raise _BadLiteral(key.start, f"the key `{key.value}` appears twice in this object",
                                      "write each key once")
                seen.add(key.value)
        return n.ObjectExpr(*self._span(meta), tuple(e[0] for e in entries), tuple(e[1] for e in entries))

    def object_comprehension(self, meta, entry, loop):
        key, value, bare_name = entry
        if bare_name is not None:  # in `{e: … for e in xs}` the key is the loop's value, as in Python
            key = n.Name(key.start, key.end, bare_name)
        return n.ObjectComprehension(*self._span(meta), key, value, loop)

    def comp_clause(self, meta, var, iterable, condition):
        return n.Comprehension(*self._span(meta), self._not_reserved(var), iterable, condition)

    def attribute(self, meta, target, name):
        return n.Attribute(*self._span(meta), target, str(name))

    def index(self, meta, target, key):
        return n.Index(*self._span(meta), target, key)

    def argument_list(self, meta, *args):
        return ("args", args)

    def generator_argument(self, meta, element, loop):
        return ("generator", n.ListComprehension(*self._span(meta), element, loop))

    def call(self, meta, function, arguments):
        start, end = self._span(meta)
        if arguments is None:
            return n.Call(start, end, str(function), ())
        kind, value = arguments
        if kind == "generator":
            return n.Call(start, end, str(function), (), value)
        return n.Call(start, end, str(function), tuple(value))

    def negate(self, meta, operand):
        return n.Unary(*self._span(meta), "-", operand)

    def not_expr(self, meta, operand):
        return n.Unary(*self._span(meta), "not", operand)

    def binary(self, meta, left, op, right):
        return n.Binary(*self._span(meta), str(op), left, right)

    def compare(self, meta, left, op, right):
        return n.Compare(*self._span(meta), str(op), left, right)

    def in_expr(self, meta, left, right):
        return n.Compare(*self._span(meta), "in", left, right)

    def not_in_expr(self, meta, left, right):
        return n.Compare(*self._span(meta), "not in", left, right)

    def at_expr(self, meta, target, day):
        return n.At(*self._span(meta), target, day)

    def and_expr(self, meta, left, right):
        return n.BoolOp(*self._span(meta), "and", left, right)

    def or_expr(self, meta, left, right):
        return n.BoolOp(*self._span(meta), "or", left, right)

    def if_expr(self, meta, condition, then, otherwise):
        return n.IfExpr(*self._span(meta), condition, then, otherwise)


class _BadLiteral(Exception):
    def __init__(self, offset: int, message: str, hint: str):
        self.offset, self.message, self.hint = offset, message, hint


MAX_NUMBER_DIGITS = 100  # far past any fee or count; Python itself refuses ints past 4,300 digits
MAX_DURATION_DIGITS = 7  # 9,999,999 days already leaves the calendar


def _shorten(text: str) -> str:
    return text if len(text) <= 20 else text[:12] + "…" + text[-4:]


def _number_value(tok: Token) -> int | float:
    """A number literal; one too long for a value to mean anything is refused where it stands."""
    if len(tok.lstrip("0")) > MAX_NUMBER_DIGITS:
        raise _BadLiteral(tok.start_pos, f"the number `{_shorten(tok)}` is too long",
                          f"write a number of at most {MAX_NUMBER_DIGITS} digits")
    if "." not in tok:
        return int(tok)
    value = float(tok)
    if value == float("inf"):  # pragma: no cover - 100 digits stay far below the float limit
        raise _BadLiteral(tok.start_pos, f"the number `{_shorten(tok)}` is too large", "write a smaller number")
    return value


_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "/": "/"}


def _string_value(tok: Token) -> str:
    """A quoted string's text.  Escapes: \\" \\' \\\\ \\n \\t \\r \\/ and \\uXXXX; any other is refused
    at its place rather than guessed at."""
    body, out, i = str(tok)[1:-1], [], 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        nxt = body[i + 1:i + 2]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        digits = body[i + 2:i + 6]
        if nxt == "u" and len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits):
            code = int(digits, 16)
            if 0xD800 <= code <= 0xDFFF:
                raise _BadLiteral(tok.start_pos + 1 + i, f"`\\u{digits}` is half of a character (a lone surrogate)",
                                  "write the character itself")
            out.append(chr(code))
            i += 6
            continue
        raise _BadLiteral(tok.start_pos + 1 + i, f"`\\{nxt}` is not an escape this language knows",
                          "inside a string write \\\" or \\' for a quote, \\\\ for a backslash, \\n for a new line")
    return "".join(out)


def parse_expression(text: str, locate: Callable[[int], Position]) -> n.Expression:
    """Parse ``text``; ``locate`` maps an offset in it to a position in its file."""
    if not text.strip():
        raise ExpressionSyntaxError(Diagnostic("empty expression", position=locate(0), code="syntax",
                                               hint="write a condition, for example `applicant.usmle_id != null`"))
    try:
        tree = _lark().parse(text)
        _refuse_deep_nesting(tree, locate)
        node = _ToNodes().transform(tree)
    except UnexpectedInput as exc:
        raise ExpressionSyntaxError(_syntax_diagnostic(exc, text, locate)) from None
    except VisitError as exc:
        inner = exc.orig_exc
        if isinstance(inner, _BadLiteral):
            raise ExpressionSyntaxError(Diagnostic(inner.message, position=locate(inner.offset),
                                                   hint=inner.hint, code="syntax")) from None
        raise
    if isinstance(node, Token):  # a lone parenthesised token never happens; guard for safety
        raise ExpressionSyntaxError(Diagnostic("cannot read this expression", position=locate(0), code="syntax"))
    return n.Expression(text, node, locate)


_CHAINS = {"or_expr", "and_expr", "binary"}  # left-recursive: `a and b and c` is one level, drawn deep
MAX_CHAIN_DEPTH = 150  # chains still deepen the tree; this keeps every stage well inside Python's limits


def _refuse_deep_nesting(tree, locate) -> None:
    """Measure nesting without recursion, so no input can exhaust the stack."""
    stack = [(tree, 1, 1)]
    while stack:
        node, depth, total = stack.pop()
        if depth > MAX_DEPTH or total > MAX_CHAIN_DEPTH:
            offset = node.meta.start_pos if not node.meta.empty else 0
            limit = MAX_DEPTH if depth > MAX_DEPTH else MAX_CHAIN_DEPTH
            raise ExpressionSyntaxError(Diagnostic(
                f"expression is nested too deeply (more than {limit} levels)", position=locate(offset),
                code="syntax", hint="split it into named definitions"))
        for index, child in enumerate(getattr(node, "children", ())):
            if hasattr(child, "children"):
                chained = index == 0 and node.data in _CHAINS and child.data == node.data
                stack.append((child, depth if chained else depth + 1, total + 1))


def _syntax_diagnostic(exc: UnexpectedInput, text: str, locate) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        offset = exc.pos_in_stream
        found = f"unexpected character `{text[offset]}`"
        expected = _describe_expected(exc.allowed or ())
    elif isinstance(exc, UnexpectedEOF):
        offset, found = len(text.rstrip()), "the expression ends too early"
        expected = _describe_expected(exc.expected)
    else:
        assert isinstance(exc, UnexpectedToken)
        token = exc.token
        if token.type == "$END":
            offset, found = len(text.rstrip()), "the expression ends too early"
        else:
            offset, found = token.start_pos, f"unexpected `{token}`"
        expected = _describe_expected(exc.accepts or exc.expected)
    offset = max(0, min(offset, len(text)))
    listed = ", ".join(expected[:8]) + (", …" if len(expected) > 8 else "")
    message = f"syntax error: {found}" + (f"; expected {listed}" if expected else "")
    return Diagnostic(message, position=locate(offset), code="syntax", hint=_hint_for(text, offset))


def _hint_for(text: str, offset: int) -> str | None:
    """Friendly advice for mistakes people coming from other languages make."""
    rest = text[offset:]
    for wrong, right in (("&&", "and"), ("||", "or"), ("!=", None), ("!", "not"), ("=", "==")):
        if rest.startswith(wrong) and right:
            return f"write `{right}` instead of `{wrong}`"
    if rest.startswith("#"):
        return "expressions have no comments; put the comment on a YAML line of its own, above the key"
    if rest.startswith("'") or rest.startswith('"'):
        return "close the string with the same quote it opens with"
    return None
