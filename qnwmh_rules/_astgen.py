"""Functions built from Python syntax trees (``ast``), never from text: the code generator that the
facts fast path and the compiled conditions may use for straight-line code.

Owns: ``Namespace`` (values a generated function reads, each bound to a generated global name),
``build_function`` (an ``ast`` function body -> a function object) and the structural check every
generated tree passes before ``compile``: its constants are only ints, bools and ``None`` and its
names only generated ones (``Namespace`` globals, locals and arguments named by ``name``) or an
allowlisted builtin. So no text from a ruleset, a facts schema or a fact can reach ``compile``
even as a constant: every such value is a namespace entry, read by a generated name, and a tree
that would carry one is refused (``ValueError``) before compiling. Nothing here reads a ruleset.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["Namespace", "build_function", "name", "BUILTINS"]

#: The builtins generated code may call (read-only; the namespace gives them, not ``__builtins__``).
BUILTINS: dict[str, Any] = {
    "type": type, "len": len, "dict": dict, "list": list, "tuple": tuple, "str": str, "int": int,
    "bool": bool, "isinstance": isinstance, "frozenset": frozenset, "set": set, "min": min, "max": max,
    "sorted": sorted, "any": any, "all": all, "enumerate": enumerate, "zip": zip, "range": range,
}

_GENERATED = re.compile(r"[a-z][a-z0-9]*_[0-9]+\Z")
_MAX_NAME = 40


def name(base: str, n: int = 0) -> str:
    """A generated identifier ``<base>_<n>``: ``base`` is lowercase ASCII letters and digits, starting
    with a letter, at most 40 characters; ``n`` a number. ValueError for any other ``base``: a name
    taken from a ruleset or a schema is never an identifier here. Every name of generated code has
    this form (so none is a builtin or a keyword)."""
    if not re.fullmatch(r"[a-z][a-z0-9]*", base) or len(base) > _MAX_NAME or n < 0:
        raise ValueError(f"not a generated name: {base!r}")
    return f"{base}_{n}"


class Namespace:
    """The globals of one generated function: each bound value gets a fresh name ``k_<n>``; the
    allowlisted builtins keep their own names.

    ``bind(value)`` returns an ``ast.Name`` that loads it; the same object bound twice gets the same
    name (so a shared table is one global)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = dict(BUILTINS)
        self._by_id: dict[int, str] = {}
        self._keep: list[Any] = []  # keeps bound objects alive so their ids stay theirs

    def bind(self, value: Any) -> ast.Name:
        known = self._by_id.get(id(value))
        if known is None:
            known = name("k", len(self._keep))
            self._by_id[id(value)] = known
            self._keep.append(value)
            self.values[known] = value
        return ast.Name(id=known, ctx=ast.Load())


def _check_tree(tree: ast.AST, allowed: set[str]) -> None:
    """ValueError unless every constant of ``tree`` is an int, bool or None and every name is
    generated or in ``allowed``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            if node.value is not None and type(node.value) not in (int, bool):
                raise ValueError(f"generated code may hold no {type(node.value).__name__} constant: "
                                 "bind the value in the namespace")
        elif isinstance(node, ast.Name):
            if node.id not in allowed and not _GENERATED.match(node.id):
                raise ValueError(f"generated code reads an unknown name {node.id!r}")
        elif isinstance(node, ast.arg):
            if not _GENERATED.match(node.arg):
                raise ValueError(f"not a generated argument name: {node.arg!r}")
        elif isinstance(node, ast.FunctionDef):
            if not _GENERATED.match(node.name):
                raise ValueError(f"not a generated function name: {node.name!r}")
        elif isinstance(node, ast.Attribute):
            if node.attr not in _ATTRIBUTES:
                raise ValueError(f"generated code reads an unknown attribute {node.attr!r}")
        elif isinstance(node, (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.Lambda, ast.ClassDef,
                               ast.JoinedStr, ast.Await, ast.Yield, ast.YieldFrom, ast.AsyncFunctionDef)):
            raise ValueError(f"generated code may not hold a {type(node).__name__}")


#: Attributes generated code may read (methods of dicts, strings, dates and moments).
_ATTRIBUTES = frozenset({
    "get", "items", "keys", "values", "append", "isprintable", "isascii", "strip", "fullmatch", "year",
    "tzinfo", "replace", "astimezone", "isoformat", "date", "issubset", "difference", "add", "update", "day", "hour",
    "minute", "second"})


def build_function(fname: str, args: Iterable[str], body: list[ast.stmt], ns: Namespace,
                   filename: str = "<qnwmh generated>") -> Callable[..., Any]:
    """The function ``fname(*args)`` whose body is ``body``, with ``ns``'s values as its globals.

    ``fname`` and ``args`` are generated names (``name``: ``f_0``, ``doc_0``); the tree passes ``_check_tree`` first
    (ValueError otherwise). ``filename`` shows in tracebacks. The function's ``__builtins__`` is empty:
    it reads only what ``ns`` binds and ``BUILTINS``."""
    arguments = ast.arguments(posonlyargs=[], args=[ast.arg(arg=a) for a in args], vararg=None, kwonlyargs=[],
                              kw_defaults=[], kwarg=None, defaults=[])
    fn = ast.FunctionDef(name=fname, args=arguments, body=body or [ast.Pass()], decorator_list=[], returns=None)
    if "type_params" in ast.FunctionDef._fields:  # Python 3.12 on
        setattr(fn, "type_params", [])  # noqa: B010 - the field is absent from 3.11's stubs
    module = ast.Module(body=[fn], type_ignores=[])
    _check_tree(module, set(BUILTINS) | set(ns.values))
    ast.fix_missing_locations(module)
    code = compile(module, filename, "exec")
    scope: dict[str, Any] = {"__builtins__": {}, **ns.values}
    exec(code, scope)  # noqa: S102 - a code object compiled from a checked tree, never from text
    return scope[fname]  # type: ignore[no-any-return]
