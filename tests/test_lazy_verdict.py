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
from .strategies import as_of_days, collectives, known_by, shown_values, units

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


def _text_or_error(write, *args, **kwargs):
    """What ``write`` gives: its text, or the type of what it raised."""
    try:
        return write(*args, **kwargs)
    except (TypeError, ValueError, RecursionError) as exc:
        return type(exc)


@given(value=shown_values, indent=st.integers(0, 8), depth=st.integers(0, 5))
def test_indented_values_are_what_json_dumps_writes(value, indent, depth):
    """The verdict's writer of indented values == json.dumps(sort_keys, ensure_ascii=False, indent) nested at
    any line prefix, for any JSON value (or the same error)."""
    from qnwmh_rules.verdict import _indented

    nl = "\n" + " " * (indent * depth)
    expected = _text_or_error(json.dumps, value, ensure_ascii=False, sort_keys=True, indent=indent)
    if isinstance(expected, str):
        expected = expected.replace("\n", nl)
    assert expected == _text_or_error(_indented, value, " " * indent, nl)


@given(value=shown_values)
def test_one_line_values_are_what_json_dumps_writes(value):
    """The verdict's one-line writer of values (to_json(indent=None): batch lines, the audit log), a C encoder
    built once, == json.dumps(sort_keys, ensure_ascii=False) for any JSON value (or the same error)."""
    from qnwmh_rules import verdict

    expected = _text_or_error(json.dumps, value, ensure_ascii=False, sort_keys=True)
    c_encoder = verdict._ONE_LINE_C
    try:
        verdict._ONE_LINE_C = None  # as where the standard library has no C encoder
        without_c = _text_or_error(verdict._one_line, value)
    finally:
        verdict._ONE_LINE_C = c_encoder
    assert (expected, expected) == (_text_or_error(verdict._one_line, value), without_c)


def test_indented_objects_with_keys_that_are_not_text_are_written_as_json_dumps_writes():
    """Objects keyed by numbers (json.dumps turns them into text) or by several kinds (json.dumps refuses to sort
    them) give what json.dumps gives, also after objects with the same keys as text."""
    from qnwmh_rules.verdict import _indented, _one_line

    for value in ({"1": "a", "2": "b"}, {1: "a", 2: "b"}, {2: "b", 1: "a"}, [{1: {"x": 2}}, {"1": {"x": 2}}],
                  {1: "a", "b": 2}, {None: 1}, {"b": {"d": [1, {"c": 2}]}, "a": 1}, {1.5: True, 2: None}):
        for indent in (0, 2, 4):
            expected = _text_or_error(json.dumps, value, ensure_ascii=False, sort_keys=True, indent=indent)
            assert expected == _text_or_error(_indented, value, " " * indent, "\n")
        assert _text_or_error(json.dumps, value, ensure_ascii=False, sort_keys=True) == _text_or_error(_one_line, value)


@pytest.mark.parametrize("backend", BACKENDS_HERE)
@pytest.mark.parametrize("name", SHIPPED)
@given(data=st.data(), day=st.one_of(st.none(), as_of_days), indent=st.sampled_from([2, None, 0, 1, 3, 8]),
       first=st.sampled_from(["json", "stamp", "rules", "dict"]))
def test_to_json_is_the_json_of_the_verdict_read_back(name, backend, data, day, indent, first):
    """A verdict's to_json() (from the engine's fragments, whatever was read before it) is the JSON of the
    eagerly built verdict Verdict.from_dict(v.to_dict()), on random facts of every shipped ruleset."""
    engine = _engine(name, backend)
    facts = data.draw(units() if engine.ruleset.subject == "unit" else collectives())
    if day is not None:
        facts = known_by(facts, day)
    v = _evaluate(engine, facts, day)
    if v is None:
        assert _evaluate(engine, facts, day) is None
        return
    eager = Verdict.from_dict(engine.evaluate(facts, as_of=day).to_dict())
    if first == "stamp":
        v.stamp  # noqa: B018 - built before the JSON is written
    elif first == "rules":
        v.rules  # noqa: B018
    elif first == "dict":
        v.to_dict()
    assert eager.to_json(indent=indent) == v.to_json(indent=indent) == v.to_json(indent=indent)
    assert (eager.stamp, eager.rules) == (v.stamp, v.rules)


def _marked_verdict(stamp_region, title_en):
    """A deferred verdict of one rule and its eager twin, with a stamp region and a rule title of its own."""
    from qnwmh_rules.verdict import Citation, RuleOutcome, RuleResult, Stamp, StampShape, VerdictParts, VerdictPlan

    proto = RuleOutcome(id="r.one", outcome="passed", severity="required", title_zh="规则", title_en=title_en,
                        citation=Citation(source="N", clause="一", text="条文", source_title="通知"),
                        interpretation=None, values=(), params=(("p", [1, 2]),), param_notes=(), missing=(),
                        condition="a.b >= 1", layer="t/national@1")
    stamp_shape = StampShape(ruleset_id="national", term="t", version="1", region=stamp_region, layers=("t",),
                             ruleset_sha256="ab" * 32, library_version="0", engine="python")
    plan = VerdictPlan((RuleShape(proto, ("a.b", "c")),), stamp_shape, lambda doc: "cd" * 32)
    result = RuleResult("undetermined", ("c",), "尚待决定 / not yet decided")
    parts = VerdictParts(plan, (result,), lambda: {"a.b": [{"x": "}", "y": 1}]}, {"id": "S"}, None)
    lazy = Verdict.deferred(subject_id="S", outcome="undetermined", missing=("c",), score=None, subject="unit",
                            parts=parts)
    eager = Verdict(subject_id="S", outcome="undetermined", missing=("c",), score=None, subject="unit",
                    rules=(attrs.evolve(proto, outcome="undetermined", missing=("c",),
                                        values=(("a.b", [{"x": "}", "y": 1}]),), reason="尚待决定 / not yet decided"),),
                    stamp=Stamp(ruleset_id="national", term="t", version="1", region=stamp_region, layers=("t",),
                                ruleset_sha256="ab" * 32, library_version="0", engine="python", as_of=None,
                                facts_sha256="cd" * 32))
    return lazy, eager


@pytest.mark.parametrize(("region", "title"), [(None, "A rule"), ("\x00as_of\x00", "A rule"),
                                               ("gd", "\x00missing\x00 and \x00values\x00"),
                                               ("\x00facts_sha256\x00", "\x00outcome\x00")])
def test_a_ruleset_text_holding_a_mark_still_gives_the_eager_json(region, title):
    """A stamp field or a rule's text that holds one of the marks the fragments are cut around is written
    whole instead: the JSON is still the eager verdict's, at every indent."""
    for indent in (2, None, 0, 4):
        lazy, eager = _marked_verdict(region, title)
        assert eager.to_json(indent=indent) == lazy.to_json(indent=indent)
    lazy, eager = _marked_verdict(region, title)
    assert (eager.to_dict(), eager) == (lazy.to_dict(), lazy)


def test_the_facts_hash_is_computed_once_per_verdict(national, monkeypatch):
    """The stamp's facts_sha256 is computed once per verdict, whether its JSON or its stamp reads it first."""
    import qnwmh_rules._api as api

    facts = (RULESETS / "examples" / "collective-gd-0001.json").read_text(encoding="utf-8")
    calls = []
    real = national._plan.facts_sha256
    monkeypatch.setattr(national._plan, "facts_sha256", lambda doc: calls.append(doc) or real(doc))
    v = national.evaluate(facts)
    texts = {v.to_json(), v.to_json()}
    stamp = v.stamp
    assert (1, 1, api._facts_sha256(v._parts._facts_doc)) == (len(calls), len(texts), stamp.facts_sha256)


@given(doc=shown_values)
def test_the_facts_hash_is_the_sha256_of_the_canonical_json(doc):
    """The stamp's facts_sha256 (the C encoder built once, or the standard library's Python one where there is
    none) is the sha256 of json.dumps(sort_keys, ensure_ascii=False, compact), or the same error."""
    import hashlib

    import qnwmh_rules._api as api

    def reference(value):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    expected = _text_or_error(reference, doc)
    c_encoder = api._CANONICAL_JSON
    try:
        api._CANONICAL_JSON = None  # as where the standard library has no C encoder
        without_c = _text_or_error(api._facts_sha256, doc)
    finally:
        api._CANONICAL_JSON = c_encoder
    assert (expected, expected) == (_text_or_error(api._facts_sha256, doc), without_c)
