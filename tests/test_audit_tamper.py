"""Tampering with an audit log: every manipulation is found by verify (or, where the guide says
so, by a head kept elsewhere or by the key), and the problem names the entry."""

import contextlib
import copy
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules._audit import AuditHead, AuditLog, AuditLogError

from .strategies import audit_cell_edits, audit_manipulations

KEY = b"k" * 32
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def verdicts():
    """Three (verdict, facts): eligible, ineligible (youth share failed), undetermined (no leader)."""
    good = json.loads((Path(__file__).resolve().parent.parent / "rulesets" / "examples" /
                       "collective-gd-0001.json").read_text(encoding="utf-8"))
    youth = copy.deepcopy(good)
    youth["members"]["aged_35_or_under"] = 11
    other = copy.deepcopy(good)
    other["id"] = "GD-0002"
    other["leader"] = None
    return [(qnwmh_rules.evaluate(f, as_of="2019-01-01"), f) for f in (good, youth, other)]


def build(path, verdicts, n=5, key=None):
    """A log of n entries (the three cases in turn, entry 2 the ineligible one); its head."""
    with AuditLog(path, key=key) as log:
        for i in range(n):
            log.append(*verdicts[i % 3])
        return log.head()


@pytest.fixture(scope="module")
def templates(tmp_path_factory, verdicts):
    """Five-entry logs built once, plain and keyed, with their heads; tests work on copies."""
    root = tmp_path_factory.mktemp("templates")
    out = {}
    for name, key in (("plain", None), ("keyed", KEY)):
        path = root / f"{name}.sqlite"
        out[name] = (path, build(path, verdicts, key=key))
    return out


@pytest.fixture
def plain(tmp_path, templates):
    """A copy of the plain five-entry log and its head."""
    path = tmp_path / "audit.sqlite"
    shutil.copy(templates["plain"][0], path)
    return path, templates["plain"][1]


@pytest.fixture
def keyed(tmp_path, templates):
    """A copy of the keyed five-entry log and its head."""
    path = tmp_path / "keyed.sqlite"
    shutil.copy(templates["keyed"][0], path)
    return path, templates["keyed"][1]


# -- the forger's tools: plain SQLite and the hash formula the module documents -----------------


def chain_hash(seq, kind, recorded_at, verdict_json, facts_json, note_json, prev, key=None):
    data = json.dumps(["qnwmh-rules audit chain 1", seq, kind, recorded_at, verdict_json, facts_json, note_json,
                       prev], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hmac.new(key, data, hashlib.sha256).hexdigest() if key else hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def forger(path):
    """A raw connection with every trigger dropped, recreated word for word afterwards (so that
    only the chain and the content checks can tell)."""
    conn = sqlite3.connect(path)
    try:
        triggers = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        yield conn
        for (sql,) in triggers:
            conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def rehash(conn, seqs, key=None, entry_hash=True):
    """Recompute the chain hash of each entry in seqs (with its stored prev), as a forger would."""
    for seq in seqs:
        kind, note, prev = conn.execute("SELECT kind, note_json, prev_sha256 FROM chain WHERE seq = ?",
                                        (seq,)).fetchone()
        row = conn.execute("SELECT recorded_at, verdict_json, facts_json FROM entries WHERE seq = ?", (seq,)).fetchone()
        when, vj, fj = row if row else (None, None, None)
        conn.execute("UPDATE chain SET sha256 = ? WHERE seq = ?", (chain_hash(seq, kind, when, vj, fj, note, prev, key),
                                                                  seq))
        if entry_hash and row:
            conn.execute("UPDATE entries SET entry_sha256 = ? WHERE seq = ?",
                         (hashlib.sha256(f"{vj}\n{fj}".encode()).hexdigest(), seq))


def rechain(conn, start, key=None):
    """Recompute the chain from entry `start` to the end, prev links included (a whole rewrite)."""
    prev = conn.execute("SELECT sha256 FROM chain WHERE seq = ?", (start - 1,)).fetchone()
    for (seq,) in conn.execute("SELECT seq FROM chain WHERE seq >= ? ORDER BY seq", (start,)).fetchall():
        if prev is not None:
            conn.execute("UPDATE chain SET prev_sha256 = ? WHERE seq = ?", (prev[0], seq))
        rehash(conn, [seq], key)
        prev = conn.execute("SELECT sha256 FROM chain WHERE seq = ?", (seq,)).fetchone()


def delete(conn, seq):
    for table in ("entry_rules", "entries", "chain"):
        conn.execute(f"DELETE FROM {table} WHERE seq = ?", (seq,))


def renumber(conn, after, by):
    """Move every entry above `after` by `by` (in all three tables)."""
    for table in ("entry_rules", "entries", "chain"):
        conn.execute(f"UPDATE {table} SET seq = seq + 1000000 WHERE seq > ?", (after,))
        conn.execute(f"UPDATE {table} SET seq = seq - 1000000 + ? WHERE seq > 1000000", (by,))


def set_sequence(conn, value):
    conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name IN ('entries', 'chain')", (value,))


def edit_verdict_outcome(conn, seq, outcome="eligible"):
    vj = conn.execute("SELECT verdict_json FROM entries WHERE seq = ?", (seq,)).fetchone()[0]
    doc = json.loads(vj)
    doc["outcome"] = outcome
    for r in doc["rules"]:
        r["outcome"] = "passed"
    conn.execute("UPDATE entries SET verdict_json = ?, outcome = ? WHERE seq = ?",
                 (json.dumps(doc, ensure_ascii=False, sort_keys=True), outcome, seq))
    conn.execute("UPDATE entry_rules SET outcome = 'passed' WHERE seq = ?", (seq,))


def verify(path, key=None, expect_head=None):
    with AuditLog(path, key=key) as log:
        return log.verify(expect_head=expect_head)


# -- the untouched log --------------------------------------------------------------------------


def test_an_untouched_log_verifies_with_and_without_its_head(plain, keyed):
    """A log as written has no problems, alone, with its head, and (keyed) with its key."""
    path, head = plain
    kpath, khead = keyed
    assert ([], [], []) == (verify(path), verify(path, expect_head=str(head)),
                            verify(kpath, key=KEY, expect_head=[khead]))
    assert 5 == head.seq and re.fullmatch(r"[0-9a-f]{64}", head.sha256)


def test_the_chain_is_the_documented_formula(plain):
    """Each stored hash is sha256 of the documented JSON array, chained from the previous one."""
    path, head = plain
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT c.seq, c.kind, c.note_json, c.prev_sha256, c.sha256, e.recorded_at, "
                            "e.verdict_json, e.facts_json FROM chain c JOIN entries e USING (seq) "
                            "ORDER BY seq").fetchall()
    prev = rows[0][3]
    for seq, kind, note, p, sha, when, vj, fj in rows:
        assert (prev, sha) == (p, chain_hash(seq, kind, when, vj, fj, note, p))
        prev = sha
    assert head.sha256 == prev


# -- the manipulations of the issue -------------------------------------------------------------


def test_triggers_recreated_with_a_body_that_does_nothing_are_found(plain):
    """Triggers dropped and recreated under the same names doing nothing: the SQL text differs; the edit is found."""
    path, _ = plain
    with sqlite3.connect(path) as conn:
        for t in ("entries", "entry_rules", "chain", "log_meta"):
            for op in ("update", "delete"):
                conn.execute(f"DROP TRIGGER {t}_no_{op}")
                conn.execute(f"CREATE TRIGGER {t}_no_{op} BEFORE {op.upper()} ON {t} BEGIN SELECT 1; END")
        conn.execute("UPDATE entries SET recorded_at = '2017-01-01T00:00:00+00:00' WHERE seq = 2")
    problems = verify(path)
    assert "schema: trigger entries_no_update is not the one this library creates (its SQL was changed): the log " \
           "can be edited" in problems
    assert 8 == sum("schema: trigger" in p for p in problems)
    assert "entry 2: edited: its contents do not match its hash" in problems


def test_an_entry_deleted_from_the_middle_is_missing(plain):
    """Entry 3 deleted (all its rows): verify says entry 3 is missing, and nothing else."""
    path, _ = plain
    with forger(path) as conn:
        delete(conn, 3)
    assert ["entry 3: missing: deleted"] == verify(path)


def test_an_entry_deleted_and_the_rest_renumbered_is_found(plain):
    """Entry 3 deleted, 4 and 5 renumbered to 3 and 4, sqlite_sequence set back: the gap and the renumbering."""
    path, _ = plain
    with forger(path) as conn:
        delete(conn, 3)
        renumber(conn, after=3, by=-1)
        set_sequence(conn, 4)
    assert ["entry 3: missing: no entry recorded with this number is left (the entries after it were renumbered)",
            "entries 3..4: renumbered: they were recorded as entries 4..5"] == verify(path)


def test_the_last_entries_deleted_are_found_by_sqlite_sequence(plain):
    """Entries 4 and 5 deleted, sqlite_sequence left as it was: missing from the end."""
    path, _ = plain
    with forger(path) as conn:
        delete(conn, 4)
        delete(conn, 5)
    assert ["entries 4..5: missing: deleted from the end (numbers up to 5 were given, the chain ends at entry 3)"] \
        == verify(path)


def test_the_last_entries_deleted_with_sqlite_sequence_set_back_need_the_head(plain):
    """Entries 4 and 5 deleted and sqlite_sequence set back: nothing in the file can tell (the guide says so);
    the head kept elsewhere does."""
    path, head = plain
    with forger(path) as conn:
        delete(conn, 4)
        delete(conn, 5)
        set_sequence(conn, 3)
    assert [] == verify(path)  # the limit the auditor guide states: a clean cut of the tail
    assert ["entries 4..5: missing: the log ends at entry 3, but the expected head is entry 5 (entries deleted "
            "from the end, or this is another log)"] == verify(path, expect_head=str(head))


def test_many_entries_deleted_and_the_rest_renumbered_beyond_the_search_window(plain, monkeypatch):
    """More entries deleted than verify searches for (window shrunk to 1 here): the renumbered run is still named,
    and with the head kept elsewhere the exact numbers are found."""
    import qnwmh_rules._audit_chain as chain

    monkeypatch.setattr(chain, "_SEARCH_WINDOW", 1)
    path, head = plain
    with forger(path) as conn:
        delete(conn, 2)
        delete(conn, 3)
        renumber(conn, after=3, by=-2)
        set_sequence(conn, 3)
    assert ["entries 2..3: renumbered: chained to one another but not to the entry before them, with hashes that "
            "fit no number near theirs: entries before them were deleted and these renumbered, or they were "
            "rewritten"] == verify(path)
    assert ["entries 2..3: missing: no entry recorded with this number is left (the entries after it were "
            "renumbered)",
            "entries 2..3: renumbered: they were recorded as entries 4..5",
            f"entry 5: the expected head {head} is at entry 3: entries were renumbered"] == \
        verify(path, expect_head=str(head))


def test_two_entries_swapped_are_out_of_order(plain):
    """Entries 2 and 3 exchange everything but their numbers: both are reported out of order."""
    path, _ = plain
    with forger(path) as conn:
        renumber(conn, after=1, by=10)  # 2..5 → 12..15
        for old, new in ((12, 3), (13, 2), (14, 4), (15, 5)):
            for table in ("entry_rules", "entries", "chain"):
                conn.execute(f"UPDATE {table} SET seq = ? WHERE seq = ?", (new, old))
    assert ["entry 2: out of order: it was recorded as entry 3",
            "entry 3: out of order: it was recorded as entry 2"] == verify(path)


def test_two_entries_swapped_and_rehashed_are_found(plain):
    """Entries 2 and 3 swapped and each rehashed under its new number: the links show it."""
    path, _ = plain
    with forger(path) as conn:
        renumber(conn, after=1, by=10)
        for old, new in ((12, 3), (13, 2), (14, 4), (15, 5)):
            for table in ("entry_rules", "entries", "chain"):
                conn.execute(f"UPDATE {table} SET seq = ? WHERE seq = ?", (new, old))
        rehash(conn, [2, 3])
    problems = verify(path)
    assert problems and {2, 3} == named(problems)


def test_a_verdict_rewritten_with_its_hash_recomputed_is_replaced(plain):
    """Entry 2's outcome rewritten ineligible → eligible, its own hashes recomputed: entry 3's link names entry 2."""
    path, _ = plain
    with forger(path) as conn:
        edit_verdict_outcome(conn, 2)
        rehash(conn, [2])
    problems = verify(path)
    assert 1 == len(problems)
    assert problems[0].startswith("entry 2: replaced: entry 3 was chained to an entry with hash ")


def test_a_verdict_rewritten_without_rehashing_is_edited(plain):
    """Entry 2's outcome rewritten and nothing recomputed: entry 2 is edited."""
    path, _ = plain
    with forger(path) as conn:
        edit_verdict_outcome(conn, 2)
    assert ["entry 2: edited: its contents do not match its hash",
            "entry 2: edited: entry_sha256 does not match verdict_json and facts_json"] == verify(path)


def test_a_verdict_rewritten_and_the_whole_chain_recomputed_needs_the_head_or_the_key(plain, keyed):
    """Entry 2 rewritten and entries 2..5 rechained: only the head kept elsewhere (unkeyed) or the key find it;
    the key names entry 2 itself."""
    path, head = plain
    with forger(path) as conn:
        edit_verdict_outcome(conn, 2)
        rechain(conn, 2)
    assert [] == verify(path)  # the limit the guide states for an unkeyed log without its head
    (problem,) = verify(path, expect_head=str(head))
    assert problem.startswith("entry 5: not the expected head: its hash is ")
    kpath, _ = keyed
    with forger(kpath) as conn:
        edit_verdict_outcome(conn, 2)
        rechain(conn, 2)  # without the key: plain SHA-256
    assert ["entries 2..5: edited: its contents do not match its hash (HMAC with the given key)"] == \
        verify(kpath, key=KEY)


def test_facts_edited_with_every_hash_recomputed_disagree_with_the_stamp(plain):
    """Entry 4's facts_json edited, its entry hash and the whole chain recomputed: the stamp's facts_sha256 names it."""
    path, _ = plain
    with forger(path) as conn:
        fj = json.loads(conn.execute("SELECT facts_json FROM entries WHERE seq = 4").fetchone()[0])
        fj["members"]["aged_35_or_under"] = 20
        conn.execute("UPDATE entries SET facts_json = ? WHERE seq = 4",
                     (json.dumps(fj, ensure_ascii=False, sort_keys=True, separators=(",", ":")),))
        rechain(conn, 4)
    assert ["entry 4: edited: the stored facts do not hash to the verdict stamp's facts_sha256: the facts or the "
            "stamp were changed"] == verify(path)


def test_recorded_at_edited_is_found(plain):
    """recorded_at is covered by the hash: editing it makes the entry edited."""
    path, _ = plain
    with forger(path) as conn:
        conn.execute("UPDATE entries SET recorded_at = '2016-01-01T00:00:00+00:00' WHERE seq = 3")
    assert ["entry 3: edited: its contents do not match its hash"] == verify(path)


def test_recorded_at_edited_and_rehashed_is_replaced(plain):
    """recorded_at edited with entry 3's hash recomputed: entry 4's link names entry 3."""
    path, _ = plain
    with forger(path) as conn:
        conn.execute("UPDATE entries SET recorded_at = '2016-01-01T00:00:00+00:00' WHERE seq = 3")
        rehash(conn, [3])
    (problem,) = verify(path)
    assert problem.startswith("entry 3: replaced: entry 4 was chained to an entry with hash ")


def test_a_whole_forged_database_is_found_by_the_head_and_by_the_key(tmp_path, verdicts, plain, keyed):
    """A log made from scratch (by this very library) verifies on its own; the head kept elsewhere and the key
    both refuse it, naming the entry."""
    _, head = plain
    forged = tmp_path / "forged.sqlite"
    build(forged, [verdicts[0]] * 3)
    assert [] == verify(forged)
    (problem,) = verify(forged, expect_head=str(head))
    assert problem.startswith("entry 5: not the expected head")
    _, khead = keyed
    problems = verify(forged, key=KEY)
    assert problems[0].startswith("header: a key was given, but the log says it is not keyed")
    assert "entries 1..5: edited: its contents do not match its hash (HMAC with the given key)" in problems
    other_key = tmp_path / "other.sqlite"
    build(other_key, verdicts, key=b"x" * 32)
    problems = verify(other_key, key=KEY)
    assert problems[0].startswith("header: the key given is not the one this log was written with")
    assert "entries 1..5: edited: its contents do not match its hash (HMAC with the given key)" in problems


# -- more manipulations -------------------------------------------------------------------------


def test_an_entry_inserted_in_the_middle_is_found(plain, verdicts):
    """A forged entry chained after entry 2 at number 3 (the rest moved up): it is named inserted."""
    path, _ = plain
    v, f = verdicts[0]
    with forger(path) as conn:
        renumber(conn, after=2, by=1)
        row = conn.execute("SELECT * FROM entries WHERE seq = 2").fetchone()
        conn.execute("INSERT INTO entries VALUES (" + ", ".join("?" * len(row)) + ")", (3, *row[1:]))
        conn.execute("INSERT INTO entry_rules SELECT 3, position, rule_id, outcome, severity FROM entry_rules "
                     "WHERE seq = 2")
        prev = conn.execute("SELECT sha256 FROM chain WHERE seq = 2").fetchone()[0]
        conn.execute("INSERT INTO chain VALUES (3, 'verdict', NULL, ?, 'x')", (prev,))
        rehash(conn, [3])
    assert ["database: sqlite_sequence's counter for chain is 5, below its last number 6: it was set back by hand",
            "database: sqlite_sequence's counter for entries is 5, below its last number 6: it was set back by hand",
            "entry 3: inserted: a second entry recorded as 3; the chain continues from entry 4",
            "entries 4..6: renumbered: they were recorded as entries 3..5"] == verify(path)


def test_an_entry_appended_by_hand_is_found_by_the_key(keyed):
    """A verdict appended with SQL, chained with plain SHA-256: the keyed log names it."""
    path, _ = keyed
    with forger(path) as conn:
        row = conn.execute("SELECT * FROM entries WHERE seq = 1").fetchone()
        conn.execute("INSERT INTO entries VALUES (" + ", ".join("?" * len(row)) + ")", (6, *row[1:]))
        conn.execute("INSERT INTO entry_rules SELECT 6, position, rule_id, outcome, severity FROM entry_rules "
                     "WHERE seq = 1")
        prev = conn.execute("SELECT sha256 FROM chain WHERE seq = 5").fetchone()[0]
        conn.execute("INSERT INTO chain VALUES (6, 'verdict', NULL, ?, 'x')", (prev,))
        rehash(conn, [6])
    assert ["entry 6: edited: its contents do not match its hash (HMAC with the given key)"] == verify(path, key=KEY)


def test_a_copy_of_an_entry_is_found(plain):
    """Entry 2 copied, row for row, as entry 6: it holds the hash of entry 2 under another number."""
    path, _ = plain
    with forger(path) as conn:
        row = conn.execute("SELECT * FROM entries WHERE seq = 2").fetchone()
        conn.execute("INSERT INTO entries VALUES (" + ", ".join("?" * len(row)) + ")", (6, *row[1:]))
        conn.execute("INSERT INTO entry_rules SELECT 6, position, rule_id, outcome, severity FROM entry_rules "
                     "WHERE seq = 2")
        conn.execute("INSERT INTO chain SELECT 6, kind, note_json, prev_sha256, sha256 FROM chain WHERE seq = 2")
    assert ["entry 6: inserted: a copy of entry 2"] == verify(path)


def test_rule_rows_edited_are_found(plain):
    """entry_rules is not hashed, but must agree with the verdict: an edited rule row names its entry."""
    path, _ = plain
    with forger(path) as conn:
        conn.execute("UPDATE entry_rules SET outcome = 'passed' WHERE seq = 2")
    assert ["entry 2: edited: rule rows do not match the verdict's rules"] == verify(path)


def test_an_entry_without_its_chain_record_and_a_chain_record_without_its_entry(plain):
    """Deleting only the chain row, or only the entry's rows: each is named."""
    path, _ = plain
    with forger(path) as conn:
        conn.execute("DELETE FROM chain WHERE seq = 2")
        conn.execute("DELETE FROM entry_rules WHERE seq = 4")
        conn.execute("DELETE FROM entries WHERE seq = 4")
    problems = verify(path)
    assert "entry 2: inserted: it is not in the chain (added without a chain record, or its chain record was " \
           "deleted)" in problems
    assert "entry 2: missing: deleted" in problems
    assert "entry 4: missing: its chain record is there, but the entry itself is not" in problems


def test_the_header_changed_breaks_the_start_of_the_chain(plain):
    """A new log_id in log_meta changes the genesis hash: entry 1 is not chained to the start of the log."""
    path, _ = plain
    with forger(path) as conn:
        conn.execute("UPDATE log_meta SET value = ? WHERE name = 'log_id'", ("0" * 32,))
    assert ["entry 1: replaced: it is not chained to the start of this log (entry 1 was forged, or the log's "
            "header was changed)"] == verify(path)


@pytest.mark.parametrize("statement, expected", [
    ("ALTER TABLE entries ADD COLUMN note TEXT",
     "schema: table entries is not the one this library creates (its SQL was changed)"),
    ("CREATE TRIGGER sneaky AFTER INSERT ON entries BEGIN SELECT 1; END",
     "schema: trigger sneaky is not part of an audit log"),
    ("DROP INDEX entries_by_subject", "schema: index entries_by_subject is missing"),
    ("CREATE TABLE extra (x)", "schema: table extra is not part of an audit log"),
])
def test_schema_changes_are_found(plain, statement, expected):
    """Any table, index or trigger added, dropped or changed is reported by name."""
    path, _ = plain
    with sqlite3.connect(path) as conn:
        conn.execute(statement)
    assert [expected] == verify(path)


def test_the_layout_version_set_back_is_found(plain):
    """user_version set back to 1 on a chained log: it is not a layout-1 log, and verify says so."""
    path, _ = plain
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 1")
    problems = verify(path)
    assert "schema: table chain is not part of an audit log" in problems
    assert problems[-1].startswith("layout: version 1: entries are hashed one by one")
    with AuditLog(path) as log, pytest.raises(AuditLogError, match="not upgraded: the log has"):
        log.upgrade()


def test_an_application_id_or_layout_changed_to_nonsense_is_refused(plain):
    """application_id changed, or user_version set to 0 with tables present, and the file is not taken for a log."""
    path, _ = plain
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 0")
    with pytest.raises(AuditLogError, match="layout version is 0, which no version of qnwmh_rules writes"):
        AuditLog(path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA application_id = 7")
    with pytest.raises(AuditLogError, match="holds an audit log's tables, but its header says it is not one"):
        AuditLog(path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA application_id = 0")  # and user_version 0: a header like a new file's
    with pytest.raises(AuditLogError, match=r"application_id 0x0, layout version 0\): the header was changed"):
        AuditLog(path, create=False)


def test_a_keyed_log_without_its_key_checks_only_the_links(keyed):
    """Verifying a keyed log without the key says the hashes need the key; a broken link is still found."""
    path, _ = keyed
    with forger(path) as conn:
        delete(conn, 3)
    problems = verify(path)
    assert problems[0].startswith("header: the log is keyed (HMAC-SHA-256, key id ")
    assert "entry 3: missing: deleted" in problems


def test_a_keyed_log_turned_into_a_plain_one_is_found_by_the_key(keyed):
    """A forger rewrites a keyed log's header to sha256 and rechains it without the key: the key finds every entry."""
    path, _ = keyed
    with forger(path) as conn:
        conn.execute("UPDATE log_meta SET value = 'sha256' WHERE name = 'hash'")
        conn.execute("DELETE FROM log_meta WHERE name = 'key_id'")
        log_id = conn.execute("SELECT value FROM log_meta WHERE name = 'log_id'").fetchone()[0]
        genesis = hashlib.sha256(json.dumps(["qnwmh-rules audit log", log_id, "sha256"],
                                            separators=(",", ":")).encode()).hexdigest()
        conn.execute("UPDATE chain SET prev_sha256 = ? WHERE seq = 1", (genesis,))
        rechain(conn, 1)
    assert [] == verify(path)  # as a plain log it is consistent
    problems = verify(path, key=KEY)
    assert problems[0].startswith("header: a key was given, but the log says it is not keyed")
    assert "entries 1..5: edited: its contents do not match its hash (HMAC with the given key)" in problems


def test_the_key_is_never_stored_in_the_file(tmp_path, verdicts):
    """Neither the key nor its hex form appears in the log file or its write-ahead log."""
    path = tmp_path / "audit.sqlite"
    with AuditLog(path, key=KEY) as log:
        log.append(*verdicts[0])
        blobs = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert (False, False) == (KEY in blobs, KEY.hex().encode() in blobs)


def test_an_emptied_log_is_found_by_its_head(plain):
    """Every entry deleted and the sequences reset: only the head kept elsewhere can tell."""
    path, head = plain
    with forger(path) as conn:
        for seq in range(1, 6):
            delete(conn, seq)
        conn.execute("DELETE FROM sqlite_sequence")
    assert [] == verify(path)
    assert ["entries 1..5: missing: the log ends at entry 0, but the expected head is entry 5 (entries deleted "
            "from the end, or this is another log)"] == verify(path, expect_head=str(head))


def test_appending_refuses_a_log_whose_tail_is_gone(plain, verdicts):
    """A log whose last entries were deleted is not appended to (the new entry would hide the cut)."""
    path, _ = plain
    with forger(path) as conn:
        delete(conn, 5)
    with AuditLog(path) as log, pytest.raises(AuditLogError, match="its chain ends at entry 4 but numbers up to 5"):
        log.append(*verdicts[0])


# -- a property: any manipulation is found, and named ---------------------------------------------

MANIPULATIONS = ("edit_facts", "edit_verdict", "edit_recorded_at", "edit_rules", "delete", "delete_renumber",
                 "swap", "copy", "drop_chain_row", "edit_prev")


def manipulate(conn, op, a, b, rehash_after):
    """Apply one manipulation to entries a (and b); return the entry numbers a right answer may name."""
    if op == "edit_facts":
        fj = json.loads(conn.execute("SELECT facts_json FROM entries WHERE seq = ?", (a,)).fetchone()[0])
        fj["members"]["total"] += 1
        conn.execute("UPDATE entries SET facts_json = ? WHERE seq = ?",
                     (json.dumps(fj, ensure_ascii=False, sort_keys=True, separators=(",", ":")), a))
    elif op == "edit_verdict":
        edit_verdict_outcome(conn, a, "undetermined")
    elif op == "edit_recorded_at":
        conn.execute("UPDATE entries SET recorded_at = '2000-01-01T00:00:00+00:00' WHERE seq = ?", (a,))
    elif op == "edit_rules":
        conn.execute("UPDATE entry_rules SET severity = 'advisory' WHERE seq = ?", (a,))
    elif op == "delete":
        delete(conn, a)
        return {a}
    elif op == "delete_renumber":
        delete(conn, a)
        renumber(conn, after=a, by=-1)
        return set(range(a, 8))
    elif op == "swap" and a != b:
        renumber(conn, after=0, by=100)
        for table in ("entry_rules", "entries", "chain"):
            conn.execute(f"UPDATE {table} SET seq = CASE seq WHEN ? THEN ? WHEN ? THEN ? ELSE seq - 100 END",
                         (a + 100, b, b + 100, a))
        return {a, b, min(a, b) + 1, max(a, b) + 1}
    elif op == "swap":
        conn.execute("UPDATE entries SET recorded_at = NULL WHERE seq = ?", (a,))
    elif op == "copy":
        row = conn.execute("SELECT * FROM entries WHERE seq = ?", (a,)).fetchone()
        conn.execute("INSERT INTO entries VALUES (" + ", ".join("?" * len(row)) + ")", (6, *row[1:]))
        conn.execute("INSERT INTO entry_rules SELECT 6, position, rule_id, outcome, severity FROM entry_rules "
                     "WHERE seq = ?", (a,))
        conn.execute("INSERT INTO chain SELECT 6, kind, note_json, prev_sha256, sha256 FROM chain WHERE seq = ?", (a,))
        return {a, 6}
    elif op == "drop_chain_row":
        conn.execute("DELETE FROM chain WHERE seq = ?", (a,))
        return {a, a + 1}
    elif op == "edit_prev":
        conn.execute("UPDATE chain SET prev_sha256 = ? WHERE seq = ?", ("0" * 64, a))
    if rehash_after:
        rehash(conn, [a])
    return {a, a - 1, a + 1} if rehash_after else {a}


def named(problems):
    """The entry numbers the problem lines name."""
    out = set()
    for p in problems:
        m = re.match(r"entr(?:y (\d+)|ies (\d+)\.\.(\d+))", p)
        if m:
            lo = int(m.group(1) or m.group(2))
            out.update(range(lo, int(m.group(3) or lo) + 1))
    return out


@settings(max_examples=40, deadline=None)
@given(m=audit_manipulations(MANIPULATIONS))
def test_any_manipulation_is_found_and_named(tmp_path_factory, templates, m):
    """For any manipulation of one or two entries (hashes recomputed or not, plain or keyed log), verify with the
    head kept elsewhere (and the key) reports problems, and at least one names an entry the manipulation touched."""
    op, a, b, rehash_after, keyed_log = m["op"], m["a"], m["b"], m["rehash_after"], m["keyed_log"]
    source, head = templates["keyed" if keyed_log else "plain"]
    path = tmp_path_factory.mktemp("prop") / "audit.sqlite"
    shutil.copy(source, path)
    with forger(path) as conn:
        touched = manipulate(conn, op, a, b, rehash_after)
    problems = verify(path, key=KEY if keyed_log else None, expect_head=str(head))
    assert problems, (op, a, b, rehash_after)
    assert named(problems) & touched, (op, a, b, problems)


@settings(max_examples=40, deadline=None)
@given(m=audit_manipulations(MANIPULATIONS))
def test_without_the_head_only_a_rehashed_last_entry_of_a_plain_log_goes_unseen(tmp_path_factory, templates, m):
    """Without a head kept elsewhere, verify still finds every manipulation above, except (as the guide says) an
    unkeyed log's last entry edited consistently with its hash recomputed, which nothing in the file can tell from
    the original (its facts cannot be edited so: they must hash to the stamp)."""
    op, a, b, rehash_after, keyed_log = m["op"], m["a"], m["b"], m["rehash_after"], m["keyed_log"]
    source, _ = templates["keyed" if keyed_log else "plain"]
    path = tmp_path_factory.mktemp("prop") / "audit.sqlite"
    shutil.copy(source, path)
    with forger(path) as conn:
        touched = manipulate(conn, op, a, b, rehash_after)
    problems = verify(path, key=KEY if keyed_log else None)
    if rehash_after and not keyed_log and a == 5 and op in ("edit_verdict", "edit_recorded_at"):
        assert [] == problems  # the limit: see "what verification proves" in docs/auditor-guide.md
    else:
        assert named(problems) & touched, (op, a, b, rehash_after, problems)


# -- logs of layout 1 (before the chain) ----------------------------------------------------------


@pytest.fixture
def layout1(tmp_path):
    """A copy of a log written by layout 1 (tests/data/audit-layout1.sqlite: three entries, the third without
    recorded_at, the facts as given, one with a null leader)."""
    path = tmp_path / "old.sqlite"
    shutil.copy(DATA / "audit-layout1.sqlite", path)
    return path


def test_a_layout1_log_is_readable_but_refuses_appends(layout1, verdicts):
    """A layout-1 log can be queried; verify says it is not chained; append refuses with the way out."""
    with AuditLog(layout1) as log:
        assert [1, 2, 3] == [e.seq for e in log.query()]
        assert ["layout: version 1: entries are hashed one by one, not chained, so deleted, reordered or rewritten "
                f"entries cannot be found; upgrade it (`qnwmh-rules audit {layout1} --upgrade`) to chain it from "
                "now on"] == log.verify()
        with pytest.raises(AuditLogError, match="appending is refused until it is upgraded: `qnwmh-rules audit"):
            log.append(*verdicts[0])
        with pytest.raises(AuditLogError, match="no head"):
            log.head()


def test_a_layout1_log_is_upgraded_in_place_with_a_migration_entry(layout1, verdicts):
    """upgrade() keeps every row as it was, chains them, records the upgrade as entry 4; appending goes on at 5."""
    with sqlite3.connect(layout1) as conn:
        before = conn.execute("SELECT * FROM entries ORDER BY seq").fetchall()
    with AuditLog(layout1) as log:
        assert 4 == log.upgrade()
        assert None is log.upgrade()
        assert 5 == log.append(*verdicts[1])
        ((seq, note),) = log.migrations()
        assert (4, 1, 2, 3) == (seq, note["from_layout"], note["to_layout"], note["entries"])
        assert [] == log.verify(expect_head=log.head())
        assert [1, 2, 3, 5] == [e.seq for e in log.query()]
    with sqlite3.connect(layout1) as conn:
        assert before == conn.execute("SELECT * FROM entries WHERE seq <= 3 ORDER BY seq").fetchall()
        assert 2 == conn.execute("PRAGMA user_version").fetchone()[0]


def test_an_upgraded_log_has_the_schema_of_a_new_one(layout1, tmp_path):
    """Upgrading runs the same script as creating: the schemas are identical, statement for statement."""
    with AuditLog(layout1) as log:
        log.upgrade()
    AuditLog(tmp_path / "new.sqlite").close()
    schemas = []
    for p in (layout1, tmp_path / "new.sqlite"):
        with sqlite3.connect(p) as conn:
            schemas.append(sorted(conn.execute("SELECT type, name, sql FROM sqlite_master")))
    assert schemas[0] == schemas[1]


def test_a_damaged_layout1_log_is_refused_not_upgraded(layout1):
    """A layout-1 log with an edited entry is not upgraded (nothing is chained over it) and stays layout 1."""
    with sqlite3.connect(layout1) as conn:
        conn.execute("DROP TRIGGER entries_no_update")
        conn.execute("UPDATE entries SET outcome = 'eligible' WHERE seq = 2")
        conn.execute("CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, "
                     "'the audit log is append-only: entries rows cannot be updated'); END")
    with AuditLog(layout1) as log:
        with pytest.raises(AuditLogError, match="not upgraded: the log has 1 problem\\(s\\) as it is: entry 2: column "
                                                "outcome is 'eligible' but the verdict says 'ineligible'"):
            log.upgrade()
        assert 1 == log.layout
    with sqlite3.connect(layout1) as conn:
        assert (1, 0) == (conn.execute("PRAGMA user_version").fetchone()[0],
                          conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'chain'").fetchone()[0])


def test_a_layout1_entry_in_a_form_the_strict_contract_refuses_is_not_called_tampered(tmp_path):
    """An untouched layout-1 entry whose facts the strict contract refuses ("2017-06") is unreadable, not edited."""
    path = tmp_path / "old-forms.sqlite"  # written by the layout-1 code (8ff5b5d^1), facts with "2017-06"
    shutil.copy(DATA / "audit-layout1-old-forms.sqlite", path)
    with AuditLog(path) as log:
        problems = log.verify()
        with pytest.raises(AuditLogError, match="cannot be read by this version's facts contract"):
            log.upgrade()
    assert ["entry 1: its facts, stored as given by the layout-1 version, cannot be read by this version's facts "
            "contract (filings[0].review.at: expected an ISO 8601 timestamp with a time of day, exactly "
            "YYYY-MM-DDTHH:MM[:SS[.ffffff]] with Z or ±HH:MM (e.g. 2017-06-20T10:15:00+08:00); got '2017-07'), so "
            "they cannot be checked against the verdict stamp's facts_sha256 (not a sign of tampering by itself)"] \
        == [p for p in problems if not p.startswith("layout:")]


def test_an_upgraded_log_can_be_keyed_and_its_old_entries_are_checked(layout1, verdicts):
    """Upgrading with a key makes the log keyed; a later edit of an old entry is found by the chain."""
    with AuditLog(layout1, key=KEY) as log:
        log.upgrade()
        assert log.keyed
        head = log.head()
    with forger(layout1) as conn:
        conn.execute("UPDATE entries SET recorded_at = NULL WHERE seq = 1")
    assert ["entry 1: edited: its contents do not match its hash (HMAC with the given key)"] == \
        verify(layout1, key=KEY, expect_head=head)


def test_a_head_is_parsed_or_refused():
    """SEQ:HASH round-trips; anything else is a FactsError naming expect_head."""
    head = AuditHead(12, "a" * 64)
    assert head == AuditHead.parse(str(head))
    with pytest.raises(qnwmh_rules.FactsError, match="^expect_head: expected SEQ:HASH"):
        AuditHead.parse("12:xyz")


def test_an_empty_layout1_log_is_upgraded_too(tmp_path, verdicts):
    """A layout-1 log with no entries is upgraded the same way: entry 1 records it, appends follow."""
    from qnwmh_rules._audit import _LAYOUT1_SCHEMA, APPLICATION_ID, _run_script
    path = tmp_path / "empty.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    _run_script(conn, _LAYOUT1_SCHEMA)
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.execute("PRAGMA user_version=1")
    conn.close()
    with AuditLog(path) as log:
        assert (1, 2) == (log.upgrade(), log.append(*verdicts[0]))
        assert ("the log had no entries before this upgrade", []) == (log.migrations()[0][1]["note"], log.verify())


# -- found by breaking it (a forger with the file, an auditor years later) ---------------------------


def run_cli(argv, capsys):
    """Exit code and stderr of `qnwmh-rules` run in process."""
    from qnwmh_rules.cli import main

    code = main(argv)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("content", [b"", "empty sqlite"], ids=["zero-bytes", "sqlite-without-tables"])
@pytest.mark.parametrize("action", [["--verify"], ["--head"], ["--id", "GD-0001"], ["--upgrade"]])
def test_a_log_emptied_or_without_its_schema_is_refused_not_recreated(tmp_path, capsys, content, action):
    """`audit` on a log truncated to nothing (or a SQLite file with no log in it) refuses it in one line and
    leaves the file as it was; it does not make a new log there and call it clean."""
    path = tmp_path / "audit.sqlite"
    if content == "empty sqlite":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE t (x)")  # a file with SQLite's header and no tables left
        conn.execute("DROP TABLE t")
        conn.commit()
        conn.close()
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    code, err = run_cli(["audit", str(path), *action], capsys)
    assert (2, before) == (code, path.read_bytes())
    assert 1 == len(err.strip().splitlines()) and "not an audit log" in err, err
    with pytest.raises(AuditLogError, match="not an audit log"):
        AuditLog(path, create=False)


def test_a_path_that_is_not_a_file_is_named_as_such(tmp_path, capsys):
    """`audit` on a directory says it is a directory, in one line."""
    code, err = run_cli(["audit", str(tmp_path), "--verify"], capsys)
    assert 2 == code
    assert "is a directory" in err and 1 == len(err.strip().splitlines()), err


def test_verify_reads_one_state_of_a_log_others_append_to(plain, verdicts):
    """Entries appended by another process while verify reads the log are not mistaken for a cut of its end
    (verify reads one snapshot)."""
    path, _ = plain
    other = AuditLog(path)
    appended = []

    def append_meanwhile(statement):
        if not appended and "sqlite_sequence" in statement:
            appended.append(other.append(*verdicts[0]))

    try:
        with AuditLog(path) as log:
            log._live().set_trace_callback(append_meanwhile)
            problems = log.verify()
        assert ([6], []) == (appended, problems)
    finally:
        other.close()


def test_the_entries_counter_tells_a_cut_end_too(plain, verdicts):
    """With the last entry deleted and only the chain's counter set back, the entries' counter still says
    entry 5 was given: verify names it missing and append refuses the log."""
    path, _ = plain
    with forger(path) as conn:
        delete(conn, 5)
        conn.execute("UPDATE sqlite_sequence SET seq = 4 WHERE name = 'chain'")
    problems = verify(path)
    assert any(p.startswith("entry 5: missing") for p in problems), problems
    with AuditLog(path) as log, pytest.raises(AuditLogError, match="numbers up to 5"):
        log.append(*verdicts[0])


@pytest.mark.parametrize("statement", ["UPDATE sqlite_sequence SET seq = 'x' WHERE name = 'chain'",
                                       "UPDATE sqlite_sequence SET seq = 2 WHERE name = 'entries'",
                                       "DELETE FROM sqlite_sequence WHERE name = 'chain'"],
                         ids=["not-a-number", "below-the-last", "removed"])
def test_sqlite_counters_tampered_with_are_found(plain, statement):
    """SQLite's counters (sqlite_sequence) are set only by SQLite, never below the last number, never removed:
    one changed by hand is reported (it is how a cut of the last entries is hidden)."""
    path, _ = plain
    with forger(path) as conn:
        conn.execute(statement)
    problems = verify(path)
    assert 1 == len(problems) and problems[0].startswith("database: sqlite_sequence"), problems


def forge_migration(conn, note, key=None):
    """Append a migration entry with this record, chained and hashed as upgrade() would."""
    seq, prev = conn.execute("SELECT seq, sha256 FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
    note_json = json.dumps(note, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    conn.execute("INSERT INTO chain VALUES (?, 'migration', ?, ?, ?)",
                 (seq + 1, note_json, prev, chain_hash(seq + 1, "migration", None, None, None, note_json, prev, key)))
    return seq + 1


@pytest.mark.parametrize("note", [{}, {"entries": 1000}, {"from_layout": 1, "to_layout": 2, "entries": 1000,
                                                          "recorded_at": "2020-01-01T00:00:00+00:00"}],
                         ids=["empty", "entries-only", "wrong-count"])
def test_a_migration_record_an_upgrade_would_not_write_is_found(plain, note):
    """A migration entry must say what upgrade() writes: from layout 1 to 2, the entries before it (its seq - 1)
    and an aware recorded_at; anything else is named (it would mark later entries as written by layout 1)."""
    path, _ = plain
    with forger(path) as conn:
        seq = forge_migration(conn, note)
    problems = verify(path)
    assert any(p.startswith(f"entry {seq}: edited: its migration record") for p in problems), problems


def test_a_second_migration_is_found(layout1):
    """A log is upgraded from layout 1 once: a second migration entry is named."""
    with AuditLog(layout1) as log:
        first = log.upgrade(recorded_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    with forger(layout1) as conn:
        seq = forge_migration(conn, {"from_layout": 1, "to_layout": 2, "entries": first,
                                     "recorded_at": "2024-02-01T00:00:00+00:00"})
    problems = verify(layout1)
    assert any(p.startswith(f"entry {seq}: edited: its migration record") for p in problems), problems


@pytest.mark.parametrize("text", ["٦:" + "a" * 64, "６:" + "a" * 64, "6:" + "ａ" * 64])
def test_a_head_with_other_digits_than_ascii_is_refused(text):
    """A head is ASCII: digits of other scripts are refused, not read as numbers."""
    from qnwmh_rules.exceptions import FactsError

    with pytest.raises(FactsError):
        AuditHead.parse(text)


# -- the key, read from where the operator keeps it ------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(value=st.binary(min_size=16, max_size=80).filter(lambda b: b"\0" not in b and len(b.strip()) >= 16))
def test_a_key_in_the_environment_may_be_any_bytes(value):
    """Any bytes the environment can hold are read as a key: its UTF-8 text without the white space around it,
    or (not UTF-8) its bytes without the ASCII white space around them; never a traceback."""
    from qnwmh_rules._audit import read_key

    name = "QNWMH_TEST_AUDIT_KEY"
    os.environb[name.encode()] = value
    try:
        try:
            expected = value.decode("utf-8").strip().encode("utf-8")
        except UnicodeDecodeError:
            expected = value.strip()
        if len(expected) < 16:
            with pytest.raises(AuditLogError, match="at least 16"):
                read_key(env=name)
        else:
            assert expected == read_key(env=name)
    finally:
        del os.environb[name.encode()]


def test_a_key_file_without_end_is_refused(tmp_path):
    """A key file that never ends (/dev/zero) or is far too long is refused in one message, not read whole."""
    from qnwmh_rules._audit import MAX_KEY_BYTES, read_key

    long = tmp_path / "long.key"
    long.write_bytes(b"k" * (MAX_KEY_BYTES + 3))
    for path in ("/dev/zero", long):
        with pytest.raises(AuditLogError, match=f"more than {MAX_KEY_BYTES} bytes"):
            read_key(file=path)
    ok = tmp_path / "ok.key"
    ok.write_bytes(b"k" * MAX_KEY_BYTES + b"\r\n")
    assert b"k" * MAX_KEY_BYTES == read_key(file=ok)


def spans(problems):
    """The (first, last) entry numbers each problem line names, negative numbers included."""
    out = []
    for p in problems:
        m = re.match(r"entr(?:y (-?\d+)|ies (-?\d+)\.\.(-?\d+))", p)
        if m:
            lo = int(m.group(1) or m.group(2))
            out.append((lo, int(m.group(3) or lo)))
    return out


@settings(max_examples=30, deadline=None)
@given(seq=st.one_of(st.integers(min_value=-2 ** 63, max_value=0), st.integers(min_value=7, max_value=2 ** 63 - 1)),
       valid=st.booleans(), keyed_log=st.booleans())
def test_an_entry_at_any_number_sqlite_can_hold_is_found_quickly(tmp_path_factory, templates, seq, valid, keyed_log):
    """A copy of entry 2 stored under any number SQLite can hold (0, negative, far beyond the end), chained after
    entry 5 with its hash computed for that number or not: verify ends (it does not walk the numbers between) and
    names a number from the one entry 5 should be followed by to the forged one."""
    source, head = templates["keyed" if keyed_log else "plain"]
    path = tmp_path_factory.mktemp("far") / "audit.sqlite"
    shutil.copy(source, path)
    key = KEY if keyed_log else None
    with forger(path) as conn:
        row = conn.execute("SELECT * FROM entries WHERE seq = 2").fetchone()
        conn.execute("INSERT INTO entries VALUES (" + ", ".join("?" * len(row)) + ")", (seq, *row[1:]))
        conn.execute("INSERT INTO entry_rules SELECT ?, position, rule_id, outcome, severity FROM entry_rules "
                     "WHERE seq = 2", (seq,))
        prev = conn.execute("SELECT sha256 FROM chain WHERE seq = 5").fetchone()[0]
        sha = chain_hash(seq, "verdict", row[1], row[11], row[12], None, prev, key) if valid else "0" * 64
        conn.execute("INSERT INTO chain VALUES (?, 'verdict', NULL, ?, ?)", (seq, prev, sha))
    problems = verify(path, key=key, expect_head=str(head))
    lo, hi = (seq, seq) if seq < 1 else (6, seq)
    assert any(a <= hi and b >= lo for a, b in spans(problems)), problems


def test_sqlite_counters_set_far_beyond_the_end_are_reported_quickly(plain):
    """A counter set to the largest number SQLite holds: verify names the numbers missing as one run."""
    path, _ = plain
    with forger(path) as conn:
        conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'chain'", (2 ** 63 - 1,))
    assert [f"entries 6..{2 ** 63 - 1}: missing: deleted from the end (numbers up to {2 ** 63 - 1} were given, the "
            "chain ends at entry 5)"] == verify(path)


@pytest.mark.parametrize("seq", ["abc", 2.5, b"\0", 99])
def test_rule_rows_under_any_number_are_reported_with_other_problems(plain, seq):
    """Rule rows added by hand under a number that is no entry's (text, real, blob or an integer), alongside
    another problem: each is reported, never a traceback."""
    path, _ = plain
    with forger(path) as conn:
        conn.execute("INSERT INTO entry_rules VALUES (?, 0, 'x', 'passed', 'required')", (seq,))
        conn.execute("UPDATE entries SET recorded_at = 'x' WHERE seq = 2")
    problems = verify(path)
    assert any(repr(seq) in p or f"entry {seq}:" in p for p in problems), problems
    assert any(p.startswith("entry 2: edited") for p in problems), problems


@pytest.mark.parametrize("seq", [0, -3])
def test_a_layout1_entry_below_1_is_named_and_not_upgraded(layout1, seq):
    """A copy of an entry stored under a number below 1 in a layout-1 log is named, and the log is not upgraded."""
    with forger(layout1) as conn:
        row = conn.execute("SELECT * FROM entries WHERE seq = 1").fetchone()
        conn.execute("INSERT INTO entries VALUES (" + ", ".join("?" * len(row)) + ")", (seq, *row[1:]))
    assert f"entry {seq}: inserted: SQLite never gives a number below 1: it was added by hand" in verify(layout1)
    with AuditLog(layout1) as log, pytest.raises(AuditLogError, match=f"not upgraded.*entry {seq}: inserted"):
        log.upgrade()


@pytest.mark.parametrize("kind", ["migration", "foo"])
def test_a_chain_row_of_the_wrong_kind_is_named(plain, kind):
    """An entry whose chain row is made a migration (its verdict still there) or of an unknown kind (CHECK
    constraints ignored), with every hash from it on recomputed: verify alone names the entry."""
    path, _ = plain
    with forger(path) as conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        note = json.dumps({"entries": 2, "from_layout": 1, "recorded_at": "2020-01-01T00:00:00+00:00",
                           "to_layout": 2}, separators=(",", ":"), sort_keys=True)
        conn.execute("UPDATE chain SET kind = ?, note_json = ? WHERE seq = 3", (kind, note))
        rechain(conn, 3)
    problems = verify(path)
    assert any(p.startswith("entry 3: edited") for p in problems), problems


_KEYS = {"entries": ["seq"], "entry_rules": ["seq", "position"], "chain": ["seq"], "log_meta": ["name"],
         "sqlite_sequence": ["name"]}


def tweak(old, how):
    """A variation of a cell's old value, as a forger would make it."""
    if how == "upper":
        return old.upper() if isinstance(old, str) else old
    if how == "space":
        return f"{old} " if isinstance(old, str) else old
    if how == "bytes":
        return old.encode("utf-8", "surrogateescape") if isinstance(old, str) else old
    if how == "int_text":
        return str(old)
    if how == "plus_one":
        return old + 1 if isinstance(old, int) else old
    if how == "bad_utf8":
        return b"\xff" + (old.encode("utf-8", "surrogateescape") if isinstance(old, str) else b"")
    return old[:-1] if isinstance(old, (str, bytes)) else old


def dump(conn):
    """Every row of the log's tables with its values' SQLite types (what a change by hand can alter)."""
    out = {}
    for table in _KEYS:
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        conn.text_factory = bytes  # text as stored, UTF-8 or not
        sel = ", ".join(f"{c}, typeof({c})" for c in cols)
        out[table] = sorted(conn.execute(f"SELECT {sel} FROM {table}").fetchall(), key=repr)
        conn.text_factory = str
    return out


@settings(max_examples=80, deadline=None)
@given(edit=audit_cell_edits())
@example(edit={"table": "log_meta", "row": 0, "column": 0, "value": b"", "tweak": None, "keyed_log": True})
@example(edit={"table": "sqlite_sequence", "row": 0, "column": 1, "value": 2 ** 63 - 1, "tweak": None,
               "keyed_log": False})
@example(edit={"table": "chain", "row": 2, "column": 0, "value": -1, "tweak": None, "keyed_log": False})
@example(edit={"table": "entries", "row": 2, "column": 1, "value": None, "tweak": "bad_utf8", "keyed_log": False})
@example(edit={"table": "entries", "row": 0, "column": 11, "value": None, "tweak": "bad_utf8", "keyed_log": False})
@example(edit={"table": "log_meta", "row": 1, "column": 1, "value": None, "tweak": "bad_utf8", "keyed_log": True})
def test_any_cell_changed_by_hand_is_reported_and_nothing_else_is(tmp_path_factory, templates, edit):
    """Any one cell of any table (entries, rule rows, chain, header, SQLite's counters) set by hand to any value
    SQLite stores: verify (with the key, for a keyed log) reports a problem if and only if the stored data
    changed, in lines, never an exception."""
    source, _ = templates["keyed" if edit["keyed_log"] else "plain"]
    path = tmp_path_factory.mktemp("cell") / "audit.sqlite"
    shutil.copy(source, path)
    table = edit["table"]
    with forger(path) as conn:
        before = dump(conn)
        keys = _KEYS[table]
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        rows = conn.execute(f"SELECT {', '.join(keys)}, * FROM {table} ORDER BY {', '.join(keys)}").fetchall()
        row = rows[edit["row"] % len(rows)]
        col = cols[edit["column"] % len(cols)]
        old = row[len(keys) + cols.index(col)]
        new = edit["value"] if edit["tweak"] is None else tweak(old, edit["tweak"])
        value = "CAST(? AS TEXT)" if edit["tweak"] == "bad_utf8" else "?"
        try:
            conn.execute(f"UPDATE {table} SET {col} = {value} WHERE {' AND '.join(f'{k} = ?' for k in keys)}",
                         (new, *row[:len(keys)]))
        except sqlite3.IntegrityError:
            conn.rollback()  # refused by a constraint: nothing changed
        changed = dump(conn) != before
    problems = verify(path, key=KEY if edit["keyed_log"] else None)
    assert all(isinstance(p, str) and "\n" not in p and p.encode("utf-8") for p in problems)
    assert changed == bool(problems), (table, col, old, new, problems)
    assert not [p for p in problems if p.startswith("database: cannot be read")], problems  # every check ran


LOG_TABLES = ("entries", "entry_rules", "chain", "log_meta")


def drop_table(path, table):
    """Drop one of the log's tables (its triggers go with it)."""
    conn = sqlite3.connect(path)
    conn.execute(f"DROP TABLE {table}")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("table", LOG_TABLES)
def test_every_method_on_a_log_missing_a_table_answers_or_raises_audit_log_error(plain, verdicts, table):
    """With any one of its tables dropped, every public method of AuditLog returns or raises AuditLogError:
    no sqlite3 error escapes."""
    path, _ = plain
    drop_table(path, table)
    calls = {"verify": lambda log: log.verify(), "head": lambda log: log.head(), "query": lambda log: log.query(),
             "rule_ids": lambda log: log.rule_ids(), "migrations": lambda log: log.migrations(),
             "keyed": lambda log: log.keyed, "append": lambda log: log.append(*verdicts[0]),
             "upgrade": lambda log: log.upgrade()}
    for name, call in calls.items():
        with AuditLog(path, create=False) as log:
            try:
                call(log)
            except AuditLogError:
                pass
            except Exception as exc:  # noqa: BLE001 - the assertion names what escaped
                pytest.fail(f"{name}: {exc!r}")


@pytest.mark.parametrize("table", LOG_TABLES)
@pytest.mark.parametrize("action", [["--verify"], ["--head"], ["--verify", "--head"], ["--id", "GD-0001"],
                                    ["--rule", "basic.youth_share"], ["--upgrade"]])
def test_the_audit_command_on_a_log_missing_a_table_reports_it_in_lines(plain, capsys, table, action):
    """`audit` on a log missing one of its tables answers (a query or a head need not read that table), exits 1
    (problems listed) or 2 (one line): never a traceback."""
    path, _ = plain
    drop_table(path, table)
    code, err = run_cli(["audit", str(path), *action], capsys)
    assert code in (0, 1, 2), (code, err)
    assert (1 if "--verify" in action else code) == code


@pytest.fixture
def unwritable(monkeypatch):
    """Logs opened without create behave as in a folder this process cannot write: SQLite refuses the read-write
    open ("attempt to write a readonly database", as it does for an unprivileged auditor), the read-only one works."""
    original = AuditLog._connect

    def connect(self, mode):
        if mode == "rw":
            raise AuditLogError(f"{self.path}: cannot open the audit log") from sqlite3.OperationalError(
                "attempt to write a readonly database")
        return original(self, mode)

    monkeypatch.setattr(AuditLog, "_connect", connect)


def test_a_log_kept_read_only_is_verified_queried_and_headed_as_it_is(plain, verdicts, unwritable):
    """A log kept read-only as evidence (in a folder the auditor cannot write) is verified, queried and its head
    read; appending to it is refused in one message."""
    path, head = plain
    with AuditLog(path, create=False) as log:
        assert (True, [], head, 5) == (log.immutable, log.verify(expect_head=str(head)), log.head(), len(log.query()))
        with pytest.raises(AuditLogError, match="readonly"):
            log.append(*verdicts[0])


def test_last_changes_a_read_only_log_cannot_read_are_reported(plain, verdicts, monkeypatch):
    """When SQLite cannot read a read-only log's -wal file (its last entries), verify says so, not "no problems"."""
    path, _ = plain
    writer = AuditLog(path)
    writer._live().execute("PRAGMA wal_autocheckpoint = 0")
    writer.append(*verdicts[0])  # entry 6 is in the -wal file only while the writer keeps it open
    try:
        original = AuditLog._connect

        def connect(self, mode):
            if mode == "rw":
                raise AuditLogError("readonly") from sqlite3.OperationalError("attempt to write a readonly database")
            return original(self, mode)

        monkeypatch.setattr(AuditLog, "_connect", connect)
        with AuditLog(path, create=False) as log:
            problems = log.verify()
        assert 1 == len(problems) and "-wal" in problems[0] and "not checked" in problems[0], problems
    finally:
        writer.close()


def test_a_renumbered_migration_entry_is_named_renumbered_only(layout1):
    """An upgraded log whose entries (the migration entry included) were all moved up by one: they are named
    renumbered, and the migration record, which still fits the number it was recorded as, is not called edited."""
    with AuditLog(layout1) as log:
        log.upgrade(recorded_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    with forger(layout1) as conn:
        renumber(conn, after=0, by=1)
    problems = verify(layout1)
    assert not [p for p in problems if "migration record" in p], problems
    assert any(p.startswith("entries 2..5: renumbered") for p in problems), problems


def test_a_forged_migration_record_prints_no_note(plain, capsys):
    """`audit --verify` names a migration record that is not an upgrade's and prints no note made of its gaps."""
    path, _ = plain
    with forger(path) as conn:
        forge_migration(conn, {"entries": 5})
    code, err = run_cli(["audit", str(path), "--verify"], capsys)
    assert 1 == code
    assert "None" not in err and "note:" not in err, err


def edit_cell(conn, edit):
    """Apply one audit_cell_edits() edit with a raw connection; a change a constraint refuses is left out."""
    table = edit["table"]
    keys = _KEYS[table]
    cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    conn.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
    rows = conn.execute(f"SELECT {', '.join(keys)}, * FROM {table} ORDER BY {', '.join(keys)}").fetchall()
    conn.text_factory = str
    if not rows:
        return
    row = rows[edit["row"] % len(rows)]
    col = cols[edit["column"] % len(cols)]
    old = row[len(keys) + cols.index(col)]
    new = edit["value"] if edit["tweak"] is None else tweak(old, edit["tweak"])
    if isinstance(new, str):
        new = new.encode("utf-8", "surrogateescape")
        value = "CAST(? AS TEXT)"
    else:
        value = "CAST(? AS TEXT)" if edit["tweak"] == "bad_utf8" else "?"
    key_values = [k.encode("utf-8", "surrogateescape") if isinstance(k, str) else k for k in row[:len(keys)]]
    where = " AND ".join(f"{k} = CAST(? AS TEXT)" if isinstance(v, bytes) and not isinstance(row[i], bytes)
                         else f"{k} = ?" for i, (k, v) in enumerate(zip(keys, key_values, strict=True)))
    conn.execute("SAVEPOINT edit")
    try:
        conn.execute(f"UPDATE {table} SET {col} = {value} WHERE {where}", (new, *key_values))
        conn.execute("RELEASE edit")
    except (sqlite3.IntegrityError, OverflowError):  # refused by a constraint, or beyond 64 bits
        conn.execute("ROLLBACK TO edit")
        conn.execute("RELEASE edit")


@settings(max_examples=60, deadline=None)
@given(edits=st.lists(audit_cell_edits(), min_size=2, max_size=4))
def test_a_few_cells_changed_by_hand_are_reported_and_nothing_else_is(tmp_path_factory, templates, edits):
    """Two to four cells of any tables set by hand, in turn: verify reports a problem if and only if the stored
    data changed, and every check runs."""
    keyed_log = edits[0]["keyed_log"]
    source, _ = templates["keyed" if keyed_log else "plain"]
    path = tmp_path_factory.mktemp("cells") / "audit.sqlite"
    shutil.copy(source, path)
    with forger(path) as conn:
        before = dump(conn)
        for edit in edits:
            edit_cell(conn, edit)
        changed = dump(conn) != before
    problems = verify(path, key=KEY if keyed_log else None)
    assert changed == bool(problems), (edits, problems)
    assert not [p for p in problems if p.startswith("database: cannot be read")], problems
