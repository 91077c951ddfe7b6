"""The seams between modules: no module of the package reaches into another's private names, none imports
the package inside a function (but for the documented optional dependencies), and the imports flow one way."""

import ast
import sys
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


# Imports inside a function body that are allowed: optional or slow dependencies, each with its reason.
# Everything else a module needs (above all the facade, `_api`) is imported at module level, so the
# one-way flow of docs/design.md is visible in the import lines and checked below.
DEFERRED = {
    ("_api.py", "qnwmh_rules._engine"): "durable_rules is optional: imported only where a durable engine is built",
    ("_catalogue.py", "qnwmh_rules._engine"): "durable_rules is optional: whether it imports, and its probe",
    ("_fmt.py", "ruamel"): "ruamel.yaml is slow to import and only `fmt` needs it",
    ("cli.py", "tqdm"): "tqdm is only needed for a batch's progress bar on a terminal",
}


def _imported(node, package="qnwmh_rules"):
    """The names an import statement imports: `qnwmh_rules.<module>` for the package's own modules,
    else the top-level name of the library."""
    if isinstance(node, ast.Import):
        return [alias.name.split(".")[0] if not alias.name.startswith(package + ".") else alias.name
                for alias in node.names]
    if node.level == 0:
        top = node.module.split(".")[0]
        return [node.module if top == package else top]
    if node.module is None:  # from . import _engine
        return [f"{package}.{alias.name}" for alias in node.names]
    return [f"{package}.{node.module}"]


def _deferred_imports(path):
    """(line, imported name) for each import inside a function body of ``path``, standard library excepted."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    found.update((node.lineno, name) for name in _imported(node)
                                 if name.split(".")[0] not in sys.stdlib_module_names)
    return sorted(found)


def _type_checking_only(stmt):
    """Whether ``stmt`` is an ``if TYPE_CHECKING:`` block (types only: no import at run time)."""
    return isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Name) and stmt.test.id == "TYPE_CHECKING"


def _top_level_imports(path):
    """The package's own modules ``path`` imports at module level (``qnwmh_rules.<module>``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    outside_functions = [node for stmt in tree.body if not isinstance(stmt, (ast.FunctionDef, ast.ClassDef))
                         and not _type_checking_only(stmt) for node in ast.walk(stmt)]
    return {name for node in outside_functions if isinstance(node, (ast.Import, ast.ImportFrom))
            for name in _imported(node) if name.startswith("qnwmh_rules.")}


def test_no_module_imports_the_package_inside_a_function():
    """A module imports what it needs at module level: a deferred import is one of the documented optional ones."""
    found = {(p.name, name): line for p in sorted(PACKAGE.glob("*.py")) for line, name in _deferred_imports(p)}
    assert {} == {where: line for where, line in found.items() if where not in DEFERRED}


def test_every_documented_deferred_import_is_still_there():
    """The allowance for deferred imports lists only imports that exist (a stale entry would hide a new one)."""
    found = {(p.name, name) for p in sorted(PACKAGE.glob("*.py")) for _, name in _deferred_imports(p)}
    assert set(DEFERRED) == found


def test_the_check_finds_a_lazy_import_of_the_facade(tmp_path):
    """The check sees the facade (or any sibling, or a library) imported inside a function, not the standard library."""
    p = tmp_path / "m.py"
    p.write_text("import re\nfrom . import _model\n\n\ndef f():\n    import json\n    from ._api import load_ruleset\n"
                 "    from . import _batch as B\n    import qnwmh_rules._cases\n\n\nclass C:\n    def g(self):\n"
                 "        import yaml\n        return lambda: __import__('x')\n\n\n"
                 "if TYPE_CHECKING:\n    from ._tree import RNode\n",
                 encoding="utf-8")
    assert ([(7, "qnwmh_rules._api"), (8, "qnwmh_rules._batch"), (9, "qnwmh_rules._cases"), (14, "yaml")],
            {"qnwmh_rules._model"}) == (_deferred_imports(p), _top_level_imports(p))


def _import_cycle(graph):
    """A cycle of the module graph ``{module: {modules it imports}}`` as a list of modules, or None."""
    state = {}

    def visit(m, trail):
        state[m] = "open"
        for n in sorted(graph.get(m, ())):
            if state.get(n) == "open":
                return trail[trail.index(n):] + [n] if n in trail else [m, n]
            if n not in state and (cycle := visit(n, trail + [n])):
                return cycle
        state[m] = "done"
        return None

    for m in sorted(graph):
        if m not in state and (cycle := visit(m, [m])):
            return cycle
    return None


def test_the_package_imports_flow_one_way():
    """The package's modules import each other without a cycle (the facade `_api` sits above what it uses)."""
    graph = {f"qnwmh_rules.{p.stem}": _top_level_imports(p) for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    assert None is _import_cycle(graph)


def test_the_cycle_check_finds_a_cycle():
    """The cycle check names a cycle through the facade, and passes a graph that flows one way."""
    assert (["_api", "b", "_api"], None) == (_import_cycle({"_api": {"b"}, "b": {"_api"}, "a": {"b"}}),
                                         _import_cycle({"_api": {"b"}, "b": set(), "c": {"_api", "b"}}))
