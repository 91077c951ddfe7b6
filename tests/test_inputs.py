"""Input that cannot be read exactly is refused, never guessed; a batch never loses a record.

Each numbered example of issue 9 has a test here with its right answer, and each kind has a
property (hypothesis) that a new member of the kind would break: the batch invariant over raw
bytes (records = verdict lines + error lines, in order), the API over arbitrary JSON values,
the one date/timestamp grammar, and the two backends agreeing at and beyond the bounds.
"""

import copy
import datetime as dt
import functools
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules import FactsError, RulesetError
from qnwmh_rules import _batch as B
from qnwmh_rules._jsontext import MAX_DEPTH, loads
from qnwmh_rules._moments import MAX_YEAR, MIN_YEAR, parse_as_of, parse_date, parse_timestamp
from qnwmh_rules.cli import main
from qnwmh_rules.facts import MAX_COUNT, MAX_TEXT

from .conftest import BACKENDS_HERE, ENGINE_OF_RECORD, EXAMPLE, ROOT
from .strategies import collectives, csv_bytes, json_values, plain_csv_bytes, raw_bytes
from .test_ruleset_errors import HEAD, rule

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
CHANNELS_RULE = "filing.single_channel"
GOOD = json.loads(EXAMPLE.read_text(encoding="utf-8"))


@functools.cache
def engine(backend="python", region=None):
    return qnwmh_rules.load_ruleset(term="2017-2018", region=region, backend=backend)


def good():
    return copy.deepcopy(GOOD)


def refused(facts, backend="python", region=None, as_of=None):
    """The field a FactsError names for these facts (the test fails if they are accepted)."""
    with pytest.raises(FactsError) as info:
        engine(backend, region).evaluate(facts, as_of=as_of)
    return info.value.field


def run_records(records, backend="python"):
    """Every output line of a batch over ``records``, parsed, with the invariant checks every batch
    output must pass: one JSON object per record, a verdict or an error, lines increasing."""
    out = []
    for line in (B.evaluate_record(engine(backend), r, None) for r in records):
        line.json.encode("utf-8")  # printable: no lone surrogate reaches the output
        doc = json.loads(line.json)
        assert ("verdict" in doc) != ("error" in doc)
        if "error" in doc:
            assert not doc["error"]["message"].startswith("internal error"), doc
            assert len(doc["error"]["message"]) <= 2_500
        out.append(doc)
    lines = [d["line"] for d in out]
    assert lines == sorted(set(lines))
    return out


# ---- 1. duplicate keys ----------------------------------------------------------------------

DUP = '{"id": "D", "leader": {"birth_date": "1984-03-02", "nationality": "CN", "birth_date": "1970-01-01"}}'


def test_duplicate_key_in_json_text_is_refused_by_the_api():
    """JSON text with a key twice is a FactsError naming the path, not the last value kept."""
    assert "leader.birth_date" == refused(DUP)
    assert "leader.birth_date" == refused(DUP.encode("utf-8"))


def test_duplicate_key_is_refused_by_evaluate_on_the_command_line(tmp_path, capsys):
    """`evaluate` refuses a facts file with a key twice, naming the path, exit 2."""
    (tmp_path / "f.json").write_text(DUP, encoding="utf-8")
    assert 2 == main(["evaluate", str(tmp_path / "f.json")])
    assert "leader.birth_date: is given twice" in capsys.readouterr().err


def test_duplicate_key_in_a_batch_line_and_a_csv_list_cell_and_column():
    """A key twice is an error line naming the path in JSON Lines, a CSV list cell, and a CSV header."""
    out = run_records(B.read_jsonl(io.BytesIO(DUP.encode() + b"\n")))
    assert ("FactsError", "leader.birth_date", "D") == (out[0]["error"]["type"], out[0]["error"]["field"],
                                                        out[0]["id"])
    cell = '"[{""level"": ""national"", ""level"": ""municipal"", ""kind"": ""named"", ""round"": ""2015-2016"", ' \
           '""date"": ""2016-05-04""}]"'
    csv_text = f"id,honors\nA,{cell}\n".encode()
    out = run_records(B.read_csv(io.BytesIO(csv_text)))
    assert ("FactsError", "honors[0].level") == (out[0]["error"]["type"], out[0]["error"]["field"])
    out = run_records(B.read_csv(io.BytesIO(b"id,members.total,members.total\nA,24,6\nB,1,2\n")))
    assert [("InvalidCSV", 2), ("InvalidCSV", 3)] == [(o["error"]["type"], o["line"]) for o in out]
    assert "more than once" in out[0]["error"]["message"]


def test_duplicate_key_in_a_cases_base_and_in_replayed_facts(tmp_path, capsys):
    """A cases file's base with a key twice is Q141; `replay --facts` with one is a FactsError."""
    (tmp_path / "base.json").write_text(DUP, encoding="utf-8")
    shutil.copy(ROOT / "rulesets/2017-2018/national.yaml", tmp_path / "national.yaml")
    (tmp_path / "t.cases.yaml").write_text(
        "ruleset: national.yaml\nbase: base.json\n"
        "cases:\n  - name: a case\n    expect: {outcome: eligible}\n", encoding="utf-8")
    with pytest.raises(RulesetError) as info:
        qnwmh_rules._cases.read_cases(tmp_path / "t.cases.yaml")
    assert ("Q141", True) == (info.value.code, "leader.birth_date" in str(info.value))
    verdict = engine().evaluate(GOOD).to_dict()
    (tmp_path / "v.json").write_text(json.dumps(verdict), encoding="utf-8")
    assert 2 == main(["replay", str(tmp_path / "v.json"), "--facts", str(tmp_path / "base.json")])
    assert "leader.birth_date: is given twice" in capsys.readouterr().err


def test_duplicate_key_in_a_set_value_is_refused(capsys):
    """`--set` with a JSON value holding a key twice is refused, not read as text or as the last value."""
    assert 2 == main(["evaluate", str(EXAMPLE), "--set", 'leader={"nationality": "CN", "nationality": "US"}'])
    assert "leader.nationality: is given twice" in capsys.readouterr().err


# ---- 2. the one grammar for dates, timestamps and as_of ---------------------------------------

# (text, accepted as a date, accepted as a timestamp). Spreadsheet and other systems' forms included.
FORMS = [
    ("2017-09-30", True, False),
    ("2017-09-30T10:15", False, True),
    ("2017-09-30T10:15:00", False, True),
    ("2017-09-30T10:15:00Z", False, True),
    ("2017-09-30T10:15:00.5+08:00", False, True),
    ("2017-09-30T10:15:00.123456-05:30", False, True),
    ("2017-09", False, False),
    ("2017", False, False),
    ("2017/9/30", False, False),
    ("2017/09/30", False, False),
    ("2017-9-30", False, False),
    ("30/09/2017", False, False),
    ("09/30/2017", False, False),
    ("2017-09-30 00:00:00", False, False),
    ("2017-09-30 10:15:00+08:00", False, False),
    ("20170930", False, False),
    ("20170930T101500", False, False),
    ("2017-W39", False, False),
    ("2017-W39-6", False, False),
    ("2017-273", False, False),
    ("2017-09-30T10", False, False),
    ("2017-09-30T1015", False, False),
    ("2017-09-30T10:15:00+0800", False, False),
    ("2017-09-30T10:15:00+08", False, False),
    ("2017-09-30T10:15:00+08:75", False, False),
    ("2017-09-30T10:15:00+24:00", False, False),
    ("2017-09-30t10:15:00z", False, False),
    ("2017-09-30T10:15:00.1234567Z", False, False),
    ("2017-09-30T10:15:00,5Z", False, False),
    ("2017-09-30T24:00:00Z", False, False),
    ("2017-09-30T23:59:60Z", False, False),
    ("2017-02-29", False, False),
    ("2017-09-30\n", False, False),
    (" 2017-09-30", False, False),
    ("２０１７-０９-３０", False, False),
    ("2017-09-30T10:15:00+08:00 ", False, False),
    ("43008", False, False),  # a spreadsheet's serial day number
    ("", False, False),
]


@pytest.mark.parametrize("text,as_date,as_timestamp", FORMS, ids=[repr(f[0]) for f in FORMS])
def test_the_one_grammar(text, as_date, as_timestamp):
    """Each form is accepted exactly where the documented grammar says, by facts and by as_of alike."""
    def ok(fn):
        try:
            fn()
        except FactsError:
            return False
        return True

    assert as_date == ok(lambda: parse_date(text, "d"))
    assert as_timestamp == ok(lambda: parse_timestamp(text, "t", SHANGHAI))
    assert (as_date or as_timestamp) == ok(lambda: parse_as_of(text, SHANGHAI))
    facts = good()
    facts["filings"][0]["submitted_at"] = text
    facts["filings"][0]["review"] = {"status": "pending"}
    assert as_timestamp == ok(lambda: engine().evaluate(facts))
    facts = good()
    facts["leader"]["birth_date"] = text
    assert as_date == ok(lambda: engine().evaluate(facts))
    assert (as_date or as_timestamp) == ok(lambda: engine().evaluate(GOOD, as_of=text))


def test_a_reduced_timestamp_no_longer_passes_the_guangdong_deadline():
    """`"submitted_at": "2017-09"` (once read as 2017-09-01) is refused, and so is `"2017"`."""
    for text in ("2017-09", "2017"):
        facts = good()
        facts["filings"][0]["submitted_at"] = text
        assert "filings[0].submitted_at" == refused(facts, region="guangdong")


@given(moment=st.datetimes(dt.datetime(MIN_YEAR, 1, 2), dt.datetime(MAX_YEAR, 12, 30)),
       offset=st.integers(-14 * 60, 14 * 60), seconds=st.booleans(), micro=st.booleans())
def test_every_timestamp_in_the_grammar_reads_back_exactly(moment, offset, seconds, micro):
    """A timestamp written in the grammar reads as exactly that moment (no rounding, no guessing)."""
    zone = dt.timezone(dt.timedelta(minutes=offset))
    moment = moment.replace(tzinfo=zone, second=moment.second if seconds else 0,
                            microsecond=moment.microsecond if micro and seconds else 0)
    text = moment.isoformat(timespec="microseconds" if micro and seconds else "seconds" if seconds else "minutes")
    assert moment == parse_timestamp(text, "t", SHANGHAI)
    assert moment == parse_as_of(text, SHANGHAI)


@given(text=st.text(alphabet="0123456789-:T.Z+/ Wtz,", max_size=32))
def test_whatever_is_accepted_is_in_the_grammar(text):
    """Any text accepted as a timestamp is in the documented grammar; as a date, exactly YYYY-MM-DD."""
    import re

    try:
        parse_timestamp(text, "t", SHANGHAI)
    except FactsError:
        pass
    else:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d:\d\d)?", text)
    try:
        parse_date(text, "d")
    except FactsError:
        pass
    else:
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", text)


# ---- 3. text fields with a format ---------------------------------------------------------------

@pytest.mark.parametrize("path,value", [
    (("honors", 0, "round"), "２０１５-２０１６"), (("honors", 0, "round"), "2015-2016\n"),
    (("honors", 0, "round"), " 2015-2016"), (("leader", "nationality"), "cn"), (("leader", "nationality"), "CN "),
    (("leader", "nationality"), "ＣＮ"), (("region",), "guangdong "), (("region",), "Guangdong"),
    (("org_kind",), "public\n"), (("reporting_line", "unit"), " 广铁集团团委"),
    (("reporting_line", "unit"), "广铁集团团委 "), (("reporting_line", "unit"), "广铁集团\u200b团委"),
    (("reporting_line", "unit"), "广铁\n集团团委"), (("reporting_line", "unit"), "\ufeff广铁集团团委"),
    (("name",), "Cafe\u0301"), (("industry",), "x" * (MAX_TEXT + 1)),
    (("filings", 0, "channel", "unit"), "广铁集团团委\t"), (("members", "total"), "24"), (("members", "total"), 24.5),
])
def test_a_text_that_validates_but_could_never_match_is_refused(path, value):
    """Padded, invisible, control, non-NFC, too long or look-alike values are refused, naming the field."""
    facts = good()
    node = facts
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    assert ".".join(str(p) for p in path).replace(".0.", "[0].") == refused(facts)


@pytest.mark.parametrize("cell", ["1_000", " 24 ", "24 ", "+24", "２４", "24.0", "0x18", "2.4e1", "024", "-1", "1e3"])
def test_a_number_cell_in_csv_is_read_only_as_plain_digits(cell):
    """CSV count cells accept only ASCII digits: other forms are a FactsError on that field."""
    out = run_records(B.read_csv(io.BytesIO(f"id,members.total\nA,{cell}\n".encode())))
    assert ("FactsError", "members.total") == (out[0]["error"]["type"], out[0]["error"]["field"])


def test_plain_digits_and_spreadsheet_booleans_are_read():
    """`24` is a count; `TRUE`/`true` are booleans, `yes` is refused."""
    out = run_records(B.read_csv(io.BytesIO(b"id,members.total\nA,24\n")))
    assert "verdict" in out[0]
    rows = b"id,kind,contact_platform.exists\nU1,member_unit,TRUE\nU2,member_unit,yes\n"
    recs = list(B.read_csv(io.BytesIO(rows), subject="unit"))
    assert [True, "yes"] == [r.raw["contact_platform"]["exists"] for r in recs]


# ---- 4. CSV encoding and byte-order marks ------------------------------------------------------

def _gbk_csv():
    cell = json.dumps([{"channel": {"kind": "industry", "unit": "广铁集团团委"},
                        "submitted_at": "2017-06-20T10:15:00+08:00", "review": {"status": "approved",
                                                                              "at": "2017-06-28T09:00:00+08:00"}},
                       {"channel": {"kind": "locality", "unit": "广州市团委"},
                        "submitted_at": "2017-06-21T10:15:00+08:00", "review": {"status": "approved",
                                                                              "at": "2017-06-28T09:00:00+08:00"}}],
                      ensure_ascii=False)
    header = "id,region,members.total,members.aged_35_or_under,members.chinese_nationals,leader.birth_date," \
             "leader.nationality,honors,filings"
    honors = json.dumps(GOOD["honors"], ensure_ascii=False).replace('"', '""')
    row = f'GD-9,guangdong,24,15,24,1984-03-02,CN,"{honors}","' + cell.replace('"', '""') + '"'
    return (header + "\n" + row + "\n").encode("gbk")


def test_a_gbk_csv_is_refused_as_utf8_and_read_with_its_encoding(tmp_path, capsys):
    """GBK bytes read as UTF-8 give an InvalidText line (not one garbled channel); --encoding gb18030 reads them."""
    out = run_records(B.read_csv(io.BytesIO(_gbk_csv())))
    assert ("InvalidText", "GD-9") == (out[0]["error"]["type"], out[0]["id"])
    out = run_records(B.read_csv(io.BytesIO(_gbk_csv()), encoding="gb18030"))
    failed = [r["id"] for r in out[0]["verdict"]["rules"] if r["outcome"] == "failed"]
    assert ("ineligible", [CHANNELS_RULE]) == (out[0]["verdict"]["outcome"], failed)  # two channels, read as two
    (tmp_path / "gbk.csv").write_bytes(_gbk_csv())
    assert 0 == main(["batch", str(tmp_path / "gbk.csv"), "--encoding", "gb18030", "-q"])
    assert 2 == main(["batch", str(tmp_path / "gbk.csv"), "--encoding", "no-such-codec", "-q"])


def test_a_byte_order_mark_is_accepted_in_csv_and_jsonl():
    """A UTF-8 BOM (spreadsheet "CSV UTF-8", some JSONL writers) is dropped, not glued to the first name."""
    csv_text = b"\xef\xbb\xbfid,members.total\nA,24\n"
    out = run_records(B.read_csv(io.BytesIO(csv_text)))
    assert "verdict" in out[0]
    out = run_records(B.read_jsonl(io.BytesIO(b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\n")))
    assert "verdict" in out[0]


# ---- 5. a birth date after the age reference date ----------------------------------------------

def test_a_birth_date_after_the_age_reference_date_is_refused():
    """Born after 2017-09-30 would be a negative age that passes `<= 40`: a FactsError instead."""
    facts = good()
    facts["leader"]["birth_date"] = "2018-01-01"
    assert "leader.birth_date" == refused(facts)
    assert "leader.birth_date" == refused(facts, backend=ENGINE_OF_RECORD)


# ---- 6. values durable_rules cannot hold exactly -----------------------------------------------

BOUNDS_RULESET = HEAD.replace("parameters:\n", "parameters:\n  win: {value: {start: 2015-10-01, end: 2017-09-30, "
                                               "start_inclusive: true, end_inclusive: false}}\n"
                                               "  far: {value: 2199-12-31}\n  early: {value: 1900-01-01}\n"
                                               "  big: {value: 999999999}\n") + "".join(
    rule(when, id=f"basic.r{i}") for i, when in enumerate([
        'reporting_line.unit == "a"', 'industry != "a"', "any(h in filings, h.submitted_at in params.win)",
        "any(h in filings, h.submitted_at <= params.far)", "any(h in filings, h.submitted_at >= params.early)",
        "members.total >= params.big", "leader.birth_date <= params.far", "leader.birth_date >= params.early"]))

_TEXTS = ["a", "a" + "x" * (MAX_TEXT - 1), "a" + "x" * MAX_TEXT, "a" + "x" * 65_536, "a" + "广" * (MAX_TEXT - 1),
          "a" + "广" * 30_000, "b"]
_STAMPS = ["2017-09-29T23:59:59.999999+08:00", "2017-09-30T00:00:00+08:00", "2015-09-30T23:59:59.999999+08:00",
           "2015-10-01T00:00:00+08:00", f"{MAX_YEAR}-12-31T23:59:59.999999+08:00",
           f"{MAX_YEAR + 1}-01-01T00:00:00+08:00",
           f"{MIN_YEAR}-01-01T00:00:00.000001+08:00", f"{MIN_YEAR - 1}-12-31T23:59:59.999999+08:00",
           "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"]
_COUNTS = [0, MAX_COUNT - 1, MAX_COUNT, MAX_COUNT + 1, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -1]
_DATES = [f"{MAX_YEAR}-12-31", f"{MAX_YEAR + 1}-01-01", f"{MIN_YEAR}-01-01", f"{MIN_YEAR - 1}-12-31", "9999-12-31",
          "0001-01-01"]


@functools.cache
def bounds_engine(backend, path):
    return qnwmh_rules.load_ruleset(path, backend=backend)


def _result(eng, facts):
    try:
        v = eng.evaluate(facts)
    except FactsError as exc:
        return ("FactsError", exc.field)
    return (v.outcome, tuple((r.id, r.outcome) for r in v.rules))


@settings(max_examples=80, deadline=None)
@given(unit=st.sampled_from(_TEXTS), industry=st.sampled_from(_TEXTS), stamp=st.sampled_from(_STAMPS),
       count=st.sampled_from(_COUNTS), birth=st.sampled_from(_DATES))
def test_both_backends_agree_at_and_beyond_the_bounds(tmp_path_factory, unit, industry, stamp, count, birth):
    """At the bounds durable_rules and the python backend give the same outcomes; beyond them both refuse."""
    path = tmp_path_factory.getbasetemp() / "bounds.yaml"
    if not path.exists():
        path.write_text(BOUNDS_RULESET, encoding="utf-8")
    facts = {"id": "B", "reporting_line": {"kind": "industry", "unit": unit}, "industry": industry,
             "members": {"total": count}, "leader": {"birth_date": birth},
             "filings": [{"channel": {"kind": "industry", "unit": "u"}, "submitted_at": stamp,
                          "review": {"status": "pending"}}]}
    durable, python = bounds_engine(ENGINE_OF_RECORD, str(path)), bounds_engine("python", str(path))
    assert _result(python, facts) == _result(durable, facts)
    beyond = len(unit) > MAX_TEXT or len(industry) > MAX_TEXT or stamp in _STAMPS[5:6] + _STAMPS[7:] \
        or not 0 <= count <= MAX_COUNT or birth in (_DATES[1], *_DATES[3:])
    assert beyond == (_result(python, facts)[0] == "FactsError")


# ---- 7. timestamps that leave the years 1–9999 --------------------------------------------------

@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_overflowing_timestamps_are_facts_errors_everywhere(stamp, tmp_path, capsys):
    """In facts, as_of, --set, --as-of and batch: a FactsError or an error line, never OverflowError."""
    facts = good()
    facts["filings"][0]["submitted_at"] = stamp
    assert "filings[0].submitted_at" == refused(facts)
    assert "as_of" == refused(GOOD, as_of=stamp)
    assert 2 == main(["evaluate", str(EXAMPLE), "--set", f"filings.0.submitted_at={stamp}"])
    assert 2 == main(["evaluate", str(EXAMPLE), "--as-of", stamp])
    (tmp_path / "in.jsonl").write_text(json.dumps(facts) + "\n" + json.dumps(GOOD) + "\n", encoding="utf-8")
    assert 1 == main(["batch", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "o.jsonl"), "-q"])
    out = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [("FactsError", 1), ("verdict", 2)] == [("verdict" if "verdict" in o else o["error"]["type"], o["line"])
                                                   for o in out]
    assert 2 == main(["batch", str(tmp_path / "in.jsonl"), "--as-of", stamp, "-q"])
    assert "Traceback" not in capsys.readouterr().err


# ---- 8. lone surrogates -------------------------------------------------------------------------

def test_a_lone_surrogate_is_refused_in_any_string():
    """`{"id": "\\ud800"}` is a FactsError (API, dict or text) and an error line in a batch, never a crash."""
    assert "id" == refused({"id": "\ud800"})
    assert "id" == refused({"id": "\ud800"}, backend=ENGINE_OF_RECORD)
    assert "id" == refused('{"id": "\\ud800"}')
    assert "(facts)" == refused({"id": "A", "\udc80": 1})
    out = run_records(B.read_jsonl(io.BytesIO(b'{"id": "\\ud800"}\n{"id": "A", "reporting_line": {"unit": '
                                              b'"\\udfff"}}\n')))
    assert [("FactsError", None), ("FactsError", "A")] == [(o["error"]["type"], o["id"]) for o in out]


# ---- 9. deep nesting ----------------------------------------------------------------------------

DEEP = '{"id": "X", "members": ' + "[" * 1000 + "]" * 1000 + "}"


def test_deep_nesting_is_refused_everywhere(tmp_path, capsys):
    """JSON nested ~1,000 deep: a clear refusal in the API, batch, evaluate, replay, explain and a cases base."""
    with pytest.raises(FactsError):
        engine().evaluate(DEEP)
    out = run_records(B.read_jsonl(io.BytesIO(DEEP.encode() + b"\n" + json.dumps(GOOD).encode() + b"\n")))
    assert [True, False] == ["error" in o for o in out]
    (tmp_path / "deep.json").write_text(DEEP, encoding="utf-8")
    (tmp_path / "v.json").write_text(json.dumps(engine().evaluate(GOOD).to_dict()), encoding="utf-8")
    assert 2 == main(["evaluate", str(tmp_path / "deep.json")])
    assert 2 == main(["explain", str(tmp_path / "deep.json")])
    assert 2 == main(["replay", str(tmp_path / "v.json"), "--facts", str(tmp_path / "deep.json")])
    assert 2 == main(["why-not", str(tmp_path / "deep.json")])
    err = capsys.readouterr().err
    assert "Traceback" not in err and 4 == err.count(f"nested more than {MAX_DEPTH} levels")
    shutil.copy(ROOT / "rulesets/2017-2018/national.yaml", tmp_path / "national.yaml")
    (tmp_path / "t.cases.yaml").write_text(
        "ruleset: national.yaml\nbase: deep.json\n"
        "cases:\n  - name: a case\n    expect: {outcome: eligible}\n", encoding="utf-8")
    with pytest.raises(RulesetError) as info:
        qnwmh_rules._cases.read_cases(tmp_path / "t.cases.yaml")
    assert "Q141" == info.value.code


def test_nesting_up_to_the_limit_is_read():
    """Nesting of exactly MAX_DEPTH levels is JSON like any other; one more is refused."""
    deepest = loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    for _ in range(MAX_DEPTH - 1):
        deepest = deepest[0]
    assert [] == deepest
    with pytest.raises(FactsError):
        loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


# ---- 10. big CSV cells and unterminated quotes ------------------------------------------------

def test_a_cell_of_900_filings_is_read():
    """A filings cell over 131,072 characters (900 filings, within the item limit) gives a verdict."""
    filings = [GOOD["filings"][0]] * 900
    cell = json.dumps(filings, ensure_ascii=False)
    assert len(cell) > 131_072
    data = ("id,filings\nA," + '"' + cell.replace('"', '""') + '"\nB,[]\n').encode()
    out = run_records(B.read_csv(io.BytesIO(data)))
    assert [2, 3] == [o["line"] for o in out] and all("verdict" in o for o in out)


def test_an_unterminated_quote_does_not_swallow_the_rows_after_it():
    """The row with the open quote is an error line; the rows after it are still read."""
    data = b'id,members.total\nA,24\nB,"24\nC,24\nD,24\n'
    out = run_records(B.read_csv(io.BytesIO(data)))
    assert [(2, "A"), (3, None), (4, "C"), (5, "D")] == [(o["line"], o["id"]) for o in out]
    assert "InvalidCSV" == out[1]["error"]["type"]


def test_bad_quoting_is_an_error_line_for_its_row_only():
    """Strict CSV: text after a closing quote spoils its row only; a stray quote in a count is refused."""
    data = b'id,members.total\nA,2"4\nB,"24"x\nC,24\n'
    out = run_records(B.read_csv(io.BytesIO(data)))
    assert [(2, "FactsError"), (3, "InvalidCSV"), (4, None)] == [(o["line"], o.get("error", {}).get("type"))
                                                                 for o in out]


# ---- 11. output: never the input, never half a line ---------------------------------------------

def test_batch_refuses_to_write_over_its_input(tmp_path, capsys):
    """`batch X -o X`, through a symlink or a hard link too, is refused with exit 2 and X kept."""
    src = tmp_path / "in.jsonl"
    text = json.dumps(GOOD) + "\n"
    src.write_text(text, encoding="utf-8")
    (tmp_path / "link.jsonl").symlink_to(src)
    os.link(src, tmp_path / "hard.jsonl")
    for out in (src, tmp_path / "link.jsonl", tmp_path / "hard.jsonl", tmp_path / "." / "in.jsonl"):
        assert 2 == main(["batch", str(src), "-o", str(out), "-q"])
        assert "is the input file" in capsys.readouterr().err
    assert text == src.read_text(encoding="utf-8")


def test_the_exit_status_tells_whether_some_records_were_bad(tmp_path):
    """0 when every record got a verdict, 1 when some were bad (the output still has every line)."""
    (tmp_path / "ok.jsonl").write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    (tmp_path / "bad.jsonl").write_text(json.dumps(GOOD) + "\n{\n", encoding="utf-8")
    assert 0 == main(["batch", str(tmp_path / "ok.jsonl"), "-o", str(tmp_path / "o1"), "-q"])
    assert 1 == main(["batch", str(tmp_path / "bad.jsonl"), "-o", str(tmp_path / "o2"), "-q"])
    assert 2 == len((tmp_path / "o2").read_text(encoding="utf-8").splitlines())


# ---- 12. Ctrl-C with workers ---------------------------------------------------------------------

@pytest.mark.parametrize("workers", ["1", "2"])
def test_one_ctrl_c_stops_a_batch_with_workers(tmp_path, workers):
    """SIGINT to the process group (a terminal's Ctrl-C): exit 130, one line, no worker left, whole lines."""
    out = tmp_path / "out.jsonl"
    p = subprocess.Popen([sys.executable, "-m", "qnwmh_rules.cli", "batch", "-", "-o", str(out), "--workers", workers,
                          "--backend", "python", "-q"], stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True, cwd=ROOT)
    line = (json.dumps(GOOD) + "\n").encode()
    p.stdin.write(line * 3000)
    p.stdin.flush()
    deadline = time.monotonic() + 60
    while (not out.exists() or out.stat().st_size == 0) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert out.stat().st_size > 0, "the batch never produced output"
    os.killpg(p.pid, signal.SIGINT)
    try:
        _, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert (130, "qnwmh-rules: interrupted\n") == (p.returncode, err.decode())
    for _ in range(100):  # every process of the group (workers, the resource tracker) goes away
        try:
            os.killpg(p.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("processes of the batch outlived it")
    text = out.read_text(encoding="utf-8")
    assert text.endswith("\n") and all(json.loads(x)["verdict"] for x in text.splitlines())


# ---- 13. cases files ------------------------------------------------------------------------------

def test_a_non_utf8_cases_file_and_a_folder_named_like_one(tmp_path, capsys):
    """A GBK cases file is Q011 (exit 2, one line); a folder named x.cases.yaml is not a cases file."""
    (tmp_path / "x.cases.yaml").mkdir()
    assert [] == qnwmh_rules._cases.find_case_files(tmp_path)
    (tmp_path / "bad.cases.yaml").write_bytes("ruleset: 规则.yaml\n".encode("gbk"))
    assert 2 == main(["test", str(tmp_path)])
    err = capsys.readouterr().err
    assert "Q011" in err and "Traceback" not in err


# ---- 14. messages carry values cut short -------------------------------------------------------

def test_a_facts_error_never_carries_a_whole_long_value():
    """A list of a million items in a count field gives a short message, not its repr."""
    facts = good()
    facts["members"]["total"] = [0] * 1_000_000
    with pytest.raises(FactsError) as info:
        engine().evaluate(facts)
    assert len(str(info.value)) < 200
    facts["members"]["total"] = "9" * 10_000_000
    with pytest.raises(FactsError) as info:
        engine().evaluate(facts)
    assert len(str(info.value)) < 200


# ---- the invariant: records = verdict lines + error lines, in order, whatever the input ----------

def _jsonl_records_expected(data):
    n = 0
    for i, line in enumerate(io.BytesIO(data), 1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            n += 1
            continue
        if (text.removeprefix("\ufeff") if i == 1 else text).strip(" \t\r\n"):
            n += 1
    return n


@settings(max_examples=150, deadline=None)
@given(data=raw_bytes)
def test_any_bytes_as_json_lines_give_one_line_per_record(data):
    """Raw bytes as JSON Lines: one output line per non-blank input line, in order, no exception."""
    out = run_records(B.read_jsonl(io.BytesIO(data)))
    assert _jsonl_records_expected(data) == len(out)


@settings(max_examples=150, deadline=None)
@given(data=st.one_of(raw_bytes, csv_bytes()))
def test_any_bytes_as_csv_give_ordered_lines_and_no_exception(data):
    """Raw bytes as CSV, in UTF-8 and gb18030: each record one line, in order, nothing raised."""
    run_records(B.read_csv(io.BytesIO(data)))
    run_records(B.read_csv(io.BytesIO(data), encoding="gb18030"))


@settings(max_examples=150, deadline=None)
@given(data=plain_csv_bytes())
def test_csv_without_quotes_gives_one_line_per_row(data):
    """A CSV without quote characters: one output line per non-blank row after the header."""
    out = run_records(B.read_csv(io.BytesIO(data)))
    assert len([r for r in data.split(b"\n")[1:] if r]) == len(out)


@settings(max_examples=150, deadline=None)
@given(doc=st.one_of(json_values, st.dictionaries(st.sampled_from(["id", "members", "leader", "honors", "filings",
                                                                   "region", "reporting_line"]), json_values,
                                                  max_size=6).map(lambda d: {"id": "F", **d})))
def test_any_json_value_gives_a_verdict_or_a_facts_error(doc):
    """The API over arbitrary JSON values (and their text): a verdict or a FactsError, nothing else."""
    unit = qnwmh_rules.evaluate  # the shipped unit assessment, cached per (term, subject, backend)
    for given_doc, evaluate in ((doc, engine().evaluate), (_dumps_or_none(doc), engine().evaluate),
                                (doc, lambda d: unit(d, subject="unit", backend="python"))):
        if given_doc is None:
            continue
        try:
            verdict = evaluate(given_doc)
        except FactsError as exc:
            assert exc.field and len(str(exc)) <= 2_700
        else:
            json.dumps(verdict.to_dict(), ensure_ascii=False).encode("utf-8")


def _dumps_or_none(doc):
    try:
        return json.dumps(doc, ensure_ascii=True)
    except (ValueError, TypeError, RecursionError):  # too deep or too long for the encoder itself
        return None


@settings(max_examples=40, deadline=None)
@given(facts=collectives(), backend=st.sampled_from(BACKENDS_HERE))
def test_valid_collectives_read_the_same_as_dicts_as_text_and_as_a_batch_line(facts, backend):
    """The same facts give the same verdict whether passed as a dict, as JSON text or through batch."""
    try:
        expected = json.dumps(engine(backend).evaluate(facts).to_dict(), sort_keys=True)
    except FactsError as exc:
        expected = exc.field
    try:
        from_text = json.dumps(engine(backend).evaluate(json.dumps(facts)).to_dict(), sort_keys=True)
    except FactsError as exc:
        from_text = exc.field
    assert expected == from_text
    line = run_records(B.read_jsonl(io.BytesIO(json.dumps(facts).encode())), backend)[0]
    assert expected == (json.dumps(line["verdict"], sort_keys=True) if "verdict" in line else line["error"]["field"])


def test_what_if_on_facts_nested_too_deep_is_a_facts_error():
    """what_if copies the facts: a dict nested thousands deep is refused, not a RecursionError."""
    from qnwmh_rules._replay import what_if

    deep: list = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(FactsError):
        what_if(engine(), {"id": "A", "members": deep}, {"members.total": 3})
    with pytest.raises(FactsError):
        what_if(engine(), GOOD, {"members.total": deep})


@pytest.mark.parametrize("literal", ["20170930", "2017-W39-6", "2017-273", "2017-09", "1899-12-31"])
def test_a_ruleset_date_literal_follows_the_same_grammar(tmp_path, literal):
    """`date("...")` in a condition takes exactly YYYY-MM-DD in range, like the facts."""
    path = tmp_path / "r.yaml"
    path.write_text(HEAD + rule(f'leader.birth_date <= date("{literal}")'), encoding="utf-8")
    with pytest.raises(RulesetError) as info:
        qnwmh_rules.load_ruleset(path)
    assert "is not a date" in str(info.value)


def test_recorded_at_needs_an_offset_and_keeps_it(tmp_path, capsys):
    """`--recorded-at` is a timestamp of the same grammar, with its offset required."""
    db = str(tmp_path / "a.db")
    assert 2 == main(["evaluate", str(EXAMPLE), "--audit-db", db, "--recorded-at", "2017-10-02T09:00:00"])
    assert 2 == main(["evaluate", str(EXAMPLE), "--audit-db", db, "--recorded-at", "2017-10-02 09:00:00+08:00"])
    assert 0 == main(["evaluate", str(EXAMPLE), "--audit-db", db, "--recorded-at", "2017-10-02T09:00:00+08:00"])


def test_the_largest_facts_the_contract_allows_agree_on_both_backends():
    """1,000 filings and 1,000 honours with 1,000-character CJK units (durable's 16 MiB and 16-bit limits)."""
    facts = good()
    unit = "广" * MAX_TEXT
    facts["reporting_line"]["unit"] = unit
    item = copy.deepcopy(GOOD["filings"][0])
    item["channel"]["unit"] = unit
    facts["filings"] = [item] * 1_000
    facts["honors"] = GOOD["honors"] * 1_000
    assert _result(engine("python"), facts) == _result(engine(ENGINE_OF_RECORD), facts)
    assert "eligible" == _result(engine(ENGINE_OF_RECORD), facts)[0]


def test_a_write_that_fails_midway_leaves_only_whole_lines(tmp_path):
    """A full disk (here a file-size limit) stops the batch with one line; the output ends on a whole line."""
    import resource

    def limit():  # in the child: writes past 200 KB fail with EFBIG instead of killing it
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    src = tmp_path / "in.jsonl"
    src.write_text((json.dumps(GOOD) + "\n") * 300, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    p = subprocess.run([sys.executable, "-m", "qnwmh_rules.cli", "batch", str(src), "-o", str(out), "-q",
                        "--backend", "python"], capture_output=True, preexec_fn=limit, cwd=ROOT, timeout=120)
    assert 2 == p.returncode and 1 == len(p.stderr.decode().splitlines()), p.stderr
    text = out.read_text(encoding="utf-8")
    assert 0 < len(text) <= 200_000 and text.endswith("\n")
    assert all("verdict" in json.loads(x) for x in text.splitlines())


def test_many_unclosed_quotes_still_give_one_line_per_row():
    """Hundreds of rows each opening a quote: every row still gets its own line, in linear time."""
    rows = [f'R{i},"{i}' for i in range(400)]
    data = ("id,members.total\n" + "\n".join(rows) + "\n").encode()
    out = run_records(B.read_csv(io.BytesIO(data)))
    assert list(range(2, 402)) == [o["line"] for o in out]
    assert {"InvalidCSV"} == {o["error"]["type"] for o in out}
