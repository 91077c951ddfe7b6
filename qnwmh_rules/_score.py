"""Scoring: points, weights, caps, deductions, bonuses and gates, in exact decimals.

Owns: turning the outcome of each scored rule (decided by the engine like any rule) into
a score sheet whose lines always add up to the total: one line per scored rule, then an
adjustment line for every cap, floor, bonus cap, zeroing gate and the declared rounding.
Undetermined items are never silently scored zero: the sheet is marked provisional and
gives the lowest and highest totals the missing facts could lead to.
Must not know durable_rules, YAML or how rule outcomes are decided.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from ._model import Rule, Ruleset
from .verdict import GateResult, GroupScore, ScoreLine, ScoreSheet

__all__ = ["score_sheet", "maximum"]

_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}
_ZERO = Decimal(0)


def _amount(rule: Rule, derived: dict[str, Any]) -> Decimal | None:
    """The points the rule is worth for this subject (× its `per` count, within its cap)."""
    spec = rule.score
    assert spec is not None and spec.value is not None
    amount = spec.value
    if spec.per is not None:
        count = derived.get(spec.per)
        if count is None:
            return None
        amount = amount * Decimal(count)
    if spec.cap is not None:
        amount = min(amount, spec.cap)
    return amount


def _item_max(rule: Rule) -> Decimal:
    spec = rule.score
    assert spec is not None and spec.value is not None
    if spec.per is not None:
        assert spec.cap is not None  # the schema requires a cap with per
        return spec.cap
    return min(spec.value, spec.cap) if spec.cap is not None else spec.value


def _aggregate(rs: Ruleset, points: Callable[[Rule, Decimal], Decimal], zeroes: Callable[[Rule], bool],
               lines: list[ScoreLine] | None = None) -> tuple[Decimal, tuple[Decimal, ...]]:
    """The one arithmetic of a score sheet, from each scored item's points: per group, its awards
    and deductions added, never below zero, within the group's cap and times its weight; the
    bonuses added within the bonus cap; a zeroing gate for which ``zeroes(rule)`` holds makes it 0.

    ``points(rule, weight)`` is an award, deduction or bonus item's signed points before the weight
    (``weight`` is its group's, 1 for a bonus); it is called once per item, in the order of the sheet.
    With ``lines``, an adjustment line is appended for each floor, cap, bonus cap and gate that
    changed the total, after the lines ``points`` appends for the items it adjusts. Returns the
    exact total and each group's points after its floor and cap (before its weight)."""
    assert rs.scoring is not None
    total = _ZERO
    values = []
    for g in rs.scoring.groups:
        raw = sum((points(r, g.weight) for r in rs.rules
                   if r.score and r.score.group == g.id and r.score.kind in ("award", "deduction")), _ZERO)
        value = max(raw, _ZERO)
        if raw < 0 and lines is not None:
            lines.append(ScoreLine(None, "floor", g.id, "adjustment", _s(-raw * g.weight), None,
                                   "deductions cannot take a group below zero"))
        if g.cap is not None and value > g.cap:
            if lines is not None:
                lines.append(ScoreLine(None, "cap", g.id, "adjustment", _s((g.cap - value) * g.weight), None,
                                       f"the group is capped at {_s(g.cap)} points"))
            value = g.cap
        values.append(value)
        total += value * g.weight
    bonus = sum((points(r, Decimal(1)) for r in rs.rules if r.score and r.score.kind == "bonus"), _ZERO)
    bonus_cap = rs.scoring.bonus_cap
    if bonus_cap is not None and bonus > bonus_cap:
        if lines is not None:
            lines.append(ScoreLine(None, "bonus_cap", None, "adjustment", _s(bonus_cap - bonus), None,
                                   f"bonuses are capped at {_s(bonus_cap)} points"))
        bonus = bonus_cap
    total += bonus
    for r in rs.rules:
        if r.score and r.score.kind == "gate" and r.score.effect == "zero" and zeroes(r) and total != 0:
            if lines is not None:
                lines.append(ScoreLine(r.id, "gate", None, "adjustment", _s(-total), None,
                                       "a one-vote veto (一票否决) gate failed: the score is zero"))
            total = _ZERO
    return total, tuple(values)


def maximum(rs: Ruleset, outcomes: dict[str, str] | None = None) -> Decimal:
    """The most the score sheet can give (before rounding): every award and bonus that can apply,
    each group within its cap. With ``outcomes`` (rule id -> outcome), ``not_applicable`` items
    are out of reach and left out, so a subject that earns everything asked of it reaches it."""
    out = outcomes or {}

    def most(r: Rule, _weight: Decimal) -> Decimal:
        assert r.score is not None
        return _ZERO if r.score.kind == "deduction" or out.get(r.id) == "not_applicable" else _item_max(r)

    return _aggregate(rs, most, lambda r: False)[0]


def _scenario(rs: Ruleset, outcomes: dict[str, str], derived: dict[str, Any], view: str) -> Decimal:
    """The exact total if undetermined items all go the ``view`` way (now | low | high)."""
    return _aggregate(rs, lambda r, _weight: _contribution(r, outcomes[r.id], derived, view),
                      lambda r: outcomes[r.id] == "failed" or (outcomes[r.id] == "undetermined" and view == "low"))[0]


def _contribution(r: Rule, outcome: str, derived: dict[str, Any], view: str) -> Decimal:
    assert r.score is not None
    amount = _amount(r, derived)
    sign = Decimal(-1) if r.score.kind == "deduction" else Decimal(1)
    if outcome == "passed" and amount is not None:
        return sign * amount
    if outcome == "undetermined" or (outcome == "passed" and amount is None):
        top = _item_max(r)
        if view == "high" and sign > 0:
            return top
        if view == "low" and sign < 0:
            return -top
    return _ZERO


def score_sheet(rs: Ruleset, outcomes: dict[str, str], derived: dict[str, Any],
                param_notes: dict[str, bool]) -> ScoreSheet:
    """The score sheet for one subject. ``outcomes`` maps rule id to its outcome;
    ``param_notes`` maps parameter name to whether it is a placeholder."""
    sc = rs.scoring
    assert sc is not None
    quantum = Decimal(1).scaleb(-sc.places)
    mode = _MODES[sc.rounding]
    lines: list[ScoreLine] = []

    def item(r: Rule, weight: Decimal) -> Decimal:
        """The item's points now, its line appended (points and most shown times its group's weight)."""
        o = outcomes[r.id]
        part = _contribution(r, o, derived, "now")
        lines.append(_item_line(r, o, part * weight, _ZERO if o == "not_applicable" else _item_max(r) * weight,
                                derived))
        return part

    exact, values = _aggregate(rs, item, lambda r: outcomes[r.id] == "failed", lines)
    groups = tuple(GroupScore(g.id, g.title.zh, g.title.en, _s(value * g.weight), None if g.cap is None else _s(g.cap),
                              _s(g.weight)) for g, value in zip(sc.groups, values, strict=True))
    gates = tuple(GateResult(r.id, outcomes[r.id], r.score.effect or "zero") for r in rs.rules
                  if r.score and r.score.kind == "gate")
    provisional = any(outcomes[r.id] == "undetermined" for r in rs.rules if r.score)
    total = exact.quantize(quantum, rounding=mode)
    if total != exact:
        lines.append(ScoreLine(None, "rounding", None, "adjustment", _s(total - exact), None,
                               f"rounded to {sc.places} decimal place(s), {sc.rounding.replace('_', ' ')}"))
    low = _scenario(rs, outcomes, derived, "low").quantize(quantum, rounding=mode)
    high = _scenario(rs, outcomes, derived, "high").quantize(quantum, rounding=mode)
    placeholders = tuple(sorted({r.score.param for r in rs.rules if r.score and r.score.param
                                 and param_notes.get(r.score.param)}))
    return ScoreSheet(
        total=_q(total), maximum=_q(maximum(rs, outcomes).quantize(quantum, rounding=mode)), provisional=provisional,
        lowest=_q(low), highest=_q(high), rounding=f"{sc.places} {sc.rounding}",
        placeholder=bool(placeholders), placeholder_params=placeholders, lines=tuple(lines), groups=groups,
        gates=gates,
    )


def _item_line(r: Rule, outcome: str, points: Decimal, top: Decimal, derived: dict[str, Any]) -> ScoreLine:
    spec = r.score
    assert spec is not None
    deduction = spec.kind == "deduction"
    if outcome == "passed":
        status = "deducted" if deduction else "awarded"
        note = None
        if spec.per is not None:
            count = derived.get(spec.per)
            note = f"{_s(spec.value or _ZERO)} × {count} ({spec.per})" + (
                f", capped at {_s(spec.cap)}" if spec.cap is not None and points.copy_abs() >= spec.cap else "")
    elif outcome == "undetermined":
        status, note = "undetermined", "undetermined (facts missing, or not yet due): not scored until it is decided"
    elif outcome == "not_applicable":
        status, note = "not_applicable", None
    else:
        status = "not_deducted" if deduction else "not_awarded"
        note = None if deduction else "the condition was not met"
    return ScoreLine(r.id, spec.kind, spec.group, status, _s(points), _s(-top if deduction else top), note)


def _q(d: Decimal) -> str:
    """A rounded total as text with its declared decimal places (88.0, not 88)."""
    return format(d if d != 0 else abs(d), "f")


def _s(d: Decimal) -> str:
    """A decimal as text without exponent and without a negative zero."""
    if d == 0:
        return "0"
    text = format(d.normalize(), "f")
    return text
