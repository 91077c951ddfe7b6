"""The durable_rules adapter guards the measured hazards of ARCHITECTURE.md."""

import copy
import datetime as dt
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules import EvaluationError, _check
from qnwmh_rules._api import as_of_moment, durable_available
from qnwmh_rules._compile import CompiledRule, encode_facts
from qnwmh_rules._derive import derive

from .shipped import shipped
from .strategies import collectives, units

if durable_available():  # elsewhere every test here is skipped, with the reason (conftest)
    import durable_rules_engine

    from qnwmh_rules._engine import DurableEngine, _Case, project, read_paths

    def _pair(path=None, **kw):
        engine = qnwmh_rules.load_ruleset(path, backend="durable", **kw)
        return engine, DurableEngine("whole", engine.compiled, project=False)

    _PAIRS = {"national": _pair(term="2017-2018"), "guangdong": _pair(term="2017-2018", region="guangdong"),
              "shapes": _pair(Path(__file__).parent / "data" / "shapes.yaml")}

pytestmark = pytest.mark.durable


def _case(total):
    return {"members": {"total": total}, "q": 1}


def _engine(name="t", project=True):
    return DurableEngine(name, [CompiledRule("r.big", {"$gte": {"members.total": 10}}),
                                CompiledRule("r.small", {"$lt": {"members.total": 10}})], project=project)


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
        m.setattr(_Case, "record", broken)
        with pytest.raises(EvaluationError, match="boom in action"):
            e.fire_many([_case(12), _case(3)])  # fire_many records each result on the case
    assert [frozenset({"r.big"})] == e.fire_many([_case(12)])  # the state was cleared: the next case is clean


@pytest.mark.parametrize("many", [False, True])
def test_an_error_while_reading_a_result_surfaces_and_replaces_the_host(monkeypatch, many):
    """A result the adapter cannot read (here: cut short, so its rule name cannot be decoded) is an
    EvaluationError on fire and fire_many, never a missing rule; the action durable leased is given
    back, the Host replaced, and the next case is clean (hazards 3, 4)."""
    import qnwmh_rules._engine as adapter

    e = _engine(f"unreadable-{many}")
    before = e._host
    real = adapter._c.start_action_for_state

    def cut(handle, state):
        started = real(handle, state)
        return None if started is None else (started[0], started[1][:5])

    with monkeypatch.context() as m:
        m.setattr(adapter._c, "start_action_for_state", cut)
        with pytest.raises(EvaluationError, match="durable_rules failed on this case"):
            e.fire_many([_case(12), _case(3)]) if many else e.fire(_case(12))
    assert before is not e._host
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


def test_after_a_failed_case_the_next_case_starts_clean():
    """When a case cannot be cleared, the adapter starts a fresh host: nothing leaks into the next case."""
    e = _engine("recover")
    with pytest.raises(EvaluationError):
        e.fire({"members": {"total": 12}})  # no marker: the sentinel cannot fire
    assert frozenset({"r.small"}) == e.fire(_case(3))


def _freed(handle):
    """Whether durable's C ruleset behind ``handle`` was deleted (deleting it again is refused)."""
    try:
        durable_rules_engine.delete_ruleset(handle)
    except Exception:
        return True
    return False  # pragma: no cover - it was still allocated (and is freed now)


def _handles(engine):
    return [r._handle for r in engine._host._ruleset_list]


def test_a_dropped_engine_frees_its_durable_memory():
    """When an engine is garbage, the C ruleset of its Host is deleted (hazard 16)."""
    e = _engine("dropped")
    e.fire(_case(12))
    handles = _handles(e)
    del e
    assert [True] == [_freed(h) for h in handles]


def test_a_closed_engine_frees_its_memory_and_refuses_cases():
    """close() deletes the C ruleset at once; a case after close is an EvaluationError."""
    e = _engine("closed")
    handles = _handles(e)
    e.close()
    assert [True] == [_freed(h) for h in handles]
    with pytest.raises(EvaluationError, match="closed"):
        e.fire(_case(12))


@pytest.mark.parametrize("failing", [
    {"members": {"total": 12}},  # no marker: nothing fires, a state is left behind
    {"q": 1, **{f"f{i}": i for i in range(300)}},  # durable refuses a fact of 300 fields (error 302)
])
def test_a_failed_case_frees_the_host_it_replaces(failing):
    """Every failed case replaces the Host; the replaced one's C ruleset is deleted, and the next case is clean."""
    e = _engine("replaced", project=False)  # unprojected: the 300 unread fields reach durable
    handles = _handles(e)
    with pytest.raises(EvaluationError):
        e.fire(failing)
    assert [True] == [_freed(h) for h in handles]
    assert handles != _handles(e)
    assert frozenset({"r.small"}) == e.fire(_case(3))


def test_engines_built_and_dropped_do_not_exhaust_durable_handles():
    """durable has 131,072 ruleset handles per process; dropped engines give theirs back, so loading never runs out."""
    for i in range(300):
        e = _engine(f"h{i}")
        assert frozenset({"r.big"}) == e.fire(_case(12))
        handles = _handles(e)
        del e
        assert [True] == [_freed(h) for h in handles]


def test_the_adapter_leaves_the_warning_filters_as_it_found_them():
    """Silencing durable's warnings is confined to the calls into durable: the process filters are unchanged."""
    import warnings

    before = list(warnings.filters)
    _engine("filters").fire(_case(12))
    assert before == list(warnings.filters)


def _shipped_and_test_rulesets():
    files = shipped("ruleset", pattern="*/*.yaml")
    return files + [Path(__file__).parent / "data" / "shapes.yaml"]


def _kept(spec, parts):
    node = spec
    for part in parts:
        if node is True:
            return True
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _reads(node, found):
    """Every (list or None, path) the checked syntax tree of a condition reads."""
    if isinstance(node, _check.Fact):
        found.add((None, node.path))
    elif isinstance(node, _check.Item):
        found.add((node.list, node.field))
    elif isinstance(node, _check.Quant):
        found.add((None, node.list))
    if attrs.has(type(node)):
        for value in attrs.astuple(node, recurse=False):
            for v in value if isinstance(value, tuple) else (value,):
                _reads(v, found)
    return found


@pytest.mark.parametrize("path", _shipped_and_test_rulesets(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_path_a_condition_reads_reaches_durable(path):
    """The projection sent to durable keeps every fact, derived fact and item field any checked condition
    (when, pending_if or due, applies_if) reads."""
    engine = qnwmh_rules.load_ruleset(path, backend="durable")
    spec = engine._durable.projection
    assert spec is not None
    missing = []
    for rule in engine.ruleset.rules:
        for condition in (rule.condition, rule.pending_condition, rule.applies_condition):
            for lst, field in sorted(_reads(condition, set()), key=str):
                parts = ([*lst.split("."), *field.split(".")] if lst else field.split("."))
                if not _kept(spec, parts):
                    missing.append((rule.id, lst, field))
    assert [] == missing


@pytest.mark.parametrize("name", ["national", "guangdong", "shapes"])
@settings(max_examples=100, deadline=None)
@given(facts=collectives())
def test_the_projected_document_fires_exactly_what_the_whole_one_does(name, facts):
    """On random collectives, durable fires the same rules whether it gets the whole document or the projection."""
    projected, whole = _PAIRS[name]
    try:
        parsed = projected.parse(facts)
    except qnwmh_rules.FactsError:
        return
    doc = encode_facts(parsed, derive(projected.ruleset, parsed, projected._param_values), projected.ruleset.time_zone)
    assert whole.fire(doc) == projected._durable.fire(doc)


def test_a_condition_the_walker_does_not_know_sends_the_whole_document():
    """An operator path it cannot place (a `$s.` state reference) makes the projection give up, which is safe."""
    assert read_paths([{"$gte": {"members.total": {"$m": "$s.limit"}}}]) is None
    assert {"members": {"total": True}, "q": True} == read_paths([{"$gte": {"members.total": 10}}])


def test_projection_keeps_lists_item_fields_and_drops_the_rest():
    """Items keep only the fields read ($i.field), nested objects only the paths read."""
    spec = read_paths([{"$iany": {"honors": {"$and": [{"$i.level": "national"}, {"$lt": {"$i.date": 5}}]}}},
                       {"$gte": {"leader.age": {"$m": "members.total"}}}])
    doc = {"honors": [{"level": "national", "date": 1, "kind": "named"}, {"kind": "x"}],
           "leader": {"age": 30, "nationality": "CN"}, "members": {"total": 3, "other": 1}, "region": "gd", "q": 1}
    assert {"honors": [{"level": "national", "date": 1}, {}], "leader": {"age": 30}, "members": {"total": 3},
            "q": 1} == project(doc, spec)


def test_a_dropped_engine_is_freed_without_waiting_for_the_garbage_collector():
    """load_ruleset() then dropping the Engine frees durable's C ruleset at once: nothing holds it in a cycle."""
    import gc

    engine = qnwmh_rules.load_ruleset(term="2017-2018", backend="durable")
    handles = _handles(engine._durable)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        del engine
        assert [True] == [_freed(h) for h in handles]
    finally:
        if was_enabled:
            gc.enable()


def test_a_verdict_leaves_the_warning_filters_of_other_threads_alone():
    """A durable verdict made while another thread is inside its own warnings.catch_warnings block
    (the filter list is process-wide) neither leaks that thread's filters nor loses its own answer."""
    import json
    import warnings

    from .conftest import EXAMPLE

    engine = qnwmh_rules.load_ruleset(term="2017-2018", region="guangdong", backend="durable")
    facts = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    inside, left = threading.Event(), threading.Event()

    def other_thread():  # a thread of the service that sets its own filters while the verdict is made
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            inside.set()
            assert left.wait(30)  # it leaves its block only once the verdict has started

    host = engine._durable._host
    real = host.assert_fact

    def assert_fact(*args, **kwargs):  # the verdict is inside durable: the other thread leaves its block now
        left.set()
        other.join(30)
        return real(*args, **kwargs)

    before = list(warnings.filters)
    other = threading.Thread(target=other_thread)
    other.start()
    assert inside.wait(30)
    host.assert_fact = assert_fact
    try:
        outcome = engine.evaluate(facts).outcome
    finally:
        host.assert_fact = real
        left.set()
        other.join(30)
    assert ("eligible", before) == (outcome, list(warnings.filters))


def test_durables_clock_reads_the_same_value_without_the_deprecated_call():
    """The adapter's replacement of durable's _unix_now gives what durable's own arithmetic gives."""
    import datetime

    from qnwmh_rules import _engine

    epoch = datetime.datetime(1970, 1, 1)
    assert epoch == datetime.datetime.fromtimestamp(0, datetime.UTC).replace(tzinfo=None)
    before = (datetime.datetime.now() - epoch).total_seconds()
    now = _engine._durable._unix_now()
    after = (datetime.datetime.now() - epoch).total_seconds()
    assert (_engine._unix_now, True) == (_engine._durable._unix_now, before <= now <= after)


def _triple(path):
    """The engine of a ruleset on durable with projection, durable with the whole document, and python."""
    if path not in _TRIPLES:
        projected = qnwmh_rules.load_ruleset(path, backend="durable")
        _TRIPLES[path] = (projected, DurableEngine("whole", projected.compiled, project=False),
                          qnwmh_rules.load_ruleset(path, backend="python"))
    return _TRIPLES[path]


_TRIPLES: dict = {}
_MOMENTS = [None, "2017-06-01", "2017-09-30T23:59:59+08:00", "2017-10-01T00:00:00+08:00", "2017-10-01T02:00:00Z",
            "2012-06-30", "2012-07-01T00:00:00+08:00", "2018-12-31", "2019-01-01T00:00:00+08:00"]


@pytest.mark.parametrize("path", _shipped_and_test_rulesets(), ids=lambda p: f"{p.parent.name}/{p.name}")
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_durable_with_projection_fires_what_durable_without_it_and_python_decide(path, data):
    """Every ruleset (derived facts, item lists, applies_if, due as of any moment): the projected document
    fires on durable exactly what the whole document fires, which is what the python backend decides."""
    projected, whole, python = _triple(path)
    facts = data.draw(units() if projected.ruleset.subject == "unit" else collectives())
    as_of = data.draw(st.sampled_from(_MOMENTS))
    try:
        verdict = projected.evaluate(facts, as_of=as_of)
    except qnwmh_rules.FactsError:
        event("refused")
        return
    parsed = projected.parse(facts)
    moment = as_of_moment(as_of, projected.ruleset.time_zone)
    doc = encode_facts(parsed, derive(projected.ruleset, parsed, projected._param_values),
                       projected.ruleset.time_zone, moment)
    assert whole.fire(doc) == projected._durable.fire(doc)
    on_python = python.evaluate(facts, as_of=as_of)
    assert (on_python.outcome, on_python.missing, [(r.id, r.outcome, r.reason) for r in on_python.rules]) == \
        (verdict.outcome, verdict.missing, [(r.id, r.outcome, r.reason) for r in verdict.rules])


@pytest.mark.parametrize("path", _shipped_and_test_rulesets(), ids=lambda p: f"{p.parent.name}/{p.name}")
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_case_encoded_straight_into_the_projection_is_the_projected_document(path, data):
    """fire_case encodes only the projected paths: its JSON is exactly the projection of the whole document
    (emptied objects included), and it fires exactly what fire() of the whole document fires."""
    projected, whole, _ = _triple(path)
    facts = data.draw(units() if projected.ruleset.subject == "unit" else collectives())
    as_of = data.draw(st.sampled_from(_MOMENTS))
    try:
        parsed = projected.parse(facts)
    except qnwmh_rules.FactsError:
        event("refused")
        return
    tz = projected.ruleset.time_zone
    moment = as_of_moment(as_of, tz)
    derived = derive(projected.ruleset, parsed, projected._param_values)
    engine = projected._durable
    expected = project(encode_facts(parsed, derived, tz, moment), engine.projection)
    expected.update(sid="0", id="case")
    assert expected == json.loads(engine._plan.text(parsed, derived, tz, moment))
    assert whole.fire(encode_facts(parsed, derived, tz, moment)) == engine.fire_case(parsed, derived, tz, moment)


def test_a_case_encoded_straight_keeps_the_emptied_objects_project_keeps():
    """An object the projection names but none of whose read fields is given stays, empty, as project() keeps it."""
    from qnwmh_rules._engine import _Plan

    spec = read_paths([{"$iany": {"filings": {"$eq": {"$i.review.status": "ok"}}}},
                       {"$eq": {"leader.nationality": "CN"}}])
    facts = attrs.make_class("F", ["values", "lists"])({"id": "x", "leader.birth_date": dt.date(1990, 1, 1)},
                                                       {"filings": ({"review.note": "n", "kind": "a"},)})
    expected = {"leader": {}, "filings": [{"review": {}}], "q": 1}
    assert expected == project(encode_facts(facts, {}, "Asia/Shanghai"), spec)
    assert dict(expected, sid="0", id="case") == json.loads(_Plan(spec).text(facts, {}, "Asia/Shanghai", None))


@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_a_process_forked_while_another_thread_is_inside_a_case_gets_a_working_engine():
    """fork() while another thread holds an engine mid-case (its lock taken, its case asserted in durable):
    the child's engine answers (no deadlock on the copied lock) with no trace of that thread's case."""
    import os
    import signal

    e = _engine("forked")
    expected = repr(sorted(e.fire(_case(3))))
    inside, done = threading.Event(), threading.Event()

    def mid_case():
        with e._lock:
            e._host.assert_fact(e.name, dict(_case(12), sid="0", id="case"))
            inside.set()
            done.wait(30)
            e._host.delete_state(e.name, "0")

    thread = threading.Thread(target=mid_case)
    thread.start()
    assert inside.wait(30)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer, or be killed by the alarm if the engine hangs
        signal.alarm(20)
        try:
            out = repr(sorted(e.fire(_case(3))))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            out = repr(exc)
        os.write(w, out.encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as pipe:
        got = pipe.read().decode()
    os.waitpid(pid, 0)
    done.set()
    thread.join(30)
    assert (expected, expected) == (got, repr(sorted(e.fire(_case(3)))))


def test_a_case_is_cleared_by_retracting_its_fact_and_the_state_holds_nothing_after():
    """After each case durable's state for the sid holds no fact and no pending result (hazard 3, retract)."""
    e = _engine("retracted")
    name, host = e.name, e._host
    left = []
    for total in (12, 3, 12):
        e.fire(_case(total))
        handle = host.get_ruleset(name)._handle
        left.append((host.get_facts(name, "0"), durable_rules_engine.start_action_for_state(handle, 0)))
    assert [([], None)] * 3 == left
    assert host is e._host  # cleared in place: no Host was rebuilt


@settings(max_examples=25, deadline=None)
@given(batch=st.lists(collectives(), min_size=2, max_size=6))
def test_a_sequence_of_cases_on_one_engine_fires_what_each_fires_on_a_fresh_engine(batch):
    """Cases cleared by retraction never see each other: one engine in sequence == a new engine per case."""
    engine = _PAIRS["national"][0]
    docs = []
    for facts in batch:
        try:
            parsed = engine.parse(facts)
        except qnwmh_rules.FactsError:
            continue
        docs.append(encode_facts(parsed, derive(engine.ruleset, parsed), engine.ruleset.time_zone))
    shared = DurableEngine("sequence", engine.compiled)
    assert [DurableEngine("fresh", engine.compiled).fire(d) for d in docs] == [shared.fire(d) for d in docs]


@pytest.mark.parametrize("rule_id", ['r."quoted"', "r.back\\slash", "r.中文", "r.plain"])
def test_a_fired_rule_is_named_right_whatever_its_id_needs_in_json(rule_id):
    """The fired rule's id is read from durable's result text; ids that JSON escapes are decoded in full."""
    e = DurableEngine("names", [CompiledRule(rule_id, {"$gte": {"a": 1}}), CompiledRule("r.other", {"$gte": {"a": 9}})])
    assert [frozenset({rule_id}), frozenset({rule_id, "r.other"})] == [e.fire({"a": 1, "q": 1}),
                                                                      e.fire({"a": 9, "q": 1})]


def test_an_error_of_durables_c_module_mid_case_replaces_the_host(monkeypatch):
    """A C call failing after the fact was asserted (here taking the next result) is an EvaluationError;
    the case is not retracted in place but the Host replaced, and the next case is clean."""
    e = _engine("cfail")
    before = e._host
    import qnwmh_rules._engine as adapter

    def broken(handle, state):
        raise RuntimeError("Could not complete and start action, error code: 999")

    with monkeypatch.context() as m:
        m.setattr(adapter._c, "complete_and_start_action", broken)
        with pytest.raises(EvaluationError, match="error code: 999"):
            e.fire(_case(12))
    assert (False, frozenset({"r.small"})) == (before is e._host, e.fire(_case(3)))


# ---- fire_many: several facts of one state in one assertion (a count's `where` over a list) --------

@settings(max_examples=40, deadline=None)
@given(totals=st.lists(st.one_of(st.none(), st.integers(-5, 30)), max_size=150), shared=st.booleans())
def test_many_documents_at_once_fire_what_each_fires_alone(totals, shared):
    """fire_many (duplicates, a missing field, more than MANY documents: several assertions) answers per
    document exactly what fire answers for it alone, on the same engine or a fresh one."""
    docs = [{"q": 1} if t is None else _case(t) for t in totals]
    alone = _engine("alone")
    many = alone if shared else _engine("many")
    assert [alone.fire(d) for d in docs] == many.fire_many(docs)


def test_many_documents_leave_no_fact_and_no_result_behind():
    """After fire_many, durable's state for the sid holds no fact and no pending result, and the Host is
    the same one (every fact retracted in place, hazard 3)."""
    e = _engine("many-retracted")
    name, host = e.name, e._host
    left = []
    for batch in ([12, 3, 12], [3] * 70, [12]):
        e.fire_many([_case(t) for t in batch])
        handle = host.get_ruleset(name)._handle
        left.append((host.get_facts(name, "0"), durable_rules_engine.start_action_for_state(handle, 0)))
    assert ([([], None)] * 3, True) == (left, host is e._host)


def test_an_error_of_durables_c_module_amid_many_documents_replaces_the_host(monkeypatch):
    """A C call failing amid fire_many is an EvaluationError; the Host is replaced and the next call is clean."""
    e = _engine("many-cfail")
    before = e._host
    import qnwmh_rules._engine as adapter

    def broken(handle, state):
        raise RuntimeError("Could not complete and start action, error code: 999")

    with monkeypatch.context() as m:
        m.setattr(adapter._c, "complete_and_start_action", broken)
        with pytest.raises(EvaluationError, match="error code: 999"):
            e.fire_many([_case(12), _case(3)])
    assert (False, [frozenset({"r.small"}), frozenset({"r.big"})]) == \
        (before is e._host, e.fire_many([_case(3), _case(12)]))


def test_a_document_without_the_marker_amid_many_is_refused_safely():
    """A fact on which not even the sentinel fires (no marker) fails the whole call (hazard 5), and the
    engine answers the next call right."""
    e = _engine("many-nomarker")
    with pytest.raises(EvaluationError, match="sentinel"):
        e.fire_many([_case(12), {"members": {"total": 3}}])
    assert [frozenset({"r.small"}), frozenset({"r.big"})] == e.fire_many([_case(3), _case(12)])


@pytest.mark.parametrize("results, expected", [
    ('{"r":{"m":{"q": 1, "sid": "0", "id": "w3"}}}', 3),
    ('{"r":{"m":{"id": "w2", "q": 1, "sid": "0"}}}', 2),  # the id elsewhere: decoded
    ('{"r":{"m":{"note": "x\\", \\"id\\": \\"w1\\"}}}", "id": "w0"}}}', 0),
])
def test_the_fact_a_result_is_about_is_read_from_its_id(results, expected):
    """A result names its fact by the id sent (w<n>), read from the end or, failing that, by decoding."""
    from qnwmh_rules._engine import _fact_number

    assert expected == _fact_number(results, 4)


def test_a_result_about_a_fact_that_was_not_sent_is_an_error():
    """An id outside the facts sent is an EvaluationError, never a wrong answer for another fact."""
    from qnwmh_rules._engine import _fact_number

    with pytest.raises(EvaluationError, match="not given"):
        _fact_number('{"r":{"m":{"q": 1, "id": "w9"}}}', 4)


# ---- answers remembered: a count's `where` per distinct item, a case's shape per key set -------------

def _item_lists(engine, facts_docs):
    """Every list a `where` of ``engine`` is asked about, for each parsable document of ``facts_docs``."""
    out = []
    for facts in facts_docs:
        try:
            parsed = engine.parse(facts)
        except qnwmh_rules.FactsError:
            continue
        for d in engine.ruleset.derived:
            if d.where_condition is not None and d.name in engine._where:
                items = parsed.lists.get(d.of.partition("[]")[0])
                if items is not None:
                    out.append((d.name, items))
    return out


@pytest.mark.parametrize("path", _shipped_and_test_rulesets(), ids=lambda p: f"{p.parent.name}/{p.name}")
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_a_remembered_where_answer_is_what_durable_answers_for_the_item(path, data):
    """A count's `where` remembered per distinct item (fields present, typed values read) answers, over a
    run of many cases, exactly what a predicate that remembers nothing answers (durable asked every time),
    item by item, and what the reference evaluator answers."""
    import qnwmh_rules._engine as adapter
    from qnwmh_rules._compile import compile_where
    from qnwmh_rules._reference import evaluate_item_condition

    projected, _, _ = _triple(path)
    rs = projected.ruleset
    where_rules, _ = compile_where(rs)
    if not where_rules:
        return
    draw = units() if rs.subject == "unit" else collectives()
    lists = _item_lists(projected, data.draw(st.lists(draw, min_size=1, max_size=12)))
    with pytest.MonkeyPatch.context() as m:
        m.setattr(adapter, "_ANSWERS", 0)
        fresh = adapter.where_predicates("fresh.where", where_rules, rs.time_zone)
    by_name = {d.name: d for d in rs.derived}
    for name, items in lists * 2:  # twice: the second time every item is remembered
        remembered = projected._where[name].many(items)
        assert fresh[name].many(items) == remembered
        assert [projected._where[name](i) for i in items] == remembered
        assert [evaluate_item_condition(by_name[name].where_condition, i, rs.time_zone) for i in items] == remembered


def test_items_equal_in_python_but_not_in_type_are_not_one_remembered_answer():
    """1, 1.0 and True are equal in Python but are different documents for durable: each is its own key."""
    from qnwmh_rules._engine import _item_key

    keys = {_item_key(None, None, {"a": v}) for v in (1, 1.0, True, "1")}
    assert 4 == len(keys)
    assert _item_key(None, None, {"a": [1]}) is None  # a value that cannot be a key is not remembered


@pytest.mark.parametrize("path", _shipped_and_test_rulesets()[:2], ids=lambda p: f"{p.parent.name}/{p.name}")
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_a_case_encoded_once_the_shapes_are_full_is_the_same_document(path, data):
    """Once the plan remembers no more key sets (_SHAPES reached), each case's shape is worked out for it
    alone, and the text is the same as with the shape remembered."""
    import qnwmh_rules._engine as adapter

    projected, _, _ = _triple(path)
    facts = data.draw(units() if projected.ruleset.subject == "unit" else collectives())
    try:
        parsed = projected.parse(facts)
    except qnwmh_rules.FactsError:
        return
    tz = projected.ruleset.time_zone
    derived = derive(projected.ruleset, parsed, projected._param_values)
    spec = projected._durable.projection
    full = adapter._Plan(spec)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(adapter, "_SHAPES", 0)
        alone = full.text(parsed, derived, tz, None)
    assert 0 == len(full._shapes)
    assert alone == full.text(parsed, derived, tz, None) == full.text(parsed, derived, tz, None)
