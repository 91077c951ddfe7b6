"""The resolved tree's one visitor: every node once, parents first, sub-trees in field order."""

from hypothesis import given

from qnwmh_rules._tree import children, walk

from .strategies import resolved_trees


def _preorder(node):
    """The reference order, written recursively: the node, then each child's sub-tree in turn."""
    out = [node]
    for c in children(node):
        out += _preorder(c)
    return out


@given(tree=resolved_trees())
def test_walk_is_the_preorder_of_children(tree):
    """walk gives the recursive pre-order over children, node by node (identity, not equality)."""
    assert [id(n) for n in _preorder(tree)] == [id(n) for n in walk(tree)]


@given(tree=resolved_trees())
def test_children_are_the_node_fields_of_a_node(tree):
    """children names every field of a node that holds a node or nodes (InList's own constants aside)."""
    import attrs

    from qnwmh_rules import _tree as T

    for n in walk(tree):
        fields = [v for a in attrs.fields(type(n)) if not (isinstance(n, T.InList) and a.name == "values")
                  for v in (getattr(n, a.name) if isinstance(getattr(n, a.name), tuple) else (getattr(n, a.name),))
                  if attrs.has(type(v))]
        assert [id(v) for v in fields] == [id(c) for c in children(n)]


def test_walk_of_nothing_is_nothing():
    """A rule without an applies_if has no tree: walking it yields no node."""
    assert [] == list(walk(None))


def test_mirrored_and_negated_operators_mean_what_their_names_say():
    """For every pair of numbers: a op b == b MIRRORED[op] a, and not (a op b) == a NEGATED[op] b."""
    import operator

    from qnwmh_rules._tree import MIRRORED, NEGATED

    py = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
          "!=": operator.ne}
    pairs = [(a, b) for a in range(3) for b in range(3)]
    assert ([], []) == ([(op, a, b) for op in py for a, b in pairs if py[op](a, b) != py[MIRRORED[op]](b, a)],
                        [(op, a, b) for op in py for a, b in pairs if py[op](a, b) == py[NEGATED[op]](a, b)])
