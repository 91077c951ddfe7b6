"""Break tests of session 21's work (check by file kind, the names file's codes, the release lock)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from qnwmh_rules._finding import check_phrasing
from qnwmh_rules.cli import main

_NAMES = "nationalities:\n  CN: {zh: 中国, en: China}\ntime_zones:\n  Asia/Shanghai: {zh: 北京时间, en: China time}\n"


@pytest.mark.parametrize("code", ["cn", "Cn", "cN", "gb"])
def test_names_file_refuses_a_nationality_code_not_in_capitals(tmp_path: Path, code: str) -> None:
    """A nationality code in lower case is refused (Q105): facts hold capitals, the name would never show."""
    path = tmp_path / "names.phrasing.yaml"
    path.write_text(_NAMES.replace("  CN:", f"  {code}:"), encoding="utf-8")
    assert ["Q105"] == [e.code for e in check_phrasing(path)]


def test_names_file_reports_duplicate_keys(tmp_path: Path) -> None:
    """A code written twice in a names file is reported (Q005), as in any other policy file."""
    path = tmp_path / "names.phrasing.yaml"
    path.write_text(_NAMES.replace("time_zones:", "  CN: {zh: 中华, en: PRC}\ntime_zones:"), encoding="utf-8")
    assert ["Q005"] == [e.code for e in check_phrasing(path)]


@pytest.mark.parametrize("text", ["x: [", "", None, "fifo"])
def test_check_reports_an_unreadable_names_file_and_goes_on(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             text: str | None) -> None:
    """A names file that is missing, a FIFO, empty or not YAML is one problem; the next file is still checked."""
    bad = tmp_path / "bad.phrasing.yaml"
    if text == "fifo":
        os.mkfifo(bad)
    elif text is not None:
        bad.write_text(text, encoding="utf-8")
    good = tmp_path / "good.phrasing.yaml"
    good.write_text(_NAMES.replace("  CN:", "  XK:"), encoding="utf-8")
    assert 2 == main(["check", "--format", "json", str(bad), str(good)])
    out, err = capsys.readouterr()
    problems = json.loads(out)["problems"]
    assert [str(bad), str(good)] == [p["file"] for p in problems]
    assert "checked 0 ruleset file(s) and 2 names or cases file(s): 2 problem(s)\n" == err


def test_check_reports_a_names_file_once_when_named_and_in_a_named_folder(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A names file both named and inside a named folder is checked once: its problems are not doubled."""
    path = tmp_path / "names.phrasing.yaml"
    path.write_text(_NAMES.replace("  CN:", "  XK:"), encoding="utf-8")
    assert 2 == main(["check", "--format", "json", str(tmp_path), str(path)])
    out, err = capsys.readouterr()
    assert ["Q105"] == [p["code"] for p in json.loads(out)["problems"]]


def test_check_counts_a_ruleset_named_twice_once(capsys: pytest.CaptureFixture[str]) -> None:
    """A ruleset named on its own and inside a named folder (or named twice) is checked and counted once."""
    from .shipped import RULESETS_DIR

    folder = RULESETS_DIR / "2011-2012"
    alone = main(["check", str(folder)])
    once = capsys.readouterr().err
    assert (alone, once) == (main(["check", str(folder), str(folder / "national.yaml"),
                                   str(folder / "national.yaml")]), capsys.readouterr().err)


def test_a_lock_with_a_version_written_twice_is_refused(tmp_path: Path) -> None:
    """A hand-edited (or badly merged) lock holding one version twice is refused (Q131): JSON would keep the
    last hash silently, and an edited release would pass as unchanged."""
    from qnwmh_rules._lock import read_lock
    from qnwmh_rules.exceptions import RulesetError

    lock = tmp_path / "releases.lock"
    lock.write_text('{"releases": {"2011-2012/national@1.0.0": "aa", "2011-2012/national@1.0.0": "bb"}}',
                    encoding="utf-8")
    with pytest.raises(RulesetError) as got:
        read_lock(lock)
    assert ("Q131", True) == (got.value.code, "2011-2012/national@1.0.0" in got.value.message)


def test_a_lock_named_as_a_folder_says_so(tmp_path: Path) -> None:
    """`release --lock FOLDER` says the lock is a folder (was: "the lock file cannot be read: FOLDER")."""
    from qnwmh_rules._lock import read_lock
    from qnwmh_rules.exceptions import RulesetError

    with pytest.raises(RulesetError) as got:
        read_lock(tmp_path)
    assert ("Q131", "the lock file cannot be read: this is a folder, not a lock file") == (
        got.value.code, got.value.message)


def test_a_names_file_key_yaml_reads_as_a_boolean_names_its_code(tmp_path: Path) -> None:
    """`NO:` (Norway) is YAML 1.1 false: the check accepted it as the code NO, so the notes must name NO with
    it too (they read the file with yaml.safe_load, lost the name and fell back to pycountry's)."""
    from qnwmh_rules._finding import Vocab

    (tmp_path / "findings").mkdir()
    path = tmp_path / "findings" / "names.phrasing.yaml"
    path.write_text(_NAMES.replace("  CN:", "  NO: {zh: 挪威王国, en: the Kingdom of Norway}\n  CN:"), encoding="utf-8")
    assert ([], "the Kingdom of Norway", "挪威王国") == (
        check_phrasing(path), Vocab("collective", root=tmp_path).nationality("NO", "en"),
        Vocab("collective", root=tmp_path).nationality("NO", "zh"))


def test_a_layer_title_is_not_read_from_a_fifo(tmp_path: Path) -> None:
    """A layer's title is read as every policy file is (read_file: regular files only): a FIFO named like a
    ruleset made the notes wait for a writer for ever."""
    import subprocess
    import sys

    os.mkfifo(tmp_path / "other.yaml")
    code = f"from qnwmh_rules._names import _title_in; print(_title_in({str(tmp_path)!r}, 'other'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    assert "None\n" == done.stdout


@pytest.mark.parametrize("code", ["on", "1", "2020-01-01", "null"])
def test_an_industry_key_yaml_reads_as_another_type_names_its_code(tmp_path: Path, code: str) -> None:
    """An industry code (free text in the facts) YAML 1.1 reads as a boolean, number, date or null is named by
    the names file as written, as the check accepted it."""
    from qnwmh_rules._finding import Vocab

    (tmp_path / "findings").mkdir()
    path = tmp_path / "findings" / "names.phrasing.yaml"
    path.write_text(_NAMES + f"industries:\n  {code}: {{zh: 某行业, en: some industry}}\n", encoding="utf-8")
    assert ([], "some industry") == (check_phrasing(path), Vocab("collective", root=tmp_path).industry(code, "en"))


def test_check_json_lists_every_file_it_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`check --format json` lists in `files` the names and cases files it checked too: a problem's file is
    always among them (a named names file reported problems of a file `files` did not list)."""
    names = tmp_path / "names.phrasing.yaml"
    names.write_text(_NAMES.replace("  CN:", "  XK:"), encoding="utf-8")
    cases = tmp_path / "x.cases.yaml"
    cases.write_text("- 1\n", encoding="utf-8")
    assert 2 == main(["check", "--format", "json", str(names), str(cases)])
    doc = json.loads(capsys.readouterr().out)
    assert ([str(names), str(cases)], {str(names), str(cases)}) == (doc["files"], {p["file"] for p in doc["problems"]})


@pytest.mark.parametrize("section", ["releases", "wording"])
@pytest.mark.parametrize("bad", ["x", "", "AB" * 32, "ab" * 31, "ab" * 32 + "\n"])
def test_a_lock_hash_that_is_no_sha256_is_refused(tmp_path: Path, section: str, bad: str) -> None:
    """A hand-edited hash that is not 64 lower-case hex digits makes the lock unreadable (Q131), rather than a
    Q130 saying the released content or wording changed (it was the lock that did)."""
    from qnwmh_rules._lock import read_lock
    from qnwmh_rules.exceptions import RulesetError

    key = "2011-2012/national@1.0.0"
    doc = {"releases": {key: "ab" * 32}, "wording": {key: "cd" * 32}}
    doc[section][key] = bad
    lock = tmp_path / "releases.lock"
    lock.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(RulesetError) as got:
        read_lock(lock)
    assert "Q131" == got.value.code
