"""The Markdown page of a ruleset: complete, deterministic, with conditions in plain words."""

import ast
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules import _render_docs
from qnwmh_rules._render_docs import FACT_LABELS, render_markdown
from qnwmh_rules.exceptions import RulesetError
from qnwmh_rules.facts import FIELDS
from tests.strategies import COND_PARAMS, condition_texts, where_texts
from tests.zh_docs_checker import zh_faults, zh_page_faults

SHIPPED = [(term, region) for term, regions in qnwmh_rules.available_rulesets().items() for region in [None, *regions]]

HEAD = """\
ruleset: t
term: 2017-2018
version: 1.0.0
title: {zh: 测试, en: test}
sources:
  - {id: N, title: {zh: 通知, en: notice}, reference: No. 1}
parameters:
  members_min: {value: 6, source: N, description: {zh: 成员人数下限。, en: Fewest members.}}
  members_max: {value: 200, placeholder: true}
  cutoff: {value: 2017-09-30}
  latest_round: {value: 2015-2016}
  win:
    value: {start: 2015-10-01, end: 2017-09-30, start_inclusive: true, end_inclusive: false, time_zone: Asia/Shanghai}
rules:
"""


def rule(when, rule_id="basic.x"):
    return "\n".join([f"  - id: {rule_id}", "    title: {zh: 甲, en: a}", "    severity: required",
                      "    citation: {source: N, clause: '1', text: the clause}", f"    when: {when}"]) + "\n"


def load(tmp_path, *rules):
    p = tmp_path / "t.yaml"
    p.write_text(HEAD + "".join(rules), encoding="utf-8")
    return qnwmh_rules.load_ruleset(p, backend="python").ruleset


def plain(md, rule_id):
    """The plain-word condition of one rule on a rendered page."""
    section = next(s for s in md.split("\n### ") if s.startswith(rule_id + " ") or f"**规则编号：**{rule_id}\n" in s)
    line = next(ln for ln in section.splitlines() if ln.startswith(("**In plain words:** ", "**条件说明：**")))
    return line.split("** ", 1)[1] if line.startswith("**In") else line.split("：**", 1)[1]


def render(tmp_path, when, lang="en"):
    return plain(render_markdown(load(tmp_path, rule(when)), lang=lang), "basic.x")


@pytest.mark.parametrize("term,region", SHIPPED)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_shipped_ruleset_renders_completely(term, region, lang):
    """Each shipped ruleset renders in both languages with every rule id, clause text and interpretation."""
    rs = qnwmh_rules.load_ruleset(term=term, region=region, backend="python").ruleset
    md = render_markdown(rs, lang=lang)
    assert md.startswith(f"# {rs.title.en if lang == 'en' else rs.title.zh}\n")
    assert rs.sha256 in md
    for r in rs.rules:
        assert (f"### {r.id} — " if lang == "en" else f"### {r.title.zh}\n\n- **规则编号：**{r.id}\n") in md
        for line in r.citation.text.strip().splitlines():
            assert f"> {line.strip()}" in md
        if r.interpretation:
            assert " ".join(r.interpretation.get(lang).split()) in md
        assert plain(md, r.id)
    for p in rs.parameters:
        assert (f"| `{p.name}` |" if lang == "en" else f"| {_render_docs._param_name(p, 'zh')} |") in md


def test_rendering_is_deterministic():
    """Rendering twice, from two loads of the same file, gives identical text."""
    a = qnwmh_rules.load_ruleset(term="2017-2018", region="guangdong", backend="python").ruleset
    b = qnwmh_rules.load_ruleset(term="2017-2018", region="guangdong", backend="python").ruleset
    assert render_markdown(a, lang="zh") == render_markdown(b, lang="zh")
    assert render_markdown(a) == render_markdown(a)


def test_unknown_language_is_refused(guangdong):
    """Only en and zh are offered."""
    with pytest.raises(ValueError, match="'en' or 'zh'"):
        render_markdown(guangdong.ruleset, lang="fr")


def test_every_fact_path_has_plain_words_in_both_languages():
    """FACT_LABELS names every facts.FIELDS path in English and Chinese."""
    assert [] == [p for p in FIELDS if p not in FACT_LABELS or not all(FACT_LABELS[p])]


def test_the_module_does_not_import_the_engine():
    """The renderer imports neither durable nor _compile."""
    tree = ast.parse(Path(_render_docs.__file__).read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names]
    assert [] == [n for n in names if "durable" in n or "_compile" in n]


def test_a_range_names_the_subject_once(tmp_path):
    """Two bounds on one fact read as one range, with values and parameter names."""
    when = "members.total >= params.members_min and members.total <= params.members_max"
    expected_en = ("the total number of members (members.total) is at least 6 (members_min) "
                   "and at most 200 (members_max, placeholder — not official)")
    expected_zh = "集体成员总数不少于6且不超过200（暂定值，并非正式标准）"
    assert expected_en == render(tmp_path, when)
    assert expected_zh == render(tmp_path, when, lang="zh")


def test_the_naming_basis_reads_as_any_with_grouped_or(tmp_path):
    """any(...) with a nested or/and reads as "at least one honour … such that" with bracketed groups."""
    when = ('any(h in honors, h.date <= params.cutoff and (h.level == "national" '
            'or (h.level == "provincial" and h.round == params.latest_round)))')
    expected = ('at least one honour (honors) such that its date of commendation (h.date) is on or before '
                '2017-09-30 (cutoff) and [its level (h.level) is "national" or [its level (h.level) is "provincial" '
                'and its term (h.round) is "2015-2016" (latest_round)]]')
    expected_zh = ("至少有一项荣誉满足：其表彰文件日期不晚于2017年9月30日且"
                   "【其级别为全国或（其级别为省级且其年度为2015—2016年度）】")
    assert expected == render(tmp_path, when)
    assert expected_zh == render(tmp_path, when, lang="zh")


def test_a_window_states_its_days_and_zone(tmp_path):
    """A window gives both days, which are included, its zone and the parameter's name."""
    expected_en = ("at least one filing (filings) such that its submission time (f.submitted_at) is between "
                   "2015-10-01 and 2017-09-30, the first day included, the last excluded (Asia/Shanghai; win)")
    expected_zh = "至少有一项网络报备满足：其提交时间在2015年10月1日至2017年9月30日期间（含首日、不含末日，北京时间）"
    assert expected_en == render(tmp_path, "any(f in filings, f.submitted_at in params.win)")
    assert expected_zh == render(tmp_path, "any(f in filings, f.submitted_at in params.win)", lang="zh")


def test_a_timestamp_against_a_date_is_read_by_calendar_day(tmp_path):
    """Comparing a timestamp with a date says the day is taken in the ruleset's zone."""
    expected = ("at least one filing (filings) such that its submission time (f.submitted_at) is on or before "
                "2017-09-30 (cutoff), by calendar day in Asia/Shanghai")
    assert expected == render(tmp_path, "any(f in filings, f.submitted_at <= params.cutoff)")


@pytest.mark.parametrize("when,expected", [
    ('not leader.nationality == "CN"', 'the 号长\'s (leader\'s) nationality (leader.nationality) is not "CN"'),
    ("not members.total < params.members_min",
     "the total number of members (members.total) is at least 6 (members_min)"),
    ('not (members.total >= 6 and leader.nationality == "CN")',
     'it is not the case that [the total number of members (members.total) is at least 6 and '
     'the 号长\'s (leader\'s) nationality (leader.nationality) is "CN"]'),
    ('not any(h in honors, h.level == "municipal")',
     'no honour (honors) is such that its level (h.level) is "municipal"'),
    ('all(f in filings, f.review.status == "approved")',
     'every filing (filings), if there are any, is such that its review status (f.review.status) is "approved"'),
    ('members.aged_35_or_under >= members.total * 0.5',
     "the number of members aged 35 (周岁) or under (members.aged_35_or_under) is at least "
     "the total number of members (members.total) times 0.5"),
    ('org_kind in ["public", "social_organization"] or members.total > 10',
     'the kind of organisation the collective belongs to (org_kind) is one of public-sector organisation '
     '("public"), social organisation ("social_organization") '
     'or the total number of members (members.total) is more than 10'),
], ids=["not ==", "not <", "not and", "not any", "all", "arithmetic", "in list"])
def test_plain_words_of_not_all_and_lists(tmp_path, when, expected):
    """not, all, arithmetic and `in [..]` read as plain sentences."""
    assert expected == render(tmp_path, when)


def test_the_page_lists_sources_parameters_and_derived_facts(guangdong):
    """Header, sources table, parameters table (with the layer that set each) and derived facts are present."""
    rs = guangdong.ruleset
    md = render_markdown(rs)
    assert f"- **Layers:** {' → '.join(rs.layers)}\n" in md
    assert "- **Time zone:** Asia/Shanghai\n" in md
    g = next(s for s in rs.sources if s.id == "G")
    assert f"| G | {g.title.en} | — | 2017-06-16 | {g.note.en} |\n" in md
    w = rs.parameter("filing_window")
    assert (f"| `filing_window` | between 2015-10-01 and 2017-09-30, both days included (Asia/Shanghai) | N | "
            f"{w.description.en} | {' '.join(w.interpretation.en.split())} | {w.layer} |\n") in md
    assert ("| `derived.leader_age` | the age in full years (周岁) on 2017-09-30 (age_reference_date), counted "
            "from the post leader's date of birth (leader.birth_date), a year being completed from the day after "
            "the birthday |") in md


def test_a_placeholder_parameter_is_marked_in_the_table(tmp_path):
    """A placeholder value carries "placeholder — not official" in the parameters table."""
    rs = load(tmp_path, rule("members.total <= params.members_max"))
    md = render_markdown(rs)
    assert f"| `members_max` | 200 — **placeholder — not official** | — | — | — | {rs.layers[-1]} |" in md
    assert "- `members_max` = 200 — placeholder — not official" in md


# ---- the KIND test: a zh page a league committee's reader finds nothing to correct in (issue 13, 84–93) ----

SHIPPED_FILES = sorted(p for p in (Path(__file__).parent.parent / "rulesets").glob("*/*.yaml")
                       if not p.name.endswith(".cases.yaml") and p.parent.name not in ("facts", "findings"))


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_zh_page_of_every_shipped_ruleset_reads_in_words(path):
    """No raw fact path, parameter name, JSON value, ISO date, nested 【】, code span, condition text or
    Latin run (outside the labelled rule number, ruleset id and hash) on the zh page of any shipped ruleset."""
    rs = qnwmh_rules.load_ruleset(path, backend="python").ruleset
    assert [] == zh_page_faults(render_markdown(rs, lang="zh"), rs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(when=condition_texts(counts=("picked",)), where=where_texts(), distinct=st.booleans())
def test_any_condition_reads_in_words_on_the_zh_page(tmp_path_factory, when, where, distinct):
    """Any well-typed condition over a collective's facts (numbers, shares, dates, windows, codes, any/all,
    and/or/not nested, a count with its own condition) is worded on the zh page with no fact path,
    parameter name, code, ISO date or nested 【】."""
    function, of = ("count_distinct", "filings[].channel") if distinct else ("count", "filings")
    p = tmp_path_factory.mktemp("zh") / "c.yaml"
    p.write_text(HEAD.split("parameters:\n")[0] + "parameters:\n" + COND_PARAMS
                 + f"derived:\n  picked:\n    function: {function}\n    of: {of}\n    where: {json.dumps(where)}\n"
                 + "rules:\n" + rule(json.dumps(when, ensure_ascii=False)), encoding="utf-8")
    try:
        rs = qnwmh_rules.load_ruleset(p, backend="python").ruleset
    except RulesetError as exc:  # shapes durable mis-evaluates are refused on either backend
        assert exc.code in ("Q303", "Q304", "Q306"), (exc, when)
        return
    page = render_markdown(rs, lang="zh")
    assert ([], []) == (zh_faults(plain(page, "basic.x")), zh_page_faults(page, rs))


def test_the_checker_catches_each_kind():
    """The zh checker reports each kind of fault the issue names, and passes the allowlisted identifiers."""
    bad = ["集体成员总数（members.total）不少于6", "不少于6（members_min）", '级别为 "national"',
           "生日次日（day_after_birthday）",
           "国籍为CN", "截至2017-09-30", "且【甲或【乙且丙】】", "**条件原文：**x", "时区：Asia/Shanghai",
           "Eligibility as a collective", "`params.x`"]
    assert [True] * len(bad) == [bool(zh_faults(b)) for b in bad]
    good = ("- **规则编号：**basic.members_range\n- **规则集编号：**national\n- **内容SHA-256校验值：**a8f6c9\n"
            "【甲或（乙且丙）】")
    assert [] == zh_faults(good)
