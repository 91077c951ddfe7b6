"""A released version's finding wording is locked like its content (releases.lock ``wording``): an
auditor re-reading a note years later reads what was released, while the content hash (the stamp's)
covers meaning only and stays as it was."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qnwmh_rules import RulesetError, load_ruleset
from qnwmh_rules._lock import read_lock, read_wording
from qnwmh_rules._schema import wording, wording_sha256
from qnwmh_rules.cli import main

from .shipped import RULESETS_DIR, shipped

_SHIPPED = [p for p in shipped("ruleset") if "finding:" in p.read_text(encoding="utf-8")]


def test_every_shipped_version_has_its_wording_locked():
    """Every shipped ruleset with findings has its wording recorded in the lock, equal to the file's."""
    recorded = read_wording(RULESETS_DIR / "releases.lock")
    got = {}
    for path in _SHIPPED:
        rs = load_ruleset(path, backend="python").ruleset
        got[rs.key] = recorded.get(rs.key) == wording_sha256(rs)
    assert dict.fromkeys(got, True) == got


def _copy(tmp_path: Path) -> Path:
    """The shipped rulesets folder (rulesets, schemas, phrasing, lock) copied to ``tmp_path``."""
    root = tmp_path / "rulesets"
    shutil.copytree(RULESETS_DIR, root)
    return root


def _finding_texts(path: Path) -> list[tuple[str, str, str]]:
    """(rule id, part, lang) of every finding text written in the file itself."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(r["id"], part, lang) for r in doc.get("rules", []) if isinstance(r.get("finding"), dict)
            for part, text in r["finding"].items() if isinstance(text, dict) for lang in text]


_CASES = [(p.relative_to(RULESETS_DIR).as_posix(), t) for p in _SHIPPED for t in _finding_texts(p)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(_CASES), extra=st.sampled_from(["。", "，另行核实", " (checked)", "之"]))
def test_changing_any_finding_text_of_a_released_version_is_q130(tmp_path_factory, case, extra):
    """Any finding text of any shipped released version, re-worded in place, is refused (Q130 at its
    `version:` line) while its content hash (the stamp's) is unchanged."""
    rel, (rule_id, part, lang) = case
    root = _copy(tmp_path_factory.mktemp("w"))
    path = root / rel
    before = load_ruleset(path, backend="python").ruleset
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    rule = next(r for r in doc["rules"] if r["id"] == rule_id)
    text = rule["finding"][part][lang]
    rule["finding"][part][lang] = text + extra if "{" not in extra else text
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(RulesetError) as exc:
        load_ruleset(path, backend="python")
    assert ("Q130", True) == (exc.value.code, "wording of its findings has changed" in str(exc.value))
    lock = json.loads((root / "releases.lock").read_text(encoding="utf-8"))
    lock["wording"].pop(before.key)  # without its wording recorded, only the content is held: the same hash
    (root / "releases.lock").write_text(json.dumps(lock), encoding="utf-8")
    assert before.sha256 == load_ruleset(path, backend="python").ruleset.sha256


def test_a_lock_written_before_wording_existed_gets_it_on_the_next_release(tmp_path, capsys):
    """An old lock (no `wording`) still loads; `release` of the same content records its wording (and says
    so); a later re-wording is then refused like a content change."""
    root = _copy(tmp_path)
    lock_path = root / "releases.lock"
    lock = json.loads(lock_path.read_text(encoding="utf-8"))
    del lock["wording"], lock["wording_about"]
    lock_path.write_text(json.dumps(lock), encoding="utf-8")
    path = root / "2017-2018" / "national.yaml"
    rs = load_ruleset(path, backend="python").ruleset
    assert 0 == main(["release", str(path)])
    assert "recorded the wording of: 2017-2018/national@2.0.2" in capsys.readouterr().out
    assert ({rs.key: wording_sha256(rs)}, True) == (read_wording(lock_path), rs.key in read_lock(lock_path))
    assert 0 == main(["release", str(path)])
    assert "already released: 2017-2018/national@2.0.2" in capsys.readouterr().out
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("其中有符合要求的荣誉", "其中有符合要求的荣誉（已核实）", 1), encoding="utf-8")
    assert 2 == main(["check", str(path)])
    assert "Q130 version 2.0.2 of 2017-2018/national was released" in capsys.readouterr().out
    assert 1 <= main(["release", str(path)])
    assert "wording of its findings has changed" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [[], {"2017-2018/national@2.0.2": 5}, {"2099-2100/nothing@1.0.0": "ab"}])
def test_a_malformed_wording_map_is_q131(tmp_path, bad):
    """A `wording` that is not a map of released names to hashes makes the lock unreadable (Q131)."""
    root = _copy(tmp_path)
    lock_path = root / "releases.lock"
    lock = json.loads(lock_path.read_text(encoding="utf-8"))
    lock["wording"] = bad
    lock_path.write_text(json.dumps(lock), encoding="utf-8")
    with pytest.raises(RulesetError) as exc:
        load_ruleset(root / "2017-2018" / "national.yaml", backend="python")
    assert "Q131" == exc.value.code


def test_the_wording_is_every_finding_template_by_rule():
    """What the wording hash covers: each rule's finding parts in zh and en, nothing else."""
    rs = load_ruleset(RULESETS_DIR / "2017-2018" / "national.yaml", backend="python").ruleset
    words = wording(rs)
    assert ({r.id for r in rs.rules if r.finding is not None}, {"zh", "en"}) == \
        (set(words), {lang for parts in words.values() for t in parts.values() for lang in t})
