"""Scoring: breakdowns add up, totals stay within the maximum, and scores move the right way."""

import copy
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules import _score
from qnwmh_rules.verdict import verdict_schema

from .conftest import engine_pair
from .strategies import activities, collectives, score_inputs, units

ROOT = Path(__file__).resolve().parent.parent / "rulesets"
UNIT_FILE = ROOT / "2017-2018" / "unit.yaml"
TRANSPORT_FILE = ROOT / "2017-2018" / "unit-transport.yaml"
EXAMPLE_FILE = ROOT / "examples" / "collective-scoring.yaml"


def _engine(path, backend="durable"):
    """The engine of a ruleset file, built on first use (see conftest.engine_pair)."""
    return engine_pair(path)[backend == "python"]



def _check_sheet(verdict):
    sheet = verdict.score
    assert sheet is not None
    assert Decimal(sheet.total) == sum((Decimal(line.points) for line in sheet.lines), Decimal(0))
    assert Decimal(0) <= Decimal(sheet.total) <= Decimal(sheet.maximum)
    assert Decimal(sheet.lowest) <= Decimal(sheet.total) <= Decimal(sheet.highest) <= Decimal(sheet.maximum)
    assert sheet.provisional == (sheet.lowest != sheet.highest or any(
        line.status == "undetermined" for line in sheet.lines) or any(g.outcome == "undetermined"
                                                                      for g in sheet.gates))
    return sheet


@given(unit=units())
def test_unit_breakdown_adds_up_and_stays_within_the_maximum(unit):
    """For any management unit, the lines sum to the total, and lowest ≤ total ≤ highest ≤ maximum."""
    _check_sheet(_engine(UNIT_FILE).evaluate(unit))
    _check_sheet(_engine(TRANSPORT_FILE).evaluate(unit))


@given(facts=collectives())
def test_example_breakdown_adds_up_and_stays_within_the_maximum(facts):
    """The same holds for the example collective sheet with deductions, caps, bonuses and a veto."""
    _check_sheet(_engine(EXAMPLE_FILE).evaluate(facts))


@given(unit=units(), facts=collectives())
def test_scores_agree_between_backends_and_match_the_schema(unit, facts):
    """Both backends give the same score sheet, and the verdict document validates."""
    a, b = _engine(UNIT_FILE).evaluate(unit), _engine(UNIT_FILE, "python").evaluate(unit)
    assert a.score == b.score
    assert _engine(EXAMPLE_FILE).evaluate(facts).score == _engine(EXAMPLE_FILE, "python").evaluate(facts).score
    validator = jsonschema.Draft202012Validator(verdict_schema())
    validator.validate(a.to_dict())
    validator.validate(_engine(EXAMPLE_FILE).evaluate(facts).to_dict())
    assert a == qnwmh_rules.Verdict.from_dict(json.loads(a.to_json()))


@given(unit=units(), extra=activities())
def test_adding_a_qualifying_activity_never_lowers_the_score(unit, extra):
    """One more activity can only add points (or leave them), never take any away."""
    before = _engine(UNIT_FILE).evaluate(unit).score
    more = copy.deepcopy(unit)
    more.setdefault("activities", []).append(extra)
    after = _engine(UNIT_FILE).evaluate(more).score
    assert Decimal(after.total) >= Decimal(before.total)
    assert Decimal(after.lowest) >= Decimal(before.lowest)


@given(unit=units(), drop=st.sampled_from(["activities", "quota", "contact_platform", "creation_collectives"]))
def test_removing_a_fact_never_turns_undetermined_into_passed(unit, drop):
    """Dropping a fact only moves rules towards undetermined, and keeps the total within the old range."""
    before = _engine(UNIT_FILE).evaluate(unit)
    less = copy.deepcopy(unit)
    less.pop(drop, None)
    after = _engine(UNIT_FILE).evaluate(less)
    for b, a in zip(before.rules, after.rules, strict=True):
        assert a.outcome in (b.outcome, "undetermined"), (b.id, b.outcome, a.outcome)
    assert Decimal(after.score.lowest) <= Decimal(before.score.lowest)
    assert Decimal(after.score.highest) >= Decimal(before.score.highest)


def test_placeholders_are_labelled_in_the_verdict():
    """Every point value of the unit assessment is a placeholder, and the verdict says so."""
    facts = json.loads((ROOT / "examples" / "unit-gd.json").read_text(encoding="utf-8"))
    v = _engine(UNIT_FILE).evaluate(facts)
    assert (True, ("points_per_duty", "points_scale", "points_structure")) == \
        (v.score.placeholder, v.score.placeholder_params)
    assert "creation period" in dict(v.rule("duty.training").param_notes)["creation_period_start"]
    assert "placeholder" in dict(v.rule("portfolio.previous_national").param_notes)["previous_national_share_min"]


def test_counting_creation_collectives_from_records():
    """The helper counts previous national, non-public and social-organisation collectives."""
    c = json.loads((ROOT / "examples" / "collective-gd-0001.json").read_text(encoding="utf-8"))
    national = dict(c, id="N", honors=[{"level": "national", "kind": "named", "round": "2013-2014",
                                        "date": "2014-05-04"}])
    social = dict(c, id="S", org_kind="social_organization")
    unknown = {k: v for k, v in c.items() if k != "org_kind"} | {"id": "U"}
    assert {"total": 3, "previous_national": 1, "non_public_economy": 0, "social_organization": 1} == \
        qnwmh_rules.count_creation_collectives([c, national, social])
    assert {"total": 2, "previous_national": 0} == qnwmh_rules.count_creation_collectives([c, unknown])


def test_a_bad_record_names_its_index():
    """A bad collective record is refused with its index in the field path."""
    try:
        qnwmh_rules.count_creation_collectives([{"id": "a"}, {"id": "b", "members": {"total": -1}}])
    except qnwmh_rules.FactsError as exc:
        assert "collectives[1].members.total" == exc.field
    else:
        raise AssertionError("accepted")


def test_cli_scores_a_unit(capsys):
    """`evaluate --subject unit` prints the scored verdict."""
    from qnwmh_rules.cli import main
    assert 0 == main(["evaluate", "--subject", "unit", "--industry", "transport",
                      str(ROOT / "examples" / "unit-gd.json"), "--compact"])
    doc = json.loads(capsys.readouterr().out)
    assert ("100.0", "100.0", True) == (doc["score"]["total"], doc["score"]["maximum"], doc["score"]["placeholder"])


def test_explanations_show_the_score_sheet():
    """Text and HTML notes carry the score, the placeholder warning and each line."""
    facts = json.loads((ROOT / "examples" / "unit-gd.json").read_text(encoding="utf-8"))
    facts["activities"] = facts["activities"][1:]
    del facts["contact_platform"]
    v = _engine(UNIT_FILE).evaluate(facts)
    zh, en, html = (qnwmh_rules.explain_text(v, lang="zh"), qnwmh_rules.explain_text(v, lang="en"),
                    qnwmh_rules.explain_html(v, lang="en"))
    assert "暂定得分80分（满分100分；尚无法判定的项目判定后，最终得分在80分至90分之间）" in zh.splitlines()
    assert "- At least one special meeting: 0 of 10 not awarded — the condition was not met" in en.splitlines()
    assert "NOTE: the text of the assessment measures is not held; the points in this note are provisional, " \
           "not official weights, and the score is indicative only." in en.splitlines()
    assert '<section class="score">' in html and "Score 80 of 100" in html


@pytest.mark.parametrize("path", [UNIT_FILE, TRANSPORT_FILE, EXAMPLE_FILE], ids=lambda p: p.stem)
@given(data=st.data())
def test_the_sheet_its_bounds_and_its_maximum_are_one_arithmetic(path, data):
    """For any outcomes and counts, the lines add up to the total, which is the 'now' scenario, between the bounds."""
    rs = _engine(path, "python").ruleset
    outcomes, derived = data.draw(score_inputs(rs))
    sheet = _score.score_sheet(rs, outcomes, derived, {})
    quantum = Decimal(1).scaleb(-rs.scoring.places)
    now = _score._scenario(rs, outcomes, derived, "now").quantize(quantum, rounding=_score._MODES[rs.scoring.rounding])
    assert Decimal(sheet.total) == sum((Decimal(line.points) for line in sheet.lines), Decimal(0))
    assert now == Decimal(sheet.total)
    assert Decimal(sheet.lowest) <= Decimal(sheet.total) <= Decimal(sheet.highest) <= Decimal(sheet.maximum)


@pytest.mark.parametrize("path", [UNIT_FILE, TRANSPORT_FILE, EXAMPLE_FILE], ids=lambda p: p.stem)
def test_earning_everything_reaches_the_maximum(path):
    """Every award and bonus passed at its cap and no deduction or gate failed gives exactly the maximum."""
    rs = _engine(path, "python").ruleset
    outcomes = {r.id: "passed" if r.score and r.score.kind in ("award", "bonus", "gate") else "failed"
                for r in rs.rules}
    derived = {r.score.per: 10**6 for r in rs.rules if r.score and r.score.per}
    sheet = _score.score_sheet(rs, outcomes, derived, {})
    assert (sheet.maximum, sheet.maximum, sheet.maximum) == (sheet.total, sheet.lowest, sheet.highest)
