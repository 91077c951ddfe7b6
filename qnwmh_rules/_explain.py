"""Explanations of a verdict for people: an auditor's note in Chinese or English, as text or HTML.

Owns: turning a ``Verdict`` into a note an auditor can sign. Two documents, by subject: a
collective's eligibility note (资格核查说明) and a management unit's assessment note (考评说明: the
unit named with its kind and region, the score in the headline, a banner when weights are
placeholders). Each rule is worded as requirement, finding and conclusion (要求 / 核查情况 /
核查结论), with the clause it cites quoted; then the interpretations applied and the
reproducibility stamp. ``explain_text`` gives plain text, ``explain_html`` one self-contained HTML
page (inline CSS, no scripts, nothing fetched, A4 when printed). Both are deterministic.

Must not know durable_rules, YAML or how outcomes are decided, nor any particular fact or rule:
a rule's finding is worded by the templates its ruleset declares (``_finding``), or generically
from the labels of the facts it read. The ruleset is the one the verdict's stamp names (or the one
given); the facts, when given, only supply the subject's name, kind and region.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from . import _template as T
from ._catalogue import rulesets_dir
from ._finding import Vocab, vocabulary, word_rule
from ._model import Ruleset
from ._moments import MAX_YEAR, MIN_YEAR, parse_timestamp
from ._names import layers_text, ruleset_name
from ._replay import ruleset_for_stamp
from .verdict import RuleOutcome, Verdict

__all__ = ["explain_text", "explain_html", "LANGS", "pick_lang"]

LANGS = ("zh", "en")
_GROUP_ORDER = ("failed", "undetermined", "passed", "not_applicable")


# ---------------------------------------------------------------------------------------------
# words


_W: dict[str, dict[str, str]] = {
    "zh": {
        "doc_title": "青年文明号创建集体资格核查说明", "unit.doc_title": "青年文明号活动管理工作考评说明",
        "h.eligible": "{asof}{who}具备{term}年度全国青年文明号创建集体资格（{basis}）",
        "h.ineligible": "{asof}{who}不具备{term}年度全国青年文明号创建集体资格（{basis}）",
        "h.undetermined": "{asof}{who}是否具备{term}年度全国青年文明号创建集体资格尚无法判定（{basis}）",
        "unit.h": "{asof}{who}的{term}年度青年文明号活动管理工作考评{score}，{outcome}（{basis}）",
        "unit.o.eligible": "各项必备要求均已达到", "unit.o.ineligible": "部分必备要求未达到",
        "unit.o.undetermined": "尚有必备要求无法判定",
        "unit.h.noscore": "{asof}{who}的{term}年度青年文明号活动管理工作考评：{outcome}（{basis}）",
        "score": "得分{total}分（满分{maximum}分）",
        "score.provisional": "暂定得分{total}分（满分{maximum}分；尚无法判定的项目判定后，"
                             "最终得分在{lo}分至{hi}分之间）",
        "asof": "截至{date}，", "asof.none": "",
        "basis": "依据{ruleset}", "basis.elsewhere": "；所在地区为{region}，不属于{overlay}", "basis.national": "全国",
        "basis.asof_none": "；未指定评估时点，按各期限均已届满评估",
        "who": "{id}（{details}）", "details_sep": "，",
        "g.failed": "不符合的条件", "g.undetermined": "尚无法判定的条件", "g.passed": "符合的条件",
        "g.not_applicable": "不适用的条件",
        "unit.g.failed": "未达到的要求", "unit.g.undetermined": "尚无法判定的要求", "unit.g.passed": "已达到的要求",
        "unit.g.not_applicable": "不适用的要求",
        "b.failed": "不符合", "b.undetermined": "尚无法判定", "b.passed": "符合", "b.not_applicable": "不适用",
        "unit.b.failed": "未达到", "unit.b.passed": "已达到",
        "c.failed": "不符合", "c.undetermined": "尚无法判定", "c.passed": "符合", "c.not_applicable": "不适用",
        "unit.c.failed": "未达到要求", "unit.c.passed": "达到要求",
        "n.failed": "不符合{n}项", "n.undetermined": "尚无法判定{n}项", "n.passed": "符合{n}项",
        "n.not_applicable": "不适用{n}项",
        "unit.n.failed": "未达到{n}项", "unit.n.passed": "达到{n}项",
        "counts": "共核查{total}项：{parts}。", "counts.all": "共核查{total}项，均{outcome}。", "counts_sep": "，",
        "missing_all": "缺少信息：{paths}。",
        "count_head": "{label}（{n}项）",
        "rule_head": "{title}", "advisory": "〔建议性条件，不影响结论〕",
        "unit.advisory": "〔建议性要求：不影响必备要求是否达到的结论，但计入得分〕",
        "l.cites": "依据", "l.required": "要求", "l.finding": "核查情况", "l.missing": "缺少信息",
        "l.waiting": "无法判定的原因", "l.conclusion": "核查结论", "l.points": "得分", "l.id": "规则编号",
        "cite.head": "{source}{clause}", "cite": "{head}：“{text}”",
        "waiting.other": "尚待其他情况确定后判定",
        "interp": "采用的解释", "interp.rule": "{title}", "interp.param": "参数“{name}”（用于：{titles}）",
        "interp.none": "（无）", "interp.placeholder": "〔暂定值，并非正式标准〕",
        "stamp": "可复现信息",
        "s.ruleset": "规则集", "s.ruleset_text": "{name}（{term}年度）", "s.ruleset_id": "规则集编号",
        "s.region": "规则集适用范围", "s.nationwide": "全国",
        "s.layers": "层次（由基础到覆盖）", "s.ruleset_sha256": "规则集SHA-256校验值", "s.library_version": "软件版本",
        "s.engine": "规则引擎", "s.as_of": "评估时点", "s.facts_sha256": "核查数据SHA-256校验值",
        "s.unset": "未指定（按各期限均已届满评估）", "engine.durable": "durable_rules（存档认定所用引擎）",
        "engine.python": "Python 编译后端",
        "colon": "：", "sep": "、", "end": "。", "points": "{points}分（满分{max}分）",
        "points.deduction": "扣{points}分（最多扣{max}分）", "points.open": "暂不计分（满分{max}分）",
        "points.short": "得分{points}分，满分{max}分",
        "points.short.deduction": "扣{points}分，最多扣{max}分",
        "placeholder": "注意：考评办法原文未收录，本说明的分值为暂定分值，并非正式标准，得分仅供参考。",
        "placeholder.rules": "使用暂定分值的项目：{titles}。", "placeholder.all": "",
    },
    "en": {
        "doc_title": "Eligibility note: national Youth Civilization Post creation collective",
        "unit.doc_title": "Assessment note: management of the Youth Civilization Post programme",
        "h.eligible": "{asof}{who} is eligible as a {term} national 青年文明号 creation collective ({basis}).",
        "h.ineligible": "{asof}{who} is not eligible as a {term} national 青年文明号 creation collective ({basis}).",
        "h.undetermined": "{asof}whether {who} is eligible as a {term} national 青年文明号 creation collective "
                          "is undetermined ({basis}).",
        "unit.h": "{asof}{who} has {score} in the {term} assessment of management units; {outcome} ({basis}).",
        "unit.h.noscore": "{asof}the {term} assessment of {who} as a management unit of the programme: {outcome} "
                          "({basis}).",
        "unit.o.eligible": "every required duty is met", "unit.o.ineligible": "a required duty is not met",
        "unit.o.undetermined": "some required duties are undetermined",
        "score": "a score of {total} out of {maximum}",
        "score.provisional": "a provisional score of {total} out of {maximum} (the final score will lie between {lo} "
                             "and {hi} once the undetermined items are decided)",
        "asof": "As of {date}, ", "asof.none": "",
        "basis": "under {ruleset}", "basis.elsewhere": "; located in {region}, not {overlay}",
        "basis.national": "national",
        "basis.asof_none": "; no evaluation date given: every deadline is taken as passed",
        "who": "{id} ({details})", "details_sep": "; ",
        "g.failed": "Conditions not met", "g.undetermined": "Undetermined conditions",
        "g.passed": "Conditions met",
        "g.not_applicable": "Conditions not applicable",
        "unit.g.failed": "Duties not met", "unit.g.undetermined": "Undetermined duties",
        "unit.g.passed": "Duties met", "unit.g.not_applicable": "Duties not applicable",
        "b.failed": "not met", "b.undetermined": "undetermined", "b.passed": "met",
        "b.not_applicable": "not applicable",
        "c.failed": "not met", "c.undetermined": "undetermined", "c.passed": "met",
        "c.not_applicable": "not applicable",
        "n.failed": "{n} not met", "n.undetermined": "{n} undetermined", "n.passed": "{n} met",
        "n.not_applicable": "{n} not applicable",
        "counts": "{total} items checked: {parts}.", "counts.all": "{total} items checked: all {outcome}.",
        "counts_sep": ", ",
        "missing_all": "Missing information: {paths}.",
        "count_head": "{label} ({n})",
        "rule_head": "{title}", "advisory": "(advisory: does not affect the outcome)",
        "unit.advisory": "(advisory: does not decide whether the required duties are met, but is scored)",
        "l.cites": "Cites", "l.required": "Required", "l.finding": "Finding", "l.missing": "Missing",
        "l.waiting": "Why undetermined", "l.conclusion": "Conclusion", "l.points": "Points", "l.id": "Rule id",
        "cite.head": "{source}, clause {clause}", "cite": "{head}: “{text}”",
        "waiting.other": "waiting for another condition to be settled",
        "interp": "Interpretations applied", "interp.rule": "{title}",
        "interp.param": "parameter “{name}” (used by: {titles})", "interp.none": "(none)",
        "interp.placeholder": "[placeholder — not an official value] ",
        "stamp": "Reproducibility stamp",
        "s.ruleset": "Ruleset", "s.ruleset_text": "{name} ({term})", "s.ruleset_id": "Ruleset id",
        "s.region": "Ruleset applies to", "s.nationwide": "the whole country",
        "s.layers": "Layers (base first)", "s.ruleset_sha256": "Ruleset SHA-256",
        "s.library_version": "Library version", "s.engine": "Engine", "s.as_of": "Evaluated as of",
        "s.facts_sha256": "Facts SHA-256", "s.unset": "not set (every deadline taken as passed)",
        "engine.durable": "durable_rules (engine of record)", "engine.python": "compiled Python backend",
        "colon": ": ", "sep": ", ", "end": ".", "points": "{points} of {max}",
        "points.deduction": "{points} (at most {max})", "points.open": "pending (out of {max})",
        "points.short": "{points} of {max} points",
        "points.short.deduction": "{points} points, at most {max}",
        "placeholder": "NOTE: the text of the assessment measures is not held; the points in this note are "
                       "provisional, not official weights, and the score is indicative only.",
        "placeholder.rules": "Items scored with provisional points: {titles}.",
        "placeholder.all": "",
    },
}


def _check_lang(lang: str) -> dict[str, str]:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(map(repr, LANGS))}, got {lang!r}")
    return _W[lang]


def pick_lang(text: str, lang: str) -> str:
    """One language out of a bilingual ``"中文 / English"`` text; the whole text otherwise."""
    parts = text.split(" / ", 1)
    if len(parts) == 2 and re.search(r"[\u3400-\u9fff]", parts[0]) and not re.search(r"[\u3400-\u9fff]", parts[1]):
        return parts[0] if lang == "zh" else parts[1]
    return text


def _plain(text: str) -> str:
    """A note's text without Markdown code marks: ``due`` shows as due."""
    return re.sub(r"`([^`]*)`", r"\1", text)


def _w(w: Mapping[str, str], unit: bool, key: str) -> str:
    return w.get(f"unit.{key}", w[key]) if unit else w[key]


# ---------------------------------------------------------------------------------------------
# the note, independent of text or HTML


@attrs.frozen
class _Line:
    kind: str       # cites | required | finding | missing | waiting | points | conclusion
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
    summary: str     # one line, for conditions met and not applicable


@attrs.frozen
class _Group:
    outcome: str
    heading: str
    badge: str
    detailed: bool
    rules: tuple[_RuleNote, ...]


@attrs.frozen
class _Note:
    lang: str
    unit: bool
    title: str
    outcome: str
    headline: str
    banner: tuple[str, ...]
    counts: str
    missing: str
    groups: tuple[_Group, ...]
    score: tuple[str, ...]
    interpretations: tuple[tuple[str, str], ...]
    stamp: tuple[tuple[str, str], ...]
    w: Mapping[str, str]
    stamp_mono: tuple[str, ...] = ()  # per stamp row: ' class="mono"' for hashes and ruleset keys


def _ruleset_for(verdict: Verdict, given: Any) -> Ruleset | None:
    if given is not None:
        rs = getattr(given, "ruleset", given)
        return rs if isinstance(rs, Ruleset) else None
    return ruleset_for_stamp(verdict.stamp)


def _when(as_of: str | None, vocab: Vocab, lang: str) -> str | None:
    """``as_of`` in words: the day (at the end of a day) or the day and time."""
    moment = T.moment_text(as_of, vocab, lang)
    if moment is None or moment[1] is None:
        return None if moment is None else moment[0]
    return f"{moment[0]}（{moment[1]}）" if lang == "zh" else f"{moment[0]} ({moment[1]})"


def _who(verdict: Verdict, facts: Mapping[str, Any] | None, vocab: Vocab, w: Mapping[str, str], lang: str) -> str:
    details: list[str] = []
    if isinstance(facts, Mapping) and facts.get("id") in (None, verdict.subject_id):
        name = facts.get("name")
        if isinstance(name, str) and name.strip():
            details.append(name.strip())
        kind = facts.get("kind") if verdict.subject == "unit" else None
        if isinstance(kind, str):
            details.append(vocab.value_label("kind", kind, lang))
        region = facts.get("region")
        if isinstance(region, str) and verdict.subject == "unit":
            place = vocab.region(region, lang)
            if not (isinstance(name, str) and place in name):  # 共青团广东省委 already says 广东
                details.append(place)
    if not details:
        return verdict.subject_id
    return w["who"].format(id=verdict.subject_id, details=w["details_sep"].join(details))


def _basis(verdict: Verdict, rs: Ruleset | None, vocab: Vocab, w: Mapping[str, str], lang: str,
           facts: Any = None) -> str:
    s = verdict.stamp
    out = w["basis"].format(ruleset=_ruleset_words(verdict, rs, lang))
    region = facts.get("region") if isinstance(facts, Mapping) else None
    if s.region and isinstance(region, str) and region != s.region:  # a regional ruleset, a subject elsewhere
        out += w["basis.elsewhere"].format(region=vocab.region(region, lang), overlay=vocab.region(s.region, lang))
    if not s.as_of:
        out += w["basis.asof_none"]
    return out


def _points_text(x: Any) -> str:
    """A score as a reader writes it: ``100``, not ``100.0``; a decimal only when there is one (``2.5``)."""
    text = str(x)
    return text.rstrip("0").rstrip(".") if re.fullmatch(r"-?[0-9]+\.[0-9]+", text) else text


def _score_head(verdict: Verdict, w: Mapping[str, str]) -> str | None:
    s = verdict.score
    if s is None:
        return None
    n = _points_text
    if s.provisional:
        return w["score.provisional"].format(total=n(s.total), maximum=n(s.maximum), lo=n(s.lowest), hi=n(s.highest))
    return w["score"].format(total=n(s.total), maximum=n(s.maximum))


def _headline(verdict: Verdict, rs: Ruleset | None, facts: Any, vocab: Vocab, w: Mapping[str, str],
              lang: str, unit: bool) -> str:
    when = _when(verdict.stamp.as_of, vocab, lang)
    asof = w["asof"].format(date=when) if when else w["asof.none"]
    who = _who(verdict, facts, vocab, w, lang)
    term = T.term_text(verdict.stamp.term)
    basis = _basis(verdict, rs, vocab, w, lang, facts)
    if unit:
        score = _score_head(verdict, w)
        key = "unit.h" if score else "unit.h.noscore"
        text = w[key].format(asof=asof, who=who, term=term, score=score, basis=basis,
                             outcome=w[f"unit.o.{verdict.outcome}"])
    else:
        text = w[f"h.{verdict.outcome}"].format(asof=asof, who=who, term=term, basis=basis)
    return text[0].upper() + text[1:] if lang == "en" else text


def _cites(r: RuleOutcome, w: Mapping[str, str]) -> _Line:
    c = r.citation
    title = c.source_title
    if title:   # 《》 marks a title in either language; a title inside 《》 takes 〈〉 for the titles it quotes
        title = "《" + title.replace("《", "〈").replace("》", "〉") + "》"
    head = w["cite.head"].format(source=title, clause=c.clause)
    return _Line("cites", w["l.cites"], w["cite"].format(head=head, text=c.text), head, c.text)


def _end(text: str, w: Mapping[str, str]) -> str:
    """A sentence of a note: ended, and in English begun with a capital."""
    if text and w is _W["en"]:
        text = text[0].upper() + text[1:]
    return text if text.endswith(("。", ".", "！", "？")) else text + w["end"]


def _points(verdict: Verdict, rule_id: str, w: Mapping[str, str], short: bool = False) -> str | None:
    """The points a scored rule contributed, of the most it could (deductions as points taken off)."""
    if verdict.score is None:
        return None
    key = "points.short" if short else "points"
    for line in verdict.score.lines:
        if line.rule == rule_id and line.kind in ("award", "deduction", "bonus"):
            top = line.max if line.max is not None else line.points
            if line.status == "undetermined":
                return w["points.open"].format(max=top)
            if line.kind == "deduction" and w is _W["zh"]:
                return str(w[f"{key}.deduction"]).format(points=line.points.lstrip("-"), max=top.lstrip("-"))
            return w[key].format(points=line.points, max=top)
    return None


def _rule_note(verdict: Verdict, r: RuleOutcome, rs: Ruleset | None, w: Mapping[str, str], lang: str,
               vocab: Vocab, unit: bool) -> _RuleNote:
    rule = None
    if rs is not None:
        try:
            rule = rs.rule(r.id)
        except KeyError:
            rule = None
    said = word_rule(r, rule, lang=lang, vocab=vocab, as_of=verdict.stamp.as_of)
    title = r.title_zh if lang == "zh" else r.title_en
    scored = rule is not None and rule.score is not None and rule.score.kind != "gate"
    advisory = _w(w, unit and scored, "advisory") if r.severity == "advisory" else ""
    lines = [_cites(r, w), _Line("required", w["l.required"], _end(said.requirement, w))]
    finding = said.finding
    if finding is not None:
        lines.append(_Line("finding", w["l.finding"], _end(finding, w)))
    if r.missing:
        lines.append(_Line("missing", w["l.missing"], w["sep"].join(vocab.label(p, lang) for p in r.missing)))
    if r.outcome == "undetermined" and not r.missing and (said.waiting or finding is None):
        lines.append(_Line("waiting", w["l.waiting"], _end(said.waiting or w["waiting.other"], w)))
    points = _points(verdict, r.id, w)
    if points:
        lines.append(_Line("points", w["l.points"], points))
    conclusion = _w(w, unit, f"c.{r.outcome}") if f"c.{r.outcome}" in w else r.outcome
    lines.append(_Line("conclusion", w["l.conclusion"], conclusion[0].upper() + conclusion[1:]))
    summary = title + w["colon"] + _end(finding if finding is not None else said.requirement, w)
    if points:
        short = _points(verdict, r.id, w, short=True)
        summary = summary[:-1] + (f"（{short}）。" if lang == "zh" else f" ({short}).")
    return _RuleNote(r.id, r.outcome, title, advisory, tuple(lines), summary)


_STAMP_ORDER = ("ruleset_id", "term", "version", "region", "layers", "ruleset_sha256", "library_version", "engine",
                "as_of", "facts_sha256")


def _stamp_keys(verdict: Verdict) -> tuple[str, ...]:
    d = verdict.stamp.to_dict()
    return (*[k for k in _STAMP_ORDER if k in d], *sorted(k for k in d if k not in _STAMP_ORDER))


def _ruleset_words(verdict: Verdict, rs: Ruleset | None, lang: str) -> str:
    """The ruleset the stamp names, in words: ``广东规则集2.0.1版`` / ``the Guangdong ruleset, version 2.0.1``."""
    s = verdict.stamp
    title = (rs.title.zh if lang == "zh" else rs.title.en) if rs is not None and rs.id == s.ruleset_id else None
    return ruleset_name(s.ruleset_id, s.version, lang, region=s.region or None, title=title)


def _stamp(verdict: Verdict, rs: Ruleset | None, vocab: Vocab, w: Mapping[str, str],
           lang: str) -> tuple[tuple[str, str, bool], ...]:
    """The stamp as (label, text, whether the text is an identifier shown in a fixed-width face): the ruleset
    in words with its term, its id, where it applies, the layers in words, then the hashes and versions."""
    d = verdict.stamp.to_dict()
    rows: list[tuple[str, str, bool]] = []
    for k in _stamp_keys(verdict):
        v = d[k]
        mono = False
        if k == "ruleset_id":
            rows.append((w["s.ruleset"], w["s.ruleset_text"].format(name=_ruleset_words(verdict, rs, lang),
                                                                   term=T.term_text(verdict.stamp.term)), False))
            text, mono = str(v), True
        elif k in ("term", "version"):
            continue  # said in words with the ruleset
        elif k == "layers" and isinstance(v, list | tuple):
            own = (rs.id, rs.title.zh, rs.title.en) if rs is not None else None
            text = layers_text(tuple(map(str, v)), lang, own=own,
                               folder=str(Path(rs.path).parent) if rs is not None and rs.path else None)
        elif k == "region":
            text = vocab.region(str(v), lang) if v else w["s.nationwide"]
        elif k == "as_of":
            text = (_when(v, vocab, lang) or str(v)) if v else w["s.unset"]
        elif k == "engine":
            text = w.get(f"engine.{v}", str(v))
        elif v is None:
            text = w["s.unset"]
        else:
            text, mono = str(v), k in ("ruleset_sha256", "facts_sha256", "library_version")
        rows.append((w.get(f"s.{k}", k), text, mono))
    return tuple(rows)


def _in_lang(value: Any, lang: str) -> str | None:
    """A ruleset text in ``lang``: a bilingual ``Text`` gives its half; a plain text its ``zh / en`` half."""
    if value is None:
        return None
    if isinstance(value, str):
        return pick_lang(value, lang)
    got = getattr(value, lang, None)
    return got if isinstance(got, str) else None


def _interpretations(verdict: Verdict, w: Mapping[str, str], lang: str,
                     rs: Ruleset | None = None) -> tuple[tuple[str, str], ...]:
    """The readings applied: each rule's interpretation, then each parameter's note once with the rules
    using it. From the ruleset in the note's language when it is known, else as the verdict records them."""
    rules = {r.id: r for r in rs.rules} if rs is not None else {}
    declared = {p.name: p for p in rs.parameters} if rs is not None else {}
    rows: list[tuple[str, str]] = []
    params: dict[str, tuple[str, list[str]]] = {}
    for r in verdict.rules:
        title = r.title_zh if lang == "zh" else r.title_en
        rule = rules.get(r.id)
        text = _in_lang(rule.interpretation, lang) if rule is not None else _in_lang(r.interpretation, lang)
        if text:
            rows.append((w["interp.rule"].format(title=title), _plain(text)))
        for name, note in r.param_notes:
            if not note:
                continue
            p = declared.get(name)
            said = _in_lang(p.interpretation, lang) if p is not None else _in_lang(str(note), lang)
            if p is not None and p.placeholder:
                said = w["interp.placeholder"] + (said or "")
            if not said:
                continue
            if name not in params:
                params[name] = (said, [])
            params[name][1].append(title)
    for name, (note, titles) in params.items():
        label = _param_label(declared.get(name), lang) or name
        rows.append((w["interp.param"].format(name=label, titles=w["sep"].join(titles)), _plain(note)))
    return tuple(rows)


def _param_label(p: Any, lang: str) -> str | None:
    """A parameter named for a reader: the head of its description (``集体成员人数上限（含本数）``), if any."""
    text = _in_lang(getattr(p, "description", None), lang) if p is not None else None
    if not text:
        return None
    head = re.split(r"[：:。]|\.\s|\.$", text.strip(), maxsplit=1)[0].strip()
    return head or None


def _banner(verdict: Verdict, rs: Ruleset | None, w: Mapping[str, str], lang: str) -> tuple[str, ...]:
    s = verdict.score
    if s is None or not s.placeholder:
        return ()
    out = [w["placeholder"]]
    if rs is not None:
        marked = set(s.placeholder_params)
        scored = [r for r in rs.rules if r.score is not None and r.score.kind != "gate"]
        titles = [r.title.zh if lang == "zh" else r.title.en for r in scored if r.score and r.score.param in marked]
        if titles and len(titles) == len(scored):  # the banner already says every point is provisional
            if w["placeholder.all"]:
                out.append(w["placeholder.all"])
        elif titles:
            out.append(w["placeholder.rules"].format(titles=w["sep"].join(titles)))
    return tuple(out)


def _check_as_of(as_of: str | None) -> None:
    """ValueError unless ``as_of`` (a stamp's) is unset or an ISO moment with its UTC offset in the years
    1900–2199, as ``evaluate`` records it: a hand-edited one would be shown raw and the headline would
    read as if none had been given. Unset is None only (an empty text, 0, false or [] is not a moment)."""
    if as_of is None:
        return
    try:  # the grammar and the years (1900–2199) every moment of this library is read with
        parse_timestamp(str(as_of), "stamp.as_of", dt.UTC, require_offset=True)
    except ValueError:
        raise ValueError(f"stamp.as_of: {as_of!r} is not a moment with its offset in the years "
                         f"{MIN_YEAR}–{MAX_YEAR} (2017-10-01T23:59:59+08:00)") from None


def _note(verdict: Verdict, lang: str, ruleset: Any = None, facts: Mapping[str, Any] | None = None) -> _Note:
    w = _check_lang(lang)
    _check_as_of(verdict.stamp.as_of)
    unit = verdict.subject == "unit"
    rs = _ruleset_for(verdict, ruleset)
    vocab = vocabulary(verdict.subject, rs, rulesets_dir())
    headline = _headline(verdict, rs, facts, vocab, w, lang, unit)
    outcomes = [o for o in _GROUP_ORDER if any(r.outcome == o for r in verdict.rules)]
    groups, parts = [], []
    for o in outcomes:
        rules = tuple(_rule_note(verdict, r, rs, w, lang, vocab, unit) for r in verdict.rules if r.outcome == o)
        groups.append(_Group(o, w["count_head"].format(label=_w(w, unit, f"g.{o}"), n=len(rules)),
                             _w(w, unit, f"b.{o}"), o not in ("passed", "not_applicable"), rules))
    for o in _GROUP_ORDER:  # zero counts left out; one outcome for all said as "均符合"
        n = sum(r.outcome == o for r in verdict.rules)
        if n:
            parts.append(_w(w, unit, f"n.{o}").format(n=n))
    if len(outcomes) == 1:
        counts = w["counts.all"].format(total=len(verdict.rules), outcome=_w(w, unit, f"c.{outcomes[0]}"))
    else:
        counts = w["counts"].format(total=len(verdict.rules), parts=w["counts_sep"].join(parts))
    stamp = _stamp(verdict, rs, vocab, w, lang)
    missing = w["missing_all"].format(paths=w["sep"].join(vocab.label(p, lang) for p in verdict.missing)) \
        if verdict.missing else ""
    return _Note(lang, unit, w["unit.doc_title" if unit else "doc_title"], verdict.outcome, headline,
                 _banner(verdict, rs, w, lang), counts, missing, tuple(groups),
                 tuple(_score_text(verdict, lang, rs, vocab)), _interpretations(verdict, w, lang, rs),
                 tuple((label, text) for label, text, _ in stamp), w,
                 tuple(' class="mono"' if mono else "" for _, _, mono in stamp))


# ---------------------------------------------------------------------------------------------
# the score sheet


_SCORE_WORDS: dict[str, dict[str, Any]] = {
    "zh": {"lang": "zh", "head": "评分", "total": "得分{total}分（满分{maximum}分）",
           "total.provisional": "暂定得分{total}分（满分{maximum}分；尚无法判定的项目判定后，"
                                "最终得分在{lo}分至{hi}分之间）",
           "provisional": "",
           "adjust": "调整",
           "status": {"awarded": "得分", "not_awarded": "未得分", "deducted": "扣分", "not_deducted": "未扣分",
                      "undetermined": "暂不计分", "not_applicable": "不适用", "adjustment": "调整"},
           "gate": "一票否决项“{rule}”：{outcome}",
           "kinds": {"cap": "封顶", "floor": "保底", "bonus_cap": "加分封顶", "gate": "一票否决", "rounding": "取整"},
           "outcomes": {"passed": "通过", "failed": "未通过", "undetermined": "尚无法判定", "not_applicable": "不适用"},
           "n.undetermined": "缺少信息或尚未到期，判定前不计分", "n.not_met": "条件未满足",
           "n.floor": "扣分后本组不低于零分", "n.cap": "本组以{n}分为上限", "n.bonus_cap": "加分以{n}分为上限",
           "n.gate": "一票否决项未通过，总分为零", "n.rounding": "按{mode}保留{n}位小数",
           "n.per": "{v}分 × {count}（{per}）", "n.per_cap": "，以{cap}分为限",
           "modes": {"half up": "四舍五入", "half even": "四舍六入五成双", "down": "舍去尾数"},
           "line": "{label}：{said}{note}", "note": "（{note}）",
           "said": {"awarded": "得{points}分（满分{max}分）", "not_awarded": "未得分（满分{max}分）",
                    "deducted": "扣{neg}分（最多扣{negmax}分）", "not_deducted": "未扣分（最多扣{negmax}分）",
                    "undetermined": "暂不计分（满分{max}分）", "not_applicable": "不适用",
                    "adjustment": "{points}分"}},
    "en": {"lang": "en", "head": "Score", "total": "Score {total} of {maximum}",
           "provisional": " (provisional: some items are undetermined; the score may lie between {lo} and {hi})",
           "adjust": "adjustment",
           "status": {"awarded": "awarded", "not_awarded": "not awarded", "deducted": "deducted",
                      "not_deducted": "not deducted", "undetermined": "undetermined", "not_applicable": "n/a",
                      "adjustment": "adjustment"},
           "gate": "Gate “{rule}”: {outcome}",
           "n.per": "{v} × {count} ({per})", "n.per_cap": ", capped at {cap}",
           "line": "{label}: {points}{top} {status}{note}", "top": " of {max}", "note": " — {note}"},
}


def _score_text(verdict: Verdict, lang: str, rs: Ruleset | None = None, vocab: Vocab | None = None) -> list[str]:
    """The score sheet in a few lines: total of maximum, then each line with its points, then gates."""
    s = verdict.score
    if s is None:
        return []
    w = _SCORE_WORDS[lang]
    n = _points_text
    head = w["total"].format(total=n(s.total), maximum=n(s.maximum))
    if s.provisional:
        head = w["total.provisional"].format(total=n(s.total), maximum=n(s.maximum), lo=n(s.lowest), hi=n(s.highest)) \
            if "total.provisional" in w else head + w["provisional"].format(lo=n(s.lowest), hi=n(s.highest))
    out = [w["head"], head]
    titles = {r.id: (r.title_zh if lang == "zh" else r.title_en) for r in verdict.rules}
    groups = {g.id: (g.title_zh if lang == "zh" else g.title_en) for g in s.groups}
    kinds = w.get("kinds", {})
    for line in s.lines:
        group = groups.get(line.group or "", line.group)
        kind = kinds.get(line.kind, line.kind)
        label = titles.get(line.rule or "", line.rule) if line.rule else \
            (f"{w['adjust']}（{kind}{'，' + group if group else ''}）" if lang == "zh" else
             f"{w['adjust']} ({kind}{', ' + group if group else ''})")
        said = _score_note(line, w, vocab) if lang == "zh" else _per_note(line, w, vocab) or line.note
        if lang == "zh" and line.status in ("undetermined", "not_awarded"):
            said = None  # the status says it
        note = w["note"].format(note=said) if said else ""
        if "said" in w:
            top = line.max if line.max is not None else line.points
            text = w["said"].get(line.status, "{points}分").format(
                points=line.points, max=top, neg=line.points.lstrip("-"), negmax=top.lstrip("-"))
            out.append("- " + w["line"].format(label=label, said=text, note=note))
            continue
        top = w["top"].format(max=line.max) if line.max is not None else ""
        out.append("- " + w["line"].format(label=label, points=line.points, top=top,
                                           status=w["status"].get(line.status, line.status), note=note))
    outcomes = w.get("outcomes", {})
    out += [f"- {w['gate'].format(rule=titles.get(g.rule, g.rule), outcome=outcomes.get(g.outcome, g.outcome))}"
            for g in s.gates]
    return out


def _per_note(line: Any, w: Mapping[str, Any], vocab: Vocab | None) -> str | None:
    """``5 × 2 (derived.rejected_filings)`` with the derived fact's label in place of its name."""
    m = re.fullmatch(r"(\S+) × (\S+) \((\S+)\)(?:, capped at (\S+))?", line.note or "")
    if not m:
        return None
    per = vocab.label(m[3], w["lang"]) if vocab is not None else m[3]
    return str(w["n.per"].format(v=m[1], count=m[2], per=per)) + (str(w["n.per_cap"].format(cap=m[4])) if m[4] else "")


def _score_note(line: Any, w: Mapping[str, Any], vocab: Vocab | None = None) -> str | None:
    """A score line's note in Chinese. The verdict's notes are English; each kind of note the score
    sheet writes (see _score.py) has its Chinese wording here, with its figures carried over."""
    note = line.note
    if not note:
        return None
    if line.status == "undetermined":
        return str(w["n.undetermined"])
    if line.status == "not_awarded":
        return str(w["n.not_met"])
    per = _per_note(line, w, vocab)
    if per is not None:
        return per
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


# ---------------------------------------------------------------------------------------------
# text


def explain_text(verdict: Verdict, *, lang: str = "zh", ruleset: Any = None,
                 facts: Mapping[str, Any] | None = None) -> str:
    """The verdict as an auditor's note in plain text (``lang`` ``zh`` or ``en``; ValueError otherwise).

    A collective's eligibility note or a unit's assessment note: the headline (subject, outcome, as_of,
    ruleset and version; for a unit the score), then each condition not met and not yet decidable with
    its clause, requirement, finding and conclusion, the conditions met in one line each, the score
    sheet, the interpretations applied and the reproducibility stamp. ``ruleset`` (a ``Ruleset`` or an
    engine) gives the findings' templates; by default the shipped ruleset the stamp names is used (a
    rule it does not know is worded generically). ``facts`` (the subject's facts, a dict) add its name,
    and a unit's kind and region, to the headline.
    """
    n = _note(verdict, lang, ruleset, facts)
    w = n.w
    out = [n.title, "", n.headline]
    out += [f"【{line}】" if lang == "zh" else line for line in n.banner]  # no Markdown asterisks in en
    out.append(n.counts)
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
    if n.score:
        out += ["", *n.score]
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
  font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "PingFang SC",
    "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", "Droid Sans Fallback", "Helvetica Neue",
    Arial, sans-serif; }
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
.doc-kind { font-size: .95rem; color: #444; margin: 0 0 .3rem; font-weight: 400; }
.banner { margin: .8rem 0; padding: .8rem 1rem; border: .2rem dashed #7a5c00; background: #fffbe0; color: #3d2e00;
  border-radius: .3rem; font-weight: 700; font-size: 1.05rem; }
.banner p { margin: .2rem 0; }
.banner p + p { font-weight: 400; }
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
dl.lines { display: grid; grid-template-columns: minmax(4.5em, max-content) minmax(0, 1fr); gap: .35rem 1rem;
  margin: .4rem 0 0; }
dl.lines dt { white-space: nowrap; }
html[lang="en"] dl.lines { grid-template-columns: minmax(7.5em, max-content) minmax(0, 1fr); }
dl.lines dt { font-weight: 700; color: #333; }
dl.lines dd { margin: 0; }
dd.finding { font-weight: 600; }
dd.conclusion { font-weight: 700; }
.outcome-failed dd.conclusion { color: #8c1d18; } .outcome-undetermined dd.conclusion { color: #6d3300; }
.outcome-passed dd.conclusion { color: #1d5c2c; }
.source { color: #333; }
blockquote { margin: .3rem 0 0; padding: .3rem .8rem; border-left: .2rem solid #8a8a8a; background: #f6f6f6;
  color: #222; }
ul.oneline { margin: .3rem 0 0; padding-left: 1.3rem; }
ul.oneline li { margin: .25rem 0; }
section.interpretations { font-size: .92rem; color: #2b2b2b; }
ul.interp { padding-left: 1.3rem; }
ul.interp li { margin: .35rem 0; }
.label { font-weight: 700; }
table.stamp { border-collapse: collapse; width: 100%; }
table.stamp th, table.stamp td { text-align: left; vertical-align: top; padding: .3rem .6rem;
  border-bottom: 1px solid #dedede; }
table.stamp th { width: 14rem; font-weight: 700; color: #333; white-space: nowrap; }
table.stamp td.mono { font-size: .95rem; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
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


def _page_title(verdict: Verdict, facts: Mapping[str, Any] | None, title: str, lang: str) -> str:
    """The page's title names its subject (so that pages saved as PDF are told apart):
    ``GD-0001（广州南站客运车间青年班组）青年文明号创建集体资格核查说明``."""
    name = facts.get("name") if isinstance(facts, Mapping) and facts.get("id") in (None, verdict.subject_id) else None
    who = verdict.subject_id + ((f"（{name.strip()}）" if lang == "zh" else f" ({name.strip()})")
                                if isinstance(name, str) and name.strip() else "")
    return f"{who}{title}" if lang == "zh" else f"{who} — {title}"


def explain_html(verdict: Verdict, *, lang: str = "zh", ruleset: Any = None,
                 facts: Mapping[str, Any] | None = None) -> str:
    """The same note as ``explain_text`` as one self-contained HTML page (inline CSS, no scripts,
    nothing fetched), rules grouped and colour-coded by outcome with localized badges, printable on A4.
    The font stack names the common CJK fonts; a server rendering it needs one installed (on Debian,
    ``fonts-noto-cjk``)."""
    n = _note(verdict, lang, ruleset, facts)
    w = n.w
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(_page_title(verdict, facts, n.title, lang))}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f"<h1>{_e(n.title)}</h1>",
        f'<p class="verdict verdict-{_e(n.outcome)}">{_e(n.headline)}</p>',
    ]
    if n.banner:
        out += ['<div class="banner" role="note">'] + [f"<p>{_e(line)}</p>" for line in n.banner] + ["</div>"]
    out.append(f'<p class="summary">{_e(n.counts)}</p>')
    if n.missing:
        out.append(f'<p class="summary">{_e(n.missing)}</p>')
    out.append("</header>")
    for g in n.groups:
        css = g.outcome if g.outcome in _GROUP_ORDER else "other"
        badge = g.badge
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
    score = n.score
    if score:
        out += ['<section class="score">', f"<h2>{_e(score[0])}</h2>", f'<p class="summary"><b>{_e(score[1])}</b></p>']
        out += ['<ul class="oneline">'] + [f"<li>{_e(line[2:])}</li>" for line in score[2:]]
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
    out += [f'<tr><th scope="row">{_e(label)}</th><td{mono}>{_e(text)}</td></tr>'
            for (label, text), mono in zip(n.stamp, n.stamp_mono, strict=True)]
    out += ["</table>", "</section>", "</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
