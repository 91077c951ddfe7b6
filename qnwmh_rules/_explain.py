"""Explanations of a verdict for people: an auditor's note in Chinese or English, as text or HTML.

Owns: turning a ``Verdict`` into a note that reads like an auditor's, not a trace. The outcome
comes first, then each failed and each undetermined rule with the clause it cites (quoted), the
values it read and the threshold it was held to, then the rules that passed, the interpretations
applied and the reproducibility stamp. ``explain_text`` gives plain text, ``explain_html`` one
self-contained HTML file (inline CSS, no scripts, nothing fetched). Both are deterministic.

Must not know durable_rules, YAML or how outcomes are decided: it reads only the verdict's
fields. It recognises a few condition shapes (a share of members, a range of members, the
号长's age and nationality, honours, filings, reporting lines) on the resolved tree of the rule's
recorded ``condition`` (``_check.recorded_condition``: read once, its constants naming the
``params`` they hold), with ``values``, to phrase them per rule, and words any other condition
generically; no expression is matched on the condition's text. The rule's
own outcome decides the wording ("below" / "not below"); nothing is re-evaluated here.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import attrs

from ._check import recorded_condition
from ._tree import And, Arith, Cmp, Const, Fact, InWindow, Item, Or, Quant, RNode
from .verdict import RuleOutcome, Verdict

__all__ = ["explain_text", "explain_html", "LANGS", "pick_lang"]

LANGS = ("zh", "en")
_GROUP_ORDER = ("failed", "undetermined", "passed", "not_applicable")


# ---------------------------------------------------------------------------------------------
# words


_W: dict[str, dict[str, str]] = {
    "zh": {
        "doc_title": "资格核查说明：{id}",
        "o.eligible": "符合资格", "o.ineligible": "不符合资格", "o.undetermined": "尚无法判定是否符合资格",
        "unit.doc_title": "考评核查说明：{id}", "unit.o.eligible": "符合要求", "unit.o.ineligible": "未达到要求",
        "unit.o.undetermined": "尚无法判定是否达到要求",
        "unit.headline": "管理单位 {id} {outcome}（{code}），依据 {term} 年度规则集 {rs} {version}。",
        "headline": "集体 {id} {outcome}（{code}），依据 {term} 年度规则集 {rs} {version}（地区：{region}）。",
        "national": "全国",
        "g.failed": "未通过的规则", "g.undetermined": "待定的规则", "g.passed": "通过的规则",
        "g.not_applicable": "不适用的规则", "g.other": "其他结果（{o}）的规则",
        "n.failed": "未通过 {n} 条", "n.undetermined": "待定 {n} 条", "n.passed": "通过 {n} 条",
        "n.not_applicable": "不适用 {n} 条", "n.other": "{o} {n} 条",
        "counts": "共 {total} 条规则：{parts}。", "counts_sep": "，",
        "missing_all": "缺少的事实：{paths}。",
        "count_head": "{label}（{n}）",
        "rule_head": "{title}（{id}）", "advisory": "〔建议性规则，不影响结论〕",
        "l.cites": "依据", "l.finding": "核查", "l.missing": "缺少事实", "l.reason": "原因",
        "l.required": "要求",
        "cite.head": "{source}{clause}", "cite": "{head}：“{text}”",
        "interp": "采用的解释", "interp.rule": "规则 {id}", "interp.param": "参数 {name}（用于 {ids}）",
        "interp.none": "（无）",
        "stamp": "可复现信息",
        "s.ruleset_id": "规则集", "s.term": "年度", "s.version": "版本", "s.region": "地区",
        "s.layers": "层次（由基础到覆盖）", "s.ruleset_sha256": "规则集 SHA-256", "s.library_version": "库版本",
        "s.engine": "引擎", "s.as_of": "评估时点（as_of）", "s.facts_sha256": "事实 SHA-256",
        "s.unset": "未指定",
        "colon": "：", "list_sep": "；", "and": "，且", "sep": "、", "end": "。",
        "none_read": "无",
        # generic fallback
        "gen": "读取：{read}；要求：{held}（条件：{cond}）",
        "gen.req": "{held}（条件：{cond}）",
        # shares
        "share.aged_35_or_under": "成员35周岁以下占比", "share.chinese_nationals": "中国籍成员占比",
        "share": "{what} {pct}%（{n}/{total}）",
        "share.failed": "{read}，低于要求的 {min}%", "share.passed": "{read}，不低于要求的 {min}%",
        "share.open": "{read}，要求不低于 {min}%", "share.req": "{what}不低于 {min}%",
        # member range
        "range.failed": "集体成员 {n} 人，不在 {lo}–{hi} 人之间",
        "range.passed": "集体成员 {n} 人，在 {lo}–{hi} 人之间",
        "range.open": "集体成员 {n} 人，要求在 {lo}–{hi} 人之间",
        "range.req": "集体成员在 {lo}–{hi} 人之间",
        # leader age
        "age.read": "号长 {on}时 {age} 周岁", "age.on": "{date} ", "age.born": "（出生日期 {date}）",
        "age.failed": "{read}，超过 {max} 周岁{born}", "age.passed": "{read}，未超过 {max} 周岁{born}",
        "age.open": "{read}，要求不超过 {max} 周岁{born}", "age.req": "号长 {on}时不超过 {max} 周岁",
        # leader nationality
        "nat.failed": "号长国籍为 {got}，不是要求的 {want}", "nat.passed": "号长国籍为 {got}，符合要求",
        "nat.open": "号长国籍为 {got}，要求为 {want}", "nat.req": "号长国籍为 {want}",
        # honours
        "level.national": "全国", "level.provincial": "省级", "level.ministerial": "部级", "level.municipal": "市级",
        "kind.named": "命名", "kind.review_confirmed": "复核认定",
        "honor": "{level}{kind}（{round} 届，{date}）",
        "honors.read": "读取的荣誉：{items}", "honors.none": "未登记任何荣誉",
        "honors.failed": "{read}；无一符合要求：{req}", "honors.passed": "{read}；符合要求：{req}",
        "honors.open": "{read}；要求：{req}",
        "honors.req": "{cut}的全国青年文明号荣誉，或 {round} 届省级{kinds}",
        "honors.cut<=": "{date} 前（含当日）", "honors.cut<": "{date} 前（不含当日）",
        "honors.kinds_named": "命名", "honors.kinds_any": "命名或复核认定",
        # filings
        "chan.industry": "行业归口", "chan.locality": "地方归口",
        "channel": "{kind}“{unit}”",
        "status.approved": "审核已通过", "status.rejected": "审核未通过", "status.pending": "待审核",
        "filing": "{submitted} 经{channel}提交，{status}", "filing.at": "（{at}）",
        "filings.read": "读取的报备：{items}", "filings.none": "未登记任何报备",
        "filings.failed": "{read}；不符合要求：{req}", "filings.passed": "{read}；符合要求：{req}",
        "filings.open": "{read}；要求：{req}", "filings.req": "至少一条报备{clauses}",
        "f.window": "于 {window}期间提交", "f.deadline<=": "不晚于 {date} 提交", "f.deadline<": "早于 {date} 提交",
        "f.status": "{status}",
        "window": "{start} 至 {end}（{incl}{tz}）", "window.tz": "，{tz}",
        "incl.both": "含首尾两日", "incl.start": "含首日、不含末日", "incl.end": "不含首日、含末日",
        "incl.none": "不含首尾两日",
        # channels
        "chans.read": "通过 {n} 个归口渠道报备（{items}）", "chans.zero": "未通过任何归口渠道报备",
        "chans.failed": "{read}，超过允许的 {max} 个", "chans.passed": "{read}，未超过允许的 {max} 个",
        "chans.open": "{read}，要求不超过 {max} 个", "chans.req": "归口渠道不超过 {max} 个",
        "chans.counted": "（计入的报备：{items}）", "chans.skipped": "；不计入（不属本届报备期）：{items}",
    },
    "en": {
        "doc_title": "Eligibility note: {id}",
        "o.eligible": "is eligible", "o.ineligible": "is ineligible",
        "o.undetermined": "is undetermined (not yet decidable)",
        "unit.doc_title": "Assessment note: {id}", "unit.o.eligible": "meets the requirements",
        "unit.o.ineligible": "does not meet the requirements",
        "unit.o.undetermined": "cannot yet be said to meet the requirements",
        "unit.headline": "Management unit {id} {outcome} under the {term} ruleset {rs} {version}.",
        "headline": "Collective {id} {outcome} under the {term} ruleset {rs} {version} (region: {region}).",
        "national": "national",
        "g.failed": "Rules failed", "g.undetermined": "Rules undetermined", "g.passed": "Rules passed",
        "g.not_applicable": "Rules not applicable", "g.other": "Rules with outcome {o}",
        "n.failed": "{n} failed", "n.undetermined": "{n} undetermined", "n.passed": "{n} passed",
        "n.not_applicable": "{n} not applicable", "n.other": "{n} {o}",
        "counts": "{total} rules: {parts}.", "counts_sep": ", ",
        "missing_all": "Missing facts: {paths}.",
        "count_head": "{label} ({n})",
        "rule_head": "{title} ({id})", "advisory": "[advisory rule, does not affect the outcome]",
        "l.cites": "Cites", "l.finding": "Finding", "l.missing": "Missing facts", "l.reason": "Reason",
        "l.required": "Required",
        "cite.head": "{source}, clause {clause}", "cite": "{head}: “{text}”",
        "interp": "Interpretations applied", "interp.rule": "rule {id}",
        "interp.param": "parameter {name} (used by {ids})", "interp.none": "(none)",
        "stamp": "Reproducibility stamp",
        "s.ruleset_id": "ruleset", "s.term": "term", "s.version": "version", "s.region": "region",
        "s.layers": "layers (base first)", "s.ruleset_sha256": "ruleset sha256",
        "s.library_version": "library version", "s.engine": "engine", "s.as_of": "as_of",
        "s.facts_sha256": "facts sha256", "s.unset": "not set",
        "colon": ": ", "list_sep": "; ", "and": ", and ", "sep": ", ", "end": ".",
        "none_read": "nothing",
        "gen": "read: {read}; held to: {held} (condition: {cond})",
        "gen.req": "{held} (condition: {cond})",
        "share.aged_35_or_under": "are aged 35 or under", "share.chinese_nationals": "are Chinese nationals",
        "share": "{n} of {total} members ({pct} %) {what}",
        "share.failed": "{read}, below the required {min} %", "share.passed": "{read}, not below the required {min} %",
        "share.open": "{read}; required: at least {min} %", "share.req": "at least {min} % of members {what}",
        "range.failed": "The collective has {n} members, outside {lo}–{hi}",
        "range.passed": "The collective has {n} members, within {lo}–{hi}",
        "range.open": "The collective has {n} members; required: {lo}–{hi}",
        "range.req": "between {lo} and {hi} members",
        "age.read": "The 号长 (leader) was {age}{on}", "age.on": " on {date}", "age.born": " (born {date})",
        "age.failed": "{read}{born}, over the limit of {max}", "age.passed": "{read}{born}, within the limit of {max}",
        "age.open": "{read}{born}; limit: {max}", "age.req": "the 号长 (leader) aged {max} or under{on}",
        "nat.failed": "The nationality of the 号长 (leader) is {got}, not the required {want}",
        "nat.passed": "The nationality of the 号长 (leader) is {got}, as required",
        "nat.open": "The nationality of the 号长 (leader) is {got}; required: {want}",
        "nat.req": "the 号长 (leader) of nationality {want}",
        "level.national": "national", "level.provincial": "provincial", "level.ministerial": "ministerial",
        "level.municipal": "municipal",
        "kind.named": "naming", "kind.review_confirmed": "review confirmation",
        "honor": "{level} {kind} (round {round}, {date})",
        "honors.read": "Honours read: {items}", "honors.none": "No honours on record",
        "honors.failed": "{read}; none meets the requirement: {req}",
        "honors.passed": "{read}; at least one meets the requirement: {req}",
        "honors.open": "{read}; required: {req}",
        "honors.req": "a national honour, or a provincial {kinds} of round {round}, dated {cut}",
        "honors.cut<=": "on or before {date}", "honors.cut<": "before {date}",
        "honors.kinds_named": "naming", "honors.kinds_any": "naming or review confirmation",
        "chan.industry": "industry line", "chan.locality": "locality line",
        "channel": "{kind} “{unit}”",
        "status.approved": "approved", "status.rejected": "rejected", "status.pending": "review pending",
        "filing": "submitted {submitted} through the {channel}, {status}", "filing.at": " {at}",
        "filings.read": "Filings read: {items}", "filings.none": "No filings on record",
        "filings.failed": "{read}; requirement not met: {req}",
        "filings.passed": "{read}; requirement met: {req}",
        "filings.open": "{read}; required: {req}", "filings.req": "at least one filing {clauses}",
        "f.window": "submitted within {window}", "f.deadline<=": "submitted on or before {date}",
        "f.deadline<": "submitted before {date}", "f.status": "{status}",
        "window": "{start} to {end} ({incl}{tz})", "window.tz": ", {tz}",
        "incl.both": "both days included", "incl.start": "first day included, last day excluded",
        "incl.end": "first day excluded, last day included", "incl.none": "both days excluded",
        "chans.read": "Filed through {n} reporting lines ({items})",
        "chans.read1": "Filed through 1 reporting line ({items})",
        "chans.zero": "Filed through no reporting line",
        "chans.failed": "{read}, more than the {max} allowed", "chans.passed": "{read}, within the {max} allowed",
        "chans.open": "{read}; allowed: {max}", "chans.req": "at most {max} reporting line(s) in all",
        "chans.counted": " (filings counted: {items})", "chans.skipped": "; not counted (not of this term): {items}",
    },
}


def _check_lang(lang: str) -> dict[str, str]:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(map(repr, LANGS))}, got {lang!r}")
    return _W[lang]


def _word(w: Mapping[str, str], key: str, raw: Any) -> str:
    """The word for an enum value (``level.national``), or the raw value if it is not known."""
    return w.get(f"{key}.{raw}", str(raw))


def pick_lang(text: str, lang: str) -> str:
    """One language out of a bilingual ``"中文 / English"`` text; the whole text otherwise."""
    parts = text.split(" / ", 1)
    if len(parts) == 2 and re.search(r"[\u3400-\u9fff]", parts[0]) and not re.search(r"[\u3400-\u9fff]", parts[1]):
        return parts[0] if lang == "zh" else parts[1]
    return text


# ---------------------------------------------------------------------------------------------
# values


def _json(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def _num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _ts(v: Any) -> str:
    """A timestamp for reading: ``2017-06-20 10:15:00+08:00``."""
    return str(v).replace("T", " ", 1) if isinstance(v, str) else _fmt(v, {})


def _is_window(v: Any) -> bool:
    return isinstance(v, dict) and "start" in v and "end" in v


def _window(v: Mapping[str, Any], w: Mapping[str, str]) -> str:
    si, ei = v.get("start_inclusive", True), v.get("end_inclusive", True)
    incl = w["incl.both" if si and ei else "incl.start" if si else "incl.end" if ei else "incl.none"]
    tz = w["window.tz"].format(tz=v["time_zone"]) if v.get("time_zone") else ""
    return w["window"].format(start=v["start"], end=v["end"], incl=incl, tz=tz)


def _fmt(v: Any, w: Mapping[str, str]) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if _is_num(v):
        return _num(v)
    if isinstance(v, str):
        return v
    if w and _is_window(v):
        return _window(v, w)
    return _json(v)


def _pairs(pairs: Sequence[tuple[str, Any]], w: Mapping[str, str]) -> str:
    if not pairs:
        return w["none_read"]
    return w["list_sep"].join(f"{k} = {_fmt(v, w)}" for k, v in pairs)


def _exact(x: float | int | Fraction) -> Fraction:
    """A number of the verdict as the exact value its author wrote (0.55 is 55/100, not the double)."""
    return Fraction(Decimal(repr(x))) if isinstance(x, float) else Fraction(x)


def _round(x: float | int | Fraction, decimals: int) -> Decimal:
    """``x`` rounded half up (62.5 -> 63), as people round a percentage; exact, no binary doubles."""
    scaled = _exact(x) * 10**decimals
    whole = math.floor(abs(scaled) + Fraction(1, 2))
    return (Decimal(whole if scaled >= 0 else -whole).scaleb(-decimals)).quantize(
        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _pct(x: float | int | Fraction, decimals: int) -> str:
    s = format(_round(x, decimals), "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def _share_pct(n: float, total: float, minimum: float, outcome: str) -> str:
    """The share in per cent, with as few decimals as keep it on the side of the threshold the rule's
    outcome says (49.6 % is shown as 49.6, not as 50, when the rule failed against 50 %).
    Exact: 55 of 100 against 0.55 is 55 %, the same number both engines decided on."""
    share, floor = 100 * _exact(n) / _exact(total), Decimal(100 * _exact(minimum).numerator) / \
        Decimal(_exact(minimum).denominator)
    for d in range(0, 5):
        shown = _round(share, d)
        if outcome == "failed" and shown >= floor or outcome == "passed" and shown < floor:
            continue
        return str(shown)
    return _pct(share, 6)


# ---------------------------------------------------------------------------------------------
# condition shapes: each gives (finding, requirement) or None when the shape is not recognised.
# A finding is None when a value it needs was not read (a missing fact).

_Phrase = tuple[str | None, str]
_Shape = Callable[[RuleOutcome, RNode, dict[str, Any], dict[str, Any], Mapping[str, str]], "_Phrase | None"]


def _param(n: RNode) -> str | None:
    """The parameter a constant holds the value of (None for a literal or any other node)."""
    return n.param if isinstance(n, Const) else None


def _fact(n: RNode) -> str | None:
    """The path of a fact node (None for any other node)."""
    return n.path if isinstance(n, Fact) else None


def _field(n: RNode) -> str | None:
    """The field of an item node (None for any other node)."""
    return n.field if isinstance(n, Item) else None


def _fact_vs_param(t: RNode, op: str, path: str) -> str | None:
    """``path op params.<name>``: the parameter's name, else None."""
    if isinstance(t, Cmp) and t.op == op and _fact(t.left) == path:
        return _param(t.right)
    return None


def _literal(n: RNode) -> Any:
    """The value of a literal constant (not a parameter); None for any other node."""
    return n.value if isinstance(n, Const) and n.param is None else None


def _state(outcome: str) -> str:
    return outcome if outcome in ("failed", "passed") else "open"


def _shape_share(r: RuleOutcome, t: RNode, values: dict[str, Any], params: dict[str, Any], w: Mapping[str, str]
                 ) -> _Phrase | None:
    """``members.<part> >= members.total * params.<share>``."""
    if not (isinstance(t, Cmp) and t.op == ">=" and isinstance(t.right, Arith) and t.right.op == "*" and
            _fact(t.right.left) == "members.total"):
        return None
    left, name = _fact(t.left) or "", _param(t.right.right)
    part = left.removeprefix("members.")
    if name is None or not left.startswith("members.") or f"share.{part}" not in w or not _is_num(params.get(name)):
        return None
    what, minimum = w[f"share.{part}"], params[name]
    req = w["share.req"].format(what=what, min=_pct(100 * _exact(minimum), 4))
    n: Any = values.get(left)
    total: Any = values.get("members.total")
    if not (_is_num(n) and _is_num(total)) or total == 0:
        return None if r.outcome in ("failed", "passed") else (None, req)
    pct = _share_pct(n, total, minimum, r.outcome)
    read = w["share"].format(what=what, pct=pct, n=_num(n), total=_num(total))
    return w[f"share.{_state(r.outcome)}"].format(read=read, min=_pct(100 * _exact(minimum), 4)), req


def _shape_range(r: RuleOutcome, t: RNode, values: dict[str, Any], params: dict[str, Any], w: Mapping[str, str]
                 ) -> _Phrase | None:
    """``members.total >= params.<min> and members.total <= params.<max>``."""
    if not (isinstance(t, And) and len(t.items) == 2):
        return None
    low, high = _fact_vs_param(t.items[0], ">=", "members.total"), _fact_vs_param(t.items[1], "<=", "members.total")
    if low is None or high is None or not (_is_num(params.get(low)) and _is_num(params.get(high))):
        return None
    lo, hi = _num(params[low]), _num(params[high])
    req = w["range.req"].format(lo=lo, hi=hi)
    n = values.get("members.total")
    if not _is_num(n):
        return None, req
    return w[f"range.{_state(r.outcome)}"].format(n=_num(n), lo=lo, hi=hi), req


def _shape_leader_age(r: RuleOutcome, t: RNode, values: dict[str, Any], params: dict[str, Any],
                      w: Mapping[str, str]) -> _Phrase | None:
    """``derived.leader_age <= params.<limit>``."""
    name = _fact_vs_param(t, "<=", "derived.leader_age")
    if name is None or not _is_num(params.get(name)):
        return None
    limit = _num(params[name])
    ref = params.get("age_reference_date")
    on = w["age.on"].format(date=ref) if isinstance(ref, str) else ""
    req = w["age.req"].format(max=limit, on=on)
    age = values.get("derived.leader_age")
    if not _is_num(age):
        return None, req
    born = values.get("leader.birth_date")
    born_s = w["age.born"].format(date=born) if isinstance(born, str) else ""
    read = w["age.read"].format(age=_num(age), on=on)
    return w[f"age.{_state(r.outcome)}"].format(read=read, max=limit, born=born_s), req


def _shape_nationality(r: RuleOutcome, t: RNode, values: dict[str, Any], params: dict[str, Any],
                       w: Mapping[str, str]) -> _Phrase | None:
    """``leader.nationality == params.<nationality>``."""
    name = _fact_vs_param(t, "==", "leader.nationality")
    if name is None or not isinstance(params.get(name), str):
        return None
    want = params[name]
    req = w["nat.req"].format(want=want)
    got = values.get("leader.nationality")
    if not isinstance(got, str):
        return None, req
    return w[f"nat.{_state(r.outcome)}"].format(got=got, want=want), req


def _item_is(t: RNode, field: str, value: str) -> bool:
    """``x.<field> == "<value>"`` (a literal) for the item ``x``."""
    return isinstance(t, Cmp) and t.op == "==" and _field(t.left) == field and _literal(t.right) == value


def _honors_basis(t: RNode) -> tuple[str, str, bool, str] | None:
    """``any(h in honors, h.date <=|< params.<cut> and (h.level == "national" or (h.level == "provincial"
    [and h.kind == "named"] and h.round == params.<round>)))``: (operator, cut, named only, round)."""
    if not (isinstance(t, Quant) and t.kind == "any" and t.list == "honors" and isinstance(t.body, And) and
            len(t.body.items) == 2):
        return None
    cut, levels = t.body.items
    if not (isinstance(cut, Cmp) and cut.op in ("<=", "<") and _field(cut.left) == "date" and
            isinstance(levels, Or) and len(levels.items) == 2 and _item_is(levels.items[0], "level", "national")):
        return None
    provincial = levels.items[1]
    if not (isinstance(provincial, And) and len(provincial.items) in (2, 3) and
            _item_is(provincial.items[0], "level", "provincial")):
        return None
    named = len(provincial.items) == 3
    if named and not _item_is(provincial.items[1], "kind", "named"):
        return None
    last = provincial.items[-1]
    cut_name = _param(cut.right)
    round_name = _param(last.right) if isinstance(last, Cmp) and last.op == "==" and _field(last.left) == "round" \
        else None
    if cut_name is None or round_name is None:
        return None
    return cut.op, cut_name, named, round_name


def _shape_honors(r: RuleOutcome, t: RNode, values: dict[str, Any], params: dict[str, Any], w: Mapping[str, str]
                  ) -> _Phrase | None:
    basis = _honors_basis(t)
    if basis is None or basis[1] not in params or basis[3] not in params:
        return None
    op, cut_name, named, round_name = basis
    cut = w[f"honors.cut{op}"].format(date=_fmt(params[cut_name], w))
    kinds = w["honors.kinds_named" if named else "honors.kinds_any"]
    req = w["honors.req"].format(cut=cut, round=_fmt(params[round_name], w), kinds=kinds)
    honors = values.get("honors")
    if not isinstance(honors, list):
        return None, req
    items = []
    for h in honors:
        if not isinstance(h, dict):
            items.append(_fmt(h, w))
            continue
        items.append(w["honor"].format(level=_word(w, "level", h.get("level")), kind=_word(w, "kind", h.get("kind")),
                                       round=h.get("round"), date=h.get("date")))
    read = w["honors.read"].format(items=w["list_sep"].join(items)) if items else w["honors.none"]
    return w[f"honors.{_state(r.outcome)}"].format(read=read, req=req), req


def _channel(c: Any, w: Mapping[str, str]) -> str:
    if not isinstance(c, dict):
        return _fmt(c, w)
    return w["channel"].format(kind=_word(w, "chan", c.get("kind")), unit=c.get("unit"))


def _filing(f: Any, w: Mapping[str, str]) -> str:
    if not isinstance(f, dict):
        return _fmt(f, w)
    review: dict[str, Any] = f["review"] if isinstance(f.get("review"), dict) else {}
    status = _word(w, "status", review.get("status"))
    if review.get("at"):
        status += w["filing.at"].format(at=_ts(review["at"]))
    return w["filing"].format(channel=_channel(f.get("channel"), w), submitted=_ts(f.get("submitted_at")),
                              status=status)


def _filing_clause(clause: RNode, params: dict[str, Any], w: Mapping[str, str]) -> str | None:
    """One part of the condition on a filing: submitted within a window parameter, on or before (or
    before) a deadline parameter, or with a review status."""
    if isinstance(clause, InWindow) and _field(clause.left) == "submitted_at" and \
            _is_window(params.get(clause.param or "")):
        return w["f.window"].format(window=_window(params[clause.param or ""], w))
    if isinstance(clause, Cmp) and _field(clause.left) == "submitted_at" and clause.op in ("<=", "<"):
        name = _param(clause.right)
        if name is not None and isinstance(params.get(name), str):
            return w[f"f.deadline{clause.op}"].format(date=params[name])
    if isinstance(clause, Cmp) and clause.op == "==" and _field(clause.left) == "review.status" and \
            isinstance(_literal(clause.right), str) and re.fullmatch(r"\w+", _literal(clause.right)):
        return w["f.status"].format(status=_word(w, "status", _literal(clause.right)))
    return None


def _shape_filings(r: RuleOutcome, t: RNode, values: dict[str, Any], params: dict[str, Any], w: Mapping[str, str]
                   ) -> _Phrase | None:
    """``any(f in filings, <clause> and <clause> ...)``, each clause one ``_filing_clause`` knows."""
    if not (isinstance(t, Quant) and t.kind == "any" and t.list == "filings"):
        return None
    clauses = [_filing_clause(c, params, w) for c in (t.body.items if isinstance(t.body, And) else (t.body,))]
    if any(c is None for c in clauses):
        return None
    req = w["filings.req"].format(clauses=w["and"].join(c for c in clauses if c))
    filings = values.get("filings")
    if not isinstance(filings, list):
        return None, req
    items = [_filing(f, w) for f in filings]
    read = w["filings.read"].format(items=w["list_sep"].join(items)) if items else w["filings.none"]
    return w[f"filings.{_state(r.outcome)}"].format(read=read, req=req), req


def _shape_channels(r: RuleOutcome, t: RNode, values: dict[str, Any], params: dict[str, Any],
                    w: Mapping[str, str]) -> _Phrase | None:
    """``derived.filing_channels <= params.<limit>``."""
    name = _fact_vs_param(t, "<=", "derived.filing_channels")
    if name is None or not _is_num(params.get(name)):
        return None
    limit = _num(params[name])
    req = w["chans.req"].format(max=limit)
    n, filings = values.get("derived.filing_channels"), values.get("filings")
    if not _is_num(n):
        return None, req
    channels: list[str] = []
    all_filings = list(filings) if isinstance(filings, list) else []
    counted = values.get("derived.filing_channels.counted")  # the filings the count counted (its `where`)
    chosen = [i for i in range(len(all_filings)) if counted is None or f"filings[{i}]" in counted]
    for i in chosen:
        f = all_filings[i]
        c = _channel(f.get("channel") if isinstance(f, dict) else f, w)
        if c not in channels:
            channels.append(c)
    key = "chans.zero" if not channels else "chans.read1" if n == 1 and "chans.read1" in w else "chans.read"
    read = w[key].format(n=_num(n), items=w["list_sep"].join(channels))
    if isinstance(counted, list):
        skipped = [f"filings[{i}]" for i in range(len(all_filings)) if i not in chosen]
        listed = w["list_sep"].join(f"filings[{i}]" for i in chosen) or "—"
        read += w["chans.counted"].format(items=listed + (w["chans.skipped"].format(
            items=w["list_sep"].join(skipped)) if skipped else ""))
    return w[f"chans.{_state(r.outcome)}"].format(read=read, max=limit), req


_SHAPES: tuple[_Shape, ...] = (_shape_share, _shape_range, _shape_leader_age, _shape_nationality, _shape_honors,
                               _shape_filings, _shape_channels)


def _phrase(r: RuleOutcome, w: Mapping[str, str]) -> _Phrase:
    """What the rule read and what it was held to, as (finding or None, requirement)."""
    values, params = dict(r.values), dict(r.params)
    tree = recorded_condition(r.condition, params)  # the verdict's record of the condition, read once
    for shape in _SHAPES:
        try:
            got = None if tree is None else shape(r, tree, values, params, w)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            got = None      # an unexpected value inside a known shape: word it generically
        if got is not None:
            return got
    held = _pairs(r.params, w)
    req = w["gen.req"].format(held=held, cond=r.condition)
    if not r.values and r.outcome not in ("failed", "passed"):
        return None, req
    return w["gen"].format(read=_pairs(r.values, w), held=held, cond=r.condition), req


# ---------------------------------------------------------------------------------------------
# the note, independent of text or HTML


@attrs.frozen
class _Line:
    kind: str       # cites | finding | missing | reason | required
    label: str
    text: str
    head: str = ""   # for cites: the source and clause
    quote: str = ""  # for cites: the clause's own text, quoted


@attrs.frozen
class _RuleNote:
    id: str
    outcome: str
    heading: str
    advisory: str
    lines: tuple[_Line, ...]
    summary: str     # one line, for passed and not-applicable rules


@attrs.frozen
class _Group:
    outcome: str
    heading: str
    detailed: bool
    rules: tuple[_RuleNote, ...]


@attrs.frozen
class _Note:
    lang: str
    title: str
    outcome: str
    headline: str
    counts: str
    missing: str
    groups: tuple[_Group, ...]
    interpretations: tuple[tuple[str, str], ...]
    stamp: tuple[tuple[str, str], ...]
    w: Mapping[str, str]


def _cites(r: RuleOutcome, w: Mapping[str, str], lang: str) -> _Line:
    c = r.citation
    title = c.source_title
    if title:   # 《》 marks a title in either language; a title inside 《》 takes 〈〉 for the titles it quotes
        title = "《" + title.replace("《", "〈").replace("》", "〉") + "》"
    head = w["cite.head"].format(source=title, clause=c.clause)
    return _Line("cites", w["l.cites"], w["cite"].format(head=head, text=c.text), head, c.text)


def _rule_note(r: RuleOutcome, w: Mapping[str, str], lang: str) -> _RuleNote:
    finding, req = _phrase(r, w)
    title = r.title_zh if lang == "zh" else r.title_en
    heading = w["rule_head"].format(title=title, id=r.id)
    advisory = w["advisory"] if r.severity == "advisory" else ""
    lines = [_cites(r, w, lang)]
    if finding is not None:
        lines.append(_Line("finding", w["l.finding"], finding + w["end"]))
    if r.missing:
        lines.append(_Line("missing", w["l.missing"], w["sep"].join(r.missing)))
    if finding is None:
        lines.append(_Line("required", w["l.required"], req + w["end"]))
    reason = getattr(r, "reason", None)
    if reason:
        lines.append(_Line("reason", w["l.reason"], pick_lang(str(reason), lang)))
    summary = heading + w["colon"] + (finding if finding is not None else req) + w["end"]
    return _RuleNote(r.id, r.outcome, heading, advisory, tuple(lines), summary)


def _stamp(verdict: Verdict, w: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    d = verdict.stamp.to_dict()
    known = ("ruleset_id", "term", "version", "region", "layers", "ruleset_sha256", "library_version", "engine",
             "as_of", "facts_sha256")
    rows = []
    for k in (*[k for k in known if k in d], *sorted(k for k in d if k not in known)):
        v = d[k]
        if k == "layers" and isinstance(v, list | tuple):
            text = " → ".join(map(str, v))
        elif v is None:
            text = w["national"] if k == "region" else w["s.unset"]
        else:
            text = _fmt(v, w)
        rows.append((w.get(f"s.{k}", k), text))
    return tuple(rows)


def _interpretations(verdict: Verdict, w: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    rows: list[tuple[str, str]] = []
    params: dict[str, tuple[str, list[str]]] = {}
    for r in verdict.rules:
        if r.interpretation:
            rows.append((w["interp.rule"].format(id=r.id), r.interpretation))
        for name, note in r.param_notes:
            if not note:
                continue
            if name not in params:
                params[name] = (str(note), [])
            params[name][1].append(r.id)
    for name, (note, ids) in params.items():
        rows.append((w["interp.param"].format(name=name, ids=w["sep"].join(ids)), note))
    return tuple(rows)


def _note(verdict: Verdict, lang: str) -> _Note:
    w = _check_lang(lang)
    s = verdict.stamp
    unit = "unit." if getattr(verdict, "subject", "collective") == "unit" else ""
    headline = w[f"{unit}headline"].format(
        id=verdict.subject_id, outcome=w.get(f"{unit}o.{verdict.outcome}", verdict.outcome), code=verdict.outcome,
        term=s.term, rs=s.ruleset_id, version=s.version, region=s.region if s.region else w["national"])
    outcomes = [o for o in _GROUP_ORDER if any(r.outcome == o for r in verdict.rules)]
    outcomes += sorted({r.outcome for r in verdict.rules} - set(_GROUP_ORDER))
    groups, parts = [], []
    for o in outcomes:
        rules = tuple(_rule_note(r, w, lang) for r in verdict.rules if r.outcome == o)
        label = w[f"g.{o}"] if f"g.{o}" in w else w["g.other"].format(o=o)
        groups.append(_Group(o, w["count_head"].format(label=label, n=len(rules)),
                             o not in ("passed", "not_applicable"), rules))
    for o in ("failed", "undetermined", "passed", *outcomes):
        n = sum(r.outcome == o for r in verdict.rules)
        key = f"n.{o}" if f"n.{o}" in w else "n.other"
        part = w[key].format(n=n, o=o)
        if (n or o in ("failed", "undetermined", "passed")) and part not in parts:
            parts.append(part)
    counts = w["counts"].format(total=len(verdict.rules), parts=w["counts_sep"].join(parts))
    missing = w["missing_all"].format(paths=w["sep"].join(verdict.missing)) if verdict.missing else ""
    return _Note(lang, w[f"{unit}doc_title"].format(id=verdict.subject_id), verdict.outcome, headline, counts, missing,
                 tuple(groups), _interpretations(verdict, w), _stamp(verdict, w), w)


# ---------------------------------------------------------------------------------------------
# text


_SCORE_WORDS: dict[str, dict[str, Any]] = {
    "zh": {"head": "评分", "total": "得分 {total} / 满分 {maximum}",
           "provisional": "（暂定：有待定项目，得分可能在 {lo}–{hi} 之间）",
           "placeholder": "注意：以下参数的分值为占位值，并非正式标准：{names}", "adjust": "调整",
           "status": {"awarded": "得分", "not_awarded": "未得分", "deducted": "扣分", "not_deducted": "未扣分",
                      "undetermined": "待定", "not_applicable": "不适用", "adjustment": "调整"},
           "gate": "一票否决项 {rule}：{outcome}",
           "kinds": {"cap": "封顶", "floor": "保底", "bonus_cap": "加分封顶", "gate": "一票否决", "rounding": "取整"},
           "outcomes": {"passed": "通过", "failed": "未通过", "undetermined": "待定", "not_applicable": "不适用"},
           "n.undetermined": "缺少事实或尚未到期，判定前不计分", "n.not_met": "条件未满足",
           "n.floor": "扣分后本组不低于零分", "n.cap": "本组以 {n} 分为上限", "n.bonus_cap": "加分以 {n} 分为上限",
           "n.gate": "一票否决项未通过，总分为零", "n.rounding": "按{mode}保留 {n} 位小数",
           "n.per": "{v} × {count}（{per}）", "n.per_cap": "，以 {cap} 分为限",
           "modes": {"half up": "四舍五入", "half even": "四舍六入五成双", "down": "舍去尾数"}},
    "en": {"head": "Score", "total": "Score {total} of {maximum}",
           "provisional": " (provisional: some items are undetermined; the score may lie between {lo} and {hi})",
           "placeholder": "Note: points from these parameters are placeholders, not official values: {names}",
           "adjust": "adjustment",
           "status": {"awarded": "awarded", "not_awarded": "not awarded", "deducted": "deducted",
                      "not_deducted": "not deducted", "undetermined": "undetermined", "not_applicable": "n/a",
                      "adjustment": "adjustment"},
           "gate": "Gate {rule}: {outcome}"},
}


def _score_text(verdict: Verdict, lang: str) -> list[str]:
    """The score sheet in a few lines: total of maximum, each line with its points, gates, placeholders."""
    s = verdict.score
    if s is None:
        return []
    w = _SCORE_WORDS[lang]
    head = w["total"].format(total=s.total, maximum=s.maximum)
    if s.provisional:
        head += w["provisional"].format(lo=s.lowest, hi=s.highest)
    out = [w["head"], head]
    if s.placeholder:
        out.append(w["placeholder"].format(names=", ".join(s.placeholder_params)))
    groups = {g.id: g.title_zh for g in s.groups} if lang == "zh" else {}
    kinds = w.get("kinds", {})
    for line in s.lines:
        group = groups.get(line.group or "", line.group)
        kind = kinds.get(line.kind, line.kind)
        label = line.rule or (f"{w['adjust']}（{kind}{'，' + group if group else ''}）" if lang == "zh" else
                              f"{w['adjust']} ({kind}{', ' + group if group else ''})")
        top = f" / {line.max}" if line.max is not None else ""
        said = _score_note(line, w) if lang == "zh" else line.note
        note = f" — {said}" if said else ""
        out.append(f"- {label}: {line.points}{top} {w['status'].get(line.status, line.status)}{note}")
    outcomes = w.get("outcomes", {})
    out += [f"- {w['gate'].format(rule=g.rule, outcome=outcomes.get(g.outcome, g.outcome))}" for g in s.gates]
    return out


def _score_note(line: Any, w: Mapping[str, Any]) -> str | None:
    """A score line's note in Chinese. The verdict's notes are English; each kind of note the score
    sheet writes (see _score.py) has its Chinese wording here, with its figures carried over."""
    note = line.note
    if not note:
        return None
    if line.status == "undetermined":
        return str(w["n.undetermined"])
    if line.status == "not_awarded":
        return str(w["n.not_met"])
    m = re.fullmatch(r"(\S+) × (\S+) \((\S+)\)(?:, capped at (\S+))?", note)
    if m:
        return str(w["n.per"].format(v=m[1], count=m[2], per=m[3])) + (
            str(w["n.per_cap"].format(cap=m[4])) if m[4] else "")
    if line.kind == "floor":
        return str(w["n.floor"])
    m = re.fullmatch(r"(?:the group|bonuses) (?:is|are) capped at (\S+) points", note)
    if m and line.kind in ("cap", "bonus_cap"):
        return str(w[f"n.{line.kind}"].format(n=m[1]))
    if line.kind == "gate":
        return str(w["n.gate"])
    m = re.fullmatch(r"rounded to (\d+) decimal place\(s\), (.+)", note)
    if m:
        return str(w["n.rounding"].format(n=m[1], mode=w["modes"].get(m[2], m[2])))
    return str(note)  # a note this function does not know yet stays as written (a test looks for these)


def explain_text(verdict: Verdict, *, lang: str = "zh") -> str:
    """The verdict as an auditor's note in plain text: outcome, failed and undetermined rules with
    their clauses and findings, passed rules, interpretations applied, reproducibility stamp."""
    n = _note(verdict, lang)
    w = n.w
    out = [n.headline, n.counts]
    if n.missing:
        out.append(n.missing)
    for g in n.groups:
        out += ["", g.heading]
        for i, r in enumerate(g.rules, 1):
            if not g.detailed:
                out.append(f"- {r.summary}{(' ' + r.advisory) if r.advisory else ''}")
                continue
            out.append(f"{i}. {r.heading}{(' ' + r.advisory) if r.advisory else ''}")
            out += [f"   {line.label}{w['colon']}{line.text}" for line in r.lines]
    score = _score_text(verdict, lang)
    if score:
        out += ["", *score]
    out += ["", w["interp"]]
    out += [f"- {label}{w['colon']}{text}" for label, text in n.interpretations] or [w["interp.none"]]
    out += ["", w["stamp"]]
    out += [f"- {label}{w['colon']}{text}" for label, text in n.stamp]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# HTML

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: #ffffff; color: #1b1b1b; line-height: 1.6; font-size: 16px;
  font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
    "Helvetica Neue", Arial, sans-serif; }
main { max-width: 62rem; margin: 0 auto; padding: 2rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.3; margin: 0 0 1rem; }
h2 { font-size: 1.2rem; margin: 0 0 .5rem; display: flex; align-items: center; gap: .6rem; }
h3 { font-size: 1.05rem; margin: 0 0 .4rem; line-height: 1.4; }
code, .mono { font-family: "Noto Sans Mono CJK SC", "DejaVu Sans Mono", Consolas, monospace; font-size: .9em;
  overflow-wrap: anywhere; word-break: break-word; }
.verdict { font-size: 1.15rem; font-weight: 700; margin: 0 0 .5rem; padding: .8rem 1rem;
  border-left: .45rem solid; border-radius: .3rem; }
.verdict-eligible { background: #e9f5ec; border-color: #2e7d32; color: #17461f; }
.verdict-ineligible { background: #fdeceb; border-color: #b42318; color: #7a1610; }
.verdict-undetermined { background: #fff3df; border-color: #b54708; color: #5e2c00; }
.summary { margin: .25rem 0; color: #333; }
section { margin: 1.5rem 0; }
section.outcome { border: 1px solid; border-left-width: .45rem; border-radius: .35rem; padding: .9rem 1rem 1rem; }
.badge { display: inline-block; font-size: .8rem; font-weight: 700; letter-spacing: .02em; color: #ffffff;
  padding: .1rem .55rem; border-radius: 1rem; white-space: nowrap; }
section.outcome-failed { background: #fdf1f0; border-color: #b42318; }
.outcome-failed h2 { color: #8c1d18; } .outcome-failed .badge { background: #b42318; }
section.outcome-undetermined { background: #fff7eb; border-color: #b54708; }
.outcome-undetermined h2 { color: #6d3300; } .outcome-undetermined .badge { background: #a14006; }
section.outcome-passed { background: #eff8f1; border-color: #2e7d32; }
.outcome-passed h2 { color: #1d5c2c; } .outcome-passed .badge { background: #2e7d32; }
section.outcome-not_applicable, section.outcome-other { background: #f4f4f4; border-color: #6b6b6b; }
.outcome-not_applicable h2, .outcome-other h2 { color: #3d3d3d; }
.outcome-not_applicable .badge, .outcome-other .badge { background: #5c5c5c; }
article.rule { background: #ffffff; border: 1px solid #d0d0d0; border-radius: .3rem; padding: .75rem 1rem;
  margin-top: .75rem; }
.rule-id { color: #444; font-weight: 400; }
.advisory { display: inline-block; font-size: .85rem; color: #3d3d3d; font-weight: 400; }
dl.lines { display: grid; grid-template-columns: 4.5em minmax(0, 1fr); gap: .35rem 1rem; margin: .4rem 0 0; }
html[lang="en"] dl.lines { grid-template-columns: 7.5em minmax(0, 1fr); }
dl.lines dt { font-weight: 700; color: #333; }
dl.lines dd { margin: 0; }
dd.finding { font-weight: 600; }
.source { color: #333; }
blockquote { margin: .3rem 0 0; padding: .3rem .8rem; border-left: .2rem solid #8a8a8a; background: #f6f6f6;
  color: #222; }
ul.oneline { margin: .3rem 0 0; padding-left: 1.3rem; }
ul.oneline li { margin: .25rem 0; }
ul.interp { padding-left: 1.3rem; }
ul.interp li { margin: .35rem 0; }
.label { font-weight: 700; }
table.stamp { border-collapse: collapse; width: 100%; }
table.stamp th, table.stamp td { text-align: left; vertical-align: top; padding: .3rem .6rem;
  border-bottom: 1px solid #dedede; }
table.stamp th { width: 14rem; font-weight: 700; color: #333; white-space: nowrap; }
table.stamp td.mono { font-size: .95rem; }
@media print {
  @page { margin: 14mm 12mm; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  h1 { font-size: 16pt; }
  section.outcome { break-inside: auto; }
  article.rule, ul.oneline li, ul.interp li, table.stamp tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
"""


def _e(s: str) -> str:
    return html.escape(s, quote=True)


def _html_rule(r: _RuleNote, w: Mapping[str, str]) -> list[str]:
    adv = f' <span class="advisory">{_e(r.advisory)}</span>' if r.advisory else ""
    out = [f'<article class="rule" id="rule-{_e(r.id)}">', f"<h3>{_e(r.heading)}{adv}</h3>", '<dl class="lines">']
    for line in r.lines:
        out.append(f"<dt>{_e(line.label)}</dt>")
        if line.kind == "cites":
            out.append(f'<dd><span class="source">{_e(line.head)}</span>'
                       f"<blockquote>{_e(line.quote)}</blockquote></dd>")
        else:
            out.append(f'<dd class="{_e(line.kind)}">{_e(line.text)}</dd>')
    out += ["</dl>", "</article>"]
    return out


def explain_html(verdict: Verdict, *, lang: str = "zh") -> str:
    """The same note as ``explain_text`` as one self-contained HTML page (inline CSS, no scripts,
    nothing fetched), rules grouped and colour-coded by outcome, printable."""
    n = _note(verdict, lang)
    w = n.w
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(n.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f"<h1>{_e(n.title)}</h1>",
        f'<p class="verdict verdict-{_e(n.outcome)}">{_e(n.headline)}</p>',
        f'<p class="summary">{_e(n.counts)}</p>',
    ]
    if n.missing:
        out.append(f'<p class="summary">{_e(n.missing)}</p>')
    out.append("</header>")
    for g in n.groups:
        css = g.outcome if g.outcome in _GROUP_ORDER else "other"
        badge = g.outcome
        out += [f'<section class="outcome outcome-{_e(css)}" id="outcome-{_e(g.outcome)}">',
                f'<h2><span class="badge">{_e(badge)}</span> {_e(g.heading)}</h2>']
        if g.detailed:
            for r in g.rules:
                out += _html_rule(r, w)
        else:
            out.append('<ul class="oneline">')
            for r in g.rules:
                adv = f' <span class="advisory">{_e(r.advisory)}</span>' if r.advisory else ""
                out.append(f"<li>{_e(r.summary)}{adv}</li>")
            out.append("</ul>")
        out.append("</section>")
    score = _score_text(verdict, lang)
    if score:
        out += ['<section class="score">', f"<h2>{_e(score[0])}</h2>", f'<p class="summary"><b>{_e(score[1])}</b></p>']
        out += [f"<p>{_e(line)}</p>" for line in score[2:] if not line.startswith("- ")]
        out += ['<ul class="oneline">'] + [f"<li>{_e(line[2:])}</li>" for line in score[2:] if line.startswith("- ")]
        out += ["</ul>", "</section>"]
    out += ['<section class="interpretations">', f"<h2>{_e(w['interp'])}</h2>"]
    if n.interpretations:
        out.append('<ul class="interp">')
        out += [f'<li><span class="label">{_e(label)}</span>{_e(w["colon"])}{_e(text)}</li>'
                for label, text in n.interpretations]
        out.append("</ul>")
    else:
        out.append(f"<p>{_e(w['interp.none'])}</p>")
    out += ["</section>", '<section class="stamp">', f"<h2>{_e(w['stamp'])}</h2>", '<table class="stamp">']
    out += [f'<tr><th scope="row">{_e(label)}</th><td class="mono">{_e(text)}</td></tr>' for label, text in n.stamp]
    out += ["</table>", "</section>", "</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
