"""Explanations of a verdict: the auditor's note in text and HTML, in Chinese and English."""

import json
import re

import attrs
import pytest

import qnwmh_rules
from qnwmh_rules._explain import explain_html, explain_text


def lines(text):
    return text.splitlines()


@pytest.fixture
def youth_fail(good_facts, guangdong):
    """The example collective with 11 of 24 members aged 35 or under: only basic.youth_share fails."""
    good_facts["members"]["aged_35_or_under"] = 11
    return guangdong.evaluate(good_facts)


@pytest.fixture
def window_open(good_facts, guangdong):
    """No filings yet, as of 2017-09-20: the national window is still open."""
    good_facts["filings"] = []
    return guangdong.evaluate(good_facts, as_of="2017-09-20")


def test_the_outcome_sentence_comes_first_in_chinese(youth_fail):
    """The zh note opens with one sentence: collective, outcome, ruleset id, version, term and region."""
    assert "集体 GD-0001 不符合资格（ineligible），依据 2017-2018 年度规则集 guangdong 2.0.1（地区：guangdong）。" == \
        lines(explain_text(youth_fail))[0]


def test_the_outcome_sentence_comes_first_in_english(youth_fail):
    """The en note opens with the same sentence in English."""
    assert "Collective GD-0001 is ineligible under the 2017-2018 ruleset guangdong 2.0.1 (region: guangdong)." == \
        lines(explain_text(youth_fail, lang="en"))[0]


def test_a_national_verdict_names_no_region(good_facts):
    """Without an overlay the sentence says the region is national (全国)."""
    v = qnwmh_rules.evaluate(good_facts)
    assert "集体 GD-0001 符合资格（eligible），依据 2017-2018 年度规则集 national 2.0.1（地区：全国）。" == \
        lines(explain_text(v))[0]


def test_failed_youth_share_is_phrased_in_chinese(youth_fail):
    """A failed share rule gives the share, the counts and the threshold in one zh sentence."""
    assert "   核查：成员35周岁以下占比 46%（11/24），低于要求的 50%。" in lines(explain_text(youth_fail))


def test_failed_youth_share_is_phrased_in_english(youth_fail):
    """The same finding in English."""
    assert "   Finding: 11 of 24 members (46 %) are aged 35 or under, below the required 50 %." in \
        lines(explain_text(youth_fail, lang="en"))


def test_a_failed_rule_quotes_the_clause_it_cites(youth_fail):
    """The failed rule's heading is followed by its source title, clause and the clause's own text, quoted."""
    text = lines(explain_text(youth_fail))
    i = text.index("1. 35周岁以下青年人数占50%以上（basic.youth_share）")
    assert "   依据：《2017—2018年度交通运输行业全国青年文明号评选（交通运输部2017年通知，经交通运输部同意）》" \
           "二（一）：" \
           "“总人数在6人以上、200人以下，其中35周岁以下青年人数占50%以上。”" == text[i + 1]


def test_a_share_just_below_the_threshold_is_not_rounded_up_to_it(good_facts):
    """124 of 250 (49.6 %) is shown with a decimal, so it never reads "50 %, below 50 %"."""
    good_facts["members"] = {"total": 250, "aged_35_or_under": 124, "chinese_nationals": 250}
    v = qnwmh_rules.evaluate(good_facts)
    assert "   Finding: 124 of 250 members (49.6 %) are aged 35 or under, below the required 50 %." in \
        lines(explain_text(v, lang="en"))


def test_other_failed_rules_are_phrased_per_rule(good_facts, guangdong):
    """Member range, leader age and nationality, honours and channels each get their own sentence."""
    good_facts["members"] = {"total": 5, "aged_35_or_under": 5, "chinese_nationals": 5}
    good_facts["leader"] = {"birth_date": "1976-05-01", "nationality": "US"}
    good_facts["honors"] = [{"level": "municipal", "kind": "named", "round": "2015-2016", "date": "2016-05-04"}]
    good_facts["filings"].append({"channel": {"kind": "locality", "unit": "共青团广州市委"},
                                  "submitted_at": "2017-07-01T09:00:00+08:00", "review": {"status": "pending"}})
    text = lines(explain_text(guangdong.evaluate(good_facts)))
    assert ["   核查：集体成员 5 人，不在 6–200 人之间。",
            "   核查：号长 2017-09-30 时 41 周岁，超过 40 周岁（出生日期 1976-05-01）。",
            "   核查：号长国籍为 US，不是要求的 CN。",
            "   核查：读取的荣誉：市级命名（2015-2016 届，2016-05-04）；无一符合要求：2017-09-30 前（含当日）的"
            "全国青年文明号荣誉，或 2015-2016 届省级命名或复核认定。",
            "   核查：通过 2 个归口渠道报备（行业归口“广铁集团团委”；地方归口“共青团广州市委”）"
            "（计入的报备：filings[0]；filings[1]），超过允许的 1 个。",
            ] == [x for x in text if x.startswith("   核查：")]


def test_a_failed_filing_rule_lists_the_filings_read(good_facts, guangdong):
    """A filing rule lists every filing it read and what one of them had to meet."""
    good_facts["filings"][0]["submitted_at"] = "2017-09-10T10:15:00+08:00"
    good_facts["filings"][0]["review"]["at"] = "2017-09-12T09:00:00+08:00"
    v = guangdong.evaluate(good_facts)
    assert "   Finding: Filings read: submitted 2017-09-10 10:15:00+08:00 through the industry line “广铁集团团委”, " \
           "approved 2017-09-12 09:00:00+08:00; requirement not met: at least one filing submitted within " \
           "2015-10-01 to 2017-09-30 (both days included, Asia/Shanghai), and submitted on or before 2017-09-07." \
        in lines(explain_text(v, lang="en"))


def test_an_unrecognised_condition_is_worded_generically(youth_fail):
    """A condition of no known shape still says what was read and what it was held to."""
    r = youth_fail.rule("basic.members_range")
    odd = attrs.evolve(r, outcome="failed", condition="members.total > params.members_min + params.members_max")
    v = attrs.evolve(youth_fail, rules=(odd, *youth_fail.rules[1:]))
    assert "   Finding: read: members.total = 24; held to: members_max = 200; members_min = 6 " \
           "(condition: members.total > params.members_min + params.members_max)." in lines(explain_text(v, lang="en"))


def test_undetermined_rules_list_their_missing_facts(good_facts, guangdong):
    """With the leader removed, each undetermined rule names the fact path it lacks and what it requires."""
    del good_facts["leader"]
    text = lines(explain_text(guangdong.evaluate(good_facts), lang="en"))
    assert "Missing facts: leader.birth_date, leader.nationality." == text[2]
    i = text.index("1. The 号长 (leader) is aged 40 or under (basic.leader_age)")
    assert ["   Missing facts: leader.birth_date",
            "   Required: the 号长 (leader) aged 40 or under on 2017-09-30."] == text[i + 2:i + 4]
    assert "   Missing facts: leader.nationality" in text


def test_undetermined_rules_give_the_window_open_reason_in_english(window_open):
    """A rule pending on an open window says so, in the note's language only."""
    text = lines(explain_text(window_open, lang="en"))
    i = text.index("1. Network filing completed within the filing window (filing.window)")
    assert ["   Finding: No filings on record; required: at least one filing submitted within 2015-10-01 to "
            "2017-09-30 (both days included, Asia/Shanghai).",
            "   Reason: not yet due: the last day of params.filing_window is 2017-09-30 (Asia/Shanghai), 10 days "
            "left; decided from 2017-10-01"] == text[i + 2:i + 4]


def test_undetermined_rules_give_the_window_open_reason_in_chinese(window_open):
    """The same reason in Chinese."""
    assert 2 == lines(explain_text(window_open)).count(
        "   原因：尚未到期：params.filing_window 至2017-09-30（Asia/Shanghai）止，还剩10天；2017-10-01起判定")


def test_sections_come_in_order(window_open):
    """Failed, then undetermined, then passed rules, then interpretations, then the stamp."""
    headings = ["未通过的规则（1）", "待定的规则（2）", "通过的规则（7）", "采用的解释", "可复现信息"]
    assert headings == [x for x in lines(explain_text(window_open)) if x in headings]


def test_passed_rules_take_one_line_each(youth_fail):
    """Each passed rule is one line: title, id and what was read against what."""
    text = lines(explain_text(youth_fail, lang="en"))
    assert "- The collective has between 6 and 200 members (basic.members_range): The collective has 24 members, " \
           "within 6–200." in text
    i = text.index("Rules passed (9)")
    assert 9 == sum(x.startswith("- ") for x in text[i + 1:text.index("Interpretations applied")])


def test_interpretations_applied_are_listed(youth_fail):
    """Rule interpretations and parameter notes appear, each parameter once with the rules using it."""
    text = lines(explain_text(youth_fail, lang="en"))
    assert "- rule basic.youth_share: \"占50%以上\" is read as inclusive: exactly half is enough. Ages are those " \
           "of the members on the day the filing system records them; no reference day is stated for this count." \
           in text
    note = "- parameter age_reference_date (used by basic.leader_age): No source says"
    assert 1 == sum(x.startswith(note) for x in text)


def test_the_stamp_is_reproduced(window_open):
    """The stamp gives ruleset id, term, version, layers, both sha256, library version, engine and as_of."""
    s = window_open.stamp
    text = explain_text(window_open, lang="en")
    assert text.endswith("\n".join([
        "Reproducibility stamp", "- ruleset: guangdong", "- term: 2017-2018", "- version: 2.0.1",
        "- region: guangdong", "- layers (base first): 2017-2018/national@2.0.1 → 2017-2018/guangdong@2.0.1",
        f"- ruleset sha256: {s.ruleset_sha256}", f"- library version: {qnwmh_rules.__version__}",
        f"- engine: {s.engine}", "- as_of: 2017-09-20T23:59:59.999999+08:00", f"- facts sha256: {s.facts_sha256}",
    ]) + "\n")


def test_html_is_self_contained(window_open):
    """The HTML page fetches nothing and runs nothing: no URLs, scripts or src attributes."""
    page = explain_html(window_open)
    assert ([], True, True) == ([x for x in ("http://", "https://", "<script", "src=", "<link", "@import", "url(")
                                 if x in page], '<meta charset="utf-8">' in page, "@media print" in page)


def test_html_escapes_facts(good_facts, guangdong):
    """A `<b>` in the collective's id and in a filing unit is shown as text, never as markup."""
    good_facts["id"] = "GD-<b>1</b>"
    good_facts["filings"][0]["channel"]["unit"] = "<b>团委</b>"
    page = explain_html(guangdong.evaluate(good_facts))
    assert (False, True, True) == ("<b>" in page, "GD-&lt;b&gt;1&lt;/b&gt;" in page, "&lt;b&gt;团委&lt;/b&gt;" in page)


def test_html_has_one_section_per_outcome_present(window_open):
    """Failed, undetermined and passed each get one colour-coded section; absent outcomes get none."""
    page = explain_html(window_open, lang="en")
    sections = re.findall(r'<section class="outcome outcome-(\w+)"', page)
    assert ["failed", "undetermined", "passed"] == sections


def test_html_has_a_section_for_not_applicable_rules(youth_fail):
    """A not_applicable rule gets its own section after the passed ones."""
    rules = tuple(attrs.evolve(r, outcome="not_applicable") if r.id == "basic.chinese_share" else r
                  for r in youth_fail.rules)
    page = explain_html(attrs.evolve(youth_fail, rules=rules))
    assert ["failed", "passed", "not_applicable"] == re.findall(r'<section class="outcome outcome-(\w+)"', page)


def test_html_carries_the_same_findings(youth_fail):
    """The HTML holds the outcome sentence, the finding and the stamp's hashes."""
    page = explain_html(youth_fail)
    assert [True, True, True] == [x in page for x in (
        "集体 GD-0001 不符合资格（ineligible）", "成员35周岁以下占比 46%（11/24），低于要求的 50%。",
        youth_fail.stamp.ruleset_sha256)]


@pytest.mark.parametrize("explain", [explain_text, explain_html])
def test_an_unknown_language_is_refused(youth_fail, explain):
    """Only "zh" and "en" are known; anything else is a ValueError."""
    with pytest.raises(ValueError, match="lang"):
        explain(youth_fail, lang="fr")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("explain", [explain_text, explain_html])
def test_a_verdict_read_back_from_json_explains_identically(window_open, explain, lang):
    """Verdict.from_dict(to_dict()) and from its JSON explain byte-for-byte like the verdict itself."""
    back = qnwmh_rules.Verdict.from_dict(window_open.to_dict())
    again = qnwmh_rules.Verdict.from_dict(json.loads(window_open.to_json()))
    assert [explain(window_open, lang=lang)] * 2 == [explain(back, lang=lang), explain(again, lang=lang)]


@pytest.mark.parametrize("written", ["members.aged_35_or_under>=members.total*params.youth_share_min",
                                     "members.aged_35_or_under >= (members.total * params.youth_share_min)",
                                     "members.aged_35_or_under\n  >= members.total * params.youth_share_min"])
def test_a_shape_is_recognised_on_the_tree_not_on_the_text(youth_fail, written):
    """The same condition written with other spacing or parentheses gives the same finding."""
    r = youth_fail.rule("basic.youth_share")
    v = attrs.evolve(youth_fail, rules=tuple(attrs.evolve(x, condition=written) if x.id == r.id else x
                                             for x in youth_fail.rules))
    assert "   Finding: 11 of 24 members (46 %) are aged 35 or under, below the required 50 %." in \
        lines(explain_text(v, lang="en"))


def test_a_recorded_condition_names_the_parameters_its_constants_hold():
    """The recorded tree keeps each parameter's name beside its recorded value, and item names."""
    from qnwmh_rules._check import recorded_condition
    from qnwmh_rules._tree import And, Cmp, Const, Fact, InWindow, Item, Quant

    tree = recorded_condition("members.total >= params.lo and any(f in filings, f.submitted_at in params.w)",
                              {"lo": 6, "w": {"start": "2017-06-01", "end": "2017-09-30", "time_zone": "UTC"}})
    assert isinstance(tree, And)
    first, second = tree.items
    assert Cmp(">=", Fact("members.total", ""), Const(6, "number")) == first
    assert "lo" == first.right.param
    assert isinstance(second, Quant) and isinstance(second.body, InWindow)
    assert (Item("filings", "submitted_at", ""), "f", "w") == (second.body.left, second.body.left.var,
                                                               second.body.param)


def test_an_unparsable_recorded_condition_is_worded_generically(youth_fail):
    """A verdict whose condition is not a condition at all still explains, generically."""
    v = attrs.evolve(youth_fail, rules=tuple(attrs.evolve(x, condition="members.total >=") for x in youth_fail.rules))
    assert "(condition: members.total >=)" in explain_text(v, lang="en")
