"""The resolved condition tree: its node types and the one way to visit them.

Owns: the frozen node classes every condition becomes once ``_check`` has resolved its names
(facts, items of a quantified list, inlined parameter constants, windows), ``children`` (a
node's sub-nodes, in field order) and ``walk`` (every node, depth first, parents before
children, each sub-tree in field order; iterative, so linear and without recursion limits).
Readers of a tree — the compilers, the reference evaluator, why-not, docs and explanations —
take these types; ``Rule.condition`` is one of them. Must not know text, YAML or durable_rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from ._model import Window

__all__ = ["Const", "Fact", "Item", "Arith", "Cmp", "InList", "InWindow", "And", "Or", "Not", "Quant", "RNode",
           "children", "walk", "MIRRORED", "NEGATED"]

# A comparison with its sides swapped keeps its meaning with the mirrored operator (a < b: b > a).
MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
# The operator of the comparison's negation (not a < b: a >= b).
NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


@attrs.frozen
class Const:
    value: Any
    type: str


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


@attrs.frozen
class InWindow:
    left: RNode
    window: Window


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


def children(node: RNode) -> tuple[RNode, ...]:
    """The sub-nodes of ``node`` in field order (``left`` before ``right``; ``InList`` values
    are constants of its own and not sub-nodes); () for a leaf."""
    if isinstance(node, (Arith, Cmp)):
        return (node.left, node.right)
    if isinstance(node, (InList, InWindow)):
        return (node.left,)
    if isinstance(node, (And, Or)):
        return node.items
    if isinstance(node, Not):
        return (node.item,)
    if isinstance(node, Quant):
        return (node.body,)
    return ()


def walk(node: RNode | None) -> Iterator[RNode]:
    """Every node of the tree under ``node`` (nothing for None), parents first, in field order."""
    stack: list[Any] = [] if node is None else [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(children(n)))
