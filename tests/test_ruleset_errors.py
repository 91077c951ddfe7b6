"""Ruleset mistakes are RulesetErrors at path:line:col with a code and a suggestion."""

import textwrap

import pytest

import qnwmh_rules
from qnwmh_rules import RulesetError

HEAD = """\
ruleset: t
term: 2017-2018
version: 1.0.0
title: {zh: 测试, en: test}
sources:
  - {id: N, title: {zh: 通知, en: notice}}
parameters:
  min: {value: 6}
  cutoff: {value: 2017-09-30}
rules:
"""


def rule(when, **extra):
    lines = [f"  - id: {extra.get('id', 'basic.x')}",
             "    title: {zh: 甲, en: a}",
             f"    severity: {extra.get('severity', 'required')}",
             f"    citation: {{source: {extra.get('source', 'N')}, clause: '1', text: t}}",
             f"    when: {when}"]
    return "\n".join(lines) + "\n"


CASES = [
    ("YAML syntax", HEAD + "  - id: [unclosed\n", "Q001", 12, 1, "syntax error"),
    ("duplicate key", HEAD.replace("parameters:\n", "parameters:\n  min: {value: 1}\n"), "Q005", 9, 3,
     "first at line 8"),
    ("python tag", HEAD + "  - !!python/object:os.system {}\n", "Q003", 11, 5, "not allowed"),
    ("unknown top key", "rulez: []\n" + HEAD, "Q102", 1, 1, "did you mean 'rules'"),
    ("missing key", HEAD.replace("version: 1.0.0\n", ""), "Q103", None, None, "'version'"),
    ("bad severity", HEAD + rule("members.total >= 6", severity="mandatory"), "Q119", 13, 15, None),
    ("unknown source", HEAD + rule("members.total >= 6", source="X"), "Q108", 14, 24, "declared sources: N"),
    ("unknown fact path", HEAD + rule("members.totl >= 6"), "Q201", 15, 11, "did you mean 'members.total'"),
    ("undefined parameter", HEAD + rule("members.total >= params.mn"), "Q204", 15, 28, "did you mean 'min'"),
    ("date compared with number", HEAD + rule("leader.birth_date >= 6"), "Q202", 15, 11, None),
    ("string date", HEAD + rule("leader.birth_date >= '1980-01-01'"), "Q202", 15, 11, 'date("2017-09-30")'),
    ("enum value that never matches", HEAD + rule("any(h in honors, h.level == 'nationl')"), "Q209", 15, 39,
     "did you mean 'national'"),
    ("syntax inside a condition", HEAD + rule("members.total = 6"), "Q200", 15, 25, "use =="),
    ("or inside all", HEAD + rule("all(h in honors, h.level == 'national' or h.date <= params.cutoff)"),
     "Q303", 15, 11, None),
    ("fact inside a quantifier", HEAD + rule("any(h in honors, h.date <= leader.birth_date)"), "Q302", 15, 11, None),
    ("arithmetic on both sides", HEAD + rule("members.total * 2 >= members.aged_35_or_under * 3"), "Q301", 15, 11,
     None),
    ("duplicate rule id", HEAD + rule("members.total >= 6") + rule("members.total >= 7"), "Q116", 16, 9, "used twice"),
    ("list used as a value", HEAD + rule("honors == 1"), "Q206", 15, 11, "any(x in honors"),
]


@pytest.mark.parametrize("name,text,code,line,col,words", CASES, ids=[c[0] for c in CASES])
def test_ruleset_mistake_is_located(tmp_path, name, text, code, line, col, words):
    """Each kind of mistake raises RulesetError with its code, the exact line and column and a useful hint."""
    p = tmp_path / "broken.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(RulesetError) as info:
        qnwmh_rules.load_ruleset(p)
    exc = info.value
    assert code == exc.code, str(exc)
    assert str(p) == exc.path
    if line is not None:
        assert (line, col or exc.col) == (exc.line, exc.col), str(exc)
    if words:
        assert words in str(exc)
    assert str(exc).startswith(f"{p}:{exc.line}:{exc.col}: {code} ")


def test_block_condition_positions_point_inside_the_block(tmp_path):
    """In a `|` block condition, the column points at the offending word on its own line."""
    text = HEAD + "\n".join("  " + ln if ln else ln for ln in textwrap.dedent("""\
    - id: basic.x
      title: {zh: 甲, en: a}
      severity: required
      citation: {source: N, clause: '1', text: t}
      when: |
        members.total >= 6
        and members.agd >= 3
    """).splitlines()) + "\n"
    p = tmp_path / "block.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(RulesetError) as info:
        qnwmh_rules.load_ruleset(p)
    assert (17, 11) == (info.value.line, info.value.col), str(info.value)


def test_overlay_cannot_silently_replace_a_rule(tmp_path):
    """An overlay that reuses a base rule id must say override: true; overriding nothing is an error."""
    (tmp_path / "base.yaml").write_text(HEAD + rule("members.total >= 6"), encoding="utf-8")
    over = ("ruleset: o\ninherits: base.yaml\nterm: 2017-2018\nversion: 1.0.0\ntitle: {zh: 乙, en: b}\nrules:\n"
            + rule("members.total >= 7"))
    (tmp_path / "o.yaml").write_text(over, encoding="utf-8")
    with pytest.raises(RulesetError) as info:
        qnwmh_rules.load_ruleset(tmp_path / "o.yaml")
    assert "Q117" == info.value.code and "override: true" in str(info.value)
    (tmp_path / "o.yaml").write_text(over.replace("    when:", "    override: true\n    when:")
                                     .replace("basic.x", "basic.y"), encoding="utf-8")
    with pytest.raises(RulesetError) as info:
        qnwmh_rules.load_ruleset(tmp_path / "o.yaml")
    assert "Q118" == info.value.code


def test_overlay_override_replaces_and_records_the_layer(tmp_path):
    """A deliberate override replaces the base rule, and the verdict says which layer decided."""
    (tmp_path / "base.yaml").write_text(HEAD + rule("members.total >= 6"), encoding="utf-8")
    (tmp_path / "o.yaml").write_text(
        "ruleset: o\ninherits: base.yaml\nterm: 2017-2018\nversion: 1.0.0\ntitle: {zh: 乙, en: b}\n"
        "parameters:\n  min: {value: 10}\nrules:\n" + rule("members.total >= params.min").replace(
            "    when:", "    override: true\n    when:"), encoding="utf-8")
    engine = qnwmh_rules.load_ruleset(tmp_path / "o.yaml")
    r = engine.evaluate({"id": "a", "members": {"total": 8}}).rule("basic.x")
    assert ("failed", "2017-2018/o@1.0.0", {"min": 10}) == (r.outcome, r.layer, dict(r.params))
    assert ("2017-2018/t@1.0.0", "2017-2018/o@1.0.0") == engine.ruleset.layers


def test_ruleset_files_cannot_run_code(tmp_path):
    """YAML object tags are refused before anything is constructed."""
    marker = tmp_path / "pwned"
    p = tmp_path / "evil.yaml"
    p.write_text(HEAD + f"  - !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8")
    with pytest.raises(RulesetError, match="Q003"):
        qnwmh_rules.load_ruleset(p)
    assert not marker.exists()


def test_missing_file_is_a_ruleset_error(tmp_path):
    """A path that does not exist is a RulesetError naming it."""
    with pytest.raises(RulesetError, match="Q010"):
        qnwmh_rules.load_ruleset(tmp_path / "nope.yaml")
