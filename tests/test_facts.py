"""Facts parsing: typed values, missing vs empty, and errors that name the field path."""

import datetime as dt

import pytest

import qnwmh_rules
from qnwmh_rules import FactsError, parse_facts

BAD = [
    ({"members": {"total": 5}}, "id", "required"),
    ({"id": 7}, "id", "expected a string"),
    ({"id": "x", "members": {"total": "24"}}, "members.total", "whole number"),
    ({"id": "x", "members": {"total": True}}, "members.total", "whole number"),
    ({"id": "x", "members": {"total": -1}}, "members.total", "negative"),
    ({"id": "x", "members": {"total": 10, "aged_35_or_under": 11}}, "members.aged_35_or_under", "more than"),
    ({"id": "x", "members": {"total": 10, "chinese_nationals": 12}}, "members.chinese_nationals", "more than"),
    ({"id": "x", "members": {"total": 10**12}}, "members.total", "implausibly large"),
    ({"id": "x", "leader": {"birth_date": "1984-02-30"}}, "leader.birth_date", "impossible date"),
    ({"id": "x", "leader": {"birth_date": "02/03/1984"}}, "leader.birth_date", "YYYY-MM-DD"),
    ({"id": "x", "leader": {"nationality": "China"}}, "leader.nationality", "alpha-2"),
    ({"id": "x", "region": "guangdon"}, "region", "did you mean 'guangdong'"),
    ({"id": "x", "memebrs": {}}, "memebrs", "did you mean 'members'"),
    ({"id": "x", "members": {"totl": 3}}, "members.totl", "did you mean 'total'"),
    ({"id": "x", "members": 12}, "members", "expected an object"),
    ({"id": "x", "org_kind": "private"}, "org_kind", "expected one of"),
    ({"id": "x", "honors": {"level": "national"}}, "honors", "expected a list"),
    ({"id": "x", "honors": [{"level": "national", "kind": "named", "round": "2015-2016"}]}, "honors[0].date",
     "required"),
    ({"id": "x", "honors": [{"level": "nation", "kind": "named", "round": "2015-2016", "date": "2016-01-01"}]},
     "honors[0].level", "did you mean 'national'"),
    ({"id": "x", "honors": [{"level": "national", "kind": "named", "round": "2015-2017", "date": "2016-01-01"}]},
     "honors[0].round", "2015-2016"),
    ({"id": "x", "filings": [{"channel": {"kind": "industry", "unit": "u"}, "submitted_at": "2017-06-20",
                              "review": {"status": "pending"}}]}, "filings[0].submitted_at", "time of day"),
    ({"id": "x", "filings": [{"channel": {"kind": "industry", "unit": "u"}, "submitted_at": "yesterday",
                              "review": {"status": "pending"}}]}, "filings[0].submitted_at", "ISO 8601"),
    ({"id": "x", "filings": [{"channel": {"kind": "industry", "unit": "u"},
                              "submitted_at": "2017-06-20T10:00:00+08:00", "review": {"status": "approved"}}]},
     "filings[0].review.at", "required when the review is approved"),
    ({"id": "x", "filings": [{"channel": {"kind": "industry", "unit": "u"},
                              "submitted_at": "2017-06-20T10:00:00+08:00",
                              "review": {"status": "approved", "at": "2017-06-19T10:00:00+08:00"}}]},
     "filings[0].review.at", "earlier than submitted_at"),
    ([1, 2], "(facts)", "JSON object"),
]


@pytest.mark.parametrize("doc,field,words", BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_bad_facts_name_the_field(doc, field, words):
    """Each bad input raises FactsError naming the field path and what was expected."""
    with pytest.raises(FactsError) as info:
        parse_facts(doc)
    assert field == info.value.field
    assert words in str(info.value)
    assert isinstance(info.value, ValueError)


def test_bad_facts_never_give_a_verdict(good_facts):
    """An error anywhere in the facts stops the evaluation: nothing half-applies."""
    good_facts["filings"][0]["review"]["status"] = "approvd"
    with pytest.raises(FactsError, match=r"filings\[0\]\.review\.status"):
        qnwmh_rules.evaluate(good_facts)


def test_absent_and_null_are_missing_but_empty_lists_are_known():
    """Absent or null facts are missing; an empty list is the known fact 'none'."""
    f = parse_facts({"id": "x", "members": {"total": None}, "honors": []})
    assert "members.total" in f.missing and "filings" in f.missing
    assert "honors" not in f.missing and () == f.lists["honors"]


def test_timestamps_become_instants_in_the_ruleset_zone():
    """A naive timestamp is read in Asia/Shanghai; an offset one is converted to it."""
    f = parse_facts({"id": "x", "filings": [
        {"channel": {"kind": "industry", "unit": "u"}, "submitted_at": "2017-09-30T16:30:00Z",
         "review": {"status": "pending"}},
        {"channel": {"kind": "industry", "unit": "u"}, "submitted_at": "2017-09-30T10:00:00",
         "review": {"status": "pending"}}]})
    first, second = (i["submitted_at"] for i in f.lists["filings"])
    assert (dt.date(2017, 10, 1), 0, 30) == (first.date(), first.hour, first.minute)
    assert dt.timedelta(hours=8) == second.utcoffset()


def test_unknown_term_and_region_are_refused(good_facts):
    """Asking for a term or region that does not exist is a FactsError naming the argument."""
    with pytest.raises(FactsError, match="term"):
        qnwmh_rules.evaluate(good_facts, term="2099-2100")
    with pytest.raises(FactsError, match="did you mean 'guangdong'"):
        qnwmh_rules.evaluate(good_facts, region="guangdon")


def test_a_region_without_overlay_uses_the_national_ruleset(good_facts):
    """A known region with no overlay of its own gets the national rules."""
    assert "national" == qnwmh_rules.evaluate(good_facts, region="beijing").stamp.ruleset_id


def test_facts_after_as_of_are_refused(good_facts):
    """as_of is the moment of the verdict: facts dated after it are an error, not a quiet pass."""
    with pytest.raises(FactsError, match=r"filings\[0\]\.submitted_at.*after as_of"):
        qnwmh_rules.evaluate(good_facts, as_of="2017-06-01")
    v = qnwmh_rules.evaluate(good_facts, as_of="2017-09-30")
    assert v.stamp.as_of.startswith("2017-09-30T23:59:59")


def test_age_in_full_years_counts_birthdays():
    """周岁: a year is completed on the birthday; 29 February birthdays complete on 28 February in common years."""
    from qnwmh_rules._derive import age_in_full_years
    assert 40 == age_in_full_years(dt.date(1977, 9, 30), dt.date(2017, 9, 30))
    assert 39 == age_in_full_years(dt.date(1977, 10, 1), dt.date(2017, 9, 30))
    assert 3 == age_in_full_years(dt.date(2012, 2, 29), dt.date(2016, 2, 28))
    assert 4 == age_in_full_years(dt.date(2012, 2, 29), dt.date(2016, 2, 29))
    assert 5 == age_in_full_years(dt.date(2012, 2, 29), dt.date(2017, 2, 28))
    assert 4 == age_in_full_years(dt.date(2012, 2, 29), dt.date(2017, 2, 27))


def test_compact_dates_are_not_timestamps():
    """`20170907` is a date, not a moment: a timestamp field refuses it like `2017-09-07`."""
    with pytest.raises(FactsError, match="time of day"):
        parse_facts({"id": "x", "filings": [{"channel": {"kind": "industry", "unit": "u"},
                                              "submitted_at": "20170907", "review": {"status": "pending"}}]})


def test_unit_facts_after_as_of_are_refused():
    """The as_of check covers every date of every subject, list items included."""
    unit = {"id": "U", "activities": [{"kind": "training", "date": "2018-05-15"}]}
    with pytest.raises(FactsError, match=r"activities\[0\]\.date"):
        qnwmh_rules.evaluate(unit, subject="unit", as_of="2017-06-01")
