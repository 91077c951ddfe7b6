"""The facts of one subject (a collective or a management unit): the contract with callers, and parsing it.

Owns: parsing a JSON-shaped dict into ``Facts`` with typed values (dates as
``datetime.date``, timestamps as aware datetimes in the ruleset's ``zoneinfo`` zone) against
a facts schema (the field table ``FIELDS``/``UNIT_FIELDS`` and ``REGIONS`` are read from
``rulesets/facts/*.facts.yaml`` by ``_facts_schema``), one parser per value type, a fast path
for the usual document that falls back to the full checker, the ``FactsError`` that names the
field path, and the label look-ups (``facts_schema``, ``region_name``). Must not know rules,
the engine or verdicts.

Absent is not false: a field that is absent (or ``null``) is recorded as missing and
rules that read it become ``undetermined``. An empty list (``"honors": []``) is a
known fact ("no honours"); an absent list is unknown.
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import json
import math
import re
import unicodedata
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from . import _astgen
from ._facts_schema import HARD_LIMITS, FactsSchema, FieldSpec, Regions, packaged_regions, packaged_schema
from ._moments import MAX_YEAR, MIN_YEAR, is_term, parse_date, parse_timestamp, show, wall_time_problem, zone
from .exceptions import FactsError, did_you_mean

__all__ = ["Facts", "FieldSpec", "FIELDS", "LISTS", "UNIT_FIELDS", "UNIT_LISTS", "SUBJECTS", "Subject", "REGIONS",
           "parse_facts", "facts_schema", "region_name", "FactsSchema"]

# The facts each subject may carry and the regions are data: rulesets/facts/*.facts.yaml.
_REGIONS: Regions = packaged_regions()
# Provincial-level regions (the reporting localities) by their pinyin code.
REGIONS = _REGIONS.codes

MAX_COUNT = HARD_LIMITS["count"]  # far above any collective; keeps numbers exact in the engine
MAX_ITEMS = HARD_LIMITS["items"]  # per list; a filing system never holds more for one collective
MAX_TEXT = HARD_LIMITS["text"]  # characters in a text fact: at most 4,000 UTF-8 bytes, far inside durable's
# 16-bit string lengths in comparisons (65,535 bytes) and its 16 MiB limit on one value
# (a schema may declare lower limits, never higher ones)

_COLLECTIVE = packaged_schema("collective@1")
_UNIT = packaged_schema("unit@1")
# Every scalar fact path. List item fields are written ``list[].field``.
FIELDS: dict[str, FieldSpec] = _COLLECTIVE.fields
LISTS = _COLLECTIVE.lists
# The facts of a management unit (管理单位), the subject of the 考评 assessment.
UNIT_FIELDS: dict[str, FieldSpec] = _UNIT.fields
UNIT_LISTS = _UNIT.lists

_NATIONALITY = re.compile(r"[A-Z]{2}", re.ASCII)
# ISO 3166-1 assigns these codes to regions of China, which are not nationalities: a resident of Hong
# Kong, Macao or Taiwan is recorded by nationality (CN for 中国国籍). Taken as nationalities they would
# make a finding say a 号长 of Chinese nationality "不具有中国国籍" — so they are refused, never guessed.
_REGIONS_OF_CHINA = {"HK": "Hong Kong (中国香港)", "MO": "Macao (中国澳门)", "TW": "Taiwan (中国台湾)"}
_SURROGATE = re.compile("[\ud800-\udfff]")


@attrs.frozen
class Facts:
    """Parsed facts of one collective.

    ``values`` maps each present scalar path (``members.total``) to its typed value;
    ``lists`` maps each present list (``honors``) to a tuple of items, each a dict from
    item path (``level``, ``channel.kind``) to typed value; ``missing`` lists the
    fact paths that were absent. ``tz`` is the zone used for naive timestamps.
    ``canonical`` is the same facts as normalised JSON (dates ``YYYY-MM-DD``, timestamps
    ISO 8601 in ``tz``; absent facts left out): what verdicts show and the stamp hashes.
    """

    values: dict[str, Any]
    lists: dict[str, tuple[dict[str, Any], ...]]
    missing: frozenset[str]
    tz: str = "Asia/Shanghai"
    canonical: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def id(self) -> str:
        return str(self.values["id"])

    def has(self, path: str) -> bool:
        return path in self.values or path in self.lists


_suggest = did_you_mean


def _check_text(path: str, value: str, limit: int = MAX_TEXT) -> str:
    """A text fact holds exactly what it shows: no padding, no invisible, control or non-ASCII
    space characters, NFC-normalised, at most ``limit`` characters."""
    if len(value) > limit:
        raise FactsError(path, f"is {len(value)} characters long; at most {limit} are accepted")
    if not value.strip():
        raise FactsError(path, "must not be empty")
    if value != value.strip():
        raise FactsError(path, f"has spaces before or after the text: {show(value)}",
                         suggestion=f"send {show(value.strip())}")
    # isprintable() is False exactly for controls, format characters, surrogates, private-use
    # and unassigned code points, line/paragraph separators and spaces other than " "
    if not value.isprintable():
        i, ch = next((i, ch) for i, ch in enumerate(value) if not ch.isprintable())
        what = "a space other than the ASCII space" if unicodedata.category(ch) == "Zs" else \
            "a lone UTF-16 surrogate, which is not text" if unicodedata.category(ch) == "Cs" else \
            "an invisible or control character"
        raise FactsError(path, f"holds {what} (U+{ord(ch):04X}) at position {i + 1}: {show(value)}")
    if not value.isascii() and not unicodedata.is_normalized("NFC", value):
        raise FactsError(path, f"is not in Unicode normal form NFC: {show(value)}",
                         suggestion="normalise it (unicodedata.normalize('NFC', text)) so that the same "
                                    "name is always the same characters")
    return value


# ---- one parser per value type (FieldSpec.type): (path, spec, value, zone) -> typed value --------

_Parser = Callable[[str, FieldSpec, Any, dt.tzinfo], Any]


def _string(path: str, value: Any) -> str:
    if not isinstance(value, str):
        raise FactsError(path, f"expected a string, got {type(value).__name__} {show(value)}")
    return value


def _parse_text(path: str, spec: FieldSpec, value: Any, zone: dt.tzinfo) -> str:
    return _check_text(path, _string(path, value), spec.limit or MAX_TEXT)


def _parse_enum(path: str, spec: FieldSpec, value: Any, zone: dt.tzinfo) -> str:
    if _string(path, value) not in spec.values:
        raise FactsError(path, f"expected one of {', '.join(spec.values)}; got {show(value)}",
                         suggestion=_suggest(value[:MAX_TEXT], spec.values))
    return str(value)


def _parse_region(path: str, spec: FieldSpec, value: Any, zone: dt.tzinfo) -> str:
    if _string(path, value) not in REGIONS:
        raise FactsError(path, f"unknown region {show(value)}", suggestion=_suggest(value[:MAX_TEXT], REGIONS))
    return str(value)


def _parse_nationality(path: str, spec: FieldSpec, value: Any, zone: dt.tzinfo) -> str:
    if not _NATIONALITY.fullmatch(_string(path, value)):
        raise FactsError(path, f"expected an ISO 3166 alpha-2 code such as 'CN'; got {show(value)}")
    if value in _REGIONS_OF_CHINA:
        raise FactsError(path, f"{value} is the code of {_REGIONS_OF_CHINA[value]}, a region of China, not a "
                               "nationality", suggestion="record the person's nationality: CN for 中国国籍, or the "
                                                         "code of another country")
    return str(value)


def _parse_round(path: str, spec: FieldSpec, value: Any, zone: dt.tzinfo) -> str:
    if not is_term(_string(path, value)):
        raise FactsError(path, f"expected a term such as '2015-2016'; got {show(value)}")
    return str(value)


def _parse_bool(path: str, spec: FieldSpec, value: Any, zone: dt.tzinfo) -> bool:
    if not isinstance(value, bool):
        raise FactsError(path, f"expected true or false, got {type(value).__name__} {show(value)}")
    return value


def _parse_count(path: str, spec: FieldSpec, value: Any, zone: dt.tzinfo) -> int:
    limit = spec.limit or MAX_COUNT
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) <= limit:
            value = int(value)
        else:
            raise FactsError(path, f"expected a whole number, got {type(value).__name__} {show(value)}")
    if value < 0:
        raise FactsError(path, f"must not be negative; got {show(value)}")
    if value > limit:
        raise FactsError(path, f"implausibly large ({show(value)}); the limit is {limit}")
    return int(value)


def _parse_date(path: str, spec: FieldSpec, value: Any, zone: dt.tzinfo) -> dt.date:
    return parse_date(value, path)


def _parse_instant(path: str, spec: FieldSpec, value: Any, zone: dt.tzinfo) -> dt.datetime:
    return parse_timestamp(value, path, zone)


_PARSERS: dict[str, _Parser] = {
    "str": _parse_text, "enum": _parse_enum, "region": _parse_region, "nationality": _parse_nationality,
    "round": _parse_round, "bool": _parse_bool, "count": _parse_count, "date": _parse_date,
    "instant": _parse_instant,
}


def _check_type(path: str, spec: FieldSpec, value: Any, zone: dt.tzinfo) -> Any:
    """``value`` checked and typed as ``spec.type``; FactsError naming ``path`` otherwise."""
    return _PARSERS[spec.type](path, spec, value, zone)


_Tree = dict[str, Any]  # key -> FieldSpec, or a nested _Tree for an object


def _tree(fields: dict[str, FieldSpec]) -> _Tree:
    """Nest dotted field paths into a tree, once, so parsing walks it without string work."""
    root: _Tree = {}
    for path, spec in fields.items():
        node = root
        *heads, last = path.split(".")
        for h in heads:
            node = node.setdefault(h, {})
        node[last] = spec
    return root


@attrs.frozen
class Subject:
    """What one kind of subject's facts look like: its field table, lists and parse trees, read from
    its facts schema (``schema``)."""

    name: str
    fields: dict[str, FieldSpec]
    lists: tuple[str, ...]
    schema: FactsSchema | None = attrs.field(default=None, eq=False, repr=False)
    top_tree: _Tree = attrs.field(init=False)
    item_fields: dict[str, dict[str, FieldSpec]] = attrs.field(init=False)
    item_trees: dict[str, _Tree] = attrs.field(init=False)
    top_paths: tuple[str, ...] = attrs.field(init=False)
    max_items: int = attrs.field(init=False)
    # the schema's constraints, in field order: (path, at_most or only_if_true, other path)
    top_checks: tuple[tuple[str, str, str], ...] = attrs.field(init=False)
    item_checks: dict[str, tuple[tuple[str, FieldSpec], ...]] = attrs.field(init=False)
    fast_tree: _Tree = attrs.field(init=False)  # the fast path's: leaves (parser, spec, is a moment)
    fast_item_trees: dict[str, _Tree] = attrs.field(init=False)
    required_in_items: dict[str, tuple[str, ...]] = attrs.field(init=False)
    required_paths: tuple[str, ...] = attrs.field(init=False)  # top-level facts every subject must carry
    # what may be missing: every top-level path, every list (the fast path takes away what is present)
    missing_paths: frozenset[str] = attrs.field(init=False, eq=False, repr=False)
    missing_lists: frozenset[str] = attrs.field(init=False, eq=False, repr=False)
    # the generated parser (``_generated_parser``), built on first use; not pickled (``__reduce__``)
    generated: _Generated | None = attrs.field(init=False, default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "top_tree", _tree({p: s for p, s in self.fields.items() if "[]" not in p}))
        items = {n: {p[len(n) + 3:]: s for p, s in self.fields.items() if p.startswith(n + "[].")} for n in self.lists}
        object.__setattr__(self, "item_fields", items)
        object.__setattr__(self, "item_trees", {n: _tree(f) for n, f in items.items()})
        object.__setattr__(self, "top_paths", tuple(p for p in self.fields if "[]" not in p))
        object.__setattr__(self, "max_items", self.schema.max_items if self.schema else MAX_ITEMS)
        checks = []
        for path, spec in self.fields.items():
            if spec.at_most is not None:
                checks.append((path, "at_most", spec.at_most))
            if spec.only_if_true is not None:
                checks.append((path, "only_if_true", spec.only_if_true))
        object.__setattr__(self, "top_checks", tuple(checks))
        object.__setattr__(self, "item_checks", {
            n: tuple((f, s) for f, s in fields.items() if s.required_unless is not None or s.not_before is not None)
            for n, fields in items.items()})
        fast = _fast_tree(self.top_tree)
        fast.update(dict.fromkeys(self.lists, _SKIP))
        object.__setattr__(self, "fast_tree", fast)
        object.__setattr__(self, "required_paths", tuple(p for p, s in self.fields.items() if s.required))
        object.__setattr__(self, "missing_paths", frozenset(self.top_paths))
        object.__setattr__(self, "missing_lists", frozenset(self.lists))
        object.__setattr__(self, "fast_item_trees", {n: _fast_tree(t) for n, t in self.item_trees.items()})
        object.__setattr__(self, "required_in_items", {
            n: tuple(f for f, s in fields.items() if s.required_in_item) for n, fields in items.items()})

    @classmethod
    def of(cls, schema: FactsSchema) -> Subject:
        """The subject a facts schema describes."""
        return cls(schema.subject, schema.fields, schema.lists, schema)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its constructor's arguments: the copy prepares its own tables and generated parser."""
        return (type(self), (self.name, self.fields, self.lists, self.schema))




def facts_schema(subject: str = "collective") -> FactsSchema:
    """The shipped facts schema of ``subject`` (``collective`` or ``unit``), for labels::

        facts_schema("collective").label("leader.birth_date", "zh")    # '号长出生日期'
        facts_schema("collective").value_label("honors[].level", "national", "en")    # 'national'
        facts_schema("unit").description("quota", "en")

    ``label`` also names lists and object groups (``honors``, ``filings[].channel``). A ruleset's
    own schema (``facts_schema:`` in its header) is ``ruleset.facts.schema``.
    KeyError for an unknown subject or path; ValueError for a language other than zh or en."""
    return SUBJECTS[subject].schema  # type: ignore[return-value]  # the shipped subjects have one


def region_name(code: str, lang: str = "zh") -> str:
    """The name of a provincial-level region: ``region_name("guangdong")`` is ``广东``,
    ``region_name("guangdong", "en")`` is ``Guangdong``; KeyError for an unknown code."""
    return _REGIONS.name(code, lang)


def _to_json(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


def _walk_object(prefix: str, obj: Any, tree: _Tree, out: dict[str, Any], where: str, zone: dt.tzinfo,
                 jout: dict[str, Any]) -> None:
    """Flatten one object (top level or a list item) against ``tree``, checking every value.

    Typed values go to ``out`` under dotted paths; their canonical JSON goes to ``jout``,
    nested as in the input.
    """
    if not isinstance(obj, Mapping):
        raise FactsError(where or "(facts)", f"expected an object, got {type(obj).__name__}")
    for key, value in obj.items():
        if not isinstance(key, str):
            raise FactsError(where or "(facts)", f"keys must be strings; got {show(key)}")
        node = tree.get(key)
        if node is None and (len(key) > MAX_TEXT or _SURROGATE.search(key)):
            raise FactsError(where or "(facts)", f"unknown field {show(key)}")
        if key.isidentifier():
            shown = f"{where}.{key}" if where else key
        else:  # an odd key (empty, spaces, dots) is shown quoted so the path stays readable
            shown = f"{where}[{json.dumps(key, ensure_ascii=False)}]"
        if node is None:
            known = sorted(tree)
            raise FactsError(shown, "unknown field", suggestion=_suggest(key, known)
                             or f"known fields here: {', '.join(known)}")
        if value is None:
            continue
        if isinstance(node, dict):
            inner: dict[str, Any] = {}
            _walk_object(f"{prefix}{key}.", value, node, out, shown, zone, inner)
            jout[key] = inner
        else:
            typed = _PARSERS[node.type](shown, node, value, zone)
            out[f"{prefix}{key}"] = typed
            jout[key] = _to_json(typed)


def _zone_of(tz: str) -> dt.tzinfo:
    got = zone(tz)
    if got is None:  # pragma: no cover - the ruleset loader checks the zone
        raise FactsError("(tz)", f"unknown time zone {tz!r}")
    return got


def _subject_of(subject: str | Subject) -> Subject:
    if isinstance(subject, Subject):
        return subject
    if subject not in SUBJECTS:
        raise FactsError("(subject)", f"unknown subject kind {subject!r}; known: {', '.join(SUBJECTS)}")
    return SUBJECTS[subject]


def parse_facts(doc: Any, *, tz: str = "Asia/Shanghai", subject: str | Subject = "collective") -> Facts:
    """Check and type ``doc`` (a JSON-shaped dict) as the facts of a ``subject`` (``collective``
    or ``unit``, or a ruleset's own ``Subject``: ``ruleset.facts``); raise ``FactsError`` naming
    the field.

    Timestamps are read in ``tz`` (an IANA name; the standard library's ``zoneinfo``, one zone
    object per name). The usual document takes a fast path; anything unusual (and every
    mistake) is read by the full walker, so every error is the same either way."""
    subj = _subject_of(subject)
    zone_ = _zone_of(tz)
    fast = _fast_parse(doc, subj, zone_, tz)
    if fast is not None:
        return fast
    return _full_parse(doc, subj, zone_, tz)


def parser_for(tz: str = "Asia/Shanghai", subject: str | Subject = "collective") -> Callable[[Any], Facts]:
    """``parse_facts`` with ``tz`` and ``subject`` looked up once (an engine's): ``parser_for(tz, s)(doc)``
    returns and raises exactly what ``parse_facts(doc, tz=tz, subject=s)`` does. FactsError for an unknown
    subject kind (now, not per document)."""
    subj = _subject_of(subject)
    zone_ = _zone_of(tz)

    def parse(doc: Any) -> Facts:
        got = (subj.generated or _generated_parser(subj))(doc, zone_, tz)
        if got is None:
            got = _generic_fast_parse(doc, subj, zone_, tz)
        return got if got is not None else _full_parse(doc, subj, zone_, tz)

    return parse


def _full_parse(doc: Any, subj: Subject, zone: dt.tzinfo, tz: str) -> Facts:
    """The full walker: checks every value in document order and raises the first problem."""
    if not isinstance(doc, Mapping):
        raise FactsError("(facts)", f"expected a JSON object, got {type(doc).__name__}")
    values: dict[str, Any] = {}
    lists: dict[str, tuple[dict[str, Any], ...]] = {}
    scalar_doc = {k: v for k, v in doc.items() if k not in subj.lists}
    canonical: dict[str, Any] = {}
    _walk_object("", scalar_doc, subj.top_tree, values, "", zone, canonical)
    for name in subj.lists:
        raw = doc.get(name)
        if raw is None:
            continue
        if not isinstance(raw, list):
            raise FactsError(name, f"expected a list, got {type(raw).__name__} {show(raw)}")
        if len(raw) > subj.max_items:
            raise FactsError(name, f"has {len(raw)} items; at most {subj.max_items} are accepted")
        item_fields = subj.item_fields[name]
        items = []
        jitems: list[dict[str, Any]] = []
        for i, raw_item in enumerate(raw):
            where = f"{name}[{i}]"
            item: dict[str, Any] = {}
            jitem: dict[str, Any] = {}
            _walk_object("", raw_item, subj.item_trees[name], item, where, zone, jitem)
            jitems.append(jitem)
            for field, spec in item_fields.items():
                if spec.required_in_item and field not in item:
                    raise FactsError(f"{where}.{field}", "is required in every item")
            items.append(item)
        lists[name] = tuple(items)
        canonical[name] = jitems
    for path in subj.required_paths:
        if path not in values:
            raise FactsError(path, f"is required: every {subj.name} needs its {path}")
    _check_consistency(subj, values, lists)
    missing = frozenset(p for p in subj.top_paths if p not in values) | \
        frozenset(n for n in subj.lists if n not in lists)
    return Facts(values=values, lists=lists, missing=missing, tz=tz, canonical=canonical)


def _check_consistency(subj: Subject, values: dict[str, Any], lists: dict[str, tuple[dict[str, Any], ...]]) -> None:
    """The schema's constraints between facts (``at_most``, ``only_if_true``, ``required_unless``,
    ``not_before``), in the schema's order."""
    for path, kind, other in subj.top_checks:
        if path not in values:
            continue
        if kind == "at_most":
            total = values.get(other)
            if total is not None and values[path] > total:
                raise FactsError(path, f"is {values[path]}, more than {other} ({total})")
        elif values.get(other) is False:
            raise FactsError(path, f"is given but {other} is false")
    for name, checks in subj.item_checks.items():
        if not checks:
            continue
        for i, item in enumerate(lists.get(name, ())):
            for field, spec in checks:
                value = item.get(field)
                if spec.required_unless is not None:
                    other, unless = spec.required_unless
                    if value is None and item[other] != unless:
                        owner = other.rpartition(".")[0] or other
                        raise FactsError(f"{name}[{i}].{field}", f"is required when the {owner} is {item[other]}")
                if spec.not_before is not None and value is not None and value < item[spec.not_before]:
                    raise FactsError(f"{name}[{i}].{field}", f"is earlier than {spec.not_before}")


# ---- the fast path --------------------------------------------------------------------------------
# The usual document (known keys, values of the right type and well inside every limit, no wall time
# near a clock change) is typed here without building error texts; anything else returns None and
# the full walker reads the document again, so that every error is exactly the full walker's.


class _Unusual(Exception):
    """Raised inside the fast path: let the full walker decide."""


_SKIP = False  # a list name in the fast top-level tree (lists are read after the scalars); a singleton that pickles
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_INSTANT_TEXT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?", re.ASCII)


def _fast_count(spec: FieldSpec, value: Any, zone: dt.tzinfo) -> Any:
    if type(value) is int and 0 <= value <= (spec.limit or MAX_COUNT):
        return value
    raise _Unusual


def _fast_text(spec: FieldSpec, value: Any, zone: dt.tzinfo) -> Any:
    if type(value) is str and 0 < len(value) <= (spec.limit or MAX_TEXT) and value.isprintable() \
            and value.strip() == value and (value.isascii() or unicodedata.is_normalized("NFC", value)):
        return value
    raise _Unusual


def _fast_enum(spec: FieldSpec, value: Any, zone: dt.tzinfo) -> Any:
    if type(value) is str and value in spec.values:
        return value
    raise _Unusual


def _fast_bool(spec: FieldSpec, value: Any, zone: dt.tzinfo) -> Any:
    if type(value) is bool:
        return value
    raise _Unusual


def _fast_region(spec: FieldSpec, value: Any, zone: dt.tzinfo) -> Any:
    if type(value) is str and value in REGIONS:
        return value
    raise _Unusual


def _fast_nationality(spec: FieldSpec, value: Any, zone: dt.tzinfo) -> Any:
    if type(value) is str and _NATIONALITY.fullmatch(value) and value not in _REGIONS_OF_CHINA:
        return value
    raise _Unusual


def _fast_round(spec: FieldSpec, value: Any, zone: dt.tzinfo) -> Any:
    if type(value) is str and is_term(value):
        return value
    raise _Unusual


def _fast_date(spec: FieldSpec, value: Any, zone: dt.tzinfo) -> Any:
    if type(value) is str and _DATE_TEXT.fullmatch(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise _Unusual from None
        if MIN_YEAR < day.year < MAX_YEAR:
            return day
    raise _Unusual


def _fast_instant(spec: FieldSpec, value: Any, zone: dt.tzinfo) -> Any:
    if type(value) is str and _INSTANT_TEXT.fullmatch(value):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _Unusual from None
        if MIN_YEAR < moment.year < MAX_YEAR:  # a day inside the range stays inside after conversion
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
                if wall_time_problem(moment) is not None:
                    raise _Unusual
            return moment.astimezone(zone)
    raise _Unusual


_FAST: dict[str, Callable[[FieldSpec, Any, dt.tzinfo], Any]] = {
    "count": _fast_count, "str": _fast_text, "enum": _fast_enum, "bool": _fast_bool, "region": _fast_region,
    "nationality": _fast_nationality, "round": _fast_round, "date": _fast_date, "instant": _fast_instant,
}


# what a node of the fast tree is: a value whose JSON is itself, a date (only YYYY-MM-DD is taken here, so
# its JSON is its own text), an instant (its JSON is the moment in the zone, ISO), an object
_LEAF, _DATE, _MOMENT, _OBJECT = 0, 1, 2, 3


def _count_within(limit: int, value: Any, zone: dt.tzinfo) -> Any:
    if type(value) is int and 0 <= value <= limit:
        return value
    raise _Unusual


def _one_of(values: frozenset[str], value: Any, zone: dt.tzinfo) -> Any:
    if type(value) is str and value in values:
        return value
    raise _Unusual


def _text_within(limit: int, value: Any, zone: dt.tzinfo) -> Any:
    if type(value) is str and 0 < len(value) <= limit and value.isprintable() \
            and value.strip() == value and (value.isascii() or unicodedata.is_normalized("NFC", value)):
        return value
    raise _Unusual


def _bound(parse: Callable[[FieldSpec, Any, dt.tzinfo], Any], spec: FieldSpec) -> Callable[[Any, dt.tzinfo], Any]:
    """``parse`` with its spec bound (a ``partial``, so that a subject still pickles); counts, enums
    and texts as the same checks with their limit or values bound instead of the spec."""
    if parse is _fast_count:
        return functools.partial(_count_within, spec.limit or MAX_COUNT)
    if parse is _fast_enum:
        return functools.partial(_one_of, frozenset(spec.values))
    if parse is _fast_text:
        return functools.partial(_text_within, spec.limit or MAX_TEXT)
    return functools.partial(parse, spec)


def _fast_tree(tree: _Tree, prefix: str = "") -> _Tree:
    """``tree`` with each node replaced by (dotted path from the object's root, what to do, kind): for
    a field, its fast parser with the spec bound (kind ``_DATE``, ``_MOMENT`` or ``_LEAF``); for
    an object, its own fast tree (kind ``_OBJECT``)."""
    return {k: (prefix + k, _fast_tree(v, f"{prefix}{k}."), _OBJECT) if isinstance(v, dict)
            else (prefix + k, _bound(_FAST[v.type], v),
                  _DATE if v.type == "date" else _MOMENT if v.type == "instant" else _LEAF)
            for k, v in tree.items()}


def _fast_object(obj: Any, tree: _Tree, out: dict[str, Any], zone: dt.tzinfo, jout: dict[str, Any]) -> None:
    if type(obj) is not dict:
        raise _Unusual
    for key, value in obj.items():
        node = tree.get(key)
        if node is None:
            raise _Unusual
        if value is None or node is _SKIP:
            continue
        path, parse, kind = node
        if kind is _LEAF:
            out[path] = jout[key] = parse(value, zone)
        elif kind is _DATE:
            out[path] = parse(value, zone)
            jout[key] = value
        elif kind is _MOMENT:
            typed = out[path] = parse(value, zone)
            jout[key] = typed.isoformat()
        else:
            inner: dict[str, Any] = {}
            _fast_object(value, parse, out, zone, inner)
            jout[key] = inner


def _fast_parse(doc: Any, subj: Subject, zone: dt.tzinfo, tz: str) -> Facts | None:
    """The facts of a usual document, or None: then the full walker reads it. The subject's generated
    parser first, then (a document whose keys are in another order, or hold nulls) the generic walk."""
    got = (subj.generated or _generated_parser(subj))(doc, zone, tz)
    return got if got is not None else _generic_fast_parse(doc, subj, zone, tz)


def _generic_fast_parse(doc: Any, subj: Subject, zone: dt.tzinfo, tz: str) -> Facts | None:
    """The facts of a usual document in any key order, or None (a walk over ``Subject.fast_tree``)."""
    if type(doc) is not dict:
        return None
    values: dict[str, Any] = {}
    lists: dict[str, tuple[dict[str, Any], ...]] = {}
    canonical: dict[str, Any] = {}
    try:
        _fast_object(doc, subj.fast_tree, values, zone, canonical)
        for name in subj.lists:
            raw = doc.get(name)
            if raw is None:
                continue
            if type(raw) is not list or len(raw) > subj.max_items:
                return None
            tree, required = subj.fast_item_trees[name], subj.required_in_items[name]
            items = []
            jitems = []
            for raw_item in raw:
                item: dict[str, Any] = {}
                jitem: dict[str, Any] = {}
                _fast_object(raw_item, tree, item, zone, jitem)
                for field in required:
                    if field not in item:
                        return None
                items.append(item)
                jitems.append(jitem)
            lists[name] = tuple(items)
            canonical[name] = jitems
    except _Unusual:
        return None
    for path in subj.required_paths:
        if path not in values:
            return None
    try:
        _check_consistency(subj, values, lists)
    except FactsError:
        return None
    missing = subj.missing_paths.difference(values) | subj.missing_lists.difference(lists)
    return Facts(values=values, lists=lists, missing=missing, tz=tz, canonical=canonical)


# ---- the generated parser: one per subject, straight-line code built once from its schema --------
# Tried before the generic fast path above: the fields of each object in the schema's order, each
# value's checks inline (the same checks as the generic fast path's), the typed values and the
# canonical JSON built in the same pass. It takes only documents whose every object holds its keys
# in the schema's order with no null value (then the typed values come out in document order, as the
# full walker's do, and an unknown key is seen as a difference in the keys); for any other document
# it returns None and the generic fast path, then the full walker, read it. The code is an ``ast``
# tree (``_astgen``): every schema value (names, enum sets, limits, the zone's helpers) is bound in
# the namespace and read by a generated name, never written into the tree.

# the rounds a usual document holds: the terms whose years a moment may have (is_term is True for each)
_USUAL_TERMS = frozenset(f"{y}-{y + 1}" for y in range(MIN_YEAR, MAX_YEAR))
_OFFSET_TEXT_LEN, _OFFSET_AT = len("2017-06-20T10:15:00+08:00"), len("2017-06-20T10:15:00")
_Generated = Callable[[Any, dt.tzinfo, str], "Facts | None"]


def _load(id_: str) -> ast.expr:
    return ast.Name(id=id_, ctx=ast.Load())


def _store(id_: str) -> ast.Name:
    return ast.Name(id=id_, ctx=ast.Store())


def _call(func: ast.expr, *args: ast.expr, **keywords: ast.expr) -> ast.expr:
    return ast.Call(func=func, args=list(args), keywords=[ast.keyword(arg=k, value=v) for k, v in keywords.items()])


def _method(obj: ast.expr, attr: str, *args: ast.expr, **keywords: ast.expr) -> ast.expr:
    return _call(ast.Attribute(value=obj, attr=attr, ctx=ast.Load()), *args, **keywords)


def _compare(left: ast.expr, op: ast.cmpop, right: ast.expr) -> ast.expr:
    return ast.Compare(left=left, ops=[op], comparators=[right])


def _all_of(*tests: ast.expr) -> ast.expr:
    return ast.BoolOp(op=ast.And(), values=list(tests)) if len(tests) > 1 else tests[0]


def _none() -> ast.expr:
    return ast.Constant(value=None)


def _unless(test: ast.expr) -> ast.stmt:
    """``if not test: return None``: the document is not for this parser."""
    return ast.If(test=ast.UnaryOp(op=ast.Not(), operand=test), body=[ast.Return(value=_none())], orelse=[])


def _reject_if(test: ast.expr) -> ast.stmt:
    return ast.If(test=test, body=[ast.Return(value=_none())], orelse=[])


def _assign(target: str, value: ast.expr) -> ast.stmt:
    return ast.Assign(targets=[_store(target)], value=value)


def _set_item(mapping: str, key: ast.expr, value: ast.expr) -> ast.stmt:
    return ast.Assign(targets=[ast.Subscript(value=_load(mapping), slice=key, ctx=ast.Store())], value=value)


def _try_value_error(body: list[ast.stmt], ns: _astgen.Namespace) -> ast.stmt:
    """``try: body / except ValueError: return None``."""
    handler = ast.ExceptHandler(type=ns.bind(ValueError), name=None, body=[ast.Return(value=_none())])
    return ast.Try(body=body, handlers=[handler], orelse=[], finalbody=[])


class _Gen:
    """The state of one generation: the namespace and a counter for fresh local names."""

    def __init__(self) -> None:
        self.ns = _astgen.Namespace()
        self.count = 0

    def fresh(self, base: str) -> str:
        self.count += 1
        return _astgen.name(base, self.count)

    def is_str(self, v: str) -> ast.expr:
        return _compare(_call(_load("type"), _load(v)), ast.Is(), self.ns.bind(str))

    def leaf(self, spec: FieldSpec, v: str, zone_name: str) -> tuple[list[ast.stmt], ast.expr]:
        """Statements that return None unless ``v`` (a local holding the raw value) is a usual value of
        ``spec``'s type and leave its typed value in ``v``; and the expression of its canonical JSON."""
        bind, val = self.ns.bind, _load(v)
        kind = spec.type
        if kind == "count":
            limit = spec.limit or MAX_COUNT
            return [_unless(_all_of(_compare(_call(_load("type"), val), ast.Is(), bind(int)),
                                    ast.Compare(left=ast.Constant(value=0), ops=[ast.LtE(), ast.LtE()],
                                                comparators=[val, bind(limit)])))], val
        if kind == "bool":
            return [_unless(_compare(_call(_load("type"), val), ast.Is(), bind(bool)))], val
        if kind == "enum":
            return [_unless(_all_of(self.is_str(v), _compare(val, ast.In(), bind(frozenset(spec.values)))))], val
        if kind == "region":
            return [_unless(_all_of(self.is_str(v), _compare(val, ast.In(), bind(REGIONS))))], val
        if kind == "nationality":
            return [_unless(_all_of(self.is_str(v), _compare(_call(bind(_NATIONALITY.fullmatch), val), ast.IsNot(),
                                                             _none()),
                                    _compare(val, ast.NotIn(), bind(frozenset(_REGIONS_OF_CHINA)))))], val
        if kind == "round":
            # the terms of the years a moment may have are a set; another term goes to the generic path
            return [_unless(_all_of(self.is_str(v), _compare(val, ast.In(), bind(_USUAL_TERMS))))], val
        if kind == "str":
            limit = spec.limit or MAX_TEXT
            return [_unless(_all_of(
                self.is_str(v),
                ast.Compare(left=ast.Constant(value=0), ops=[ast.Lt(), ast.LtE()],
                            comparators=[_call(_load("len"), val), bind(limit)]),
                _method(val, "isprintable"),
                _compare(_method(val, "strip"), ast.Eq(), val),
                ast.BoolOp(op=ast.Or(), values=[_method(val, "isascii"),
                                                _call(bind(unicodedata.is_normalized), bind("NFC"), val)])))], val
        text = self.fresh("text")
        if kind == "date":
            return [_unless(_all_of(self.is_str(v), _compare(_call(bind(_DATE_TEXT.fullmatch), val), ast.IsNot(),
                                                             _none()))),
                    _assign(text, val),
                    _try_value_error([_assign(v, _call(bind(dt.date.fromisoformat), val))], self.ns),
                    _unless(ast.Compare(left=bind(MIN_YEAR), ops=[ast.Lt(), ast.Lt()],
                                        comparators=[ast.Attribute(value=val, attr="year", ctx=ast.Load()),
                                                     bind(MAX_YEAR)]))], _load(text)
        if kind == "instant":
            # canonical JSON: the moment's isoformat() in the zone, which is the text itself when that was
            # written YYYY-MM-DDTHH:MM:SS+HH:MM (not -00:00) with the zone's offset at that moment, that is
            # when the wall time read is the wall time in the zone (offsets differ by less than a day)
            zone_, shown, given = _load(zone_name), self.fresh("shown"), self.fresh("given")
            iso = _assign(shown, _method(val, "isoformat"))

            def same(attr: str) -> ast.expr:
                return _compare(ast.Attribute(value=val, attr=attr, ctx=ast.Load()), ast.Eq(),
                                ast.Attribute(value=_load(given), attr=attr, ctx=ast.Load()))

            same_text = _all_of(
                _compare(_call(_load("len"), _load(text)), ast.Eq(), bind(_OFFSET_TEXT_LEN)),
                _compare(ast.Subscript(value=_load(text), slice=bind(_OFFSET_AT), ctx=ast.Load()), ast.In(),
                         bind(frozenset("+-"))),
                _compare(ast.Subscript(value=_load(text), slice=ast.Slice(lower=bind(_OFFSET_AT)), ctx=ast.Load()),
                         ast.NotEq(), bind("-00:00")),
                same("minute"), same("hour"), same("day"), same("second"))
            return [_unless(_all_of(self.is_str(v), _compare(_call(bind(_INSTANT_TEXT.fullmatch), val), ast.IsNot(),
                                                             _none()))),
                    _assign(text, val),
                    _try_value_error([_assign(v, _call(bind(dt.datetime.fromisoformat), val))], self.ns),
                    _unless(ast.Compare(left=bind(MIN_YEAR), ops=[ast.Lt(), ast.Lt()],
                                        comparators=[ast.Attribute(value=val, attr="year", ctx=ast.Load()),
                                                     bind(MAX_YEAR)])),
                    ast.If(test=_compare(ast.Attribute(value=val, attr="tzinfo", ctx=ast.Load()), ast.Is(), _none()),
                           body=[_assign(v, _method(val, "replace", tzinfo=zone_)),
                                 *self.one_wall_time(v),
                                 _assign(v, _method(val, "astimezone", zone_)), iso],
                           orelse=[_assign(given, val),
                                   _assign(v, _method(val, "astimezone", zone_)),
                                   ast.If(test=same_text, body=[_assign(shown, _load(text))], orelse=[iso])])
                    ], _load(shown)
        raise ValueError(f"no generated parser for the type {kind!r}")  # pragma: no cover - TYPES is closed

    def one_wall_time(self, v: str) -> list[ast.stmt]:
        """Return None unless the wall time in ``v`` (aware, fold 0) has the same UTC offset and DST with
        fold 1: then it names exactly one instant (``wall_time_problem`` is None; a wall time the clocks
        skipped or repeated has two readings), checked at a fifth of ``wall_time_problem``'s cost."""
        other, bind = self.fresh("fold"), self.ns.bind
        return [_assign(other, _method(_load(v), "replace", fold=ast.Constant(value=1))),
                _unless(_all_of(_compare(_call(bind(dt.datetime.utcoffset), _load(v)), ast.Eq(),
                                         _call(bind(dt.datetime.utcoffset), _load(other))),
                                _compare(_call(bind(dt.datetime.dst), _load(v)), ast.Eq(),
                                         _call(bind(dt.datetime.dst), _load(other)))))]

    def obj(self, raw: str, tree: _Tree, prefix: str, out: str, jout: str, zone_name: str,
            required: frozenset[str] = frozenset(), mask: str | None = None, bits: dict[str, int] | None = None
            ) -> list[ast.stmt]:
        """Statements reading the object in local ``raw`` (known to be a dict) against ``tree``: typed
        values into the dict ``out`` under their dotted paths (``prefix`` + key), canonical JSON into
        the dict ``jout``; return None unless the object's keys are exactly those read, in the tree's
        order, and every path of ``required`` is there. With ``mask``, each path of ``bits`` read sets
        its bit in the local ``mask``."""
        body: list[ast.stmt] = []
        for key, node in tree.items():
            if node is _SKIP:
                continue
            path = prefix + key
            v = self.fresh("v")
            got = [_assign(v, _method(_load(raw), "get", self.ns.bind(key)))]
            if isinstance(node, dict):
                inner = self.fresh("j")
                then = [_unless(_compare(_call(_load("type"), _load(v)), ast.Is(), self.ns.bind(dict))),
                        _assign(inner, ast.Dict(keys=[], values=[])),
                        *self.obj(v, node, f"{path}.", out, inner, zone_name, required, mask, bits),
                        self.same_keys(v, inner, node),
                        _set_item(jout, self.ns.bind(key), _load(inner))]
                needed = any(r.startswith(f"{path}.") for r in required)
            else:
                checks, shown = self.leaf(node, v, zone_name)
                then = [*checks, _set_item(jout, self.ns.bind(key), shown),
                        _set_item(out, self.ns.bind(path), _load(v))]
                if mask is not None and bits is not None:
                    then.append(ast.AugAssign(target=_store(mask), op=ast.BitOr(), value=self.ns.bind(bits[path])))
                needed = path in required
            absent: list[ast.stmt] = [ast.Return(value=_none())] if needed else []
            body += [*got, ast.If(test=_compare(_load(v), ast.IsNot(), _none()), body=then, orelse=absent)]
        return body

    def same_keys(self, raw: str, jout: str, tree: _Tree) -> ast.stmt:
        """Return None unless the object in ``raw`` has exactly the keys of ``jout``, in its order (the
        usual object holds all of ``tree``'s keys: compared with that tuple first)."""
        keys, every = self.fresh("keys"), tuple(k for k, node in tree.items() if node is not _SKIP)
        return ast.If(test=_compare(ast.NamedExpr(target=_store(keys), value=_call(_load("tuple"), _load(raw))),
                                    ast.NotEq(), self.ns.bind(every)),
                      body=[_unless(_compare(_load(keys), ast.Eq(), _call(_load("tuple"), _load(jout))))], orelse=[])


def _top_checks(gen: _Gen, values: str, checks: tuple[tuple[str, str, str], ...]) -> list[ast.stmt]:
    """Return None if a constraint between top-level facts fails (``_check_consistency``'s first part)."""
    out: list[ast.stmt] = []
    for path, kind, other in checks:
        a, b = gen.fresh("a"), gen.fresh("b")
        read = [_assign(a, _method(_load(values), "get", gen.ns.bind(path))),
                _assign(b, _method(_load(values), "get", gen.ns.bind(other)))]
        if kind == "at_most":
            out += [*read, _reject_if(_all_of(_compare(_load(a), ast.IsNot(), _none()),
                                              _compare(_load(b), ast.IsNot(), _none()),
                                              _compare(_load(a), ast.Gt(), _load(b))))]
        else:  # only_if_true
            out += [*read, _reject_if(_all_of(_compare(_load(a), ast.IsNot(), _none()),
                                              _compare(_load(b), ast.Is(), ast.Constant(value=False))))]
    return out


def _item_checks(gen: _Gen, item: str, checks: tuple[tuple[str, FieldSpec], ...]) -> list[ast.stmt]:
    """Return None if a constraint inside one list item fails (or would raise in the full walker)."""
    out: list[ast.stmt] = []
    for field, spec in checks:
        a = gen.fresh("a")
        out.append(_assign(a, _method(_load(item), "get", gen.ns.bind(field))))
        if spec.required_unless is not None:
            other, unless = spec.required_unless
            out.append(_reject_if(_all_of(_compare(_load(a), ast.Is(), _none()),
                                          _compare(_method(_load(item), "get", gen.ns.bind(other)), ast.NotEq(),
                                                   gen.ns.bind(unless)))))
        if spec.not_before is not None:
            b = gen.fresh("b")
            out += [_assign(b, _method(_load(item), "get", gen.ns.bind(spec.not_before))),
                    _reject_if(_all_of(_compare(_load(a), ast.IsNot(), _none()),
                                       ast.BoolOp(op=ast.Or(), values=[_compare(_load(b), ast.Is(), _none()),
                                                                       _compare(_load(a), ast.Lt(), _load(b))])))]
    return out


# the generated parser of each facts schema read, shared by the subjects made of it (``Subject.of``: one per
# ruleset loaded), dropped with the schema
_BY_SCHEMA: weakref.WeakKeyDictionary[FactsSchema, _Generated] = weakref.WeakKeyDictionary()


def _generated_parser(subj: Subject) -> _Generated:
    """``subj``'s generated parser, built now if it was not yet (two threads may both build one: the same)."""
    schema = subj.schema
    shared = schema is not None and (subj.name, subj.fields, subj.lists, subj.max_items) == \
        (schema.subject, schema.fields, schema.lists, schema.max_items)
    parser = _BY_SCHEMA.get(schema) if shared else None  # type: ignore[arg-type]  # shared: not None
    if parser is None:
        parser = _generate(subj)
        if shared:
            _BY_SCHEMA[schema] = parser  # type: ignore[index]
    object.__setattr__(subj, "generated", parser)
    return parser


def _generate(subj: Subject) -> _Generated:
    """The generated parser of ``subj``: ``f(doc, zone, tz)`` -> the ``Facts`` of a usual ``doc``, or None."""
    gen = _Gen()
    bind = gen.ns.bind
    doc, zone_, tz, values, lists, canonical, mask, missing = (_astgen.name(b) for b in (
        "doc", "zone", "tz", "values", "lists", "canonical", "mask", "missing"))
    # one bit per top-level path and per list: which are present says which are missing
    bits = {p: 1 << i for i, p in enumerate((*subj.top_paths, *subj.lists))}
    body: list[ast.stmt] = [_unless(_compare(_call(_load("type"), _load(doc)), ast.Is(), bind(dict))),
                            _assign(values, ast.Dict(keys=[], values=[])), _assign(lists, ast.Dict(keys=[], values=[])),
                            _assign(canonical, ast.Dict(keys=[], values=[])), _assign(mask, ast.Constant(value=0))]
    body += gen.obj(doc, subj.top_tree, "", values, canonical, zone_, frozenset(subj.required_paths), mask, bits)
    for name_ in subj.lists:
        raw, raw_item = gen.fresh("raw"), gen.fresh("item")
        items, jitems, item, jitem = gen.fresh("items"), gen.fresh("jitems"), gen.fresh("it"), gen.fresh("jit")
        loop: list[ast.stmt] = [
            _unless(_compare(_call(_load("type"), _load(raw_item)), ast.Is(), bind(dict))),
            _assign(item, ast.Dict(keys=[], values=[])), _assign(jitem, ast.Dict(keys=[], values=[])),
            *gen.obj(raw_item, subj.item_trees[name_], "", item, jitem, zone_,
                     frozenset(subj.required_in_items[name_])),
            gen.same_keys(raw_item, jitem, subj.item_trees[name_]),
            *_item_checks(gen, item, subj.item_checks[name_]),
            ast.Expr(value=_method(_load(items), "append", _load(item))),
            ast.Expr(value=_method(_load(jitems), "append", _load(jitem)))]
        then = [_unless(_all_of(_compare(_call(_load("type"), _load(raw)), ast.Is(), bind(list)),
                                _compare(_call(_load("len"), _load(raw)), ast.LtE(), bind(subj.max_items)))),
                _assign(items, ast.List(elts=[], ctx=ast.Load())), _assign(jitems, ast.List(elts=[], ctx=ast.Load())),
                ast.For(target=_store(raw_item), iter=_load(raw), body=loop, orelse=[]),
                _set_item(lists, bind(name_), _call(_load("tuple"), _load(items))),
                _set_item(canonical, bind(name_), _load(jitems)),
                ast.AugAssign(target=_store(mask), op=ast.BitOr(), value=bind(bits[name_]))]
        body += [_assign(raw, _method(_load(doc), "get", bind(name_))),
                 ast.If(test=_compare(_load(raw), ast.IsNot(), _none()), body=then, orelse=[])]
    body.append(gen.same_keys(doc, canonical, {**subj.top_tree, **dict.fromkeys(subj.lists, True)}))
    body += _top_checks(gen, values, subj.top_checks)
    missing_of = _MissingOf(tuple(bits))
    body += [_assign(missing, _method(bind(missing_of.known), "get", _load(mask))),
             ast.If(test=_compare(_load(missing), ast.Is(), _none()),
                    body=[_assign(missing, _call(bind(missing_of), _load(mask)))], orelse=[]),
             ast.Return(value=_call(bind(Facts), _load(values), _load(lists), _load(missing), _load(tz),
                                    _load(canonical)))]
    return _astgen.build_function(_astgen.name("parse"), [doc, zone_, tz], body, gen.ns,
                                  filename=f"<facts parser of {subj.name}>")


class _MissingOf:
    """The missing facts of a document from the bits of the paths it has (``paths[i]`` present: bit
    ``i``), remembered for the first 4,096 combinations (then computed each time)."""

    def __init__(self, paths: tuple[str, ...]) -> None:
        self.paths = paths
        self.known: dict[int, frozenset[str]] = {}

    def __call__(self, mask: int) -> frozenset[str]:
        missing = frozenset(p for i, p in enumerate(self.paths) if not mask >> i & 1)
        if len(self.known) < 4096:
            self.known[mask] = missing
        return missing


# The shipped subjects (built last: a Subject prepares the fast path's tables).
SUBJECTS = {"collective": Subject.of(_COLLECTIVE), "unit": Subject.of(_UNIT)}
