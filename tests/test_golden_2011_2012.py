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


def test_citations_quote_the_two_notices(facts_2011):
    """Every 2011-2012 citation quotes O1 or O2 (the wording itself is checked in tests/test_fidelity.py)."""
    verdict = qnwmh_rules.evaluate(facts_2011, term=TERM)
    assert {"basic.members_range": "O1", "basic.youth_share": "O1", "basic.leader_age": "O1", "basis.naming": "O1",
            "filing.completed": "O2"} == {r.id: r.citation.source for r in verdict.rules}


def test_the_leader_age_is_counted_on_the_last_day_of_2011(facts_2011):
    """The leader's age in 周岁 is counted on 2011-12-31 (completed the day after the birthday) and held to 35."""
    facts_2011["leader"]["birth_date"] = "1975-12-30"
    r = qnwmh_rules.evaluate(facts_2011, term=TERM).rule("basic.leader_age")
    assert ("failed", {"age_completes": "day_after_birthday", "age_reference_date": "2011-12-31",
                       "leader_age_max": 35}) == (r.outcome, dict(r.params))
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
