"""The compiled python backend: each checked condition turned once into Python closures.

Owns: ``compile_condition`` (a resolved tree -> a predicate over one case), ``compile_item_condition``
(a derived count's ``where`` -> a predicate over one list item) and ``compile_ruleset`` (every
rule's condition, ``pending_if``/``due`` and ``applies_if``, and every ``where``, compiled once
per ruleset); ``reference_ruleset`` gives the same shape backed by the reference evaluator (the
oracle the compiled closures are tested against, never what a backend runs).

Nothing is generated as text: every closure is built from the node types of ``_tree``, and
every value from a ruleset (names, literals, parameters, windows, zones) is held as a closure
cell, so no ruleset text ever reaches ``eval``/``exec``/``compile``.

The meaning is the reference evaluator's, written independently of it: three-valued (Kleene)
logic, a predicate answers True, False or None (unknown: a fact it reads is missing, or a list
it quantifies over is absent); numbers are exact (a decimal constant is a ``Fraction``, or an
``int`` when whole; arithmetic in ``Fraction``); a timestamp compared with a date is compared
by its calendar day in the ruleset's zone, a timestamp in a window by its day in the window's
zone. Must not import durable or ``_compile``; ``_reference`` only to build the oracle.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

import attrs

from . import _reference as R
from . import _tree as T
from ._check import type_of
from ._model import Ruleset
from ._moments import zone as zoneinfo_zone

__all__ = ["Predicate", "ItemPredicate", "CompiledRulePredicates", "CompiledConditions", "compile_condition",
           "compile_item_condition", "compile_ruleset", "reference_ruleset"]

Values = Mapping[str, Any]  # scalar facts, derived.* values and as_of, by path
Lists = Mapping[str, tuple[dict[str, Any], ...]]  # list facts, by name
Item = Mapping[str, Any] | None  # the current list item (inside any/all, or a count's `where`)
Predicate = Callable[[Values, Lists, Item], "bool | None"]
ItemPredicate = Callable[[Mapping[str, Any]], "bool | None"]
_Value = Callable[[Values, Item], Any]


class _Missing:
    """What a value closure returns for a fact that has no value."""

    def __repr__(self) -> str:
        return "MISSING"


_MISSING: Any = _Missing()
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def _number(v: Any) -> Any:
    """A constant as an exact number: Decimal -> int when whole, else Fraction; others unchanged."""
    if isinstance(v, Decimal):
        f = Fraction(v)
        return f.numerator if f.denominator == 1 else f
    return v


class _Compiler:
    def __init__(self, tz: str) -> None:
        self.zone = zoneinfo_zone(tz)

    # ---- values ---------------------------------------------------------------------
    def value(self, n: T.RNode) -> _Value:
        if isinstance(n, T.Const):
            c = _number(n.value)
            return lambda v, i: c
        if isinstance(n, T.Fact):
            path = n.path
            return lambda v, i: v.get(path, _MISSING)
        if isinstance(n, T.Item):
            field = n.field
            return lambda v, i: i.get(field, _MISSING)  # type: ignore[union-attr]  # bound by any/all
        if isinstance(n, T.Arith):
            left, right, op = self.value(n.left), self.value(n.right), _ARITH[n.op]

            def arith(v: Values, i: Item) -> Any:
                a = left(v, i)
                if a is _MISSING:
                    return _MISSING
                b = right(v, i)
                if b is _MISSING:
                    return _MISSING
                return op(Fraction(a), Fraction(b))

            return arith
        raise AssertionError(n)  # pragma: no cover - the checker gives conditions only where values go

    def day(self, value: _Value, zone: Any) -> _Value:
        """A timestamp (or date) value as its calendar day in ``zone``."""
        def day(v: Values, i: Item) -> Any:
            a = value(v, i)
            if isinstance(a, dt.datetime):
                return a.astimezone(zone).date()
            return a

        return day

    # ---- conditions -----------------------------------------------------------------
    def truth(self, n: T.RNode) -> Predicate:
        if isinstance(n, T.And):
            return self._and(tuple(self.truth(x) for x in n.items))
        if isinstance(n, T.Or):
            return self._or(tuple(self.truth(x) for x in n.items))
        if isinstance(n, T.Not):
            inner = self.truth(n.item)

            def not_(v: Values, lists: Lists, i: Item) -> bool | None:
                t = inner(v, lists, i)
                return None if t is None else not t

            return not_
        if isinstance(n, T.Cmp):
            return self._compare(n)
        if isinstance(n, T.InList):
            value = self.value(n.left)
            consts = tuple(c.value for c in n.values)

            def in_list(v: Values, lists: Lists, i: Item) -> bool | None:
                a = value(v, i)
                return None if a is _MISSING else any(a == c for c in consts)

            return in_list
        if isinstance(n, T.InWindow):
            day = self.day(self.value(n.left), zoneinfo_zone(n.window.time_zone))
            contains = n.window.contains

            def in_window(v: Values, lists: Lists, i: Item) -> bool | None:
                d = day(v, i)
                return None if d is _MISSING else contains(d)

            return in_window
        if isinstance(n, T.Quant):
            return self._quant(n)
        raise AssertionError(n)  # pragma: no cover

    def _compare(self, n: T.Cmp) -> Predicate:
        if isinstance(n.left, T.Arith) or isinstance(n.right, T.Arith):
            linear = _linear_form(n)
            if linear is not None:
                return self._linear_compare(n, *linear)
        return self._general_compare(n)

    def _linear_compare(self, n: T.Cmp, terms: tuple[tuple[str, int], ...], k0: int, read: tuple[str, ...]
                        ) -> Predicate:
        """``sum(k * fact) + k0 op 0`` in whole numbers (the comparison scaled by the least common
        denominator of its coefficients: exact, without a Fraction per case), while every fact it
        reads is a whole number; anything else goes the general way (Fractions)."""
        op, general = _OPS[n.op], self._general_compare(n)

        def linear(v: Values, lists: Lists, i: Item) -> bool | None:
            total = k0
            for path in read:
                if type(v.get(path)) is not int:  # missing, or not a whole number: the general way
                    return general(v, lists, i)
            for path, k in terms:
                total += k * v[path]
            return op(total, 0)

        return linear

    def _general_compare(self, n: T.Cmp) -> Predicate:
        left, right, op = self.value(n.left), self.value(n.right), _OPS[n.op]
        if {type_of(n.left), type_of(n.right)} == {"date", "instant"}:
            left, right = self.day(left, self.zone), self.day(right, self.zone)  # by calendar day
        if isinstance(n.right, T.Const) and not isinstance(n.left, T.Const):
            c = right(_EMPTY, None)

            def against_constant(v: Values, lists: Lists, i: Item) -> bool | None:
                a = left(v, i)
                return None if a is _MISSING else op(a, c)

            return against_constant

        def compare(v: Values, lists: Lists, i: Item) -> bool | None:
            a = left(v, i)
            if a is _MISSING:
                return None
            b = right(v, i)
            return None if b is _MISSING else op(a, b)

        return compare

    @staticmethod
    def _and(parts: tuple[Predicate, ...]) -> Predicate:
        def and_(v: Values, lists: Lists, i: Item) -> bool | None:
            unknown = False
            for p in parts:
                t = p(v, lists, i)
                if t is False:
                    return False
                if t is None:
                    unknown = True
            return None if unknown else True

        return and_

    @staticmethod
    def _or(parts: tuple[Predicate, ...]) -> Predicate:
        def or_(v: Values, lists: Lists, i: Item) -> bool | None:
            unknown = False
            for p in parts:
                t = p(v, lists, i)
                if t is True:
                    return True
                if t is None:
                    unknown = True
            return None if unknown else False

        return or_

    def _quant(self, n: T.Quant) -> Predicate:
        body, name = self.truth(n.body), n.list
        decisive = n.kind == "any"  # any: one True decides; all: one False decides

        def quant(v: Values, lists: Lists, i: Item) -> bool | None:
            items = lists.get(name)
            if items is None:
                return None
            unknown = False
            for it in items:
                t = body(v, lists, it)
                if t is decisive:
                    return decisive
                if t is None:
                    unknown = True
            return None if unknown else not decisive

        return quant


def _linear_form(n: T.Cmp) -> tuple[tuple[tuple[str, int], ...], int, tuple[str, ...]] | None:
    """``left - right`` of a number comparison as whole coefficients of facts and a whole constant
    (scaled by a positive common denominator, so the comparison with 0 keeps its meaning), with
    every fact path it reads (also those whose terms cancel: they still make it unknown when
    missing); None if it is not linear in facts (a product or quotient of facts, a list item)."""
    def form(node: T.RNode) -> tuple[dict[str, Fraction], Fraction] | None:
        if isinstance(node, T.Const):
            value = _number(node.value)
            return ({}, Fraction(value)) if isinstance(value, (int, Fraction)) and not isinstance(value, bool) \
                else None
        if isinstance(node, T.Fact):
            return ({node.path: Fraction(1)}, Fraction(0)) if node.type == "number" else None
        if not isinstance(node, T.Arith):
            return None
        a, b = form(node.left), form(node.right)
        if a is None or b is None:
            return None
        (ca, ka), (cb, kb) = a, b
        if node.op in "+-":
            sign = 1 if node.op == "+" else -1
            coeffs = dict(ca)
            for p, k in cb.items():
                coeffs[p] = coeffs.get(p, Fraction(0)) + sign * k
            return coeffs, ka + sign * kb
        if node.op == "*" and not (ca and cb):
            (c, k), f = ((ca, ka), kb) if not cb else ((cb, kb), ka)
            return {p: x * f for p, x in c.items()}, k * f
        if node.op == "/" and not cb and kb != 0:
            return {p: x / kb for p, x in ca.items()}, ka / kb
        return None

    if type_of(n.left) != "number" or type_of(n.right) != "number":
        return None
    left, right = form(n.left), form(n.right)
    if left is None or right is None:
        return None
    coeffs = dict(left[0])
    for p, k in right[0].items():
        coeffs[p] = coeffs.get(p, Fraction(0)) - k
    const = left[1] - right[1]
    scale = math.lcm(const.denominator, *(k.denominator for k in coeffs.values()))
    terms = tuple((p, int(k * scale)) for p, k in coeffs.items() if k != 0)
    read = tuple(dict.fromkeys(x.path for x in T.walk(n) if isinstance(x, T.Fact)))
    return terms, int(const * scale), read


_EMPTY: Values = {}
_NO_LISTS: Lists = {}


def compile_condition(node: T.RNode, tz: str) -> Predicate:
    """``node`` (a checked condition) as a predicate ``(values, lists, item) -> True | False | None``.

    ``values`` maps fact paths (and ``derived.*``, ``as_of``) to typed values, ``lists`` list
    names to their items; ``item`` is None outside a count's ``where``. ``tz`` is the ruleset's
    zone (timestamps compared with dates are compared by their day in it)."""
    return _Compiler(tz).truth(node)


def compile_item_condition(node: T.RNode, tz: str) -> ItemPredicate:
    """A derived count's ``where`` as a predicate over one list item: True, False or None (a field
    it reads is missing)."""
    pred = _Compiler(tz).truth(node)
    return lambda item: pred(_EMPTY, _NO_LISTS, item)


@attrs.frozen
class CompiledRulePredicates:
    """One rule's compiled parts: its condition, ``pending_if``/``due`` and ``applies_if``."""

    rule: str
    holds: Predicate
    pending: Predicate | None
    applies: Predicate | None


@attrs.frozen
class CompiledConditions:
    """Every condition of a ruleset, compiled once: ``rules`` in ruleset order, and ``where`` (a
    derived count's item predicate, by derivation name)."""

    rules: tuple[CompiledRulePredicates, ...]
    where: Mapping[str, ItemPredicate]
    kind: str = "compiled"  # or "reference" (the oracle)


def compile_ruleset(rs: Ruleset) -> CompiledConditions:
    """Every rule's parts and every count's ``where`` of a checked ruleset, as closures."""
    c = _Compiler(rs.time_zone)

    def opt(node: T.RNode | None) -> Predicate | None:
        return None if node is None else c.truth(node)

    rules = tuple(CompiledRulePredicates(r.id, c.truth(r.checked), opt(r.pending_condition),
                                         opt(r.applies_condition)) for r in rs.rules)
    where = {d.name: compile_item_condition(d.where_condition, rs.time_zone)
             for d in rs.derived if d.where_condition is not None}
    return CompiledConditions(rules, where)


def reference_ruleset(rs: Ruleset) -> CompiledConditions:
    """The same shape as ``compile_ruleset``, each predicate the reference evaluator's tree walk
    (the oracle of the differential tests; ``Engine.use_conditions`` installs it)."""
    tz = rs.time_zone

    def three(t: Any) -> bool | None:
        return t if t is True or t is False else None

    def walker(node: T.RNode | None) -> Predicate | None:
        if node is None:
            return None
        # the engine's own dicts, not copies: the walk as the python backend ran it before
        return lambda v, lists, i: three(R.evaluate_condition(node, cast(dict[str, Any], v),
                                                              cast(dict[str, Any], lists), tz))

    def item_walker(node: T.RNode) -> ItemPredicate:
        return lambda item: three(R.evaluate_item_condition(node, cast(dict[str, Any], item), tz))

    rules = []
    for r in rs.rules:
        holds = walker(r.checked)
        assert holds is not None
        rules.append(CompiledRulePredicates(r.id, holds, walker(r.pending_condition), walker(r.applies_condition)))
    where = {d.name: item_walker(d.where_condition) for d in rs.derived if d.where_condition is not None}
    return CompiledConditions(tuple(rules), where, "reference")
