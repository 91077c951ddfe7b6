"""Break tests of issue 13 (zh/en outputs) from an attacker's and a new user's side: codes the facts accept
that no name list knows, markup in names, huge and hostile inputs, fact fields that share a name with an option."""

from __future__ import annotations

import copy
import json
import string
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules._finding import vocabulary

from .zh_check import zh_problems

EXAMPLES = Path(qnwmh_rules._api.rulesets_dir()) / "examples"
GD = json.loads((EXAMPLES / "collective-gd-0001.json").read_text(encoding="utf-8"))

two_letters = st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=2)


@given(code=two_letters)
def test_any_nationality_code_the_facts_accept_reads_as_words(code):
    """Every two-letter code parse_facts accepts (XK, ZZ and other unassigned ones too) names a country in
    zh without Latin letters, and is never the bare code in en."""
    vocab = vocabulary("collective")
    assert ([], True) == (zh_problems(vocab.nationality(code, "zh")), vocab.nationality(code, "en") != code)


def test_an_unassigned_nationality_code_leaves_no_code_in_the_zh_note_or_why_not():
    """A 号长 recorded as XK (Kosovo, user-assigned, not ISO) or ZZ: the zh note and why-not name no code."""
    engine = qnwmh_rules.load_ruleset(term="2017-2018", backend="python")
    problems = []
    for code in ("XK", "ZZ"):
        facts = copy.deepcopy(GD)
        facts["leader"]["nationality"] = code
        verdict = engine.evaluate(facts)
        note = qnwmh_rules.explain_text(verdict, lang="zh", ruleset=engine, facts=facts)
        section = note.split("采用的解释")[0]
        texts = [section, qnwmh_rules.why_not(engine, facts).to_text("zh")]
        problems += [p for t in texts for p in zh_problems(t, allow={r.id for r in engine.ruleset.rules} | {"GD-0001"})]
    assert [] == problems
