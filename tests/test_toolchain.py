"""Policy staff toolchain: check, test, diff, release and the immutability of released versions."""

import json
import shutil
from pathlib import Path

import pytest

import qnwmh_rules
from qnwmh_rules import RulesetError
from qnwmh_rules.cli import main

from .shipped import shipped

ROOT = Path(__file__).resolve().parent.parent / "rulesets"

BROKEN = """\
ruleset: broken
term: 2017-2018
version: 1.0.0
title: {zh: 坏, en: broken}
sources:
  - {id: N, title: {zh: 通知, en: notice}}
parameters:
  min: {value: 6, sorce: N}
rules:
  - id: basic.a
    title: {zh: 甲, en: a}
    severity: mandatory
    citation: {source: N, clause: '1', text: t}
    when: members.totl >= params.min
  - id: basic.b
    title: {zh: 乙, en: b}
    severity: required
    citation: {source: X, clause: '1', text: t}
    when: leader.birth_date >= 6
"""


def test_check_reports_every_problem_with_its_position(tmp_path, capsys):
    """`check` lists each mistake of a file as path:line:col: CODE, in file order, and exits 2."""
    f = tmp_path / "r.yaml"
    f.write_text(BROKEN, encoding="utf-8")
    assert 2 == main(["check", str(f)])
    lines = capsys.readouterr().out.splitlines()
    assert [f"{f}:8:19: Q102", f"{f}:12:15: Q119", f"{f}:14:11: Q201", f"{f}:18:24: Q108", f"{f}:19:11: Q202"] \
        == [" ".join(line.split(" ")[:2]) for line in lines]
    assert "did you mean 'members.total'?" in next(line for line in lines if " Q201 " in line)


def test_the_api_raises_the_same_problems(tmp_path):
    """Loading from the API raises the first problem, carrying all of them."""
    f = tmp_path / "r.yaml"
    f.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(RulesetError) as info:
        qnwmh_rules.load_ruleset(f)
    assert ("Q102", 5) == (info.value.code, len(info.value.errors))


def test_check_passes_the_shipped_rulesets(capsys):
    """The shipped rulesets are clean."""
    assert 0 == main(["check", str(ROOT)])
    assert "no problems" in capsys.readouterr().err


def test_test_command_runs_cases_and_reports_coverage(capsys):
    """`test` runs every shipped case and shows full pass/fail coverage."""
    assert 0 == main(["test", str(ROOT), "--min-coverage", "100"])
    out = capsys.readouterr().out
    assert "0 failed" in out and "pass/fail coverage: 100.0%" in out


def test_test_command_fails_below_min_coverage(tmp_path, capsys):
    """A cases file that never makes a rule fail is below a 100 % bar."""
    # a cases file names files of its own rulesets tree only: copy them beside it
    for src in (ROOT / "2017-2018" / "national.yaml", ROOT / "examples" / "collective-gd-0001.json"):
        (tmp_path / src.name).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "few.cases.yaml").write_text(
        "ruleset: national.yaml\nbase: collective-gd-0001.json\n"
        "cases:\n  - name: the example is eligible\n    expect: {outcome: eligible}\n", encoding="utf-8")
    assert 1 == main(["test", str(tmp_path), "--min-coverage", "60"])
    assert "1 passed, 0 failed" in capsys.readouterr().out


def test_diff_between_terms_shows_the_real_changes(capsys):
    """`diff 2011-2012 2017-2018` lists added and removed rules and changed thresholds, old → new."""
    assert 0 == main(["diff", "2011-2012", "2017-2018"])
    out = capsys.readouterr().out
    assert "  + basic.chinese_share" in out and "  - filing.completed" in out
    assert "      params.members_min: 10 → 6" in out
    assert "      params.youth_share_min: 0.6 → 0.5" in out
    assert "      params.leader_age_max: 35 → 40" in out


def test_diff_with_cases_lists_flipped_verdicts_and_why(tmp_path, capsys):
    """`--cases` re-evaluates collectives under both rulesets and names the rules that flipped them."""
    facts = json.loads((ROOT / "examples" / "collective-gd-0001.json").read_text(encoding="utf-8"))
    late = dict(facts, id="LATE", filings=[dict(facts["filings"][0], submitted_at="2017-09-20T10:00:00+08:00",
                                                review={"status": "approved", "at": "2017-09-21T10:00:00+08:00"})])
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in (facts, late)),
                                      encoding="utf-8")
    assert 0 == main(["diff", "2017-2018", "2017-2018:guangdong", "--cases", str(tmp_path / "c.jsonl"), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert (2, [{"id": "LATE", "old": "eligible", "new": "ineligible",
                 "rules": [["guangdong.filing_deadline", "-", "failed"]]}]) == (doc["evaluated"], doc["flips"])


def test_released_versions_are_immutable(tmp_path, capsys):
    """After `release`, editing the ruleset without a new version is refused by check and by the API."""
    shutil.copy(ROOT / "2017-2018" / "national.yaml", tmp_path / "national.yaml")
    assert 0 == main(["release", str(tmp_path / "national.yaml")])
    assert "released: 2017-2018/national@2.0.2" in capsys.readouterr().out
    lock = json.loads((tmp_path / "releases.lock").read_text(encoding="utf-8"))
    assert ["2017-2018/national@2.0.2"] == list(lock["releases"])
    text = (tmp_path / "national.yaml").read_text(encoding="utf-8")
    (tmp_path / "national.yaml").write_text(text.replace("value: 6\n", "value: 7\n", 1), encoding="utf-8")
    assert 2 == main(["check", str(tmp_path / "national.yaml")])
    out = capsys.readouterr().out
    assert f"{tmp_path / 'national.yaml'}:6:10: Q130 version 2.0.2 of 2017-2018/national was released" in out
    (tmp_path / "national.yaml").write_text(text.replace("version: 2.0.2", "version: 2.1.0")
                                            .replace("value: 6\n", "value: 7\n", 1), encoding="utf-8")
    assert 0 == main(["check", str(tmp_path / "national.yaml")])


def test_comments_do_not_change_a_released_version(tmp_path):
    """The lock covers meaning, not bytes: a new comment keeps the released hash."""
    shutil.copy(ROOT / "2017-2018" / "national.yaml", tmp_path / "national.yaml")
    assert 0 == main(["release", str(tmp_path / "national.yaml")])
    p = tmp_path / "national.yaml"
    p.write_text("# a note from policy staff\n" + p.read_text(encoding="utf-8"), encoding="utf-8")
    qnwmh_rules.load_ruleset(p)


def test_the_shipped_releases_are_locked():
    """Every shipped ruleset version is recorded in rulesets/releases.lock with its current hash."""
    lock = json.loads((ROOT / "releases.lock").read_text(encoding="utf-8"))["releases"]
    for path in shipped("ruleset", pattern="*/*.yaml"):
        rs = qnwmh_rules.load_ruleset(path).ruleset
        assert rs.sha256 == lock[f"{rs.term}/{rs.id}@{rs.version}"], path


def test_a_new_term_can_inherit_from_an_earlier_one(tmp_path):
    """A later term builds on an earlier one, overriding a parameter; the layers say which term decided."""
    shutil.copy(ROOT / "2017-2018" / "national.yaml", tmp_path / "base.yaml")
    (tmp_path / "next.yaml").write_text(
        "ruleset: national\ninherits: base.yaml\nterm: 2019-2020\nversion: 0.1.0\n"
        "title: {zh: 2019—2020年度, en: 2019—2020}\nparameters:\n  members_max: {value: 250}\n", encoding="utf-8")
    engine = qnwmh_rules.load_ruleset(tmp_path / "next.yaml")
    assert ("2017-2018/national@2.0.2", "2019-2020/national@0.1.0") == engine.ruleset.layers
    assert "2019-2020/national@0.1.0" == engine.ruleset.parameter("members_max").layer
    (tmp_path / "back.yaml").write_text(
        "ruleset: old\ninherits: next.yaml\nterm: 2015-2016\nversion: 0.1.0\ntitle: {zh: 旧, en: old}\n",
        encoding="utf-8")
    with pytest.raises(RulesetError, match="Q111"):
        qnwmh_rules.load_ruleset(tmp_path / "back.yaml")


def test_docs_command_writes_a_publishable_page(tmp_path):
    """`docs` renders a shipped ruleset to Markdown with every rule, citation and parameter (in zh by its
    labelled rule number and its name in words; in en by its ids)."""
    out, en = tmp_path / "page.md", tmp_path / "page.en.md"
    assert (0, 0) == (main(["docs", "2017-2018:guangdong", "--lang", "zh", "-o", str(out)]),
                      main(["docs", "2017-2018:guangdong", "--lang", "en", "-o", str(en)]))
    page, technical = out.read_text(encoding="utf-8"), en.read_text(encoding="utf-8")
    assert "- **规则编号：**guangdong.filing_deadline" in page and "于9月7日前" in page and "| 本届网络报备期 |" in page
    assert "### guangdong.filing_deadline — " in technical and "`filing_window`" in technical


def test_filing_windows_are_first_class():
    """A term's window has its boundaries, zone and the position and days left of a moment."""
    w = qnwmh_rules.filing_window("2017-2018")
    assert (w.opens, w.closes, w.time_zone) == (__import__("datetime").date(2015, 10, 1),
                                                __import__("datetime").date(2017, 9, 30), "Asia/Shanghai")
    assert ("before", "open", "open", "closed") == tuple(w.position(m) for m in (
        "2015-09-30T23:59:59+08:00", "2015-10-01", "2017-09-30T23:59:59+08:00", "2017-09-30T16:00:00Z"))
    assert 10 == w.days_left("2017-09-20")
    gd = qnwmh_rules.filing_window("2017-2018", "guangdong")
    assert (__import__("datetime").date(2017, 9, 7), "closed") == (gd.closes, gd.position("2017-09-08"))
    old = qnwmh_rules.filing_window("2011-2012")
    assert (None, __import__("datetime").date(2012, 2, 29)) == (old.opens, old.closes)


def test_release_refuses_placeholders_and_failing_cases(tmp_path, capsys):
    """`release` stops when a parameter is a placeholder or a golden case beside the ruleset fails."""
    text = (ROOT / "2017-2018" / "national.yaml").read_text(encoding="utf-8")
    (tmp_path / "national.yaml").write_text(text.replace("    description:\n      zh: 集体成员人数下限",
                                                         "    placeholder: true\n    description:\n"
                                                         "      zh: 集体成员人数下限", 1), encoding="utf-8")
    assert 1 == main(["release", str(tmp_path / "national.yaml")])
    assert "placeholder: members_min" in capsys.readouterr().err
    (tmp_path / "national.yaml").write_text(text.replace("value: 6\n", "value: 7\n", 1), encoding="utf-8")
    cases = (ROOT / "2017-2018" / "national.cases.yaml").read_text(encoding="utf-8")
    (tmp_path / "examples").mkdir()
    for src in (ROOT / "examples").glob("*.json"):
        (tmp_path / "examples" / src.name).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "national.cases.yaml").write_text(cases.replace("base: ../examples/", "base: examples/"),
                                                  encoding="utf-8")
    assert 1 == main(["release", str(tmp_path / "national.yaml")])
    assert "six members is the smallest allowed size" in capsys.readouterr().err
    assert not (tmp_path / "releases.lock").exists()


def test_pending_reason_after_the_window_names_the_condition(good_facts):
    """Once no window is open, a rule kept undetermined says which pending condition holds."""
    good_facts["filings"][0]["review"] = {"status": "pending"}
    r = qnwmh_rules.evaluate(good_facts, as_of="2017-10-05").rule("filing.approved")
    assert "undetermined" == r.outcome
    assert r.reason.startswith("尚待决定") and "closes in -" not in r.reason


@pytest.mark.parametrize("path", sorted(p for p in ROOT.glob("[0-9]*/*.yaml") if not p.name.endswith(".cases.yaml")))
def test_a_rulesets_key_is_its_own_layer_and_its_lock_entry(path):
    """Ruleset.key names the last layer and the releases.lock entry of every shipped ruleset."""
    from qnwmh_rules._lock import read_lock

    rs = qnwmh_rules.load_ruleset(path, backend="python").ruleset
    assert (rs.key, True) == (rs.layers[-1], rs.key in read_lock(ROOT / "releases.lock"))
