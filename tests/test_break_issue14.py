"""Break-testing issue 14 (compiled backend, deferred verdict, durable C adapter, facts fast path)."""

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qnwmh_rules._api import durable_available
from qnwmh_rules._compile import MARKER, CompiledRule

from .conftest import BACKENDS_HERE
from .strategies import collectives

if durable_available():  # elsewhere the durable tests here are skipped, with the reason (conftest)
    from qnwmh_rules._engine import DurableEngine

_GD = json.loads((Path(__file__).parents[1] / "rulesets" / "examples" / "collective-gd-0001.json").read_text("utf-8"))

# Rule names built of the characters JSON escapes (quote, backslash, controls) and of plain ones.
_NAMES = st.text(st.sampled_from(['"', "\\", "a", ".", ":", " ", "\x01", "\n", "中", "}"]), min_size=1, max_size=6)


@pytest.mark.durable
@settings(max_examples=60, deadline=None)
@given(names=st.lists(_NAMES, min_size=1, max_size=5, unique=True), a=st.integers(0, 10))
def test_the_durable_adapter_names_each_fired_rule_whatever_its_characters(names, a):
    """DurableEngine.fire answers exactly the rules that matched, also for names JSON writes with escapes
    (each name next to the name spelled as its own JSON text, which a reader of the raw text confuses)."""
    names = list(dict.fromkeys(n for name in names for n in (name, json.dumps(name, ensure_ascii=False)[1:-1])))
    rules = [CompiledRule(name, {"$gte": {"a": n}}) for n, name in enumerate(names)]
    engine = DurableEngine("escapes", rules)
    assert frozenset(r.id for n, r in enumerate(rules) if a >= n) == engine.fire(dict(MARKER, a=a))


@pytest.mark.durable
def test_a_backslash_name_is_not_read_as_the_name_with_two_backslashes():
    """Rules named r.a\\ and r.a\\\\ (JSON "r.a\\\\"): a firing of the first is not reported as the second."""
    engine = DurableEngine("backslash", [CompiledRule("r.a\\", {"$gte": {"a": 1}}),
                                         CompiledRule("r.a\\\\", {"$gte": {"a": 2}})])
    assert frozenset({"r.a\\"}) == engine.fire(dict(MARKER, a=1))


class _FailingCalls:
    """durable's C module, but ``failing`` raises; every call is recorded as (name, args)."""

    def __init__(self, real, failing):
        self.real, self.failing, self.calls = real, failing, []

    def __getattr__(self, name):
        fn = getattr(self.real, name)

        def call(*args):
            self.calls.append((name, args))
            if name == self.failing:
                raise RuntimeError(f"{name} failed")
            return fn(*args)

        return call


@pytest.mark.durable
@pytest.mark.parametrize("failing", ["assert_fact", "start_action_for_state", "complete_and_start_action",
                                     "retract_fact"])
def test_a_case_that_fails_mid_way_gives_back_every_action_it_started(monkeypatch, failing):
    """A C call failing in a case: an action still leased is abandoned (else its pools leak); the next case is right."""
    from qnwmh_rules import EvaluationError, _engine

    engine = DurableEngine("midway", [CompiledRule("r.one", {"$gte": {"a": 1}}),
                                      CompiledRule("r.two", {"$gte": {"a": 2}})])
    spy = _FailingCalls(_engine._c, failing)
    monkeypatch.setattr(_engine, "_c", spy)
    with pytest.raises(EvaluationError):
        engine.fire(dict(MARKER, a=2))
    # only a failing complete_and_start_action leaves the action start_action_for_state leased
    leased = {args[1] for name, args in spy.calls if name == "start_action_for_state"} \
        if failing == "complete_and_start_action" else set()
    assert leased == {args[1] for name, args in spy.calls if name == "abandon_action"}
    monkeypatch.setattr(_engine, "_c", spy.real)
    assert frozenset({"r.one"}) == engine.fire(dict(MARKER, a=1))


@pytest.mark.parametrize("backend", BACKENDS_HERE)
def test_attrs_sees_a_deferred_verdict_as_the_eager_one(backend):
    """attrs.fields/asdict/astuple of an engine's verdict are those of the eager verdict (no engine parts in them)."""
    import attrs

    import qnwmh_rules
    from qnwmh_rules import Verdict

    engine = qnwmh_rules.load_ruleset(qnwmh_rules.ruleset_path("2017-2018", "guangdong"), backend=backend)
    deferred = engine.evaluate(_GD, as_of="2017-07-30")
    eager = Verdict(subject_id=deferred.subject_id, outcome=deferred.outcome, rules=deferred.rules,
                    missing=deferred.missing, stamp=deferred.stamp, score=deferred.score, subject=deferred.subject)
    fresh = engine.evaluate(_GD, as_of="2017-07-30")
    assert ["subject_id", "outcome", "rules", "missing", "stamp", "score", "subject"] == \
        [f.name for f in attrs.fields(Verdict)]
    assert (attrs.asdict(eager), attrs.astuple(eager)) == (attrs.asdict(fresh), attrs.astuple(fresh))
    assert json.loads(json.dumps(attrs.asdict(engine.evaluate(_GD)), default=str)) == \
        json.loads(json.dumps(attrs.asdict(attrs.evolve(engine.evaluate(_GD))), default=str))


_BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
# every whole-number option of every benchmark script but the seed (which may be any number)
_COUNTS = [(script.name, opt) for script in sorted(_BENCHMARKS.glob("*.py"))
           for opt in re.findall(r'add_argument\("(--[a-z-]+)", type=', script.read_text("utf-8")) if opt != "--seed"]


def test_every_count_option_of_the_benchmarks_is_found():
    """The scan below sees the count options of the benchmark scripts (bench_all's four among them)."""
    assert {"--n", "--rounds", "--batch-n", "--batch-rounds"} <= {o for s, o in _COUNTS if s == "bench_all.py"}


@pytest.mark.parametrize(("script", "option"), _COUNTS)
def test_a_benchmark_refuses_a_count_it_cannot_run_with_a_usage_error(monkeypatch, capsys, script, option):
    """Each count option of each benchmark script answers -1 with a usage error (exit 2), not a traceback later."""
    import importlib.util
    import sys

    monkeypatch.syspath_prepend(str(_BENCHMARKS))
    spec = importlib.util.spec_from_file_location(f"_bench_{script[:-3]}", _BENCHMARKS / script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, "argv", [script, option, "-1"])
    with pytest.raises(SystemExit) as exit_:
        module.main()
    assert (2, True) == (exit_.value.code, f"argument {option}" in capsys.readouterr().err)


def _scribble(facts):
    """Overwrite, in place, every value a ``Facts`` holds (scalars, list items, the canonical JSON)."""
    for path in list(facts.values):
        facts.values[path] = 7
    for items in facts.lists.values():
        for item in items:
            item.clear()

    def wipe(doc):
        for key, value in list(doc.items()):
            if isinstance(value, dict):
                wipe(value)
            elif isinstance(value, list):
                value.clear()
            else:
                doc[key] = 7

    wipe(facts.canonical)


@pytest.mark.parametrize("backend", BACKENDS_HERE)
@settings(max_examples=25, deadline=None)
@given(doc=collectives())
def test_a_verdict_keeps_the_facts_it_was_given_when_the_caller_changes_them_later(backend, doc):
    """Facts changed in place after evaluate do not change the verdict (values, stamp hash, JSON) read afterwards."""
    import qnwmh_rules
    from qnwmh_rules import FactsError, parse_facts

    engine = _ENGINES.setdefault(backend, qnwmh_rules.load_ruleset(term="2017-2018", backend=backend))
    try:
        facts = parse_facts(doc, subject=engine.ruleset.facts)
    except FactsError:
        return
    expected = engine.evaluate(doc).to_dict()
    verdict = engine.evaluate(facts)
    _scribble(facts)
    assert expected == verdict.to_dict()


_ENGINES: dict = {}
