"""The reference evaluator: the resolved conditions evaluated directly in Python.

Three-valued (Kleene) logic over the typed facts: a comparison that reads a missing
fact is *unknown*; ``and``/``or``/``not``/``any``/``all`` propagate it the Kleene
way. A rule *passes* when its condition is definitely true. This module is written
independently of ``_compile`` (no negation normal form, no epoch encoding: dates are
compared as calendar days) so that it can serve as the oracle the engine is tested
against, and it gives the per-comparison detail explanations need.
Numbers are exact: decimal constants and parameters become ``fractions.Fraction`` before
any arithmetic or comparison (``100 * 0.55 == 55``, ``7 / 2 == 7/2``).
Must not import durable or ``_compile``.
"""

from __future__ import annotations

import datetime as dt
import operator
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ._moments import zone as zoneinfo_zone
from ._tree import And, Arith, Cmp, Const, Fact, InList, InWindow, Item, Not, Or, Quant, RNode, Visitor

__all__ = ["evaluate_condition", "evaluate_item_condition", "UNKNOWN", "Evaluator", "OPS"]


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:  # pragma: no cover - guards against accidental truth tests
        raise TypeError("UNKNOWN has no truth value")


UNKNOWN: Any = _Unknown()
# The comparison operators of the condition language, as Python functions (shared with _whynot).
OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
        ">=": operator.ge}
_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def _any(vals: list[Any]) -> Any:
    """Kleene ``or`` of truth values: True if one is True, else UNKNOWN if one is UNKNOWN, else False."""
    if any(v is True for v in vals):
        return True
    return UNKNOWN if any(v is UNKNOWN for v in vals) else False


def _all(vals: list[Any]) -> Any:
    """Kleene ``and`` of truth values: False if one is False, else UNKNOWN if one is UNKNOWN, else True."""
    if any(v is False for v in vals):
        return False
    return UNKNOWN if any(v is UNKNOWN for v in vals) else True


class Evaluator(Visitor[Any]):
    """Three-valued evaluation of resolved nodes over one case's values and lists: a condition
    node gives True, False or UNKNOWN (``truth``), a value node its value or UNKNOWN (``value``).
    Shared with ``_whynot``, which asks it of sub-conditions."""

    def __init__(self, values: dict[str, Any], lists: dict[str, tuple[dict[str, Any], ...]], tz: str) -> None:
        self.values, self.lists, self.tz = values, lists, tz
        self.item: dict[str, Any] | None = None

    def truth(self, n: RNode) -> Any:
        """True, False or UNKNOWN for a condition node."""
        return self.visit(n)

    def value(self, n: RNode) -> Any:
        """The value of a value node (a Fraction for numbers with a fraction), or UNKNOWN."""
        return self.visit(n)

    def local_day(self, v: Any, zone: str | None = None) -> dt.date:
        if isinstance(v, dt.datetime):
            return v.astimezone(zoneinfo_zone(zone or self.tz)).date()
        assert isinstance(v, dt.date)
        return v

    # ---- values
    def visit_const(self, n: Const) -> Any:
        return Fraction(n.value) if isinstance(n.value, Decimal) else n.value

    def visit_fact(self, n: Fact) -> Any:
        return self.values.get(n.path, UNKNOWN)

    def visit_item(self, n: Item) -> Any:
        assert self.item is not None
        return self.item.get(n.field, UNKNOWN)

    def visit_arith(self, n: Arith) -> Any:
        a, b = self.visit(n.left), self.visit(n.right)
        if a is UNKNOWN or b is UNKNOWN:
            return UNKNOWN
        return _ARITH[n.op](Fraction(a), Fraction(b))

    # ---- conditions
    def visit_and(self, n: And) -> Any:
        return _all([self.visit(x) for x in n.items])

    def visit_or(self, n: Or) -> Any:
        return _any([self.visit(x) for x in n.items])

    def visit_not(self, n: Not) -> Any:
        v = self.visit(n.item)
        return v if v is UNKNOWN else not v

    def visit_cmp(self, n: Cmp) -> Any:
        a, b = self.visit(n.left), self.visit(n.right)
        if a is UNKNOWN or b is UNKNOWN:
            return UNKNOWN
        if isinstance(a, dt.datetime) != isinstance(b, dt.datetime):
            a, b = self.local_day(a), self.local_day(b)  # timestamps against dates: by calendar day
        return bool(OPS[n.op](a, b))

    def visit_in_list(self, n: InList) -> Any:
        a = self.visit(n.left)
        if a is UNKNOWN:
            return UNKNOWN
        return any(a == c.value for c in n.values)

    def visit_in_window(self, n: InWindow) -> Any:
        a = self.visit(n.left)
        if a is UNKNOWN:
            return UNKNOWN
        return n.window.contains(self.local_day(a, n.window.time_zone))

    def visit_quant(self, n: Quant) -> Any:
        items = self.lists.get(n.list)
        if items is None:
            return UNKNOWN
        saved = self.item
        vals = []
        for it in items:
            self.item = it
            vals.append(self.visit(n.body))
        self.item = saved
        return _any(vals) if n.kind == "any" else _all(vals)


def evaluate_item_condition(cond: RNode, item: dict[str, Any], tz: str) -> Any:
    """True, False or UNKNOWN for a condition on one list item (a derived count's `where`)."""
    e = Evaluator({}, {}, tz)
    e.item = item
    return e.truth(cond)


def evaluate_condition(cond: RNode, values: dict[str, Any], lists: dict[str, tuple[dict[str, Any], ...]],
                       tz: str) -> Any:
    """True, False or UNKNOWN. ``values`` holds scalar facts and ``derived.*`` values."""
    return Evaluator(values, lists, tz).truth(cond)
