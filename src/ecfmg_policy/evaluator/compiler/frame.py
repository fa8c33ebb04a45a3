"""Where in a policy the code writer is: the names in scope and what is known of them.

Jinja's code generator passes a ``Frame`` down as it writes each node; so does
this one (``pycode``, ``nullness``, ``compiler``, the built-ins' fast paths).
A frame is immutable: entering a loop or an inlined definition makes a new one,
so nothing has to be saved and restored by hand, and what is learnt inside a
loop cannot leak out of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

from ecfmg_policy.evaluator.language import nodes as n


@dataclass(frozen=True, slots=True)
class Frame:
    """The scope of the expression being written (see the module docstring)."""

    names: frozenset[str] = frozenset()  # loop variables and parameters in scope
    non_null: frozenset[str] = frozenset()  # those of them that can never be null
    substitutions: Mapping[str, str] = field(default_factory=dict)  # inlined parameter -> argument's code
    arguments: Mapping[str, n.Node] = field(default_factory=dict)  # inlined parameter -> argument's node
    inline_depth: int = 0  # definitions inlined around this point
    in_iterable: bool = False  # inside a comprehension's iterable, where Python forbids `:=`

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def with_loop_variable(self, name: str, never_null: bool) -> "Frame":
        """Inside a comprehension over a list: its variable is in scope, never null if no item is."""
        non_null = self.non_null | {name} if never_null else self.non_null - {name}
        return replace(self, names=self.names | {name}, non_null=non_null)

    def iterable(self) -> "Frame":
        """Writing what a comprehension walks."""
        return replace(self, in_iterable=True)

    def inlined(self, params: tuple[str, ...], codes: list[str], nodes: tuple[n.Node, ...],
                never_null: frozenset[str]) -> "Frame":
        """The body of a definition written in place of a call: only its parameters are in scope,
        each standing for the argument it was given (an argument that is itself a parameter of
        an enclosing inlined definition stands for what that one was given)."""
        arguments = {param: self.arguments.get(arg.name, arg) if isinstance(arg, n.Name) and arg.name in self
                     else arg for param, arg in zip(params, nodes)}
        return Frame(frozenset(params), never_null, dict(zip(params, codes)), arguments,
                     self.inline_depth + 1, self.in_iterable)


def definition_frame(params: tuple[str, ...]) -> Frame:
    """The body of a definition with parameters: they are in scope, and may be null."""
    return Frame(names=frozenset(params))
