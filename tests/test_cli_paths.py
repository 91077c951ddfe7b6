"""Every command-line option or argument that names a file or folder: a path that cannot be used
(missing, under a missing folder, a folder where a file is wanted, a file where a folder is wanted)
is one line on stderr naming the path, exit status 2, never an ``[Errno …]`` repr or a traceback."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from qnwmh_rules.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "rulesets" / "examples" / "collective-gd-0001.json"
NATIONAL = ROOT / "rulesets" / "2017-2018" / "national.yaml"
CASES = ROOT / "rulesets" / "2017-2018" / "national.cases.yaml"

# (subcommand, option or positional dest, argv with {P} where the path goes). Every path-taking
# option of the parser must be here (test_every_path_option_is_listed).
USES = [
    ("evaluate", "file", ["evaluate", "{P}", "--term", "2017-2018"]),
    ("evaluate", "ruleset", ["evaluate", "{F}", "--ruleset", "{P}"]),
    ("evaluate", "audit_db", ["evaluate", "{F}", "--term", "2017-2018", "--audit-db", "{P}",
                              "--audit-key-file", "{K}"]),
    ("evaluate", "audit_key_file", ["evaluate", "{F}", "--term", "2017-2018", "--audit-db", "{D}/a.db",
                                    "--audit-key-file", "{P}"]),
    ("evaluate", "rulesets", ["evaluate", "{F}", "--term", "2017-2018", "--rulesets", "{P}"]),
    ("list", "rulesets", ["list", "--rulesets", "{P}"]),
    ("check", "paths", ["check", "{P}"]),
    ("check", "rulesets", ["check", "{N}", "--rulesets", "{P}"]),
    ("test", "paths", ["test", "{P}"]),
    ("test", "coverage_json", ["test", "{C}", "--coverage-json", "{P}"]),
    ("test", "rulesets", ["test", "{C}", "--rulesets", "{P}"]),
    ("diff", "old", ["diff", "{P}", "{N}"]),
    ("diff", "new", ["diff", "{N}", "{P}"]),
    ("diff", "cases", ["diff", "{N}", "{N}", "--cases", "{P}"]),
    ("diff", "rulesets", ["diff", "{N}", "{N}", "--rulesets", "{P}"]),
    ("batch", "input", ["batch", "{P}", "--term", "2017-2018"]),
    ("batch", "output", ["batch", "{J}", "--term", "2017-2018", "-o", "{P}"]),
    ("batch", "ruleset", ["batch", "{J}", "--ruleset", "{P}"]),
    ("batch", "rulesets", ["batch", "{J}", "--term", "2017-2018", "--rulesets", "{P}"]),
    ("explain", "verdict", ["explain", "{P}"]),
    ("explain", "output", ["explain", "{V}", "-o", "{P}"]),
    ("explain", "rulesets", ["explain", "{V}", "--rulesets", "{P}"]),
    ("explain", "facts", ["explain", "{V}", "--facts", "{P}"]),
    ("explain", "ruleset", ["explain", "{V}", "--ruleset", "{P}"]),
    ("why-not", "file", ["why-not", "{P}", "--term", "2017-2018"]),
    ("why-not", "ruleset", ["why-not", "{F}", "--ruleset", "{P}"]),
    ("why-not", "rulesets", ["why-not", "{F}", "--term", "2017-2018", "--rulesets", "{P}"]),
    ("audit", "db", ["audit", "{P}"]),
    ("audit", "audit_key_file", ["audit", "{A}", "--verify", "--audit-key-file", "{P}"]),
    ("audit", "rulesets", ["audit", "{A}", "--rulesets", "{P}"]),
    ("replay", "verdict", ["replay", "{P}", "--facts", "{F}"]),
    ("replay", "facts", ["replay", "{V}", "--facts", "{P}"]),
    ("replay", "ruleset", ["replay", "{V}", "--facts", "{F}", "--ruleset", "{P}"]),
    ("replay", "rulesets", ["replay", "{V}", "--facts", "{F}", "--rulesets", "{P}"]),
    ("docs", "ruleset", ["docs", "{P}"]),
    ("docs", "output", ["docs", "2017-2018", "-o", "{P}"]),
    ("docs", "rulesets", ["docs", "2017-2018", "--rulesets", "{P}"]),
    ("fmt", "paths", ["fmt", "{P}"]),
    ("fmt", "rulesets", ["fmt", "{N2}", "--rulesets", "{P}"]),
    ("show", "ruleset", ["show", "{P}"]),
    ("show", "rulesets", ["show", "2017-2018", "--rulesets", "{P}"]),
    ("release", "file", ["release", "{P}"]),
    ("release", "lock", ["release", "{N2}", "--lock", "{P}"]),
    ("release", "rulesets", ["release", "{N2}", "--rulesets", "{P}"]),
]

# What kind of path each use wants: a folder (--rulesets), a file or folder (check/test/fmt
# PATH), else a file.
FOLDER_USES = {"rulesets"}
EITHER_USES = {("check", "paths"), ("test", "paths"), ("fmt", "paths")}
PATHLIKE_METAVARS = ("FILE", "PATH", "DIR", ".json", ".db", "IN.")
# Commands that report each named file on stdout (one line per file), with a count on stderr.
REPORTS = {"check", "fmt"}
# Options named like paths that are not paths.
NOT_PATHS = {("evaluate", "set"), ("evaluate", "audit_key_env"), ("audit", "audit_key_env")}


def test_every_path_option_is_listed():
    """A new option or argument that takes a path is added to USES (so the checks below cover it)."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = set()
    for name, sp in sub.choices.items():
        for a in sp._actions:
            mv = a.metavar or ""
            named = a.dest in {"output", "file", "ruleset", "old", "new", "lock", "db", "verdict", "facts"}
            if (named or any(m in mv for m in PATHLIKE_METAVARS)) and (name, a.dest) not in NOT_PATHS:
                found.add((name, a.dest))
    assert found == {(c, d) for c, d, _ in USES}


def _fill(argv, tmp_path, bad):
    work = tmp_path / "work"
    if not work.exists():
        work.mkdir()
        shutil.copy(EXAMPLE, work / "facts.json")
        (work / "facts.jsonl").write_text(EXAMPLE.read_text(encoding="utf-8").replace("\n", "") + "\n",
                                          encoding="utf-8")
        shutil.copy(NATIONAL, work / "national.yaml")
        key = work / "audit.key"
        key.write_text("ab" * 32 + "\n", encoding="utf-8")
        key.chmod(0o600)
    values = {"{P}": str(bad), "{F}": str(work / "facts.json"), "{J}": str(work / "facts.jsonl"),
              "{N}": str(NATIONAL), "{N2}": str(work / "national.yaml"), "{C}": str(CASES),
              "{V}": str(work / "v.json"), "{D}": str(work), "{K}": str(work / "audit.key"),
              "{A}": str(work / "a.db")}
    return [values.get(x, x) if x in values else x.replace("{D}", str(work)) for x in argv]


def _verdict(tmp_path, capsys):
    work = tmp_path / "work"
    code = main(["evaluate", str(work / "facts.json"), "--term", "2017-2018", "--audit-db", str(work / "a.db"),
                 "--audit-key-file", str(work / "audit.key")])
    out = capsys.readouterr().out
    assert 0 == code
    (work / "v.json").write_text(out, encoding="utf-8")


def _bad_paths(tmp_path, command, dest):
    """The unusable paths for this use: missing, under a missing folder, and the wrong kind."""
    bad = [tmp_path / "missing" / "x.json"]
    if (command, dest) not in EITHER_USES and dest not in FOLDER_USES:
        folder = tmp_path / "a-folder"
        folder.mkdir(exist_ok=True)
        bad.append(folder)
    if dest in FOLDER_USES:
        f = tmp_path / "a-file"
        f.write_text("x\n", encoding="utf-8")
        bad.append(f)
    if dest not in {"output", "coverage_json", "audit_db", "lock"}:
        bad.append(tmp_path / "missing.json")
    return bad


@pytest.mark.parametrize(("command", "dest", "argv"), USES, ids=[f"{c}-{d}" for c, d, _ in USES])
def test_an_unusable_path_is_one_line_naming_it(tmp_path, capsys, command, dest, argv):
    """A path that cannot be used is one stderr line that names it, exit 2, no errno repr, no traceback."""
    _fill(["x"], tmp_path, tmp_path)
    _verdict(tmp_path, capsys)
    for bad in _bad_paths(tmp_path, command, dest):
        code = main(_fill(argv, tmp_path, bad))
        out, err = capsys.readouterr()
        shown = out if command in REPORTS and dest == "paths" else err  # check/fmt report each file on stdout
        assert (2, 1, True, False, False) == (
            code, len(err.splitlines()) if shown is err else 1, str(bad) in shown, "[Errno" in out + err,
            "Traceback" in out + err), (bad, err, out[:200])
