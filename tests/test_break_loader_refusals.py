"""Faults found by break-testing the issue 12/13 work: a value the YAML loader refuses is reported once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qnwmh_rules import load_ruleset
from qnwmh_rules._render_docs import FACT_LABELS, render_markdown
from qnwmh_rules._tree import Fact, walk
from qnwmh_rules.exceptions import RulesetError

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = ROOT / "rulesets" / "2017-2018" / "national.yaml"
TEXT = NATIONAL.read_text(encoding="utf-8")


def _scalar_spans(text: str) -> list[tuple[int, int, int, int]]:
    """(line, col, start, end) of every plain or quoted one-line scalar value (not a key) of ``text``."""
    spans = []

    def walk(node: yaml.Node) -> None:
        if isinstance(node, yaml.MappingNode):
            for _k, v in node.value:
                walk(v)
        elif isinstance(node, yaml.SequenceNode):
            for v in node.value:
                walk(v)
        elif node.style in (None, "", '"', "'") and node.start_mark.line == node.end_mark.line:
            spans.append((node.start_mark.line + 1, node.start_mark.column + 1, node.start_mark.index,
                          node.end_mark.index))

    walk(yaml.compose(text))
    return spans


SPANS = _scalar_spans(TEXT)
# What the loader refuses and reports itself (Q003 a tag, Q001 a control character, Q160 a YAML 1.1 number).
REFUSED = {"!!binary aGk=": "Q003", '"a\\u0007b"': "Q001", "!!int 0x1f": "Q160"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(span=st.sampled_from(SPANS), written=st.sampled_from(sorted(REFUSED)))
def test_a_value_the_loader_refuses_is_reported_once_at_its_place(tmp_path_factory, span, written):
    """Any scalar of a shipped ruleset replaced by a value the loader refuses gives that one problem at
    its line:col, not also a follow-on "got nothing (null)" from the reader at the same place."""
    line, col, start, end = span
    folder = tmp_path_factory.mktemp("refused") / "2017-2018"
    folder.mkdir()
    path = folder / "national.yaml"
    path.write_text(TEXT[:start] + written + TEXT[end:], encoding="utf-8")
    try:
        load_ruleset(path, backend="python")
    except RulesetError as exc:
        here = [e.code for e in exc.errors if (e.line, e.col) == (line, col)]
        assert [REFUSED[written]] == here, [str(e) for e in exc.errors]
    else:
        raise AssertionError(f"{written} at {line}:{col} was accepted")


# ---- docs read the labels of the ruleset's own facts schema -------------------------------------------

RULESETS = sorted(p for p in (ROOT / "rulesets").rglob("*.yaml")
                  if not p.name.endswith((".facts.yaml", ".cases.yaml"))) + [ROOT / "tests/data/new_fact/ruleset.yaml"]


@pytest.mark.parametrize("path", RULESETS, ids=lambda p: str(p.relative_to(ROOT)))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_fact_a_docs_page_reads_is_named_by_a_label(path, lang):
    """Every fact path the rules read that the ruleset's facts schema labels is named on the docs page by
    a label (the schema's, or the page's own wording for the shipped facts), not by its bare path."""
    rs = load_ruleset(path, backend="python").ruleset
    page = render_markdown(rs, lang=lang)
    schema = rs.facts.schema
    read = {n.path for r in rs.rules for n in walk(r.condition) if isinstance(n, Fact) and n.path in schema.labels}
    i = 0 if lang == "en" else 1
    unnamed = sorted(p for p in read
                     if schema.label(p, lang) not in page and FACT_LABELS.get(p, ("\0", "\0"))[i] not in page)
    assert [] == unnamed
