"""Write every user-visible output of the shipped rulesets, examples and golden cases to a directory.

Run before and after a refactoring that must not change behaviour, then compare the two
directories byte for byte (``diff -r``)::

    python tests/snapshot_outputs.py /tmp/before   # on the old commit
    python tests/snapshot_outputs.py /tmp/after    # on the new one
    diff -r /tmp/before /tmp/after

Written per ruleset: the docs page (en, zh), the compiled durable_rules conditions, and for each
example facts file and each golden case: the verdict JSON, the auditor's note (zh, en; text and
HTML) and why-not (zh, en, JSON). The python backend is used (it needs no durable_rules).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from qnwmh_rules import explain_html, explain_text, load_ruleset, why_not
from qnwmh_rules._cases import read_cases
from qnwmh_rules._render_docs import render_markdown
from qnwmh_rules.exceptions import FactsError

ROOT = Path(__file__).resolve().parent.parent / "rulesets"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:80]


def _outputs(engine, facts, as_of, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    try:
        verdict = engine.evaluate(facts, as_of=as_of)
    except FactsError as exc:
        (out / "error.txt").write_text(str(exc), encoding="utf-8")
        return
    (out / "verdict.json").write_text(verdict.to_json(indent=2), encoding="utf-8")
    for lang in ("zh", "en"):
        (out / f"explain.{lang}.txt").write_text(explain_text(verdict, lang=lang), encoding="utf-8")
        (out / f"explain.{lang}.html").write_text(explain_html(verdict, lang=lang), encoding="utf-8")
    wn = why_not(engine, facts, as_of=as_of)
    for lang in ("zh", "en"):
        (out / f"whynot.{lang}.txt").write_text(wn.to_text(lang=lang), encoding="utf-8")
    (out / "whynot.json").write_text(json.dumps(wn.to_dict(), ensure_ascii=False, sort_keys=True, indent=2),
                                     encoding="utf-8")


def main(dest: str) -> None:
    base = Path(dest)
    engines = {}
    for cases_path in sorted(ROOT.rglob("*.cases.yaml")):
        cf = read_cases(cases_path)
        engine = engines.get(cf.ruleset_path) or load_ruleset(cf.ruleset_path, backend="python")
        engines[cf.ruleset_path] = engine
        name = _slug(str(cf.ruleset_path.relative_to(ROOT)))
        for i, case in enumerate(cf.cases):
            _outputs(engine, case.facts, case.as_of, base / name / f"{i:03d}-{_slug(case.name)}")
    shapes = Path(__file__).parent / "data" / "shapes.yaml"
    engines[shapes] = load_ruleset(shapes, backend="python")
    for path, engine in engines.items():
        name = _slug(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name))
        (base / name).mkdir(parents=True, exist_ok=True)
        for lang in ("en", "zh"):
            (base / name / f"docs.{lang}.md").write_text(render_markdown(engine.ruleset, lang=lang), encoding="utf-8")
        (base / name / "compiled.json").write_text(json.dumps(
            [[c.rule, c.part.value, c.condition] for c in engine.compiled], sort_keys=True, indent=1), encoding="utf-8")
        for example in sorted((ROOT / "examples").glob("*.json")):
            facts = json.loads(example.read_text(encoding="utf-8"))
            for as_of in (None, "2017-06-01", "2018-12-31"):
                _outputs(engine, facts, as_of, base / name / "examples" / f"{example.stem}@{as_of}")


if __name__ == "__main__":
    main(sys.argv[1])
