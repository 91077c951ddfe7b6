"""Batch throughput with 1 and 2 worker processes, and memory flat with input size.

Usage:  python benchmarks/bench_batch.py [--n 20000] [--rounds 3] [--soak 0]

Writes N generated collectives (bench_core.make_facts) to a temporary JSON Lines file, then
runs `qnwmh_rules._batch.evaluate_lines` over it with workers=1 and workers=2 (interleaved
rounds, medians), draining the output into a null sink. Prints records/s, the 2-worker
speed-up, and peak RSS of the parent and of the children. With --soak N it also evaluates N
verdicts in this process (one engine, durable backend) printing RSS every N/10, to show
that memory stays flat (the 1,000,000-verdict soak of issue 6).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_core import at_least, make_facts, rss_kib  # noqa: E402

from qnwmh_rules import _batch, load_ruleset  # noqa: E402


def run(path: Path, workers: int) -> tuple[float, int]:
    start = time.perf_counter()
    n = 0
    with path.open(encoding="utf-8") as f:
        for _ in _batch.evaluate_lines(_batch.read_jsonl(f), workers=workers, chunk_size=250):
            n += 1
    return time.perf_counter() - start, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=at_least(1), default=20000)
    ap.add_argument("--rounds", type=at_least(1), default=3)
    ap.add_argument("--soak", type=at_least(0), default=0)
    ap.add_argument("--seed", type=int, default=20170930)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp()) / "in.jsonl"
    with tmp.open("w", encoding="utf-8") as f:
        for i in range(args.n):
            f.write(json.dumps(make_facts(rng, i), ensure_ascii=False) + "\n")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, n={args.n}, input {tmp.stat().st_size // 1024} KiB")
    rates: dict[int, list[float]] = {1: [], 2: []}
    for r in range(args.rounds):
        for w in (1, 2):
            secs, n = run(tmp, w)
            assert n == args.n, (n, args.n)
            rates[w].append(n / secs)
            print(f"  round {r + 1}: workers={w}  {n / secs:8.0f} records/s  ({secs:.1f} s)")
    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    print(f"median records/s: 1 worker {one:.0f}, 2 workers {two:.0f}; speed-up {two / one:.2f}x")
    print(f"peak RSS: parent {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} KiB, "
          f"largest child {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} KiB")
    if args.soak:
        engine = load_ruleset(term="2017-2018")
        every = max(1, args.soak // 10)
        facts = [make_facts(rng, i) for i in range(1000)]
        t0 = time.perf_counter()
        for i in range(args.soak):
            engine.evaluate(facts[i % 1000])
            if (i + 1) % every == 0:
                print(f"  soak {i + 1:>9} verdicts  RSS {rss_kib()} KiB  {(i + 1) / (time.perf_counter() - t0):.0f}/s",
                      flush=True)


if __name__ == "__main__":
    main()
