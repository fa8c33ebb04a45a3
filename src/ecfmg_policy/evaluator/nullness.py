"""What the compiler may assume about values: which can never be null, which are one orderable type.

A schema-valid record guarantees a lot: required fields are present and never
null, arrays hold no nulls, and a loop over such an array binds a variable
that cannot be null.  Where the compiler can prove that, it emits Python's own
subscripts and operators instead of the null-safe helpers of ``runtime``; the
answers here are what make the generated code cost about what hand-written
code does.  ``NullFacts`` is a mixin of the compiler's generator: it reads the
checker's node types, the definitions and the parameter values, and the
``Frame`` it is asked in says which local names are known never to be null.
Its answers for definitions are remembered, and do not depend on where they
are asked (a definition's parameters always count as possibly null).
"""

from __future__ import annotations

from ecfmg_policy.evaluator import nodes as n
from ecfmg_policy.evaluator import types as t
from ecfmg_policy.evaluator.builtins import BUILTINS
from ecfmg_policy.evaluator.frame import Frame, definition_frame


class NullFacts:
    """Questions about values, asked while generating code (see the module docstring)."""

    def non_null(self, node: n.Node, frame) -> bool:
        """Whether ``node`` never evaluates to null for a schema-valid record."""
        if not self.fast_paths:
            return False
        match node:
            case n.Literal(value=value):
                return value is not None
            case n.Name(name=name):
                if name in frame:
                    return name in frame.non_null
                if name in self.definitions:
                    return self._definition_answers(name, self.non_null)
                return name in ("applicant", "data", "as_of")
            case n.Attribute(target=n.Name(name="params"), name=name) if "params" not in frame:
                return self.params.get(name) is not None
            case n.Attribute(target=target, name=name):
                kind = self.type_of(target)
                if not isinstance(kind, t.Obj) or not self.non_null(target, frame):
                    return False
                return name in kind.required or name in self.object_fields_non_null.get(kind, ())
            case n.ListExpr() | n.ListComprehension() | n.ObjectExpr() | n.ObjectComprehension():
                return True
            case n.Compare() | n.BoolOp() | n.Unary(op="not"):
                return True
            case n.Call(function=name) if name in self.definitions:
                return self._definition_answers(name, self.non_null)
            case n.Call(function=name, args=args) if name in BUILTINS:
                return BUILTINS[name].never_null(self.non_null(a, frame) for a in args)
            case n.Binary(left=left, right=right):
                return self.non_null(left, frame) and self.non_null(right, frame)
            case n.IfExpr(then=a, otherwise=b):
                return self.non_null(a, frame) and self.non_null(b, frame)
        return False

    def items_non_null(self, node: n.Node, frame) -> bool:
        """Whether ``node`` is a list that is never null and holds no null."""
        if not self.fast_paths:
            return False
        match node:
            case n.Attribute(target=n.Name(name="params"), name=name) if "params" not in frame:
                value = self.params.get(name)
                return isinstance(value, list) and None not in value
            case n.Attribute():
                # arrays of a schema-valid record (or reference data) hold no nulls: no schema type
                # admits null; an absent array is looped over as empty.  Lists inside object
                # literals may hold anything.
                return isinstance(self.type_of(node), t.ListOf) and _from_schema_data(node, frame)
            case n.Name(name=name) if name not in frame and name in self.definitions:
                return self._definition_answers(name, self.items_non_null)
            case n.Call(function=name) if name in self.definitions:
                return self._definition_answers(name, self.items_non_null)
            case n.ListExpr(items=items):
                return all(self.non_null(i, frame) for i in items)
            case n.ListComprehension(element=element, loop=loop):
                return self.non_null(element, self._loop_frame(loop, frame))
        return False

    def _definition_answers(self, name: str, question) -> bool:
        """Ask ``question`` (``non_null`` or ``items_non_null``) of a definition's body, its
        parameters counting as possibly null; a definition being asked about already answers no."""
        key = (name, question.__name__)
        if key in self._answers:
            return self._answers[key]
        d = self.definitions[name]
        if name in self._deciding:
            return False
        self._deciding.add(name)
        try:
            answer = self._answers[key] = question(d.body.tree, definition_frame(d.params))
            return answer
        finally:
            self._deciding.discard(name)

    def _answer_definitions(self, order) -> None:
        """Answer both questions for every definition, dependencies first, so that later questions
        find them remembered: no walk repeats (``d2: d1 + d1`` doubles nothing) or recurses through
        a chain of definitions."""
        for name in order:
            self._definition_answers(name, self.non_null)
            self._definition_answers(name, self.items_non_null)

    def _loop_frame(self, loop: n.Comprehension, frame: Frame) -> Frame:
        """Inside a comprehension: its variable is in scope, non-null when the list holds no null."""
        return frame.with_loop_variable(loop.var, self.items_non_null(loop.iterable, frame))

    def _same_orderable_type(self, left: n.Node, right: n.Node) -> bool:
        """Both sides of one type that Python orders exactly as the language does."""
        kinds = {t.base((self.type_of(left) or t.ANY)), t.base((self.type_of(right) or t.ANY))}
        return len(kinds) == 1 and kinds <= {"number", "date", "string"}

    def _note_object_fields(self, node: n.ObjectExpr, frame) -> None:
        """Remember which fields of this object literal's type are never null, for readers.

        Objects of one type can come from several literals, so a field counts only if it is
        non-null in all of them.  A reader may be written before a literal of its type (an
        output's literal after a rule's reader), so the compiler writes the code again from
        the facts the last pass ended with, until a pass ends with the facts it began with."""
        kind = self.type_of(node)
        if not isinstance(kind, t.Obj) or not self.use_object_facts:
            return
        fields = frozenset(k.value for k, v in zip(node.keys, node.values)
                           if isinstance(k, n.Literal) and self.non_null(v, frame))
        known = self.object_fields_non_null.get(kind)
        self.object_fields_non_null[kind] = fields if known is None else known & fields

    def orderable_list(self, node: n.Node) -> bool:
        kind = self.type_of(node)
        return isinstance(kind, t.ListOf) and t.base(kind.item) in ("number", "date", "string")

    def element_non_null(self, comprehension: n.ListComprehension, frame) -> bool:
        return self.non_null(comprehension.element, self._loop_frame(comprehension.loop, frame))


def _from_schema_data(node: n.Node, frame) -> bool:
    """Whether a path reads the record or the reference data (values the schemas vouch for)."""
    while isinstance(node, (n.Attribute, n.Index)):
        node = node.target
    return isinstance(node, n.Name) and node.name in ("applicant", "data") and node.name not in frame

