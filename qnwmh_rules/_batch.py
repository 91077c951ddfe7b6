"""Batch evaluation: many collectives, streamed, in order, on one or several processes.

Owns: reading records (JSON Lines, or CSV with dotted column names), turning each record
into an output line (its verdict, or an error naming the record's line number and id),
keeping input order with bounded memory, worker processes (each builds its engine once),
and the running summary. A bad record never stops the batch and is never dropped:
input count = verdicts + error lines. Must not know durable_rules or rule meanings.
"""

from __future__ import annotations

import collections
import csv
import io
import json
import multiprocessing
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from .exceptions import EvaluationError, FactsError
from .facts import SUBJECTS

__all__ = ["Record", "BatchLine", "Summary", "read_jsonl", "read_csv", "evaluate_lines"]


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


def read_jsonl(stream: Iterable[str] | Iterable[bytes]) -> Iterator[Record]:
    """Records from JSON Lines (text or bytes); blank lines are skipped but keep the numbering
    honest. A line that is not UTF-8 becomes an error line of its own."""
    for n, raw in enumerate(stream, 1):
        if isinstance(raw, bytes):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Record(n, _NotText(f"not UTF-8 text (byte {exc.start + 1})"))
                continue
        else:
            text = str(raw)
        if text.strip():
            yield Record(n, text)


@attrs.frozen
class _NotText:
    """A record that could not even be decoded; evaluating it gives an error line."""

    problem: str


def read_csv(stream: Iterable[str], *, subject: str = "collective") -> Iterator[Record]:
    """Records from CSV: a header of dotted fact paths (``members.total``); ``honors`` and
    ``filings`` columns hold JSON lists; empty cells are absent facts. Row numbers count the
    header as line 1, as a spreadsheet shows them."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        return
    subj = SUBJECTS[subject]
    counts = {p for p, s in subj.fields.items() if s.type == "count"}
    bools = {p for p, s in subj.fields.items() if s.type == "bool"}
    for n, row in enumerate(reader, 2):
        yield Record(n, _row_to_facts(header, row, subj.lists, counts, bools))


def _row_to_facts(header: list[str], row: list[str], lists: tuple[str, ...], counts: set[str],
                  bools: set[str]) -> Any:
    rid = row[header.index("id")] if "id" in header and len(row) == len(header) else None
    if len(row) != len(header):
        return {"__csv_error__": f"row has {len(row)} cells, the header has {len(header)}"}
    doc: dict[str, Any] = {}
    for name, cell in zip(header, row, strict=True):
        name = name.strip()
        if cell == "":
            continue
        value: Any = cell
        if name in lists:
            try:
                value = json.loads(cell)
            except ValueError as exc:
                return {"__csv_error__": f"column {name!r} is not a JSON list: {exc}", "id": rid}
        elif name in counts:
            try:
                value = int(cell)
            except ValueError:
                value = cell  # let the facts parser name the field and the problem
        elif name in bools:
            value = {"true": True, "false": False}.get(cell.strip().lower(), cell)
        node = doc
        *heads, last = name.split(".")
        for h in heads:
            nxt = node.setdefault(h, {})
            if not isinstance(nxt, dict):
                return {"__csv_error__": f"columns {h!r} and {name!r} both set {h!r}", "id": rid}
            node = nxt
        if isinstance(node.get(last), dict):
            return {"__csv_error__": f"columns {last!r} and {last + '.'}… both set {last!r}", "id": rid}
        node[last] = value
    return doc


# ---- evaluation, in this process or in workers -------------------------------------------

_WORKER_ENGINE: Any = None


def _init_worker(term: str | None, region: str | None, ruleset: str | None, backend: str,
                 subject: str = "collective", industry: str | None = None) -> None:
    global _WORKER_ENGINE
    from ._api import load_ruleset

    _WORKER_ENGINE = load_ruleset(ruleset, backend=backend) if ruleset else \
        load_ruleset(term=term, region=region, backend=backend, subject=subject, industry=industry)


def _error_line(line: int, rid: str | None, kind: str, message: str, field: str | None = None) -> BatchLine:
    doc = {"line": line, "id": rid, "error": {"type": kind, "field": field, "message": message}}
    return BatchLine(line, rid, None, (), json.dumps(doc, ensure_ascii=False, sort_keys=True))


def _one(engine: Any, record: Record, as_of: Any) -> BatchLine:
    raw = record.raw
    if isinstance(raw, _NotText):
        return _error_line(record.line, None, "InvalidText", raw.problem)
    if isinstance(raw, str):
        try:
            facts = json.loads(raw)
        except json.JSONDecodeError as exc:
            return _error_line(record.line, None, "InvalidJSON", f"not valid JSON: {exc.msg} at column {exc.colno}")
        except ValueError as exc:  # an integer too long to convert, and the like
            return _error_line(record.line, None, "InvalidJSON", f"cannot be read as JSON: {exc}")
    else:
        facts = raw
    rid = facts.get("id") if isinstance(facts, dict) and isinstance(facts.get("id"), str) else None
    if isinstance(facts, dict) and "__csv_error__" in facts:
        return _error_line(record.line, rid, "InvalidCSV", facts["__csv_error__"])
    try:
        verdict = engine.evaluate(facts, as_of=as_of)
    except FactsError as exc:
        return _error_line(record.line, rid, "FactsError", str(exc), exc.field)
    except EvaluationError as exc:
        return _error_line(record.line, rid, "EvaluationError", str(exc))
    doc = {"line": record.line, "id": verdict.subject_id, "verdict": verdict.to_dict()}
    failed = tuple(r.id for r in verdict.rules if r.outcome == "failed")
    return BatchLine(record.line, verdict.subject_id, verdict.outcome, failed,
                     json.dumps(doc, ensure_ascii=False, sort_keys=True))


def _work(chunk: list[Record], as_of: Any) -> list[BatchLine]:
    return [_one(_WORKER_ENGINE, r, as_of) for r in chunk]


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for r in records:
        chunk.append(r)
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
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if workers == 1:
        _init_worker(term, region, ruleset, backend, subject, industry)
        engine = _WORKER_ENGINE
        for r in records:
            yield _one(engine, r, as_of)
        return
    # Load once here first: a broken ruleset or an unknown term fails now, with its error,
    # instead of in every worker (where the pool would respawn them forever).
    _init_worker(term, region, ruleset, backend, subject, industry)
    ctx = multiprocessing.get_context("spawn")  # durable's C state is not shared across fork
    init = (term, region, ruleset, backend, subject, industry)
    with ctx.Pool(workers, initializer=_init_worker, initargs=init) as pool:
        pending: collections.deque[Any] = collections.deque()
        for chunk in _chunks(records, chunk_size):
            pending.append(pool.apply_async(_work, (chunk, as_of)))
            if len(pending) >= 2 * workers:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()


@attrs.define
class Summary:
    """Counts kept while a batch runs."""

    records: int = 0
    errors: int = 0
    outcomes: collections.Counter[str] = attrs.field(factory=collections.Counter)
    failed_rules: collections.Counter[str] = attrs.field(factory=collections.Counter)

    def add(self, line: BatchLine) -> None:
        self.records += 1
        if line.outcome is None:
            self.errors += 1
        else:
            self.outcomes[line.outcome] += 1
            self.failed_rules.update(line.failed_rules)

    def to_text(self) -> str:
        out = io.StringIO()
        verdicts = self.records - self.errors
        out.write(f"{self.records} records: {verdicts} verdicts, {self.errors} bad records\n")
        for outcome in ("eligible", "ineligible", "undetermined"):
            out.write(f"  {outcome:<13}{self.outcomes.get(outcome, 0)}\n")
        if self.failed_rules:
            out.write("failed rules:\n")
            for rid, n in sorted(self.failed_rules.items(), key=lambda kv: (-kv[1], kv[0])):
                out.write(f"  {rid:<28}{n}\n")
        return out.getvalue()
