"""The one accepted grammar for dates, timestamps and ``as_of``, and their range.

Owns: reading a date (``YYYY-MM-DD``), a timestamp (``YYYY-MM-DDTHH:MM[:SS[.ffffff]]`` with
an optional offset ``Z`` or ``±HH:MM``) and an ``as_of`` (either), from text or from
``datetime`` objects, and refusing everything else with a ``FactsError`` naming the field.
The facts parser, ``as_of`` and the command line all call these functions; nothing else in
the package parses a moment given by a caller. Must not know rules or the engine.

Why so strict: ISO 8601 and the parsers that implement it accept reduced forms (``2017-09``
read as 1 September, ``2017`` as 1 January), week dates, ordinal dates, compact forms and a
space instead of ``T``. Each of those is a guess about what the sender meant; a filing
system or a spreadsheet that sends one has a bug, and a verdict must not rest on it.

Range: every moment lies in the years ``MIN_YEAR``–``MAX_YEAR`` (after conversion to the
ruleset's zone). Inside that range the durable_rules engine holds a timestamp (epoch seconds
with microseconds, a C double) exactly, so both backends agree to the microsecond; outside
it microseconds are lost, and near the years 1 and 9999 a time-zone conversion overflows.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import re
import reprlib
import zoneinfo
from typing import Any

from .exceptions import FactsError, did_you_mean

__all__ = ["MIN_YEAR", "MAX_YEAR", "parse_date", "parse_timestamp", "parse_as_of", "show", "written_as",
           "DATE_PATTERN", "TERM_PATTERN", "TERM", "is_term", "zone", "wall_time_problem"]

MIN_YEAR = 1900
MAX_YEAR = 2199  # epoch seconds stay below 2**33: a double still tells microseconds apart (to 2242)

# The written forms of a date and of a term, as regular expressions of ASCII digits only (``\\d``
# would match any Unicode digit in Python's re, and so in a Python JSON Schema validator). The
# JSON Schemas (ruleset.schema.json, verdict.schema.json) carry them as "^…$" (a test holds them equal).
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
TERM_PATTERN = r"[0-9]{4}-[0-9]{4}"
TERM = re.compile(TERM_PATTERN, re.ASCII)  # the shape of a term (评选届次) or round: ``TERM.fullmatch(text)``

_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?"
    r"(Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?", re.ASCII)

DATE_FORM = "YYYY-MM-DD"
TIMESTAMP_FORM = "YYYY-MM-DDTHH:MM[:SS[.ffffff]] with Z or ±HH:MM (e.g. 2017-06-20T10:15:00+08:00)"


class _ShortRepr(reprlib.Repr):
    """``repr`` that stays short whatever the value: long texts and containers are cut, deep
    nesting is not followed, and integers too long to print are described instead."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxstring, self.maxother, self.maxlong = 3, 60, 60, 40
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = 4

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 128:
            return f"<an integer of {x.bit_length()} bits>"
        return super().repr_int(x, level)


_SHORT = _ShortRepr()


def written_as(text: str, form: str) -> bool:
    """Whether ``text`` is written exactly in ``form`` (``DATE_FORM`` or ``TIMESTAMP_FORM``) of the
    grammar, before any check of the calendar or the range (for readers such as cases files that
    must refuse what another parser, YAML's, read more loosely)."""
    return (_DATE if form == DATE_FORM else _TIMESTAMP).fullmatch(text) is not None


def show(value: Any, limit: int = 60) -> str:
    """A short ``repr(value)`` for error messages: never the whole of a long value, never deep
    nesting; lone surrogates and control characters come out escaped."""
    text = _SHORT.repr(value)
    return text if len(text) <= limit + 20 else text[:limit] + "…"


def _in_range(field: str, moment: dt.date) -> None:
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise FactsError(field, f"{moment.isoformat()} is outside the years {MIN_YEAR}–{MAX_YEAR} "
                                "this library accepts")


def parse_date(value: Any, field: str) -> dt.date:
    """A calendar date: the text ``YYYY-MM-DD`` (ASCII digits, nothing around it) or a
    ``datetime.date`` (not a ``datetime``), in the years ``MIN_YEAR``–``MAX_YEAR``."""
    if isinstance(value, dt.datetime):
        raise FactsError(field, f"expected a date ({DATE_FORM}), got a datetime")
    if isinstance(value, dt.date):
        _in_range(field, value)
        return value
    if not isinstance(value, str):
        raise FactsError(field, f"expected a date as {DATE_FORM}, got {type(value).__name__} {show(value)}")
    m = _DATE.fullmatch(value)
    if m is None:
        if _TIMESTAMP.fullmatch(value):
            raise FactsError(field, f"expected a date ({DATE_FORM}), got a timestamp {show(value)}")
        raise FactsError(field, f"expected a date as {DATE_FORM}; got {show(value)}")
    try:
        day = dt.date.fromisoformat(value)  # exactly YYYY-MM-DD here
    except ValueError as exc:
        raise FactsError(field, f"impossible date {show(value)}: {exc}") from None
    _in_range(field, day)
    return day


@functools.lru_cache(maxsize=64)
def zone(name: str) -> dt.tzinfo | None:
    """The standard library's ``zoneinfo.ZoneInfo`` for an IANA name, one object per name (cached);
    None if there is no such zone."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _zone_name(zone: dt.tzinfo) -> str:
    name = str(getattr(zone, "_filename", None) or zone)
    return name.split("zoneinfo/", 1)[-1]


def wall_time_problem(moment: dt.datetime) -> str | None:
    """For an aware ``moment`` read as a wall time in its zone (fold 0): ``"skipped"`` if the clocks
    skipped it, ``"repeated"`` if it happened twice, None if it names exactly one instant."""
    back = moment.astimezone(dt.UTC).astimezone(moment.tzinfo)
    if back.replace(tzinfo=None) != moment.replace(tzinfo=None):
        return "skipped"
    first, second = moment.replace(fold=0), moment.replace(fold=1)
    if first.utcoffset() != second.utcoffset() or first.dst() != second.dst():
        return "repeated"
    return None


def _aware(field: str, moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    _in_range(field, moment)
    try:  # a caller's own tzinfo may raise, or give an offset of a day or more
        offset = moment.utcoffset()
    except Exception as exc:  # noqa: BLE001 - any failure of the caller's object is a bad fact
        raise FactsError(field, f"its time zone ({type(moment.tzinfo).__name__}) gives no usable UTC offset: "
                                f"{show(str(exc), 120)}") from None
    if offset is None:  # a wall time in the zone: it must name exactly one instant there
        moment = moment.replace(tzinfo=zone)
        problem = wall_time_problem(moment)
        if problem == "skipped":
            raise FactsError(field, f"{moment.replace(tzinfo=None).isoformat()} does not exist in the time zone "
                                    f"{_zone_name(zone)} (the clocks skipped it); give its offset")
        if problem == "repeated":
            raise FactsError(field, f"{moment.replace(tzinfo=None).isoformat()} happened twice in the time zone "
                                    f"{_zone_name(zone)} (the clocks went back); give its offset to say which")
    try:
        out = moment.astimezone(zone)
    except (OverflowError, ValueError):
        raise FactsError(field, f"{moment.isoformat()} is outside the years {MIN_YEAR}–{MAX_YEAR} "
                                "this library accepts") from None
    _in_range(field, out)
    return out


def parse_timestamp(value: Any, field: str, zone: dt.tzinfo, *, require_offset: bool = False,
                    keep_offset: bool = False) -> dt.datetime:
    """A moment, aware, in ``zone``: the text ``YYYY-MM-DDTHH:MM[:SS[.ffffff]]`` followed by
    ``Z`` or ``±HH:MM`` (without one it is read in ``zone``, unless ``require_offset``), or a
    ``datetime.datetime`` (naive ones are read in ``zone``). A bare date is refused.
    With ``keep_offset`` the moment keeps the offset it was written with."""
    if isinstance(value, dt.datetime):
        return _aware(field, value, zone)
    if isinstance(value, dt.date):
        raise FactsError(field, "expected a timestamp with a time of day, got a date")
    if not isinstance(value, str):
        raise FactsError(field, f"expected a timestamp string ({TIMESTAMP_FORM}), got {type(value).__name__} "
                                f"{show(value)}")
    m = _TIMESTAMP.fullmatch(value)
    if m is None:
        if _DATE.fullmatch(value):
            raise FactsError(field, f"expected a timestamp with a time of day; got the date {show(value)}")
        raise FactsError(field, f"expected an ISO 8601 timestamp with a time of day, exactly {TIMESTAMP_FORM}; "
                                f"got {show(value)}")
    offset = m.group(8)
    if offset is None and require_offset:
        raise FactsError(field, f"{show(value)} has no time zone; give its offset (Z or ±HH:MM)")
    try:  # the grammar above is a subset of what fromisoformat reads, with the same meaning
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise FactsError(field, f"impossible timestamp {show(value)}: {exc}") from None
    converted = _aware(field, moment, zone)
    return moment if keep_offset and moment.tzinfo is not None else converted


def parse_as_of(value: Any, zone: dt.tzinfo, field: str = "as_of") -> dt.datetime | None:
    """``as_of`` as an aware moment in ``zone``: ``None``; a date (text ``YYYY-MM-DD`` or a
    ``datetime.date``), meaning the end of that day in ``zone``; or a timestamp as in
    ``parse_timestamp``."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return parse_timestamp(value, field, zone)
    if isinstance(value, dt.date) or (isinstance(value, str) and _DATE.fullmatch(value)):
        day = parse_date(value, field)
        return dt.datetime.combine(day, dt.time.max, tzinfo=zone)
    if not isinstance(value, str):
        raise FactsError(field, f"expected a date, a timestamp or None, got {type(value).__name__} {show(value)}")
    if not _TIMESTAMP.fullmatch(value):
        raise FactsError(field, f"expected a date ({DATE_FORM}) or a timestamp ({TIMESTAMP_FORM}); "
                                f"got {show(value)}")
    return parse_timestamp(value, field, zone)


def is_term(text: str) -> bool:
    """Whether ``text`` is a term (or a round) as written in rulesets and facts: two consecutive
    years, ``2017-2018`` (``TERM``'s shape, the second year the first plus one)."""
    return TERM.fullmatch(text) is not None and int(text[5:]) == int(text[:4]) + 1


# The IANA place names every zone of a ruleset, a window or a names file is one of (Q106 otherwise).
_AREAS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian",
          "Pacific")


@functools.lru_cache(maxsize=1)
def iana_zones() -> frozenset[str]:
    """The place names of the IANA time-zone database (``Area/Location`` and ``UTC``).

    Read from the ``tzdata`` package (a dependency of python-dateutil), so that the same
    names are accepted on every host whatever its own zone files or local zone; legacy
    aliases and abbreviations (``CST``, ``PRC``, ``EST5EDT``, ``US/Central``, ``Etc/GMT-8``)
    are not place names and are refused.
    """
    try:
        names = importlib.resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - tzdata comes with python-dateutil
        names = sorted(zoneinfo.available_timezones())
    return frozenset(n for n in names if n == "UTC" or n.split("/", 1)[0] in _AREAS and "/" in n)


def zone_problem(name: str) -> tuple[str, str] | None:
    """Why ``name`` is not an accepted time zone: (message, suggestion), or None if it is one."""
    zones = iana_zones()
    if name in zones:
        return None
    if re.fullmatch(r"(?i)(UTC|GMT)\s*[+-].*|[+-]\d.*", name):
        return (f"{name!r} is a fixed offset, not a time zone name",
                "write the place whose time the rules follow, e.g. Asia/Shanghai")
    if re.fullmatch(r"[A-Z]{2,5}", name):
        return (f"{name!r} is an abbreviation, not a place: abbreviations are ambiguous (CST is used in China, "
                "the central US and Cuba)", "write an IANA place name, e.g. Asia/Shanghai")
    return (f"{name!r} is not an IANA place name (Area/Location)",
            did_you_mean(name, sorted(zones), cutoff=0.8) or "e.g. Asia/Shanghai, the zone of all of China")
