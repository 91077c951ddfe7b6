"""`provisional_pass: true`: while a rule is not yet due, a pass is not final either (a share of a
total that can still grow may still fall), on every backend; after its last day it is decided."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules import _pycompile
from qnwmh_rules.exceptions import RulesetError

from .conftest import BACKENDS_HERE

ROOT = Path(__file__).resolve().parent.parent
UNIT = json.loads((ROOT / "rulesets" / "examples" / "unit-gd.json").read_text(encoding="utf-8"))
RULESET = """\
ruleset: demo
term: 2017-2018
version: 1.0.0
subject: unit
title: {zh: 示例规则集, en: Demo ruleset}
sources:
  - {id: N, title: {zh: 通知, en: notice}}
parameters:
  share_min: {value: 0.2}
  filing_window:
    value: {start: 2015-10-01, end: 2017-09-30, start_inclusive: true, end_inclusive: true}
rules:
  - id: portfolio.share
    title: {zh: 往届集体占比不低于20%, en: At least 20 % earlier collectives}
    severity: advisory
    citation: {source: N, clause: 一（三）, text: 应达到一定规模。}
    when: creation_collectives.previous_national >= creation_collectives.total * params.share_min
    due: params.filing_window
    provisional_pass: true
  - id: portfolio.share_final
    title: {zh: 往届集体占比不低于20%（通过即定）, en: At least 20 % earlier collectives (a pass is final)}
    severity: advisory
    citation: {source: N, clause: 一（三）, text: 应达到一定规模。}
    when: creation_collectives.previous_national >= creation_collectives.total * params.share_min
    due: params.filing_window
"""


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    path = tmp_path_factory.mktemp("prov") / "demo.yaml"
    path.write_text(RULESET, encoding="utf-8")
    out = {b: qnwmh_rules.load_ruleset(path, backend=b) for b in BACKENDS_HERE}
    reference = qnwmh_rules.load_ruleset(path, backend="python")
    reference.use_conditions(_pycompile.reference_ruleset(reference.ruleset))
    out["reference"] = reference
    return out


@settings(max_examples=150, deadline=None)
@given(total=st.integers(0, 300), share=st.integers(0, 300),
       day=st.dates(dt.date(2015, 9, 1), dt.date(2018, 3, 1)) | st.none())
def test_a_provisional_pass_waits_for_the_last_day_on_every_backend(engines, total, share, day):
    """Before the window's last day passes, the provisional rule is undetermined whether or not its
    condition holds (the rule without the option passes at once); afterwards both decide alike."""
    facts = {k: UNIT[k] for k in ("id", "name", "kind", "region", "quota")}
    facts["creation_collectives"] = {"total": total, "previous_national": min(share, total)}
    holds = min(share, total) * 5 >= total
    due = day is not None and day <= dt.date(2017, 9, 30)
    expected = {"portfolio.share": "undetermined" if due else "passed" if holds else "failed",
                "portfolio.share_final": "passed" if holds else "undetermined" if due else "failed"}
    for name, engine in engines.items():
        v = engine.evaluate(facts, as_of=day)
        assert expected == {r.id: r.outcome for r in v.rules}, name
        reason = next(r.reason for r in v.rules if r.id == "portfolio.share")
        assert (reason is not None) == due, name


def test_provisional_pass_without_due_is_q183(tmp_path):
    """provisional_pass on a rule with neither due nor pending_if is refused at its line and column."""
    text = RULESET.replace("    due: params.filing_window\n    provisional_pass: true\n",
                           "    provisional_pass: true\n")
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RulesetError) as exc:
        qnwmh_rules.load_ruleset(tmp_path / "demo.yaml")
    assert ("Q183", 18, 23) == (exc.value.code, exc.value.line, exc.value.col)


def test_provisional_pass_is_part_of_the_content_hash(tmp_path):
    """Setting provisional_pass changes what the rule means, so it changes the ruleset's hash; a
    ruleset that does not use it keeps the hash it had before the option existed."""
    (tmp_path / "a.yaml").write_text(RULESET, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(RULESET.replace("    provisional_pass: true\n", ""), encoding="utf-8")
    (tmp_path / "c.yaml").write_text(RULESET.replace("    provisional_pass: true\n", "    provisional_pass: false\n"),
                                     encoding="utf-8")
    a, b, c = (qnwmh_rules.load_ruleset(tmp_path / f"{n}.yaml").ruleset.sha256 for n in "abc")
    assert (True, True) == (a != b, b == c)


def test_diff_names_a_changed_provisional_pass(tmp_path, capsys):
    """Making a rule's pass provisional changes what it means: `diff` names the rule and the field."""
    from qnwmh_rules.cli import main

    (tmp_path / "old.yaml").write_text(RULESET.replace("    provisional_pass: true\n", ""), encoding="utf-8")
    (tmp_path / "new.yaml").write_text(RULESET, encoding="utf-8")
    main(["diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml")])
    out = capsys.readouterr().out
    assert (True, True, True) == ("portfolio.share" in out, "provisional_pass" in out, "'false' → 'true'" in out), out


def test_a_misspelt_due_is_q180_without_a_follow_on_q183(tmp_path):
    """provisional_pass beside a `due` that names no parameter: only the Q180 of the `due` is reported."""
    (tmp_path / "demo.yaml").write_text(RULESET.replace("due: params.filing_window\n    provisional_pass",
                                                        "due: params.filing_windw\n    provisional_pass"),
                                        encoding="utf-8")
    with pytest.raises(RulesetError) as exc:
        qnwmh_rules.load_ruleset(tmp_path / "demo.yaml")
    assert ["Q180"] == [e.code for e in exc.value.errors]
