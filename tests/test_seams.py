"""The seams between modules: no module of the package reaches into another's private names."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "qnwmh_rules"


def _reach_ins(path):
    """(line, what) for each private name of a sibling module that ``path`` imports or reads."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    siblings = set()  # local names bound to sibling modules: `from . import _check as C`
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            for alias in node.names:
                if node.module is None:
                    siblings.add(alias.asname or alias.name)
                elif alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append((node.lineno, f"from .{node.module} import {alias.name}"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in siblings \
                and node.attr.startswith("_") and not node.attr.startswith("__"):
            found.append((node.lineno, f"{node.value.id}.{node.attr}"))
    return found


def test_no_module_uses_a_private_name_of_another():
    """What two modules share is a public, documented name of its owner, never a `_private` one."""
    assert {} == {p.name: r for p in sorted(PACKAGE.glob("*.py")) if (r := _reach_ins(p))}


def test_the_check_finds_a_reach_in(tmp_path):
    """The check sees both forms of reaching in: importing a private name and reading one off a module."""
    p = tmp_path / "m.py"
    p.write_text("from . import _batch as B\nfrom ._api import _x, y\nB._one(1)\nB.ok()\n", encoding="utf-8")
    assert [(2, "from ._api import _x"), (3, "B._one")] == _reach_ins(p)
