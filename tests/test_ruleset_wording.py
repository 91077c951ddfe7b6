"""The texts of the shipped files read as a league committee writes them: no code in either language.

Every bilingual text (a mapping with exactly ``zh`` and ``en``) of every shipped ruleset, of every facts
schema a shipped ruleset reads, of the regions file and of the phrasing file is checked. The check
walks the YAML data, so a text added under any key is covered without changing this test. Finding
templates are checked with their ``{…}`` placeholders taken out (those are filled with words when the
finding is written); everything else around them is text a reader sees.

Superseded schema versions (``collective@1``, ``unit@1``) are left out on purpose: they are kept
unchanged so that verdicts of the released rulesets that read them (national 2.0.1, unit 2.1.0 and
earlier) are explained with the labels they were written with (docs/ruleset-format.md#facts-schema).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import qnwmh_rules

ROOT = Path(__file__).resolve().parents[1]
RULESETS = ROOT / "rulesets"

# Latin runs a Chinese text may hold. Kept small: each names something that has no Chinese form.
ZH_LATIN_ALLOWED = frozenset()


def _ruleset_files() -> list[Path]:
    return sorted(p for p in RULESETS.glob("*/*.yaml")
                  if not p.name.endswith(".cases.yaml") and p.parent.name not in ("facts", "findings"))


def _schemas_read() -> set[str]:
    """The facts schemas the shipped rulesets read, and the regions file."""
    read = {qnwmh_rules.load_ruleset(p, backend="python").ruleset.facts_schema for p in _ruleset_files()}
    return {"regions@1"} | read


def _files() -> list[Path]:
    schemas = sorted(RULESETS / "facts" / f"{k}.facts.yaml" for k in _schemas_read())
    return _ruleset_files() + [p for p in schemas if p.exists()] + sorted((RULESETS / "findings").glob("*.yaml"))


def _texts(node: Any, where: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str, str]]:
    """(where, zh, en) for every {zh, en} mapping under node."""
    if isinstance(node, dict):
        if set(node) == {"zh", "en"} and all(isinstance(v, str) for v in node.values()):
            yield where, node["zh"], node["en"]
            return
        for k, v in node.items():
            yield from _texts(v, where + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _texts(v, where + (i,))


def _fact_paths() -> set[str]:
    """Every fact path of every shipped schema, as written in conditions (``honors[].level``,
    ``honors.level``, ``members.total``), and every parameter and derived-fact name of the rulesets."""
    paths: set[str] = set()
    for p in (RULESETS / "facts").glob("*.facts.yaml"):
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
        for name in list(doc.get("fields", {})) + list(doc.get("groups", {})):
            if "." in name or "[]" in name or "_" in name:
                paths |= {name, name.replace("[]", "")}
    return paths


def _identifiers() -> set[str]:
    names: set[str] = set()
    for path in _ruleset_files():
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        names |= set(doc.get("parameters") or {}) | set(doc.get("derived") or {})
        names |= {r["id"] for r in doc.get("rules") or []}
    return names


def _plain(text: str, where: tuple[Any, ...]) -> str:
    """The text a reader sees: a template's placeholders taken out."""
    templated = "finding" in where or "phrasing" in where
    return re.sub(r"\{[^{}]*\}", "", text) if templated else text


PATHS = _fact_paths()
NAMES = _identifiers()
ISO_DATE = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)|(?<!\d)\d{4}-\d{4}(?!\d)")
CODE_BOTH = re.compile(r"\b(?:params|derived|item)\.\w|`|\(due\)|\b(?:due|pending_if|provisional_pass|applies_if)\b")
IANA = re.compile(r"\b(?:Asia|Europe|America|Africa|Etc)/[A-Z]\w+")
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")           # filing_window, on_birthday, end_inclusive
DOTTED = re.compile(r"\b[a-z_]{2,}(?:\[\])?\.[a-z_]{2,}\b")       # basis.naming, members.total, honors[].round
LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9_.\-/]*")


def _problems_zh(text: str, verbatim: bool = False) -> list[str]:
    """What in a zh text is code. A document's own title (``verbatim``) may write a term as the
    document does (``关于评选2011-2012年度…的通知``)."""
    out = [f"latin {m!r}" for m in LATIN_RUN.findall(text) if m not in ZH_LATIN_ALLOWED]
    out += [f"ISO date {m!r}" for m in ISO_DATE.findall(text) if not (verbatim and len(m) == 9)]
    out += [f"code {m.group(0)!r}" for m in CODE_BOTH.finditer(text)]
    return out


def _problems_en(text: str) -> list[str]:
    out = [f"code {m.group(0)!r}" for m in CODE_BOTH.finditer(text)]
    out += [f"zone {m!r}" for m in IANA.findall(text)]
    out += [f"identifier {m!r}" for m in SNAKE.findall(text)]
    out += [f"path or rule id {m!r}" for m in DOTTED.findall(text)]
    out += [f"name {n!r}" for n in sorted(PATHS | NAMES) if re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", text)
            and ("_" in n or "." in n)]
    out += [f"ISO date {m!r}" for m in ISO_DATE.findall(text)]
    return out


def _all_texts() -> list[tuple[str, str, str, str]]:
    out = []
    for path in _files():
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for where, zh, en in _texts(doc):
            label = f"{path.relative_to(RULESETS)}:{'/'.join(map(str, where))}"
            out.append((label, _plain(zh, where), _plain(en, where), "/".join(map(str, where))))
    return out


TEXTS = _all_texts()


def test_the_files_checked_are_the_shipped_ones():
    """The check covers every shipped ruleset (examples too), the schemas they read and the phrasing file."""
    names = {p.relative_to(RULESETS).as_posix() for p in _files()}
    assert {"2017-2018/national.yaml", "2017-2018/guangdong.yaml", "2017-2018/unit.yaml",
            "2017-2018/unit-transport.yaml", "2011-2012/national.yaml", "examples/collective-scoring.yaml",
            "facts/collective@2.facts.yaml", "facts/unit@2.facts.yaml", "facts/regions@1.facts.yaml",
            "findings/names.phrasing.yaml"} <= names
    assert len(TEXTS) > 300


@pytest.mark.parametrize(("where", "zh", "key"), [(w, zh, k) for w, zh, _en, k in TEXTS])
def test_no_chinese_text_holds_code(where, zh, key):
    """A zh text has no Latin identifier, parameter or fact path, ISO date, backquote or `due`."""
    assert [] == _problems_zh(zh, verbatim=bool(re.fullmatch(r"sources/\d+/title", key)))


@pytest.mark.parametrize(("where", "en"), [(w, en) for w, _zh, en, _k in TEXTS])
def test_no_english_text_holds_code(where, en):
    """An en text has no params./derived./fact path, rule id, parameter name, IANA zone or ISO date."""
    assert [] == _problems_en(en)


@pytest.mark.parametrize(("text", "expected"), [
    ("如采用严格理解，将 end_inclusive 设为 false。", ["latin 'end_inclusive'", "latin 'false'"]),
    ("如认定生日当天即满周岁，将该参数设为 on_birthday。", ["latin 'on_birthday'"]),
    ("“号长为中国国籍”理解为号长国籍为中国（ISO 3166代码CN）。", ["latin 'ISO'", "latin 'CN'"]),
    ("本届创建期为2017-01-01至2018-12-31。", ["ISO date '2017-01-01'", "ISO date '2018-12-31'"]),
])
def test_the_zh_check_finds_the_reviewed_examples(text, expected):
    """The examples of the reader review (items 4 and 45) are each caught by the zh check."""
    assert expected == _problems_zh(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("Age is counted on params.age_reference_date", ["code 'params.a'", "identifier 'age_reference_date'",
                                                     "path or rule id 'params.age_reference_date'"]),
    ("basis.naming is not failed before then (its due)", ["code 'due'", "path or rule id 'basis.naming'",
                                                          "name 'basis.naming'"]),
    ("the whole day, Asia/Shanghai", ["zone 'Asia/Shanghai'"]),
    ("the facts contract's honors[].round", ["path or rule id 'honors[].round'", "name 'honors[].round'"]),
])
def test_the_en_check_finds_the_reviewed_examples(text, expected):
    """The examples of the reader review (items 45 and 46) are each caught by the en check."""
    assert expected == _problems_en(text)


MAINTAINER = re.compile(r"在此修改|可改为|设为|改为建议性|另行规定|可在其规则集中修改|到期设置|事实数据")


def test_the_maintainer_check_finds_the_reviewed_examples():
    """The maintainers' instructions the reader review quoted (item 5) are each caught."""
    examples = ["管理单位按其他日期计算年龄的，在此修改。", "地方规则集可改为0.8",
                "如采用宽松理解，将本项改为建议性要求。", "（见该规则的到期设置）", "其他规则集可另行规定",
                "行业或地方另有日期的，可在其规则集中修改。"]
    assert [] == [e for e in examples if not MAINTAINER.search(e)]


@pytest.mark.parametrize(("where", "zh"), [(w, zh) for w, zh, _en, _k in TEXTS])
def test_no_chinese_text_instructs_a_maintainer(where, zh):
    """A zh text states the reading and its consequence; it does not tell a programmer what to edit."""
    assert [] == MAINTAINER.findall(zh)


def test_one_term_for_each_thing_across_the_files():
    """The terms the reader review found mixed (item 6, 7, 8, 32, 36) appear in one form only."""
    zh = "\n".join(zh for _w, zh, _en, _k in TEXTS)
    assert ([], [], [], [], []) == (re.findall(r"待定", zh), re.findall(r"报备渠道", zh),
                                    re.findall(r"属地", zh), re.findall(r"占位", zh),
                                    re.findall(r"非公经济", zh))
