"""The benchmark scripts keep working: a library change that breaks one (a fact it generates is
refused, an import moved) fails here instead of going unnoticed until the next measurement."""

from __future__ import annotations

import importlib.util
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qnwmh_rules import FactsError
from qnwmh_rules._api import load_ruleset_cached

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
sys.path.insert(0, str(BENCH))

from bench_core import make_facts  # noqa: E402

_NATIONAL = ROOT / "rulesets" / "2017-2018" / "national.yaml"


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), i=st.integers(0, 9_999_999))
def test_every_generated_benchmark_collective_is_valid_facts(seed: int, i: int) -> None:
    """The benchmark corpus holds only valid collectives: a refused one would stop every benchmark."""
    doc = make_facts(random.Random(seed), i)
    engine = load_ruleset_cached(_NATIONAL, backend="python")
    try:
        verdict = engine.evaluate(doc)
    except FactsError as exc:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"bench_core.make_facts(Random({seed}), {i}) is refused: {exc}")
    assert verdict.outcome in ("eligible", "ineligible", "undetermined")


# Each script with the smallest arguments that still run every part of it, and a line its output must hold.
_RUNS = [
    (["bench_all.py", "--n", "20", "--rounds", "1", "--batch-n", "20", "--batch-rounds", "1"], "SUMMARY"),
    pytest.param(["bench_core.py", "--n", "20", "--rounds", "1", "--soak", "0", "--profile", "0"], "verdicts/s",
                 marks=pytest.mark.durable),  # the durable facade against bare durable: nothing to run without it
    (["bench_facts.py", "--n", "20", "--rounds", "1"], "µs/doc"),
    (["bench_peers.py", "--n", "20", "--rounds", "1"], "floor"),
    (["bench_batch.py", "--n", "20", "--rounds", "1"], "/s"),
    (["bench_audit.py", "--n", "20"], "entries"),
    (["soak.py", "--verdicts", "20", "--loads", "2", "--failures", "2", "--replays", "2", "--samples", "2"],
     "verdicts"),
]


@pytest.mark.parametrize(("argv", "expected"), _RUNS,
                         ids=[(r.values if hasattr(r, "values") else r)[0][0] for r in _RUNS])
def test_each_benchmark_script_runs_to_the_end(argv: list[str], expected: str) -> None:
    """Each script in benchmarks/ exits 0 on a tiny run and prints its figures (bench_peers, which compares
    with the peer engines only, says how to install them and exits 1 where none is installed, as in CI)."""
    done = subprocess.run([sys.executable, str(BENCH / argv[0]), *argv[1:]], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    if argv[0] == "bench_peers.py" and not _PEERS_HERE:
        expected_rc, expected, text = 1, "no peer engine is installed; install them with: pip install", done.stderr
    else:
        expected_rc, text = 0, done.stdout
    assert (expected_rc, True) == (done.returncode, expected in text), done.stdout[-2000:] + done.stderr[-2000:]


# whether any peer engine of bench_peers imports here (zen-engine, rule-engine, panzi-json-logic)
_PEERS_HERE = any(importlib.util.find_spec(m) is not None for m in ("zen", "rule_engine", "json_logic"))
