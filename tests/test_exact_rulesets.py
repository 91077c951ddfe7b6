"""Rulesets mean exactly what their authors wrote, on both engines (issue 10)."""

import json
import operator
import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules import FactsError, RulesetError
from qnwmh_rules._explain import explain_text
from qnwmh_rules._whynot import why_not
from qnwmh_rules.cli import main

from .conftest import BACKENDS_HERE
from .strategies import member_counts, number_conditions
from .test_ruleset_errors import HEAD, rule

ROOT = Path(__file__).resolve().parent.parent / "rulesets"
BACKENDS = BACKENDS_HERE
EXAMPLE = json.loads((ROOT / "examples" / "collective-gd-0001.json").read_text(encoding="utf-8"))


def write(folder: Path, text: str, name: str = "r.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def refusal(path, backend="python"):
    """The RulesetError loading ``path`` raises (its code and position), or None if it loads."""
    try:
        qnwmh_rules.load_ruleset(path, backend=backend)
    except RulesetError as exc:
        return exc
    return None


def outcomes(path, facts, rule_id="basic.x"):
    """The rule's outcome on each backend."""
    return [qnwmh_rules.load_ruleset(path, backend=b).evaluate(facts).rule(rule_id).outcome for b in BACKENDS]


def members(**counts):
    return {"id": "x", "members": counts}


# ---- 1. decimal shares are exact -------------------------------------------------------------------

def shipped_national_with(tmp_path, share):
    text = (ROOT / "2017-2018" / "national.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(youth_share_min:\n\s+value: )[0-9.]+", rf"\g<1>{share}", text)
    assert f"value: {share}" in text
    return write(tmp_path / "2017-2018", text, "national.yaml")


def test_exactly_55_of_100_meets_a_055_share_on_both_backends(tmp_path):
    """The issue's example: 55 of 100 members against youth_share_min 0.55 passes on both engines."""
    path = shipped_national_with(tmp_path, "0.55")
    facts = dict(EXAMPLE, members={"total": 100, "aged_35_or_under": 55, "chinese_nationals": 100})
    assert ["passed"] * len(BACKENDS) == outcomes(path, facts, "basic.youth_share")


def test_the_explanation_and_why_not_use_the_exact_share(tmp_path):
    """The explanation reads 55 % against 55 %; why-not asks for exactly 55 young members, not 56."""
    path = shipped_national_with(tmp_path, "0.55")
    engine = qnwmh_rules.load_ruleset(path, backend="python")
    ok = dict(EXAMPLE, members={"total": 100, "aged_35_or_under": 55, "chinese_nationals": 100})
    text = explain_text(engine.evaluate(ok), lang="en")
    assert "55 of 100 members (55%) are aged 35 or under, not below 55%" in text
    short = dict(EXAMPLE, members={"total": 100, "aged_35_or_under": 54, "chinese_nationals": 100})
    assert "54 of 100 members (54%) are aged 35 or under, below 55%" in \
        explain_text(engine.evaluate(short), lang="en")
    first = why_not(engine, short).to_dict()["fixes"][0]["options"][0][0]
    assert {"members.aged_35_or_under": 55} == first["patch"]


@pytest.mark.parametrize("share", ["0.07", "0.14", "0.28", "0.34", "0.56", "0.68", "0.29", "0.35", "0.57",
                                   "0.58", "0.70", "0.82"])
def test_every_share_the_issue_names_is_exact_at_every_total_up_to_200(tmp_path, share):
    """For each total up to 200 the rule passes exactly when aged * 100 >= total * share * 100."""
    for op, py in ((">=", operator.ge), (">", operator.gt)):
        path = write(tmp_path / op.replace(">", "gt").replace("=", "e"),
                     HEAD + rule(f"members.aged_35_or_under {op} members.total * {share}"))
        engines = [qnwmh_rules.load_ruleset(path, backend=b) for b in BACKENDS]
        for total in range(1, 201):
            aged = int(total * Fraction(share))  # the boundary: exactly at or just below the share
            for n in (aged, aged + 1):
                want = "passed" if py(Fraction(n), total * Fraction(share)) else "failed"
                got = [e.evaluate(members(total=total, aged_35_or_under=n)).rule("basic.x").outcome
                       for e in engines]
                assert [want] * len(BACKENDS) == got, (share, op, total, n)


# ---- 2. division is exact --------------------------------------------------------------------------

def test_division_is_exact_on_both_backends(tmp_path):
    """`aged >= total / 2` with 3 of 7: 3 < 3.5, failed on both (durable used to say 7 / 2 = 3)."""
    path = write(tmp_path, HEAD + rule("members.aged_35_or_under >= members.total / 2"))
    assert ["failed"] * len(BACKENDS) == outcomes(path, members(total=7, aged_35_or_under=3))
    assert ["passed"] * len(BACKENDS) == outcomes(path, members(total=7, aged_35_or_under=4))


def test_a_product_of_two_facts_is_refused(tmp_path):
    """The engine cannot compute a product of facts exactly in range: Q301 at the condition."""
    path = write(tmp_path, HEAD + rule("members.aged_35_or_under >= members.total * members.chinese_nationals"))
    exc = refusal(path)
    assert ("Q301", 15, 11) == (exc.code, exc.line, exc.col)


# ---- 3. integer range ----------------------------------------------------------------------------

@pytest.mark.parametrize("value,code", [("10000000000", "Q305"), ("4611686018427387904", "Q161")])
def test_large_parameters_are_refused_at_load_on_both_backends(tmp_path, value, code):
    """10,000,000,000 × a count could leave ±2**53 (Q305); 2**62 has more than 15 digits (Q161)."""
    text = HEAD.replace("  min: {value: 6}\n", f"  min: {{value: 6}}\n  big: {{value: {value}}}\n")
    path = write(tmp_path, text + rule("members.aged_35_or_under <= members.total * params.big"))
    assert [code] * len(BACKENDS) == [refusal(path, b).code for b in BACKENDS]


# ---- 4. non-finite and denormal numbers ------------------------------------------------------------

@pytest.mark.parametrize("value,code", [(".nan", "Q161"), (".inf", "Q161"), ("-.inf", "Q161"),
                                        ("1.0e-320", "Q160"), (".NaN", "Q161")])
def test_non_finite_and_denormal_numbers_are_refused_at_load(tmp_path, value, code):
    """They used to pass check and then break durable (and put NaN into the verdict JSON)."""
    path = write(tmp_path, HEAD.replace("  min: {value: 6}", f"  min: {{value: {value}}}")
                 + rule("members.total >= params.min"))
    exc = refusal(path)
    assert (code, 8, 16) == (exc.code, exc.line, exc.col)


def test_a_tiny_decimal_threshold_is_exact(tmp_path):
    """`total >= 0.000…1` (320 zeros) is `total >= 1` for whole counts, on both backends."""
    tiny = "0." + "0" * 14 + "1"
    path = write(tmp_path, HEAD.replace("  min: {value: 6}", f"  min: {{value: {tiny}}}")
                 + rule("members.total >= params.min"))
    assert ["failed"] * len(BACKENDS) == outcomes(path, members(total=0))
    assert ["passed"] * len(BACKENDS) == outcomes(path, members(total=1))


# ---- 5. every plain scalar means what its author typed ---------------------------------------------

NOTATIONS = [
    # (value as written, Q-code or the value read)
    ("6", 6), ("+6", 6), ("-3", -3), ("0.55", "0.55"), ("1.10", "1.10"),
    ("017", "Q160"), ("0o17", "Q160"), ("0x1F", "Q160"), ("0b101", "Q160"), ("1_000", "Q160"), ("1:30", "Q160"),
    ("190:20:30.15", "Q160"), ("1e3", "Q160"), ("1.0e+3", "Q160"), (".5", "Q160"), ("1.", "Q160"),
    ("1_000.5", "Q160"), (".nan", "Q161"), (".inf", "Q161"), ("1234567890123456", "Q161"),
    ("0.1234567890123456", "Q161"),
    ("true", True), ("False", False), ("yes", "Q160"), ("No", "Q160"), ("on", "Q160"), ("OFF", "Q160"),
    ("null", None), ("~", "Q160"), ("2017-09-30", "2017-09-30"), ("2017-9-30", "Q160"), ("=", "Q160"),
    ("'no'", "no"), ("'1.10'", "1.10"),
]


@pytest.mark.parametrize("written,expected", NOTATIONS, ids=[n[0] for n in NOTATIONS])
def test_each_yaml_11_notation_is_read_as_typed_or_refused(written, expected):
    """Numbers, booleans, nulls and dates in every YAML 1.1 notation: the typed value, or a Q-code."""
    from qnwmh_rules._loader import load_text

    loaded = load_text(f"a: {written}\n", "x.yaml")
    if isinstance(expected, str) and re.fullmatch(r"Q\d{3}", expected):
        assert [(expected, 1, 4)] == [(e.code, e.line, e.col) for e in loaded.errors]
        assert "quotes" in str(loaded.errors[0]) or expected == "Q161"
    else:
        value = loaded.data["a"]
        shown = value.isoformat() if hasattr(value, "isoformat") else str(value) if not isinstance(
            value, (bool, int, type(None))) else value
        assert (expected, []) == (shown, list(loaded.errors))


def test_version_1_10_does_not_collide_with_1_1(tmp_path):
    """`version: 1.10` is version "1.10", not the number 1.1."""
    path = write(tmp_path, HEAD.replace("version: 1.0.0", "version: 1.10") + rule("members.total >= 6"))
    assert "1.10" == qnwmh_rules.load_ruleset(path, backend="python").ruleset.version


# ---- 6. time zones -------------------------------------------------------------------------------

@pytest.mark.parametrize("zone", ["CST", "UTC+8", "+08:00", "PRC", "EST", "Etc/GMT-8", "US/Central", "Asia/Beijing",
                                  "GMT+8"])
def test_time_zones_are_iana_place_names_only(tmp_path, zone, monkeypatch):
    """Abbreviations, offsets and legacy aliases are refused, whatever the host's local zone is."""
    monkeypatch.setenv("TZ", "America/Chicago")
    path = write(tmp_path, HEAD.replace("title:", f"time_zone: '{zone}'\ntitle:", 1) + rule("members.total >= 6"))
    exc = refusal(path)
    assert ("Q106", 4, 12) == (exc.code, exc.line, exc.col)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/Chicago", "UTC", "Asia/Urumqi"])
def test_iana_place_names_are_accepted(tmp_path, zone):
    path = write(tmp_path, HEAD.replace("title:", f"time_zone: {zone}\ntitle:", 1) + rule("members.total >= 6"))
    assert refusal(path) is None


# ---- 7. the ends of the calendar -------------------------------------------------------------------

END = HEAD.replace("  min: {value: 6}\n", "  min: {value: 6}\n  open_end: {value: 9999-12-31}\n"
                   "  first: {value: 0001-01-01}\n  w: {value: {start: 0001-01-01, end: 9999-12-31, "
                   "start_inclusive: true, end_inclusive: true}}\n")


def test_dates_at_the_ends_of_the_calendar_work_on_both_backends(tmp_path):
    """9999-12-31 (an open-ended deadline) and 0001-01-01 compile, evaluate and explain without overflow."""
    path = write(tmp_path, END + rule("any(f in filings, f.submitted_at <= params.open_end and "
                                      "f.submitted_at > params.first and f.submitted_at in params.w)")
                 + rule("leader.birth_date < params.first", id="basic.y"))
    facts = {"id": "x", "leader": {"birth_date": "1990-01-01"},
             "filings": [{"channel": {"kind": "industry", "unit": "u"}, "submitted_at": "2017-06-01T10:00:00+08:00",
                          "review": {"status": "approved", "at": "2017-06-02T10:00:00+08:00"}}]}
    assert [["passed", "failed"]] * len(BACKENDS) == [[r.outcome for r in qnwmh_rules.load_ruleset(path, backend=b)
                                           .evaluate(facts).rules] for b in BACKENDS]
    result = why_not(qnwmh_rules.load_ruleset(path, backend="python"), facts)
    assert ["basic.y"] == [f["rule_id"] for f in result.to_dict()["fixes"]]
    assert 0 == main(["check", str(path)])


def test_a_window_that_holds_no_day_is_refused(tmp_path):
    """[9999-12-31, 9999-12-31) holds no day (and has no day after its start): Q107."""
    text = HEAD.replace("  min: {value: 6}\n", "  min: {value: 6}\n  w: {value: {start: 9999-12-31, "
                        "end: 9999-12-31, start_inclusive: false, end_inclusive: true}}\n")
    exc = refusal(write(tmp_path, text + rule("members.total >= 6")))
    assert "Q107" == exc.code


# ---- 8. what check accepts, both engines run -------------------------------------------------------

@pytest.mark.parametrize("when", [
    " and ".join(f"members.total >= {i}" for i in range(129)),
    " or ".join(f"members.total == {i}" for i in range(70)),
], ids=["129 comparisons in one and", "70 alternatives"])
def test_engine_limits_are_ruleset_errors_on_both_backends_and_in_check(tmp_path, when, capsys):
    """What durable_rules refuses (or fails on at the first case) is Q306 at the rule's condition."""
    path = write(tmp_path, HEAD + rule(when))
    assert [("Q306", 15, 11)] * len(BACKENDS) == [(e.code, e.line, e.col) for e in (refusal(path, b) for b in BACKENDS)]
    assert 2 == main(["check", str(path)])
    assert f"{path}:15:11: Q306" in capsys.readouterr().out


def test_many_rules_over_one_fact_are_refused_before_the_engine_fails(tmp_path):
    """64 rules `total >= i` made every durable assert fail (error 303): refused at load instead."""
    path = write(tmp_path, HEAD + "".join(rule(f"members.total >= {i}", id=f"basic.r{i}") for i in range(64)))
    assert ["Q306"] * len(BACKENDS) == [refusal(path, b).code for b in BACKENDS]


def test_check_reports_every_file_even_when_one_is_broken(tmp_path, capsys):
    """`check A B C`: a broken file in the middle does not stop the others from being reported."""
    a = write(tmp_path, HEAD.replace("  min: {value: 6}", "  min: {value: .nan}") + rule("members.total >= 6"),
              "a.yaml")
    b = write(tmp_path, HEAD + rule(" and ".join(f"members.total >= {i}" for i in range(129))), "b.yaml")
    c = write(tmp_path, HEAD + rule("members.totl >= 6"), "c.yaml")
    assert 2 == main(["check", str(a), str(b), str(c)])
    out, err = capsys.readouterr()
    shown = [" ".join(line.split(" ", 2)[:2]) for line in out.splitlines()]
    assert {f"{a}:8:16: Q161", f"{b}:15:11: Q306", f"{c}:15:11: Q201"} <= set(shown)
    assert f"checked 3 ruleset file(s): {len(shown)} problem(s)" in err


# ---- 9. the differential property: engine == reference == exact arithmetic -------------------------

def exact(condition: str, values: dict, k: str):
    """The condition's truth in exact rational arithmetic, None when a fact it reads is missing."""
    names = re.findall(r"members\.\w+", condition)
    if any(n.split(".")[1] not in values for n in names):
        return None
    expr = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])", r"F('\1')", condition)  # before params.k: exact too
    expr = expr.replace("params.k", f"F('{k}')")
    expr = re.sub(r"members\.(\w+)", lambda m: f"F({values[m.group(1)]})", expr)
    return bool(eval(expr, {"F": Fraction}))  # noqa: S307 - a test oracle over text built just above


_LOADED: dict[tuple[str, str], tuple] = {}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cond=number_conditions(), counts=st.lists(member_counts(), min_size=1, max_size=4))
def test_engine_agrees_with_reference_and_exact_arithmetic(tmp_path_factory, cond, counts):
    """Division, decimals with several digits and large values: both engines give the exact answer,
    or both refuse the ruleset with the same error."""
    when, k = cond
    if cond not in _LOADED:
        folder = tmp_path_factory.mktemp("prop")
        path = write(folder, HEAD.replace("  min: {value: 6}", f"  min: {{value: 6}}\n  k: {{value: {k}}}")
                     + rule(when))
        errors = [refusal(path, b) for b in BACKENDS]
        if errors[0] is not None:
            assert [(errors[0].code, errors[0].line)] * len(BACKENDS) == [(e.code, e.line) for e in errors]
            assert errors[0].code in ("Q301", "Q305", "Q208"), str(errors[0])
            _LOADED[cond] = ()
        else:
            _LOADED[cond] = tuple(qnwmh_rules.load_ruleset(path, backend=b) for b in BACKENDS)
    engines = _LOADED[cond]
    for c in counts:
        if not engines:
            break
        truth = exact(when, c, k)
        want = {None: "undetermined", True: "passed", False: "failed"}[truth]
        got = [e.evaluate(members(**c)).rule("basic.x").outcome for e in engines]
        assert [want] * len(BACKENDS) == got, (when, k, c)


# ---- 10. YAML aliases ----------------------------------------------------------------------------

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(  # 9**9 values once expanded
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True))


@pytest.mark.parametrize("text,line", [(BOMB, 1), ("a: &a [1, *a]\n", 1), ("a: &a {b: {c: *a}}\n", 1)],
                         ids=["alias bomb", "self-referencing list", "self-referencing mapping"])
def test_alias_bombs_and_self_references_are_refused(tmp_path, text, line):
    """A few hundred bytes of nested aliases, or an alias inside itself: Q163, not 3 GB or a RecursionError."""
    exc = refusal(write(tmp_path, text))
    assert ("Q163", line) == (exc.code, exc.line)


def test_aliases_that_repeat_a_finished_value_still_work():
    """The shipped unit assessment shares citations with &five / *five."""
    assert qnwmh_rules.load_ruleset(term="2017-2018", subject="unit", backend="python").ruleset.rules


# ---- 11. compiling is linear ---------------------------------------------------------------------

def test_a_large_condition_compiles_in_linear_work(tmp_path, monkeypatch):
    """64 fact terms on the right (24 used to take ~30 s): the compiler visits each node a bounded number
    of times, so the work grows linearly (counted, not timed)."""
    from qnwmh_rules import _compile

    calls = {"n": 0}
    real = _compile._linear

    def counting(node):
        calls["n"] += 1
        return real(node)

    monkeypatch.setattr(_compile, "_linear", counting)
    for n in (8, 16, 32, 64):
        calls["n"] = 0
        when = "members.aged_35_or_under >= " + " + ".join(["members.total"] * n)
        engine = qnwmh_rules.load_ruleset(write(tmp_path / str(n), HEAD + rule(when)), backend="python")
        assert "passed" == engine.evaluate(members(total=0, aged_35_or_under=0)).rule("basic.x").outcome
        assert calls["n"] <= 2 * (2 * n - 1) * 2  # each node of the rule and of its negation, at most twice


# ---- 12. deep nesting ----------------------------------------------------------------------------

@pytest.mark.parametrize("when", [
    "(" * 141 + "members.total >= 6" + ")" * 141,
    "not " * 981 + "members.total >= 6",
    "members.total >= " + " + ".join(["1"] * 988),
    "members.total in " + "[" * 40 + "6" + "]" * 40,
], ids=["141 parentheses", "981 not", "a sum of 988 constants", "40 nested lists"])
def test_deep_conditions_are_clean_ruleset_errors(tmp_path, when):
    """Q164 at the spot where the limit is passed, never a RecursionError."""
    exc = refusal(write(tmp_path, HEAD + rule(when)))
    assert ("Q164", 15) == (exc.code, exc.line)


def test_yaml_nested_5000_deep_is_a_clean_ruleset_error(tmp_path):
    exc = refusal(write(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n"))
    assert ("Q164", 1) == (exc.code, exc.line)


# ---- 13. nothing outside the rulesets --------------------------------------------------------------

def overlay(target: str) -> str:
    return HEAD.replace("version: 1.0.0\n", f"version: 1.0.0\ninherits: '{target}'\n") + rule("members.total >= 6")


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../../../etc/passwd", "/dev/urandom", "/dev/zero",
                                    "~/x.yaml", "../../outside.yaml", "national.json"])
def test_inherits_stays_inside_the_rulesets_tree(tmp_path, target):
    """Absolute paths, `..` out of the tree and non-.yaml names: Q165, nothing read, nothing quoted."""
    write(tmp_path, HEAD + rule("members.total >= 6"), "outside.yaml")
    exc = refusal(write(tmp_path / "tree" / "2017-2018", overlay(target)))
    assert ("Q165", 4) == (exc.code, exc.line)
    assert "root:" not in str(exc)


def test_inherits_through_a_symbolic_link_is_refused(tmp_path):
    """A link inside the tree may point anywhere (here at /etc/passwd): Q165."""
    folder = tmp_path / "2017-2018"
    folder.mkdir()
    os.symlink("/etc/passwd", folder / "national.yaml")
    exc = refusal(write(folder, overlay("national.yaml"), "guangdong.yaml"))
    assert ("Q165", 4) == (exc.code, exc.line)


def test_a_fifo_or_a_device_is_never_read(tmp_path):
    """A FIFO named like a ruleset would block a reader forever: refused before opening (inherited or named)."""
    folder = tmp_path / "2017-2018"
    folder.mkdir()
    os.mkfifo(folder / "national.yaml")
    exc = refusal(write(folder, overlay("national.yaml"), "guangdong.yaml"))
    assert "Q165" == exc.code
    assert "Q165" == refusal(folder / "national.yaml").code
    assert "Q165" == refusal("/dev/zero").code


def test_an_oversized_file_is_refused_without_reading_it(tmp_path):
    big = write(tmp_path, "# " + "x" * 2_000_000 + "\n", "big.yaml")
    assert "Q165" == refusal(big).code


def test_a_file_that_is_not_a_ruleset_is_never_quoted(tmp_path):
    """Loading a non-ruleset text file says so without printing its content."""
    path = write(tmp_path, "root:x:0:0:root:/root:/bin/bash\nsecret line\n", "passwd.yaml")
    exc = refusal(path)
    assert "Q101" == exc.code and "secret" not in str(exc) and "root:x" not in str(exc)


@pytest.mark.parametrize("key,target", [("ruleset", "/etc/passwd"), ("ruleset", "../../x.yaml"),
                                        ("base", "/etc/passwd"), ("base", "/dev/urandom")])
def test_a_cases_file_names_files_of_its_own_tree_only(tmp_path, key, target):
    """A cases file's `ruleset:` and `base:` are confined like `inherits:` (Q165 at the key's value)."""
    from qnwmh_rules._cases import read_cases

    write(tmp_path, HEAD + rule("members.total >= 6"), "r.yaml")
    values = {"ruleset": "r.yaml", "base": None, key: target}
    text = "".join(f"{k}: '{v}'\n" for k, v in values.items() if v) + \
        "cases:\n  - name: a\n    facts: {id: x}\n    expect: {outcome: undetermined}\n"
    with pytest.raises(RulesetError) as info:
        read_cases(write(tmp_path, text, "r.cases.yaml"))
    assert ("Q165", list(values).index(key) + 1) == (info.value.code, info.value.line)
    assert "root:" not in str(info.value)


# ---- 14. replay validates the stamp ----------------------------------------------------------------

@pytest.mark.parametrize("field,value", [("term", "../../../../../tmp"), ("term", "2017-2018/../2011-2012"),
                                         ("engine", "os.system")])
def test_replay_never_builds_a_path_from_the_stamp(tmp_path, field, value, capsys):
    """A stamp naming no shipped term is a FactsError (exit 2), before any file is touched."""
    from qnwmh_rules._replay import replay

    doc = qnwmh_rules.evaluate(EXAMPLE, backend="python").to_dict()
    doc["stamp"][field] = value
    with pytest.raises(FactsError) as info:
        replay(doc, EXAMPLE)
    assert f"stamp.{field}" == info.value.field
    v, f = write(tmp_path, json.dumps(doc), "v.json"), write(tmp_path, json.dumps(EXAMPLE), "f.json")
    assert 2 == main(["replay", str(v), "--facts", str(f)])


def test_replay_with_an_unknown_ruleset_id_is_refused_never_a_path():
    """An id with no shipped ruleset of its own (a path among them) is refused, naming the stamp's field;
    it is never joined into a path, nor replaced by another shipped ruleset."""
    from qnwmh_rules._replay import replay

    doc = qnwmh_rules.evaluate(EXAMPLE, backend="python").to_dict()
    doc["stamp"]["ruleset_id"] = "../../../etc/passwd"
    with pytest.raises(FactsError) as caught:
        replay(doc, EXAMPLE)
    assert "stamp.ruleset_id" == caught.value.field


def test_no_traceback_reaches_the_cli_for_any_of_these(tmp_path):
    """`check` on a deep, aliased, non-finite or escaping file prints path:line:col lines only."""
    files = [write(tmp_path, HEAD + rule("not " * 981 + "members.total >= 6"), "deep.yaml"),
             write(tmp_path, BOMB, "bomb.yaml"), write(tmp_path / "t", overlay("/etc/passwd"), "esc.yaml")]
    run = subprocess.run([sys.executable, "-m", "qnwmh_rules.cli", "check", *map(str, files)],
                         capture_output=True, text=True, timeout=120)
    assert (2, "") == (run.returncode, "Traceback" if "Traceback" in run.stderr + run.stdout else "")
    assert 3 == len(run.stdout.splitlines())


def test_the_docs_state_the_limits():
    """docs/ruleset-format.md states the number, scalar, time-zone, limit and path rules."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "ruleset-format.md").read_text(encoding="utf-8")
    for words in ("2**53", "IANA", "YAML 1.1", "MAX_NESTING", "1 MiB", "Q165", "Q306"):
        assert words in text, words


def test_a_yaml_file_that_is_not_a_ruleset_is_never_quoted(tmp_path):
    """A mapping without any ruleset key (say, a configuration file) is named as not a ruleset, no keys shown."""
    path = write(tmp_path, "DB_PASSWORD: hunter2\nNAME: x\n", "config.yaml")
    exc = refusal(path)
    assert ("Q101", [exc]) == (exc.code, list(exc.errors))
    assert "hunter2" not in str(exc) and "DB_PASSWORD" not in str(exc)


def test_batch_with_an_open_ended_deadline_gives_verdicts(tmp_path, capsys):
    """`batch` over a ruleset with 9999-12-31 runs (it used to end in an OverflowError traceback)."""
    path = write(tmp_path, END + rule("any(f in filings, f.submitted_at <= params.open_end)"))
    facts = {"id": "x", "filings": [{"channel": {"kind": "industry", "unit": "u"},
                                     "submitted_at": "2017-06-01T10:00:00+08:00", "review": {"status": "pending"}}]}
    records = write(tmp_path, json.dumps(facts) + "\n", "in.jsonl")
    out = tmp_path / "out.jsonl"
    assert 0 == main(["batch", str(records), "-o", str(out), "--ruleset", str(path)])
    assert "eligible" == json.loads(out.read_text(encoding="utf-8").splitlines()[0])["verdict"]["outcome"]
