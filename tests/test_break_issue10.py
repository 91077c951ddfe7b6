"""Break-testing issue 10: what a hostile or careless ruleset can still make the loader or engines do."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qnwmh_rules._loader import load_text

# ---- explicit YAML tags on quoted text ---------------------------------------------------------------

_TAGS = ["!!int", "!!float", "!!bool", "!!null", "!!timestamp"]
_TEXTS = ["6", "-0", "0.55", "1.10", "0x37", "067", "0o17", "1_000", "1:30", "1e3", "1e400", "-1e400", "1e-320",
          ".nan", "nan", ".inf", "1234567890123456", "yes", "on", "true", "null", "~", "2017-09-30", "2017-9-3",
          "2017-09-30T00:00:00", "2017-9-3T1:00:00", ""]


def _read(text):
    loaded = load_text(f"a: {text}\n", "x.yaml")
    return [e.code for e in loaded.errors] or loaded.data["a"]


@given(tag=st.sampled_from(_TAGS), text=st.sampled_from(_TEXTS), quote=st.sampled_from(["'", '"']))
def test_a_tag_on_quoted_text_is_read_like_the_same_tag_on_plain_text(tag, text, quote):
    """`!!float '0.55'` means what `!!float 0.55` means: a quoted scalar's explicit tag gets the same checks."""
    plain = _read(f"{tag} {text}") if text else _read(f"{tag} ''")
    quoted = _read(f"{tag} {quote}{text}{quote}")
    assert plain == quoted


@pytest.mark.parametrize("written,code", [("!!float '.nan'", "Q161"), ("!!float '1e400'", "Q160"),
                                          ("!!int '0x37'", "Q160"), ("!!int '067'", "Q160"),
                                          ("!!bool 'yes'", "Q160"), ("!!float '1e-320'", "Q160"),
                                          ("!!timestamp '2017-9-3'", "Q160")])
def test_explicitly_tagged_quoted_numbers_are_refused_with_a_code(written, code):
    """A non-finite, hexadecimal or octal number hidden in quotes under a tag is refused, not converted."""
    assert [code] == _read(written)


def test_a_tagged_quoted_decimal_is_exact():
    """`!!float '0.55'` is the exact decimal 0.55, not the binary double nearest to it."""
    from decimal import Decimal

    assert Decimal("0.55") == _read("!!float '0.55'")
    assert isinstance(_read("!!float '0.55'"), Decimal)
