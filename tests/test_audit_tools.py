"""Auditor tools: the verdict JSON Schema, what-if patches and replay."""

import json

import jsonschema
from hypothesis import given

import qnwmh_rules
from qnwmh_rules._replay import apply_patch, parse_assignment, replay, what_if
from qnwmh_rules.cli import main
from qnwmh_rules.verdict import verdict_schema

from .strategies import collectives


@given(facts=collectives())
def test_every_verdict_matches_the_published_schema(facts):
    """Verdict documents validate against verdict.schema.json (draft 2020-12)."""
    doc = qnwmh_rules.evaluate(facts, region="guangdong", as_of="2019-01-01").to_dict()
    jsonschema.Draft202012Validator(verdict_schema()).validate(doc)


def test_a_verdict_with_an_open_window_matches_the_schema(good_facts):
    """A rule undetermined because its window is open (with a reason) is valid too."""
    good_facts["filings"] = []
    doc = qnwmh_rules.evaluate(good_facts, region="guangdong", as_of="2017-09-20").to_dict()
    assert doc["rules"][6]["reason"]
    jsonschema.Draft202012Validator(verdict_schema()).validate(doc)


def test_the_schema_in_docs_is_the_one_in_the_package():
    """docs/verdict.schema.json is a copy of the packaged schema, byte for byte."""
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    assert (root / "qnwmh_rules" / "verdict.schema.json").read_text(encoding="utf-8") == \
        (root / "docs" / "verdict.schema.json").read_text(encoding="utf-8")


def test_the_schema_refuses_a_wrong_outcome(good_facts):
    """A document with an unknown outcome is not a valid verdict."""
    doc = qnwmh_rules.evaluate(good_facts).to_dict()
    doc["outcome"] = "maybe"
    assert not jsonschema.Draft202012Validator(verdict_schema()).is_valid(doc)


def test_what_if_lists_the_rules_that_change(good_facts, national):
    """A patch of facts gives the verdict before and after and the rules whose outcome moved."""
    result = what_if(national, good_facts, {"members.aged_35_or_under": 11, "leader": None})
    assert ("eligible", "ineligible") == (result.before.outcome, result.after.outcome)
    assert (("basic.youth_share", "passed", "failed"), ("basic.leader_age", "passed", "undetermined"),
            ("basic.leader_nationality", "passed", "undetermined")) == result.changed


def test_patch_paths_and_assignments():
    """`--set` values are JSON when they parse, text otherwise; `path=` deletes; list items by index."""
    assert ("members.total", 12) == parse_assignment("members.total=12")
    assert ("leader.nationality", "CN") == parse_assignment("leader.nationality=CN")
    assert ("leader", None) == parse_assignment("leader=")
    doc = apply_patch({"filings": [{"a": 1}]}, {"filings.0.a": 2, "filings.1": {"a": 3}})
    assert {"filings": [{"a": 2}, {"a": 3}]} == doc


def test_replay_is_identical_for_the_same_facts(good_facts):
    """Replaying a verdict with its facts gives an identical verdict and matching hashes."""
    v = qnwmh_rules.evaluate(good_facts, region="guangdong", as_of="2017-09-20")
    report = replay(json.loads(v.to_json()), good_facts)
    assert (True, True, True, ()) == (report.identical, report.ruleset_hash_matches, report.facts_hash_matches,
                                      report.differences)


def test_replay_names_what_differs(good_facts):
    """Replaying with other facts reports each differing JSON path and a facts hash mismatch."""
    v = qnwmh_rules.evaluate(good_facts)
    good_facts["members"]["aged_35_or_under"] = 11
    report = replay(v.to_dict(), good_facts)
    assert (False, False) == (report.identical, report.facts_hash_matches)
    assert "rules[basic.youth_share].outcome: \"passed\" → \"failed\"" in report.differences
    assert "outcome: \"eligible\" → \"ineligible\"" in report.differences


def test_cli_replay_and_what_if(tmp_path, good_facts, capsys):
    """`replay` exits 0 when identical; `evaluate --set` prints before/after and the changed rules."""
    facts = tmp_path / "f.json"
    facts.write_text(json.dumps(good_facts, ensure_ascii=False), encoding="utf-8")
    assert 0 == main(["evaluate", str(facts), "--compact"])
    (tmp_path / "v.json").write_text(capsys.readouterr().out, encoding="utf-8")
    assert 0 == main(["replay", str(tmp_path / "v.json"), "--facts", str(facts)])
    assert capsys.readouterr().out.startswith("identical\n")
    assert 0 == main(["evaluate", str(facts), "--set", "members.total=300", "--set", "members.chinese_nationals=300"])
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert ("eligible", "ineligible") == (doc["before"], doc["after"])
    assert "basic.members_range: passed → failed" in captured.err


def test_cli_audit_log_and_why_not(tmp_path, capsys):
    """`evaluate --audit-db` records a verdict that `audit` finds by rule outcome; `why-not` suggests the fix."""
    from .conftest import EXAMPLE
    facts = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    facts["members"]["aged_35_or_under"] = 11
    f = tmp_path / "f.json"
    f.write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    db = tmp_path / "audit.db"
    assert 0 == main(["evaluate", str(f), "--audit-db", str(db), "--recorded-at", "2017-10-02T09:00:00+08:00"])
    capsys.readouterr()
    assert 0 == main(["audit", str(db), "--rule", "basic.youth_share", "--rule-outcome", "failed"])
    row = json.loads(capsys.readouterr().out)
    assert ("GD-0001", "ineligible", "2017-10-02T09:00:00+08:00") == (row["subject_id"], row["outcome"],
                                                                    row["recorded_at"])
    assert 0 == main(["audit", str(db), "--verify"])
    assert 0 == main(["why-not", str(f), "--lang", "en"])
    out = capsys.readouterr().out
    assert "1 more member aged 35" in out and "it would be eligible" in out


def test_replay_finds_the_unit_assessment_by_its_stamp():
    """A management unit's verdict replays with the unit assessment its stamp names."""
    from pathlib import Path
    facts = json.loads((Path(__file__).resolve().parent.parent / "rulesets" / "examples" / "unit-gd.json")
                       .read_text(encoding="utf-8"))
    v = qnwmh_rules.evaluate(facts, subject="unit", industry="transport")
    report = replay(v.to_dict(), facts)
    assert (True, "unit-transport.yaml") == (report.identical, report.ruleset.rsplit("/", 1)[1])


def test_bad_verdict_documents_are_clear_errors(tmp_path, capsys):
    """`explain` and `replay` on JSON that is not a verdict exit 2 with one line."""
    (tmp_path / "a.json").write_text("[1, 2]", encoding="utf-8")
    (tmp_path / "f.json").write_text("{}", encoding="utf-8")
    assert 2 == main(["explain", str(tmp_path / "a.json")])
    assert 2 == main(["replay", str(tmp_path / "a.json"), "--facts", str(tmp_path / "f.json")])
    err = capsys.readouterr().err.splitlines()
    assert 2 == len(err) and all("is not a verdict document" in line for line in err)


def test_what_if_refuses_deleting_a_fact_that_is_not_there(good_facts, national):
    """A misspelt `--set path=` is an error, not a silent no-op."""
    import pytest
    with pytest.raises(qnwmh_rules.FactsError, match="members.totl"):
        what_if(national, good_facts, {"members.totl": None})


def test_audit_query_on_a_missing_log_is_an_error(tmp_path, capsys):
    """`audit` does not create an empty log for a mistyped path."""
    assert 2 == main(["audit", str(tmp_path / "nope.db")])
    assert not (tmp_path / "nope.db").exists()
