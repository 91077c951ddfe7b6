"""The audit log: append-only SQLite storage of verdicts with their input facts."""

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings

import qnwmh_rules
from qnwmh_rules import FactsError, QnwmhError
from qnwmh_rules._audit import SCHEMA_VERSION, AuditLog, AuditLogError

from .strategies import typed_collectives

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cases(good_facts):
    """Three (verdict, facts): GD-0001 eligible, GD-0001 failing basic.youth_share, GD-0002 undetermined."""
    youth = json.loads(json.dumps(good_facts))
    youth["members"]["aged_35_or_under"] = 11
    other = json.loads(json.dumps(good_facts))
    other["id"] = "GD-0002"
    other["leader"] = None
    return [(qnwmh_rules.evaluate(f, as_of="2019-01-01"), f) for f in (good_facts, youth, other)]


@pytest.fixture
def log_path(tmp_path, cases):
    """A log file holding the three cases as entries 1, 2 and 3."""
    path = tmp_path / "audit.sqlite"
    with AuditLog(path) as log:
        for verdict, facts in cases:
            log.append(verdict, facts)
    return path


@contextlib.contextmanager
def raw(path):
    """A plain sqlite3 connection to the file (commits on success), closed afterwards."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def raw_count(path, table):
    with raw(path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def seqs(entries):
    return [e.seq for e in entries]


def test_the_fixture_cases_have_the_outcomes_the_tests_rely_on(cases):
    """The three cases are eligible, ineligible (youth share failed) and undetermined."""
    assert ["eligible", "ineligible", "undetermined"] == [v.outcome for v, _ in cases]
    assert "failed" == cases[1][0].rule("basic.youth_share").outcome


def test_append_returns_consecutive_sequence_numbers(tmp_path, cases):
    """Each append returns the entry's seq: 1, 2, 3, and continues after reopening."""
    path = tmp_path / "audit.sqlite"
    with AuditLog(path) as log:
        assert [1, 2] == [log.append(v, f) for v, f in cases[:2]]
    with AuditLog(path) as log:
        assert 3 == log.append(*cases[2])


def test_query_by_subject_id(log_path):
    """subject_id selects that collective's entries, in seq order."""
    with AuditLog(log_path) as log:
        assert [1, 2] == seqs(log.query(subject_id="GD-0001"))
        assert [3] == seqs(log.query(subject_id="GD-0002"))
        assert [] == log.query(subject_id="GD-9999")


def test_every_combination_of_filters_selects_what_filtering_every_entry_does(log_path):
    """query with any mix of subject, outcome, rule id, rule outcome and limit equals filtering all entries."""
    with AuditLog(log_path) as log:
        every = log.query()
        choices = ([None, "GD-0001", "GD-0002"], [None, "eligible", "undetermined"],
                   [None, "basic.youth_share", "basic.leader_age"], [None, "passed", "failed", "undetermined"],
                   [None, 0, 1])
        for subject, outcome, rule_id, rule_outcome, limit in itertools.product(*choices):
            want = [e.seq for e in every if subject in (None, e.subject_id) and outcome in (None, e.outcome)
                    and (rule_id is rule_outcome is None or any(rule_id in (None, r.id)
                                                                and rule_outcome in (None, r.outcome)
                                                                for r in e.verdict.rules))]
            got = log.query(subject_id=subject, outcome=outcome, rule_id=rule_id, rule_outcome=rule_outcome,
                            limit=limit)
            assert want[:limit] == seqs(got)


def test_query_by_rule_id_and_rule_outcome(log_path):
    """rule_id with rule_outcome selects the entries where that rule had that outcome."""
    with AuditLog(log_path) as log:
        assert [2] == seqs(log.query(rule_id="basic.youth_share", rule_outcome="failed"))
        assert [1, 3] == seqs(log.query(rule_id="basic.youth_share", rule_outcome="passed"))
        assert [3] == seqs(log.query(rule_id="basic.leader_age", rule_outcome="undetermined"))
        assert [1, 2, 3] == seqs(log.query(rule_id="basic.youth_share"))
        assert [3] == seqs(log.query(rule_outcome="undetermined"))


def test_query_by_outcome(log_path):
    """outcome selects by the verdict's outcome; filters combine; limit keeps the first entries."""
    with AuditLog(log_path) as log:
        assert [1] == seqs(log.query(outcome="eligible"))
        assert [2] == seqs(log.query(outcome="ineligible"))
        assert [] == log.query(outcome="eligible", subject_id="GD-0002")
        assert [1, 2] == seqs(log.query(limit=2))
        assert [1, 2, 3] == seqs(log.query())


def test_query_refuses_unknown_outcomes(log_path):
    """An outcome that no verdict or rule can have is a FactsError naming the argument."""
    with AuditLog(log_path) as log:
        with pytest.raises(FactsError, match="^outcome: unknown verdict outcome 'passed'"):
            log.query(outcome="passed")
        with pytest.raises(FactsError, match="^rule_outcome: unknown rule outcome 'eligible'"):
            log.query(rule_outcome="eligible")


def test_the_returned_verdict_and_facts_equal_the_originals(log_path, cases):
    """Each entry gives back an equal Verdict, the input facts, and the stamp's fields."""
    with AuditLog(log_path) as log:
        entries = log.query()
    assert [v for v, _ in cases] == [e.verdict for e in entries]
    # stored as the stamp hashed them: absent (null) facts are left out
    assert [{k: x for k, x in f.items() if x is not None} for _, f in cases] == [e.facts for e in entries]
    stamp = cases[0][0].stamp
    assert ("GD-0001", "eligible", stamp.ruleset_id, stamp.term, stamp.version, stamp.region, stamp.as_of) == \
        (entries[0].subject_id, entries[0].outcome, entries[0].ruleset_id, entries[0].term, entries[0].version,
         entries[0].region, entries[0].as_of)


def test_rows_hold_canonical_json_and_one_row_per_rule(log_path, cases):
    """verdict_json is Verdict.to_json(indent=None); facts_json is the facts exactly as the stamp hashed them;
    entry_rules has one row per rule in order."""
    verdict, facts = cases[1]
    with raw(log_path) as conn:
        stored_verdict, stored_facts = conn.execute(
            "SELECT verdict_json, facts_json FROM entries WHERE seq = 2").fetchone()
        rules = conn.execute("SELECT rule_id, outcome, severity FROM entry_rules WHERE seq = 2 "
                             "ORDER BY position").fetchall()
    assert verdict.to_json(indent=None) == stored_verdict
    assert json.dumps(facts, ensure_ascii=False, sort_keys=True, separators=(",", ":")) == stored_facts
    assert verdict.stamp.facts_sha256 == hashlib.sha256(stored_facts.encode("utf-8")).hexdigest()
    assert [(r.id, r.outcome, r.severity) for r in verdict.rules] == rules


@pytest.mark.parametrize("statement", [
    "UPDATE entries SET outcome = 'eligible' WHERE seq = 2",
    "DELETE FROM entries WHERE seq = 2",
    "UPDATE entry_rules SET outcome = 'passed' WHERE seq = 2",
    "DELETE FROM entry_rules",
])
def test_update_and_delete_through_sqlite_are_refused(log_path, statement):
    """Any SQLite client's UPDATE or DELETE on either table is aborted by a trigger."""
    with raw(log_path) as conn, pytest.raises(sqlite3.IntegrityError, match="the audit log is append-only"):
        conn.execute(statement)
    with AuditLog(log_path) as log:
        assert ("ineligible", []) == (log.query()[1].outcome, log.verify())


def test_a_failed_append_leaves_no_partial_rows(log_path, cases, monkeypatch):
    """An append whose rules insert fails writes nothing; earlier entries stay; seq has no gap."""
    rules_before = raw_count(log_path, "entry_rules")

    def half_then_fail(self, conn, seq, rules):
        conn.execute("INSERT INTO entry_rules (seq, position, rule_id, outcome, severity) VALUES (?, 0, ?, ?, ?)",
                     (seq, rules[0].id, rules[0].outcome, rules[0].severity))
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    with AuditLog(log_path) as log:
        monkeypatch.setattr(AuditLog, "_insert_rules", half_then_fail)
        with pytest.raises(AuditLogError, match="cannot append the verdict for GD-0001: no such table"):
            log.append(*cases[0])
        monkeypatch.undo()
        assert ([1, 2, 3], []) == (seqs(log.query()), log.verify())
    assert (3, rules_before) == (raw_count(log_path, "entries"), raw_count(log_path, "entry_rules"))
    with AuditLog(log_path) as log:
        assert 4 == log.append(*cases[0])


def test_an_interrupted_append_leaves_no_partial_rows(log_path, cases, monkeypatch):
    """An exception that is not SQLite's (here KeyboardInterrupt) also rolls the entry back and propagates."""
    def interrupted(self, conn, seq, rules):
        raise KeyboardInterrupt

    with AuditLog(log_path) as log:
        monkeypatch.setattr(AuditLog, "_insert_rules", interrupted)
        with pytest.raises(KeyboardInterrupt):
            log.append(*cases[0])
        monkeypatch.undo()
        assert 4 == log.append(*cases[0])
        assert [] == log.verify()


CHILD = textwrap.dedent("""
    import json, sys, time
    from qnwmh_rules import Verdict
    from qnwmh_rules._audit import AuditLog

    path, case, stall_at = sys.argv[1], json.load(open(sys.argv[2], encoding="utf-8")), int(sys.argv[3])
    verdict, facts = Verdict.from_dict(case["verdict"]), case["facts"]

    class Stalling(AuditLog):
        def _insert_rules(self, conn, seq, rules):
            if seq == stall_at:  # inside the transaction, entries row written, rule rows not yet
                super()._insert_rules(conn, seq, rules[:1])
                print("stalled", seq, flush=True)
                time.sleep(60)
            super()._insert_rules(conn, seq, rules)

    log = Stalling(path)
    while True:
        print(log.append(verdict, facts), flush=True)
""")


def run_until_killed(tmp_path, case, stall_at, lines_wanted):
    """Start the appending child, read its lines until `lines_wanted` of them, SIGKILL it; its lines."""
    verdict, facts = case
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps({"verdict": verdict.to_dict(), "facts": facts}), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "audit.sqlite"), str(case_file),
                              str(stall_at)], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    lines = []
    deadline = time.monotonic() + 120
    try:
        while len(lines) < lines_wanted and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
    assert -signal.SIGKILL == child.returncode
    return lines


def test_a_process_killed_while_appending_leaves_only_complete_entries(tmp_path, cases):
    """SIGKILL during a tight append loop: every reported entry survives, whole, and verify() is clean."""
    lines = run_until_killed(tmp_path, cases[1], stall_at=0, lines_wanted=40)
    assert 40 == len(lines)
    path = tmp_path / "audit.sqlite"
    assert (tmp_path / "audit.sqlite-wal").exists()  # WAL mode: recovery reads the write-ahead log
    with AuditLog(path) as log:
        entries = log.query()
        assert [] == log.verify()
    n = len(entries)
    assert n >= int(lines[-1])  # nothing whose append returned is lost
    assert list(range(1, n + 1)) == seqs(entries)
    assert [cases[1][0]] * n == [e.verdict for e in entries]
    assert n * len(cases[1][0].rules) == raw_count(path, "entry_rules")


def test_a_process_killed_inside_an_append_transaction_leaves_no_trace_of_it(tmp_path, cases):
    """SIGKILL between the entries insert and the rules insert: entries 1-5 survive, entry 6 is gone."""
    lines = run_until_killed(tmp_path, cases[1], stall_at=6, lines_wanted=6)
    assert ["1", "2", "3", "4", "5", "stalled 6"] == lines
    path = tmp_path / "audit.sqlite"
    with AuditLog(path) as log:
        assert ([1, 2, 3, 4, 5], []) == (seqs(log.query()), log.verify())
        assert 6 == log.append(*cases[0])
    assert 6 * len(cases[1][0].rules) == raw_count(path, "entry_rules")


def test_opening_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path):
    """A text file is refused with AuditLogError (a QnwmhError and an OSError) and left untouched."""
    path = tmp_path / "notes.txt"
    path.write_text("这不是数据库 / not a database\n" * 20, encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(AuditLogError) as info:
        AuditLog(path)
    assert f"{path}: not an audit log (not a SQLite database file)" == str(info.value)
    assert (True, True) == (isinstance(info.value, QnwmhError), isinstance(info.value, OSError))
    assert before == path.read_bytes()


def test_another_applications_sqlite_file_is_refused(tmp_path):
    """A SQLite file with tables of its own is not taken over."""
    path = tmp_path / "other.sqlite"
    with raw(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(AuditLogError, match="not an audit log \\(a SQLite database of another application\\)"):
        AuditLog(path)


def test_a_log_from_a_newer_layout_is_refused(log_path):
    """A file whose user_version is above this library's is refused with a message saying to upgrade."""
    with raw(log_path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(AuditLogError, match=f"layout version {SCHEMA_VERSION + 1}, newer than the "
                                            f"{SCHEMA_VERSION} this version of qnwmh_rules reads; upgrade"):
        AuditLog(log_path)


def test_a_new_file_gets_the_schema_version_and_wal(tmp_path):
    """A new log is created with user_version = SCHEMA_VERSION, in WAL journal mode."""
    path = tmp_path / "new.sqlite"
    AuditLog(path).close()
    with raw(path) as conn:
        assert (SCHEMA_VERSION, "wal") == (conn.execute("PRAGMA user_version").fetchone()[0],
                                           conn.execute("PRAGMA journal_mode").fetchone()[0])


def test_recorded_at_round_trips_and_defaults_to_now_in_utc(tmp_path, cases):
    """recorded_at comes back equal (stored as ISO 8601 with its offset); without it, the current time in UTC."""
    when = dt.datetime(2019, 1, 2, 9, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    path = tmp_path / "audit.sqlite"
    with AuditLog(path) as log:
        log.append(*cases[0], recorded_at=when)
        before = dt.datetime.now(dt.UTC)
        log.append(*cases[1])
        after = dt.datetime.now(dt.UTC)
        first, second = [e.recorded_at for e in log.query()]
    assert (when, True, dt.timedelta(0)) == (first, before <= second <= after, second.utcoffset())
    with raw(path) as conn:
        assert "2019-01-02T09:30:15.123456+08:00" == conn.execute(
            "SELECT recorded_at FROM entries WHERE seq = 1").fetchone()[0]


def test_a_naive_recorded_at_is_refused(tmp_path, cases):
    """A recorded_at without a time zone is a FactsError naming recorded_at, and nothing is stored."""
    with AuditLog(tmp_path / "audit.sqlite") as log:
        with pytest.raises(FactsError, match="^recorded_at: 2019-01-02T09:30:00 has no time zone"):
            log.append(*cases[0], recorded_at=dt.datetime(2019, 1, 2, 9, 30))
        assert [] == log.query()


def test_verify_reports_edits_made_after_dropping_the_triggers(log_path):
    """With the triggers dropped, an edited entry and a deleted one are both reported, by entry."""
    with raw(log_path) as conn:
        conn.execute("DROP TRIGGER entries_no_update")
        conn.execute("DROP TRIGGER entries_no_delete")
        conn.execute("UPDATE entries SET facts_json = '{}' WHERE seq = 2")
        conn.execute("DELETE FROM entries WHERE seq = 3")
    with AuditLog(log_path) as log:
        assert ["schema: trigger entries_no_delete is missing: the log can be edited",
                "schema: trigger entries_no_update is missing: the log can be edited",
                "entry 2: edited: its contents do not match its hash",
                "entry 2: edited: entry_sha256 does not match verdict_json and facts_json",
                "entry 2: edited: the stored facts do not hash to the verdict stamp's facts_sha256: the facts or "
                "the stamp were changed",
                "entry 3: missing: its chain record is there, but the entry itself is not",
                "entry 3: edited: rule rows without an entry"] == log.verify()


def test_a_closed_log_refuses_appends(tmp_path, cases):
    """After the with block the log is closed; appending raises AuditLogError."""
    with AuditLog(tmp_path / "audit.sqlite") as log:
        pass
    with pytest.raises(AuditLogError, match="the audit log is closed"):
        log.append(*cases[0])


def test_append_accepts_the_facts_evaluate_accepts_dates_included(tmp_path, good_facts):
    """Facts with datetime.date and aware datetime values (as evaluate takes them) are stored as the stamp hashed
    them."""
    typed = json.loads(json.dumps(good_facts))
    typed["leader"]["birth_date"] = dt.date(1984, 3, 2)
    typed["honors"][0]["date"] = dt.date(2016, 5, 4)
    typed["filings"][0]["submitted_at"] = dt.datetime(2017, 6, 20, 2, 15, tzinfo=dt.UTC)
    verdict = qnwmh_rules.evaluate(typed, as_of="2019-01-01")
    with AuditLog(tmp_path / "audit.sqlite") as log:
        log.append(verdict, typed)
        (entry,) = log.query()
        assert [] == log.verify()
    assert ("1984-03-02", "2017-06-20T10:15:00+08:00") == (entry.facts["leader"]["birth_date"],
                                                           entry.facts["filings"][0]["submitted_at"])
    assert verdict == qnwmh_rules.evaluate(entry.facts, as_of="2019-01-01")


@settings(max_examples=60, deadline=None)
@given(facts=typed_collectives())
def test_any_facts_evaluate_accepts_are_appended_as_the_stamp_hashed_them(facts):
    """For any facts evaluate accepts (dates and datetimes included), append stores them, verify is clean, and the
    stored facts hash to the stamp and evaluate to the same verdict."""
    verdict = qnwmh_rules.evaluate(facts, as_of="2019-01-01")
    with AuditLog(":memory:") as log:
        log.append(verdict, facts)
        (entry,) = log.query()
        assert [] == log.verify()
    stored = json.dumps(entry.facts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert (verdict.stamp.facts_sha256, verdict) == (hashlib.sha256(stored.encode("utf-8")).hexdigest(),
                                                     qnwmh_rules.evaluate(entry.facts, as_of="2019-01-01"))


def test_append_takes_the_parsed_facts_of_the_engine(tmp_path, good_facts, national):
    """engine.parse(facts) (a Facts) is accepted too: its normalised form is what the stamp hashed."""
    verdict = national.evaluate(good_facts)
    with AuditLog(tmp_path / "audit.sqlite") as log:
        log.append(verdict, national.parse(good_facts))
        assert ([good_facts], []) == ([e.facts for e in log.query()], log.verify())


def test_facts_that_are_not_the_verdicts_are_refused_before_writing(tmp_path, cases):
    """Facts that do not hash to the verdict's stamp, or that evaluate would refuse, are a FactsError; nothing is
    stored."""
    with AuditLog(tmp_path / "audit.sqlite") as log:
        with pytest.raises(FactsError, match="^\\(facts\\): these are not the facts the verdict for GD-0001 was "
                                             "evaluated from"):
            log.append(cases[0][0], cases[1][1])
        with pytest.raises(FactsError, match="^when: unknown field"):
            log.append(cases[0][0], {"id": "GD-0001", "when": dt.date(2019, 1, 1)})
        assert [] == log.query()


def test_an_in_memory_log_works(cases):
    """":memory:" gives a throw-away log with the same behaviour."""
    with AuditLog(":memory:") as log:
        assert 1 == log.append(*cases[0])
        assert ([cases[0][0]], []) == ([e.verdict for e in log.query()], log.verify())


WRITER = textwrap.dedent("""
    import json, sys
    from qnwmh_rules import Verdict
    from qnwmh_rules._audit import AuditLog

    path, case, n = sys.argv[1], json.load(open(sys.argv[2], encoding="utf-8")), int(sys.argv[3])
    verdict, facts = Verdict.from_dict(case["verdict"]), case["facts"]
    with AuditLog(path) as log:
        for _ in range(n):
            log.append(verdict, facts)
""")


def test_processes_appending_at_once_keep_one_unbroken_chain(tmp_path, cases):
    """Three processes appending 15 entries each to one file: 45 entries, numbered 1..45, one chain, verify clean."""
    verdict, facts = cases[1]
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps({"verdict": verdict.to_dict(), "facts": facts}), encoding="utf-8")
    path = tmp_path / "audit.sqlite"
    AuditLog(path).close()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(case_file), "15"], cwd=ROOT, env=env)
               for _ in range(3)]
    assert [0, 0, 0] == [w.wait(timeout=120) for w in writers]
    with AuditLog(path) as log:
        assert (list(range(1, 46)), [], 45) == (seqs(log.query()), log.verify(), log.head().seq)
