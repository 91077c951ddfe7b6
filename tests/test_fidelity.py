"""Time and fidelity: nothing fails before it is due, every citation quotes its source verbatim."""

import copy
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules import explain_text
from qnwmh_rules._derive import derive

from .conftest import BACKENDS_HERE, engine_pair
from .strategies import as_of_days, collectives, known_by, units

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
SOURCES = Path(__file__).parent / "data" / "sources"
SHIPPED = sorted(p for p in RULESETS.glob("[0-9]*/*.yaml") if not p.name.endswith(".cases.yaml"))  # the terms
# Source id -> the file holding its text verbatim (the seed notice holds N and G in full).
SOURCE_TEXT = {"N": "N-G-seed.txt", "G": "N-G-seed.txt", "M": "M.txt", "O1": "O1.txt", "O2": "O2.txt"}


def _flat(text):
    return re.sub(r"\s+", "", text)


NAMES = [path.relative_to(RULESETS).as_posix() for path in SHIPPED]


def _pair(name):
    return engine_pair(RULESETS / name)

COLLECTIVE = json.loads((RULESETS / "examples" / "collective-gd-0001.json").read_text(encoding="utf-8"))
UNIT = json.loads((RULESETS / "examples" / "unit-gd.json").read_text(encoding="utf-8"))


def _citations(rs):
    for r in rs.rules:
        yield r.id, r.citation
    if rs.creation_collective is not None:
        yield "creation_collective", rs.creation_collective.citation


@pytest.mark.parametrize("name", NAMES)
def test_every_citation_quotes_its_source_verbatim(name):
    """Each citation's text occurs word for word (whitespace aside) in the text of the source it names."""
    rs = _pair(name)[0].ruleset
    wrong = []
    for rid, c in _citations(rs):
        source = SOURCES / SOURCE_TEXT.get(c.source, "missing")
        if not source.is_file() or _flat(c.text) not in _flat(source.read_text(encoding="utf-8")):
            wrong.append((rid, c.source, c.text))
    assert [] == wrong


@pytest.mark.parametrize("name", NAMES)
def test_no_note_points_to_internal_documents(name):
    """Notes explain readings of the sources; none points to design files or to how a rule was commissioned."""
    rs = _pair(name)[0].ruleset
    texts = [r.interpretation for r in rs.rules] + [p.interpretation for p in rs.parameters] + \
        [p.description for p in rs.parameters] + [s.note for s in rs.sources] + [r.citation.text for r in rs.rules]
    if rs.creation_collective is not None:
        texts.append(rs.creation_collective.interpretation)
    bad = re.compile(r"DOMAIN\.md|SOURCES\.md|ARCHITECTURE\.md|design/|\bissue\b|commission", re.I)
    said = [x for t in texts if t for x in ((t,) if isinstance(t, str) else (t.zh, t.en))]
    assert [] == [t for t in said if bad.search(t)]


def test_every_rule_reading_the_filing_window_states_its_boundaries():
    """Each rule that uses a filing window says, in its own note, which days the window includes."""
    for name, (engine, _) in ((n, _pair(n)) for n in NAMES):
        for r in engine.ruleset.rules:
            if {"filing_window", "single_channel_window"} & set(r.params):
                en = r.interpretation.en if r.interpretation else ""
                zh = r.interpretation.zh if r.interpretation else ""
                assert "both days included" in " ".join(en.split()) or "1 October 2015" in en, (name, r.id)
                assert "首尾两日均包括在内" in zh or "2015年10月1日" in zh, (name, r.id)


def _due_rules(rs):
    return {r.id: r.due_last_day for r in rs.rules if r.due_last_day is not None}


def _check_due(name, facts, day):
    durable, python = _pair(name)
    d = durable.evaluate(facts, as_of=day.isoformat())
    p = python.evaluate(facts, as_of=day.isoformat())
    assert [(r.id, r.outcome, r.reason, r.missing) for r in p.rules] == \
        [(r.id, r.outcome, r.reason, r.missing) for r in d.rules]
    assert (p.outcome, p.missing) == (d.outcome, d.missing)
    parsed = durable.parse(facts)
    derived = derive(durable.ruleset, parsed)
    moment = dt.datetime.fromisoformat(d.stamp.as_of)
    assert python.decide(parsed, derived, moment) == durable.decide(parsed, derived, moment)
    for r in d.rules:
        last = _due_rules(durable.ruleset).get(r.id)
        if last is not None and day <= last:
            assert "failed" != r.outcome, (r.id, day)
        if r.outcome == "undetermined" and not r.missing:
            assert r.reason and "/" in r.reason, r.id  # zh / en
        if r.reason and last is not None and day <= last:
            assert (last + dt.timedelta(days=1)).isoformat() in r.reason
    if d.score is not None and any(r.outcome == "undetermined" for r in d.rules if r.id in _due_rules(
            durable.ruleset)):
        assert d.score.provisional


@pytest.mark.parametrize("name", [n for n in NAMES if "unit" not in n])
@given(facts=collectives(), day=as_of_days)
def test_collective_rules_are_never_failed_before_they_are_due(name, facts, day):
    """With as_of on or before a rule's last day, it is passed or undetermined (with the date), on both backends."""
    _check_due(name, known_by(facts, day), day)


@pytest.mark.parametrize("name", [n for n in NAMES if "unit" in n])
@given(facts=units(), day=as_of_days)
def test_unit_duties_and_portfolio_are_never_failed_before_they_are_due(name, facts, day):
    """The five duties before the creation period ends, the portfolio before filing closes: never failed."""
    _check_due(name, known_by(facts, day), day)


def _no_filing(day_before_2015=True):
    facts = copy.deepcopy(COLLECTIVE)
    facts["filings"] = []
    if day_before_2015:
        facts["honors"] = [{"level": "national", "kind": "named", "round": "2013-2014", "date": "2014-05-04"}]
    return facts


@pytest.mark.parametrize("backend", ["durable", "python"])
def test_a_collective_that_has_not_filed_before_the_window_opens_is_undetermined(backend):
    """As of 2015-09-01 (the window opens on 2015-10-01) no filing yet is undetermined, not ineligible."""
    v = qnwmh_rules.evaluate(_no_filing(), as_of="2015-09-01", backend=backend)
    assert ("undetermined", "undetermined", "undetermined") == \
        (v.outcome, v.rule("filing.window").outcome, v.rule("filing.approved").outcome)
    assert ("尚未到期：params.filing_window 自2015-10-01起算，至2017-09-30（Asia/Shanghai）止，尚未开始；"
            "2017-10-01起判定"
            " / not yet due: params.filing_window opens on 2015-10-01 and its last day is 2017-09-30 "
            "(Asia/Shanghai); decided from 2017-10-01") == v.rule("filing.window").reason


@pytest.mark.parametrize("day, outcome", [("2015-09-30", "undetermined"), ("2015-10-01", "undetermined"),
                                          ("2017-09-30", "undetermined"), ("2017-10-01", "failed")])
def test_the_window_boundaries_decide_when_a_missing_filing_fails(day, outcome):
    """One day before opening, the opening day and the last day: undetermined; the day after: failed."""
    assert outcome == qnwmh_rules.evaluate(_no_filing(), as_of=day).rule("filing.window").outcome


def test_on_the_last_day_the_reason_names_it_the_last_day():
    """On the window's last day the reason says today is the last one (not "0 days left") and names
    the day it will be decided; the day before counts one day (singular in English)."""
    r = qnwmh_rules.evaluate(_no_filing(), as_of="2017-09-30").rule("filing.window")
    assert ("尚未到期：params.filing_window 至2017-09-30（Asia/Shanghai）止，今日为最后一天；2017-10-01起判定 / "
            "not yet due: the last day of params.filing_window is 2017-09-30 (Asia/Shanghai), today is its last "
            "day; decided from 2017-10-01") == r.reason
    r = qnwmh_rules.evaluate(_no_filing(), as_of="2017-09-29").rule("filing.window")
    assert ("还剩1天", "1 day left") == (r.reason[r.reason.index("还剩"):][:4], r.reason[r.reason.index("1 day"):][:10])


def test_without_as_of_every_window_is_taken_as_closed():
    """No as_of: a collective without a filing is ineligible (evaluated as after every window closes)."""
    v = qnwmh_rules.evaluate(_no_filing())
    assert ("ineligible", "failed", None) == (v.outcome, v.rule("filing.window").outcome,
                                               v.rule("filing.window").reason)


def test_a_pending_review_after_the_window_names_the_pending_condition():
    """After the window, a filing still under review leaves the approval undetermined for that reason."""
    facts = copy.deepcopy(COLLECTIVE)
    facts["filings"][0]["review"] = {"status": "pending"}
    r = qnwmh_rules.evaluate(facts, as_of="2017-11-01").rule("filing.approved")
    assert "undetermined" == r.outcome and r.reason.startswith("尚待决定：any(f in filings,")


def _unit_before_inspection():
    unit = copy.deepcopy(UNIT)
    unit["activities"] = [a for a in unit["activities"] if a["date"] <= "2017-08-15"]
    return unit


@pytest.mark.parametrize("backend", ["durable", "python"])
def test_a_unit_on_2017_08_15_without_an_inspection_is_undetermined_with_a_provisional_score(backend):
    """The inspection duty is not yet due, nor are the shares (the window is open, provisional_pass):
    undetermined, the score provisional with its range."""
    v = qnwmh_rules.evaluate(_unit_before_inspection(), subject="unit", as_of="2017-08-15", backend=backend)
    r = v.rule("duty.inspection")
    assert ("undetermined", "undetermined") == (v.outcome, r.outcome)
    assert "2019-01-01" in r.reason and "params.creation_period_end" in r.reason
    assert (True, "50.0", "50.0", "100.0") == (v.score.provisional, v.score.total, v.score.lowest,
                                                 v.score.highest)


@pytest.mark.parametrize("day, outcome", [("2018-12-31", "undetermined"), ("2019-01-01", "failed")])
def test_a_unit_on_the_last_day_of_its_creation_period_and_the_day_after(day, outcome):
    """A duty not done is undetermined on 2018-12-31 and failed (unit ineligible) on 2019-01-01."""
    v = qnwmh_rules.evaluate(_unit_before_inspection(), subject="unit", as_of=day)
    assert (outcome, "ineligible" if outcome == "failed" else "undetermined") == \
        (v.rule("duty.inspection").outcome, v.outcome)


def test_a_unit_missing_a_duty_is_worded_for_a_unit():
    """A unit lacking a duty is ineligible in the JSON and "does not meet the requirements" in the notes."""
    v = qnwmh_rules.evaluate(_unit_before_inspection(), subject="unit")
    doc = json.loads(v.to_json())
    assert ("ineligible", "unit") == (doc["outcome"], doc["subject"])
    assert "U-GD has a score of 80 out of 100 in the 2017—2018 assessment of management units; a required duty " \
           "is not met (under the “assessment of management units (Youth Civilization Post)” ruleset, version " \
           "2.1.1; no evaluation date given: every deadline is taken as passed)." == \
        explain_text(v, lang="en").splitlines()[2]
    assert "U-GD的2017—2018年度青年文明号活动管理工作考评得分80分（满分100分），部分必备要求未达到" == \
        explain_text(v).splitlines()[2].partition("（依据")[0]
    assert qnwmh_rules.Verdict.from_dict(doc) == v


def test_a_collective_verdict_has_no_subject_key():
    """Collective verdicts keep their JSON shape: no `subject` key."""
    assert "subject" not in json.loads(qnwmh_rules.evaluate(COLLECTIVE).to_json())


def _filing(at, status="approved", kind="industry", unit="广铁集团团委"):
    review = {"status": status} if status == "pending" else {"status": status, "at": at}
    return {"channel": {"kind": kind, "unit": unit}, "submitted_at": at, "review": review}


def test_a_2014_filing_and_a_2016_filing_are_one_channel_and_the_note_lists_the_counted_filing():
    """Only this term's filings count for the single reporting line; the explanation says which were counted."""
    facts = copy.deepcopy(COLLECTIVE)
    facts["filings"] = [_filing("2014-05-01T10:00:00+08:00", unit="铁路总公司团委"),
                        _filing("2016-03-01T10:00:00+08:00", kind="locality", unit="共青团广东省委")]
    for backend in BACKENDS_HERE:
        v = qnwmh_rules.evaluate(facts, backend=backend)
        r = v.rule("filing.single_channel")
        assert ("eligible", "passed", 1, ["filings[1]"]) == (v.outcome, r.outcome, dict(r.values)[
            "derived.filing_channels"], dict(r.values)["derived.filing_channels.counted"])
    assert "- Filed through one reporting line only: Reporting channels used within this term's filing window: 1; " \
           "no filing through several channels. Filings counted: filed 1 March 2016, 10:00 Beijing time through " \
           "the local line with 共青团广东省委, " \
           "approved (1 March 2016, 10:00 Beijing time)." in explain_text(v, lang="en").splitlines()


def test_counting_creation_collectives_uses_the_rulesets_criterion():
    """Three records, one with an approved filing of this term's window: one creation collective."""
    approved = copy.deepcopy(COLLECTIVE)
    old = dict(copy.deepcopy(COLLECTIVE), id="OLD", filings=[_filing("2014-05-01T10:00:00+08:00")])
    pending = dict(copy.deepcopy(COLLECTIVE), id="P", filings=[_filing("2017-06-01T10:00:00+08:00", "pending")])
    assert {"total": 1, "previous_national": 0, "non_public_economy": 0, "social_organization": 0} == \
        qnwmh_rules.count_creation_collectives([approved, old, pending])


def test_the_criterion_is_ruleset_data():
    """The creation-collective criterion is read from the unit ruleset, not written in code."""
    crit = _pair("2017-2018/unit.yaml")[0].ruleset.creation_collective
    assert ('any(f in filings, f.submitted_at in params.filing_window and f.review.status == "approved")',
            ("previous_national", "non_public_economy", "social_organization")) == \
        (" ".join(crit.when.split()), tuple(n for n, _ in crit.breakdown))


def test_records_with_unknown_filings_leave_the_counts_unknown():
    """A record whose filings are unknown may or may not count: every count is left out, not guessed."""
    unknown = {k: v for k, v in COLLECTIVE.items() if k != "filings"} | {"id": "GD-0002"}
    assert {} == qnwmh_rules.count_creation_collectives([COLLECTIVE, unknown])


def test_records_with_unknown_org_kind_leave_only_those_counts_out():
    """A creation collective without org_kind: total and previous_national counted, the org counts left out."""
    unknown = {k: v for k, v in COLLECTIVE.items() if k != "org_kind"} | {"id": "GD-0002"}
    assert {"total": 2, "previous_national": 0} == qnwmh_rules.count_creation_collectives([COLLECTIVE, unknown])


def _overlay(tmp_path, body):
    base = RULESETS / "2017-2018" / "national.yaml"
    (tmp_path / "national.yaml").write_text(base.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "alt.yaml").write_text(
        "ruleset: alt\ninherits: national.yaml\nterm: 2017-2018\nversion: 0.1.0\n"
        "title: {zh: 测试, en: Test}\n" + body, encoding="utf-8")
    return qnwmh_rules.load_ruleset(tmp_path / "alt.yaml")


@pytest.mark.parametrize("completes, outcome", [("day_after_birthday", "passed"), ("on_birthday", "failed")])
def test_the_birthday_reading_is_a_parameter(tmp_path, completes, outcome):
    """A 号长 whose 41st birthday is the reference day: 40 if the year completes the day after, else 41."""
    engine = _overlay(tmp_path, f"parameters:\n  age_completes: {{value: {completes}}}\n")
    facts = copy.deepcopy(COLLECTIVE)
    facts["leader"]["birth_date"] = "1976-09-30"
    assert outcome == engine.evaluate(facts).rule("basic.leader_age").outcome


def test_applies_if_cannot_read_as_of(tmp_path):
    """Whether a rule applies depends on the subject's facts, never on the moment of evaluation."""
    with pytest.raises(qnwmh_rules.RulesetError) as exc:
        _overlay(tmp_path, "rules:\n  - id: extra.rule\n    title: {zh: 甲, en: A}\n    severity: advisory\n"
                           "    citation: {source: N, clause: 一、1, text: 严格基本条件。}\n"
                           "    applies_if: as_of <= params.naming_cutoff\n    when: members.total >= 6\n")
    assert "Q213" == exc.value.code


@given(day=st.dates(dt.date(2015, 1, 1), dt.date(2020, 1, 1)))
def test_the_guangdong_deadline_is_undetermined_exactly_until_its_day(day):
    """Without a filing, guangdong.filing_deadline is undetermined through 2017-09-07 and failed after."""
    facts = _no_filing()
    r = _pair("2017-2018/guangdong.yaml")[1].evaluate(facts, as_of=day.isoformat()).rule(
        "guangdong.filing_deadline")
    assert ("undetermined" if day <= dt.date(2017, 9, 7) else "failed") == r.outcome


def test_the_single_channel_window_is_the_filing_window_in_the_shipped_rulesets():
    """The filings counted for the single reporting line are those of this term's filing window."""
    for name, (engine, _) in ((n, _pair(n)) for n in NAMES):
        params = {p.name: p.value for p in engine.ruleset.parameters}
        if "single_channel_window" in params:
            assert params["filing_window"] == params["single_channel_window"], name


def test_unit_and_counted_verdicts_satisfy_the_schema():
    """A unit verdict (with `subject`) and a verdict listing counted filings validate against the schema."""
    import jsonschema

    from qnwmh_rules.verdict import verdict_schema

    validator = jsonschema.Draft202012Validator(verdict_schema())
    validator.validate(json.loads(qnwmh_rules.evaluate(UNIT, subject="unit", as_of="2019-01-01").to_json()))
    validator.validate(json.loads(qnwmh_rules.evaluate(COLLECTIVE, as_of="2017-09-20").to_json()))
