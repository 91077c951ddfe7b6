"""The facts schemas as data (issue 13 item 1-2), the per-type parsers (issue 12 item 6) and the
facts fast path and 周岁 arithmetic (issue 14 item 5)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules import FactsError, RulesetError, _facts_schema, facts
from qnwmh_rules._derive import age_in_full_years
from qnwmh_rules._moments import zone
from qnwmh_rules.cli import main

from .conftest import BACKENDS_HERE
from .strategies import edited_facts

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "rulesets" / "facts"
NEW_FACT = Path(__file__).parent / "data" / "new_fact"


# ---- item 2: a new fact needs no Python -----------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS_HERE)
def test_a_ruleset_reads_a_fact_declared_in_its_own_copy_of_the_schema(backend):
    """tests/data/new_fact adds indivisible_unit and staff.total to a copy of the schema; its rules read them."""
    engine = qnwmh_rules.load_ruleset(NEW_FACT / "ruleset.yaml", backend=backend)
    small = {"id": "X-1", "members": {"total": 3}, "indivisible_unit": True, "staff": {"total": 40}}
    too_big = {"id": "X-2", "members": {"total": 3}, "indivisible_unit": True, "staff": {"total": 400}}
    unknown = {"id": "X-3", "members": {"total": 3}}
    assert ("eligible", "ineligible", "undetermined") == tuple(engine.evaluate(d).outcome
                                                               for d in (small, too_big, unknown))
    assert ("indivisible_unit", "staff.total") == engine.evaluate(unknown).missing
    assert "collective_2023@1" == engine.ruleset.facts_schema


def test_the_new_fact_is_checked_as_its_schema_declares():
    """A value the copied schema refuses is a FactsError naming the new path."""
    engine = qnwmh_rules.load_ruleset(NEW_FACT / "ruleset.yaml", backend="python")
    with pytest.raises(FactsError) as exc:
        engine.evaluate({"id": "X", "indivisible_unit": "yes"})
    assert "indivisible_unit: expected true or false, got str 'yes'" == str(exc.value)


def test_the_copied_schema_is_the_shipped_one_plus_the_new_facts():
    """The test's schema differs from the shipped collective schema only by its name and the new facts."""
    shipped = _facts_schema.packaged_schema("collective@1")
    copy = _facts_schema.read_schema_file(NEW_FACT / "facts" / "collective_2023@1.facts.yaml")
    assert ["indivisible_unit", "staff.total"] == [p for p in copy.fields if p not in shipped.fields]
    assert shipped.fields == {p: s for p, s in copy.fields.items() if p in shipped.fields}
    assert {k: v for k, v in shipped.labels.items()} == {k: v for k, v in copy.labels.items() if k in shipped.labels}


def test_the_new_fact_is_unknown_to_a_ruleset_on_the_shipped_schema(tmp_path):
    """Without facts_schema the same rule is Q201: the fact is not in the shipped schema."""
    text = (NEW_FACT / "ruleset.yaml").read_text(encoding="utf-8").replace("facts_schema: collective_2023@1\n", "")
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RulesetError) as exc:
        qnwmh_rules.load_ruleset(tmp_path / "demo.yaml")
    assert ("Q201", 17) == (exc.value.code, exc.value.line)


def test_naming_the_shipped_schema_leaves_the_content_hash_as_it_was(tmp_path):
    """facts_schema: collective@1 written out is the default: the ruleset's hash (and its lock entry) stays."""
    text = (ROOT / "rulesets" / "2017-2018" / "national.yaml").read_text(encoding="utf-8")
    for name, header in (("named", "facts_schema: collective@1\n"), ("default", "")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "national.yaml").write_text(
            text.replace("facts_schema: collective@2\n", header, 1).replace("version: 2.0.2", "version: 9.0.0"),
            encoding="utf-8")
    named = qnwmh_rules.load_ruleset(tmp_path / "named" / "national.yaml", backend="python").ruleset
    default = qnwmh_rules.load_ruleset(tmp_path / "default" / "national.yaml", backend="python").ruleset
    assert (default.sha256, "collective@1") == (named.sha256, named.facts_schema)


def test_a_changed_copy_of_a_schema_changes_the_content_hash(tmp_path):
    """A ruleset reading its own schema hashes that schema's text: editing it changes the hash."""
    shutil.copytree(NEW_FACT, tmp_path / "nf")
    before = qnwmh_rules.load_ruleset(tmp_path / "nf" / "ruleset.yaml", backend="python").ruleset.sha256
    schema = tmp_path / "nf" / "facts" / "collective_2023@1.facts.yaml"
    schema.write_text(schema.read_text(encoding="utf-8").replace("staff_total_never", "x") + "\n# edited\n",
                      encoding="utf-8")
    after = qnwmh_rules.load_ruleset(tmp_path / "nf" / "ruleset.yaml", backend="python").ruleset.sha256
    assert before != after


_Q124 = [
    ("facts_schema: collective\n", "Q124 facts_schema must be written name@version, e.g. collective@1; "
                                   "got 'collective'"),
    ("facts_schema: collectiv@1\n", "Q124 facts_schema 'collectiv@1': no such schema (looked for "
                                    "facts/collectiv@1.facts.yaml beside the ruleset, in its rulesets tree and among "
                                    "the shipped ones) (did you mean 'collective@1'?)"),
    ("facts_schema: unit@1\n", "Q124 facts_schema unit@1 describes a unit, but the ruleset's subject is collective"),
    ("facts_schema: collective@9\n", "Q124 facts_schema 'collective@9': no such schema (looked for "
                                     "facts/collective@9.facts.yaml beside the ruleset, in its rulesets tree and "
                                     "among the shipped ones) (did you mean 'collective@2'?)"),
]


@pytest.mark.parametrize(("header", "expected"), _Q124)
def test_a_facts_schema_that_cannot_be_read_is_q124_at_the_header(tmp_path, header, expected):
    """A facts_schema header naming no schema, a malformed key or another subject's schema is Q124 at its line."""
    text = (NEW_FACT / "ruleset.yaml").read_text(encoding="utf-8").replace("facts_schema: collective_2023@1\n", header)
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RulesetError) as exc:
        qnwmh_rules.load_ruleset(tmp_path / "demo.yaml")
    assert f"{tmp_path / 'demo.yaml'}:6:15: {expected}" == str(exc.value)


def test_an_overlay_reads_the_schema_of_its_base(tmp_path):
    """An overlay without facts_schema reads its base's; naming another one is Q124."""
    shutil.copytree(NEW_FACT, tmp_path / "nf")
    overlay = tmp_path / "nf" / "overlay.yaml"
    overlay.write_text("ruleset: overlay\nterm: 2023-2024\nversion: 1.0.0\ninherits: ruleset.yaml\n"
                       "title: {zh: 覆盖, en: Overlay}\nparameters:\n  staff_max: {value: 30, source: N}\n",
                       encoding="utf-8")
    engine = qnwmh_rules.load_ruleset(overlay, backend="python")
    assert ("collective_2023@1", "ineligible") == (engine.ruleset.facts_schema, engine.evaluate(
        {"id": "X", "members": {"total": 3}, "indivisible_unit": True, "staff": {"total": 40}}).outcome)
    overlay.write_text(overlay.read_text(encoding="utf-8") + "facts_schema: collective@1\n", encoding="utf-8")
    with pytest.raises(RulesetError) as exc:
        qnwmh_rules.load_ruleset(overlay)
    assert "Q124 facts_schema collective@1 differs from the inherited ruleset's (collective_2023@1)" in str(exc.value)


# ---- item 1: errors in a schema file point at file:line:col ---------------------------------------

_SCHEMA_MISTAKES = [
    ("    type: count\n    at_most: members.total\n    label: {zh: 35周岁以下成员人数",
     "    type: count\n    at_most: leader.birth_date\n    label: {zh: 35周岁以下成员人数",
     ":79:14: Q170 at_most of members.aged_35_or_under names leader.birth_date of type date; it must be count"),
    ("  members.total:\n    type: count\n", "  members.total:\n    type: counter\n",
     ":74:11: Q170 unknown type 'counter' for members.total (did you mean 'count'?)"),
    ("    label: {zh: 集体名称, en: the collective's name}\n", "    label: {zh: 集体名称}\n",
     ":44:12: Q170 the label of name needs 'en'"),
    ("      national: {zh: 全国, en: national}\n", "      national: {zh: 全国, en: ' national'}\n",
     ":101:30: Q170 the label of honors[].level = national en must be a text without spaces around it, got a text"),
    ("  leader:\n    label: {zh: 号长, en: the 号长 (leader)}\n", "",
     ":14:3: Q170 the list or object 'leader' has no label: add it under groups"),
    ("facts_schema: collective\n", "facts_schema: collectives\n",
     ":5:15: Q170 the schema collectives@1 is in a file named 'collective@1.facts.yaml'; its file is named "
     "'collectives@1.facts.yaml' (rename the file or correct facts_schema and version)"),
    ("  text: 1000  #", "  text: 100000  #",
     ":12:9: Q170 limits.text must be a whole number from 1 to 1000, got 100000"),
    ("    required_unless: {review.status: pending}\n", "    required_unless: {review.status: later}\n",
     ":152:38: Q170 required_unless: 'later' is not a value of review.status"),
]


@pytest.mark.parametrize(("old", "new", "expected"), _SCHEMA_MISTAKES)
def test_a_mistake_in_a_schema_file_is_q170_at_its_position(tmp_path, old, new, expected):
    """A wrong type, label, constraint, group, name or limit in a schema file is Q170 at file:line:col."""
    text = (SCHEMAS / "collective@1.facts.yaml").read_text(encoding="utf-8")
    assert 1 == text.count(old)
    path = tmp_path / "collective@1.facts.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(RulesetError) as exc:
        _facts_schema.read_schema_file(path)
    assert f"{path}{expected}" == str(exc.value)


def test_check_reports_a_schema_mistake_and_the_ruleset_that_reads_it(tmp_path, capsys):
    """qnwmh-rules check on a folder checks its facts schemas too; a ruleset reading a broken one reports it."""
    shutil.copytree(NEW_FACT, tmp_path / "nf")
    schema = tmp_path / "nf" / "facts" / "collective_2023@1.facts.yaml"
    schema.write_text(schema.read_text(encoding="utf-8").replace("type: bool", "type: boolean"), encoding="utf-8")
    assert 2 == main(["check", str(tmp_path / "nf")])
    problem = f"{schema}:152:11: Q170 unknown type 'boolean' for indivisible_unit (did you mean 'bool'?)"
    assert [problem, problem] == capsys.readouterr().out.splitlines()


def test_check_passes_the_shipped_facts_schemas(capsys):
    """The shipped schemas are checked by check and have no problems."""
    assert 0 == main(["check", str(SCHEMAS)])
    assert "checked 0 ruleset file(s) and 5 facts schema file(s): no problems" in capsys.readouterr().err


# ---- item 1: the label API ------------------------------------------------------------------------

def test_labels_of_paths_values_and_regions_in_both_languages():
    """facts_schema(subject).label / value_label / description and region_name give the declared texts."""
    c, u = facts.facts_schema("collective"), facts.facts_schema("unit")
    assert ("号长出生日期", "the 号长's (leader's) date of birth") == (c.label("leader.birth_date", "zh"),
                                                                c.label("leader.birth_date", "en"))
    assert ("部级", "ministerial") == (c.value_label("honors[].level", "ministerial", "zh"),
                                       c.value_label("honors[].level", "ministerial", "en"))
    assert ("网络报备", "评选分配名额") == (c.label("filings"), u.label("quota"))
    assert "the day it was held" == u.description("activities[].date", "en")
    assert ("广东", "Guangdong", "新疆生产建设兵团") == (facts.region_name("guangdong"), facts.region_name(
        "guangdong", "en"), facts.region_name("xinjiang_bingtuan", "zh"))


def test_every_path_list_group_and_enum_value_has_a_zh_and_an_en_label():
    """Every field path, list, object group and enum value of the shipped schemas has both labels; regions too."""
    for subject in ("collective", "unit"):
        s = facts.facts_schema(subject)
        paths = list(s.fields) + sorted(_facts_schema._groups_of(s.fields))
        assert [] == [p for p in paths if not (s.label(p, "zh") and s.label(p, "en"))]
        assert [] == [p for p in s.fields if not (s.description(p, "zh") and s.description(p, "en"))]
        assert [] == [(p, v) for p, spec in s.fields.items() for v in spec.values
                      if not (s.value_label(p, v, "zh") and s.value_label(p, v, "en"))]
    assert 35 == len([c for c in facts.REGIONS if facts.region_name(c, "zh") and facts.region_name(c, "en")])


def test_a_label_asked_in_another_language_or_for_an_unknown_path_is_refused():
    """lang is zh or en; an unknown path is a KeyError."""
    with pytest.raises(ValueError, match="lang must be zh or en, got 'fr'"):
        facts.facts_schema().label("name", "fr")
    with pytest.raises(KeyError):
        facts.facts_schema().label("members.totl")


def test_the_shipped_ruleset_reads_the_shipped_schema(tmp_path):
    """A ruleset without facts_schema reads the shipped one of its subject (unit@1); the shipped unit ruleset
    names unit@2, which has the same facts as unit@1 with the reviewed labels."""
    text = (ROOT / "rulesets" / "2017-2018" / "unit.yaml").read_text(encoding="utf-8")
    (tmp_path / "unit.yaml").write_text(text.replace("facts_schema: unit@2\n", ""), encoding="utf-8")
    rs = qnwmh_rules.load_ruleset(tmp_path / "unit.yaml", backend="python").ruleset
    assert ("unit@1", facts.SUBJECTS["unit"]) == (rs.facts_schema, rs.facts)
    shipped = qnwmh_rules.load_ruleset(ROOT / "rulesets" / "2017-2018" / "unit.yaml", backend="python").ruleset
    assert ("unit@2", sorted(rs.facts.schema.fields)) == (shipped.facts_schema, sorted(shipped.facts.schema.fields))


def test_the_wheel_carries_every_schema_file():
    """pyproject's package-data globs for the rulesets match every file in rulesets/facts (so the wheel has them)."""
    import tomllib
    from pathlib import PurePosixPath

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = data["tool"]["setuptools"]["package-data"]["qnwmh_rules.rulesets"]
    files = [PurePosixPath(p.relative_to(ROOT / "rulesets").as_posix()) for p in sorted(SCHEMAS.iterdir())]
    assert [] == [str(f) for f in files if not any(f.match(g) and len(f.parts) == len(PurePosixPath(g).parts)
                                                   for g in globs)]
    assert 5 == len(files)


# ---- issue 12 item 6: one parser per type ---------------------------------------------------------

def test_there_is_one_parser_for_each_type_a_schema_may_declare():
    """facts._PARSERS covers exactly the types the schema reader accepts."""
    assert sorted(_facts_schema.TYPES) == sorted(facts._PARSERS)


# ---- issue 14 item 5: the fast path equals the full walker ----------------------------------------

def _outcome(fn):
    try:
        got = fn()
    except FactsError as exc:
        return ("error", exc.field, str(exc))
    return ("facts", got.values, got.lists, got.missing, got.canonical,
            {p: v.utcoffset() for p, v in got.values.items() if isinstance(v, dt.datetime)})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_facts())
def test_the_fast_path_gives_what_the_full_walker_gives(case):
    """On valid and oddly edited facts, parse_facts (fast path first) equals the full walker (value or same error)."""
    subject, tz, doc = case
    subj = facts.SUBJECTS[subject]
    full = _outcome(lambda: facts._full_parse(doc, subj, zone(tz), tz))
    assert full == _outcome(lambda: facts.parse_facts(doc, tz=tz, subject=subject))
    fast = facts._fast_parse(doc, subj, zone(tz), tz)
    if fast is not None:  # what the fast path accepts, the full walker accepts with the same values
        assert full == _outcome(lambda: fast)


def test_the_fast_path_takes_the_usual_documents():
    """The shipped examples and a usual collective are read by the fast path (not only by the fallback)."""
    doc = {"id": "A", "members": {"total": 10, "aged_35_or_under": 8}, "leader": {"birth_date": "1990-01-02"},
           "filings": [{"channel": {"kind": "locality", "unit": "团省委"}, "submitted_at": "2017-06-20T10:15:00",
                        "review": {"status": "approved", "at": "2017-06-21T09:00:00+08:00"}}]}
    got = facts._fast_parse(doc, facts.SUBJECTS["collective"], zone("Asia/Shanghai"), "Asia/Shanghai")
    assert got is not None
    assert "2017-06-20T10:15:00+08:00" == got.canonical["filings"][0]["submitted_at"]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_facts())
def test_a_subject_pickles_with_its_prepared_fast_path(case):
    """A Subject sent to a worker process (pickled, with its fast parsers bound per field) parses as the original."""
    import pickle

    subject, tz, doc = case
    subj = facts.SUBJECTS[subject]
    copy = pickle.loads(pickle.dumps(subj))
    assert _outcome(lambda: facts.parse_facts(doc, tz=tz, subject=subj)) == \
        _outcome(lambda: facts.parse_facts(doc, tz=tz, subject=copy))


# ---- issue 14 item 5: 周岁 by arithmetic ----------------------------------------------------------

_DAYS = st.one_of(st.dates(dt.date(1900, 1, 1), dt.date(2199, 12, 31)),
                  st.sampled_from([dt.date(2000, 2, 29), dt.date(1996, 2, 29), dt.date(2017, 2, 28),
                                   dt.date(2017, 3, 1), dt.date(2016, 2, 29), dt.date(2000, 12, 31)]))


@settings(max_examples=1000, deadline=None)
@given(_DAYS, _DAYS, st.sampled_from(["on_birthday", "day_after_birthday"]))
def test_age_by_arithmetic_equals_relativedelta(birth, at, completes):
    """age_in_full_years equals relativedelta's years on any two days, 29 February included, both ways of completing."""
    moved = at - dt.timedelta(days=1) if completes == "day_after_birthday" else at
    assert relativedelta(moved, birth).years == age_in_full_years(birth, at, completes)


def test_a_29_february_birthday_completes_on_28_february_in_common_years():
    """Born 2000-02-29: 17 on 2017-02-28 (on_birthday), on 2017-03-01 counting from the day after."""
    born = dt.date(2000, 2, 29)
    assert (16, 17, 16, 17) == (age_in_full_years(born, dt.date(2017, 2, 27)),
                                age_in_full_years(born, dt.date(2017, 2, 28)),
                                age_in_full_years(born, dt.date(2017, 2, 28), "day_after_birthday"),
                                age_in_full_years(born, dt.date(2017, 3, 1), "day_after_birthday"))


def test_a_schema_reached_through_a_symbolic_link_is_refused_like_an_inherited_file(tmp_path):
    """facts/ may not be a symbolic link (Q165 at the header), as for inherits; a schema that is not UTF-8 is Q011."""
    shutil.copytree(NEW_FACT, tmp_path / "nf")
    (tmp_path / "nf" / "facts").rename(tmp_path / "elsewhere")
    (tmp_path / "nf" / "facts").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(RulesetError) as exc:
        qnwmh_rules.load_ruleset(tmp_path / "nf" / "ruleset.yaml")
    assert ("Q165", 6) == (exc.value.code, exc.value.line)
    assert "goes through a symbolic link (facts)" in exc.value.message
    (tmp_path / "nf" / "facts").unlink()
    (tmp_path / "nf" / "facts").mkdir()
    (tmp_path / "nf" / "facts" / "collective_2023@1.facts.yaml").write_bytes(b"facts_schema: \xff\n")
    with pytest.raises(RulesetError) as exc:
        qnwmh_rules.load_ruleset(tmp_path / "nf" / "ruleset.yaml")
    assert ("Q011", str(tmp_path / "nf" / "facts" / "collective_2023@1.facts.yaml")) == (exc.value.code,
                                                                                           exc.value.path)
