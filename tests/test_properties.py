"""Properties: the durable engine agrees with the reference evaluator; verdicts are deterministic."""

import json
from pathlib import Path

import pytest
from hypothesis import given

import qnwmh_rules

from .conftest import ROOT, engine_pair
from .strategies import collectives

SHAPES = Path(__file__).parent / "data" / "shapes.yaml"

RULESET_FILES = {"national": ROOT / "rulesets" / "2017-2018" / "national.yaml",
                 "guangdong": ROOT / "rulesets" / "2017-2018" / "guangdong.yaml", "shapes": SHAPES}


def _pair(name):
    return engine_pair(RULESET_FILES[name])


@pytest.mark.durable
@pytest.mark.parametrize("name", sorted(RULESET_FILES))
@given(facts=collectives())
def test_engine_agrees_with_reference_evaluator(name, facts):
    """On random collectives, durable_rules and the reference evaluator give every rule the same outcome."""
    durable, python = _pair(name)
    d, p = durable.evaluate(facts), python.evaluate(facts)
    assert [(r.id, r.outcome) for r in p.rules] == [(r.id, r.outcome) for r in d.rules]
    assert (p.outcome, p.missing) == (d.outcome, d.missing)


@given(facts=collectives())
def test_verdict_json_is_deterministic_and_round_trips(facts):
    """Same input, same ruleset: byte-identical JSON; from_dict(to_dict()) is the same verdict."""
    durable, _ = _pair("guangdong")
    a, b = durable.evaluate(facts), durable.evaluate(json.loads(json.dumps(facts)))
    assert a.to_json() == b.to_json()
    assert a == qnwmh_rules.Verdict.from_dict(json.loads(a.to_json()))


@given(facts=collectives())
def test_removing_a_fact_never_turns_failed_or_undetermined_into_passed(facts):
    """Missing facts are never treated as false or true: dropping a fact can only make a rule undetermined."""
    durable, _ = _pair("national")
    before = durable.evaluate(facts)
    reduced = json.loads(json.dumps(facts))
    reduced.pop("filings", None)
    reduced.get("members", {}).pop("total", None)
    after = durable.evaluate(reduced)
    for b, a in zip(before.rules, after.rules, strict=True):
        assert a.outcome == b.outcome or a.outcome == "undetermined", (b.id, b.outcome, a.outcome)
