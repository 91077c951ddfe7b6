"""The walkers over resolved trees, moved onto the one visitor, keep their meaning: the reference
evaluator agrees with the evaluator it replaced, the compiled conditions (negation normal form) agree
with the reference evaluator, and the docs page words a tree without any condition text."""

import datetime as dt
import json
import operator
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings

from qnwmh_rules import _tree as T
from qnwmh_rules import load_ruleset
from qnwmh_rules._compile import ShapeError, _Compiler, day_start
from qnwmh_rules._reference import UNKNOWN, Evaluator
from qnwmh_rules._render_docs import _Words, render_markdown
from qnwmh_rules.exceptions import FactsError

from .shipped import shipped
from .strategies import condition_trees, condition_values

TZ = "Asia/Shanghai"
_OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
        ">=": operator.ge}
_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


# ---- the oracle: the evaluator as it was written before the visitor (isinstance by isinstance) -----------

def _old_value(n, values, item):
    if isinstance(n, T.Const):
        return Fraction(n.value) if isinstance(n.value, Decimal) else n.value
    if isinstance(n, T.Fact):
        return values.get(n.path, UNKNOWN)
    if isinstance(n, T.Item):
        return item.get(n.field, UNKNOWN)
    a, b = _old_value(n.left, values, item), _old_value(n.right, values, item)
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    return _ARITH[n.op](Fraction(a), Fraction(b))


def _kleene(vals, stop):
    if any(v is stop for v in vals):
        return stop
    return UNKNOWN if any(v is UNKNOWN for v in vals) else not stop


def _old_truth(n, values, lists, item=None):
    if isinstance(n, T.And):
        return _kleene([_old_truth(x, values, lists, item) for x in n.items], False)
    if isinstance(n, T.Or):
        return _kleene([_old_truth(x, values, lists, item) for x in n.items], True)
    if isinstance(n, T.Not):
        v = _old_truth(n.item, values, lists, item)
        return v if v is UNKNOWN else not v
    if isinstance(n, T.Cmp):
        a, b = _old_value(n.left, values, item), _old_value(n.right, values, item)
        return UNKNOWN if a is UNKNOWN or b is UNKNOWN else _OPS[n.op](a, b)
    if isinstance(n, T.InList):
        a = _old_value(n.left, values, item)
        return UNKNOWN if a is UNKNOWN else any(a == c.value for c in n.values)
    if isinstance(n, T.InWindow):
        a = _old_value(n.left, values, item)
        return UNKNOWN if a is UNKNOWN else n.window.contains(a)
    assert isinstance(n, T.Quant)
    items = lists.get(n.list)
    if items is None:
        return UNKNOWN
    return _kleene([_old_truth(n.body, values, lists, it) for it in items], True if n.kind == "any" else False)


# ---- the compiled form, read the way durable_rules matches it: an absent field matches nothing ----------

_ABSENT = object()


def _lookup(doc, path):
    for key in path.split("."):
        if not isinstance(doc, dict) or key not in doc:
            return _ABSENT
        doc = doc[key]
    return doc


def _expr(v, doc):
    if not isinstance(v, dict):
        return v
    (op, args), = v.items()
    if op == "$m":
        return _lookup(doc, args)
    a, b = _expr(args["$l"], doc), _expr(args["$r"], doc)
    if a is _ABSENT or b is _ABSENT:
        return _ABSENT
    return {"$add": operator.add, "$sub": operator.sub, "$mul": operator.mul, "$div": operator.truediv}[op](a, b)


def _matches(t, doc, item=None):
    tag = t[0]
    if tag in ("and", "or"):
        return (all if tag == "and" else any)(_matches(x, doc, item) for x in t[1])
    if tag == "ex":
        return _lookup(doc, t[1]) is not _ABSENT
    if tag == "atom":
        _, ref, op, value = t
        a = _lookup(item, ref[3:]) if ref.startswith("$i.") else _lookup(doc, ref)
        b = _expr(value, doc)
        return a is not _ABSENT and b is not _ABSENT and _OPS[op](a, b)
    _, kind, lst, body = t
    items = doc.get(lst)
    if items is None:
        return False
    if kind == "any":
        return any(_matches(body, doc, i) for i in items)
    return not items or all(_matches(body, doc, i) for i in items)


def _document(values, lists):
    def enc(v):
        return day_start(v, TZ) if isinstance(v, dt.date) else v

    doc = {"_z": 0}
    for path, v in values.items():
        node = doc
        *heads, last = path.split(".")
        for h in heads:
            node = node.setdefault(h, {})
        node[last] = enc(v)
    for name, items in lists.items():
        doc[name] = [{k: enc(v) for k, v in i.items()} for i in items]
    return doc


@settings(max_examples=300, deadline=None)
@given(tree=condition_trees(), case=condition_values())
def test_the_visitor_evaluator_agrees_with_the_evaluator_it_replaced(tree, case):
    """On random typed trees and facts with gaps, Evaluator.truth gives what the old isinstance chain gave."""
    values, lists = case
    assert _old_truth(tree, values, lists) is Evaluator(values, lists, TZ).truth(tree)


@settings(max_examples=300, deadline=None)
@given(tree=condition_trees(), case=condition_values())
def test_the_compiled_condition_and_its_negation_agree_with_the_reference_evaluator(tree, case):
    """The compiled condition matches exactly when the tree is definitely true, its negation (where it
    compiles) exactly when it is definitely false: absent facts stay unknown on both sides."""
    values, lists = case
    truth = Evaluator(values, lists, TZ).truth(tree)
    doc = _document(values, lists)
    holds = _Compiler(TZ).nnf(tree, False, False)  # every generated shape compiles: a ShapeError fails the test
    assert (truth is True) == _matches(holds, doc)
    try:
        fails = _Compiler(TZ).nnf(tree, True, False)
    except ShapeError:  # a negation that would put an `or` inside all(...): the rule has no FAILS part
        return
    assert (truth is False) == _matches(fails, doc)


def _words(national, lang):
    return _Words(national.ruleset, lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
@settings(max_examples=100, deadline=None)
@given(tree=condition_trees())
def test_the_docs_words_of_any_tree_name_every_fact_it_reads(national, lang, tree):
    """A tree made without any text is worded in both languages, naming each fact and item field it reads
    (by its path in English, by its label in Chinese — the path when it has none) and each window's days."""
    from qnwmh_rules._template import date_text
    w = _words(national, lang)
    text = w.cond(tree)
    for n in T.walk(tree):
        if isinstance(n, T.Fact):
            assert (n.path if lang == "en" else w.noun(n)) in text
        if isinstance(n, T.Item):
            assert (f"{n.var}.{n.field}" if lang == "en" else w.noun(n)) in text
        if isinstance(n, T.InWindow):
            assert (n.window.start.isoformat() if lang == "en" else date_text(n.window.start, "zh")) in text


_FILES = shipped("ruleset")


def _blanked(rs):
    """``rs`` with every condition text replaced by ``?`` (the resolved trees kept)."""
    rules = tuple(attrs.evolve(r, when="?", pending_if=r.pending_if and "?", applies_if=r.applies_if and "?")
                  for r in rs.rules)
    derived = tuple(attrs.evolve(d, where=d.where and "?") for d in rs.derived)
    crit = rs.creation_collective
    if crit is not None:
        crit = attrs.evolve(crit, when="?", breakdown=tuple((name, "?") for name, _ in crit.breakdown))
    return attrs.evolve(rs, rules=rules, derived=derived, creation_collective=crit)


@pytest.mark.parametrize("path", _FILES + [Path(__file__).parent / "data" / "shapes.yaml"], ids=lambda p: p.name)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_docs_page_does_not_read_the_condition_text(path, lang):
    """With every condition text blanked (rules, pending_if, applies_if, where, the creation criterion),
    the page differs only in its code spans (the conditions as written)."""
    rs = load_ruleset(path, backend="python").ruleset

    def no_code(page):
        return re.sub(r"`[^`]*`", "`…`", page)

    assert no_code(render_markdown(rs, lang=lang)) == no_code(render_markdown(_blanked(rs), lang=lang))


def _written(n):
    """A tree as written: structure, fact paths, item names, literals and the parameters constants hold
    (types, and the values a verdict records in JSON, left out)."""
    if isinstance(n, T.Const):
        return ("const", n.param) if n.param is not None else ("const", n.value)
    if isinstance(n, T.Fact):
        return ("fact", n.path)
    if isinstance(n, T.Item):
        return ("item", n.list, n.field, n.var)
    if isinstance(n, T.InList):
        return ("in", _written(n.left), n.param, () if n.param else tuple(map(_written, n.values)))
    if isinstance(n, T.InWindow):
        return ("window", _written(n.left), n.param)
    if isinstance(n, (T.Arith, T.Cmp)):
        return (type(n).__name__, n.op, _written(n.left), _written(n.right))
    if isinstance(n, T.Quant):
        return ("quant", n.kind, n.list, _written(n.body))
    return (type(n).__name__, *map(_written, T.children(n)))


@pytest.mark.parametrize("path", _FILES, ids=lambda p: p.name)
def test_the_recorded_condition_of_a_verdict_is_the_tree_the_rule_was_decided_on(path):
    """For every shipped rule, the tree explanations read from a verdict (its condition text and the
    parameter values it records) is, as written, the checked tree the engine decided on."""
    from qnwmh_rules._check import recorded_condition

    engine = load_ruleset(path, backend="python")
    examples = Path(__file__).parent.parent / "rulesets" / "examples"
    facts = next(v for v in (json.loads(p.read_text(encoding="utf-8")) for p in sorted(examples.glob("*.json")))
                 if _parses(engine, v))
    verdict = engine.evaluate(facts)
    assert len(engine.ruleset.rules) == len(verdict.rules)
    for r in verdict.rules:
        assert _written(engine.ruleset.rule(r.id).checked) == _written(recorded_condition(r.condition,
                                                                                            dict(r.params)))


def _parses(engine, facts):
    try:
        engine.parse(facts)
    except FactsError:
        return False
    return True
