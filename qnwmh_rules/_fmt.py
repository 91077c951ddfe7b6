"""``qnwmh-rules fmt``: ruleset and cases files in one layout, comments kept.

Owns: rewriting the layout of a YAML file with a round-trip YAML library (ruamel.yaml), and
proving that the rewritten file holds the same data. Must not check or decide rules.

The layout: mappings indented by 2; in a ruleset file list items indented by 4 with the dash
at 2 (``rules:`` then ``  - id: …``), in a cases file list items at the indentation of their
key (``cases:`` then ``- name: …``), as the shipped files are written; lines are not re-wrapped
(a flow mapping ``{a: 1, b: 2}`` is one line); quotes, comments, key order and blank lines are
kept; one newline at the end.
"""

from __future__ import annotations

import io
from pathlib import Path

import yaml

__all__ = ["format_text", "yaml_files", "FormatError"]


class FormatError(ValueError):
    """A file cannot be formatted (not YAML, or the layout would change its data)."""


def _layout(kind: str) -> tuple[int, int]:
    return (2, 0) if kind == "cases" else (4, 2)


def format_text(text: str, kind: str) -> str:
    """``text`` of a ruleset (``kind="ruleset"``) or cases file (``"cases"``) in the canonical layout.
    Raises FormatError if it is not YAML or if the result would hold other data (never written then)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    y = YAML()
    y.preserve_quotes = True
    y.width = 1 << 16  # never re-wrap
    sequence, offset = _layout(kind)
    y.indent(mapping=2, sequence=sequence, offset=offset)
    try:
        data = y.load(text)
        buf = io.StringIO()
        y.dump(data, buf)
    except YAMLError as exc:
        raise FormatError(f"not YAML: {' '.join(str(exc).split())}") from None
    out = "\n".join(line.rstrip() for line in buf.getvalue().split("\n")).rstrip("\n") + "\n"
    try:
        same = yaml.safe_load(out) == yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FormatError(f"not YAML: {' '.join(str(exc).split())}") from None
    if not same:
        raise FormatError("the layout would change the data; left as it is (please report it)")
    return out


def yaml_files(paths: list[str]) -> list[tuple[Path, str]]:
    """(file, kind) for each YAML file named or under a folder named; kind is ``cases`` for
    ``*.cases.yaml``, else ``ruleset``."""
    out: list[Path] = []
    for name in paths:
        p = Path(name)
        out.extend(sorted(f for f in p.rglob("*.yaml") if f.is_file()) if p.is_dir() else [p])
    return [(f, "cases" if f.name.endswith(".cases.yaml") else "ruleset") for f in out]
