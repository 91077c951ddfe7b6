"""Compiling resolved conditions into durable_rules JSON, and facts into its documents.

Owns: negation normal form, day-granularity comparison of timestamps with dates,
window bounds, moving arithmetic to the right-hand side, distributing ``or`` out of
list quantifiers, the JSON shapes durable_rules understands, and refusing (with a
RulesetError) every shape the engine is known to mis-evaluate (ARCHITECTURE.md,
hazard 7): an ``or`` inside ``all(...)``, facts of the collective compared inside a
quantifier, arithmetic on both sides. Must not import durable (only ``_engine`` does).

Encoding: dates are epoch seconds of local midnight in the ruleset's time zone,
timestamps are epoch seconds; strings and numbers are as given. Each list also gets
its length under ``_n.<list>`` (durable's ``$iall`` is false on an empty list), and
every document carries ``_z: 0``.

Numbers are exact: durable_rules computes in binary doubles and truncating 64-bit
integers, so no fraction ever reaches it. Number facts are whole numbers (counts, ages;
``facts.MAX_COUNT`` at most). A comparison of a fact with a decimal constant becomes one
with a whole number (``n >= 2.5`` is ``n >= 3``); a comparison with arithmetic
``L op R`` (``+ - *`` and ``/`` by a constant) is brought to whole numbers by
multiplying both sides by the least common denominator ``D`` of its coefficients:
``_z op D*(R - L)``, a sum of whole multiples of facts. A condition whose whole numbers
could leave ``±EXACT_LIMIT`` (where doubles and 64-bit integers are still exact) for
facts within their bounds is refused (Q305), and so is a product of two facts (Q301).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from . import _check as C
from ._model import Ruleset
from ._moments import zone as zoneinfo_zone
from ._tree import MIRRORED, NEGATED, Visitor, facts_read
from .exceptions import RulesetError
from .facts import MAX_COUNT, Facts

__all__ = ["CompiledRule", "Part", "compile_ruleset", "encode_facts", "day_start", "MARKER", "EXACT_LIMIT", "ZERO",
           "engine_limits", "compile_where", "encode_item", "WHERE_LIST"]

EXACT_LIMIT = 2**53  # whole numbers up to this are exact as doubles and as 64-bit integers
ZERO = "_z"  # a field that is 0 in every document: the left side of a scaled comparison

MARKER = {"q": 1}  # every asserted document carries it; the sentinel rule matches on it
_DURABLE_OP = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
_ARITH = {"+": "$add", "-": "$sub", "*": "$mul", "/": "$div"}


class ShapeError(Exception):
    """A condition shape the compiler will not emit (turned into RulesetError Q30x)."""

    def __init__(self, code: str, message: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.suggestion = code, message, suggestion


class Part(enum.Enum):
    """Which of a rule's conditions a compiled condition decides when it matches.

    The value is the suffix of the name the condition is registered under in durable_rules
    (``CompiledRule.id``); nothing outside this module and the adapter reads those names.
    """

    HOLDS = ""  # the rule's condition is definitely true
    FAILS = "#fail"  # the rule's condition is definitely false (its negation holds)
    PENDING = "#pending"  # its ``pending_if`` or ``due`` holds: not to be decided yet
    APPLIES = "#applies"  # its ``applies_if`` is definitely true
    NOT_APPLICABLE = "#na"  # its ``applies_if`` is definitely false


@attrs.frozen
class CompiledRule:
    """One compiled condition: the ``part`` of rule ``rule`` it decides, as durable_rules JSON."""

    rule: str
    condition: dict[str, Any]  # the durable_rules condition (without the marker)
    part: Part = Part.HOLDS

    @property
    def id(self) -> str:
        """The unique name the condition is registered and fired under (``<rule><part suffix>``)."""
        return self.rule + self.part.value


@functools.lru_cache(maxsize=4096)
def day_start(d: dt.date, zone: str) -> int:
    """Epoch seconds of local midnight starting day ``d`` in ``zone`` (cached: dates repeat)."""
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=zoneinfo_zone(zone)).timestamp())


def day_after_start(d: dt.date, zone: str) -> int:
    """Epoch seconds of the midnight that ends day ``d`` (the start of the next day), also for
    the last day of the calendar (9999-12-31), which has no next ``date``."""
    if d == dt.date.max:
        return day_start(d, zone) + 86400
    return day_start(d + dt.timedelta(days=1), zone)


def _instant(t: dt.datetime) -> int | float:
    ts = t.timestamp()
    return int(ts) if ts == int(ts) else ts


class _Compiler:
    def __init__(self, tz: str) -> None:
        self.tz = tz

    # ---- values ------------------------------------------------------------------
    def const(self, c: C.Const) -> Any:
        if c.type == "date":
            return day_start(c.value, self.tz)
        if c.type == "instant":
            return _instant(c.value)
        return c.value

    def ref(self, node: C.RNode) -> str:
        if isinstance(node, C.Fact):
            return node.path
        if isinstance(node, C.Item):
            return f"$i.{node.field}"
        raise AssertionError(node)  # pragma: no cover

    def arith(self, node: C.RNode) -> Any:
        """Right-hand side expression: a number, {"$m": field} or {"$op": {"$l", "$r"}}."""
        return _RightSide(self).visit(node)

    # ---- negation normal form, as a small tree of tuples --------------------------
    def nnf(self, node: C.RNode, neg: bool, in_quant: bool) -> Any:
        """``node`` (negated if ``neg``; inside any/all if ``in_quant``) in negation normal form."""
        return _NNF(self, neg, in_quant).visit(node)

    def _field(self, node: C.RNode, in_quant: bool) -> str:
        if isinstance(node, C.Item):
            return self.ref(node)
        if isinstance(node, C.Fact):
            if in_quant:
                raise ShapeError("Q302", f"{node.path} (a fact of the collective) is compared inside any/all; "
                                         "the engine mis-evaluates such cross-fact comparisons",
                                 "compare only the item's fields with constants or parameters inside any/all")
            return node.path
        raise ShapeError("Q301", "the left side must be a fact")

    def compare(self, op: str, left: C.RNode, right: C.RNode, in_quant: bool) -> Any:
        def is_field(n: C.RNode) -> bool:
            return isinstance(n, (C.Fact, C.Item))

        if not is_field(left) and is_field(right):
            left, right, op = right, left, MIRRORED[op]
        elif isinstance(left, C.Arith) and isinstance(right, C.Const):
            raise ShapeError("Q301", "arithmetic must be on the right of a comparison, beside a fact on the left",
                             "rewrite as `fact >= other_fact * 0.5`")
        if isinstance(left, C.Arith) and isinstance(right, C.Arith):
            raise ShapeError("Q301", "arithmetic on both sides of a comparison is not supported",
                             "keep a single fact on one side")
        if not is_field(left):
            raise ShapeError("Q301", "a comparison needs a fact on one side")
        ref = self._field(left, in_quant)
        if isinstance(right, (C.Fact, C.Item, C.Arith)):
            if in_quant or isinstance(right, C.Item):
                raise ShapeError("Q302", "inside any/all an item's field can only be compared with constants "
                                         "or parameters")
            if {C.type_of(left), C.type_of(right)} == {"date", "instant"}:
                raise ShapeError("Q302", "comparing a timestamp fact with a date fact is not supported",
                                 "compare each with a date parameter instead")
            if isinstance(left, C.Fact) and C.type_of(left) == "number":
                return self.exact(left, op, right)
            # durable_rules evaluates arithmetic and $m references over an absent field as if
            # it were present (found by the engine-vs-reference property test): guard each
            # field the right-hand side reads with $ex, so that absent stays unknown.
            guards = [("ex", path) for path in facts_read(right)]
            return ("and", guards + [("atom", ref, op, self.arith(right))])
        assert isinstance(right, C.Const)
        if right.type == "number":
            return _whole_threshold(ref, op, Fraction(right.value))
        value = self.const(right)
        if C.type_of(left) == "instant" and right.type == "date":
            return self._instant_vs_day(ref, op, right.value)
        return ("atom", ref, op, value)

    def exact(self, left: C.Fact, op: str, right: C.RNode) -> Any:
        """``left op right`` over whole-number facts, in whole-number arithmetic only."""
        coeffs, const = _linear(right)
        terms = dict(coeffs)
        terms[left.path] = terms.get(left.path, Fraction(0)) - 1
        terms = {p: k for p, k in terms.items() if k != 0}
        scale = math.lcm(const.denominator, *(k.denominator for k in terms.values()))
        ints = {p: int(k * scale) for p, k in terms.items()}
        k0 = int(const * scale)
        if sum(abs(k) for k in ints.values()) * MAX_COUNT + abs(k0) > EXACT_LIMIT:
            raise ShapeError("Q305", f"this comparison can reach numbers beyond ±2**53 (facts go up to {MAX_COUNT:,}), "
                                     "where the engine no longer computes exactly",
                             "use smaller parameters, or fewer decimal places")
        # durable_rules evaluates arithmetic and $m references over an absent field as if
        # it were present (found by the engine-vs-reference property test): guard each
        # field the comparison reads with $ex, so that absent stays unknown.
        # Every fact the comparison reads is guarded, also one whose terms cancel out
        # (`a < b - b` is unknown while b is missing, as in the reference evaluator).
        read = [p for p in facts_read(right) if p != left.path]
        if scale == 1 and ints.get(left.path) == -1:  # already whole: `left op <sum of the others>`
            rest = {p: k for p, k in ints.items() if p != left.path}
            return ("and", [("ex", p) for p in read] + [("atom", left.path, op, _sum_expr(rest, k0))])
        return ("and", [("ex", p) for p in [left.path, *read]] + [("atom", ZERO, op, _sum_expr(ints, k0))])

    def _instant_vs_day(self, ref: str, op: str, day: dt.date) -> Any:
        """Compare a timestamp with a calendar day (in the ruleset's zone)."""
        start, after = day_start(day, self.tz), day_after_start(day, self.tz)
        if op == "<":
            return ("atom", ref, "<", start)
        if op == "<=":
            return ("atom", ref, "<", after)
        if op == ">":
            return ("atom", ref, ">=", after)
        if op == ">=":
            return ("atom", ref, ">=", start)
        if op == "==":
            return ("and", [("atom", ref, ">=", start), ("atom", ref, "<", after)])
        return ("or", [("atom", ref, "<", start), ("atom", ref, ">=", after)])

    # ---- emission -----------------------------------------------------------------
    def emit(self, t: Any) -> dict[str, Any]:
        tag = t[0]
        if tag == "atom":
            _, ref, op, value = t
            if op == "==":
                return {ref: value}
            return {_DURABLE_OP[op]: {ref: value}}
        if tag == "ex":
            return {"$ex": {t[1]: 1}}
        if tag in ("and", "or"):
            parts = [self.emit(x) for x in t[1]]
            return parts[0] if len(parts) == 1 else {f"${tag}": parts}
        if tag == "quant":
            _, kind, lst, body = t
            conjunctions = _dnf(body)
            if len(conjunctions) > _MAX_ALTERNATIVES:
                raise ShapeError("Q304", f"the condition inside any/all expands to more than {_MAX_ALTERNATIVES} "
                                         "alternatives", "simplify it or split the rule")
            if kind == "any":
                branches = [{"$iany": {lst: {"$and": [self.emit(a) for a in conj]}}} for conj in conjunctions]
                return branches[0] if len(branches) == 1 else {"$or": branches}
            if len(conjunctions) != 1:
                raise ShapeError("Q303", "an `or` inside all(...) (or a `not` of an `and` inside any(...)) "
                                         "is mis-evaluated by durable_rules and is refused",
                                 "split the rule, or state it as not any(x in list, ...) of the failing case "
                                 "without `or`")
            body_json = {"$iall": {lst: {"$and": [self.emit(a) for a in conjunctions[0]]}}}
            return {"$or": [{f"_n.{lst}": 0}, body_json]}
        raise AssertionError(t)  # pragma: no cover


class _NNF(Visitor[Any]):
    """A condition in negation normal form, as a small tree of tuples (``("and", [...])``,
    ``("atom", ref, op, value)``, ``("quant", kind, list, body)``): negations pushed down to
    the comparisons, each visited node read as negated when ``neg``."""

    def __init__(self, compiler: _Compiler, neg: bool, in_quant: bool) -> None:
        self.c, self.neg, self.in_quant = compiler, neg, in_quant

    def visit_not(self, node: C.Not) -> Any:
        return _NNF(self.c, not self.neg, self.in_quant).visit(node.item)

    def visit_and(self, node: C.And) -> Any:
        return ("or" if self.neg else "and", [self.visit(x) for x in node.items])

    def visit_or(self, node: C.Or) -> Any:
        return ("and" if self.neg else "or", [self.visit(x) for x in node.items])

    def visit_cmp(self, node: C.Cmp) -> Any:
        op = NEGATED[node.op] if self.neg else node.op
        return self.c.compare(op, node.left, node.right, self.in_quant)

    def visit_in_list(self, node: C.InList) -> Any:
        op = "!=" if self.neg else "=="
        parts = [self.c.compare(op, node.left, v, self.in_quant) for v in node.values]
        return ("and" if self.neg else "or", parts)

    def visit_in_window(self, node: C.InWindow) -> Any:
        w = node.window
        zone = w.time_zone if C.type_of(node.left) == "instant" else self.c.tz
        ref = self.c._field(node.left, self.in_quant)
        lo_s, hi_s = day_start(w.first_day, zone), day_after_start(w.last_day, zone)
        if self.neg:
            return ("or", [("atom", ref, "<", lo_s), ("atom", ref, ">=", hi_s)])
        return ("and", [("atom", ref, ">=", lo_s), ("atom", ref, "<", hi_s)])

    def visit_quant(self, node: C.Quant) -> Any:
        if self.in_quant:
            raise ShapeError("Q302", "a quantifier inside another quantifier is not supported")
        kind = {"any": "all", "all": "any"}[node.kind] if self.neg else node.kind
        return ("quant", kind, node.list, _NNF(self.c, self.neg, True).visit(node.body))


class _RightSide(Visitor[Any]):
    """The right-hand side of a comparison as durable arithmetic: a number (constants folded),
    ``{"$m": field}`` or ``{"$add": {"$l": …, "$r": …}}``; an item's field is refused (Q302)."""

    def __init__(self, compiler: _Compiler) -> None:
        self.c = compiler

    def visit_const(self, node: C.Const) -> Any:
        return self.c.const(node)

    def visit_fact(self, node: C.Fact) -> Any:
        return {"$m": node.path}

    def visit_item(self, node: C.Item) -> Any:
        raise ShapeError("Q302", "arithmetic on a list item's fields is not supported by the engine",
                         "compare the item's field with a constant or parameter")

    def visit_arith(self, node: C.Arith) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        if not isinstance(left, dict) and not isinstance(right, dict):
            return _fold(node.op, left, right)
        return {_ARITH[node.op]: {"$l": left, "$r": right}}


_Linear = tuple[dict[str, Fraction], Fraction]


class _LinearOf(Visitor[_Linear]):
    """An expression as exact coefficients of facts plus a constant; a product of facts is refused."""

    def visit_const(self, node: C.Const) -> _Linear:
        return {}, Fraction(node.value)

    def visit_fact(self, node: C.Fact) -> _Linear:
        return {node.path: Fraction(1)}, Fraction(0)

    def default(self, node: C.RNode) -> _Linear:
        raise ShapeError("Q302", "arithmetic on a list item's fields is not supported by the engine",
                         "compare the item's field with a constant or parameter")

    def visit_arith(self, node: C.Arith) -> _Linear:
        (lc, l0), (rc, r0) = self.visit(node.left), self.visit(node.right)
        if node.op in ("+", "-"):
            sign = 1 if node.op == "+" else -1
            out = dict(lc)
            for p, k in rc.items():
                out[p] = out.get(p, Fraction(0)) + sign * k
            return out, l0 + sign * r0
        if node.op == "*":
            if lc and rc:
                raise ShapeError("Q301", "a product of two facts is not supported (the engine cannot compute it "
                                         "exactly)", "multiply a fact by a constant or a parameter only")
            k, (cs, c0) = (r0, (lc, l0)) if not rc else (l0, (rc, r0))
            return {p: v * k for p, v in cs.items()}, c0 * k
        if rc:  # pragma: no cover - _check allows division by a non-zero constant or parameter only
            raise ShapeError("Q301", "division is only allowed by a non-zero constant or parameter")
        return {p: v / r0 for p, v in lc.items()}, l0 / r0


def _linear(node: C.RNode) -> _Linear:
    """``node`` as exact coefficients of facts plus a constant; a product of facts is refused."""
    return _LinearOf().visit(node)


def _sum_expr(ints: dict[str, int], k0: int) -> Any:
    """``sum(k * $m(path)) + k0`` as durable arithmetic (whole numbers only)."""
    expr: Any = None
    for path, k in ints.items():
        term: Any = {"$m": path}
        if abs(k) != 1:
            term = {"$mul": {"$l": term, "$r": abs(k)}}
        if expr is None:
            expr = term if k > 0 else {"$sub": {"$l": 0, "$r": term}}
        else:
            expr = {"$add" if k > 0 else "$sub": {"$l": expr, "$r": term}}
    if expr is None:
        return k0
    if k0:
        expr = {"$add" if k0 > 0 else "$sub": {"$l": expr, "$r": abs(k0)}}
    return expr


def _whole_threshold(ref: str, op: str, c: Fraction) -> Any:
    """``ref op c`` for a whole-number field and an exact constant, with whole numbers only."""
    if abs(c) > EXACT_LIMIT:
        raise ShapeError("Q305", f"the constant {c} is beyond ±2**53, where the engine no longer compares exactly",
                         "use a smaller number")
    if c.denominator == 1:
        return ("atom", ref, op, int(c))
    lo, hi = math.floor(c), math.ceil(c)  # lo < c < hi
    if op in (">", ">="):
        return ("atom", ref, ">=", hi)
    if op in ("<", "<="):
        return ("atom", ref, "<=", lo)
    if op == "==":  # never equal, but still unknown when the field is absent
        return ("and", [("atom", ref, ">=", hi), ("atom", ref, "<=", lo)])
    return ("or", [("atom", ref, "<=", lo), ("atom", ref, ">=", hi)])


def _fold(op: str, a: Any, b: Any) -> Any:
    a, b = (Fraction(a), Fraction(b)) if isinstance(a, Decimal) or isinstance(b, Decimal) else (a, b)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return a / b


# durable_rules refuses to create a ruleset whose `$or` holds 14 or more `$iany` branches
# (error 113, measured on 2.0.28); 13 load. The compiler stops at 12, with a margin. (The
# limit is on the `and`/`or` groups of the whole rule: MAX_EXPRESSION_ENTRIES below.)
_MAX_ALTERNATIVES = 12


def _dnf(t: Any) -> list[list[Any]]:
    """Disjunctive normal form of an and/or tree of atoms: a list of conjunctions."""
    tag = t[0]
    if tag in ("atom", "ex"):
        return [[t]]
    if tag == "or":
        return [conj for x in t[1] for conj in _dnf(x)]
    if tag == "and":
        result: list[list[Any]] = [[]]
        for x in t[1]:
            result = [a + b for a in result for b in _dnf(x)]
            if len(result) > _MAX_ALTERNATIVES:
                raise ShapeError("Q304", f"the condition inside any/all expands to more than {_MAX_ALTERNATIVES} "
                                         "alternatives",
                                 "simplify it or split the rule")
        return result
    raise ShapeError("Q302", "a quantifier inside another quantifier is not supported")


# durable_rules' own limits (measured on 2.0.28, read in its C source, src/rules/events.c and rete.c):
# matching walks the alternatives of all rules with a fixed stack of 64 entries (MAX_STACK_SIZE):
# with 64 or more alternatives that hold at once, every assert fails with error 303 (measured: 64
# rules `total >= i`, or one rule of 100 comparisons whose negation is an `or` of 100). A rule and
# its negation never hold at once, so at most max(rule, negation) + pending_if alternatives of each
# rule hold together; their sum (and the sentinel) is kept below the stack.
MAX_RULESET_ALTERNATIVES = 63
MAX_CONJUNCTION = 96  # comparisons that must hold together in one alternative (a parent takes 128 children)


def _alternatives(c: Any) -> int:
    """How many alternatives durable matches for a compiled condition (`$or` adds, `$and` multiplies)."""
    if isinstance(c, dict) and len(c) == 1:
        (k, v), = c.items()
        if k == "$or":
            return sum(_alternatives(x) for x in v)
        if k == "$and":
            return math.prod(_alternatives(x) for x in v)
    return 1


def _longest_conjunction(c: Any) -> int:
    if isinstance(c, dict) and len(c) == 1:
        (k, v), = c.items()
        if k == "$or":
            return max(_longest_conjunction(x) for x in v)
        if k == "$and":
            return sum(_longest_conjunction(x) for x in v)
    return 1


# Each `$and` and `$or` of a rule (inside any/all too) takes two entries (the operator and its end)
# in one expression sequence, which holds fewer than 32 (MAX_SEQUENCE_EXPRESSIONS in rete.h; at 32
# durable refuses the ruleset with error 113, ERR_EXPRESSION_LIMIT_EXCEEDED; measured on 2.0.28:
# comparisons, with fields or arithmetic on the right or not, take none). The rule as registered
# is `{"$and": [condition, marker]}`, two more.
MAX_EXPRESSION_ENTRIES = 31


def expression_entries(c: Any) -> int:
    """Entries the compiled condition ``c`` takes in durable's expression sequence, with the marker's `$and`."""
    def walk(n: Any) -> int:
        if not isinstance(n, dict):
            return 0
        total = 0
        for k, v in n.items():
            if k in ("$and", "$or"):
                total += 2 + sum(walk(x) for x in v)
            elif k in ("$iany", "$iall"):
                total += sum(walk(x) for x in v.values())
        return total
    return 2 + walk(c)


def _condition_key(c: CompiledRule, where: dict[str, Any]) -> str:
    """The ``where`` key of the ruleset text a compiled condition comes from."""
    rid = c.rule
    key = {Part.PENDING: f"{rid}#pending_if", Part.APPLIES: f"{rid}#applies_if",
           Part.NOT_APPLICABLE: f"{rid}#applies_if"}.get(c.part, rid)
    return key if key in where else rid


def engine_limits(rs: Ruleset, compiled: tuple[CompiledRule, ...], where: dict[str, Any]) -> list[RulesetError]:
    """Errors (Q306) for what durable_rules would refuse or fail on at the first case."""
    errors = []
    for c in compiled:
        rid = c.rule
        entries = expression_entries(c.condition)
        if entries > MAX_EXPRESSION_ENTRIES:
            loaded, kp = where[_condition_key(c, where)]
            errors.append(loaded.error("Q306", f"{rid}: the condition as compiled has {entries // 2 - 1} `and`/`or` "
                                                f"groups (each any(...) branch and each `or` of the negation "
                                                f"counts); the engine takes at most {MAX_EXPRESSION_ENTRIES // 2 - 1}",
                                       kp,
                                       suggestion="split the rule, or use fewer any(...) branches joined by or"))
            continue
        size = _longest_conjunction(c.condition)
        if size > MAX_CONJUNCTION:
            loaded, kp = where[_condition_key(c, where)]
            errors.append(loaded.error("Q306", f"{rid}: the condition has {size} comparisons that must hold "
                                                f"together; the engine takes at most {MAX_CONJUNCTION}",
                                       kp, suggestion="split the rule"))
    per_rule: dict[str, int] = {}
    for r in rs.rules:
        alts = {c.part: _alternatives(c.condition) for c in compiled if c.rule == r.id}
        per_rule[r.id] = max(alts.get(Part.HOLDS, 0), alts.get(Part.FAILS, 0)) + alts.get(Part.PENDING, 0)
    total = 1 + sum(per_rule.values())  # the sentinel rule is one more
    if total > MAX_RULESET_ALTERNATIVES and rs.rules:
        worst = max(rs.rules, key=lambda r: per_rule[r.id])
        loaded, kp = where[worst.id]
        errors.append(loaded.error("Q306", f"the ruleset's conditions have up to {total} alternatives that can hold "
                                           f"at once (each `or` branch or `in` value of each rule); the engine "
                                           f"matches at most {MAX_RULESET_ALTERNATIVES} (this rule has the most)", kp,
                                   suggestion="merge rules that test the same thing, or split the ruleset"))
    return errors


def compile_ruleset(rs: Ruleset, where: dict[str, Any]) -> tuple[tuple[CompiledRule, ...], list[RulesetError]]:
    """Compile every rule (its ``pending_if`` and ``due`` as ``Part.PENDING``, its ``applies_if`` as
    ``Part.APPLIES`` and, negated, ``Part.NOT_APPLICABLE``); refused shapes become errors.

    Where the engine can also decide that a condition is definitely false, its negation is
    compiled as ``Part.FAILS`` (three-valued logic: ``a and b`` is false when ``a`` is false,
    even if ``b`` is missing). Where it cannot (an ``or`` would land inside ``all``), there is
    no ``FAILS`` part and a rule that did not pass is failed only when none of its facts is missing.
    """
    out = []
    errors: list[RulesetError] = []
    for rule in rs.rules:
        try:
            c = _Compiler(rs.time_zone)
            out.append(CompiledRule(rule.id, c.emit(c.nnf(rule.checked, True, False)), Part.FAILS))
        except ShapeError:
            pass  # not expressible safely: fall back to "failed only when nothing is missing"
        parts: list[tuple[Part, C.RNode, str]] = [(Part.HOLDS, rule.checked, rule.id)]
        if rule.pending_condition is not None:
            parts.append((Part.PENDING, rule.pending_condition,
                          f"{rule.id}#pending_if" if rule.pending_if is not None else rule.id))
        if rule.applies_condition is not None:
            parts.append((Part.APPLIES, rule.applies_condition, f"{rule.id}#applies_if"))
            try:  # "definitely does not apply": the negation, where it can be emitted safely
                c = _Compiler(rs.time_zone)
                out.append(CompiledRule(rule.id, c.emit(c.nnf(rule.applies_condition, True, False)),
                                        Part.NOT_APPLICABLE))
            except ShapeError:
                pass
        for part, condition, key in parts:
            try:
                c = _Compiler(rs.time_zone)
                out.append(CompiledRule(rule.id, c.emit(c.nnf(condition, False, False)), part))
            except ShapeError as exc:
                loaded, kp = where[key]
                errors.append(loaded.error(exc.code, f"{rule.id}: {exc.message}", kp, suggestion=exc.suggestion))
    return tuple(out), errors


WHERE_LIST = "_item"  # the one-item list a count's `where` is decided on by durable_rules


def compile_where(rs: Ruleset) -> tuple[tuple[CompiledRule, ...], tuple[str, ...]]:
    """Each derived count's ``where`` for durable_rules to decide on one list item at a time.

    durable_rules has no aggregate that counts the facts matching a condition (its rule
    attribute ``count`` only batches an action's matches), so the engine decides the item
    predicate and the caller counts: an item is asserted as the only element of list
    ``WHERE_LIST`` (``encode_item``); ``any(x in _item, where)`` (``Part.HOLDS``, named after
    the derivation) fires when it holds, ``any(x in _item, not where)`` (``Part.FAILS``) when it
    is definitely false, neither when a field it reads is missing. Returns the compiled rules and
    the names of the counts whose ``where`` the compiler refuses (decided by another backend's
    code by the caller)."""
    out: list[CompiledRule] = []
    refused: list[str] = []
    for d in rs.derived:
        if d.where_condition is None:
            continue
        try:
            pair = []
            for part, body in ((Part.HOLDS, d.where_condition), (Part.FAILS, C.Not(d.where_condition))):
                c = _Compiler(rs.time_zone)
                pair.append(CompiledRule(d.name, c.emit(c.nnf(C.Quant("any", WHERE_LIST, body), False, False)), part))
            out.extend(pair)
        except ShapeError:
            refused.append(d.name)
    return tuple(out), tuple(refused)


def encode_item(item: dict[str, Any], tz: str) -> dict[str, Any]:
    """The document that asks durable_rules a count's ``where`` of one list item (``compile_where``)."""
    doc = {WHERE_LIST: [_nest(item, tz)], "_n": {WHERE_LIST: 1}, ZERO: 0}
    doc.update(MARKER)
    return doc


_PLAIN = (str, int, float, bool)


def _encode_value(v: Any, tz: str) -> Any:
    if type(v) in _PLAIN:
        return v
    if isinstance(v, dt.datetime):
        return _instant(v)
    if isinstance(v, dt.date):
        return day_start(v, tz)
    return v


@functools.lru_cache(maxsize=1024)
def _split(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def _nest(flat: dict[str, Any], tz: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in flat.items():
        if "." not in path:
            out[path] = _encode_value(value, tz)
            continue
        node = out
        *heads, last = _split(path)
        for h in heads:
            node = node.setdefault(h, {})
        node[last] = _encode_value(value, tz)
    return out


def encode_facts(facts: Facts, derived: dict[str, Any], tz: str,
                 as_of: dt.datetime | None = None) -> dict[str, Any]:
    """The JSON document asserted into durable_rules for one case (``as_of`` only if given)."""
    values = {k: v for k, v in facts.values.items() if k not in ("id", "name")}  # durable owns "id"
    doc = _nest({**values, **derived}, tz)
    for name, items in facts.lists.items():
        doc[name] = [_nest(i, tz) for i in items]
    doc["_n"] = {name: len(items) for name, items in facts.lists.items()}
    doc[ZERO] = 0
    if as_of is not None:
        doc["as_of"] = _instant(as_of)
    doc.update(MARKER)
    return doc


# For the durable adapter, which encodes only the paths its conditions read (``_engine._Plan``):
# a flat ``path -> typed value`` dict as a nested document, and an instant as durable gets it.
nest_values = _nest
encode_instant = _instant
encode_value = _encode_value  # one value (an instant, a day) as durable gets it
