"""The qnwmh-rules command line: verdict JSON out, one clear line and exit 2 for bad input."""

import json
import subprocess
import sys

from qnwmh_rules.cli import main

from .conftest import EXAMPLE


def run(args, stdin=None):
    return subprocess.run([sys.executable, "-m", "qnwmh_rules.cli", *args], input=stdin, capture_output=True,
                          text=True, encoding="utf-8")


def test_evaluate_prints_the_verdict_json():
    """`evaluate FILE --region guangdong` prints a verdict with every rule and exits 0."""
    p = run(["evaluate", "--term", "2017-2018", "--region", "guangdong", str(EXAMPLE)])
    assert 0 == p.returncode, p.stderr
    v = json.loads(p.stdout)
    assert ("eligible", "guangdong", 10) == (v["outcome"], v["stamp"]["ruleset_id"], len(v["rules"]))


def test_evaluate_reads_stdin_and_records_as_of():
    """`-` reads the facts from stdin; --as-of is recorded in the stamp."""
    p = run(["evaluate", "--as-of", "2017-10-01", "-"], stdin=EXAMPLE.read_text(encoding="utf-8"))
    assert 0 == p.returncode, p.stderr
    assert json.loads(p.stdout)["stamp"]["as_of"].startswith("2017-10-01T23:59:59")


def test_bad_facts_print_one_line_and_exit_2():
    """A bad fact gives one line on stderr naming the field, and exit code 2."""
    p = run(["evaluate", "-"], stdin='{"id": "x", "members": {"total": "many"}}')
    assert 2 == p.returncode
    assert ["qnwmh-rules: bad facts: members.total: expected a whole number, got str 'many'"] == \
        p.stderr.strip().splitlines()
    assert "" == p.stdout


def test_invalid_json_and_missing_file_exit_2(tmp_path, capsys):
    """Input that is not JSON, or a file that does not exist, is a clear error with exit code 2."""
    assert 2 == main(["evaluate", str(tmp_path / "nope.json")])
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert 2 == main(["evaluate", str(tmp_path / "bad.json")])
    err = capsys.readouterr().err.splitlines()
    assert 2 == len(err) and "cannot read" in err[0] and "not valid JSON" in err[1]


def test_broken_ruleset_prints_path_line_col(tmp_path, capsys):
    """A broken --ruleset prints `path:line:col: CODE message` and exits 2."""
    bad = tmp_path / "r.yaml"
    bad.write_text("ruleset: r\nterm: 2017-2018\nversion: 1\ntitle: {zh: a, en: b}\nrulez: []\n", encoding="utf-8")
    assert 2 == main(["evaluate", "--ruleset", str(bad), str(EXAMPLE)])
    assert capsys.readouterr().err.startswith(f"{bad}:5:1: Q102 unknown key 'rulez'")


def test_list_names_the_shipped_rulesets(capsys):
    """`list` shows each shipped term and its regional overlays."""
    assert 0 == main(["list"])
    lines = capsys.readouterr().out.splitlines()
    assert {"2011-2012\tnational", "2017-2018\tnational", "2017-2018\tguangdong", "2017-2018\tunit",
            "2017-2018\tunit-transport"} == set(lines)
