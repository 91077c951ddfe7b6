"""The facts schemas: which facts a subject may carry, declared as data beside the rulesets.

Owns: reading a facts schema file (``rulesets/facts/<name>@<version>.facts.yaml``) into a
``FactsSchema`` (every fact path with its type, enum values, limits, whether list items
need it and the cross-field constraints, each path and enum value with a zh and en label
and a description), reading the regions file, finding the schema a ruleset names
(``facts_schema: collective@1``), and the label look-ups the report layer uses. Errors in a
schema file are ``RulesetError`` Q170 at ``file:line:col``; a ruleset naming a schema that
cannot be found is Q124. Must not know rules, the engine or verdicts; parsing facts against
a schema is ``facts``.

Schema file shape (see ``rulesets/facts/collective@1.facts.yaml``)::

    facts_schema: collective          # the schema's name
    version: 1                        # a whole number; rulesets name name@version
    subject: collective               # collective or unit
    title: {zh: …, en: …}
    limits: {count: 1000000000, items: 1000, text: 1000}
    groups:                           # objects and lists: labels (lists also a description)
      honors: {label: {zh: …, en: …}, description: {zh: …, en: …},
               phrasing: {zh: "{round|term}年度…", en: …}}   # how one item reads in findings
    fields:                           # every fact path; list item fields as list[].field
      members.total: {type: count, label: {zh: …, en: …}, description: {zh: …, en: …}}
      honors[].level:
        type: enum
        required: true                # list items must carry it (top level: the fact is required)
        values: {national: {zh: 全国, en: national}, …}

Types: ``str`` (text), ``count`` (a whole number 0…limit), ``bool``, ``enum``, ``date``,
``instant`` (a timestamp), ``region`` (a code of the regions file), ``nationality``
(ISO 3166 alpha-2) and ``round`` (a term such as ``2015-2016``). Constraints:
``at_most: <count path>``, ``only_if_true: <bool path>``, and on list item fields
``required_unless: {<item field>: <value>}`` and ``not_before: <item field>``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path
from typing import Any

import attrs

from . import _template
from ._loader import KIND_SUFFIXES, Key, Loaded, confined_path, load_text, read_source, text_position, tree_root
from .exceptions import RulesetError, did_you_mean

__all__ = ["FieldSpec", "FactsSchema", "Regions", "TYPES", "HARD_LIMITS", "LANGS", "SUFFIX", "read_schema_file",
           "read_regions_file", "packaged_schema", "packaged_regions", "find_schema", "check_file", "parse_key",
           "default_schema_key", "schema_dir"]

LANGS = ("zh", "en")
# The value types a fact may have (facts._PARSERS holds one parser for each).
TYPES = ("str", "count", "bool", "enum", "date", "instant", "region", "nationality", "round")
# What the engine holds exactly: counts stay exact as doubles, texts far inside durable's string limits.
HARD_LIMITS = {"count": 1_000_000_000, "items": 1_000, "text": 1_000}
_NAME = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
_SEGMENT = r"[a-z][a-z0-9_]*"
_PATH = re.compile(rf"{_SEGMENT}(\[\])?(\.{_SEGMENT}(\[\])?)*", re.ASCII)
_KEY = re.compile(r"([a-z][a-z0-9_]*)@([1-9][0-9]{0,5})", re.ASCII)
_TOP_KEYS = {"facts_schema": True, "version": True, "subject": True, "title": True, "limits": False,
             "groups": False, "fields": True}
_REGION_KEYS = {"facts_schema": True, "version": True, "title": True, "regions": True}
_FIELD_KEYS = {"type": True, "label": True, "description": True, "values": False, "required": False,
               "at_most": False, "only_if_true": False, "required_unless": False, "not_before": False}
_GROUP_KEYS = {"label": True, "description": False, "phrasing": False}
SUFFIX = KIND_SUFFIXES["facts_schema"]


@attrs.frozen
class FieldSpec:
    """One fact path: its value type (one of ``TYPES``), enum values, whether list items must carry
    it (``required_in_item``) or the subject must (``required``), its limit (a count's largest value,
    a text's longest length) and its constraints against other paths."""

    type: str
    values: tuple[str, ...] = ()  # for enums
    required_in_item: bool = False  # list items must carry it
    doc: str = ""
    required: bool = False  # a top-level fact every subject must carry (the id)
    limit: int = 0  # count: largest value; str: most characters (0: the schema's default)
    at_most: str | None = None  # a count no larger than this count
    only_if_true: str | None = None  # given only when this bool fact is true
    required_unless: tuple[str, str] | None = None  # (item field, value): required unless it has that value
    not_before: str | None = None  # an item moment not earlier than this item field


Labels = dict[str, str]  # lang -> text


@attrs.frozen(eq=False)
class FactsSchema:
    """A subject's facts as declared in one schema file (see the module docstring).

    ``fields`` maps each fact path (``members.total``, ``honors[].level``) to its ``FieldSpec``;
    ``lists`` names the lists; ``max_items`` is the longest list accepted. ``label``,
    ``description`` and ``value_label`` give the texts in ``zh`` or ``en``.
    """

    name: str
    version: int
    subject: str
    title: Labels
    fields: dict[str, FieldSpec]
    lists: tuple[str, ...]
    max_items: int
    labels: dict[str, Labels]  # every field path, list and object group
    descriptions: dict[str, Labels]
    value_labels: dict[str, dict[str, Labels]]  # enum path -> value -> labels
    path: str = ""
    sha256: str = ""
    # list -> how one item reads in findings: a template (see _template) per language, over the item's fields
    phrasing: dict[str, Labels] = attrs.field(factory=dict)

    @property
    def key(self) -> str:
        """``name@version``, as a ruleset's ``facts_schema:`` names it."""
        return f"{self.name}@{self.version}"

    def label(self, path: str, lang: str = "zh") -> str:
        """The label of a fact path, list or object group (``honors``, ``filings[].channel``) in
        ``lang`` (``zh`` or ``en``); KeyError for a path the schema does not declare."""
        return self.labels[path][_lang(lang)]

    def description(self, path: str, lang: str = "zh") -> str:
        """The short description of a fact path or list in ``lang`` (empty for a group without one)."""
        got = self.descriptions.get(path)
        if got is None:
            if path not in self.labels:
                raise KeyError(path)
            return ""
        return got[_lang(lang)]

    def value_label(self, path: str, value: str, lang: str = "zh") -> str:
        """The label of ``value`` of the enum fact ``path`` in ``lang``; KeyError if not one of its values."""
        return self.value_labels[path][value][_lang(lang)]


@attrs.frozen(eq=False)
class Regions:
    """The provincial-level regions: codes in file order with their zh and en names."""

    names: dict[str, Labels]
    version: int = 1
    path: str = ""

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self.names)

    def name(self, code: str, lang: str = "zh") -> str:
        """The region's name in ``lang`` (``广东`` / ``Guangdong`` for ``guangdong``); KeyError if unknown."""
        return self.names[code][_lang(lang)]


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be zh or en, got {lang!r}")
    return lang


class _Reader:
    """Checks one schema file's tree; every problem is Q170 at the file position."""

    def __init__(self, loaded: Loaded) -> None:
        self.l = loaded

    def err(self, msg: str, kp: Key, *, key: bool = False, suggestion: str | None = None) -> RulesetError:
        return self.l.error("Q170", msg, kp, key=key, suggestion=suggestion)

    def mapping(self, value: Any, kp: Key, spec: dict[str, bool], what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.err(f"{what} must be a mapping, got {_kind(value)}", kp)
        for k in value:
            if k not in spec:
                raise self.err(f"unknown key {k!r} in {what}", kp + (k,), key=True,
                               suggestion=did_you_mean(str(k), sorted(spec)))
        for k, needed in spec.items():
            if needed and k not in value:
                raise self.err(f"{what} needs {k!r}", kp)
        return value

    def labels(self, value: Any, kp: Key, what: str) -> Labels:
        got = self.mapping(value, kp, {"zh": True, "en": True}, what)
        for lang in LANGS:
            text = got[lang]
            if not isinstance(text, str) or not text.strip() or text != text.strip():
                raise self.err(f"{what} {lang} must be a text without spaces around it, got {_kind(text)}",
                               kp + (lang,))
        return {"zh": got["zh"], "en": got["en"]}

    def name(self, value: Any, kp: Key, what: str) -> str:
        if not isinstance(value, str) or not _NAME.fullmatch(value):
            raise self.err(f"{what} must be a lower_snake_case name, got {value!r}", kp)
        return value

    def whole(self, value: Any, kp: Key, what: str, top: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise self.err(f"{what} must be a whole number from 1 to {top}, got {value!r}", kp)
        return value


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a text", type(None): "nothing"}.get(type(value), repr(value))


def _load(path: Path) -> tuple[Loaded, str]:
    shown = str(path)
    text = read_source(path, "facts schema", shown)
    loaded = load_text(text, shown)
    if loaded.errors:
        raise loaded.errors[0]
    return loaded, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _header(r: _Reader, top: dict[str, Any], path: Path) -> tuple[str, int]:
    name = r.name(top["facts_schema"], ("facts_schema",), "facts_schema")
    version = r.whole(top["version"], ("version",), "version", 999_999)
    expected = f"{name}@{version}{SUFFIX}"
    if path.name != expected:
        raise r.err(f"the schema {name}@{version} is in a file named {path.name!r}; its file is named {expected!r}",
                    ("facts_schema",), suggestion="rename the file or correct facts_schema and version")
    return name, version


def read_schema_file(path: Path) -> FactsSchema:
    """Read and check one facts schema file; RulesetError Q170 (or a loader code) on any problem."""
    loaded, sha = _load(path)
    r = _Reader(loaded)
    top = r.mapping(loaded.data, (), _TOP_KEYS, "a facts schema")
    name, version = _header(r, top, path)
    subject = top["subject"]
    if subject not in ("collective", "unit"):
        raise r.err(f"subject must be collective or unit, got {subject!r}", ("subject",),
                    suggestion=did_you_mean(str(subject), ("collective", "unit")))
    title = r.labels(top["title"], ("title",), "title")
    limits = dict(HARD_LIMITS)
    if "limits" in top:
        raw = r.mapping(top["limits"], ("limits",), dict.fromkeys(HARD_LIMITS, False), "limits")
        for k, v in raw.items():
            limits[k] = r.whole(v, ("limits", k), f"limits.{k}", HARD_LIMITS[k])
    fields_raw = top["fields"]
    if not isinstance(fields_raw, dict) or not fields_raw:
        raise r.err("fields must be a mapping of fact path: declaration, with at least one path", ("fields",))
    fields: dict[str, FieldSpec] = {}
    labels: dict[str, Labels] = {}
    descriptions: dict[str, Labels] = {}
    value_labels: dict[str, dict[str, Labels]] = {}
    for fpath, decl in fields_raw.items():
        kp: Key = ("fields", fpath)
        if not isinstance(fpath, str) or not _PATH.fullmatch(fpath) or fpath.count("[]") > 1 \
                or fpath.endswith("[]"):
            raise r.err(f"fact path {fpath!r} must be dotted lower_snake_case names, a list item field written "
                        "list[].field", kp, key=True)
        d = r.mapping(decl, kp, _FIELD_KEYS, f"field {fpath}")
        ftype = d["type"]
        if ftype not in TYPES:
            raise r.err(f"unknown type {ftype!r} for {fpath}", kp + ("type",),
                        suggestion=did_you_mean(str(ftype), TYPES) or f"one of {', '.join(TYPES)}")
        labels[fpath] = r.labels(d["label"], kp + ("label",), f"the label of {fpath}")
        descriptions[fpath] = r.labels(d["description"], kp + ("description",), f"the description of {fpath}")
        values: tuple[str, ...] = ()
        if ftype == "enum":
            if not isinstance(d.get("values"), dict) or not d["values"]:
                raise r.err(f"enum {fpath} needs values: a mapping of value: {{zh, en}}", kp + ("values",))
            value_labels[fpath] = {}
            for v, vl in d["values"].items():
                r.name(v, kp + ("values", v), f"an enum value of {fpath}")
                value_labels[fpath][v] = r.labels(vl, kp + ("values", v), f"the label of {fpath} = {v}")
            values = tuple(value_labels[fpath])
        elif "values" in d:
            raise r.err(f"values belong to enum fields; {fpath} is {ftype}", kp + ("values",), key=True)
        required = d.get("required", False)
        if not isinstance(required, bool):
            raise r.err(f"required must be true or false, got {required!r}", kp + ("required",))
        in_item = "[]" in fpath
        fields[fpath] = FieldSpec(
            ftype, values, required_in_item=required and in_item, doc=descriptions[fpath]["en"],
            required=required and not in_item,
            limit=limits["count"] if ftype == "count" else limits["text"] if ftype == "str" else 0,
            at_most=d.get("at_most"), only_if_true=d.get("only_if_true"),
            required_unless=_pair(r, d.get("required_unless"), kp + ("required_unless",)),
            not_before=d.get("not_before"))
    lists = tuple(dict.fromkeys(p.split("[]", 1)[0] for p in fields if "[]" in p))
    for fpath, spec in fields.items():
        _check_constraints(r, fpath, spec, fields)
    phrasing: dict[str, Labels] = {}
    groups_raw = top.get("groups") or {}
    if not isinstance(groups_raw, dict):
        raise r.err(f"groups must be a mapping, got {_kind(groups_raw)}", ("groups",))
    needed = _groups_of(fields)
    for g, decl in groups_raw.items():
        if g not in needed:
            raise r.err(f"group {g!r} is no list or object of the fields", ("groups", g), key=True,
                        suggestion=did_you_mean(str(g), sorted(needed)))
        d = r.mapping(decl, ("groups", g), _GROUP_KEYS, f"group {g}")
        labels[g] = r.labels(d["label"], ("groups", g, "label"), f"the label of {g}")
        if "description" in d:
            descriptions[g] = r.labels(d["description"], ("groups", g, "description"), f"the description of {g}")
        if "phrasing" in d:
            phrasing[g] = _phrasing_of(r, g, d["phrasing"], ("groups", g, "phrasing"), fields, lists)
    unlabelled = sorted(needed - set(groups_raw))
    if unlabelled:
        raise r.err(f"the list or object {unlabelled[0]!r} has no label: add it under groups", ("groups",))
    for name_ in lists:
        if name_ not in descriptions:
            raise r.err(f"the list {name_!r} needs a description under groups", ("groups", name_))
    return FactsSchema(name=name, version=version, subject=subject, title=title, fields=fields, lists=lists,
                       max_items=limits["items"], labels=labels, descriptions=descriptions,
                       value_labels=value_labels, path=str(path), sha256=sha, phrasing=phrasing)


_ITEM_KINDS = {"bool": "bool", "count": "number", "date": "date", "instant": "instant"}


def _phrasing_of(r: _Reader, group: str, value: Any, kp: Key, fields: dict[str, FieldSpec],
                 lists: tuple[str, ...]) -> Labels:
    """A list's ``phrasing``: a ``{zh, en}`` template of one item over the item's fields, checked like a
    finding's templates (Q190 syntax, Q191 a field the items do not have, Q192 a formatter)."""
    if group not in lists:
        raise r.err(f"phrasing belongs to lists; {group!r} is an object", kp, key=True)
    texts = r.labels(value, kp, f"the phrasing of {group}")
    scope = {p[len(group) + 3:]: _ITEM_KINDS.get(spec.type, "string")
             for p, spec in fields.items() if p.startswith(f"{group}[].")}
    for name in list(scope):  # an object inside an item (channel) may be named too
        head = name.rpartition(".")[0]
        while head:
            scope.setdefault(head, "any")
            head = head.rpartition(".")[0]
    for lang, text in texts.items():
        try:
            _template.check_template(_template.parse_template(text), scope,
                                     suggest=lambda w, choices: did_you_mean(w, choices))
        except _template.TemplateProblem as p:
            line, col = text_position(r.l, kp + (lang,), p.offset, text)
            raise RulesetError(p.code, p.message, path=r.l.path, line=line, col=col, suggestion=p.suggestion) from None
    return texts


def _pair(r: _Reader, value: Any, kp: Key) -> tuple[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) != 1:
        raise r.err("required_unless must be one `item field: value`", kp)
    ((k, v),) = value.items()
    return str(k), str(v)


def _groups_of(fields: dict[str, FieldSpec]) -> set[str]:
    """Every object and list a field path sits in (``filings``, ``filings[].channel``, ``members``)."""
    out: set[str] = set()
    for p in fields:
        parts = p.split(".")
        for n in range(1, len(parts)):
            out.add(".".join(parts[:n]).removesuffix("[]"))
    return out


def _check_constraints(r: _Reader, fpath: str, spec: FieldSpec, fields: dict[str, FieldSpec]) -> None:
    kp: Key = ("fields", fpath)
    head, _, _ = fpath.rpartition("[].")
    item_fields = {p.split("[].", 1)[1]: s for p, s in fields.items() if head and p.startswith(head + "[].")}

    def target(other: Any, key: str, types: tuple[str, ...], scope: dict[str, FieldSpec]) -> None:
        if not isinstance(other, str) or other not in scope or other == (fpath.split("[].")[-1]):
            raise r.err(f"{key} of {fpath} must name another {' or '.join(types)} field "
                        f"{'of the same list item' if head else 'at the top level'}, got {other!r}",
                        kp + (key,), suggestion=did_you_mean(str(other), sorted(scope)))
        if scope[other].type not in types or (key == "not_before" and scope[other].type != spec.type):
            raise r.err(f"{key} of {fpath} names {other} of type {scope[other].type}; "
                        f"it must be {' or '.join(types)}" + (f" like {fpath}" if key == "not_before" else ""),
                        kp + (key,))

    top = {p: s for p, s in fields.items() if "[]" not in p}
    if spec.at_most is not None:
        if spec.type != "count" or head:
            raise r.err(f"at_most belongs to top-level count fields; {fpath} is {spec.type}", kp + ("at_most",),
                        key=True)
        target(spec.at_most, "at_most", ("count",), top)
    if spec.only_if_true is not None:
        if head:
            raise r.err(f"only_if_true belongs to top-level fields, not to {fpath}", kp + ("only_if_true",), key=True)
        target(spec.only_if_true, "only_if_true", ("bool",), top)
    if spec.required_unless is not None:
        if not head or spec.required_in_item:
            raise r.err(f"required_unless belongs to list item fields that are not required; {fpath} is "
                        + ("required" if spec.required_in_item else "at the top level"), kp + ("required_unless",),
                        key=True)
        other, value = spec.required_unless
        target(other, "required_unless", ("enum",), {k: s for k, s in item_fields.items() if s.required_in_item})
        if value not in item_fields[other].values:
            raise r.err(f"required_unless: {value!r} is not a value of {other}", kp + ("required_unless", other),
                        suggestion=did_you_mean(value, item_fields[other].values))
    if spec.not_before is not None:
        if not head or spec.type not in ("date", "instant"):
            raise r.err(f"not_before belongs to date or instant fields of list items; {fpath} is {spec.type}",
                        kp + ("not_before",), key=True)
        target(spec.not_before, "not_before", ("date", "instant"),
               {k: s for k, s in item_fields.items() if s.required_in_item})


def read_regions_file(path: Path) -> Regions:
    """Read and check the regions file; RulesetError Q170 on any problem."""
    loaded, _ = _load(path)
    r = _Reader(loaded)
    top = r.mapping(loaded.data, (), _REGION_KEYS, "a regions file")
    _, version = _header(r, top, path)
    r.labels(top["title"], ("title",), "title")
    raw = top["regions"]
    if not isinstance(raw, dict) or not raw:
        raise r.err("regions must be a mapping of code: {zh, en}", ("regions",))
    names = {r.name(code, ("regions", code), "a region code"): r.labels(v, ("regions", code), f"the name of {code}")
             for code, v in raw.items()}
    return Regions(names=names, version=version, path=str(path))


def check_file(path: Path) -> None:
    """Read a ``*.facts.yaml`` file as what its name says (``regions@N``: the regions, else a subject's
    facts schema); RulesetError on any problem (for ``qnwmh-rules check``)."""
    if Path(path).name.startswith("regions@"):
        read_regions_file(Path(path))
    else:
        read_schema_file(Path(path))


def schema_dir() -> Path:
    """The folder of the shipped schemas (``rulesets/facts``, installed as ``qnwmh_rules/rulesets/facts``)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "rulesets" / "facts", here.parent / "rulesets" / "facts"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the shipped facts schemas are not installed (looked in {here / 'rulesets' / 'facts'})")


def default_schema_key(subject: str) -> str:
    """The schema a ruleset of ``subject`` reads when it names none."""
    return f"{subject}@1"


@functools.cache
def packaged_schema(key: str) -> FactsSchema:
    """A shipped schema by ``name@version`` (cached)."""
    return read_schema_file(schema_dir() / f"{key}{SUFFIX}")


@functools.lru_cache(maxsize=1)
def packaged_regions() -> Regions:
    """The shipped regions file (cached)."""
    return read_regions_file(schema_dir() / f"regions@1{SUFFIX}")


@functools.lru_cache(maxsize=64)
def _read_cached(path: str, mtime_ns: int, size: int) -> FactsSchema:
    return read_schema_file(Path(path))


def find_schema(key: str, ruleset_file: Path) -> FactsSchema | None:
    """The schema ``name@version`` a ruleset file names: ``facts/<key>.facts.yaml`` beside the ruleset,
    then in its rulesets tree (``rulesets/facts`` for a ruleset in a term folder), then the shipped
    ones; None if none exists. Like ``inherits``, only files inside the ruleset's tree and reached
    without symbolic links are read (PathProblem Q165 otherwise). RulesetError (Q170, or Q010/Q011/
    Q165 when it cannot be read) if the file found is wrong."""
    if parse_key(key) is None:
        raise ValueError(f"not a schema key: {key!r}")
    folder = Path(os.path.abspath(ruleset_file)).parent
    refs = [f"facts/{key}{SUFFIX}"]
    if tree_root(ruleset_file) != folder:  # a ruleset in a term folder: also its tree's facts/
        refs.append(f"../facts/{key}{SUFFIX}")
    for ref in refs:
        f = confined_path(ref, Path(ruleset_file), suffixes=(SUFFIX,))
        if os.path.lexists(f):
            st = os.stat(f) if os.path.isfile(f) else None
            if st is None:
                return read_schema_file(f)  # not a regular file: its error
            return _read_cached(str(f), st.st_mtime_ns, st.st_size)
    if (schema_dir() / f"{key}{SUFFIX}").is_file():
        return packaged_schema(key)
    return None


def parse_key(text: Any) -> tuple[str, int] | None:
    """``("collective", 1)`` for ``collective@1``; None if not so written."""
    m = _KEY.fullmatch(text) if isinstance(text, str) else None
    return (m.group(1), int(m.group(2))) if m else None
