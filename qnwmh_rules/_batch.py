"""Batch evaluation: many collectives, streamed, in order, on one or several processes.

Owns: reading records (JSON Lines, or CSV with dotted column names), turning each record
into an output line (its verdict, or an error naming the record's line number and id),
keeping input order with bounded memory, worker processes (each builds its engine once),
and the running summary. A bad record never stops the batch and is never dropped:
input count = verdicts + error lines. Must not know durable_rules or rule meanings.
"""

from __future__ import annotations

import codecs
import collections
import csv
import gc
import io
import json
import mmap
import multiprocessing
import multiprocessing.context
import multiprocessing.pool
import re
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import IO, Any, Literal

import attrs

from ._api import load_ruleset
from ._jsontext import MAX_DOCUMENT_BYTES, InvalidJSONError, loads
from ._moments import show
from .exceptions import EvaluationError, FactsError
from .facts import MAX_TEXT, SUBJECTS

__all__ = ["Record", "BatchLine", "Block", "JsonlStream", "Summary", "read_jsonl", "read_csv", "evaluate_lines",
           "evaluate_blocks", "evaluate_record", "wide_unicode", "encoding_problem"]


@attrs.frozen
class Record:
    """One input record: its 1-based line (or row) number and its raw text or parsed facts."""

    line: int
    raw: Any  # str (a JSON line) or dict (a CSV row already turned into facts)


@attrs.frozen
class BatchLine:
    """One output line: the verdict or the error of one record, as canonical JSON text."""

    line: int
    id: str | None
    outcome: str | None  # verdict outcome, or None for an error
    failed_rules: tuple[str, ...]
    json: str


LineInfo = tuple[int, "str | None", "str | None", tuple[str, ...]]
"""What the summary needs of one output line: ``(line, id, outcome or None, failed rule ids)``."""


@attrs.frozen
class Block:
    """Consecutive output lines, ready to write: ``data`` is their UTF-8 text, each line ending in
    ``\\n``, and ``lines`` says what each one is (in the same order). Workers send these back
    whole, so the parent neither decodes nor builds an object per record."""

    data: bytes
    lines: tuple[LineInfo, ...]

    def batch_lines(self) -> list[BatchLine]:
        """The block as ``BatchLine`` objects (for callers that want one object per record)."""
        texts = self.data.decode("utf-8").split("\n")
        texts.pop()  # the empty text after the last line's newline
        if len(texts) != len(self.lines):  # JSON text never holds a raw newline
            raise EvaluationError(f"internal error: a block of {len(self.lines)} lines holds {len(texts)}; "
                                  "please report it")
        return [BatchLine(n, rid, outcome, failed, text) for (n, rid, outcome, failed), text
                in zip(self.lines, texts, strict=True)]


_JSON_BLANK = " \t\r\n"  # JSON's whitespace; a line of only these is blank
_BOM = "\ufeff"


def read_jsonl(stream: Iterable[str] | Iterable[bytes]) -> Iterator[Record]:
    """Records from JSON Lines (text or bytes, split on ``\\n``); blank lines (JSON whitespace
    only) are skipped but keep the numbering honest. A UTF-8 byte-order mark before the first
    line is dropped (and ``loads`` drops one at the start of any line). A line that is not UTF-8
    becomes an error line of its own."""
    return _jsonl_records(stream, 1)


def _jsonl_records(stream: Iterable[str] | Iterable[bytes], first: int, too_long: tuple[int, ...] = (),
                   limit: int = MAX_DOCUMENT_BYTES) -> Iterator[Record]:
    """``read_jsonl`` of lines whose first is line ``first`` of the input; the lines numbered in
    ``too_long`` (whose bytes the reader dropped) are error lines."""
    for n, raw in enumerate(stream, first):
        if n in too_long:
            yield Record(n, _Bad("InvalidJSON", f"the line is longer than {limit:,} bytes: no facts document "
                                                "is that large (is it the right file?)"))
            continue
        if isinstance(raw, bytes):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Record(n, _Bad("InvalidText", f"not UTF-8 text (byte {exc.start + 1})"))
                continue
        else:
            text = str(raw)
        if n == 1:
            text = text.removeprefix(_BOM)
        if text.strip(_JSON_BLANK):
            yield Record(n, text)


class JsonlStream:
    """JSON Lines in a binary stream (a file opened ``rb``, ``sys.stdin.buffer``). Iterating gives
    ``read_jsonl``'s records; ``evaluate_blocks`` with workers instead hands each worker a block of
    raw lines and the number of the first, and the worker splits, decodes and numbers them, so
    the parent process neither decodes nor pickles a record (the same records, the same output).
    A line longer than ``limit`` bytes (64 MiB, as a facts file) is an ``InvalidJSON`` error line
    and is never held in memory: an endless line (``/dev/zero``) cannot exhaust it."""

    def __init__(self, stream: IO[bytes], limit: int = MAX_DOCUMENT_BYTES) -> None:
        self.stream = stream
        self.limit = limit

    def __iter__(self) -> Iterator[Record]:
        for first, data, too_long in _jsonl_chunks(self.stream, 1, limit=self.limit):
            yield from _jsonl_records((data,), first, too_long, self.limit)


def _jsonl_chunks(stream: IO[bytes], lines: int, read_size: int = 1 << 16,
                  limit: int = MAX_DOCUMENT_BYTES) -> Iterator[tuple[int, bytes, tuple[int, ...]]]:
    """``(number of the first line, raw bytes, numbers of the lines too long)`` of up to ``lines``
    whole lines at a time (the last may lack its newline), read as it comes (``read1``: a pipe's
    lines are not held back waiting for a full read). Lines are cut on ``\\n`` only, as iterating
    the stream does. Each piece read is scanned and copied once (a 100 MB line arriving 64 KiB at a
    time is linear work). A line longer than ``limit`` bytes (not counting its newline) is dropped
    as it is read and stands as an empty line whose number is in the third item."""
    read = getattr(stream, "read1", None) or stream.read
    parts: list[bytes] = []  # the whole lines of the chunk being gathered
    long: list[int] = []  # the numbers of its lines that were too long
    cur: list[bytes] = []  # the pieces of the line being read (none while skipping one too long)
    cur_len = 0
    skipping = False
    first = 1
    count = 0  # whole lines in parts
    while True:
        data = read(read_size)
        if not data:  # the end of the input: what is left (a last line may lack its newline)
            if skipping:
                parts.append(b"\n")
                long.append(first + count)
            else:
                parts.extend(cur)
            if parts:
                yield first, b"".join(parts), tuple(long)
            return
        pos = 0
        while True:
            nl = data.find(b"\n", pos)
            if nl < 0:
                break
            if skipping or cur_len + nl - pos > limit:
                parts.append(b"\n")
                long.append(first + count)
                skipping = False
            else:
                parts.extend(cur)
                parts.append(data[pos:nl + 1])
            cur, cur_len = [], 0
            pos, count = nl + 1, count + 1
            if count == lines:
                yield first, b"".join(parts), tuple(long)
                first, parts, long, count = first + count, [], [], 0
        if pos < len(data) and not skipping:
            if cur_len + len(data) - pos > limit:
                skipping, cur, cur_len = True, [], 0
            else:
                cur.append(data[pos:] if pos else data)
                cur_len += len(data) - pos


ErrorType = Literal["InvalidText", "InvalidCSV", "InvalidJSON", "FactsError", "EvaluationError"]
"""The ``error.type`` of a batch error line."""


@attrs.frozen
class _Bad:
    """A record that could not be read; evaluating it gives an error line of ``kind``."""

    kind: ErrorType
    problem: str
    id: str | None = None
    field: str | None = None


_UNDECODABLE = "qnwmh-undecodable"


def _mark_undecodable(exc: UnicodeError) -> tuple[str, int]:
    """Decode each byte that is not valid in the encoding as a lone surrogate U+DC00+byte, which
    the CSV reader carries into the cell and the row check turns into an InvalidText line."""
    assert isinstance(exc, UnicodeDecodeError)
    return "".join(chr(0xDC00 + b) for b in exc.object[exc.start:exc.end]), exc.end


codecs.register_error(_UNDECODABLE, _mark_undecodable)
_SURROGATE = re.compile("[\ud800-\udfff]")


def encoding_problem(name: str) -> str | None:
    """Why ``name`` cannot be the encoding of a CSV input, or None: it must be a text encoding
    (not ``rot13``, ``base64``, ``zlib``) whose decoder reports each undecodable byte to us
    (``idna`` and ``punycode`` cannot)."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        return f"unknown encoding {name!r} (e.g. utf-8, gb18030)"
    if not getattr(info, "_is_text_encoding", True):
        return f"{name!r} is not a text encoding (e.g. utf-8, gb18030)"
    try:
        info.incrementaldecoder(errors=_UNDECODABLE).decode(b"", final=True)
    except (UnicodeError, LookupError, TypeError, ValueError):
        return f"{name!r} cannot be read strictly, byte by byte (e.g. utf-8, gb18030)"
    return None


_CSV_FIELD_LIMIT = 64 * 1024 * 1024  # characters in one cell (1,000 filings fit many times over)
_COUNT_CELL = re.compile(r"0|[1-9][0-9]*", re.ASCII)
_BOOL_CELLS = {"true": True, "false": False, "TRUE": True, "FALSE": False}


class _Lines:
    """The physical lines under a CSV reader: remembers those of the record being read, and can
    give some back (to read again after an unterminated quote)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._it = iter(lines)
        self.pushback: collections.deque[str] = collections.deque()
        self.taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.pushback.popleft() if self.pushback else next(self._it)
        self.taken.append(line)
        return line


class _LineTooLong(Exception):
    """A physical line of a CSV input is longer than the limit (its characters were skipped)."""


class _BoundedText:
    """The physical lines of a text stream (``newline=""``), each at most ``limit`` characters: a
    longer line is skipped as it is read (never held whole) and ``next`` raises ``_LineTooLong`` for
    it; iterating may go on after that with the following line."""

    def __init__(self, text: IO[str], limit: int) -> None:
        self.text, self.limit = text, limit
        self.cut_cr = False  # a skipped line's last piece ended in \r: a \n next is still that line's

    def __iter__(self) -> _BoundedText:
        return self

    def __next__(self) -> str:
        line = self.text.readline(self.limit + 2)  # room for \r\n after a line of the limit
        if self.cut_cr:
            self.cut_cr = False
            if line == "\n":
                line = self.text.readline(self.limit + 2)
        if not line:
            raise StopIteration
        if len(line.rstrip("\r\n")) > self.limit:
            while line and not line.endswith(("\n", "\r")):
                line = self.text.readline(self.limit)
            self.cut_cr = line.endswith("\r")
            raise _LineTooLong
        return line


_MAX_REREADS = 100  # unterminated quotes whose following lines are read again (each re-read runs to the end)


def _csv_records(lines: Iterable[str], limit: int = MAX_DOCUMENT_BYTES) -> Iterator[list[str] | _Bad]:
    """Each CSV record: its cells, or a ``_Bad`` for a record the CSV reader refused (strict
    quoting). A record that the reader refuses after reading several lines (a quote never
    closed, or closed and followed by text) makes its first line an error and the lines after
    it are read again as records, so no row is swallowed (after ``_MAX_REREADS`` such records,
    each following line is an error of its own: the work stays linear)."""
    src = _Lines(lines)
    reader = csv.reader(src, strict=True)
    rereads = 0
    while True:
        src.taken = []
        out: list[list[str] | _Bad] = []
        # the cell size limit is global to the csv module: raise it only while reading a row
        previous = csv.field_size_limit(_CSV_FIELD_LIMIT)
        try:
            out.append(next(reader))
        except StopIteration:
            return
        except _LineTooLong:  # the record being read is this error (the lines it had taken go with it)
            out.append(_Bad("InvalidCSV", f"the line is longer than {limit:,} characters: no facts document is "
                                          "that large (is it the right file?)"))
            reader = csv.reader(src, strict=True)
        except csv.Error as exc:
            taken = src.taken
            if len(taken) <= 1:
                out.append(_Bad("InvalidCSV", f"not valid CSV: {exc}"))
            else:  # a quoted cell ran over lines and then went wrong: its first line is the bad row
                out.append(_Bad("InvalidCSV", "a quote opened in this row is never closed"
                                if str(exc).startswith("unexpected end of data") else
                                f"a quoted cell starting in this row is not valid CSV ({exc})"))
                if rereads < _MAX_REREADS:
                    rereads += 1
                    src.pushback.extendleft(reversed(taken[1:]))
                    reader = csv.reader(src, strict=True)
                else:
                    out.extend(_Bad("InvalidCSV", "after a quote that is never closed, this line cannot be told "
                                                  "apart from quoted text") if line.strip("\r\n") else []
                               for line in taken[1:])
        finally:
            csv.field_size_limit(previous)
        yield from out


def read_csv(stream: Iterable[str] | IO[bytes], *, subject: str = "collective",
             encoding: str = "utf-8", limit: int = MAX_DOCUMENT_BYTES) -> Iterator[Record]:
    """Records from CSV: a header of dotted fact paths (``members.total``); ``honors`` and
    ``filings`` columns hold JSON lists; empty cells are absent facts. Row numbers count the
    header as row 1, as a spreadsheet shows them; blank rows are skipped but counted.

    ``stream`` is a binary file (decoded strictly with ``encoding``; a UTF-8 byte-order mark is
    dropped) or text lines. Bytes that are not valid in the encoding make their row an
    ``InvalidText`` error line; if the header itself cannot be used, every row is an error line.
    In a binary file, a line longer than ``limit`` characters (64 Mi) is an ``InvalidCSV`` error row,
    skipped as it is read (an endless line cannot exhaust memory)."""
    text: Iterable[str]
    if hasattr(stream, "read") and isinstance(stream.read(0), bytes):
        codec = codecs.lookup(encoding).name
        binary: Any = stream
        text = _BoundedText(io.TextIOWrapper(binary, encoding="utf-8-sig" if codec == "utf-8" else codec,
                                             errors=_UNDECODABLE, newline=""), limit)
    else:
        lines: Any = stream
        text = _strip_bom(lines)
    records = _csv_records(text, limit)
    first = next(records, None)
    if first is None:
        return
    subj = SUBJECTS[subject]
    counts = {p for p, s in subj.fields.items() if s.type == "count"}
    bools = {p for p, s in subj.fields.items() if s.type == "bool"}
    header_problem = _header_problem(first, encoding)
    header = [] if isinstance(first, _Bad) else [h.strip() for h in first]
    for n, row in enumerate(records, 2):
        if header_problem is not None:
            yield Record(n, _Bad("InvalidCSV", header_problem))
        elif isinstance(row, _Bad):
            yield Record(n, row)
        elif row:
            yield Record(n, _row_to_facts(header, row, subj.lists, counts, bools, encoding))


_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
              (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def wide_unicode(head: bytes) -> str | None:
    """``UTF-16`` or ``UTF-32`` when the first bytes of an input show it is in that encoding (its
    byte-order mark, or the NUL bytes of ASCII characters in it among the first four bytes, which
    no UTF-8 record or header starts with), else None. Such an input cannot be cut into records
    as UTF-8 (its newline bytes are not where its lines end), so it is refused as a whole rather
    than turned into wrong error lines."""
    for bom, name in _WIDE_BOMS:
        if head.startswith(bom):
            return name
    zero = tuple(b == 0 for b in head[:4])
    if zero in ((False, True, False, True), (True, False, True, False)):
        return "UTF-16"  # two ASCII characters, little- or big-endian
    if zero in ((False, True, True, True), (True, True, True, False)):
        return "UTF-32"
    return None


def _strip_bom(lines: Iterable[str]) -> Iterator[str]:
    for i, line in enumerate(lines):
        yield line.removeprefix(_BOM) if i == 0 else line


def _header_problem(first: list[str] | _Bad, encoding: str) -> str | None:
    if isinstance(first, _Bad):
        return f"the header row cannot be read ({first.problem})"
    names = [h.strip() for h in first]
    if not first:
        return "the first row must be the header of fact paths; it is blank"
    for name in names:
        if _SURROGATE.search(name):
            return f"the header row holds bytes that are not {encoding} text (try --encoding)"
        if not name:
            return "the header has an empty column name"
        if not name.isprintable():
            return f"the header's column name {show(name)} holds a control or invisible character"
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        return f"the header names column {dup[0]!r} more than once; which cell is meant cannot be known"
    return None


def _safe_id(value: Any) -> str | None:
    """The id to show on an error line: a plain, printable text, or nothing."""
    if isinstance(value, str) and 0 < len(value) <= MAX_TEXT and not _SURROGATE.search(value):
        return value
    return None


def _row_to_facts(header: list[str], row: list[str], lists: tuple[str, ...], counts: set[str],
                  bools: set[str], encoding: str = "utf-8") -> Any:
    rid = _safe_id(row[header.index("id")]) if "id" in header and len(row) == len(header) else None
    if len(row) != len(header):
        return _Bad("InvalidCSV", f"row has {len(row)} cells, the header has {len(header)}")
    doc: dict[str, Any] = {}
    for name, cell in zip(header, row, strict=True):
        if _SURROGATE.search(cell):
            return _Bad("InvalidText", f"the cell in column {name!r} holds bytes that are not {encoding} "
                                       "text (give the file's encoding with --encoding)", rid, name)
        if cell == "":
            continue
        value: Any = cell
        if name in lists:
            try:
                value = loads(cell, f"column {name!r}", path=name)
            except InvalidJSONError as exc:
                return _Bad("InvalidCSV", f"column {name!r} is not a JSON list: {exc.message}", rid)
            except FactsError as exc:
                return _Bad("FactsError", str(exc), rid, exc.field)
        elif name in counts:
            # ASCII digits only: " 24 ", "1_000", "２４", "+24" and "24.0" are refused by the facts check
            value = int(cell) if _COUNT_CELL.fullmatch(cell) and len(cell) <= 18 else cell
        elif name in bools:
            value = _BOOL_CELLS.get(cell, cell)
        node = doc
        *heads, last = name.split(".")
        for h in heads:
            nxt = node.setdefault(h, {})
            if not isinstance(nxt, dict):
                return _Bad("InvalidCSV", f"columns {h!r} and {name!r} both set {h!r}", rid)
            node = nxt
        if isinstance(node.get(last), dict):
            return _Bad("InvalidCSV", f"columns {last!r} and {last + '.'}… both set {last!r}", rid)
        node[last] = value
    return doc


# ---- evaluation, in this process or in workers -------------------------------------------

_WORKER_ENGINE: Any = None


def _init_worker(term: str | None, region: str | None, ruleset: str | None, backend: str,
                 subject: str = "collective", industry: str | None = None) -> None:
    global _WORKER_ENGINE
    _ignore_ctrl_c_in_worker()
    _WORKER_ENGINE = load_ruleset(ruleset or None, term=term, region=region, backend=backend, subject=subject,
                                  industry=industry)


def _ignore_ctrl_c_in_worker() -> None:
    if multiprocessing.parent_process() is not None:
        # Ctrl-C reaches the whole process group: the parent alone stops the batch (and its
        # workers), so a worker ignores it instead of printing a traceback of its own.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # SIGTERM is how the pool stops a worker: a handler of the parent's, copied by fork, must not
        # turn it into an exception here.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _flush_std_streams() -> None:
    """Write out what ``sys.stdout`` and ``sys.stderr`` hold before forking: a worker that ends
    normally flushes its copy of them (``multiprocessing`` does), which would write it twice."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # closed, or a reader gone: nothing that can be written twice
            pass


def _start_method() -> str:
    """``fork`` where it is safe and cheap: on Linux, from a process with no other thread (a thread
    holding a lock at the fork would leave it taken in the worker for ever). The worker then starts
    with the engine the parent loaded (durable's C state is copied with the process; the adapter
    gives each engine a new lock in the child, hazard 19) in milliseconds, instead of importing the
    package and loading the ruleset again (``spawn``, ~0.3 s per worker, used everywhere else)."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods() \
            and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _error_line(line: int, rid: str | None, kind: ErrorType, message: str, field: str | None = None) -> BatchLine:
    doc = {"line": line, "id": rid, "error": {"type": kind, "field": field, "message": message}}
    return BatchLine(line, rid, None, (), json.dumps(doc, ensure_ascii=False, sort_keys=True))


def _label(raw: str, bad_field: str) -> str | None:
    """The id of a record refused while reading its JSON, to label its error line (only when the
    id itself is not what was wrong); never used for a verdict."""
    if bad_field == "id":
        return None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return _safe_id(doc.get("id")) if isinstance(doc, dict) else None


def evaluate_record(engine: Any, record: Record, as_of: Any) -> BatchLine:
    """The output line of one record evaluated with ``engine`` (an ``Engine``): its verdict, or its
    error line (a bad record never raises). Shared with ``_distributed``."""
    raw = record.raw
    if isinstance(raw, _Bad):
        return _error_line(record.line, raw.id, raw.kind, raw.problem, raw.field)
    if isinstance(raw, str):
        try:
            facts = loads(raw, "the line")
        except InvalidJSONError as exc:
            return _error_line(record.line, None, "InvalidJSON", exc.message)
        except FactsError as exc:  # a key twice, a lone surrogate, too deep
            return _error_line(record.line, _label(raw, exc.field), "FactsError", str(exc), exc.field)
    else:
        facts = raw
    rid = _safe_id(facts.get("id")) if isinstance(facts, dict) else None
    try:
        verdict = engine.evaluate(facts, as_of=as_of)
    except FactsError as exc:
        return _error_line(record.line, rid, "FactsError", str(exc), exc.field)
    except EvaluationError as exc:
        return _error_line(record.line, rid, "EvaluationError", str(exc))
    except Exception as exc:  # a defect: still one line for this record, and the batch goes on
        return _error_line(record.line, rid, "EvaluationError",
                           f"internal error ({type(exc).__name__}: {show(str(exc), 200)}); please report it")
    # json.dumps({"line", "id", "verdict"}, ensure_ascii=False, sort_keys=True), with the verdict's own
    # JSON (written from its per-rule fragments, without building its rule outcomes)
    text = (f'{{"id": {json.dumps(verdict.subject_id, ensure_ascii=False)}, "line": {json.dumps(record.line)}, '
            f'"verdict": {verdict.to_json(indent=None)}}}')
    failed = tuple(rule for rule, outcome in verdict.rule_results() if outcome == "failed")
    return BatchLine(record.line, verdict.subject_id, verdict.outcome, failed, text)


def _block(engine: Any, chunk: list[tuple[int, Any]], as_of: Any) -> Block:
    out = [evaluate_record(engine, Record(n, raw), as_of) for n, raw in chunk]
    data = "".join([line.json + "\n" for line in out]).encode("utf-8")
    return Block(data, tuple((line.line, line.id, line.outcome, line.failed_rules) for line in out))


def _work(chunk: list[tuple[int, Any]], as_of: Any,
          slot: int | None = None) -> tuple[bytes | int, tuple[LineInfo, ...]]:
    """A chunk's output, as one block of bytes and a tuple per line (cheap to send back: the parent
    only writes the bytes; it neither decodes them nor builds an object per record). With ``slot``
    (forked workers) each line is written into that shared-memory slot as soon as it is made (one
    line's text is alive at a time: holding a chunk's ~3 MB until the end made the C allocator give
    the memory back and fault it in again, chunk after chunk), and only the length is sent back,
    unless they do not all fit (then the bytes come back whole)."""
    engine = _WORKER_ENGINE
    infos: list[LineInfo] = []
    if slot is None:
        texts: list[str] = []
        for n, raw in chunk:
            line = evaluate_record(engine, Record(n, raw), as_of)
            infos.append((line.line, line.id, line.outcome, line.failed_rules))
            texts.append(line.json + "\n")
        return "".join(texts).encode("utf-8"), tuple(infos)
    shared, end = _SLOTS[slot], 0
    spill: list[bytes] | None = None  # the lines after the first that did not fit
    for n, raw in chunk:
        line = evaluate_record(engine, Record(n, raw), as_of)
        infos.append((line.line, line.id, line.outcome, line.failed_rules))
        data = (line.json + "\n").encode("utf-8")
        if spill is None and end + len(data) <= _SLOT_BYTES:
            shared[end:end + len(data)] = data
            end += len(data)
        elif spill is None:
            spill = [shared[:end], data]
        else:
            spill.append(data)
    return (end if spill is None else b"".join(spill)), tuple(infos)


def _work_jsonl(first: int, data: bytes, too_long: tuple[int, ...], limit: int, as_of: Any,
                slot: int | None = None) -> tuple[bytes | int, tuple[LineInfo, ...]]:
    """``_work`` of the raw JSON Lines ``data`` whose first line is line ``first`` (those numbered
    in ``too_long`` were longer than ``limit``)."""
    return _work([(r.line, r.raw) for r in _jsonl_records(io.BytesIO(data), first, too_long, limit)], as_of, slot)


_SLOT_BYTES = 8 << 20  # a chunk's output (200 verdicts of the shipped rulesets: ~3 MB) fits
_SLOTS: list[mmap.mmap] = []  # shared with forked workers: one per chunk in flight


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[tuple[int, Any]]]:
    chunk: list[tuple[int, Any]] = []
    for r in records:
        chunk.append((r.line, r.raw))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def evaluate_lines(records: Iterable[Record], *, term: str | None = "2017-2018", region: str | None = None,
                   ruleset: str | None = None, as_of: Any = None, backend: str = "auto", workers: int = 1,
                   chunk_size: int = 200, subject: str = "collective",
                   industry: str | None = None) -> Iterator[BatchLine]:
    """One output line per record, in input order, streaming.

    With ``workers > 1`` records go to that many processes in chunks; at most
    ``2 × workers`` chunks are in flight, so memory stays bounded whatever the input size.
    (``evaluate_blocks`` gives the same lines as ready-to-write bytes, which is cheaper.)
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if workers == 1:
        _init_worker(term, region, ruleset, backend, subject, industry)
        engine = _WORKER_ENGINE
        for r in records:
            yield evaluate_record(engine, r, as_of)
        return
    for block in evaluate_blocks(records, term=term, region=region, ruleset=ruleset, as_of=as_of, backend=backend,
                                 workers=workers, chunk_size=chunk_size, subject=subject, industry=industry):
        yield from block.batch_lines()


def evaluate_blocks(records: Iterable[Record], *, term: str | None = "2017-2018", region: str | None = None,
                    ruleset: str | None = None, as_of: Any = None, backend: str = "auto", workers: int = 1,
                    chunk_size: int = 200, subject: str = "collective",
                    industry: str | None = None, lend: bool = False) -> Iterator[Block]:
    """The output of ``evaluate_lines`` as blocks of ready-to-write lines, in input order, streaming.

    With one worker each record is evaluated in this process and gives a block of its own line
    (so a slow input, a pipe, still gets each verdict as soon as its record is read). With
    ``workers > 1``, ``chunk_size`` records go to a worker process at a time and come back as one
    block (UTF-8 bytes and a tuple per line); at most ``2 × workers`` chunks are in flight, so
    memory stays bounded whatever the input size. On Linux the workers are forked after the engine
    is loaded here (see ``_start_method``); elsewhere they are spawned and load it themselves.
    Raises ``EvaluationError`` if a worker process dies (the blocks before it were all given).

    ``lend=True`` is for a caller that is done with each block's ``data`` before it asks for the
    next block (``qnwmh-rules batch`` writes it out): a block that a forked worker wrote into shared
    memory then comes as a read-only ``memoryview`` of that memory instead of a copy, valid only
    until the next block is asked for (the parent copied ~15 KB per record otherwise, the largest
    part of its CPU time). Without it ``data`` is always ``bytes`` of the block's own.
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    # Load once here first: a broken ruleset or an unknown term fails now, with its error,
    # instead of in every worker (where the pool would respawn them forever).
    _init_worker(term, region, ruleset, backend, subject, industry)
    if workers == 1:
        engine = _WORKER_ENGINE
        for r in records:
            yield _block(engine, [(r.line, r.raw)], as_of)
        return
    method = _start_method()
    ctx = multiprocessing.get_context(method)
    in_flight = 2 * workers
    free: collections.deque[int | None] = collections.deque()
    slots: list[mmap.mmap] = []
    if method == "fork":  # the workers start with the engine loaded above
        # A block comes back through shared memory: the pipe's protocol (64 KiB reads, a buffer, a
        # pickle) cost the parent more than writing it out, at ~15 KB per verdict.
        global _SLOTS
        slots = _SLOTS = [mmap.mmap(-1, _SLOT_BYTES) for _ in range(in_flight)]
        free.extend(range(in_flight))
        # Objects alive now (the engine, the ruleset, the modules) go to the collector's permanent
        # generation in the workers: a collection there never walks them, so never writes to
        # (and copies) the pages they share with this process.
        gc.freeze()
        _flush_std_streams()
        try:
            pool = _Pool(workers, initializer=_ignore_ctrl_c_in_worker, context=ctx)
        finally:
            gc.unfreeze()
    else:
        free.extend([None] * in_flight)
        pool = _Pool(workers, initializer=_init_worker, initargs=(term, region, ruleset, backend, subject, industry),
                     context=ctx)
    abandoned = False
    lent: list[tuple[int, memoryview]] = []  # the slot of the block given last (lend=True), and its view
    try:
        # A Pool replaces a worker that dies (killed, out of memory, a crash in the C engine) but
        # never finishes its chunk: watch the workers, instead of waiting for that chunk forever.
        procs: list[Any] = list(getattr(pool, "_pool", []))
        pending: collections.deque[tuple[int, int | None, Any]] = collections.deque()

        def reclaim() -> None:
            """Take back the slot lent with the block given last: the caller asked for the next one."""
            while lent:
                slot, view = lent.pop()
                view.release()
                free.append(slot)

        def done() -> Block:
            nonlocal abandoned
            first, slot, result = pending.popleft()
            while True:
                try:
                    data, lines = result.get(timeout=0.5)
                    if isinstance(data, int) and lend:  # the bytes are in the slot: lent until the next block
                        assert slot is not None
                        view = memoryview(slots[slot]).toreadonly()[:data]
                        lent.append((slot, view))
                        return Block(view, lines)  # type: ignore[arg-type]  # documented: bytes-like
                    if isinstance(data, int):  # the bytes are in the slot (copied out before it is reused)
                        assert slot is not None
                        data = slots[slot][:data]
                    free.append(slot)
                    return Block(data, lines)
                except multiprocessing.TimeoutError:
                    if any(p.exitcode is not None for p in procs):
                        abandoned = True
                        _abandon(pool, procs)
                        raise EvaluationError(
                            f"a worker process died (killed, or out of memory); the batch stopped at line {first}: "
                            f"the output holds every record before it") from None

        tasks: Iterator[tuple[int, Any, tuple[Any, ...]]]
        if isinstance(records, JsonlStream):
            tasks = ((first, _work_jsonl, (first, data, too_long, records.limit, as_of)) for first, data, too_long in
                     _jsonl_chunks(records.stream, chunk_size, limit=records.limit))
        else:
            tasks = ((chunk[0][0], _work, (chunk, as_of)) for chunk in _chunks(records, chunk_size))
        for first, work, args in tasks:
            slot = free.popleft()
            pending.append((first, slot, pool.apply_async(work, (*args, slot))))
            if len(pending) >= in_flight:
                yield done()
                reclaim()
        while pending:
            yield done()
            reclaim()
    finally:
        if abandoned:
            # Pool.terminate() can still wait for a lock a dead worker took with it: give it a few
            # seconds in a daemon thread, then go on (every worker is stopped already).
            stopper = threading.Thread(target=_terminate_quietly, args=(pool,), name="qnwmh-batch-pool-stop",
                                       daemon=True)
            stopper.start()
            stopper.join(timeout=10)
        else:
            pool.terminate()  # what leaving `with Pool(...)` does
        for _, view in lent:
            view.release()
        for shared in slots:
            try:
                shared.close()
            except BufferError:  # a caller still holds a view of a lent block: freed with its last view
                pass
        if _SLOTS is slots:
            _SLOTS = []


class _QuietWhenOrphaned:
    """A pool worker that ends quietly when its parent is gone (killed: SIGKILL, the out-of-memory
    killer): the pipe back to it is broken, and ``multiprocessing`` would print the worker's
    traceback (a BrokenPipeError) on the terminal the batch shared; nobody reads what it would say."""

    def run(self) -> None:
        try:
            super().run()  # type: ignore[misc]
        except (BrokenPipeError, ConnectionResetError, EOFError):
            pass


class _QuietSpawnProcess(_QuietWhenOrphaned, multiprocessing.context.SpawnProcess):
    pass


# the worker class of each start method's context, by the class it replaces
_QUIET_PROCESS: dict[Any, Any] = {multiprocessing.context.SpawnProcess: _QuietSpawnProcess}
if sys.platform != "win32":
    class _QuietForkProcess(_QuietWhenOrphaned, multiprocessing.context.ForkProcess):
        pass

    class _QuietForkServerProcess(_QuietWhenOrphaned, multiprocessing.context.ForkServerProcess):
        pass

    _QUIET_PROCESS |= {multiprocessing.context.ForkProcess: _QuietForkProcess,
                       multiprocessing.context.ForkServerProcess: _QuietForkServerProcess}


class _Pool(multiprocessing.pool.Pool):
    """A ``multiprocessing`` pool whose worker-minding thread wakes only when a worker ends or the
    pool's state changes. The standard one also wakes whenever a result is waiting to be read (it
    watches the results pipe), and then spins, taking the lock of the interpreter, until the result
    thread has read it: ~0.1 s of the parent's CPU per 20,000 records, half of all it spent. (It
    overrides a private method, ``_get_sentinels``, which CPython has had since 3.8.) It never
    starts a replacement for a worker that died (``_NoWorker``): the batch stops on the first that matters."""

    def _get_sentinels(self) -> list[Any]:
        notifier = getattr(self, "_change_notifier", None)
        return [notifier._reader] if notifier is not None else super()._get_sentinels()  # type: ignore[misc]

    def __init__(self, processes: int, *args: Any, **kwargs: Any) -> None:
        started = 0

        def process(ctx: Any, *pargs: Any, **pkwargs: Any) -> Any:
            """The pool's first ``processes`` workers (each ending quietly when the batch's process is killed:
            ``_QuietWhenOrphaned``); after them, a ``_NoWorker`` instead of a replacement."""
            nonlocal started
            if started >= processes:
                return _NoWorker()
            started += 1
            return _QUIET_PROCESS.get(ctx.Process, ctx.Process)(*pargs, **pkwargs)

        # An instance attribute: the pool hands it to its worker-minding thread when it starts it.
        self.Process = process  # type: ignore[method-assign]
        super().__init__(processes, *args, **kwargs)


class _NoWorker:
    """What the batch pool starts in place of a worker that died: nothing. The standard pool forks a
    replacement from its worker-minding thread while the main thread may hold a lock (reading the
    input: the stdin buffer's); the new worker then waited for ever for that lock in its first steps
    (``_close_stdin``), and the batch with it when it ended (3 runs in 6 when an idle worker was killed
    with the input still open). The batch stops on the first dead worker that holds records or the task
    queue's lock, and one that died idle leaves the others to finish: no replacement is needed. This
    stands in the pool's list as a worker that never ends (so none is started after it), has no
    sentinel to wait on, and stops, joins and is alive as nothing does."""

    name = "PoolWorker-none"
    daemon = True
    exitcode = None

    def start(self) -> None:
        pass

    def terminate(self) -> None:
        pass

    def kill(self) -> None:
        pass

    def join(self, timeout: float | None = None) -> None:
        pass

    def is_alive(self) -> bool:
        return False


def _terminate_quietly(pool: Any) -> None:
    """``pool.terminate()`` after ``_abandon``: every worker is stopped already, and terminate can trip
    over a dead worker's half-torn state (an exception in its thread printed a traceback beside the
    batch's one line); the batch's own message says what happened."""
    try:
        pool.terminate()
    except Exception:  # noqa: BLE001 - nothing is left to stop; the user has the batch's one line
        pass


def _abandon(pool: Any, procs: list[Any]) -> None:
    """Stop every worker of a pool one of whose workers died, so that leaving the pool cannot hang.

    A worker waiting for work holds the task queue's read lock while it waits; killed there, it never
    releases it, and ``Pool.terminate()`` (run when the ``with`` block is left) waits for that lock
    for ever. Once every worker is stopped, a lock still held belongs to a dead process: it is freed.
    (This reads two private attributes of ``multiprocessing.pool.Pool``, ``_pool`` and ``_inqueue``,
    which CPython has kept since 3.2; without them only the kill is done.)"""
    workers = [*procs, *getattr(pool, "_pool", [])]
    for w in workers:
        if w.exitcode is None:
            w.kill()
    for w in workers:
        w.join(timeout=5)
    lock = getattr(getattr(pool, "_inqueue", None), "_rlock", None)
    if lock is None:
        return
    if lock.acquire(block=False):
        lock.release()
        return
    try:
        lock.release()  # held by a worker that died holding it
    except ValueError:  # pragma: no cover - released meanwhile
        pass


@attrs.define
class Summary:
    """Counts kept while a batch runs."""

    records: int = 0
    errors: int = 0
    outcomes: collections.Counter[str] = attrs.field(factory=collections.Counter)
    failed_rules: collections.Counter[str] = attrs.field(factory=collections.Counter)

    def add(self, line: BatchLine) -> None:
        self.add_line(line.outcome, line.failed_rules)

    def add_block(self, block: Block) -> None:
        for _, _, outcome, failed in block.lines:
            self.add_line(outcome, failed)

    def add_line(self, outcome: str | None, failed_rules: tuple[str, ...]) -> None:
        """Count one output line: its verdict's outcome and failed rules, or an error (None)."""
        self.records += 1
        if outcome is None:
            self.errors += 1
        else:
            self.outcomes[outcome] += 1
            self.failed_rules.update(failed_rules)

    def to_text(self) -> str:
        out = io.StringIO()
        verdicts = self.records - self.errors
        out.write(f"{_count(self.records, 'record')}: {_count(verdicts, 'verdict')}, "
                  f"{_count(self.errors, 'bad record')}\n")
        for outcome in ("eligible", "ineligible", "undetermined"):
            out.write(f"  {outcome:<13}{self.outcomes.get(outcome, 0)}\n")
        if self.failed_rules:
            out.write("failed rules:\n")
            for rid, n in sorted(self.failed_rules.items(), key=lambda kv: (-kv[1], kv[0])):
                out.write(f"  {rid:<28}{n}\n")
        return out.getvalue()


def _count(n: int, noun: str) -> str:
    """``1 verdict``, ``2 verdicts``, ``0 bad records``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
