"""Peer comparison: qnwmh_rules against other Python rule engines and plain Python.

One run, on the same generated collectives (``bench_core.make_facts``) and the same
2017-2018 national rules (9 rules), measures side by side:

  (1) facade          ``load_ruleset(term="2017-2018").evaluate(facts)``: durable backend,
                      full verdict (parsing + derivation + engine + full explanation + stamp)
  (2) facade/python   the same with ``backend="python"`` (the compiled closures)
  (3) bare durable    ``engine._durable.fire(doc)`` on pre-parsed, pre-derived, pre-encoded
                      documents, as bench_core does (engine work only; not like for like)
  (4) floor           hand-written Python predicates over the raw fact dicts: parses the dates
                      and timestamps itself, computes each rule's passed/failed/undetermined
                      outcome and the verdict outcome (no explanation, no validation). Like the
                      facade called without ``as_of``, it applies filing.approved's ``pending_if``
                      (an in-window filing still under review leaves the rule undetermined);
                      the ``as_of`` parts of ``pending_if`` are unknown without ``as_of``.
  (5) peers           zen-engine (GoRules JDM graph: input -> expression node -> output),
                      zen-engine compiled expression (one expression yielding the 9 booleans),
                      rule-engine (zeroSteiner; one Rule per rule) and, if installed,
                      panzi-json-logic (one JsonLogic list of the 9 rules). Peers cannot
                      compute 周岁 or Asia/Shanghai calendar days, so all of them read the
                      same pre-derived inputs (leader age, epoch seconds, counts) made by one
                      shared preprocessing step, whose time is counted in their figures.
                      Peers give per-rule booleans only (passed / not passed).

Before timing, every contender is checked against the facade on every generated
collective; the run stops if any disagrees. Run from the checkout:

    cd /work/main && /work/venv/bin/python benchmarks/bench_peers.py

The peers are installed with ``/work/venv/bin/pip install zen-engine rule-engine
panzi-json-logic``. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_core import interleaved_rates, make_facts  # noqa: E402  (the same fact generator and timer)

import qnwmh_rules  # noqa: E402
from qnwmh_rules import load_ruleset  # noqa: E402
from qnwmh_rules._compile import Part, encode_facts  # noqa: E402
from qnwmh_rules._derive import derive  # noqa: E402

TERM = "2017-2018"
RULE_IDS = (
    "basic.members_range", "basic.youth_share", "basic.leader_age", "basic.chinese_share",
    "basic.leader_nationality", "basis.naming", "filing.window", "filing.approved",
    "filing.single_channel",
)
PASSED, FAILED, UNDET = "passed", "failed", "undetermined"
MIN_MEASURE = 0.1  # seconds: fast contenders repeat the corpus until one measurement lasts this long


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


# --------------------------------------------------------------------------- parameters


class Params:
    """The ruleset's parameter values, read once from the loaded ruleset (so nothing drifts)."""

    def __init__(self, engine: Any) -> None:
        p = {x.name: x.value for x in engine.ruleset.parameters}
        self.members_min: int = p["members_min"]
        self.members_max: int = p["members_max"]
        self.youth_share = p["youth_share_min"]  # a Decimal: the floor compares exactly, as the facade does
        self.leader_age_max: int = p["leader_age_max"]
        self.age_at: dt.date = p["age_reference_date"]
        self.chinese_share = p["chinese_share_min"]
        # the peers' languages have binary floats only
        self.youth_share_f, self.chinese_share_f = float(self.youth_share), float(self.chinese_share)
        self.nationality: str = p["leader_nationality"]
        self.naming_cutoff: dt.date = p["naming_cutoff"]
        self.round: str = p["latest_provincial_round"]
        self.max_channels: int = p["max_channels"]
        self.tz = ZoneInfo(engine.ruleset.time_zone)  # zone of naive timestamps
        self.win_start, self.win_end = self._instants(p["filing_window"])
        # filings counted for the single reporting line: those submitted in this window
        self.channel_start, self.channel_end = self._instants(p["single_channel_window"])
        self.win_start_s = self.win_start.timestamp()
        self.win_end_s = self.win_end.timestamp()
        self.naming_cutoff_s = self._day_s(self.naming_cutoff)

    @staticmethod
    def _instants(w: Any) -> tuple[dt.datetime, dt.datetime]:
        """A window as [start, end) instants: midnight of its first day .. midnight after its last."""
        wz = ZoneInfo(w.time_zone)
        first = w.start if w.start_inclusive else w.start + dt.timedelta(days=1)
        after = w.end + dt.timedelta(days=1) if w.end_inclusive else w.end
        return (dt.datetime(first.year, first.month, first.day, tzinfo=wz),
                dt.datetime(after.year, after.month, after.day, tzinfo=wz))

    def _day_s(self, d: dt.date) -> float:
        """Epoch seconds of midnight starting day ``d`` in the ruleset's zone."""
        return dt.datetime(d.year, d.month, d.day, tzinfo=self.tz).timestamp()


def age_full_years(birth: dt.date, at: dt.date) -> int:
    """周岁 on ``at``; someone born on 29 February completes a year on 28 February in common years."""
    bm, bd = birth.month, birth.day
    if bm == 2 and bd == 29 and not calendar.isleap(at.year):
        bd = 28
    return at.year - birth.year - ((at.month, at.day) < (bm, bd))


# --------------------------------------------------------------------------- (4) the floor


def make_floor(P: Params) -> Callable[[dict[str, Any]], tuple[str, tuple[str, ...]]]:
    """Hand-written predicates over a raw fact dict -> (verdict outcome, 9 rule outcomes)."""
    from_date = dt.date.fromisoformat
    from_instant = dt.datetime.fromisoformat
    tz, w0, w1, c0, c1 = P.tz, P.win_start, P.win_end, P.channel_start, P.channel_end
    lo, hi, ys, cs, amax, at = P.members_min, P.members_max, P.youth_share, P.chinese_share, P.leader_age_max, P.age_at
    nat, cutoff, rnd, maxch = P.nationality, P.naming_cutoff, P.round, P.max_channels

    def floor(doc: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
        m = doc.get("members") or {}
        total, young, cn = m.get("total"), m.get("aged_35_or_under"), m.get("chinese_nationals")
        if total is None:
            r1 = r2 = r4 = UNDET
        else:
            r1 = PASSED if lo <= total <= hi else FAILED
            r2 = UNDET if young is None else PASSED if young >= total * ys else FAILED
            r4 = UNDET if cn is None else PASSED if cn >= total * cs else FAILED
        leader = doc.get("leader") or {}
        birth = leader.get("birth_date")
        r3 = UNDET if birth is None else PASSED if age_full_years(from_date(birth), at) <= amax else FAILED
        ln = leader.get("nationality")
        r5 = UNDET if ln is None else PASSED if ln == nat else FAILED
        honors = doc.get("honors")
        if honors is None:
            r6 = UNDET
        else:
            r6 = FAILED
            for h in honors:
                level = h.get("level")
                if (level == "national" or (level == "provincial" and h["round"] == rnd)) \
                        and from_date(h["date"]) <= cutoff:
                    r6 = PASSED
                    break
        filings = doc.get("filings")
        if filings is None:
            r7 = r8 = r9 = UNDET
        else:
            r7 = r8 = FAILED
            channels = set()
            for f in filings:
                moment = from_instant(f["submitted_at"])
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=tz)
                if w0 <= moment < w1:  # the window's calendar days in Asia/Shanghai
                    r7 = PASSED
                    status = (f.get("review") or {}).get("status")
                    if status == "approved":
                        r8 = PASSED
                    elif status == "pending" and r8 is FAILED:
                        r8 = UNDET  # the rule's pending_if: an in-window filing still under review
                if c0 <= moment < c1:  # only this term's filings count for the reporting line
                    ch = f["channel"]
                    channels.add((ch.get("kind"), ch["unit"]))
            r9 = PASSED if len(channels) <= maxch else FAILED
        rules = (r1, r2, r3, r4, r5, r6, r7, r8, r9)
        if FAILED in rules:
            return "ineligible", rules
        return ("undetermined" if UNDET in rules else "eligible"), rules

    return floor


# --------------------------------------------------------------------------- shared preprocessing for peers


def make_preprocess(P: Params) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Raw fact dict -> the flat inputs every peer reads (None where a fact is absent)."""
    from_date = dt.date.fromisoformat
    from_instant = dt.datetime.fromisoformat
    tz, at = P.tz, P.age_at

    def day_s(text: str) -> float:
        d = from_date(text)
        return dt.datetime(d.year, d.month, d.day, tzinfo=tz).timestamp()

    def preprocess(doc: dict[str, Any]) -> dict[str, Any]:
        m = doc.get("members") or {}
        leader = doc.get("leader") or {}
        birth = leader.get("birth_date")
        honors = doc.get("honors")
        filings = doc.get("filings")
        if filings is not None:
            items = []
            channels = set()
            for f in filings:
                moment = from_instant(f["submitted_at"])
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=tz)
                items.append({"submitted_s": moment.timestamp(), "status": (f.get("review") or {}).get("status")})
                if P.channel_start <= moment < P.channel_end:
                    ch = f["channel"]
                    channels.add((ch.get("kind"), ch["unit"]))
            n_channels: int | None = len(channels)
        else:
            items, n_channels = None, None
        return {
            "total": m.get("total"),
            "young": m.get("aged_35_or_under"),
            "cn": m.get("chinese_nationals"),
            "leader_age": None if birth is None else age_full_years(from_date(birth), at),
            "nationality": leader.get("nationality"),
            "honors": None if honors is None else [
                {"level": h.get("level"), "round": h["round"], "date_s": day_s(h["date"])} for h in honors],
            "filings": items,
            "channels": n_channels,
        }

    return preprocess


# --------------------------------------------------------------------------- (5) peers


def zen_expressions(P: Params) -> list[str]:
    """The 9 rules in the ZEN expression language, over the preprocessed inputs."""
    in_window = f"#.submitted_s >= {P.win_start_s!r} and #.submitted_s < {P.win_end_s!r}"
    return [
        f"total != null and total >= {P.members_min} and total <= {P.members_max}",
        f"total != null and young != null and young >= total * {P.youth_share_f!r}",
        f"leader_age != null and leader_age <= {P.leader_age_max}",
        f"total != null and cn != null and cn >= total * {P.chinese_share_f!r}",
        f"nationality == {json.dumps(P.nationality)}",
        f"honors != null and some(honors, #.date_s <= {P.naming_cutoff_s!r} and (#.level == 'national'"
        f" or (#.level == 'provincial' and #.round == {json.dumps(P.round)})))",
        f"filings != null and some(filings, {in_window})",
        f"filings != null and some(filings, {in_window} and #.status == 'approved')",
        f"channels != null and channels <= {P.max_channels}",
    ]


def make_zen_graph(P: Params) -> Callable[[dict[str, Any]], tuple[bool, ...]] | None:
    """GoRules JDM decision graph: inputNode -> expressionNode (9 expressions) -> outputNode
    (None if zen-engine is not installed)."""
    try:
        import zen
    except ImportError:
        return None

    keys = [rid.replace(".", "__") for rid in RULE_IDS]  # a dot in a key would nest the output
    pos = {"x": 0, "y": 0}
    graph = {
        "nodes": [
            {"id": "request", "type": "inputNode", "name": "request", "position": pos, "content": {}},
            {"id": "rules", "type": "expressionNode", "name": "rules", "position": pos, "content": {
                "expressions": [{"id": f"e{i}", "key": k, "value": v}
                                for i, (k, v) in enumerate(zip(keys, zen_expressions(P), strict=True))]}},
            {"id": "response", "type": "outputNode", "name": "response", "position": pos, "content": {}},
        ],
        "edges": [
            {"id": "a", "sourceId": "request", "targetId": "rules", "type": "edge"},
            {"id": "b", "sourceId": "rules", "targetId": "response", "type": "edge"},
        ],
    }
    decision = zen.ZenEngine().create_decision(json.dumps(graph))
    decision.validate()

    def run(x: dict[str, Any]) -> tuple[bool, ...]:
        out = decision.evaluate(x)["result"]
        return tuple(out[k] for k in keys)

    return run


def make_zen_expr(P: Params) -> Callable[[dict[str, Any]], tuple[bool, ...]] | None:
    """zen-engine's expression language without a graph: one compiled expression -> 9 booleans
    (None if zen-engine is not installed)."""
    try:
        import zen
    except ImportError:
        return None

    expr = zen.compile_expression("[" + ", ".join(f"({e})" for e in zen_expressions(P)) + "]")

    def run(x: dict[str, Any]) -> tuple[bool, ...]:
        return tuple(expr.evaluate(x))

    return run


def make_rule_engine(P: Params) -> Callable[[dict[str, Any]], tuple[bool, ...]] | None:
    """zeroSteiner's rule-engine: one Rule per rule, ``Rule.matches`` on the preprocessed dict
    (None if rule-engine is not installed)."""
    try:
        import rule_engine
    except ImportError:
        return None

    ctx = rule_engine.Context(default_value=None)
    in_window = f"f['submitted_s'] >= {P.win_start_s!r} and f['submitted_s'] < {P.win_end_s!r}"
    texts = [
        f"total != null and total >= {P.members_min} and total <= {P.members_max}",
        f"total != null and young != null and young >= total * {P.youth_share_f!r}",
        f"leader_age != null and leader_age <= {P.leader_age_max}",
        f"total != null and cn != null and cn >= total * {P.chinese_share_f!r}",
        f"nationality == {json.dumps(P.nationality)}",
        f"honors != null and [h for h in honors if h['date_s'] <= {P.naming_cutoff_s!r} and "
        f"(h['level'] == 'national' or (h['level'] == 'provincial' and h['round'] == {json.dumps(P.round)}))]"
        f".length > 0",
        f"filings != null and [f for f in filings if {in_window}].length > 0",
        f"filings != null and [f for f in filings if {in_window} and f['status'] == 'approved'].length > 0",
        f"channels != null and channels <= {P.max_channels}",
    ]
    rules = [rule_engine.Rule(t, context=ctx) for t in texts]

    def run(x: dict[str, Any]) -> tuple[bool, ...]:
        return tuple(r.matches(x) for r in rules)

    return run


def make_json_logic(P: Params) -> Callable[[dict[str, Any]], tuple[bool, ...]] | None:
    """panzi-json-logic: a JsonLogic list of the 9 rules, applied in one call (optional peer)."""
    try:
        from json_logic import jsonLogic
    except ImportError:
        return None

    def var(name: str) -> dict[str, Any]:
        return {"var": name}

    def present(*names: str) -> list[dict[str, Any]]:
        # strict: this library's loose "!=" treats 0 as equal to null
        return [{"!==": [var(n), None]} for n in names]

    in_window = [{">=": [var("submitted_s"), P.win_start_s]}, {"<": [var("submitted_s"), P.win_end_s]}]
    logic = [
        {"and": present("total") + [{">=": [var("total"), P.members_min]}, {"<=": [var("total"), P.members_max]}]},
        {"and": present("total", "young") + [{">=": [var("young"), {"*": [var("total"), P.youth_share_f]}]}]},
        {"and": present("leader_age") + [{"<=": [var("leader_age"), P.leader_age_max]}]},
        {"and": present("total", "cn") + [{">=": [var("cn"), {"*": [var("total"), P.chinese_share_f]}]}]},
        {"==": [var("nationality"), P.nationality]},
        {"and": present("honors") + [{"some": [var("honors"), {"and": [
            {"<=": [var("date_s"), P.naming_cutoff_s]},
            {"or": [{"==": [var("level"), "national"]},
                    {"and": [{"==": [var("level"), "provincial"]}, {"==": [var("round"), P.round]}]}]}]}]}]},
        {"and": present("filings") + [{"some": [var("filings"), {"and": in_window}]}]},
        {"and": present("filings") + [{"some": [var("filings"), {"and": in_window + [
            {"==": [var("status"), "approved"]}]}]}]},
        {"and": present("channels") + [{"<=": [var("channels"), P.max_channels]}]},
    ]

    def run(x: dict[str, Any]) -> tuple[bool, ...]:
        return tuple(bool(v) for v in jsonLogic(logic, x))

    return run


PEER_INSTALL = "pip install zen-engine rule-engine panzi-json-logic"
PEER_FACTORIES: dict[str, tuple[str, Callable[[Params], Callable[[dict[str, Any]], tuple[bool, ...]] | None]]] = {
    "(5a) zen JDM graph": ("zen-engine", make_zen_graph),
    "(5b) zen expression": ("zen-engine", make_zen_expr),
    "(5c) rule-engine": ("rule-engine", make_rule_engine),
    "(5d) json-logic": ("panzi-json-logic", make_json_logic),
}


def make_peers(P: Params) -> dict[str, Callable[[dict[str, Any]], tuple[bool, ...]]]:
    """Every peer whose package imports, by name; prints one line for each one skipped."""
    peers = {}
    for name, (dist, factory) in PEER_FACTORIES.items():
        run = factory(P)
        if run is None:
            print(f"{name}: skipped, {dist} is not installed ({PEER_INSTALL})")
        else:
            peers[name] = run
    return peers


# --------------------------------------------------------------------------- agreement check


def check_agreement(engine: Any, py_engine: Any, floor: Callable, pre: Callable, peers: dict[str, Callable],
                    corpus: list[dict[str, Any]], docs: list[Any] | None) -> None:
    """Compare every contender with the facade on every collective; SystemExit on any disagreement.
    ``docs`` (the encoded documents of the corpus) is None where durable is not used: (3) is left out."""
    problems: dict[str, list[str]] = {}
    mix: Counter[str] = Counter()
    undet_rules = 0

    def note(who: str, d: dict[str, Any], what: str) -> None:
        problems.setdefault(who, []).append(f"{d['id']}: {what}")

    for d, doc in zip(corpus, docs if docs is not None else [None] * len(corpus), strict=True):
        v = engine.evaluate(d)
        if tuple(r.id for r in v.rules) != RULE_IDS:
            raise SystemExit(f"the ruleset's rules are {[r.id for r in v.rules]}, not the 9 this benchmark encodes")
        outcomes = tuple(r.outcome for r in v.rules)
        passed = tuple(o == PASSED for o in outcomes)
        mix[v.outcome] += 1
        undet_rules += outcomes.count(UNDET)
        ref = py_engine.evaluate(d)
        if (ref.outcome, tuple(r.outcome for r in ref.rules)) != (v.outcome, outcomes):
            note("(2) facade/python", d,
                 f"{ref.outcome} {[r.outcome for r in ref.rules]} vs {v.outcome} {list(outcomes)}")
        if doc is not None:
            names = engine._durable.fire(doc)  # the rules whose condition itself held (not its other parts)
            fired = frozenset(c.rule for c in engine.compiled if c.part is Part.HOLDS and c.id in names)
            if fired != frozenset(rid for rid, p in zip(RULE_IDS, passed, strict=True) if p):
                note("(3) bare durable", d, f"fired rules {sorted(fired)}")
        f_out, f_rules = floor(d)
        if (f_out, f_rules) != (v.outcome, outcomes):  # the floor must match exactly, undetermined included
            note("(4) floor", d, f"{f_out} {list(f_rules)} vs {v.outcome} {list(outcomes)}")
        x = pre(d)
        for name, run in peers.items():
            got = tuple(bool(b) for b in run(x))
            if got != passed:
                diff = [rid for rid, a, b in zip(RULE_IDS, got, passed, strict=True) if a != b]
                note(name, d, f"passed differs on {diff} (peer {got}, facade {outcomes})")
    print(f"agreement on {len(corpus)} collectives: verdicts {dict(sorted(mix.items()))}; "
          f"{undet_rules} rule outcomes were undetermined (a peer counts these as not passed)")
    for name in ["(2) facade/python", *(["(3) bare durable"] if docs is not None else []), "(4) floor", *peers]:
        bad = problems.get(name, [])
        print(f"  {name:22} {'agrees' if not bad else f'DISAGREES on {len(bad)} collectives'}")
    if problems:
        for name, bad in problems.items():
            for line in bad[:3]:
                print(f"    {name}: {line}")
        raise SystemExit("ABORT: a contender disagrees with the facade; the figures would compare different work")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=3000, help="collectives per timed round (default 3000)")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds (default 7)")
    ap.add_argument("--seed", type=int, default=20170930, help="random seed of the generated facts")
    args = ap.parse_args(argv)
    if args.n < 1 or args.rounds < 1:
        ap.error("--n and --rounds must be at least 1")

    t_start = time.perf_counter()
    print(f"qnwmh_rules {qnwmh_rules.__version__} from {os.path.dirname(qnwmh_rules.__file__)}")
    print(f"python {platform.python_version()} ({platform.machine()}), cpus {os.cpu_count()}; "
          f"durable_rules {_version('durable_rules')}, zen-engine {_version('zen-engine')}, "
          f"rule-engine {_version('rule-engine')}, panzi-json-logic {_version('panzi-json-logic')}")
    print(f"n={args.n} rounds={args.rounds} seed={args.seed}")

    engine = load_ruleset(term=TERM)
    py_engine = load_ruleset(term=TERM, backend="python")
    P = Params(engine)
    floor = make_floor(P)
    pre = make_preprocess(P)
    peers = make_peers(P)
    if not peers:
        raise SystemExit(f"no peer engine is installed; install them with: {PEER_INSTALL}")

    rng = random.Random(args.seed)
    corpus = [make_facts(rng, i) for i in range(args.n)]  # same collectives as bench_core for this seed
    tz = engine.ruleset.time_zone
    docs = []
    for d in corpus:  # for (3): exactly what Engine.decide feeds fire()
        parsed = engine.parse(d)
        docs.append(encode_facts(parsed, derive(engine.ruleset, parsed), tz))
    check_agreement(engine, py_engine, floor, pre, peers, corpus, docs)
    prepped = [pre(d) for d in corpus]

    # name -> (function, items). Peers are timed twice: from the raw dicts through the shared
    # preprocessing (the headline figure) and on already preprocessed inputs (engine only).
    cases: dict[str, tuple[Callable[[Any], Any], list[Any]]] = {
        "(1) facade": (engine.evaluate, corpus),
        "(2) facade/python": (py_engine.evaluate, corpus),
        "(3) bare durable": (engine._durable.fire, docs),
        "(4) floor": (floor, corpus),
        "preprocessing": (pre, corpus),
    }
    for name, run in peers.items():
        cases[name] = ((lambda r: lambda d: r(pre(d)))(run), corpus)
        cases[name + " [engine]"] = (run, prepped)
    print(f"\nthroughput, {args.rounds} interleaved rounds of {args.n} verdicts each (order rotates):")

    def report(rnd: int, rates: dict[str, list[float]]) -> None:
        print(f"  round {rnd + 1}/{args.rounds}: facade {rates['(1) facade'][-1]:.0f}/s, "
              f"floor {rates['(4) floor'][-1]:.0f}/s", flush=True)

    rates, passes = interleaved_rates(cases, args.n, args.rounds, MIN_MEASURE, report)
    print("corpus passes per measurement where more than 1: "
          + (", ".join(f"{k} x{v}" for k, v in passes.items() if v > 1) or "none"))

    med = {k: statistics.median(v) for k, v in rates.items()}
    fl = med["(4) floor"]
    work = {
        "(1) facade": "parse+validate, derive, durable, full verdict+stamp",
        "(2) facade/python": "same, python backend (compiled closures) instead of durable",
        "(3) bare durable": "fire() on pre-encoded docs only (not like for like)",
        "(4) floor": "parse dates itself, 9 x 3-valued outcome + verdict",
    }
    peer_work = {
        "(5a) zen JDM graph": "9 booleans; input->expression node->output",
        "(5b) zen expression": "9 booleans; one compiled expression",
        "(5c) rule-engine": "9 booleans; 9 Rule.matches",
        "(5d) json-logic": "9 booleans; one jsonLogic call",
    }
    width = 100
    print("\n" + "=" * width)
    print(f"SUMMARY  national {TERM}, 9 rules, n={args.n}, {args.rounds} rounds; medians (min..max); "
          f"'x floor' = floor rate / rate (cost per case relative to the floor)")
    print("-" * width)
    print(f"{'contender':22} {'verdicts/s':>11} {'(min..max)':>17} {'x floor':>8}  work per case")
    for name in ["(1) facade", "(2) facade/python", "(3) bare durable", "(4) floor"]:
        r = rates[name]
        print(f"{name:22} {med[name]:11.0f} {f'({min(r):.0f}..{max(r):.0f})':>17} {fl / med[name]:7.2f}x  {work[name]}")
    for name in peers:
        r = rates[name]
        print(f"{name:22} {med[name]:11.0f} {f'({min(r):.0f}..{max(r):.0f})':>17} {fl / med[name]:7.2f}x  "
              f"{peer_work[name]}, incl. preprocessing")
    print("-" * width)
    pre_us = 1e6 / med["preprocessing"]
    print(f"shared preprocessing alone (raw dict -> leader age, epoch seconds, counts): "
          f"{med['preprocessing']:.0f}/s = {pre_us:.1f} us/case, counted in every peer figure above")
    print("peers on preprocessed inputs (engine only):  " + "  ".join(
        f"{name.split(' ', 1)[0]} {med[name + ' [engine]']:.0f}/s ({1e6 / med[name + ' [engine]']:.1f} us)"
        for name in peers))
    print("peers output passed/not passed per rule only: they cannot say 'undetermined' as written "
          "(a missing fact makes the rule not passed), build no explanation and give no verdict outcome")
    best = max(peers, key=lambda k: med[k])
    facade = med["(1) facade"]
    if facade >= med[best]:
        verdict = f"YES: facade {facade:.0f}/s >= fastest peer {best} {med[best]:.0f}/s"
    else:
        verdict = (f"NO: facade {facade:.0f}/s is {med[best] / facade:.1f}x slower than the fastest peer "
                   f"{best} {med[best]:.0f}/s (incl. preprocessing)")
    print("facade cost / peer cost (incl. preprocessing; > 1 means the facade is slower):  " + "  ".join(
        f"{name.split(' ', 1)[0]} {med[name] / facade:.2f}" for name in peers))
    print(f"facade at least as fast as the fastest peer? {verdict}")
    print("=" * width)
    print(f"total wall time {time.perf_counter() - t_start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
