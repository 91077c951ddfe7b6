"""Break tests of session 20's work (issue 14 and the lead's changes): each kind found by attacking it."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qnwmh_rules import FactsError, load_ruleset, parse_facts
from qnwmh_rules import facts as facts_module
from qnwmh_rules._api import durable_available
from qnwmh_rules._diff import diff_rulesets
from qnwmh_rules._facts_schema import packaged_schema
from qnwmh_rules._schema import wording_sha256
from qnwmh_rules.cli import main
from qnwmh_rules.verdict import Verdict

from .shipped import RULESETS_DIR, shipped
from .strategies import collectives
from .test_diff_complete import assert_diff_lists_a_change_iff_it_moved

ROOT = Path(__file__).resolve().parent.parent
_FILES = [p.relative_to(RULESETS_DIR).as_posix() for p in shipped("ruleset")]


def _containers(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of every list or mapping of two or more entries in a YAML document."""
    here = [path] if isinstance(node, (dict, list)) and len(node) > 1 else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    return here + [p for k, v in items for p in _containers(v, (*path, k))]


def _texts(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of every text holding a space in a YAML document (but its version and free description)."""
    if isinstance(node, dict):
        return [p for k, v in node.items() if path or k not in ("version", "description")
                for p in _texts(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _texts(v, (*path, i))]
    return [path] if isinstance(node, str) and " " in node else []


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _reordered(node: Any, i: int, j: int) -> Any:
    """``node`` (a list or mapping) with its entries ``i`` and ``j`` swapped."""
    entries = list(node.items()) if isinstance(node, dict) else list(node)
    entries[i], entries[j] = entries[j], entries[i]
    return dict(entries) if isinstance(node, dict) else entries


def _respaced(text: str, how: int) -> str:
    """``text`` with the same words and other spacing: a space doubled, a newline for a space, a space at its end."""
    at = text.index(" ")
    return [text[:at] + "  " + text[at:], text[:at] + "\n" + text[at + 1:], text + " "][how % 3]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.filter_too_much])
@given(rel=st.sampled_from(_FILES), data=st.data())
def test_a_reordered_or_respaced_ruleset_is_never_reported_without_differences(tmp_path_factory, rel, data):
    """Swap two entries of any list or mapping of a shipped ruleset, or respace any text: whenever the
    content hash or the findings' wording moved (a released version would be refused, Q130), ``diff``
    lists a change; when neither did, it lists none."""
    root = tmp_path_factory.mktemp("d") / "rulesets"
    shutil.copytree(RULESETS_DIR, root, ignore=shutil.ignore_patterns("releases.lock"))
    path = root / rel
    before = load_ruleset(path, backend="python").ruleset
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if data.draw(st.booleans(), label="reorder"):
        where = data.draw(st.sampled_from(_containers(doc)))
        node = _at(doc, where)
        i, j = data.draw(st.lists(st.integers(0, len(node) - 1), min_size=2, max_size=2, unique=True))
        new = _reordered(node, i, j)
    else:
        where = data.draw(st.sampled_from(_texts(doc)))
        new = _respaced(_at(doc, where), data.draw(st.integers(0, 2)))
    if where:
        _at(doc, where[:-1])[where[-1]] = new
    else:
        doc = new
    assert_diff_lists_a_change_iff_it_moved(before, path, doc)


def _copy(tmp_path: Path, rel: str) -> Path:
    root = tmp_path / "rulesets"
    shutil.copytree(RULESETS_DIR, root, ignore=shutil.ignore_patterns("releases.lock"))
    return root / rel


def test_two_rules_swapped_show_as_a_change_of_the_rules_order(tmp_path: Path):
    """The attack's example: the national ruleset with its first two rules swapped (hash moved) names the new order."""
    path = _copy(tmp_path, "2017-2018/national.yaml")
    before = load_ruleset(path, backend="python").ruleset
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["rules"][:2] = doc["rules"][1::-1]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    after = load_ruleset(path, backend="python").ruleset
    ids = [r.id for r in before.rules]
    expected = [("ruleset", "changed", "national", "rules (order)", ids, [ids[1], ids[0], *ids[2:]])]
    assert expected == [(c.what, c.how, c.id, c.field, c.old, c.new) for c in diff_rulesets(before, after)]


def test_a_condition_respaced_shows_as_a_change_of_its_spacing(tmp_path: Path):
    """The attack's example: a rule's condition with a space doubled (hash moved) shows old and new as written."""
    path = _copy(tmp_path, "2017-2018/national.yaml")
    before = load_ruleset(path, backend="python").ruleset
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    rule = doc["rules"][0]
    old = rule["when"]
    rule["when"] = old.replace(" ", "  ", 1)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    after = load_ruleset(path, backend="python").ruleset
    expected = [("rule", "changed", rule["id"], "condition (spacing)", before.rules[0].when, rule["when"])]
    assert expected == [(c.what, c.how, c.id, c.field, c.old, c.new) for c in diff_rulesets(before, after)]


def test_a_changed_derived_fact_whose_where_reads_a_window_is_shown_in_the_text_report(tmp_path: Path, capsys):
    """`diff` on a derived count whose `where` changed (it reads a date window) printed `internal error
    (TypeError: date is not JSON serializable)`, exit 3: now the change is listed, exit 0."""
    path = _copy(tmp_path, "2017-2018/national.yaml")
    text = path.read_text(encoding="utf-8")
    where = "where: item.submitted_at in params.single_channel_window"
    path.write_text(text.replace(where, where + ' and item.channel.kind == "industry"'), encoding="utf-8")
    code = main(["diff", str(RULESETS_DIR / "2017-2018/national.yaml"), str(path)])
    out = capsys.readouterr().out
    assert (0, True) == (code, '"start": "2015-10-01"' in out and "deriveds changed:" in out)


# ---- a verdict never changes after evaluation, whatever the caller does with what it was given or returned ----

_ENGINES: dict[str, Any] = {}


def _engine(backend: str) -> Any:
    if backend not in _ENGINES:
        _ENGINES[backend] = load_ruleset(RULESETS_DIR / "2017-2018/national.yaml", backend=backend)
    return _ENGINES[backend]


def _scramble(node: Any) -> None:
    """Change every list and mapping reachable from ``node`` in place (values replaced, an entry added)."""
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if isinstance(value, (dict, list)):
                _scramble(value)
            else:
                node[key] = "EVIL"
        node["evil"] = 1
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, (dict, list)):
                _scramble(value)
            else:
                node[i] = "EVIL"
        node.append("EVIL")


_BACKENDS = ["python", *(["durable"] if durable_available() else [])]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=collectives(), backend=st.sampled_from(_BACKENDS), first=st.sampled_from(["rules", "to_dict", "none"]))
def test_changing_what_to_dict_returned_never_changes_the_verdict(doc, backend, first):
    """Every list and mapping of ``to_dict()`` changed in place, after reading the rules, ``to_dict`` or nothing
    first: the verdict's JSON, stamp (its facts hash), ``to_dict`` and equality stay those of a fresh verdict of
    the same facts. (The values of list facts were the facts' canonical document itself, shared by every rule
    that shows them: the stamp hashed what the caller had changed.)"""
    engine = _engine(backend)
    reference = engine.evaluate(copy.deepcopy(doc))
    expected = (reference.to_json(), reference.stamp, reference.to_dict())
    verdict = engine.evaluate(copy.deepcopy(doc))
    if first == "rules":
        _ = verdict.rules
    elif first == "to_dict":
        _scramble(verdict.to_dict())
    _scramble(verdict.to_dict())
    assert expected == (verdict.to_json(), verdict.stamp, verdict.to_dict())
    assert reference == verdict


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=collectives(), backend=st.sampled_from(_BACKENDS), stamp_first=st.booleans())
def test_changing_a_rules_values_never_changes_the_stamp_nor_the_other_rules(doc, backend, stamp_first):
    """Every list and mapping of one rule's ``values`` changed in place (before or after the stamp is read): the
    stamp (its facts hash), the JSON and every other rule's values stay those of a fresh verdict."""
    engine = _engine(backend)
    reference = engine.evaluate(copy.deepcopy(doc))
    verdict = engine.evaluate(copy.deepcopy(doc))
    if stamp_first:
        _ = verdict.stamp
    rules = verdict.rules
    shows_lists = [i for i, r in enumerate(rules) if any(isinstance(v, list) for _, v in r.values)]
    for i in shows_lists[:1]:
        for _, value in rules[i].values:
            _scramble(value)
    others = [r.values for i, r in enumerate(rules) if i not in shows_lists[:1]]
    expected = [r.values for i, r in enumerate(reference.rules) if i not in shows_lists[:1]]
    assert (reference.to_json(), reference.stamp, expected) == (verdict.to_json(), verdict.stamp, others)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=collectives())
def test_changing_the_document_a_verdict_was_read_from_never_changes_it(doc):
    """``Verdict.from_dict(d)`` then every list and mapping of ``d`` changed in place: the verdict read is unchanged."""
    text = _engine("python").evaluate(copy.deepcopy(doc)).to_json()
    given_doc = json.loads(text)
    verdict = Verdict.from_dict(given_doc)
    _scramble(given_doc)
    assert text == verdict.to_json()


# ---- a stamp's as_of: unset is None only ----

_FALSY = ["", [], {}, 0, False, 0.0]


def _verdict_file(tmp_path: Path, as_of: Any) -> tuple[Path, Path]:
    facts = json.loads((RULESETS_DIR / "examples/collective-gd-0001.json").read_text(encoding="utf-8"))
    doc = _engine("python").evaluate(facts).to_dict()
    doc["stamp"]["as_of"] = as_of
    f, g = tmp_path / "v.json", tmp_path / "facts.json"
    f.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    g.write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    return f, g


@pytest.mark.parametrize("as_of", _FALSY, ids=repr)
def test_explain_refuses_a_stamp_as_of_that_is_empty_but_not_null(tmp_path, capsys, as_of):
    """A hand-edited stamp.as_of of "", [], {}, 0, false or 0.0 was read as unset (the note said no moment was
    given): it is refused with one line naming stamp.as_of (exit 2), as any other unreadable moment."""
    f, _ = _verdict_file(tmp_path, as_of)
    code = main(["explain", str(f), "--lang", "zh"])
    out = capsys.readouterr()
    assert (2, "", 1, True) == (code, out.out, len(out.err.splitlines()), "stamp.as_of" in out.err)


@pytest.mark.parametrize("as_of", ["", [], 0, False, "明天", "2017-13-01"], ids=repr)
def test_replay_names_a_bad_stamp_as_of_not_an_option(tmp_path, capsys, as_of):
    """`replay` of a verdict whose stamp.as_of is not a moment said `bad option --as-of` (replay has no such
    option): the line names stamp.as_of."""
    f, g = _verdict_file(tmp_path, as_of)
    code = main(["replay", str(f), "--facts", str(g)])
    err = capsys.readouterr().err
    assert (2, 1, True, False) == (code, len(err.splitlines()), "stamp.as_of" in err, "--as-of" in err)


# ---- batch: the batch's process killed outright (SIGKILL, the out-of-memory killer) ----


@pytest.mark.parametrize("workers", ["2", "3"])
def test_a_batch_killed_outright_leaves_no_worker_traceback_on_the_terminal(tmp_path, workers):
    """SIGKILL to the batch's process while its workers evaluate: each worker's next result met a broken pipe and
    `multiprocessing` printed its traceback (BrokenPipeError, ~4 KB) on the shared terminal, every time; now the
    workers end quietly, and none outlives the batch."""
    records = tmp_path / "in.jsonl"
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_core import make_facts

    rng = random.Random(14)
    records.write_text("".join(json.dumps(make_facts(rng, i), ensure_ascii=False) + "\n" for i in range(40_000)),
                       encoding="utf-8")
    out = tmp_path / "out.jsonl"
    p = subprocess.Popen([sys.executable, "-m", "qnwmh_rules.cli", "batch", str(records), "-o", str(out),
                          "--workers", workers, "--backend", "python", "-q"], stderr=subprocess.PIPE,
                         start_new_session=True, cwd=ROOT)
    deadline = time.monotonic() + 60
    while (not out.exists() or out.stat().st_size < 200_000) and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.05)
    p.kill()
    try:
        err = p.communicate(timeout=30)[1]  # its end comes when the last worker holding stderr has gone
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
    assert (-signal.SIGKILL, b"") == (p.returncode, err)


def test_recording_a_released_versions_wording_shows_the_wording_hash(tmp_path, capsys):
    """`release` of a version an old lock (no `wording`) holds said `recorded the wording of: KEY sha256 <the
    content hash>`: the hash shown is now the wording's, the one it recorded."""
    path = _copy(tmp_path, "2017-2018/national.yaml")
    lock_path = path.parent.parent / "releases.lock"
    shutil.copy(RULESETS_DIR / "releases.lock", lock_path)
    lock = json.loads(lock_path.read_text(encoding="utf-8"))
    del lock["wording"], lock["wording_about"]
    lock_path.write_text(json.dumps(lock), encoding="utf-8")
    rs = load_ruleset(path, backend="python").ruleset
    assert 0 == main(["release", str(path)])
    expected = f"recorded the wording of: {rs.key} wording sha256 {wording_sha256(rs)} ({lock_path})\n"
    assert expected == capsys.readouterr().out


# ---- Facts read for another engine ----


def test_facts_read_in_another_time_zone_are_refused_not_evaluated():
    """``engine.evaluate(parse_facts(doc, tz="America/New_York"))`` on a ruleset read in Asia/Shanghai gave a verdict
    of other instants (naive times read in New York; 266 of 299 benchmark collectives differed): FactsError naming
    the two zones."""
    facts = parse_facts(json.loads((RULESETS_DIR / "examples/collective-gd-0001.json").read_text(encoding="utf-8")),
                        tz="America/New_York")
    with pytest.raises(FactsError) as exc:
        _engine("python").evaluate(facts)
    assert ("(facts)", True) == (exc.value.field, "America/New_York" in str(exc.value)
                                 and "Asia/Shanghai" in str(exc.value))


def test_facts_read_for_another_subject_are_refused_not_evaluated():
    """A unit's ``Facts`` given to a collective engine came out `undetermined` as if every fact were missing:
    FactsError, they are not this ruleset's facts (its facts schema has other paths)."""
    facts = parse_facts({"id": "U-1"}, subject="unit")
    with pytest.raises(FactsError) as exc:
        _engine("python").evaluate(facts)
    assert ("(facts)", True) == (exc.value.field, "another facts schema" in str(exc.value))


def test_facts_of_a_schema_with_the_same_paths_are_taken():
    """A collective's ``Facts`` read with collective@1 (the same paths and values as @2, other labels) are
    taken by a collective@2 engine, with the verdict of their document."""
    engine = _engine("python")
    doc = json.loads((RULESETS_DIR / "examples/collective-gd-0001.json").read_text(encoding="utf-8"))
    older = facts_module.Subject.of(packaged_schema("collective@1"))
    facts = parse_facts(doc, tz=engine.ruleset.time_zone, subject=older)
    assert engine.evaluate(doc).to_json() == engine.evaluate(facts).to_json()


def test_facts_parsed_for_the_engine_are_still_taken():
    """``Facts`` parsed with the engine's zone and facts schema give the verdict of their document."""
    engine = _engine("python")
    doc = json.loads((RULESETS_DIR / "examples/collective-gd-0001.json").read_text(encoding="utf-8"))
    facts = parse_facts(doc, tz=engine.ruleset.time_zone, subject=engine.ruleset.facts)
    assert engine.evaluate(doc).to_json() == engine.evaluate(facts).to_json()


# ---- what an engine keeps for a verdict's JSON stays bounded ----


def _peak_rss_kib() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def test_a_large_or_unusual_indent_is_written_but_not_kept_by_the_engine():
    """``to_json(indent=n)`` kept the engine's prepared fragments for every n asked for, for ever: 2,000 distinct
    indents kept ~16 GB, one indent of 200,000 ~1.7 GB (a service passing a client's indent through). Only the
    usual indents are prepared and kept; any other is written as ``json.dumps`` of ``to_dict`` (the same bytes)."""
    engine = load_ruleset(RULESETS_DIR / "2017-2018/national.yaml", backend="python")
    facts = json.loads((RULESETS_DIR / "examples/collective-gd-0001.json").read_text(encoding="utf-8"))
    verdict = engine.evaluate(facts)
    texts = {n: verdict.to_json(indent=n) for n in (None, 0, 1, 2, 4, 8, 9, 40, 3000)}
    before = _peak_rss_kib()
    for n in range(9, 400):
        verdict.to_json(indent=n)
    grown = _peak_rss_kib() - before
    expected = {n: json.dumps(verdict.to_dict(), ensure_ascii=False, sort_keys=True, indent=n) for n in texts}
    assert (expected, True) == (texts, grown < 50_000)
