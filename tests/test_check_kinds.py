"""`check` checks a file named on its own as what it is (``file_kind``): a names file as a names file,
a golden cases file as a cases file; before, both were read as rulesets (Q101/Q103 on their keys) and a
folder holding only names files was "no ruleset files found"."""

from __future__ import annotations

import json
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qnwmh_rules._finding import check_phrasing
from qnwmh_rules._loader import file_kind
from qnwmh_rules.cli import main

from .shipped import RULESETS_DIR, shipped

_EVERY = shipped("ruleset", "cases", "facts_schema", "phrasing")


@pytest.mark.parametrize("path", _EVERY, ids=[p.relative_to(RULESETS_DIR).as_posix() for p in _EVERY])
def test_every_shipped_file_checks_clean_when_named_on_its_own(path, capsys):
    """Every shipped file of every kind, named alone, is checked as its kind: no problems, exit 0."""
    assert 0 == main(["check", str(path)])
    out = capsys.readouterr()
    assert ("", "no problems") == (out.out, out.err.strip().rsplit(": ", 1)[-1])


def test_a_folder_of_names_files_is_checked_not_found_empty(capsys):
    """A folder holding only names files (rulesets/findings) is checked, not reported as empty."""
    assert 0 == main(["check", str(RULESETS_DIR / "findings")])
    assert "checked 0 ruleset file(s) and 1 names or cases file(s): no problems" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["phrasing", "cases"])
def test_a_broken_names_or_cases_file_named_on_its_own_reports_its_own_problem(tmp_path, capsys, kind):
    """A names or cases file with a mistake reports it as that kind's problem, at its place (exit 2)."""
    root = tmp_path / "rulesets"
    shutil.copytree(RULESETS_DIR, root, ignore=shutil.ignore_patterns("releases.lock"))
    path = next(p for p in sorted(root.rglob("*.yaml")) if file_kind(p) == kind)
    text = path.read_text(encoding="utf-8")
    if kind == "phrasing":
        path.write_text(text.replace("CN:", "CNX:", 1), encoding="utf-8")
    else:
        path.write_text(text.replace("cases:", "casez:", 1), encoding="utf-8")
    assert 2 == main(["check", str(path)])
    out = capsys.readouterr().out
    assert (True, False) == (str(path) in out, "Q103 ruleset" in out or "is not a ruleset" in out), out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabc0 "), min_size=0, max_size=4))
def test_a_names_file_names_only_codes_a_nationality_fact_can_hold(tmp_path_factory, code):
    """A nationality named in the names file is an assigned ISO 3166-1 alpha-2 code, or the file is refused
    (Q105 at the code): before, `CNX` or `ZZ` was accepted and its name could never be shown."""
    import pycountry

    root = tmp_path_factory.mktemp("n")
    path = root / "names.phrasing.yaml"
    path.write_text(_with_code((RULESETS_DIR / "findings" / "names.phrasing.yaml").read_text(encoding="utf-8"), code),
                    encoding="utf-8")
    # pycountry's lookup ignores case: a fact holds capitals, so `cn` is refused too
    assigned = len(code) == 2 and code.isupper() and pycountry.countries.get(alpha_2=code) is not None
    errors = check_phrasing(path)
    codes = [e.code for e in errors]
    assert assigned == ("Q105" not in codes), codes


def _with_code(text: str, code: str) -> str:
    """The names file with one more nationality, ``code``, first in its section (a duplicate code is
    left out: YAML would take the last)."""
    return text.replace("nationalities:\n", f"nationalities:\n  {json.dumps(code)}: {{zh: 某国, en: Somewhere}}\n", 1)


@pytest.mark.parametrize("zone", ["Asia/Shangai", "CST", "UTC+8", "Beijing"])
def test_a_names_file_names_only_iana_time_zones(tmp_path, zone):
    """A time zone named in the names file is an IANA place name, or the file is refused (Q106)."""
    path = tmp_path / "names.phrasing.yaml"
    text = (RULESETS_DIR / "findings" / "names.phrasing.yaml").read_text(encoding="utf-8")
    extra = f"time_zones:\n  {json.dumps(zone)}: {{zh: 某时, en: some time}}\n"
    path.write_text(text.replace("time_zones:\n", extra, 1), encoding="utf-8")
    assert ["Q106"] == [e.code for e in check_phrasing(path)]
