"""Why not eligible: for each failed rule, the smallest changes of the facts that would make it pass.

Owns: reading a rule's resolved condition (the ``_check`` tree) backwards into suggestions (a value
to reach, the members a share lacks, the birth-date bound behind an age limit, an item to add to a
list, channels to drop), whether each change can still be made as of the evaluation, and the
combined what-if (every concrete patch of a changeable suggestion applied, then re-evaluated).
Nothing is written per rule id; what is known per fact is here: list items record past events
(their dates cannot change), and a birth date belongs to a person who can be replaced (``_PERSON``).
Must not know durable_rules.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import itertools
import json
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from . import _check as C
from ._api import Engine, as_of_moment, due_decided_from
from ._derive import age_in_full_years, counted_items, derive, item_key
from ._explain import pick_lang
from ._model import Derivation, Text
from ._moments import zone as zoneinfo_zone
from ._reference import OPS, Evaluator
from ._render_docs import FACT_LABELS, LIST_NOUNS
from ._replay import apply_patch
from ._tree import MIRRORED, NEGATED, Visitor
from ._tree import reads as read_paths
from .exceptions import FactsError
from .facts import FIELDS
from .verdict import Verdict

__all__ = ["why_not", "WhyNot", "RuleFix", "Suggestion", "Missing"]

_PERSON = {"leader.birth_date": Text(zh="号长", en="号长")}  # date facts of a person who can be replaced
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

_UI: dict[str, dict[str, Any]] = {
    "en": dict(o={"eligible": "eligible", "ineligible": "not eligible", "undetermined": "undetermined"},
               asof=" (as of {a})", supply="supply {m}",
               due="not yet due, decided from {d}; until then it passes with:",
               cannot="cannot be changed now: ", none="none",
               eligible="It is eligible: there is nothing to change.",
               ok="With every changeable patch ({p}) it would be eligible.",
               no="With every changeable patch ({p}) it would still be {o}:"),
    "zh": dict(o={"eligible": "符合资格", "ineligible": "不符合资格", "undetermined": "尚无法判定"},
               asof="（评估时刻 {a}）", supply="需补充 {m}",
               due="尚未到期，{d}起判定；在此之前满足以下任一项即可通过：",
               cannot="现已无法更改：", none="无",
               eligible="已符合资格，无需修改。",
               ok="采纳全部可行的修改（{p}）后即符合资格。", no="即使采纳全部可行的修改（{p}），仍{o}：")}


@attrs.frozen
class WhyNot(_Doc):
    """Why a collective is not eligible, what would change that, and whether all the changes together suffice."""

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

    def to_text(self, lang: str = "zh") -> str:
        """A short readable list in ``zh`` or ``en``."""
        u = _UI[lang]

        def said(t: Text) -> str:
            return t.en if lang == "en" else t.zh

        def shown(p: Any) -> str:  # each item as `evaluate --set` takes it (PATH= deletes)
            return ", ".join(set_text(k, v) for k, v in p or ()) or str(u["none"])
        lines = [f"{self.subject_id}: {u['o'][self.outcome]}" + (u["asof"].format(a=self.as_of) if self.as_of else "")]
        for f in self.fixes:
            lines.append(f"✗ {f.rule_id} — {said(f.title)}" if f.due is None else
                         f"? {f.rule_id} — {said(f.title)}: " + u["due"].format(d=f.due))
            for i, o in enumerate(f.options, 1):
                for j, s in enumerate(o):
                    lines.append((f"  {i}. " if j == 0 else "     ") + said(s.change) +
                                 (f" [{shown(s.patch)}]" if s.patch is not None else ""))
                    if not s.changeable and s.why_unchangeable:
                        lines.append(f"       ⚠ {u['cannot']}{said(s.why_unchangeable)}")
        lines += [f"? {m.rule_id} — {said(m.title)}: " + (u["supply"].format(m=", ".join(m.missing)) if m.missing
                                                         else pick_lang(m.reason or "", lang))
                  for m in self.undetermined if m.rule_id not in {f.rule_id for f in self.fixes}]
        if self.outcome == "eligible" and not self.fixes:
            return "\n".join([*lines, "→ " + u["eligible"]]) + "\n"
        if self.would_be_eligible:
            return "\n".join([*lines, "→ " + u["ok"].format(p=shown(self.patch))]) + "\n"
        lines.append("→ " + u["no"].format(p=shown(self.patch), o=u["o"][self.outcome_after]))
        return "\n".join(lines + [f"   - {r}: {said(t)}" for r, t in self.blockers]) + "\n"


def set_text(path: str, value: Any) -> str:
    """One change as ``evaluate --set`` reads it back: ``PATH=`` deletes, else ``PATH=JSON``."""
    return f"{path}=" if value is None else f"{path}={json.dumps(value, ensure_ascii=False)}"


# ---- words -------------------------------------------------------------------------------------------

def _lab(path: str) -> Text:
    en, zh = FACT_LABELS.get(path, (path, path))
    return Text(zh=zh, en=en)


def _need_text(lab: Text, nd: Need) -> Text:
    """One field's constraint in words: value(s), exclusions, a range (dates as lo..hi)."""
    en, zh = [], []
    if nd["in"] is not None:
        vs = [str(v) for v in nd["in"]]
        en.append(f"{lab.en}: {vs[0]}" if len(vs) == 1 else f"{lab.en}: one of {', '.join(vs)}")
        zh.append(f"{lab.zh}为 {vs[0]}" if len(vs) == 1 else f"{lab.zh}为 {'、'.join(vs)} 之一")
    if nd["ne"]:
        en.append(f"{lab.en}: not {', '.join(map(str, nd['ne']))}")
        zh.append(f"{lab.zh}不为 {'、'.join(map(str, nd['ne']))}")
    lo, hi, day = nd["lo"], nd["hi"], nd["type"] in ("date", "instant")
    if lo is not None and hi is not None:
        en.append(f"{lab.en}: within {lo}..{hi}" if day else f"{lab.en}: between {lo} and {hi}")
        zh.append(f"{lab.zh}在 {lo} 至 {hi} 之间（含首尾）")
    elif lo is not None or hi is not None:
        w = {(True, True): ("on or before", "不晚于"), (True, False): ("on or after", "不早于"),
             (False, True): ("at most", "不超过"), (False, False): ("at least", "不少于")}[(day, hi is not None)]
        en.append(f"{lab.en}: {w[0]} {hi if hi is not None else lo}")
        zh.append(f"{lab.zh}{w[1]} {hi if hi is not None else lo}")
    return Text(zh="，".join(zh), en=", ".join(en))


def _count_change(path: str, cur: int, new: int, note: Text) -> Text:
    """Wording like "2 more members aged 35 (周岁) or under: 12 instead of 10", from the fact's label."""
    lab, d, more = _lab(path), abs(new - cur), new > cur
    noun = lab.en.removeprefix("the ").removeprefix("total ").removeprefix("number of ")
    noun = "member" + noun[7:] if d == 1 and noun.startswith("members") else noun
    zn = lab.zh.removesuffix("人数").removesuffix("总数")
    unit = "名" if zn.endswith("成员") else ""
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

    def truth(self, n: C.RNode) -> Any:
        return Evaluator(self.values, self.parsed.lists, self.tz).truth(n)

    def day(self, v: Any) -> Any:
        return v.astimezone(zoneinfo_zone(self.tz)).date() if isinstance(v, dt.datetime) else v

    def show(self, v: Any) -> str:
        return v.astimezone(zoneinfo_zone(self.tz)).strftime("%Y-%m-%d %H:%M") if isinstance(v, dt.datetime) else str(v)

    def valid(self, patch: dict[str, Any]) -> dict[str, Any] | None:
        """``patch`` if the patched facts are still valid facts, else None."""
        try:
            self.engine.parse(apply_patch(self.facts, patch))
        except FactsError:
            return None
        return patch

    def feasible(self, nd: Need) -> tuple[bool, Text | None, dt.date | None]:
        """Can a new event still fall on a needed day? (changeable, why not, the day to use)"""
        if self.moment is None:
            return True, None, nd["hi"] or nd["lo"]
        today = self.moment.date()
        if nd["hi"] is not None and today > nd["hi"]:
            hi = nd["hi"]
            return False, Text(zh=f"须为 {hi} 或之前的日期，已早于评估日（{today}），无法补办",
                               en=f"would need a date on or before {hi}, which is before as_of ({today})"), hi
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
        """A top-level fact compared with constants: the value to reach."""
        cur = self.case.values.get(path)
        if nd["type"] == "number" and nd["in"] is None and not nd["ne"] and isinstance(cur, int):
            up = nd["lo"] is not None and cur < nd["lo"]
            new, (en, zh) = (nd["lo"], _OPW[">="]) if up else (nd["hi"], _OPW["<="])
            return Suggestion(path, _count_change(path, cur, new, Text(zh=f"（须{zh} {new}）", en=f" ({en} {new})")),
                              self.case.valid({path: new}))
        if nd["type"] in ("date", "instant") and path in _PERSON:
            return self.person(path, nd["lo"], nd["hi"], _NO, _NO)
        want, value, now = _need_text(_lab(path), nd), self.case.pick(nd, nd["hi"] or nd["lo"]), self.case.show(cur)
        return Suggestion(path, Text(zh=f"{want.zh}（现为 {now}）", en=f"{want.en} instead of {now}"),
                          None if value is NO_VALUE else self.case.valid({path: value}))

    def person(self, path: str, lo: dt.date | None, hi: dt.date | None, age: Text, then: Text) -> Suggestion:
        """A birth date cannot change, but the person can be replaced: "a different 号长 born on or after …"."""
        who, cur, bound = _PERSON[path], self.case.values[path], lo or hi
        born = Text(zh=f"{lo} 至 {hi} 之间出生", en=f"born {lo}..{hi}") if lo and hi else \
            Text(zh=f"{lo} 或之后出生", en=f"born on or after {lo}") if lo else \
            Text(zh=f"{hi} 或之前出生", en=f"born on or before {hi}")
        ok = bound is not None and (self.case.moment is None or bound <= self.case.moment.date())
        return Suggestion(path, Text(
            zh=f"另选一位{age.zh}的{who.zh}（{born.zh}）：现任{who.zh}生于 {cur}{then.zh}；"
               f"出生日期无法更改，但可另选{who.zh}",
            en=f"a different {who.en}{age.en and ' '}{age.en} ({born.en}): the current one was born on {cur}{then.en}; "
               f"a birth date cannot change, but another {who.en} can be appointed"),
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
            return self.person(d.of, None if older else birth, birth if older else None,
                               Text(zh=f"于 {ref} {'年满' if older else '不超过'}{age}周岁",
                                    en=f"aged {age} or {'over' if older else 'under'} on {ref}"),
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

        def shown(ks: list[Any]) -> str:
            return "; ".join(" / ".join(str(v) for _, v in k) if isinstance(k, tuple) else str(k) for k in ks)
        drop = sorted((i for k in order[keep:] for i in groups[k]), reverse=True)
        gone = f"{', '.join(f'{lst}[{i}]' for i in reversed(drop))} ({shown(order[keep:])})"
        head = Text(zh=f"只经{keep}个渠道报备", en=f"file through only {keep} channel(s)") if lst == "filings" else \
            Text(zh=f"{_lab(d.of).zh}只保留{keep}种", en=f"keep only {keep} distinct {_lab(d.of).en}")
        return Suggestion(d.of, Text(zh=f"{head.zh}：撤回 {gone}，保留 {shown(order[:keep])}",
                                     en=f"{head.en}: withdraw {gone}, keep {shown(order[:keep])}"),
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
        t, w = bv * kv, _OPW[op]
        na = _int_search(lambda x: bool(OPS[op](x, bv * kv)), t, smallest=up)
        if na is not None:
            sum_ = f"{bv} × {_exact(kv)} = {_exact(t)}"
            note = Text(zh=f"（须{w[1]} {sum_}）", en=f" ({w[0]} {sum_})")
            out.append((Suggestion(a.path, _count_change(a.path, av, na, note), self.case.valid({a.path: na})),))
        nb = _int_search(lambda y: bool(OPS[op](av, y * kv)), av / kv, smallest=not up)
        if nb is not None and nb != bv:
            la = _lab(a.path)
            note = Text(zh=f"（{la.zh}保持 {av} 时的{'上限' if up else '下限'}）",
                        en=f" (the {'most' if up else 'least'} that works with {la.en} kept at {av})")
            out.append((Suggestion(b.path, _count_change(b.path, bv, nb, note), self.case.valid({b.path: nb})),))
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
        return _sort(out) if alts is not None else [(_generic(n),)]

    def new_item(self, lst: str, needs: dict[str, Need], near: int | None) -> Suggestion:
        """A new item meeting ``needs`` (a copy of the nearest one otherwise); a past day cannot be used."""
        sing, _, noun = LIST_NOUNS.get(lst, (lst, lst, lst))
        ok, why, day = True, None, None
        for nd in (nd for nd in needs.values() if nd["type"] in ("date", "instant")):
            good, w, d = self.case.feasible(nd)
            ok, why, day = ok and good, why or w, day or d
        item = copy.deepcopy(self.case.parsed.canonical[lst][near]) if near is not None else {}
        spec = {p.split("[].", 1)[1]: s for p, s in FIELDS.items() if p.startswith(lst + "[].")}
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
        want = [_need_text(_lab(f"{lst}[].{f}"), nd) for f, nd in needs.items()]
        return Suggestion(lst, Text(
            zh=f"新增一项{noun}（或更正录入有误的一项），满足：{'；'.join(w.zh for w in want)}",
            en=f"add one more {sing} (or correct a wrongly recorded one) such that: {'; '.join(w.en for w in want)}"),
            self.case.valid({f"{lst}.{len(self.case.parsed.lists.get(lst, ()))}": item}) if complete else None, ok, why)

    def correct(self, lst: str, i: int, f: str, nd: Need) -> Suggestion:
        """A field of an existing item: the record of a past event, correctable only if it was entered wrongly."""
        sing, _, noun = LIST_NOUNS.get(lst, (lst, lst, lst))
        want, value, now = _need_text(_lab(f"{lst}[].{f}"), nd), self.case.pick(nd, nd["hi"] or nd["lo"]), \
            self.case.show(self.case.parsed.lists[lst][i].get(f))
        return Suggestion(f"{lst}[{i}].{f}", Text(zh=f"{lst}[{i}]：{want.zh}（现为 {now}）",
                                                  en=f"{lst}[{i}]: {want.en} instead of {now}"),
                          None if value is NO_VALUE else self.case.valid({f"{lst}.{i}.{f}": value}), False, Text(
            zh=f"{lst}[{i}] 是已发生的{noun}记录，不能更改；仅当录入有误时可更正",
            en=f"{lst}[{i}] records a past {sing}; it cannot change (correct it only if it was recorded wrongly)"))


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
        return [(_generic(n),)]


def _generic(n: C.RNode) -> Suggestion:
    """No smaller change worked out: name what the condition reads, flagging records of the past."""
    reads = read_paths(n)
    fixed, labs = [p for p in reads if p in _PERSON or p in LIST_NOUNS], [_lab(p) for p in reads]
    past = Text(zh=f"{'、'.join(fixed)} 记录的是已发生的事", en=f"{', '.join(fixed)} record past events")
    return Suggestion(reads[0] if reads else "", Text(
        zh=f"修改{'、'.join(x.zh for x in labs)}，使该条件成立",
        en=f"change {', '.join(x.en for x in labs)} so that this condition holds"), None, not fixed,
        past if fixed else None)


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
    """Why a rule still fails once every changeable, concrete patch is applied."""
    best = fix.options[0] if fix.options else ()
    bad = [s for s in best if not s.changeable]
    if bad:
        why = [(s.change, s.why_unchangeable or _NO) for s in bad]
        return Text(zh="需要现已无法做出的修改：" + "；".join(f"{c.zh}（{w.zh}）" for c, w in why),
                    en="needs a change that cannot be made now: " + "; ".join(f"{c.en} ({w.en})" for c, w in why))
    if _opt_patch(best) is None:
        return Text(zh="所需修改没有单一的具体取值，须人工决定：" + "；".join(s.change.zh for s in best),
                    en="needs a change without one concrete value, to decide by hand: " +
                       "; ".join(s.change.en for s in best))
    return Text(zh="已按建议修改，仍不满足", en="still fails with its changes applied")


def why_not(engine: Engine, facts: Mapping[str, Any], *, as_of: Any = None) -> WhyNot:
    """For each failed rule the smallest changes that would make it pass, and the verdict with all of them."""
    verdict = engine.evaluate(facts, as_of=as_of)
    after, fixes = verdict, _fixes(engine, facts, as_of, verdict)
    merged: dict[str, Any] = {}
    now_fixes, error = fixes, None
    for _ in range(len(engine.ruleset.rules) + 1):  # a patch may expose another shortfall (a larger total)
        new: dict[str, Any] = {}
        for fx in now_fixes:
            new.update(next((p for o in fx.options if (p := _opt_patch(o)) is not None), {}))
        new = {k: v for k, v in new.items() if k not in merged or merged[k] != v}
        if not new:
            break
        merged.update(new)
        try:
            patched = apply_patch(facts, merged)
            after = engine.evaluate(patched, as_of=as_of)
            now_fixes = _fixes(engine, patched, as_of, after)
        except FactsError as exc:
            error = exc
            break
    blockers = [(f.rule_id, _blocker(f)) for f in now_fixes] if error is None else \
        [("(facts)", Text(zh=f"修改后的事实无效：{error}", en=f"the patched facts are invalid: {error}"))]
    explained = {f.rule_id for f in now_fixes} if error is None else set()
    for r in (r for r in after.rules if r.outcome == "undetermined" and error is None and r.id not in explained):
        m = ", ".join(r.missing)
        blockers.append((r.id, Text(zh=f"待定：需补充 {m}", en=f"undetermined: supply {m}") if m else
                         Text(zh=pick_lang(r.reason or "", "zh"), en=pick_lang(r.reason or "", "en"))))
    return WhyNot(
        subject_id=verdict.subject_id, outcome=verdict.outcome, as_of=verdict.stamp.as_of, fixes=fixes,
        undetermined=tuple(Missing(r.id, Text(zh=r.title_zh, en=r.title_en), r.missing, r.reason)
                           for r in verdict.rules if r.outcome == "undetermined"),
        would_be_eligible=error is None and after.outcome == "eligible", patch=merged,
        outcome_after=verdict.outcome if error else after.outcome,
        still_failing=tuple(r.id for r in after.rules if r.outcome == "failed"),
        still_undetermined=tuple(r.id for r in after.rules if r.outcome == "undetermined"), blockers=tuple(blockers))
