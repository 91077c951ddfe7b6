"""Audit log benchmark: appends per second, verify time per entry, and what a broken chain costs.

Builds a log of --n entries (the three example verdicts in turn) in a temporary directory,
then times: appending (each append is one fsync'd transaction in WAL mode), ``verify()`` on
the clean log (plain and keyed), ``verify(expect_head=...)``, and ``verify()`` after the entry
in the middle was deleted and the rest renumbered (the case that makes verify search for the
numbers entries were recorded as).

Run from the checkout so the package imports from it:

    cd /work/wt15 && .venv/bin/python benchmarks/bench_audit.py --n 2000
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import at_least  # noqa: E402

import qnwmh_rules  # noqa: E402
from qnwmh_rules._audit import AuditLog  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def cases() -> list[tuple[qnwmh_rules.Verdict, dict]]:
    good = json.loads((ROOT / "rulesets" / "examples" / "collective-gd-0001.json").read_text(encoding="utf-8"))
    youth = copy.deepcopy(good)
    youth["members"]["aged_35_or_under"] = 11
    other = copy.deepcopy(good)
    other["id"] = "GD-0002"
    other["leader"] = None
    return [(qnwmh_rules.evaluate(f, as_of="2019-01-01"), f) for f in (good, youth, other)]


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=at_least(1), default=2000, help="entries in the log (default 2000)")
    args = ap.parse_args()
    cs = cases()
    key = b"k" * 32
    with tempfile.TemporaryDirectory() as d:
        for name, k in (("plain", None), ("keyed", key)):
            path = Path(d) / f"{name}.db"
            with AuditLog(path, key=k) as log:
                secs, _ = timed(lambda: [log.append(*cs[i % 3]) for i in range(args.n)])  # noqa: B023
                print(f"{name}: append {args.n} entries: {secs:.2f} s = {args.n / secs:.0f} appends/s")
                head = log.head()
                secs, problems = timed(log.verify)
                assert problems == [], problems
                print(f"{name}: verify clean log: {secs:.2f} s = {1e6 * secs / args.n:.0f} µs/entry")
                secs, problems = timed(lambda: log.verify(expect_head=head))  # noqa: B023
                assert problems == [], problems
                print(f"{name}: verify with --expect-head: {secs:.2f} s")
            size = path.stat().st_size
            print(f"{name}: file size {size / 1e6:.1f} MB = {size / args.n / 1e3:.1f} kB/entry")
        broken = Path(d) / "broken.db"
        shutil.copy(Path(d) / "plain.db", broken)
        mid = args.n // 2
        conn = sqlite3.connect(broken)
        triggers = [r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")]
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        for t in ("entry_rules", "entries", "chain"):
            conn.execute(f"DELETE FROM {t} WHERE seq = ?", (mid,))
            conn.execute(f"UPDATE {t} SET seq = seq + 10000000 WHERE seq > ?", (mid,))
            conn.execute(f"UPDATE {t} SET seq = seq - 10000001 WHERE seq > 10000000")
        for sql in triggers:
            conn.execute(sql)
        conn.commit()
        conn.close()
        with AuditLog(broken) as log:
            secs, problems = timed(log.verify)
        print(f"deleted entry {mid} and renumbered the rest: verify {secs:.2f} s, {len(problems)} line(s):")
        for p in problems:
            print("   ", p)


if __name__ == "__main__":
    main()
