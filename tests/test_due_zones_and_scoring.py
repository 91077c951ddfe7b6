"""Review of issue 11: `due` follows the zone of the window it names; not-applicable points are not in reach."""

import copy
import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from dateutil import tz as dttz
from hypothesis import given, settings
from hypothesis import strategies as st

import qnwmh_rules

from .conftest import BACKENDS_HERE, ENGINE_OF_RECORD, engine_pair
from .shipped import shipped
from .strategies import collectives, units

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
EXAMPLE_FILE = RULESETS / "examples" / "collective-scoring.yaml"
UNIT_FILE = RULESETS / "2017-2018" / "unit.yaml"
COLLECTIVE = json.loads((RULESETS / "examples" / "collective-gd-0001.json").read_text(encoding="utf-8"))
WINDOW_ZONES = ["UTC", "America/New_York", "Asia/Shanghai", "Pacific/Kiritimati"]


def _overlay(tmp_path, name, body):
    base = RULESETS / "2017-2018" / "national.yaml"
    (tmp_path / "national.yaml").write_text(base.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / f"{name}.yaml").write_text(
        f"ruleset: {name}\ninherits: national.yaml\nterm: 2017-2018\nversion: 0.1.0\n"
        "title: {zh: 测试, en: Test}\n" + body, encoding="utf-8")
    return {b: qnwmh_rules.load_ruleset(tmp_path / f"{name}.yaml", backend=b) for b in BACKENDS_HERE}


def _zoned_window_engines(tmp_path_factory):
    out = {}
    for zone in WINDOW_ZONES:
        body = ("parameters:\n  filing_window:\n    value: {start: 2015-10-01, end: 2017-09-30, start_inclusive: true,"
                f" end_inclusive: true, time_zone: {zone}}}\n")
        out[zone] = _overlay(tmp_path_factory.mktemp(zone.replace("/", "_")), "zoned", body)
    return out


@pytest.fixture(scope="module")
def zoned(tmp_path_factory):
    return _zoned_window_engines(tmp_path_factory)


_AROUND_END = st.builds(
    lambda minutes, offset: (dt.datetime(2017, 9, 30, 12, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes))
    .astimezone(dt.timezone(dt.timedelta(hours=offset))),
    st.integers(-36 * 60, 36 * 60), st.sampled_from([-5, 0, 8, 14]))


@settings(max_examples=60, deadline=None)
@given(zone=st.sampled_from(WINDOW_ZONES), moment=_AROUND_END)
def test_a_rule_due_at_a_window_is_failed_only_once_no_filing_can_still_fall_in_it(zoned, zone, moment):
    """Without a filing, filing.window is failed exactly when a filing submitted at as_of would be outside
    the window (read in the window's own zone), on both backends, whatever the offset of as_of."""
    engines = zoned[zone]
    facts = copy.deepcopy(COLLECTIVE)
    facts["filings"], facts["honors"] = [], []
    still_open = moment.astimezone(dttz.gettz(zone)).date() <= dt.date(2017, 9, 30)
    outcomes = {b: e.evaluate(facts, as_of=moment.isoformat()).rule("filing.window") for b, e in engines.items()}
    assert ("undetermined" if still_open else "failed") == outcomes[ENGINE_OF_RECORD].outcome
    assert (outcomes[ENGINE_OF_RECORD].outcome, outcomes[ENGINE_OF_RECORD].reason) == \
        (outcomes["python"].outcome, outcomes["python"].reason)
    late = copy.deepcopy(facts)
    late["filings"] = [{"channel": {"kind": "industry", "unit": "广铁集团团委"}, "submitted_at": moment.isoformat(),
                        "review": {"status": "pending"}}]
    # the same moment, as a filing: counted in the window exactly when the rule was not yet decided
    assert still_open == ("passed" == engines["python"].evaluate(late, as_of=moment.isoformat())
                          .rule("filing.window").outcome)


def test_the_not_yet_due_reason_counts_days_in_the_windows_zone(zoned):
    """At 2017-10-01 02:00 in Shanghai a UTC window still has its last day (2017-09-30) running: today is
    its last day."""
    facts = copy.deepcopy(COLLECTIVE)
    facts["filings"], facts["honors"] = [], []
    r = zoned["UTC"][ENGINE_OF_RECORD].evaluate(facts, as_of="2017-10-01T02:00:00+08:00").rule("filing.window")
    assert ("undetermined", True) == (r.outcome, "today is its last day" in (r.reason or ""))


def _unit_overlay(tmp_path, scored_applies_if):
    text = (RULESETS / "2017-2018" / "unit.yaml").read_text(encoding="utf-8")
    anchor = '    when: >-\n      any(a in activities, a.kind == "special_meeting"'
    assert anchor in text
    (tmp_path / "unit.yaml").write_text(text.replace(anchor, f"    applies_if: {scored_applies_if}\n" + anchor),
                                        encoding="utf-8")
    return {b: qnwmh_rules.load_ruleset(tmp_path / "unit.yaml", backend=b) for b in BACKENDS_HERE}


@pytest.fixture(scope="module")
def unit_with_na(tmp_path_factory):
    return _unit_overlay(tmp_path_factory.mktemp("na"), 'kind == "provincial_committee"')


@settings(max_examples=60, deadline=None)
@given(unit=units())
def test_a_not_applicable_scored_rule_is_out_of_the_maximum_and_the_range(unit_with_na, unit):
    """The maximum (and highest) counts only points the subject could earn: a not_applicable award is
    out of reach, its line's most is 0, and a subject who earns every applicable point reaches the maximum."""
    for engine in unit_with_na.values():
        v = engine.evaluate(unit)
        sheet = v.score
        na = [line for line in sheet.lines if line.status == "not_applicable"]
        assert Decimal(sheet.total) <= Decimal(sheet.highest) <= Decimal(sheet.maximum)
        assert all(Decimal(0) == Decimal(line.max) for line in na)
        reachable = sum((min(Decimal(g.cap), sum((Decimal(line.max) for line in sheet.lines
                                                  if line.kind == "award" and line.group == g.id), Decimal(0)))
                         for g in sheet.groups), Decimal(0))
        assert reachable == Decimal(sheet.maximum)


def test_a_member_unit_doing_everything_it_is_asked_reaches_the_maximum(unit_with_na):
    """With the special meeting asked of provincial committees only, a member unit with the other four
    duties and a full portfolio scores its maximum (90 of 90), not 90 of 100."""
    unit = json.loads((RULESETS / "examples" / "unit-gd.json").read_text(encoding="utf-8"))
    unit["kind"] = "member_unit"
    unit["activities"] = [a for a in unit["activities"] if a["kind"] != "special_meeting"]
    sheet = unit_with_na[ENGINE_OF_RECORD].evaluate(unit).score
    assert ("90.0", "90.0") == (sheet.total, sheet.maximum)


def _score_section(text):
    lines = text.split("\n")
    start = lines.index("评分")
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return "\n".join(lines[start:end])


def _english_left(section, engine):
    rs = engine.ruleset
    names = sorted([r.id for r in rs.rules] + [p.name for p in rs.parameters] +
                   [g.id for g in rs.scoring.groups] + [f"derived.{d.name}" for d in rs.derived], key=len, reverse=True)
    for name in names:
        section = section.replace(name, "")
    return re.findall(r"[A-Za-z]{3,}(?:[ ,]+[A-Za-z]+)*", section)


@settings(max_examples=40, deadline=None)
@given(facts=collectives(), unit=units())
def test_the_chinese_score_sheet_has_no_english_words(facts, unit):
    """Every line of the zh score sheet (items, notes, caps, floors, bonus caps, gates, rounding) is in
    Chinese: only rule, group and parameter names stay as written."""
    for engine, subject in ((engine_pair(EXAMPLE_FILE)[0], facts), (engine_pair(UNIT_FILE)[0], unit)):
        section = _score_section(qnwmh_rules.explain_text(engine.evaluate(subject), lang="zh"))
        assert [] == _english_left(section, engine), section


@pytest.mark.parametrize("mode", ["half_up", "half_even", "down"])
def test_the_rounding_line_is_worded_in_chinese(mode):
    """The rounding adjustment's note, in each declared mode, is worded in Chinese with its places."""
    from qnwmh_rules._explain import _SCORE_WORDS, _score_note
    from qnwmh_rules.verdict import ScoreLine

    note = f"rounded to 2 decimal place(s), {mode.replace('_', ' ')}"
    said = _score_note(ScoreLine(None, "rounding", None, "adjustment", "0.005", None, note), _SCORE_WORDS["zh"])
    assert ("2位小数", []) == (said[said.index("2位"):], re.findall(r"[A-Za-z]+", said))


NATIONAL_FILE = RULESETS / "2017-2018" / "national.yaml"


@settings(max_examples=30, deadline=None)
@given(facts=collectives(), day=st.dates(dt.date(2015, 9, 1), dt.date(2017, 10, 2)))
def test_why_not_gives_each_reason_in_the_language_asked(facts, day):
    """why-not --lang zh shows the Chinese half of a not-yet-due or pending reason, --lang en the English half."""
    from .strategies import known_by

    result = qnwmh_rules.why_not(engine_pair(NATIONAL_FILE)[1], known_by(facts, day), as_of=day.isoformat())
    zh, en = result.to_text("zh"), result.to_text("en")
    assert ([], []) == (re.findall(r"not yet (?:due|decided)", zh), re.findall(r"尚未到期|尚待决定", en))


@settings(max_examples=30, deadline=None)
@given(records=st.lists(collectives(), min_size=1, max_size=4, unique_by=lambda c: c["id"]), data=st.data())
def test_a_collective_listed_twice_is_refused_not_counted_twice(records, data):
    """count_creation_collectives counts collectives, not records: a second record with an id already
    seen raises FactsError naming that record's id, instead of inflating the 10× count."""
    twice = data.draw(st.sampled_from(records))
    at = data.draw(st.integers(0, len(records)))
    listed = records[:at] + [copy.deepcopy(twice)] + records[at:]
    second = max(i for i, r in enumerate(listed) if r["id"] == twice["id"])
    with pytest.raises(qnwmh_rules.FactsError) as exc:
        qnwmh_rules.count_creation_collectives(listed)
    assert f"collectives[{second}].id" == exc.value.field


@settings(max_examples=40, deadline=None)
@given(facts=collectives(), day=st.dates(dt.date(2015, 9, 1), dt.date(2017, 9, 30)))
def test_why_not_says_what_can_still_be_done_for_a_rule_not_yet_due(facts, day):
    """A rule that is undetermined only because it is not yet due gets its options like a failed rule,
    marked with the day it will be decided, and each changeable option (at as_of) makes it pass."""
    from qnwmh_rules._replay import apply_patch

    from .strategies import known_by

    facts = known_by(facts, day)
    result = qnwmh_rules.why_not(engine_pair(NATIONAL_FILE)[1], facts, as_of=day.isoformat())
    verdict = engine_pair(NATIONAL_FILE)[1].evaluate(facts, as_of=day.isoformat())
    waiting = {r.id for r in verdict.rules if r.outcome == "undetermined" and not r.missing
               and (r.reason or "").startswith("尚未到期")}
    fixes = {f.rule_id: f for f in result.fixes if f.due is not None}
    assert waiting == set(fixes)
    for rid, fix in fixes.items():
        assert fix.options, rid
        for option in fix.options:
            if all(s.changeable and s.patch is not None for s in option):
                patch = {k: v for s in option for k, v in s.patch}
                after = engine_pair(NATIONAL_FILE)[1].evaluate(apply_patch(facts, patch), as_of=day.isoformat())
                assert (rid, "passed") == (rid, after.rule(rid).outcome)
        from qnwmh_rules._template import date_text
        assert date_text(fix.due, "zh") in result.to_text("zh") and date_text(fix.due, "en") in result.to_text("en")


SHIPPED = shipped("ruleset", pattern="[0-9]*/*.yaml")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(RULESETS).as_posix())
def test_the_chinese_docs_word_every_condition_in_chinese(path):
    """In a zh docs page the plain-language conditions, applicability and criterion name every fact in
    Chinese (only the identifiers in brackets, quoted values and numbers stay as written)."""
    from qnwmh_rules._render_docs import render_markdown

    page = render_markdown(qnwmh_rules.load_ruleset(path, backend="python").ruleset, lang="zh")
    heads = ("**条件（白话）：**", "**适用条件：**", "管理单位的集体记录", "- 其中计为")
    english = []
    for line in page.splitlines():
        if line.startswith(heads):
            text = re.sub(r"`[^`]*`|\"[^\"]*\"|[A-Za-z]+/[A-Za-z_]+", "", line)  # code, values, time zones
            while re.search(r"（[^（）]*）", text):  # identifiers in (nested) brackets
                text = re.sub(r"（[^（）]*）", "", text)
            english += re.findall(r"[A-Za-z]{2,}", text)
    assert [] == english


@pytest.mark.parametrize("subject", ["collective", "unit"])
def test_every_fact_of_every_subject_has_a_plain_label(subject):
    """Each fact path of the subject has an English and Chinese label, worded for that subject."""
    from qnwmh_rules._render_docs import fact_labels
    from qnwmh_rules.facts import SUBJECTS

    labels = fact_labels(subject)
    other = "集体" if subject == "unit" else "管理单位"
    assert [] == [p for p in SUBJECTS[subject].fields if p not in labels or labels[p][1].startswith(other)]


@pytest.mark.parametrize("due, hint", [("params.members_min", "params.filing_window"),
                                       ("params.nope", "params.filing_window"),
                                       ("naming_cutoff", "params.naming_cutoff"),
                                       ("params.filing_windw", "params.filing_window")])
def test_a_due_that_is_not_a_window_or_date_parameter_is_q180_with_the_candidates(tmp_path, due, hint):
    """`due` naming a number, an unknown parameter or a bare name is Q180 at its line, and the
    suggestion names a window or date parameter that could be meant."""
    text = (RULESETS / "2017-2018" / "national.yaml").read_text(encoding="utf-8")
    path = tmp_path / "national.yaml"
    path.write_text(text.replace("    due: params.naming_cutoff\n", f"    due: {due}\n", 1), encoding="utf-8")
    line = 1 + path.read_text(encoding="utf-8").split(f"    due: {due}\n")[0].count("\n")
    with pytest.raises(qnwmh_rules.RulesetError) as exc:
        qnwmh_rules.load_ruleset(path)
    err = exc.value
    assert ("Q180", line, True) == (err.code, err.line, hint in (err.suggestion or ""))


SHIPPED_NAMES = [p.relative_to(RULESETS).as_posix() for p in SHIPPED]


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(SHIPPED_NAMES), facts=collectives(), unit=units(),
       moment=st.builds(lambda d, h, m, off: dt.datetime.combine(d, dt.time(h, m),
                                                                 dt.timezone(dt.timedelta(hours=off))),
                        st.dates(dt.date(2011, 12, 1), dt.date(2019, 1, 31)), st.integers(0, 23),
                        st.sampled_from([0, 1, 59]), st.sampled_from([-10, -5, 0, 8, 9, 14])))
def test_no_shipped_rule_is_failed_before_it_is_due_at_any_time_of_day_in_any_offset(name, facts, unit, moment):
    """as_of at any time of day, in any offset: a rule whose last day (in its zone) has not ended is never
    failed, and both backends give the same outcomes and reasons."""
    from dateutil import tz as dttz

    from .strategies import known_by

    durable, python = engine_pair(RULESETS / name)
    rs = durable.ruleset
    local = moment.astimezone(dttz.gettz(rs.time_zone)).date()
    subject = known_by(unit if rs.subject == "unit" else facts, local - dt.timedelta(days=1))
    d, p = durable.evaluate(subject, as_of=moment.isoformat()), python.evaluate(subject, as_of=moment.isoformat())
    assert [(r.id, r.outcome, r.reason, r.missing) for r in d.rules] == \
        [(r.id, r.outcome, r.reason, r.missing) for r in p.rules]
    for r in d.rules:
        rule = rs.rule(r.id)
        if rule.due_last_day is not None:
            value = rs.parameter(rule.due).value
            zone = getattr(value, "time_zone", rs.time_zone)
            if moment.astimezone(dttz.gettz(zone)).date() <= rule.due_last_day:
                assert "failed" != r.outcome, (r.id, moment)


@settings(max_examples=40, deadline=None)
@given(length=st.integers(0, 3), start_inclusive=st.booleans(), end_inclusive=st.booleans())
def test_a_window_without_a_single_day_is_q107(tmp_path_factory, length, start_inclusive, end_inclusive):
    """A window whose bounds leave no day inside it (e.g. the same day with an exclusive end) is refused
    with Q107 at its end; a window with at least one day loads, and `due` on it has opens <= last day."""
    start = dt.date(2017, 9, 29)
    end = start + dt.timedelta(days=length)
    days = length + 1 - (not start_inclusive) - (not end_inclusive)
    text = (RULESETS / "2017-2018" / "national.yaml").read_text(encoding="utf-8")
    old = ("      start: 2015-10-01\n      end: 2017-09-30\n      start_inclusive: true\n      end_inclusive: true\n"
           "      time_zone: Asia/Shanghai\n    source: N\n    description:\n")
    assert old in text
    new = (f"      start: {start}\n      end: {end}\n      start_inclusive: {str(start_inclusive).lower()}\n"
           f"      end_inclusive: {str(end_inclusive).lower()}\n      time_zone: Asia/Shanghai\n    source: N\n"
           "    description:\n")
    path = tmp_path_factory.mktemp("w") / "national.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    if days >= 1:
        rule = qnwmh_rules.load_ruleset(path, backend="python").ruleset.rule("filing.window")
        assert rule.due_opens <= rule.due_last_day
    else:
        with pytest.raises(qnwmh_rules.RulesetError) as exc:
            qnwmh_rules.load_ruleset(path, backend="python")
        line = 1 + path.read_text(encoding="utf-8").split(f"      end: {end}\n")[0].count("\n")
        assert ("Q107", line) == (exc.value.code, exc.value.line)
