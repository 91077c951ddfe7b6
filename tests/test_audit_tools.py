"""Auditor tools: the verdict JSON Schema, what-if patches and replay."""

import json
from pathlib import Path

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


def _facts_file(tmp_path, youth=15):
    from .conftest import EXAMPLE
    facts = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    facts["members"]["aged_35_or_under"] = youth
    f = tmp_path / f"f{youth}.json"
    f.write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    return str(f)


def test_cli_head_and_expect_head(tmp_path, capsys):
    """`audit --head` prints SEQ:HASH; `--verify --expect-head` passes on the log and fails, naming the entries,
    once its last entries are cut and sqlite_sequence set back."""
    import re
    import sqlite3
    db = str(tmp_path / "audit.db")
    for youth in (15, 11, 15):
        assert 0 == main(["evaluate", _facts_file(tmp_path, youth), "--audit-db", db])
    capsys.readouterr()
    assert 0 == main(["audit", db, "--verify", "--head"])
    head = capsys.readouterr().out.strip()
    assert re.fullmatch(r"3:[0-9a-f]{64}", head)
    assert 0 == main(["audit", db, "--verify", "--expect-head", head])
    assert "no problems in" in capsys.readouterr().err
    with sqlite3.connect(db) as conn:
        for t in ("entry_rules", "entries", "chain"):
            conn.execute(f"DROP TRIGGER {t}_no_delete")
            conn.execute(f"DELETE FROM {t} WHERE seq = 3")
        conn.execute("UPDATE sqlite_sequence SET seq = 2")
    assert 1 == main(["audit", db, "--verify", "--expect-head", head])
    out = capsys.readouterr().out
    assert "entry 3: missing: the log ends at entry 2, but the expected head is entry 3" in out


def test_cli_keyed_log(tmp_path, capsys, monkeypatch):
    """A log made with --audit-key-file is keyed: appending without the key is refused, verify with the key (file or
    environment variable) passes, verify without it fails saying why; the key is not in the file."""
    key = "0123456789abcdef" * 4
    (tmp_path / "audit.key").write_text(key + "\n", encoding="utf-8")
    db = str(tmp_path / "audit.db")
    f = _facts_file(tmp_path)
    assert 0 == main(["evaluate", f, "--audit-db", db, "--audit-key-file", str(tmp_path / "audit.key")])
    assert 2 == main(["evaluate", f, "--audit-db", db])
    assert "the audit log is keyed (HMAC-SHA-256); appending needs its key" in capsys.readouterr().err
    monkeypatch.setenv("QNWMH_AUDIT_KEY", key)
    assert 0 == main(["audit", db, "--verify", "--audit-key-env", "QNWMH_AUDIT_KEY"])
    assert 1 == main(["audit", db, "--verify"])
    assert capsys.readouterr().out.startswith("header: the log is keyed (HMAC-SHA-256, key id ")
    monkeypatch.setenv("QNWMH_AUDIT_KEY", "short")
    assert 2 == main(["audit", db, "--verify", "--audit-key-env", "QNWMH_AUDIT_KEY"])
    assert "holds 5 bytes; an audit log key needs at least 16" in capsys.readouterr().err
    assert key.encode() not in (tmp_path / "audit.db").read_bytes()


def test_cli_what_if_is_not_recorded(tmp_path, capsys):
    """`evaluate --set … --audit-db` is refused (exit 2, usage error): a what-if is not a verdict that was given."""
    import pytest
    with pytest.raises(SystemExit) as info:
        main(["evaluate", _facts_file(tmp_path), "--set", "members.total=30", "--audit-db", str(tmp_path / "a.db")])
    assert 2 == info.value.code
    assert "--set and --audit-db cannot be combined: a what-if is not a verdict that was given" in \
        capsys.readouterr().err
    assert not (tmp_path / "a.db").exists()


def test_cli_audit_options_that_would_be_ignored_are_refused(tmp_path, capsys):
    """Options that would silently do nothing are usage errors: --recorded-at or a key without --audit-db,
    query filters with --verify, --expect-head without --verify, --upgrade with --verify, a key with a query."""
    import pytest
    f = _facts_file(tmp_path)
    db = str(tmp_path / "audit.db")
    assert 0 == main(["evaluate", f, "--audit-db", db])
    for argv, message in (
            (["evaluate", f, "--recorded-at", "2017-10-02T09:00:00+08:00"], "--recorded-at only go with --audit-db"),
            (["evaluate", f, "--audit-key-env", "X"], "--audit-key-env only go with --audit-db"),
            (["audit", db, "--verify", "--rule", "basic.youth_share"], "--rule filter a query; they do not go with"),
            (["audit", db, "--head", "--limit", "1"], "--limit filter a query; they do not go with --head"),
            (["audit", db, "--expect-head", "1:" + "a" * 64], "--expect-head goes with --verify"),
            (["audit", db, "--upgrade", "--verify"], "--upgrade goes alone"),
            (["audit", db, "--audit-key-env", "X"], "the audit log key is for --verify, --head and --upgrade"),
            (["audit", db, "--verify", "--expect-head", "3:abc"], "--expect-head: expected SEQ:HASH")):
        capsys.readouterr()
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert (2, True) == (info.value.code, message in capsys.readouterr().err), argv


def test_cli_recorded_at_needs_a_zone_and_defaults_to_now_in_utc(tmp_path, capsys):
    """A --recorded-at without an offset is refused and nothing is recorded; without --recorded-at the entry gets
    the current time in UTC."""
    import datetime as dt
    f = _facts_file(tmp_path)
    db = str(tmp_path / "audit.db")
    assert 2 == main(["evaluate", f, "--audit-db", db, "--recorded-at", "2017-10-02T09:00:00"])
    assert "--recorded-at: '2017-10-02T09:00:00' has no time zone" in capsys.readouterr().err
    assert not (tmp_path / "audit.db").exists()
    before = dt.datetime.now(dt.UTC)
    assert 0 == main(["evaluate", f, "--audit-db", db])
    capsys.readouterr()
    assert 0 == main(["audit", db])
    when = dt.datetime.fromisoformat(json.loads(capsys.readouterr().out)["recorded_at"])
    assert (True, dt.timedelta(0)) == (before <= when <= dt.datetime.now(dt.UTC), when.utcoffset())


def test_cli_audit_rule_alone_filters_by_rule(tmp_path, capsys):
    """`audit --rule ID` without --rule-outcome lists the entries whose verdict has that rule; a rule no verdict
    has gives none, with a did-you-mean."""
    db = str(tmp_path / "audit.db")
    for youth in (15, 11):
        assert 0 == main(["evaluate", _facts_file(tmp_path, youth), "--audit-db", db])
    assert 0 == main(["evaluate", str(Path(__file__).resolve().parent.parent / "rulesets" / "examples" /
                                      "unit-gd.json"), "--subject", "unit", "--audit-db", db])
    capsys.readouterr()
    assert 0 == main(["audit", db, "--rule", "basic.youth_share"])
    captured = capsys.readouterr()
    assert ([1, 2], "2 entries\n") == ([json.loads(line)["seq"] for line in captured.out.splitlines()], captured.err)
    assert 0 == main(["audit", db, "--rule", "basic.youth_shar"])
    captured = capsys.readouterr()
    assert ("", "0 entries (no verdict in the log has a rule 'basic.youth_shar'; did you mean "
                "'basic.youth_share'?)\n") == (captured.out, captured.err)


def test_cli_upgrades_a_layout1_log(tmp_path, capsys):
    """A layout-1 log: verify fails saying it is not chained, evaluate --audit-db refuses it, `audit --upgrade`
    chains it (entry 4 records the upgrade) and then both work."""
    import shutil
    db = str(tmp_path / "old.sqlite")
    shutil.copy(Path(__file__).resolve().parent / "data" / "audit-layout1.sqlite", db)
    assert 1 == main(["audit", db, "--verify"])
    assert capsys.readouterr().out.startswith("layout: version 1: entries are hashed one by one, not chained")
    assert 2 == main(["evaluate", _facts_file(tmp_path), "--audit-db", db])
    assert "appending is refused until it is upgraded" in capsys.readouterr().err
    assert 0 == main(["audit", db, "--upgrade"])
    assert "upgraded; the upgrade is recorded as entry 4" in capsys.readouterr().err
    assert 0 == main(["evaluate", _facts_file(tmp_path), "--audit-db", db])
    assert "recorded as entry 5" in capsys.readouterr().err
    assert 0 == main(["audit", db, "--verify"])
    assert "note: entry 4 records an upgrade at " in capsys.readouterr().err
