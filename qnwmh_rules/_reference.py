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

from . import _check as C
from ._moments import zone as zoneinfo_zone

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


class Evaluator:
    """Three-valued evaluation of resolved nodes over one case's values and lists (``truth``
    gives True, False or UNKNOWN). Shared with ``_whynot``, which asks it of sub-conditions."""

    def __init__(self, values: dict[str, Any], lists: dict[str, tuple[dict[str, Any], ...]], tz: str) -> None:
        self.values, self.lists, self.tz = values, lists, tz
        self.item: dict[str, Any] | None = None

    def value(self, n: C.RNode) -> Any:
        if isinstance(n, C.Const):
            return Fraction(n.value) if isinstance(n.value, Decimal) else n.value
        if isinstance(n, C.Fact):
            return self.values.get(n.path, UNKNOWN)
        if isinstance(n, C.Item):
            assert self.item is not None
            return self.item.get(n.field, UNKNOWN)
        if isinstance(n, C.Arith):
            a, b = self.value(n.left), self.value(n.right)
            if a is UNKNOWN or b is UNKNOWN:
                return UNKNOWN
            return _ARITH[n.op](Fraction(a), Fraction(b))
        raise AssertionError(n)  # pragma: no cover

    def local_day(self, v: Any, zone: str | None = None) -> dt.date:
        if isinstance(v, dt.datetime):
            return v.astimezone(zoneinfo_zone(zone or self.tz)).date()
        assert isinstance(v, dt.date)
        return v

    def truth(self, n: C.RNode) -> Any:
        if isinstance(n, C.And):
            vals = [self.truth(x) for x in n.items]
            if any(v is False for v in vals):
                return False
            return UNKNOWN if any(v is UNKNOWN for v in vals) else True
        if isinstance(n, C.Or):
            vals = [self.truth(x) for x in n.items]
            if any(v is True for v in vals):
                return True
            return UNKNOWN if any(v is UNKNOWN for v in vals) else False
        if isinstance(n, C.Not):
            v = self.truth(n.item)
            return v if v is UNKNOWN else not v
        if isinstance(n, C.Cmp):
            a, b = self.value(n.left), self.value(n.right)
            if a is UNKNOWN or b is UNKNOWN:
                return UNKNOWN
            if isinstance(a, dt.datetime) != isinstance(b, dt.datetime):
                a, b = self.local_day(a), self.local_day(b)  # timestamps against dates: by calendar day
            return bool(OPS[n.op](a, b))
        if isinstance(n, C.InList):
            a = self.value(n.left)
            if a is UNKNOWN:
                return UNKNOWN
            return any(a == c.value for c in n.values)
        if isinstance(n, C.InWindow):
            a = self.value(n.left)
            if a is UNKNOWN:
                return UNKNOWN
            w = n.window
            day = self.local_day(a, w.time_zone)
            return w.contains(day)
        if isinstance(n, C.Quant):
            items = self.lists.get(n.list)
            if items is None:
                return UNKNOWN
            saved = self.item
            vals = []
            for it in items:
                self.item = it
                vals.append(self.truth(n.body))
            self.item = saved
            if n.kind == "any":
                if any(v is True for v in vals):
                    return True
                return UNKNOWN if any(v is UNKNOWN for v in vals) else False
            if any(v is False for v in vals):
                return False
            return UNKNOWN if any(v is UNKNOWN for v in vals) else True
        raise AssertionError(n)  # pragma: no cover


def evaluate_item_condition(cond: C.RNode, item: dict[str, Any], tz: str) -> Any:
    """True, False or UNKNOWN for a condition on one list item (a derived count's `where`)."""
    e = Evaluator({}, {}, tz)
    e.item = item
    return e.truth(cond)


def evaluate_condition(cond: C.RNode, values: dict[str, Any], lists: dict[str, tuple[dict[str, Any], ...]],
                       tz: str) -> Any:
    """True, False or UNKNOWN. ``values`` holds scalar facts and ``derived.*`` values."""
    return Evaluator(values, lists, tz).truth(cond)
