"""The command line keeps the conventions its users know (issue 16, item 6)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules import _cases
from qnwmh_rules._batch import BatchLine, Summary
from qnwmh_rules._replay import json_differences, parse_assignment
from qnwmh_rules._whynot import set_text, why_not
from qnwmh_rules.cli import build_parser, main
from tests.strategies import json_values, patch_values

from .shipped import file_kind, shipped

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "rulesets" / "examples" / "collective-gd-0001.json")
_REPR = re.compile(r"\b\w*(Error|Exception)\(|Traceback")


def run(capsys, argv):
    """(exit code, stdout, stderr) of the command line."""
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_python_dash_m_runs_the_command_line():
    """`python -m qnwmh_rules` is the `qnwmh-rules` command."""
    r = subprocess.run([sys.executable, "-m", "qnwmh_rules", "--version"], capture_output=True, text=True)
    assert (0, f"qnwmh-rules {qnwmh_rules.__version__}\n") == (r.returncode, r.stdout)


@pytest.mark.parametrize(("argv", "start"), [
    (["evaluate", "no-such-file.json"], "qnwmh-rules: cannot read no-such-file.json: "),
    (["evaluate", "--term", "2019-2020", EXAMPLE], "qnwmh-rules: bad option --term: "),
    (["evaluate", "--region", "guangdng", EXAMPLE], "qnwmh-rules: bad option --region: "),
    (["evaluate", "--as-of", "yesterday", EXAMPLE], "qnwmh-rules: bad option --as-of: "),
    (["evaluate", "--set", "members.total", EXAMPLE], "qnwmh-rules: bad option --set: "),
    (["batch", EXAMPLE, "--encoding", "klingon"], "qnwmh-rules: bad option --encoding: "),
    (["explain", EXAMPLE], "qnwmh-rules: not a verdict: "),
    (["replay", EXAMPLE, "--facts", EXAMPLE], "qnwmh-rules: not a verdict: "),
    (["audit", "no-such.db"], "qnwmh-rules: no audit log at no-such.db"),
])
def test_an_error_says_what_kind_it_is(capsys, argv, start):
    """A missing file, a bad option or a file that is not a verdict is not called `bad facts`."""
    code, _, err = run(capsys, argv)
    assert (2, True, False) == (code, err.startswith(start), "bad facts" in err)


def test_bad_facts_are_still_called_bad_facts(tmp_path, capsys):
    """Facts that break the facts contract are `bad facts:` with the field path."""
    doc = json.loads(Path(EXAMPLE).read_text(encoding="utf-8")) | {"members": {"total": "many"}}
    (tmp_path / "f.json").write_text(json.dumps(doc), encoding="utf-8")
    code, _, err = run(capsys, ["evaluate", str(tmp_path / "f.json")])
    assert (2, True) == (code, err.startswith("qnwmh-rules: bad facts: members."))


@pytest.mark.parametrize("bad", ["0", "-3", "four", "1.5"])
def test_a_bad_workers_count_is_a_usage_error(capsys, bad):
    """`--workers` must be a whole number of at least 1: a usage error naming the option, exit 2."""
    with pytest.raises(SystemExit) as exc:
        main(["batch", EXAMPLE, "--workers", bad])
    err = capsys.readouterr().err
    assert (2, True, False) == (exc.value.code, "argument --workers: " in err, "bad facts" in err)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=json_values)
def test_explain_never_prints_a_python_repr(tmp_path_factory, capsys, doc):
    """Whatever JSON is given to `explain` as a verdict, the error is one line in words, never a repr."""
    path = tmp_path_factory.mktemp("v") / "v.json"
    try:
        path.write_text(json.dumps(doc), encoding="utf-8")
    except (ValueError, RecursionError, UnicodeEncodeError):
        assume(False)  # not JSON that a file can hold
    code, _, err = run(capsys, ["explain", str(path)])
    assert (2, True, None, 1) == (code, err.startswith("qnwmh-rules: not a verdict: "), _REPR.search(err),
                                  err.count("\n"))


def test_explain_errors_have_no_repr(tmp_path, capsys):
    """Verdict-shaped documents missing a part give an error in words (no `KeyError(...)`)."""
    verdict = json.loads(qnwmh_rules.load_ruleset(term="2017-2018").evaluate(
        json.loads(Path(EXAMPLE).read_text(encoding="utf-8"))).to_json())
    errs = []
    for key in list(verdict):
        (tmp_path / "v.json").write_text(json.dumps({k: v for k, v in verdict.items() if k != key}), encoding="utf-8")
        code, _, err = run(capsys, ["explain", str(tmp_path / "v.json")])
        if code:
            errs.append(err)
    assert [] == [e for e in errs if _REPR.search(e) or not e.startswith("qnwmh-rules: not a verdict: ")]


@pytest.mark.parametrize(("argv", "hint"), [
    (["evaluate", "--regoin", "guangdong", EXAMPLE], "did you mean --region?"),
    (["evalute", EXAMPLE], "did you mean 'evaluate'?"),
    (["explain", "--lang", "ch", EXAMPLE], "did you mean 'zh'?"),
    (["batch", "--wrokers", "2", EXAMPLE], "did you mean --workers?"),
])
def test_a_misspelt_option_or_subcommand_gets_a_suggestion(capsys, argv, hint):
    """argparse's usage errors say what was probably meant."""
    with pytest.raises(SystemExit):
        main(argv)
    assert hint in capsys.readouterr().err


def test_diff_suggests_a_shipped_ruleset_name(capsys):
    """A misspelt `diff` ruleset name gets the nearest shipped TERM:REGION."""
    code, _, err = run(capsys, ["diff", "2017-2018", "2017-2018:guangdng"])
    assert (2, True) == (code, "did you mean '2017-2018:guangdong'?" in err)


def test_explain_why_not_and_docs_share_one_default_language():
    """`explain`, `why-not` and `docs` default to the same language."""
    subs = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"zh"} == {subs[name].get_default("lang") for name in ("explain", "why-not", "docs")}


def test_every_option_has_help_and_every_subcommand_examples_and_exit_codes():
    """Each subcommand's --help shows examples and exit codes, and every option (positional too) has help text."""
    subs = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    missing = [(name, a.dest) for name, sp in subs.items() for a in sp._actions if not a.help]
    no_epilog = [name for name, sp in subs.items()
                 if "examples" not in (sp.epilog or "") or "exit codes: " not in (sp.epilog or "")]
    assert ([], []) == (missing, no_epilog)


@pytest.mark.parametrize(("records", "errors", "text"), [
    (1, 0, "1 record: 1 verdict, 0 bad records"),
    (2, 1, "2 records: 1 verdict, 1 bad record"),
    (3, 3, "3 records: 0 verdicts, 3 bad records"),
])
def test_the_batch_summary_counts_in_good_english(records, errors, text):
    """"1 verdict", not "1 verdicts"."""
    s = Summary()
    for i in range(records):
        s.add(BatchLine(line=i + 1, id=None, json="{}", outcome=None if i < errors else "eligible", failed_rules=()))
    assert text == s.to_text().splitlines()[0]


@given(path=st.from_regex(r"[a-z_]{1,8}(\.[a-z0-9_]{1,8}){0,3}", fullmatch=True), value=patch_values)
def test_a_why_not_change_is_printed_as_set_reads_it(path, value):
    """The text why-not prints for a change is read back by `--set` as that same change."""
    assert (path, value) == parse_assignment(set_text(path, value))


def _case_facts():
    out = []
    for f in sorted((ROOT / "rulesets" / "2017-2018").glob("*.cases.yaml")):
        cases = _cases.read_cases(f)
        if "unit" in f.name:
            continue
        out += [(f, c) for c in cases.cases if c.error is None]
    return out


def test_every_patch_why_not_prints_is_accepted_by_set_as_printed():
    """For every shipped golden case, each patch of why-not's JSON, written as `PATH=JSON`, gives back that
    patch through --set; the text, in words, prints no patch (no `PATH=` and no brackets)."""
    engine = qnwmh_rules.load_ruleset(term="2017-2018", region="guangdong")
    bad = []
    for _, case in _case_facts():
        result = why_not(engine, case.facts, as_of=case.as_of)
        doc = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
        patches = [step["patch"] for fix in doc["fixes"] for option in fix["options"] for step in option
                   if step["patch"] is not None] + [doc["patch"]]
        for patch in patches:
            bad += [(case.name, k, v) for k, v in patch.items() if parse_assignment(set_text(k, v)) != (k, v)]
        for lang in ("en", "zh"):
            text = result.to_text(lang)
            bad += [(case.name, lang, k) for patch in patches for k in patch if f"{k}=" in text]
            bad += [(case.name, lang, c) for c in "[]{}" if c in text]
    assert [] == bad


def test_why_not_on_an_eligible_collective_says_there_is_nothing_to_change(capsys):
    """An eligible collective: why-not says so, in either language."""
    code, out, _ = run(capsys, ["why-not", "--region", "guangdong", "--lang", "en", EXAMPLE])
    code_zh, out_zh, _ = run(capsys, ["why-not", "--region", "guangdong", EXAMPLE])
    assert (0, "GD-0001 (广州南站客运车间青年班组): eligible\n→ It is eligible: there is nothing to change.\n", 0,
            "GD-0001（广州南站客运车间青年班组）：具备创建集体资格\n→ 已具备资格，无需修改。\n") == \
        (code, out, code_zh, out_zh)


@given(items=st.lists(st.dictionaries(st.sampled_from(["kind", "unit", "at"]), patch_values, min_size=1), min_size=1,
                      max_size=3), data=st.data())
def test_replay_labels_list_items_by_index_unless_they_share_an_id(items, data):
    """A difference inside a list item is labelled `[i]` (or `[id]` when both items have that id), never `[None]`."""
    changed = [dict(x, at=data.draw(patch_values)) for x in items]
    lines = json_differences({"filings": items}, {"filings": changed}, "")
    assert [] == [line for line in lines if "[None]" in line or not re.match(r"filings\[\d+\]", line)]


def test_replay_names_a_changed_filing_by_its_index():
    """The issue's example: a changed filing is `filings[0]`, not `filings[None]`."""
    a = {"filings": [{"review": {"status": "approved"}}]}
    b = {"filings": [{"review": {"status": "rejected"}}]}
    assert ['filings[0].review.status: "approved" → "rejected"'] == json_differences(a, b, "")


def _jsonl(tmp_path, n):
    doc = json.loads(Path(EXAMPLE).read_text(encoding="utf-8"))
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(doc | {"id": f"C{i}"}) + "\n" for i in range(n)), encoding="utf-8")
    return path


def test_batch_piped_into_head_ends_quietly(tmp_path):
    """`qnwmh-rules batch … | head -1` prints one line and no error or traceback."""
    path = _jsonl(tmp_path, 60)
    r = subprocess.run(["bash", "-c", f"'{sys.executable}' -m qnwmh_rules batch '{path}' | head -c 100 | wc -c"],
                       capture_output=True, text=True, timeout=120)
    assert ("100", "") == (r.stdout.strip(), r.stderr)


def test_batch_is_silent_but_for_the_summary_when_stderr_is_not_a_terminal(tmp_path, capsys):
    """No progress bar when stderr is not a terminal: stderr holds the summary only."""
    code, _, err = run(capsys, ["batch", str(_jsonl(tmp_path, 3)), "-o", str(tmp_path / "out.jsonl")])
    assert (0, "3 records: 3 verdicts, 0 bad records") == (code, err.splitlines()[0])


def test_batch_shows_a_progress_bar_with_total_and_rate_on_a_terminal(tmp_path, capsys, monkeypatch):
    """On a terminal, tqdm shows records done of the total, the rate and the time left."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, _, err = run(capsys, ["batch", str(_jsonl(tmp_path, 5)), "-o", str(tmp_path / "out.jsonl")])
    assert (0, True, True) == (code, "/5 [" in err, "records/s" in err)


# ---- item 1: machine-readable output ------------------------------------------------------------

def _scratch_rulesets(tmp_path):
    import shutil

    shutil.copytree(ROOT / "rulesets", tmp_path / "rulesets")
    return tmp_path / "rulesets"


def test_check_json_gives_every_problem_with_its_parts(tmp_path, capsys):
    """`check --format json` lists the same problems as the text lines, each with file, line, column, code,
    message and suggestion."""
    rs = _scratch_rulesets(tmp_path)
    f = rs / "2017-2018" / "national.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("version: 2.0.2", "version: 2.0.2\nversoin: 1", 1)
                 .replace("severity: required", "severity: requird", 1), encoding="utf-8")
    code_t, text, _ = run(capsys, ["check", str(f)])
    code_j, out, _ = run(capsys, ["check", str(f), "--format", "json"])
    doc = json.loads(out)
    rebuilt = [f"{p['file']}:{p['line']}:{p['column']}: {p['code']} {p['message']}"
               + (f" ({p['suggestion']})" if p["suggestion"] else "") for p in doc["problems"]]
    assert (2, 2, text.splitlines(), [str(f)], True) == (code_t, code_j, rebuilt, doc["files"],
                                                         len(doc["problems"]) >= 2)


def _failing_cases(tmp_path):
    rs = _scratch_rulesets(tmp_path)
    f = rs / "2017-2018" / "national.cases.yaml"
    text = f.read_text(encoding="utf-8")
    i = text.index("- name: five members is too few")
    f.write_text(text[:i] + text[i:].replace("outcome: ineligible", "outcome: eligible", 1), encoding="utf-8")
    return f


def test_test_junit_is_one_testcase_per_case_with_failures(tmp_path, capsys):
    """`test --format junit` is JUnit XML: a testsuite per file, a testcase per case, a failure for a failed one."""
    import xml.etree.ElementTree as ET

    f = _failing_cases(tmp_path)
    code, out, _ = run(capsys, ["test", str(f), "--format", "junit"])
    root = ET.fromstring(out)
    cases = root.findall("./testsuite/testcase")
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    n = len(_cases.read_cases(f).cases)
    assert (1, n, str(n), ["five members is too few"], "1") == (
        code, len(cases), root.get("tests"), failed, root.get("failures"))


def test_test_json_agrees_with_the_text_report(tmp_path, capsys):
    """`test --format json` has every case, the counts and the same coverage as the text report."""
    f = _failing_cases(tmp_path)
    _, text, _ = run(capsys, ["test", str(f)])
    code, out, _ = run(capsys, ["test", str(f), "--format", "json", "--coverage-json", str(tmp_path / "cov.json")])
    doc = json.loads(out)
    pct = float(re.search(r"pass/fail coverage: ([\d.]+)%", text).group(1))
    assert (1, doc["passed"] + 1, 1, False, pct, doc["coverage"]) == (
        code, len(doc["cases"]), doc["failed"], doc["ok"], doc["coverage"]["pass_fail_percent"],
        json.loads((tmp_path / "cov.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize("pattern", ["window", "WINDOW", "leader.*40", "^a filing"])
def test_test_k_runs_the_cases_whose_name_matches(capsys, pattern):
    """`test -k PATTERN` runs exactly the cases whose name matches (regular expression, any case)."""
    f = ROOT / "rulesets" / "2017-2018" / "national.cases.yaml"
    code, out, _ = run(capsys, ["test", str(f), "-k", pattern, "--format", "json"])
    names = [c["name"] for c in json.loads(out)["cases"]]
    expected = [c.name for c in _cases.read_cases(f).cases if re.search(pattern, c.name, re.IGNORECASE)]
    assert (0, expected) == (code, names)


def test_test_k_matching_nothing_is_an_error(capsys):
    """A -k that matches no case exits 2 rather than passing vacuously."""
    code, _, err = run(capsys, ["test", str(ROOT / "rulesets" / "2017-2018"), "-k", "no such case name"])
    assert (2, True) == (code, "no case name matches" in err)


def test_test_v_lists_passing_cases(capsys):
    """`test -v` prints an `ok` line for every passing case; without -v only failures are listed."""
    f = ROOT / "rulesets" / "2017-2018" / "guangdong.cases.yaml"
    _, quiet, _ = run(capsys, ["test", str(f)])
    _, loud, _ = run(capsys, ["test", str(f), "-v"])
    n = len(_cases.read_cases(f).cases)
    assert (0, n) == (sum(line.startswith("ok ") for line in quiet.splitlines()),
                      sum(line.startswith("ok ") for line in loud.splitlines()))


# ---- item 5: working copies ----------------------------------------------------------------------

def _working_copy(tmp_path):
    """A copy of rulesets/ with a made-up 2019-2020 term (members_max 250), as a policy officer's clone has."""
    rs = _scratch_rulesets(tmp_path)
    (rs / "2019-2020").mkdir()
    text = (ROOT / "docs" / "policy-guide.md").read_text(encoding="utf-8")
    start = text.index("# 2019—2020 national ruleset — a MADE-UP EXAMPLE")
    (rs / "2019-2020" / "national.yaml").write_text(text[start:text.index("```", start)], encoding="utf-8")
    return rs


def test_rulesets_option_makes_every_shipped_name_mean_the_working_copy(tmp_path, capsys):
    """With --rulesets DIR, `list`, `--term`, `diff` and `docs` use DIR (after the subcommand or before it)."""
    rs = str(_working_copy(tmp_path))
    _, listed, _ = run(capsys, ["list", "--rulesets", rs])
    code_e, out, _ = run(capsys, ["--rulesets", rs, "evaluate", "--term", "2019-2020", EXAMPLE])
    code_d, diff, _ = run(capsys, ["diff", "2017-2018", "2019-2020", "--rulesets", rs])
    code_p, page, _ = run(capsys, ["docs", "2019-2020", "--rulesets", rs, "--lang", "en"])
    assert (True, 0, "2019-2020", 0, True, 0, True) == (
        "2019-2020\tnational" in listed.splitlines(), code_e, json.loads(out)["stamp"]["term"], code_d,
        "value: 200 → 250" in diff, code_p, "between 6 and 250 members" in page)


def test_the_environment_variable_names_the_working_copy_for_the_library_too(tmp_path, monkeypatch):
    """QNWMH_RULESETS makes `qnwmh_rules.evaluate(term=…)` read the working copy, with no stale cached engine."""
    facts = json.loads(Path(EXAMPLE).read_text(encoding="utf-8"))
    with pytest.raises(qnwmh_rules.FactsError):
        qnwmh_rules.evaluate(facts, term="2019-2020")
    monkeypatch.setenv("QNWMH_RULESETS", str(_working_copy(tmp_path)))
    assert "2019-2020" == qnwmh_rules.evaluate(facts, term="2019-2020").stamp.term


def test_a_rulesets_folder_that_does_not_exist_is_a_bad_option(capsys):
    """--rulesets naming no folder: one line, `bad option --rulesets`, exit 2."""
    code, _, err = run(capsys, ["list", "--rulesets", "/no/such/folder"])
    assert (2, True) == (code, err.startswith("qnwmh-rules: bad option --rulesets: "))


# ---- item 2: show ---------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", ["2011-2012", "2017-2018", "2017-2018:guangdong"])
def test_show_lists_every_rule_with_the_parameter_values_a_verdict_holds(capsys, spec):
    """`show --json` has every rule of the ruleset, and each rule's parameters with the values its verdicts report."""
    code, out, _ = run(capsys, ["show", spec, "--json"])
    doc = json.loads(out)
    term, _, region = spec.partition(":")
    engine = qnwmh_rules.load_ruleset(term=term, region=region or None)
    verdict = engine.evaluate(json.loads(Path(EXAMPLE).read_text(encoding="utf-8")) if term == "2017-2018" else
                              json.loads((ROOT / "rulesets" / "examples" / "collective-2011-0001.json")
                                         .read_text(encoding="utf-8")))
    values = {p["name"]: p["value"] for p in doc["parameters"]}
    shown = {r["id"]: {n: values[n] for n in r["params"]} for r in doc["rules"]}
    reported = {r.id: dict(r.params) for r in verdict.rules}
    assert (0, [r.id for r in engine.ruleset.rules], reported) == (code, [r["id"] for r in doc["rules"]], shown)


def test_show_text_names_every_rule_and_parameter(capsys):
    """`show` as text lists every rule id with both titles and every parameter with its value."""
    code, out, _ = run(capsys, ["show", "2017-2018:guangdong"])
    rs = qnwmh_rules.load_ruleset(term="2017-2018", region="guangdong").ruleset
    missing = [r.id for r in rs.rules if f"  {r.id}  " not in out or r.title.zh not in out or r.title.en not in out]
    missing += [p.name for p in rs.parameters if f"  {p.name} = " not in out]
    assert (0, []) == (code, missing)


# ---- item 3: fmt ----------------------------------------------------------------------------------

SHIPPED_YAML = shipped("ruleset", "cases")  # what fmt lays out


def _messy(text, sequence, offset, width):
    """The same YAML in another layout (other indentation, lines wrapped elsewhere)."""
    import io

    from ruamel.yaml import YAML

    y = YAML()
    y.preserve_quotes = True
    y.width = width
    y.indent(mapping=4, sequence=sequence, offset=offset)
    buf = io.StringIO()
    y.dump(y.load(text), buf)
    return buf.getvalue()


@pytest.mark.parametrize("path", SHIPPED_YAML, ids=lambda p: str(p.relative_to(ROOT)))
@pytest.mark.parametrize(("sequence", "offset", "width"), [(2, 0, 1 << 16), (6, 4, 1 << 16)])
def test_fmt_brings_any_layout_back_to_the_shipped_one_with_its_comments(path, sequence, offset, width):
    """A shipped file indented any other way is formatted back to exactly the shipped text, comments included.
    (The author's line breaks inside folded text are kept as written: fmt does not re-wrap.)"""
    from qnwmh_rules._fmt import format_text

    text = path.read_text(encoding="utf-8")
    kind = file_kind(path)
    assert text == format_text(_messy(text, sequence, offset, width), kind)


def test_the_shipped_files_are_formatted(capsys):
    """`fmt --check rulesets/` finds nothing to reformat."""
    code, out, _ = run(capsys, ["fmt", "--check", str(ROOT / "rulesets")])
    assert (0, "") == (code, out)


def test_fmt_check_changes_nothing_and_fmt_rewrites(tmp_path, capsys):
    """`fmt --check` lists a file in another layout and exits 1 without touching it; `fmt` rewrites it."""
    shipped = ROOT / "rulesets" / "2017-2018" / "national.yaml"
    f = tmp_path / "national.yaml"
    f.write_text(_messy(shipped.read_text(encoding="utf-8"), 2, 0, 1 << 16), encoding="utf-8")
    before = f.read_text(encoding="utf-8")
    code_c, out_c, _ = run(capsys, ["fmt", "--check", str(f)])
    unchanged = f.read_text(encoding="utf-8") == before
    code_f, out_f, _ = run(capsys, ["fmt", str(f)])
    assert (1, f"would reformat {f}\n", True, 0, f"reformatted {f}\n", shipped.read_text(encoding="utf-8")) == (
        code_c, out_c, unchanged, code_f, out_f, f.read_text(encoding="utf-8"))


def test_fmt_refuses_a_file_that_is_not_yaml(tmp_path, capsys):
    """A file that is not YAML is reported, left alone, and makes the exit code 2."""
    f = tmp_path / "bad.yaml"
    f.write_text("rules: [unclosed\n", encoding="utf-8")
    code, out, _ = run(capsys, ["fmt", str(f)])
    assert (2, True, "rules: [unclosed\n") == (code, out.startswith(f"{f}: cannot be formatted: not YAML"),
                                              f.read_text(encoding="utf-8"))
