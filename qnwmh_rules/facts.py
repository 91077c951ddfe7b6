"""The facts of one collective: the contract with callers, and parsing it.

Owns: the field table (``FIELDS``: every fact path, its type and whether list items
need it), parsing a JSON-shaped dict into ``Facts`` with typed values (dates as
``datetime.date``, timestamps as aware datetimes), and the ``FactsError`` that names
the field path. Must not know rules, the engine or verdicts.

Absent is not false: a field that is absent (or ``null``) is recorded as missing and
rules that read it become ``undetermined``. An empty list (``"honors": []``) is a
known fact ("no honours"); an absent list is unknown.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import attrs
from dateutil import tz as dttz

from ._moments import is_term, parse_date, parse_timestamp, show
from .exceptions import FactsError, did_you_mean

__all__ = ["Facts", "FieldSpec", "FIELDS", "LISTS", "UNIT_FIELDS", "UNIT_LISTS", "SUBJECTS", "Subject", "REGIONS",
           "parse_facts"]

# Provincial-level regions (the reporting localities) by their pinyin code.
REGIONS = frozenset(
    """anhui beijing chongqing fujian gansu guangdong guangxi guizhou hainan hebei
    heilongjiang henan hongkong hubei hunan jiangsu jiangxi jilin liaoning macao
    neimenggu ningxia qinghai shaanxi shandong shanghai shanxi sichuan taiwan tianjin
    xinjiang xinjiang_bingtuan xizang yunnan zhejiang""".split()
)

MAX_COUNT = 1_000_000_000  # far above any collective; keeps numbers exact in the engine
MAX_ITEMS = 1_000  # per list; a filing system never holds more for one collective
MAX_TEXT = 1_000  # characters in a text fact: at most 4,000 UTF-8 bytes, far inside durable's
# 16-bit string lengths in comparisons (65,535 bytes) and its 16 MiB limit on one value


@attrs.frozen
class FieldSpec:
    """One fact path: its value type (``int | str | enum | date | instant``)."""

    type: str
    values: tuple[str, ...] = ()  # for enums
    required_in_item: bool = False  # list items must carry it
    doc: str = ""


def _enum(*values: str, doc: str = "", item: bool = False) -> FieldSpec:
    return FieldSpec("enum", tuple(values), item, doc)


# Every scalar fact path. List item fields are written ``list[].field``.
FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec("str", doc="the collective's id in the filing system (required)"),
    "name": FieldSpec("str", doc="the collective's name"),
    "region": FieldSpec("region", doc="provincial-level region code, e.g. guangdong"),
    "industry": FieldSpec("str", doc="industry code, e.g. railway"),
    "org_kind": _enum("public", "non_public_economy", "social_organization",
                      doc="kind of organisation the collective belongs to"),
    "reporting_line.kind": _enum("industry", "locality", doc="归口: industry or locality line"),
    "reporting_line.unit": FieldSpec("str", doc="the management unit of the reporting line"),
    "members.total": FieldSpec("count", doc="total members"),
    "members.aged_35_or_under": FieldSpec("count", doc="members aged 35 or under (周岁)"),
    "members.chinese_nationals": FieldSpec("count", doc="members of Chinese nationality"),
    "leader.birth_date": FieldSpec("date", doc="号长's date of birth"),
    "leader.nationality": FieldSpec("nationality", doc="号长's nationality, ISO 3166 alpha-2 (CN)"),
    "honors[].level": _enum("national", "provincial", "ministerial", "municipal", item=True,
                            doc="level of the 青年文明号 honour (ministerial: 部级, named by a ministry)"),
    "honors[].kind": _enum("named", "review_confirmed", item=True,
                           doc="命名 (named) or 复核认定 (review confirmation)"),
    "honors[].round": FieldSpec("round", required_in_item=True,
                                doc="term of the honour, e.g. 2015-2016; for a 复核认定 the term of the "
                                    "confirmation, not of the original naming"),
    "honors[].date": FieldSpec("date", required_in_item=True, doc="date of the commending document"),
    "filings[].channel.kind": _enum("industry", "locality", item=True, doc="channel the filing went through"),
    "filings[].channel.unit": FieldSpec("str", required_in_item=True, doc="management unit of the channel"),
    "filings[].submitted_at": FieldSpec("instant", required_in_item=True, doc="when the network filing was submitted"),
    "filings[].review.status": _enum("approved", "rejected", "pending", item=True,
                                     doc="the management unit's review"),
    "filings[].review.at": FieldSpec("instant", doc="when it was reviewed (required unless pending)"),
}
LISTS = ("honors", "filings")

# The facts of a management unit (管理单位), the subject of the 考评 assessment.
UNIT_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec("str", doc="the management unit's id (required)"),
    "name": FieldSpec("str", doc="the management unit's name"),
    "kind": _enum("provincial_committee", "member_unit", "support_unit",
                  doc="provincial league committee, member unit or support unit of the organising committee"),
    "region": FieldSpec("region", doc="provincial-level region code, for provincial committees"),
    "industry": FieldSpec("str", doc="industry code, for member and support units, e.g. transport"),
    "quota": FieldSpec("count", doc="the unit's selection quota (评选分配名额) for the term"),
    "creation_collectives.total": FieldSpec("count", doc="national creation collectives (创建集体) of the unit: "
                                                         "collectives meeting the ruleset's creation_collective "
                                                         "criterion (count_creation_collectives)"),
    "creation_collectives.previous_national": FieldSpec("count", doc="of them, previous national collectives"),
    "creation_collectives.non_public_economy": FieldSpec("count", doc="of them, non-public-economy collectives"),
    "creation_collectives.social_organization": FieldSpec("count", doc="of them, social-organisation collectives"),
    "recommended.total": FieldSpec("count", doc="collectives the unit recommends for selection (推报集体)"),
    "recommended.previous_national": FieldSpec("count", doc="of them, previous national collectives"),
    "activities[].kind": _enum("special_meeting", "training", "inspection", "themed_activity", item=True,
                               doc="专题会议, 集中培训, 检查或调研, 主题创建活动"),
    "activities[].date": FieldSpec("date", required_in_item=True, doc="the day it was held"),
    "activities[].title": FieldSpec("str", doc="what it was"),
    "contact_platform.exists": FieldSpec("bool", doc="a regular contact platform (常态化联系平台) exists"),
    "contact_platform.since": FieldSpec("date", doc="since when"),
}
UNIT_LISTS = ("activities",)
_TOP_OBJECTS = ("reporting_line", "members", "leader")

_NATIONALITY = re.compile(r"[A-Z]{2}", re.ASCII)
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


def _check_text(path: str, value: str) -> str:
    """A text fact holds exactly what it shows: no padding, no invisible, control or non-ASCII
    space characters, NFC-normalised, at most ``MAX_TEXT`` characters."""
    if len(value) > MAX_TEXT:
        raise FactsError(path, f"is {len(value)} characters long; at most {MAX_TEXT} are accepted")
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


def _check_type(path: str, spec: FieldSpec, value: Any, zone: dt.tzinfo) -> Any:
    kind = spec.type
    if kind in ("str", "round", "nationality", "region", "enum"):
        if not isinstance(value, str):
            raise FactsError(path, f"expected a string, got {type(value).__name__} {show(value)}")
        if kind == "str":
            return _check_text(path, value)
        if kind == "enum":
            if value not in spec.values:
                raise FactsError(path, f"expected one of {', '.join(spec.values)}; got {show(value)}",
                                 suggestion=_suggest(value[:MAX_TEXT], spec.values))
            return value
        if kind == "region":
            if value not in REGIONS:
                raise FactsError(path, f"unknown region {show(value)}",
                                 suggestion=_suggest(value[:MAX_TEXT], REGIONS))
            return value
        if kind == "nationality":
            if not _NATIONALITY.fullmatch(value):
                raise FactsError(path, f"expected an ISO 3166 alpha-2 code such as 'CN'; got {show(value)}")
            return value
        if not is_term(value):
            raise FactsError(path, f"expected a term such as '2015-2016'; got {show(value)}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise FactsError(path, f"expected true or false, got {type(value).__name__} {show(value)}")
        return value
    if kind == "count":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and math.isfinite(value) and value.is_integer() \
                    and abs(value) <= MAX_COUNT:
                value = int(value)
            else:
                raise FactsError(path, f"expected a whole number, got {type(value).__name__} {show(value)}")
        if value < 0:
            raise FactsError(path, f"must not be negative; got {show(value)}")
        if value > MAX_COUNT:
            raise FactsError(path, f"implausibly large ({show(value)}); the limit is {MAX_COUNT}")
        return value
    if kind == "date":
        return parse_date(value, path)
    if kind == "instant":
        return parse_timestamp(value, path, zone)
    raise AssertionError(f"unknown field type {kind}")  # pragma: no cover


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
    """What one kind of subject's facts look like: its field table, lists and parse trees."""

    name: str
    fields: dict[str, FieldSpec]
    lists: tuple[str, ...]
    top_tree: _Tree = attrs.field(init=False)
    item_fields: dict[str, dict[str, FieldSpec]] = attrs.field(init=False)
    item_trees: dict[str, _Tree] = attrs.field(init=False)
    top_paths: tuple[str, ...] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "top_tree", _tree({p: s for p, s in self.fields.items() if "[]" not in p}))
        items = {n: {p[len(n) + 3:]: s for p, s in self.fields.items() if p.startswith(n + "[].")} for n in self.lists}
        object.__setattr__(self, "item_fields", items)
        object.__setattr__(self, "item_trees", {n: _tree(f) for n, f in items.items()})
        object.__setattr__(self, "top_paths", tuple(p for p in self.fields if "[]" not in p))


SUBJECTS = {"collective": Subject("collective", FIELDS, LISTS), "unit": Subject("unit", UNIT_FIELDS, UNIT_LISTS)}


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
            typed = _check_type(shown, node, value, zone)
            out[f"{prefix}{key}"] = typed
            jout[key] = _to_json(typed)


def parse_facts(doc: Any, *, tz: str = "Asia/Shanghai", subject: str = "collective") -> Facts:
    """Check and type ``doc`` (a JSON-shaped dict) as the facts of a ``subject``
    (``collective`` or ``unit``); raise ``FactsError`` naming the field."""
    if subject not in SUBJECTS:
        raise FactsError("(subject)", f"unknown subject kind {subject!r}; known: {', '.join(SUBJECTS)}")
    subj = SUBJECTS[subject]
    zone = dttz.gettz(tz)
    if zone is None:  # pragma: no cover - the ruleset loader checks the zone
        raise FactsError("(tz)", f"unknown time zone {tz!r}")
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
        if len(raw) > MAX_ITEMS:
            raise FactsError(name, f"has {len(raw)} items; at most {MAX_ITEMS} are accepted")
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
    if "id" not in values:
        raise FactsError("id", f"is required: every {subject} needs its id")
    _check_consistency(values, lists)
    missing = frozenset(p for p in subj.top_paths if p not in values) | \
        frozenset(n for n in subj.lists if n not in lists)
    return Facts(values=values, lists=lists, missing=missing, tz=tz, canonical=canonical)


def _check_consistency(values: dict[str, Any], lists: dict[str, tuple[dict[str, Any], ...]]) -> None:
    total = values.get("members.total")
    if total is not None:
        for part in ("members.aged_35_or_under", "members.chinese_nationals"):
            if part in values and values[part] > total:
                raise FactsError(part, f"is {values[part]}, more than members.total ({total})")
    total = values.get("creation_collectives.total")
    if total is not None:
        for part in ("previous_national", "non_public_economy", "social_organization"):
            path = f"creation_collectives.{part}"
            if path in values and values[path] > total:
                raise FactsError(path, f"is {values[path]}, more than creation_collectives.total ({total})")
    total = values.get("recommended.total")
    if total is not None and values.get("recommended.previous_national", 0) > total:
        raise FactsError("recommended.previous_national", f"is {values['recommended.previous_national']}, "
                                                          f"more than recommended.total ({total})")
    if values.get("contact_platform.exists") is False and "contact_platform.since" in values:
        raise FactsError("contact_platform.since", "is given but contact_platform.exists is false")
    for i, item in enumerate(lists.get("filings", ())):
        status, at = item["review.status"], item.get("review.at")
        if status != "pending" and at is None:
            raise FactsError(f"filings[{i}].review.at", f"is required when the review is {status}")
        if at is not None and at < item["submitted_at"]:
            raise FactsError(f"filings[{i}].review.at", "is earlier than submitted_at")
