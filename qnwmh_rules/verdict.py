"""Verdict value objects: what an evaluation returns, and its JSON form.

Owns: ``Verdict``, ``RuleOutcome``, ``Citation``, ``Stamp``; ``to_dict``/``from_dict``
and a canonical JSON form (sorted keys, UTF-8) so that the same input and ruleset give
byte-identical JSON. Must not know YAML, durable_rules or how outcomes are decided.
"""

from __future__ import annotations

import json
from typing import Any

import attrs


def _strings(v: Any) -> tuple[str, ...]:
    return v if type(v) is tuple else tuple(v)


def _outcomes(v: Any) -> tuple[RuleOutcome, ...]:
    return v if type(v) is tuple else tuple(v)


__all__ = ["Verdict", "RuleOutcome", "Citation", "Stamp", "OUTCOMES", "RULE_OUTCOMES", "SCHEMA_VERSION",
           "verdict_schema"]


def verdict_schema() -> dict[str, Any]:
    """The JSON Schema of the verdict document (``verdict.schema.json`` in the package)."""
    from pathlib import Path

    text = (Path(__file__).with_name("verdict.schema.json")).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema

SCHEMA_VERSION = "1"
OUTCOMES = ("eligible", "ineligible", "undetermined")
RULE_OUTCOMES = ("passed", "failed", "undetermined", "not_applicable")


def _tuple_of_pairs(v: Any) -> tuple[tuple[str, Any], ...]:
    if type(v) is tuple:
        return v
    if isinstance(v, dict):
        return tuple(sorted(v.items()))
    return tuple((str(k), x) for k, x in v)


@attrs.frozen
class Citation:
    """The clause a rule cites: source id and title, clause number and its own text."""

    source: str
    source_title: str
    clause: str
    text: str


@attrs.frozen
class RuleOutcome:
    """One rule's result for one collective."""

    id: str
    outcome: str = attrs.field(validator=attrs.validators.in_(RULE_OUTCOMES))
    severity: str = attrs.field(validator=attrs.validators.in_(("required", "advisory")))
    title_zh: str
    title_en: str
    citation: Citation
    interpretation: str | None
    # (fact path, value as JSON) for every fact the rule read; absent facts are in ``missing``.
    values: tuple[tuple[str, Any], ...] = attrs.field(converter=_tuple_of_pairs)
    # (parameter name, value as JSON): the thresholds the rule held the facts to.
    params: tuple[tuple[str, Any], ...] = attrs.field(converter=_tuple_of_pairs)
    # (parameter name, its interpretation note): readings of ambiguous clauses behind a threshold.
    param_notes: tuple[tuple[str, Any], ...] = attrs.field(converter=_tuple_of_pairs)
    missing: tuple[str, ...] = attrs.field(converter=_strings)
    condition: str
    layer: str
    # why the rule is undetermined although no fact is missing (a window still open), else None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "outcome": self.outcome, "severity": self.severity,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "citation": attrs.asdict(self.citation),
            "interpretation": self.interpretation,
            "values": dict(self.values), "params": dict(self.params), "param_notes": dict(self.param_notes),
            "missing": list(self.missing),
            "condition": self.condition, "layer": self.layer, "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RuleOutcome:
        return cls(
            id=d["id"], outcome=d["outcome"], severity=d["severity"], title_zh=d["title"]["zh"],
            title_en=d["title"]["en"], citation=Citation(**d["citation"]), interpretation=d["interpretation"],
            values=d["values"], params=d["params"], param_notes=d["param_notes"], missing=d["missing"],
            condition=d["condition"], reason=d.get("reason"),
            layer=d["layer"],
        )


@attrs.frozen
class Stamp:
    """What makes a verdict reproducible."""

    ruleset_id: str
    term: str
    version: str
    region: str | None
    layers: tuple[str, ...] = attrs.field(converter=_strings)
    ruleset_sha256: str
    library_version: str
    engine: str
    as_of: str | None
    facts_sha256: str

    def to_dict(self) -> dict[str, Any]:
        d = attrs.asdict(self)
        d["layers"] = list(self.layers)
        return d


@attrs.frozen
class Verdict:
    """The answer for one collective: outcome, every rule's outcome, what was missing, the stamp."""

    subject_id: str
    outcome: str = attrs.field(validator=attrs.validators.in_(OUTCOMES))
    rules: tuple[RuleOutcome, ...] = attrs.field(converter=_outcomes)
    missing: tuple[str, ...] = attrs.field(converter=_strings)
    stamp: Stamp

    def rule(self, rule_id: str) -> RuleOutcome:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    @property
    def failed(self) -> tuple[RuleOutcome, ...]:
        return tuple(r for r in self.rules if r.outcome == "failed")

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION, "subject_id": self.subject_id, "outcome": self.outcome,
            "missing": list(self.missing), "rules": [r.to_dict() for r in self.rules],
            "stamp": self.stamp.to_dict(),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """Canonical JSON: sorted keys, real UTF-8 (Chinese stays readable)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, indent=indent)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verdict:
        if d.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"unsupported verdict schema_version {d.get('schema_version')!r}; "
                             f"this library reads {SCHEMA_VERSION}")
        return cls(subject_id=d["subject_id"], outcome=d["outcome"],
                   rules=tuple(RuleOutcome.from_dict(r) for r in d["rules"]), missing=d["missing"],
                   stamp=Stamp(**d["stamp"]))
