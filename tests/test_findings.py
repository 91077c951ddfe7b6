"""Findings declared with each rule: the template language, its load-time checks and the phrasing file."""

import json
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules import RulesetError
from qnwmh_rules import _template as T
from qnwmh_rules._finding import Vocab, check_phrasing, vocabulary

VOCAB = vocabulary("collective")

BASE = textwrap.dedent("""\
    ruleset: demo
    term: 2017-2018
    version: 1.0.0
    title: {zh: 示例规则集, en: Demo ruleset}
    sources:
      - {id: N, title: {zh: 通知, en: notice}}
    parameters:
      members_min: {value: 6}
      other: {value: 3}
    rules:
      - id: basic.members_min
        title: {zh: 集体成员不少于6人, en: At least 6 members}
        severity: required
        citation: {source: N, clause: 二（一）, text: 总人数在6人以上。}
        when: members.total >= params.members_min
        finding:
          requirement:
            zh: "集体成员总数在{params.members_min}人以上"
            en: "at least {params.members_min} members"
          failed:
            zh: "集体成员{members.total}人，少于{params.members_min}人"
            en: "The collective has {members.total} members, fewer than {params.members_min}"
    """)


def render(text, values, lang="zh", outcome="passed", vocab=VOCAB):
    return T.render(T.parse_template(text), values, lang=lang, outcome=outcome, vocab=vocab)


def load_error(tmp_path, old, new):
    """The one RulesetError of BASE with ``old`` replaced by ``new``."""
    path = tmp_path / "demo.yaml"
    path.write_text(BASE.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulesetError) as info:
        qnwmh_rules.load_ruleset(path)
    assert 1 == len(info.value.errors)
    return str(info.value).replace(str(tmp_path) + "/", "")


@pytest.mark.parametrize(("text", "values", "lang", "expected"), [
    ("{x|pct}", {"x": 0.5}, "zh", "50%"),
    ("{x|pct}", {"x": 0.125}, "en", "12.5%"),
    ("{n|share:t}", {"n": 1, "t": 3}, "zh", "33%"),
    ("{q|times:k}", {"q": 12, "k": 10}, "zh", "120"),
    ("{d|date}", {"d": "2017-09-30"}, "zh", "2017年9月30日"),
    ("{d|date}", {"d": "2017-09-30"}, "en", "30 September 2017"),
    ("{t|datetime}", {"t": "2017-06-20T10:15:00+08:00"}, "zh", "北京时间2017年6月20日10:15"),
    ("{t|datetime}", {"t": "2017-06-20T10:15:00-05:00"}, "en", "20 June 2017, 10:15 UTC-05:00"),
    ("{w|window}", {"w": {"start": "2015-10-01", "end": "2017-09-30", "start_inclusive": True,
                          "end_inclusive": False, "time_zone": "Asia/Shanghai"}}, "zh",
     "2015年10月1日至2017年9月30日（含首日、不含末日，北京时间）"),
    ("{r|term}年度", {"r": "2015-2016"}, "zh", "2015—2016年度"),
    ("{leader.nationality|nationality}", {"leader.nationality": "CN"}, "zh", "中国"),
    ("{region|region}", {"region": "guangdong"}, "zh", "广东"),
    ("{b|yesno:'有','无'}", {"b": False}, "zh", "无"),
    ("{l|count}", {"l": [1, 2]}, "zh", "2"),
    ("{{字面}}{x}", {"x": 3}, "zh", "{字面}3"),
    ("{honors|items}", {"honors": [{"level": "provincial", "kind": "review_confirmed", "round": "2015-2016",
                                    "date": "2016-05-04"}]}, "zh",
     "2015—2016年度省级青年文明号（复核认定，表彰文件日期2016年5月4日）"),
    ("{honors|items:'未登记'}", {"honors": []}, "zh", "未登记"),
    ("{filings|only:c|count}", {"filings": [{}, {}, {}], "c": ["filings[0]", "filings[2]"]}, "zh", "2"),
    ("{activities|where:'kind','training'|count}", {"activities": [{"kind": "training"}, {"kind": "inspection"}]},
     "zh", "1"),
    ("{t|quoted|else:'（无题）'}", {}, "zh", "（无题）"),
    ("{t|paren}", {"t": "x"}, "en", " (x)"),
])
def test_each_formatter_words_its_value(text, values, lang, expected):
    """Every formatter of the template language gives the wording of its kind of value in each language."""
    assert expected == render(text, values, lang)


@pytest.mark.parametrize(("outcome", "expected"), [("failed", "49.6%"), ("undetermined", "50%")])
def test_a_share_keeps_the_side_of_the_threshold_the_outcome_says(outcome, expected):
    """124 of 250 against 50 %: a failed rule shows 49.6 %, never a rounded 50 % that would read as met."""
    assert expected == render("{n|share:t,m}", {"n": 124, "t": 250, "m": 0.5}, outcome=outcome)


def test_a_missing_value_is_missing_not_a_guess():
    """A name without a value (a missing fact) raises Missing: the note then shows the requirement instead."""
    with pytest.raises(T.Missing):
        render("集体成员{members.total}人", {})


def test_a_value_of_the_wrong_shape_is_missing_not_json():
    """A list where a number is expected is never printed as JSON: the template is Missing."""
    with pytest.raises(T.Missing):
        render("{x}", {"x": [{"a": 1}]})


@given(st.text(alphabet="{}|:,'ab.c 中", max_size=30))
def test_any_text_parses_or_is_refused_with_q190(text):
    """A template text either parses or is a TemplateProblem Q190 with an offset inside the text."""
    try:
        T.parse_template(text)
    except T.TemplateProblem as p:
        assert ("Q190", True) == (p.code, 0 <= p.offset <= len(text))


def test_the_shipped_findings_load():
    """Every shipped rule that declares a finding loads (its names and formatters are checked)."""
    rs = qnwmh_rules.load_ruleset(term="2017-2018", region="guangdong").ruleset
    assert [] == [r.id for r in rs.rules if r.finding is None]


def test_every_shipped_rule_declares_its_finding():
    """Each rule of every shipped ruleset words its finding with templates, in both languages."""
    from qnwmh_rules.cli import _ruleset_files

    bare = []
    for f in _ruleset_files([str(qnwmh_rules._api.rulesets_dir())]):
        if f.name.endswith(".facts.yaml"):
            continue
        for r in qnwmh_rules.load_ruleset(f, backend="python").ruleset.rules:
            if r.finding is None or r.finding.passed is None and r.finding.failed is None:
                bare.append(f"{f.name}:{r.id}")
    assert [] == bare


def test_a_template_that_never_closes_is_q190_at_its_brace(tmp_path):
    """An unclosed `{` is Q190 at the line and column of the brace."""
    assert "demo.yaml:21:37: Q190 a `{` that is never closed (close the placeholder with `}`, or write `{{` " \
           "for a literal brace)" == load_error(tmp_path, "少于{params.members_min}人", "少于{params.members_min人")


def test_an_unknown_name_is_q191_with_did_you_mean(tmp_path):
    """A misspelt fact path is Q191 at the name, suggesting the name meant."""
    assert "demo.yaml:21:19: Q191 unknown name 'members.totl' in the template (did you mean 'members.total'?)" == \
        load_error(tmp_path, "集体成员{members.total}人", "集体成员{members.totl}人")


def test_a_parameter_the_rule_does_not_use_is_q191(tmp_path):
    """A declared parameter the rule's conditions do not use cannot be read: the suggestion says why."""
    assert "demo.yaml:21:38: Q191 unknown name 'params.other' in the template (the rule does not use " \
           "params.other: a finding reads only the parameters its conditions use)" == \
        load_error(tmp_path, "少于{params.members_min}人", "少于{params.other}人")


def test_a_requirement_reads_only_parameters(tmp_path):
    """A requirement naming a fact is Q191: it is shown exactly when facts may be missing."""
    message = load_error(tmp_path, "集体成员总数在{params.members_min}人以上", "集体成员总数在{members.total}人以上")
    assert message.startswith("demo.yaml:18:22: Q191 the requirement names 'members.total', a fact")


@pytest.mark.parametrize(("new", "expected"), [
    ("{params.members_min|pcnt}", "demo.yaml:21:57: Q192 unknown formatter 'pcnt' (did you mean 'pct'?)"),
    ("{params.members_min|items}", "demo.yaml:21:57: Q192 the formatter 'items' does not apply to "
                                   "params.members_min (a number value) (items applies to: list)"),
    ("{params.members_min|share}", "demo.yaml:21:57: Q192 the formatter 'share' takes 1 to 2 argument(s), got 0"),
])
def test_a_wrong_formatter_is_q192(tmp_path, new, expected):
    """An unknown formatter, one for another kind of value, or with a wrong number of arguments is Q192."""
    assert expected == load_error(tmp_path, "{params.members_min}人\"", new + "人\"")


def test_an_unknown_finding_key_is_q102(tmp_path):
    """`finding:` takes only the requirement and the outcomes."""
    assert load_error(tmp_path, "      failed:\n", "      faild:\n").startswith(
        "demo.yaml:20:7: Q102 unknown key 'faild' in a finding (did you mean 'failed'?)")


def test_a_finding_missing_a_language_is_refused(tmp_path):
    """Each template is given in both languages: a missing en is Q125, as for every ruleset text."""
    assert "demo.yaml:17:7: Q125 finding.requirement has no English text (en) (add `en:` beside the other " \
           "language)" == load_error(tmp_path, '        en: "at least {params.members_min} members"\n', "")


def test_findings_are_not_part_of_the_content_hash(tmp_path):
    """Rewording a finding keeps the ruleset's sha256 (and so a released version stays valid)."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "demo.yaml").write_text(BASE, encoding="utf-8")
    (b / "demo.yaml").write_text(BASE.replace("人，少于", "人，不足"), encoding="utf-8")
    assert qnwmh_rules.load_ruleset(a / "demo.yaml").ruleset.sha256 == \
        qnwmh_rules.load_ruleset(b / "demo.yaml").ruleset.sha256


def test_the_shipped_names_file_is_clean():
    """rulesets/findings/names.phrasing.yaml gives every nationality and time zone a zh and an en name."""
    assert [] == check_phrasing(qnwmh_rules._api.rulesets_dir() / "findings" / "names.phrasing.yaml")


def test_a_schema_phrasing_with_a_misspelt_field_is_q191(tmp_path):
    """A list's phrasing in the facts schema naming a field its items do not have is Q191 at the name."""
    from qnwmh_rules._facts_schema import read_schema_file

    shipped = qnwmh_rules._api.rulesets_dir() / "facts" / "collective@1.facts.yaml"
    path = tmp_path / "collective@1.facts.yaml"
    text = shipped.read_text(encoding="utf-8")
    path.write_text(text.replace('zh: "{round|term}年度', 'zh: "{rund|term}年度', 1), encoding="utf-8")
    line = next(i for i, x in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "{rund|term}" in x)
    with pytest.raises(RulesetError) as info:
        read_schema_file(path)
    assert f"{path}:{line}:13: Q191 unknown name 'rund' in the template (did you mean 'round'?)" == str(info.value)


def test_phrasing_belongs_to_lists(tmp_path):
    """An object (not a list) with a phrasing is refused: items are what a phrasing words."""
    from qnwmh_rules._facts_schema import read_schema_file

    shipped = qnwmh_rules._api.rulesets_dir() / "facts" / "collective@1.facts.yaml"
    path = tmp_path / "collective@1.facts.yaml"
    path.write_text(shipped.read_text(encoding="utf-8").replace(
        "    label: {zh: 号长, en: the 号长 (leader)}\n",
        "    label: {zh: 号长, en: the 号长 (leader)}\n    phrasing: {zh: 号长, en: leader}\n", 1), encoding="utf-8")
    with pytest.raises(RulesetError, match="phrasing belongs to lists; 'leader' is an object"):
        read_schema_file(path)


def test_check_reports_the_names_file(tmp_path, capsys):
    """`check` on a folder checks the names files in it too (and does not count them as rulesets)."""
    from qnwmh_rules.cli import main

    (tmp_path / "findings").mkdir()
    (tmp_path / "findings" / "names.phrasing.yaml").write_text(
        "nationalities:\n  CN: {zh: 中国}\ntime_zones: {}\n", encoding="utf-8")
    (tmp_path / "demo.yaml").write_text(BASE, encoding="utf-8")
    assert 2 == main(["check", str(tmp_path)])
    out, err = capsys.readouterr()
    assert ("Q103 the name of CN is a mapping with zh and en texts" in out,
            "checked 1 ruleset file(s): 1 problem(s)") == (True, err.strip())


def test_a_vocabulary_never_invents_a_label():
    """An unknown enum value or region is shown as given, not as something else."""
    v = Vocab("collective")
    assert ("martian", "atlantis") == (v.value_label("honors[].level", "martian", "zh"), v.region("atlantis", "zh"))


def test_the_generic_finding_uses_labels_only(good_facts):
    """A verdict explained without its ruleset (a custom file not shipped) reads values under their labels."""
    from qnwmh_rules._explain import explain_text

    good_facts["members"]["aged_35_or_under"] = 11
    v = qnwmh_rules.evaluate(good_facts)
    doc = json.loads(v.to_json())
    doc["stamp"]["ruleset_id"] = "custom"
    text = explain_text(qnwmh_rules.Verdict.from_dict(doc))
    assert "   核查情况：35周岁以下成员人数：11；集体成员总数：24。" in text.splitlines()
