"""The audit log: an append-only, hash-chained store of verdicts with the facts they were given.

Owns: the SQLite file layout (embedded, through the standard library ``sqlite3``), appending
one verdict with its facts in one transaction, the hash chain over the entries (plain SHA-256,
or HMAC-SHA-256 with a key the log never stores; the formulas and the reading of a broken
chain live in ``_audit_chain``), querying entries back (by subject id,
verdict outcome, or one rule's outcome), re-checking the whole log (``verify``), the chain
head (``head``) an operator keeps elsewhere, refusing edits (triggers), the layout version
(``PRAGMA user_version``) and its upgrade, and ``AuditLogError``.
Must not know durable_rules or how verdicts are decided: it stores ``Verdict`` objects as
their canonical JSON and reads back only what the verdict and its stamp say. It knows the
facts contract only to normalise the facts as the stamp hashed them (``facts.parse_facts``).

Layout 2 (``PRAGMA user_version = 2``; a new log is made by layout 1's script, then the
step 1 → 2, so that an upgraded log and a new one have the same schema, statement for
statement):

- ``entries``: one row per verdict. ``seq`` (1, 2, 3, ...; never reused), ``recorded_at``
  (ISO 8601 with its UTC offset), the verdict's ``subject_id`` and ``outcome``, its stamp's
  ``ruleset_id``, ``term``, ``version``, ``region``, ``ruleset_sha256``, ``as_of`` and
  ``facts_sha256``, then ``verdict_json`` (``Verdict.to_json(indent=None)``), ``facts_json``
  and ``entry_sha256`` = sha256 of ``verdict_json + "\\n" + facts_json`` (layout 1's own hash,
  still written and checked). From layout 2 on, ``facts_json`` is the facts exactly as the
  stamp hashed them (normalised: absent facts left out, dates ``YYYY-MM-DD``, timestamps in
  the ruleset's zone; compact JSON, sorted keys), so ``sha256(facts_json)`` must equal
  ``facts_sha256``. Entries written by layout 1 hold the facts as the caller gave them.
- ``entry_rules``: one row per rule of each verdict (``seq``, ``position``, ``rule_id``,
  ``outcome``, ``severity``), there only so that queries by rule need not parse JSON.
- ``chain``: one row per entry of the log, with the same ``seq``: ``kind`` (``verdict``, or
  ``migration`` for the record of an upgrade, which has no ``entries`` row), ``note_json``
  (a migration's record), ``prev_sha256`` (the previous chain row's ``sha256``; for seq 1 the
  log's genesis hash) and ``sha256`` = H(the UTF-8 bytes of the JSON array
  ``["qnwmh-rules audit chain 1", seq, kind, recorded_at, verdict_json, facts_json,
  note_json, prev_sha256]``, compact separators, non-ASCII as is), where H is SHA-256 or,
  in a keyed log, HMAC-SHA-256 with the key.
- ``log_meta``: ``log_id`` (random, 32 hex digits), ``hash`` (``sha256`` or
  ``hmac-sha256``) and, when keyed, ``key_id`` (the first 16 hex digits of
  HMAC-SHA-256(key, "qnwmh-rules audit key id"): it names the key without revealing it).
  The genesis hash is H(``["qnwmh-rules audit log", log_id, hash]``).

Time: ``recorded_at`` is the one place the library reads the wall clock: when the caller
gives no time, ``append`` records the current time in UTC. A time without a zone is refused.

Durability: WAL journal mode and ``synchronous=FULL``; each append is one transaction, so a
crash (or a failed statement) leaves either the whole entry or none of it, and never loses
an entry whose ``append`` returned. Triggers refuse UPDATE and DELETE on every table, from
this library or any other SQLite client; they guard against mistakes, not against someone
who drops them: the chain, the head kept elsewhere and the key are what prove the log.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import sqlite3
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any

import attrs

from ._audit_chain import JOINED, AuditHead, Hash, Link, Problem, anchor_problems, diagnose, key_id, render
from ._catalogue import __version__
from .exceptions import FactsError, QnwmhError
from .facts import SUBJECTS, Facts, parse_facts
from .verdict import OUTCOMES, RULE_OUTCOMES, RuleOutcome, Verdict

__all__ = ["AuditLog", "AuditEntry", "AuditHead", "AuditLogError", "SCHEMA_VERSION"]

# The layout version written to PRAGMA user_version. A later version adds a step to
# _MIGRATIONS (from version n to n + 1) and raises this number.
SCHEMA_VERSION = 2
# PRAGMA application_id: marks the file as a qnwmh audit log ("qnwa"), so that another
# application's SQLite file is refused rather than written into.
APPLICATION_ID = 0x716E7761
MIN_KEY_BYTES = 16
# A key file is read up to this many bytes (and its line break): a longer one is the wrong file
# (or /dev/zero), and is refused rather than read whole.
MAX_KEY_BYTES = 4096



def _triggers(tables: Iterable[str]) -> str:
    return "".join(
        f"CREATE TRIGGER {t}_no_{op} BEFORE {op.upper()} ON {t} BEGIN "
        f"SELECT RAISE(ABORT, 'the audit log is append-only: {t} rows cannot be {op}d'); END;\n"
        for t in tables for op in ("update", "delete"))


_LAYOUT1_SCHEMA = """
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
""" + _triggers(("entries", "entry_rules"))

# from version n: the SQL script that makes it n + 1
_MIGRATIONS: dict[int, str] = {1: """
CREATE TABLE log_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE chain (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,  -- the entry's seq
    kind        TEXT NOT NULL CHECK (kind IN ('verdict', 'migration')),
    note_json   TEXT,                               -- a migration's record
    prev_sha256 TEXT NOT NULL,                      -- the previous row's sha256, or the genesis hash
    sha256      TEXT NOT NULL                       -- H(seq, kind, recorded_at, verdict, facts, note, prev)
);
""" + _triggers(("log_meta", "chain"))}

_INSERT_COLUMNS = ("seq, recorded_at, subject_id, outcome, ruleset_id, term, version, region, ruleset_sha256, "
                   "as_of, facts_sha256, verdict_json, facts_json, entry_sha256")
_ENTRY_COLUMNS = _INSERT_COLUMNS



# OSError rather than RuntimeError: every AuditLogError is about the file the caller named
# (not a database, made by a newer version, locked, disk full, unwritable, wrong key), the
# same family as FileNotFoundError and PermissionError, which callers such as the CLI
# already catch for "this path cannot be used". RuntimeError here means a defect
# (EvaluationError), and this is not one.
class AuditLogError(QnwmhError, OSError):
    """The audit log file cannot be opened, read or written; ``str(exc)`` names the file."""


@attrs.frozen
class AuditEntry:
    """One stored verdict: its sequence number, when it was recorded, and the verdict and
    facts as they were appended (from layout 2 on, the facts as the stamp hashed them)."""

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


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction (``BEGIN IMMEDIATE``): committed when the block ends, even by a
    ``return``; rolled back if anything is raised in it (which is raised again)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _chain_link(conn: sqlite3.Connection, h: Hash, seq: int, kind: str, when: str | None, verdict_json: str | None,
                facts_json: str | None, note_json: str | None, prev: str) -> str:
    """Chain entry ``seq`` (a ``verdict`` or a ``migration``) after ``prev``: its hash, stored and returned."""
    sha = h.link(seq, kind, when, verdict_json, facts_json, note_json, prev)
    conn.execute("INSERT INTO chain (seq, kind, note_json, prev_sha256, sha256) VALUES (?, ?, ?, ?, ?)",
                 (seq, kind, note_json, prev, sha))
    return sha


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _compact_json(doc: Any) -> str:
    # The form the stamp's facts_sha256 is computed over (qnwmh_rules._api): sorted keys,
    # compact separators, real UTF-8.
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


# surrogateescape: text verify read with bytes that are not UTF-8 is hashed as the bytes stored.
def _entry_sha256(verdict_json: str, facts_json: str) -> str:
    return hashlib.sha256(f"{verdict_json}\n{facts_json}".encode("utf-8", "surrogateescape")).hexdigest()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _rule_rows(seq: int, rules: tuple[RuleOutcome, ...]) -> list[tuple[int, int, str, str, str]]:
    return [(seq, i, r.id, r.outcome, r.severity) for i, r in enumerate(rules)]


def _normalised_facts(facts: Any) -> tuple[list[str], list[FactsError]]:
    """The facts as each kind of subject's contract normalises them (compact JSON), and the
    errors of the kinds that refused them."""
    if isinstance(facts, Facts):
        return [_compact_json(facts.canonical)], []
    texts: list[str] = []
    errors: list[FactsError] = []
    for subject in SUBJECTS:
        try:
            texts.append(_compact_json(parse_facts(facts, subject=subject).canonical))
        except FactsError as exc:
            errors.append(exc)
    return texts, errors


def _legacy_facts_match(facts_json: str, facts_sha256: str) -> tuple[bool, FactsError | None]:
    """Whether layout-1 facts (as the caller gave them) normalise to the stamp's hash; when they do
    not and no kind of subject's contract reads them (a form the layout-1 version accepted and this
    one refuses, e.g. ``"2017-06"``), the error that refused them, so that the entry is not called
    edited when it only cannot be checked."""
    try:
        doc = json.loads(facts_json)
    except ValueError:
        return False, None
    if _sha256(facts_json) == facts_sha256:
        return True, None
    texts, errors = _normalised_facts(doc)
    if any(_sha256(t) == facts_sha256 for t in texts):
        return True, None
    return False, (errors[0] if errors and not texts else None)


def read_key(*, file: str | os.PathLike[str] | None = None, env: str | None = None) -> bytes:
    """The key of a keyed log, from a file (its bytes, one trailing line break dropped) or an
    environment variable (its value, UTF-8, surrounding white space dropped; a value that is
    not UTF-8: its bytes, surrounding ASCII white space dropped); exactly one of the two.
    At least 16 bytes, and a file at most 4096; ``AuditLogError`` says what is wrong. A good key:
    ``python -c "import secrets; print(secrets.token_hex(32))" > audit.key``."""
    if (file is None) == (env is None):
        raise FactsError("key", "give the key's file or its environment variable, not both or neither")
    if file is not None:
        try:
            with open(file, "rb") as f:
                key = f.read(MAX_KEY_BYTES + 3)
        except OSError as exc:
            raise AuditLogError(f"{os.fspath(file)}: cannot read the audit log key: {exc.strerror}") from exc
        if len(key) > MAX_KEY_BYTES + 2 or (len(key) > MAX_KEY_BYTES and key[MAX_KEY_BYTES:] not in (b"\n", b"\r\n")):
            raise AuditLogError(f"{os.fspath(file)}: the key file holds more than {MAX_KEY_BYTES} bytes; an audit log "
                                f"key is {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes: is it the right file?")
        for ending in (b"\r\n", b"\n"):
            if key.endswith(ending):
                key = key[: -len(ending)]
                break
        where = f"the key file {os.fspath(file)}"
    else:
        assert env is not None
        value = os.environ.get(env)
        if value is None:
            raise AuditLogError(f"the environment variable {env} (the audit log key) is not set")
        raw = os.fsencode(value)  # the bytes the environment holds (not UTF-8: surrogate escapes undone)
        try:
            key = raw.decode("utf-8").strip().encode("utf-8")
        except UnicodeDecodeError:
            key = raw.strip()
        where = f"the environment variable {env}"
    if len(key) < MIN_KEY_BYTES:
        raise AuditLogError(f"{where} holds {len(key)} bytes; an audit log key needs at least {MIN_KEY_BYTES} "
                            "(e.g. python -c \"import secrets; print(secrets.token_hex(32))\")")
    return key


class AuditLog:
    """An append-only, hash-chained log of verdicts in one SQLite file (``":memory:"`` for a
    throw-away one).

    ``AuditLog(path)`` creates the file with its schema if it is new or empty (with
    ``create=False`` it refuses such a file, and a missing one: to read, verify or upgrade an
    existing log, an emptied file must not become a new, clean log; a log it cannot write is
    then opened as an unchanging file, ``immutable`` true), and refuses
    (``AuditLogError``) a file that is not SQLite, another application's SQLite file, or an
    audit log written by a newer version of the layout. ``key`` (bytes, at least 16; see
    ``read_key``) makes a new log keyed (HMAC-SHA-256) and is needed to append to a keyed log
    and to check its hashes; it is never written to the file. A log of layout 1 (written
    before the hash chain) can be queried and verified, but ``append`` refuses it until
    ``upgrade()``. Use it as a context manager or call ``close()``. One ``AuditLog`` is for
    one thread; several processes may append to one file.
    """

    def __init__(self, path: str | os.PathLike[str], *, key: bytes | None = None, create: bool = True) -> None:
        self.path = os.fspath(path)
        self._create = create
        if key is not None and (not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES):
            got = f"{len(key)} bytes" if isinstance(key, bytes) else type(key).__name__
            raise FactsError("key", f"expected at least {MIN_KEY_BYTES} bytes (see AuditLog.read_key), got {got}")
        self._key = key
        self._conn: sqlite3.Connection | None = None
        if self.path != ":memory:" and os.path.exists(self.path) and not os.path.isfile(self.path):
            what = "a directory" if os.path.isdir(self.path) else "not a regular file (a pipe, device or socket)"
            raise AuditLogError(f"{self.path}: not an audit log: it is {what}")
        self.layout = SCHEMA_VERSION
        # True when the log could be opened only as an unchanging file (read-only, in a folder
        # this process cannot write: SQLite cannot then read its -wal file).
        self.immutable = False
        try:
            self._conn = self._connect("rw")
        except AuditLogError as exc:
            if create or not isinstance(exc.__cause__, sqlite3.OperationalError) or \
                    not re.search(r"readonly|unable to open", str(exc.__cause__)):
                raise
            self._conn = self._connect("ro&immutable=1")
            self.immutable = True

    def _connect(self, mode: str) -> sqlite3.Connection:
        try:
            # isolation_level=None: no implicit transactions; append() runs BEGIN/COMMIT itself.
            if self._create or self.path == ":memory:":
                conn = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
            else:  # mode=rw: a missing file is an error, not a new empty one
                uri = "file:" + urllib.parse.quote(os.path.abspath(self.path)) + "?mode=" + mode
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=10.0)
        except sqlite3.Error as exc:
            if not self._create and not os.path.exists(self.path):
                raise AuditLogError(f"{self.path}: no audit log there") from exc
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
        return conn

    read_key = staticmethod(read_key)

    def _open(self, conn: sqlite3.Connection) -> None:
        # Reading the header first: a file that is not SQLite fails here, before anything is written.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        self._check_ownership(conn, version, app_id)
        if not self._create:
            if version == 0:
                self._refuse_new()
            # Nothing to write: a log kept read-only (as evidence) is read, verified, queried as it is.
            self.layout = version
            return
        # WAL is a property of the file and cannot change inside a transaction. Where WAL is not
        # available (":memory:", some network file systems) SQLite keeps its rollback journal,
        # which with synchronous=FULL is as crash-safe, only slower. An existing log opened
        # without create (to read, verify or upgrade it) keeps the mode it has.
        if self._create:
            conn.execute("PRAGMA journal_mode=WAL").fetchone()
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        with _transaction(conn):
            # Read again under the write lock: another process may have created the schema meanwhile.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            self._check_ownership(conn, version, app_id)
            if version == 0:
                if not self._create:
                    self._refuse_new()
                _create(conn, self._key)
                version = SCHEMA_VERSION
            self.layout = version

    def _refuse_new(self) -> None:
        empty = os.path.getsize(self.path) == 0 if os.path.isfile(self.path) else False
        raise AuditLogError(f"{self.path}: not an audit log: "
                            + ("the file is empty (0 bytes)" if empty else "a SQLite database with no tables")
                            + "; a log always holds its header, so it was emptied or is not the log")

    def _check_ownership(self, conn: sqlite3.Connection, version: int, app_id: int) -> None:
        if app_id != APPLICATION_ID and conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('entries', 'entry_rules')"
                ).fetchone()[0] == 2:
            raise AuditLogError(f"{self.path}: refused: it holds an audit log's tables, but its header says it is not "
                                f"one (application_id {app_id:#x}, layout version {version}): the header was changed")
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
        if version < 1:
            raise AuditLogError(f"{self.path}: the audit log's layout version is {version}, which no version of "
                                "qnwmh_rules writes: its header was changed")

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

    @contextlib.contextmanager
    def _failing_to(self, doing: str) -> Iterator[None]:
        """A SQLite error inside the block raised as ``AuditLogError("<path>: cannot <doing>: <error>")``."""
        try:
            yield
        except sqlite3.Error as exc:
            raise AuditLogError(f"{self.path}: cannot {doing}: {exc}") from exc

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise AuditLogError(f"{self.path}: the audit log is closed")
        return self._conn

    def _meta(self, conn: sqlite3.Connection) -> dict[str, Any]:
        return dict(conn.execute("SELECT name, value FROM log_meta").fetchall())

    @property
    def keyed(self) -> bool:
        """Whether the log says it is keyed (HMAC-SHA-256); False for layout 1."""
        if self.layout < 2:
            return False
        with self._failing_to("read the audit log"):
            return bool(self._meta(self._live()).get("hash") == "hmac-sha256")

    def _writable_hash(self, conn: sqlite3.Connection) -> tuple[Hash, dict[str, Any]]:
        """The chain's hash for appending, after checking the key fits the log."""
        if self.layout < 2:
            raise AuditLogError(
                f"{self.path}: the audit log has layout version {self.layout} (each entry hashed on its own, no "
                f"chain); appending is refused until it is upgraded: `qnwmh-rules audit {self.path} --upgrade` "
                "(AuditLog.upgrade()) checks it and chains its entries, recording the upgrade as an entry; "
                "or keep it read-only and start a new log")
        meta = self._meta(conn)
        mode = meta.get("hash")
        if mode == "hmac-sha256":
            if self._key is None:
                raise AuditLogError(f"{self.path}: the audit log is keyed (HMAC-SHA-256); appending needs its key "
                                    "(--audit-key-file or --audit-key-env)")
            if meta.get("key_id") != key_id(self._key):
                raise AuditLogError(f"{self.path}: the key given is not the one this audit log was written with "
                                    f"(its key id is {meta.get('key_id')}, the key given has {key_id(self._key)})")
        elif mode == "sha256":
            if self._key is not None:
                raise AuditLogError(f"{self.path}: the audit log is not keyed, but a key was given; a log is keyed "
                                    "when it is created (or upgraded) with a key")
        else:
            raise AuditLogError(f"{self.path}: the audit log's header is damaged (hash {mode!r}); run verify")
        return Hash(self._key), meta

    # -- writing ----------------------------------------------------------------------------

    def append(self, verdict: Verdict, facts: Mapping[str, Any] | Facts, *,
               recorded_at: dt.datetime | None = None) -> int:
        """Store ``verdict`` with the ``facts`` it was evaluated from; return its sequence number.

        ``facts`` is what ``evaluate`` was given (the same forms are accepted: JSON values,
        ``datetime.date`` and ``datetime.datetime``), or the ``Facts`` of ``Engine.parse``;
        they are stored as the stamp hashed them, and facts that do not hash to the verdict's
        ``stamp.facts_sha256`` are refused (``FactsError``): they are not the facts it was
        given. ``recorded_at`` is an aware ``datetime`` (a naive one is refused); by default
        the current time in UTC. All rows of the entry are written in one transaction, or
        none are (``AuditLogError`` then says why).
        """
        conn = self._live()
        if not isinstance(verdict, Verdict):
            raise FactsError("verdict", f"expected a qnwmh_rules.Verdict, got {type(verdict).__name__}")
        if not isinstance(facts, (Mapping, Facts)):
            raise FactsError("(facts)", f"expected a mapping of facts, got {type(facts).__name__}")
        if recorded_at is None:
            recorded_at = dt.datetime.now(dt.UTC)
        elif not isinstance(recorded_at, dt.datetime):
            raise FactsError("recorded_at", f"expected a datetime.datetime or None, got {type(recorded_at).__name__}")
        elif recorded_at.tzinfo is None or recorded_at.utcoffset() is None:
            raise FactsError("recorded_at", f"{recorded_at.isoformat()} has no time zone; give an aware datetime "
                                            "(e.g. with tzinfo=datetime.timezone.utc), or none for the current time")
        facts_json = self._facts_json(verdict, facts)
        verdict_json = verdict.to_json(indent=None)
        stamp = verdict.stamp
        when = recorded_at.isoformat()
        fields = (when, verdict.subject_id, verdict.outcome, stamp.ruleset_id, stamp.term, stamp.version,
                  stamp.region, stamp.ruleset_sha256, stamp.as_of, stamp.facts_sha256, verdict_json, facts_json,
                  _entry_sha256(verdict_json, facts_json))
        with self._failing_to(f"append the verdict for {verdict.subject_id}"), _transaction(conn):
            h, meta = self._writable_hash(conn)
            seq, prev = self._next(conn, h, meta)
            seq = self._insert_entry(conn, (seq, *fields))
            self._insert_rules(conn, seq, verdict.rules)
            _chain_link(conn, h, seq, "verdict", when, verdict_json, facts_json, None, prev)
        return seq

    def _facts_json(self, verdict: Verdict, facts: Mapping[str, Any] | Facts) -> str:
        texts, errors = _normalised_facts(facts)
        want = verdict.stamp.facts_sha256
        for text in texts:
            if _sha256(text) == want:
                return text
        if not texts:
            raise errors[0]
        return self._wrong_facts(verdict, _sha256(texts[0]))

    def _wrong_facts(self, verdict: Verdict, got: str) -> str:
        raise FactsError("(facts)", f"these are not the facts the verdict for {verdict.subject_id} was evaluated "
                                    f"from: they hash to {got[:16]}…, its stamp.facts_sha256 is "
                                    f"{verdict.stamp.facts_sha256[:16]}…",
                         suggestion="pass the facts given to evaluate; for a ruleset whose time_zone is not "
                                    "Asia/Shanghai pass engine.parse(facts)")

    def _next(self, conn: sqlite3.Connection, h: Hash, meta: dict[str, Any]) -> tuple[int, str]:
        """The next seq and the hash it chains to; refuses a log whose last entries are gone."""
        last = conn.execute("SELECT seq, sha256 FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
        given = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'chain'").fetchone()
        given_entries = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'entries'").fetchone()
        last_seq = last[0] if last else 0
        given_seq = given[0] if given else 0
        if given_entries and isinstance(given_entries[0], int) and given_entries[0] > given_seq:
            given_seq = given_entries[0]  # the entries' counter remembers a cut the chain's was set back over
        if given_seq != last_seq:
            raise sqlite3.DatabaseError(f"the log is damaged: its chain ends at entry {last_seq} but numbers up to "
                                        f"{given_seq} were given; run verify")
        prev = last[1] if last else h.genesis(meta["log_id"], meta["hash"])
        return last_seq + 1, prev

    def _insert_entry(self, conn: sqlite3.Connection, row: tuple[Any, ...]) -> int:
        cur = conn.execute(f"INSERT INTO entries ({_INSERT_COLUMNS}) "
                           f"VALUES ({', '.join('?' * len(row))})", row)
        seq = cur.lastrowid
        assert seq is not None
        return seq

    def _insert_rules(self, conn: sqlite3.Connection, seq: int, rules: tuple[RuleOutcome, ...]) -> None:
        conn.executemany("INSERT INTO entry_rules (seq, position, rule_id, outcome, severity) VALUES (?, ?, ?, ?, ?)",
                         _rule_rows(seq, rules))

    def upgrade(self, *, recorded_at: dt.datetime | None = None) -> int | None:
        """Upgrade a layout-1 log in place to the chained layout; return the seq of the
        migration entry that records it (None when the log is already of this layout).

        The log is first checked as layout 1 (each entry's own hash, the facts against their
        stamp, no gaps, the triggers and schema); a log with any problem is not upgraded
        (``AuditLogError`` lists them): keep it read-only and start a new log. Otherwise the
        entries are chained as they are (no row is changed, none is re-hashed in place) and a
        ``migration`` entry, chained after them, records how many there were and when: the
        chain vouches for entries written before the upgrade only from that time on. With a
        ``key``, the upgraded log is keyed.
        """
        conn = self._live()
        if recorded_at is None:
            recorded_at = dt.datetime.now(dt.UTC)
        elif recorded_at.tzinfo is None or recorded_at.utcoffset() is None:
            raise FactsError("recorded_at", f"{recorded_at.isoformat()} has no time zone")
        with self._failing_to("upgrade the audit log"), _transaction(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == SCHEMA_VERSION:
                self.layout = version
                return None
            problems = self._verify_layout1(conn)
            if problems:
                raise AuditLogError(f"{self.path}: not upgraded: the log has {len(problems)} problem(s) as it "
                                    f"is: {'; '.join(problems[:5])}{' …' if len(problems) > 5 else ''}; keep it "
                                    "read-only as evidence and start a new log")
            _run_script(conn, _MIGRATIONS[1])
            h, meta = _init_meta(conn, self._key)
            prev = h.genesis(meta["log_id"], meta["hash"])
            count = 0
            for seq, when, vj, fj in conn.execute("SELECT seq, recorded_at, verdict_json, facts_json "
                                                  "FROM entries ORDER BY seq").fetchall():
                prev, count = _chain_link(conn, h, seq, "verdict", when, vj, fj, None, prev), seq
            note = _compact_json({
                "from_layout": 1, "to_layout": SCHEMA_VERSION, "entries": count,
                "recorded_at": recorded_at.isoformat(), "library_version": __version__,
                "note": "the log had no entries before this upgrade" if count == 0 else
                        f"entries 1..{count} were written by layout 1 (each hashed on its own); they were "
                        "checked and chained at this upgrade, so the chain vouches for them only from its "
                        "recorded_at on"})
            seq = count + 1
            _chain_link(conn, h, seq, "migration", None, None, None, note, prev)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self.layout = SCHEMA_VERSION
        return seq

    # -- reading ----------------------------------------------------------------------------

    def query(self, *, subject_id: str | None = None, rule_id: str | None = None, outcome: str | None = None,
              rule_outcome: str | None = None, limit: int | None = None) -> list[AuditEntry]:
        """Entries in ``seq`` order that match every filter given.

        ``outcome`` is the verdict's outcome; ``rule_id`` and ``rule_outcome`` select entries
        with a rule of that id and/or outcome (``rule_id="basic.youth_share",
        rule_outcome="failed"``; ``rule_id`` alone: every entry whose verdict has that rule);
        ``limit`` keeps the first ``limit`` entries.
        """
        conn = self._live()
        if outcome is not None and outcome not in OUTCOMES:
            raise FactsError("outcome", f"unknown verdict outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
        if rule_outcome is not None and rule_outcome not in RULE_OUTCOMES:
            raise FactsError("rule_outcome",
                             f"unknown rule outcome {rule_outcome!r}; expected one of {', '.join(RULE_OUTCOMES)}")
        if limit is not None and (type(limit) is not int or limit < 0):
            raise FactsError("limit", f"expected a non-negative integer or None, got {limit!r}")
        # (column = ?, value) for each filter given: of the entry, then of one of its rules
        entry = [(f"e.{c} = ?", v) for c, v in (("subject_id", subject_id), ("outcome", outcome)) if v is not None]
        rule = [(f"r.{c} = ?", v) for c, v in (("rule_id", rule_id), ("outcome", rule_outcome)) if v is not None]
        where = [w for w, _ in entry]
        if rule:
            rule_where = " AND ".join(["r.seq = e.seq"] + [w for w, _ in rule])
            where.append(f"EXISTS (SELECT 1 FROM entry_rules r WHERE {rule_where})")
        args: list[Any] = [v for _, v in entry + rule]
        sql = f"SELECT {', '.join('e.' + c for c in _ENTRY_COLUMNS.split(', '))} FROM entries e"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY e.seq"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        with self._failing_to("read the audit log"):
            rows = conn.execute(sql, args).fetchall()
        return [self._entry(row) for row in rows]

    def rule_ids(self) -> list[str]:
        """The distinct rule ids of the verdicts in the log, sorted."""
        with self._failing_to("read the audit log"):
            return [r[0] for r in self._live().execute("SELECT DISTINCT rule_id FROM entry_rules ORDER BY rule_id")]

    def migrations(self) -> list[tuple[int, dict[str, Any]]]:
        """The upgrades recorded in the log: (seq of the migration entry, its record)."""
        if self.layout < 2:
            return []
        out = []
        with self._failing_to("read the audit log"):
            rows = self._live().execute("SELECT seq, note_json FROM chain WHERE kind = 'migration' ORDER BY seq"
                                        ).fetchall()
        for seq, note in rows:
            try:
                doc = json.loads(note)
            except (TypeError, ValueError):
                doc = {}
            out.append((seq, doc if isinstance(doc, dict) else {}))
        return out

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

    def head(self) -> AuditHead:
        """The chain's head as stored (the last entry's seq and chain hash); keep
        ``str(head)`` somewhere else (a report, a ticket, another system) after a clean
        ``verify()``, and give it back to ``verify(expect_head=...)`` later."""
        conn = self._live()
        if self.layout < 2:
            raise AuditLogError(f"{self.path}: the audit log has layout version {self.layout}, which has no chain "
                                f"and so no head; upgrade it first (`qnwmh-rules audit {self.path} --upgrade`)")
        with self._failing_to("read the audit log"):
            last = conn.execute("SELECT seq, sha256 FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
            if last is not None:
                return AuditHead(int(last[0]), str(last[1]))
            meta = self._meta(conn)
            mode = meta.get("hash", "")
            if mode == "hmac-sha256" and self._key is None:
                raise AuditLogError(f"{self.path}: the head of an empty keyed log is computed with its key; give it")
            return AuditHead(0, Hash(self._key if mode == "hmac-sha256" else None).genesis(
                str(meta.get("log_id")), str(mode)))

    # -- verifying --------------------------------------------------------------------------

    def verify(self, *, expect_head: AuditHead | str | Iterable[AuditHead | str] | None = None) -> list[str]:
        """Re-check the whole log; return one line per problem found (an empty list: all is well).

        Checks SQLite's page structure (``PRAGMA quick_check``); that the schema (tables,
        indexes and triggers, by their SQL text) is the one this library creates; the header
        (``log_meta``) and the key; the chain: each entry's hash over its seq, recorded_at,
        verdict, facts and the previous entry's hash, and that each entry is chained to the
        one before it; and each entry's own content (its columns and rule rows agree with its
        verdict, its facts hash to the stamp's ``facts_sha256``). A broken chain is reported
        at the entry that broke it and how: ``edited``, ``replaced`` (edited and its hash
        recomputed), ``missing``, ``renumbered``, ``out of order``, ``inserted``.

        ``expect_head`` (``SEQ:HASH`` strings or ``AuditHead``s kept from earlier) proves the
        log still extends those heads: entries deleted from the end, or a log rewritten or
        forged as a whole, are found only this way or, for forging, by the key.
        """
        conn = self._live()
        heads = [] if expect_head is None else \
            [expect_head] if isinstance(expect_head, (str, AuditHead)) else list(expect_head)
        anchors = [h if isinstance(h, AuditHead) else AuditHead.parse(h) for h in heads]
        problems: list[str] = []
        with self._failing_to("read the audit log"):
            # One read transaction: every query below sees the same state of the log, however
            # many entries other processes append meanwhile.
            conn.execute("BEGIN")
        # Text that is not UTF-8 (only a raw SQLite client stores it) is read with its bad bytes
        # escaped, so that it fails the checks of the entry that holds it instead of the read.
        conn.text_factory = _lenient_text
        try:
            # lines are UTF-8 text: bytes that were not are shown escaped (\udcff)
            found = self._verify(conn, anchors, problems)
            return [p.encode("utf-8", "backslashreplace").decode("utf-8") for p in found]
        finally:
            conn.text_factory = str
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    def _verify(self, conn: sqlite3.Connection, anchors: list[AuditHead], problems: list[str]) -> list[str]:
        wal = self.path + "-wal"
        if self.immutable and os.path.isfile(wal) and os.path.getsize(wal) > 0:
            problems.append(f"database: {wal} ({os.path.getsize(wal)} bytes) holds the last changes, which cannot be "
                            f"read without write access to {os.path.dirname(os.path.abspath(self.path))}: entries in "
                            "it were not checked (verify with write access to the folder, or a copy made by "
                            "`sqlite3 LOG \".backup COPY\"`)")
        try:
            checked = [r[0] for r in conn.execute("PRAGMA quick_check")]
            if checked != ["ok"]:
                problems.extend(f"database: {line}" for line in checked)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version < 2:
                problems.extend(self._verify_layout1(conn))
                problems.append(f"layout: version {version}: entries are hashed one by one, not chained, so "
                                "deleted, reordered or rewritten entries cannot be found; upgrade it "
                                f"(`qnwmh-rules audit {self.path} --upgrade`) to chain it from now on")
                if anchors:
                    problems.append("layout: a layout-1 log has no head; --expect-head cannot be checked")
                return problems
            problems.extend(_schema_problems(conn, _expected_schema(SCHEMA_VERSION)))
            problems.extend(self._verify_chain(conn, anchors))
        except sqlite3.DatabaseError as exc:
            problems.append(f"database: cannot be read: {exc}")
        return problems

    def _verify_layout1(self, conn: sqlite3.Connection) -> list[str]:
        problems = _schema_problems(conn, _expected_schema(1))
        expected_seq = 1
        for row in conn.execute(f"SELECT {_ENTRY_COLUMNS} FROM entries ORDER BY seq"):
            seq = row[0]
            if seq < 1:
                problems.append(f"entry {seq}: inserted: SQLite never gives a number below 1: it was added by hand")
                continue
            if seq != expected_seq:
                problems.append(f"entries {expected_seq}..{seq - 1}: missing" if seq - 1 > expected_seq
                                else f"entry {expected_seq}: missing")
            expected_seq = seq + 1
            problems.extend(f"entry {seq}: {p}" for p in self._check_entry(conn, row, legacy=True))
        last = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'entries'").fetchone()
        if last is not None and last[0] >= expected_seq:
            problems.append(f"entries {expected_seq}..{last[0]}: missing" if last[0] > expected_seq
                            else f"entry {expected_seq}: missing")
        for (seq,) in conn.execute("SELECT DISTINCT seq FROM entry_rules WHERE seq NOT IN "
                                   "(SELECT seq FROM entries) ORDER BY seq"):
            problems.append(f"entry {seq}: rule rows without an entry")
        return problems

    def _header(self, conn: sqlite3.Connection) -> tuple[list[str], Hash | None, str | None, bool]:
        """Header problems, the hash to check entries with (None: cannot be checked), the
        genesis hash (None: unknown), and whether searching for moved entries is worthwhile."""
        problems: list[str] = []
        meta = self._meta(conn)
        log_id, mode = meta.get("log_id"), meta.get("hash")
        expected = {"log_id", "hash"} | ({"key_id"} if mode == "hmac-sha256" else set())
        problems.extend(f"header: unexpected setting {name!r} in log_meta"
                        for name in sorted(set(meta) - expected, key=repr))
        problems.extend(f"header: the setting {name!r} is missing from log_meta"
                        for name in sorted(expected - set(meta)))
        if not (isinstance(log_id, str) and re.fullmatch(r"[0-9a-f]{32}", log_id)):
            problems.append(f"header: log_id {log_id!r} is not 32 hex digits")
        if mode not in ("sha256", "hmac-sha256"):
            problems.append(f"header: hash {mode!r} is neither sha256 nor hmac-sha256")
        search = True
        if self._key is not None:
            h: Hash | None = Hash(self._key)
            if mode != "hmac-sha256":
                problems.append("header: a key was given, but the log says it is not keyed: it was written without "
                                "a key, or rewritten without it (every entry is checked with the key)")
                search = False
            elif meta.get("key_id") != key_id(self._key):
                problems.append(f"header: the key given is not the one this log was written with (key id "
                                f"{key_id(self._key)}, the log's is {meta.get('key_id')!r}); every entry is "
                                "checked with the key given")
                search = False
            genesis_mode = "hmac-sha256"
        elif mode == "hmac-sha256":
            problems.append(f"header: the log is keyed (HMAC-SHA-256, key id {meta.get('key_id')}): the entries' "
                            "hashes can be checked only with its key (--audit-key-file or --audit-key-env); only "
                            "the links between them were checked")
            h = None
            genesis_mode = mode
        else:
            h = Hash(None)
            genesis_mode = "sha256"
        genesis = None
        if isinstance(log_id, str) and h is not None:
            genesis = h.genesis(log_id, genesis_mode)
        return problems, h, genesis, search

    def _verify_chain(self, conn: sqlite3.Connection, anchors: list[AuditHead]) -> list[str]:
        header, h, genesis, search = self._header(conn)
        found: list[Problem] = []
        links: list[Link] = []
        for (seq,) in conn.execute("SELECT seq FROM chain WHERE seq < 1 UNION SELECT seq FROM entries WHERE seq < 1 "
                                   "ORDER BY seq"):
            found.append(Problem(seq, "inserted", "SQLite never gives a number below 1: it was added by hand"))
        for seq, kind, note, prev, sha, has_entry, when, vj, fj in conn.execute(JOINED + " WHERE c.seq >= 1 "
                                                                                        "ORDER BY c.seq"):
            ok: bool | None
            if kind == "migration" and has_entry:
                found.append(Problem(seq, "edited", "a verdict is stored under the number of a migration entry"))
            elif kind not in ("verdict", "migration"):
                found.append(Problem(seq, "edited", f"its kind {kind!r} is neither verdict nor migration"))
            if kind == "verdict" and not has_entry:
                found.append(Problem(seq, "missing", "its chain record is there, but the entry itself is not"))
                ok = None
            elif h is None:
                ok = None
            else:
                try:
                    ok = h.link(seq, kind, when, vj, fj, note, prev) == sha
                except (TypeError, ValueError):
                    ok = False
            links.append(Link(seq, kind, prev, sha, ok))
        for (seq,) in conn.execute("SELECT seq FROM entries WHERE seq >= 1 AND seq NOT IN (SELECT seq FROM chain) "
                                   "ORDER BY seq"):
            found.append(Problem(seq, "inserted", "it is not in the chain (added without a chain record, or its "
                                                   "chain record was deleted)"))
        for (seq,) in conn.execute("SELECT DISTINCT seq FROM entry_rules WHERE seq NOT IN "
                                   "(SELECT seq FROM entries) ORDER BY seq"):
            if type(seq) is int:
                found.append(Problem(seq, "edited", "rule rows without an entry"))
            else:
                header.append(f"database: entry_rules has rows numbered {seq!r}, which is no entry's number: they "
                              "were added by hand")
        counters, given = _counters(conn)
        header.extend(counters)
        found.extend(diagnose(conn, links, h, genesis, given, search, {a.sha256: a.seq for a in anchors}))
        # Entries before the (one) migration entry were written by layout 1: their facts are as the
        # caller gave them and their recorded_at may be missing.
        migrations = conn.execute("SELECT seq, note_json FROM chain WHERE kind = 'migration' ORDER BY seq").fetchall()
        legacy = migrations[0][0] - 1 if migrations else 0
        recorded_as = {link.seq: link.orig for link in links if link.orig is not None}  # set by diagnose
        for i, (seq, note) in enumerate(migrations):
            why = _migration_problem(recorded_as.get(seq, seq), note) if i == 0 else \
                f"is a second one (entry {migrations[0][0]} is the first): a log is upgraded from layout 1 once"
            if why:
                found.append(Problem(seq, "edited", f"its migration record {why}"))
        for row in conn.execute(f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE seq >= 1 ORDER BY seq"):
            found.extend(Problem(row[0], "edited", p) for p in self._check_entry(conn, row, legacy=row[0] <= legacy))
        out = header + render(found)
        out.extend(anchor_problems(links, anchors, genesis))
        return out

    def _check_entry(self, conn: sqlite3.Connection, row: tuple[Any, ...], *, legacy: bool) -> list[str]:
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
        if recorded_at is not None or not legacy:
            try:
                when = dt.datetime.fromisoformat(recorded_at)
                if when.tzinfo is None and not legacy:
                    problems.append(f"recorded_at {recorded_at!r} has no time zone")
            except (TypeError, ValueError):
                problems.append(f"recorded_at {recorded_at!r} is not an ISO 8601 date and time")
        try:
            verdict = Verdict.from_dict(json.loads(verdict_json))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append(f"verdict_json does not read back as a Verdict: {exc!r}")
            return problems
        s = verdict.stamp
        columns = {"subject_id": (subject_id, verdict.subject_id), "outcome": (outcome, verdict.outcome),
                   "ruleset_id": (ruleset_id, s.ruleset_id), "term": (term, s.term), "version": (version, s.version),
                   "region": (region, s.region), "ruleset_sha256": (ruleset_sha256, s.ruleset_sha256),
                   "as_of": (as_of, s.as_of), "facts_sha256": (facts_sha256, s.facts_sha256)}
        problems.extend(f"column {name} is {stored!r} but the verdict says {said!r}"
                        for name, (stored, said) in columns.items() if stored != said)
        facts_ok, unreadable = _legacy_facts_match(facts_json, s.facts_sha256) if legacy else \
            (_sha256(facts_json) == s.facts_sha256, None)
        if unreadable is not None:
            problems.append("its facts, stored as given by the layout-1 version, cannot be read by this version's "
                            f"facts contract ({unreadable}), so they cannot be checked against the verdict stamp's "
                            "facts_sha256 (not a sign of tampering by itself)")
        elif not facts_ok:
            problems.append("the stored facts do not hash to the verdict stamp's facts_sha256: the facts or the "
                            "stamp were changed")
        stored_rules = conn.execute("SELECT seq, position, rule_id, outcome, severity FROM entry_rules "
                                    "WHERE seq = ? ORDER BY position", (seq,)).fetchall()
        if stored_rules != _rule_rows(seq, verdict.rules):
            problems.append("rule rows do not match the verdict's rules")
        return problems


def _migration_problem(seq: int, note: Any) -> str | None:
    """What is wrong with a migration entry's record, as ``upgrade`` writes it (None: nothing)."""
    try:
        doc = json.loads(note)
    except (TypeError, ValueError):
        doc = None
    if not isinstance(doc, dict):
        return "is not a JSON object"
    wrong = []
    if doc.get("from_layout") != 1 or type(doc.get("from_layout")) is not int:
        wrong.append(f"from_layout {doc.get('from_layout')!r} (an upgrade is from layout 1)")
    to = doc.get("to_layout")
    if type(to) is not int or not 2 <= to <= SCHEMA_VERSION:
        wrong.append(f"to_layout {to!r}")
    if type(doc.get("entries")) is not int or doc["entries"] != seq - 1:
        wrong.append(f"entries {doc.get('entries')!r} (the entries before it: {seq - 1})")
    try:
        when = dt.datetime.fromisoformat(doc.get("recorded_at"))  # type: ignore[arg-type]
        if when.tzinfo is None:
            wrong.append(f"recorded_at {doc.get('recorded_at')!r} (no time zone)")
    except (TypeError, ValueError):
        wrong.append(f"recorded_at {doc.get('recorded_at')!r} (not an ISO 8601 date and time)")
    return f"is not what an upgrade writes: {'; '.join(wrong)}" if wrong else None


_COUNTED = ("chain", "entries")


def _counters(conn: sqlite3.Connection) -> tuple[list[str], int]:
    """Problems with SQLite's counters of the chain and the entries (``sqlite_sequence``: SQLite
    sets them, never below a table's last number, and never removes them), and the highest
    number they say was given (0 if none can be read)."""
    problems: list[str] = []
    given = 0
    stored = dict(conn.execute("SELECT name, seq FROM sqlite_sequence WHERE name IN ('chain', 'entries')").fetchall())
    for table in _COUNTED:
        last = conn.execute(f"SELECT max(seq) FROM {table}").fetchone()[0]
        value = stored.get(table)
        if table not in stored:
            if last is not None:
                problems.append(f"database: sqlite_sequence has no counter for {table}, though {table} has rows up "
                                f"to {last}: it was removed by hand (so that a cut of the last entries cannot be "
                                "seen; a head kept elsewhere can tell)")
        elif not isinstance(value, int):
            problems.append(f"database: sqlite_sequence's counter for {table} is {value!r}, not a number: it was "
                            "changed by hand")
        else:
            given = max(given, value)
            if last is not None and value < last:
                problems.append(f"database: sqlite_sequence's counter for {table} is {value}, below its last number "
                                f"{last}: it was set back by hand")
    return problems, given


def _init_meta(conn: sqlite3.Connection, key: bytes | None) -> tuple[Hash, dict[str, Any]]:
    meta = {"log_id": secrets.token_hex(16), "hash": "sha256" if key is None else "hmac-sha256"}
    if key is not None:
        meta["key_id"] = key_id(key)
    conn.executemany("INSERT INTO log_meta (name, value) VALUES (?, ?)", sorted(meta.items()))
    return Hash(key), meta


def _create(conn: sqlite3.Connection, key: bytes | None) -> None:
    """A new log: layout 1's script, then each step up to SCHEMA_VERSION (one schema for all)."""
    _run_script(conn, _LAYOUT1_SCHEMA)
    for version in range(1, SCHEMA_VERSION):
        _run_script(conn, _MIGRATIONS[version])
    _init_meta(conn, key)
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


_SCHEMAS: dict[int, set[tuple[str, str, str, str | None]]] = {}


def _expected_schema(version: int) -> set[tuple[str, str, str, str | None]]:
    """sqlite_master of a fresh log of ``version`` (made by this same code, so the SQL text
    is SQLite's own rendering of it)."""
    if version not in _SCHEMAS:
        conn = sqlite3.connect(":memory:")
        try:
            _run_script(conn, _LAYOUT1_SCHEMA)
            for v in range(1, version):
                _run_script(conn, _MIGRATIONS[v])
            _SCHEMAS[version] = set(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
        finally:
            conn.close()
    return _SCHEMAS[version]


def _schema_problems(conn: sqlite3.Connection, expected: set[tuple[str, str, str, str | None]]) -> list[str]:
    present = set(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
    by_name = {(t, n): (tbl, sql) for t, n, tbl, sql in present}
    problems = []
    for t, n, tbl, sql in sorted(expected, key=lambda r: (r[0], r[1])):
        risk = ": the log can be edited" if t == "trigger" else ""
        if (t, n) not in by_name:
            problems.append(f"schema: {t} {n} is missing{risk}")
        elif by_name[(t, n)] != (tbl, sql):
            problems.append(f"schema: {t} {n} is not the one this library creates (its SQL was changed){risk}")
    names = {(t, n) for t, n, _, _ in expected}
    problems.extend(f"schema: {t} {n} is not part of an audit log" for t, n, _, _ in sorted(present, key=lambda r: (
        r[0], r[1])) if (t, n) not in names)
    return problems
