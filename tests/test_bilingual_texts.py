"""Every human-readable text of a ruleset is bilingual ({zh, en}); one language only is Q125."""

import copy
import json
import re
from pathlib import Path

import pytest
import yaml

import qnwmh_rules
from qnwmh_rules import RulesetError
from qnwmh_rules._model import Text
from qnwmh_rules._render_docs import render_markdown

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "qnwmh_rules" / "ruleset.schema.json").read_text(encoding="utf-8"))


def _t(zh, en):
    return {"zh": zh, "en": en}


# A unit ruleset that holds every kind of text the format has.
BASE = {
    "ruleset": "t", "term": "2017-2018", "version": "1.0.0", "subject": "unit",
    "title": _t("测试", "test"),
    "sources": [{"id": "N", "title": _t("通知", "notice"), "note": _t("说明", "a note")}],
    "parameters": {"quota": {"value": 6, "source": "N", "description": _t("名额", "the quota"),
                             "interpretation": _t("含本数", "inclusive")}},
    "scoring": {"rounding": {"places": 0, "mode": "half_up"}, "groups": [{"id": "g", "title": _t("组", "group")}]},
    "creation_collective": {"when": 'any(f in filings, f.review.status == "approved")',
                            "citation": {"source": "N", "clause": "1", "text": "条文"},
                            "interpretation": _t("经审核通过", "approved")},
    "rules": [{"id": "scale.quota", "title": _t("甲", "a"), "severity": "required",
               "citation": {"source": "N", "clause": "1", "text": "条文"},
               "when": "creation_collectives.total >= params.quota", "interpretation": _t("解释", "reading")}],
}

# (schema definition, key) -> where that text sits in BASE
WHERE = {
    (None, "title"): ("title",),
    ("source", "title"): ("sources", 0, "title"),
    ("source", "note"): ("sources", 0, "note"),
    ("parameter", "description"): ("parameters", "quota", "description"),
    ("parameter", "interpretation"): ("parameters", "quota", "interpretation"),
    ("group", "title"): ("scoring", "groups", 0, "title"),
    ("creation_collective", "interpretation"): ("creation_collective", "interpretation"),
    ("rule", "title"): ("rules", 0, "title"),
    ("rule", "interpretation"): ("rules", 0, "interpretation"),
}


def _text_keys():
    """Every (definition, key) of the shipped JSON schema whose value is a bilingual text."""
    found = {(None, k) for k, v in SCHEMA["properties"].items() if v.get("$ref") == "#/$defs/text"}
    for name, d in SCHEMA["$defs"].items():
        found |= {(name, k) for k, v in d.get("properties", {}).items() if v.get("$ref") == "#/$defs/text"}
    return found


def _set(doc, path, value):
    for k in path[:-1]:
        doc = doc[k]
    if value is None:
        del doc[path[-1]]
    else:
        doc[path[-1]] = value


def _load(tmp_path, doc):
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return qnwmh_rules.load_ruleset(str(path), backend="python")


def test_every_text_of_the_schema_is_tested_here():
    """The texts this file checks are exactly the bilingual texts of the shipped JSON schema."""
    assert sorted(_text_keys(), key=str) == sorted(WHERE, key=str)


def test_the_base_ruleset_loads(tmp_path):
    """The ruleset the tests below break loads as it stands."""
    assert "t" == _load(tmp_path, BASE).ruleset.id


@pytest.mark.parametrize("key", sorted(WHERE, key=str), ids=lambda k: f"{k[0]}.{k[1]}")
def test_a_text_in_one_language_is_q124_at_the_text(tmp_path, key):
    """A plain text where a bilingual text belongs is refused with Q125 at that text, naming the fix."""
    doc = copy.deepcopy(BASE)
    _set(doc, WHERE[key], "only one language")
    with pytest.raises(RulesetError) as info:
        _load(tmp_path, doc)
    e = info.value
    lines = (tmp_path / "t.yaml").read_text(encoding="utf-8").split("\n")
    assert ("Q125", "only one language") == (e.code, lines[e.line - 1][e.col - 1:].strip())
    assert "{zh: …, en: …}" in str(e)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("key", sorted(WHERE, key=str), ids=lambda k: f"{k[0]}.{k[1]}")
def test_a_text_missing_a_language_is_q124_naming_it(tmp_path, key, lang):
    """A bilingual text without zh (or en) is refused with Q125 naming the missing language."""
    doc = copy.deepcopy(BASE)
    other = "en" if lang == "zh" else "zh"
    _set(doc, WHERE[key], {other: "x"})
    with pytest.raises(RulesetError) as info:
        _load(tmp_path, doc)
    assert ("Q125", f"({lang})") == (info.value.code, re.search(r"\((zh|en)\)", str(info.value)).group(0))


def test_check_reports_every_missing_language_at_once(tmp_path):
    """`check` lists each one-language text of a file, each at its own line."""
    doc = copy.deepcopy(BASE)
    for key in WHERE:
        if key != (None, "title"):
            _set(doc, WHERE[key], "only one language")
    with pytest.raises(RulesetError) as info:
        _load(tmp_path, doc)
    assert len(WHERE) - 1 == len({(e.line, e.col) for e in info.value.errors if e.code == "Q125"})


def test_a_text_gives_the_language_asked_for():
    """Text.get picks zh or en, and refuses another language."""
    t = Text(zh="中文", en="English")
    assert ("中文", "English") == (t.get("zh"), t.get("en"))
    with pytest.raises(ValueError):
        t.get("fr")


def _texts(rs):
    out = [("title", rs.title)] + [(f"source {s.id} note", s.note) for s in rs.sources]
    out += [(f"param {p.name} {k}", getattr(p, k)) for p in rs.parameters for k in ("description", "interpretation")]
    out += [(f"rule {r.id} {k}", getattr(r, k)) for r in rs.rules for k in ("title", "interpretation")]
    if rs.creation_collective is not None:
        out.append(("creation_collective", rs.creation_collective.interpretation))
    return [(w, t) for w, t in out if t is not None]


SHIPPED = [("2017-2018", None, "collective"), ("2017-2018", "guangdong", "collective"),
           ("2011-2012", None, "collective"), ("2017-2018", None, "unit")]


@pytest.mark.parametrize("term,region,subject", SHIPPED)
def test_the_chinese_texts_of_the_shipped_rulesets_read_as_chinese(term, region, subject):
    """Each zh text of a shipped ruleset is Chinese, with dates and the zone written the Chinese way."""
    rs = qnwmh_rules.load_ruleset(term=term, region=region, subject=subject, backend="python").ruleset
    bad = [(w, t.zh) for w, t in _texts(rs)
           if not re.search(r"[\u4e00-\u9fff]", t.zh) or "Asia/Shanghai" in t.zh
           or re.search(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{4}-\d{4}\b", t.zh)]
    assert [] == bad


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_published_page_shows_the_notes_in_its_language(lang):
    """The docs page in zh shows the Chinese notes and source titles; in en the English ones."""
    rs = qnwmh_rules.load_ruleset(term="2017-2018", backend="python").ruleset
    md = render_markdown(rs, lang=lang)
    other = "en" if lang == "zh" else "zh"
    rule = rs.rule("filing.window")
    p = rs.parameter("filing_window")
    assert (True, False) == (" ".join(rule.interpretation.get(lang).split()) in md,
                             " ".join(rule.interpretation.get(other).split()) in md)
    assert (True, True) == (p.description.get(lang) in md, rs.sources[0].title.get(lang) in md)
