"""The compiled python backend: each checked condition turned once into generated straight-line code.

Owns: ``compile_decider`` (every rule of a ruleset decided by one generated function: each fact
it reads read once into a local, each rule's ``applies_if``, condition and ``pending_if``/``due``
decided three-valued, the shared results of the common decisions given directly),
``compile_condition`` (a resolved tree -> a predicate over one case), ``compile_item_condition``
(a derived count's ``where`` -> a predicate over one list item) and ``compile_ruleset`` (every
rule's parts and every ``where``, compiled once per ruleset); ``reference_ruleset`` gives the
same shape backed by the reference evaluator (the oracle the compiled code is tested against,
never what a backend runs).

What is generated, and how it is kept safe: Python functions built by ``_astgen`` from ``ast``
trees assembled here node by node from the resolved tree, never from text. Every value from a
ruleset (fact paths, item fields, list names, literals, ``in`` lists, parameters, windows,
zones, coefficients) is bound in the function's ``Namespace`` and read through a generated name
(``k_<n>``); locals and arguments are generated names too (``f_<n>``, ``item_<n>``). ``_astgen``
refuses, before ``compile``, a tree holding any string constant, any name that is not generated
or an allowlisted builtin, or any attribute outside its list, and runs the code with empty
``__builtins__``: no ruleset text can reach ``compile`` even as a constant, so none can run.

The meaning is the reference evaluator's, written independently of it: three-valued (Kleene)
logic, a predicate answers True, False or None (unknown: a fact it reads is missing, or a list
it quantifies over is absent); numbers are exact (a decimal constant is a ``Fraction``, or an
``int`` when whole; arithmetic in ``Fraction``, a linear comparison in whole numbers while the
facts it reads are ``int``); a timestamp compared with a date is compared by its calendar day in
the ruleset's zone, a timestamp in a window by its day in the window's zone. Must not import
durable or ``_compile``; ``_reference`` only to build the oracle.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

import attrs

from . import _reference as R
from . import _tree as T
from ._astgen import Namespace, build_function, name
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


class _Missing:
    """What a value closure returns for a fact that has no value."""

    def __repr__(self) -> str:
        return "MISSING"


_MISSING: Any = _Missing()


def _number(v: Any) -> Any:
    """A constant as an exact number: Decimal -> int when whole, else Fraction; others unchanged."""
    if isinstance(v, Decimal):
        f = Fraction(v)
        return f.numerator if f.denominator == 1 else f
    return v


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


# ---- straight-line code: one generated function per ruleset -------------------------------------
# The same meaning as the closures above, built as ``ast`` trees by ``_astgen`` (checked: no string
# constant, generated names only): every value from the ruleset (fact paths, item fields, list names,
# constants, windows, zones, coefficients) is bound in the ``Namespace`` and read by a generated name.

def _load(n: str) -> ast.Name:
    return ast.Name(id=n, ctx=ast.Load())


def _store(n: str) -> ast.Name:
    return ast.Name(id=n, ctx=ast.Store())


def _set(target: str, value: ast.expr) -> ast.stmt:
    return ast.Assign(targets=[_store(target)], value=value)


def _const(v: bool | None) -> ast.expr:
    return ast.Constant(value=v)


def _is(a: ast.expr, b: ast.expr, negate: bool = False) -> ast.expr:
    return ast.Compare(left=a, ops=[ast.IsNot() if negate else ast.Is()], comparators=[b])


def _call(fn: ast.expr, *args: ast.expr) -> ast.expr:
    return ast.Call(func=fn, args=list(args), keywords=[])


def _method(obj: ast.expr, attr: str, *args: ast.expr) -> ast.expr:
    return _call(ast.Attribute(value=obj, attr=attr, ctx=ast.Load()), *args)


def _if(test: ast.expr, body: list[ast.stmt], orelse: list[ast.stmt] | None = None) -> ast.stmt:
    return ast.If(test=test, body=body or [ast.Pass()], orelse=orelse or [])


def _either(*tests: ast.expr) -> ast.expr:
    return tests[0] if len(tests) == 1 else ast.BoolOp(op=ast.Or(), values=list(tests))


def _function_def(fname: str, body: list[ast.stmt]) -> ast.stmt:
    """``def fname(): body``, nested in a generated function (it reads the locals around it)."""
    arguments = ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
                              defaults=[])
    fn = ast.FunctionDef(name=fname, args=arguments, body=body, decorator_list=[], returns=None)
    if "type_params" in ast.FunctionDef._fields:  # Python 3.12 on
        setattr(fn, "type_params", [])  # noqa: B010 - the field is absent from 3.11's stubs
    return fn


_MAX_LOOPS = 12  # nested loops per generated function (CPython refuses more than 20 nested blocks)
_CMP_AST: dict[str, type[ast.cmpop]] = {"==": ast.Eq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt,
                                        ">=": ast.GtE}
_ARITH_AST: dict[str, type[ast.operator]] = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div}


class _Generator:
    """Statements deciding conditions into locals, for one generated function.

    ``facts`` maps each fact path read to the local holding its value (or the MISSING sentinel,
    loaded once at the top of the function); inside ``any``/``all`` (and a count's ``where``) the
    current item is the local ``item``."""

    def __init__(self, tz: str, ns: Namespace) -> None:
        self.zone = zoneinfo_zone(tz)
        self.ns = ns
        self.facts: dict[str, str] = {}
        self.count = 0
        self.loops = 0  # the loops (any/all) the code being generated is nested in
        self.missing = ns.bind(_MISSING)
        self.datetime = ns.bind(dt.datetime)
        self.fraction = ns.bind(Fraction)

    def local(self, base: str) -> str:
        self.count += 1
        return name(base, self.count)

    def fact(self, path: str) -> str:
        if path not in self.facts:
            self.facts[path] = name("f", len(self.facts))
        return self.facts[path]

    # ---- values: (statements, expression, whether the value may be MISSING) -------------------
    def value(self, n: T.RNode, item: str | None) -> tuple[list[ast.stmt], ast.expr, bool]:
        if isinstance(n, T.Const):
            return [], self.ns.bind(_number(n.value)), False
        if isinstance(n, T.Fact):
            return [], _load(self.fact(n.path)), True
        if isinstance(n, T.Item):
            assert item is not None  # bound by any/all
            v = self.local("v")
            return [_set(v, _method(_load(item), "get", self.ns.bind(n.field), self.missing))], _load(v), True
        if isinstance(n, T.Arith):
            ls, le, lm = self.value(n.left, item)
            rs, re, rm = self.value(n.right, item)
            v = self.local("v")
            fraction = self.fraction
            compute = _set(v, ast.BinOp(left=_call(fraction, le), op=_ARITH_AST[n.op](), right=_call(fraction, re)))
            tests = ([_is(le, self.missing)] if lm else []) + ([_is(re, self.missing)] if rm else [])
            body: list[ast.stmt] = [*ls, *rs]
            body.append(_if(_either(*tests), [_set(v, self.missing)], [compute]) if tests else compute)
            return body, _load(v), bool(tests)
        raise AssertionError(n)  # pragma: no cover - the checker gives conditions only where values go

    def day(self, expr: ast.expr, zone: Any) -> tuple[list[ast.stmt], ast.expr]:
        """A timestamp (or date) as its calendar day in ``zone`` (MISSING and dates unchanged)."""
        d = self.local("d")
        as_day = _method(_method(expr, "astimezone", self.ns.bind(zone)), "date")
        return [_if(_call(_load("isinstance"), expr, self.datetime), [_set(d, as_day)], [_set(d, expr)])], _load(d)

    # ---- conditions: statements that set ``target`` to True, False or None ---------------------
    def truth(self, n: T.RNode, target: str, item: str | None) -> list[ast.stmt]:
        if isinstance(n, (T.And, T.Or)):
            return self._connective(n, target, item)
        if isinstance(n, T.Not):
            x = self.local("t")
            flip = ast.IfExp(test=_is(_load(x), _const(None)), body=_const(None),
                             orelse=ast.UnaryOp(op=ast.Not(), operand=_load(x)))
            return [*self.truth(n.item, x, item), _set(target, flip)]
        if isinstance(n, T.Cmp):
            return self._compare(n, target, item)
        if isinstance(n, T.InList):
            s, e, may = self.value(n.left, item)
            consts = [self.ns.bind(c.value) for c in n.values]
            if consts:
                found: ast.expr = _call(_load("bool"), _either(*(
                    ast.Compare(left=e, ops=[ast.Eq()], comparators=[c]) for c in consts)))
            else:
                found = _const(False)
            return [*s, _set(target, ast.IfExp(test=_is(e, self.missing), body=_const(None), orelse=found)
                             if may else found)]
        if isinstance(n, T.InWindow):
            s, e, may = self.value(n.left, item)
            ds, de = self.day(e, zoneinfo_zone(n.window.time_zone))
            inside = _call(self.ns.bind(n.window.contains), de)
            return [*s, *ds, _set(target, ast.IfExp(test=_is(de, self.missing), body=_const(None), orelse=inside)
                                  if may else inside)]
        if isinstance(n, T.Quant):
            return self._quant(n, target)
        raise AssertionError(n)  # pragma: no cover

    def _connective(self, n: T.And | T.Or, target: str, item: str | None) -> list[ast.stmt]:
        """Kleene and/or: the first decisive part (False for and, True for or) decides, parts after
        it unread; else unknown if a part was unknown."""
        decisive = isinstance(n, T.Or)
        unknown = self.local("u")
        tail: list[ast.stmt] = [_set(target, ast.IfExp(test=_load(unknown), body=_const(None),
                                                        orelse=_const(not decisive)))]
        for part in reversed(n.items):
            x = self.local("t")
            tail = [*self.truth(part, x, item),
                    _if(_is(_load(x), _const(decisive)), [_set(target, _const(decisive))],
                        [_if(_is(_load(x), _const(None)), [_set(unknown, _const(True))]), *tail])]
        return [_set(unknown, _const(False)), *tail]

    def _quant(self, n: T.Quant, target: str) -> list[ast.stmt]:
        if self.loops >= _MAX_LOOPS:  # CPython allows 20 nested loops in a function: go on in a nested one
            saved, self.loops = self.loops, 0
            inner, fname = self.local("t"), self.local("q")
            body = [*self._quant(n, inner), ast.Return(value=_load(inner))]
            self.loops = saved
            return [_function_def(fname, body), _set(target, _call(_load(fname)))]
        self.loops += 1
        try:
            return self._loop(n, target)
        finally:
            self.loops -= 1

    def _loop(self, n: T.Quant, target: str) -> list[ast.stmt]:
        decisive = n.kind == "any"  # any: one True decides; all: one False decides
        items, it, unknown, x = self.local("l"), self.local("item"), self.local("u"), self.local("t")
        body = [*self.truth(n.body, x, it),
                _if(_is(_load(x), _const(decisive)), [_set(target, _const(decisive)), ast.Break()]),
                _if(_is(_load(x), _const(None)), [_set(unknown, _const(True))])]
        loop = ast.For(target=_store(it), iter=_load(items), body=body,
                       orelse=[_set(target, ast.IfExp(test=_load(unknown), body=_const(None),
                                                      orelse=_const(not decisive)))])
        get = _method(_load(self.lists), "get", self.ns.bind(n.list))
        return [_set(items, get), _if(_is(_load(items), _const(None)), [_set(target, _const(None))],
                                      [_set(unknown, _const(False)), loop])]

    def _compare(self, n: T.Cmp, target: str, item: str | None) -> list[ast.stmt]:
        general = self._general_compare(n, target, item)
        if isinstance(n.left, T.Arith) or isinstance(n.right, T.Arith):
            linear = _linear_form(n)
            if linear is not None:
                terms, k0, read = linear
                # sum(k * fact) + k0 op 0 in whole numbers while every fact it reads is an int
                whole: list[ast.expr] = [ast.Compare(left=_call(_load("type"), _load(self.fact(p))), ops=[ast.Is()],
                                     comparators=[_load("int")]) for p in read]
                total: ast.expr = self.ns.bind(k0)
                for p, k in terms:
                    total = ast.BinOp(left=total, op=ast.Add(),
                                      right=ast.BinOp(left=self.ns.bind(k), op=ast.Mult(), right=_load(self.fact(p))))
                decided = _set(target, ast.Compare(left=total, ops=[_CMP_AST[n.op]()], comparators=[self.ns.bind(0)]))
                test = whole[0] if len(whole) == 1 else ast.BoolOp(op=ast.And(), values=whole)
                # a missing fact makes a side of nothing but sums and products missing: unknown
                absent = _either(*(_is(_load(self.fact(p)), self.missing) for p in read)) if read else None
                unknown = [_if(absent, [_set(target, _const(None))], general)] if absent is not None else general
                return [_if(test, [decided], unknown)] if whole else [decided]
        return general

    def _general_compare(self, n: T.Cmp, target: str, item: str | None) -> list[ast.stmt]:
        by_day = {type_of(n.left), type_of(n.right)} == {"date", "instant"}
        sides: list[tuple[ast.expr, bool]] = []
        parts: list[list[ast.stmt]] = []
        for side in (n.left, n.right):
            if isinstance(side, T.Const) and by_day:
                c = _number(side.value)
                c = c.astimezone(self.zone).date() if isinstance(c, dt.datetime) else c
                sides.append((self.ns.bind(c), False))
                parts.append([])
                continue
            s, e, may = self.value(side, item)
            if by_day:
                ds, e = self.day(e, self.zone)
                s = [*s, *ds]
            sides.append((e, may))
            parts.append(s)
        (le, lm), (re, rm) = sides
        compared = ast.Compare(left=le, ops=[_CMP_AST[n.op]()], comparators=[re])
        last = [*parts[1], _set(target, ast.IfExp(test=_is(re, self.missing), body=_const(None), orelse=compared)
                                if rm else compared)]
        # the right side is computed only when the left one is not missing (as the reference does)
        return [*parts[0], _if(_is(le, self.missing), [_set(target, _const(None))], last)] if lm \
            else [*parts[0], *last]

    lists = "lists_0"


def _fact_loads(g: _Generator, values: str, derived: str | None, as_of: str | None) -> list[ast.stmt]:
    """``f_<n> = <where the path is>.get(path, MISSING)`` for every fact path ``g`` read: ``derived.*``
    from the derived values, ``as_of`` from the moment (when given), the rest from the facts (all
    from ``values`` when ``derived`` and ``as_of`` are None: one merged mapping)."""
    loads: list[ast.stmt] = []
    for path, local in g.facts.items():
        key = g.ns.bind(path)
        from_facts = _method(_load(values), "get", key, g.missing)
        if path.startswith("derived.") and derived is not None:
            got = _method(_load(derived), "get", key, from_facts)
        elif path == "as_of" and as_of is not None:
            got = ast.IfExp(test=_is(_load(as_of), _const(None)), body=from_facts, orelse=_load(as_of))
        else:
            got = from_facts
        loads.append(_set(local, got))
    return loads


def generated_condition(node: T.RNode, tz: str) -> Predicate:
    """``compile_condition``'s predicate ``(values, lists, item)`` as one generated function."""
    ns = Namespace()
    g = _Generator(tz, ns)
    body = g.truth(node, "t_0", "item_0")
    loads = _fact_loads(g, "values_0", None, None)
    fn = build_function("condition_0", ["values_0", "lists_0", "item_0"],
                        [*loads, *body, ast.Return(value=_load("t_0"))], ns)
    return cast(Predicate, fn)


def generated_item_condition(node: T.RNode, tz: str) -> ItemPredicate:
    """``compile_item_condition``'s predicate ``(item)`` as one generated function: facts and lists
    read inside a count's `where` are absent (unknown), as there."""
    ns = Namespace()
    g = _Generator(tz, ns)
    body = g.truth(node, "t_0", "item_0")
    loads = _fact_loads(g, "values_0", None, None)
    start = [_set("values_0", ns.bind(_EMPTY)), _set("lists_0", ns.bind(_NO_LISTS))]
    fn = build_function("where_0", ["item_0"], [*start, *loads, *body, ast.Return(value=_load("t_0"))], ns)
    return cast(ItemPredicate, fn)


_EMPTY: Values = {}
_NO_LISTS: Lists = {}


def compile_condition(node: T.RNode, tz: str) -> Predicate:
    """``node`` (a checked condition) as a predicate ``(values, lists, item) -> True | False | None``.

    ``values`` maps fact paths (and ``derived.*``, ``as_of``) to typed values, ``lists`` list
    names to their items; ``item`` is None outside a count's ``where``. ``tz`` is the ruleset's
    zone (timestamps compared with dates are compared by their day in it)."""
    return generated_condition(node, tz)


def compile_item_condition(node: T.RNode, tz: str) -> ItemPredicate:
    """A derived count's ``where`` as a predicate over one list item: True, False or None (a field
    it reads is missing)."""
    return generated_item_condition(node, tz)


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


class _OnFirstCall:
    """A condition's generated predicate, generated when first called (``Engine.decide`` and tests
    call a rule's parts one by one; the python backend's evaluate runs ``compile_decider``'s
    function): loading an engine generates only what it runs."""

    __slots__ = ("node", "tz", "fn")

    def __init__(self, node: T.RNode, tz: str) -> None:
        self.node, self.tz = node, tz
        self.fn: Predicate | None = None

    def __call__(self, values: Values, lists: Lists, item: Item) -> bool | None:
        fn = self.fn
        if fn is None:  # two threads may both generate it: the same function, either is kept
            fn = self.fn = generated_condition(self.node, self.tz)
        return fn(values, lists, item)


def compile_ruleset(rs: Ruleset) -> CompiledConditions:
    """Every rule's parts and every count's ``where`` of a checked ruleset, each a generated function
    (a rule's parts generated on first call; the python backend itself decides every rule at once:
    ``compile_decider``)."""
    def opt(node: T.RNode | None) -> Predicate | None:
        return None if node is None else _OnFirstCall(node, rs.time_zone)

    rules = tuple(CompiledRulePredicates(r.id, _OnFirstCall(r.checked, rs.time_zone), opt(r.pending_condition),
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


# A rule's wording for one case when it neither passed nor was found not to apply (nor simply
# failed): ``(holds, applies, pending, facts, derived, as_of) -> result``; ``holds`` is the
# condition's True/False/None, ``applies`` True/False/None as ``decide`` reads it, ``pending``
# whether its pending_if / due holds.
Word = Callable[[Any, Any, bool, Any, Mapping[str, Any], Any], Any]


# A rule's results by which of the paths it reads are absent: (the paths, {(absent?, ...): result}).
Shared = tuple[tuple[str, ...], Mapping[tuple[bool, ...], Any]]


def compile_decider(rs: Ruleset, decides_false: frozenset[str], decides_na: frozenset[str], passed: Any,
                    not_applicable: Any, failed: Any, words: tuple[Word, ...],
                    shared: tuple[Shared | None, ...] | None = None) -> Callable[..., tuple[Any, ...]]:
    """Every rule of ``rs`` decided in one generated function
    ``(fact values, derived values, lists, as_of or None, facts) -> one result per rule, in order``.

    Each fact path any rule reads is read once; each rule's ``applies_if``, condition and (only
    where it matters) ``pending_if``/``due`` decided three-valued as ``compile_ruleset``'s closures
    decide them. A rule that does not apply (``applies_if`` false and the rule in ``decides_na``)
    gives ``not_applicable``; one that holds and is not pending gives ``passed``; one that is false,
    applies, is not pending and is in ``decides_false`` gives ``failed`` (the shared results);
    every other rule ``words[i](holds, applies, pending, facts, derived, as_of)``, or, where
    ``shared[i]`` is given (only for a rule without ``applies_if`` and ``pending_if``/``due``, each
    path a top-level or derived fact read as ``.get``), the result its table holds for the case's
    pattern of absent paths (the word where the table has none)."""
    ns = Namespace()
    g = _Generator(rs.time_zone, ns)
    body: list[ast.stmt] = []
    results: list[ast.expr] = []
    for i, (r, word, table) in enumerate(zip(rs.rules, words, shared or (None,) * len(words), strict=True)):
        a, h, p, out = name("a", i), name("h", i), name("p", i), name("r", i)
        results.append(_load(out))
        # what a rule without applies_if / pending_if is known to be: applies True, pending False
        applies: ast.expr = _const(True)
        if r.applies_condition is not None:
            x = g.local("t")
            body += g.truth(r.applies_condition, x, None)
            body.append(_set(a, ast.IfExp(test=_is(_load(x), _const(True)), body=_const(True), orelse=(
                ast.IfExp(test=_is(_load(x), _const(False)), body=_const(False), orelse=_const(None))
                if r.id in decides_na else _const(None)))))
            applies = _load(a)
        body += g.truth(r.checked, h, None)
        provisional = r.provisional_pass
        # pending matters only when the condition is not true, or the rule is provisional
        pending: list[ast.stmt] = []
        pends: ast.expr = _const(False)
        if r.pending_condition is not None:
            y = g.local("t")
            decide_pending = [*g.truth(r.pending_condition, y, None), _set(p, _is(_load(y), _const(True)))]
            pending = [_set(p, _const(False)), *(decide_pending if provisional else [
                _if(_is(_load(h), _const(True), negate=True), decide_pending)])]
            pends = _load(p)
        not_pending = [ast.UnaryOp(op=ast.Not(), operand=pends)] if r.pending_condition is not None else []
        worded = _set(out, _call(ns.bind(word), _load(h), applies, pends, _load("facts_0"), _load("derived_0"),
                                 _load("asof_0")))
        rest: list[ast.stmt] = [worded]
        if table is not None:
            assert r.applies_condition is None and r.pending_condition is None
            pattern = ast.Tuple(elts=[_is(_load(g.fact(path)), g.missing) for path in table[0]], ctx=ast.Load())
            rest = [_set(out, _method(ns.bind(table[1]), "get", pattern)), _if(_is(_load(out), _const(None)), rest)]
        if r.id in decides_false:
            simply_failed = [_is(_load(h), _const(False)), *not_pending,
                             *([_is(applies, _const(True))] if r.applies_condition is not None else [])]
            test = simply_failed[0] if len(simply_failed) == 1 else ast.BoolOp(op=ast.And(), values=simply_failed)
            rest = [_if(test, [_set(out, ns.bind(failed))], rest)]
        if provisional:  # a provisional pass is final only while the rule is not pending
            holds = [_is(_load(h), _const(True)), *not_pending]
            rest = [_if(holds[0] if len(holds) == 1 else ast.BoolOp(op=ast.And(), values=holds),
                        [_set(out, ns.bind(passed))], rest)]
            decided = [*pending, *rest]
        else:
            decided = [_if(_is(_load(h), _const(True)), [_set(out, ns.bind(passed))], [*pending, *rest])]
        if r.applies_condition is not None:
            body.append(_if(_is(applies, _const(False)), [_set(out, ns.bind(not_applicable))], decided))
        else:
            body += decided
    loads = _fact_loads(g, "values_0", "derived_0", "asof_0")
    ret = ast.Return(value=ast.Tuple(elts=results, ctx=ast.Load()))
    return build_function("decide_0", ["values_0", "derived_0", "lists_0", "asof_0", "facts_0"],
                          [*loads, *body, ret], ns)
