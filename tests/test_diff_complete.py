"""``diff`` reports every change of meaning or wording: a ruleset whose content hash or findings'
wording changed is never reported as "no differences", and one whose hash and wording are the same
never shows a difference (the kind: a field of the ruleset the diff did not compare — scores, scoring
groups, the creation criterion, layers, parameter descriptions, finding texts)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qnwmh_rules import RulesetError, load_ruleset
from qnwmh_rules._diff import diff_rulesets, format_changes
from qnwmh_rules._schema import wording_sha256

from .shipped import RULESETS_DIR, shipped

_FILES = [p.relative_to(RULESETS_DIR).as_posix() for p in shipped("ruleset")]


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of every scalar in a YAML document (but its version and its free description)."""
    if isinstance(node, dict):
        return [p for k, v in node.items() if path or k not in ("version", "description")
                for p in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


def _mutated(value: Any, how: int) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + (1 if how % 2 else -1)
    if isinstance(value, float):
        return value * 2 + 1
    if isinstance(value, str):
        return [value + "另", value + " x", value.replace("2017", "2016", 1), value[:-1]][how % 4]
    return "x"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.filter_too_much])
@given(rel=st.sampled_from(_FILES), data=st.data())
def test_a_changed_ruleset_is_never_reported_without_differences(tmp_path_factory, rel, data):
    """Change one scalar anywhere in a shipped ruleset (a copy without the release lock): whenever the
    content hash or the findings' wording moved, ``diff`` lists a change; when neither did, it lists none."""
    root = tmp_path_factory.mktemp("d") / "rulesets"
    shutil.copytree(RULESETS_DIR, root, ignore=shutil.ignore_patterns("releases.lock"))
    path = root / rel
    before = load_ruleset(path, backend="python").ruleset
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    leaf = data.draw(st.sampled_from(_leaves(doc)))
    parent = doc
    for key in leaf[:-1]:
        parent = parent[key]
    parent[leaf[-1]] = _mutated(parent[leaf[-1]], data.draw(st.integers(0, 3)))
    assert_diff_lists_a_change_iff_it_moved(before, path, doc)


def assert_diff_lists_a_change_iff_it_moved(before: Any, path: Path, doc: Any) -> None:
    """Write ``doc`` (an edit of the ruleset ``before`` was loaded from) to ``path``; an edit that no longer
    loads is rejected (``assume``). ``diff`` lists a change, and does not say "no differences", exactly when
    the content hash or the findings' wording moved."""
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    try:
        after = load_ruleset(path, backend="python").ruleset
    except RulesetError:
        assume(False)
    moved = (before.sha256, wording_sha256(before)) != (after.sha256, wording_sha256(after))
    changes = diff_rulesets(before, after)
    assert (moved, moved) == (bool(changes), "no differences" not in format_changes(before, after, changes))


def test_a_changed_score_is_reported(tmp_path: Path):
    """The issue's kind, by example: a scored rule's points (not compared before) show as a change."""
    root = tmp_path / "rulesets"
    shutil.copytree(RULESETS_DIR, root, ignore=shutil.ignore_patterns("releases.lock"))
    path = next(p for p in root.rglob("*.yaml") if "score:" in p.read_text(encoding="utf-8")
                and "scoring:" in p.read_text(encoding="utf-8"))
    before = load_ruleset(path, backend="python").ruleset
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    rule = next(r for r in doc["rules"] if isinstance(r.get("score"), dict) and "points" in r["score"])
    points = rule["score"]["points"]
    rule["score"]["points"] = points + 1 if isinstance(points, int) else 7  # a parameter's name: a number
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    after = load_ruleset(path, backend="python").ruleset
    assert [("rule", "changed", rule["id"], "score")] == \
        [(c.what, c.how, c.id, c.field) for c in diff_rulesets(before, after)]
