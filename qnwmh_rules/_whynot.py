"""Why not eligible: for each failed rule, the smallest changes of the facts that would make it pass.

Owns: reading a rule's resolved condition (the ``_check`` tree) backwards into suggestions (a value
to reach, the members a share lacks, the birth-date bound behind an age limit, an item to add to a
list, channels to drop), whether each change can still be made as of the evaluation, and the
combined what-if (every concrete patch of a changeable suggestion applied, then re-evaluated).
Nothing is written per rule id; what is known per fact is here: list items record past events
(their dates cannot change, and a new one cannot be dated in a period that has ended), a birth date
belongs to a person who can be replaced (``_PERSON``), and a unit's quota is not the unit's to change
(``_NOT_THEIRS``). Words come from the facts schema through ``_finding.Vocab`` (``_Words``): the text
names facts by their labels and values by their names, never by path or JSON.
Must not know durable_rules.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import itertools
import json
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from . import _check as C
from . import _template as T
from ._api import Engine, as_of_moment, due_decided_from
from ._derive import age_in_full_years, counted_items, derive, item_key
from ._finding import Vocab, value_text, vocabulary, word_rule
from ._model import Derivation, Text
from ._moments import zone as zoneinfo_zone
from ._reference import OPS, Evaluator
from ._replay import apply_patch
from ._tree import MIRRORED, NEGATED, Visitor
from ._tree import reads as read_paths
from .exceptions import FactsError
from .verdict import RuleOutcome, Verdict

__all__ = ["why_not", "WhyNot", "RuleFix", "Suggestion", "Missing"]

_PERSON = {"leader.birth_date": Text(zh="号长", en="post leader (号长)")}  # a person who can be replaced
# facts the subject cannot change itself: no suggestion to change them counts as feasible
_NOT_THEIRS = {"quota": Text(zh="评选分配名额由活动组委会分配，不由管理单位决定",
                             en="the selection quota is allocated by the organising committee, not by the unit")}
_OPW = {">=": ("at least", "不少于"), ">": ("more than", "多于"), "<=": ("at most", "不超过"),
        "<": ("less than", "少于")}
_DAY = dt.timedelta(days=1)
_NO = Text(zh="", en="")


class _NoValue(enum.Enum):
    """The type of ``NO_VALUE``: a needed value that is not one single concrete value."""

    NO_VALUE = "no value"


NO_VALUE = _NoValue.NO_VALUE  # what ``_Case.pick`` gives where no single value meets the need
Need = dict[str, Any]  # one field's constraint: type, in (allowed values), ne, lo, hi (inclusive; days for dates)


def _pairs(v: Any) -> tuple[tuple[str, Any], ...] | None:
    return None if v is None else tuple(v.items()) if isinstance(v, Mapping) else tuple(v)


def _json(v: Any) -> Any:
    """JSON form of the value objects below (patches as objects)."""
    if attrs.has(type(v)):
        return {f.name: dict(getattr(v, f.name)) if f.name == "patch" and getattr(v, f.name) is not None
                else _json(getattr(v, f.name)) for f in attrs.fields(type(v))}
    return [_json(x) for x in v] if isinstance(v, tuple) else v


class _Doc:
    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dict(_json(self))


@attrs.frozen
class Suggestion(_Doc):
    """One change of one fact: in words, as a patch when concrete, and whether it can be made now."""

    fact: str
    change: Text
    patch: tuple[tuple[str, Any], ...] | None = attrs.field(default=None, converter=_pairs)
    changeable: bool = True
    why_unchangeable: Text | None = None

Option = tuple[Suggestion, ...]  # changes that together make a rule pass


def _opt_patch(o: Option) -> dict[str, Any] | None:
    """The merged patch of an option, or None unless every change in it is changeable and concrete."""
    if not o or any(s.patch is None or not s.changeable for s in o):
        return None
    return {k: v for s in o for k, v in (s.patch or ())}


@attrs.frozen
class RuleFix(_Doc):
    """A failed rule and its alternative options, changeable ones and fewest changes first."""

    rule_id: str
    title: Text
    severity: str
    options: tuple[Option, ...]
    due: str | None = None  # not yet due: the day it will be decided (the options are what can still be done)

@attrs.frozen
class Missing(_Doc):
    """An undetermined rule: the facts to supply (or why it waits), not changes."""

    rule_id: str
    title: Text
    missing: tuple[str, ...]
    reason: str | None = None
    labels: Text = Text(zh="", en="")  # the missing facts by their labels
    said: Text | None = None  # why it waits, in words (the rule's finding or its due date)

_UI: dict[str, dict[str, Any]] = {
    "en": dict(o={"eligible": "eligible", "ineligible": "not eligible", "undetermined": "undetermined"},
               unit={"eligible": "every required duty of the assessment is met",
                     "ineligible": "some required duties of the assessment are not met",
                     "undetermined": "some required duties of the assessment cannot be decided yet"},
               who="{id} ({name})", head="{who}: {o}", asof=" (as of {a})", rule=" (rule {r})", colon=": ",
               step="; ",
               due="not yet due, decided from {d}; until then any of these makes it pass:",
               cannot="cannot be done now: ", none="none",
               eligible="It is eligible: there is nothing to change.",
               unit_eligible="Every required duty is met: there is nothing to change.",
               ok="With every feasible change ({p}) it would be eligible.",
               unit_ok="With every feasible change ({p}) every required duty would be met.",
               ok0="It would be eligible.", unit_ok0="Every required duty would be met.",
               after={"eligible": "eligible", "ineligible": "not be eligible", "undetermined": "be undetermined"},
               no="Even with every feasible change ({p}), it would still {o}:",
               unit_no="Even with every feasible change ({p}), {o}:",
               no0="No change can still be made; it would still {o}:",
               unit_no0="No change can still be made; {o}:",
               no_hand="No single change can be proposed (the items below can still be done, decided by hand); "
                       "until then it would still {o}:",
               unit_no_hand="No single change can be proposed (the items below can still be done, decided by hand); "
                            "until then {o}:"),
    "zh": dict(o={"eligible": "具备创建集体资格", "ineligible": "不具备创建集体资格",
                  "undetermined": "是否具备资格尚无法判定"},
               unit={"eligible": "考评的必备要求均已达到", "ineligible": "考评有必备要求未达到",
                     "undetermined": "考评尚有必备要求无法判定"},
               who="{id}（{name}）", head="{who}：{o}", asof="（截至{a}）", rule="（规则{r}）", colon="：",
               step="；",
               due="尚未到期，{d}起判定；在此之前满足以下任一项即可：",
               cannot="现已无法做出：", none="无",
               eligible="已具备资格，无需修改。", unit_eligible="必备要求均已达到，无需修改。",
               ok="采纳全部可行的修改（{p}）后即具备资格。",
               unit_ok="采纳全部可行的修改（{p}）后即可达到全部必备要求。",
               ok0="即具备资格。", unit_ok0="即可达到全部必备要求。",
               after={"eligible": "具备创建集体资格", "ineligible": "不具备创建集体资格",
                      "undetermined": "无法判定是否具备资格"},
               no="即使采纳全部可行的修改（{p}），仍{o}：", unit_no="即使采纳全部可行的修改（{p}），{o}：",
               no0="没有现在仍可做出的修改，仍{o}：", unit_no0="没有现在仍可做出的修改，{o}：",
               no_hand="尚无可直接采纳的具体修改（以下各项仍可办理，须人工确定具体内容），目前仍{o}：",
               unit_no_hand="尚无可直接采纳的具体修改（以下各项仍可办理，须人工确定具体内容），目前{o}：")}


@attrs.frozen
class WhyNot(_Doc):
    """Why a collective is not eligible (or a unit misses a required duty), what would change that,
    and whether all the changes together suffice. The text (``to_text``) is in words only; the
    patches (``PATH=JSON``, as ``evaluate --set`` reads them) are in the JSON form (``to_dict``)."""

    subject_id: str
    outcome: str
    as_of: str | None
    fixes: tuple[RuleFix, ...]
    undetermined: tuple[Missing, ...]
    would_be_eligible: bool
    patch: tuple[tuple[str, Any], ...] = attrs.field(converter=_pairs)  # every changeable patch, merged
    outcome_after: str
    still_failing: tuple[str, ...]
    still_undetermined: tuple[str, ...]
    blockers: tuple[tuple[str, Text], ...]  # (rule id, why it still fails or is undetermined after the patch)
    subject: str = "collective"
    name: str | None = None  # the subject's name, when its facts give one
    patch_words: tuple[Text, ...] = ()  # ``patch`` in words, one change each

    def to_text(self, lang: str = "zh") -> str:
        """A short readable list in ``zh`` or ``en``, in words: labels of the facts schema, dates as a
        reader writes them, no fact paths or JSON (those are in ``to_dict``)."""
        u = _UI[lang]
        unit = self.subject == "unit"

        def said(t: Text) -> str:
            return t.en if lang == "en" else t.zh

        def outcome(o: str, after: bool = False) -> str:
            return str((u["unit"] if unit else u["after"] if after else u["o"])[o])

        def ruled(rule_id: str, title: Text) -> str:
            return said(title) + str(u["rule"]).format(r=rule_id)

        who = u["who"].format(id=self.subject_id, name=self.name) if self.name else self.subject_id
        when = _moment_words(self.as_of, lang)
        lines = [u["head"].format(who=who, o=outcome(self.outcome)) + (u["asof"].format(a=when) if when else "")]
        for f in self.fixes:
            lines.append(f"✗ {ruled(f.rule_id, f.title)}" if f.due is None else
                         f"? {ruled(f.rule_id, f.title)}{u['colon']}" +
                         u["due"].format(d=T.date_text(f.due, lang)))
            for i, o in enumerate(f.options, 1):
                for j, s in enumerate(o):
                    lines.append((f"  {i}. " if j == 0 else "     ") + said(s.change))
                    if not s.changeable and s.why_unchangeable:
                        lines.append(f"       ⚠ {u['cannot']}{said(s.why_unchangeable)}")
        lines += [f"? {ruled(m.rule_id, m.title)}{u['colon']}" +
                  said(m.said or _NO)
                  for m in self.undetermined if m.rule_id not in {f.rule_id for f in self.fixes}]
        p = u["step"].join(said(t) for t in self.patch_words) or str(u["none"])
        key = "unit_" if unit else ""
        if self.outcome == "eligible" and not self.fixes:
            return "\n".join([*lines, "→ " + u[key + "eligible"]]) + "\n"
        if self.would_be_eligible:
            done = u[key + "ok"].format(p=p) if self.patch_words else u[key + "ok0"]
            return "\n".join([*lines, "→ " + done]) + "\n"
        # a change that can still be made but has no single value (a new filing: which channel?) is not "nothing"
        hand = any(o and all(s.changeable for s in o) for f in self.fixes for o in f.options)
        still = u[key + ("no" if self.patch_words else "no_hand" if hand else "no0")]
        lines.append("→ " + still.format(p=p, o=outcome(self.outcome_after, True)))
        return "\n".join(lines + [f"   - {said(t)}" for _, t in self.blockers]) + "\n"


def set_text(path: str, value: Any) -> str:
    """One entry of a JSON ``patch`` as ``evaluate --set`` reads it: ``PATH=`` deletes, else ``PATH=JSON``."""
    return f"{path}=" if value is None else f"{path}={json.dumps(value, ensure_ascii=False)}"


def _moment_words(as_of: str | None, lang: str) -> str | None:
    """An evaluation moment in words: ``2017年6月1日（北京时间）`` for the end of a day, else day and time."""
    moment = T.moment_text(as_of, vocabulary("collective"), lang)
    if moment is None or moment[1] is None:
        return None if moment is None else moment[0]
    return f"{moment[0]}，{moment[1]}" if lang == "zh" else f"{moment[0]}, {moment[1]}"


# ---- words -------------------------------------------------------------------------------------------

class _Words:
    """The words for one subject's facts in both languages: labels of paths and values as the facts
    schema gives them (dates in Chinese style or ``30 September 2017``, enum values, regions and
    nationalities by name), the noun and measure word of a count, an item of a list by its place."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def lab(self, path: str) -> Text:
        return Text(zh=self.vocab.label(path, "zh"), en=self.vocab.label(path, "en"))

    def one(self, path: str, v: Any, lang: str) -> str:
        if isinstance(v, dt.datetime):
            return T.instant_text(v.isoformat(), self.vocab, lang)
        if isinstance(v, dt.date):
            return T.date_text(v, lang)
        if isinstance(v, Fraction | Decimal):
            return _exact(Fraction(v))
        got = value_text(path, v, lang, self.vocab)
        return got if got is not None else ("无" if lang == "zh" else "none")

    def labs(self, paths: Any) -> Text:
        """Several facts by their labels: 号长出生日期、35周岁以下成员人数."""
        labs = [self.lab(p) for p in paths]
        return Text(zh="、".join(x.zh for x in labs), en=", ".join(x.en for x in labs))

    def val(self, path: str, v: Any) -> Text:
        return Text(zh=self.one(path, v, "zh"), en=self.one(path, v, "en"))

    def vals(self, path: str, vs: Any, zh_sep: str = "、", en_sep: str = ", ") -> Text:
        return Text(zh=zh_sep.join(self.one(path, v, "zh") for v in vs),
                    en=en_sep.join(self.one(path, v, "en") for v in vs))

    def count_noun(self, path: str) -> tuple[str, str, str]:
        """(zh noun, zh measure word, en noun) of a count: 集体成员/人/members, 创建集体/个/creation collectives."""
        zh, en = self.vocab.label(path, "zh"), self.vocab.label(path, "en")
        zn = zh.removesuffix("人数").removesuffix("总数").removesuffix("数量")
        unit = "人" if zh.endswith("人数") or zn.endswith(("成员", "人员")) else "个"
        noun = en.removeprefix("the ").removeprefix("total ").removeprefix("number of ").removeprefix("unit's ")
        return zn, unit, noun

    def item(self, lst: str, i: int) -> Text:
        """``第2项网络报备`` / ``network filing no. 2``: an item by its place in the list (from 1)."""
        sing, noun = _list_nouns(self.vocab, lst)
        return Text(zh=f"第{i + 1}项{noun}", en=f"{sing} no. {i + 1}")

    def change(self, path: str, value: Any) -> Text:
        """One patch entry in words: ``集体成员总数改为200``, ``新增第2项网络报备``, ``撤回第2项网络报备``."""
        head, _, rest = path.partition(".")
        idx, _, field = rest.partition(".")
        if idx.isdigit():
            it = self.item(head, int(idx))
            if not field:
                return Text(zh=f"撤回{it.zh}", en=f"withdraw {it.en}") if value is None else \
                    Text(zh=f"新增{it.zh}", en=f"add {it.en}")
            lab, shown = self.lab(f"{head}[].{field}"), self.val(f"{head}[].{field}", value)
            return Text(zh=f"{it.zh}的{lab.zh}改为{shown.zh}", en=f"{it.en}: {lab.en} {shown.en}")
        lab = self.lab(path)
        if value is None:
            return Text(zh=f"删除{lab.zh}", en=f"remove {lab.en}")
        shown = self.val(path, value)
        return Text(zh=f"{lab.zh}改为{shown.zh}", en=f"{lab.en}: {shown.en}")


def _list_nouns(vocab: Vocab, lst: str) -> tuple[str, str]:
    """(en singular, zh noun) of a list: its label in the facts schema (网络报备 / network filing)."""
    zh, en = vocab.label(lst, "zh"), vocab.label(lst, "en")
    en = re.sub(r" \([^)]*\)", "", en)  # the zh term in brackets goes, the words after it stay
    sing = en[:-3] + "y" if en.endswith("ies") else en[:-1] if en.endswith("s") and not en.endswith("ss") else en
    return sing, zh.removeprefix("青年文明号") if zh.startswith("青年文明号") and len(zh) > 5 else zh


def _need_text(w: _Words, path: str, nd: Need) -> Text:
    """One field's constraint in words: value(s), exclusions, a range (dates as a reader writes them)."""
    lab = w.lab(path)
    en, zh = [], []
    if nd["in"] is not None:
        vs = w.vals(path, nd["in"])
        one = len(nd["in"]) == 1
        en.append(f"{lab.en}: {vs.en}" if one else f"{lab.en}: one of {vs.en}")
        zh.append(f"{lab.zh}为{vs.zh}" if one else f"{lab.zh}为{vs.zh}之一")
    if nd["ne"]:
        vs = w.vals(path, nd["ne"])
        en.append(f"{lab.en}: not {vs.en}")
        zh.append(f"{lab.zh}不为{vs.zh}")
    lo, hi, day = nd["lo"], nd["hi"], nd["type"] in ("date", "instant")
    if lo is not None and lo == hi:  # one day (the window's last, as of that day) or one number
        a = w.val(path, lo)
        en.append(f"{lab.en}: {a.en}")
        zh.append(f"{lab.zh}为{a.zh}")
    elif lo is not None and hi is not None:
        a, b = w.val(path, lo), w.val(path, hi)
        en.append(f"{lab.en}: between {a.en} and {b.en} inclusive")
        zh.append(f"{lab.zh}在{a.zh}至{b.zh}之间（含首尾两日）" if day else f"{lab.zh}在{a.zh}至{b.zh}之间")
    elif lo is not None or hi is not None:
        ws = {(True, True): ("on or before", "不晚于"), (True, False): ("on or after", "不早于"),
              (False, True): ("at most", "不超过"), (False, False): ("at least", "不少于")}[(day, hi is not None)]
        v = w.val(path, hi if hi is not None else lo)
        en.append(f"{lab.en}: {ws[0]} {v.en}")
        zh.append(f"{lab.zh}{ws[1]}{v.zh}")
    return Text(zh="，".join(zh), en=", ".join(en))


def _count_change(w: _Words, path: str, cur: int, new: int, note: Text) -> Text:
    """Wording like "集体成员增加1人：由5人增至6人", from the fact's label."""
    zn, unit, noun = w.count_noun(path)
    d, more = abs(new - cur), new > cur
    noun = "member" + noun[7:] if d == 1 and noun.startswith("members") else noun
    return Text(zh=f"{zn}{'增加' if more else '减少'}{d}{unit}：由{cur}{unit}{'增' if more else '减'}至{new}{unit}"
                   f"{note.zh}", en=f"{d} {'more' if more else 'fewer'} {noun}: {new} instead of {cur}{note.en}")


# ---- constraints on one fact or item field -------------------------------------------------------

def _need(t: str, **kw: Any) -> Need:
    return {"type": t, "in": None, "ne": (), "lo": None, "hi": None, **kw}


def _atom(n: C.RNode) -> tuple[C.Fact | C.Item, Need] | None:
    """A comparison of one fact (or item field) with constants as a constraint; None for other shapes
    (and for a bound beyond the ends of the calendar, such as "before 0001-01-01")."""
    try:
        return _AtomOf().visit(n)
    except OverflowError:
        return None


_Atom = tuple[C.Fact | C.Item, Need] | None


class _AtomOf(Visitor[_Atom]):
    """A comparison of one fact (or item field) with constants, or its negation (``neg``), as the
    constraint it puts on that fact; None for every other shape."""

    def __init__(self, neg: bool = False) -> None:
        self.neg = neg

    def default(self, n: C.RNode) -> _Atom:
        return None

    def visit_not(self, n: C.Not) -> _Atom:
        return None if self.neg else _AtomOf(True).visit(n.item)  # one `not` only, as written

    def visit_cmp(self, n: C.Cmp) -> _Atom:
        ref, op, c = (n.left, n.op, n.right) if isinstance(n.right, C.Const) else (n.right, MIRRORED[n.op], n.left)
        if not isinstance(ref, (C.Fact, C.Item)) or not isinstance(c, C.Const):
            return None
        op, v, day = NEGATED[op] if self.neg else op, c.value, ref.type in ("date", "instant")
        if op in ("==", "!="):
            return ref, _need(ref.type, **{"in" if op == "==" else "ne": (v,)})
        if op in ("<", "<="):
            return ref, _need(ref.type, hi=(v - _DAY if op == "<" else v) if day else
                              math.ceil(v) - 1 if op == "<" else math.floor(v))
        return ref, _need(ref.type, lo=(v + _DAY if op == ">" else v) if day else
                          math.floor(v) + 1 if op == ">" else math.ceil(v))

    def visit_in_list(self, n: C.InList) -> _Atom:
        if not isinstance(n.left, (C.Fact, C.Item)):
            return None
        return n.left, _need(n.left.type, **{"ne" if self.neg else "in": tuple(c.value for c in n.values)})

    def visit_in_window(self, n: C.InWindow) -> _Atom:
        if not isinstance(n.left, (C.Fact, C.Item)) or self.neg:
            return None
        return n.left, _need(n.left.type, lo=n.window.first_day, hi=n.window.last_day)


def _meets(nd: Need, v: Any) -> bool:
    return v is not None and (nd["in"] is None or v in nd["in"]) and v not in nd["ne"] and \
        (nd["lo"] is None or v >= nd["lo"]) and (nd["hi"] is None or v <= nd["hi"])


def _merge(a: dict[str, Need], b: dict[str, Need]) -> dict[str, Need] | None:
    """Both sets of field constraints at once; None if they contradict."""
    out = {k: dict(v) for k, v in a.items()}
    for f, nb in b.items():
        na = out.setdefault(f, _need(nb["type"]))
        na["ne"] += nb["ne"]
        na["lo"] = max((x for x in (na["lo"], nb["lo"]) if x is not None), default=None)
        na["hi"] = min((x for x in (na["hi"], nb["hi"]) if x is not None), default=None)
        if nb["in"] is not None:
            na["in"] = nb["in"] if na["in"] is None else tuple(x for x in na["in"] if x in nb["in"])
        if na["in"] is not None:
            na["in"] = tuple(x for x in na["in"] if _meets(na, x))
        if na["in"] == () or None not in (na["lo"], na["hi"]) and na["lo"] > na["hi"]:
            return None
    return out


_Alts = list[dict[str, Need]] | None


class _Alternatives(Visitor[_Alts]):
    """An item condition as alternatives, each a conjunction of field constraints; None if not that shape."""

    def visit_or(self, n: C.Or) -> _Alts:
        combos: list[dict[str, Need]] = []
        for x in n.items:
            alts = self.visit(x)
            if alts is None:
                return None
            combos = combos + alts
        return combos

    def visit_and(self, n: C.And) -> _Alts:
        combos: list[dict[str, Need]] = [{}]
        for x in n.items:
            alts = self.visit(x)
            if alts is None:
                return None
            combos = [m for c in combos for d in alts if (m := _merge(c, d)) is not None]
        return combos

    def default(self, n: C.RNode) -> _Alts:
        atom = _atom(n)
        return [{atom[0].field: atom[1]}] if atom is not None and isinstance(atom[0], C.Item) else None


def _exact(x: Fraction) -> str:
    """An exact number as written: 0.55, 12, or 1/3 when it has no finite decimal form."""
    if x.denominator == 1:
        return str(x.numerator)
    d = x.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d != 1:
        return f"{x.numerator}/{x.denominator}"
    text = format(Decimal(x.numerator) / Decimal(x.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _int_search(pred: Callable[[int], bool], est: float | Fraction, smallest: bool) -> int | None:
    """The smallest (or largest) whole number >= 0 for which the monotone ``pred`` holds, near ``est``."""
    x, step = max(0, math.floor(est) - 1 if smallest else math.ceil(est) + 1), 1 if smallest else -1
    while not pred(x):
        x += step
        if x < 0 or abs(x - est) > 400:
            return None
    while x - step >= 0 and pred(x - step):
        x -= step
    return x


def _sort(options: list[Option]) -> list[Option]:
    return sorted((o for o in options if o), key=lambda o: (not all(s.changeable for s in o), len(o)))


class _Case:
    """One collective's facts, parsed and derived, and the moment of the evaluation: what every
    suggestion is worked out from and checked against (``valid``, ``pick``, ``feasible``)."""

    def __init__(self, engine: Engine, facts: Mapping[str, Any], as_of: Any) -> None:
        self.engine, self.facts, self.rs, self.tz = engine, facts, engine.ruleset, engine.ruleset.time_zone
        self.parsed = engine.parse(facts)
        self.values = {**self.parsed.values, **derive(self.rs, self.parsed)}
        self.moment = as_of_moment(as_of, self.tz)
        self.values.update({"as_of": self.moment} if self.moment is not None else {})
        self.derivs = {f"derived.{d.name}": d for d in self.rs.derived}
        self.words = _Words(vocabulary(self.rs.subject, self.rs))

    def truth(self, n: C.RNode) -> Any:
        return Evaluator(self.values, self.parsed.lists, self.tz).truth(n)

    def day(self, v: Any) -> Any:
        return v.astimezone(zoneinfo_zone(self.tz)).date() if isinstance(v, dt.datetime) else v

    def show(self, path: str, v: Any) -> Text:
        """A current value in words (a moment in the ruleset's zone)."""
        if isinstance(v, dt.datetime):
            v = v.astimezone(zoneinfo_zone(self.tz))
        return self.words.val(path, v)

    def valid(self, patch: dict[str, Any]) -> dict[str, Any] | None:
        """``patch`` if the patched facts are still valid facts, else None."""
        try:
            self.engine.parse(apply_patch(self.facts, patch))
        except FactsError:
            return None
        return patch

    def feasible(self, nd: Need) -> tuple[bool, Text | None, dt.date | None]:
        """Can a new event still fall on a needed day? (changeable, why not, the day to use)"""
        hi = nd["hi"]
        if hi is not None and (self.moment is None or self.moment.date() > hi):
            # no as_of is judged as after every deadline: a day up to `hi` would be a back-dated record
            d = Text(zh=T.date_text(hi, "zh"), en=T.date_text(hi, "en"))
            return False, Text(
                zh=f"期限已于{d.zh}届满，现已无法补办；如原有记录录入有误，应更正原记录，不得补记",
                en=f"the period ended on {d.en}: it cannot be done now, and a record must not be back-dated; "
                   f"if an existing record was entered wrongly, correct that record"), hi
        if self.moment is None:
            return True, None, nd["lo"]
        today = self.moment.date()
        return True, None, None if nd["lo"] is not None and today < nd["lo"] else today

    def pick(self, nd: Need, day: dt.date | None) -> Any:
        """A concrete JSON value meeting ``nd`` (on ``day`` for dates), or NO_VALUE if there is no single one."""
        if nd["type"] in ("date", "instant"):
            if day is None or nd["type"] == "date":
                return NO_VALUE if day is None else day.isoformat()
            if self.moment is not None and day == self.moment.date():
                return self.moment.isoformat()
            return dt.datetime.combine(day, dt.time(12), zoneinfo_zone(self.tz)).isoformat()
        if nd["in"] is not None:
            return nd["in"][0] if len(nd["in"]) == 1 else NO_VALUE
        return nd["lo"] if nd["lo"] is not None else nd["hi"] if nd["hi"] is not None else NO_VALUE


class _FactFixes:
    """Changes of one top-level or derived fact: the value to reach, a person to replace, the items
    a distinct count should lose, the counts a share needs."""

    def __init__(self, case: _Case) -> None:
        self.case = case

    def fact(self, path: str, nd: Need) -> Suggestion:
        """A top-level fact compared with constants: the value to reach (not feasible for a fact the
        subject does not decide, such as a unit's quota)."""
        cur, w = self.case.values.get(path), self.case.words
        theirs = path not in _NOT_THEIRS
        if nd["type"] == "number" and nd["in"] is None and not nd["ne"] and isinstance(cur, int):
            up = nd["lo"] is not None and cur < nd["lo"]
            new, (en, zh) = (nd["lo"], _OPW[">="]) if up else (nd["hi"], _OPW["<="])
            _, unit, _ = w.count_noun(path)
            note = Text(zh=f"（须{zh}{new}{unit}）", en=f" ({en} {new})")
            return Suggestion(path, _count_change(w, path, cur, new, note),
                              self.case.valid({path: new}), theirs, _NOT_THEIRS.get(path))
        if nd["type"] in ("date", "instant") and path in _PERSON:
            return self.person(path, nd["lo"], nd["hi"], _NO, _NO)
        want, value, now = _need_text(w, path, nd), self.case.pick(nd, nd["hi"] or nd["lo"]), self.case.show(path, cur)
        return Suggestion(path, Text(zh=f"{want.zh}（现为{now.zh}）", en=f"{want.en} instead of {now.en}"),
                          None if value is NO_VALUE else self.case.valid({path: value}), theirs, _NOT_THEIRS.get(path))

    def person(self, path: str, lo: dt.date | None, hi: dt.date | None, age: Text, then: Text) -> Suggestion:
        """A birth date cannot change, but the person can be replaced: "a different 号长 born on or after …"."""
        who, cur, bound = _PERSON[path], self.case.values[path], lo or hi
        d = {k: Text(zh=T.date_text(v, "zh"), en=T.date_text(v, "en"))
             for k, v in (("lo", lo), ("hi", hi), ("cur", cur)) if v is not None}
        born = Text(zh=f"{d['lo'].zh}至{d['hi'].zh}之间出生", en=f"born between {d['lo'].en} and {d['hi'].en}") \
            if lo and hi else Text(zh=f"{d['lo'].zh}或之后出生", en=f"born on or after {d['lo'].en}") if lo else \
            Text(zh=f"{d['hi'].zh}或之前出生", en=f"born on or before {d['hi'].en}")
        ok = bound is not None and (self.case.moment is None or bound <= self.case.moment.date())
        return Suggestion(path, Text(
            zh=f"另选一位{age.zh}的{who.zh}（{born.zh}）：现任{who.zh}生于{d['cur'].zh}{then.zh}；"
               f"出生日期无法更改，但可另选{who.zh}",
            en=f"a different {who.en}{age.en and ' '}{age.en} ({born.en}): the current one was born on {d['cur'].en}"
               f"{then.en}; a birth date cannot change, but another {who.en} can be appointed"),
            self.case.valid({path: bound.isoformat()}) if ok and bound else None)

    def derived(self, d: Derivation, op: str, limit: Any) -> Suggestion | None:
        """A derived fact compared with a constant: an age through its birth date, a count of distinct values."""
        if d.function == "age_in_full_years" and d.of in _PERSON and d.at and op in _OPW and isinstance(limit, int):
            ref, older = self.case.rs.parameter(d.at).value, op in (">", ">=")
            completes = str(self.case.rs.parameter(d.completes).value) if d.completes else "on_birthday"
            age = limit + (op == ">") - (op == "<")
            try:
                days = _int_search(lambda k: bool(OPS[op](age_in_full_years(ref - dt.timedelta(days=k), ref,
                                                                             completes), limit)),
                                   365.2425 * (age + (not older)), smallest=older)
            except OverflowError:  # a birth date before 0001-01-01 would be needed
                return None
            if days is None:
                return None
            birth, cur = ref - dt.timedelta(days=days), self.case.values.get(f"derived.{d.name}")
            on = Text(zh=T.date_text(ref, "zh"), en=T.date_text(ref, "en"))
            return self.person(d.of, None if older else birth, birth if older else None,
                               Text(zh=f"截至{on.zh}{'已满' if older else '不超过'}{age}周岁",
                                    en=f"aged {age} or {'over' if older else 'under'} on {on.en}"),
                               Text(zh=f"，届时{cur}周岁", en=f" and would be {cur}"))
        if d.function == "count_distinct" and op in ("<", "<=") and "[]." in d.of and isinstance(limit, int):
            return self.distinct(d, limit - (op == "<"))
        return None

    def distinct(self, d: Derivation, keep: int) -> Suggestion:
        """``count_distinct`` <= n: keep the n most used values, withdraw the items with the others."""
        lst, field = d.of.split("[].", 1)
        groups: dict[Any, list[int]] = {}
        items = self.case.parsed.lists.get(lst, ())
        for i in counted_items(d, self.case.parsed) or ():  # only the items the count counted (its `where`)
            groups.setdefault(item_key(items[i], field), []).append(i)
        order = sorted(groups, key=lambda k: (-len(groups[k]), groups[k][0]))
        w = self.case.words
        lab = w.lab(d.of)
        short = Text(zh=lab.zh.split("（", 1)[0], en=lab.en.split(" (", 1)[0])

        def value(k: Any) -> Text:
            """A distinct value in words: 属地共青团广州市委 / locality line 共青团广州市委."""
            def sub_path(sub: str) -> str:  # an item's flattened field (channel.kind) or one under d.of
                return f"{lst}[].{sub}" if sub.startswith(field + ".") else f"{d.of}.{sub}"
            parts = [w.val(sub_path(sub), v) for sub, v in k] if isinstance(k, tuple) else [w.val(d.of, k)]
            return Text(zh="".join(t.zh for t in parts), en=" ".join(t.en for t in parts))

        def described(ks: list[Any]) -> Text:
            """The items of each value, by place, with the value: 第2项网络报备（报备渠道为属地共青团广州市委）."""
            ts = [(w.item(lst, i), value(k)) for k in ks for i in groups[k]]
            return Text(zh="、".join(f"{t.zh}（{short.zh}为{v.zh}）" for t, v in ts),
                        en=", ".join(f"{t.en} ({short.en}: {v.en})" for t, v in ts))
        drop = sorted((i for k in order[keep:] for i in groups[k]), reverse=True)
        head = Text(zh=f"{lab.zh}只保留{keep}种", en=f"keep only {keep} distinct {lab.en}")
        g, kept = described(order[keep:]), described(order[:keep])
        return Suggestion(d.of, Text(zh=f"{head.zh}：撤回{g.zh}，保留{kept.zh}",
                                     en=f"{head.en}: withdraw {g.en}; keep {kept.en}"),
                          self.case.valid({f"{lst}.{i}": None for i in drop}))

    def share(self, a: C.Fact, op: str, arith: C.Arith) -> list[Option]:
        """``a >= b * k``: the least ``a`` with ``b`` as it is, or else the most ``b`` with ``a`` as it is."""
        b, k = (arith.left, arith.right) if isinstance(arith.right, C.Const) else (arith.right, arith.left)
        if arith.op not in ("*", "/") or not isinstance(b, C.Fact) or not isinstance(k, C.Const) or k.value <= 0 or \
                b.path in self.case.derivs or a.path in self.case.derivs:
            return []
        # exact, as both engines decide it: 0.55 is 55/100, and `/ 3` is a third
        kv = Fraction(k.value) if arith.op == "*" else 1 / Fraction(k.value)
        av, bv, up, out = self.case.values[a.path], self.case.values[b.path], op in (">=", ">"), list[Option]()
        t, w = bv * kv, self.case.words
        (za, ua, ea), (zb, ub, eb) = w.count_noun(a.path), w.count_noun(b.path)
        na = _int_search(lambda x: bool(OPS[op](x, bv * kv)), t, smallest=up)
        if na is not None:
            of = Text(zh=f"{bv}{ub}的{_exact(kv)}倍", en=f"{_exact(kv)} times {bv}") if kv > 1 else \
                Text(zh=f"{bv}{ub}的{T.pct_text(kv)}%", en=f"{T.pct_text(kv)}% of {bv}")
            note = Text(zh=f"（{of.zh}为{_exact(t)}{ua}，即{'至少' if up else '至多'}{na}{ua}）",
                        en=f" ({of.en} is {_exact(t)}, so {'at least' if up else 'at most'} {na})")
            out.append((Suggestion(a.path, _count_change(w, a.path, av, na, note), self.case.valid({a.path: na}),
                                   a.path not in _NOT_THEIRS, _NOT_THEIRS.get(a.path)),))
        nb = _int_search(lambda y: bool(OPS[op](av, y * kv)), av / kv, smallest=not up)
        if nb is not None and nb != bv:
            note = Text(zh=f"（{za}仍为{av}{ua}时，{zb}{'最多' if up else '最少'}为{nb}{ub}）",
                        en=f" (with {ea} kept at {av}, {eb} can be {'at most' if up else 'at least'} {nb})")
            out.append((Suggestion(b.path, _count_change(w, b.path, bv, nb, note), self.case.valid({b.path: nb}),
                                   b.path not in _NOT_THEIRS, _NOT_THEIRS.get(b.path)),))
        return out


class _ListFixes:
    """Changes of a list of past events: an item to add, or a wrongly recorded item's field to correct."""

    def __init__(self, case: _Case) -> None:
        self.case = case

    def any_options(self, n: C.Quant) -> list[Option]:
        """``any(x in list, body)``: add an item meeting one alternative of the body, or correct the nearest one."""
        alts, items, out = _Alternatives().visit(n.body), self.case.parsed.lists.get(n.list, ()), list[Option]()
        for needs in alts or []:
            fails = [[f for f, nd in needs.items() if not _meets(nd, self.case.day(it.get(f)))] for it in items]
            near = min(range(len(items)), key=lambda i: len(fails[i]), default=None)
            out.append((self.new_item(n.list, needs, near),))
            if near is not None and fails[near]:
                out.append(tuple(self.correct(n.list, near, f, needs[f]) for f in fails[near]))
        return _sort(out) if alts is not None else [(_generic(self.case, n),)]

    def new_item(self, lst: str, needs: dict[str, Need], near: int | None) -> Suggestion:
        """A new item meeting ``needs`` (the nearest one's required fields otherwise); an event whose day
        has passed cannot be added (that would be a back-dated record): only a wrong record can be corrected."""
        w = self.case.words
        sing, noun = _list_nouns(w.vocab, lst)
        ok, why, day = True, None, None
        for nd in (nd for nd in needs.values() if nd["type"] in ("date", "instant")):
            good, wy, d = self.case.feasible(nd)
            ok, why, day = ok and good, why or wy, day or d
        spec = {p.split("[].", 1)[1]: s for p, s in w.vocab.fields().items() if p.startswith(lst + "[].")}
        item = copy.deepcopy(self.case.parsed.canonical[lst][near]) if near is not None else {}
        for f, s in spec.items():  # a new event is not the old one: keep only what it must carry (its channel)
            if not s.required_in_item and s.type == "str" and _get(item, f) is not None:
                _drop(item, f)
        values = {f: self.case.pick(nd, day) for f, nd in needs.items()}
        for f, s in spec.items():  # the other dates of a copied item are the new event's too
            if f not in needs and s.type in ("date", "instant") and day is not None and _get(item, f) is not None:
                values[f] = self.case.pick(_need(s.type), day)
        for f, v in values.items():
            *heads, last = f.split(".")
            node = item
            for h in heads:
                node = node.setdefault(h, {})
            node[last] = v
        complete = all(v is not NO_VALUE for v in values.values()) and all(
            _get(item, f) is not None for f, s in spec.items() if s.required_in_item)
        want = [_need_text(w, f"{lst}[].{f}", self.from_now(nd) if ok else nd) for f, nd in needs.items()]
        wz, we = "；".join(x.zh for x in want), "; ".join(x.en for x in want)
        a = "an" if sing[:1].lower() in "aeiou" else "a"
        change = Text(zh=f"新增一项{noun}，满足：{wz}", en=f"add {a} {sing} such that: {we}") if ok else \
            Text(zh=f"须有一项满足以下要求的{noun}：{wz}", en=f"{a} {sing} would be needed such that: {we}")
        return Suggestion(lst, change,
                          self.case.valid({f"{lst}.{len(self.case.parsed.lists.get(lst, ()))}": item}) if complete
                          else None, ok, why)

    def from_now(self, nd: Need) -> Need:
        """A date need of a new event as it can still be met: from the evaluation day on (a day before it
        would be a back-dated record); unchanged without an evaluation moment or for other types."""
        if nd["type"] not in ("date", "instant") or self.case.moment is None:
            return nd
        today = self.case.moment.date()
        return nd if nd["lo"] is not None and nd["lo"] >= today else {**nd, "lo": today}

    def correct(self, lst: str, i: int, f: str, nd: Need) -> Suggestion:
        """A field of an existing item: the record of a past event, correctable only if it was entered wrongly."""
        w = self.case.words
        path = f"{lst}[].{f}"
        it = w.item(lst, i)
        want, value, now = _need_text(w, path, nd), self.case.pick(nd, nd["hi"] or nd["lo"]), \
            self.case.show(path, self.case.parsed.lists[lst][i].get(f))
        return Suggestion(f"{lst}[{i}].{f}", Text(zh=f"{it.zh}：{want.zh}（现为{now.zh}）",
                                                  en=f"{it.en}: {want.en} instead of {now.en}"),
                          None if value is NO_VALUE else self.case.valid({f"{lst}.{i}.{f}": value}), False, Text(
            zh=f"{it.zh}是已发生事项的记录，不能更改；仅当录入有误时可更正",
            en=f"{it.en} records a past event; it cannot change (correct it only if it was recorded wrongly)"))


class _Options(Visitor[list[Option]]):
    """The ways to make a condition true, each a tuple of changes needed together (``[()]`` if it
    already holds): every failing part of an ``and``, any part of an ``or``, an item for ``any``,
    the value a compared fact must reach; what has no smaller change names what it reads."""

    def __init__(self, case: _Case) -> None:
        self.case, self.facts, self.lists = case, _FactFixes(case), _ListFixes(case)

    def visit(self, node: C.RNode) -> list[Option]:
        if self.case.truth(node) is True:
            return [()]
        return super().visit(node)

    def visit_and(self, n: C.And) -> list[Option]:  # every failing part, each in its best ways first
        parts = [self.visit(x) for x in n.items if self.case.truth(x) is not True]
        return _sort([tuple(itertools.chain(*c)) for c in itertools.islice(itertools.product(*parts), 12)])

    def visit_or(self, n: C.Or) -> list[Option]:
        return _sort([o for x in n.items for o in self.visit(x)])

    def visit_quant(self, n: C.Quant) -> list[Option]:
        return self.lists.any_options(n) if n.kind == "any" else self.default(n)

    def visit_cmp(self, n: C.Cmp) -> list[Option]:
        left, op, right = (n.right, MIRRORED[n.op], n.left) if isinstance(n.left, (C.Const, C.Arith)) else \
            (n.left, n.op, n.right)
        found: list[Option] = []
        derivs = self.case.derivs
        if isinstance(left, C.Fact) and left.path in derivs and isinstance(right, C.Const):
            s = self.facts.derived(derivs[left.path], op, right.value)
            found = [(s,)] if s else []
        elif isinstance(left, C.Fact) and isinstance(right, C.Arith) and op in _OPW:
            found = self.facts.share(left, op, right)
        return found or self.default(n)

    def default(self, n: C.RNode) -> list[Option]:
        """A comparison of one fact with constants: the value to reach; else what the condition reads."""
        atom = _atom(n)
        if atom is not None and isinstance(atom[0], C.Fact) and atom[0].path not in self.case.derivs:
            return [(self.facts.fact(atom[0].path, atom[1]),)]
        return [(_generic(self.case, n),)]


def _generic(case: _Case, n: C.RNode) -> Suggestion:
    """No smaller change worked out: name what the condition reads, flagging records of the past."""
    reads = read_paths(n)
    lists = set(case.parsed.lists) | {p.split("[]", 1)[0] for p in case.words.vocab.fields() if "[]" in p}
    fixed = [p for p in reads if p in _PERSON or p in lists]
    labs, past = [case.words.lab(p) for p in reads], [case.words.lab(p) for p in fixed]
    why = Text(zh=f"{'、'.join(x.zh for x in past)}记录的是已发生的事项",
               en=f"{', '.join(x.en for x in past)} record past events")
    return Suggestion(reads[0] if reads else "", Text(
        zh=f"修改{'、'.join(x.zh for x in labs)}，使该项要求得到满足",
        en=f"change {', '.join(x.en for x in labs)} so that the requirement is met"), None, not fixed,
        why if fixed else None)


def _drop(doc: dict[str, Any], dotted: str) -> None:
    *heads, last = dotted.split(".")
    for h in heads:
        inner = doc.get(h)
        doc = inner if isinstance(inner, dict) else {}
    doc.pop(last, None)


def _get(doc: Any, dotted: str) -> Any:
    for h in dotted.split("."):
        doc = doc.get(h) if isinstance(doc, dict) else None
    return doc


def _fixes(engine: Engine, facts: Mapping[str, Any], as_of: Any, verdict: Verdict) -> tuple[RuleFix, ...]:
    """Options for each failed rule, and for each rule undetermined only because it is not yet due
    (no fact missing, as_of on or before its last day): what can still be done before that day."""
    ctx = _Case(engine, facts, as_of)
    options = _Options(ctx)
    out = []
    for r in verdict.rules:
        rule = engine.ruleset.rule(r.id)
        due = None
        if r.outcome == "undetermined" and not r.missing:
            decided = due_decided_from(rule, engine.ruleset, ctx.moment)
            if decided is None:
                continue
            due = decided.isoformat()
        elif r.outcome != "failed":
            continue
        out.append(RuleFix(r.id, Text(zh=r.title_zh, en=r.title_en), r.severity,
                           tuple(options.visit(rule.checked)), due))
    return tuple(out)


def _blocker(fix: RuleFix) -> Text:
    """Why a rule still fails once every changeable, concrete patch is applied (its title first)."""
    best = fix.options[0] if fix.options else ()
    bad = [s for s in best if not s.changeable]
    t = fix.title
    if bad:  # the changes are listed above: say why none of them can be made, once each reason
        why = list(dict.fromkeys(s.why_unchangeable or _NO for s in bad))
        return Text(zh=f"{t.zh}：所需修改现已无法做出（" + "；".join(w.zh for w in why) + "）",
                    en=f"{t.en}: the changes it needs cannot be made now (" + "; ".join(w.en for w in why) + ")")
    if _opt_patch(best) is None:
        return Text(zh=f"{t.zh}：无法给出单一的具体修改，须人工判断：" + "；".join(s.change.zh for s in best),
                    en=f"{t.en}: no single value can be proposed; this must be decided by hand: " +
                       "; ".join(s.change.en for s in best))
    return Text(zh=f"{t.zh}：按建议修改后仍不满足", en=f"{t.en}: still not met with its changes applied")


def _waiting(engine: Engine, r: RuleOutcome, as_of: str | None, words: _Words) -> Text:
    """Why an undetermined rule waits, in words: the facts it lacks, its due date or its finding."""
    if r.missing:
        labs = words.labs(r.missing)
        return Text(zh="缺少信息：" + labs.zh, en="missing information: " + labs.en)
    try:
        rule = engine.ruleset.rule(r.id)
    except KeyError:
        rule = None
    out = []
    for lang in ("zh", "en"):
        said = word_rule(r, rule, lang=lang, vocab=words.vocab, as_of=as_of)
        out.append(said.waiting or said.finding or ("尚无法判定" if lang == "zh" else "cannot be decided yet"))
    return Text(zh=out[0], en=out[1])


def why_not(engine: Engine, facts: Mapping[str, Any], *, as_of: Any = None) -> WhyNot:
    """For each failed rule the smallest changes that would make it pass, and the verdict with all of them.

    ``facts`` is the subject's facts mapping (as ``evaluate`` reads it); ``as_of`` an evaluation moment
    (date, ISO text or aware datetime; None: every period judged as ended). A change whose day has passed
    (a back-dated record) or that the subject does not decide (a unit's quota) is listed as not changeable
    and never enters the combined patch. Raises ``FactsError`` for bad facts."""
    verdict = engine.evaluate(facts, as_of=as_of)
    words = _Words(vocabulary(engine.ruleset.subject, engine.ruleset))
    after, fixes = verdict, _fixes(engine, facts, as_of, verdict)
    merged: dict[str, Any] = {}
    now_fixes, error, first = fixes, None, None
    for _ in range(len(engine.ruleset.rules) + 1):  # a patch may expose another shortfall (a larger total)
        new: dict[str, Any] = {}
        for fx in now_fixes:
            new.update(next((p for o in fx.options if (p := _opt_patch(o)) is not None), {}))
        new = {k: v for k, v in new.items() if k not in merged or merged[k] != v}
        if not new:
            break
        first = dict(new) if first is None else first
        merged.update(new)
        try:
            patched = apply_patch(facts, merged)
            after = engine.evaluate(patched, as_of=as_of)
            now_fixes = _fixes(engine, patched, as_of, after)
        except FactsError as exc:
            error = exc
            break
    stamp_as_of = verdict.stamp.as_of
    blockers = [(f.rule_id, _blocker(f)) for f in now_fixes] if error is None else \
        [("(facts)", Text(zh="按建议修改后的信息不完整或相互矛盾，须人工核对",
                          en=f"the changed facts are not valid facts: {error}"))]
    explained = {f.rule_id for f in now_fixes} if error is None else set()
    for r in (r for r in after.rules if r.outcome == "undetermined" and error is None and r.id not in explained):
        why = _waiting(engine, r, stamp_as_of, words)
        blockers.append((r.id, Text(zh=f"{r.title_zh}：{why.zh}", en=f"{r.title_en}: {why.en}")))
    name = facts.get("name") if isinstance(facts.get("name"), str) else None
    return WhyNot(
        subject_id=verdict.subject_id, outcome=verdict.outcome, as_of=stamp_as_of, fixes=fixes,
        undetermined=tuple(Missing(r.id, Text(zh=r.title_zh, en=r.title_en), r.missing, r.reason,
                                   words.labs(r.missing), _waiting(engine, r, stamp_as_of, words))
                           for r in verdict.rules if r.outcome == "undetermined"),
        would_be_eligible=error is None and after.outcome == "eligible", patch=merged,
        outcome_after=verdict.outcome if error else after.outcome,
        still_failing=tuple(r.id for r in after.rules if r.outcome == "failed"),
        still_undetermined=tuple(r.id for r in after.rules if r.outcome == "undetermined"), blockers=tuple(blockers),
        subject=engine.ruleset.subject, name=name.strip() or None if name else None,
        patch_words=tuple(_then(words.change(k, v), k not in (first or {}) or (first or {})[k] != v)
                          for k, v in merged.items()))


def _then(t: Text, later: bool) -> Text:
    """A merged change, flagged when it follows from the other changes (not one of the steps listed)."""
    return Text(zh=t.zh + "（随其他修改而定）", en=t.en + " (follows from the other changes)") if later else t
