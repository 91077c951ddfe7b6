"""Break tests of issue 13 (zh/en outputs) from an attacker's and a new user's side: codes the facts accept
that no name list knows, markup in names, huge and hostile inputs, fact fields that share a name with an option."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules._api import load_ruleset_cached
from qnwmh_rules._finding import vocabulary

from .zh_check import zh_problems

EXAMPLES = Path(qnwmh_rules._api.rulesets_dir()) / "examples"
NATIONAL = Path(qnwmh_rules._api.rulesets_dir()) / "2017-2018" / "national.yaml"
GD = json.loads((EXAMPLES / "collective-gd-0001.json").read_text(encoding="utf-8"))

two_letters = st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=2)


@given(code=two_letters)
def test_any_nationality_code_the_facts_accept_reads_as_words(code):
    """Every two-letter code parse_facts accepts (XK, ZZ and other unassigned ones too) names a country in
    zh without Latin letters, and is never the bare code in en."""
    vocab = vocabulary("collective")
    assert ([], True) == (zh_problems(vocab.nationality(code, "zh")), vocab.nationality(code, "en") != code)


def test_an_unassigned_nationality_code_leaves_no_code_in_the_zh_note_or_why_not():
    """A 号长 recorded as XK (Kosovo, user-assigned, not ISO) or ZZ: the zh note and why-not name no code."""
    engine = load_ruleset_cached(NATIONAL, backend="python")
    problems = []
    for code in ("XK", "ZZ"):
        facts = copy.deepcopy(GD)
        facts["leader"]["nationality"] = code
        verdict = engine.evaluate(facts)
        note = qnwmh_rules.explain_text(verdict, lang="zh", ruleset=engine, facts=facts)
        section = note.split("采用的解释")[0]
        texts = [section, qnwmh_rules.why_not(engine, facts).to_text("zh")]
        problems += [p for t in texts for p in zh_problems(t, allow={r.id for r in engine.ruleset.rules} | {"GD-0001"})]
    assert [] == problems


_ZH_DAY = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
EMPTY = {**copy.deepcopy(GD), "honors": [], "filings": []}


def _new_item_changes(result):
    """The zh words of every change why-not says can still be made that adds an item."""
    return [s.change.zh for f in result.fixes for o in f.options for s in o
            if s.changeable and s.change.zh.startswith("新增一项")]


@settings(max_examples=15, deadline=None)
@given(day=st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2017, 9, 30)))
def test_why_not_never_proposes_a_back_dated_new_item(day):
    """Before or inside the window, every new filing or honour why-not proposes falls on the evaluation
    day or later: its range starts no earlier than that day (an open "不晚于" range would allow a back-dated one)."""
    engine = load_ruleset_cached(NATIONAL, backend="python")
    changes = _new_item_changes(qnwmh_rules.why_not(engine, EMPTY, as_of=day.isoformat()))
    starts = [dt.date(*map(int, _ZH_DAY.search(c).groups())) for c in changes]
    assert (True, [], []) == (len(changes) > 0, [c for c in changes if "不晚于" in c],
                              [s for s in starts if s < day])


def test_why_not_inside_the_window_does_not_say_nothing_can_be_done():
    """Inside the filing window a missing filing can still be made: the summary must not say that no
    change can still be made, in zh or en."""
    engine = load_ruleset_cached(NATIONAL, backend="python")
    result = qnwmh_rules.why_not(engine, EMPTY, as_of="2017-06-01")
    assert (False, False) == ("没有现在仍可做出的修改" in result.to_text("zh"),
                              "No change can still be made" in result.to_text("en"))


@pytest.mark.parametrize("ruleset, lst", [("2017-2018/national.yaml", "honors"), ("2017-2018/national.yaml", "filings"),
                                           ("2017-2018/unit.yaml", "activities")])
def test_a_list_noun_in_why_not_keeps_every_word_of_its_en_label(ruleset, lst):
    """why-not's en noun for a new item is the schema label without its parenthetical zh term, in the singular:
    `Youth Civilization Post (青年文明号) honours` reads `Youth Civilization Post honour`, not
    `Youth Civilization Post`."""
    from qnwmh_rules._whynot import _list_nouns

    engine = load_ruleset_cached(Path(qnwmh_rules._api.rulesets_dir()) / ruleset, backend="python")
    vocab = vocabulary(engine.ruleset.subject, engine.ruleset)
    plain = re.sub(r" \([^)]*\)", "", vocab.label(lst, "en")).split()
    sing = _list_nouns(vocab, lst)[0].split()
    assert (plain[:-1], True) == (sing[:-1], plain[-1].startswith(sing[-1][:-1]))


def _gd_verdict():
    engine = load_ruleset_cached(NATIONAL, backend="python")
    return json.loads(json.dumps(engine.evaluate(GD).to_dict()))


def _set(doc, path, value):
    *heads, last = path
    for h in heads:
        doc = doc[h]
    doc[last] = value


@pytest.mark.parametrize("path, value", [
    (("outcome",), "maybe"), (("outcome",), 1), (("rules", 0, "outcome"), "exploded"), (("rules", 0), 1),
    (("rules", 0, "id"), None), (("stamp",), {}), (("stamp", "engine"), "abacus"), (("missing",), [1]),
    (("schema_version",), "x"), (("stamp", "layers"), 7),
])
def test_a_hand_edited_verdict_is_refused_in_words(tmp_path, capsys, path, value):
    """A verdict with a hand-edited part is refused by `explain` (exit 2, one line) or explained, never with a
    Python repr (attrs' Attribute(...), validator objects, <...>, NoneType) in what the user reads."""
    from qnwmh_rules.cli import main

    doc = _gd_verdict()
    _set(doc, path, value)
    f = tmp_path / "v.json"
    f.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    code = main(["explain", str(f), "--lang", "zh"])
    err = capsys.readouterr().err
    reprs = [w for w in ("Attribute(", "validator", "NOTHING", "<", "NoneType", "Traceback") if w in err]
    assert (True, []) == (code in (0, 2) and len(err.splitlines()) == (code == 2), reprs)


@pytest.mark.parametrize("as_of", ["not a date", "2017-13-01T00:00:00+08:00", "明天", "2017-06-01T10:00:00"])
def test_a_verdict_with_an_unreadable_as_of_is_refused(tmp_path, capsys, as_of):
    """A hand-edited stamp.as_of that is not an ISO moment with its offset is refused with one line naming
    stamp.as_of (exit 2): the note would otherwise print it raw and read as if no moment had been given."""
    from qnwmh_rules.cli import main

    doc = _gd_verdict()
    doc["stamp"]["as_of"] = as_of
    f = tmp_path / "v.json"
    f.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    code = main(["explain", str(f), "--lang", "zh"])
    out = capsys.readouterr()
    assert (2, "", True) == (code, out.out, "stamp.as_of" in out.err)


@pytest.mark.parametrize("command", [["evaluate"], ["why-not"], ["evaluate", "--set", "members.total=30"]])
def test_a_bad_region_fact_is_a_bad_fact_not_a_bad_option(tmp_path, capsys, command):
    """The facts' own `region` (GUANGDONG) is reported as a bad fact naming the field, not as `bad option
    --region` (no --region was given); a bad --region option still is a bad option."""
    from qnwmh_rules.cli import main

    f = tmp_path / "facts.json"
    f.write_text(json.dumps({**GD, "region": "GUANGDONG"}, ensure_ascii=False), encoding="utf-8")
    code = main([*command, str(f)])
    err = capsys.readouterr().err
    assert (2, True) == (code, err.startswith("qnwmh-rules: bad facts: region: unknown region 'GUANGDONG'"))
    code = main([command[0], "--region", "mars", str(EXAMPLES / "collective-gd-0001.json")])
    assert (2, True) == (code, capsys.readouterr().err.startswith("qnwmh-rules: bad option --region: unknown region"))


def _fullwidth(word):
    return "".join(chr(ord(c) + 0xFEE0) for c in word)


@given(word=st.text(alphabet=string.ascii_letters, min_size=2, max_size=12))
def test_the_checker_catches_latin_typed_in_full_width(word):
    """A Chinese input method types Latin in full width (ＣＮ, ｇｕａｎｇｄｏｎｇ): the checker names it as it
    names the ASCII word."""
    assert [] != zh_problems(f"号长国籍为{_fullwidth(word)}。")


@pytest.mark.parametrize("text", ["截止日2017-9-30", "截止日2017/09/30", "截止日2017.09.30",
                                  "评估时点2017-06-01 10:15"])
def test_the_checker_catches_dates_written_in_other_machine_forms(text):
    """Dates in the other numeric forms a program prints (unpadded, slashes, dots) are not Chinese dates either."""
    assert [] != zh_problems(text)


def test_why_not_on_the_last_day_names_that_day_not_a_range_of_one_day():
    """On the window's last day a new filing must be made that day: `提交时间为2017年9月30日`, not
    `在2017年9月30日至2017年9月30日之间（含首尾两日）` (en likewise)."""
    engine = load_ruleset_cached(NATIONAL, backend="python")
    result = qnwmh_rules.why_not(engine, EMPTY, as_of="2017-09-30")
    text = result.to_text("zh") + result.to_text("en")
    one_day_ranges = ("2017年9月30日至2017年9月30日" in text, "between 30 September 2017 and 30 September 2017" in text)
    assert ((False, False), True) == (one_day_ranges, "提交时间为2017年9月30日" in text)


@pytest.mark.parametrize("code", ["HK", "MO", "TW"])
@pytest.mark.parametrize("path", ["leader.nationality"])
def test_a_region_of_china_is_refused_as_a_nationality(code, path):
    """HK, MO and TW name regions of China, not nationalities: taken as one, a finding said a 号长 from
    Taiwan "不具有中国国籍" and why-not proposed changing the nationality. Facts refuse them, naming the
    field and saying what to record (both the fast path and the full walker)."""
    import json as _json

    import qnwmh_rules
    from qnwmh_rules import FactsError

    facts = _json.loads((Path(__file__).resolve().parent.parent / "rulesets" / "examples"
                         / "collective-gd-0001.json").read_text(encoding="utf-8"))
    facts["leader"]["nationality"] = code
    with pytest.raises(FactsError) as caught:
        qnwmh_rules.evaluate(facts)
    assert (path, True, True) == (caught.value.field, "region of China" in caught.value.message,
                                  "CN" in (caught.value.suggestion or ""))
    with pytest.raises(FactsError) as again:
        qnwmh_rules.parse_facts(facts)
    assert str(caught.value) == str(again.value)


@settings(max_examples=60, deadline=None)
@given(moment=st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30),
                           timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=14)),
                                                      dt.timezone(dt.timedelta(hours=-12)),
                                                      dt.timezone(dt.timedelta(hours=8))])))
def test_a_stamp_as_of_is_shown_only_inside_the_years_every_moment_is_read_in(moment):
    """A stamp's as_of outside 1900–2199 (hand-edited: evaluate never writes one) is refused naming
    stamp.as_of, as every other moment of the library is; inside them the note shows it in words
    (before: ``截至UTC+14:001年1月1日0:00``)."""
    from qnwmh_rules import explain_text
    from qnwmh_rules.verdict import Verdict

    doc = _gd_verdict()
    doc["stamp"]["as_of"] = moment.isoformat()
    verdict = Verdict.from_dict(doc)
    inside = 1900 <= moment.astimezone(dt.UTC).year <= 2199
    if inside:
        assert str(moment.year) + "年" in explain_text(verdict, lang="zh")
    else:
        with pytest.raises(ValueError, match="stamp.as_of"):
            explain_text(verdict, lang="zh")
