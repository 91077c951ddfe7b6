"""What a ruleset holds, for ``qnwmh-rules show``: its rules and parameters, as text or JSON.

Owns: the listing of a loaded ``Ruleset`` (rule ids, titles, severity, layer, citation,
parameters with values, sources and notes). Must not load files or decide rules.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ._model import Ruleset, Text, Window

__all__ = ["show_dict", "show_text"]


def _value(v: Any) -> Any:
    """A parameter value as JSON: dates as ISO text, a window as an object, decimals as numbers."""
    if isinstance(v, bool) or v is None or isinstance(v, (int, str)):
        return v
    if isinstance(v, (Decimal, float)):
        return int(v) if v == int(v) else float(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Window):
        return {"start": v.start.isoformat(), "end": v.end.isoformat(), "start_inclusive": v.start_inclusive,
                "end_inclusive": v.end_inclusive, "time_zone": v.time_zone}
    if isinstance(v, (tuple, list)):
        return [_value(x) for x in v]
    return str(v)


def _text(t: Text | None) -> dict[str, str] | None:
    return None if t is None else {"zh": t.zh, "en": t.en}


def show_dict(rs: Ruleset) -> dict[str, Any]:
    """The ruleset as JSON-ready data: ``{ruleset, term, version, region, subject, sha256, title,
    layers, rules: [{id, title, severity, layer, citation, params, due, applies_if}],
    parameters: [{name, value, type, source, description, interpretation, placeholder, layer}]}``."""
    return {
        "ruleset": rs.layers[-1], "term": rs.term, "version": rs.version, "region": rs.region,
        "subject": rs.subject, "sha256": rs.sha256, "title": {"zh": rs.title.zh, "en": rs.title.en},
        "layers": list(rs.layers),
        "rules": [{"id": r.id, "title": {"zh": r.title.zh, "en": r.title.en}, "severity": r.severity,
                   "layer": r.layer, "citation": {"source": r.citation.source, "clause": r.citation.clause},
                   "params": list(r.params), "due": r.due, "applies_if": r.applies_if,
                   "provisional_pass": r.provisional_pass} for r in rs.rules],
        "parameters": [{"name": p.name, "value": _value(p.value), "type": p.type, "source": p.source,
                        "description": _text(p.description), "interpretation": _text(p.interpretation),
                        "placeholder": p.placeholder, "layer": p.layer} for p in rs.parameters],
    }


def _shown(v: Any) -> str:
    v = _value(v)
    if isinstance(v, dict):  # a window
        return (f"{'[' if v['start_inclusive'] else '('}{v['start']} .. {v['end']}"
                f"{']' if v['end_inclusive'] else ')'} {v['time_zone']}")
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    return str(v).lower() if isinstance(v, bool) else str(v)


def show_text(rs: Ruleset) -> str:
    """The ruleset as a short readable listing (both languages' titles; parameters with values and notes)."""
    d = show_dict(rs)
    values = {p["name"]: _shown(p["value"]) for p in d["parameters"]}
    out = [f"{d['ruleset']}" + (f" (region {d['region']})" if d["region"] else "") + f"  sha256 {d['sha256'][:12]}",
           f"{d['title']['zh']} / {d['title']['en']}", f"layers: {' → '.join(d['layers'])}", "",
           f"rules ({len(d['rules'])}):"]
    for r in d["rules"]:
        out.append(f"  {r['id']}  {r['severity']}  {r['layer']}  cites {r['citation']['source']} "
                   f"{r['citation']['clause']}" + (f"  due {r['due']}" if r["due"] else ""))
        out.append(f"    {r['title']['zh']}")
        out.append(f"    {r['title']['en']}")
        if r["params"]:
            out.append("    params: " + "; ".join(f"{n} = {values.get(n, '?')}" for n in r["params"]))
        if r["applies_if"]:
            out.append(f"    applies if: {r['applies_if']}")
    out += ["", f"parameters ({len(d['parameters'])}):"]
    for p in d["parameters"]:
        out.append(f"  {p['name']} = {values[p['name']]}  ({p['type']}"
                   + (f", source {p['source']}" if p["source"] else "") + f", {p['layer']})"
                   + ("  PLACEHOLDER" if p["placeholder"] else ""))
        for lang in ("zh", "en"):
            if p["description"]:
                out.append(f"    {p['description'][lang]}")
        for lang in ("zh", "en"):
            if p["interpretation"]:
                out.append(f"    note: {' '.join(p['interpretation'][lang].split())}")
    return "\n".join(out) + "\n"
