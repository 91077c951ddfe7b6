"""The compiler's durable_rules JSON: day-granular times, windows, guards and refused shapes."""

import datetime as dt

import pytest

import qnwmh_rules
from qnwmh_rules import RulesetError
from qnwmh_rules._compile import Part, day_start, encode_facts
from qnwmh_rules.facts import parse_facts

from .test_ruleset_errors import HEAD, rule

CST = "Asia/Shanghai"


def compiled(tmp_path, when):
    p = tmp_path / "r.yaml"
    p.write_text(HEAD + rule(when), encoding="utf-8")
    return next(c.condition for c in qnwmh_rules.load_ruleset(p).compiled if c.part is Part.HOLDS)


def test_day_start_is_local_midnight():
    """A date is encoded as the epoch seconds of its midnight in Asia/Shanghai (UTC+8)."""
    assert 1506700800 == day_start(dt.date(2017, 9, 30), CST)  # 2017-09-29T16:00:00Z


@pytest.mark.parametrize("op,expected", [
    ("<", {"$lt": {"$i.submitted_at": 1506700800}}),
    ("<=", {"$lt": {"$i.submitted_at": 1506787200}}),
    (">", {"$gte": {"$i.submitted_at": 1506787200}}),
    (">=", {"$gte": {"$i.submitted_at": 1506700800}}),
])
def test_timestamps_compare_with_dates_by_calendar_day(tmp_path, op, expected):
    """`t <= D` means on or before day D: before the next local midnight."""
    cond = compiled(tmp_path, f"any(f in filings, f.submitted_at {op} params.cutoff)")
    assert {"$iany": {"filings": {"$and": [expected]}}} == cond


def test_negation_is_pushed_to_comparisons(tmp_path):
    """`not (a and b)` becomes `not a or not b` with flipped operators."""
    cond = compiled(tmp_path, "not (members.total >= 6 and members.total <= 200)")
    assert {"$or": [{"$lt": {"members.total": 6}}, {"$gt": {"members.total": 200}}]} == cond


def test_fields_read_by_arithmetic_are_guarded(tmp_path):
    """durable treats an absent field in arithmetic as present, so each one is guarded with $ex."""
    cond = compiled(tmp_path, "members.aged_35_or_under >= members.total + members.chinese_nationals")
    assert {"$and": [{"$ex": {"members.total": 1}}, {"$ex": {"members.chinese_nationals": 1}},
                     {"$gte": {"members.aged_35_or_under": {"$add": {"$l": {"$m": "members.total"},
                                                                     "$r": {"$m": "members.chinese_nationals"}}}}}
                     ]} == cond


def test_decimal_shares_are_scaled_to_whole_numbers(tmp_path):
    """`a >= b * 0.55` reaches durable as `0 >= 11*b - 20*a`: no fraction, no binary double."""
    cond = compiled(tmp_path, "members.aged_35_or_under >= members.total * 0.55")
    assert {"$and": [{"$ex": {"members.aged_35_or_under": 1}}, {"$ex": {"members.total": 1}},
                     {"$gte": {"_z": {"$sub": {"$l": {"$mul": {"$l": {"$m": "members.total"}, "$r": 11}},
                                               "$r": {"$mul": {"$l": {"$m": "members.aged_35_or_under"},
                                                               "$r": 20}}}}}}]} == cond


@pytest.mark.parametrize("when,expected", [
    ("members.total >= 2.5", {"$gte": {"members.total": 3}}),
    ("members.total > 2.5", {"$gte": {"members.total": 3}}),
    ("members.total <= 2.5", {"$lte": {"members.total": 2}}),
    ("members.total < 2.5", {"$lte": {"members.total": 2}}),
    ("members.total == 2.5", {"$and": [{"$gte": {"members.total": 3}}, {"$lte": {"members.total": 2}}]}),
    ("members.total != 2.5", {"$or": [{"$lte": {"members.total": 2}}, {"$gte": {"members.total": 3}}]}),
    ("members.total >= 2.0", {"$gte": {"members.total": 2}}),
])
def test_decimal_constants_become_whole_thresholds(tmp_path, when, expected):
    """Counts are whole numbers, so a decimal bound becomes the whole number on the right side of it."""
    assert expected == compiled(tmp_path, when)


def test_or_is_distributed_out_of_any(tmp_path):
    """`any(x, a or b)` becomes `any(x, a) or any(x, b)`: durable mis-evaluates $or inside $iany."""
    cond = compiled(tmp_path, "any(h in honors, h.level == 'national' or h.kind == 'named')")
    assert {"$or": [{"$iany": {"honors": {"$and": [{"$i.level": "national"}]}}},
                    {"$iany": {"honors": {"$and": [{"$i.kind": "named"}]}}}]} == cond


def test_all_is_true_on_an_empty_list(tmp_path):
    """durable's $iall is false on an empty list, so `all` also matches a zero count."""
    cond = compiled(tmp_path, "all(h in honors, h.level == 'national')")
    assert {"$or": [{"_n.honors": 0}, {"$iall": {"honors": {"$and": [{"$i.level": "national"}]}}}]} == cond


def test_in_list_becomes_equalities(tmp_path):
    """`x in [a, b]` is `x == a or x == b` (durable has no $in)."""
    cond = compiled(tmp_path, "leader.nationality in ['CN', 'HK']")
    assert {"$or": [{"leader.nationality": "CN"}, {"leader.nationality": "HK"}]} == cond


def test_encoded_facts_are_flat_json_for_the_engine():
    """Dates become local-midnight epochs, lists keep items, counts and the marker are added."""
    facts = parse_facts({"id": "x", "members": {"total": 6}, "leader": {"birth_date": "1984-03-02"},
                         "honors": []})
    doc = encode_facts(facts, {"derived.leader_age": 33}, CST)
    assert {"members": {"total": 6}, "leader": {"birth_date": day_start(dt.date(1984, 3, 2), CST)},
            "derived": {"leader_age": 33}, "honors": [], "_n": {"honors": 0}, "_z": 0, "q": 1} == doc


def test_a_constant_comparison_is_refused(tmp_path):
    """A comparison of two constants is always true or false, so it is a ruleset mistake."""
    with pytest.raises(RulesetError, match="Q208"):
        compiled(tmp_path, "params.min >= 6")


@pytest.mark.parametrize("backend", ["durable", "python"])
def test_a_definitely_false_condition_fails_even_with_a_fact_missing(tmp_path, backend):
    """`a and b` with `a` false is failed although `b` is missing (three-valued logic, decided by the engine)."""
    p = tmp_path / "r.yaml"
    p.write_text(HEAD + rule("members.total >= 6 and leader.nationality == 'CN'"), encoding="utf-8")
    engine = qnwmh_rules.load_ruleset(p, backend=backend)
    short = engine.evaluate({"id": "a", "members": {"total": 3}}).rules[0]
    enough = engine.evaluate({"id": "b", "members": {"total": 8}}).rules[0]
    assert (("failed", ()), ("undetermined", ("leader.nationality",))) == \
        ((short.outcome, short.missing), (enough.outcome, enough.missing))


def test_no_fail_condition_where_the_negation_is_not_safe(tmp_path):
    """Where `not C` would put an `or` inside `all`, no `#fail` is compiled (missing facts then mean undetermined)."""
    p = tmp_path / "r.yaml"
    p.write_text(HEAD + rule("any(h in honors, h.level == 'national' and h.kind == 'named')"), encoding="utf-8")
    assert ["basic.x"] == [c.id for c in qnwmh_rules.load_ruleset(p).compiled]


@pytest.mark.parametrize("backend", ["durable", "python"])
def test_a_missing_field_of_a_list_item_leaves_the_rule_undetermined(tmp_path, backend):
    """An item lacking a field the condition reads is not read as false: the rule is undetermined and says which."""
    p = tmp_path / "r.yaml"
    p.write_text(HEAD + rule("all(f in filings, f.review.at <= params.cutoff)"), encoding="utf-8")
    facts = {"id": "a", "filings": [
        {"channel": {"kind": "industry", "unit": "u"}, "submitted_at": "2017-06-01T10:00:00+08:00",
         "review": {"status": "approved", "at": "2017-06-02T10:00:00+08:00"}},
        {"channel": {"kind": "industry", "unit": "u"}, "submitted_at": "2017-06-03T10:00:00+08:00",
         "review": {"status": "pending"}}]}
    r = qnwmh_rules.load_ruleset(p, backend=backend).evaluate(facts).rules[0]
    assert ("undetermined", ("filings[1].review.at",)) == (r.outcome, r.missing)
