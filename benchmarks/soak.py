"""Memory soak: resident memory stays flat over many verdicts, engine loads, failed cases and replays.

Each phase runs in this one process, after a warm-up, and samples VmRSS (/proc/self/status)
at regular intervals:

  verdicts   ``engine.evaluate(facts)`` on freshly generated collectives (2017-2018 national)
  loads      ``load_ruleset(term="2017-2018")``, the engine dropped at once
  failures   a durable case that fails (the adapter replaces its Host), on one engine: refused,
             nothing fired, or failing after a rule's action was started
  replays    ``replay(verdict, facts)`` of stored verdicts

Run from the checkout so that the package imports from it:

    .venv/bin/python benchmarks/soak.py --verdicts 1000000 --loads 10000

A phase with a count of 0 is skipped. See benchmarks/README.md for how to read the figures.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_core import at_least, make_facts, rss_kib  # noqa: E402

import qnwmh_rules  # noqa: E402
from qnwmh_rules import EvaluationError, load_ruleset  # noqa: E402
from qnwmh_rules._api import durable_available  # noqa: E402

TERM = "2017-2018"


def run_phase(name: str, count: int, samples: int, step: Callable[[int], Any], warmup: int) -> dict[str, Any]:
    """Call ``step(i)`` ``warmup`` times, then ``count`` times sampling RSS ``samples`` times."""
    for i in range(warmup):
        step(-1 - i)
    gc.collect()
    every = max(1, count // samples)
    series = [(0, rss_kib())]
    t0 = time.perf_counter()
    for i in range(1, count + 1):
        step(i)
        if i % every == 0 or i == count:
            series.append((i, rss_kib()))
            print(f"  {name:9} {i:>9,}  RSS {series[-1][1]:>8,} KiB  ({time.perf_counter() - t0:7.1f} s)", flush=True)
    gc.collect()
    series.append((count, rss_kib()))
    seconds = time.perf_counter() - t0
    # Growth from the first sample after 10 % of the run (allocator pools filled) to the end,
    # and the least-squares slope over the second half (a leak shows as a steady slope).
    first = next((s for s in series if s[0] >= count // 10 and s[0] > 0), series[1])
    last = series[-1]
    half = [s for s in series if s[0] >= count // 2]
    slope = _slope(half) if len(half) >= 3 else 0.0
    return {"name": name, "count": count, "seconds": seconds, "series": series, "first": first, "last": last,
            "growth_kib": last[1] - first[1], "per_op_bytes": (last[1] - first[1]) * 1024 / max(1, last[0] - first[0]),
            "slope_bytes": slope * 1024}


def _slope(points: list[tuple[int, int]]) -> float:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--verdicts", type=at_least(0), default=100_000, help="verdicts (default 100,000; 0 skips)")
    ap.add_argument("--loads", type=at_least(0), default=2_000, help="engine loads (default 2,000; 0 skips)")
    ap.add_argument("--failures", type=at_least(0), default=20_000,
                    help="failed durable cases (default 20,000; 0 skips)")
    ap.add_argument("--replays", type=at_least(0), default=5_000, help="replays (default 5,000; 0 skips)")
    ap.add_argument("--samples", type=at_least(1), default=10, help="RSS samples per phase (default 10)")
    ap.add_argument("--backend", default="auto", choices=("auto", "durable", "python"),
                    help="engine backend for verdicts, loads and replays (default auto)")
    ap.add_argument("--seed", type=int, default=20170930)
    args = ap.parse_args(argv)

    print(f"qnwmh_rules {qnwmh_rules.__version__} from {os.path.dirname(qnwmh_rules.__file__)}; "
          f"python {platform.python_version()}; durable importable: {durable_available()}")
    engine = load_ruleset(term=TERM, backend=args.backend)
    print(f"engine {engine!r}")
    rng = random.Random(args.seed)
    results = []

    if args.verdicts:
        def verdict(i: int) -> None:
            engine.evaluate(make_facts(rng, 10_000_000 + abs(i)))
        results.append(run_phase("verdicts", args.verdicts, args.samples, verdict, warmup=2_000))

    if args.loads:
        def load(i: int) -> None:
            load_ruleset(term=TERM, backend=args.backend)
        results.append(run_phase("loads", args.loads, args.samples, load, warmup=20))

    if args.failures:
        if engine.backend != "durable":
            print("  failures: skipped, the durable backend is not in use")
        else:
            from qnwmh_rules._engine import DurableEngine

            # unprojected, so that the 300 fields reach durable, which refuses them (error 302)
            durable = DurableEngine("soak", load_ruleset(term=TERM, backend="python").compiled, project=False)
            wide = {"q": 1, **{f"f{i}": i for i in range(300)}}

            from qnwmh_rules import _engine

            real = _engine._c

            class MidCase:  # durable's C module, but taking a fired rule's result fails (an action is leased)
                def __getattr__(self, name: str) -> Any:
                    if name == "complete_and_start_action":
                        def fails(*args: Any) -> Any:
                            raise RuntimeError("failed mid-case")
                        return fails
                    return getattr(real, name)

            mid_case, usual = MidCase(), {"q": 1, "members": {"total": 20}}

            def fail(i: int) -> None:
                try:
                    if i % 3 == 2:
                        _engine._c = mid_case
                        durable.fire(usual)
                    else:
                        durable.fire(wide if i % 3 else {"no": "marker"})  # refused / nothing fires
                except EvaluationError:
                    return
                finally:
                    _engine._c = real
                raise AssertionError("the case should have failed")
            results.append(run_phase("failures", args.failures, args.samples, fail, warmup=200))

    if args.replays:
        stored = []
        for i in range(50):
            facts = make_facts(rng, 20_000_000 + i)
            try:
                stored.append((engine.evaluate(facts, as_of="2017-12-31").to_dict(), facts))
            except qnwmh_rules.FactsError:
                continue

        def replay(i: int) -> None:
            doc, facts = stored[abs(i) % len(stored)]
            report = qnwmh_rules.replay(doc, facts)
            assert report.identical, report.differences
        results.append(run_phase("replays", args.replays, args.samples, replay, warmup=20))

    print("\n" + "=" * 100)
    print(f"{'phase':10} {'count':>10} {'seconds':>8} {'ops/s':>9} {'RSS at 10 %':>13} {'RSS at end':>11} "
          f"{'growth':>10} {'per op':>11} {'slope 2nd half':>15}")
    for r in results:
        print(f"{r['name']:10} {r['count']:>10,} {r['seconds']:>8.0f} {r['count'] / r['seconds']:>9.0f} "
              f"{r['first'][1]:>9,} KiB {r['last'][1]:>7,} KiB {r['growth_kib']:>+6,} KiB "
              f"{r['per_op_bytes']:>+7.1f} B/op {r['slope_bytes']:>+9.1f} B/op")
    print("=" * 100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
