"""The fixed library of derived facts: what durable_rules cannot compute itself.

Owns: ``age_in_full_years`` (周岁 at a date, with ``relativedelta``), ``count``,
``count_distinct`` and ``earliest``. A derived fact is missing exactly when what it
is computed from is missing. Must not know rules or the engine.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dateutil.relativedelta import relativedelta

from ._model import Derivation, Ruleset
from .facts import Facts

__all__ = ["derive", "age_in_full_years"]


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
        return age_in_full_years(birth, params[d.at])
    list_name, _, field = d.of.partition("[].")
    items = facts.lists.get(list_name)
    if items is None:
        return None
    if d.function == "count":
        return len(items)
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
