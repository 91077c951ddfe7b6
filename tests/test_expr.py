"""The condition language parser: precedence, spans and syntax errors at the right offset."""

import datetime as dt

import pytest

from qnwmh_rules import _expr as E


def test_and_binds_tighter_than_or():
    """`a or b and c` is `a or (b and c)`."""
    tree = E.parse("members.total > 1 or members.total < 5 and leader.nationality == 'CN'")
    assert isinstance(tree, E.Or) and isinstance(tree.items[1], E.And)


def test_not_applies_to_the_comparison_after_it():
    """`not a == b` negates the comparison, not just its left side."""
    tree = E.parse("not leader.nationality == 'CN'")
    assert isinstance(tree, E.Not) and isinstance(tree.item, E.Compare)


def test_arithmetic_precedence_and_literals():
    """`*` binds tighter than `+`; numbers, negative numbers, strings, booleans and dates parse."""
    tree = E.parse("members.total >= members.aged_35_or_under + 2 * 3")
    assert E.Arith("+", E.Name(("members", "aged_35_or_under"), (0, 0)),
                   E.Arith("*", E.Lit(2, (0, 0)), E.Lit(3, (0, 0)), (0, 0)), (0, 0)) == tree.right
    assert E.Lit(-1.5, (0, 0)) == E.parse("x == -1.5").right
    assert E.Lit("广东", (0, 0)) == E.parse('x == "广东"').right
    assert E.DateLit(dt.date(2017, 9, 30), (0, 0)) == E.parse('x <= date("2017-09-30")').right


def test_quantifier_binds_an_item_name():
    """`any(h in honors, ...)` records the item name, the list and the body."""
    tree = E.parse("any(h in honors, h.level == 'national')")
    assert ("any", "h", ("honors",)) == (tree.kind, tree.var, tree.source.parts)


def test_spans_cover_the_source_text():
    """Every node's span is the exact text it came from."""
    text = "members.total >= params.members_min"
    tree = E.parse(text)
    assert "params.members_min" == text[slice(*tree.right.span)]
    assert text == text[slice(*tree.span)]


ERRORS = [
    ("members.total = 6", 14, "use == to compare"),
    ("members.total >= ", 17, "expected a value"),
    ("members.total >= 6 members.total", 19, "after a complete condition"),
    ("x == 'open", 5, "unterminated string"),
    ("any(h in honors: h.level == 'x')", 15, "','"),
    ('x <= date("2017-02-30")', 11, "is not a date"),
    ("(x == 1", 7, "')'"),
    ("", 0, "empty"),
    ("x && y", 2, "use `and`"),
]


@pytest.mark.parametrize("text,offset,words", ERRORS, ids=[e[0] or "empty" for e in ERRORS])
def test_syntax_errors_point_at_the_problem(text, offset, words):
    """A syntax error carries the 0-based offset of the offending spot and a hint."""
    with pytest.raises(E.ExprSyntaxError) as info:
        E.parse(text)
    assert offset == info.value.offset
    assert words in f"{info.value.message} {info.value.suggestion or ''}"
