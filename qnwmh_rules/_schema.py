"""Validating a loaded ruleset file into the model, and layering overlays.

Owns: which keys a ruleset file may have and of what type, rule id shape, citations
pointing at declared sources, parameter values, `inherits` (an overlay adds rules and
overrides parameters of the file it inherits from) and the canonical content hash.
Must not know the condition language beyond handing ``when`` text to ``_check``,
nor durable_rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs

from ._facts_schema import SUFFIX as SCHEMA_SUFFIX
from ._facts_schema import default_schema_key, find_schema, schema_dir
from ._facts_schema import parse_key as parse_schema_key
from ._finding import read_finding
from ._loader import Key, Loaded, PathProblem, confined_path, file_kind, load_text, read_source
from ._model import (
    Citation,
    CreationCriterion,
    Derivation,
    Parameter,
    Rule,
    Ruleset,
    ScoreGroup,
    ScoreSpec,
    Scoring,
    Source,
    Text,
    Window,
    ruleset_key,
)
from ._moments import TERM, is_term, zone_problem
from .exceptions import RulesetError, did_you_mean
from .facts import SUBJECTS, Subject

__all__ = ["read_ruleset_file", "canonical", "content_sha256", "wording", "wording_sha256", "all_errors", "Reader"]

_TOP_KEYS = {
    "ruleset": True, "term": True, "version": True, "title": True, "time_zone": False,
    "region": False, "inherits": False, "sources": False, "parameters": False,
    "derived": False, "rules": False, "description": False, "subject": False, "scoring": False,
    "creation_collective": False, "facts_schema": False,
}
_RULE_KEYS = {"id": True, "title": True, "severity": True, "citation": True, "when": True,
              "interpretation": False, "override": False, "pending_if": False, "score": False,
              "due": False, "applies_if": False, "finding": False, "provisional_pass": False}
_SCORE_KEYS = {"kind": True, "points": False, "group": False, "per": False, "cap": False, "effect": False}
_SCORING_KEYS = {"rounding": True, "groups": True, "bonus_cap": False}
_GROUP_KEYS = {"id": True, "title": True, "cap": False, "weight": False}
_ROUNDING = ("half_up", "half_even", "down")
_PARAM_KEYS = {"value": True, "source": False, "description": False, "interpretation": False,
               "placeholder": False}
_WINDOW_KEYS = {"start": True, "end": True, "start_inclusive": True, "end_inclusive": True,
                "time_zone": False}
_SOURCE_KEYS = {"id": True, "title": True, "reference": False, "date": False, "note": False}
_DERIVED_KEYS = {"function": True, "of": True, "at": False, "where": False, "completes": False}
_CREATION_KEYS = {"when": True, "citation": True, "interpretation": False, "breakdown": False}
# How a 周岁 is completed: on the birthday itself, or from the day after it.
AGE_COMPLETES = ("on_birthday", "day_after_birthday")
_FUNCTIONS = ("age_in_full_years", "count", "count_distinct", "earliest")
# matched in full (a `$` would also let a trailing line break through) and in ASCII (`\d` would take ５ or ٣)
_RULE_ID = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+", re.ASCII)
_NAME = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
MAX_INHERITS = 16  # `inherits:` links in one chain (national -> regional -> industry needs 2)


_suggest = did_you_mean


class Reader:
    """Checks one file's tree; every error carries the file position.

    Shared with ``_cases`` (cases files are read with the same typed accessors and errors).
    """

    def __init__(self, loaded: Loaded) -> None:
        self.l = loaded

    def err(self, code: str, msg: str, kp: Key, *, key: bool = False, suggestion: str | None = None) -> RulesetError:
        return self.l.error(code, msg, kp, key=key, suggestion=suggestion)

    def mapping(self, value: Any, kp: Key, spec: dict[str, bool], what: str, *,
                errors: list[RulesetError] | None = None, required: bool = True) -> dict[str, Any]:
        """Check ``value`` is a mapping with known keys; unknown keys go to ``errors`` if given."""
        if not isinstance(value, dict):
            raise self.err("Q101", f"{what} must be a mapping, got {_kind(value)}", kp)
        for k in value:
            if k not in spec:
                exc = self.err("Q102", f"unknown key {k!r} in {what}", kp + (k,), key=True,
                               suggestion=_suggest(k, spec) or f"allowed: {', '.join(spec)}")
                if errors is None:
                    raise exc
                errors.append(exc)
        if required:
            for k, needed in spec.items():
                if needed and k not in value:
                    raise self.err("Q103", f"{what} is missing the required key {k!r}", kp, key=bool(kp))
        return {k: v for k, v in value.items() if k in spec}

    def string(self, value: Any, kp: Key, what: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.err("Q104", f"{what} must be a non-empty text, got {_kind(value)}", kp)
        return value

    def opt_string(self, mapping: dict[str, Any], key: str, kp: Key) -> str | None:
        """``mapping[key]`` checked as a non-empty text, or None when the key is absent."""
        return self.string(mapping[key], kp + (key,), key) if key in mapping else None

    def text(self, value: Any, kp: Key, what: str) -> Text:
        """A bilingual text ``{zh: …, en: …}``; a text in one language only is Q125."""
        if isinstance(value, str):
            raise self.err("Q125", f"{what} is written in one language only; every text of a ruleset is "
                                   "bilingual", kp,
                           suggestion=f"write {what} as {{zh: …, en: …}}: the Chinese and the English text")
        v = self.mapping(value, kp, {"zh": False, "en": False}, what)
        for lang, name in (("zh", "Chinese"), ("en", "English")):
            if lang not in v:
                raise self.err("Q125", f"{what} has no {name} text ({lang})", kp, key=bool(kp),
                               suggestion=f"add `{lang}:` beside the other language")
        return Text(zh=self.string(v["zh"], kp + ("zh",), f"{what}.zh"),
                    en=self.string(v["en"], kp + ("en",), f"{what}.en"))

    def opt_text(self, mapping: dict[str, Any], key: str, kp: Key) -> Text | None:
        """``mapping[key]`` checked as a bilingual text, or None when the key is absent."""
        return self.text(mapping[key], kp + (key,), key) if key in mapping else None

    def boolean(self, value: Any, kp: Key, what: str) -> bool:
        if not isinstance(value, bool):
            raise self.err("Q104", f"{what} must be true or false, got {_kind(value)}", kp)
        return value

    def date(self, value: Any, kp: Key, what: str) -> dt.date:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise self.err("Q104", f"{what} must be a date written YYYY-MM-DD, got {_kind(value)}", kp,
                           suggestion="write the date unquoted, e.g. 2017-09-30")
        return value


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return f"the boolean {v}"
    if isinstance(v, dt.date):
        return f"the date {v.isoformat()}"
    if isinstance(v, (int, float, Decimal)):
        return f"the number {v}"
    if isinstance(v, str):
        return f"the text {v!r}"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    if v is None:
        return "nothing (null)"
    return type(v).__name__


Where = dict[str, tuple[Loaded, Key]]


def _decimal(v: Any) -> Decimal:
    """An exact decimal from a YAML number (via its text, so 0.1 stays 0.1)."""
    try:
        return Decimal(str(v))
    except InvalidOperation:  # pragma: no cover - YAML numbers always convert
        raise ValueError(v) from None


class _File:
    """What every section reader of one ruleset file shares: the file and its typed reader, the
    problems found so far, and where each condition sits (for ``_check``)."""

    def __init__(self, path: Path, shown: str, loaded: Loaded, seen: tuple[str, ...]) -> None:
        self.path = path
        self.shown = shown
        self.loaded = loaded
        self.r = Reader(loaded)
        self.seen = seen
        self.errors: list[RulesetError] = list(loaded.errors)
        self.where: Where = {}
        self.top: dict[str, Any] = {}

    def collect(self, fn: Any, *args: Any, default: Any = None, **kwargs: Any) -> Any:
        """Run one unit of checking; on a RulesetError record it and go on with ``default``."""
        try:
            return fn(*args, **kwargs)
        except RulesetError as exc:
            self.errors.append(exc)
            return default

    def text(self, value: Any, kp: Key, what: str) -> Text:
        """A bilingual text; a problem with it is recorded and reading goes on (with ``?``), so that
        `check` names every text that lacks a language."""
        return self.collect(self.r.text, value, kp, what, default=Text("?", "?"))  # type: ignore[no-any-return]

    def opt_text(self, mapping: dict[str, Any], key: str, kp: Key) -> Text | None:
        """``mapping[key]`` as a bilingual text (problems recorded), or None when the key is absent."""
        return self.text(mapping[key], kp + (key,), key) if key in mapping else None

    def section(self, key: str, empty: Any, shape: str) -> Any:
        """The raw value of a top-level list or mapping section (``empty`` when absent or of the
        wrong shape: Q101 naming ``shape``)."""
        raw = self.top.get(key, empty) or empty
        if not isinstance(raw, type(empty)):
            self.errors.append(self.r.err("Q101", f"{key} must be {shape}", (key,)))
            return empty
        return raw

    def citation(self, raw: Any, kp: Key, sources: dict[str, Source]) -> Citation:
        """A ``citation`` mapping (source, clause, text) at ``kp``; its source must be declared (Q108)."""
        r = self.r
        c = r.mapping(raw, kp, {"source": True, "clause": True, "text": True}, "citation", errors=self.errors)
        src = r.string(str(c["source"]), kp + ("source",), "citation source")
        if src not in sources:
            raise r.err("Q108", f"citation names unknown source {src!r}", kp + ("source",),
                        suggestion=_suggest(src, sources) or f"declared sources: {', '.join(sorted(sources))}")
        return Citation(src, sources[src].title.zh, r.string(str(c["clause"]), kp + ("clause",), "clause"),
                        r.string(c["text"], kp + ("text",), "clause text"))


@attrs.frozen
class _Header:
    """The header of a ruleset file, and the ruleset it inherits (None for a base ruleset)."""

    rid: str
    term: str
    version: str
    title: Text
    base: Ruleset | None
    tz: str
    subject: str
    region: str | None
    facts_key: str  # the facts schema the ruleset reads (name@version) and its parsed form
    facts_subject: Subject

    @property
    def layer(self) -> str:
        return ruleset_key(self.term, self.rid, self.version)


class _HeaderReader:
    """``ruleset``, ``term``, ``version``, ``title``, ``inherits``, ``time_zone``, ``subject``, ``region``."""

    def __init__(self, f: _File) -> None:
        self.f = f
        self.r = f.r
        self.top = f.top

    def read(self) -> _Header:
        f, top, r = self.f, self.top, self.r
        rid = f.collect(self.ruleset_id, default="unnamed") if "ruleset" in top else "unnamed"
        term = f.collect(self.term, default="0000-0001") if "term" in top else "0000-0001"
        folder = f.path.resolve().parent.name
        if TERM.fullmatch(folder) and "term" in top and term != folder and term != "0000-0001":
            f.errors.append(r.err("Q122", f"term {term} does not match the folder it is in ({folder})", ("term",),
                                  suggestion=f"set `term: {folder}`, or move the file to a folder named {term}"))
        version = f.collect(r.string, str(top["version"]), ("version",), "version", default="0") \
            if "version" in top else "0"
        title = f.collect(r.text, top["title"], ("title",), "title", default=Text("?", "?")) \
            if "title" in top else Text("?", "?")
        base: Ruleset | None = None
        if "inherits" in top:
            try:
                base, f.where = self.inherit(term)
            except RulesetError as exc:
                f.errors.extend(exc.errors)
                raise all_errors(f.errors) from None
        tz = f.collect(self.zone, base, default="Asia/Shanghai")
        subject = self.subject(base)
        known = len(f.errors)
        facts_key, facts_subject = f.collect(lambda: _facts_schema_of(r, top, base, subject, f.path),
                                             default=(default_schema_key(subject), SUBJECTS[subject]))
        if len(f.errors) > known:  # without its facts the ruleset's conditions would only give follow-on errors
            raise all_errors(f.errors)
        return _Header(rid, term, version, title, base, tz, subject, self.region(base), facts_key, facts_subject)

    def ruleset_id(self) -> str:
        rid = self.r.string(self.top["ruleset"], ("ruleset",), "ruleset")
        if not re.fullmatch(r"[a-z][a-z0-9_.-]*", rid, re.ASCII):
            raise self.r.err("Q105", f"ruleset id {rid!r} must be lower case letters, digits, '.', '_' or '-'",
                             ("ruleset",))
        return rid

    def term(self) -> str:
        term = str(self.top["term"])
        if not is_term(term):
            raise self.r.err("Q104", f"term must look like 2017-2018, got {term!r}", ("term",))
        return term

    def inherit(self, term: str) -> tuple[Ruleset, Where]:
        r, p, seen = self.r, self.f.path, self.f.seen
        ref = r.string(self.top["inherits"], ("inherits",), "inherits")
        try:
            target = confined_path(ref, p).resolve()
        except PathProblem as exc:
            raise r.err(exc.code, f"inherits: {exc.message}", ("inherits",), suggestion=exc.suggestion) from None
        if str(target) in seen:
            raise r.err("Q109", f"inherits {ref!r} makes a cycle", ("inherits",))
        if len(seen) >= MAX_INHERITS:  # each link is a few stack frames: stop far from the recursion limit
            raise r.err("Q164", f"inherits {ref!r}: a chain of more than {MAX_INHERITS} `inherits:` links",
                        ("inherits",), suggestion="an overlay builds on a national or regional ruleset; "
                                                  "a few links are enough")
        if not target.exists():
            siblings = sorted(str(x.relative_to(p.parent.parent).as_posix()) if x.parent != p.parent
                              else x.name for x in (*p.parent.glob("*.yaml"), *p.parent.parent.glob("*/*.yaml"))
                              if x != p and file_kind(x) == "ruleset")
            siblings = [s if "/" not in s else f"../{s}" for s in siblings]
            raise r.err("Q110", f"inherits {ref!r}, which does not exist", ("inherits",),
                        suggestion=_suggest(ref, siblings))
        got, got_where, _ = read_ruleset_file(target, _seen=seen + (str(p.resolve()),))
        if got.term > term:
            raise r.err("Q111", f"term {term} inherits from a later term ({got.term})", ("term",),
                        suggestion="a ruleset may build on the same or an earlier term only")
        return got, got_where

    def zone(self, base: Ruleset | None) -> str:
        tz = self.r.string(self.top.get("time_zone", base.time_zone if base else "Asia/Shanghai"), ("time_zone",),
                           "time_zone")
        problem = zone_problem(tz)
        if problem is not None:
            raise self.r.err("Q106", f"unknown time zone: {problem[0]}", ("time_zone",), suggestion=problem[1])
        return tz

    def subject(self, base: Ruleset | None) -> str:
        subject = self.top.get("subject", base.subject if base else "collective")
        if subject not in ("collective", "unit"):
            self.f.errors.append(self.r.err("Q123", f"subject must be collective or unit, got {subject!r}",
                                            ("subject",), suggestion=_suggest(str(subject), ("collective", "unit"))))
            return "collective"
        if base is not None and subject != base.subject:
            self.f.errors.append(self.r.err(
                "Q123", f"subject {subject} differs from the inherited ruleset's ({base.subject})", ("subject",)))
        return str(subject)

    def region(self, base: Ruleset | None) -> str | None:
        region = self.top.get("region", base.region if base else None)
        if region is not None:
            region = self.f.collect(self.r.string, region, ("region",), "region")
        return region


class _SourcesReader:
    """``sources``: the documents clauses are cited from (an overlay adds to its base's)."""

    def __init__(self, f: _File, h: _Header) -> None:
        self.f = f
        self.r = f.r
        self.sources: dict[str, Source] = {s.id: s for s in (h.base.sources if h.base else ())}

    def read(self) -> dict[str, Source]:
        for i, raw in enumerate(self.f.section("sources", [], "a list")):
            self.f.collect(self.source, i, raw)
        return self.sources

    def source(self, i: int, raw: Any) -> None:
        r, kp = self.r, ("sources", i)
        s = r.mapping(raw, kp, _SOURCE_KEYS, "a source", errors=self.f.errors)
        sid = r.string(str(s["id"]), kp + ("id",), "source id")
        if sid in self.sources:
            raise r.err("Q112", f"source {sid!r} is declared twice", kp + ("id",))
        self.sources[sid] = Source(
            id=sid, title=self.f.text(s["title"], kp + ("title",), "source title"),
            reference=r.opt_string(s, "reference", kp),
            date=r.date(s["date"], kp + ("date",), "source date") if "date" in s else None,
            note=self.f.opt_text(s, "note", kp),
        )


class _ParametersReader:
    """``parameters``: an overlay may override what its base declares (same type), or add new ones."""

    def __init__(self, f: _File, h: _Header, sources: dict[str, Source]) -> None:
        self.f = f
        self.r = f.r
        self.h = h
        self.sources = set(sources)
        self.params: dict[str, Parameter] = {q.name: q for q in (h.base.parameters if h.base else ())}

    def read(self) -> dict[str, Parameter]:
        for name, raw in self.f.section("parameters", {}, "a mapping of name: {value: ...}").items():
            self.f.collect(self.override, name, raw)
        return self.params

    def override(self, name: str, raw: Any) -> None:
        kp: Key = ("parameters", name)
        param = self.parameter(name, raw, kp)
        old = self.params.get(name)
        if old is not None and old.type != param.type:
            raise self.r.err("Q113", f"parameter {name!r} overrides a {old.type} with a {param.type}",
                             kp + ("value",))
        self.params[name] = param

    def parameter(self, name: str, raw: Any, kp: Key) -> Parameter:
        r = self.r
        if not _NAME.fullmatch(str(name)):
            raise r.err("Q105", f"parameter name {name!r} must be lower_snake_case", kp, key=True)
        v = r.mapping(raw, kp, _PARAM_KEYS, f"parameter {name!r}", errors=self.f.errors)
        value = v["value"]
        vkp = kp + ("value",)
        ptype: str
        if isinstance(value, bool):
            ptype = "bool"
        elif isinstance(value, (int, float, Decimal)):
            ptype = "number"
        elif isinstance(value, dt.datetime):
            raise r.err("Q104", "a parameter date must be a date (YYYY-MM-DD), not a timestamp", vkp)
        elif isinstance(value, dt.date):
            ptype = "date"
        elif isinstance(value, str):
            ptype = "string"
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise r.err("Q104", f"list parameters hold texts; item {i} is {_kind(item)}", vkp + (i,))
            ptype, value = "list", tuple(value)
        elif isinstance(value, dict):
            ptype, value = "window", self.window(name, value, vkp)
        else:
            raise r.err("Q104", f"parameter {name!r} has an unusable value: {_kind(value)}", vkp)
        source = v.get("source")
        if source is not None and source not in self.sources:
            raise r.err("Q108", f"parameter {name!r} cites unknown source {source!r}", kp + ("source",),
                        suggestion=_suggest(source, self.sources)
                        or f"declared sources: {', '.join(sorted(self.sources))}")
        return Parameter(
            name=name, value=value, type=ptype, source=source,
            description=self.f.opt_text(v, "description", kp),
            interpretation=self.f.opt_text(v, "interpretation", kp),
            placeholder=r.boolean(v.get("placeholder", False), kp + ("placeholder",), "placeholder"),
            layer=self.h.layer,
        )

    def window(self, name: str, value: Any, vkp: Key) -> Window:
        r = self.r
        w = r.mapping(value, vkp, _WINDOW_KEYS, f"window {name!r}")
        wtz = r.string(w.get("time_zone", self.h.tz), vkp + ("time_zone",), "time_zone")
        problem = zone_problem(wtz)
        if problem is not None:
            raise r.err("Q106", f"unknown time zone: {problem[0]}", vkp + ("time_zone",), suggestion=problem[1])
        start = r.date(w["start"], vkp + ("start",), "window start")
        end = r.date(w["end"], vkp + ("end",), "window end")
        if end < start:
            raise r.err("Q107", f"window ends ({end}) before it starts ({start})", vkp + ("end",))
        window = Window(start, end, r.boolean(w["start_inclusive"], vkp + ("start_inclusive",), "start_inclusive"),
                        r.boolean(w["end_inclusive"], vkp + ("end_inclusive",), "end_inclusive"), wtz)
        if window.day_count < 1:
            raise r.err("Q107", f"the window holds no day ({start} to {end}, "
                                f"{'' if window.start_inclusive else 'not '}including the start, "
                                f"{'' if window.end_inclusive else 'not '}including the end)", vkp + ("end",),
                        suggestion="a window needs at least one day inside it")
        return window


class _DerivedReader:
    """``derived``: derived facts (an overlay adds new names only)."""

    def __init__(self, f: _File, h: _Header, params: dict[str, Parameter]) -> None:
        self.f = f
        self.r = f.r
        self.params = params
        self.derived: dict[str, Derivation] = {d.name: d for d in (h.base.derived if h.base else ())}

    def read(self) -> dict[str, Derivation]:
        for name, raw in self.f.section("derived", {}, "a mapping of name: {function: ..., of: ...}").items():
            self.f.collect(self.derivation, name, raw)
        return self.derived

    def derivation(self, name: str, raw: Any) -> None:
        r, params, kp = self.r, self.params, ("derived", name)
        if not _NAME.fullmatch(str(name)):
            raise r.err("Q105", f"derived name {name!r} must be lower_snake_case", kp, key=True)
        if name in self.derived:
            raise r.err("Q121", f"derived fact {name!r} is already defined by the inherited ruleset", kp, key=True,
                        suggestion="give the new derivation its own name; rules that should use it can be "
                                   "overridden with `override: true`")
        d = r.mapping(raw, kp, _DERIVED_KEYS, f"derived {name!r}", errors=self.f.errors)
        fn = r.string(d["function"], kp + ("function",), "function")
        if fn not in _FUNCTIONS:
            raise r.err("Q114", f"unknown derivation function {fn!r}", kp + ("function",),
                        suggestion=_suggest(fn, _FUNCTIONS) or f"available: {', '.join(_FUNCTIONS)}")
        at = d.get("at")
        if fn == "age_in_full_years":
            if at is None:
                raise r.err("Q103", "age_in_full_years needs `at:` (a date parameter)", kp, key=True)
            at = r.string(at, kp + ("at",), "at")
            pname = at.removeprefix("params.")
            if pname not in params or params[pname].type != "date":
                raise r.err("Q115", f"`at` must name a date parameter, got {at!r}", kp + ("at",),
                            suggestion=_suggest(pname, [q for q in params if params[q].type == "date"]))
            at = pname
        elif at is not None:
            raise r.err("Q102", f"`at` is only used by age_in_full_years, not {fn}", kp + ("at",), key=True)
        completes = d.get("completes")
        if completes is not None:
            completes = self.completes(fn, completes, kp)
        where_text = None
        if "where" in d:
            if fn not in ("count", "count_distinct"):
                raise r.err("Q102", f"`where` is only used by count and count_distinct, not {fn}", kp + ("where",),
                            key=True)
            where_text = r.string(d["where"], kp + ("where",), "where")
            self.f.where[f"derived.{name}#where"] = (self.f.loaded, kp + ("where",))
        self.derived[name] = Derivation(name=name, function=fn, of=r.string(d["of"], kp + ("of",), "of"), at=at,
                                        where=where_text, completes=completes)
        self.f.where[f"derived.{name}"] = (self.f.loaded, kp + ("of",))

    def completes(self, fn: str, completes: Any, kp: Key) -> str:
        r = self.r
        if fn != "age_in_full_years":
            raise r.err("Q102", f"`completes` is only used by age_in_full_years, not {fn}",
                        kp + ("completes",), key=True)
        completes = r.string(completes, kp + ("completes",), "completes")
        cname = completes.removeprefix("params.")
        cparam = self.params.get(cname)
        if cparam is None or cparam.type != "string" or cparam.value not in AGE_COMPLETES:
            raise r.err("Q181", f"`completes` must name a text parameter whose value is one of "
                                f"{', '.join(AGE_COMPLETES)}, got {completes!r}"
                        + (f" (its value is {cparam.value!r})" if cparam is not None else ""),
                        kp + ("completes",),
                        suggestion=(_suggest(str(cparam.value), AGE_COMPLETES) if cparam is not None else None)
                        or "declare e.g. `age_completes: {value: day_after_birthday}` and write "
                           "`completes: params.age_completes`")
        return str(cname)


class _ScoringReader:
    """``scoring``: groups, rounding and bonus cap (an overlay may replace the whole section)."""

    def __init__(self, f: _File) -> None:
        self.f = f
        self.r = f.r

    def read(self, base: Ruleset | None) -> Scoring | None:
        scoring = base.scoring if base else None
        if "scoring" in self.f.top:
            scoring = self.f.collect(self.scoring, self.f.top["scoring"], default=scoring)
        return scoring

    def scoring(self, raw: Any) -> Scoring:
        r, errors, kp = self.r, self.f.errors, ("scoring",)
        s = r.mapping(raw, kp, _SCORING_KEYS, "scoring", errors=errors)
        rounding = r.mapping(s["rounding"], kp + ("rounding",), {"places": True, "mode": True}, "rounding",
                             errors=errors)
        places = rounding["places"]
        if isinstance(places, bool) or not isinstance(places, int) or not 0 <= places <= 4:
            raise r.err("Q104", f"rounding.places must be a whole number from 0 to 4, got {_kind(places)}",
                        kp + ("rounding", "places"))
        mode = rounding["mode"]
        if mode not in _ROUNDING:
            raise r.err("Q153", f"rounding.mode must be one of {', '.join(_ROUNDING)}, got {mode!r}",
                        kp + ("rounding", "mode"), suggestion=_suggest(str(mode), _ROUNDING))
        if not isinstance(s["groups"], list) or not s["groups"]:
            raise r.err("Q101", "scoring.groups must be a non-empty list", kp + ("groups",))
        groups = []
        seen: set[str] = set()
        for i, g_raw in enumerate(s["groups"]):
            groups.append(self.group(g_raw, kp + ("groups", i), seen))
        bonus_cap = None
        if "bonus_cap" in s:
            if isinstance(s["bonus_cap"], bool) or not isinstance(s["bonus_cap"], (int, float, Decimal)) or \
                    s["bonus_cap"] < 0:
                raise r.err("Q104", f"bonus_cap must be a number ≥ 0, got {_kind(s['bonus_cap'])}",
                            kp + ("bonus_cap",))
            bonus_cap = _decimal(s["bonus_cap"])
        return Scoring(places=places, rounding=mode, groups=tuple(groups), bonus_cap=bonus_cap)

    def group(self, g_raw: Any, gkp: Key, seen: set[str]) -> ScoreGroup:
        r = self.r
        g = r.mapping(g_raw, gkp, _GROUP_KEYS, "a scoring group", errors=self.f.errors)
        gid = r.string(g["id"], gkp + ("id",), "group id")
        if gid in seen:
            raise r.err("Q152", f"scoring group {gid!r} is declared twice", gkp + ("id",))
        seen.add(gid)
        nums = {}
        for k in ("cap", "weight"):
            if k in g:
                if isinstance(g[k], bool) or not isinstance(g[k], (int, float, Decimal)) or g[k] < 0 or \
                        (k == "weight" and g[k] == 0):
                    raise r.err("Q104", f"group {k} must be a positive number, got {_kind(g[k])}", gkp + (k,))
                nums[k] = _decimal(g[k])
        return ScoreGroup(gid, self.f.text(g["title"], gkp + ("title",), "title"), nums.get("cap"),
                          nums.get("weight", Decimal(1)))


class _ScoreReader:
    """A rule's ``score:`` (award, deduction, bonus or gate), against the file's scoring sheet."""

    def __init__(self, f: _File, scoring: Scoring | None, params: dict[str, Parameter],
                 derived: dict[str, Derivation]) -> None:
        self.f = f
        self.r = f.r
        self.scoring = scoring
        self.params = params
        self.derived = derived

    def read(self, raw: Any, kp: Key) -> ScoreSpec:
        r, scoring = self.r, self.scoring
        s = r.mapping(raw, kp, _SCORE_KEYS, "score", errors=self.f.errors)
        kind = r.string(s["kind"], kp + ("kind",), "kind")
        kinds = ("award", "deduction", "bonus", "gate")
        if kind not in kinds:
            raise r.err("Q150", f"score kind must be one of {', '.join(kinds)}, got {kind!r}", kp + ("kind",),
                        suggestion=_suggest(kind, kinds))
        if scoring is None:
            raise r.err("Q151", "a scored rule needs a `scoring:` section in the ruleset", kp, key=True)
        if kind == "gate":
            return self.gate(s, kp)
        if "effect" in s:  # it was ignored: `kind: deduction, effect: ineligible` did not make anyone ineligible
            raise r.err("Q150", f"only a gate has an effect; {'an' if kind == 'award' else 'a'} {kind} gives or takes "
                                "points", kp + ("effect",), key=True)
        if "points" not in s:
            raise r.err("Q103", f"{'an' if kind == 'award' else 'a'} {kind} needs `points:` (a number or "
                                "params.<name>)", kp, key=True)
        points = s["points"]
        value, param = self.points(points, kp)
        self.group(kind, s.get("group"), {g.id for g in scoring.groups}, kp)
        per = s.get("per")
        if per is not None:
            per = r.string(per, kp + ("per",), "per")
            if not per.startswith("derived.") or per.removeprefix("derived.") not in self.derived:
                raise r.err("Q205", f"per must name a derived fact (derived.<name>), got {per!r}", kp + ("per",),
                            suggestion=_suggest(per.removeprefix("derived."), self.derived))
        cap = None
        if "cap" in s:
            cap = _decimal(s["cap"]) if isinstance(s["cap"], (int, float, Decimal)) and not isinstance(s["cap"], bool) \
                else None
            if cap is None or cap < 0:
                raise r.err("Q104", f"cap must be a number of points ≥ 0, got {_kind(s['cap'])}", kp + ("cap",))
        if per is not None and cap is None:
            raise r.err("Q150", "points `per` a count need a `cap` (the most the item can give)", kp + ("per",))
        return ScoreSpec(kind=kind, points=str(points), group=s.get("group"), per=per, cap=cap, value=value,
                         param=param)

    def gate(self, s: dict[str, Any], kp: Key) -> ScoreSpec:
        effect = s.get("effect")
        if effect not in ("zero", "ineligible"):
            raise self.r.err("Q150", "a gate needs `effect: zero` (the score becomes 0) or `effect: ineligible`",
                             kp + (("effect",) if "effect" in s else ()), key="effect" not in s)
        for k in ("points", "group", "per", "cap"):
            if k in s:
                raise self.r.err("Q150", f"a gate has no {k}", kp + (k,), key=True)
        return ScoreSpec(kind="gate", effect=effect)

    def points(self, points: Any, kp: Key) -> tuple[Decimal, str | None]:
        r, params = self.r, self.params
        if isinstance(points, bool) or not isinstance(points, (int, float, Decimal, str)):
            raise r.err("Q104", f"points must be a number or params.<name>, got {_kind(points)}", kp + ("points",))
        param = None
        if isinstance(points, str):
            param = points.removeprefix("params.")
            if not points.startswith("params.") or param not in params:
                raise r.err("Q204", f"points names an undefined parameter {points!r}", kp + ("points",),
                            suggestion=_suggest(param, params))
            if params[param].type != "number":
                raise r.err("Q202", f"points must be a number; params.{param} is a {params[param].type}",
                            kp + ("points",))
            value = _decimal(params[param].value)
        else:
            value = _decimal(points)
        if value < 0:
            raise r.err("Q150", "points are written positive; a deduction subtracts them", kp + ("points",))
        return value, param

    def group(self, kind: str, group: Any, groups: set[str], kp: Key) -> None:
        if kind in ("award", "deduction"):
            if group not in groups:
                raise self.r.err("Q152", f"{'an' if kind == 'award' else 'a'} {kind} needs `group:` naming one of "
                                         "the scoring groups" + (f", got {group!r}" if group is not None else ""),
                                 kp + (("group",) if group is not None else ()), key=group is None,
                                 suggestion=_suggest(str(group), groups) or f"groups: {', '.join(sorted(groups))}")
        elif group is not None:
            raise self.r.err("Q150", "a bonus sits outside the groups (it is capped by scoring.bonus_cap)",
                             kp + ("group",), key=True)


class _RulesReader:
    """``rules``: an overlay adds rules, and replaces an inherited one only with ``override: true``."""

    def __init__(self, f: _File, h: _Header, sources: dict[str, Source], params: dict[str, Parameter],
                 score: _ScoreReader) -> None:
        self.f = f
        self.r = f.r
        self.h = h
        self.sources = sources
        self.params = params
        self.score = score
        self.rules: dict[str, Rule] = {x.id: x for x in (h.base.rules if h.base else ())}
        self.seen_here: dict[str, int] = {}

    def read(self) -> dict[str, Rule]:
        for i, raw in enumerate(self.f.section("rules", [], "a list")):
            self.f.collect(self.rule, i, raw)
        if not self.rules and not self.f.errors:
            self.f.errors.append(self.r.err("Q120", "the ruleset has no rules",
                                            ("rules",) if "rules" in self.f.top else ()))
        return self.rules

    def rule(self, i: int, raw: Any) -> None:
        f, r, kp = self.f, self.r, ("rules", i)
        v = r.mapping(raw, kp, _RULE_KEYS, "a rule", errors=f.errors)
        rule_id = self.rule_id(v, kp, i)
        # Problems in the parts below are recorded and the rule is still built, so that its
        # condition is checked too and one run of `check` reports everything.
        severity = f.collect(self.severity, v, kp, default="required")
        citation = f.collect(f.citation, v["citation"], kp + ("citation",), self.sources, default=None)
        due = f.collect(self.due, v, kp, default=None) if "due" in v else None
        applies = None
        if "applies_if" in v:
            applies = r.string(v["applies_if"], kp + ("applies_if",), "applies_if")
            f.where[f"{rule_id}#applies_if"] = (f.loaded, kp + ("applies_if",))
        pending = None
        if "pending_if" in v:
            pending = r.string(v["pending_if"], kp + ("pending_if",), "pending_if")
            f.where[f"{rule_id}#pending_if"] = (f.loaded, kp + ("pending_if",))
        title = f.text(v["title"], kp + ("title",), "title")
        score = f.collect(self.score.read, v["score"], kp + ("score",)) if "score" in v else None
        finding = f.collect(read_finding, r, v["finding"], kp + ("finding",)) if "finding" in v else None
        if finding is not None:
            f.where[f"{rule_id}#finding"] = (f.loaded, kp + ("finding",))
        provisional = f.collect(r.boolean, v.get("provisional_pass", False), kp + ("provisional_pass",),
                                "provisional_pass", default=False) if "provisional_pass" in v else False
        if provisional and "due" not in v and pending is None:  # a `due` written wrong is its own Q180
            f.errors.append(r.err("Q183", "provisional_pass needs `due` (or `pending_if`): it says a pass is "
                                          "not final until the rule is due", kp + ("provisional_pass",),
                                  suggestion="add `due: params.<window or deadline>`, or remove provisional_pass"))
        if score is not None and score.kind == "gate" and score.effect == "ineligible" and severity != "required":
            f.errors.append(r.err("Q150", "a gate with `effect: ineligible` must be a required rule",
                                  kp + ("severity",)))
        self.rules[rule_id] = Rule(
            id=rule_id, title=title, severity=severity,
            citation=citation or Citation("?", "?", "?", "?"),
            when=r.string(v["when"], kp + ("when",), "when"),
            interpretation=f.opt_text(v, "interpretation", kp),
            layer=self.h.layer, pending_if=pending, score=score, due=due, applies_if=applies, finding=finding,
            provisional_pass=provisional,
        )
        f.where[rule_id] = (f.loaded, kp + ("when",))

    def rule_id(self, v: dict[str, Any], kp: Key, i: int) -> str:
        r, rules = self.r, self.rules
        rule_id = r.string(v["id"], kp + ("id",), "rule id")
        if not _RULE_ID.fullmatch(rule_id):
            raise r.err("Q105", f"rule id {rule_id!r} must be dotted lower_snake_case words, e.g. "
                                f"basic.members_range", kp + ("id",))
        if rule_id in self.seen_here:
            raise r.err("Q116", f"rule id {rule_id!r} is used twice in this file "
                                f"(first in rule {self.seen_here[rule_id] + 1})", kp + ("id",))
        self.seen_here[rule_id] = i
        override = r.boolean(v.get("override", False), kp + ("override",), "override")
        if rule_id in rules and not override:
            raise r.err("Q117", f"rule {rule_id!r} already exists in the inherited ruleset",
                        kp + ("id",), suggestion="add `override: true` to replace it deliberately")
        if override and rule_id not in rules:
            raise r.err("Q118", f"rule {rule_id!r} overrides nothing: the inherited ruleset has no such rule",
                        kp + ("override",), suggestion=_suggest(rule_id, rules))
        return rule_id

    def severity(self, v: dict[str, Any], kp: Key) -> str:
        severity = self.r.string(v["severity"], kp + ("severity",), "severity")
        if severity not in ("required", "advisory"):
            raise self.r.err("Q119", f"severity must be required or advisory, got {severity!r}", kp + ("severity",),
                             suggestion=_suggest(severity, ("required", "advisory")))
        return severity

    def due(self, v: dict[str, Any], kp: Key) -> str:
        params = self.params
        text = self.r.string(v["due"], kp + ("due",), "due")
        pname = text.removeprefix("params.")
        candidates = [f"params.{q}" for q in params if params[q].type in ("window", "date")]
        if not text.startswith("params.") or pname not in params or params[pname].type not in ("window", "date"):
            raise self.r.err("Q180", f"`due` must name a window or date parameter (params.<name>), got {text!r}",
                             kp + ("due",),
                             suggestion=_suggest(text, candidates) or (
                                 f"window and date parameters: {', '.join(candidates)}" if candidates
                                 else "declare the window or deadline as a parameter first"))
        return pname


class _CreationReader:
    """``creation_collective``: which of a unit's collectives count as creation collectives."""

    def __init__(self, f: _File, h: _Header, sources: dict[str, Source]) -> None:
        self.f = f
        self.r = f.r
        self.h = h
        self.sources = sources

    def read(self) -> CreationCriterion | None:
        creation = self.h.base.creation_collective if self.h.base else None
        if "creation_collective" in self.f.top:
            creation = self.f.collect(self.creation, default=None)
        return creation

    def creation(self) -> CreationCriterion:
        f, r, kp = self.f, self.r, ("creation_collective",)
        if self.h.subject != "unit":
            raise r.err("Q182", "creation_collective belongs in a management-unit assessment (subject: unit)",
                        kp, key=True)
        c = r.mapping(f.top["creation_collective"], kp, _CREATION_KEYS, "creation_collective", errors=f.errors)
        citation = f.citation(c["citation"], kp + ("citation",), self.sources)
        raw_bd = c.get("breakdown", {}) or {}
        if not isinstance(raw_bd, dict):
            raise r.err("Q101", "breakdown must be a mapping of count name: condition", kp + ("breakdown",))
        breakdown = []
        for name, text in raw_bd.items():
            if not _NAME.fullmatch(str(name)):
                raise r.err("Q105", f"count name {name!r} must be lower_snake_case", kp + ("breakdown", name),
                            key=True)
            breakdown.append((name, r.string(text, kp + ("breakdown", name), name)))
            f.where[f"@creation_collective.{name}"] = (f.loaded, kp + ("breakdown", name))
        f.where["@creation_collective"] = (f.loaded, kp + ("when",))
        return CreationCriterion(
            when=r.string(c["when"], kp + ("when",), "when"),
            citation=citation,
            interpretation=f.opt_text(c, "interpretation", kp), breakdown=tuple(breakdown))


def read_ruleset_file(path: str | Path, *, _seen: tuple[str, ...] = ()
                      ) -> tuple[Ruleset, Where, list[RulesetError]]:
    """Read ``path`` (and what it inherits) into a Ruleset whose conditions are not yet checked.

    Returns the ruleset (built from every part that could be read), for each rule id and
    derived fact the loaded file and key path of its condition (so that ``_check`` can
    point into the right file), and every problem found. A file that cannot be read at
    all (missing, not UTF-8, YAML syntax) raises RulesetError; so do problems in an
    inherited file.
    """
    p = Path(path)
    shown = str(path)
    text = read_source(p, "ruleset", shown)
    f = _File(p, shown, load_text(text, shown), _seen)
    r, data = f.r, f.loaded.data
    if not isinstance(data, dict) or not any(k in data for k in ("ruleset", "term", "version", "rules")):
        # say so without quoting what the file holds (its keys or values): it may not be a ruleset at all
        raise all_errors([r.err("Q101", "this file is not a ruleset: a ruleset is a mapping of keys "
                                        "such as ruleset:, term:, version: and rules:", ())])
    f.top = r.mapping(data, (), _TOP_KEYS, "the ruleset", errors=f.errors, required=False)
    for k, required in _TOP_KEYS.items():
        if required and k not in f.top:
            f.errors.append(r.err("Q103", f"the ruleset is missing the required key {k!r}", ()))

    h = _HeaderReader(f).read()
    sources = _SourcesReader(f, h).read()
    params = _ParametersReader(f, h, sources).read()
    derived = _DerivedReader(f, h, params).read()
    scoring = _ScoringReader(f).read(h.base)
    rules = _RulesReader(f, h, sources, params, _ScoreReader(f, scoring, params, derived)).read()
    creation = _CreationReader(f, h, sources).read()
    f.where["@version"] = (f.loaded, ("version",))

    base = h.base
    ruleset = Ruleset(
        id=h.rid, term=h.term, version=h.version, title=h.title, time_zone=h.tz, region=h.region,
        sources=tuple(sources.values()), parameters=tuple(params.values()),
        derived=tuple(derived.values()), rules=tuple(rules.values()),
        layers=(base.layers if base else ()) + (h.layer,), path=shown, subject=h.subject, scoring=scoring,
        creation_collective=creation, facts_schema=h.facts_key, facts=h.facts_subject,
    )
    if _seen and f.errors:  # an inherited file: its problems stop the overlay here
        raise all_errors(f.errors)
    return ruleset, f.where, f.errors



def _facts_schema_of(r: Reader, top: dict[str, Any], base: Ruleset | None, subject: str,
                     p: Path) -> tuple[str, Subject]:
    """The facts schema a ruleset reads (``facts_schema: name@version``; by default its base's, or
    the shipped one of its subject) and the Subject it describes."""
    if "facts_schema" not in top:
        if base is not None and base.facts is not None:
            return base.facts_schema, base.facts
        return default_schema_key(subject), SUBJECTS[subject]
    key = top["facts_schema"]
    if parse_schema_key(key) is None:
        raise r.err("Q124", f"facts_schema must be written name@version, e.g. {default_schema_key(subject)}; "
                            f"got {key!r}", ("facts_schema",))
    try:
        schema = find_schema(key, p)
    except PathProblem as exc:
        raise r.err(exc.code, f"facts_schema {key}: {exc.message}", ("facts_schema",),
                    suggestion=exc.suggestion) from None
    except FileNotFoundError:  # pragma: no cover - the shipped schemas come with the package
        schema = None
    if schema is None:
        known = sorted({f.name.removesuffix(SCHEMA_SUFFIX) for d in (p.parent / "facts", p.parent.parent / "facts",
                                                                     schema_dir())
                        if d.is_dir() for f in d.glob(f"*{SCHEMA_SUFFIX}")})
        raise r.err("Q124", f"facts_schema {key!r}: no such schema (looked for facts/{key}{SCHEMA_SUFFIX} beside "
                            "the ruleset, in its rulesets tree and among the shipped ones)", ("facts_schema",),
                    suggestion=_suggest(key, known))
    if schema.subject != subject:
        raise r.err("Q124", f"facts_schema {key} describes a {schema.subject}, but the ruleset's subject is "
                            f"{subject}", ("facts_schema",))
    if base is not None and base.facts_schema and key != base.facts_schema:
        raise r.err("Q124", f"facts_schema {key} differs from the inherited ruleset's ({base.facts_schema})",
                    ("facts_schema",), suggestion="an overlay reads the facts its base reads")
    return key, Subject.of(schema)


def all_errors(errors: list[RulesetError]) -> RulesetError:
    """The first error (in file order), carrying every error found but the follow-ons of a value the
    loader refused (``RulesetError.follow_on``: the loader's own error says why)."""
    ordered = sorted([e for e in errors if not e.follow_on] or errors, key=lambda e: (e.path or "", e.line or 0,
                                                                                       e.col or 0))
    first = ordered[0]
    first.errors = tuple(ordered)
    return first


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):  # the same JSON number a YAML float gave before decimals were exact
        return float(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Window):
        return v.to_json()
    if isinstance(v, tuple):
        return list(v)
    return v


def _num(v: Decimal | None) -> str | None:
    return None if v is None else str(v)


def _score_json(s: ScoreSpec | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"kind": s.kind, "points": s.points, "value": _num(s.value), "group": s.group, "per": s.per,
            "cap": _num(s.cap), "effect": s.effect}


def _additive(d: dict[str, Any], **later: Any) -> dict[str, Any]:
    """Keys added to the format after a release appear only when used, so that the hash of an
    already released ruleset (which cannot use them) stays the same."""
    return d | {k: v for k, v in later.items() if v is not None}


def _text(t: Text | None) -> dict[str, str] | None:
    return None if t is None else {"zh": t.zh, "en": t.en}


def canonical(rs: Ruleset) -> dict[str, Any]:
    """The ruleset's meaning as plain JSON: what the content hash covers."""
    scoring = None if rs.scoring is None else {
        "places": rs.scoring.places, "rounding": rs.scoring.rounding, "bonus_cap": _num(rs.scoring.bonus_cap),
        "groups": [{"id": g.id, "title": {"zh": g.title.zh, "en": g.title.en}, "cap": _num(g.cap),
                    "weight": _num(g.weight)} for g in rs.scoring.groups]}
    return _additive({
        "id": rs.id, "term": rs.term, "version": rs.version, "region": rs.region,
        "title": {"zh": rs.title.zh, "en": rs.title.en}, "time_zone": rs.time_zone, "layers": list(rs.layers),
        "sources": [{"id": s.id, "title": _text(s.title), "reference": s.reference,
                     "date": s.date.isoformat() if s.date else None, "note": _text(s.note)} for s in rs.sources],
        "parameters": [{"name": q.name, "value": _jsonable(q.value), "type": q.type, "source": q.source,
                        "description": _text(q.description), "interpretation": _text(q.interpretation),
                        "placeholder": q.placeholder, "layer": q.layer} for q in rs.parameters],
        "derived": [_additive({"name": d.name, "function": d.function, "of": d.of, "at": d.at},
                              where=d.where, completes=d.completes) for d in rs.derived],
        "rules": [{"id": x.id, "title": {"zh": x.title.zh, "en": x.title.en}, "severity": x.severity,
                   "citation": {"source": x.citation.source, "clause": x.citation.clause, "text": x.citation.text},
                   "when": x.when, "pending_if": x.pending_if, "interpretation": _text(x.interpretation),
                   "layer": x.layer} | _additive({}, score=_score_json(x.score), due=x.due,
                                                 applies_if=x.applies_if,
                                                 provisional_pass=True if x.provisional_pass else None)
                  for x in rs.rules],
    }, subject=None if rs.subject == "collective" else rs.subject, scoring=scoring,
        creation_collective=_creation_json(rs.creation_collective), facts_schema=_facts_schema_json(rs))


def _facts_schema_json(rs: Ruleset) -> str | None:
    """The facts schema in the content hash: nothing for the shipped one of the subject (so the hashes
    of rulesets that name none stay as they were), else ``name@version sha256`` of its file."""
    schema = rs.facts.schema if rs.facts is not None else None
    if schema is None or (rs.facts_schema == default_schema_key(rs.subject)
                          and schema.sha256 == SUBJECTS[rs.subject].schema.sha256):  # type: ignore[union-attr]
        return None
    return f"{schema.key} {schema.sha256}"


def _creation_json(c: CreationCriterion | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"when": c.when, "interpretation": _text(c.interpretation), "breakdown": dict(c.breakdown),
            "citation": {"source": c.citation.source, "clause": c.citation.clause, "text": c.citation.text}}


def content_sha256(rs: Ruleset) -> str:
    blob = json.dumps(canonical(rs), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


_FINDING_PARTS = ("requirement", "passed", "failed", "undetermined", "pending", "not_applicable")


def wording(rs: Ruleset) -> dict[str, Any]:
    """The ruleset's finding templates as plain JSON, by rule id (rules without a ``finding:`` left
    out): the wording a released version is locked to besides its content (``releases.lock``'s
    ``wording``). Not in the content hash, which covers meaning only, so that every stamp stays valid."""
    return {r.id: {part: _text(getattr(r.finding, part)) for part in _FINDING_PARTS
                   if getattr(r.finding, part) is not None}
            for r in rs.rules if r.finding is not None}


def wording_sha256(rs: Ruleset) -> str:
    """The sha256 of ``wording(rs)`` as canonical JSON (sorted keys, no spaces, UTF-8)."""
    blob = json.dumps(wording(rs), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
