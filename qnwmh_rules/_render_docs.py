"""A checked ruleset as a publishable Markdown page (English or Chinese) for policy staff and the public.

Owns: the plain-word names of fact paths (``FACT_LABELS``, every path of a collective and of a unit;
``fact_labels`` per subject), the plain-word reading of conditions (visitors over the resolved tree,
whose constants name the parameter they came from, so that parameter names are shown beside their
values; the condition's text is only quoted as written, never read) and the layout of the page.
Must not know the engine: it must not import durable or ``_compile``. It decides nothing, and the
same ruleset always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ._check import due_days, type_of
from ._facts_schema import packaged_regions
from ._finding import vocabulary
from ._model import Derivation, Parameter, Rule, Ruleset, Window, decided_on
from ._names import layers_text
from ._template import date_text, pct_text, term_text
from ._tree import NEGATED, And, Arith, Cmp, Const, Fact, InList, InWindow, Item, Not, Or, Quant, RNode, Visitor, walk
from .facts import SUBJECTS

__all__ = ["render_markdown", "FACT_LABELS", "fact_labels", "LIST_NOUNS"]

# Every facts.FIELDS path, the channel group that count_distinct reads and as_of: (en, zh).
# Item fields are nouns, read as "its …" / "其…" inside any/all.
FACT_LABELS: dict[str, tuple[str, str]] = {
    "id": ("the collective's id", "集体编号"),
    "name": ("the collective's name", "集体名称"),
    "region": ("the collective's provincial-level region", "集体所在省级地区"),
    "industry": ("the collective's industry", "集体所属行业"),
    "org_kind": ("the kind of organisation the collective belongs to", "集体所属单位性质"),
    "reporting_line.kind": ("the kind of reporting line (归口)", "归口关系类别"),
    "reporting_line.unit": ("the management unit of the reporting line", "归口管理单位"),
    "members.total": ("the total number of members", "集体成员总数"),
    "members.aged_35_or_under": ("the number of members aged 35 (周岁) or under", "35周岁以下成员人数"),
    "members.chinese_nationals": ("the number of members of Chinese nationality", "中国籍成员人数"),
    "leader.birth_date": ("the 号长's (leader's) date of birth", "号长出生日期"),
    "leader.nationality": ("the 号长's (leader's) nationality", "号长国籍"),
    "honors[].level": ("level", "级别"),
    "honors[].kind": ("kind", "类别"),
    "honors[].round": ("round", "届次"),
    "honors[].date": ("date of commendation", "表彰文件日期"),
    "filings[].channel": ("channel (kind and management unit)", "报备渠道（类别与管理单位）"),
    "filings[].channel.kind": ("channel kind", "报备渠道类别"),
    "filings[].channel.unit": ("channel management unit", "报备渠道管理单位"),
    "filings[].submitted_at": ("submission time", "提交时间"),
    "filings[].review.status": ("review status", "审核状态"),
    "filings[].review.at": ("review time", "审核时间"),
    "as_of": ("the moment of the evaluation", "评估时刻"),  # readable only in pending_if
}
# The facts of a management unit that a collective does not have (facts.UNIT_FIELDS).
FACT_LABELS.update({
    "kind": ("the kind of management unit", "管理单位类别"),
    "quota": ("the unit's selection quota", "评选分配名额"),
    "creation_collectives.total": ("the number of creation collectives (创建集体)", "创建集体数量"),
    "creation_collectives.previous_national": ("the number of previous national collectives among them",
                                               "其中往届全国青年文明号集体数量"),
    "creation_collectives.non_public_economy": ("the number of non-public-economy collectives among them",
                                                "其中非公经济组织青年集体数量"),
    "creation_collectives.social_organization": ("the number of social-organisation collectives among them",
                                                 "其中社会组织青年集体数量"),
    "recommended.total": ("the number of recommended collectives (推报集体)", "推报集体数量"),
    "recommended.previous_national": ("the number of previous national collectives among the recommended",
                                      "推报集体中往届全国青年文明号集体数量"),
    "activities[].kind": ("kind", "类别"),
    "activities[].date": ("date", "日期"),
    "activities[].title": ("title", "名称"),
    "contact_platform.exists": ("whether a regular contact platform exists", "是否已有常态化联系平台"),
    "contact_platform.since": ("the day the contact platform was set up", "联系平台建立日期"),
})
# Paths a unit shares with a collective, worded for a unit.
_UNIT_LABELS: dict[str, tuple[str, str]] = {
    "id": ("the management unit's id", "管理单位编号"),
    "name": ("the management unit's name", "管理单位名称"),
    "region": ("the management unit's provincial-level region", "管理单位所在省级地区"),
    "industry": ("the management unit's industry", "管理单位所属行业"),
}


def fact_labels(subject: str = "collective") -> dict[str, tuple[str, str]]:
    """(en, zh) plain labels of the fact paths of ``subject`` (``collective`` or ``unit``)."""
    return {**FACT_LABELS, **_UNIT_LABELS} if subject == "unit" else FACT_LABELS


def _schema_labels(rs: Ruleset) -> dict[str, tuple[str, str]]:
    """(en, zh) labels of the facts schema the ruleset reads (``facts_schema:``): the words for a fact
    that a term's own schema adds; the page's wording above names the shipped facts."""
    schema = rs.facts.schema if rs.facts is not None else None
    return {} if schema is None else {p: (_text(lab["en"]), _text(lab["zh"])) for p, lab in schema.labels.items()}


# Each fact list's nouns: (singular, plural, zh), for pages and why-not suggestions.
LIST_NOUNS = {"honors": ("honour", "honours", "荣誉"), "filings": ("filing", "filings", "网络报备"),
          "activities": ("activity", "activities", "活动")}
_OPS = ("==", "!=", "<", "<=", ">", ">=")
_BOUNDS = ((True, True), (False, False), (True, False), (False, True))  # (start_inclusive, end_inclusive)


def _words(keys: tuple[Any, ...], words: str) -> dict[Any, str]:
    return dict(zip(keys, words.split("|"), strict=True))


_CMP = {  # (for numbers and texts, for dates and timestamps)
    "en": (_words(_OPS, "is|is not|is less than|is at most|is more than|is at least"),
           _words(_OPS, "is|is not|is before|is on or before|is after|is on or after")),
    "zh": (_words(_OPS, "为|不为|少于|不超过|超过|不少于"), _words(_OPS, "为|不为|早于|不晚于|晚于|不早于")),
}
_ARITH = {"en": _words(("+", "-", "*", "/"), "plus|minus|times|divided by"),
          "zh": _words(("+", "-", "*", "/"), "加|减|乘以|除以")}
_INCL = {"en": _words(_BOUNDS, "both days included|both days excluded|the first day included, the last excluded|"
                               "the first day excluded, the last included"),
         "zh": _words(_BOUNDS, "含首尾两日|不含首尾两日|含首日、不含末日|不含首日、含末日")}
_T = {
    "en": dict(term="Term", version="Version", region="Region", layers="Layers", tz="Time zone",
               sha="Content sha256", id="Ruleset id", rule_id="Rule id", sources="Sources", rules="Rules",
               params="Parameters",
               derived="Derived facts", severity="Severity", layer="Layer", source="Source", clause="clause",
               plain="In plain words", written="As written", pending="Undetermined rather than failed while",
               due="Not yet due", due_text="until {last} ({zone}) has passed{opens}, a collective or unit that does "
                                           "not meet this rule is undetermined, not failed (the reason names the "
                                           "date); it is decided from {decided}. Without an evaluation date "
                                           "(as_of) it is decided as after {last}",
               due_opens=" (the window opens on {opens})",
               provisional="A pass is provisional too: until the rule is due, a collective or unit that meets it "
                           "is also undetermined (what it counts can still change)",
               applies="Applies only when", applies_text="{cond} — {code}; otherwise the rule is not applicable",
               interp="Interpretation", used="Parameters used",
               src_cols="Id|Title|Reference|Date|Note", par_cols="Name|Value|Source|Description|Interpretation|Set by",
               der_cols="Name|Meaning", placeholder="placeholder — not official",
               required="required (if it fails, the collective is not eligible)",
               required_unit="required (if it fails, the unit does not meet the requirements)",
               creation="What counts as a creation collective (创建集体)",
               creation_text="A collective record of the unit counts when: {cond} — {code}",
               breakdown="Of them, counted as {name} when: {cond} — {code}",
               advisory="advisory (reported only; it does not change the verdict)",
               note="This page is generated from the ruleset file. The conditions in plain words are a reading "
                    "aid; the condition as written, with the parameter values below, is what the library applies. "
                    "A fact that is not known is never read as false."),
    "zh": dict(term="年度", version="版本", region="适用范围", layers="层级", tz="时间",
               sha="内容SHA-256校验值", id="规则集编号", sources="来源文件", rules="规则", params="参数",
               derived="推算事实", severity="性质", rule_id="规则编号",
               layer="所属层级", source="出处", clause="条款", plain="条件说明", written="条件原文",
               pending="未满足时记为“尚无法判定”而非“不符合”的情形",
               due="期限", due_text="{last}（{zone}）届满前{opens}，未满足本规则的记为“尚无法判定”而非“不符合”"
                                    "（原因中写明判定日期），"
                                    "自{decided}起判定；未指定评估时点的，按期限已届满判定",
               due_opens="（自{opens}起算）",
               provisional="期限届满前，即使满足本规则也记为“尚无法判定”（所计数量仍可能变化），届满后方作结论",
               applies="适用条件", applies_text="{cond}；否则本规则不适用",
               interp="解释说明", used="所用参数说明", src_cols="标题|文号|日期|备注",
               par_cols="名称|取值|出处|说明|解释说明|设定层级", der_cols="名称|含义",
               placeholder="暂定值，并非正式标准", required="必备条件（不满足即不符合资格）",
               required_unit="必备要求（不满足即未达到要求）",
               creation="创建集体的认定", creation_text="管理单位的集体记录满足以下条件时计为创建集体：{cond}",
               breakdown="其中计为“{name}”的：{cond}",
               advisory="建议性条件（仅作提示，不影响结论）",
               note="本页由规则集文件自动生成。条件说明仅供阅读，以规则集文件为准；条件在规则集文件中的写法及参数标识"
                    "见本页的英文版（技术附录）。缺少的信息不视为不符合，而记为“尚无法判定”。"),
}


class _Words:
    """Plain words for conditions of one ruleset, in one language."""

    def __init__(self, rs: Ruleset, lang: str) -> None:
        self.rs, self.lang, self.en = rs, lang, lang == "en"
        self.params = {p.name: p for p in rs.parameters}
        self.derived = {d.name: d for d in rs.derived}
        self.labels = {**fact_labels(rs.subject), **_schema_labels(rs)}  # the facts schema's words win
        self.vocab = vocabulary(rs.subject, rs)
        self.targets = _param_targets(rs)  # parameter -> the fact path it is compared with

    def unnest(self, text: str) -> str:
        """A zh text whose groups inside a group take （） then 〔〕 instead of a second 【】."""
        if self.en:
            return text
        out, depth = [], 0
        for c in text:
            if c == "【":
                depth += 1
                out.append("【（〔"[min(depth, 3) - 1])
            elif c == "】":
                out.append("】）〕"[min(depth, 3) - 1])
                depth -= 1
            else:
                out.append(c)
        return "".join(out)

    def cat(self, *parts: str) -> str:
        """Join words: spaces in English; in Chinese only between a Han character and a Latin one."""
        if self.en:
            return " ".join(p for p in parts if p)
        return "".join(p for p in parts if p)  # zh: no space between Han characters, digits and names

    def paren(self, text: str) -> str:
        return f" ({text})" if self.en else f"（{text}）"

    def group(self, text: str) -> str:
        return f"[{text}]" if self.en else f"【{text}】"

    def value(self, v: Any, path: str | None = None) -> str:
        """A value as the page's reader reads it: on the zh page a date in Chinese style, a code by the
        label of the fact ``path`` it is compared with (an enum value, a region, a nationality, a round)."""
        if isinstance(v, bool):
            return ("true" if v else "false") if self.en else ("是" if v else "否")
        if isinstance(v, dt.date):
            return v.isoformat() if self.en else date_text(v, "zh")
        if not self.en and path == _SHARE and _is_share(v):
            return pct_text(v) + "%"
        if isinstance(v, str) and not self.en and path == _COMPLETES:
            return {"on_birthday": "生日当天即满周岁", "day_after_birthday": "从周岁生日的第二天起算"}.get(v, v)
        if isinstance(v, str) and not self.en:
            return self.zh_text(v, path)
        if isinstance(v, str):
            return f'"{_text(v)}"'
        if isinstance(v, Window):
            return self.window(v)
        if isinstance(v, tuple):
            return (", " if self.en else "、").join(self.value(x, path) for x in v)
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    def zh_text(self, v: str, path: str | None) -> str:
        """A text value on the zh page: by its label when the fact it is compared with names it (an enum
        value, a region, a nationality, a round as 2015—2016年度), else in Chinese quotation marks."""
        schema = self.rs.facts.schema if self.rs.facts is not None else None
        spec = schema.fields.get(path) if schema is not None and path is not None else None
        kind = spec.type if spec is not None else None
        if kind == "enum" and path is not None:
            label = self.vocab.value_label(path, v, "zh")
            if label != v:
                return _text(label)
        elif kind == "region":
            return _text(self.vocab.region(v, "zh"))
        elif kind == "nationality":
            return _text(self.vocab.nationality(v, "zh"))
        elif kind == "str" and path is not None and path.rsplit(".", 1)[-1] == "industry":
            name = self.vocab.industry(v, "zh")
            if name != v:
                return _text(name) + "行业"
        if kind == "round" or re.fullmatch(r"[0-9]{4}-[0-9]{4}", v):
            return term_text(v) + "年度"
        return f"“{_text(v)}”"

    def coded(self, left: RNode, right: RNode) -> str | None:
        """A text written in a condition and compared with an enum fact or the region, by its label in
        the ruleset's facts schema (the region's name) with the code beside it; None otherwise."""
        if not (isinstance(right, Const) and isinstance(right.value, str)):
            return None
        path = left.path if isinstance(left, Fact) else f"{left.list}[].{left.field}" if isinstance(left, Item) \
            else None
        if not self.en:  # by its label alone, the code and the parameter's name left to the en page
            return self.value(right.value, path)
        if right.param is not None:
            return None
        schema = self.rs.facts.schema if self.rs.facts is not None else None
        spec = schema.fields.get(path) if schema is not None and path is not None else None
        lang = "en" if self.en else "zh"
        try:
            if spec is not None and spec.type == "enum" and schema is not None and path is not None:
                label = schema.value_label(path, right.value, lang)
            elif spec is not None and spec.type == "region":
                label = packaged_regions().name(right.value, lang)
            else:
                return None
        except KeyError:  # a value the schema does not list (check has said so): as written
            return None
        code = self.value(right.value)
        return code if label == right.value else _text(label) + self.paren(code)

    def zone(self, tz: str, *, header: bool = False) -> str:
        """A time zone as the page's reader names it: 北京时间 for Asia/Shanghai on a zh page (with the
        zone's code in the header), else the IANA name."""
        if self.en:
            return tz
        return self.vocab.zone(tz, "zh")

    def region(self, code: str | None) -> str:
        """A region code by its name, the code beside it (``广东（guangdong）``); ``—`` for none."""
        if not code:
            return "—" if self.en else "全国"
        names = packaged_regions().names
        if not self.en:
            return names[code]["zh"] if code in names else code
        return names[code]["en"] + self.paren(code) if code in names else code

    def window(self, w: Window, name: str | None = None) -> str:
        tail = self.zone(w.time_zone) + (("; " if self.en else "；") + name if name else "")
        incl = _INCL[self.lang][(w.start_inclusive, w.end_inclusive)]
        if self.en:
            return f"between {w.start.isoformat()} and {w.end.isoformat()}, {incl} ({tail})"
        return f"在{date_text(w.start, 'zh')}至{date_text(w.end, 'zh')}期间（{incl}，{self.zone(w.time_zone)}）"

    def param(self, name: str) -> str:
        p = self.params[name]
        if not self.en:  # its value in words; the parameter's name is on the en page
            return self.value(p.value, self.targets.get(name)) + (self.paren(_T["zh"]["placeholder"])
                                                                 if p.placeholder else "")
        mark = ", " + _T[self.lang]["placeholder"] if p.placeholder else ""
        return self.value(p.value) + self.paren(name + mark)

    def field(self, path: str) -> str:
        """A fact path (top-level or ``list[].field``) as a noun phrase, without its name."""
        label = self.labels.get(path, (path, path))[0 if self.en else 1]
        if "[]" not in path:
            return label
        sing, plural, noun = LIST_NOUNS.get(path.split("[]")[0], ("item", "items", "项目"))
        return f"the {label} of the {plural}" if self.en else f"{noun}的{label}"

    def describe(self, d: Derivation) -> str:
        lst = d.of.split("[]")[0]
        plural, noun = LIST_NOUNS.get(lst, ("", d.of, d.of))[1:]
        of = self.field(d.of) + ("" if "[]" in d.of or not self.en else self.paren(d.of))
        label = self.labels.get(d.of, (d.of, d.of))[0 if self.en else 1]
        at = self.param(d.at) if d.at in self.params else str(d.at)
        en = {"age_in_full_years": f"the age in full years (周岁) on {at}, counted from {of}",
              "count": f"the number of {plural}",
              "count_distinct": f"the number of distinct values of the {label} across the {plural}",
              "earliest": f"the earliest {label} among the {plural}"}
        zh = {"age_in_full_years": f"以{at}为基准日、按{of}计算的周岁年龄", "count": f"{noun}的数量",
              "count_distinct": f"各{noun}中不同{label}的个数", "earliest": f"各{noun}中最早的{label}"}
        text = (en if self.en else zh).get(d.function, d.function)
        if d.where_condition is not None:  # the items counted
            cond = self.cond(d.where_condition)
            text += f", counting only those where {cond}" if self.en else f"（只计满足以下条件的：{cond}）"
        if d.completes and d.completes in self.params:
            done = self.params[d.completes].value
            text += {("en", "on_birthday"): ", a year being completed on the birthday itself",
                     ("en", "day_after_birthday"): ", a year being completed from the day after the birthday",
                     ("zh", "on_birthday"): "（生日当天即满周岁）",
                     ("zh", "day_after_birthday"): "（从周岁生日的第二天起算）"}.get((self.lang, done), "")
        return text

    def noun(self, n: RNode) -> str:
        """A value node (a fact, an item's field, a constant or parameter, arithmetic) in plain words."""
        return _Noun(self).visit(n)

    def pred(self, n: RNode, negated: bool = False) -> str:
        """The predicate of a comparison or ``in``, without its subject ("is at least 6 (members_min)")."""
        return _Pred(self, negated).visit(n)

    def cond(self, n: RNode, nested: bool = False) -> str:
        """A condition node in plain words (grouped in brackets when ``nested`` and made of parts)."""
        return _Cond(self, nested).visit(n)

    def kind(self, n: RNode) -> str:
        """date, instant or other: what chooses the wording of a comparison."""
        t = type_of(n)
        return t if t in ("date", "instant") else "other"

    def quant(self, n: Quant, kind: str, nested: bool) -> str:
        lst = n.list
        sing, _, noun = LIST_NOUNS.get(lst, (lst, lst, lst))
        body = self.cond(n.body)
        if not self.en:
            zh = {"any": f"至少有一项{noun}满足：{body}", "all": f"每一项{noun}（如有）都满足：{body}",
                  "none": f"没有任何一项{noun}满足：{body}"}[kind]
            return self.group(zh) if nested else zh
        en = {"any": f"at least one {sing} ({lst}) such that {body}",
              "all": f"every {sing} ({lst}), if there are any, is such that {body}",
              "none": f"no {sing} ({lst}) is such that {body}"}
        text = en[kind]
        return self.group(text) if nested else text


def _same(a: RNode, b: RNode) -> bool:
    """Whether two value nodes are the same as written: equal, and from the same parameters and item names."""
    def written(n: RNode) -> tuple[Any, Any]:
        return getattr(n, "param", None), getattr(n, "var", None)
    return a == b and all(written(x) == written(y) for x, y in zip(walk(a), walk(b), strict=True))


class _Noun(Visitor[str]):
    """Value nodes in plain words: a parameter with its value and name, a fact with its path."""

    def __init__(self, w: _Words) -> None:
        self.w = w

    def visit_const(self, n: Const) -> str:
        return self.w.param(n.param) if n.param is not None and n.param in self.w.params else self.w.value(n.value)

    def visit_fact(self, n: Fact) -> str:
        w, path = self.w, n.path
        name = path.removeprefix("derived.")
        if not w.en:  # a derived fact by what it is, a fact by its label
            return w.describe(w.derived[name]) if path.startswith("derived.") and name in w.derived else w.field(path)
        if path.startswith("derived.") and name in w.derived:
            desc = w.describe(w.derived[name])  # "...(leader.birth_date)" -> "...(leader.birth_date; derived.x)"
            sep, close = ("; ", ")") if w.en else ("；", "）")
            return desc[:-1] + f"{sep}{path}{close}" if desc.endswith(close) else desc + w.paren(path)
        return w.field(path) + w.paren(path)

    def visit_item(self, n: Item) -> str:
        w = self.w
        label = w.labels.get(f"{n.list}[].{n.field}", (n.field, n.field))[0 if w.en else 1]
        return f"its {label}" + w.paren(f"{n.var}.{n.field}") if w.en else f"其{label}"

    def visit_arith(self, n: Arith) -> str:
        share = n.right if isinstance(n.right, Const) else None
        if not self.w.en and n.op == "*" and share is not None and _is_share(share.value):  # 集体成员总数的50%
            return f"{self.visit(n.left)}的{pct_text(share.value)}%"
        if not self.w.en and n.op == "*" and share is not None and isinstance(share.value, int | Decimal) \
                and not isinstance(share.value, bool) and share.value > 1 and share.value == int(share.value):
            return f"{self.visit(n.left)}的{int(share.value)}倍"  # 评选分配名额的10倍
        sides = [self.w.group(self.visit(x)) if isinstance(x, Arith) else self.visit(x) for x in (n.left, n.right)]
        return self.w.cat(sides[0], _ARITH[self.w.lang][n.op], sides[1])

    def default(self, n: RNode) -> str:
        return self.w.group(self.w.cond(n))


class _Pred(Visitor[str]):
    """The predicate of a comparison or ``in`` (its right side and operator), negated if ``negated``."""

    def __init__(self, w: _Words, negated: bool) -> None:
        self.w, self.negated = w, negated

    def visit_cmp(self, n: Cmp) -> str:
        w = self.w
        op = NEGATED[n.op] if self.negated else n.op
        kinds = {w.kind(n.left), w.kind(n.right)}
        verb = _CMP[w.lang][1 if kinds & {"date", "instant"} else 0][op]
        tz = w.zone(w.rs.time_zone)
        day = "" if kinds != {"date", "instant"} else \
            f", by calendar day in {tz}" if w.en else f"，按{tz}的日历日计"
        return w.cat(verb, w.coded(n.left, n.right) or w.noun(n.right)) + day

    def _one_of(self, items: list[str]) -> str:
        not_ = ("not " if self.w.en else "不") if self.negated else ""
        if self.w.en:
            return f"is {not_}one of {', '.join(items)}"
        return self.w.cat(f"{not_}为", "、".join(items), "之一")

    def visit_in_list(self, n: InList) -> str:
        p = self.w.params.get(n.param) if n.param is not None else None
        if p is not None and not self.w.en:  # a list parameter: its values in words
            path = n.left.path if isinstance(n.left, Fact) else f"{n.left.list}[].{n.left.field}" \
                if isinstance(n.left, Item) else None
            return self._one_of([self.w.value(x, path) for x in p.value] if isinstance(p.value, tuple)
                                else [self.w.value(p.value, path)])
        if p is not None:  # a list parameter: its values, then its name
            return self._one_of([self.w.value(p.value) + self.w.paren(p.name)])
        return self._one_of([self.w.coded(n.left, x) or self.w.noun(x) for x in n.values])

    def visit_in_window(self, n: InWindow) -> str:
        not_ = ("not " if self.w.en else "不") if self.negated else ""
        text = self.w.window(n.window, n.param if self.w.en else None)
        return f"is {not_}{text}" if self.w.en else f"{not_}{text}"


_PREDICATES = (Cmp, InList, InWindow)  # the nodes worded as a subject and a predicate


class _Cond(Visitor[str]):
    """Condition nodes in plain words; parts of ``and``/``or`` that share a subject name it once."""

    def __init__(self, w: _Words, nested: bool) -> None:
        self.w, self.nested = w, nested

    def _junction(self, items: tuple[RNode, ...], is_and: bool) -> str:
        w = self.w
        parts: list[str] = []
        prev: RNode | None = None
        for x in items:
            same = isinstance(x, _PREDICATES) and prev is not None and _same(x.left, prev)
            text = w.pred(x) if same else w.cond(x, nested=True)
            parts.append(text[3:] if same and w.en and text.startswith("is ") else text)
            prev = x.left if isinstance(x, _PREDICATES) else None
        joiner = {"en": ("or", "and"), "zh": ("或", "且")}[w.lang][is_and]
        text = parts[0]
        for part in parts[1:]:
            text = w.cat(text, joiner, part)
        return w.group(text) if self.nested else text

    def visit_and(self, n: And) -> str:
        return self._junction(n.items, True)

    def visit_or(self, n: Or) -> str:
        return self._junction(n.items, False)

    def _predicate(self, n: Cmp | InList | InWindow) -> str:
        w = self.w
        if not w.en and isinstance(n, Cmp) and n.op in ("==", "!=") and isinstance(n.left, Fact) \
                and isinstance(n.right, Const) and isinstance(n.right.value, bool):
            label = w.field(n.left.path)
            if label.startswith("是否"):  # 是否已有常态化联系平台 == true: 已有常态化联系平台
                yes = n.right.value == (n.op == "==")
                return label.removeprefix("是否") if yes else "并非" + label.removeprefix("是否")
        return w.cat(w.noun(n.left), w.pred(n))

    def visit_cmp(self, n: Cmp) -> str:
        return self._predicate(n)

    def visit_in_list(self, n: InList) -> str:
        return self._predicate(n)

    def visit_in_window(self, n: InWindow) -> str:
        return self._predicate(n)

    def visit_not(self, n: Not) -> str:
        w, inner = self.w, n.item
        if isinstance(inner, _PREDICATES):
            return w.cat(w.noun(inner.left), w.pred(inner, negated=True))
        if isinstance(inner, Quant) and inner.kind == "any":
            return w.quant(inner, "none", self.nested)
        text = w.group(w.cond(inner))
        return f"it is not the case that {text}" if w.en else f"并非{text}"


    def visit_quant(self, n: Quant) -> str:
        return self.w.quant(n, n.kind, self.nested)

    def default(self, n: RNode) -> str:
        return self.w.noun(n)


def _is_share(v: Any) -> bool:
    """A number strictly between 0 and 1: a share, read as a per cent figure on the zh page."""
    return isinstance(v, int | float | Decimal) and not isinstance(v, bool) and 0 < v < 1


_SHARE = "%share"  # the target of a parameter that multiplies a count (a share): shown as 50%
_COMPLETES = "%completes"  # the target of a parameter that says when a year of age is completed
_AT = "%at"  # the target of the day on which ages are counted


def _param_targets(rs: Ruleset) -> dict[str, str]:
    """Each parameter compared with a fact (``leader.nationality == params.leader_nationality``) -> that fact's
    path (``honors[].round`` for an item's field), so that its value is worded by the fact's labels."""
    out: dict[str, str] = {}

    def path(n: RNode) -> str | None:
        return n.path if isinstance(n, Fact) else f"{n.list}[].{n.field}" if isinstance(n, Item) else None

    trees = [t for r in rs.rules for t in (r.checked, r.pending_if_condition, r.applies_condition) if t is not None]
    trees += [d.where_condition for d in rs.derived if d.where_condition is not None]
    out.update({d.completes: _COMPLETES for d in rs.derived if d.completes})
    out.update({d.at: _AT for d in rs.derived if d.at})
    for tree in trees:
        for n in walk(tree):
            if isinstance(n, Arith) and n.op == "*":
                for x in (n.left, n.right):
                    if isinstance(x, Const) and x.param is not None and _is_share(x.value):
                        out.setdefault(x.param, _SHARE)
            if isinstance(n, InWindow) and n.param is not None and path(n.left) is not None:
                out.setdefault(n.param, path(n.left) or "")
            if isinstance(n, Cmp | InList):
                sides = [n.left, n.right] if isinstance(n, Cmp) else [n.left]
                consts = [x for x in sides if isinstance(x, Const) and x.param is not None]
                facts = [p for p in map(path, sides) if p is not None]
                for c in consts:
                    if facts and c.param is not None:
                        out.setdefault(c.param, facts[0])
                if isinstance(n, InList) and n.param is not None and facts:
                    out.setdefault(n.param, facts[0])
    return out


def _cell(c: Any) -> str:
    return " ".join(str(c).split()).replace("|", "\\|")


def _table(cols: str, rows: list[tuple[Any, ...]]) -> list[str]:
    """A Markdown table; ``cols`` is "A|B|C". Cells are flattened to one line, ``|`` escaped, empty as —."""
    def row(cells: Any) -> str:
        return "| " + " | ".join(_cell(c) if c else "—" for c in cells) + " |"
    return [row(cols.split("|")), "|" + "---|" * len(cols.split("|")), *(row(r) for r in rows), ""]


def _code(text: str) -> str:
    """``text`` on one line as a code span, fenced by more backticks than it contains."""
    flat = re.sub(r"\s*\n\s*", " ", text.strip())  # a condition never starts or ends with a backtick
    ticks = "`" * (1 + max((len(m) for m in re.findall(r"`+", flat)), default=0))
    return f"{ticks}{flat}{ticks}"


_ZONE_ZH = {"Asia/Shanghai": "北京时间"}  # zones a zh reader names in words (UTC+8 without DST since 1992)
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _inert(line: str) -> str:
    """HTML escaped and a link's ``](`` or ``][`` broken, so a text adds no tag or link."""
    return line.translate(_HTML).replace("](", "]\\(").replace("][", "]\\[")


def _text(text: str) -> str:
    """A text of the ruleset (or its facts schema) as Markdown that shows just that text: on one line (so
    it starts no heading, list or rule), HTML and link brackets escaped (so it adds no tag or link)."""
    return _inert(" ".join(str(text).split()))


def _paragraph(text: str) -> str:
    """A text that starts a line of its own: as ``_text``, and a first character that would start a block
    (a heading, list, quote or rule) escaped."""
    shown = _text(text)
    m = re.match(r"[#>+*=_-]|`{3}|~{3}|[0-9]+([.)])(?:\s|$)", shown)
    if m is None:
        return shown
    at = m.start(1) if m.lastindex else 0  # a numbered item: before its . or )
    return shown[:at] + "\\" + shown[at:]


def _quote(text: str) -> list[str]:
    return [f"> {_inert(line)}".rstrip() for line in text.strip().splitlines()] + [""]


def _layer(w: _Words, layer: str) -> str:
    """A layer id as the page's reader names it: as written in English, in words in Chinese."""
    rs = w.rs
    if w.en or not layer:
        return layer or "—"
    return layers_text((layer,) if len({x.split("/")[0] for x in rs.layers}) <= 1 else (*rs.layers, layer), "zh",
                       folder=str(Path(rs.path).parent) if rs.path else None,
                       own=(rs.id, rs.title.zh, rs.title.en)).rsplit(" → ", 1)[-1]  # its term if they span terms


def _param_name(p: Parameter, lang: str, w: _Words | None = None) -> str:
    """A parameter named for a reader: the head of its description (``集体成员人数上限``); without one, on the
    zh page, by what it is compared with (``集体成员总数的比较值``), else its name (the en page's words)."""
    text = p.description.get(lang) if p.description else ""
    head = re.split(r"[：:。]|\.\s|\.$", " ".join(text.split()), maxsplit=1)[0].strip() if text else ""
    if head:
        return _text(head)
    if lang != "zh" or w is None:
        return p.name
    target = w.targets.get(p.name)
    fixed = {_SHARE: "比例", _COMPLETES: "满周岁的计算方法", _AT: "计算周岁年龄的基准日"}
    if target in fixed:
        return fixed[target]
    if target:
        label = w.vocab.label(target, "zh") if target.startswith("derived.") else w.field(target)
        return _text(label) + ("的期间" if isinstance(p.value, Window) else "的比较值")
    scored = [r.title.zh for r in w.rs.rules if r.score is not None and r.score.param == p.name]
    if scored:  # the points of these rules
        return "“" + _text("”“".join(scored[:2])) + "”" + ("等项" if len(scored) > 2 else "") + "的分值"
    return "其他参数"


def _rule(w: _Words, rule: Rule) -> list[str]:
    t, en, rs = _T[w.lang], w.en, w.rs
    c = rule.citation
    src = next((s for s in rs.sources if s.id == c.source), None)
    title = _text(src.title.get(w.lang) if src else c.source)
    colon = ":** " if en else "：**"
    severity = t.get(rule.severity + ('_unit' if rs.subject == 'unit' else ''), t.get(rule.severity, rule.severity))
    if en:
        ref = (", " + _text(src.reference)) if src and src.reference else ""
        where = f"{title} ({c.source}{ref}), {t['clause']} {_text(c.clause)}"
        out = [f"### {rule.id} — {_text(rule.title.en)}", "", f"- **{t['severity']}{colon}{severity}",
               f"- **{t['layer']}{colon}{rule.layer or '—'}", f"- **{t['source']}{colon}{where}", "",
               *_quote(c.text), f"**{t['plain']}{colon}{w.cond(rule.checked)}", "",
               f"**{t['written']}{colon}{_code(rule.when)}", ""]
    else:  # no identifiers but the rule's own number, labelled; the condition as written is on the en page
        ref = f"（{_text(src.reference)}）" if src and src.reference else ""
        out = [f"### {_text(rule.title.zh)}", "", f"- **{t['rule_id']}{colon}{rule.id}",
               f"- **{t['severity']}{colon}{severity}", f"- **{t['layer']}{colon}{_layer(w, rule.layer)}",
               f"- **{t['source']}{colon}《{title}》{ref}{_text(c.clause)}", "",
               *_quote(c.text), f"**{t['plain']}{colon}{w.unnest(w.cond(rule.checked))}", ""]
    if rule.pending_if is not None and rule.pending_if_condition is not None:  # "not yet closed", if any
        cond = w.unnest(w.cond(rule.pending_if_condition))
        out += [f"**{t['pending']}{colon}{cond} — {_code(rule.pending_if)}" if en else
                f"**{t['pending']}{colon}{cond}", ""]
    if rule.due and rule.due in w.params:
        opens, last = due_days(w.params[rule.due].value)
        zone = rs.days_zone(rule.due)
        day = (lambda d: d.isoformat()) if en else (lambda d: date_text(d, "zh"))
        text = t["due_text"].format(last=day(last), zone=w.zone(zone), decided=day(decided_on(last)),
                                    opens=t["due_opens"].format(opens=day(opens)) if opens else "")
        out += [f"**{t['due']}{colon}`params.{rule.due}`: {text}.", ""] if en else \
            [f"**{t['due']}{colon}{text}。", ""]
    if rule.provisional_pass:
        out += [f"**{t['provisional']}{'.' if en else '。'}**", ""]
    if rule.applies_if is not None and rule.applies_condition is not None:
        out += [f"**{t['applies']}{colon}" + t["applies_text"].format(cond=w.unnest(w.cond(rule.applies_condition)),
                                                                      code=_code(rule.applies_if)), ""]
    if rule.interpretation:
        out += [f"**{t['interp']}{colon}{_text(rule.interpretation.get(w.lang))}", ""]
    notes = []
    for p in (w.params[name] for name in rule.params if name in w.params):
        bits = (p.description and p.description.get(w.lang),
                p.interpretation and t["interp"] + (": " if en else "：") + p.interpretation.get(w.lang),
                p.placeholder and t["placeholder"])
        text = (" " if en else "").join(_text(b) for b in bits if b)
        if en:
            notes.append(f"- `{p.name}` = {w.value(p.value)}" + (f" — {text}" if text else ""))
        else:
            shown = w.value(p.value, w.targets.get(p.name))
            interp = p.interpretation and t["interp"] + "：" + _text(p.interpretation.get("zh"))
            tail = "".join(_text(b) for b in (interp, p.placeholder and f"（{t['placeholder']}）") if b)
            notes.append(f"- {_param_name(p, 'zh', w)}：{shown}。" + tail)
    if notes:
        out += [f"**{t['used']}{colon.rstrip()}", "", *notes, ""]
    return out


def render_markdown(ruleset: Ruleset, *, lang: str = "en") -> str:
    """The ruleset as a Markdown page in ``lang`` ("en" or "zh"); the same ruleset gives the same text.

    The en page carries the technical facts for policy staff: each condition as written, parameter and
    fact names, source ids and layer ids. The zh page reads in words only (labels of the facts schema,
    values by their labels, dates in Chinese style); its only identifiers are the labelled rule numbers,
    ruleset id and content hash."""
    if lang not in _T:
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    w, t, en = _Words(ruleset, lang), _T[lang], lang == "en"
    colon = ":** " if en else "：**"
    if en:
        out = [f"# {_text(ruleset.title.en)}", "", _paragraph(ruleset.title.zh), "",
               f"- **{t['term']}{colon}{ruleset.term}", f"- **{t['version']}{colon}{ruleset.version}",
               f"- **{t['region']}{colon}{w.region(ruleset.region)}",
               f"- **{t['layers']}{colon}{' → '.join(ruleset.layers) or ruleset.id}",
               f"- **{t['tz']}{colon}{w.zone(ruleset.time_zone, header=True)}",
               f"- **{t['sha']}{colon}`{ruleset.sha256 or '—'}`", "",
               t["note"], "", f"## {t['sources']}", ""]
        out += _table(t["src_cols"], [(s.id, _text(s.title.get(lang)), s.reference and _text(s.reference),
                                       s.date and s.date.isoformat(), s.note and _text(s.note.get(lang)))
                                      for s in ruleset.sources])
    else:
        layers = layers_text(ruleset.layers or (ruleset.key,), "zh",
                             own=(ruleset.id, ruleset.title.zh, ruleset.title.en),
                             folder=str(Path(ruleset.path).parent) if ruleset.path else None)
        out = [f"# {_text(ruleset.title.zh)}", "",
               f"- **{t['term']}{colon}{term_text(ruleset.term)}年度", f"- **{t['version']}{colon}{ruleset.version}",
               f"- **{t['region']}{colon}{w.region(ruleset.region)}", f"- **{t['layers']}{colon}{layers}",
               f"- **{t['tz']}{colon}{w.zone(ruleset.time_zone)}", f"- **{t['id']}{colon}{ruleset.id}",
               f"- **{t['sha']}{colon}{ruleset.sha256 or '—'}", "", t["note"], "", f"## {t['sources']}", ""]
        out += _table(t["src_cols"], [(_text(s.title.get(lang)), s.reference and _text(s.reference),
                                       s.date and date_text(s.date, "zh"), s.note and _text(s.note.get(lang)))
                                      for s in ruleset.sources])
    out += [f"## {t['rules']}", ""]
    for rule in ruleset.rules:
        out += _rule(w, rule)
    out += [f"## {t['params']}", ""]
    mark = f" — **{t['placeholder']}**" if en else f"（**{t['placeholder']}**）"
    titles = {s.id: s.title.get(lang) for s in ruleset.sources}
    out += _table(t["par_cols"], [(f"`{p.name}`" if en else _param_name(p, lang, w),
                                   w.value(p.value, w.targets.get(p.name)) + (mark if p.placeholder else ""),
                                   p.source if en else p.source and _text(titles.get(p.source, p.source)),
                                   p.description and _text(p.description.get(lang)),
                                   p.interpretation and _text(p.interpretation.get(lang)), _layer(w, p.layer))
                                  for p in ruleset.parameters])
    crit = ruleset.creation_collective
    if crit is not None:  # conditions over a collective's facts, worded with the collective's fields
        cw = _Words(attrs.evolve(ruleset, subject="collective", derived=(), facts=SUBJECTS["collective"]), lang)
        out += [f"## {t['creation']}", "", t["creation_text"].format(cond=cw.unnest(cw.cond(crit.checked)),
                                                                     code=_code(crit.when)), ""]
        names = {name: name if en else w.vocab.label(f"creation_collectives.{name}", "zh").removeprefix("其中")
                 .removesuffix("数量") for name, _ in crit.breakdown}
        out += ["- " + t["breakdown"].format(name=f"`{name}`" if en else names[name], cond=cw.unnest(cw.cond(tree)),
                                             code=_code(text))
                for (name, text), (_, tree) in zip(crit.breakdown, crit.breakdown_conditions, strict=True)]
        clause = f", {t['clause']} {_text(crit.citation.clause)}" if en else _text(crit.citation.clause)
        title = _text(crit.citation.source_title)
        out += ["", f"**{t['source']}{colon}{title if en else f'《{title}》'}{clause}", "",
                *_quote(crit.citation.text)]
        if crit.interpretation:
            out += [f"**{t['interp']}{colon}{_text(crit.interpretation.get(lang))}", ""]
    if ruleset.derived:
        out += [f"## {t['derived']}", ""]
        out += _table(t["der_cols"], [(f"`derived.{d.name}`" if en else _text(w.vocab.label(f"derived.{d.name}", "zh")),
                                       w.unnest(w.describe(d))) for d in ruleset.derived])
    return "\n".join(out).rstrip("\n") + "\n"
