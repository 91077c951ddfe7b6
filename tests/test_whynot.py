"""Why not eligible: the smallest changes of the facts that would make each failed rule pass."""

import json

import pytest

from qnwmh_rules._replay import apply_patch
from qnwmh_rules._whynot import why_not

LATE = "2018-01-01"  # after the filing window and the naming cut-off have closed


def set_facts(facts, changes):
    """The example facts with dotted paths changed (see apply_patch)."""
    return apply_patch(facts, changes)


def fix_of(result, rule_id):
    """The suggestions for one failed rule."""
    return next(f for f in result.fixes if f.rule_id == rule_id)


def test_youth_share_names_the_missing_young_members_and_the_alternative_total(national, good_facts):
    """11 of 24 aged 35 or under: 1 more (12 = 24 × 0.5), or at most 22 members with 11 young ones."""
    facts = set_facts(good_facts, {"members.aged_35_or_under": 11, "members.chinese_nationals": 20})
    result = why_not(national, facts)
    fix = fix_of(result, "basic.youth_share")
    assert ["basic.youth_share"] == [f.rule_id for f in result.fixes]
    more, fewer = fix.options
    assert (("members.aged_35_or_under", 12),) == more[0].patch
    assert "1 more member aged 35 (周岁) or under: 12 instead of 11 (50% of 24 is 12, so at least 12)" == \
        more[0].change.en
    assert "35周岁以下成员增加1人：由11人增至12人（24人的50%为12人，即至少12人）" == more[0].change.zh
    assert (("members.total", 22),) == fewer[0].patch
    assert fewer[0].change.en.startswith("2 fewer members: 22 instead of 24")
    assert (True, {"members.aged_35_or_under": 12}) == (result.would_be_eligible, dict(result.patch))


def test_youth_share_counts_several_missing_members(national, good_facts):
    """10 of 24: 2 more members are needed, worded in the plural."""
    result = why_not(national, set_facts(good_facts, {"members.aged_35_or_under": 10}))
    suggestion = fix_of(result, "basic.youth_share").options[0][0]
    assert "2 more members aged 35 (周岁) or under: 12 instead of 10 (50% of 24 is 12, so at least 12)" == \
        suggestion.change.en


def test_too_few_members_gives_the_total_to_reach(national, good_facts):
    """5 members: 6 are needed."""
    facts = set_facts(good_facts, {"members.total": 5, "members.aged_35_or_under": 3, "members.chinese_nationals": 5})
    result = why_not(national, facts)
    suggestion = fix_of(result, "basic.members_range").options[0][0]
    assert ("members.total", (("members.total", 6),), True) == \
        (suggestion.fact, suggestion.patch, suggestion.changeable)
    assert "1 more member: 6 instead of 5 (at least 6)" == suggestion.change.en
    assert "集体成员增加1人：由5人增至6人（须不少于6人）" == suggestion.change.zh
    assert result.would_be_eligible


def test_leader_age_becomes_a_birth_date_bound_for_a_different_leader(national, good_facts):
    """Born 1976-09-29 is 41 on 2017-09-30 (周岁 from the day after): a different 号长 born on or after 1976-09-30."""
    result = why_not(national, set_facts(good_facts, {"leader.birth_date": "1976-09-29"}))
    (option,) = fix_of(result, "basic.leader_age").options
    (suggestion,) = option
    assert ("leader.birth_date", (("leader.birth_date", "1976-09-30"),), True) == \
        (suggestion.fact, suggestion.patch, suggestion.changeable)
    assert ("a different post leader (号长) aged 40 or under on 30 September 2017 (born on or after "
            "30 September 1976): the current one was born on 29 September 1976 and would be 41; a birth date cannot "
            "change, but another "
            "post leader (号长) can be appointed") == suggestion.change.en
    assert ("另选一位截至2017年9月30日不超过40周岁的号长（1976年9月30日或之后出生）：现任号长生于1976年9月29日，"
            "届时41周岁；出生日期无法更改，但可另选号长") == suggestion.change.zh
    assert result.would_be_eligible


def test_the_birth_date_bound_is_exact(national, good_facts):
    """The bound is the first day that passes: one day earlier fails."""
    assert "eligible" == national.evaluate(set_facts(good_facts, {"leader.birth_date": "1976-09-30"})).outcome
    assert "ineligible" == national.evaluate(set_facts(good_facts, {"leader.birth_date": "1976-09-29"})).outcome


def test_nationality_gives_the_value_required(national, good_facts):
    """A US 号长: the nationality must be CN."""
    result = why_not(national, set_facts(good_facts, {"leader.nationality": "US"}))
    suggestion = fix_of(result, "basic.leader_nationality").options[0][0]
    assert (("leader.nationality", "CN"),) == suggestion.patch
    assert "the post leader's nationality: China instead of the United States" == suggestion.change.en
    assert "号长国籍为中国（现为美国）" == suggestion.change.zh


def late_filing(facts):
    """The example's only filing moved to after the window."""
    return set_facts(facts, {"filings.0.submitted_at": "2017-10-05T10:00:00+08:00",
                             "filings.0.review.at": "2017-10-10T09:00:00+08:00"})


def test_a_filing_outside_the_window_needs_one_inside_and_the_existing_one_cannot_move(national, good_facts):
    """After the window closed, neither a new filing nor a changed submission time is possible."""
    result = why_not(national, late_filing(good_facts), as_of=LATE)
    add, correct = fix_of(result, "filing.window").options
    assert ("filings", False) == (add[0].fact, add[0].changeable)
    assert "a network filing would be needed such that: submission time: between 1 October 2015 and " \
           "30 September 2017 inclusive" == add[0].change.en
    assert "须有一项满足以下要求的网络报备：提交时间在2015年10月1日至2017年9月30日之间（含首尾两日）" == \
        add[0].change.zh
    assert "期限已于2017年9月30日届满，现已无法补办；如原有记录录入有误，应更正原记录，不得补记" == \
        add[0].why_unchangeable.zh
    assert ("filings[0].submitted_at", False) == (correct[0].fact, correct[0].changeable)
    assert "第1项网络报备是已发生事项的记录，不能更改；仅当录入有误时可更正" == correct[0].why_unchangeable.zh
    assert (False, ()) == (result.would_be_eligible, result.patch)
    assert ("filing.window", "filing.approved") == result.still_failing


def test_a_filing_outside_the_window_without_as_of_is_not_back_dated(national, good_facts):
    """With no as_of every period has ended (as the notes judge it): a filing inside the window would be a
    back-dated record, so it is not a feasible change and the collective stays ineligible (finding 79)."""
    result = why_not(national, late_filing(good_facts))
    add = fix_of(result, "filing.window").options[0][0]
    assert (False, False) == (add.changeable, result.would_be_eligible)
    assert "期限已于2017年9月30日届满" in add.why_unchangeable.zh
    assert "新增" not in result.to_text("zh")


def test_a_filing_still_possible_inside_the_window_is_made_on_the_evaluation_day(national, good_facts):
    """As of a day inside the window, a new filing can still be made, on that day (not an earlier one)."""
    facts = set_facts(good_facts, {"filings.0.submitted_at": "2015-09-30T10:00:00+08:00",
                                   "filings.0.review.at": "2015-10-08T10:00:00+08:00"})
    result = why_not(national, facts, as_of="2017-06-01")
    add = fix_of(result, "filing.window").options[0][0]
    assert (True, "2017-06-01") == (add.changeable, dict(add.patch)["filings.1"]["submitted_at"][:10])
    assert "新增一项网络报备，满足：提交时间在2015年10月1日至2017年9月30日之间（含首尾两日）" == add.change.zh


def test_the_guangdong_deadline_narrows_the_range(guangdong, good_facts):
    """A window and a deadline on the same field are shown as one range."""
    result = why_not(guangdong, late_filing(good_facts), as_of=LATE)
    add = fix_of(result, "guangdong.filing_deadline").options[0][0]
    assert add.change.zh.endswith("提交时间在2015年10月1日至2017年9月7日之间（含首尾两日）")


def test_two_channels_become_one(national, good_facts):
    """A second filing through another line: file through one channel only, withdrawing the other."""
    facts = set_facts(good_facts, {"filings.1": {
        "channel": {"kind": "locality", "unit": "广州市团委"}, "submitted_at": "2017-07-01T09:00:00+08:00",
        "review": {"status": "approved", "at": "2017-07-05T09:00:00+08:00"}}})
    result = why_not(national, facts)
    suggestion = fix_of(result, "filing.single_channel").options[0][0]
    assert (("filings.1", None),) == suggestion.patch
    assert ("keep only 1 distinct reporting channel (kind of line and its unit): withdraw network filing no. 2 "
            "(reporting channel: local line 广州市团委); keep network filing no. 1 (reporting channel: industry line "
            "广铁集团团委)") == suggestion.change.en
    assert ("报备途径（归口类别与归口单位）只保留1种：撤回第2项网络报备（报备途径为地方所属广州市团委），"
            "保留第1项网络报备（报备途径为行业所属广铁集团团委）") == suggestion.change.zh
    assert result.would_be_eligible


def test_only_a_municipal_honour_needs_a_national_or_provincial_one_and_past_dates_are_flagged(national, good_facts):
    """A national honour, or a provincial one of 2015-2016, dated by 2017-09-30: too late as of 2018."""
    result = why_not(national, set_facts(good_facts, {"honors.0.level": "municipal"}), as_of=LATE)
    options = fix_of(result, "basis.naming").options
    adds = [o[0].change.en for o in options if o[0].fact == "honors"]
    assert ["a Youth Civilization Post would be needed such that: date of the document: on or before 30 September "
            "2017; level: national",
            "a Youth Civilization Post would be needed such that: date of the document: on or before 30 September "
            "2017; level: provincial; term: 2015—2016"] == adds
    assert not any(s.changeable for o in options for s in o)
    assert all(s.why_unchangeable for o in options for s in o)


def test_a_failure_that_needs_an_unchangeable_change_leaves_the_collective_ineligible(national, good_facts):
    """The only failure cannot be fixed now: would_be_eligible is false, with the reason."""
    result = why_not(national, set_facts(good_facts, {"honors.0.level": "municipal"}), as_of=LATE)
    assert (False, "ineligible", ("basis.naming",)) == \
        (result.would_be_eligible, result.outcome_after, result.still_failing)
    ((rule, why),) = result.blockers
    assert "basis.naming" == rule
    assert ("于2017年9月30日前曾获全国青年文明号命名，或最近一届省级青年文明号命名或复核认定：所需修改现已无法做出"
            "（期限已于2017年9月30日届满，现已无法补办；如原有记录录入有误，应更正原记录，不得补记）") == why.zh


def test_two_failures_fixed_together_make_the_collective_eligible(national, good_facts):
    """300 members with 100 young ones: 200 members and 150 young ones, both patches applied, pass."""
    facts = set_facts(good_facts, {"members.total": 300, "members.aged_35_or_under": 100,
                                   "members.chinese_nationals": 190})
    result = why_not(national, facts)
    assert ["basic.members_range", "basic.youth_share"] == [f.rule_id for f in result.fixes]
    assert (True, {"members.total": 200, "members.aged_35_or_under": 150}) == \
        (result.would_be_eligible, dict(result.patch))


def test_a_patch_that_exposes_another_shortfall_is_followed_up(national, good_facts):
    """4 members, 1 young: 6 members, and then 3 young ones (half of the new total), not 2."""
    facts = set_facts(good_facts, {"members.total": 4, "members.aged_35_or_under": 1, "members.chinese_nationals": 4})
    result = why_not(national, facts)
    assert (("members.aged_35_or_under", 2),) == fix_of(result, "basic.youth_share").options[0][0].patch
    assert (True, {"members.total": 6, "members.aged_35_or_under": 3}) == \
        (result.would_be_eligible, dict(result.patch))


def test_every_changeable_patch_makes_its_rule_pass(national, good_facts):
    """Each concrete, changeable suggestion applied alone turns its rule from failed to passed."""
    cases = [{"members.aged_35_or_under": 11}, {"leader.birth_date": "1976-09-30"}, {"leader.nationality": "US"},
             {"members.total": 250, "members.chinese_nationals": 200}, {"honors.0.level": "municipal"}]
    for changes in cases:
        facts = set_facts(good_facts, changes)
        for fix in why_not(national, facts).fixes:
            for option in fix.options:
                for s in (s for s in option if s.changeable and s.patch is not None):
                    after = national.evaluate(apply_patch(facts, dict(s.patch)))
                    assert (s.fact, "passed") == (s.fact, after.rule(fix.rule_id).outcome)


def test_undetermined_rules_list_the_facts_to_supply(national, good_facts):
    """No honours given: supply them; nothing to change, and the collective is not yet eligible."""
    del good_facts["honors"]
    result = why_not(national, good_facts)
    assert ((), "undetermined") == (result.fixes, result.outcome)
    (missing,) = result.undetermined
    assert ("basis.naming", ("honors",)) == (missing.rule_id, missing.missing)
    assert (False, ("basis.naming",)) == (result.would_be_eligible, result.still_undetermined)
    assert "缺少信息：青年文明号荣誉" == result.blockers[0][1].zh.split("：", 1)[1]


def test_an_eligible_collective_needs_nothing(national, good_facts):
    """Nothing failed: no suggestions, eligible as it is."""
    result = why_not(national, good_facts)
    assert ((), (), True, ()) == (result.fixes, result.undetermined, result.would_be_eligible, result.patch)


def test_json_and_text_forms(national, good_facts):
    """to_dict is plain JSON; to_text lists the rule, its options with their patches, and the outcome after."""
    result = why_not(national, set_facts(good_facts, {"members.aged_35_or_under": 11}), as_of=LATE)
    doc = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    first = doc["fixes"][0]["options"][0][0]
    assert ({"members.aged_35_or_under": 12}, True) == (first["patch"], first["changeable"])
    assert {"members.aged_35_or_under": 12} == doc["patch"]
    en, zh = result.to_text("en"), result.to_text("zh")
    assert "  1. 1 more member aged 35 (周岁) or under: 12 instead of 11 (50% of 24 is 12, so at least 12)" \
        in en.splitlines()
    assert "→ With every feasible change (the number of members aged 35 (周岁) or under: 12) it would be eligible." \
        == en.splitlines()[-1]
    assert "GD-0001（广州南站客运车间青年班组）：不具备创建集体资格（截至2018年1月1日，北京时间）" == zh.splitlines()[0]
    assert "→ 采纳全部可行的修改（35周岁以下成员人数改为12）后即具备资格。" == zh.splitlines()[-1]
    assert "members." not in zh + en and "=" not in zh + en


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_text_marks_unchangeable_changes(national, good_facts, lang):
    """A change that cannot be made now is marked with its reason in the text."""
    text = why_not(national, late_filing(good_facts), as_of=LATE).to_text(lang)
    assert ("⚠ cannot be done now: " if lang == "en" else "⚠ 现已无法做出：") in text
