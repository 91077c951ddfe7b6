"""A verdict built on first access (rules, stamp, JSON from per-rule fragments) is the eager verdict."""

import json
import pickle
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules.exceptions import FactsError
from qnwmh_rules.verdict import RuleShape, Verdict

from .conftest import BACKENDS_HERE
from .strategies import as_of_days, collectives, known_by, units

RULESETS = Path(__file__).resolve().parent.parent / "rulesets"
SHIPPED = sorted(p.relative_to(RULESETS).as_posix() for p in RULESETS.glob("[0-9]*/*.yaml")
                 if not p.name.endswith(".cases.yaml"))
_ENGINES: dict[tuple[str, str], qnwmh_rules.Engine] = {}


def _engine(name, backend):
    key = (name, backend)
    if key not in _ENGINES:
        _ENGINES[key] = qnwmh_rules.load_ruleset(RULESETS / name, backend=backend)
    return _ENGINES[key]


def _eager(v):
    """The same verdict built the eager way: every rule outcome and the stamp given to the constructor."""
    return Verdict(subject_id=v.subject_id, outcome=v.outcome, rules=tuple(v.rules), missing=v.missing,
                   stamp=v.stamp, score=v.score, subject=v.subject)


def _hash(v):
    """A verdict always hashes (its rules' values may hold lists: the hash does not read them)."""
    return hash(v)


def _evaluate(engine, facts, day):
    try:
        return engine.evaluate(facts, as_of=day)
    except FactsError:
        return None


@pytest.mark.parametrize("backend", BACKENDS_HERE)
@pytest.mark.parametrize("name", SHIPPED)
@given(data=st.data(), day=st.one_of(st.none(), as_of_days))
def test_a_deferred_verdict_serialises_compares_and_pickles_as_the_eager_one(name, backend, data, day):
    """Lazy and eager verdicts of random facts on every shipped ruleset: same JSON bytes at every indent,
    to_dict, ==, hash and pickle."""
    engine = _engine(name, backend)
    facts = data.draw(units() if engine.ruleset.subject == "unit" else collectives())
    if day is not None:
        facts = known_by(facts, day)
    reference = _evaluate(engine, facts, day)
    if reference is None:
        assert _evaluate(engine, facts, day) is None  # refused facts are refused every time
        return
    eager = _eager(reference)
    for indent in (2, None, 0, 4, "\t"):
        lazy = engine.evaluate(facts, as_of=day)  # untouched: its JSON comes from the fragments
        assert eager.to_json(indent=indent) == lazy.to_json(indent=indent)
    lazy = engine.evaluate(facts, as_of=day)
    assert eager.to_dict() == lazy.to_dict()
    assert eager == engine.evaluate(facts, as_of=day)
    assert engine.evaluate(facts, as_of=day) == eager
    assert _hash(eager) == _hash(engine.evaluate(facts, as_of=day))
    read_back = Verdict.from_dict(engine.evaluate(facts, as_of=day).to_dict())
    assert (_hash(eager), 1) == (_hash(read_back), len({eager, read_back, engine.evaluate(facts, as_of=day)}))
    assert [hash(r) for r in eager.rules] == [hash(r) for r in read_back.rules]
    assert repr(eager) == repr(engine.evaluate(facts, as_of=day))
    lazy = engine.evaluate(facts, as_of=day)
    assert pickle.dumps(eager) == pickle.dumps(lazy)
    assert eager == pickle.loads(pickle.dumps(engine.evaluate(facts, as_of=day)))
    assert eager.to_json() == Verdict.from_dict(lazy.to_dict()).to_json()


def test_reading_the_outcome_and_the_json_builds_no_rule_outcome(national, monkeypatch):
    """outcome, missing and to_json() of a deferred verdict never build a RuleOutcome."""
    facts = (RULESETS / "examples" / "collective-gd-0001.json").read_text(encoding="utf-8")
    expected = _eager(national.evaluate(facts)).to_json()

    def refuse(self, result, shown):
        raise AssertionError("a RuleOutcome was built")

    monkeypatch.setattr(RuleShape, "outcome", refuse)
    v = national.evaluate(facts)
    assert ("eligible", (), expected) == (v.outcome, v.missing, v.to_json())


def test_a_deferred_verdict_evolves_and_stays_frozen(national):
    """attrs.evolve reads the deferred fields; assigning to a field is refused as on any frozen verdict."""
    facts = (RULESETS / "examples" / "collective-gd-0001.json").read_text(encoding="utf-8")
    v = national.evaluate(facts)
    changed = attrs.evolve(v, outcome="undetermined")
    assert (national.evaluate(facts).rules, "undetermined") == (changed.rules, changed.outcome)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        v.rules = ()


@pytest.mark.parametrize("backend", BACKENDS_HERE)
@given(facts=collectives())
def test_rule_results_are_the_ids_and_outcomes_of_the_rules(backend, facts):
    """rule_results() of a deferred verdict == (id, outcome) of its rules == those of the eager verdict."""
    engine = _engine("2017-2018/national.yaml", backend)
    v = _evaluate(engine, facts, None)
    if v is None:
        assert _evaluate(engine, facts, None) is None
        return
    expected = tuple((r.id, r.outcome) for r in engine.evaluate(facts).rules)
    assert (expected, expected) == (v.rule_results(), _eager(v).rule_results())


@pytest.mark.parametrize("backend", BACKENDS_HERE)
@given(facts=collectives(), line=st.integers(1, 10**6))
def test_a_batch_line_is_the_canonical_json_of_line_id_and_verdict(backend, facts, line):
    """The batch output line, written from the verdict's fragments, is json.dumps of {line, id, verdict}."""
    from qnwmh_rules._batch import Record, evaluate_record

    engine = _engine("2017-2018/national.yaml", backend)
    got = evaluate_record(engine, Record(line, json.dumps(facts, ensure_ascii=False)), None)
    v = _evaluate(engine, facts, None)
    if v is None:
        assert got.outcome is None  # an error line
        return
    doc = {"line": line, "id": v.subject_id, "verdict": _eager(v).to_dict()}
    failed = tuple(r.id for r in v.rules if r.outcome == "failed")
    assert (json.dumps(doc, ensure_ascii=False, sort_keys=True), failed) == (got.json, got.failed_rules)


@pytest.mark.parametrize("backend", BACKENDS_HERE)
def test_a_deferred_verdict_does_not_keep_its_engine_alive(backend):
    """What a deferred verdict builds later holds the ruleset and the case, not the engine (nor durable's Host)."""
    import gc
    import weakref

    facts = (RULESETS / "examples" / "collective-gd-0001.json").read_text(encoding="utf-8")
    engine = qnwmh_rules.load_ruleset(term="2017-2018", backend=backend)
    expected = _eager(engine.evaluate(facts)).to_json()
    v = engine.evaluate(facts)
    ref = weakref.ref(engine)
    del engine
    gc.collect()
    assert (None, expected) == (ref(), v.to_json())


@given(st.builds(qnwmh_rules.verdict.Stamp, ruleset_id=st.text(), term=st.text(), version=st.text(),
                 region=st.none() | st.text(), layers=st.lists(st.text()), ruleset_sha256=st.text(),
                 library_version=st.text(), engine=st.text(), as_of=st.none() | st.text(), facts_sha256=st.text()))
def test_a_stamps_dict_holds_every_field_of_the_stamp(stamp):
    """Stamp.to_dict (written field by field) is attrs' dict of every field, layers as a list."""
    assert {**attrs.asdict(stamp), "layers": list(stamp.layers)} == stamp.to_dict()
