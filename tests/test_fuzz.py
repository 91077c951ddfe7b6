"""Fuzzing: any facts document and any condition end in a verdict or a clear error, never a crash.

Random conditions are drawn from the grammar over real fact paths, so most of them load;
each one that loads is then run on random collectives by durable_rules and by the
reference evaluator, which must agree (the compiler must never emit a shape the engine
mis-evaluates).
"""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules import FactsError, RulesetError, Verdict

from .strategies import collectives
from .test_ruleset_errors import HEAD, rule

HEAD_WITH_PARAMS = HEAD.replace("parameters:\n", "parameters:\n  win: {value: {start: 2015-10-01, end: 2017-09-30,"
                                " start_inclusive: true, end_inclusive: false}}\n  units: {value: [a, b]}\n")

NUMBERS = ["members.total", "members.aged_35_or_under", "members.chinese_nationals", "params.min"]
DATES = ["leader.birth_date", "params.cutoff", 'date("2016-01-01")']
STRINGS = ['leader.nationality == "CN"', 'org_kind == "public"', 'reporting_line.kind == "industry"',
           'region == "guangdong"', 'reporting_line.unit in params.units']
ITEM = {
    "honors": ['h.level == "national"', 'h.kind == "named"', 'h.round == "2015-2016"', "h.date <= params.cutoff",
               'h.date > date("2014-01-01")', "h.date in params.win"],
    "filings": ['h.review.status == "approved"', 'h.channel.kind == "locality"', "h.submitted_at in params.win",
                "h.submitted_at <= params.cutoff", 'h.review.at >= date("2017-01-01")', 'h.channel.unit == "x"'],
}
OPS = ["==", "!=", "<", "<=", ">", ">="]


def atoms():
    number = st.builds(lambda a, op, b, k: f"{a} {op} {b} * {k}", st.sampled_from(NUMBERS[:3]), st.sampled_from(OPS),
                       st.sampled_from(NUMBERS), st.sampled_from(["0.5", "1", "2"]))
    plain = st.builds(lambda a, op, b: f"{a} {op} {b}", st.sampled_from(NUMBERS[:3]), st.sampled_from(OPS),
                      st.sampled_from(NUMBERS + ["6", "200"]))
    dates = st.builds(lambda a, op, b: f"{a} {op} {b}", st.sampled_from(DATES[:1]), st.sampled_from(OPS),
                      st.sampled_from(DATES[1:]))
    quant = st.builds(lambda q, lst, body: f"{q}(h in {lst}, {body})", st.sampled_from(["any", "all"]),
                      st.sampled_from(sorted(ITEM)), st.just(None)).flatmap(
        lambda s: st.builds(lambda parts, joiner: s.replace("None", f" {joiner} ".join(parts)),
                            st.lists(st.sampled_from(ITEM[s.split(" in ")[1].split(",")[0]]), min_size=1,
                                     max_size=3),
                            st.sampled_from(["and", "or"])))
    return st.one_of(number, plain, dates, st.sampled_from(STRINGS), quant)


conditions = st.recursive(atoms(), lambda inner: st.one_of(
    st.builds(lambda a, b, j: f"({a}) {j} ({b})", inner, inner, st.sampled_from(["and", "or"])),
    st.builds(lambda a: f"not ({a})", inner)), max_leaves=5)


@pytest.mark.durable
@settings(max_examples=60, deadline=None)
@given(when=conditions, facts=st.lists(collectives(), min_size=1, max_size=4))
def test_random_conditions_load_or_are_refused_and_agree_with_the_reference(tmp_path_factory, when, facts):
    """A random condition loads (and then both backends agree on every collective), or is refused only as a
    shape the engine mis-evaluates inside a quantifier, or as more and/or groups than the engine's expression
    list holds (Q306), which only quantifiers multiply (the generator writes only well-typed conditions)."""
    path = tmp_path_factory.mktemp("fuzz") / "r.yaml"
    path.write_text(HEAD_WITH_PARAMS + rule(json.dumps(when, ensure_ascii=False)), encoding="utf-8")
    try:
        durable = qnwmh_rules.load_ruleset(path, backend="durable")
    except RulesetError as exc:
        assert (exc.code, True) == (exc.code if exc.code in ("Q303", "Q304", "Q306") else "Q303, Q304 or Q306",
                                    "any(" in when or "all(" in when), when
        return
    python = qnwmh_rules.load_ruleset(path, backend="python")
    for f in facts:
        assert python.evaluate(f).rules[0].outcome == durable.evaluate(f).rules[0].outcome, (when, f)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
              st.text(max_size=12)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12)
keys = st.sampled_from(["id", "members", "leader", "honors", "filings", "region", "org_kind", "reporting_line",
                        "total", "birth_date", "name"])


@given(doc=st.one_of(json_values, st.dictionaries(keys, json_values, max_size=6)))
def test_any_json_document_gives_a_verdict_or_a_facts_error(doc):
    """Arbitrary JSON never crashes the evaluation: both backends give the same verdict, or the same FactsError."""
    try:
        verdict = qnwmh_rules.evaluate(doc)
    except FactsError as exc:
        with pytest.raises(FactsError) as by_python:
            qnwmh_rules.evaluate(doc, backend="python")
        assert (exc.field, exc.message) == (by_python.value.field, by_python.value.message)
    else:
        python = qnwmh_rules.evaluate(doc, backend="python")
        assert [(r.id, r.outcome, r.missing) for r in verdict.rules] == \
            [(r.id, r.outcome, r.missing) for r in python.rules]
        assert verdict == Verdict.from_dict(json.loads(verdict.to_json()))


@given(facts=collectives(), mutation=st.sampled_from([
    ("members", "total", -1), ("members", "total", "12"), ("members", "total", 1.5), ("leader", "birth_date", 19840302),
    ("leader", "birth_date", "1984-13-01"), ("leader", "nationality", ["CN"]), ("members", "total", True)]))
def test_near_valid_facts_name_the_broken_field(facts, mutation):
    """A collective with one wrong value is refused with that field's path."""
    group, field, value = mutation
    facts.setdefault(group, {})[field] = value
    try:
        qnwmh_rules.evaluate(facts)
    except FactsError as exc:
        assert exc.field in (f"{group}.{field}", "members.aged_35_or_under", "members.chinese_nationals")
    else:
        raise AssertionError(f"{group}.{field}={value!r} was accepted")


_PIECES = list("abc:-{}[]\"' \n\t#!&*|>%@`0123456789.") + ["rules", "when", "ruleset", "!!python/object", "\u0000",
                                                          "term: 2017-2018\n", "- id: a.b\n"]
ruleset_text = st.lists(st.sampled_from(_PIECES), max_size=80).map("".join)


@given(text=ruleset_text)
def test_any_ruleset_text_gives_an_engine_or_a_ruleset_error(tmp_path_factory, text):
    """Arbitrary ruleset text loads or raises RulesetError; it never raises anything else."""
    path = tmp_path_factory.mktemp("fuzz") / "r.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        qnwmh_rules.load_ruleset(path)
    except RulesetError as exc:
        assert exc.code.startswith("Q")
