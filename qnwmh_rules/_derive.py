"""The fixed library of derived facts: what durable_rules cannot compute itself.

Owns: ``age_in_full_years`` (周岁 at a date, by arithmetic; ``relativedelta`` at the edges), ``count``,
``count_distinct`` and ``earliest``. A derived fact is missing exactly when what it
is computed from is missing. A count's ``where`` is decided per item by the predicate the
caller's backend gives (``where``: the generated python predicate, or durable_rules itself), so
each backend counts with its own code; without one, the reference evaluator decides it.
``compile_derive`` builds, once per engine, the function that derives one case the same way.
Must not know rules or the engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from dateutil.relativedelta import relativedelta

from ._model import Derivation, Ruleset
from ._reference import evaluate_item_condition
from .exceptions import FactsError
from .facts import Facts

__all__ = ["derive", "derive_counted", "compile_derive", "Deriver", "age_in_full_years", "counted_items", "item_key",
           "ItemPredicates"]

# A backend's decision of each count's `where` for one list item (True, False, or None/other:
# unknown), by derivation name.
ItemPredicates = Mapping[str, Callable[[dict[str, Any]], Any]]


def age_in_full_years(birth: dt.date, at: dt.date, completes: str = "on_birthday") -> int:
    """周岁: completed years of life on ``at``.

    ``completes`` says when a year is completed: ``"on_birthday"`` (someone born on
    1976-09-30 is 41 on 2017-09-30) or ``"day_after_birthday"`` (the Chinese legal way of
    counting a period from the day after its first day: 41 only from 2017-10-01).
    Someone born on 29 February completes a year on 28 February in common years (as
    ``relativedelta`` counts; no source settles this; it only matters for such birthdays).
    Computed by arithmetic on (year, month, day); 29 February birthdays and ``at`` before
    ``birth`` go to ``relativedelta``, which the arithmetic equals everywhere else.
    """
    if completes == "day_after_birthday":
        at = at - dt.timedelta(days=1)
    elif completes != "on_birthday":
        raise ValueError(f"completes must be on_birthday or day_after_birthday, got {completes!r}")
    if (birth.month == 2 and birth.day == 29) or at < birth:
        return int(relativedelta(at, birth).years)
    return at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))


def counted_items(d: Derivation, facts: Facts, where: ItemPredicates | None = None) -> tuple[int, ...] | None:
    """The indices of the list items a count with ``where`` counted (None: unknown or no list).

    ``where`` holds the backend's item predicate for ``d`` (by ``d.name``); without one the
    reference evaluator decides each item."""
    list_name = d.of.partition("[]")[0]
    items = facts.lists.get(list_name)
    if items is None:
        return None
    if d.where_condition is None:
        return tuple(range(len(items)))
    if where is not None:
        decide = where[d.name]
        many = getattr(decide, "many", None)  # a backend that decides a whole list at once (durable)
        verdicts = list(many(items)) if many is not None else [decide(i) for i in items]
    else:
        verdicts = [evaluate_item_condition(d.where_condition, i, facts.tz) for i in items]
    if any(v is not True and v is not False for v in verdicts):
        return None  # an item's field needed by `where` is missing: what counts is unknown
    return tuple(n for n, v in enumerate(verdicts) if v is True)


def item_key(item: dict[str, Any], field: str) -> Any:
    """What ``count_distinct`` compares of a list item: its value of ``field``, or (for a group
    field such as ``review``) the sorted ``(dotted path, value)`` pairs under it. Shared with
    ``_whynot``, which groups items the same way."""
    if field in item:
        return item[field]
    return tuple(sorted((k, v) for k, v in item.items() if k.startswith(field + ".")))


def _one(d: Derivation, facts: Facts, params: dict[str, Any], where: ItemPredicates | None,
         counted_by: dict[str, tuple[int, ...]]) -> Any:
    if d.function == "age_in_full_years":
        birth = facts.values.get(d.of)
        if birth is None:
            return None
        assert d.at is not None  # the schema requires `at` for ages
        at = params[d.at]
        if birth > at:  # a negative age would pass any "at most" rule: impossible, not young
            raise FactsError(d.of, f"is {birth.isoformat()}, after the date ages are counted on "
                                   f"({d.at} = {at.isoformat()}): nobody is born after it")
        return age_in_full_years(birth, at, params[d.completes] if d.completes else "on_birthday")
    list_name, _, field = d.of.partition("[].")
    items = facts.lists.get(list_name)
    if items is None:
        return None
    if d.function in ("count", "count_distinct"):
        counted = counted_items(d, facts, where)
        if counted is None:
            return None
        counted_by[d.name] = counted
        if d.function == "count":
            return len(counted)
        return len({item_key(items[n], field) for n in counted})
    if d.function == "earliest":
        found = [i[field] for i in items if i.get(field) is not None]
        return min(found) if found else None
    raise AssertionError(d.function)  # pragma: no cover - the schema refuses others


def derive(rs: Ruleset, facts: Facts, params: dict[str, Any] | None = None,
           where: ItemPredicates | None = None) -> dict[str, Any]:
    """``{"derived.<name>": value}`` for every derivation whose inputs are present.

    ``params`` (name -> value) may be given by callers that evaluate many cases; ``where`` (the
    backend's item predicate of each count with a ``where``, by derivation name) by an engine,
    so that it counts with its own code (default: the reference evaluator).
    """
    return derive_counted(rs, facts, params, where)[0]


def derive_counted(rs: Ruleset, facts: Facts, params: dict[str, Any] | None = None,
                   where: ItemPredicates | None = None) -> tuple[dict[str, Any], dict[str, tuple[int, ...]]]:
    """``derive``'s values, and the indices of the items each count counted (by derivation name;
    a count whose list or `where` is unknown is absent), each `where` decided once per item."""
    if params is None:
        params = {p.name: p.value for p in rs.parameters}
    out: dict[str, Any] = {}
    counted_by: dict[str, tuple[int, ...]] = {}
    for d in rs.derived:
        value = _one(d, facts, params, where, counted_by)
        if value is not None:
            out[f"derived.{d.name}"] = value
    return out, counted_by


Deriver = Callable[[Facts], tuple[dict[str, Any], dict[str, tuple[int, ...]]]]
_Step = Callable[[Facts, dict[str, Any], dict[str, tuple[int, ...]]], None]


def compile_derive(rs: Ruleset, params: Mapping[str, Any] | None = None, where: ItemPredicates | None = None
                   ) -> Deriver:
    """``derive_counted`` for ``rs`` with ``params`` and ``where`` fixed, built once: a function of one
    case's ``Facts`` giving the same ``(values, counted items)``, each derivation a step of its own
    (its paths, parameters and item predicate looked up once, here)."""
    if params is None:
        params = {p.name: p.value for p in rs.parameters}
    steps = tuple(_step(d, params, where) for d in rs.derived)

    def derive_case(facts: Facts) -> tuple[dict[str, Any], dict[str, tuple[int, ...]]]:
        out: dict[str, Any] = {}
        counted_by: dict[str, tuple[int, ...]] = {}
        for step in steps:
            step(facts, out, counted_by)
        return out, counted_by

    return derive_case


def _step(d: Derivation, params: Mapping[str, Any], where: ItemPredicates | None) -> _Step:
    """One derivation as ``(facts, values, counted) -> None``, adding ``derived.<name>`` (and its counted
    items) where ``_one`` gives a value."""
    key = f"derived.{d.name}"
    if d.function == "age_in_full_years":
        path = d.of
        assert d.at is not None  # the schema requires `at` for ages
        at_name, at = d.at, params[d.at]
        completes = params[d.completes] if d.completes else "on_birthday"
        # the day a year must be completed by (age_in_full_years' arithmetic, once per ruleset); any
        # other way of completing a year goes to age_in_full_years, which refuses it as _one does
        on = at - dt.timedelta(days=1) if completes == "day_after_birthday" else at
        arithmetic = completes in ("on_birthday", "day_after_birthday")

        def age(facts: Facts, out: dict[str, Any], counted_by: dict[str, tuple[int, ...]]) -> None:
            birth = facts.values.get(path)
            if birth is None:
                return
            if birth > at:  # a negative age would pass any "at most" rule: impossible, not young
                raise FactsError(path, f"is {birth.isoformat()}, after the date ages are counted on "
                                       f"({at_name} = {at.isoformat()}): nobody is born after it")
            if not arithmetic or (birth.month == 2 and birth.day == 29) or on < birth:
                out[key] = age_in_full_years(birth, at, completes)
            else:
                out[key] = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))

        return age
    list_name, _, field = d.of.partition("[].")
    if d.function in ("count", "count_distinct"):
        distinct = d.function == "count_distinct"
        name = d.name
        cond = d.where_condition
        decide = many = None
        if cond is not None and where is not None:
            decide = where[name]
            many = getattr(decide, "many", None)  # a backend that decides a whole list at once (durable)

        def count(facts: Facts, out: dict[str, Any], counted_by: dict[str, tuple[int, ...]]) -> None:
            items = facts.lists.get(list_name)
            if items is None:
                return
            if cond is None:
                counted: tuple[int, ...] = tuple(range(len(items)))
            else:
                verdicts = (list(many(items)) if many is not None else [decide(i) for i in items] if decide is not None
                            else [evaluate_item_condition(cond, i, facts.tz) for i in items])
                for v in verdicts:
                    if v is not True and v is not False:
                        return  # an item's field needed by `where` is missing: what counts is unknown
                counted = tuple(n for n, v in enumerate(verdicts) if v is True)
            counted_by[name] = counted
            if distinct and len(counted) > 1:  # one item or none: as many distinct values as items
                out[key] = len({item_key(items[n], field) for n in counted})
            else:
                out[key] = len(counted)

        return count
    if d.function == "earliest":
        def earliest(facts: Facts, out: dict[str, Any], counted_by: dict[str, tuple[int, ...]]) -> None:
            items = facts.lists.get(list_name)
            if items is None:
                return
            found = [i[field] for i in items if i.get(field) is not None]
            if found:
                out[key] = min(found)

        return earliest
    raise AssertionError(d.function)  # pragma: no cover - the schema refuses others
