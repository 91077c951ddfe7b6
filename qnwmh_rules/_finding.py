"""Findings declared with each rule: reading ``finding:``, checking its templates, and wording a rule's result.

Owns: the ``finding:`` block of a rule (templates per outcome and for the requirement, zh and en),
its load-time checks (every name is a value the rule reads or a parameter it uses; every formatter
exists and fits), the vocabulary templates read (labels of fact paths and enum values, region,
nationality and time-zone names, the phrasing of list items) and the generic finding of a rule
without templates, built from those labels only (never a raw path, JSON or condition text).

Must not know durable_rules, how outcomes are decided or how a note is laid out (``_explain``).
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import pycountry
from dateutil import tz as dttz

from . import _template as T
from ._facts_schema import FactsSchema
from ._loader import KIND_SUFFIXES, Key, Loaded, load_text, read_file, read_source, text_position
from ._model import Finding, Rule, Ruleset, Text
from ._moments import zone_problem
from .exceptions import RulesetError, did_you_mean
from .facts import SUBJECTS, facts_schema, region_name

__all__ = ["PHRASING_FILE", "PHRASING_SUFFIX", "check_phrasing", "FINDING_KEYS", "read_finding", "check_finding",
           "Vocab", "vocabulary", "word_rule", "Worded", "value_text",
           "due_text"]

PHRASING_FILE = "names.phrasing.yaml"  # under rulesets/findings/
PHRASING_SUFFIX = KIND_SUFFIXES["phrasing"]
FINDING_KEYS = ("requirement", "passed", "failed", "undetermined", "pending", "not_applicable")
_FIELD_KINDS = {"bool": "bool", "count": "number", "str": "string", "enum": "string", "region": "string",
                "nationality": "string", "round": "string", "date": "date", "instant": "instant"}
_PARAM_KINDS = {"number": "number", "string": "string", "bool": "bool", "date": "date", "window": "window",
                "list": "list"}


# ---------------------------------------------------------------------------------------------
# reading and checking


def read_finding(r: Any, raw: Any, kp: Key) -> Finding:
    """The ``finding:`` mapping of a rule (``r`` is ``_schema.Reader``): each key one of
    ``FINDING_KEYS`` with a ``{zh, en}`` pair of template texts; syntax errors are Q190 at the
    character where they are."""
    v = r.mapping(raw, kp, dict.fromkeys(FINDING_KEYS, False), "a finding")
    texts: dict[str, Text] = {}
    for key, value in v.items():
        text = r.text(value, kp + (key,), f"finding.{key}")
        for lang in ("zh", "en"):
            _parsed(r.l, kp + (key, lang), getattr(text, lang))
        texts[key] = text
    return Finding(**texts)


def _parsed(loaded: Loaded, kp: Key, text: str) -> T.Template:
    try:
        return T.parse_template(text)
    except T.TemplateProblem as p:
        raise _error(loaded, kp, text, p) from None


def _error(loaded: Loaded, kp: Key, text: str, p: T.TemplateProblem) -> RulesetError:
    line, col = text_position(loaded, kp, p.offset, text)
    return RulesetError(p.code, p.message, path=loaded.path, line=line, col=col, suggestion=p.suggestion)


def scope_of(rs: Ruleset, rule: Rule) -> dict[str, str]:
    """The names a template of ``rule`` may read (name → kind): the fact paths and derived facts
    its conditions read, the items a derived count counted, and ``params.<name>`` of the
    parameters it uses."""
    subject = rs.facts or SUBJECTS[rs.subject]  # the ruleset's facts schema
    fields, lists = subject.fields, subject.lists
    derived = {d.name: d for d in rs.derived}
    scope: dict[str, str] = {}
    for path in rule.reads:
        if path in lists:
            scope[path] = "list"
        elif path.startswith("derived."):
            d = derived.get(path.removeprefix("derived."))
            scope[path] = "number" if d is None or d.function != "earliest" else "any"
            if d is not None and d.where is not None:
                scope[f"{path}.counted"] = "list"
        else:
            spec = fields.get(path)
            scope[path] = _FIELD_KINDS.get(spec.type, "any") if spec else "any"
    params = {p.name: p for p in rs.parameters}
    for name in (*rule.params, *rule.pending_params):
        if name in params:
            scope[f"params.{name}"] = _PARAM_KINDS.get(params[name].type, "any")
    return scope


def check_finding(rs: Ruleset, rule: Rule, where: Mapping[str, tuple[Loaded, Key]]) -> list[RulesetError]:
    """Every problem of the templates of ``rule`` (a checked rule: its reads and params known)."""
    if rule.finding is None or f"{rule.id}#finding" not in where:
        return []
    loaded, kp = where[f"{rule.id}#finding"]
    full = scope_of(rs, rule)
    only_params = {k: v for k, v in full.items() if k.startswith("params.")}
    all_params = {f"params.{p.name}" for p in rs.parameters}
    errors: list[RulesetError] = []

    def hint(name: str) -> str | None:
        if name in all_params:
            return f"the rule does not use {name}: a finding reads only the parameters its conditions use"
        return None

    for key in FINDING_KEYS:
        text = getattr(rule.finding, key)
        if text is None:
            continue
        scope = only_params if key == "requirement" else full
        for lang in ("zh", "en"):
            src = getattr(text, lang)
            try:
                T.check_template(_parsed(loaded, kp + (key, lang), src), scope, suggest=_suggest, hint=hint)
            except T.TemplateProblem as p:
                if key == "requirement" and p.code == "Q191" and _name_at(src, p.offset) in full:
                    p = T.TemplateProblem("Q191", f"the requirement names {_name_at(src, p.offset)!r}, a fact: "
                                                  "a requirement reads only parameters (it is shown when facts "
                                                  "are missing)", p.offset,
                                          "move it to the outcome templates (passed, failed, …)")
                errors.append(_error(loaded, kp + (key, lang), src, p))
            except RulesetError as exc:
                errors.append(exc)
    return errors


def _name_at(text: str, offset: int) -> str:
    end = offset
    while end < len(text) and text[end] not in "|},":
        end += 1
    return text[offset:end].strip()


def _suggest(word: str, choices: Sequence[str]) -> str | None:
    return did_you_mean(word, choices)


# ---------------------------------------------------------------------------------------------
# vocabulary


def _packaged_rulesets() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "rulesets", here.parent / "rulesets"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the shipped rulesets are not installed (looked in {here / 'rulesets'})")


@functools.cache
def _phrasing(root: Path | None = None) -> dict[str, Any]:
    path = (root or _packaged_rulesets()) / "findings" / PHRASING_FILE
    if not path.is_file():  # a working copy of the rulesets without its own phrasing: the shipped one
        path = _packaged_rulesets() / "findings" / PHRASING_FILE
    # read as `check_phrasing` reads it (keys as written): yaml.safe_load read `NO:` (Norway) as False
    doc: dict[str, Any] = load_text(read_file(path), str(path)).data
    return doc


@functools.cache
def _parsed_phrase(text: str) -> T.Template:
    return T.parse_template(text)


def check_phrasing(path: Path) -> list[RulesetError]:
    """Every problem of a names file (``names.phrasing.yaml``): ``nationalities`` (assigned ISO 3166-1
    alpha-2 codes, else Q105), ``time_zones`` (IANA names, else Q106) and, optionally, ``industries``
    (the industry codes of the facts), each name a ``{zh, en}`` pair of texts."""
    try:  # a file that cannot be read or parsed is one problem, reported with the rest of `check`
        loaded = load_text(read_source(path, "names"), str(path))
    except RulesetError as exc:
        return list(exc.errors)
    doc = loaded.data
    if not isinstance(doc, dict):
        return [loaded.error("Q101", "a names file is a mapping with `nationalities:` and `time_zones:`", ())]
    errors: list[RulesetError] = list(loaded.errors)  # duplicate keys, tags
    for section in ("nationalities", "time_zones", "industries"):
        names = doc.get(section)
        if section == "industries" and names is None:
            continue
        if not isinstance(names, dict):
            errors.append(loaded.error("Q103", f"a names file needs a `{section}:` mapping of code: {{zh, en}}", ()))
            continue
        for code, texts in names.items():
            kp: Key = (section, code)
            # a name for a code no fact can hold is never shown: refused, at the code
            if section == "nationalities" and (not isinstance(code, str) or len(code) != 2
                                               or not ("A" <= code[0] <= "Z" and "A" <= code[1] <= "Z")
                                               or pycountry.countries.get(alpha_2=code) is None):
                errors.append(loaded.error(
                    "Q105", f"{code!r} is not an assigned ISO 3166-1 alpha-2 code (a nationality fact holds one)",
                    kp, key=True, suggestion="write the two capital letters of the country, e.g. CN, US, GB"))
                continue
            if section == "time_zones":
                problem = zone_problem(code) if isinstance(code, str) else (f"{code!r} is not a name", "")
                if problem is not None:
                    errors.append(loaded.error("Q106", problem[0], kp, key=True, suggestion=problem[1] or None))
                    continue
            if not isinstance(texts, dict) or set(texts) != {"zh", "en"}:
                errors.append(loaded.error("Q103", f"the name of {code} is a mapping with zh and en texts", kp))
            elif not all(isinstance(t, str) and t.strip() for t in texts.values()):
                errors.append(loaded.error("Q104", f"the names of {code} must be non-empty texts", kp))
    return errors


@attrs.frozen
class Vocab:
    """Words for the values of one subject's facts (implements ``_template.Vocabulary``): labels of
    paths and enum values and the phrasing of list items from the facts schema, region names, and
    from the names file the names of nationalities and time zones."""

    subject: str
    # derived name -> (function, of, whether it counts with a `where`)
    derived: Mapping[str, tuple[str, str, bool]] = attrs.field(factory=dict)
    root: Path | None = None  # the rulesets folder whose findings/names.phrasing.yaml is read
    schema: FactsSchema | None = None  # the facts schema the ruleset reads (default: the subject's shipped one)

    def _schema(self) -> FactsSchema:
        return self.schema if self.schema is not None else facts_schema(self.subject)

    def label(self, path: str, lang: str) -> str:
        if path.startswith("derived."):
            return self._derived_label(path.removeprefix("derived."), lang)
        for candidate in (path, _item_path(path)):
            try:
                return self._schema().label(candidate, lang)
            except KeyError:
                continue
        return path  # not declared anywhere (a ruleset read a path its schema does not know)

    def fields(self) -> Mapping[str, Any]:
        """The fact paths of the facts schema in use, each with its ``FieldSpec``."""
        return self._schema().fields

    def field_type(self, path: str) -> str | None:
        """The declared type of a fact path (``honors[0].round`` as ``honors[].round``); None if undeclared."""
        fields = self._schema().fields
        got = fields.get(path) or fields.get(_item_path(path))
        return got.type if got is not None else None

    def _derived_label(self, name: str, lang: str) -> str:
        spec = self.derived.get(name)
        if spec is None:
            return "推算值" if lang == "zh" else "a computed value"
        function, of, where = spec
        base = self.label(of, lang)
        if function == "age_in_full_years":
            if lang == "zh":
                return base.removesuffix("出生日期") + "年龄（周岁）" if base.endswith("出生日期") else \
                    f"按{base}计算的周岁"
            return f"age in full years (from {base})"
        if function == "count_distinct":
            return f"不同{base}的数量" if lang == "zh" else f"the number of distinct values of {base}"
        if function == "count" and where:
            return f"计入的{base}数量" if lang == "zh" else f"the number of {base} counted"
        if function == "count":
            return f"{base}的数量" if lang == "zh" else f"the number of {base}"
        return f"最早的{base}" if lang == "zh" else f"the earliest {base}"

    def value_label(self, path: str, value: str, lang: str) -> str:
        for candidate in (path, _item_path(path)):
            try:
                return self._schema().value_label(candidate, value, lang)
            except KeyError:
                continue
        return value

    def region(self, code: str, lang: str) -> str:
        try:
            return region_name(code, lang)
        except KeyError:
            return code

    def nationality(self, code: str, lang: str) -> str:
        """The name of an ISO 3166-1 alpha-2 code: the names file's own (``the United States``, 中国香港)
        first, else pycountry's (its zh_CN translation in zh). A code neither knows (XK, ZZ: the facts accept
        any two capital letters) reads as an unrecognised code: in zh without the code, which is no
        Chinese (the auditor sees it in the facts), in en with it."""
        got = _phrasing(self.root)["nationalities"].get(code)
        if got is not None:
            return str(got[lang])
        name = country_name(code, lang)
        if name is not None:
            return name
        return "无法识别的国籍代码" if lang == "zh" else f"an unrecognised country code ({code})"

    def industry(self, code: str, lang: str) -> str:
        """The name of an industry code (``transport`` → 交通运输) from the names file; the code if unnamed."""
        got = (_phrasing(self.root).get("industries") or {}).get(code)
        return str(got[lang]) if isinstance(got, dict) and lang in got else code

    def zone(self, name: str, lang: str) -> str:
        got = _phrasing(self.root)["time_zones"].get(name)
        if got is not None:
            return str(got[lang])
        zone = dttz.gettz(name)
        off = dt.datetime(2017, 1, 1, tzinfo=zone).utcoffset() if zone is not None else None
        if off is None:
            return "北京时间" if lang == "zh" else "Beijing time"
        minutes = int(off.total_seconds() // 60)
        return f"UTC{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

    def item_phrase(self, list_path: str) -> Mapping[str, T.Template] | None:
        """How one item of the list reads (``honors[]``): the facts schema's ``phrasing`` of the list."""
        texts = self._schema().phrasing.get(list_path.removesuffix("[]"))
        return {lang: _parsed_phrase(text) for lang, text in texts.items()} if texts is not None else None


@functools.lru_cache(maxsize=1)
def _zh_countries() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True)


def country_name(code: str, lang: str) -> str | None:
    """The ISO 3166-1 name of an alpha-2 code (the common name where there is one: ``South Korea``,
    韩国), from pycountry; zh from its zh_CN catalogue. None for a code that is not assigned."""
    country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if country is None:
        return None
    name = str(getattr(country, "common_name", None) or country.name)
    return _zh_countries().gettext(name) if lang == "zh" else name


def _item_path(path: str) -> str:
    """``honors[0].level`` → ``honors[].level``."""
    out, depth, i = [], 0, 0
    while i < len(path):
        c = path[i]
        if c == "[":
            j = path.find("]", i)
            out.append("[]")
            i = j + 1 if j > 0 else len(path)
            depth += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def vocabulary(subject: str, ruleset: Ruleset | None = None, root: Path | None = None) -> Vocab:
    """The vocabulary of a subject's facts: the labels and item phrasing of the facts schema the ruleset
    reads (when it is known; else the subject's shipped schema), its derived facts, and the names of
    nationalities and time zones read from ``root``/findings (the rulesets folder; default: the shipped one)."""
    derived = {d.name: (d.function, d.of, d.where is not None) for d in ruleset.derived} if ruleset is not None else {}
    schema = ruleset.facts.schema if ruleset is not None and ruleset.facts is not None else None
    return Vocab(subject if subject in SUBJECTS else "collective", derived, root, schema)


# ---------------------------------------------------------------------------------------------
# wording one rule's result


@attrs.frozen
class Worded:
    """A rule's result in words: the requirement, the finding (None when it cannot be said, e.g.
    a fact is missing) and why it is not yet decided (None unless undetermined by a deadline or a
    pending condition)."""

    requirement: str
    finding: str | None
    waiting: str | None


def _values(r: Any) -> dict[str, Any]:
    out = dict(r.values)
    out.update({f"params.{k}": v for k, v in r.params})
    return out


def word_rule(r: Any, rule: Rule | None, *, lang: str, vocab: Vocab, as_of: str | None) -> Worded:
    """``r`` (a ``RuleOutcome``) in words: from ``rule``'s templates where it has them, else generically
    from the labels of the values it read. ``rule`` is the ruleset's rule (None when unknown)."""
    finding = rule.finding if rule is not None else None
    values = _values(r)
    title = r.title_zh if lang == "zh" else r.title_en
    requirement = _try(finding.requirement if finding else None, values, lang, r.outcome, vocab) or title
    waiting = None
    key = r.outcome
    if r.outcome == "undetermined" and not r.missing:
        waiting = due_text(r, rule, lang=lang, vocab=vocab, as_of=as_of)
        if waiting is None:
            key = "pending"
    said = None
    if finding is not None:
        said = _try(getattr(finding, key, None), values, lang, r.outcome, vocab)
        if said is None and key == "pending":
            said = _try(finding.undetermined, values, lang, r.outcome, vocab)
    if said is None and (finding is None or r.outcome in ("passed", "failed")):
        said = _generic(r, lang, vocab)
    return Worded(requirement, said, waiting)


def _try(text: Text | None, values: Mapping[str, Any], lang: str, outcome: str, vocab: Vocab) -> str | None:
    if text is None:
        return None
    try:
        return T.render(T.parse_template(getattr(text, lang)), values, lang=lang, outcome=outcome, vocab=vocab)
    except (T.Missing, T.TemplateProblem):
        return None


def _generic(r: Any, lang: str, vocab: Vocab) -> str | None:
    """The values a rule read, each under its label: ``集体成员总数：24；号长出生日期：1984年3月2日``."""
    parts = []
    for path, value in r.values:
        if path.endswith(".counted"):
            continue
        text = value_text(path, value, lang, vocab)
        if text is not None:
            parts.append(f"{vocab.label(path, lang)}{'：' if lang == 'zh' else ': '}{text}")
    if not parts:
        return None
    return ("；" if lang == "zh" else "; ").join(parts)


def value_text(path: str, value: Any, lang: str, vocab: Vocab) -> str | None:
    """A fact's value as a reader writes it (None for None and objects): dates in Chinese style or
    ``30 September 2017``, timestamps with their zone's name, enum values, regions and nationalities
    by their names, a term as ``2015—2016年度``, truth values as 是/否, lists through their phrasing."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, int | float):
        return T.number_text(value)
    if isinstance(value, list):
        phrase = vocab.item_phrase(path + "[]")
        if phrase is not None:
            try:
                return T.render(T.parse_template(f"{{{_safe(path)}|items}}"), {_safe(path): value}, lang=lang,
                                outcome="", vocab=_Prefixed(vocab, path))
            except T.Missing:
                pass
        return f"{len(value)}项" if lang == "zh" else f"{len(value)} item(s)"
    if isinstance(value, dict):
        return None
    s = str(value)
    try:
        if len(s) == 10 and s[4] == "-" and s[7] == "-":
            return T.date_text(s, lang)
        if len(s) > 10 and s[10] == "T":
            return T.instant_text(s, vocab, lang)
    except ValueError:
        pass
    labelled = vocab.value_label(path, s, lang)
    if labelled != s:
        return labelled
    if vocab.field_type(path) == "round":
        return T.term_text(s) + ("年度" if lang == "zh" else "")
    if path.endswith("region") or path == "region":
        return vocab.region(s, lang)
    if path.endswith("nationality"):
        return vocab.nationality(s, lang)
    if path.endswith("industry"):
        return vocab.industry(s, lang)
    return s


def _safe(path: str) -> str:
    return path.replace("[]", "")


@attrs.frozen
class _Prefixed:
    """A vocabulary whose item phrasing is looked up for one list whatever the name used."""

    inner: Vocab
    path: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def item_phrase(self, list_path: str) -> Mapping[str, T.Template] | None:
        return self.inner.item_phrase(self.path + "[]")


def due_text(r: Any, rule: Rule | None, *, lang: str, vocab: Vocab, as_of: str | None) -> str | None:
    """Why an undetermined rule is not decided yet, when it waits for its ``due`` window or date:
    ``期限至2017年9月30日（北京时间）止，尚未届满；2017年10月1日起判定``. None otherwise."""
    if rule is None or rule.due is None or as_of is None:
        return None
    value = dict(r.params).get(rule.due)
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(as_of)
        if isinstance(value, dict):
            zone_name = str(value.get("time_zone") or "Asia/Shanghai")
            start, end = dt.date.fromisoformat(value["start"]), dt.date.fromisoformat(value["end"])
            first = start if value.get("start_inclusive", True) else start + dt.timedelta(days=1)
            last = end if value.get("end_inclusive", True) else end - dt.timedelta(days=1)
        else:
            zone_name, first, last = "Asia/Shanghai", None, dt.date.fromisoformat(str(value))
    except (ValueError, KeyError, TypeError):
        return None
    zone = dttz.gettz(zone_name)
    today = when.astimezone(zone).date() if zone is not None else when.date()
    if today > last:
        return None
    decided = T.date_text(last + dt.timedelta(days=1), lang)
    zname = vocab.zone(zone_name, lang)
    if first is not None and today < first:
        if lang == "zh":
            return (f"期限自{T.date_text(first, lang)}起算，尚未开始，至{T.date_text(last, lang)}（{zname}）止；"
                    f"{decided}起判定")
        return (f"not yet due: the period opens on {T.date_text(first, lang)} and ends on "
                f"{T.date_text(last, lang)} ({zname}); decided from {decided}")
    if lang == "zh":
        return f"期限至{T.date_text(last, lang)}（{zname}）止，尚未届满；{decided}起判定"
    return f"not yet due: the period ends on {T.date_text(last, lang)} ({zname}); decided from {decided}"
