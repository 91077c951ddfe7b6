"""Auditors' notes of the shipped rulesets read as a league committee writes: properties and goldens."""

import html
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules._explain import explain_html, explain_text
from qnwmh_rules.facts import REGIONS, SUBJECTS

from .strategies import as_of_days, collectives, known_by, units

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
GOLDEN = Path(__file__).resolve().parent / "data" / "notes"

COLLECTIVE_RULESETS = [RULESETS / "2017-2018" / "national.yaml", RULESETS / "2017-2018" / "guangdong.yaml",
                       RULESETS / "2011-2012" / "national.yaml", RULESETS / "examples" / "collective-scoring.yaml"]
UNIT_RULESETS = [RULESETS / "2017-2018" / "unit.yaml", RULESETS / "2017-2018" / "unit-transport.yaml"]
ENGINES = {p: qnwmh_rules.load_ruleset(p, backend="python") for p in COLLECTIVE_RULESETS + UNIT_RULESETS}

# Fact paths as an author writes them (members.total, honors, derived.leader_age, params.…), never for a reader.
_PATHS = sorted({p.replace("[]", "") for s in SUBJECTS.values() for p in s.fields if "." in p or "[]" in p} |
                {name for s in SUBJECTS.values() for name in s.lists}, key=len, reverse=True)
_ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?:[ ,;:]+[A-Za-z]{2,}){2,}")  # three English words in a row
_CONDITION = re.compile(r"any\(|all\(|>=|<=|==|!=|params\.|derived\.|\bitem\.")
_CONDITION_ZH = re.compile(r" and | or ")
_IANA = re.compile(r"\b(?:Asia|Europe|America|Africa|Australia|Pacific|Etc)/[A-Za-z_]+")


_SECTION_HEADS = {"zh": ("采用的解释", "可复现信息"), "en": ("Interpretations applied", "Reproducibility stamp")}


def _sections(text, lang):
    """The note as checked: whole in Chinese; in English without the interpretations (the rulesets'
    English notes name parameters and fields as the ruleset's author writes them)."""
    if lang == "zh":
        return text
    interp, stamp_head = _SECTION_HEADS[lang]
    head, _, rest = text.partition(f"\n{interp}\n")
    _, _, stamp = rest.partition(f"\n{stamp_head}\n")
    return head + "\n" + stamp


def _visible(page):
    """The text a reader sees on the HTML page (no style sheet, no markup)."""
    body = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", body))


def _problems(text, verdict, lang):
    """Every kind of text a reader should never see in a note."""
    found = []
    words = re.sub(r"[0-9a-f]{64}", "", text)  # the stamp's hashes
    words = re.sub(r"\d{4}-\d{4}/[\w-]+@[\d.]+", "", words)  # ruleset keys of the stamp's layers
    for path in _PATHS:
        if re.search(rf"(?<![\w.]){re.escape(path)}(?![\w])", words) and (lang == "zh" or "." in path):
            found.append(f"fact path {path}")
    if re.search(r"[{}\[\]]", words.replace("【", "").replace("】", "")):
        found.append("JSON or template braces")
    for r in verdict.rules:
        if " ".join(r.condition.split()) in " ".join(words.split()):
            found.append(f"the condition of {r.id}")
    if _CONDITION.search(words):
        found.append(f"condition text {_CONDITION.search(words)[0]!r}")
    if lang == "zh" and _CONDITION_ZH.search(words):
        found.append(f"condition text {_CONDITION_ZH.search(words)[0]!r}")
    if _IANA.search(words):
        found.append(f"time zone name {_IANA.search(words)[0]}")
    if lang == "zh":
        allowed = {"durable_rules", "Python", "SHA"}
        english = [m for m in _ENGLISH.findall(words) if not set(m.replace(",", " ").split()) <= allowed]
        found += [f"English: {m}" for m in english]
        if "还剩" in words:
            found.append("days left")
    return found


def _named(facts, draw_name, draw_region, day):
    facts = known_by(facts, day)
    facts["name"] = draw_name
    facts["region"] = draw_region
    return facts


@settings(max_examples=25, deadline=None)
@given(facts=collectives(), ruleset=st.sampled_from(COLLECTIVE_RULESETS), day=as_of_days,
       name=st.sampled_from(["广州南站客运车间青年班组", "某青年班组"]), region=st.sampled_from(sorted(REGIONS)))
def test_collective_notes_show_no_path_json_condition_or_zone(facts, ruleset, day, name, region):
    """On random facts and every shipped collective ruleset, the zh text and page have no fact path, JSON,
    condition text, IANA zone name or English sentence, and the en ones no path, JSON, condition or zone."""
    facts = _named(facts, name, region, day)
    v = ENGINES[ruleset].evaluate(facts, as_of=day.isoformat())
    for lang in ("zh", "en"):
        text, page = explain_text(v, lang=lang, facts=facts), _visible(explain_html(v, lang=lang, facts=facts))
        text, page = _sections(text, lang), _sections(page, lang)
        assert ([], []) == (_problems(text, v, lang), _problems(page, v, lang)), text


@settings(max_examples=25, deadline=None)
@given(facts=units(), ruleset=st.sampled_from(UNIT_RULESETS), day=as_of_days,
       name=st.sampled_from(["共青团广东省委", "交通运输部团委"]), region=st.sampled_from(sorted(REGIONS)))
def test_unit_notes_show_no_path_json_condition_or_zone(facts, ruleset, day, name, region):
    """The same for management units' assessment notes, which never speak of eligibility (资格)."""
    facts = _named(facts, name, region, day)
    v = ENGINES[ruleset].evaluate(facts, as_of=day.isoformat())
    for lang in ("zh", "en"):
        text, page = explain_text(v, lang=lang, facts=facts), _visible(explain_html(v, lang=lang, facts=facts))
        text, page = _sections(text, lang), _sections(page, lang)
        assert ([], [], False) == (_problems(text, v, lang), _problems(page, v, lang),
                                   "资格" in text or "eligible" in text), text


@settings(max_examples=30, deadline=None)
@given(facts=collectives(), day=as_of_days)
def test_every_rule_of_a_note_has_a_requirement_and_a_conclusion(facts, day):
    """Each condition not met or not yet decidable carries 要求 and 核查结论; none shows an empty finding."""
    v = ENGINES[COLLECTIVE_RULESETS[1]].evaluate(known_by(facts, day), as_of=day.isoformat())
    text = explain_text(v)
    blocks = re.split(r"\n(?=\d+\. )", text.partition("\n符合的条件")[0])[1:]
    assert [] == [b for b in blocks if "   要求：" not in b or "   核查结论：" not in b or "核查情况：。" in b]


GOLDENS = {
    "collective-ineligible": (RULESETS / "2017-2018" / "guangdong.yaml",
                              RULESETS / "examples" / "collective-gd-0001.json",
                              {"members.aged_35_or_under": 11, "leader.birth_date": "1976-09-29"}, "2017-10-15"),
    "collective-undetermined": (RULESETS / "2017-2018" / "national.yaml",
                                RULESETS / "examples" / "collective-gd-0001.json", {"filings": []}, "2017-09-20"),
    "unit-provisional": (RULESETS / "2017-2018" / "unit.yaml", RULESETS / "examples" / "unit-gd.json",
                         {"activities": "first two"}, "2018-06-01"),
}


def _golden_verdict(name):
    import json

    ruleset, facts_file, changes, day = GOLDENS[name]
    facts = json.loads(facts_file.read_text(encoding="utf-8"))
    for path, value in changes.items():
        if value == "first two":
            facts[path] = facts[path][:2]
            continue
        head, _, tail = path.partition(".")
        if tail:
            facts[head][tail] = value
        else:
            facts[head] = value
    return ENGINES[ruleset].evaluate(facts, as_of=day), facts


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", sorted(GOLDENS))
def test_notes_match_their_goldens(name, lang):
    """The note of each subject (eligibility, assessment) is exactly its golden file, line for line
    (QNWMH_UPDATE_GOLDENS=1 rewrites them; review the diff before committing)."""
    v, facts = _golden_verdict(name)
    text = explain_text(v, lang=lang, facts=facts)
    text = re.sub(r"(软件版本：|Library version: ).*", r"\1…", text)
    text = re.sub(r"(规则引擎：|Engine: ).*", r"\1…", text)
    path = GOLDEN / f"{name}.{lang}.txt"
    if os.environ.get("QNWMH_UPDATE_GOLDENS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8").splitlines() == text.splitlines()
