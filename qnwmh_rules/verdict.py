"""Verdict value objects: what an evaluation returns, and its JSON form.

Owns: ``Verdict``, ``RuleOutcome``, ``Stamp`` (``Citation`` is the ruleset model's, re-exported);
``to_dict``/``from_dict`` and a canonical JSON form (sorted keys, UTF-8) so that the same input and ruleset give
byte-identical JSON; the deferred verdict an engine returns (``Verdict.deferred``: rules and stamp built on
first access from ``VerdictParts``, JSON written from the fragments of the engine's ``VerdictPlan``: each rule's
``RuleShape`` and the ``StampShape``). Must not know YAML, durable_rules or how outcomes are decided.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, get_args

import attrs

from ._model import Citation
from ._moments import show as _show_value

if TYPE_CHECKING:
    import datetime as dt


def _strings(v: Any) -> tuple[str, ...]:
    return v if type(v) is tuple else tuple(v)


def _outcomes(v: Any) -> tuple[Any, ...]:
    return v if type(v) is tuple else tuple(v)


__all__ = ["Verdict", "RuleOutcome", "Citation", "Stamp", "ScoreSheet", "ScoreLine", "GroupScore", "GateResult",
           "OUTCOMES", "RULE_OUTCOMES", "Outcome", "RuleOutcomeValue", "SCHEMA_VERSION",
           "verdict_schema", "RuleResult", "RuleShape", "StampShape", "VerdictPlan", "VerdictParts"]


def verdict_schema() -> dict[str, Any]:
    """The JSON Schema of the verdict document (``verdict.schema.json`` in the package)."""
    from pathlib import Path

    text = (Path(__file__).with_name("verdict.schema.json")).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema

SCHEMA_VERSION = "1"
#: A verdict's outcome, and a rule's: the only values ``Verdict.outcome`` and ``RuleOutcome.outcome`` take.
Outcome = Literal["eligible", "ineligible", "undetermined"]
RuleOutcomeValue = Literal["passed", "failed", "undetermined", "not_applicable"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
RULE_OUTCOMES: tuple[RuleOutcomeValue, ...] = get_args(RuleOutcomeValue)


def _own(v: Any) -> Any:
    """``v`` (a JSON value) with every list and object copied: what a verdict hands out or takes in is
    never shared with its own state (nor with the facts' document its stamp hashes)."""
    t = type(v)
    if t is list:
        return [_own(x) for x in v]
    if t is dict:
        return {k: _own(x) for k, x in v.items()}
    return v


def _own_dict(pairs: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """``dict(pairs)`` with each value's lists and objects copied (most values are texts and numbers)."""
    out = dict(pairs)
    for k, x in pairs:
        if type(x) in _CONTAINERS:
            out[k] = _own(x)
    return out


_CONTAINERS = (list, dict)


_PREPARED_INDENT = 8  # the largest indent whose JSON fragments an engine prepares and keeps (None, 0…8)


def _tuple_of_pairs(v: Any) -> tuple[tuple[str, Any], ...]:
    if type(v) is tuple:
        return v
    if isinstance(v, dict):
        return tuple(sorted(v.items()))
    return tuple((str(k), x) for k, x in v)


@attrs.frozen(hash=False)  # __hash__ below: values and params hold lists and dicts
class RuleOutcome:
    """One rule's result for one collective. Hashable: equal outcomes hash equal (the hash reads the
    rule's id, outcome, severity and layer; the values it read may be lists and mappings)."""

    id: str
    outcome: RuleOutcomeValue = attrs.field(validator=attrs.validators.in_(RULE_OUTCOMES))
    severity: str = attrs.field(validator=attrs.validators.in_(("required", "advisory")))
    title_zh: str
    title_en: str
    citation: Citation
    interpretation: str | None
    # (fact path, value as JSON) for every fact the rule read; absent facts are in ``missing``.
    values: tuple[tuple[str, Any], ...] = attrs.field(converter=_tuple_of_pairs)
    # (parameter name, value as JSON): the thresholds the rule held the facts to.
    params: tuple[tuple[str, Any], ...] = attrs.field(converter=_tuple_of_pairs)
    # (parameter name, its interpretation note): readings of ambiguous clauses behind a threshold.
    param_notes: tuple[tuple[str, Any], ...] = attrs.field(converter=_tuple_of_pairs)
    missing: tuple[str, ...] = attrs.field(converter=_strings)
    condition: str
    layer: str
    # why the rule is undetermined although no fact is missing (a window still open), else None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "outcome": self.outcome, "severity": self.severity,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "citation": attrs.asdict(self.citation),
            "interpretation": self.interpretation,
            "values": _own_dict(self.values), "params": _own_dict(self.params),
            "param_notes": _own_dict(self.param_notes),
            "missing": list(self.missing),
            "condition": self.condition, "layer": self.layer, "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RuleOutcome:
        return cls(
            id=d["id"], outcome=d["outcome"], severity=d["severity"], title_zh=d["title"]["zh"],
            title_en=d["title"]["en"], citation=Citation(**d["citation"]), interpretation=d["interpretation"],
            values=_own(d["values"]), params=_own(d["params"]), param_notes=_own(d["param_notes"]),
            missing=d["missing"],
            condition=d["condition"], reason=d.get("reason"),
            layer=d["layer"],
        )

    def __hash__(self) -> int:
        return hash((self.id, self.outcome, self.severity, self.layer))


@attrs.frozen
class Stamp:
    """What makes a verdict reproducible."""

    ruleset_id: str
    term: str
    version: str
    region: str | None
    layers: tuple[str, ...] = attrs.field(converter=_strings)
    ruleset_sha256: str
    library_version: str
    engine: str
    as_of: str | None
    facts_sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"ruleset_id": self.ruleset_id, "term": self.term, "version": self.version, "region": self.region,
                "layers": list(self.layers), "ruleset_sha256": self.ruleset_sha256,
                "library_version": self.library_version, "engine": self.engine, "as_of": self.as_of,
                "facts_sha256": self.facts_sha256}


@attrs.frozen
class ScoreLine:
    """One line of a score sheet; the ``points`` of all lines add up to the total exactly.

    Item lines name their rule; adjustment lines (``cap``, ``floor``, ``bonus_cap``,
    ``gate``, ``rounding``) have ``rule`` None (``gate`` names the gate rule).
    """

    rule: str | None
    kind: str  # award | deduction | bonus | cap | floor | bonus_cap | gate | rounding
    group: str | None
    status: str  # awarded | not_awarded | deducted | not_deducted | undetermined | not_applicable | adjustment
    points: str  # exact decimal text, signed
    max: str | None  # the most an item line can contribute (negative for deductions)
    note: str | None


@attrs.frozen
class GroupScore:
    id: str
    title_zh: str
    title_en: str
    points: str  # after floor, cap and weight
    cap: str | None
    weight: str


@attrs.frozen
class GateResult:
    rule: str
    outcome: str
    effect: str  # zero | ineligible


@attrs.frozen
class ScoreSheet:
    """The score of a subject: total of maximum, the breakdown, gates, and how sure it is.

    ``provisional`` is true when some scored rule is undetermined; ``lowest`` and
    ``highest`` bound the total the missing facts could lead to. ``placeholder`` is true
    when some points come from parameters marked as placeholders (not official values).
    """

    total: str
    maximum: str
    provisional: bool
    lowest: str
    highest: str
    rounding: str
    placeholder: bool
    placeholder_params: tuple[str, ...] = attrs.field(converter=_strings)
    lines: tuple[ScoreLine, ...] = attrs.field(converter=_outcomes)
    groups: tuple[GroupScore, ...] = attrs.field(converter=_outcomes)
    gates: tuple[GateResult, ...] = attrs.field(converter=_outcomes)

    def to_dict(self) -> dict[str, Any]:
        d = attrs.asdict(self, recurse=True)
        d["placeholder_params"] = list(self.placeholder_params)
        for k in ("lines", "groups", "gates"):
            d[k] = [dict(x) for x in d[k]]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScoreSheet:
        return cls(**{**d, "lines": tuple(ScoreLine(**x) for x in d["lines"]),
                      "groups": tuple(GroupScore(**x) for x in d["groups"]),
                      "gates": tuple(GateResult(**x) for x in d["gates"])})


class _Deferrable:
    """Holds a deferred verdict's ``_parts`` in a slot of its own, outside the attrs fields (so
    ``attrs.fields``/``asdict``/``astuple`` and ``evolve`` see only the verdict's values); unset
    in a verdict built eagerly, where it reads as None."""

    __slots__ = ("_parts",)
    _parts: VerdictParts | None


@attrs.frozen(hash=False)  # __hash__ below: the rules' values hold lists and dicts
class Verdict(_Deferrable):
    """The answer for one collective (or management unit).

    - ``subject_id``: the facts' ``id``.
    - ``outcome``: ``"eligible"`` if every required rule passed (or is not applicable),
      ``"ineligible"`` if a required rule failed, else ``"undetermined"``; advisory rules
      never decide it.
    - ``rules``: every rule's ``RuleOutcome`` in the ruleset's order: its outcome, the clause it
      cites, the values it read from the facts (``values``) and the parameters it held them to.
    - ``missing``: dotted fact paths whose absence left required rules undetermined, sorted.
    - ``stamp``: what makes the verdict reproducible (ruleset, term, version, layers, content
      sha256, library version, engine, ``as_of``, the facts' sha256).
    - ``score``: the ``ScoreSheet`` of a scored ruleset (``None`` otherwise).
    - ``subject``: ``"collective"`` or ``"unit"``.
    """

    subject_id: str
    outcome: Outcome = attrs.field(validator=attrs.validators.in_(OUTCOMES))
    rules: tuple[RuleOutcome, ...] = attrs.field(converter=_outcomes)
    missing: tuple[str, ...] = attrs.field(converter=_strings)
    stamp: Stamp
    score: ScoreSheet | None = None
    # "collective" or "unit" (a management unit: explanations word the outcome for a unit)
    subject: str = "collective"
    # A verdict built by an engine defers ``rules`` and ``stamp`` until they are read (the slots
    # stay unset until then) and writes its JSON from per-rule fragments (``_parts``, the slot of
    # ``_Deferrable``); None once built eagerly.

    def __hash__(self) -> int:
        """Equal verdicts hash equal (deferred or eager, read back with ``from_dict`` or not): the hash
        reads the subject, outcome, missing facts and what the stamp pins (ruleset and facts hashes,
        as_of); the rules' values may be lists and mappings, which do not hash."""
        s = self.stamp
        return hash((self.subject_id, self.outcome, self.missing, self.subject, s.ruleset_sha256, s.facts_sha256,
                     s.as_of))

    @classmethod
    def deferred(cls, *, subject_id: str, outcome: Outcome, missing: tuple[str, ...], score: ScoreSheet | None,
                 subject: str, parts: VerdictParts) -> Verdict:
        """A verdict whose ``rules`` and ``stamp`` are built from ``parts`` on first access.

        Equal, hashing, printing, pickling and serialising exactly as the verdict built eagerly from
        the same rules and stamp (a pickle holds the built values, never ``parts``)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"'outcome' must be in {OUTCOMES!r} (got {outcome!r})")
        v = object.__new__(cls)
        set_ = object.__setattr__  # the fields are frozen: set once here, as attrs' __init__ does
        set_(v, "subject_id", subject_id)
        set_(v, "outcome", outcome)
        set_(v, "missing", missing if type(missing) is tuple else tuple(missing))
        set_(v, "score", score)
        set_(v, "subject", subject)
        set_(v, "_parts", parts)
        return v

    if not TYPE_CHECKING:  # for mypy, ``rules`` and ``stamp`` are plain fields (they always read as one)
        def __getattr__(self, name: str) -> Any:
            # reached only for an unset slot: ``rules`` or ``stamp`` of a deferred verdict, or the
            # ``_parts`` of an eager one
            if name == "_parts":
                return None
            if name in ("rules", "stamp"):
                parts = object.__getattribute__(self, "_parts")
                if parts is not None:
                    value = parts.rules() if name == "rules" else parts.stamp()
                    object.__setattr__(self, name, value)
                    return value
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        # the built values, never the engine's parts (batch workers send verdicts between processes)
        return _rebuild, (self.subject_id, self.outcome, self.rules, self.missing, self.stamp, self.score,
                          self.subject)

    def rule(self, rule_id: str) -> RuleOutcome:
        """The outcome of the rule ``rule_id`` (e.g. ``"basic.youth_share"``); KeyError if the
        verdict has no such rule."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def rule_results(self) -> tuple[tuple[str, RuleOutcomeValue], ...]:
        """Each rule's ``(id, outcome)`` in the ruleset's order (a verdict from an engine answers
        without building its ``RuleOutcome`` objects)."""
        parts = self._parts
        if parts is not None:
            return tuple((s.proto.id, r.outcome) for s, r in zip(parts.shapes, parts.results, strict=True))
        return tuple((r.id, r.outcome) for r in self.rules)

    @property
    def failed(self) -> tuple[RuleOutcome, ...]:
        """The rules that failed (required and advisory), in the ruleset's order."""
        return tuple(r for r in self.rules if r.outcome == "failed")

    def to_dict(self) -> dict[str, Any]:
        d = {
            "schema_version": SCHEMA_VERSION, "subject_id": self.subject_id, "outcome": self.outcome,
            "missing": list(self.missing), "rules": [r.to_dict() for r in self.rules],
            "stamp": self.stamp.to_dict(),
        }
        if self.score is not None:  # only scored rulesets have a score sheet
            d["score"] = self.score.to_dict()
        if self.subject != "collective":  # added after release: absent for collectives
            d["subject"] = self.subject
        return d

    def to_json(self, *, indent: int | None = 2) -> str:
        """Canonical JSON: sorted keys, real UTF-8 (Chinese stays readable); ``indent`` as for
        ``json.dumps`` (None: one line)."""
        parts = self._parts
        if parts is None or (indent is not None and (type(indent) is not int or not 0 <= indent <= _PREPARED_INDENT)):
            # the engine prepares (and keeps) fragments for one line and the usual indents only: an indent
            # taken from a caller (2,000 of them, or one of 200,000) would keep gigabytes in it for ever
            return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, indent=indent)
        # the top-level members in their sorted order, around the engine's fragments for this indent;
        # one join of every fragment (the rules' text holds Chinese: each join would copy it whole)
        lay = parts.plan.layout(indent)
        missing = self.missing
        out = [lay.open_missing,
               lay.list_open + lay.list_sep.join([_encode_str(m) for m in missing]) + lay.list_close
               if missing else "[]",
               lay.before_outcome, _encode_str(self.outcome), lay.before_rules]
        parts.rules_fragments(indent, out)
        out.append(lay.before_score)
        if self.score is not None:
            out += ('"score": ', _value(self.score.to_dict(), indent, lay.nl1), lay.sep1)
        stamp = lay.stamp
        if stamp is None:  # a stamp field's own text holds a mark (never with ruleset text)
            out += ('"stamp": ', _value(self.stamp.to_dict(), indent, lay.nl1))
        else:
            as_of = parts.as_of()
            out += (stamp[0], "null" if as_of is None else _encode_str(as_of), stamp[1], parts.facts_sha256(),
                    stamp[2])
        if self.subject != "collective":
            out += (lay.sep1, '"subject": ', _encode_str(self.subject))
        out += (lay.before_subject_id, _encode_str(self.subject_id), lay.close)
        return "".join(out)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verdict:
        """Rebuild a verdict from its JSON form; ValueError if ``d`` is not one."""
        if not isinstance(d, dict):
            raise ValueError(f"a verdict document is a JSON object, not {type(d).__name__}")
        if not isinstance(d.get("rules"), list) or not isinstance(d.get("missing"), list) or \
                not isinstance(d.get("stamp"), dict):
            raise ValueError("a verdict document needs `rules` and `missing` lists and a `stamp` object")
        if d.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"unsupported verdict schema_version {_show_value(d.get('schema_version'))}; "
                             f"this library reads {SCHEMA_VERSION}")
        return cls(subject_id=d["subject_id"], outcome=d["outcome"],
                   rules=tuple(RuleOutcome.from_dict(r) for r in d["rules"]), missing=d["missing"],
                   stamp=Stamp(**d["stamp"]),
                   score=ScoreSheet.from_dict(d["score"]) if d.get("score") is not None else None,
                   subject=d.get("subject", "collective"))


def _rebuild(subject_id: str, outcome: Outcome, rules: tuple[RuleOutcome, ...], missing: tuple[str, ...],
             stamp: Stamp, score: ScoreSheet | None, subject: str) -> Verdict:
    return Verdict(subject_id=subject_id, outcome=outcome, rules=rules, missing=missing, stamp=stamp, score=score,
                   subject=subject)


# ------------------------------------------------------------------ deferred verdicts and JSON fragments
_HOLES = ("missing", "outcome", "reason", "values")  # what one case sets in a rule's JSON, in key order
_HOLE_MARKS = {k: f"\x00{k}\x00" for k in _HOLES}
_HOLE_RE = re.compile("|".join(re.escape(json.dumps(m)) for m in _HOLE_MARKS.values()))
_STAMP_HOLES = ("as_of", "facts_sha256")  # what one case sets in the stamp's JSON, in key order
_STAMP_MARKS = {k: f"\x00{k}\x00" for k in _STAMP_HOLES}
_STAMP_RE = re.compile("|".join(re.escape(json.dumps(m)) for m in _STAMP_MARKS.values()))


def _dumps(value: Any, indent: int | None) -> str:
    if indent is None:  # the standard library's C encoder
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return _indented(value, " " * indent, "\n")


def _value(value: Any, indent: int | None, nl: str) -> str:
    """``json.dumps(value, ensure_ascii=False, sort_keys=True, indent=indent)`` as it reads nested at the
    line prefix ``nl`` (unused for ``indent=None``: one line), for a JSON-shaped tree."""
    if indent is None:
        return _one_line(value)
    return _indented(value, " " * indent, nl)


def _no_default(o: Any) -> Any:
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


_C_MAKE_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)
try:  # (markers, default, encoder, indent, key and item separators, sort_keys, skipkeys, allow_nan)
    _ONE_LINE_C: Any = _C_MAKE_ENCODER(None, _no_default, getattr(json.encoder, "c_encode_basestring", None), None,
                                       ": ", ", ", True, False, True)
except TypeError:  # no C encoder here (None is not callable), or another signature
    _ONE_LINE_C = None


def _one_line(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, sort_keys=True)`` of a JSON-shaped tree (the values a verdict
    shows, its score sheet), by the standard library's C encoder built once: json.dumps builds an encoder
    per call, which costs more than writing a small value (no check for cycles: a tree has none)."""
    if _ONE_LINE_C is None:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "".join(_ONE_LINE_C(value, 0))


_encode_str = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring
_INF = float("inf")
def _key_order(keys: tuple[Any, ...]) -> tuple[tuple[str, str], ...] | None:
    """An object's keys (in the order it holds them) sorted, each with its text ``"key": ``; None if
    they are not all text (json.dumps then writes the object). Kept for the few dozen key sets facts
    and verdicts use."""
    try:
        ordered = sorted(keys)
    except TypeError:  # keys of several types: json.dumps raises the same error
        return None
    if any(type(k) is not str for k in ordered):
        return None
    order = tuple((k, _encode_str(k) + ": ") for k in ordered)
    if len(_KEY_ORDERS) < 1024:
        _KEY_ORDERS[keys] = order
    return order


_KEY_ORDERS: dict[tuple[Any, ...], tuple[tuple[str, str], ...]] = {}


def _indented(v: Any, step: str, nl: str) -> str:
    """``json.dumps(v, ensure_ascii=False, sort_keys=True, indent=len(step))`` nested at the line
    prefix ``nl``, byte for byte, for JSON-shaped values (the standard library writes indented JSON
    in Python, several times slower); anything else is left to ``json.dumps``."""
    t = type(v)
    if t is str:
        return _encode_str(v)
    if t is list or t is tuple:
        if not v:
            return "[]"
        inner = nl + step
        return "[" + inner + ("," + inner).join([
            _encode_str(x) if type(x) is str else int.__repr__(x) if type(x) is int else _indented(x, step, inner)
            for x in v]) + nl + "]"
    if t is dict:
        if not v:
            return "{}"
        keys = tuple(v)
        order = _KEY_ORDERS.get(keys) or _key_order(keys)
        if order is not None:
            inner = nl + step
            enc = _encode_str
            members = []
            for k, text in order:
                x = v[k]
                tx = type(x)  # the usual scalars inline (a call each is most of the cost)
                members.append(text + (enc(x) if tx is str else int.__repr__(x) if tx is int
                                       else _indented(x, step, inner)))
            return "{" + inner + ("," + inner).join(members) + nl + "}"
    elif v is None:
        return "null"
    elif t is bool:
        return "true" if v else "false"
    elif t is int:
        return int.__repr__(v)
    elif t is float:
        if v != v:
            return "NaN"
        return "Infinity" if v == _INF else "-Infinity" if v == -_INF else float.__repr__(v)
    text = json.dumps(v, ensure_ascii=False, sort_keys=True, indent=len(step))
    return text.replace("\n", nl)


def _nest(text: str, indent: int | None, depth: int) -> str:
    """JSON text dumped on its own, as it reads nested ``depth`` levels deep."""
    return text if indent is None or depth == 0 else text.replace("\n", "\n" + " " * (indent * depth))


def _split(text: str, pattern: re.Pattern[str], marks: tuple[str, ...]) -> list[str] | None:
    """``text`` cut around each of ``marks`` (JSON strings), found once each in this order; else None."""
    found = [m.group(0) for m in pattern.finditer(text)]
    return pattern.split(text) if found == [json.dumps(m) for m in marks] else None


class RuleResult(NamedTuple):
    """What one case decided of one rule: its outcome, the facts it names as missing, and why it
    is undetermined although nothing is missing (a window still open), else None."""

    outcome: RuleOutcomeValue
    missing: tuple[str, ...]
    reason: str | None


class RuleShape:
    """What a rule's outcome carries whatever the case (prepared once per engine): everything of a
    ``RuleOutcome`` but its outcome, missing facts, reason and values, the fact paths whose values it
    shows (``value_reads``, sorted), and its JSON with those four left open, per ``indent``."""

    __slots__ = ("proto", "value_reads", "_keys", "_pieces", "_shared_params")

    def __init__(self, proto: RuleOutcome, value_reads: tuple[str, ...]) -> None:
        self.proto = proto
        # parameters held in lists or objects (a window, a list of units): each verdict gets its own
        # copy, so a caller changing one verdict's never changes the next verdicts of the engine
        self._shared_params = any(isinstance(v, (list, dict)) for _, v in proto.params)
        self.value_reads = tuple(sorted(value_reads))
        self._keys = tuple((k, _encode_str(k) + ": ") for k in self.value_reads)  # each path as a JSON key
        self._pieces: dict[int | None, tuple[str, ...] | None] = {}

    def outcome(self, result: RuleResult, shown: Mapping[str, Any]) -> RuleOutcome:
        """This rule's ``RuleOutcome`` for a case (``shown``: each fact with a value, as JSON, by path)."""
        p = self.proto
        return RuleOutcome(
            id=p.id, outcome=result.outcome, severity=p.severity, title_zh=p.title_zh, title_en=p.title_en,
            citation=p.citation, interpretation=p.interpretation,
            # lists and objects copied: the values of list facts are the facts' document, which the stamp hashes
            values=tuple((k, v if type(v) not in _CONTAINERS else _own(v))
                         for k in self.value_reads if k in shown for v in (shown[k],)),
            params=copy.deepcopy(p.params) if self._shared_params else p.params,
            param_notes=p.param_notes, missing=result.missing, condition=p.condition, layer=p.layer,
            reason=result.reason)

    def pieces(self, indent: int | None) -> tuple[str, ...] | None:
        """The rule's JSON as an item of a verdict's ``rules``, split around its four open values
        (None if its own text holds a mark, which never happens with ruleset text)."""
        if indent in self._pieces:
            return self._pieces[indent]
        d = self.proto.to_dict()
        d.update(_HOLE_MARKS)
        cut = _split(_nest(_dumps(d, indent), indent, 2), _HOLE_RE, tuple(_HOLE_MARKS.values()))
        pieces = None
        if cut is not None:  # the outcome's quotes go into the pieces
            pieces = (cut[0], cut[1] + '"', '"' + cut[2], cut[3], cut[4])
        self._pieces[indent] = pieces
        return pieces


class StampShape:
    """What a verdict's stamp holds whatever the case (prepared once per engine): every field of a
    ``Stamp`` but ``as_of`` and ``facts_sha256``, and the stamp's JSON with those two left open."""

    __slots__ = ("_proto", "_pieces")

    def __init__(self, *, ruleset_id: str, term: str, version: str, region: str | None, layers: tuple[str, ...],
                 ruleset_sha256: str, library_version: str, engine: str) -> None:
        self._proto = Stamp(ruleset_id=ruleset_id, term=term, version=version, region=region, layers=layers,
                            ruleset_sha256=ruleset_sha256, library_version=library_version, engine=engine,
                            as_of=_STAMP_MARKS["as_of"], facts_sha256=_STAMP_MARKS["facts_sha256"])
        self._pieces: dict[int | None, tuple[str, str, str] | None] = {}

    def stamp(self, as_of: str | None, facts_sha256: str) -> Stamp:
        """The stamp of one case: given at ``as_of`` (ISO text, or None), for facts of that sha256."""
        p = self._proto
        return Stamp(ruleset_id=p.ruleset_id, term=p.term, version=p.version, region=p.region, layers=p.layers,
                     ruleset_sha256=p.ruleset_sha256, library_version=p.library_version, engine=p.engine,
                     as_of=as_of, facts_sha256=facts_sha256)

    def pieces(self, indent: int | None, nl: str) -> tuple[str, str, str] | None:
        """``"stamp": `` and the stamp's JSON at the line prefix ``nl``, cut before the ``as_of`` value,
        around the facts' sha256 (the text between the quotes) and after it; None if a field's own
        text holds a mark."""
        if indent in self._pieces:
            return self._pieces[indent]
        text = '"stamp": ' + _value(self._proto.to_dict(), indent, nl)
        cut = _split(text, _STAMP_RE, tuple(_STAMP_MARKS.values()))
        pieces = None if cut is None else (cut[0], cut[1] + '"', '"' + cut[2])
        self._pieces[indent] = pieces
        return pieces


# One rule's place in a verdict's ``rules`` array at one indent (a plain tuple: unpacked once per rule and
# case): what goes before it (glue); its text for each outcome decided with nothing missing and no reason
# (heads: up to its values, or whole when it shows no value); its pieces (None: its text is built from its
# ``RuleOutcome``); the paths it shows, each with its JSON key text; and its ``RuleShape``.
_RuleSlot = tuple[str, dict[str, str], "tuple[str, ...] | None", tuple[tuple[str, str], ...], "RuleShape"]


class _Layout:
    """Every fixed fragment of a verdict's JSON at one indent (prepared once per engine and indent)."""

    __slots__ = ("nl1", "sep1", "open_missing", "list_open", "list_sep", "list_close", "before_outcome",
                 "before_rules", "before_score", "stamp", "before_subject_id", "close", "rules", "rules_close",
                 "member_open", "member_sep", "member_close", "value_step", "value_nl")

    def __init__(self, plan: VerdictPlan, indent: int | None) -> None:
        def frame(depth: int) -> tuple[str, str, str]:
            """What opens, separates and closes the members (at depth + 1) of a container at ``depth``."""
            if indent is None:
                return "", ", ", ""
            inner = "\n" + " " * (indent * (depth + 1))
            return inner, "," + inner, "\n" + " " * (indent * depth)

        open1, self.sep1, close0 = frame(0)
        self.nl1 = "\n" + " " * indent if indent is not None else ""
        self.open_missing = "{" + open1 + '"missing": '
        open2, sep2, close1 = frame(1)
        self.list_open, self.list_sep, self.list_close = "[" + open2, sep2, close1 + "]"
        self.before_outcome = self.sep1 + '"outcome": '
        self.before_rules = self.sep1 + '"rules": '
        self.before_score = self.sep1 + '"schema_version": ' + _encode_str(SCHEMA_VERSION) + self.sep1
        self.stamp = plan.stamp_shape.pieces(indent, self.nl1)
        self.before_subject_id = self.sep1 + '"subject_id": '
        self.close = close0 + "}"
        # members of a rule's `missing` and `values` (depth 4), closed at the rule's depth (3)
        self.member_open, self.member_sep, last = frame(3)
        self.member_close = last
        self.value_step, self.value_nl = ("", "") if indent is None else (" " * indent, self.member_open)
        slots: list[_RuleSlot] = []
        for i, shape in enumerate(plan.shapes):
            glue = "[" + open2 if i == 0 else sep2
            pieces = shape.pieces(indent)
            heads: dict[str, str] = {} if pieces is None else {
                o: glue + pieces[0] + "[]" + pieces[1] + o + pieces[2] + "null" + pieces[3]
                + ("" if shape._keys else "{}" + pieces[4]) for o in RULE_OUTCOMES}
            slots.append((glue, heads, pieces, shape._keys, shape))
        self.rules = tuple(slots)
        self.rules_close = close1 + "]"


class VerdictPlan:
    """What every verdict of one engine shares (prepared once per engine): each rule's ``RuleShape``, the
    ``StampShape``, ``facts_sha256`` (the facts' canonical JSON document -> its sha256 as hex text) and
    the fixed fragments of the verdict's JSON per indent."""

    __slots__ = ("shapes", "stamp_shape", "facts_sha256", "_layouts")

    def __init__(self, shapes: tuple[RuleShape, ...], stamp_shape: StampShape,
                 facts_sha256: Callable[[Any], str]) -> None:
        self.shapes = shapes
        self.stamp_shape = stamp_shape
        self.facts_sha256 = facts_sha256
        self._layouts: dict[int | None, _Layout] = {}

    def layout(self, indent: int | None) -> _Layout:
        lay = self._layouts.get(indent)
        if lay is None:  # two threads may both build it: the same fragments either way
            lay = self._layouts[indent] = _Layout(self, indent)
        return lay


class VerdictParts:
    """The parts of one case from which a deferred ``Verdict`` builds its rules, stamp and JSON.

    ``plan.shapes`` and ``results`` pair up by rule; ``show()`` maps each fact path with a value that some
    rule shows (its ``value_reads``) to its JSON value (built on first use); ``facts_doc`` is the facts'
    canonical JSON document (hashed on first use, once) and ``moment`` the aware ``as_of`` (or None)."""

    __slots__ = ("plan", "results", "_show", "_shown", "_facts_doc", "_moment", "_sha256", "_value_json")

    def __init__(self, plan: VerdictPlan, results: tuple[RuleResult, ...], show: Callable[[], Mapping[str, Any]],
                 facts_doc: Any, moment: dt.datetime | None) -> None:
        self.plan = plan
        self.results = results
        self._show = show
        self._shown: Mapping[str, Any] | None = None
        self._facts_doc = facts_doc
        self._moment = moment
        self._sha256: str | None = None
        self._value_json: dict[int | None, dict[str, str]] = {}

    @property
    def shapes(self) -> tuple[RuleShape, ...]:
        return self.plan.shapes

    def shown(self) -> Mapping[str, Any]:
        if self._shown is None:
            self._shown = self._show()
        return self._shown

    def rules(self) -> tuple[RuleOutcome, ...]:
        shown = self.shown()
        return tuple(s.outcome(r, shown) for s, r in zip(self.plan.shapes, self.results, strict=True))

    def as_of(self) -> str | None:
        """The stamp's ``as_of``: the moment as ISO text, or None."""
        return None if self._moment is None else self._moment.isoformat()

    def facts_sha256(self) -> str:
        """The stamp's ``facts_sha256`` (computed once, whether the stamp or the JSON reads it first)."""
        sha = self._sha256
        if sha is None:
            sha = self._sha256 = self.plan.facts_sha256(self._facts_doc)
        return sha

    def stamp(self) -> Stamp:
        return self.plan.stamp_shape.stamp(self.as_of(), self.facts_sha256())

    def rules_json(self, indent: int | None) -> str:
        """The JSON text of the verdict's ``rules`` array, as ``to_json(indent=indent)`` writes it."""
        out: list[str] = []
        self.rules_fragments(indent, out)
        return "".join(out)

    def rules_fragments(self, indent: int | None, out: list[str]) -> None:
        """``rules_json(indent)`` as fragments appended to ``out`` (joined once by the caller: the text
        holds Chinese, so every join or concatenation of it copies it whole)."""
        lay = self.plan.layout(indent)
        if not lay.rules:
            out.append("[]")
            return
        shown = self.shown()
        memo = self._value_json.get(indent)
        if memo is None:
            memo = self._value_json[indent] = {}
        first, sep, last = lay.member_open, lay.member_sep, lay.member_close
        value_step, value_nl = lay.value_step, lay.value_nl
        append = out.append
        for (glue, heads, pieces, keys, shape), (outcome, missing, reason) in zip(lay.rules, self.results,
                                                                                   strict=True):
            if pieces is None:
                append(glue)
                append(_nest(_dumps(shape.outcome(RuleResult(outcome, missing, reason), shown).to_dict(), indent),
                             indent, 2))
                continue
            if not missing and reason is None:  # its text up to its values (or whole), prepared
                append(heads[outcome])
                if not keys:
                    continue
            else:
                out += (glue, pieces[0],
                        "[" + first + sep.join([_encode_str(m) for m in missing]) + last + "]" if missing else "[]",
                        pieces[1], outcome, pieces[2], "null" if reason is None else _encode_str(reason), pieces[3])
                if not keys:
                    out += ("{}", pieces[4])
                    continue
            values = []
            for k, key in keys:
                text = memo.get(k)
                if text is None:
                    if k not in shown:
                        continue
                    value = shown[k]
                    tv = type(value)
                    text = memo[k] = key + (int.__repr__(value) if tv is int else _encode_str(value) if tv is str
                                            else _one_line(value) if indent is None
                                            else _indented(value, value_step, value_nl))
                values.append(text)
            out += ("{" + first + sep.join(values) + last + "}" if values else "{}", pieces[4])
        append(lay.rules_close)
