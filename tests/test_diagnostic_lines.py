"""One problem, one line: what the command line prints about a file never carries the file name's
control characters, line breaks or bidi controls as themselves (a name cannot forge a log line or
recolour a terminal), and inputs that never end are refused, not read into memory."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qnwmh_rules import cli

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = str(ROOT / "rulesets" / "2017-2018" / "national.yaml")

# Every character a diagnostic must write escaped (cli._UNSAFE; "\n" only as the line end).
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

# Each command given one file name it cannot use (argv cannot carry NUL: it is left out).
COMMANDS = [
    lambda name: ["evaluate", name],
    lambda name: ["why-not", name],
    lambda name: ["explain", name],
    lambda name: ["replay", name, "--facts", name],
    lambda name: ["check", name],
    lambda name: ["test", name],
    lambda name: ["fmt", name],
    lambda name: ["fmt", "--check", name],
    lambda name: ["docs", name],
    lambda name: ["show", name],
    lambda name: ["diff", name, NATIONAL],
    lambda name: ["release", name],
    lambda name: ["evaluate", "--ruleset", name, name],
    lambda name: ["evaluate", "--region", name, name],
    lambda name: ["batch", name],
    lambda name: ["audit", "verify", name],
]

_HOSTILE = st.characters(codec="utf-8", exclude_characters="\x00")
_NAMES = st.text(_HOSTILE, min_size=1, max_size=12).map(lambda s: f"no-such-{s}")


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse's own refusals
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("command", range(len(COMMANDS)))
@given(tail=st.text(_HOSTILE, min_size=1, max_size=12))
def test_a_file_name_never_breaks_or_colours_a_diagnostic_line(command, tail, tmp_path_factory):
    """Whatever a missing file's name holds, the command prints as many lines as for a plain name,
    and none of them holds a control, line-separator or bidi character as itself."""
    plain = run(COMMANDS[command]("no-such-plain"))
    hostile = run(COMMANDS[command](f"no-such-{tail}"))
    assert plain[0] == hostile[0]
    for stream in (1, 2):
        assert plain[stream].count("\n") == hostile[stream].count("\n")
        assert UNSAFE.search(hostile[stream]) is None
        assert hostile[stream] == "" or hostile[stream].endswith("\n")


@pytest.mark.parametrize("argv", [
    ["evaluate", "/dev/zero"], ["why-not", "/dev/zero"], ["explain", "/dev/zero"],
    ["explain", "--facts", "/dev/zero", "/dev/zero"], ["replay", "/dev/zero", "--facts", "/dev/zero"],
    ["release", "--lock", "/dev/zero", NATIONAL], ["fmt", "/dev/zero"],
])
def test_an_endless_input_is_refused_by_its_size_or_kind(argv):
    """/dev/zero as a facts, verdict, lock or formatted file ends in one line and exit code 2,
    having read at most the document limit (never all memory)."""
    if not os.path.exists("/dev/zero"):
        pytest.fail("this test needs /dev/zero (a Linux or macOS machine)")
    code, out, err = run(argv)
    assert 2 == code
    lines = (out + err).strip().splitlines()
    assert any(("larger than" in line or "not a regular file" in line or "formats ruleset" in line)
               for line in lines), lines


def test_stdin_without_end_is_refused_after_the_document_limit(monkeypatch):
    """Facts on stdin larger than MAX_DOCUMENT_BYTES are refused (read stops at the limit + 1)."""
    import sys

    from qnwmh_rules import _jsontext

    monkeypatch.setattr(_jsontext, "MAX_DOCUMENT_BYTES", 1000)
    monkeypatch.setattr(cli, "MAX_DOCUMENT_BYTES", 1000)

    class Endless:
        """A stdin whose bytes never end (``yes |``, ``cat /dev/zero |``)."""

        def read(self, n: int = -1) -> bytes:
            assert n >= 0, "an unbounded read of an endless stream"
            return b" " * n

    class Stdin:
        buffer = Endless()

    monkeypatch.setattr(sys, "stdin", Stdin())
    code, _, err = run(["evaluate", "-"])
    assert 2 == code
    assert "stdin: is larger than 1,000 bytes" in err


def test_file_kind_names_each_kind_of_rulesets_folder_file():
    """file_kind is the one reading of a file's kind from its name, used by check, fmt, replay and list."""
    from qnwmh_rules._loader import file_kind

    assert [file_kind(n) for n in ("national.yaml", "national.cases.yaml", "collective@1.facts.yaml",
                                   "names.phrasing.yaml", "verdict.json", "x.yml")] == \
        ["ruleset", "cases", "facts_schema", "phrasing", None, None]


def test_fmt_leaves_every_file_it_does_not_lay_out_as_written(tmp_path):
    """A facts schema, a phrasing file or a JSON file named to fmt is reported, not rewritten as a ruleset."""
    files = {"a.facts.yaml": "facts_schema:   x\n", "b.phrasing.yaml": "names:   {}\n", "c.json": '{"a":  1}\n'}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    code, out, _ = run(["fmt", *(str(tmp_path / n) for n in files)])
    assert 2 == code
    assert 3 == out.count("cannot be formatted: fmt formats ruleset")
    assert files == {n: (tmp_path / n).read_text(encoding="utf-8") for n in files}


def test_fmt_does_not_split_hard_links(tmp_path):
    """A ruleset file with a second hard link is reported and left whole (a rename would split the links)."""
    source = Path(NATIONAL).read_text(encoding="utf-8").replace("\n", "   \n", 1)  # trailing spaces: fmt's
    first = tmp_path / "national.yaml"
    first.write_text(source, encoding="utf-8")
    os.link(first, tmp_path / "other-name.yaml")
    code, out, _ = run(["fmt", str(first)])
    assert 2 == code
    assert "other hard link" in out
    assert source == first.read_text(encoding="utf-8") == (tmp_path / "other-name.yaml").read_text(encoding="utf-8")
    assert os.path.samefile(first, tmp_path / "other-name.yaml")


@pytest.mark.parametrize(("field", "value"), [("ruleset_id", "other"), ("ruleset_id", "national-2017"),
                                              ("term", "2019-2020"), ("term", "../../..")])
def test_replay_refuses_a_stamp_naming_a_ruleset_that_is_not_shipped(tmp_path, field, value):
    """A verdict whose stamp names a ruleset (or term) that is not shipped is not replayed with some other
    shipped ruleset (it used to fall back to the term's national one and report every rule as a
    difference): one line says it cannot be replayed and how (exit 2)."""
    import json

    facts = ROOT / "rulesets" / "examples" / "collective-gd-0001.json"
    code, verdict, _ = run(["evaluate", str(facts)])
    assert 0 == code
    doc = json.loads(verdict)
    doc["stamp"][field] = value
    (tmp_path / "v.json").write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run(["replay", str(tmp_path / "v.json"), "--facts", str(facts)])
    assert (2, "") == (code, out)
    assert err.startswith(f"qnwmh-rules: cannot replay: stamp.{field}: names ") and err.count("\n") == 1
    assert "--ruleset FILE" in err


def test_replay_finds_a_shipped_example_ruleset_by_its_id():
    """A verdict of the shipped example ruleset (rulesets/examples/, named by id) replays identically."""
    facts = ROOT / "rulesets" / "examples" / "collective-gd-0001.json"
    scoring = ROOT / "rulesets" / "examples" / "collective-scoring.yaml"
    code, verdict, _ = run(["evaluate", "--ruleset", str(scoring), str(facts)])
    assert 0 == code
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        f.write(verdict)
    try:
        code, out, _ = run(["replay", f.name, "--facts", str(facts)])
    finally:
        os.unlink(f.name)
    assert (0, "identical") == (code, out.splitlines()[0])
    assert "collective-scoring.yaml (content hash matches)" in out


@pytest.mark.parametrize("where", ["/nonexistent/rulesets", "/etc/hostname"])
def test_a_rulesets_folder_that_is_not_one_is_a_ruleset_error_not_bad_facts(monkeypatch, where):
    """QNWMH_RULESETS naming no folder is Q010 (the rulesets cannot be found), never a FactsError that a
    service would take for a fault in the collective's facts; the command line says so in one line (and
    `--rulesets DIR` naming no folder is a bad option)."""
    import qnwmh_rules
    from qnwmh_rules.exceptions import FactsError, RulesetError

    monkeypatch.setenv("QNWMH_RULESETS", where)
    facts = ROOT / "rulesets" / "examples" / "collective-gd-0001.json"
    with pytest.raises(RulesetError) as caught:
        qnwmh_rules.evaluate(str(facts))
    assert ("Q010", where, False) == (caught.value.code, caught.value.path, isinstance(caught.value, FactsError))
    code, out, err = run(["list"])
    assert (2, "") == (code, out)
    assert err.startswith(f"{where}: Q010 ") and err.count("\n") == 1
    monkeypatch.delenv("QNWMH_RULESETS")
    code, out, err = run(["list", "--rulesets", where])
    assert (2, "", f"qnwmh-rules: bad option --rulesets: {where} is not a folder\n") == (code, out, err)


@pytest.mark.parametrize("argv", [
    ["evaluate", str(ROOT / "rulesets" / "examples" / "collective-gd-0001.json")], ["list"], ["docs", "2017-2018"],
    ["batch", "IN"], ["batch", "IN", "-o", "/dev/full"], ["explain", "VERDICT", "-o", "/dev/full"],
])
def test_a_full_output_is_named_in_one_line(tmp_path, argv):
    """Output that cannot be written (a full disk: /dev/full) is one line naming where it was going
    (`cannot write stdout: …` or `cannot write /dev/full: …`), exit 2, no traceback."""
    import json
    import subprocess
    import sys

    if not os.path.exists("/dev/full"):
        pytest.fail("this test needs /dev/full (a Linux machine)")
    example = ROOT / "rulesets" / "examples" / "collective-gd-0001.json"
    facts = json.loads(example.read_text(encoding="utf-8"))
    (tmp_path / "in.jsonl").write_text(json.dumps(facts, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "v.json").write_text(run(["evaluate", str(example)])[1], encoding="utf-8")
    named = {"IN": str(tmp_path / "in.jsonl"), "VERDICT": str(tmp_path / "v.json")}
    argv = [named.get(a, a) for a in argv]
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "qnwmh_rules.cli", *argv], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=300)
    where = "/dev/full" if "-o" in argv else "stdout"
    assert (2, f"qnwmh-rules: cannot write {where}: No space left on device\n") == (done.returncode, done.stderr)
