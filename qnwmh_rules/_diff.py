"""Meaning-level differences between two rulesets, and the verdicts they flip.

Owns: comparing two checked rulesets rule by rule (matched by id) and parameter by
parameter, the plain-text and JSON reports, and re-evaluating collectives under both to
list whose verdicts flip and which rules made them. Every part of the content hash
(``_schema.canonical``: scores, scoring groups, the creation criterion, the facts schema, layers...)
and the findings' wording (``_schema.wording``) is compared, so no change of a released version's
meaning or notes goes unreported. Must not know YAML or durable_rules.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs

from ._model import Parameter, Rule, Ruleset, Window
from ._schema import canonical, wording

__all__ = ["Change", "Flip", "diff_rulesets", "format_changes", "flips", "format_flips"]


@attrs.frozen
class Change:
    """One difference: ``what`` is rule / parameter / derived / ruleset; ``how`` added / removed / changed."""

    what: str
    how: str
    id: str
    field: str | None = None
    old: Any = None
    new: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"what": self.what, "how": self.how, "id": self.id, "field": self.field,
                "old": _show(self.old), "new": _show(self.new)}


def _show(v: Any) -> Any:
    if isinstance(v, Decimal):  # a JSON number (at most 15 significant digits: shown exactly)
        return float(v)
    if isinstance(v, Window):
        lo = "[" if v.start_inclusive else "("
        hi = "]" if v.end_inclusive else ")"
        return f"{lo}{v.start.isoformat()}, {v.end.isoformat()}{hi} {v.time_zone}"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, tuple):
        return list(v)
    return v


def _rule_fields(r: Rule) -> dict[str, Any]:
    return {
        "title.zh": r.title.zh, "title.en": r.title.en, "severity": r.severity,
        "citation.source": r.citation.source, "citation.clause": r.citation.clause,
        "citation.text": " ".join(r.citation.text.split()), "condition": " ".join(r.when.split()),
        "pending_if": " ".join(r.pending_if.split()) if r.pending_if else None,
        "due": r.due, "applies_if": " ".join(r.applies_if.split()) if r.applies_if else None,
        "provisional_pass": "true" if r.provisional_pass else "false",  # as written in a ruleset
        "interpretation.zh": " ".join(r.interpretation.zh.split()) if r.interpretation else None,
        "interpretation.en": " ".join(r.interpretation.en.split()) if r.interpretation else None,
    }


def _param_fields(p: Parameter) -> dict[str, Any]:
    return {"value": p.value, "source": p.source,
            "interpretation.zh": p.interpretation.zh if p.interpretation else None,
            "interpretation.en": p.interpretation.en if p.interpretation else None,
            "placeholder": p.placeholder}


def diff_rulesets(a: Ruleset, b: Ruleset) -> list[Change]:
    """What changed in meaning from ``a`` to ``b`` (rules by id, parameters by name)."""
    out: list[Change] = []
    for field in ("term", "version", "region", "time_zone"):
        if getattr(a, field) != getattr(b, field):
            out.append(Change("ruleset", "changed", b.id, field, getattr(a, field), getattr(b, field)))
    a_rules, b_rules = {r.id: r for r in a.rules}, {r.id: r for r in b.rules}
    a_params, b_params = {p.name: p for p in a.parameters}, {p.name: p for p in b.parameters}
    changed_params = {n for n in a_params.keys() & b_params.keys() if a_params[n].value != b_params[n].value}
    for rid in a_rules.keys() - b_rules.keys():
        out.append(Change("rule", "removed", rid, old=a_rules[rid].title.en))
    for rid in b_rules.keys() - a_rules.keys():
        out.append(Change("rule", "added", rid, new=b_rules[rid].title.en))
    for rid in a_rules.keys() & b_rules.keys():
        old, new = _rule_fields(a_rules[rid]), _rule_fields(b_rules[rid])
        for field in old:
            if old[field] != new[field]:
                out.append(Change("rule", "changed", rid, field, old[field], new[field]))
        for name in sorted(set(b_rules[rid].params) & changed_params):
            out.append(Change("rule", "changed", rid, f"params.{name}", a_params[name].value, b_params[name].value))
    for name in a_params.keys() - b_params.keys():
        out.append(Change("parameter", "removed", name, old=a_params[name].value))
    for name in b_params.keys() - a_params.keys():
        out.append(Change("parameter", "added", name, new=b_params[name].value))
    for name in a_params.keys() & b_params.keys():
        old_p, new_p = _param_fields(a_params[name]), _param_fields(b_params[name])
        for field in old_p:
            if old_p[field] != new_p[field]:
                out.append(Change("parameter", "changed", name, field, old_p[field], new_p[field]))
    a_src, b_src = {s.id: s for s in a.sources}, {s.id: s for s in b.sources}
    for sid in sorted(a_src.keys() | b_src.keys()):
        if a_src.get(sid) != b_src.get(sid):
            how = "added" if sid not in a_src else "removed" if sid not in b_src else "changed"
            out.append(Change("source", how, sid, None, a_src[sid].title.zh if sid in a_src else None,
                              b_src[sid].title.zh if sid in b_src else None))
    a_der, b_der = {d.name: d for d in a.derived}, {d.name: d for d in b.derived}
    for name in sorted(a_der.keys() | b_der.keys()):
        if a_der.get(name) != b_der.get(name):
            how = "added" if name not in a_der else "removed" if name not in b_der else "changed"
            out.append(Change("derived", how, name, None, a_der.get(name) and attrs.asdict(a_der[name]),
                              b_der.get(name) and attrs.asdict(b_der[name])))
    out += _rest(a, b)
    order = {"ruleset": 0, "rule": 1, "parameter": 2, "derived": 3, "source": 4}
    hows = {"added": 0, "removed": 1, "changed": 2}
    return sorted(out, key=lambda c: (order[c.what], hows[c.how], c.id, c.field or ""))


# what the comparisons above already cover, by key of ``_schema.canonical`` (ruleset, rule, parameter)
_RULESET_DONE = frozenset({"id", "term", "version", "region", "time_zone", "rules", "parameters", "derived",
                           "sources"})
_RULE_DONE = frozenset({"id", "title", "severity", "citation", "when", "pending_if", "due", "applies_if",
                        "provisional_pass", "interpretation"})
_PARAM_DONE = frozenset({"name", "value", "source", "interpretation", "placeholder"})


def _rest(a: Ruleset, b: Ruleset) -> list[Change]:
    """Every other difference of the two rulesets' canonical content (the content hash's), field by
    field, and of their findings' wording (``finding.<part>.<lang>``)."""
    out: list[Change] = []
    ca, cb = canonical(a), canonical(b)
    for key in sorted((ca.keys() | cb.keys()) - _RULESET_DONE):
        if ca.get(key) != cb.get(key):
            out.append(Change("ruleset", "changed", b.id, key, ca.get(key), cb.get(key)))
    rules_a, rules_b = {r["id"]: r for r in ca["rules"]}, {r["id"]: r for r in cb["rules"]}
    words_a, words_b = wording(a), wording(b)
    for rid in sorted(rules_a.keys() & rules_b.keys()):
        ra, rb = rules_a[rid], rules_b[rid]
        for key in sorted((ra.keys() | rb.keys()) - _RULE_DONE):
            if ra.get(key) != rb.get(key):
                out.append(Change("rule", "changed", rid, key, ra.get(key), rb.get(key)))
        fa, fb = words_a.get(rid, {}), words_b.get(rid, {})
        for part in sorted(fa.keys() | fb.keys()):
            for lang in ("zh", "en"):
                old = (fa.get(part) or {}).get(lang)
                new = (fb.get(part) or {}).get(lang)
                if old != new:
                    out.append(Change("rule", "changed", rid, f"finding.{part}.{lang}", old, new))
    for rid in sorted(rules_a.keys() & rules_b.keys()):
        out += _respaced(rid, rules_a[rid], rules_b[rid])
    for key, ident in (("rules", "id"), ("parameters", "name"), ("derived", "name"), ("sources", "id")):
        out += _reordered(b.id, key, [x[ident] for x in ca[key]], [x[ident] for x in cb[key]])
    params_a, params_b = {p["name"]: p for p in ca["parameters"]}, {p["name"]: p for p in cb["parameters"]}
    for name in sorted(params_a.keys() & params_b.keys()):
        pa, pb = params_a[name], params_b[name]
        for key in sorted((pa.keys() | pb.keys()) - _PARAM_DONE):
            if pa.get(key) != pb.get(key):
                out.append(Change("parameter", "changed", name, key, pa.get(key), pb.get(key)))
    return out


# the rule fields ``_rule_fields`` compares with runs of spaces squeezed, as ``_schema.canonical`` holds them
_SQUEEZED = (("condition", ("when",)), ("pending_if", ("pending_if",)), ("applies_if", ("applies_if",)),
             ("citation.text", ("citation", "text")), ("interpretation.zh", ("interpretation", "zh")),
             ("interpretation.en", ("interpretation", "en")))


def _raw(rule: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        rule = rule.get(key) if isinstance(rule, dict) else None  # type: ignore[assignment]
    return rule


def _respaced(rid: str, ra: dict[str, Any], rb: dict[str, Any]) -> list[Change]:
    """A text of a rule whose words are the same but not its spacing (``_rule_fields`` sees no change, the
    content hash does): ``<field> (spacing)`` with the texts as written."""
    out = []
    for field, keys in _SQUEEZED:
        old, new = _raw(ra, keys), _raw(rb, keys)
        if old != new and isinstance(old, str) and isinstance(new, str) and old.split() == new.split():
            out.append(Change("rule", "changed", rid, f"{field} (spacing)", old, new))
    return out


def _reordered(rid: str, key: str, old: list[str], new: list[str]) -> list[Change]:
    """The order of the entries both rulesets hold (rules, parameters, derived facts, sources), when it
    changed: verdicts, notes and the content hash follow it."""
    both = set(old) & set(new)
    kept_old, kept_new = [x for x in old if x in both], [x for x in new if x in both]
    return [] if kept_old == kept_new else [Change("ruleset", "changed", rid, f"{key} (order)", kept_old, kept_new)]


def _shown(v: Any) -> str:
    """A changed value in the text report: a structure as JSON, anything else as ``repr`` of ``_show``."""
    v = _show(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)  # dates as --json shows them
    return repr(v)


def _name(rs: Ruleset) -> str:
    return rs.key + (f" ({rs.region})" if rs.region else "")


def format_changes(a: Ruleset, b: Ruleset, changes: list[Change]) -> str:
    """A readable report: additions and removals, then each changed item with old → new per field."""
    lines = [f"--- {_name(a)}  sha256 {a.sha256[:12]}", f"+++ {_name(b)}  sha256 {b.sha256[:12]}"]
    if not changes:
        lines.append("no differences in meaning")
        return "\n".join(lines) + "\n"
    current = None
    last_id = None
    for c in changes:
        head = f"{c.what}s {c.how}:"
        if head != current:
            lines.append(head)
            current, last_id = head, None
        if c.how == "added":
            lines.append(f"  + {c.id}" + (f"  {_show(c.new)}" if c.what != "derived" else ""))
        elif c.how == "removed":
            lines.append(f"  - {c.id}" + (f"  {_show(c.old)}" if c.what != "derived" else ""))
        elif c.field is None:
            lines.append(f"  ~ {c.id}: {_shown(c.old)} → {_shown(c.new)}")
        else:
            if c.id != last_id:
                lines.append(f"  ~ {c.id}")
                last_id = c.id
            lines.append(f"      {c.field}: {_shown(c.old)} → {_shown(c.new)}")
    return "\n".join(lines) + "\n"


@attrs.frozen
class Flip:
    """A collective whose verdict differs between the two rulesets."""

    subject_id: str
    old: str
    new: str
    rules: tuple[tuple[str, str, str], ...]  # (rule id, old outcome, new outcome); "-" where absent


def flips(old_engine: Any, new_engine: Any, collectives: Iterable[tuple[str | None, Any, Any]]
          ) -> tuple[list[Flip], int]:
    """Evaluate every (label, facts, as_of) under both; return those whose outcome changed, and the count.

    The label names the collective in the report (a case name); None uses the facts' id.
    """
    out, count = [], 0
    for label, facts, as_of in collectives:
        count += 1
        a, b = old_engine.evaluate(facts, as_of=as_of), new_engine.evaluate(facts, as_of=as_of)
        ra, rb = {r.id: r.outcome for r in a.rules}, {r.id: r.outcome for r in b.rules}
        changed = tuple((rid, ra.get(rid, "-"), rb.get(rid, "-")) for rid in sorted(ra.keys() | rb.keys())
                        if ra.get(rid) != rb.get(rid))
        if a.outcome != b.outcome:
            out.append(Flip(label or b.subject_id, a.outcome, b.outcome, changed))
    return out, count


def format_flips(found: list[Flip], count: int) -> str:
    lines = [f"{len(found)} of {count} collectives change verdict"]
    for f in found:
        lines.append(f"  {f.subject_id}: {f.old} → {f.new}")
        for rid, old, new in f.rules:
            lines.append(f"      {rid}: {old} → {new}")
    return "\n".join(lines) + "\n"
