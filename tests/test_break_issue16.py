"""Faults found by trying the issue-16 toolchain as a policy officer and a CI engineer would."""

from __future__ import annotations

import json
import os
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qnwmh_rules._fmt import FormatError, format_text
from qnwmh_rules.cli import _junit, main

from .shipped import file_kind, shipped

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_YAML = shipped("ruleset", "cases")  # what fmt lays out
EXAMPLES = ROOT / "rulesets" / "examples"


def run(capsys, argv):
    """(exit code, stdout, stderr) of the command line."""
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _kind(path: Path) -> str:
    return "cases" if file_kind(path) == "cases" else "ruleset"


# ---- fmt never loses a comment ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "comment"), [
    ("a: [1,  # one\n  2]\nb: 1\n", "# one"),
    ("a: {x: 1,  # one\n  y: 2}\n", "# one"),
    ("a: 1\n...\n# after the end\n", "# after the end"),
])
def test_fmt_refuses_what_would_lose_a_comment(text, comment):
    """A comment ruamel.yaml cannot keep (inside a flow collection, after `...`) makes fmt refuse, naming it."""
    with pytest.raises(FormatError) as info:
        format_text(text, "ruleset")
    assert True == (repr(comment) in str(info.value))  # noqa: E712


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(SHIPPED_YAML), where=st.floats(0, 1), how=st.sampled_from(["line", "end", "flow"]))
def test_fmt_keeps_every_comment_or_refuses(path, where, how):
    """A comment put anywhere in a shipped file is in fmt's output, or fmt refuses; the data never changes."""
    lines = path.read_text(encoding="utf-8").split("\n")
    i = min(int(where * len(lines)), len(lines) - 1)
    line = lines[i]
    indent = " " * (len(line) - len(line.lstrip()))
    if how == "line":
        lines.insert(i, f"{indent}# MARK")
    elif how == "end" and "#" not in line and not line.rstrip().endswith(("|", ">", "|-", ">-")):
        lines[i] = line + "  # MARK"
    elif how == "flow" and ", " in line and "#" not in line:
        lines[i] = line.replace(", ", f",  # MARK\n{indent}    ", 1)
    else:
        lines.insert(0, "# MARK")
    text = "\n".join(lines)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return  # the comment broke the YAML (inside a quoted scalar, say): fmt refuses that below anyway
    try:
        out = format_text(text, _kind(path))
    except FormatError:
        return
    assert (data, text.count("# MARK")) == (yaml.safe_load(out), out.count("# MARK"))


# ---- fmt: what it may not refuse, and what it must leave alone -----------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("note: |\n  two trailing blanks  \n  kept\nb:   1\n", "note: |\n  two trailing blanks  \n  kept\nb: 1\n"),
    ("a:    \"x\u00a0\"\n", "a: \"x\u00a0\"\n"),
    ("a:    x\u00a0\n", "a: x\u00a0\n"),
])
def test_fmt_keeps_blanks_that_are_data(text, expected):
    """Trailing blanks inside a block scalar, or a no-break space ending a value, are data: formatted, not refused."""
    assert expected == format_text(text, "ruleset")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_fmt_leaves_a_file_without_a_document_alone(text):
    """An empty or comments-only file stays as it is (it was rewritten to `null` and `...`, its comments lost)."""
    assert text == format_text(text, "ruleset")


def test_fmt_check_sees_crlf_line_ends(tmp_path, capsys):
    """A file with CRLF line ends is not in the canonical layout: --check exits 1, fmt writes LF."""
    f = tmp_path / "x.yaml"
    f.write_bytes(b"a: 1\r\n# c\r\nb: 2\r\n")
    code_c, _, _ = run(capsys, ["fmt", "--check", str(f)])
    code_f, _, _ = run(capsys, ["fmt", str(f)])
    assert (1, 0, b"a: 1\n# c\nb: 2\n") == (code_c, code_f, f.read_bytes())


def test_fmt_goes_on_after_a_file_it_cannot_write(tmp_path, capsys, monkeypatch):
    """A file that cannot be written is reported by name, the others are still formatted, exit 2."""
    bad, good = tmp_path / "a.yaml", tmp_path / "b.yaml"
    bad.write_text("a:    1\n", encoding="utf-8")
    good.write_text("b:    1\n", encoding="utf-8")
    real = os.replace

    def replace(src, dst):
        if Path(dst) == bad:
            raise PermissionError(13, "Permission denied", str(dst))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    code, out, err = run(capsys, ["fmt", str(tmp_path)])
    assert (2, f"{bad}: cannot be written: Permission denied\nreformatted {good}\n", "b: 1\n", False) == (
        code, out, good.read_text(encoding="utf-8"), "Traceback" in err)
    assert "2 file(s): 1 reformatted, 1 cannot be formatted\n" == err  # the unwritable file counted once


def test_fmt_interrupted_while_writing_leaves_the_old_file_whole(tmp_path, capsys, monkeypatch):
    """A write that fails half-way (disk full, Ctrl-C) leaves the original bytes and no temporary file."""
    f = tmp_path / "a.yaml"
    f.write_bytes(b"a:    1\nb:    2\n")

    def fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync)
    code, out, _ = run(capsys, ["fmt", str(tmp_path)])
    assert (2, f"{f}: cannot be written: No space left on device\n", b"a:    1\nb:    2\n", ["a.yaml"]) == (
        code, out, f.read_bytes(), sorted(p.name for p in tmp_path.iterdir()))


def test_fmt_through_a_symlink_keeps_the_link_and_the_file_mode(tmp_path, capsys):
    """fmt of a symbolic link rewrites the file it points to; the link stays a link, the mode stays."""
    real = tmp_path / "real" / "a.yaml"
    real.parent.mkdir()
    real.write_text("a:    1\n", encoding="utf-8")
    real.chmod(0o640)
    (tmp_path / "work").mkdir()
    link = tmp_path / "work" / "a.yaml"
    link.symlink_to(real)
    code, _, _ = run(capsys, ["fmt", str(link)])
    assert (0, True, "a: 1\n", 0o640, ["a.yaml"]) == (
        code, link.is_symlink(), real.read_text(encoding="utf-8"), real.stat().st_mode & 0o777,
        sorted(p.name for p in real.parent.iterdir()))


# ---- test --format junit|json|text with any case name --------------------------------------------------

def _run_of(names, differences):
    results = [types.SimpleNamespace(ok=not d, differences=d, case=types.SimpleNamespace(name=n, line=i + 1))
               for i, (n, d) in enumerate(zip(names, differences, strict=True))]
    return [(Path("x.cases.yaml"), None, results)]


@settings(max_examples=200, deadline=None)
@given(names=st.lists(st.text(), min_size=1, max_size=3, unique=True),
       message=st.text(), failed=st.booleans())
def test_junit_is_xml_whatever_the_names_and_messages(names, message, failed):
    """JUnit output parses as XML for any case name or difference (control characters, surrogates, `]]>`)."""
    differences = [[message] if failed else [] for _ in names]
    xml = _junit(_run_of(names, differences), {"pass_fail_percent": 50.0})
    root = ET.fromstring(xml.encode("utf-8"))
    assert len(names) == len(root.findall("./testsuite/testcase"))


def test_junit_keeps_a_name_xml_can_hold_as_written():
    """A name with `]]>`, `&`, `<` and CJK text comes back from the XML exactly."""
    name = "青年 ]]> & < \" ' \t tab"
    root = ET.fromstring(_junit(_run_of([name], [[]]), {"pass_fail_percent": 0.0}))
    assert name == root.find("./testsuite/testcase").get("name")


def _odd_cases(tmp_path):
    for name in ("collective-scoring.yaml", "collective-gd-0001.json"):
        (tmp_path / name).write_bytes((EXAMPLES / name).read_bytes())
    text = (EXAMPLES / "collective-scoring.cases.yaml").read_text(encoding="utf-8")
    text = text.replace("- name: the example collective scores the most its honours allow",
                        '- name: "ctl \\x01 \\e[31m surrogate \\ud800 ]]>"', 1)
    f = tmp_path / "x.cases.yaml"
    f.write_text(text, encoding="utf-8")
    return f


@pytest.mark.parametrize("fmt", ["junit", "json", "text"])
def test_a_case_name_with_control_characters_or_a_surrogate_is_refused(tmp_path, capsys, fmt):
    """A case named with an escaped control character or lone surrogate is Q001 at the name, in every `test`
    format (it was an internal error: UnicodeEncodeError)."""
    f = _odd_cases(tmp_path)
    code, out, err = run(capsys, ["test", str(f), "--format", fmt])
    assert (2, "", True) == (code, out, err.startswith(f"{f}:6:9: Q001 the text holds the character U+0001"))


@pytest.mark.parametrize("escape", ["\\e[31m", "\\x01", "\\ud800", "\\x7f", "\\x85", "\\x1f"])
@pytest.mark.parametrize("command", [["show"], ["show", "--json"], ["docs"], ["check"]])
def test_a_ruleset_text_with_a_control_character_is_refused(tmp_path, capsys, escape, command):
    """A title written with an escape for a control character or a lone surrogate is Q001 at the title
    (`show` and `docs` printed the escape sequence to the terminal, or failed with an internal error)."""
    text = (ROOT / "rulesets" / "2011-2012" / "national.yaml").read_text(encoding="utf-8")
    f = tmp_path / "national.yaml"
    f.write_text(text.replace("  en: Eligibility as a", f'  en: "{escape}" # Eligibility as a', 1), encoding="utf-8")
    argv = [command[0], str(f), *command[1:]]
    code, out, err = run(capsys, argv)
    report = out if command[0] == "check" else err  # check lists its problems on stdout
    assert (2, True) == (code, report.startswith(f"{f}:19:7: Q001 the text holds the character U+"))


# ---- error kinds --------------------------------------------------------------------------------------

def test_a_bad_k_pattern_is_a_bad_option(capsys):
    """`test -k '('` is a bad option, not `bad facts`."""
    code, _, err = run(capsys, ["test", str(ROOT / "rulesets"), "-k", "("])
    assert (2, True) == (code, err.startswith("qnwmh-rules: bad option -k: not a regular expression"))


# ---- the names `list` prints are the names show/docs/diff take ------------------------------------------

def _listed(capsys):
    code, out, _ = run(capsys, ["list"])
    assert 0 == code
    return [line.replace("\t", ":") for line in out.splitlines()]


def test_every_name_list_prints_is_a_name_show_takes(capsys):
    """`show TERM:national`, `TERM:unit`, `TERM:unit-transport` (as `list` prints them) show that ruleset
    (they were Q010 "neither a ruleset file nor a shipped term")."""
    shown, expected = [], []
    for name in _listed(capsys):
        code, out, err = run(capsys, ["show", name, "--json"])
        shown.append((code, err, json.loads(out)["ruleset"].partition("@")[0] if code == 0 else None))
        expected.append((0, "", name.replace(":", "/")))
    assert expected == shown


@pytest.mark.parametrize("name", ["2017-2018:unit-transport", "2017-2018:national", "2017-2018:unit"])
def test_a_listed_name_is_the_same_ruleset_as_its_file(capsys, name):
    """The name `list` prints and the file's path show the same ruleset."""
    term, _, kind = name.partition(":")
    _, by_name, _ = run(capsys, ["show", name, "--json"])
    _, by_path, _ = run(capsys, ["show", str(ROOT / "rulesets" / term / f"{kind}.yaml"), "--json"])
    assert json.loads(by_path) == json.loads(by_name)


# ---- the ruleset schema refuses what the loader refuses for a missing key -------------------------------

_RULESET_FILES = shipped("ruleset")
# What a JSON Schema cannot see: a name that must be declared elsewhere in the file or in the inherited
# file (Q108 source, Q115/Q181 parameter of a kind, Q152 group, Q201 fact path, Q204 parameter, Q205 derived
# fact, Q191 a value a finding's template names), and Q120 (a ruleset that inherits nothing must have rules:
# the rules of an overlay are inherited). docs/ruleset-format.md says so beside the schema.
_CROSS_REFERENCES = {"Q108", "Q115", "Q120", "Q152", "Q181", "Q191", "Q201", "Q204", "Q205"}


def _key_paths(data, at=()):
    if isinstance(data, dict):
        for k, v in data.items():
            yield (*at, k)
            yield from _key_paths(v, (*at, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _key_paths(v, (*at, i))


def _without(data, path):
    import copy

    data = copy.deepcopy(data)
    node = data
    for step in path[:-1]:
        node = node[step]
    del node[path[-1]]
    return data


@pytest.fixture(scope="module")
def scratch_rulesets(tmp_path_factory):
    import shutil

    root = tmp_path_factory.mktemp("rs") / "rulesets"
    shutil.copytree(ROOT / "rulesets", root)
    (root / "releases.lock").unlink()  # a changed released file is Q130 whatever changed
    return root


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_key_the_loader_misses_is_missed_by_the_schema_too(scratch_rulesets, data):
    """A shipped ruleset with one key removed that the loader refuses for its shape (not for a name it
    cannot resolve) is refused by ruleset.schema.json too (and one it accepts, the schema accepts)."""
    import jsonschema

    from qnwmh_rules import _api
    from qnwmh_rules.exceptions import RulesetError

    path = data.draw(st.sampled_from(_RULESET_FILES))
    target = scratch_rulesets / path.relative_to(ROOT / "rulesets")
    original = path.read_text(encoding="utf-8")
    tree = yaml.safe_load(original)
    key = data.draw(st.sampled_from(list(_key_paths(tree))))
    changed = _without(tree, key)
    target.write_text(yaml.safe_dump(changed, allow_unicode=True, sort_keys=False), encoding="utf-8")
    try:
        _api.load_ruleset(target, backend="python")
        code = None
    except RulesetError as exc:
        code = exc.code
    finally:
        target.write_text(original, encoding="utf-8")
    schema = json.loads((ROOT / "qnwmh_rules" / "ruleset.schema.json").read_text(encoding="utf-8"))
    as_typed = yaml.load(yaml.safe_dump(changed, allow_unicode=True, sort_keys=False),
                         Loader=_TextDates)  # noqa: S506 - a SafeLoader subclass
    valid = jsonschema.Draft202012Validator(schema).is_valid(as_typed)
    assume(code not in _CROSS_REFERENCES)
    assert (key, code, code is None) == (key, code, valid)


class _TextDates(yaml.SafeLoader):
    """YAML as an editor's language server reads it: a date is text."""


_TextDates.yaml_implicit_resolvers = {k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
                                      for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def test_an_effect_on_a_score_that_is_not_a_gate_is_refused(tmp_path):
    """`effect:` on an award, deduction or bonus is Q150 at the key (it was silently ignored), as the schema says."""
    from qnwmh_rules import _api
    from qnwmh_rules.exceptions import RulesetError

    for name in ("collective-scoring.yaml", "collective-gd-0001.json"):
        (tmp_path / name).write_bytes((EXAMPLES / name).read_bytes())
    f = tmp_path / "collective-scoring.yaml"
    text = f.read_text(encoding="utf-8")
    i = text.index("kind: deduction")
    f.write_text(text[:i] + "effect: ineligible, " + text[i:], encoding="utf-8")
    with pytest.raises(RulesetError) as info:
        _api.load_ruleset(f, backend="python")
    assert ("Q150", True) == (info.value.code, "only a gate has an effect" in str(info.value))


# ---- batch's progress bar and verdicts on one terminal ----------------------------------------------

def test_no_progress_bar_when_the_verdicts_go_to_the_same_terminal(tmp_path, capsys, monkeypatch):
    """With stdout and stderr both a terminal and no -o, the bar's redraws were glued to the verdict lines
    (`  6%|███ … records/s]{"id": …`); the bar shows only when the verdicts go elsewhere."""
    import sys

    src = (EXAMPLES / "collective-gd-0001.json").read_text(encoding="utf-8")
    f = tmp_path / "in.jsonl"
    f.write_text((json.dumps(json.loads(src), ensure_ascii=False) + "\n") * 3, encoding="utf-8")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, out, err = run(capsys, ["batch", str(f), "--term", "2017-2018", "--region", "guangdong"])
    code_o, _, err_o = run(capsys, ["batch", str(f), "--term", "2017-2018", "--region", "guangdong",
                                    "-o", str(tmp_path / "out.jsonl")])
    assert (0, False, 0, True) == (code, "records/s" in err, code_o, "records/s" in err_o)


def test_fmt_of_a_folder_does_not_follow_links_out_of_it(tmp_path, capsys):
    """A symbolic link inside a folder given to fmt is not followed: a file outside the folder (or a
    file of the folder seen a second time) is never rewritten through it."""
    outside = tmp_path / "outside.yaml"
    outside.write_text("a:    1\n", encoding="utf-8")
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "own.yaml").write_text("b:    1\n", encoding="utf-8")
    (folder / "out.yaml").symlink_to(outside)
    (folder / "again.yaml").symlink_to(folder / "own.yaml")
    code, out, _ = run(capsys, ["fmt", str(folder)])
    assert (0, f"reformatted {folder / 'own.yaml'}\n", "a:    1\n") == (
        code, out, outside.read_text(encoding="utf-8"))
