"""The resolved condition tree: its node types and the one way to visit them.

Owns: the frozen node classes every condition becomes once ``_check`` has resolved its names
(facts, items of a quantified list, inlined parameter constants, windows), ``children`` (a
node's sub-nodes, in field order), ``walk`` (every node, depth first, parents before
children, each sub-tree in field order; iterative, so linear and without recursion limits),
``reads`` and ``facts_read`` (what a condition reads, from ``walk``) and ``Visitor`` (one method
per node type, ``visit`` dispatching on the node's class through a table). Readers of a tree —
the compilers, the reference evaluator, why-not, docs and explanations — take these types;
``Rule.condition`` is one of them. Must not know text, YAML or durable_rules.

A node records where a value came from where readers need it (``Const.param``: the ruleset
parameter it was inlined from; ``Item.var``: the name the condition gave the item; the
parameter of a window or list after ``in``), so that nothing downstream reads the condition's
text again. Provenance is not meaning: it takes no part in equality.

Visitors recurse (a method visits the sub-nodes it needs): trees come from conditions whose
nesting and number of operators the parser bounds (``_expr.MAX_NESTING``, ``MAX_OPERATORS``),
so the depth stays far from Python's recursion limit; ``walk`` is the iterative reader for
"every node" questions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

import attrs

from ._model import Window

__all__ = ["Const", "Fact", "Item", "Arith", "Cmp", "InList", "InWindow", "And", "Or", "Not", "Quant", "RNode",
           "children", "walk", "reads", "facts_read", "items_read", "Visitor", "MIRRORED", "NEGATED"]

# A comparison with its sides swapped keeps its meaning with the mirrored operator (a < b: b > a).
MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
# The operator of the comparison's negation (not a < b: a >= b).
NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


@attrs.frozen
class Const:
    """A constant: a literal of the condition, or the value of ruleset parameter ``param``."""

    value: Any
    type: str
    param: str | None = attrs.field(default=None, eq=False)


@attrs.frozen
class Fact:
    """A top-level fact path (``members.total``) or a derived fact (``derived.leader_age``)."""

    path: str
    type: str


@attrs.frozen
class Item:
    """``field`` of the current item of list ``list`` (bound by the enclosing Quant)."""

    list: str
    field: str
    type: str
    var: str = attrs.field(default="", eq=False)  # the item's name in the condition (``h`` of ``h.level``)


@attrs.frozen
class Arith:
    op: str
    left: RNode
    right: RNode
    type: str = "number"


@attrs.frozen
class Cmp:
    op: str
    left: RNode
    right: RNode


@attrs.frozen
class InList:
    left: RNode
    values: tuple[Const, ...]
    param: str | None = attrs.field(default=None, eq=False)  # the list parameter the values came from


@attrs.frozen
class InWindow:
    left: RNode
    window: Window
    param: str | None = attrs.field(default=None, eq=False)  # the window parameter


@attrs.frozen
class And:
    items: tuple[RNode, ...]


@attrs.frozen
class Or:
    items: tuple[RNode, ...]


@attrs.frozen
class Not:
    item: RNode


@attrs.frozen
class Quant:
    kind: str
    list: str
    body: RNode


RNode = Const | Fact | Item | Arith | Cmp | InList | InWindow | And | Or | Not | Quant


_CHILDREN: dict[type, Callable[[Any], tuple[Any, ...]]] = {
    Arith: lambda n: (n.left, n.right), Cmp: lambda n: (n.left, n.right), InList: lambda n: (n.left,),
    InWindow: lambda n: (n.left,), And: lambda n: n.items, Or: lambda n: n.items, Not: lambda n: (n.item,),
    Quant: lambda n: (n.body,), Const: lambda n: (), Fact: lambda n: (), Item: lambda n: (),
}


def children(node: RNode) -> tuple[RNode, ...]:
    """The sub-nodes of ``node`` in field order (``left`` before ``right``; ``InList`` values
    are constants of its own and not sub-nodes); () for a leaf."""
    return _CHILDREN[type(node)](node)


def walk(node: RNode | None) -> Iterator[RNode]:
    """Every node of the tree under ``node`` (nothing for None), parents first, in field order."""
    stack: list[Any] = [] if node is None else [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(children(n)))


def reads(node: RNode | None) -> list[str]:
    """The fact paths a condition reads (the list's name for a quantifier and its items' fields),
    each once, in the order ``walk`` meets them."""
    return list(dict.fromkeys(n.path if isinstance(n, Fact) else n.list for n in walk(node)
                              if isinstance(n, (Fact, Item, Quant))))


def facts_read(node: RNode | None) -> list[str]:
    """The top-level and derived fact paths (``Fact`` nodes) under ``node``, each once, in order."""
    return list(dict.fromkeys(n.path for n in walk(node) if isinstance(n, Fact)))


def items_read(node: RNode | None) -> list[tuple[str, str]]:
    """The (list, item field) pairs of the ``Item`` nodes under ``node``, each once, in order."""
    return list(dict.fromkeys((n.list, n.field) for n in walk(node) if isinstance(n, Item)))


R = TypeVar("R")

_METHOD = {Const: "visit_const", Fact: "visit_fact", Item: "visit_item", Arith: "visit_arith", Cmp: "visit_cmp",
           InList: "visit_in_list", InWindow: "visit_in_window", And: "visit_and", Or: "visit_or",
           Not: "visit_not", Quant: "visit_quant"}


class Visitor(Generic[R]):
    """A reader of resolved trees: one method per node type, chosen by ``visit`` from the node's class.

    A subclass overrides the methods of the node types it reads; every other node goes to
    ``default``, which refuses it (TypeError). Context that changes on the way down (a negation,
    the item being read) is held by the visitor instance: a method that needs another context
    visits the sub-node with another instance, or saves and restores its own state.
    """

    def visit(self, node: RNode) -> R:
        """What this visitor makes of ``node``."""
        name = _METHOD.get(type(node))
        if name is None:
            raise TypeError(f"not a resolved condition node: {node!r}")
        method: Callable[[Any], R] = getattr(self, name)
        return method(node)

    def default(self, node: RNode) -> R:
        """A node type this visitor does not read."""
        raise TypeError(f"{type(self).__name__} does not read {type(node).__name__} nodes")

    def visit_const(self, node: Const) -> R:
        return self.default(node)

    def visit_fact(self, node: Fact) -> R:
        return self.default(node)

    def visit_item(self, node: Item) -> R:
        return self.default(node)

    def visit_arith(self, node: Arith) -> R:
        return self.default(node)

    def visit_cmp(self, node: Cmp) -> R:
        return self.default(node)

    def visit_in_list(self, node: InList) -> R:
        return self.default(node)

    def visit_in_window(self, node: InWindow) -> R:
        return self.default(node)

    def visit_and(self, node: And) -> R:
        return self.default(node)

    def visit_or(self, node: Or) -> R:
        return self.default(node)

    def visit_not(self, node: Not) -> R:
        return self.default(node)

    def visit_quant(self, node: Quant) -> R:
        return self.default(node)
