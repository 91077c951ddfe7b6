"""Ruleset, cases and facts schema files are read by one function: every way a file cannot be
read is the same RulesetError, naming the file, for each kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from qnwmh_rules import _cases, _facts_schema, _loader, _schema
from qnwmh_rules.exceptions import RulesetError

ROOT = Path(__file__).resolve().parent.parent
FACTS = ROOT / "rulesets" / "facts"
KINDS = [  # (what the message calls it, a reader of that kind, a shipped file of that kind)
    ("ruleset", lambda p: _schema.read_ruleset_file(p), ROOT / "rulesets" / "2017-2018" / "national.yaml"),
    ("cases", lambda p: _cases.read_cases(p), ROOT / "rulesets" / "2017-2018" / "national.cases.yaml"),
    ("facts schema", lambda p: _facts_schema.read_schema_file(p), FACTS / "collective@1.facts.yaml"),
    ("facts schema", lambda p: _facts_schema.read_regions_file(p), FACTS / "regions@1.facts.yaml"),
]
PROBLEMS = [  # (the error reading raises, the code, the message)
    (FileNotFoundError(2, "No such file or directory"), "Q010", "{what} file not found"),
    (IsADirectoryError(21, "Is a directory"), "Q010", "this is a folder, not a {what} file"),
    (PermissionError(13, "Permission denied"), "Q010", "the {what} file cannot be read: Permission denied"),
    (_loader.PathProblem("Q165", "the file is larger than 1,048,576 bytes", "a ruleset file is far smaller"),
     "Q165", "the file is larger than 1,048,576 bytes"),
]


@pytest.mark.parametrize(("what", "read", "path"), KINDS, ids=["ruleset", "cases", "facts-schema", "regions"])
@pytest.mark.parametrize(("problem", "code", "message"), PROBLEMS, ids=["missing", "folder", "denied", "large"])
def test_a_file_that_cannot_be_read_is_one_error_naming_it(monkeypatch, what, read, path, problem, code, message):
    """Each kind of file that cannot be read gives the same coded error, at the file, in that kind's words."""
    def refuse(p, **kwargs):
        raise problem

    monkeypatch.setattr(_loader, "read_file", refuse)
    with pytest.raises(RulesetError) as exc:
        read(path)
    assert (code, message.format(what=what), str(path)) == (exc.value.code, exc.value.message, exc.value.path)
