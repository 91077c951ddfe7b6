"""2017-2018 ruleset behaviour beyond the golden cases in rulesets/2017-2018/*.cases.yaml."""


import qnwmh_rules


def test_the_example_collective_is_eligible_everywhere(good_facts, guangdong):
    """The shipped example meets every rule, so each golden case changes only one thing."""
    verdict = guangdong.evaluate(good_facts)
    assert ("eligible", []) == (verdict.outcome, [r.id for r in verdict.rules if r.outcome != "passed"])


def test_missing_facts_are_listed_by_path(good_facts):
    """An undetermined verdict lists exactly the fact paths whose absence left rules undecided."""
    del good_facts["members"]["aged_35_or_under"]
    del good_facts["leader"]
    verdict = qnwmh_rules.evaluate(good_facts)
    assert "undetermined" == verdict.outcome
    assert ("leader.birth_date", "leader.nationality", "members.aged_35_or_under") == verdict.missing
    assert ("leader.birth_date",) == verdict.rule("basic.leader_age").missing


def test_a_failure_outranks_missing_facts(good_facts):
    """A failed required rule makes the verdict ineligible even if other rules are undetermined."""
    good_facts["members"]["total"] = 300
    good_facts["members"]["chinese_nationals"] = 300
    del good_facts["leader"]
    assert "ineligible" == qnwmh_rules.evaluate(good_facts).outcome


def test_rule_outcome_carries_citation_values_and_thresholds(good_facts):
    """A rule outcome shows the clause, the values it read and the thresholds it was held to."""
    good_facts["members"]["aged_35_or_under"] = 11
    r = qnwmh_rules.evaluate(good_facts).rule("basic.youth_share")
    assert "failed" == r.outcome
    assert {"members.aged_35_or_under": 11, "members.total": 24} == dict(r.values)
    assert {"youth_share_min": 0.5} == dict(r.params)
    # the basis of the basic conditions is the national notice (一、1, the 2016 measures' conditions); the
    # figures are quoted in the note from the MOT notice, the only text of them held (reader review item 16)
    assert ("N", "一、1") == (r.citation.source, r.citation.clause) and "基本条件" in r.citation.text
    assert r.citation.source_title == "关于开展“2017—2018年度全国青年文明号”创建工作的通知"
    assert r.interpretation and "inclusive" in r.interpretation and "35周岁以下青年人数占50%以上" in r.interpretation


def test_every_ambiguous_clause_has_an_interpretation(guangdong):
    """Rules built on [I] readings of DOMAIN.md carry an interpretation note."""
    rs = guangdong.ruleset
    for rule_id in ("basis.naming", "filing.window", "filing.approved", "filing.single_channel",
                    "guangdong.filing_deadline", "basic.leader_age"):
        assert rs.rule(rule_id).interpretation, rule_id
    for name in ("latest_provincial_round", "chinese_share_min", "age_reference_date"):
        assert rs.parameter(name).interpretation, name


def test_parameter_readings_reach_the_verdict(good_facts):
    """The interpretation behind a threshold (e.g. the day ages are counted on) is in the rule outcome."""
    r = qnwmh_rules.evaluate(good_facts).rule("basic.leader_age")
    assert "2017-09-30" == dict(r.params)["age_reference_date"]
    assert "No source says on which day ages are counted" in dict(r.param_notes)["age_reference_date"]
