"""The parser generated per subject from its facts schema (issue 14 item 5): what it accepts equals the
full walker's result (values in the same order, lists, missing, canonical JSON), it declines the rest,
and no schema text is ever code."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import random
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qnwmh_rules import facts
from qnwmh_rules._facts_schema import FieldSpec, packaged_schema, read_schema_file
from qnwmh_rules._moments import wall_time_problem, zone
from qnwmh_rules.exceptions import FactsError
from tests.shipped import shipped
from tests.strategies import FACT_ZONES, edited_facts, schema_facts

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from bench_core import make_facts  # noqa: E402

# every shipped facts schema of a subject (the regions file is not one), and the packaged ones by key
SCHEMA_FILES = [p for p in shipped("facts_schema") if not p.name.startswith("regions@")]
SUBJECTS = {p.name: facts.Subject.of(read_schema_file(p)) for p in SCHEMA_FILES} | {
    key: facts.Subject.of(packaged_schema(key)) for key in ("collective@1", "collective@2", "unit@1", "unit@2")}


def _ordered(got):
    """Everything a parse gives, with the order of every dict (values, list items, canonical JSON) kept."""
    return ("facts", list(got.values.items()), {n: [list(i.items()) for i in items] for n, items in got.lists.items()},
            got.missing, json.dumps(got.canonical, ensure_ascii=False), got.tz,
            [(p, v.utcoffset(), v.tzinfo) for p, v in got.values.items() if isinstance(v, dt.datetime)])


def _outcome(fn):
    try:
        return _ordered(fn())
    except FactsError as exc:
        return ("error", exc.field, str(exc))


def _check(subj, doc, tz):
    """The generated parser's answer (when it gives one), parse_facts's and the full walker's are the same."""
    zone_ = zone(tz)
    full = _outcome(lambda: facts._full_parse(doc, subj, zone_, tz))
    generated = (subj.generated or facts._generated_parser(subj))(doc, zone_, tz)
    if generated is not None:
        assert full == _ordered(generated)
    assert full == _outcome(lambda: facts.parse_facts(doc, tz=tz, subject=subj))
    return generated


def test_every_shipped_facts_schema_is_covered():
    """The property below runs on the four shipped facts schemas (collective@1/@2, unit@1/@2)."""
    assert 4 == len(SCHEMA_FILES)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SUBJECTS)).flatmap(lambda k: st.tuples(st.just(k), schema_facts(SUBJECTS[k]))),
       st.sampled_from(FACT_ZONES))
def test_the_generated_parser_gives_what_the_full_walker_gives_on_every_schema(case, tz):
    """On documents drawn from each shipped schema and mutated (types, bools for counts, huge numbers, odd texts,
    nulls, dates and instants at the range edges and clock changes, keys reordered), the generated parser
    declines or gives exactly the full walker's facts, in the same order."""
    key, doc = case
    _check(SUBJECTS[key], doc, tz)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_facts())
def test_the_generated_parser_gives_what_the_full_walker_gives_on_edited_facts(case):
    """On the edited collectives and units of the fast-path property, the generated parser declines or agrees."""
    subject, tz, doc = case
    _check(facts.SUBJECTS[subject], doc, tz)


def test_the_generated_parser_takes_the_usual_documents():
    """Every document of the benchmark corpus (valid collectives in the schema's order) is read by the generated
    parser, with the full walker's result."""
    rng = random.Random(20170930)
    subj = facts.SUBJECTS["collective"]
    taken = [_check(subj, make_facts(rng, i), "Asia/Shanghai") is not None for i in range(300)]
    assert [True] * 300 == taken


def test_a_document_in_another_key_order_keeps_its_order():
    """Keys in another order than the schema's: the generated parser declines, and the facts keep document order."""
    doc = {"leader": {"nationality": "CN", "birth_date": "1990-01-02"}, "members": {"total": 9}, "id": "A",
           "filings": [{"submitted_at": "2017-06-20T10:15:00", "review": {"at": "2017-06-21T09:00:00+08:00",
                                                                       "status": "approved"},
                        "channel": {"unit": "团省委", "kind": "locality"}}], "honors": []}
    subj = facts.SUBJECTS["collective"]
    assert _check(subj, doc, "Asia/Shanghai") is None
    got = facts.parse_facts(doc)
    assert ["leader.nationality", "leader.birth_date", "members.total", "id"] == list(got.values)
    first = got.lists["filings"][0]
    assert ["submitted_at", "review.at", "review.status", "channel.unit", "channel.kind"] == list(first)


@pytest.mark.parametrize(("text", "shown"), [
    ("2017-06-20T10:15:00+08:00", "2017-06-20T10:15:00+08:00"),
    ("2017-06-20T02:15:00Z", "2017-06-20T10:15:00+08:00"),
    ("2017-06-20T02:15:00+00:00", "2017-06-20T10:15:00+08:00"),
    ("2017-06-20T10:15:00", "2017-06-20T10:15:00+08:00"),
    ("2017-06-20T10:15+08:00", "2017-06-20T10:15:00+08:00"),
    ("2017-06-20T10:15:00.5+08:00", "2017-06-20T10:15:00.500000+08:00"),
])
def test_an_instant_is_shown_as_its_moment_in_the_zone(text, shown):
    """The canonical JSON of an instant is the moment's ISO text in the ruleset's zone, its own text only when
    that is already it."""
    doc = {"id": "A", "filings": [{"channel": {"kind": "locality", "unit": "团省委"}, "submitted_at": text,
                                   "review": {"status": "pending"}}]}
    subj = facts.SUBJECTS["collective"]
    assert _check(subj, doc, "Asia/Shanghai") is not None
    assert shown == facts.parse_facts(doc).canonical["filings"][0]["submitted_at"]


@pytest.mark.parametrize("tz", ["UTC", "Europe/London"])
def test_minus_zero_offset_is_shown_as_plus_zero(tz):
    """``-00:00`` (which isoformat never writes) is shown as ``+00:00`` in a zone at offset zero."""
    doc = {"id": "A", "filings": [{"channel": {"kind": "locality", "unit": "u"},
                                   "submitted_at": "2016-01-05T10:15:00-00:00", "review": {"status": "pending"}}]}
    _check(facts.SUBJECTS["collective"], doc, tz)
    assert "2016-01-05T10:15:00+00:00" == facts.parse_facts(doc, tz=tz).canonical["filings"][0]["submitted_at"]


def _transitions(tz, start, end):
    """The UTC moments (to the minute) where ``tz``'s offset or DST changes between ``start`` and ``end``."""
    z, out = zone(tz), []
    step, moment = dt.timedelta(days=1), start

    def key(m):
        local = m.astimezone(z)
        return local.utcoffset(), local.dst()

    while moment < end:
        nxt = moment + step
        if key(moment) != key(nxt):
            lo, hi = moment, nxt
            while hi - lo > dt.timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if key(mid) == key(lo) else (lo, mid)
            out.append(hi)
        moment = nxt
    return out


@pytest.mark.parametrize("tz", ["America/New_York", "Europe/London", "Asia/Shanghai", "Australia/Lord_Howe",
                                "Pacific/Apia", "Europe/Dublin", "America/Sao_Paulo"])
def test_a_naive_wall_time_near_every_clock_change_is_read_as_the_full_walker_reads_it(tz):
    """Around every change of offset or DST from 1900 to 2040, every 10 minutes from 3 hours before to 3 hours after
    (wall times skipped, repeated or unique): the generated parser's one-reading check agrees with the full walker,
    and it declines exactly what the generic fast path declines (every wall time ``wall_time_problem`` names)."""
    subj = facts.Subject("t", {"t": FieldSpec("instant")}, ())
    parser, z = facts._generate(subj), zone(tz)
    changes = _transitions(tz, dt.datetime(1900, 1, 2, tzinfo=dt.UTC), dt.datetime(2040, 1, 1, tzinfo=dt.UTC))
    assert changes
    for change in changes:
        wall = change.astimezone(z).replace(tzinfo=None)
        for minutes in range(-180, 181, 10):
            text = (wall + dt.timedelta(minutes=minutes)).isoformat()
            doc = {"t": text}
            got = parser(doc, z, tz)
            problem = wall_time_problem(dt.datetime.fromisoformat(text).replace(tzinfo=z))
            generic = facts._generic_fast_parse(doc, subj, z, tz)
            assert (text, generic is not None) == (text, got is not None)
            assert problem is None or got is None
            if got is not None:
                assert _outcome(lambda d=doc: facts._full_parse(d, subj, z, tz)) == _ordered(got)


_CODE = ["__import__('os')", "k_0", "doc_0", "values_0", "'); raise SystemExit; ('", '"""', "lambda: 1", "x\ny",
         "__builtins__", "None", "1/0", "{}", "f'{1}'", "exec('import os')"]
_VALUES = (*_CODE, "__import__('os').system('exit 1')", "")


def test_field_names_and_enum_values_that_are_python_code_are_read_as_data():
    """A schema whose field, object and list names and enum values are Python code (or the generated code's own
    names) is parsed as data: the generated parser reads such a document exactly as the full walker does."""
    c = _CODE
    fields = {c[0]: FieldSpec("enum", values=_VALUES), c[1]: FieldSpec("count", limit=7), c[2]: FieldSpec("str"),
              c[3]: FieldSpec("bool"), c[4]: FieldSpec("enum", values=_VALUES),
              f"{c[5]}.{c[6]}": FieldSpec("count", limit=7), f"{c[5]}.{c[7]}": FieldSpec("enum", values=_VALUES),
              f"{c[8]}[].{c[10]}": FieldSpec("enum", values=_VALUES, required_in_item=True),
              f"{c[8]}[].{c[11]}.{c[12]}": FieldSpec("date"),
              f"{c[9]}[].{c[13]}": FieldSpec("instant", required_in_item=True)}
    subj = facts.Subject("odd", fields, (c[8], c[9]))
    doc = {c[0]: _VALUES[-2], c[1]: 7, c[2]: c[4], c[3]: True, c[4]: c[13], c[5]: {c[6]: 0, c[7]: c[7]},
           c[8]: [{c[10]: c[0], c[11]: {c[12]: "2017-01-02"}}, {c[10]: c[8]}],
           c[9]: [{c[13]: "2017-01-02T03:04:05+08:00"}]}
    got = _check(subj, doc, "UTC")
    assert got is not None
    assert [c[0], c[1], c[2], c[3], c[4], f"{c[5]}.{c[6]}", f"{c[5]}.{c[7]}"] == list(got.values)
    assert (_VALUES[-2], c[7]) == (got.values[c[0]], got.values[f"{c[5]}.{c[7]}"])
    assert {c[10]: c[0], f"{c[11]}.{c[12]}": dt.date(2017, 1, 2)} == got.lists[c[8]][0]
    wrong = {**doc, c[0]: "__import__('os').system('exit 2')"}  # not one of the values: declined, then refused
    assert _check(subj, wrong, "UTC") is None
    with pytest.raises(FactsError):
        facts.parse_facts(wrong, tz="UTC", subject=subj)


def test_a_subject_pickles_without_its_generated_parser_and_builds_its_own():
    """A pickled Subject (sent to a batch worker) leaves its generated parser behind and parses as the original."""
    subj = facts.SUBJECTS["collective"]
    facts.parse_facts({"id": "A"}, subject=subj)
    copy = pickle.loads(pickle.dumps(subj))
    assert (True, None) == (subj.generated is not None, copy.generated)
    doc = make_facts(random.Random(7), 7)
    assert _outcome(lambda: facts.parse_facts(doc, subject=subj)) == \
        _outcome(lambda: facts.parse_facts(doc, subject=copy))
    assert copy.generated is not None


def test_subjects_of_one_schema_share_one_generated_parser():
    """Every ruleset load makes a Subject of its facts schema: they share the schema's generated parser (built
    once), and a Subject whose fields differ from its schema's gets its own."""
    schema = packaged_schema("collective@2")
    first, second = facts.Subject.of(schema), facts.Subject.of(schema)
    facts.parse_facts({"id": "A"}, subject=first)
    facts.parse_facts({"id": "B"}, subject=second)
    assert first.generated is second.generated
    other = facts.Subject(schema.subject, {"id": FieldSpec("str")}, (), schema)
    assert "A" == facts.parse_facts({"id": "A"}, subject=other).id
    assert (True, False) == (other.generated is not None, other.generated is first.generated)
    with pytest.raises(FactsError):
        facts.parse_facts({"id": "A", "members": {"total": 3}}, subject=other)
