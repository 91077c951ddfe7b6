"""Every throughput figure of issue 14 in one run: the floor, the peers, bare durable, the facade on
each backend (full verdict with ``to_json()``; outcome and missing only) and batch with 1 and 2 workers.

    .venv/bin/python benchmarks/bench_all.py            # about 3 minutes on 2 cores
    .venv/bin/python benchmarks/bench_all.py --n 300 --rounds 2 --batch-n 2000   # a smoke run

Per-rule agreement of every contender with the facade is checked first, on every collective (the run
stops on any disagreement). Verdicts/s are medians of interleaved rounds timed with this process's CPU
time (``time.process_time``: the machine is shared); "x floor" is the floor's rate over the
contender's (its cost per case in multiples of the hand-written predicates'). Batch runs in worker
processes, so it is timed with the wall clock and its figure is the speed-up from 1 to 2 workers.
A peer that is not installed is skipped with a printed line (``pip install zen-engine rule-engine
panzi-json-logic``); without durable_rules the durable rows are skipped. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench_core  # noqa: E402
from bench_batch import run as run_batch  # noqa: E402
from bench_core import interleaved_rates, make_facts  # noqa: E402
from bench_peers import (  # noqa: E402
    TERM,
    Params,
    _version,
    check_agreement,
    make_floor,
    make_peers,
    make_preprocess,
)

import qnwmh_rules  # noqa: E402
from qnwmh_rules import load_ruleset  # noqa: E402
from qnwmh_rules._api import durable_available  # noqa: E402
from qnwmh_rules._compile import encode_facts  # noqa: E402
from qnwmh_rules._derive import derive  # noqa: E402

#: The goals of issue 14, as multiples of the floor (python and durable) or as a speed-up (batch).
GOALS = {"python full": 25.0, "python outcome": 10.0, "durable full": 60.0, "batch 1->2 workers": 1.8}


def full(engine: Any) -> Callable[[Any], str]:
    """The full verdict, as a service sends it: evaluate, then its canonical JSON."""
    evaluate = engine.evaluate
    return lambda facts: evaluate(facts).to_json()


def outcome_only(engine: Any) -> Callable[[Any], tuple[str, tuple[str, ...]]]:
    """Only the outcome and the missing facts of the verdict (nothing else is built)."""
    evaluate = engine.evaluate

    def run(facts: Any) -> tuple[str, tuple[str, ...]]:
        v = evaluate(facts)
        return v.outcome, v.missing

    return run


def batch_speedup(corpus: list[dict[str, Any]], rounds: int) -> tuple[float, float]:
    """Median records/s (wall clock) of ``_batch.evaluate_lines`` with 1 and with 2 workers."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.jsonl"
        path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in corpus), encoding="utf-8")
        rates: dict[int, list[float]] = {1: [], 2: []}
        for r in range(rounds):
            for workers in ((1, 2) if r % 2 == 0 else (2, 1)):
                secs, n = run_batch(path, workers)
                if n != len(corpus):
                    raise SystemExit(f"batch returned {n} lines for {len(corpus)} records")
                rates[workers].append(n / secs)
            print(f"  batch round {r + 1}/{rounds}: 1 worker {rates[1][-1]:.0f}/s, "
                  f"2 workers {rates[2][-1]:.0f}/s", flush=True)
    return statistics.median(rates[1]), statistics.median(rates[2])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="collectives per timed round (default 2000)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds (default 5)")
    ap.add_argument("--seed", type=int, default=20170930, help="random seed of the generated facts")
    ap.add_argument("--batch-n", type=int, default=8000, help="records per batch run (0 skips batch)")
    ap.add_argument("--batch-rounds", type=int, default=3, help="batch rounds per worker count (default 3)")
    args = ap.parse_args(argv)
    if args.n < 1 or args.rounds < 1:
        ap.error("--n and --rounds must be at least 1")
    bench_core.CLOCK = time.process_time  # this process's CPU time: the machine is shared
    t_start = time.perf_counter()
    print(f"qnwmh_rules {qnwmh_rules.__version__} from {os.path.dirname(qnwmh_rules.__file__)}")
    print(f"python {platform.python_version()} ({platform.machine()}), cpus {os.cpu_count()}; "
          f"durable_rules {_version('durable_rules')}, zen-engine {_version('zen-engine')}, "
          f"rule-engine {_version('rule-engine')}, panzi-json-logic {_version('panzi-json-logic')}")
    print(f"n={args.n} rounds={args.rounds} seed={args.seed} clock=cpu; batch n={args.batch_n} "
          f"rounds={args.batch_rounds} clock=wall")

    py_engine = load_ruleset(term=TERM, backend="python")
    engine = load_ruleset(term=TERM, backend="durable") if durable_available() else None
    if engine is None:
        print("durable_rules does not import here: bare durable and facade/durable skipped")
    P = Params(py_engine)
    floor, pre = make_floor(P), make_preprocess(P)
    peers = make_peers(P)

    rng = random.Random(args.seed)
    corpus = [make_facts(rng, i) for i in range(args.n)]  # the collectives of bench_core and bench_peers
    docs = None
    if engine is not None:  # exactly what Engine.decide feeds fire()
        tz = engine.ruleset.time_zone
        docs = [encode_facts(p, derive(engine.ruleset, p), tz) for p in map(engine.parse, corpus)]
    check_agreement(engine or py_engine, py_engine, floor, pre, peers, corpus, docs)
    for d in corpus:  # the lazily built verdict and its fragment JSON are the eager ones (untimed check)
        v = py_engine.evaluate(d)
        if v.to_json() != json.dumps(v.to_dict(), ensure_ascii=False, sort_keys=True, indent=2):
            raise SystemExit(f"ABORT: {d['id']}: the verdict JSON from fragments differs from to_dict's")

    cases: dict[str, tuple[Callable[[Any], Any], list[Any]]] = {"floor": (floor, corpus)}
    for name, run in peers.items():
        cases[name.split(" ", 1)[1]] = ((lambda r: lambda d: r(pre(d)))(run), corpus)
    if engine is not None and docs is not None:
        cases["bare durable"] = (engine._durable.fire, docs)
        cases["facade/durable full"] = (full(engine), corpus)
        cases["facade/durable outcome"] = (outcome_only(engine), corpus)
    cases["facade/python full"] = (full(py_engine), corpus)
    cases["facade/python outcome"] = (outcome_only(py_engine), corpus)

    def report(rnd: int, rates: dict[str, list[float]]) -> None:
        print(f"  round {rnd + 1}/{args.rounds}: floor {rates['floor'][-1]:.0f}/s, "
              f"facade/python full {rates['facade/python full'][-1]:.0f}/s", flush=True)

    print(f"\nthroughput, {args.rounds} interleaved rounds of {args.n} verdicts (CPU time, order rotates):")
    rates, _ = interleaved_rates(cases, args.n, args.rounds, 0.1, report)
    med = {k: statistics.median(v) for k, v in rates.items()}
    one = two = None
    if args.batch_n:
        print(f"\nbatch: {args.batch_n} records through _batch.evaluate_lines (backend auto, wall clock):")
        batch_corpus = [make_facts(rng, 1_000_000 + i) for i in range(args.batch_n)]
        one, two = batch_speedup(batch_corpus, args.batch_rounds)

    fl = med["floor"]
    work = {
        "floor": "hand-written predicates: 9 x 3-valued outcome + verdict outcome",
        "zen expression": "9 booleans; one compiled expression (incl. shared preprocessing)",
        "zen JDM graph": "9 booleans; input->expression node->output (incl. preprocessing)",
        "json-logic": "9 booleans; one jsonLogic call (incl. preprocessing)",
        "rule-engine": "9 booleans; 9 Rule.matches (incl. preprocessing)",
        "bare durable": "fire() on pre-encoded documents only",
        "facade/durable full": "evaluate(facts).to_json()",
        "facade/durable outcome": "evaluate(facts): outcome and missing only",
        "facade/python full": "evaluate(facts).to_json()",
        "facade/python outcome": "evaluate(facts): outcome and missing only",
    }
    width = 104
    print("\n" + "=" * width)
    print(f"SUMMARY  national {TERM}, 9 rules, n={args.n}, {args.rounds} rounds; CPU-time medians (min..max)")
    print("-" * width)
    print(f"{'contender':24} {'verdicts/s':>11} {'(min..max)':>17} {'x floor':>8}  work per case")
    for name in cases:
        r = rates[name]
        print(f"{name:24} {med[name]:11.0f} {f'({min(r):.0f}..{max(r):.0f})':>17} {fl / med[name]:7.2f}x  "
              f"{work.get(name, '')}")
    if one is not None and two is not None:
        print(f"{'batch 1 worker':24} {one:11.0f} {'':>17} {fl / one:7.2f}x  records/s, wall clock")
        print(f"{'batch 2 workers':24} {two:11.0f} {'':>17} {fl / two:7.2f}x  records/s, wall clock; "
              f"speed-up {two / one:.2f}x")
    print("-" * width)
    got: dict[str, float | None] = {
        "python full": fl / med["facade/python full"],
        "python outcome": fl / med["facade/python outcome"],
        "durable full": fl / med["facade/durable full"] if "facade/durable full" in med else None,
        "batch 1->2 workers": two / one if one and two else None,
    }
    for goal, limit in GOALS.items():
        value = got[goal]
        if value is None:
            print(f"goal {goal:20} not measured here")
        elif goal.startswith("batch"):
            print(f"goal {goal:20} >= {limit:.1f}x: {value:.2f}x  {'met' if value >= limit else 'NOT met'}")
        else:
            print(f"goal {goal:20} <= {limit:.0f}x floor: {value:.1f}x  {'met' if value <= limit else 'NOT met'}")
    peer_rates = {k: med[k] for k in cases if k in {n.split(" ", 1)[1] for n in peers}}
    best = max(("facade/python full", "facade/durable full"), key=lambda k: med.get(k, 0.0))
    slower = [k for k, v in peer_rates.items() if v > med[best]]
    print(f"fastest full facade ({best}) vs peers: faster than "
          f"{', '.join(k for k in peer_rates if k not in slower) or 'none'}; slower than {', '.join(slower) or 'none'}"
          + (f"; gap to zen expression {med['zen expression'] / med[best]:.1f}x" if "zen expression" in med else ""))
    print("=" * width)
    print(f"total wall time {time.perf_counter() - t_start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
