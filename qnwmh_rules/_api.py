"""The facade: load a ruleset once, evaluate collectives, build verdicts.

Owns: the loaded-once ``Engine`` and building it (``load_ruleset``, ``load_ruleset_cached``; finding
and reading ruleset files is ``_catalogue``'s, below this module, whose names are re-exported here),
``as_of`` handling (never the wall clock), deciding each rule's outcome from what
the engine fired and what was missing, the verdict's outcome and its stamp.
Data flows one way: files -> _schema -> _check -> _compile -> _engine; facts ->
facts.parse_facts -> _derive -> _compile.encode_facts -> _engine -> Verdict.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import functools
import hashlib
import itertools
import json
import threading
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from . import _compile, _pycompile, _reference
from ._catalogue import (
    BACKENDS,
    RULESETS_ENV,
    __version__,
    available_rulesets,
    available_unit_rulesets,
    durable_available,
    load_checked,
    resolve_backend,
    ruleset_path,
    rulesets_dir,
)
from ._derive import compile_derive, derive_counted  # noqa: F401 - derive_counted: read here by tests and benchmarks
from ._jsontext import loads as _loads_json
from ._model import Parameter, Rule, Ruleset, Window, day_position, decided_on
from ._moments import parse_as_of
from ._moments import zone as zoneinfo_zone
from ._score import score_sheet
from ._tree import items_read, reads
from .exceptions import EvaluationError, FactsError
from .facts import SUBJECTS, Facts, Subject, parse_facts, parser_for
from .verdict import (
    Citation,
    Outcome,
    RuleOutcome,
    RuleResult,
    RuleShape,
    StampShape,
    Verdict,
    VerdictParts,
    VerdictPlan,
)

__all__ = ["Engine", "FilingWindow", "filing_window", "load_ruleset", "evaluate", "rulesets_dir",
           "count_creation_collectives",
           "available_rulesets", "ruleset_path", "__version__", "as_of_moment", "due_decided_from", "Decision",
           "RuleDecision", "verdict_outcome",
           # re-exported from _catalogue, below the facade
           "BACKENDS", "RULESETS_ENV", "available_unit_rulesets", "durable_available", "resolve_backend",
           "load_ruleset_cached"]

_PLAIN = (str, int, float, bool, type(None))
_PLAIN_SET = frozenset(_PLAIN)  # the types _jsonable gives back as they are


def _jsonable(v: Any, tz: str) -> Any:
    if type(v) in _PLAIN:
        return v
    if isinstance(v, Decimal):  # a decimal parameter: at most 15 significant digits, exact as a JSON number
        return float(v)
    if isinstance(v, dt.datetime):
        zone = zoneinfo_zone(tz)  # cached: the same object each time
        # parse_facts already put every timestamp in the ruleset's zone
        return (v if v.tzinfo is zone else v.astimezone(zone)).isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Window):
        return v.to_json()
    if isinstance(v, tuple):
        return [_jsonable(x, tz) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x, tz) for k, x in v.items()}
    return v


def as_of_moment(as_of: Any, tz: str) -> dt.datetime | None:
    """``as_of`` (None, a date, a datetime or ISO text) as an aware moment in zone ``tz``, as
    ``Engine.evaluate`` reads it; a bare date means the end of that day in ``tz`` (the grammar is
    ``_moments.parse_as_of``'s). None stays None; FactsError for anything else."""
    zone = zoneinfo_zone(tz)
    assert zone is not None  # the ruleset loader checks the zone
    return parse_as_of(as_of, zone)


def _check_as_of(facts: Facts, as_of: dt.datetime | None, subject: str | Subject = "collective") -> None:
    """Facts cannot lie in the future of the moment the verdict is given for."""
    if as_of is None:
        return
    fields = (subject if isinstance(subject, Subject) else SUBJECTS[subject]).fields
    day = as_of.date()

    def late(v: Any) -> bool:
        return v > as_of if isinstance(v, dt.datetime) else isinstance(v, dt.date) and v > day

    for path, value in facts.values.items():
        if fields.get(path) is not None and fields[path].type in ("date", "instant") and late(value):
            raise FactsError(path, f"is after as_of ({as_of.isoformat()})")
    for name, items in facts.lists.items():
        for i, item in enumerate(items):
            for field, value in item.items():
                if late(value):
                    raise FactsError(f"{name}[{i}].{field}", f"is after as_of ({as_of.isoformat()})")


@attrs.frozen
class FilingWindow:
    """A term's (and region's) network-filing window, by calendar day in ``time_zone``.

    ``opens`` is the first day that counts (None if the ruleset sets only a deadline);
    ``closes`` is the last day that counts: the window's end or an earlier regional
    ``filing_deadline``, whichever comes first. ``window`` and ``deadline`` are the raw
    parameters with their boundary semantics.
    """

    term: str
    region: str | None
    time_zone: str
    opens: dt.date | None
    closes: dt.date
    window: Window | None
    deadline: dt.date | None

    def _day(self, moment: Any) -> dt.date:
        m = as_of_moment(moment, self.time_zone)
        if m is None:
            raise FactsError("moment", "a moment (date, datetime or ISO text) is required")
        return m.date()

    def position(self, moment: Any) -> str:
        """``"before"``, ``"open"`` or ``"closed"`` for a moment (date, datetime or ISO text)."""
        return day_position(self._day(moment), self.opens, self.closes)

    def days_left(self, moment: Any) -> int:
        """Whole days after ``moment``'s day up to the last day that counts (0 on the last day;
        negative once closed)."""
        return (self.closes - self._day(moment)).days


class Decision(enum.Enum):
    """What a backend decided about one rule's condition for one case."""

    PASSED = "passed"  # definitely true
    FAILED = "failed"  # definitely false, and not waiting for its pending_if / due
    PENDING = "pending"  # not true, and its pending_if / due holds: not to be decided yet
    UNKNOWN = "unknown"  # neither: facts are missing, or the engine cannot decide it is false


@attrs.frozen
class RuleDecision:
    """A backend's answer for one rule: its condition, and whether it applies (None: undecided)."""

    condition: Decision
    applies: bool | None = True


@functools.cache  # 48 combinations: one frozen RuleDecision each, shared by every case
def _rule_decision(holds: bool, fails: bool, pending: bool, applies: bool | None,
                   provisional: bool = False) -> RuleDecision:
    """The one reading of what a backend found true of a rule's compiled parts (``provisional``: the
    rule's ``provisional_pass``, under which a pass while it is pending is not final either)."""
    condition = (Decision.PENDING if pending and (provisional or not holds) else Decision.PASSED if holds
                 else Decision.FAILED if fails else Decision.UNKNOWN)
    return RuleDecision(condition, applies)


_PASSED = RuleResult("passed", (), None)  # shared by every case: a RuleResult is an immutable tuple
_NOT_APPLICABLE = RuleResult("not_applicable", (), None)
_FAILED = RuleResult("failed", (), None)


class Engine:
    """A ruleset loaded, checked and compiled once; evaluate many collectives with it.

    Thread-safe: the durable backend serialises cases on a lock (one fixed sid, cleared
    after every case); the python backend keeps no state.
    """

    def __init__(self, ruleset: Ruleset, compiled: tuple[_compile.CompiledRule, ...], backend: str = "auto"
                 ) -> None:
        backend = resolve_backend(backend)
        self.ruleset = ruleset
        self.compiled = compiled
        self.backend = backend
        params = {p.name: p for p in ruleset.parameters}
        self._param_values = {p.name: p.value for p in ruleset.parameters}
        # rules whose definite falsehood the engine can decide (a compiled FAILS part exists)
        self._decides_false = frozenset(c.rule for c in compiled if c.part is _compile.Part.FAILS)
        # rules whose inapplicability the engine can decide (a compiled NOT_APPLICABLE part exists)
        self._decides_na = frozenset(c.rule for c in compiled if c.part is _compile.Part.NOT_APPLICABLE)
        self._provisional = frozenset(r.id for r in ruleset.rules if r.provisional_pass)
        self._required = tuple(r.severity == "required" for r in ruleset.rules)  # by rule, in ruleset order
        # parse_facts with this ruleset's zone and facts schema looked up once
        self._parse_doc = parser_for(ruleset.time_zone, ruleset.facts or ruleset.subject)
        subj = ruleset.facts if ruleset.facts is not None else SUBJECTS[ruleset.subject]
        self._fact_paths = frozenset((*subj.top_paths, *subj.lists))  # every path a Facts of this schema has
        self._parts = {c.id: (c.rule, c.part) for c in compiled}  # the names durable fires, read back
        # derived counts with a `where`: verdicts show which items they counted
        self._counted = tuple(d for d in ruleset.derived if d.where_condition is not None)
        self._placeholders = {p.name: p.placeholder for p in ruleset.parameters}
        self._templates = tuple(
            _RuleTemplate(
                rule=r,
                citation=r.citation,
                params=tuple(sorted((n, _jsonable(params[n].value, ruleset.time_zone)) for n in r.params)),
                param_notes=tuple(sorted((n, _param_note(params[n])) for n in r.params if _param_note(params[n]))),
                condition=" ".join(r.when.split()), reads=r.reads, sorted_reads=tuple(sorted(r.reads)),
                item_reads=_item_reads(r, ruleset),
                applies_reads=_applies_reads(r),
                counted_reads=_counted_reads(r, ruleset),
                value_reads=tuple(sorted(r.reads + _counted_reads(r, ruleset))),
            )
            for r in ruleset.rules
        )
        # each rule's outcome and JSON but for what a case decides (verdicts build the rest when read)
        self._shapes = tuple(RuleShape(RuleOutcome(
            id=t.rule.id, outcome="passed", severity=t.rule.severity, title_zh=t.rule.title.zh,
            title_en=t.rule.title.en, citation=t.citation,
            interpretation=t.rule.interpretation.en if t.rule.interpretation else None, values=(), params=t.params,
            param_notes=t.param_notes, missing=(), condition=t.condition, layer=t.rule.layer),
            t.value_reads) for t in self._templates)
        self._shown_keys = frozenset(p for s in self._shapes for p in s.value_reads)  # what verdicts show
        self._plan = VerdictPlan(self._shapes, StampShape(
            ruleset_id=ruleset.id, term=ruleset.term, version=ruleset.version, region=ruleset.region,
            layers=ruleset.layers, ruleset_sha256=ruleset.sha256, library_version=__version__, engine=backend),
            _facts_sha256)
        self._durable = None
        # the python backend's conditions, compiled once into generated functions (``use_conditions``)
        self._conditions = _pycompile.compile_ruleset(ruleset)
        self._where = self._conditions.where  # each count's `where`, decided by this backend
        # every rule decided by one generated function (None: ``use_conditions`` replaced the conditions)
        self._decider: Any = _pycompile.compile_decider(
            ruleset, self._decides_false, self._decides_na, _PASSED, _NOT_APPLICABLE, _FAILED,
            tuple(_worder(t, ruleset, t.rule.id in self._decides_false) for t in self._templates),
            tuple(_shared_results(t, ruleset, t.rule.id in self._decides_false) for t in self._templates))
        if backend == "durable":
            from ._engine import DurableEngine, where_predicates  # the one place durable is imported

            name = f"qnwmh.{ruleset.id}.{ruleset.version}.{ruleset.sha256[:16]}"
            self._durable = DurableEngine(name, compiled)
            where_rules, _ = _compile.compile_where(ruleset)
            # durable decides each item; a `where` its compiler refuses keeps the generated predicate
            self._where = {**self._where, **where_predicates(f"{name}.where", where_rules, ruleset.time_zone)}
        self._derive = compile_derive(ruleset, self._param_values, self._where)  # derive_counted, built once

    def use_conditions(self, conditions: _pycompile.CompiledConditions) -> None:
        """Evaluate this python-backend engine's conditions and counts with ``conditions`` instead
        (``_pycompile.reference_ruleset(engine.ruleset)``: the reference evaluator, the oracle the
        differential tests and benchmarks compare the generated code with)."""
        if self._durable is not None:
            raise ValueError("use_conditions is for the python backend")
        self._conditions, self._where, self._decider = conditions, conditions.where, None
        self._derive = compile_derive(self.ruleset, self._param_values, self._where)

    def __repr__(self) -> str:
        rs = self.ruleset
        return f"<Engine {rs.id} {rs.term} v{rs.version} ({len(rs.rules)} rules, {self.backend})>"

    def filing_window(self) -> FilingWindow:
        """The filing window this ruleset uses (parameters ``filing_window`` / ``filing_deadline``)."""
        rs = self.ruleset
        params = {p.name: p.value for p in rs.parameters}
        window = params.get("filing_window")
        deadline = params.get("filing_deadline")
        if not isinstance(window, Window):
            window = None
        if not isinstance(deadline, dt.date):
            deadline = None
        if window is None and deadline is None:
            raise ValueError(f"the ruleset {rs.id} {rs.term} declares no filing_window or filing_deadline")
        opens = closes = None
        if window is not None:
            opens, closes = window.first_day, window.last_day
        if deadline is not None:
            closes = deadline if closes is None else min(closes, deadline)
        assert closes is not None
        return FilingWindow(rs.term, rs.region, window.time_zone if window else rs.time_zone, opens, closes,
                            window, deadline)

    def parse(self, facts: Mapping[str, Any] | Facts | str | bytes) -> Facts:
        """Check and type facts: a ``Facts``, a JSON-shaped mapping, or JSON text (``str`` or UTF-8
        ``bytes``, read exactly: duplicate keys, lone surrogates, ``NaN`` and nesting deeper than
        64 levels are ``FactsError``)."""
        if isinstance(facts, Facts):
            return self._check_facts(facts)
        if isinstance(facts, (str, bytes, bytearray)):
            facts = _loads_json(facts, "(facts)")
        return self._parse_doc(facts)

    def _check_facts(self, facts: Facts) -> Facts:
        """``facts`` if they were read for this ruleset: in its time zone (naive times name other instants
        in another) and against its facts schema (every fact path is present or missing); else FactsError."""
        rs = self.ruleset
        if facts.tz != rs.time_zone:
            raise FactsError("(facts)", f"were read in the time zone {facts.tz}; this ruleset reads facts in "
                                        f"{rs.time_zone}", suggestion=f"parse them with tz={rs.time_zone!r}, or give "
                                                                      "the facts document itself")
        if facts.missing.union(facts.values, facts.lists) != self._fact_paths:
            raise FactsError("(facts)", f"were read against another facts schema than this ruleset's "
                                        f"({rs.facts_schema or rs.subject})",
                             suggestion="parse them with subject=ruleset.facts, or give the facts document itself")
        return facts

    def decide(self, facts: Facts, derived: dict[str, Any], as_of: dt.datetime | None = None
               ) -> dict[str, RuleDecision]:
        """What the backend decides of each rule's conditions for one parsed case, by rule id."""
        tz = self.ruleset.time_zone
        if self._durable is not None:
            fired: dict[str, set[_compile.Part]] = {r.id: set() for r in self.ruleset.rules}
            for name in self._durable.fire_case(facts, derived, tz, as_of):  # encode_facts, projected
                rule, part = self._parts[name]
                fired[rule].add(part)
            P = _compile.Part
            return {r.id: _rule_decision(P.HOLDS in f, P.FAILS in f, P.PENDING in f,
                                         True if r.applies_condition is None or P.APPLIES in f
                                         else False if P.NOT_APPLICABLE in f else None, r.provisional_pass)
                    for r in self.ruleset.rules for f in (fired[r.id],)}
        values = {**facts.values, **derived}
        if as_of is not None:
            values["as_of"] = as_of
        lists = facts.lists
        out = {}
        for c in self._conditions.rules:
            applies: bool | None = True
            if c.applies is not None:
                found = c.applies(values, lists, None)
                applies = True if found is True else False if found is False and c.rule in self._decides_na else None
            truth = c.holds(values, lists, None)
            provisional = c.rule in self._provisional
            pending = (truth is not True or provisional) and c.pending is not None \
                and c.pending(values, lists, None) is True
            out[c.rule] = _rule_decision(truth is True, truth is False and c.rule in self._decides_false, pending,
                                         applies, provisional)
        return out

    def evaluate(self, facts: Mapping[str, Any] | Facts | str | bytes, *, as_of: Any = None) -> Verdict:
        """Evaluate one subject: ``facts`` is a JSON-shaped mapping, JSON text, or ``Facts`` from
        ``parse_facts``; ``as_of`` as for ``qnwmh_rules.evaluate`` (a date, an aware datetime, ISO
        text, or ``None``). Returns a ``Verdict``. Raises FactsError for bad facts or a bad
        ``as_of`` (and never half-applies), EvaluationError if the engine fails on valid input."""
        rs = self.ruleset
        parsed = self._parse_doc(facts) if type(facts) is dict else self.parse(facts)
        if parsed is facts:  # the caller's: the verdict reads it later, so it keeps its own copy
            parsed = _own_copy(parsed)
        moment = None
        if as_of is not None:
            moment = as_of_moment(as_of, rs.time_zone)
            _check_as_of(parsed, moment, rs.facts or rs.subject)
        derived, counted_by = self._derive(parsed)
        if self._durable is None:
            results = self._python_results(parsed, derived, moment)
        else:
            decided = self.decide(parsed, derived, moment)
            results = tuple(self._rule_outcome(t, decided[t.rule.id], parsed, derived, moment)
                            for t in self._templates)
        sheet = None
        if rs.scoring is not None:
            sheet = score_sheet(rs, {t.rule.id: r.outcome for t, r in zip(self._templates, results, strict=True)},
                                derived, self._placeholders)
        # what the verdict builds when read holds the ruleset and the case, never the engine (nor its Host)
        parts = VerdictParts(self._plan, results,
                             functools.partial(_shown, rs.time_zone, self._counted, counted_by, self._shown_keys,
                                               parsed, derived),
                             parsed.canonical, moment)
        outcome, missing = _outcome_and_missing(self._required, results)
        return Verdict.deferred(subject_id=parsed.id, subject=rs.subject, score=sheet, parts=parts, outcome=outcome,
                                missing=missing)

    def _python_results(self, parsed: Facts, derived: dict[str, Any], as_of: dt.datetime | None
                        ) -> tuple[RuleResult, ...]:
        """``decide`` and ``_rule_outcome`` of every rule in one pass, for the python backend: a rule
        that does not apply, or that holds (and is not provisional), is answered by a shared result
        without building its decision; every other rule goes through ``decide``'s reading of its
        parts and ``_rule_outcome``, unchanged. The engine's own compiled conditions run as one
        generated function (``_pycompile.compile_decider``); conditions given to ``use_conditions``
        (the reference walk) run rule by rule."""
        if self._decider is not None:
            return self._decider(parsed.values, derived, parsed.lists, as_of, parsed)  # type: ignore[no-any-return]
        values = {**parsed.values, **derived}
        if as_of is not None:
            values["as_of"] = as_of
        lists = parsed.lists
        decides_na, decides_false, provisionals = self._decides_na, self._decides_false, self._provisional
        results = []
        for c, t in zip(self._conditions.rules, self._templates, strict=True):
            applies: bool | None = True
            if c.applies is not None:
                found = c.applies(values, lists, None)
                applies = True if found is True else False if found is False and c.rule in decides_na else None
            truth = c.holds(values, lists, None)
            provisional = c.rule in provisionals
            if applies is False:
                results.append(_NOT_APPLICABLE)
                continue
            if truth is True and not provisional:  # pending only matters when not true, or provisional
                results.append(_PASSED)
                continue
            pending = c.pending is not None and c.pending(values, lists, None) is True
            decision = _rule_decision(truth is True, truth is False and c.rule in decides_false, pending, applies,
                                      provisional)
            results.append(self._rule_outcome(t, decision, parsed, derived, as_of))
        return tuple(results)

    def _rule_outcome(self, t: _RuleTemplate, decision: RuleDecision, parsed: Facts, derived: Mapping[str, Any],
                      moment: dt.datetime | None) -> RuleResult:
        """One rule's outcome, the missing facts it names and its reason, from the backend's decision."""
        return _rule_outcome(t, self.ruleset, t.rule.id in self._decides_false, decision, parsed, derived, moment)


def _rule_outcome(t: _RuleTemplate, rs: Ruleset, decides_false: bool, decision: RuleDecision, parsed: Facts,
                  derived: Mapping[str, Any], moment: dt.datetime | None) -> RuleResult:
    """``Engine._rule_outcome`` (``decides_false``: whether the engine can decide the rule false), held
    by nothing of the engine's (the python backend's generated decider calls it through ``_worder``)."""
    if decision.applies is False:
        return _NOT_APPLICABLE
    if decision.condition is Decision.PASSED:
        return _PASSED

    def absent(path: str) -> bool:
        return path not in parsed.values and path not in derived and path not in parsed.lists

    pending = decision.condition is Decision.PENDING
    reason = _pending_reason(t.rule, rs, moment) if pending else None
    # A derived fact is missing only when what it is computed from is (those paths are in
    # reads too); one without a value over known facts (earliest of no filings) is not.
    missing = tuple(p for p in t.reads if absent(p) and not p.startswith("derived."))
    if decision.applies is None:  # whether the rule applies depends on facts that are missing
        return RuleResult("undetermined", missing or tuple(p for p in t.applies_reads if absent(p)), reason)
    if decision.condition is Decision.FAILED:
        return _FAILED  # definitely false, even if some fact it reads is missing
    # neither definitely true nor definitely false: name what is missing, down to the fields
    # of list items (filings[0].review.at); failing that, derived facts without a value
    missing += tuple(f"{lst}[{i}].{field}" for lst, field in t.item_reads
                     for i, item in enumerate(parsed.lists.get(lst, ()))
                     if field not in item and not any(k.startswith(field + ".") for k in item))
    if decides_false and not missing:
        missing = tuple(p for p in t.reads if p.startswith("derived.") and absent(p))
    if missing or pending:
        return RuleResult("undetermined", missing, reason)
    if decides_false:  # the engine could have said false: a cause must be missing
        raise EvaluationError(f"{t.rule.id} is neither true nor false, but no fact it reads is missing")
    return _FAILED  # the engine decides only truth: not true, nothing missing


_SHARED_READS_MAX = 8  # a rule reading more paths gets no table (2**n entries)


def _shared_results(t: _RuleTemplate, rs: Ruleset, decides_false: bool) -> _pycompile.Shared | None:
    """For a rule without ``applies_if`` and ``pending_if``/``due`` that reads only top-level and derived
    facts (no list, no item, not ``as_of``): its result when its condition is neither true nor simply
    false, by which of its reads are absent, as ``_rule_outcome`` words it (shared by every case with
    that pattern); patterns it refuses (EvaluationError) are left out. None for any other rule."""
    r = t.rule
    fields = (rs.facts or SUBJECTS[rs.subject]).fields
    if r.applies_condition is not None or r.pending_condition is not None or t.item_reads \
            or len(t.reads) > _SHARED_READS_MAX \
            or not all(p.startswith("derived.") or (p in fields and "[]" not in p) for p in t.reads):
        return None
    table = {}
    for pattern in itertools.product((False, True), repeat=len(t.reads)):
        present = [p for p, absent in zip(t.reads, pattern, strict=True) if not absent]
        case = Facts(values={p: 0 for p in present if not p.startswith("derived.")}, lists={}, missing=frozenset())
        derived = {p: 0 for p in present if p.startswith("derived.")}
        decision = _rule_decision(False, False, False, True, r.provisional_pass)  # neither true nor false
        try:
            table[pattern] = _rule_outcome(t, rs, decides_false, decision, case, derived, None)
        except EvaluationError:
            continue
    return t.reads, table


def _worder(t: _RuleTemplate, rs: Ruleset, decides_false: bool) -> Any:
    """The generated decider's wording of rule ``t`` for one case (``_pycompile.Word``): ``decide``'s
    reading of its parts, through ``_rule_outcome``."""
    provisional = t.rule.provisional_pass

    def word(holds: bool | None, applies: bool | None, pending: bool, parsed: Facts, derived: Mapping[str, Any],
             moment: dt.datetime | None) -> RuleResult:
        decision = _rule_decision(holds is True, holds is False and decides_false, pending, applies, provisional)
        return _rule_outcome(t, rs, decides_false, decision, parsed, derived, moment)

    return word


def _own_copy(facts: Facts) -> Facts:
    """``facts`` with dicts of its own: a verdict builds its values and stamp from the facts when
    they are first read, and the values it shows hold the facts' lists, so a ``Facts`` the caller
    keeps (and may change in place: its dicts are mutable) is copied. Facts parsed here are not."""
    return attrs.evolve(facts, values=dict(facts.values),
                        lists={name: tuple(dict(item) for item in items) for name, items in facts.lists.items()},
                        canonical=_json_copy(facts.canonical))


def _json_copy(v: Any) -> Any:
    """A JSON-shaped value with new dicts and lists (its scalars are immutable; ~3x faster than deepcopy)."""
    t = type(v)
    if t is dict:
        return {k: _json_copy(x) for k, x in v.items()}
    if t is list:
        return [_json_copy(x) for x in v]
    if t is tuple:
        return tuple(_json_copy(x) for x in v)
    return copy.deepcopy(v) if isinstance(v, (dict, list)) else v


def _shown(tz: str, counted_derived: tuple[Any, ...], counted_by: Mapping[str, tuple[int, ...]],
           keys: frozenset[str], parsed: Facts, derived: Mapping[str, Any]) -> dict[str, Any]:
    """The facts with a value among ``keys`` (the paths some rule shows; derived counts' counted items
    included), as JSON, by path."""
    facts_doc, values, lists = parsed.canonical, parsed.values, parsed.lists
    plain = _PLAIN_SET
    shown: dict[str, Any] = {}
    for p in keys:  # a counted list, a list, a derived value, a fact: the first that has it
        if p in lists:
            shown[p] = facts_doc[p]
        elif p in derived:
            v = derived[p]
            shown[p] = v if type(v) in plain else _jsonable(v, tz)
        elif p in values:
            v = values[p]
            shown[p] = v if type(v) in plain else _jsonable(v, tz)
    for d in counted_derived:  # which items a count with `where` counted, e.g. filings [1, 2]
        path = f"derived.{d.name}.counted"
        counted = counted_by.get(d.name)  # decided by the engine's own item predicate
        if counted is not None and path in keys:
            shown[path] = [f"{d.of.partition('[]')[0]}[{n}]" for n in counted]
    return shown


def _no_default(o: Any) -> Any:
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


# json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")), the standard library's C
# encoder built once (without the check for cycles: the facts' canonical document is a tree parse_facts built)
_C_MAKE_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)
try:  # (markers, default, encoder, indent, key and item separators, sort_keys, skipkeys, allow_nan)
    _CANONICAL_JSON = _C_MAKE_ENCODER(
        None, _no_default, getattr(json.encoder, "c_encode_basestring", None), None, ":", ",", True, False, True)
except TypeError:  # no C encoder here (None is not callable), or another signature: the Python one
    _CANONICAL_JSON = None
_CANONICAL_JSON_PY = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def _facts_sha256(facts_doc: Any) -> str:
    """The stamp's ``facts_sha256``: the sha256 (hex) of the facts' canonical JSON (sorted keys, no spaces,
    real UTF-8), computed once per verdict when its stamp or its JSON is first read."""
    text = _CANONICAL_JSON_PY(facts_doc) if _CANONICAL_JSON is None else "".join(_CANONICAL_JSON(facts_doc, 0))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verdict_outcome(outcomes: Iterable[RuleOutcome]) -> Outcome:
    """``ineligible`` if a required rule failed, else ``undetermined`` if one is undetermined, else
    ``eligible`` (advisory rules never decide it)."""
    return _outcome_of((o.severity, o.outcome) for o in outcomes)


def _outcome_from(required: tuple[bool, ...], results: tuple[RuleResult, ...]) -> Outcome:
    """``_outcome_of`` for one case's results, ``required`` telling for each rule whether it is required."""
    return _outcome_and_missing(required, results)[0]


def _outcome_and_missing(required: tuple[bool, ...], results: tuple[RuleResult, ...]
                         ) -> tuple[Outcome, tuple[str, ...]]:
    """``_outcome_of`` for one case's results (``required`` telling for each rule whether it is required)
    and every missing path they name (sorted, each once), in one pass that skips the shared passed and
    not-applicable results."""
    outcome: Outcome = "eligible"
    missing: list[str] = []
    for is_required, r in zip(required, results, strict=True):
        if r is _PASSED or r is _NOT_APPLICABLE:
            continue
        if r.missing:
            missing += r.missing
        if is_required and outcome != "ineligible":
            if r.outcome == "failed":
                outcome = "ineligible"
            elif r.outcome == "undetermined":
                outcome = "undetermined"
    return outcome, tuple(sorted(set(missing))) if missing else ()


def _outcome_of(results: Iterable[tuple[str, str]]) -> Outcome:
    """The verdict's outcome from each rule's (severity, outcome)."""
    required = {outcome for severity, outcome in results if severity == "required"}
    if "failed" in required:
        return "ineligible"
    return "undetermined" if "undetermined" in required else "eligible"


def due_decided_from(rule: Rule, rs: Ruleset, as_of: dt.datetime | None) -> dt.date | None:
    """The day a rule with ``due`` will be decided, if ``as_of`` is on or before its last day (in the
    zone its window or date is read in, as the engine decides it); None otherwise."""
    last = rule.due_last_day
    if last is None or as_of is None or rule.due is None:
        return None
    zone = rs.days_zone(rule.due)
    return decided_on(last) if as_of.astimezone(zoneinfo_zone(zone)).date() <= last else None


def _pending_reason(rule: Rule, rs: Ruleset, as_of: dt.datetime | None) -> str:
    """Why a rule is not yet decided: the window, period or deadline it waits for (zh / en).

    Names the last day that counts and the day the rule will be decided (the day after);
    before a window opens it says so. Otherwise (a pending_if other than ``due``) it names
    the condition that holds.
    """
    last = rule.due_last_day
    zone = rs.days_zone(rule.due) if rule.due else rs.time_zone
    # the day of as_of in the zone the due parameter is read in (as the engine decided it)
    today = as_of.astimezone(zoneinfo_zone(zone)).date() if as_of is not None else None
    if last is not None and today is not None and today <= last:
        decided = decided_on(last).isoformat()
        days = (last - today).days
        name = f"params.{rule.due}"
        opens = rule.due_opens
        if opens is not None and today < opens:
            return (f"尚未到期：{name} 自{opens.isoformat()}起算，至{last.isoformat()}（{zone}）止，尚未开始；"
                    f"{decided}起判定 / not yet due: {name} opens on {opens.isoformat()} and its last day is "
                    f"{last.isoformat()} ({zone}); decided from {decided}")
        # on the last day itself nothing is "left" to count: the day is named as the last one
        left_zh = "今日为最后一天" if days == 0 else f"还剩{days}天"
        left_en = "today is its last day" if days == 0 else "1 day left" if days == 1 else f"{days} days left"
        return (f"尚未到期：{name} 至{last.isoformat()}（{zone}）止，{left_zh}；{decided}起判定 / "
                f"not yet due: the last day of {name} is {last.isoformat()} ({zone}), {left_en}; "
                f"decided from {decided}")
    condition = " ".join((rule.pending_if or "").split())
    return f"尚待决定：{condition} 成立 / not yet decided: `{condition}` holds"


def _counted_reads(rule: Rule, rs: Ruleset) -> tuple[str, ...]:
    """``derived.<name>.counted`` for each derived count with a `where` the rule reads."""
    counts = {f"derived.{d.name}" for d in rs.derived if d.where_condition is not None}
    return tuple(f"{p}.counted" for p in sorted(rule.reads) if p in counts)


def _applies_reads(rule: Rule) -> tuple[str, ...]:
    """The fact paths a rule's applies_if reads."""
    return tuple(reads(rule.applies_condition))


def _item_reads(rule: Rule, rs: Ruleset) -> tuple[tuple[str, str], ...]:
    """Every (list, item field) a rule's condition reads, directly or through a derived fact."""
    found = items_read(rule.condition)
    derived = {f"derived.{d.name}": d for d in rs.derived}
    for path in rule.reads:
        d = derived.get(path)
        if d is None:
            continue
        found += [pair for pair in items_read(d.where_condition) if pair not in found]
        if "[]." in d.of and (d.where_condition is None or d.function != "count"):
            lst, _, field = d.of.partition("[].")
            if (lst, field) not in found:
                found.append((lst, field))
    return tuple(found)


def _param_note(p: Parameter) -> str:
    """The interpretation of a parameter, marked when its value is a placeholder."""
    note = p.interpretation.en if p.interpretation else ""
    if p.placeholder:
        note = "[placeholder — not an official value] " + note
    return note.strip()


@attrs.frozen
class _RuleTemplate:
    """What a rule's outcome carries that does not depend on the case (computed once per engine)."""

    rule: Rule
    citation: Citation
    params: tuple[tuple[str, Any], ...]
    param_notes: tuple[tuple[str, str], ...]
    condition: str
    reads: tuple[str, ...]
    sorted_reads: tuple[str, ...]
    item_reads: tuple[tuple[str, str], ...]  # (list, item field) the condition and its derived facts read
    applies_reads: tuple[str, ...] = ()  # fact paths its applies_if reads
    counted_reads: tuple[str, ...] = ()  # derived.<name>.counted: the items a count with `where` counted
    value_reads: tuple[str, ...] = ()  # sorted_reads and counted_reads, sorted (the order from_dict gives)


def load_ruleset(path: str | Path | None = None, *, term: str | None = None, region: str | None = None,
                 backend: str = "auto", subject: str = "collective", industry: str | None = None,
                 probe_durable: bool | None = None) -> Engine:
    """Load, check and compile a ruleset file (or the shipped one for ``term``/``region``).

    ``backend`` is ``"auto"`` (durable_rules where it imports, else the python backend),
    ``"durable"`` or ``"python"``; ``Engine.backend`` and every verdict's stamp name the one used.
    Every ruleset is held to the static limits of durable_rules (Q306) on either backend.
    ``probe_durable`` also registers the compiled rules with durable_rules, where it imports, so
    that anything else it refuses is a Q306 of the file too: by default only for the durable
    backend (``check`` and ``release`` ask for it; the python backend then never imports durable).
    Raises RulesetError (``path:line:col: CODE message``) for any mistake in the file, and
    BackendUnavailableError for ``"durable"`` where durable_rules does not import.
    """
    backend = resolve_backend(backend)  # refuse an unavailable backend before reading anything
    if path is None:
        if term is None:
            raise ValueError("give a ruleset path, or term= (and optionally region=)")
        path = ruleset_path(term, region, subject=subject, industry=industry)
    return Engine(*load_checked(path, backend == "durable" if probe_durable is None else probe_durable), backend)


def _shipped_engine(term: str, region: str | None, backend: str, subject: str = "collective",
                    industry: str | None = None) -> Engine:
    return _engine_at(ruleset_path(term, region, subject=subject, industry=industry), backend)


@functools.lru_cache(maxsize=32)
def _engine_at(path: Path, backend: str) -> Engine:
    """One engine per ruleset file and backend (the file, not the term: a working copy named by
    ``QNWMH_RULESETS`` is another file)."""
    return load_ruleset(path, backend=backend)


_ENGINE_CACHE: dict[tuple[str, str], Engine] = {}
_ENGINE_CACHE_SIZE = 16
_ENGINE_CACHE_LOCK = threading.Lock()  # services replay from several threads


def load_ruleset_cached(path: str | Path, *, backend: str = "auto") -> Engine:
    """``load_ruleset(path)``, but an engine already built for the same content hash and backend
    (by an earlier call here) is reused instead of building, and holding, another one.

    The file is still read and checked on every call (its content may have changed); only the
    engine is shared. At most a few engines are kept (least recently used first out)."""
    backend = resolve_backend(backend)
    ruleset, compiled = load_checked(path, backend == "durable")
    key = (ruleset.sha256, backend)
    with _ENGINE_CACHE_LOCK:
        engine = _ENGINE_CACHE.pop(key, None)
    if engine is None:  # built outside the lock: two threads may both build one; the cache keeps one
        engine = Engine(ruleset, compiled, backend)
    with _ENGINE_CACHE_LOCK:
        engine = _ENGINE_CACHE.setdefault(key, engine)
        _ENGINE_CACHE[key] = _ENGINE_CACHE.pop(key)  # most recently used last
        while len(_ENGINE_CACHE) > _ENGINE_CACHE_SIZE:
            del _ENGINE_CACHE[next(iter(_ENGINE_CACHE))]
    return engine


def filing_window(term: str = "2017-2018", region: str | None = None) -> FilingWindow:
    """The filing window of a shipped term (and region): boundaries, zone, position of a moment."""
    return _shipped_engine(term, region, "python").filing_window()


def evaluate(facts: Mapping[str, Any] | str | bytes, *, term: str = "2017-2018", region: str | None = None,
             as_of: Any = None, backend: str = "auto", subject: str = "collective",
             industry: str | None = None) -> Verdict:
    """Evaluate one collective (``subject="unit"``: one management unit) against the shipped
    ruleset for ``term`` (and ``region``, or ``industry`` for a unit), and return its ``Verdict``.

    ``facts``: a JSON-shaped mapping (the facts contract of docs/integrators.md) or JSON text.
    ``as_of``: the moment the verdict is given for, recorded in ``verdict.stamp.as_of``; a
    ``datetime.date`` or ``YYYY-MM-DD`` (the end of that day in the ruleset's zone), an aware
    ``datetime`` or an ISO timestamp with ``Z`` or ``±HH:MM``; ``None`` takes every deadline
    as passed. Nothing reads the wall clock. ``backend``: ``"auto"`` (durable_rules where it
    imports, else the python backend), ``"durable"`` (the engine of record) or ``"python"``.

    Raises ``FactsError`` (a ``ValueError``) naming the field path for bad facts, and on
    ``term``/``region``/``industry``/``subject``/``as_of`` for a bad argument; ``RulesetError`` if
    the shipped file is broken; ``BackendUnavailableError`` for ``"durable"`` where it does not
    import; ``EvaluationError`` if the engine fails on valid input. The
    engine for each ruleset file and backend is loaded once and cached (``QNWMH_RULESETS``
    names another rulesets folder).
    """
    return _shipped_engine(term, region, resolve_backend(backend), subject, industry).evaluate(facts, as_of=as_of)


def count_creation_collectives(collectives: Iterable[Mapping[str, Any]], *, term: str = "2017-2018",
                               industry: str | None = None, engine: Engine | None = None) -> dict[str, int]:
    """The ``creation_collectives`` facts of a management unit, counted from collective records.

    Which record counts as a 创建集体, and the breakdown (``previous_national``,
    ``non_public_economy``, ``social_organization``), are the ``creation_collective`` conditions of
    the term's unit assessment (or of ``engine``'s ruleset), evaluated on each record's facts. Each
    record is a collective's facts (the collective contract); a bad one raises FactsError naming its
    index (``collectives[3].members.total``). A record for which a condition cannot be decided
    (its filings or honours unknown) makes that count unknown: the count is left out, not guessed.
    Each collective is counted once: a second record with an id already seen raises FactsError
    naming it (``collectives[4].id``).
    Returns e.g. ``{"total": 1, "previous_national": 0, ...}``.
    """
    if engine is None:
        engine = _shipped_engine(term, None, "python", "unit", industry)
    rs = engine.ruleset
    crit = rs.creation_collective
    if crit is None:
        raise ValueError(f"the ruleset {rs.id} {rs.term} declares no creation_collective criterion")
    names = [name for name, _ in crit.breakdown_conditions]
    counts = dict.fromkeys(["total", *names], 0)
    unknown: set[str] = set()
    seen: dict[str, int] = {}
    for i, raw in enumerate(collectives):
        try:
            facts = parse_facts(raw, tz=rs.time_zone)
        except FactsError as exc:
            raise FactsError(f"collectives[{i}].{exc.field}", exc.message, suggestion=exc.suggestion) from None
        if facts.id in seen:  # a collective is counted once: a second record of it is a data error
            raise FactsError(f"collectives[{i}].id", f"{facts.id!r} is the collective of collectives[{seen[facts.id]}]"
                             ": each collective is counted once",
                             suggestion="remove the duplicate record, or merge its filings into the first one")
        seen[facts.id] = i
        is_creation = _reference.evaluate_condition(crit.checked, facts.values, facts.lists, rs.time_zone)
        if is_creation is not True:
            if is_creation is not False:
                unknown.update(counts)  # whether it counts at all is unknown
            continue
        counts["total"] += 1
        for name, cond in crit.breakdown_conditions:
            truth = _reference.evaluate_condition(cond, facts.values, facts.lists, rs.time_zone)
            if truth is True:
                counts[name] += 1
            elif truth is not False:
                unknown.add(name)
    return {k: v for k, v in counts.items() if k not in unknown}
