"""Name resolution and type checking of conditions: syntax tree -> resolved tree.

Owns: what a name in a condition means (a fact path from ``facts.FIELDS``, a
``params.`` value, a ``derived.`` fact, an item of ``any``/``all``), the types of
expressions, and load-time errors that point inside the condition text. Parameter
values are inlined as constants here, so that the compiler and the reference
evaluator see the same resolved tree. Must not know durable_rules.
"""

from __future__ import annotations

import abc
import datetime as dt
import difflib
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from . import _expr as E
from ._finding import check_finding
from ._loader import Key, Loaded, text_position
from ._model import Derivation, Rule, Ruleset, Window, decided_on
from ._moments import TERM
from ._moments import zone as zoneinfo_zone
from ._tree import And, Arith, Cmp, Const, Fact, InList, InWindow, Item, Not, Or, Quant, RNode
from .exceptions import RulesetError, did_you_mean, meant
from .facts import FIELDS, REGIONS, SUBJECTS

__all__ = ["Const", "Fact", "Item", "Arith", "Cmp", "InList", "InWindow", "And", "Or", "Not", "Quant", "RNode",
           "check_ruleset", "derived_type", "recorded_condition"]

# ---- the resolved tree: its node types are _tree's (re-exported here for the compilers) ----

_FIELD_TYPES = {"bool": "bool", "count": "number", "str": "string", "enum": "string", "region": "string",
                "nationality": "string", "round": "string", "date": "date", "instant": "instant"}
_ORDERED = {"number", "date", "instant", "string"}


def _suggest(word: str, choices: Any) -> str | None:
    """A "did you mean" for ``word``: same-group dotted names first, then plain similarity."""
    choices = [c for c in choices if c != word]
    head, _, tail = word.rpartition(".")
    if head:
        siblings = {c.rpartition(".")[2]: c for c in choices if c.rpartition(".")[0] == head}
        prefixed = [c for t, c in siblings.items() if tail and t.startswith(tail[:3])]
        close = difflib.get_close_matches(tail, list(siblings), n=1, cutoff=0.5)
        if close or len(prefixed) == 1:
            return meant(siblings[close[0]] if close else prefixed[0])
    return did_you_mean(word, choices)


def derived_type(d: Derivation, fields: dict[str, Any] = FIELDS) -> str:
    if d.function == "earliest":
        spec = fields.get(d.of)
        return _FIELD_TYPES[spec.type] if spec else "instant"
    return "number"


def derived_reads(d: Derivation) -> tuple[str, ...]:
    """The fact paths (top-level path or list name) a derivation reads."""
    if "[]" in d.of:
        return (d.of.split("[]", 1)[0],)
    return (d.of,)


class _Resolver(abc.ABC):
    """Syntax tree -> resolved tree: the one dispatch on syntax nodes. What names mean, and what a
    comparison, an ``in``, arithmetic or a quantifier must satisfy, are the subclass's."""

    def value(self, n: E.Node) -> RNode:
        if isinstance(n, E.Lit):
            t = "bool" if isinstance(n.value, bool) else \
                "number" if isinstance(n.value, (int, float, Decimal)) else "string"
            return Const(n.value, t)
        if isinstance(n, E.DateLit):
            return Const(n.value, "date")
        if isinstance(n, E.Name):
            return self.name(n)
        if isinstance(n, E.Arith):
            return self.arith(n)
        return self.not_a_value(n)

    def cond(self, n: E.Node) -> RNode:
        if isinstance(n, E.And):
            return And(tuple(self.cond(x) for x in n.items))
        if isinstance(n, E.Or):
            return Or(tuple(self.cond(x) for x in n.items))
        if isinstance(n, E.Not):
            return Not(self.cond(n.item))
        if isinstance(n, E.Compare):
            return self.compare(n)
        if isinstance(n, E.Member):
            return self.member(n)
        if isinstance(n, E.Quant):
            return self.quant(n)
        return self.not_a_condition(n)

    @abc.abstractmethod
    def name(self, n: E.Name) -> RNode:
        ...

    @abc.abstractmethod
    def arith(self, n: E.Arith) -> RNode:
        ...

    @abc.abstractmethod
    def compare(self, n: E.Compare) -> RNode:
        ...

    @abc.abstractmethod
    def member(self, n: E.Member) -> RNode:
        ...

    @abc.abstractmethod
    def quant(self, n: E.Quant) -> RNode:
        ...

    @abc.abstractmethod
    def not_a_value(self, n: E.Node) -> RNode:
        ...

    @abc.abstractmethod
    def not_a_condition(self, n: E.Node) -> RNode:
        ...


class _Checker(_Resolver):
    def __init__(self, rs: Ruleset, loaded: Loaded, kp: Key, text: str, *, as_of: bool = False) -> None:
        self.as_of = as_of
        subject = rs.facts or SUBJECTS[rs.subject]  # the ruleset's facts schema
        self.fields = subject.fields
        self.lists = subject.lists
        self.params = {p.name: p for p in rs.parameters}
        self.derived = {d.name: d for d in rs.derived}
        self.loaded, self.kp, self.text = loaded, kp, text
        self.scope: dict[str, str] = {}  # item variable -> list name
        self.reads: list[str] = []
        self.used_params: list[str] = []

    def err(self, code: str, msg: str, span: tuple[int, int], suggestion: str | None = None) -> RulesetError:
        line, col = text_position(self.loaded, self.kp, span[0], self.text)
        return RulesetError(code, msg, path=self.loaded.path, line=line, col=col, suggestion=suggestion)

    def _read(self, path: str) -> None:
        if path not in self.reads:
            self.reads.append(path)

    # -- values
    def arith(self, n: E.Arith) -> RNode:
        left, right = self.value(n.left), self.value(n.right)
        for side, node in ((left, n.left), (right, n.right)):
            if type_of(side) != "number":
                raise self.err("Q202", f"arithmetic needs numbers; {_show(self.text, node)} is a {type_of(side)}",
                               node.span)
        if n.op == "/" and not (isinstance(right, Const) and right.value != 0):
            raise self.err("Q301", "division is only allowed by a non-zero constant or parameter", n.right.span,
                           suggestion="multiply the other side instead, e.g. a >= b * 0.5")
        return Arith(n.op, left, right)

    def not_a_value(self, n: E.Node) -> RNode:
        if isinstance(n, (E.Compare, E.Member, E.And, E.Or, E.Not, E.Quant)):
            raise self.err("Q203", "a condition is used where a value is expected", n.span)
        raise self.err("Q203", "this is not a value", n.span)  # pragma: no cover

    def _use_params(self, *names: str | None) -> None:
        """Record that the condition uses these parameters (once each, in the order first used)."""
        self.used_params += [p for p in dict.fromkeys(names) if p is not None and p not in self.used_params]

    def name(self, n: E.Name) -> RNode:
        head, rest = n.parts[0], n.parts[1:]
        dotted = n.dotted
        if head in self.scope:
            lst = self.scope[head]
            field = ".".join(rest)
            spec = self.fields.get(f"{lst}[].{field}")
            if spec is None:
                fields = [p.split("[].", 1)[1] for p in self.fields if p.startswith(lst + "[].")]
                raise self.err("Q201", f"{lst} items have no field {field!r}", n.span,
                               suggestion=_suggest(field, fields) or f"fields: {', '.join(fields)}")
            return Item(lst, field, _FIELD_TYPES[spec.type], var=head)
        if head in ("params", "derived"):
            what, code, table = ("parameter", "Q204", self.params) if head == "params" else \
                ("derived fact", "Q205", self.derived)
            name = ".".join(rest)
            if name not in table:
                raise self.err(code, f"undefined {what} {name!r}", n.span, suggestion=_suggest(name, table))
        if head == "params":
            p = self.params[name]
            self._use_params(name)
            return Const(p.value, p.type, param=name)
        if head == "derived":
            d = self.derived[name]
            for path in derived_reads(d):
                self._read(path)
            self._use_params(d.at, d.completes)
            self._read(dotted)
            return Fact(dotted, derived_type(d, self.fields))
        if dotted in self.lists:
            raise self.err("Q206", f"{dotted!r} is a list; use any(x in {dotted}, ...) or all(x in {dotted}, ...)",
                           n.span)
        if dotted == "as_of":
            if not self.as_of:
                raise self.err("Q213", "`as_of` (the moment of the evaluation) can only be read in pending_if",
                               n.span, suggestion="rules decide on the facts; use pending_if for 'not yet closed'")
            return Fact("as_of", "instant")
        if dotted in ("id", "name"):
            raise self.err("Q201", f"{dotted!r} identifies the collective; rules cannot depend on it", n.span)
        spec = self.fields.get(dotted)
        if spec is None or "[]" in dotted:
            choices = [p for p in self.fields if "[]" not in p] + [f"params.{p}" for p in self.params] + \
                      [f"derived.{d}" for d in self.derived] + list(self.scope)
            raise self.err("Q201", f"unknown fact path {dotted!r}", n.span, suggestion=_suggest(dotted, choices))
        self._read(dotted)
        return Fact(dotted, _FIELD_TYPES[spec.type])

    # -- conditions
    def not_a_condition(self, n: E.Node) -> RNode:
        if isinstance(n, E.Lit) and isinstance(n.value, bool):
            raise self.err("Q207", "a constant true/false is not a condition", n.span,
                           suggestion="compare a fact, e.g. members.total >= 6")
        raise self.err("Q207", f"{_show(self.text, n)} is a value, not a condition", n.span,
                       suggestion="compare it, e.g. with ==, >= or in")

    def compare(self, n: E.Compare) -> RNode:
        left, right = self.value(n.left), self.value(n.right)
        lt, rt = type_of(left), type_of(right)
        if {lt, rt} <= {"date", "instant"}:
            pass  # dates and instants compare at calendar-day granularity
        elif lt != rt:
            raise self.err("Q202", f"cannot compare {_show(self.text, n.left)} ({lt}) with "
                                   f"{_show(self.text, n.right)} ({rt})", n.span,
                           suggestion=_type_hint(lt, rt))
        if lt in ("window", "list"):
            raise self.err("Q202", f"a {lt} cannot be compared with {n.op}; use `in`", n.span)
        if n.op not in ("==", "!=") and lt not in _ORDERED - {"string"} | {"date", "instant"}:
            raise self.err("Q202", f"{n.op} needs numbers or dates, not {lt}s", n.span)
        if isinstance(left, Const) and isinstance(right, Const):
            raise self.err("Q208", "this compares two constants; it is always true or always false", n.span)
        self._enum_check(left, right, n.right)
        self._enum_check(right, left, n.left)
        return Cmp(n.op, left, right)

    def _enum_check(self, field: RNode, const: RNode, node: E.Node) -> None:
        """A literal compared with an enum fact must be one of its values (else it never matches)."""
        if not isinstance(const, Const) or const.type != "string":
            return
        values: tuple[str, ...] = ()
        if isinstance(field, Fact) and field.path in self.fields:
            values = self.fields[field.path].values
        elif isinstance(field, Item):
            values = self.fields[f"{field.list}[].{field.field}"].values
        if values and const.value not in values:
            raise self.err("Q209", f"{const.value!r} is never a value of this field; it can be one of "
                                   f"{', '.join(values)}", node.span, suggestion=_suggest(const.value, values))
        spec = self.fields.get(field.path) if isinstance(field, Fact) else \
            self.fields.get(f"{field.list}[].{field.field}") if isinstance(field, Item) else None
        problem = _free_text_problem(spec.type, const.value) if spec else None
        if problem:
            raise self.err("Q209", f"{const.value!r} is never a value of this field: {problem}", node.span,
                           suggestion=_suggest(const.value, REGIONS) if spec and spec.type == "region" else None)

    def member(self, n: E.Member) -> RNode:
        left = self.value(n.left)
        lt = type_of(left)
        if isinstance(n.right, E.ListLit):
            if not n.right.items:
                raise self.err("Q208", "`in []` is always false", n.right.span)
            consts = []
            for item in n.right.items:
                c = self.value(item)
                if not isinstance(c, Const):
                    raise self.err("Q210", "a list after `in` holds constants and parameters only", item.span)
                if type_of(c) != lt:
                    raise self.err("Q202", f"list item {_show(self.text, item)} is a {type_of(c)}, "
                                           f"but {_show(self.text, n.left)} is a {lt}", item.span)
                self._enum_check(left, c, item)
                consts.append(c)
            return InList(left, tuple(consts))
        right = self.value(n.right)
        if isinstance(right, Const) and right.type == "window":
            if lt not in ("date", "instant"):
                raise self.err("Q202", f"only dates and timestamps can be `in` a window; this is a {lt}", n.left.span)
            return InWindow(left, right.value, param=right.param)
        if isinstance(right, Const) and right.type == "list":
            if not right.value:
                raise self.err("Q208", "this list parameter is empty, so `in` it is always false", n.right.span)
            if lt != "string":
                raise self.err("Q202", f"a list of texts can only hold texts; this is a {lt}", n.left.span)
            values = tuple(Const(v, "string") for v in right.value)
            for c in values:
                self._enum_check(left, c, n.right)
            return InList(left, values, param=right.param)
        raise self.err("Q202", "`in` needs a [list] or a window or list parameter on its right", n.right.span)

    def quant(self, n: E.Quant) -> RNode:
        lst = n.source.dotted
        if lst not in self.lists:
            raise self.err("Q206", f"{lst!r} is not a list of facts", n.source.span,
                           suggestion=_suggest(lst, self.lists) or f"lists: {', '.join(self.lists)}")
        if n.var in self.scope or n.var in ("params", "derived") or any(p.split(".")[0] == n.var for p in self.fields):
            raise self.err("Q211", f"item name {n.var!r} hides another name; pick another", n.span)
        self._read(lst)
        self.scope[n.var] = lst
        try:
            body = self.cond(n.body)
        finally:
            del self.scope[n.var]
        return Quant(n.kind, lst, body)


class _Recorded(_Resolver):
    """Names of a recorded condition: an item of the enclosing any/all, a parameter whose value the
    record holds (a constant naming it; a window or list after ``in``), else a fact path. Nothing
    is checked: the ruleset that decided the verdict did."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = params
        self.scope: dict[str, str] = {}

    def name(self, n: E.Name) -> RNode:
        head, rest = n.parts[0], ".".join(n.parts[1:])
        if head in self.scope:
            return Item(self.scope[head], rest, "", var=head)
        if head == "params" and rest in self.params:
            v = self.params[rest]
            return Const(v, "bool" if isinstance(v, bool) else "number" if isinstance(v, (int, float)) else
                         "string" if isinstance(v, str) else "", param=rest)
        return Fact(n.dotted, "")

    def arith(self, n: E.Arith) -> RNode:
        return Arith(n.op, self.value(n.left), self.value(n.right))

    def compare(self, n: E.Compare) -> RNode:
        return Cmp(n.op, self.value(n.left), self.value(n.right))

    def member(self, n: E.Member) -> RNode:
        left = self.value(n.left)
        if isinstance(n.right, E.ListLit):
            return InList(left, tuple(c for c in map(self.value, n.right.items) if isinstance(c, Const)))
        right = self.value(n.right)
        if isinstance(right, Const) and isinstance(right.value, dict):
            return InWindow(left, Window.from_json(right.value), param=right.param)
        if isinstance(right, Const) and isinstance(right.value, list):
            return InList(left, tuple(Const(v, "string") for v in right.value), param=right.param)
        raise ValueError("not a condition")

    def quant(self, n: E.Quant) -> RNode:
        self.scope[n.var] = n.source.dotted
        try:
            return Quant(n.kind, n.source.dotted, self.cond(n.body))
        finally:
            del self.scope[n.var]

    def not_a_value(self, n: E.Node) -> RNode:
        raise ValueError("not a value")

    def not_a_condition(self, n: E.Node) -> RNode:
        raise ValueError("not a condition")


def recorded_condition(text: str, params: Mapping[str, Any]) -> RNode | None:
    """A condition as a verdict records it — its text and the JSON values of the parameters it read —
    as a resolved tree, for readers of stored verdicts that have no ruleset (explanations).

    Parsed with the one grammar; names become item fields of the enclosing any/all, constants that
    name their parameter (its recorded value), or fact paths. Types are not checked and are left
    empty where the record does not give them (the ruleset that decided the verdict checked them).
    None if the text is not a condition of that form.
    """
    try:
        return _Recorded(params).cond(E.parse(text))
    except (E.ExprSyntaxError, ValueError, KeyError, TypeError):
        return None


def _free_text_problem(kind: str, value: str) -> str | None:
    """Why ``value`` can never equal a fact of this kind (facts.py checks the same shapes)."""
    if kind == "region" and value not in REGIONS:
        return "regions are lower-case codes such as guangdong"
    if kind == "nationality" and not re.fullmatch(r"[A-Z]{2}", value, re.ASCII):
        return "nationalities are ISO 3166 alpha-2 codes such as CN"
    if kind == "round" and not TERM.fullmatch(value):
        return "rounds are written like 2015-2016"
    return None


def type_of(node: RNode) -> str:
    """The value type of a resolved node (conditions are `bool`)."""
    return str(getattr(node, "type", "bool"))


def _show(text: str, node: E.Node) -> str:
    return f"`{text[node.span[0]:node.span[1]]}`"


def _type_hint(lt: str, rt: str) -> str | None:
    if "date" in (lt, rt) and "string" in (lt, rt):
        return 'write a date as date("2017-09-30")'
    if "number" in (lt, rt) and "string" in (lt, rt):
        return "numbers are written without quotes"
    return None


def _resolve(rs: Ruleset, rule_id: str, text: str, loaded: Loaded, kp: Key, *, as_of: bool
             ) -> tuple[RNode, _Checker]:
    checker = _Checker(rs, loaded, kp, text, as_of=as_of)
    try:
        tree = E.parse(text)
    except E.ExprSyntaxError as exc:
        raise checker.err(exc.code, f"in the condition of {rule_id}: {exc.message}", (exc.offset, exc.offset),
                          exc.suggestion) from None
    return checker.cond(tree), checker


def due_days(value: Window | Any) -> tuple[Any, Any]:
    """(first day, last day) that count for a `due` window or date parameter (first is None for a date)."""
    if isinstance(value, Window):
        return value.first_day, value.last_day
    return None, value


def check_rule(rs: Ruleset, rule: Rule, where: dict[str, tuple[Loaded, Key]]) -> Rule:
    """Resolve a rule's `when` (and `pending_if`, which may also read `as_of`, and `applies_if`).

    A rule's `due` (a window or date parameter) becomes part of its pending condition:
    ``as_of`` on or before the last day that counts, so that the engine decides "not yet due"
    like any other condition.
    """
    cond, checker = _resolve(rs, rule.id, rule.when, *where[rule.id], as_of=False)
    pending = pending_if = None
    params = list(checker.used_params)
    if rule.pending_if is not None:
        pending, pchecker = _resolve(rs, rule.id, rule.pending_if, *where[f"{rule.id}#pending_if"], as_of=True)
        pending_if = pending
        pending_params: tuple[str, ...] = tuple(pchecker.used_params)
    else:
        pending_params = ()
    opens = last = None
    if rule.due is not None:
        due_value = rs.parameter(rule.due).value
        opens, last = due_days(due_value)
        # "not yet due": as_of before the end of the last day that counts, in the zone the
        # parameter is read in (a window's own time_zone; a date in the ruleset's zone), so that
        # a rule is never decided while a filing at as_of would still fall inside the window.
        zone = rs.days_zone(rule.due)
        ends = dt.datetime.combine(decided_on(last), dt.time(), tzinfo=zoneinfo_zone(zone))
        not_yet = Cmp("<", Fact("as_of", "instant"), Const(ends, "instant"))
        pending = not_yet if pending is None else Or((not_yet, pending))
        if rule.due not in params:
            params.append(rule.due)
    applies = None
    reads = list(checker.reads)
    if rule.applies_if is not None:
        applies, achecker = _resolve(rs, rule.id, rule.applies_if, *where[f"{rule.id}#applies_if"], as_of=False)
        reads += [p for p in achecker.reads if p not in reads]
        params += [p for p in achecker.used_params if p not in params]
    return attrs.evolve(rule, condition=cond, pending_condition=pending, pending_if_condition=pending_if,
                        reads=tuple(reads),
                        params=tuple(params), pending_params=pending_params, applies_condition=applies,
                        due_last_day=last, due_opens=opens)


def check_creation_criterion(rs: Ruleset, where: dict[str, tuple[Loaded, Key]]) -> Ruleset:
    """Resolve a unit assessment's `creation_collective` conditions over a collective's facts."""
    c = rs.creation_collective
    if c is None:
        return rs
    as_collective = attrs.evolve(rs, subject="collective", derived=(), facts=SUBJECTS["collective"])
    cond, _ = _resolve(as_collective, "creation_collective", c.when, *where["@creation_collective"], as_of=False)
    parts = tuple((name, _resolve(as_collective, f"creation_collective.{name}", text,
                                  *where[f"@creation_collective.{name}"], as_of=False)[0])
                  for name, text in c.breakdown)
    return attrs.evolve(rs, creation_collective=attrs.evolve(c, condition=cond, breakdown_conditions=parts))


def _check_derivation(rs: Ruleset, d: Derivation, where: dict[str, tuple[Loaded, Key]]) -> Derivation:
    loaded, kp = where[f"derived.{d.name}"]
    subject = rs.facts or SUBJECTS[rs.subject]  # the ruleset's facts schema
    fields, lists = subject.fields, subject.lists
    spec = fields.get(d.of)
    if d.function == "age_in_full_years" and (spec is None or spec.type != "date" or "[]" in d.of):
        raise loaded.error("Q212", f"age_in_full_years needs a date fact such as leader.birth_date, got {d.of!r}",
                           kp, suggestion=_suggest(d.of, [p for p, s in fields.items()
                                                          if s.type == "date" and "[]" not in p]))
    if d.function in ("count",) and d.of not in lists:
        raise loaded.error("Q212", f"count needs a list ({', '.join(lists)}), got {d.of!r}", kp,
                           suggestion=_suggest(d.of, lists))
    if d.function in ("count", "count_distinct") and d.where is not None:
        wloaded, wkp = where[f"derived.{d.name}#where"]
        checker = _Checker(rs, wloaded, wkp, d.where)
        lst = d.of.split("[]", 1)[0]
        if lst not in lists:
            raise loaded.error("Q212", f"{d.function} with `where` needs a list, got {d.of!r}", kp,
                               suggestion=_suggest(lst, lists))
        checker.scope["item"] = lst
        try:
            tree = E.parse(d.where)
        except E.ExprSyntaxError as exc:
            raise checker.err(exc.code, f"in the `where` of derived.{d.name}: {exc.message}",
                              (exc.offset, exc.offset), exc.suggestion) from None
        cond = checker.cond(tree)
        if any(r != lst for r in checker.reads):
            raise checker.err("Q302", "a `where` can only read the item's own fields (item.<field>), "
                                      "constants and parameters", (0, 0))
        d = attrs.evolve(d, where_condition=cond)
        if d.function == "count":
            return d
    group = spec is None and "[]" in d.of and any(p.startswith(d.of + ".") for p in fields)
    if d.function == "count_distinct" and group:
        return d
    if d.function in ("count_distinct", "earliest") and (spec is None or "[]" not in d.of):
        item_paths = [p for p in fields if "[]" in p]
        raise loaded.error("Q212", f"{d.function} needs a list item field such as filings[].channel.unit, "
                                   f"got {d.of!r}", kp, suggestion=_suggest(d.of, item_paths))
    if d.function == "earliest" and spec is not None and spec.type not in ("date", "instant"):
        raise loaded.error("Q212", f"earliest needs a date or timestamp field, got {d.of!r}", kp)
    return d


def check_ruleset(rs: Ruleset, where: dict[str, tuple[Loaded, Key]]) -> tuple[Ruleset, list[RulesetError]]:
    """Resolve every rule's condition; return the ruleset and every problem found."""
    errors: list[RulesetError] = []
    derived = []
    for d in rs.derived:
        try:
            derived.append(_check_derivation(rs, d, where))
        except RulesetError as exc:
            errors.append(exc)
            derived.append(d)
    rs = attrs.evolve(rs, derived=tuple(derived))
    rules = []
    for r in rs.rules:
        try:
            rules.append(check_rule(rs, r, where))
            errors += check_finding(rs, rules[-1], where)
        except RulesetError as exc:
            errors.append(exc)
    try:
        rs = check_creation_criterion(rs, where)
    except RulesetError as exc:
        errors.append(exc)
    return attrs.evolve(rs, rules=tuple(rules)), errors
