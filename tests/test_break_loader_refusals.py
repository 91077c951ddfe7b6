"""Faults found by break-testing the issue 12/13 work: a value the YAML loader refuses is reported once."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules import load_ruleset
from qnwmh_rules._render_docs import FACT_LABELS, render_markdown
from qnwmh_rules._tree import Cmp, Const, Fact, InList, Item, walk
from qnwmh_rules.exceptions import RulesetError
from qnwmh_rules.facts import SUBJECTS, region_name

from .shipped import shipped

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = ROOT / "rulesets" / "2017-2018" / "national.yaml"
TEXT = NATIONAL.read_text(encoding="utf-8")


def _scalar_spans(text: str) -> list[tuple[int, int, int, int]]:
    """(line, col, start, end) of every plain or quoted one-line scalar value (not a key) of ``text``."""
    spans = []

    def walk(node: yaml.Node) -> None:
        if isinstance(node, yaml.MappingNode):
            for _k, v in node.value:
                walk(v)
        elif isinstance(node, yaml.SequenceNode):
            for v in node.value:
                walk(v)
        elif node.style in (None, "", '"', "'") and node.start_mark.line == node.end_mark.line:
            spans.append((node.start_mark.line + 1, node.start_mark.column + 1, node.start_mark.index,
                          node.end_mark.index))

    walk(yaml.compose(text))
    return spans


SPANS = _scalar_spans(TEXT)
# What the loader refuses and reports itself (Q003 a tag, Q001 a control character, Q160 a YAML 1.1 number).
REFUSED = {"!!binary aGk=": "Q003", '"a\\u0007b"': "Q001", "!!int 0x1f": "Q160"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(span=st.sampled_from(SPANS), written=st.sampled_from(sorted(REFUSED)))
def test_a_value_the_loader_refuses_is_reported_once_at_its_place(tmp_path_factory, span, written):
    """Any scalar of a shipped ruleset replaced by a value the loader refuses gives that one problem at
    its line:col, not also a follow-on "got nothing (null)" from the reader at the same place."""
    line, col, start, end = span
    folder = tmp_path_factory.mktemp("refused") / "2017-2018"
    folder.mkdir()
    path = folder / "national.yaml"
    path.write_text(TEXT[:start] + written + TEXT[end:], encoding="utf-8")
    try:
        load_ruleset(path, backend="python")
    except RulesetError as exc:
        here = [e.code for e in exc.errors if (e.line, e.col) == (line, col)]
        assert [REFUSED[written]] == here, [str(e) for e in exc.errors]
    else:
        raise AssertionError(f"{written} at {line}:{col} was accepted")


# ---- docs read the labels of the ruleset's own facts schema -------------------------------------------

RULESETS = shipped("ruleset") + [
    ROOT / "tests/data/new_fact/ruleset.yaml"]


@pytest.mark.parametrize("path", RULESETS, ids=lambda p: str(p.relative_to(ROOT)))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_fact_a_docs_page_reads_is_named_by_a_label(path, lang):
    """Every fact path the rules read that the ruleset's facts schema labels is named on the docs page by
    a label (the schema's, or the page's own wording for the shipped facts), not by its bare path."""
    rs = load_ruleset(path, backend="python").ruleset
    page = render_markdown(rs, lang=lang)
    schema = rs.facts.schema
    read = {n.path for r in rs.rules for n in walk(r.condition) if isinstance(n, Fact) and n.path in schema.labels}
    i = 0 if lang == "en" else 1
    unnamed = sorted(p for p in read  # a yes/no fact reads as its label without 是否 (已有常态化联系平台)
                     if schema.label(p, lang).removeprefix("是否" if lang == "zh" else "\0") not in page
                     and FACT_LABELS.get(p, ("\0", "\0"))[i] not in page)
    assert [] == unnamed


def _enum_literals(rs):
    """(fact path, value) of each comparison of an enum or region fact with a text written in a condition
    (of a rule, or of the creation collective a unit's ruleset counts, over a collective's facts)."""
    crit = rs.creation_collective
    fields = {**(SUBJECTS["collective"].schema.fields if crit is not None else {}), **rs.facts.schema.fields}
    out = set()
    trees = [c for r in rs.rules for c in (r.condition, r.applies_condition, r.pending_if_condition) if c is not None]
    if crit is not None:
        trees += [crit.checked, *(tree for _, tree in crit.breakdown_conditions)]
    for n in (x for c in trees for x in walk(c)):
        if isinstance(n, (Cmp, InList)):
            left = n.left
            path = left.path if isinstance(left, Fact) else f"{left.list}[].{left.field}" \
                if isinstance(left, Item) else None
            spec = fields.get(path) if path else None
            consts = [n.right] if isinstance(n, Cmp) else ([] if n.param else list(n.values))
            if spec is not None and spec.type in ("enum", "region"):
                out |= {(path, c.value) for c in consts
                        if isinstance(c, Const) and isinstance(c.value, str) and c.param is None}
    return out


@pytest.mark.parametrize("path", RULESETS, ids=lambda p: str(p.relative_to(ROOT)))
def test_an_enum_or_region_value_in_a_condition_is_named_on_the_zh_page(path):
    """A condition comparing an enum fact (or the region) with a value names the value in Chinese on the
    zh docs page (``全国``), and the raw code (``"national"``) is not shown (it is on the en page)."""
    rs = load_ruleset(path, backend="python").ruleset
    page = render_markdown(rs, lang="zh")
    def schema(p):
        own = rs.facts.schema
        return own if p in own.fields else SUBJECTS["collective"].schema
    unnamed = sorted((p, v) for p, v in _enum_literals(rs)
                     if (schema(p).value_label(p, v, "zh") if schema(p).fields[p].type == "enum"
                         else region_name(v, "zh")) not in page or f'"{v}"' in page)
    assert [] == unnamed


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_region_of_a_docs_page_is_named_not_only_coded(lang):
    """The header of a regional ruleset's page gives the region's name: with its code on the en page
    (Guangdong (guangdong)), by name alone on the zh page (广东)."""
    rs = load_ruleset(ROOT / "rulesets" / "2017-2018" / "guangdong.yaml", backend="python").ruleset
    line = next(x for x in render_markdown(rs, lang=lang).splitlines() if x.startswith(("- **适用范围", "- **Region")))
    assert {"zh": "- **适用范围：**广东", "en": "- **Region:** Guangdong (guangdong)"}[lang] == line


# ---- docs: a ruleset's texts stay text on the Markdown page ---------------------------------------------

# Lines of national.yaml whose text is shown on the docs page: ruleset and rule titles, a source's title,
# reference and note, a citation's clause and text, a parameter's description, an interpretation.
_SHOWN = [
    "  zh: 2017—2018年度全国青年文明号创建集体资格",
    "      zh: 关于开展“2017—2018年度全国青年文明号”创建工作的通知",
    "    reference: 青文字〔2017〕1号",
    "      zh: 全国青年文明号活动组委会的通知，广东省于2017年6月16日发文全文转发。",
    "      clause: 一、1",
    "      text: 集体需于2017年9月30日前曾获全国青年文明号命名，或最近一届的省级青年文明号命名或复核认定。",
    "      zh: 集体成员人数下限（含本数）。",
    "      zh: 集体成员总数为6人以上、200人以下",
]
_MARKUP = st.lists(st.sampled_from(["<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
                                    "[x](javascript:alert(1))", "\n\n## 标题", "\n# h", "\n---\n", "\n- item", "&lt;",
                                    "a | b", "文字", " ", "\n"]),
                   min_size=1, max_size=5).map("".join).filter(str.strip)


def _page_markup(page: str) -> tuple[list[str], bool]:
    """The page's heading lines and whether raw HTML or a link shows outside code spans."""
    prose = re.sub(r"(`+).*?\1", "", page)
    return [x for x in page.splitlines() if x.startswith("#")], bool(re.search(r"<[a-z/]|\]\(", prose))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=st.sampled_from(_SHOWN), text=_MARKUP, lang=st.sampled_from(["zh", "en"]))
def test_ruleset_texts_cannot_add_markup_to_a_docs_page(tmp_path_factory, line, text, lang):
    """A ruleset text holding HTML, a link or line breaks that start Markdown blocks shows as that text on the
    docs page: no raw HTML, no link, no heading of its own (the page keeps its headings)."""
    folder = tmp_path_factory.mktemp("markup") / "2017-2018"
    folder.mkdir()
    key = line.split(":")[0]
    path = folder / "national.yaml"
    path.write_text(TEXT.replace(line, f"{key}: {json.dumps(text, ensure_ascii=False)}", 1), encoding="utf-8")
    headings, raw = _page_markup(render_markdown(load_ruleset(path, backend="python").ruleset, lang=lang))
    plain = folder / "plain.yaml"
    plain.write_text(TEXT.replace(line, f"{key}: 文字", 1), encoding="utf-8")
    base = render_markdown(load_ruleset(plain, backend="python").ruleset, lang=lang)
    assert (len(_page_markup(base)[0]), False) == (len(headings), raw)


# ---- a stored verdict's strings never reach the terminal with control characters --------------------------

def _strings(doc, path=()):
    """Key paths of every string value in a JSON document."""
    if isinstance(doc, dict):
        return [p for k, v in doc.items() for p in _strings(v, (*path, k))]
    if isinstance(doc, list):
        return [p for i, v in enumerate(doc) for p in _strings(v, (*path, i))]
    return [path] if isinstance(doc, str) else []


VERDICT = json.loads(qnwmh_rules.evaluate(json.loads((ROOT / "rulesets/examples/collective-gd-0001.json")
                                                     .read_text(encoding="utf-8")), region="guangdong").to_json())


@settings(max_examples=40, deadline=None)
@given(where=st.sampled_from(_strings(VERDICT)), odd=st.sampled_from(["\x1b[2J", "\x1b]0;x\x07", "\x9b31m", "\x00",
                                                                      "\x08", "\x7f"]),
       argv=st.sampled_from([["explain", "-"], ["explain", "-", "--lang", "en"], ["explain", "-", "--format", "html"]]))
def test_a_verdict_with_a_control_character_is_refused_in_one_line(where, odd, argv):
    """A hand-edited verdict holding a terminal control character in any string is "not a verdict" (exit 2, one
    line, the character not echoed), never printed to the terminal as it is."""
    doc = json.loads(json.dumps(VERDICT))
    node = doc
    for k in where[:-1]:
        node = node[k]
    node[where[-1]] = node[where[-1]] + odd
    p = subprocess.run([sys.executable, "-m", "qnwmh_rules", *argv], input=json.dumps(doc), capture_output=True,
                       text=True, check=False)
    assert (2, "", 1, False) == (p.returncode, p.stdout, len(p.stderr.splitlines()), odd in p.stderr), p.stderr


@pytest.mark.parametrize("path", RULESETS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_zh_page_names_beijing_time_in_chinese(path):
    """A zh docs page of a ruleset in Asia/Shanghai says 北京时间 and never the zone's code (on the en page)."""
    rs = load_ruleset(path, backend="python").ruleset
    page = render_markdown(rs, lang="zh")
    assert (["- **时间：**北京时间"], []) == ([x for x in page.splitlines() if x.startswith("- **时间")],
                                        [x for x in page.splitlines() if "Asia/Shanghai" in x])


# ---- why-not: values in the words a user types, not Python's --------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("facts", [
    {"id": "x", "members": {"total": 3}, "indivisible_unit": True, "staff": {"total": 80}},
    {"id": "x", "members": {"total": 3}, "indivisible_unit": False}])
def test_why_not_writes_true_and_false_as_json(lang, facts):
    """A why-not suggestion about a yes/no fact writes its values as the facts do (true/false), never
    Python's True/False."""
    p = subprocess.run([sys.executable, "-m", "qnwmh_rules", "why-not", "-", "--ruleset",
                        str(ROOT / "tests/data/new_fact/ruleset.yaml"), "--lang", lang],
                       input=json.dumps(facts), capture_output=True, text=True, check=False)
    assert (0, []) == (p.returncode, re.findall(r"\b(?:True|False)\b", p.stdout)), p.stdout + p.stderr


# ---- invisible format characters ("Trojan source") in any text of a ruleset, cases or schema file ------

_INVISIBLES = "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064" \
              "\u2066\u2067\u2068\u2069\ufeff"
# `key: text` lines whose one-line text holds a CJK character (the scalar starts on that line)
_KEY_LINE = re.compile(r"^\s*(- )?[a-z_]+: (?![|>])[^#]*[\u4e00-\u9fff]")
_SHIPPED_TEXT_FILES = [p for p in shipped("ruleset", "cases", "facts_schema", "phrasing")
                       if any(_KEY_LINE.match(line) for line in p.read_text(encoding="utf-8").split("\n"))]


@pytest.mark.parametrize("path", _SHIPPED_TEXT_FILES, ids=lambda p: str(p.relative_to(ROOT)))
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_an_invisible_character_in_any_text_is_refused_where_it_is(path, data, tmp_path_factory):
    """A zero-width or bidi control put inside any line's text of a shipped file is Q001 at that line."""
    from qnwmh_rules._loader import load_text

    lines = path.read_text(encoding="utf-8").split("\n")
    candidates = [i for i, line in enumerate(lines) if _KEY_LINE.match(line)]
    i = data.draw(st.sampled_from(candidates))
    start = lines[i].index(": ")
    at = data.draw(st.sampled_from([m.start() for m in re.finditer(r"[\u4e00-\u9fff]", lines[i]) if m.start() > start]))
    ch = data.draw(st.sampled_from(_INVISIBLES))
    lines[i] = lines[i][:at] + ch + lines[i][at:]
    errors = load_text("\n".join(lines), path=str(path)).errors
    assert [("Q001", i + 1, f"U+{ord(ch):04X}")] == [(e.code, e.line, e.message.split("character ")[1].split(" ")[0])
                                                    for e in errors]


def test_a_problem_under_an_anchor_is_reported_once_however_often_it_is_aliased():
    """A refused text inside an anchored mapping used by five aliases is one Q001, not five."""
    from qnwmh_rules._loader import load_text

    text = "a: &x\n  t: 甲\u200b乙\nb: *x\nc: *x\nd: *x\ne: *x\n"
    assert [("Q001", 2)] == [(e.code, e.line) for e in load_text(text, path="x.yaml").errors]
