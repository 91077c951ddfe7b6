"""The compiled python backend: compiled == reference == durable, and no ruleset text is ever run."""

import ast
import builtins
import contextlib
import functools
import importlib
import json
import re
import types
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules import FactsError, RulesetError, _api, _derive, _pycompile, _reference, _tree

from .conftest import ROOT
from .shipped import shipped
from .strategies import (
    COND_PARAMS,
    as_of_days,
    collectives,
    condition_texts,
    member_counts,
    nested_number_conditions,
    tree_values,
    typed_trees,
    units,
    where_texts,
)
from .test_break_issue10 import _BASE, _exact_truth

SHIPPED = shipped("ruleset", pattern="*/*.yaml")
RULESETS = [*SHIPPED, Path(__file__).parent / "data" / "shapes.yaml"]
IDS = [f"{p.parent.name}/{p.name}" for p in RULESETS]


@functools.cache
def _engines(path):
    """(compiled python, reference python) engines of a ruleset file, built on first use."""
    compiled = qnwmh_rules.load_ruleset(path, backend="python")
    reference = qnwmh_rules.load_ruleset(path, backend="python")
    reference.use_conditions(_pycompile.reference_ruleset(reference.ruleset))
    return compiled, reference


@functools.cache
def _durable(path):
    return qnwmh_rules.load_ruleset(path, backend="durable")


def _verdict(engine, facts, as_of):
    """The verdict as a dict without the engine's name, or the FactsError's (field, message)."""
    try:
        v = engine.evaluate(facts, as_of=as_of).to_dict()
    except FactsError as exc:
        return ("FactsError", exc.field, exc.message)
    v["stamp"].pop("engine")
    return v


def _case(data, path):
    engine = _engines(path)[0]
    facts = data.draw(units() if engine.ruleset.subject == "unit" else collectives(), label="facts")
    return facts, data.draw(st.none() | as_of_days, label="as_of")


def test_the_python_backend_runs_compiled_closures():
    """backend="python" evaluates with the compiled closures, not the reference tree walk."""
    compiled, reference = _engines(RULESETS[0])
    assert ("compiled", "reference") == (compiled._conditions.kind, reference._conditions.kind)


@pytest.mark.parametrize("path", RULESETS, ids=IDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_agrees_with_reference_on_shipped_rulesets(path, data):
    """On random facts and as_of, the compiled closures give the reference evaluator's whole verdict:
    every rule outcome, every missing path, every value read and every item a count counted."""
    facts, as_of = _case(data, path)
    compiled, reference = _engines(path)
    assert _verdict(reference, facts, as_of) == _verdict(compiled, facts, as_of)


@pytest.mark.parametrize("path", RULESETS, ids=IDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_one_pass_results_are_decide_then_rule_outcome(path, data):
    """The python backend's one pass over the rules (shared results for passed and not applicable) gives,
    rule by rule, what Engine.decide read through _rule_outcome gives, with compiled and reference conditions;
    the verdict's outcome is verdict_outcome of its rules, its missing facts those its rules name."""
    facts, as_of = _case(data, path)
    for engine in _engines(path):
        try:
            parsed = engine.parse(facts)
            moment = _api.as_of_moment(as_of, engine.ruleset.time_zone)
            _api._check_as_of(parsed, moment, engine.ruleset.facts or engine.ruleset.subject)
            derived, _ = _api.derive_counted(engine.ruleset, parsed, engine._param_values, engine._where)
        except FactsError:
            continue
        decided = engine.decide(parsed, derived, moment)
        expected = tuple(engine._rule_outcome(t, decided[t.rule.id], parsed, derived, moment)
                         for t in engine._templates)
        assert expected == engine._python_results(parsed, derived, moment)
        verdict = engine.evaluate(facts, as_of=as_of)  # its outcome, decided from the results in one loop
        assert (_api.verdict_outcome(verdict.rules), tuple(sorted({p for r in verdict.rules for p in r.missing}))) \
            == (verdict.outcome, verdict.missing)


def _derived_or_error(derive, *args):
    try:
        return derive(*args)
    except (FactsError, ValueError) as exc:
        return (type(exc).__name__, str(exc))


@pytest.mark.parametrize("path", RULESETS, ids=IDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_compiled_derivations_are_derive_counted(path, data):
    """Each engine's derivations, built once (compile_derive), give derive_counted's values, counted items
    and errors, with its own `where` (generated code, or the reference walk after use_conditions) and with
    none (the reference evaluator then counts)."""
    facts, _ = _case(data, path)
    for engine in _engines(path):
        try:
            parsed = engine.parse(facts)
        except FactsError:
            continue
        rs, params = engine.ruleset, engine._param_values
        assert _derived_or_error(_api.derive_counted, rs, parsed, params, engine._where) == \
            _derived_or_error(engine._derive, parsed)
        assert _derived_or_error(_api.derive_counted, rs, parsed, None, None) == \
            _derived_or_error(_derive.compile_derive(rs), parsed)


def test_ages_by_arithmetic_are_age_in_full_years():
    """The compiled age step gives age_in_full_years for every birthday of four years (29 February
    included) on both ways of completing a year, and refuses a birth after the day ages are counted on."""
    import datetime as dt

    from qnwmh_rules._model import Derivation

    at = dt.date(2017, 9, 30)
    for completes in ("on_birthday", "day_after_birthday"):
        step = _derive._step(Derivation("age", "age_in_full_years", "leader.birth_date", "at", "how"),
                             {"at": at, "how": completes}, None)
        births = [dt.date(1976, 1, 1) + dt.timedelta(days=n) for n in range(4 * 366)] + [at]
        got, want = [], []
        for birth in births:
            out: dict = {}
            step(_facts({"leader.birth_date": birth}), out, {})
            got.append(out["derived.age"])
            want.append(_derive.age_in_full_years(birth, at, completes))
        assert want == got
        with pytest.raises(FactsError):
            step(_facts({"leader.birth_date": at + dt.timedelta(days=1)}), {}, {})


def _facts(values):
    from qnwmh_rules.facts import Facts

    return Facts(values=values, lists={}, missing=frozenset())


@pytest.mark.durable
@pytest.mark.parametrize("path", RULESETS, ids=IDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_durable_agrees_with_compiled_on_shipped_rulesets(path, data):
    """On random facts and as_of, durable_rules (counting `where` itself) gives the compiled python
    backend's whole verdict (so, by the test above, the reference evaluator's too)."""
    facts, as_of = _case(data, path)
    assert _verdict(_engines(path)[0], facts, as_of) == _verdict(_durable(path), facts, as_of)


HEAD = f"""\
ruleset: t
term: 2017-2018
version: 1.0.0
title: {{zh: 测试, en: test}}
sources:
  - {{id: N, title: {{zh: 通知, en: notice}}}}
parameters:
{COND_PARAMS}"""


def _ruleset_text(when, where, distinct):
    function, of = ("count_distinct", "filings[].channel") if distinct else ("count", "filings")
    return (HEAD + f"derived:\n  picked:\n    function: {function}\n    of: {of}\n    where: {json.dumps(where)}\n"
            "rules:\n  - id: basic.x\n    title: {zh: 甲, en: a}\n    severity: required\n"
            f"    citation: {{source: N, clause: '1', text: t}}\n    when: {json.dumps(when, ensure_ascii=False)}\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(when=condition_texts(counts=("picked",)), where=where_texts(), distinct=st.booleans(),
       facts=st.lists(collectives(), min_size=1, max_size=4))
def test_random_conditions_agree_on_every_backend(tmp_path_factory, when, where, distinct, facts):
    """A random condition (reading a count with a random `where`) gives the same verdict compiled, by
    the reference walk and, where durable imports and accepts the shape, by durable_rules."""
    path = tmp_path_factory.mktemp("pyc") / "r.yaml"
    path.write_text(_ruleset_text(when, where, distinct), encoding="utf-8")
    try:
        compiled = qnwmh_rules.load_ruleset(path, backend="python")
    except RulesetError as exc:  # shapes durable mis-evaluates are refused on either backend
        assert exc.code in ("Q303", "Q304", "Q306"), (exc, when)
        return
    reference = qnwmh_rules.load_ruleset(path, backend="python")
    reference.use_conditions(_pycompile.reference_ruleset(reference.ruleset))
    durable = qnwmh_rules.load_ruleset(path, backend="durable") if _api.durable_available() else None
    for f in facts:
        expected = _verdict(reference, f, None)
        assert expected == _verdict(compiled, f, None), (when, where, f)
        if durable is not None:
            assert expected == _verdict(durable, f, None), (when, where, f)


@settings(max_examples=80, deadline=None)
@given(cond=nested_number_conditions(), counts=st.lists(member_counts(), min_size=1, max_size=4))
def test_compiled_arithmetic_is_exact(tmp_path_factory, cond, counts):
    """Nested arithmetic (parentheses, negative constants, cancelling terms, division by constants and
    by a parameter, decimals of 6 places): the compiled closures, scaled to whole numbers, give the
    exact answer (absent facts: undetermined), as the reference walk in Fractions does."""
    when, k = cond
    path = tmp_path_factory.mktemp("arith") / "r.yaml"
    path.write_text(_BASE.replace("  min: {value: 6}", f"  min: {{value: 6}}\n  k: {{value: {k}}}")
                    .replace("when: members.total >= params.min", f"when: '{when}'"), encoding="utf-8")
    try:
        compiled = qnwmh_rules.load_ruleset(path, backend="python")
    except RulesetError as exc:  # beyond what the engine of record computes exactly: refused on both
        assert exc.code in ("Q301", "Q305"), exc
        return
    reference = qnwmh_rules.load_ruleset(path, backend="python")
    reference.use_conditions(_pycompile.reference_ruleset(reference.ruleset))
    for c in counts:
        want = {None: "undetermined", True: "passed", False: "failed"}[_exact_truth(when, c, k)]
        got = [e.evaluate({"id": "x", "members": c}).rule("basic.x").outcome for e in (compiled, reference)]
        assert [want, want] == got, (when, k, c)


def _gd_example():
    return json.loads((ROOT / "rulesets" / "examples" / "collective-gd-0001.json").read_text(encoding="utf-8"))


def test_a_fault_in_the_compiled_count_is_caught():
    """The differential check sees a count whose `where` the compiled python backend decides wrongly."""
    path = ROOT / "rulesets" / "2017-2018" / "national.yaml"
    compiled, reference = _engines(path)
    broken = qnwmh_rules.load_ruleset(path, backend="python")
    wrong = _pycompile.compile_ruleset(broken.ruleset)
    broken.use_conditions(_pycompile.CompiledConditions(wrong.rules, {n: lambda item: False for n in wrong.where}))
    assert _verdict(reference, _gd_example(), None) == _verdict(compiled, _gd_example(), None)
    assert _verdict(reference, _gd_example(), None) != _verdict(broken, _gd_example(), None)


@pytest.mark.durable
def test_a_fault_in_the_durable_count_is_caught(monkeypatch, tmp_path):
    """The differential check sees a count whose `where` durable_rules decides wrongly (its compiled
    HOLDS and FAILS parts swapped): durable counts with its own code, not the python backend's."""
    from qnwmh_rules import _compile

    path = tmp_path / "national.yaml"  # another file: not the engine cached for the shipped one
    path.write_text((ROOT / "rulesets" / "2017-2018" / "national.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    reference = _engines(ROOT / "rulesets" / "2017-2018" / "national.yaml")[1]
    sound = qnwmh_rules.load_ruleset(path, backend="durable")
    real = _compile.compile_where

    def swapped(rs):
        rules, refused = real(rs)
        flip = {_compile.Part.HOLDS: _compile.Part.FAILS, _compile.Part.FAILS: _compile.Part.HOLDS}
        return tuple(_compile.CompiledRule(r.rule, r.condition, flip[r.part]) for r in rules), refused

    monkeypatch.setattr(_compile, "compile_where", swapped)
    broken = qnwmh_rules.load_ruleset(path, backend="durable")
    expected = _verdict(reference, _gd_example(), None)["rules"]  # the stamp names the other file
    assert (True, False) == (expected == _verdict(sound, _gd_example(), None)["rules"],
                             expected == _verdict(broken, _gd_example(), None)["rules"])


# ---- nothing in a ruleset is ever run as code ---------------------------------------------------
PAYLOADS = ["__import__('os').system('touch PWNED')", '"); __import__("builtins").PWNED = 1 #',
            "{0.__class__.__mro__}", "lambda: PWNED", "exec('PWNED=1')", "${PWNED}", "'+PWNED+'",
            'x\' + "PWNED" + \'x']
# also generated code's own names, as text to compare (a name with this shape is a valid ruleset name too)
STRING_PAYLOADS = [*PAYLOADS, "f_0", "k_0", "item_1)) or (PWNED", "values_0"]


def _injection_ruleset(payload):
    """A ruleset that carries ``payload`` in every text field that reaches the compiler: string
    literals, list parameters, `in` lists, a count's `where`, titles, citations and notes."""
    p = json.dumps(payload, ensure_ascii=False)
    where = f"item.channel.unit == {p} or item.channel.unit in params.units"
    when = (f"reporting_line.unit == params.label or reporting_line.unit == {p} "
            "or any(f in filings, f.channel.unit in params.units) or derived.picked >= 1")
    return (f"ruleset: t\nterm: 2017-2018\nversion: 1.0.0\ntitle: {{zh: {p}, en: {p}}}\n"
            f"sources:\n  - {{id: N, title: {{zh: {p}, en: {p}}}}}\n"
            f"parameters:\n  units: {{value: [{p}, 南航集团团委]}}\n  label: {{value: {p}}}\n"
            "  win: {value: {start: 2015-10-01, end: 2017-09-30, start_inclusive: true, end_inclusive: false}}\n"
            "derived:\n  picked:\n    function: count\n    of: filings\n"
            f"    where: {json.dumps(where, ensure_ascii=False)}\n"
            "rules:\n  - id: basic.x\n    title: {zh: 甲, en: a}\n    severity: required\n"
            f"    citation: {{source: N, clause: '1', text: {p}}}\n"
            f"    interpretation: {{zh: {p}, en: {p}}}\n"
            f"    when: {json.dumps(when, ensure_ascii=False)}\n")


NAME_FIELDS = [  # where a name (not a string literal) goes: each payload there is refused, never run
    ("parameter name", "parameters:\n", "parameters:\n  {p}: {{value: 1}}\n"),
    ("derived name", "derived:\n  picked:", "derived:\n  {p}:"),
    ("rule id", "  - id: basic.x", "  - id: {p}"),
    ("fact path", "reporting_line.unit == params.label", "{p} == params.label"),
    ("item field", "f.channel.unit in params.units", "f.{p} in params.units"),
    ("list name", "any(f in filings,", "any(f in {p},"),
    ("time zone", "end_inclusive: false}}", "end_inclusive: false, time_zone: {p}}}"),
]


class _CodeRun(BaseException):
    """Raised by eval/exec/compile while a ruleset is loaded and evaluated (not an Exception, so no
    handler in the package can swallow it)."""


GENERATED: list = []  # the syntax trees the package compiled while _no_code was active


@contextlib.contextmanager
def _no_code():
    """eval and exec/compile of anything but a syntax tree built by _astgen raise while the block runs
    (restored before any assertion is reported); each tree compiled is kept in GENERATED."""
    saved = {name: getattr(builtins, name) for name in ("eval", "exec", "compile")}

    def refused(*args, **kwargs):
        raise _CodeRun(repr(args[:1])[:200])

    def compile_tree(source, filename, mode, *args, **kwargs):
        if not isinstance(source, ast.Module) or filename != "<qnwmh generated>":
            refused(source)
        GENERATED.append(source)
        return saved["compile"](source, filename, mode, *args, **kwargs)

    def exec_generated(code, scope=None, *args, **kwargs):
        if not isinstance(code, types.CodeType) or code.co_filename != "<qnwmh generated>" \
                or scope.get("__builtins__") != {}:
            refused(code)
        return saved["exec"](code, scope, *args, **kwargs)

    GENERATED.clear()
    importlib.import_module("tzdata")  # imported beforehand (its module code runs through exec)
    try:
        builtins.eval, builtins.exec, builtins.compile = refused, exec_generated, compile_tree
        yield
    finally:
        for name, fn in saved.items():
            setattr(builtins, name, fn)


def _texts_in(tree):
    """Every str held anywhere in a syntax tree (names, attributes, arguments, constants)."""
    return {v for node in ast.walk(tree) for v in vars(node).values() if isinstance(v, str)}


@pytest.fixture
def no_code(monkeypatch, tmp_path):
    """A scratch working folder; afterwards no file appeared in it and no PWNED global was set."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    assert (False, []) == (hasattr(builtins, "PWNED"), list(tmp_path.iterdir()))


def _backends():
    return ["python", "durable"] if _api.durable_available() else ["python"]


@pytest.mark.parametrize("payload", STRING_PAYLOADS)
def test_code_in_ruleset_strings_is_data(no_code, tmp_path_factory, payload):
    """A payload in every string a condition compares, lists or counts is compared as text: it matches
    the same text in the facts, and nothing runs (eval refuses; compile and exec take only the syntax trees
    _astgen built, none holding the payload or any string of the ruleset; no file, no global)."""
    path = tmp_path_factory.mktemp("inj") / "r.yaml"
    path.write_text(_injection_ruleset(payload), encoding="utf-8")
    plain = {"id": "H-1", "reporting_line": {"kind": "industry", "unit": "x"}, "filings": []}
    filing = {"channel": {"kind": "industry", "unit": payload}, "submitted_at": "2016-01-01T00:00:00+08:00",
              "review": {"status": "pending"}}
    for backend in _backends():
        with _no_code():
            engine = qnwmh_rules.load_ruleset(path, backend=backend)
            before = engine.evaluate(plain).rules[0].outcome
            after = engine.evaluate({**plain, "filings": [filing]}).rules[0]
        texts = set().union(*map(_texts_in, GENERATED))
        assert ("failed", "passed", [("derived.picked", 1)]) == (
            before, after.outcome, [(k, v) for k, v in after.values if k == "derived.picked"])
        assert backend == "durable" or GENERATED  # the python backend decides with generated code
        # a payload shaped like a generated name (f_0) may meet one; no other ruleset text is in a tree
        assert set() == {t for t in texts if t in (payload, "南航集团团委", "derived.picked", "filings")
                         and not re.fullmatch(r"[a-z][a-z0-9]*_[0-9]+", t)}


@pytest.mark.parametrize("field,old,new", NAME_FIELDS, ids=[f[0] for f in NAME_FIELDS])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_code_in_ruleset_names_is_refused(no_code, tmp_path_factory, field, old, new, payload):
    """A payload where a name, path or zone goes is refused with a coded RulesetError, and nothing runs."""
    text = _injection_ruleset("x")
    assert old in text
    path = tmp_path_factory.mktemp("inj") / "r.yaml"
    path.write_text(text.replace(old, new.format(p=json.dumps(payload, ensure_ascii=False)), 1), encoding="utf-8")
    for backend in _backends():
        with pytest.raises(RulesetError) as caught, _no_code():
            qnwmh_rules.load_ruleset(path, backend=backend)
        assert caught.value.code.startswith("Q")


@settings(max_examples=400, deadline=None)
@given(tree=typed_trees(), case=tree_values())
def test_compiled_closures_agree_with_the_reference_on_any_resolved_tree(tree, case):
    """On random well-typed resolved trees (nested quantifiers, products of facts, windows in other
    zones: also shapes no engine is given) and random values with gaps, the compiled closure gives
    the reference walk's True, False or unknown; so does each item predicate on each list item."""
    values, lists, zone = case
    want = _reference.evaluate_condition(tree, values, lists, zone)
    got = _pycompile.compile_condition(tree, zone)(values, lists, None)
    assert (None if want is _reference.UNKNOWN else want) == got
    body = tree.body if isinstance(tree, _tree.Quant) else None
    for item in lists.get("l", ()) if body is not None else ():
        want = _reference.evaluate_item_condition(body, dict(item), zone)
        assert (None if want is _reference.UNKNOWN else want) == _pycompile.compile_item_condition(body, zone)(item)


def _deepest_trees():
    """Conditions at the parser's limits: 65 comparisons under one `and`, 32 alternating and/or levels,
    and 32 quantifiers nested in each other (more loops than CPython nests in one function)."""
    fact = _tree.Fact("members.total", "number")
    item = _tree.Cmp("==", _tree.Item("l", "x", "number"), _tree.Const(1, "number"))

    def leaf(k):
        return _tree.Cmp(">=", fact, _tree.Const(k, "number"))

    deep = leaf(0)
    for k in range(32):
        deep = (_tree.And if k % 2 else _tree.Or)((deep, leaf(k)))
    quant = _tree.Quant("all", "l", item)
    for k in range(31):
        quant = _tree.Quant("any" if k % 2 else "all", "l", _tree.And((quant, item)))
    return [_tree.And(tuple(leaf(k) for k in range(65))), deep, quant]


@pytest.mark.parametrize("tree", _deepest_trees(), ids=["wide", "deep", "nested-quantifiers"])
@pytest.mark.parametrize("values,lists", [({}, {}), ({"members.total": 3}, {"l": ({"x": 1},)}),
                                          ({"members.total": 70}, {"l": ({"x": 2},)}), ({}, {"l": ({},)})])
def test_the_largest_conditions_compile_and_agree(tree, values, lists):
    """Conditions as wide and as deep as the parser allows compile (nested loops beyond CPython's limit go
    on in nested functions) and give the reference walk's answer."""
    want = _reference.evaluate_condition(tree, values, lists, "Asia/Shanghai")
    got = _pycompile.compile_condition(tree, "Asia/Shanghai")(values, lists, None)
    assert (None if want is _reference.UNKNOWN else want) == got
