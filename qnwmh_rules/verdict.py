"""Verdict value objects: what an evaluation returns, and its JSON form.

Owns: ``Verdict``, ``RuleOutcome``, ``Stamp`` (``Citation`` is the ruleset model's, re-exported);
``to_dict``/``from_dict`` and a canonical JSON form (sorted keys, UTF-8) so that the same input and ruleset give
byte-identical JSON. Must not know YAML, durable_rules or how outcomes are decided.
"""

from __future__ import annotations

import json
from typing import Any, Literal, get_args

import attrs

from ._model import Citation


def _strings(v: Any) -> tuple[str, ...]:
    return v if type(v) is tuple else tuple(v)


def _outcomes(v: Any) -> tuple[Any, ...]:
    return v if type(v) is tuple else tuple(v)


__all__ = ["Verdict", "RuleOutcome", "Citation", "Stamp", "ScoreSheet", "ScoreLine", "GroupScore", "GateResult",
           "OUTCOMES", "RULE_OUTCOMES", "Outcome", "RuleOutcomeValue", "SCHEMA_VERSION",
           "verdict_schema"]


def verdict_schema() -> dict[str, Any]:
    """The JSON Schema of the verdict document (``verdict.schema.json`` in the package)."""
    from pathlib import Path

    text = (Path(__file__).with_name("verdict.schema.json")).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema

SCHEMA_VERSION = "1"
#: A verdict's outcome, and a rule's: the only values ``Verdict.outcome`` and ``RuleOutcome.outcome`` take.
Outcome = Literal["eligible", "ineligible", "undetermined"]
RuleOutcomeValue = Literal["passed", "failed", "undetermined", "not_applicable"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
RULE_OUTCOMES: tuple[RuleOutcomeValue, ...] = get_args(RuleOutcomeValue)


def _tuple_of_pairs(v: Any) -> tuple[tuple[str, Any], ...]:
    if type(v) is tuple:
        return v
    if isinstance(v, dict):
        return tuple(sorted(v.items()))
    return tuple((str(k), x) for k, x in v)


@attrs.frozen
class RuleOutcome:
    """One rule's result for one collective."""

    id: str
    outcome: RuleOutcomeValue = attrs.field(validator=attrs.validators.in_(RULE_OUTCOMES))
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
class ScoreLine:
    """One line of a score sheet; the ``points`` of all lines add up to the total exactly.

    Item lines name their rule; adjustment lines (``cap``, ``floor``, ``bonus_cap``,
    ``gate``, ``rounding``) have ``rule`` None (``gate`` names the gate rule).
    """

    rule: str | None
    kind: str  # award | deduction | bonus | cap | floor | bonus_cap | gate | rounding
    group: str | None
    status: str  # awarded | not_awarded | deducted | not_deducted | undetermined | not_applicable | adjustment
    points: str  # exact decimal text, signed
    max: str | None  # the most an item line can contribute (negative for deductions)
    note: str | None


@attrs.frozen
class GroupScore:
    id: str
    title_zh: str
    title_en: str
    points: str  # after floor, cap and weight
    cap: str | None
    weight: str


@attrs.frozen
class GateResult:
    rule: str
    outcome: str
    effect: str  # zero | ineligible


@attrs.frozen
class ScoreSheet:
    """The score of a subject: total of maximum, the breakdown, gates, and how sure it is.

    ``provisional`` is true when some scored rule is undetermined; ``lowest`` and
    ``highest`` bound the total the missing facts could lead to. ``placeholder`` is true
    when some points come from parameters marked as placeholders (not official values).
    """

    total: str
    maximum: str
    provisional: bool
    lowest: str
    highest: str
    rounding: str
    placeholder: bool
    placeholder_params: tuple[str, ...] = attrs.field(converter=_strings)
    lines: tuple[ScoreLine, ...] = attrs.field(converter=_outcomes)
    groups: tuple[GroupScore, ...] = attrs.field(converter=_outcomes)
    gates: tuple[GateResult, ...] = attrs.field(converter=_outcomes)

    def to_dict(self) -> dict[str, Any]:
        d = attrs.asdict(self, recurse=True)
        d["placeholder_params"] = list(self.placeholder_params)
        for k in ("lines", "groups", "gates"):
            d[k] = [dict(x) for x in d[k]]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScoreSheet:
        return cls(**{**d, "lines": tuple(ScoreLine(**x) for x in d["lines"]),
                      "groups": tuple(GroupScore(**x) for x in d["groups"]),
                      "gates": tuple(GateResult(**x) for x in d["gates"])})


@attrs.frozen
class Verdict:
    """The answer for one collective (or management unit).

    - ``subject_id``: the facts' ``id``.
    - ``outcome``: ``"eligible"`` if every required rule passed (or is not applicable),
      ``"ineligible"`` if a required rule failed, else ``"undetermined"``; advisory rules
      never decide it.
    - ``rules``: every rule's ``RuleOutcome`` in the ruleset's order: its outcome, the clause it
      cites, the values it read from the facts (``values``) and the parameters it held them to.
    - ``missing``: dotted fact paths whose absence left required rules undetermined, sorted.
    - ``stamp``: what makes the verdict reproducible (ruleset, term, version, layers, content
      sha256, library version, engine, ``as_of``, the facts' sha256).
    - ``score``: the ``ScoreSheet`` of a scored ruleset (``None`` otherwise).
    - ``subject``: ``"collective"`` or ``"unit"``.
    """

    subject_id: str
    outcome: Outcome = attrs.field(validator=attrs.validators.in_(OUTCOMES))
    rules: tuple[RuleOutcome, ...] = attrs.field(converter=_outcomes)
    missing: tuple[str, ...] = attrs.field(converter=_strings)
    stamp: Stamp
    score: ScoreSheet | None = None
    # "collective" or "unit" (a management unit: explanations word the outcome for a unit)
    subject: str = "collective"

    def rule(self, rule_id: str) -> RuleOutcome:
        """The outcome of the rule ``rule_id`` (e.g. ``"basic.youth_share"``); KeyError if the
        verdict has no such rule."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    @property
    def failed(self) -> tuple[RuleOutcome, ...]:
        """The rules that failed (required and advisory), in the ruleset's order."""
        return tuple(r for r in self.rules if r.outcome == "failed")

    def to_dict(self) -> dict[str, Any]:
        d = {
            "schema_version": SCHEMA_VERSION, "subject_id": self.subject_id, "outcome": self.outcome,
            "missing": list(self.missing), "rules": [r.to_dict() for r in self.rules],
            "stamp": self.stamp.to_dict(),
        }
        if self.score is not None:  # only scored rulesets have a score sheet
            d["score"] = self.score.to_dict()
        if self.subject != "collective":  # added after release: absent for collectives
            d["subject"] = self.subject
        return d

    def to_json(self, *, indent: int | None = 2) -> str:
        """Canonical JSON: sorted keys, real UTF-8 (Chinese stays readable)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, indent=indent)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verdict:
        """Rebuild a verdict from its JSON form; ValueError if ``d`` is not one."""
        if not isinstance(d, dict):
            raise ValueError(f"a verdict document is a JSON object, not {type(d).__name__}")
        if not isinstance(d.get("rules"), list) or not isinstance(d.get("missing"), list) or \
                not isinstance(d.get("stamp"), dict):
            raise ValueError("a verdict document needs `rules` and `missing` lists and a `stamp` object")
        if d.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"unsupported verdict schema_version {d.get('schema_version')!r}; "
                             f"this library reads {SCHEMA_VERSION}")
        return cls(subject_id=d["subject_id"], outcome=d["outcome"],
                   rules=tuple(RuleOutcome.from_dict(r) for r in d["rules"]), missing=d["missing"],
                   stamp=Stamp(**d["stamp"]),
                   score=ScoreSheet.from_dict(d["score"]) if d.get("score") is not None else None,
                   subject=d.get("subject", "collective"))
