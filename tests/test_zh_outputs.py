"""No zh output of the shipped rulesets holds an English phrase, a fact path, JSON, an ISO date or condition text.

Every golden case of every shipped ruleset (rulesets/**/*.cases.yaml, whose bases are the examples) and a few
variants the reader review used, each at several evaluation moments (none; before, inside and after the
ruleset's periods, with the facts as they could be known then), through the zh why-not text and the zh
explain text and HTML. The checker is tests/zh_check.py (``zh_problems``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules._api import load_ruleset_cached
from qnwmh_rules._cases import read_cases
from qnwmh_rules._replay import apply_patch
from qnwmh_rules.exceptions import FactsError

from .strategies import as_of_days, collectives, known_by, nationalities, units
from .zh_check import html_text, raw_problems, without_html_sections, without_sections, zh_problems

RULESETS = Path(qnwmh_rules._api.rulesets_dir())
CASE_FILES = sorted(RULESETS.glob("**/*.cases.yaml"))
# Every section of the notes is checked, the interpretations ("采用的解释") and the stamp ("可复现信息")
# included (they were left out while their texts were being rewritten).
OWNED_ELSEWHERE: tuple[str, ...] = ()
OWNED_ELSEWHERE_HTML: tuple[str, ...] = ()
# Variants the reader review read (docs/reviews/2026-11-30-notes-reader-review.md), beyond the golden cases.
VARIANTS = {
    "collective": [
        {"members.total": 201, "members.aged_35_or_under": 50, "members.chinese_nationals": 100,
         "leader.birth_date": "1970-01-01", "leader.nationality": "JP", "honors": []},
        {"leader.nationality": "US"}, {"filings.0.review": {"status": "pending"}},
        {"filings.0.submitted_at": "2017-10-01T00:00:05+08:00", "filings.0.review.at": "2017-10-02T09:00:00+08:00"},
        {"filings.1": {"channel": {"kind": "locality", "unit": "共青团广州市委"},
                       "submitted_at": "2017-07-01T10:00:00+08:00",
                       "review": {"status": "rejected", "at": "2017-07-02T10:00:00+08:00"}}},
    ],
    "unit": [{"creation_collectives.total": 100, "creation_collectives.social_organization": 2, "activities": []}],
}


def _days(engine):
    """Before, inside and after the ruleset's dated parameters (its periods and deadlines)."""
    days = []
    for p in engine.ruleset.parameters:
        v = p.value
        if isinstance(v, dt.date):
            days.append(v)
        elif isinstance(v, dict) and "start" in v:
            days += [dt.date.fromisoformat(str(v["start"])), dt.date.fromisoformat(str(v["end"]))]
    if not days:
        return []
    first, last = min(days), max(days)
    return [first - dt.timedelta(days=30), first + (last - first) / 2, last + dt.timedelta(days=1)]


def _outputs(engine, facts, as_of):
    """(what, zh text) of why-not, the explain text and the explain HTML, sections owned elsewhere left out."""
    verdict = engine.evaluate(facts, as_of=as_of)
    note = qnwmh_rules.explain_text(verdict, lang="zh", ruleset=engine, facts=facts)
    page = qnwmh_rules.explain_html(verdict, lang="zh", ruleset=engine, facts=facts)
    result = qnwmh_rules.why_not(engine, facts, as_of=as_of)
    return [("why-not", result.to_text("zh")), ("why-not en", result.to_text("en")),
            ("explain", without_sections(note, OWNED_ELSEWHERE)),
            ("html", html_text(without_html_sections(page, OWNED_ELSEWHERE_HTML)))]


def _without(text, phrases):
    for p in phrases:
        text = text.replace(p, " ")
    return text


def _checked(path):
    cases = read_cases(path)
    engine = load_ruleset_cached(cases.ruleset_path, backend="python")
    subject = engine.ruleset.subject
    docs = [(c.name, c.facts) for c in cases.cases if c.error is None]
    base = docs[0][1]
    docs += [(f"variant {i}", apply_patch(base, v)) for i, v in enumerate(VARIANTS.get(subject, ()))]
    # ids quoted as ids: the rules' and (labelled 规则集编号 in the stamp) the ruleset's
    allow = {r.id for r in engine.ruleset.rules} | {engine.ruleset.id}
    titles: list[str] = []  # the en rule titles are checked too (finding 53 is fixed in the rulesets)
    problems, seen = [], 0
    for name, facts in docs:
        moments = [(None, facts)] + [(d.isoformat(), known_by(facts, d)) for d in _days(engine)]
        for as_of, doc in moments:
            try:
                outputs = _outputs(engine, doc, as_of)
            except FactsError:
                continue  # facts that cannot be evaluated have no note
            seen += 1
            for what, text in outputs:
                found = raw_problems(_without(text, titles)) if what.endswith(" en") else \
                    zh_problems(text, allow=allow | {str(doc.get("id"))})
                problems += [f"{path.name} / {name} / as_of={as_of} / {what}: {p}" for p in found]
    return seen, problems


@pytest.mark.parametrize("path", CASE_FILES, ids=[str(p.relative_to(RULESETS)) for p in CASE_FILES])
def test_zh_outputs_of_every_golden_case_read_as_chinese(path):
    """Every case × moment: the zh why-not, explain text and HTML hold no fact path, JSON, ISO date,
    condition text or unlisted Latin (interpretations and the stamp: see OWNED_ELSEWHERE); the en
    why-not holds no fact path, JSON, ISO date or condition text either."""
    seen, problems = _checked(path)
    assert seen > 0
    assert [] == sorted(set(problems))[:40]


@pytest.mark.parametrize("text, expected", [
    ("号长国籍为 CN（现为 HK） [leader.nationality=\"CN\"]",
     ["fact path leader.nationality: leader.nationality", "JSON: \"CN\"", "JSON: [", "JSON: ]", "Latin: CN",
      "Latin: HK", "Latin: leader.nationality", "Latin: CN"]),
    ("满足：表彰文件日期不晚于 2017-09-30；级别为 national", ["ISO date/time: 2017-09-30", "Latin: national"]),
    ("评估时刻 2017-06-01T23:59:59.999999+08:00",
     ["ISO date/time: 2017-06-01", "ISO date/time: 23:59:59", "ISO date/time: T23:59", "Latin: 2017-06-01T23"]),
    ("撤回 filings[1]", ["JSON: [", "JSON: ]", "Latin: filings"]),
    ("any(f in filings, f.review.status == \"pending\")",
     ["JSON: \"pending\"", "condition text: ==", "condition text: any(", "Latin: any", "Latin: f", "Latin: in",
      "Latin: filings", "Latin: f.review.status", "Latin: pending"]),
    ("号长为中国国籍；规则basic.leader_age；SHA-256：a8f66589206a0dec；系统（http://www.qnwmh.org）", []),
    ("号长为Иван，得分为ε，备注：ひらがな、한국",
     ["foreign letter: Иван", "foreign letter: ε", "foreign letter: ひらがな", "foreign letter: 한국"]),
    ("摘要 deadbeef；摘要 0a1b2c3d；摘要 abcdefabcdefabcd", ["Latin: deadbeef"]),
])
def test_the_checker_names_each_kind_of_problem(text, expected):
    """The issue's examples are each caught, under their kind; clean Chinese with allowed ids is not."""
    assert sorted(expected) == sorted(zh_problems(text, allow={"basic.leader_age"}))


def test_every_assigned_nationality_code_has_a_chinese_name():
    """Every ISO 3166-1 code (pycountry's list) reads as a name in zh and en, never as the code itself."""
    import pycountry

    from qnwmh_rules._finding import vocabulary

    vocab = vocabulary("collective")
    codes = [c.alpha_2 for c in pycountry.countries]
    assert [] == [c for c in codes if zh_problems(vocab.nationality(c, "zh"))]
    assert [] == [c for c in codes if vocab.nationality(c, "en") == c]
    assert ("中国香港", "美国", "韩国") == tuple(vocab.nationality(c, "zh") for c in ("HK", "US", "KR"))


SHIPPED = {p.parent.name + "/" + p.name: p for p in sorted(RULESETS.glob("[0-9]*/*.yaml"))
           if not p.name.endswith(".cases.yaml")}


def _generated_problems(path, facts, day):
    engine = load_ruleset_cached(SHIPPED[path], backend="python")
    doc = known_by(facts, day) if day is not None else facts
    try:
        outputs = _outputs(engine, doc, day.isoformat() if day is not None else None)
    except FactsError:
        return []  # facts that cannot be evaluated have no note
    # ids quoted as ids: the rules' and (labelled 规则集编号 in the stamp) the ruleset's
    allow = {r.id for r in engine.ruleset.rules} | {engine.ruleset.id} | {str(doc.get("id"))}
    return [f"{what}: {p}" for what, text in outputs if not what.endswith(" en")
            for p in zh_problems(text, allow=allow)]


@settings(max_examples=40, deadline=None)
@given(facts=collectives(), nationality=nationalities, day=st.one_of(st.none(), as_of_days),
       path=st.sampled_from([k for k in SHIPPED if "unit" not in k]))
def test_zh_outputs_of_any_collective_read_as_chinese(facts, nationality, day, path):
    """Generated collectives (any nationality code, facts missing now and then) at any moment: the zh
    why-not, explain text and HTML are clean (the sections in OWNED_ELSEWHERE aside)."""
    facts["leader"]["nationality"] = nationality
    assert [] == _generated_problems(path, facts, day)


@settings(max_examples=25, deadline=None)
@given(facts=units(), day=st.one_of(st.none(), as_of_days), path=st.sampled_from([k for k in SHIPPED if "unit" in k]))
def test_zh_outputs_of_any_unit_read_as_chinese(facts, day, path):
    """Generated management units at any moment: the zh why-not, explain text and HTML are clean."""
    assert [] == _generated_problems(path, facts, day)
