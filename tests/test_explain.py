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


def test_the_headline_comes_first_in_chinese(youth_fail, good_facts):
    """The zh note opens with the document kind, then one sentence: subject, name, outcome, term, ruleset, version."""
    assert ["青年文明号创建集体资格核查说明", "",
            "GD-0001（广州南站客运车间青年班组）不具备2017—2018年度全国青年文明号创建集体资格"
            "（依据广东规则集2.0.2版；未指定评估时点，按各期限均已届满评估）"] == \
        lines(explain_text(youth_fail, facts=good_facts))[:3]


def test_the_headline_comes_first_in_english(youth_fail):
    """The en note opens with the same sentence in English."""
    assert "GD-0001 is not eligible as a 2017—2018 national 青年文明号 creation collective (under the Guangdong " \
           "ruleset, version 2.0.2; no evaluation date given: every deadline is taken as passed)." == \
        lines(explain_text(youth_fail, lang="en"))[2]


def test_the_headline_gives_the_evaluation_date(good_facts):
    """With as_of, the headline opens with the day in Beijing time; a national verdict cites the national ruleset."""
    v = qnwmh_rules.evaluate(good_facts, as_of="2017-10-15")
    assert "截至2017年10月15日（北京时间），GD-0001具备2017—2018年度全国青年文明号创建集体资格" \
           "（依据全国规则集2.0.2版）" \
        == lines(explain_text(v))[2]


def test_failed_youth_share_is_phrased_in_chinese(youth_fail):
    """A failed share rule gives requirement, finding and conclusion, each labelled."""
    text = lines(explain_text(youth_fail))
    i = text.index("1. 35周岁以下青年人数占50%以上")
    assert ["   要求：35周岁以下青年人数占集体人数50%以上。",
            "   核查情况：集体成员24人，其中35周岁以下11人，占46%，低于50%。",
            "   核查结论：不符合"] == text[i + 2:i + 5]


def test_failed_youth_share_is_phrased_in_english(youth_fail):
    """The same finding in English."""
    assert "   Finding: 11 of 24 members (46%) are aged 35 or under, below 50%." in \
        lines(explain_text(youth_fail, lang="en"))


def test_a_failed_rule_quotes_the_clause_it_cites(youth_fail):
    """The failed rule's heading is followed by its source title, clause and the clause's own text, quoted."""
    text = lines(explain_text(youth_fail))
    i = text.index("1. 35周岁以下青年人数占50%以上")
    assert "   依据：《关于开展“2017—2018年度全国青年文明号”创建工作的通知》一、1：" \
           "“集体需符合2016年11月颁布的《青年文明号管理办法》中规定的集体基本条件。”" == text[i + 1]


def test_a_share_just_below_the_threshold_is_not_rounded_up_to_it(good_facts):
    """124 of 250 (49.6 %) is shown with a decimal, so it never reads "50 %, below 50 %"."""
    good_facts["members"] = {"total": 250, "aged_35_or_under": 124, "chinese_nationals": 250}
    v = qnwmh_rules.evaluate(good_facts)
    assert "   Finding: 124 of 250 members (49.6%) are aged 35 or under, below 50%." in \
        lines(explain_text(v, lang="en"))


def test_other_failed_rules_are_phrased_per_rule(good_facts, guangdong):
    """Member range, leader age and nationality, honours and channels each get their own sentence."""
    good_facts["members"] = {"total": 5, "aged_35_or_under": 5, "chinese_nationals": 5}
    good_facts["leader"] = {"birth_date": "1976-05-01", "nationality": "US"}
    good_facts["honors"] = [{"level": "municipal", "kind": "named", "round": "2015-2016", "date": "2016-05-04"}]
    good_facts["filings"].append({"channel": {"kind": "locality", "unit": "共青团广州市委"},
                                  "submitted_at": "2017-07-01T09:00:00+08:00", "review": {"status": "pending"}})
    text = lines(explain_text(guangdong.evaluate(good_facts)))
    assert ["   核查情况：集体成员5人，不在6至200人之间。",
            "   核查情况：截至2017年9月30日，号长已满41周岁（出生日期1976年5月1日），超过40周岁。",
            "   核查情况：号长国籍为美国，不具有中国国籍。",
            "   核查情况：2015—2016年度地市级青年文明号（命名，文件日期2016年5月4日）；"
            "没有全国青年文明号命名，也没有最近一届（2015—2016年度）省级青年文明号命名或复核认定。",
            "   核查情况：本届报备期内报备途径2个，属多途径申报（计入的报备："
            "北京时间2017年6月20日10:15经行业所属归口单位广铁集团团委报备，审核通过（北京时间2017年6月28日9:00）；"
            "北京时间2017年7月1日9:00经地方所属归口单位共青团广州市委报备，待审核）。",
            ] == [x for x in text if x.startswith("   核查情况：")]


def test_a_failed_filing_rule_lists_the_filings_read(good_facts, guangdong):
    """A filing rule lists every filing it read and says what none of them met."""
    good_facts["filings"][0]["submitted_at"] = "2017-09-10T10:15:00+08:00"
    good_facts["filings"][0]["review"]["at"] = "2017-09-12T09:00:00+08:00"
    text = lines(explain_text(guangdong.evaluate(good_facts), lang="en"))
    i = text.index("1. Network filing completed by 7 September 2017 (Guangdong deadline)")
    assert ["   Required: A network filing in the Youth Civilization Post online office system on or before "
            "7 September 2017.",
            "   Finding: Filings on record: filed 10 September 2017, 10:15 Beijing time through the industry line "
            "with 广铁集团团委, approved (12 September 2017, 9:00 Beijing time); none was submitted on or before "
            "7 September 2017."] == text[i + 2:i + 4]


def test_a_rule_without_templates_is_worded_from_the_labels(youth_fail, guangdong):
    """A rule whose ruleset declares no finding reads its values under their labels: no path, JSON or condition."""
    rs = guangdong.ruleset
    bare = attrs.evolve(rs, rules=tuple(attrs.evolve(r, finding=None) for r in rs.rules))
    text = lines(explain_text(youth_fail, ruleset=bare))
    i = text.index("1. 35周岁以下青年人数占50%以上")
    assert ["   要求：35周岁以下青年人数占50%以上。", "   核查情况：35周岁以下成员人数：11；集体成员总数：24。"] == \
        text[i + 2:i + 4]


def test_undetermined_rules_list_their_missing_facts(good_facts, guangdong):
    """With the leader removed, each undetermined rule names the information it lacks, by its label."""
    del good_facts["leader"]
    text = lines(explain_text(guangdong.evaluate(good_facts)))
    assert "缺少信息：号长出生日期、号长国籍。" == text[4]
    i = text.index("1. 号长年龄不超过40周岁")
    assert ["   要求：截至2017年9月30日，号长不超过40周岁。", "   缺少信息：号长出生日期",
            "   核查结论：尚无法判定"] == \
        text[i + 2:i + 5]


def test_undetermined_rules_give_the_window_open_reason_in_english(window_open):
    """A rule waiting for an open window says until when, and from when it is decided."""
    text = lines(explain_text(window_open, lang="en"))
    i = text.index("1. Network filing completed between 1 October 2015 and 30 September 2017")
    assert ["   Finding: Filings on record: none; none within the filing window yet.",
            "   Why undetermined: Not yet due: the period ends on 30 September 2017 (Beijing time); decided from "
            "1 October 2017."] == text[i + 3:i + 5]


def test_undetermined_rules_give_the_window_open_reason_in_chinese(window_open):
    """The same reason in Chinese, with Chinese dates and Beijing time, and no count of days left."""
    text = explain_text(window_open)
    reason = "   无法判定的原因：期限至2017年9月30日（北京时间）止，尚未届满；2017年10月1日起判定。"
    assert (2, False) == (lines(text).count(reason),
                          "还剩" in text)


def test_sections_come_in_order(window_open):
    """Conditions not met, then not yet decidable, then met, then interpretations, then the stamp."""
    headings = ["不符合的条件（1项）", "尚无法判定的条件（2项）", "符合的条件（7项）", "采用的解释", "可复现信息"]
    assert headings == [x for x in lines(explain_text(window_open)) if x in headings]


def test_passed_rules_take_one_line_each(youth_fail):
    """Each condition met is one line: its title and its finding."""
    text = lines(explain_text(youth_fail, lang="en"))
    assert "- The collective has between 6 and 200 members: 24 members, within the range 6–200." in text
    i = text.index("Conditions met (9)")
    assert 9 == sum(x.startswith("- ") for x in text[i + 1:text.index("Interpretations applied")])


def test_interpretations_applied_are_listed(youth_fail):
    """Rule interpretations and parameter notes appear in the note's language, each parameter once, named by
    its description, with the rules using it."""
    en, zh = lines(explain_text(youth_fail, lang="en")), lines(explain_text(youth_fail))
    assert 1 == sum(x.startswith("- At least 50% of members are aged 35 or under: ") for x in en)
    note = "- parameter “Age reference date” (used by: The post leader (号长) is aged 40 or under): "
    assert 1 == sum(x.startswith(note) for x in en)
    assert "- 参数“计算年龄的基准日”（用于：号长年龄不超过40周岁）：文件未规定按哪一天计算年龄。" \
           "本规则集以网络报备截止日（2017年9月30日）为基准日，即集体须具备资格的最后一天。" \
           "管理单位按其他日期计算年龄的，临近年龄上限的号长结论可能不同。" in zh


def test_interpretations_show_no_markdown_marks(youth_fail):
    """Backticks in a verdict's notes (`due`, as rulesets before 2.0.2 wrote them) are not shown."""
    rules = tuple(attrs.evolve(r, interpretation=(r.interpretation or "") + " (its `due`)") for r in youth_fail.rules)
    old = attrs.evolve(youth_fail, rules=rules, stamp=attrs.evolve(youth_fail.stamp, version="0.0.1"))
    assert ("`" in " ".join(r.interpretation or "" for r in old.rules), "`" in explain_text(old)) == (True, False)


def test_the_stamp_is_reproduced(window_open):
    """The stamp gives the ruleset in words with its term and version, its id (labelled), where it applies,
    the layers in words, both SHA-256, library version, engine and as_of."""
    s = window_open.stamp
    text = explain_text(window_open)
    engine = {"durable": "durable_rules（存档认定所用引擎）", "python": "Python 编译后端"}[s.engine]
    assert text.endswith("\n".join([
        "可复现信息", "- 规则集：广东规则集2.0.2版（2017—2018年度）", "- 规则集编号：guangdong",
        "- 规则集适用范围：广东", "- 层次（由基础到覆盖）：全国规则集2.0.2版 → 广东规则集2.0.2版",
        f"- 规则集SHA-256校验值：{s.ruleset_sha256}", f"- 软件版本：{qnwmh_rules.__version__}",
        f"- 规则引擎：{engine}", "- 评估时点：2017年9月20日（北京时间）", f"- 核查数据SHA-256校验值：{s.facts_sha256}",
    ]) + "\n")


def test_a_unit_note_is_an_assessment(unit_facts):
    """A unit's note names the unit, its kind and region, puts the (provisional) score in the headline and
    warns that the weights are placeholders; it never speaks of 资格."""
    unit_facts["activities"] = unit_facts["activities"][:2]
    v = qnwmh_rules.load_ruleset(term="2017-2018", subject="unit").evaluate(unit_facts, as_of="2018-06-01")
    text = explain_text(v, facts=unit_facts)
    assert ["青年文明号活动管理工作考评说明", "",
            "截至2018年6月1日（北京时间），U-GD（共青团广东省委，省级团委）的2017—2018年度青年文明号活动管理工作"
            "考评暂定得分80分（满分100分；尚无法判定的项目判定后，最终得分在80分至100分之间），尚有必备要求无法判定"
            "（依据青年文明号活动管理工作考评（管理单位）规则集2.1.1版）",
            "【注意：考评办法原文未收录，本说明的分值为暂定分值，并非正式标准，得分仅供参考。】"] == lines(text)[:4]
    assert ("资格" in text, "- 组织至少一次专题会议：已登记2017年3月10日专题会议“全省青年文明号工作专题会”"
                           "（得分10分，满分10分）。"
            in lines(text)) == (False, True)


def test_html_is_self_contained(window_open):
    """The HTML page fetches nothing and runs nothing: no URLs, scripts or src attributes."""
    page = explain_html(window_open)
    assert ([], True, True, True) == ([x for x in ("http://", "https://", "<script", "src=", "<link", "@import", "url(")
                                       if x in page], '<meta charset="utf-8">' in page, "@media print" in page,
                                      "@page { size: A4;" in page)


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
    """The HTML holds the headline, the finding and the stamp's hashes."""
    page = explain_html(youth_fail)
    assert [True, True, True] == [x in page for x in (
        "GD-0001不具备2017—2018年度全国青年文明号创建集体资格", "集体成员24人，其中35周岁以下11人，占46%，低于50%。",
        youth_fail.stamp.ruleset_sha256)]


@pytest.mark.parametrize(("lang", "badges"), [("zh", ["不符合", "尚无法判定", "符合"]),
                                              ("en", ["not met", "undetermined", "met"])])
def test_html_badges_are_in_the_note_language(window_open, lang, badges):
    """The outcome badges of the HTML page are words of the note's language, not outcome codes."""
    assert badges == re.findall(r'<span class="badge">([^<]*)</span>', explain_html(window_open, lang=lang))


def test_html_title_names_the_subject(window_open, good_facts):
    """The page's <title> names the collective (pages saved as PDF are told apart by it)."""
    assert ["GD-0001（广州南站客运车间青年班组）青年文明号创建集体资格核查说明",
            "GD-0001 (广州南站客运车间青年班组) — Eligibility note: national Youth Civilization Post creation "
            "collective"] \
        == [re.search(r"<title>(.*)</title>", explain_html(window_open, lang=lang, facts=good_facts))[1]
            for lang in ("zh", "en")]


def test_the_undetermined_outcome_has_one_word_per_language(window_open):
    """Badge, group heading and conclusion of an undetermined rule use one term (尚无法判定 / undetermined)."""
    for lang, word in (("zh", "尚无法判定"), ("en", "undetermined")):
        page = explain_html(window_open, lang=lang)
        start = page.index('id="outcome-undetermined"')
        section = page[start:page.index("</section>", start)]
        heads = re.findall(r'<span class="badge">([^<]*)</span> ([^<]*)</h2>', section)[0]
        conclusions = set(re.findall(r'<dd class="conclusion">([^<]*)</dd>', section))
        assert (True, True, {word.capitalize() if lang == "en" else word}) == (
            heads[0] == word, word in heads[1].lower(), conclusions), (lang, heads, conclusions)


def test_html_headline_gives_the_evaluation_date(window_open):
    """as_of is in the headline of the page."""
    assert re.search(r'<p class="verdict verdict-ineligible">截至2017年9月20日（北京时间），',
                     explain_html(window_open))


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
def test_the_condition_text_does_not_change_the_finding(youth_fail, written):
    """The same condition written with other spacing or parentheses gives the same finding: findings come
    from the rule's templates and the values read, never from the condition's text."""
    r = youth_fail.rule("basic.youth_share")
    v = attrs.evolve(youth_fail, rules=tuple(attrs.evolve(x, condition=written) if x.id == r.id else x
                                             for x in youth_fail.rules))
    assert "   Finding: 11 of 24 members (46%) are aged 35 or under, below 50%." in \
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


def test_an_unparsable_recorded_condition_is_never_shown(youth_fail):
    """A verdict whose condition is not a condition at all still explains, and its text is never shown."""
    v = attrs.evolve(youth_fail, rules=tuple(attrs.evolve(x, condition="members.total >=") for x in youth_fail.rules))
    text = explain_text(v, lang="en")
    assert ("members.total >=" in text, "   Finding: 11 of 24 members (46%) are aged 35 or under, below 50%." in
            lines(text)) == (False, True)
