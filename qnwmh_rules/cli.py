"""The ``qnwmh-rules`` command line.

Owns: argument parsing, reading facts JSON from a file or stdin, printing verdict JSON,
and turning errors into one line on stderr with exit code 2. Must not decide rules.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import signal
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

from . import _api, _cases, _facts_schema, _lock, _schema
from . import _batch as B
from . import _diff as _diff_mod
from ._audit import AuditHead, AuditLog, read_key
from ._explain import explain_html, explain_text
from ._finding import PHRASING_SUFFIX, check_phrasing
from ._fmt import FormatError, format_text, replace_file, yaml_files
from ._jsontext import MAX_COLLECTION_BYTES, MAX_COLLECTION_VALUES, MAX_DOCUMENT_BYTES, loads, read_bounded
from ._loader import PathProblem, file_kind, read_file
from ._model import ruleset_key
from ._moments import parse_as_of, parse_timestamp, show
from ._moments import zone as zoneinfo_zone
from ._render_docs import render_markdown
from ._replay import parse_assignment, replay, what_if
from ._show import show_dict, show_text
from ._whynot import why_not
from .exceptions import BackendUnavailableError, EvaluationError, FactsError, RulesetError, did_you_mean
from .verdict import Verdict

__all__ = ["main"]

DEFAULT_LANG = "zh"  # of explain, why-not and docs: the programme's language


def _read_json(name: str) -> Any:
    """A JSON document from a file or stdin, read exactly (``_jsontext.loads``)."""
    where = "stdin" if name == "-" else name
    if name == "-" and sys.stdin is None:
        raise FactsError("(input)", "stdin is closed; give a file or an open stdin")
    try:
        if name == "-":
            data = read_bounded(sys.stdin.buffer, MAX_DOCUMENT_BYTES, where)
        else:
            with open(name, "rb") as f:
                data = read_bounded(f, MAX_DOCUMENT_BYTES, where)
    except OSError as exc:
        raise FactsError("(input)", f"cannot read {where}: {exc.strerror}") from exc
    return loads(data, where)


# What no string of a verdict holds (facts and ruleset texts refuse them): C0 controls but tab and line
# breaks, DEL, C1 controls; printed as they are, they would act on the reader's terminal.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _control_at(doc: Any) -> tuple[str, str] | None:
    """(path, character as U+XXXX) of the first control character in a string or key of ``doc``."""
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        node, path = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in items:
            here = f"{path}[{k}]" if isinstance(k, int) else f"{path}.{k}" if path else str(k)
            for text in (k, v):
                m = _CONTROL.search(text) if isinstance(text, str) else None
                if m is not None:
                    return show(here) if _CONTROL.search(here) else here, f"U+{ord(m.group()):04X}"
            stack.append((v, here))
    return None


def _read_verdict(name: str) -> Any:
    """A stored verdict's JSON: a file that is not JSON, or holds a control character, is "not a verdict",
    not bad facts."""
    try:
        doc = _read_json(name)
    except FactsError as exc:
        if exc.field == "(input)" and exc.message.startswith("cannot read"):
            raise
        raise FactsError("(verdict)", f"{name} is not a verdict document ({exc})") from None
    odd = _control_at(doc)
    if odd is not None:
        raise FactsError("(verdict)", f"{name} is not a verdict document ({odd[0]} holds the control character "
                                      f"{odd[1]}, which no verdict holds)")
    return doc


def _why(exc: BaseException) -> str:
    """What was wrong, in words (never a Python repr)."""
    if isinstance(exc, KeyError):
        return f"it has no {exc.args[0]!s} key" if exc.args else "a key is missing"
    if len(exc.args) > 1 and isinstance(exc.args[0], str):  # attrs' validators add the Attribute and the value
        return exc.args[0]
    text = str(exc)
    return text if text else type(exc).__name__


def _audit_key(args: argparse.Namespace) -> bytes | None:
    if args.audit_key_file and args.audit_key_env:
        args.usage_error("give the audit log key by --audit-key-file or by --audit-key-env, not both")
    if args.audit_key_file:
        return read_key(file=args.audit_key_file)
    if args.audit_key_env:
        return read_key(env=args.audit_key_env)
    return None


def _recorded_at(text: str) -> Any:
    """``--recorded-at``: a timestamp of the one grammar (``_moments``) that must carry its offset."""
    return parse_timestamp(text, "--recorded-at", dt.UTC, require_offset=True, keep_offset=True)


def _evaluate(args: argparse.Namespace) -> int:
    if args.audit_db is None:
        unused = [o for o, v in (("--recorded-at", args.recorded_at), ("--audit-key-file", args.audit_key_file),
                                 ("--audit-key-env", args.audit_key_env)) if v]
        if unused:
            args.usage_error(f"{', '.join(unused)} only go with --audit-db")
    elif args.set:
        args.usage_error("--set and --audit-db cannot be combined: a what-if is not a verdict that was given, "
                         "so it is not recorded in the audit log; evaluate without --set to record the verdict")
    recorded_at = _recorded_at(args.recorded_at) if args.recorded_at else None
    facts = _read_json(args.file)
    engine = _engine_from(args)
    indent = None if args.compact else 2
    if args.set:
        changes = dict(parse_assignment(a) for a in args.set)
        with _facts_errors():
            result = what_if(engine, facts, changes, as_of=args.as_of)
        doc = {"set": changes, **result.to_dict()}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=indent) + "\n")
        for rid, before, after in result.changed:
            print(f"{rid}: {before} → {after}", file=sys.stderr)
        print(f"verdict: {result.before.outcome} → {result.after.outcome}", file=sys.stderr)
        return 0
    with _facts_errors():
        verdict = engine.evaluate(facts, as_of=args.as_of)
    if args.audit_db:
        with AuditLog(args.audit_db, key=_audit_key(args)) as log:
            seq = log.append(verdict, facts, recorded_at=recorded_at)
        _say(f"recorded as entry {seq} in {args.audit_db}")
    sys.stdout.write(verdict.to_json(indent=indent) + "\n")
    return 0


@contextlib.contextmanager
def _facts_errors() -> Iterator[None]:
    """A FactsError raised inside is about the facts, even when its field shares a name with an option
    (the facts' ``region``, ``industry``): ``error_line`` says ``bad facts``, not ``bad option --region``."""
    try:
        yield
    except FactsError as exc:
        if exc.field in ("region", "industry"):  # fact paths; as_of's own fields stay option errors
            exc.from_facts = True  # type: ignore[attr-defined]
        raise


class _CannotUse(Exception):
    """A path named on the command line cannot be read or written; the message names it."""


class _Terminated(SystemExit):
    """SIGTERM arrived during a batch: it stops as Ctrl-C does (workers stopped, whole lines kept).
    Not an ``Exception``, as ``KeyboardInterrupt`` is not: the batch's "a defect in one record gives an
    error line and the batch goes on" and the durable adapter's error handling must let it through."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise _Terminated


class _NamedStdout:
    """``sys.stdout`` during one command: a failed write (a full disk, ``> /dev/full``) names the
    stream (``cannot write stdout: …``) instead of a bare system message; a reader gone away
    (BrokenPipeError) still ends the command quietly. Everything else is the stream's own."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _failed(self, exc: OSError) -> _CannotUse:
        return _CannotUse(f"cannot write stdout: {exc.strerror or exc}")

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._failed(exc) from exc

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._failed(exc) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _write_output(name: str, text: str) -> None:
    """Write ``text`` (UTF-8) to the file ``name`` given by -o / --coverage-json; an unusable
    path becomes one line naming it (``cannot write NAME: reason``), never an errno repr."""
    try:
        Path(name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _CannotUse(f"cannot write {name}: {exc.strerror or exc}") from exc


def _explain(args: argparse.Namespace) -> int:
    doc = _read_verdict(args.verdict)
    facts = _read_json(args.facts) if args.facts else None
    ruleset = _api.load_ruleset(args.ruleset, backend="python") if args.ruleset else None
    try:  # from_dict checks the shape; a value of the wrong type inside shows only while rendering
        verdict = Verdict.from_dict(doc)
        text = (explain_html if args.format == "html" else explain_text)(verdict, lang=args.lang, ruleset=ruleset,
                                                                         facts=facts)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FactsError("(verdict)", f"{args.verdict} is not a verdict document ({_why(exc)})") from exc
    if args.output:
        _write_output(args.output, text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _engine_from(args: argparse.Namespace) -> _api.Engine:
    return _api.load_ruleset(args.ruleset or None, term=args.term, region=args.region, backend=args.backend,
                             subject=getattr(args, "subject", "collective"), industry=getattr(args, "industry", None))


def _why_not(args: argparse.Namespace) -> int:
    engine, facts = _engine_from(args), _read_json(args.file)
    with _facts_errors():
        result = why_not(engine, facts, as_of=args.as_of)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True, indent=2))
    else:
        text = result.to_text(lang=args.lang)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _audit(args: argparse.Namespace) -> int:
    queries = [o for o, v in (("--id", args.id), ("--rule", args.rule), ("--rule-outcome", args.rule_outcome),
                              ("--outcome", args.outcome), ("--limit", args.limit is not None),
                              ("--full", args.full)) if v]
    actions = [o for o, v in (("--verify", args.verify), ("--head", args.head), ("--upgrade", args.upgrade)) if v]
    if queries and actions:
        args.usage_error(f"{', '.join(queries)} filter a query; they do not go with {', '.join(actions)}")
    if args.upgrade and (args.verify or args.head):
        args.usage_error("--upgrade goes alone; verify and take the head after it")
    if args.expect_head and not args.verify:
        args.usage_error("--expect-head goes with --verify")
    if (args.audit_key_file or args.audit_key_env) and not actions:
        args.usage_error("the audit log key is for --verify, --head and --upgrade; a query does not need it")
    for head in args.expect_head:
        try:
            AuditHead.parse(head)
        except FactsError as exc:
            args.usage_error(f"--expect-head: {exc.message}")
    if not Path(args.db).exists():
        raise FactsError("(audit)", f"no audit log at {args.db} (it is created by `evaluate --audit-db`)")
    with AuditLog(args.db, key=_audit_key(args), create=False) as log:
        if args.upgrade:
            seq = log.upgrade()
            print(f"{args.db}: already of the current layout" if seq is None else
                  f"{args.db}: upgraded; the upgrade is recorded as entry {seq}", file=sys.stderr)
            return 0
        if args.verify:
            problems = log.verify(expect_head=args.expect_head)
            for p in problems:
                print(p)
            try:
                migrations = log.migrations()
            except OSError:  # a log too damaged to read them: its problems are listed above
                migrations = []
            for seq, record in migrations:
                if isinstance(record.get("recorded_at"), str) and isinstance(record.get("note"), str):
                    print(f"note: entry {seq} records an upgrade at {record['recorded_at']}: {record['note']}",
                          file=sys.stderr)
            print(f"{'no problems' if not problems else f'{len(problems)} problem(s)'} in {args.db}"
                  + (f" (it extends the expected head{'s' if len(args.expect_head) > 1 else ''})"
                     if args.expect_head and not problems else ""), file=sys.stderr)
            if problems:
                return 1
        if args.head:
            print(log.head())
            return 0
        if args.verify:
            return 0
        entries = log.query(subject_id=args.id, rule_id=args.rule, outcome=args.outcome,
                            rule_outcome=args.rule_outcome, limit=args.limit)
        for e in entries:
            print(json.dumps({"seq": e.seq, "recorded_at": e.recorded_at and e.recorded_at.isoformat(),
                              "subject_id": e.subject_id,
                              "outcome": e.outcome, "ruleset": ruleset_key(e.term, e.ruleset_id, e.version),
                              "as_of": e.as_of} | ({"verdict": e.verdict.to_dict(), "facts": e.facts}
                                                   if args.full else {}), ensure_ascii=False, sort_keys=True))
        note = ""
        if args.rule and not entries:
            known = log.rule_ids()
            if args.rule not in known:
                hint = did_you_mean(args.rule, known)
                note = f" (no verdict in the log has a rule {args.rule!r}" + (f"; {hint})" if hint else ")")
        print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}{note}", file=sys.stderr)
    return 0


def _replay_cmd(args: argparse.Namespace) -> int:
    doc = _read_verdict(args.verdict)
    try:
        report = replay(doc, _read_json(args.facts), ruleset=args.ruleset)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, (FactsError, RulesetError)):
            raise
        raise FactsError("(verdict)", f"{args.verdict} is not a verdict document ({_why(exc)})") from exc
    sys.stdout.write(report.to_text())
    return 0 if report.identical and report.ruleset_hash_matches and report.facts_hash_matches else 1


def _list(args: argparse.Namespace) -> int:
    for term, regions in _api.available_rulesets().items():
        print(f"{term}\tnational" + "".join(f"\n{term}\t{r}" for r in regions))
    for term, industries in _api.available_unit_rulesets().items():
        print(f"{term}\tunit" + "".join(f"\n{term}\tunit-{i}" for i in industries))
    return 0


def _ruleset_files(paths: list[str]) -> list[Path]:
    """Ruleset files named, or found in folders (``*.yaml`` except cases files; facts schemas
    ``*.facts.yaml`` included, which ``check`` checks as schemas)."""
    out: list[Path] = []
    for name in paths:
        p = Path(name)
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*.yaml") if file_kind(f) in ("ruleset", "facts_schema")))
        else:
            out.append(p)
    return _once(out)


def _once(files: list[Path]) -> list[Path]:
    """``files`` without repeats: a file named twice, or named and inside a named folder, is checked once."""
    first: dict[Path, Path] = {}
    for f in files:
        first.setdefault(f.resolve(), f)
    return list(first.values())


def _check(args: argparse.Namespace) -> int:
    files = _ruleset_files(args.paths)
    # a file named on its own is checked as what it is (file_kind): a names file as one, a golden cases
    # file read and checked (`test` runs it), never as a ruleset (which reported Q101/Q103 on its keys)
    named_phrasing = [f for f in files if file_kind(f) == "phrasing"]
    named_cases = [f for f in files if file_kind(f) == "cases"]
    files = [f for f in files if file_kind(f) not in ("phrasing", "cases")]
    problems: list[dict[str, Any]] = []
    # the names findings use (rulesets/findings/*.phrasing.yaml) are checked with the rulesets they serve
    found_phrasing = sorted(x for name in args.paths if Path(name).is_dir()
                            for x in Path(name).rglob(f"*{PHRASING_SUFFIX}"))
    named_at = {f.resolve() for f in named_phrasing}
    found_phrasing = [f for f in _once(found_phrasing) if f.resolve() not in named_at]
    for f in [*found_phrasing, *named_phrasing]:
        for err in check_phrasing(f):
            problems.append({"file": err.path or str(f), "line": err.line, "column": err.col, "code": err.code,
                             "message": err.message, "suggestion": err.suggestion, "text": str(err)})
    for f in named_cases:
        try:
            _cases.read_cases(f)
        except RulesetError as exc:
            for err in exc.errors:
                problems.append({"file": err.path or str(f), "line": err.line, "column": err.col, "code": err.code,
                                 "message": err.message, "suggestion": err.suggestion, "text": str(err)})
    for f in files:  # every file is checked and reported, whatever happened to the ones before
        try:
            # no engine is built; where durable_rules is installed it is asked whether it takes the
            # compiled rules (Q306), so that what check accepts runs on the engine of record
            if f.name.endswith(_facts_schema.SUFFIX):  # a facts schema (rulesets/facts/): checked as one
                _facts_schema.check_file(f)
            else:
                _api.load_ruleset(f, backend="python", probe_durable=True)
        except RulesetError as exc:
            for err in exc.errors:
                problems.append({"file": err.path or str(f), "line": err.line, "column": err.col, "code": err.code,
                                 "message": err.message, "suggestion": err.suggestion, "text": str(err)})
        except (EvaluationError, OSError) as exc:  # a defect, not the author's: still report and go on
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            problems.append({"file": str(f), "line": None, "column": None, "code": None,
                             "message": f"cannot be checked: {why}", "suggestion": None,
                             "text": f"{f}: cannot be checked: {why}"})
    others = len(named_phrasing) + len(named_cases) + (len(found_phrasing) if not files else 0)
    if not files and not others:
        print("qnwmh-rules: no ruleset files found", file=sys.stderr)
        return 2
    if args.format == "json":
        checked = [*files, *found_phrasing, *named_phrasing, *named_cases]  # every file a problem can name
        doc = {"files": [str(f) for f in checked], "problems": [{k: v for k, v in p.items() if k != "text"}
                                                               for p in problems]}
        print(_escape(json.dumps(doc, ensure_ascii=False, indent=2), _SURROGATE))
    else:
        for p in problems:
            _say(p["text"], sys.stdout)
    schemas = sum(f.name.endswith(_facts_schema.SUFFIX) for f in files)
    print(f"checked {len(files) - schemas} ruleset file(s)"
          + (f" and {schemas} facts schema file(s)" if schemas else "")
          + (f" and {others} names or cases file(s)" if others else "") + ": "
          + (f"{len(problems)} problem(s)" if problems else "no problems"), file=sys.stderr)
    return 2 if problems else 0


def _coverage_doc(report: dict[tuple[str, str], set[str]]) -> dict[str, Any]:
    """The rule coverage as JSON: each rule (id, layer) with the outcomes some case reached, and the
    pass/fail percentage (each rule counts twice: seen passing, seen failing)."""
    rules: list[dict[str, Any]] = [{"id": rid, "layer": layer, "passed": "passed" in seen, "failed": "failed" in seen,
              "undetermined": "undetermined" in seen, "not_applicable": "not_applicable" in seen}
             for (rid, layer), seen in sorted(report.items(), key=lambda kv: (kv[0][1], kv[0][0]))]
    full = sum(int(r["passed"]) + int(r["failed"]) for r in rules)
    return {"rules": rules, "pass_fail_percent": round(100.0 * full / (2 * len(rules)), 1) if rules else 100.0}


def _junit(runs: list[tuple[Path, Any, list[_cases.CaseResult]]], coverage: dict[str, Any]) -> str:
    """JUnit XML: one <testsuite> per cases file, one <testcase> per case, a <failure> listing
    what differed; the coverage percentage as a property of the whole run."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="qnwmh-rules test")
    props = ET.SubElement(root, "properties")
    ET.SubElement(props, "property", name="pass_fail_coverage_percent", value=str(coverage["pass_fail_percent"]))
    total = failures = 0
    for f, _, results in runs:
        bad = sum(not r.ok for r in results)
        suite = ET.SubElement(root, "testsuite", name=str(f), tests=str(len(results)), failures=str(bad),
                              errors="0", skipped="0")
        for r in results:
            case = ET.SubElement(suite, "testcase", classname=str(f).removesuffix(".cases.yaml").replace("/", "."),
                                 name=r.case.name, file=str(f), line=str(r.case.line))
            if not r.ok:
                failure = ET.SubElement(case, "failure", message=r.differences[0] if r.differences else "failed",
                                        type="CaseFailed")
                failure.text = "\n".join(r.differences)
        total += len(results)
        failures += bad
    root.set("tests", str(total))
    root.set("failures", str(failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + _escape(ET.tostring(root, encoding="unicode"), _NOT_XML) + "\n"


# Characters XML 1.0 does not allow (ElementTree writes them as they are, and no parser reads the
# file then), and characters a terminal would act on; lone surrogates cannot be written as UTF-8.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NOT_SHOWN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# What a diagnostic line never writes as itself (it writes \xNN / \uNNNN instead): controls, line
# breaks included (one problem, one line: a file name holding a newline cannot forge a second
# line in a log), the Unicode line and paragraph separators, the bidi embedding, override and
# isolate controls (which reorder what a terminal shows), lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _say(text: str, stream: Any = None) -> None:
    """Print one diagnostic line (to stderr unless ``stream``), ``_UNSAFE`` characters escaped."""
    print(_escape(text, _UNSAFE), file=sys.stderr if stream is None else stream)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(text: str, which: re.Pattern[str]) -> str:
    """``text`` with the characters ``which`` matches written as ``\\xNN`` / ``\\uNNNN`` (inside a JSON
    string ``\\uNNNN`` is JSON's own escape, so ``_SURROGATE`` keeps JSON valid)."""
    return which.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def _test(args: argparse.Namespace) -> int:
    import re

    files: list[Path] = []
    for name in args.paths:
        if not Path(name).exists():
            raise _CannotUse(f"{name}: no such file or folder")
        files.extend(_cases.find_case_files(Path(name)))
    if not files:
        print("qnwmh-rules: no *.cases.yaml files found", file=sys.stderr)
        return 2
    try:
        pattern = re.compile(args.k, re.IGNORECASE) if args.k is not None else None
    except re.error as exc:
        raise FactsError("-k", f"not a regular expression: {exc}") from None
    runs = [(f, engine, [r for r in results if pattern is None or pattern.search(r.case.name)])
            for f, engine, results in _cases.run_files(files, backend=args.backend)]
    total = sum(len(results) for _, _, results in runs)
    failed = sum(not r.ok for _, _, results in runs for r in results)
    if pattern is not None and not total:
        _say(f"qnwmh-rules: no case name matches -k {args.k!r}")
        return 2
    report = _cases.coverage([(engine, results) for _, engine, results in runs])
    cov = _coverage_doc(report)
    pct = cov["pass_fail_percent"]
    below = args.min_coverage is not None and pct < args.min_coverage
    if args.coverage_json:
        _write_output(args.coverage_json, json.dumps(cov, ensure_ascii=False, indent=2) + "\n")
    if args.format == "json":
        print(_escape(json.dumps({"cases": [{"file": str(f), "line": r.case.line, "name": r.case.name, "ok": r.ok,
                                     "differences": list(r.differences)} for f, _, results in runs for r in results],
                          "passed": total - failed, "failed": failed, "coverage": cov,
                          "min_coverage": args.min_coverage, "ok": not failed and not below},
                         ensure_ascii=False, indent=2), _SURROGATE))
    elif args.format == "junit":
        sys.stdout.write(_junit(runs, cov))
    else:
        for f, _, results in runs:
            for res in results:
                if not res.ok:
                    _say(f"FAIL {f}:{res.case.line}: {res.case.name}", sys.stdout)
                    for d in res.differences:
                        print(_escape(f"     {d}", _NOT_SHOWN))
                elif args.verbose:
                    _say(f"ok   {f}:{res.case.line}: {res.case.name}", sys.stdout)
        print("\nrule coverage (P passed, F failed, U undetermined seen in some case):")
        width = max((len(rid) for rid, _ in report), default=0)
        for r in cov["rules"]:
            marks = "".join(m if r[o] else "." for m, o in (("P", "passed"), ("F", "failed"), ("U", "undetermined")))
            print(f"  {r['id']:<{width}}  {marks}  {r['layer']}")
        print(f"\n{total - failed} passed, {failed} failed")
        print(f"pass/fail coverage: {pct:.1f}% of {len(report)} rules")
    if failed:
        return 1
    if below:
        print(f"coverage {pct:.1f}% is below --min-coverage {args.min_coverage:g}%", file=sys.stderr)
        return 1
    return 0


_NAMED_RULESET = "a shipped TERM or TERM:REGION as `list` names it (e.g. 2017-2018:unit-transport)"


def _load_named(spec: str, backend: str = "python") -> _api.Engine:
    """A ruleset file path, or a shipped ruleset by the name ``list`` prints it under: ``TERM`` or
    ``TERM:national`` (the national ruleset), ``TERM:REGION``, ``TERM:unit`` or ``TERM:unit-INDUSTRY``
    (a management unit's assessment)."""
    p = Path(spec)
    if p.is_file():
        return _api.load_ruleset(p, backend=backend)
    term, _, region = spec.partition(":")
    try:
        if region == "unit" or region.startswith("unit-"):
            industry = region.removeprefix("unit").removeprefix("-") or None
            return _api.load_ruleset(term=term, subject="unit", industry=industry, backend=backend)
        return _api.load_ruleset(term=term, region=None if region in ("", "national") else region, backend=backend)
    except FactsError as exc:
        import difflib

        close = difflib.get_close_matches(spec, _shipped_names(), n=1, cutoff=0.6)
        raise RulesetError("Q010", f"{spec!r} is neither a ruleset file nor a shipped term ({exc.message})",
                           path=spec, suggestion=(f"did you mean {close[0]!r}? " if close else "")
                           + "give a path to a .yaml file, or TERM / TERM:REGION (TERM:national, TERM:unit, "
                             "TERM:unit-INDUSTRY); `qnwmh-rules list` shows the shipped ones") from None


def _shipped_names() -> list[str]:
    """Every name of a shipped ruleset, as ``list`` prints them (``TERM:REGION``) and as the bare ``TERM``."""
    names = [name for t, regions in _api.available_rulesets().items()
             for name in [t, f"{t}:national", *(f"{t}:{r}" for r in regions)]]
    return names + [name for t, industries in _api.available_unit_rulesets().items()
                    for name in [f"{t}:unit", *(f"{t}:unit-{i}" for i in industries)]]


def _collectives(name: str, as_of: Any) -> list[tuple[str | None, Any, Any]]:
    """(label, facts, as_of) to re-evaluate: a JSON list, JSON Lines, or a *.cases.yaml file
    (each case labelled by its name, with its own as_of)."""
    if file_kind(name) == "cases":
        return [(c.name, c.facts, c.as_of if c.as_of is not None else as_of)
                for c in _cases.read_cases(name).cases if c.error is None]
    try:
        with open(name, "rb") as f:
            data = read_bounded(f, MAX_COLLECTION_BYTES, name)
    except OSError as exc:
        raise FactsError("(input)", f"cannot read {name}: {exc.strerror}") from exc
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
        docs = loads(data, name, max_values=MAX_COLLECTION_VALUES)
        return [(None, f, as_of) for f in docs] if isinstance(docs, list) else [(None, docs, as_of)]
    out: list[tuple[str | None, Any, Any]] = []
    for i, line in enumerate(data.split(b"\n"), 1):
        if line.strip(b" \t\r\n") and not (i == 1 and line.strip(b" \t\r\n") == b"\xef\xbb\xbf"):
            out.append((None, loads(line, f"{name}:{i}"), as_of))
    return out


def _diff(args: argparse.Namespace) -> int:
    a, b = _load_named(args.old), _load_named(args.new)
    changes = _diff_mod.diff_rulesets(a.ruleset, b.ruleset)
    found: list[_diff_mod.Flip] = []
    count = 0
    if args.cases:
        found, count = _diff_mod.flips(a, b, _collectives(args.cases, args.as_of))
    if args.json:
        doc: dict[str, Any] = {"old": a.ruleset.layers[-1], "new": b.ruleset.layers[-1],
                               "changes": [c.to_dict() for c in changes]}
        if args.cases:
            doc["evaluated"] = count
            doc["flips"] = [{"id": f.subject_id, "old": f.old, "new": f.new,
                             "rules": [list(r) for r in f.rules]} for f in found]
        print(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
    else:
        sys.stdout.write(_diff_mod.format_changes(a.ruleset, b.ruleset, changes))
        if args.cases:
            sys.stdout.write("\n" + _diff_mod.format_flips(found, count))
    return 0


def _release(args: argparse.Namespace) -> int:
    engine = _api.load_ruleset(args.file, backend="python", probe_durable=True)  # as check does
    placeholders = [p.name for p in engine.ruleset.parameters if p.placeholder]
    if placeholders and not args.allow_placeholders:
        print(f"qnwmh-rules: not released: parameters still marked placeholder: {', '.join(placeholders)} "
              "(pass --allow-placeholders to release them as placeholders)", file=sys.stderr)
        return 1
    target = Path(args.file).resolve()
    for f in _cases.find_case_files(target.parent):
        cases = _cases.read_cases(f)
        if cases.ruleset_path != target:
            continue
        bad = [r for r in _cases.run_cases(engine, cases) if not r.ok]
        if bad:
            for r in bad:
                _say(f"FAIL {f}:{r.case.line}: {r.case.name}: {'; '.join(r.differences)}")
            print("qnwmh-rules: not released: its golden cases fail", file=sys.stderr)
            return 1
    lock = Path(args.lock) if args.lock else (_lock.find_lock(args.file) or Path(args.file).parent / _lock.LOCK_NAME)
    key, wording = engine.ruleset.key, _schema.wording_sha256(engine.ruleset)
    try:
        said = _lock.release(engine.ruleset, lock, wording)
    except OSError as exc:
        raise _CannotUse(f"cannot write the lock file {lock}: {exc.strerror or exc}") from exc
    # a version released before the lock recorded wording gets its findings' wording recorded
    if said == "wording":  # the hash shown is the one recorded now: the wording's, not the content's
        print(f"recorded the wording of: {key} wording sha256 {wording} ({lock})")
    else:
        print(f"{'already released' if said is None else 'released'}: {key} sha256 {engine.ruleset.sha256} ({lock})")
    return 0


def _show(args: argparse.Namespace) -> int:
    rs = _load_named(args.ruleset).ruleset
    if args.json:
        print(_escape(json.dumps(show_dict(rs), ensure_ascii=False, indent=2), _SURROGATE))
    else:
        sys.stdout.write(show_text(rs))
    return 0


def _fmt(args: argparse.Namespace) -> int:
    files = yaml_files(args.paths)
    if not files:
        print("qnwmh-rules: no YAML files found", file=sys.stderr)
        return 2
    changed = broken = 0
    for f, kind in files:
        if kind is None:  # named by the caller: a facts schema, a phrasing file, a .json file …
            _say(f"{f}: cannot be formatted: fmt formats ruleset (*.yaml) and cases (*.cases.yaml) files only",
                 sys.stdout)
            broken += 1
            continue
        try:
            text = read_file(f)  # as written (CRLF line ends are a change); a regular file of at most 1 MiB
        except PathProblem as exc:
            _say(f"{f}: cannot be formatted: {exc.message}", sys.stdout)
            broken += 1
            continue
        except OSError as exc:
            _say(f"{f}: cannot be formatted: {exc.strerror or exc}", sys.stdout)
            broken += 1
            continue
        except UnicodeDecodeError as exc:
            _say(f"{f}: cannot be formatted: {exc}", sys.stdout)
            broken += 1
            continue
        try:
            out = format_text(text, kind)
        except FormatError as exc:
            _say(f"{f}: cannot be formatted: {exc}", sys.stdout)
            broken += 1
            continue
        if out != text:
            changed += 1
            if args.check:
                _say(f"would reformat {f}", sys.stdout)
            else:
                try:
                    replace_file(f, out)
                except OSError as exc:  # read-only: say so and go on with the other files
                    _say(f"{f}: cannot be written: {exc.strerror or exc}", sys.stdout)
                    changed -= 1  # counted once, as a file that cannot be formatted
                    broken += 1
                    continue
                _say(f"reformatted {f}", sys.stdout)
    verb = "would be reformatted" if args.check else "reformatted"
    print(f"{len(files)} file(s): {changed} {verb}" + (f", {broken} cannot be formatted" if broken else ""),
          file=sys.stderr)
    return 2 if broken else 1 if args.check and changed else 0


def _docs(args: argparse.Namespace) -> int:
    text = render_markdown(_load_named(args.ruleset).ruleset, lang=args.lang)
    if args.output:
        _write_output(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


class _LineWriter:
    """Writes whole output lines only. Lines are written in blocks of complete lines; while a
    block is being written, Ctrl-C (SIGINT) and SIGTERM wait until it is done, and if the write
    fails (a full disk) a regular file is cut back to the end of the last whole block. So an
    interrupted run leaves the lines of the records finished so far, never half a line."""

    _HELD = {signal.SIGINT, signal.SIGTERM}

    def __init__(self, fd: int | None, close: bool, name: str) -> None:
        self.fd, self._close, self._size, self._name = fd, close, 0, name
        self._buf: list[bytes | memoryview] = []
        self._regular = fd is not None and stat.S_ISREG(os.fstat(fd).st_mode)
        self._good = os.lseek(fd, 0, os.SEEK_CUR) if self._regular and fd is not None else 0

    def write_line(self, text: str) -> None:
        self.write_block((text + "\n").encode("utf-8"))

    def write_block(self, data: bytes | memoryview) -> None:
        """Write whole lines (UTF-8, each ending in a newline), buffered. A ``memoryview`` (a block
        lent by ``evaluate_blocks``) is written or copied before this returns: it is not kept."""
        if isinstance(data, memoryview) and self._size + len(data) < 1 << 16:
            data = bytes(data)
        self._buf.append(data)
        self._size += len(data)
        if self._size >= 1 << 16:
            self.flush()

    def flush(self) -> None:
        data = self._buf[0] if len(self._buf) == 1 else b"".join(self._buf)  # a block: no copy
        self._buf, self._size = [], 0
        if not data:
            return
        if self.fd is None:  # stdout without a file descriptor (an embedding program's stream)
            sys.stdout.write(str(data, "utf-8"))
            sys.stdout.flush()
            return
        held = signal.pthread_sigmask(signal.SIG_BLOCK, self._HELD)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view):]
            self._good += len(data)
        except OSError as exc:
            if self._regular:
                os.ftruncate(self.fd, self._good)
                os.lseek(self.fd, self._good, os.SEEK_SET)
            if isinstance(exc, BrokenPipeError):  # the reader has gone: ended quietly by _run
                raise
            raise _CannotUse(f"cannot write {self._name}: {exc.strerror or exc}") from exc
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._close and self.fd is not None:
                os.close(self.fd)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _file_id(name: str, fd: int | None) -> tuple[int, int] | None:
    """The (device, inode) of a regular file named ``name`` (``-``: the open ``fd``), else None."""
    try:
        st = os.fstat(fd) if name == "-" and fd is not None else os.stat(name)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def _stream_fd(stream: Any) -> int | None:
    try:
        return int(stream.fileno())
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation: no real file behind it
        return None


def _refuse_output_onto_input(args: argparse.Namespace) -> None:
    """The output is never the input, however either is named: ``-o`` a path, or stdout (``-``)
    redirected onto the input; the input a path, or stdin (``-``) redirected from the output."""
    if args.input != "-" and args.output not in (None, "-") and _same_file(args.input, args.output):
        same = True
    else:
        src = _file_id(args.input, _stream_fd(sys.stdin))
        out = _file_id("-" if args.output in (None, "-") else args.output, _stream_fd(sys.stdout))
        same = src is not None and src == out
    if same:
        where = "stdout" if args.output in (None, "-") else args.output
        raise FactsError("--output", f"{where} is the input file; writing it would destroy the input")


def _batch(args: argparse.Namespace) -> int:
    import codecs


    if args.as_of is not None:  # refuse a bad --as-of now, not once per record
        parse_as_of(args.as_of, zoneinfo_zone("Asia/Shanghai") or dt.UTC)  # the shipped rulesets' zone
    problem = B.encoding_problem(args.encoding)
    if problem is not None:
        raise FactsError("--encoding", problem)
    _refuse_output_onto_input(args)
    fmt = args.format or ("csv" if args.input.lower().endswith(".csv") else "jsonl")
    if args.input == "-" and sys.stdin is None:
        raise FactsError("(input)", "stdin is closed; give a file or an open stdin")
    try:
        source: Any = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise FactsError("(input)", f"cannot read {args.input}: {exc.strerror or exc}") from exc
    wide = None  # an input in UTF-16/32 cannot be cut into records unless read in that encoding
    codec = codecs.lookup(args.encoding).name
    head = source.peek(4)[:4] if hasattr(source, "peek") else b""
    boms = {"utf-16": (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE), "utf-32": (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)}
    if codec in boms and head and not head.startswith(boms[codec]):  # Python's decoder needs the mark
        if args.input != "-":
            source.close()
        raise FactsError("--encoding", f"the input has no {codec.upper()} byte-order mark, which --encoding {codec} "
                                       f"needs; give --encoding {codec}-le or {codec}-be")
    if not codec.startswith(("utf-16", "utf-32")):
        wide = B.wide_unicode(head)
    if wide is not None:
        if args.input != "-":
            source.close()
        hint = f"give --encoding {wide.lower()}" if fmt == "csv" else f"JSON Lines must be UTF-8: convert it " \
            f"(e.g. iconv -f {wide} -t UTF-8)"
        raise FactsError("(input)", f"{'stdin' if args.input == '-' else args.input} is {wide} text, not "
                                    f"{args.encoding if fmt == 'csv' else 'UTF-8'}; {hint}")
    records: Iterable[B.Record]
    if fmt == "csv":
        records = B.read_csv(source, subject=args.subject, encoding=args.encoding)
    else:  # bytes, so that one line that is not UTF-8 is an error line, not the end of the batch
        if codecs.lookup(args.encoding).name != "utf-8":
            raise FactsError("--encoding", "JSON Lines are always UTF-8; --encoding is for CSV input")
        records = B.JsonlStream(source)
    try:
        if args.output in (None, "-"):
            sys.stdout.flush()
            try:
                fd: int | None = sys.stdout.fileno()
            except (OSError, ValueError):  # io.UnsupportedOperation: no real file behind stdout
                fd = None
            out = _LineWriter(fd, close=False, name="stdout")
        else:
            out = _LineWriter(os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666), close=True,
                              name=args.output)
    except OSError as exc:
        if args.input != "-":
            source.close()
        raise _CannotUse(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    to_terminal = args.output in (None, "-") and sys.stdout is not None and sys.stdout.isatty()
    # a bar redrawn on the terminal the verdict lines go to would be glued into them
    bar = _progress_bar(args, fmt) if sys.stderr.isatty() and not args.quiet and not to_terminal else None
    summary = B.Summary()
    # SIGTERM (`kill PID`, a service manager) would end this process at once and orphan the workers,
    # which then print a BrokenPipeError traceback each: stop as for Ctrl-C instead.
    import threading

    on_term = signal.getsignal(signal.SIGTERM) if threading.current_thread() is threading.main_thread() else None
    if on_term is not None:
        signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        for block in B.evaluate_blocks(records, term=None if args.ruleset else args.term, region=args.region,
                                       ruleset=args.ruleset, as_of=args.as_of, backend=args.backend,
                                       workers=args.workers, subject=args.subject, industry=args.industry,
                                       lend=True):  # each block's data is written before the next is asked for
            out.write_block(block.data)
            errors = summary.errors
            summary.add_block(block)
            if bar is not None:
                bar.update(len(block.lines))
                if summary.errors != errors:
                    bar.set_postfix(bad=summary.errors, refresh=False)
    finally:
        try:
            if bar is not None:
                bar.close()
        finally:
            try:
                out.close()
            finally:
                if args.input != "-":
                    source.close()
                if on_term is not None:
                    signal.signal(signal.SIGTERM, on_term)
    if not args.quiet:
        sys.stderr.write(summary.to_text())
    return 1 if summary.errors else 0


def _progress_bar(args: argparse.Namespace, fmt: str) -> Any:
    """A tqdm bar on stderr (a terminal): records done, rate and, for a JSON Lines file, the total
    and time left (its non-blank lines are counted first; a CSV row may span lines, so no total)."""
    from tqdm import tqdm  # type: ignore[import-untyped]  # ships no type information

    total = None
    if fmt == "jsonl" and args.input != "-" and Path(args.input).is_file():
        total, blank = 0, True
        with open(args.input, "rb") as f:  # in pieces of at most 1 MiB: a line may be endless
            while piece := f.readline(1 << 20):
                if piece.strip(b" \t\r\n\xef\xbb\xbf"):
                    blank = False
                if piece.endswith(b"\n"):
                    total, blank = total + (not blank), True
        total += not blank
    # no monitor thread: batch forks its worker processes only from a process without other threads
    tqdm.monitor_interval = 0
    return tqdm(total=total, unit=" records", file=sys.stderr, dynamic_ncols=True, mininterval=0.2,
                leave=False)


def _audit_key_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--audit-key-file", default=None, metavar="FILE",
                        help="the key of a keyed audit log (HMAC): a file holding it (never stored in the log)")
    parser.add_argument("--audit-key-env", default=None, metavar="VAR",
                        help="the key of a keyed audit log: the environment variable holding it")


def _positive_int(text: str) -> int:
    """``--workers``: a whole number of at least 1."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


class _Parser(argparse.ArgumentParser):
    """argparse with "did you mean" for a misspelt option, subcommand or choice."""

    def error(self, message: str) -> NoReturn:
        import difflib
        import re

        hint = ""
        m = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if m:
            close = difflib.get_close_matches(m.group(1), re.findall(r"'([^']*)'", m.group(2)), n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
        m = re.search(r"unrecognized arguments: (.*)", message)
        if m:
            known = [o for a in self._actions for o in a.option_strings]
            for word in m.group(1).split():
                close = difflib.get_close_matches(word.split("=")[0], known, n=1, cutoff=0.6) \
                    if word.startswith("-") else []
                if close:
                    hint += f"; did you mean {close[0]}?" if not hint else f" {word}: {close[0]}?"
        super().error(_escape(message + hint, _UNSAFE))  # an argument may hold a line break


_EX = "examples (run from the repository root):\n"
_EXIT = "\nexit codes: "


def _epilog(examples: list[str], codes: str) -> str:
    return _EX + "".join(f"  qnwmh-rules {e}\n" for e in examples) + _EXIT + codes


def _subparser(sub: Any, name: str, help: str, examples: list[str], codes: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help, description=help[0].upper() + help[1:] + ".", epilog=_epilog(examples, codes),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    return parser


def _ruleset_options(parser: argparse.ArgumentParser, subjects: bool = True) -> None:
    """--term, --region, --ruleset, --subject, --industry, --as-of, --backend: which ruleset, as of when."""
    parser.add_argument("--term", default="2017-2018", help="term of the shipped ruleset (default 2017-2018)")
    parser.add_argument("--region", default=None, help="apply this region's overlay, e.g. guangdong "
                                                       "(default: the national rules)")
    parser.add_argument("--ruleset", default=None, metavar="FILE",
                        help="a ruleset file to use instead of the shipped ones")
    if subjects:
        parser.add_argument("--subject", default="collective", choices=("collective", "unit"),
                            help="what the facts describe: a collective (default) or a management unit "
                                 "(考评, scored)")
        parser.add_argument("--industry", default=None,
                            help="for --subject unit: the industry overlay, e.g. transport")
    parser.add_argument("--as-of", default=None, metavar="WHEN",
                        help="evaluate as of this date (2017-10-15) or ISO timestamp with offset "
                             "(2017-10-15T09:00:00+08:00); recorded in the stamp (default: every deadline passed)")
    parser.add_argument("--backend", default="auto", choices=_api.BACKENDS,
                        help="engine: auto (default: durable, the engine of record, where durable-rules imports; "
                             "else python), durable or python")


_CODES_EVAL = "0 done; 2 bad facts, a bad option or a broken ruleset file; 3 evaluation failed (a defect)"


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="qnwmh-rules", description="Rules-as-code for the 青年文明号 programme.",
                epilog="`qnwmh-rules SUBCOMMAND --help` gives each subcommand's options, examples and exit codes.")
    p.add_argument("--version", action="version", version=f"qnwmh-rules {_api.__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")
    e = _subparser(sub, "evaluate", "evaluate one collective's facts (JSON) and print its verdict as JSON",
                   ["evaluate --region guangdong rulesets/examples/collective-gd-0001.json",
                    "evaluate --region guangdong --as-of 2017-10-15 --set members.aged_35_or_under=10 "
                    "rulesets/examples/collective-gd-0001.json",
                    "evaluate --region guangdong FACTS.json --audit-db audit.db > verdict.json"], _CODES_EVAL)
    e.add_argument("file", metavar="FILE|-", help="facts JSON file, or - for stdin")
    _ruleset_options(e)
    e.add_argument("--compact", action="store_true", help="print the JSON on one line")
    e.add_argument("--audit-db", default=None, metavar="PATH",
                   help="also append the verdict and its facts to this audit log (SQLite, append-only, hash-chained)")
    e.add_argument("--recorded-at", default=None, metavar="ISO",
                   help="with --audit-db: the time to record, with its UTC offset (default: now, in UTC)")
    _audit_key_options(e)
    e.add_argument("--set", action="append", metavar="PATH=VALUE",
                   help="what-if: change a fact (JSON value, or text; PATH= deletes it); repeatable. "
                        "Prints the verdict before and after and the rules that changed")
    e.set_defaults(func=_evaluate, usage_error=e.error)
    ls = _subparser(sub, "list", "list the shipped rulesets (term and region)", ["list"], "0")
    ls.set_defaults(func=_list)
    c = _subparser(sub, "check", "check ruleset files and report every problem as path:line:col: CODE",
                   ["check rulesets/", "check rulesets/2017-2018/national.yaml --format json"],
                   "0 no problems; 2 some problem (each printed), or no ruleset file found")
    c.add_argument("paths", nargs="+", metavar="PATH", help="ruleset files or folders (folders: every *.yaml "
                                                            "except *.cases.yaml)")
    c.add_argument("--format", choices=("text", "json"), default="text",
                   help="text: one `path:line:col: CODE message (suggestion)` line per problem (default); json: "
                        "{files, problems: [{file, line, column, code, message, suggestion}]}")
    c.set_defaults(func=_check)
    t = _subparser(sub, "test", "run the golden cases (*.cases.yaml) and report rule coverage",
                   ["test rulesets/", "test rulesets/2017-2018 --min-coverage 100",
                    "test rulesets/ -k 'window' -v", "test rulesets/ --format junit > cases.xml"],
                   "0 every case passed (and coverage reached); 1 a case failed or coverage is below "
                   "--min-coverage; 2 no cases file found, no case matches -k, or a broken file")
    t.add_argument("paths", nargs="+", metavar="PATH", help="cases files or folders")
    t.add_argument("--min-coverage", type=float, default=None, metavar="PCT",
                   help="fail if pass/fail coverage of the rules is below PCT percent")
    t.add_argument("--backend", default="auto", choices=_api.BACKENDS,
                   help="engine: auto (default: durable where durable-rules imports, else python), durable or python")
    t.add_argument("-k", default=None, metavar="PATTERN",
                   help="run only the cases whose name matches PATTERN (a regular expression, case-insensitive; "
                        "a plain word matches names containing it); coverage counts those cases only")
    t.add_argument("-v", "--verbose", action="store_true", help="list the passing cases too (text format)")
    t.add_argument("--format", choices=("text", "json", "junit"), default="text",
                   help="text (default); json: every case, the counts and the coverage; junit: JUnit XML "
                        "for a CI server (one testcase per case)")
    t.add_argument("--coverage-json", default=None, metavar="FILE",
                   help="also write the rule coverage as JSON to FILE (any --format)")
    t.set_defaults(func=_test)
    d = _subparser(sub, "diff", "what changed in meaning between two rulesets (TERM, TERM:REGION or a file)",
                   ["diff 2017-2018 2017-2018:guangdong",
                    "diff rulesets/2017-2018/national.yaml rulesets/2017-2018/guangdong.yaml "
                    "--cases rulesets/2017-2018/national.cases.yaml"],
                   "0 compared (whatever changed); 2 a name that is neither a file nor a shipped ruleset, "
                   "or a broken file")
    d.add_argument("old", help=f"the old ruleset: a file, or {_NAMED_RULESET}")
    d.add_argument("new", help=f"the new ruleset: a file, or {_NAMED_RULESET}")
    d.add_argument("--cases", metavar="FILE",
                   help="re-evaluate these collectives (JSON list, JSON Lines or *.cases.yaml) under both")
    d.add_argument("--json", action="store_true", help="print the differences as JSON")
    d.add_argument("--as-of", default=None, metavar="WHEN",
                   help="as_of for the re-evaluated collectives (cases keep their own)")
    d.set_defaults(func=_diff)
    b = _subparser(sub, "batch", "evaluate many collectives (JSON Lines or CSV) into JSON Lines, in order",
                   ["batch collectives.jsonl -o verdicts.jsonl --region guangdong --workers 4",
                    "batch collectives.csv --encoding gb18030 -o verdicts.jsonl"],
                   "0 every record evaluated; 1 some records were bad (each an error line); 2 a bad option or "
                   "input that cannot be read")
    b.add_argument("input", metavar="IN.jsonl|IN.csv|-", help="JSON Lines or CSV file, or - for stdin")
    b.add_argument("-o", "--output", default=None, help="output JSON Lines file (default stdout)")
    _ruleset_options(b)
    b.add_argument("--workers", type=_positive_int, default=1, metavar="N", help="worker processes (default 1)")
    b.add_argument("--format", choices=("jsonl", "csv"), default=None, help="input format (default: by extension)")
    b.add_argument("--encoding", default="utf-8", metavar="NAME",
                   help="text encoding of a CSV input, e.g. gb18030 (default utf-8; a byte-order mark is "
                        "accepted). Bytes not valid in it make their row an InvalidText error line")
    b.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary on stderr")
    b.set_defaults(func=_batch)
    ex = _subparser(sub, "explain", "an auditor's note for a verdict (text or one self-contained HTML file)",
                    ["explain verdict.json --lang en", "explain verdict.json --format html -o note.html"],
                    "0 written; 2 the file cannot be read or is not a verdict")
    ex.add_argument("verdict", metavar="VERDICT.json|-", help="a verdict JSON file, or - for stdin")
    ex.add_argument("--lang", default=DEFAULT_LANG, choices=("zh", "en"),
                    help=f"language of the note (default {DEFAULT_LANG})")
    ex.add_argument("--format", default="text", choices=("text", "html"), help="text (default) or html")
    ex.add_argument("-o", "--output", default=None, help="write to this file instead of stdout")
    ex.add_argument("--facts", default=None, metavar="FACTS.json",
                    help="the subject's facts: its name (and a unit's kind and region) go into the headline")
    ex.add_argument("--ruleset", default=None, metavar="FILE",
                    help="the ruleset the verdict was made with, for its findings (default: the shipped ruleset "
                         "the verdict's stamp names)")
    ex.set_defaults(func=_explain)
    w = _subparser(sub, "why-not", "for each failed rule, the smallest changes to the facts that would pass it",
                   ["why-not --region guangdong rulesets/examples/collective-gd-0001.json --lang en"],
                   _CODES_EVAL)
    w.add_argument("file", metavar="FACTS.json|-", help="facts JSON file, or - for stdin")
    _ruleset_options(w)
    w.add_argument("--lang", default=DEFAULT_LANG, choices=("zh", "en"),
                   help=f"language of the text (default {DEFAULT_LANG})")
    w.add_argument("--json", action="store_true", help="print the result as JSON")
    w.set_defaults(func=_why_not)
    au = _subparser(sub, "audit", "query, verify or upgrade an audit log of verdicts, or print its head",
                    ["audit audit.db --rule basic.youth_share --rule-outcome failed",
                     "audit audit.db --verify --head", "audit audit.db --verify --expect-head SEQ:HASH"],
                    "0 done (no problem found); 1 --verify found a problem; 2 a bad option or no audit log")
    au.add_argument("db", metavar="AUDIT.db", help="the audit log (made by `evaluate --audit-db`)")
    au.add_argument("--id", default=None, help="collective (subject) id")
    au.add_argument("--rule", default=None, help="rule id: entries whose verdict has this rule "
                                                 "(with --rule-outcome: that rule had that outcome)")
    au.add_argument("--rule-outcome", default=None, choices=("passed", "failed", "undetermined", "not_applicable"),
                    help="with --rule: the outcome that rule had")
    au.add_argument("--outcome", default=None, choices=("eligible", "ineligible", "undetermined"),
                    help="entries whose verdict had this outcome")
    au.add_argument("--limit", type=int, default=None, metavar="N", help="at most N entries")
    au.add_argument("--full", action="store_true", help="print each verdict and its facts too")
    au.add_argument("--verify", action="store_true", help="re-check the whole log (schema, chain, every entry) "
                                                          "instead of querying; exit 1 if anything is wrong")
    au.add_argument("--expect-head", action="append", default=[], metavar="SEQ:HASH",
                    help="with --verify: prove the log still extends this head, kept from an earlier --head "
                         "(repeatable)")
    au.add_argument("--head", action="store_true",
                    help="print the chain head as SEQ:HASH, to keep somewhere else (with --verify: after checking)")
    au.add_argument("--upgrade", action="store_true",
                    help="upgrade a log of layout 1 in place to the hash chain (recorded as an entry)")
    _audit_key_options(au)
    au.set_defaults(func=_audit, usage_error=au.error)
    rp = _subparser(sub, "replay", "re-evaluate a stored verdict with the ruleset its stamp names",
                    ["replay verdict.json --facts rulesets/examples/collective-gd-0001.json"],
                    "0 identical and both hashes match; 1 something differs; 2 a file cannot be read or is "
                    "not a verdict")
    rp.add_argument("verdict", metavar="VERDICT.json", help="the stored verdict")
    rp.add_argument("--facts", required=True, metavar="FACTS.json", help="the facts the verdict was given for")
    rp.add_argument("--ruleset", default=None, metavar="FILE",
                    help="use this ruleset file instead of the shipped one")
    rp.set_defaults(func=_replay_cmd)
    dc = _subparser(sub, "docs", "render a ruleset as a readable Markdown page for publication",
                    ["docs 2017-2018:guangdong --lang zh -o guangdong.md",
                     "docs rulesets/2017-2018/national.yaml --lang en"],
                    "0 written; 2 a name that is neither a file nor a shipped ruleset, or a broken file")
    dc.add_argument("ruleset", help=f"a ruleset file, or {_NAMED_RULESET}")
    dc.add_argument("--lang", default=DEFAULT_LANG, choices=("zh", "en"),
                    help=f"language of headings and titles (default {DEFAULT_LANG})")
    dc.add_argument("-o", "--output", default=None, help="write the page to this file instead of stdout")
    dc.set_defaults(func=_docs)
    fm = _subparser(sub, "fmt", "rewrite ruleset and cases files in the one canonical layout, keeping comments",
                    ["fmt rulesets/", "fmt --check rulesets/"],
                    "0 done (with --check: nothing to reformat); 1 with --check: some file would be reformatted; "
                    "2 a file that is not YAML, would change or lose comments, or cannot be read or written")
    fm.add_argument("paths", nargs="+", metavar="PATH", help="YAML files or folders (every *.yaml under them)")
    fm.add_argument("--check", action="store_true", help="change nothing; list the files that would be "
                                                         "reformatted and exit 1 if there are any (for CI)")
    fm.set_defaults(func=_fmt)
    sh = _subparser(sub, "show", "the rules of a ruleset (id, titles, severity, parameters) and its parameters "
                    "with values and notes",
                    ["show 2017-2018:guangdong", "show rulesets/2017-2018/national.yaml --json"],
                    "0 shown; 2 a name that is neither a file nor a shipped ruleset, or a broken file")
    sh.add_argument("ruleset", help=f"a ruleset file, or {_NAMED_RULESET}")
    sh.add_argument("--json", action="store_true", help="print it as JSON")
    sh.set_defaults(func=_show)
    r = _subparser(sub, "release", "record a ruleset version as released (immutable) in releases.lock",
                   ["release rulesets/2017-2018/guangdong.yaml",
                    "release rulesets/2019-2020/national.yaml --allow-placeholders"],
                   "0 released or already released; 1 refused (a golden case fails, or placeholders); "
                   "2 a broken ruleset file")
    r.add_argument("file", help="the ruleset file to release")
    r.add_argument("--allow-placeholders", action="store_true",
                   help="release even if some parameter is still marked `placeholder: true`")
    r.add_argument("--lock", default=None, help="the lock file (default: the nearest releases.lock, or one "
                                                 "beside the ruleset)")
    r.set_defaults(func=_release)
    for parser in (p, *sub.choices.values()):
        parser.add_argument("--rulesets", metavar="DIR", default=None if parser is p else argparse.SUPPRESS,
                            help=f"use the rulesets in DIR (a working copy, e.g. rulesets/ of a clone) for shipped "
                                 f"names (TERM, TERM:REGION, --term, --region, list); default: the environment "
                                 f"variable {_api.RULESETS_ENV}, else the installed package's")
    p.set_defaults(subcommands=dict(sub.choices))
    return p


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush of what is still buffered
    does not fail again on the closed pipe (and print "Exception ignored …")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation: no real file behind stdout
        pass


# Errors the command line raises as FactsError that are not about the facts: what kind they are.
_OPTION_FIELDS = {"term": "--term", "region": "--region", "industry": "--industry", "subject": "--subject",
                  "as_of": "--as-of", "moment": "--as-of", "(tz)": "--as-of", "limit": "--limit",
                  "outcome": "--outcome", "rule_outcome": "--rule-outcome", "expect_head": "--expect-head",
                  "recorded_at": "--recorded-at", "key": "audit key"}


def error_line(exc: FactsError) -> str:
    """The one stderr line for a FactsError, saying what kind of error it is: ``bad facts:`` only
    for the facts; a file that cannot be read, a bad option or a file that is not a verdict say so."""
    field = exc.field
    if field.startswith("-"):  # --set, --encoding, -k …
        return f"qnwmh-rules: bad option {exc}"
    if field in _OPTION_FIELDS and not getattr(exc, "from_facts", False):
        text = f"{exc.message} ({exc.suggestion})" if exc.suggestion else exc.message
        return f"qnwmh-rules: bad option {_OPTION_FIELDS[field]}: {text}"
    if field == "(input)" and exc.message.startswith("cannot read"):
        return f"qnwmh-rules: {exc.message}"
    if field in ("stamp.term", "stamp.ruleset_id") and exc.message.startswith("names"):  # a verdict, not shipped
        return f"qnwmh-rules: cannot replay: {exc}"
    if field in ("(verdict)", "verdict") or field.startswith("stamp."):
        return f"qnwmh-rules: not a verdict: {exc.message if field == '(verdict)' else exc}"
    if field == "(audit)":
        return f"qnwmh-rules: {exc.message}"
    return f"qnwmh-rules: bad facts: {exc}"


def main(argv: list[str] | None = None) -> int:
    if sys.stderr is None:  # started with stderr closed (2>&-): its messages go nowhere, not into stdout
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        args.subcommands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    if sys.stdout is None and getattr(args, "output", None) in (None, "-"):
        print("qnwmh-rules: stdout is closed; give -o FILE where the command has it, or an open stdout",
              file=sys.stderr)
        return 2
    if args.rulesets is None:
        return _run(args)
    before = os.environ.get(_api.RULESETS_ENV)
    os.environ[_api.RULESETS_ENV] = args.rulesets  # the environment, so that batch's worker processes see it too
    try:
        return _run(args)
    finally:  # main() may be called in a longer-lived process
        if before is None:
            os.environ.pop(_api.RULESETS_ENV, None)
        else:
            os.environ[_api.RULESETS_ENV] = before


def _os_error(exc: OSError) -> str:
    """One line for an OSError: its own message where it has one (AuditLogError), else
    ``NAME: reason`` (``[Errno N]`` and the repr of the name left out)."""
    if exc.strerror is None or exc.filename is None:
        return str(exc) if exc.strerror is None else exc.strerror
    names = " → ".join(str(n) for n in (exc.filename, exc.filename2) if n is not None)
    return f"{names}: {exc.strerror}"


def _run(args: argparse.Namespace) -> int:
    """Run the chosen subcommand, turning every error into one line on stderr and an exit code."""
    stdout = sys.stdout
    if stdout is not None and not isinstance(stdout, _NamedStdout):
        sys.stdout = _NamedStdout(stdout)  # a stream in all but its write errors
    try:
        return _run_command(args)
    finally:
        if sys.stdout is not None and isinstance(sys.stdout, _NamedStdout):
            sys.stdout = stdout


def _run_command(args: argparse.Namespace) -> int:
    try:
        if getattr(args, "rulesets", None) is not None:
            try:  # a --rulesets that is not a folder is refused even where no shipped name is used
                _api.rulesets_dir()
            except RulesetError:
                raise _CannotUse(f"bad option --rulesets: {args.rulesets} is not a folder") from None
        status = int(args.func(args))
        if sys.stdout is not None:
            sys.stdout.flush()  # here, not at exit, so that a reader gone away is seen below
        return status
    except BrokenPipeError:  # `qnwmh-rules batch … | head`: the reader has gone; end quietly
        _silence_stdout()
        return 128 + signal.SIGPIPE  # 141, as a process ended by SIGPIPE, without a word on stderr
    except RulesetError as exc:
        _say(str(exc))
        return 2
    except FactsError as exc:
        _say(error_line(exc))
        return 2
    except BackendUnavailableError as exc:
        _say(f"qnwmh-rules: {exc}")
        return 2
    except EvaluationError as exc:
        _say(f"qnwmh-rules: evaluation failed: {exc}")
        return 3
    except _CannotUse as exc:
        _say(f"qnwmh-rules: {exc}")
        return 2
    except OSError as exc:  # the audit log's AuditLogError (its message names the file); any other: no errno repr
        _say(f"qnwmh-rules: {_os_error(exc)}")
        return 2
    except KeyboardInterrupt:
        print("qnwmh-rules: interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print("qnwmh-rules: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except Exception as exc:  # a defect: still one line, never a traceback (QNWMH_DEBUG=1 shows it)
        if os.environ.get("QNWMH_DEBUG"):
            raise
        _say(f"qnwmh-rules: internal error ({type(exc).__name__}: {show(str(exc), 200)}); please report it "
             "(run with QNWMH_DEBUG=1 for the traceback)")
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
