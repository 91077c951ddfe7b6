"""Core throughput and memory benchmark for qnwmh_rules (2017-2018 national ruleset).

One run measures, on the same deterministic set of generated collectives:

  (a) facade       ``Engine.evaluate(facts_dict)``, durable backend, full verdicts
                   (parsing, derivation, encoding, durable_rules, verdict building, stamp)
  (b) bare durable ``engine._durable.fire(doc)`` on pre-parsed, pre-derived, pre-encoded
                   documents (assert + state read + delete; nothing else)
  (c) python       ``Engine.evaluate(facts_dict)``, python backend (generated code), full verdicts

and, for the python backend's condition evaluation (issue 14, item 2), before/after in one run:

  (d) python backend, full verdict incl. ``to_json()`` and outcome + missing only, with the
      generated code (after) and with the reference tree walk (before: ``Engine.use_conditions``
      with ``_pycompile.reference_ruleset``), plus ``Engine.decide`` alone on pre-parsed,
      pre-derived cases (the conditions only);
  (e) the floor    ``bench_peers.make_floor``: hand-written predicates over the raw fact dicts
                   (checked to give every rule the python backend's outcome first),

each over several interleaved rounds (medians reported), then a memory soak
(RSS every --soak-every verdicts through the facade) and a short cProfile of the facade.

Run from the checkout so the package imports from it:

    cd /work/main && /work/venv/bin/python benchmarks/bench_core.py

See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import math
import os
import platform
import pstats
import random
import statistics
import sys
import time
from collections import Counter
from typing import Any, Callable

import qnwmh_rules
from qnwmh_rules import FactsError, load_ruleset
from qnwmh_rules._compile import encode_facts
from qnwmh_rules._derive import derive
from qnwmh_rules.facts import REGIONS

TERM = "2017-2018"
_REGIONS = sorted(REGIONS)
_ROUNDS = ("2011-2012", "2013-2014", "2015-2016", "2017-2018")
_UNITS = ("广铁集团团委", "广东省交通运输厅团委", "广州市团委", "深圳市团委", "国家电网团委", "中国银行团委")
_CST = dt.timezone(dt.timedelta(hours=8))


# --------------------------------------------------------------------------- facts


def _date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def _instant_text(rng: random.Random, moment: dt.datetime) -> str:
    """An ISO 8601 timestamp, mostly +08:00, sometimes UTC 'Z', sometimes naive (ruleset zone)."""
    r = rng.random()
    if r < 0.8:
        return moment.astimezone(_CST).isoformat()
    if r < 0.9:
        return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.astimezone(_CST).replace(tzinfo=None).isoformat()


def make_facts(rng: random.Random, i: int) -> dict[str, Any]:
    """One collective's facts, shaped like rulesets/examples/collective-gd-0001.json.

    Values straddle every threshold of the national ruleset (6..200 members, 50 % youth,
    60 % Chinese, leader <= 40 on 2017-09-30, CN leader, honours and rounds, the filing
    window 2015-10-01..2017-09-30, one channel), and facts are sometimes omitted so that
    rules come out passed, failed and undetermined. Every document is valid input
    (counts <= total, review.at >= submitted_at, review.at present unless pending).
    """
    # About a third are "clean" candidates whose values are drawn inside the thresholds,
    # so that a fair share of verdicts are eligible and not only ineligible.
    clean = rng.random() < 0.35
    doc: dict[str, Any] = {"id": f"BENCH-{i:07d}"}
    if rng.random() < 0.7:
        doc["name"] = f"青年文明号创建集体{i}"
    doc["region"] = rng.choice(_REGIONS)
    if rng.random() < 0.6:
        doc["industry"] = rng.choice(("railway", "power", "banking", "health", "transport"))
    if rng.random() < 0.95:
        doc["org_kind"] = rng.choice(("public", "non_public_economy", "social_organization"))
    line_unit = rng.choice(_UNITS)
    if rng.random() < 0.95:
        doc["reporting_line"] = {"kind": rng.choice(("industry", "locality")), "unit": line_unit}

    # members: mostly inside 6..200, sometimes outside; shares around 50 % and 60 %
    if rng.random() < 0.95:
        r = rng.random()
        if clean or r >= 0.14:
            total = rng.randint(6, 200)
        else:
            total = rng.randint(1, 5) if r < 0.07 else rng.randint(201, 400)
        members: dict[str, Any] = {"total": total}
        if rng.random() < 0.9:
            share = rng.uniform(0.5, 1.0) if clean else rng.uniform(0.3, 1.0)
            members["aged_35_or_under"] = min(total, math.ceil(total * share) if clean else round(total * share))
        if rng.random() < 0.9:
            share = rng.uniform(0.6, 1.0) if clean else rng.uniform(0.45, 1.0)
            members["chinese_nationals"] = min(total, math.ceil(total * share) if clean else round(total * share))
        doc["members"] = members

    # leader: born 1970..2000 (40 周岁 on 2017-09-30 is born on or before 1977-09-30)
    if rng.random() < 0.9:
        leader: dict[str, Any] = {}
        if rng.random() < 0.95:
            earliest = dt.date(1977, 10, 1) if clean else dt.date(1970, 1, 1)
            leader["birth_date"] = _date_between(rng, earliest, dt.date(2000, 12, 31)).isoformat()
        if rng.random() < 0.95:
            cn = clean or rng.random() < 0.85
            leader["nationality"] = "CN" if cn else rng.choice(("GB", "JP", "KR", "US"))
        doc["leader"] = leader

    # honours: absent (unknown), empty (none) or 1..3 items
    r = rng.random()
    if r >= 0.07:
        honors = []
        for k in range(0 if r < 0.15 and not clean else rng.randint(1, 3)):
            good = clean and k == 0  # a clean candidate holds a 2015-2016 provincial honour
            rnd = "2015-2016" if good else rng.choice(_ROUNDS)
            year = int(rnd[5:])
            honors.append({
                "level": "provincial" if good else rng.choice(("national", "provincial", "provincial", "municipal")),
                "kind": rng.choice(("named", "review_confirmed")),
                "round": rnd,
                "date": _date_between(rng, dt.date(year, 1, 1), dt.date(year, 12, 31)).isoformat(),
            })
        doc["honors"] = honors

    # filings: absent, empty or 1..2 items (a second one often uses another channel)
    r = rng.random()
    if r >= 0.07:
        filings = []
        for k in range(1 if clean else 0 if r < 0.12 else (1 if rng.random() < 0.8 else 2)):
            if clean:  # inside the window 2015-10-01 .. 2017-09-30
                submitted = dt.datetime(2015, 10, 1, tzinfo=_CST) + dt.timedelta(
                    seconds=rng.randint(0, 700 * 86400))
            else:  # 2015-06-01 .. 2018-02
                submitted = dt.datetime(2015, 6, 1, tzinfo=_CST) + dt.timedelta(
                    seconds=rng.randint(0, 1000 * 86400))
            status = "approved" if clean else rng.choices(("approved", "rejected", "pending"),
                                                          (0.7, 0.15, 0.15))[0]
            review: dict[str, Any] = {"status": status}
            if status != "pending" or rng.random() < 0.2:
                review["at"] = _instant_text(rng, submitted + dt.timedelta(seconds=rng.randint(0, 30 * 86400)))
            unit = line_unit if clean or rng.random() < 0.8 else rng.choice(_UNITS)
            filings.append({"channel": {"kind": rng.choice(("industry", "locality")), "unit": unit},
                            "submitted_at": _instant_text(rng, submitted), "review": review})
        doc["filings"] = filings
    return doc


# --------------------------------------------------------------------------- helpers


def rss_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


CLOCK = time.perf_counter  # --clock cpu: time.process_time (this process's CPU time, for busy machines)


def time_loop(fn: Callable[[Any], Any], items: list[Any]) -> float:
    """Seconds to call fn on every item once."""
    t0 = CLOCK()
    for x in items:
        fn(x)
    return CLOCK() - t0


def interleaved_rates(cases: dict[str, tuple[Callable[[Any], Any], list[Any]]], n: int, rounds: int,
                      min_measure: float = 0.1, report: Callable[[int, dict[str, list[float]]], None] | None = None,
                      ) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Items/s of each case per round: a warm-up, then ``rounds`` interleaved rounds whose order rotates
    (slow drift hits every case alike). A case whose pass over its ``n`` items takes less than
    ``min_measure`` s repeats them within one measurement (less timer noise); returns the rates and
    those repeat counts. ``report(round, rates)`` is called after each round."""
    names = list(cases)
    warm = min(n, 300)
    passes: dict[str, int] = {}
    for name, (fn, items) in cases.items():
        secs = max(time_loop(fn, items[:warm]), 1e-9)
        passes[name] = max(1, math.ceil(min_measure / (secs / warm * n)))
    rates: dict[str, list[float]] = {k: [] for k in names}
    for rnd in range(rounds):
        k = rnd % len(names)
        for name in names[k:] + names[:k]:
            fn, items = cases[name]
            secs = sum(time_loop(fn, items) for _ in range(passes[name]))
            rates[name].append(n * passes[name] / max(secs, 1e-9))
        if report is not None:
            report(rnd, rates)
    return rates, passes


def _mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


# --------------------------------------------------------------------------- phases


def check_corpus(durable_engine: Any, python_engine: Any, corpus: list[dict[str, Any]]) -> None:
    """Every fact dict must parse; both backends must agree; show the outcome mix."""
    verdicts: Counter[str] = Counter()
    per_rule: dict[str, Counter[str]] = {}
    disagree = 0
    for d in corpus:
        try:
            v = durable_engine.evaluate(d)
        except FactsError as exc:  # a generator bug: fail loudly
            raise SystemExit(f"generated facts {d['id']} are invalid: {exc}") from exc
        ref = python_engine.evaluate(d)
        if [(r.id, r.outcome) for r in v.rules] != [(r.id, r.outcome) for r in ref.rules] \
                or v.outcome != ref.outcome:
            disagree += 1
        verdicts[v.outcome] += 1
        for r in v.rules:
            per_rule.setdefault(r.id, Counter())[r.outcome] += 1
    print(f"corpus: {len(corpus)} collectives, all valid; verdicts {dict(sorted(verdicts.items()))}; "
          f"durable vs python disagreements: {disagree}")
    print(f"  {'rule':28} {'passed':>7} {'failed':>7} {'undet.':>7}")
    for rid, c in per_rule.items():
        print(f"  {rid:28} {c['passed']:7} {c['failed']:7} {c['undetermined']:7}")
    if disagree:
        raise SystemExit("the durable and python backends disagree: the figures would compare different work")


def throughput(engine: Any, ref_engine: Any, corpus: list[dict[str, Any]], rounds: int
               ) -> dict[str, list[float]]:
    """Verdicts/s per round for facade, bare durable and reference, interleaved."""
    tz = engine.ruleset.time_zone
    docs = []
    for d in corpus:  # pre-parse, pre-derive, pre-encode: exactly what Engine.decide feeds fire()
        parsed = engine.parse(d)
        docs.append(encode_facts(parsed, derive(engine.ruleset, parsed), tz))
    # fire(), read back by the facade, must decide as the reference backend does (sanity, untimed)
    for d, doc in zip(corpus[:200], docs[:200]):
        parsed = engine.parse(d)
        derived = derive(engine.ruleset, parsed)
        assert engine.decide(parsed, derived) == ref_engine.decide(parsed, derived)

    parsed_all = [engine.parse(d) for d in corpus]
    rs = engine.ruleset

    def derive_encode(parsed: Any) -> Any:
        return encode_facts(parsed, derive(rs, parsed), tz)

    # The same engine, but its durable adapter sends the whole document instead of the projection
    # of what the conditions read (the adapter before issue 14, item 4): an A/B in the same run.
    from qnwmh_rules._engine import DurableEngine

    whole = load_ruleset(term=TERM)
    whole._durable = DurableEngine(engine._durable.name, engine.compiled, project=False)
    for doc in docs[:200]:
        assert whole._durable.fire(doc) == engine._durable.fire(doc)

    # the python backend before (reference tree walk) and after (generated code), and the floor
    from qnwmh_rules._pycompile import reference_ruleset

    walk = load_ruleset(term=TERM, backend="python")
    walk.use_conditions(reference_ruleset(walk.ruleset))
    floor = _floor(ref_engine, corpus)
    derived_all = [(p, derive(rs, p)) for p in parsed_all]

    # the durable facade with each count's `where` decided by the python backend's generated function instead of by
    # durable_rules (one extra firing per filing): what counting inside durable costs
    closure_counts = load_ruleset(term=TERM)
    closure_counts._where = closure_counts._conditions.where
    for d in corpus[:200]:
        assert closure_counts.evaluate(d) == engine.evaluate(d)

    def full(e: Any) -> Callable[[Any], Any]:
        return lambda d: e.evaluate(d).to_json()

    def outcome_only(e: Any) -> Callable[[Any], Any]:
        def run(d: Any) -> Any:
            v = e.evaluate(d)
            return v.outcome, v.missing
        return run

    def decide(e: Any) -> Callable[[Any], Any]:
        return lambda pd: e.decide(pd[0], pd[1])

    cases: list[tuple[str, Callable[[Any], Any], list[Any]]] = [
        ("facade", engine.evaluate, corpus),
        ("bare_durable", engine._durable.fire, docs),
        ("reference", ref_engine.evaluate, corpus),
        ("floor", floor, corpus),
        ("facade_closure_counts", closure_counts.evaluate, corpus),
        ("py_full_compiled", full(ref_engine), corpus),
        ("py_full_walk", full(walk), corpus),
        ("py_outcome_compiled", outcome_only(ref_engine), corpus),
        ("py_outcome_walk", outcome_only(walk), corpus),
        ("py_decide_compiled", decide(ref_engine), derived_all),
        ("py_decide_walk", decide(walk), derived_all),
        ("facade_whole", whole.evaluate, corpus),
        ("bare_whole", whole._durable.fire, docs),
        # stages of the facade, for the breakdown (not part of the three headline figures)
        ("stage_parse", engine.parse, corpus),
        ("stage_derive_encode", derive_encode, parsed_all),
    ]
    warm = min(len(corpus), 300)
    for _, fn, items in cases:  # warm-up (caches, allocator, branch predictors)
        time_loop(fn, items[:warm])
    rates: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    n = len(corpus)
    for rnd in range(rounds):
        k = rnd % len(cases)
        order = cases[k:] + cases[:k]  # rotate to spread drift across the measurements
        line = []
        for name, fn, items in order:
            secs = time_loop(fn, items)
            rates[name].append(n / secs)
        for name, _, _ in cases[:3]:
            line.append(f"{name} {rates[name][-1]:8.0f}/s")
        print(f"  round {rnd + 1}/{rounds}: " + "  ".join(line), flush=True)
    return rates


def _floor(py_engine: Any, corpus: list[dict[str, Any]]) -> Callable[[Any], Any]:
    """bench_peers' hand-written predicates, checked to give every rule the python backend's outcome."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_peers import Params, make_floor

    floor = make_floor(Params(py_engine))
    for d in corpus:
        v = py_engine.evaluate(d)
        if floor(d) != (v.outcome, tuple(r.outcome for r in v.rules)):
            raise SystemExit(f"the floor disagrees with the python backend on {d['id']}")
    return floor


def soak(engine: Any, count: int, every: int, seed: int) -> list[tuple[int, int]]:
    """Evaluate `count` freshly generated collectives through the facade; RSS every `every`."""
    rng = random.Random(seed)
    series = [(0, rss_kib())]
    t0 = time.perf_counter()
    for i in range(1, count + 1):
        engine.evaluate(make_facts(rng, 10_000_000 + i))
        if i % every == 0:
            series.append((i, rss_kib()))
            print(f"  {i:>8} verdicts  RSS {series[-1][1]:>8} KiB  ({time.perf_counter() - t0:6.1f} s)",
                  flush=True)
    return series


def profile(engine: Any, corpus: list[dict[str, Any]], count: int, top: int) -> None:
    items = [corpus[i % len(corpus)] for i in range(count)]
    prof = cProfile.Profile()
    prof.enable()
    for d in items:
        engine.evaluate(d)
    prof.disable()
    import durable

    # Filter on full paths (strip_dirs would drop the package directory), then shorten them.
    prefixes = sorted({os.path.dirname(os.path.dirname(qnwmh_rules.__file__)) + os.sep,
                       os.path.dirname(os.path.dirname(durable.__file__)) + os.sep}, key=len, reverse=True)
    for title, sort, restrict in (
        (f"top {top} by cumulative time, qnwmh_rules and durable only", "cumulative",
         r"qnwmh_rules|durable"),
        (f"top {top} by own (tottime) time, everything", "tottime", None),
    ):
        out = io.StringIO()
        st = pstats.Stats(prof, stream=out).sort_stats(sort)
        if restrict:
            st.print_stats(restrict, top)
        else:
            st.print_stats(top)
        text = out.getvalue()
        for prefix in prefixes:
            text = text.replace(prefix, "")
        body = text[text.index("   ncalls"):] if "   ncalls" in text else text
        print(f"\n-- profile of {count} facade evaluations: {title}")
        print(body.rstrip())


# --------------------------------------------------------------------------- main


def at_least(least: int) -> Callable[[str], int]:
    """An argparse ``type`` for a count: a whole number no smaller than ``least`` (else a usage
    error, exit 2, rather than a ZeroDivisionError or an empty median later)."""
    def count(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
        return value

    count.__name__ = "count"  # argparse names the type in its messages
    return count


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=at_least(1), default=3000, help="collectives per timed round (default 3000)")
    ap.add_argument("--rounds", type=at_least(1), default=5, help="interleaved timing rounds (default 5)")
    ap.add_argument("--seed", type=int, default=20170930, help="random seed of the generated facts")
    ap.add_argument("--soak", type=at_least(0), default=100_000, help="verdicts in the memory soak (0 skips it)")
    ap.add_argument("--soak-every", type=at_least(1), default=10_000, help="RSS sample interval in the soak")
    ap.add_argument("--profile", type=at_least(0), default=2000, help="facade evaluations to profile (0 skips)")
    ap.add_argument("--profile-top", type=at_least(1), default=10, help="rows per profile listing")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="time with the wall clock (default) or this process's CPU time (a shared, busy machine)")
    args = ap.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter

    t_start = time.perf_counter()
    print(f"qnwmh_rules {qnwmh_rules.__version__} from {os.path.dirname(qnwmh_rules.__file__)}")
    try:
        from importlib.metadata import version
        durable_version = version("durable_rules")
    except Exception:  # pragma: no cover
        durable_version = "?"
    print(f"python {platform.python_version()} ({platform.machine()}), durable_rules {durable_version}, "
          f"cpus {os.cpu_count()}, n={args.n} rounds={args.rounds} seed={args.seed} clock={args.clock}")

    engine = load_ruleset(term=TERM)
    ref_engine = load_ruleset(term=TERM, backend="python")
    print(f"engines: {engine!r} / {ref_engine!r}")

    rng = random.Random(args.seed)
    corpus = [make_facts(rng, i) for i in range(args.n)]
    check_corpus(engine, ref_engine, corpus)

    print(f"\nthroughput, {args.rounds} interleaved rounds of {args.n} verdicts each:")
    rates = throughput(engine, ref_engine, corpus, args.rounds)

    series: list[tuple[int, int]] = []
    if args.soak:
        print(f"\nmemory soak: {args.soak} facade verdicts (durable backend), fresh facts each time:")
        series = soak(engine, args.soak, args.soak_every, args.seed + 1)

    if args.profile:
        profile(engine, corpus, args.profile, args.profile_top)

    # ------------------------------------------------------------------ summary table
    med = {k: statistics.median(v) for k, v in rates.items()}
    per_round = [b / f for f, b in zip(rates["facade"], rates["bare_durable"])]
    print("\n" + "=" * 72)
    print(f"SUMMARY  ruleset national {TERM}, n={args.n}, {args.rounds} rounds (median, min..max)")
    print("-" * 72)
    labels = {"facade": "(a) facade evaluate(), durable, full verdict",
              "bare_durable": "(b) bare durable fire(pre-encoded doc)",
              "reference": "(c) python evaluate(), compiled, full verdict"}
    for k, label in labels.items():
        print(f"{label:48} {med[k]:8.0f} verdicts/s  ({min(rates[k]):.0f}..{max(rates[k]):.0f})"
              f"  {1e6 / med[k]:7.1f} us/case")
    print("-" * 72)
    print(f"{'facade / bare durable cost per case':48} {med['bare_durable'] / med['facade']:8.2f} x  "
          f"(per-round median {statistics.median(per_round):.2f}, {min(per_round):.2f}..{max(per_round):.2f})")
    us = {k: 1e6 / v for k, v in med.items()}
    rest = us["facade"] - us["stage_parse"] - us["stage_derive_encode"] - us["bare_durable"]
    print(f"{'facade time not spent in fire()':48} {us['facade'] - us['bare_durable']:8.1f} us/case")
    print(f"  facade breakdown (us/case, medians): parse {us['stage_parse']:.0f} | derive+encode "
          f"{us['stage_derive_encode']:.0f} | fire {us['bare_durable']:.0f} | verdict build+stamp (rest) {rest:.0f}")
    print(f"{'python / facade cost per case':48} {med['facade'] / med['reference']:8.2f} x")
    per = [c / f for f, c in zip(rates["facade"], rates["facade_closure_counts"], strict=True)]
    label, ratio = "durable facade, count where by durable / closure", med["facade_closure_counts"] / med["facade"]
    print(f"{label:48} {ratio:8.3f} x  ({us['facade']:.1f} vs {us['facade_closure_counts']:.1f} us/case; "
          f"per round {min(per):.3f}..{max(per):.3f})")
    print("-" * 72)
    print("python backend: compiled closures (after) vs the reference tree walk (before), same run;")
    print(f"x floor = cost per case / the floor's ({us['floor']:.1f} us/case, hand-written predicates)")
    for what, label in (("full", "full verdict + to_json()"), ("outcome", "outcome + missing only"),
                        ("decide", "Engine.decide (conditions only)")):
        after, before = f"py_{what}_compiled", f"py_{what}_walk"
        per = [b / a for a, b in zip(rates[after], rates[before], strict=True)]
        print(f"  {label:32} after {us[after]:7.1f} us ({us[after] / us['floor']:5.1f}x floor)  "
              f"before {us[before]:7.1f} us ({us[before] / us['floor']:5.1f}x floor)  "
              f"after/before {med[before] / med[after]:.3f} (per round {min(per):.3f}..{max(per):.3f})")
    print("-" * 72)
    print("durable gets the projection of what the rules read vs the whole document (same run):")
    for proj, full, label in (("facade", "facade_whole", "facade evaluate()"),
                              ("bare_durable", "bare_whole", "fire()")):
        per = [w / p for p, w in zip(rates[proj], rates[full], strict=True)]
        print(f"  {label:20} projected {1e6 / med[proj]:7.1f} us, whole {1e6 / med[full]:7.1f} us: "
              f"projected/whole cost {med[full] / med[proj]:.3f} (per-round median {statistics.median(per):.3f}, "
              f"{min(per):.3f}..{max(per):.3f})")
    if len(series) > 1:
        print("-" * 72)
        print("RSS (KiB) by verdicts: " + ", ".join(f"{n:,}={kib}" for n, kib in series))
        first = next(((n, kib) for n, kib in series if n >= args.soak_every), series[1])
        last = series[-1]
        growth = last[1] - first[1]
        span = max(1, last[0] - first[0])
        print(f"{f'RSS growth {first[0]:,} -> {last[0]:,} verdicts':48} {growth:+8d} KiB "
              f"({_mib(growth)}, {growth * 1024 / span:+.1f} bytes/verdict)")
    print("=" * 72)
    print(f"total wall time {time.perf_counter() - t_start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
