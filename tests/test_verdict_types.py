"""The outcome values are typed as Literals, and the types, the validators and the JSON Schema agree."""

import json
import typing

import pytest

import qnwmh_rules
from qnwmh_rules import verdict as V

from .conftest import EXAMPLE


def test_verdict_and_rule_outcomes_are_typed_as_the_literals_the_validators_enforce():
    """`Verdict.outcome` and `RuleOutcome.outcome` are Literal types whose values are OUTCOMES / RULE_OUTCOMES."""
    verdict_hint = typing.get_type_hints(V.Verdict)["outcome"]
    rule_hint = typing.get_type_hints(V.RuleOutcome)["outcome"]
    assert (typing.Literal, V.OUTCOMES, typing.Literal, V.RULE_OUTCOMES) == \
        (typing.get_origin(verdict_hint), typing.get_args(verdict_hint),
         typing.get_origin(rule_hint), typing.get_args(rule_hint))


def test_the_verdict_schema_allows_exactly_the_typed_outcomes():
    """The shipped verdict JSON Schema's outcome enums are the Literal types' values."""
    enums = []

    def walk(node):
        if isinstance(node, dict):
            if "enum" in node:
                enums.append(node["enum"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(V.verdict_schema())
    assert (True, True) == (list(V.OUTCOMES) in enums, list(V.RULE_OUTCOMES) in enums)


def test_an_outcome_outside_the_literal_is_refused():
    """A value the Literal does not allow is refused when a verdict is built from a document."""
    with open(EXAMPLE, encoding="utf-8") as f:
        doc = qnwmh_rules.evaluate(json.load(f), region="guangdong").to_dict()
    doc["outcome"] = "maybe"
    with pytest.raises((ValueError, TypeError)):
        V.Verdict.from_dict(doc)
