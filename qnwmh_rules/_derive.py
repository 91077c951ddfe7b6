"""The fixed library of derived facts: what durable_rules cannot compute itself.

Owns: ``age_in_full_years`` (周岁 at a date, with ``relativedelta``), ``count``,
``count_distinct`` and ``earliest``. A derived fact is missing exactly when what it
is computed from is missing. Must not know rules or the engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from dateutil.relativedelta import relativedelta

from ._model import Derivation, Ruleset
from ._reference import evaluate_item_condition
from .exceptions import FactsError
from .facts import Facts, parse_facts

__all__ = ["derive", "age_in_full_years", "count_creation_collectives"]


def age_in_full_years(birth: dt.date, at: dt.date) -> int:
    """周岁: completed years of life on ``at``.

    Uses ``relativedelta``: someone born on 29 February completes a year on 28 February
    in common years (no source settles this; it only matters for such birthdays).
    """
    return int(relativedelta(at, birth).years)


def _item_key(item: dict[str, Any], field: str) -> Any:
    if field in item:
        return item[field]
    return tuple(sorted((k, v) for k, v in item.items() if k.startswith(field + ".")))


def _one(d: Derivation, facts: Facts, params: dict[str, Any]) -> Any:
    if d.function == "age_in_full_years":
        birth = facts.values.get(d.of)
        if birth is None:
            return None
        assert d.at is not None  # the schema requires `at` for ages
        at = params[d.at]
        if birth > at:  # a negative age would pass any "at most" rule: impossible, not young
            raise FactsError(d.of, f"is {birth.isoformat()}, after the date ages are counted on "
                                   f"({d.at} = {at.isoformat()}): nobody is born after it")
        return age_in_full_years(birth, at)
    list_name, _, field = d.of.partition("[].")
    items = facts.lists.get(list_name)
    if items is None:
        return None
    if d.function == "count":
        if d.where_condition is None:
            return len(items)
        verdicts = [evaluate_item_condition(d.where_condition, i, facts.tz) for i in items]
        if any(v is not True and v is not False for v in verdicts):
            return None  # an item's field needed by `where` is missing: the count is unknown
        return sum(1 for v in verdicts if v is True)
    if d.function == "count_distinct":
        return len({_item_key(i, field) for i in items})
    if d.function == "earliest":
        found = [i[field] for i in items if i.get(field) is not None]
        return min(found) if found else None
    raise AssertionError(d.function)  # pragma: no cover - the schema refuses others


def derive(rs: Ruleset, facts: Facts, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"derived.<name>": value}`` for every derivation whose inputs are present.

    ``params`` (name -> value) may be given by callers that evaluate many cases.
    """
    if params is None:
        params = {p.name: p.value for p in rs.parameters}
    out: dict[str, Any] = {}
    for d in rs.derived:
        value = _one(d, facts, params)
        if value is not None:
            out[f"derived.{d.name}"] = value
    return out


def count_creation_collectives(collectives: Iterable[Mapping[str, Any]], *,
                               tz: str = "Asia/Shanghai") -> dict[str, int]:
    """The ``creation_collectives`` facts of a management unit, counted from collective records.

    Each record is a collective's facts (the collective contract); each is checked, and a bad
    one raises FactsError naming its index (``collectives[3].members.total``). A collective
    counts as a previous national one when it holds any national honour; the non-public and
    social-organisation counts follow ``org_kind``. A record without ``org_kind`` (or without
    ``honors``) makes the matching count unknown, so that count is left out rather than guessed.
    """
    counts = {"total": 0, "previous_national": 0, "non_public_economy": 0, "social_organization": 0}
    unknown: set[str] = set()
    for i, raw in enumerate(collectives):
        try:
            facts = parse_facts(raw, tz=tz)
        except FactsError as exc:
            raise FactsError(f"collectives[{i}].{exc.field}", exc.message, suggestion=exc.suggestion) from None
        counts["total"] += 1
        honors = facts.lists.get("honors")
        if honors is None:
            unknown.add("previous_national")
        elif any(h["level"] == "national" for h in honors):
            counts["previous_national"] += 1
        kind = facts.values.get("org_kind")
        if kind is None:
            unknown.update(("non_public_economy", "social_organization"))
        elif kind in ("non_public_economy", "social_organization"):
            counts[kind] += 1
    return {k: v for k, v in counts.items() if k not in unknown}
