"""Micro-benchmark of ``parse_facts`` before and after the facts fast path (issue 14 item 5).

One run times, interleaved over several rounds on the same generated collectives (those of
``bench_core.make_facts``: +08:00, ``Z`` and naive timestamps, some facts left out):

  before   ``parse_facts`` as it was at ``--before`` (default: the commit before the facts schema
           became data), imported from git into a private package: dateutil zones, the full walker
  full     today's full walker alone (``facts._full_parse``) with its ``zoneinfo`` zone
  generic  the generic fast path alone (``facts._generic_fast_parse``: a walk over the subject's
           fast tree, one call per field), falling back to the full walker
  after    today's ``parse_facts``: the subject's generated parser, then the generic fast path,
           then the full walker

and prints the median µs per document of each and the ratios after/before and full/before.
It first checks that before and after give the same canonical facts for every document.

    .venv/bin/python benchmarks/bench_facts.py [--n 3000] [--rounds 7] [--clock cpu|wall]
"""

from __future__ import annotations

import argparse
import importlib
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import at_least, make_facts  # noqa: E402

from qnwmh_rules import facts  # noqa: E402
from qnwmh_rules._moments import zone  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _default_before() -> str:
    out = subprocess.run(["git", "log", "--format=%H", "-1", "--grep=Facts schema as data"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    if not out:
        raise SystemExit("bench_facts: give --before REV (no 'Facts schema as data' commit in this history)")
    return out + "^"


def _load_before(rev: str, into: Path) -> Any:
    """``facts`` as it was at ``rev`` (with its ``_moments`` and ``exceptions``), as package ``qnwmh_before``."""
    pkg = into / "qnwmh_before"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    for name in ("facts.py", "_moments.py", "exceptions.py"):
        text = subprocess.run(["git", "show", f"{rev}:qnwmh_rules/{name}"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout
        (pkg / name).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(into))
    return importlib.import_module("qnwmh_before.facts")


def _round(fn: Callable[[Any], Any], docs: list[dict[str, Any]], clock: Callable[[], float]) -> float:
    start = clock()
    for d in docs:
        fn(d)
    return (clock() - start) / len(docs) * 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=at_least(1), default=3000)
    ap.add_argument("--rounds", type=at_least(1), default=7)
    ap.add_argument("--seed", type=int, default=20170930)
    ap.add_argument("--before", default=None, help="git revision of the 'before' parse_facts")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    args = ap.parse_args(argv)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    rng = random.Random(args.seed)
    docs = [make_facts(rng, i) for i in range(args.n)]
    rev = args.before or _default_before()
    with tempfile.TemporaryDirectory() as tmp:
        old = _load_before(rev, Path(tmp))
        tz = "Asia/Shanghai"
        subj, zone_ = facts.SUBJECTS["collective"], zone(tz)
        assert zone_ is not None
        fast_taken = sum(facts._fast_parse(d, subj, zone_, tz) is not None for d in docs)
        generated = subj.generated or facts._generated_parser(subj)
        generated_taken = sum(generated(d, zone_, tz) is not None for d in docs)
        differ = [i for i, d in enumerate(docs) if old.parse_facts(d).canonical != facts.parse_facts(d).canonical]
        if differ:
            print(f"before and after differ on {len(differ)} documents, e.g. #{differ[0]}", file=sys.stderr)
            return 1
        variants: dict[str, Callable[[Any], Any]] = {
            "before": old.parse_facts,
            "full": lambda d: facts._full_parse(d, subj, zone_, tz),
            "generic": lambda d: facts._generic_fast_parse(d, subj, zone_, tz) or facts._full_parse(d, subj, zone_, tz),
            "after": facts.parse_facts,
        }
        times: dict[str, list[float]] = {k: [] for k in variants}
        for _ in range(args.rounds):
            for name, fn in variants.items():
                times[name].append(_round(fn, docs, clock))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"parse_facts, {args.n} collectives x {args.rounds} rounds ({args.clock} clock), before = {rev}")
    print(f"fast path taken for {fast_taken}/{args.n} documents (the generated parser: {generated_taken}); "
          "canonical facts identical before/after")
    for name in variants:
        print(f"  {name:7s} median {med[name]:7.1f} µs/doc  (min {min(times[name]):.1f}, max {max(times[name]):.1f})")
    print(f"  ratio after/before {med['after'] / med['before']:.2f}   full/before {med['full'] / med['before']:.2f}"
          f"   after/generic {med['after'] / med['generic']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
