"""The JSON Schemas of the ruleset and cases file formats: shipped, published, and true of the shipped files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from qnwmh_rules import _cases, _schema
from qnwmh_rules._moments import _DATE, DATE_PATTERN, TERM, TERM_PATTERN

from .shipped import shipped

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "qnwmh_rules"


class _TextDates(yaml.SafeLoader):
    """YAML as an editor's language server reads it: a date is text."""


_TextDates.yaml_implicit_resolvers = {k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
                                      for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _schema_of(name):
    return json.loads((PKG / f"{name}.schema.json").read_text(encoding="utf-8"))


RULESET_FILES = shipped("ruleset")
CASES_FILES = shipped("cases")


@pytest.mark.parametrize("name", ["ruleset", "cases"])
def test_the_schema_is_a_valid_schema_and_published_unchanged(name):
    """Each schema is valid JSON Schema (2020-12), and docs/ publishes the package's copy byte for byte."""
    jsonschema.Draft202012Validator.check_schema(_schema_of(name))
    assert (PKG / f"{name}.schema.json").read_bytes() == (ROOT / "docs" / f"{name}.schema.json").read_bytes()


@pytest.mark.parametrize("path", RULESET_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_ruleset_file_is_valid_under_the_schema(path):
    """The shipped ruleset files validate against ruleset.schema.json."""
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextDates)
    assert [] == [e.message for e in jsonschema.Draft202012Validator(_schema_of("ruleset")).iter_errors(doc)]


@pytest.mark.parametrize("path", CASES_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_cases_file_is_valid_under_the_schema(path):
    """The shipped cases files validate against cases.schema.json."""
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextDates)
    assert [] == [e.message for e in jsonschema.Draft202012Validator(_schema_of("cases")).iter_errors(doc)]


@pytest.mark.parametrize(("schema", "where", "keys"), [
    ("ruleset", (), _schema._TOP_KEYS), ("ruleset", ("$defs", "rule"), _schema._RULE_KEYS),
    ("ruleset", ("$defs", "score"), _schema._SCORE_KEYS), ("ruleset", ("$defs", "scoring"), _schema._SCORING_KEYS),
    ("ruleset", ("$defs", "group"), _schema._GROUP_KEYS), ("ruleset", ("$defs", "parameter"), _schema._PARAM_KEYS),
    ("ruleset", ("$defs", "window"), _schema._WINDOW_KEYS), ("ruleset", ("$defs", "source"), _schema._SOURCE_KEYS),
    ("ruleset", ("$defs", "derived"), _schema._DERIVED_KEYS),
    ("ruleset", ("$defs", "creation_collective"), _schema._CREATION_KEYS),
    ("cases", (), _cases._FILE_KEYS), ("cases", ("$defs", "case"), _cases._CASE_KEYS),
    ("cases", ("$defs", "expect"), _cases._EXPECT_KEYS), ("cases", ("$defs", "score"), _cases._SCORE_EXPECT_KEYS),
])
def test_the_schema_allows_and_requires_exactly_the_keys_the_loader_does(schema, where, keys):
    """Each object of the schema has the loader's keys, and requires the ones the loader requires."""
    node = _schema_of(schema)
    for step in where:
        node = node[step]
    assert (sorted(keys), sorted(k for k, required in keys.items() if required), False) == (
        sorted(node["properties"]), sorted(node.get("required", [])), node["additionalProperties"])


def test_the_schema_refuses_a_misspelt_key():
    """An editor flags a misspelt key (`severty`) as the loader would."""
    doc = yaml.load((ROOT / "rulesets" / "2017-2018" / "national.yaml").read_text(encoding="utf-8"), Loader=_TextDates)
    doc["rules"][0]["severty"] = doc["rules"][0].pop("severity")
    messages = [e.message for e in jsonschema.Draft202012Validator(_schema_of("ruleset")).iter_errors(doc)]
    assert (True, True) == (any("'severty' was unexpected" in m for m in messages),
                            any("'severity' is a required property" in m for m in messages))


@pytest.mark.parametrize("name", ["ruleset", "cases"])
def test_the_installed_package_carries_the_schema(name):
    """The schemas are installed with the package (an editor or a tool can find them without the repository)."""
    from importlib.resources import files

    assert _schema_of(name) == json.loads((files("qnwmh_rules") / f"{name}.schema.json").read_text(encoding="utf-8"))


def _patterns(node):
    """Every ``pattern`` in a JSON Schema document."""
    if isinstance(node, dict):
        own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return own + [p for v in node.values() for p in _patterns(v)]
    return [p for v in node for p in _patterns(v)] if isinstance(node, list) else []


@pytest.mark.parametrize("name", ["ruleset", "cases", "verdict"])
def test_the_schemas_write_terms_and_dates_with_the_code_s_patterns(name):
    """A schema pattern for a term or a date is the code's (_moments), and no pattern matches non-ASCII digits."""
    patterns = _patterns(_schema_of(name))
    for pattern in patterns:
        assert [] == [p for p in [pattern] if "\\d" in p]  # \d is any Unicode digit to a Python validator
        if jsonschema.Draft202012Validator({"pattern": pattern}).is_valid("2017-2018") and "{4}" in pattern:
            assert f"^{TERM_PATTERN}$" == pattern
        if jsonschema.Draft202012Validator({"pattern": pattern}).is_valid("2017-06-20") and "{4}" in pattern:
            assert f"^{DATE_PATTERN}$" == pattern
    assert DATE_PATTERN == _DATE.pattern.replace("(", "").replace(")", "")


@pytest.mark.parametrize("name", ["ruleset", "verdict"])
def test_a_term_written_with_other_digits_is_refused_by_the_schema_as_by_the_loader(name):
    """'٢٠١٧-٢٠١٨' (Arabic-Indic digits) is no term: the schema pattern refuses it, as _moments.TERM does."""
    patterns = [p for p in _patterns(_schema_of(name)) if "{4}-[0-9]{4}" in p]
    assert (1, [False, True], None) == (len(patterns), [jsonschema.Draft202012Validator({"pattern": patterns[0]})
                                                        .is_valid(t) for t in ("٢٠١٧-٢٠١٨", "2017-2018")],
                                        TERM.fullmatch("٢٠١٧-٢٠١٨"))
