"""The condition language: text -> syntax tree with source spans.

Grammar (lowest precedence first)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum (("=="|"!="|"<"|"<="|">"|">=") sum | "in" sum)?
    sum     := product (("+"|"-") product)*
    product := atom (("*"|"/") atom)*
    atom    := NUMBER | STRING | "true" | "false" | "date" "(" STRING ")"
             | ("any"|"all") "(" NAME "in" path "," expr ")"
             | path | "[" [expr ("," expr)*] "]" | "(" expr ")"
    path    := NAME ("." NAME)*

Owns: tokens, precedence, spans (0-based offsets into the condition text) and
``ExprSyntaxError``. Must not know fact paths, parameters or the engine: names are
resolved by ``_check``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal

import attrs

from ._moments import MAX_YEAR, MIN_YEAR, parse_date
from .exceptions import FactsError

__all__ = [
    "ExprSyntaxError", "parse", "Node", "Lit", "DateLit", "Name", "ListLit", "Arith",
    "Compare", "Member", "And", "Or", "Not", "Quant", "MAX_NESTING", "MAX_OPERATORS",
]

# Bounds that keep checking and compiling a condition far from Python's recursion limit
# (documented in docs/ruleset-format.md, "Limits"): parentheses, `not`, any/all and lists
# nested at most MAX_NESTING deep; at most MAX_OPERATORS arithmetic operators in one condition.
MAX_NESTING = 32
MAX_OPERATORS = 64


class ExprSyntaxError(ValueError):
    """A syntax error at ``offset`` (0-based) inside the condition text."""

    def __init__(self, message: str, offset: int, suggestion: str | None = None, code: str = "Q200") -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.suggestion = suggestion
        self.code = code  # Q200 for syntax, Q164 for a condition beyond the nesting limits


Span = tuple[int, int]


@attrs.frozen
class Lit:
    value: int | Decimal | str | bool  # numbers with a point are exact decimals
    span: Span = attrs.field(eq=False)


@attrs.frozen
class DateLit:
    value: dt.date
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Name:
    """A dotted name: a fact path, ``params.x``, ``derived.x`` or an item variable."""

    parts: tuple[str, ...]
    span: Span = attrs.field(eq=False)

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@attrs.frozen
class ListLit:
    items: tuple[Node, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Arith:
    op: str  # + - * /
    left: Node
    right: Node
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Compare:
    op: str  # == != < <= > >=
    left: Node
    right: Node
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Member:
    """``x in [..]`` or ``x in params.window``."""

    left: Node
    right: Node
    span: Span = attrs.field(eq=False)


@attrs.frozen
class And:
    items: tuple[Node, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Or:
    items: tuple[Node, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Not:
    item: Node
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Quant:
    kind: str  # any | all
    var: str
    source: Name
    body: Node
    span: Span = attrs.field(eq=False)


Node = Lit | DateLit | Name | ListLit | Arith | Compare | Member | And | Or | Not | Quant

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>[0-9]+(?:\.[0-9]+)?)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|\[|\]|,|\.|:)
    """,
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "any", "all", "date"}
_HINTS = {"=": "use == to compare", "&&": "use `and`", "||": "use `or`", "!": "use `not`"}


@attrs.frozen
class _Tok:
    kind: str
    text: str
    start: int
    end: int


def _tokenize(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            two = text[pos:pos + 2]
            hint = _HINTS.get(two) or _HINTS.get(text[pos]) or \
                ("numbers are written with the ASCII digits 0-9" if text[pos].isdigit() else None)
            if text[pos] in "\"'":
                raise ExprSyntaxError("unterminated string", pos, "close the quote")
            raise ExprSyntaxError(f"unexpected character {text[pos]!r}", pos, hint)
        if m.lastgroup != "ws":
            kind = m.lastgroup or ""
            word = m.group()
            if kind == "name" and word in _KEYWORDS:
                kind = word
            out.append(_Tok(kind, word, m.start(), m.end()))
        pos = m.end()
    out.append(_Tok("eof", "", len(text), len(text)))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.operators = 0

    def enter(self, at: int) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExprSyntaxError(f"the condition nests parentheses, `not`, any/all or lists more than "
                                  f"{MAX_NESTING} deep", at, "split it into simpler rules or derived facts", "Q164")

    def operator(self, at: int) -> None:
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            raise ExprSyntaxError(f"the condition has more than {MAX_OPERATORS} arithmetic operators", at,
                                  "split it into simpler rules", "Q164")

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def take(self, kind: str | None = None, text: str | None = None) -> _Tok | None:
        t = self.tok
        if (kind is None or t.kind == kind) and (text is None or t.text == text):
            self.i += 1
            return t
        return None

    def expect(self, kind: str, text: str | None = None, what: str | None = None) -> _Tok:
        t = self.take(kind, text)
        if t is None:
            want = what or repr(text or kind)
            got = "the end of the condition" if self.tok.kind == "eof" else repr(self.tok.text)
            raise ExprSyntaxError(f"expected {want}, found {got}", self.tok.start)
        return t

    def parse(self) -> Node:
        if self.tok.kind == "eof":
            raise ExprSyntaxError("the condition is empty", 0)
        node = self.or_()
        if self.tok.kind != "eof":
            hint = "use == to compare" if self.tok.text == "=" else None
            raise ExprSyntaxError(f"unexpected {self.tok.text!r} after a complete condition",
                                  self.tok.start, hint or "join conditions with `and` / `or`")
        return node

    def _joined(self, word: str, node: type[Or] | type[And], operand: Callable[[], Node]) -> Node:
        """``operand (word operand)*``: the operand alone, or all of them in one ``node``."""
        items = [operand()]
        while self.take(word):
            items.append(operand())
        return items[0] if len(items) == 1 else node(tuple(items), (items[0].span[0], items[-1].span[1]))

    def or_(self) -> Node:
        return self._joined("or", Or, self.and_)

    def and_(self) -> Node:
        return self._joined("and", And, self.not_)

    def not_(self) -> Node:
        t = self.take("not")
        if t:
            self.enter(t.start)
            inner = self.not_()
            self.depth -= 1
            return Not(inner, (t.start, inner.span[1]))
        return self.compare()

    def compare(self) -> Node:
        left = self.sum_()
        t = self.tok
        if t.kind == "op" and t.text in ("==", "!=", "<", "<=", ">", ">="):
            self.i += 1
            right = self.sum_()
            return Compare(t.text, left, right, (left.span[0], right.span[1]))
        if t.kind == "in":
            self.i += 1
            right = self.sum_()
            return Member(left, right, (left.span[0], right.span[1]))
        return left

    def _arith(self, ops: tuple[str, str], operand: Callable[[], Node]) -> Node:
        """``operand (op operand)*`` for the operators ``ops``, grouped from the left."""
        left = operand()
        while self.tok.kind == "op" and self.tok.text in ops:
            op = self.tok.text
            self.operator(self.tok.start)
            self.i += 1
            right = operand()
            left = Arith(op, left, right, (left.span[0], right.span[1]))
        return left

    def sum_(self) -> Node:
        return self._arith(("+", "-"), self.product)

    def product(self) -> Node:
        return self._arith(("*", "/"), self.atom)

    def atom(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.i += 1
            value: int | Decimal = Decimal(t.text) if "." in t.text else int(t.text)
            return Lit(value, (t.start, t.end))
        if t.kind == "op" and t.text == "-" and self.toks[self.i + 1].kind == "num":
            n = self.toks[self.i + 1]
            self.i += 2
            return Lit(-(Decimal(n.text) if "." in n.text else int(n.text)), (t.start, n.end))
        if t.kind == "str":
            self.i += 1
            quoted = t.text[1:-1]
            return Lit(re.sub(r"\\(.)", r"\1", quoted), (t.start, t.end))
        if t.kind in ("true", "false"):
            self.i += 1
            return Lit(t.kind == "true", (t.start, t.end))
        if t.kind == "date":
            self.i += 1
            self.expect("op", "(")
            s = self.expect("str", what='a date string such as "2017-09-30"')
            end = self.expect("op", ")")
            try:  # the one date grammar (not fromisoformat, which also takes 20170930 and 2017-W39)
                value_d = parse_date(s.text[1:-1], "date")
            except FactsError:
                raise ExprSyntaxError(f"{s.text} is not a date (YYYY-MM-DD, years {MIN_YEAR}–{MAX_YEAR})",
                                      s.start + 1) from None
            return DateLit(value_d, (t.start, end.end))
        if t.kind in ("any", "all"):
            self.enter(t.start)
            self.i += 1
            self.expect("op", "(", what=f"'(' after {t.kind}, as in {t.kind}(h in honors, ...)")
            var = self.expect("name", what="an item name, as in any(h in honors, ...)")
            self.expect("in", what="'in'")
            source = self.path()
            self.expect("op", ",",
                        what="',' before the item condition, as in any(h in honors, h.level == \"national\")")
            body = self.or_()
            end = self.expect("op", ")")
            self.depth -= 1
            return Quant(t.kind, var.text, source, body, (t.start, end.end))
        if t.kind == "name":
            return self.path()
        if t.kind == "op" and t.text == "[":
            self.enter(t.start)
            self.i += 1
            items: list[Node] = []
            if not self.take("op", "]"):
                items.append(self.sum_())
                while self.take("op", ","):
                    items.append(self.sum_())
                end = self.expect("op", "]", what="',' or ']'")
            else:
                end = self.toks[self.i - 1]
            self.depth -= 1
            return ListLit(tuple(items), (t.start, end.end))
        if t.kind == "op" and t.text == "(":
            self.enter(t.start)
            self.i += 1
            inner = self.or_()
            self.expect("op", ")", what="')'")
            self.depth -= 1
            return inner
        got = "the end of the condition" if t.kind == "eof" else repr(t.text)
        raise ExprSyntaxError(f"expected a value, found {got}", t.start)

    def path(self) -> Name:
        first = self.expect("name", what="a name")
        parts = [first.text]
        end = first.end
        while self.take("op", "."):
            nxt = self.tok
            if nxt.kind not in ("name",) and nxt.kind not in _KEYWORDS:
                raise ExprSyntaxError("expected a name after '.'", nxt.start)
            self.i += 1
            parts.append(nxt.text)
            end = nxt.end
        return Name(tuple(parts), (first.start, end))


def parse(text: str) -> Node:
    """Parse a condition; raise ``ExprSyntaxError`` with the offset of the problem."""
    return _Parser(text).parse()
