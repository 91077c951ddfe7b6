"""The ``qnwmh-rules`` command line.

Owns: argument parsing, reading facts JSON from a file or stdin, printing verdict JSON,
and turning errors into one line on stderr with exit code 2. Must not decide rules.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from . import _api
from .exceptions import EvaluationError, FactsError, RulesetError

__all__ = ["main"]


def _read_json(name: str) -> Any:
    where = "stdin" if name == "-" else name
    try:
        text = sys.stdin.read() if name == "-" else open(name, encoding="utf-8").read()
    except OSError as exc:
        raise FactsError("(input)", f"cannot read {where}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise FactsError("(input)", f"{where} is not UTF-8 text") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FactsError("(input)", f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} "
                                    f"column {exc.colno}") from exc


def _evaluate(args: argparse.Namespace) -> int:
    facts = _read_json(args.file)
    if args.ruleset:
        engine = _api.load_ruleset(args.ruleset, backend=args.backend)
    else:
        engine = _api.load_ruleset(term=args.term, region=args.region, backend=args.backend)
    verdict = engine.evaluate(facts, as_of=args.as_of)
    sys.stdout.write(verdict.to_json(indent=None if args.compact else 2) + "\n")
    return 0


def _list(args: argparse.Namespace) -> int:
    for term, regions in _api.available_rulesets().items():
        print(f"{term}\tnational" + "".join(f"\n{term}\t{r}" for r in regions))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qnwmh-rules",
                                description="Rules-as-code for the 青年文明号 programme.")
    p.add_argument("--version", action="version", version=f"qnwmh-rules {_api.__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("evaluate", help="evaluate one collective's facts (JSON) and print its verdict as JSON")
    e.add_argument("file", metavar="FILE|-", help="facts JSON file, or - for stdin")
    e.add_argument("--term", default="2017-2018", help="term of the shipped ruleset (default 2017-2018)")
    e.add_argument("--region", default=None, help="apply this region's overlay, e.g. guangdong")
    e.add_argument("--ruleset", default=None, help="a ruleset file to use instead of the shipped ones")
    e.add_argument("--as-of", default=None, help="evaluate as of this date or ISO timestamp (recorded in the stamp)")
    e.add_argument("--backend", default="durable", choices=_api.BACKENDS, help="engine backend (default durable)")
    e.add_argument("--compact", action="store_true", help="print the JSON on one line")
    e.set_defaults(func=_evaluate)
    ls = sub.add_parser("list", help="list the shipped rulesets (term and region)")
    ls.set_defaults(func=_list)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except RulesetError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except FactsError as exc:
        print(f"qnwmh-rules: bad facts: {exc}", file=sys.stderr)
        return 2
    except EvaluationError as exc:
        print(f"qnwmh-rules: evaluation failed: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
