"""Golden cases beside the rules: reading ``*.cases.yaml``, running them, rule coverage.

A cases file names the ruleset it tests (relative to itself), optionally a base facts
file every case starts from, and cases named as sentences. Each case changes the base
(``set`` dotted paths, ``delete`` paths) or gives whole ``facts``, may give ``as_of``, and
expects a verdict ``outcome`` and per-rule outcomes. Owns: that file format, running the
cases through an ``Engine``, the differences reported for a failing case, and coverage
(which outcomes each rule reached over all cases). Must not know durable_rules.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ._api import load_ruleset
from ._jsontext import loads
from ._loader import Key, Loaded, PathProblem, confined_path, load_text, read_file, read_source
from ._moments import DATE_FORM, TIMESTAMP_FORM, written_as
from ._replay import apply_patch
from ._schema import Reader
from .exceptions import FactsError
from .verdict import OUTCOMES, RULE_OUTCOMES

__all__ = ["Case", "CaseFile", "CaseResult", "read_cases", "run_case", "run_cases", "run_files", "coverage",
           "coverage_report",
           "find_case_files"]

_FILE_KEYS = {"ruleset": True, "base": False, "cases": True, "description": False}
_CASE_KEYS = {"name": True, "facts": False, "set": False, "delete": False, "as_of": False, "expect": True}
_EXPECT_KEYS = {"outcome": False, "rules": False, "missing": False, "error": False, "score": False}
_SCORE_EXPECT_KEYS = {"total": False, "provisional": False, "lowest": False, "highest": False, "maximum": False,
                      "placeholder": False}


@attrs.frozen
class Case:
    name: str
    facts: Any  # the facts document to evaluate (base with changes applied)
    as_of: str | None
    outcome: str | None
    rules: dict[str, str]
    missing: tuple[str, ...] | None
    error: str | None  # expected FactsError field path, for cases of bad facts
    line: int
    score: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class CaseFile:
    path: Path
    ruleset_path: Path
    cases: tuple[Case, ...]


@attrs.frozen
class CaseResult:
    case: Case
    ok: bool
    differences: tuple[str, ...]
    rule_outcomes: dict[str, str]


def find_case_files(root: Path) -> list[Path]:
    """Every ``*.cases.yaml`` under ``root`` (or ``root`` itself), sorted."""
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*.cases.yaml") if p.is_file())  # a folder so named is not one


def _plain(v: Any) -> Any:
    """YAML dates back to the ISO text the facts contract uses."""
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, Decimal):  # the loader reads decimals exactly; facts are JSON numbers
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


_PLAIN_INT = re.compile(r"-?(?:0|[1-9][0-9]*)", re.ASCII)
_PLAIN_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?", re.ASCII)


def _exact(r: Reader, loaded: Loaded, kp: Key, value: Any) -> Any:
    """A case's facts value as the facts contract would read it sent as JSON: numbers and moments
    that YAML read by its own looser rules (``030`` octal, ``0x18``, ``1_000``, ``0:24`` base 60,
    a space for ``T``, one-digit months, fractions cut to 6 digits, a double that lost a fraction)
    are a Q104; dates and timestamps are kept as the text written, for the facts grammar."""
    if isinstance(value, dict):
        return {k: _exact(r, loaded, kp + (k,), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(r, loaded, kp + (i,), v) for i, v in enumerate(value)]
    if isinstance(value, bool) or kp not in loaded.scalars:
        return _plain(value)
    tag, text = loaded.scalars[kp]
    if tag == "timestamp":
        form = DATE_FORM if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else TIMESTAMP_FORM
        if not written_as(text, form):
            raise r.err("Q104", f"{text!r} is not written {form}: YAML reads it by its own rules, the facts "
                                "contract refuses it", kp, suggestion=f"write it exactly {form}")
        return text
    if not (_PLAIN_INT if tag == "int" else _PLAIN_FLOAT).fullmatch(text):
        raise r.err("Q104", f"the number {text!r} is not written in plain decimal digits; YAML reads it as "
                            f"{value!r} by its own rules (octal, hexadecimal, _ or base 60)", kp,
                    suggestion="write the number as JSON would, e.g. 24")
    if tag == "float":
        try:
            return loads(text)
        except FactsError as exc:
            raise r.err("Q104", f"the number {text!r} cannot be read exactly: {exc.message}", kp) from None
    return value


def read_cases(path: str | Path) -> CaseFile:
    """Read and check a cases file; mistakes are RulesetErrors at file:line:col."""
    p = Path(path)
    text = read_source(p, "cases", str(path))
    loaded = load_text(text, str(path))
    if loaded.errors:
        raise loaded.errors[0]
    r = Reader(loaded)
    if not isinstance(loaded.data, dict):  # never quote a file that may not be a cases file
        raise r.err("Q101", "this file is not a cases file: it is a mapping with ruleset: and cases:", ())
    top = r.mapping(loaded.data, (), _FILE_KEYS, "the cases file")
    # every path a cases file names stays in its rulesets tree (no absolute paths, no links,
    # no devices or FIFOs, bounded size), and the content of what it names is never quoted
    try:
        ruleset_path = confined_path(r.string(top["ruleset"], ("ruleset",), "ruleset"), p).resolve()
    except PathProblem as exc:
        raise r.err(exc.code, f"ruleset: {exc.message}", ("ruleset",), suggestion=exc.suggestion) from None
    if not ruleset_path.exists():
        raise r.err("Q140", f"the ruleset {top['ruleset']!r} does not exist", ("ruleset",))
    base: Any = {}
    if "base" in top:
        try:
            base_path = confined_path(r.string(top["base"], ("base",), "base"), p, suffixes=(".json",))
            base = loads(read_file(base_path), str(top["base"]))
        except PathProblem as exc:
            raise r.err(exc.code, f"base: {exc.message}", ("base",), suggestion=exc.suggestion) from None
        except OSError as exc:
            raise r.err("Q141", f"cannot read the base facts {top['base']!r}: {exc.strerror}", ("base",)) from None
        except UnicodeDecodeError:
            raise r.err("Q141", f"cannot read the base facts {top['base']!r}: not UTF-8 text", ("base",)) from None
        except FactsError as exc:  # not JSON, a key twice, too deep, a lone surrogate
            raise r.err("Q141", f"cannot read the base facts {top['base']!r}: {exc}", ("base",)) from None
    if not isinstance(top["cases"], list) or not top["cases"]:
        raise r.err("Q101", "cases must be a non-empty list", ("cases",))
    cases = []
    names: set[str] = set()
    for i, raw in enumerate(top["cases"]):
        cases.append(_case(r, loaded, ("cases", i), raw, base, names))
    return CaseFile(path=p, ruleset_path=ruleset_path, cases=tuple(cases))


def _case(r: Reader, loaded: Loaded, kp: Key, raw: Any, base: Any, names: set[str]) -> Case:
    v = r.mapping(raw, kp, _CASE_KEYS, "a case")
    name = r.string(v["name"], kp + ("name",), "case name")
    if name in names:
        raise r.err("Q142", f"two cases are named {name!r}", kp + ("name",))
    names.add(name)
    facts = _exact(r, loaded, kp + ("facts",), v["facts"]) if "facts" in v else copy.deepcopy(base)
    for path, value in (v.get("set") or {}).items():
        try:
            facts = apply_patch(facts, {str(path): _exact(r, loaded, kp + ("set", path), value)})
        except FactsError as exc:
            raise r.err("Q143", f"cannot set {path!r} in the facts: {exc.message}", kp + ("set", path),
                        key=True) from None
    for j, path in enumerate(v.get("delete") or []):
        try:
            facts = apply_patch(facts, {str(path): None})
        except FactsError as exc:
            raise r.err("Q143", f"cannot delete {path!r} from the facts: {exc.message}", kp + ("delete", j)) from None
    e = r.mapping(v["expect"], kp + ("expect",), _EXPECT_KEYS, "expect")
    outcome = e.get("outcome")
    if outcome is not None and outcome not in OUTCOMES:
        raise r.err("Q144", f"expected outcome must be one of {', '.join(OUTCOMES)}", kp + ("expect", "outcome"))
    rules = {}
    for rid, ro in (e.get("rules") or {}).items():
        if ro not in RULE_OUTCOMES:
            raise r.err("Q144", f"rule outcome must be one of {', '.join(RULE_OUTCOMES)}",
                        kp + ("expect", "rules", rid))
        rules[str(rid)] = str(ro)
    score = {}
    if "score" in e:
        s = r.mapping(e["score"], kp + ("expect", "score"), _SCORE_EXPECT_KEYS, "expect.score")
        score = {k: (str(val) if k in ("total", "lowest", "highest", "maximum") else val) for k, val in s.items()}
    as_of = v.get("as_of")
    line, _ = loaded.pos(kp)
    return Case(name=name, facts=facts, outcome=outcome,
                as_of=_exact(r, loaded, kp + ("as_of",), as_of) if as_of is not None else None,
                rules=rules, missing=tuple(e["missing"]) if "missing" in e else None,
                error=e.get("error"), line=line or 1, score=score)


def run_case(engine: Any, case: Case) -> CaseResult:
    """Evaluate one case and compare with what it expects."""
    diffs: list[str] = []
    try:
        verdict = engine.evaluate(case.facts, as_of=case.as_of)
    except FactsError as exc:
        if case.error is not None and case.error == exc.field:
            return CaseResult(case, True, (), {})
        return CaseResult(case, False, (f"bad facts: {exc}",), {})
    if case.error is not None:
        diffs.append(f"expected a FactsError at {case.error}, got a verdict")
    outcomes = {r.id: r.outcome for r in verdict.rules}
    if case.outcome is not None and case.outcome != verdict.outcome:
        diffs.append(f"outcome: expected {case.outcome}, got {verdict.outcome}")
    for rid, want in case.rules.items():
        if rid not in outcomes:
            diffs.append(f"{rid}: no such rule in {engine.ruleset.id}")
        elif outcomes[rid] != want:
            r = verdict.rule(rid)
            detail = f" (missing {', '.join(r.missing)})" if r.missing else ""
            diffs.append(f"{rid}: expected {want}, got {outcomes[rid]}{detail}")
    if case.score:
        sheet = verdict.score
        if sheet is None:
            diffs.append("score: expected a score sheet, the ruleset has no scoring")
        else:
            for k, want in case.score.items():
                got = getattr(sheet, k)
                same = Decimal(want) == Decimal(got) if isinstance(got, str) else want == got
                if not same:
                    diffs.append(f"score.{k}: expected {want}, got {got}")
    if case.missing is not None and sorted(case.missing) != sorted(verdict.missing):
        diffs.append(f"missing: expected {list(case.missing)}, got {list(verdict.missing)}")
    return CaseResult(case, not diffs, tuple(diffs), outcomes)


def run_cases(engine: Any, cases: CaseFile) -> list[CaseResult]:
    return [run_case(engine, c) for c in cases.cases]


def _overridden(rs: Any, name: str, rule_layer: str) -> bool:
    """True when a parameter the rule uses was set by a later layer than the rule's own."""
    layer = next(p.layer for p in rs.parameters if p.name == name)
    return bool(layer != rule_layer and rs.layers.index(layer) > rs.layers.index(rule_layer))


def coverage(runs: list[tuple[Any, list[CaseResult]]]) -> dict[tuple[str, str], set[str]]:
    """For each rule of every tested ruleset, the outcomes the cases reached, from
    ``(engine, results)`` runs already made.

    A rule inherited unchanged by an overlay is the same rule: cases of the base file and of
    the overlay both count towards it. It is "the same" only with the same definition and the
    same parameter values, so a later layer that overrides a threshold makes a new key.
    """
    seen: dict[tuple[str, str], set[str]] = {}
    for engine, results in runs:
        values = {p.name: p.value for p in engine.ruleset.parameters}
        key_of = {r.id: (r.id, r.layer + "".join(f" {n}={values[n]!r}" for n in sorted(r.params)
                                                  if _overridden(engine.ruleset, n, r.layer)))
                  for r in engine.ruleset.rules}
        for key in key_of.values():
            seen.setdefault(key, set())
        for res in results:
            for rid, outcome in res.rule_outcomes.items():
                seen[key_of[rid]].add(outcome)
    return seen


def run_files(files: list[Path], backend: str = "auto") -> list[tuple[Path, Any, list[CaseResult]]]:
    """Run every cases file, loading each ruleset once however many files test it."""
    engines: dict[Path, Any] = {}
    out = []
    for f in files:
        cf = read_cases(f)
        if cf.ruleset_path not in engines:
            engines[cf.ruleset_path] = load_ruleset(cf.ruleset_path, backend=backend)
        engine = engines[cf.ruleset_path]
        out.append((f, engine, run_cases(engine, cf)))
    return out


def coverage_report(files: list[Path], backend: str = "auto") -> dict[tuple[str, str], set[str]]:
    """Run ``files`` and report coverage (see ``coverage``)."""
    return coverage([(engine, results) for _, engine, results in run_files(files, backend)])
