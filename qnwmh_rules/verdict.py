"""Verdict value objects: what an evaluation returns, and its JSON form.

Owns: ``Verdict``, ``RuleOutcome``, ``Stamp`` (``Citation`` is the ruleset model's, re-exported);
``to_dict``/``from_dict`` and a canonical JSON form (sorted keys, UTF-8) so that the same input and ruleset give
byte-identical JSON; the deferred verdict an engine returns (``Verdict.deferred``: rules and stamp built on
first access from ``VerdictParts``, JSON written from per-rule fragments, ``RuleShape``). Must not know YAML,
durable_rules or how outcomes are decided.
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


def _strings(v: Any) -> tuple[str, ...]:
    return v if type(v) is tuple else tuple(v)


def _outcomes(v: Any) -> tuple[Any, ...]:
    return v if type(v) is tuple else tuple(v)


__all__ = ["Verdict", "RuleOutcome", "Citation", "Stamp", "ScoreSheet", "ScoreLine", "GroupScore", "GateResult",
           "OUTCOMES", "RULE_OUTCOMES", "Outcome", "RuleOutcomeValue", "SCHEMA_VERSION",
           "verdict_schema", "RuleResult", "RuleShape", "VerdictParts"]


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
            "values": dict(self.values), "params": dict(self.params), "param_notes": dict(self.param_notes),
            "missing": list(self.missing),
            "condition": self.condition, "layer": self.layer, "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RuleOutcome:
        return cls(
            id=d["id"], outcome=d["outcome"], severity=d["severity"], title_zh=d["title"]["zh"],
            title_en=d["title"]["en"], citation=Citation(**d["citation"]), interpretation=d["interpretation"],
            values=d["values"], params=d["params"], param_notes=d["param_notes"], missing=d["missing"],
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
        for name, value in (("subject_id", subject_id), ("outcome", outcome), ("missing", tuple(missing)),
                            ("score", score), ("subject", subject), ("_parts", parts)):
            object.__setattr__(v, name, value)
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
        if parts is None or (indent is not None and (type(indent) is not int or indent < 0)):
            return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, indent=indent)
        if indent is None:
            d: dict[str, Any] = {
                "schema_version": SCHEMA_VERSION, "subject_id": self.subject_id, "outcome": self.outcome,
                "missing": list(self.missing), "rules": _RULES_MARK, "stamp": self.stamp.to_dict(),
            }
            if self.score is not None:
                d["score"] = self.score.to_dict()
            if self.subject != "collective":
                d["subject"] = self.subject
            text = _dumps(d, indent)
            return text.replace(_RULES_MARK_JSON, '"rules": ' + parts.rules_json(indent), 1)
        # indented: the top-level members written in their sorted order, each value as _indented writes it
        # one join of every fragment (the rules' text holds Chinese: each join would copy it whole)
        step = " " * indent
        nl = "\n" + step
        out = ["{" + nl + '"missing": ' + _indented(self.missing, step, nl) + "," + nl + '"outcome": '
               + _indented(self.outcome, step, nl) + "," + nl + '"rules": ']
        parts.rules_fragments(indent, out)
        tail = ["", '"schema_version": ' + _encode_str(SCHEMA_VERSION)]
        if self.score is not None:
            tail.append('"score": ' + _indented(self.score.to_dict(), step, nl))
        tail.append('"stamp": ' + _indented(self.stamp.to_dict(), step, nl))
        if self.subject != "collective":
            tail.append('"subject": ' + _indented(self.subject, step, nl))
        tail.append('"subject_id": ' + _indented(self.subject_id, step, nl))
        out.append(("," + nl).join(tail) + "\n}")
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
_RULES_MARK = "\x00rules\x00"
_RULES_MARK_JSON = '"rules": ' + json.dumps(_RULES_MARK)
_HOLES = ("missing", "outcome", "reason", "values")  # what one case sets in a rule's JSON, in key order
_HOLE_MARKS = {k: f"\x00{k}\x00" for k in _HOLES}
_HOLE_RE = re.compile("|".join(re.escape(json.dumps(m)) for m in _HOLE_MARKS.values()))


def _dumps(value: Any, indent: int | None) -> str:
    if indent is None:  # the standard library's C encoder
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return _indented(value, " " * indent, "\n")


_encode_str = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring
_INF = float("inf")


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
        inner = nl + step
        members = []
        for k, x in sorted(v.items()):
            if type(k) is not str:  # json.dumps turns such keys into text: leave it to json.dumps
                break
            tx = type(x)  # the usual scalars inline (a call each is most of the cost)
            members.append(_encode_str(k) + ": " + (_encode_str(x) if tx is str else int.__repr__(x) if tx is int
                                                    else _indented(x, step, inner)))
        else:
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
            values=tuple((k, shown[k]) for k in self.value_reads if k in shown),
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
        text = _nest(_dumps(d, indent), indent, 2)
        cut = _HOLE_RE.split(text)
        found = [m.group(0) for m in _HOLE_RE.finditer(text)]
        pieces = None
        if found == [json.dumps(_HOLE_MARKS[k]) for k in _HOLES]:  # the outcome's quotes go into the pieces
            pieces = (cut[0], cut[1] + '"', '"' + cut[2], cut[3], cut[4])
        self._pieces[indent] = pieces
        return pieces


class VerdictParts:
    """The parts of one case from which a deferred ``Verdict`` builds its rules, stamp and JSON.

    ``shapes`` and ``results`` pair up by rule; ``shown`` maps each fact path with a value that some
    rule shows (its ``value_reads``) to its JSON value (built on first use by ``show``); ``stamp`` builds the stamp."""

    __slots__ = ("shapes", "results", "_show", "_shown", "_stamp", "_value_json")

    def __init__(self, shapes: tuple[RuleShape, ...], results: tuple[RuleResult, ...],
                 show: Callable[[], Mapping[str, Any]], stamp: Callable[[], Stamp]) -> None:
        self.shapes = shapes
        self.results = results
        self._show = show
        self._shown: Mapping[str, Any] | None = None
        self._stamp = stamp
        self._value_json: dict[int | None, dict[str, str]] = {}

    def shown(self) -> Mapping[str, Any]:
        if self._shown is None:
            self._shown = self._show()
        return self._shown

    def rules(self) -> tuple[RuleOutcome, ...]:
        shown = self.shown()
        return tuple(s.outcome(r, shown) for s, r in zip(self.shapes, self.results, strict=True))

    def stamp(self) -> Stamp:
        return self._stamp()

    def rules_json(self, indent: int | None) -> str:
        """The JSON text of the verdict's ``rules`` array, as ``to_json(indent=indent)`` writes it."""
        out: list[str] = []
        self.rules_fragments(indent, out)
        return "".join(out)

    def rules_fragments(self, indent: int | None, out: list[str]) -> None:
        """``rules_json(indent)`` as fragments appended to ``out`` (joined once by the caller: the text
        holds Chinese, so every join or concatenation of it copies it whole)."""
        shown = self.shown()
        if indent is None:
            first, sep, last = "", ", ", ""
            open_, between, close = "[", ", ", "]"
        else:  # members of a rule's `missing` and `values` (depth 4), closed at the rule's depth (3)
            first = "\n" + " " * (4 * indent)
            sep, last = "," + first, "\n" + " " * (3 * indent)
            inner = "\n" + " " * (2 * indent)  # a rule's place in the array (depth 2), closed at depth 1
            open_, between, close = "[" + inner, "," + inner, "\n" + " " * indent + "]"
        memo = self._value_json.get(indent)
        if memo is None:
            memo = self._value_json[indent] = {}
        value_step, value_nl = ("", "") if indent is None else (" " * indent, first)
        if not self.shapes:
            out.append("[]")
            return
        append = out.append
        glue = open_
        for shape, r in zip(self.shapes, self.results, strict=True):
            append(glue)
            glue = between
            pieces = shape.pieces(indent)
            if pieces is None:
                append(_nest(_dumps(shape.outcome(r, shown).to_dict(), indent), indent, 2))
                continue
            values = []
            for k, key in shape._keys:
                text = memo.get(k)
                if text is None:
                    if k not in shown:
                        continue
                    value = shown[k]
                    text = memo[k] = key + (_dumps(value, None) if indent is None
                                            else _indented(value, value_step, value_nl))
                values.append(text)
            out += (
                pieces[0],
                "[" + first + sep.join([_encode_str(m) for m in r.missing]) + last + "]" if r.missing else "[]",
                pieces[1], r.outcome, pieces[2], "null" if r.reason is None else _encode_str(r.reason), pieces[3],
                "{" + first + sep.join(values) + last + "}" if values else "{}", pieces[4])
        append(close)
