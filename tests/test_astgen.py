"""The code generator builds functions from checked syntax trees: ruleset text is data, never code."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qnwmh_rules._astgen import Namespace, build_function, name


def _returns(node: ast.expr) -> list[ast.stmt]:
    return [ast.Return(node)]


@given(st.text())
def test_any_text_bound_in_the_namespace_is_returned_as_data(text: str) -> None:
    """A value from a ruleset reaches generated code only through the namespace, whatever it says."""
    ns = Namespace()
    fn = build_function("f_0", [], _returns(ns.bind(text)), ns)
    assert text == fn()


@pytest.mark.parametrize("constant", ["__import__('os').system('true')", b"x", 1.5, ("a",)])
def test_a_constant_other_than_int_bool_or_none_is_refused_before_compiling(constant: object) -> None:
    """A string (or any other non-int constant) written into the tree is refused: bind it instead."""
    with pytest.raises(ValueError, match="constant"):
        build_function("f_0", [], _returns(ast.Constant(constant)), Namespace())


@pytest.mark.parametrize("bad", ["__import__", "eval", "exec", "open", "getattr", "globals", "Path"])
def test_a_name_that_is_neither_generated_nor_an_allowed_builtin_is_refused(bad: str) -> None:
    """Generated code reads only the namespace's names and a short list of builtins."""
    with pytest.raises(ValueError, match="unknown name"):
        build_function("f_0", [], _returns(ast.Name(id=bad, ctx=ast.Load())), Namespace())


@pytest.mark.parametrize("attr", ["__class__", "__globals__", "system", "__subclasses__"])
def test_an_attribute_outside_the_allowlist_is_refused(attr: str) -> None:
    """No dunder or arbitrary attribute can be reached from generated code."""
    ns = Namespace()
    with pytest.raises(ValueError, match="unknown attribute"):
        build_function("f_0", [], _returns(ast.Attribute(ns.bind(1), attr, ast.Load())), ns)


@given(st.text())
def test_a_name_taken_from_outside_is_never_an_identifier(base: str) -> None:
    """``name`` accepts only lowercase ASCII letters and digits: a schema's field name cannot become code."""
    ok = base.isascii() and base[:1].isalpha() and base.islower() and base.isalnum() and len(base) <= 40
    if ok:
        assert f"{base}_3" == name(base, 3)
    else:
        with pytest.raises(ValueError):
            name(base)


def test_generated_functions_have_no_builtins_of_their_own() -> None:
    """The generated function's globals hold an empty ``__builtins__``: nothing beyond the namespace."""
    ns = Namespace()
    call = ast.Call(ast.Name("len", ast.Load()), [ast.Name("x_0", ast.Load())], [])
    fn = build_function("f_0", ["x_0"], _returns(call), ns)
    assert 3 == fn("abc")
    assert {} == fn.__globals__["__builtins__"]
