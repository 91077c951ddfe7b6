"""Golden cases for every 2011-2012 rule: pass, fail, boundary and missing fact.

Each case starts from a collective that meets every 2011-2012 rule and changes one thing;
it names the rule it is about and the outcome expected of that rule and of the verdict.
The cross-term cases at the end evaluate the same facts under 2011-2012 and 2017-2018.
"""

import copy
import json
from pathlib import Path

import pytest

import qnwmh_rules

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "rulesets" / "examples" / "collective-2011-0001.json"
TERM = "2011-2012"
DELETE = object()


def patch(doc, changes):
    for path, value in changes.items():
        node = doc
        *heads, last = path.split(".")
        for h in heads:
            node = node[int(h)] if isinstance(node, list) else node.setdefault(h, {})
        if value is DELETE:
            if isinstance(node, list):
                del node[int(last)]
            else:
                node.pop(last, None)
        elif isinstance(node, list) and int(last) == len(node):
            node.append(value)
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return doc


@pytest.fixture(scope="module")
def national_2011():
    return qnwmh_rules.load_ruleset(term=TERM)


@pytest.fixture
def facts_2011():
    """A collective that meets every 2011-2012 rule."""
    return copy.deepcopy(json.loads(EXAMPLE.read_text(encoding="utf-8")))


CASES = [
    # basic.members_range
    ("ten members is the smallest allowed size", {"members.total": 10, "members.aged_35_or_under": 6,
                                                  "members.chinese_nationals": 10},
     "basic.members_range", "passed", "eligible"),
    ("nine members is too few", {"members.total": 9, "members.aged_35_or_under": 9,
                                 "members.chinese_nationals": 9},
     "basic.members_range", "failed", "ineligible"),
    ("two hundred members is the largest allowed size", {"members.total": 200, "members.aged_35_or_under": 120,
                                                         "members.chinese_nationals": 200},
     "basic.members_range", "passed", "eligible"),
    ("two hundred and one members is too many", {"members.total": 201, "members.aged_35_or_under": 150,
                                                  "members.chinese_nationals": 201},
     "basic.members_range", "failed", "ineligible"),
    ("an unknown member count leaves the size undetermined", {"members.total": DELETE},
     "basic.members_range", "undetermined", "undetermined"),
    # basic.youth_share
    ("exactly sixty percent aged 35 or under is enough", {"members.aged_35_or_under": 18}, "basic.youth_share",
     "passed", "eligible"),
    ("seventeen of thirty aged 35 or under is too few", {"members.aged_35_or_under": 17}, "basic.youth_share",
     "failed", "ineligible"),
    ("six of ten aged 35 or under is exactly enough", {"members.total": 10, "members.aged_35_or_under": 6,
                                                       "members.chinese_nationals": 10},
     "basic.youth_share", "passed", "eligible"),
    ("an unknown youth count leaves the youth share undetermined", {"members.aged_35_or_under": DELETE},
     "basic.youth_share", "undetermined", "undetermined"),
    ("an unknown member total leaves the youth share undetermined", {"members.total": DELETE},
     "basic.youth_share", "undetermined", "undetermined"),
    # basic.leader_age
    ("a leader turning 36 the day after the reference day is still 35", {"leader.birth_date": "1976-01-01"},
     "basic.leader_age", "passed", "eligible"),
    ("a leader turning 36 on the reference day is too old", {"leader.birth_date": "1975-12-31"},
     "basic.leader_age", "failed", "ineligible"),
    ("a leader without a birth date leaves the age undetermined", {"leader.birth_date": DELETE},
     "basic.leader_age", "undetermined", "undetermined"),
    # basis.naming
    ("a national honour of an earlier term counts",
     {"honors.0": {"level": "national", "kind": "named", "round": "2005-2006", "date": "2006-05-04"}},
     "basis.naming", "passed", "eligible"),
    ("a national review confirmation counts whatever its kind",
     {"honors.0": {"level": "national", "kind": "review_confirmed", "round": "2009-2010", "date": "2010-06-01"}},
     "basis.naming", "passed", "eligible"),
    ("a provincial review confirmation of the latest round does not count",
     {"honors.0": {"level": "provincial", "kind": "review_confirmed", "round": "2009-2010", "date": "2010-06-01"}},
     "basis.naming", "failed", "ineligible"),
    ("a provincial honour of an older round does not count",
     {"honors.0": {"level": "provincial", "kind": "named", "round": "2007-2008", "date": "2008-05-04"}},
     "basis.naming", "failed", "ineligible"),
    ("a municipal honour does not count",
     {"honors.0": {"level": "municipal", "kind": "named", "round": "2009-2010", "date": "2010-05-04"}},
     "basis.naming", "failed", "ineligible"),
    ("a provincial naming dated the last day of 2011 counts",
     {"honors.0": {"level": "provincial", "kind": "named", "round": "2009-2010", "date": "2011-12-31"}},
     "basis.naming", "passed", "eligible"),
    ("a provincial naming dated 1 January 2012 does not count",
     {"honors.0": {"level": "provincial", "kind": "named", "round": "2009-2010", "date": "2012-01-01"}},
     "basis.naming", "failed", "ineligible"),
    ("a national naming dated 1 January 2012 does not count",
     {"honors.0": {"level": "national", "kind": "named", "round": "2009-2010", "date": "2012-01-01"}},
     "basis.naming", "failed", "ineligible"),
    ("a review confirmation beside a valid naming does not spoil it",
     {"honors.1": {"level": "provincial", "kind": "review_confirmed", "round": "2009-2010", "date": "2011-03-01"}},
     "basis.naming", "passed", "eligible"),
    ("no honours at all fails the naming basis", {"honors": []}, "basis.naming", "failed", "ineligible"),
    ("unknown honours leave the naming basis undetermined", {"honors": DELETE}, "basis.naming", "undetermined",
     "undetermined"),
    # filing.completed
    ("a filing in the last second of 29 February 2012 counts",
     {"filings.0.submitted_at": "2012-02-29T23:59:59+08:00", "filings.0.review.at": "2012-03-02T09:00:00+08:00"},
     "filing.completed", "passed", "eligible"),
    ("a filing at midnight on 1 March 2012 is too late",
     {"filings.0.submitted_at": "2012-03-01T00:00:00+08:00", "filings.0.review.at": "2012-03-02T09:00:00+08:00"},
     "filing.completed", "failed", "ineligible"),
    ("a filing stamped in UTC is judged by the Beijing calendar day",
     {"filings.0.submitted_at": "2012-02-29T16:00:00+00:00", "filings.0.review.at": "2012-03-02T09:00:00+08:00"},
     "filing.completed", "failed", "ineligible"),
    ("a filing still pending review counts as completed", {"filings.0.review": {"status": "pending"}},
     "filing.completed", "passed", "eligible"),
    ("a rejected filing still counts as completed", {"filings.0.review.status": "rejected"},
     "filing.completed", "passed", "eligible"),
    ("no filings fails the filing rule", {"filings": []}, "filing.completed", "failed", "ineligible"),
    ("unknown filings leave the filing rule undetermined", {"filings": DELETE}, "filing.completed",
     "undetermined", "undetermined"),
]


@pytest.mark.parametrize("backend", ["durable", "python"])
@pytest.mark.parametrize("name,changes,rule_id,rule_outcome,verdict_outcome", CASES, ids=[c[0] for c in CASES])
def test_national_2011_case(facts_2011, name, changes, rule_id, rule_outcome, verdict_outcome, backend):
    """Each 2011-2012 golden case gives its rule outcome and verdict outcome on both backends."""
    verdict = qnwmh_rules.evaluate(patch(facts_2011, changes), term=TERM, backend=backend)
    assert (rule_outcome, verdict_outcome) == (verdict.rule(rule_id).outcome, verdict.outcome), name
    others = [r.id for r in verdict.rules if r.id != rule_id and r.outcome != "passed"]
    # only the rule under test (and rules reading the same member counts) may move
    assert all(r.startswith("basic.") for r in others), others


def test_every_rule_has_pass_fail_and_undetermined_cases(national_2011):
    """The golden table covers every 2011-2012 rule in all three outcomes."""
    covered = {(c[2], c[3]) for c in CASES}
    for rule in national_2011.ruleset.rules:
        for outcome in ("passed", "failed", "undetermined"):
            assert (rule.id, outcome) in covered, (rule.id, outcome)


@pytest.mark.parametrize("backend", ["durable", "python"])
def test_the_example_collective_is_eligible(facts_2011, backend):
    """The shipped 2011 example meets every 2011-2012 rule, so each golden case changes only one thing."""
    verdict = qnwmh_rules.evaluate(facts_2011, term=TERM, backend=backend)
    assert ("eligible", []) == (verdict.outcome, [r.id for r in verdict.rules if r.outcome != "passed"])


def test_the_ruleset_has_the_expected_rules(national_2011):
    """The 2011-2012 ruleset holds five rules and no nationality or approval rule."""
    expected = ["basic.members_range", "basic.youth_share", "basic.leader_age", "basis.naming", "filing.completed"]
    assert expected == [r.id for r in national_2011.ruleset.rules]


def test_every_ambiguous_clause_has_an_interpretation(national_2011):
    """Every 2011-2012 rule and every parameter read without a settling source carries an interpretation."""
    rs = national_2011.ruleset
    for rule in rs.rules:
        assert rule.interpretation, rule.id
    for name in ("age_reference_date", "naming_cutoff", "latest_provincial_round", "filing_deadline"):
        assert rs.parameter(name).interpretation, name


def test_citations_say_they_are_restatements(facts_2011):
    """No 2011-2012 citation pretends to quote the notice: each says the text is not held."""
    verdict = qnwmh_rules.evaluate(facts_2011, term=TERM)
    for r in verdict.rules:
        assert "O" == r.citation.source
        assert r.citation.text.startswith("（原文未收录；据2011—2012年度行业通知转述）"), r.id


def test_the_leader_age_is_counted_on_the_last_day_of_2011(facts_2011):
    """The leader's age in 周岁 is counted on 2011-12-31 and held to 35."""
    facts_2011["leader"]["birth_date"] = "1975-12-31"
    r = qnwmh_rules.evaluate(facts_2011, term=TERM).rule("basic.leader_age")
    assert ("failed", {"age_reference_date": "2011-12-31", "leader_age_max": 35}) == (r.outcome, dict(r.params))
    assert 36 == dict(r.values)["derived.leader_age"]


# Cross-term cases: the same facts under both terms, showing what changed between rulesets.

SHARED_RULES = ("basic.members_range", "basic.youth_share", "basic.leader_age", "basis.naming")


def test_shared_rules_keep_their_ids_across_terms(national_2011):
    """Rules with the same meaning in both terms have the same id, so a diff matches them."""
    ids_2017 = {r.id for r in qnwmh_rules.load_ruleset(term="2017-2018").ruleset.rules}
    ids_2011 = {r.id for r in national_2011.ruleset.rules}
    assert set(SHARED_RULES) == ids_2011 & ids_2017


def both_terms(facts, rule_id, backend):
    return tuple(qnwmh_rules.evaluate(copy.deepcopy(facts), term=term, backend=backend).rule(rule_id).outcome
                 for term in ("2017-2018", TERM))


@pytest.mark.parametrize("backend", ["durable", "python"])
def test_eight_members_pass_2017_and_fail_2011(facts_2011, backend):
    """A collective of eight members is large enough for 2017-2018 but too small for 2011-2012."""
    patch(facts_2011, {"members.total": 8, "members.aged_35_or_under": 6, "members.chinese_nationals": 8})
    assert ("passed", "failed") == both_terms(facts_2011, "basic.members_range", backend)


@pytest.mark.parametrize("backend", ["durable", "python"])
def test_fifty_five_percent_youth_passes_2017_and_fails_2011(facts_2011, backend):
    """Eleven of twenty members aged 35 or under meets the 2017-2018 share but not the 2011-2012 one."""
    patch(facts_2011, {"members.total": 20, "members.aged_35_or_under": 11, "members.chinese_nationals": 20})
    assert ("passed", "failed") == both_terms(facts_2011, "basic.youth_share", backend)


@pytest.mark.parametrize("backend", ["durable", "python"])
def test_a_leader_aged_38_passes_2017_and_fails_2011(facts_2011, backend):
    """A leader aged 38 on the term's reference day is young enough for 2017-2018 but not for 2011-2012."""
    # ages are counted on each term's own reference day (2017-09-30 and 2011-12-31),
    # so the same age of 38 needs a birth date per term
    outcomes, ages = [], []
    for term, birth_date in (("2017-2018", "1979-06-01"), (TERM, "1973-06-01")):
        facts = patch(copy.deepcopy(facts_2011), {"leader.birth_date": birth_date})
        r = qnwmh_rules.evaluate(facts, term=term, backend=backend).rule("basic.leader_age")
        outcomes.append(r.outcome)
        ages.append(dict(r.values)["derived.leader_age"])
    assert (["passed", "failed"], [38, 38]) == (outcomes, ages)


@pytest.mark.parametrize("backend", ["durable", "python"])
def test_a_provincial_review_confirmation_counts_only_in_2017(facts_2011, backend):
    """A provincial review confirmation of the latest round is a naming basis in 2017-2018 but not in 2011-2012."""
    outcomes = []
    for term, honour in (("2017-2018", {"level": "provincial", "kind": "review_confirmed",
                                        "round": "2015-2016", "date": "2017-03-01"}),
                         (TERM, {"level": "provincial", "kind": "review_confirmed",
                                 "round": "2009-2010", "date": "2011-03-01"})):
        facts = patch(copy.deepcopy(facts_2011), {"honors.0": honour})
        outcomes.append(qnwmh_rules.evaluate(facts, term=term, backend=backend).rule("basis.naming").outcome)
    assert ["passed", "failed"] == outcomes
