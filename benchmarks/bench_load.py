"""Load-time benchmark: compile time against the size of a condition, and hostile YAML.

Measures, for a comparison with N fact terms on its right (``members.aged_35_or_under >=
members.total + members.total + ...``, N up to the 64 operators a condition may hold), the
time to load, check and compile the ruleset on the python backend (which also runs the
durable_rules registration probe when durable imports). Before issue 10 the compiler was
exponential in N (20 terms 1.8 s, 24 terms ~30 s). Also times refusing an alias bomb and a
self-referencing alias.

    cd /work/main && /work/venv/bin/python benchmarks/bench_load.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import qnwmh_rules
from qnwmh_rules import RulesetError

HEAD = """ruleset: t
term: 2017-2018
version: 1.0.0
title: {zh: 测试, en: test}
sources:
  - {id: N, title: notice}
rules:
  - id: basic.x
    title: {zh: 甲, en: a}
    severity: required
    citation: {source: N, clause: '1', text: t}
    when: """


def timed(path: Path) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        qnwmh_rules.load_ruleset(path, backend="python")
        result = "loaded"
    except RulesetError as exc:
        result = exc.code
    return time.perf_counter() - start, result


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    print("terms  seconds  result")
    for n in (4, 8, 16, 20, 24, 32, 48, 64):
        p = folder / f"sum{n}.yaml"
        p.write_text(HEAD + "members.aged_35_or_under >= " + " + ".join(["members.total"] * n) + "\n",
                     encoding="utf-8")
        seconds, result = timed(p)
        print(f"{n:5d}  {seconds:7.3f}  {result}")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    for name, text in (("alias bomb (9**9 values)", bomb), ("self-referencing alias", "a: &a [1, *a]\n")):
        p = folder / "hostile.yaml"
        p.write_text(text, encoding="utf-8")
        seconds, result = timed(p)
        print(f"{name}: {seconds:.3f} s, {result} ({len(text.encode())} bytes)")


if __name__ == "__main__":
    main()
