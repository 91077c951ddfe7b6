"""Reading JSON text exactly: what cannot be read as written is refused, never guessed.

Owns: ``loads``, the one JSON reader for caller input (facts, verdict documents, ``--set``
values, batch records, CSV list cells, cases files' ``base``). On top of the standard
library's parser it refuses, with a ``FactsError`` naming the path where it can:

* an object with the same key twice (the standard parser silently keeps the last);
* nesting deeper than ``MAX_DEPTH`` (the standard parser raises ``RecursionError``);
* a string or key holding a lone UTF-16 surrogate (``"\\ud800"``), which is not text;
* ``NaN``, ``Infinity`` and ``-Infinity`` (not JSON), and numbers with more digits than
  can be read (``int`` refuses over 4,300 digits);
* a number that is not whole but whose nearest double is (``24.00000000000000000001``), which
  would otherwise be taken for the whole number;
* bytes that are not UTF-8 (a leading UTF-8 byte-order mark is accepted and dropped).

A number with a fraction or exponent is read as an ``int`` when its value is a whole
number (``24.0``, ``2.4e1``) and as a ``float`` otherwise. Must not know the facts contract.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from .exceptions import FactsError

__all__ = ["MAX_DEPTH", "MAX_DOCUMENT_BYTES", "MAX_COLLECTION_BYTES", "MAX_VALUES", "MAX_COLLECTION_VALUES", "loads",
           "read_bounded", "check_value", "DuplicateKeyError", "InvalidJSONError"]

MAX_DEPTH = 64  # objects and lists inside each other; facts need 4, a verdict document about 8
# One facts or verdict document: three lists of 1,000 items with 1,000-character texts stay far below.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
# A file of many documents read whole (a JSON list or JSON Lines of collectives for `diff --cases`).
MAX_COLLECTION_BYTES = 512 * 1024 * 1024
# JSON values (objects, lists and their members) in one document: a facts document with three lists of
# 1,000 items has ~50,000. Bytes alone do not bound memory: 64 MiB of `[],` are 22 million lists (~5 GB
# once built and checked), so a larger count is refused before the document is built.
MAX_VALUES = 2_000_000
# ... and in a file of many documents read whole (a JSON list of collectives for `diff --cases`)
MAX_COLLECTION_VALUES = 8_000_000
_STRING_TEXT = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Dup:
    """Marks a key given twice in one object (found by ``check_value`` with its path)."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key


class DuplicateKeyError(FactsError):
    """The same key twice in one JSON object."""


class InvalidJSONError(FactsError):
    """The text is not JSON at all (syntax, encoding, ``NaN``, unreadable numbers or nesting)."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        out[k] = _Dup(k) if k in out else v  # check_value names the path of a _Dup
    return out


class _Inexact:
    """Marks a number that is not whole but reads as a whole double (``24.00000000000000000001``
    is 24.0 as a float): found by ``check_value`` with its path, never read as the whole number."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _float(text: str) -> int | float | _Inexact:
    try:
        d = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the JSON scanner only passes numbers
        raise ValueError(f"cannot read the number {text[:40]}") from None
    whole = d.is_finite() and d == d.to_integral_value()
    if whole and d.adjusted() < 30:
        return int(d)
    value = float(text)
    if not whole and value.is_integer():  # the double lost the fraction: not the number sent
        return _Inexact(text)
    return value


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _child(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    shown = key if key.isidentifier() else json.dumps(key)  # json.dumps escapes surrogates
    if not key.isidentifier():
        return f"{path}[{shown}]"
    return f"{path}.{shown}" if path else shown


def _inexact(node: _Inexact) -> str:
    shown = node.text if len(node.text) <= 40 else node.text[:40] + "…"
    return (f"the number {shown} is not a whole number, but so close to one that it cannot be told apart "
            "from it (a double keeps about 16 digits); send the number that is meant")


def check_value(value: Any, where: str = "") -> None:
    """Refuse duplicate keys, too deep nesting and lone surrogates anywhere in a parsed value
    (iteratively: no recursion whatever the depth). ``where`` prefixes the paths named."""
    stack: list[tuple[Any, str, int]] = [(value, where, 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, dict):
            if depth >= MAX_DEPTH:
                raise FactsError(path or "(input)", f"is nested more than {MAX_DEPTH} levels deep")
            for k, v in node.items():
                if not isinstance(k, str):
                    raise FactsError(path or "(input)", f"keys must be strings; got {type(k).__name__}")
                if _SURROGATE.search(k):
                    raise FactsError(_child(path, k), "the key holds a lone UTF-16 surrogate, which is not text")
                if isinstance(v, _Inexact):
                    raise FactsError(_child(path, k), _inexact(v))
                if isinstance(v, _Dup):
                    raise DuplicateKeyError(_child(path, k), "is given twice in the same object; "
                                                             "which value is meant cannot be known")
                stack.append((v, _child(path, k), depth + 1))
        elif isinstance(node, list):
            if depth >= MAX_DEPTH:
                raise FactsError(path or "(input)", f"is nested more than {MAX_DEPTH} levels deep")
            stack.extend((v, _child(path, i), depth + 1) for i, v in enumerate(node))
        elif isinstance(node, _Inexact):
            raise FactsError(path or "(input)", _inexact(node))
        elif isinstance(node, str):
            if _SURROGATE.search(node):
                raise FactsError(path or "(input)", "holds a lone UTF-16 surrogate, which is not text")


def read_bounded(stream: Any, limit: int, where: str) -> bytes:
    """All bytes of a binary ``stream`` (a file, a pipe, stdin), at most ``limit`` of them.

    Reads at most ``limit + 1`` bytes, so an endless input (``/dev/zero``, ``yes |``) ends in an
    ``InvalidJSONError`` naming ``where`` instead of exhausting memory."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidJSONError(where, f"is larger than {limit:,} bytes: no document this library reads is "
                                      "that large (is it the right file?)")
    return bytes(data)


def _values_at_most(text: str, limit: int) -> bool:
    """Whether JSON ``text`` can hold at most ``limit`` values (an upper bound: every value but the
    first follows a comma or opens an object or a list; what is inside strings does not count)."""
    if len(text) <= limit:  # every value takes a character at least
        return True
    bare = _STRING_TEXT.sub("", text)
    return bare.count(",") + bare.count("[") + bare.count("{") < limit


def loads(text: str | bytes, where: str = "(input)", *, path: str = "", max_values: int = MAX_VALUES) -> Any:
    """Parse JSON text (or UTF-8 bytes) exactly; ``FactsError`` for anything that cannot be.

    ``where`` names the input in messages that have no field path (``stdin``, a file name);
    ``path`` prefixes the field paths named (a CSV column's name). A text that may hold more than
    ``max_values`` JSON values is an ``InvalidJSONError`` before it is parsed."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidJSONError(where, f"is not UTF-8 text (byte {exc.start + 1})") from None
    text = text.removeprefix("\ufeff")
    if not _values_at_most(text, max_values):
        raise InvalidJSONError(where, f"holds more than {max_values:,} JSON values: no document this library reads "
                                      "has that many (is it the right file?)")
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise InvalidJSONError(where, f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise InvalidJSONError(where, f"is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # NaN / Infinity, an integer too long to convert
        raise InvalidJSONError(where, f"cannot be read as JSON: {exc}") from None
    check_value(value, path)
    return value
