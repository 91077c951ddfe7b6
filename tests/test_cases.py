"""Golden cases beside the rules (rulesets/**/*.cases.yaml), collected by pytest on both backends."""

from pathlib import Path

import pytest

import qnwmh_rules
from qnwmh_rules import _cases

ROOT = Path(__file__).resolve().parent.parent / "rulesets"
FILES = _cases.find_case_files(ROOT)
PARAMS = [(f, c) for f in FILES for c in _cases.read_cases(f).cases]
_ENGINES: dict = {}


def engine(path, backend):
    key = (path, backend)
    if key not in _ENGINES:
        _ENGINES[key] = qnwmh_rules.load_ruleset(path, backend=backend)
    return _ENGINES[key]


@pytest.mark.parametrize("backend", ["durable", "python"])
@pytest.mark.parametrize("path,case", PARAMS, ids=[f"{p.parent.name}/{p.name}: {c.name}" for p, c in PARAMS])
def test_golden_case(path, case, backend):
    """Each golden case gives the verdict and rule outcomes it names."""
    cases = _cases.read_cases(path)
    result = _cases.run_case(engine(cases.ruleset_path, backend), case)
    assert result.ok, f"{path}:{case.line}: {case.name}\n  " + "\n  ".join(result.differences)


def test_shipped_rules_reach_full_coverage():
    """Over all shipped cases, every shipped rule is seen passed, failed and undetermined."""
    report = _cases.coverage_report(FILES)
    gaps = [(rid, layer, sorted({"passed", "failed", "undetermined"} - seen))
            for (rid, layer), seen in report.items() if {"passed", "failed", "undetermined"} - seen]
    assert [] == gaps


def test_a_failing_case_names_the_file_the_case_and_the_difference(tmp_path):
    """A case that does not hold reports each difference in plain words."""
    for src in (ROOT / "2017-2018" / "national.yaml", ROOT / "examples" / "collective-gd-0001.json"):
        (tmp_path / src.name).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "r.cases.yaml").write_text(
        "ruleset: national.yaml\nbase: collective-gd-0001.json\n"
        "cases:\n  - name: a wrong expectation\n    set: {members.total: 5, members.aged_35_or_under: 5,"
        " members.chinese_nationals: 5}\n    expect: {outcome: eligible, rules: {basic.members_range: passed}}\n",
        encoding="utf-8")
    cases = _cases.read_cases(tmp_path / "r.cases.yaml")
    result = _cases.run_case(qnwmh_rules.load_ruleset(cases.ruleset_path), cases.cases[0])
    assert (False, ("outcome: expected eligible, got ineligible",
                    "basic.members_range: expected passed, got failed")) == (result.ok, result.differences)
