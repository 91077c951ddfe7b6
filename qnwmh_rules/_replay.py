"""Re-evaluation for auditors: what-if patches of facts, and replaying a stored verdict.

Owns: applying a patch of dotted fact paths, comparing two verdicts rule by rule,
replaying a verdict document with the ruleset its stamp names and reporting "identical"
or exactly what differs (and whether the ruleset and facts hashes still match).
Must not know durable_rules or YAML.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ._api import as_of_moment, load_ruleset, load_ruleset_cached
from ._catalogue import durable_available, rulesets_dir
from ._jsontext import InvalidJSONError, check_value, loads
from ._loader import file_kind
from ._model import Ruleset
from ._moments import TERM, show
from .exceptions import FactsError, QnwmhError
from .verdict import Verdict

__all__ = ["apply_patch", "WhatIf", "what_if", "Replay", "replay", "json_differences", "parse_assignment",
           "ruleset_for_stamp"]

def parse_assignment(text: str) -> tuple[str, Any]:
    """``members.total=12`` → ("members.total", 12): the value is JSON if it parses, else text;
    ``path=`` (nothing after =) deletes the fact."""
    path, sep, raw = text.partition("=")
    if not sep or not path.strip():
        raise FactsError("--set", f"expected PATH=VALUE, got {show(text)}")
    if raw == "":
        return path.strip(), None
    try:
        return path.strip(), loads(raw, "--set", path=path.strip())
    except InvalidJSONError:
        return path.strip(), raw  # not JSON at all: the text itself (the facts check decides)


def apply_patch(facts: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``facts`` with each dotted path set (``None`` deletes it); list items by index.
    Facts or values nested too deep to copy, or holding lone surrogates, are a FactsError."""
    check_value(dict(facts))
    for path, value in changes.items():
        check_value(value, path)
    doc: dict[str, Any] = copy.deepcopy(dict(facts))
    for path, value in changes.items():
        node: Any = doc
        *heads, last = path.split(".")
        try:
            for h in heads:
                node = node[int(h)] if isinstance(node, list) else node.setdefault(h, {})
            if isinstance(node, list):
                i = int(last)
                if value is None:
                    del node[i]
                elif i == len(node):
                    node.append(value)
                else:
                    node[i] = value
            elif value is None:
                if last not in node:
                    raise FactsError(path, "cannot be deleted: there is no such fact")
                del node[last]
            else:
                node[last] = value
        except (IndexError, ValueError, TypeError, AttributeError):
            raise FactsError(path, "cannot be set in these facts (no such list item or object)") from None
    return doc


@attrs.frozen
class WhatIf:
    before: Verdict
    after: Verdict
    changed: tuple[tuple[str, str, str], ...]  # (rule id, outcome before, outcome after)

    def to_dict(self) -> dict[str, Any]:
        return {"before": self.before.outcome, "after": self.after.outcome,
                "changed_rules": [{"id": r, "before": a, "after": b} for r, a, b in self.changed],
                "verdict_before": self.before.to_dict(), "verdict_after": self.after.to_dict()}


def what_if(engine: Any, facts: Mapping[str, Any], changes: Mapping[str, Any], *, as_of: Any = None) -> WhatIf:
    """Evaluate ``facts`` as they are and with ``changes``; list the rules whose outcome moved."""
    before = engine.evaluate(facts, as_of=as_of)
    after = engine.evaluate(apply_patch(facts, changes), as_of=as_of)
    b = {r.id: r.outcome for r in before.rules}
    changed = tuple((r.id, b[r.id], r.outcome) for r in after.rules if b.get(r.id) != r.outcome)
    return WhatIf(before, after, changed)


def json_differences(old: Any, new: Any, path: str = "") -> list[str]:
    """Every JSON path at which ``old`` and ``new`` differ, with both values."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(old.keys() | new.keys()):
            sub = f"{path}.{k}" if path else k
            if k not in old:
                out.append(f"{sub}: (absent) → {json.dumps(new[k], ensure_ascii=False)}")
            elif k not in new:
                out.append(f"{sub}: {json.dumps(old[k], ensure_ascii=False)} → (absent)")
            else:
                out.extend(json_differences(old[k], new[k], sub))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            # name rule entries by their id, which reads better than an index
            ida = a.get("id") if isinstance(a, dict) else None
            label = ida if ida is not None and ida == (b.get("id") if isinstance(b, dict) else None) else i
            out.extend(json_differences(a, b, f"{path}[{label}]"))
        return out
    if old != new:
        return [f"{path}: {json.dumps(old, ensure_ascii=False)} → {json.dumps(new, ensure_ascii=False)}"]
    return []


@attrs.frozen
class Replay:
    identical: bool
    ruleset_hash_matches: bool
    facts_hash_matches: bool
    ruleset: str  # which ruleset file was used
    differences: tuple[str, ...]
    notes: tuple[str, ...]

    def to_text(self) -> str:
        lines = ["identical" if self.identical else f"differs in {len(self.differences)} place(s)"]
        lines.append(f"ruleset: {self.ruleset} (content hash {'matches' if self.ruleset_hash_matches else 'DIFFERS'})")
        lines.append(f"facts hash {'matches' if self.facts_hash_matches else 'DIFFERS from'} the stamp")
        lines.extend(f"note: {n}" for n in self.notes)
        lines.extend(f"  {d}" for d in self.differences)
        return "\n".join(lines) + "\n"


def _shipped(root: Path, term: str, ruleset_id: str) -> Path | None:
    """The shipped ruleset file a stamp names, found by listing the shipped rulesets (the stamp's
    strings never become a path: ``"term": "../../etc"`` names nothing). A term that is not shipped
    is a FactsError; an id without a file of its own name gives None."""
    terms = {d.name: d for d in root.iterdir() if d.is_dir() and TERM.fullmatch(d.name)}
    if term not in terms:
        raise FactsError("stamp.term", f"names no shipped term ({show(term)}); shipped: {', '.join(sorted(terms))}",
                         suggestion="replay with --ruleset FILE to use another ruleset")
    files = {f.stem: f for f in terms[term].glob("*.yaml") if file_kind(f) == "ruleset"}
    return files.get(ruleset_id)


@functools.lru_cache(maxsize=32)
def _ruleset_at(path: Path, mtime_ns: int) -> Ruleset:
    """The loaded ruleset of a shipped file (cached per file version: explanations ask for it per note)."""
    return load_ruleset(path, backend="python").ruleset


def _shipped_example(root: Path, term: str, ruleset_id: str) -> Path | None:
    """The shipped example ruleset (rulesets/examples/, named by id, not by file name) of this id and term."""
    for f in sorted((root / "examples").glob("*.yaml")):
        if file_kind(f) != "ruleset":
            continue
        try:
            rs = _ruleset_at(f, f.stat().st_mtime_ns)
        except (QnwmhError, OSError):
            continue
        if (rs.id, rs.term) == (ruleset_id, term):
            return f
    return None


def ruleset_for_stamp(stamp: Any) -> Ruleset | None:
    """The shipped ruleset (``Ruleset``) a verdict's stamp names, when one of that id, term and version
    is shipped and loads; None otherwise (explanations then word every rule generically)."""
    root = rulesets_dir()
    try:
        path = _shipped(root, stamp.term, stamp.ruleset_id)
    except QnwmhError:
        path = None
    # the shipped examples (rulesets/examples/) are named by their ruleset id, not their file name
    candidates = [path] if path is not None else sorted(
        f for f in (root / "examples").glob("*.yaml") if file_kind(f) == "ruleset")
    for f in candidates:
        try:
            rs = _ruleset_at(f, f.stat().st_mtime_ns)
        except (QnwmhError, OSError):
            continue
        if (rs.id, rs.term, rs.version) == (stamp.ruleset_id, stamp.term, stamp.version):
            return rs
    return None


def replay(verdict_doc: Mapping[str, Any], facts: Mapping[str, Any], *, ruleset: str | Path | None = None) -> Replay:
    """Re-evaluate ``facts`` with the ruleset (and as_of, backend) the verdict's stamp names.

    The engine is shared with earlier replays of the same ruleset content (``load_ruleset_cached``),
    so replaying many verdicts builds one engine per ruleset, not one per call. A verdict stamped
    ``durable`` is replayed with the python backend where durable_rules does not import (the two
    backends agree on every rule, which the test suite checks); a note says so.
    """
    stored = Verdict.from_dict(dict(verdict_doc))
    stamp = stored.stamp
    if ruleset:
        path = Path(ruleset)
    else:
        # shipped rulesets are files named by their id, in their term's folder; the examples by their id
        root = rulesets_dir()
        found = _shipped(root, stamp.term, stamp.ruleset_id) or _shipped_example(root, stamp.term, stamp.ruleset_id)
        if found is None:  # another ruleset's verdicts are not a replay of this one
            raise FactsError("stamp.ruleset_id", f"names a ruleset that is not shipped ({show(stamp.ruleset_id)} of "
                                                 f"{show(stamp.term)}), so it cannot be replayed from the shipped ones",
                             suggestion="replay with --ruleset FILE, the ruleset file the verdict was made with")
        path = found
    if stamp.engine not in ("durable", "python"):
        raise FactsError("stamp.engine", f"names no backend ({show(stamp.engine)}); expected durable or python")
    notes = []
    backend = stamp.engine
    if backend == "durable" and not durable_available():
        backend = "python"
        notes.append("the stamp names the durable engine, which does not import on this Python; "
                     "replayed with the python backend")
    engine = load_ruleset_cached(path, backend=backend)
    rs = engine.ruleset
    if (rs.id, rs.version) != (stamp.ruleset_id, stamp.version):
        notes.append(f"the stamp names {stamp.ruleset_id} {stamp.version}; replayed with {rs.id} {rs.version}")
    try:  # the stamp's moment, named as the stamp's (a bad one is not a bad --as-of: replay has none)
        as_of_moment(stamp.as_of, rs.time_zone)
    except FactsError as exc:
        raise FactsError("stamp.as_of", exc.message, suggestion=exc.suggestion) from None
    fresh = engine.evaluate(facts, as_of=stamp.as_of)
    old, new = stored.to_dict(), fresh.to_dict()
    if old["stamp"]["library_version"] != new["stamp"]["library_version"]:
        notes.append(f"library version {old['stamp']['library_version']} → {new['stamp']['library_version']}")
    old["stamp"].pop("library_version")
    new["stamp"].pop("library_version")
    if backend != stamp.engine:  # the substitution is in the notes, not a difference of meaning
        new["stamp"]["engine"] = old["stamp"]["engine"]
    diffs = json_differences(old, new)
    return Replay(identical=not diffs, ruleset_hash_matches=rs.sha256 == stamp.ruleset_sha256,
                  facts_hash_matches=fresh.stamp.facts_sha256 == stamp.facts_sha256, ruleset=str(path),
                  differences=tuple(diffs), notes=tuple(notes))

