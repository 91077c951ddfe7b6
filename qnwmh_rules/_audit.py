"""The audit log: an optional append-only store of verdicts with the facts they were given.

Owns: the SQLite file layout (embedded, through the standard library ``sqlite3``), appending
one verdict with its input facts in one transaction, querying entries back (by subject id,
verdict outcome, or one rule's outcome), re-checking stored entries (``verify``), refusing
edits (triggers), the schema version (``PRAGMA user_version``) and ``AuditLogError``.
Must not know durable_rules or how verdicts are decided: it stores ``Verdict`` objects as
their canonical JSON and reads back only what the verdict and its stamp say.

Layout (schema version 1):

- ``entries``: one row per append. ``seq`` (1, 2, 3, ...; never reused), ``recorded_at``,
  the verdict's ``subject_id`` and ``outcome``, its stamp's ``ruleset_id``, ``term``,
  ``version``, ``region``, ``ruleset_sha256``, ``as_of`` and ``facts_sha256``, then
  ``verdict_json`` (``Verdict.to_json(indent=None)``), ``facts_json`` (the input facts as
  given: sorted keys, real UTF-8) and ``entry_sha256`` = sha256 of
  ``verdict_json + "\\n" + facts_json`` (UTF-8).
- ``entry_rules``: one row per rule of each verdict (``seq``, ``position``, ``rule_id``,
  ``outcome``, ``severity``), there only so that queries by rule need not parse JSON.

The stamp's ``facts_sha256`` is over the library's normalised facts, not the raw input, so
it cannot be recomputed from ``facts_json``; ``entry_sha256`` is what ``verify`` checks.

Time: the library never reads the wall clock. ``recorded_at`` is whatever the caller passes
to ``append`` (stored as ISO 8601), or NULL when it passes nothing.

Durability: WAL journal mode and ``synchronous=FULL``; each append is one transaction, so a
crash (or a failed statement) leaves either the whole entry or none of it, and never loses
an entry whose ``append`` returned. The triggers refuse UPDATE and DELETE on both tables,
from this library or any other SQLite client; they guard against mistakes, not against
someone who drops them (``verify`` reports missing triggers and deleted entries).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import attrs

from .exceptions import FactsError, QnwmhError
from .verdict import OUTCOMES, RULE_OUTCOMES, RuleOutcome, Verdict

__all__ = ["AuditLog", "AuditEntry", "AuditLogError", "SCHEMA_VERSION"]

# The layout version written to PRAGMA user_version. A later version adds a step to
# _MIGRATIONS (from version n to n + 1) and raises this number.
SCHEMA_VERSION = 1
# PRAGMA application_id: marks the file as a qnwmh audit log ("qnwa"), so that another
# application's SQLite file is refused rather than written into.
APPLICATION_ID = 0x716E7761

_MIGRATIONS: dict[int, str] = {}  # from version n: the SQL script that makes it n + 1

_TABLES = ("entries", "entry_rules")
_TRIGGERS = tuple(f"{t}_no_{op}" for t in _TABLES for op in ("update", "delete"))

_SCHEMA = """
CREATE TABLE entries (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at    TEXT,            -- ISO 8601 as the caller gave it, or NULL
    subject_id     TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    ruleset_id     TEXT NOT NULL,
    term           TEXT NOT NULL,
    version        TEXT NOT NULL,
    region         TEXT,
    ruleset_sha256 TEXT NOT NULL,
    as_of          TEXT,
    facts_sha256   TEXT NOT NULL,   -- the stamp's: over the library's normalised facts
    verdict_json   TEXT NOT NULL,   -- Verdict.to_json(indent=None)
    facts_json     TEXT NOT NULL,   -- the input facts: sorted keys, UTF-8
    entry_sha256   TEXT NOT NULL    -- sha256(verdict_json || char(10) || facts_json)
);
CREATE TABLE entry_rules (
    seq      INTEGER NOT NULL REFERENCES entries (seq),
    position INTEGER NOT NULL,
    rule_id  TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    severity TEXT NOT NULL,
    PRIMARY KEY (seq, position)
) WITHOUT ROWID;
CREATE INDEX entries_by_subject ON entries (subject_id);
CREATE INDEX entries_by_outcome ON entries (outcome);
CREATE INDEX entry_rules_by_rule ON entry_rules (rule_id, outcome);
""" + "".join(
    f"CREATE TRIGGER {t}_no_{op} BEFORE {op.upper()} ON {t} BEGIN "
    f"SELECT RAISE(ABORT, 'the audit log is append-only: {t} rows cannot be {op}d'); END;\n"
    for t in _TABLES for op in ("update", "delete")
)

_INSERT_COLUMNS = ("recorded_at, subject_id, outcome, ruleset_id, term, version, region, ruleset_sha256, "
                   "as_of, facts_sha256, verdict_json, facts_json, entry_sha256")
_ENTRY_COLUMNS = "seq, " + _INSERT_COLUMNS


# OSError rather than RuntimeError: every AuditLogError is about the file the caller named
# (not a database, made by a newer version, locked, disk full, unwritable), the same family
# as FileNotFoundError and PermissionError, which callers such as the CLI already catch for
# "this path cannot be used". RuntimeError here means a defect (EvaluationError), and this is
# not one.
class AuditLogError(QnwmhError, OSError):
    """The audit log file cannot be opened, read or written; ``str(exc)`` names the file."""


@attrs.frozen
class AuditEntry:
    """One stored verdict: its sequence number, when the caller said it was recorded, and the
    verdict and input facts as they were appended."""

    seq: int
    recorded_at: dt.datetime | None
    subject_id: str
    outcome: str
    ruleset_id: str
    term: str
    version: str
    region: str | None
    as_of: str | None
    verdict: Verdict
    facts: dict[str, Any]


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # Statement by statement inside the caller's transaction (executescript would COMMIT first).
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            conn.execute(pending)
            pending = ""
    if pending.strip():
        raise AssertionError(f"incomplete SQL statement in the audit log schema: {pending!r}")


def _canonical_json(doc: Any) -> str:
    # The same form as Verdict.to_json(indent=None): sorted keys, real UTF-8.
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, allow_nan=False)


def _entry_sha256(verdict_json: str, facts_json: str) -> str:
    return hashlib.sha256(f"{verdict_json}\n{facts_json}".encode()).hexdigest()


def _rule_rows(seq: int, rules: tuple[RuleOutcome, ...]) -> list[tuple[int, int, str, str, str]]:
    return [(seq, i, r.id, r.outcome, r.severity) for i, r in enumerate(rules)]


class AuditLog:
    """An append-only log of verdicts in one SQLite file (``":memory:"`` for a throw-away one).

    ``AuditLog(path)`` creates the file with its schema if it is new or empty, and refuses
    (``AuditLogError``) a file that is not SQLite, another application's SQLite file, or an
    audit log written by a newer version of the layout. Use it as a context manager or call
    ``close()``. One ``AuditLog`` is for one thread; several processes may append to one file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._conn: sqlite3.Connection | None = None
        try:
            # isolation_level=None: no implicit transactions; append() runs BEGIN/COMMIT itself.
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
        except sqlite3.Error as exc:
            raise AuditLogError(f"{self.path}: cannot open the audit log: {exc}") from exc
        try:
            self._open(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if "not a database" in str(exc):
                raise AuditLogError(f"{self.path}: not an audit log (not a SQLite database file)") from exc
            raise AuditLogError(f"{self.path}: cannot open the audit log: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def _open(self, conn: sqlite3.Connection) -> None:
        # Reading the header first: a file that is not SQLite fails here, before anything is written.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        self._check_ownership(conn, version, app_id)
        # WAL is a property of the file and cannot change inside a transaction. Where WAL is not
        # available (":memory:", some network file systems) SQLite keeps its rollback journal,
        # which with synchronous=FULL is as crash-safe, only slower.
        conn.execute("PRAGMA journal_mode=WAL").fetchone()
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Read again under the write lock: another process may have created the schema meanwhile.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            self._check_ownership(conn, version, app_id)
            if version < SCHEMA_VERSION:
                if version == 0:
                    _run_script(conn, _SCHEMA)
                    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
                    version = 1
                while version < SCHEMA_VERSION:
                    _run_script(conn, _MIGRATIONS[version])
                    version += 1
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _check_ownership(self, conn: sqlite3.Connection, version: int, app_id: int) -> None:
        if version == 0 and app_id == 0:
            if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise AuditLogError(f"{self.path}: not an audit log (a SQLite database of another application)")
            return
        if app_id != APPLICATION_ID:
            raise AuditLogError(f"{self.path}: not an audit log (a SQLite database of another application, "
                                f"application_id {app_id:#x})")
        if version > SCHEMA_VERSION:
            raise AuditLogError(f"{self.path}: the audit log has layout version {version}, newer than the "
                                f"{SCHEMA_VERSION} this version of qnwmh_rules reads; upgrade qnwmh_rules")

    # -- life cycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the file (committed entries are already on disk). Closing twice is harmless."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise AuditLogError(f"{self.path}: the audit log is closed")
        return self._conn

    # -- writing ----------------------------------------------------------------------------

    def append(self, verdict: Verdict, facts: Mapping[str, Any], *, recorded_at: dt.datetime | None = None) -> int:
        """Store ``verdict`` with the ``facts`` it was evaluated from; return its sequence number.

        ``recorded_at`` is stored as given (ISO 8601), or NULL: the library never reads the
        clock, so a caller that wants a time passes it. All rows of the entry are written in
        one transaction, or none are (``AuditLogError`` then says why).
        """
        conn = self._live()
        if not isinstance(verdict, Verdict):
            raise FactsError("verdict", f"expected a qnwmh_rules.Verdict, got {type(verdict).__name__}")
        if not isinstance(facts, Mapping):
            raise FactsError("(facts)", f"expected a mapping of facts, got {type(facts).__name__}")
        if recorded_at is not None and not isinstance(recorded_at, dt.datetime):
            raise FactsError("recorded_at", f"expected a datetime.datetime or None, got {type(recorded_at).__name__}")
        try:
            facts_json = _canonical_json(dict(facts))
        except (TypeError, ValueError) as exc:
            raise FactsError("(facts)", f"the facts are not JSON data, so cannot be stored: {exc}") from exc
        verdict_json = verdict.to_json(indent=None)
        stamp = verdict.stamp
        row = (None if recorded_at is None else recorded_at.isoformat(), verdict.subject_id, verdict.outcome,
               stamp.ruleset_id, stamp.term, stamp.version, stamp.region, stamp.ruleset_sha256, stamp.as_of,
               stamp.facts_sha256, verdict_json, facts_json, _entry_sha256(verdict_json, facts_json))
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                seq = self._insert_entry(conn, row)
                self._insert_rules(conn, seq, verdict.rules)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise AuditLogError(f"{self.path}: cannot append the verdict for {verdict.subject_id}: {exc}") from exc
        return seq

    def _insert_entry(self, conn: sqlite3.Connection, row: tuple[Any, ...]) -> int:
        cur = conn.execute(f"INSERT INTO entries ({_INSERT_COLUMNS}) "
                           f"VALUES ({', '.join('?' * len(row))})", row)
        seq = cur.lastrowid
        assert seq is not None
        return seq

    def _insert_rules(self, conn: sqlite3.Connection, seq: int, rules: tuple[RuleOutcome, ...]) -> None:
        conn.executemany("INSERT INTO entry_rules (seq, position, rule_id, outcome, severity) VALUES (?, ?, ?, ?, ?)",
                         _rule_rows(seq, rules))

    # -- reading ----------------------------------------------------------------------------

    def query(self, *, subject_id: str | None = None, rule_id: str | None = None, outcome: str | None = None,
              rule_outcome: str | None = None, limit: int | None = None) -> list[AuditEntry]:
        """Entries in ``seq`` order that match every filter given.

        ``outcome`` is the verdict's outcome; ``rule_id`` and ``rule_outcome`` select entries
        with a rule of that id and/or outcome (``rule_id="basic.youth_share",
        rule_outcome="failed"``); ``limit`` keeps the first ``limit`` entries.
        """
        conn = self._live()
        if outcome is not None and outcome not in OUTCOMES:
            raise FactsError("outcome", f"unknown verdict outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
        if rule_outcome is not None and rule_outcome not in RULE_OUTCOMES:
            raise FactsError("rule_outcome",
                             f"unknown rule outcome {rule_outcome!r}; expected one of {', '.join(RULE_OUTCOMES)}")
        if limit is not None and (type(limit) is not int or limit < 0):
            raise FactsError("limit", f"expected a non-negative integer or None, got {limit!r}")
        where: list[str] = []
        args: list[Any] = []
        if subject_id is not None:
            where.append("e.subject_id = ?")
            args.append(subject_id)
        if outcome is not None:
            where.append("e.outcome = ?")
            args.append(outcome)
        if rule_id is not None or rule_outcome is not None:
            rule_where = ["r.seq = e.seq"]
            if rule_id is not None:
                rule_where.append("r.rule_id = ?")
                args.append(rule_id)
            if rule_outcome is not None:
                rule_where.append("r.outcome = ?")
                args.append(rule_outcome)
            where.append(f"EXISTS (SELECT 1 FROM entry_rules r WHERE {' AND '.join(rule_where)})")
        sql = f"SELECT {', '.join('e.' + c for c in _ENTRY_COLUMNS.split(', '))} FROM entries e"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY e.seq"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        try:
            rows = conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise AuditLogError(f"{self.path}: cannot read the audit log: {exc}") from exc
        return [self._entry(row) for row in rows]

    def _entry(self, row: tuple[Any, ...]) -> AuditEntry:
        (seq, recorded_at, subject_id, outcome, ruleset_id, term, version, region, _ruleset_sha256, as_of,
         _facts_sha256, verdict_json, facts_json, _entry_sha) = row
        try:
            verdict = Verdict.from_dict(json.loads(verdict_json))
            facts = json.loads(facts_json)
            when = None if recorded_at is None else dt.datetime.fromisoformat(recorded_at)
        except (KeyError, TypeError, ValueError) as exc:
            raise AuditLogError(f"{self.path}: entry {seq} is damaged ({exc}); verify() lists every damaged entry"
                                ) from exc
        return AuditEntry(seq=seq, recorded_at=when, subject_id=subject_id, outcome=outcome, ruleset_id=ruleset_id,
                          term=term, version=version, region=region, as_of=as_of, verdict=verdict, facts=facts)

    def verify(self) -> list[str]:
        """Re-check the whole log; return one line per problem found (an empty list: all is well).

        Checks SQLite's own page structure (``PRAGMA quick_check``), that the triggers are in
        place, and for every entry: ``entry_sha256`` still matches ``verdict_json`` and
        ``facts_json``, the verdict reads back with ``Verdict.from_dict`` and agrees with the
        entry's columns and rule rows, the facts are a JSON object, and no entry is missing
        from the sequence (``seq`` is 1, 2, 3, ... with no gap, up to the last ever given).
        """
        conn = self._live()
        problems: list[str] = []
        try:
            checked = [r[0] for r in conn.execute("PRAGMA quick_check")]
            if checked != ["ok"]:
                problems.extend(f"database: {line}" for line in checked)
            present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
            problems.extend(f"trigger {name} is missing: the log can be edited" for name in _TRIGGERS
                            if name not in present)
            expected_seq = 1
            for row in conn.execute(f"SELECT {_ENTRY_COLUMNS} FROM entries ORDER BY seq"):
                seq = row[0]
                if seq != expected_seq:
                    problems.append(f"entries {expected_seq}..{seq - 1} are missing")
                expected_seq = seq + 1
                problems.extend(f"entry {seq}: {p}" for p in self._check_entry(conn, row))
            last = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'entries'").fetchone()
            if last is not None and last[0] >= expected_seq:
                problems.append(f"entries {expected_seq}..{last[0]} are missing")
            for (seq,) in conn.execute("SELECT DISTINCT seq FROM entry_rules WHERE seq NOT IN "
                                       "(SELECT seq FROM entries) ORDER BY seq"):
                problems.append(f"entry {seq}: rule rows without an entry")
        except sqlite3.DatabaseError as exc:
            problems.append(f"database: cannot be read: {exc}")
        return problems

    def _check_entry(self, conn: sqlite3.Connection, row: tuple[Any, ...]) -> list[str]:
        (seq, recorded_at, subject_id, outcome, ruleset_id, term, version, region, ruleset_sha256, as_of,
         facts_sha256, verdict_json, facts_json, entry_sha) = row
        problems: list[str] = []
        if not (isinstance(verdict_json, str) and isinstance(facts_json, str)):
            return ["verdict_json or facts_json is not text"]
        if _entry_sha256(verdict_json, facts_json) != entry_sha:
            problems.append("entry_sha256 does not match verdict_json and facts_json")
        try:
            facts = json.loads(facts_json)
            if not isinstance(facts, dict):
                problems.append("facts_json is not a JSON object")
        except ValueError as exc:
            problems.append(f"facts_json is not JSON: {exc}")
        if recorded_at is not None:
            try:
                dt.datetime.fromisoformat(recorded_at)
            except (TypeError, ValueError):
                problems.append(f"recorded_at {recorded_at!r} is not an ISO 8601 date and time")
        try:
            verdict = Verdict.from_dict(json.loads(verdict_json))
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"verdict_json does not read back as a Verdict: {exc!r}")
            return problems
        s = verdict.stamp
        columns = {"subject_id": (subject_id, verdict.subject_id), "outcome": (outcome, verdict.outcome),
                   "ruleset_id": (ruleset_id, s.ruleset_id), "term": (term, s.term), "version": (version, s.version),
                   "region": (region, s.region), "ruleset_sha256": (ruleset_sha256, s.ruleset_sha256),
                   "as_of": (as_of, s.as_of), "facts_sha256": (facts_sha256, s.facts_sha256)}
        problems.extend(f"column {name} is {stored!r} but the verdict says {said!r}"
                        for name, (stored, said) in columns.items() if stored != said)
        stored_rules = conn.execute("SELECT seq, position, rule_id, outcome, severity FROM entry_rules "
                                    "WHERE seq = ? ORDER BY position", (seq,)).fetchall()
        if stored_rules != _rule_rows(seq, verdict.rules):
            problems.append("rule rows do not match the verdict's rules")
        return problems
