"""The durable_rules adapter guards the measured hazards of ARCHITECTURE.md."""

import copy
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import qnwmh_rules
from qnwmh_rules import EvaluationError
from qnwmh_rules._compile import CompiledRule
from qnwmh_rules._engine import DurableEngine


def _case(total):
    return {"members": {"total": total}, "q": 1}


def _engine(name="t"):
    return DurableEngine(name, [CompiledRule("r.big", {"$gte": {"members.total": 10}}),
                                CompiledRule("r.small", {"$lt": {"members.total": 10}})])


def test_no_background_threads_are_started():
    """Loading engines starts no dispatcher or timer threads (hazard 2)."""
    before = threading.active_count()
    engines = [_engine(f"t{i}") for i in range(5)]
    for e in engines:
        e.fire(_case(12))
    assert before == threading.active_count()


def test_facts_do_not_leak_between_cases():
    """A case never sees the facts of the case before it (hazard 3)."""
    e = _engine()
    assert frozenset({"r.big"}) == e.fire(_case(12))
    assert frozenset({"r.small"}) == e.fire(_case(3))
    assert frozenset() == e.fire({"q": 1})


def test_thousands_of_cases_do_not_exhaust_states():
    """States are deleted after each case, so the fixed state table never fills (hazard 3)."""
    e = _engine()
    for i in range(3000):
        assert ({"r.big"} if i % 20 >= 10 else {"r.small"}) == e.fire(_case(i % 20))


def test_two_engines_with_the_same_name_are_independent():
    """Each engine has its own Host, so a name registered twice is not a collision (hazard 1)."""
    a, b = _engine("same"), _engine("same")
    got = [a.fire(_case(12)), b.fire(_case(3)), a.fire(_case(3)), b.fire(_case(12))]
    assert [frozenset({"r.big"}), frozenset({"r.small"}), frozenset({"r.small"}), frozenset({"r.big"})] == got


def test_duplicate_activations_are_counted_once():
    """A rule whose `$or` has two true branches is reported once (hazard 6)."""
    e = DurableEngine("dup", [CompiledRule("r.or", {"$or": [{"$gte": {"a": 1}}, {"$gte": {"b": 1}}]})])
    assert frozenset({"r.or"}) == e.fire({"a": 1, "b": 1, "q": 1})


def test_a_document_no_rule_matches_is_a_normal_answer():
    """Without a matching rule the answer is the empty set, not an exception (hazard 5)."""
    e = DurableEngine("none", [CompiledRule("r.x", {"$gte": {"a": 100}})])
    assert frozenset() == e.fire({"a": 1, "q": 1})


def test_a_document_without_the_marker_is_refused_safely():
    """If even the sentinel cannot fire, the adapter refuses instead of deleting an unfired state."""
    e = DurableEngine("nomark", [CompiledRule("r.x", {"$gte": {"a": 1}})])
    with pytest.raises(EvaluationError, match="sentinel"):
        e.fire({"a": 1})


def test_an_error_inside_an_action_surfaces_as_evaluation_error(monkeypatch):
    """An exception raised inside an action is not swallowed by durable_rules (hazard 4)."""
    e = _engine("err")

    def broken(self, rule_id):
        raise RuntimeError("boom in action")

    with monkeypatch.context() as m:
        m.setattr(DurableEngine, "_record", broken)
        with pytest.raises(EvaluationError, match="boom in action"):
            e.fire(_case(12))
    assert frozenset({"r.big"}) == e.fire(_case(12))  # the state was cleared: the next case is clean


def test_registering_does_not_mutate_the_compiled_rules():
    """durable deletes `run` keys from what it is given; the compiled rules stay intact (hazard 9)."""
    rules = [CompiledRule("r.big", {"$gte": {"members.total": 10}})]
    snapshot = copy.deepcopy([r.condition for r in rules])
    DurableEngine("mut", rules)
    assert snapshot == [r.condition for r in rules]


def test_concurrent_threads_get_their_own_verdicts(national, good_facts):
    """Many threads evaluating different collectives at once get exactly the single-threaded verdicts."""
    variants = []
    for total in range(1, 60):
        f = copy.deepcopy(good_facts)
        f["id"] = f"T-{total}"
        f["members"] = {"total": total, "aged_35_or_under": total // 3, "chinese_nationals": total}
        variants.append(f)
    expected = [national.evaluate(f).to_json() for f in variants]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            got = list(pool.map(lambda f: national.evaluate(f).to_json(), variants))
            assert expected == got


def test_backends_are_named_in_the_stamp(good_facts):
    """The verdict stamp records which backend decided it."""
    assert "durable" == qnwmh_rules.evaluate(good_facts).stamp.engine
    assert "python" == qnwmh_rules.evaluate(good_facts, backend="python").stamp.engine


def test_unknown_backend_is_refused():
    """Only the durable and python backends exist."""
    with pytest.raises(ValueError, match="backend"):
        qnwmh_rules.load_ruleset(term="2017-2018", backend="drools")


def test_after_a_failed_case_the_next_case_starts_clean():
    """When a case cannot be cleared, the adapter starts a fresh host: nothing leaks into the next case."""
    e = _engine("recover")
    with pytest.raises(EvaluationError):
        e.fire({"members": {"total": 12}})  # no marker: the sentinel cannot fire
    assert frozenset({"r.small"}) == e.fire(_case(3))
