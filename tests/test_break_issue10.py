"""Break-testing issue 10: what a hostile or careless ruleset can still make the loader or engines do."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qnwmh_rules._loader import load_text

from .strategies import member_counts, nested_number_conditions

# ---- explicit YAML tags on quoted text ---------------------------------------------------------------

_TAGS = ["!!int", "!!float", "!!bool", "!!null", "!!timestamp"]
_TEXTS = ["6", "-0", "0.55", "1.10", "0x37", "067", "0o17", "1_000", "1:30", "1e3", "1e400", "-1e400", "1e-320",
          ".nan", "nan", ".inf", "1234567890123456", "yes", "on", "true", "null", "~", "2017-09-30", "2017-9-3",
          "2017-09-30T00:00:00", "2017-9-3T1:00:00", ""]


def _read(text):
    loaded = load_text(f"a: {text}\n", "x.yaml")
    return [e.code for e in loaded.errors] or loaded.data["a"]


@given(tag=st.sampled_from(_TAGS), text=st.sampled_from(_TEXTS), quote=st.sampled_from(["'", '"']))
def test_a_tag_on_quoted_text_is_read_like_the_same_tag_on_plain_text(tag, text, quote):
    """`!!float '0.55'` means what `!!float 0.55` means: a quoted scalar's explicit tag gets the same checks."""
    plain = _read(f"{tag} {text}") if text else _read(f"{tag} ''")
    quoted = _read(f"{tag} {quote}{text}{quote}")
    assert plain == quoted


@pytest.mark.parametrize("written,code", [("!!float '.nan'", "Q161"), ("!!float '1e400'", "Q160"),
                                          ("!!int '0x37'", "Q160"), ("!!int '067'", "Q160"),
                                          ("!!bool 'yes'", "Q160"), ("!!float '1e-320'", "Q160"),
                                          ("!!timestamp '2017-9-3'", "Q160")])
def test_explicitly_tagged_quoted_numbers_are_refused_with_a_code(written, code):
    """A non-finite, hexadecimal or octal number hidden in quotes under a tag is refused, not converted."""
    assert [code] == _read(written)


def test_a_tagged_quoted_decimal_is_exact():
    """`!!float '0.55'` is the exact decimal 0.55, not the binary double nearest to it."""
    from decimal import Decimal

    assert Decimal("0.55") == _read("!!float '0.55'")
    assert isinstance(_read("!!float '0.55'"), Decimal)


# ---- names in a ruleset are ASCII and end where they seem to ---------------------------------------

_BASE = """\
ruleset: t
term: 2017-2018
version: 1.0.0
title: {zh: 测试, en: test}
sources:
  - {id: N, title: {zh: 通知, en: notice}}
parameters:
  min: {value: 6}
rules:
  - id: basic.x
    title: {zh: 甲, en: a}
    severity: required
    citation: {source: N, clause: '1', text: t}
    when: members.total >= params.min
"""

_NAMES = [("ruleset: t", 'ruleset: "t\\n"'), ("ruleset: t", 'ruleset: "t\\r"'),
          ("- id: basic.x", '- id: "basic.x\\n"'), ("  min: {value: 6}", '  "min\\n": {value: 6}'),
          ("term: 2017-2018", "term: ２０１７-２０１８")]


@pytest.mark.parametrize("old,new", _NAMES, ids=[n[1] for n in _NAMES])
def test_a_name_with_a_trailing_line_break_or_non_ascii_digits_is_refused(tmp_path, old, new):
    """Ruleset ids, rule ids, parameter names and terms match their pattern in full, in ASCII."""
    import qnwmh_rules
    from qnwmh_rules import RulesetError

    text = _BASE.replace(old, new)
    assert text != _BASE
    path = tmp_path / "r.yaml"  # not in a term folder: only the patterns can refuse the term
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesetError) as caught:
        qnwmh_rules.load_ruleset(path, backend="python")
    assert caught.value.code.startswith("Q1")


@pytest.mark.parametrize("digits", ["５", "٣", "1٠", "১০"])
def test_a_condition_reads_only_ascii_digits(tmp_path, digits):
    """`members.total >= 1٠` (an Arabic-Indic zero that looks like a point) is a syntax error, not 10."""
    import qnwmh_rules
    from qnwmh_rules import RulesetError

    path = tmp_path / "r.yaml"
    path.write_text(_BASE.replace("params.min", digits), encoding="utf-8")
    with pytest.raises(RulesetError) as caught:
        qnwmh_rules.load_ruleset(path, backend="python")
    first_foreign = next(i for i, c in enumerate(digits) if c not in "0123456789")
    assert "0-9" in str(caught.value)
    assert ("Q200", 14, 28 + first_foreign) == (caught.value.code, caught.value.line, caught.value.col)


# ---- a path the operating system cannot take ------------------------------------------------------

_UNUSABLE = ["national\0.yaml", "a" * 300 + ".yaml", "a/" * 3000 + "x.yaml"]


@pytest.mark.parametrize("target", _UNUSABLE, ids=["nul", "long name", "long path"])
@pytest.mark.parametrize("backend", ["durable", "python"])
def test_inherits_naming_an_unusable_path_is_a_q165(tmp_path, target, backend):
    """A NUL byte or a name too long for the OS is Q165 at the `inherits:` line, not a ValueError/OSError."""
    import qnwmh_rules
    from qnwmh_rules import RulesetError

    folder = tmp_path / "2017-2018"
    folder.mkdir()
    text = _BASE.replace("version: 1.0.0\n", f'version: 1.0.0\ninherits: "{target}"\n'.replace("\0", "\\0"))
    (folder / "o.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RulesetError) as caught:
        qnwmh_rules.load_ruleset(folder / "o.yaml", backend=backend)
    assert ("Q165", 4) == (caught.value.code, caught.value.line)


@pytest.mark.parametrize("target", _UNUSABLE, ids=["nul", "long name", "long path"])
@pytest.mark.parametrize("key", ["ruleset", "base"])
def test_a_cases_file_naming_an_unusable_path_is_a_q165(tmp_path, key, target):
    """The same for a cases file's `ruleset:` and `base:`."""
    from qnwmh_rules import RulesetError
    from qnwmh_rules._cases import read_cases

    (tmp_path / "r.yaml").write_text(_BASE, encoding="utf-8")
    target = target.replace(".yaml", ".json") if key == "base" else target
    values = {"ruleset": "r.yaml", "base": None, key: target}
    text = "".join(f'{k}: "{v}"\n'.replace("\0", "\\0") for k, v in values.items() if v) + \
        "cases:\n  - name: a\n    facts: {id: x}\n    expect: {outcome: undetermined}\n"
    (tmp_path / "r.cases.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RulesetError) as caught:
        read_cases(tmp_path / "r.cases.yaml")
    assert ("Q165", list(values).index(key) + 1) == (caught.value.code, caught.value.line)


# ---- durable's limit on and/or groups (error 113) holds on both backends -----------------------------

def _honor_rounds(k, first):
    return " or ".join(f'h.round == "20{first + i:02d}-20{first + i + 1:02d}"' for i in range(k))


_TOO_MANY_GROUPS = [
    f"any(h in honors, {_honor_rounds(7, 10)}) or any(h in honors, {_honor_rounds(7, 30)})",
    f"(members.total >= 6 or members.total <= 2) and any(h in honors, {_honor_rounds(12, 10)})",
]


@pytest.mark.parametrize("when", _TOO_MANY_GROUPS, ids=["two anys of 7", "or and an any of 12"])
@pytest.mark.parametrize("backend", ["durable", "python"])
def test_a_condition_durable_refuses_with_error_113_is_q306_on_both_backends(tmp_path, when, backend):
    """An `or` of 14 any(...) branches was refused only by the durable probe: the python backend loaded it."""
    import qnwmh_rules
    from qnwmh_rules import RulesetError

    path = tmp_path / "r.yaml"
    path.write_text(_BASE.replace("when: members.total >= params.min", f"when: '{when}'"), encoding="utf-8")
    with pytest.raises(RulesetError) as caught:
        qnwmh_rules.load_ruleset(path, backend=backend, probe_durable=False)
    assert ("Q306", 14) == (caught.value.code, caught.value.line)
    assert "and`/`or` groups" in str(caught.value)


def _wide_conditions():
    from .test_fuzz import conditions

    return st.recursive(conditions, lambda inner: st.lists(inner, min_size=2, max_size=6).map(
        lambda xs: " or ".join(f"({x})" for x in xs)), max_leaves=4)


@pytest.mark.durable
@given(when=_wide_conditions())
def test_the_static_group_count_is_what_durable_refuses(tmp_path_factory, when):
    """For any compiled condition, the static count refuses it exactly when durable_rules would (error 113)."""
    import json

    from qnwmh_rules import _check, _compile, _schema
    from qnwmh_rules._engine import refusals

    from .test_fuzz import HEAD_WITH_PARAMS
    from .test_ruleset_errors import rule

    path = tmp_path_factory.mktemp("groups") / "r.yaml"
    path.write_text(HEAD_WITH_PARAMS + rule(json.dumps(when, ensure_ascii=False)), encoding="utf-8")
    ruleset, where, errors = _schema.read_ruleset_file(path)
    ruleset, check_errors = _check.check_ruleset(ruleset, where)
    compiled, shape_errors = _compile.compile_ruleset(ruleset, where)
    for c in compiled if not (errors or check_errors or shape_errors) else ():
        static = _compile.expression_entries(c.condition) > _compile.MAX_EXPRESSION_ENTRIES
        refused = any("113" in message for _, message in refusals([c]))
        assert refused == static, c.condition


@pytest.mark.durable
@given(when=_wide_conditions())
def test_both_backends_refuse_the_same_conditions(tmp_path_factory, when):
    """A condition the durable backend refuses (probe included) the python backend refuses with the same codes."""
    import json

    import qnwmh_rules
    from qnwmh_rules import RulesetError

    from .test_fuzz import HEAD_WITH_PARAMS
    from .test_ruleset_errors import rule

    path = tmp_path_factory.mktemp("parity") / "r.yaml"
    path.write_text(HEAD_WITH_PARAMS + rule(json.dumps(when, ensure_ascii=False)), encoding="utf-8")
    codes = []
    for backend in ("durable", "python"):
        try:
            qnwmh_rules.load_ruleset(path, backend=backend)
        except RulesetError as exc:
            codes.append(sorted((e.code, e.line) for e in exc.errors))
        else:
            codes.append([])
    assert codes[0] == codes[1]


# ---- every decimal the loader accepts shows exactly as a JSON number ------------------------------

@given(sign=st.sampled_from(["", "-", "+"]), whole=st.one_of(st.just(0), st.integers(0, 10**16)),
       zeros=st.one_of(st.integers(0, 20), st.integers(300, 340)),
       digits=st.integers(0, 10**16))
def test_every_accepted_decimal_is_exact_as_a_json_number(sign, whole, zeros, digits):
    """A decimal the loader accepts is the same number once written as a JSON double (the verdict's params)."""
    from decimal import Decimal

    text = f"{sign}{whole}.{'0' * zeros}{digits}"
    read = _read(text)
    if isinstance(read, Decimal):
        assert read == Decimal(repr(float(read)))
    else:
        assert ["Q161"] == read


def test_a_decimal_of_400_places_is_refused_not_shown_as_zero():
    """`0.000…0001` with 400 zeros used to be compared exactly but shown as 0.0 in the verdict: Q161."""
    assert ["Q161"] == _read("0." + "0" * 400 + "123456789012345")
    assert ["Q161"] == _read("0.0000000000000001")
    from decimal import Decimal

    assert Decimal("0.000000000000001") == _read("0.000000000000001")


# ---- a character YAML does not accept is reported where it is --------------------------------------

@pytest.mark.parametrize("char", ["\0", "\x07", "\x1b", "\ufffe"])
def test_an_unacceptable_character_is_reported_at_its_line_and_column(char):
    """A NUL or control character on line 3 is Q001 at 3:col, not at 1:1 with a position in characters."""
    from qnwmh_rules import RulesetError

    with pytest.raises(RulesetError) as caught:
        load_text(f"a: 1\nb: 2\nc: x{char}y\n", "x.yaml")
    assert ("Q001", 3, 5) == (caught.value.code, caught.value.line, caught.value.col)
    assert "<unicode string>" not in str(caught.value)


# ---- nested arithmetic: both engines give the exact answer ------------------------------------------

def _exact_truth(condition, values, k):
    """The condition's truth in exact rational arithmetic (``params.k`` too), None when a fact is missing."""
    import re
    from fractions import Fraction

    if any(n.split(".")[1] not in values for n in re.findall(r"members\.\w+", condition)):
        return None
    expr = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])", r"F('\1')", condition)  # numbers, not digits of names
    expr = expr.replace("params.k", f"F('{k}')")
    expr = re.sub(r"members\.(\w+)", lambda m: f"F({values[m.group(1)]})", expr)
    return bool(eval(expr, {"F": Fraction}))  # noqa: S307 - a test oracle over text built just above


def test_the_oracle_reads_a_parameter_exactly():
    """The oracles themselves: 55 of 100 against params.k = 0.55 is true (a binary 0.55 would say false)."""
    from .test_exact_rulesets import exact

    for oracle in (_exact_truth, exact):
        assert oracle("members.aged_35_or_under >= members.total * params.k",
                      {"total": 100, "aged_35_or_under": 55}, "0.55") is True


_NESTED: dict = {}


@pytest.mark.durable
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cond=nested_number_conditions(), counts=st.lists(member_counts(), min_size=1, max_size=4))
def test_nested_arithmetic_is_exact_on_both_engines(tmp_path_factory, cond, counts):
    """Parentheses, negative constants, cancelling terms, `/ params.k`, a parameter of 0: both engines give
    the exact answer (absent facts: undetermined), or both refuse the ruleset with the same error."""
    import qnwmh_rules
    from qnwmh_rules import RulesetError

    when, k = cond
    if cond not in _NESTED:
        path = tmp_path_factory.mktemp("nested") / "r.yaml"
        path.write_text(_BASE.replace("  min: {value: 6}", f"  min: {{value: 6}}\n  k: {{value: {k}}}")
                        .replace("when: members.total >= params.min", f"when: '{when}'"), encoding="utf-8")
        loaded, refused = [], []
        for backend in ("durable", "python"):
            try:
                loaded.append(qnwmh_rules.load_ruleset(path, backend=backend))
            except RulesetError as exc:
                refused.append((exc.code, exc.line))
        assert len(refused) in (0, 2) and len(set(refused)) <= 1, refused
        assert all(code in ("Q305", "Q301") for code, _ in refused), refused
        _NESTED[cond] = tuple(loaded)
    for c in counts if _NESTED[cond] else ():
        want = {None: "undetermined", True: "passed", False: "failed"}[_exact_truth(when, c, k)]
        got = [e.evaluate({"id": "x", "members": c}).rule("basic.x").outcome for e in _NESTED[cond]]
        assert [want, want] == got, (when, k, c)


# ---- a long chain of `inherits:` ----------------------------------------------------------------------

def _chain(folder, links):
    """national.yaml and ``links`` overlays, each inheriting the one before; returns the last file."""
    import shutil
    from pathlib import Path

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(__file__).resolve().parent.parent / "rulesets" / "2017-2018" / "national.yaml", folder / "f0.yaml")
    for i in range(1, links + 1):
        (folder / f"f{i}.yaml").write_text(
            f"ruleset: gd{i}\nterm: 2017-2018\nversion: 1.0.{i}\nregion: guangdong\ntitle: {{zh: 甲, en: a}}\n"
            f"inherits: f{i - 1}.yaml\nsources: []\nrules: []\n", encoding="utf-8")
    return folder / f"f{links}.yaml"


@pytest.mark.parametrize("backend", ["durable", "python"])
def test_a_chain_of_1000_inherits_is_a_clean_ruleset_error(tmp_path, backend):
    """1,000 overlays each inheriting the one before ended in a RecursionError (exit 3 from check): Q164."""
    import qnwmh_rules
    from qnwmh_rules import RulesetError
    from qnwmh_rules._schema import MAX_INHERITS

    last = _chain(tmp_path / "2017-2018", 1000)
    with pytest.raises(RulesetError) as caught:
        qnwmh_rules.load_ruleset(last, backend=backend)
    assert ("Q164", 6) == (caught.value.code, caught.value.line)
    assert f"more than {MAX_INHERITS}" in str(caught.value)


def test_a_chain_at_the_limit_loads_and_one_more_is_refused(tmp_path):
    """MAX_INHERITS links load; one more is Q164 from `check` too, without a traceback."""
    import qnwmh_rules
    from qnwmh_rules import RulesetError
    from qnwmh_rules._schema import MAX_INHERITS
    from qnwmh_rules.cli import main

    folder = tmp_path / "2017-2018"
    assert f"gd{MAX_INHERITS}" == qnwmh_rules.load_ruleset(_chain(folder, MAX_INHERITS), backend="python").ruleset.id
    with pytest.raises(RulesetError):
        qnwmh_rules.load_ruleset(_chain(folder, MAX_INHERITS + 1), backend="python")
    assert 2 == main(["check", str(folder / f"f{MAX_INHERITS + 1}.yaml")])
