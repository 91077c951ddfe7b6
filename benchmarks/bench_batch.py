"""Batch throughput with 1 and 2 worker processes, and memory flat with input size.

Usage:  python benchmarks/bench_batch.py [--n 20000] [--rounds 3] [--chunk-size 200] [--soak 0]

Writes N generated collectives (bench_core.make_facts) to a temporary JSON Lines file, then
runs `qnwmh_rules._batch.evaluate_blocks` (what `qnwmh-rules batch` runs) over it with
workers=1 and workers=2 (interleaved rounds, medians), draining the output into a null sink.
Prints records/s, the 2-worker speed-up by the wall clock, the CPU time of every process (this
one and the workers) with the speed-up 2 idle cores would give from it, the load average (the
wall-clock speed-up means something only on an otherwise idle machine), and peak RSS of the
parent and of the children. With --soak N it also evaluates N
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


def run(path: Path, workers: int, chunk_size: int = 200) -> tuple[float, int]:
    """Wall seconds and records of one batch run (``bench_all.py`` uses this)."""
    secs, n, _, _ = measure(path, workers, chunk_size)
    return secs, n


def measure(path: Path, workers: int, chunk_size: int) -> tuple[float, int, float, float]:
    """Wall seconds, records, and CPU seconds of this process and of the workers (children)."""
    start, cpu = time.perf_counter(), time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    n = 0
    with path.open("rb") as f:  # as `qnwmh-rules batch` reads a JSON Lines file
        # lend=True, as the CLI: each block is done with before the next is asked for
        for block in _batch.evaluate_blocks(_batch.JsonlStream(f), workers=workers, chunk_size=chunk_size, lend=True):
            n += len(block.lines)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    return time.perf_counter() - start, n, time.process_time() - cpu, child_cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=at_least(1), default=20000)
    ap.add_argument("--rounds", type=at_least(1), default=3)
    ap.add_argument("--soak", type=at_least(0), default=0)
    ap.add_argument("--seed", type=int, default=20170930)
    ap.add_argument("--chunk-size", type=at_least(1), default=200)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp()) / "in.jsonl"
    with tmp.open("w", encoding="utf-8") as f:
        for i in range(args.n):
            f.write(json.dumps(make_facts(rng, i), ensure_ascii=False) + "\n")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, n={args.n}, input {tmp.stat().st_size // 1024} KiB")
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 workers can only be 2x faster on 2 idle cores)")
    rates: dict[int, list[float]] = {1: [], 2: []}
    cpus: dict[int, list[float]] = {1: [], 2: []}
    for r in range(args.rounds):
        for w in (1, 2):
            secs, n, parent, children = measure(tmp, w, args.chunk_size)
            assert n == args.n, (n, args.n)
            rates[w].append(n / secs)
            cpus[w].append(parent + children)
            print(f"  round {r + 1}: workers={w}  {n / secs:8.0f} records/s  ({secs:.2f} s wall; CPU: this process "
                  f"{parent:.2f} s, workers {children:.2f} s; load {os.getloadavg()[0]:.1f})", flush=True)
    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    print(f"median records/s: 1 worker {one:.0f}, 2 workers {two:.0f}; speed-up {two / one:.2f}x (wall clock)")
    # What 2 idle cores would give: the work of the 2-worker run (all its processes' CPU time)
    # spread over 2 cores, against the 1-worker run's CPU time.
    c1, c2 = statistics.median(cpus[1]), statistics.median(cpus[2])
    print(f"median CPU s: 1 worker {c1:.2f}, 2 workers {c2:.2f} in all (+{100 * (c2 / c1 - 1):.0f}% for the "
          f"workers); on 2 idle cores at best {2 * c1 / c2:.2f}x")
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
